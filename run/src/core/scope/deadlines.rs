//! A scope's deadlines: its shutdown deadline, the one it inherits from the member it runs
//! under, each member's, and the shutdown time known before the stop. How that time is
//! shared among the stop's steps is [`deadline`](crate::core::deadline)'s.
//!
//! # Invariants
//!
//! - **Deadlines flow down.** A scope's shutdown deadline is the earliest of its own and its
//!   parent member's, less a margin ([`Scope::inherited_deadline`]), so a nested scope times
//!   out its own stuck members first and names them. Known before the stop, at worst, the
//!   same is [`Scope::budget_under`]: what a scope about to be made under a member may count
//!   on, from the same arithmetic ([`deadline`](crate::core::deadline)). A deadline set or
//!   moved wakes the run loops below, so that one already stopping learns it.

use std::{ops::ControlFlow, time::Duration};

use tokio::time::Instant;

use super::{Scope, lock};
use crate::core::deadline::Deadlines;

/// How much of a parent's remaining shutdown time a nested scope leaves it, at most: enough
/// to report the nested scope's stuck members before the parent's own deadline.
const NESTED_MARGIN: Duration = Duration::from_millis(50);

/// The margin a nested scope leaves before its parent member's deadline, `time` being the
/// parent's shutdown time up to that deadline: [`NESTED_MARGIN`], or a quarter of `time` if
/// that is less. The run loop's deadline and the check before the start both take it off.
fn nested_margin(time: Duration) -> Duration {
    NESTED_MARGIN.min(time / 4)
}

impl Scope {
    /// Sets the scope's own shutdown deadline (once: the first shutdown decides).
    pub(crate) fn set_deadline(&self, deadline: Instant) {
        if self.deadline.set(deadline).is_ok() {
            self.wake_below();
        }
    }

    /// The deadline the scope's shutdown must meet: its own, or the one it inherits, the
    /// earlier.
    pub(crate) fn effective_deadline(&self) -> Option<Instant> {
        let own = self.deadline.get().copied();
        match (own, self.inherited_deadline()) {
            (Some(own), Some(inherited)) => Some(own.min(inherited)),
            (own, inherited) => own.or(inherited),
        }
    }

    /// Notes the share of the shutdown time of `stage`, the stage being stopped.
    pub(crate) fn set_stage_share(&self, stage: usize, until: Instant) {
        let changed = lock(&self.stage_share).replace((stage, until)) != Some((stage, until));
        if changed {
            self.wake_below();
        }
    }

    /// Wakes the run loop of every scope below this one, at any depth: the deadline each
    /// inherits may have changed. A scope that began to stop on its own, before a deadline
    /// above was set, reads it again when woken, so that it times out its own stuck members
    /// (and names them) before the scope above runs out of time and aborts it whole. A run
    /// loop woken for nothing checks what it waits for and waits again.
    fn wake_below(&self) {
        for child in self.all_children() {
            child.wake.notify_one();
            child.wake_below();
        }
    }

    /// What the stop may take, and the fixed members' own deadlines once interrupted.
    pub(crate) fn deadlines(&self) -> &Deadlines {
        &self.deadlines
    }

    /// The latest time member `index` may still run: the scope's deadline or its own.
    fn deadline_of(&self, index: u32) -> Option<Instant> {
        let own = self.deadlines.deadline_of(index as usize);
        let share = match *lock(&self.stage_share) {
            Some((stage, until))
                if self
                    .slots
                    .get(index as usize)
                    .is_some_and(|slot| slot.stage as usize == stage) =>
            {
                Some(until)
            }
            _ => None,
        };
        let own = match (own, share) {
            (Some(own), Some(share)) => Some(own.min(share)),
            (own, share) => own.or(share),
        };
        match (own, self.effective_deadline()) {
            (Some(own), Some(scope)) => Some(own.min(scope)),
            (own, scope) => own.or(scope),
        }
    }

