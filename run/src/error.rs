//! The one error type of `run`.
//!
//! Invariants: every variant that concerns an actor names it by its full path; an actor's own
//! error is kept whole as the [`source`](std::error::Error::source) (downcast it to get it
//! back); `Display` is one line without the source, so that printing the chain repeats
//! nothing ([`Error::report`] prints the chain on one line). `Error` is cheap to clone: the
//! first exit's error is shared by every interrupt's [`Cause`](crate::Cause) and by `run()`.
//! Which failures end up on a group's error is the core's rule:
//! [nothing lost](crate::core::scope).

use std::{
    any::Any,
    error::Error as StdError,
    fmt,
    ops::Deref,
    sync::{Arc, Mutex},
};

use crate::name::ActorName;

/// A boxed error, the form any actor's error is converted into.
///
/// ```
/// use run::BoxError;
///
/// fn port(text: &str) -> Result<u16, BoxError> {
///     Ok(text.parse()?) // any `Error + Send + Sync` converts with `?`
/// }
///
/// assert_eq!(port("8080").unwrap(), 8080);
/// assert_eq!(port("http").unwrap_err().to_string(), "invalid digit found in string");
/// ```
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything that can end a [`Group`](crate::Group) or a [`Runner`](crate::Runner) badly.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// #[derive(Debug, thiserror::Error)]
/// #[error("disk full")]
/// struct DiskFull;
///
/// let mut group = run::Group::new();
/// group.spawn(|_ctx: run::Context| async { Err::<(), _>(DiskFull) }).name("writer");
/// let err = group.run().await.unwrap_err();
///
/// assert_eq!(err.to_string(), "actor `writer` failed");
/// assert_eq!(err.report().to_string(), "actor `writer` failed: disk full");
/// assert!(err.downcast_ref::<DiskFull>().is_some());
/// # }
/// ```
///
/// # Who returns what
///
/// One type, because errors cross the faces: a group's actor may return a pool's or a task
/// group's error (`?` in its body), and a nested group passes its children's on; one type keeps
/// `?` working everywhere and the chain whole. What each call can return:
///
/// | call | variants |
/// |---|---|
/// | [`Group::run`](crate::Group::run), [`TaskGroup::wait`](crate::TaskGroup::wait), [`RunHandle::wait`](crate::RunHandle::wait) / [`close`](crate::RunHandle::close) | `Failed`, `Panic`, `Cancelled`, `Signal`, `Forced`, `ShutdownTimeout`, `Shutdown`, `NoRuntime`, `Closed` (handles); a group with restartable actors also `RestartLimit`; a group with deployment options also `StartupTimeout`; before anything starts, `UnknownDependency`, `DependencyCycle`, `InvalidConfig` (a bad restart policy), `OverBudget` (a drain or a timeout that does not fit the shutdown timeout) |
/// | [`ReloadHandle::reload`](crate::ReloadHandle::reload) | `ReloadFailed` |
/// | [`TaskGroup::go`](crate::TaskGroup::go) | `Stopped`, `Closed` (a closed pool), `NoRuntime` |
/// | [`Context::spawn`](crate::Context::spawn), [`Context::supervise`](crate::Context::supervise) | `Ended`, `NoRuntime`; `supervise` also `InvalidConfig` (a bad restart policy) |
/// | [`Pool::submit`](crate::Pool::submit) and its kin, [`JobHandle`](crate::JobHandle) | `Closed`, `Full`, `DispatchTimeout`, `Panic`, `NoRuntime` |
/// | builders: [`PoolBuilder::build`](crate::PoolBuilder::build), [`TaskGroupBuilder::build`](crate::TaskGroupBuilder::build), [`Signals::new`](crate::Signals::new) | `InvalidConfig`, `Closed`, `NoRuntime`, `SignalHandlers` |
///
/// A caller of `Group::run` need not match `Full` or `DispatchTimeout`: the enum is
/// `#[non_exhaustive]`, so a `_` arm covers what a group never returns.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An actor returned an error.
    #[error("actor `{actor}` failed")]
    Failed {
        /// The actor that failed.
        actor: ActorName,
        /// The actor's own error.
        #[source]
        source: ActorError,
    },
    /// An actor's execute or interrupt panicked.
    #[error("actor `{actor}` panicked{at}: {message}", at = PanicAt(.location))]
    Panic {
        /// The actor that panicked.
        actor: ActorName,
        /// The panic message (`"Box<dyn Any>"` when the payload is not a string).
        message: String,
        /// Where the panic happened, when it could be learned.
        location: Option<PanicLocation>,
        /// The panic payload, to resume the unwind with (see [`Error::try_into_panic`]).
        payload: PanicPayload,
    },
    /// The group was stopped from outside (its [`Context`](crate::Context) was interrupted,
    /// or a [`Token`](crate::Token) actor's token was cancelled) before any of its actors
    /// exited.
    #[error("cancelled from outside the group")]
    Cancelled,
    /// A [`Signals`](crate::Signals) actor received this signal: the group shut down
    /// gracefully because of it.
    #[error("received {0}")]
    Signal(Signal),
    /// A second signal arrived while the group was shutting down: every actor still running
    /// was aborted at once; `aborted` names them (the leaves, with their last
    /// [phase](crate::Context::phase)).
    #[error("received {signal} again while shutting down: aborted {}", Aborted(.aborted))]
    Forced {
        /// The second signal.
        signal: Signal,
        /// The actors still running that were aborted, by path; empty when none was left.
        aborted: Vec<Stuck>,
    },
    /// The shutdown took longer than its timeout: these actors were still running and were
    /// aborted. The source is what the group would have returned otherwise.
    ///
    /// The stuck actors are the leaves: a nested group stops its own stuck actors before its
    /// parent's deadline and names them (`main/http`, not `main`). [`Error::report`] shows
    /// the cause as what the shutdown began with:
    /// `shutdown timed out; still running: main/http; the shutdown began with: received SIGTERM`.
    /// An actor that reported a [phase](crate::Context::phase) is shown with it and the time
    /// it had spent in it: `still running: main/db (phase "flushing" for 4.2s)`.
    #[error("shutdown timed out; still running: {}", Names(.stuck))]
    ShutdownTimeout {
        /// The actors aborted, by path, in the order they were aborted.
        stuck: Vec<Stuck>,
        /// What stopped the group, if it was an error.
        #[source]
        cause: Option<Box<Error>>,
    },
    /// The group stopped because of `cause`, and more actors failed during its shutdown: an
    /// error after their interrupt, a panic, a panicking interrupt. Nothing is
    /// only in a log. [`actor`](Error::actor), [`downcast_ref`](Error::downcast_ref),
    /// [`is_panic`](Error::is_panic) and [`exit_status`](Error::exit_status) look at the
    /// cause; [`report`](Error::report) shows all.
    #[error("{}; and during the shutdown: {}", .cause.report(), Reports(.failures))]
    Shutdown {
        /// What stopped the group (or, if it stopped cleanly, the first failure).
        cause: Box<Error>,
        /// The other failures, in the order they happened.
        failures: Vec<Error>,
    },
    /// A supervised actor failed more often than its
    /// [`RestartPolicy`](crate::RestartPolicy) allows (`restarts` restarts within `period`):
    /// its failure escalated. The source is its last error.
    #[error(
        "actor `{actor}` restarted {restarts} {times} within {period:?}, the most allowed: giving up",
        times = if *.restarts == 1 { "time" } else { "times" }
    )]
    RestartLimit {
        /// The actor that was given up on.
        actor: ActorName,
        /// The restarts within `period` when it failed again.
        restarts: u32,
        /// The policy's period.
        period: std::time::Duration,
        /// The failure that escalated; `None` when an actor restarted on every exit
        /// ([`Restart::Always`](crate::Restart::Always)) returned `Ok`.
        #[source]
        last: Option<Box<Error>>,
    },
    /// The handle or pool was closed already.
    #[error("already closed")]
    Closed,
    /// [`Pool::try_submit`](crate::Pool::try_submit) found every worker busy and the queue
    /// full.
    #[error("the pool is full: every worker is busy and the queue is full")]
    Full,
    /// [`Pool::submit_timeout`](crate::Pool::submit_timeout) waited its whole timeout
    /// without a worker taking the job; the job was dropped unrun.
    #[error("no worker took the job within the dispatch timeout")]
    DispatchTimeout,
    /// [`TaskGroup::go`](crate::TaskGroup::go) was called after the group had stopped (a
    /// task failed, or it was cancelled); the runner was not run.
    #[error("the task group has stopped: the task was not run")]
    Stopped,
    /// [`Context::spawn`](crate::Context::spawn) was called for an actor that has ended: its
    /// execute had returned and its child tasks had too, it was aborted (a timeout, a forced
    /// stop), or its group's `run` was dropped; the runner was not run. An actor that is only
    /// stopping still takes children: they start interrupted.
    #[error("actor `{actor}` has ended; cannot spawn a child task")]
    Ended {
        /// The actor whose child it was to be.
        actor: ActorName,
    },
    /// A builder was given a setting it cannot work with, such as a zero idle time.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    /// A group was run (or a pool, a handle, signal handlers made) outside a tokio runtime.
    #[error("no tokio runtime: groups, pools, handles and signal handlers need a tokio runtime")]
    NoRuntime,
    /// The signal handlers of [`Signals`](crate::Signals) could not be installed.
    #[error("cannot install the signal handlers: {0}")]
    SignalHandlers(Arc<std::io::Error>),
    /// An actor was to start [`after`](crate::ActorOptions::after) a name that no actor of
    /// its group has; nothing was started.
    #[error("actor `{actor}` starts after `{after}`, but its group has no actor of that name")]
    UnknownDependency {
        /// The actor that names it.
        actor: ActorName,
        /// The name.
        after: String,
    },
    /// The start order ([`after`](crate::ActorOptions::after)) has a cycle; nothing was
    /// started.
    #[error("the start order has a cycle: {}", Cycle(.cycle))]
    DependencyCycle {
        /// The actors of one cycle, each starting after the next; the first again last.
        cycle: Vec<ActorName>,
    },
    /// The shutdown budget ([`Group::shutdown_timeout`](crate::Group::shutdown_timeout),
    /// `#[run::main(shutdown_timeout = ..)]`) cannot hold what the group asks of it: the drain
    /// delay first, then each stage an even share of the time left (and each start-order
    /// level an even share of its stage's), in which each actor's own
    /// [timeout](crate::ActorOptions::timeout) must fit, earlier stages using up to their
    /// longest timeout. A nested group (a derived struct's, [`Context::group`](crate::Context::group))
    /// has what the actor it runs under may use, at most: it is checked against that too, at
    /// any depth. Checked when the group starts: nothing of it was started.
    #[error(
        "the shutdown budget of {budget:?} cannot fit {part}: {available:?} at most is left for it"
    )]
    OverBudget {
        /// What does not fit.
        part: BudgetPart,
        /// The most time the budget leaves for it, at worst (the stages before it using all
        /// they may).
        available: std::time::Duration,
        /// The time the group has to stop: its shutdown timeout, or what it inherits from the
        /// actor it runs under if that is less (that actor's share, less a margin of 50 ms at
        /// most, so that the nested group names its own stuck actors first).
        budget: std::time::Duration,
    },
    /// One or more actors failed to reload; each failure is an [`Error::Failed`]
    /// naming the actor, with its error as the source. The group kept running.
    #[error("reload failed: {}", Reports(.failures))]
    ReloadFailed {
        /// The actors' failures, in the order they were reported.
        failures: Vec<Error>,
    },
    /// The group was not ready within its
    /// [start-up timeout](crate::Group::startup_timeout): it was stopped.
    #[error("start-up timed out after {after:?}; not ready: {}", Names(.not_ready))]
    StartupTimeout {
        /// The actors that had started but never became ready (not those still waiting to
        /// start after them).
        not_ready: Vec<ActorName>,
        /// The timeout.
        after: std::time::Duration,
    },
}

