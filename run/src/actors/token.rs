//! The token actor: how a party outside the group stops it.

use std::{
    borrow::Cow,
    future::{Future, poll_fn},
    pin::pin,
    task::Poll,
};

use tokio_util::sync::CancellationToken;

use crate::{context::Context, core::cause::Cause, error::Error, runner::Runner};

/// An actor that stops its group from outside when its `CancellationToken` is cancelled: the
/// cause is [`Cause::Cancelled`], the one cause of every stop from outside, and the group
/// returns [`Error::Cancelled`]. Interrupted first, it returns `Ok(())`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, Error, Group, Token};
/// use tokio_util::sync::CancellationToken;
///
/// let token = CancellationToken::new();
/// let mut group = Group::new();
/// group.spawn(Token::new(token.clone()));
/// group.spawn(|ctx: Context| async move {
///     ctx.interrupted().await;
///     Ok::<_, std::io::Error>(())
/// });
/// token.cancel(); // from anywhere: another task, a handler, a test
/// assert!(matches!(group.run().await, Err(Error::Cancelled)));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Token(CancellationToken);

impl Token {
    /// An actor watching `token`, named `token`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group, Runner, Token};
    /// use tokio_util::sync::CancellationToken;
    ///
    /// let token = CancellationToken::new();
    /// let watcher = Token::new(token.clone());
    /// assert_eq!(watcher.name(), "token");
    ///
    /// let mut group = Group::new();
    /// group.spawn(watcher);
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    /// // Interrupted before its token was cancelled, it returns `Ok(())`.
    /// assert!(group.run().await.is_ok());
    /// assert!(!token.is_cancelled());
    /// # }
    /// ```
    pub fn new(token: CancellationToken) -> Self {
        Self(token)
    }
}

impl Runner for Token {
    type Error = Error;

    async fn run(self, ctx: Context) -> Result<(), Error> {
        let mut cancelled = pin!(self.0.cancelled());
        let mut interrupted = pin!(ctx.interrupted());
        let cancelled = poll_fn(|cx| {
            if cancelled.as_mut().poll(cx).is_ready() {
                return Poll::Ready(true);
            }
            interrupted.as_mut().poll(cx).map(|()| false)
        })
        .await;
        if cancelled {
            ctx.member().scope.stop(Cause::Cancelled);
        }
        Ok(())
    }

    /// `token`.
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("token")
    }
}
