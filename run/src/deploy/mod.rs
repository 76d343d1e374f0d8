//! Deployment: readiness and liveness (SPEC S3), the drain before the stop (S5), start order
//! by dependency (S6), probes, and systemd's notifications (feature `systemd`).
//!
//! Built on the core: a group that uses any of it gives its scope a readiness state, the
//! scope's one [`Extension`](crate::core::extension::Extension), which the core tells of each
//! actor's first poll and of the stop; the drain itself is the core's run loop's (stop logic
//! lives there). A group that uses none of it has no such state: nothing is allocated,
//! locked or counted for it.
//!
//! - [`readiness`]: the state, [`Readiness`](readiness::Readiness), the `Context` methods.
//! - [`order`]: the dependency graph, checked before anything starts, and the start gate.
//! - [`probe`]: `/ready` and `/live` (feature `axum` for the routes).
//! - [`reload`]: reload requests (SIGHUP) to the actors that opt in, told to systemd.
//! - `systemd` (feature `systemd`): `READY=1`, `STOPPING=1`, `STATUS=`, watchdog pings.

pub(crate) mod order;
pub(crate) mod probe;
pub(crate) mod readiness;
pub(crate) mod reload;
#[cfg(feature = "systemd")]
pub(crate) mod systemd;

use std::{borrow::Cow, future::Future, pin::Pin, sync::Arc, time::Duration};

use self::{
    order::Gate,
    readiness::{Readiness, Shared},
};
use crate::{
    context::Context,
    core::{cause::Cause, scope::Scope},
    error::Error,
    group::{ActorOptions, Group},
    name::{ActorName, Leaf},
};

/// A group's deployment settings; all off by default.
#[derive(Default)]
pub(crate) struct GroupSettings {
    /// Made by [`Group::readiness`]: the state the handles watch.
    readiness: Option<Arc<Shared>>,
    pub(crate) drain: Option<Duration>,
    startup_timeout: Option<Duration>,
}

impl GroupSettings {
    fn in_use(&self) -> bool {
        self.readiness.is_some() || self.drain.is_some() || self.startup_timeout.is_some()
    }

    /// The group will not run its actors: its readiness handles learn it has ended.
    pub(crate) fn end(&self) {
        if let Some(shared) = &self.readiness {
            shared.end();
        }
    }
}

/// An actor's start options, in its [`ActorExtras`](crate::group): set only by the rare
/// actor that uses them.
#[derive(Default)]
pub(crate) struct ActorStart {
    after: Vec<Cow<'static, str>>,
    ready_when_told: bool,
}

impl ActorStart {
    fn in_use(&self) -> bool {
        self.ready_when_told || !self.after.is_empty()
    }
}

/// What a group that uses deployment features runs with.
pub(crate) struct Plan {
    pub(crate) shared: Arc<Shared>,
    /// Per actor with dependencies: its gate.
    gates: Vec<Option<Gate>>,
    /// Per actor: its step in the shutdown; per step, its stage's position among the stages;
    /// `None` to keep the group's own stages.
    pub(crate) stages: Option<(Vec<usize>, Box<[u32]>)>,
    startup_timeout: Option<Duration>,
    names: Vec<ActorName>,
    /// Per actor, the actors it starts after.
    after: Vec<Vec<usize>>,
}

