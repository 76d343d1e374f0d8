//! Real processes: the `admin` fixture (tests/fixtures/admin.rs) stops cleanly when asked from
//! inside, and a SIGTERM is a graceful stop: exit status 0, nothing logged as an error.

#![cfg(unix)]

use std::{
    io::{BufRead, BufReader, Read, Write},
    process::{Child, Command, Stdio},
};

fn start() -> (Child, impl Iterator<Item = String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_admin"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo builds the admin bin for the tests");
    let mut lines = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(Result::unwrap);
    assert_eq!(lines.next().unwrap(), "ready");
    (child, lines)
}

fn finish(mut child: Child, lines: impl Iterator<Item = String>) -> (Vec<String>, String, i32) {
    let rest = lines.collect();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (rest, stderr, status.code().unwrap())
}

#[test]
fn a_requested_stop_exits_0_with_no_error() {
    let (mut child, lines) = start();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "stop").unwrap();
    drop(stdin);
    let (rest, stderr, status) = finish(child, lines);
    assert_eq!(rest, ["main stopped: StopRequested"]);
    assert_eq!(status, 0, "{stderr}");
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("Error"),
        "{stderr}"
    );
}

#[test]
fn sigterm_is_logged_as_a_graceful_stop_not_an_error() {
    let (mut child, lines) = start();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    drop(child.stdin.take());
    let (rest, stderr, status) = finish(child, lines);
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert!(rest[0].starts_with("main stopped: Exit"), "{rest:?}");
    assert_eq!(status, 0, "{stderr}");
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("Error"),
        "{stderr}"
    );
    let line = stderr
        .lines()
        .find(|line| line.contains("received SIGTERM, shutting down"))
        .unwrap_or_else(|| panic!("no shutdown line in {stderr}"));
    assert!(line.starts_with(" INFO"), "{line}");
    assert!(line.contains("actor=signals"), "{line}");
    // `init` installed the subscriber before the root group: the event is in its span.
    assert!(line.contains("actor{actor=signals}"), "{line}");
}
