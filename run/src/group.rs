//! The group: the static face of the core. One [`ActorSpec`] record per actor, filled by
//! [`Group::spawn`] / [`Group::add`] and [`ActorOptions`] (and by the macros, through the same
//! calls), turned into the core's members at [`Group::run`].
//!
//! Invariants: the group's behaviour is the core's; see the
//! [stop engine](crate::core::scope) and its [run loop](crate::core::shutdown). Here: an
//! option is added to [`ActorSpec`] (or its rarely used [`ActorExtras`], boxed only when
//! set), nowhere else; every actor starts as its own tokio task, in add order.

use std::{
    borrow::Cow, fmt, future::Future, marker::PhantomData, pin::Pin, sync::Arc, time::Duration,
};

use tokio::{
    runtime::{Handle, RuntimeFlavor},
    task::JoinHandle,
};

use crate::{
    budget::{self, Demand},
    context::Context,
    core::{
        cause::Cause,
        deadline::{Deadlines, Timed},
        event::{Event, Hook},
        interrupt::{ExitPolicy, Interrupt},
        member,
        scope::{Member, Scope, ScopeConfig, Slot},
        shutdown::Running,
    },
    deploy::{
        ActorStart, GroupSettings, Plan, order::Gate, readiness::Readiness, reload::ReloadHandle,
    },
    error::Error,
    name::{Leaf, type_leaf},
    panic,
    runner::{ActorOutput, IntoResult, Runner},
    supervise::{
        policy::{Restart, RestartPolicy, Strategy},
        status::StatusHandle,
        supervisor::{Strategist, Supervisor},
    },
};

/// Starts an actor's task; returns the task and the interrupt it is to get.
type Launch = Box<dyn FnOnce(Start) -> (JoinHandle<()>, Interrupt) + Send>;

/// What an actor's task is started with.
struct Start {
    ctx: Context,
    /// The options most actors do not set (the interrupt chosen, a restartable actor's
    /// policy and timeout), passed on whole: a start moves only a few words.
    extras: Option<Box<ActorExtras>>,
    /// A restartable actor's group's strategist.
    strategist: Option<Arc<Strategist>>,
    /// The gate its start waits at (start order), if any.
    gate: Option<Box<Gate>>,
}
type StopFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The stage of actors not given one.
const DEFAULT_STAGE: u32 = 1;

/// The one record of an actor added and not yet run: the single place an option is added.
/// Kept small (48 bytes), since a group holds one per actor: what most actors lack is in
/// [`ActorExtras`], allocated only when set.
pub(crate) struct ActorSpec {
    launch: Launch,
    /// The name given or derived, when it is static; empty numbers the actor.
    name: &'static str,
    extras: Option<Box<ActorExtras>>,
    stage: u32,
    policy: ExitPolicy,
}

/// The options most actors do not set.
#[derive(Default)]
pub(crate) struct ActorExtras {
    /// A name that is not `'static`; wins over [`ActorSpec::name`].
    name: Option<Cow<'static, str>>,
    /// Chosen with [`ActorOptions::interrupt`]; else the runner's own.
    interrupt: Option<Interrupt>,
    timeout: Option<Duration>,
    /// Set for (and only for) an actor added with [`Group::supervise`].
    restart: Option<RestartPolicy>,
    /// Start order and readiness ([`crate::deploy`]).
    start: ActorStart,
}

impl ActorSpec {
    fn extras(&mut self) -> &mut ActorExtras {
        self.extras.get_or_insert_with(Box::default)
    }

    #[inline]
    fn set_name(&mut self, name: Cow<'static, str>) {
        match name {
            Cow::Borrowed(name) => {
                self.name = name;
                if let Some(extras) = &mut self.extras {
                    extras.name = None;
                }
            }
            owned => self.extras().name = Some(owned),
        }
    }

    /// The name the actor will run under, left in the record.
    fn peek_leaf(&self, index: usize) -> Leaf {
        match self.extras.as_ref().and_then(|extras| extras.name.clone()) {
            Some(name) => Leaf::new(name, index),
            None => Leaf::new(Cow::Borrowed(self.name), index),
        }
    }

