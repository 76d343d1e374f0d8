//! The `Runner` trait: a value that runs until done or interrupted.

use std::{
    borrow::Cow,
    convert::Infallible,
    future::Future,
    pin::Pin,
    task::{Context as TaskCx, Poll},
};

use crate::{context::Context, core::interrupt::Interrupt, error::BoxError, name::type_leaf};

/// A value that runs until it is done or its [`Context`] is interrupted.
///
/// A correct runner returns soon after [`Context::interrupted`] completes. Closures and async
/// fns taking a `Context` are runners too (see [`from_fn`]), and so is a
/// [`Group`](crate::Group), which is how groups nest.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, Group, Runner};
/// use tokio::sync::mpsc;
///
/// struct Worker {
///     jobs: mpsc::Receiver<u32>,
/// }
///
/// impl Runner for Worker {
///     type Error = std::io::Error;
///
///     async fn run(mut self, ctx: Context) -> Result<(), Self::Error> {
///         loop {
///             tokio::select! {
///                 () = ctx.interrupted() => return Ok(()),
///                 job = self.jobs.recv() => match job {
///                     Some(job) => println!("job {job}"),
///                     None => return Ok(()),
///                 },
///             }
///         }
///     }
/// }
///
/// let (send, jobs) = mpsc::channel(8);
/// let mut group = Group::new();
/// group.spawn(Worker { jobs });
/// send.send(1).await.unwrap();
/// drop(send); // the worker sees the channel close and exits: the group stops
/// group.run().await.unwrap();
/// # }
/// ```
pub trait Runner: Send + 'static {
    /// The runner's own error type; `run` keeps it whole as the source of
    /// [`Error::Failed`](crate::Error::Failed).
    type Error: Into<BoxError> + 'static;

    /// Runs until done or until `ctx` is interrupted.
    ///
    /// A group calls it; calling it directly runs the runner inline, as part of the actor
    /// whose context it is given.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group, Runner};
    ///
    /// async fn worker(ctx: Context) -> Result<(), std::io::Error> {
    ///     assert_eq!(ctx.name(), "app/main"); // the context of the actor that runs it
    ///     Ok(())
    /// }
    ///
    /// let mut app = Group::named("app");
    /// app.spawn(|ctx: Context| async move {
    ///     // Set up, then hand over to the runner: it is interrupted with this actor.
    ///     worker.run(ctx).await
    /// })
    /// .name("main");
    /// app.run().await.unwrap();
    /// # }
    /// ```
    fn run(self, ctx: Context) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The actor's name in its group; by default the type's name without its module path
    /// (`my_app::Http<T>` → `Http`). An empty name lets the group number the actor
    /// (`actor-3`).
    ///
    /// ```
    /// use run::{Context, Runner};
    /// use std::borrow::Cow;
    ///
    /// struct Http;
    ///
    /// impl Runner for Http {
    ///     type Error = std::io::Error;
    ///
    ///     async fn run(self, _ctx: Context) -> Result<(), Self::Error> {
    ///         Ok(())
    ///     }
    /// }
    ///
    /// struct Cache;
    ///
    /// impl Runner for Cache {
    ///     type Error = std::io::Error;
    ///
    ///     async fn run(self, _ctx: Context) -> Result<(), Self::Error> {
    ///         Ok(())
    ///     }
    ///
    ///     fn name(&self) -> Cow<'static, str> {
    ///         Cow::Borrowed("lru-cache")
    ///     }
    /// }
    ///
    /// assert_eq!(Http.name(), "Http");
    /// assert_eq!(Cache.name(), "lru-cache");
    /// ```
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(type_leaf::<Self>())
    }

    /// How a group interrupts this runner, besides interrupting its [`Context`]: by default
    /// nothing more ([`Interrupt::Context`]). A runner that must be stopped another way (a
    /// server handle to call, a thread to wake) says so here, and every group that runs it
    /// ([`Group::spawn`](crate::Group::spawn), [`TaskGroup::go`](crate::TaskGroup::go),
    /// [`RunHandle::spawn`](crate::RunHandle::spawn), a derived struct's field) delivers it
    /// through the one interrupt path: a panicking interrupt becomes
    /// [`Error::Panic`](crate::Error::Panic) and stops no other interrupt.
    ///
    /// Called once, when the runner is started, before [`run`](Runner::run);
    /// [`ActorOptions::interrupt`](crate::ActorOptions::interrupt) overrides it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group, Interrupt, Runner};
    /// use tokio::sync::watch;
    ///
    /// struct Server {
    ///     stop: watch::Sender<bool>,
    /// }
    ///
    /// impl Runner for Server {
    ///     type Error = std::io::Error;
    ///
    ///     async fn run(self, _ctx: Context) -> Result<(), Self::Error> {
    ///         // Never looks at its Context: it serves until told to stop.
    ///         self.stop.subscribe().wait_for(|stop| *stop).await.ok();
    ///         Ok(())
    ///     }
    ///
    ///     fn interrupt(&mut self) -> Interrupt {
    ///         let stop = self.stop.clone();
    ///         Interrupt::call(move |_cause| {
    ///             stop.send_replace(true);
    ///         })
    ///     }
    /// }
    ///
    /// let mut group = Group::new();
    /// group.spawn(Server { stop: watch::channel(false).0 });
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    /// group.run().await.unwrap(); // the server was stopped through its interrupt
    /// # }
    /// ```
    fn interrupt(&mut self) -> Interrupt {
        Interrupt::Context
    }
}

