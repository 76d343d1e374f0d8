//! The example app `examples/service.rs` as a real process: it serves a real HTTP request on
//! loopback, stops gracefully on SIGTERM with exit code 0, and exits with 1 and the error
//! chain on stderr when it cannot start. Its public port serves no operator route; its admin
//! port, on loopback only, shows the status and stops it; a reload it cannot read changes
//! nothing.

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
    /// Starts the example with its public port on `addr` and its admin port on a free
    /// loopback port.
    fn start(addr: &str) -> Self {
        Self::start_with(&[
            ("SERVICE_ADDR", addr),
            ("SERVICE_ADMIN_ADDR", "127.0.0.1:0"),
        ])
    }

    /// Starts the example with environment `vars`.
    fn start_with(vars: &[(&str, &str)]) -> Self {
        let mut child = Command::new(example())
            .env_remove("SERVICE_CONFIG")
            .env_remove("SERVICE_DRAIN")
            .env_remove("SERVICE_CACHE_FILE")
            .envs(vars.iter().copied())
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
        // Every line the process printed: the reader ends at the end of its stdout, which
        // may come a moment after the exit is seen.
        while let Ok(line) = self.lines.recv_timeout(STEP) {
            self.seen.push(line);
        }
        (status, self.seen, stderr)
    }
}

/// A plain HTTP/1.1 GET of `/` on loopback; returns the whole response.
fn get(addr: &str) -> String {
    get_path(addr, "/")
}

/// A plain HTTP/1.1 GET of `path` on loopback; returns the whole response.
fn get_path(addr: &str, path: &str) -> String {
    request(addr, "GET", path)
}

/// A plain HTTP/1.1 request without a body; returns the whole response.
fn request(addr: &str, method: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(STEP)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
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
    assert_calm(&stderr);
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

/// A log record of the example (its `tracing` subscriber writes them to stderr, one a line):
/// its level and its message, without the time, the spans and the fields.
fn record(line: &str) -> Option<(String, String)> {
    let mut words = line.split_whitespace();
    let _time = words.next()?;
    let level = words.next()?;
    if !matches!(level, "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR") {
        return None;
    }
    let rest = line.split_once(": ").map(|(_, rest)| rest)?;
    let rest = rest.strip_prefix("run::event: ").unwrap_or(rest);
    // The message ends where the fields begin: ` name=`.
    let end = rest
        .match_indices(' ')
        .map(|(at, _)| at)
        .find(|&at| {
            rest[at + 1..].split_once('=').is_some_and(|(key, _)| {
                !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            })
        })
        .unwrap_or(rest.len());
    Some((level.to_string(), rest[..end].to_string()))
}

/// Every log record of `stderr`, as (level, message).
fn records(stderr: &str) -> Vec<(String, String)> {
    stderr.lines().filter_map(record).collect()
}

/// What `stderr` holds besides the log records: the exit report (`Error: ...`).
fn plain(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|line| record(line).is_none())
        .map(|line| format!("{line}\n"))
        .collect()
}

/// A clean run logs nothing above `INFO`.
fn assert_calm(stderr: &str) {
    let loud: Vec<_> = records(stderr)
        .into_iter()
        .filter(|(level, _)| level == "WARN" || level == "ERROR")
        .collect();
    assert!(loud.is_empty(), "{loud:?} in {stderr}");
    assert_eq!(plain(stderr), "", "nothing but log records: {stderr}");
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
        plain(&stderr),
        "Error: actor `main` failed: SERVICE_ADDR=\"not an address\": invalid socket address \
         syntax\n"
    );
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn the_public_port_serves_no_operator_route_and_the_admin_port_on_loopback_does() {
    let mut service = Service::start("127.0.0.1:0");
    let public = service.wait_for("listening on http://");
    let public = public
        .trim_start_matches("listening on http://")
        .to_string();
    let admin = service.wait_for("admin on http://");
    let admin = admin.trim_start_matches("admin on http://").to_string();
    service.wait_for("start main/http");

    // The public port: the app and the probes, nothing of the operator's.
    assert_eq!(status_line(&get_path(&public, "/live")), "HTTP/1.1 200 OK");
    for (method, path) in [("GET", "/status"), ("POST", "/stop"), ("GET", "/metrics")] {
        let response = request(&public, method, path);
        assert_eq!(
            status_line(&response),
            "HTTP/1.1 404 Not Found",
            "{method} {path} on the public port: {response}"
        );
    }
    // The admin port: the whole tree, then a clean stop.
    let response = get_path(&admin, "/status");
    assert_eq!(status_line(&response), "HTTP/1.1 200 OK", "{response}");
    for actor in ["main/http", "main/worker", "main/reporter", "main/admin"] {
        assert!(
            response.contains(&format!("{actor}: running")),
            "{actor} in {response}"
        );
    }
    let response = request(&admin, "POST", "/stop");
    assert_eq!(
        status_line(&response),
        "HTTP/1.1 202 Accepted",
        "{response}"
    );
    assert!(response.ends_with("stopping\n"), "{response}");

    let (status, lines, stderr) = service.finish();
    assert_eq!(
        status.code(),
        Some(0),
        "stderr: {stderr}; stdout: {lines:?}"
    );
    assert_calm(&stderr);
    assert!(lines.contains(&"stop main/admin".to_string()), "{lines:?}");
}

