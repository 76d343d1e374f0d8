//! What an actor is given: its name, its interruption, its cause, its children.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context as TaskCx, Poll, ready},
};

use tokio::sync::futures::Notified;

use crate::{
    core::{cause::Cause, scope::Member},
    name::ActorName,
};

/// An actor's view of its group: how it learns it is interrupted, and why. A task of a
/// [`TaskGroup`](crate::TaskGroup) gets one too: it is interrupted when its group stops.
///
/// Cloning is cheap; all clones watch the same actor.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, Group};
///
/// let mut group = Group::new();
/// group.spawn(|ctx: Context| async move {
///     ctx.interrupted().await;
///     // The first actor's exit stopped the group.
///     assert_eq!(ctx.cause().unwrap().actor().unwrap(), "oneshot");
///     Ok::<_, std::io::Error>(())
/// });
/// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).name("oneshot");
/// group.run().await.unwrap();
/// # }
/// ```
#[derive(Clone)]
pub struct Context {
    /// 16 bytes (an `Arc` and a `u32`): every actor's future holds a context.
    member: Member,
}

impl Context {
    pub(crate) fn new(member: Member) -> Self {
        Self { member }
    }

    /// The member of the core this context is the view of.
    pub(crate) fn member(&self) -> &Member {
        &self.member
    }

    /// The actor's full path.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    /// use tokio::sync::oneshot;
    ///
    /// let (send, name) = oneshot::channel();
    /// let mut group = Group::named("app");
    /// group
    ///     .spawn(|ctx: Context| async move {
    ///         send.send(ctx.name()).unwrap();
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .name("db");
    /// group.run().await.unwrap();
    /// assert_eq!(name.await.unwrap().to_string(), "app/db");
    /// # }
    /// ```
    pub fn name(&self) -> ActorName {
        self.member.name()
    }

    /// Whether the actor has been interrupted: for actors that check between units of work
    /// rather than await [`interrupted`](Context::interrupted).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    /// use tokio::sync::oneshot;
    ///
    /// let (checked, check) = oneshot::channel::<()>();
    /// let (send, seen) = oneshot::channel();
    /// let mut group = Group::new();
    /// group.spawn(|ctx: Context| async move {
    ///     let before = ctx.is_interrupted();
    ///     checked.send(()).unwrap(); // lets the other actor exit, which stops the group
    ///     ctx.interrupted().await;
    ///     send.send((before, ctx.is_interrupted())).unwrap();
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// group.spawn(|_ctx: Context| async move {
    ///     check.await.ok();
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// group.run().await.unwrap();
    /// assert_eq!(seen.await.unwrap(), (false, true));
    /// # }
    /// ```
    pub fn is_interrupted(&self) -> bool {
        self.member.is_interrupted()
    }

