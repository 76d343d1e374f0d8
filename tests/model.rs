//! The model tests: random apps run whole, their invariants checked on every one.
//!
//! **The flat model** (`every_group_keeps_the_invariants`): groups of 1 to 200 actors
//! (random exit policies, stages, timeouts cut to fit the shutdown budget; behaviours: exit
//! `Ok` / `Err` / panic at a random time, obey the interrupt or ignore it for a while or
//! forever, a nested group), each run on a current-thread runtime under paused time:
//!
//! - `run()` returns (within a virtual hour: a hang is a reported, shrunk failure);
//! - every actor's interrupt is delivered exactly once, stage by stage, each stage in add
//!   order;
//! - the returned error's cause is the first exit that stops the group;
//! - every failure before the stop (but a sidecar's error, reported only) is on the error, and
//!   nothing that did not fail is;
//! - only actors that can be slow to stop are named stuck, and a group without slow actors
//!   never times out;
//! - no task of the runtime is alive the moment `run()` returns.
//!
//! **The nested model** (`every_nested_layout_keeps_the_invariants`): an app as
//! `#[run::main]` builds it (a root group with a shutdown budget, maybe a drain and a
//! start-up timeout, its signal actor, and `main`), `main` a derived struct (a group built
//! under its actor's context) one to three levels deep: groups of one to four actors, each
//! run once or restartable (`Group::supervise`: random restart policy, limit, period,
//! backoff, and the group's strategy), with random stages, timeouts, start order (`after`
//! earlier siblings) and readiness (`ready_when_told`, then `Context::set_ready` at a random
//! time, or never); an actor may start a child task (`Context::spawn`) that obeys or ignores
//! its interrupt, take one more job once interrupted (a child spawned while it stops), or
//! start a restartable child (`Context::supervise`) whose handle stops it at a random time.
//! The app is stopped from outside (SIGTERM through the signal actor, or `request_stop`) at a
//! random moment: during start-up, restarts and their backoffs too. Each layout runs twice:
//! on a current-thread runtime under paused time, where every time is exact, and on the
//! default multi-thread runtime in real time (a tick of 20 µs), where only what does not
//! depend on timing is read (marked "exact" below: paused time only). A journal records what
//! each actor, incarnation and child did, and every hook event, in one order; the invariants:
//!
//! - (a) each runner launched is interrupted at most once, and, by the time `run()`
//!   returns, exactly once; the moment it returns every execute has been dropped and the
//!   runtime's alive tasks are back at the baseline (no yield, no polling); on the
//!   multi-thread runtime, where tokio wakes a task's `JoinHandle` before it stops counting
//!   the task, at most one more per worker is counted then, and none once every worker is
//!   held (`common::no_leak`'s exact check);
//! - (b) with no real failure (a failure a restart handled is history, a stop during the
//!   backoff that follows included), nothing stuck and no limit reached, the result is clean
//!   (`Ok`, or the signal); a restartable child stopped by its handle joins `Ok`;
//! - (c) exact: a restartable actor is restarted after each exit its policy restarts after,
//!   within its limit, never after a final exit or past its limit; past it, the hook hears
//!   of it, whatever its exit policy;
//! - (d) exact: an actor or incarnation with timeout T still running once interrupted is
//!   aborted exactly T after its interrupt if it would take longer, and not at all if it
//!   would take less: when T surely fits (its stage's even share of what its group surely
//!   has, each level down less the nested margin), and whenever the app ran at all (a
//!   timeout the budget check accepted is honoured in full);
//! - (e) exact: no actor waiting on `after` starts, and no restartable actor starts again,
//!   once its group or a group above it has begun its shutdown;
//! - (f) an actor starts `after` others only once each of them has been ready;
//! - (g) exact: the root's start-up timeout fires when an actor that started is not ready,
//!   and names the actors, at any depth, that started and never became ready;
//! - (h) a timeout that cannot fit the root's budget (less the drain), at any depth, is
//!   refused (`Error::OverBudget`) naming the actor's full path before it starts; a refusal
//!   names an actor whose timeout may not fit; an app whose timeouts surely fit runs;
//! - (i) `Context::spawn` on an actor that runs succeeds, also while it stops (the child then
//!   starts interrupted);
//! - (k) only an actor that can fail is named failed; exact: only one that can be slow is
//!   named stuck, a leaf (a nested group names its own), and the hook heard it time out.
//!
//! Every invariant holds, none is behind a flag; `the_known_layouts_keep_the_invariants` runs
//! the smallest app found breaking each before the change that made it hold, and
//! `model.proptest-regressions` keeps the failures proptest found (replayed first).
//!
//! Environment: `RUN_MODEL_CASES` sets the number of cases (default 1000 for the flat model,
//! half as many nested layouts; 10 000 for the full run); `RUN_MODEL_CLOCK=paused` or
//! `multi-thread` runs the nested layouts on one runtime only; `RUN_MODEL_JOURNAL=1` prints
//! the journal of a failing run.

mod common;

use std::{
    collections::BTreeSet,
    io,
    sync::{Arc, Mutex},
    time::Duration,
};

use proptest::prelude::*;
use run::{
    ActorOptions, Backoff, BudgetPart, ChildHandle, Context, Error, Event, ExitPolicy, Group,
    Interrupt, Restart, RestartPolicy, Runner, Signal, testing::SignalInjector,
};
use tokio::time::Instant;

/// What an actor does.
#[derive(Debug, Clone)]
enum Behaviour {
    /// Exits on its own at `at` ms with `outcome`, unless interrupted first (then `Ok`).
    Exit { at: u64, outcome: Outcome },
    /// Waits for its interrupt, then `delay` ms later returns `outcome`.
    Obey { delay: u64, outcome: Outcome },
    /// Ignores its interrupt: returns `Ok` `for_ms` after it, or never.
    Ignore { for_ms: Option<u64> },
    /// A nested group of obedient actors.
    Nested { children: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Ok,
    Err,
    Panic,
}

#[derive(Debug, Clone)]
struct ActorModel {
    policy: ExitPolicy,
    stage: u32,
    timeout: Option<u64>,
    behaviour: Behaviour,
    /// Its interrupt panics (after it is recorded): the panic must be on the error.
    interrupt_panics: bool,
}

#[derive(Debug, Clone)]
struct GroupModel {
    actors: Vec<ActorModel>,
    /// The time the stopper (a last, service actor) exits `Ok`, so every group stops.
    stop_at: u64,
    shutdown_timeout: Option<u64>,
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        3 => Just(Outcome::Ok),
        2 => Just(Outcome::Err),
        1 => Just(Outcome::Panic),
    ]
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        4 => (1..200u64, outcome()).prop_map(|(at, outcome)| Behaviour::Exit { at, outcome }),
        4 => (0..50u64, outcome()).prop_map(|(delay, outcome)| Behaviour::Obey { delay, outcome }),
        1 => proptest::option::of(1..5_000u64).prop_map(|for_ms| Behaviour::Ignore { for_ms }),
        1 => (1..5usize).prop_map(|children| Behaviour::Nested { children }),
    ]
}

fn actor() -> impl Strategy<Value = ActorModel> {
    (
        prop_oneof![
            3 => Just(ExitPolicy::Service),
            2 => Just(ExitPolicy::Task),
            1 => Just(ExitPolicy::Sidecar),
        ],
        0..3u32,
        proptest::option::weighted(0.2, 1..3_000u64),
        behaviour(),
        proptest::bool::weighted(0.05),
    )
        .prop_map(
            |(policy, stage, timeout, behaviour, interrupt_panics)| ActorModel {
                policy,
                stage,
                timeout,
                behaviour,
                interrupt_panics,
            },
        )
}

fn group() -> impl Strategy<Value = GroupModel> {
    (
        proptest::collection::vec(actor(), 1..=200),
        1..250u64,
        proptest::option::weighted(0.5, 1..10_000u64),
    )
        .prop_map(|(mut actors, stop_at, shutdown_timeout)| {
            // Distinct exit times (whole seconds plus the index in ms: the timer's grain is
            // 1 ms and there are fewer than 1000 actors), so "the first exit" is well defined.
            for (index, actor) in actors.iter_mut().enumerate() {
                if let Behaviour::Exit { at, .. } = &mut actor.behaviour {
                    *at = *at * 1_000 + index as u64 + 1;
                }
            }
            // A group with an actor that ignores its interrupt forever needs a bound.
            let forever = actors
                .iter()
                .any(|actor| matches!(actor.behaviour, Behaviour::Ignore { for_ms: None }));
            let shutdown_timeout = match shutdown_timeout {
                None if forever => Some(5_000),
                other => other,
            };
            if let Some(budget) = shutdown_timeout {
                fit_in_budget(&mut actors, budget);
            }
            GroupModel {
                actors,
                stop_at: stop_at * 1_000 + 999,
                shutdown_timeout,
            }
        })
}

/// Cuts the actors' timeouts so that they fit the shutdown budget, as `Group::run` demands
/// (it refuses what does not fit: tests/budget.rs): each stage (the stopper's, 1, included)
/// gets an even share of the time left, and a stage whose actors all have timeouts uses at
/// most the longest.
fn fit_in_budget(actors: &mut [ActorModel], budget: u64) {
    let mut stages: Vec<u32> = actors.iter().map(|actor| actor.stage).collect();
    stages.push(1);
    stages.sort_unstable();
    stages.dedup();
    let mut left = Duration::from_millis(budget);
    for (position, &stage) in stages.iter().enumerate() {
        let share = left / (stages.len() - position) as u32;
        let mut longest = Some(Duration::ZERO);
        for actor in actors.iter_mut().filter(|actor| actor.stage == stage) {
            // A timeout cut to nothing would name even a prompt actor stuck: none instead.
            actor.timeout = actor
                .timeout
                .map(|ms| ms.min(share.as_millis() as u64))
                .filter(|&ms| ms > 0);
            match actor.timeout {
                Some(ms) => {
                    longest = longest.map(|longest| longest.max(Duration::from_millis(ms)));
                }
                None => longest = None,
            }
        }
        if stage == 1 {
            longest = None; // the stopper has no timeout
        }
        left -= longest.unwrap_or(share);
    }
}

/// What the run recorded.
#[derive(Default)]
struct Trace {
    /// Interrupt deliveries, in order: (actor index, stage).
    interrupts: Vec<(usize, u32)>,
}

fn name(index: usize) -> String {
    format!("a{index}")
}

async fn play(behaviour: Behaviour, ctx: Context, name: String) -> Result<(), io::Error> {
    let finish = |outcome: Outcome| match outcome {
        Outcome::Ok => Ok(()),
        Outcome::Err => Err(io::Error::other(format!("{name} failed"))),
        Outcome::Panic => panic!("{name} panicked"),
    };
    match behaviour {
        Behaviour::Exit { at, outcome } => {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(at)) => finish(outcome),
                () = ctx.interrupted() => Ok(()),
            }
        }
        Behaviour::Obey { delay, outcome } => {
            ctx.interrupted().await;
            tokio::time::sleep(Duration::from_millis(delay)).await;
            finish(outcome)
        }
        Behaviour::Ignore { for_ms } => {
            ctx.interrupted().await;
            match for_ms {
                Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                None => std::future::pending().await,
            }
            Ok(())
        }
        Behaviour::Nested { children } => {
            let mut nested = ctx.group();
            for _ in 0..children {
                nested.spawn(|child: Context| async move { child.interrupted().await });
            }
            match nested.run().await {
                Ok(()) | Err(Error::Cancelled) => Ok(()),
                Err(error) => Err(io::Error::other(error.report().to_string())),
            }
        }
    }
}

/// The names of the actors the error says failed or were stuck.
fn named_in(error: &Error, failed: &mut BTreeSet<String>, stuck: &mut BTreeSet<String>) {
    match error {
        Error::Shutdown { cause, failures } => {
            named_in(cause, failed, stuck);
            for failure in failures {
                named_in(failure, failed, stuck);
            }
        }
        Error::ShutdownTimeout {
            stuck: names,
            cause,
        } => {
            stuck.extend(names.iter().map(ToString::to_string));
            if let Some(cause) = cause {
                named_in(cause, failed, stuck);
            }
        }
        error => {
            if let Some(actor) = error.actor() {
                failed.insert(actor.to_string());
            }
        }
    }
}

