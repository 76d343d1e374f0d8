//! The shutdown budget and stuck-actor forensics, under paused time: what does not
//! fit is refused at start, and a stuck or forced shutdown says who was doing what, since when.

#[cfg(unix)]
mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use run::{
    BudgetPart, Context, Error, Group, Runner, Signal,
    testing::{SignalInjector, run_paused},
};

const SECOND: Duration = Duration::from_secs(1);

/// Serves until interrupted, then flushes forever, saying so.
async fn hangs_flushing(ctx: Context) {
    ctx.phase("serving");
    ctx.interrupted().await;
    ctx.phase("flushing");
    tokio::time::sleep(SECOND).await;
    ctx.phase("flushing"); // again: the phase keeps its start
    std::future::pending::<()>().await;
}

#[test]
fn a_stuck_actor_is_named_with_its_phase_and_the_time_in_it() {
    let err = run_paused(async {
        let mut group = Group::named("app").shutdown_timeout(4 * SECOND);
        group.spawn(hangs_flushing).name("db");
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("quiet");
        group.spawn(|_ctx: Context| async {}).name("job");
        group.run().await.unwrap_err()
    });
    let Error::ShutdownTimeout { stuck, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*stuck, ["app/db"]);
    assert_eq!(stuck[0].phase.as_deref(), Some("flushing"));
    assert_eq!(stuck[0].in_phase, 4 * SECOND);
    assert_eq!(
        err.report().to_string(),
        r#"shutdown timed out; still running: app/db (phase "flushing" for 4.0s)"#
    );
}

