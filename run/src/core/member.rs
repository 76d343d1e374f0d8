//! The future that runs one member of a scope, whatever the face: a group's actor or a task
//! group's task.
//!
//! It is a named future rather than an `async fn` so that the member's own future is stored
//! once: an `async fn` keeps its argument and the future it awaits apart, which doubled the
//! size of every task. Invariants: the scope learns the member's result exactly once, when
//! the execute returns, panics (caught, as [`Error::Panic`]), or (for
//! [`Interrupt::Abort`](super::interrupt::Interrupt::Abort)) is dropped on interrupt;
//! `Started` is emitted on the first poll and `Exited` right before the result is reported;
//! the scope's extension, if any, learns of the first poll once it has returned.

use std::{
    future::{Future, Pending},
    pin::Pin,
    task::{ready, Context as TaskContext, Poll},
};

use tokio::{task::JoinHandle, time::Instant};

use super::{event::Event, scope::Member};
use crate::{
    error::{BoxError, Error},
    panic::{CatchUnwind, Panicked},
};

pin_project_lite::pin_project! {
    pub(crate) struct MemberTask<F, I> {
        #[pin]
        execute: Option<CatchUnwind<F>>,
        // Completes when an abortable actor is interrupted; `None` for the others.
        #[pin]
        interrupted: Option<I>,
        // Taken when the result is reported.
        member: Option<Member>,
        start: Start,
    }
}

/// Whether the actor has started, and when, if anyone observes its events.
#[derive(Clone, Copy)]
enum Start {
    NotYet,
    Unobserved,
    At(Instant),
}

/// Spawns the task of `member`; `abortable` members are dropped on interrupt.
pub(crate) fn spawn<F, E>(execute: F, member: Member, abortable: bool) -> JoinHandle<()>
where
    F: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError> + 'static,
{
    if abortable {
        spawn_task(MemberTask::new(
            execute,
            Some(interrupted(member.clone())),
            member,
        ))
    } else {
        spawn_task(MemberTask::new(execute, None::<Pending<()>>, member))
    }
}

/// Completes once `member` is interrupted.
pub(crate) async fn interrupted(member: Member) {
    loop {
        let notified = member.scope.interrupts_notified();
        if member.is_interrupted() {
            return;
        }
        notified.await;
    }
}

fn spawn_task<F, I>(task: MemberTask<F, I>) -> JoinHandle<()>
where
    MemberTask<F, I>: Future<Output = ()> + Send + 'static,
{
    #[cfg(feature = "tracing")]
    {
        let span = task
            .member
            .as_ref()
            .map_or_else(tracing::Span::none, |member| {
                member.scope.span(member.index())
            });
        tokio::spawn(tracing::Instrument::instrument(task, span))
    }
    #[cfg(not(feature = "tracing"))]
    tokio::spawn(task)
}

impl<F, I> MemberTask<F, I> {
    pub(crate) fn new(execute: F, interrupted: Option<I>, member: Member) -> Self {
        Self {
            execute: Some(CatchUnwind::new(execute)),
            interrupted,
            member: Some(member),
            start: Start::NotYet,
        }
    }
}

impl<F, E, I> Future for MemberTask<F, I>
where
    F: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
    I: Future<Output = ()>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.project();
        let first_poll = matches!(this.start, Start::NotYet);
        if let Start::NotYet = this.start {
            *this.start = Start::Unobserved;
            if let Some(member) = this.member.as_ref() {
                if member.scope.observed() {
                    member.scope.emit(member.index(), |actor, send| {
                        send(&Event::Started { actor })
                    });
                    *this.start = Start::At(Instant::now());
                }
            }
        }
        let mut execute = this.execute;
        let Some(running) = execute.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        let polled = running.poll(cx);
        if first_poll {
            // After the poll: what the execute set up in it (a nested group) exists now.
            if let Some(member) = this.member.as_ref() {
                member.scope.first_polled(member.index());
            }
        }
        let outcome = match polled {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => match this.interrupted.as_pin_mut() {
                Some(interrupted) => {
                    ready!(interrupted.poll(cx));
                    // Aborted: dropped here, where a destructor's panic is caught and
                    // reported as the actor's, not lost with its task.
                    match crate::panic::catch(|| execute.set(None)) {
                        Ok(()) => Ok(Ok(())),
                        Err(panicked) => Err(panicked),
                    }
                }
                None => return Poll::Pending,
            },
        };
        if let Some(member) = this.member.take() {
            let started = match *this.start {
                Start::At(started) => Some(started),
                Start::NotYet | Start::Unobserved => None,
            };
            report(outcome, member, started);
        }
        Poll::Ready(())
    }
}

fn report<E: Into<BoxError>>(
    outcome: Result<Result<(), E>, Panicked>,
    member: Member,
    started: Option<Instant>,
) {
    let result = match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Error::from_actor(|| member.name(), error.into())),
        Err(panicked) => Err(panicked.into_error(member.name())),
    };
    let (scope, index) = (&member.scope, member.index());
    if let Some(started) = started {
        let elapsed = started.elapsed();
        scope.emit(index, |actor, send| {
            send(&Event::Exited {
                actor,
                result: &result,
                elapsed,
            });
        });
    }
    scope.exited(index, result);
}