/// The actors' planned panics are many and expected: keep them off the output, every other
/// panic (a failed assertion) as usual. Installed before any group runs, so `run`'s own hook
/// (which records panic locations) calls this one.
fn quiet_planned_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let planned = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|message| message.ends_with(" panicked"));
            if !planned {
                default(info);
            }
        }));
    });
}

fn check(model: &GroupModel) -> Result<(), TestCaseError> {
    quiet_planned_panics();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let trace = Arc::new(Mutex::new(Trace::default()));
    let result = runtime.block_on(async {
        let mut group = Group::new();
        if let Some(ms) = model.shutdown_timeout {
            group = group.shutdown_timeout(Duration::from_millis(ms));
        }
        for (index, actor) in model.actors.iter().enumerate() {
            let behaviour = actor.behaviour.clone();
            let trace = Arc::clone(&trace);
            let stage = actor.stage;
            let interrupt_panics = actor.interrupt_panics;
            let mut options = group
                .spawn(move |ctx: Context| play(behaviour, ctx, name(index)))
                .name(name(index))
                .exit(actor.policy)
                .stage(actor.stage)
                .interrupt(Interrupt::call(move |_cause| {
                    trace.lock().unwrap().interrupts.push((index, stage));
                    if interrupt_panics {
                        panic!("{} interrupt panicked", name(index));
                    }
                }));
            if let Some(ms) = actor.timeout {
                options = options.timeout(Duration::from_millis(ms));
            }
            let _ = options;
        }
        let stop_at = model.stop_at;
        let trace_stopper = Arc::clone(&trace);
        let stopper = model.actors.len();
        group
            .spawn(move |ctx: Context| async move {
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(stop_at)) => {}
                    () = ctx.interrupted() => {}
                }
            })
            .name("stopper")
            .interrupt(Interrupt::call(move |_cause| {
                trace_stopper.lock().unwrap().interrupts.push((stopper, 1));
            }));
        let outcome = tokio::time::timeout(Duration::from_secs(3600), group.run()).await;
        // The moment `run()` returns: no yield, no polling.
        let alive = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        (outcome, alive)
    });
    let (outcome, alive) = result;
    let Ok(result) = outcome else {
        return Err(TestCaseError::fail(
            "run() did not return within a virtual hour",
        ));
    };
    prop_assert_eq!(alive, 0, "tasks left alive the moment run() returned");

    // Every interrupt exactly once, stage by stage, each stage in add order.
    let trace = trace.lock().unwrap();
    let count = model.actors.len() + 1;
    let mut seen: Vec<usize> = trace.interrupts.iter().map(|(index, _)| *index).collect();
    seen.sort_unstable();
    prop_assert_eq!(seen, (0..count).collect::<Vec<_>>(), "each interrupt once");
    let stage_of = |index: usize| model.actors.get(index).map_or(1, |actor| actor.stage);
    for pair in trace.interrupts.windows(2) {
        let ((a, sa), (b, sb)) = (pair[0], pair[1]);
        prop_assert!(
            sa < sb || (sa == sb && a < b),
            "interrupts out of stage or add order: {:?}",
            trace.interrupts
        );
        prop_assert_eq!(sa, stage_of(a));
        prop_assert_eq!(sb, stage_of(b));
    }

    // The first stopping exit, by the model.
    let stops = |actor: &ActorModel, outcome: Outcome| match actor.policy {
        ExitPolicy::Service => true,
        ExitPolicy::Task => outcome != Outcome::Ok,
        _ => false,
    };
    let first = model
        .actors
        .iter()
        .enumerate()
        .filter_map(|(index, actor)| match actor.behaviour {
            Behaviour::Exit { at, outcome } if at < model.stop_at && stops(actor, outcome) => {
                Some((at, index, outcome))
            }
            _ => None,
        })
        .min();
    let stop_time = first.map_or(model.stop_at, |(at, _, _)| at);

    let mut failed = BTreeSet::new();
    let mut stuck = BTreeSet::new();
    if let Err(error) = &result {
        named_in(error, &mut failed, &mut stuck);
    }
    // The cause: the first stopping exit's result.
    if let Some((_, index, outcome)) = first {
        if outcome != Outcome::Ok {
            // Past a timeout's report: the cause it carries.
            let error = result.as_ref().err().map(|error| match error {
                Error::ShutdownTimeout {
                    cause: Some(cause), ..
                } => &**cause,
                error => error,
            });
            let cause = error.and_then(Error::actor).map(ToString::to_string);
            prop_assert_eq!(cause, Some(name(index)), "the first exit is the cause");
        }
    }
    // Failures before the stop are kept (a sidecar's error is only reported).
    for (index, actor) in model.actors.iter().enumerate() {
        if let Behaviour::Exit { at, outcome } = actor.behaviour {
            let kept = match outcome {
                Outcome::Ok => false,
                Outcome::Err => actor.policy != ExitPolicy::Sidecar,
                Outcome::Panic => true,
            };
            if at < stop_time && kept {
                prop_assert!(
                    failed.contains(&name(index)),
                    "{} lost: {:?}",
                    name(index),
                    result
                );
            }
        }
    }
    // A panicking interrupt is always on the error (G11).
    for (index, actor) in model.actors.iter().enumerate() {
        if actor.interrupt_panics {
            prop_assert!(
                failed.contains(&name(index)),
                "{}'s interrupt panic lost: {:?}",
                name(index),
                result
            );
        }
    }
    // Nothing that did not fail is named failed.
    for failed in &failed {
        let index: usize = failed
            .split('/')
            .next()
            .and_then(|name| name.strip_prefix('a'))
            .and_then(|index| index.parse().ok())
            .unwrap_or_else(|| panic!("unexpected failure {failed}"));
        let can_fail = model.actors[index].interrupt_panics
            || match model.actors[index].behaviour {
                Behaviour::Exit { outcome, .. } | Behaviour::Obey { outcome, .. } => {
                    outcome != Outcome::Ok
                }
                // A nested group fails only by its own timeout.
                Behaviour::Nested { .. } => true,
                Behaviour::Ignore { .. } => false,
            };
        prop_assert!(can_fail, "{} named failed: {:?}", failed, result);
    }
    // Only actors that can be slow are stuck; without slow actors, no timeout.
    for stuck in &stuck {
        prop_assert!(
            model.shutdown_timeout.is_some()
                || model.actors.iter().any(|actor| actor.timeout.is_some())
        );
        let index: usize = stuck
            .split('/')
            .next()
            .and_then(|name| name.strip_prefix('a'))
            .and_then(|index| index.parse().ok())
            .unwrap_or_else(|| panic!("unexpected stuck actor {stuck}"));
        let slow = matches!(
            model.actors[index].behaviour,
            Behaviour::Ignore { .. } | Behaviour::Obey { .. } | Behaviour::Nested { .. }
        );
        prop_assert!(slow, "{} named stuck: {:?}", stuck, result);
    }
    let any_slow = model.actors.iter().any(|actor| {
        matches!(actor.behaviour, Behaviour::Ignore { .. })
            || matches!(actor.behaviour, Behaviour::Obey { delay, .. } if delay > 0)
    });
    if !any_slow {
        prop_assert!(stuck.is_empty(), "stuck without a slow actor: {:?}", result);
    }
    Ok(())
}

/// Failures are kept in `tests/model.proptest-regressions` and replayed first (the default
/// looks for a `lib.rs` above the test, which an integration test has not).
fn persistence() -> Box<dyn proptest::test_runner::FailurePersistence> {
    Box::new(proptest::test_runner::FileFailurePersistence::WithSource(
        "proptest-regressions",
    ))
}

fn cases() -> u32 {
    std::env::var("RUN_MODEL_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: Some(persistence()),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_group_keeps_the_invariants(model in group()) {
        check(&model)?;
    }
}

// ---------------------------------------------------------------------------------------
// The nested model: an app as `#[run::main]` runs it (a root group beside its signal actor,
// with a shutdown budget, maybe a drain and a start-up timeout), its actors one to three
// groups down, restartable or not, started in order, ready when they say so, stopped from
// outside at a random moment.

/// A span of model time: a millisecond under paused time, [`MULTI_THREAD_TICK`] on the
/// multi-thread runtime (real time, so that a case takes a few milliseconds).
type Ticks = u64;

/// One tick on the multi-thread runtime.
const MULTI_THREAD_TICK: Duration = Duration::from_micros(20);

/// The most a nested scope leaves its parent to report it ([`Group::shutdown_timeout`]'s
/// docs): what the bounds below subtract at each level.
const NESTED_MARGIN: Duration = Duration::from_millis(50);

/// What one incarnation of an actor (or an actor that runs once) does.
#[derive(Debug, Clone)]
struct LifePlan {
    act: Act,
    /// For an actor marked `ready_when_told`: says it is ready this long after it started,
    /// or never.
    ready_at: Option<Ticks>,
    /// A child task (`Context::spawn`) started first: `true` if it ignores its interrupt.
    child: Option<bool>,
    /// Once interrupted, takes one more job: spawns a child task (that obeys).
    spawn_on_interrupt: bool,
    /// A restartable child started first (`Context::supervise`).
    dynamic: Option<Box<DynamicPlan>>,
}

/// A restartable child started at run time: incarnation N plays `lives[N]` (the last ever
/// after); its handle stops it `stop_at` after its actor started, then joins it.
#[derive(Debug, Clone)]
struct DynamicPlan {
    restart: RestartModel,
    lives: Vec<LifePlan>,
    stop_at: Option<Ticks>,
}

/// How a life behaves.
#[derive(Debug, Clone, Copy)]
enum Act {
    /// Returns `outcome` `at` after it started, unless interrupted first (then `Ok`).
    Exit { at: Ticks, outcome: Outcome },
    /// Waits for its interrupt, then `delay` later returns `outcome`.
    Obey { delay: Ticks, outcome: Outcome },
    /// Ignores its interrupt: returns `Ok` `for_ticks` after it, or never.
    Ignore { for_ticks: Option<Ticks> },
}

#[derive(Debug, Clone, Copy)]
struct RestartModel {
    restart: Restart,
    max_restarts: u32,
    within: Ticks,
    /// `None`: no delay between restarts.
    backoff: Option<(Ticks, Ticks)>,
}

#[derive(Debug, Clone)]
enum NodeKind {
    /// Runs once.
    Once(LifePlan),
    /// Added with `Group::supervise`: incarnation N plays `lives[N]` (the last ever after).
    Supervised {
        restart: RestartModel,
        lives: Vec<LifePlan>,
    },
    /// A derived struct: its fields, one level down.
    Group(GroupLayout),
}

#[derive(Debug, Clone)]
struct Node {
    kind: NodeKind,
    policy: ExitPolicy,
    stage: u32,
    timeout: Option<Ticks>,
    /// Starts after these siblings (always earlier ones: no cycles).
    after: Vec<usize>,
    /// `ready_when_told` (an actor that runs a group is ready when its group is).
    told: bool,
}

#[derive(Debug, Clone)]
struct GroupLayout {
    nodes: Vec<Node>,
    strategy: run::Strategy,
    shutdown_timeout: Option<Ticks>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopKind {
    /// SIGTERM, through the signal actor.
    Signal,
    /// `Context::request_stop`.
    Request,
}

/// An app: `main` (a derived struct) under a root group as `#[run::main]` builds it.
#[derive(Debug, Clone)]
struct Layout {
    main: GroupLayout,
    budget: Ticks,
    drain: Option<Ticks>,
    startup_timeout: Option<Ticks>,
    /// When and how the app is stopped from outside (half a tick past a whole one, so that
    /// it never ties with an actor's own timer).
    stop_at: Ticks,
    stop: StopKind,
}

fn nested_outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        4 => Just(Outcome::Ok),
        3 => Just(Outcome::Err),
        1 => Just(Outcome::Panic),
    ]
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (1..400u64, nested_outcome()).prop_map(|(at, outcome)| Act::Exit { at, outcome }),
        3 => (0..60u64, nested_outcome()).prop_map(|(delay, outcome)| Act::Obey { delay, outcome }),
        1 => proptest::option::weighted(0.7, 1..400u64)
            .prop_map(|for_ticks| Act::Ignore { for_ticks }),
    ]
}

