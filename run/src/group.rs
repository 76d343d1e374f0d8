//! The group: oklog/run's semantics on tokio tasks, with stages and shutdown timeouts.
//!
//! Invariants of [`Group::run`]:
//! - every actor starts as its own tokio task, in add order;
//! - the group stops at the first exit its [`ExitPolicy`] says stops it, when it is stopped
//!   from outside (its [`Context`] is interrupted, or the future given to
//!   [`Group::run_until`] completes), or when every actor whose exit counts has finished; that
//!   first event is the [`Cause`], set once;
//! - then every actor is interrupted exactly once, all with that same cause: stage by stage
//!   in ascending [`stage`](ActorOptions::stage) order, each stage in add order, the next
//!   stage only once every actor of the stage before has returned or timed out;
//! - interrupts never wait for an actor: a [`Call`](Interrupt::Call) runs in place (it must
//!   not block), an [`Interrupt::call_async`] runs as a task of its own, so a slow interrupt
//!   delays no other;
//! - an actor still running when its [timeout](ActorOptions::timeout) (counted from its
//!   interrupt) or the group's [shutdown timeout](Group::shutdown_timeout) (counted from the
//!   first interrupt) runs out is aborted, and `run` returns [`Error::ShutdownTimeout`] naming
//!   every such actor; past the group's timeout, stages not reached yet are interrupted and
//!   aborted at once;
//! - `run` returns only once every actor's task has ended, with [`Cause::result`]; if that is
//!   `Ok` but an actor or interrupt panicked meanwhile, with that panic instead;
//! - a panic in an execute or an interrupt is caught and becomes [`Error::Panic`]; it never
//!   stops the delivery of the other interrupts;
//! - a forced shutdown (a second signal, see [`Signals`](crate::Signals)) aborts every actor
//!   still running at once, without interrupting the stages not reached yet;
//! - dropping the `run` future calls every interrupt not yet delivered (cause
//!   [`Cause::Cancelled`]; async interrupts are not started) and aborts every task: no task
//!   outlives it.

use std::{
    borrow::Cow,
    fmt,
    future::{poll_fn, Future},
    pin::{pin, Pin},
    sync::Arc,
    task::Poll,
    time::Duration,
};

use tokio::{runtime::Handle, task::JoinHandle, time::Instant};

use crate::{
    actor,
    event::Hook,
    name::{type_leaf, Leaf},
    panic::{self, CatchUnwind},
    state::{Shared, Slot},
    BoxError, Cause, Context, Error, Event, ExitPolicy, Interrupt, Runner,
};

type Launch = Box<dyn FnOnce(Context, bool) -> JoinHandle<()> + Send + 'static>;
type StopFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The stage of actors not given one.
const DEFAULT_STAGE: u32 = 1;

/// An actor added and not yet run. Kept small, since a group holds one per actor: the
/// interrupts that call something and the timeouts, which most actors lack, are kept apart.
struct Actor {
    launch: Launch,
    name: Cow<'static, str>,
    policy: ExitPolicy,
    stage: u32,
    abortable: bool,
}

