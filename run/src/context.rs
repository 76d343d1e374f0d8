//! What an actor is given: its name, its interruption, its cause, its children.

use std::{fmt, sync::Arc};

use crate::{state::Shared, ActorName, Cause, Group};

/// An actor's view of its group: how it learns it is interrupted, and why.
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
    shared: Arc<Shared>,
    index: usize,
}

impl Context {
    pub(crate) fn new(shared: Arc<Shared>, index: usize) -> Self {
        Self { shared, index }
    }

    /// The actor's full path.
    pub fn name(&self) -> ActorName {
        self.shared.name(self.index)
    }

    /// Whether the actor has been interrupted.
    pub fn is_interrupted(&self) -> bool {
        self.shared.is_interrupted(self.index)
    }

    /// Completes once the actor is interrupted (at once if it is already).
    pub async fn interrupted(&self) {
        self.shared.interrupted(self.index).await;
    }

    /// [`interrupted`](Context::interrupted), owning the context: for APIs that want a
    /// `'static` shutdown future, such as a server's graceful shutdown.
    pub async fn into_interrupted(self) {
        self.interrupted().await;
    }

    /// Why the actor was interrupted; `None` until it is.
    pub fn cause(&self) -> Option<&Cause> {
        if self.is_interrupted() {
            self.shared.cause()
        } else {
            None
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
    pub(crate) fn exited(self, result: Result<(), crate::Error>) {
        self.shared.exited(self.index, result);
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn index(&self) -> usize {
        self.index
    }
}
