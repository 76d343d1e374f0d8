//! The group beyond oklog's list: exit policies, panics, dropping `run()`, names, interrupt kinds.

mod common;

use std::{
    future::{Future, pending},
    io,
    sync::Arc,
    task::{Poll, Wake, Waker},
    time::Duration,
};

use common::{Log, no_leak};
use run::{Cause, Context, Error, ExitPolicy, Group, Interrupt, Runner};
use tokio::sync::{mpsc, oneshot};

type IoResult = Result<(), io::Error>;

async fn wait_interrupted(ctx: Context) -> IoResult {
    ctx.interrupted().await;
    Ok(())
}

/// Whether `future` is still pending once every task is idle (paused time auto-advances only
/// then), however long it is given.
async fn still_pending_when_idle<F: Future + Unpin>(future: &mut F) -> bool {
    tokio::time::timeout(Duration::from_secs(3600), future)
        .await
        .is_err()
}

#[tokio::test]
#[should_panic(expected = "still alive")]
async fn the_leak_check_catches_a_leaked_task() {
    no_leak(async {
        tokio::spawn(pending::<()>());
    })
    .await;
}

// --- Exit policies ---------------------------------------------------------------------------

#[tokio::test]
async fn a_group_of_tasks_returns_ok_once_all_are_done() {
    no_leak(async {
        let log = Log::default();
        let mut group = Group::new();
        for name in ["a", "b", "c"] {
            let log = log.clone();
            group
                .spawn(move |ctx: Context| async move {
                    tokio::task::yield_now().await;
                    log.push(format!(
                        "{name} done, interrupted: {}",
                        ctx.is_interrupted()
                    ));
                    Ok::<_, io::Error>(())
                })
                .exit(ExitPolicy::Task);
        }
        group.run().await.unwrap();
        let mut events = log.take();
        events.sort();
        assert_eq!(
            events,
            ["a", "b", "c"].map(|n| format!("{n} done, interrupted: false"))
        );
    })
    .await;
}

#[tokio::test]
async fn a_tasks_error_stops_the_group() {
    no_leak(async {
        let mut group = Group::new();
        group.spawn(wait_interrupted).exit(ExitPolicy::Task);
        group
            .spawn(|_ctx: Context| async { Err::<(), _>(io::Error::other("bad")) })
            .name("failing")
            .exit(ExitPolicy::Task);
        let err = group.run().await.unwrap_err();
        assert_eq!(err.report().to_string(), "actor `failing` failed: bad");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_tasks_ok_does_not_stop_a_service() {
    no_leak(async {
        let (stop, stopped) = oneshot::channel::<()>();
        let (service_interrupted, was_interrupted) = oneshot::channel::<bool>();
        let mut group = Group::new();
        group
            .spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) })
            .exit(ExitPolicy::Task);
        group.spawn(move |ctx: Context| async move {
            stopped.await.unwrap();
            service_interrupted.send(ctx.is_interrupted()).unwrap();
            Ok::<_, io::Error>(())
        });
        let mut running = tokio::spawn(group.run());
        assert!(still_pending_when_idle(&mut running).await);
        stop.send(()).unwrap();
        running.await.unwrap().unwrap();
        assert!(
            !was_interrupted.await.unwrap(),
            "the service exited on its own"
        );
    })
    .await;
}

#[tokio::test]
async fn a_sidecars_exit_does_not_stop_the_group_and_it_is_interrupted_at_the_end() {
    no_leak(async {
        let log = Log::default();
        let (sidecar_done, sidecar_exited) = oneshot::channel::<()>();
        let mut group = Group::new();
        group
            .spawn(|_ctx: Context| async move {
                sidecar_done.send(()).unwrap();
                Err::<(), _>(io::Error::other("sidecar failed"))
            })
            .exit(ExitPolicy::Sidecar);
        let service_log = log.clone();
        group.spawn(move |_ctx: Context| async move {
            sidecar_exited.await.unwrap();
            service_log.push("service exits after the sidecar");
            Ok::<_, io::Error>(())
        });
        let watcher_log = log.clone();
        group
            .spawn(move |ctx: Context| async move {
                ctx.interrupted().await;
                watcher_log.push("watcher interrupted");
                Ok::<_, io::Error>(())
            })
            .exit(ExitPolicy::Sidecar);
        group.run().await.unwrap();
        assert_eq!(
            log.take(),
            ["service exits after the sidecar", "watcher interrupted"]
        );
    })
    .await;
}

