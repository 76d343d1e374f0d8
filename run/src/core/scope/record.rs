//! The record of failures: what the scope keeps besides its cause, and the result it
//! returns.
//!
//! # Invariants
//!
//! - **Nothing lost.** Every failure that does not become the cause (an error after the
//!   stop began, any panic, an interrupt's panic, a nested scope's stuck members and
//!   failures) is recorded and ends up on the result ([`Scope::result`]); a sidecar's own
//!   errors are reported only ([`ExitPolicy::Sidecar`](crate::ExitPolicy::Sidecar)).

use super::{Record, Scope, lock};
use crate::{
    core::cause::Cause,
    error::{Error, Stuck},
};

impl Scope {
    /// Keeps a failure that did not become the cause: nothing is lost. A nested scope's
    /// report is merged: its stuck members and its failures are this scope's too, and its
    /// own cause, when that was only the stop from outside, is no failure.
    pub(crate) fn record_failure(&self, error: Error) {
        let mut record = lock(&self.record);
        merge(&mut record, error);
    }

    /// Names member `index`, aborted at its timeout: the leaves still running under it, at
    /// any depth, with their phases ([`running_leaves`](Scope::running_leaves)).
    pub(crate) fn record_stuck(&self, index: usize) {
        let mut stuck = Vec::new();
        self.running_leaves(index, &mut stuck);
        let mut record = lock(&self.record);
        for stuck in stuck {
            keep_stuck(&mut record, stuck);
        }
    }

    /// What the scope returns once every member has returned: the cause's result, with
    /// every other failure kept on it; see [`Error::Shutdown`] and
    /// [`Error::ShutdownTimeout`].
    pub(crate) fn result(&self) -> Result<(), Error> {
        let record = lock(&self.record).clone();
        self.result_of(record)
    }

    /// [`result`](Scope::result), once: the failures are moved out, not copied (a group's
    /// run loop, which returns the result once). The stuck members stay on the record too:
    /// the scope above reads them from the tree if it times out this scope's member before
    /// the result reaches it ([`running_leaves`](Scope::running_leaves)).
    pub(crate) fn take_result(&self) -> Result<(), Error> {
        let record = {
            let mut record = lock(&self.record);
            let stuck = match record.stuck.is_empty() {
                true => Vec::new(),
                false => record.stuck.clone(),
            };
            Record {
                failures: std::mem::take(&mut record.failures),
                stuck,
            }
        };
        self.result_of(record)
    }

    fn result_of(&self, record: Record) -> Result<(), Error> {
        let primary = self.cause.get().map_or(Ok(()), Cause::result);
        let Record { failures, stuck } = record;
        let mut failures = failures.into_iter();
        let cause = match primary {
            Err(error) => Some(error),
            Ok(()) => failures.next(),
        };
        let failures: Vec<Error> = failures.collect();
        let cause = match cause {
            Some(cause) if failures.is_empty() => Some(cause),
            Some(cause) => Some(Error::Shutdown {
                cause: Box::new(cause),
                failures,
            }),
            None => None,
        };
        if stuck.is_empty() {
            return cause.map_or(Ok(()), Err);
        }
        Err(Error::ShutdownTimeout {
            stuck,
            cause: cause.map(Box::new),
        })
    }
}

/// Merges `error` into `record`; see [`Scope::record_failure`].
fn merge(record: &mut Record, error: Error) {
    match error {
        Error::ShutdownTimeout { stuck, cause } => {
            for stuck in stuck {
                keep_stuck(record, stuck);
            }
            if let Some(cause) = cause {
                merge(record, *cause);
            }
        }
        Error::Shutdown { cause, failures } => {
            merge(record, *cause);
            for failure in failures {
                merge(record, failure);
            }
        }
        // A nested scope stopped from outside, or a signal seen while stopping anyway: no
        // failure of its own.
        Error::Cancelled | Error::Signal(_) => {}
        error => record.failures.push(error),
    }
}

/// Merges what a sidecar's `error` holds besides its own failures into `record`: panics (bugs,
/// returned whoever panics) and the actors its shutdown timed out.
pub(super) fn merge_sidecar(record: &mut Record, error: Error) {
    match error {
        Error::ShutdownTimeout { stuck, cause } => {
            record.stuck.extend(stuck);
            if let Some(cause) = cause {
                merge_sidecar(record, *cause);
            }
        }
        Error::Shutdown { cause, failures } => {
            merge_sidecar(record, *cause);
            for failure in failures {
                merge_sidecar(record, failure);
            }
        }
        Error::Panic { .. } => record.failures.push(error),
        _ => {}
    }
}

/// Adds `stuck` to `record`, unless it names an actor named already: a member timed out by
/// the scope above is named from the tree, and its nested scope's result, if it still
/// returns, names the same leaves.
fn keep_stuck(record: &mut Record, stuck: Stuck) {
    if !record.stuck.iter().any(|kept| kept.actor == stuck.actor) {
        record.stuck.push(stuck);
    }
}
