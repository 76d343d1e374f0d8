//! Behaviour of the code the macros generate: which actors run, in which order, under which
//! names, and which interrupt reaches which field.
#![deny(warnings, clippy::pedantic)]

use std::sync::{Arc, Mutex};

use run::{Cause, Context, Group, Interrupt, Runner, actor};
use tokio::sync::oneshot;

/// A shared, ordered record of what happened.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, line: impl Into<String>) {
        self.0.lock().unwrap().push(line.into());
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Logs its name when it starts, then its name and the cause's actor once interrupted.
#[actor]
async fn service(log: Log, ctx: Context) -> Result<(), std::io::Error> {
    log.push(format!("start {}", ctx.name()));
    ctx.interrupted().await;
    let cause = ctx.cause().and_then(Cause::actor).map(ToString::to_string);
    log.push(format!(
        "stop {} by {}",
        ctx.name(),
        cause.unwrap_or_default()
    ));
    Ok(())
}

/// Exits at once: what stops the group.
#[actor(name = "oneshot")]
async fn finish(log: Log, ctx: Context) {
    log.push(format!("finish {}", ctx.name()));
}

#[tokio::test]
async fn fn_actors_capture_their_arguments_and_get_their_names() {
    let log = Log::default();
    let mut group = Group::named("app");
    group.spawn(service(log.clone()));
    group.spawn(service(log.clone())).name("second");
    assert_eq!(service(log.clone()).name(), "service");
    assert_eq!(finish(log.clone()).name(), "oneshot");
    let mut done = group;
    done.spawn(finish(log.clone()));
    done.run().await.unwrap();
    let mut lines = log.lines();
    lines.sort();
    assert_eq!(
        lines,
        [
            "finish app/oneshot",
            "start app/second",
            "start app/service",
            "stop app/second by app/oneshot",
            "stop app/service by app/oneshot",
        ]
    );
}

/// Has no `Context`: only dropping it stops it.
#[actor]
async fn deaf(log: Log) {
    struct Dropped(Log);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.push("deaf dropped");
        }
    }
    let _guard = Dropped(log);
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn a_fn_actor_without_context_is_dropped_when_interrupted() {
    let log = Log::default();
    let mut group = Group::new();
    group.spawn(deaf(log.clone()));
    group.spawn(finish(log.clone()));
    group.run().await.unwrap();
    assert!(log.lines().contains(&"deaf dropped".to_string()));
}

/// A server that does not watch its `Context`: a oneshot stops it.
struct Stoppable {
    stop: Mutex<Option<oneshot::Sender<()>>>,
    stopped: oneshot::Receiver<()>,
}

impl Stoppable {
    fn new() -> Self {
        let (stop, stopped) = oneshot::channel();
        Self {
            stop: Mutex::new(Some(stop)),
            stopped,
        }
    }

    /// The interrupt: takes the sender out, to be fired when the group stops.
    fn stopper(&self) -> impl FnOnce(&Cause) + Send + 'static + use<> {
        let stop = self.stop.lock().unwrap().take();
        move |_cause| {
            if let Some(stop) = stop {
                let _ = stop.send(());
            }
        }
    }
}

/// Interrupted by calling `stop_server(&server, &log)`.
#[actor(interrupt = "stop_server")]
async fn server(server: Stoppable, log: Log) -> Result<(), std::io::Error> {
    let _ = server.stopped.await;
    log.push("server stopped");
    Ok(())
}

fn stop_server(server: &Stoppable, log: &Log) -> impl FnOnce(&Cause) + Send + 'static + use<> {
    let log = log.clone();
    let stop = server.stopper();
    move |cause| {
        log.push(format!("interrupt by {}", cause.actor().unwrap()));
        stop(cause);
    }
}

#[tokio::test]
async fn a_fn_actor_interrupt_is_called_with_the_cause() {
    let log = Log::default();
    let mut group = Group::new();
    group.spawn(server(Stoppable::new(), log.clone()));
    group.spawn(finish(log.clone()));
    group.run().await.unwrap();
    assert_eq!(
        log.lines(),
        ["finish oneshot", "interrupt by oneshot", "server stopped"]
    );
}

