//! The cost of a request that fans out: `k` tasks that each take one trivial async step
//! (`yield_now`, then a reply). What a server pays per request when it runs a
//! [`run::TaskGroup`] per request, next to hand-written tokio. Two shapes of request (the
//! `case` column: `all/k`, `first/k`):
//!
//! - `all`: the request waits for every reply (k = 1, 3, 10, 100);
//! - `first`: the first task replies after its step, the others (slow backends) only wait
//!   to be cancelled; the request takes the first reply, cancels the rest and waits for
//!   them to end (k = 3, 10, 100). The `run` variants get the reply through a
//!   `tokio::sync::mpsc` channel, cancel with [`run::TaskGroup::cancel`]; `joinset` cancels
//!   its token at the first joined task.
//!
//! Compared side by side, in one run:
//!
//! - `task_group`: a [`run::TaskGroup`] per request (`builder`, `go` each task, `wait`);
//! - `task_group_pool`: the same on a [`run::Pool`] built once, outside the requests;
//! - `joinset`: a `JoinSet` and a `CancellationToken` per request, each task racing its work
//!   against the token, replies joined with `join_next` (the baseline of every ratio);
//! - `join`: a `Vec` of spawned `JoinHandle`s awaited in order, no token (`all` only);
//! - `one_actor_group`: a [`run::Group`] of one actor, run to its exit (`all/1` only);
//! - `graceful`: tokio-graceful-shutdown, a nested `request` subsystem per request with one
//!   child subsystem per task, joined (`all` only). Its requests run under one `Toplevel`
//!   per sample, whose cost is spread over the sample's requests (1000 / k, at least 10).
//!
//! A `TaskGroup` task returns `Result<(), E>`, so in `all` the `run` variants send their
//! replies through one shared `Arc<AtomicU64>` per request (one allocation the baselines
//! do not need: they get the replies back from their join handles); every variant returns
//! the sum of the replies (`all`) or the first reply (`first`), which the quick check
//! compares.
//!
//! `cargo bench -p run-lifecycle --bench task_group` prints (BENCHMARKS.md at the repository
//! root reads them):
//!
//! 1. `heap`: allocations and bytes per request, counted by a global allocator, and the sizes
//!    of each allocation of one request at k = 1 (current-thread);
//! 2. `paired`: interleaved timing, current-thread and multi-thread, each variant's median
//!    time per request and the median over rounds of its ratio to `joinset` in that round;
//! 3. `callgrind`: instructions per request, current-thread (needs valgrind); they repeat
//!    within 0.3 % between runs of the same binary.
//!
//! `RUN_BENCH=heap,paired` picks reports; by default all run. Without `--bench` (under
//! `cargo test --benches`) it only runs each variant once as a check.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    convert::Infallible,
    hint::black_box,
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use run::{Context, Group, Pool, TaskGroup};
use tokio::{
    runtime::{Builder, Runtime},
    task::{JoinSet, yield_now},
};
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle, Toplevel};
use tokio_util::sync::CancellationToken;

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// Tasks per request.
const KS: [usize; 4] = [1, 3, 10, 100];

/// How a request ends: with every reply, or with the first one (the others cancelled, and
/// waited for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    All,
    First,
}

/// One measured case: a shape and `k`, the tasks per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Case {
    shape: Shape,
    k: usize,
}

impl Case {
    /// In table order: every reply at each k, then the first reply at each k above 1.
    fn all() -> Vec<Case> {
        let all = KS.map(|k| Case {
            shape: Shape::All,
            k,
        });
        let first = KS[1..].iter().map(|&k| Case {
            shape: Shape::First,
            k,
        });
        all.into_iter().chain(first).collect()
    }

    fn name(self) -> String {
        let shape = match self.shape {
            Shape::All => "all",
            Shape::First => "first",
        };
        format!("{shape}/{}", self.k)
    }

    fn parse(name: &str) -> Option<Case> {
        Case::all().into_iter().find(|case| case.name() == name)
    }

