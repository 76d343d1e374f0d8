//! A small HTTP service: an HTTP server, a background worker, a periodic reporter and an
//! operator's port, in one `#[derive(Runner)]` struct under `#[run::main]`. Each actor logs its
//! start and stop; the actors run concurrently, so their start lines come in any order.
//!
//! Two listeners, so that nothing internal faces the outside:
//! - the public port (`SERVICE_ADDR`, default `127.0.0.1:3000`): `/` (each request queues a
//!   job for the worker) and the probes `/ready` and `/live`, which the orchestrator reaches
//!   (deploy/kubernetes.yaml);
//! - the admin port (`SERVICE_ADMIN_ADDR`, default `127.0.0.1:3001`, loopback only: any other
//!   address is refused at start): `GET /status`, the tree of actors with each one's last
//!   error (an error text can carry a host name, a path, a connection string), `GET /metrics`
//!   for Prometheus (restarts, failures, readiness time, shutdown time, reloads: feature
//!   `metrics` of `run`), and `POST /stop`, which stops the service cleanly. Reach it from the
//!   host itself, with `ssh -L` or `kubectl port-forward`.
//!
//! A supervised `cache` loads `SERVICE_CACHE_FILE` (when set) at each start; while it cannot,
//! it fails and is restarted with a backoff, and the service serves on without it.
//!
//! `cargo run --example service`, then `curl 127.0.0.1:3000/`, `curl 127.0.0.1:3001/status`,
//! and Ctrl-C, `kill <pid>` or `curl -X POST 127.0.0.1:3001/stop`: `/ready` answers 503 at
//! once while the service goes on serving for the drain (1 s: a load balancer moves the
//! traffic away meanwhile), then the server stops accepting and finishes its requests, the
//! worker drains its queue, then the reporter prints the final count. `SERVICE_DRAIN` sets
//! another drain (`0s` for none). `127.0.0.1:0` picks a
//! free port (each address is printed on start). `SERVICE_CONFIG` names a file with the
//! reporter's period in seconds: edit it and `kill -HUP <pid>` to reload it; a reload that
//! cannot be read (missing, over 64 bytes, not a whole number of seconds) changes nothing.

// Also a check that the code `#[run::main]`, `#[actor]` and `#[derive(Runner)]` generate is
// clean under pedantic lints (CI denies warnings).
#![warn(clippy::pedantic)]

use std::{
    io::Read,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    routing::{get, post},
};
use hyper::server::conn::http1;
use hyper_util::{rt::TokioIo, service::TowerToHyperService};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use run::{BoxError, Cause, Context, Runner, actor};
use tokio::{
    net::TcpListener,
    sync::{Notify, mpsc},
};

/// The service: `worker`, `reporter` and `admin` start at once, `http` only once the worker
/// says it is ready (it takes jobs): the service is ready, `/ready` answers 200, once all four
/// are. The stop goes the other way: `http` first, then `worker` (it started after it), then,
/// in stage 2, `reporter` and `admin` (an operator can watch the shutdown to its end).
#[derive(Runner)]
struct Service {
    /// Serves until interrupted, then finishes the requests in flight.
    #[actor(after = "worker")]
    http: Http,
    /// Interrupted through `Worker::stopper`: it then drains the jobs already queued. Ready
    /// once it says so.
    #[actor(interrupt = "stopper", ready_when_told)]
    worker: Worker,
    /// Interrupted only once the server and the worker have stopped: the count is final.
    #[actor(stage = 2)]
    reporter: Reporter,
    /// The operator's routes, on loopback.
    #[actor(stage = 2)]
    admin: Admin,
    /// Restarted after each failure (with a backoff, at most 10 times in 30 s); a sidecar:
    /// the service serves on without it, and it stops when the others have.
    #[actor(
        restart = "on_failure",
        max_restarts = 10,
        within = "30s",
        backoff = "100ms..1s",
        exit = "sidecar"
    )]
    cache: Cache,
}

/// The public HTTP server: `GET /` queues a job; `/ready` and `/live` are the probes.
struct Http {
    listener: TcpListener,
    jobs: mpsc::Sender<u64>,
}

impl Runner for Http {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        println!("start {}", ctx.name());
        let next = Arc::new(AtomicU64::new(1));
        // `/ready` and `/live` answer from the whole app's state: 503 from the first signal on.
        let readiness = ctx.readiness().expect("`#[run::main]` tracks readiness");
        let app = Router::new()
            .route("/", get(queue_job))
            .with_state((self.jobs, next))
            .merge(run::probe_routes(readiness));
        serve(&ctx, &self.listener, &app).await?;
        println!("stop {}", ctx.name());
        Ok(())
    }
}

/// The operator's server, on a loopback address only: `GET /status` is the whole app's tree
/// of actors with their states, restarts and last errors (the full view: error texts are for
/// operators), `GET /metrics` the Prometheus text of every metric, `POST /stop` stops the
/// app cleanly (exit 0).
struct Admin {
    listener: TcpListener,
}

