//! What `#[run::main]`'s root tells operators about the app as a whole, measured around its
//! run: with feature `tracing`, one `INFO` record each when the app starts, is ready, begins
//! to stop (and why) and has stopped (how long the stop took); with feature `metrics`, the
//! time to the first readiness, the stop's duration and whether it ran past its budget. The
//! actors' own records and series are the core's ([`event`](crate::core::event)).

use std::{future::Future, pin::pin, task::Poll, time::Instant};

use super::readiness::Readiness;
#[cfg(feature = "tracing")]
use crate::core::event::TARGET;
use crate::{core::cause::Cause, error::Error};

/// Runs `run`, the root group, reporting on it; `started` is when the process began to start,
/// `cause` reads the root's cause once it stops.
pub(crate) async fn reported<F>(
    run: F,
    readiness: Readiness,
    started: Instant,
    cause: impl Fn() -> Option<Cause>,
) -> F::Output
where
    F: Future<Output = Result<(), Error>>,
{
    #[cfg(feature = "metrics")]
    crate::core::metrics::app_started();
    #[cfg(feature = "tracing")]
    tracing::info!(target: TARGET, "started");
    let mut run = pin!(run);
    // Ready first (or never), then stopping: the moment the stop began.
    let mut stopping = pin!(async move {
        if readiness.wait_ready().await {
            let after = started.elapsed();
            #[cfg(feature = "metrics")]
            crate::core::metrics::app_ready(after);
            #[cfg(feature = "tracing")]
            tracing::info!(target: TARGET, ?after, "ready");
            #[cfg(not(any(feature = "metrics", feature = "tracing")))]
            let _ = after;
        }
        readiness.wait_stopping().await;
        Instant::now()
    });
    let mut stop_began = None;
    let result = std::future::poll_fn(|cx| {
        if stop_began.is_none() {
            if let Poll::Ready(at) = stopping.as_mut().poll(cx) {
                stop_began = Some(at);
                #[cfg(feature = "tracing")]
                tracing::info!(
                    target: TARGET,
                    cause = %cause().map_or_else(|| "unknown".into(), |cause| why(&cause)),
                    "stopping"
                );
            }
        }
        run.as_mut().poll(cx)
    })
    .await;
    #[cfg(not(feature = "tracing"))]
    let _ = &cause;
    let took = stop_began.map_or_else(Default::default, |at| at.elapsed());
    #[cfg(feature = "metrics")]
    crate::core::metrics::app_stopped(took, matches!(result, Err(Error::ShutdownTimeout { .. })));
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: TARGET,
        ?took,
        exit_code = Error::exit_status(&result),
        "stopped"
    );
    #[cfg(not(any(feature = "metrics", feature = "tracing")))]
    let _ = took;
    result
}

/// Why the app stops, in the words of its exit report (`received SIGTERM`).
#[cfg(feature = "tracing")]
fn why(cause: &Cause) -> String {
    match cause {
        Cause::Exit {
            result: Err(error), ..
        } => error.report().to_string(),
        Cause::Exit {
            actor,
            result: Ok(()),
        } => format!("{actor} exited"),
        Cause::Cancelled => "cancelled from outside".into(),
        Cause::Finished => "every actor finished".into(),
        Cause::StopRequested => "a stop was requested".into(),
    }
}