    /// What a request returns: the sum of every reply, or the first reply.
    fn expected(self) -> u64 {
        match self.shape {
            Shape::All => (self.k * (self.k + 1) / 2) as u64,
            Shape::First => 1,
        }
    }
}

/// What is compared, in table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    TaskGroup,
    TaskGroupPool,
    JoinSet,
    Join,
    OneActorGroup,
    Graceful,
}

impl Variant {
    const ALL: [Variant; 6] = [
        Variant::TaskGroup,
        Variant::TaskGroupPool,
        Variant::JoinSet,
        Variant::Join,
        Variant::OneActorGroup,
        Variant::Graceful,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::TaskGroup => "task_group",
            Variant::TaskGroupPool => "task_group_pool",
            Variant::JoinSet => "joinset",
            Variant::Join => "join",
            Variant::OneActorGroup => "one_actor_group",
            Variant::Graceful => "graceful",
        }
    }

    fn parse(name: &str) -> Option<Variant> {
        Variant::ALL
            .into_iter()
            .find(|variant| variant.name() == name)
    }

    /// The variants measured in `case`: a one-actor group only at k = 1, and the first
    /// reply has no natural form with handles awaited in order.
    fn at(case: Case) -> Vec<Variant> {
        Variant::ALL
            .into_iter()
            .filter(|variant| match variant {
                Variant::OneActorGroup => case.k == 1 && case.shape == Shape::All,
                Variant::Join | Variant::Graceful => case.shape == Shape::All,
                _ => true,
            })
            .collect()
    }
}

// ----------------------------------------------------------------------------------------
// The work.

/// One task's work: one trivial async step, then its reply.
async fn work(i: usize) -> u64 {
    yield_now().await;
    i as u64 + 1
}

/// A runtime with the pool the `task_group_pool` variant runs on, built once.
struct Bench {
    runtime: Runtime,
    pool: Pool,
}

impl Bench {
    fn new(runtime: Runtime) -> Bench {
        let pool = runtime.block_on(async {
            Pool::builder()
                .max(1_000)
                .idle(Duration::from_secs(3_600))
                .build()
                .expect("a pool builds")
        });
        Bench { runtime, pool }
    }

    fn current_thread() -> Bench {
        Bench::new(
            Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime builds"),
        )
    }

    fn multi_thread() -> Bench {
        Bench::new(
            Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("a multi-thread runtime builds"),
        )
    }

    /// `requests` requests of `variant` in `case`, one after the other; returns the last
    /// one's reply. For `graceful`, inside one `Toplevel` whose root subsystem makes them.
    fn requests(&self, variant: Variant, case: Case, requests: usize) -> u64 {
        self.runtime.block_on(async {
            let mut last = 0;
            if variant == Variant::Graceful {
                let last = Arc::new(AtomicU64::new(0));
                let reply = last.clone();
                Toplevel::new(async move |root: &mut SubsystemHandle| {
                    for _ in 0..requests {
                        let sum = graceful(root, case.k).await;
                        debug_assert_eq!(sum, case.expected());
                        reply.store(black_box(sum), Ordering::Relaxed);
                    }
                    root.request_shutdown();
                })
                .handle_shutdown_requests(Duration::from_secs(600))
                .await
                .expect("no subsystem fails");
                return last.load(Ordering::Relaxed);
            }
            for _ in 0..requests {
                last = request(variant, case, &self.pool).await;
                debug_assert_eq!(last, case.expected());
                black_box(last);
            }
            last
        })
    }
}

/// One request of `case`: the sum of every reply, or the first reply.
async fn request(variant: Variant, case: Case, pool: &Pool) -> u64 {
    match case.shape {
        Shape::All => every_reply(variant, case.k, pool).await,
        Shape::First => first_reply(variant, case.k, pool).await,
    }
}

