//! Helpers shared by the end-to-end tests.

#![allow(dead_code, unreachable_pub)]

#[cfg(unix)]
pub mod process;

use std::{
    future::Future,
    sync::{Arc, Mutex},
};

/// Runs `scenario` and asserts that the runtime's alive task count is back to where it was the
/// moment the scenario returns: no task it started outlives it. Nothing is waited for.
///
/// Exact on a current-thread runtime: a task completes within one turn of the one thread
/// (tokio's `Harness::complete` stores the output, wakes the `JoinHandle`, then removes the
/// task from the runtime's list, whose length is `num_alive_tasks`), so a task the scenario
/// joined, or saw report its end, is no longer counted when the scenario runs again.
///
/// On a multi-thread runtime that holds only in part, because of tokio itself: a worker wakes
/// a task's `JoinHandle` (after marking it complete) before it removes the task from that
/// list, and the woken task can run on another thread in between. So, at the moment the
/// scenario returns, a task that has ended can still be counted, at most one per worker (a
/// worker completes one task at a time): the check there asserts that bound at once; then it
/// occupies every worker (one blocking task each, all running together, so each worker has
/// left the task it was completing) and, while they are held, asserts the count exactly:
/// a task of the scenario that had not ended is still counted then.
pub async fn no_leak<T>(scenario: impl Future<Output = T>) -> T {
    let handle = tokio::runtime::Handle::current();
    let metrics = handle.metrics();
    let before = metrics.num_alive_tasks();
    let output = scenario.await;
    let alive = metrics.num_alive_tasks();
    if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread {
        assert_eq!(
            alive, before,
            "tasks started by the scenario are still alive"
        );
        return output;
    }
    let workers = metrics.num_workers();
    assert!(
        alive <= before + workers,
        "tasks started by the scenario are still alive: {alive}, {before} before, {workers} \
         workers"
    );
    let alive = alive_once_workers_are_free().await;
    assert_eq!(
        alive, before,
        "tasks started by the scenario are still alive"
    );
    output
}

/// The multi-thread runtime's alive tasks once every worker has left the task it was
/// completing (see [`no_leak`]): read while each worker is held by a blocking task, not
/// counting those.
pub async fn alive_once_workers_are_free() -> usize {
    let metrics = tokio::runtime::Handle::current().metrics();
    let workers = metrics.num_workers();
    let held = hold_every_worker(workers);
    let alive = metrics.num_alive_tasks() - workers;
    held.release().await;
    alive
}

/// The workers of a multi-thread runtime, each running one task of [`hold_every_worker`]
/// until released.
struct Held {
    gate: Arc<(Mutex<(usize, bool)>, std::sync::Condvar)>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Held {
    async fn release(self) {
        let (state, changed) = &*self.gate;
        state.lock().unwrap().1 = true;
        changed.notify_all();
        for task in self.tasks {
            task.await.unwrap();
        }
    }
}

/// Starts one task per worker, each blocking its thread, and returns once all of them run at
/// once: then no worker is doing anything else. A task the scenario left running and busy
/// would keep a worker from ever taking one: that fails after a while, as a leak.
///
/// The tasks start one at a time, each once the one before runs: started together from
/// outside the runtime, a worker taking the first from the runtime's queue may move the next
/// to its own queue, where, its thread blocked, the next waits for a steal that a parked
/// worker is never woken for.
fn hold_every_worker(workers: usize) -> Held {
    let gate = Arc::new((Mutex::new((0, false)), std::sync::Condvar::new()));
    let mut tasks = Vec::with_capacity(workers);
    let mut arrived = 0;
    while arrived < workers {
        let held = Arc::clone(&gate);
        tasks.push(tokio::spawn(async move {
            let (state, changed) = &*held;
            let mut state = state.lock().unwrap();
            state.0 += 1;
            changed.notify_all();
            while !state.1 {
                state = changed.wait(state).unwrap();
            }
        }));
        let (state, changed) = &*gate;
        let next = arrived + 1;
        // Blocks this thread, not a worker: on a worker, the runtime moves its work elsewhere.
        arrived = tokio::task::block_in_place(|| {
            let (mut state, waited) = changed
                .wait_timeout_while(
                    state.lock().unwrap(),
                    std::time::Duration::from_secs(10),
                    |(arrived, _)| *arrived < next,
                )
                .unwrap();
            if waited.timed_out() {
                // Let the tasks that did start go, so that the runtime can still shut down.
                state.1 = true;
                changed.notify_all();
            }
            state.0
        });
        if arrived < next {
            break;
        }
    }
    assert_eq!(
        arrived, workers,
        "not every worker became free: a task the scenario started still runs"
    );
    Held { gate, tasks }
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
