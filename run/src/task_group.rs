//! The task group: errgroup's semantics for [`Runner`]s, on tokio tasks or on a [`Pool`].
//!
//! Invariants:
//! - Every task gets a [`Context`] named `group-path/task-name`; all of them are interrupted
//!   together, when the group stops. The group stops once: at its first failure (an error or
//!   a panic), at [`TaskGroup::cancel`], or when its parent context is interrupted. That first
//!   event is the [`Cause`] every task's [`Context::cause`] reports.
//! - A task runs only if the group has not stopped when it starts: [`TaskGroup::go`] on a
//!   stopped group returns [`Error::Stopped`] and drops the runner unrun, and a task that was
//!   accepted but starts after the stop is skipped.
//! - [`TaskGroup::wait`] returns once no task is running (and every task's tokio task has
//!   ended): the first failure; else [`Error::Cancelled`] if the group was stopped; else
//!   `Ok(())`. Later failures reach the log hook only.
//! - A panic is caught and becomes [`Error::Panic`] named after the task; without
//!   [`capture_panics`](TaskGroupBuilder::capture_panics) it is resumed on the caller of
//!   [`wait`](TaskGroup::wait) instead of returned.
//! - Dropping the group stops it and aborts its tasks, on tokio tasks or on the pool: none
//!   outlives it. The pool itself lives on.

use std::{
    borrow::Cow,
    fmt,
    future::{poll_fn, Future},
    mem,
    pin::{pin, Pin},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard, OnceLock, PoisonError,
    },
    task::Poll,
};

use tokio::{
    runtime::Handle,
    sync::{futures::Notified, Notify},
    task::JoinSet,
};

use crate::{
    name::Leaf,
    panic::{self, CatchUnwind},
    ActorName, Cause, Context, Error, Pool, Runner,
};

