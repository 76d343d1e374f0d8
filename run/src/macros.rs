//! The macros of `run-macros`, re-exported here with their documentation and examples.
//!
//! Invariants: the macros generate nothing that cannot be written by hand with `run`'s public
//! API; the helpers they call live in the hidden `run::__private` module. Each macro's docs
//! show the equivalent code without it.

/// Runs an `async fn main` as the root actor of a group, beside a signal handler, and turns
/// the outcome into the process exit code.
///
/// ```
/// #[run::main]
/// async fn main(ctx: run::Context) -> Result<(), std::io::Error> {
///     assert_eq!(ctx.name(), "main");
///     // Spawn the application's actors in `ctx.group()`, or run a derived runner with
///     // `app.run(ctx).await`: on SIGINT / SIGTERM `ctx` is interrupted.
///     Ok(())
/// }
/// ```
///
/// The body may take a [`Context`](crate::Context) or nothing, and return `()` or
/// `Result<(), E>` for any `E` that converts into a [`BoxError`](crate::BoxError). It runs as
/// the actor `main`, in a tokio task: its future must be `Send`. A body without a `Context`
/// cannot see the shutdown, so it is dropped when the group stops.
///
/// # Options
///
/// | option | default | meaning |
/// |---|---|---|
/// | `flavor = "current_thread"` | `"multi_thread"` | the tokio runtime, as `#[tokio::main]` |
/// | `worker_threads = 4` | one per core | worker threads of the multi-thread runtime |
/// | `shutdown_timeout = "10s"` | `"30s"` | once the group stops, how long its actors have to return before they are aborted ([`Group::shutdown_timeout`](crate::Group::shutdown_timeout)): the app's whole shutdown budget, which the drain and every actor's timeout must fit in, at any depth (checked when each group starts, a derived struct's in the body included: [`Error::OverBudget`](crate::Error::OverBudget)); the process exits at the latest 0.5 s after it even if a thread hangs; zero is a compile error; durations are parts like `500ms`, `30s`, `1m30s` (units `ns`, `us`, `ms`, `s`, `m`, `h`) |
/// | `drain = "5s"` | none | on SIGINT / SIGTERM, readiness turns not ready at once and the actors keep running this long before the shutdown ([`Group::drain`](crate::Group::drain)); it counts against `shutdown_timeout`, and one that does not fit is a compile error |
/// | `drain_env = "SERVICE_DRAIN"` | none | the drain from this environment variable when it is set, read at start with the same duration syntax (`0s` for none), so that one binary drains as each deployment needs; a value that does not parse or does not fit in `shutdown_timeout` exits with 1 and an error naming the variable, before anything starts |
/// | `startup_timeout = "60s"` | none | the app must be ready within this, or it stops with [`Error::StartupTimeout`](crate::Error::StartupTimeout) naming the actors that never became ready |
/// | `signals = false` | `true` | whether a [`Signals`](crate::Signals) actor runs beside the body: SIGINT and SIGTERM on Unix; Ctrl-C, Ctrl-Break, Ctrl-Close and Ctrl-Shutdown on Windows |
/// | `reload = false` | `true` | Unix only: Windows has no SIGHUP and no reload signal, so there this option changes nothing, and an app reloads its actors through a group's [`ReloadHandle`](crate::ReloadHandle) ([`Group::reload_handle`](crate::Group::reload_handle)) from whatever trigger it chooses (an HTTP endpoint, say). On Unix, whether SIGHUP reloads the actors that opted in ([`Context::reloads`](crate::Context::reloads); with feature `systemd`, `RELOADING=1` + `MONOTONIC_USEC`, then `READY=1` once they are done; a failed reload is printed to stderr and the app goes on); an app with no actor opted in ignores SIGHUP. Off, SIGHUP terminates the process (its default action) |
/// | `init = setup_logs` | none | a `fn()` called inside the runtime before the root group is made: install a `tracing` subscriber here, and the root actors (`main`, `signals`) get their spans |
/// | `hook = on_event` | none | a `fn(&run::Event<'_>)`, the root group's [hook](crate::Group::hook), which nested groups inherit |
/// | `crate = "my_run"` | `"::run"` | the path to the `run` library (package `run-lifecycle`), if the dependency was renamed |
///
/// `init` and `hook` name a function by its path, written as is (`init = setup_logs`) or in a
/// string (`init = "setup_logs"`). A misspelled function, or one with the wrong signature, is
/// a compile error on that path.
///
/// The root group tracks readiness: [`Context::readiness`](crate::Context::readiness) gives
/// the whole app's, for `/ready` and `/live` probes. With feature `systemd` (on Unix; the
/// feature does nothing on Windows) and `NOTIFY_SOCKET` set, it tells systemd `STATUS=starting`, then `READY=1` once the app is
/// ready, `STOPPING=1` when the stop begins (`STATUS=draining`, then `STATUS=stopping`), and
/// pings the watchdog (`WATCHDOG=1`, every half of `WATCHDOG_USEC`) only while the app is
/// [live](crate::Readiness::is_live): an actor that says it is unhealthy, or a shutdown past
/// its timeout, stops the pings so that systemd restarts the service.
///
/// # Exit codes
///
/// | what happened | exit code | printed to stderr |
/// |---|---|---|
/// | the body returned `()` or `Ok(())` | 0 | |
/// | SIGINT or SIGTERM, then every actor returned in time (the body may return [`Error::Cancelled`](crate::Error::Cancelled), what a group or derived runner stopped by the shutdown returns) | 0 | |
/// | the body returned an error | 1 | ``Error: actor `main` failed: `` and the error's chain |
/// | the body (or any actor) failed or panicked after the signal | 1 | ``Error: received SIGTERM; and during the shutdown: actor `main` failed: `` and the chain |
/// | the body panicked | 1 | the panic message, then ``Error: actor `main` panicked at ...`` |
/// | an actor did not return within `shutdown_timeout` | 1 | `Error: shutdown timed out; still running: main/http (phase "draining" for 29.9s); the shutdown began with: received SIGTERM`: the stuck actors by full path, however deep (a nested group stops its own stuck actors just before the deadline and names them), each with its last [phase](crate::Context::phase) |
/// | a thread never returned (a stuck `spawn_blocking`, an actor blocked in a `std` call): the process exits anyway, at the latest `shutdown_timeout` + 0.5 s after the stop began | 1 | the same report, then `Error: exiting 30.5s after the shutdown began: a thread has not returned` if the group itself could not finish |
/// | a second signal during the shutdown | 130 | `Error: received SIGINT again while shutting down: aborted main/http (phase "draining" for 1.2s)`: the actors it aborted |
/// | the shutdown budget cannot hold the drain or an actor's timeout ([`Error::OverBudget`](crate::Error::OverBudget)), when the group starts: the root's at start, a derived struct's when the body runs it (nothing of it starts) | 1 | ``Error: actor `main` failed: the shutdown budget of 9.95s cannot fit the 20s timeout of actor `main/flusher`: ...`` |
/// | the runtime or the signal handlers could not be set up | 1 | what failed |
///
/// The codes are the same on Unix and Windows ("SIGINT or SIGTERM" reads "Ctrl-C, Ctrl-Break,
/// Ctrl-Close or Ctrl-Shutdown" there). On Windows, after Ctrl-Close or Ctrl-Shutdown,
/// Windows ends the process itself after its own timeout (a few seconds) if it is still
/// running, with a code of its choosing: a longer `shutdown_timeout` cannot be honoured there.
///
/// # Without the macro
///
/// `#[run::main]` on `async fn main(ctx: Context) -> Result<(), E>` is this, in substance
/// (the generated code also keeps the body's error when it fails during the shutdown):
///
/// ```no_run
/// use std::{process::ExitCode, time::Duration};
///
/// use run::{Context, Error, Group, Signals};
///
/// async fn body(ctx: Context) -> Result<(), std::io::Error> {
///     ctx.interrupted().await;
///     Ok(())
/// }
///
/// fn main() -> ExitCode {
///     let runtime = tokio::runtime::Builder::new_multi_thread()
///         .enable_all()
///         .build()
///         .expect("tokio runtime");
///     let result = runtime.block_on(async {
///         let mut group = Group::new().shutdown_timeout(Duration::from_secs(30));
///         group.spawn(body).name("main");
///         group.spawn(Signals::new().expect("signal handlers"));
///         group.run().await
///     });
///     let code = Error::exit_status(&result);
///     if let (Err(error), 1..) = (&result, code) {
///         eprintln!("Error: {}", error.report());
///     }
///     ExitCode::from(code)
/// }
/// ```
#[doc(inline)]
pub use run_macros::main;

