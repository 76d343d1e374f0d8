//! The reload state of one app: the requests, who takes part, who has answered. Below both
//! [`super::readiness`], whose state holds it (the one place a context finds it), and
//! [`super::reload`], the handles that drive it.
//!
//! Invariants: a subscriber is counted in every reload requested after it subscribed, until
//! it answers or unsubscribes (an unsubscriber that owes an answer gives it: done); a newer
//! reload supersedes one still pending (its answers no longer count), and each subscriber
//! sees the newest only.

use std::{
    future::Future,
    sync::{Mutex, MutexGuard, PoisonError},
};

use tokio::sync::Notify;

use crate::error::Error;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The reload state of one app.
#[derive(Default)]
pub(crate) struct Hub {
    state: Mutex<State>,
    /// Woken (all waiters) when a reload is requested.
    requested: Notify,
    /// Woken (all waiters) when a reload is settled.
    settled: Notify,
}

#[derive(Default)]
struct State {
    /// The reloads requested so far.
    generation: u64,
    /// The actors that opted in.
    subscribers: usize,
    /// Those that have not answered the current reload.
    pending: usize,
    /// The current reload's failures.
    failures: Vec<Error>,
}

impl Hub {
    /// Requests a reload, then waits until every subscriber has answered it (or a newer
    /// one): `Err(`[`Error::ReloadFailed`]`)` names the failures.
    // An explicit `Send` future: a handle's caller may need one.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn reload(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        async move {
            let mut generation = {
                let mut state = lock(&self.state);
                state.generation += 1;
                state.pending = state.subscribers;
                state.failures.clear();
                state.generation
            };
            self.requested.notify_waiters();
            loop {
                let settled = self.settled.notified();
                {
                    let state = lock(&self.state);
                    if state.generation != generation {
                        generation = state.generation;
                        continue;
                    }
                    if state.pending == 0 {
                        return match &state.failures[..] {
                            [] => Ok(()),
                            failures => Err(Error::ReloadFailed {
                                failures: failures.to_vec(),
                            }),
                        };
                    }
                }
                settled.await;
            }
        }
    }

    /// Counts a new subscriber in from the next reload on; returns the newest reload so
    /// far, which it does not owe.
    pub(crate) fn subscribe(&self) -> u64 {
        let mut state = lock(&self.state);
        state.subscribers += 1;
        state.generation
    }

    /// Counts a subscriber out; one that subscribed before the current reload (`since`)
    /// and has not answered it (`answered`) answers it now: done.
    pub(crate) fn unsubscribe(&self, since: u64, answered: u64) {
        let owes = {
            let mut state = lock(&self.state);
            state.subscribers -= 1;
            (state.generation > since && answered < state.generation).then_some(state.generation)
        };
        if let Some(generation) = owes {
            self.answer(generation, None);
        }
    }

    /// Completes with the first reload newer than `seen`.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn requested(&self, seen: u64) -> impl Future<Output = u64> + Send + '_ {
        async move {
            loop {
                let requested = self.requested.notified();
                let generation = lock(&self.state).generation;
                if generation > seen {
                    return generation;
                }
                requested.await;
            }
        }
    }

    /// One subscriber's answer to reload `generation`; ignored if a newer one superseded it.
    pub(crate) fn answer(&self, generation: u64, failure: Option<Error>) {
        let mut state = lock(&self.state);
        if state.generation != generation || state.pending == 0 {
            return;
        }
        state.failures.extend(failure);
        state.pending -= 1;
        if state.pending == 0 {
            self.settled.notify_waiters();
        }
    }
}
