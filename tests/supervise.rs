//! Supervision under paused time: restart policies, intensity, backoff,
//! strategies, no restart while stopping, status snapshots.

mod common;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::no_leak;
use run::{
    ActorOptions, ActorState, Backoff, Context, Error, ExitPolicy, Group, Restart, RestartPolicy,
    Restartable, Strategy,
    testing::{Recorder, assert_in_order, run_paused},
};
use tokio::time::Instant;

const MS: Duration = Duration::from_millis(1);
const SECOND: Duration = Duration::from_secs(1);

/// What an incarnation does, by its number (from 0), after running for its time.
#[derive(Clone, Copy, Debug)]
enum Act {
    Fail(u64),
    Ok(u64),
    Panic(u64),
    /// Runs until interrupted.
    Serve,
}

/// The starts of every actor, in order, with their times since the log was made.
#[derive(Clone)]
struct Log {
    starts: Arc<Mutex<Vec<(String, Duration)>>>,
    t0: Instant,
}

impl Log {
    fn new() -> Self {
        Self {
            starts: Arc::default(),
            t0: Instant::now(),
        }
    }

    fn names(&self) -> Vec<String> {
        let starts = self.starts.lock().unwrap();
        starts.iter().map(|(name, _)| name.clone()).collect()
    }

    fn gaps(&self) -> Vec<Duration> {
        let starts = self.starts.lock().unwrap();
        starts
            .windows(2)
            .map(|pair| pair[1].1 - pair[0].1)
            .collect()
    }
}

/// Adds a restartable actor named `name` to `group` that plays `acts`, one per incarnation
/// (the last one ever after), logging `name N` as incarnation N is made.
fn supervised<'g>(
    group: &'g mut Group,
    name: &'static str,
    acts: &[Act],
    log: &Log,
) -> ActorOptions<'g, Restartable> {
    let acts = acts.to_vec();
    let log = log.clone();
    let made = Arc::new(Mutex::new(0usize));
    group
        .supervise(move || {
            let nth = {
                let mut made = made.lock().unwrap();
                *made += 1;
                *made - 1
            };
            let at = log.t0.elapsed();
            log.starts
                .lock()
                .unwrap()
                .push((format!("{name} {nth}"), at));
            let act = *acts.get(nth).or(acts.last()).unwrap();
            move |ctx: Context| async move {
                let run_for = |ms: u64| tokio::time::sleep(Duration::from_millis(ms));
                match act {
                    Act::Serve => {
                        ctx.interrupted().await;
                        Ok(())
                    }
                    Act::Fail(ms) => {
                        run_for(ms).await;
                        Err(std::io::Error::other(format!("failure {nth}")))
                    }
                    Act::Panic(ms) => {
                        run_for(ms).await;
                        panic!("panic {nth}")
                    }
                    Act::Ok(ms) => {
                        run_for(ms).await;
                        Ok(())
                    }
                }
            }
        })
        .name(name)
}

fn no_backoff(restart: Restart) -> RestartPolicy {
    RestartPolicy::new(restart).backoff(Backoff::none())
}

#[test]
fn on_failure_restarts_after_errors_and_panics_until_an_ok() {
    run_paused(no_leak(async {
        let log = Log::new();
        let trace = Recorder::new();
        let mut group = Group::named("app").hook(trace.hook());
        supervised(
            &mut group,
            "worker",
            &[Act::Fail(10), Act::Panic(10), Act::Ok(10)],
            &log,
        )
        .restart(no_backoff(Restart::OnFailure));
        group.run().await.unwrap();
        assert_eq!(log.names(), ["worker 0", "worker 1", "worker 2"]);
        assert_in_order(
            &trace.lines(),
            &[
                "app/worker started",
                "app/worker failed: actor `app/worker` failed: failure 0",
                "app/worker restarting #1 in 0ns",
                "app/worker started",
                "app/worker panicked",
                "app/worker restarting #2 in 0ns",
                "app/worker started",
                "app/worker exited",
            ],
        );
        let restarts = trace
            .lines()
            .iter()
            .filter(|line| line.contains("restarting"))
            .count();
        assert_eq!(restarts, 2);
    }));
}