/// Interrupted only through the method named in its field's `interrupt`.
struct Http {
    inner: Stoppable,
    log: Log,
    label: &'static str,
}

impl Http {
    fn shutdown(&self) -> Interrupt {
        let log = self.log.clone();
        let stop = self.inner.stopper();
        let label = self.label;
        Interrupt::call(move |cause| {
            log.push(format!("{label} shutdown called"));
            stop(cause);
        })
    }
}

impl Runner for Http {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        self.log.push(format!("start {}", ctx.name()));
        let _ = self.inner.stopped.await;
        self.log.push(format!("stop {}", ctx.name()));
        Ok(())
    }
}

#[derive(Runner)]
struct App {
    #[actor(interrupt = "shutdown")]
    http: Http,
    #[actor]
    metrics: Service,
    #[actor(name = "jobs", exit = "task")]
    worker: Service,
    #[actor(interrupt = "shutdown", name = "admin")]
    admin_http: Http,
    #[actor]
    loader: Finish,
    config: Guard,
}

/// Logs when it is dropped: data fields live as long as the group.
struct Guard(Log);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.push("config dropped");
    }
}

fn app(log: &Log) -> App {
    App {
        http: Http {
            inner: Stoppable::new(),
            log: log.clone(),
            label: "http",
        },
        admin_http: Http {
            inner: Stoppable::new(),
            log: log.clone(),
            label: "admin",
        },
        metrics: service(log.clone()),
        worker: service(log.clone()),
        loader: finish(log.clone()),
        config: Guard(log.clone()),
    }
}

#[tokio::test]
async fn derived_fields_run_in_order_with_their_names_and_interrupts() {
    let log = Log::default();
    let mut group = Group::named("root");
    group.spawn(app(&log));
    // `loader` returned `Ok`: the fields' group, hence `App`, hence `root`, ends cleanly.
    group.run().await.unwrap();
    let lines = log.lines();
    let starts: Vec<_> = lines
        .iter()
        .filter(|line| line.starts_with("start"))
        .collect();
    // A current-thread runtime runs tasks in the order they were spawned: declaration order.
    assert_eq!(
        starts,
        [
            "start root/App/http",
            "start root/App/metrics",
            "start root/App/jobs",
            "start root/App/admin",
        ],
        "{lines:?}"
    );
    // Interrupts are delivered in declaration order, each method-interrupted field through
    // its own method.
    let calls: Vec<_> = lines
        .iter()
        .filter(|line| line.ends_with("called"))
        .collect();
    assert_eq!(calls, ["http shutdown called", "admin shutdown called"]);
    for line in [
        "finish root/App/loader",
        "stop root/App/http",
        "stop root/App/admin",
        "stop root/App/metrics by root/App/loader",
        "stop root/App/jobs by root/App/loader",
    ] {
        assert!(
            lines.contains(&line.to_string()),
            "{line} missing: {lines:?}"
        );
    }
    // Data fields live until every actor field has returned.
    assert_eq!(lines.last().unwrap(), "config dropped", "{lines:?}");
}

/// A generic runner holding another derived runner.
#[derive(Runner)]
#[runner(name = "outer")]
struct Outer<T> {
    #[actor]
    inner: T,
    #[actor(exit = "sidecar")]
    watcher: Service,
}

#[derive(Runner)]
struct Inner {
    #[actor]
    worker: Service,
}

#[tokio::test]
async fn derived_runners_nest_and_their_names_form_paths() {
    let log = Log::default();
    let outer = Outer {
        inner: Inner {
            worker: service(log.clone()),
        },
        watcher: service(log.clone()),
    };
    assert_eq!(outer.name(), "outer");
    assert_eq!(outer.inner.name(), "Inner");
    let mut group = Group::new();
    group.spawn(outer);
    group.spawn(finish(log.clone()));
    group.run().await.unwrap();
    let mut lines = log.lines();
    lines.sort();
    // The nested groups were cancelled by their parent: the cause they see is no actor's.
    assert_eq!(
        lines,
        [
            "finish oneshot",
            "start outer/inner/worker",
            "start outer/watcher",
            "stop outer/inner/worker by ",
            "stop outer/watcher by ",
        ]
    );
}

