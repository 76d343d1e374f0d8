//! Restartable children started at run time (OTP's `DynamicSupervisor`): each with a handle to
//! stop just that child, with everything it runs, and to join it.
//!
//! Invariants: a child is a child task of the actor that started it
//! ([`Context::spawn`](crate::Context::spawn)'s guarantees hold: it never outlives its group),
//! run by the same [supervisor](super::supervisor) as an actor added with
//! [`Group::supervise`](crate::Group::supervise); strategies do not apply to it (as for OTP's
//! dynamic supervisors, it is one-for-one).

use std::{borrow::Cow, fmt, future::Future};

use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::{policy::RestartPolicy, supervisor::Supervisor};
use crate::{
    context::Context, core::interrupt::Interrupt, error::Error, name::type_leaf, runner::Runner,
};

/// A restartable child started with [`Context::supervise`]: stop it, join it.
///
/// Dropping the handle leaves the child running until its actor is interrupted or returns.
pub struct ChildHandle {
    stop: CancellationToken,
    done: oneshot::Receiver<Result<(), Error>>,
}

impl ChildHandle {
    /// Stops the child (and whatever it runs) through its own interrupt and timeout, without
    /// restarting it and without stopping anything else: a partial shutdown. Join it to wait
    /// until it has. A child waiting out its backoff just ends: the failure it was to restart
    /// after was handled, and its join returns `Ok`.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Waits for the child's end and returns its final result: `Ok` once stopped,
    /// [`Error::RestartLimit`] if it failed past its policy's intensity, its own result if it
    /// ended without a restart; [`Error::Cancelled`] if it was aborted with its actor.
    #[allow(clippy::manual_async_fn)]
    pub fn join(self) -> impl Future<Output = Result<(), Error>> + Send {
        async move { self.done.await.unwrap_or(Err(Error::Cancelled)) }
    }
}

impl fmt::Debug for ChildHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildHandle")
            .field("stopped", &self.stop.is_cancelled())
            .finish_non_exhaustive()
    }
}

/// The runner of a child: its supervisor, and where its final result goes.
struct Child<F> {
    supervisor: Supervisor<F>,
    done: oneshot::Sender<Result<(), Error>>,
}

impl<F, R> Runner for Child<F>
where
    F: Fn() -> R + Send + Sync + 'static,
    R: Runner,
{
    type Error = Error;

    async fn run(self, ctx: Context) -> Result<(), Error> {
        let result = self.supervisor.supervise(ctx).await;
        let _ = self.done.send(result.clone());
        result
    }

    fn interrupt(&mut self) -> Interrupt {
        Interrupt::Context
    }
}

impl Context {
    /// Starts a restartable child of this actor at run time, under `policy`; `make` makes a
    /// new runner for each incarnation. Named after the runner type under this actor's path
    /// (closures are numbered: `app/pool/actor-3`); see [`supervise_named`](Context::supervise_named).
    ///
    /// The child is restarted as an actor added with
    /// [`Group::supervise`](crate::Group::supervise) is (intensity, backoff,
    /// [`Event::Restarting`](crate::Event::Restarting), status), one-for-one. It is a child
    /// task ([`Context::spawn`]): interrupted when this actor is, and its final failure (a
    /// result not followed by a restart, such as [`Error::RestartLimit`]) stops the group.
    /// The [`ChildHandle`] stops just this child and joins it.
    ///
    /// Errors: [`Error::Ended`] once this actor has ended (as for [`Context::spawn`]),
    /// [`Error::InvalidConfig`] for a bad policy, [`Error::NoRuntime`] outside a runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Group, Restart};
    /// use std::sync::{atomic::{AtomicU32, Ordering}, Arc};
    ///
    /// let mut group = Group::named("app");
    /// group
    ///     .spawn(|ctx: Context| async move {
    ///         let runs = Arc::new(AtomicU32::new(0));
    ///         let counter = runs.clone();
    ///         let session = ctx.supervise_named("session", move || {
    ///             let runs = counter.clone();
    ///             move |session: Context| async move {
    ///                 if runs.fetch_add(1, Ordering::SeqCst) == 0 {
    ///                     return Err(std::io::Error::other("dropped"));
    ///                 }
    ///                 session.interrupted().await; // serves until stopped
    ///                 Ok(())
    ///             }
    ///         }, Restart::OnFailure)?;
    ///         tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    ///         session.stop(); // just this child
    ///         session.join().await?;
    ///         assert_eq!(runs.load(Ordering::SeqCst), 2); // restarted once
    ///         Ok::<_, run::Error>(())
    ///     })
    ///     .name("server");
    /// group.run().await.unwrap();
    /// # }
    /// ```
    pub fn supervise<F, R>(
        &self,
        make: F,
        policy: impl Into<RestartPolicy>,
    ) -> Result<ChildHandle, Error>
    where
        F: Fn() -> R + Send + Sync + 'static,
        R: Runner,
    {
        self.supervise_named(Cow::Borrowed(type_leaf::<R>()), make, policy)
    }

    /// [`supervise`](Context::supervise), naming the child `name`.
    pub fn supervise_named<F, R>(
        &self,
        name: impl Into<Cow<'static, str>>,
        make: F,
        policy: impl Into<RestartPolicy>,
    ) -> Result<ChildHandle, Error>
    where
        F: Fn() -> R + Send + Sync + 'static,
        R: Runner,
    {
        let policy = policy.into();
        policy.validate()?;
        let stop = CancellationToken::new();
        let (done, joined) = oneshot::channel();
        let child = Child {
            supervisor: Supervisor {
                make,
                policy,
                timeout: None,
                strategist: None,
                until: Some(stop.clone()),
            },
            done,
        };
        self.spawn_named(name, child)?;
        Ok(ChildHandle { stop, done: joined })
    }
}