#[test]
fn a_stuck_actor_without_a_phase_is_named_alone_and_an_own_timeout_counts_from_its_interrupt() {
    let err = run_paused(async {
        let mut group = Group::named("app").shutdown_timeout(10 * SECOND);
        group
            .spawn(|_ctx: Context| std::future::pending::<()>())
            .name("plain");
        group
            .spawn(|ctx: Context| async move {
                ctx.phase("syncing");
                std::future::pending::<()>().await
            })
            .name("own")
            .timeout(2 * SECOND);
        group.spawn(|_ctx: Context| async {}).name("job");
        group.run().await.unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        r#"shutdown timed out; still running: app/own (phase "syncing" for 2.0s), app/plain"#
    );
}

#[test]
fn a_nested_stuck_leaf_keeps_its_phase() {
    let err = run_paused(async {
        let mut app = Group::named("app").shutdown_timeout(4 * SECOND);
        app.spawn(|ctx: Context| async move {
            let mut inner = ctx.group();
            inner.spawn(hangs_flushing).name("db");
            inner.run().await
        })
        .name("store");
        app.spawn(|_ctx: Context| async {}).name("job");
        app.run().await.unwrap_err()
    });
    let Error::ShutdownTimeout { stuck, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*stuck, ["app/store/db"]);
    assert_eq!(stuck[0].phase.as_deref(), Some("flushing"));
    // The nested group stops its leaf just before the parent's deadline.
    assert!(stuck[0].in_phase < 4 * SECOND && stuck[0].in_phase >= 3 * SECOND);
}

#[test]
fn a_forced_exit_names_the_actors_it_aborted_with_their_phases() {
    let (signals, injector) = SignalInjector::new();
    let result = run_paused(async move {
        let mut group = Group::named("app").shutdown_timeout(60 * SECOND);
        group.spawn(signals);
        group.spawn(hangs_flushing).name("db");
        group
            .spawn(|ctx: Context| async move {
                let mut inner = ctx.group();
                inner.spawn(hangs_flushing).name("writer");
                inner.run().await
            })
            .name("store");
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("done");
        let running = tokio::spawn(group.run());
        tokio::task::yield_now().await;
        injector.send(Signal::Interrupt);
        tokio::time::sleep(2 * SECOND).await;
        injector.send(Signal::Interrupt);
        running.await.unwrap()
    });
    let Err(Error::Forced { signal, aborted }) = &result else {
        panic!("{result:?}")
    };
    assert_eq!(*signal, Signal::Interrupt);
    assert_eq!(*aborted, ["app/db", "app/store/writer"]);
    assert_eq!(
        result.unwrap_err().to_string(),
        r#"received SIGINT again while shutting down: aborted app/db (phase "flushing" for 2.0s), app/store/writer (phase "flushing" for 2.0s)"#
    );
}

#[test]
fn an_actor_timeout_that_cannot_fit_the_budget_is_refused_before_anything_starts() {
    let (err, started) = run_paused(async {
        let started = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut group = Group::named("app")
            .shutdown_timeout(30 * SECOND)
            .drain(10 * SECOND);
        let seen = started.clone();
        group
            .spawn(move |_ctx: Context| async move {
                seen.store(true, std::sync::atomic::Ordering::SeqCst);
            })
            .name("api");
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("flusher")
            .stage(2)
            .timeout(15 * SECOND);
        let err = group.run().await.unwrap_err();
        (err, started.load(std::sync::atomic::Ordering::SeqCst))
    });
    assert!(!started, "nothing starts");
    let Error::OverBudget {
        part:
            BudgetPart::Actor {
                actor,
                timeout,
                stage,
                stages,
                ..
            },
        available,
        budget,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*actor, "app/flusher");
    assert_eq!((*timeout, *stage, *stages), (15 * SECOND, 2, 2));
    assert_eq!((*available, *budget), (10 * SECOND, 30 * SECOND));
    assert_eq!(
        err.to_string(),
        "the shutdown budget of 30s cannot fit the 15s timeout of actor `app/flusher` (shutdown stage 2 of 2, each an even share of the time left): 10s at most is left for it"
    );
}

#[test]
fn timeouts_that_fit_are_honoured_in_full() {
    let err = run_paused(async {
        let mut group = Group::named("app")
            .shutdown_timeout(30 * SECOND)
            .drain(5 * SECOND);
        group
            .spawn(|ctx: Context| async move {
                ctx.interrupted().await;
                ctx.phase("closing");
                std::future::pending::<()>().await
            })
            .name("api")
            .timeout(2 * SECOND);
        group
            .spawn(|ctx: Context| async move {
                ctx.interrupted().await;
                ctx.phase("flushing");
                std::future::pending::<()>().await
            })
            .name("flusher")
            .stage(2)
            .timeout(23 * SECOND);
        // In the last stage: an actor without a timeout may use its stage's whole share.
        group
            .spawn(|ctx: Context| async move { ctx.stop_handle().stop() })
            .stage(2);
        group.run().await.unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        r#"shutdown timed out; still running: app/api (phase "closing" for 2.0s), app/flusher (phase "flushing" for 23.0s)"#
    );
}

/// An actor that notes that its body ran, then serves until interrupted and hangs there
/// (`stuck`) or returns.
#[derive(Clone)]
struct Marked {
    ran: Arc<AtomicBool>,
    stuck: bool,
}

impl Marked {
    fn new(stuck: bool) -> (Self, Arc<AtomicBool>) {
        let ran = Arc::new(AtomicBool::new(false));
        let marked = Self {
            ran: Arc::clone(&ran),
            stuck,
        };
        (marked, ran)
    }
}

impl Runner for Marked {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), std::io::Error> {
        self.ran.store(true, Ordering::SeqCst);
        ctx.interrupted().await;
        if self.stuck {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

/// The layout of `#[run::main]` with a derived struct: the struct runs as the actor `main` of
/// the root group, its fields one level below.
#[derive(Runner)]
struct App {
    #[actor]
    api: Marked,
    #[actor(timeout = "20s")]
    flusher: Marked,
}

/// `run`'s result; a group that would run until a signal (its nested group not refused)
/// fails the test instead of hanging it.
async fn returns(run: impl std::future::Future<Output = Result<(), Error>>) -> Result<(), Error> {
    tokio::time::timeout(60 * SECOND, run)
        .await
        .expect("the group returns on its own")
}

/// The error a refused nested group returned, out of its actor's failure.
fn nested(err: &Error) -> &Error {
    err.downcast_ref::<Error>()
        .unwrap_or_else(|| panic!("a nested group's error: {err:?}"))
}

#[test]
fn a_nested_timeout_that_cannot_fit_what_its_actor_may_use_is_refused_before_it_starts() {
    let (err, api, flusher) = run_paused(async {
        // `#[run::main(drain = "20s", shutdown_timeout = "30s")]`: `main` may use 10 s.
        let mut root = Group::new()
            .shutdown_timeout(30 * SECOND)
            .drain(20 * SECOND);
        let (api, api_ran) = Marked::new(false);
        let (flusher, flusher_ran) = Marked::new(false);
        root.spawn(App { api, flusher }).name("main");
        let err = returns(root.run()).await.unwrap_err();
        (
            err,
            api_ran.load(Ordering::SeqCst),
            flusher_ran.load(Ordering::SeqCst),
        )
    });
    assert!(!api && !flusher, "nothing of the refused group starts");
    assert_eq!(err.actor().unwrap(), "main");
    let Error::OverBudget {
        part: BudgetPart::Actor { actor, timeout, .. },
        available,
        budget,
    } = nested(&err)
    else {
        panic!("{err:?}")
    };
    assert_eq!(*actor, "main/flusher");
    assert_eq!(*timeout, 20 * SECOND);
    // What `main` may use, less the margin a nested group leaves its parent.
    let left = 10 * SECOND - Duration::from_millis(50);
    assert_eq!((*available, *budget), (left, left));
    assert_eq!(
        err.report().to_string(),
        "actor `main` failed: the shutdown budget of 9.95s cannot fit the 20s timeout of actor `main/flusher`: 9.95s at most is left for it"
    );
}

/// Two levels of derived structs: `main` runs `Outer`, whose stage-2 field `store` runs a
/// store, whose flusher has a timeout.
#[derive(Runner)]
struct Outer<S> {
    #[actor(timeout = "5s")]
    api: Marked,
    #[actor(stage = 2)]
    store: S,
}

#[derive(Runner)]
struct TooLong {
    #[actor(timeout = "25s")]
    flusher: Marked,
}

#[derive(Runner)]
struct Fits {
    #[actor(timeout = "24s")]
    flusher: Marked,
}

/// Runs `Outer` as `main` under a 30 s budget, around the store `make` makes of a flusher,
/// and stops it at 1 s: the result, whether the flusher ran, and when each actor was aborted.
fn three_levels<S: Runner>(
    api_stuck: bool,
    make: impl FnOnce(Marked) -> S + Send + 'static,
) -> (Result<(), Error>, bool, Vec<(String, Duration)>) {
    run_paused(async move {
        let aborted = Arc::new(std::sync::Mutex::new(Vec::new()));
        let start = tokio::time::Instant::now();
        let seen = Arc::clone(&aborted);
        let mut root =
            Group::new()
                .shutdown_timeout(30 * SECOND)
                .hook(move |event: &run::Event<'_>| {
                    if let run::Event::TimedOut { actor, .. } = event {
                        let at = tokio::time::Instant::now() - start;
                        seen.lock().unwrap().push((actor.to_string(), at));
                    }
                });
        let (api, _) = Marked::new(api_stuck);
        let (flusher, flusher_ran) = Marked::new(true);
        let store = make(flusher);
        root.spawn(Outer { api, store }).name("main");
        root.spawn(|_ctx: Context| async { tokio::time::sleep(SECOND).await })
            .name("trigger");
        let result = root.run().await;
        let aborted = aborted.lock().unwrap().clone();
        (result, flusher_ran.load(Ordering::SeqCst), aborted)
    })
}

#[test]
fn a_timeout_three_levels_down_is_checked_against_what_each_level_leaves() {
    // `main` may use 30 s, less 50 ms for `Outer`; `api` takes 5 s of that, so `store` may
    // use 24.95 s, less 50 ms for its own group: 24.9 s.
    let (result, ran, _) = three_levels(false, |flusher| TooLong { flusher });
    assert!(!ran, "nothing of the refused group starts");
    let err = result.unwrap_err();
    assert_eq!(err.actor().unwrap(), "main/store");
    let refused = nested(&err);
    let Error::OverBudget {
        part: BudgetPart::Actor { actor, .. },
        available,
        ..
    } = refused
    else {
        panic!("{err:?}")
    };
    assert_eq!(*actor, "main/store/flusher");
    assert_eq!(*available, Duration::from_millis(24_900));
    assert_eq!(
        refused.to_string(),
        "the shutdown budget of 24.9s cannot fit the 25s timeout of actor `main/store/flusher`: 24.9s at most is left for it"
    );
}

#[test]
fn a_timeout_that_fits_three_levels_down_is_honoured_in_full() {
    let (result, ran, aborted) = three_levels(true, |flusher| Fits { flusher });
    assert!(ran);
    assert_eq!(
        result.unwrap_err().to_string(),
        "shutdown timed out; still running: main/api, main/store/flusher"
    );
    // Stopped at 1 s: `api` aborted at its 5 s, then the flusher interrupted and given all
    // of its 24 s.
    assert_eq!(
        aborted,
        [
            ("main/api".to_string(), 6 * SECOND),
            ("main/store/flusher".to_string(), 30 * SECOND),
        ]
    );
}

#[test]
fn a_group_made_at_run_time_is_checked_against_the_deadline_it_inherits() {
    let (err, child) = run_paused(async {
        let (marked, ran) = Marked::new(false);
        let mut app = Group::named("app").shutdown_timeout(10 * SECOND);
        app.spawn(move |ctx: Context| async move {
            let mut children = ctx.group();
            children.spawn(marked).name("child").timeout(12 * SECOND);
            children.run().await
        })
        .name("worker");
        let err = returns(app.run()).await.unwrap_err();
        (err, ran.load(Ordering::SeqCst))
    });
    assert!(!child, "the child never starts");
    assert_eq!(
        err.report().to_string(),
        "actor `app/worker` failed: the shutdown budget of 9.95s cannot fit the 12s timeout of actor `app/worker/child`: 9.95s at most is left for it"
    );
}

#[test]
fn start_order_levels_share_their_stage_and_take_nothing_from_the_other_stages() {
    // 8 s over two stages: 4 s each. Stage 1 stops in two levels (`api` starts after `db`,
    // so it stops first), each an even share of the stage's time: 2 s, then what is left.
    let times = run_paused(async {
        let times = Arc::new(std::sync::Mutex::new(Vec::new()));
        let start = tokio::time::Instant::now();
        let seen = Arc::clone(&times);
        let mut group =
            Group::named("app")
                .shutdown_timeout(8 * SECOND)
                .hook(move |event: &run::Event<'_>| {
                    let at = tokio::time::Instant::now() - start;
                    let what = match event {
                        run::Event::Interrupted { actor, .. } => format!("{actor} interrupted"),
                        run::Event::TimedOut { actor, .. } => format!("{actor} aborted"),
                        _ => return,
                    };
                    seen.lock().unwrap().push((what, at));
                });
        for name in ["db", "api", "worker"] {
            let (marked, _) = Marked::new(true);
            let options = group.spawn(marked).name(name);
            match name {
                "api" => drop(options.after("db")),
                "worker" => drop(options.stage(2)),
                _ => {}
            }
        }
        // Stops the group once every actor has started.
        group
            .spawn(|ctx: Context| async move {
                ctx.readiness().unwrap().wait_ready().await;
            })
            .name("trigger");
        group.run().await.unwrap_err();
        times.lock().unwrap().clone()
    });
    let at = |what: &str| {
        times
            .iter()
            .find(|(seen, _)| seen == what)
            .unwrap_or_else(|| panic!("{what} in {times:?}"))
            .1
    };
    assert_eq!(at("app/api interrupted"), Duration::ZERO);
    assert_eq!(at("app/api aborted"), 2 * SECOND);
    assert_eq!(at("app/db interrupted"), 2 * SECOND);
    assert_eq!(at("app/db aborted"), 4 * SECOND);
    // The worker gets the even share of its stage the README promises: 4 s.
    assert_eq!(at("app/worker interrupted"), 4 * SECOND);
    assert_eq!(at("app/worker aborted"), 8 * SECOND);
}

/// A real `#[run::main]` process on the default (multi-thread) runtime: the derived struct's
/// group is refused when it starts, naming the flusher, and neither of its actors runs.
#[cfg(unix)]
#[test]
fn a_run_main_process_refuses_a_nested_timeout_that_cannot_fit() {
    let mut app = common::process::Process::start(env!("CARGO_BIN_EXE_over_budget"));
    // It exits on its own; one that serves instead is stopped, to fail below, not to hang.
    let serving = std::time::Instant::now() + Duration::from_secs(20);
    while app.child.try_wait().unwrap().is_none() && std::time::Instant::now() < serving {
        std::thread::sleep(Duration::from_millis(10));
    }
    if app.child.try_wait().unwrap().is_none() {
        app.signal("TERM");
    }
    let (stdout, stderr, status) = app.finish();
    assert_eq!(status, Some(1), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "Error: actor `main` failed: the shutdown budget of 9.95s cannot fit the 20s timeout \
         of actor `main/flusher`: 9.95s at most is left for it"
    );
    assert!(stdout.is_empty(), "nothing of the group ran: {stdout:?}");
}

#[test]
fn a_group_made_in_a_child_task_has_what_the_child_s_owner_has() {
    let (err, child) = run_paused(async {
        let (marked, ran) = Marked::new(false);
        let (result, refused) = tokio::sync::oneshot::channel();
        // Two stages of 30 s: the worker, in the first, may use 15 s; its child task too.
        let mut app = Group::named("app").shutdown_timeout(30 * SECOND);
        app.spawn(move |ctx: Context| async move {
            ctx.spawn_named("conn", move |conn: Context| async move {
                let mut children = conn.group();
                children.spawn(marked).name("flusher").timeout(20 * SECOND);
                let _ = result.send(children.run().await);
            })
            .unwrap();
            ctx.interrupted().await;
        })
        .name("worker");
        app.spawn(|ctx: Context| ctx.into_interrupted())
            .name("db")
            .stage(2);
        app.spawn(move |_ctx: Context| async move {
            // Returns once the child task's group has returned: it stops the app.
            refused.await.unwrap()
        })
        .name("watch");
        let err = returns(app.run()).await.unwrap_err();
        (err, ran.load(Ordering::SeqCst))
    });
    assert!(!child, "nothing of the refused group starts");
    assert_eq!(
        err.report().to_string(),
        "actor `app/watch` failed: the shutdown budget of 14.95s cannot fit the 20s timeout of actor `app/worker/conn/flusher`: 14.95s at most is left for it"
    );
}

#[test]
fn a_nested_group_that_began_to_stop_before_the_deadline_above_was_set_learns_it_and_names_its_own()
{
    let (err, flushed, took) = run_paused(async {
        let flushed = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&flushed);
        // app / main / inner: `main` stops on its own at 10 ms and with it `inner`, whose
        // first stage is stuck; no deadline is known then. The app stops at 100 ms with 3 s:
        // `inner` must learn its share of them, abort `stuck` at the end of its first stage,
        // and let `flusher`, in its second, flush; not be aborted whole by `main`.
        let mut inner = Group::named("inner");
        inner
            .spawn(|ctx: Context| async move {
                ctx.interrupted().await;
                std::future::pending::<()>().await
            })
            .name("stuck")
            .stage(0);
        inner
            .spawn(move |ctx: Context| async move {
                ctx.interrupted().await;
                flag.store(true, Ordering::SeqCst);
            })
            .name("flusher")
            .stage(2);
        let mut main = Group::named("main");
        main.spawn(inner);
        main.spawn(|_ctx: Context| tokio::time::sleep(SECOND / 100))
            .name("quitter");
        let mut app = Group::named("app").shutdown_timeout(3 * SECOND);
        app.spawn(main);
        app.spawn(|_ctx: Context| tokio::time::sleep(SECOND / 10))
            .name("timer");
        let start = tokio::time::Instant::now();
        let err = returns(app.run()).await.unwrap_err();
        (err, flushed.load(Ordering::SeqCst), start.elapsed())
    });
    assert_eq!(
        err.to_string(),
        "shutdown timed out; still running: app/main/inner/stuck"
    );
    assert!(flushed, "the second stage was interrupted");
    // `main` has until 3.05 s (the app's 3.1 s less its nested margin), `inner` until 3 s;
    // its first stage, counted from 100 ms (when there was a deadline, not from its own stop
    // at 10 ms), half of what was left: 1.45 s.
    assert_eq!(took, Duration::from_millis(1550));
}

#[test]
fn a_leaf_named_stuck_as_its_group_is_aborted_whole_is_heard_to_time_out() {
    let (err, lines) = run_paused(async {
        let trace = run::testing::Recorder::new();
        // `main` may take 1 ms to stop: its group's own deadline, a nested margin earlier,
        // falls in the same tick of the timer, so `app` aborts `main` whole, naming `slow`,
        // which takes 3 ms. The hook hears `slow` time out, not only `main`.
        let mut main = Group::named("main");
        main.spawn(|ctx: Context| async move {
            ctx.interrupted().await;
            tokio::time::sleep(3 * SECOND / 1000).await;
        })
        .name("slow");
        let mut app = Group::named("app").hook(trace.hook());
        app.spawn(main).timeout(SECOND / 1000);
        app.spawn(|_ctx: Context| tokio::time::sleep(SECOND / 1000))
            .name("quitter");
        let err = returns(app.run()).await.unwrap_err();
        (err, trace.lines())
    });
    assert_eq!(
        err.to_string(),
        "shutdown timed out; still running: app/main/slow"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("app/main/slow timed out")),
        "{lines:?}"
    );
}

