//! The dynamic members, in one registry under one lock: a task group's tasks, and the child
//! tasks ([`Context::spawn`](crate::Context::spawn)) of every member; their start, their
//! interrupts, their end, and their tokio tasks, joined with the scope or handed up.
//!
//! # Invariants
//!
//! - **Child tasks.** A member takes child tasks while it runs and while it stops (they start
//!   interrupted then, under its timeout), never once it has ended: its parts all finished,
//!   or it was aborted. Together they hold one part of it. Their tokio tasks, aborted or not,
//!   are joined with the scope; a scope dropped before its join hands its tasks, aborted, to
//!   the nearest scope above that still joins (one dropped too passes them on), which joins
//!   them: no task outlives the top scope's join.
//! - **Started means interrupted once.** A dynamic member gets events and interrupts only
//!   once started; one started is interrupted exactly once (with its owner, or with the
//!   scope), one refused at the start never is.

use std::sync::{
    Arc,
    atomic::{Ordering, fence},
};

use tokio::task::{AbortHandle, JoinHandle};

use super::{Dynamic, Ended, Scope, lock};
use crate::{
    core::{cause::Cause, interrupt::Interrupt},
    name::{ActorName, Leaf},
};

impl Dynamic {
    pub(super) fn at(&self, index: usize, fixed: usize) -> usize {
        index - fixed
    }

    /// Takes a free entry (or a new one) for a member named `name`, owned by `owner`; returns
    /// its position among the dynamic members.
    fn insert(&mut self, name: ActorName, owner: Option<u32>) -> usize {
        let at = match self.free.pop() {
            Some(at) => {
                self.names[at as usize] = Some(name);
                at as usize
            }
            None => {
                self.names.push(Some(name));
                self.started.push(false);
                self.owners.push(None);
                self.interrupted.push(false);
                self.exited.push(false);
                self.names.len() - 1
            }
        };
        self.owners[at] = owner;
        at
    }
}

// A task group's tasks, and the end of every dynamic member when the face is dropped.
impl Scope {
    /// Adds a dynamic member named `name` (numbered when empty); it counts as running until
    /// [`remove_dynamic`](Scope::remove_dynamic).
    pub(crate) fn add_dynamic(&self, name: std::borrow::Cow<'static, str>) -> u32 {
        let mut dynamic = lock(&self.dynamic);
        let leaf = Leaf::new(name, dynamic.numbered);
        dynamic.numbered += 1;
        let name = ActorName::new(self.path.clone(), leaf);
        let at = dynamic.insert(name, None) as u32;
        self.dynamic_running.fetch_add(1, Ordering::AcqRel);
        self.slots.len() as u32 + at
    }

    /// Starts task group task `index`, to be interrupted with `interrupt` (if it calls
    /// something) besides its context, unless the scope has stopped: then it never runs. A
    /// member started here is interrupted by the stop exactly once (the flag and the lists
    /// are read under one lock); one refused never is: no event for an actor that never
    /// started. (A child task starts with [`start_child`](Scope::start_child).)
    pub(crate) fn start_dynamic(&self, index: u32, interrupt: Option<Interrupt>) -> bool {
        let mut dynamic = lock(&self.dynamic);
        let at = dynamic.at(index as usize, self.slots.len());
        if self.is_stopped() || self.all_interrupted.load(Ordering::Acquire) {
            return false;
        }
        dynamic.started[at] = true;
        if let Some(interrupt) = interrupt {
            dynamic.interrupts.push((index, interrupt));
        }
        true
    }

    /// Removes a dynamic member: it no longer runs. The lock it takes is never held while
    /// calling out, so a member's future can be dropped anywhere.
    pub(crate) fn remove_dynamic(&self, index: u32) {
        let interrupt = self.free_dynamic(&mut lock(&self.dynamic), index);
        // Dropped outside the lock: its destructor may do anything.
        drop(interrupt);
        self.dynamic_ended();
    }

    /// Frees dynamic member `index`'s entry; returns its undelivered interrupt, to be dropped
    /// outside the lock.
    fn free_dynamic(&self, dynamic: &mut Dynamic, index: u32) -> Option<(u32, Interrupt)> {
        let at = index - self.slots.len() as u32;
        dynamic.names[at as usize] = None;
        dynamic.started[at as usize] = false;
        dynamic.owners[at as usize] = None;
        dynamic.interrupted[at as usize] = false;
        dynamic.exited[at as usize] = false;
        dynamic.free.push(at);
        let call = dynamic.interrupts.iter().position(|(of, _)| *of == index);
        call.map(|at| dynamic.interrupts.swap_remove(at))
    }

