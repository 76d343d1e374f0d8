//! Throughput of short jobs: `run::Pool` against spawn-per-job + `Semaphore` and a bounded
//! `JoinSet`, all with `max = 2 × cores` jobs running at once.
//!
//! Each sample pushes 100k jobs from one producer task (on the runtime, as in an app) and
//! collects every job's output. Jobs are `yield` (one `yield_now` then a little arithmetic)
//! or `noop` (no await: pure dispatch overhead).
//!
//! Run: `cargo bench -p run --bench pool` (on a shared machine, run it a few times).

use std::{hint::black_box, sync::Arc, thread::available_parallelism};

use divan::{counter::ItemsCount, Bencher};
use run::Pool;
use tokio::{
    runtime::Runtime,
    sync::Semaphore,
    task::{yield_now, JoinSet},
};

const JOBS: u64 = 100_000;
const KINDS: [&str; 2] = ["yield", "noop"];

fn main() {
    divan::main();
}

fn cores() -> usize {
    available_parallelism().map_or(1, usize::from)
}

fn max() -> usize {
    2 * cores()
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .enable_all()
        .build()
        .expect("a runtime")
}

async fn job(kind: &'static str, n: u64) -> u64 {
    if kind == "yield" {
        yield_now().await;
    }
    black_box(n).wrapping_mul(3)
}

fn expected() -> u64 {
    (0..JOBS).map(|n| n.wrapping_mul(3)).sum()
}

/// Runs `producer` as a task on `runtime` for every sample, checking its sum.
fn bench<F, Fut>(bencher: Bencher, runtime: &Runtime, producer: F)
where
    F: Fn() -> Fut + Sync,
    Fut: std::future::Future<Output = u64> + Send + 'static,
{
    bencher.counter(ItemsCount::new(JOBS)).bench_local(|| {
        let sum = runtime.block_on(async { tokio::spawn(producer()).await.expect("no panic") });
        assert_eq!(sum, expected());
    });
}

fn with_pool(bencher: Bencher, kind: &'static str, queue: usize) {
    let runtime = runtime();
    let pool = runtime.block_on(async {
        Pool::builder()
            .max(max())
            .queue(queue)
            .build()
            .expect("a pool")
    });
    bench(bencher, &runtime, || {
        let pool = pool.clone();
        async move {
            let mut handles = Vec::with_capacity(JOBS as usize);
            for n in 0..JOBS {
                handles.push(pool.submit(job(kind, n)).await.expect("open"));
            }
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.expect("no panic");
            }
            sum
        }
    });
}

/// The pool, no queue: a job is accepted when a worker takes it.
#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn pool(bencher: Bencher, kind: &'static str) {
    with_pool(bencher, kind, 0);
}

/// The pool with a queue of `max` jobs: the producer runs ahead of the workers.
#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn pool_queued(bencher: Bencher, kind: &'static str) {
    with_pool(bencher, kind, max());
}

/// A task per job, `max` running at once through a `Semaphore`.
#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn spawn_semaphore(bencher: Bencher, kind: &'static str) {
    let runtime = runtime();
    bench(bencher, &runtime, || async move {
        let permits = Arc::new(Semaphore::new(max()));
        let mut handles = Vec::with_capacity(JOBS as usize);
        for n in 0..JOBS {
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
    });
}

/// A task per job in a `JoinSet`, joining one whenever `max` are in flight.
#[divan::bench(args = KINDS, sample_count = 10, sample_size = 1)]
fn join_set(bencher: Bencher, kind: &'static str) {
    let runtime = runtime();
    let max = max();
    bench(bencher, &runtime, move || async move {
        let mut set = JoinSet::new();
        let mut sum = 0;
        for n in 0..JOBS {
            if set.len() >= max {
                sum += set.join_next().await.expect("not empty").expect("no panic");
            }
            set.spawn(job(kind, n));
        }
        while let Some(output) = set.join_next().await {
            sum += output.expect("no panic");
        }
        sum
    });
}
