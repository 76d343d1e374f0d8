//! Helpers shared by the pool and task-group tests.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use tokio::{runtime::Handle, sync::watch, task::yield_now};

/// A gate jobs and tasks wait at until it opens.
#[derive(Clone)]
pub struct Gate(Arc<watch::Sender<bool>>);

impl Gate {
    pub fn new() -> Self {
        Self(Arc::new(watch::channel(false).0))
    }

    pub fn open(&self) {
        self.0.send_replace(true);
    }

    pub async fn passed(self) {
        let mut open = self.0.subscribe();
        open.wait_for(|open| *open)
            .await
            .expect("the sender lives in self");
    }
}

/// Yields until `condition` holds: the other tasks only need to be scheduled, not timed.
pub async fn until(mut condition: impl FnMut() -> bool) {
    while !condition() {
        yield_now().await;
    }
}

pub fn alive_tasks() -> usize {
    Handle::current().metrics().num_alive_tasks()
}
