//! The HTTP face of Connect 981: the JSON API under `/api/v1` (with its OpenAPI 3.1 document
//! at `/api/v1/openapi.json`), the server-rendered web UI, and its static assets (ours,
//! embedded in the binary).
//!
//! [`router`] builds everything from an [`AppState`]; the binary serves it, and tests call it
//! in-process.

mod api;
mod api_analysis;
mod api_identity;
mod api_inventory;
mod api_risk;
mod api_risk_library;
mod api_soa;
pub mod auth;
mod error;
pub mod heatmap;
pub mod oidc;
pub mod openapi;
mod ui;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use c981_app::{App, Ctx};
use c981_domain::audit::Channel;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    /// Served over TLS: cookies are `Secure` with the `__Host-` prefix, and HSTS is sent.
    pub tls: bool,
    /// Proxies whose `X-Forwarded-For` is believed (for throttling and the audit trail).
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// OpenID Connect single sign-on, when configured.
    pub oidc: Option<Arc<oidc::OidcState>>,
}

impl AppState {
    pub fn new(app: App) -> Self {
        Self { app, tls: false, trusted_proxies: Arc::new(Vec::new()), oidc: None }
    }
}

/// The id of the request being served: echoed as `x-request-id` and written into every
/// audit entry the request causes.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

async fn request_id(mut req: Request, next: Next) -> Response {
    let id = c981_app::actor::new_request_id();
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    res
}

/// Refuses state-changing requests that a browser sends on behalf of another site: a
/// `Sec-Fetch-Site` other than `same-origin`/`none`, or an `Origin` whose host differs from
/// `Host`. Clients that are not browsers send neither header and pass.
async fn same_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let h = req.headers();
    let site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(s) = site
        && s != "same-origin"
        && s != "none"
    {
        return ApiError::forbidden("cross-site requests may not change data").into_response();
    }
    if let Some(origin) = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        if origin == "null" || origin_host != host {
            return ApiError::forbidden("cross-origin requests may not change data").into_response();
        }
    }
    next.run(req).await
}

/// The context of an API request.
pub struct ApiCtx(pub Ctx);

/// The context of a web UI request.
pub struct UiCtx(pub Ctx);

fn ctx_of(parts: &Parts, channel: Channel) -> Result<Ctx, ApiError> {
    let id = parts.extensions.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let principal = parts
        .extensions
        .get::<auth::Principal>()
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "log in, or send an API token"))?;
    Ok(Ctx::new(principal.actor.clone(), channel, id))
}

impl FromRequestParts<AppState> for ApiCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let reason = parts.headers.get("x-change-reason").and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok(ApiCtx(ctx_of(parts, Channel::Api)?.with_reason(reason)))
    }
}

impl FromRequestParts<AppState> for UiCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(UiCtx(ctx_of(parts, Channel::Ui)?))
    }
}

async fn health(State(state): State<AppState>) -> Response {
    match state.app.store().audit_head().await {
        Ok(_) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"status":"unavailable"}"#,
            )
                .into_response()
        }
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let hsts = state.tls.then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        )
    });
    let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
               object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
    Router::new()
        .route("/healthz", axum::routing::get(health))
        .nest("/api/v1", api::routes())
        .merge(ui::routes())
        .merge(ui::account::routes())
        .merge(oidc::routes())
        .fallback(ui::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(middleware::from_fn(same_origin_writes))
        .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(middleware::from_fn(request_id))
        .layer(tower::util::option_layer(hsts))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .with_state(state)
}
