//! Deployment: readiness and liveness, the drain before the stop, start order by
//! dependency, probes, reloads, and systemd's notifications (feature `systemd`).
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
//! - [`reload`]: reload requests (SIGHUP) to the actors that opt in, told to systemd; their
//!   state, [`hub`], is kept on the readiness state.
//! - `systemd` (feature `systemd`, Unix only): `READY=1`, `STOPPING=1`, `STATUS=`, watchdog
//!   pings.
//! - `root_report` (features `tracing`, `metrics`): the app's start, readiness, stop and end,
//!   as `INFO` records and as series.

pub(crate) mod hub;
pub(crate) mod order;
pub(crate) mod probe;
pub(crate) mod readiness;
pub(crate) mod reload;
#[cfg(any(feature = "metrics", feature = "tracing"))]
pub(crate) mod root_report;
#[cfg(all(feature = "systemd", unix))]
pub(crate) mod systemd;

use std::{borrow::Cow, future::Future, pin::Pin, sync::Arc, time::Duration};

use self::{
    order::Gate,
    readiness::{Readiness, Shared},
    reload::ReloadHandle,
};
use crate::{
    context::Context,
    core::{cause::Cause, scope::Scope},
    error::Error,
    name::Leaf,
};

/// A group's deployment settings, as its builder sets them; all off by default.
#[derive(Default)]
pub(crate) struct GroupSettings {
    /// Made on the first ask for a [`Readiness`] or a [`ReloadHandle`]: the state they
    /// watch.
    readiness: Option<Arc<Shared>>,
    pub(crate) drain: Option<Duration>,
    startup_timeout: Option<Duration>,
}

impl GroupSettings {
    /// A view of the group's readiness; the group tracks it from now on.
    pub(crate) fn readiness(&mut self) -> Readiness {
        Readiness {
            shared: Arc::clone(self.shared()),
        }
    }

    /// A handle that requests reloads of the group; the group tracks readiness, whose
    /// state keeps the reloads'.
    pub(crate) fn reload_handle(&mut self) -> ReloadHandle {
        ReloadHandle::new(self.shared().reload_hub_or_make())
    }

    fn shared(&mut self) -> &Arc<Shared> {
        self.readiness.get_or_insert_with(Shared::new)
    }

    pub(crate) fn set_drain(&mut self, delay: Duration) {
        self.drain = Some(delay);
    }

    pub(crate) fn set_startup_timeout(&mut self, timeout: Duration) {
        self.startup_timeout = Some(timeout);
    }

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

    /// The actor starts once the actors named `name` are ready (too).
    pub(crate) fn after(&mut self, name: Cow<'static, str>) {
        self.after.push(name);
    }

    /// The actor is ready once it says so.
    pub(crate) fn ready_when_told(&mut self) {
        self.ready_when_told = true;
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
        let (gates, stages) = if has_order {
            let own: Vec<u32> = actors.iter().map(|(_, _, stage)| *stage).collect();
            let order = order::order(path, &leaves, &after, &own)?;
            let gates = (order.after.iter().enumerate())
                .map(|(index, after)| {
                    (!after.is_empty())
                        .then(|| Gate::new(Arc::clone(&shared), index, after.clone()))
                })
                .collect();
            (gates, Some((order.stages, order.stage_of_step)))
        } else {
            (Vec::new(), None)
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
        Ok(Some(Self {
            shared,
            gates,
            stages,
            startup_timeout: settings.startup_timeout,
        }))
    }

    /// The gate of actor `index`, if it starts after others.
    pub(crate) fn gate(&mut self, index: usize) -> Option<Gate> {
        self.gates.get_mut(index).and_then(Option::take)
    }

    /// The group's stop future, plus the start-up timeout's watch: past it, the group stops
    /// with [`Error::StartupTimeout`], naming the actors that started and never became
    /// ready, at any depth under the group's scope (not those still waiting for them, nor
    /// those above them: [`readiness::not_ready`]).
    pub(crate) fn watch(
        &self,
        stop: Option<Pin<Box<dyn Future<Output = ()> + Send + 'static>>>,
        scope: &Arc<Scope>,
    ) -> Option<Pin<Box<dyn Future<Output = ()> + Send + 'static>>> {
        let Some(timeout) = self.startup_timeout else {
            return stop;
        };
        let view = Readiness {
            shared: Arc::clone(&self.shared),
        };
        let scope = Arc::downgrade(scope);
        let watch = async move {
            if tokio::time::timeout(timeout, view.wait_ready())
                .await
                .is_err()
            {
                if let Some(scope) = scope.upgrade() {
                    let not_ready = readiness::not_ready(&scope);
                    if let Some(first) = not_ready.first().cloned() {
                        scope.stop(Cause::Exit {
                            actor: first,
                            result: Err(Error::StartupTimeout {
                                not_ready,
                                after: timeout,
                            }),
                        });
                    }
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
/// feature `systemd` on Unix.
pub(crate) async fn run_root<F: Future<Output = Result<(), crate::error::Error>>>(
    run: F,
    readiness: Readiness,
    started: std::time::Instant,
    cause: impl Fn() -> Option<crate::core::cause::Cause>,
) -> F::Output {
    #[cfg(any(feature = "metrics", feature = "tracing"))]
    let run = root_report::reported(run, readiness.clone(), started, cause);
    #[cfg(not(any(feature = "metrics", feature = "tracing")))]
    let _ = (started, cause);
    #[cfg(all(feature = "systemd", unix))]
    return systemd::notify_while(run, readiness).await;
    #[cfg(not(all(feature = "systemd", unix)))]
    {
        drop(readiness);
        run.await
    }
}

impl Drop for Plan {
    fn drop(&mut self) {
        self.shared.end();
    }
}
