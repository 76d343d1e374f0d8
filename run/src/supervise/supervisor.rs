//! The supervisor of one restartable actor: it runs each incarnation as a scope nested under
//! the actor's member, decides what follows an exit, and plays its part in the group's
//! strategy.
//!
//! Invariants:
//! - an incarnation is a nested scope of one member with the actor's own name, so it is
//!   interrupted, timed out and reported by the [core](crate::core::scope) like any actor,
//!   and a stop of the group reaches it through the parent link;
//! - nothing restarts once the stop has begun, in the actor's group or in any group above
//!   (even before the actor's member is interrupted, in a later stage): a restart decided
//!   before ends the supervisor with `Ok` instead;
//! - a failure is reported once: as it happens (the incarnation's `Exited`), then by the
//!   decision on it, a restart ([`Event::Restarting`]) or giving up
//!   ([`Event::RestartLimit`], whatever the exit policy); a failure a restart was decided on
//!   is handled, so a stop that comes before that restart (during the backoff, or while
//!   waiting on the strategy) ends the supervisor with `Ok`;
//! - at most one strategy restart runs at a time in a group (the strategist's turn): it stops
//!   the siblings in reverse start order, waits out the backoff, and starts the restarted
//!   actors again in start order, each one's factory called once the one before has been;
//! - the restart counts and the backoff are the [policy's](super::policy::RestartPolicy).

use std::{
    collections::VecDeque,
    future::{Future, poll_fn},
    hash::BuildHasher,
    pin::pin,
    sync::{Arc, Mutex, PoisonError},
    task::Poll,
    time::Duration,
};

use tokio::{
    sync::{Mutex as TurnLock, OwnedMutexGuard, mpsc, oneshot},
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use super::policy::{RestartPolicy, Strategy};
use crate::{
    context::Context,
    core::{event::Event, incarnation, status::RestartRecord},
    error::Error,
    panic,
    runner::Runner,
};

/// A sibling's order to stop and start again: answered with `stopped` once the current
/// incarnation has ended, then started when `go` brings the sender of its `started` answer.
struct Order {
    stopped: oneshot::Sender<()>,
    go: oneshot::Receiver<oneshot::Sender<()>>,
}

/// The group's strategy, shared by its supervisors for one run.
pub(crate) struct Strategist {
    strategy: Strategy,
    /// Each running supervisor's order queue, by member index, in start order.
    members: Mutex<Vec<(u32, mpsc::UnboundedSender<Order>)>>,
    turn: Arc<TurnLock<()>>,
}

impl Strategist {
    pub(crate) fn new(strategy: Strategy) -> Arc<Self> {
        Arc::new(Self {
            strategy,
            members: Mutex::default(),
            turn: Arc::new(TurnLock::new(())),
        })
    }

    fn join(&self, index: u32, orders: mpsc::UnboundedSender<Order>) {
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        let at = members.partition_point(|(of, _)| *of < index);
        members.insert(at, (index, orders));
    }

    /// The siblings restarted with member `index`, in start order.
    fn siblings_of(&self, index: u32) -> Vec<(u32, mpsc::UnboundedSender<Order>)> {
        let members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        members
            .iter()
            .filter(|(of, _)| match self.strategy {
                Strategy::OneForOne => false,
                Strategy::OneForAll => *of != index,
                Strategy::RestForOne => *of > index,
            })
            .cloned()
            .collect()
    }
}

/// One restartable actor's supervisor: what its member runs.
pub(crate) struct Supervisor<F> {
    pub(crate) make: F,
    pub(crate) policy: RestartPolicy,
    /// The actor's own shutdown timeout, given to each incarnation.
    pub(crate) timeout: Option<Duration>,
    pub(crate) strategist: Option<Arc<Strategist>>,
    /// A child started at run time: its handle's stop
    /// ([`ChildHandle`](super::child::ChildHandle)).
    pub(crate) until: Option<CancellationToken>,
}

/// What ends a supervisor: its member's interrupt (the group stops), or its handle's stop.
#[derive(Clone, Copy)]
struct Stopping<'a> {
    ctx: &'a Context,
    until: Option<&'a CancellationToken>,
}

impl Stopping<'_> {
    fn now(&self) -> bool {
        self.ctx.is_interrupted() || self.until.is_some_and(CancellationToken::is_cancelled)
    }

    async fn wait(&self) {
        let handle = async {
            match self.until {
                Some(until) => until.cancelled().await,
                None => std::future::pending().await,
            }
        };
        let _ = race3(self.ctx.interrupted(), handle, std::future::pending::<()>()).await;
    }
}