#[test]
fn an_admin_address_off_loopback_is_refused_before_anything_starts() {
    let service = Service::start_with(&[
        ("SERVICE_ADDR", "127.0.0.1:0"),
        ("SERVICE_ADMIN_ADDR", "0.0.0.0:0"),
    ]);
    let (status, lines, stderr) = service.finish();
    assert_eq!(status.code(), Some(1), "stdout: {lines:?}");
    assert_eq!(
        plain(&stderr),
        "Error: actor `main` failed: SERVICE_ADMIN_ADDR=0.0.0.0:0: the admin port must be a \
         loopback address (reach it with ssh -L or kubectl port-forward)\n"
    );
    assert!(lines.is_empty(), "nothing listens: {lines:?}");
}

/// Sends signal `name` (`TERM`, `HUP`) to the service.
fn signal(service: &Service, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), service.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_reload_that_cannot_be_read_changes_nothing_and_a_good_one_applies() {
    let config = std::env::temp_dir().join(format!("run-service-{}.conf", std::process::id()));
    std::fs::write(&config, "7\n").unwrap();
    let mut service = Service::start_with(&[
        ("SERVICE_ADDR", "127.0.0.1:0"),
        ("SERVICE_ADMIN_ADDR", "127.0.0.1:0"),
        ("SERVICE_CONFIG", config.to_str().unwrap()),
    ]);
    service.wait_for("start main/reporter");
    // Malformed, huge (a path pointing at a big file must not be read whole), unreadable:
    // each reload fails, is reported, and the reporter keeps its period.
    let huge = "1".repeat(1 << 20);
    for (write, why) in [
        (
            Some("every minute\n"),
            "period \"every minute\": invalid digit found in string",
        ),
        (Some(huge.as_str()), "larger than 64 bytes"),
        (None, "No such file or directory"),
    ] {
        match write {
            Some(text) => std::fs::write(&config, text).unwrap(),
            None => std::fs::remove_file(&config).unwrap(),
        }
        signal(&service, "HUP");
        assert_eq!(
            service.wait_for("main/reporter: "),
            "main/reporter: keeping every 7s",
            "after a config that fails with {why:?}"
        );
    }
    std::fs::write(&config, "2\n").unwrap();
    signal(&service, "HUP");
    assert_eq!(
        service.wait_for("main/reporter: "),
        "main/reporter: reporting every 2s"
    );
    signal(&service, "TERM");
    let (status, lines, stderr) = service.finish();
    std::fs::remove_file(&config).unwrap();
    // A failed reload is reported, and is no failure of the service.
    assert_eq!(
        status.code(),
        Some(0),
        "stderr: {stderr}; stdout: {lines:?}"
    );
    // One `ERROR` record per failed reload, naming the actor and why; no raw `Error:` line
    // beside it.
    let path = config.display();
    let failures: Vec<&str> = stderr
        .lines()
        .filter(|line| record(line).is_some_and(|(level, _)| level == "ERROR"))
        .collect();
    assert_eq!(failures.len(), 3, "{stderr}");
    for (failure, why) in failures.iter().zip([
        "period \"every minute\": invalid digit found in string".to_string(),
        "larger than 64 bytes".to_string(),
        "No such file or directory (os error 2)".to_string(),
    ]) {
        assert_eq!(record(failure).unwrap().1, "reload failed", "{failure}");
        assert!(
            failure.ends_with(&format!(
                "error=actor `main/reporter` failed: {path}: {why}"
            )),
            "{failure}"
        );
    }
    assert_eq!(plain(&stderr), "", "{stderr}");
}

