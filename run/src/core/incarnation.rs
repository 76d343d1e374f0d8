//! One run of a restartable actor: a scope of one member, made by the core under the actor's
//! own member, so that a layer that restarts actors (supervision) never builds a face.
//!
//! Invariants:
//! - the member runs under the actor's own name (its group's path, its leaf): events, stuck
//!   reports and status read as the actor's;
//! - the scope is nested under the actor's member: the stop of the actor's group reaches it
//!   through the parent link, and its deadline is the earlier of the actor's own timeout,
//!   counted from its interrupt, and the one its group gives that member, whole: no nested
//!   margin is taken off, since the member only runs the incarnation and nothing between
//!   them is to be named first (the actor's own timeout is enforced here, and only here:
//!   its group gives the member none), so a timeout the budget check accepted is honoured
//!   in full;
//! - a layer that extends the actor's scope (readiness) extends this one too, through
//!   [`Extension::incarnation`], and learns when it has ended.

use std::{future::Future, sync::Arc, time::Duration};

use tokio::runtime::Handle;

use super::{
    deadline::{Deadlines, Timed},
    extension::Extension,
    interrupt::ExitPolicy,
    member,
    scope::{Member, Scope, ScopeConfig, Slot},
    shutdown::Running,
};
use crate::{context::Context, error::Error, runner::Runner};

/// Runs `runner` once as the actor of member `actor`, with the actor's own `timeout`, until
/// it returns or `stop` completes; returns what the one-member scope returns: the runner's
/// result, [`Error::Cancelled`] if it was stopped from outside and returned `Ok`, its
/// failure during that stop on [`Error::Shutdown`], or [`Error::ShutdownTimeout`] naming it.
///
/// The member's task is spawned at the first poll of the returned future.
pub(crate) fn incarnate<R: Runner>(
    actor: &Member,
    mut runner: R,
    timeout: Option<Duration>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> impl Future<Output = Result<(), Error>> + Send {
    let parent = actor.clone();
    let interrupt = runner.interrupt();
    async move {
        let Ok(runtime) = Handle::try_current() else {
            return Err(Error::NoRuntime);
        };
        let flavor = runtime.runtime_flavor();
        drop(runtime);
        let name = parent.name();
        // The actor's own span: one span per actor, whichever incarnation runs.
        #[cfg(feature = "tracing")]
        let span = parent.scope.span(parent.index());
        let (path, leaf) = name.into_parts();
        #[allow(unused_mut)]
        let mut slot = Slot::new(leaf, ExitPolicy::Service, 0);
        #[cfg(feature = "tracing")]
        {
            slot.span = span;
        }
        let extension = parent
            .scope
            .extension()
            .and_then(|extension| Arc::clone(extension).incarnation(parent.index()));
        let _ended = Ended(extension.clone());
        let scope = Scope::new(ScopeConfig {
            path,
            hook: None,
            parent: Some(parent),
            slots: Box::new([slot]),
            quiet: Box::new([]),
            stage_count: 1,
            run_loop: true,
            extension,
            deadlines: Deadlines::new(
                None,
                None,
                Box::default(),
                timeout
                    .map(|timeout| Timed::new(0, timeout, true))
                    .into_iter()
                    .collect(),
            ),
            incarnation: true,
        });
        let member = Member {
            scope: Arc::clone(&scope),
            index: 0,
        };
        let task = member::spawn(
            runner.run(Context::new(member.clone())),
            member,
            interrupt.aborts(),
        );
        let mut running = Running::new(scope, 1, flavor);
        running.push(task, interrupt);
        running.run(Some(stop), 1).await
    }
}

/// Tells the extension, if any, that the incarnation has ended, however its future ends.
struct Ended(Option<Arc<dyn Extension>>);

impl Drop for Ended {
    fn drop(&mut self) {
        if let Some(extension) = &self.0 {
            extension.ended();
        }
    }
}