#[tokio::test]
async fn a_group_of_only_sidecars_runs_until_all_have_exited() {
    no_leak(async {
        let (first_done, first_exited) = oneshot::channel::<()>();
        let mut group = Group::new();
        group
            .spawn(|_ctx: Context| async move {
                first_done.send(()).unwrap();
                Ok::<_, io::Error>(())
            })
            .exit(ExitPolicy::Sidecar);
        group
            .spawn(move |ctx: Context| async move {
                first_exited.await.unwrap();
                assert!(
                    !ctx.is_interrupted(),
                    "the first sidecar's exit stopped the group"
                );
                Ok::<_, io::Error>(())
            })
            .exit(ExitPolicy::Sidecar);
        group.run().await.unwrap();
    })
    .await;
}

// --- Panics ----------------------------------------------------------------------------------

#[tokio::test]
async fn a_panicking_execute_becomes_error_panic_and_stops_the_group() {
    no_leak(async {
        let log = Log::default();
        let mut group = Group::named("app");
        for name in ["before", "after"] {
            let log = log.clone();
            let (stop, stopped) = oneshot::channel::<()>();
            group.add(
                async move {
                    let _ = stopped.await;
                    Ok::<_, io::Error>(())
                },
                move |cause: &Cause| {
                    log.push(format!("{name} interrupted by {}", cause.actor().unwrap()));
                    drop(stop);
                },
            );
        }
        group
            .spawn(|_ctx: Context| async { panic!("worker blew up") as IoResult })
            .name("worker");
        let line = line!() - 2;
        let err = group.run().await.unwrap_err();
        let Error::Panic {
            actor,
            message,
            location,
            ..
        } = &err
        else {
            panic!("expected a panic, got {err:?}")
        };
        assert_eq!(*actor, "app/worker");
        assert_eq!(message, "worker blew up");
        let location = location.as_ref().expect("the hook records the location");
        assert!(location.file.ends_with("group.rs"), "{location}");
        assert_eq!(location.line, line);
        assert_eq!(
            log.take(),
            [
                "before interrupted by app/worker",
                "after interrupted by app/worker"
            ]
        );
        assert!(
            err.to_string()
                .starts_with("actor `app/worker` panicked at ")
        );
    })
    .await;
}

#[tokio::test]
async fn a_panicking_interrupt_is_reported_and_the_others_are_still_interrupted() {
    no_leak(async {
        let log = Log::default();
        let mut group = Group::new();
        group.spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) }).name("oneshot");
        let (stop, stopped) = oneshot::channel::<()>();
        group
            .add(
                async move {
                    let _ = stopped.await;
                    Ok::<_, io::Error>(())
                },
                move |_: &Cause| {
                    drop(stop);
                    panic!("interrupt blew up");
                },
            )
            .name("closer");
        let after = log.clone();
        group
            .add(
                async { Ok::<_, io::Error>(()) },
                move |_: &Cause| after.push("after interrupted"),
            )
            .name("after");
        let err = group.run().await.unwrap_err();
        assert!(
            matches!(&err, Error::Panic { actor, message, .. } if *actor == "closer" && message == "interrupt blew up"),
            "{err:?}"
        );
        assert_eq!(log.take(), ["after interrupted"]);
    })
    .await;
}

