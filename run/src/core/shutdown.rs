//! The run loop of a scope whose members are known when it starts (a `Group`): wait for the
//! stop, interrupt stage by stage, time out the stuck, report.
//!
//! Invariants (on top of the [scope's](super::scope)):
//! - stages are interrupted in ascending order, each in member order, the next only once
//!   every member of the one before has returned or been aborted;
//! - with a shutdown deadline (the scope's own timeout, or the one it
//!   [inherits](super::scope::Scope::inherited_deadline)), each step of the stop (a stage, or
//!   a start-order level of one) may use its [share](super::deadline::share) of the time left
//!   (counted from when the stop had a deadline: a nested scope that began to stop on its own
//!   first waits without one, and that wait is not taken from the budget):
//!   past it, its stuck members are aborted, named and reported as `TimedOut`, and the next
//!   step starts, so that a later one still gets its share; a member's own timeout runs from
//!   its interrupt;
//! - a forced shutdown (a second signal) aborts every member still running at once, without
//!   interrupting the stages not reached yet;
//! - with a drain delay, a graceful stop (a signal, a stop request) first waits that long with
//!   every member still running (readiness already says not ready), unless every member has
//!   returned or the stop is forced; the delay counts against the shutdown timeout;
//! - dropping a [`Running`] before it finished (the `run` future was dropped) delivers every
//!   interrupt not yet delivered (cause [`Cause::Cancelled`]; async interrupts are not
//!   started) and aborts every task; a nested scope hands them to the scope above, which
//!   joins them with its own: no task outlives the top scope's `run`.

use std::{
    future::{Future, poll_fn},
    pin::pin,
    sync::Arc,
    task::Poll,
    time::Duration,
};

use tokio::{
    runtime::RuntimeFlavor,
    task::{JoinError, JoinHandle},
    time::Instant,
};

use super::{
    cause::Cause,
    deadline::{self, Step},
    interrupt::Interrupt,
    scope::Scope,
};
use crate::error::Error;

/// A running scope's tasks and undelivered interrupts; see the [module invariants](self).
pub(crate) struct Running {
    scope: Arc<Scope>,
    /// Each member's task, until it is joined. A task that ended before the stop is joined
    /// (and freed) as soon as the stop is seen: like the tasks of a `TaskTracker`, the first
    /// to end is freed first, and glibc does not return the heap's top to the system at the
    /// end of every run only to fault it back in at the next.
    handles: Vec<Option<JoinHandle<()>>>,
    /// The interrupts that call something, by member index, until delivered; the others only
    /// mark the member, so its slot's flag is all they need.
    calls: Vec<(usize, Option<Interrupt>)>,
    /// Async interrupts that were started, with their member's index.
    interrupt_tasks: Vec<(usize, JoinHandle<()>)>,
    /// Child tasks taken from the scope to be joined, until joined: if this future is
    /// dropped meanwhile (its own member aborted), they are handed up, not lost.
    joining: Vec<JoinHandle<()>>,
    /// The flavor of the runtime the scope started on.
    flavor: RuntimeFlavor,
    /// When the stop first had a deadline: a scope that began to stop on its own, before the
    /// scope above did, waits without one until then, and that wait is not the shutdown's.
    deadline_since: Option<Instant>,
    finished: bool,
}

/// Why waiting for a stage ended early.
enum Interrupted {
    /// The stage's share of the shutdown time ran out.
    OutOfTime,
    Forced(Error),
}

impl Running {
    pub(crate) fn new(scope: Arc<Scope>, count: usize, flavor: RuntimeFlavor) -> Self {
        Self {
            scope,
            handles: Vec::with_capacity(count),
            calls: Vec::new(),
            interrupt_tasks: Vec::new(),
            joining: Vec::new(),
            flavor,
            deadline_since: None,
            finished: false,
        }
    }

