//! The group: oklog/run's semantics on tokio tasks.
//!
//! Invariants of [`Group::run`]:
//! - every actor starts as its own tokio task, in add order;
//! - the group stops at the first exit its [`ExitPolicy`] says stops it, when its own
//!   [`Context`] is interrupted, or when every actor whose exit counts has finished; that
//!   first event is the [`Cause`], set once;
//! - then every actor is interrupted exactly once, in add order, the one that exited
//!   included, all with that same cause;
//! - `run` returns only once every actor's task has ended, with [`Cause::result`]; if that is
//!   `Ok` but an actor or interrupt panicked meanwhile, with that panic instead;
//! - a panic in an execute or an interrupt is caught and becomes [`Error::Panic`]; it never
//!   stops the delivery of the other interrupts;
//! - dropping the `run` future interrupts every actor not yet interrupted (cause
//!   [`Cause::Cancelled`]) and aborts every task: no task outlives it.

use std::{
    borrow::Cow,
    fmt,
    future::{poll_fn, Future},
    pin::pin,
    sync::Arc,
    task::Poll,
};

use tokio::{runtime::Handle, task::JoinHandle};

use crate::{
    name::{type_leaf, Leaf},
    panic::{self, CatchUnwind},
    state::{Shared, Slot},
    BoxError, Cause, Context, Error, ExitPolicy, Interrupt, Runner,
};

type Launch = Box<dyn FnOnce(Context, bool) -> JoinHandle<()> + Send + 'static>;

struct Actor {
    launch: Launch,
    name: Cow<'static, str>,
    policy: ExitPolicy,
    interrupt: Interrupt,
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
    actors: Vec<Actor>,
}

impl Group {
    /// An empty group; its actors' paths start with their own names.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty group whose actors' paths start with `name/`. Inside another group, the
    /// group's actor name is its path instead.
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
    pub fn len(&self) -> usize {
        self.actors.len()
    }

    /// Whether no actor was added.
    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
    }

    /// Adds a [`Runner`], interrupted through its [`Context`]; named after
    /// [`Runner::name`].
    pub fn spawn<R: Runner>(&mut self, runner: R) -> ActorOptions<'_> {
        let name = runner.name();
        self.push(
            name,
            Interrupt::Context,
            Box::new(move |ctx: Context, abortable| {
                let execute = runner.run(ctx.clone());
                start(execute, ctx, abortable)
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
            Box::new(move |ctx: Context, abortable| start(execute, ctx, abortable)),
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
            interrupt,
        });
        let actor = self.actors.last_mut().expect("an actor was just pushed");
        ActorOptions { actor }
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
    pub async fn run(self) -> Result<(), Error> {
        if self.actors.is_empty() {
            return Ok(());
        }
        if Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        panic::install_hook();

        let path = self.path();
        let count = self.actors.len();
        let mut slots = Vec::with_capacity(count);
        let mut launches = Vec::with_capacity(count);
        let mut interrupts = Vec::with_capacity(count);
        for (index, actor) in self.actors.into_iter().enumerate() {
            slots.push(Slot::new(Leaf::new(actor.name, index), actor.policy));
            launches.push(actor.launch);
            interrupts.push(Some(actor.interrupt));
        }
        let shared = Arc::new(Shared::new(path, slots.into_boxed_slice()));
        let mut running = Running {
            shared: Arc::clone(&shared),
            handles: Vec::with_capacity(count),
            interrupts,
            finished: false,
        };
        for (index, launch) in launches.into_iter().enumerate() {
            let abortable = matches!(running.interrupts[index], Some(Interrupt::Abort));
            running
                .handles
                .push(launch(Context::new(Arc::clone(&shared), index), abortable));
        }

        let stop = pin!(shared.stop_requested());
        let parent = self.parent.as_ref().map(|parent| parent.interrupted());
        let mut parent = pin!(parent);
        let mut stop = stop;
        poll_fn(|cx| {
            if stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
            if let Some(parent) = parent.as_mut().as_pin_mut() {
                if parent.poll(cx).is_ready() {
                    shared.settle_cause(Cause::Cancelled);
                    return Poll::Ready(());
                }
            }
            Poll::Pending
        })
        .await;

        running.interrupt_all(Cause::Finished);
        for handle in &mut running.handles {
            // A task only fails to join when the runtime is shutting down: nothing to report.
            let _ = handle.await;
        }
        running.finished = true;
        shared.result()
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
            .finish_non_exhaustive()
    }
}

