//! Real processes: the `backoff` fixture (tests/fixtures/backoff.rs), `#[run::main]` around a
//! derived struct whose restartable actor waits out a backoff, gets SIGTERM.

#![cfg(unix)]

mod common;

use common::process::Process;

#[test]
fn sigterm_during_a_backoff_is_a_clean_stop() {
    let mut service = Process::start(env!("CARGO_BIN_EXE_backoff"));
    assert_eq!(service.next_line(), "main/link failing");
    assert_eq!(service.next_line(), "main/link backing off");
    service.signal("TERM");
    let (rest, stderr, status) = service.finish();
    assert_eq!(rest, ["main/watcher interrupted"]);
    // The failure was handled (a restart was decided): the stop is clean.
    assert_eq!(stderr, "", "stderr");
    assert_eq!(status, Some(0));
}
