//! The fan-out work, once per variant: `N` actors, of which `N - 1` wait for their
//! interruption and the last exits at once. One run is the whole life of the group: start
//! (adding the actors included) + first exit + interrupt all + join.
//!
//! With `GATED`, the idle actors report that they are waiting and the exiting one waits to be
//! released, so that [`Gate::measure`] can read the idle heap and time the shutdown from the
//! moment of the exit. Without it (the timed work) the gate compiles away.

use std::{
    convert::Infallible,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use run::{Cause, Context, Group};
use tokio::{
    runtime::{Builder, Runtime},
    sync::Notify,
    task::JoinSet,
};
use tokio_graceful_shutdown::{SubsystemBuilder, SubsystemHandle, Toplevel};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// What is compared, in table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    /// `Group::spawn` of closures awaiting `Context::interrupted`.
    Spawn,
    /// oklog's `Group::add`: execute awaits a shared token, interrupt cancels it.
    Add,
    /// `JoinSet` + one `CancellationToken`, joined with `join_next`.
    JoinSet,
    /// `TaskTracker` + one `CancellationToken`, joined with `close` + `wait`.
    Tracker,
    /// tokio-graceful-shutdown: one subsystem per actor, the last requests the shutdown.
    Graceful,
}

impl Variant {
    pub(crate) const ALL: [Variant; 5] = [
        Variant::Spawn,
        Variant::Add,
        Variant::JoinSet,
        Variant::Tracker,
        Variant::Graceful,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Variant::Spawn => "group_spawn",
            Variant::Add => "group_add",
            Variant::JoinSet => "joinset",
            Variant::Tracker => "tasktracker",
            Variant::Graceful => "graceful",
        }
    }

    pub(crate) fn parse(name: &str) -> Option<Variant> {
        Variant::ALL
            .into_iter()
            .find(|variant| variant.name() == name)
    }

    /// The hand-written tokio baselines.
    pub(crate) fn is_baseline(self) -> bool {
        matches!(self, Variant::JoinSet | Variant::Tracker)
    }
}

pub(crate) fn multi_thread() -> Runtime {
    // Timers on: tokio-graceful-shutdown needs them (its shutdown timeout).
    Builder::new_multi_thread()
        .enable_time()
        .build()
        .expect("a multi-thread runtime builds")
}

pub(crate) fn current_thread() -> Runtime {
    Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime builds")
}