#[tokio::test]
async fn a_panic_in_a_nested_group_names_the_full_path() {
    no_leak(async {
        let mut http = Group::new();
        http.spawn(wait_interrupted).name("listen");
        http.spawn(|_ctx: Context| async { panic!("accept failed") as IoResult })
            .name("accept");
        let mut app = Group::named("app");
        app.spawn(http).name("http");
        app.spawn(wait_interrupted).name("metrics");
        let err = app.run().await.unwrap_err();
        assert_eq!(err.actor().unwrap(), "app/http/accept");
        assert!(err.is_panic());
    })
    .await;
}

#[tokio::test]
async fn the_panic_payload_can_resume_the_unwind() {
    let mut group = Group::new();
    group.spawn(|_ctx: Context| async { std::panic::panic_any(42_u32) as IoResult });
    let err = group.run().await.unwrap_err();
    assert!(matches!(&err, Error::Panic { message, .. } if message == "Box<dyn Any>"));
    let payload = err.try_into_panic().unwrap();
    let resumed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        std::panic::resume_unwind(payload)
    }));
    assert_eq!(resumed.unwrap_err().downcast_ref::<u32>(), Some(&42));
}

// --- Dropping run() --------------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn dropping_run_interrupts_then_aborts_every_actor() {
    no_leak(async {
        let log = Log::default();
        let mut dropped = Vec::new();
        let mut group = Group::new();
        for name in ["a", "b"] {
            let (guard, guard_dropped) = oneshot::channel::<()>();
            dropped.push(guard_dropped);
            let log = log.clone();
            group.add(
                async move {
                    let _guard = guard;
                    pending::<IoResult>().await
                },
                move |cause: &Cause| log.push(format!("{name}: {cause:?}")),
            );
        }
        let mut running = Box::pin(group.run());
        assert!(still_pending_when_idle(&mut running).await);
        drop(running);
        assert_eq!(log.take(), ["a: Cancelled", "b: Cancelled"]);
        for guard in dropped {
            // The sender is dropped with the aborted future.
            assert!(guard.await.is_err());
        }
        // Let the runtime finish releasing the aborted tasks before the leak check.
        tokio::time::sleep(Duration::from_millis(1)).await;
    })
    .await;
}

// --- Names -----------------------------------------------------------------------------------

struct Worker;

impl Runner for Worker {
    type Error = io::Error;

    async fn run(self, ctx: Context) -> IoResult {
        ctx.interrupted().await;
        Ok(())
    }
}

async fn metrics(ctx: Context) -> IoResult {
    ctx.interrupted().await;
    Ok(())
}

/// A runner that reports its context's name, then waits to be interrupted.
fn report_name(names: &mpsc::UnboundedSender<String>) -> impl Runner<Error = io::Error> + use<> {
    let names = names.clone();
    run::from_fn(move |ctx| async move {
        names.send(ctx.name().to_string()).unwrap();
        ctx.interrupted().await;
        Ok(())
    })
}

/// Runs `group` with an extra actor that stops it once `count` names were reported, and
/// returns the names in the order reported.
async fn names_reported(
    mut group: Group,
    count: usize,
    mut names: mpsc::UnboundedReceiver<String>,
) -> Vec<String> {
    let (all, got_all) = oneshot::channel();
    group
        .spawn(move |_ctx: Context| async move {
            let mut got = Vec::new();
            while got.len() < count {
                got.push(names.recv().await.unwrap());
            }
            all.send(got).unwrap();
            Ok::<_, io::Error>(())
        })
        .name("stopper");
    group.run().await.unwrap();
    let mut got = got_all.await.unwrap();
    got.sort();
    got
}

struct Reporter(mpsc::UnboundedSender<String>);

impl Runner for Reporter {
    type Error = io::Error;

    async fn run(self, ctx: Context) -> IoResult {
        report_name(&self.0).run(ctx).await
    }
}

