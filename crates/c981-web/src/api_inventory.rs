//! The inventory formalised over time, over the API: imports (spreadsheets, Zeek, Nmap) with
//! their history, and the review queue with its decisions.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use c981_app::import::{ImportKind, ImportOptions, Upload};
use c981_app::review::{AssetDecision, Verdict};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::json_response;
use crate::api_analysis::site_param;
use crate::{ApiCtx, ApiError, AppState};

/// The largest file an import accepts over HTTP.
pub const MAX_IMPORT_BYTES: usize = 256 * 1024 * 1024;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(list))
        // POST /imports/assets imports a file; GET /imports/17 is one import of the history.
        .route("/imports/{key}", get(one).merge(post(import).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES))))
        .route("/review", get(queue))
        .route("/discovery/sparkplug", get(discovery))
        .route("/review/assets/{id}", post(review_asset))
        .route("/review/flows/{id}", post(review_flow))
        .route("/review/proposals/{id}", post(review_proposal))
}

fn ok(status: StatusCode, v: &Value) -> Response {
    json_response(status, v.to_string().into_bytes())
}

fn flag(v: Option<&String>) -> bool {
    matches!(v.map(String::as_str), Some("true" | "1" | "yes" | "on"))
}

/// The file name a client gave (`X-File-Name`), cleaned for messages and the history.
pub(crate) fn file_name(headers: &HeaderMap, default: &str) -> String {
    headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(clean_name)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// A file name without path or control characters, at most 200 characters.
pub(crate) fn clean_name(n: &str) -> String {
    let base = n.rsplit(['/', '\\']).next().unwrap_or(n);
    base.chars().filter(|c| !c.is_control()).take(200).collect()
}

async fn import(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(kind): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let kind = ImportKind::parse(&kind).ok_or_else(|| {
        ApiError::bad_request(
            "kind",
            format!(
                "{kind:?} is not one of: {}",
                ImportKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let q: HashMap<String, String> = pairs.iter().cloned().collect();
    let site = site_param(&s, &ctx, &q)
        .await?
        .ok_or_else(|| ApiError::bad_request("site", "is required (a site code, or site_id)"))?;
    if body.is_empty() {
        return Err(ApiError::bad_request("body", "the file is empty: send its bytes as the request body"));
    }
    let opts = ImportOptions {
        mapping: pairs.iter().filter(|(k, _)| k == "map").map(|(_, v)| v.clone()).collect(),
        sheet: q.get("sheet").filter(|v| !v.is_empty()).cloned(),
        dry_run: flag(q.get("dry_run")),
        skip_invalid: flag(q.get("skip_invalid")),
    };
    let name = file_name(&headers, "upload");
    let report = s.app.import_file(&ctx, kind, site, Upload { name: &name, bytes: &body }, &opts, None).await?;
    let status = if report.stored || (report.dry_run && report.refused_rows() == 0) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(ok(status, &serde_json::to_value(&report).unwrap_or(Value::Null)))
}

async fn list(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q).await?;
    let before = match q.get("before").filter(|v| !v.is_empty()) {
        Some(v) => Some(v.parse::<i64>().map_err(|_| ApiError::bad_request("before", "is not an import id"))?),
        None => None,
    };
    let limit = match q.get("limit").filter(|v| !v.is_empty()) {
        Some(v) => v.parse::<u32>().map_err(|_| ApiError::bad_request("limit", "is not a number"))?,
        None => 100,
    };
    let items = s.app.imports(&ctx, site, before, limit).await?;
    Ok(ok(StatusCode::OK, &json!({ "items": items })))
}

async fn one(State(s): State<AppState>, ApiCtx(ctx): ApiCtx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = id.parse::<i64>().map_err(|_| ApiError::bad_request("id", "is not an import id"))?;
    let row = s.app.import_entry(&ctx, id).await?;
    Ok(ok(StatusCode::OK, &serde_json::to_value(row).unwrap_or(Value::Null)))
}

async fn queue(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q)
        .await?
        .ok_or_else(|| ApiError::bad_request("site", "is required (a site code, or site_id)"))?;
    let queue = s.app.review_queue(&ctx, site).await?;
    Ok(ok(StatusCode::OK, &serde_json::to_value(queue).unwrap_or(Value::Null)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetBody {
    action: String,
    into: Option<i64>,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerdictBody {
    verdict: Verdict,
    #[serde(default)]
    reason: String,
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &Bytes, expected: &str) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request("body", format!("expected {expected}: {e}")))
}

fn id_of(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>().map_err(|_| ApiError::bad_request("id", "is not an id"))
}

async fn review_asset(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let b: AssetBody = parse_body(&body, "{\"action\": \"confirm\"|\"merge\"|\"reject\", \"into\", \"reason\"}")?;
    let decision = match (b.action.as_str(), b.into) {
        ("confirm", _) => AssetDecision::Confirm,
        ("reject", _) => AssetDecision::Reject,
        ("merge", Some(into)) => AssetDecision::Merge { into },
        ("merge", None) => return Err(ApiError::bad_request("into", "merge needs the id of the asset to merge into")),
        (other, _) => {
            return Err(ApiError::bad_request("action", format!("{other:?} is not one of: confirm, merge, reject")));
        }
    };
    s.app.review_asset(&ctx, id, &decision, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn review_flow(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let b: VerdictBody = parse_body(&body, "{\"verdict\": \"confirm\"|\"reject\", \"reason\"}")?;
    s.app.review_flow(&ctx, id, b.verdict, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn review_proposal(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = id_of(&id)?;
    let b: VerdictBody = parse_body(&body, "{\"verdict\": \"confirm\"|\"reject\", \"reason\"}")?;
    s.app.review_proposal(&ctx, id, b.verdict, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn discovery(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q).await?;
    let identities = s.app.sparkplug_identities(&ctx, site).await?;
    Ok(ok(StatusCode::OK, &json!({ "status": s.app.discovery_status(), "identities": identities })))
}