#[test]
fn the_drain_comes_from_the_environment_when_set_and_a_bad_one_is_refused_at_start() {
    // Two seconds instead of the built-in one: the stop cannot end before the drain does.
    let mut service = Service::start_with(&[
        ("SERVICE_ADDR", "127.0.0.1:0"),
        ("SERVICE_ADMIN_ADDR", "127.0.0.1:0"),
        ("SERVICE_DRAIN", "2s"),
    ]);
    service.wait_for("start main/http");
    let signalled = std::time::Instant::now();
    signal(&service, "TERM");
    let (status, lines, stderr) = service.finish();
    assert_eq!(
        status.code(),
        Some(0),
        "stderr: {stderr}; stdout: {lines:?}"
    );
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "stopped {:?} after SIGTERM, within the drain",
        signalled.elapsed()
    );

    for (drain, why) in [
        (
            "soon",
            "invalid duration: `soon` does not start with a number; expected a number and a \
             unit, such as \"30s\", \"500ms\" or \"1m30s\" (units: `ns`, `us`, `ms`, `s`, `m`, \
             `h`)",
        ),
        (
            "10s",
            "the drain (10s) does not fit in the shutdown timeout (10s); expected a drain \
             shorter than the shutdown timeout, which it counts against",
        ),
    ] {
        let service = Service::start_with(&[
            ("SERVICE_ADDR", "127.0.0.1:0"),
            ("SERVICE_ADMIN_ADDR", "127.0.0.1:0"),
            ("SERVICE_DRAIN", drain),
        ]);
        let (status, lines, stderr) = service.finish();
        assert_eq!(status.code(), Some(1), "stdout: {lines:?}");
        assert_eq!(stderr, format!("Error: SERVICE_DRAIN={drain:?}: {why}\n"));
        assert!(lines.is_empty(), "nothing started: {lines:?}");
    }
}

/// The value of series `series` (its name and labels as rendered) in a Prometheus text.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{series} ")))
        .map(|value| value.parse().unwrap())
}

#[test]
fn metrics_count_the_restarts_and_the_reloads_as_the_status_does() {
    let dir = std::env::temp_dir();
    let cache = dir.join(format!("run-service-cache-{}", std::process::id()));
    let config = dir.join(format!("run-service-metrics-{}.conf", std::process::id()));
    let _ = std::fs::remove_file(&cache);
    std::fs::write(&config, "7\n").unwrap();
    let mut service = Service::start_with(&[
        ("SERVICE_ADDR", "127.0.0.1:0"),
        ("SERVICE_ADMIN_ADDR", "127.0.0.1:0"),
        ("SERVICE_CONFIG", config.to_str().unwrap()),
        ("SERVICE_CACHE_FILE", cache.to_str().unwrap()),
    ]);
    let admin = service.wait_for("admin on http://");
    let admin = admin.trim_start_matches("admin on http://").to_string();
    service.wait_for("start main/reporter");

    // The cache fails while its file is missing: once it has been restarted, give it one.
    let deadline = std::time::Instant::now() + STEP;
    while !get_path(&admin, "/status").contains("main/cache: restarting") {
        assert!(
            std::time::Instant::now() < deadline,
            "the cache never restarted"
        );
        thread::sleep(Duration::from_millis(5));
    }
    std::fs::write(&cache, "warm").unwrap();
    service.wait_for("main/cache: loaded 4 bytes");

    // A reload that fails.
    std::fs::write(&config, "soon\n").unwrap();
    signal(&service, "HUP");
    service.wait_for("main/reporter: keeping every 7s");

    let status = get_path(&admin, "/status");
    let restarts: f64 = status
        .lines()
        .find(|line| line.trim_start().starts_with("main/cache: running"))
        .and_then(|line| {
            line.split(", ")
                .find_map(|part| part.strip_suffix(" restarts"))
        })
        .unwrap_or_else(|| panic!("the cache runs, restarted: {status}"))
        .parse()
        .unwrap();
    let response = get_path(&admin, "/metrics");
    assert_eq!(status_line(&response), "HTTP/1.1 200 OK", "{response}");
    let cache_series = |name: &str| metric(&response, &format!("{name}{{actor=\"main/cache\"}}"));
    assert_eq!(
        cache_series("run_actor_restarts_total"),
        Some(restarts),
        "{response}"
    );
    assert_eq!(
        cache_series("run_actor_failures_total"),
        Some(restarts),
        "{response}"
    );
    assert_eq!(cache_series("run_actor_up"), Some(1.0), "{response}");
    assert_eq!(
        cache_series("run_actor_gave_up_total"),
        Some(0.0),
        "{response}"
    );
    assert_eq!(
        metric(&response, "run_reloads_total"),
        Some(1.0),
        "{response}"
    );
    assert_eq!(
        metric(
            &response,
            "run_reload_failures_total{actor=\"main/reporter\"}"
        ),
        Some(1.0),
        "{response}"
    );
    assert_eq!(
        metric(&response, "run_actor_up{actor=\"main/http\"}"),
        Some(1.0),
        "{response}"
    );
    let startup = metric(&response, "run_startup_seconds").expect("the time to ready");
    assert!(startup > 0.0 && startup < 60.0, "{startup}");
    assert_eq!(
        metric(&response, "run_shutdown_timed_out"),
        Some(0.0),
        "{response}"
    );
    // Nothing internal on the public side: the metrics are the admin port's.

    let response = request(&admin, "POST", "/stop");
    assert_eq!(
        status_line(&response),
        "HTTP/1.1 202 Accepted",
        "{response}"
    );
    let (status, lines, stderr) = service.finish();
    assert_eq!(
        status.code(),
        Some(0),
        "stderr: {stderr}; stdout: {lines:?}"
    );
    std::fs::remove_file(&config).unwrap();
    std::fs::remove_file(&cache).unwrap();
}

