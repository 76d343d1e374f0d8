//! A real process: the `nested` fixture (tests/fixtures/nested.rs), `#[run::main]` around a
//! derived struct with a stuck actor, gets SIGTERM and must name the stuck leaf, in time.

#![cfg(unix)]

use std::{
    io::{BufRead, BufReader, Read},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

#[test]
fn sigterm_with_a_stuck_nested_actor_names_the_leaf_and_exits_within_the_budget() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nested"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo builds the nested bin for the tests");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert_eq!(first, "main/http serving");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let signalled = Instant::now();
    let status = child.wait().unwrap();
    let took = signalled.elapsed();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();

    assert_eq!(
        status.code(),
        Some(1),
        "a timed-out shutdown exits 1: {stderr}"
    );
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_nested"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cargo builds the nested bin for the tests");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "main/http serving");
    let signal = |child: &std::process::Child| {
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    signal(&child);
    // The shutdown has begun (stage 1 is interrupted, the HTTP actor is stuck): now force it.
    assert_eq!(lines.next().unwrap().unwrap(), "main/watcher interrupted");
    let signalled = Instant::now();
    signal(&child);
    let status = child.wait().unwrap();
    let took = signalled.elapsed();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(130), "a forced exit: {stderr}");
    assert_eq!(
        stderr.trim_end(),
        "Error: received SIGTERM again while shutting down: aborted every actor still running"
    );
    // Forced means now: well before the 2 s budget would have run out.
    assert!(took < Duration::from_secs(2), "took {took:?}");
}
