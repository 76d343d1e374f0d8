//! What a scope tells its observers: the hook and, with feature `tracing`, `tracing` events.
//!
//! Invariants: the order and timing of events are stated once, on [`Event`], the public item
//! users read.

use std::{fmt, sync::Arc, time::Duration};

use super::cause::Cause;
use crate::{error::Error, name::ActorName};

/// One thing that happened to an actor; given to the hook set with
/// [`Group::hook`](crate::Group::hook) or [`TaskGroupBuilder::hook`](crate::TaskGroupBuilder::hook):
/// one type, one text, whichever group the actor runs in.
///
/// For each run of an actor, `Started` comes first and `Exited` (or `TimedOut`) last, each
/// once; `Interrupted` comes once, before `Exited`, or after it when the actor had returned
/// before the group stopped. A supervised actor runs again after each `Restarting`, and sends
/// `RestartLimit` after its last run when it is given up on. Events are emitted the moment they happen, from the task where they
/// happen: a panic is reported (as `Exited` with [`Error::Panic`]) before the group even
/// starts to stop. A nested group that has no hook of its own reports to its parent's.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, Event, Group};
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let mut group =
///     Group::new().hook(move |event: &Event<'_>| log.lock().unwrap().push(event.to_string()));
/// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).name("job");
/// group.run().await.unwrap();
///
/// let seen = seen.lock().unwrap();
/// assert_eq!(seen[0], "job started");
/// assert!(seen[1].starts_with("job exited after"), "{}", seen[1]);
/// assert_eq!(seen[2], "job interrupted"); // it had returned already: it stopped the group
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The actor's task has started running it.
    Started {
        /// The actor.
        actor: &'a ActorName,
    },
    /// The actor is being interrupted, with this cause.
    Interrupted {
        /// The actor.
        actor: &'a ActorName,
        /// Why the group stops.
        cause: &'a Cause,
    },
    /// The actor returned (or panicked: [`Error::Panic`]).
    Exited {
        /// The actor.
        actor: &'a ActorName,
        /// What it returned.
        result: &'a Result<(), Error>,
        /// How long it ran.
        elapsed: Duration,
    },
    /// The actor was still running when its shutdown timeout ran out, and was aborted: its
    /// own, or that of the actor its group runs under, aborted whole. Every actor a
    /// [`Error::ShutdownTimeout`] names stuck is heard so.
    TimedOut {
        /// The actor.
        actor: &'a ActorName,
        /// How long it had been given since it was interrupted (or since the group began to
        /// stop, for the group's timeout).
        after: Duration,
    },
    /// A supervised actor ended and starts again after `delay`: its own exit, under its
    /// [`RestartPolicy`](crate::RestartPolicy), or a sibling's under the group's
    /// [`Strategy`](crate::Strategy) (then `delay` is zero and `error` what the stop
    /// returned, if anything). Sent before the delay.
    Restarting {
        /// The actor.
        actor: &'a ActorName,
        /// Which restart of the actor this is: 1 for the first.
        attempt: u32,
        /// How long it waits before it starts again.
        delay: Duration,
        /// The error it ended with, if it failed.
        error: Option<&'a Error>,
    },
    /// A supervised actor failed once more than its [`RestartPolicy`](crate::RestartPolicy)
    /// allows within its period: it is not restarted, and its final result is
    /// [`Error::RestartLimit`]. Sent once, after its last run's `Exited`, whatever its
    /// [`ExitPolicy`](crate::ExitPolicy): a sidecar's final result is not returned, so this is
    /// how a sidecar that gave up is seen.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Event, ExitPolicy, Group, Restart, RestartPolicy};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let mut group = Group::named("app").hook(move |event: &Event<'_>| {
    ///     if let Event::RestartLimit { .. } = event {
    ///         log.lock().unwrap().push(event.to_string());
    ///     }
    /// });
    /// group
    ///     .supervise(|| |_ctx: Context| async { Err::<(), _>(std::io::Error::other("down")) })
    ///     .name("metrics")
    ///     .restart(RestartPolicy::new(Restart::OnFailure).max_restarts(2))
    ///     .exit(ExitPolicy::Sidecar);
    /// group
    ///     .spawn(|_ctx: Context| tokio::time::sleep(std::time::Duration::from_secs(5)))
    ///     .name("server");
    /// group.run().await.unwrap(); // a sidecar's failure is not returned...
    /// assert_eq!(
    ///     *seen.lock().unwrap(), // ... but always reported
    ///     ["app/metrics gave up after 2 restarts within 30s: actor `app/metrics` failed: down"],
    /// );
    /// # }
    /// ```
    RestartLimit {
        /// The actor.
        actor: &'a ActorName,
        /// The restarts within `period` when it failed again.
        restarts: u32,
        /// The policy's period.
        period: Duration,
        /// The failure it is given up on; `None` when an actor restarted on every exit
        /// ([`Restart::Always`](crate::Restart::Always)) returned `Ok`.
        last: Option<&'a Error>,
    },
    /// The actor failed to reload ([`Reload::fail`](crate::Reload::fail), or
    /// [`Reload::done`](crate::Reload::done) with an error); it goes on running.
    ReloadFailed {
        /// The actor.
        actor: &'a ActorName,
        /// Its failure: [`Error::Failed`] naming it.
        error: &'a Error,
    },
}

