//! oklog/run's own test list, one test per rule, plus the leak check in every scenario.

mod common;

use std::{io, time::Duration};

use common::{Log, no_leak};
use run::{Cause, Context, Error, Group};
use tokio::sync::oneshot;

fn io_error(message: &str) -> io::Error {
    io::Error::other(message.to_owned())
}

#[tokio::test]
async fn zero_actors_return_ok_at_once() {
    no_leak(async {
        assert!(Group::new().run().await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn one_actors_error_is_returned_as_is() {
    no_leak(async {
        let mut group = Group::new();
        group.add(async { Err::<(), _>(io_error("boom")) }, |_: &Cause| {});
        let err = group.run().await.unwrap_err();
        assert!(matches!(err, Error::Failed { .. }), "{err:?}");
        let source = err
            .downcast_ref::<io::Error>()
            .expect("the actor's own error");
        assert_eq!(source.to_string(), "boom");
        assert_eq!(err.report().to_string(), "actor `actor-0` failed: boom");
    })
    .await;
}

#[tokio::test]
async fn one_actor_returning_ok_gives_ok() {
    no_leak(async {
        let mut group = Group::new();
        group.add(async { Ok::<(), io::Error>(()) }, |_: &Cause| {});
        group.run().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_actors_the_blocked_one_is_interrupted() {
    no_leak(async {
        let (stop, stopped) = oneshot::channel::<()>();
        let mut group = Group::new();
        group.add(async { Err::<(), _>(io_error("first")) }, |_: &Cause| {});
        group.add(
            async move {
                stopped.await.expect("the interrupt sends before it drops");
                Ok::<(), io::Error>(())
            },
            move |_: &Cause| stop.send(()).unwrap(),
        );
        let err = group.run().await.unwrap_err();
        assert_eq!(err.report().to_string(), "actor `actor-0` failed: first");
    })
    .await;
}

#[tokio::test]
async fn interrupts_run_once_each_in_add_order_with_the_same_cause() {
    no_leak(async {
        let log = Log::default();
        let mut group = Group::new();
        for name in ["a", "b", "c", "d"] {
            let (stop, stopped) = oneshot::channel::<()>();
            let log = log.clone();
            group
                .add(
                    async move {
                        if name == "c" {
                            return Err(io_error("c failed"));
                        }
                        let _ = stopped.await;
                        Ok(())
                    },
                    move |cause: &Cause| {
                        let actor = cause.actor().map(ToString::to_string);
                        let result = cause.result().map_err(|e| e.report().to_string());
                        log.push(format!("{name}: {actor:?} {result:?}"));
                        let _ = stop.send(());
                    },
                )
                .name(name);
        }
        let err = group.run().await.unwrap_err();
        assert_eq!(err.actor().unwrap(), "c");
        let cause = r#"Some("c") Err("actor `c` failed: c failed")"#;
        assert_eq!(
            log.take(),
            ["a", "b", "c", "d"].map(|name| format!("{name}: {cause}"))
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn run_returns_only_after_every_execute_has_returned() {
    no_leak(async {
        let (interrupted, was_interrupted) = oneshot::channel::<()>();
        let (release, released) = oneshot::channel::<()>();
        let mut group = Group::new();
        group.spawn(move |ctx: Context| async move {
            ctx.interrupted().await;
            interrupted.send(()).unwrap();
            // Still busy after the interrupt: run() must wait for this.
            released.await.unwrap();
            Ok::<_, io::Error>(())
        });
        group.spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) });
        let mut running = tokio::spawn(group.run());
        was_interrupted.await.unwrap();
        // Paused time only advances once every task is idle: run() is blocked on the slow
        // actor, however long it is given.
        let waited = tokio::time::timeout(Duration::from_secs(3600), &mut running).await;
        assert!(waited.is_err(), "run() returned before its slow actor did");
        release.send(()).unwrap();
        running.await.unwrap().unwrap();
    })
    .await;
}

#[tokio::test]
async fn outside_cancellation_stops_the_group_with_cancelled() {
    no_leak(async {
        let (inner_result, inner_done) = oneshot::channel();
        let mut outer = Group::named("outer");
        outer
            .spawn(|ctx: Context| async move {
                let mut inner = ctx.group();
                inner
                    .spawn(|ctx: Context| async move {
                        ctx.interrupted().await;
                        assert!(matches!(ctx.cause(), Some(Cause::Cancelled)));
                        Ok::<_, io::Error>(())
                    })
                    .name("worker");
                let result = inner.run().await;
                inner_result.send(result).unwrap();
                Ok::<_, io::Error>(())
            })
            .name("inner");
        outer
            .spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) })
            .name("stopper");
        outer.run().await.unwrap();
        assert!(matches!(inner_done.await.unwrap(), Err(Error::Cancelled)));
    })
    .await;
}
