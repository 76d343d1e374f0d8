//! Interleaved timing: every variant runs once per round, in a rotating order, on the same
//! runtime, and each figure is a ratio to the faster hand-written baseline *of the same
//! round*. On a shared machine whose load drifts this is the number to trust: divan times one
//! benchmark after the other, so a load change between them shows up as a difference between
//! them.

use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use super::work::{Variant, fan_out, gated, runtimes};

/// Actors per group, iterations per sample, rounds.
const PLAN: [(usize, u32, usize); 4] = [
    (1, 200, 31),
    (100, 20, 31),
    (10_000, 1, 31),
    (100_000, 1, 11),
];

fn time(runtime: &Runtime, variant: Variant, actors: usize, iterations: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        runtime.block_on(fan_out::<false>(variant, actors));
    }
    start.elapsed() / iterations
}

/// The value at quantile `q` (0.0 to 1.0), nearest rank.
pub(crate) fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Runs `sample(variant)` for every variant, `rounds` times, rotating the order; returns the
/// samples of each variant (in [`Variant::ALL`] order) and, per round, each one's ratio to
/// the faster baseline of that round.
fn rounds(rounds: usize, mut sample: impl FnMut(Variant) -> f64) -> [(Vec<f64>, Vec<f64>); 5] {
    let mut results: [(Vec<f64>, Vec<f64>); 5] = Default::default();
    for round in 0..rounds {
        let mut this_round = [0.0; 5];
        for turn in 0..Variant::ALL.len() {
            let at = (round + turn) % Variant::ALL.len();
            this_round[at] = sample(Variant::ALL[at]);
        }
        let best = (Variant::ALL.iter().zip(this_round))
            .filter(|(variant, _)| variant.is_baseline())
            .map(|(_, value)| value)
            .fold(f64::INFINITY, f64::min);
        for (at, value) in this_round.into_iter().enumerate() {
            results[at].0.push(value);
            results[at].1.push(value / best);
        }
    }
    results
}

fn header(what: &str) {
    println!(
        "{:<16} {:>8} {:<12} {:>12} {:>10} {:>8} {:>15}",
        "runtime", "N", "variant", what, "ns/actor", "ratio", "ratio p10-p90"
    );
}

fn row(flavor: &str, actors: usize, variant: Variant, samples: &[f64], ratios: &[f64]) {
    let median = quantile(samples, 0.5);
    println!(
        "{flavor:<16} {actors:>8} {:<12} {:>12} {:>10.0} {:>7.2}x {:>15}",
        variant.name(),
        format!("{:.2?}", Duration::from_secs_f64(median)),
        median * 1e9 / actors as f64,
        quantile(ratios, 0.5),
        format!("{:.2}-{:.2}", quantile(ratios, 0.1), quantile(ratios, 0.9)),
    );
}

pub(crate) fn print() {
    println!(
        "## fan-out, interleaved: median time of a run; ratio = median over rounds of (time / \
         faster baseline's time in the same round)"
    );
    header("time/run");
    for (flavor, runtime) in runtimes() {
        for (actors, iterations, count) in PLAN {
            for variant in Variant::ALL {
                time(&runtime, variant, actors, iterations);
            }
            let results = rounds(count, |variant| {
                time(&runtime, variant, actors, iterations).as_secs_f64()
            });
            for (variant, (samples, ratios)) in Variant::ALL.into_iter().zip(&results) {
                row(flavor, actors, variant, samples, ratios);
            }
        }
    }
    println!();
}

pub(crate) fn print_latency() {
    const ACTORS: usize = 10_000;
    const ROUNDS: usize = 31;
    println!(
        "## shutdown latency: from the exit of the trigger actor to the end of the run, \
         {ACTORS} idle actors, {ROUNDS} rounds"
    );
    header("latency");
    for (flavor, runtime) in runtimes() {
        for variant in Variant::ALL {
            gated(&runtime, variant, ACTORS, || ());
        }
        let results = rounds(ROUNDS, |variant| {
            gated(&runtime, variant, ACTORS, || ()).1.as_secs_f64()
        });
        for (variant, (samples, ratios)) in Variant::ALL.into_iter().zip(&results) {
            row(flavor, ACTORS, variant, samples, ratios);
        }
    }
    println!();
}