    /// The deadline this scope must have stopped by because of the scopes above it: its
    /// parent member's, less a margin ([`nested_margin`] of the parent's shutdown time so
    /// far) so that its own stuck members are named before the parent's timeout.
    /// An incarnation inherits its member's deadline whole: it runs as that member.
    pub(crate) fn inherited_deadline(&self) -> Option<Instant> {
        let parent = self.parent.as_ref()?;
        let deadline = parent.scope.deadline_of(parent.index)?;
        if self.incarnation {
            return Some(deadline);
        }
        let budget = match parent.scope.stop_started.get() {
            Some(start) => deadline.saturating_duration_since(*start),
            None => Duration::ZERO,
        };
        Some(deadline - nested_margin(budget))
    }

    // Known before the stop: the same arithmetic in the worst case, for the budget check of
    // a scope about to be made (see [`deadline`](crate::core::deadline)).

    /// The shutdown time this scope has, known before its stop: its own shutdown timeout, or
    /// what it inherits from the member it runs under ([`budget_under`](Scope::budget_under)),
    /// the less; `None` if neither bounds it.
    pub(crate) fn budget(&self) -> Option<Duration> {
        let inherited = self.parent.as_ref().and_then(|parent| {
            if self.incarnation {
                // Whole, as its deadline: see `inherited_deadline`.
                let whole = parent.scope.budget();
                return parent.scope.member_budget(whole, parent.index());
            }
            parent.scope.budget_under(parent.index())
        });
        match (self.deadlines.grace(), inherited) {
            (Some(own), Some(inherited)) => Some(own.min(inherited)),
            (own, inherited) => own.or(inherited),
        }
    }

    /// The shutdown time a scope made under member `index` may count on, known before the
    /// stop: what the member may use at worst (its stage's share with the stages and levels
    /// before it using all they may, and its own timeout; a child task what its owner may
    /// use; a task group's task the scope's time less its drain), less the margin its
    /// [inherited deadline](Scope::inherited_deadline) leaves at most. `None` if nothing
    /// bounds it.
    pub(crate) fn budget_under(&self, index: usize) -> Option<Duration> {
        let whole = self.budget();
        let member = self.member_budget(whole, index)?;
        // The margin is a quarter of the time from this scope's stop to the member's
        // deadline at most, which is within this scope's own time.
        Some(member.saturating_sub(nested_margin(whole.unwrap_or(member))))
    }

    /// What member `index` may use of `whole`, this scope's time, at worst.
    fn member_budget(&self, whole: Option<Duration>, index: usize) -> Option<Duration> {
        let own = self.deadlines.timeout_of(index);
        let Some(whole) = whole else {
            return own;
        };
        let Some(slot) = self.slots.get(index) else {
            // A child task is aborted with its owner: it has what its owner has.
            let owner = {
                let dynamic = lock(&self.dynamic);
                let at = dynamic.at(index, self.slots.len());
                dynamic.owners.get(at).copied().flatten()
            };
            return match owner {
                Some(owner) => self.member_budget(Some(whole), owner as usize),
                None => Some(whole.saturating_sub(self.deadlines.drain().unwrap_or_default())),
            };
        };
        let of = slot.stage as usize;
        let share = self
            .deadlines
            .worst_case(whole, self.stages.count(), |step, _, share| {
                if step == of {
                    return ControlFlow::Break(share);
                }
                let mut longest = Some(Duration::ZERO);
                for (member, _) in
                    (self.slots.iter().enumerate()).filter(|(_, slot)| slot.stage as usize == step)
                {
                    longest = match (longest, self.deadlines.timeout_of(member)) {
                        (Some(longest), Some(timeout)) => Some(longest.max(timeout)),
                        _ => None,
                    };
                }
                ControlFlow::Continue(longest)
            });
        let share = match share {
            ControlFlow::Break(share) => share,
            ControlFlow::Continue(()) => Duration::ZERO,
        };
        Some(own.map_or(share, |own| own.min(share)))
    }
}
