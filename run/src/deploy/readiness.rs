//! Readiness and liveness: what each actor says, what its group adds up to, what a
//! nested group reports to the actor it runs under.
//!
//! Invariants:
//! - an actor is ready once started (its execute polled once), unless it waits to be told
//!   ([`ActorOptions::ready_when_told`](crate::ActorOptions::ready_when_told)), waits for
//!   others ([`ActorOptions::after`](crate::ActorOptions::after): then once it has started
//!   after them), or runs a group nested under it: then it is ready when that group is;
//! - a group is ready while it runs, has not begun to stop, and every actor is ready; live
//!   while no actor says it is unhealthy and its shutdown is not past its timeout;
//! - every change is made under one lock per group and reported up (child before parent,
//!   so no lock order can invert); a group that tracks nothing has no state at all.
//! - the actors that keep a group from being ready are found in the core's scope tree
//!   ([`not_ready`]), each scope's state read from its extension: the deepest that started
//!   and are not ready, never one still waiting at its gate;
//! - the values actors provide ([`Context::provide`]) are kept on the topmost state of the
//!   tree, under a lock of their own that is never held with another.

use std::{
    any::{Any, TypeId},
    future::Future,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::{
    sync::{Notify, futures::Notified, watch},
    time::Instant,
};

use super::hub::Hub;
use crate::{
    context::Context,
    core::{extension::Extension, scope::Scope},
    name::ActorName,
};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding it; a poisoned one would still be consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a group's readiness is, as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Status {
    pub(crate) ready: bool,
    /// No actor says it is unhealthy (the shutdown's overdue check is made on read).
    pub(crate) healthy: bool,
    pub(crate) stopping: bool,
    /// The drain, if any, is over: the interrupts are being delivered.
    pub(crate) interrupting: bool,
    /// The group's `run()` has returned (or never ran).
    pub(crate) ended: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct MemberState {
    ready: bool,
    unhealthy: bool,
    /// Ready only when told (`ready_when_told`).
    told: bool,
    /// Starts after others: the first poll does not count.
    deferred: bool,
    /// Waits at its gate for those others: it has not started, so it is not to blame for
    /// not being ready.
    waiting: bool,
    /// A group nested under it reports its readiness.
    claimed: bool,
}

#[derive(Default)]
struct Inner {
    members: Vec<MemberState>,
    running: bool,
    stopping: bool,
    interrupting: bool,
    ended: bool,
    /// Past it, the shutdown is overdue: the group is not live.
    overdue_at: Option<Instant>,
    grace: Option<Duration>,
    /// The actor of the group above that this group reports to, by member index.
    parent: Option<(Arc<Shared>, usize)>,
}

/// The readiness state of one running group: the scope's [`Extension`].
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    status: watch::Sender<Status>,
    /// Woken (all waiters) at every change, of any member: what start order waits on.
    changed: Notify,
    /// Reloads ([`super::reload`]), for a top group asked to reload.
    reload: std::sync::OnceLock<Arc<Hub>>,
    /// The values provided by actors ([`Context::provide`]), one per type; kept on the
    /// topmost state of a tree (see [`Shared::top`]). Its own lock, never held with another.
    values: Mutex<Vec<(TypeId, Box<dyn Any + Send + Sync>)>>,
}

