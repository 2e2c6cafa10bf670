//! Risks over the API beyond their records (which the generic entity routes serve at
//! `/api/v1/risks`): the organisation's risk model and its versions, re-rating the register
//! after a model change, and the overdue list of the caller's sites.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use c981_app::risk::ModelVersion;
use serde_json::{Value, json};

use crate::api::json_response;
use crate::api_analysis::site_param;
use crate::{ApiCtx, ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/risk-model", get(current).put(set))
        .route("/risk-model/versions", get(versions))
        .route("/risk-model/versions/{id}", get(version))
        .route("/risk-model/rerate", post(rerate))
        .route("/risks/overdue", get(overdue))
        .route("/risks/export", get(export))
}

/// A model version as the API shows it.
pub(crate) fn version_json(v: &ModelVersion, current: i64, with_model: bool) -> Value {
    let mut out = json!({
        "version": v.version,
        "created_at": v.created_at.map(|t| t.to_string()),
        "created_by": v.created_by,
        "reason": v.reason,
        "current": v.version == current,
    });
    if with_model {
        out["model"] = v.model.to_json();
    }
    out
}

fn ok(v: &Value, version: Option<i64>) -> Response {
    let mut res = json_response(StatusCode::OK, v.to_string().into_bytes());
    if let Some(n) = version
        && let Ok(h) = HeaderValue::from_str(&format!("\"{n}\""))
    {
        res.headers_mut().insert(header::ETAG, h);
    }
    res
}

async fn current(State(s): State<AppState>, ApiCtx(ctx): ApiCtx) -> Result<Response, ApiError> {
    let v = s.app.risk_model(&ctx).await?;
    Ok(ok(&version_json(&v, v.version, true), Some(v.version)))
}

async fn set(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let based_on = match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(raw) => match raw.trim().trim_start_matches("W/").trim_matches('"') {
            "*" => None,
            n => Some(
                n.parse::<i64>().map_err(|_| ApiError::bad_request("If-Match", format!("{n:?} is not a version")))?,
            ),
        },
    };
    let model: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request("body", format!("not valid JSON at line {}, column {}: {e}", e.line(), e.column()))
        })?
    };
    let v = s.app.set_risk_model(&ctx, &model, based_on).await?;
    Ok(ok(&version_json(&v, v.version, true), Some(v.version)))
}

async fn versions(State(s): State<AppState>, ApiCtx(ctx): ApiCtx) -> Result<Response, ApiError> {
    let all = s.app.risk_model_versions(&ctx).await?;
    let current = all.first().map_or(0, |v| v.version);
    let items: Vec<Value> = all.iter().map(|v| version_json(v, current, false)).collect();
    Ok(ok(&json!({ "items": items }), None))
}

async fn version(State(s): State<AppState>, ApiCtx(ctx): ApiCtx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let n = match id.parse::<i64>() {
        Ok(n) if n > 0 => n,
        _ => return Err(ApiError::bad_request("id", format!("{id:?} is not a version"))),
    };
    let v = s.app.risk_model_version(&ctx, n).await?;
    let current = s.app.risk_model(&ctx).await?.version;
    Ok(ok(&version_json(&v, current, true), Some(v.version)))
}

async fn rerate(State(s): State<AppState>, ApiCtx(ctx): ApiCtx) -> Result<Response, ApiError> {
    let counts = s.app.rerate_risks(&ctx).await?;
    let body = serde_json::to_value(counts).unwrap_or(Value::Null);
    Ok(ok(&body, None))
}

async fn overdue(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q).await?;
    let limit = match q.get("limit").filter(|l| !l.is_empty()) {
        Some(l) => {
            Some(l.parse::<u32>().map_err(|_| ApiError::bad_request("limit", "must be a number from 1 to 1000"))?)
        }
        None => None,
    };
    let list = s.app.overdue_risks(&ctx, site, q.get("cursor").map(String::as_str), limit).await?;
    let body = serde_json::to_value(&list).unwrap_or(Value::Null);
    Ok(ok(&body, None))
}

/// The register of the caller's sites (or one site, filtered like the list) as XLSX, CSV or
/// PDF, as a download.
async fn export(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    use c981_app::risk_export::{ExportFormat, ExportQuery, render};
    let format = ExportFormat::parse(q.get("format").map(String::as_str).unwrap_or("xlsx"))
        .map_err(|m| ApiError::bad_request("format", m))?;
    let site = site_param(&s, &ctx, &q).await?;
    const FILTERS: [&str; 7] =
        ["state", "treatment", "inherent_level", "residual_level", "risk_owner", "needs_rerating", "model_version"];
    let filters = FILTERS
        .iter()
        .filter_map(|f| q.get(*f).filter(|v| !v.is_empty()).map(|v| ((*f).to_owned(), v.clone())))
        .collect();
    let query = ExportQuery { site_id: site, filters, q: q.get("q").filter(|v| !v.is_empty()).cloned() };
    let report = s.app.risk_register_report(&ctx, &query).await?;
    let bytes = render(&report, format, s.app.now(), &ctx.actor.name)?;
    let day: String = s.app.now().to_string().chars().take(10).collect();
    let name = format!("risk-register-{day}.{}", format.extension());
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