    /// The name the actor runs under, taken out of the record.
    #[inline]
    fn take_leaf(&mut self, index: usize) -> Leaf {
        match self.extras.as_mut().and_then(|extras| extras.name.take()) {
            Some(name) => Leaf::new(name, index),
            None => Leaf::new(Cow::Borrowed(self.name), index),
        }
    }
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
    /// Made by [`Context::group_named`]: the path is the parent's plus this segment.
    segment: Option<Cow<'static, str>>,
    stop: Option<StopFuture>,
    actors: Vec<ActorSpec>,
    shutdown_timeout: Option<Duration>,
    hook: Option<Hook>,
    strategy: Strategy,
    status: Option<StatusHandle>,
    /// Readiness, drain, start-up timeout ([`crate::deploy`]).
    deploy: GroupSettings,
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
            Box::new(move |start: Start| {
                let mut runner = runner;
                let chosen = start.extras.and_then(|extras| extras.interrupt);
                let interrupt = chosen.unwrap_or_else(|| runner.interrupt());
                let member = start.ctx.member().clone();
                let task = match start.gate {
                    None => member::spawn(runner.run(start.ctx), member, interrupt.aborts()),
                    Some(gate) => {
                        member::spawn((*gate).start(runner, start.ctx), member, interrupt.aborts())
                    }
                };
                (task, interrupt)
            }),
        )
    }

    /// Adds an actor the oklog/run way: `execute` runs until done, `interrupt` is called with
    /// the cause when the group stops and must make `execute` return.
    ///
    /// It is [`spawn`](Group::spawn) of a runner that runs `execute` and whose
    /// [interrupt](Runner::interrupt) is [`Interrupt::call`]`(interrupt)`.
    pub fn add<F, I>(&mut self, execute: F, interrupt: I) -> ActorOptions<'_>
    where
        F: Future + Send + 'static,
        F::Output: ActorOutput,
        I: FnOnce(&Cause) + Send + 'static,
    {
        self.spawn(OklogActor {
            execute,
            interrupt: Some(interrupt),
        })
    }

    /// Adds an actor that can be restarted: `make` makes a new runner for each incarnation.
    ///
    /// It is restarted [`OnFailure`](Restart::OnFailure) with the default intensity and
    /// backoff unless [`ActorOptions::restart`] says otherwise; the group's
    /// [`strategy`](Group::strategy) says which siblings restart with it. Each incarnation
    /// runs under the actor's name, is interrupted through the runner's own
    /// [`interrupt`](Runner::interrupt) and gets the actor's whole own
    /// [`timeout`](ActorOptions::timeout); nothing restarts once the group is stopping, and a
    /// stop that finds the actor waiting out its backoff is clean (the failure it was to
    /// restart after is not returned). Past the intensity limit the actor's final result is
    /// [`Error::RestartLimit`], always reported as [`Event::RestartLimit`], and its
    /// [exit policy](ActorOptions::exit) decides what that does to the group (a service, the
    /// default, stops it). Each restart sends [`Event::Restarting`]. The actor's name comes
    /// from [`ActorOptions::name`], else from the runner type (closures are numbered).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Error, Group, Restart, RestartPolicy};
    /// use std::sync::{atomic::{AtomicU32, Ordering}, Arc};
    /// use std::time::Duration;
    ///
    /// let runs = Arc::new(AtomicU32::new(0));
    /// let mut group = Group::named("app");
    /// let counter = runs.clone();
    /// group
    ///     .supervise(move || {
    ///         let runs = counter.clone();
    ///         move |_ctx: Context| async move {
    ///             // Fails twice, then does its job and returns.
    ///             match runs.fetch_add(1, Ordering::SeqCst) {
    ///                 0 | 1 => Err(std::io::Error::other("flaky")),
    ///                 _ => Ok(()),
    ///             }
    ///         }
    ///     })
    ///     .name("worker")
    ///     .restart(RestartPolicy::new(Restart::OnFailure).max_restarts(3));
    /// group.run().await.unwrap();
    /// assert_eq!(runs.load(Ordering::SeqCst), 3);
    /// # }
    /// ```
    pub fn supervise<F, R>(&mut self, make: F) -> ActorOptions<'_, Restartable>
    where
        F: Fn() -> R + Send + Sync + 'static,
        R: Runner,
    {
        let options = self.push(
            Cow::Borrowed(type_leaf::<R>()),
            Box::new(move |start: Start| {
                let member = start.ctx.member().clone();
                let extras = start.extras.as_deref();
                let supervisor = Supervisor {
                    make,
                    policy: extras.and_then(|extras| extras.restart).unwrap_or_default(),
                    timeout: extras.and_then(|extras| extras.timeout),
                    strategist: start.strategist,
                    until: None,
                };
                // Interrupted through its context: the supervisor stops its incarnation.
                let task = match start.gate {
                    None => member::spawn(supervisor.supervise(start.ctx), member, false),
                    Some(gate) => {
                        member::spawn((*gate).start(supervisor, start.ctx), member, false)
                    }
                };
                (task, Interrupt::Context)
            }),
        );
        let mut options = ActorOptions {
            group: options.group,
            kind: PhantomData,
        };
        options.actor().extras().restart = Some(RestartPolicy::new(Restart::OnFailure));
        options
    }

    #[inline]
    fn push(&mut self, name: Cow<'static, str>, launch: Launch) -> ActorOptions<'_> {
        let mut spec = ActorSpec {
            launch,
            name: "",
            extras: None,
            stage: DEFAULT_STAGE,
            policy: ExitPolicy::default(),
        };
        spec.set_name(name);
        self.actors.push(spec);
        ActorOptions {
            group: self,
            kind: PhantomData,
        }
    }

    /// Which restartable siblings restart with an actor that is restarted (OTP's restart
    /// strategy); [`Strategy::OneForOne`] unless set.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Group, Strategy};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let starts = Arc::new(Mutex::new(Vec::new()));
    /// let mut group = Group::new().strategy(Strategy::OneForAll);
    /// for name in ["db", "cache"] {
    ///     let starts = starts.clone();
    ///     group
    ///         .supervise(move || {
    ///             let starts = starts.clone();
    ///             move |ctx: Context| async move {
    ///                 let nth = {
    ///                     let mut starts = starts.lock().unwrap();
    ///                     starts.push(name);
    ///                     starts.len()
    ///                 };
    ///                 if name == "cache" && nth == 2 {
    ///                     return Err(std::io::Error::other("cache lost"));
    ///                 }
    ///                 if nth == 4 {
    ///                     return Ok(()); // ends the example
    ///                 }
    ///                 ctx.interrupted().await;
    ///                 Ok(())
    ///             }
    ///         })
    ///         .name(name);
    /// }
    /// group.run().await.unwrap();
    /// // `cache` failed: `db` was stopped too, and both started again in start order.
    /// assert_eq!(*starts.lock().unwrap(), ["db", "cache", "db", "cache"]);
    /// # }
    /// ```
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// A handle that reads this group's [`Status`](crate::Status) while it runs: take it
    /// before [`run`](Group::run), which consumes the group.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{ActorState, Context, Group};
    ///
    /// let mut group = Group::named("app");
    /// let status = group.status_handle();
    /// group.spawn(|ctx: Context| ctx.into_interrupted()).name("server");
    /// let running = tokio::spawn(group.run_until(async {}));
    /// assert!(status.snapshot().actors.is_empty()); // not running yet
    /// running.await.unwrap().unwrap_err(); // cancelled at once
    /// assert!(status.snapshot().actors.is_empty()); // returned
    /// # }
    /// ```
    pub fn status_handle(&mut self) -> StatusHandle {
        self.status
            .get_or_insert_with(StatusHandle::default)
            .clone()
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
    /// let mut group = Group::new().shutdown_timeout(Duration::from_secs(5));
    /// group.spawn(|_ctx: Context| std::future::pending::<Result<(), std::io::Error>>())
    ///     .name("stuck");
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).name("done");
    ///
    /// let err = group.run().await.unwrap_err();
    /// assert_eq!(err.to_string(), "shutdown timed out; still running: stuck");
    /// # }
    /// ```
    ///
    /// With several [stages](ActorOptions::stage), each stage may use an even share of the
    /// time left (the time left divided by the stages left): past it, its stuck actors are
    /// aborted and named, and the next stage starts. [Start order](ActorOptions::after)
    /// splits a stage into levels (the actors that start after others stop first): the
    /// levels share their stage's time the same way (each what the stage has left divided by
    /// the levels left) and take nothing from the other stages. A group nested in another
    /// also stops its own stuck actors just before its parent's deadline (50 ms before it, or
    /// a quarter of the parent's shutdown time if that is less), so the error names the
    /// leaves.
    ///
    /// The budget: the [drain](Group::drain) and every actor's
    /// [timeout](ActorOptions::timeout) must fit in the time the group has, in the worst case
    /// (the stages and levels before using all they may): its own shutdown timeout, and for a
    /// group nested in another (a derived struct's, [`Context::group`], a `Group` run as an
    /// actor) what the actor it runs under may use, less that margin, at any depth. What
    /// cannot fit makes [`run`](Group::run) return [`Error::OverBudget`] before any of the
    /// group's actors starts.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Error, Group};
    /// use std::time::Duration;
    ///
    /// let mut app = Group::named("app")
    ///     .shutdown_timeout(Duration::from_secs(30))
    ///     .drain(Duration::from_secs(20)); // `main` may use the 10 s left
    /// app.spawn(|ctx: Context| async move {
    ///     let mut inner = ctx.group();
    ///     inner
    ///         .spawn(|ctx: Context| ctx.into_interrupted())
    ///         .name("flusher")
    ///         .timeout(Duration::from_secs(20));
    ///     inner.run().await // refused: nothing of it starts
    /// })
    /// .name("main");
    /// let err = app.run().await.unwrap_err();
    /// assert_eq!(
    ///     err.report().to_string(),
    ///     "actor `app/main` failed: the shutdown budget of 9.95s cannot fit the 20s timeout \
    ///      of actor `app/main/flusher`: 9.95s at most is left for it"
    /// );
    /// # }
    /// ```
    pub fn shutdown_timeout(mut self, grace: Duration) -> Self {
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
    /// let log = failures.clone();
    /// let mut app = Group::named("app").hook(move |event: &Event<'_>| {
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
    pub fn hook(mut self, hook: impl Fn(&Event<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// A live view of this group's readiness and liveness, for probes and systemd (see
    /// [`Readiness`]); asking for it makes the group track them. Call it before
    /// [`run`](Group::run); every call gives a view of the same state.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    ///
    /// let mut group = Group::named("app");
    /// let readiness = group.readiness();
    /// let view = readiness.clone();
    /// group.spawn(move |_ctx: Context| async move {
    ///     assert!(view.wait_ready().await); // every actor has started
    /// });
    /// assert!(!readiness.is_ready()); // not running yet
    /// group.run().await.unwrap();
    /// # }
    /// ```
    pub fn readiness(&mut self) -> Readiness {
        self.deploy.readiness()
    }

    /// Drains before it stops: on a graceful stop (a signal, a
    /// [stop request](crate::StopHandle)), readiness turns to not ready at once, every actor
    /// keeps running for `delay` (a load balancer moves the traffic away meanwhile), then the
    /// staged shutdown begins. Nothing new starts meanwhile: an actor still waiting to start
    /// [`after`](ActorOptions::after) others never starts. A second signal during the drain
    /// still forces the exit at once; a stop for any other cause (an actor's exit or
    /// failure) does not drain. The delay counts against the
    /// [shutdown timeout](Group::shutdown_timeout): a drain as long as the timeout makes
    /// [`run`](Group::run) return [`Error::OverBudget`] (see the
    /// [shutdown budget](Group::shutdown_timeout)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Group};
    /// use std::time::Duration;
    /// use tokio::time::Instant;
    ///
    /// let mut group = Group::new().drain(Duration::from_secs(5));
    /// let readiness = group.readiness();
    /// group.spawn(|ctx: Context| async move {
    ///     let start = Instant::now();
    ///     ctx.stop_handle().stop(); // as a signal would
    ///     ctx.interrupted().await;
    ///     assert_eq!(start.elapsed(), Duration::from_secs(5)); // served 5 s more
    /// });
    /// group.run().await.unwrap();
    /// assert!(!readiness.is_ready());
    /// # }
    /// ```
    pub fn drain(mut self, delay: Duration) -> Self {
        self.deploy.set_drain(delay);
        self
    }

    /// Gives the start-up at most `timeout`, counted from [`run`](Group::run): if the group
    /// is not ready by then, it stops with [`Error::StartupTimeout`], naming the actors that
    /// started and never became ready, at any depth (`app/main/db` in a group nested under
    /// `app/main`, not `app/main`), and not those still waiting to start after them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Error, Group};
    /// use std::time::Duration;
    ///
    /// let mut group = Group::named("app").startup_timeout(Duration::from_secs(10));
    /// group
    ///     .spawn(|ctx: Context| async move { ctx.interrupted().await })
    ///     .name("db")
    ///     .ready_when_told(); // and never tells
    /// group.spawn(|ctx: Context| async move { ctx.interrupted().await }).name("api").after("db");
    /// let err = group.run().await.unwrap_err();
    /// assert_eq!(err.to_string(), "start-up timed out after 10s; not ready: app/db");
    /// # }
    /// ```
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.deploy.set_startup_timeout(timeout);
        self
    }

    /// Makes this group (and the groups nested in it) reload on request: actors opt in with
    /// [`Context::reloads`], and the handle requests reloads. `#[run::main]` makes its root
    /// group reload on SIGHUP this way. Call it before [`run`](Group::run) on the top group.
    pub fn reload_handle(&mut self) -> ReloadHandle {
        self.deploy.reload_handle()
    }

    fn path(&self) -> Option<Arc<str>> {
        match (&self.parent, &self.segment) {
            (Some(parent), Some(segment)) => Some(format!("{}/{segment}", parent.name()).into()),
            (Some(parent), None) => Some(parent.name().to_string().into()),
            (None, _) => self.name.as_deref().map(Arc::from),
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
    // An explicit `Send` future rather than an `async fn`: callers inside actors then need
    // no proof of `Send` for every lifetime (tests/seeds_pattern.rs).
    #[allow(clippy::manual_async_fn)]
    pub fn run(self) -> impl Future<Output = Result<(), Error>> + Send {
        async move {
            if self.actors.is_empty() {
                self.deploy.end();
                return Ok(());
            }
            let Ok(runtime) = Handle::try_current() else {
                self.deploy.end();
                return Err(Error::NoRuntime);
            };
            let flavor = runtime.runtime_flavor();
            drop(runtime);
            panic::install_hook();
            let path = self.path();
            let Group {
                parent,
                stop,
                mut actors,
                shutdown_timeout,
                hook,
                strategy,
                status,
                deploy,
                ..
            } = self;
            let strategist = validate_restarts(&actors, strategy)?;
            let mut plan = None;
            let mut layout = Layout::new(
                &mut actors,
                (&deploy, &mut plan),
                parent.as_ref(),
                path.as_ref(),
                shutdown_timeout,
            )?;
            let deadlines = layout.deadlines(&actors, shutdown_timeout, deploy.drain);
            check_budget(&actors, &layout, &deadlines, parent.as_ref(), &path)?;
            let (slots, quiet) = layout.slots(&mut actors, &path);
            let scope = Scope::new(ScopeConfig {
                path,
                hook,
                parent: parent.as_ref().map(|ctx| ctx.member().clone()),
                slots,
                quiet,
                stage_count: layout.stage_count,
                run_loop: true,
                extension: plan.as_ref().map(|plan| {
                    let shared: Arc<dyn crate::core::extension::Extension> = plan.shared.clone();
                    shared
                }),
                deadlines,
                incarnation: false,
            });
            if let Some(status) = status {
                status.attach(&scope);
            }
            let running = launch(&scope, actors, plan.as_mut(), strategist, flavor);
            let stop = match &plan {
                Some(plan) => plan.watch(stop, &scope),
                None => stop,
            };
            let result = running.run(stop, layout.stage_count).await;
            drop(plan);
            result
        }
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
    // An explicit `Send` future rather than an `async fn`: callers inside actors then need
    // no proof of `Send` for every lifetime (tests/seeds_pattern.rs).
    #[allow(clippy::manual_async_fn)]
    pub fn run_until(
        mut self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        async move {
            self.stop = Some(Box::pin(stop));
            self.run().await
        }
    }
}

/// Checks the restart policies of the restartable actors, before anything starts; returns
/// the strategist their strategy needs, if any.
#[inline]
fn validate_restarts(
    actors: &[ActorSpec],
    strategy: Strategy,
) -> Result<Option<Arc<Strategist>>, Error> {
    let mut restartable = false;
    for actor in actors {
        if let Some(policy) = actor.extras.as_ref().and_then(|extras| extras.restart) {
            policy.validate()?;
            restartable = true;
        }
    }
    Ok((restartable && strategy != Strategy::OneForOne).then(|| Strategist::new(strategy)))
}

/// Where each actor stands in the stop: its step.
struct Layout {
    /// The distinct stages of the actors, ascending; empty for a single one (no list).
    stages: Vec<u32>,
    /// The steps of the stop: the stages, or with start order each (stage, level) pair.
    stage_count: usize,
    /// With start order: each actor's step, and each step's stage.
    ordered: Option<(Vec<usize>, Box<[u32]>)>,
    /// The actors' names, taken out for a plan; else each is taken as its slot is made.
    leaves: Vec<Leaf>,
}

impl Layout {
    /// Orders the stop and makes the deployment plan into `plan`, if the group needs one
    /// (checking the start order): before anything starts. The plan is made in place (it is
    /// large, and kept for the whole run).
    #[inline]
    fn new(
        actors: &mut [ActorSpec],
        (deploy, plan): (&GroupSettings, &mut Option<Plan>),
        parent: Option<&Context>,
        path: Option<&Arc<str>>,
        shutdown_timeout: Option<Duration>,
    ) -> Result<Self, Error> {
        // Empty for a single stage: no list to allocate.
        let stages = stage_order(actors);
        let planned = Plan::needed(
            deploy,
            parent,
            actors
                .iter()
                .map(|actor| actor.extras.as_deref().map(|extras| &extras.start)),
        );
        let mut layout = Self {
            stage_count: stages.len().max(1),
            stages,
            ordered: None,
            leaves: Vec::new(),
        };
        if !planned {
            return Ok(layout);
        }
        layout.leaves = (actors.iter_mut().enumerate())
            .map(|(index, actor)| actor.take_leaf(index))
            .collect();
        let starts: Vec<_> = (actors.iter().zip(&layout.leaves))
            .map(|(actor, leaf)| {
                let start = actor.extras.as_deref().map(|extras| &extras.start);
                (leaf, start, actor.stage)
            })
            .collect();
        let made = Plan::new(deploy, parent, path, &starts, shutdown_timeout);
        if made.is_err() {
            deploy.end();
        }
        *plan = made?;
        // Start order turns (stage, level) pairs into the core's steps.
        layout.ordered = plan.as_mut().and_then(|plan| plan.stages.take());
        if let Some((_, stage_of_step)) = &layout.ordered {
            layout.stage_count = stage_of_step.len().max(1);
        }
        Ok(layout)
    }

    /// Actor `index`'s step in the stop.
    #[inline]
    fn step_of(&self, index: usize, actor: &ActorSpec) -> usize {
        match &self.ordered {
            Some((of, _)) => of[index],
            None => self.stages.binary_search(&actor.stage).unwrap_or_default(),
        }
    }

    /// What the stop may take: the one record of the group's shutdown timeout, drain, steps
    /// and actors' timeouts (no list is allocated when no actor has a timeout).
    #[inline]
    fn deadlines(
        &mut self,
        actors: &[ActorSpec],
        shutdown_timeout: Option<Duration>,
        drain: Option<Duration>,
    ) -> Deadlines {
        let timeout = |actor: &ActorSpec| actor.extras.as_ref().and_then(|extras| extras.timeout);
        // A restartable actor's timeout is its incarnations', each given it whole by the core
        // (which names the leaf stuck); its member here only runs them.
        let enforced = |actor: &ActorSpec| {
            (actor.extras.as_ref()).is_none_or(|extras| extras.restart.is_none())
        };
        // Most groups have no timed actor: one look at each actor, and no list.
        let timed: Box<[Timed]> = match actors.iter().any(|actor| timeout(actor).is_some()) {
            true => (actors.iter().enumerate())
                .filter_map(|(index, actor)| {
                    Some(Timed::new(index as u32, timeout(actor)?, enforced(actor)))
                })
                .collect(),
            false => Box::default(),
        };
        let stage_of_step = match &mut self.ordered {
            Some((_, stage_of_step)) => std::mem::take(stage_of_step),
            None => Box::default(),
        };
        Deadlines::new(shutdown_timeout, drain, stage_of_step, timed)
    }

    /// The actors' slots in the scope, and the quiet ones (restartable: their supervisor
    /// reports for them); the names are moved out of the records.
    #[inline]
    fn slots(
        &mut self,
        actors: &mut [ActorSpec],
        path: &Option<Arc<str>>,
    ) -> (Box<[Slot]>, Box<[u32]>) {
        let mut slots = Vec::with_capacity(actors.len());
        let mut quiet = Vec::new();
        let mut leaves = std::mem::take(&mut self.leaves).into_iter();
        for (index, actor) in actors.iter_mut().enumerate() {
            let leaf = leaves.next().unwrap_or_else(|| actor.take_leaf(index));
            let stage = self.step_of(index, actor);
            #[cfg(feature = "tracing")]
            let span = {
                let name = crate::name::ActorName::new(path.clone(), leaf.clone());
                tracing::info_span!("actor", actor = %name)
            };
            #[cfg(not(feature = "tracing"))]
            let _ = path;
            #[allow(unused_mut)]
            let mut slot = Slot::new(leaf, actor.policy, stage);
            if actor
                .extras
                .as_ref()
                .is_some_and(|extras| extras.restart.is_some())
            {
                quiet.push(index as u32);
            }
            #[cfg(feature = "tracing")]
            {
                slot.span = span;
            }
            slots.push(slot);
        }
        (slots.into_boxed_slice(), quiet.into_boxed_slice())
    }
}

/// Refuses, before anything starts, a drain or an actor's timeout that cannot fit the time
/// the group has: its own shutdown timeout, or what it inherits from `parent`, the actor it
/// runs under (at any depth), the less. Nothing is gathered unless there is something to fit.
#[inline]
fn check_budget(
    actors: &[ActorSpec],
    layout: &Layout,
    deadlines: &Deadlines,
    parent: Option<&Context>,
    path: &Option<Arc<str>>,
) -> Result<(), Error> {
    if deadlines.timed().is_empty() && deadlines.drain().is_none() {
        return Ok(());
    }
    let inherited = parent.and_then(|ctx| {
        let member = ctx.member();
        member.scope.budget_under(member.index())
    });
    let budget = match (deadlines.grace(), inherited) {
        (Some(own), Some(inherited)) => own.min(inherited),
        (own, inherited) => match own.or(inherited) {
            Some(budget) => budget,
            None => return Ok(()),
        },
    };
    let names: Vec<_> = (actors.iter().enumerate())
        .map(|(index, actor)| {
            let leaf = match layout.leaves.get(index) {
                Some(leaf) => leaf.clone(),
                None => actor.peek_leaf(index),
            };
            move || crate::name::ActorName::new(path.clone(), leaf.clone())
        })
        .collect();
    let demands: Vec<Demand<'_>> = (actors.iter().enumerate())
        .map(|(index, actor)| Demand {
            step: layout.step_of(index, actor),
            name: &names[index],
        })
        .collect();
    budget::check(budget, deadlines, layout.stage_count, &demands)
}

/// Starts every actor's task, in add order, each at its gate if it has one.
#[inline]
fn launch(
    scope: &Arc<Scope>,
    actors: Vec<ActorSpec>,
    mut plan: Option<&mut Plan>,
    strategist: Option<Arc<Strategist>>,
    flavor: RuntimeFlavor,
) -> Running {
    let mut running = Running::new(Arc::clone(scope), actors.len(), flavor);
    for (index, actor) in actors.into_iter().enumerate() {
        let ctx = Context::new(Member {
            scope: Arc::clone(scope),
            index: index as u32,
        });
        let gate = plan
            .as_mut()
            .and_then(|plan| plan.gate(index))
            .map(Box::new);
        let restartable = actor
            .extras
            .as_ref()
            .is_some_and(|extras| extras.restart.is_some());
        let (handle, interrupt) = (actor.launch)(Start {
            ctx,
            extras: actor.extras,
            strategist: strategist.as_ref().filter(|_| restartable).cloned(),
            gate,
        });
        running.push(handle, interrupt);
    }
    running
}

/// The distinct stages of `actors`, ascending; empty when there is a single one (the common
/// case: no list is allocated, and every actor is at position 0).
fn stage_order(actors: &[ActorSpec]) -> Vec<u32> {
    let first = actors.first().map_or(DEFAULT_STAGE, |actor| actor.stage);
    if actors.iter().all(|actor| actor.stage == first) {
        return Vec::new();
    }
    let mut stages: Vec<u32> = actors.iter().map(|actor| actor.stage).collect();
    stages.sort_unstable();
    stages.dedup();
    stages
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
pub struct ActorOptions<'g, Kind = RunsOnce> {
    /// The group; the actor is its last.
    group: &'g mut Group,
    kind: PhantomData<Kind>,
}

/// The kind of [`ActorOptions`] of an actor added with [`Group::spawn`] or [`Group::add`]: it
/// runs once, and its interrupt can be chosen ([`ActorOptions::interrupt`]).
#[derive(Debug)]
pub enum RunsOnce {}

/// The kind of [`ActorOptions`] of an actor added with [`Group::supervise`]: it can be
/// restarted ([`ActorOptions::restart`]); each incarnation is interrupted through its
/// runner's own interrupt.
#[derive(Debug)]
pub enum Restartable {}

impl ActorOptions<'_, Restartable> {
    /// Sets when and how often the actor is restarted; by default
    /// [`Restart::OnFailure`] with the default intensity and backoff (see
    /// [`RestartPolicy`]). A bad policy (a zero period, a backoff whose initial delay is
    /// above its maximum) makes [`Group::run`] return [`Error::InvalidConfig`] before any
    /// actor starts.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Error, Group, Restart, RestartPolicy};
    /// use std::time::Duration;
    ///
    /// let mut group = Group::named("app");
    /// group
    ///     .supervise(|| |_ctx: Context| async { Err::<(), _>(std::io::Error::other("down")) })
    ///     .name("link")
    ///     .restart(RestartPolicy::new(Restart::OnFailure).max_restarts(2));
    /// let err = group.run().await.unwrap_err();
    /// assert_eq!(
    ///     err.report().to_string(),
    ///     "actor `app/link` restarted 2 times within 30s, the most allowed: giving up: \
    ///      actor `app/link` failed: down"
    /// );
    /// assert_eq!(Error::exit_status(&Err(err)), 1);
    /// # }
    /// ```
    pub fn restart(mut self, policy: impl Into<RestartPolicy>) -> Self {
        self.actor().extras().restart = Some(policy.into());
        self
    }
}

impl ActorOptions<'_, RunsOnce> {
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
        self.actor().extras().interrupt = Some(interrupt);
        self
    }
}

impl<Kind> ActorOptions<'_, Kind> {
    fn actor(&mut self) -> &mut ActorSpec {
        self.group
            .actors
            .last_mut()
            .expect("options exist only for an actor just added")
    }

    fn spec(&self) -> &ActorSpec {
        self.group
            .actors
            .last()
            .expect("options exist only for an actor just added")
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
        self.actor().set_name(name.into());
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
    /// [shutdown timeout](Group::shutdown_timeout) still applies as well: `grace` must fit in
    /// the actor's share of it, and in what the group inherits if it is nested, or
    /// [`run`](Group::run) returns [`Error::OverBudget`] before anything starts (see the
    /// [budget](Group::shutdown_timeout)).
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
    pub fn timeout(mut self, grace: Duration) -> Self {
        self.actor().extras().timeout = Some(grace);
        self
    }

    /// Starts the actor only once the actor named `name` (of the same group; every actor of
    /// that name) is ready; call it again for more. Independent actors start in parallel. At
    /// shutdown, it is interrupted before the actors it starts after, each of which waits
    /// until it has returned (within a [stage](ActorOptions::stage): stages come first).
    /// Once the stop has begun (in its group or any group above, a drain included), it
    /// never starts: it returns unrun, which is no failure.
    ///
    /// Start order does not add stages to the [shutdown time](Group::shutdown_timeout): it
    /// splits the actor's stage into levels (those that start after others stop first),
    /// which share that stage's even share, each what the stage has left divided by the
    /// levels left; the other stages keep theirs. With 8 s and two stages, `api` after `db`
    /// in stage 1 and a worker in stage 2: `api` may use 2 s, `db` what stage 1 has left
    /// (2 s at least), the worker 4 s.
    ///
    /// A name no actor of the group has, or a cycle, makes [`run`](Group::run) return
    /// [`Error::UnknownDependency`] or [`Error::DependencyCycle`] before anything starts.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let mut group = Group::new();
    /// for (name, after) in [("api", Some("db")), ("db", None)] {
    ///     let log = log.clone();
    ///     let options = group
    ///         .spawn(move |ctx: Context| async move {
    ///             log.lock().unwrap().push(format!("start {name}"));
    ///             ctx.interrupted().await;
    ///             log.lock().unwrap().push(format!("stop {name}"));
    ///         })
    ///         .name(name);
    ///     if let Some(after) = after {
    ///         options.after(after);
    ///     }
    /// }
    /// let stopper = group.spawn(|ctx: Context| async move { ctx.readiness().unwrap().wait_ready().await; });
    /// stopper.name("stopper");
    /// group.run().await.unwrap();
    /// assert_eq!(*log.lock().unwrap(), ["start db", "start api", "stop api", "stop db"]);
    /// # }
    /// ```
    pub fn after(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.actor().extras().start.after(name.into());
        self
    }

    /// The actor is ready only once it says so ([`Context::set_ready`]), not as soon as it
    /// has started: its group is not ready, and actors started
    /// [`after`](ActorOptions::after) it do not start, until then.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    ///
    /// let mut group = Group::new();
    /// let readiness = group.readiness();
    /// group
    ///     .spawn(|ctx: Context| async move {
    ///         tokio::task::yield_now().await; // connecting...
    ///         ctx.set_ready();
    ///         ctx.interrupted().await;
    ///     })
    ///     .name("db")
    ///     .ready_when_told();
    /// group.spawn(|ctx: Context| async move { ctx.interrupted().await; }).after("db");
    /// let view = readiness.clone();
    /// group.spawn(move |_ctx: Context| async move { assert!(view.wait_ready().await) });
    /// group.run().await.unwrap();
    /// # }
    /// ```
    pub fn ready_when_told(mut self) -> Self {
        self.actor().extras().start.ready_when_told();
        self
    }
}

impl<Kind> fmt::Debug for ActorOptions<'_, Kind> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spec = self.spec();
        let extras = spec.extras.as_deref();
        let name = extras.and_then(|extras| extras.name.as_deref());
        f.debug_struct("ActorOptions")
            .field("name", &name.unwrap_or(spec.name))
            .field("exit", &spec.policy)
            .field(
                "interrupt",
                &extras.and_then(|extras| extras.interrupt.as_ref()),
            )
            .field("stage", &spec.stage)
            .field("timeout", &extras.and_then(|extras| extras.timeout))
            .field("restart", &extras.and_then(|extras| extras.restart))
            .finish()
    }
}

