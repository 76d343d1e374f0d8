//! The fixed members' progress, as the run loop sees it: each member's exit, the parts of it
//! still running (its execute, an async interrupt, its child tasks together), and the
//! unfinished members of each stage, which the run loop waits on.
//!
//! # Invariants
//!
//! - **Counted once.** A member is unfinished while any part of it runs; the last part to
//!   end, or an abort ([`Scope::abandon`]), counts it finished in its stage, once each time
//!   it was counted unfinished; the member that finishes a stage wakes the run loop.
//! - **Each exit goes one way.** A member's failed exit becomes the first cause or is kept
//!   ([`record`](super::record)), never both; an exit counts towards the scope's own end
//!   ([`Scope::stop_requested`]) only if it finds no cause set.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

use super::{Scope, Slot, StageCounts, lock, record::merge_sidecar};
use crate::{
    core::{cause::Cause, interrupt::ExitPolicy, phase::PhaseCell},
    error::Error,
    name::Leaf,
};

impl StageCounts {
    pub(super) fn new(stage_count: usize) -> Self {
        Self {
            first: AtomicUsize::new(0),
            rest: (1..stage_count).map(|_| AtomicUsize::new(0)).collect(),
        }
    }

    /// How many stages there are.
    pub(super) fn count(&self) -> usize {
        self.rest.len() + 1
    }

    #[inline]
    pub(super) fn at(&self, stage: usize) -> &AtomicUsize {
        match stage.checked_sub(1) {
            None => &self.first,
            Some(later) => &self.rest[later],
        }
    }

    pub(super) fn at_mut(&mut self, stage: usize) -> &mut usize {
        match stage.checked_sub(1) {
            None => self.first.get_mut(),
            Some(later) => self.rest[later].get_mut(),
        }
    }
}

impl Slot {
    pub(crate) fn new(leaf: Leaf, policy: ExitPolicy, stage: usize) -> Self {
        Self {
            leaf,
            policy,
            // At most one stage per actor, and actors are counted in `u32`.
            stage: stage as u32,
            interrupted: AtomicBool::new(false),
            exited: AtomicBool::new(false),
            unfinished: AtomicU8::new(1),
            phase: PhaseCell::default(),
            #[cfg(feature = "tracing")]
            span: tracing::Span::none(),
        }
    }
}