impl Error {
    /// Wraps an actor's error, unless it already is a `run` error that names an actor deeper
    /// in the tree (a nested group's), which is passed on as it is.
    pub(crate) fn from_actor(actor: impl FnOnce() -> ActorName, error: BoxError) -> Self {
        match error.downcast::<Error>() {
            Ok(error) if error.is_about_actors() => *error,
            Ok(error) => Error::Failed {
                actor: actor(),
                source: ActorError(Arc::new(*error)),
            },
            Err(error) => Error::Failed {
                actor: actor(),
                source: ActorError(Arc::from(error)),
            },
        }
    }

    /// The actor this error is about, if any.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut group = run::Group::named("app");
    /// group
    ///     .spawn(|_ctx: run::Context| async { Err::<(), _>(std::io::Error::other("no route")) })
    ///     .name("router");
    /// let err = group.run().await.unwrap_err();
    /// assert_eq!(err.actor().unwrap(), "app/router");
    /// assert!(run::Error::Cancelled.actor().is_none());
    /// # }
    /// ```
    pub fn actor(&self) -> Option<&ActorName> {
        match self {
            Error::Failed { actor, .. }
            | Error::Panic { actor, .. }
            | Error::RestartLimit { actor, .. }
            | Error::Ended { actor } => Some(actor),
            Error::Shutdown { cause, .. } => cause.actor(),
            _ => None,
        }
    }

