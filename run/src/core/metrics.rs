//! With feature `metrics`: what an operator graphs, counted from the events of the actors
//! through the [`metrics`](https://docs.rs/metrics) facade (the app installs the exporter).
//!
//! Invariants: only fixed actors are counted (those of groups, derived structs and
//! supervised actors, incarnations under their actor's path); child tasks are not, since a
//! server's names one per connection and each name would be a series. Every series of an
//! actor is registered at zero when the actor starts, so that its first increase is seen by
//! `increase()` and `rate()`. The names and labels follow Prometheus's conventions: `_total`
//! for counters, `_seconds` for times, an `actor` label holding the full path. The app-wide
//! series (start-up, shutdown, reloads) are kept by `#[run::main]`'s root.

use std::time::Duration;

use super::event::Event;
use crate::{error::Error, name::ActorName};

/// `1` while the actor runs (from its start to its exit), `0` otherwise.
const UP: &str = "run_actor_up";
/// Restarts of the actor.
const RESTARTS: &str = "run_actor_restarts_total";
/// Exits with an error (a panic included; not a signal or a stop from outside).
const FAILURES: &str = "run_actor_failures_total";
/// Aborts at the actor's shutdown timeout.
const TIMEOUTS: &str = "run_actor_timeouts_total";
/// Restart limits reached: the actor was given up on.
const GAVE_UP: &str = "run_actor_gave_up_total";
/// Reloads the actor failed.
const RELOAD_FAILURES: &str = "run_reload_failures_total";
/// Reloads requested (SIGHUP under `#[run::main]`).
const RELOADS: &str = "run_reloads_total";
/// From the process's start to the app's first readiness.
const STARTUP: &str = "run_startup_seconds";
/// From the first signal (or stop request) to the end of the shutdown.
const SHUTDOWN: &str = "run_shutdown_seconds";
/// `1` if the shutdown ran past its budget, `0` if not.
const SHUTDOWN_TIMED_OUT: &str = "run_shutdown_timed_out";

fn label(actor: &ActorName) -> [(&'static str, String); 1] {
    [("actor", actor.to_string())]
}

/// Counts `event` of a fixed actor.
pub(crate) fn record(event: &Event<'_>) {
    let actor = label(event.actor());
    match event {
        Event::Started { .. } => {
            metrics::gauge!(UP, &actor).set(1.0);
            for counter in [RESTARTS, FAILURES, TIMEOUTS, GAVE_UP] {
                metrics::counter!(counter, &actor).increment(0);
            }
        }
        Event::Interrupted { .. } => {}
        Event::Exited { result, .. } => {
            metrics::gauge!(UP, &actor).set(0.0);
            if let Err(error) = result {
                if !matches!(error, Error::Signal(_) | Error::Cancelled) {
                    metrics::counter!(FAILURES, &actor).increment(1);
                }
            }
        }
        Event::TimedOut { .. } => {
            metrics::gauge!(UP, &actor).set(0.0);
            metrics::counter!(TIMEOUTS, &actor).increment(1);
        }
        Event::Restarting { .. } => metrics::counter!(RESTARTS, &actor).increment(1),
        Event::RestartLimit { .. } => metrics::counter!(GAVE_UP, &actor).increment(1),
        Event::ReloadFailed { .. } => metrics::counter!(RELOAD_FAILURES, &actor).increment(1),
    }
}

/// `actor` takes reload requests: its failures are counted from zero.
pub(crate) fn reloads_opted_in(actor: &ActorName) {
    metrics::counter!(RELOAD_FAILURES, &label(actor)).increment(0);
}

/// The root of `#[run::main]` starts: the app-wide series from zero.
pub(crate) fn app_started() {
    metrics::counter!(RELOADS).increment(0);
    metrics::gauge!(SHUTDOWN_TIMED_OUT).set(0.0);
}

/// A reload was requested (SIGHUP: Unix only).
#[cfg(unix)]
pub(crate) fn reload_requested() {
    metrics::counter!(RELOADS).increment(1);
}

/// The app became ready `after` its start.
pub(crate) fn app_ready(after: Duration) {
    metrics::gauge!(STARTUP).set(after.as_secs_f64());
}

/// The shutdown took `took`, and ran past its budget or not.
pub(crate) fn app_stopped(took: Duration, timed_out: bool) {
    metrics::gauge!(SHUTDOWN).set(took.as_secs_f64());
    metrics::gauge!(SHUTDOWN_TIMED_OUT).set(if timed_out { 1.0 } else { 0.0 });
}
