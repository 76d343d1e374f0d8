//! How a member's exit affects its scope, and how it is interrupted: the vocabulary. The one
//! path that delivers an interrupt is [`Scope::deliver`](super::scope::Scope::deliver).

use std::{fmt, future::Future, pin::Pin};

use super::cause::Cause;
use crate::error::Error;

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
    /// Never stops the group. The group does not wait for sidecars to end on their own: once
    /// the other actors are done, they are interrupted. A group of only sidecars runs until
    /// all of them have exited.
    ///
    /// Its failures, whenever they come (before the stop or during it), are reported and
    /// never returned by [`run`](crate::Group::run): each is an [`Event`](crate::Event) to the
    /// group's hook ([`Exited`](crate::Event::Exited) with the error, or
    /// [`RestartLimit`](crate::Event::RestartLimit) for a supervised sidecar that gave up) and,
    /// with feature `tracing`, an `ERROR` record (target `run::event`). A panic is not such a
    /// failure but a bug: it is returned, as any actor's is (it does not stop the group
    /// either), and so are the actors a nested group run as a sidecar left stuck at its
    /// shutdown timeout.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Event, ExitPolicy, Group};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let reported = Arc::new(Mutex::new(Vec::new()));
    /// let log = reported.clone();
    /// let mut group = Group::new().hook(move |event: &Event<'_>| {
    ///     if let Event::Exited { result: Err(error), .. } = event {
    ///         log.lock().unwrap().push(error.report().to_string());
    ///     }
    /// });
    /// group
    ///     .spawn(|ctx: Context| async move {
    ///         ctx.interrupted().await;
    ///         Err::<(), _>(std::io::Error::other("last flush lost")) // during the stop
    ///     })
    ///     .name("metrics")
    ///     .exit(ExitPolicy::Sidecar);
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).name("job");
    /// assert!(group.run().await.is_ok()); // not returned...
    /// assert_eq!(*reported.lock().unwrap(), ["actor `metrics` failed: last flush lost"]); // reported
    /// # }
    /// ```
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
    /// [`Group::spawn`](crate::Group::spawn) of a runner that
    /// says nothing else ([`Runner::interrupt`](crate::Runner::interrupt)).
    #[default]
    Context,
    /// Also drop the actor's future; the actor then counts as having returned `Ok(())`.
    Abort,
    /// Also call this closure, with the cause, before the Context is marked. It runs on the
    /// group's own task, so it must not block or wait: use [`Interrupt::call_async`] for that.
    /// A panic in it becomes [`Error::Panic`] and the shutdown goes on.
    Call(Box<dyn FnOnce(&Cause) + Send + 'static>),
    /// Also start this future, as a task of its own, before the Context is marked: a slow one
    /// delays no other interrupt. The actor counts as returned only once both its execute and
    /// this future have; both are covered by its timeouts. Made by [`Interrupt::call_async`].
    CallAsync(AsyncCall),
}

/// The closure of an [`Interrupt::CallAsync`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{AsyncCall, BoxFuture, Cause, Context, Group, Interrupt};
/// use tokio::sync::oneshot;
///
/// let (stop, stopped) = oneshot::channel::<()>();
/// // What `Interrupt::call_async` builds, written out.
/// let call: AsyncCall = Box::new(move |_cause: Cause| -> BoxFuture {
///     Box::pin(async move { stop.send(()).unwrap() })
/// });
/// let mut group = Group::new();
/// group
///     .spawn(move |_ctx: Context| async move {
///         stopped.await.ok();
///         Ok::<_, std::io::Error>(())
///     })
///     .interrupt(Interrupt::CallAsync(call));
/// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
/// group.run().await.unwrap();
/// # }
/// ```
pub type AsyncCall = Box<dyn FnOnce(Cause) -> BoxFuture + Send + 'static>;

/// A boxed, sendable future with no output.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::BoxFuture;
/// use tokio::sync::mpsc;
///
/// let (send, mut steps) = mpsc::unbounded_channel();
/// let (first, second) = (send.clone(), send);
/// // Futures of different types, in one list.
/// let shutdown: Vec<BoxFuture> = vec![
///     Box::pin(async move { first.send("flush").unwrap() }),
///     Box::pin(async move {
///         tokio::task::yield_now().await;
///         second.send("close").unwrap();
///     }),
/// ];
/// for step in shutdown {
///     step.await;
/// }
/// assert_eq!(steps.recv().await, Some("flush"));
/// assert_eq!(steps.recv().await, Some("close"));
/// # }
/// ```
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

impl Interrupt {
    /// An interrupt that calls `f`.
    pub fn call(f: impl FnOnce(&Cause) + Send + 'static) -> Self {
        Interrupt::Call(Box::new(f))
    }

    /// An interrupt that runs the future `f` returns, for interrupts that wait: a server's
    /// graceful stop, a flush, a message that must be acknowledged.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group, Interrupt};
    /// use tokio::sync::{mpsc, oneshot};
    ///
    /// // A server whose stop must be acknowledged.
    /// let (stop, mut stops) = mpsc::channel::<oneshot::Sender<()>>(1);
    /// let mut group = Group::new();
    /// group
    ///     .spawn(move |_ctx: Context| async move {
    ///         let ack = stops.recv().await.unwrap();
    ///         ack.send(()).unwrap();
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .interrupt(Interrupt::call_async(move |_cause| async move {
    ///         let (ack, acked) = oneshot::channel();
    ///         stop.send(ack).await.unwrap();
    ///         acked.await.unwrap();
    ///     }));
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    /// group.run().await.unwrap();
    /// # }
    /// ```
    pub fn call_async<F, Fut>(f: F) -> Self
    where
        F: FnOnce(Cause) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Interrupt::CallAsync(Box::new(move |cause| Box::pin(f(cause))))
    }
}

// What each interrupt means to the core, decided here only: the faces launch their members
// through `member::spawn` and `member::future` with these.
impl Interrupt {
    /// The member's execute is dropped where it stands once interrupted.
    #[inline]
    pub(crate) fn aborts(&self) -> bool {
        matches!(self, Interrupt::Abort)
    }

    /// The interrupt itself if it calls something, to be delivered; the others only mark
    /// the member.
    #[inline]
    pub(crate) fn into_call(self) -> Option<Interrupt> {
        match self {
            call @ (Interrupt::Call(_) | Interrupt::CallAsync(_)) => Some(call),
            Interrupt::Abort | Interrupt::Context => None,
        }
    }
}

impl fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Interrupt::Context => f.write_str("Context"),
            Interrupt::Abort => f.write_str("Abort"),
            Interrupt::Call(_) => f.write_str("Call(..)"),
            Interrupt::CallAsync(_) => f.write_str("CallAsync(..)"),
        }
    }
}
