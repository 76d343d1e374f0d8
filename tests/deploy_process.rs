//! systemd's protocol, as a real process: the `notified` fixture (tests/fixtures/notified.rs)
//! under `#[run::main]` with feature `systemd` sends its phases to a unix datagram socket
//! this test binds, as systemd would, and pings the watchdog only while it is healthy.

#![cfg(unix)]

mod common;

use std::{
    io::{ErrorKind, Write},
    os::unix::net::UnixDatagram,
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// How long any one step may take before the test fails instead of hanging: a guard, not a
/// wait that the test relies on.
const STEP: Duration = Duration::from_secs(60);

const PING: &str = "WATCHDOG=1\n";

/// A socket bound where `NOTIFY_SOCKET` will point, removed when dropped.
struct Socket {
    socket: UnixDatagram,
    path: PathBuf,
}

impl Socket {
    fn bind(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("run-{name}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let socket = UnixDatagram::bind(&path).unwrap();
        socket.set_read_timeout(Some(STEP)).unwrap();
        Self { socket, path }
    }

    /// The next datagram, within `timeout`; `None` if none came.
    fn recv_within(&self, timeout: Duration) -> Option<String> {
        self.socket.set_read_timeout(Some(timeout)).unwrap();
        let mut buffer = [0; 1024];
        match self.socket.recv(&mut buffer) {
            Ok(len) => Some(String::from_utf8_lossy(&buffer[..len]).into_owned()),
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                None
            }
            Err(error) => panic!("recv: {error}"),
        }
    }

    /// The next datagram that is not a watchdog ping, counting the pings before it.
    fn next_state(&self, pings: &mut usize) -> String {
        loop {
            let message = self.recv_within(STEP).expect("a message within the step");
            if message == PING {
                *pings += 1;
            } else {
                return message;
            }
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn start(socket: Option<&Socket>) -> common::process::Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_notified"));
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID");
    if let Some(socket) = socket {
        // A ping every 100 ms.
        command
            .env("NOTIFY_SOCKET", &socket.path)
            .env("WATCHDOG_USEC", "200000");
    }
    common::process::Process::from_command(command)
}

#[test]
fn systemd_hears_ready_then_pings_only_while_healthy_then_stopping() {
    let socket = Socket::bind("notify");
    let mut service = start(Some(&socket));
    let mut pings = 0;
    let mut states = vec![socket.next_state(&mut pings), socket.next_state(&mut pings)];
    assert_eq!(service.next_line(), "serving");
    // Healthy: the watchdog is pinged, every 100 ms.
    while pings < 3 {
        let message = socket.recv_within(STEP).expect("a ping");
        assert_eq!(message, PING);
        pings += 1;
    }

    // The service turns unhealthy: no more pings (one may have been on its way).
    while socket.recv_within(Duration::from_millis(1)).is_some() {}
    writeln!(service.child.stdin.as_mut().unwrap(), "unhealthy").unwrap();
    assert_eq!(service.next_line(), "unhealthy");
    let quiet = Instant::now();
    let mut late_pings = 0;
    while let Some(message) =
        socket.recv_within(Duration::from_secs(1).saturating_sub(quiet.elapsed()))
    {
        assert_eq!(message, PING, "nothing else is told meanwhile");
        late_pings += 1;
        if quiet.elapsed() >= Duration::from_secs(1) {
            break;
        }
    }
    assert!(
        late_pings <= 1,
        "{late_pings} pings in the 10 periods after the service said it was unhealthy"
    );

    service.signal("TERM");
    states.push(socket.next_state(&mut pings));
    states.push(socket.next_state(&mut pings));
    let (_, stderr, code) = service.finish();
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert_eq!(
        states,
        [
            "STATUS=starting\n",
            "READY=1\nSTATUS=ready\n",
            "STOPPING=1\nSTATUS=draining\n",
            "STATUS=stopping\n",
        ]
    );
}

#[test]
fn without_notify_socket_the_service_runs_and_stops_as_usual() {
    let mut service = start(None);
    assert_eq!(service.next_line(), "serving");
    service.signal("TERM");
    let (rest, stderr, code) = service.finish();
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(stderr, "");
}

#[test]
fn the_startup_timeout_of_a_nested_app_names_the_leaf_that_never_became_ready() {
    let mut service = common::process::Process::start(env!("CARGO_BIN_EXE_unready"));
    assert_eq!(service.next_line(), "main/db connecting");
    let (rest, stderr, code) = service.finish();
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert!(rest.is_empty(), "`api` never starts: {rest:?}");
    assert_eq!(
        stderr.trim_end(),
        "Error: start-up timed out after 1s; not ready: main/db"
    );
}