impl Runner for Admin {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        println!("start {}", ctx.name());
        let status = ctx.clone();
        let stop = ctx.stop_handle();
        let app = Router::new()
            .route(
                "/status",
                get(move || std::future::ready(status.status().to_string())),
            )
            .route(
                "/metrics",
                get(|| {
                    std::future::ready(
                        METRICS
                            .get()
                            .map_or_else(String::new, PrometheusHandle::render),
                    )
                }),
            )
            .route(
                "/stop",
                post(move || {
                    stop.stop();
                    std::future::ready((StatusCode::ACCEPTED, "stopping\n"))
                }),
            );
        serve(&ctx, &self.listener, &app).await?;
        println!("stop {}", ctx.name());
        Ok(())
    }
}

/// Serves `app` on `listener` until `ctx` is interrupted.
///
/// Each connection is a child task of the actor (`ctx.spawn`), not a bare `tokio::spawn` as
/// in `axum::serve`: it is interrupted with the server (and then finishes its request), the
/// server waits for it, and a timeout aborts it with the server; no connection outlives the
/// server or holds its state after it. (With `axum::serve`,
/// `.with_graceful_shutdown(ctx.interrupted_owned())` stops accepting, but its connection
/// tasks are tokio's.)
async fn serve(ctx: &Context, listener: &TcpListener, app: &Router) -> std::io::Result<()> {
    loop {
        let (stream, peer) = tokio::select! {
            () = ctx.interrupted() => return Ok(()),
            accepted = listener.accept() => accepted?,
        };
        let service = TowerToHyperService::new(app.clone());
        ctx.spawn_named(peer.to_string(), move |conn: Context| async move {
            let serving = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::pin!(serving);
            let served = tokio::select! {
                served = serving.as_mut() => served,
                () = conn.interrupted() => {
                    serving.as_mut().graceful_shutdown();
                    serving.await
                }
            };
            // A client's broken connection is its own business, not the service's: logged,
            // not returned (a child's error would stop the whole group).
            if let Err(error) = served {
                eprintln!("{}: {error}", conn.name());
            }
        })
        .map_err(std::io::Error::other)?;
    }
}

async fn queue_job(State((jobs, next)): State<(mpsc::Sender<u64>, Arc<AtomicU64>)>) -> String {
    let job = next.fetch_add(1, Ordering::Relaxed);
    match jobs.send(job).await {
        Ok(()) => format!("queued job {job}\n"),
        Err(_) => "shutting down\n".to_string(),
    }
}

/// Does the queued jobs; when stopped, finishes those already queued and takes no more.
struct Worker {
    jobs: mpsc::Receiver<u64>,
    stop: Arc<Notify>,
    done: Arc<AtomicU64>,
}

impl Worker {
    /// The worker's interrupt: `Notify` keeps the permit, so a stop is never missed.
    fn stopper(&self) -> impl FnOnce(&Cause) + Send + 'static + use<> {
        let stop = Arc::clone(&self.stop);
        move |_cause| stop.notify_one()
    }
}

impl Runner for Worker {
    type Error = std::io::Error;

    async fn run(mut self, ctx: Context) -> Result<(), Self::Error> {
        println!("start {}", ctx.name());
        // Taking jobs from now on: `http` may start.
        ctx.set_ready();
        loop {
            tokio::select! {
                () = self.stop.notified() => {
                    // Named in the report if the drain hangs past the shutdown budget.
                    ctx.phase("draining the queue");
                    self.jobs.close();
                }
                job = self.jobs.recv() => match job {
                    Some(job) => {
                        self.done.fetch_add(1, Ordering::Relaxed);
                        println!("job {job} done");
                    }
                    // Closed, by the stop or by the server's end, and drained.
                    None => break,
                },
            }
        }
        println!("stop {}", ctx.name());
        Ok(())
    }
}

/// Loads `SERVICE_CACHE_FILE` at each start (a stand-in for warming a cache from a store that
/// may be down), then holds it until stopped. A file it cannot read is a failure, which its
/// supervisor restarts after a backoff. `Clone`: each restart runs a fresh copy.
#[derive(Clone)]
struct Cache;

impl Runner for Cache {
    type Error = std::io::Error;

    async fn run(self, ctx: Context) -> Result<(), Self::Error> {
        if let Ok(path) = std::env::var("SERVICE_CACHE_FILE") {
            let loaded = std::fs::metadata(&path)
                .map_err(|error| std::io::Error::new(error.kind(), format!("{path}: {error}")))?;
            println!("{}: loaded {} bytes", ctx.name(), loaded.len());
        }
        ctx.interrupted().await;
        Ok(())
    }
}

/// The most a config file may hold: it is read whole, and a path pointing at a huge file
/// must not be.
const CONFIG_LIMIT: u64 = 64;

