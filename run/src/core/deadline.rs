//! A scope's shutdown time: how its stop shares the time among its steps, and what each of
//! its members may use. One arithmetic, [`share`], for the run loop (from the deadline, as
//! the stop goes: [`super::shutdown`]) and for what is known before the stop (the worst case,
//! [`Deadlines::worst_case`]), so that what the budget check promises at start is what the
//! run loop gives at the stop.
//!
//! The stop goes in *steps*: the stages the user set, in ascending order, each split by start
//! order ([`after`](crate::ActorOptions::after)) into *levels*, the actors that start after
//! others stopping first. Invariants:
//! - each stage may use an even share of the time left when it begins: that time divided by
//!   the stages left, itself included; levels are not stages, so `after` takes no time from
//!   the other stages;
//! - within a stage, each level may use an even share of what its stage has left: the stage's
//!   share less what the levels before it used, divided by the levels left, itself included;
//!   so an actor stopped first cannot take all of its stage's time from the actors it starts
//!   after;
//! - a member's own timeout runs from its interrupt, within its step's share;
//! - in the worst case (what a member may count on before the stop) a step whose every member
//!   has a timeout uses the longest of them, any other step its whole share; a step never
//!   uses more than its share (its stuck members are aborted then).

use std::{
    ops::ControlFlow,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use tokio::time::Instant;

/// Where one step of the stop stands among the stages and the levels of its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// The position of its stage among the stages, from 0, and how many there are.
    pub(crate) stage: usize,
    pub(crate) stages: usize,
    /// Its position among its stage's levels, from 0, and how many there are.
    pub(crate) level: usize,
    pub(crate) levels: usize,
}

impl Step {
    /// Whether the step begins its stage.
    pub(crate) fn begins_stage(&self) -> bool {
        self.level == 0
    }
}

/// The share of the shutdown time a step may use, from its start: its stage may use
/// `stage_left` (the time left when the stage began) divided by the stages left; of that, what
/// the stage's earlier levels have not `used` is divided by the levels left. The run loop and
/// the check before the start both call this, and nothing else computes a share.
pub(crate) fn share(stage_left: Duration, used: Duration, step: Step) -> Duration {
    // At most a stage per actor, and actors are counted in `u32`.
    let stages_left = (step.stages - step.stage).max(1) as u32;
    let levels_left = (step.levels - step.level).max(1) as u32;
    (stage_left / stages_left).saturating_sub(used) / levels_left
}

/// A member with a timeout of its own.
pub(crate) struct Timed {
    pub(crate) index: u32,
    pub(crate) timeout: Duration,
    /// Whether this scope enforces the timeout: not for a restartable actor's member, whose
    /// incarnations each get the whole timeout in a scope of their own (the member only runs
    /// them; a deadline here would cut theirs by a nested margin). The budget check counts it
    /// all the same.
    enforced: bool,
    /// When the timeout runs out, set once the member is interrupted. A mutex rather than a
    /// `OnceLock`, which has a destructor: a scope's list, most often empty, then needs no
    /// pass to drop.
    deadline: Mutex<Option<Instant>>,
}

impl Timed {
    pub(crate) fn new(index: u32, timeout: Duration, enforced: bool) -> Self {
        Self {
            index,
            timeout,
            enforced,
            deadline: Mutex::new(None),
        }
    }

    /// When the timeout runs out, once the member is interrupted.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a scope's stop may take, known when it is made, and its members' deadlines once
/// interrupted: the one record of them.
#[derive(Default)]
pub(crate) struct Deadlines {
    /// The scope's own shutdown timeout.
    grace: Option<Duration>,
    drain: Option<Duration>,
    /// The stage of each step, ascending; empty when each step is a stage of its own (no
    /// start order: the common case allocates nothing).
    stages: Box<[u32]>,
    /// The members with a timeout of their own, by index.
    timed: Box<[Timed]>,
}

impl Deadlines {
    pub(crate) fn new(
        grace: Option<Duration>,
        drain: Option<Duration>,
        stages: Box<[u32]>,
        timed: Box<[Timed]>,
    ) -> Self {
        Self {
            grace,
            drain,
            stages,
            timed,
        }
    }

    /// The scope's own shutdown timeout.
    pub(crate) fn grace(&self) -> Option<Duration> {
        self.grace
    }

    pub(crate) fn drain(&self) -> Option<Duration> {
        self.drain
    }

    /// The members with a timeout of their own, by index.
    pub(crate) fn timed(&self) -> &[Timed] {
        &self.timed
    }

