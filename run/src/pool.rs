//! A bounded pool of reusable async workers.
//!
//! Invariants:
//! - At most `max` workers are alive. Each is a tokio task spawned on the runtime the pool was
//!   built in and owned by the pool; it runs jobs one after the other, inline.
//! - A job is accepted only when it can start at once (an idle worker takes it, or a new
//!   worker is spawned for it) or it fits in the queue. Otherwise its submitter waits in
//!   FIFO order ([`Pool::submit`]), gives up after a deadline ([`Pool::submit_timeout`]) or
//!   fails at once ([`Pool::try_submit`]). A job that was not accepted is dropped unrun.
//! - A worker that finishes a job takes the next one before it ever idles: first the oldest
//!   queued job, then the oldest waiting submitter's job. No job waits while a worker is free.
//! - A worker that has been idle for the idle time exits. The most recently idle worker is
//!   the first to be given a job, so that under light load the others age out.
//! - Every accepted job runs exactly once, unless the pool is dropped first. Its result, or
//!   its panic as [`Error::Panic`], goes to its [`JobHandle`]; a panic never ends a worker.
//! - [`Pool::close`] refuses new jobs, fails waiting submitters with [`Error::Closed`], runs
//!   every accepted job to its end and returns once every worker task has ended. Only the
//!   first close does this; later ones return [`Error::Closed`] at once.
//! - Dropping the last clone of a pool that was not closed aborts every worker: running jobs
//!   are dropped where they stand, queued ones unrun, and their handles return
//!   [`Error::Closed`]. No worker outlives the pool.

use std::{
    borrow::Cow,
    collections::VecDeque,
    fmt,
    future::{Future, poll_fn},
    mem,
    pin::{Pin, pin},
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context as TaskContext, Poll, Waker},
    time::Duration,
};

use tokio::{
    runtime::Handle,
    sync::{Notify, oneshot},
    task::{JoinHandle, unconstrained},
    time::{Instant, Sleep},
};

use crate::{
    error::Error,
    name::{ActorName, Leaf},
    panic::{self, CatchUnwind, Panicked},
};

/// A type-erased job: the submitted future, wrapped to catch its panic and send its result.
type Job = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The idle time used when [`PoolBuilder::idle`] is not called.
const DEFAULT_IDLE: Duration = Duration::from_secs(1);

/// Idle times are capped here (about 30 years): "never" in practice, and deadlines computed
/// from it cannot overflow.
const MAX_IDLE: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// A bounded pool of async workers that are reused for many jobs.
///
/// Submitting a job (any `Send` future) returns a [`JobHandle`] to await its output. When
/// every worker is busy, [`submit`](Pool::submit) waits for one (backpressure),
/// [`try_submit`](Pool::try_submit) fails with [`Error::Full`] and
/// [`submit_timeout`](Pool::submit_timeout) fails with [`Error::DispatchTimeout`] after its
/// timeout. Workers are tokio tasks owned by the pool; one that has had no job for the idle
/// time exits. Clones share the pool.
///
/// The pool needs a tokio runtime with the time driver enabled (as `#[tokio::main]` and
/// `Builder::enable_all` give): workers time their idleness.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), run::Error> {
/// use std::time::Duration;
///
/// let pool = run::Pool::builder().max(4).idle(Duration::from_secs(10)).build()?;
/// let mut handles = Vec::new();
/// for n in 0..10u64 {
///     handles.push(pool.submit(async move { n * n }).await?);
/// }
/// let mut sum = 0;
/// for handle in handles {
///     sum += handle.await?;
/// }
/// assert_eq!(sum, 285);
/// assert!(pool.stats().spawned <= 4); // ten jobs, at most four workers
/// pool.close().await?;
/// # Ok(()) }
/// ```
///
/// # Guarantees
///
/// - At most `max` jobs run at once, each inline in one of at most `max` workers.
/// - A job is accepted when a worker can take it at once or the queue
///   ([`PoolBuilder::queue`]) has room; waiting submitters are served in order.
/// - A worker that finishes a job takes the next queued or waiting job at once; the most
///   recently idle worker is used first, so that idle workers age out under light load.
/// - Every accepted job runs exactly once; a panic becomes its [`Error::Panic`] and the
///   worker goes on.
/// - [`close`](Pool::close) refuses new jobs, fails waiting submitters, runs every accepted
///   job and returns once every worker task has ended.
/// - Dropping the last clone without closing aborts every worker: running jobs are dropped
///   where they stand, queued ones unrun, and their handles return [`Error::Closed`]. No
///   worker outlives the pool.
#[derive(Clone)]
pub struct Pool {
    owner: Arc<Owner>,
}

