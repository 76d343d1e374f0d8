//! Run handles: close, wait, concurrent closes, drop.

mod common;

use std::{future::pending, io, sync::Arc};

use common::no_leak;
use run::{Context, Error, RunHandle};
use tokio::sync::oneshot;

async fn until_interrupted(ctx: Context) -> Result<(), io::Error> {
    ctx.interrupted().await;
    Ok(())
}

#[tokio::test]
async fn close_interrupts_waits_and_returns_the_runners_result_once() {
    no_leak(async {
        let handle = RunHandle::spawn(|ctx: Context| async move {
            ctx.interrupted().await;
            Err::<(), _>(io::Error::other("flush failed"))
        })
        .unwrap();
        let err = handle.close().await.unwrap_err();
        assert_eq!(
            err.report().to_string(),
            "actor `actor-0` failed: flush failed"
        );
        assert!(matches!(handle.close().await, Err(Error::Closed)));
        assert!(matches!(handle.wait().await, Err(Error::Closed)));
        assert!(handle.is_finished());
    })
    .await;
}

#[tokio::test]
async fn wait_only_waits() {
    no_leak(async {
        let (finish, finished) = oneshot::channel::<()>();
        let handle = RunHandle::spawn(|ctx: Context| async move {
            finished.await.unwrap();
            assert!(!ctx.is_interrupted(), "wait() must not interrupt");
            Ok::<_, io::Error>(())
        })
        .unwrap();
        let waiting = async { handle.wait().await };
        let finishing = async {
            tokio::task::yield_now().await;
            finish.send(()).unwrap();
        };
        let (result, ()) = tokio::join!(waiting, finishing);
        result.unwrap();
        assert!(matches!(handle.close().await, Err(Error::Closed)));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_ten_concurrent_closes_exactly_one_gets_the_result() {
    no_leak(async {
        for _ in 0..1000 {
            let handle = Arc::new(RunHandle::spawn(until_interrupted).unwrap());
            let closes: Vec<_> = (0..10)
                .map(|_| {
                    let handle = Arc::clone(&handle);
                    tokio::spawn(async move { handle.close().await })
                })
                .collect();
            let mut results = Vec::new();
            for close in closes {
                results.push(close.await.unwrap());
            }
            assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1);
            assert!(
                results
                    .iter()
                    .all(|result| matches!(result, Ok(()) | Err(Error::Closed)))
            );
            // Every close returned after the runner did.
            assert!(handle.is_finished());
        }
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn dropping_the_handle_interrupts_the_runner() {
    no_leak(async {
        let (stopped, was_stopped) = oneshot::channel();
        let handle = RunHandle::spawn(|ctx: Context| async move {
            ctx.interrupted().await;
            stopped.send(ctx.cause().is_some()).unwrap();
            Ok::<_, io::Error>(())
        })
        .unwrap();
        drop(handle);
        assert!(was_stopped.await.unwrap());
        // Paused time advances only once the runtime is idle: the task has ended by then.
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    })
    .await;
}

#[tokio::test]
async fn a_panicking_runner_reports_the_panic() {
    no_leak(async {
        let handle =
            RunHandle::spawn(|_ctx: Context| async { panic!("bad") as Result<(), io::Error> })
                .unwrap();
        let err = handle.wait().await.unwrap_err();
        assert!(matches!(&err, Error::Panic { message, .. } if message == "bad"));
    })
    .await;
}

#[test]
fn spawning_outside_a_runtime_is_a_typed_error() {
    assert!(matches!(
        RunHandle::spawn(|_ctx: Context| pending::<Result<(), io::Error>>()),
        Err(Error::NoRuntime)
    ));
}
