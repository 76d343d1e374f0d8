//! Real processes: the `reloading` fixture (tests/fixtures/reloading.rs) reloads its config on
//! SIGHUP while it keeps running, reports a failed reload without stopping, and a service
//! that does not reload ignores SIGHUP.

#![cfg(unix)]

mod common;

use std::{
    io::ErrorKind,
    os::unix::net::UnixDatagram,
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

use common::process::Process;

struct Config(PathBuf);

impl Config {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("run-{name}-{}.conf", std::process::id()));
        Self(path)
    }

    fn write(&self, text: &str) {
        std::fs::write(&self.0, text).unwrap();
    }
}

impl Drop for Config {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn start(config: &Config, reload: bool) -> Process {
    start_notifying(config, reload, None)
}

fn start_notifying(config: &Config, reload: bool, socket: Option<&PathBuf>) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reloading"));
    command
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env("CONFIG", &config.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if !reload {
        command.env("NO_RELOAD", "1");
    }
    if let Some(socket) = socket {
        command.env("NOTIFY_SOCKET", socket);
    }
    Process::from_command(command)
}

#[test]
fn sighup_reloads_the_config_and_a_failed_reload_is_reported_without_stopping() {
    let config = Config::new("reload");
    config.write("v1");
    let mut service = start(&config, true);
    assert_eq!(service.next_line(), "main/reporter config: v1");

    config.write("v2");
    service.signal("HUP");
    assert_eq!(service.next_line(), "main/reporter config: v2");

    config.write("bad");
    service.signal("HUP");
    assert_eq!(service.next_line(), "main/reporter rejected: bad");

    // Still serving: the next reload works.
    config.write("v3");
    service.signal("HUP");
    assert_eq!(service.next_line(), "main/reporter config: v3");

    service.signal("TERM");
    let (rest, stderr, status) = service.finish();
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(
        stderr.trim_end(),
        "Error: reload failed: actor `main/reporter` failed: invalid config \"bad\""
    );
    assert_eq!(
        status,
        Some(0),
        "a graceful stop after a failed reload: {stderr}"
    );
}

#[test]
fn a_service_that_does_not_reload_ignores_sighup() {
    let config = Config::new("no-reload");
    config.write("v1");
    let mut service = start(&config, false);
    assert_eq!(service.next_line(), "main/reporter config: v1");
    service.signal("HUP");
    service.signal("HUP");
    service.signal("TERM");
    let (rest, stderr, status) = service.finish();
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(stderr, "");
    assert_eq!(status, Some(0), "SIGHUP did not kill it");
}

/// The next datagram on `socket`: a guard of a minute against a hang, not a wait relied on.
fn next_message(socket: &UnixDatagram) -> String {
    socket
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut buffer = [0; 1024];
    match socket.recv(&mut buffer) {
        Ok(len) => String::from_utf8_lossy(&buffer[..len]).into_owned(),
        Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            panic!("no message within a minute")
        }
        Err(error) => panic!("recv: {error}"),
    }
}

#[test]
fn systemd_hears_reloading_with_the_time_then_ready_once_the_actors_are_done() {
    let path = std::env::temp_dir().join(format!("run-reload-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let socket = UnixDatagram::bind(&path).unwrap();
    let config = Config::new("reload-notify");
    config.write("v1");
    let mut service = start_notifying(&config, true, Some(&path));
    assert_eq!(next_message(&socket), "STATUS=starting\n");
    assert_eq!(next_message(&socket), "READY=1\nSTATUS=ready\n");
    assert_eq!(service.next_line(), "main/reporter config: v1");

    config.write("v2");
    service.signal("HUP");
    let reloading = next_message(&socket);
    let lines: Vec<&str> = reloading.lines().collect();
    assert_eq!(lines.len(), 3, "{reloading:?}");
    assert_eq!(lines[0], "RELOADING=1");
    let usec: u64 = lines[1]
        .strip_prefix("MONOTONIC_USEC=")
        .unwrap_or_else(|| panic!("{reloading:?}"))
        .parse()
        .unwrap();
    assert!(usec > 0);
    assert_eq!(lines[2], "STATUS=reloading");
    // Told only once the reporter has reread its config.
    assert_eq!(next_message(&socket), "READY=1\nSTATUS=ready\n");
    assert_eq!(service.next_line(), "main/reporter config: v2");

    config.write("bad");
    service.signal("HUP");
    assert!(next_message(&socket).starts_with("RELOADING=1\n"));
    assert_eq!(
        next_message(&socket),
        "READY=1\nSTATUS=reload failed: actor `main/reporter` failed: invalid config \"bad\"\n"
    );

    service.signal("TERM");
    let (_, stderr, status) = service.finish();
    assert_eq!(status, Some(0), "{stderr}");
    let _ = std::fs::remove_file(&path);
}
