//! The pool: the seed's own tests, ported, plus backpressure, panics and leaks.

mod common;

use std::{
    collections::HashSet,
    future::{Future, poll_fn},
    pin::pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    task::Poll,
    time::Duration,
};

use common::{Gate, alive_tasks, until};
use run::{Error, Pool};
use tokio::{
    sync::mpsc,
    task::{self, yield_now},
    time::Instant,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_job_runs_exactly_once() {
    let pool = Pool::builder().max(4).build().unwrap();
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..1000).map(|_| AtomicUsize::new(0)).collect());
    let mut handles = Vec::new();
    for index in 0..1000 {
        let runs = runs.clone();
        handles.push(
            pool.submit(async move {
                yield_now().await;
                runs[index].fetch_add(1, Ordering::Relaxed);
                index
            })
            .await
            .unwrap(),
        );
    }
    for (index, handle) in handles.into_iter().enumerate() {
        assert_eq!(handle.await.unwrap(), index);
    }
    pool.close().await.unwrap();
    assert!(runs.iter().all(|runs| runs.load(Ordering::Relaxed) == 1));
    assert!(pool.stats().spawned <= 4);
}

#[tokio::test]
async fn jobs_run_concurrently_up_to_max() {
    let pool = Pool::builder().max(3).build().unwrap();
    let gate = Gate::new();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (started, mut starts) = mpsc::unbounded_channel();
    let mut submitters = Vec::new();
    for _ in 0..10 {
        let (pool, gate, running, peak, started) = (
            pool.clone(),
            gate.clone(),
            running.clone(),
            peak.clone(),
            started.clone(),
        );
        submitters.push(tokio::spawn(async move {
            let job = pool
                .submit(async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    started.send(()).unwrap();
                    gate.passed().await;
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
                .unwrap();
            job.await.unwrap();
        }));
    }
    for _ in 0..3 {
        starts.recv().await.unwrap();
    }
    until(|| pool.stats().waiting == 7).await;
    assert_eq!(running.load(Ordering::SeqCst), 3, "three jobs run at once");
    assert!(matches!(pool.try_submit(async {}), Err(Error::Full)));

    gate.open();
    for submitter in submitters {
        submitter.await.unwrap();
    }
    assert_eq!(peak.load(Ordering::SeqCst), 3, "never more than max");
    assert_eq!(pool.stats().spawned, 3);
}

#[tokio::test]
async fn workers_are_reused_for_later_jobs() {
    // Unbounded: only reuse keeps the number of workers down.
    let pool = Pool::builder()
        .idle(Duration::from_secs(3600))
        .build()
        .unwrap();
    let gate = Gate::new();
    let mut first_wave = Vec::new();
    for _ in 0..4 {
        let gate = gate.clone();
        first_wave.push(
            pool.submit(async move {
                gate.passed().await;
                task::id()
            })
            .await
            .unwrap(),
        );
    }
    gate.open();
    let mut workers = HashSet::new();
    for job in first_wave {
        workers.insert(job.await.unwrap());
    }
    assert_eq!(workers.len(), 4, "the first wave needed four workers");
    assert_eq!(pool.stats().spawned, 4);

    // A second wave of 100 jobs, 4 at a time: the 4 idle workers take them all.
    for _ in 0..25 {
        let mut batch = Vec::new();
        for _ in 0..4 {
            batch.push(
                pool.submit(async {
                    yield_now().await;
                    task::id()
                })
                .await
                .unwrap(),
            );
        }
        for job in batch {
            assert!(
                workers.contains(&job.await.unwrap()),
                "ran on a first-wave worker"
            );
        }
    }
    assert_eq!(
        pool.stats().spawned,
        4,
        "no worker was spawned for the second wave"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_one_of_concurrent_closes_succeeds() {
    for round in 0..1000 {
        let pool = Pool::builder().max(4).build().unwrap();
        let job = pool.submit(yield_now()).await.unwrap();
        let closes: Vec<_> = (0..10)
            .map(|_| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.close().await })
            })
            .collect();
        let mut ok = 0;
        for close in closes {
            match close.await.unwrap() {
                Ok(()) => ok += 1,
                Err(Error::Closed) => {}
                Err(other) => panic!("round {round}: unexpected {other}"),
            }
        }
        assert_eq!(ok, 1, "round {round}");
        job.await.unwrap();
    }
}

