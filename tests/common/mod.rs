//! Helpers shared by the end-to-end tests.

#![allow(dead_code, unreachable_pub)]

#[cfg(unix)]
pub mod process;

use std::{
    future::Future,
    sync::{Arc, Mutex},
};

/// Runs `scenario` and asserts that the runtime's alive task count is back to where it was:
/// no task the scenario started outlives it.
///
/// A task that has returned its output can still count as alive for a moment: on a
/// multi-thread runtime the worker that ran it releases it just after waking its
/// `JoinHandle`, and on a loaded machine that worker thread may be descheduled in between.
/// So the check yields to the runtime until the count is back, for up to 10 s of wall time
/// before it fails: a task that really leaked never goes away.
pub async fn no_leak<T>(scenario: impl Future<Output = T>) -> T {
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let output = scenario.await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if metrics.num_alive_tasks() == before {
            return output;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(
        metrics.num_alive_tasks(),
        before,
        "tasks started by the scenario are still alive"
    );
    output
}

/// An ordered, shared log of events.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    pub fn push(&self, event: impl Into<String>) {
        self.0.lock().unwrap().push(event.into());
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}
