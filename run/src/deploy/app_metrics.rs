//! With feature `metrics`: the app-wide series of `#[run::main]`'s root, measured around its
//! run: the time to the first readiness, the shutdown's duration and whether it ran past its
//! budget. The per-actor series are the core's ([`crate::core::metrics`]).

use std::{future::Future, pin::pin, task::Poll, time::Instant};

use super::readiness::Readiness;
use crate::{core::metrics, error::Error};

/// Runs `run`, the root group, measuring it; `started` is when the process began to start.
pub(crate) async fn measured<F>(run: F, readiness: Readiness, started: Instant) -> F::Output
where
    F: Future<Output = Result<(), Error>>,
{
    metrics::app_started();
    let mut run = pin!(run);
    // Ready first (or never), then stopping: the moment the stop began.
    let mut stopping = pin!(async move {
        if readiness.wait_ready().await {
            metrics::app_ready(started.elapsed());
        }
        readiness.wait_stopping().await;
        Instant::now()
    });
    let mut stop_began = None;
    let result = std::future::poll_fn(|cx| {
        if stop_began.is_none() {
            if let Poll::Ready(at) = stopping.as_mut().poll(cx) {
                stop_began = Some(at);
            }
        }
        run.as_mut().poll(cx)
    })
    .await;
    let took = stop_began.map_or_else(Default::default, |at| at.elapsed());
    let timed_out = matches!(result, Err(Error::ShutdownTimeout { .. }));
    metrics::app_stopped(took, timed_out);
    result
}