#[test]
fn always_restarts_after_an_ok_too_and_never_does_not_restart() {
    run_paused(no_leak(async {
        let log = Log::new();
        let mut group = Group::named("app");
        supervised(
            &mut group,
            "cron",
            &[Act::Ok(10), Act::Ok(10), Act::Fail(10)],
            &log,
        )
        .restart(no_backoff(Restart::Always).max_restarts(2));
        let err = group.run().await.unwrap_err();
        assert_eq!(log.names(), ["cron 0", "cron 1", "cron 2"]);
        let Error::RestartLimit { restarts, last, .. } = &err else {
            panic!("expected the restart limit, got {err:?}");
        };
        assert_eq!(*restarts, 2);
        assert_eq!(
            last.as_deref().unwrap().to_string(),
            "actor `app/cron` failed"
        );

        let log = Log::new();
        let mut group = Group::named("app");
        supervised(&mut group, "once", &[Act::Fail(10)], &log).restart(Restart::Never);
        let err = group.run().await.unwrap_err();
        assert_eq!(log.names(), ["once 0"]);
        assert_eq!(
            err.report().to_string(),
            "actor `app/once` failed: failure 0"
        );
    }));
}

#[test]
fn the_intensity_limit_escalates_only_when_reached_within_the_period() {
    run_paused(no_leak(async {
        // Failing every 10 ms: the 4th failure would be a 4th restart within 1 s.
        let log = Log::new();
        let mut group = Group::named("app");
        supervised(&mut group, "fast", &[Act::Fail(10)], &log).restart(
            no_backoff(Restart::OnFailure)
                .max_restarts(3)
                .within(SECOND),
        );
        let err = group.run().await.unwrap_err();
        assert_eq!(log.names().len(), 4);
        assert_eq!(
            err.report().to_string(),
            "actor `app/fast` restarted 3 times within 1s, the most allowed: giving up: \
             actor `app/fast` failed: failure 3"
        );
        assert_eq!(err.actor().unwrap(), "app/fast");
        assert_eq!(Error::exit_status(&Err(err)), 1);

        // Failing every 400 ms: never more than 3 restarts within 1 s, so it goes on until
        // it succeeds on its 10th run.
        let log = Log::new();
        let mut group = Group::named("app");
        let mut acts = vec![Act::Fail(400); 9];
        acts.push(Act::Ok(0));
        supervised(&mut group, "slow", &acts, &log).restart(
            no_backoff(Restart::OnFailure)
                .max_restarts(3)
                .within(SECOND),
        );
        group.run().await.unwrap();
        assert_eq!(log.names().len(), 10);
    }));
}

#[test]
fn the_backoff_doubles_with_jitter_up_to_its_cap() {
    run_paused(no_leak(async {
        let log = Log::new();
        let mut group = Group::named("app");
        let mut acts = vec![Act::Fail(0); 7];
        acts.push(Act::Ok(0));
        supervised(&mut group, "link", &acts, &log).restart(
            RestartPolicy::new(Restart::OnFailure)
                .max_restarts(100)
                .within(60 * SECOND)
                .backoff(Backoff::new(100 * MS, 500 * MS)),
        );
        group.run().await.unwrap();
        let gaps = log.gaps();
        // Ceilings 100, 200, 400, 500, 500, ... ms; each delay in [ceiling / 2, ceiling].
        let ceilings = [100, 200, 400, 500, 500, 500, 500].map(|ms| ms * MS);
        assert_eq!(gaps.len(), ceilings.len());
        for (gap, ceiling) in gaps.iter().zip(ceilings) {
            assert!(
                *gap >= ceiling / 2 && *gap <= ceiling,
                "{gap:?} not within [{:?}, {ceiling:?}]: {gaps:?}",
                ceiling / 2
            );
        }
        // Jittered: not every delay at the same point of its range.
        let at_bottom = gaps
            .iter()
            .zip(ceilings)
            .filter(|(g, c)| **g == *c / 2)
            .count();
        assert!(at_bottom < gaps.len(), "{gaps:?}");
    }));
}

#[test]
fn the_backoff_resets_after_a_run_as_long_as_the_period() {
    run_paused(no_leak(async {
        let log = Log::new();
        let mut group = Group::named("app");
        // Quick failures, then a run of 2 s (longer than the 1 s period), then quick again.
        let acts = [
            Act::Fail(0),
            Act::Fail(0),
            Act::Fail(2000),
            Act::Fail(0),
            Act::Ok(0),
        ];
        supervised(&mut group, "link", &acts, &log).restart(
            RestartPolicy::new(Restart::OnFailure)
                .max_restarts(100)
                .within(SECOND)
                .backoff(Backoff::new(100 * MS, 10 * SECOND)),
        );
        group.run().await.unwrap();
        let gaps = log.gaps();
        let within = |gap: Duration, ceiling: Duration| gap >= ceiling / 2 && gap <= ceiling;
        assert!(within(gaps[0], 100 * MS), "{gaps:?}");
        assert!(within(gaps[1], 200 * MS), "{gaps:?}");
        // The third ran 2 s: its restart starts over at the first delay.
        assert!(within(gaps[2] - 2 * SECOND, 100 * MS), "{gaps:?}");
        assert!(within(gaps[3], 200 * MS), "{gaps:?}");
    }));
}