/// `k` tasks, then every reply; returns the sum of the replies.
async fn every_reply(variant: Variant, k: usize, pool: &Pool) -> u64 {
    match variant {
        Variant::TaskGroup | Variant::TaskGroupPool => {
            let group = task_group(variant, pool);
            let sum = Arc::new(AtomicU64::new(0));
            for i in 0..k {
                let sum = sum.clone();
                group
                    .go(move |_ctx: Context| async move {
                        sum.fetch_add(work(i).await, Ordering::Relaxed);
                        Ok::<_, Infallible>(())
                    })
                    .await
                    .expect("the group takes the task");
            }
            group.wait().await.expect("no task fails");
            sum.load(Ordering::Relaxed)
        }
        Variant::JoinSet => {
            let token = CancellationToken::new();
            let mut tasks = JoinSet::new();
            for i in 0..k {
                let token = token.clone();
                tasks.spawn(async move {
                    tokio::select! {
                        reply = work(i) => Some(reply),
                        () = token.cancelled() => None,
                    }
                });
            }
            let mut sum = 0;
            while let Some(joined) = tasks.join_next().await {
                match joined {
                    Ok(Some(reply)) => sum += reply,
                    // A failed task would cancel the others, as a group does.
                    _ => token.cancel(),
                }
            }
            sum
        }
        Variant::Join => {
            let handles: Vec<_> = (0..k).map(|i| tokio::spawn(work(i))).collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.expect("no task panics");
            }
            sum
        }
        Variant::OneActorGroup => {
            assert_eq!(k, 1, "one actor");
            let sum = Arc::new(AtomicU64::new(0));
            let reply = sum.clone();
            let mut group = Group::new();
            group.spawn(move |_ctx: Context| async move {
                reply.fetch_add(work(0).await, Ordering::Relaxed);
                Ok::<_, Infallible>(())
            });
            group.run().await.expect("the actor exits Ok");
            sum.load(Ordering::Relaxed)
        }
        Variant::Graceful => unreachable!("made under a toplevel, in `Bench::requests`"),
    }
}

/// One request as tokio-graceful-shutdown's nested subsystems: a `request` subsystem under
/// `parent` with one child subsystem per task, joined; returns the sum of the replies.
async fn graceful(parent: &SubsystemHandle, k: usize) -> u64 {
    let sum = Arc::new(AtomicU64::new(0));
    let replies = sum.clone();
    let request = parent.start(SubsystemBuilder::new(
        "request",
        async move |handle: &mut SubsystemHandle| {
            for i in 0..k {
                let replies = replies.clone();
                handle.start(SubsystemBuilder::new(
                    "task",
                    async move |_: &mut SubsystemHandle| {
                        replies.fetch_add(work(i).await, Ordering::Relaxed);
                        Ok::<_, Infallible>(())
                    },
                ));
            }
            Ok::<_, Infallible>(())
        },
    ));
    request.join().await.expect("no subsystem fails");
    sum.load(Ordering::Relaxed)
}

/// A task group for one request, on `pool` for [`Variant::TaskGroupPool`].
fn task_group(variant: Variant, pool: &Pool) -> TaskGroup {
    let builder = TaskGroup::builder();
    let builder = if variant == Variant::TaskGroupPool {
        builder.pool(pool)
    } else {
        builder
    };
    builder.build().expect("the group builds")
}

/// `k` tasks of which the first replies after one step and the others only when cancelled
/// (slow backends): returns the first reply once every task has ended.
async fn first_reply(variant: Variant, k: usize, pool: &Pool) -> u64 {
    match variant {
        Variant::TaskGroup | Variant::TaskGroupPool => {
            let group = task_group(variant, pool);
            let (send, mut replies) = tokio::sync::mpsc::channel(1);
            for i in 0..k {
                let send = send.clone();
                group
                    .go(move |ctx: Context| async move {
                        if i == 0 {
                            let _ = send.send(work(i).await).await;
                        } else {
                            ctx.interrupted().await;
                        }
                        Ok::<_, Infallible>(())
                    })
                    .await
                    .expect("the group takes the task");
            }
            let reply = replies.recv().await.expect("a reply");
            group.cancel();
            let _cancelled = group.wait().await;
            reply
        }
        Variant::JoinSet => {
            let token = CancellationToken::new();
            let mut tasks = JoinSet::new();
            for i in 0..k {
                let token = token.clone();
                tasks.spawn(async move {
                    tokio::select! {
                        reply = async {
                            if i == 0 {
                                work(i).await
                            } else {
                                std::future::pending().await
                            }
                        } => Some(reply),
                        () = token.cancelled() => None,
                    }
                });
            }
            let mut first = None;
            while let Some(joined) = tasks.join_next().await {
                if let Ok(Some(reply)) = joined {
                    first.get_or_insert(reply);
                }
                token.cancel();
            }
            first.expect("a reply")
        }
        Variant::Join | Variant::OneActorGroup | Variant::Graceful => {
            unreachable!("not measured for a first reply")
        }
    }
}

