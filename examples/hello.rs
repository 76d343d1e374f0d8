//! The smallest app: a ticker and a worker run until a deadline actor exits; the group then
//! interrupts both, waits for them, and says why it stopped.
//!
//! `cargo run --example hello`

use std::time::Duration;

use run::{Context, Group};
use tokio::{sync::mpsc, time};

async fn ticker(ctx: Context, jobs: mpsc::Sender<u32>) -> Result<(), std::io::Error> {
    let mut tick = time::interval(Duration::from_millis(100));
    for job in 0.. {
        tokio::select! {
            () = ctx.interrupted() => break,
            _ = tick.tick() => {
                if jobs.send(job).await.is_err() {
                    break;
                }
            }
        }
    }
    println!("{} stopped", ctx.name());
    Ok(())
}

async fn worker(ctx: Context, mut jobs: mpsc::Receiver<u32>) -> Result<(), std::io::Error> {
    loop {
        tokio::select! {
            () = ctx.interrupted() => break,
            Some(job) = jobs.recv() => println!("{} did job {job}", ctx.name()),
        }
    }
    match ctx.cause().and_then(|cause| cause.actor()) {
        Some(actor) => println!("{} stopped because {actor} exited", ctx.name()),
        None => println!("{} stopped", ctx.name()),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), run::Error> {
    let (send, jobs) = mpsc::channel(8);
    let mut app = Group::named("hello");
    app.spawn(move |ctx| ticker(ctx, send)).name("ticker");
    app.spawn(move |ctx| worker(ctx, jobs)).name("worker");
    app.spawn(|_ctx: Context| async {
        time::sleep(Duration::from_millis(350)).await;
    })
    .name("deadline");
    app.run().await?;
    println!("all actors returned");
    Ok(())
}