/// A set of actors that start together and stop together.
///
/// An actor is an *execute* (a future, or a [`Runner`] given a [`Context`]) plus an
/// *interrupt* ([`Interrupt`]). [`run`](Group::run) starts them all, waits for the first to
/// exit, interrupts every actor once in the order they were added, waits for all of them, and
/// returns the first one's result.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, Group};
/// use std::sync::{Arc, Mutex};
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let mut group = Group::new();
///
/// let (l1, l2) = (log.clone(), log.clone());
/// group.add(
///     async { Err::<(), _>(std::io::Error::other("failed")) },
///     move |cause| l1.lock().unwrap().push(format!("interrupt 0: {}", cause.actor().unwrap())),
/// );
/// group.spawn(move |ctx: Context| async move {
///     ctx.interrupted().await;
///     l2.lock().unwrap().push("server stopped".to_string());
///     Ok::<_, std::io::Error>(())
/// })
/// .name("server");
///
/// let err = group.run().await.unwrap_err();
/// assert_eq!(err.report().to_string(), "actor `actor-0` failed: failed");
/// assert_eq!(*log.lock().unwrap(), ["interrupt 0: actor-0", "server stopped"]);
/// # }
/// ```
#[derive(Default)]
pub struct Group {
    name: Option<Cow<'static, str>>,
    parent: Option<Context>,
    stop: Option<StopFuture>,
    actors: Vec<Actor>,
    /// The [`Call`](Interrupt::Call) and [`CallAsync`](Interrupt::CallAsync) interrupts, by
    /// actor index, in index order.
    calls: Vec<(usize, Interrupt)>,
    /// The actors' own timeouts, by actor index, in index order.
    timeouts: Vec<(usize, Duration)>,
    shutdown_timeout: Option<Duration>,
    hook: Option<Hook>,
}

impl Group {
    /// An empty group; its actors' paths start with their own names.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    /// use tokio::sync::oneshot;
    ///
    /// let (send, name) = oneshot::channel();
    /// let mut group = Group::new();
    /// group
    ///     .spawn(|ctx: Context| async move {
    ///         send.send(ctx.name()).unwrap();
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .name("worker");
    /// group.run().await.unwrap();
    /// assert_eq!(name.await.unwrap(), "worker");
    /// # }
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty group whose actors' paths start with `name/`. Inside another group, the
    /// group's actor name is its path instead.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    /// use tokio::sync::oneshot;
    ///
    /// let (send, name) = oneshot::channel();
    /// let mut db = Group::named("db");
    /// db.spawn(|ctx: Context| async move {
    ///     send.send(ctx.name()).unwrap();
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .name("pool");
    /// let mut app = Group::named("app");
    /// app.spawn(db); // its actor name, `db`, comes from `named`
    /// app.run().await.unwrap();
    /// assert_eq!(name.await.unwrap(), "app/db/pool");
    /// # }
    /// ```
    pub fn named(name: impl Into<Cow<'static, str>>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    pub(crate) fn child_of(parent: Context) -> Self {
        Self {
            parent: Some(parent),
            ..Self::default()
        }
    }

