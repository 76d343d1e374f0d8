//! The shutdown budget and stuck-actor forensics (SPEC S7), under paused time: what does not
//! fit is refused at start, and a stuck or forced shutdown says who was doing what, since when.

use std::time::Duration;

use run::{
    testing::{run_paused, SignalInjector},
    BudgetPart, Context, Error, Group, Signal,
};

const SECOND: Duration = Duration::from_secs(1);

/// Serves until interrupted, then flushes forever, saying so.
async fn hangs_flushing(ctx: Context) {
    ctx.phase("serving");
    ctx.interrupted().await;
    ctx.phase("flushing");
    tokio::time::sleep(SECOND).await;
    ctx.phase("flushing"); // again: the phase keeps its start
    std::future::pending::<()>().await;
}

#[test]
fn a_stuck_actor_is_named_with_its_phase_and_the_time_in_it() {
    let err = run_paused(async {
        let mut group = Group::named("app").shutdown_timeout(4 * SECOND);
        group.spawn(hangs_flushing).name("db");
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("quiet");
        group.spawn(|_ctx: Context| async {}).name("job");
        group.run().await.unwrap_err()
    });
    let Error::ShutdownTimeout { stuck, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*stuck, ["app/db"]);
    assert_eq!(stuck[0].phase.as_deref(), Some("flushing"));
    assert_eq!(stuck[0].in_phase, 4 * SECOND);
    assert_eq!(
        err.report().to_string(),
        r#"shutdown timed out; still running: app/db (phase "flushing" for 4.0s)"#
    );
}

#[test]
fn a_stuck_actor_without_a_phase_is_named_alone_and_an_own_timeout_counts_from_its_interrupt() {
    let err = run_paused(async {
        let mut group = Group::named("app").shutdown_timeout(10 * SECOND);
        group
            .spawn(|_ctx: Context| std::future::pending::<()>())
            .name("plain");
        group
            .spawn(|ctx: Context| async move {
                ctx.phase("syncing");
                std::future::pending::<()>().await
            })
            .name("own")
            .timeout(2 * SECOND);
        group.spawn(|_ctx: Context| async {}).name("job");
        group.run().await.unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        r#"shutdown timed out; still running: app/own (phase "syncing" for 2.0s), app/plain"#
    );
}

#[test]
fn a_nested_stuck_leaf_keeps_its_phase() {
    let err = run_paused(async {
        let mut app = Group::named("app").shutdown_timeout(4 * SECOND);
        app.spawn(|ctx: Context| async move {
            let mut inner = ctx.group();
            inner.spawn(hangs_flushing).name("db");
            inner.run().await
        })
        .name("store");
        app.spawn(|_ctx: Context| async {}).name("job");
        app.run().await.unwrap_err()
    });
    let Error::ShutdownTimeout { stuck, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*stuck, ["app/store/db"]);
    assert_eq!(stuck[0].phase.as_deref(), Some("flushing"));
    // The nested group stops its leaf just before the parent's deadline.
    assert!(stuck[0].in_phase < 4 * SECOND && stuck[0].in_phase >= 3 * SECOND);
}

#[test]
fn a_forced_exit_names_the_actors_it_aborted_with_their_phases() {
    let (signals, injector) = SignalInjector::new();
    let result = run_paused(async move {
        let mut group = Group::named("app").shutdown_timeout(60 * SECOND);
        group.spawn(signals);
        group.spawn(hangs_flushing).name("db");
        group
            .spawn(|ctx: Context| async move {
                let mut inner = ctx.group();
                inner.spawn(hangs_flushing).name("writer");
                inner.run().await
            })
            .name("store");
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("done");
        let running = tokio::spawn(group.run());
        tokio::task::yield_now().await;
        injector.send(Signal::Interrupt);
        tokio::time::sleep(2 * SECOND).await;
        injector.send(Signal::Interrupt);
        running.await.unwrap()
    });
    let Err(Error::Forced { signal, aborted }) = &result else {
        panic!("{result:?}")
    };
    assert_eq!(*signal, Signal::Interrupt);
    assert_eq!(*aborted, ["app/db", "app/store/writer"]);
    assert_eq!(
        result.unwrap_err().to_string(),
        r#"received SIGINT again while shutting down: aborted app/db (phase "flushing" for 2.0s), app/store/writer (phase "flushing" for 2.0s)"#
    );
}

#[test]
fn an_actor_timeout_that_cannot_fit_the_budget_is_refused_before_anything_starts() {
    let (err, started) = run_paused(async {
        let started = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut group = Group::named("app")
            .shutdown_timeout(30 * SECOND)
            .drain(10 * SECOND);
        let seen = started.clone();
        group
            .spawn(move |_ctx: Context| async move {
                seen.store(true, std::sync::atomic::Ordering::SeqCst);
            })
            .name("api");
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("flusher")
            .stage(2)
            .timeout(15 * SECOND);
        let err = group.run().await.unwrap_err();
        (err, started.load(std::sync::atomic::Ordering::SeqCst))
    });
    assert!(!started, "nothing starts");
    let Error::OverBudget {
        part:
            BudgetPart::Actor {
                actor,
                timeout,
                stage,
                stages,
                ..
            },
        available,
        budget,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*actor, "app/flusher");
    assert_eq!((*timeout, *stage, *stages), (15 * SECOND, 2, 2));
    assert_eq!((*available, *budget), (10 * SECOND, 30 * SECOND));
    assert_eq!(
        err.to_string(),
        "the shutdown budget of 30s cannot fit the 15s timeout of actor `app/flusher` (shutdown stage 2 of 2, each an even share of the time left): 10s at most is left for it"
    );
}

#[test]
fn timeouts_that_fit_are_honoured_in_full() {
    let err = run_paused(async {
        let mut group = Group::named("app")
            .shutdown_timeout(30 * SECOND)
            .drain(5 * SECOND);
        group
            .spawn(|ctx: Context| async move {
                ctx.interrupted().await;
                ctx.phase("closing");
                std::future::pending::<()>().await
            })
            .name("api")
            .timeout(2 * SECOND);
        group
            .spawn(|ctx: Context| async move {
                ctx.interrupted().await;
                ctx.phase("flushing");
                std::future::pending::<()>().await
            })
            .name("flusher")
            .stage(2)
            .timeout(23 * SECOND);
        // In the last stage: an actor without a timeout may use its stage's whole share.
        group
            .spawn(|ctx: Context| async move { ctx.stop_handle().stop() })
            .stage(2);
        group.run().await.unwrap_err()
    });
    assert_eq!(
        err.to_string(),
        r#"shutdown timed out; still running: app/api (phase "closing" for 2.0s), app/flusher (phase "flushing" for 23.0s)"#
    );
}
