//! The one lifecycle core: each test here pins a behaviour that the two engines of 0.1 got
//! wrong (one stop engine, one interrupt path, one cause from outside, nothing lost, stuck
//! actors named at any depth).

mod common;

use std::{
    future::{Future, pending},
    io,
    pin::pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context as TaskCx, Wake, Waker},
    time::Duration,
};

use common::{Log, no_leak};
use run::{Cause, Context, Error, Event, Group, Runner, TaskGroup, Token, actor};
use tokio::{sync::oneshot, time::Instant};
use tokio_util::sync::CancellationToken;

const SECOND: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------------
// One interrupt path: `#[actor(interrupt = ...)]` is delivered like any other interrupt.

#[actor(interrupt = "explode")]
async fn fragile(stop: Arc<tokio::sync::Notify>) -> Result<(), io::Error> {
    stop.notified().await;
    Ok(())
}

fn explode(_stop: &Arc<tokio::sync::Notify>) -> impl FnOnce(&Cause) + Send + 'static + use<> {
    |_cause| panic!("interrupt broke")
}

#[tokio::test]
async fn a_panicking_actor_fn_interrupt_is_captured_and_stops_no_other_interrupt() {
    no_leak(async {
        let stop = Arc::new(tokio::sync::Notify::new());
        let (told, was_told) = oneshot::channel();
        let mut group = Group::named("app");
        group.spawn(fragile(Arc::clone(&stop)));
        group
            .spawn(move |ctx: Context| async move {
                ctx.interrupted().await;
                told.send(()).unwrap();
                Ok::<_, io::Error>(())
            })
            .name("after");
        group
            .spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) })
            .name("first");
        let running = tokio::spawn(group.run());
        // The other actor was still interrupted, after the panicking interrupt.
        was_told.await.unwrap();
        // The fragile actor never got its stop: it is released by hand.
        stop.notify_one();
        let err = running.await.unwrap().unwrap_err();
        // The first exit was `Ok`: the interrupt's panic is what the group returns.
        assert!(err.is_panic(), "{err:?}");
        assert_eq!(err.actor().unwrap(), "app/fragile");
        assert!(err.to_string().ends_with(": interrupt broke"), "{err}");
    })
    .await;
}

/// Which task each part ran on.
type TaskIds = Arc<Mutex<Vec<(&'static str, Option<tokio::task::Id>)>>>;

#[actor(interrupt = "slow_stop")]
async fn served(ids: TaskIds, ctx: Context) {
    ids.lock().unwrap().push(("actor", tokio::task::try_id()));
    ctx.interrupted().await;
}

fn slow_stop(ids: &TaskIds) -> run::Interrupt {
    let ids = Arc::clone(ids);
    run::Interrupt::call_async(move |_cause| async move {
        ids.lock()
            .unwrap()
            .push(("interrupt", tokio::task::try_id()));
    })
}

#[tokio::test]
async fn an_async_actor_fn_interrupt_runs_as_a_task_of_its_own() {
    let ids = TaskIds::default();
    let mut group = Group::new();
    group.spawn(served(Arc::clone(&ids)));
    group.spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) });
    group.run().await.unwrap();
    let ids = ids.lock().unwrap().clone();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(ids[0].0, "actor");
    assert_eq!(ids[1].0, "interrupt");
    assert!(ids[0].1.is_some() && ids[1].1.is_some());
    assert_ne!(
        ids[0].1, ids[1].1,
        "the interrupt ran inside the actor's task"
    );
}

// ---------------------------------------------------------------------------------------
// One cause for a stop from outside.

/// A group whose one actor reports the cause it sees once interrupted.
fn reporting_group() -> (Group, oneshot::Receiver<Cause>) {
    let (send, seen) = oneshot::channel();
    let mut group = Group::new();
    group.spawn(move |ctx: Context| async move {
        ctx.interrupted().await;
        send.send(ctx.cause().unwrap().clone()).unwrap();
        Ok::<_, io::Error>(())
    });
    (group, seen)
}

