//! The web UI: server-rendered pages for people (OT security leads, plant and controls
//! engineers, ISMS managers, auditors).
//!
//! - HTML comes from `maud` templates, escaped at compile time; no inline script or style
//!   anywhere (the server's Content-Security-Policy forbids both): all styling is by class in
//!   `static/app.css`, all behaviour in `static/app.js`, both embedded in the binary.
//! - Pages are generic over the entity and generated from its field table
//!   ([`c981_domain::fields::FieldSpec`]) and list filters ([`c981_store::Table::FILTERS`]),
//!   like the JSON API, so a new field shows up in the list, the detail page, the forms and
//!   the history without touching this module.
//! - Every read and write goes through the application's use cases, so the web UI is
//!   authorized and audited like every other channel (channel "Web UI").
//!
//! - Every form that posts carries the session's CSRF token ([`csrf_input`]); the
//!   authentication middleware refuses a cookie-borne write without it.
//!
//! Submodules: [`layout`] (the page frame), [`render`] (values, tables, references),
//! [`forms`] (form rendering and parsing), [`pages`] (the entity pages), [`home`] (dashboard
//! and audit trail), [`analysis`] (IEC 62443 findings, cross-domain paths, the zone diagram,
//! security levels of zones and conduits), [`account`] (login, set-up, the user's account, API
//! tokens), [`admin`] (accounts and roles), [`sign`] (electronic signatures), [`kit`] (fields
//! and errors of the identity forms), [`risks`] (the risk register, the overdue list and the
//! risk model), [`soa`] (the ISMS: Statements of Applicability, their versions, the dashboard,
//! the crosswalk, the catalogues and evidence files).

pub(crate) mod account;
mod admin;
mod analysis;
mod forms;
mod home;
mod inventory;
mod kit;
mod layout;
mod pages;
mod render;
mod risk_library;
mod risks;
mod sign;
mod soa;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use c981_app::AppError;
use c981_domain::{
    Asset, Conduit, DataFlow, Evidence, Interface, IsmsScope, RequirementStatus, Site, SoaEntry, Supplier,
    SystemUnderConsideration, Zone,
};
use maud::{Markup, html};

use crate::AppState;

pub(crate) use layout::{Frame, Section, Shell};

/// The version of the static assets, appended to their links so a new binary busts caches.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

const APP_CSS: &str = include_str!("../static/app.css");
const APP_JS: &str = include_str!("../static/app.js");
const FAVICON: &str = include_str!("../static/favicon.svg");

pub(crate) fn routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/", get(home::dashboard))
        .route("/audit", get(home::audit))
        .route("/findings", get(analysis::findings))
        .route("/paths", get(analysis::paths))
        .route("/sites/{id}/zones-diagram", get(analysis::zone_diagram))
        .route("/static/app.css", get(|| async { asset("text/css; charset=utf-8", APP_CSS) }))
        .route("/static/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/static/favicon.svg", get(|| async { asset("image/svg+xml", FAVICON) }));
    r = pages::entity::<Site>(r);
    r = pages::entity::<Zone>(r);
    r = pages::entity::<Conduit>(r);
    r = pages::entity::<Asset>(r);
    r = pages::entity::<DataFlow>(r);
    r = pages::entity::<Interface>(r);
    r = pages::entity::<RequirementStatus>(r);
    r = pages::entity::<SystemUnderConsideration>(r);
    r = pages::entity::<Supplier>(r);
    r = pages::entity::<IsmsScope>(r);
    r = pages::entity::<SoaEntry>(r);
    r = pages::entity::<Evidence>(r);
    r = risks::routes(r);
    r = risk_library::routes(r);
    r = inventory::routes(r);
    r = soa::routes(r);
    r
}

/// The hidden input that carries the session's CSRF token in every form that posts.
pub(crate) fn csrf_input() -> Markup {
    html! { input type="hidden" name="_csrf" value=(crate::auth::csrf_token()); }
}

/// An embedded static file, cached for a year (links carry `?v=<version>`).
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
        ],
        body,
    )
        .into_response()
}