    /// Adds the task of the next member, with its interrupt, kept if it calls something
    /// (its own timeout is the scope's: [`Scope::deadlines`]).
    #[inline]
    pub(crate) fn push(&mut self, handle: JoinHandle<()>, interrupt: Interrupt) {
        let index = self.handles.len();
        self.handles.push(Some(handle));
        if let Some(call) = interrupt.into_call() {
            self.calls.push((index, Some(call)));
        }
    }

    /// Runs the scope to its end: waits for the stop (or for `stop`, from outside), shuts
    /// down, joins every task, and returns the scope's result.
    pub(crate) async fn run(
        mut self,
        stop: Option<impl Future<Output = ()>>,
        stage_count: usize,
    ) -> Result<(), Error> {
        wait_for_stop(&self.scope, stop).await;
        let began = self.scope.stop_started().unwrap_or_else(Instant::now);
        self.join_ended();
        let (grace, drain) = {
            let deadlines = self.scope.deadlines();
            (deadlines.grace(), deadlines.drain())
        };
        // `Err` only when forced; otherwise the result is read once every task has ended, so
        // that a panic while a task is dropped is on it too.
        let forced = match self.drain(drain, stage_count).await {
            Ok(()) => {
                if let Some(extension) = self.scope.extension() {
                    extension.interrupts_began();
                }
                self.shut_down(stage_count, grace, began).await
            }
            Err(error) => Err(self.abort_all(error)),
        };
        if self.flavor != RuntimeFlavor::CurrentThread {
            // Tasks still ending on other workers get one turn to end, so that most are freed
            // here, by the thread that allocated them, rather than on a worker while the next
            // run allocates (page faults per run). On a current-thread runtime a
            // task has ended before this task runs again.
            tokio::task::yield_now().await;
        }
        for index in 0..self.handles.len() {
            if self.release_if_ended(index) {
                continue;
            }
            // Taken only once joined: if this future is dropped meanwhile, the rest are
            // aborted by `Drop`.
            if let Some(handle) = &mut self.handles[index] {
                let joined = handle.await;
                self.handles[index] = None;
                self.joined(index, joined);
            }
        }
        for (_, handle) in &mut self.interrupt_tasks {
            let _ = handle.await;
        }
        // Child tasks have ended with their owners (or were aborted with them); joining makes
        // sure their tokio tasks are gone too. Taken until none is left: a child task dropped
        // while joined (aborted) may hand up the tasks of a scope made under it (a restartable
        // child's incarnation) after the first take, and those must be joined too.
        loop {
            self.joining = self.scope.take_owned_tasks();
            if self.joining.is_empty() {
                break;
            }
            while let Some(handle) = self.joining.last_mut() {
                let _ = handle.await;
                self.joining.pop();
            }
        }
        self.finished = true;
        forced.and_then(|()| self.scope.take_result())
    }

