//! Deployment under paused time: readiness, the drain, start order and the
//! start-up timeout. The real-process side (probes over HTTP, systemd's socket) is in
//! tests/deploy_process.rs.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use run::{
    Context, Error, Group, Signal,
    testing::{self, SignalInjector},
};
use tokio::{sync::oneshot, time::Instant};

/// A log of `(seconds since the start, what happened)`.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<(u64, String)>>>);

impl Log {
    fn push(&self, start: Instant, line: impl Into<String>) {
        let at = start.elapsed().as_secs();
        self.0.lock().unwrap().push((at, line.into()));
    }

    fn lines(&self) -> Vec<(u64, String)> {
        self.0.lock().unwrap().clone()
    }
}

/// An actor that logs its start and stop, says it is ready after `warm_up` (if any), and
/// serves until interrupted.
fn service(
    log: &Log,
    start: Instant,
    name: &'static str,
    warm_up: Option<Duration>,
) -> impl FnOnce(Context) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + use<>
{
    let log = log.clone();
    move |ctx: Context| {
        Box::pin(async move {
            log.push(start, format!("start {name}"));
            if let Some(warm_up) = warm_up {
                tokio::time::sleep(warm_up).await;
                log.push(start, format!("ready {name}"));
                ctx.set_ready();
            }
            ctx.interrupted().await;
            log.push(start, format!("stop {name}"));
        })
    }
}

#[test]
fn a_group_is_ready_once_every_actor_is_and_not_once_it_stops() {
    testing::run_paused(async {
        let (tell, told) = oneshot::channel::<()>();
        let (stop, stopped) = oneshot::channel::<()>();
        let mut group = Group::named("app");
        let readiness = group.readiness();
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("plain");
        group
            .spawn(|ctx: Context| async move {
                told.await.unwrap();
                ctx.set_ready();
                ctx.interrupted().await;
            })
            .name("db")
            .ready_when_told();
        assert!(!readiness.is_ready(), "not ready before it runs");
        let running = tokio::spawn(group.run_until(async {
            stopped.await.ok();
        }));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!readiness.is_ready(), "`db` has not said it is ready");
        assert!(readiness.is_live());
        tell.send(()).unwrap();
        assert!(readiness.wait_ready().await);
        assert_eq!(readiness.ready_status(), 200);
        stop.send(()).unwrap();
        readiness.wait_stopping().await;
        assert!(!readiness.is_ready());
        assert_eq!(readiness.ready_status(), 503);
        assert!(matches!(running.await.unwrap(), Err(Error::Cancelled)));
        assert!(
            !readiness.wait_ready().await,
            "an ended group is never ready again"
        );
    });
}

#[test]
fn a_nested_group_reports_its_readiness_and_health_to_the_actor_it_runs_under() {
    testing::run_paused(async {
        let (tell, told) = oneshot::channel::<()>();
        let (sick, sickened) = oneshot::channel::<()>();
        let mut app = Group::named("app");
        let readiness = app.readiness();
        app.spawn(|ctx: Context| async move {
            let mut db = ctx.group_named("db");
            db.spawn(|ctx: Context| async move {
                told.await.unwrap();
                ctx.set_ready();
                sickened.await.unwrap();
                ctx.set_unhealthy();
                ctx.interrupted().await;
            })
            .name("pool")
            .ready_when_told();
            db.run().await
        })
        .name("main");
        let view = readiness.clone();
        app.spawn(move |_ctx: Context| async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert!(!view.is_ready(), "app/main/db/pool is not ready yet");
            tell.send(()).unwrap();
            assert!(view.wait_ready().await);
            assert!(view.is_live());
            sick.send(()).unwrap();
            tokio::time::sleep(Duration::from_secs(1)).await;
            assert!(
                !view.is_live(),
                "an unhealthy actor deep down makes the app not live"
            );
            assert_eq!(view.live_status(), 503);
        })
        .name("probe");
        app.run().await.unwrap();
    });
}