/// Held by every clone of a [`Pool`]; dropping it aborts the workers. Workers hold the
/// [`Core`] only, so they do not keep the pool alive.
struct Owner {
    core: Arc<Core>,
}

struct Core {
    name: Cow<'static, str>,
    /// `usize::MAX` when unbounded.
    max: usize,
    idle: Duration,
    queue: usize,
    runtime: Handle,
    state: Mutex<State>,
    /// The ticket after the last one a worker took out of the waiting line. Tickets leave the
    /// line in order, so a waiting submitter whose ticket is below it knows, without the
    /// lock, that its job was taken.
    served: AtomicU64,
    /// Wakes [`Pool::close`]: the last worker of a closed pool exited.
    drained: Notify,
    /// Its series (feature `metrics`).
    #[cfg(feature = "metrics")]
    metrics: PoolMetrics,
}

/// A pool's series, labelled with its name (feature `metrics`): what waits for a worker, and
/// what was refused.
#[cfg(feature = "metrics")]
struct PoolMetrics {
    /// `run_pool_waiting`: jobs queued plus submitters waiting for room.
    waiting: metrics::Gauge,
    /// `run_pool_rejections_total`: jobs refused for want of room ([`Error::Full`],
    /// [`Error::DispatchTimeout`]).
    rejections: metrics::Counter,
}

struct State {
    closed: bool,
    /// Workers spawned (or being spawned) and not yet exited.
    workers: usize,
    /// Workers being spawned: their task handle is not in `tasks` yet.
    spawning: usize,
    /// Idle workers' slots, the most recently idle last.
    idle: Vec<usize>,
    /// One per alive worker, indexed by the worker's slot number.
    slots: Vec<Slot>,
    /// Slot numbers of exited workers, for reuse.
    free: Vec<usize>,
    /// Accepted jobs no worker has taken yet.
    queue: VecDeque<Job>,
    /// Submitters waiting for room, oldest first; tickets increase along the deque.
    waiting: VecDeque<Waiter>,
    next_ticket: u64,
    spawned: u64,
    /// The workers' tasks (finished ones are forgotten now and then).
    tasks: Vec<JoinHandle<()>>,
}

/// What the pool knows of one worker: an idle worker is woken through its slot, and the job
/// it is chosen for is handed over in it, under the state lock the submitter holds anyway.
#[derive(Default)]
struct Slot {
    /// Listed in [`State::idle`].
    idle: bool,
    /// Wakes the worker while it is idle.
    waker: Option<Waker>,
    /// The job a submitter handed to the worker while it was idle.
    job: Option<Job>,
}

struct Waiter {
    ticket: u64,
    job: Job,
    waker: Waker,
}

/// Where [`Core::offer`] placed a job; what to do once the lock is released.
enum Placed {
    /// Handed to an idle worker: wake it.
    Idle(Option<Waker>),
    /// Queued for a busy worker to take next.
    Queued,
    /// A worker was reserved for it, with this slot: spawn it.
    Spawn(usize, Job),
}

/// What a worker that is not idle does next.
enum Next {
    /// Run this job, after waking the submitter whose job left the waiting line.
    Run(Job, Option<Waker>),
    Idle,
    Exit,
}

impl Pool {
    /// A builder: unbounded, idle time 1 s, no queue.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let pool = run::Pool::builder().build().unwrap();
    /// assert_eq!(pool.max(), None); // unbounded
    /// assert_eq!(pool.stats().workers, 0); // no worker until a job comes
    /// # }
    /// ```
    pub fn builder() -> PoolBuilder {
        PoolBuilder::default()
    }