#[tokio::test]
async fn submit_after_close_is_refused() {
    let pool = Pool::builder().max(2).build().unwrap();
    pool.close().await.unwrap();
    assert!(pool.is_closed());
    assert!(matches!(pool.submit(async {}).await, Err(Error::Closed)));
    assert!(matches!(pool.try_submit(async {}), Err(Error::Closed)));
    assert!(matches!(
        pool.submit_timeout(async {}, Duration::from_secs(1)).await,
        Err(Error::Closed)
    ));
    assert!(matches!(pool.close().await, Err(Error::Closed)));
}

#[tokio::test]
async fn close_fails_waiting_submitters_and_runs_accepted_jobs() {
    let pool = Pool::builder().max(1).queue(1).build().unwrap();
    let gate = Gate::new();
    let running = pool.submit(gate.clone().passed()).await.unwrap();
    let queued = pool.try_submit(async { "queued" }).unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let waiting = {
        let (pool, ran) = (pool.clone(), ran.clone());
        tokio::spawn(async move {
            pool.submit(async move { ran.store(true, Ordering::SeqCst) })
                .await
        })
    };
    until(|| pool.stats().waiting == 1).await;

    let close = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.close().await })
    };
    assert!(matches!(waiting.await.unwrap(), Err(Error::Closed)));
    assert!(!close.is_finished(), "close waits for the running job");
    gate.open();
    close.await.unwrap().unwrap();
    running.await.unwrap();
    assert_eq!(queued.await.unwrap(), "queued", "queued jobs still run");
    assert!(!ran.load(Ordering::SeqCst), "the refused job never ran");
    assert_eq!(pool.stats().workers, 0);
}

#[tokio::test(start_paused = true)]
async fn idle_workers_exit_after_the_idle_time() {
    let pool = Pool::builder()
        .max(4)
        .idle(Duration::from_secs(1))
        .build()
        .unwrap();
    let baseline = alive_tasks();
    let mut jobs = Vec::new();
    for _ in 0..3 {
        jobs.push(
            pool.submit(tokio::time::sleep(Duration::from_millis(10)))
                .await
                .unwrap(),
        );
    }
    for job in jobs {
        job.await.unwrap();
    }
    assert_eq!(pool.stats().workers, 3);
    assert_eq!(pool.stats().idle, 3);

    tokio::time::sleep(Duration::from_millis(999)).await;
    assert_eq!(pool.stats().workers, 3, "not idle for a whole second yet");

    tokio::time::sleep(Duration::from_millis(2)).await;
    let stats = pool.stats();
    assert_eq!((stats.workers, stats.idle), (0, 0), "all reaped");
    assert_eq!(alive_tasks(), baseline, "their tasks ended");

    // A new job gets a new worker.
    pool.submit(async {}).await.unwrap().await.unwrap();
    assert_eq!(pool.stats().spawned, 4);
}

#[tokio::test(start_paused = true)]
async fn busy_workers_are_not_reaped_and_the_latest_idle_is_used_first() {
    let pool = Pool::builder()
        .max(2)
        .idle(Duration::from_secs(1))
        .build()
        .unwrap();
    let first = pool.submit(async { task::id() }).await.unwrap();
    let second = pool.submit(async { task::id() }).await.unwrap();
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    assert_ne!(first, second);

    // Keep one worker busy with jobs every 600 ms: it never idles for a second.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        let id = pool
            .submit(async { task::id() })
            .await
            .unwrap()
            .await
            .unwrap();
        assert_eq!(id, second, "the most recently idle worker takes the job");
    }
    assert_eq!(pool.stats().workers, 1, "the other one was reaped");
    assert_eq!(pool.stats().spawned, 2);
}