#[test]
fn actors_start_after_their_dependencies_are_ready_and_stop_in_reverse() {
    let log = Log::default();
    let lines = log.clone();
    testing::run_paused(async move {
        let start = Instant::now();
        let mut group = Group::named("app");
        let readiness = group.readiness();
        group
            .spawn(service(&log, start, "api", None))
            .name("api")
            .after("db")
            .after("cache");
        group
            .spawn(service(&log, start, "db", Some(Duration::from_secs(2))))
            .name("db")
            .ready_when_told();
        group
            .spawn(service(&log, start, "cache", Some(Duration::from_secs(3))))
            .name("cache")
            .ready_when_told();
        group
            .spawn(service(&log, start, "metrics", None))
            .name("metrics");
        group.spawn(move |_ctx: Context| async move {
            assert!(readiness.wait_ready().await);
            tokio::time::sleep(Duration::from_secs(10)).await;
        });
        group.run().await.unwrap();
    });
    let mut lines = lines.lines();
    // Actors that start (or stop) in the same turn do so in the scheduler's order: sorted.
    lines[..3].sort();
    lines[6..8].sort();
    lines[8..].sort();
    let expected: Vec<(u64, String)> = [
        (0, "start cache"),
        (0, "start db"),
        (0, "start metrics"),
        (2, "ready db"),
        (3, "ready cache"),
        (3, "start api"),
        // api (and metrics, which nothing waits for) first, then what api started after.
        (13, "stop api"),
        (13, "stop metrics"),
        (13, "stop cache"),
        (13, "stop db"),
    ]
    .into_iter()
    .map(|(at, line)| (at, line.to_string()))
    .collect();
    assert_eq!(lines, expected);
}

#[test]
fn a_dependency_in_another_stage_follows_the_stages() {
    let log = Log::default();
    let lines = log.clone();
    testing::run_paused(async move {
        let start = Instant::now();
        let mut group = Group::new();
        // `db` is stopped in stage 0, before `api` (stage 1), although `api` starts after it:
        // stages come first.
        group
            .spawn(service(&log, start, "db", None))
            .name("db")
            .stage(0);
        group
            .spawn(service(&log, start, "api", None))
            .name("api")
            .after("db");
        group.spawn(|_ctx: Context| async {});
        group.run().await.unwrap();
    });
    let lines: Vec<String> = lines.lines().into_iter().map(|(_, line)| line).collect();
    assert_eq!(lines, ["start db", "start api", "stop db", "stop api"]);
}

#[test]
fn an_unknown_name_or_a_cycle_is_an_error_before_anything_starts() {
    testing::run_paused(async {
        let started = Arc::new(Mutex::new(0));
        let count = |started: &Arc<Mutex<i32>>| {
            let started = Arc::clone(started);
            move |_ctx: Context| async move {
                *started.lock().unwrap() += 1;
            }
        };
        let mut group = Group::named("app");
        group.spawn(count(&started)).name("api").after("dbb");
        group.spawn(count(&started)).name("db");
        let err = group.run().await.unwrap_err();
        assert!(matches!(&err, Error::UnknownDependency { after, .. } if after == "dbb"));
        assert_eq!(
            err.to_string(),
            "actor `app/api` starts after `dbb`, but its group has no actor of that name"
        );

        let mut group = Group::named("app");
        group.spawn(count(&started)).name("a").after("b");
        group.spawn(count(&started)).name("b").after("c");
        group.spawn(count(&started)).name("c").after("b");
        let err = group.run().await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "the start order has a cycle: `app/b` starts after `app/c` starts after `app/b`"
        );
        assert_eq!(*started.lock().unwrap(), 0);
    });
}

#[test]
fn the_startup_timeout_names_the_actor_that_never_became_ready() {
    testing::run_paused(async {
        let start = Instant::now();
        let mut group = Group::named("app").startup_timeout(Duration::from_secs(30));
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("db")
            .ready_when_told();
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("api")
            .after("db");
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("cache");
        let err = group.run().await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        let Error::StartupTimeout { not_ready, after } = &err else {
            panic!("expected a start-up timeout: {err}");
        };
        assert_eq!(*not_ready, ["app/db"]);
        assert_eq!(*after, Duration::from_secs(30));
        assert_eq!(Error::exit_status(&Err(err)), 1);
    });
}