    /// The number of actors added.
    ///
    /// ```
    /// use run::{Context, Group};
    ///
    /// let mut group = Group::new();
    /// assert_eq!(group.len(), 0);
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    /// group.add(async { Ok::<_, std::io::Error>(()) }, |_cause| {});
    /// assert_eq!(group.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.actors.len()
    }

    /// Whether no actor was added.
    ///
    /// ```
    /// use run::{Context, Group};
    ///
    /// let mut group = Group::new();
    /// assert!(group.is_empty());
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    /// assert!(!group.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
    }

    /// Adds a [`Runner`], interrupted through its [`Context`]; named after
    /// [`Runner::name`].
    ///
    /// ```
    /// use run::{Context, Group, Runner};
    ///
    /// struct Cache;
    ///
    /// impl Runner for Cache {
    ///     type Error = std::io::Error;
    ///
    ///     async fn run(self, ctx: Context) -> Result<(), Self::Error> {
    ///         assert_eq!(ctx.name(), "Cache"); // named after its type
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut group = Group::new();
    /// group.spawn(Cache);
    /// group.run().await.unwrap();
    /// # }
    /// ```
    pub fn spawn<R: Runner>(&mut self, runner: R) -> ActorOptions<'_> {
        let name = runner.name();
        self.push(
            name,
            Interrupt::Context,
            Box::new(move |ctx: Context, abortable| {
                let execute = runner.run(ctx.clone());
                actor::spawn(execute, ctx, abortable)
            }),
        )
    }

    /// Adds an actor the oklog/run way: `execute` runs until done, `interrupt` is called with
    /// the cause when the group stops and must make `execute` return.
    pub fn add<F, E, I>(&mut self, execute: F, interrupt: I) -> ActorOptions<'_>
    where
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError> + 'static,
        I: FnOnce(&Cause) + Send + 'static,
    {
        self.push(
            Cow::Borrowed(type_leaf::<F>()),
            Interrupt::call(interrupt),
            Box::new(move |ctx: Context, abortable| actor::spawn(execute, ctx, abortable)),
        )
    }

    fn push(
        &mut self,
        name: Cow<'static, str>,
        interrupt: Interrupt,
        launch: Launch,
    ) -> ActorOptions<'_> {
        self.actors.push(Actor {
            launch,
            name,
            policy: ExitPolicy::default(),
            stage: DEFAULT_STAGE,
            abortable: false,
        });
        ActorOptions { group: self }.interrupt(interrupt)
    }

    /// Gives the whole shutdown at most `grace`, counted from the first interrupt: past it,
    /// every actor still running is aborted and [`run`](Group::run) returns
    /// [`Error::ShutdownTimeout`] naming them, with the original cause as its source.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Error, Group};
    /// use std::time::Duration;
    ///
    /// let mut group = Group::new();
    /// group.spawn(|_ctx: Context| std::future::pending::<Result<(), std::io::Error>>())
    ///     .name("stuck");
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).name("done");
    /// group.shutdown_timeout(Duration::from_secs(5));
    ///
    /// let err = group.run().await.unwrap_err();
    /// assert_eq!(err.to_string(), "shutdown timed out; still running: stuck");
    /// # }
    /// ```
    pub fn shutdown_timeout(&mut self, grace: Duration) -> &mut Self {
        self.shutdown_timeout = Some(grace);
        self
    }

    /// Calls `hook` with every [`Event`] of this group's actors, and of nested groups that have
    /// no hook of their own; see [`Event`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Event, Group};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let failures = Arc::new(Mutex::new(Vec::new()));
    /// let mut db = Group::new(); // no hook of its own: reports to its parent's
    /// db.spawn(|_ctx: Context| async { Err::<(), _>(std::io::Error::other("disk full")) })
    ///     .name("writer");
    /// let mut app = Group::named("app");
    /// let log = failures.clone();
    /// app.hook(move |event: &Event<'_>| {
    ///     if let Event::Exited { actor, result: Err(error), .. } = event {
    ///         log.lock().unwrap().push(format!("{actor}: {error}"));
    ///     }
    /// });
    /// app.spawn(db).name("db");
    /// app.run().await.unwrap_err();
    /// assert_eq!(
    ///     *failures.lock().unwrap(),
    ///     ["app/db/writer: actor `app/db/writer` failed", "app/db: actor `app/db/writer` failed"],
    /// );
    /// # }
    /// ```
    pub fn hook(&mut self, hook: impl Fn(&Event<'_>) + Send + Sync + 'static) -> &mut Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    fn path(&self) -> Option<Arc<str>> {
        match &self.parent {
            Some(parent) => Some(parent.name().to_string().into()),
            None => self.name.as_deref().map(Arc::from),
        }
    }

    /// Runs every actor until the group stops, then returns the first exit's result; see the
    /// [module invariants](crate#invariants).
    ///
    /// With no actors, returns `Ok(())` at once. Outside a tokio runtime, returns
    /// [`Error::NoRuntime`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    ///
    /// let mut group = Group::new();
    /// group
    ///     .spawn(|ctx: Context| async move {
    ///         ctx.interrupted().await;
    ///         Ok::<_, std::io::Error>(())
    ///     })
    ///     .name("server");
    /// group
    ///     .spawn(|_ctx: Context| async { Err::<(), _>(std::io::Error::other("bad request")) })
    ///     .name("client");
    /// let err = group.run().await.unwrap_err();
    /// assert_eq!(err.actor().unwrap(), "client"); // the first exit's result
    ///
    /// assert!(Group::new().run().await.is_ok()); // no actors
    /// # }
    /// ```
    pub async fn run(self) -> Result<(), Error> {
        if self.actors.is_empty() {
            return Ok(());
        }
        if Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        panic::install_hook();
        let path = self.path();
        let Group {
            parent,
            stop,
            actors,
            calls,
            timeouts,
            shutdown_timeout,
            hook,
            ..
        } = self;
        let hook = hook.or_else(|| {
            let (parent, _) = parent.as_ref()?.slot()?;
            parent.hook().cloned()
        });

        let stages = stage_order(&actors);
        let count = actors.len();
        let mut actors = actors;
        let mut slots = Vec::with_capacity(count);
        for (index, actor) in actors.iter_mut().enumerate() {
            let stage = stages.binary_search(&actor.stage).unwrap_or_default();
            let leaf = Leaf::new(std::mem::take(&mut actor.name), index);
            #[cfg(feature = "tracing")]
            let span = {
                let name = crate::ActorName::new(path.clone(), leaf.clone());
                tracing::info_span!("actor", actor = %name)
            };
            #[allow(unused_mut)]
            let mut slot = Slot::new(leaf, actor.policy, stage);
            #[cfg(feature = "tracing")]
            {
                slot.span = span;
            }
            slots.push(slot);
        }
        let calls = calls
            .into_iter()
            .map(|(index, interrupt)| (index, Some(interrupt)))
            .collect();
        let timeouts = timeouts
            .into_iter()
            .map(|(index, timeout)| Timed {
                index,
                timeout,
                deadline: None,
            })
            .collect();
        let shared = Arc::new(Shared::new(
            path,
            slots.into_boxed_slice(),
            stages.len(),
            hook,
        ));
        let mut running = Running {
            shared: Arc::clone(&shared),
            handles: Vec::with_capacity(count),
            calls,
            timeouts,
            interrupt_tasks: Vec::new(),
            finished: false,
        };
        for (index, actor) in actors.into_iter().enumerate() {
            let ctx = Context::new(Arc::clone(&shared), index);
            running.handles.push((actor.launch)(ctx, actor.abortable));
        }

        wait_for_stop(&shared, parent.as_ref(), stop).await;
        let result = running.shut_down(stages.len(), shutdown_timeout).await;
        for handle in &mut running.handles {
            // A task only fails to join when it was aborted or the runtime is shutting down:
            // both are accounted for already.
            let _ = handle.await;
        }
        for (_, handle) in &mut running.interrupt_tasks {
            let _ = handle.await;
        }
        running.finished = true;
        result
    }

    /// [`run`](Group::run), also stopping when `stop` completes, as when the group's
    /// [`Context`] is interrupted: the cause is [`Cause::Cancelled`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Error, Group};
    /// use tokio::sync::oneshot;
    ///
    /// let (stop, stopped) = oneshot::channel::<()>();
    /// let mut group = Group::new();
    /// group.spawn(|ctx: Context| async move {
    ///     ctx.interrupted().await;
    ///     Ok::<_, std::io::Error>(())
    /// });
    /// stop.send(()).unwrap();
    /// let result = group.run_until(async { stopped.await.ok(); }).await;
    /// assert!(matches!(result, Err(Error::Cancelled)));
    /// # }
    /// ```
    pub async fn run_until(
        mut self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        self.stop = Some(Box::pin(stop));
        self.run().await
    }
}