impl Event<'_> {
    /// The actor the event is about.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Event, Group};
    /// use std::sync::{Arc, Mutex};
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = seen.clone();
    /// let mut group = Group::named("app")
    ///     .hook(move |event: &Event<'_>| log.lock().unwrap().push(event.actor().to_string()));
    /// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) }).name("job");
    /// group.run().await.unwrap();
    /// // Started, exited, interrupted: all about `app/job`.
    /// assert_eq!(*seen.lock().unwrap(), ["app/job", "app/job", "app/job"]);
    /// # }
    /// ```
    pub fn actor(&self) -> &ActorName {
        match self {
            Event::Started { actor }
            | Event::Interrupted { actor, .. }
            | Event::Exited { actor, .. }
            | Event::TimedOut { actor, .. }
            | Event::Restarting { actor, .. }
            | Event::RestartLimit { actor, .. }
            | Event::ReloadFailed { actor, .. } => actor,
        }
    }
}

impl fmt::Display for Event<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Started { actor } => write!(f, "{actor} started"),
            Event::Interrupted { actor, .. } => write!(f, "{actor} interrupted"),
            Event::Exited {
                actor,
                result: Ok(()),
                elapsed,
            } => write!(f, "{actor} exited after {elapsed:?}"),
            Event::Exited {
                actor,
                result: Err(error),
                elapsed,
            } => write!(f, "{actor} exited after {elapsed:?}: {}", error.report()),
            Event::TimedOut { actor, after } => {
                write!(f, "{actor} timed out after {after:?} and was aborted")
            }
            Event::Restarting {
                actor,
                attempt,
                delay,
                error,
            } => {
                write!(f, "{actor} restarting (attempt {attempt}) in {delay:?}")?;
                match error {
                    Some(error) => write!(f, " after: {}", error.report()),
                    None => Ok(()),
                }
            }
            Event::RestartLimit {
                actor,
                restarts,
                period,
                last,
            } => {
                let times = if *restarts == 1 {
                    "restart"
                } else {
                    "restarts"
                };
                write!(
                    f,
                    "{actor} gave up after {restarts} {times} within {period:?}"
                )?;
                match last {
                    Some(error) => write!(f, ": {}", error.report()),
                    None => Ok(()),
                }
            }
            Event::ReloadFailed { actor, error } => {
                write!(f, "{actor} failed to reload: {}", error.report())
            }
        }
    }
}