#[tokio::test]
async fn names_come_from_options_types_fns_or_positions() {
    no_leak(async {
        let (send, names) = mpsc::unbounded_channel();
        let mut group = Group::named("app");
        group.spawn(Reporter(send.clone()));
        group.spawn(report_name(&send));
        group.spawn(Reporter(send.clone())).name("named");
        group.spawn(metrics);
        let got = names_reported(group, 3, names).await;
        assert_eq!(got, ["app/Reporter", "app/actor-1", "app/named"]);
        assert_eq!(metrics.name(), "metrics");
        assert_eq!(Worker.name(), "Worker");
    })
    .await;
}

#[tokio::test]
async fn nested_groups_form_paths() {
    no_leak(async {
        let (send, names) = mpsc::unbounded_channel();
        let mut accept = Group::new();
        accept.spawn(report_name(&send)).name("accept");
        let mut http = Group::new();
        http.spawn(accept).name("listener");
        http.spawn(report_name(&send)).name("router");
        let mut app = Group::named("app");
        app.spawn(http).name("http");
        app.spawn(report_name(&send)).name("metrics");
        let got = names_reported(app, 3, names).await;
        assert_eq!(
            got,
            ["app/http/listener/accept", "app/http/router", "app/metrics"]
        );
    })
    .await;
}

// --- Interrupt kinds -------------------------------------------------------------------------

#[tokio::test]
async fn abort_drops_the_future_and_counts_as_ok() {
    no_leak(async {
        let (guard, guard_dropped) = oneshot::channel::<()>();
        let mut group = Group::new();
        group
            .spawn(move |_ctx: Context| async move {
                let _guard = guard;
                pending::<IoResult>().await
            })
            .interrupt(Interrupt::Abort);
        group.spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) });
        group.run().await.unwrap();
        assert!(guard_dropped.await.is_err());
    })
    .await;
}

#[tokio::test]
async fn a_call_interrupt_runs_before_the_context_is_marked() {
    no_leak(async {
        let log = Log::default();
        let (ctx_sender, ctx_slot) = std::sync::mpsc::channel::<Context>();
        let call_log = log.clone();
        let mut group = Group::new();
        group
            .spawn(move |ctx: Context| {
                ctx_sender.send(ctx.clone()).unwrap();
                wait_interrupted(ctx)
            })
            .interrupt(Interrupt::call(move |_cause| {
                let ctx = ctx_slot.recv().unwrap();
                call_log.push(format!("marked during the call: {}", ctx.is_interrupted()));
            }));
        group.spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) });
        group.run().await.unwrap();
        assert_eq!(log.take(), ["marked during the call: false"]);
    })
    .await;
}

// --- Outside a runtime -----------------------------------------------------------------------

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

#[test]
fn running_outside_a_tokio_runtime_is_a_typed_error() {
    let mut group = Group::new();
    group.spawn(wait_interrupted);
    let mut running = std::pin::pin!(group.run());
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let Poll::Ready(result) = running.as_mut().poll(&mut cx) else {
        panic!("run() outside a runtime must not wait")
    };
    assert!(matches!(result, Err(Error::NoRuntime)));
}

#[tokio::test]
async fn the_last_interrupt_set_wins() {
    no_leak(async {
        let log = Log::default();
        let mut group = Group::new();
        let replaced = log.clone();
        let (guard, guard_dropped) = oneshot::channel::<()>();
        group
            .add(
                async move {
                    let _guard = guard;
                    pending::<IoResult>().await
                },
                move |_: &Cause| replaced.push("replaced call ran"),
            )
            .interrupt(Interrupt::Abort);
        let kept = log.clone();
        group
            .spawn(wait_interrupted)
            .interrupt(Interrupt::call(|_| unreachable!("replaced")))
            .interrupt(Interrupt::call(move |_| kept.push("kept call ran")));
        group.spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) });
        group.run().await.unwrap();
        assert_eq!(log.take(), ["kept call ran"]);
        assert!(
            guard_dropped.await.is_err(),
            "the aborted future was dropped"
        );
    })
    .await;
}
