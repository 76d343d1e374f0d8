//! The same app as `with_run` by hand: a ticker and a worker fed by it, stopped on SIGINT or
//! SIGTERM within 5 s, the worker after the ticker.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

async fn ticker(jobs: mpsc::Sender<u32>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for job in 0.. {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => if jobs.send(job).await.is_err() { break },
        }
    }
}

async fn worker(mut jobs: mpsc::Receiver<u32>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            Some(job) = jobs.recv() => println!("job {job} done"),
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (send, jobs) = mpsc::channel(8);
    let (first, second) = (CancellationToken::new(), CancellationToken::new());
    let (stage1, stage2) = (TaskTracker::new(), TaskTracker::new());
    stage1.spawn(ticker(send, first.clone()));
    stage2.spawn(worker(jobs, second.clone()));
    stage1.close();
    stage2.close();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = terminate.recv() => {}
            result = tokio::signal::ctrl_c() => result?,
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    let stop = async {
        first.cancel();
        stage1.wait().await;
        second.cancel();
        stage2.wait().await;
    };
    if tokio::time::timeout(Duration::from_secs(5), stop).await.is_err() {
        eprintln!("Error: shutdown timed out");
        std::process::exit(1);
    }
    Ok(())
}
