//! The future that runs one member of a scope, whatever the face: a group's actor, an
//! incarnation, a task group's task or a child task. It is the one launch path: every face
//! gets its member's task ([`spawn`]) or future ([`future`]) here, from its execute and its
//! interrupt.
//!
//! It is a named future rather than an `async fn` so that the member's own future is stored
//! once: an `async fn` keeps its argument and the future it awaits apart, which doubled the
//! size of every task. Invariants: the scope learns the member's result exactly once, when
//! the execute returns, panics (caught, as [`Error::Panic`]), or (for
//! [`Interrupt::Abort`](super::interrupt::Interrupt::Abort)) is dropped on interrupt;
//! the execute is dropped, inside a catch, before the result is reported, so a
//! member reported as exited has nothing left to run and its task's output is `()`: the run
//! loop may release the task without reading it; `Started` is emitted on the first poll and
//! `Exited` right before the result is reported; the scope's extension, if any, learns of the
//! first poll once it has returned.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context as TaskContext, Poll, ready},
};

use tokio::task::JoinHandle;

use super::{
    event::Event,
    scope::{Member, Scope},
};
use crate::{
    error::{BoxError, Error},
    panic::Panicked,
};

pin_project_lite::pin_project! {
    /// Laid out to stay small: a typical actor's whole task (its own future, the scope and
    /// the index, in tokio's stage enum) fits in 112 bytes, which tokio's spawn moves without
    /// a `memcpy` call (120 bytes did not). An abortable execute is wrapped in
    /// [`Abortable`]; the start time of an observed member is kept by the scope.
    pub(crate) struct MemberTask<F> {
        #[pin]
        execute: Execute<F>,
        // The member's scope, taken when the result is reported.
        scope: Option<Arc<Scope>>,
    }
}

pin_project_lite::pin_project! {
    /// The member's own future, polled and dropped once it returns inside one catch: once
    /// the scope knows the member exited, nothing of it is left to run, and its task need
    /// not be joined. The index and the first-poll flag live in the running variant, so
    /// that the flag's spare values tell the two variants apart and no tag word is added.
    #[project = ExecuteProj]
    enum Execute<F> {
        Running {
            #[pin]
            future: F,
            index: u32,
            polled: bool,
        },
        Done,
    }
}

pin_project_lite::pin_project! {
    /// An execute dropped where it stands once `interrupted` completes
    /// ([`Interrupt::Abort`](super::interrupt::Interrupt::Abort)); it then counts as having
    /// returned `Ok(())`. Its destructor runs inside the member's poll, so a panic in it is
    /// caught as the actor's, not lost with its task.
    pub(crate) struct Abortable<F, I> {
        #[pin]
        execute: Option<F>,
        // `None`: never aborted (a task group's task that is not abortable).
        #[pin]
        interrupted: Option<I>,
    }
}

impl<F, I> Abortable<F, I> {
    fn new(execute: F, interrupted: Option<I>) -> Self {
        Self {
            execute: Some(execute),
            interrupted,
        }
    }
}

impl<F, E, I> Future for Abortable<F, I>
where
    F: Future<Output = Result<(), E>>,
    I: Future<Output = ()>,
{
    type Output = Result<(), E>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        match this.execute.as_mut().as_pin_mut() {
            Some(execute) => {
                if let Poll::Ready(result) = execute.poll(cx) {
                    return Poll::Ready(result);
                }
            }
            None => return Poll::Ready(Ok(())),
        }
        let Some(interrupted) = this.interrupted.as_pin_mut() else {
            return Poll::Pending;
        };
        ready!(interrupted.poll(cx));
        // A panic in the destructor unwinds to the catch around the member's poll.
        this.execute.set(None);
        Poll::Ready(Ok(()))
    }
}

/// Spawns the task of fixed member `member` (a group's actor, an incarnation) running
/// `execute`, dropped where it stands once interrupted if `abortable`
/// ([`Interrupt::aborts`](super::interrupt::Interrupt::aborts)). One that is not is not wrapped, so that a typical actor's task
/// stays within 112 bytes. With [`future`], the one launch path of every face.
pub(crate) fn spawn<F, E>(execute: F, member: Member, abortable: bool) -> JoinHandle<()>
where
    F: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError> + 'static,
{
    if abortable {
        spawn_task(future(execute, member, true))
    } else {
        spawn_task(MemberTask::new(execute, member))
    }
}

/// The future of dynamic member `member` (a task group's task, a child task) running
/// `execute`, dropped where it stands once interrupted if `abortable`
/// ([`Interrupt::aborts`](super::interrupt::Interrupt::aborts)), for its face to poll in place or to spawn with what it carries.
pub(crate) fn future<F, E>(
    execute: F,
    member: Member,
    abortable: bool,
) -> MemberTask<Abortable<F, impl Future<Output = ()> + Send + 'static>>
where
    F: Future<Output = Result<(), E>>,
{
    let interrupted = abortable.then(|| interrupted(member.clone()));
    MemberTask::new(Abortable::new(execute, interrupted), member)
}

/// Completes once `member` is interrupted.
async fn interrupted(member: Member) {
    loop {
        let notified = member.scope.interrupts_notified();
        if member.is_interrupted() {
            return;
        }
        notified.await;
    }
}

