//! One running scope: the state a running group shares with its members, whichever face
//! ([`Group`](crate::Group), [`TaskGroup`](crate::TaskGroup)) started it.
//!
//! # Invariants (the stop engine's; the rest of the crate links here)
//!
//! - **First cause.** The [`Cause`] is set once: by the first exit whose [`ExitPolicy`] stops
//!   the scope, by a stop from outside ([`Cause::Cancelled`]: a parent member interrupted, a
//!   token, `run_until`, [`TaskGroup::cancel`](crate::TaskGroup::cancel)), or by the scope
//!   itself once every counted member has finished ([`Cause::Finished`]).
//! - **Exactly once.** Each member is marked interrupted once; a member's interrupt is
//!   delivered once, through [`Scope::deliver`]. A scope with a
//!   run loop (a `Group`) delivers in stage order ([`super::shutdown`]); a scope without one
//!   (a `TaskGroup`) interrupts every member at the stop itself.
//! - **Push down.** A scope made under a member of another scope (a nested group, a child task
//!   group) is stopped from outside when that member is interrupted; it registers with its
//!   parent, so its members' futures wait only on their own scope, and a finished future is
//!   registered nowhere.
//! - **Deadlines flow down.** A scope's shutdown deadline is the earliest of its own and its
//!   parent member's, less a margin ([`Scope::inherited_deadline`]), so a nested scope times
//!   out its own stuck members first and names them. Known before the stop, at worst, the
//!   same is [`Scope::budget_under`]: what a scope about to be made under a member may count
//!   on, from the same arithmetic ([`super::deadline`]).
//! - **Nothing lost .** Every failure that does not become the cause (an error after the
//!   stop began, any panic, an interrupt's panic, a nested scope's stuck members and
//!   failures) is recorded and ends up on the result ([`Scope::result`]); a sidecar's own
//!   errors are reported only ([`ExitPolicy::Sidecar`]).
//! - **The tree is the truth.** What still runs under a member is read from the scopes made
//!   under it, at any time and from any thread, whatever their futures are doing (one may be
//!   stuck behind a blocked thread): the members each has named stuck, and the leaves under
//!   its unfinished members ([`Scope::running_leaves`]). A timeout, a forced exit and the
//!   exit watch of `#[run::main]` all name leaves that way.
//! - **Members.** Fixed members are the slots given at creation (a `Group`'s actors, known at
//!   `run()`); dynamic members come and go (a `TaskGroup`'s tasks) and are numbered after
//!   the fixed ones. A fixed slot costs no allocation of its own.
//! - **Child tasks.** A member takes child tasks while it runs and while it stops (they start
//!   interrupted then, under its timeout), never once it has ended: its parts all finished,
//!   or it was aborted. Together they hold one part of it. Their tokio tasks, aborted or not,
//!   are joined with the scope; a scope dropped before its join hands its tasks, aborted, to
//!   the scope above, which joins them: no task outlives the top scope's join.

