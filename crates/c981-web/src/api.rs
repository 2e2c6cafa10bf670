//! The JSON API: for each entity, list (filtered, keyset-paginated), show, create, replace
//! (PUT), patch (JSON merge patch), delete and history; plus the audit trail.
//!
//! Concurrency: responses carry the record's version as an `ETag`; `If-Match` (or
//! `?version=`) on PUT, PATCH and DELETE turns a concurrent change into 409.
//! A reason for the change may be given in `X-Change-Reason`; it is kept in the audit entry.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use c981_app::{ListParams, input_from_json};
use c981_domain::entity::Entity;
use c981_domain::{
    Asset, Conduit, DataFlow, EntityKind, Interface, Record, RequirementStatus, Risk, Site, SiteId, Supplier,
    SystemUnderConsideration, Zone, ZoneId,
};
use c981_store::{AuditQuery, Table};
use serde_json::Value;

use crate::{ApiCtx, ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/openapi.json", get(openapi))
        .route("/audit/entries", get(audit_entries))
        .route("/audit/verify", get(audit_verify))
        .merge(crate::api_identity::routes())
        .merge(crate::api_analysis::routes())
        .merge(crate::api_risk::routes())
        .merge(crate::api_risk_library::routes())
        .merge(crate::api_inventory::routes())
        .merge(crate::api_soa::routes());
    r = entity::<Site>(r);
    r = entity::<Zone>(r);
    r = entity::<Conduit>(r);
    r = entity::<Asset>(r);
    r = entity::<DataFlow>(r);
    r = entity::<Interface>(r);
    r = entity::<RequirementStatus>(r);
    r = entity::<SystemUnderConsideration>(r);
    r = entity::<Risk>(r);
    r = entity::<Supplier>(r);
    r = entity::<c981_domain::IsmsScope>(r);
    r = entity::<c981_domain::SoaEntry>(r);
    r = entity::<c981_domain::Evidence>(r);
    r
}

fn entity<T: Table>(r: Router<AppState>) -> Router<AppState> {
    let base = format!("/{}", T::KIND.plural());
    r.route(&base, get(list::<T>).post(create::<T>))
        .route(&format!("{base}/{{id}}"), get(show::<T>).put(replace::<T>).patch(patch::<T>).delete(delete::<T>))
        .route(&format!("{base}/{{id}}/history"), get(history::<T>))
}

async fn openapi() -> Response {
    json_response(StatusCode::OK, crate::openapi::document().to_string().into_bytes())
}

pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

fn record_response<T: Entity>(status: StatusCode, r: &Record<T>, json: Vec<u8>) -> Response {
    let mut res = json_response(status, json);
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", r.version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// A record just written, as the API's JSON (no read back).
fn record_json<T: Table>(r: &Record<T>) -> Result<Vec<u8>, ApiError> {
    c981_store::Store::record_json(r).map_err(|e| ApiError::from(c981_app::AppError::from(e)))
}

fn parse_id(raw: &str) -> Result<i64, ApiError> {
    match raw.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ApiError::bad_request("id", format!("{raw:?} is not an id"))),
    }
}

/// The expected version from `If-Match: "3"` or `?version=3`.
fn expected_version(headers: &HeaderMap, query: &HashMap<String, String>) -> Result<Option<i64>, ApiError> {
    let raw = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"').to_owned())
        .or_else(|| query.get("version").cloned());
    match raw {
        None => Ok(None),
        Some(s) if s == "*" => Ok(None),
        Some(s) => {
            s.parse::<i64>().map(Some).map_err(|_| ApiError::bad_request("version", format!("{s:?} is not a version")))
        }
    }
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("body", "a JSON object is required"));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request("body", format!("not valid JSON at line {}, column {}: {e}", e.line(), e.column()))
    })
}

/// The list parameters: `site_id`, `site` (code), `q`, `cursor`, `limit`, and any other
/// parameter is a filter on the field of that name.
pub(crate) async fn list_params<T: Table>(
    state: &AppState,
    ctx: &c981_app::Ctx,
    query: HashMap<String, String>,
) -> Result<ListParams, ApiError> {
    let mut p = ListParams::default();
    for (k, v) in query {
        match k.as_str() {
            "site_id" => p.site_id = Some(SiteId::parse(&v).map_err(|m| ApiError::bad_request("site_id", m))?),
            "site" => {
                let site = state
                    .app
                    .store()
                    .site_by_code(&ctx.actor.scope, &v)
                    .await
                    .map_err(|e| ApiError::from(c981_app::AppError::from(e)))?
                    .ok_or_else(|| ApiError::bad_request("site", format!("there is no site {v:?}")))?;
                p.site_id = Some(site.id);
            }
            "q" => p.q = Some(v),
            "cursor" => p.cursor = Some(v),
            "limit" => {
                p.limit =
                    Some(v.parse().map_err(|_| ApiError::bad_request("limit", "must be a number from 1 to 1000"))?)
            }
            _ if v.is_empty() => {}
            _ => p.filters.push((k, v)),
        }
    }
    if T::KIND == EntityKind::Site {
        p.site_id = None;
    }
    Ok(p)
}