    /// Waits the drain delay, if the stop is a graceful one (a signal, a stop request) and a
    /// member still runs; `Err` if the stop was forced meanwhile.
    async fn drain(&mut self, drain: Option<Duration>, stage_count: usize) -> Result<(), Error> {
        let scope = Arc::clone(&self.scope);
        let graceful = matches!(
            scope.settle_cause(Cause::Finished),
            Cause::Exit {
                result: Err(Error::Signal(_)),
                ..
            } | Cause::StopRequested
        );
        let Some(drain) = drain.filter(|_| graceful) else {
            return Ok(());
        };
        let mut force = scope.take_force();
        let mut sleep = pin!(tokio::time::sleep(drain));
        loop {
            if (0..stage_count).all(|stage| scope.stage_drained(stage)) {
                break;
            }
            if force.is_none() {
                force = scope.take_force();
            }
            let mut woken = pin!(scope.woken());
            let outcome = poll_fn(|cx| {
                if let Some(force) = &mut force {
                    if let Poll::Ready(error) = force.as_mut().poll(cx) {
                        return Poll::Ready(Some(Err(error)));
                    }
                }
                if sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Some(Ok(())));
                }
                woken.as_mut().poll(cx).map(|()| None)
            })
            .await;
            match outcome {
                Some(Err(error)) => return Err(error),
                Some(Ok(())) => break,
                None => {}
            }
        }
        // Not forced yet: the stages watch for the second signal from here on.
        if let Some(force) = force {
            scope.set_force(force);
        }
        Ok(())
    }

    /// Releases, without waiting, the tasks of the members whose execute has already returned
    /// (the one that stopped the scope, at least): the first to end is freed first; see
    /// [`release_if_ended`](Running::release_if_ended).
    fn join_ended(&mut self) {
        for (index, handle) in self.handles.iter_mut().enumerate() {
            if handle.is_some() && self.scope.has_exited(index) {
                *handle = None;
            }
        }
    }

    /// Releases member `index`'s task without reading or awaiting it if the member reported
    /// its exit: it dropped its future before reporting (see
    /// [`MemberTask`](super::member::MemberTask)), so nothing of the actor is left in the
    /// task, its output can only be `()`, and what tokio still does to end it needs no
    /// waiting for (a `TaskTracker` does not wait for it either). A task the run loop aborted
    /// is not counted as exited: it is awaited, and a panic while it is dropped is the
    /// actor's. Reading every output cost a poll and a copy per actor, and waiting for a task
    /// still ending on another worker a wake-up more.
    #[inline]
    fn release_if_ended(&mut self, index: usize) -> bool {
        if self.handles[index].is_none() {
            return true;
        }
        if !self.scope.has_exited(index) {
            return false;
        }
        self.handles[index] = None;
        true
    }

    /// Member `index`'s task has been joined. It fails to join when it was aborted
    /// (accounted for already) or when the actor's future panicked as it was dropped by the
    /// abort: that panic is the actor's.
    fn joined(&self, index: usize, joined: Result<(), JoinError>) {
        if let Err(error) = joined {
            if let Ok(payload) = error.try_into_panic() {
                let panicked = crate::panic::Panicked::from_payload(payload);
                self.scope
                    .record_failure(panicked.into_error(self.scope.name(index)));
            }
        }
    }

    /// Interrupts stage by stage and waits for each; `Err` if the shutdown was forced. The
    /// shutdown timeout counts from `began`, when the stop was seen (a drain included).
    async fn shut_down(
        &mut self,
        stage_count: usize,
        grace: Option<Duration>,
        began: Instant,
    ) -> Result<(), Error> {
        let scope = Arc::clone(&self.scope);
        let cause = scope.settle_cause(Cause::Finished);
        if let Some(grace) = grace {
            scope.set_deadline(began + grace);
        }
        let count = self.handles.len();
        let staged = stage_count > 1;
        // With one stage (the common case) the members go in index order: no list of them
        // is made, and no pass over them looks for the stage's end.
        let order: Vec<usize> = if staged {
            let mut order: Vec<usize> = (0..count).collect();
            order.sort_by_key(|&index| scope.stage_of(index));
            order
        } else {
            Vec::new()
        };
        let member = |at: usize| if staged { order[at] } else { at };
        // No interrupt calls anything, none starts a timeout and nobody observes events: a
        // delivery would only mark each member, so the stage is marked directly.
        let marks_only =
            self.calls.is_empty() && scope.deadlines().timed().is_empty() && !scope.observed();
        let mut start = 0;
        // When the stage of the step being stopped began (set as each stage begins): its
        // levels share its time.
        let mut stage_began = began;
        for stage in 0..stage_count {
            let end = if staged {
                let stage_len = order[start..]
                    .iter()
                    .position(|&index| scope.stage_of(index) != stage);
                start + stage_len.unwrap_or(count - start)
            } else {
                count
            };
            let members = start..end;
            start = end;
            if marks_only {
                for at in members.clone() {
                    scope.mark_interrupted(member(at));
                }
            } else {
                for at in members.clone() {
                    self.deliver(member(at), cause, true);
                }
            }
            scope.wake_interrupted();
            let step = scope.deadlines().step(stage, stage_count);
            match self.wait_stage(stage, step, &mut stage_began).await {
                Ok(()) => {}
                Err(Interrupted::OutOfTime) => {
                    let after = scope.since_stop();
                    for at in members {
                        self.abort_if_unfinished(member(at), after);
                    }
                }
                Err(Interrupted::Forced(error)) => {
                    // Forced means now: stages not reached yet are aborted, not interrupted.
                    return Err(self.abort_all(error));
                }
            }
        }
        Ok(())
    }

    /// Delivers member `index`'s interrupt, unless it was delivered already, and marks it;
    /// the caller wakes the batch.
    fn deliver(&mut self, index: usize, cause: &Cause, start_async: bool) {
        if self.scope.is_interrupted(index) {
            return;
        }
        self.scope.deadlines().start_timeout(index);
        let call = find(&self.calls, index, |(of, _)| *of).and_then(|at| self.calls[at].1.take());
        let task = self.scope.deliver(index, call, cause, start_async);
        if let Some(task) = task {
            self.interrupt_tasks.push((index, task));
        }
        self.scope.mark_interrupted(index);
    }

    /// Waits until every member of `stage` (the step `step` of the stop) has finished,
    /// aborting those whose own timeout runs out; stops early when the step's share of the
    /// shutdown time runs out or the shutdown is forced. `stage_began` is when the step's
    /// stage began, set here if the step begins it.
    async fn wait_stage(
        &mut self,
        stage: usize,
        step: Step,
        stage_began: &mut Instant,
    ) -> Result<(), Interrupted> {
        let scope = Arc::clone(&self.scope);
        let deadlines = scope.deadlines();
        let timed: Vec<usize> = (deadlines.timed().iter().enumerate())
            .filter(|(_, timed)| {
                timed.deadline().is_some() && scope.stage_of(timed.index as usize) == stage
            })
            .map(|(at, _)| at)
            .collect();
        let stage_start = Instant::now();
        if step.begins_stage() {
            *stage_began = stage_start;
        }
        let stage_began = *stage_began;
        let mut force = scope.take_force();
        // A stage reached with no time left still gets turns of the scheduler, so that an
        // actor that returns as soon as it sees its interrupt is not named stuck: as many as
        // let members return, and at least one per 32 members, since a scheduler runs a
        // bounded batch of tasks (61 on tokio's current-thread one) between two polls of
        // this loop, and the tasks of the members aborted before are in the queue too.
        let least_turns = 1 + self.handles.len() / 32;
        let mut turns = 0;
        let mut left_before = usize::MAX;
        loop {
            if scope.stage_drained(stage) {
                return Ok(());
            }
            if force.is_none() {
                force = scope.take_force();
            }
            // Read again each time: a parent's deadline may appear while this scope stops.
            // The shares count from when there was one: time this scope spent stopping
            // before the stop above gave it a deadline is not taken from the budget.
            let share = scope.effective_deadline().map(|deadline| {
                let known = *self.deadline_since.get_or_insert_with(Instant::now);
                let (began, start) = (stage_began.max(known), stage_start.max(known));
                let stage_left = deadline.saturating_duration_since(began);
                let used = start.saturating_duration_since(began);
                start + deadline::share(stage_left, used, step)
            });
            if let Some(share) = share {
                scope.set_stage_share(stage, share);
                if share <= Instant::now() {
                    let left = scope.stage_left(stage);
                    if turns < least_turns || left < left_before {
                        turns += 1;
                        left_before = left;
                        tokio::task::yield_now().await;
                        continue;
                    }
                }
            }
            let own_deadline = timed
                .iter()
                .map(|&at| &deadlines.timed()[at])
                .filter(|timed| scope.is_unfinished(timed.index as usize))
                .filter_map(|timed| timed.deadline())
                .min();
            let deadline = match (own_deadline, share) {
                (Some(own), Some(share)) => Some(own.min(share)),
                (own, share) => own.or(share),
            };
            let mut woken = pin!(scope.woken());
            let mut sleep = pin!(deadline.map(tokio::time::sleep_until));
            let forced = poll_fn(|cx| {
                if let Some(force) = &mut force {
                    if let Poll::Ready(error) = force.as_mut().poll(cx) {
                        return Poll::Ready(Some(error));
                    }
                }
                if woken.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                match sleep.as_mut().as_pin_mut().map(|sleep| sleep.poll(cx)) {
                    Some(Poll::Ready(())) => Poll::Ready(None),
                    _ => Poll::Pending,
                }
            })
            .await;
            if let Some(error) = forced {
                return Err(Interrupted::Forced(error));
            }
            let now = Instant::now();
            if share.is_some_and(|share| share <= now) {
                return Err(Interrupted::OutOfTime);
            }
            for &at in &timed {
                let timed = &deadlines.timed()[at];
                if timed.deadline().is_some_and(|deadline| deadline <= now) {
                    self.abort_if_unfinished(timed.index as usize, timed.timeout);
                }
            }
        }
    }

    fn abort_if_unfinished(&mut self, index: usize, after: Duration) {
        if !self.scope.abandon(index) {
            return;
        }
        // Before the abort, while the scopes below are still there to be read.
        self.scope.emit_timed_out(index, after);
        self.abort(index);
        self.scope.record_stuck(index);
    }

    /// Aborts every member still running, now (a forced exit), and names them on `error`
    /// if it is [`Error::Forced`]: the leaves still running under each, with their phases.
    fn abort_all(&mut self, mut error: Error) -> Error {
        let mut aborted = Vec::new();
        for index in 0..self.handles.len() {
            if self.scope.is_unfinished(index) {
                self.scope.running_leaves(index, &mut aborted);
            }
            if self.scope.abandon(index) {
                self.abort(index);
            }
        }
        if let Error::Forced { aborted: named, .. } = &mut error {
            *named = aborted;
        }
        error
    }

    fn abort(&mut self, index: usize) {
        if let Some(handle) = &self.handles[index] {
            handle.abort();
        }
        self.scope.abort_children(index);
        for (_, task) in self.interrupt_tasks.iter().filter(|(of, _)| *of == index) {
            task.abort();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let scope = Arc::clone(&self.scope);
        scope.mark_aborted();
        let cause = scope.settle_cause(Cause::Cancelled);
        for index in 0..self.handles.len() {
            self.deliver(index, cause, false);
        }
        scope.wake_interrupted();
        // Aborted, and joined by the scope above, if any: it joins them with its own.
        let mut tasks: Vec<JoinHandle<()>> =
            self.handles.iter_mut().filter_map(Option::take).collect();
        tasks.extend(self.interrupt_tasks.drain(..).map(|(_, task)| task));
        tasks.append(&mut self.joining);
        tasks.extend(scope.take_owned_tasks());
        scope.hand_up(tasks);
    }
}