#[test]
fn a_bad_policy_is_refused_before_anything_starts() {
    run_paused(async {
        let log = Log::new();
        let mut group = Group::named("app");
        supervised(&mut group, "link", &[Act::Ok(0)], &log)
            .restart(RestartPolicy::new(Restart::Always).within(Duration::ZERO));
        let err = group.run().await.unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(_)), "{err:?}");
        assert!(log.names().is_empty());
    });
}

/// One strategy, four restartable actors and a plain one; `c` fails once.
fn strategy_run(strategy: Strategy) -> (Vec<String>, Vec<String>) {
    run_paused(no_leak(async move {
        let log = Log::new();
        let trace = Recorder::new();
        let mut group = Group::named("app").strategy(strategy).hook(trace.hook());
        supervised(&mut group, "a", &[Act::Serve], &log);
        supervised(&mut group, "b", &[Act::Serve], &log);
        let plain = log.clone();
        group
            .spawn(move |ctx: Context| async move {
                plain
                    .starts
                    .lock()
                    .unwrap()
                    .push(("plain".into(), Duration::ZERO));
                ctx.interrupted().await;
            })
            .name("plain");
        supervised(&mut group, "c", &[Act::Fail(10), Act::Serve], &log)
            .restart(no_backoff(Restart::OnFailure));
        supervised(&mut group, "d", &[Act::Serve], &log);
        // Ends the run once the restarts are done.
        group
            .spawn(|_ctx: Context| tokio::time::sleep(SECOND))
            .name("timer");
        group.run().await.unwrap();
        let lines = trace
            .lines()
            .into_iter()
            .filter(|line| line.contains("interrupted") || line.contains("restarting"))
            .filter(|line| !line.contains("timer"))
            .collect();
        (log.names(), lines)
    }))
}

#[test]
fn one_for_one_restarts_only_the_failed_actor() {
    let (starts, _) = strategy_run(Strategy::OneForOne);
    assert_eq!(starts, ["a 0", "b 0", "plain", "c 0", "d 0", "c 1"]);
}

#[test]
fn one_for_all_stops_the_others_in_reverse_and_starts_all_in_order() {
    let (starts, lines) = strategy_run(Strategy::OneForAll);
    assert_eq!(
        starts,
        [
            "a 0", "b 0", "plain", "c 0", "d 0", "a 1", "b 1", "c 1", "d 1"
        ]
    );
    // Before the final stop: c failed (its interrupt is still called once, as in any
    // group), d, b, a stopped in reverse start order; the plain actor untouched.
    assert_eq!(
        lines[..8],
        [
            "app/c interrupted",
            "app/c restarting #1 in 0ns",
            "app/d interrupted",
            "app/d restarting #1 in 0ns",
            "app/b interrupted",
            "app/b restarting #1 in 0ns",
            "app/a interrupted",
            "app/a restarting #1 in 0ns",
        ]
    );
    assert!(
        !lines[..8].iter().any(|line| line.contains("plain")),
        "{lines:?}"
    );
}

#[test]
fn rest_for_one_restarts_the_failed_actor_and_those_added_after_it() {
    let (starts, _) = strategy_run(Strategy::RestForOne);
    assert_eq!(starts, ["a 0", "b 0", "plain", "c 0", "d 0", "c 1", "d 1"]);
}

#[test]
fn nothing_restarts_once_the_group_is_stopping() {
    run_paused(no_leak(async {
        let log = Log::new();
        let trace = Recorder::new();
        let mut group = Group::named("app").hook(trace.hook());
        // Fails when interrupted: a failure during the shutdown, on the error, no restart.
        let made = log.clone();
        group
            .supervise(move || {
                made.starts
                    .lock()
                    .unwrap()
                    .push(("stubborn".into(), Duration::ZERO));
                |ctx: Context| async move {
                    ctx.interrupted().await;
                    Err::<(), _>(std::io::Error::other("failed to stop"))
                }
            })
            .name("stubborn");
        // In its backoff when the group stops: it does not start again.
        supervised(&mut group, "flaky", &[Act::Fail(10)], &log)
            .restart(RestartPolicy::new(Restart::OnFailure).backoff(Backoff::new(SECOND, SECOND)));
        group
            .spawn(|_ctx: Context| tokio::time::sleep(100 * MS))
            .name("timer");
        let err = group.run().await.unwrap_err();
        assert_eq!(log.names(), ["stubborn", "flaky 0"]);
        let report = err.report().to_string();
        assert!(
            report.contains("actor `app/stubborn` failed: failed to stop"),
            "{report}"
        );
        // Its failure was handled (a restart was decided): history, not a failure of the stop.
        assert!(!report.contains("app/flaky"), "{report}");
        let restarts = trace
            .lines()
            .iter()
            .filter(|line| line.contains("restarting"))
            .count();
        assert_eq!(restarts, 1, "{:?}", trace.lines());
    }));
}