impl Shared {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::default(),
            status: watch::Sender::new(Status {
                healthy: true,
                ..Status::default()
            }),
            changed: Notify::new(),
            reload: std::sync::OnceLock::new(),
            values: Mutex::default(),
        })
    }

    /// The topmost readiness state above this one (itself if it reports to none): where the
    /// provided values of the tree are kept. A group whose parent tracks readiness tracks it
    /// too, so every actor of a group, and of the groups under it, finds the same one.
    fn top(self: &Arc<Self>) -> Arc<Self> {
        let mut top = Arc::clone(self);
        loop {
            let parent = lock(&top.inner).parent.clone();
            match parent {
                Some((parent, _)) => top = parent,
                None => return top,
            }
        }
    }

    /// Keeps `value` for [`Shared::provided`], in place of any value of its type.
    fn provide<T: Any + Send + Sync>(&self, value: T) {
        let mut values = lock(&self.values);
        let value: Box<dyn Any + Send + Sync> = Box::new(value);
        match values.iter_mut().find(|(id, _)| *id == TypeId::of::<T>()) {
            Some((_, kept)) => *kept = value,
            None => values.push((TypeId::of::<T>(), value)),
        }
    }

    /// A clone of the value of type `T` kept here, if any.
    fn provided<T: Any + Clone>(&self) -> Option<T> {
        let values = lock(&self.values);
        values
            .iter()
            .find(|(id, _)| *id == TypeId::of::<T>())
            .and_then(|(_, value)| value.downcast_ref::<T>())
            .cloned()
    }

    /// The reload state, if this group was asked to reload.
    pub(crate) fn reload_hub(&self) -> Option<Arc<Hub>> {
        self.reload.get().cloned()
    }

    /// The reload state, made on first use.
    pub(crate) fn reload_hub_or_make(&self) -> Arc<Hub> {
        Arc::clone(self.reload.get_or_init(Arc::default))
    }

    /// The group starts with these members; `grace` is its shutdown timeout.
    pub(crate) fn start(
        &self,
        members: Vec<(bool, bool)>,
        grace: Option<Duration>,
        parent: Option<(Arc<Shared>, usize)>,
    ) {
        let mut inner = lock(&self.inner);
        inner.members = members
            .into_iter()
            .map(|(told, deferred)| MemberState {
                told,
                deferred,
                waiting: deferred,
                ..MemberState::default()
            })
            .collect();
        inner.running = true;
        inner.grace = grace;
        if let Some((parent, index)) = &parent {
            parent.claim(*index);
        }
        inner.parent = parent;
        self.publish(&inner);
    }

    fn update(&self, change: impl FnOnce(&mut Inner)) {
        let mut inner = lock(&self.inner);
        change(&mut inner);
        self.publish(&inner);
        drop(inner);
        self.changed.notify_waiters();
    }

    /// A wake-up for the next change; one created before a check loses nothing.
    pub(crate) fn changed(&self) -> Notified<'_> {
        self.changed.notified()
    }

    fn member(&self, index: usize, change: impl FnOnce(&mut MemberState)) {
        self.update(|inner| {
            if let Some(member) = inner.members.get_mut(index) {
                change(member);
            }
        });
    }

    /// Recomputes the status, publishes it, and reports it up; under the lock, so that
    /// reports reach the parent in order.
    fn publish(&self, inner: &Inner) {
        let ready = inner.running
            && !inner.stopping
            && !inner.ended
            && inner.members.iter().all(|member| member.ready);
        let healthy = !inner.members.iter().any(|member| member.unhealthy);
        let status = Status {
            ready,
            healthy,
            stopping: inner.stopping || inner.ended,
            interrupting: inner.interrupting,
            ended: inner.ended,
        };
        let changed = self.status.send_if_modified(|old| {
            let changed = *old != status;
            *old = status;
            changed
        });
        if let (true, Some((parent, index))) = (changed, &inner.parent) {
            parent.member(*index, |member| {
                member.ready = ready;
                member.unhealthy = !healthy;
            });
        }
    }

    /// A group nested under member `index` reports its readiness from now on.
    fn claim(&self, index: usize) {
        self.member(index, |member| {
            member.claimed = true;
            member.ready = false;
        });
    }

    /// The gate of a member that starts after others has opened: it starts now.
    pub(crate) fn gate_opened(&self, index: usize) {
        self.member(index, |member| member.waiting = false);
    }

    /// A member that starts after others has started.
    pub(crate) fn deferred_started(&self, index: usize) {
        self.member(index, |member| {
            if !member.told && !member.claimed {
                member.ready = true;
            }
        });
    }

    pub(crate) fn set_ready(&self, index: usize, ready: bool) {
        self.member(index, |member| member.ready = ready);
    }

    pub(crate) fn set_healthy(&self, index: usize, healthy: bool) {
        self.member(index, |member| member.unhealthy = !healthy);
    }

    pub(crate) fn is_member_ready(&self, index: usize) -> bool {
        lock(&self.inner)
            .members
            .get(index)
            .is_some_and(|member| member.ready)
    }

    /// Whether member `index` has started and is not ready: it, or a group nested under
    /// it, is what keeps the group from being ready.
    fn holds_up(&self, index: usize) -> bool {
        lock(&self.inner)
            .members
            .get(index)
            .is_some_and(|member| !member.ready && !member.waiting)
    }

    /// The group's `run()` has returned, or will never run its actors.
    pub(crate) fn end(&self) {
        self.update(|inner| inner.ended = true);
    }

    pub(crate) fn status(&self) -> Status {
        *self.status.borrow()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<Status> {
        self.status.subscribe()
    }

    fn is_live(&self) -> bool {
        let status = self.status();
        let overdue = lock(&self.inner)
            .overdue_at
            .is_some_and(|at| Instant::now() >= at);
        status.healthy && !overdue && !status.ended
    }

    /// The readiness state of the group `ctx`'s actor runs in, and the actor's index in it.
    fn of(ctx: &Context) -> Option<(&Shared, usize)> {
        let member = ctx.member();
        Some((Self::in_scope(&member.scope)?, member.index()))
    }

    /// [`Shared::of`], shared.
    fn owned(ctx: &Context) -> Option<Arc<Shared>> {
        let extension = Arc::clone(ctx.member().scope.extension()?);
        extension.into_any().downcast::<Shared>().ok()
    }

    /// The readiness state of the group that runs `scope`, if it tracks readiness.
    fn in_scope(scope: &Scope) -> Option<&Shared> {
        scope.extension()?.as_any().downcast_ref::<Shared>()
    }
}

