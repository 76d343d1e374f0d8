//! Supervision: a flaky worker restarted with backoff, a steady one beside it, and the status
//! tree printed as they run; the worker's failures come faster than its policy allows, so the
//! app ends with a clear error and exit status 1.
//!
//! `cargo run --example supervisor` (about 2 s). `FLAKY_FAILURES=3` makes the worker fail
//! only three times: it then keeps running, and Ctrl-C stops the app cleanly (status 0).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use run::{Backoff, Context, Event, Restart, RestartPolicy};

/// Fails its first `failures` runs after 100 ms each, then serves until interrupted.
fn flaky(failures: u32, runs: Arc<AtomicU32>) -> impl run::Runner<Error = std::io::Error> {
    run::from_fn(move |ctx: Context| async move {
        let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
        println!("{} run {run}", ctx.name());
        if run <= failures {
            tokio::time::sleep(Duration::from_millis(100)).await;
            return Err(std::io::Error::other(format!(
                "connection lost (run {run})"
            )));
        }
        ctx.interrupted().await;
        Ok(())
    })
}

/// Prints the app's status tree every 400 ms.
async fn reporter(ctx: Context) {
    let mut tick = tokio::time::interval(Duration::from_millis(400));
    loop {
        tokio::select! {
            () = ctx.interrupted() => return,
            _ = tick.tick() => print!("--- status\n{}", ctx.status()),
        }
    }
}

fn on_event(event: &Event<'_>) {
    if let Event::Restarting { .. } = event {
        println!("{event}");
    }
}

#[run::main(hook = "on_event")]
async fn main(ctx: Context) -> Result<(), run::Error> {
    let failures = std::env::var("FLAKY_FAILURES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(u32::MAX);
    let mut app = ctx.group_named("app");
    let runs = Arc::new(AtomicU32::new(0));
    app.supervise(move || flaky(failures, Arc::clone(&runs)))
        .name("flaky")
        .restart(
            RestartPolicy::new(Restart::OnFailure)
                .max_restarts(4)
                .within(Duration::from_secs(10))
                .backoff(Backoff::new(
                    Duration::from_millis(50),
                    Duration::from_millis(400),
                )),
        );
    app.spawn(|ctx: Context| ctx.into_interrupted())
        .name("steady");
    app.spawn(reporter).name("reporter");
    app.run().await
}