// ----------------------------------------------------------------------------------------
// Main.

fn main() {
    if callgrind_child() {
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|arg| arg == flag);
    if !has("--bench") || has("--test") || has("--list") {
        check();
        return;
    }
    let chosen = std::env::var("RUN_BENCH").ok();
    let wants = |report: &str| {
        chosen
            .as_deref()
            .is_none_or(|chosen| chosen.split(',').any(|name| name.trim() == report))
    };
    let reports: [(&str, fn()); 3] = [
        ("heap", print_heap),
        ("paired", print_paired),
        ("callgrind", print_callgrind),
    ];
    for (name, print) in reports {
        if wants(name) {
            print();
        }
    }
}

/// The quick check of `cargo test --benches`: every variant once, on both runtimes, with the
/// right sum.
fn check() {
    for bench in [Bench::current_thread(), Bench::multi_thread()] {
        for case in Case::all() {
            for variant in Variant::at(case) {
                let reply = bench.requests(variant, case, 1);
                assert_eq!(
                    reply,
                    case.expected(),
                    "{} in {}",
                    variant.name(),
                    case.name()
                );
            }
        }
    }
    println!("task_group: every variant checked once");
}

/// Requests per sample or per count: about 1000 tasks' worth, at least 10 requests.
fn requests_for(k: usize) -> usize {
    (1_000 / k).max(10)
}

// ----------------------------------------------------------------------------------------
// Heap.

/// Counts heap use while [`COUNTING`] is set, from every thread.
struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);
/// The sizes of the first allocations counted, when [`RECORDING`] is set.
static SIZES: [AtomicUsize; 64] = [const { AtomicUsize::new(0) }; 64];
static RECORDING: AtomicBool = AtomicBool::new(false);