#[test]
fn a_clean_run_logs_its_start_readiness_reload_stop_and_end_at_info_and_nothing_louder() {
    let config = std::env::temp_dir().join(format!("run-service-logs-{}.conf", std::process::id()));
    std::fs::write(&config, "7\n").unwrap();
    let mut service = Service::start_with(&[
        ("SERVICE_ADDR", "127.0.0.1:0"),
        ("SERVICE_ADMIN_ADDR", "127.0.0.1:0"),
        ("SERVICE_CONFIG", config.to_str().unwrap()),
    ]);
    let public = service.wait_for("listening on http://");
    let public = public
        .trim_start_matches("listening on http://")
        .to_string();
    service.wait_for("start main/http");
    let deadline = std::time::Instant::now() + STEP;
    while status_line(&get_path(&public, "/ready")) != "HTTP/1.1 200 OK" {
        assert!(std::time::Instant::now() < deadline, "never ready");
        thread::sleep(Duration::from_millis(10));
    }
    assert!(get(&public).ends_with("queued job 1\n"));
    std::fs::write(&config, "2\n").unwrap();
    signal(&service, "HUP");
    service.wait_for("main/reporter: reporting every 2s");
    signal(&service, "TERM");
    let (status, lines, stderr) = service.finish();
    std::fs::remove_file(&config).unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "stderr: {stderr}; stdout: {lines:?}"
    );
    // The app's life in order; the reload's record comes once every actor has answered,
    // which may be after the stop began: the set is exact, its place is not.
    let mut seen = records(&stderr);
    let reloaded = ("INFO".to_string(), "reloaded".to_string());
    assert_eq!(
        seen.iter().filter(|record| **record == reloaded).count(),
        1,
        "one reload record: {stderr}"
    );
    seen.retain(|record| *record != reloaded);
    let expected = [
        ("INFO", "started"),
        ("INFO", "ready"),
        ("INFO", "stopping"),
        ("INFO", "stopped"),
    ]
    .map(|(level, message)| (level.to_string(), message.to_string()));
    assert_eq!(seen, expected, "{stderr}");
    assert!(
        stderr.contains("INFO run::event: stopping cause=received SIGTERM\n"),
        "the log names the cause as the exit report would: {stderr}"
    );
    assert!(stderr.contains(" exit_code=0\n"), "{stderr}");
    assert_calm(&stderr);
}