fn life() -> impl Strategy<Value = LifePlan> {
    (
        act(),
        proptest::option::weighted(0.85, 0..300u64),
        proptest::option::weighted(0.1, proptest::bool::weighted(0.3)),
        proptest::bool::weighted(0.1),
        proptest::option::weighted(0.1, dynamic()),
    )
        .prop_map(
            |(act, ready_at, child, spawn_on_interrupt, dynamic)| LifePlan {
                act,
                ready_at,
                child,
                spawn_on_interrupt,
                dynamic: dynamic.map(Box::new),
            },
        )
}

/// A life of a restartable child: it only acts.
fn child_life() -> impl Strategy<Value = LifePlan> {
    act().prop_map(|act| LifePlan {
        act,
        ready_at: None,
        child: None,
        spawn_on_interrupt: false,
        dynamic: None,
    })
}

fn dynamic() -> impl Strategy<Value = DynamicPlan> {
    (
        restart_model(),
        proptest::collection::vec(child_life(), 1..4),
        proptest::option::weighted(0.7, 0..400u64),
    )
        .prop_map(|(restart, lives, stop_at)| DynamicPlan {
            restart,
            lives,
            stop_at,
        })
}

fn restart_model() -> impl Strategy<Value = RestartModel> {
    (
        prop_oneof![
            1 => Just(Restart::Never),
            4 => Just(Restart::OnFailure),
            2 => Just(Restart::Always),
        ],
        0..4u32,
        20..1_000u64,
        proptest::option::weighted(0.7, (1..80u64, 0..150u64)),
    )
        .prop_map(|(restart, max_restarts, within, backoff)| RestartModel {
            restart,
            max_restarts,
            within,
            backoff: backoff.map(|(initial, more)| (initial, initial + more)),
        })
}

fn node_kind(depth: u32) -> BoxedStrategy<NodeKind> {
    let once = life().prop_map(NodeKind::Once);
    let supervised = (restart_model(), proptest::collection::vec(life(), 1..4))
        .prop_map(|(restart, lives)| NodeKind::Supervised { restart, lives });
    if depth >= 3 {
        return prop_oneof![3 => once, 2 => supervised].boxed();
    }
    prop_oneof![
        3 => once,
        2 => supervised,
        1 => group_layout(depth + 1).prop_map(NodeKind::Group),
    ]
    .boxed()
}

fn node(depth: u32) -> impl Strategy<Value = Node> {
    (
        node_kind(depth),
        prop_oneof![
            3 => Just(ExitPolicy::Service),
            2 => Just(ExitPolicy::Task),
            1 => Just(ExitPolicy::Sidecar),
        ],
        prop_oneof![2 => Just(1u32), 1 => 0..3u32],
        proptest::option::weighted(0.3, 1..300u64),
        proptest::collection::vec(any::<proptest::sample::Index>(), 0..3),
        proptest::bool::weighted(0.35),
    )
        .prop_map(|(kind, policy, stage, timeout, after, told)| Node {
            told: told && !matches!(kind, NodeKind::Group(_)),
            kind,
            policy,
            stage,
            timeout,
            // Made into sibling indices by `group_layout`, which knows the position.
            after: after.iter().map(|index| index.index(usize::MAX)).collect(),
        })
}

/// A group of one to four actors at `depth` (1 for `main`'s own).
fn group_layout(depth: u32) -> BoxedStrategy<GroupLayout> {
    (
        proptest::collection::vec(node(depth), 1..=4),
        prop_oneof![
            4 => Just(run::Strategy::OneForOne),
            1 => Just(run::Strategy::OneForAll),
            1 => Just(run::Strategy::RestForOne),
        ],
        proptest::option::weighted(0.1, 50..2_000u64),
        proptest::bool::weighted(0.5),
    )
        .prop_map(|(mut nodes, strategy, shutdown_timeout, with_after)| {
            for (position, node) in nodes.iter_mut().enumerate() {
                let picks = std::mem::take(&mut node.after);
                if with_after && position > 0 {
                    node.after = picks.iter().map(|pick| pick % position).collect();
                    node.after.sort_unstable();
                    node.after.dedup();
                }
            }
            // A group of sidecars only would wait for its probe too: keep one that counts.
            if nodes.iter().all(|node| node.policy == ExitPolicy::Sidecar) {
                nodes[0].policy = ExitPolicy::Service;
            }
            GroupLayout {
                nodes,
                strategy,
                shutdown_timeout,
            }
        })
        .boxed()
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        group_layout(1),
        prop_oneof![4 => 1_000..3_000u64, 1 => 50..1_000u64],
        proptest::option::weighted(0.3, 1..500u64),
        proptest::option::weighted(0.3, 1..400u64),
        1..600u64,
        prop_oneof![Just(StopKind::Signal), Just(StopKind::Request)],
    )
        .prop_map(
            |(main, budget, drain, startup_timeout, stop_at, stop)| Layout {
                main,
                budget,
                // A drain as long as the budget is refused at the root already (tests/budget.rs).
                drain: drain.filter(|&drain| drain < budget),
                startup_timeout,
                stop_at,
                stop,
            },
        )
}

/// How model time maps to the runtime's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clock {
    /// A current-thread runtime under paused time: a tick is a millisecond, every case
    /// exact.
    Paused,
    /// The default multi-thread runtime in real time.
    MultiThread,
}

impl Clock {
    fn of(self, ticks: Ticks) -> Duration {
        match self {
            Clock::Paused => Duration::from_millis(ticks),
            Clock::MultiThread => MULTI_THREAD_TICK * ticks as u32,
        }
    }

    /// Half a tick: what the stop is offset by.
    fn half(self) -> Duration {
        self.of(1) / 2
    }
}

// ---------------------------------------------------------------------------------------
// What a run records.

/// Something that happened, at a time, in the one order of the journal.
#[derive(Debug, Clone)]
struct Entry {
    at: Instant,
    what: What,
}

#[derive(Debug, Clone)]
enum What {
    /// A runner's interrupt was made: its actor (or incarnation, or child) was launched.
    Launched { who: Who },
    /// Its interrupt was delivered.
    Delivered { who: Who },
    /// Its execute began (first poll), interrupted already or not.
    Started { who: Who, interrupted: bool },
    /// It said it is ready (recorded before it says so).
    Ready { who: Who },
    /// It returned (or is about to panic), seeing its interrupt or not.
    Returned {
        who: Who,
        outcome: Outcome,
        interrupted: bool,
    },
    /// Its execute was dropped (after returning, or aborted).
    Dropped { who: Who },
    /// It asked for a child task (`Context::spawn`), interrupted already or not.
    Spawned {
        who: Who,
        ok: bool,
        interrupted: bool,
    },
    /// The stopper stopped the app.
    StopSent,
    /// The handle of the restartable child at `path` stopped it (recorded after).
    HandleStopped { path: Arc<str> },
    /// Its join returned, with this result.
    Joined { path: Arc<str>, ok: bool },
    /// An event of the hook.
    Event(Seen),
}

/// A runner instance: an actor's path and which incarnation (0 for what runs once).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Who {
    path: Arc<str>,
    incarnation: u32,
}

/// An event of the hook, as the checks read it.
#[derive(Debug, Clone)]
struct Seen {
    kind: SeenKind,
    actor: String,
    /// What the event says: read in the journal of a failing run only.
    #[allow(dead_code)]
    text: String,
    /// The actor whose timeout an `Exited` event's `OverBudget` refused, by its full path:
    /// a refusal a sidecar's result only reports.
    refused: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SeenKind {
    Started,
    Interrupted,
    Exited,
    TimedOut,
    Restarting {
        error: bool,
    },
    /// Given up on: past its restart limit.
    RestartLimit,
    Other,
}

/// The journal of one run, shared by every runner of it.
#[derive(Clone, Default)]
struct Journal(Arc<JournalInner>);

#[derive(Default)]
struct JournalInner {
    entries: Mutex<Vec<Entry>>,
    /// Executes (lives, groups' bodies, children) started and not dropped yet.
    alive: std::sync::atomic::AtomicUsize,
}

impl Journal {
    fn push(&self, what: What) {
        let at = Instant::now();
        self.0.entries.lock().unwrap().push(Entry { at, what });
    }

    fn entries(&self) -> Vec<Entry> {
        self.0.entries.lock().unwrap().clone()
    }