/// The distinct stages of `actors`, ascending; the common case of a single stage costs no
/// list of every actor's stage.
fn stage_order(actors: &[Actor]) -> Vec<u32> {
    let first = actors.first().map_or(DEFAULT_STAGE, |actor| actor.stage);
    if actors.iter().all(|actor| actor.stage == first) {
        return vec![first];
    }
    let mut stages: Vec<u32> = actors.iter().map(|actor| actor.stage).collect();
    stages.sort_unstable();
    stages.dedup();
    stages
}

/// Waits until the group must stop: on its own, or from outside (then the cause is
/// `Cancelled`).
async fn wait_for_stop(shared: &Shared, parent: Option<&Context>, stop: Option<StopFuture>) {
    let mut parent = pin!(parent.map(Context::interrupted));
    let mut stop = stop;
    loop {
        if shared.stop_requested() {
            return;
        }
        let mut woken = pin!(shared.woken());
        let outside = poll_fn(|cx| {
            if woken.as_mut().poll(cx).is_ready() {
                return Poll::Ready(false);
            }
            if let Some(parent) = parent.as_mut().as_pin_mut() {
                if parent.poll(cx).is_ready() {
                    return Poll::Ready(true);
                }
            }
            if let Some(stop) = &mut stop {
                if stop.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(true);
                }
            }
            Poll::Pending
        })
        .await;
        if outside {
            shared.settle_cause(Cause::Cancelled);
            return;
        }
    }
}