/// The hook of a group, shared with its nested groups.
pub(crate) type Hook = Arc<dyn Fn(&Event<'_>) + Send + Sync + 'static>;

/// Sends `event` to the hook, if any, and to `tracing` (feature `tracing`), inside the actor's
/// span when there is one. `incarnation`: the event is about one run of a restartable actor,
/// whose failure its supervisor logs once it knows whether it restarts.
pub(crate) fn emit(hook: Option<&Hook>, event: &Event<'_>, incarnation: bool) {
    if let Some(hook) = hook {
        hook(event);
    }
    #[cfg(feature = "tracing")]
    trace(event, incarnation);
    #[cfg(not(feature = "tracing"))]
    let _ = incarnation;
}

/// The target of every `tracing` event of `run`, whatever module emits it: what a filter
/// names (`RUST_LOG=run::event=debug`).
#[cfg(feature = "tracing")]
pub(crate) const TARGET: &str = "run::event";

/// One record per happening, at the level an operator expects: what runs normally (starts,
/// interrupts, clean exits, child tasks) is `DEBUG`; a failure that will be restarted is one
/// `WARN` (the supervisor's `restarting`: the run's own exit is `DEBUG`); a failure that
/// stops something, a timeout, a restart limit and a failed reload are `ERROR`. The app's
/// start, readiness, stop and end are `INFO`, from `#[run::main]`'s root.
#[cfg(feature = "tracing")]
fn trace(event: &Event<'_>, incarnation: bool) {
    let actor = event.actor();
    match event {
        Event::Started { .. } => tracing::debug!(target: TARGET, %actor, "started"),
        Event::Interrupted { cause, .. } => match cause.actor() {
            Some(by) => tracing::debug!(target: TARGET, %actor, by = %by, "interrupted"),
            None => tracing::debug!(target: TARGET, %actor, cause = ?cause, "interrupted"),
        },
        Event::Exited {
            result: Ok(()),
            elapsed,
            ..
        } => tracing::debug!(target: TARGET, %actor, ?elapsed, "exited"),
        Event::Exited {
            result: Err(Error::Signal(signal)),
            ..
        } => tracing::debug!(target: TARGET, %actor, "received {signal}"),
        Event::Exited {
            result: Err(Error::Cancelled),
            elapsed,
            ..
        } => tracing::debug!(target: TARGET, %actor, ?elapsed, "stopped from outside"),
        // Its supervisor says next whether it restarts (`WARN`) or not (`ERROR`).
        Event::Exited {
            result: Err(error),
            elapsed,
            ..
        } if incarnation => {
            tracing::debug!(target: TARGET, %actor, ?elapsed, error = %error.report(), "failed")
        }
        Event::Exited {
            result: Err(error),
            elapsed,
            ..
        } if error.is_panic() => {
            tracing::error!(target: TARGET, %actor, ?elapsed, error = %error.report(), "panicked")
        }
        Event::Exited {
            result: Err(error),
            elapsed,
            ..
        } => tracing::error!(target: TARGET, %actor, ?elapsed, error = %error.report(), "failed"),
        Event::TimedOut { after, .. } => {
            tracing::error!(target: TARGET, %actor, ?after, "shutdown timed out: aborted")
        }
        Event::Restarting {
            attempt,
            delay,
            error: Some(error),
            ..
        } => tracing::warn!(
            target: TARGET, %actor, attempt, ?delay, error = %error.report(),
            "failed; restarting"
        ),
        Event::Restarting {
            attempt,
            delay,
            error: None,
            ..
        } => tracing::info!(target: TARGET, %actor, attempt, ?delay, "restarting"),
        Event::RestartLimit {
            restarts,
            period,
            last: Some(error),
            ..
        } => tracing::error!(
            target: TARGET, %actor, restarts, ?period, error = %error.report(),
            "restart limit reached: giving up"
        ),
        Event::RestartLimit {
            restarts,
            period,
            last: None,
            ..
        } => tracing::error!(
            target: TARGET, %actor, restarts, ?period, "restart limit reached: giving up"
        ),
        Event::ReloadFailed { error, .. } => {
            tracing::error!(target: TARGET, %actor, error = %error.report(), "reload failed")
        }
    }
}
