//! Shutdown timeouts, stages and async interrupts, exact under paused time.

mod common;

use std::{future::pending, io, time::Duration};

use common::{Log, no_leak};
use run::{Cause, Context, Error, Group, Interrupt, Token};
use tokio::time::{Instant, sleep};
use tokio_util::sync::CancellationToken;

const SECOND: Duration = Duration::from_secs(1);

/// An actor that logs when it is interrupted and when it returns, `stop_after` after the
/// interrupt, with the time since `start` in whole seconds.
fn actor(
    log: &Log,
    name: &'static str,
    start: Instant,
    stop_after: Option<Duration>,
) -> impl run::Runner<Error = io::Error> + use<> {
    let log = log.clone();
    run::from_fn(move |ctx: Context| async move {
        ctx.interrupted().await;
        log.push(format!(
            "{name} interrupted at {}s",
            start.elapsed().as_secs()
        ));
        match stop_after {
            Some(after) => sleep(after).await,
            None => pending().await,
        }
        log.push(format!("{name} returned at {}s", start.elapsed().as_secs()));
        Ok(())
    })
}

fn failing(message: &'static str) -> impl run::Runner<Error = io::Error> {
    run::from_fn(move |_ctx| async move { Err(io::Error::other(message)) })
}

#[tokio::test(start_paused = true)]
async fn the_shutdown_timeout_names_every_stuck_actor_and_keeps_the_cause() {
    no_leak(async {
        let log = Log::default();
        let start = Instant::now();
        let mut group = Group::named("app");
        group.spawn(actor(&log, "db", start, None)).name("db");
        group
            .spawn(actor(&log, "http", start, Some(2 * SECOND)))
            .name("http");
        group.spawn(actor(&log, "cache", start, None)).name("cache");
        group.spawn(failing("config missing")).name("loader");
        let group = group.shutdown_timeout(5 * SECOND);
        let err = group.run().await.unwrap_err();
        assert_eq!(start.elapsed(), 5 * SECOND);
        let Error::ShutdownTimeout { stuck, cause } = &err else {
            panic!("expected a timeout, got {err:?}")
        };
        assert_eq!(*stuck, ["app/db", "app/cache"]);
        assert_eq!(cause.as_ref().unwrap().actor().unwrap(), "app/loader");
        assert_eq!(
            err.report().to_string(),
            "shutdown timed out; still running: app/db, app/cache; \
             the shutdown began with: actor `app/loader` failed: config missing"
        );
        assert_eq!(
            log.take(),
            [
                "db interrupted at 0s",
                "http interrupted at 0s",
                "cache interrupted at 0s",
                "http returned at 2s"
            ]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_interrupt_delays_no_other() {
    no_leak(async {
        let log = Log::default();
        let start = Instant::now();
        let mut group = Group::new();
        let slow = log.clone();
        group
            .spawn(actor(&log, "slow", start, Some(SECOND)))
            .name("slow")
            .interrupt(Interrupt::call_async(move |_cause| async move {
                sleep(10 * SECOND).await;
                slow.push(format!(
                    "slow interrupt done at {}s",
                    start.elapsed().as_secs()
                ));
            }));
        group
            .spawn(actor(&log, "fast", start, Some(SECOND)))
            .name("fast");
        group.spawn(failing("stop")).name("stopper");
        group.run().await.unwrap_err();
        // The actor counts as returned once its interrupt has too.
        assert_eq!(start.elapsed(), 10 * SECOND);
        let mut events = log.take();
        events.sort();
        assert_eq!(
            events,
            [
                "fast interrupted at 0s",
                "fast returned at 1s",
                "slow interrupt done at 10s",
                "slow interrupted at 0s",
                "slow returned at 1s",
            ]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn stages_are_interrupted_in_order_each_after_the_last_has_returned() {
    no_leak(async {
        let log = Log::default();
        let start = Instant::now();
        let mut group = Group::new();
        group
            .spawn(actor(&log, "flusher", start, Some(SECOND)))
            .name("flusher")
            .stage(3);
        group
            .spawn(actor(&log, "http", start, Some(2 * SECOND)))
            .name("http");
        group
            .spawn(actor(&log, "deregister", start, Some(SECOND)))
            .name("deregister")
            .stage(0);
        group
            .spawn(actor(&log, "worker", start, Some(3 * SECOND)))
            .name("worker");
        group.spawn(failing("stop")).name("stopper").stage(3);
        group.run().await.unwrap_err();
        assert_eq!(
            log.take(),
            [
                "deregister interrupted at 0s",
                "deregister returned at 1s",
                "http interrupted at 1s",
                "worker interrupted at 1s",
                "http returned at 3s",
                "worker returned at 4s",
                "flusher interrupted at 4s",
                "flusher returned at 5s",
            ]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn an_actors_own_timeout_aborts_it_without_waiting_for_the_groups() {
    no_leak(async {
        let log = Log::default();
        let start = Instant::now();
        let mut group = Group::new();
        group
            .spawn(actor(&log, "stuck", start, None))
            .name("stuck")
            .timeout(SECOND);
        group
            .spawn(actor(&log, "slow", start, Some(3 * SECOND)))
            .name("slow");
        group
            .spawn(actor(&log, "next", start, Some(SECOND)))
            .name("next")
            .stage(2);
        group.spawn(failing("stop")).name("stopper");
        let group = group.shutdown_timeout(60 * SECOND);
        let err = group.run().await.unwrap_err();
        assert!(
            matches!(&err, Error::ShutdownTimeout { stuck, .. } if *stuck == ["stuck"]),
            "{err:?}"
        );
        assert_eq!(start.elapsed(), 4 * SECOND);
        let events = log.take();
        assert_eq!(
            events[events.len() - 2..],
            ["next interrupted at 3s", "next returned at 4s"]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn past_the_group_timeout_later_stages_are_interrupted_and_aborted_at_once() {
    no_leak(async {
        let log = Log::default();
        let start = Instant::now();
        let interrupted = Log::default();
        let mut group = Group::new();
        group.spawn(actor(&log, "stuck", start, None)).name("stuck");
        let later = interrupted.clone();
        group
            .add(pending::<Result<(), io::Error>>(), move |cause: &Cause| {
                later.push(format!(
                    "later interrupted by {:?}",
                    cause.actor().map(ToString::to_string)
                ));
            })
            .name("later")
            .stage(2);
        group.spawn(failing("stop")).name("stopper");
        let group = group.shutdown_timeout(2 * SECOND);
        let err = group.run().await.unwrap_err();
        assert_eq!(start.elapsed(), 2 * SECOND);
        assert!(
            matches!(&err, Error::ShutdownTimeout { stuck, .. } if *stuck == ["stuck", "later"]),
            "{err:?}"
        );
        assert_eq!(
            interrupted.take(),
            [r#"later interrupted by Some("stopper")"#]
        );
    })
    .await;
}

#[tokio::test]
async fn a_token_stops_the_group_from_outside() {
    no_leak(async {
        let token = CancellationToken::new();
        let mut group = Group::new();
        group.spawn(Token::new(token.clone()));
        group.spawn(|ctx: Context| async move {
            ctx.interrupted().await;
            // The one cause of a stop from outside, as for `run_until` and a parent.
            assert!(matches!(ctx.cause(), Some(Cause::Cancelled)));
            Ok::<_, io::Error>(())
        });
        let running = tokio::spawn(group.run());
        token.cancel();
        assert!(matches!(running.await.unwrap(), Err(Error::Cancelled)));
    })
    .await;
}

#[tokio::test]
async fn a_token_actor_interrupted_first_returns_ok() {
    no_leak(async {
        let mut group = Group::new();
        group.spawn(Token::new(CancellationToken::new()));
        group.spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) });
        group.run().await.unwrap();
    })
    .await;
}

/// A stage reached with no time left still lets every actor that returns at once return,
/// however many there are: only the slow ones of the stage before are named.
#[tokio::test(start_paused = true)]
async fn a_stage_reached_out_of_time_lets_many_prompt_actors_return() {
    no_leak(async {
        let mut group = Group::named("app").shutdown_timeout(Duration::from_millis(1));
        for index in 0..100 {
            group
                .spawn(|ctx: Context| async move {
                    ctx.interrupted().await;
                    sleep(SECOND).await; // slow: past the first stage's share
                })
                .name(format!("slow-{index}"))
                .stage(0);
            group
                .spawn(|ctx: Context| ctx.into_interrupted())
                .name(format!("prompt-{index}"));
        }
        group.spawn(|_ctx: Context| async {}).name("trigger");
        let err = group.run().await.unwrap_err();
        let Error::ShutdownTimeout { stuck, .. } = &err else {
            panic!("expected a timeout, got {err:?}");
        };
        assert_eq!(stuck.len(), 100, "{err}");
        assert!(
            stuck
                .iter()
                .all(|name| name.actor.leaf().starts_with("slow-")),
            "{err}"
        );
    })
    .await;
}
