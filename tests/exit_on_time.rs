//! Real processes: the `hang` fixture (tests/fixtures/hang.rs), whose shutdown hangs on a
//! thread that never returns, must still exit within its 2 s budget plus a small margin, with
//! status 1 and an error naming the stuck actor, its phase and the time in it (SPEC S7).

#![cfg(unix)]

mod common;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use common::process::Process;

/// The budget of the fixture, plus the documented margin, plus slack for a loaded machine
/// (process start-up, `kill`): far below a hang.
const LIMIT: Duration = Duration::from_millis(2_000 + 500 + 1_500);

fn hang(mode: &str) -> (String, Option<i32>, Duration) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hang"));
    command
        .env("HANG", mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut service = Process::from_command(command);
    assert_eq!(service.next_line(), "main/db serving");
    service.signal("TERM");
    let signalled = Instant::now();
    let (_, stderr, status) = service.finish();
    (stderr, status, signalled.elapsed())
}

/// The time `stderr` says `main/db` had been flushing, in seconds.
fn flushing_for(stderr: &str) -> f64 {
    let start = stderr
        .find(r#"main/db (phase "flushing" for "#)
        .unwrap_or_else(|| panic!("names main/db and its phase: {stderr}"));
    let rest = &stderr[start + r#"main/db (phase "flushing" for "#.len()..];
    rest[..rest.find("s)").unwrap()].parse().unwrap()
}

#[test]
fn a_stuck_spawn_blocking_does_not_keep_the_process_alive() {
    let (stderr, status, took) = hang("blocking");
    assert_eq!(status, Some(1), "a timed-out shutdown exits 1: {stderr}");
    assert!(
        stderr.starts_with(
            "Error: shutdown timed out; still running: main/db (phase \"flushing\" for "
        ),
        "{stderr}"
    );
    assert!(
        stderr
            .trim_end()
            .ends_with("the shutdown began with: received SIGTERM"),
        "{stderr}"
    );
    // The nested group names its leaf just before the 2 s deadline.
    let flushing = flushing_for(&stderr);
    assert!((1.5..=2.0).contains(&flushing), "{flushing}: {stderr}");
    assert!(took < LIMIT, "took {took:?}");
}

#[test]
fn an_actor_blocking_the_runtime_thread_is_named_and_the_process_exits_on_time() {
    let (stderr, status, took) = hang("thread");
    assert_eq!(status, Some(1), "{stderr}");
    let mut lines = stderr.lines();
    let report = lines.next().unwrap();
    assert!(
        report.starts_with(
            "Error: shutdown timed out; still running: main/db (phase \"flushing\" for "
        ),
        "{stderr}"
    );
    assert!(
        report.ends_with("the shutdown began with: received SIGTERM"),
        "{stderr}"
    );
    assert_eq!(
        lines.next(),
        Some("Error: exiting 2.5s after the shutdown began: a thread has not returned"),
        "{stderr}"
    );
    // Blocked since its interrupt: the whole budget and the margin.
    let flushing = flushing_for(&stderr);
    assert!((2.4..4.0).contains(&flushing), "{flushing}: {stderr}");
    assert!(took < LIMIT, "took {took:?}");
}
