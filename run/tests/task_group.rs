//! The task group: errgroup semantics, on tokio tasks and on a pool.

mod common;

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use common::{Gate, alive_tasks, until};
use run::{Cause, Context, Error, Event, Group, Pool, TaskGroup};
use tokio::{
    sync::{mpsc, oneshot},
    task::{self, yield_now},
};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Failure(&'static str);

type Outcome = Result<(), Failure>;

#[tokio::test]
async fn the_first_error_cancels_the_others_and_is_returned() {
    let group = TaskGroup::builder().name("search").build().unwrap();
    let (seen, mut causes) = mpsc::unbounded_channel();
    let (started, mut starts) = mpsc::unbounded_channel();
    for name in ["web", "image"] {
        let (seen, started) = (seen.clone(), started.clone());
        group
            .go_named(name, move |ctx: Context| async move {
                started.send(()).unwrap();
                ctx.interrupted().await;
                let cause = ctx.cause().expect("interrupted").clone();
                seen.send((ctx.name().to_string(), cause)).unwrap();
                Outcome::Ok(())
            })
            .await
            .unwrap();
    }
    group
        .go_named("video", |_ctx: Context| async move {
            // Fails once the others run (a task that starts after the stop is skipped).
            starts.recv().await;
            starts.recv().await;
            Outcome::Err(Failure("backend down"))
        })
        .await
        .unwrap();

    let err = group.wait().await.unwrap_err();
    assert_eq!(
        err.report().to_string(),
        "actor `search/video` failed: backend down"
    );
    assert_eq!(err.downcast_ref::<Failure>().unwrap().0, "backend down");
    drop(seen);
    let mut interrupted = Vec::new();
    while let Some((name, cause)) = causes.recv().await {
        assert_eq!(cause.actor().unwrap(), "search/video");
        interrupted.push(name);
    }
    interrupted.sort();
    assert_eq!(interrupted, ["search/image", "search/web"]);
}

#[tokio::test]
async fn go_after_a_failure_does_not_run_the_runner() {
    let group = TaskGroup::new();
    group
        .go(|_ctx: Context| async { Outcome::Err(Failure("first")) })
        .await
        .unwrap();
    assert!(group.wait().await.is_err());
    assert!(group.is_stopped());

    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let late = group
        .go(move |_ctx: Context| async move {
            flag.store(true, Ordering::SeqCst);
            Outcome::Ok(())
        })
        .await;
    assert!(matches!(late, Err(Error::Stopped)));
    assert_eq!(group.running(), 0);
    yield_now().await;
    assert!(!ran.load(Ordering::SeqCst));
    // The first error is still what `wait` says.
    assert_eq!(
        group.wait().await.unwrap_err().report().to_string(),
        "actor `actor-0` failed: first"
    );
}

#[tokio::test]
async fn cancel_interrupts_every_task() {
    let group = TaskGroup::new();
    let stopped = Arc::new(AtomicUsize::new(0));
    let (started, mut starts) = mpsc::unbounded_channel();
    for _ in 0..3 {
        let (stopped, started) = (stopped.clone(), started.clone());
        group
            .go(move |ctx: Context| async move {
                started.send(()).unwrap();
                ctx.interrupted().await;
                assert!(matches!(ctx.cause(), Some(Cause::Cancelled)));
                stopped.fetch_add(1, Ordering::SeqCst);
                Outcome::Ok(())
            })
            .await
            .unwrap();
    }
    for _ in 0..3 {
        starts.recv().await.unwrap();
    }
    group.cancel();
    assert!(matches!(group.wait().await, Err(Error::Cancelled)));
    assert_eq!(stopped.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_task_that_starts_after_the_stop_is_skipped() {
    let group = TaskGroup::new();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    group
        .go(move |_ctx: Context| async move {
            flag.store(true, Ordering::SeqCst);
            Outcome::Ok(())
        })
        .await
        .unwrap();
    group.cancel(); // before the task was scheduled
    assert!(matches!(group.wait().await, Err(Error::Cancelled)));
    assert!(!ran.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_group_whose_tasks_all_succeed_returns_ok() {
    let group = TaskGroup::new();
    assert!(group.wait().await.is_ok(), "an empty group");
    for _ in 0..5 {
        group
            .go(|_ctx: Context| async { Outcome::Ok(()) })
            .await
            .unwrap();
    }
    assert!(group.wait().await.is_ok());
    assert!(!group.is_stopped());
    // Still usable after a wait.
    group
        .go(|_ctx: Context| async { Outcome::Ok(()) })
        .await
        .unwrap();
    assert!(group.wait().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_run_on_the_pool_within_its_max() {
    let pool = Pool::builder().max(2).build().unwrap();
    let group = TaskGroup::builder().pool(&pool).build().unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let workers = Arc::new(Mutex::new(HashSet::new()));
    for _ in 0..20 {
        let (running, peak, workers) = (running.clone(), peak.clone(), workers.clone());
        group
            .go(move |_ctx: Context| async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                workers.lock().unwrap().insert(task::id());
                yield_now().await;
                running.fetch_sub(1, Ordering::SeqCst);
                Outcome::Ok(())
            })
            .await
            .unwrap();
    }
    group.wait().await.unwrap();
    assert!(peak.load(Ordering::SeqCst) <= 2);
    assert!(
        workers.lock().unwrap().len() <= 2,
        "every task ran on one of two workers"
    );
    assert!(pool.stats().spawned <= 2);
    pool.close().await.unwrap();
}

#[tokio::test]
async fn go_on_a_full_pool_gives_up_when_the_group_stops() {
    let pool = Pool::builder().max(1).build().unwrap();
    let gate = Gate::new();
    let busy = pool.submit(gate.clone().passed()).await.unwrap();
    let group = Arc::new(TaskGroup::builder().pool(&pool).build().unwrap());
    let ran = Arc::new(AtomicBool::new(false));
    let go = {
        let (group, ran) = (group.clone(), ran.clone());
        tokio::spawn(async move {
            group
                .go(move |_ctx: Context| async move {
                    ran.store(true, Ordering::SeqCst);
                    Outcome::Ok(())
                })
                .await
        })
    };
    until(|| pool.stats().waiting == 1).await;
    group.cancel();
    assert!(matches!(go.await.unwrap(), Err(Error::Stopped)));
    gate.open();
    busy.await.unwrap();
    pool.close().await.unwrap();
    assert!(!ran.load(Ordering::SeqCst), "the runner never ran");
    assert!(matches!(group.wait().await, Err(Error::Cancelled)));
}

#[tokio::test]
async fn go_on_a_closed_pool_is_refused() {
    let pool = Pool::builder().max(1).build().unwrap();
    let group = TaskGroup::builder().pool(&pool).build().unwrap();
    pool.close().await.unwrap();
    assert!(matches!(
        TaskGroup::builder().pool(&pool).build(),
        Err(Error::Closed)
    ));
    let result = group.go(|_ctx: Context| async { Outcome::Ok(()) }).await;
    assert!(matches!(result, Err(Error::Closed)));
    assert_eq!(group.running(), 0);
    assert!(group.wait().await.is_ok());
}

#[tokio::test]
async fn a_panic_is_captured_and_stops_the_group() {
    let pool = Pool::builder().max(2).build().unwrap();
    for on_pool in [false, true] {
        let builder = TaskGroup::builder().name("grp").capture_panics(true);
        let group = if on_pool {
            builder.pool(&pool)
        } else {
            builder
        }
        .build()
        .unwrap();
        let (stopped, mut stop) = oneshot::channel();
        group
            .go_named("calm", move |ctx: Context| async move {
                ctx.interrupted().await;
                stopped.send(()).unwrap();
                Outcome::Ok(())
            })
            .await
            .unwrap();
        group
            .go_named("bad", |_ctx: Context| async { panic!("boom") as Outcome })
            .await
            .unwrap();
        let err = group.wait().await.unwrap_err();
        let Error::Panic { actor, message, .. } = &err else {
            panic!("expected a panic, got {err}");
        };
        assert_eq!(*actor, "grp/bad");
        assert_eq!(message, "boom");
        stop.try_recv().expect("the other task was interrupted");
    }
    assert_eq!(
        pool.stats().spawned,
        2,
        "the pool's workers survived the panic"
    );
}

#[tokio::test]
async fn without_capture_a_panic_is_resumed_by_wait() {
    let group = TaskGroup::builder().capture_panics(false).build().unwrap();
    group
        .go(|_ctx: Context| async { panic!("boom") as Outcome })
        .await
        .unwrap();
    let waiter = tokio::spawn(async move { group.wait().await });
    let panic = waiter.await.unwrap_err().into_panic();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"boom"));
}

#[tokio::test]
async fn the_hook_sees_every_start_and_exit() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let group = TaskGroup::builder()
        .name("jobs")
        .hook(move |event: &Event<'_>| {
            let line = match event {
                Event::Started { actor } => format!("start {actor}"),
                Event::Exited { actor, result, .. } => format!(
                    "exit {actor}: {}",
                    result
                        .as_ref()
                        .map_or_else(|e| e.report().to_string(), |()| "ok".into())
                ),
                Event::Interrupted { actor, .. } => format!("interrupt {actor}"),
                _ => unreachable!(),
            };
            sink.lock().unwrap().push(line);
        })
        .build()
        .unwrap();
    group
        .go_named("a", |_ctx: Context| async { Outcome::Ok(()) })
        .await
        .unwrap();
    group.wait().await.unwrap();
    group
        .go_named("b", |_ctx: Context| async { Outcome::Err(Failure("nope")) })
        .await
        .unwrap();
    let _ = group.wait().await;
    assert_eq!(
        *events.lock().unwrap(),
        [
            "start jobs/a",
            "exit jobs/a: ok",
            "start jobs/b",
            "exit jobs/b: actor `jobs/b` failed: nope",
            // As in a group: an actor that stopped the group is interrupted after its exit.
            "interrupt jobs/b",
        ]
    );
}

#[tokio::test]
async fn task_and_group_events_read_the_same() {
    // One Event type and hook for both faces: the same actor gives the same lines.
    let lines = |events: &Arc<Mutex<Vec<String>>>| {
        let sink = events.clone();
        move |event: &Event<'_>| {
            let line = event.to_string();
            let line = line.split(" after ").next().unwrap().to_string();
            sink.lock().unwrap().push(line);
        }
    };
    let from_group = Arc::new(Mutex::new(Vec::new()));
    let mut group = Group::named("jobs").hook(lines(&from_group));
    group
        .spawn(|_ctx: Context| async { Outcome::Err(Failure("nope")) })
        .name("b");
    let _ = group.run().await;
    let from_tasks = Arc::new(Mutex::new(Vec::new()));
    let tasks = TaskGroup::builder()
        .name("jobs")
        .hook(lines(&from_tasks))
        .build()
        .unwrap();
    tasks
        .go_named("b", |_ctx: Context| async { Outcome::Err(Failure("nope")) })
        .await
        .unwrap();
    let _ = tasks.wait().await;
    assert_eq!(
        *from_tasks.lock().unwrap(),
        ["jobs/b started", "jobs/b exited", "jobs/b interrupted"]
    );
    assert_eq!(*from_group.lock().unwrap(), *from_tasks.lock().unwrap());
}

#[tokio::test]
async fn every_failure_is_kept_on_the_result_the_first_as_its_cause() {
    let group = TaskGroup::new();
    group
        .go_named("second", |ctx: Context| async move {
            ctx.interrupted().await;
            Outcome::Err(Failure("late"))
        })
        .await
        .unwrap();
    group
        .go_named("first", |_ctx: Context| async {
            Outcome::Err(Failure("early"))
        })
        .await
        .unwrap();
    let err = group.wait().await.unwrap_err();
    assert_eq!(err.actor().unwrap(), "first");
    assert_eq!(
        err.report().to_string(),
        "actor `first` failed: early; and during the shutdown: actor `second` failed: late"
    );
}

#[tokio::test]
async fn a_parent_context_stops_the_group_and_names_its_tasks() {
    let mut app = Group::named("app");
    let (started, child_started) = oneshot::channel();
    app.spawn(move |ctx: Context| async move {
        let tasks = TaskGroup::builder()
            .parent(&ctx)
            .name("fanout")
            .build()
            .unwrap();
        tasks
            .go_named("child", move |child: Context| async move {
                started.send(child.name().to_string()).unwrap();
                child.interrupted().await;
                assert!(matches!(child.cause(), Some(Cause::Cancelled)));
                Outcome::Ok(())
            })
            .await
            .unwrap();
        // Interrupting this actor stops the task group.
        assert!(matches!(tasks.wait().await, Err(Error::Cancelled)));
        Outcome::Ok(())
    })
    .name("parent");
    app.spawn(move |_ctx: Context| async move {
        // Exits once the child runs, which stops the group.
        let name = child_started.await.unwrap();
        assert_eq!(name, "app/parent/fanout/child");
        Outcome::Ok(())
    })
    .name("trigger");
    app.run().await.unwrap();
}

#[tokio::test]
async fn a_task_group_nests_in_a_task() {
    let outer = TaskGroup::builder().name("outer").build().unwrap();
    let (leaf_started, started) = oneshot::channel();
    let (leaf_stopped, mut stopped) = oneshot::channel();
    outer
        .go_named("branch", move |ctx: Context| async move {
            let inner = TaskGroup::builder().parent(&ctx).build().unwrap();
            inner
                .go_named("leaf", move |leaf: Context| async move {
                    assert_eq!(leaf.name(), "outer/branch/leaf");
                    leaf_started.send(()).unwrap();
                    leaf.interrupted().await;
                    leaf_stopped.send(()).unwrap();
                    Outcome::Ok(())
                })
                .await
                .unwrap();
            assert!(matches!(inner.wait().await, Err(Error::Cancelled)));
            Outcome::Ok(())
        })
        .await
        .unwrap();
    started.await.unwrap();
    outer.cancel();
    assert!(matches!(outer.wait().await, Err(Error::Cancelled)));
    stopped
        .try_recv()
        .expect("the inner task was interrupted through its parent");
}

#[tokio::test]
async fn dropping_the_group_aborts_its_tasks() {
    struct SetOnDrop(Arc<AtomicUsize>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    let pool = Pool::builder().max(2).build().unwrap();
    let baseline = alive_tasks();
    let dropped = Arc::new(AtomicUsize::new(0));
    let (started, mut starts) = mpsc::unbounded_channel();
    let on_tasks = TaskGroup::new();
    let on_pool = TaskGroup::builder().pool(&pool).build().unwrap();
    for group in [&on_tasks, &on_pool] {
        let (guard, started) = (SetOnDrop(dropped.clone()), started.clone());
        group
            .go(move |_ctx: Context| async move {
                let _guard = guard;
                started.send(()).unwrap();
                // Ignores its context: only an abort stops it.
                std::future::pending::<Outcome>().await
            })
            .await
            .unwrap();
    }
    starts.recv().await.unwrap();
    starts.recv().await.unwrap();
    assert_eq!(
        alive_tasks(),
        baseline + 2,
        "a tokio task and a pool worker"
    );

    drop(on_tasks);
    drop(on_pool);
    until(|| dropped.load(Ordering::SeqCst) == 2).await;
    // The pool is still there and its worker is free again.
    assert_eq!(pool.submit(async { 5 }).await.unwrap().await.unwrap(), 5);
    pool.close().await.unwrap();
    assert_eq!(alive_tasks(), baseline);
}

#[tokio::test]
async fn wait_leaves_no_task_behind() {
    let baseline = alive_tasks();
    let group = TaskGroup::new();
    for _ in 0..10 {
        group
            .go(|_ctx: Context| async {
                yield_now().await;
                Outcome::Ok(())
            })
            .await
            .unwrap();
    }
    assert_eq!(alive_tasks(), baseline + 10);
    group.wait().await.unwrap();
    assert_eq!(alive_tasks(), baseline);
}

struct Crawler;

impl run::Runner for Crawler {
    type Error = Failure;

    async fn run(self, ctx: Context) -> Outcome {
        assert_eq!(ctx.name(), "g/Crawler");
        Ok(())
    }
}

#[tokio::test]
async fn unnamed_tasks_are_numbered_and_runner_types_named() {
    let group = TaskGroup::builder().name("g").build().unwrap();
    group.go(Crawler).await.unwrap();
    group
        .go(|ctx: Context| async move {
            assert_eq!(ctx.name(), "g/actor-1");
            Outcome::Ok(())
        })
        .await
        .unwrap();
    group.wait().await.unwrap();
}

/// Serves until told to stop through its own interrupt; never looks at its context.
struct Deaf {
    stop: tokio::sync::watch::Sender<bool>,
}

impl run::Runner for Deaf {
    type Error = Failure;

    async fn run(self, _ctx: Context) -> Outcome {
        let mut stopped = self.stop.subscribe();
        let _ = stopped.wait_for(|stop| *stop).await;
        Ok(())
    }

    fn interrupt(&mut self) -> run::Interrupt {
        let stop = self.stop.clone();
        run::Interrupt::call(move |_cause| {
            stop.send_replace(true);
        })
    }
}

#[tokio::test]
async fn a_task_is_interrupted_through_its_runners_own_interrupt() {
    let pool = Pool::builder().max(2).build().unwrap();
    for on_pool in [false, true] {
        let builder = TaskGroup::builder();
        let group = if on_pool {
            builder.pool(&pool)
        } else {
            builder
        }
        .build()
        .unwrap();
        group
            .go(Deaf {
                stop: tokio::sync::watch::channel(false).0,
            })
            .await
            .unwrap();
        let (started, start) = oneshot::channel::<()>();
        group
            .go(|_ctx: Context| async move {
                let _ = started.send(());
                Outcome::Ok(())
            })
            .await
            .unwrap();
        start.await.unwrap();
        group.cancel();
        assert!(matches!(group.wait().await, Err(Error::Cancelled)));
    }
}
