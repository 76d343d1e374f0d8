//! The cost of a [`run::Group`] next to bare tokio (SPEC §6), on the fan-out work: `N` idle
//! actors that wait for their interruption plus one actor that exits at once. One iteration
//! is the whole life of the group: start (adding the actors included) + first exit +
//! interrupt all + join.
//!
//! - `run::Group`: each idle actor is a closure taking a [`Context`] that awaits
//!   [`Context::interrupted`]; the last actor returns `Ok(())` at once.
//! - bare tokio: a [`JoinSet`] and one [`CancellationToken`]; each idle task awaits
//!   `token.cancelled()`, the last task cancels the token; then `join_next` until empty.
//!
//! Run with `cargo bench -p run --bench group` (about a minute). It prints three things:
//!
//! 1. heap use per actor, measured by the counting global allocator below (divan's
//!    `AllocProfiler` does not count allocations made on tokio's worker threads). Per-actor
//!    figures are slopes between `N = 10_000` and `N = 100_000`, so the fixed cost of a run
//!    (the runtime, the group's bookkeeping) drops out. A third variant, `spawn + Vec`, is
//!    the floor both sit on: `tokio::spawn` of the same token-awaiting task, handles kept in
//!    a `Vec` (no `JoinSet`);
//! 2. a paired timing: both variants alternate, sample after sample, on the same runtime,
//!    and the ratio is the median of the per-pair ratios. On a shared machine whose load
//!    drifts this is the number to trust for "run / tokio": divan times one benchmark after
//!    the other, so a load change between them shows up as a difference between them;
//! 3. divan's timing of both variants for `N = 1, 100, 10_000, 100_000` (the distribution
//!    of each).
//!
//! All timings run on a multi-thread runtime with the default number of workers and on a
//! current-thread runtime, built once per measurement, outside the timed part. Under
//! `cargo test --benches` only divan's one-iteration check runs.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    convert::Infallible,
    future::Future,
    sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering},
};

use divan::{counter::ItemsCount, Bencher};
use run::{Context, Group};
use tokio::{
    runtime::{Builder, Runtime},
    sync::Notify,
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;

/// Idle actors per group; each group also has the one actor that exits.
const ACTORS: [usize; 4] = [1, 100, 10_000, 100_000];

fn main() {
    // Like divan: without `--bench` (`cargo test --benches`), or with `--test` or `--list`,
    // only check that the benchmarks run; the reports are for `cargo bench`.
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|arg| arg == flag);
    if has("--bench") && !has("--test") && !has("--list") {
        alloc_report::print();
        paired::print();
    }
    divan::main();
}

// ----------------------------------------------------------------------------------------
// The work.

/// `run::Group`: `idle` actors awaiting their interruption, then one that exits at once.
async fn group_fan_out(idle: usize) {
    let mut group = Group::new();
    for _ in 0..idle {
        group.spawn(|ctx: Context| async move {
            ctx.interrupted().await;
            Ok::<_, Infallible>(())
        });
    }
    group.spawn(|_ctx: Context| async { Ok::<_, Infallible>(()) });
    group.run().await.expect("the first exit is Ok");
}

/// Bare tokio: `idle` tasks awaiting one token, then one task that cancels it.
async fn tokio_fan_out(idle: usize) {
    let token = CancellationToken::new();
    let mut tasks = JoinSet::new();
    for _ in 0..idle {
        let token = token.clone();
        tasks.spawn(async move { token.cancelled().await });
    }
    tasks.spawn(async move { token.cancel() });
    while let Some(joined) = tasks.join_next().await {
        joined.expect("no task panics");
    }
}

fn multi_thread() -> Runtime {
    Builder::new_multi_thread()
        .build()
        .expect("a multi-thread runtime builds")
}

fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime builds")
}

// ----------------------------------------------------------------------------------------
// Timing (divan). Module names become the first level of divan's table.

/// Times `work(idle)` on `runtime`, counting every actor (the exiting one included).
fn bench_on<F: Future<Output = ()>>(
    bencher: Bencher<'_, '_>,
    runtime: Runtime,
    idle: usize,
    work: fn(usize) -> F,
) {
    bencher
        .counter(ItemsCount::new(idle + 1))
        .bench_local(|| runtime.block_on(work(idle)));
}