// The fixed members and their exits.
impl Scope {
    /// The number of fixed members.
    pub(crate) fn fixed_count(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn stage_of(&self, index: usize) -> usize {
        self.slots[index].stage as usize
    }

    /// Records the result of member `index`'s execute; called once per run of a member.
    pub(crate) fn exited(&self, index: usize, result: Result<(), Error>) {
        let policy = self
            .slots
            .get(index)
            .map_or(ExitPolicy::Task, |slot| slot.policy);
        let mut wake = false;
        // Once the cause is set, no exit can become it: skip building one (it clones the name).
        let leftover = if self.cause.get().is_none() && policy.stops_group(&result) {
            match self.cause.set(Cause::Exit {
                actor: self.name(index),
                result,
            }) {
                Ok(()) => {
                    wake = true;
                    None
                }
                Err(Cause::Exit { result, .. }) => Some(result),
                Err(_) => None,
            }
        } else {
            Some(result)
        };
        if let Some(Err(error)) = leftover {
            if policy == ExitPolicy::Sidecar {
                // Reported only ([`ExitPolicy::Sidecar`]); its panics and stuck leaves are kept.
                merge_sidecar(&mut lock(&self.record), error);
            } else {
                self.record_failure(error);
            }
        }
        if let Some(slot) = self.slots.get(index) {
            slot.exited.store(true, Ordering::Release);
            // Once a cause is set the count decides nothing (see `stop_requested`): the
            // members that exit during the stop skip a shared counter every worker would
            // otherwise pass around.
            if (slot.policy != ExitPolicy::Sidecar || self.sidecars_count)
                && self.cause.get().is_none()
                && self.active.fetch_sub(1, Ordering::AcqRel) == 1
            {
                wake = true;
            }
            // Its part counted done before its child tasks are looked for: a child added
            // meanwhile (see `add_child`) either saw `exited`, or its part count, read here
            // by the same read-modify-write order, shows `has_owned`.
            let drained = self.slot_part_done(slot);
            self.interrupt_owned();
            // One wake-up for the cause and the stage together: the run loop, woken once,
            // finds both (a second would cost it another turn, on another thread).
            if drained || wake {
                self.wake.notify_one();
            }
        } else {
            if self.has_owned.load(Ordering::Acquire) {
                let mut dynamic = lock(&self.dynamic);
                let at = dynamic.at(index, self.slots.len());
                dynamic.exited[at] = true;
            }
            self.interrupt_owned();
            if wake && self.run_loop {
                self.wake.notify_one();
            } else if wake {
                self.interrupt_all();
            }
        }
    }

    /// Whether member `index`'s execute has returned (for a child task: while it is still
    /// counted).
    #[inline]
    pub(crate) fn has_exited(&self, index: usize) -> bool {
        match self.slots.get(index) {
            Some(slot) => slot.exited.load(Ordering::Acquire),
            None => self.dynamic_has_exited(index),
        }
    }

    #[cold]
    fn dynamic_has_exited(&self, index: usize) -> bool {
        let dynamic = lock(&self.dynamic);
        let at = dynamic.at(index, self.slots.len());
        dynamic.exited.get(at).copied().unwrap_or(true)
    }
}

// Parts and stages: what the run loop waits on.
impl Scope {
    /// An async interrupt of member `index` starts: the member is unfinished until it ends.
    pub(crate) fn part_started(&self, index: usize) {
        match self.slots.get(index) {
            Some(slot) => {
                if slot.unfinished.fetch_add(1, Ordering::AcqRel) == 0 {
                    self.stages
                        .at(slot.stage as usize)
                        .fetch_add(1, Ordering::AcqRel);
                }
            }
            None => {
                self.dynamic_running.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// A part of member `index` ended; the last one to end counts the member finished.
    pub(crate) fn part_finished(&self, index: usize) {
        match self.slots.get(index) {
            Some(slot) => self.slot_part_finished(slot),
            None => self.dynamic_ended(),
        }
    }

    #[inline]
    pub(super) fn slot_part_finished(&self, slot: &Slot) {
        if self.slot_part_done(slot) {
            self.wake.notify_one();
        }
    }

    /// Counts a part of `slot` finished; true if that drained its stage (the caller wakes
    /// the run loop).
    #[inline]
    fn slot_part_done(&self, slot: &Slot) -> bool {
        let before = slot
            .unfinished
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        before == Ok(1)
            && self
                .stages
                .at(slot.stage as usize)
                .fetch_sub(1, Ordering::AcqRel)
                == 1
    }

    /// Counts fixed member `index` finished because it is being aborted; false if it had.
    pub(crate) fn abandon(&self, index: usize) -> bool {
        let slot = &self.slots[index];
        if slot.unfinished.swap(0, Ordering::AcqRel) == 0 {
            return false;
        }
        self.stage_done_one(slot.stage as usize);
        true
    }

    fn stage_done_one(&self, stage: usize) {
        if self.stages.at(stage).fetch_sub(1, Ordering::AcqRel) == 1 {
            self.wake.notify_one();
        }
    }

    pub(crate) fn is_unfinished(&self, index: usize) -> bool {
        self.slots[index].unfinished.load(Ordering::Acquire) > 0
    }

    pub(crate) fn stage_drained(&self, stage: usize) -> bool {
        self.stage_left(stage) == 0
    }

    /// The members of `stage` not finished yet.
    pub(crate) fn stage_left(&self, stage: usize) -> usize {
        self.stages.at(stage).load(Ordering::Acquire)
    }
}
