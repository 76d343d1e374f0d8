//! The event hook: what each actor reports, in order.

mod common;

use std::{io, time::Duration};

use common::{Log, no_leak};
use run::{Context, Event, ExitPolicy, Group};

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

#[tokio::test(start_paused = true)]
async fn a_sidecars_failure_is_reported_and_never_returned_even_during_the_stop() {
    no_leak(async {
        let log = Log::default();
        let events = log.clone();
        let mut root = Group::new().hook(move |event: &Event<'_>| {
            if let Event::Exited {
                actor,
                result: Err(error),
                ..
            } = event
            {
                events.push(format!("{actor}: {}", error.report()));
            }
        });
        root.spawn(|ctx: Context| async move {
            let mut app = ctx.group();
            app.spawn(|_ctx: Context| async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                Err::<(), _>(io::Error::other("scrape failed"))
            })
            .name("scraper")
            .exit(ExitPolicy::Sidecar);
            app.spawn(|ctx: Context| async move {
                ctx.interrupted().await;
                Err::<(), _>(io::Error::other("last flush lost"))
            })
            .name("metrics")
            .exit(ExitPolicy::Sidecar);
            app.spawn(|_ctx: Context| tokio::time::sleep(Duration::from_millis(100)))
                .name("timer");
            app.run().await
        })
        .name("main");
        // Before the stop or during it: reported, not returned.
        root.run().await.unwrap();
        assert_eq!(
            log.take(),
            [
                "main/scraper: actor `main/scraper` failed: scrape failed",
                "main/metrics: actor `main/metrics` failed: last flush lost",
            ]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_sidecars_panic_is_a_bug_it_is_returned_without_stopping_the_group() {
    no_leak(async {
        let log = Log::default();
        let mut app = Group::named("app");
        app.spawn(|_ctx: Context| async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            panic!("metrics bug") as Result<(), io::Error>
        })
        .name("metrics")
        .exit(ExitPolicy::Sidecar);
        let server = log.clone();
        app.spawn(move |_ctx: Context| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            server.push("server done");
            Ok::<_, io::Error>(())
        })
        .name("server");
        let err = app.run().await.unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert_eq!(err.actor().unwrap(), "app/metrics");
        assert_eq!(log.take(), ["server done"]);
    })
    .await;
}
