//! Fault injection beyond the model test: what a hostile actor, interrupt or job does to the
//! guarantees (every interrupt once, nothing lost, nothing left running).

mod common;

use std::{
    io,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::no_leak;
use run::{Context, Error, Group, Interrupt, Pool};

/// Panics when dropped: a destructor that fails.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("drop failed");
    }
}

#[tokio::test]
async fn a_destructor_that_panics_in_an_actor_is_its_panic() {
    no_leak(async {
        let mut group = Group::named("app");
        group
            .spawn(|_ctx: Context| async {
                let _guard = PanicOnDrop;
                Ok::<_, io::Error>(())
            })
            .name("fragile");
        let err = group.run().await.unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert_eq!(err.actor().unwrap(), "app/fragile");
        assert!(err.to_string().ends_with(": drop failed"), "{err}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_that_blocks_its_thread_delays_but_loses_no_other() {
    no_leak(async {
        let delivered = Arc::new(AtomicUsize::new(0));
        let mut group = Group::new();
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .interrupt(Interrupt::call(|_cause| {
                // What a `Call` must not do; done anyway, it only delays the others.
                std::thread::sleep(Duration::from_millis(100));
            }));
        for _ in 0..10 {
            let delivered = Arc::clone(&delivered);
            group
                .spawn(|ctx: Context| async move { ctx.interrupted().await })
                .interrupt(Interrupt::call(move |_cause| {
                    delivered.fetch_add(1, Ordering::SeqCst);
                }));
        }
        group.spawn(|_ctx: Context| async {});
        group.run().await.unwrap();
        assert_eq!(delivered.load(Ordering::SeqCst), 10);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_that_fails_while_the_others_are_still_starting() {
    no_leak(async {
        let interrupted = Arc::new(AtomicUsize::new(0));
        let mut group = Group::named("app");
        // First in add order, so its task may run and fail before the others are spawned.
        group
            .spawn(|_ctx: Context| async { Err::<(), _>(io::Error::other("early")) })
            .name("early");
        for _ in 0..1000 {
            let interrupted = Arc::clone(&interrupted);
            group
                .spawn(|ctx: Context| async move { ctx.interrupted().await })
                .interrupt(Interrupt::call(move |_cause| {
                    interrupted.fetch_add(1, Ordering::SeqCst);
                }));
        }
        let err = group.run().await.unwrap_err();
        assert_eq!(err.report().to_string(), "actor `app/early` failed: early");
        assert_eq!(
            interrupted.load(Ordering::SeqCst),
            1000,
            "each interrupted once"
        );
    })
    .await;
}

#[tokio::test]
async fn a_pool_job_that_panics_while_the_pool_closes_is_reported_on_its_handle() {
    let pool = Pool::builder().max(2).build().unwrap();
    let (started, start) = tokio::sync::oneshot::channel::<()>();
    let job = pool
        .submit(async move {
            let _ = started.send(());
            tokio::task::yield_now().await;
            panic!("job broke while closing");
        })
        .await
        .unwrap();
    start.await.unwrap();
    pool.close().await.unwrap();
    let err = job.await.unwrap_err();
    assert!(matches!(err, Error::Panic { .. }), "{err:?}");
    assert!(
        err.to_string().ends_with(": job broke while closing"),
        "{err}"
    );
}

#[tokio::test]
async fn a_destructor_that_panics_when_an_aborted_actor_is_dropped_is_not_lost() {
    no_leak(async {
        let mut group = Group::named("app");
        group
            .spawn(|_ctx: Context| async {
                let _guard = PanicOnDrop;
                std::future::pending::<()>().await;
            })
            .name("aborted")
            .interrupt(Interrupt::Abort);
        group.spawn(|_ctx: Context| async {}).name("oneshot");
        let err = group.run().await.unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert_eq!(err.actor().unwrap(), "app/aborted");
    })
    .await;
}

/// A hand-written future that returns its result at once and whose destructor then fails:
/// the group reports an exit only once the actor's future is gone, so this panic is the
/// actor's.
struct ReturnsThenPanicsOnDrop(Option<io::Result<()>>, PanicOnDrop);

impl std::future::Future for ReturnsThenPanicsOnDrop {
    type Output = io::Result<()>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(self.0.take().expect("polled once"))
    }
}

#[tokio::test]
async fn a_destructor_that_panics_after_the_actor_returned_is_its_panic() {
    no_leak(async {
        let mut group = Group::named("app");
        group
            .add(ReturnsThenPanicsOnDrop(Some(Ok(())), PanicOnDrop), |_| {})
            .name("returned");
        let err = group.run().await.unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert_eq!(err.actor().unwrap(), "app/returned");
        assert!(err.to_string().ends_with(": drop failed"), "{err}");
    })
    .await;
}

/// The same when the actor had failed already: both are on the result.
#[tokio::test]
async fn a_destructor_that_panics_after_the_actor_failed_is_kept_with_its_error() {
    no_leak(async {
        let mut group = Group::named("app");
        group
            .add(
                ReturnsThenPanicsOnDrop(Some(Err(io::Error::other("failed"))), PanicOnDrop),
                |_| {},
            )
            .name("failed");
        let err = group.run().await.unwrap_err();
        let Error::Shutdown { cause, failures } = &err else {
            panic!("expected the error and the panic, got {err:?}");
        };
        assert!(!cause.is_panic(), "{cause:?}");
        assert_eq!(cause.actor().unwrap(), "app/failed");
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0].is_panic(), "{failures:?}");
        assert_eq!(failures[0].actor().unwrap(), "app/failed");
    })
    .await;
}

/// A hand-written future that panics when polled and again when dropped: the group drops it
/// before it reports the first panic, so the second is not lost with its task.
struct PanicsThenPanicsOnDrop(PanicOnDrop);

impl std::future::Future for PanicsThenPanicsOnDrop {
    type Output = io::Result<()>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        panic!("poll failed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destructor_that_panics_after_the_actor_panicked_is_kept_too() {
    no_leak(async {
        let mut group = Group::named("app");
        group
            .add(PanicsThenPanicsOnDrop(PanicOnDrop), |_| {})
            .name("twice");
        let err = group.run().await.unwrap_err();
        let Error::Shutdown { cause, failures } = &err else {
            panic!("expected both panics, got {err:?}");
        };
        assert!(cause.to_string().ends_with(": poll failed"), "{cause}");
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].to_string().ends_with(": drop failed"),
            "{failures:?}"
        );
        assert_eq!(failures[0].actor().unwrap(), "app/twice");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_destructor_that_panics_when_a_timed_out_actor_is_aborted_is_not_lost() {
    no_leak(async {
        let mut group = Group::named("app");
        group
            .spawn(|_ctx: Context| async {
                let _guard = PanicOnDrop;
                std::future::pending::<()>().await;
            })
            .name("stuck")
            .timeout(Duration::from_secs(1));
        group.spawn(|_ctx: Context| async {}).name("oneshot");
        let err = group.run().await.unwrap_err();
        let Error::ShutdownTimeout { stuck, cause } = &err else {
            panic!("expected a timeout, got {err:?}");
        };
        assert_eq!(*stuck, ["app/stuck"]);
        let cause = cause.as_deref().expect("the panic as the cause");
        assert!(cause.is_panic(), "{cause:?}");
        assert_eq!(cause.actor().unwrap(), "app/stuck");
    })
    .await;
}

/// Adding to a running group from inside it: a child started while its actor runs is
/// tracked; one started once the actor is interrupted runs too, interrupted from the start
/// (the work it was given is not lost); one started once the actor has ended is refused,
/// naming the actor, and never runs.
#[tokio::test]
async fn adding_to_a_stopping_group_runs_and_to_an_ended_actor_is_refused() {
    no_leak(async {
        let ran = Arc::new(AtomicUsize::new(0));
        let (keep, kept) = tokio::sync::oneshot::channel::<Context>();
        let mut group = Group::named("app");
        let counter = Arc::clone(&ran);
        group
            .spawn(move |ctx: Context| async move {
                let early = Arc::clone(&counter);
                ctx.spawn(move |_child: Context| async move {
                    early.fetch_add(1, Ordering::SeqCst);
                })
                .unwrap();
                ctx.interrupted().await;
                let late = Arc::clone(&counter);
                ctx.spawn(move |child: Context| async move {
                    assert!(child.is_interrupted());
                    late.fetch_add(100, Ordering::SeqCst);
                })
                .unwrap();
                let _ = keep.send(ctx);
            })
            .name("server");
        group.spawn(|_ctx: Context| async {}).name("oneshot");
        group.run().await.unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 101);

        // Adding to an ended actor: the context outlived its group, the child never runs.
        let ctx = kept.await.unwrap();
        let counter = Arc::clone(&ran);
        let refused = ctx.spawn(move |_child: Context| async move {
            counter.fetch_add(1_000, Ordering::SeqCst);
        });
        let Err(refused) = refused else {
            panic!("a child of an ended actor must be refused");
        };
        assert!(matches!(&refused, Error::Ended { actor } if actor == "app/server"));
        assert_eq!(
            refused.to_string(),
            "actor `app/server` has ended; cannot spawn a child task"
        );
        tokio::task::yield_now().await;
        assert_eq!(ran.load(Ordering::SeqCst), 101);
    })
    .await;
}

/// Adding to a task group that has stopped, or that has finished a `wait`: a stopped one
/// refuses, a finished one (not stopped) runs the task in a new round.
#[tokio::test]
async fn go_on_a_stopped_task_group_is_refused_and_on_a_finished_one_runs() {
    no_leak(async {
        let tasks = run::TaskGroup::new();
        tasks.go(|_ctx: Context| async {}).await.unwrap();
        tasks.wait().await.unwrap();
        let (ran, runs) = tokio::sync::oneshot::channel();
        tasks
            .go(move |_ctx: Context| async move {
                let _ = ran.send(());
            })
            .await
            .unwrap();
        tasks.wait().await.unwrap();
        runs.await
            .expect("a finished (not stopped) task group runs new tasks");

        tasks.cancel();
        let refused = tasks
            .go(|_ctx: Context| async { unreachable!("must not run") as () })
            .await;
        assert!(matches!(refused, Err(Error::Stopped)), "{refused:?}");
        assert!(matches!(tasks.wait().await, Err(Error::Cancelled)));
    })
    .await;
}