fn spawn_task<F>(task: MemberTask<F>) -> JoinHandle<()>
where
    MemberTask<F>: Future<Output = ()> + Send + 'static,
{
    #[cfg(feature = "tracing")]
    {
        let span = match (&task.scope, &task.execute) {
            (Some(scope), Execute::Running { index, .. }) => scope.span(*index as usize),
            _ => tracing::Span::none(),
        };
        tokio::spawn(tracing::Instrument::instrument(task, span))
    }
    #[cfg(not(feature = "tracing"))]
    tokio::spawn(task)
}

/// Spawns `task`, the tokio task of member `index` of `scope` (a child task's, with what
/// it carries besides its member future), in the member's span (feature `tracing`): every
/// member's records are in its own span, a child task's too.
pub(crate) fn spawn_in_span<T>(task: T, scope: &Scope, index: usize) -> JoinHandle<()>
where
    T: Future<Output = ()> + Send + 'static,
{
    #[cfg(feature = "tracing")]
    return tokio::spawn(tracing::Instrument::instrument(task, scope.span(index)));
    #[cfg(not(feature = "tracing"))]
    {
        let _ = (scope, index);
        tokio::spawn(task)
    }
}

impl<F> MemberTask<F> {
    fn new(execute: F, member: Member) -> Self {
        Self {
            execute: Execute::Running {
                future: execute,
                index: member.index,
                polled: false,
            },
            scope: Some(member.scope),
        }
    }
}

impl<F, E> Future for MemberTask<F>
where
    F: Future<Output = Result<(), E>>,
    E: Into<BoxError>,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let mut this = self.project();
        let (Some(scope), ExecuteProj::Running { index, polled, .. }) =
            (this.scope.as_ref(), this.execute.as_mut().project())
        else {
            // Reported already: the execute is done and is not polled again.
            return Poll::Ready(());
        };
        let index = *index;
        let first_poll = !*polled;
        if first_poll {
            *polled = true;
            if scope.observed() {
                scope.emit(index as usize, |actor, send| {
                    send(&Event::Started { actor })
                });
                scope.note_started(index as usize);
            }
        }
        let mut execute = this.execute;
        // The result, once returned; kept outside the catch, so that a destructor that
        // panics after an error loses neither.
        let mut returned = None;
        let caught = crate::panic::catch(|| {
            let ExecuteProj::Running { future, .. } = execute.as_mut().project() else {
                return Poll::Ready(());
            };
            let result = ready!(future.poll(cx));
            returned = Some(result);
            // Its destructor may still run code (a hand-written future's): caught as the
            // actor's, before its exit is reported.
            execute.set(Execute::Done);
            Poll::Ready(())
        });
        if first_poll {
            // After the poll: what the execute set up in it (a nested group) exists now.
            scope.first_polled(index as usize);
        }
        if caught.is_err() {
            // Panicked while polled: dropped here too, so that nothing of it outlives the
            // report; a second panic, in its destructor, is kept as well.
            if let Err(panicked) = crate::panic::catch(|| execute.set(Execute::Done)) {
                scope.record_failure(panicked.into_error(scope.name(index as usize)));
            }
        }
        let outcome = match (caught, returned) {
            (Ok(Poll::Pending), _) => return Poll::Pending,
            (Ok(Poll::Ready(())), Some(result)) => Ok(result),
            (Ok(Poll::Ready(())), None) => return Poll::Ready(()),
            (Err(panicked), None | Some(Ok(()))) => Err(panicked),
            (Err(panicked), Some(Err(error))) => {
                // Failed, then panicked in its destructor: both are kept.
                scope.record_failure(panicked.into_error(scope.name(index as usize)));
                Ok(Err(error))
            }
        };
        if let Some(scope) = this.scope.take() {
            report(outcome, Member { scope, index });
        }
        Poll::Ready(())
    }
}

fn report<E: Into<BoxError>>(outcome: Result<Result<(), E>, Panicked>, member: Member) {
    let result = match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(Error::from_actor(|| member.name(), error.into())),
        Err(panicked) => Err(panicked.into_error(member.name())),
    };
    let (scope, index) = (&member.scope, member.index());
    if let Some(started) = scope
        .observed()
        .then(|| scope.take_started(index))
        .flatten()
    {
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

#[cfg(test)]
mod tests {
    use std::{future::Future, pin::Pin, task::Poll};

    use super::MemberTask;

    /// A future of a given size, alignment 8, as an actor's typically is.
    struct Words<const WORDS: usize>([u64; WORDS]);

    impl<const WORDS: usize> Future for Words<WORDS> {
        type Output = Result<(), std::io::Error>;

        fn poll(self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<Self::Output> {
            Poll::Ready(Ok(()))
        }
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_member_task_adds_two_words_to_its_future() {
        // The scope, then the index and the first-poll flag in the word whose spare values
        // also tell a running execute from a finished one: no separate tag.
        let size = std::mem::size_of::<MemberTask<Words<12>>>();
        assert_eq!(size, 12 * 8 + 16);
        assert_eq!(std::mem::size_of::<MemberTask<Words<1>>>(), 8 + 16);
    }
}