/// A supervisor's final result once it was stopped: the stop itself is no failure.
fn without_the_stop(result: Result<(), Error>) -> Result<(), Error> {
    match result {
        Err(Error::Cancelled) => Ok(()),
        other => other,
    }
}

/// The run's result, final (not restarted). The run's own failure went to `tracing` at
/// `DEBUG` only, its supervisor deciding; a failure not restarted is an `ERROR` once, here,
/// for an actor whose member sends no events of its own (a group's restartable actor; a
/// child's supervisor reports its own exit).
fn final_result(ctx: &Context, result: Result<(), Error>) -> Result<(), Error> {
    #[cfg(feature = "tracing")]
    if let Err(error) = &result {
        let member = ctx.member();
        if !matches!(error, Error::Cancelled | Error::Signal(_))
            && member.scope.is_quiet(member.index())
        {
            tracing::error!(
                target: crate::core::event::TARGET,
                actor = %ctx.name(),
                error = %error.report(),
                "failed"
            );
        }
    }
    #[cfg(not(feature = "tracing"))]
    let _ = ctx;
    result
}

/// How an incarnation ended.
enum Ending {
    /// On its own, or because the group stops.
    Exit(Result<(), Error>),
    /// Stopped by a sibling's restart.
    Ordered(Result<(), Error>, Order),
}

