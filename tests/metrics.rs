//! Feature `metrics`: what a group's actors count, as a Prometheus exporter renders it. Each
//! actor's series start at zero when it starts; restarts, failures, timeouts and restart
//! limits are counted per actor by full path; child tasks are not counted. A pool counts what
//! waits for a worker and what it refuses.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use run::{Backoff, Context, Error, ExitPolicy, Group, Pool, Restart, RestartPolicy};

/// Runs `work` on a current-thread runtime under paused time, counted by a Prometheus
/// recorder of this thread only, which `work` is given to render.
fn counted<F: std::future::Future<Output = ()>>(work: impl FnOnce(PrometheusHandle) -> F) {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap()
            .block_on(work(handle));
    });
}

/// Runs `app` [counted](counted); returns what the recorder renders after.
fn render(app: impl FnOnce() -> Group) -> String {
    let mut text = String::new();
    let rendered = &mut text;
    counted(|handle| async move {
        let _ = app().run().await;
        *rendered = handle.render();
    });
    text
}

/// The value of the series `name{actor="..."}`, if rendered.
fn value(text: &str, name: &str, actor: &str) -> Option<f64> {
    series(text, &format!("{name}{{actor=\"{actor}\"}}"))
}

#[test]
fn restarts_failures_timeouts_and_limits_are_counted_per_actor_from_zero() {
    let text = render(|| {
        let mut app = Group::named("app").shutdown_timeout(Duration::from_secs(10));
        // Fails twice, then runs until the stop.
        let runs = Arc::new(AtomicU32::new(0));
        app.supervise(move || {
            let run = runs.fetch_add(1, Ordering::Relaxed);
            move |ctx: Context| async move {
                if run < 2 {
                    return Err(std::io::Error::other("cold"));
                }
                ctx.interrupted().await;
                Ok(())
            }
        })
        .name("cache")
        .restart(RestartPolicy::new(Restart::OnFailure).backoff(Backoff::none()))
        .exit(ExitPolicy::Sidecar);
        // Fails past its limit of one restart: given up on.
        app.supervise(|| |_ctx: Context| async { Err::<(), _>(std::io::Error::other("down")) })
            .name("feed")
            .restart(
                RestartPolicy::new(Restart::OnFailure)
                    .max_restarts(1)
                    .backoff(Backoff::none()),
            )
            .exit(ExitPolicy::Sidecar);
        // Ignores its interrupt: aborted at its timeout.
        app.spawn(|_ctx: Context| std::future::pending::<()>())
            .name("stuck")
            .timeout(Duration::from_secs(1));
        // Starts a child task per "request": never a series of its own.
        app.spawn(|ctx: Context| async move {
            ctx.spawn_named("127.0.0.1:40000", |conn: Context| conn.into_interrupted())
                .unwrap();
            ctx.interrupted().await;
        })
        .name("http");
        // Stops the app a second in.
        app.spawn(|_ctx: Context| tokio::time::sleep(Duration::from_secs(1)))
            .name("stopper");
        app
    });

    let of = |name, actor| value(&text, name, actor);
    assert_eq!(
        of("run_actor_restarts_total", "app/cache"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        of("run_actor_failures_total", "app/cache"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        of("run_actor_gave_up_total", "app/cache"),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        of("run_actor_restarts_total", "app/feed"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        of("run_actor_failures_total", "app/feed"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        of("run_actor_gave_up_total", "app/feed"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        of("run_actor_timeouts_total", "app/stuck"),
        Some(1.0),
        "{text}"
    );
    // Registered at zero when it started, though nothing happened to it.
    for name in [
        "run_actor_restarts_total",
        "run_actor_failures_total",
        "run_actor_timeouts_total",
        "run_actor_gave_up_total",
    ] {
        assert_eq!(of(name, "app/http"), Some(0.0), "{name}: {text}");
    }
    // Everything has exited by the end.
    for actor in [
        "app/cache",
        "app/feed",
        "app/stuck",
        "app/http",
        "app/stopper",
    ] {
        assert_eq!(of("run_actor_up", actor), Some(0.0), "{actor}: {text}");
    }
    assert!(
        !text.contains("40000"),
        "a child task has no series: {text}"
    );
}

/// The value of the series `series` (its name and labels as rendered).
fn series(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{series} ")))
        .map(|value| value.parse().unwrap())
}

#[test]
fn a_pool_counts_what_waits_for_a_worker_and_what_it_refuses() {
    let waiting = r#"run_pool_waiting{pool="fetch"}"#;
    let rejections = r#"run_pool_rejections_total{pool="fetch"}"#;
    counted(|handle| async move {
        let pool = Pool::builder()
            .name("fetch")
            .max(1)
            .queue(1)
            .build()
            .unwrap();
        let text = handle.render();
        assert_eq!(series(&text, waiting), Some(0.0), "{text}");
        assert_eq!(series(&text, rejections), Some(0.0), "{text}");

        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let busy = pool
            .try_submit(async move {
                released.await.ok();
            })
            .unwrap();
        let queued = pool.try_submit(async {}).unwrap();
        let refused = pool.try_submit(async {});
        assert!(matches!(refused, Err(Error::Full)));
        let late = pool
            .submit_timeout(async {}, Duration::from_millis(10))
            .await;
        assert!(matches!(late, Err(Error::DispatchTimeout)));
        let text = handle.render();
        assert_eq!(series(&text, waiting), Some(1.0), "the queued job: {text}");
        assert_eq!(series(&text, rejections), Some(2.0), "{text}");

        release.send(()).unwrap();
        busy.await.unwrap();
        queued.await.unwrap();
        let text = handle.render();
        assert_eq!(series(&text, waiting), Some(0.0), "{text}");
        pool.close().await.unwrap();
    });
}
