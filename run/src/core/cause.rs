//! Why a group stops.

use crate::{error::Error, name::ActorName};

/// Why a group is stopping: what every interrupt is given, and what
/// [`Context::cause`](crate::Context::cause) tells once the actor is interrupted.
///
/// The group's result follows from it: [`Cause::result`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Cause, Context, Group};
/// use tokio::sync::oneshot;
///
/// let (send, cause) = oneshot::channel::<Cause>();
/// let mut group = Group::new();
/// group
///     .spawn(|_ctx: Context| async { Err::<(), _>(std::io::Error::other("bad config")) })
///     .name("loader");
/// group.spawn(|ctx: Context| async move {
///     ctx.interrupted().await;
///     send.send(ctx.cause().unwrap().clone()).unwrap();
///     Ok::<_, std::io::Error>(())
/// });
/// let err = group.run().await.unwrap_err();
///
/// let cause = cause.await.unwrap();
/// assert_eq!(cause.actor().unwrap(), "loader");
/// // The cause's result is the group's result.
/// assert_eq!(cause.result().unwrap_err().report().to_string(), err.report().to_string());
/// assert_eq!(err.report().to_string(), "actor `loader` failed: bad config");
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Cause {
    /// An actor exited and its [`ExitPolicy`](crate::ExitPolicy) stops the group.
    Exit {
        /// The actor that exited first.
        actor: ActorName,
        /// What it returned.
        result: Result<(), Error>,
    },
    /// The group was stopped from outside: the one cause for every such stop, whichever
    /// way it came: the member it runs under was interrupted (a nested group, a child of an
    /// actor), a [`Token`](crate::Token) was cancelled, the future given to
    /// [`Group::run_until`](crate::Group::run_until) completed,
    /// [`TaskGroup::cancel`](crate::TaskGroup::cancel) was called, or the `run()` future was
    /// dropped. Its result is [`Error::Cancelled`].
    Cancelled,
    /// Every actor whose exit counts has finished without stopping the group: a group of
    /// [`Task`](crate::ExitPolicy::Task) actors that all succeeded.
    Finished,
    /// A stop was requested from inside the app ([`Context::request_stop`](crate::Context::request_stop)
    /// or a [`StopHandle`](crate::StopHandle)): a clean, graceful stop, whose result is
    /// `Ok(())`. It is the cause of the top group; the groups below it are stopped from
    /// outside ([`Cause::Cancelled`]), which is no failure.
    StopRequested,
}

impl Cause {
    /// The actor that stopped the group, if one did.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Cause, Context, Group};
    /// use tokio::sync::oneshot;
    ///
    /// let (send, cause) = oneshot::channel::<Cause>();
    /// let mut group = Group::named("app");
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).name("migrate");
    /// group.spawn(|ctx: Context| async move {
    ///     ctx.interrupted().await;
    ///     send.send(ctx.cause().unwrap().clone()).unwrap();
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// group.run().await.unwrap();
    ///
    /// assert_eq!(cause.await.unwrap().actor().unwrap(), "app/migrate");
    /// assert!(Cause::Cancelled.actor().is_none()); // stopped from outside: no actor
    /// # }
    /// ```
    pub fn actor(&self) -> Option<&ActorName> {
        match self {
            Cause::Exit { actor, .. } => Some(actor),
            _ => None,
        }
    }

    /// The result `run()` returns for this cause: the exited actor's result,
    /// [`Error::Cancelled`], or `Ok(())` when the group finished.
    ///
    /// ```
    /// use run::{Cause, Error};
    ///
    /// assert!(matches!(Cause::Cancelled.result(), Err(Error::Cancelled)));
    /// assert!(Cause::Finished.result().is_ok());
    /// assert!(Cause::StopRequested.result().is_ok());
    /// ```
    pub fn result(&self) -> Result<(), Error> {
        match self {
            Cause::Exit { result, .. } => result.clone(),
            Cause::Cancelled => Err(Error::Cancelled),
            Cause::Finished | Cause::StopRequested => Ok(()),
        }
    }
}
