//! The scope tree: the parent link, the scopes made under each member, and the queries the
//! layers above read from it (what runs, what is stuck, what a layer picks): each layer asks
//! here, none walks the tree its own way.
//!
//! # Invariants
//!
//! - **Push down.** A scope made under a member of another scope (a nested group, a child task
//!   group) is stopped from outside when that member is interrupted; it registers with its
//!   parent, so its members' futures wait only on their own scope, and a finished future is
//!   registered nowhere.
//! - **The tree is the truth.** What still runs under a member is read from the scopes made
//!   under it, at any time and from any thread, whatever their futures are doing (one may be
//!   stuck behind a blocked thread): the members each has named stuck, and the leaves under
//!   its unfinished members ([`Scope::running_leaves`]). A timeout, a forced exit and the
//!   exit watch of `#[run::main]` all name leaves that way.

use std::{
    sync::{
        Arc,
        atomic::{Ordering, fence},
    },
    time::Duration,
};

use super::{Scope, lock};
use crate::{
    core::{cause::Cause, event::Event},
    error::Stuck,
    name::ActorName,
};

// The tree itself: the scopes made under each member, registered, stopped and listed.
impl Scope {
    /// Registers `child`, made under member `index`; stops it at once if that member is
    /// interrupted already. The check after the push sees a mark made before the parent
    /// scanned its children, so no child is missed.
    pub(super) fn adopt(&self, index: u32, child: &Arc<Scope>) {
        {
            let mut children = lock(&self.children);
            children.retain(|(_, child, _)| child.strong_count() > 0);
            children.push((index, Arc::downgrade(child), false));
            self.has_children.store(true, Ordering::Release);
        }
        // Pairs with the fence in `wake_interrupted`: this side writes `has_children`, then
        // reads the member's mark; that side marks, then reads `has_children`. With a fence on
        // each side, one of them sees the other's write, so the child is always stopped.
        fence(Ordering::SeqCst);
        if self.is_interrupted(index as usize) {
            child.stop(Cause::Cancelled);
        }
    }

    /// Stops the children of the members interrupted so far.
    pub(super) fn stop_children(&self) {
        if !self.has_children.load(Ordering::Acquire) {
            return;
        }
        let stopping: Vec<Arc<Scope>> = {
            let mut children = lock(&self.children);
            let mut stopping = Vec::new();
            children.retain_mut(|(index, child, stopped)| {
                if *stopped || !self.is_interrupted(*index as usize) {
                    return child.strong_count() > 0;
                }
                *stopped = true;
                stopping.extend(child.upgrade());
                true
            });
            stopping
        };
        for child in stopping {
            child.stop(Cause::Cancelled);
        }
    }

    /// Every scope made under any member and still alive (without those further down).
    pub(super) fn all_children(&self) -> Vec<Arc<Scope>> {
        if !self.has_children.load(Ordering::Acquire) {
            return Vec::new();
        }
        lock(&self.children)
            .iter()
            .filter_map(|(_, child, _)| child.upgrade())
            .collect()
    }

    /// The top scope of the tree this scope belongs to.
    pub(crate) fn root(self: &Arc<Self>) -> Arc<Scope> {
        let mut scope = Arc::clone(self);
        while let Some(parent) = scope
            .parent
            .as_ref()
            .map(|parent| Arc::clone(&parent.scope))
        {
            scope = parent;
        }
        scope
    }

    /// The scopes made under member `index` and still alive, in the order they were made.
    pub(crate) fn children_of(&self, index: usize) -> Vec<Arc<Scope>> {
        if !self.has_children.load(Ordering::Acquire) {
            return Vec::new();
        }
        lock(&self.children)
            .iter()
            .filter(|(of, _, _)| *of as usize == index)
            .filter_map(|(_, child, _)| child.upgrade())
            .collect()
    }

