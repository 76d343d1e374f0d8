//! What a snapshot reads of a member besides its slot: the restarts of a supervised member.
//!
//! Invariants: only supervised members have a record (made once, when the member starts), so
//! a member that is never restarted pays nothing; the record is written by its supervisor
//! only, between incarnations, never on the actor's own hot path.

use std::sync::{
    Mutex, PoisonError,
    atomic::{AtomicU8, AtomicU32, Ordering},
};

use tokio::time::Instant;

use crate::error::Error;

/// A supervised member's phase between and during incarnations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Phase {
    Running = 0,
    /// Waiting for its backoff, or for siblings a strategy restarts with it.
    Restarting = 1,
}

/// The restart history of one supervised member.
pub(crate) struct RestartRecord {
    phase: AtomicU8,
    restarts: AtomicU32,
    /// When the current incarnation started.
    since: Mutex<Instant>,
    last_error: Mutex<Option<Error>>,
}

impl RestartRecord {
    pub(crate) fn new() -> Self {
        Self {
            phase: AtomicU8::new(Phase::Running as u8),
            restarts: AtomicU32::new(0),
            since: Mutex::new(Instant::now()),
            last_error: Mutex::new(None),
        }
    }

    pub(crate) fn started(&self) {
        *self.since.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
        self.phase.store(Phase::Running as u8, Ordering::Release);
    }

    pub(crate) fn restarting(&self, error: Option<&Error>) {
        self.phase.store(Phase::Restarting as u8, Ordering::Release);
        self.restarts.fetch_add(1, Ordering::AcqRel);
        if let Some(error) = error {
            *self
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(error.clone());
        }
    }

    pub(crate) fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Running,
            _ => Phase::Restarting,
        }
    }

    pub(crate) fn restarts(&self) -> u32 {
        self.restarts.load(Ordering::Acquire)
    }

    pub(crate) fn since(&self) -> Instant {
        *self.since.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn last_error(&self) -> Option<Error> {
        self.last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
