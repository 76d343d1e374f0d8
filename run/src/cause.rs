//! Why a group stops.

use crate::{ActorName, Error};

/// Why a group is stopping: what every interrupt is given, and what
/// [`Context::cause`](crate::Context::cause) tells once the actor is interrupted.
///
/// The group's result follows from it: [`Cause::result`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Cause {
    /// An actor exited and its [`ExitPolicy`](crate::ExitPolicy) stops the group.
    Exit {
        /// The actor that exited first.
        actor: ActorName,
        /// What it returned.
        result: Result<(), Error>,
    },
    /// The group's own [`Context`](crate::Context) was interrupted (it runs inside another
    /// group, or as a child of an actor), or its `run()` future was dropped.
    Cancelled,
    /// Every actor whose exit counts has finished without stopping the group: a group of
    /// [`Task`](crate::ExitPolicy::Task) actors that all succeeded.
    Finished,
}

impl Cause {
    /// The actor that stopped the group, if one did.
    pub fn actor(&self) -> Option<&ActorName> {
        match self {
            Cause::Exit { actor, .. } => Some(actor),
            _ => None,
        }
    }

    /// The result `run()` returns for this cause: the exited actor's result,
    /// [`Error::Cancelled`], or `Ok(())` when the group finished.
    pub fn result(&self) -> Result<(), Error> {
        match self {
            Cause::Exit { result, .. } => result.clone(),
            Cause::Cancelled => Err(Error::Cancelled),
            Cause::Finished => Ok(()),
        }
    }
}