#[test]
fn a_ready_group_is_not_stopped_by_its_startup_timeout() {
    testing::run_paused(async {
        let mut group = Group::new().startup_timeout(Duration::from_secs(1));
        group.spawn(|_ctx: Context| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        assert!(group.run().await.is_ok());
    });
}

#[test]
fn on_a_signal_the_group_drains_then_stops_in_stages() {
    testing::run_paused(async {
        let log = Log::default();
        let start = Instant::now();
        let (signals, injector) = SignalInjector::new();
        let mut group = Group::named("app")
            .shutdown_timeout(Duration::from_secs(30))
            .drain(Duration::from_secs(5));
        let readiness = group.readiness();
        group.spawn(signals);
        group.spawn(service(&log, start, "http", None)).name("http");
        group
            .spawn(service(&log, start, "flusher", None))
            .name("flusher")
            .stage(2);
        let view = readiness.clone();
        let injected = log.clone();
        group.spawn(move |_ctx: Context| async move {
            assert!(view.wait_ready().await);
            tokio::time::sleep(Duration::from_secs(1)).await;
            injected.push(start, "SIGTERM");
            injector.send(Signal::Terminate);
            view.wait_stopping().await;
            injected.push(start, "not ready");
            assert!(view.is_live(), "draining is still live");
        });
        let result = group.run().await;
        assert!(
            matches!(result, Err(Error::Signal(Signal::Terminate))),
            "{result:?}"
        );
        let lines: Vec<(u64, String)> = log.lines();
        let expected: Vec<(u64, String)> = [
            (0, "start http"),
            (0, "start flusher"),
            (1, "SIGTERM"),
            (1, "not ready"),
            (6, "stop http"),
            (6, "stop flusher"),
        ]
        .into_iter()
        .map(|(at, line)| (at, line.to_string()))
        .collect();
        let mut sorted = lines.clone();
        sorted[..2].sort_by(|a, b| b.1.cmp(&a.1));
        assert_eq!(sorted, expected);
    });
}

#[test]
fn a_second_signal_during_the_drain_forces_the_exit() {
    testing::run_paused(async {
        let start = Instant::now();
        let (signals, injector) = SignalInjector::new();
        let mut group = Group::named("app").drain(Duration::from_secs(5));
        let readiness = group.readiness();
        group.spawn(signals);
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("http");
        group.spawn(move |_ctx: Context| async move {
            assert!(readiness.wait_ready().await);
            injector.send(Signal::Terminate);
            readiness.wait_stopping().await;
            tokio::time::sleep(Duration::from_secs(2)).await;
            injector.send(Signal::Interrupt);
            std::future::pending::<()>().await;
        });
        let result = group.run().await;
        assert!(
            matches!(
                result,
                Err(Error::Forced {
                    signal: Signal::Interrupt,
                    ..
                })
            ),
            "{result:?}"
        );
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    });
}

#[test]
fn a_drain_that_does_not_fit_the_shutdown_timeout_is_an_error_at_start() {
    testing::run_paused(async {
        let mut group = Group::new()
            .shutdown_timeout(Duration::from_secs(5))
            .drain(Duration::from_secs(5));
        let readiness = group.readiness();
        group.spawn(|_ctx: Context| async {});
        assert!(matches!(
            group.run().await,
            Err(Error::OverBudget {
                part: run::BudgetPart::Drain { .. },
                ..
            })
        ));
        assert!(!readiness.wait_ready().await);
    });
}

#[test]
fn the_drain_counts_against_the_shutdown_timeout() {
    testing::run_paused(async {
        let start = Instant::now();
        let (signals, injector) = SignalInjector::new();
        let mut group = Group::named("app")
            .shutdown_timeout(Duration::from_secs(10))
            .drain(Duration::from_secs(4));
        group.spawn(signals);
        group
            .spawn(|_ctx: Context| std::future::pending::<()>())
            .name("stuck");
        group.spawn(move |_ctx: Context| async move {
            injector.send(Signal::Terminate);
            std::future::pending::<()>().await;
        });
        let err = group.run().await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::from_secs(10));
        assert!(
            err.to_string()
                .starts_with("shutdown timed out; still running: "),
            "{err}"
        );
    });
}