/// The actors under `scope`, at any depth, that started and are not ready: the leaves of
/// the scope tree that keep it from being ready. Not an actor that runs a nested group (the
/// group's own are named instead, unless none is to blame), nor one still waiting for others
/// to be ready (those others are to blame).
pub(crate) fn not_ready(scope: &Scope) -> Vec<ActorName> {
    scope.picked_leaves(&|scope, index| {
        Shared::in_scope(scope).is_some_and(|shared| shared.holds_up(index))
    })
}

impl Extension for Shared {
    fn first_polled(&self, index: usize) {
        self.member(index, |member| {
            if !member.told && !member.deferred && !member.claimed {
                member.ready = true;
            }
        });
    }

    fn stop_began(&self) {
        self.update(|inner| {
            inner.stopping = true;
            inner.overdue_at = inner.grace.map(|grace| Instant::now() + grace);
        });
    }

    fn interrupts_began(&self) {
        self.update(|inner| inner.interrupting = true);
    }

    /// An incarnation reports its readiness to the restartable actor's member: that member
    /// is ready while an incarnation runs and is ready, not while it waits to start again.
    /// Each incarnation of a `ready_when_told` actor is ready only once it says so.
    fn incarnation(self: Arc<Self>, index: usize) -> Option<Arc<dyn Extension>> {
        let told = lock(&self.inner)
            .members
            .get(index)
            .is_some_and(|member| member.told);
        let shared = Shared::new();
        shared.start(vec![(told, false)], None, Some((self, index)));
        Some(shared)
    }

    fn ended(&self) {
        self.end();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// A live view of a group's readiness and liveness: what a `/ready` and a `/live` probe, or
/// systemd's notifications, are made from. Get it before the group runs, with
/// [`Group::readiness`](crate::Group::readiness), or from inside, with
/// [`Context::readiness`]. Cloning is cheap; every clone watches the same group.
///
/// The group is *ready* while it runs, has not begun to stop, and every actor is ready (see
/// [`Context::set_ready`]); *live* while no actor says it is unhealthy
/// ([`Context::set_unhealthy`]) and its shutdown has not run past its timeout.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, Group};
///
/// let mut group = Group::named("app");
/// let readiness = group.readiness();
/// group
///     .spawn(|ctx: Context| async move {
///         // ... connect, warm up ...
///         ctx.set_ready();
///         ctx.interrupted().await;
///     })
///     .name("db")
///     .ready_when_told();
/// let watcher = readiness.clone();
/// group.spawn(move |_ctx: Context| async move {
///     assert!(watcher.wait_ready().await); // once `db` said so
///     assert!(watcher.is_ready() && watcher.is_live());
/// });
/// group.run().await.unwrap();
/// assert!(!readiness.is_ready()); // the group has ended
/// # }
/// ```
#[derive(Clone)]
pub struct Readiness {
    pub(crate) shared: Arc<Shared>,
}

impl Readiness {
    /// Whether the group is ready now.
    pub fn is_ready(&self) -> bool {
        self.shared.status().ready
    }

    /// Whether the group is live now: no actor says it is unhealthy and its shutdown is not
    /// overdue. A draining or stopping group is still live; an ended one is not.
    pub fn is_live(&self) -> bool {
        self.shared.is_live()
    }

    /// Whether the group has begun to stop (or has ended): from the first signal on, during
    /// a drain too.
    pub fn is_stopping(&self) -> bool {
        self.shared.status().stopping
    }

    /// Completes once the group is ready (`true`), or once it begins to stop without having
    /// been ready (`false`).
    // An explicit `Send` future rather than an `async fn`; see `Group::run`.
    #[allow(clippy::manual_async_fn)]
    pub fn wait_ready(&self) -> impl Future<Output = bool> + Send + 'static + use<> {
        let mut status = self.shared.subscribe();
        async move {
            match status
                .wait_for(|status| status.ready || status.stopping)
                .await
            {
                Ok(status) => status.ready,
                Err(_) => false,
            }
        }
    }

    /// Completes once the group begins to stop (at once if it has).
    #[allow(clippy::manual_async_fn)]
    pub fn wait_stopping(&self) -> impl Future<Output = ()> + Send + 'static + use<> {
        let mut status = self.shared.subscribe();
        async move {
            let _ = status.wait_for(|status| status.stopping).await;
        }
    }

