//! Helpers shared by the end-to-end tests.

#![allow(dead_code, unreachable_pub)]

use std::{
    future::Future,
    sync::{Arc, Mutex},
};

/// Runs `scenario` and asserts that the runtime's alive task count is back to where it was:
/// no task the scenario started outlives it.
pub async fn no_leak<T>(scenario: impl Future<Output = T>) -> T {
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let output = scenario.await;
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