impl Runner for Group {
    type Error = Error;

    /// Runs the group as an actor of another group: its path is the actor's name, and
    /// interrupting `ctx` cancels it.
    fn run(mut self, ctx: Context) -> impl Future<Output = Result<(), Error>> + Send {
        self.parent = Some(ctx);
        Group::run(self)
    }

    /// The name given to [`Group::named`], else `group`.
    fn name(&self) -> Cow<'static, str> {
        self.name.clone().unwrap_or(Cow::Borrowed("group"))
    }
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("name", &self.name)
            .field("actors", &self.actors.len())
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

/// Options of the actor just added; see [`Group::spawn`] and [`Group::add`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use run::{Context, ExitPolicy, Group, Interrupt};
/// use std::time::Duration;
///
/// let mut group = Group::new();
/// group
///     .spawn(|_ctx: Context| std::future::pending::<Result<(), std::io::Error>>())
///     .name("ticker")
///     .exit(ExitPolicy::Sidecar)
///     .interrupt(Interrupt::Abort)
///     .stage(2)
///     .timeout(Duration::from_secs(5));
/// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).name("main");
/// assert!(group.run().await.is_ok());
/// # }
/// ```
pub struct ActorOptions<'g> {
    /// The group; the actor is its last.
    group: &'g mut Group,
}

