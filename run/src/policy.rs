//! How an actor's exit affects its group, and how the actor is interrupted.

use std::fmt;

use crate::{Cause, Error};

/// What an actor's exit does to its group.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, ExitPolicy, Group};
///
/// // Two tasks: the group ends when both are done (errgroup).
/// let mut group = Group::new();
/// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).exit(ExitPolicy::Task);
/// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).exit(ExitPolicy::Task);
/// assert!(group.run().await.is_ok());
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExitPolicy {
    /// Any exit, `Ok` included, stops the group (oklog/run). The default.
    #[default]
    Service,
    /// `Ok` just finishes the actor; an error or a panic stops the group (errgroup). A group
    /// whose actors are all tasks (and sidecars) returns `Ok(())` once every task is done.
    Task,
    /// Never stops the group; its error is reported to the group's hooks, not returned. The
    /// group does not wait for sidecars to end on their own: once the other actors are done,
    /// they are interrupted. A group of only sidecars runs until all of them have exited.
    Sidecar,
}

impl ExitPolicy {
    pub(crate) fn stops_group(self, result: &Result<(), Error>) -> bool {
        match self {
            ExitPolicy::Service => true,
            ExitPolicy::Task => result.is_err(),
            ExitPolicy::Sidecar => false,
        }
    }
}

/// How an actor is interrupted when its group stops.
///
/// Whatever the kind, interrupting an actor marks its [`Context`](crate::Context) interrupted,
/// so [`Context::cause`](crate::Context::cause) always works; the kinds differ in what else
/// happens, in this order:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, Group, Interrupt};
/// use tokio::sync::oneshot;
///
/// let (stop, stopped) = oneshot::channel::<()>();
/// let mut group = Group::new();
/// // Call: a closure stops the actor (here a oneshot; a server handle, a listener...).
/// group
///     .spawn(move |_ctx: Context| async move { stopped.await.ok(); Ok::<_, std::io::Error>(()) })
///     .interrupt(Interrupt::call(move |_cause| drop(stop.send(()))));
/// // Abort: the actor's future is dropped where it stands.
/// group
///     .spawn(|_ctx: Context| std::future::pending::<Result<(), std::io::Error>>())
///     .interrupt(Interrupt::Abort);
/// // Context (the default): the actor watches its Context.
/// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
/// assert!(group.run().await.is_ok());
/// # }
/// ```
#[derive(Default)]
#[non_exhaustive]
pub enum Interrupt {
    /// Only mark the Context interrupted: the actor is expected to watch it. The default for
    /// [`Group::spawn`](crate::Group::spawn).
    #[default]
    Context,
    /// Also drop the actor's future; the actor then counts as having returned `Ok(())`.
    Abort,
    /// Also call this closure, with the cause, before the Context is marked. A panic in it
    /// becomes [`Error::Panic`] and the shutdown goes on.
    Call(Box<dyn FnOnce(&Cause) + Send + 'static>),
}

impl Interrupt {
    /// An interrupt that calls `f`.
    pub fn call(f: impl FnOnce(&Cause) + Send + 'static) -> Self {
        Interrupt::Call(Box::new(f))
    }
}

impl fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Interrupt::Context => f.write_str("Context"),
            Interrupt::Abort => f.write_str("Abort"),
            Interrupt::Call(_) => f.write_str("Call(..)"),
        }
    }
}
