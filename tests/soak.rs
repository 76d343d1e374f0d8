//! A bounded soak: groups of 1000 actors started and stopped in a loop while a pool churns
//! jobs; the process's resident memory and the runtime's alive tasks must stay flat.
//!
//! `RUN_SOAK_SECS` sets how long (default 5 s, what CI runs; at most 60).

#![cfg(target_os = "linux")]

use std::{
    convert::Infallible,
    time::{Duration, Instant},
};

use run::{Context, Group, Pool};

/// Resident memory of this process, in bytes (`/proc/self/statm`, pages of 4 KiB).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

async fn round(pool: &Pool) {
    let mut group = Group::new();
    for _ in 0..1000 {
        group.spawn(|ctx: Context| async move { ctx.interrupted().await });
    }
    group.spawn(|_ctx: Context| async { Ok::<_, Infallible>(()) });
    group.run().await.unwrap();
    let mut jobs = Vec::new();
    for job in 0..100u64 {
        jobs.push(pool.submit(async move { job * 2 }).await.unwrap());
    }
    for (job, handle) in (0..100u64).zip(jobs) {
        assert_eq!(handle.await.unwrap(), job * 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_and_tasks_stay_flat_across_many_groups() {
    let seconds: u64 = std::env::var("RUN_SOAK_SECS")
        .ok()
        .and_then(|secs| secs.parse().ok())
        .unwrap_or(5)
        .min(60);
    let pool = Pool::builder()
        .max(4)
        .idle(Duration::from_millis(50))
        .build()
        .unwrap();
    let metrics = tokio::runtime::Handle::current().metrics();
    // Warm up: the allocator's arenas and the runtime reach their working size.
    for _ in 0..20 {
        round(&pool).await;
    }
    let (rss_before, tasks_before) = (rss(), metrics.num_alive_tasks());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut rounds = 0;
    while Instant::now() < deadline {
        round(&pool).await;
        rounds += 1;
    }
    let rss_after = rss();
    eprintln!(
        "soak: {rounds} rounds of 1001 actors and 100 jobs; RSS {rss_before} -> {rss_after} B"
    );
    // A leak of one group's bookkeeping per round (about 400 KB) would exceed this many
    // times over.
    let allowed = rss_before / 2 + 16 * 1024 * 1024;
    assert!(
        rss_after <= rss_before + allowed,
        "RSS grew from {rss_before} to {rss_after} bytes over {rounds} rounds"
    );
    // Finished tasks are released by the workers just after they end: give them the time.
    let settle = Instant::now() + Duration::from_secs(10);
    while metrics.num_alive_tasks() > tasks_before && Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        metrics.num_alive_tasks() <= tasks_before,
        "alive tasks grew from {tasks_before} to {} over {rounds} rounds",
        metrics.num_alive_tasks()
    );
    assert!(rounds > 0);
    pool.close().await.unwrap();
}
