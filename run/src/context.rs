//! What an actor is given: its name, its interruption, its cause, its children.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{ready, Context as TaskCx, Poll},
};

use tokio::sync::futures::Notified;

use crate::{
    state::Shared,
    task_group::{Scope as TaskScope, Stopped},
    ActorName, Cause, Group,
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
    scope: Scope,
}

/// Whom the context belongs to: an actor of a [`Group`] run, or a task of a
/// [`TaskGroup`](crate::TaskGroup), which has no fixed set of slots.
///
/// Kept to 16 bytes (an `Arc` and a `u32`), since every actor's future holds a context.
#[derive(Clone)]
enum Scope {
    Actor { shared: Arc<Shared>, index: u32 },
    Task(Arc<TaskContext>),
}

pub(crate) struct TaskContext {
    group: Arc<TaskScope>,
    name: ActorName,
}

impl Context {
    pub(crate) fn new(shared: Arc<Shared>, index: usize) -> Self {
        Self {
            // A group of 2^32 actors would need a terabyte of tasks first.
            scope: Scope::Actor {
                shared,
                index: index as u32,
            },
        }
    }

    pub(crate) fn task(group: Arc<TaskScope>, name: ActorName) -> Self {
        Self {
            scope: Scope::Task(Arc::new(TaskContext { group, name })),
        }
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
        match &self.scope {
            Scope::Actor { shared, index } => shared.name(*index as usize),
            Scope::Task(task) => task.name.clone(),
        }
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
        match &self.scope {
            Scope::Actor { shared, index } => shared.slot(*index as usize).is_interrupted(),
            Scope::Task(task) => task.group.is_stopped(),
        }
    }

    /// Completes once the actor is interrupted (at once if it is already).
    pub fn interrupted(&self) -> impl Future<Output = ()> + Send + '_ {
        match &self.scope {
            Scope::Actor { shared, index } => Interrupted::Actor {
                shared,
                index: *index,
                // Created before any check: a `notify_waiters` after it still wakes it.
                notified: shared.interrupts_notified(),
            },
            Scope::Task(task) => Interrupted::Task {
                stopped: Box::pin(task.group.stopped()),
            },
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
    pub async fn into_interrupted(self) {
        self.interrupted().await;
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
        match &self.scope {
            Scope::Actor { shared, index } if shared.slot(*index as usize).is_interrupted() => {
                shared.cause()
            }
            Scope::Actor { .. } => None,
            Scope::Task(task) => task.group.cause(),
        }
    }

    /// A new, empty group of children: its actors are named under this actor's path, and it
    /// is cancelled (returning [`Error::Cancelled`](crate::Error::Cancelled)) when this
    /// actor is interrupted.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    ///
    /// let mut app = Group::named("app");
    /// app.spawn(|ctx: Context| async move {
    ///     let mut children = ctx.group();
    ///     children
    ///         .spawn(|child: Context| async move {
    ///             assert_eq!(child.name(), "app/parent/child");
    ///             child.interrupted().await;
    ///             Ok::<_, std::io::Error>(())
    ///         })
    ///         .name("child");
    ///     children.run().await
    /// })
    /// .name("parent");
    /// app.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    /// app.run().await.unwrap();
    /// # }
    /// ```
    pub fn group(&self) -> Group {
        Group::child_of(self.clone())
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

impl Context {
    /// Reports a group actor's exit. Task-group tasks report to their group instead, so
    /// the group never hands this one their context.
    pub(crate) fn exited(self, result: Result<(), crate::Error>) {
        if let Scope::Actor { shared, index } = self.scope {
            shared.exited(index as usize, result);
        }
    }

    /// The group state and slot of a group actor's context; `None` for a task-group task.
    pub(crate) fn slot(&self) -> Option<(&Shared, usize)> {
        match &self.scope {
            Scope::Actor { shared, index } => Some((shared, *index as usize)),
            Scope::Task(_) => None,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Context::interrupted`]: a named type rather than nested `async fn`s,
    /// because every actor that waits for its interrupt holds one.
    #[project = InterruptedProj]
    enum Interrupted<'a> {
        Actor {
            shared: &'a Shared,
            index: u32,
            #[pin]
            notified: Notified<'a>,
        },
        // Boxed: a task group's stop future is larger, and rarer.
        Task {
            stopped: Pin<Box<Stopped<'a>>>,
        },
    }
}

impl Future for Interrupted<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<()> {
        match self.project() {
            InterruptedProj::Actor {
                shared,
                index,
                mut notified,
            } => loop {
                if shared.slot(*index as usize).is_interrupted() {
                    return Poll::Ready(());
                }
                ready!(notified.as_mut().poll(cx));
                // Woken: re-arm before checking again, so that no wake-up is lost.
                notified.set(shared.interrupts_notified());
            },
            InterruptedProj::Task { stopped } => stopped.as_mut().poll(cx),
        }
    }
}