type LogHook = Arc<dyn Fn(&TaskEvent<'_>) + Send + Sync + 'static>;

/// A group of tasks that fail together: errgroup for [`Runner`]s.
///
/// [`go`](TaskGroup::go) starts a runner as a task; the first task to fail (return an error
/// or panic) stops the group, which interrupts every task's [`Context`];
/// [`wait`](TaskGroup::wait) waits for all tasks and returns that first failure. The tasks
/// run as tokio tasks, or on a [`Pool`] ([`TaskGroupBuilder::pool`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, TaskGroup};
///
/// let group = TaskGroup::builder().name("fetch").build();
/// group
///     .go_named("slow", |ctx: Context| async move {
///         ctx.interrupted().await; // stopped by the failure below
///         assert_eq!(ctx.cause().unwrap().actor().unwrap(), "fetch/broken");
///         Ok::<_, std::io::Error>(())
///     })
///     .await
///     .unwrap();
/// group
///     .go_named("broken", |_ctx: Context| async {
///         Err::<(), _>(std::io::Error::other("connection refused"))
///     })
///     .await
///     .unwrap();
///
/// let err = group.wait().await.unwrap_err();
/// assert_eq!(err.report().to_string(), "actor `fetch/broken` failed: connection refused");
/// // A stopped group runs nothing more.
/// let late = group.go(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).await;
/// assert!(matches!(late, Err(run::Error::Stopped)));
/// # }
/// ```
///
/// # Guarantees
///
/// - The group stops once: at its first failure, at [`cancel`](TaskGroup::cancel), or when
///   its parent context ([`TaskGroupBuilder::parent`]) is interrupted. Every task's context
///   is then interrupted, with that first event as its [`Cause`].
/// - A stopped group runs no more runners: `go` returns [`Error::Stopped`], and a task
///   accepted just before the stop that had not started yet is skipped.
/// - [`wait`](TaskGroup::wait) returns the first failure; else [`Error::Cancelled`] if the
///   group stopped; else `Ok(())`. Later failures reach the log hook only.
/// - Dropping the group stops it and aborts its tasks, whether on tokio tasks or on a pool:
///   none outlives it.
pub struct TaskGroup {
    scope: Arc<Scope>,
    pool: Option<Pool>,
}

/// What a task group shares with its tasks and their contexts.
pub(crate) struct Scope {
    path: Option<Arc<str>>,
    parent: Option<Context>,
    capture_panics: bool,
    log: Option<LogHook>,
    /// The first stop, set once.
    cause: OnceLock<Cause>,
    /// The first failure, what `wait` returns.
    failure: OnceLock<Error>,
    /// The group was dropped: tasks still on a pool end at once.
    aborted: AtomicBool,
    /// Woken (all waiters) when the group stops or is aborted.
    stop: Notify,
    /// Woken (all waiters) when the last running task ends.
    idle: Notify,
    /// Tasks accepted and not yet ended. Changed only with `state` locked, except the
    /// decrement when a task ends: that one needs no lock, so that a task's future can be
    /// dropped anywhere, even inside `spawn` (a runtime shutting down) under the lock.
    running: AtomicUsize,
    state: Mutex<State>,
}

struct State {
    /// Tasks named so far, to number the unnamed ones.
    named: usize,
    /// The tokio tasks, when not on a pool.
    tasks: JoinSet<()>,
}

impl TaskGroup {
    /// A group whose tasks run as tokio tasks, with no name and no parent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, TaskGroup};
    /// use tokio::sync::oneshot;
    ///
    /// let (send, name) = oneshot::channel();
    /// let group = TaskGroup::new();
    /// group
    ///     .go(|ctx: Context| async move {
    ///         send.send(ctx.name()).unwrap();
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// group.wait().await.unwrap();
    /// assert_eq!(name.await.unwrap(), "actor-0"); // no group path
    /// # }
    /// ```
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder, to set a name, a parent context, a pool, panic handling and a log hook.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let group = run::TaskGroup::builder().name("fetch").capture_panics(true).build();
    /// assert!(!group.is_stopped());
    /// assert_eq!(group.running(), 0);
    /// # }
    /// ```
    pub fn builder() -> TaskGroupBuilder {
        TaskGroupBuilder::default()
    }

    /// Starts `runner` as a task named after [`Runner::name`] (closures are numbered:
    /// `actor-N`).
    ///
    /// On a pool, waits until a worker takes it. Errors: [`Error::Stopped`] if the group has
    /// stopped (before or while waiting for the pool), [`Error::Closed`] if the pool is
    /// closed, [`Error::NoRuntime`] outside a tokio runtime; the runner is then not run.
    ///
    /// ```
    /// use run::{Context, TaskEvent, TaskGroup};
    /// use std::sync::{Arc, Mutex};
    ///
    /// async fn fetch(_ctx: Context) -> Result<(), std::io::Error> {
    ///     Ok(())
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let names = Arc::new(Mutex::new(Vec::new()));
    /// let sink = names.clone();
    /// let group = TaskGroup::builder()
    ///     .name("crawl")
    ///     .log(move |event: &TaskEvent<'_>| {
    ///         if let TaskEvent::Started { name } = event {
    ///             sink.lock().unwrap().push(name.to_string());
    ///         }
    ///     })
    ///     .build();
    /// group.go(fetch).await.unwrap(); // named after the fn
    /// group.go(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).await.unwrap(); // numbered
    /// group.wait().await.unwrap();
    ///
    /// let mut names = names.lock().unwrap().clone();
    /// names.sort();
    /// assert_eq!(names, ["crawl/actor-1", "crawl/fetch"]);
    /// # }
    /// ```
    pub async fn go<R: Runner>(&self, runner: R) -> Result<(), Error> {
        let name = runner.name();
        self.go_named(name, runner).await
    }

    /// [`go`](TaskGroup::go), naming the task `name`.
    pub async fn go_named<R: Runner>(
        &self,
        name: impl Into<Cow<'static, str>>,
        runner: R,
    ) -> Result<(), Error> {
        let scope = &self.scope;
        if scope.is_stopped() {
            return Err(Error::Stopped);
        }
        let Some(pool) = &self.pool else {
            if Handle::try_current().is_err() {
                return Err(Error::NoRuntime);
            }
            let mut state = scope.lock();
            // Forget the tasks that ended, so a long-lived group does not grow.
            while state.tasks.try_join_next().is_some() {}
            let task = Task::accept(scope, &mut state, name.into());
            state.tasks.spawn(task.run(runner));
            return Ok(());
        };
        let task = {
            let mut state = scope.lock();
            Task::accept(scope, &mut state, name.into())
        };
        let mut submit = pin!(pool.submit(task.run(runner)));
        let mut stopped = pin!(scope.stopped());
        // If the group stops while we wait for a worker, give up: a job a worker took
        // meanwhile sees the stop and skips the runner, so `Stopped` stays true.
        poll_fn(|cx| {
            if let Poll::Ready(submitted) = submit.as_mut().poll(cx) {
                // The job's handle is dropped: the task reports to the group, not to it.
                return Poll::Ready(submitted.map(drop));
            }
            stopped.as_mut().poll(cx).map(|()| Err(Error::Stopped))
        })
        .await
    }

    /// Stops the group: interrupts every task's context (cause [`Cause::Cancelled`]) and
    /// refuses new tasks. Does nothing if it has stopped already.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Cause, Context, Error, TaskGroup};
    /// use tokio::sync::oneshot;
    ///
    /// let (started, start) = oneshot::channel::<()>();
    /// let (send, cause) = oneshot::channel();
    /// let group = TaskGroup::new();
    /// group
    ///     .go(|ctx: Context| async move {
    ///         started.send(()).unwrap();
    ///         ctx.interrupted().await;
    ///         send.send(ctx.cause().cloned()).unwrap();
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// start.await.unwrap(); // a task that has not started when the group stops is skipped
    /// group.cancel();
    /// assert!(matches!(group.wait().await, Err(Error::Cancelled)));
    /// assert!(matches!(cause.await.unwrap(), Some(Cause::Cancelled)));
    /// let late = group.go(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).await;
    /// assert!(matches!(late, Err(Error::Stopped)));
    /// # }
    /// ```
    pub fn cancel(&self) {
        self.scope.stop_with(Cause::Cancelled);
    }

    /// Whether the group has stopped: a task failed, it was cancelled, or its parent context
    /// was interrupted.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, TaskGroup};
    ///
    /// let group = TaskGroup::new();
    /// assert!(!group.is_stopped());
    /// group
    ///     .go(|_ctx: Context| async { Err::<(), _>(std::io::Error::other("lost")) })
    ///     .await
    ///     .unwrap();
    /// assert!(group.wait().await.is_err());
    /// assert!(group.is_stopped()); // its task failed
    /// # }
    /// ```
    pub fn is_stopped(&self) -> bool {
        self.scope.is_stopped()
    }

    /// The number of tasks accepted and not yet ended.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, TaskGroup};
    /// use tokio::sync::oneshot;
    ///
    /// let (finish, finished) = oneshot::channel::<()>();
    /// let group = TaskGroup::new();
    /// group
    ///     .go(|_ctx: Context| async move {
    ///         finished.await.ok();
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// assert_eq!(group.running(), 1);
    /// finish.send(()).unwrap();
    /// group.wait().await.unwrap();
    /// assert_eq!(group.running(), 0);
    /// # }
    /// ```
    pub fn running(&self) -> usize {
        self.scope.running.load(Ordering::Acquire)
    }

    /// Waits until no task is running, then returns the first failure; else
    /// [`Error::Cancelled`] if the group was stopped; else `Ok(())`.
    ///
    /// It can be called again (after more [`go`](TaskGroup::go)s, say), and dropping it
    /// early changes nothing. Without [`capture_panics`](TaskGroupBuilder::capture_panics),
    /// a task's panic is resumed here.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::time::Duration;
    /// use run::{Context, TaskGroup};
    ///
    /// let group = TaskGroup::new();
    /// group.go(|ctx: Context| async move {
    ///     ctx.interrupted().await;
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .await
    /// .unwrap();
    /// // An overall timeout: stop the group, then wait for its tasks to return.
    /// if tokio::time::timeout(Duration::from_millis(80), group.wait()).await.is_err() {
    ///     group.cancel();
    /// }
    /// assert!(matches!(group.wait().await, Err(run::Error::Cancelled)));
    /// # }
    /// ```
    pub async fn wait(&self) -> Result<(), Error> {
        let scope = &self.scope;
        let mut tasks = loop {
            let idle = scope.idle.notified();
            {
                let mut state = scope.lock();
                if scope.running.load(Ordering::Acquire) == 0 {
                    // Every task in the set has ended its work; joining them makes sure
                    // their tokio tasks are gone too.
                    break mem::take(&mut state.tasks);
                }
            }
            idle.await;
        };
        while tasks.join_next().await.is_some() {}
        scope.result()
    }
}

impl Default for TaskGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TaskGroup {
    fn drop(&mut self) {
        let scope = &self.scope;
        scope.aborted.store(true, Ordering::Release);
        scope.stop_with(Cause::Cancelled);
        // Tasks on a pool end at their next poll; the tokio tasks are aborted (outside the
        // lock: dropping them may run their destructors).
        let tasks = mem::take(&mut scope.lock().tasks);
        drop(tasks);
    }
}

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("path", &self.scope.path)
            .field("running", &self.running())
            .field("stopped", &self.is_stopped())
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

/// Configures a [`TaskGroup`]; see [`TaskGroup::builder`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::sync::{Arc, Mutex};
/// use run::{Context, TaskEvent, TaskGroup};
///
/// let pool = run::Pool::builder().max(2).build().unwrap();
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let sink = log.clone();
/// let group = TaskGroup::builder()
///     .name("jobs")
///     .pool(&pool)
///     .log(move |event: &TaskEvent<'_>| sink.lock().unwrap().push(event.to_string()))
///     .build();
/// group.go_named("one", |_ctx: Context| async { Ok::<_, std::io::Error>(()) }).await.unwrap();
/// group.wait().await.unwrap();
/// assert_eq!(*log.lock().unwrap(), ["task `jobs/one` started", "task `jobs/one` exited: ok"]);
/// # }
/// ```
#[derive(Default)]
pub struct TaskGroupBuilder {
    name: Option<Cow<'static, str>>,
    parent: Option<Context>,
    pool: Option<Pool>,
    propagate_panics: bool,
    log: Option<LogHook>,
}

impl TaskGroupBuilder {
    /// Names the group: task paths start with `name/` (after the parent's path, if any).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, TaskGroup};
    /// use tokio::sync::oneshot;
    ///
    /// let (send, name) = oneshot::channel();
    /// let group = TaskGroup::builder().name("fetch").build();
    /// group
    ///     .go_named("web", |ctx: Context| async move {
    ///         send.send(ctx.name()).unwrap();
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .await
    ///     .unwrap();
    /// group.wait().await.unwrap();
    /// assert_eq!(name.await.unwrap(), "fetch/web");
    /// # }
    /// ```
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Makes the group a child of an actor or task: interrupting `ctx` stops the group, and
    /// task paths start with `ctx`'s path.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Error, Group, TaskGroup};
    /// use tokio::sync::oneshot;
    ///
    /// let (started, start) = oneshot::channel();
    /// let (send, waited) = oneshot::channel();
    /// let mut app = Group::named("app");
    /// app.spawn(move |ctx: Context| async move {
    ///     let tasks = TaskGroup::builder().parent(&ctx).build();
    ///     tasks
    ///         .go_named("sync", move |task: Context| async move {
    ///             started.send(task.name()).unwrap();
    ///             task.interrupted().await; // with its parent
    ///             Ok::<_, std::io::Error>(())
    ///         })
    ///         .await?;
    ///     send.send(tasks.wait().await).unwrap();
    ///     Ok::<_, Error>(())
    /// })
    /// .name("worker");
    /// let (name, named) = oneshot::channel();
    /// // Once the task has started, this actor returns, which stops `app`.
    /// app.spawn(|_ctx: Context| async move {
    ///     name.send(start.await.unwrap()).unwrap();
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// app.run().await.unwrap();
    /// assert_eq!(named.await.unwrap(), "app/worker/sync");
    /// assert!(matches!(waited.await.unwrap(), Err(Error::Cancelled)));
    /// # }
    /// ```
    pub fn parent(mut self, ctx: &Context) -> Self {
        self.parent = Some(ctx.clone());
        self
    }

    /// Runs the tasks on `pool` instead of as tokio tasks of their own: [`TaskGroup::go`]
    /// then waits for a worker. The group keeps the pool alive; the pool may outlive it.
    ///
    /// A task that waits for other tasks of the same bounded pool holds its worker while it
    /// waits: if all workers do, nothing moves. Run such inner tasks off the pool (a child
    /// group without a pool) or size the pool for them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, TaskGroup};
    ///
    /// let pool = run::Pool::builder().max(1).build().unwrap();
    /// let group = TaskGroup::builder().pool(&pool).build();
    /// for _ in 0..3 {
    ///     group.go(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).await.unwrap();
    /// }
    /// group.wait().await.unwrap();
    /// assert_eq!(pool.stats().spawned, 1); // one worker ran all three
    /// # }
    /// ```
    pub fn pool(mut self, pool: &Pool) -> Self {
        self.pool = Some(pool.clone());
        self
    }

    /// Whether a task's panic is returned by [`TaskGroup::wait`] as [`Error::Panic`] (the
    /// default), or resumed on the caller of `wait` (`false`). Either way it stops the
    /// group like an error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, TaskGroup};
    ///
    /// let bug = |_ctx: Context| async { panic!("bug") as Result<(), std::io::Error> };
    ///
    /// let captured = TaskGroup::new();
    /// captured.go(bug).await.unwrap();
    /// assert!(captured.wait().await.unwrap_err().is_panic());
    ///
    /// let resumed = TaskGroup::builder().capture_panics(false).build();
    /// resumed.go(bug).await.unwrap();
    /// let waiter = tokio::spawn(async move { resumed.wait().await });
    /// assert!(waiter.await.unwrap_err().is_panic()); // the panic went on in `wait`
    /// # }
    /// ```
    pub fn capture_panics(mut self, capture: bool) -> Self {
        self.propagate_panics = !capture;
        self
    }

    /// Calls `hook` when a task starts and when it exits, with its name and result. A panic
    /// in the hook counts as a panic of the task.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, TaskEvent, TaskGroup};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let failures = Arc::new(Mutex::new(Vec::new()));
    /// let sink = failures.clone();
    /// let group = TaskGroup::builder()
    ///     .log(move |event: &TaskEvent<'_>| {
    ///         if let TaskEvent::Exited { result: Err(_), .. } = event {
    ///             sink.lock().unwrap().push(event.to_string());
    ///         }
    ///     })
    ///     .build();
    /// group
    ///     .go_named("db", |_ctx: Context| async { Err::<(), _>(std::io::Error::other("gone")) })
    ///     .await
    ///     .unwrap();
    /// group.wait().await.unwrap_err();
    /// assert_eq!(*failures.lock().unwrap(), ["task `db` exited: actor `db` failed: gone"]);
    /// # }
    /// ```
    pub fn log(mut self, hook: impl Fn(&TaskEvent<'_>) + Send + Sync + 'static) -> Self {
        self.log = Some(Arc::new(hook));
        self
    }

    /// Builds the group.
    pub fn build(self) -> TaskGroup {
        let path = match (&self.parent, self.name) {
            (Some(parent), Some(name)) => Some(format!("{}/{name}", parent.name()).into()),
            (Some(parent), None) => Some(parent.name().to_string().into()),
            (None, Some(name)) => Some(Arc::from(&*name)),
            (None, None) => None,
        };
        panic::install_hook();
        TaskGroup {
            scope: Arc::new(Scope {
                path,
                parent: self.parent,
                capture_panics: !self.propagate_panics,
                log: self.log,
                cause: OnceLock::new(),
                failure: OnceLock::new(),
                aborted: AtomicBool::new(false),
                stop: Notify::new(),
                idle: Notify::new(),
                running: AtomicUsize::new(0),
                state: Mutex::new(State {
                    named: 0,
                    tasks: JoinSet::new(),
                }),
            }),
            pool: self.pool,
        }
    }
}

impl fmt::Debug for TaskGroupBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupBuilder")
            .field("name", &self.name)
            .field("parent", &self.parent)
            .field("pool", &self.pool)
            .field("capture_panics", &!self.propagate_panics)
            .field("log", &self.log.is_some())
            .finish()
    }
}

