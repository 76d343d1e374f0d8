//! Real processes: the `graceful` fixture (tests/fixtures/graceful.rs) gets signals and must stop as documented.

#![cfg(unix)]

mod common;

use std::{
    io::{BufRead, BufReader, Lines, Write},
    process::{Child, ChildStdout, Command, Stdio},
    time::Duration,
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
        // The actors it aborted: the slow worker, and the stage-2 flusher never interrupted.
        ["stopped: received SIGINT again while shutting down: aborted app/worker, app/flusher"]
    );
    assert_eq!(status, Some(130));
}

/// Waits for `child` at most `limit`; kills it and says so if it is still running then.
fn wait_at_most(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    None
}

#[test]
fn a_sigint_right_after_start_up_is_never_ignored() {
    // Many runs, each signalled at a different moment of its first milliseconds (a fixed
    // pseudo-random sequence, so a failure can be replayed): a window where a signal is lost
    // shows up as a run that does not end.
    let delays = common::process::delays(0x9E37_79B9_7F4A_7C15, 40, Duration::from_millis(5));
    for (run, delay) in delays.enumerate() {
        let mut service = Service::start(false);
        service.read_until("handlers installed");
        std::thread::sleep(delay);
        service.signal("INT");
        let status = wait_at_most(&mut service.child, Duration::from_secs(20));
        assert_eq!(
            status,
            Some(0),
            "run {run}: a SIGINT {delay:?} after start-up was not handled"
        );
    }
}

#[test]
fn an_empty_slow_stop_variable_leaves_slow_mode_off() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_graceful"))
        .env("SLOW_STOP", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "handlers installed");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // Slow mode would sleep an hour: the bound tells the two apart.
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(20)), Some(0));
}

#[test]
fn a_second_sigint_at_any_moment_of_the_shutdown_forces_it() {
    // Many runs, each forced at a different moment of its shutdown (a fixed pseudo-random
    // sequence): a window where the second signal is lost shows up as a run that does not
    // end (the slow worker would take an hour).
    let delays = common::process::delays(0x2545_F491_4F6C_DD1D, 20, Duration::from_millis(5));
    for (run, delay) in delays.enumerate() {
        let mut service = Service::start(true);
        service.read_until("handlers installed");
        service.signal("INT");
        service.read_until("app/worker interrupted");
        std::thread::sleep(delay);
        service.signal("INT");
        let status = wait_at_most(&mut service.child, Duration::from_secs(20));
        assert_eq!(
            status,
            Some(130),
            "run {run}: a second SIGINT {delay:?} into the shutdown did not force it"
        );
    }
}
