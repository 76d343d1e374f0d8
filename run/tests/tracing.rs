//! With feature `tracing`: a span per actor named after it, events inside it.

#![cfg(feature = "tracing")]

use std::{
    io::{self, Write},
    sync::{Arc, Mutex},
};

use run::{Context, ExitPolicy, Group, Restart, RestartPolicy};
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// What was written so far.
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Captures this thread's records up to `level`, without time or colour, until the guard is
/// dropped (the tests run on current-thread runtimes: every record is on this thread).
fn capture(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(level)
        .with_ansi(false)
        .without_time()
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn each_actor_has_a_span_named_after_it_with_its_events_inside() {
    let (captured, _default) = capture(tracing::Level::DEBUG);

    let mut group = Group::named("app");
    group
        .spawn(|ctx: Context| async move {
            ctx.interrupted().await;
            Ok::<_, io::Error>(())
        })
        .name("server");
    group
        .spawn(|_ctx: Context| async { Err::<(), _>(io::Error::other("disk full")) })
        .name("writer");
    // current_thread: the actors' events are emitted on this thread, under this subscriber.
    group.run().await.unwrap_err();

    let output = captured.text();
    let lines: Vec<&str> = output.lines().collect();
    let has = |needle: &str| lines.iter().any(|line| line.contains(needle));
    assert!(
        // Every event names its actor as a field too: usable without the span.
        has("DEBUG actor{actor=app/server}: run::event: started actor=app/server"),
        "{output}"
    );
    // A clean exit is what runs normally: DEBUG.
    assert!(
        has("DEBUG actor{actor=app/server}: run::event: exited"),
        "{output}"
    );
    assert!(
        has("ERROR actor{actor=app/writer}: run::event: failed")
            && has("error=actor `app/writer` failed: disk full"),
        "{output}"
    );
    assert!(
        has(
            "DEBUG actor{actor=app/server}: run::event: interrupted actor=app/server by=app/writer"
        ),
        "{output}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_supervised_sidecar_past_its_limit_is_an_error_record() {
    let (captured, _default) = capture(tracing::Level::INFO);

    let mut root = Group::new();
    root.spawn(|ctx: Context| async move {
        let mut app = ctx.group();
        app.supervise(|| |_ctx: Context| async { Err::<(), _>(io::Error::other("scrape failed")) })
            .name("metrics")
            .restart(RestartPolicy::new(Restart::OnFailure).max_restarts(1))
            .exit(ExitPolicy::Sidecar);
        app.spawn(|_ctx: Context| tokio::time::sleep(std::time::Duration::from_secs(5)))
            .name("server");
        app.run().await
    })
    .name("main");
    // A sidecar's failure is not returned: the record is all there is to see.
    root.run().await.unwrap();

    let output = captured.text();
    let gave_up: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("restart limit reached"))
        .collect();
    assert_eq!(gave_up.len(), 1, "{output}");
    let line = gave_up[0];
    assert!(
        line.starts_with("ERROR ")
            && line.contains("actor{actor=main/metrics}: run::event: restart limit reached")
            && line.contains("actor=main/metrics restarts=1 period=30s")
            && line.contains("error=actor `main/metrics` failed: scrape failed"),
        "{output}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failure_that_is_restarted_is_one_warning_in_the_actors_one_span() {
    let (captured, _default) = capture(tracing::Level::DEBUG);

    let failed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut app = Group::named("app");
    app.supervise(move || {
        let fail = !failed.swap(true, std::sync::atomic::Ordering::Relaxed);
        move |ctx: Context| async move {
            if fail {
                return Err(io::Error::other("cold cache"));
            }
            ctx.interrupted().await;
            Ok(())
        }
    })
    .name("cache")
    .restart(RestartPolicy::new(Restart::OnFailure));
    app.spawn(|ctx: Context| async move {
        // A child task: its records are DEBUG, in a span of its own.
        ctx.spawn_named("conn", |_conn: Context| async {}).unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    })
    .name("http");
    app.run().await.unwrap();

    let output = captured.text();
    let at = |level: &str| {
        output
            .lines()
            .map(str::trim_start)
            .filter(|line| line.starts_with(level))
            .collect::<Vec<_>>()
    };
    assert!(
        at("ERROR").is_empty(),
        "a handled failure is no error: {output}"
    );
    let warnings = at("WARN");
    assert_eq!(warnings.len(), 1, "{output}");
    assert!(
        warnings[0].starts_with("WARN actor{actor=app/cache}: run::event: failed; restarting")
            && warnings[0].contains("error=actor `app/cache` failed: cold cache"),
        "{output}"
    );
    // The run's own exit is there for who wants it, at DEBUG, in the same one span.
    assert!(
        output.contains("DEBUG actor{actor=app/cache}: run::event: failed"),
        "{output}"
    );
    assert!(
        !output.contains("actor{actor=app/cache}:actor{actor=app/cache}"),
        "one span per actor: {output}"
    );
    assert!(
        output
            .contains("DEBUG actor{actor=app/http}:actor{actor=app/http/conn}: run::event: exited"),
        "{output}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failure_that_is_not_restarted_is_one_error() {
    let (captured, _default) = capture(tracing::Level::DEBUG);

    let mut app = Group::named("app");
    app.supervise(|| |_ctx: Context| async { Err::<(), _>(io::Error::other("bad config")) })
        .name("loader")
        .restart(RestartPolicy::new(Restart::Never));
    app.run().await.unwrap_err();

    let output = captured.text();
    let errors: Vec<&str> = output
        .lines()
        .filter(|line| line.trim_start().starts_with("ERROR"))
        .collect();
    assert_eq!(errors.len(), 1, "{output}");
    assert!(
        errors[0].starts_with("ERROR actor{actor=app/loader}: run::event: failed")
            && errors[0].contains("error=actor `app/loader` failed: bad config"),
        "{output}"
    );
    assert!(!output.contains("WARN"), "{output}");
}
