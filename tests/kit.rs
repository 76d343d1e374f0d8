//! Staged shutdown, timeouts and signals tested with the test kit (`run::testing`): paused
//! time, an injected signal, a recorded trace, scripted actors.

use std::time::Duration;

use run::{
    Error, Group, Signal,
    testing::{Recorder, Script, SignalInjector, assert_in_order, run_paused},
};

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn a_signal_stops_the_stages_in_order_and_a_stuck_actor_is_named() {
    let trace = Recorder::new();
    let (signals, injector) = SignalInjector::new();
    let hook = trace.hook();
    let (result, elapsed) = run_paused(async move {
        let mut group = Group::named("app").shutdown_timeout(10 * SECOND).hook(hook);
        group.spawn(signals);
        group.spawn(Script::obeys_after(SECOND)).name("http");
        group
            .spawn(Script::ignores_interrupt())
            .name("cache")
            .timeout(2 * SECOND);
        group.spawn(Script::obeys()).name("flusher").stage(2);
        injector.send(Signal::Terminate);
        let start = tokio::time::Instant::now();
        let result = group.run().await;
        (result, start.elapsed())
    });
    let err = result.unwrap_err();
    assert_eq!(
        err.report().to_string(),
        "shutdown timed out; still running: app/cache; the shutdown began with: received SIGTERM"
    );
    // Stage 1 ends when the cache times out (2 s), then the flusher stops at once.
    assert_eq!(elapsed, 2 * SECOND);
    assert_in_order(
        &trace.lines(),
        &[
            "app/signals exited: received SIGTERM",
            "app/http interrupted",
            "app/cache interrupted",
            "app/http exited",
            "app/cache timed out",
            "app/flusher interrupted",
            "app/flusher exited",
        ],
    );
}

#[test]
fn a_second_injected_signal_forces_the_stop() {
    let (signals, injector) = SignalInjector::new();
    let result = run_paused(async move {
        let mut group = Group::named("app");
        group.spawn(signals);
        group.spawn(Script::obeys_after(3600 * SECOND)).name("slow");
        let running = tokio::spawn(group.run());
        injector.send(Signal::Interrupt);
        tokio::time::sleep(SECOND).await; // the shutdown has begun; the slow actor drains
        injector.send(Signal::Interrupt);
        running.await.unwrap()
    });
    assert!(
        matches!(
            result,
            Err(Error::Forced {
                signal: Signal::Interrupt,
                ..
            })
        ),
        "{result:?}"
    );
    assert_eq!(Error::exit_status(&result), 130);
}

#[test]
fn scripted_failures_and_panics_are_all_on_the_error() {
    let result = run_paused(async {
        let mut group = Group::named("app");
        group
            .spawn(Script::fails_after(SECOND, "disk full"))
            .name("writer");
        group
            .spawn(Script::panics_after(2 * SECOND, "bug"))
            .name("buggy")
            .exit(run::ExitPolicy::Sidecar);
        group.spawn(Script::obeys()).name("server");
        group.run().await
    });
    // The writer's failure stopped the group before the sidecar's panic could happen.
    let err = result.unwrap_err();
    assert_eq!(
        err.report().to_string(),
        "actor `app/writer` failed: disk full"
    );
}
