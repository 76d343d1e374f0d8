//! The example app `examples/service.rs` as a real process: it serves a real HTTP request on
//! loopback, stops gracefully on SIGTERM with exit code 0, and exits with 1 and the error
//! chain on stderr when it cannot start.

#![cfg(unix)]

mod common;

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    thread,
    time::Duration,
};

/// How long any one step may take before the test fails instead of hanging: a guard, not a
/// wait that the test relies on.
const STEP: Duration = Duration::from_secs(60);

fn example() -> PathBuf {
    common::process::example("service")
}

struct Service {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Service {
    fn start(addr: &str) -> Self {
        let mut child = Command::new(example())
            .env("SERVICE_ADDR", addr)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example starts");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in stdout.lines() {
                if send.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The first line (from now on) that starts with `prefix`.
    fn wait_for(&mut self, prefix: &str) -> String {
        loop {
            match self.lines.recv_timeout(STEP) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(_) => panic!("no line starting with {prefix:?}; got {:?}", self.seen),
            }
        }
    }

    /// Waits for the exit; returns the status and every line printed.
    fn finish(mut self) -> (ExitStatus, Vec<String>, String) {
        let mut child = self.child;
        let (send, exited) = mpsc::channel();
        let mut stderr = child.stderr.take().unwrap();
        thread::spawn(move || {
            let mut err = String::new();
            stderr.read_to_string(&mut err).unwrap();
            let _ = send.send((child.wait().unwrap(), err));
        });
        let (status, stderr) = exited.recv_timeout(STEP).expect("the service exits");
        self.seen.extend(self.lines.try_iter());
        (status, self.seen, stderr)
    }
}

/// A plain HTTP/1.1 GET of `/` on loopback; returns the whole response.
fn get(addr: &str) -> String {
    get_path(addr, "/")
}

/// A plain HTTP/1.1 GET of `path` on loopback; returns the whole response.
fn get_path(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(STEP)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn the_service_serves_then_stops_gracefully_on_sigterm() {
    let mut service = Service::start("127.0.0.1:0");
    let listening = service.wait_for("listening on http://");
    let addr = listening
        .trim_start_matches("listening on http://")
        .to_string();
    service.wait_for("start main/http");

    let response = get(&addr);
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.ends_with("queued job 1\n"), "{response}");
    service.wait_for("job 1 done");

    let killed = Command::new("kill")
        .args(["-TERM", &service.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (status, lines, stderr) = service.finish();

    assert_eq!(
        status.code(),
        Some(0),
        "stderr: {stderr}; stdout: {lines:?}"
    );
    assert_eq!(stderr, "");
    for actor in ["main/http", "main/worker", "main/reporter"] {
        assert!(
            lines.contains(&format!("start {actor}")),
            "{actor} did not start: {lines:?}"
        );
    }
    let position = |prefix: &str| {
        lines
            .iter()
            .position(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {lines:?}"))
    };
    // The server (started after the worker) stops before the worker, and stage 1 before
    // stage 2 (reporter), which sees the final count.
    let reporter = position("stop main/reporter");
    assert!(
        position("stop main/http") < position("stop main/worker"),
        "{lines:?}"
    );
    assert!(position("stop main/worker") < reporter, "{lines:?}");
    assert_eq!(lines[reporter], "stop main/reporter: 1 jobs done");
    // The server started only once the worker was ready.
    assert!(
        position("start main/worker") < position("start main/http"),
        "{lines:?}"
    );
}

/// The status line of a response: `HTTP/1.1 200 OK`.
fn status_line(response: &str) -> &str {
    response.lines().next().unwrap_or_default()
}

#[test]
fn on_sigterm_ready_turns_503_at_once_while_the_service_serves_through_the_drain() {
    let mut service = Service::start("127.0.0.1:0");
    let listening = service.wait_for("listening on http://");
    let addr = listening
        .trim_start_matches("listening on http://")
        .to_string();
    service.wait_for("start main/http");
    // Ready once every actor is: poll until then (bounded), as a Kubernetes probe does.
    let deadline = std::time::Instant::now() + STEP;
    while status_line(&get_path(&addr, "/ready")) != "HTTP/1.1 200 OK" {
        assert!(std::time::Instant::now() < deadline, "never ready");
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(status_line(&get_path(&addr, "/live")), "HTTP/1.1 200 OK");

    let signalled = std::time::Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &service.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    loop {
        let ready = get_path(&addr, "/ready");
        if status_line(&ready) == "HTTP/1.1 503 Service Unavailable" {
            break;
        }
        assert_eq!(status_line(&ready), "HTTP/1.1 200 OK", "{ready}");
        assert!(
            signalled.elapsed() < Duration::from_millis(100),
            "/ready still 200 after 100 ms"
        );
    }
    assert!(
        signalled.elapsed() < Duration::from_millis(100),
        "/ready turned 503 only after {:?}",
        signalled.elapsed()
    );
    // Still serving during the drain: the app itself and liveness answer.
    let response = get(&addr);
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.ends_with("queued job 1\n"), "{response}");
    assert_eq!(status_line(&get_path(&addr, "/live")), "HTTP/1.1 200 OK");
    assert!(
        signalled.elapsed() < Duration::from_secs(1),
        "the checks took longer than the drain: the test proves nothing"
    );

    let (status, lines, stderr) = service.finish();
    assert_eq!(
        status.code(),
        Some(0),
        "stderr: {stderr}; stdout: {lines:?}"
    );
    assert!(
        signalled.elapsed() >= Duration::from_secs(1),
        "stopped before the drain ended"
    );
    assert!(lines.contains(&"job 1 done".to_string()), "{lines:?}");
}

#[test]
fn the_service_exits_with_1_and_the_error_chain_when_it_cannot_start() {
    let service = Service::start("not an address");
    let (status, lines, stderr) = service.finish();
    assert_eq!(status.code(), Some(1), "stdout: {lines:?}");
    assert_eq!(
        stderr,
        "Error: actor `main` failed: invalid socket address\n"
    );
    assert!(lines.is_empty(), "{lines:?}");
}
