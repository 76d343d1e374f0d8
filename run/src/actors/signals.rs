//! The signal actor: a graceful shutdown on SIGINT / SIGTERM (Ctrl-C, Ctrl-Break, Ctrl-Close,
//! Ctrl-Shutdown on Windows), and a forced one on the second signal. The Unix and Windows
//! listeners differ only in how each signal is subscribed to; what the actor does with them
//! is the same code on every platform.
//!
//! Invariants: stated once, on [`Signals`]. The second signal reaches the run loop through
//! the core's force slot ([`Scope::set_force`](crate::core::scope::Scope::set_force)), the
//! same for every group.

use std::{
    borrow::Cow,
    fmt,
    future::{Future, poll_fn},
    io,
    panic::AssertUnwindSafe,
    task::{Context as TaskContext, Poll},
};

use crate::{
    context::Context,
    error::{Error, Signal},
    runner::Runner,
};

/// An actor that exits with [`Error::Signal`] on the first of its signals.
///
/// Its handlers are installed when it is made, before the group runs, so a signal that
/// arrives between the two is kept, not fatal. From the first signal on, its group watches for
/// a second one while it shuts down; on it, every actor still running is aborted and the
/// group returns [`Error::Forced`] (exit status 130, see [`Error::exit_status`]). Interrupted
/// without a signal, the actor returns `Ok(())`. Put it in the top group: a nested group's
/// forced stop ends only that group.
///
/// ```no_run
/// # #[tokio::main] async fn main() {
/// use run::{Context, Error, Group, Signals};
///
/// let mut group = Group::named("app");
/// group.spawn(Signals::new().expect("signal handlers"));
/// group.spawn(|ctx: Context| async move {
///     ctx.interrupted().await; // serve until Ctrl-C
///     Ok::<_, std::io::Error>(())
/// });
/// match group.run().await {
///     Err(Error::Signal(signal)) => println!("stopped by {signal}"),
///     other => println!("stopped: {other:?}"),
/// }
/// # }
/// ```
pub struct Signals {
    listeners: Vec<(Signal, Listener)>,
    force_on_second: bool,
}

impl Signals {
    /// Listens for SIGINT and SIGTERM (Unix), or Ctrl-C, Ctrl-Break, Ctrl-Close and
    /// Ctrl-Shutdown (Windows); the handlers are installed now.
    ///
    /// On Windows, Ctrl-Break is what a supervisor can send a console process group
    /// (`GenerateConsoleCtrlEvent`), the nearest thing to SIGTERM. After Ctrl-Close or
    /// Ctrl-Shutdown, Windows itself ends the process after its own timeout (a few seconds),
    /// whatever the shutdown budget: the shutdown gets at most that long.
    ///
    /// Fails with [`Error::NoRuntime`] outside a tokio runtime, and with
    /// [`Error::SignalHandlers`] on a runtime without IO or if the OS refuses a handler.
    ///
    /// ```
    /// use run::{Error, Signal, Signals};
    ///
    /// assert!(matches!(Signals::new(), Err(Error::NoRuntime))); // no runtime here
    ///
    /// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// let _inside = runtime.enter();
    /// let signals = Signals::new().unwrap();
    /// # #[cfg(unix)]
    /// assert_eq!(signals.signals().collect::<Vec<_>>(), [Signal::Interrupt, Signal::Terminate]);
    /// # #[cfg(windows)]
    /// assert_eq!(
    ///     signals.signals().collect::<Vec<_>>(),
    ///     [Signal::Interrupt, Signal::CtrlBreak, Signal::CtrlClose, Signal::CtrlShutdown],
    /// );
    /// ```
    pub fn new() -> Result<Self, Error> {
        if cfg!(windows) {
            Self::of([
                Signal::Interrupt,
                Signal::CtrlBreak,
                Signal::CtrlClose,
                Signal::CtrlShutdown,
            ])
        } else {
            Self::of([Signal::Interrupt, Signal::Terminate])
        }
    }

    /// Listens for these signals; the handlers are installed now. A signal the platform does
    /// not have is an [`Error::SignalHandlers`] of kind [`io::ErrorKind::Unsupported`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # #[cfg(unix)] {
    /// use run::{Signal, Signals};
    ///
    /// let signals = Signals::of([Signal::Hangup, Signal::User1]).unwrap();
    /// assert_eq!(signals.signals().collect::<Vec<_>>(), [Signal::Hangup, Signal::User1]);
    /// # }
    /// # }
    /// ```
    pub fn of(signals: impl IntoIterator<Item = Signal>) -> Result<Self, Error> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        Self::listen(signals).map_err(|error| Error::SignalHandlers(error.into()))
    }

    fn listen(signals: impl IntoIterator<Item = Signal>) -> io::Result<Self> {
        let mut listeners = Vec::new();
        for signal in signals {
            if listeners.iter().any(|(known, _)| *known == signal) {
                continue;
            }
            // tokio panics, rather than failing, on a runtime without its IO driver.
            let listener = std::panic::catch_unwind(AssertUnwindSafe(|| Listener::new(signal)))
                .map_err(|_| {
                io::Error::other(
                    "signal handlers need a tokio runtime with IO enabled (`enable_all`)",
                )
            })??;
            listeners.push((signal, listener));
        }
        Ok(Self {
            listeners,
            force_on_second: true,
        })
    }

    /// Whether a second signal during the shutdown aborts every actor still running
    /// ([`Error::Forced`]); on by default. Off, a second signal changes nothing: the
    /// shutdown runs to its end (or its timeouts).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use run::Signals;
    ///
    /// let signals = Signals::new().unwrap();
    /// assert!(format!("{signals:?}").ends_with("force_on_second: true }"));
    /// let patient = signals.force_on_second(false);
    /// assert!(format!("{patient:?}").ends_with("force_on_second: false }"));
    /// # }
    /// ```
    pub fn force_on_second(mut self, force: bool) -> Self {
        self.force_on_second = force;
        self
    }

    /// The signals listened for, each once, in the order given.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # #[cfg(unix)] {
    /// use run::{Signal, Signals};
    ///
    /// let signals = Signals::of([Signal::User2, Signal::Quit, Signal::User2]).unwrap();
    /// assert_eq!(signals.signals().collect::<Vec<_>>(), [Signal::User2, Signal::Quit]);
    /// # }
    /// # }
    /// ```
    pub fn signals(&self) -> impl Iterator<Item = Signal> + '_ {
        self.listeners.iter().map(|(signal, _)| *signal)
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("signals", &self.signals().collect::<Vec<_>>())
            .field("force_on_second", &self.force_on_second)
            .finish()
    }
}

