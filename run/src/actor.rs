//! The task that runs one actor of a group.
//!
//! It is a named future rather than an `async fn` so that the actor's own future is stored
//! once: an `async fn` keeps its argument and the future it awaits apart, which doubled the
//! size of every task. Invariants: the actor's [`Context`] learns the result exactly once,
//! when the execute returns, panics, or (for [`Interrupt::Abort`](crate::Interrupt::Abort))
//! is dropped on interrupt; `Started` is emitted on the first poll and `Exited` right before
//! the result is reported.

use std::{
    future::{Future, Pending},
    pin::Pin,
    task::{ready, Context as TaskContext, Poll},
};

use tokio::{task::JoinHandle, time::Instant};

use crate::{
    panic::{CatchUnwind, Panicked},
    BoxError, Context, Error, Event,
};

pin_project_lite::pin_project! {
    struct ActorTask<F, I> {
        #[pin]
        execute: CatchUnwind<F>,
        // Completes when an abortable actor is interrupted; `None` for the others.
        #[pin]
        interrupted: Option<I>,
        // Taken when the result is reported.
        ctx: Option<Context>,
        began: bool,
        // When the actor started, if anyone observes its events.
        started: Option<Instant>,
    }
}

/// Spawns the task of the actor whose context is `ctx`; `abortable` actors are dropped on
/// interrupt.
pub(crate) fn spawn<F, E>(execute: F, ctx: Context, abortable: bool) -> JoinHandle<()>
where
    F: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError> + 'static,
{
    if abortable {
        let interrupted = ctx.clone().into_interrupted();
        spawn_task(ActorTask::new(execute, Some(interrupted), ctx))
    } else {
        spawn_task(ActorTask::new(execute, None::<Pending<()>>, ctx))
    }
}

fn spawn_task<F, I>(task: ActorTask<F, I>) -> JoinHandle<()>
where
    ActorTask<F, I>: Future<Output = ()> + Send + 'static,
{
    #[cfg(feature = "tracing")]
    {
        let span = task
            .ctx
            .as_ref()
            .and_then(Context::slot)
            .map_or_else(tracing::Span::none, |(shared, index)| {
                shared.span(index).clone()
            });
        tokio::spawn(tracing::Instrument::instrument(task, span))
    }
    #[cfg(not(feature = "tracing"))]
    tokio::spawn(task)
}

impl<F, I> ActorTask<F, I> {
    fn new(execute: F, interrupted: Option<I>, ctx: Context) -> Self {
        Self {
            execute: CatchUnwind::new(execute),
            interrupted,
            ctx: Some(ctx),
            began: false,
            started: None,
        }
    }
}

impl<F, E, I> Future for ActorTask<F, I>
where
    F: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
    I: Future<Output = ()>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.project();
        if !*this.began {
            *this.began = true;
            if let Some((shared, index)) = this.ctx.as_ref().and_then(Context::slot) {
                if shared.observed() {
                    shared.emit(index, |actor, send| send(&Event::Started { actor }));
                    *this.started = Some(Instant::now());
                }
            }
        }
        let outcome = match this.execute.poll(cx) {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => match this.interrupted.as_pin_mut() {
                Some(interrupted) => {
                    ready!(interrupted.poll(cx));
                    Ok(Ok(()))
                }
                None => return Poll::Pending,
            },
        };
        if let Some(ctx) = this.ctx.take() {
            report(outcome, ctx, *this.started);
        }
        Poll::Ready(())
    }
}

fn report<E: Into<BoxError>>(
    outcome: Result<Result<(), E>, Panicked>,
    ctx: Context,
    started: Option<Instant>,
) {
    let result = match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Error::from_actor(|| ctx.name(), error.into())),
        Err(panicked) => Err(panicked.into_error(ctx.name())),
    };
    if let (Some(started), Some((shared, index))) = (started, ctx.slot()) {
        let elapsed = started.elapsed();
        shared.emit(index, |actor, send| {
            send(&Event::Exited {
                actor,
                result: &result,
                elapsed,
            });
        });
    }
    ctx.exited(result);
}
