//! Tracked child tasks: what an actor starts with [`Context::spawn`] is interrupted with it,
//! joined with it and aborted with it; it never outlives its group.
//!
//! Invariants: stated once, on [`Context::spawn`]; the bookkeeping is the core's (child tasks
//! are dynamic members owned by the actor, see `core/scope/dynamic.rs`).

use std::{
    borrow::Cow,
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context as TaskCx, Poll},
};

use crate::{
    context::Context,
    core::{
        member,
        scope::{Ended, Member, Scope},
    },
    error::Error,
    runner::Runner,
};

impl Context {
    /// Starts `runner` as a child task of this actor, named after
    /// [`Runner::name`](crate::Runner::name) under the actor's path (`app/http/conn`;
    /// closures are numbered: `app/http/actor-7`).
    ///
    /// Structured, unlike `tokio::spawn`: the child's [`Context`] is interrupted when this
    /// actor is interrupted or returns; the actor counts as running until its children have
    /// returned, so a stage waits for them and the actor's timeouts cover them; when the actor
    /// is aborted (a timeout, a forced stop, its group's `run()` dropped) they are aborted
    /// too. A child is a [`Task`](crate::ExitPolicy::Task): `Ok` just ends it, an error or a
    /// panic stops the group like any actor's, and every failure is kept on the group's
    /// error. Its events reach the group's hook.
    ///
    /// While this actor stops (interrupted, or returned with children still running), a new
    /// child still runs, its [`Context`] interrupted from the start, under the actor's
    /// timeout: work the actor took before it saw the stop is not lost (see the second
    /// example).
    ///
    /// Errors: [`Error::Ended`] once this actor has ended (its execute and its children have
    /// returned, it was aborted, or its group's `run` was dropped), [`Error::NoRuntime`]
    /// outside a tokio runtime; the runner is then not run.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::{Context, Group};
    /// use tokio::sync::mpsc;
    ///
    /// let (done, mut finished) = mpsc::unbounded_channel();
    /// let mut group = Group::named("app");
    /// group
    ///     .spawn(move |ctx: Context| async move {
    ///         for _ in 0..3 {
    ///             let done = done.clone();
    ///             // A connection handler: it ends when the server is interrupted.
    ///             ctx.spawn(move |conn: Context| async move {
    ///                 conn.interrupted().await;
    ///                 done.send(conn.name().to_string()).unwrap();
    ///             })
    ///             .unwrap();
    ///         }
    ///         ctx.interrupted().await;
    ///     })
    ///     .name("server");
    /// group.spawn(|_ctx: Context| async {}).name("oneshot");
    /// group.run().await.unwrap(); // returns once the children have returned too
    /// let mut names = Vec::new();
    /// while let Ok(name) = finished.try_recv() {
    ///     names.push(name);
    /// }
    /// names.sort();
    /// assert_eq!(names, ["app/server/actor-0", "app/server/actor-1", "app/server/actor-2"]);
    /// # }
    /// ```
    ///
    /// A worker that took a job, then saw the stop: the job still runs, and the stop is clean.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Error, Group};
    /// use std::time::Duration;
    /// use tokio::sync::{mpsc, oneshot};
    ///
    /// let (submit, mut jobs) = mpsc::channel::<u32>(1);
    /// let (done, finished) = oneshot::channel();
    /// let mut group = Group::named("app");
    /// group
    ///     .spawn(move |ctx: Context| async move {
    ///         let job = jobs.recv().await.unwrap(); // taken...
    ///         ctx.request_stop(); // ...and then the app stops
    ///         ctx.interrupted().await;
    ///         ctx.spawn_named("job", move |job_ctx: Context| async move {
    ///             assert!(job_ctx.is_interrupted());
    ///             tokio::time::sleep(Duration::from_secs(1)).await; // finishes the job
    ///             done.send(job).unwrap();
    ///         })?;
    ///         Ok::<_, Error>(())
    ///     })
    ///     .name("worker")
    ///     .timeout(Duration::from_secs(5)); // the job too must be done by then
    /// submit.send(7).await.unwrap();
    /// group.run().await.unwrap(); // a requested stop: clean
    /// assert_eq!(finished.await.unwrap(), 7);
    /// # }
    /// ```
    pub fn spawn<R: Runner>(&self, runner: R) -> Result<(), Error> {
        let name = runner.name();
        self.spawn_named(name, runner)
    }

    /// [`spawn`](Context::spawn), naming the child `name`.
    pub fn spawn_named<R: Runner>(
        &self,
        name: impl Into<Cow<'static, str>>,
        mut runner: R,
    ) -> Result<(), Error> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        let owner = self.member();
        let scope = &owner.scope;
        let index = scope
            .add_child(owner.index, name.into())
            .map_err(|Ended| Error::Ended {
                actor: owner.name(),
            })?;
        let guard = ChildGuard {
            scope: Arc::clone(scope),
            index,
            owner: owner.index,
        };
        let interrupt = runner.interrupt();
        let abortable = interrupt.aborts();
        scope.start_child(index, interrupt.into_call());
        let child = Member {
            scope: Arc::clone(scope),
            index,
        };
        let execute = runner.run(Context::new(child.clone()));
        let task = member::spawn_in_span(
            ChildTask {
                task: Box::pin(member::future(execute, child, abortable)),
                _guard: guard,
            },
            scope,
            index as usize,
        );
        scope.add_child_task(owner.index, task);
        Ok(())
    }
}

/// Counts a child as running, in its scope and in its owner, until dropped: when it ends,
/// is aborted, or never started.
struct ChildGuard {
    scope: Arc<Scope>,
    index: u32,
    owner: u32,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.scope.remove_child(self.index, self.owner);
    }
}

/// A child's tokio task: its member future, then its guard.
struct ChildTask<F> {
    task: Pin<Box<F>>,
    _guard: ChildGuard,
}

impl<F: Future<Output = ()>> Future for ChildTask<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskCx<'_>) -> Poll<()> {
        self.task.as_mut().poll(cx)
    }
}
