//! Stopping a scope: its first cause, the stop, the force of a second signal, the wake-ups
//! of the run loop and of the members, and the one path an interrupt is delivered by.
//!
//! # Invariants
//!
//! - **First cause.** The [`Cause`] is set once: by the first exit whose
//!   [`ExitPolicy`](crate::ExitPolicy) stops the scope ([`Scope::exited`]), by a stop from
//!   outside ([`Cause::Cancelled`]: a parent member interrupted, a token, `run_until`,
//!   [`TaskGroup::cancel`](crate::TaskGroup::cancel)), or by the scope itself once every
//!   counted member has finished ([`Cause::Finished`]).
//! - **Exactly once.** Each member is marked interrupted once; a member's interrupt is
//!   delivered once, through [`Scope::deliver`]. A scope with a run loop (a `Group`) delivers
//!   in stage order ([`shutdown`](crate::core::shutdown)); a scope without one (a
//!   `TaskGroup`) interrupts every member at the stop itself ([`Scope::interrupt_all`]).

use std::{
    sync::{
        Arc,
        atomic::{Ordering, fence},
    },
    time::Duration,
};

use tokio::{task::JoinHandle, time::Instant};

use super::{Force, Scope, lock};
use crate::{
    core::{cause::Cause, event::Event, interrupt::Interrupt},
    panic::{self, CatchUnwind},
};

// The cause, the stop, the force.
impl Scope {
    /// Stops the scope with `cause`, unless it has a cause already; a scope without a run
    /// loop interrupts every member now.
    pub(crate) fn stop(&self, cause: Cause) {
        let _ = self.cause.set(cause);
        if self.run_loop {
            self.wake.notify_one();
        } else {
            self.interrupt_all();
        }
    }

    /// The cause, set to `otherwise` if nothing set it first.
    pub(crate) fn settle_cause(&self, otherwise: Cause) -> &Cause {
        self.cause.get_or_init(|| otherwise)
    }

    pub(crate) fn cause(&self) -> Option<&Cause> {
        self.cause.get()
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.cause.get().is_some()
    }

    /// Whether the run loop should stop: a cause was set, or every counted member finished.
    pub(crate) fn stop_requested(&self) -> bool {
        self.cause.get().is_some() || self.active.load(Ordering::Acquire) == 0
    }

    /// Completes after a change that may satisfy what the run loop waits for. `notify_one`
    /// leaves a permit when nobody waits, so no wake-up between a check and this wait is
    /// lost.
    pub(crate) fn woken(&self) -> tokio::sync::futures::Notified<'_> {
        self.wake.notified()
    }

    pub(crate) fn set_force(&self, force: Force) {
        *lock(&self.force) = Some(force);
        self.wake.notify_one();
    }

    pub(crate) fn take_force(&self) -> Option<Force> {
        lock(&self.force).take()
    }

    /// Notes that the run loop has seen the stop.
    pub(crate) fn mark_stop_started(&self) {
        let _ = self.stop_started.set(Instant::now());
        if let Some(extension) = &self.extension {
            extension.stop_began();
        }
    }

    /// When the run loop saw the stop, if it has.
    pub(crate) fn stop_started(&self) -> Option<Instant> {
        self.stop_started.get().copied()
    }

    /// How long since the run loop saw the stop.
    pub(crate) fn since_stop(&self) -> Duration {
        self.stop_started
            .get()
            .map_or(Duration::ZERO, |start| start.elapsed())
    }
}

// Interrupts: the marks, the wake-ups, the one delivery path.
impl Scope {
    /// Marks fixed member `index` interrupted; it learns so at the next
    /// [`wake_interrupted`](Scope::wake_interrupted).
    pub(crate) fn mark_interrupted(&self, index: usize) {
        self.slots[index].interrupted.store(true, Ordering::Release);
    }

    /// Wakes the members marked since the last call, and stops their children.
    pub(crate) fn wake_interrupted(&self) {
        // Between the marks and the look for child tasks, against a child being added: see
        // `add_child`. Once per batch of members, not per member.
        fence(Ordering::SeqCst);
        self.interrupt_owned();
        self.interrupts.notify_waiters();
        self.stop_children();
    }

