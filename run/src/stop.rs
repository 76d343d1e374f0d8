//! A stop requested from inside the app: a clean, graceful end, exit status 0.

use std::{
    fmt,
    sync::{Arc, Weak},
};

use crate::{
    context::Context,
    core::{cause::Cause, scope::Scope},
};

/// Stops the whole app cleanly, from anywhere: an admin endpoint, a handler, another thread.
///
/// [`stop`](StopHandle::stop) stops the top group of the tree the handle was made in, with
/// the cause [`Cause::StopRequested`]: every actor is interrupted as on any stop, and the top
/// group's `run()` returns `Ok(())` (exit status 0 under [`#[run::main]`](crate::main)), with
/// nothing logged as an error. Cheap to clone, `Send + Sync + 'static`: fit for axum state. It
/// does not keep the group alive: once the group has ended, `stop` does nothing.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Cause, Context, Group};
/// use tokio::sync::oneshot;
///
/// let (send, handle) = oneshot::channel();
/// let mut app = Group::named("app");
/// app.spawn(|ctx: Context| async move {
///     ctx.interrupted().await;
///     assert!(matches!(ctx.cause(), Some(Cause::StopRequested)));
///     Ok::<_, std::io::Error>(())
/// });
/// app.spawn(move |ctx: Context| async move {
///     send.send(ctx.stop_handle()).unwrap(); // e.g. into an admin endpoint's state
///     ctx.interrupted().await;
///     Ok::<_, std::io::Error>(())
/// });
/// let running = tokio::spawn(app.run());
/// handle.await.unwrap().stop();
/// assert!(running.await.unwrap().is_ok()); // a clean stop
/// # }
/// ```
#[derive(Clone)]
pub struct StopHandle {
    root: Weak<Scope>,
}

impl StopHandle {
    /// Stops the app: see [`StopHandle`]. Does nothing if it has stopped already.
    pub fn stop(&self) {
        if let Some(root) = self.root.upgrade() {
            root.stop(Cause::StopRequested);
        }
    }
}

impl fmt::Debug for StopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StopHandle")
            .field("live", &(self.root.strong_count() > 0))
            .finish()
    }
}

impl Context {
    /// Stops the whole app cleanly: the top group of this actor's tree stops with
    /// [`Cause::StopRequested`] and returns `Ok(())`; see [`StopHandle`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    ///
    /// let mut inner = Group::named("admin");
    /// inner.spawn(|ctx: Context| async move {
    ///     ctx.request_stop(); // from deep inside: the whole app stops
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// let mut app = Group::named("app");
    /// app.spawn(inner);
    /// app.spawn(|ctx: Context| async move {
    ///     ctx.interrupted().await;
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// assert!(app.run().await.is_ok());
    /// # }
    /// ```
    pub fn request_stop(&self) {
        self.member().scope.root().stop(Cause::StopRequested);
    }

    /// A handle that stops the whole app from anywhere; see [`StopHandle`].
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            root: Arc::downgrade(&self.member().scope.root()),
        }
    }
}