#[test]
fn nothing_restarts_once_the_group_is_stopping_even_before_the_actors_own_stage_is_interrupted() {
    run_paused(no_leak(async {
        let log = Log::new();
        let mut group = Group::named("app");
        // Stage 0: stops the group at 5 ms, then takes 50 ms to stop.
        group
            .spawn(|ctx: Context| async move {
                tokio::time::sleep(5 * MS).await;
                ctx.request_stop();
                ctx.interrupted().await;
                tokio::time::sleep(50 * MS).await;
            })
            .name("slow")
            .stage(0);
        // Stage 1, interrupted only at 55 ms: fails at 10 ms, during the stop, with restarts
        // to spare and no backoff. It is not started again, and its failure, one it would
        // have restarted after, is no failure of the stop.
        supervised(&mut group, "flaky", &[Act::Fail(10)], &log).restart(
            no_backoff(Restart::OnFailure)
                .max_restarts(100)
                .within(SECOND),
        );
        let start = Instant::now();
        let result = group.run().await;
        assert_eq!(log.names(), ["flaky 0"]);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(start.elapsed(), 55 * MS);
    }));
}

#[test]
fn status_shows_every_state_nested() {
    run_paused(no_leak(async {
        let log = Log::new();
        let mut group = Group::named("app");
        let status = group.status_handle();
        group
            .spawn(|ctx: Context| async move {
                let mut nested = ctx.group_named("http");
                nested
                    .spawn(|conn: Context| conn.into_interrupted())
                    .name("listener");
                nested.run().await
            })
            .name("server");
        supervised(&mut group, "flaky", &[Act::Fail(100), Act::Serve], &log)
            .restart(RestartPolicy::new(Restart::OnFailure).backoff(Backoff::new(SECOND, SECOND)));
        group
            .spawn(|_ctx: Context| async {})
            .exit(run::ExitPolicy::Task)
            .name("job");
        group
            .spawn(|ctx: Context| async move {
                ctx.interrupted().await;
                tokio::time::sleep(SECOND).await; // slow to stop
            })
            .name("slow");
        let snapshots = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&snapshots);
        group
            .spawn(move |ctx: Context| async move {
                tokio::time::sleep(50 * MS).await;
                seen.lock().unwrap().push(ctx.status());
                tokio::time::sleep(100 * MS).await; // flaky failed at 100 ms: backing off
                seen.lock().unwrap().push(ctx.status());
                tokio::time::sleep(2 * SECOND).await; // restarted
                seen.lock().unwrap().push(ctx.status());
            })
            .name("probe");
        let running = tokio::spawn(group.run());
        tokio::time::sleep(2500 * MS).await; // the probe has returned: the group is stopping
        let stopping = status.snapshot();
        running.await.unwrap().unwrap();
        assert!(status.snapshot().actors.is_empty());

        let snapshots = snapshots.lock().unwrap();
        let state = |snapshot: &run::Status, path: &str| snapshot.find(path).unwrap().state;
        let first = &snapshots[0];
        assert_eq!(state(first, "app/server"), ActorState::Running);
        assert_eq!(
            state(first, "app/server/http/listener"),
            ActorState::Running
        );
        assert_eq!(state(first, "app/flaky"), ActorState::Running);
        assert_eq!(state(first, "app/job"), ActorState::Exited);
        assert_eq!(first.find("app/job").unwrap().uptime, None);
        assert_eq!(first.find("app/server").unwrap().uptime, Some(50 * MS));
        assert_eq!(
            first.to_string(),
            "app/server: running, up 50ms\n  \
               app/server/http (group): running, up 50ms\n    \
                 app/server/http/listener: running, up 50ms\n\
             app/flaky: running, up 50ms\n\
             app/job: exited\n\
             app/slow: running, up 50ms\n\
             app/probe: running, up 50ms\n"
        );
        let backing_off = snapshots[1].find("app/flaky").unwrap();
        assert_eq!(backing_off.state, ActorState::Restarting);
        assert_eq!(backing_off.restarts, 1);
        assert_eq!(
            backing_off.last_error.as_deref(),
            Some("actor `app/flaky` failed: failure 0")
        );
        let restarted = snapshots[2].find("app/flaky").unwrap();
        assert_eq!(restarted.state, ActorState::Running);
        assert!(restarted.uptime.unwrap() < 2 * SECOND, "{restarted:?}");
        assert_eq!(state(&stopping, "app/slow"), ActorState::Stopping);
        assert_eq!(state(&stopping, "app/probe"), ActorState::Exited);
    }));
}