    /// The status code of a readiness probe (`GET /ready`): 200 when
    /// [ready](Readiness::is_ready), else 503. Framework-free: hand it to any HTTP server.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut group = run::Group::new();
    /// let readiness = group.readiness();
    /// assert_eq!(readiness.ready_status(), 503); // not running yet
    /// assert_eq!(readiness.live_status(), 200);
    /// # }
    /// ```
    pub fn ready_status(&self) -> u16 {
        if self.is_ready() { 200 } else { 503 }
    }

    /// The status code of a liveness probe (`GET /live`): 200 when
    /// [live](Readiness::is_live), else 503.
    pub fn live_status(&self) -> u16 {
        if self.is_live() { 200 } else { 503 }
    }
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness")
            .field("ready", &self.is_ready())
            .field("live", &self.is_live())
            .field("stopping", &self.is_stopping())
            .finish()
    }
}

impl Context {
    /// Says this actor is ready (serving, connected, warmed up): what an actor marked
    /// [`ready_when_told`](crate::ActorOptions::ready_when_told) must do for its group to be
    /// ready; actors started [`after`](crate::ActorOptions::after) it start now. An actor
    /// that never calls it is ready once started. Does nothing when no one tracks the
    /// group's readiness, and for a child task ([`Context::spawn`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    ///
    /// let mut group = Group::new();
    /// let readiness = group.readiness();
    /// group
    ///     .spawn(|ctx: Context| async move {
    ///         ctx.set_ready();
    ///         ctx.set_not_ready(); // lost its database: out of the load balancer
    ///         ctx.interrupted().await;
    ///     })
    ///     .ready_when_told();
    /// let view = readiness.clone();
    /// group.spawn(move |_ctx: Context| async move {
    ///     tokio::task::yield_now().await;
    ///     assert!(!view.is_ready());
    /// });
    /// group.run().await.unwrap();
    /// # }
    /// ```
    pub fn set_ready(&self) {
        if let Some((shared, index)) = Shared::of(self) {
            shared.set_ready(index, true);
        }
    }

