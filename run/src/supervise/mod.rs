//! Supervision: restartable actors, built on the [core](crate::core) as one
//! nested scope per incarnation; nothing here runs for an actor that is never restarted.
//!
//! - [`policy`]: when, how often and after what delay an actor restarts; the group's
//!   strategy.
//! - [`supervisor`]: the loop of one restartable actor, and the strategy's coordination.
//! - [`child`]: restartable children started at run time, with a handle.
//! - [`status`]: a snapshot of a running tree, for a `/status` endpoint.
//!
//! Invariants are stated in [`supervisor`]; the counting rules on
//! [`RestartPolicy`](policy::RestartPolicy).

pub(crate) mod child;
pub(crate) mod policy;
pub(crate) mod status;
pub(crate) mod supervisor;