impl ActorOptions<'_> {
    fn actor(&mut self) -> &mut Actor {
        self.group
            .actors
            .last_mut()
            .expect("options exist only for an actor just added")
    }

    fn index(&self) -> usize {
        self.group.actors.len() - 1
    }

    /// Sets the entry of this actor in a table kept by actor index, where it can only be last.
    fn set_last<T>(table: &mut Vec<(usize, T)>, index: usize, value: Option<T>) {
        if table.last().is_some_and(|(of, _)| *of == index) {
            table.pop();
        }
        if let Some(value) = value {
            table.push((index, value));
        }
    }

    /// Names the actor (the last segment of its path). An empty name numbers it, as an
    /// actor without a name: `actor-N`, N its position in add order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let names = Arc::new(Mutex::new(Vec::new()));
    /// let mut group = Group::named("app");
    /// for name in ["cache", ""] {
    ///     let names = names.clone();
    ///     group
    ///         .spawn(move |ctx: Context| async move {
    ///             names.lock().unwrap().push(ctx.name().to_string());
    ///             Ok::<_, std::io::Error>(())
    ///         })
    ///         .name(name);
    /// }
    /// group.run().await.unwrap();
    /// let mut names = names.lock().unwrap().clone();
    /// names.sort();
    /// assert_eq!(names, ["app/actor-1", "app/cache"]);
    /// # }
    /// ```
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.actor().name = name.into();
        self
    }

    /// Sets what the actor's exit does to the group; default [`ExitPolicy::Service`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, ExitPolicy, Group};
    ///
    /// let mut group = Group::new();
    /// group
    ///     .spawn(|_ctx: Context| async { Err::<(), _>(std::io::Error::other("metrics down")) })
    ///     .exit(ExitPolicy::Sidecar); // its error does not stop the group
    /// group
    ///     .spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) })
    ///     .exit(ExitPolicy::Task); // its `Ok` does not either: it is just done
    /// assert!(group.run().await.is_ok()); // every task done, the sidecar's error not returned
    /// # }
    /// ```
    pub fn exit(mut self, policy: ExitPolicy) -> Self {
        self.actor().policy = policy;
        self
    }

    /// Sets how the actor is interrupted; see [`Interrupt`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group, Interrupt};
    ///
    /// let mut group = Group::new();
    /// group
    ///     .spawn(|_ctx: Context| std::future::pending::<Result<(), std::io::Error>>())
    ///     .interrupt(Interrupt::Abort); // it never watches its Context: drop it instead
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    /// assert!(group.run().await.is_ok());
    /// # }
    /// ```
    pub fn interrupt(mut self, interrupt: Interrupt) -> Self {
        let index = self.index();
        self.actor().abortable = matches!(interrupt, Interrupt::Abort);
        let call = matches!(interrupt, Interrupt::Call(_) | Interrupt::CallAsync(_));
        Self::set_last(&mut self.group.calls, index, call.then_some(interrupt));
        self
    }

    /// Puts the actor in shutdown stage `stage` (default 1): stages are interrupted in
    /// ascending order, each once every actor of the one before has returned or timed out.
    /// Stage 0 goes before the default stage, higher stages after it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let mut group = Group::new();
    /// for (name, stage) in [("flusher", 2), ("http", 1), ("deregister", 0)] {
    ///     let log = log.clone();
    ///     group
    ///         .spawn(move |ctx: Context| async move {
    ///             ctx.interrupted().await;
    ///             log.lock().unwrap().push(name);
    ///             Ok::<_, std::io::Error>(())
    ///         })
    ///         .stage(stage);
    /// }
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
    /// group.run().await.unwrap();
    /// assert_eq!(*log.lock().unwrap(), ["deregister", "http", "flusher"]);
    /// # }
    /// ```
    pub fn stage(mut self, stage: u32) -> Self {
        self.actor().stage = stage;
        self
    }

    /// Gives the actor at most `grace` to return once interrupted; past it, it is aborted and
    /// named in [`Error::ShutdownTimeout`]. The group's
    /// [shutdown timeout](Group::shutdown_timeout) still applies as well.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Group};
    /// use std::time::Duration;
    /// use tokio::time::Instant;
    ///
    /// let mut group = Group::new();
    /// group
    ///     .spawn(|_ctx: Context| std::future::pending::<Result<(), std::io::Error>>())
    ///     .name("stuck")
    ///     .timeout(Duration::from_secs(2));
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).name("done");
    ///
    /// let start = Instant::now();
    /// let err = group.run().await.unwrap_err();
    /// assert_eq!(err.to_string(), "shutdown timed out; still running: stuck");
    /// assert_eq!(start.elapsed(), Duration::from_secs(2));
    /// # }
    /// ```
    pub fn timeout(self, grace: Duration) -> Self {
        let index = self.index();
        Self::set_last(&mut self.group.timeouts, index, Some(grace));
        self
    }
}

impl fmt::Debug for ActorOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = self.index();
        let actor = &self.group.actors[index];
        let interrupt: &dyn fmt::Debug =
            match self.group.calls.last().filter(|(of, _)| *of == index) {
                Some((_, call)) => call,
                None if actor.abortable => &Interrupt::Abort,
                None => &Interrupt::Context,
            };
        f.debug_struct("ActorOptions")
            .field("name", &actor.name)
            .field("exit", &actor.policy)
            .field("interrupt", interrupt)
            .field("stage", &actor.stage)
            .field(
                "timeout",
                &self
                    .group
                    .timeouts
                    .last()
                    .filter(|(of, _)| *of == index)
                    .map(|(_, t)| t),
            )
            .finish()
    }
}

/// An actor with a timeout of its own.
struct Timed {
    index: usize,
    timeout: Duration,
    /// When the timeout runs out, once the actor is interrupted.
    deadline: Option<Instant>,
}

