//! The task group: errgroup's face on the core, for [`Runner`]s, on tokio tasks or on a
//! [`Pool`].
//!
//! Its tasks are the dynamic members of one core scope without a run loop: the scope's rules
//! ([first cause, exactly once, push down, nothing lost](crate::core::scope)) are its rules.
//! Here, on top:
//! - a task runs only if the group has not stopped when it starts: [`TaskGroup::go`] on a
//!   stopped group returns [`Error::Stopped`] and drops the runner unrun, and a task that was
//!   accepted but starts after the stop is skipped;
//! - every task is a [`Task`](crate::ExitPolicy::Task): `Ok` just finishes it, a failure stops the
//!   group;
//! - [`TaskGroup::wait`] returns once no task (nor a task's async interrupt) is running and
//!   every tokio task has ended;
//! - without [`capture_panics`](TaskGroupBuilder::capture_panics) a panic is resumed on the
//!   caller of [`wait`](TaskGroup::wait) instead of returned;
//! - dropping the group stops it and aborts its tasks, on tokio tasks or on the pool: none
//!   outlives it. The pool itself lives on.

use std::{
    borrow::Cow,
    fmt,
    future::{Future, poll_fn},
    mem,
    pin::pin,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    task::Poll,
};

use tokio::{runtime::Handle, task::JoinSet};

use crate::{
    context::Context,
    core::{
        cause::Cause,
        event::{Event, Hook},
        member,
        scope::{Member, Scope, ScopeConfig},
    },
    error::Error,
    panic,
    pool::Pool,
    runner::Runner,
};

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
/// let group = TaskGroup::builder().name("fetch").build().unwrap();
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
/// The group stops once, at its first failure, at
/// [`cancel`](TaskGroup::cancel), or when its parent context ([`TaskGroupBuilder::parent`])
/// is interrupted; every task is then interrupted once, with that first event as its
/// [`Cause`]; [`wait`](TaskGroup::wait) returns that first failure with every later one kept
/// on it ([`Error::Shutdown`]), else [`Error::Cancelled`] if the group stopped, else `Ok(())`.
pub struct TaskGroup {
    scope: Arc<Scope>,
    pool: Option<Pool>,
    capture_panics: bool,
    /// The tokio tasks, when not on a pool.
    tasks: Mutex<JoinSet<()>>,
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
        Self::builder().make()
    }

    /// A builder, to set a name, a parent context, a pool, panic handling and a log hook.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let group = run::TaskGroup::builder().name("fetch").capture_panics(true).build().unwrap();
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
    /// use run::{Context, Event, TaskGroup};
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
    ///     .hook(move |event: &Event<'_>| {
    ///         if let Event::Started { actor } = event {
    ///             sink.lock().unwrap().push(actor.to_string());
    ///         }
    ///     })
    ///     .build()
    ///     .unwrap();
    /// group.go(fetch).await.unwrap(); // named after the fn
    /// group.go(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).await.unwrap(); // numbered
    /// group.wait().await.unwrap();
    ///
    /// let mut names = names.lock().unwrap().clone();
    /// names.sort();
    /// assert_eq!(names, ["crawl/actor-1", "crawl/fetch"]);
    /// # }
    /// ```
    // An explicit `Send` future rather than an `async fn`: callers inside actors then need
    // no proof of `Send` for every lifetime (tests/seeds_pattern.rs).
    #[allow(clippy::manual_async_fn)]
    pub fn go<R: Runner>(&self, runner: R) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        async move {
            let name = runner.name();
            self.go_named(name, runner).await
        }
    }

    /// [`go`](TaskGroup::go), naming the task `name`.
    pub fn go_named<R: Runner>(
        &self,
        name: impl Into<Cow<'static, str>>,
        runner: R,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        let name: Cow<'static, str> = name.into();
        async move {
            let scope = &self.scope;
            if scope.is_stopped() {
                return Err(Error::Stopped);
            }
            let Some(pool) = &self.pool else {
                if Handle::try_current().is_err() {
                    return Err(Error::NoRuntime);
                }
                let mut tasks = self.lock_tasks();
                // Forget the tasks that ended, so a long-lived group does not grow.
                while tasks.try_join_next().is_some() {}
                let task = Task::accept(scope, name);
                tasks.spawn(task.run(runner));
                return Ok(());
            };
            let task = Task::accept(scope, name);
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
    }

    fn lock_tasks(&self) -> MutexGuard<'_, JoinSet<()>> {
        // Nothing panics while holding the lock; a poisoned lock would still be consistent.
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner)
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
        self.scope.stop(Cause::Cancelled);
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
        self.scope.dynamic_running()
    }

    /// Waits until no task is running, then returns the first failure, with every later one
    /// kept on it ([`Error::Shutdown`]); else [`Error::Cancelled`] if the group was stopped;
    /// else `Ok(())`.
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
    // An explicit `Send` future rather than an `async fn`: callers inside actors then need
    // no proof of `Send` for every lifetime (tests/seeds_pattern.rs).
    #[allow(clippy::manual_async_fn)]
    pub fn wait(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        async move {
            let scope = &self.scope;
            let mut tasks = loop {
                let idle = scope.idle_notified();
                if scope.dynamic_running() == 0 {
                    // Every task in the set has ended its work; joining them makes sure their
                    // tokio tasks are gone too.
                    break mem::take(&mut *self.lock_tasks());
                }
                idle.await;
            };
            while tasks.join_next().await.is_some() {}
            for task in scope
                .take_interrupt_tasks()
                .into_iter()
                .chain(scope.take_child_tasks())
            {
                let _ = task.await;
            }
            let result = scope.result();
            if !self.capture_panics {
                if let Err(error) = &result {
                    if error.is_panic() {
                        if let Ok(payload) = error.clone().try_into_panic() {
                            std::panic::resume_unwind(payload);
                        }
                    }
                }
            }
            result
        }
    }
}

