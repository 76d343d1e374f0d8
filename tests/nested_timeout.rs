//! A real process: the `nested` fixture (tests/fixtures/nested.rs), `#[run::main]` around a
//! derived struct with a stuck actor, gets SIGTERM and must name the stuck leaf, in time.

#![cfg(unix)]

mod common;

use std::time::{Duration, Instant};

use common::process::Process;

#[test]
fn sigterm_with_a_stuck_nested_actor_names_the_leaf_and_exits_within_the_budget() {
    let mut service = Process::start(env!("CARGO_BIN_EXE_nested"));
    assert_eq!(service.next_line(), "main/http serving");
    service.signal("TERM");
    let signalled = Instant::now();
    let (rest, stderr, status) = service.finish();
    let took = signalled.elapsed();

    assert_eq!(status, Some(1), "a timed-out shutdown exits 1: {stderr}");
    assert_eq!(
        stderr.trim_end(),
        "Error: shutdown timed out; still running: main/http; \
         the shutdown began with: received SIGTERM"
    );
    // The stage-2 flusher got its share of the 2 s budget instead of being aborted.
    assert_eq!(rest, ["main/watcher interrupted", "main/flusher flushed"]);
    // The budget is 2 s; the margin covers a loaded machine, not a hang.
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_second_signal_during_a_stuck_shutdown_forces_the_exit() {
    let mut service = Process::start(env!("CARGO_BIN_EXE_nested"));
    assert_eq!(service.next_line(), "main/http serving");
    service.signal("TERM");
    // The shutdown has begun (stage 1 is interrupted, the HTTP actor is stuck): now force it.
    assert_eq!(service.next_line(), "main/watcher interrupted");
    let signalled = Instant::now();
    service.signal("TERM");
    let (_, stderr, status) = service.finish();
    let took = signalled.elapsed();
    assert_eq!(status, Some(130), "a forced exit: {stderr}");
    assert_eq!(
        stderr.trim_end(),
        // The leaves still running, the stage-2 flusher (never interrupted) included.
        "Error: received SIGTERM again while shutting down: aborted main/http, main/flusher"
    );
    // Forced means now: well before the 2 s budget would have run out.
    assert!(took < Duration::from_secs(2), "took {took:?}");
}
