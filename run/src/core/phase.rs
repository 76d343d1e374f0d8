//! What a member says it is doing (`Context::phase`), kept for the report of a stuck
//! shutdown.
//!
//! Invariants: a member that never reports a phase costs one empty, unlocked field of its
//! slot; the first report allocates the member's record, later ones only overwrite it (a
//! `&'static str` phase is never copied); the record is read only when the member is named
//! stuck or aborted.

use std::{
    borrow::Cow,
    sync::{Mutex, PoisonError},
};

use tokio::time::Instant;

/// The last phase a member reported, and since when.
struct Mark {
    phase: Cow<'static, str>,
    since: Instant,
}

/// A member's phase record, allocated on its first report.
#[derive(Default)]
pub(crate) struct PhaseCell(Mutex<Option<Box<Mark>>>);

impl PhaseCell {
    pub(crate) fn set(&self, phase: Cow<'static, str>) {
        let since = Instant::now();
        let mut mark = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *mark {
            Some(mark) => {
                // A phase reported again keeps its start: "flushing for 4 s", not "for 0 s".
                if mark.phase != phase {
                    mark.phase = phase;
                    mark.since = since;
                }
            }
            None => *mark = Some(Box::new(Mark { phase, since })),
        }
    }

    /// The last phase and how long the member has been in it, if it ever reported one.
    pub(crate) fn get(&self) -> Option<(Cow<'static, str>, std::time::Duration)> {
        let mark = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        mark.as_ref()
            .map(|mark| (mark.phase.clone(), mark.since.elapsed()))
    }
}