/// Options of the actor just added; see [`Group::spawn`] and [`Group::add`].
pub struct ActorOptions<'g> {
    actor: &'g mut Actor,
}

impl ActorOptions<'_> {
    /// Names the actor (the last segment of its path).
    pub fn name(self, name: impl Into<Cow<'static, str>>) -> Self {
        self.actor.name = name.into();
        self
    }

    /// Sets what the actor's exit does to the group; default [`ExitPolicy::Service`].
    pub fn exit(self, policy: ExitPolicy) -> Self {
        self.actor.policy = policy;
        self
    }

    /// Sets how the actor is interrupted.
    pub fn interrupt(self, interrupt: Interrupt) -> Self {
        self.actor.interrupt = interrupt;
        self
    }
}

impl fmt::Debug for ActorOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorOptions")
            .field("name", &self.actor.name)
            .field("exit", &self.actor.policy)
            .field("interrupt", &self.actor.interrupt)
            .finish()
    }
}

/// A running group's tasks and undelivered interrupts; dropping it before the group has
/// finished (the `run` future was dropped) interrupts and aborts everything.
struct Running {
    shared: Arc<Shared>,
    handles: Vec<JoinHandle<()>>,
    interrupts: Vec<Option<Interrupt>>,
    finished: bool,
}

impl Running {
    fn interrupt_all(&mut self, otherwise: Cause) {
        let shared = &*self.shared;
        let cause = shared.settle_cause(otherwise);
        for (index, interrupt) in self.interrupts.iter_mut().enumerate() {
            let Some(interrupt) = interrupt.take() else {
                continue;
            };
            if let Interrupt::Call(call) = interrupt {
                if let Err(panicked) = panic::catch(|| call(cause)) {
                    shared.record_panic(panicked.into_error(shared.name(index)));
                }
            }
            shared.interrupt(index);
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.interrupt_all(Cause::Cancelled);
        for handle in &self.handles {
            handle.abort();
        }
    }
}

fn start<F, E>(execute: F, ctx: Context, abortable: bool) -> JoinHandle<()>
where
    F: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError> + 'static,
{
    if abortable {
        tokio::spawn(run_abortable(execute, ctx))
    } else {
        tokio::spawn(run_actor(execute, ctx))
    }
}

async fn run_actor<F, E>(execute: F, ctx: Context)
where
    F: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
{
    let outcome = CatchUnwind::new(execute).await;
    report(outcome, ctx);
}

async fn run_abortable<F, E>(execute: F, ctx: Context)
where
    F: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
{
    let outcome = {
        let mut execute = pin!(CatchUnwind::new(execute));
        let mut interrupted = pin!(ctx.interrupted());
        poll_fn(|cx| match execute.as_mut().poll(cx) {
            Poll::Ready(outcome) => Poll::Ready(outcome),
            Poll::Pending => interrupted.as_mut().poll(cx).map(|()| Ok(Ok(()))),
        })
        .await
    };
    report(outcome, ctx);
}

fn report<E: Into<BoxError>>(outcome: Result<Result<(), E>, panic::Panicked>, ctx: Context) {
    let result = match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Error::from_actor(|| ctx.name(), error.into())),
        Err(panicked) => Err(panicked.into_error(ctx.name())),
    };
    ctx.exited(result);
}
