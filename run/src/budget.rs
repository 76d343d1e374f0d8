//! The shutdown budget (SPEC S7): a group's [shutdown timeout](crate::Group::shutdown_timeout)
//! is the whole time its stop may take, and what the group asks of it (the drain, each
//! stage, each actor's own timeout) must fit in it. Checked when the group starts, so that a
//! configuration that cannot fit is an [`Error::OverBudget`] naming what does not fit, not a
//! surprise at shutdown.
//!
//! Invariant: the check mirrors the run loop's arithmetic ([`crate::core::shutdown`]): the
//! drain comes first; each stage may then use the time left divided by the stages left; a
//! stage whose every actor has a timeout uses at most the longest of them. An actor's timeout
//! fits if it is within its stage's share in the worst case (every stage before it using all
//! it may), so a timeout the user set is always honoured in full.

use std::time::Duration;

use crate::{
    error::{BudgetPart, Error},
    name::ActorName,
};

/// One actor as the budget sees it.
pub(crate) struct Demand<'a> {
    /// Its stage's position in the shutdown, from 0.
    pub(crate) stage: usize,
    pub(crate) timeout: Option<Duration>,
    /// Its name, made only if it is to be reported.
    pub(crate) name: &'a dyn Fn() -> ActorName,
}

/// Checks that `drain` and the actors' timeouts fit in `budget`, the stages stopping one
/// after the other; `stages` is their number.
pub(crate) fn check(
    budget: Option<Duration>,
    drain: Option<Duration>,
    stages: usize,
    actors: &[Demand<'_>],
) -> Result<(), Error> {
    let Some(budget) = budget else {
        return Ok(());
    };
    let drain = drain.unwrap_or_default();
    if drain > Duration::ZERO && drain >= budget {
        return Err(Error::OverBudget {
            part: BudgetPart::Drain { delay: drain },
            available: budget,
            budget,
        });
    }
    if actors.iter().all(|actor| actor.timeout.is_none()) {
        return Ok(());
    }
    let stages = stages.max(1);
    let mut left = budget - drain;
    for stage in 0..stages {
        let share = left / (stages - stage) as u32;
        let mut longest = Some(Duration::ZERO);
        for actor in actors.iter().filter(|actor| actor.stage == stage) {
            match actor.timeout {
                Some(timeout) if timeout > share => {
                    return Err(Error::OverBudget {
                        part: BudgetPart::Actor {
                            actor: (actor.name)(),
                            timeout,
                            stage: stage + 1,
                            stages,
                        },
                        available: share,
                        budget,
                    });
                }
                Some(timeout) => longest = longest.map(|longest| longest.max(timeout)),
                None => longest = None,
            }
        }
        left -= longest.unwrap_or(share);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::Leaf;

    fn secs(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    fn name() -> ActorName {
        ActorName::new(Some("app".into()), Leaf::Static("db"))
    }

    fn actor(stage: usize, timeout: Option<u64>) -> Demand<'static> {
        Demand {
            stage,
            timeout: timeout.map(secs),
            name: &name,
        }
    }

    #[test]
    fn a_drain_must_leave_time_to_stop() {
        let err = check(Some(secs(5)), Some(secs(5)), 1, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the shutdown budget of 5s cannot fit the drain delay of 5s (a drain must leave time to stop): 5s at most is left for it"
        );
        assert!(check(Some(secs(5)), Some(secs(4)), 1, &[]).is_ok());
        assert!(check(None, Some(secs(50)), 1, &[]).is_ok());
    }

    #[test]
    fn an_actor_timeout_must_fit_after_the_drain() {
        let actors = [actor(0, Some(26))];
        let err = check(Some(secs(30)), Some(secs(5)), 1, &actors).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the shutdown budget of 30s cannot fit the 26s timeout of actor `app/db`: 25s at most is left for it"
        );
        assert!(check(Some(secs(30)), Some(secs(5)), 1, &[actor(0, Some(25))]).is_ok());
    }

    #[test]
    fn each_stage_gets_an_even_share_of_what_the_stages_before_leave() {
        // 30 s over 3 stages: a stage with an actor without a timeout may use its whole share.
        let actors = [actor(0, None), actor(1, None), actor(2, Some(11))];
        let err = check(Some(secs(30)), None, 3, &actors).unwrap_err();
        let Error::OverBudget {
            part: BudgetPart::Actor { stage, stages, .. },
            available,
            ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!((*stage, *stages, *available), (3, 3, secs(10)));
        assert!(err
            .to_string()
            .contains("(shutdown stage 3 of 3, each an even share"));
        // Stages with short timeouts leave the rest to the last one.
        let actors = [actor(0, Some(2)), actor(1, Some(3)), actor(2, Some(25))];
        assert!(check(Some(secs(30)), None, 3, &actors).is_ok());
        let actors = [actor(0, Some(2)), actor(1, Some(3)), actor(2, Some(26))];
        assert!(check(Some(secs(30)), None, 3, &actors).is_err());
    }
}