#[tokio::test]
async fn a_derived_runner_is_cancelled_when_its_context_is() {
    let log = Log::default();
    let mut group = Group::new();
    group.spawn(Inner {
        worker: service(log.clone()),
    });
    let (stop, stopped) = oneshot::channel::<()>();
    group.spawn(move |_ctx: Context| async move {
        let _ = stopped.await;
        Ok::<_, std::io::Error>(())
    });
    stop.send(()).unwrap();
    group.run().await.unwrap();
    assert_eq!(log.lines(), ["start Inner/worker", "stop Inner/worker by "]);
}

/// Exit policies from a derive.
#[derive(Runner)]
struct Batch {
    #[actor(exit = "task")]
    first: Finish,
    #[actor(exit = "sidecar")]
    watcher: Service,
}

#[tokio::test]
async fn exit_policies_apply_to_fields() {
    let log = Log::default();
    let batch = Batch {
        first: finish(log.clone()),
        watcher: service(log.clone()),
    };
    let mut group = Group::new();
    group.spawn(batch);
    group.run().await.unwrap();
    // With the default policy `first` would be the cause (`by Batch/first`); as a task it
    // just finishes, and the sidecar is stopped because no one else is left.
    assert_eq!(
        log.lines(),
        [
            "finish Batch/first",
            "start Batch/watcher",
            "stop Batch/watcher by "
        ]
    );
}

#[tokio::test]
async fn a_runner_name_shows_however_the_struct_is_run() {
    let log = Log::default();
    let mut group = Group::named("app");
    let inline_log = log.clone();
    group
        .spawn(move |ctx: Context| async move {
            // Run inline from another actor's body, not spawned: still named `outer`.
            let outer = Outer {
                inner: Inner {
                    worker: service(inline_log.clone()),
                },
                watcher: service(inline_log),
            };
            outer.run(ctx).await
        })
        .name("main");
    group.spawn(finish(log.clone()));
    group.run().await.unwrap();
    let lines = log.lines();
    assert!(
        lines.contains(&"start app/main/outer/inner/worker".to_string()),
        "{lines:?}"
    );
}

/// A runner that fails the first `fails` times it runs (counted across its clones), then
/// serves until interrupted; logs each start.
#[derive(Clone)]
struct Flaky {
    log: Log,
    label: &'static str,
    fails: usize,
    runs: Arc<Mutex<usize>>,
}

impl Flaky {
    fn new(log: &Log, label: &'static str, fails: usize) -> Self {
        Self {
            log: log.clone(),
            label,
            fails,
            runs: Arc::default(),
        }
    }
}

impl Runner for Flaky {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        let run = {
            let mut runs = self.runs.lock().unwrap();
            *runs += 1;
            *runs
        };
        self.log.push(format!("start {} #{run}", self.label));
        if run <= self.fails {
            return Err(std::io::Error::other("flaky"));
        }
        ctx.interrupted().await;
        Ok(())
    }
}

/// Returns once `log` has `lines` lines.
#[actor]
async fn stop_at(log: Log, lines: usize) {
    while log.lines().len() < lines {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

#[derive(Runner)]
#[runner(strategy = "rest_for_one")]
struct Supervised {
    #[actor]
    plain: Flaky,
    #[actor(
        restart = "on_failure",
        max_restarts = 5,
        within = "10s",
        backoff = "1ms..2ms"
    )]
    db: Flaky,
    #[actor(restart = "always")]
    cache: Flaky,
    #[actor]
    stopper: StopAt,
}