#[test]
fn a_child_started_at_run_time_restarts_and_its_handle_stops_just_its_subtree() {
    run_paused(no_leak(async {
        let log = Log::new();
        let trace = Recorder::new();
        let mut group = Group::named("app").hook(trace.hook());
        let made = log.clone();
        group
            .spawn(move |ctx: Context| async move {
                let made = made.clone();
                let starts = Arc::new(Mutex::new(0));
                let session = ctx.supervise_named(
                    "session",
                    move || {
                        let made = made.clone();
                        let starts = Arc::clone(&starts);
                        move |session: Context| async move {
                            let nth = {
                                let mut starts = starts.lock().unwrap();
                                *starts += 1;
                                *starts - 1
                            };
                            made.starts
                                .lock()
                                .unwrap()
                                .push((format!("session {nth}"), made.t0.elapsed()));
                            if nth == 0 {
                                tokio::time::sleep(10 * MS).await;
                                return Err(Error::Cancelled); // any failure
                            }
                            // A subtree: a nested group of two.
                            let mut nested = session.group();
                            nested
                                .spawn(|c: Context| c.into_interrupted())
                                .name("reader");
                            nested
                                .spawn(|c: Context| c.into_interrupted())
                                .name("writer");
                            nested.run().await
                        }
                    },
                    no_backoff(Restart::OnFailure),
                )?;
                tokio::time::sleep(SECOND).await;
                let status = ctx.status();
                let child = status
                    .find("app/server/session")
                    .expect("the child in the status");
                assert_eq!(child.restarts, 1);
                assert_eq!(child.state, ActorState::Running);
                assert_eq!(child.children.len(), 2, "{status}");
                session.stop();
                session.join().await?;
                // Stopped alone: this actor runs on, and the child is gone from the status.
                assert!(!ctx.is_interrupted());
                assert!(ctx.status().find("app/server/session").is_none());
                ctx.interrupted().await;
                Ok::<_, Error>(())
            })
            .name("server");
        group
            .spawn(|_ctx: Context| tokio::time::sleep(2 * SECOND))
            .name("timer");
        group.run().await.unwrap();
        assert_eq!(log.names(), ["session 0", "session 1"]);
        assert_in_order(
            &trace.lines(),
            &[
                "app/server/session restarting #1 in 0ns",
                "app/server/session/reader interrupted",
                "app/server/session exited",
                "app/timer exited",
            ],
        );
    }));
}

#[test]
fn a_child_past_its_limit_stops_the_group_and_its_join_says_why() {
    run_paused(no_leak(async {
        let (joined, join) = tokio::sync::oneshot::channel();
        let mut group = Group::named("app");
        group
            .spawn(move |ctx: Context| async move {
                let child = ctx.supervise_named(
                    "link",
                    || |_c: Context| async { Err::<(), _>(std::io::Error::other("down")) },
                    no_backoff(Restart::OnFailure).max_restarts(1),
                )?;
                let _ = joined.send(child.join().await);
                ctx.interrupted().await;
                Ok::<_, Error>(())
            })
            .name("server");
        let err = group.run().await.unwrap_err();
        assert_eq!(
            err.report().to_string(),
            "actor `app/server/link` restarted 1 time within 30s, the most allowed: giving up: \
             actor `app/server/link` failed: down"
        );
        let joined = join.await.unwrap().unwrap_err();
        assert!(matches!(joined, Error::RestartLimit { .. }), "{joined:?}");
    }));
}

#[test]
fn a_child_with_a_bad_policy_is_refused() {
    run_paused(async {
        let mut group = Group::new();
        group.spawn(|ctx: Context| async move {
            let refused = ctx.supervise(
                || |_c: Context| async {},
                RestartPolicy::new(Restart::Always).within(Duration::ZERO),
            );
            assert!(
                matches!(refused, Err(Error::InvalidConfig(_))),
                "{refused:?}"
            );
        });
        group.run().await.unwrap();
    });
}

// --- Nested, as most apps run: a derived struct's group (`main`) inside a root group -----------