use std::{
    collections::BTreeMap,
    future::Future,
    ops::ControlFlow,
    pin::Pin,
    sync::{
        atomic::{fence, AtomicBool, AtomicU8, AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak,
    },
    time::Duration,
};

use tokio::{
    sync::Notify,
    task::{AbortHandle, JoinHandle},
    time::Instant,
};

use super::{
    cause::Cause,
    deadline::Deadlines,
    event::{self, Event, Hook},
    extension::Extension,
    interrupt::{ExitPolicy, Interrupt},
    phase::PhaseCell,
    status::RestartRecord,
};
use crate::{
    error::{Error, Stuck},
    name::{ActorName, Leaf},
    panic::{self, CatchUnwind},
};

/// Why a member takes no new child task: it has ended.
#[derive(Debug)]
pub(crate) struct Ended;

/// What a forced shutdown was forced by: a second signal, in practice.
pub(crate) type Force = Pin<Box<dyn Future<Output = Error> + Send + 'static>>;

/// How much of a parent's remaining shutdown time a nested scope leaves it, at most: enough
/// to report the nested scope's stuck members before the parent's own deadline.
const NESTED_MARGIN: Duration = Duration::from_millis(50);

/// The margin a nested scope leaves before its parent member's deadline, `time` being the
/// parent's shutdown time up to that deadline: [`NESTED_MARGIN`], or a quarter of `time` if
/// that is less. The run loop's deadline and the check before the start both take it off.
fn nested_margin(time: Duration) -> Duration {
    NESTED_MARGIN.min(time / 4)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks; a poisoned one would still be consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One member of one scope: what a [`Context`](crate::Context) and a member's task point at.
#[derive(Clone)]
pub(crate) struct Member {
    pub(crate) scope: Arc<Scope>,
    /// A group of 2^32 members would need a terabyte of tasks first.
    pub(crate) index: u32,
}

impl Member {
    pub(crate) fn index(&self) -> usize {
        self.index as usize
    }

    pub(crate) fn name(&self) -> ActorName {
        self.scope.name(self.index())
    }

    #[inline]
    pub(crate) fn is_interrupted(&self) -> bool {
        self.scope.is_interrupted(self.index())
    }
}

/// The unfinished fixed members of each stage. The first stage's count is kept inline:
/// a scope with a single stage (most are) allocates no list for it.
struct StageCounts {
    first: AtomicUsize,
    rest: Box<[AtomicUsize]>,
}

impl StageCounts {
    fn new(stage_count: usize) -> Self {
        Self {
            first: AtomicUsize::new(0),
            rest: (1..stage_count).map(|_| AtomicUsize::new(0)).collect(),
        }
    }

    /// How many stages there are.
    fn count(&self) -> usize {
        self.rest.len() + 1
    }

    #[inline]
    fn at(&self, stage: usize) -> &AtomicUsize {
        match stage.checked_sub(1) {
            None => &self.first,
            Some(later) => &self.rest[later],
        }
    }

    fn at_mut(&mut self, stage: usize) -> &mut usize {
        match stage.checked_sub(1) {
            None => self.first.get_mut(),
            Some(later) => self.rest[later].get_mut(),
        }
    }
}

/// A fixed member's hot state.
pub(crate) struct Slot {
    leaf: Leaf,
    policy: ExitPolicy,
    /// Position of the member's stage in the scope's stage order.
    stage: u32,
    interrupted: AtomicBool,
    /// The member's execute has returned (its children are interrupted then).
    exited: AtomicBool,
    /// Parts still running: the execute, plus an async interrupt or a child task once
    /// started.
    unfinished: AtomicU8,
    /// What the member last said it was doing, for the report if it is stuck.
    phase: PhaseCell,
    #[cfg(feature = "tracing")]
    pub(crate) span: tracing::Span,
}

impl Slot {
    pub(crate) fn new(leaf: Leaf, policy: ExitPolicy, stage: usize) -> Self {
        Self {
            leaf,
            policy,
            // At most one stage per actor, and actors are counted in `u32`.
            stage: stage as u32,
            interrupted: AtomicBool::new(false),
            exited: AtomicBool::new(false),
            unfinished: AtomicU8::new(1),
            phase: PhaseCell::default(),
            #[cfg(feature = "tracing")]
            span: tracing::Span::none(),
        }
    }
}

/// The dynamic members: a task group's tasks.
#[derive(Default)]
struct Dynamic {
    /// Names by dynamic index; `None` for a free entry.
    names: Vec<Option<ActorName>>,
    /// Whether each member has started (it gets events and interrupts only then).
    started: Vec<bool>,
    free: Vec<u32>,
    /// Members named so far, to number the unnamed ones.
    numbered: usize,
    /// Interrupts that call something, by member index, until delivered.
    interrupts: Vec<(u32, Interrupt)>,
    /// Async interrupts started, aborted if the scope is aborted.
    interrupt_tasks: Vec<JoinHandle<()>>,
    /// The member each child task ([`Context::spawn`](crate::Context::spawn)) belongs to;
    /// `None` for a task group's own tasks.
    owners: Vec<Option<u32>>,
    /// Whether each child task was interrupted: its owner was, or returned.
    interrupted: Vec<bool>,
    /// Whether each dynamic member's execute has returned.
    exited: Vec<bool>,
    /// The tokio tasks of child tasks, by owner: joined with the scope, aborted with their
    /// owner.
    child_tasks: Vec<(u32, JoinHandle<()>)>,
    /// The child tasks of each fixed member, by member index (empty until a first child):
    /// together they hold one part of the member ([`Slot::unfinished`]), so that any number
    /// of them fits its count.
    child_counts: Vec<u32>,
}

impl Dynamic {
    fn at(&self, index: usize, fixed: usize) -> usize {
        index - fixed
    }

    /// Takes a free entry (or a new one) for a member named `name`, owned by `owner`; returns
    /// its position among the dynamic members.
    fn insert(&mut self, name: ActorName, owner: Option<u32>) -> usize {
        let at = match self.free.pop() {
            Some(at) => {
                self.names[at as usize] = Some(name);
                at as usize
            }
            None => {
                self.names.push(Some(name));
                self.started.push(false);
                self.owners.push(None);
                self.interrupted.push(false);
                self.exited.push(false);
                self.names.len() - 1
            }
        };
        self.owners[at] = owner;
        at
    }
}

/// Failures kept for the result: nothing lost (see the invariants).
#[derive(Default, Clone)]
struct Record {
    failures: Vec<Error>,
    stuck: Vec<Stuck>,
}

/// How a scope is configured when it is made.
pub(crate) struct ScopeConfig {
    pub(crate) path: Option<Arc<str>>,
    pub(crate) hook: Option<Hook>,
    pub(crate) parent: Option<Member>,
    pub(crate) slots: Box<[Slot]>,
    /// Fixed members that only run other members (a supervisor's incarnations, which report
    /// for it): they send no events of their own. Ascending; empty for most scopes.
    pub(crate) quiet: Box<[u32]>,
    pub(crate) stage_count: usize,
    /// Whether a run loop delivers the interrupts (a `Group`), or the stop itself does.
    pub(crate) run_loop: bool,
    /// What a layer above learns of this scope (readiness); `None` when unused.
    pub(crate) extension: Option<Arc<dyn Extension>>,
    /// Its shutdown timeout, drain, steps and members' timeouts.
    pub(crate) deadlines: Deadlines,
}

/// The one stop engine; see the [module invariants](self).
pub(crate) struct Scope {
    /// This scope, for the async interrupts it starts itself.
    me: Weak<Scope>,
    path: Option<Arc<str>>,
    hook: Option<Hook>,
    parent: Option<Member>,
    slots: Box<[Slot]>,
    /// See [`ScopeConfig::quiet`].
    quiet: Box<[u32]>,
    run_loop: bool,
    /// Set once; see the invariants.
    cause: OnceLock<Cause>,
    record: Mutex<Record>,
    /// Fixed members whose exit the scope waits for: all but sidecars, or all if only
    /// sidecars. Counted down only until a cause is set: it only says when the scope stops.
    active: AtomicUsize,
    sidecars_count: bool,
    /// Unfinished fixed members per stage.
    stages: StageCounts,
    /// Wakes the run loop: the cause was set, `active` or a stage count reached zero.
    wake: Notify,
    /// Wakes the members waiting for their interrupt, after a batch of them was marked: one
    /// `notify_waiters` per batch costs less than one per member.
    interrupts: Notify,
    /// Every member is interrupted (a broadcast stop).
    all_interrupted: AtomicBool,
    /// When the run loop saw the stop.
    stop_started: OnceLock<Instant>,
    /// The scope's shutdown deadline, once its shutdown has started with one.
    deadline: OnceLock<Instant>,
    /// The share of the shutdown time of the stage being stopped: `(stage, until)`.
    stage_share: Mutex<Option<(usize, Instant)>>,
    /// What the stop may take, and the fixed members' own deadlines once interrupted.
    deadlines: Deadlines,
    /// Set by a signal actor that has seen its first signal: the run loop watches it, and a
    /// second signal forces the end.
    force: Mutex<Option<Force>>,
    /// Scopes made under one of this scope's members, by member, and whether each was
    /// stopped already (kept until dropped, for status snapshots).
    children: Mutex<Vec<(u32, Weak<Scope>, bool)>>,
    has_children: AtomicBool,
    /// Some member has child tasks: interrupting a member must look for them.
    has_owned: AtomicBool,
    dynamic: Mutex<Dynamic>,
    /// Dynamic members (and their async interrupts) not yet ended.
    dynamic_running: AtomicUsize,
    /// Woken (all waiters) when `dynamic_running` reaches zero.
    idle: Notify,
    /// The face that owns the scope was dropped: dynamic members end at once.
    aborted: AtomicBool,
    /// When the scope was made: its fixed members' uptime runs from here.
    created: Instant,
    /// The restart records of supervised members, by member.
    restart_records: Mutex<Vec<(u32, Arc<RestartRecord>)>>,
    extension: Option<Arc<dyn Extension>>,
    /// When each observed member was first polled, until it exits: only observed members
    /// ([`Scope::observed`]) have an entry, so a member's task carries no clock.
    started: Mutex<BTreeMap<u32, Instant>>,
}

impl Scope {
    pub(crate) fn new(config: ScopeConfig) -> Arc<Self> {
        let ScopeConfig {
            path,
            hook,
            parent,
            slots,
            quiet,
            stage_count,
            run_loop,
            extension,
            deadlines,
        } = config;
        let counted = slots
            .iter()
            .filter(|slot| slot.policy != ExitPolicy::Sidecar)
            .count();
        let sidecars_count = counted == 0;
        let mut stages = StageCounts::new(stage_count);
        for slot in &*slots {
            *stages.at_mut(slot.stage as usize) += 1;
        }
        // A nested scope without a hook of its own reports to its parent's.
        let hook = hook.or_else(|| parent.as_ref()?.scope.hook.clone());
        let scope = Arc::new_cyclic(|me| Self {
            me: me.clone(),
            active: AtomicUsize::new(if sidecars_count { slots.len() } else { counted }),
            sidecars_count,
            path,
            hook,
            parent,
            slots,
            quiet,
            run_loop,
            cause: OnceLock::new(),
            record: Mutex::default(),
            stages,
            wake: Notify::new(),
            interrupts: Notify::new(),
            all_interrupted: AtomicBool::new(false),
            stop_started: OnceLock::new(),
            deadline: OnceLock::new(),
            stage_share: Mutex::new(None),
            deadlines,
            force: Mutex::new(None),
            children: Mutex::default(),
            has_children: AtomicBool::new(false),
            has_owned: AtomicBool::new(false),
            dynamic: Mutex::default(),
            dynamic_running: AtomicUsize::new(0),
            idle: Notify::new(),
            aborted: AtomicBool::new(false),
            created: Instant::now(),
            restart_records: Mutex::default(),
            extension,
            started: Mutex::default(),
        });
        if let Some(parent) = &scope.parent {
            parent.scope.adopt(parent.index, &scope);
        }
        scope
    }

    /// Registers `child`, made under member `index`; stops it at once if that member is
    /// interrupted already. The check after the push sees a mark made before the parent
    /// scanned its children, so no child is missed.
    fn adopt(&self, index: u32, child: &Arc<Scope>) {
        {
            let mut children = lock(&self.children);
            children.retain(|(_, child, _)| child.strong_count() > 0);
            children.push((index, Arc::downgrade(child), false));
            self.has_children.store(true, Ordering::Release);
        }
        if self.is_interrupted(index as usize) {
            child.stop(Cause::Cancelled);
        }
    }

    /// Stops the children of the members interrupted so far.
    fn stop_children(&self) {
        if !self.has_children.load(Ordering::Acquire) {
            return;
        }
        let stopping: Vec<Arc<Scope>> = {
            let mut children = lock(&self.children);
            let mut stopping = Vec::new();
            children.retain_mut(|(index, child, stopped)| {
                if *stopped || !self.is_interrupted(*index as usize) {
                    return child.strong_count() > 0;
                }
                *stopped = true;
                stopping.extend(child.upgrade());
                true
            });
            stopping
        };
        for child in stopping {
            child.stop(Cause::Cancelled);
        }
    }

    pub(crate) fn path(&self) -> Option<&Arc<str>> {
        self.path.as_ref()
    }

    /// The scopes made under member `index` and still alive, in the order they were made.
    pub(crate) fn children_of(&self, index: usize) -> Vec<Arc<Scope>> {
        if !self.has_children.load(Ordering::Acquire) {
            return Vec::new();
        }
        lock(&self.children)
            .iter()
            .filter(|(of, _, _)| *of as usize == index)
            .filter_map(|(_, child, _)| child.upgrade())
            .collect()
    }

    /// The number of fixed members.
    pub(crate) fn fixed_count(&self) -> usize {
        self.slots.len()
    }

    /// Whether member `index`'s execute has returned (for a child task: while it is still
    /// counted).
    #[inline]
    pub(crate) fn has_exited(&self, index: usize) -> bool {
        match self.slots.get(index) {
            Some(slot) => slot.exited.load(Ordering::Acquire),
            None => self.dynamic_has_exited(index),
        }
    }

    #[cold]
    fn dynamic_has_exited(&self, index: usize) -> bool {
        let dynamic = lock(&self.dynamic);
        let at = dynamic.at(index, self.slots.len());
        dynamic.exited.get(at).copied().unwrap_or(true)
    }

    /// The child tasks ([`Context::spawn`](crate::Context::spawn)) of member `owner` still
    /// running, by index, in the order of their entries.
    pub(crate) fn child_tasks_of(&self, owner: usize) -> Vec<usize> {
        if !self.has_owned.load(Ordering::Acquire) {
            return Vec::new();
        }
        let dynamic = lock(&self.dynamic);
        (0..dynamic.owners.len())
            .filter(|&at| dynamic.owners[at] == Some(owner as u32) && dynamic.started[at])
            .map(|at| self.slots.len() + at)
            .collect()
    }

    /// When the scope was made.
    pub(crate) fn created(&self) -> Instant {
        self.created
    }

    /// Keeps the restart record of supervised member `index`, for status snapshots.
    pub(crate) fn keep_restart_record(&self, index: usize, record: Arc<RestartRecord>) {
        lock(&self.restart_records).push((index as u32, record));
    }

    pub(crate) fn restart_record(&self, index: usize) -> Option<Arc<RestartRecord>> {
        lock(&self.restart_records)
            .iter()
            .find(|(of, _)| *of as usize == index)
            .map(|(_, record)| Arc::clone(record))
    }

    pub(crate) fn name(&self, index: usize) -> ActorName {
        match self.slots.get(index) {
            Some(slot) => ActorName::new(self.path.clone(), slot.leaf.clone()),
            None => lock(&self.dynamic)
                .names
                .get(index - self.slots.len())
                .cloned()
                .flatten()
                .unwrap_or_else(|| ActorName::new(self.path.clone(), Leaf::Index(index))),
        }
    }

    pub(crate) fn stage_of(&self, index: usize) -> usize {
        self.slots[index].stage as usize
    }

    /// Whether events are observed at all: if not, their data need not be gathered.
    pub(crate) fn observed(&self) -> bool {
        cfg!(feature = "tracing") || self.hook.is_some()
    }

    /// Emits an event about member `index`, inside its span: `report` is given the member's
    /// name and what to send the event to, and is not called when nobody observes.
    pub(crate) fn emit(&self, index: usize, report: impl FnOnce(&ActorName, &dyn Fn(&Event<'_>))) {
        if !self.quiet.is_empty() && self.quiet.binary_search(&(index as u32)).is_ok() {
            return;
        }
        self.emit_unmuted(index, report);
    }

    /// [`emit`](Scope::emit), for a quiet member too: what its supervisor reports.
    pub(crate) fn emit_unmuted(
        &self,
        index: usize,
        report: impl FnOnce(&ActorName, &dyn Fn(&Event<'_>)),
    ) {
        if !self.observed() {
            return;
        }
        #[cfg(feature = "tracing")]
        let _span = self.slots.get(index).map(|slot| slot.span.enter());
        report(&self.name(index), &|event| {
            event::emit(self.hook.as_ref(), event)
        });
    }

    /// Notes that observed member `index` was first polled now.
    pub(crate) fn note_started(&self, index: usize) {
        lock(&self.started).insert(index as u32, Instant::now());
    }

    /// When observed member `index` was first polled; forgets it.
    pub(crate) fn take_started(&self, index: usize) -> Option<Instant> {
        lock(&self.started).remove(&(index as u32))
    }

    #[cfg(feature = "tracing")]
    pub(crate) fn span(&self, index: usize) -> tracing::Span {
        self.slots
            .get(index)
            .map_or_else(tracing::Span::none, |slot| slot.span.clone())
    }

    // ------------------------------------------------------------------------------------
    // Exits and failures.

    /// Records the result of member `index`'s execute; called once per run of a member.
    pub(crate) fn exited(&self, index: usize, result: Result<(), Error>) {
        let policy = self
            .slots
            .get(index)
            .map_or(ExitPolicy::Task, |slot| slot.policy);
        let mut wake = false;
        // Once the cause is set, no exit can become it: skip building one (it clones the name).
        let leftover = if self.cause.get().is_none() && policy.stops_group(&result) {
            match self.cause.set(Cause::Exit {
                actor: self.name(index),
                result,
            }) {
                Ok(()) => {
                    wake = true;
                    None
                }
                Err(Cause::Exit { result, .. }) => Some(result),
                Err(_) => None,
            }
        } else {
            Some(result)
        };
        if let Some(Err(error)) = leftover {
            if policy == ExitPolicy::Sidecar {
                // Reported only ([`ExitPolicy::Sidecar`]); its panics and stuck leaves are kept.
                merge_sidecar(&mut lock(&self.record), error);
            } else {
                self.record_failure(error);
            }
        }
        if let Some(slot) = self.slots.get(index) {
            slot.exited.store(true, Ordering::Release);
            // Once a cause is set the count decides nothing (see `stop_requested`): the
            // members that exit during the stop skip a shared counter every worker would
            // otherwise pass around.
            if (slot.policy != ExitPolicy::Sidecar || self.sidecars_count)
                && self.cause.get().is_none()
                && self.active.fetch_sub(1, Ordering::AcqRel) == 1
            {
                wake = true;
            }
            // Its part counted done before its child tasks are looked for: a child added
            // meanwhile (see `add_child`) either saw `exited`, or its part count, read here
            // by the same read-modify-write order, shows `has_owned`.
            let drained = self.slot_part_done(slot);
            self.interrupt_owned();
            // One wake-up for the cause and the stage together: the run loop, woken once,
            // finds both (a second would cost it another turn, on another thread).
            if drained || wake {
                self.wake.notify_one();
            }
        } else {
            if self.has_owned.load(Ordering::Acquire) {
                let mut dynamic = lock(&self.dynamic);
                let at = dynamic.at(index, self.slots.len());
                dynamic.exited[at] = true;
            }
            self.interrupt_owned();
            if wake && self.run_loop {
                self.wake.notify_one();
            } else if wake {
                self.interrupt_all();
            }
        }
    }

    /// Keeps a failure that did not become the cause: nothing is lost. A nested scope's
    /// report is merged: its stuck members and its failures are this scope's too, and its
    /// own cause, when that was only the stop from outside, is no failure.
    pub(crate) fn record_failure(&self, error: Error) {
        let mut record = lock(&self.record);
        merge(&mut record, error);
    }

    /// Names member `index`, aborted at its timeout: the leaves still running under it, at
    /// any depth, with their phases ([`running_leaves`](Scope::running_leaves)).
    pub(crate) fn record_stuck(&self, index: usize) {
        let mut stuck = Vec::new();
        self.running_leaves(index, &mut stuck);
        let mut record = lock(&self.record);
        for stuck in stuck {
            keep_stuck(&mut record, stuck);
        }
    }

    /// Notes that member `index` is in `phase` now; a no-op for a dynamic member.
    pub(crate) fn set_phase(&self, index: usize, phase: std::borrow::Cow<'static, str>) {
        if let Some(slot) = self.slots.get(index) {
            slot.phase.set(phase);
        }
    }

    /// Member `index` as a stuck actor: its name, its last phase and its span.
    pub(crate) fn stuck(&self, index: usize) -> Stuck {
        #[allow(unused_mut)]
        let mut stuck = Stuck::named(self.name(index));
        if let Some(slot) = self.slots.get(index) {
            if let Some((phase, in_phase)) = slot.phase.get() {
                stuck.phase = Some(phase);
                stuck.in_phase = in_phase;
            }
            #[cfg(feature = "tracing")]
            {
                stuck.span = slot.span.clone();
            }
        }
        stuck
    }

    /// The actors still running under fixed member `index`, as the tree says now, whatever
    /// the futures of the scopes under it are doing (one may be stuck behind a blocked
    /// thread): what each scope made under it has named stuck, and the leaves still running
    /// under its unfinished members, at any depth; the member itself if that is nothing. What
    /// a timeout and a forced exit name.
    pub(crate) fn running_leaves(&self, index: usize, out: &mut Vec<Stuck>) {
        let before = out.len();
        for child in self.children_of(index) {
            child.stuck_into(out);
        }
        if out.len() == before {
            out.push(self.stuck(index));
        }
    }

    /// What the scope returns once every member has returned: the cause's result, with
    /// every other failure kept on it; see [`Error::Shutdown`] and
    /// [`Error::ShutdownTimeout`].
    pub(crate) fn result(&self) -> Result<(), Error> {
        let record = lock(&self.record).clone();
        self.result_of(record)
    }

    /// [`result`](Scope::result), once: the failures are moved out, not copied (a group's
    /// run loop, which returns the result once). The stuck members stay on the record too:
    /// the scope above reads them from the tree if it times out this scope's member before
    /// the result reaches it ([`running_leaves`](Scope::running_leaves)).
    pub(crate) fn take_result(&self) -> Result<(), Error> {
        let record = {
            let mut record = lock(&self.record);
            let stuck = match record.stuck.is_empty() {
                true => Vec::new(),
                false => record.stuck.clone(),
            };
            Record {
                failures: std::mem::take(&mut record.failures),
                stuck,
            }
        };
        self.result_of(record)
    }

    fn result_of(&self, record: Record) -> Result<(), Error> {
        let primary = self.cause.get().map_or(Ok(()), Cause::result);
        let Record { failures, stuck } = record;
        let mut failures = failures.into_iter();
        let cause = match primary {
            Err(error) => Some(error),
            Ok(()) => failures.next(),
        };
        let failures: Vec<Error> = failures.collect();
        let cause = match cause {
            Some(cause) if failures.is_empty() => Some(cause),
            Some(cause) => Some(Error::Shutdown {
                cause: Box::new(cause),
                failures,
            }),
            None => None,
        };
        if stuck.is_empty() {
            return cause.map_or(Ok(()), Err);
        }
        Err(Error::ShutdownTimeout {
            stuck,
            cause: cause.map(Box::new),
        })
    }

    // ------------------------------------------------------------------------------------
    // Stopping.

    /// Stops the scope with `cause`, unless it has a cause already; a scope without a run
    /// loop interrupts every member now.
    pub(crate) fn stop(&self, cause: Cause) {
        let _ = self.cause.set(cause);
        if self.run_loop {
            self.wake.notify_one();
        } else {
            self.interrupt_all();
        }
    }

    /// The top scope of the tree this scope belongs to.
    pub(crate) fn root(self: &Arc<Self>) -> Arc<Scope> {
        let mut scope = Arc::clone(self);
        while let Some(parent) = scope
            .parent
            .as_ref()
            .map(|parent| Arc::clone(&parent.scope))
        {
            scope = parent;
        }
        scope
    }

    /// Marks every member interrupted at once and delivers the dynamic members' interrupts
    /// (a scope without a run loop).
    pub(crate) fn interrupt_all(&self) {
        if self.all_interrupted.swap(true, Ordering::AcqRel) {
            return;
        }
        let cause = self.cause.get().cloned().unwrap_or(Cause::Cancelled);
        let (live, mut calls) = {
            let mut dynamic = lock(&self.dynamic);
            // Not those interrupted already (a child task, with its owner): once each.
            let live: Vec<usize> = (0..dynamic.started.len())
                .filter(|&at| dynamic.started[at] && !dynamic.interrupted[at])
                .collect();
            for &at in &live {
                dynamic.interrupted[at] = true;
            }
            let live = live
                .into_iter()
                .map(|at| self.slots.len() + at)
                .collect::<Vec<_>>();
            (live, std::mem::take(&mut dynamic.interrupts))
        };
        let Some(me) = self.me.upgrade() else { return };
        for index in live {
            let call = calls
                .iter()
                .position(|(of, _)| *of as usize == index)
                .map(|at| calls.swap_remove(at).1);
            self.deliver_dynamic(&me, index, call, &cause);
        }
        self.wake_interrupted();
    }

    /// Delivers member `index`'s interrupt with `cause`: emits `Interrupted`, calls the
    /// interrupt (starting an async one as a task only if `start_async`), and returns that
    /// task, if any. The caller marks the member interrupted and wakes the batch.
    ///
    /// The one place an interrupt runs, whoever stops the scope. A [`Interrupt::Call`] runs in
    /// place, its panic caught and recorded as [`Error::Panic`] with the member's path; an
    /// [`Interrupt::CallAsync`] runs as a task of its own (never inside the member's poll),
    /// its panic caught the same way; neither ever stops the delivery of the other interrupts.
    pub(crate) fn deliver(
        self: &Arc<Self>,
        index: usize,
        interrupt: Option<Interrupt>,
        cause: &Cause,
        start_async: bool,
    ) -> Option<JoinHandle<()>> {
        self.emit(index, |actor, send| {
            send(&Event::Interrupted { actor, cause });
        });
        match interrupt {
            None | Some(Interrupt::Context | Interrupt::Abort) => None,
            Some(Interrupt::Call(call)) => {
                if let Err(panicked) = panic::catch(|| call(cause)) {
                    self.record_failure(panicked.into_error(self.name(index)));
                }
                None
            }
            Some(Interrupt::CallAsync(call)) if start_async => {
                match panic::catch(|| call(cause.clone())) {
                    Ok(interrupting) => {
                        self.part_started(index);
                        let scope = Arc::clone(self);
                        Some(tokio::spawn(async move {
                            if let Err(panicked) = CatchUnwind::new(interrupting).await {
                                scope.record_failure(panicked.into_error(scope.name(index)));
                            }
                            scope.part_finished(index);
                        }))
                    }
                    Err(panicked) => {
                        self.record_failure(panicked.into_error(self.name(index)));
                        None
                    }
                }
            }
            Some(Interrupt::CallAsync(_)) => None,
        }
    }

    fn deliver_dynamic(
        &self,
        me: &Arc<Scope>,
        index: usize,
        call: Option<Interrupt>,
        cause: &Cause,
    ) {
        if let Some(task) = me.deliver(index, call, cause, !self.is_aborted()) {
            lock(&self.dynamic).interrupt_tasks.push(task);
        }
    }

    /// Whether the run loop should stop: a cause was set, or every counted member finished.
    pub(crate) fn stop_requested(&self) -> bool {
        self.cause.get().is_some() || self.active.load(Ordering::Acquire) == 0
    }

    /// Completes after a change that may satisfy what the run loop waits for. `notify_one`
    /// leaves a permit when nobody waits, so no wake-up between a check and this wait is
    /// lost.
    pub(crate) fn woken(&self) -> tokio::sync::futures::Notified<'_> {
        self.wake.notified()
    }

    /// The cause, set to `otherwise` if nothing set it first.
    pub(crate) fn settle_cause(&self, otherwise: Cause) -> &Cause {
        self.cause.get_or_init(|| otherwise)
    }

    pub(crate) fn cause(&self) -> Option<&Cause> {
        self.cause.get()
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.cause.get().is_some()
    }

    /// Marks fixed member `index` interrupted; it learns so at the next
    /// [`wake_interrupted`](Scope::wake_interrupted).
    pub(crate) fn mark_interrupted(&self, index: usize) {
        self.slots[index].interrupted.store(true, Ordering::Release);
    }

    /// Wakes the members marked since the last call, and stops their children.
    pub(crate) fn wake_interrupted(&self) {
        // Between the marks and the look for child tasks, against a child being added: see
        // `add_child`. Once per batch of members, not per member.
        fence(Ordering::SeqCst);
        self.interrupt_owned();
        self.interrupts.notify_waiters();
        self.stop_children();
    }

    /// A wake-up for the next batch of interrupts. One created before a `notify_waiters`
    /// completes even if first polled after it, so creating it before checking a flag loses
    /// nothing.
    pub(crate) fn interrupts_notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.interrupts.notified()
    }

    #[inline]
    pub(crate) fn is_interrupted(&self, index: usize) -> bool {
        match self.slots.get(index) {
            Some(slot) => {
                slot.interrupted.load(Ordering::Acquire)
                    || self.all_interrupted.load(Ordering::Acquire)
            }
            None => self.dynamic_is_interrupted(index),
        }
    }

    #[cold]
    fn dynamic_is_interrupted(&self, index: usize) -> bool {
        self.all_interrupted.load(Ordering::Acquire)
            || (self.has_owned.load(Ordering::Acquire) && {
                let dynamic = lock(&self.dynamic);
                let at = dynamic.at(index, self.slots.len());
                dynamic.interrupted.get(at).copied().unwrap_or(false)
            })
    }

    pub(crate) fn set_force(&self, force: Force) {
        *lock(&self.force) = Some(force);
        self.wake.notify_one();
    }

    pub(crate) fn take_force(&self) -> Option<Force> {
        lock(&self.force).take()
    }

    /// Notes that the run loop has seen the stop.
    pub(crate) fn mark_stop_started(&self) {
        let _ = self.stop_started.set(Instant::now());
        if let Some(extension) = &self.extension {
            extension.stop_began();
        }
    }

    /// The layer above that extends this scope, if any.
    pub(crate) fn extension(&self) -> Option<&Arc<dyn Extension>> {
        self.extension.as_ref()
    }

    /// Fixed member `index` has been polled once; see [`Extension::first_polled`].
    pub(crate) fn first_polled(&self, index: usize) {
        if let Some(extension) = &self.extension {
            if index < self.slots.len() {
                extension.first_polled(index);
            }
        }
    }

    /// When the run loop saw the stop, if it has.
    pub(crate) fn stop_started(&self) -> Option<Instant> {
        self.stop_started.get().copied()
    }

    /// What is stuck right now: the members named stuck so far, then the leaves still
    /// running under each unfinished member. For a report when the run loop itself cannot
    /// finish (a thread blocked in a member's poll).
    pub(crate) fn stuck_now(&self) -> Vec<Stuck> {
        let mut stuck = Vec::new();
        self.stuck_into(&mut stuck);
        stuck
    }

    /// [`stuck_now`](Scope::stuck_now), added to `out`. The record's lock is let go before
    /// the scopes below are read: no two records are ever locked at once.
    fn stuck_into(&self, out: &mut Vec<Stuck>) {
        out.extend(lock(&self.record).stuck.iter().cloned());
        for index in 0..self.slots.len() {
            if self.is_unfinished(index) {
                self.running_leaves(index, out);
            }
        }
    }

    /// How long since the run loop saw the stop.
    pub(crate) fn since_stop(&self) -> Duration {
        self.stop_started
            .get()
            .map_or(Duration::ZERO, |start| start.elapsed())
    }

    /// Sets the scope's own shutdown deadline (once: the first shutdown decides).
    pub(crate) fn set_deadline(&self, deadline: Instant) {
        let _ = self.deadline.set(deadline);
    }

    /// The deadline the scope's shutdown must meet: its own, or the one it inherits, the
    /// earlier.
    pub(crate) fn effective_deadline(&self) -> Option<Instant> {
        let own = self.deadline.get().copied();
        match (own, self.inherited_deadline()) {
            (Some(own), Some(inherited)) => Some(own.min(inherited)),
            (own, inherited) => own.or(inherited),
        }
    }

    /// Notes the share of the shutdown time of `stage`, the stage being stopped.
    pub(crate) fn set_stage_share(&self, stage: usize, until: Instant) {
        *lock(&self.stage_share) = Some((stage, until));
    }

    /// What the stop may take, and the fixed members' own deadlines once interrupted.
    pub(crate) fn deadlines(&self) -> &Deadlines {
        &self.deadlines
    }

    /// The latest time member `index` may still run: the scope's deadline or its own.
    fn deadline_of(&self, index: u32) -> Option<Instant> {
        let own = self.deadlines.deadline_of(index as usize);
        let share = match *lock(&self.stage_share) {
            Some((stage, until))
                if self
                    .slots
                    .get(index as usize)
                    .is_some_and(|slot| slot.stage as usize == stage) =>
            {
                Some(until)
            }
            _ => None,
        };
        let own = match (own, share) {
            (Some(own), Some(share)) => Some(own.min(share)),
            (own, share) => own.or(share),
        };
        match (own, self.effective_deadline()) {
            (Some(own), Some(scope)) => Some(own.min(scope)),
            (own, scope) => own.or(scope),
        }
    }

    /// The deadline this scope must have stopped by because of the scopes above it: its
    /// parent member's, less a margin ([`nested_margin`] of the parent's shutdown time so
    /// far) so that its own stuck members are named before the parent's timeout.
    pub(crate) fn inherited_deadline(&self) -> Option<Instant> {
        let parent = self.parent.as_ref()?;
        let deadline = parent.scope.deadline_of(parent.index)?;
        let budget = match parent.scope.stop_started.get() {
            Some(start) => deadline.saturating_duration_since(*start),
            None => Duration::ZERO,
        };
        Some(deadline - nested_margin(budget))
    }

    // Known before the stop: the same arithmetic in the worst case, for the budget check of
    // a scope about to be made (see [`super::deadline`]).

    /// The shutdown time this scope has, known before its stop: its own shutdown timeout, or
    /// what it inherits from the member it runs under ([`budget_under`](Scope::budget_under)),
    /// the less; `None` if neither bounds it.
    pub(crate) fn budget(&self) -> Option<Duration> {
        let inherited = self
            .parent
            .as_ref()
            .and_then(|parent| parent.scope.budget_under(parent.index()));
        match (self.deadlines.grace(), inherited) {
            (Some(own), Some(inherited)) => Some(own.min(inherited)),
            (own, inherited) => own.or(inherited),
        }
    }

    /// The shutdown time a scope made under member `index` may count on, known before the
    /// stop: what the member may use at worst (its stage's share with the stages and levels
    /// before it using all they may, and its own timeout; a child task what its owner may
    /// use; a task group's task the scope's time less its drain), less the margin its
    /// [inherited deadline](Scope::inherited_deadline) leaves at most. `None` if nothing
    /// bounds it.
    pub(crate) fn budget_under(&self, index: usize) -> Option<Duration> {
        let whole = self.budget();
        let member = self.member_budget(whole, index)?;
        // The margin is a quarter of the time from this scope's stop to the member's
        // deadline at most, which is within this scope's own time.
        Some(member.saturating_sub(nested_margin(whole.unwrap_or(member))))
    }

    /// What member `index` may use of `whole`, this scope's time, at worst.
    fn member_budget(&self, whole: Option<Duration>, index: usize) -> Option<Duration> {
        let own = self.deadlines.timeout_of(index);
        let Some(whole) = whole else {
            return own;
        };
        let Some(slot) = self.slots.get(index) else {
            // A child task is aborted with its owner: it has what its owner has.
            let owner = {
                let dynamic = lock(&self.dynamic);
                let at = dynamic.at(index, self.slots.len());
                dynamic.owners.get(at).copied().flatten()
            };
            return match owner {
                Some(owner) => self.member_budget(Some(whole), owner as usize),
                None => Some(whole.saturating_sub(self.deadlines.drain().unwrap_or_default())),
            };
        };
        let of = slot.stage as usize;
        let share = self
            .deadlines
            .worst_case(whole, self.stages.count(), |step, _, share| {
                if step == of {
                    return ControlFlow::Break(share);
                }
                let mut longest = Some(Duration::ZERO);
                for (member, _) in
                    (self.slots.iter().enumerate()).filter(|(_, slot)| slot.stage as usize == step)
                {
                    longest = match (longest, self.deadlines.timeout_of(member)) {
                        (Some(longest), Some(timeout)) => Some(longest.max(timeout)),
                        _ => None,
                    };
                }
                ControlFlow::Continue(longest)
            });
        let share = match share {
            ControlFlow::Break(share) => share,
            ControlFlow::Continue(()) => Duration::ZERO,
        };
        Some(own.map_or(share, |own| own.min(share)))
    }

    // ------------------------------------------------------------------------------------
    // Fixed members' progress (the run loop's view).

    /// An async interrupt of member `index` starts: the member is unfinished until it ends.
    pub(crate) fn part_started(&self, index: usize) {
        match self.slots.get(index) {
            Some(slot) => {
                if slot.unfinished.fetch_add(1, Ordering::AcqRel) == 0 {
                    self.stages
                        .at(slot.stage as usize)
                        .fetch_add(1, Ordering::AcqRel);
                }
            }
            None => {
                self.dynamic_running.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// A part of member `index` ended; the last one to end counts the member finished.
    pub(crate) fn part_finished(&self, index: usize) {
        match self.slots.get(index) {
            Some(slot) => self.slot_part_finished(slot),
            None => self.dynamic_ended(),
        }
    }

    #[inline]
    fn slot_part_finished(&self, slot: &Slot) {
        if self.slot_part_done(slot) {
            self.wake.notify_one();
        }
    }

    /// Counts a part of `slot` finished; true if that drained its stage (the caller wakes
    /// the run loop).
    #[inline]
    fn slot_part_done(&self, slot: &Slot) -> bool {
        let before = slot
            .unfinished
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        before == Ok(1)
            && self
                .stages
                .at(slot.stage as usize)
                .fetch_sub(1, Ordering::AcqRel)
                == 1
    }

    /// Counts fixed member `index` finished because it is being aborted; false if it had.
    pub(crate) fn abandon(&self, index: usize) -> bool {
        let slot = &self.slots[index];
        if slot.unfinished.swap(0, Ordering::AcqRel) == 0 {
            return false;
        }
        self.stage_done_one(slot.stage as usize);
        true
    }

    fn stage_done_one(&self, stage: usize) {
        if self.stages.at(stage).fetch_sub(1, Ordering::AcqRel) == 1 {
            self.wake.notify_one();
        }
    }

    pub(crate) fn is_unfinished(&self, index: usize) -> bool {
        self.slots[index].unfinished.load(Ordering::Acquire) > 0
    }

    pub(crate) fn stage_drained(&self, stage: usize) -> bool {
        self.stage_left(stage) == 0
    }

    /// The members of `stage` not finished yet.
    pub(crate) fn stage_left(&self, stage: usize) -> usize {
        self.stages.at(stage).load(Ordering::Acquire)
    }

    // ------------------------------------------------------------------------------------
    // Dynamic members.

    /// Adds a dynamic member named `name` (numbered when empty); it counts as running until
    /// [`remove_dynamic`](Scope::remove_dynamic).
    pub(crate) fn add_dynamic(&self, name: std::borrow::Cow<'static, str>) -> u32 {
        let mut dynamic = lock(&self.dynamic);
        let leaf = Leaf::new(name, dynamic.numbered);
        dynamic.numbered += 1;
        let name = ActorName::new(self.path.clone(), leaf);
        let at = dynamic.insert(name, None) as u32;
        self.dynamic_running.fetch_add(1, Ordering::AcqRel);
        self.slots.len() as u32 + at
    }

    /// Removes a dynamic member: it no longer runs. The lock it takes is never held while
    /// calling out, so a member's future can be dropped anywhere.
    pub(crate) fn remove_dynamic(&self, index: u32) {
        let interrupt = self.free_dynamic(&mut lock(&self.dynamic), index);
        // Dropped outside the lock: its destructor may do anything.
        drop(interrupt);
        self.dynamic_ended();
    }

    /// Frees dynamic member `index`'s entry; returns its undelivered interrupt, to be dropped
    /// outside the lock.
    fn free_dynamic(&self, dynamic: &mut Dynamic, index: u32) -> Option<(u32, Interrupt)> {
        let at = index - self.slots.len() as u32;
        dynamic.names[at as usize] = None;
        dynamic.started[at as usize] = false;
        dynamic.owners[at as usize] = None;
        dynamic.interrupted[at as usize] = false;
        dynamic.exited[at as usize] = false;
        dynamic.free.push(at);
        let call = dynamic.interrupts.iter().position(|(of, _)| *of == index);
        call.map(|at| dynamic.interrupts.swap_remove(at))
    }

    /// Starts task group task `index`, to be interrupted with `interrupt` (if it calls
    /// something) besides its context, unless the scope has stopped: then it never runs. A
    /// member started here is interrupted by the stop exactly once (the flag and the lists
    /// are read under one lock); one refused never is: no event for an actor that never
    /// started. (A child task starts with [`start_child`](Scope::start_child).)
    pub(crate) fn start_dynamic(&self, index: u32, interrupt: Option<Interrupt>) -> bool {
        let mut dynamic = lock(&self.dynamic);
        let at = dynamic.at(index as usize, self.slots.len());
        if self.is_stopped() || self.all_interrupted.load(Ordering::Acquire) {
            return false;
        }
        dynamic.started[at] = true;
        if let Some(interrupt) = interrupt {
            dynamic.interrupts.push((index, interrupt));
        }
        true
    }

    fn dynamic_ended(&self) {
        if self.dynamic_running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }

    pub(crate) fn dynamic_running(&self) -> usize {
        self.dynamic_running.load(Ordering::Acquire)
    }

    /// A wake-up for when no dynamic member runs; create it before checking the count.
    pub(crate) fn idle_notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.idle.notified()
    }

    /// The owning face was dropped: stops the scope and ends the dynamic members at once.
    pub(crate) fn abort(&self) {
        self.mark_aborted();
        self.stop(Cause::Cancelled);
        // Also when the scope had stopped already: members wait for `aborted`.
        self.interrupts.notify_waiters();
        let mut tasks = std::mem::take(&mut lock(&self.dynamic).interrupt_tasks);
        tasks.extend(self.take_child_tasks());
        self.hand_up(tasks);
    }

    /// Aborts `tasks`, this scope's, and hands them to the member the scope was made under,
    /// whose scope joins them with its own: for a scope whose face was dropped before it
    /// could join them. Without a parent, they are only aborted.
    pub(crate) fn hand_up(&self, tasks: Vec<JoinHandle<()>>) {
        for task in &tasks {
            task.abort();
        }
        if let Some(parent) = &self.parent {
            parent.scope.keep_tasks(parent.index, tasks);
        }
    }

    /// Keeps `tasks`, handed up by a scope made under member `owner`, to join them with this
    /// scope's child tasks.
    fn keep_tasks(&self, owner: u32, tasks: Vec<JoinHandle<()>>) {
        if tasks.is_empty() {
            return;
        }
        let mut dynamic = lock(&self.dynamic);
        dynamic.child_tasks.retain(|(_, task)| !task.is_finished());
        dynamic
            .child_tasks
            .extend(tasks.into_iter().map(|task| (owner, task)));
        // Read before the join: see `take_owned_tasks`.
        self.has_owned.store(true, Ordering::Release);
    }

    /// Notes that the scope's face is gone before the scope ended (a dropped task group, a
    /// group's dropped `run`): nothing new starts in it, no child task, no async interrupt.
    pub(crate) fn mark_aborted(&self) {
        self.aborted.store(true, Ordering::Release);
    }

    /// Completes once the scope is aborted.
    pub(crate) async fn aborted(&self) {
        loop {
            let notified = self.interrupts.notified();
            if self.is_aborted() {
                return;
            }
            notified.await;
        }
    }

    /// Completes once the scope has stopped and its members are interrupted.
    pub(crate) async fn stopped(&self) {
        loop {
            let notified = self.interrupts.notified();
            if self.is_stopped() && self.all_interrupted.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    /// Takes the async interrupt tasks of dynamic members started so far, to join them.
    pub(crate) fn take_interrupt_tasks(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut lock(&self.dynamic).interrupt_tasks)
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }
}

impl Scope {
    // ------------------------------------------------------------------------------------
    // Child tasks: dynamic members owned by another member, interrupted with it and joined
    // with it (it counts as unfinished until they end).

    /// Whether member `owner` is interrupted or has returned, under the dynamic lock.
    fn owner_done(&self, dynamic: &Dynamic, owner: u32) -> bool {
        match self.slots.get(owner as usize) {
            Some(slot) => {
                slot.interrupted.load(Ordering::Acquire) || slot.exited.load(Ordering::Acquire)
            }
            None => {
                let at = dynamic.at(owner as usize, self.slots.len());
                dynamic.interrupted[at] || dynamic.exited[at]
            }
        }
    }

    /// Adds a child task of member `owner`, named under the owner's path; `Err` once the
    /// owner has ended: its execute has returned and nothing of it runs any more, it was
    /// aborted, or its group's run was dropped. An owner that is stopping (interrupted, or
    /// returned with children still running) still takes children: each starts interrupted,
    /// under the owner's timeout, so that work it took is not lost. The owner counts as
    /// unfinished until the child is removed ([`remove_child`](Scope::remove_child)).
    pub(crate) fn add_child(
        &self,
        owner: u32,
        name: std::borrow::Cow<'static, str>,
    ) -> Result<u32, Ended> {
        let path: Arc<str> = self.name(owner as usize).to_string().into();
        let mut dynamic = lock(&self.dynamic);
        if self.is_aborted() {
            return Err(Ended);
        }
        // Before the owner's flags are read: an owner marked interrupted meanwhile then finds
        // this child when its interrupt is woken (both sides fence), and an owner whose
        // execute returns meanwhile does, through its part count (see `exited`).
        self.has_owned.store(true, Ordering::Release);
        fence(Ordering::SeqCst);
        let stopping = match self.slots.get(owner as usize) {
            Some(slot) => {
                let children = dynamic.child_counts.get(owner as usize).copied();
                let children = children.unwrap_or(0);
                // The children's part is joined only while the member runs: one that has
                // ended stays ended, since its stage may have been counted done already.
                let joined =
                    slot.unfinished
                        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |parts| {
                            (parts > 0).then_some(parts + u8::from(children == 0))
                        });
                if joined.is_err() {
                    return Err(Ended);
                }
                if dynamic.child_counts.len() <= owner as usize {
                    dynamic.child_counts.resize(self.slots.len(), 0);
                }
                dynamic.child_counts[owner as usize] = children + 1;
                slot.interrupted.load(Ordering::Acquire) || slot.exited.load(Ordering::Acquire)
            }
            None => {
                let at = dynamic.at(owner as usize, self.slots.len());
                if dynamic.names[at].is_none() || dynamic.exited[at] {
                    return Err(Ended);
                }
                self.dynamic_running.fetch_add(1, Ordering::AcqRel);
                dynamic.interrupted[at]
            }
        };
        let leaf = Leaf::new(name, dynamic.numbered);
        dynamic.numbered += 1;
        let name = ActorName::new(Some(path), leaf);
        let at = dynamic.insert(name, Some(owner));
        dynamic.interrupted[at] = stopping;
        self.dynamic_running.fetch_add(1, Ordering::AcqRel);
        Ok((self.slots.len() + at) as u32)
    }

    /// Starts child task `index`, to be interrupted with `interrupt` (if it calls something)
    /// besides its context. A child interrupted before it started (its owner was stopping)
    /// gets its interrupt now; any other, with its owner or the scope: once either way.
    pub(crate) fn start_child(&self, index: u32, interrupt: Option<Interrupt>) {
        let now = {
            let mut dynamic = lock(&self.dynamic);
            let at = dynamic.at(index as usize, self.slots.len());
            dynamic.started[at] = true;
            if dynamic.interrupted[at] || self.all_interrupted.load(Ordering::Acquire) {
                dynamic.interrupted[at] = true;
                Some(interrupt)
            } else {
                if let Some(interrupt) = interrupt {
                    dynamic.interrupts.push((index, interrupt));
                }
                None
            }
        };
        if let (Some(call), Some(me)) = (now, self.me.upgrade()) {
            let cause = self.cause.get().cloned().unwrap_or(Cause::Cancelled);
            self.deliver_dynamic(&me, index as usize, call, &cause);
        }
    }

    /// Removes child task `index` of `owner`: the owner may now count as finished.
    pub(crate) fn remove_child(&self, index: u32, owner: u32) {
        let (interrupt, last) = {
            let mut dynamic = lock(&self.dynamic);
            let interrupt = self.free_dynamic(&mut dynamic, index);
            let last = match dynamic.child_counts.get_mut(owner as usize) {
                Some(children) => {
                    *children -= 1;
                    *children == 0
                }
                None => false,
            };
            (interrupt, last)
        };
        drop(interrupt);
        self.dynamic_ended();
        match self.slots.get(owner as usize) {
            Some(slot) if last => self.slot_part_finished(slot),
            Some(_) => {}
            None => self.dynamic_ended(),
        }
    }

    /// Keeps the tokio task of a child of `owner`, to join it with the scope and abort it
    /// with its owner. One added once its owner was aborted, or its group's run dropped (both
    /// may happen between [`add_child`](Scope::add_child) and here), is aborted at once; in
    /// the second case it is handed up with the group's tasks.
    pub(crate) fn add_child_task(&self, owner: u32, task: JoinHandle<()>) {
        // The child's part keeps a fixed owner unfinished, unless the owner was aborted.
        let aborted = self
            .slots
            .get(owner as usize)
            .is_some_and(|slot| slot.unfinished.load(Ordering::Acquire) == 0);
        if aborted {
            task.abort();
        }
        let mut dynamic = lock(&self.dynamic);
        if self.is_aborted() {
            drop(dynamic);
            self.hand_up(vec![task]);
            return;
        }
        dynamic.child_tasks.retain(|(_, task)| !task.is_finished());
        dynamic.child_tasks.push((owner, task));
    }

    /// Interrupts the child tasks whose owner is interrupted or has returned, transitively,
    /// each once, delivering their interrupts.
    #[inline]
    fn interrupt_owned(&self) {
        if self.has_owned.load(Ordering::Acquire) {
            self.interrupt_owned_now();
        }
    }

    #[cold]
    fn interrupt_owned_now(&self) {
        let mut interrupted = Vec::new();
        let mut calls = Vec::new();
        {
            let mut dynamic = lock(&self.dynamic);
            loop {
                let mut changed = false;
                for at in 0..dynamic.owners.len() {
                    let Some(owner) = dynamic.owners[at] else {
                        continue;
                    };
                    if dynamic.interrupted[at] || !self.owner_done(&dynamic, owner) {
                        continue;
                    }
                    dynamic.interrupted[at] = true;
                    changed = true;
                    let index = (self.slots.len() + at) as u32;
                    if dynamic.started[at] {
                        interrupted.push(index as usize);
                        let call = dynamic.interrupts.iter().position(|(of, _)| *of == index);
                        calls.push(call.map(|call| dynamic.interrupts.swap_remove(call).1));
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        if interrupted.is_empty() {
            return;
        }
        if let Some(me) = self.me.upgrade() {
            let cause = self.cause.get().cloned().unwrap_or(Cause::Cancelled);
            for (index, call) in interrupted.into_iter().zip(calls) {
                self.deliver_dynamic(&me, index, call, &cause);
            }
        }
        self.interrupts.notify_waiters();
    }

    /// Aborts the child tasks of `owner` and of its children, transitively. Their tokio
    /// tasks stay with the scope, to be joined with it: an aborted task may still be running
    /// until its next poll, and nothing the scope started outlives its join.
    pub(crate) fn abort_children(&self, owner: usize) {
        if !self.has_owned.load(Ordering::Acquire) {
            return;
        }
        let tasks: Vec<AbortHandle> = {
            let dynamic = lock(&self.dynamic);
            let mut owners = vec![owner as u32];
            let mut at = 0;
            while at < owners.len() {
                let of = owners[at];
                for (child, owner) in dynamic.owners.iter().enumerate() {
                    if *owner == Some(of) {
                        owners.push((self.slots.len() + child) as u32);
                    }
                }
                at += 1;
            }
            (dynamic.child_tasks.iter())
                .filter(|(of, _)| owners.contains(of))
                .map(|(_, task)| task.abort_handle())
                .collect()
        };
        for task in tasks {
            task.abort();
        }
    }

    /// Takes the tokio tasks of the child tasks and of their async interrupts, to join or
    /// abort them, for a scope whose only dynamic members are child tasks (a group's): with
    /// none ever added, it takes no lock.
    pub(crate) fn take_owned_tasks(&self) -> Vec<JoinHandle<()>> {
        if !self.has_owned.load(Ordering::Acquire) {
            return Vec::new();
        }
        let mut dynamic = lock(&self.dynamic);
        let mut tasks = std::mem::take(&mut dynamic.interrupt_tasks);
        tasks.extend(
            std::mem::take(&mut dynamic.child_tasks)
                .into_iter()
                .map(|(_, task)| task),
        );
        tasks
    }

    /// Takes every child task's tokio task, to join or abort them.
    pub(crate) fn take_child_tasks(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut lock(&self.dynamic).child_tasks)
            .into_iter()
            .map(|(_, task)| task)
            .collect()
    }
}

// ----------------------------------------------------------------------------------------
// Queries of the tree for the layers above: each asks here, none walks the tree its own way.

impl Scope {
    /// The deepest fixed members, at or under this scope, that `pick` picks: for each member
    /// picked, those picked in the scopes made under it (at any depth), else the member
    /// itself. In member order, depth first. A layer passes what it keeps per scope (its
    /// extension) as `pick`: readiness asks for the actors not ready this way.
    pub(crate) fn picked_leaves(&self, pick: &dyn Fn(&Scope, usize) -> bool) -> Vec<ActorName> {
        let mut out = Vec::new();
        self.pick_leaves(pick, &mut out);
        out
    }

    fn pick_leaves(&self, pick: &dyn Fn(&Scope, usize) -> bool, out: &mut Vec<ActorName>) {
        for index in 0..self.slots.len() {
            if !pick(self, index) {
                continue;
            }
            let before = out.len();
            for child in self.children_of(index) {
                child.pick_leaves(pick, out);
            }
            if out.len() == before {
                out.push(self.name(index));
            }
        }
    }

    /// Whether the stop has begun here or in a scope above: a cause is set on the way to
    /// the root. A stop above reaches this scope only once the member it runs under is
    /// interrupted, which a drain or the stages may put off.
    pub(crate) fn stopping_here_or_above(&self) -> bool {
        let mut scope = self;
        loop {
            if scope.cause.get().is_some() {
                return true;
            }
            match &scope.parent {
                Some(parent) => scope = &parent.scope,
                None => return false,
            }
        }
    }
}

/// Merges what a sidecar's `error` holds besides its own failures into `record`: panics (bugs,
/// returned whoever panics) and the actors its shutdown timed out.
fn merge_sidecar(record: &mut Record, error: Error) {
    match error {
        Error::ShutdownTimeout { stuck, cause } => {
            record.stuck.extend(stuck);
            if let Some(cause) = cause {
                merge_sidecar(record, *cause);
            }
        }
        Error::Shutdown { cause, failures } => {
            merge_sidecar(record, *cause);
            for failure in failures {
                merge_sidecar(record, failure);
            }
        }
        Error::Panic { .. } => record.failures.push(error),
        _ => {}
    }
}

/// Merges `error` into `record`; see [`Scope::record_failure`].
fn merge(record: &mut Record, error: Error) {
    match error {
        Error::ShutdownTimeout { stuck, cause } => {
            for stuck in stuck {
                keep_stuck(record, stuck);
            }
            if let Some(cause) = cause {
                merge(record, *cause);
            }
        }
        Error::Shutdown { cause, failures } => {
            merge(record, *cause);
            for failure in failures {
                merge(record, failure);
            }
        }
        // A nested scope stopped from outside, or a signal seen while stopping anyway: no
        // failure of its own.
        Error::Cancelled | Error::Signal(_) => {}
        error => record.failures.push(error),
    }
}

/// Adds `stuck` to `record`, unless it names an actor named already: a member timed out by
/// the scope above is named from the tree, and its nested scope's result, if it still
/// returns, names the same leaves.
fn keep_stuck(record: &mut Record, stuck: Stuck) {
    if !record.stuck.iter().any(|kept| kept.actor == stuck.actor) {
        record.stuck.push(stuck);
    }
}