/// What a [`TaskGroup`]'s log hook is told ([`TaskGroupBuilder::log`]).
///
/// Its `Display` is one line: ``task `fetch/web` started``, ``task `fetch/web` exited: ok``,
/// ``task `fetch/web` exited: actor `fetch/web` failed: timeout``.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, TaskEvent, TaskGroup};
/// use std::sync::{Arc, Mutex};
///
/// let lines = Arc::new(Mutex::new(Vec::new()));
/// let sink = lines.clone();
/// let group = TaskGroup::builder()
///     .name("fetch")
///     .log(move |event: &TaskEvent<'_>| sink.lock().unwrap().push(event.to_string()))
///     .build();
/// group
///     .go_named("web", |_ctx: Context| async { Err::<(), _>(std::io::Error::other("timeout")) })
///     .await
///     .unwrap();
/// group.wait().await.unwrap_err();
/// assert_eq!(
///     *lines.lock().unwrap(),
///     ["task `fetch/web` started", "task `fetch/web` exited: actor `fetch/web` failed: timeout"],
/// );
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum TaskEvent<'a> {
    /// A task is about to run.
    Started {
        /// The task's path.
        name: &'a ActorName,
    },
    /// A task returned or panicked.
    Exited {
        /// The task's path.
        name: &'a ActorName,
        /// What it returned; a panic is [`Error::Panic`].
        result: &'a Result<(), Error>,
    },
}