#[tokio::test(start_paused = true)]
async fn dispatch_timeout_when_the_pool_stays_full() {
    let pool = Pool::builder().max(2).build().unwrap();
    let gate = Gate::new();
    let busy = [
        pool.submit(gate.clone().passed()).await.unwrap(),
        pool.submit(gate.clone().passed()).await.unwrap(),
    ];
    let ran = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let flag = ran.clone();
    let late = pool
        .submit_timeout(
            async move { flag.store(true, Ordering::SeqCst) },
            Duration::from_millis(100),
        )
        .await;
    assert!(matches!(late, Err(Error::DispatchTimeout)));
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    assert_eq!(pool.stats().waiting, 0, "the timed-out job left the line");

    // A worker frees up within the timeout: the job is taken.
    let opener = {
        let gate = gate.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            gate.open();
        })
    };
    let flag = ran.clone();
    let taken = pool
        .submit_timeout(
            async move { flag.store(true, Ordering::SeqCst) },
            Duration::from_millis(100),
        )
        .await
        .unwrap();
    taken.await.unwrap();
    assert!(ran.load(Ordering::SeqCst));
    opener.await.unwrap();
    for job in busy {
        job.await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn a_finished_worker_takes_the_waiting_job_at_once() {
    // The seed's pool leaves a waiting job until some worker idles out: with an hour of
    // idle time and paused time, any wait would show as time passing.
    let pool = Pool::builder()
        .max(1)
        .idle(Duration::from_secs(3600))
        .build()
        .unwrap();
    let gate = Gate::new();
    let first = pool
        .submit({
            let gate = gate.clone();
            async move {
                gate.passed().await;
                task::id()
            }
        })
        .await
        .unwrap();
    let waiting = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let job = pool.submit(async { (Instant::now(), task::id()) }).await?;
            job.await
        })
    };
    until(|| pool.stats().waiting == 1).await;
    let opened = Instant::now();
    gate.open();
    let worker = first.await.unwrap();
    // Time is paused: this timeout fires only if the job is left waiting.
    let (ran_at, ran_on) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the waiting job was never taken")
        .unwrap()
        .unwrap();
    assert_eq!(ran_at, opened, "no time passed");
    assert_eq!(ran_on, worker, "the worker that finished took it");
    assert_eq!(pool.stats().spawned, 1);
}

#[tokio::test]
async fn a_panic_is_the_jobs_result_and_the_worker_lives_on() {
    let pool = Pool::builder().max(1).build().unwrap();
    let crashed = pool
        .submit(async {
            let _ = task::id();
            panic!("boom");
        })
        .await
        .unwrap();
    let err: Error = crashed.await.unwrap_err();
    let Error::Panic {
        message, location, ..
    } = &err
    else {
        panic!("expected a panic, got {err}");
    };
    assert_eq!(message, "boom");
    assert!(location.as_ref().unwrap().file.ends_with("pool.rs"));
    assert_eq!(
        err.try_into_panic().unwrap().downcast_ref::<&str>(),
        Some(&"boom")
    );

    assert_eq!(pool.submit(async { 7 }).await.unwrap().await.unwrap(), 7);
    assert_eq!(pool.stats().spawned, 1, "the same worker ran the next job");
}

#[tokio::test]
async fn try_submit_fails_at_once_when_full() {
    let pool = Pool::builder().max(1).build().unwrap();
    let gate = Gate::new();
    let busy = pool.try_submit(gate.clone().passed()).unwrap();
    assert!(matches!(pool.try_submit(async {}), Err(Error::Full)));
    gate.open();
    busy.await.unwrap();
    // The worker is idle again: taken at once.
    assert_eq!(pool.try_submit(async { 1 }).unwrap().await.unwrap(), 1);
}