impl Default for TaskGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TaskGroup {
    fn drop(&mut self) {
        self.scope.abort();
        // Tasks on a pool end at their next poll; the tokio tasks are aborted (outside the
        // lock: dropping them may run their destructors).
        let tasks = mem::take(&mut *self.lock_tasks());
        drop(tasks);
    }
}

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("path", &self.scope.path())
            .field("running", &self.running())
            .field("stopped", &self.is_stopped())
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

/// Configures a [`TaskGroup`]; see [`TaskGroup::builder`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), run::Error> {
/// use std::sync::{Arc, Mutex};
/// use run::{Context, Event, TaskGroup};
///
/// let pool = run::Pool::builder().max(2).build().unwrap();
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let sink = log.clone();
/// let group = TaskGroup::builder()
///     .name("jobs")
///     .pool(&pool)
///     .hook(move |event: &Event<'_>| sink.lock().unwrap().push(event.to_string()))
///     .build()?;
/// group.go_named("one", |_ctx: Context| async { Ok::<_, std::io::Error>(()) }).await?;
/// group.wait().await?;
/// let log = log.lock().unwrap();
/// assert_eq!(log[0], "jobs/one started");
/// assert!(log[1].starts_with("jobs/one exited after "));
/// # Ok(())
/// # }
/// ```
#[derive(Default)]
pub struct TaskGroupBuilder {
    name: Option<Cow<'static, str>>,
    parent: Option<Context>,
    pool: Option<Pool>,
    propagate_panics: bool,
    hook: Option<Hook>,
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
    /// let group = TaskGroup::builder().name("fetch").build().unwrap();
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
    ///     let tasks = TaskGroup::builder().parent(&ctx).build().unwrap();
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
    /// let group = TaskGroup::builder().pool(&pool).build().unwrap();
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
    /// let resumed = TaskGroup::builder().capture_panics(false).build().unwrap();
    /// resumed.go(bug).await.unwrap();
    /// let waiter = tokio::spawn(async move { resumed.wait().await });
    /// assert!(waiter.await.unwrap_err().is_panic()); // the panic went on in `wait`
    /// # }
    /// ```
    pub fn capture_panics(mut self, capture: bool) -> Self {
        self.propagate_panics = !capture;
        self
    }

