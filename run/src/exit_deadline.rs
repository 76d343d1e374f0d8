//! Exit on time: `#[run::main]` ends the process within its shutdown budget plus
//! [`EXIT_MARGIN`], even when a thread never returns (a `spawn_blocking` stuck in a `std`
//! call, an actor blocking its worker thread, which no abort can stop).
//!
//! Invariants: one plain thread watches the root group's scope (it needs no runtime, so a
//! blocked runtime cannot stop it); it does nothing until the group's run loop has seen the
//! stop, and nothing at all if the process is done by then; past the deadline it prints what
//! is still running (with phases) and exits with status 1, the status of a shutdown timeout
//! ([`Error::exit_status`]).

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};

use crate::{core::scope::Scope, error::Error};

/// How long past its shutdown budget a `#[run::main]` process may take to exit: enough for the
/// runtime to wind down and the report to be printed.
pub(crate) const EXIT_MARGIN: Duration = Duration::from_millis(500);

/// How often the watch looks for the stop before it has begun: seldom, since the deadline
/// counts from when the stop began, not from when the watch saw it.
const LOOK: Duration = Duration::from_millis(100);

/// The watch over one `#[run::main]` process.
#[derive(Clone, Default)]
pub(crate) struct ExitWatch {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    scope: OnceLock<Arc<Scope>>,
    done: AtomicBool,
}

impl ExitWatch {
    /// Starts the watch thread: the process exits at the latest `budget` + [`EXIT_MARGIN`]
    /// after the root scope's stop began.
    pub(crate) fn start(budget: Duration) -> Self {
        let watch = Self::default();
        let shared = Arc::clone(&watch.shared);
        let spawned = std::thread::Builder::new()
            .name("run-exit-watch".into())
            .spawn(move || shared.watch(budget + EXIT_MARGIN));
        // Without the thread, the process still exits as before, only not as surely.
        drop(spawned);
        watch
    }

    /// The root group's scope, once it runs.
    pub(crate) fn set_scope(&self, scope: &Arc<Scope>) {
        let _ = self.shared.scope.set(Arc::clone(scope));
    }

    /// The time left until the deadline, once the stop has begun.
    pub(crate) fn left(&self, budget: Duration) -> Option<Duration> {
        let scope = self.shared.scope.get()?;
        let since = scope.stop_started()?.elapsed();
        Some((budget + EXIT_MARGIN).saturating_sub(since + EXIT_MARGIN / 2))
    }

    /// The process is done with its shutdown: the watch exits nothing.
    pub(crate) fn done(&self) {
        self.shared.done.store(true, Ordering::Release);
    }
}

impl Shared {
    fn watch(&self, limit: Duration) {
        let started = loop {
            if self.done.load(Ordering::Acquire) {
                return;
            }
            if let Some(started) = self.scope.get().and_then(|scope| scope.stop_started()) {
                break started.into_std();
            }
            std::thread::sleep(LOOK);
        };
        let deadline = started + limit;
        loop {
            let now = std::time::Instant::now();
            if self.done.load(Ordering::Acquire) {
                return;
            }
            if now >= deadline {
                break;
            }
            std::thread::sleep((deadline - now).min(LOOK));
        }
        let Some(scope) = self.scope.get() else {
            return;
        };
        let cause = scope.cause().and_then(|cause| cause.result().err());
        let error = Error::ShutdownTimeout {
            stuck: scope.stuck_now(),
            cause: cause.map(Box::new),
        };
        eprintln!("Error: {}", error.report());
        eprintln!("Error: exiting {limit:.1?} after the shutdown began: a thread has not returned");
        std::process::exit(i32::from(Error::exit_status(&Err(error))));
    }
}
