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
//! - The group stops at the first exit its [`ExitPolicy`] says stops it, when its own
//!   [`Context`] is interrupted (it runs nested), or when every actor whose exit counts has
//!   finished. That first event is the [`Cause`]; it is set once.
//! - Every actor is then interrupted exactly once, in add order, the one that exited
//!   included, all with that same cause. A slow actor does not hold up the interrupts of the
//!   others: interrupts are delivered without waiting for anyone to exit.
//! - `run` returns only once every actor's task has ended. It returns [`Cause::result`]: the
//!   first exit's result ([`Error::Cancelled`] if cancelled, `Ok(())` if all finished); if
//!   that is `Ok` but an actor or an interrupt panicked meanwhile, that panic instead.
//! - A panic in an execute or an interrupt is caught and becomes [`Error::Panic`] with the
//!   actor's name, message and location; the default panic hook still prints it the moment
//!   it happens. It stops the group like an error and never stops the other interrupts.
//! - Dropping the `run` future interrupts every actor not yet interrupted (cause
//!   [`Cause::Cancelled`]) and aborts every task: no task outlives it.
//! - A [`Group`] is a [`Runner`]: groups nest, and names form paths (`app/http/accept`).
//!
//! # Cost
//!
//! An actor costs its tokio task plus one allocation for the type-erased actor (none when
//! that is zero-sized); the group's bookkeeping is a few allocations per run, whatever the
//! number of actors. `run/benches/group.rs` measures it against bare tokio.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod actor;
mod cause;
mod context;
mod error;
mod event;
mod group;
mod handle;
mod macros;
mod name;
mod panic;
mod policy;
mod pool;
mod runner;
mod signals;
mod state;
mod task_group;
mod token;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use cause::Cause;
pub use context::Context;
pub use error::{ActorError, BoxError, Error, PanicLocation, PanicPayload, Report};
pub use event::Event;
pub use group::{ActorOptions, Group};
pub use handle::RunHandle;
pub use macros::{actor, main, Runner};
pub use name::ActorName;
pub use policy::{AsyncCall, BoxFuture, ExitPolicy, Interrupt};
pub use pool::{JobHandle, Pool, PoolBuilder, PoolStats};
pub use runner::{from_fn, Runner};
pub use signals::{Signal, Signals};
pub use task_group::{TaskEvent, TaskGroup, TaskGroupBuilder};
pub use token::Token;