/// Turns an `async fn` into the constructor of a [`Runner`](trait@crate::Runner): calling it
/// captures the arguments, and the group supplies the [`Context`](crate::Context) parameter,
/// if there is one, when the runner runs.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::Duration;
///
/// use run::{actor, Context, Group, Runner};
///
/// #[actor]
/// async fn ticker(period: Duration, ctx: Context) -> Result<(), std::io::Error> {
///     let mut tick = tokio::time::interval(period);
///     loop {
///         tokio::select! {
///             () = ctx.interrupted() => return Ok(()),
///             _ = tick.tick() => println!("tick"),
///         }
///     }
/// }
///
/// let runner: Ticker = ticker(Duration::from_millis(10)); // the generated runner type
/// assert_eq!(runner.name(), "ticker");
/// let mut group = Group::new();
/// group.spawn(runner);
/// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
/// group.run().await.unwrap();
/// # }
/// ```
///
/// The function keeps its name and visibility but is no longer `async`: it returns a struct
/// named after it in `CamelCase` (`ticker` → `Ticker`, `http_server` → `HttpServer`) with the
/// same visibility and generics, which holds the arguments and implements
/// [`Runner`](trait@crate::Runner) with [`BoxError`](crate::BoxError) as its error (the
/// body's own error stays inside, for [`Error::downcast_ref`](crate::Error::downcast_ref)).
/// The body may return `()` or `Result<(), E>`. Its arguments are moved into the runner: they
/// must be owned (or `&'static`), and `impl Trait` arguments must be generic parameters.
///
/// The runner is `Clone` when its arguments are, so it can be a restartable field of a
/// [`derive(Runner)`](derive@crate::Runner) struct (`#[actor(restart = "on_failure")]`): each
/// incarnation runs with clones of the arguments it was given. An argument that is not
/// `Clone` (a connection, a receiver) is reported on that argument where the field asks for
/// a restart; share it behind an `Arc` or open it in the body instead.
///
/// ```
/// use run::{actor, Context, Runner};
///
/// #[actor]
/// async fn cache(url: String, ctx: Context) -> Result<(), std::io::Error> {
///     // ... connect to `url`, serve until interrupted ...
/// #   let _ = url;
///     ctx.interrupted().await;
///     Ok(())
/// }
///
/// #[derive(Runner)]
/// struct App {
///     #[actor(restart = "on_failure")]
///     cache: Cache,
/// }
///
/// let app = App { cache: cache("redis://localhost".into()) };
/// # let _ = app;
/// ```
///
/// # Options
///
/// | option | default | meaning |
/// |---|---|---|
/// | `name = "tick"` | the function's name | the actor's name ([`Runner::name`](crate::Runner::name)) |
/// | `interrupt = stop` | see below | a function that makes the interrupt (its path, as is or in a string: `interrupt = "stop"`) |
/// | `crate = "my_run"` | `"::run"` | the path to the `run` library (package `run-lifecycle`), if the dependency was renamed |
///
/// # Interrupts
///
/// A body with a `Context` parameter is interrupted through it. A body without one is
/// dropped when interrupted. With `interrupt = path`, the function at `path` is called
/// when the runner starts, with a reference to each argument (the `Context` aside), and
/// returns the interrupt: a [`run::Interrupt`](crate::Interrupt) or a closure
/// `FnOnce(&run::Cause) + Send + 'static`, called once the actor is interrupted; the body then
/// goes on until it returns. It is the runner's own [`Runner::interrupt`](crate::Runner::interrupt),
/// so the group delivers it like any other: a panicking interrupt becomes
/// [`Error::Panic`](crate::Error::Panic) and stops no other. The compiler checks that call: a
/// misspelled name or a wrong signature is an error on the path.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{actor, Cause, Context, Group};
/// use tokio::sync::watch;
///
/// /// Serves until the `stop` channel says so; it never looks at a `Context`.
/// #[actor(interrupt = stopper)]
/// async fn server(stop: watch::Sender<bool>) -> Result<(), std::io::Error> {
///     let mut stopped = stop.subscribe();
///     let _ = stopped.wait_for(|stopped| *stopped).await;
///     Ok(())
/// }
///
/// fn stopper(stop: &watch::Sender<bool>) -> impl FnOnce(&Cause) + Send + 'static {
///     let stop = stop.clone();
///     move |_cause| {
///         stop.send_replace(true);
///     }
/// }
///
/// let mut group = Group::new();
/// group.spawn(server(watch::channel(false).0));
/// group.spawn(|_ctx: Context| async { Ok::<_, std::io::Error>(()) });
/// group.run().await.unwrap();
/// # }
/// ```
///
/// # Without the macro
///
/// The first example is, in substance:
///
/// ```
/// use std::{borrow::Cow, time::Duration};
///
/// use run::{BoxError, Context, Runner};
///
/// #[must_use]
/// struct Ticker(Duration);
///
/// fn ticker(period: Duration) -> Ticker {
///     Ticker(period)
/// }
///
/// impl Runner for Ticker {
///     type Error = BoxError;
///
///     async fn run(self, ctx: Context) -> Result<(), BoxError> {
///         let period = self.0;
///         // ... the body, with `period` and `ctx` ...
/// #       let _ = (period, ctx);
///         Ok(())
///     }
///
///     fn name(&self) -> Cow<'static, str> {
///         Cow::Borrowed("ticker")
///     }
///
///     // With `interrupt = "stop"`: `fn interrupt(&mut self) -> Interrupt { stop(&self.0) }`.
/// }
/// ```
#[doc(inline)]
pub use run_macros::actor;