    fn alive(&self) -> usize {
        self.0.alive.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The interrupt of `who`: records each delivery.
    fn probe(&self, who: &Who) -> Interrupt {
        let (journal, who) = (self.clone(), who.clone());
        Interrupt::call(move |_cause| journal.push(What::Delivered { who }))
    }

    /// Records that `who`'s execute started; the guard records its drop.
    fn started(&self, who: &Who, ctx: &Context) -> Execute {
        self.0
            .alive
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.push(What::Started {
            who: who.clone(),
            interrupted: ctx.is_interrupted(),
        });
        Execute {
            journal: self.clone(),
            who: who.clone(),
        }
    }

    fn hook(&self) -> impl Fn(&Event<'_>) + Send + Sync + 'static + use<> {
        let journal = self.clone();
        move |event: &Event<'_>| {
            let kind = match event {
                Event::Started { .. } => SeenKind::Started,
                Event::Interrupted { .. } => SeenKind::Interrupted,
                Event::Exited { .. } => SeenKind::Exited,
                Event::TimedOut { .. } => SeenKind::TimedOut,
                Event::Restarting { error, .. } => SeenKind::Restarting {
                    error: error.is_some(),
                },
                Event::RestartLimit { .. } => SeenKind::RestartLimit,
                _ => SeenKind::Other,
            };
            let refused = match event {
                Event::Exited {
                    result: Err(error), ..
                } => {
                    let mut errors = Vec::new();
                    every_error(error, &mut errors);
                    errors.into_iter().find_map(|error| match error {
                        Error::OverBudget {
                            part: BudgetPart::Actor { actor, .. },
                            ..
                        } => Some(actor.to_string()),
                        _ => None,
                    })
                }
                _ => None,
            };
            journal.push(What::Event(Seen {
                kind,
                actor: event.actor().to_string(),
                text: event.to_string(),
                refused,
            }));
        }
    }
}

/// Records the drop of an execute.
struct Execute {
    journal: Journal,
    who: Who,
}

impl Drop for Execute {
    fn drop(&mut self) {
        self.journal.push(What::Dropped {
            who: self.who.clone(),
        });
        self.journal
            .0
            .alive
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------------------
// The runners.

/// One life of an actor: what runs once, or one incarnation.
struct Life {
    who: Who,
    plan: LifePlan,
    told: bool,
    journal: Journal,
    clock: Clock,
}

impl Runner for Life {
    type Error = io::Error;

    async fn run(self, ctx: Context) -> Result<(), io::Error> {
        let Life {
            who,
            plan,
            told,
            journal,
            clock,
        } = self;
        let _execute = journal.started(&who, &ctx);
        let finish = |outcome: Outcome, interrupted: bool| {
            journal.push(What::Returned {
                who: who.clone(),
                outcome,
                interrupted,
            });
            match outcome {
                Outcome::Ok => Ok(()),
                Outcome::Err => Err(io::Error::other(format!("{} failed", who.path))),
                Outcome::Panic => panic!("{} panicked", who.path),
            }
        };
        let spawn = |name: &'static str, ignores: bool| {
            let interrupted = ctx.is_interrupted();
            let child = Child {
                who: Who {
                    path: format!("{}/{name}", who.path).into(),
                    incarnation: who.incarnation,
                },
                ignores,
                journal: journal.clone(),
            };
            let child_who = child.who.clone();
            let spawned = ctx.spawn_named(name, child);
            journal.push(What::Spawned {
                who: child_who,
                ok: spawned.is_ok(),
                interrupted,
            });
            // As the natural worker loop does: `?` on the spawn.
            spawned.map_err(|error| {
                journal.push(What::Returned {
                    who: who.clone(),
                    outcome: Outcome::Err,
                    interrupted: ctx.is_interrupted(),
                });
                io::Error::other(error.to_string())
            })
        };
        if let Some(ignores) = plan.child {
            spawn("child", ignores)?;
        }
        let handle = match &plan.dynamic {
            Some(dynamic) => Some(
                supervise_child(&ctx, &who, dynamic, &journal, clock).inspect_err(|_| {
                    journal.push(What::Returned {
                        who: who.clone(),
                        outcome: Outcome::Err,
                        interrupted: ctx.is_interrupted(),
                    });
                })?,
            ),
            None => None,
        };
        let handle_stop = async {
            let stop_at = plan.dynamic.as_ref().and_then(|dynamic| dynamic.stop_at);
            if let (Some((path, handle)), Some(at)) = (handle, stop_at) {
                tokio::time::sleep(clock.of(at)).await;
                handle.stop();
                journal.push(What::HandleStopped {
                    path: Arc::clone(&path),
                });
                let joined = handle.join().await;
                journal.push(What::Joined {
                    path,
                    ok: joined.is_ok(),
                });
            }
            std::future::pending::<()>().await
        };
        let ready = async {
            if let Some(at) = plan.ready_at.filter(|_| told) {
                tokio::time::sleep(clock.of(at)).await;
                journal.push(What::Ready { who: who.clone() });
                ctx.set_ready();
            }
            std::future::pending::<()>().await
        };
        let act = async {
            let on_interrupt = || match plan.spawn_on_interrupt {
                true => spawn("late", false),
                false => Ok(()),
            };
            match plan.act {
                Act::Exit { at, outcome } => {
                    tokio::select! {
                        biased;
                        () = ctx.interrupted() => {
                            on_interrupt()?;
                            finish(Outcome::Ok, true)
                        }
                        () = tokio::time::sleep(clock.of(at)) => finish(outcome, ctx.is_interrupted()),
                    }
                }
                Act::Obey { delay, outcome } => {
                    ctx.interrupted().await;
                    on_interrupt()?;
                    tokio::time::sleep(clock.of(delay)).await;
                    finish(outcome, true)
                }
                Act::Ignore { for_ticks } => {
                    ctx.interrupted().await;
                    on_interrupt()?;
                    match for_ticks {
                        Some(ticks) => tokio::time::sleep(clock.of(ticks)).await,
                        None => std::future::pending().await,
                    }
                    finish(Outcome::Ok, true)
                }
            }
        };
        // The readiness call and the child's handle run beside the act, which alone ends the
        // life.
        tokio::select! {
            biased;
            result = act => result,
            () = ready => unreachable!("`ready` never completes"),
            () = handle_stop => unreachable!("`handle_stop` never completes"),
        }
    }

    fn interrupt(&mut self) -> Interrupt {
        // Called as the runner is launched.
        self.journal.push(What::Launched {
            who: self.who.clone(),
        });
        self.journal.probe(&self.who)
    }
}

/// Starts the restartable child of `plan` under the life `who` (named `dyn` and the life's
/// incarnation, so that each incarnation's child has a path of its own); records the
/// attempt as a spawn.
fn supervise_child(
    ctx: &Context,
    who: &Who,
    plan: &DynamicPlan,
    journal: &Journal,
    clock: Clock,
) -> Result<(Arc<str>, ChildHandle), io::Error> {
    let name = format!("dyn{}", who.incarnation);
    let path: Arc<str> = format!("{}/{name}", who.path).into();
    let interrupted = ctx.is_interrupted();
    let (lives, made, child_journal, child_path) = (
        plan.lives.clone(),
        std::sync::atomic::AtomicU32::new(0),
        journal.clone(),
        Arc::clone(&path),
    );
    let make = move || {
        let incarnation = made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Life {
            who: Who {
                path: Arc::clone(&child_path),
                incarnation,
            },
            plan: lives[(incarnation as usize).min(lives.len() - 1)].clone(),
            told: false,
            journal: child_journal.clone(),
            clock,
        }
    };
    let handle = ctx.supervise_named(name, make, restart_policy(&plan.restart, clock));
    journal.push(What::Spawned {
        who: Who {
            path: Arc::clone(&path),
            incarnation: 0,
        },
        ok: handle.is_ok(),
        interrupted,
    });
    handle
        .map(|handle| (path, handle))
        .map_err(|error| io::Error::other(error.to_string()))
}

fn restart_policy(model: &RestartModel, clock: Clock) -> RestartPolicy {
    let policy = RestartPolicy::new(model.restart)
        .max_restarts(model.max_restarts)
        .within(clock.of(model.within));
    policy.backoff(match model.backoff {
        Some((initial, max)) => Backoff::new(clock.of(initial), clock.of(max)),
        None => Backoff::none(),
    })
}

/// A child task of a life.
struct Child {
    who: Who,
    ignores: bool,
    journal: Journal,
}

impl Runner for Child {
    type Error = io::Error;

    async fn run(self, ctx: Context) -> Result<(), io::Error> {
        let _execute = self.journal.started(&self.who, &ctx);
        if self.ignores {
            std::future::pending::<()>().await;
        }
        ctx.interrupted().await;
        self.journal.push(What::Returned {
            who: self.who.clone(),
            outcome: Outcome::Ok,
            interrupted: true,
        });
        Ok(())
    }

    fn interrupt(&mut self) -> Interrupt {
        // Called as the runner is launched.
        self.journal.push(What::Launched {
            who: self.who.clone(),
        });
        self.journal.probe(&self.who)
    }
}

/// A derived struct: builds its group under its context when it runs, as the derive does
/// (`ctx.group()`), with a probe actor in its first stage that tells when the group began
/// to stop.
struct Derived {
    who: Who,
    layout: GroupLayout,
    journal: Journal,
    clock: Clock,
}

impl Runner for Derived {
    type Error = Error;

    fn run(self, ctx: Context) -> impl std::future::Future<Output = Result<(), Error>> + Send {
        let Derived {
            who,
            layout,
            journal,
            clock,
        } = self;
        async move {
            let _execute = journal.started(&who, &ctx);
            let mut group = ctx.group().strategy(layout.strategy);
            if let Some(ticks) = layout.shutdown_timeout {
                group = group.shutdown_timeout(clock.of(ticks));
            }
            let first_stage = layout.nodes.iter().map(|node| node.stage).min();
            let probe = Who {
                path: format!("{}/probe", who.path).into(),
                incarnation: 0,
            };
            group
                .spawn(|ctx: Context| ctx.into_interrupted())
                .name("probe")
                .exit(ExitPolicy::Sidecar)
                .stage(first_stage.unwrap_or(1))
                .interrupt(journal.probe(&probe));
            for (index, node) in layout.nodes.iter().enumerate() {
                add_node(&mut group, &who.path, index, node, &journal, clock);
            }
            group.run().await
        }
    }

    fn interrupt(&mut self) -> Interrupt {
        // Called as the runner is launched.
        self.journal.push(What::Launched {
            who: self.who.clone(),
        });
        self.journal.probe(&self.who)
    }
}

fn leaf(index: usize) -> String {
    format!("a{index}")
}

/// Adds `node`, the actor `index` of the group at `path`, with its options.
fn add_node(
    group: &mut Group,
    path: &str,
    index: usize,
    node: &Node,
    journal: &Journal,
    clock: Clock,
) {
    fn options<Kind>(mut options: ActorOptions<'_, Kind>, node: &Node, clock: Clock) {
        options = options.exit(node.policy).stage(node.stage);
        if let Some(ticks) = node.timeout {
            options = options.timeout(clock.of(ticks));
        }
        for &dependency in &node.after {
            options = options.after(leaf(dependency));
        }
        if node.told {
            options.ready_when_told();
        }
    }
    let who = Who {
        path: format!("{path}/{}", leaf(index)).into(),
        incarnation: 0,
    };
    match &node.kind {
        NodeKind::Once(plan) => {
            let life = Life {
                who,
                plan: plan.clone(),
                told: node.told,
                journal: journal.clone(),
                clock,
            };
            options(group.spawn(life).name(leaf(index)), node, clock);
        }
        NodeKind::Supervised { restart, lives } => {
            let (lives, journal, told) = (lives.clone(), journal.clone(), node.told);
            let made = std::sync::atomic::AtomicU32::new(0);
            let make = move || {
                let incarnation = made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Life {
                    who: Who {
                        path: Arc::clone(&who.path),
                        incarnation,
                    },
                    plan: lives[(incarnation as usize).min(lives.len() - 1)].clone(),
                    told,
                    journal: journal.clone(),
                    clock,
                }
            };
            let policy = restart_policy(restart, clock);
            let added = group.supervise(make).name(leaf(index)).restart(policy);
            options(added, node, clock);
        }
        NodeKind::Group(layout) => {
            let derived = Derived {
                who,
                layout: layout.clone(),
                journal: journal.clone(),
                clock,
            };
            options(group.spawn(derived).name(leaf(index)), node, clock);
        }
    }
}

/// Runs the app of `layout` as `#[run::main]` would: `main` beside the signal actor, under
/// the root's budget, drain and start-up timeout; a stopper actor stops it at `stop_at`.
async fn run_layout(layout: &Layout, journal: &Journal, clock: Clock) -> Result<(), Error> {
    let mut root = Group::new()
        .shutdown_timeout(clock.of(layout.budget))
        .hook(journal.hook());
    if let Some(ticks) = layout.drain {
        root = root.drain(clock.of(ticks));
    }
    if let Some(ticks) = layout.startup_timeout {
        root = root.startup_timeout(clock.of(ticks));
    }
    let _readiness = root.readiness();
    let main = Derived {
        who: Who {
            path: "main".into(),
            incarnation: 0,
        },
        layout: layout.main.clone(),
        journal: journal.clone(),
        clock,
    };
    root.spawn(main).name("main");
    let (signals, injector) = SignalInjector::new();
    root.spawn(signals);
    let (stop_at, stop) = (clock.of(layout.stop_at) + clock.half(), layout.stop);
    let stopper_journal = journal.clone();
    let stopper = Who {
        path: "stopper".into(),
        incarnation: 0,
    };
    root.spawn(move |ctx: Context| async move {
        tokio::select! {
            biased;
            () = ctx.interrupted() => {}
            () = tokio::time::sleep(stop_at) => {
                match stop {
                    StopKind::Signal => injector.send(Signal::Terminate),
                    StopKind::Request => ctx.request_stop(),
                }
                stopper_journal.push(What::StopSent);
                ctx.interrupted().await;
            }
        }
    })
    .name("stopper")
    .interrupt(journal.probe(&stopper));
    root.run().await
}

// ---------------------------------------------------------------------------------------
// A run, and what the checks read of it.

/// What one run of a layout left.
struct Observed {
    clock: Clock,
    /// `None`: `run()` did not return in time (a virtual hour, or a real minute).
    result: Option<Result<(), Error>>,
    entries: Vec<Entry>,
    /// When `run()` was called.
    t0: Instant,
    /// The runtime's alive tasks before `run()` and the moment it returned.
    tasks: (usize, usize),
    /// On the multi-thread runtime: its workers, and its alive tasks once every worker was
    /// held, so that none was still completing a task (see `common::no_leak`).
    settled: Option<(usize, usize)>,
    /// Executes not yet dropped the moment `run()` returned.
    executes_alive: usize,
}

fn run_case(layout: &Layout, clock: Clock) -> Observed {
    quiet_planned_panics();
    let runtime = match clock {
        Clock::Paused => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build(),
        Clock::MultiThread => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
    }
    .unwrap();
    let journal = Journal::default();
    runtime.block_on(async {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let t0 = Instant::now();
        let limit = match clock {
            Clock::Paused => Duration::from_secs(3600),
            Clock::MultiThread => Duration::from_secs(60),
        };
        let result = tokio::time::timeout(limit, run_layout(layout, &journal, clock))
            .await
            .ok();
        // Read at once: no yield, no polling.
        let after = metrics.num_alive_tasks();
        let executes_alive = journal.alive();
        let settled = match clock {
            Clock::Paused => None,
            Clock::MultiThread => Some((
                metrics.num_workers(),
                common::alive_once_workers_are_free().await,
            )),
        };
        Observed {
            clock,
            result,
            entries: journal.entries(),
            t0,
            tasks: (before, after),
            settled,
            executes_alive,
        }
    })
}

/// An actor of the layout, with where it sits.
struct Placed<'l> {
    path: String,
    node: &'l Node,
    /// The path of its group (`main`, `main/a1`, ...).
    group: String,
    /// The time its own timeout surely has once it is interrupted, whatever the others do:
    /// its stage's even share of what its group surely has, every stage before it using all
    /// it may, each level down less the nested margin. A smaller timeout must be honoured in
    /// full; a larger one may be cut short (or refused).
    bound: Duration,
}

/// The layout's actors, flattened, in add order, depth first.
fn place<'l>(layout: &'l Layout, clock: Clock) -> Vec<Placed<'l>> {
    let budget = clock.of(layout.budget);
    let root = budget.saturating_sub(clock.of(layout.drain.unwrap_or(0)));
    // `main` is the root's one stage (beside the signal actor and the stopper).
    let mut main = root.saturating_sub(NESTED_MARGIN.min(budget / 4));
    if let Some(ticks) = layout.main.shutdown_timeout {
        main = main.min(clock.of(ticks));
    }
    let mut placed = Vec::new();
    place_group(&layout.main, "main", main, clock, &mut placed);
    placed
}