#[tokio::test]
async fn a_token_run_until_and_a_parent_give_the_same_cause() {
    let token = CancellationToken::new();
    let (mut group, by_token) = reporting_group();
    group.spawn(Token::new(token.clone()));
    let running = tokio::spawn(group.run());
    token.cancel();
    assert!(matches!(running.await.unwrap(), Err(Error::Cancelled)));
    assert!(matches!(by_token.await.unwrap(), Cause::Cancelled));

    let (group, by_future) = reporting_group();
    assert!(matches!(
        group.run_until(async {}).await,
        Err(Error::Cancelled)
    ));
    assert!(matches!(by_future.await.unwrap(), Cause::Cancelled));

    let (inner, by_parent) = reporting_group();
    let mut outer = Group::new();
    outer.spawn(inner);
    outer.spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) });
    outer.run().await.unwrap();
    assert!(matches!(by_parent.await.unwrap(), Cause::Cancelled));
}

// ---------------------------------------------------------------------------------------
// Push down: a child's finished future is registered nowhere.

#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_finished_child_future_is_not_woken_when_the_parent_stops() {
    let (ready, is_ready) = oneshot::channel::<()>();
    let (report, reported) = oneshot::channel();
    let mut app = Group::new();
    app.spawn(move |ctx: Context| async move {
        let tasks = TaskGroup::builder().parent(&ctx).build()?;
        let (task_ctx, got) = oneshot::channel();
        tasks
            .go(move |task: Context| async move {
                task_ctx.send(task).ok();
                Ok::<_, io::Error>(())
            })
            .await?;
        let task = got.await.unwrap();
        tasks.wait().await?;
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&counter));
        let mut interrupted = pin!(task.interrupted());
        let mut poll = || {
            let mut cx = TaskCx::from_waker(&waker);
            interrupted.as_mut().poll(&mut cx).is_ready()
        };
        assert!(!poll());
        tasks.cancel();
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            1,
            "woken by its own group"
        );
        assert!(poll());
        // Now the parent stops; the finished future is kept, as a select loop would.
        ready.send(()).unwrap();
        ctx.interrupted().await;
        tokio::task::yield_now().await;
        report.send(counter.0.load(Ordering::SeqCst)).unwrap();
        Ok::<_, Error>(())
    });
    app.spawn(|_ctx: Context| async move {
        let _ = is_ready.await;
        Ok::<_, io::Error>(())
    });
    app.run().await.unwrap();
    assert_eq!(reported.await.unwrap(), 1, "woken again by the parent");
}

// ---------------------------------------------------------------------------------------
// Nothing lost: every failure during the shutdown is on the result.