/// Implements [`Runner`](trait@crate::Runner) for a struct whose `#[actor]` fields run as
/// the actors of a group; the other fields are plain data, kept until that group has
/// returned.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use run::{actor, Context, Interrupt, Runner};
///
/// #[actor]
/// async fn metrics(ctx: Context) {
///     ctx.interrupted().await;
/// }
///
/// #[actor]
/// async fn loader() -> Result<(), std::io::Error> {
///     Err(std::io::Error::other("config missing"))
/// }
///
/// struct Http;
///
/// impl Http {
///     /// How the group interrupts the `http` field: by this method's result.
///     fn shutdown(&self) -> Interrupt {
///         Interrupt::Abort
///     }
/// }
///
/// impl Runner for Http {
///     type Error = std::io::Error;
///
///     async fn run(self, _ctx: Context) -> Result<(), Self::Error> {
///         std::future::pending().await
///     }
/// }
///
/// #[derive(Runner)]
/// #[runner(name = "app")]
/// struct App {
///     #[actor]
///     metrics: Metrics,
///     #[actor(interrupt = "shutdown")]
///     http: Http,
///     #[actor(stage = 2, timeout = "10s")]
///     loader: Loader,
///     config: String,
/// }
///
/// let app = App {
///     metrics: metrics(),
///     http: Http,
///     loader: loader(),
///     config: "prod".into(),
/// };
/// let mut group = run::Group::new();
/// group.spawn(app);
/// let err = group.run().await.unwrap_err();
/// assert_eq!(err.report().to_string(), "actor `app/loader` failed: config missing");
/// # }
/// ```
///
/// The actor fields are spawned in declaration order, in a child group of the runner's
/// [`Context`](crate::Context) ([`Context::group`](crate::Context::group)), so their names
/// are paths under the runner's (`app/http`), derived runners nest, and the runner returns
/// what that group returns: the first exit's result, or
/// [`Error::Cancelled`](crate::Error::Cancelled) when the runner itself was interrupted.
/// Generic structs work: each actor field's type gets a `Runner` bound and each data field's
/// type `Send + 'static`.
///
/// # Options
///
/// On the struct, `#[runner(...)]`:
///
/// | option | default | meaning |
/// |---|---|---|
/// | `name = "app"` | the type's name | the runner's name ([`Runner::name`](crate::Runner::name)) |
/// | `crate = "my_run"` | `"::run"` | the path to the `run` library (package `run-lifecycle`), if the dependency was renamed |
/// | `strategy = "one_for_all"` | `"one_for_one"` | which restartable fields restart together ([`Strategy`](crate::Strategy)): `"one_for_one"`, `"one_for_all"` or `"rest_for_one"` |
///
/// On a field, `#[actor]` or `#[actor(...)]`:
///
/// | option | default | meaning |
/// |---|---|---|
/// | `name = "web"` | the field's name | the actor's name ([`ActorOptions::name`](crate::ActorOptions::name)) |
/// | `interrupt = "shutdown"` | through its `Context` | a method of the field's type that makes the interrupt, see below |
/// | `exit = "task"` | `"service"` | its [`ExitPolicy`](crate::ExitPolicy): `"service"`, `"task"` or `"sidecar"` |
/// | `stage = 2` | 1 | its shutdown stage ([`ActorOptions::stage`](crate::ActorOptions::stage)); 0 goes before the default |
/// | `timeout = "10s"` | none | its own shutdown grace ([`ActorOptions::timeout`](crate::ActorOptions::timeout)); it must fit in what the struct's actor may use of its parents' shutdown time, checked when the struct runs ([`Error::OverBudget`](crate::Error::OverBudget)) |
/// | `restart = "on_failure"` | `"never"` | restart it ([`Restart`](crate::Restart)): `"never"`, `"on_failure"` or `"always"`; the field's type must be `Clone` (each incarnation runs a clone, see [`Group::supervise`](crate::Group::supervise); an [`#[actor]`](macro@crate::actor) fn's runner is when its arguments are), and `interrupt` does not go with it |
/// | `max_restarts = 3` | 5 | with `restart`: at most this many restarts within `within` ([`RestartPolicy`](crate::RestartPolicy)) |
/// | `within = "10s"` | `"30s"` | with `restart`: the intensity period, not zero |
/// | `backoff = "100ms..5s"` | `"100ms..5s"` | with `restart`: the first delay and the cap of the exponential [`Backoff`](crate::Backoff) |
/// | `after = "db"`, `after = ["db", "cache"]` | none | it starts once these actor fields (by actor name) are ready, and stops before them ([`ActorOptions::after`](crate::ActorOptions::after)); an unknown name or a cycle is a compile error on the name |
/// | `ready_when_told` | | it is ready only once it calls [`Context::set_ready`](crate::Context::set_ready) ([`ActorOptions::ready_when_told`](crate::ActorOptions::ready_when_told)) |
/// | `skip` | | the field is data, though its type is a `Runner`: without it, an unmarked field whose type is a `Runner` is a compile error on the field (it would silently never run; checked for types that do not depend on the struct's generic parameters) |
///
/// # Interrupts
///
/// With `interrupt = "method"`, `FieldType::method(&field)` is called just before the field
/// is spawned and returns its interrupt: a [`run::Interrupt`](crate::Interrupt) or a closure
/// `FnOnce(&run::Cause) + Send + 'static`. The compiler checks that call, so a misspelled
/// method, or one with another signature, is an error on the string:
///
/// ```compile_fail,E0599
/// # use run::{Context, Interrupt, Runner};
/// # struct Http;
/// # impl Http { fn shutdown(&self) -> Interrupt { Interrupt::Abort } }
/// # impl Runner for Http {
/// #     type Error = std::io::Error;
/// #     async fn run(self, _ctx: Context) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// #[derive(Runner)]
/// struct App {
///     #[actor(interrupt = "shutdwn")] // error: no function `shutdwn` found for `Http`
///     http: Http,
/// }
/// ```
///
/// # Without the macro
///
/// `App` above is, in substance:
///
/// ```
/// # use run::{Context, Interrupt, Runner};
/// # struct Http;
/// # impl Http { fn shutdown(&self) -> Interrupt { Interrupt::Abort } }
/// # impl Runner for Http {
/// #     type Error = std::io::Error;
/// #     async fn run(self, _ctx: Context) -> Result<(), Self::Error> { Ok(()) }
/// # }
/// # type Metrics = Http; type Loader = Http;
/// use std::{borrow::Cow, time::Duration};
///
/// struct App {
///     metrics: Metrics,
///     http: Http,
///     loader: Loader,
///     config: String,
/// }
///
/// impl Runner for App {
///     type Error = run::Error;
///
///     async fn run(self, ctx: Context) -> Result<(), run::Error> {
///         let mut group = ctx.group();
///         group.spawn(self.metrics).name("metrics");
///         let interrupt = self.http.shutdown();
///         group.spawn(self.http).name("http").interrupt(interrupt);
///         group
///             .spawn(self.loader)
///             .name("loader")
///             .stage(2)
///             .timeout(Duration::from_secs(10));
///         let result = group.run().await;
///         drop(self.config);
///         result
///     }
///
///     fn name(&self) -> Cow<'static, str> {
///         Cow::Borrowed("app")
///     }
/// }
/// ```
#[doc(inline)]
pub use run_macros::Runner;