/// The runner of [`Group::add`]: oklog's execute plus interrupt.
struct OklogActor<F, I> {
    execute: F,
    interrupt: Option<I>,
}

impl<F, I> Runner for OklogActor<F, I>
where
    F: Future + Send + 'static,
    F::Output: ActorOutput,
    I: FnOnce(&Cause) + Send + 'static,
{
    type Error = <F::Output as ActorOutput>::Error;

    fn run(self, _ctx: Context) -> impl Future<Output = Result<(), Self::Error>> + Send {
        IntoResult {
            inner: self.execute,
        }
    }

    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(type_leaf::<F>())
    }

    fn interrupt(&mut self) -> Interrupt {
        self.interrupt
            .take()
            .map_or(Interrupt::Context, Interrupt::call)
    }
}

impl Context {
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
        Group {
            parent: Some(self.clone()),
            ..Group::default()
        }
    }

    /// [`group`](Context::group), its actors named under `name` below this actor's path:
    /// for a group of children that is one part of the actor's work among others.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    ///
    /// let mut app = Group::named("app");
    /// app.spawn(|ctx: Context| async move {
    ///     let mut pool = ctx.group_named("pool");
    ///     pool.spawn(|conn: Context| async move {
    ///         assert_eq!(conn.name(), "app/main/pool/conn");
    ///     })
    ///     .name("conn");
    ///     pool.run().await
    /// })
    /// .name("main");
    /// app.run().await.unwrap();
    /// # }
    /// ```
    pub fn group_named(&self, name: impl Into<Cow<'static, str>>) -> Group {
        let name = name.into();
        Group {
            parent: Some(self.clone()),
            name: Some(name.clone()),
            segment: Some(name),
            ..Group::default()
        }
    }
}