#[tokio::test(start_paused = true)]
async fn restart_options_and_a_strategy_on_a_derived_runner() {
    let log = Log::default();
    let mut group = Group::named("app");
    group.spawn(Supervised {
        plain: Flaky::new(&log, "plain", 0),
        db: Flaky::new(&log, "db", 2),
        cache: Flaky::new(&log, "cache", 0),
        stopper: stop_at(log.clone(), 7),
    });
    group.run().await.unwrap();
    // db fails twice: each time rest-for-one restarts cache (added after it) too, not plain.
    assert_eq!(
        log.lines(),
        [
            "start plain #1",
            "start db #1",
            "start cache #1",
            "start db #2",
            "start cache #2",
            "start db #3",
            "start cache #3",
        ]
    );
}

/// Fails the first `fails` times it runs (counted in `runs`, shared by its clones), then
/// serves until interrupted; logs each start with the URL it was given.
#[actor]
async fn flaky_cache(
    url: String,
    fails: usize,
    runs: Arc<Mutex<usize>>,
    log: Log,
    ctx: Context,
) -> Result<(), std::io::Error> {
    let run = {
        let mut runs = runs.lock().unwrap();
        *runs += 1;
        *runs
    };
    log.push(format!("start {url} #{run}"));
    if run <= fails {
        return Err(std::io::Error::other("flaky"));
    }
    ctx.interrupted().await;
    Ok(())
}

/// A generic actor: its runner is `Clone` when `T` is.
#[actor]
async fn holder<T: Send + 'static>(value: T, log: Log, ctx: Context) {
    drop(value);
    log.push("start holder");
    ctx.interrupted().await;
}

#[derive(Runner)]
struct RestartsFnActors {
    #[actor(restart = "on_failure", backoff = "1ms..2ms")]
    cache: FlakyCache,
    #[actor(restart = "always")]
    holder: Holder<Vec<u8>>,
    #[actor]
    stopper: StopAt,
}

#[tokio::test(start_paused = true)]
async fn an_actor_fn_with_clone_arguments_is_a_restartable_field() {
    let log = Log::default();
    let mut group = Group::named("app");
    group.spawn(RestartsFnActors {
        cache: flaky_cache("redis://cache".into(), 2, Arc::default(), log.clone()),
        holder: holder(vec![1, 2, 3], log.clone()),
        stopper: stop_at(log.clone(), 4),
    });
    group.run().await.unwrap();
    let mut lines = log.lines();
    lines.sort();
    assert_eq!(
        lines,
        [
            "start holder",
            "start redis://cache #1",
            "start redis://cache #2",
            "start redis://cache #3",
        ]
    );
    // The runner of an `#[actor]` fn clones its arguments.
    let first = flaky_cache("a".into(), 0, Arc::default(), log.clone());
    let second = first.clone();
    assert_eq!(second.name(), "flaky_cache");
}

/// Each line of a status snapshot up to its state: the path, indented by depth, and
/// `(group)` on a group level.
fn tree(status: &run::Status) -> Vec<String> {
    status
        .to_string()
        .lines()
        .map(|line| line.split(": ").next().unwrap().to_string())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_status_of_nested_derived_runners_shows_every_level_once() {
    let log = Log::default();
    let mut group = Group::named("app");
    let inline_log = log.clone();
    group
        .spawn(move |ctx: Context| async move {
            // Run inline from `main`'s body: its group `outer` is a level of its own.
            Outer {
                inner: Inner {
                    worker: service(inline_log.clone()),
                },
                watcher: service(inline_log),
            }
            .run(ctx)
            .await
        })
        .name("main");
    let (send, seen) = oneshot::channel();
    let started = log.clone();
    group
        .spawn(move |ctx: Context| async move {
            while started.lines().len() < 2 {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            send.send(ctx.status()).unwrap();
        })
        .name("probe");
    group.run().await.unwrap();
    let status = seen.await.unwrap();
    assert_eq!(
        tree(&status),
        [
            "app/main",
            "  app/main/outer (group)",
            "    app/main/outer/inner",
            "      app/main/outer/inner/worker",
            "    app/main/outer/watcher",
            "app/probe",
        ],
        "{status}"
    );
    let outer = status.find("app/main/outer").unwrap();
    assert!(outer.group);
    assert_eq!(outer.children.len(), 2);
    assert!(!status.find("app/main/outer/inner").unwrap().group);
}