/// Both runtimes, built anew.
pub(crate) fn runtimes() -> [(&'static str, Runtime); 2] {
    [
        ("multi_thread", multi_thread()),
        ("current_thread", current_thread()),
    ]
}

/// One run of `variant` with `actors` actors (at least 1).
pub(crate) async fn fan_out<const GATED: bool>(variant: Variant, actors: usize) {
    let idle = actors.saturating_sub(1);
    match variant {
        Variant::Spawn => {
            let mut group = Group::new();
            for _ in 0..idle {
                group.spawn(|ctx: Context| async move {
                    arrive::<GATED>();
                    ctx.interrupted().await;
                    Ok::<_, Infallible>(())
                });
            }
            group.spawn(|_ctx: Context| async {
                trigger::<GATED>().await;
                Ok::<_, Infallible>(())
            });
            group.run().await.expect("the first exit is Ok");
        }
        Variant::Add => {
            let token = CancellationToken::new();
            let mut group = Group::new();
            for _ in 0..idle {
                let (wait, stop) = (token.clone(), token.clone());
                group.add(
                    async move {
                        arrive::<GATED>();
                        wait.cancelled().await;
                    },
                    move |_: &Cause| stop.cancel(),
                );
            }
            group.add(trigger::<GATED>(), |_: &Cause| {});
            group.run().await.expect("the first exit is Ok");
        }
        Variant::JoinSet => {
            let token = CancellationToken::new();
            let mut tasks = JoinSet::new();
            for _ in 0..idle {
                let token = token.clone();
                tasks.spawn(async move {
                    arrive::<GATED>();
                    token.cancelled().await;
                });
            }
            tasks.spawn(async move {
                trigger::<GATED>().await;
                token.cancel();
            });
            while let Some(joined) = tasks.join_next().await {
                joined.expect("no task panics");
            }
        }
        Variant::Tracker => {
            let token = CancellationToken::new();
            let tracker = TaskTracker::new();
            for _ in 0..idle {
                let token = token.clone();
                tracker.spawn(async move {
                    arrive::<GATED>();
                    token.cancelled().await;
                });
            }
            tracker.spawn(async move {
                trigger::<GATED>().await;
                token.cancel();
            });
            tracker.close();
            tracker.wait().await;
        }
        Variant::Graceful => {
            Toplevel::new(async move |root: &mut SubsystemHandle| {
                for _ in 0..idle {
                    root.start(SubsystemBuilder::new(
                        "idle",
                        async |handle: &mut SubsystemHandle| {
                            arrive::<GATED>();
                            handle.on_shutdown_requested().await;
                            Ok::<_, Infallible>(())
                        },
                    ));
                }
                root.start(SubsystemBuilder::new(
                    "exit",
                    async |handle: &mut SubsystemHandle| {
                        trigger::<GATED>().await;
                        handle.request_shutdown();
                        Ok::<_, Infallible>(())
                    },
                ));
            })
            .handle_shutdown_requests(Duration::from_secs(600))
            .await
            .expect("no subsystem fails");
        }
    }
}

// ----------------------------------------------------------------------------------------
// The gate.

/// Lets the measuring code see when every idle actor has started and is about to wait,
/// then lets the exiting actor go. A static, so the gated actors capture nothing more than
/// the timed ones.
pub(crate) struct Gate {
    expected: AtomicUsize,
    started: AtomicUsize,
    all_started: Notify,
    release: Notify,
    /// When the exiting actor exited.
    triggered: Mutex<Option<Instant>>,
}

pub(crate) static GATE: Gate = Gate {
    expected: AtomicUsize::new(0),
    started: AtomicUsize::new(0),
    all_started: Notify::const_new(),
    release: Notify::const_new(),
    triggered: Mutex::new(None),
};

fn arrive<const GATED: bool>() {
    if GATED {
        let started = GATE.started.fetch_add(1, Ordering::AcqRel) + 1;
        if started == GATE.expected.load(Ordering::Relaxed) {
            GATE.all_started.notify_one();
        }
    }
}

async fn trigger<const GATED: bool>() {
    if GATED {
        GATE.release.notified().await;
        *GATE.triggered.lock().expect("not poisoned") = Some(Instant::now());
    }
}

impl Gate {
    /// Waits until every idle actor of a run with `actors` actors has arrived, calls `read`
    /// (the idle state), then releases the exit.
    pub(crate) async fn measure<T>(&self, actors: usize, read: impl FnOnce() -> T) -> T {
        if actors > 1 {
            self.all_started.notified().await;
        }
        // An arrived actor is one poll away from its wait; its task was allocated whole at
        // spawn and the wait allocates nothing, so what is read now is its idle cost.
        let value = read();
        self.release.notify_one();
        value
    }
}

/// One gated run of `variant` on `runtime`: `read` at the idle point, and the shutdown
/// latency (from the exit to the end of the run).
pub(crate) fn gated<T>(
    runtime: &Runtime,
    variant: Variant,
    actors: usize,
    read: impl FnOnce() -> T,
) -> (T, Duration) {
    GATE.expected
        .store(actors.saturating_sub(1), Ordering::Relaxed);
    GATE.started.store(0, Ordering::Relaxed);
    let value = runtime.block_on(async {
        let ((), value) =
            tokio::join!(fan_out::<true>(variant, actors), GATE.measure(actors, read));
        value
    });
    let end = Instant::now();
    let triggered = GATE
        .triggered
        .lock()
        .expect("not poisoned")
        .take()
        .expect("the exit was released");
    (value, end - triggered)
}