    /// Completes once the actor is interrupted (at once if it is already).
    ///
    /// It waits on the actor's own group only: a group nested in another is stopped by its
    /// parent when the actor it runs under is interrupted, so a finished future is
    /// registered nowhere.
    #[inline]
    pub fn interrupted(&self) -> impl Future<Output = ()> + Send + '_ {
        Interrupted {
            member: &self.member,
            // Created before any check: a `notify_waiters` after it still wakes it.
            notified: self.member.scope.interrupts_notified(),
        }
    }

    /// [`interrupted`](Context::interrupted), owning the context: for APIs that want a
    /// `'static` shutdown future, such as a server's graceful shutdown.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    ///
    /// let mut group = Group::new();
    /// group.spawn(|ctx: Context| async move {
    ///     // `tokio::spawn` wants a `'static` future: `interrupted()` borrows `ctx`, this owns it.
    ///     let shutdown = tokio::spawn(ctx.into_interrupted());
    ///     shutdown.await.unwrap();
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    /// group.run().await.unwrap();
    /// # }
    /// ```
    // An explicit `Send` future rather than an `async fn`: callers inside actors then need
    // no proof of `Send` for every lifetime (tests/seeds_pattern.rs).
    #[allow(clippy::manual_async_fn)]
    pub fn into_interrupted(self) -> impl Future<Output = ()> + Send {
        async move {
            self.interrupted().await;
        }
    }

    /// [`interrupted`](Context::interrupted) as a `'static` future that owns a clone of the
    /// context: for APIs that want one, in one line, such as axum's
    /// `axum::serve(listener, app).with_graceful_shutdown(ctx.interrupted_owned())`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    ///
    /// // Stands for axum's `with_graceful_shutdown`: it wants a `'static` future.
    /// fn serve_until(shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
    ///     tokio::spawn(shutdown);
    /// }
    ///
    /// let mut group = Group::new();
    /// group.spawn(|ctx: Context| async move {
    ///     serve_until(ctx.interrupted_owned());
    ///     ctx.interrupted().await;
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    /// group.run().await.unwrap();
    /// # }
    /// ```
    pub fn interrupted_owned(&self) -> impl Future<Output = ()> + Send + 'static + use<> {
        self.clone().into_interrupted()
    }

    /// Says what the actor is doing now (`"flushing"`, `"closing connections"`), for the
    /// report if its shutdown hangs: an actor aborted at its timeout, or by a forced exit, is
    /// named with its last phase and how long it had been in it
    /// (`still running: main/db (phase "flushing" for 4.2s)`, see [`Stuck`](crate::Stuck)).
    ///
    /// Cheap enough to call at every step: a `&'static str` is never copied, and only the
    /// first call allocates (the actor's record); reporting the same phase again keeps its
    /// start. Recorded for a group's actors (a supervised actor's included); a
    /// [`TaskGroup`](crate::TaskGroup)'s tasks and [`spawn`](Context::spawn)ed child tasks
    /// have no record (their owner is the one named), so for them it does nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Group};
    /// use std::time::Duration;
    ///
    /// let mut group = Group::named("app").shutdown_timeout(Duration::from_secs(10));
    /// group.spawn(|ctx: Context| async move {
    ///     ctx.phase("serving");
    ///     ctx.interrupted().await;
    ///     ctx.phase("flushing");
    ///     tokio::time::sleep(Duration::from_secs(3)).await;
    ///     ctx.phase(format!("closing {} files", 2)); // owned text works too
    ///     std::future::pending::<()>().await; // hangs
    /// }).name("db");
    /// group.spawn(|_ctx: Context| async {}).name("job");
    ///
    /// let err = group.run().await.unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     r#"shutdown timed out; still running: app/db (phase "closing 2 files" for 7.0s)"#,
    /// );
    /// # }
    /// ```
    pub fn phase(&self, phase: impl Into<std::borrow::Cow<'static, str>>) {
        self.member
            .scope
            .set_phase(self.member.index(), phase.into());
    }

    /// Why the actor was interrupted; `None` until it is.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Cause, Context, Error, Group};
    /// use tokio::sync::oneshot;
    ///
    /// let (stop, stopped) = oneshot::channel::<()>();
    /// let (send, seen) = oneshot::channel();
    /// let mut group = Group::new();
    /// group.spawn(|ctx: Context| async move {
    ///     let before = ctx.cause().cloned();
    ///     stop.send(()).unwrap(); // stops the group from outside
    ///     ctx.interrupted().await;
    ///     send.send((before, ctx.cause().cloned())).unwrap();
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// let result = group.run_until(async { stopped.await.ok(); }).await;
    /// assert!(matches!(result, Err(Error::Cancelled)));
    ///
    /// let (before, after) = seen.await.unwrap();
    /// assert!(before.is_none());
    /// assert!(matches!(after, Some(Cause::Cancelled)));
    /// # }
    /// ```
    pub fn cause(&self) -> Option<&Cause> {
        if self.member.is_interrupted() {
            self.member.scope.cause()
        } else {
            None
        }
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("name", &self.name())
            .field("interrupted", &self.is_interrupted())
            .finish()
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Context::interrupted`]: a named type rather than nested `async fn`s,
    /// because every actor that waits for its interrupt holds one (it borrows the member
    /// whole: one word less than a scope and an index).
    struct Interrupted<'a> {
        member: &'a Member,
        #[pin]
        notified: Notified<'a>,
    }
}

impl Future for Interrupted<'_> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<()> {
        let mut this = self.project();
        loop {
            if this.member.is_interrupted() {
                return Poll::Ready(());
            }
            ready!(this.notified.as_mut().poll(cx));
            // Woken: re-arm before checking again, so that no wake-up is lost.
            this.notified.set(this.member.scope.interrupts_notified());
        }
    }
}