impl<F, Fut> Runner for F
where
    F: FnOnce(Context) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: ActorOutput,
{
    type Error = <Fut::Output as ActorOutput>::Error;

    fn run(self, ctx: Context) -> impl Future<Output = Result<(), Self::Error>> + Send {
        IntoResult { inner: self(ctx) }
    }

    /// A fn item's name (`worker`); empty for a closure, numbered by the group.
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(type_leaf::<F>())
    }
}

/// What an actor's body may return: `()` for an actor that cannot fail, or
/// `Result<(), E>` with any error that converts into [`BoxError`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, Group};
///
/// let mut group = Group::new();
/// group.spawn(|ctx: Context| async move {
///     ctx.interrupted().await; // cannot fail: no `Ok::<_, E>(())` needed
/// });
/// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
/// group.run().await.unwrap();
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the output of an actor",
    label = "expected `()` or `Result<(), E>`",
    note = "the error type `E` must convert into `run::BoxError`, as any `std::error::Error + Send + Sync + 'static` does"
)]
pub trait ActorOutput {
    /// The error a failed actor returns; [`Infallible`] for `()`.
    type Error: Into<BoxError> + 'static;

    /// The output as a result.
    fn into_result(self) -> Result<(), Self::Error>;
}

impl ActorOutput for () {
    type Error = Infallible;

    fn into_result(self) -> Result<(), Infallible> {
        Ok(())
    }
}

impl<E: Into<BoxError> + 'static> ActorOutput for Result<(), E> {
    type Error = E;

    fn into_result(self) -> Result<(), E> {
        self
    }
}

pin_project_lite::pin_project! {
    /// A body's future with its output as a result: a named type, so that it adds nothing to
    /// the actor's size.
    pub(crate) struct IntoResult<F> {
        #[pin]
        pub(crate) inner: F,
    }
}

impl<F> Future for IntoResult<F>
where
    F: Future,
    F::Output: ActorOutput,
{
    type Output = Result<(), <F::Output as ActorOutput>::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx).map(ActorOutput::into_result)
    }
}

/// Makes a closure or async fn a [`Runner`]: it does nothing but help type inference, so the
/// closure's `Context` parameter needs no annotation.
///
/// ```
/// async fn worker(ctx: run::Context) -> Result<(), std::io::Error> {
///     ctx.interrupted().await;
///     Ok(())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut group = run::Group::new();
/// group.spawn(worker); // named `worker`
/// group.spawn(run::from_fn(|ctx| async move {
///     assert_eq!(ctx.name(), "actor-1"); // a closure has no name: numbered
/// }));
/// group.run().await.unwrap();
/// assert_eq!(run::Runner::name(&worker), "worker");
/// # }
/// ```
pub fn from_fn<F, Fut>(f: F) -> F
where
    F: FnOnce(Context) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: ActorOutput,
{
    f
}