/// How a restartable actor in its backoff is stopped.
#[derive(Clone, Copy, Debug, PartialEq)]
enum BackoffStop {
    /// An actor calls `ctx.request_stop()`.
    RequestStop,
    /// The root group stops: a sibling of `main` returns.
    ParentStop,
}

/// Runs `flaky` (fails at 10 ms, then backs off 1 s) in a group `main` nested in a root
/// group, and stops everything at 100 ms, during the backoff.
fn stop_during_backoff(stop: BackoffStop) -> (Result<(), Error>, Vec<String>) {
    run_paused(no_leak(async move {
        let log = Log::new();
        let trace = Recorder::new();
        let mut root = Group::new().hook(trace.hook());
        let made = log.clone();
        root.spawn(move |ctx: Context| async move {
            let mut app = ctx.group();
            supervised(&mut app, "flaky", &[Act::Fail(10)], &made).restart(
                RestartPolicy::new(Restart::OnFailure).backoff(Backoff::new(SECOND, SECOND)),
            );
            if stop == BackoffStop::RequestStop {
                app.spawn(|ctx: Context| async move {
                    tokio::time::sleep(100 * MS).await;
                    ctx.request_stop();
                    ctx.interrupted().await;
                })
                .name("stopper");
            }
            app.run().await
        })
        .name("main");
        if stop == BackoffStop::ParentStop {
            root.spawn(|_ctx: Context| tokio::time::sleep(100 * MS))
                .name("timer");
        }
        let result = root.run().await;
        assert_eq!(log.names(), ["flaky 0"]);
        (result, trace.lines())
    }))
}

#[test]
fn a_stop_during_a_backoff_does_not_return_the_failure_already_handled() {
    for stop in [BackoffStop::RequestStop, BackoffStop::ParentStop] {
        let (result, lines) = stop_during_backoff(stop);
        assert!(result.is_ok(), "{stop:?}: {result:?}");
        // The failure was reported once, as it happened, then the restart was decided.
        let failed = "main/flaky failed: actor `main/flaky` failed: failure 0";
        let failures = lines.iter().filter(|line| *line == failed).count();
        assert_eq!(failures, 1, "{lines:?}");
        let failed_at = lines.iter().position(|line| line == failed);
        let restarting_at =
            (lines.iter()).position(|line| line.starts_with("main/flaky restarting #1 "));
        assert!(failed_at < restarting_at, "{lines:?}");
    }
}

#[test]
fn stopping_a_child_in_its_backoff_stops_only_that_child() {
    run_paused(no_leak(async {
        let mut root = Group::new();
        root.spawn(|ctx: Context| async move {
            let mut app = ctx.group();
            app.spawn(|ctx: Context| async move {
                let child = ctx.supervise_named(
                    "session",
                    || |_c: Context| async { Err::<(), _>(std::io::Error::other("dropped")) },
                    RestartPolicy::new(Restart::OnFailure).backoff(Backoff::new(SECOND, SECOND)),
                )?;
                tokio::time::sleep(100 * MS).await; // in its backoff
                child.stop();
                child.join().await?;
                tokio::time::sleep(100 * MS).await;
                assert!(!ctx.is_interrupted(), "the child's stop stopped its group");
                Ok::<_, Error>(())
            })
            .name("server");
            app.run().await
        })
        .name("main");
        let start = Instant::now();
        root.run().await.unwrap();
        assert_eq!(start.elapsed(), 200 * MS);
    }));
}

#[test]
fn an_incarnation_gets_the_actors_whole_timeout_when_the_group_stops() {
    /// Notes when the actor's future is dropped (aborted).
    struct DropAt(Arc<Mutex<Option<Instant>>>);
    impl Drop for DropAt {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(Instant::now());
        }
    }

    run_paused(no_leak(async {
        let dropped = Arc::new(Mutex::new(None));
        let trace = Recorder::new();
        let mut root = Group::new().hook(trace.hook());
        let at = Arc::clone(&dropped);
        root.spawn(move |ctx: Context| async move {
            let mut app = ctx.group();
            app.supervise(move || {
                let at = Arc::clone(&at);
                move |ctx: Context| async move {
                    let _drop_at = DropAt(at);
                    ctx.interrupted().await;
                    std::future::pending::<Result<(), std::io::Error>>().await // stuck
                }
            })
            .name("stuck")
            .timeout(100 * MS);
            app.run().await
        })
        .name("main");
        root.spawn(|_ctx: Context| tokio::time::sleep(SECOND))
            .name("timer");
        let start = Instant::now();
        let err = root.run().await.unwrap_err();
        let aborted = dropped.lock().unwrap().expect("the actor was aborted");
        assert_eq!(aborted - start, SECOND + 100 * MS);
        assert_eq!(
            err.to_string(),
            "shutdown timed out; still running: main/stuck"
        );
        assert_in_order(&trace.lines(), &["main/stuck timed out"]);
    }));
}

