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

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn each_actor_has_a_span_named_after_it_with_its_events_inside() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .without_time()
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

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

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = output.lines().collect();
    let has = |needle: &str| lines.iter().any(|line| line.contains(needle));
    assert!(
        // Every event names its actor as a field too: usable without the span.
        has("DEBUG actor{actor=app/server}: run::event: started actor=app/server"),
        "{output}"
    );
    assert!(
        has("INFO actor{actor=app/server}: run::event: exited"),
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
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .without_time()
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

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

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
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