/// An actor that serves until interrupted, and never says it is ready.
async fn silent(ctx: Context) {
    ctx.interrupted().await
}

#[test]
fn the_startup_timeout_names_the_leaves_that_never_became_ready_at_any_depth() {
    testing::run_paused(async {
        // app/main (a group) / store (a group) / pool: told, never ready. api waits after
        // store; queue, one level up, is told and never ready either.
        let mut store = Group::named("store");
        store.spawn(silent).name("pool").ready_when_told();
        store.spawn(silent).name("cache");
        let mut main = Group::named("main");
        main.spawn(store);
        main.spawn(silent).name("api").after("store");
        main.spawn(silent).name("queue").ready_when_told();
        let mut app = Group::named("app").startup_timeout(Duration::from_secs(2));
        app.spawn(main);
        let start = Instant::now();
        let err = app.run().await.unwrap_err();
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        let Error::StartupTimeout { not_ready, .. } = &err else {
            panic!("expected a start-up timeout: {err}");
        };
        assert_eq!(*not_ready, ["app/main/store/pool", "app/main/queue"]);
        assert_eq!(
            err.to_string(),
            "start-up timed out after 2s; not ready: app/main/store/pool, app/main/queue"
        );
    });
}

#[test]
fn once_the_stop_begins_an_actor_waiting_at_its_gate_never_starts() {
    testing::run_paused(async {
        let ran = Arc::new(Mutex::new(false));
        let body = Arc::clone(&ran);
        // app/main (a group) / store (a group): db is ready 1 s in, api starts after it. The
        // signal comes at 0.1 s, during the start-up; the drain keeps every actor running for
        // 5 s, well past the moment db becomes ready.
        let mut store = Group::named("store");
        store
            .spawn(|ctx: Context| async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                ctx.set_ready();
                ctx.interrupted().await;
            })
            .name("db")
            .ready_when_told();
        store
            .spawn(move |ctx: Context| async move {
                *body.lock().unwrap() = true;
                ctx.interrupted().await;
            })
            .name("api")
            .after("db");
        let mut main = Group::named("main");
        main.spawn(store);
        let (signals, injector) = SignalInjector::new();
        let mut app = Group::named("app")
            .shutdown_timeout(Duration::from_secs(30))
            .drain(Duration::from_secs(5));
        app.spawn(signals);
        app.spawn(main);
        app.spawn(move |_ctx: Context| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            injector.send(Signal::Terminate);
            std::future::pending::<()>().await;
        })
        .name("stopper")
        .interrupt(run::Interrupt::Abort);
        let start = Instant::now();
        let result = app.run().await;
        assert!(
            matches!(result, Err(Error::Signal(Signal::Terminate))),
            "an actor that never started is no failure: {result:?}"
        );
        assert_eq!(start.elapsed(), Duration::from_millis(5100));
        assert!(!*ran.lock().unwrap(), "api started during the stop");
    });
}

#[test]
fn an_actor_waiting_at_its_gate_returns_unrun_once_its_group_stops_and_is_never_named_running() {
    testing::run_paused(async {
        // app / main (a group): db never says it is ready and ignores its interrupt; api starts
        // after db, a stage later, so its own interrupt waits for db. SIGTERM at 0.1 s stops
        // main; a second signal at 0.2 s forces the exit: only db was still running. The
        // signals come from outside the app, so that nothing the stop interrupts sends them.
        let mut main = Group::named("main");
        main.spawn(|_ctx: Context| std::future::pending::<()>())
            .name("db")
            .stage(0)
            .ready_when_told();
        main.spawn(silent).name("api").stage(1).after("db");
        let (signals, injector) = SignalInjector::new();
        let mut app = Group::named("app");
        app.spawn(signals);
        app.spawn(main);
        let stopper = async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            injector.send(Signal::Terminate);
            tokio::time::sleep(Duration::from_millis(100)).await;
            injector.send(Signal::Interrupt);
        };
        let (result, ()) = tokio::join!(app.run(), stopper);
        let Err(Error::Forced { aborted, .. }) = &result else {
            panic!("expected a forced exit: {result:?}");
        };
        let aborted: Vec<String> = aborted
            .iter()
            .map(|stuck| stuck.actor.to_string())
            .collect();
        assert_eq!(aborted, ["app/main/db"], "api never started: {result:?}");
    });
}