    pub(super) fn dynamic_ended(&self) {
        if self.dynamic_running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }

    pub(crate) fn dynamic_running(&self) -> usize {
        self.dynamic_running.load(Ordering::Acquire)
    }

    /// A wake-up for when no dynamic member runs; create it before checking the count.
    pub(crate) fn idle_notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.idle.notified()
    }

    /// Takes the async interrupt tasks of dynamic members started so far, to join them.
    pub(crate) fn take_interrupt_tasks(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut lock(&self.dynamic).interrupt_tasks)
    }

    /// The owning face was dropped: stops the scope and ends the dynamic members at once.
    pub(crate) fn abort(&self) {
        self.mark_aborted();
        self.stop(Cause::Cancelled);
        // Also when the scope had stopped already: members wait for `aborted`.
        self.interrupts.notify_waiters();
        let mut tasks = std::mem::take(&mut lock(&self.dynamic).interrupt_tasks);
        tasks.extend(self.take_child_tasks());
        self.hand_up(tasks);
    }

    /// Notes that the scope's face is gone before the scope ended (a dropped task group, a
    /// group's dropped `run`): nothing new starts in it, no child task, no async interrupt.
    pub(crate) fn mark_aborted(&self) {
        self.aborted.store(true, Ordering::Release);
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Completes once the scope is aborted.
    pub(crate) async fn aborted(&self) {
        loop {
            let notified = self.interrupts.notified();
            if self.is_aborted() {
                return;
            }
            notified.await;
        }
    }

    /// Aborts `tasks`, this scope's, and hands them to the member the scope was made under,
    /// whose scope joins them with its own: for a scope whose face was dropped before it
    /// could join them. Without a parent, they are only aborted.
    pub(crate) fn hand_up(&self, tasks: Vec<JoinHandle<()>>) {
        for task in &tasks {
            task.abort();
        }
        if let Some(parent) = &self.parent {
            parent.scope.keep_tasks(parent.index, tasks);
        }
    }

    /// Keeps `tasks`, handed up by a scope made under member `owner`, to join them with this
    /// scope's child tasks; or, if this scope will join nothing more (its run was dropped, or
    /// its face), hands them on up: a scope is dropped with its member, and the member's
    /// scope may be gone already (a nested group aborted at its deadline, whose leaves end
    /// in the join of the scope above).
    fn keep_tasks(&self, owner: u32, tasks: Vec<JoinHandle<()>>) {
        if tasks.is_empty() {
            return;
        }
        let mut dynamic = lock(&self.dynamic);
        // Read under the lock that `take_owned_tasks` takes, and set before it is taken for
        // the last time: either the tasks are here for that take, or the flag is seen.
        if self.is_aborted() {
            drop(dynamic);
            if let Some(parent) = &self.parent {
                parent.scope.keep_tasks(parent.index, tasks);
            }
            return;
        }
        dynamic.child_tasks.retain(|(_, task)| !task.is_finished());
        dynamic
            .child_tasks
            .extend(tasks.into_iter().map(|task| (owner, task)));
        // Read before the join: see `take_owned_tasks`.
        self.has_owned.store(true, Ordering::Release);
    }
}

// Child tasks: dynamic members owned by another member, interrupted with it and joined
// with it (it counts as unfinished until they end).
impl Scope {
    /// Whether member `owner` is interrupted or has returned, under the dynamic lock.
    fn owner_done(&self, dynamic: &Dynamic, owner: u32) -> bool {
        match self.slots.get(owner as usize) {
            Some(slot) => {
                slot.interrupted.load(Ordering::Acquire) || slot.exited.load(Ordering::Acquire)
            }
            None => {
                let at = dynamic.at(owner as usize, self.slots.len());
                dynamic.interrupted[at] || dynamic.exited[at]
            }
        }
    }