    /// The actor's own error as type `E`, if this is [`Error::Failed`] with such an error.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use std::io::{Error as IoError, ErrorKind};
    ///
    /// let mut group = run::Group::new();
    /// group.spawn(|_ctx: run::Context| async {
    ///     Err::<(), _>(IoError::new(ErrorKind::NotFound, "config.toml"))
    /// });
    /// let err = group.run().await.unwrap_err();
    /// assert_eq!(err.downcast_ref::<IoError>().unwrap().kind(), ErrorKind::NotFound);
    /// assert!(err.downcast_ref::<std::fmt::Error>().is_none()); // not of that type
    /// assert!(run::Error::Cancelled.downcast_ref::<IoError>().is_none()); // not `Failed`
    /// # }
    /// ```
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        match self {
            Error::Failed { source, .. } => source.downcast_ref(),
            Error::Shutdown { cause, .. } => cause.downcast_ref(),
            Error::RestartLimit { last, .. } => last.as_deref()?.downcast_ref(),
            _ => None,
        }
    }

    /// Whether the error tells which actors it is about, or why the whole group stopped, so
    /// that an actor returning it passes it on as it is.
    fn is_about_actors(&self) -> bool {
        matches!(
            self,
            Error::Failed { .. }
                | Error::Panic { .. }
                | Error::RestartLimit { .. }
                | Error::Signal(_)
                | Error::Forced { .. }
                | Error::ShutdownTimeout { .. }
                | Error::Shutdown { .. }
                | Error::Cancelled
                | Error::StartupTimeout { .. }
        )
    }

    /// Whether this error is a panic.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut group = run::Group::new();
    /// group.spawn(|_ctx: run::Context| async { panic!("oops") as Result<(), std::io::Error> });
    /// let err = group.run().await.unwrap_err();
    /// assert!(err.is_panic());
    /// assert!(err.to_string().starts_with("actor `actor-0` panicked at "));
    /// assert!(err.to_string().ends_with(": oops"));
    /// assert!(!run::Error::Cancelled.is_panic());
    /// # }
    /// ```
    pub fn is_panic(&self) -> bool {
        match self {
            Error::Panic { .. } => true,
            Error::Shutdown { cause, .. } => cause.is_panic(),
            _ => false,
        }
    }

    /// Takes the panic payload back, to resume the unwind with
    /// [`std::panic::resume_unwind`]; `Err(self)` if this is not a panic or the payload was
    /// taken already (through a clone of this error).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut group = run::Group::new();
    /// group.spawn(|_ctx: run::Context| async { panic!("boom") as Result<(), std::io::Error> });
    /// let err = group.run().await.unwrap_err();
    /// let payload = err.try_into_panic().unwrap();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// # }
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, Error> {
        match &self {
            Error::Panic { payload, .. } => payload.take().ok_or(self),
            Error::Shutdown { cause, .. } => match &**cause {
                Error::Panic { payload, .. } => payload.take().ok_or(self),
                _ => Err(self),
            },
            _ => Err(self),
        }
    }

    /// The process exit status a `main` that ran a group should end with, given the group's
    /// result; what `#[run::main]` uses.
    ///
    /// | result | status |
    /// |---|---|
    /// | `Ok(())` | 0 |
    /// | [`Error::Signal`]: a graceful shutdown on a signal | 0 |
    /// | [`Error::Forced`]: a second signal aborted the shutdown | 130 |
    /// | [`Error::ShutdownTimeout`]: the budget ran out, stuck actors aborted | 1 |
    /// | [`Error::Shutdown`]: as its cause, but 1 where that would be 0 (a failure during a graceful shutdown) | 1 or 130 |
    /// | any other error | 1 |
    ///
    /// The numbers are the same on every platform: on Unix they are the exit status, on
    /// Windows the process exit code (`ExitCode::from`). Two exits are not this function's
    /// and differ per platform: a process killed by a signal it does not handle ends as the
    /// signal's on Unix (a shell shows 128 + its number, e.g. 143 for SIGTERM); on Windows, a
    /// process still running when Windows' own timeout after Ctrl-Close or Ctrl-Shutdown
    /// runs out is ended by Windows, with the code Windows chooses.
    ///
    /// ```
    /// use run::{Error, Signal};
    ///
    /// assert_eq!(Error::exit_status(&Ok(())), 0);
    /// assert_eq!(Error::exit_status(&Err(Error::Signal(Signal::Terminate))), 0);
    /// let forced = Error::Forced { signal: Signal::Interrupt, aborted: Vec::new() };
    /// assert_eq!(Error::exit_status(&Err(forced)), 130);
    /// assert_eq!(Error::exit_status(&Err(Error::Cancelled)), 1);
    /// ```
    pub fn exit_status(result: &Result<(), Error>) -> u8 {
        match result {
            Ok(()) | Err(Error::Signal(_)) => 0,
            Err(Error::Forced { .. }) => 130,
            Err(Error::Shutdown { cause, .. }) => match &**cause {
                Error::Forced { .. } => 130,
                _ => 1,
            },
            Err(_) => 1,
        }
    }

    /// Displays the whole chain on one line: this error, then each source, joined by `: `;
    /// the cause of a [`ShutdownTimeout`](Error::ShutdownTimeout) follows
    /// `; the shutdown began with: `.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// use run::{Context, Group};
    /// use std::time::Duration;
    ///
    /// let mut group = Group::new().shutdown_timeout(Duration::from_secs(1));
    /// group
    ///     .spawn(|_ctx: Context| async { Err::<(), _>(std::io::Error::other("bad config")) })
    ///     .name("loader");
    /// group
    ///     .spawn(|_ctx: Context| std::future::pending::<Result<(), std::io::Error>>())
    ///     .name("stuck");
    /// let err = group.run().await.unwrap_err();
    ///
    /// assert_eq!(err.to_string(), "shutdown timed out; still running: stuck");
    /// assert_eq!(
    ///     err.report().to_string(),
    ///     "shutdown timed out; still running: stuck; \
    ///      the shutdown began with: actor `loader` failed: bad config",
    /// );
    /// # }
    /// ```
    pub fn report(&self) -> Report<'_> {
        Report(self)
    }
}