/// `Context::readiness` is `None` where the top group does not track readiness: a hand-made
/// group that asked for nothing of it pays nothing for it, and has no readiness to give.
#[test]
fn a_context_has_the_app_readiness_where_the_top_group_tracks_it() {
    testing::run_paused(async {
        let mut plain = Group::named("plain");
        plain.spawn(|ctx: Context| async move {
            assert!(ctx.readiness().is_none());
        });
        plain.run().await.unwrap();

        let mut tracked = Group::named("tracked");
        let _ = tracked.readiness();
        tracked.spawn(|ctx: Context| async move {
            let mut nested = ctx.group_named("inner");
            nested.spawn(|ctx: Context| async move {
                let readiness = ctx.readiness().expect("the top group tracks readiness");
                assert!(readiness.wait_ready().await);
            });
            nested.run().await
        });
        tracked.run().await.unwrap();
    });
}

/// A connection a `db` actor makes once it is up.
#[derive(Clone, Debug, PartialEq)]
struct Pool(&'static str);

#[test]
fn a_ready_actor_hands_a_value_to_the_actors_after_it() {
    testing::run_paused(async {
        let start = Instant::now();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut group = Group::named("app");
        group
            .spawn(|ctx: Context| async move {
                tokio::time::sleep(Duration::from_secs(1)).await; // connecting
                ctx.provide(Pool("db-1"));
                ctx.interrupted().await;
            })
            .name("db")
            .ready_when_told();
        let http = Arc::clone(&seen);
        group
            .spawn(move |ctx: Context| async move {
                let pool = ctx.provided::<Pool>();
                http.lock()
                    .unwrap()
                    .push((start.elapsed().as_secs(), "http", pool));
                // A nested group of this tree sees it too.
                let mut handlers = ctx.group_named("handlers");
                let handler = Arc::clone(&http);
                handlers
                    .spawn(move |ctx: Context| async move {
                        let pool = ctx.provided::<Pool>();
                        handler.lock().unwrap().push((1, "handler", pool));
                    })
                    .name("get");
                handlers.run().await
            })
            .name("http")
            .after("db");
        group.run().await.unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            [
                (1, "http", Some(Pool("db-1"))),
                (1, "handler", Some(Pool("db-1")))
            ]
        );
    });
}

#[test]
fn a_restarted_provider_replaces_its_value_and_nothing_is_provided_where_nothing_tracks() {
    testing::run_paused(async {
        let mut plain = Group::named("plain");
        plain.spawn(|ctx: Context| async move {
            ctx.provide(Pool("dropped"));
            assert_eq!(ctx.provided::<Pool>(), None);
        });
        plain.run().await.unwrap();

        let mut group = Group::named("app");
        let runs = Arc::new(Mutex::new(0));
        group
            .supervise(move || {
                let runs = Arc::clone(&runs);
                move |ctx: Context| async move {
                    let run = {
                        let mut runs = runs.lock().unwrap();
                        *runs += 1;
                        *runs
                    };
                    ctx.provide(Pool(if run == 1 { "db-1" } else { "db-2" }));
                    if run == 1 {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        return Err(std::io::Error::other("connection lost"));
                    }
                    ctx.interrupted().await;
                    Ok(())
                }
            })
            .name("db")
            .ready_when_told()
            .restart(run::RestartPolicy::new(run::Restart::OnFailure));
        group
            .spawn(|ctx: Context| async move {
                let first = ctx
                    .provided::<Pool>()
                    .expect("provided before this started");
                tokio::time::sleep(Duration::from_secs(5)).await; // db restarted meanwhile
                assert_eq!(ctx.provided::<Pool>(), Some(Pool("db-2")));
                assert_eq!(first, Pool("db-1"), "a clone taken is kept");
            })
            .name("http")
            .after("db");
        group.run().await.unwrap();
    });
}