/// Where member `index`'s entry is in `list`, sorted by member index, if it has one. Found
/// without a search in the common cases: no member has an entry, or every member has one (as
/// with oklog's `Group::add`), so that it is at `index`.
fn find<T>(list: &[T], index: usize, of: impl Fn(&T) -> usize) -> Option<usize> {
    if list.is_empty() {
        return None;
    }
    match list.get(index) {
        Some(entry) if of(entry) == index => Some(index),
        _ => list.binary_search_by_key(&index, of).ok(),
    }
}

/// Waits until the scope must stop: on its own, pushed from above, or when `stop` completes
/// (then the cause is [`Cause::Cancelled`]).
async fn wait_for_stop(scope: &Scope, stop: Option<impl Future<Output = ()>>) {
    let mut stop = pin!(stop);
    loop {
        if scope.stop_requested() {
            break;
        }
        let mut woken = pin!(scope.woken());
        let outside = poll_fn(|cx| {
            if woken.as_mut().poll(cx).is_ready() {
                return Poll::Ready(false);
            }
            match stop.as_mut().as_pin_mut().map(|stop| stop.poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(true),
                _ => Poll::Pending,
            }
        })
        .await;
        if outside {
            scope.settle_cause(Cause::Cancelled);
            break;
        }
    }
    scope.mark_stop_started();
}
