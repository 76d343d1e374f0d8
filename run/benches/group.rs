//! The cost of a [`run::Group`] next to hand-written tokio and its peer crate, on
//! the fan-out work: `N` actors, `N - 1` idle ones that wait for their interruption plus one
//! that exits at once. One run is the whole life of the group: start (adding the actors
//! included) + first exit + interrupt all + join. Compared side by side, in one run:
//!
//! - `group_spawn`: [`run::Group::spawn`] of closures awaiting [`run::Context::interrupted`];
//! - `group_add`: oklog's [`run::Group::add`], execute awaiting a shared token, interrupt
//!   cancelling it;
//! - `joinset`: a `JoinSet` and one `CancellationToken`, joined with `join_next`;
//! - `tasktracker`: a `TaskTracker` and one `CancellationToken`, `close` + `wait`;
//! - `graceful`: tokio-graceful-shutdown, one subsystem per actor.
//!
//! `cargo bench -p run-lifecycle --bench group` prints, in order (see BENCHMARKS.md at the
//! repository root for how to read them):
//!
//! 1. `heap`: allocations, bytes and idle live bytes per actor (a counting global allocator,
//!    slopes between 10k and 100k actors), and the whole run of a one-actor group;
//! 2. `faults`: minor page faults per run, groups of 10k actors run back to back;
//! 3. `latency`: shutdown latency at 10k idle actors, from the exit to the end of the run;
//! 4. `paired`: interleaved timing at N = 1, 100, 10k, 100k, as ratios to the faster baseline
//!    of the same round;
//! 5. `callgrind`: exact instruction counts per actor and for one actor (needs valgrind);
//! 6. divan's own timing of each variant (the distribution of each).
//!
//! All run on a multi-thread runtime with the default number of workers and on a
//! current-thread runtime (callgrind: current-thread only). `RUN_BENCH=heap,paired` picks
//! reports (`divan` names divan's part); by default all run. Under `cargo test --benches`
//! only divan's one-iteration check runs.

use divan::{Bencher, counter::ItemsCount};

// The crate root is this file, so the modules' paths are spelled out.
#[path = "group/callgrind.rs"]
mod callgrind;
#[path = "group/heap.rs"]
mod heap;
#[path = "group/paired.rs"]
mod paired;
#[path = "group/work.rs"]
mod work;

use work::{Variant, current_thread, fan_out, multi_thread};

#[global_allocator]
static ALLOCATOR: heap::CountingAlloc = heap::CountingAlloc;

/// Actors per group for divan.
const ACTORS: [usize; 4] = [1, 100, 10_000, 100_000];

fn main() {
    if callgrind::child() || heap::faults_child() {
        return;
    }
    // Like divan: without `--bench` (`cargo test --benches`), or with `--test` or `--list`,
    // only check that the benchmarks run; the reports are for `cargo bench`.
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|arg| arg == flag);
    let reporting = has("--bench") && !has("--test") && !has("--list");
    let chosen = std::env::var("RUN_BENCH").ok();
    let wants = |report: &str| {
        chosen
            .as_deref()
            .is_none_or(|chosen| chosen.split(',').any(|name| name.trim() == report))
    };
    if reporting {
        let reports: [(&str, fn()); 5] = [
            ("heap", heap::print),
            ("faults", heap::print_faults),
            ("latency", paired::print_latency),
            ("paired", paired::print),
            ("callgrind", callgrind::print),
        ];
        for (name, print) in reports {
            if wants(name) {
                print();
            }
        }
    }
    if !reporting || wants("divan") {
        divan::main();
    }
}

/// Times one run of `variant` with `actors` actors on `runtime`, counting every actor.
fn bench_on(
    bencher: Bencher<'_, '_>,
    runtime: tokio::runtime::Runtime,
    variant: Variant,
    actors: usize,
) {
    bencher
        .counter(ItemsCount::new(actors))
        .bench_local(|| runtime.block_on(fan_out::<false>(variant, actors)));
}

/// One divan module per runtime, one benchmark per variant; module names are the first level
/// of divan's table.
macro_rules! flavor {
    ($flavor:ident, $runtime:expr) => {
        mod $flavor {
            use super::*;

            #[divan::bench(args = ACTORS, max_time = 2)]
            fn group_spawn(bencher: Bencher<'_, '_>, actors: usize) {
                bench_on(bencher, $runtime, Variant::Spawn, actors);
            }

            #[divan::bench(args = ACTORS, max_time = 2)]
            fn group_add(bencher: Bencher<'_, '_>, actors: usize) {
                bench_on(bencher, $runtime, Variant::Add, actors);
            }

            #[divan::bench(args = ACTORS, max_time = 2)]
            fn joinset(bencher: Bencher<'_, '_>, actors: usize) {
                bench_on(bencher, $runtime, Variant::JoinSet, actors);
            }

            #[divan::bench(args = ACTORS, max_time = 2)]
            fn tasktracker(bencher: Bencher<'_, '_>, actors: usize) {
                bench_on(bencher, $runtime, Variant::Tracker, actors);
            }

            #[divan::bench(args = ACTORS, max_time = 2)]
            fn graceful(bencher: Bencher<'_, '_>, actors: usize) {
                bench_on(bencher, $runtime, Variant::Graceful, actors);
            }
        }
    };
}

flavor!(multi_thread, multi_thread());
flavor!(current_thread, current_thread());