/// An actor's own error, shared so that [`Error`] can be cloned.
///
/// It dereferences to the error itself: `downcast_ref` and `source` work on it as on the
/// original.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut group = run::Group::new();
/// group.spawn(|_ctx: run::Context| async { Err::<(), _>(std::io::Error::other("disk full")) });
/// let err = group.run().await.unwrap_err();
///
/// let run::Error::Failed { source, .. } = &err else { panic!("expected Failed: {err}") };
/// assert_eq!(source.to_string(), "disk full");
/// assert!(source.downcast_ref::<std::io::Error>().is_some());
/// # }
/// ```
#[derive(Clone)]
pub struct ActorError(Arc<dyn StdError + Send + Sync + 'static>);

impl Deref for ActorError {
    type Target = dyn StdError + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Debug for ActorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for ActorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

/// Where a panic happened.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let mut group = run::Group::new();
/// group.spawn(|_ctx: run::Context| async { panic!("boom") as Result<(), std::io::Error> });
/// let err = group.run().await.unwrap_err();
///
/// let run::Error::Panic { message, location: Some(at), .. } = &err else {
///     panic!("expected a located panic: {err}")
/// };
/// assert_eq!(message, "boom");
/// assert!(at.file.ends_with(".rs") && at.line >= 1 && at.column >= 1);
/// assert_eq!(at.to_string(), format!("{}:{}:{}", at.file, at.line, at.column));
/// assert!(err.to_string().contains(&format!(" panicked at {at}: ")));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PanicLocation {
    /// The source file.
    pub file: Arc<str>,
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1.
    pub column: u32,
}

impl fmt::Display for PanicLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// An actor that was still running when its shutdown was cut short (its timeout ran out, or a
/// second signal forced the exit), with what it last said it was doing: see
/// [`Context::phase`](crate::Context::phase). It displays as its path, then its phase and how
/// long it had been in it: `main/db (phase "flushing" for 4.2s)`.
///
/// A stuck actor compares equal to its path, so `stuck == ["app/db"]` reads as it says.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// use run::{Context, Error, Group};
/// use std::time::Duration;
///
/// let mut group = Group::named("app").shutdown_timeout(Duration::from_secs(5));
/// group.spawn(|ctx: Context| async move {
///     ctx.interrupted().await;
///     ctx.phase("flushing");
///     std::future::pending::<()>().await; // the disk hangs
/// }).name("db");
/// group.spawn(|_ctx: Context| async {}).name("job");
///
/// let err = group.run().await.unwrap_err();
/// let Error::ShutdownTimeout { stuck, .. } = &err else { panic!("{err}") };
/// assert_eq!(*stuck, ["app/db"]);
/// assert_eq!(stuck[0].phase.as_deref(), Some("flushing"));
/// assert_eq!(stuck[0].in_phase, Duration::from_secs(5));
/// assert_eq!(
///     err.to_string(),
///     r#"shutdown timed out; still running: app/db (phase "flushing" for 5.0s)"#,
/// );
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Stuck {
    /// The actor, by full path.
    pub actor: ActorName,
    /// The last phase it reported, if it reported any.
    pub phase: Option<std::borrow::Cow<'static, str>>,
    /// How long it had been in that phase when it was aborted (zero without a phase).
    pub in_phase: std::time::Duration,
    /// Its `tracing` span (`actor`, with its path), to record the report inside it.
    #[cfg(feature = "tracing")]
    pub span: tracing::Span,
}

impl Stuck {
    pub(crate) fn named(actor: ActorName) -> Self {
        Self {
            actor,
            phase: None,
            in_phase: std::time::Duration::ZERO,
            #[cfg(feature = "tracing")]
            span: tracing::Span::none(),
        }
    }
}

impl fmt::Display for Stuck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.actor)?;
        if let Some(phase) = &self.phase {
            write!(f, " (phase {phase:?} for {:.1?})", self.in_phase)?;
        }
        Ok(())
    }
}