    /// Member `index`'s entry, if it has a timeout. Found without a search in the common
    /// cases: no member has one, or every member has one, so that it is at `index`.
    pub(crate) fn timed_of(&self, index: usize) -> Option<&Timed> {
        if self.timed.is_empty() {
            return None;
        }
        match self.timed.get(index) {
            Some(timed) if timed.index as usize == index => Some(timed),
            _ => {
                let at = (self.timed)
                    .binary_search_by_key(&index, |timed| timed.index as usize)
                    .ok()?;
                Some(&self.timed[at])
            }
        }
    }

    /// Member `index`'s own timeout.
    pub(crate) fn timeout_of(&self, index: usize) -> Option<Duration> {
        self.timed_of(index).map(|timed| timed.timeout)
    }

    /// Member `index` is interrupted now: its own timeout, if any, starts; returns when it
    /// runs out. Set once: a member is interrupted once.
    pub(crate) fn start_timeout(&self, index: usize) -> Option<Instant> {
        let timed = self.timed_of(index).filter(|timed| timed.enforced)?;
        let mut deadline = timed
            .deadline
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Some(*deadline.get_or_insert_with(|| Instant::now() + timed.timeout))
    }

    /// Member `index`'s own deadline, once its timeout has started.
    pub(crate) fn deadline_of(&self, index: usize) -> Option<Instant> {
        self.timed_of(index)?.deadline()
    }

    /// Where step `step` of `steps` stands.
    #[inline]
    pub(crate) fn step(&self, step: usize, steps: usize) -> Step {
        let Some(&stage) = self.stages.get(step) else {
            return Step {
                stage: step,
                stages: steps,
                level: 0,
                levels: 1,
            };
        };
        let first = self.stages.partition_point(|&of| of < stage);
        let end = self.stages.partition_point(|&of| of <= stage);
        Step {
            stage: stage as usize,
            stages: self.stages.last().map_or(1, |&last| last as usize + 1),
            level: step - first,
            levels: end - first,
        }
    }

    /// The stop of `steps` steps in the worst case, from `available` (the scope's whole
    /// shutdown time; the drain is taken off here): `visit` is given each step, in order,
    /// with its share, and returns the longest timeout of its members if every one has one
    /// (`None` if one has none), or breaks.
    pub(crate) fn worst_case<B>(
        &self,
        available: Duration,
        steps: usize,
        mut visit: impl FnMut(usize, Step, Duration) -> ControlFlow<B, Option<Duration>>,
    ) -> ControlFlow<B> {
        let mut left = available.saturating_sub(self.drain.unwrap_or_default());
        let (mut stage_left, mut used) = (left, Duration::ZERO);
        for at in 0..steps.max(1) {
            let step = self.step(at, steps.max(1));
            if step.begins_stage() {
                (stage_left, used) = (left, Duration::ZERO);
            }
            let share = share(stage_left, used, step);
            let spent = visit(at, step, share)?.map_or(share, |longest| longest.min(share));
            used += spent;
            left = left.saturating_sub(spent);
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    /// The shares of every step in the worst case, each step using its `spent`.
    fn shares(deadlines: &Deadlines, available: u64, spent: &[Option<u64>]) -> Vec<Duration> {
        let mut shares = Vec::new();
        let _ = deadlines.worst_case::<()>(secs(available), spent.len(), |at, _, share| {
            shares.push(share);
            ControlFlow::Continue(spent[at].map(secs))
        });
        shares
    }

    #[test]
    fn each_stage_gets_an_even_share_of_the_time_left() {
        let deadlines = Deadlines::default();
        assert_eq!(
            shares(&deadlines, 30, &[None, None, None]),
            [secs(10), secs(10), secs(10)]
        );
        // A stage whose actors all have short timeouts leaves the rest to the next ones.
        assert_eq!(
            shares(&deadlines, 30, &[Some(2), None, None]),
            [secs(10), secs(14), secs(14)]
        );
    }

    #[test]
    fn levels_share_their_stage_and_leave_the_other_stages_alone() {
        // Stage 0 in two levels (an actor and the one it starts after), then stage 1.
        let deadlines = Deadlines::new(None, None, Box::new([0, 0, 1]), Box::new([]));
        assert_eq!(
            deadlines.step(1, 3),
            Step {
                stage: 0,
                stages: 2,
                level: 1,
                levels: 2
            }
        );
        assert_eq!(
            shares(&deadlines, 8, &[None, None, None]),
            [secs(2), secs(2), secs(4)]
        );
        // A level that uses less leaves it to the next level of its stage.
        assert_eq!(
            shares(&deadlines, 8, &[Some(1), None, None]),
            [secs(2), secs(3), secs(4)]
        );
    }

    #[test]
    fn the_drain_comes_first() {
        let deadlines = Deadlines::new(None, Some(secs(20)), Box::new([]), Box::new([]));
        assert_eq!(shares(&deadlines, 30, &[None, None]), [secs(5), secs(5)]);
    }
}
