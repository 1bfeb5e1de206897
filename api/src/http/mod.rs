//! The only code that knows HTTP: the router and its middleware, extractors, the rendering of
//! problems, the views (JSON shapes of answers), the handlers of each area, and a server that
//! stops gracefully. Handlers extract, call a use case (`services`), and render.

pub mod accounts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod boundaries;
pub mod classify;
pub mod conditional;
pub mod console;
pub mod csv;
pub mod devices;
pub mod error;
pub mod extract;
pub mod health;
pub mod hotspots;
pub mod idempotency;
pub mod notifications;
pub mod pages;
pub mod params;
pub mod photos;
pub mod preferences;
pub mod query;
pub mod reports;
pub mod routes;
pub mod server;
pub mod sessions;
pub mod state;
pub mod stats;
pub mod stream;
pub mod supporters;
pub mod taxonomy;
pub mod views;
pub mod wards;
pub mod webhooks;
pub mod working_time;

use crate::problem::{Problem, ProblemKind};
use crate::services::Services;
use crate::workers::Workers;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::response::{IntoResponse, Response};
use state::AppState;
use std::collections::BTreeMap;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Headers a request may carry: browsers and phones send about twenty.
const MAX_HEADERS: usize = 100;
/// Headers hyper reads before it refuses a request by itself, without a problem body: well
/// above [`MAX_HEADERS`], so that the service is the one to answer almost always.
const HYPER_MAX_HEADERS: usize = 2000;
/// The longest path and query a request may have.
const MAX_URI_BYTES: usize = 8 * 1024;

/// Refuses, with a problem, a request with too many headers or too long an address, before
/// anything else reads it.
async fn request_limits(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if request.headers().len() > MAX_HEADERS {
        return Problem::of(
            ProblemKind::HeadersTooLarge,
            format!("Yêu cầu có quá nhiều tiêu đề (tối đa {MAX_HEADERS})."),
            format!("The request has too many headers (at most {MAX_HEADERS})."),
        )
        .into_response();
    }
    if request.uri().to_string().len() > MAX_URI_BYTES {
        return Problem::of(
            ProblemKind::UriTooLong,
            format!("Địa chỉ yêu cầu quá dài (tối đa {MAX_URI_BYTES} byte)."),
            format!("The request address is too long (at most {MAX_URI_BYTES} bytes)."),
        )
        .into_response();
    }
    next.run(request).await
}

pub fn router(services: Services) -> Router {
    let state = state::AppState { services };
    let mut by_path: BTreeMap<&str, axum::routing::MethodRouter<AppState>> = BTreeMap::new();
    for (_, path, method_router) in routes::table() {
        let merged = match by_path.remove(path) {
            Some(existing) => existing.merge(method_router),
            None => method_router,
        };
        by_path.insert(path, merged);
    }
    let mut router = Router::new();
    for (path, method_router) in by_path {
        router = router.route(path, method_router.fallback(method_not_allowed));
    }
    let max_body = state.services.settings.max_body_bytes;
    router
        .fallback(route_not_found)
        .layer(CatchPanicLayer::custom(|_panic| -> Response {
            Problem::internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(axum::middleware::from_fn(conditional::tag))
        // Outside the panic catcher, so that a write that panicked frees its key.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::remember,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            app::version_gate,
        ))
        .layer(axum::middleware::from_fn(request_limits))
        .layer(axum::middleware::from_fn(error::request_context))
        .layer(
            // One line per request when its span closes: what, its status, and its time (the
            // use cases and queries inside have spans of their own at the debug level).
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        uri = %request.uri().path(),
                        request_id,
                        status = tracing::field::Empty,
                    )
                })
                .on_response(|response: &Response, _latency, span: &tracing::Span| {
                    span.record("status", response.status().as_u16());
                }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

async fn route_not_found() -> Problem {
    Problem::of(
        ProblemKind::RouteNotFound,
        "Địa chỉ này không có trong API.",
        "There is no such route in the API.",
    )
}

async fn method_not_allowed() -> Problem {
    Problem::of(
        ProblemKind::MethodNotAllowed,
        "Địa chỉ này không hỗ trợ phương thức đã dùng.",
        "This route does not accept that method.",
    )
}

/// Serves until `shutdown` completes, with this replica's workers; then gives requests in
/// flight and workers' runs the shutdown grace to finish.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let settings = services.settings.clone();
    let workers = Workers::start(&services)?;
    let hub = services.hub.clone();
    let limits = server::Limits {
        header_timeout: settings.header_timeout,
        body_min_bytes_per_second: settings.body_min_bytes_per_second,
        body_grace: settings.body_grace,
        max_connections: settings.max_connections,
        max_headers: HYPER_MAX_HEADERS,
    };
    let stopping = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing requests in flight");
        // Open streams end, so they do not hold up the shutdown; phones reconnect elsewhere.
        hub.close();
    };
    server::run(
        listener,
        router(services),
        limits,
        stopping,
        settings.shutdown_grace,
    )
    .await;
    workers.stop(settings.shutdown_grace).await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (what process managers send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
