//! `run` manages the lifecycle of the long-running parts of a tokio program: it starts them
//! together, stops them all cleanly when one ends, and reports exactly what happened.
//!
//! A [`Group`] holds *actors*: an execute future (or a [`Runner`], given a [`Context`]) plus
//! an [`Interrupt`]. [`Group::run`] starts them all as tokio tasks and returns once all have
//! returned, with the first one's result.
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
//! # Modules
//!
//! Top to bottom; arrows point down only, with no module cycles:
//!
//! - Faces: `group` ([`Group`], [`ActorOptions`]: the static builder, one record per actor;
//!   [`Context::group`]), `task_group` ([`TaskGroup`]: errgroup's face, dynamic members),
//!   `actors` ([`Signals`], [`Token`], [`RunHandle`]).
//! - `runner` ([`Runner`], with [`Runner::interrupt`]) and `context` ([`Context`]: what an
//!   actor sees).
//! - `core`, the one stop engine under every kind of group: `core::scope` (members, the first
//!   cause, the push-down parent link, deadlines, the failures kept), `core::member` (runs one
//!   member: poll, panic capture, exit report), `core::interrupt` ([`ExitPolicy`],
//!   [`Interrupt`] and the one delivery path), `core::shutdown` (a group's staged run loop),
//!   `core::cause` ([`Cause`]), `core::event` ([`Event`]).
//! - Leaves: `error` ([`Error`], [`Signal`]), `name` ([`ActorName`]), `panic`; `pool`
//!   ([`Pool`]) is independent of the core.
//!
//! # Invariants
//!
//! Each invariant is stated once, in the module that keeps it: the stop engine's (first
//! cause, exactly once, push down, deadlines flow down, nothing lost) in `core/scope.rs`, the
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
//! - **Nothing lost (G11).** Every failure during the shutdown (an error after the interrupt, a
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
//! actors. `cargo bench -p run --bench group` measures it against bare tokio (`JoinSet` and a
//! `CancellationToken`); the README has the numbers.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

// The README's examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

mod actors;
mod context;
mod core;
mod error;
mod group;
mod macros;
mod name;
mod panic;
mod pool;
mod runner;
mod task_group;

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
pub use error::{ActorError, BoxError, Error, PanicLocation, PanicPayload, Report, Signal};
pub use group::{ActorOptions, Group};
pub use macros::{actor, main, Runner};
pub use name::ActorName;
pub use pool::{JobHandle, Pool, PoolBuilder, PoolStats};
pub use runner::{from_fn, Runner};
pub use task_group::{TaskGroup, TaskGroupBuilder};
