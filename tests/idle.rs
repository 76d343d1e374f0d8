//! What an idle process costs: an idle derived struct under `#[run::main]` (the `idle`
//! fixture) must wake up no more than the same service by hand on `#[tokio::main]`
//! (`idle_tokio`), counted in context switches of all of the process's threads over the same
//! window of the same run. A process that polls (a watch thread looking every 100 ms) makes
//! ten a second; one that waits blocked makes none.
//!
//! `RUN_IDLE_SECS` sets the window (default 2 s; BENCHMARKS.md uses 10 s), and the test
//! prints both counts.

#![cfg(target_os = "linux")]

mod common;

use std::time::Duration;

use common::process::Process;

/// The context switches, voluntary and not, of every thread of process `pid` so far.
fn switches(pid: u32) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    tasks
        .map(|task| {
            let status = std::fs::read_to_string(task.unwrap().path().join("status"));
            // A thread that ended between the listing and the read has no more to count.
            status.map_or(0, |status| {
                status
                    .lines()
                    .filter(|line| line.contains("ctxt_switches:"))
                    .map(|line| {
                        let count = line.split(':').nth(1).unwrap().trim();
                        count.parse::<u64>().unwrap()
                    })
                    .sum()
            })
        })
        .sum()
}

/// Starts fixture `bin` and waits until it says it is ready.
fn start(bin: &str) -> Process {
    let mut process = Process::start(bin);
    assert_eq!(process.next_line(), "ready");
    process
}

#[test]
fn an_idle_run_main_app_wakes_up_no_more_than_the_same_app_on_tokio_main() {
    let window = Duration::from_secs(
        std::env::var("RUN_IDLE_SECS").map_or(2, |secs| secs.parse().expect("whole seconds")),
    );
    let run = start(env!("CARGO_BIN_EXE_idle"));
    let tokio = start(env!("CARGO_BIN_EXE_idle_tokio"));
    // The window itself is what is measured, not a wait for something to happen: both
    // processes are ready, so each switch in it is a wake-up of an idle process.
    let before = (switches(run.child.id()), switches(tokio.child.id()));
    std::thread::sleep(window);
    let after = (switches(run.child.id()), switches(tokio.child.id()));
    let (run_count, tokio_count) = (after.0 - before.0, after.1 - before.1);
    println!(
        "context switches over {window:?} idle: #[run::main] {run_count}, #[tokio::main] {tokio_count}"
    );
    run.signal("TERM");
    tokio.signal("TERM");
    let (_, stderr, code) = run.finish();
    assert_eq!(
        code,
        Some(0),
        "the run app stops cleanly on SIGTERM: {stderr}"
    );
    let (_, stderr, code) = tokio.finish();
    assert_eq!(
        code,
        Some(0),
        "the tokio app stops cleanly on SIGTERM: {stderr}"
    );
    // One switch of slack for a thread still settling into its wait as the window opens.
    assert!(
        run_count <= tokio_count + 1,
        "an idle #[run::main] app woke up {run_count} times in {window:?}, the same app on \
         #[tokio::main] {tokio_count}"
    );
}
