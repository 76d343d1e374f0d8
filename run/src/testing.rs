//! The test kit (feature `testing`): run a group under paused time, inject signals without
//! sending real ones, record the ordered trace of what happened, and script actors that
//! fail, panic, hang or ignore their interrupt on cue.
//!
//! ```
//! use std::time::Duration;
//!
//! use run::{testing::{self, Recorder, Script, SignalInjector}, Group, Signal};
//!
//! let trace = Recorder::new();
//! let (signals, injector) = SignalInjector::new();
//! let result = testing::run_paused(async move {
//!     let mut group = Group::named("app").shutdown_timeout(Duration::from_secs(5));
//!     group = group.hook(trace.hook());
//!     group.spawn(signals);
//!     group.spawn(Script::obeys()).name("http");
//!     group.spawn(Script::ignores_interrupt()).name("stuck").stage(2);
//!     injector.send(Signal::Terminate); // no real signal: the actor sees it
//!     let result = group.run().await;
//!     (result, trace.lines())
//! });
//! let (result, lines) = result;
//! assert_eq!(result.unwrap_err().to_string(), "shutdown timed out; still running: app/stuck");
//! testing::assert_in_order(
//!     &lines,
//!     &["app/signals exited", "app/http interrupted", "app/http exited", "app/stuck timed out"],
//! );
//! ```

use std::{
    borrow::Cow,
    future::{Future, poll_fn},
    sync::{Arc, Mutex, PoisonError},
    task::Poll,
    time::Duration,
};

use tokio::sync::mpsc;

use crate::{
    actors::signals::on_signals,
    context::Context,
    core::event::Event,
    error::{Error, Signal},
    runner::Runner,
};

/// Runs `future` on a current-thread runtime whose clock is paused: timers fire as soon as
/// every task waits, in order, so a test of timeouts and stages is exact and instant.
///
/// ```
/// use std::time::Duration;
///
/// let waited = run::testing::run_paused(async {
///     let start = tokio::time::Instant::now();
///     tokio::time::sleep(Duration::from_secs(3600)).await; // takes no real time
///     start.elapsed()
/// });
/// assert_eq!(waited, Duration::from_secs(3600));
/// ```
pub fn run_paused<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime")
        .block_on(future)
}

/// Records every [`Event`] of a group (and its nested groups) as a line, in order:
/// `app/http started`, `app/http interrupted`, `app/http exited` (`app/signals exited:
/// received SIGTERM` for a graceful stop), `app/http failed: ...`, `app/http panicked: ...`,
/// `app/http timed out`, `app/worker restarting #2 in 200ms`, `app/worker gave up after 5
/// restarts within 30s`.
///
/// ```
/// # run::testing::run_paused(async {
/// use run::{testing::Recorder, Context, Group};
///
/// let trace = Recorder::new();
/// let mut group = Group::named("app").hook(trace.hook());
/// group.spawn(|_ctx: Context| async {}).name("job");
/// group.run().await.unwrap();
/// assert_eq!(trace.lines(), ["app/job started", "app/job exited", "app/job interrupted"]);
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    lines: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// The hook to give a group ([`Group::hook`](crate::Group::hook)) or a task group.
    pub fn hook(&self) -> impl Fn(&Event<'_>) + Send + Sync + 'static + use<> {
        let lines = Arc::clone(&self.lines);
        move |event: &Event<'_>| {
            let line = match event {
                Event::Started { actor } => format!("{actor} started"),
                Event::Interrupted { actor, .. } => format!("{actor} interrupted"),
                Event::Exited {
                    actor,
                    result: Ok(()),
                    ..
                } => format!("{actor} exited"),
                // A graceful stop is no failure.
                Event::Exited {
                    actor,
                    result: Err(error @ (Error::Signal(_) | Error::Cancelled)),
                    ..
                } => format!("{actor} exited: {error}"),
                Event::Exited {
                    actor,
                    result: Err(error),
                    ..
                } if error.is_panic() => format!("{actor} panicked: {}", error.report()),
                Event::Exited {
                    actor,
                    result: Err(error),
                    ..
                } => format!("{actor} failed: {}", error.report()),
                Event::TimedOut { actor, .. } => format!("{actor} timed out"),
                Event::Restarting {
                    actor,
                    attempt,
                    delay,
                    ..
                } => format!("{actor} restarting #{attempt} in {delay:?}"),
                Event::RestartLimit {
                    actor,
                    restarts,
                    period,
                    ..
                } => {
                    let times = if *restarts == 1 {
                        "restart"
                    } else {
                        "restarts"
                    };
                    format!("{actor} gave up after {restarts} {times} within {period:?}")
                }
                Event::ReloadFailed { actor, error } => {
                    format!("{actor} failed to reload: {}", error.report())
                }
            };
            lines
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(line);
        }
    }

    /// The lines recorded so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Asserts that each of `expected` starts a line of `lines`, in this order (other lines may
