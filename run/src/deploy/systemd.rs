//! systemd's notification protocol (feature `systemd`, through `sd-notify`): what the root
//! group of [`#[run::main]`](crate::main) tells the service manager.
//!
//! Invariants: without `NOTIFY_SOCKET` nothing is sent and nothing runs beside the group;
//! each phase is told once, in order (`STATUS=starting`; `READY=1` + `STATUS=ready` once the
//! group is ready; `STOPPING=1` + `STATUS=draining` or `STATUS=stopping` when the stop begins;
//! `STATUS=stopping` when a drain ends); with `WATCHDOG_USEC`, `WATCHDOG=1` every half of it
//! while the group is [live](crate::Readiness::is_live), and never once it is not, so that a
//! stuck or unhealthy service is restarted. The notifier runs inside the group's `run()`
//! future: it never outlives it.

use std::{
    future::{Future, poll_fn},
    pin::pin,
    task::Poll,
};

use sd_notify::NotifyState;
use tokio::time::{Instant, MissedTickBehavior, interval_at};

use super::readiness::Readiness;

/// How far the service manager has been told.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Starting,
    Ready,
    Draining,
    Stopping,
}

struct Notifier {
    readiness: Readiness,
    phase: Phase,
}

impl Notifier {
    /// Tells every phase reached since the last call.
    fn catch_up(&mut self) {
        let status = self.readiness.shared.status();
        if self.phase == Phase::Starting && status.ready {
            send(&[NotifyState::Ready, NotifyState::Status("ready")]);
            self.phase = Phase::Ready;
        }
        if self.phase < Phase::Draining && status.stopping {
            if status.interrupting || status.ended {
                send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
                self.phase = Phase::Stopping;
            } else {
                send(&[NotifyState::Stopping, NotifyState::Status("draining")]);
                self.phase = Phase::Draining;
            }
        }
        if self.phase == Phase::Draining && (status.interrupting || status.ended) {
            send(&[NotifyState::Status("stopping")]);
            self.phase = Phase::Stopping;
        }
    }
}

fn send(states: &[NotifyState<'_>]) {
    // Nothing to do about a service manager that went away: the service goes on.
    let _ = sd_notify::notify(states);
}

/// Runs `run` (the root group's) while telling systemd about `readiness`.
pub(crate) async fn notify_while<F: Future>(run: F, readiness: Readiness) -> F::Output {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return run.await;
    }
    let shared = Arc::clone(&readiness.shared);
    let mut notifier = Notifier {
        readiness,
        phase: Phase::Starting,
    };
    send(&[NotifyState::Status("starting")]);
    let mut ping = sd_notify::watchdog_enabled().map(|timeout| {
        let period = timeout / 2;
        let mut ping = interval_at(Instant::now() + period, period);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ping
    });
    let mut run = pin!(run);
    loop {
        // Made before the status is read: a change after the read still wakes it.
        let mut changed = pin!(shared.changed());
        notifier.catch_up();
        let ended = poll_fn(|cx| {
            if let Poll::Ready(output) = run.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            if changed.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            if let Some(ping) = &mut ping {
                if ping.poll_tick(cx).is_ready() {
                    if notifier.readiness.is_live() {
                        send(&[NotifyState::Watchdog]);
                    }
                    return Poll::Ready(None);
                }
            }
            Poll::Pending
        })
        .await;
        if let Some(output) = ended {
            notifier.catch_up();
            return output;
        }
    }
}

use std::sync::Arc;

/// Tells systemd a reload begins (`RELOADING=1` with `MONOTONIC_USEC`); false without
/// `NOTIFY_SOCKET`.
pub(crate) fn reloading() -> bool {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return false;
    }
    match NotifyState::monotonic_usec_now() {
        Ok(now) => send(&[
            NotifyState::Reloading,
            now,
            NotifyState::Status("reloading"),
        ]),
        Err(_) => send(&[NotifyState::Reloading, NotifyState::Status("reloading")]),
    }
    true
}

/// Tells systemd the reload is over: `READY=1`, with the failure as `STATUS=` if it failed.
pub(crate) fn reloaded(result: &Result<(), crate::error::Error>) {
    match result {
        Ok(()) => send(&[NotifyState::Ready, NotifyState::Status("ready")]),
        Err(error) => {
            let status = error.report().to_string();
            send(&[NotifyState::Ready, NotifyState::Status(&status)]);
        }
    }
}