async fn list<T: Table>(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let p = list_params::<T>(&s, &ctx, q).await?;
    Ok(json_response(StatusCode::OK, s.app.list_json::<T>(&ctx, &p).await?))
}

async fn show<T: Table>(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let json = s.app.get_json::<T>(&ctx, id).await?;
    let version = serde_json::from_slice::<Value>(&json).ok().and_then(|v| v["version"].as_i64()).unwrap_or(0);
    let mut res = json_response(StatusCode::OK, json);
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

async fn create<T: Table>(State(s): State<AppState>, ApiCtx(ctx): ApiCtx, body: Bytes) -> Result<Response, ApiError> {
    let input = input_from_json::<T>(parse_body(&body)?)?;
    let r = s.app.create::<T>(&ctx, &input).await?;
    let id: i64 = r.id.into();
    let json = record_json(&r)?;
    let mut res = record_response(StatusCode::CREATED, &r, json);
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/{}/{id}", T::KIND.plural())) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

async fn replace<T: Table>(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let version = expected_version(&headers, &q)?;
    let input = input_from_json::<T>(parse_body(&body)?)?;
    let r = s.app.replace::<T>(&ctx, id, version, &input).await?;
    let json = record_json(&r)?;
    Ok(record_response(StatusCode::OK, &r, json))
}

async fn patch<T: Table>(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let version = expected_version(&headers, &q)?;
    let patch = parse_body(&body)?;
    let r = s.app.patch::<T>(&ctx, id, version, &patch).await?;
    let json = record_json(&r)?;
    Ok(record_response(StatusCode::OK, &r, json))
}

async fn delete<T: Table>(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let version = expected_version(&headers, &q)?;
    if T::KIND == EntityKind::Zone
        && let Some(target) = q.get("reassign_to")
    {
        let target = match target.trim() {
            "" | "none" | "null" => None,
            t => Some(ZoneId::parse(t).map_err(|m| ApiError::bad_request("reassign_to", m))?),
        };
        s.app.delete_zone_reassigning(&ctx, ZoneId::new(id), target).await?;
    } else {
        s.app.delete::<T>(&ctx, id, version).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn history<T: Table>(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let before = match q.get("before") {
        Some(b) => Some(b.parse::<i64>().map_err(|_| ApiError::bad_request("before", "is not an entry number"))?),
        None => None,
    };
    let limit = match q.get("limit") {
        Some(l) => l.parse::<u32>().map_err(|_| ApiError::bad_request("limit", "must be a number from 1 to 1000"))?,
        None => 100,
    };
    let entries = s.app.history(&ctx, T::KIND, id, before, limit).await?;
    let items: Vec<Value> = entries.iter().map(entry_json).collect();
    let next = if entries.len() as u32 == limit.clamp(1, 1000) { entries.last().map(|e| e.seq) } else { None };
    let body = serde_json::json!({ "items": items, "next_before": next });
    Ok(json_response(StatusCode::OK, body.to_string().into_bytes()))
}

/// An audit entry as the API shows it: the changes as a JSON object rather than text.
pub(crate) fn entry_json(e: &c981_domain::audit::AuditEntry) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        let changes: Value = serde_json::from_str(&e.draft.changes).unwrap_or(Value::Null);
        obj.insert("changes".into(), changes);
    }
    v
}

async fn audit_entries(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let ts = |k: &str| -> Result<Option<c981_domain::Timestamp>, ApiError> {
        q.get(k).map(|v| c981_domain::Timestamp::parse(v).map_err(|m| ApiError::bad_request(k, m))).transpose()
    };
    let query = AuditQuery {
        from: ts("from")?,
        to: ts("to")?,
        entity_type: q
            .get("entity_type")
            .map(|t| EntityKind::parse(t).map_err(|m| ApiError::bad_request("entity_type", m)))
            .transpose()?,
        entity_id: q
            .get("entity_id")
            .map(|t| t.parse::<i64>().map_err(|_| ApiError::bad_request("entity_id", "is not an id")))
            .transpose()?,
        after_seq: q
            .get("after")
            .map(|t| t.parse::<i64>().map_err(|_| ApiError::bad_request("after", "is not an entry number")))
            .transpose()?,
        limit: Some(
            q.get("limit")
                .map(|l| l.parse::<u32>().map_err(|_| ApiError::bad_request("limit", "must be a number")))
                .transpose()?
                .unwrap_or(100)
                .clamp(1, 1000),
        ),
        newest_first: false,
    };
    let entries = s.app.audit_entries(&ctx, &query).await?;
    let next = if Some(entries.len() as u32) == query.limit { entries.last().map(|e| e.seq) } else { None };
    let body = serde_json::json!({ "items": entries.iter().map(entry_json).collect::<Vec<_>>(), "next_after": next });
    Ok(json_response(StatusCode::OK, body.to_string().into_bytes()))
}

async fn audit_verify(State(s): State<AppState>, ApiCtx(ctx): ApiCtx) -> Result<Response, ApiError> {
    let report = s.app.audit_verify(&ctx).await?;
    let body = serde_json::to_vec(&report).map_err(|e| ApiError::from(c981_app::AppError::Internal(e.to_string())))?;
    Ok(json_response(StatusCode::OK, body))
}