    /// Submits `job`, waiting while the pool is full; returns once a worker has taken it (or
    /// it was queued), with the handle to await its output.
    ///
    /// Fails with [`Error::Closed`] if the pool is closed, before or while waiting; the job
    /// is then dropped unrun. If this future is dropped while waiting, the job is dropped
    /// unrun too, unless a worker took it meanwhile: then it runs, detached.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), run::Error> {
    /// use tokio::sync::oneshot;
    ///
    /// let pool = run::Pool::builder().max(1).build()?;
    /// let (release, released) = oneshot::channel::<()>();
    /// let busy = pool.submit(async move { released.await.is_ok() }).await?;
    ///
    /// // The only worker is busy: `submit` waits (and, dropped here, drops its job unrun).
    /// tokio::select! {
    ///     biased;
    ///     _ = pool.submit(async { 2 }) => unreachable!("no worker is free"),
    ///     () = std::future::ready(()) => {}
    /// }
    /// release.send(()).unwrap();
    /// assert!(busy.await?);
    /// let job = pool.submit(async { 2 }).await?; // the worker is free again
    /// assert_eq!(job.await?, 2);
    /// assert_eq!(pool.stats().spawned, 1);
    /// # Ok(()) }
    /// ```
    // An explicit `Send` future rather than an `async fn`: callers inside actors then need
    // no proof of `Send` for every lifetime (tests/seeds_pattern.rs).
    #[allow(clippy::manual_async_fn)]
    pub fn submit<F>(
        &self,
        job: F,
    ) -> impl Future<Output = Result<JobHandle<F::Output>, Error>> + Send + '_
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        async move {
            let (job, handle) = wrap(job);
            Dispatch::new(&self.owner.core, job, None).await?;
            Ok(handle)
        }
    }

    /// [`submit`](Pool::submit), giving up with [`Error::DispatchTimeout`] if no worker
    /// took the job within `timeout`; the job is then dropped unrun.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::{future::pending, time::Duration};
    ///
    /// let pool = run::Pool::builder().max(1).build().unwrap();
    /// let _busy = pool.submit(pending::<()>()).await.unwrap();
    /// let late = pool.submit_timeout(async {}, Duration::from_millis(50)).await;
    /// assert!(matches!(late, Err(run::Error::DispatchTimeout)));
    /// # }
    /// ```
    // An explicit `Send` future rather than an `async fn`: callers inside actors then need
    // no proof of `Send` for every lifetime (tests/seeds_pattern.rs).
    #[allow(clippy::manual_async_fn)]
    pub fn submit_timeout<F>(
        &self,
        job: F,
        timeout: Duration,
    ) -> impl Future<Output = Result<JobHandle<F::Output>, Error>> + Send + '_
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        async move {
            // A timeout too long to represent means no deadline.
            let deadline = Instant::now().checked_add(timeout);
            let (job, handle) = wrap(job);
            Dispatch::new(&self.owner.core, job, deadline).await?;
            Ok(handle)
        }
    }

    /// Submits `job` only if it can be taken at once (or queued): otherwise fails with
    /// [`Error::Full`], or [`Error::Closed`] if the pool is closed, and drops the job unrun.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let pool = run::Pool::builder().max(1).build().unwrap();
    /// let (release, wait) = tokio::sync::oneshot::channel::<()>();
    /// let busy = pool.try_submit(async move { wait.await.ok(); }).unwrap();
    /// assert!(matches!(pool.try_submit(async {}), Err(run::Error::Full)));
    /// release.send(()).unwrap();
    /// busy.await.unwrap();
    /// # }
    /// ```
    pub fn try_submit<F>(&self, job: F) -> Result<JobHandle<F::Output>, Error>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let core = &self.owner.core;
        let (job, handle) = wrap(job);
        let mut state = core.lock();
        if state.closed {
            return Err(Error::Closed);
        }
        match core.offer(&mut state, job) {
            Ok(placed) => {
                drop(state);
                core.dispatch(placed);
                Ok(handle)
            }
            Err(job) => {
                drop(state);
                drop(job);
                core.rejected();
                Err(Error::Full)
            }
        }
    }

    /// Closes the pool: refuses new jobs ([`Error::Closed`]), fails the submitters still
    /// waiting, waits for every accepted job to finish and every worker task to end.
    ///
    /// Only the first call closes; the others return [`Error::Closed`] at once. Dropping this
    /// future early leaves the pool closed and its workers draining on their own.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let pool = run::Pool::builder().max(2).build().unwrap();
    /// let job = pool.submit(async { 42 }).await.unwrap();
    /// pool.close().await.unwrap();
    /// assert_eq!(job.await.unwrap(), 42); // accepted jobs still run
    /// assert!(matches!(pool.close().await, Err(run::Error::Closed)));
    /// assert!(matches!(pool.submit(async {}).await, Err(run::Error::Closed)));
    /// # }
    /// ```
    // An explicit `Send` future rather than an `async fn`: callers inside actors then need
    // no proof of `Send` for every lifetime (tests/seeds_pattern.rs).
    #[allow(clippy::manual_async_fn)]
    pub fn close(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        async move {
            let core = &self.owner.core;
            let (waiting, idle) = {
                let mut state = core.lock();
                if state.closed {
                    return Err(Error::Closed);
                }
                state.closed = true;
                let waiting: Vec<Waker> = state.waiting.iter().map(|w| w.waker.clone()).collect();
                let State { idle, slots, .. } = &mut *state;
                let idle: Vec<Waker> = idle
                    .iter()
                    .filter_map(|&worker| slots[worker].waker.take())
                    .collect();
                (waiting, idle)
            };
            // Waiting submitters take their job back out and fail; idle workers see the pool
            // closed and exit.
            waiting.into_iter().for_each(Waker::wake);
            idle.into_iter().for_each(Waker::wake);
            let tasks = loop {
                let drained = core.drained.notified();
                {
                    let mut state = core.lock();
                    if state.workers == 0 && state.spawning == 0 {
                        break mem::take(&mut state.tasks);
                    }
                }
                drained.await;
            };
            // Every worker has left its loop; joining makes sure their tasks have ended too.
            for task in tasks {
                // A worker task fails to join only if it was aborted or its runtime is shutting
                // down: it has ended either way.
                let _ = task.await;
            }
            Ok(())
        }
    }

    /// Whether [`close`](Pool::close) was called.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let pool = run::Pool::builder().build().unwrap();
    /// assert!(!pool.is_closed());
    /// pool.close().await.unwrap();
    /// assert!(pool.is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.owner.core.lock().closed
    }

    /// The pool's name ([`PoolBuilder::name`]).
    pub fn name(&self) -> &str {
        &self.owner.core.name
    }

    /// The maximum number of workers; `None` if unbounded.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// assert_eq!(run::Pool::builder().max(8).build().unwrap().max(), Some(8));
    /// assert_eq!(run::Pool::builder().build().unwrap().max(), None);
    /// # }
    /// ```
    pub fn max(&self) -> Option<usize> {
        Some(self.owner.core.max).filter(|&max| max != usize::MAX)
    }

    /// A snapshot of the pool's counters.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), run::Error> {
    /// let pool = run::Pool::builder().max(2).build()?;
    /// let job = pool.submit(async { 1 }).await?;
    /// assert_eq!(job.await?, 1);
    /// let stats = pool.stats();
    /// // One worker was spawned; done with its job, it waits for the next.
    /// assert_eq!((stats.spawned, stats.workers, stats.idle), (1, 1, 1));
    /// assert_eq!((stats.queued, stats.waiting), (0, 0));
    /// # Ok(()) }
    /// ```
    pub fn stats(&self) -> PoolStats {
        let state = self.owner.core.lock();
        PoolStats {
            workers: state.workers,
            idle: state.idle.len(),
            spawned: state.spawned,
            queued: state.queue.len(),
            waiting: state.waiting.len(),
        }
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("max", &self.max())
            .field("idle", &self.owner.core.idle)
            .field("queue", &self.owner.core.queue)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        let (tasks, waiting, queue, handed) = {
            let mut state = self.core.lock();
            state.closed = true;
            let handed: Vec<Job> = state
                .slots
                .iter_mut()
                .filter_map(|slot| slot.job.take())
                .collect();
            (
                mem::take(&mut state.tasks),
                mem::take(&mut state.waiting),
                mem::take(&mut state.queue),
                handed,
            )
        };
        // Outside the lock: dropping a job runs the user's destructors, and so may an
        // abort. A waiter's submit future is gone already (it borrowed the pool).
        tasks.iter().for_each(JoinHandle::abort);
        drop(handed);
        drop(queue);
        drop(waiting);
    }
}

