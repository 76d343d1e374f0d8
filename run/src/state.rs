//! The state a running group shares with its actors' tasks and contexts.
//!
//! One allocation per group run holds a slot per actor, so an actor costs no allocation of
//! its own beyond its task. Each slot has its own interrupted flag and `Notify`, which is
//! what lets interrupts be delivered one actor at a time, in add order.

use std::sync::{
    atomic::{AtomicBool, AtomicUsize, Ordering},
    Arc, OnceLock,
};

use tokio::sync::Notify;

use crate::{name::Leaf, ActorName, Cause, Error, ExitPolicy};

pub(crate) struct Slot {
    leaf: Leaf,
    policy: ExitPolicy,
    interrupted: AtomicBool,
    notify: Notify,
}

impl Slot {
    pub(crate) fn new(leaf: Leaf, policy: ExitPolicy) -> Self {
        Self {
            leaf,
            policy,
            interrupted: AtomicBool::new(false),
            notify: Notify::new(),
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
    /// Wakes the group: the cause was set, or `active` reached zero.
    wake: Notify,
}

impl Shared {
    pub(crate) fn new(path: Option<Arc<str>>, slots: Box<[Slot]>) -> Self {
        let counted = slots
            .iter()
            .filter(|slot| slot.policy != ExitPolicy::Sidecar)
            .count();
        let sidecars_count = counted == 0;
        Self {
            active: AtomicUsize::new(if sidecars_count { slots.len() } else { counted }),
            sidecars_count,
            path,
            slots,
            cause: OnceLock::new(),
            late_panic: OnceLock::new(),
            wake: Notify::new(),
        }
    }

    pub(crate) fn name(&self, index: usize) -> ActorName {
        ActorName::new(self.path.clone(), self.slots[index].leaf.clone())
    }

    /// Records the result of actor `index`; called once by its task.
    pub(crate) fn exited(&self, index: usize, result: Result<(), Error>) {
        let slot = &self.slots[index];
        let mut wake = false;
        let leftover = if slot.policy.stops_group(&result) {
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
                let _ = self.late_panic.set(error);
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
    }

    pub(crate) fn record_panic(&self, error: Error) {
        let _ = self.late_panic.set(error);
    }

    /// Waits until the group should stop on its own: an exit set the cause, or every
    /// counted actor has finished.
    pub(crate) async fn stop_requested(&self) {
        loop {
            if self.cause.get().is_some() || self.active.load(Ordering::Acquire) == 0 {
                return;
            }
            // `notify_one` leaves a permit when nobody waits, so no wake-up is lost between
            // the check above and this wait.
            self.wake.notified().await;
        }
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
}
