//! Reload as a lifecycle event: SIGHUP under `#[run::main]`, or
//! [`ReloadHandle::reload`], reaches the actors that opted in with [`Context::reloads`]; the
//! reload is done once each has answered, and a failed one is reported without stopping the
//! group.
//!
//! Invariants: the reload state ([`super::hub`], which keeps the counting's own) lives on the
//! top group's readiness state (its scope's extension), made only when asked for
//! ([`Group::reload_handle`](crate::Group::reload_handle), `#[run::main]`), so a group that
//! does not reload pays nothing; an actor that opted in is counted in every reload requested
//! after it did, until it answers, its [`Reload`] is dropped (an answer: done), or its
//! [`Reloads`] is dropped (it no longer takes part).

use std::{future::Future, sync::Arc};

use super::{hub::Hub, readiness::Shared};
use crate::{
    context::Context,
    core::event::Event,
    error::{BoxError, Error},
};

/// Requests reloads of a group's actors: what SIGHUP does under `#[run::main]`, and what a
/// test calls. Cloning is cheap; all clones request reloads of the same group.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, Group};
/// use std::sync::{Arc, Mutex};
///
/// let config = Arc::new(Mutex::new("v1".to_string()));
/// let mut group = Group::new();
/// let reload = group.reload_handle();
/// let seen = config.clone();
/// group.spawn(move |ctx: Context| async move {
///     let mut reloads = ctx.reloads();
///     loop {
///         tokio::select! {
///             _ = ctx.interrupted() => return Ok::<_, std::io::Error>(()),
///             request = reloads.requested() => {
///                 *seen.lock().unwrap() = "v2".to_string(); // reread the config
///                 request.ok();
///             }
///         }
///     }
/// });
/// group.spawn(move |ctx: Context| async move {
///     tokio::task::yield_now().await; // let the other actor opt in
///     reload.reload().await?;
///     ctx.stop_handle().stop();
///     Ok::<_, run::Error>(())
/// });
/// group.run().await.unwrap();
/// assert_eq!(*config.lock().unwrap(), "v2");
/// # }
/// ```
#[derive(Clone)]
pub struct ReloadHandle {
    hub: Arc<Hub>,
}

impl ReloadHandle {
    /// Requests a reload and waits until every actor that opted in ([`Context::reloads`]) has
    /// answered; `Err(`[`Error::ReloadFailed`]`)` names those that failed. The group keeps
    /// running either way. With no actor opted in, it is done at once. A reload requested
    /// while one is pending supersedes it: both calls return the newer one's outcome.
    pub fn reload(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        self.hub.reload()
    }

    /// The handle of the app whose reload state is `hub`.
    pub(crate) fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }
}

impl std::fmt::Debug for ReloadHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadHandle").finish_non_exhaustive()
    }
}

/// An actor's subscription to reloads, from [`Context::reloads`]: while it is alive, every
/// reload waits for this actor's answer. In a group that does not reload (no
/// [`Group::reload_handle`](crate::Group::reload_handle), not under `#[run::main]`),
/// [`requested`](Reloads::requested) never completes.
pub struct Reloads {
    ctx: Context,
    hub: Option<Arc<Hub>>,
    /// The newest reload this subscriber has seen (or that was before it subscribed).
    seen: u64,
    /// The reload it subscribed after.
    since: u64,
    /// The newest reload it has answered.
    answered: u64,
}

impl Reloads {
    /// Completes with the next reload request; answer it with [`Reload::ok`] or
    /// [`Reload::fail`].
    // An explicit `Send` future rather than an `async fn`; see `Group::run`.
    #[allow(clippy::manual_async_fn)]
    pub fn requested(&mut self) -> impl Future<Output = Reload<'_>> + Send + '_ {
        async move {
            let Some(hub) = self.hub.clone() else {
                return std::future::pending().await;
            };
            let generation = hub.requested(self.seen).await;
            self.seen = generation;
            Reload {
                reloads: self,
                generation,
            }
        }
    }
}

impl Drop for Reloads {
    fn drop(&mut self) {
        if let Some(hub) = &self.hub {
            hub.unsubscribe(self.since, self.answered);
        }
    }
}

impl std::fmt::Debug for Reloads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloads")
            .field("actor", &self.ctx.name())
            .finish_non_exhaustive()
    }
}

/// One reload request to one actor: answer it with [`ok`](Reload::ok) or
/// [`fail`](Reload::fail) (or [`done`](Reload::done) with a `Result`). Dropped unanswered,
/// it counts as done.
#[must_use = "answer the reload with `ok` or `fail`; dropped, it counts as done"]
pub struct Reload<'a> {
    reloads: &'a mut Reloads,
    generation: u64,
}

