//! With feature `tracing`: a span per actor named after it, events inside it.

#![cfg(feature = "tracing")]

use std::{
    io::{self, Write},
    sync::{Arc, Mutex},
};

use run::{Context, Group};
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