/// A running group's tasks and undelivered interrupts; dropping it before the group has
/// finished (the `run` future was dropped) interrupts and aborts everything.
struct Running {
    shared: Arc<Shared>,
    handles: Vec<JoinHandle<()>>,
    /// The interrupts that call something, by actor index, until delivered; the others only
    /// mark the Context, so the slot's interrupted flag is all they need.
    calls: Vec<(usize, Option<Interrupt>)>,
    /// The actors with timeouts of their own, by index.
    timeouts: Vec<Timed>,
    /// Async interrupts that were started, with their actor's index.
    interrupt_tasks: Vec<(usize, JoinHandle<()>)>,
    finished: bool,
}

/// Why waiting for a stage ended early.
enum Interrupted {
    GroupTimeout,
    Forced(Error),
}

impl Running {
    /// Interrupts stage by stage and waits for each; returns what `run` returns.
    async fn shut_down(
        &mut self,
        stage_count: usize,
        grace: Option<Duration>,
    ) -> Result<(), Error> {
        let shared = Arc::clone(&self.shared);
        let cause = shared.settle_cause(Cause::Finished);
        let group_deadline = grace.map(|grace| Instant::now() + grace);
        let mut order: Vec<usize> = (0..self.handles.len()).collect();
        if stage_count > 1 {
            order.sort_by_key(|&index| shared.stage_of(index));
        }
        let mut stuck = Vec::new();
        let mut remaining = &order[..];
        for stage in 0..stage_count {
            let end = remaining
                .iter()
                .position(|&index| shared.stage_of(index) != stage)
                .unwrap_or(remaining.len());
            let (members, rest) = remaining.split_at(end);
            remaining = rest;
            for &index in members {
                self.deliver(index, cause, true);
            }
            shared.wake_interrupted();
            match self.wait_stage(stage, group_deadline, &mut stuck).await {
                Ok(()) => {}
                Err(Interrupted::GroupTimeout) => {
                    // Past the group's timeout nothing more is waited for: the stages not
                    // reached yet are interrupted and aborted at once.
                    for &index in remaining {
                        self.deliver(index, cause, false);
                    }
                    shared.wake_interrupted();
                    for &index in members.iter().chain(remaining) {
                        self.abort_if_unfinished(index, grace.unwrap_or_default(), &mut stuck);
                    }
                    break;
                }
                Err(Interrupted::Forced(error)) => {
                    // Forced means now: stages not reached yet are aborted, not interrupted.
                    for index in 0..self.handles.len() {
                        if shared.abandon(index) {
                            self.abort(index);
                        }
                    }
                    return Err(error);
                }
            }
        }
        if stuck.is_empty() {
            return shared.result();
        }
        Err(Error::ShutdownTimeout {
            stuck,
            cause: shared.result().err().map(Box::new),
        })
    }

    /// Delivers actor `index`'s interrupt, unless it was delivered already: calls it and marks
    /// the actor's Context; the caller wakes the Contexts once it has marked a batch.
    fn deliver(&mut self, index: usize, cause: &Cause, start_async: bool) {
        let shared = Arc::clone(&self.shared);
        if shared.is_interrupted(index) {
            return;
        }
        shared.emit(index, |actor, send| {
            send(&Event::Interrupted { actor, cause });
        });
        if let Ok(at) = self
            .timeouts
            .binary_search_by_key(&index, |timed| timed.index)
        {
            let timed = &mut self.timeouts[at];
            timed.deadline = Some(Instant::now() + timed.timeout);
        }
        let interrupt = match self.calls.binary_search_by_key(&index, |(of, _)| *of) {
            Ok(at) => self.calls[at].1.take(),
            Err(_) => None,
        };
        match interrupt {
            None | Some(Interrupt::Context | Interrupt::Abort) => {}
            Some(Interrupt::Call(call)) => {
                if let Err(panicked) = panic::catch(|| call(cause)) {
                    shared.record_panic(panicked.into_error(shared.name(index)));
                }
            }
            Some(Interrupt::CallAsync(call)) if start_async => {
                match panic::catch(|| call(cause.clone())) {
                    Ok(interrupting) => {
                        shared.part_started(index);
                        let shared = Arc::clone(&self.shared);
                        let task = tokio::spawn(async move {
                            if let Err(panicked) = CatchUnwind::new(interrupting).await {
                                shared.record_panic(panicked.into_error(shared.name(index)));
                            }
                            shared.part_finished(index);
                        });
                        self.interrupt_tasks.push((index, task));
                    }
                    Err(panicked) => {
                        shared.record_panic(panicked.into_error(shared.name(index)));
                    }
                }
            }
            Some(Interrupt::CallAsync(_)) => {}
        }
        shared.mark_interrupted(index);
    }