/// Counters of a [`Pool`], from [`Pool::stats`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), run::Error> {
/// use tokio::sync::oneshot;
///
/// let pool = run::Pool::builder().max(1).queue(4).build()?;
/// let (release, released) = oneshot::channel::<()>();
/// let busy = pool.submit(async move { released.await.ok(); }).await?;
/// let queued = pool.submit(async {}).await?; // the worker is busy: queued
///
/// let stats = pool.stats();
/// assert_eq!((stats.workers, stats.idle, stats.spawned), (1, 0, 1));
/// assert_eq!((stats.queued, stats.waiting), (1, 0));
/// release.send(()).unwrap();
/// busy.await?;
/// queued.await?;
/// assert_eq!(pool.stats().queued, 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// Workers alive: running a job or idle.
    pub workers: usize,
    /// Workers waiting for a job.
    pub idle: usize,
    /// Workers spawned since the pool was built; it grows only when no alive worker was free.
    pub spawned: u64,
    /// Accepted jobs waiting in the queue for a worker.
    pub queued: usize,
    /// Submitters waiting for room.
    pub waiting: usize,
}

/// Configures a [`Pool`]; see [`Pool::builder`]. It can be cloned, to build several pools
/// alike.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), run::Error> {
/// use std::time::Duration;
///
/// let builder = run::Pool::builder().max(4).queue(16).idle(Duration::from_secs(5));
/// let (reads, writes) = (builder.clone().build()?, builder.build()?);
/// assert_eq!((reads.max(), writes.max()), (Some(4), Some(4)));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PoolBuilder {
    max: Option<usize>,
    idle: Duration,
    queue: usize,
    name: Cow<'static, str>,
}

impl Default for PoolBuilder {
    fn default() -> Self {
        Self {
            max: None,
            idle: DEFAULT_IDLE,
            queue: 0,
            name: Cow::Borrowed("pool"),
        }
    }
}

