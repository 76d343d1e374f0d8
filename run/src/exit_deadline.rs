//! Exit on time: `#[run::main]` ends the process within its shutdown budget plus
//! [`EXIT_MARGIN`], even when a thread never returns (a `spawn_blocking` stuck in a `std`
//! call, an actor blocking its worker thread, which no abort can stop).
//!
//! Invariants: one plain thread watches the root group's scope (it needs no runtime, so a
//! blocked runtime cannot stop it). Until the stop begins it sleeps parked, without a
//! timeout, woken only by the root group's readiness turning to stopping (a future it polls
//! itself): an idle process pays nothing for it, and the core carries nothing for it. It does
//! nothing at all if the process is done by then; past the deadline it prints what is still
//! running (with phases) and exits with status 1, the status of a shutdown timeout
//! ([`Error::exit_status`]).

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex, OnceLock, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    task::{Poll, Wake, Waker},
    time::Duration,
};

use crate::{core::scope::Scope, error::Error};

/// A future the watch thread polls itself.
type Stopping = Pin<Box<dyn Future<Output = ()> + Send>>;

/// How long past its shutdown budget a `#[run::main]` process may take to exit: enough for the
/// runtime to wind down and the report to be printed.
pub(crate) const EXIT_MARGIN: Duration = Duration::from_millis(500);

/// The watch over one `#[run::main]` process.
#[derive(Clone, Default)]
pub(crate) struct ExitWatch {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    scope: OnceLock<Arc<Scope>>,
    done: AtomicBool,
    /// Completes once the root group begins to stop; taken by the watch thread.
    stopping: Mutex<Option<Stopping>>,
    /// The watch thread, woken when `stopping` is set and when the process is done.
    thread: OnceLock<std::thread::Thread>,
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
        if let Ok(handle) = spawned {
            let _ = watch.shared.thread.set(handle.thread().clone());
        }
        watch
    }

    /// The root group's scope, once it runs.
    pub(crate) fn set_scope(&self, scope: &Arc<Scope>) {
        let _ = self.shared.scope.set(Arc::clone(scope));
    }

    /// What the watch waits on, parked: `stopping` completes once the root group begins to
    /// stop (its readiness turning to stopping).
    pub(crate) fn watch_for(&self, stopping: impl Future<Output = ()> + Send + 'static) {
        *self
            .shared
            .stopping
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Box::pin(stopping));
        self.shared.wake();
    }

    /// The root group's cause, once it has one.
    pub(crate) fn cause(&self) -> Option<crate::core::cause::Cause> {
        self.shared.scope.get()?.cause().cloned()
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
        self.shared.wake();
    }
}

/// Wakes the watch thread when the future it polls can go on.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

impl Shared {
    /// Wakes the watch thread to look again. A wake-up before it parks is kept (`unpark`
    /// leaves a token), and `unpark` orders the writes before it with the thread's reads after
    /// `park`, so nothing is missed between a look and the park.
    fn wake(&self) {
        if let Some(thread) = self.thread.get() {
            thread.unpark();
        }
    }

    fn watch(&self, limit: Duration) {
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = std::task::Context::from_waker(&waker);
        let mut stopping: Option<Stopping> = None;
        loop {
            if self.done.load(Ordering::Acquire) {
                return;
            }
            if stopping.is_none() {
                stopping = self
                    .stopping
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
            }
            if let Some(future) = &mut stopping {
                if future.as_mut().poll(&mut cx) == Poll::Ready(()) {
                    break;
                }
            }
            // Woken by the future, by its arrival or by the end; a spurious wake-up only
            // looks again.
            std::thread::park();
        }
        // The deadline counts from when the root group's run loop saw the stop.
        let started = self
            .scope
            .get()
            .and_then(|scope| scope.stop_started())
            .map_or_else(std::time::Instant::now, tokio::time::Instant::into_std);
        let deadline = started + limit;
        loop {
            let now = std::time::Instant::now();
            if self.done.load(Ordering::Acquire) {
                return;
            }
            if now >= deadline {
                break;
            }
            std::thread::park_timeout(deadline - now);
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