mod multi_thread {
    use super::*;

    #[divan::bench(args = ACTORS, max_time = 5)]
    fn run_group(bencher: Bencher<'_, '_>, idle: usize) {
        bench_on(bencher, multi_thread(), idle, group_fan_out);
    }

    #[divan::bench(args = ACTORS, max_time = 5)]
    fn tokio_joinset(bencher: Bencher<'_, '_>, idle: usize) {
        bench_on(bencher, multi_thread(), idle, tokio_fan_out);
    }
}

mod current_thread {
    use super::*;

    #[divan::bench(args = ACTORS, max_time = 5)]
    fn run_group(bencher: Bencher<'_, '_>, idle: usize) {
        bench_on(bencher, current_thread(), idle, group_fan_out);
    }

    #[divan::bench(args = ACTORS, max_time = 5)]
    fn tokio_joinset(bencher: Bencher<'_, '_>, idle: usize) {
        bench_on(bencher, current_thread(), idle, tokio_fan_out);
    }
}

// ----------------------------------------------------------------------------------------
// Paired timing.

mod paired {
    use std::time::{Duration, Instant};

    use super::*;

    /// Idle actors, iterations per sample, samples.
    const PLAN: [(usize, u32, usize); 4] = [
        (1, 200, 41),
        (100, 20, 41),
        (10_000, 1, 61),
        (100_000, 1, 21),
    ];

    fn time<F: Future<Output = ()>>(
        runtime: &Runtime,
        idle: usize,
        iterations: u32,
        work: fn(usize) -> F,
    ) -> Duration {
        let start = Instant::now();
        for _ in 0..iterations {
            runtime.block_on(work(idle));
        }
        start.elapsed() / iterations
    }

    fn median<T: PartialOrd + Copy>(mut values: Vec<T>) -> T {
        values.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
        values[values.len() / 2]
    }

    fn nanos_per_actor(time: Duration, idle: usize) -> f64 {
        time.as_nanos() as f64 / (idle + 1) as f64
    }

    pub(super) fn print() {
        println!("paired timing, median of samples (run::Group and bare tokio alternate)");
        println!(
            "{:<16} {:>8} {:>12} {:>12} {:>10} {:>10} {:>12}",
            "runtime", "N idle", "run_group", "tokio", "run ns/a", "tokio ns/a", "run / tokio"
        );
        for (flavor, runtime) in [
            ("multi_thread", multi_thread()),
            ("current_thread", current_thread()),
        ] {
            for (idle, iterations, samples) in PLAN {
                time(&runtime, idle, iterations, group_fan_out);
                time(&runtime, idle, iterations, tokio_fan_out);
                let mut group_times = Vec::with_capacity(samples);
                let mut tokio_times = Vec::with_capacity(samples);
                let mut ratios = Vec::with_capacity(samples);
                for sample in 0..samples {
                    // Alternate which goes first, so neither always inherits the other's
                    // freed memory.
                    let (group, tokio) = if sample % 2 == 0 {
                        let group = time(&runtime, idle, iterations, group_fan_out);
                        (group, time(&runtime, idle, iterations, tokio_fan_out))
                    } else {
                        let tokio = time(&runtime, idle, iterations, tokio_fan_out);
                        (time(&runtime, idle, iterations, group_fan_out), tokio)
                    };
                    group_times.push(group);
                    tokio_times.push(tokio);
                    ratios.push(group.as_secs_f64() / tokio.as_secs_f64());
                }
                let (group, tokio) = (median(group_times), median(tokio_times));
                println!(
                    "{flavor:<16} {idle:>8} {:>12} {:>12} {:>10.0} {:>10.0} {:>11.2}x",
                    format!("{group:.2?}"),
                    format!("{tokio:.2?}"),
                    nanos_per_actor(group, idle),
                    nanos_per_actor(tokio, idle),
                    median(ratios),
                );
            }
        }
        println!();
    }
}

// ----------------------------------------------------------------------------------------
// Allocations and memory.

