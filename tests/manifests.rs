//! The deployment files cannot drift from the code they deploy: `deploy/kubernetes.yaml` and
//! `deploy/service.service` are read and checked against the example service
//! (`examples/service.rs`): its shutdown budget (read from its `#[run::main]` line), the probe
//! paths it serves (asked of the running example), and the drain the files set.

#![cfg(unix)]

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::Command,
    time::{Duration, Instant},
};

use common::process::Process;

/// How long the process may take to exit past its shutdown budget (`#[run::main]`'s exit
/// margin), plus a second of slack for the signal and the runtime's start.
const MARGIN: Duration = Duration::from_millis(1500);

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// `"10s"`, `"250ms"`: the forms the files and the example use.
fn duration(text: &str) -> Duration {
    let text = text.trim().trim_matches('"');
    if let Some(ms) = text.strip_suffix("ms") {
        Duration::from_millis(ms.parse().unwrap())
    } else if let Some(s) = text.strip_suffix('s') {
        Duration::from_secs(s.parse().unwrap())
    } else {
        panic!("not a duration this test reads: {text:?}")
    }
}

/// The value of option `key = "..."` in the example's `#[run::main(...)]` attribute.
fn main_option(key: &str) -> String {
    let source = read("examples/service.rs");
    let start = source
        .find("\n#[run::main(")
        .expect("the example has a #[run::main] attribute");
    let attribute = &source[start..start + source[start..].find(")]").unwrap()];
    let value = attribute.find(&format!("{key} = \"")).expect(key) + key.len() + 4;
    attribute[value..].split('"').next().unwrap().to_string()
}

/// The value after `key:` on the first line of `yaml` (from `from` on) that holds it.
fn yaml_value<'y>(yaml: &'y str, from: &str, key: &str) -> &'y str {
    let start = yaml.find(from).unwrap_or_else(|| panic!("no {from:?}"));
    yaml[start..]
        .lines()
        .find_map(|line| line.trim().strip_prefix(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} after {from:?}"))
        .trim()
}

/// The value of the environment variable `name` set in the Deployment.
fn yaml_env<'y>(yaml: &'y str, name: &str) -> &'y str {
    yaml_value(yaml, &format!("- name: {name}"), "value").trim_matches('"')
}

/// The values of `key=` lines of a systemd unit, in order.
fn unit_values<'u>(unit: &'u str, key: &str) -> Vec<&'u str> {
    unit.lines()
        .filter_map(|line| line.strip_prefix(&format!("{key}=")))
        .collect()
}

#[test]
fn the_kubernetes_deployment_gives_the_shutdown_its_budget_and_the_drain_outlasts_the_probe() {
    let yaml = read("deploy/kubernetes.yaml");
    let budget = duration(&main_option("shutdown_timeout"));
    let grace = Duration::from_secs(
        yaml_value(&yaml, "spec:", "terminationGracePeriodSeconds")
            .parse()
            .unwrap(),
    );
    assert!(
        grace >= budget + MARGIN,
        "terminationGracePeriodSeconds ({grace:?}) must leave the shutdown budget ({budget:?}) \
         and the exit margin before SIGKILL"
    );
    assert!(
        !yaml.contains("preStop:"),
        "a preStop hook would count against the grace period"
    );

    // The drain must outlast what the readiness probe needs to see the 503.
    let drain = duration(yaml_env(&yaml, "SERVICE_DRAIN"));
    let period: u64 = yaml_value(&yaml, "readinessProbe:", "periodSeconds")
        .parse()
        .unwrap();
    let failures: u64 = yaml_value(&yaml, "readinessProbe:", "failureThreshold")
        .parse()
        .unwrap();
    assert!(
        drain > Duration::from_secs(period * failures),
        "the drain ({drain:?}) ends before the readiness probe ({period} s x {failures}) sees \
         the 503: requests would still come when the server stops"
    );
    assert!(drain < budget, "the drain must fit in the shutdown budget");

    // The probes reach the public port, which is the only one exposed.
    let addr = yaml_env(&yaml, "SERVICE_ADDR");
    let port = addr.rsplit(':').next().unwrap();
    assert_eq!(yaml_value(&yaml, "ports:", "containerPort"), port);
    assert_eq!(
        yaml.matches("containerPort:").count(),
        1,
        "only the public port is exposed"
    );
    assert!(
        !yaml.contains("- name: SERVICE_ADMIN_ADDR"),
        "the admin port keeps its loopback default"
    );
}

#[test]
fn the_systemd_unit_waits_for_ready_pings_the_watchdog_and_gives_the_shutdown_its_budget() {
    let unit = read("deploy/service.service");
    let budget = duration(&main_option("shutdown_timeout"));
    assert_eq!(unit_values(&unit, "Type"), ["notify"]);
    assert_eq!(unit_values(&unit, "KillSignal"), ["SIGTERM"]);
    let watchdog = unit_values(&unit, "WatchdogSec");
    assert_eq!(watchdog.len(), 1, "a watchdog for the pings to feed");
    assert!(duration(watchdog[0]) > Duration::ZERO);
    let stop = duration(unit_values(&unit, "TimeoutStopSec")[0]);
    assert!(
        stop >= budget + MARGIN,
        "TimeoutStopSec ({stop:?}) must leave the shutdown budget ({budget:?}) and the exit \
         margin before SIGKILL"
    );
    let drain = unit_values(&unit, "Environment")
        .into_iter()
        .find_map(|setting| setting.strip_prefix("SERVICE_DRAIN="))
        .map(duration)
        .expect("the unit sets the drain");
    assert!(drain < budget, "the drain must fit in the shutdown budget");
}

/// A plain HTTP/1.1 GET; returns the status code.
fn status_of(addr: &str, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response[9..12].parse().unwrap()
}

#[test]
fn every_probe_path_of_the_deployment_is_served_by_the_example() {
    let yaml = read("deploy/kubernetes.yaml");
    let paths: Vec<&str> = yaml
        .lines()
        .filter_map(|line| line.trim().strip_prefix("path:"))
        .map(str::trim)
        .collect();
    assert_eq!(
        paths.len(),
        3,
        "readiness, liveness and start-up probes: {paths:?}"
    );

    let mut command = Command::new(common::process::example("service"));
    command
        .env("SERVICE_ADDR", "127.0.0.1:0")
        .env("SERVICE_ADMIN_ADDR", "127.0.0.1:0")
        .env_remove("SERVICE_CONFIG")
        .env_remove("SERVICE_DRAIN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut service = Process::from_command(command);
    let addr = loop {
        let line = service.next_line();
        if let Some(addr) = line.strip_prefix("listening on http://") {
            break addr.to_string();
        }
    };
    // Ready once every actor is: asked again until then (bounded), as the probe does.
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_of(&addr, "/ready") != 200 {
        assert!(Instant::now() < deadline, "never ready");
        std::thread::sleep(Duration::from_millis(10));
    }
    for path in paths {
        assert_eq!(status_of(&addr, path), 200, "{path} on the public port");
    }
    service.signal("TERM");
    let (_, stderr, code) = service.finish();
    assert_eq!(code, Some(0), "{stderr}");
}
