//! The state a running group shares with its actors' tasks and contexts.
//!
//! One allocation per group run holds a slot per actor, so an actor costs no allocation of
//! its own beyond its task. Each slot has its own interrupted flag and `Notify`, which is
//! what lets interrupts be delivered one actor at a time, in order.
//!
//! An actor is *unfinished* while its execute or its async interrupt still runs; each stage
//! counts its unfinished actors, and the group is woken when a count reaches zero, so waiting
//! for a stage costs one atomic operation per actor, not a poll of every task.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering},
        Arc, Mutex, OnceLock,
    },
};

use tokio::sync::Notify;

use crate::{
    event::{self, Hook},
    name::Leaf,
    ActorName, Cause, Error, Event, ExitPolicy,
};

/// What a forced shutdown was forced by: a second signal, in practice.
pub(crate) type Force = Pin<Box<dyn Future<Output = Error> + Send + 'static>>;

pub(crate) struct Slot {
    leaf: Leaf,
    policy: ExitPolicy,
    /// Position of the actor's stage in the group's stage order.
    stage: usize,
    interrupted: AtomicBool,
    notify: Notify,
    /// Parts still running: the execute, plus an async interrupt once started.
    unfinished: AtomicU8,
    #[cfg(feature = "tracing")]
    pub(crate) span: tracing::Span,
}

impl Slot {
    pub(crate) fn new(leaf: Leaf, policy: ExitPolicy, stage: usize) -> Self {
        Self {
            leaf,
            policy,
            stage,
            interrupted: AtomicBool::new(false),
            notify: Notify::new(),
            unfinished: AtomicU8::new(1),
            #[cfg(feature = "tracing")]
            span: tracing::Span::none(),
        }
    }
}

pub(crate) struct Shared {
    path: Option<Arc<str>>,
    slots: Box<[Slot]>,
    /// Set once, by the first exit that stops the group or by the group itself.
    cause: OnceLock<Cause>,
    /// The first panic that did not become the cause; it wins over an `Ok` cause.
    late_panic: OnceLock<Error>,
    /// Actors whose exit the group waits for: all but sidecars, or all if only sidecars.
    active: AtomicUsize,
    sidecars_count: bool,
    /// Unfinished actors per stage.
    stages: Box<[AtomicUsize]>,
    /// Wakes the group: the cause was set, `active` or a stage count reached zero.
    wake: Notify,
    hook: Option<Hook>,
    /// Set by a signal actor that has seen its first signal: the group watches it while it
    /// stops, and a second signal forces the end.
    force: Mutex<Option<Force>>,
}

impl Shared {
    pub(crate) fn new(
        path: Option<Arc<str>>,
        slots: Box<[Slot]>,
        stage_count: usize,
        hook: Option<Hook>,
    ) -> Self {
        let counted = slots
            .iter()
            .filter(|slot| slot.policy != ExitPolicy::Sidecar)
            .count();
        let sidecars_count = counted == 0;
        let mut stages: Box<[AtomicUsize]> =
            (0..stage_count).map(|_| AtomicUsize::new(0)).collect();
        for slot in &*slots {
            *stages[slot.stage].get_mut() += 1;
        }
        Self {
            active: AtomicUsize::new(if sidecars_count { slots.len() } else { counted }),
            sidecars_count,
            path,
            slots,
            cause: OnceLock::new(),
            late_panic: OnceLock::new(),
            stages,
            wake: Notify::new(),
            hook,
            force: Mutex::new(None),
        }
    }

    pub(crate) fn name(&self, index: usize) -> ActorName {
        ActorName::new(self.path.clone(), self.slots[index].leaf.clone())
    }

    pub(crate) fn stage_of(&self, index: usize) -> usize {
        self.slots[index].stage
    }

    pub(crate) fn hook(&self) -> Option<&Hook> {
        self.hook.as_ref()
    }

    /// Whether events are observed at all: if not, their data need not be gathered.
    pub(crate) fn observed(&self) -> bool {
        cfg!(feature = "tracing") || self.hook.is_some()
    }

