//! A fixture binary run as a real process: its stdout read line by line, signals sent to
//! it, its status and stderr collected at the end.

use std::{
    io::{BufRead, BufReader, Lines, Read},
    path::PathBuf,
    process::{Child, ChildStdout, Command, Stdio},
    time::Duration,
};

/// Builds example `name` (a no-op when `cargo test` already has) and returns its path.
pub fn example(name: &str) -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--example", name, "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build --example {name} failed");
    // A test runs from target/<profile>/deps/; examples are in target/<profile>/examples/.
    let profile_dir = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .to_path_buf();
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

pub struct Process {
    pub child: Child,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Process {
    /// Starts `bin` with piped stdin, stdout and stderr.
    pub fn start(bin: &str) -> Self {
        let mut command = Command::new(bin);
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Self::from_command(command)
    }

    /// Starts `command`, whose stdout must be piped.
    pub fn from_command(mut command: Command) -> Self {
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cargo builds {command:?} for the tests: {error}"));
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, lines }
    }

    /// The next line of stdout.
    pub fn next_line(&mut self) -> String {
        self.lines
            .next()
            .expect("the process printed another line")
            .unwrap()
    }

    /// Sends signal `name` (`TERM`, `INT`) with `kill`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Closes stdin, waits for the end: the rest of stdout, stderr, the exit code.
    pub fn finish(mut self) -> (Vec<String>, String, Option<i32>) {
        drop(self.child.stdin.take());
        let rest = self.lines.by_ref().map(Result::unwrap).collect();
        let status = self.child.wait().unwrap();
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (rest, stderr, status.code())
    }
}

/// `count` delays below `max`, from a fixed pseudo-random sequence (xorshift) seeded with
/// `seed`: a stress run that fails can be replayed.
pub fn delays(seed: u64, count: usize, max: Duration) -> impl Iterator<Item = Duration> {
    let max = max.as_micros() as u64;
    (0..count).scan(seed, move |state, _| {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        Some(Duration::from_micros(*state % max))
    })
}
