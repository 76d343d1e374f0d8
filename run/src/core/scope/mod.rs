//! One running scope: the state a running group shares with its members, whichever face
//! ([`Group`](crate::Group), [`TaskGroup`](crate::TaskGroup)) started it.
//!
//! This file holds the state: the [`Scope`], what its fields are made of, and who guards
//! what (the lock order, and why each atomic's ordering suffices). What is done with it is
//! split by concern, one file each, every file stating the invariants it keeps:
//!
//! - [`stop`]: the first cause, the stop, the force of a second signal, the wake-ups of the
//!   run loop and of the members, and the one path an interrupt is delivered by
//!   ([`Scope::deliver`]). Keeps **first cause** and **exactly once**.
//! - [`fixed`]: the fixed members' exits, the parts each still runs, the unfinished members
//!   of each stage (what the run loop waits on), a member counted finished when aborted.
//! - [`dynamic`]: the registry of dynamic members: a task group's tasks and every member's
//!   child tasks, added, started, interrupted with their owner, removed, aborted, and their
//!   tokio tasks taken to be joined. Keeps **child tasks**.
//! - [`tree`]: the parent link and the scopes made under each member, and the queries the
//!   layers read from it. Keeps **push down** and **the tree is the truth**.
//! - [`deadlines`]: the scope's shutdown deadline, the one it inherits, and the shutdown time
//!   known before the stop. Keeps **deadlines flow down**.
//! - [`record`]: the failures and stuck actors kept for the result. Keeps **nothing lost**.
//! - [`observe`]: what observers read of a member: its name, its events, its phase, when it
//!   started, its restart record; the layer that extends the scope.
//!
//! # Invariants
//!
//! The stop engine's invariants (the rest of the crate links here) are stated in the file
//! that keeps each: **first cause** and **exactly once** in [`stop`], **push down** and **the
//! tree is the truth** in [`tree`], **deadlines flow down** in [`deadlines`], **nothing
//! lost** in [`record`], **child tasks** in [`dynamic`]. The one kept by the state's shape:
//!
//! - **Members.** Fixed members are the slots given at creation (a `Group`'s actors, known at
//!   `run()`); dynamic members come and go (a `TaskGroup`'s tasks) and are numbered after
//!   the fixed ones. A fixed slot costs no allocation of its own.
//!
//! # Lock order
//!
//! A scope has seven mutexes of its own (`record`, `stage_share`, `force`, `children`,
//! `dynamic`, `restart_records`, `started`), and each fixed member's phase has one
//! ([`PhaseCell`]); the [`Deadlines`] lock each member's deadline.
//!
//! 1. **`children` before `dynamic`.** The only two ever held together: stopping the
//!    children of the interrupted members asks, with the children locked, whether a dynamic
//!    member is interrupted ([`Scope::is_interrupted`] locks `dynamic` for a dynamic index).
//! 2. **Every other lock is a leaf**: nothing else is locked while it is held.
//! 3. **One scope at a time.** No lock of a scope is held while a lock of another scope is
//!    taken: a walk of the tree copies each list of children out before going down
//!    ([`Scope::children_of`]), the record is let go before the scopes below are read, the
//!    stage share before the parent's deadline is asked, the registry before tasks are
//!    handed up to the parent.
//! 4. **Nothing of a user's runs with a lock held.** An interrupt is called, an undelivered
//!    interrupt dropped, a child scope stopped, a task aborted, the parent told and a
//!    [`Notify`] woken only once the lock is let go, so that an interrupt, or the destructor
//!    of a member's future, may call back into the scope. Two things are dropped with a lock
//!    held: a sidecar's own error, reported only ([`record`]), and the force that
//!    [`Scope::set_force`] replaces (there is none in practice: the signal actor sets it
//!    once).
//!
//! # Atomics, and why each ordering suffices
//!
//! Every atomic is written with `Release` (a flag) or an `AcqRel` read-modify-write (a
//! count), and read with `Acquire`: what was written before a flag was raised, or before a
//! count moved, is seen by whoever reads that flag or count. Where more is needed (two
//! threads that each write one flag and then read the other's), a `fence(SeqCst)` stands on
//! both sides; that is said below.
//!
//! - `Slot::interrupted` (`Release` store, `Acquire` load): written once, by the run loop or
//!   its drop ([`Scope::mark_interrupted`]), before the batch is woken. A member creates its
//!   wake-up ([`Scope::interrupts_notified`]) before reading its flag, so a batch woken in
//!   between still wakes it. Against a child task being added to that member: see `has_owned`.
//! - `Slot::exited` (`Release` store, `Acquire` load): set once, when the member's execute
//!   returns, before its part is counted done: whoever counts after sees it (see
//!   `Slot::unfinished`).
//! - `Slot::unfinished` (`AcqRel` read-modify-writes, `Acquire` loads): the parts of a member
//!   still running. All its changes are read-modify-writes, so they are in one order, and
//!   each reads the one before it: a child task joining the member ([`Scope::add_child`])
//!   either comes after the member's exit counted its part done, and sees `exited`, or comes
//!   before, and the exit's count sees `has_owned` raised by it, and looks for the child.
//!   A part is counted done with `checked_sub` and an abort swaps the count to zero, so a
//!   member is counted finished in its stage once per time it was counted unfinished.
//! - `StageCounts` (`AcqRel` read-modify-writes, `Acquire` loads): the unfinished members of
//!   each stage. The member whose count brings a stage to zero wakes the run loop (a
//!   [`Notify::notify_one`] leaves a permit, so no wake-up is lost); the run loop's `Acquire`
//!   read of zero sees every member of the stage as it was when it was counted done.
//! - `active` (`AcqRel` decrements, `Acquire` load): the counted members that have not
//!   exited, decremented only by exits that find no cause set; the one that brings it to
//!   zero wakes the run loop. Once a cause is set it decides nothing
//!   ([`Scope::stop_requested`] reads the cause first), so the decrements skipped lose
//!   nothing.
//! - `all_interrupted` (`AcqRel` swap, `Acquire` loads): raised once by
//!   [`Scope::interrupt_all`]; only the swap that finds it low delivers, so the broadcast
//!   happens once. It is raised before `dynamic` is locked to list the members to interrupt,
//!   and [`Scope::start_dynamic`] and [`Scope::start_child`] read it with `dynamic` locked: a
//!   member started before the lock is listed, one started after sees the flag (the lock
//!   orders the two).
//! - `aborted` (`Release` store, `Acquire` loads): raised once the face is gone, before
//!   the scope's tasks are taken to be aborted and handed up. A child task is added, and its
//!   tokio task kept, only with `dynamic` locked and the flag low; otherwise it is refused,
//!   or aborted and handed up at once. [`Scope::aborted`] creates its wake-up before reading
//!   it, and [`Scope::abort`] wakes `interrupts` after raising it.
//! - `has_owned` (`Release` stores, `Acquire` loads; a `fence(SeqCst)` on each side): some
//!   member has child tasks, so an interrupt must look for them. [`Scope::add_child`] raises it
//!   and then reads whether the owner is interrupted; the run loop marks members interrupted
//!   and then [`Scope::wake_interrupted`] reads it. Each side fences between its write and its
//!   read, so at least one sees the other's write: the child starts interrupted, or the owner's
//!   interrupt finds it. (The owner's exit reaches it through `Slot::unfinished`.)
//!   [`Scope::keep_tasks`] raises it with the tasks handed up, under the lock the join takes
//!   them with.
//! - `has_children` (`Release` store with `children` locked, `Acquire` loads; a
//!   `fence(SeqCst)` on each side): some member has scopes made under it; while it is low,
//!   the readers skip `children`. [`Scope::adopt`] raises it, fences, then reads whether the
//!   member is interrupted; the run loop marks members, then [`Scope::wake_interrupted`]
//!   fences and reads it: at least one side sees the other's write, so a child is stopped by
//!   one side or the other. The fence runs once per nested scope, never per actor.
//! - `dynamic_running` (`AcqRel` read-modify-writes, `Acquire` load): the dynamic members and
//!   their async interrupts not yet ended; the one that brings it to zero wakes every waiter
//!   of `idle`, and a waiter creates its wake-up before reading the count
//!   ([`Scope::idle_notified`]).
//!
//! The `OnceLock`s (`cause`, `stop_started`, `deadline`) are set once and order themselves:
//! a value read was fully written. The three [`Notify`]s: `wake` (the run loop; `notify_one`,
//! which keeps a permit), `interrupts` and `idle` (`notify_waiters`, one per batch; a waiter
//! creates its wake-up before it checks, so a batch woken in between still wakes it).