    /// Emits an event about actor `index`, inside its span: `report` is given the actor's
    /// name and what to send the event to, and is not called when nobody observes.
    pub(crate) fn emit(&self, index: usize, report: impl FnOnce(&ActorName, &dyn Fn(&Event<'_>))) {
        if !self.observed() {
            return;
        }
        #[cfg(feature = "tracing")]
        let _span = self.slots[index].span.enter();
        report(&self.name(index), &|event| {
            event::emit(self.hook.as_ref(), event)
        });
    }

    #[cfg(feature = "tracing")]
    pub(crate) fn span(&self, index: usize) -> &tracing::Span {
        &self.slots[index].span
    }

    /// Records the result of actor `index`'s execute; called once by its task.
    pub(crate) fn exited(&self, index: usize, result: Result<(), Error>) {
        let slot = &self.slots[index];
        let mut wake = false;
        // Once the cause is set, no exit can become it: skip building one (it clones the name).
        let leftover = if self.cause.get().is_none() && slot.policy.stops_group(&result) {
            let exit = Cause::Exit {
                actor: self.name(index),
                result,
            };
            match self.cause.set(exit) {
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
            if error.is_panic() {
                self.record_panic(error);
            }
        }
        if (slot.policy != ExitPolicy::Sidecar || self.sidecars_count)
            && self.active.fetch_sub(1, Ordering::AcqRel) == 1
        {
            wake = true;
        }
        if wake {
            self.wake.notify_one();
        }
        self.part_finished(index);
    }

    pub(crate) fn record_panic(&self, error: Error) {
        let _ = self.late_panic.set(error);
    }

    /// An async interrupt of actor `index` starts: the actor is unfinished until it ends.
    pub(crate) fn part_started(&self, index: usize) {
        let slot = &self.slots[index];
        if slot.unfinished.fetch_add(1, Ordering::AcqRel) == 0 {
            self.stages[slot.stage].fetch_add(1, Ordering::AcqRel);
        }
    }

    /// A part of actor `index` ended; the last one to end counts the actor finished.
    pub(crate) fn part_finished(&self, index: usize) {
        let slot = &self.slots[index];
        let before = slot
            .unfinished
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        if before == Ok(1) {
            self.stage_done_one(slot.stage);
        }
    }

    /// Counts actor `index` finished because it is being aborted; false if it had finished.
    pub(crate) fn abandon(&self, index: usize) -> bool {
        let slot = &self.slots[index];
        if slot.unfinished.swap(0, Ordering::AcqRel) == 0 {
            return false;
        }
        self.stage_done_one(slot.stage);
        true
    }

    fn stage_done_one(&self, stage: usize) {
        if self.stages[stage].fetch_sub(1, Ordering::AcqRel) == 1 {
            self.wake.notify_one();
        }
    }

    pub(crate) fn is_unfinished(&self, index: usize) -> bool {
        self.slots[index].unfinished.load(Ordering::Acquire) > 0
    }

    pub(crate) fn stage_drained(&self, stage: usize) -> bool {
        self.stages[stage].load(Ordering::Acquire) == 0
    }

    /// Whether the group should stop on its own: an exit set the cause, or every counted
    /// actor has finished.
    pub(crate) fn stop_requested(&self) -> bool {
        self.cause.get().is_some() || self.active.load(Ordering::Acquire) == 0
    }

    /// Completes after a change that may satisfy what the group waits for. `notify_one`
    /// leaves a permit when nobody waits, so no wake-up between a check and this wait is
    /// lost.
    pub(crate) fn woken(&self) -> tokio::sync::futures::Notified<'_> {
        self.wake.notified()
    }

    /// The cause, set to `otherwise` if nothing set it first.
    pub(crate) fn settle_cause(&self, otherwise: Cause) -> &Cause {
        self.cause.get_or_init(|| otherwise)
    }

    pub(crate) fn cause(&self) -> Option<&Cause> {
        self.cause.get()
    }

    /// What `run()` returns once every actor has returned.
    pub(crate) fn result(&self) -> Result<(), Error> {
        let result = self.cause.get().map_or(Ok(()), Cause::result);
        match (result, self.late_panic.get()) {
            (Ok(()), Some(panic)) => Err(panic.clone()),
            (result, _) => result,
        }
    }

    pub(crate) fn interrupt(&self, index: usize) {
        let slot = &self.slots[index];
        slot.interrupted.store(true, Ordering::Release);
        slot.notify.notify_waiters();
    }

    pub(crate) fn is_interrupted(&self, index: usize) -> bool {
        self.slots[index].interrupted.load(Ordering::Acquire)
    }

    pub(crate) async fn interrupted(&self, index: usize) {
        let slot = &self.slots[index];
        loop {
            // A `Notified` created before `notify_waiters` completes even if first polled
            // after it, so creating it before the check loses nothing.
            let notified = slot.notify.notified();
            if slot.interrupted.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    pub(crate) fn set_force(&self, force: Force) {
        *self.force.lock().unwrap_or_else(|e| e.into_inner()) = Some(force);
        self.wake.notify_one();
    }

    pub(crate) fn take_force(&self) -> Option<Force> {
        self.force.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}
