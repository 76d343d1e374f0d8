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
//! # Invariants
//!
//! - Every actor runs as its own tokio task, started in add order.
//! - The group stops at the first exit its [`ExitPolicy`] says stops it, when it is stopped
//!   from outside (its [`Context`] is interrupted as it runs nested, the future given to
//!   [`Group::run_until`] completes, a [`Token`] is cancelled), or when every actor whose exit
//!   counts has finished. That first event is the [`Cause`]; it is set once.
//! - Every actor is then interrupted exactly once, all with that same cause: stage by stage in
//!   ascending [`stage`](ActorOptions::stage) order (one stage by default), each stage in add
//!   order, the next stage only once every actor of the one before has returned or timed out.
//! - Interrupts never wait for an actor: an [`Interrupt::Call`] runs in place and must not
//!   block; an [`Interrupt::call_async`] runs as a task of its own, so a slow one delays no
//!   other.
//! - An actor still running when its own [timeout](ActorOptions::timeout) (from its
//!   interrupt) or the group's [shutdown timeout](Group::shutdown_timeout) (from the first
//!   interrupt) runs out is aborted, and `run` returns [`Error::ShutdownTimeout`] naming every
//!   such actor, with the original cause as its source.
//! - `run` returns only once every actor's task has ended. It returns [`Cause::result`]: the
//!   first exit's result ([`Error::Cancelled`] if cancelled, `Ok(())` if all finished); if
//!   that is `Ok` but an actor or an interrupt panicked meanwhile, that panic instead.
//! - A panic in an execute or an interrupt is caught and becomes [`Error::Panic`] with the
//!   actor's name, message and location; the default panic hook still prints it the moment
//!   it happens. It stops the group like an error and never stops the other interrupts.
//! - A second signal during a shutdown started by [`Signals`] aborts every actor still
//!   running at once: `run` returns [`Error::Forced`].
//! - Dropping the `run` future calls the interrupts not yet delivered (cause
//!   [`Cause::Cancelled`]; async ones are not started) and aborts every task: no task
//!   outlives it.
//! - A [`Group`] is a [`Runner`]: groups nest, and names form paths (`app/http/accept`).
//! - Every start, interrupt, exit and timeout reaches the group's [hook](Group::hook) (and
//!   `tracing`, with feature `tracing`) as an [`Event`], the moment it happens.
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