impl Reload<'_> {
    /// Answers the request: this actor has reloaded. The same as dropping the request, said
    /// out loud.
    pub fn ok(self) {
        self.done(Ok::<_, BoxError>(()));
    }

    /// Answers the request: this actor could not reload, for `error`. The failure is
    /// reported (an [`Event::ReloadFailed`] for the hook and `tracing`, and the reload's
    /// [`Error::ReloadFailed`]) and the actor goes on; to stop the group on it, return the
    /// error from the actor instead.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Error, Group};
    ///
    /// let mut group = Group::named("app");
    /// let reload = group.reload_handle();
    /// group
    ///     .spawn(|ctx: Context| async move {
    ///         let mut reloads = ctx.reloads();
    ///         loop {
    ///             tokio::select! {
    ///                 () = ctx.interrupted() => return,
    ///                 request = reloads.requested() => request.fail("config.toml: not found"),
    ///             }
    ///         }
    ///     })
    ///     .name("config");
    /// group.spawn(move |ctx: Context| async move {
    ///     tokio::task::yield_now().await; // let the other actor opt in
    ///     let error = reload.reload().await.unwrap_err();
    ///     assert!(matches!(error, Error::ReloadFailed { .. }));
    ///     assert_eq!(
    ///         error.to_string(),
    ///         "reload failed: actor `app/config` failed: config.toml: not found"
    ///     );
    ///     ctx.stop_handle().stop();
    /// });
    /// group.run().await.unwrap();
    /// # }
    /// ```
    pub fn fail(self, error: impl Into<BoxError>) {
        self.done(Err(error));
    }

    /// Answers the request with a result in hand: `Ok` is [`ok`](Reload::ok), `Err` is
    /// [`fail`](Reload::fail).
    pub fn done<E: Into<BoxError>>(mut self, result: Result<(), E>) {
        let failure = result.err().map(|error| {
            let ctx = &self.reloads.ctx;
            Error::from_actor(|| ctx.name(), error.into())
        });
        if let Some(failure) = &failure {
            let member = self.reloads.ctx.member();
            member.scope.emit(member.index(), |actor, send| {
                send(&Event::ReloadFailed {
                    actor,
                    error: failure,
                })
            });
        }
        self.answer(failure);
    }

    fn answer(&mut self, failure: Option<Error>) {
        if self.reloads.answered >= self.generation {
            return;
        }
        self.reloads.answered = self.generation;
        if let Some(hub) = &self.reloads.hub {
            hub.answer(self.generation, failure);
        }
    }
}

impl Drop for Reload<'_> {
    fn drop(&mut self) {
        self.answer(None);
    }
}

impl std::fmt::Debug for Reload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reload")
            .field("generation", &self.generation)
            .finish()
    }
}

/// The reload state of the app `ctx` runs in: its top group's, if it reloads.
fn hub_of(ctx: &Context) -> Option<Arc<Hub>> {
    let root = ctx.member().scope.root();
    let extension = root.extension()?;
    let shared = extension.as_any().downcast_ref::<Shared>()?;
    shared.reload_hub()
}

impl Context {
    /// Opts this actor in to reloads (SIGHUP under `#[run::main]`, or
    /// [`ReloadHandle::reload`]): from now on, each reload waits for its answer. See
    /// [`ReloadHandle`] for an example.
    pub fn reloads(&self) -> Reloads {
        let hub = hub_of(self);
        let generation = hub.as_ref().map_or(0, |hub| hub.subscribe());
        #[cfg(feature = "metrics")]
        crate::core::metrics::reloads_opted_in(&self.name());
        Reloads {
            ctx: self.clone(),
            hub,
            seen: generation,
            since: generation,
            answered: generation,
        }
    }
}

/// `#[run::main]`'s reload on SIGHUP: requests a reload at each signal, telling systemd
/// (feature `systemd`) `RELOADING=1` with `MONOTONIC_USEC`, then `READY=1` once every actor
/// that opted in has answered; a failed reload is printed to stderr (and told as `STATUS=`),
/// and the app goes on. Installed before the group starts; never completes.
#[cfg(unix)]
pub(crate) async fn on_hangup(
    handle: ReloadHandle,
    mut hangup: tokio::signal::unix::Signal,
) -> std::convert::Infallible {
    loop {
        if hangup.recv().await.is_none() {
            return std::future::pending().await;
        }
        #[cfg(feature = "systemd")]
        let told = super::systemd::reloading();
        #[cfg(feature = "metrics")]
        crate::core::metrics::reload_requested();
        let result = handle.reload().await;
        match &result {
            // Each actor's failure is an `ERROR` record of its own already: no second one.
            #[cfg(feature = "tracing")]
            Err(_) if tracing::dispatcher::has_been_set() => {}
            Err(error) => eprintln!("Error: {}", error.report()),
            #[cfg(feature = "tracing")]
            Ok(()) => tracing::info!(target: crate::core::event::TARGET, "reloaded"),
            #[cfg(not(feature = "tracing"))]
            Ok(()) => {}
        }
        #[cfg(feature = "systemd")]
        if told {
            super::systemd::reloaded(&result);
        }
    }
}

/// Runs `run` with `beside` polled next to it, until `run` completes.
pub(crate) async fn beside<F: Future>(
    run: F,
    beside: Option<impl Future<Output = std::convert::Infallible>>,
) -> F::Output {
    let mut run = std::pin::pin!(run);
    let mut beside = std::pin::pin!(beside);
    std::future::poll_fn(|cx| {
        if let Some(beside) = beside.as_mut().as_pin_mut() {
            // It never completes: only its wake-ups matter.
            let _ = beside.poll(cx);
        }
        run.as_mut().poll(cx)
    })
    .await
}