impl Runner for Signals {
    type Error = Error;

    async fn run(self, ctx: Context) -> Result<(), Error> {
        let mut listeners = self.listeners;
        let source = move |cx: &mut TaskContext<'_>| poll_any(&mut listeners, cx).map(Some);
        on_signals(ctx, source, self.force_on_second).await
    }

    /// `signals`.
    fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed("signals")
    }
}

/// What a signal actor does, whatever its signals come from (`poll` gives the next one;
/// `None` when no more can come): the first makes it exit with [`Error::Signal`]; from then
/// on, with `force`, its group's run loop watches for the next, which forces the end
/// ([`Error::Forced`]). Interrupted first, it returns `Ok(())`.
pub(crate) async fn on_signals<P>(ctx: Context, mut poll: P, force: bool) -> Result<(), Error>
where
    P: FnMut(&mut TaskContext<'_>) -> Poll<Option<Signal>> + Send + 'static,
{
    let received = {
        let mut interrupted = std::pin::pin!(ctx.interrupted());
        poll_fn(|cx| {
            if interrupted.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            poll(cx)
        })
        .await
    };
    let Some(signal) = received else {
        return Ok(());
    };
    if force {
        // A scope without a run loop (a task group) has no shutdown to force: it never takes
        // the force.
        ctx.member().scope.set_force(Box::pin(async move {
            match poll_fn(&mut poll).await {
                Some(signal) => Error::Forced {
                    signal,
                    aborted: Vec::new(),
                },
                None => std::future::pending().await,
            }
        }));
    }
    Err(Error::Signal(signal))
}

fn poll_any(listeners: &mut [(Signal, Listener)], cx: &mut TaskContext<'_>) -> Poll<Signal> {
    for (signal, listener) in listeners {
        if listener.poll_recv(cx).is_ready() {
            return Poll::Ready(*signal);
        }
    }
    Poll::Pending
}

#[cfg(unix)]
struct Listener(tokio::signal::unix::Signal);

#[cfg(unix)]
impl Listener {
    fn new(signal: Signal) -> io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal as listen};
        let kind = match signal {
            Signal::Interrupt => SignalKind::interrupt(),
            Signal::Terminate => SignalKind::terminate(),
            Signal::Hangup => SignalKind::hangup(),
            Signal::Quit => SignalKind::quit(),
            Signal::User1 => SignalKind::user_defined1(),
            Signal::User2 => SignalKind::user_defined2(),
            Signal::CtrlBreak | Signal::CtrlClose | Signal::CtrlShutdown => {
                return Err(unsupported(signal));
            }
        };
        listen(kind).map(Listener)
    }

    /// Ready on a signal; a closed stream (the runtime is going away) is never ready.
    fn poll_recv(&mut self, cx: &mut TaskContext<'_>) -> Poll<()> {
        match self.0.poll_recv(cx) {
            Poll::Ready(Some(())) => Poll::Ready(()),
            _ => Poll::Pending,
        }
    }
}

#[cfg(windows)]
enum Listener {
    CtrlC(tokio::signal::windows::CtrlC),
    CtrlBreak(tokio::signal::windows::CtrlBreak),
    CtrlClose(tokio::signal::windows::CtrlClose),
    CtrlShutdown(tokio::signal::windows::CtrlShutdown),
}

#[cfg(windows)]
impl Listener {
    fn new(signal: Signal) -> io::Result<Self> {
        use tokio::signal::windows;
        Ok(match signal {
            Signal::Interrupt => Listener::CtrlC(windows::ctrl_c()?),
            Signal::CtrlBreak => Listener::CtrlBreak(windows::ctrl_break()?),
            Signal::CtrlClose => Listener::CtrlClose(windows::ctrl_close()?),
            Signal::CtrlShutdown => Listener::CtrlShutdown(windows::ctrl_shutdown()?),
            _ => return Err(unsupported(signal)),
        })
    }

    fn poll_recv(&mut self, cx: &mut TaskContext<'_>) -> Poll<()> {
        let received = match self {
            Listener::CtrlC(listener) => listener.poll_recv(cx),
            Listener::CtrlBreak(listener) => listener.poll_recv(cx),
            Listener::CtrlClose(listener) => listener.poll_recv(cx),
            Listener::CtrlShutdown(listener) => listener.poll_recv(cx),
        };
        match received {
            Poll::Ready(Some(())) => Poll::Ready(()),
            _ => Poll::Pending,
        }
    }
}

fn unsupported(signal: Signal) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{signal} does not exist on this platform"),
    )
}