impl PoolBuilder {
    /// At most `workers` workers, hence at most `workers` jobs running at once. Unbounded if
    /// not set; zero is refused by [`build`](PoolBuilder::build).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::future::pending;
    ///
    /// let pool = run::Pool::builder().max(2).build().unwrap();
    /// let _first = pool.try_submit(pending::<()>()).unwrap();
    /// let _second = pool.try_submit(pending::<()>()).unwrap();
    /// assert!(matches!(pool.try_submit(async {}), Err(run::Error::Full))); // no third
    /// assert_eq!(pool.stats().workers, 2);
    /// // Dropping the pool aborts the two pending jobs.
    /// # }
    /// ```
    pub fn max(mut self, workers: usize) -> Self {
        self.max = Some(workers);
        self
    }

    /// How long a worker waits for a job before it exits; default 1 s. Zero is refused by
    /// [`build`](PoolBuilder::build); [`Duration::MAX`] means workers never exit (times
    /// beyond about 30 years are capped).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use std::time::Duration;
    /// use tokio::time::sleep;
    ///
    /// let pool = run::Pool::builder().idle(Duration::from_secs(30)).build().unwrap();
    /// pool.submit(async {}).await.unwrap().await.unwrap();
    /// sleep(Duration::from_secs(29)).await;
    /// assert_eq!(pool.stats().workers, 1); // idle, still there
    /// sleep(Duration::from_secs(2)).await;
    /// assert_eq!(pool.stats().workers, 0); // idle for 30 s: it exited
    /// # }
    /// ```
    pub fn idle(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// How many accepted jobs may wait for a worker when all `max` are busy; default 0:
    /// a job is accepted only when a worker takes it. A queue lets submitters run ahead of
    /// the workers, which raises throughput for short jobs.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use tokio::sync::oneshot;
    ///
    /// let pool = run::Pool::builder().max(1).queue(1).build().unwrap();
    /// let (release, released) = oneshot::channel::<()>();
    /// let busy = pool.try_submit(async move { released.await.ok(); }).unwrap();
    /// let queued = pool.try_submit(async { 2 }).unwrap(); // waits in the queue
    /// assert!(matches!(pool.try_submit(async { 3 }), Err(run::Error::Full))); // queue full
    /// release.send(()).unwrap();
    /// busy.await.unwrap();
    /// assert_eq!(queued.await.unwrap(), 2);
    /// # }
    /// ```
    pub fn queue(mut self, jobs: usize) -> Self {
        self.queue = jobs;
        self
    }

    /// The pool's name, `"pool"` if not set: the `pool` label of its series with feature
    /// `metrics` (`run_pool_waiting`, jobs queued plus submitters waiting for room;
    /// `run_pool_rejections_total`, jobs refused with [`Error::Full`] or
    /// [`Error::DispatchTimeout`]), both registered at zero when it is built.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let pool = run::Pool::builder().name("fetch").max(8).build().unwrap();
    /// assert_eq!(pool.name(), "fetch");
    /// # }
    /// ```
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Builds the pool on the current tokio runtime; no worker is spawned until a job comes.
    ///
    /// Errors: [`Error::InvalidConfig`] for a zero `max` or idle time, [`Error::NoRuntime`]
    /// outside a tokio runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::time::Duration;
    ///
    /// let err = run::Pool::builder().idle(Duration::ZERO).build().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid configuration: the idle time must be more than zero");
    /// assert!(run::Pool::builder().max(0).build().is_err());
    /// # }
    /// ```
    pub fn build(self) -> Result<Pool, Error> {
        if self.max == Some(0) {
            return Err(Error::InvalidConfig("a pool needs at least one worker"));
        }
        if self.idle.is_zero() {
            return Err(Error::InvalidConfig("the idle time must be more than zero"));
        }
        let runtime = Handle::try_current().map_err(|_| Error::NoRuntime)?;
        panic::install_hook();
        let core = Core {
            max: self.max.unwrap_or(usize::MAX),
            idle: self.idle.min(MAX_IDLE),
            queue: self.queue,
            runtime,
            served: AtomicU64::new(0),
            #[cfg(feature = "metrics")]
            metrics: PoolMetrics::registered(&self.name),
            name: self.name,
            state: Mutex::new(State {
                closed: false,
                workers: 0,
                spawning: 0,
                idle: Vec::new(),
                slots: Vec::new(),
                free: Vec::new(),
                queue: VecDeque::new(),
                waiting: VecDeque::new(),
                next_ticket: 0,
                spawned: 0,
                tasks: Vec::new(),
            }),
            drained: Notify::new(),
        };
        Ok(Pool {
            owner: Arc::new(Owner {
                core: Arc::new(core),
            }),
        })
    }
}

impl Core {
    /// What waits for a worker changed (feature `metrics`): queued jobs and waiting
    /// submitters. Called under the lock, after the change.
    #[inline]
    fn waiting_changed(&self, state: &State) {
        #[cfg(feature = "metrics")]
        self.metrics
            .waiting
            .set((state.queue.len() + state.waiting.len()) as f64);
        #[cfg(not(feature = "metrics"))]
        let _ = state;
    }