fn place_group<'l>(
    group: &'l GroupLayout,
    path: &str,
    available: Duration,
    clock: Clock,
    placed: &mut Vec<Placed<'l>>,
) {
    let nodes = &group.nodes;
    // The depth of each actor in its stage's start order, as the start order counts it: the
    // longest chain of same-stage actors that start after it.
    let mut depth = vec![0u32; nodes.len()];
    for index in (0..nodes.len()).rev() {
        for later in index + 1..nodes.len() {
            if nodes[later].after.contains(&index) && nodes[later].stage == nodes[index].stage {
                depth[index] = depth[index].max(depth[later] + 1);
            }
        }
    }
    let stages: BTreeSet<u32> = nodes.iter().map(|node| node.stage).collect();
    let deepest = depth.iter().copied().max().unwrap_or(0);
    // Whatever `after` makes of a stage (sub-stages or not), no actor's share is less.
    let share = available / (stages.len() as u32 * (deepest + 1));
    for (index, node) in nodes.iter().enumerate() {
        let node_path = format!("{path}/{}", leaf(index));
        placed.push(Placed {
            path: node_path.clone(),
            node,
            group: path.to_string(),
            bound: share,
        });
        if let NodeKind::Group(inner) = &node.kind {
            let mut inner_available = match node.timeout {
                Some(ticks) => share.min(clock.of(ticks)),
                None => share,
            }
            .saturating_sub(NESTED_MARGIN);
            if let Some(ticks) = inner.shutdown_timeout {
                inner_available = inner_available.min(clock.of(ticks));
            }
            place_group(inner, &node_path, inner_available, clock, placed);
        }
    }
}

/// The groups from the root (`""`) down to `group`.
fn groups_down_to(group: &str) -> Vec<String> {
    let mut groups = vec![String::new()];
    let mut path = String::new();
    for segment in group.split('/') {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(segment);
        // Only the paths of groups: `main`, then every actor that runs a group.
        groups.push(path.clone());
    }
    groups
}

/// Every error in `error`'s tree: the causes, the failures kept, and what actors returned.
fn every_error<'e>(error: &'e Error, out: &mut Vec<&'e Error>) {
    out.push(error);
    match error {
        Error::Shutdown { cause, failures } => {
            every_error(cause, out);
            for failure in failures {
                every_error(failure, out);
            }
        }
        Error::ShutdownTimeout {
            cause: Some(cause), ..
        } => every_error(cause, out),
        Error::RestartLimit {
            last: Some(last), ..
        } => every_error(last, out),
        Error::Failed { .. } => {
            if let Some(inner) = error.downcast_ref::<Error>() {
                every_error(inner, out);
            }
        }
        _ => {}
    }
}

/// What the checks read of a run.
struct Reading<'o> {
    observed: &'o Observed,
    result: &'o Result<(), Error>,
    placed: Vec<Placed<'o>>,
    errors: Vec<&'o Error>,
}

impl<'o> Reading<'o> {
    fn entries(&self) -> impl Iterator<Item = (usize, &'o Entry)> + '_ {
        self.observed.entries.iter().enumerate()
    }

    fn node(&self, path: &str) -> Option<&Placed<'o>> {
        self.placed.iter().find(|placed| placed.path == path)
    }

    /// Each start of the actor at `path` (every incarnation): (order, time, who).
    fn starts(&self, path: &str) -> Vec<(usize, Instant, &'o Who)> {
        self.entries()
            .filter_map(|(seq, entry)| match &entry.what {
                What::Started { who, .. } if &*who.path == path => Some((seq, entry.at, who)),
                _ => None,
            })
            .collect()
    }

    fn first(&self, matches: impl Fn(&What) -> bool) -> Option<(usize, Instant)> {
        self.entries()
            .find(|(_, entry)| matches(&entry.what))
            .map(|(seq, entry)| (seq, entry.at))
    }

    fn delivered(&self, of: &Who) -> Option<(usize, Instant)> {
        self.first(|what| matches!(what, What::Delivered { who } if who == of))
    }

    fn returned(&self, of: &Who) -> Option<(usize, Instant, Outcome, bool)> {
        self.entries().find_map(|(seq, entry)| match &entry.what {
            What::Returned {
                who,
                outcome,
                interrupted,
            } if who == of => Some((seq, entry.at, *outcome, *interrupted)),
            _ => None,
        })
    }

    fn dropped(&self, of: &Who) -> Option<(usize, Instant)> {
        self.first(|what| matches!(what, What::Dropped { who } if who == of))
    }

    /// When the group at `group` began its shutdown (its first stage's interrupts): the
    /// root's (`""`) once `main` or the stopper is interrupted, a nested group's once its
    /// probe is.
    fn stop_of(&self, group: &str) -> Option<Instant> {
        let probe = format!("{group}/probe");
        let probes: Vec<&str> = match group {
            "" => vec!["main", "stopper"],
            _ => vec![&probe],
        };
        self.entries()
            .filter_map(|(_, entry)| match &entry.what {
                What::Delivered { who } if probes.contains(&&*who.path) => Some(entry.at),
                _ => None,
            })
            .min()
    }

    /// The earliest shutdown of `group` and the groups above it.
    fn stop_above(&self, group: &str) -> Option<Instant> {
        groups_down_to(group)
            .iter()
            .filter_map(|group| self.stop_of(group))
            .min()
    }

    fn events(&self, actor: &str) -> Vec<(usize, &'o Seen)> {
        self.entries()
            .filter_map(|(seq, entry)| match &entry.what {
                What::Event(seen) if seen.actor == actor => Some((seq, seen)),
                _ => None,
            })
            .collect()
    }

    /// The lives and child tasks aborted: dropped without returning.
    fn aborted(&self) -> Vec<&'o Who> {
        self.entries()
            .filter_map(|(_, entry)| match &entry.what {
                What::Dropped { who }
                    if &*who.path != "main"
                        && self.node(&who.path).is_none_or(|placed| {
                            !matches!(placed.node.kind, NodeKind::Group(_))
                        })
                        && self.returned(who).is_none() =>
                {
                    Some(who)
                }
                _ => None,
            })
            .collect()
    }

    fn over_budget(&self) -> Option<&'o Error> {
        self.errors
            .iter()
            .copied()
            .find(|error| matches!(error, Error::OverBudget { .. }))
    }

    /// The time since `run()` was called, in ticks where that is exact.
    fn since_start(&self, at: Instant) -> Duration {
        at - self.observed.t0
    }
}

fn check_nested(layout: &Layout, observed: &Observed) -> Result<(), TestCaseError> {
    let Some(result) = &observed.result else {
        return Err(TestCaseError::fail(
            "run() did not return (within a virtual hour, or a real minute)",
        ));
    };
    let mut errors = Vec::new();
    if let Err(error) = result {
        every_error(error, &mut errors);
    }
    let reading = Reading {
        observed,
        result,
        placed: place(layout, observed.clock),
        errors,
    };
    let checked = each_interrupt_once(&reading)
        .and_then(|()| nothing_outlives_run(&reading))
        .and_then(|()| nested_budget(layout, &reading))
        .and_then(|()| clean_stop(layout, &reading))
        .and_then(|()| restart_limits(&reading))
        .and_then(|()| timeouts_exact(&reading))
        .and_then(|()| nothing_starts_after_the_stop(&reading))
        .and_then(|()| starts_after_ready(&reading))
        .and_then(|()| startup_names_the_leaves(layout, &reading))
        .and_then(|()| spawn_while_stopping(&reading))
        .and_then(|()| names_only_what_can_fail(&reading));
    let checked = checked.map_err(|error| match error {
        TestCaseError::Fail(reason) => {
            TestCaseError::fail(format!("{:?} run: {reason}", observed.clock))
        }
        other => other,
    });
    if checked.is_err() && std::env::var_os("RUN_MODEL_JOURNAL").is_some() {
        // What the run did, to read a failure by.
        eprintln!("{:?} run:", observed.clock);
        for (seq, entry) in observed.entries.iter().enumerate() {
            eprintln!("{seq:4} {:>10?} {:?}", entry.at - observed.t0, entry.what);
        }
    }
    checked
}

// ---------------------------------------------------------------------------------------
// The nested model's invariants, each a named check. A message starts with the letter of
// the invariant in the file's doc comment.

/// (a) Every runner launched (actor, incarnation, child task) is interrupted exactly once:
/// never twice, and, by the time `run()` returns, not never (but a child task its actor
/// refused).
fn each_interrupt_once(reading: &Reading<'_>) -> Result<(), TestCaseError> {
    let mut launched = BTreeSet::new();
    let mut delivered: std::collections::BTreeMap<&Who, usize> = Default::default();
    let mut refused = BTreeSet::new();
    for (_, entry) in reading.entries() {
        match &entry.what {
            What::Launched { who } => {
                launched.insert(who);
            }
            What::Delivered { who } => *delivered.entry(who).or_default() += 1,
            What::Spawned { who, ok: false, .. } => {
                refused.insert(who);
            }
            _ => {}
        }
    }
    for (who, &count) in &delivered {
        prop_assert!(count <= 1, "(a) {who:?} interrupted {count} times");
    }
    // Those a stop aborted are interrupted as they are dropped: by the time `run()`
    // returns if nothing outlives it.
    for who in &launched {
        let count = delivered.get(who).copied().unwrap_or(0);
        let want = usize::from(!refused.contains(who));
        prop_assert_eq!(
            count,
            want,
            "(a) {:?} was launched and interrupted {} times",
            who,
            count
        );
    }
    Ok(())
}

/// (a) Nothing outlives `run()`: the moment it returns, every execute (actors, incarnations,
/// child tasks) has been dropped and the runtime's alive tasks are back where they were.
fn nothing_outlives_run(reading: &Reading<'_>) -> Result<(), TestCaseError> {
    let observed = reading.observed;
    prop_assert_eq!(
        observed.executes_alive,
        0,
        "(a) executes still alive when run() returned: {:?}",
        reading.result
    );
    let (before, after) = observed.tasks;
    match observed.settled {
        None => prop_assert_eq!(
            after,
            before,
            "(a) tasks still alive the moment run() returned"
        ),
        // A worker wakes a task's `JoinHandle` before it removes the task from the count:
        // one per worker may still be counted at the return, none once each is held.
        Some((workers, settled)) => {
            prop_assert!(
                after <= before + workers,
                "(a) tasks still alive the moment run() returned: {} ({} before)",
                after,
                before
            );
            prop_assert_eq!(
                settled,
                before,
                "(a) tasks still alive once every worker was held ({} at the return)",
                after
            );
        }
    }
    Ok(())
}