    /// Waits until every actor of `stage` has finished, aborting those whose own timeout runs
    /// out; stops early when the group's timeout runs out or the shutdown is forced.
    async fn wait_stage(
        &mut self,
        stage: usize,
        group_deadline: Option<Instant>,
        stuck: &mut Vec<crate::ActorName>,
    ) -> Result<(), Interrupted> {
        let shared = Arc::clone(&self.shared);
        let timed: Vec<usize> = self
            .timeouts
            .iter()
            .enumerate()
            .filter(|(_, timed)| timed.deadline.is_some() && shared.stage_of(timed.index) == stage)
            .map(|(at, _)| at)
            .collect();
        let mut force = shared.take_force();
        loop {
            if shared.stage_drained(stage) {
                return Ok(());
            }
            if force.is_none() {
                force = shared.take_force();
            }
            let own_deadline = timed
                .iter()
                .map(|&at| &self.timeouts[at])
                .filter(|timed| shared.is_unfinished(timed.index))
                .filter_map(|timed| timed.deadline)
                .min();
            let deadline = match (own_deadline, group_deadline) {
                (Some(own), Some(group)) => Some(own.min(group)),
                (own, group) => own.or(group),
            };
            let mut woken = pin!(shared.woken());
            let mut sleep = pin!(deadline.map(tokio::time::sleep_until));
            let forced = poll_fn(|cx| {
                if let Some(force) = &mut force {
                    if let Poll::Ready(error) = force.as_mut().poll(cx) {
                        return Poll::Ready(Some(error));
                    }
                }
                if woken.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                match sleep.as_mut().as_pin_mut().map(|sleep| sleep.poll(cx)) {
                    Some(Poll::Ready(())) => Poll::Ready(None),
                    _ => Poll::Pending,
                }
            })
            .await;
            if let Some(error) = forced {
                return Err(Interrupted::Forced(error));
            }
            let now = Instant::now();
            if group_deadline.is_some_and(|deadline| deadline <= now) {
                return Err(Interrupted::GroupTimeout);
            }
            for &at in &timed {
                let Timed {
                    index,
                    timeout,
                    deadline,
                } = self.timeouts[at];
                if deadline.is_some_and(|deadline| deadline <= now) {
                    self.abort_if_unfinished(index, timeout, stuck);
                }
            }
        }
    }

    fn abort_if_unfinished(
        &mut self,
        index: usize,
        after: Duration,
        stuck: &mut Vec<crate::ActorName>,
    ) {
        if !self.shared.abandon(index) {
            return;
        }
        self.abort(index);
        self.shared
            .emit(index, |actor, send| send(&Event::TimedOut { actor, after }));
        stuck.push(self.shared.name(index));
    }

    fn abort(&mut self, index: usize) {
        self.handles[index].abort();
        for (_, task) in self.interrupt_tasks.iter().filter(|(of, _)| *of == index) {
            task.abort();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let cause = shared.settle_cause(Cause::Cancelled);
        for index in 0..self.handles.len() {
            self.deliver(index, cause, false);
        }
        shared.wake_interrupted();
        for handle in &self.handles {
            handle.abort();
        }
        for (_, task) in &self.interrupt_tasks {
            task.abort();
        }
    }
}
