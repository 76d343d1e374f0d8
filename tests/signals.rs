//! Real processes: the `graceful` fixture (tests/fixtures/graceful.rs) gets signals and must stop as documented.

#![cfg(unix)]

use std::{
    io::{BufRead, BufReader, Lines, Write},
    process::{Child, ChildStdout, Command, Stdio},
};

struct Service {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Service {
    fn start(slow_stop: bool) -> Self {
        Self::start_with(slow_stop, false)
    }

    fn start_with(slow_stop: bool, hold_before_run: bool) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_graceful"));
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if slow_stop {
            command.env("SLOW_STOP", "1");
        }
        if hold_before_run {
            command.env("HOLD_BEFORE_RUN", "1");
        }
        let mut child = command
            .spawn()
            .expect("cargo builds the graceful bin for the tests");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, lines }
    }

    /// Reads lines until `line`, returning those read before it.
    fn read_until(&mut self, line: &str) -> Vec<String> {
        let mut before = Vec::new();
        for read in self.lines.by_ref() {
            let read = read.unwrap();
            if read == line {
                return before;
            }
            before.push(read);
        }
        panic!("the service ended without printing {line:?}; it printed {before:?}");
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn finish(mut self) -> (Vec<String>, Option<i32>) {
        let rest = self.lines.by_ref().map(Result::unwrap).collect();
        let status = self.child.wait().unwrap();
        (rest, status.code())
    }
}

#[test]
fn sigterm_stops_the_service_gracefully_in_stages() {
    let mut service = Service::start(false);
    service.read_until("handlers installed");
    service.signal("TERM");
    let (lines, status) = service.finish();
    assert_eq!(
        lines,
        [
            "app/worker interrupted",
            "app/worker stopped",
            "app/flusher flushed",
            "stopped: received SIGTERM",
        ]
    );
    assert_eq!(
        status,
        Some(0),
        "a signal-initiated graceful shutdown exits 0"
    );
}

#[test]
fn a_signal_before_the_actors_start_is_handled_not_fatal() {
    let mut service = Service::start_with(false, true);
    service.read_until("handlers installed");
    service.signal("TERM");
    // Only now does the service start its actors.
    service
        .child
        .stdin
        .take()
        .unwrap()
        .write_all(b"\n")
        .unwrap();
    let (lines, status) = service.finish();
    assert_eq!(lines.last().unwrap(), "stopped: received SIGTERM");
    assert_eq!(status, Some(0));
}

#[test]
fn a_second_sigint_forces_the_exit() {
    let mut service = Service::start(true);
    service.read_until("handlers installed");
    service.signal("INT");
    service.read_until("app/worker interrupted");
    service.signal("INT");
    let (lines, status) = service.finish();
    assert_eq!(
        lines,
        ["stopped: received SIGINT again while shutting down: aborted every actor still running"]
    );
    assert_eq!(status, Some(130));
}
