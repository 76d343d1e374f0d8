//! Handles: one runner in the background, the seed's `Closer` / `WaitCloser`.
//!
//! Invariants: stated once, on [`RunHandle`].

use std::{
    future::Future,
    sync::{Arc, OnceLock},
};

use tokio::{sync::Mutex, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{context::Context, error::Error, group::Group, runner::Runner};

/// A [`Runner`] running in the background; see [`RunHandle::spawn`].
///
/// The runner's result goes to exactly one caller, the first [`close`](RunHandle::close) or
/// [`wait`](RunHandle::wait) to see it end; every other call, concurrent or later, waits for
/// the end too and returns [`Error::Closed`]. Dropping the handle interrupts the runner; its
/// task then ends as soon as the runner returns.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{Context, Error, RunHandle};
///
/// let handle = RunHandle::spawn(|ctx: Context| async move {
///     ctx.interrupted().await;
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// assert!(handle.close().await.is_ok()); // interrupted, waited for, its result
/// assert!(matches!(handle.close().await, Err(Error::Closed)));
/// # }
/// ```
#[derive(Debug)]
pub struct RunHandle {
    stop: CancellationToken,
    task: Mutex<Option<JoinHandle<Result<(), Error>>>>,
}

impl RunHandle {
    /// Starts `runner` as a tokio task, as the only actor of a group, so it gets a
    /// [`Context`], a name, and panic capture. Outside a tokio runtime, returns
    /// [`Error::NoRuntime`].
    ///
    /// ```
    /// use run::{Context, Error, RunHandle};
    ///
    /// async fn worker(ctx: Context) -> Result<(), std::io::Error> {
    ///     assert_eq!(ctx.name(), "worker"); // named after the runner
    ///     Ok(())
    /// }
    ///
    /// assert!(matches!(RunHandle::spawn(worker), Err(Error::NoRuntime)));
    ///
    /// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// runtime.block_on(async {
    ///     let handle = RunHandle::spawn(worker).unwrap();
    ///     handle.wait().await.unwrap();
    /// });
    /// ```
    pub fn spawn<R: Runner>(mut runner: R) -> Result<Self, Error> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        let stop = CancellationToken::new();
        let name = runner.name();
        let interrupt = runner.interrupt();
        let own_result = Arc::new(OnceLock::new());
        let mut group = Group::new();
        let captured = Arc::clone(&own_result);
        group
            .spawn(move |ctx: Context| async move {
                let name = ctx.name();
                let result = runner.run(ctx).await;
                let _ =
                    captured.set(result.map_err(|error| Error::from_actor(|| name, error.into())));
                Ok::<_, Error>(())
            })
            .name(name)
            .interrupt(interrupt);
        let stopped = stop.clone().cancelled_owned();
        let task = tokio::spawn(async move {
            let group_result = group.run_until(stopped).await;
            match Arc::try_unwrap(own_result)
                .ok()
                .and_then(OnceLock::into_inner)
            {
                Some(result) => result,
                // No result of its own: it panicked, and the group says so.
                None => group_result,
            }
        });
        Ok(Self {
            stop,
            task: Mutex::new(Some(task)),
        })
    }

    /// Interrupts the runner, waits for it to return, and returns its result; a second call
    /// returns [`Error::Closed`] (see [`RunHandle`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, RunHandle};
    ///
    /// let handle = RunHandle::spawn(|ctx: Context| async move {
    ///     ctx.interrupted().await;
    ///     Err::<(), _>(std::io::Error::other("flush failed"))
    /// })
    /// .unwrap();
    /// let err = handle.close().await.unwrap_err();
    /// assert_eq!(err.report().to_string(), "actor `actor-0` failed: flush failed");
    /// assert!(handle.is_finished());
    /// # }
    /// ```
    // An explicit `Send` future rather than an `async fn`: callers inside actors then need
    // no proof of `Send` for every lifetime (tests/seeds_pattern.rs).
    #[allow(clippy::manual_async_fn)]
    pub fn close(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        async move {
            self.stop.cancel();
            self.wait().await
        }
    }

    /// Waits for the runner to return on its own, and returns its result; a second call
    /// returns [`Error::Closed`] (see [`RunHandle`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Error, RunHandle};
    ///
    /// let handle = RunHandle::spawn(|_ctx: Context| async {
    ///     Err::<(), _>(std::io::Error::other("no input"))
    /// })
    /// .unwrap();
    /// let err = handle.wait().await.unwrap_err();
    /// assert_eq!(err.report().to_string(), "actor `actor-0` failed: no input");
    /// assert!(matches!(handle.wait().await, Err(Error::Closed))); // the result went to the first
    /// # }
    /// ```
    // An explicit `Send` future rather than an `async fn`: callers inside actors then need
    // no proof of `Send` for every lifetime (tests/seeds_pattern.rs).
    #[allow(clippy::manual_async_fn)]
    pub fn wait(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        async move {
            let mut task = self.task.lock().await;
            let Some(handle) = task.as_mut() else {
                return Err(Error::Closed);
            };
            let result = match handle.await {
                Ok(result) => result,
                // The task only fails to join when the runtime is shutting down.
                Err(_) => Err(Error::Closed),
            };
            *task = None;
            result
        }
    }

    /// Whether the runner has returned.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, RunHandle};
    /// use tokio::sync::oneshot;
    ///
    /// let (finish, finished) = oneshot::channel::<()>();
    /// let handle = RunHandle::spawn(|_ctx: Context| async move {
    ///     finished.await.ok();
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// assert!(!handle.is_finished());
    /// finish.send(()).unwrap();
    /// handle.wait().await.unwrap();
    /// assert!(handle.is_finished());
    /// # }
    /// ```
    pub fn is_finished(&self) -> bool {
        match self.task.try_lock() {
            Ok(task) => task.as_ref().is_none_or(JoinHandle::is_finished),
            // Someone is waiting: it has not been taken yet.
            Err(_) => false,
        }
    }
}

impl Drop for RunHandle {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