impl PartialEq<str> for Stuck {
    fn eq(&self, path: &str) -> bool {
        self.actor == path
    }
}

impl PartialEq<&str> for Stuck {
    fn eq(&self, path: &&str) -> bool {
        self.actor == *path
    }
}

struct Names<'a, T>(&'a [T]);

/// The actors a forced exit aborted.
struct Aborted<'a>(&'a [Stuck]);

impl fmt::Display for Aborted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("every actor still running");
        }
        write!(f, "{}", Names(self.0))
    }
}

/// A part of the shutdown that does not fit its budget: see [`Error::OverBudget`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BudgetPart {
    /// The drain delay ([`Group::drain`](crate::Group::drain)): it must leave time to stop.
    Drain {
        /// The delay.
        delay: std::time::Duration,
    },
    /// An actor's own timeout ([`ActorOptions::timeout`](crate::ActorOptions::timeout)).
    Actor {
        /// The actor, by full path.
        actor: ActorName,
        /// Its timeout.
        timeout: std::time::Duration,
        /// Its stage's position in the shutdown, from 1.
        stage: usize,
        /// How many stages the shutdown has.
        stages: usize,
        /// Its position among its stage's start-order levels (see
        /// [`ActorOptions::after`](crate::ActorOptions::after)), from 1: the actors that start
        /// after others stop first, each level an even share of its stage's time left.
        level: usize,
        /// How many levels its stage has (1 without start order).
        levels: usize,
    },
}

