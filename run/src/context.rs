//! What an actor is given: its name, its interruption, its cause, its children.

use std::{fmt, sync::Arc};

use crate::{state::Shared, task_group::Scope as TaskScope, ActorName, Cause, Group};

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
#[derive(Clone)]
enum Scope {
    Actor {
        shared: Arc<Shared>,
        index: usize,
    },
    Task {
        group: Arc<TaskScope>,
        name: ActorName,
    },
}

impl Context {
    pub(crate) fn new(shared: Arc<Shared>, index: usize) -> Self {
        Self {
            scope: Scope::Actor { shared, index },
        }
    }

    pub(crate) fn task(group: Arc<TaskScope>, name: ActorName) -> Self {
        Self {
            scope: Scope::Task { group, name },
        }
    }

    /// The actor's full path.
    pub fn name(&self) -> ActorName {
        match &self.scope {
            Scope::Actor { shared, index } => shared.name(*index),
            Scope::Task { name, .. } => name.clone(),
        }
    }

    /// Whether the actor has been interrupted.
    pub fn is_interrupted(&self) -> bool {
        match &self.scope {
            Scope::Actor { shared, index } => shared.is_interrupted(*index),
            Scope::Task { group, .. } => group.is_stopped(),
        }
    }

    /// Completes once the actor is interrupted (at once if it is already).
    pub async fn interrupted(&self) {
        match &self.scope {
            Scope::Actor { shared, index } => shared.interrupted(*index).await,
            Scope::Task { group, .. } => group.stopped().await,
        }
    }

    /// [`interrupted`](Context::interrupted), owning the context: for APIs that want a
    /// `'static` shutdown future, such as a server's graceful shutdown.
    pub async fn into_interrupted(self) {
        self.interrupted().await;
    }

    /// Why the actor was interrupted; `None` until it is.
    pub fn cause(&self) -> Option<&Cause> {
        match &self.scope {
            Scope::Actor { shared, index } if shared.is_interrupted(*index) => shared.cause(),
            Scope::Actor { .. } => None,
            Scope::Task { group, .. } => group.cause(),
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
            shared.exited(index, result);
        }
    }

    /// The group state and slot of a group actor's context; `None` for a task-group task.
    pub(crate) fn slot(&self) -> Option<(&Shared, usize)> {
        match &self.scope {
            Scope::Actor { shared, index } => Some((shared, *index)),
            Scope::Task { .. } => None,
        }
    }
}