/// The fallback: a JSON error under `/api/`, for clients that ask for JSON only, and a page
/// for browsers everywhere else.
pub(crate) async fn not_found(uri: Uri, headers: HeaderMap) -> Response {
    let wants_json = uri.path().starts_with("/api/")
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    if wants_json {
        return crate::ApiError::not_found("no such page").into_response();
    }
    UiError::NotFound(format!("There is no page at {}.", uri.path())).into_response()
}

/// An error on its way to a browser: rendered as a page with the status it deserves.
#[derive(Debug)]
pub(crate) enum UiError {
    App(AppError),
    NotFound(String),
    BadRequest(String),
}

impl From<AppError> for UiError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<c981_store::StoreError> for UiError {
    fn from(e: c981_store::StoreError) -> Self {
        Self::App(e.into())
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let (status, title, message, detail): (StatusCode, &str, String, Vec<String>) = match self {
            UiError::NotFound(m) => (StatusCode::NOT_FOUND, "Page not found", m, Vec::new()),
            UiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m, Vec::new()),
            UiError::App(AppError::NotFound { kind, id }) => (
                StatusCode::NOT_FOUND,
                "Not found",
                format!("{} {id} was not found, or it belongs to a site you do not have access to.", kind.label()),
                Vec::new(),
            ),
            UiError::App(AppError::NotFoundText(m)) => (StatusCode::NOT_FOUND, "Not found", m, Vec::new()),
            UiError::App(AppError::Forbidden(m)) => (StatusCode::FORBIDDEN, "Not allowed", m, Vec::new()),
            UiError::App(AppError::Conflict(m)) => (StatusCode::CONFLICT, "Conflict", m, Vec::new()),
            UiError::App(AppError::Unauthenticated(m)) => (StatusCode::UNAUTHORIZED, "Please log in", m, Vec::new()),
            UiError::App(AppError::Throttled(secs)) => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                format!("Too many failed attempts. Try again in {} minutes.", secs.div_ceil(60)),
                Vec::new(),
            ),
            UiError::App(AppError::Invalid(v)) => (
                StatusCode::BAD_REQUEST,
                "Bad request",
                "The request could not be understood:".to_owned(),
                v.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect(),
            ),
            UiError::App(AppError::SchemaTooNew(m)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "Database too new", m, Vec::new())
            }
            UiError::App(AppError::Internal(detail)) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "An internal error occurred; it was logged with the request id.".to_owned(),
                    Vec::new(),
                )
            }
        };
        let body = html! {
            div.error-page {
                p.error-code { (status.as_u16()) }
                h1 { (title) }
                p.lead { (message) }
                @if !detail.is_empty() {
                    ul { @for d in &detail { li { (d) } } }
                }
                p.actions {
                    a.btn href="/" { "Go to the dashboard" }
                }
            }
        };
        let frame = Frame::new(title, Section::None).switch_to("/");
        (status, layout::page(&Shell::bare(), frame, body)).into_response()
    }
}

/// Query string or form parameters in order, repeated keys kept (checkbox groups,
/// multi-selects).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(raw: &[u8]) -> Self {
        Self(form_urlencoded::parse(raw).into_owned().collect())
    }

    pub fn from_query(raw: Option<&str>) -> Self {
        Self::parse(raw.unwrap_or("").as_bytes())
    }

    /// The last non-blank value of `key`, trimmed.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().filter(|(k, _)| k == key).map(|(_, v)| v.trim()).find(|v| !v.is_empty())
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    /// The last value of `key` exactly as sent (passwords are not trimmed), "" when absent.
    pub fn raw(&self, key: &str) -> &str {
        self.0.iter().rev().find(|(k, _)| k == key).map_or("", |(_, v)| v.as_str())
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }
}

/// `path` with `params` appended as a query string (empty values left out).
pub(crate) fn url(path: &str, params: &[(&str, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in params {
        if !v.is_empty() {
            ser.append_pair(k, v);
            any = true;
        }
    }
    if any {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}{}", ser.finish())
    } else {
        path.to_owned()
    }
}
