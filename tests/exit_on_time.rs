//! Real processes whose shutdown hangs on a thread that never returns must still exit within
//! their budget plus a small margin, with status 1 and an error naming the stuck leaf, its
//! phase and the time in it: the `hang` fixture (tests/fixtures/hang.rs, a current-thread
//! runtime, 2 s) and the `blocked` fixture (tests/fixtures/blocked.rs, a derived struct on the
//! default multi-thread runtime, 1 s).

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

#[test]
fn a_nested_actor_blocking_a_worker_thread_is_named_from_the_tree() {
    let mut service = Process::start(env!("CARGO_BIN_EXE_blocked"));
    assert_eq!(service.next_line(), "main/flusher serving");
    service.signal("TERM");
    let signalled = Instant::now();
    let (_, stderr, status) = service.finish();
    let took = signalled.elapsed();
    assert_eq!(status, Some(1), "a timed-out shutdown exits 1: {stderr}");
    let mut lines = stderr.lines();
    let report = lines.next().unwrap();
    // The leaf, read from the tree, although the group above it never returned its report.
    let prefix = r#"Error: shutdown timed out; still running: main/flusher (phase "flushing" for "#;
    assert!(report.starts_with(prefix), "{stderr}");
    assert!(
        report.ends_with("the shutdown began with: received SIGTERM"),
        "{stderr}"
    );
    // The blocked task is never joined: the watch ends the process.
    assert_eq!(
        lines.next(),
        Some("Error: exiting 1.5s after the shutdown began: a thread has not returned"),
        "{stderr}"
    );
    // `951.3ms` or `1.0s`, as `Debug` prints a `Duration`.
    let rest = &report[prefix.len()..];
    let time = &rest[..rest.find("s)").unwrap()];
    let flushing = match time.strip_suffix('m') {
        Some(millis) => millis.parse::<f64>().unwrap() / 1000.0,
        None => time.parse().unwrap(),
    };
    // Named by the nested group at its deadline, just before the 1 s budget runs out.
    assert!((0.5..=1.6).contains(&flushing), "{flushing}: {stderr}");
    // The budget (1 s), the margin (0.5 s), slack for a loaded machine: far below a hang.
    assert!(
        took < Duration::from_millis(1_000 + 500 + 1_500),
        "took {took:?}"
    );
}
