//! Heap use per actor, counted by a global allocator that sees every thread (divan's
//! `AllocProfiler` does not count allocations made on tokio's worker threads), and page
//! faults per run, read from `/proc/self/stat`.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering},
};

use tokio::runtime::Runtime;

use super::work::{Variant, fan_out, gated, runtimes};

/// Counts heap use while [`COUNTING`] is set, from every thread. Outside the heap report it
/// costs one relaxed load per call, so it does not skew the timings.
pub(crate) struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
/// Calls that allocated: `alloc`, `alloc_zeroed`, and `realloc` that grows.
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
/// Bytes those calls asked for (for a growing `realloc`, the growth).
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);
/// Bytes allocated minus bytes freed since counting started.
static LIVE_BYTES: AtomicI64 = AtomicI64::new(0);

impl CountingAlloc {
    fn grew(size: usize) {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
            ALLOCATED_BYTES.fetch_add(size as u64, Ordering::Relaxed);
            LIVE_BYTES.fetch_add(size as i64, Ordering::Relaxed);
        }
    }

    fn shrank(size: usize) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE_BYTES.fetch_sub(size as i64, Ordering::Relaxed);
        }
    }
}

// SAFETY: every call is forwarded unchanged to `System`; the counters only observe.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::grew(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::grew(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::shrank(layout.size());
        // SAFETY: `ptr` was allocated by `System` with `layout` (all calls go through here).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match new_size.checked_sub(layout.size()) {
            Some(0) => {}
            Some(growth) => Self::grew(growth),
            None => Self::shrank(layout.size() - new_size),
        }
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract on `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Starts counting from zero.
fn start() {
    ALLOCATIONS.store(0, Ordering::Relaxed);
    ALLOCATED_BYTES.store(0, Ordering::Relaxed);
    LIVE_BYTES.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
}

/// Stops counting: the allocations and bytes since [`start`].
fn stop() -> (u64, u64) {
    COUNTING.store(false, Ordering::Relaxed);
    (
        ALLOCATIONS.load(Ordering::Relaxed),
        ALLOCATED_BYTES.load(Ordering::Relaxed),
    )
}

/// Allocations and bytes of one timed run.
fn counted(runtime: &Runtime, variant: Variant, actors: usize) -> (u64, u64) {
    start();
    runtime.block_on(fan_out::<false>(variant, actors));
    stop()
}

/// Live heap bytes at the idle point of one gated run.
fn idle_bytes(runtime: &Runtime, variant: Variant, actors: usize) -> i64 {
    start();
    let (live, _) = gated(runtime, variant, actors, || {
        LIVE_BYTES.load(Ordering::Relaxed)
    });
    stop();
    live
}

/// Per-actor heap use of one variant.
struct PerActor {
    allocations: f64,
    bytes: f64,
    idle_bytes: f64,
    /// One whole run of a group of one actor: what a small group pays.
    one_allocations: u64,
    one_bytes: u64,
}

/// Per-actor figures are slopes between 10k and 100k actors, so the fixed cost of a run
/// (the runtime, the group's bookkeeping) drops out.
fn per_actor(runtime: &Runtime, variant: Variant) -> PerActor {
    const SMALL: usize = 10_000;
    const LARGE: usize = 100_000;
    // Warm up: first-use allocations (the panic hook, the runtime's lazily grown buffers)
    // are not the actors'.
    runtime.block_on(fan_out::<false>(variant, LARGE));
    gated(runtime, variant, LARGE, || ());
    let (small_allocations, small_bytes) = counted(runtime, variant, SMALL);
    let (large_allocations, large_bytes) = counted(runtime, variant, LARGE);
    let (one_allocations, one_bytes) = counted(runtime, variant, 1);
    let small_idle = idle_bytes(runtime, variant, SMALL);
    let large_idle = idle_bytes(runtime, variant, LARGE);
    let actors = (LARGE - SMALL) as f64;
    PerActor {
        allocations: (large_allocations - small_allocations) as f64 / actors,
        bytes: (large_bytes - small_bytes) as f64 / actors,
        idle_bytes: (large_idle - small_idle) as f64 / actors,
        one_allocations,
        one_bytes,
    }
}

pub(crate) fn print() {
    println!("## heap: per actor = slope between 10k and 100k actors; whole run of 1 actor");
    println!(
        "{:<16} {:<12} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "runtime",
        "variant",
        "allocs/actor",
        "bytes/actor",
        "idle B/actor",
        "allocs N=1",
        "bytes N=1"
    );
    for (flavor, runtime) in runtimes() {
        for variant in Variant::ALL {
            let usage = per_actor(&runtime, variant);
            println!(
                "{flavor:<16} {:<12} {:>12.2} {:>12.1} {:>12.1} {:>10} {:>10}",
                variant.name(),
                usage.allocations,
                usage.bytes,
                usage.idle_bytes,
                usage.one_allocations,
                usage.one_bytes,
            );
        }
    }
    println!();
}

// ----------------------------------------------------------------------------------------
// Page faults.

/// Minor page faults of the whole process so far (all threads): field 10 of
/// `/proc/self/stat`, counted after the command name, which may hold spaces.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    after_name.split(' ').nth(7)?.parse().ok()
}

/// Set in a child process that measures faults: `variant,flavor`.
const FAULTS_CHILD: &str = "RUN_BENCH_FAULTS_CHILD";
const FAULTS_ACTORS: usize = 10_000;
const FAULTS_RUNS: u32 = 20;

/// In a child process: prints the minor faults per run, over [`FAULTS_RUNS`] runs back to
/// back after two warm-up runs (the cost of a heap returned to the system and faulted back).
/// Returns whether this process was such a child.
pub(crate) fn faults_child() -> bool {
    let Ok(spec) = std::env::var(FAULTS_CHILD) else {
        return false;
    };
    let (variant, flavor) = spec.split_once(',').expect("variant,flavor");
    let variant = Variant::parse(variant).expect("a known variant");
    let runtime = match flavor {
        "multi_thread" => super::work::multi_thread(),
        _ => super::work::current_thread(),
    };
    for _ in 0..2 {
        runtime.block_on(fan_out::<false>(variant, FAULTS_ACTORS));
    }
    let faults = minor_faults().map(|before| {
        for _ in 0..FAULTS_RUNS {
            runtime.block_on(fan_out::<false>(variant, FAULTS_ACTORS));
        }
        (minor_faults().expect("read before") - before) as f64 / f64::from(FAULTS_RUNS)
    });
    match faults {
        Some(faults) => println!("{faults}"),
        None => println!("none"),
    }
    true
}

/// Faults per run of `variant` on `flavor`, in a fresh process, so that no other variant's
/// heap history (a raised trim threshold) changes the figure.
fn faults_per_run(variant: Variant, flavor: &str) -> Option<f64> {
    let output = std::process::Command::new(std::env::current_exe().ok()?)
        .env(FAULTS_CHILD, format!("{},{flavor}", variant.name()))
        .stderr(std::process::Stdio::inherit())
        .output()
        .ok()?;
    String::from_utf8(output.stdout).ok()?.trim().parse().ok()
}

pub(crate) fn print_faults() {
    println!(
        "## page faults: minor faults per run, {FAULTS_RUNS} runs of {FAULTS_ACTORS} actors \
         back to back, each variant in a fresh process"
    );
    println!(
        "{:<16} {:<12} {:>12} {:>14}",
        "runtime", "variant", "faults/run", "vs faster base"
    );
    for flavor in ["multi_thread", "current_thread"] {
        let rows: Vec<(Variant, Option<f64>)> = Variant::ALL
            .into_iter()
            .map(|variant| (variant, faults_per_run(variant, flavor)))
            .collect();
        let best = rows
            .iter()
            .filter(|(variant, _)| variant.is_baseline())
            .filter_map(|(_, faults)| *faults)
            .fold(f64::INFINITY, f64::min);
        for (variant, faults) in rows {
            match faults {
                Some(faults) => println!(
                    "{flavor:<16} {:<12} {faults:>12.1} {:>14}",
                    variant.name(),
                    // The baselines fault almost never: a difference says more than a ratio.
                    format!("{:+.1}", faults - best),
                ),
                None => println!("{flavor:<16} {:<12} (no /proc/self/stat)", variant.name()),
            }
        }
    }
    println!();
}
