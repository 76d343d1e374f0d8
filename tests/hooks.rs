//! The event hook: what each actor reports, in order.

mod common;

use std::io;

use common::{no_leak, Log};
use run::{Context, Event, Group};

#[tokio::test]
async fn every_actor_reports_start_interrupt_and_exit_in_order() {
    no_leak(async {
        let log = Log::default();
        let events = log.clone();
        let mut group = Group::named("app").hook(move |event: &Event<'_>| {
            let kind = match event {
                Event::Started { .. } => "started",
                Event::Interrupted { .. } => "interrupted",
                Event::Exited { result: Ok(()), .. } => "exited ok",
                Event::Exited { result: Err(e), .. } if e.is_panic() => "panicked",
                Event::Exited { .. } => "failed",
                _ => "other",
            };
            events.push(format!("{} {kind}", event.actor()));
        });
        group
            .spawn(|ctx: Context| async move {
                ctx.interrupted().await;
                Ok::<_, io::Error>(())
            })
            .name("server");
        let mut nested = Group::new();
        nested
            .spawn(|_ctx: Context| async { panic!("boom") as Result<(), io::Error> })
            .name("worker");
        group.spawn(nested).name("jobs");
        group.run().await.unwrap_err();

        let events = log.take();
        let of = |actor: &str| -> Vec<String> {
            events
                .iter()
                .filter_map(|e| e.strip_prefix(&format!("{actor} ")).map(str::to_owned))
                .collect()
        };
        assert_eq!(of("app/server"), ["started", "interrupted", "exited ok"]);
        // The nested group reports to its parent's hook; the panic is reported as it happens,
        // before anything is interrupted.
        assert_eq!(
            of("app/jobs/worker"),
            ["started", "panicked", "interrupted"]
        );
        assert_eq!(of("app/jobs"), ["started", "panicked", "interrupted"]);
        let panic_at = events.iter().position(|e| e == "app/jobs/worker panicked");
        let first_interrupt = events.iter().position(|e| e.ends_with("interrupted"));
        assert!(panic_at < first_interrupt, "{events:?}");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_actor_reports_it() {
    no_leak(async {
        let log = Log::default();
        let events = log.clone();
        let mut group = Group::new().hook(move |event: &Event<'_>| {
            if let Event::TimedOut { actor, after } = event {
                events.push(format!("{actor} timed out after {after:?}"));
            }
        });
        group
            .spawn(|_ctx: Context| std::future::pending::<Result<(), io::Error>>())
            .name("stuck")
            .timeout(std::time::Duration::from_secs(2));
        group.spawn(|_ctx: Context| async { Ok::<_, io::Error>(()) });
        group.run().await.unwrap_err();
        assert_eq!(log.take(), ["stuck timed out after 2s"]);
    })
    .await;
}
