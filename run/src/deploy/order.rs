//! Start order by dependency: an actor starts once the actors it names are ready;
//! the shutdown goes the other way.
//!
//! Invariants:
//! - the graph is checked before any actor starts: a name no actor of the group has, or a
//!   cycle, is a typed error and nothing runs;
//! - an actor without dependencies starts at once (all such actors in parallel); one with
//!   dependencies has its task from the start, but its runner is made and run only once
//!   every actor it names is ready, and only if the stop has not begun by then, in its group
//!   or in any group above (nothing new starts during a stop, its drain included); else it
//!   returns `Ok(())` unrun once its own group has begun to stop (or at its interrupt, if
//!   that comes first): it never started, which is no failure, and it is never named
//!   running;
//! - shutdown order: stages first, then, within a stage, an actor is interrupted only once
//!   every actor that starts after it (in that stage, transitively) has returned: each
//!   (stage, depth) pair is one step of the core's staged shutdown, a level of its stage: the
//!   levels of a stage share that stage's time, and the other stages keep theirs (see
//!   [`crate::core::deadline`]).

use std::{
    borrow::Cow,
    future::{Future, poll_fn},
    pin::pin,
    sync::Arc,
    task::Poll,
};

use super::readiness::Shared;
use crate::{
    context::Context,
    error::Error,
    name::{ActorName, Leaf},
    runner::Runner,
};

/// Where an actor's start waits for others.
pub(crate) struct Gate {
    shared: Arc<Shared>,
    index: usize,
    after: Vec<usize>,
}

impl Gate {
    /// Waits until every dependency is ready, while the stop has not begun; `false` if
    /// interrupted first, or once its own group has begun to stop. Once the stop has begun
    /// it never opens: the dependencies are checked at each change of the group, the stop
    /// (here or above) each time they are all ready, so a stop that begins while it waits is
    /// seen before it could open. Its own group's stop is a change of the group: the actor
    /// returns unrun then, not at its interrupt, which may come only after the actors it
    /// waits for have returned (they stop first), or never if one of them is stuck; until
    /// then it would be named running.
    async fn open(&self, ctx: &Context) -> bool {
        let mut interrupted = pin!(ctx.interrupted());
        loop {
            let changed = self.shared.changed();
            // Only its own group's stop: a stop above that has not reached this group yet
            // leaves it waiting (closed), since an exit now, before its group has a cause,
            // could stop the group itself.
            if ctx.member().scope.is_stopped() {
                return false;
            }
            if self
                .after
                .iter()
                .all(|&index| self.shared.is_member_ready(index))
                && !ctx.member().scope.stopping_here_or_above()
            {
                self.shared.gate_opened(self.index);
                return true;
            }
            let mut changed = pin!(changed);
            let stop = poll_fn(|cx| {
                if interrupted.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(true);
                }
                changed.as_mut().poll(cx).map(|()| false)
            })
            .await;
            if stop {
                return false;
            }
        }
    }

    /// Runs `runner` once the gate opens, telling the readiness state when it has started.
    // An explicit `Send` future: the actor's task needs one.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn start<R: Runner>(
        self,
        runner: R,
        ctx: Context,
    ) -> impl Future<Output = Result<(), R::Error>> + Send {
        async move {
            if !self.open(&ctx).await {
                return Ok(());
            }
            let mut running = pin!(runner.run(ctx));
            // Ready after its first poll, as an actor started at once (a nested group made
            // in it has claimed it by then).
            if let Poll::Ready(result) = poll_fn(|cx| Poll::Ready(running.as_mut().poll(cx))).await
            {
                self.shared.deferred_started(self.index);
                return result;
            }
            self.shared.deferred_started(self.index);
            running.await
        }
    }
}

/// The checked dependency graph of a group's actors.
pub(crate) struct Order {
    /// Per actor, the actors it starts after.
    pub(crate) after: Vec<Vec<usize>>,
    /// Per actor, its position in the shutdown order of (stage, depth): its step.
    pub(crate) stages: Vec<usize>,
    /// Per step, the position of its stage among the group's stages.
    pub(crate) stage_of_step: Box<[u32]>,
}

