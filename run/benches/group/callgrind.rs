//! Exact instruction counts: the bench binary runs itself under
//! `valgrind --tool=callgrind`, once per variant and size, collecting only inside
//! [`measured_run`] (after a warm-up run), on a current-thread runtime so that every
//! instruction of the run is on the collected thread. Counts repeat exactly for the same
//! binary whatever the machine's load, so a regression cannot hide in noise.

use std::{hint::black_box, process::Command};

use tokio::runtime::Runtime;

use super::work::{Variant, current_thread, fan_out};

/// Set in the child: `variant,actors`.
const CHILD: &str = "RUN_BENCH_CALLGRIND_CHILD";

/// In the child: runs the work once to warm up, then once inside [`measured_run`]. Returns
/// whether this process was the child.
pub(crate) fn child() -> bool {
    let Ok(spec) = std::env::var(CHILD) else {
        return false;
    };
    let (variant, actors) = spec.split_once(',').expect("variant,actors");
    let variant = Variant::parse(variant).expect("a known variant");
    let actors: usize = actors.parse().expect("a number of actors");
    let runtime = current_thread();
    runtime.block_on(fan_out::<false>(variant, actors.min(1_000)));
    measured_run(&runtime, variant, actors);
    true
}

/// The only function whose instructions are counted (`--toggle-collect`).
#[inline(never)]
fn measured_run(runtime: &Runtime, variant: Variant, actors: usize) {
    runtime.block_on(fan_out::<false>(black_box(variant), black_box(actors)));
}

/// Instructions of one measured run, or why there are none.
fn instructions(variant: Variant, actors: usize) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let out = std::env::temp_dir().join(format!(
        "run-bench-callgrind-{}-{}-{actors}.out",
        std::process::id(),
        variant.name()
    ));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--toggle-collect=*measured_run*")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&exe)
        .env(CHILD, format!("{},{actors}", variant.name()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|error| format!("valgrind not started: {error}"))?;
    if !status.success() {
        return Err(format!("valgrind failed: {status}"));
    }
    let report = std::fs::read_to_string(&out).map_err(|error| error.to_string())?;
    let _ = std::fs::remove_file(&out);
    report
        .lines()
        .find_map(|line| line.strip_prefix("totals:"))
        .and_then(|totals| totals.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| "no totals in the callgrind output".to_string())
}

pub(crate) fn print() {
    const SMALL: usize = 10_000;
    const LARGE: usize = 100_000;
    println!(
        "## instructions (callgrind, current_thread): per actor = slope between {SMALL} and \
         {LARGE} actors; whole run of 1 actor"
    );
    println!(
        "{:<12} {:>12} {:>8} {:>12} {:>8}",
        "variant", "Ir/actor", "ratio", "Ir N=1", "ratio"
    );
    let mut rows = Vec::new();
    for variant in Variant::ALL {
        let counts = (|| {
            let one = instructions(variant, 1)?;
            let small = instructions(variant, SMALL)?;
            let large = instructions(variant, LARGE)?;
            Ok::<_, String>(((large as f64 - small as f64) / (LARGE - SMALL) as f64, one))
        })();
        match counts {
            Ok(counts) => rows.push((variant, counts)),
            Err(error) => {
                println!("skipped: {error}");
                println!();
                return;
            }
        }
    }
    let best = |of: fn(&(f64, u64)) -> f64| {
        rows.iter()
            .filter(|(variant, _)| variant.is_baseline())
            .map(|(_, counts)| of(counts))
            .fold(f64::INFINITY, f64::min)
    };
    let (best_slope, best_one) = (best(|counts| counts.0), best(|counts| counts.1 as f64));
    for (variant, (slope, one)) in &rows {
        println!(
            "{:<12} {slope:>12.0} {:>7.2}x {one:>12} {:>7.2}x",
            variant.name(),
            slope / best_slope,
            *one as f64 / best_one,
        );
    }
    println!();
}