    /// The actors still running under fixed member `index`, as the tree says now, whatever
    /// the futures of the scopes under it are doing (one may be stuck behind a blocked
    /// thread): what each scope made under it has named stuck, and the leaves still running
    /// under its unfinished members, at any depth; the member itself if that is nothing. What
    /// a timeout and a forced exit name.
    pub(crate) fn running_leaves(&self, index: usize, out: &mut Vec<Stuck>) {
        let before = out.len();
        for child in self.children_of(index) {
            child.stuck_into(out);
        }
        if out.len() == before {
            out.push(self.stuck(index));
        }
    }

    /// Tells the hook that fixed member `index`, aborted at its timeout (`after`), timed out,
    /// and so did each actor [`running_leaves`](Scope::running_leaves) names under it that
    /// has not said so itself: every actor named stuck is heard to time out, whether its own
    /// scope timed it out or the one above aborted it whole (when both deadlines fall in the
    /// same tick, the nested scope's margin is lost). A quiet member (a supervisor) is heard
    /// only when nothing under it is named instead (between two incarnations).
    pub(crate) fn emit_timed_out(&self, index: usize, after: Duration) {
        let report = |actor: &_, send: &dyn Fn(&Event<'_>)| send(&Event::TimedOut { actor, after });
        self.emit(index, report);
        let mut named = false;
        for child in self.children_of(index) {
            named |= child.emit_timed_out_inside(after);
        }
        if !named && self.is_quiet(index) {
            self.emit_unmuted(index, report);
        }
    }

    /// [`emit_timed_out`](Scope::emit_timed_out) for every member of this scope still
    /// running; whether this scope names anyone ([`stuck_into`](Scope::stuck_into)): those it
    /// timed out itself were heard then.
    fn emit_timed_out_inside(&self, after: Duration) -> bool {
        let mut named = !lock(&self.record).stuck.is_empty();
        for index in 0..self.slots.len() {
            if self.is_unfinished(index) {
                self.emit_timed_out(index, after);
                named = true;
            }
        }
        named
    }

    /// What is stuck right now: the members named stuck so far, then the leaves still
    /// running under each unfinished member. For a report when the run loop itself cannot
    /// finish (a thread blocked in a member's poll).
    pub(crate) fn stuck_now(&self) -> Vec<Stuck> {
        let mut stuck = Vec::new();
        self.stuck_into(&mut stuck);
        stuck
    }

    /// [`stuck_now`](Scope::stuck_now), added to `out`. The record's lock is let go before
    /// the scopes below are read: no two records are ever locked at once.
    fn stuck_into(&self, out: &mut Vec<Stuck>) {
        out.extend(lock(&self.record).stuck.iter().cloned());
        for index in 0..self.slots.len() {
            if self.is_unfinished(index) {
                self.running_leaves(index, out);
            }
        }
    }
}

// Queries of the tree for the layers above.
impl Scope {
    /// The deepest fixed members, at or under this scope, that `pick` picks: for each member
    /// picked, those picked in the scopes made under it (at any depth), else the member
    /// itself. In member order, depth first. A layer passes what it keeps per scope (its
    /// extension) as `pick`: readiness asks for the actors not ready this way.
    pub(crate) fn picked_leaves(&self, pick: &dyn Fn(&Scope, usize) -> bool) -> Vec<ActorName> {
        let mut out = Vec::new();
        self.pick_leaves(pick, &mut out);
        out
    }

    fn pick_leaves(&self, pick: &dyn Fn(&Scope, usize) -> bool, out: &mut Vec<ActorName>) {
        for index in 0..self.slots.len() {
            if !pick(self, index) {
                continue;
            }
            let before = out.len();
            for child in self.children_of(index) {
                child.pick_leaves(pick, out);
            }
            if out.len() == before {
                out.push(self.name(index));
            }
        }
    }

    /// Whether the stop has begun here or in a scope above: a cause is set on the way to
    /// the root. A stop above reaches this scope only once the member it runs under is
    /// interrupted, which a drain or the stages may put off.
    pub(crate) fn stopping_here_or_above(&self) -> bool {
        let mut scope = self;
        loop {
            if scope.cause.get().is_some() {
                return true;
            }
            match &scope.parent {
                Some(parent) => scope = &parent.scope,
                None => return false,
            }
        }
    }
}
