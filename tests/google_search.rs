//! The "Google Search 2.0" example gives the replies it should, in the time it
//! should: the fastest replica of web and image, nothing from video, cut at 80 ms.

#[path = "../examples/google_search.rs"]
#[allow(dead_code)] // the example's `main` is not called here
mod google_search;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use google_search::Kind;
use run::{Event, Pool};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn the_first_replies_win_and_the_timeout_cuts_the_rest() {
    let pool = Pool::builder().max(8).build().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let start = Instant::now();
    let (outcome, results) = google_search::google(&pool, move |event: &Event<'_>| {
        // The searches' own events; their replicas' (reported to the same hook) are left out.
        if event.actor().group() == Some("google") {
            let kind = match event {
                Event::Started { .. } => "started",
                Event::Exited { .. } => "exited",
                _ => "other",
            };
            sink.lock()
                .unwrap()
                .push(format!("{} {kind}", event.actor()));
        }
    })
    .await
    .unwrap();

    assert_eq!(start.elapsed(), Duration::from_millis(80));
    assert!(matches!(outcome, Err(run::Error::Cancelled)));
    let replies: Vec<_> = results
        .iter()
        .map(|(kind, reply)| (*kind, reply.as_deref()))
        .collect();
    assert_eq!(
        replies,
        [
            (
                Kind::Web,
                Some("Web result for \"golang\" from replica 2 in 30ms")
            ),
            (
                Kind::Image,
                Some("Image result for \"golang\" from replica 1 in 20ms")
            ),
            (Kind::Video, None),
        ]
    );
    let events = events.lock().unwrap().clone();
    for search in ["web", "image", "video"] {
        for kind in ["started", "exited"] {
            let line = format!("google/{search} {kind}");
            let seen = events.iter().filter(|event| **event == line).count();
            assert_eq!(seen, 1, "{line} once in {events:?}");
        }
    }
    assert!(pool.stats().spawned <= 3, "the searches ran on the pool");
    pool.close().await.unwrap();
}
