//! The risk library over the API: the IIoT threat library (shipped and the organisation's
//! templates, with an import), risks suggested from the facts (list, the proposed risk,
//! dismissals), the heatmaps (JSON and SVG), and the assessment periods (close, list, read,
//! compare).

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use c981_domain::{AssetKind, SiteId, ZoneKind};
use serde_json::{Value, json};

use crate::api::json_response;
use crate::api_analysis::site_param;
use crate::{ApiCtx, ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/threat-templates", get(templates))
        .route("/threat-templates/import", post(import_templates))
        .route("/threat-templates/{id}", get(template).put(put_template).delete(delete_template))
        .route("/risk-suggestions", get(suggestions))
        .route("/risk-suggestions/proposal", get(proposal))
        .route("/risk-suggestions/dismissals", post(dismiss).delete(restore))
        .route("/risk-heatmap", get(heatmap))
        .route("/risk-heatmap.svg", get(heatmap_svg))
        .route("/risk-periods", get(periods).post(close_period))
        .route("/risk-periods/compare", get(compare))
        .route("/risk-periods/{id}", get(period))
}

fn ok(v: &Value) -> Response {
    json_response(StatusCode::OK, v.to_string().into_bytes())
}

fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("body", format!("not valid JSON at line {}, column {}: {e}", e.line(), e.column()))
    })
}

fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        None => Ok(None),
        Some(raw) => match raw.trim().trim_start_matches("W/").trim_matches('"') {
            "*" => Ok(None),
            n => Ok(Some(
                n.parse::<i64>().map_err(|_| ApiError::bad_request("If-Match", format!("{n:?} is not a version")))?,
            )),
        },
    }
}

fn id_param(raw: &str, field: &str) -> Result<i64, ApiError> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ApiError::bad_request(field, format!("{raw:?} is not an id"))),
    }
}

/// The site a request is about, required.
async fn required_site(s: &AppState, ctx: &c981_app::Ctx, q: &HashMap<String, String>) -> Result<SiteId, ApiError> {
    site_param(s, ctx, q).await?.ok_or_else(|| ApiError::bad_request("site", "is required (a site code, or site_id)"))
}

async fn templates(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let asset = match q.get("asset_kind").filter(|v| !v.is_empty()) {
        Some(k) => Some(AssetKind::parse(k).map_err(|m| ApiError::bad_request("asset_kind", m))?),
        None => None,
    };
    let zone = match q.get("zone_kind").filter(|v| !v.is_empty()) {
        Some(k) => Some(ZoneKind::parse(k).map_err(|m| ApiError::bad_request("zone_kind", m))?),
        None => None,
    };
    let items: Vec<_> = s
        .app
        .threat_templates(&ctx)
        .await?
        .into_iter()
        .filter(|t| asset.is_none_or(|k| t.template.fits_asset(k)) && zone.is_none_or(|k| t.template.fits_zone(k)))
        .collect();
    Ok(ok(&json!({ "items": items })))
}

async fn template(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let t = s.app.threat_template(&ctx, &id).await?;
    let mut res = ok(&serde_json::to_value(&t).unwrap_or(Value::Null));
    if let Some(v) = t.version
        && let Ok(h) = HeaderValue::from_str(&format!("\"{v}\""))
    {
        res.headers_mut().insert(header::ETAG, h);
    }
    Ok(res)
}

async fn put_template(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let t = s.app.put_threat_template(&ctx, &id, &body_json(&body)?, if_match(&headers)?).await?;
    Ok(ok(&serde_json::to_value(&t).unwrap_or(Value::Null)))
}