impl TaskEvent<'_> {
    /// The task's path.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, TaskEvent, TaskGroup};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let names = Arc::new(Mutex::new(Vec::new()));
    /// let sink = names.clone();
    /// let group = TaskGroup::builder()
    ///     .name("fetch")
    ///     .log(move |event: &TaskEvent<'_>| sink.lock().unwrap().push(event.name().to_string()))
    ///     .build();
    /// group.go_named("web", |_ctx: Context| async { Ok::<_, std::io::Error>(()) }).await.unwrap();
    /// group.wait().await.unwrap();
    /// assert_eq!(*names.lock().unwrap(), ["fetch/web", "fetch/web"]); // started, exited
    /// # }
    /// ```
    pub fn name(&self) -> &ActorName {
        match self {
            TaskEvent::Started { name } | TaskEvent::Exited { name, .. } => name,
        }
    }
}

impl fmt::Display for TaskEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskEvent::Started { name } => write!(f, "task `{name}` started"),
            TaskEvent::Exited {
                name,
                result: Ok(()),
            } => write!(f, "task `{name}` exited: ok"),
            TaskEvent::Exited {
                name,
                result: Err(error),
            } => write!(f, "task `{name}` exited: {}", error.report()),
        }
    }
}

impl Scope {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; a poisoned lock would still be consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.cause.get().is_some() || self.parent.as_ref().is_some_and(Context::is_interrupted)
    }

    /// Completes once the group stops.
    pub(crate) fn stopped(&self) -> Stopped<'_> {
        Stopped {
            scope: self,
            // Created before any check: a `notify_waiters` after it still wakes it.
            stop: self.stop.notified(),
            // Boxed: a parent may be a task of another group, whose `stopped` this is; the
            // box breaks the cycle in the future's type.
            parent: self
                .parent
                .as_ref()
                .map(|parent| Box::pin(parent.interrupted()) as Pin<Box<_>>),
        }
    }

    pub(crate) fn cause(&self) -> Option<&Cause> {
        if let Some(cause) = self.cause.get() {
            return Some(cause);
        }
        if self.parent.as_ref().is_some_and(Context::is_interrupted) {
            return Some(self.cause.get_or_init(|| Cause::Cancelled));
        }
        None
    }

    fn stop_with(&self, cause: Cause) {
        let _ = self.cause.set(cause);
        // Also when the cause was set already: the group may be being dropped (`aborted`).
        self.stop.notify_waiters();
    }

    async fn aborted(&self) {
        loop {
            let stop = self.stop.notified();
            if self.aborted.load(Ordering::Acquire) {
                return;
            }
            stop.await;
        }
    }

    fn log(&self, event: TaskEvent<'_>) -> Result<(), Error> {
        match &self.log {
            Some(hook) => panic::catch(|| hook(&event))
                .map_err(|panicked| panicked.into_error(event.name().clone())),
            None => Ok(()),
        }
    }

    /// Records a task's end: logs it, and a failure stops the group.
    fn exited(&self, name: &ActorName, result: Result<(), Error>) {
        let logged = self.log(TaskEvent::Exited {
            name,
            result: &result,
        });
        let result = result.and(logged);
        if let Err(error) = result {
            let _ = self.failure.set(error.clone());
            self.stop_with(Cause::Exit {
                actor: name.clone(),
                result: Err(error),
            });
        }
    }

    fn result(&self) -> Result<(), Error> {
        if let Some(failure) = self.failure.get() {
            if !self.capture_panics {
                if let Ok(payload) = failure.clone().try_into_panic() {
                    std::panic::resume_unwind(payload);
                }
            }
            return Err(failure.clone());
        }
        if self.is_stopped() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Scope::stopped`]: a named type, so that whether it is `Send` does
    /// not depend on [`Context::interrupted`], which awaits it.
    pub(crate) struct Stopped<'a> {
        scope: &'a Scope,
        #[pin]
        stop: Notified<'a>,
        parent: Option<Pin<Box<dyn Future<Output = ()> + Send + 'a>>>,
    }
}

impl Future for Stopped<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let mut this = self.project();
        loop {
            if this.scope.cause.get().is_some() {
                return Poll::Ready(());
            }
            if this.stop.as_mut().poll(cx).is_pending() {
                break;
            }
            // Woken: re-arm before checking again, so no wake-up is lost.
            this.stop.set(this.scope.stop.notified());
        }
        match this.parent {
            Some(parent) => parent.as_mut().poll(cx),
            None => Poll::Pending,
        }
    }
}

/// A task accepted by its group: counts as running until dropped, whether it ran or not.
struct Task {
    scope: Arc<Scope>,
    name: ActorName,
}

impl Task {
    fn accept(scope: &Arc<Scope>, state: &mut State, name: Cow<'static, str>) -> Self {
        let leaf = Leaf::new(name, state.named);
        state.named += 1;
        scope.running.fetch_add(1, Ordering::AcqRel);
        Self {
            scope: Arc::clone(scope),
            name: ActorName::new(scope.path.clone(), leaf),
        }
    }

    async fn run<R: Runner>(self, runner: R) {
        let scope = &*self.scope;
        if scope.is_stopped() {
            return;
        }
        let name = &self.name;
        if let Err(panicked) = scope.log(TaskEvent::Started { name }) {
            scope.exited(name, Err(panicked));
            return;
        }
        let ctx = Context::task(Arc::clone(&self.scope), name.clone());
        let mut execute = pin!(CatchUnwind::new(async move { runner.run(ctx).await }));
        let mut aborted = pin!(scope.aborted());
        let outcome = poll_fn(|cx| match execute.as_mut().poll(cx) {
            Poll::Ready(outcome) => Poll::Ready(Some(outcome)),
            Poll::Pending => aborted.as_mut().poll(cx).map(|()| None),
        })
        .await;
        let result = match outcome {
            // The group was dropped: nobody is left to tell.
            None => return,
            Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(error))) => Err(Error::from_actor(|| name.clone(), error.into())),
            Some(Err(panicked)) => Err(panicked.into_error(name.clone())),
        };
        scope.exited(name, result);
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if self.scope.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.scope.idle.notify_waiters();
        }
    }
}