    /// Hands `value` to the actors that start after this one, and says this actor is ready
    /// ([`set_ready`](Context::set_ready)): an actor started
    /// [`after`](crate::ActorOptions::after) it gets a clone with
    /// [`provided`](Context::provided). For a connection pool, a client, a channel's sender
    /// that one actor makes once it is up and others use, without a cell made by hand.
    ///
    /// The provider waits to be told it is ready
    /// ([`ready_when_told`](crate::ActorOptions::ready_when_told)), so that those after it
    /// start once the value is there. The value is kept for the whole tree, one per type (a
    /// second `provide` of the same type replaces it, as a restarted provider does: those
    /// that took the first keep it); wrap it in a type of its own to provide two of one type.
    /// It is kept where the tree tracks readiness, which a group using `after` or
    /// `ready_when_told` does (and everything under [`#[run::main]`](crate::main)); elsewhere
    /// it is dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{actor, Context, Runner};
    ///
    /// /// A connection pool: cheap to clone, each clone the same pool.
    /// #[derive(Clone)]
    /// struct Pool(std::sync::Arc<String>);
    ///
    /// #[actor]
    /// async fn db(url: String, ctx: Context) {
    ///     let pool = Pool(std::sync::Arc::new(url)); // connect
    ///     ctx.provide(pool);
    ///     ctx.interrupted().await;
    /// }
    ///
    /// #[actor]
    /// async fn http(ctx: Context) -> Result<(), std::io::Error> {
    ///     let pool: Pool = ctx.provided().expect("`db` provides the pool");
    ///     assert_eq!(*pool.0, "postgres://localhost");
    ///     Ok(()) // (a server would serve until interrupted)
    /// }
    ///
    /// #[derive(Runner)]
    /// struct App {
    ///     #[actor(ready_when_told)]
    ///     db: Db,
    ///     #[actor(after = "db")]
    ///     http: Http,
    /// }
    ///
    /// let mut group = run::Group::new();
    /// group.spawn(App { db: db("postgres://localhost".into()), http: http() });
    /// group.run().await.unwrap(); // `http` returned: the app stopped
    /// # }
    /// ```
    pub fn provide<T: Clone + Send + Sync + 'static>(&self, value: T) {
        if let Some(shared) = Shared::owned(self) {
            // Kept before the readiness changes: whoever that lets start finds the value.
            shared.top().provide(value);
            shared.set_ready(self.member().index(), true);
        }
    }

    /// A clone of the value of type `T` that an actor of this tree [provided](Context::provide),
    /// if one did; `None` if none did (yet: start this actor
    /// [`after`](crate::ActorOptions::after) the provider, and give the provider
    /// [`ready_when_told`](crate::ActorOptions::ready_when_told), so that it has).
    pub fn provided<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        Shared::owned(self)?.top().provided()
    }

    /// Says this actor is not ready (any more): its group is not ready until it says
    /// [`set_ready`](Context::set_ready) again.
    pub fn set_not_ready(&self) {
        if let Some((shared, index)) = Shared::of(self) {
            shared.set_ready(index, false);
        }
    }

    /// Says this actor is stuck or broken beyond repair: its group, and every group above,
    /// is not live (`/live` answers 503, systemd's watchdog pings stop, so that the service
    /// is restarted) until it says [`set_healthy`](Context::set_healthy).
    pub fn set_unhealthy(&self) {
        if let Some((shared, index)) = Shared::of(self) {
            shared.set_healthy(index, false);
        }
    }

    /// Takes back [`set_unhealthy`](Context::set_unhealthy).
    pub fn set_healthy(&self) {
        if let Some((shared, index)) = Shared::of(self) {
            shared.set_healthy(index, true);
        }
    }

    /// The readiness of the whole app: of the top group of the tree this actor runs in
    /// (what a `/ready` probe answers for); `None` if that group does not track readiness.
    /// It always does under [`#[run::main]`](crate::main), so there this is always `Some`.
    /// Tracking is opt-in so that a group that uses none of it pays nothing for it: a
    /// hand-made group tracks readiness once
    /// [`Group::readiness`](crate::Group::readiness) was called, or an actor of it uses a
    /// readiness option ([`ready_when_told`](crate::ActorOptions::ready_when_told),
    /// [`after`](crate::ActorOptions::after)) or it has a
    /// [drain](crate::Group::drain) or a [start-up timeout](crate::Group::startup_timeout).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    ///
    /// let mut app = Group::named("app");
    /// let _ = app.readiness();
    /// app.spawn(|ctx: Context| async move {
    ///     let mut inner = ctx.group_named("inner");
    ///     inner.spawn(|ctx: Context| async move {
    ///         let readiness = ctx.readiness().expect("the top group tracks readiness");
    ///         assert!(readiness.wait_ready().await);
    ///     });
    ///     inner.run().await
    /// });
    /// app.run().await.unwrap();
    /// # }
    /// ```
    pub fn readiness(&self) -> Option<Readiness> {
        let root = self.member().scope.root();
        let shared = Arc::clone(root.extension()?)
            .into_any()
            .downcast::<Shared>()
            .ok()?;
        Some(Readiness { shared })
    }
}
