//! Real processes: the `admin` fixture (tests/fixtures/admin.rs) stops cleanly when asked from
//! inside, and a SIGTERM is a graceful stop: exit status 0, nothing logged as an error.

#![cfg(unix)]

mod common;

use std::io::Write;

use common::process::Process;

fn start() -> Process {
    let mut service = Process::start(env!("CARGO_BIN_EXE_admin"));
    assert_eq!(service.next_line(), "ready");
    service
}

#[test]
fn a_requested_stop_exits_0_with_no_error() {
    let mut service = start();
    writeln!(service.child.stdin.as_mut().unwrap(), "stop").unwrap();
    let (rest, stderr, status) = service.finish();
    assert_eq!(rest, ["main stopped: StopRequested"]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("Error"),
        "{stderr}"
    );
}

#[test]
fn sigterm_is_logged_as_a_graceful_stop_not_an_error() {
    let service = start();
    service.signal("TERM");
    let (rest, stderr, status) = service.finish();
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert!(rest[0].starts_with("main stopped: Exit"), "{rest:?}");
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("Error"),
        "{stderr}"
    );
    let line = stderr
        .lines()
        .find(|line| line.contains("stopping"))
        .unwrap_or_else(|| panic!("no stop record in {stderr}"));
    assert_eq!(line, " INFO run::event: stopping cause=received SIGTERM");
    // `init` installed the subscriber before the root group: its start is logged too.
    assert_eq!(
        stderr.lines().next(),
        Some(" INFO run::event: started"),
        "{stderr}"
    );
}