mod deadlines;
mod dynamic;
mod fixed;
mod observe;
mod record;
mod stop;
mod tree;

use std::{
    collections::BTreeMap,
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak,
        atomic::{AtomicBool, AtomicU8, AtomicUsize},
    },
};

use tokio::{sync::Notify, task::JoinHandle, time::Instant};

use super::{
    cause::Cause,
    deadline::Deadlines,
    event::Hook,
    extension::Extension,
    interrupt::{ExitPolicy, Interrupt},
    phase::PhaseCell,
    status::RestartRecord,
};
use crate::{
    error::{Error, Stuck},
    name::{ActorName, Leaf},
};

/// Why a member takes no new child task: it has ended.
#[derive(Debug)]
pub(crate) struct Ended;

/// What a forced shutdown was forced by: a second signal, in practice.
pub(crate) type Force = Pin<Box<dyn Future<Output = Error> + Send + 'static>>;

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

/// A fixed member's hot state.
pub(crate) struct Slot {
    leaf: Leaf,
    policy: ExitPolicy,
    /// Position of the member's stage in the scope's stage order.
    stage: u32,
    /// Marked by the run loop, once, before it wakes a batch of members.
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

/// The dynamic members: a task group's tasks and every member's child tasks (see
/// [`dynamic`]).
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

/// Failures kept for the result: nothing lost (see [`record`]).
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
    /// A restartable actor's incarnation: its one member runs as the member it is made
    /// under, so it inherits that member's deadline whole (see
    /// [`Scope::inherited_deadline`]), and its failure is reported by the supervisor, which
    /// knows whether it restarts (see [`event`](crate::core::event)).
    pub(crate) incarnation: bool,
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
    /// See [`ScopeConfig::incarnation`].
    incarnation: bool,
    run_loop: bool,
    /// Set once; see [`stop`].
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
    /// Some member has scopes made under it: while not, `children` is never locked.
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
            incarnation,
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
            incarnation,
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
}