/// Counts heap use while [`COUNTING`] is set, from every thread. Outside the allocation
/// report it costs one relaxed load per call, so it does not skew the timings.
struct CountingAlloc;

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

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

mod alloc_report {
    use super::*;

    /// Per-actor heap use of one variant.
    struct PerActor {
        allocations: f64,
        bytes: f64,
        idle_bytes: f64,
        /// One whole run with a single idle actor: the fixed cost a small group pays.
        one_allocations: u64,
        one_bytes: u64,
    }

    /// Lets the measuring code see when every idle actor has started and is about to wait,
    /// then lets the exiting actor go. A static, so the gated actors capture nothing and
    /// their futures are exactly the size of the timed ones.
    struct Gate {
        expected: AtomicUsize,
        started: AtomicUsize,
        all_started: Notify,
        release: Notify,
    }

    static GATE: Gate = Gate {
        expected: AtomicUsize::new(0),
        started: AtomicUsize::new(0),
        all_started: Notify::const_new(),
        release: Notify::const_new(),
    };

    impl Gate {
        /// Called before any actor starts; the measurements run one at a time.
        fn open(&self, idle: usize) {
            self.expected.store(idle, Ordering::Relaxed);
            self.started.store(0, Ordering::Relaxed);
        }

        fn arrive(&self) {
            let started = self.started.fetch_add(1, Ordering::AcqRel) + 1;
            if started == self.expected.load(Ordering::Relaxed) {
                self.all_started.notify_one();
            }
        }

        /// Waits until every idle actor has arrived, reads the live bytes, releases the
        /// exit.
        async fn measure(&self) -> i64 {
            if self.expected.load(Ordering::Relaxed) > 0 {
                self.all_started.notified().await;
            }
            // An arrived actor is one poll away from its wait; its task was allocated whole
            // at spawn and the wait allocates nothing, so the reading is its idle cost.
            let live = LIVE_BYTES.load(Ordering::Relaxed);
            self.release.notify_one();
            live
        }
    }

    /// [`group_fan_out`], with the exit held back until the idle memory is read.
    async fn group_gated(idle: usize) -> i64 {
        GATE.open(idle);
        let mut group = Group::new();
        for _ in 0..idle {
            group.spawn(|ctx: Context| async move {
                GATE.arrive();
                ctx.interrupted().await;
                Ok::<_, Infallible>(())
            });
        }
        group.spawn(|_ctx: Context| async {
            GATE.release.notified().await;
            Ok::<_, Infallible>(())
        });
        let (result, idle_bytes) = tokio::join!(group.run(), GATE.measure());
        result.expect("the first exit is Ok");
        idle_bytes
    }

    /// [`tokio_fan_out`], with the exit held back until the idle memory is read.
    async fn tokio_gated(idle: usize) -> i64 {
        GATE.open(idle);
        let token = CancellationToken::new();
        let mut tasks = JoinSet::new();
        for _ in 0..idle {
            let token = token.clone();
            tasks.spawn(async move {
                GATE.arrive();
                token.cancelled().await;
            });
        }
        tasks.spawn(async move {
            GATE.release.notified().await;
            token.cancel();
        });
        let idle_bytes = GATE.measure().await;
        while let Some(joined) = tasks.join_next().await {
            joined.expect("no task panics");
        }
        idle_bytes
    }

    /// The floor: `tokio::spawn` of the same tasks, handles in a `Vec`, no `JoinSet`.
    async fn spawn_vec_gated(idle: usize) -> i64 {
        GATE.open(idle);
        let token = CancellationToken::new();
        let mut handles = Vec::new();
        for _ in 0..idle {
            let token = token.clone();
            handles.push(tokio::spawn(async move {
                GATE.arrive();
                token.cancelled().await;
            }));
        }
        handles.push(tokio::spawn(async move {
            GATE.release.notified().await;
            token.cancel();
        }));
        let idle_bytes = GATE.measure().await;
        for handle in handles {
            handle.await.expect("no task panics");
        }
        idle_bytes
    }