#[test]
fn an_incarnation_gets_the_whole_timeout_the_budget_check_accepted_even_when_it_fills_its_stage() {
    /// Notes when the actor's future is dropped (aborted).
    struct DropAt(Arc<Mutex<Option<Instant>>>);
    impl Drop for DropAt {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(Instant::now());
        }
    }

    run_paused(no_leak(async {
        let dropped = Arc::new(Mutex::new(None));
        let trace = Recorder::new();
        // Three stages of 300 ms: the first may use 100 ms, all of which `slow`'s timeout
        // takes (accepted: it fits). Its incarnation is aborted 100 ms after its interrupt,
        // not a nested margin earlier.
        let mut app = Group::named("app")
            .shutdown_timeout(300 * MS)
            .hook(trace.hook());
        let at = Arc::clone(&dropped);
        app.supervise(move || {
            let at = Arc::clone(&at);
            move |ctx: Context| async move {
                let _drop_at = DropAt(at);
                ctx.interrupted().await;
                tokio::time::sleep(150 * MS).await;
                Ok::<(), std::io::Error>(())
            }
        })
        .name("slow")
        .stage(0)
        .timeout(100 * MS);
        app.spawn(|ctx: Context| ctx.into_interrupted()).name("api");
        app.spawn(|_ctx: Context| tokio::time::sleep(10 * MS))
            .name("stopper")
            .stage(2);
        let start = Instant::now();
        let err = app.run().await.unwrap_err();
        let aborted = dropped.lock().unwrap().expect("the actor was aborted");
        assert_eq!(aborted - start, 110 * MS);
        assert_eq!(
            err.to_string(),
            "shutdown timed out; still running: app/slow"
        );
        let timed_out = (trace.lines().iter())
            .filter(|line| line.starts_with("app/slow timed out"))
            .count();
        assert_eq!(timed_out, 1, "{:?}", trace.lines());
    }));
}

/// A restartable child aborted with its owner is dropped by the time `run` returns.
async fn child_aborted_with_its_owner(timeout: Duration) {
    /// Counts the incarnations made (with their runner) and dropped.
    #[derive(Default)]
    struct Counts {
        made: AtomicUsize,
        dropped: AtomicUsize,
    }
    struct Dropped(Arc<Counts>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }

    let counts = Arc::new(Counts::default());
    let made = Arc::clone(&counts);
    let mut app = Group::named("app");
    // `owner` returns at once; its restartable child ignores its interrupt: at the owner's
    // timeout both are aborted, and the child's incarnation, a scope of its own, hands its
    // task up as the child is dropped, while the group joins the child: that task too is
    // joined before `run` returns.
    app.spawn(move |ctx: Context| async move {
        let _child = ctx.supervise_named(
            "session",
            move || {
                made.made.fetch_add(1, Ordering::SeqCst);
                let dropped = Dropped(Arc::clone(&made));
                move |_c: Context| async move {
                    let _dropped = dropped;
                    std::future::pending::<Result<(), std::io::Error>>().await
                }
            },
            RestartPolicy::new(Restart::Never),
        )?;
        Ok::<(), Error>(())
    })
    .name("owner")
    .timeout(timeout);
    app.spawn(move |_ctx: Context| tokio::time::sleep(timeout))
        .name("stopper");
    let err = app.run().await.unwrap_err();
    assert_eq!(
        counts.dropped.load(Ordering::SeqCst),
        counts.made.load(Ordering::SeqCst),
        "an incarnation outlived run: {err}"
    );
}

#[test]
fn a_restartable_child_aborted_with_its_owner_is_dropped_by_the_time_run_returns() {
    run_paused(no_leak(child_aborted_with_its_owner(100 * MS)));
    // On other workers, the child may be dropped (and its incarnation's task handed up)
    // while the group already joins it: the group joins what was handed up meanwhile too.
    // Many runs, since that takes a worker to run the child's drop just then.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for _ in 0..500 {
        runtime.block_on(child_aborted_with_its_owner(Duration::from_micros(50)));
    }
}