/// The reporter's period: `SERVICE_CONFIG` names a file holding it in seconds (such as `5`);
/// 5 s without one. Read at start and at each reload (`kill -HUP <pid>`); a file that is
/// missing, larger than [`CONFIG_LIMIT`], not UTF-8 or not a whole number of seconds from 1
/// up is an error that names it.
fn report_period() -> Result<Duration, BoxError> {
    let Ok(path) = std::env::var("SERVICE_CONFIG") else {
        return Ok(Duration::from_secs(5));
    };
    let mut text = String::new();
    std::fs::File::open(&path)
        .and_then(|file| file.take(CONFIG_LIMIT + 1).read_to_string(&mut text))
        .map_err(|error| format!("{path}: {error}"))?;
    if text.len() as u64 > CONFIG_LIMIT {
        return Err(format!("{path}: larger than {CONFIG_LIMIT} bytes").into());
    }
    let seconds: u64 = text
        .trim()
        .parse()
        .map_err(|error| format!("{path}: period {:?}: {error}", text.trim()))?;
    if seconds == 0 {
        return Err(format!("{path}: the period must be at least 1 s").into());
    }
    Ok(Duration::from_secs(seconds))
}

/// Prints how many jobs are done, every `period`, and once more when it stops. On SIGHUP it
/// rereads its period ([`report_period`]); a bad one is refused: the reload fails (`run`
/// reports it) and the reporter says it keeps the old period.
#[actor]
async fn reporter(mut period: Duration, done: Arc<AtomicU64>, ctx: Context) {
    // Opted in to reloads before it says it started: a SIGHUP from then on reaches it.
    let mut reloads = ctx.reloads();
    println!("start {}", ctx.name());
    let mut tick = tokio::time::interval(period);
    tick.tick().await; // the first tick is immediate
    loop {
        tokio::select! {
            () = ctx.interrupted() => break,
            _ = tick.tick() => println!("{} jobs done", done.load(Ordering::Relaxed)),
            request = reloads.requested() => match report_period() {
                // Answered first: once the line is out, the reload is done and reported.
                Ok(new) => {
                    period = new;
                    tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                    request.ok();
                    println!("{}: reporting every {period:?}", ctx.name());
                }
                Err(error) => {
                    request.fail(error);
                    println!("{}: keeping every {period:?}", ctx.name());
                }
            },
        }
    }
    println!(
        "stop {}: {} jobs done",
        ctx.name(),
        done.load(Ordering::Relaxed)
    );
}

/// The address in environment variable `name`, or `default`: an address that does not parse
/// is an error naming the variable.
fn address(name: &str, default: &str) -> Result<SocketAddr, BoxError> {
    let text = std::env::var(name).unwrap_or_else(|_| default.into());
    text.parse()
        .map_err(|error| format!("{name}={text:?}: {error}").into())
}

/// The Prometheus recorder's handle, for `/metrics`.
static METRICS: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();

/// Installed before the root group is made (`init`), so that every actor is counted and
/// logged from its start: the log records (`tracing`, `INFO` and above, to stderr: the app's
/// start, readiness, reloads, stop and end; each failure, restart and timeout) and the
/// Prometheus recorder (without it, `/metrics` is empty).
fn setup() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .init();
    match PrometheusBuilder::new().install_recorder() {
        Ok(handle) => {
            let _ = METRICS.set(handle);
        }
        Err(error) => tracing::error!("no metrics: {error}"),
    }
}

// On SIGTERM: 1 s of drain (`SERVICE_DRAIN`, such as `5s` or `0s`, sets another), then the
// rest of the 10 s for the staged shutdown.
#[run::main(
    shutdown_timeout = "10s",
    drain = "1s",
    drain_env = "SERVICE_DRAIN",
    init = setup
)]
async fn main(ctx: Context) -> Result<(), BoxError> {
    let public = address("SERVICE_ADDR", "127.0.0.1:3000")?;
    let admin = address("SERVICE_ADMIN_ADDR", "127.0.0.1:3001")?;
    // The admin routes show error texts and stop the service: never on a reachable address.
    if !admin.ip().is_loopback() {
        return Err(format!(
            "SERVICE_ADMIN_ADDR={admin}: the admin port must be a loopback address \
             (reach it with ssh -L or kubectl port-forward)"
        )
        .into());
    }
    let period = report_period()?;
    let listener = TcpListener::bind(public).await?;
    let admin = TcpListener::bind(admin).await?;
    println!("listening on http://{}", listener.local_addr()?);
    println!("admin on http://{}", admin.local_addr()?);
    let (jobs, queue) = mpsc::channel(64);
    let done = Arc::new(AtomicU64::new(0));
    let service = Service {
        http: Http { listener, jobs },
        worker: Worker {
            jobs: queue,
            stop: Arc::new(Notify::new()),
            done: Arc::clone(&done),
        },
        reporter: reporter(period, done),
        admin: Admin { listener: admin },
        cache: Cache,
    };
    service.run(ctx).await?;
    Ok(())
}
