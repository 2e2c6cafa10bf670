//! The IEC 62443 analysis over the API: findings, cross-domain paths, security levels of zones
//! and conduits, the zone diagram, the 62443-3-3 catalogue. Every answer covers only the
//! caller's sites.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use c981_analysis::catalogue;
use c981_analysis::findings::{Rule, Severity};
use c981_analysis::paths::{EntryKind, Options, Rank, TargetKind};
use c981_app::analysis::FindingQuery;
use c981_domain::{ConduitId, Site, SiteId, ZoneId};
use serde_json::json;

use crate::api::json_response;
use crate::{ApiCtx, ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/findings", get(findings))
        .route("/paths", get(paths))
        .route("/zones/{id}/security-levels", get(zone_levels))
        .route("/conduits/{id}/security-levels", get(conduit_levels))
        .route("/sites/{id}/zone-diagram.svg", get(diagram))
        .route("/catalogue/iec62443-3-3", get(catalogue_doc))
        .route("/catalogue/iec62443-3-3/descriptions", axum::routing::put(import_descriptions))
}

fn json_ok(v: &impl serde::Serialize) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(v).map_err(|e| ApiError::from(c981_app::AppError::Internal(e.to_string())))?;
    Ok(json_response(StatusCode::OK, body))
}

fn id_of(raw: &str, field: &str) -> Result<i64, ApiError> {
    match raw.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(ApiError::bad_request(field, format!("{raw:?} is not an id"))),
    }
}

/// `site_id=N` or `site=CODE`, optional.
pub(crate) async fn site_param(
    s: &AppState,
    ctx: &c981_app::Ctx,
    q: &HashMap<String, String>,
) -> Result<Option<SiteId>, ApiError> {
    if let Some(v) = q.get("site_id").filter(|v| !v.is_empty()) {
        return Ok(Some(SiteId::new(id_of(v, "site_id")?)));
    }
    if let Some(code) = q.get("site").filter(|v| !v.is_empty()) {
        let site = s
            .app
            .store()
            .site_by_code(&ctx.actor.scope, code)
            .await
            .map_err(|e| ApiError::from(c981_app::AppError::from(e)))?
            .ok_or_else(|| ApiError::bad_request("site", format!("there is no site {code:?}")))?;
        return Ok(Some(site.id));
    }
    Ok(None)
}

fn list_of<T>(
    q: &HashMap<String, String>,
    field: &str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, ApiError> {
    q.get(field)
        .map(|v| v.split(',').map(str::trim).filter(|x| !x.is_empty()).map(parse).collect::<Result<Vec<T>, _>>())
        .transpose()
        .map_err(|m| ApiError::bad_request(field, m))
        .map(Option::unwrap_or_default)
}

/// The path search options of a query (`from`, `to`, `rank`, `max_hops`, `max_paths`).
pub(crate) fn path_options(q: &HashMap<String, String>) -> Result<Options, ApiError> {
    let mut o = Options {
        from: list_of(q, "from", EntryKind::parse)?,
        to: list_of(q, "to", TargetKind::parse)?,
        ..Options::default()
    };
    if let Some(r) = q.get("rank").filter(|v| !v.is_empty()) {
        o.rank = Rank::parse(r).map_err(|m| ApiError::bad_request("rank", m))?;
    }
    if let Some(h) = q.get("max_hops").filter(|v| !v.is_empty()) {
        o.max_hops = h
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=16).contains(n))
            .ok_or_else(|| ApiError::bad_request("max_hops", "must be a number from 1 to 16"))?;
    }
    if let Some(h) = q.get("max_paths").filter(|v| !v.is_empty()) {
        o.max_paths = h
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| ApiError::bad_request("max_paths", "must be a number from 1 to 1000000"))?;
    }
    Ok(o)
}

/// The finding filter of a query (`site_id`/`site`, `min_severity`, `rule`).
pub(crate) async fn finding_query(
    s: &AppState,
    ctx: &c981_app::Ctx,
    q: &HashMap<String, String>,
) -> Result<FindingQuery, ApiError> {
    Ok(FindingQuery {
        site_id: site_param(s, ctx, q).await?,
        min_severity: q
            .get("min_severity")
            .filter(|v| !v.is_empty())
            .map(|v| Severity::parse(v))
            .transpose()
            .map_err(|m| ApiError::bad_request("min_severity", m))?,
        rule: q
            .get("rule")
            .filter(|v| !v.is_empty())
            .map(|v| Rule::parse(v))
            .transpose()
            .map_err(|m| ApiError::bad_request("rule", m))?,
    })
}

async fn findings(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let fq = finding_query(&s, &ctx, &q).await?;
    let items = s.app.findings(&ctx, &fq).await?;
    let items: Vec<_> = items
        .iter()
        .map(|f| {
            json!({ "key": f.key, "rule": f.rule, "basis": f.rule.basis(), "severity": f.severity, "site_id": f.site_id,
                     "subject": f.subject, "related": f.related, "message": f.message })
        })
        .collect();
    json_ok(&json!({ "count": items.len(), "items": items }))
}

async fn paths(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q).await?;
    let opts = path_options(&q)?;
    let found = s.app.paths(&ctx, site, &opts).await?;
    json_ok(&json!({ "count": found.paths.len(), "truncated": found.truncated, "paths": found.paths }))
}

async fn zone_levels(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let levels = s.app.zone_levels(&ctx, ZoneId::new(id_of(&id, "id")?)).await?;
    json_ok(&levels)
}

async fn conduit_levels(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let levels = s.app.conduit_levels(&ctx, ConduitId::new(id_of(&id, "id")?)).await?;
    json_ok(&levels)
}

async fn diagram(State(s): State<AppState>, ApiCtx(ctx): ApiCtx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let site = s.app.get::<Site>(&ctx, id_of(&id, "id")?).await?;
    let title = format!("{} ({}): zones and conduits", site.data.name, site.data.code);
    let svg = s.app.zone_diagram(&ctx, site.id, &title).await?;
    let mut res = (StatusCode::OK, svg).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml; charset=utf-8"));
    Ok(res)
}

async fn catalogue_doc(State(s): State<AppState>, ApiCtx(_ctx): ApiCtx) -> Result<Response, ApiError> {
    let texts = s.app.requirement_texts().await?;
    let frs: Vec<_> =
        catalogue::frs().iter().map(|f| json!({ "number": f.number, "code": f.code, "title": f.title })).collect();
    let reqs: Vec<_> = catalogue::requirements()
        .iter()
        .map(|r| {
            json!({ "id": r.id, "title": r.title, "level": r.level, "enhancement": r.is_enhancement(),
                     "description": texts.get(&r.id) })
        })
        .collect();
    json_ok(&json!({ "standard": "IEC 62443-3-3:2013", "foundational_requirements": frs, "requirements": reqs }))
}

/// `PUT` a CSV file of licensed description text (`id,description`), as the request body.
async fn import_descriptions(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let name = q.get("name").map_or("upload.csv", String::as_str);
    let n = s.app.import_requirement_texts(&ctx, name, &body).await?;
    json_ok(&json!({ "imported": n }))
}