async fn delete_template(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    s.app.delete_threat_template(&ctx, &id, if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /threat-templates/import`: the body is the JSON file; `X-File-Name` names it in
/// messages and in the audit trail.
async fn import_templates(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect::<String>())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "upload.json".to_owned());
    let summary = s.app.import_threat_templates(&ctx, &name, &body).await?;
    Ok(ok(&serde_json::to_value(summary).unwrap_or(Value::Null)))
}

async fn suggestions(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q).await?;
    let dismissed = matches!(q.get("dismissed").map(String::as_str), Some("true" | "1" | "yes"));
    let items = s.app.risk_suggestions(&ctx, site, dismissed).await?;
    Ok(ok(&json!({ "items": items })))
}

/// The risk a suggestion proposes: post it (after review) to `/risks`.
async fn proposal(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = required_site(&s, &ctx, &q).await?;
    let key = q.get("key").filter(|k| !k.is_empty()).ok_or_else(|| ApiError::bad_request("key", "is required"))?;
    let sug = s.app.risk_suggestion(&ctx, site, key).await?;
    let input = s.app.suggestion_input(&ctx, &sug).await?;
    Ok(ok(&json!({ "suggestion": sug, "risk": input })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DismissBody {
    site: Option<String>,
    site_id: Option<i64>,
    key: String,
    #[serde(default)]
    reason: String,
}

async fn dismiss(State(s): State<AppState>, ApiCtx(ctx): ApiCtx, body: Bytes) -> Result<Response, ApiError> {
    let b: DismissBody = serde_json::from_value(body_json(&body)?)
        .map_err(|e| ApiError::bad_request("body", format!("expected {{\"site\", \"key\", \"reason\"}}: {e}")))?;
    let mut q = HashMap::new();
    if let Some(code) = b.site {
        q.insert("site".to_owned(), code);
    }
    if let Some(id) = b.site_id {
        q.insert("site_id".to_owned(), id.to_string());
    }
    let site = required_site(&s, &ctx, &q).await?;
    s.app.dismiss_risk_suggestion(&ctx, site, &b.key, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn restore(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = required_site(&s, &ctx, &q).await?;
    let key = q.get("key").filter(|k| !k.is_empty()).ok_or_else(|| ApiError::bad_request("key", "is required"))?;
    s.app.restore_risk_suggestion(&ctx, site, key).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn heatmap(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q).await?;
    let h = s.app.risk_heatmap(&ctx, site).await?;
    Ok(ok(&serde_json::to_value(h).unwrap_or(Value::Null)))
}

async fn heatmap_svg(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q).await?;
    let residual = match q.get("rating").map(String::as_str).unwrap_or("inherent") {
        "inherent" => false,
        "residual" => true,
        other => return Err(ApiError::bad_request("rating", format!("{other:?} is neither inherent nor residual"))),
    };
    let svg = crate::heatmap::svg(&s, &ctx, site, residual, false).await?;
    let mut res = (StatusCode::OK, svg).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml; charset=utf-8"));
    Ok(res)
}

async fn periods(State(s): State<AppState>, ApiCtx(ctx): ApiCtx) -> Result<Response, ApiError> {
    let items = s.app.risk_periods(&ctx).await?;
    Ok(ok(&json!({ "items": items })))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    note: String,
}

async fn close_period(State(s): State<AppState>, ApiCtx(ctx): ApiCtx, body: Bytes) -> Result<Response, ApiError> {
    let b: PeriodBody = serde_json::from_value(body_json(&body)?)
        .map_err(|e| ApiError::bad_request("body", format!("expected {{\"name\", \"note\"}}: {e}")))?;
    let p = s.app.close_risk_period(&ctx, &b.name, &b.note).await?;
    Ok(json_response(StatusCode::CREATED, serde_json::to_vec(&p).unwrap_or_default()))
}

async fn period(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q).await?;
    let (p, risks) = s.app.risk_period_risks(&ctx, id_param(&id, "id")?, site).await?;
    Ok(ok(&json!({ "period": p, "risks": risks })))
}

async fn compare(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q).await?;
    let from = id_param(q.get("from").map(String::as_str).unwrap_or(""), "from")?;
    let to = match q.get("to").map(String::as_str).filter(|t| !t.is_empty() && *t != "current") {
        Some(t) => Some(id_param(t, "to")?),
        None => None,
    };
    let c = s.app.compare_risk_periods(&ctx, from, to, site).await?;
    Ok(ok(&serde_json::to_value(c).unwrap_or(Value::Null)))
}