/// A nested group that began to stop on its own (one of its actors ended) waits, with no
/// deadline, on a stuck actor until the app stops a minute later: the shutdown budget runs
/// from then, not from the nested group's own stop. Each stage gets its share of the time
/// from the moment there is a deadline: `store`, the first of two stages of `main`, is not
/// aborted whole at once; its stuck actor is aborted at its share, and the obedient flusher
/// of the stage after it still gets the time it needs, and is not named.
#[test]
fn a_group_stopping_before_its_parent_counts_its_shares_from_the_parents_deadline() {
    let (err, flushed) = run_paused(async {
        let flushed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut app = Group::named("app").shutdown_timeout(10 * SECOND);
        let seen = std::sync::Arc::clone(&flushed);
        app.spawn(move |ctx: Context| async move {
            let mut main = ctx.group();
            main.spawn(move |ctx: Context| async move {
                let mut store = ctx.group();
                store
                    .spawn(|_ctx: Context| std::future::pending::<()>())
                    .name("stuck");
                store
                    .spawn(move |ctx: Context| async move {
                        ctx.interrupted().await;
                        tokio::time::sleep(SECOND).await;
                        seen.store(true, std::sync::atomic::Ordering::SeqCst);
                    })
                    .name("flusher")
                    .stage(2);
                store.run().await
            })
            .name("store");
            // Ends at once: `main` begins to stop long before the app does.
            main.spawn(|_ctx: Context| async {}).name("oneshot");
            main.spawn(|ctx: Context| ctx.into_interrupted())
                .name("last")
                .stage(2);
            main.run().await
        })
        .name("main");
        app.spawn(|_ctx: Context| async { tokio::time::sleep(60 * SECOND).await })
            .name("stopper");
        let err = app.run().await.unwrap_err();
        (err, flushed.load(std::sync::atomic::Ordering::SeqCst))
    });
    let Error::ShutdownTimeout { stuck, .. } = &err else {
        panic!("expected a timeout, got {err:?}");
    };
    let stuck: Vec<String> = stuck.iter().map(|stuck| stuck.actor.to_string()).collect();
    assert_eq!(stuck, ["app/main/store/stuck"], "{err}");
    assert!(flushed, "the flusher had its time: {err}");
}