/// (h) An actor's timeout that cannot fit the root's budget (less its drain), at any depth,
/// is refused (`Error::OverBudget`), naming its full path, before it starts; a refusal
/// names an actor whose timeout may not fit; a layout whose timeouts surely fit is run.
fn nested_budget(layout: &Layout, reading: &Reading<'_>) -> Result<(), TestCaseError> {
    let clock = reading.observed.clock;
    let available = clock
        .of(layout.budget)
        .saturating_sub(clock.of(layout.drain.unwrap_or(0)));
    let timed: Vec<(&Placed<'_>, Duration)> = (reading.placed.iter())
        .filter_map(|placed| Some((placed, clock.of(placed.node.timeout?))))
        .collect();
    match reading.over_budget() {
        Some(Error::OverBudget {
            part: BudgetPart::Actor { actor, timeout, .. },
            ..
        }) => {
            let named = actor.to_string();
            let placed = reading.node(&named);
            prop_assert!(
                placed.is_some(),
                "(h) refused naming `{}`, not an actor's full path: {:?}",
                named,
                reading.result
            );
            prop_assert!(
                placed.is_some_and(|placed| *timeout > placed.bound),
                "(h) refused `{}` whose timeout surely fits: {:?}",
                named,
                reading.result
            );
            prop_assert!(
                reading.starts(&named).is_empty(),
                "(h) `{}` refused after it started",
                named
            );
        }
        Some(other) => {
            return Err(TestCaseError::fail(format!(
                "(h) refused for something else: {other:?}"
            )));
        }
        None => {
            // A nested group is made (and its budget checked) when its actor starts: one
            // that never started (waiting on `after` until the stop) was never checked.
            // A refusal may also be reported only, by a sidecar (its group's actor); it
            // names the first actor of the group that does not fit.
            let built = |placed: &Placed<'_>| !reading.starts(&placed.group).is_empty();
            let refused = |placed: &Placed<'_>| {
                reading.entries().any(|(_, entry)| {
                    matches!(&entry.what, What::Event(seen)
                            if seen.refused.as_deref().and_then(|refused| {
                                refused.rsplit_once('/').map(|(group, _)| group)
                            }) == Some(placed.group.as_str()))
                })
            };
            for (placed, timeout) in
                (timed.iter()).filter(|(placed, _)| built(placed) && !refused(placed))
            {
                prop_assert!(
                    *timeout <= available,
                    "(h) `{}`'s {:?} timeout cannot fit the {:?} the budget leaves, yet the \
                         app ran: {:?}",
                    placed.path,
                    timeout,
                    available,
                    reading.result
                );
            }
        }
    }
    if timed
        .iter()
        .all(|(placed, timeout)| *timeout <= placed.bound)
    {
        prop_assert!(
            reading.over_budget().is_none(),
            "(h) refused, though every timeout surely fits: {:?}",
            reading.result
        );
    }
    Ok(())
}

/// (b) With no real failure (none but those a restart handled: a handled failure is
/// history, a stop during the backoff that follows included), no actor stuck, no restart
/// limit reached and no start-up timeout, the app's result is clean: `Ok` or the signal
/// that stopped it.
fn clean_stop(layout: &Layout, reading: &Reading<'_>) -> Result<(), TestCaseError> {
    if reading.over_budget().is_some() {
        return Ok(());
    }
    let mut handled = 0;
    for (seq, entry) in reading.entries() {
        let What::Returned {
            who,
            outcome,
            interrupted,
        } = &entry.what
        else {
            continue;
        };
        let Some(restart) = supervision(reading, &who.path).map(|found| found.restart) else {
            if *outcome != Outcome::Ok {
                return Ok(()); // a failure of an actor that runs once
            }
            continue;
        };
        let next = reading
            .starts(&who.path)
            .into_iter()
            .find(|(_, _, next)| next.incarnation == who.incarnation + 1)
            .map_or(usize::MAX, |(next, _, _)| next);
        let restarted = reading.events(&who.path).iter().any(|(at, seen)| {
            *at > seq && *at < next && matches!(seen.kind, SeenKind::Restarting { .. })
        });
        let restarts = match restart.restart {
            Restart::Never => false,
            Restart::OnFailure => *outcome != Outcome::Ok,
            _ => true,
        };
        if *outcome != Outcome::Ok || (restarts && !interrupted) {
            if !restarted {
                return Ok(()); // not handled: a failure, or a restart limit, or the stop
            }
            if *outcome != Outcome::Ok {
                handled += 1;
            }
        }
    }
    let failed = reading.entries().any(|(_, entry)| match &entry.what {
        What::Event(seen) => matches!(seen.kind, SeenKind::TimedOut | SeenKind::RestartLimit),
        _ => false,
    });
    if failed || !reading.aborted().is_empty() {
        return Ok(()); // stuck, or past a restart limit
    }
    if let Some(ticks) = layout.startup_timeout {
        // The start-up timeout may have fired: a failure.
        let observed = reading.observed;
        let stop_sent = reading.first(|what| matches!(what, What::StopSent));
        let stopped = [stop_sent.map(|(_, at)| at), reading.stop_of("")]
            .into_iter()
            .flatten()
            .min();
        // In real time, when it fires is only roughly known.
        let fire = match observed.clock {
            Clock::Paused => observed.clock.of(ticks),
            Clock::MultiThread => observed.clock.of(ticks) / 2,
        };
        if stopped.is_none_or(|at| reading.since_start(at) >= fire) {
            return Ok(());
        }
    }
    // A restartable child stopped by its handle: its join is `Ok` (its failures were
    // handled, or there were none).
    for (_, entry) in reading.entries() {
        if let What::Joined { path, ok } = &entry.what {
            if handled == 0 {
                prop_assert!(
                    *ok,
                    "(b) `{}`, stopped by its handle, joined with an error",
                    path
                );
            } else {
                prop_assert!(
                    *ok,
                    "(b) `{}`, stopped by its handle with only handled failures, joined with an \
                     error",
                    path
                );
            }
        }
    }
    let clean = match reading.result {
        Ok(()) | Err(Error::Signal(_)) => true,
        // In real time an actor may be slower than its timeout however prompt it is: then
        // only what stopped the app is on the error.
        Err(Error::ShutdownTimeout { cause, .. }) => {
            reading.observed.clock == Clock::MultiThread
                && matches!(cause.as_deref(), None | Some(Error::Signal(_)))
        }
        Err(_) => false,
    };
    if handled == 0 {
        prop_assert!(
            clean,
            "(b) no failure, yet the result is not clean: {:?}",
            reading.result
        );
    } else {
        prop_assert!(
            clean,
            "(b) only failures a restart handled (history), yet the result is not clean: {:?}",
            reading.result
        );
    }
    Ok(())
}

/// (c) A restartable actor is restarted after each exit its policy restarts after, within
/// its limit (`Event::Restarting`), never after a final exit, and never past its limit; past
/// it, the hook always hears of it (an event naming the actor that says it gave up). Read
/// under paused time only, where the times the supervisor decides at are the ones recorded.
fn restart_limits(reading: &Reading<'_>) -> Result<(), TestCaseError> {
    let clock = reading.observed.clock;
    if clock != Clock::Paused {
        return Ok(());
    }
    for path in &restartable(reading) {
        let Some(supervision) = supervision(reading, path) else {
            continue;
        };
        let (restart, group_stop) = (supervision.restart, supervision.stop);
        let policy = reading.node(path).map(|placed| placed.node.policy);
        let starts = reading.starts(path);
        let mut decided = std::collections::VecDeque::new();
        for incarnation in 0.. {
            let who = Who {
                path: path.as_str().into(),
                incarnation,
            };
            if !starts.iter().any(|(_, _, started)| **started == who) {
                break;
            }
            let next = starts
                .iter()
                .find(|(_, _, next)| next.incarnation == incarnation + 1)
                .map(|(seq, _, _)| *seq);
            let Some((seq, at, outcome, interrupted)) = reading.returned(&who) else {
                if reading.delivered(&who).is_some() {
                    continue; // aborted once interrupted: the stop or a sibling's restart
                }
                break;
            };
            // The incarnation has ended once its child tasks have too.
            let Some((at, timed_out)) = ended(reading, &who, at) else {
                break;
            };
            if interrupted {
                continue; // the stop or a sibling's restart
            }
            let outcome = if timed_out { Outcome::Err } else { outcome };
            if group_stop.is_some_and(|stop| at >= stop) {
                break; // its supervisor may be stopping already
            }
            let restarts = match restart.restart {
                Restart::Never => false,
                Restart::OnFailure => outcome != Outcome::Ok,
                _ => true,
            };
            if !restarts {
                prop_assert!(
                    next.is_none(),
                    "(c) `{}` restarted after its final exit ({:?})",
                    path,
                    outcome
                );
                break;
            }
            let within = clock.of(restart.within);
            while decided
                .front()
                .is_some_and(|&decided: &Instant| at - decided >= within)
            {
                decided.pop_front();
            }
            if decided.len() >= restart.max_restarts as usize {
                prop_assert!(
                    next.is_none(),
                    "(c) `{}` restarted past its limit of {} within {:?}",
                    path,
                    restart.max_restarts,
                    within
                );
                let heard = reading
                    .events(path)
                    .iter()
                    .any(|(after, seen)| *after > seq && seen.kind == SeenKind::RestartLimit);
                prop_assert!(
                    heard,
                    "(c) `{}` ({:?}) went past its limit ({} restarts within {:?}) at {:?} \
                         and the hook heard nothing of it: {:?}",
                    path,
                    policy,
                    restart.max_restarts,
                    within,
                    reading.since_start(at),
                    reading.result
                );
                break;
            }
            decided.push_back(at);
            let restarting = reading.events(path).iter().any(|(after, seen)| {
                *after > seq
                    && next.is_none_or(|next| *after < next)
                    && matches!(seen.kind, SeenKind::Restarting { .. })
            });
            prop_assert!(
                restarting,
                "(c) `{}` ended ({:?}) within its limit at {:?} and was not restarted",
                path,
                outcome,
                reading.since_start(at)
            );
        }
    }
    Ok(())
}

/// When `who`, which returned at `returned`, ended with its child tasks, and whether one of
/// them was aborted (then its incarnation timed out: a failure); `None` if one never ended,
/// or it started a restartable child.
fn ended(reading: &Reading<'_>, who: &Who, returned: Instant) -> Option<(Instant, bool)> {
    let mut ended = returned;
    let mut aborted = false;
    for (_, entry) in reading.entries() {
        let What::Spawned {
            who: child,
            ok: true,
            ..
        } = &entry.what
        else {
            continue;
        };
        if !child_of(child, who) {
            continue;
        }
        if is_dynamic(&child.path) {
            // A restartable child's final result is its incarnation's too: read no further.
            return None;
        }
        ended = ended.max(reading.dropped(child)?.1);
        aborted |= reading.returned(child).is_none();
    }
    Some((ended, aborted))
}

/// The plan of incarnation `who` of the actor `placed`.
fn plan_of<'l>(placed: &Placed<'l>, who: &Who) -> Option<&'l LifePlan> {
    match &placed.node.kind {
        NodeKind::Once(plan) => Some(plan),
        NodeKind::Supervised { lives, .. } => {
            Some(&lives[(who.incarnation as usize).min(lives.len() - 1)])
        }
        NodeKind::Group(_) => None,
    }
}

/// What restarts the actor at `path`: an actor added with `Group::supervise`, or a
/// restartable child (`<actor>/dyn<its incarnation>`).
struct Supervision<'l> {
    restart: &'l RestartModel,
    lives: &'l [LifePlan],
    /// The earliest its supervisor may be stopping: its group's shutdown began; for a child,
    /// its actor was interrupted, returned or was aborted, or its handle stopped it.
    stop: Option<Instant>,
}

fn supervision<'o>(reading: &Reading<'o>, path: &str) -> Option<Supervision<'o>> {
    if let Some(placed) = reading.node(path) {
        let NodeKind::Supervised { restart, lives } = &placed.node.kind else {
            return None;
        };
        return Some(Supervision {
            restart,
            lives,
            stop: reading.stop_of(&placed.group),
        });
    }
    let (owner_path, name) = path.rsplit_once('/')?;
    let incarnation = name.strip_prefix("dyn")?.parse().ok()?;
    let owner = Who {
        path: owner_path.into(),
        incarnation,
    };
    let plan = plan_of(reading.node(owner_path)?, &owner)?
        .dynamic
        .as_deref()?;
    let handle =
        reading.first(|what| matches!(what, What::HandleStopped { path: of } if &**of == path));
    let stop = [
        reading.delivered(&owner).map(|(_, at)| at),
        reading.returned(&owner).map(|(_, at, ..)| at),
        reading.dropped(&owner).map(|(_, at)| at),
        handle.map(|(_, at)| at),
    ];
    Some(Supervision {
        restart: &plan.restart,
        lives: &plan.lives,
        stop: stop.into_iter().flatten().min(),
    })
}

