//! The lifecycle core: the one stop engine every kind of group runs on. It knows nothing of
//! builders or faces; the faces ([`Group`](crate::Group), [`TaskGroup`](crate::TaskGroup),
//! the ready-made actors) build on it.
//!
//! - [`scope`]: one running scope: its state, the lock order and why each atomic's ordering
//!   suffices (`scope/mod.rs`), and one file per concern, each stating the invariants it
//!   keeps: the first cause, the stop and the one interrupt delivery path (`stop.rs`); the
//!   fixed members' exits, parts and stages (`fixed.rs`); the dynamic members and child
//!   tasks (`dynamic.rs`); the parent link, the scopes under each member and the queries the
//!   layers read (`tree.rs`); the scope's deadlines and its budget known before the stop
//!   (`deadlines.rs`); the record of failures and the result (`record.rs`); what observers
//!   read of a member (`observe.rs`).
//! - [`member`]: the future that runs one member: poll, panic capture, exit report.
//! - [`interrupt`]: exit policies and interrupt kinds (the vocabulary; delivery is the
//!   scope's).
//! - [`shutdown`]: the staged run loop of a scope whose members are fixed (a `Group`).
//! - [`incarnation`]: one run of a restartable actor, as a scope of one member nested under
//!   the actor's own: what a layer that restarts actors runs each time.
//! - [`deadline`]: how the shutdown time is shared among the stop's steps and members, at
//!   the stop and, in the worst case, before it; the members' own deadlines.
//! - [`cause`], [`event`]: why a scope stops, what it tells observers; `metrics` (feature
//!   `metrics`): what its events count for operators.
//! - [`phase`]: what a member last said it was doing, for the report of a stuck shutdown.
//! - [`status`]: the restart record of a supervised member, read by status snapshots.
//! - [`extension`]: what it tells the one layer above that extends a scope (readiness).
//!
//! Below the core, used by it: [`error`](crate::error), [`name`](crate::name),
//! [`panic`](crate::panic).

pub(crate) mod cause;
pub(crate) mod deadline;
pub(crate) mod event;
pub(crate) mod extension;
pub(crate) mod incarnation;
pub(crate) mod interrupt;
pub(crate) mod member;
#[cfg(feature = "metrics")]
pub(crate) mod metrics;
pub(crate) mod phase;
pub(crate) mod scope;
pub(crate) mod shutdown;
pub(crate) mod status;