    /// A job was refused for want of room (feature `metrics`).
    #[inline]
    fn rejected(&self) {
        #[cfg(feature = "metrics")]
        self.metrics.rejections.increment(1);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; a poisoned lock would still be consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Places `job` if it can start at once or be queued; gives it back otherwise. What it
    /// returns is for [`dispatch`](Core::dispatch), once the lock is released.
    fn offer(&self, state: &mut State, job: Job) -> Result<Placed, Job> {
        if !state.waiting.is_empty() {
            // Earlier submitters go first.
            return Err(job);
        }
        if let Some(worker) = state.idle.pop() {
            let slot = &mut state.slots[worker];
            slot.idle = false;
            slot.job = Some(job);
            return Ok(Placed::Idle(slot.waker.take()));
        }
        if state.workers < self.max {
            state.workers += 1;
            state.spawning += 1;
            state.spawned += 1;
            let slot = state.free.pop().unwrap_or_else(|| {
                state.slots.push(Slot::default());
                state.slots.len() - 1
            });
            return Ok(Placed::Spawn(slot, job));
        }
        if state.queue.len() < self.queue {
            state.queue.push_back(job);
            self.waiting_changed(state);
            return Ok(Placed::Queued);
        }
        Err(job)
    }

    /// Finishes what [`offer`](Core::offer) started, outside the lock: waking a task may
    /// unpark a thread, and spawning one may drop its future at once (a runtime shutting
    /// down), which runs user code.
    fn dispatch(self: &Arc<Self>, placed: Placed) {
        match placed {
            Placed::Idle(worker) => worker.into_iter().for_each(Waker::wake),
            Placed::Queued => {}
            Placed::Spawn(slot, first) => {
                let worker = Worker {
                    core: Arc::clone(self),
                    slot,
                };
                let task = self.runtime.spawn(worker.work(first));
                let mut state = self.lock();
                state.spawning -= 1;
                if state.tasks.len() >= 2 * state.workers + 16 {
                    // Forget the workers that exited idle, so churn does not grow the list.
                    state.tasks.retain(|task| !task.is_finished());
                }
                state.tasks.push(task);
                self.notify_if_drained(state);
            }
        }
    }

    /// What a worker that is not idle does next: the oldest queued job, else (unless the
    /// pool is closed) the oldest waiting submitter's job, else it idles.
    fn next(&self, state: &mut State) -> Next {
        if let Some(job) = state.queue.pop_front() {
            // Room freed in the queue: the oldest waiting submitter's job moves in.
            let mut woken = None;
            if !state.closed && state.queue.len() < self.queue {
                if let Some(waiter) = self.serve(state) {
                    state.queue.push_back(waiter.job);
                    woken = Some(waiter.waker);
                }
            }
            self.waiting_changed(state);
            return Next::Run(job, woken);
        }
        if state.closed {
            return Next::Exit;
        }
        match self.serve(state) {
            Some(waiter) => Next::Run(waiter.job, Some(waiter.waker)),
            None => Next::Idle,
        }
    }

    /// Takes the oldest waiting submitter out of the line.
    fn serve(&self, state: &mut State) -> Option<Waiter> {
        let waiter = state.waiting.pop_front()?;
        self.waiting_changed(state);
        // Under the lock, so `served` only grows.
        self.served.store(waiter.ticket + 1, Ordering::Release);
        Some(waiter)
    }

    fn notify_if_drained(&self, state: MutexGuard<'_, State>) {
        let drained = state.closed && state.workers == 0 && state.spawning == 0;
        drop(state);
        if drained {
            self.drained.notify_waiters();
        }
    }
}

/// A worker's identity; dropping it (the worker returned, was aborted, or its task could
/// not start) takes it off the pool's count and frees its slot.
struct Worker {
    core: Arc<Core>,
    /// Its index in [`State::slots`].
    slot: usize,
}

impl Worker {
    /// Runs the first job, then every job the worker is given, until it idles out or the
    /// pool closes.
    async fn work(self, first: Job) {
        // One timer for the worker's whole life, re-armed only when it fires: arming a
        // timer at every idle moment would cost more than a short job.
        let mut timer = Timer {
            sleep: pin!(tokio::time::sleep(self.core.idle)),
            armed: false,
        };
        let mut job = first;
        loop {
            job.await;
            job = match self.next(&mut timer).await {
                Some(next) => next,
                None => return,
            };
        }
    }