impl<F, R> Supervisor<F>
where
    F: Fn() -> R + Send + Sync + 'static,
    R: Runner,
{
    pub(crate) async fn supervise(self, ctx: Context) -> Result<(), Error> {
        let member = ctx.member().clone();
        let (scope, index) = (&member.scope, member.index());
        let stopping = Stopping {
            ctx: &ctx,
            until: self.until.as_ref(),
        };
        let record = Arc::new(RestartRecord::new());
        scope.keep_restart_record(index, Arc::clone(&record));
        let (orders_in, mut orders) = mpsc::unbounded_channel();
        if let Some(strategist) = &self.strategist {
            strategist.join(member.index, orders_in);
        } else {
            drop(orders_in);
        }
        let mut restarts_in_period = VecDeque::new();
        let mut consecutive = 0;
        let mut attempt = 0;
        let mut jitter = Jitter::new(index);
        // After this one's own coordinated restart: the turn, and the siblings to start
        // after it.
        let mut start_after: Option<(OwnedMutexGuard<()>, Vec<Go>)> = None;
        // After a sibling's restart: the coordinator waiting for this one to have started.
        let mut started: Option<oneshot::Sender<()>> = None;
        loop {
            // Nothing starts again once the stop has begun, here or in a group above, even
            // before this member's interrupt (a later stage): a restart decided before the
            // stop, its backoff waited out, or a sibling's restart, ends here with `Ok`, the
            // failure it answered being history. The first run is the group's to start.
            if attempt > 0 && scope.stopping_here_or_above() {
                return Ok(());
            }
            record.started();
            let started_at = Instant::now();
            let runner = panic::catch(|| (self.make)());
            let turn = Turn {
                started: started.take(),
                start_after: start_after.take(),
            };
            let ending = match runner {
                Ok(runner) => self.incarnate(stopping, runner, &mut orders, turn).await,
                Err(panicked) => {
                    turn.pass().await;
                    Ending::Exit(Err(panicked.into_error(ctx.name())))
                }
            };
            let (result, order) = match ending {
                Ending::Exit(result) => (result, None),
                Ending::Ordered(result, order) => (result, Some(order)),
            };
            if stopping.now() {
                return final_result(&ctx, without_the_stop(result));
            }
            if let Some(order) = order {
                // A sibling's restart: the stop was asked for, only a failure is news.
                let error = result
                    .err()
                    .filter(|error| !matches!(error, Error::Cancelled));
                attempt += 1;
                self.restarting(&ctx, &record, attempt, Duration::ZERO, error.as_ref());
                match self.obey(stopping, order).await {
                    Some(ack) => started = ack,
                    None => return Ok(()),
                }
                continue;
            }
            if !self.policy.restart_kind().restarts_after(&result) {
                return final_result(&ctx, result);
            }
            let now = Instant::now();
            let period = self.policy.period();
            while restarts_in_period
                .front()
                .is_some_and(|at| now.duration_since(*at) >= period)
            {
                restarts_in_period.pop_front();
            }
            if restarts_in_period.len() >= self.policy.limit() as usize {
                let restarts = restarts_in_period.len() as u32;
                let last = result.err();
                gave_up(&ctx, restarts, period, last.as_ref());
                return Err(Error::RestartLimit {
                    actor: ctx.name(),
                    restarts,
                    period,
                    last: last.map(Box::new),
                });
            }
            restarts_in_period.push_back(now);
            if now.duration_since(started_at) >= period {
                consecutive = 0;
            }
            let delay = self.policy.backoff_of().delay(consecutive, jitter.next());
            consecutive = consecutive.saturating_add(1);
            attempt += 1;
            self.restarting(&ctx, &record, attempt, delay, result.as_ref().err());
            let Some(strategist) = self
                .strategist
                .as_ref()
                .filter(|strategist| strategist.strategy != Strategy::OneForOne)
            else {
                if !sleep_unless_stopping(stopping, delay).await {
                    return Ok(());
                }
                continue;
            };
            // A strategy restart: one at a time; while waiting for the turn, a sibling's
            // restart that includes this actor is obeyed instead.
            let turn = Arc::clone(&strategist.turn).lock_owned();
            let waited = race3(turn, orders.recv(), stopping.wait()).await;
            match waited {
                First::A(turn) => {
                    let Some(later) = stop_siblings(stopping, strategist, member.index).await
                    else {
                        return Ok(());
                    };
                    if !sleep_unless_stopping(stopping, delay).await {
                        return Ok(());
                    }
                    start_in_order(later.earlier).await;
                    start_after = Some((turn, later.later));
                }
                First::B(Some(order)) => match self.obey(stopping, order).await {
                    Some(ack) => started = ack,
                    None => return Ok(()),
                },
                First::B(None) | First::C(()) => return Ok(()),
            }
        }
    }

    /// Runs one incarnation of the actor, as the [core's](crate::core::incarnation) scope of
    /// one member nested under the actor's; a sibling's order or the handle's stop stops it.
    async fn incarnate(
        &self,
        stopping: Stopping<'_>,
        runner: R,
        orders: &mut mpsc::UnboundedReceiver<Order>,
        turn: Turn,
    ) -> Ending {
        let (stop, stopped) = oneshot::channel::<()>();
        let mut run = pin!(incarnation::incarnate(
            stopping.ctx.member(),
            runner,
            self.timeout,
            async move {
                let _ = stopped.await;
            }
        ));
        // The first poll spawns the incarnation's task: only then may the next actor of a
        // strategy restart start, so that they start in order.
        let first = poll_fn(|cx| Poll::Ready(run.as_mut().poll(cx))).await;
        turn.pass().await;
        if let Poll::Ready(result) = first {
            return Ending::Exit(result);
        }
        let mut orders_open = true;
        // The member's interrupt reaches the incarnation through the parent link; the
        // handle's stop does not.
        let mut handle_stop = pin!(async {
            match stopping.until {
                Some(until) => until.cancelled().await,
                None => std::future::pending().await,
            }
        });
        let ordered = poll_fn(|cx| {
            if let Poll::Ready(result) = run.as_mut().poll(cx) {
                return Poll::Ready(Err(Some(result)));
            }
            if handle_stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(None));
            }
            if orders_open {
                match orders.poll_recv(cx) {
                    Poll::Ready(Some(order)) => return Poll::Ready(Ok(order)),
                    Poll::Ready(None) => orders_open = false,
                    Poll::Pending => {}
                }
            }
            Poll::Pending
        })
        .await;
        match ordered {
            Err(Some(result)) => Ending::Exit(result),
            Err(None) => {
                drop(stop);
                Ending::Exit(run.await)
            }
            Ok(order) => {
                drop(stop);
                Ending::Ordered(run.await, order)
            }
        }
    }

    /// Answers a sibling's order (its incarnation has ended) and waits for the go; `None` if
    /// the group stopped meanwhile, else the sender of the `started` answer, if any.
    async fn obey(
        &self,
        stopping: Stopping<'_>,
        order: Order,
    ) -> Option<Option<oneshot::Sender<()>>> {
        let _ = order.stopped.send(());
        match race3(order.go, stopping.wait(), std::future::pending::<()>()).await {
            First::A(Ok(started)) => Some(Some(started)),
            // The coordinator is gone (its group is stopping): start again, and the stop
            // reaches the new incarnation at once.
            First::A(Err(_)) => Some(None),
            First::B(()) | First::C(()) => None,
        }
    }

    fn restarting(
        &self,
        ctx: &Context,
        record: &RestartRecord,
        attempt: u32,
        delay: Duration,
        error: Option<&Error>,
    ) {
        record.restarting(error);
        let member = ctx.member();
        member.scope.emit_unmuted(member.index(), |actor, send| {
            send(&Event::Restarting {
                actor,
                attempt,
                delay,
                error,
            });
        });
    }
}