/// The paths of the restartable actors and children of the run.
fn restartable(reading: &Reading<'_>) -> Vec<String> {
    let mut paths: Vec<String> = (reading.placed.iter())
        .filter(|placed| matches!(placed.node.kind, NodeKind::Supervised { .. }))
        .map(|placed| placed.path.clone())
        .collect();
    paths.extend(
        reading
            .entries()
            .filter_map(|(_, entry)| match &entry.what {
                What::Spawned { who, ok: true, .. } if is_dynamic(&who.path) => {
                    Some(who.path.to_string())
                }
                _ => None,
            }),
    );
    paths
}

/// Whether `child` (a child task, or a restartable child) was started by `owner`.
fn child_of(child: &Who, owner: &Who) -> bool {
    if is_dynamic(&child.path) {
        return *child.path == format!("{}/dyn{}", owner.path, owner.incarnation);
    }
    child.incarnation == owner.incarnation
        && child.path.rsplit_once('/').map(|(of, _)| of) == Some(&*owner.path)
}

/// Whether `path` is a restartable child's.
fn is_dynamic(path: &str) -> bool {
    path.rsplit_once('/').is_some_and(|(_, name)| {
        name.strip_prefix("dyn")
            .is_some_and(|rest| rest.parse::<u32>().is_ok())
    })
}

/// (d) An actor (or an incarnation) with timeout T that is still running once interrupted is
/// aborted exactly T after its interrupt if it would take longer, and is not aborted if it
/// would take less: when T surely fits its group's time (incarnations included), and, once
/// every nested group's timeouts are checked, whenever the app ran at all (a timeout the
/// check accepted is honoured in full, whatever `after` makes of the stages). Under paused
/// time only.
fn timeouts_exact(reading: &Reading<'_>) -> Result<(), TestCaseError> {
    let clock = reading.observed.clock;
    if clock != Clock::Paused || reading.over_budget().is_some() {
        return Ok(());
    }
    for (seq, entry) in reading.entries() {
        let What::Delivered { who } = &entry.what else {
            continue;
        };
        let Some(placed) = reading.node(&who.path) else {
            continue;
        };
        let (Some(plan), Some(ticks)) = (plan_of(placed, who), placed.node.timeout) else {
            continue;
        };
        let interrupted = entry.at;
        let started = reading
            .starts(&who.path)
            .into_iter()
            .any(|(at, _, started)| started == who && at < seq);
        let returned = reading.returned(who);
        if !started
            || returned.is_some_and(|(at, ..)| at < seq)
            || plan.child == Some(true)
            || plan.dynamic.is_some()
        {
            continue; // not running then, or a child that may outlast it
        }
        if refused_a_child(reading, who) {
            continue; // it failed instead of playing its part: (i)'s to report
        }
        let aborted_above = groups_down_to(&placed.group)
            .iter()
            .chain([&placed.path])
            .any(|above| {
                (reading.events(above).iter()).any(|(at, seen)| {
                    seen.kind == SeenKind::TimedOut
                        && reading.observed.entries[*at].at == interrupted
                })
            });
        if aborted_above {
            continue; // interrupted as a group above it was aborted: (k)'s to report
        }
        let hold = match plan.act {
            Act::Exit { .. } => Some(Duration::ZERO),
            Act::Obey { delay, .. } => Some(clock.of(delay)),
            Act::Ignore { for_ticks } => for_ticks.map(|ticks| clock.of(ticks)),
        };
        let timeout = clock.of(ticks);
        if hold == Some(timeout) {
            continue; // a tie: either is right
        }
        let sure = timeout + Duration::from_millis(1) <= placed.bound;
        let dropped = reading.dropped(who).map(|(_, at)| at);
        match hold {
            Some(hold) if hold < timeout => {
                prop_assert!(
                    returned.is_some(),
                    "(d) {:?} (timeout {:?}) was aborted, though it returns {:?} after its \
                     interrupt; dropped {:?} after it",
                    who,
                    timeout,
                    hold,
                    dropped.map(|at| at - interrupted)
                );
            }
            _ => {
                prop_assert!(
                    returned.is_none() && dropped == Some(interrupted + timeout),
                    "(d) {:?} ignores its interrupt, yet was not aborted exactly its timeout \
                     ({:?}) after it, but {:?} after it (sure to fit: {})",
                    who,
                    timeout,
                    dropped.map(|at| at - interrupted),
                    sure
                );
            }
        }
    }
    Ok(())
}

/// Whether a child task of `who` was refused.
fn refused_a_child(reading: &Reading<'_>, who: &Who) -> bool {
    reading.entries().any(|(_, entry)| match &entry.what {
        What::Spawned { who: child, ok, .. } => !ok && child_of(child, who),
        _ => false,
    })
}

/// (e) Nothing starts once the stop has begun: no actor waiting on `after` starts, and no
/// restartable actor starts again, once its group or a group above it has begun its
/// shutdown. Under paused time only (a strictly later instant is sure to be later).
fn nothing_starts_after_the_stop(reading: &Reading<'_>) -> Result<(), TestCaseError> {
    if reading.observed.clock != Clock::Paused {
        return Ok(());
    }
    for placed in &reading.placed {
        let Some(stop) = reading.stop_above(&placed.group) else {
            continue;
        };
        let starts = reading.starts(&placed.path);
        if !placed.node.after.is_empty() {
            if let Some((_, at, _)) = starts.first() {
                prop_assert!(
                    *at <= stop,
                    "(e) `{}` (after {:?}) started at {:?}, after the stop began at {:?}",
                    placed.path,
                    placed.node.after,
                    reading.since_start(*at),
                    reading.since_start(stop)
                );
            }
        }
        for (_, at, who) in starts.iter().filter(|(_, _, who)| who.incarnation > 0) {
            prop_assert!(
                *at <= stop,
                "(e) {:?} started at {:?}, after the stop began at {:?}",
                who,
                reading.since_start(*at),
                reading.since_start(stop)
            );
        }
    }
    Ok(())
}

/// When the actor `placed` first became ready, in the journal's order (a lower bound): once
/// started, or once it said so (`ready_when_told`); for a group, once all its actors were.
fn ready_since(reading: &Reading<'_>, path: &str) -> Option<usize> {
    let placed = reading.node(path)?;
    match &placed.node.kind {
        NodeKind::Group(inner) => (0..inner.nodes.len())
            .map(|index| ready_since(reading, &format!("{path}/{}", leaf(index))))
            .try_fold(0, |latest, ready| ready.map(|ready| ready.max(latest))),
        _ if told(placed) => reading
            .first(|what| matches!(what, What::Ready { who } if &*who.path == path))
            .map(|(seq, _)| seq),
        _ => reading.starts(path).first().map(|(seq, _, _)| *seq),
    }
}

/// Whether the actor `placed` is ready only once it says so, as the checks read it.
fn told(placed: &Placed<'_>) -> bool {
    placed.node.told
}

/// (f) An actor that starts `after` others starts only once each of them is ready.
fn starts_after_ready(reading: &Reading<'_>) -> Result<(), TestCaseError> {
    for placed in &reading.placed {
        let Some((started, ..)) = reading.starts(&placed.path).first().copied() else {
            continue;
        };
        for &dependency in &placed.node.after {
            let path = format!("{}/{}", placed.group, leaf(dependency));
            let ready = ready_since(reading, &path);
            prop_assert!(
                ready.is_some_and(|ready| ready < started),
                "(f) `{}` started before `{}`, which it starts after, was ready",
                placed.path,
                path
            );
        }
    }
    Ok(())
}

/// (g) When the root's start-up timeout fires, it fires, and its error names the actors, at
/// any depth, that had started and never became ready: not those still waiting on them,
/// not the groups above them (a group only when none of its own started: it was refused at
/// its start). Under paused time, when nothing else is in flux then.
fn startup_names_the_leaves(layout: &Layout, reading: &Reading<'_>) -> Result<(), TestCaseError> {
    let clock = reading.observed.clock;
    let Some(ticks) = layout.startup_timeout else {
        return Ok(());
    };
    if clock != Clock::Paused || reading.over_budget().is_some() {
        return Ok(());
    }
    let fire = reading.observed.t0 + clock.of(ticks);
    let stop_sent = reading.first(|what| matches!(what, What::StopSent));
    if stop_sent.is_some_and(|(_, at)| at <= fire) {
        return Ok(());
    }
    // A group that began to stop before: its readiness is no more a start-up's.
    let mut groups: BTreeSet<String> = BTreeSet::from([String::new()]);
    groups.extend(reading.placed.iter().map(|placed| placed.group.clone()));
    if groups
        .iter()
        .any(|group| reading.stop_of(group).is_some_and(|at| at < fire))
    {
        return Ok(());
    }
    // Something of an actor at that very instant, before the stop: either order is right.
    let stopped = reading
        .first(|what| matches!(what, What::Delivered { who } if matches!(&*who.path, "main" | "stopper")))
        .map_or(usize::MAX, |(seq, _)| seq);
    let busy = reading.entries().any(|(seq, entry)| {
        seq < stopped
            && entry.at == fire
            && matches!(
                entry.what,
                What::Started { .. } | What::Ready { .. } | What::Returned { .. }
            )
    });
    if busy {
        return Ok(());
    }
    // The actors to be named, and whether the timeout surely fires.
    let mut expected = BTreeSet::new();
    let mut must_fire = false;
    let started_before =
        |path: &str| (reading.starts(path).into_iter()).any(|(_, at, _)| at < fire);
    for placed in &reading.placed {
        if matches!(placed.node.kind, NodeKind::Group(_)) {
            // A group whose actor started and none of whose own did (refused at its start,
            // its budget too small): nothing below is to blame, the group itself is.
            let below = format!("{}/", placed.path);
            let any_below = (reading.placed.iter())
                .any(|inner| inner.path.starts_with(&below) && started_before(&inner.path));
            if started_before(&placed.path) && !any_below {
                must_fire = true;
                expected.insert(placed.path.clone());
            }
            continue;
        }
        let starts: Vec<_> = (reading.starts(&placed.path).into_iter())
            .filter(|(_, at, _)| *at < fire)
            .collect();
        if starts.is_empty() {
            continue; // never started: waiting, not to blame
        }
        if matches!(placed.node.kind, NodeKind::Supervised { .. }) {
            let ended = starts
                .iter()
                .filter(|(_, _, who)| reading.dropped(who).is_some_and(|(_, at)| at < fire))
                .count();
            if ended == starts.len() {
                return Ok(()); // between two incarnations: not ready, yet it was
            }
            // Its latest incarnation is stopping on its own (a child task failed): not ready
            // any more, yet it was.
            let stopping = starts
                .last()
                .is_some_and(|(_, _, who)| reading.delivered(who).is_some_and(|(_, at)| at < fire));
            if stopping {
                return Ok(());
            }
        }
        if !told(placed) {
            continue;
        }
        let ready_before = |incarnation: Option<u32>| {
            reading
                .first(|what| {
                    matches!(what, What::Ready { who } if *who.path == placed.path
                        && incarnation.is_none_or(|incarnation| who.incarnation == incarnation))
                })
                .is_some_and(|(_, at)| at < fire)
        };
        // Never ready: the app never was, so the timeout fires.
        if !ready_before(None) {
            must_fire = true;
        }
        // A restartable actor is ready while its latest incarnation is (each one says so):
        // named once the timeout fires, if it fires (the app may have been ready before).
        let latest = match placed.node.kind {
            NodeKind::Supervised { .. } => starts.last().map(|(_, _, who)| who.incarnation),
            _ => None,
        };
        if !ready_before(latest) {
            expected.insert(placed.path.clone());
        }
    }
    if !must_fire {
        return Ok(());
    }
    let named = reading.errors.iter().find_map(|error| match error {
        Error::StartupTimeout { not_ready, .. } => Some(
            not_ready
                .iter()
                .map(ToString::to_string)
                .collect::<BTreeSet<_>>(),
        ),
        _ => None,
    });
    prop_assert!(
        named.is_some(),
        "(g) not ready at {:?} ({:?}), yet no start-up timeout: {:?}",
        clock.of(ticks),
        expected,
        reading.result
    );
    prop_assert_eq!(
        named,
        Some(expected),
        "(g) the start-up timeout names the wrong actors: {:?}",
        reading.result
    );
    Ok(())
}

