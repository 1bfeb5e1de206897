//! Assembling the service: state, router with its middleware, and a server that stops
//! gracefully.

use crate::auth::{JwtKeys, LoginLimiter};
use crate::classifier::ActiveClassifier;
use crate::config::Settings;
use crate::error::{ApiError, Text, request_context};
use crate::intake::Intake;
use crate::state::AppState;
use crate::stream::Hub;
use crate::{db, routes, seed};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::LatencyUnit;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Connects to the database, brings it up to date (migrations, the national list of wards) and
/// prepares the shared state.
pub async fn state(settings: Settings) -> anyhow::Result<AppState> {
    let db = db::connect(&settings).await?;
    let lock = db::startup_lock(&db).await?;
    db::migrate(&db).await?;
    seed::seed_reference(&db).await?;
    if let Some(lock) = lock {
        lock.commit().await?;
    }
    let writer = db::Writer::for_database(&db);
    let classifier = Arc::new(ActiveClassifier::builtin());
    classifier.refresh(&db).await?;
    Ok(AppState {
        hub: Hub::start(&db).await?,
        intake: Intake::start(db.clone(), writer.clone()),
        writer,
        db,
        jwt: Arc::new(JwtKeys::new(
            &settings.jwt_secret,
            settings.access_token_ttl,
        )),
        login_limiter: Arc::new(LoginLimiter::new(
            settings.login_attempts_per_minute,
            settings.login_attempts_per_minute_per_ip,
        )),
        classifier,
        photo_files: crate::photos::open_store(
            &settings.photo_store,
            &settings.photo_bucket_options,
        )?,
        photo_processor: crate::photos::Processor::new(settings.photo_workers),
        mailer: Arc::new(crate::mail::Mailer::from_settings(&settings)?),
        push: crate::push::from_settings(&settings)?,
        clocks: Arc::new(crate::sla::Clocks::default()),
        boundaries: Arc::new(crate::geography::Boundaries::default()),
        settings: Arc::new(settings),
    })
}

pub fn router(state: AppState) -> Router {
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
    let max_body = state.settings.max_body_bytes;
    router
        .fallback(route_not_found)
        .layer(CatchPanicLayer::custom(|_panic| -> Response {
            ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(request_context))
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Micros))
                .make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request_id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

async fn route_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route-not-found",
        Text::new(
            "Địa chỉ này không có trong API.",
            "There is no such route in the API.",
        ),
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        Text::new(
            "Địa chỉ này không hỗ trợ phương thức đã dùng.",
            "This route does not accept that method.",
        ),
    )
}

/// Serves until `shutdown` completes, then gives requests in flight `grace` to finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let grace = state.settings.shutdown_grace;
    let limiter = state.login_limiter.clone();
    let refreshing = state
        .classifier
        .clone()
        .keep_fresh(state.db.clone(), state.settings.classifier_refresh);
    let watching = crate::escalation::keep_watch(state.clone(), state.settings.escalation_interval);
    let delivering = crate::outbox::keep_delivering(state.clone());
    let building = crate::rollup::keep_building(state.clone());
    let digests = crate::digest::keep_sending(state.clone());
    let state_hub = state.hub.clone();
    let pruning = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.prune();
        }
    });
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let hub = state_hub;
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing requests in flight");
        hub.close();
        let _ = stopping_tx.send(());
    });
    let server = tokio::spawn(async move { server.await });
    let mut server = server;
    let result = tokio::select! {
        result = &mut server => result,
        _ = async {
            let _ = stopping_rx.await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!("requests still running after {grace:?}; stopping anyway");
            server.abort();
            Ok(Ok(()))
        }
    };
    pruning.abort();
    refreshing.abort();
    watching.abort();
    delivering.abort();
    building.abort();
    digests.abort();
    result??;
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