/// Checks the graph of `after` (by name, per actor) and orders the shutdown; `stages` are
/// the actors' own stages.
pub(crate) fn order(
    path: Option<&Arc<str>>,
    leaves: &[Leaf],
    after: &[&[Cow<'static, str>]],
    stages: &[u32],
) -> Result<Order, Error> {
    let count = leaves.len();
    let names: Vec<String> = leaves.iter().map(ToString::to_string).collect();
    let name = |index: usize| ActorName::new(path.cloned(), leaves[index].clone());
    let mut edges = vec![Vec::new(); count];
    for (index, wanted) in after.iter().enumerate() {
        for want in *wanted {
            let found: Vec<usize> = (0..count).filter(|&at| names[at] == **want).collect();
            if found.is_empty() {
                return Err(Error::UnknownDependency {
                    actor: name(index),
                    after: want.to_string(),
                });
            }
            edges[index].extend(found);
        }
        edges[index].sort_unstable();
        edges[index].dedup();
    }
    // Kahn: what is left over is in a cycle, or behind one.
    let mut waiting: Vec<usize> = edges.iter().map(Vec::len).collect();
    let mut dependents = vec![Vec::new(); count];
    for (index, deps) in edges.iter().enumerate() {
        for &dep in deps {
            dependents[dep].push(index);
        }
    }
    let mut sorted: Vec<usize> = (0..count).filter(|&at| waiting[at] == 0).collect();
    let mut at = 0;
    while at < sorted.len() {
        for &dependent in &dependents[sorted[at]] {
            waiting[dependent] -= 1;
            if waiting[dependent] == 0 {
                sorted.push(dependent);
            }
        }
        at += 1;
    }
    if sorted.len() < count {
        return Err(Error::DependencyCycle {
            cycle: cycle(&edges, &waiting).into_iter().map(name).collect(),
        });
    }
    // Depth: how many actors, at most, start after this one in a chain (same stage only):
    // the deepest stop last.
    let mut depth = vec![0u32; count];
    for &index in sorted.iter().rev() {
        for &dependent in &dependents[index] {
            if stages[dependent] == stages[index] {
                depth[index] = depth[index].max(depth[dependent] + 1);
            }
        }
    }
    let mut keys: Vec<(u32, u32)> = (0..count).map(|at| (stages[at], depth[at])).collect();
    let per_actor = keys.clone();
    keys.sort_unstable();
    keys.dedup();
    let stages = per_actor
        .iter()
        .map(|key| keys.binary_search(key).unwrap_or_default())
        .collect();
    let mut stage = 0;
    let stage_of_step = (0..keys.len())
        .map(|at| {
            if at > 0 && keys[at].0 != keys[at - 1].0 {
                stage += 1;
            }
            stage
        })
        .collect();
    Ok(Order {
        after: edges,
        stages,
        stage_of_step,
    })
}

/// One cycle among the actors still `waiting` after a topological sort, in start order:
/// every such actor waits for another such actor, so following them must come back.
fn cycle(edges: &[Vec<usize>], waiting: &[usize]) -> Vec<usize> {
    let Some(start) = (0..waiting.len()).find(|&at| waiting[at] > 0) else {
        return Vec::new();
    };
    let mut path = vec![start];
    loop {
        let last = *path.last().unwrap_or(&start);
        let Some(&next) = edges[last].iter().find(|&&dep| waiting[dep] > 0) else {
            return path;
        };
        if let Some(seen) = path.iter().position(|&at| at == next) {
            let mut cycle = path.split_off(seen);
            // Shown as "a starts after b starts after ... a": the dependency last.
            cycle.push(next);
            return cycle;
        }
        path.push(next);
    }
}

impl Gate {
    pub(crate) fn new(shared: Arc<Shared>, index: usize, after: Vec<usize>) -> Self {
        Self {
            shared,
            index,
            after,
        }
    }
}
