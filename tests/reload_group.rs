//! Reload as a lifecycle event, in process: a reload reaches the actors that opted
//! in, waits for each, reports a failure (the error, the event) without stopping the group.

use std::time::Duration;

use run::{
    Context, Error, Group,
    testing::{Recorder, run_paused},
};
use tokio::sync::mpsc;

/// Answers every reload with `outcome`, telling `seen` each time.
async fn reloader(
    ctx: Context,
    outcome: Result<(), &'static str>,
    seen: mpsc::UnboundedSender<()>,
) {
    let mut reloads = ctx.reloads();
    loop {
        tokio::select! {
            () = ctx.interrupted() => return,
            request = reloads.requested() => {
                // Reloading takes a while: the reload waits for it.
                tokio::time::sleep(Duration::from_secs(1)).await;
                seen.send(()).unwrap();
                request.done(outcome.map_err(std::io::Error::other));
            }
        }
    }
}

#[test]
fn a_reload_waits_for_every_actor_and_a_failure_is_reported_without_stopping_the_group() {
    let recorder = Recorder::new();
    let hook = recorder.hook();
    let (reloaded, mut seen) = mpsc::unbounded_channel();
    run_paused(async move {
        let mut group = Group::named("app").hook(hook);
        let reload = group.reload_handle();
        let (good, bad) = (reloaded.clone(), reloaded);
        group
            .spawn(move |ctx: Context| reloader(ctx, Ok(()), good))
            .name("good");
        group
            .spawn(move |ctx: Context| reloader(ctx, Err("bad config"), bad))
            .name("bad");
        group
            .spawn(|ctx: Context| async move { ctx.interrupted().await })
            .name("server");
        group
            .spawn(move |ctx: Context| async move {
                tokio::task::yield_now().await; // the others opt in
                let start = tokio::time::Instant::now();
                let err = reload.reload().await.unwrap_err();
                assert_eq!(start.elapsed(), Duration::from_secs(1), "waited for both");
                assert_eq!(
                    err.to_string(),
                    "reload failed: actor `app/bad` failed: bad config"
                );
                let Error::ReloadFailed { failures } = &err else {
                    panic!("{err:?}")
                };
                assert_eq!(failures[0].actor().unwrap(), "app/bad");
                // Nothing stopped: a second reload reaches both again.
                assert!(reload.reload().await.is_err());
                ctx.stop_handle().stop();
            })
            .name("operator");
        group.run().await.unwrap();
    });
    let mut count = 0;
    while seen.try_recv().is_ok() {
        count += 1;
    }
    assert_eq!(count, 4, "each of the two actors reloaded twice");
    let failed: Vec<String> = recorder
        .lines()
        .into_iter()
        .filter(|line| line.contains("reload"))
        .collect();
    assert_eq!(
        failed,
        [
            "app/bad failed to reload: actor `app/bad` failed: bad config",
            "app/bad failed to reload: actor `app/bad` failed: bad config"
        ]
    );
}

#[test]
fn an_actor_that_stops_taking_part_does_not_hold_a_reload_and_a_dropped_request_is_done() {
    run_paused(async {
        let mut group = Group::named("app");
        let reload = group.reload_handle();
        let (opted_in, mut ready) = mpsc::unbounded_channel::<()>();
        let left = opted_in.clone();
        group.spawn(move |ctx: Context| async move {
            drop(ctx.reloads()); // took part, then stopped
            left.send(()).unwrap();
            ctx.interrupted().await;
        });
        group.spawn(move |ctx: Context| async move {
            let mut reloads = ctx.reloads();
            opted_in.send(()).unwrap();
            drop(reloads.requested().await); // unanswered: counts as done
            ctx.interrupted().await;
        });
        group.spawn(move |ctx: Context| async move {
            ready.recv().await;
            ready.recv().await;
            reload.reload().await.unwrap();
            ctx.stop_handle().stop();
        });
        group.run().await.unwrap();
    });
}

#[test]
fn a_group_without_actors_opted_in_reloads_at_once() {
    run_paused(async {
        let mut group = Group::new();
        let reload = group.reload_handle();
        group.spawn(move |ctx: Context| async move {
            reload.reload().await.unwrap();
            ctx.stop_handle().stop();
        });
        group.run().await.unwrap();
    });
}