/// come between); panics with both lists otherwise.
///
/// ```
/// run::testing::assert_in_order(
///     &["a started".to_string(), "b started".to_string(), "a exited".to_string()],
///     &["a started", "a exited"],
/// );
/// ```
pub fn assert_in_order(lines: &[String], expected: &[&str]) {
    let mut rest = lines.iter();
    for want in expected {
        assert!(
            rest.any(|line| line.starts_with(want)),
            "expected {want:?} (in the order {expected:?}) in {lines:?}"
        );
    }
}

/// A stand-in for [`Signals`](crate::Signals) driven by a [`SignalInjector`]: no handler is
/// installed, no real signal sent. It behaves as `Signals` does: the first injected signal
/// makes it exit with [`Error::Signal`]; a second one while the group stops forces the end
/// ([`Error::Forced`]).
#[derive(Debug)]
pub struct InjectedSignals {
    received: mpsc::UnboundedReceiver<Signal>,
}

/// Injects signals into an [`InjectedSignals`] actor.
#[derive(Debug, Clone)]
pub struct SignalInjector {
    send: mpsc::UnboundedSender<Signal>,
}

impl SignalInjector {
    /// The actor to spawn, and its injector.
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> (InjectedSignals, SignalInjector) {
        let (send, received) = mpsc::unbounded_channel();
        (InjectedSignals { received }, SignalInjector { send })
    }

    /// Delivers `signal`, as if the process had received it; kept until the actor reads it.
    pub fn send(&self, signal: Signal) {
        let _ = self.send.send(signal);
    }
}

impl Runner for InjectedSignals {
    type Error = Error;

    async fn run(self, ctx: Context) -> Result<(), Error> {
        let mut received = self.received;
        on_signals(ctx, move |cx| received.poll_recv(cx), true).await
    }

    /// `signals`, as the real one.
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("signals")
    }
}

/// An actor that does what a test tells it: exit on its own after a while (`Ok`, an error or
/// a panic), obey its interrupt, obey it late, or ignore it for a while or forever.
///
/// ```
/// # run::testing::run_paused(async {
/// use std::time::Duration;
/// use run::{testing::Script, Group};
///
/// let mut group = Group::new();
/// group.spawn(Script::obeys()).name("server");
/// group.spawn(Script::fails_after(Duration::from_secs(1), "disk full")).name("writer");
/// let err = group.run().await.unwrap_err();
/// assert_eq!(err.report().to_string(), "actor `writer` failed: disk full");
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct Script {
    /// Exits on its own after this long, unless interrupted first.
    after: Option<Duration>,
    /// What it returns when it exits on its own.
    outcome: Outcome,
    /// Once interrupted: how long it takes to return (`None`: it never returns).
    on_interrupt: Option<Duration>,
}

#[derive(Debug, Clone)]
enum Outcome {
    Ok,
    Fail(String),
    Panic(String),
}

impl Script {
    /// Runs until interrupted, then returns `Ok(())` at once.
    pub fn obeys() -> Self {
        Self {
            after: None,
            outcome: Outcome::Ok,
            on_interrupt: Some(Duration::ZERO),
        }
    }

    /// Returns `Ok(())` after `after`, unless interrupted first.
    pub fn exits_after(after: Duration) -> Self {
        Self {
            after: Some(after),
            ..Self::obeys()
        }
    }

    /// Fails with `message` after `after`, unless interrupted first.
    pub fn fails_after(after: Duration, message: &str) -> Self {
        Self {
            after: Some(after),
            outcome: Outcome::Fail(message.to_string()),
            ..Self::obeys()
        }
    }

    /// Panics with `message` after `after`, unless interrupted first.
    pub fn panics_after(after: Duration, message: &str) -> Self {
        Self {
            after: Some(after),
            outcome: Outcome::Panic(message.to_string()),
            ..Self::obeys()
        }
    }

    /// Once interrupted, takes `delay` to return (a slow flush).
    pub fn obeys_after(delay: Duration) -> Self {
        Self {
            on_interrupt: Some(delay),
            ..Self::obeys()
        }
    }

    /// Never returns, interrupted or not: what a timeout must abort.
    pub fn ignores_interrupt() -> Self {
        Self {
            on_interrupt: None,
            ..Self::obeys()
        }
    }
}

impl Runner for Script {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), std::io::Error> {
        let exited = {
            let mut exit = std::pin::pin!(async {
                match self.after {
                    Some(after) => tokio::time::sleep(after).await,
                    None => std::future::pending().await,
                }
            });
            let mut interrupted = std::pin::pin!(ctx.interrupted());
            poll_fn(|cx| {
                if exit.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(true);
                }
                interrupted.as_mut().poll(cx).map(|()| false)
            })
            .await
        };
        if exited {
            return match self.outcome {
                Outcome::Ok => Ok(()),
                Outcome::Fail(message) => Err(std::io::Error::other(message)),
                Outcome::Panic(message) => panic!("{message}"),
            };
        }
        match self.on_interrupt {
            Some(delay) => tokio::time::sleep(delay).await,
            None => std::future::pending().await,
        }
        Ok(())
    }

    /// Empty: a scripted actor is named where it is spawned, or numbered.
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("")
    }
}