impl fmt::Display for BudgetPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetPart::Drain { delay } => {
                write!(
                    f,
                    "the drain delay of {delay:?} (a drain must leave time to stop)"
                )
            }
            BudgetPart::Actor {
                actor,
                timeout,
                stage,
                stages,
                level,
                levels,
            } => {
                write!(f, "the {timeout:?} timeout of actor `{actor}`")?;
                match (*stages > 1, *levels > 1) {
                    (false, false) => Ok(()),
                    (true, false) => write!(
                        f,
                        " (shutdown stage {stage} of {stages}, each an even share of the time left)"
                    ),
                    (false, true) => write!(
                        f,
                        " (start-order level {level} of {levels}, each an even share of the time left)"
                    ),
                    (true, true) => write!(
                        f,
                        " (shutdown stage {stage} of {stages}, each an even share of the time left; \
                         start-order level {level} of {levels} in it, each an even share of the \
                         stage's time left)"
                    ),
                }
            }
        }
    }
}

impl<T: fmt::Display> fmt::Display for Names<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, name) in self.0.iter().enumerate() {
            if position > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}")?;
        }
        Ok(())
    }
}

/// `a -> b -> a`: each actor starts after the next.
struct Cycle<'a>(&'a [ActorName]);

impl fmt::Display for Cycle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, name) in self.0.iter().enumerate() {
            if position > 0 {
                f.write_str(" starts after ")?;
            }
            write!(f, "`{name}`")?;
        }
        Ok(())
    }
}