    /// A wake-up for the next batch of interrupts. One created before a `notify_waiters`
    /// completes even if first polled after it, so creating it before checking a flag loses
    /// nothing.
    pub(crate) fn interrupts_notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.interrupts.notified()
    }

    #[inline]
    pub(crate) fn is_interrupted(&self, index: usize) -> bool {
        match self.slots.get(index) {
            Some(slot) => {
                slot.interrupted.load(Ordering::Acquire)
                    || self.all_interrupted.load(Ordering::Acquire)
            }
            None => self.dynamic_is_interrupted(index),
        }
    }

    #[cold]
    fn dynamic_is_interrupted(&self, index: usize) -> bool {
        self.all_interrupted.load(Ordering::Acquire)
            || (self.has_owned.load(Ordering::Acquire) && {
                let dynamic = lock(&self.dynamic);
                let at = dynamic.at(index, self.slots.len());
                dynamic.interrupted.get(at).copied().unwrap_or(false)
            })
    }

    /// Marks every member interrupted at once and delivers the dynamic members' interrupts
    /// (a scope without a run loop).
    pub(crate) fn interrupt_all(&self) {
        if self.all_interrupted.swap(true, Ordering::AcqRel) {
            return;
        }
        let cause = self.cause.get().cloned().unwrap_or(Cause::Cancelled);
        let (live, mut calls) = {
            let mut dynamic = lock(&self.dynamic);
            // Not those interrupted already (a child task, with its owner): once each.
            let live: Vec<usize> = (0..dynamic.started.len())
                .filter(|&at| dynamic.started[at] && !dynamic.interrupted[at])
                .collect();
            for &at in &live {
                dynamic.interrupted[at] = true;
            }
            let live = live
                .into_iter()
                .map(|at| self.slots.len() + at)
                .collect::<Vec<_>>();
            (live, std::mem::take(&mut dynamic.interrupts))
        };
        let Some(me) = self.me.upgrade() else { return };
        for index in live {
            let call = calls
                .iter()
                .position(|(of, _)| *of as usize == index)
                .map(|at| calls.swap_remove(at).1);
            self.deliver_dynamic(&me, index, call, &cause);
        }
        self.wake_interrupted();
    }

    /// Delivers member `index`'s interrupt with `cause`: emits `Interrupted`, calls the
    /// interrupt (starting an async one as a task only if `start_async`), and returns that
    /// task, if any. The caller marks the member interrupted and wakes the batch.
    ///
    /// The one place an interrupt runs, whoever stops the scope. A [`Interrupt::Call`] runs in
    /// place, its panic caught and recorded as [`Error::Panic`](crate::Error::Panic) with the
    /// member's path; an [`Interrupt::CallAsync`] runs as a task of its own (never inside the
    /// member's poll), its panic caught the same way; neither ever stops the delivery of the
    /// other interrupts.
    pub(crate) fn deliver(
        self: &Arc<Self>,
        index: usize,
        interrupt: Option<Interrupt>,
        cause: &Cause,
        start_async: bool,
    ) -> Option<JoinHandle<()>> {
        self.emit(index, |actor, send| {
            send(&Event::Interrupted { actor, cause });
        });
        match interrupt {
            None | Some(Interrupt::Context | Interrupt::Abort) => None,
            Some(Interrupt::Call(call)) => {
                if let Err(panicked) = panic::catch(|| call(cause)) {
                    self.record_failure(panicked.into_error(self.name(index)));
                }
                None
            }
            Some(Interrupt::CallAsync(call)) if start_async => {
                match panic::catch(|| call(cause.clone())) {
                    Ok(interrupting) => {
                        self.part_started(index);
                        let scope = Arc::clone(self);
                        Some(tokio::spawn(async move {
                            if let Err(panicked) = CatchUnwind::new(interrupting).await {
                                scope.record_failure(panicked.into_error(scope.name(index)));
                            }
                            scope.part_finished(index);
                        }))
                    }
                    Err(panicked) => {
                        self.record_failure(panicked.into_error(self.name(index)));
                        None
                    }
                }
            }
            Some(Interrupt::CallAsync(_)) => None,
        }
    }

    pub(super) fn deliver_dynamic(
        &self,
        me: &Arc<Scope>,
        index: usize,
        call: Option<Interrupt>,
        cause: &Cause,
    ) {
        if let Some(task) = me.deliver(index, call, cause, !self.is_aborted()) {
            lock(&self.dynamic).interrupt_tasks.push(task);
        }
    }

    /// Completes once the scope has stopped and its members are interrupted.
    pub(crate) async fn stopped(&self) {
        loop {
            let notified = self.interrupts.notified();
            if self.is_stopped() && self.all_interrupted.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}
