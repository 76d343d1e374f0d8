//! "Google Search 2.0" from the goroutine-orchestration seed, on a [`run::Pool`] and
//! [`run::TaskGroup`]s: a web, an image and a video search run in parallel on the pool; each
//! asks two replicas and keeps the first reply; the whole search gives up after 80 ms.
//!
//! Latencies are simulated with tokio's clock, paused: they elapse at once and in order, so
//! the output is the same at every run. `cargo run --example google_search`
//!
//! A search waits for its replicas while holding a pool worker, so the replicas run as
//! tokio tasks of their own (a child task group) rather than on the same pool: tasks that
//! wait for other tasks of a bounded pool can exhaust it.

use std::{
    borrow::Cow,
    sync::{Arc, Mutex},
    time::Duration,
};

use run::{Context, Event, Pool, Runner, TaskGroup};
use tokio::{sync::mpsc, time::Instant};

const QUERY: &str = "golang";
const TIMEOUT: Duration = Duration::from_millis(80);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Web,
    Image,
    Video,
}

impl Kind {
    /// The simulated latency of each replica of this search backend.
    fn latencies(self) -> [Duration; 2] {
        let millis = match self {
            Kind::Web => [45, 30],
            Kind::Image => [20, 70],
            Kind::Video => [95, 120], // too slow: cut by the timeout
        };
        millis.map(Duration::from_millis)
    }
}

/// One search: asks every replica, keeps the first reply.
struct Search {
    kind: Kind,
    result: Arc<Mutex<Option<String>>>,
}

impl Runner for Search {
    type Error = run::Error;

    async fn run(self, ctx: Context) -> Result<(), run::Error> {
        let kind = self.kind;
        // Children of this search: interrupting the search stops them too.
        let replicas = TaskGroup::builder().parent(&ctx).build()?;
        let (reply, mut replies) = mpsc::channel(2);
        for (replica, latency) in (1..).zip(kind.latencies()) {
            let reply = reply.clone();
            replicas
                .go_named(format!("replica-{replica}"), move |ctx: Context| async move {
                    tokio::select! {
                        () = tokio::time::sleep(latency) => {
                            let found = format!("{kind:?} result for {QUERY:?} from replica {replica} in {latency:?}");
                            // The first reply is the one read; later ones may find no reader.
                            let _ = reply.send(found).await;
                        }
                        () = ctx.interrupted() => {}
                    }
                })
                .await?;
        }
        drop(reply);
        let first = tokio::select! {
            first = replies.recv() => first,
            () = ctx.interrupted() => None,
        };
        // First reply wins: the other replicas are not needed any more.
        replicas.cancel();
        let _cancelled = replicas.wait().await;
        *self.result.lock().expect("not poisoned") = first;
        Ok(())
    }

    fn name(&self) -> Cow<'static, str> {
        format!("{:?}", self.kind).to_lowercase().into()
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> Result<(), run::Error> {
    // At most 8 workers, each kept for a minute without work (the seed's settings).
    let pool = Pool::builder()
        .max(8)
        .idle(Duration::from_secs(60))
        .build()?;
    let start = Instant::now();
    let log = move |event: &Event<'_>| {
        println!("[{:>3} ms] {event}", start.elapsed().as_millis());
    };
    let (outcome, results) = google(&pool, log).await?;
    match outcome {
        Ok(()) => println!("all searches answered"),
        Err(_cancelled) => println!("partial results"),
    }
    for (kind, result) in results {
        match result {
            Some(found) => println!("  {found}"),
            None => println!("  {kind:?}: no reply within {TIMEOUT:?}"),
        }
    }
    println!("took {:?}", start.elapsed());
    pool.close().await
}

/// Runs the three searches on `pool` with the overall timeout: whether all answered in time
/// (else the group was cancelled), and each search's reply, if any.
#[allow(clippy::type_complexity)]
pub(crate) async fn google(
    pool: &Pool,
    log: impl Fn(&Event<'_>) + Send + Sync + 'static,
) -> Result<(Result<(), run::Error>, Vec<(Kind, Option<String>)>), run::Error> {
    let start = Instant::now();
    let group = TaskGroup::builder()
        .name("google")
        .pool(pool)
        .capture_panics(true)
        .hook(log)
        .build()?;
    let searches: Vec<_> = [Kind::Web, Kind::Image, Kind::Video]
        .into_iter()
        .map(|kind| Search {
            kind,
            result: Arc::default(),
        })
        .collect();
    let results: Vec<_> = searches
        .iter()
        .map(|search| (search.kind, Arc::clone(&search.result)))
        .collect();
    for search in searches {
        group.go(search).await?;
    }

    let outcome = match tokio::time::timeout(TIMEOUT, group.wait()).await {
        Ok(outcome) => outcome,
        Err(_elapsed) => {
            let at = start.elapsed().as_millis();
            println!("[{at:>3} ms] timed out: cancelling the searches still running");
            group.cancel();
            group.wait().await
        }
    };
    match outcome {
        // Cancelled by the timeout: partial results.
        Ok(()) | Err(run::Error::Cancelled) => {}
        Err(error) => return Err(error),
    }
    let results = results
        .into_iter()
        .map(|(kind, result)| (kind, result.lock().expect("not poisoned").take()))
        .collect();
    Ok((outcome, results))
}