/// Reports that the actor `ctx` runs is past its limit, whatever its exit policy: its member
/// sends no events of its own, and a sidecar's final result is not returned.
fn gave_up(ctx: &Context, restarts: u32, period: Duration, last: Option<&Error>) {
    let member = ctx.member();
    member.scope.emit_unmuted(member.index(), |actor, send| {
        send(&Event::RestartLimit {
            actor,
            restarts,
            period,
            last,
        });
    });
}

impl<F, R> Runner for Supervisor<F>
where
    F: Fn() -> R + Send + Sync + 'static,
    R: Runner,
{
    type Error = Error;

    fn run(self, ctx: Context) -> impl Future<Output = Result<(), Error>> + Send {
        self.supervise(ctx)
    }

    fn interrupt(&mut self) -> crate::core::interrupt::Interrupt {
        crate::core::interrupt::Interrupt::Context
    }
}

/// The go of a stopped sibling, carrying the sender of its `started` answer.
type Go = oneshot::Sender<oneshot::Sender<()>>;

/// The stopped siblings of a strategy restart, by when they start again: before the actor
/// that failed, or after it.
struct Stopped {
    earlier: Vec<Go>,
    later: Vec<Go>,
}

/// Stops the siblings member `index` restarts with, one by one in reverse start order, each
/// through its own interrupt and timeout; `None` if the group stopped meanwhile.
async fn stop_siblings(
    stopping: Stopping<'_>,
    strategist: &Strategist,
    index: u32,
) -> Option<Stopped> {
    let mut stopped = Stopped {
        earlier: Vec::new(),
        later: Vec::new(),
    };
    for (sibling, orders) in strategist.siblings_of(index).into_iter().rev() {
        let (answer, has_stopped) = oneshot::channel();
        let (go, waits) = oneshot::channel();
        if orders
            .send(Order {
                stopped: answer,
                go: waits,
            })
            .is_err()
        {
            continue; // it has ended for good
        }
        match race3(has_stopped, stopping.wait(), std::future::pending::<()>()).await {
            First::A(Ok(())) if sibling < index => stopped.earlier.push(go),
            First::A(Ok(())) => stopped.later.push(go),
            First::A(Err(_)) => {} // it ended for good instead
            First::B(()) | First::C(()) => return None,
        }
    }
    stopped.earlier.reverse();
    stopped.later.reverse();
    Some(stopped)
}

/// This actor's part in a strategy restart, passed on once its incarnation has started.
struct Turn {
    /// The coordinator waiting for this sibling to have started.
    started: Option<oneshot::Sender<()>>,
    /// This actor's own restart: the turn, and the siblings to start after it.
    start_after: Option<(OwnedMutexGuard<()>, Vec<Go>)>,
}

impl Turn {
    async fn pass(self) {
        if let Some(started) = self.started {
            let _ = started.send(());
        }
        if let Some((turn, later)) = self.start_after {
            start_in_order(later).await;
            drop(turn);
        }
    }
}

/// Starts stopped siblings in order, each once the one before has started its incarnation.
async fn start_in_order(siblings: Vec<Go>) {
    for go in siblings {
        let (started, has_started) = oneshot::channel();
        if go.send(started).is_ok() {
            let _ = has_started.await;
        }
    }
}

/// Waits `delay`, unless the supervisor is stopped first (then `false`).
async fn sleep_unless_stopping(stopping: Stopping<'_>, delay: Duration) -> bool {
    if delay.is_zero() {
        return !stopping.now();
    }
    let sleep = tokio::time::sleep(delay);
    matches!(
        race3(sleep, stopping.wait(), std::future::pending::<()>()).await,
        First::A(())
    )
}

/// Which of three futures finished first.
enum First<A, B, C> {
    A(A),
    B(B),
    C(C),
}

/// Polls three futures, in order, until one finishes.
async fn race3<A: Future, B: Future, C: Future>(
    a: A,
    b: B,
    c: C,
) -> First<A::Output, B::Output, C::Output> {
    let (mut a, mut b, mut c) = (pin!(a), pin!(b), pin!(c));
    poll_fn(|cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(First::A(out));
        }
        if let Poll::Ready(out) = b.as_mut().poll(cx) {
            return Poll::Ready(First::B(out));
        }
        if let Poll::Ready(out) = c.as_mut().poll(cx) {
            return Poll::Ready(First::C(out));
        }
        Poll::Pending
    })
    .await
}

/// Where each backoff falls in its range: xorshift, seeded per supervisor, so that siblings
/// that fail together spread out.
struct Jitter(u64);

impl Jitter {
    fn new(index: usize) -> Self {
        let seed = std::collections::hash_map::RandomState::new().hash_one(index);
        Self(seed | 1)
    }

    /// A number in `[0, 1)`.
    fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}
