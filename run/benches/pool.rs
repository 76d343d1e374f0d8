//! Throughput of short jobs: `run::Pool` against spawn-per-job + `Semaphore` and a bounded
//! `JoinSet`, all with `max = 2 × cores` jobs running at once.
//!
//! Each sample pushes 100k jobs from one producer task (on the runtime, as in an app) and
//! collects every job's output. Jobs are `yield` (one `yield_now` then a little arithmetic)
//! or `noop` (no await: pure dispatch overhead).
//!
//! Run: `cargo bench -p run-lifecycle --bench pool`.
//!
//! On a shared machine the load drifts between benches, which divan runs one after the
//! other. `RUN_POOL_ROUNDS=N cargo bench -p run-lifecycle --bench pool` instead runs every variant
//! once per round, for N rounds, on one runtime, and prints the median time of each and the
//! median of the per-round ratios to the pool: drift then hits all variants alike.
//!
//! For exact counts, `RUN_POOL_JOBS` sets the jobs per sample, `RUN_POOL_ONLY` (a variant
//! name) runs that variant alone and `RUN_POOL_THREADS` sets the runtime's threads, e.g.
//! `RUN_POOL_ROUNDS=1 RUN_POOL_JOBS=20000 RUN_POOL_ONLY=pool RUN_POOL_THREADS=1` under
//! `valgrind --tool=callgrind`.

use std::{
    future::Future,
    hint::black_box,
    sync::{Arc, OnceLock},
    thread::available_parallelism,
    time::{Duration, Instant},
};

use divan::{Bencher, counter::ItemsCount};
use run::Pool;
use tokio::{
    runtime::Runtime,
    sync::Semaphore,
    task::{JoinSet, yield_now},
};

/// Jobs per sample: 100k unless `RUN_POOL_JOBS` says otherwise.
fn jobs() -> u64 {
    static JOBS: OnceLock<u64> = OnceLock::new();
    *JOBS.get_or_init(|| {
        std::env::var("RUN_POOL_JOBS").map_or(100_000, |jobs| {
            jobs.parse().expect("RUN_POOL_JOBS: a number")
        })
    })
}
const KINDS: [&str; 2] = ["yield", "noop"];

fn main() {
    match std::env::var("RUN_POOL_ROUNDS") {
        Ok(rounds) => interleaved(rounds.parse().expect("RUN_POOL_ROUNDS: a number")),
        Err(_) => divan::main(),
    }
}

fn cores() -> usize {
    available_parallelism().map_or(1, usize::from)
}

fn max() -> usize {
    2 * cores()
}

/// The runtime's threads: one per core unless `RUN_POOL_THREADS` says otherwise (1 makes
/// instruction counts repeatable under callgrind).
fn runtime() -> Runtime {
    let threads = std::env::var("RUN_POOL_THREADS").map_or(cores(), |threads| {
        threads.parse().expect("RUN_POOL_THREADS: a number")
    });
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn new_pool(runtime: &Runtime, queue: usize) -> Pool {
    runtime.block_on(async {
        Pool::builder()
            .max(max())
            .queue(queue)
            .build()
            .expect("a pool")
    })
}

async fn job(kind: &'static str, n: u64) -> u64 {
    if kind == "yield" {
        yield_now().await;
    }
    black_box(n).wrapping_mul(3)
}

fn expected() -> u64 {
    (0..jobs()).map(|n| n.wrapping_mul(3)).sum()
}

async fn through_pool(pool: Pool, kind: &'static str) -> u64 {
    let mut handles = Vec::with_capacity(jobs() as usize);
    for n in 0..jobs() {
        handles.push(pool.submit(job(kind, n)).await.expect("open"));
    }
    let mut sum = 0;
    for handle in handles {
        sum += handle.await.expect("no panic");
    }
    sum
}

async fn spawn_with_semaphore(kind: &'static str) -> u64 {
    let permits = Arc::new(Semaphore::new(max()));
    let mut handles = Vec::with_capacity(jobs() as usize);
    for n in 0..jobs() {
        let permit = Arc::clone(&permits).acquire_owned().await.expect("open");
        handles.push(tokio::spawn(async move {
            let output = job(kind, n).await;
            drop(permit);
            output
        }));
    }
    let mut sum = 0;
    for handle in handles {
        sum += handle.await.expect("no panic");
    }
    sum
}

async fn bounded_join_set(kind: &'static str) -> u64 {
    let max = max();
    let mut set = JoinSet::new();
    let mut sum = 0;
    for n in 0..jobs() {
        if set.len() >= max {
            sum += set.join_next().await.expect("not empty").expect("no panic");
        }
        set.spawn(job(kind, n));
    }
    while let Some(output) = set.join_next().await {
        sum += output.expect("no panic");
    }
    sum
}

/// Runs `producer` as a task on `runtime`, checking its sum.
fn produce<Fut>(runtime: &Runtime, producer: Fut)
where
    Fut: Future<Output = u64> + Send + 'static,
{
    let sum = runtime.block_on(async { tokio::spawn(producer).await.expect("no panic") });
    assert_eq!(sum, expected());
}

fn bench<Fut>(bencher: Bencher, runtime: &Runtime, producer: impl Fn() -> Fut + Sync)
where
    Fut: Future<Output = u64> + Send + 'static,
{
    bencher
        .counter(ItemsCount::new(jobs()))
        .bench_local(|| produce(runtime, producer()));
}

/// The pool, no queue: a job is accepted when a worker takes it.
#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn pool(bencher: Bencher, kind: &'static str) {
    let runtime = runtime();
    let pool = new_pool(&runtime, 0);
    bench(bencher, &runtime, || through_pool(pool.clone(), kind));
}