struct PanicAt<'a>(&'a Option<PanicLocation>);

impl fmt::Display for PanicAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(location) => write!(f, " at {location}"),
            None => Ok(()),
        }
    }
}

/// The payload of a panic, kept so the unwind can be resumed; shared by the clones of an
/// [`Error`], the first to [`take`](PanicPayload::take) it gets it.
#[derive(Clone)]
pub struct PanicPayload(Arc<Mutex<Option<Box<dyn Any + Send + 'static>>>>);

impl PanicPayload {
    pub(crate) fn new(payload: Box<dyn Any + Send + 'static>) -> Self {
        Self(Arc::new(Mutex::new(Some(payload))))
    }

    /// Takes the payload out; `None` once it was taken.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let mut group = run::Group::new();
    /// group.spawn(|_ctx: run::Context| async { panic!("boom") as Result<(), std::io::Error> });
    /// let err = group.run().await.unwrap_err();
    /// let copy = err.clone();
    ///
    /// let run::Error::Panic { payload, .. } = &err else { panic!("expected a panic: {err}") };
    /// let taken = payload.take().unwrap();
    /// assert_eq!(taken.downcast_ref::<&str>(), Some(&"boom"));
    /// // Shared by every clone of the error: only the first take gets it.
    /// assert!(payload.take().is_none());
    /// assert!(copy.try_into_panic().is_err());
    /// # }
    /// ```
    pub fn take(&self) -> Option<Box<dyn Any + Send + 'static>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

impl fmt::Debug for PanicPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PanicPayload { .. }")
    }
}