#[test]
fn past_its_limit_a_restartable_actor_is_reported_whatever_its_exit_policy() {
    for policy in [ExitPolicy::Service, ExitPolicy::Task, ExitPolicy::Sidecar] {
        run_paused(no_leak(async move {
            let log = Log::new();
            let trace = Recorder::new();
            let mut root = Group::new().hook(trace.hook());
            let made = log.clone();
            root.spawn(move |ctx: Context| async move {
                let mut app = ctx.group();
                supervised(&mut app, "link", &[Act::Fail(10)], &made)
                    .restart(no_backoff(Restart::OnFailure).max_restarts(1))
                    .exit(policy);
                app.spawn(|_ctx: Context| tokio::time::sleep(SECOND))
                    .name("timer");
                app.run().await
            })
            .name("main");
            let result = root.run().await;
            assert_eq!(log.names(), ["link 0", "link 1"], "{policy:?}");
            let lines = trace.lines();
            assert_in_order(
                &lines,
                &[
                    "main/link failed: actor `main/link` failed: failure 1",
                    "main/link gave up after 1 restart within 30s",
                ],
            );
            let gave_up = lines.iter().filter(|line| line.contains("gave up")).count();
            assert_eq!(gave_up, 1, "{policy:?}: {lines:?}");
            if policy == ExitPolicy::Sidecar {
                // A sidecar's failure never stops the group and is never returned.
                assert!(result.is_ok(), "{result:?}");
            } else {
                assert_eq!(
                    result.unwrap_err().report().to_string(),
                    "actor `main/link` restarted 1 time within 30s, the most allowed: giving \
                     up: actor `main/link` failed: failure 1"
                );
            }
        }));
    }
}

#[test]
fn a_restartable_actor_is_ready_while_an_incarnation_runs_not_in_its_backoff() {
    run_paused(no_leak(async {
        let log = Log::new();
        let mut group = Group::named("app");
        let readiness = group.readiness();
        supervised(&mut group, "link", &[Act::Fail(100), Act::Serve], &log)
            .restart(RestartPolicy::new(Restart::OnFailure).backoff(Backoff::new(SECOND, SECOND)));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let probe = Arc::clone(&seen);
        let start = Instant::now();
        group
            .spawn(move |ctx: Context| async move {
                let readiness = ctx.readiness().expect("the group tracks readiness");
                // Running at 50 ms, failed at 100 ms, restarted by 1100 ms.
                for at in [50, 150, 1250] {
                    tokio::time::sleep_until(start + at * MS).await;
                    probe.lock().unwrap().push(readiness.is_ready());
                }
            })
            .name("probe");
        group.run().await.unwrap();
        assert!(!readiness.is_ready());
        assert_eq!(*seen.lock().unwrap(), [true, false, true]);
    }));
}

/// Where restarts meet readiness and the start-up timeout: each incarnation of a restartable
/// `ready_when_told` actor, two levels down, is ready only once it says so, and the start-up
/// timeout names it by its full path while it is not.
#[test]
fn a_restartable_actor_ready_when_told_is_ready_only_once_each_incarnation_says_so() {
    run_paused(no_leak(async {
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut app = Group::named("app").startup_timeout(5 * SECOND);
        let readiness = app.readiness();
        let counted = Arc::clone(&runs);
        let mut nested = Group::named("db");
        nested
            .supervise(move || {
                let counted = Arc::clone(&counted);
                move |ctx: Context| async move {
                    let run = counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(100 * MS).await;
                    if run == 0 {
                        return Err(std::io::Error::other("first run fails before it is ready"));
                    }
                    // Later runs never say they are ready.
                    ctx.interrupted().await;
                    Ok(())
                }
            })
            .name("pool")
            .ready_when_told()
            .restart(RestartPolicy::new(Restart::OnFailure).backoff(Backoff::new(SECOND, SECOND)));
        app.spawn(nested).name("store");
        let probe = readiness.clone();
        let start = Instant::now();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&seen);
        app.spawn(move |ctx: Context| async move {
            // Running at 50 ms, in its backoff at 150 ms, running again (silent) at 1250 ms.
            for at in [50, 150, 1250] {
                tokio::time::sleep_until(start + at * MS).await;
                kept.lock().unwrap().push(probe.is_ready());
            }
            // The start-up timeout stops the app at 5 s; a stop at 6 s means it never did.
            tokio::select! {
                () = ctx.interrupted() => {}
                () = tokio::time::sleep_until(start + 6 * SECOND) => ctx.request_stop(),
            }
        })
        .name("probe");
        let error = app.run().await.unwrap_err();
        assert_eq!(*seen.lock().unwrap(), [false, false, false]);
        assert_eq!(
            error.to_string(),
            "start-up timed out after 5s; not ready: app/store/pool"
        );
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 2);
    }));
}
