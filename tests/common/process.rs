//! A fixture binary run as a real process: its stdout read line by line, signals sent to
//! it, its status and stderr collected at the end.

use std::{
    io::{BufRead, BufReader, Lines, Read},
    path::PathBuf,
    process::{Child, ChildStdout, Command, Stdio},
    time::Duration,
};

/// Example `name`'s binary, as `cargo test` built it beside the tests (with their features
/// and profile), and its path. Built here with `cargo build --example` only when it is
/// missing (a run of some test targets only builds no example) or older than a source it is
/// made of: `cargo build` resolves the features of one package, not those of the whole
/// workspace's test run, and would rebuild the runtime and the example for nothing.
pub fn example(name: &str) -> PathBuf {
    // A test runs from target/<profile>/deps/; examples are in target/<profile>/examples/.
    let profile_dir = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .to_path_buf();
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let built = std::fs::metadata(&binary).and_then(|binary| binary.modified());
    let fresh = built.is_ok_and(|built| {
        let sources = [
            root.join("examples").join(format!("{name}.rs")),
            root.join("Cargo.toml"),
            root.join("Cargo.lock"),
            root.join("run/src"),
            root.join("run/Cargo.toml"),
            root.join("run-macros/src"),
            root.join("run-macros/Cargo.toml"),
        ];
        sources.iter().all(|source| newest(source) <= built)
    });
    if !fresh {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", name, "--manifest-path"])
            .arg(root.join("Cargo.toml"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    binary
}

/// The newest modification time of `path`, or of the files under it.
fn newest(path: &std::path::Path) -> std::time::SystemTime {
    let Ok(meta) = std::fs::metadata(path) else {
        return std::time::SystemTime::UNIX_EPOCH;
    };
    if !meta.is_dir() {
        return meta.modified().unwrap_or(std::time::SystemTime::UNIX_EPOCH);
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| newest(&entry.path()))
        .max()
        .unwrap_or(std::time::SystemTime::UNIX_EPOCH)
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