#[tokio::test]
async fn a_panic_after_a_stop_from_outside_is_on_the_result() {
    no_leak(async {
        let mut group = Group::named("app");
        group
            .spawn(|ctx: Context| async move {
                ctx.interrupted().await;
                panic!("lost in shutdown");
                #[allow(unreachable_code)]
                Ok::<_, io::Error>(())
            })
            .name("flusher");
        group
            .spawn(|ctx: Context| async move {
                ctx.interrupted().await;
                Err::<(), _>(io::Error::other("disk full"))
            })
            .name("writer");
        let err = group.run_until(async {}).await.unwrap_err();
        let Error::Shutdown { cause, failures } = &err else {
            panic!("expected the shutdown's failures, got {err:?}");
        };
        assert!(matches!(**cause, Error::Cancelled));
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert!(failures[0].is_panic() && failures[0].actor().unwrap() == "app/flusher");
        assert_eq!(
            failures[1].report().to_string(),
            "actor `app/writer` failed: disk full"
        );
        let report = err.report().to_string();
        assert!(
            report.starts_with("cancelled from outside the group; and during the shutdown: "),
            "{report}"
        );
        assert!(report.contains("actor `app/flusher` panicked"), "{report}");
        assert!(
            report.ends_with("; actor `app/writer` failed: disk full"),
            "{report}"
        );
        assert_eq!(Error::exit_status(&Err(err)), 1);
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// Deadlines flow down: the leaves are named, each with its `TimedOut`, and a later stage
// still gets its share.

#[derive(Runner)]
#[runner(name = "app")]
struct App {
    #[actor]
    http: Stuck,
    #[actor(stage = 2)]
    flusher: Flusher,
}

/// Never returns: an HTTP server stuck on an open connection.
struct Stuck;

impl Runner for Stuck {
    type Error = io::Error;

    async fn run(self, _ctx: Context) -> Result<(), io::Error> {
        pending().await
    }

    fn name(&self) -> std::borrow::Cow<'static, str> {
        "http".into()
    }
}

/// Flushes once interrupted; logs when.
struct Flusher(Log, Instant);

impl Runner for Flusher {
    type Error = io::Error;

    async fn run(self, ctx: Context) -> Result<(), io::Error> {
        ctx.interrupted().await;
        self.0.push(format!("flushed at {:?}", self.1.elapsed()));
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_nested_group_names_its_stuck_leaves_before_the_parent_deadline() {
    no_leak(async {
        let log = Log::default();
        let events = log.clone();
        let start = Instant::now();
        let mut root = Group::new()
            .shutdown_timeout(10 * SECOND)
            .hook(move |event: &Event<'_>| {
                if let Event::TimedOut { actor, .. } = event {
                    events.push(format!("{actor} timed out at {:?}", start.elapsed()));
                }
            });
        let app = App {
            http: Stuck,
            flusher: Flusher(log.clone(), start),
        };
        root.spawn(move |ctx: Context| async move { app.run(ctx).await })
            .name("main");
        root.spawn(|_ctx: Context| async { Err::<(), _>(io::Error::other("SIGTERM")) })
            .name("signals");
        let err = root.run().await.unwrap_err();
        // Two stages share the nested group's time (the root's, less a margin): stage 1 is
        // cut at half of it, and the flusher flushes then instead of being aborted at the end.
        let half = (10 * SECOND - Duration::from_millis(50)) / 2;
        assert_eq!(start.elapsed(), half);
        let Error::ShutdownTimeout { stuck, cause } = &err else {
            panic!("expected a timeout, got {err:?}");
        };
        // `#[runner(name = "app")]` shows though the struct runs inline in `main`'s body.
        assert_eq!(*stuck, ["main/app/http"]);
        assert_eq!(cause.as_ref().unwrap().actor().unwrap(), "signals");
        assert_eq!(
            err.report().to_string(),
            "shutdown timed out; still running: main/app/http; \
             the shutdown began with: actor `signals` failed: SIGTERM"
        );
        assert_eq!(
            log.take(),
            [
                format!("main/app/http timed out at {half:?}"),
                format!("flushed at {half:?}"),
            ]
        );
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// What a user meets first.

#[tokio::test]
async fn actors_that_cannot_fail_return_unit() {
    no_leak(async {
        let (stop, stopped) = oneshot::channel::<()>();
        let mut group = Group::new();
        group.spawn(|ctx: Context| async move {
            ctx.interrupted().await;
        });
        group.add(
            async move {
                let _ = stopped.await;
            },
            move |_cause| {
                let _ = stop.send(());
            },
        );
        group.spawn(|_ctx: Context| async {});
        group.run().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_stop_requested_deep_inside_stops_the_whole_app_cleanly() {
    no_leak(async {
        let (send, seen) = oneshot::channel();
        let mut admin = Group::named("admin");
        admin.spawn(|ctx: Context| async move { ctx.request_stop() });
        let mut app = Group::named("app");
        app.spawn(admin);
        app.spawn(move |ctx: Context| async move {
            ctx.interrupted().await;
            send.send(ctx.cause().cloned()).unwrap();
        })
        .name("server");
        assert!(app.run().await.is_ok(), "a requested stop is clean");
        assert!(matches!(seen.await.unwrap(), Some(Cause::StopRequested)));
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn child_tasks_are_aborted_with_their_actor_and_hold_nothing_after() {
    no_leak(async {
        let (sender, mut jobs) = tokio::sync::mpsc::channel::<u32>(1);
        let mut group = Group::named("app");
        group
            .spawn(move |ctx: Context| async move {
                // A connection task that ignores every interrupt and holds a sender.
                ctx.spawn(move |_conn: Context| async move {
                    let _sender = sender;
                    pending::<()>().await;
                })
                .unwrap();
                ctx.interrupted().await;
            })
            .name("http")
            .timeout(2 * SECOND);
        group.spawn(|_ctx: Context| async {}).name("oneshot");
        let start = Instant::now();
        let err = group.run().await.unwrap_err();
        assert_eq!(
            start.elapsed(),
            2 * SECOND,
            "the actor waited for its child"
        );
        let Error::ShutdownTimeout { stuck, .. } = &err else {
            panic!("expected a timeout, got {err:?}");
        };
        assert_eq!(*stuck, ["app/http"]);
        // The child was aborted with its actor: its sender is gone.
        assert_eq!(jobs.recv().await, None);
    })
    .await;
}

/// Child tasks that ignore their interrupt, started by an actor that does return: its timeout
/// aborts them, and `run()` joins them before it returns, so the runtime's alive task count
/// is back at its baseline at once (exact on a current-thread runtime).
#[tokio::test(start_paused = true)]
async fn children_aborted_at_their_actors_timeout_are_gone_when_run_returns() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let mut group = Group::named("app");
    group
        .spawn(|ctx: Context| async move {
            for _ in 0..3 {
                ctx.spawn_named("conn", |_conn: Context| pending::<()>())
                    .unwrap();
            }
            ctx.interrupted().await;
        })
        .name("http")
        .timeout(2 * SECOND);
    group.spawn(|_ctx: Context| async {}).name("oneshot");
    let start = Instant::now();
    let err = group.run().await.unwrap_err();
    assert_eq!(
        metrics.num_alive_tasks(),
        before,
        "the aborted children are still alive"
    );
    assert_eq!(start.elapsed(), 2 * SECOND);
    let Error::ShutdownTimeout { stuck, .. } = &err else {
        panic!("expected a timeout, got {err:?}");
    };
    assert_eq!(*stuck, ["app/http"]);
}

/// The same, as most apps run: in a nested group under a root, on the multi-thread runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_children_aborted_at_their_actors_timeout_are_gone_when_run_returns() {
    no_leak(async {
        let (started, all_started) = oneshot::channel();
        let mut app = Group::named("app");
        app.spawn(|ctx: Context| async move {
            let mut server = ctx.group_named("server");
            server
                .spawn(|ctx: Context| async move {
                    for _ in 0..20 {
                        ctx.spawn_named("conn", |_conn: Context| pending::<()>())
                            .unwrap();
                    }
                    started.send(()).unwrap();
                    ctx.interrupted().await;
                })
                .name("http")
                .timeout(SECOND / 10);
            server.run().await
        })
        .name("main");
        app.spawn(|_ctx: Context| async move { all_started.await.unwrap() })
            .name("stopper");
        let err = app.run().await.unwrap_err();
        let Error::ShutdownTimeout { stuck, .. } = &err else {
            panic!("expected a timeout, got {err:?}");
        };
        assert_eq!(*stuck, ["app/main/server/http"]);
    })
    .await;
}

/// Takes a while to drop: a nested group's actor whose abort is still running on a worker.
struct SlowDrop;

impl Drop for SlowDrop {
    fn drop(&mut self) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A nested group whose `run` future an actor drops (it gave up waiting on it): its tasks are
/// aborted, and the scope above joins them with its own, so none outlives the top `run()`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tasks_of_a_dropped_nested_group_are_joined_by_the_scope_above() {
    no_leak(async {
        let mut app = Group::named("app");
        app.spawn(|ctx: Context| async move {
            let mut inner = ctx.group_named("inner");
            let (started, mut all_started) = tokio::sync::mpsc::channel::<()>(20);
            for _ in 0..20 {
                let started = started.clone();
                inner.spawn(move |_ctx: Context| async move {
                    let _slow = SlowDrop;
                    started.send(()).await.unwrap();
                    pending::<()>().await
                });
            }
            let mut run = std::pin::pin!(inner.run());
            for _ in 0..20 {
                tokio::select! {
                    _ = &mut run => unreachable!("runs until dropped"),
                    started = all_started.recv() => started.unwrap(),
                }
            }
        })
        .name("main");
        app.run().await.unwrap();
    })
    .await;
}

/// A leaf's guard whose drop ends only once `run()` has returned, or after a while: it
/// counts the drops that ended, so that a leaf dropped after `run()` returned is seen.
struct DropsLate {
    returned: Arc<(Mutex<bool>, std::sync::Condvar)>,
    dropped: Arc<AtomicUsize>,
}

impl Drop for DropsLate {
    fn drop(&mut self) {
        let (returned, changed) = &*self.returned;
        let _ = changed
            .wait_timeout_while(returned.lock().unwrap(), SECOND / 5, |returned| !*returned)
            .unwrap();
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// Two levels of groups under the root, on the multi-thread runtime: an actor drops the
/// `run` future of the group under it (it gave up on it), so that group's scope is gone
/// before its aborted member `store` is dropped on a worker, and with it the group under
/// `store`. Those leaves are handed up past the gone scope to the root, which joins them:
/// every leaf's drop has ended the moment `run()` returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaves_two_levels_below_a_dropped_group_are_joined_before_run_returns() {
    const LEAVES: usize = 2;
    let returned = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let dropped = Arc::new(AtomicUsize::new(0));
    let (guards, seen) = (Arc::clone(&returned), Arc::clone(&dropped));
    let mut app = Group::named("app");
    app.spawn(move |ctx: Context| async move {
        let (started, mut all_started) = tokio::sync::mpsc::channel::<()>(LEAVES);
        let mut main = ctx.group();
        main.spawn(move |ctx: Context| async move {
            let mut store = ctx.group();
            for _ in 0..LEAVES {
                let guard = DropsLate {
                    returned: Arc::clone(&guards),
                    dropped: Arc::clone(&seen),
                };
                let started = started.clone();
                store
                    .spawn(move |_ctx: Context| async move {
                        let _guard = guard;
                        started.send(()).await.unwrap();
                        pending::<()>().await
                    })
                    .name("writer");
            }
            store.run().await
        })
        .name("store");
        let mut run = pin!(main.run());
        for _ in 0..LEAVES {
            tokio::select! {
                _ = &mut run => unreachable!("runs until dropped"),
                started = all_started.recv() => started.unwrap(),
            }
        }
    })
    .name("main");
    let result = app.run().await;
    let dropped_at_return = dropped.load(Ordering::SeqCst);
    *returned.0.lock().unwrap() = true;
    returned.1.notify_all();
    result.unwrap();
    assert_eq!(
        dropped_at_return, LEAVES,
        "leaves were still being dropped when run() returned"
    );
}

/// The worker of an app laid out as most are (a group under the root): it takes a job, sees
/// the stop before it could start on it, and hands the job to a child task.
fn worker(
    jobs: tokio::sync::mpsc::Receiver<Duration>,
    taken: oneshot::Sender<()>,
    done: oneshot::Sender<bool>,
    kept: oneshot::Sender<Context>,
    timeout: Duration,
) -> Group {
    let mut jobs = jobs;
    let mut app = Group::named("app");
    app.spawn(move |ctx: Context| async move {
        let mut group = ctx.group();
        group
            .spawn(move |ctx: Context| async move {
                let job = jobs.recv().await.unwrap();
                taken.send(()).unwrap();
                ctx.interrupted().await;
                // Stopping, not ended: the job runs, told of the stop from its start.
                ctx.spawn_named("job", move |job_ctx: Context| async move {
                    let interrupted = job_ctx.is_interrupted();
                    tokio::time::sleep(job).await;
                    done.send(interrupted).unwrap();
                })?;
                kept.send(ctx).unwrap();
                Ok::<_, Error>(())
            })
            .name("worker")
            .timeout(timeout);
        group.run().await
    })
    .name("main");
    app
}

/// A job taken before the stop is not lost: spawned while its actor stops, it runs (its
/// context interrupted from the start) and the app stops cleanly once it is done; spawning
/// once the actor has ended is refused, naming it.
#[tokio::test(start_paused = true)]
async fn a_job_spawned_while_its_actor_stops_runs_under_its_timeout() {
    no_leak(async {
        let (send, jobs) = tokio::sync::mpsc::channel(1);
        let (taken, was_taken) = oneshot::channel();
        let (done, was_done) = oneshot::channel();
        let (kept, ctx) = oneshot::channel();
        let mut app = worker(jobs, taken, done, kept, 5 * SECOND);
        app.spawn(|ctx: Context| async move {
            was_taken.await.unwrap();
            ctx.request_stop();
        })
        .name("stopper");
        send.send(2 * SECOND).await.unwrap();
        let start = Instant::now();
        app.run().await.unwrap();
        assert_eq!(start.elapsed(), 2 * SECOND, "the job ran to its end");
        assert!(was_done.await.unwrap(), "interrupted from its start");

        let ctx = ctx.await.unwrap();
        let refused = ctx.spawn(|_ctx: Context| async {}).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "actor `app/main/worker` has ended; cannot spawn a child task"
        );
        assert_eq!(refused.actor().unwrap(), "app/main/worker");
    })
    .await;
}

/// A job spawned while its actor stops runs under the actor's timeout: past it, it is
/// aborted with the actor, which is named.
#[tokio::test(start_paused = true)]
async fn a_job_spawned_while_its_actor_stops_is_aborted_at_its_timeout() {
    no_leak(async {
        let (send, jobs) = tokio::sync::mpsc::channel(1);
        let (taken, was_taken) = oneshot::channel();
        let (done, was_done) = oneshot::channel();
        let (kept, _ctx) = oneshot::channel();
        let mut app = worker(jobs, taken, done, kept, SECOND);
        app.spawn(|ctx: Context| async move {
            was_taken.await.unwrap();
            ctx.request_stop();
        })
        .name("stopper");
        send.send(10 * SECOND).await.unwrap();
        let start = Instant::now();
        let err = app.run().await.unwrap_err();
        assert_eq!(start.elapsed(), SECOND);
        assert_eq!(
            err.to_string(),
            "shutdown timed out; still running: app/main/worker"
        );
        assert!(was_done.await.is_err(), "aborted before it was done");
    })
    .await;
}

/// A child whose interrupt calls something: stopped through that call.
struct Notified(Arc<tokio::sync::Notify>, Log);

impl Runner for Notified {
    type Error = io::Error;

    async fn run(self, _ctx: Context) -> Result<(), io::Error> {
        self.0.notified().await;
        self.1.push("child returned");
        Ok(())
    }

    fn interrupt(&mut self) -> run::Interrupt {
        let (stop, log) = (Arc::clone(&self.0), self.1.clone());
        run::Interrupt::call(move |_cause| {
            log.push("child's interrupt called");
            stop.notify_one();
        })
    }

    fn name(&self) -> std::borrow::Cow<'static, str> {
        "child".into()
    }
}

/// A child spawned while its actor stops gets its interrupt at its start, once, with an
/// `Interrupted` event, as its siblings got theirs with the actor.
#[tokio::test]
async fn a_child_spawned_while_its_actor_stops_gets_its_interrupt_once_at_its_start() {
    no_leak(async {
        let log = Log::default();
        let events = log.clone();
        let mut app = Group::named("app").hook(move |event: &Event<'_>| {
            if let Event::Interrupted { actor, .. } = event {
                events.push(format!("{actor} interrupted"));
            }
        });
        let child_log = log.clone();
        app.spawn(move |ctx: Context| async move {
            ctx.interrupted().await;
            let stop = Arc::new(tokio::sync::Notify::new());
            ctx.spawn(Notified(stop, child_log)).unwrap();
        })
        .name("worker");
        app.spawn(|_ctx: Context| async {}).name("oneshot");
        app.run().await.unwrap();
        let mut log = log.take();
        log[..2].sort();
        assert_eq!(
            log,
            [
                "app/oneshot interrupted",
                "app/worker interrupted",
                "app/worker/child interrupted",
                "child's interrupt called",
                "child returned",
            ]
        );
    })
    .await;
}

/// A task group's stop interrupts each task and each child task once: a child is not
/// interrupted again when its owner then returns.
#[tokio::test]
async fn a_task_groups_stop_interrupts_a_child_task_once() {
    no_leak(async {
        let log = Log::default();
        let events = log.clone();
        let tasks = TaskGroup::builder()
            .name("jobs")
            .hook(move |event: &Event<'_>| {
                if let Event::Interrupted { actor, .. } = event {
                    events.push(format!("{actor} interrupted"));
                }
            })
            .build()
            .unwrap();
        let (started, child_started) = oneshot::channel();
        tasks
            .go_named("parent", move |ctx: Context| async move {
                ctx.spawn_named("child", |child: Context| async move {
                    child.interrupted().await;
                })
                .unwrap();
                started.send(()).unwrap();
                ctx.interrupted().await;
            })
            .await
            .unwrap();
        child_started.await.unwrap();
        tasks.cancel();
        assert!(matches!(tasks.wait().await, Err(Error::Cancelled)));
        let mut log = log.take();
        log.sort();
        assert_eq!(
            log,
            ["jobs/parent interrupted", "jobs/parent/child interrupted"]
        );
    })
    .await;
}

/// An actor with more child tasks than fit a byte (a server with many connections): the stop
/// waits for every one of them, and no longer.
#[tokio::test(start_paused = true)]
async fn an_actor_with_hundreds_of_children_is_finished_when_the_last_one_is() {
    no_leak(async {
        let (started, all_started) = oneshot::channel();
        let mut app = Group::named("app").shutdown_timeout(5 * SECOND);
        app.spawn(|ctx: Context| async move {
            for _ in 0..300 {
                ctx.spawn_named("conn", |conn: Context| async move {
                    conn.interrupted().await;
                    tokio::time::sleep(SECOND).await;
                })
                .unwrap();
            }
            started.send(()).unwrap();
            ctx.interrupted().await;
        })
        .name("server");
        app.spawn(|_ctx: Context| async move { all_started.await.unwrap() })
            .name("stopper");
        let start = Instant::now();
        app.run().await.unwrap();
        assert_eq!(start.elapsed(), SECOND);
    })
    .await;
}

#[tokio::test]
async fn a_failing_child_task_stops_the_group_and_names_itself() {
    no_leak(async {
        let mut group = Group::named("app");
        group
            .spawn(|ctx: Context| async move {
                ctx.spawn_named("conn", |_conn: Context| async {
                    Err::<(), _>(io::Error::other("reset"))
                })
                .unwrap();
                ctx.interrupted().await;
                // Stopping, not ended: a child started now runs, interrupted from the start.
                let (seen, saw) = oneshot::channel();
                ctx.spawn(move |late: Context| async move {
                    seen.send(late.is_interrupted()).unwrap();
                })
                .unwrap();
                assert!(saw.await.unwrap());
            })
            .name("http");
        let err = group.run().await.unwrap_err();
        assert_eq!(
            err.report().to_string(),
            "actor `app/http/conn` failed: reset"
        );
    })
    .await;
}

#[tokio::test]
async fn a_task_groups_task_can_spawn_children_too() {
    let tasks = TaskGroup::builder().name("jobs").build().unwrap();
    let (send, names) = oneshot::channel();
    tasks
        .go_named("parent", move |ctx: Context| async move {
            let (child_send, child_name) = oneshot::channel();
            ctx.spawn_named("child", move |child: Context| async move {
                child_send.send(child.name().to_string()).unwrap();
            })
            .unwrap();
            send.send(child_name.await.unwrap()).unwrap();
        })
        .await
        .unwrap();
    tasks.wait().await.unwrap();
    assert_eq!(names.await.unwrap(), "jobs/parent/child");
    assert_eq!(tasks.running(), 0);
}

#[tokio::test]
async fn child_tasks_are_interrupted_when_their_actor_returns() {
    no_leak(async {
        let (told, was_told) = oneshot::channel::<String>();
        let mut group = Group::named("app");
        group
            .spawn(move |ctx: Context| async move {
                ctx.spawn_named("child", move |child: Context| async move {
                    child.interrupted().await;
                    told.send(child.name().to_string()).unwrap();
                })
                .unwrap();
                // Returns at once: a task, so the group goes on; its child must be stopped.
            })
            .exit(run::ExitPolicy::Task)
            .name("parent");
        group
            .spawn(move |_ctx: Context| async move {
                // Stops the group only once the child has seen its interrupt.
                assert_eq!(was_told.await.unwrap(), "app/parent/child");
            })
            .name("watcher");
        group.run().await.unwrap();
    })
    .await;
}