    /// The floor, ungated: [`tokio_fan_out`] with `tokio::spawn` and a `Vec` of handles.
    async fn spawn_vec_fan_out(idle: usize) {
        let token = CancellationToken::new();
        let mut handles = Vec::new();
        for _ in 0..idle {
            let token = token.clone();
            handles.push(tokio::spawn(async move { token.cancelled().await }));
        }
        handles.push(tokio::spawn(async move { token.cancel() }));
        for handle in handles {
            handle.await.expect("no task panics");
        }
    }

    /// Runs `work` with counting on: its allocations, its bytes, and its output.
    fn counted<T>(runtime: &Runtime, work: impl Future<Output = T>) -> (u64, u64, T) {
        ALLOCATIONS.store(0, Ordering::Relaxed);
        ALLOCATED_BYTES.store(0, Ordering::Relaxed);
        LIVE_BYTES.store(0, Ordering::Relaxed);
        COUNTING.store(true, Ordering::Relaxed);
        let output = runtime.block_on(work);
        COUNTING.store(false, Ordering::Relaxed);
        let allocations = ALLOCATIONS.load(Ordering::Relaxed);
        (allocations, ALLOCATED_BYTES.load(Ordering::Relaxed), output)
    }

    /// Allocations and bytes are counted on the timed work itself, idle bytes on its gated
    /// copy.
    fn per_actor<W, G>(runtime: &Runtime, work: fn(usize) -> W, gated: fn(usize) -> G) -> PerActor
    where
        W: Future<Output = ()>,
        G: Future<Output = i64>,
    {
        const SMALL: usize = 10_000;
        const LARGE: usize = 100_000;
        // Warm up: first-use allocations (the panic hook, the runtime's lazily grown
        // buffers) are not the actors'.
        runtime.block_on(work(LARGE));
        runtime.block_on(gated(LARGE));
        let (small_allocations, small_bytes, ()) = counted(runtime, work(SMALL));
        let (large_allocations, large_bytes, ()) = counted(runtime, work(LARGE));
        let (one_allocations, one_bytes, ()) = counted(runtime, work(1));
        let (_, _, small_idle) = counted(runtime, gated(SMALL));
        let (_, _, large_idle) = counted(runtime, gated(LARGE));
        let actors = (LARGE - SMALL) as f64;
        PerActor {
            allocations: (large_allocations - small_allocations) as f64 / actors,
            bytes: (large_bytes - small_bytes) as f64 / actors,
            idle_bytes: (large_idle - small_idle) as f64 / actors,
            one_allocations,
            one_bytes,
        }
    }

    pub(super) fn print() {
        println!("heap: per actor = slope between 10k and 100k idle actors; whole run at N = 1");
        println!(
            "{:<16} {:<16} {:>12} {:>12} {:>12} {:>12} {:>12}",
            "runtime",
            "variant",
            "allocs/actor",
            "bytes/actor",
            "idle B/actor",
            "allocs N=1",
            "bytes N=1"
        );
        for (flavor, runtime) in [
            ("multi_thread", multi_thread()),
            ("current_thread", current_thread()),
        ] {
            let rows = [
                ("run_group", per_actor(&runtime, group_fan_out, group_gated)),
                (
                    "tokio_joinset",
                    per_actor(&runtime, tokio_fan_out, tokio_gated),
                ),
                (
                    "spawn + Vec",
                    per_actor(&runtime, spawn_vec_fan_out, spawn_vec_gated),
                ),
            ];
            for (variant, usage) in &rows {
                println!(
                    "{flavor:<16} {variant:<16} {:>12.2} {:>12.1} {:>12.1} {:>12} {:>12}",
                    usage.allocations,
                    usage.bytes,
                    usage.idle_bytes,
                    usage.one_allocations,
                    usage.one_bytes,
                );
            }
            let (group, joinset) = (&rows[0].1, &rows[1].1);
            println!(
                "{flavor:<16} {:<16} {:>+12.2} {:>+12.1} {:>+12.1} {:>+12} {:>+12}",
                "run - joinset",
                group.allocations - joinset.allocations,
                group.bytes - joinset.bytes,
                group.idle_bytes - joinset.idle_bytes,
                group.one_allocations as i64 - joinset.one_allocations as i64,
                group.one_bytes as i64 - joinset.one_bytes as i64,
            );
        }
        println!();
    }
}