/// (i) `Context::spawn` on an actor that still runs succeeds: at once if it is not
/// interrupted, and also while it stops (the work taken is not lost), the child then
/// starting with its context interrupted already.
fn spawn_while_stopping(reading: &Reading<'_>) -> Result<(), TestCaseError> {
    for (_, entry) in reading.entries() {
        let What::Spawned {
            who,
            ok,
            interrupted,
        } = &entry.what
        else {
            continue;
        };
        if !interrupted {
            prop_assert!(*ok, "(i) {:?} refused while its actor runs", who);
        } else {
            // Its owner (or a group above) aborted at its timeout as it spawned: the child,
            // refused or aborted with it, may never have run.
            let owner = who.path.rsplit_once('/').map_or("", |(owner, _)| owner);
            let owner_aborted = reading.entries().any(|(_, entry)| {
                matches!(&entry.what, What::Event(seen) if seen.kind == SeenKind::TimedOut
                    && (owner == seen.actor || owner.starts_with(&format!("{}/", seen.actor))))
            });
            let started = reading
                .starts(&who.path)
                .into_iter()
                .find(|(_, _, of)| *of == who);
            if owner_aborted && (!ok || started.is_none()) {
                continue;
            }
            prop_assert!(*ok, "(i) {:?} refused while its actor stops", who);
            let interrupted_at_start =
                started.and_then(|(seq, _, _)| match &reading.observed.entries[seq].what {
                    What::Started { interrupted, .. } => Some(*interrupted),
                    _ => None,
                });
            prop_assert_eq!(
                interrupted_at_start,
                Some(true),
                "(i) {:?}, spawned while its actor stops, did not start interrupted",
                who
            );
        }
    }
    Ok(())
}

/// (k) Only an actor that can fail is named failed, and (under paused time) only one that
/// can be slow to stop is named stuck: a leaf, never a group (a nested group names its own
/// stuck actors before its parent's deadline), and one the hook heard time out.
fn names_only_what_can_fail(reading: &Reading<'_>) -> Result<(), TestCaseError> {
    let Err(error) = reading.result else {
        return Ok(());
    };
    let mut failed = BTreeSet::new();
    let mut stuck = BTreeSet::new();
    named_in(error, &mut failed, &mut stuck);
    let plans = |path: &str| -> Option<Vec<&LifePlan>> {
        let Some(placed) = reading.node(path) else {
            return supervision(reading, path).map(|found| found.lives.iter().collect());
        };
        match &placed.node.kind {
            NodeKind::Once(plan) => Some(vec![plan]),
            NodeKind::Supervised { lives, .. } => Some(lives.iter().collect()),
            NodeKind::Group(_) => None,
        }
    };
    let is_group = |path: &str| {
        path == "main"
            || reading
                .node(path)
                .is_some_and(|placed| matches!(placed.node.kind, NodeKind::Group(_)))
    };
    for name in &failed {
        let can_fail = is_group(name)
            || supervision(reading, name).is_some()
            || plans(name).is_some_and(|plans| {
                plans.iter().any(|plan| {
                    plan.child.is_some()
                        || plan.spawn_on_interrupt
                        || plan.dynamic.is_some()
                        || match plan.act {
                            Act::Exit { outcome, .. } | Act::Obey { outcome, .. } => {
                                outcome != Outcome::Ok
                            }
                            Act::Ignore { .. } => false,
                        }
                })
            });
        prop_assert!(
            can_fail,
            "(k) `{}` named failed: {:?}",
            name,
            reading.result
        );
    }
    if reading.observed.clock != Clock::Paused {
        return Ok(());
    }
    for name in &stuck {
        let slow_child = name
            .strip_suffix("/child")
            .and_then(plans)
            .is_some_and(|plans| plans.iter().any(|plan| plan.child == Some(true)));
        let slow = is_group(name)
            || slow_child
            || plans(name).is_some_and(|plans| {
                plans.iter().any(|plan| {
                    plan.child == Some(true)
                        || plan.dynamic.is_some()
                        || match plan.act {
                            Act::Obey { delay, .. } => delay > 0,
                            Act::Ignore { .. } => true,
                            Act::Exit { .. } => false,
                        }
                })
            });
        prop_assert!(slow, "(k) `{}` named stuck: {:?}", name, reading.result);
        prop_assert!(
            !is_group(name),
            "(k) the group `{}` named stuck, not its leaves: {:?}",
            name,
            reading.result
        );
        let heard = reading
            .events(name)
            .iter()
            .any(|(_, seen)| seen.kind == SeenKind::TimedOut);
        prop_assert!(
            heard,
            "(k) `{}` named stuck, and the hook never heard it timed out: {:?}",
            name,
            reading.result
        );
    }
    Ok(())
}

/// The runtimes each layout runs on: both, or the one `RUN_MODEL_CLOCK` names (`paused` or
/// `multi-thread`).
fn clocks() -> Vec<Clock> {
    match std::env::var("RUN_MODEL_CLOCK").as_deref() {
        Ok("paused") => vec![Clock::Paused],
        Ok("multi-thread") => vec![Clock::MultiThread],
        _ => vec![Clock::Paused, Clock::MultiThread],
    }
}

fn nested_cases() -> u32 {
    cases() / 2
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: nested_cases(),
        failure_persistence: Some(persistence()),
        ..ProptestConfig::default()
    })]

    /// Each layout under paused time (exact), then on the multi-thread runtime.
    #[test]
    fn every_nested_layout_keeps_the_invariants(layout in layout()) {
        for clock in clocks() {
            check_nested(&layout, &run_case(&layout, clock))?;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Known layouts: the smallest app found breaking each invariant before the change that made
// it hold, run under paused time, each named by what it breaks.

fn plan(act: Act) -> LifePlan {
    LifePlan {
        act,
        ready_at: None,
        child: None,
        spawn_on_interrupt: false,
        dynamic: None,
    }
}

fn node_of(kind: NodeKind) -> Node {
    Node {
        kind,
        policy: ExitPolicy::Service,
        stage: 1,
        timeout: None,
        after: Vec::new(),
        told: false,
    }
}

fn once(plan: LifePlan) -> Node {
    node_of(NodeKind::Once(plan))
}

fn restarts(restart: Restart, max_restarts: u32, backoff: Option<(Ticks, Ticks)>) -> RestartModel {
    RestartModel {
        restart,
        max_restarts,
        within: 1_000,
        backoff,
    }
}

fn layout_of(nodes: Vec<Node>) -> GroupLayout {
    GroupLayout {
        nodes,
        strategy: run::Strategy::OneForOne,
        shutdown_timeout: None,
    }
}

/// `main` of `nodes`, a budget of a second, stopped by SIGTERM at `stop_at`.
fn app(nodes: Vec<Node>, stop_at: Ticks) -> Layout {
    Layout {
        main: layout_of(nodes),
        budget: 1_000,
        drain: None,
        startup_timeout: None,
        stop_at,
        stop: StopKind::Signal,
    }
}

fn known_layouts() -> Vec<(&'static str, Layout)> {
    let exit = |at, outcome| plan(Act::Exit { at, outcome });
    let obey = |delay| {
        plan(Act::Obey {
            delay,
            outcome: Outcome::Ok,
        })
    };
    let mut known = Vec::new();

    // A told actor never ready: the start-up timeout names `main/a0`, not `main`.
    let mut never_ready = once(obey(0));
    never_ready.told = true;
    let mut layout = app(vec![never_ready], 100);
    layout.startup_timeout = Some(10);
    known.push(("the start-up timeout names the leaves", layout));

    // A 94 ms timeout one level down under a 50 ms budget: refused.
    let mut flusher = once(exit(1, Outcome::Ok));
    flusher.timeout = Some(94);
    let mut layout = app(vec![flusher], 10);
    layout.budget = 50;
    known.push(("a nested timeout that cannot fit is refused", layout));

    // A 19 ms timeout under a group actor with a 1 ms one: accepted today, and cut to 1 ms.
    let mut inner = once(obey(18));
    inner.timeout = Some(19);
    let mut outer = node_of(NodeKind::Group(layout_of(vec![inner])));
    outer.timeout = Some(1);
    known.push((
        "an accepted timeout is honoured in full",
        app(vec![outer], 1),
    ));

    // An incarnation with a 6 ms timeout that takes 5 ms to stop: aborted.
    let mut incarnation = node_of(NodeKind::Supervised {
        restart: restarts(Restart::Never, 0, None),
        lives: vec![obey(5)],
    });
    incarnation.timeout = Some(6);
    known.push((
        "an incarnation's timeout is honoured in full",
        app(vec![incarnation], 1),
    ));

    // Fails at 10 ms, restarts 100 ms later: SIGTERM at 50 ms, in the backoff.
    let flaky = node_of(NodeKind::Supervised {
        restart: restarts(Restart::OnFailure, 5, Some((100, 100))),
        lives: vec![exit(10, Outcome::Err)],
    });
    known.push(("a handled failure is history", app(vec![flaky], 50)));

    // The same as a restartable child, its handle stopping it at 50 ms.
    let mut owner = exit(300, Outcome::Ok);
    owner.dynamic = Some(Box::new(DynamicPlan {
        restart: restarts(Restart::OnFailure, 5, Some((100, 100))),
        lives: vec![exit(10, Outcome::Err)],
        stop_at: Some(50),
    }));
    known.push(("a handled failure is history", app(vec![once(owner)], 400)));

    // A sidecar past its limit (none allowed) at 1 ms: nothing tells.
    let mut sidecar = node_of(NodeKind::Supervised {
        restart: restarts(Restart::OnFailure, 0, None),
        lives: vec![exit(1, Outcome::Err)],
    });
    sidecar.policy = ExitPolicy::Sidecar;
    known.push(("past its limit is an event", app(vec![sidecar], 10)));

    // `db` ready at 300 ms, stopping slowly from 100 ms; `api` starts after it, a stage later.
    let mut db = plan(Act::Obey {
        delay: 500,
        outcome: Outcome::Ok,
    });
    db.ready_at = Some(300);
    let mut db = once(db);
    db.told = true;
    let mut api = once(obey(0));
    api.stage = 2;
    api.after = vec![0];
    known.push(("nothing starts after the stop", app(vec![db, api], 100)));

    // Fails every 10 ms, no backoff, a stage after an actor that takes 50 ms to stop.
    let mut flaky = node_of(NodeKind::Supervised {
        restart: restarts(Restart::OnFailure, 100, None),
        lives: vec![exit(10, Outcome::Err)],
    });
    flaky.stage = 2;
    known.push((
        "nothing restarts after the stop",
        app(vec![once(obey(50)), flaky], 5),
    ));

    // Takes one more job once interrupted.
    let mut worker = obey(0);
    worker.spawn_on_interrupt = true;
    known.push((
        "a child spawned while stopping runs",
        app(vec![once(worker)], 1),
    ));

    // `main` stops at 1 ms on its own; `main/a1` too, its actor's child ignoring its
    // interrupt: it never learns the deadline the root's stop (at 1.5 ms) gives.
    let mut lingering = exit(1, Outcome::Ok);
    lingering.child = Some(true);
    let group = node_of(NodeKind::Group(layout_of(vec![once(lingering)])));
    known.push((
        "the stuck named are leaves",
        app(vec![once(exit(1, Outcome::Ok)), group], 1),
    ));

    // A restartable actor that ignores its interrupt, in a group that stops on its own before
    // the root's deadline is set: its supervisor is aborted, named stuck, and no `TimedOut`.
    let stubborn = node_of(NodeKind::Supervised {
        restart: restarts(Restart::Never, 0, None),
        lives: vec![plan(Act::Ignore { for_ticks: None })],
    });
    known.push((
        "the stuck named timed out to the hook",
        app(vec![once(exit(1, Outcome::Ok)), stubborn], 1),
    ));

    // A restartable actor marked `ready_when_told` that never says so; `a1` starts after it.
    let mut silent = node_of(NodeKind::Supervised {
        restart: restarts(Restart::Never, 0, None),
        lives: vec![obey(0)],
    });
    silent.told = true;
    let mut after = once(obey(0));
    after.after = vec![0];
    known.push((
        "a told restartable actor waits to be told",
        app(vec![silent, after], 10),
    ));
    known
}

/// Each known layout under paused time: every invariant holds.
#[test]
fn the_known_layouts_keep_the_invariants() {
    let mut failed = Vec::new();
    for (what, layout) in known_layouts() {
        if let Err(error) = check_nested(&layout, &run_case(&layout, Clock::Paused)) {
            failed.push(format!("{what}: {error}"));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}