impl Plan {
    /// The plan of a group about to run, or `None` when it uses nothing of this module (the
    /// common case, which costs one look at each actor's extras). Checks the start order.
    /// Whether a group needs a plan at all: deployment options on it or on an actor, or a
    /// parent that tracks readiness. Asked before anything is gathered for a plan, so that a
    /// group without them pays nothing.
    pub(crate) fn needed<'a>(
        settings: &GroupSettings,
        parent: Option<&Context>,
        mut starts: impl Iterator<Item = Option<&'a ActorStart>>,
    ) -> bool {
        settings.in_use()
            || parent.is_some_and(|ctx| ctx.member().scope.extension().is_some())
            || starts.any(|start| start.is_some_and(ActorStart::in_use))
    }

    pub(crate) fn new(
        settings: &GroupSettings,
        parent: Option<&Context>,
        path: Option<&Arc<str>>,
        actors: &[(&Leaf, Option<&ActorStart>, u32)],
        grace: Option<Duration>,
    ) -> Result<Option<Self>, Error> {
        let parent_state = parent.and_then(|ctx| {
            let member = ctx.member();
            let extension = Arc::clone(member.scope.extension()?);
            let shared = extension.into_any().downcast::<Shared>().ok()?;
            Some((shared, member.index()))
        });
        let starts = actors
            .iter()
            .any(|(_, start, _)| start.is_some_and(ActorStart::in_use));
        if !starts && !settings.in_use() && parent_state.is_none() {
            return Ok(None);
        }
        let leaves: Vec<Leaf> = actors.iter().map(|(leaf, ..)| (*leaf).clone()).collect();
        let empty: &[Cow<'static, str>] = &[];
        let after: Vec<&[Cow<'static, str>]> = actors
            .iter()
            .map(|(_, start, _)| start.map_or(empty, |start| &start.after[..]))
            .collect();
        let has_order = after.iter().any(|after| !after.is_empty());
        let shared = settings.readiness.clone().unwrap_or_else(Shared::new);
        let (after, gates, stages) = if has_order {
            let own: Vec<u32> = actors.iter().map(|(_, _, stage)| *stage).collect();
            let order = order::order(path, &leaves, &after, &own)?;
            let gates = (order.after.iter().enumerate())
                .map(|(index, after)| {
                    (!after.is_empty())
                        .then(|| Gate::new(Arc::clone(&shared), index, after.clone()))
                })
                .collect();
            (
                order.after,
                gates,
                Some((order.stages, order.stage_of_step)),
            )
        } else {
            (Vec::new(), Vec::new(), None)
        };
        let members = actors
            .iter()
            .enumerate()
            .map(|(index, (_, start, _))| {
                let told = start.is_some_and(|start| start.ready_when_told);
                let deferred = gates.get(index).is_some_and(Option::is_some);
                (told, deferred)
            })
            .collect();
        shared.start(members, grace, parent_state);
        let names = leaves
            .into_iter()
            .map(|leaf| ActorName::new(path.cloned(), leaf))
            .collect();
        Ok(Some(Self {
            shared,
            gates,
            stages,
            startup_timeout: settings.startup_timeout,
            names,
            after,
        }))
    }

    /// The gate of actor `index`, if it starts after others.
    pub(crate) fn gate(&mut self, index: usize) -> Option<Gate> {
        self.gates.get_mut(index).and_then(Option::take)
    }

    /// The group's stop future, plus the start-up timeout's watch: past it, the group stops
    /// with [`Error::StartupTimeout`], naming the actors that never became ready (not those
    /// still waiting for them).
    pub(crate) fn watch(
        &self,
        stop: Option<Pin<Box<dyn Future<Output = ()> + Send + 'static>>>,
        scope: &Arc<Scope>,
    ) -> Option<Pin<Box<dyn Future<Output = ()> + Send + 'static>>> {
        let Some(timeout) = self.startup_timeout else {
            return stop;
        };
        let readiness = Readiness {
            shared: Arc::clone(&self.shared),
        };
        let scope = Arc::downgrade(scope);
        let names = self.names.clone();
        let after = self.after.clone();
        let watch = async move {
            if tokio::time::timeout(timeout, readiness.wait_ready())
                .await
                .is_err()
            {
                let shared = &readiness.shared;
                // An actor still waiting for others is not to blame: those others are.
                let started = |index: &usize| {
                    (after.get(*index).into_iter().flatten())
                        .all(|&dep| shared.is_member_ready(dep))
                };
                let not_ready: Vec<ActorName> = (shared.not_ready().iter())
                    .filter(|index| started(index))
                    .map(|&index| names[index].clone())
                    .collect();
                if let (Some(scope), Some(first)) = (scope.upgrade(), not_ready.first()) {
                    scope.stop(Cause::Exit {
                        actor: first.clone(),
                        result: Err(Error::StartupTimeout {
                            not_ready,
                            after: timeout,
                        }),
                    });
                }
            }
            std::future::pending::<()>().await;
        };
        Some(Box::pin(async move {
            let mut watch = std::pin::pin!(watch);
            match stop {
                Some(mut stop) => {
                    std::future::poll_fn(|cx| {
                        if stop.as_mut().poll(cx).is_ready() {
                            return std::task::Poll::Ready(());
                        }
                        watch.as_mut().poll(cx)
                    })
                    .await
                }
                None => watch.await,
            }
        }))
    }
}

/// Runs the root group of `#[run::main]` (`run`), telling systemd about `readiness` with
/// feature `systemd`.
pub(crate) async fn run_root<F: Future>(run: F, readiness: Readiness) -> F::Output {
    #[cfg(feature = "systemd")]
    return systemd::notify_while(run, readiness).await;
    #[cfg(not(feature = "systemd"))]
    {
        drop(readiness);
        run.await
    }
}

impl<Kind> ActorOptions<'_, Kind> {
    fn start(&mut self) -> &mut ActorStart {
        &mut self.actor().extras().start
    }
}

impl Drop for Plan {
    fn drop(&mut self) {
        self.shared.end();
    }
}

impl Group {
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
        let shared = self.deploy.readiness.get_or_insert_with(Shared::new);
        Readiness {
            shared: Arc::clone(shared),
        }
    }

    /// Drains before it stops (SPEC S5): on a graceful stop (a signal, a
    /// [stop request](crate::StopHandle)), readiness turns to not ready at once, every actor
    /// keeps running for `delay` (a load balancer moves the traffic away meanwhile), then the
    /// staged shutdown begins. A second signal during the drain still forces the exit at
    /// once; a stop for any other cause (an actor's exit or failure) does not drain. The
    /// delay counts against the [shutdown timeout](Group::shutdown_timeout): a drain as
    /// long as the timeout makes [`run`](Group::run) return [`Error::OverBudget`] (see
    /// the [shutdown budget](Group::shutdown_timeout)).
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
        self.deploy.drain = Some(delay);
        self
    }

    /// Gives the start-up at most `timeout`, counted from [`run`](Group::run): if the group
    /// is not ready by then, it stops with [`Error::StartupTimeout`], naming the actors that
    /// never became ready (not those still waiting to start after them).
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
        self.deploy.startup_timeout = Some(timeout);
        self
    }
}

impl<Kind> ActorOptions<'_, Kind> {
    /// Starts the actor only once the actor named `name` (of the same group; every actor of
    /// that name) is ready; call it again for more. Independent actors start in parallel. At
    /// shutdown, it is interrupted before the actors it starts after, each of which waits
    /// until it has returned (within a [stage](ActorOptions::stage): stages come first).
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
        self.start().after.push(name.into());
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
        self.start().ready_when_told = true;
        self
    }
}
