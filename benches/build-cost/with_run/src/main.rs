//! A ticker and a worker fed by it, stopped on SIGINT or SIGTERM within 5 s: the small app of
//! the build-cost benchmark, written with `run`.

use std::time::Duration;

use run::{actor, Context, Runner};
use tokio::sync::mpsc;

#[actor]
async fn ticker(jobs: mpsc::Sender<u32>, ctx: Context) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for job in 0.. {
        tokio::select! {
            () = ctx.interrupted() => break,
            _ = tick.tick() => if jobs.send(job).await.is_err() { break },
        }
    }
}

#[actor]
async fn worker(mut jobs: mpsc::Receiver<u32>, ctx: Context) {
    loop {
        tokio::select! {
            () = ctx.interrupted() => break,
            Some(job) = jobs.recv() => println!("job {job} done"),
        }
    }
}

#[derive(Runner)]
struct App {
    #[actor]
    ticker: Ticker,
    #[actor(stage = 2)]
    worker: Worker,
}

#[run::main(shutdown_timeout = "5s")]
async fn main(ctx: Context) -> Result<(), run::Error> {
    let (send, jobs) = mpsc::channel(8);
    App {
        ticker: ticker(send),
        worker: worker(jobs),
    }
    .run(ctx)
    .await
}