    /// Calls `hook` with every [`Event`] of the group's tasks: each task's start, its
    /// interrupt, its exit with its result, the same events and texts as a
    /// [`Group`](crate::Group)'s. A group made under a parent context without a hook of its
    /// own reports to its parent's.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Event, TaskGroup};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let failures = Arc::new(Mutex::new(Vec::new()));
    /// let sink = failures.clone();
    /// let group = TaskGroup::builder()
    ///     .hook(move |event: &Event<'_>| {
    ///         if let Event::Exited { actor, result: Err(error), .. } = event {
    ///             sink.lock().unwrap().push(format!("{actor}: {}", error.report()));
    ///         }
    ///     })
    ///     .build()
    ///     .unwrap();
    /// group
    ///     .go_named("db", |_ctx: Context| async { Err::<(), _>(std::io::Error::other("gone")) })
    ///     .await
    ///     .unwrap();
    /// group.wait().await.unwrap_err();
    /// assert_eq!(*failures.lock().unwrap(), ["db: actor `db` failed: gone"]);
    /// # }
    /// ```
    pub fn hook(mut self, hook: impl Fn(&Event<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Builds the group. Fails with [`Error::Closed`] if its [pool](TaskGroupBuilder::pool)
    /// is closed already: no task could ever run.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Error, Pool, TaskGroup};
    ///
    /// let pool = Pool::builder().max(1).build().unwrap();
    /// pool.close().await.unwrap();
    /// assert!(matches!(TaskGroup::builder().pool(&pool).build(), Err(Error::Closed)));
    /// # }
    /// ```
    pub fn build(self) -> Result<TaskGroup, Error> {
        if self.pool.as_ref().is_some_and(Pool::is_closed) {
            return Err(Error::Closed);
        }
        Ok(self.make())
    }

    fn make(self) -> TaskGroup {
        let path = match (&self.parent, self.name) {
            (Some(parent), Some(name)) => Some(format!("{}/{name}", parent.name()).into()),
            (Some(parent), None) => Some(parent.name().to_string().into()),
            (None, Some(name)) => Some(Arc::from(&*name)),
            (None, None) => None,
        };
        panic::install_hook();
        TaskGroup {
            scope: Scope::new(ScopeConfig {
                path,
                hook: self.hook,
                parent: self.parent.as_ref().map(|ctx| ctx.member().clone()),
                slots: Box::new([]),
                quiet: Box::new([]),
                stage_count: 1,
                run_loop: false,
                extension: None,
                deadlines: Default::default(),
                incarnation: false,
            }),
            pool: self.pool,
            capture_panics: !self.propagate_panics,
            tasks: Mutex::new(JoinSet::new()),
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
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

/// A task accepted by its group: a dynamic member of the group's scope, counted as running
/// until dropped, whether it ran or not.
struct Task {
    scope: Arc<Scope>,
    index: u32,
}

impl Task {
    fn accept(scope: &Arc<Scope>, name: Cow<'static, str>) -> Self {
        Self {
            scope: Arc::clone(scope),
            index: scope.add_dynamic(name),
        }
    }

    async fn run<R: Runner>(self, mut runner: R) {
        let scope = &*self.scope;
        let interrupt = runner.interrupt();
        let abortable = interrupt.aborts();
        if !scope.start_dynamic(self.index, interrupt.into_call()) {
            return;
        }
        let member = Member {
            scope: Arc::clone(&self.scope),
            index: self.index,
        };
        let execute = runner.run(Context::new(member.clone()));
        let mut task = pin!(member::future(execute, member, abortable));
        let mut aborted = pin!(scope.aborted());
        // The group was dropped: nobody is left to tell.
        poll_fn(|cx| match task.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(()),
            Poll::Pending => aborted.as_mut().poll(cx),
        })
        .await;
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        self.scope.remove_dynamic(self.index);
    }
}