    /// The next job: taken at once if one is queued or waiting, else handed over while the
    /// worker idles. `None` when the worker is to exit: the pool closed, or the worker was
    /// idle for the idle time.
    async fn next(&self, timer: &mut Timer<'_>) -> Option<Job> {
        let core = &*self.core;
        // When the idle time runs out, from the moment the worker idles.
        let mut deadline = None;
        let mut expired = false;
        poll_fn(|cx| {
            loop {
                let mut state = core.lock();
                let closed = state.closed;
                let slot = &mut state.slots[self.slot];
                if let Some(job) = slot.job.take() {
                    return Poll::Ready(Some(job));
                }
                if slot.idle {
                    // Woken while idle, but not for a job: by close, or by the timer.
                    if closed || expired {
                        slot.idle = false;
                        slot.waker = None;
                        state.idle.retain(|&idle| idle != self.slot);
                        return Poll::Ready(None);
                    }
                    match &mut slot.waker {
                        Some(waker) if waker.will_wake(cx.waker()) => {}
                        waker => *waker = Some(cx.waker().clone()),
                    }
                } else {
                    match core.next(&mut state) {
                        Next::Run(job, submitter) => {
                            drop(state);
                            submitter.into_iter().for_each(Waker::wake);
                            return Poll::Ready(Some(job));
                        }
                        Next::Exit => return Poll::Ready(None),
                        Next::Idle => {
                            let slot = &mut state.slots[self.slot];
                            slot.idle = true;
                            slot.waker = Some(cx.waker().clone());
                            state.idle.push(self.slot);
                            drop(state);
                        }
                    }
                }
                // `idle` is capped at build, so this cannot overflow.
                let deadline = *deadline.get_or_insert_with(|| Instant::now() + core.idle);
                if !timer.expired(cx, deadline) {
                    return Poll::Pending;
                }
                // The idle time ran out: retire, unless a submitter chose this worker meanwhile.
                expired = true;
            }
        })
        .await
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let mut state = self.core.lock();
        let slot = mem::take(&mut state.slots[self.slot]);
        if slot.idle {
            // Listed only if aborted while idle.
            state.idle.retain(|&idle| idle != self.slot);
        }
        state.free.push(self.slot);
        state.workers -= 1;
        self.core.notify_if_drained(state);
        // Outside the lock: a job handed over but not taken (the worker was aborted) is
        // dropped unrun, which runs the user's destructors.
        drop(slot);
    }
}

/// A worker's idle timer.
struct Timer<'a> {
    sleep: Pin<&'a mut Sleep>,
    /// Polled pending since it was last set: it will wake the worker's task when it fires,
    /// with no need to poll it again at every idle spell.
    armed: bool,
}

impl Timer<'_> {
    /// Whether `deadline` has passed; otherwise makes sure the worker is woken by then.
    ///
    /// The timer may still be set for an earlier idle spell, never for a later one
    /// (deadlines only grow): when it fires early it is re-armed for `deadline`.
    fn expired(&mut self, cx: &mut TaskContext<'_>, deadline: Instant) -> bool {
        if self.armed && !self.sleep.is_elapsed() {
            return false;
        }
        loop {
            // Unconstrained: a pending poll must mean the timer is set, not that the task's
            // budget ran out, for `armed` to be true.
            if pin!(unconstrained(self.sleep.as_mut()))
                .poll(cx)
                .is_pending()
            {
                self.armed = true;
                return false;
            }
            self.armed = false;
            if self.sleep.deadline() >= deadline {
                return true;
            }
            self.sleep.as_mut().reset(deadline);
        }
    }
}

/// Wraps a submitted future into a [`Job`] that catches its panic and sends its result.
fn wrap<F>(job: F) -> (Job, JobHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (send, receive) = oneshot::channel();
    let job = Box::pin(async move {
        let result = CatchUnwind::new(job).await.map_err(Box::new);
        // The handle may be gone: the job was detached and its result is not wanted.
        let _ = send.send(result);
    });
    (job, JobHandle { result: receive })
}

/// The future of a submission: places the job, or waits in line until a worker takes it.
struct Dispatch<'p> {
    core: &'p Arc<Core>,
    /// The job until it is first offered.
    job: Option<Job>,
    /// Our place in the waiting line, while we wait.
    ticket: Option<u64>,
    deadline: Option<Instant>,
    sleep: Option<Pin<Box<Sleep>>>,
}

impl<'p> Dispatch<'p> {
    fn new(core: &'p Arc<Core>, job: Job, deadline: Option<Instant>) -> Self {
        Self {
            core,
            job: Some(job),
            ticket: None,
            deadline,
            sleep: None,
        }
    }
}

