//! `/ready` and `/live` probes from a group's [`Readiness`]: the status codes, and with
//! feature `axum` the routes in one line.

#[cfg(feature = "axum")]
use super::readiness::Readiness;

/// A router with `GET /ready` and `GET /live` answering from `readiness` (200 or 503, an
/// empty body), to [merge](axum::Router::merge) into the app's router (feature `axum`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use axum::{routing::get, Router};
///
/// let mut group = run::Group::new();
/// let app: Router = Router::new()
///     .route("/", get(|| async { "hello" }))
///     .merge(run::probe_routes(group.readiness()));
/// # let _ = app;
/// # }
/// ```
#[cfg(feature = "axum")]
pub fn probe_routes<S>(readiness: Readiness) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    use axum::{http::StatusCode, routing::get};

    let code = |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let live = readiness.clone();
    axum::Router::new()
        .route(
            "/ready",
            get(move || std::future::ready(code(readiness.ready_status()))),
        )
        .route(
            "/live",
            get(move || std::future::ready(code(live.live_status()))),
        )
}