/// The pool with a queue of `max` jobs: the producer runs ahead of the workers.
#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn pool_queued(bencher: Bencher, kind: &'static str) {
    let runtime = runtime();
    let pool = new_pool(&runtime, max());
    bench(bencher, &runtime, || through_pool(pool.clone(), kind));
}

/// A task per job, `max` running at once through a `Semaphore`.
#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn spawn_semaphore(bencher: Bencher, kind: &'static str) {
    let runtime = runtime();
    bench(bencher, &runtime, || spawn_with_semaphore(kind));
}

/// A task per job in a `JoinSet`, joining one whenever `max` are in flight.
#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn join_set(bencher: Bencher, kind: &'static str) {
    let runtime = runtime();
    bench(bencher, &runtime, || bounded_join_set(kind));
}

fn interleaved(rounds: usize) {
    let runtime = runtime();
    let (pool, pool_queued) = (new_pool(&runtime, 0), new_pool(&runtime, max()));
    println!(
        "{} jobs, max = {} on {} cores, {rounds} interleaved rounds; median (ratio = time / pool time, median of rounds)",
        jobs(),
        max(),
        cores()
    );
    let only = std::env::var("RUN_POOL_ONLY").ok();
    for kind in KINDS {
        let names = ["pool", "pool_queued", "spawn_semaphore", "join_set"];
        let mut times: [Vec<Duration>; 4] = Default::default();
        for _ in 0..rounds {
            for (variant, times) in times.iter_mut().enumerate() {
                if only.as_ref().is_some_and(|only| only != names[variant]) {
                    continue;
                }
                let start = Instant::now();
                match variant {
                    0 => produce(&runtime, through_pool(pool.clone(), kind)),
                    1 => produce(&runtime, through_pool(pool_queued.clone(), kind)),
                    2 => produce(&runtime, spawn_with_semaphore(kind)),
                    _ => produce(&runtime, bounded_join_set(kind)),
                }
                times.push(start.elapsed());
            }
        }
        for (name, variant) in names.iter().zip(&times) {
            if variant.is_empty() {
                continue;
            }
            let mut ratios: Vec<f64> = variant
                .iter()
                .zip(&times[0])
                .map(|(time, pool)| time.as_secs_f64() / pool.as_secs_f64())
                .collect();
            let time = median(&mut variant.clone());
            let ratio = if ratios.is_empty() {
                String::new()
            } else {
                format!("  ratio {:.2}", median(&mut ratios))
            };
            println!(
                "{kind:>5} {name:<16} {:>8.1} ms  {:>6.2} Mjobs/s{ratio}",
                time.as_secs_f64() * 1e3,
                jobs() as f64 / time.as_secs_f64() / 1e6,
            );
        }
    }
}

fn median<T: PartialOrd + Copy>(values: &mut [T]) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    values[values.len() / 2]
}