impl Future for Dispatch<'_> {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(job) = this.job.take() {
            let mut state = this.core.lock();
            if state.closed {
                return Poll::Ready(Err(Error::Closed));
            }
            match this.core.offer(&mut state, job) {
                Ok(placed) => {
                    drop(state);
                    this.core.dispatch(placed);
                    return Poll::Ready(Ok(()));
                }
                Err(job) => {
                    let ticket = state.next_ticket;
                    state.next_ticket += 1;
                    state.waiting.push_back(Waiter {
                        ticket,
                        job,
                        waker: cx.waker().clone(),
                    });
                    this.core.waiting_changed(&state);
                    this.ticket = Some(ticket);
                    drop(state);
                    // From now on a worker taking the job or a close wakes us through the
                    // line, and the timer through its own registration: no need to look at
                    // the line again unless the timer ran out already.
                    let Some(deadline) = this.deadline else {
                        return Poll::Pending;
                    };
                    let sleep = this
                        .sleep
                        .insert(Box::pin(tokio::time::sleep_until(deadline)));
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
            }
        }
        let Some(ticket) = this.ticket else {
            // Polled again after completing: nothing left to dispatch.
            return Poll::Ready(Err(Error::Closed));
        };
        if this.core.served.load(Ordering::Acquire) > ticket {
            // A worker took the job (only its submitter takes it out of the line otherwise).
            this.ticket = None;
            return Poll::Ready(Ok(()));
        }
        let timed_out = this
            .sleep
            .as_mut()
            .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready());
        let mut state = this.core.lock();
        let Ok(position) = state
            .waiting
            .binary_search_by_key(&ticket, |waiter| waiter.ticket)
        else {
            // A worker took the job (taking it is the only other way out of the line).
            this.ticket = None;
            return Poll::Ready(Ok(()));
        };
        if state.closed || timed_out {
            let waiter = state.waiting.remove(position);
            this.core.waiting_changed(&state);
            let error = if state.closed {
                Error::Closed
            } else {
                this.core.rejected();
                Error::DispatchTimeout
            };
            drop(state);
            drop(waiter);
            this.ticket = None;
            return Poll::Ready(Err(error));
        }
        let waker = &mut state.waiting[position].waker;
        if !waker.will_wake(cx.waker()) {
            waker.clone_from(cx.waker());
        }
        Poll::Pending
    }
}

impl Drop for Dispatch<'_> {
    fn drop(&mut self) {
        let Some(ticket) = self.ticket else {
            return;
        };
        if self.core.served.load(Ordering::Acquire) > ticket {
            return;
        }
        let mut state = self.core.lock();
        if let Ok(position) = state
            .waiting
            .binary_search_by_key(&ticket, |waiter| waiter.ticket)
        {
            let waiter = state.waiting.remove(position);
            self.core.waiting_changed(&state);
            drop(state);
            drop(waiter);
        }
    }
}

/// The output of a job submitted to a [`Pool`]: await it for the job's result.
///
/// It resolves to `Ok(output)`, to [`Error::Panic`] if the job panicked, or to
/// [`Error::Closed`] if the pool was dropped before the job finished. Dropping the handle
/// detaches the job: it still runs, and its output is dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let pool = run::Pool::builder().build().unwrap();
/// let job = pool.submit(async { panic!("bad input") }).await.unwrap();
/// let err: run::Error = job.await.unwrap_err();
/// assert!(err.is_panic());
/// assert!(err.to_string().ends_with(": bad input"));
/// # }
/// ```
#[must_use = "a job handle does nothing unless awaited; dropping it detaches the job"]
pub struct JobHandle<T> {
    /// The output, or the panic boxed: [`Error`] is large, and the channel's allocation, made
    /// for every job, then holds little more than the output.
    result: oneshot::Receiver<Result<T, Box<Panicked>>>,
}

impl<T> Future for JobHandle<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.result)
            .poll(cx)
            .map(|received| match received {
                Ok(Ok(output)) => Ok(output),
                Ok(Err(panicked)) => {
                    Err(panicked.into_error(ActorName::new(None, Leaf::Static("job"))))
                }
                Err(_) => Err(Error::Closed),
            })
    }
}

impl<T> fmt::Debug for JobHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobHandle").finish_non_exhaustive()
    }
}

#[cfg(feature = "metrics")]
impl PoolMetrics {
    /// The series of pool `name`, from zero.
    fn registered(name: &str) -> Self {
        let label = [("pool", name.to_owned())];
        let metrics = Self {
            waiting: metrics::gauge!("run_pool_waiting", &label),
            rejections: metrics::counter!("run_pool_rejections_total", &label),
        };
        metrics.waiting.set(0.0);
        metrics.rejections.increment(0);
        metrics
    }
}