/// The chain of an [`Error`] on one line; see [`Error::report`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// #[derive(Debug, thiserror::Error)]
/// #[error("cannot load config")]
/// struct LoadError(#[source] std::io::Error);
///
/// let mut group = run::Group::new();
/// group
///     .spawn(|_ctx: run::Context| async {
///         Err::<(), _>(LoadError(std::io::Error::other("permission denied")))
///     })
///     .name("loader");
/// let err = group.run().await.unwrap_err();
///
/// let report: run::Report<'_> = err.report();
/// assert_eq!(
///     format!("error: {report}"),
///     "error: actor `loader` failed: cannot load config: permission denied",
/// );
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Report<'a>(&'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        if let Error::ShutdownTimeout {
            cause: Some(cause), ..
        } = self.0
        {
            // The cause is why the shutdown began, not a failure of the stuck actors.
            return write!(f, "; the shutdown began with: {}", cause.report());
        }
        let mut source = StdError::source(self.0);
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}

/// Failures, each as its whole chain, joined by `; `.
struct Reports<'a>(&'a [Error]);

impl fmt::Display for Reports<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, error) in self.0.iter().enumerate() {
            if position > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}", error.report())?;
        }
        Ok(())
    }
}

/// A signal that [`Signals`](crate::Signals) can listen for.
///
/// Each exists on one platform family: [`Interrupt`](Signal::Interrupt) on both (SIGINT,
/// Ctrl-C), the SIG* ones on Unix, the Ctrl-* ones on Windows; listening for one the
/// platform does not have is an [`Error::SignalHandlers`].
///
/// It displays as its usual name, which is how [`Error::Signal`] reports it.
///
/// ```
/// use run::{Error, Signal};
///
/// assert_eq!(Signal::Terminate.to_string(), "SIGTERM");
/// assert_eq!(Error::Signal(Signal::Terminate).to_string(), "received SIGTERM");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// SIGINT on Unix, Ctrl-C on Windows.
    Interrupt,
    /// SIGTERM on Unix.
    Terminate,
    /// SIGHUP on Unix.
    Hangup,
    /// SIGQUIT on Unix.
    Quit,
    /// SIGUSR1 on Unix.
    User1,
    /// SIGUSR2 on Unix.
    User2,
    /// Ctrl-Break on Windows.
    CtrlBreak,
    /// Ctrl-Close on Windows: the console window is closing.
    CtrlClose,
    /// Ctrl-Shutdown on Windows: the system is shutting down.
    CtrlShutdown,
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Signal::Interrupt if cfg!(windows) => "Ctrl-C",
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
            Signal::Quit => "SIGQUIT",
            Signal::User1 => "SIGUSR1",
            Signal::User2 => "SIGUSR2",
            Signal::CtrlBreak => "Ctrl-Break",
            Signal::CtrlClose => "Ctrl-Close",
            Signal::CtrlShutdown => "Ctrl-Shutdown",
        })
    }
}