    /// Adds a child task of member `owner`, named under the owner's path; `Err` once the
    /// owner has ended: its execute has returned and nothing of it runs any more, it was
    /// aborted, or its group's run was dropped. An owner that is stopping (interrupted, or
    /// returned with children still running) still takes children: each starts interrupted,
    /// under the owner's timeout, so that work it took is not lost. The owner counts as
    /// unfinished until the child is removed ([`remove_child`](Scope::remove_child)).
    pub(crate) fn add_child(
        &self,
        owner: u32,
        name: std::borrow::Cow<'static, str>,
    ) -> Result<u32, Ended> {
        let path: Arc<str> = self.name(owner as usize).to_string().into();
        let mut dynamic = lock(&self.dynamic);
        if self.is_aborted() {
            return Err(Ended);
        }
        // Before the owner's flags are read: an owner marked interrupted meanwhile then finds
        // this child when its interrupt is woken (both sides fence), and an owner whose
        // execute returns meanwhile does, through its part count (see `exited`).
        self.has_owned.store(true, Ordering::Release);
        fence(Ordering::SeqCst);
        let stopping = match self.slots.get(owner as usize) {
            Some(slot) => {
                let children = dynamic.child_counts.get(owner as usize).copied();
                let children = children.unwrap_or(0);
                // The children's part is joined only while the member runs: one that has
                // ended stays ended, since its stage may have been counted done already.
                let joined =
                    slot.unfinished
                        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |parts| {
                            (parts > 0).then_some(parts + u8::from(children == 0))
                        });
                if joined.is_err() {
                    return Err(Ended);
                }
                if dynamic.child_counts.len() <= owner as usize {
                    dynamic.child_counts.resize(self.slots.len(), 0);
                }
                dynamic.child_counts[owner as usize] = children + 1;
                slot.interrupted.load(Ordering::Acquire) || slot.exited.load(Ordering::Acquire)
            }
            None => {
                let at = dynamic.at(owner as usize, self.slots.len());
                if dynamic.names[at].is_none() || dynamic.exited[at] {
                    return Err(Ended);
                }
                self.dynamic_running.fetch_add(1, Ordering::AcqRel);
                dynamic.interrupted[at]
            }
        };
        let leaf = Leaf::new(name, dynamic.numbered);
        dynamic.numbered += 1;
        let name = ActorName::new(Some(path), leaf);
        let at = dynamic.insert(name, Some(owner));
        dynamic.interrupted[at] = stopping;
        self.dynamic_running.fetch_add(1, Ordering::AcqRel);
        Ok((self.slots.len() + at) as u32)
    }

    /// Starts child task `index`, to be interrupted with `interrupt` (if it calls something)
    /// besides its context. A child interrupted before it started (its owner was stopping)
    /// gets its interrupt now; any other, with its owner or the scope: once either way.
    pub(crate) fn start_child(&self, index: u32, interrupt: Option<Interrupt>) {
        let now = {
            let mut dynamic = lock(&self.dynamic);
            let at = dynamic.at(index as usize, self.slots.len());
            dynamic.started[at] = true;
            if dynamic.interrupted[at] || self.all_interrupted.load(Ordering::Acquire) {
                dynamic.interrupted[at] = true;
                Some(interrupt)
            } else {
                if let Some(interrupt) = interrupt {
                    dynamic.interrupts.push((index, interrupt));
                }
                None
            }
        };
        if let (Some(call), Some(me)) = (now, self.me.upgrade()) {
            let cause = self.cause.get().cloned().unwrap_or(Cause::Cancelled);
            self.deliver_dynamic(&me, index as usize, call, &cause);
        }
    }

    /// Removes child task `index` of `owner`: the owner may now count as finished.
    pub(crate) fn remove_child(&self, index: u32, owner: u32) {
        let (interrupt, last) = {
            let mut dynamic = lock(&self.dynamic);
            let interrupt = self.free_dynamic(&mut dynamic, index);
            let last = match dynamic.child_counts.get_mut(owner as usize) {
                Some(children) => {
                    *children -= 1;
                    *children == 0
                }
                None => false,
            };
            (interrupt, last)
        };
        drop(interrupt);
        self.dynamic_ended();
        match self.slots.get(owner as usize) {
            Some(slot) if last => self.slot_part_finished(slot),
            Some(_) => {}
            None => self.dynamic_ended(),
        }
    }

    /// Keeps the tokio task of a child of `owner`, to join it with the scope and abort it
    /// with its owner. One added once its owner was aborted, or its group's run dropped (both
    /// may happen between [`add_child`](Scope::add_child) and here), is aborted at once; in
    /// the second case it is handed up with the group's tasks.
    pub(crate) fn add_child_task(&self, owner: u32, task: JoinHandle<()>) {
        // The child's part keeps a fixed owner unfinished, unless the owner was aborted.
        let aborted = self
            .slots
            .get(owner as usize)
            .is_some_and(|slot| slot.unfinished.load(Ordering::Acquire) == 0);
        if aborted {
            task.abort();
        }
        let mut dynamic = lock(&self.dynamic);
        if self.is_aborted() {
            drop(dynamic);
            self.hand_up(vec![task]);
            return;
        }
        dynamic.child_tasks.retain(|(_, task)| !task.is_finished());
        dynamic.child_tasks.push((owner, task));
    }

    /// The child tasks ([`Context::spawn`](crate::Context::spawn)) of member `owner` still
    /// running, by index, in the order of their entries.
    pub(crate) fn child_tasks_of(&self, owner: usize) -> Vec<usize> {
        if !self.has_owned.load(Ordering::Acquire) {
            return Vec::new();
        }
        let dynamic = lock(&self.dynamic);
        (0..dynamic.owners.len())
            .filter(|&at| dynamic.owners[at] == Some(owner as u32) && dynamic.started[at])
            .map(|at| self.slots.len() + at)
            .collect()
    }

    /// Interrupts the child tasks whose owner is interrupted or has returned, transitively,
    /// each once, delivering their interrupts.
    #[inline]
    pub(super) fn interrupt_owned(&self) {
        if self.has_owned.load(Ordering::Acquire) {
            self.interrupt_owned_now();
        }
    }

    #[cold]
    fn interrupt_owned_now(&self) {
        let mut interrupted = Vec::new();
        let mut calls = Vec::new();
        {
            let mut dynamic = lock(&self.dynamic);
            loop {
                let mut changed = false;
                for at in 0..dynamic.owners.len() {
                    let Some(owner) = dynamic.owners[at] else {
                        continue;
                    };
                    if dynamic.interrupted[at] || !self.owner_done(&dynamic, owner) {
                        continue;
                    }
                    dynamic.interrupted[at] = true;
                    changed = true;
                    let index = (self.slots.len() + at) as u32;
                    if dynamic.started[at] {
                        interrupted.push(index as usize);
                        let call = dynamic.interrupts.iter().position(|(of, _)| *of == index);
                        calls.push(call.map(|call| dynamic.interrupts.swap_remove(call).1));
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        if interrupted.is_empty() {
            return;
        }
        if let Some(me) = self.me.upgrade() {
            let cause = self.cause.get().cloned().unwrap_or(Cause::Cancelled);
            for (index, call) in interrupted.into_iter().zip(calls) {
                self.deliver_dynamic(&me, index, call, &cause);
            }
        }
        self.interrupts.notify_waiters();
    }

    /// Aborts the child tasks of `owner` and of its children, transitively. Their tokio
    /// tasks stay with the scope, to be joined with it: an aborted task may still be running
    /// until its next poll, and nothing the scope started outlives its join.
    pub(crate) fn abort_children(&self, owner: usize) {
        if !self.has_owned.load(Ordering::Acquire) {
            return;
        }
        let tasks: Vec<AbortHandle> = {
            let dynamic = lock(&self.dynamic);
            let mut owners = vec![owner as u32];
            let mut at = 0;
            while at < owners.len() {
                let of = owners[at];
                for (child, owner) in dynamic.owners.iter().enumerate() {
                    if *owner == Some(of) {
                        owners.push((self.slots.len() + child) as u32);
                    }
                }
                at += 1;
            }
            (dynamic.child_tasks.iter())
                .filter(|(of, _)| owners.contains(of))
                .map(|(_, task)| task.abort_handle())
                .collect()
        };
        for task in tasks {
            task.abort();
        }
    }

    /// Takes the tokio tasks of the child tasks and of their async interrupts, to join or
    /// abort them, for a scope whose only dynamic members are child tasks (a group's): with
    /// none ever added, it takes no lock.
    pub(crate) fn take_owned_tasks(&self) -> Vec<JoinHandle<()>> {
        if !self.has_owned.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut dynamic = lock(&self.dynamic);
        let mut tasks = std::mem::take(&mut dynamic.interrupt_tasks);
        tasks.extend(
            std::mem::take(&mut dynamic.child_tasks)
                .into_iter()
                .map(|(_, task)| task),
        );
        tasks
    }

    /// Takes every child task's tokio task, to join or abort them.
    pub(crate) fn take_child_tasks(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut lock(&self.dynamic).child_tasks)
            .into_iter()
            .map(|(_, task)| task)
            .collect()
    }
}
