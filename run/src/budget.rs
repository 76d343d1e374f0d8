//! The shutdown budget: a group's [shutdown timeout](crate::Group::shutdown_timeout)
//! is the whole time its stop may take, and what the group asks of it (the drain, each
//! stage, each actor's own timeout) must fit in it. Checked when the group starts, so that a
//! configuration that cannot fit is an [`Error::OverBudget`] naming what does not fit, not a
//! surprise at shutdown.
//!
//! Invariants:
//! - the time a group has is its own shutdown timeout or, nested, what the actor it runs
//!   under may use at worst ([`Scope::budget_under`](crate::core::scope::Scope::budget_under)),
//!   the less: checked at every depth, a group made at run time included, when it starts;
//! - the shares are the run loop's, from the one function that computes them
//!   ([`crate::core::deadline`]): an actor's timeout fits if it is within its step's share in
//!   the worst case (every step before it using all it may), so a timeout the user set is
//!   always honoured in full.

use std::{ops::ControlFlow, time::Duration};

use crate::{
    core::deadline::Deadlines,
    error::{BudgetPart, Error},
    name::ActorName,
};

/// One actor as the budget sees it; its timeout is in the group's [`Deadlines`].
pub(crate) struct Demand<'a> {
    /// Its step of the stop, from 0.
    pub(crate) step: usize,
    /// Its name, made only if it is to be reported.
    pub(crate) name: &'a dyn Fn() -> ActorName,
}

/// Checks that the drain and the actors' timeouts (`deadlines`) fit in `budget`, the time the
/// group has, its `steps` stopping one after the other.
pub(crate) fn check(
    budget: Duration,
    deadlines: &Deadlines,
    steps: usize,
    actors: &[Demand<'_>],
) -> Result<(), Error> {
    let drain = deadlines.drain().unwrap_or_default();
    if drain > Duration::ZERO && drain >= budget {
        return Err(Error::OverBudget {
            part: BudgetPart::Drain { delay: drain },
            available: budget,
            budget,
        });
    }
    if deadlines.timed().is_empty() {
        return Ok(());
    }
    let outcome = deadlines.worst_case(budget, steps, |at, step, share| {
        let mut longest = Some(Duration::ZERO);
        for (index, actor) in (actors.iter().enumerate()).filter(|(_, actor)| actor.step == at) {
            match deadlines.timeout_of(index) {
                Some(timeout) if timeout > share => {
                    return ControlFlow::Break(Error::OverBudget {
                        part: BudgetPart::Actor {
                            actor: (actor.name)(),
                            timeout,
                            stage: step.stage + 1,
                            stages: step.stages,
                            level: step.level + 1,
                            levels: step.levels,
                        },
                        available: share,
                        budget,
                    });
                }
                Some(timeout) => longest = longest.map(|longest| longest.max(timeout)),
                None => longest = None,
            }
        }
        ControlFlow::Continue(longest)
    });
    match outcome {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{core::deadline::Timed, name::Leaf};

    fn secs(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    fn name() -> ActorName {
        ActorName::new(Some("app".into()), Leaf::Static("db"))
    }

    /// Checks actors given as (step, timeout) against `budget`, with `drain`, the steps
    /// grouped into stages by `stages` (empty: each step a stage).
    fn check_actors(
        budget: u64,
        drain: Option<u64>,
        stages: &[u32],
        actors: &[(usize, Option<u64>)],
    ) -> Result<(), Error> {
        let timed = (actors.iter().enumerate())
            .filter_map(|(index, (_, timeout))| {
                Some(Timed::new(index as u32, secs((*timeout)?), true))
            })
            .collect();
        let deadlines = Deadlines::new(None, drain.map(secs), stages.into(), timed);
        let demands: Vec<Demand<'_>> = (actors.iter())
            .map(|(step, _)| Demand {
                step: *step,
                name: &name,
            })
            .collect();
        let steps = match stages.len() {
            0 => actors.iter().map(|(step, _)| step + 1).max().unwrap_or(1),
            len => len,
        };
        check(secs(budget), &deadlines, steps, &demands)
    }

    #[test]
    fn a_drain_must_leave_time_to_stop() {
        let err = check_actors(5, Some(5), &[], &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the shutdown budget of 5s cannot fit the drain delay of 5s (a drain must leave time to stop): 5s at most is left for it"
        );
        assert!(check_actors(5, Some(4), &[], &[]).is_ok());
    }

    #[test]
    fn an_actor_timeout_must_fit_after_the_drain() {
        let err = check_actors(30, Some(5), &[], &[(0, Some(26))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the shutdown budget of 30s cannot fit the 26s timeout of actor `app/db`: 25s at most is left for it"
        );
        assert!(check_actors(30, Some(5), &[], &[(0, Some(25))]).is_ok());
    }

    #[test]
    fn each_stage_gets_an_even_share_of_what_the_stages_before_leave() {
        // 30 s over 3 stages: a stage with an actor without a timeout may use its whole share.
        let actors = [(0, None), (1, None), (2, Some(11))];
        let err = check_actors(30, None, &[], &actors).unwrap_err();
        let Error::OverBudget {
            part: BudgetPart::Actor { stage, stages, .. },
            available,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!((*stage, *stages, *available), (3, 3, secs(10)));
        assert!(
            err.to_string()
                .contains("(shutdown stage 3 of 3, each an even share")
        );
        // Stages with short timeouts leave the rest to the last one.
        let actors = [(0, Some(2)), (1, Some(3)), (2, Some(25))];
        assert!(check_actors(30, None, &[], &actors).is_ok());
        let actors = [(0, Some(2)), (1, Some(3)), (2, Some(26))];
        assert!(check_actors(30, None, &[], &actors).is_err());
    }

    #[test]
    fn start_order_levels_share_their_stage_only() {
        // Stage 1 in two levels (an actor, then the one it starts after), stage 2 alone: 8 s
        // give each stage 4 s, each level of stage 1 2 s.
        let stages = [0, 0, 1];
        assert!(check_actors(8, None, &stages, &[(0, None), (1, None), (2, Some(4))]).is_ok());
        let err =
            check_actors(8, None, &stages, &[(0, None), (1, Some(3)), (2, None)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the shutdown budget of 8s cannot fit the 3s timeout of actor `app/db` (shutdown stage 1 of 2, each an even share of the time left; start-order level 2 of 2 in it, each an even share of the stage's time left): 2s at most is left for it"
        );
        // A first level that stops within 1 s leaves 3 s to the second.
        assert!(check_actors(8, None, &stages, &[(0, Some(1)), (1, Some(3)), (2, None)]).is_ok());
    }
}
