//! What a supervisor does when an actor ends: the restart policy (when), its intensity (how
//! often at most), the backoff (how long to wait first) and the group's strategy (who else).
//!
//! Invariants: the defaults and the counting rules are stated once, on [`RestartPolicy`].

use std::time::Duration;

use crate::error::Error;

/// When an actor that can be made again is restarted (OTP's child restart types).
///
/// The actor's [`ExitPolicy`](crate::ExitPolicy) still decides what its *final* exit does to
/// the group: the exit that is not followed by a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Restart {
    /// Never restarted (OTP `temporary`); the default for every actor.
    #[default]
    Never,
    /// Restarted when it fails: returns an error or panics (OTP `transient`). Returning `Ok`
    /// is its final exit.
    OnFailure,
    /// Restarted whenever it returns, `Ok` or not (OTP `permanent`).
    Always,
}

impl Restart {
    /// Whether an exit with `result` is followed by a restart under this policy.
    pub(crate) fn restarts_after(self, result: &Result<(), Error>) -> bool {
        match self {
            Restart::Never => false,
            Restart::OnFailure => result.is_err(),
            Restart::Always => true,
        }
    }
}

/// Exponential backoff between restarts, with jitter and a cap.
///
/// The `n`th consecutive restart (from 0) waits a delay drawn evenly from `[d / 2, d]`, where
/// `d = min(initial * 2^n, max)`: the jitter keeps siblings that failed together from
/// restarting in lockstep. The count of consecutive restarts goes back to 0 once an
/// incarnation has run for the policy's whole [`within`](RestartPolicy::within) period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
}

impl Backoff {
    /// Starts at `initial` and doubles up to `max`. `initial` must not be above `max`
    /// (checked when the group starts: [`Error::InvalidConfig`]).
    ///
    /// ```
    /// use run::Backoff;
    /// use std::time::Duration;
    ///
    /// let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    /// assert_eq!(backoff.ceiling(0), Duration::from_millis(100));
    /// assert_eq!(backoff.ceiling(3), Duration::from_millis(800));
    /// assert_eq!(backoff.ceiling(10), Duration::from_secs(5));
    /// ```
    pub const fn new(initial: Duration, max: Duration) -> Self {
        Self { initial, max }
    }

    /// No delay between restarts.
    pub const fn none() -> Self {
        Self::new(Duration::ZERO, Duration::ZERO)
    }

    /// The upper bound `d` of the delay before the `attempt`th consecutive restart (from 0);
    /// the delay itself is drawn from `[d / 2, d]`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }

    /// The delay before the `attempt`th consecutive restart, `jitter` in `[0, 1)` choosing
    /// where in `[d / 2, d]` it falls.
    pub(crate) fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        ceiling / 2 + (ceiling / 2).mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// How an actor is restarted: when ([`Restart`]), how often at most (the intensity:
/// `max_restarts` within `within`) and after what delay ([`Backoff`]).
///
/// The defaults (chosen for services that fail now and then, not in a loop): at most **5
/// restarts within 30 s**, backoff **100 ms doubling to 5 s**. OTP's default (1 restart in 5 s)
/// suits supervisors of supervisors; with a backoff it would end an app on its second failure.
///
/// Counting: a restart counts when it is decided. A failure that would make more than
/// `max_restarts` restarts within the last `within` is not restarted: it escalates, and the
/// actor's final result is [`Error::RestartLimit`], with the last error as its source; what
/// that does to the group is up to the actor's [`ExitPolicy`](crate::ExitPolicy) (a service,
/// the default, stops it). `max_restarts(0)` makes the first failure escalate. Intensity is
/// per actor: siblings restarted by a [`Strategy`] do not count against it.
///
/// ```
/// use run::{Backoff, Restart, RestartPolicy};
/// use std::time::Duration;
///
/// let policy = RestartPolicy::new(Restart::OnFailure)
///     .max_restarts(3)
///     .within(Duration::from_secs(10))
///     .backoff(Backoff::new(Duration::from_millis(100), Duration::from_secs(5)));
/// assert_eq!(policy.restart_kind(), Restart::OnFailure);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    restart: Restart,
    max_restarts: u32,
    within: Duration,
    backoff: Backoff,
}

impl RestartPolicy {
    /// `restart`, with the default intensity and backoff.
    pub const fn new(restart: Restart) -> Self {
        Self {
            restart,
            max_restarts: 5,
            within: Duration::from_secs(30),
            backoff: Backoff::new(Duration::from_millis(100), Duration::from_secs(5)),
        }
    }

    /// At most `count` restarts within the [`within`](RestartPolicy::within) period.
    pub const fn max_restarts(mut self, count: u32) -> Self {
        self.max_restarts = count;
        self
    }

    /// The period of the intensity limit, and the healthy run that resets the backoff; must
    /// not be zero (checked when the group starts).
    pub const fn within(mut self, period: Duration) -> Self {
        self.within = period;
        self
    }

    /// The delay before each restart.
    pub const fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// When the actor is restarted.
    pub const fn restart_kind(&self) -> Restart {
        self.restart
    }

    pub(crate) fn limit(&self) -> u32 {
        self.max_restarts
    }

    pub(crate) fn period(&self) -> Duration {
        self.within
    }

    pub(crate) fn backoff_of(&self) -> Backoff {
        self.backoff
    }

    /// Checks the policy when the group starts.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.within.is_zero() {
            return Err(Error::InvalidConfig(
                "a restart policy's `within` period must not be zero",
            ));
        }
        if self.backoff.initial > self.backoff.max {
            return Err(Error::InvalidConfig(
                "a backoff's initial delay must not be above its maximum",
            ));
        }
        Ok(())
    }
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self::new(Restart::Never)
    }
}

impl From<Restart> for RestartPolicy {
    fn from(restart: Restart) -> Self {
        Self::new(restart)
    }
}

/// Which siblings a group restarts with an actor that is restarted (OTP's strategies).
///
/// Only actors that can be made again take part ([`Group::supervise`](crate::Group::supervise));
/// the others are never stopped by a strategy. Siblings are stopped through their own
/// interrupt and timeout, in reverse start order, then every restarted actor starts again in
/// start order, the failed one after its backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Restart only the actor that ended (the default).
    #[default]
    OneForOne,
    /// Restart every restartable actor of the group.
    OneForAll,
    /// Restart the actor that ended and the restartable actors added after it.
    RestForOne,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_stays_within_half_the_ceiling_and_the_ceiling() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        for attempt in 0..8 {
            let ceiling = backoff.ceiling(attempt);
            assert_eq!(backoff.delay(attempt, 0.0), ceiling / 2);
            assert_eq!(backoff.delay(attempt, 1.0), ceiling);
            let middle = backoff.delay(attempt, 0.5);
            assert!(middle > ceiling / 2 && middle < ceiling);
        }
        assert_eq!(backoff.ceiling(40), Duration::from_secs(1));
    }

    #[test]
    fn a_bad_policy_is_refused() {
        let zero = RestartPolicy::new(Restart::Always).within(Duration::ZERO);
        assert!(matches!(zero.validate(), Err(Error::InvalidConfig(_))));
        let upside_down = RestartPolicy::new(Restart::Always)
            .backoff(Backoff::new(Duration::from_secs(2), Duration::from_secs(1)));
        assert!(matches!(
            upside_down.validate(),
            Err(Error::InvalidConfig(_))
        ));
        assert!(RestartPolicy::default().validate().is_ok());
    }
}