#[tokio::test]
async fn dropping_a_waiting_submit_drops_its_job_unrun() {
    let pool = Pool::builder().max(1).build().unwrap();
    let gate = Gate::new();
    let busy = pool.submit(gate.clone().passed()).await.unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    {
        let flag = ran.clone();
        let mut submit = pin!(pool.submit(async move { flag.store(true, Ordering::SeqCst) }));
        poll_fn(|cx| {
            assert!(submit.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        assert_eq!(pool.stats().waiting, 1);
    }
    assert_eq!(pool.stats().waiting, 0);
    gate.open();
    busy.await.unwrap();
    pool.close().await.unwrap();
    assert!(!ran.load(Ordering::SeqCst));
}

#[tokio::test]
async fn an_unbounded_pool_never_waits() {
    let pool = Pool::builder().build().unwrap();
    assert_eq!(pool.max(), None);
    let gate = Gate::new();
    let (started, mut starts) = mpsc::unbounded_channel();
    let mut jobs = Vec::new();
    for _ in 0..50 {
        let (gate, started) = (gate.clone(), started.clone());
        jobs.push(
            pool.try_submit(async move {
                started.send(()).unwrap();
                gate.passed().await;
            })
            .unwrap(),
        );
    }
    for _ in 0..50 {
        starts.recv().await.unwrap();
    }
    assert_eq!(pool.stats().workers, 50);
    gate.open();
    for job in jobs {
        job.await.unwrap();
    }
}

#[tokio::test]
async fn close_leaves_no_task_behind() {
    let baseline = alive_tasks();
    let pool = Pool::builder().max(4).build().unwrap();
    let mut jobs = Vec::new();
    for n in 0..100u32 {
        jobs.push(
            pool.submit(async move {
                yield_now().await;
                n
            })
            .await
            .unwrap(),
        );
    }
    assert!(alive_tasks() > baseline);
    for job in jobs {
        job.await.unwrap();
    }
    pool.close().await.unwrap();
    assert_eq!(alive_tasks(), baseline);
}

#[tokio::test]
async fn dropping_the_pool_aborts_its_workers() {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    let baseline = alive_tasks();
    let pool = Pool::builder().max(1).queue(1).build().unwrap();
    let (dropped, queued_dropped) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let guard = SetOnDrop(dropped.clone());
    let running = pool
        .submit(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        })
        .await
        .unwrap();
    let guard = SetOnDrop(queued_dropped.clone());
    let queued = pool.try_submit(async move { drop(guard) }).unwrap();
    yield_now().await; // the worker starts the first job
    assert_eq!(alive_tasks(), baseline + 1);

    drop(pool);
    assert!(matches!(running.await, Err(Error::Closed)));
    assert!(matches!(queued.await, Err(Error::Closed)));
    assert!(dropped.load(Ordering::SeqCst) && queued_dropped.load(Ordering::SeqCst));
    assert_eq!(alive_tasks(), baseline, "the worker task is gone");
}

#[test]
fn bad_settings_are_typed_errors() {
    assert!(matches!(Pool::builder().build(), Err(Error::NoRuntime)));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    assert!(matches!(
        Pool::builder().idle(Duration::ZERO).build(),
        Err(Error::InvalidConfig(_))
    ));
    assert!(matches!(
        Pool::builder().max(0).build(),
        Err(Error::InvalidConfig(_))
    ));
    let pool = Pool::builder()
        .max(3)
        .idle(Duration::from_millis(1))
        .build()
        .unwrap();
    assert_eq!(pool.max(), Some(3));
}

#[tokio::test]
async fn clones_share_the_pool() {
    let pool = Pool::builder().max(1).build().unwrap();
    let other = pool.clone();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    other
        .submit(async move { log.lock().unwrap().push(1) })
        .await
        .unwrap()
        .await
        .unwrap();
    drop(other);
    pool.submit(async {}).await.unwrap().await.unwrap();
    assert_eq!(*seen.lock().unwrap(), [1]);
    assert_eq!(pool.stats().spawned, 1);
}

#[tokio::test]
async fn huge_durations_mean_forever() {
    let pool = Pool::builder().max(1).idle(Duration::MAX).build().unwrap();
    let gate = Gate::new();
    let busy = pool.submit(gate.clone().passed()).await.unwrap();
    let waiting = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.submit_timeout(async { 3 }, Duration::MAX).await })
    };
    until(|| pool.stats().waiting == 1).await;
    gate.open();
    busy.await.unwrap();
    assert_eq!(waiting.await.unwrap().unwrap().await.unwrap(), 3);
    assert_eq!(pool.stats().workers, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submitters_lose_no_job_and_run_none_twice() {
    // Workers idle out after 1 ms, so reaping and respawning race with the submitters; the
    // assertions hold whatever the timing.
    let pool = Pool::builder()
        .max(3)
        .queue(2)
        .idle(Duration::from_millis(1))
        .build()
        .unwrap();
    let runs: Arc<Vec<AtomicUsize>> = Arc::new((0..4000).map(|_| AtomicUsize::new(0)).collect());
    let submitters: Vec<_> = (0..8)
        .map(|submitter| {
            let (pool, runs) = (pool.clone(), runs.clone());
            tokio::spawn(async move {
                let mut accepted = Vec::new();
                for index in submitter * 500..(submitter + 1) * 500 {
                    let runs = runs.clone();
                    let job = async move {
                        yield_now().await;
                        runs[index].fetch_add(1, Ordering::SeqCst);
                        index
                    };
                    let submitted = match index % 3 {
                        0 => pool.submit(job).await,
                        1 => pool.try_submit(job),
                        _ => pool.submit_timeout(job, Duration::from_micros(50)).await,
                    };
                    match submitted {
                        Ok(handle) => accepted.push((index, handle)),
                        Err(Error::Full | Error::DispatchTimeout) => {}
                        Err(other) => panic!("unexpected {other}"),
                    }
                }
                let mut ran = Vec::new();
                for (index, handle) in accepted {
                    assert_eq!(handle.await.unwrap(), index);
                    ran.push(index);
                }
                ran
            })
        })
        .collect();
    let mut accepted = HashSet::new();
    for submitter in submitters {
        accepted.extend(submitter.await.unwrap());
    }
    pool.close().await.unwrap();
    for (index, runs) in runs.iter().enumerate() {
        let expected = usize::from(accepted.contains(&index));
        assert_eq!(runs.load(Ordering::SeqCst), expected, "job {index}");
    }
    assert!(accepted.len() >= 8 * 167, "every plain submit was accepted");
    let stats = pool.stats();
    assert_eq!(
        (stats.workers, stats.idle, stats.queued, stats.waiting),
        (0, 0, 0, 0)
    );
}

#[tokio::test]
async fn dropping_the_pool_drops_a_job_handed_to_an_idle_worker_that_had_not_started_it() {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    let baseline = alive_tasks();
    let pool = Pool::builder().max(1).build().unwrap();
    pool.submit(async {}).await.unwrap().await.unwrap();
    assert_eq!(pool.stats().idle, 1);

    // On this single thread the woken worker cannot run before the pool is dropped.
    let (dropped, ran) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let (guard, flag) = (SetOnDrop(dropped.clone()), ran.clone());
    let handed = pool
        .try_submit(async move {
            let _guard = guard;
            flag.store(true, Ordering::SeqCst);
        })
        .unwrap();
    assert_eq!(pool.stats().idle, 0, "the idle worker was chosen");
    drop(pool);
    assert!(dropped.load(Ordering::SeqCst), "dropped with the pool");
    assert!(matches!(handed.await, Err(Error::Closed)));
    assert!(!ran.load(Ordering::SeqCst));
    until(|| alive_tasks() == baseline).await;
}

#[tokio::test(start_paused = true)]
async fn a_zero_dispatch_timeout_fails_at_once_when_full() {
    let pool = Pool::builder().max(1).build().unwrap();
    let gate = Gate::new();
    let busy = pool.submit(gate.clone().passed()).await.unwrap();
    let start = Instant::now();
    let late = pool.submit_timeout(async {}, Duration::ZERO).await;
    assert!(matches!(late, Err(Error::DispatchTimeout)));
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(pool.stats().waiting, 0);
    gate.open();
    busy.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn an_idle_worker_exits_the_idle_time_after_its_last_job_not_its_first_idle_spell() {
    let pool = Pool::builder()
        .max(1)
        .idle(Duration::from_secs(1))
        .build()
        .unwrap();
    // Idle from 0 s, then busy now and then: the timer first set for 1 s fires while the
    // worker idles since 2.7 s, and must be set again for 3.7 s.
    pool.submit(async {}).await.unwrap().await.unwrap();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(900)).await;
        pool.submit(async {}).await.unwrap().await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(999)).await;
    assert_eq!(pool.stats().workers, 1, "idle for 999 ms only");
    tokio::time::sleep(Duration::from_millis(2)).await;
    assert_eq!(pool.stats().workers, 0, "idle for a second: reaped");
    assert_eq!(pool.stats().spawned, 1, "the same worker ran every job");
}
