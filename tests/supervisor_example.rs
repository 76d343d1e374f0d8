//! The example app `examples/supervisor.rs` as a real process: a flaky worker restarted with
//! backoff until its policy gives up (exit 1, the error on stderr), or, once it recovers,
//! stopped cleanly by SIGTERM (exit 0).

#![cfg(unix)]

mod common;

use std::process::{Command, Stdio};

use common::process::{Process, example};

fn start(failures: Option<u32>) -> Process {
    let mut command = Command::new(example("supervisor"));
    if let Some(failures) = failures {
        command.env("FLAKY_FAILURES", failures.to_string());
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Process::from_command(command)
}

#[test]
fn the_intensity_limit_ends_the_app_with_status_one_and_the_reason() {
    let (lines, stderr, code) = start(None).finish();
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "Error: actor `main/app/flaky` restarted 4 times within 10s, the most allowed: \
         giving up: actor `main/app/flaky` failed: connection lost (run 5)"
    );
    let restarts: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains(" restarting (attempt "))
        .collect();
    assert_eq!(restarts.len(), 4, "{lines:#?}");
    assert!(restarts[3].starts_with("main/app/flaky restarting (attempt 4) in "));
    assert!(
        lines.iter().any(|line| line.contains("main/app/flaky: ")
            && line
                .contains("restarts, last error: actor `main/app/flaky` failed: connection lost")),
        "{lines:#?}"
    );
}

#[test]
fn a_worker_that_recovers_keeps_running_and_sigterm_stops_the_app_cleanly() {
    let mut app = start(Some(2));
    while app.next_line() != "main/app/flaky run 3" {}
    app.signal("TERM");
    let (_, stderr, code) = app.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "");
}