impl CountingAlloc {
    fn grew(size: usize) {
        if COUNTING.load(Ordering::Relaxed) {
            let at = ALLOCATIONS.fetch_add(1, Ordering::Relaxed) as usize;
            ALLOCATED_BYTES.fetch_add(size as u64, Ordering::Relaxed);
            if RECORDING.load(Ordering::Relaxed) && at < SIZES.len() {
                SIZES[at].store(size, Ordering::Relaxed);
            }
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
        // SAFETY: `ptr` was allocated by `System` with `layout` (all calls go through here).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if let Some(growth) = new_size.checked_sub(layout.size()).filter(|&g| g > 0) {
            Self::grew(growth);
        }
        // SAFETY: the caller upholds `realloc`'s contract, which `System` shares.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations and bytes per request, over `requests` requests after a warm-up.
fn counted(bench: &Bench, variant: Variant, case: Case, requests: usize) -> (f64, f64) {
    bench.requests(variant, case, requests);
    ALLOCATIONS.store(0, Ordering::Relaxed);
    ALLOCATED_BYTES.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    bench.requests(variant, case, requests);
    COUNTING.store(false, Ordering::Relaxed);
    let per = |total: u64| total as f64 / requests as f64;
    (
        per(ALLOCATIONS.load(Ordering::Relaxed)),
        per(ALLOCATED_BYTES.load(Ordering::Relaxed)),
    )
}

/// The sizes of the allocations of one request (after a warm-up), in order.
fn sizes(bench: &Bench, variant: Variant, case: Case) -> Vec<usize> {
    bench.requests(variant, case, 10);
    RECORDING.store(true, Ordering::Relaxed);
    counted(bench, variant, case, 1);
    RECORDING.store(false, Ordering::Relaxed);
    let count = (ALLOCATIONS.load(Ordering::Relaxed) as usize).min(SIZES.len());
    SIZES[..count]
        .iter()
        .map(|size| size.load(Ordering::Relaxed))
        .collect()
}

fn print_heap() {
    println!("## heap: allocations and bytes per request (mean over many requests)");
    println!(
        "{:<16} {:>8} {:<16} {:>12} {:>8} {:>12}",
        "runtime", "case", "variant", "allocs/req", "ratio", "bytes/req"
    );
    for (flavor, bench) in [
        ("current_thread", Bench::current_thread()),
        ("multi_thread", Bench::multi_thread()),
    ] {
        for case in Case::all() {
            let rows: Vec<_> = Variant::at(case)
                .into_iter()
                .map(|variant| {
                    (
                        variant,
                        counted(&bench, variant, case, requests_for(case.k)),
                    )
                })
                .collect();
            let base = rows
                .iter()
                .find(|(variant, _)| *variant == Variant::JoinSet)
                .map(|(_, (allocations, _))| *allocations)
                .expect("a baseline");
            for (variant, (allocations, bytes)) in rows {
                println!(
                    "{flavor:<16} {:>8} {:<16} {allocations:>12.2} {:>7.2}x {bytes:>12.0}",
                    case.name(),
                    variant.name(),
                    allocations / base,
                );
            }
        }
    }
    println!();
    println!(
        "## heap: the sizes in bytes of each allocation of one request, k = 1, current_thread"
    );
    let bench = Bench::current_thread();
    let one = Case {
        shape: Shape::All,
        k: 1,
    };
    // Not `graceful`: its one request would carry a whole `Toplevel`.
    for variant in Variant::at(one)
        .into_iter()
        .filter(|variant| *variant != Variant::Graceful)
    {
        println!("{:<16} {:?}", variant.name(), sizes(&bench, variant, one));
    }
    println!();
}

// ----------------------------------------------------------------------------------------
// Interleaved timing.

/// The value at quantile `q` (0.0 to 1.0), nearest rank.
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Seconds per request of `requests` requests.
fn time(bench: &Bench, variant: Variant, case: Case, requests: usize) -> f64 {
    let start = Instant::now();
    bench.requests(variant, case, requests);
    start.elapsed().as_secs_f64() / requests as f64
}

fn print_paired() {
    const ROUNDS: usize = 101;
    println!(
        "## time per request, interleaved: median over {ROUNDS} rounds; ratio = median over \
         rounds of (time / joinset's time in the same round)"
    );
    println!(
        "{:<16} {:>8} {:<16} {:>12} {:>8} {:>15}",
        "runtime", "case", "variant", "time/req", "ratio", "ratio p10-p90"
    );
    for (flavor, bench) in [
        ("current_thread", Bench::current_thread()),
        ("multi_thread", Bench::multi_thread()),
    ] {
        for case in Case::all() {
            let variants = Variant::at(case);
            let requests = requests_for(case.k);
            for &variant in &variants {
                time(&bench, variant, case, requests);
            }
            let base_at = variants
                .iter()
                .position(|variant| *variant == Variant::JoinSet)
                .expect("a baseline");
            let mut samples = vec![Vec::new(); variants.len()];
            let mut ratios = vec![Vec::new(); variants.len()];
            for round in 0..ROUNDS {
                let mut this_round = vec![0.0; variants.len()];
                for turn in 0..variants.len() {
                    let at = (round + turn) % variants.len();
                    this_round[at] = time(&bench, variants[at], case, requests);
                }
                for (at, value) in this_round.iter().enumerate() {
                    samples[at].push(*value);
                    ratios[at].push(value / this_round[base_at]);
                }
            }
            for (at, variant) in variants.iter().enumerate() {
                println!(
                    "{flavor:<16} {:>8} {:<16} {:>12} {:>7.2}x {:>15}",
                    case.name(),
                    variant.name(),
                    format!(
                        "{:.2?}",
                        Duration::from_secs_f64(quantile(&samples[at], 0.5))
                    ),
                    quantile(&ratios[at], 0.5),
                    format!(
                        "{:.2}-{:.2}",
                        quantile(&ratios[at], 0.1),
                        quantile(&ratios[at], 0.9)
                    ),
                );
            }
        }
    }
    println!();
}

// ----------------------------------------------------------------------------------------
// Instructions.

/// Set in the callgrind child: `variant,k,requests`.
const CHILD: &str = "RUN_BENCH_TASK_GROUP_CHILD";
/// Where the child's callgrind output is kept, if set (for `callgrind_annotate`).
const KEEP: &str = "RUN_BENCH_CALLGRIND_KEEP";

/// In the child: warms up, then runs the requests inside [`measured_run`]. Returns whether
/// this process was the child.
fn callgrind_child() -> bool {
    let Ok(spec) = std::env::var(CHILD) else {
        return false;
    };
    let mut parts = spec.split(',');
    let variant = Variant::parse(parts.next().expect("a variant")).expect("a known variant");
    let case = Case::parse(parts.next().expect("a case")).expect("a known case");
    let requests: usize = parts
        .next()
        .expect("requests")
        .parse()
        .expect("requests: a number");
    let bench = Bench::current_thread();
    bench.requests(variant, case, requests);
    measured_run(&bench, variant, case, requests);
    true
}

/// The only function whose instructions are counted (`--toggle-collect`).
#[inline(never)]
fn measured_run(bench: &Bench, variant: Variant, case: Case, requests: usize) {
    bench.requests(black_box(variant), black_box(case), black_box(requests));
}

/// Instructions per request, or why there are none.
fn instructions(variant: Variant, case: Case) -> Result<f64, String> {
    let requests = requests_for(case.k);
    let file = case.name().replace('/', "-");
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    let keep = std::env::var(KEEP).ok();
    let out = match &keep {
        Some(dir) => std::path::PathBuf::from(dir).join(format!(
            "callgrind.task_group.{}.{file}.out",
            variant.name()
        )),
        None => std::env::temp_dir().join(format!(
            "run-bench-task-group-{}-{}-{file}.out",
            std::process::id(),
            variant.name()
        )),
    };
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--toggle-collect=*measured_run*")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&exe)
        .env(
            CHILD,
            format!("{},{},{requests}", variant.name(), case.name()),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|error| format!("valgrind not started: {error}"))?;
    if !status.success() {
        return Err(format!("valgrind failed: {status}"));
    }
    let report = std::fs::read_to_string(&out).map_err(|error| error.to_string())?;
    if keep.is_none() {
        let _ = std::fs::remove_file(&out);
    }
    report
        .lines()
        .find_map(|line| line.strip_prefix("totals:"))
        .and_then(|totals| totals.split_whitespace().next()?.parse::<u64>().ok())
        .map(|total| total as f64 / requests as f64)
        .ok_or_else(|| "no totals in the callgrind output".to_string())
}

fn print_callgrind() {
    println!(
        "## instructions per request (callgrind, current_thread): the requests' total / their \
         number, after a warm-up"
    );
    println!(
        "{:>8} {:<16} {:>12} {:>8} {:>12}",
        "case", "variant", "Ir/req", "ratio", "Ir/task"
    );
    for case in Case::all() {
        let mut rows = Vec::new();
        for variant in Variant::at(case) {
            match instructions(variant, case) {
                Ok(count) => rows.push((variant, count)),
                Err(error) => {
                    println!("skipped: {error}");
                    println!();
                    return;
                }
            }
        }
        let base = rows
            .iter()
            .find(|(variant, _)| *variant == Variant::JoinSet)
            .map(|(_, count)| *count)
            .expect("a baseline");
        for (variant, count) in rows {
            println!(
                "{:>8} {:<16} {count:>12.0} {:>7.2}x {:>12.0}",
                case.name(),
                variant.name(),
                count / base,
                count / case.k as f64,
            );
        }
    }
    println!();
}
