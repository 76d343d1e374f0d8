//! `run` manages the lifecycle of the long-running parts of a tokio program (servers, workers,
//! signal handlers): it starts them together, stops them all cleanly when one ends, and
//! reports exactly what happened. It is [oklog/run](https://github.com/oklog/run)'s actor
//! group, rebuilt for tokio.
//!
//! A [`Group`] holds *actors*: an execute future (or a [`Runner`](trait@Runner), given a
//! [`Context`]) plus an [`Interrupt`]. [`Group::run`] starts them all as tokio tasks and
//! returns once all have returned, with the first one's result.
//!
//! ```
//! use run::{Context, Group};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let mut group = Group::named("app");
//! group
//!     .spawn(|ctx: Context| async move {
//!         ctx.interrupted().await; // a server would serve until here
//!         println!("{} stopped: {:?}", ctx.name(), ctx.cause().unwrap().actor());
//!         Ok::<_, std::io::Error>(())
//!     })
//!     .name("server");
//! group
//!     .spawn(|_ctx: Context| async { Err::<(), _>(std::io::Error::other("config missing")) })
//!     .name("loader");
//!
//! let err = group.run().await.unwrap_err();
//! assert_eq!(err.report().to_string(), "actor `app/loader` failed: config missing");
//! # }
//! ```
//!
//! # What's inside
//!
//! - [`#[run::main]`](macro@main): runs `async fn main` as the root actor of a group, beside a
//!   [`Signals`] actor, and turns the outcome into the process exit code.
//! - [`#[actor]`](macro@actor): turns an `async fn` into the constructor of a runner; the
//!   group supplies its [`Context`].
//! - [`derive(Runner)`](macro@Runner): a struct whose `#[actor]` fields run as the actors of
//!   one group, with per-field stage, timeout and interrupt.
//! - [`Runner`](trait@Runner): what runs as an actor: a closure or `async fn` taking a
//!   [`Context`], your own type, or a whole [`Group`] (that is how groups nest).
//! - [`Group`]: the static builder: named actors, [`ExitPolicy`], [`Interrupt`], stages and
//!   timeouts per actor ([`ActorOptions`]), a shutdown timeout that names the stuck actors.
//! - [`TaskGroup`]: errgroup's face: tasks added while it runs, stopped at the first failure,
//!   on tokio tasks or on a [`Pool`].
//! - [`Pool`]: a bounded pool of workers for jobs, with backpressure and idle workers aging
//!   out.
//! - Ready-made actors: [`Signals`] (SIGINT / SIGTERM on Unix, Ctrl-C / Ctrl-Break /
//!   Ctrl-Close / Ctrl-Shutdown on Windows; a second signal forces the exit) and
//!   [`Token`] (cancelling its `CancellationToken` stops the group from outside).
//! - [`RunHandle`]: one runner in the background, with [`close`](RunHandle::close) and
//!   [`wait`](RunHandle::wait).
//! - [`Event`] hooks ([`Group::hook`], [`TaskGroupBuilder::hook`]): start, interrupt, exit and
//!   timeout of every actor, nested groups included.
//! - Deployment: [`Readiness`] (ready / live, probes' status codes; [`Context::set_ready`],
//!   [`ActorOptions::ready_when_told`]), start order ([`ActorOptions::after`],
//!   [`Group::startup_timeout`]), the drain before the stop ([`Group::drain`]), systemd's
//!   notifications under [`#[run::main]`](macro@main) (feature `systemd`), reload on SIGHUP
//!   (Unix) or through a [`ReloadHandle`] ([`Context::reloads`]).
//! - Shutdown budget and forensics: what does not fit [`Group::shutdown_timeout`] is
//!   [`Error::OverBudget`] at start; [`Context::phase`] names what a [`Stuck`] actor was doing.
//! - [`Error`]: what a run returns; [`Error::report`] lists every failure, and
//!   [`Error::exit_status`] gives the process exit code.
//!
//! # Features
//!
//! No feature is on by default.
//!
//! - `tracing`: one `tracing` span per actor (named `actor`, with the actor's full path; a
//!   restartable actor's runs share it; a child task's is `DEBUG`), and one record per
//!   happening, target `run::event`, at the level an operator expects: starts, interrupts,
//!   clean exits and child tasks at `DEBUG`; a failure that will be restarted one `WARN`; a
//!   failure that is not, a timeout, a restart limit and a failed reload `ERROR`; under
//!   `#[run::main]`, the app's `started`, `ready`, `stopping` (with the cause, in the words of
//!   the exit report), `reloaded` and `stopped` (how long the stop took, the exit code) at
//!   `INFO`.
//! - `axum`: `run::probe_routes`, `/ready` and `/live` as an axum router.
//! - `serde`: `serde::Serialize` for status snapshots ([`Status`]), for a JSON `/status`.
//! - `systemd`: `#[run::main]` tells systemd `READY=1`, `STOPPING=1`, `STATUS=` and pings its
//!   watchdog while the app is live (through `sd-notify`); without `NOTIFY_SOCKET`, nothing.
//!   On Unix only: on Windows the feature builds and does nothing (it pulls no dependency).
//! - `metrics`: counts for operators through the [`metrics`](https://docs.rs/metrics) facade
//!   (the app installs the exporter, Prometheus's or another): per actor, by full path in
//!   label `actor`, `run_actor_up` (1 while it runs), `run_actor_restarts_total`,
//!   `run_actor_failures_total`, `run_actor_timeouts_total`, `run_actor_gave_up_total`
//!   (restart limits) and `run_reload_failures_total`, each registered at zero when the actor
//!   starts (so `increase()` sees the first restart); under `#[run::main]` also
//!   `run_reloads_total`, `run_startup_seconds` (to the first readiness),
//!   `run_shutdown_seconds` and `run_shutdown_timed_out`; per [`Pool`] (label `pool`, its
//!   [name](PoolBuilder::name)) `run_pool_waiting` (jobs queued and submitters waiting for
//!   room; a [`TaskGroup`] on a pool waits there) and `run_pool_rejections_total`. Child tasks
//!   are not counted (a server names one per connection). Without the feature nothing of it is compiled.
//! - `testing`: the test kit, `run::testing`: run a group under paused time
//!   (`testing::run_paused`), inject signals without sending real ones
//!   (`testing::SignalInjector`), record the ordered trace (`testing::Recorder`,
//!   `testing::assert_in_order`), script actors that fail, panic, hang or ignore their
//!   interrupt on cue (`testing::Script`).
//!
//! # Modules
//!
//! Four floors, top to bottom. A module uses its own floor and the floors below, never one
//! above, and the files form no cycle; `run/tests/architecture.rs` reads this list and checks
//! both, so a new module must be placed here.
//!
//! - **faces** (`group`, `task_group`, `actors`, `testing`, `macros`, `__private`): what users
//!   write. They turn it into records for the layers and the core: [`Group`] and
//!   [`ActorOptions`], [`TaskGroup`], the ready-made actors ([`Signals`], [`Token`],
//!   [`RunHandle`]), the test kit, the macros' documentation and the code they expand to.
//! - **layers** (`supervise`, `deploy`, `budget`, `exit_deadline`): what decides: restart
//!   policies and strategies, readiness, start order, drain, probes, systemd and reload, the
//!   shutdown budget checked at start, the exit-on-time watch. They read the core's scope
//!   tree; none walks it on its own.
//! - **core** (`core`, `context`, `runner`, `spawn`, `stop`): what runs: scopes and their
//!   tree, members, interrupt delivery, the staged run loop, [`Cause`], [`Event`]; what an
//!   actor sees ([`Context`], its child tasks, [`StopHandle`]) and the
//!   [`Runner`](trait@Runner) trait. Each invariant is stated once, in the file that keeps it.
//! - **leaves** (`error`, `name`, `panic`, `pool`, `duration`): [`Error`], [`ActorName`],
//!   panic capture, [`Pool`], which needs nothing of the rest, and durations read at run time.
//!
//! # Invariants
//!
//! Each invariant is stated once, in the module that keeps it: the stop engine's (first
//! cause, exactly once, push down, deadlines flow down, nothing lost) in `core/scope/`, the
//! staged shutdown's in `core/shutdown.rs`, interrupt delivery's in `core/interrupt.rs`, the
//! events' in `core/event.rs`. What they add up to:
//!
//! - **oklog semantics.** Every actor runs as its own tokio task. The first exit its
//!   [`ExitPolicy`] says stops the group, or a stop from outside ([`Cause::Cancelled`]), is the
//!   [`Cause`], set once; [`Group::run`] returns its result once every actor has returned.
//! - **Exactly-once interrupts.** Every actor is interrupted exactly once, all with that cause,
//!   stage by stage ([`ActorOptions::stage`]); a panicking interrupt becomes [`Error::Panic`]
//!   and stops no other.
//! - **No task outlives `run`.** `run` returns only once every actor's task has ended; dropping
//!   its future delivers the interrupts not yet delivered and aborts every task.
//! - **Nothing lost.** Every failure during the shutdown (an error after the interrupt, a
//!   panic, a panicking interrupt, a nested group's failures) is kept on the returned error,
//!   [`Error::Shutdown`]; [`Error::report`] lists them all.
//! - **Stuck actors named at any depth.** Past the group's
//!   [shutdown timeout](Group::shutdown_timeout) (each stage an even share of the time left)
//!   or an actor's own [timeout](ActorOptions::timeout), stuck actors are aborted and named by
//!   full path in [`Error::ShutdownTimeout`]; a nested group times out just before its parent
//!   and names its own leaves (`main/http`, not `main`).
//!
//! # Cost
//!
//! An actor costs one allocation, its tokio task (none more for a closure or runner that
//! captures nothing), a 64-byte slot in the group's one shared allocation and a few words in
//! its lists; the group's bookkeeping is a few allocations per run, whatever the number of
//! actors. `cargo bench -p run-lifecycle --bench group` measures it against bare tokio
//! (`JoinSet` and a `CancellationToken`); the README has the numbers.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The README's examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod actors;
mod budget;
mod context;
mod core;
mod deploy;
mod duration;
mod error;
mod exit_deadline;
mod group;
mod macros;
mod name;
mod panic;
mod pool;
mod runner;
mod spawn;
mod stop;
mod supervise;
mod task_group;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use crate::core::{
    cause::Cause,
    event::Event,
    interrupt::{AsyncCall, BoxFuture, ExitPolicy, Interrupt},
};
pub use actors::{handle::RunHandle, signals::Signals, token::Token};
pub use context::Context;
#[cfg(feature = "axum")]
pub use deploy::probe::probe_routes;
pub use deploy::{
    readiness::Readiness,
    reload::{Reload, ReloadHandle, Reloads},
};
pub use error::{
    ActorError, BoxError, BudgetPart, Error, PanicLocation, PanicPayload, Report, Signal, Stuck,
};
pub use group::{ActorOptions, Group, Restartable, RunsOnce};
pub use macros::{Runner, actor, main};
pub use name::ActorName;
pub use pool::{JobHandle, Pool, PoolBuilder, PoolStats};
pub use runner::{ActorOutput, Runner, from_fn};
pub use stop::StopHandle;
pub use supervise::{
    child::ChildHandle,
    policy::{Backoff, Restart, RestartPolicy, Strategy},
    status::{ActorState, ActorStatus, Status, StatusHandle},
};
pub use task_group::{TaskGroup, TaskGroupBuilder};
/// The token a [`Token`] actor watches, re-exported so that no direct `tokio-util`
/// dependency is needed.
pub use tokio_util::sync::CancellationToken;
