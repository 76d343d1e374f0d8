//! The model test: random groups of 1 to 200 actors (random exit policies, stages, timeouts
//! (cut to fit the shutdown budget),
//! behaviours: exit `Ok` / `Err` / panic at a random time, obey the interrupt or ignore it for
//! a while or forever, a nested group), each run deterministically under paused time, and the
//! core's invariants checked on every one:
//!
//! - `run()` returns (within a virtual hour: a hang is a reported, shrunk failure);
//! - every actor's interrupt is delivered exactly once, stage by stage, each stage in add
//!   order;
//! - the returned error's cause is the first exit that stops the group;
//! - every failure before the stop (but a sidecar's error, reported only) is on the error, and
//!   nothing that did not fail is;
//! - only actors that can be slow to stop are named stuck, and a group without slow actors
//!   never times out;
//! - no task of the runtime is left alive.
//!
//! `RUN_MODEL_CASES` sets the number of cases (default 1000; 10 000 for the full run).

use std::{
    collections::BTreeSet,
    io,
    sync::{Arc, Mutex},
    time::Duration,
};

use proptest::prelude::*;
use run::{Context, Error, ExitPolicy, Group, Interrupt};

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
        // Let the tasks the group aborted be released.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
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
    prop_assert_eq!(alive, 0, "tasks left alive");

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

fn cases() -> u32 {
    std::env::var("RUN_MODEL_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn every_group_keeps_the_invariants(model in group()) {
        check(&model)?;
    }
}
