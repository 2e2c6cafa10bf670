//! The ISMS over the API beyond its records (which the generic routes serve at
//! `/api/v1/scopes`, `/soa-entries` and `/evidence`): the Statement of Applicability of a
//! scope, deciding a control, freezing a version for approval, versions and their comparison,
//! exports (XLSX, CSV, PDF, OSCAL, the evidence bundle), uploaded evidence files, the
//! crosswalk, the catalogues and the dashboard.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use c981_app::risk_export::ExportFormat;
use c981_app::soa_export::{Which, render_soa};
use c981_domain::SoaEntryInput;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::json_response;
use crate::api_analysis::site_param;
use crate::api_inventory::clean_name;
use crate::{ApiCtx, ApiError, AppState};

/// The largest evidence file accepted.
pub const MAX_EVIDENCE_BYTES: usize = 25 * 1024 * 1024;
/// The largest catalogue file accepted.
pub const MAX_CATALOG_BYTES: usize = 8 * 1024 * 1024;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/scopes/{id}/soa", get(soa))
        .route("/scopes/{id}/soa/{control}", put(set_entry))
        .route("/scopes/{id}/soa-versions", get(versions).post(freeze))
        .route("/scopes/{id}/soa-versions/{number}", get(version))
        .route("/scopes/{id}/soa-compare", get(compare))
        .route("/scopes/{id}/soa-export", get(export))
        .route("/scopes/{id}/evidence-bundle", get(bundle))
        .route("/evidence/{id}/file", get(download).merge(put(upload).layer(DefaultBodyLimit::max(MAX_EVIDENCE_BYTES))))
        .route("/soa-dashboard", get(dashboard))
        .route("/crosswalk", get(crosswalk).post(put_link))
        .route("/crosswalk/{id}", delete(delete_link))
        .route("/catalogs", get(catalogs))
        .route(
            "/catalogs/{key}",
            get(catalog_items).merge(post(import_catalog).layer(DefaultBodyLimit::max(MAX_CATALOG_BYTES))),
        )
}

fn id_of(raw: &str, field: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_request(field, format!("{raw:?} is not an id")))
}

fn ok(status: StatusCode, v: &Value) -> Response {
    json_response(status, v.to_string().into_bytes())
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn download_response(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let safe: String = name.chars().filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\').collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

async fn soa(State(s): State<AppState>, ApiCtx(ctx): ApiCtx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let view = s.app.soa_view(&ctx, id_of(&id, "id")?).await?;
    Ok(ok(StatusCode::OK, &to_json(&view)))
}

/// Decides one control: the body is the entry's fields (site, scope and control come from
/// the path). `If-Match` carries the entry version the person saw.
async fn set_entry(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path((id, control)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: SoaEntryInput =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request("body", e.to_string()))?;
    let version = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"').to_owned())
        .filter(|v| v != "*")
        .map(|v| v.parse::<i64>().map_err(|_| ApiError::bad_request("version", format!("{v:?} is not a version"))))
        .transpose()?;
    let r = s.app.set_soa_entry(&ctx, id_of(&id, "id")?, &control, version, input).await?;
    let json = c981_store::Store::record_json(&r).map_err(|e| ApiError::from(c981_app::AppError::from(e)))?;
    let mut res = json_response(StatusCode::OK, json);
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", r.version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

async fn versions(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let v = s.app.soa_versions(&ctx, id_of(&id, "id")?).await?;
    Ok(ok(StatusCode::OK, &json!({ "items": to_json(&v) })))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct FreezeBody {
    note: String,
}

/// Freezes the working statement as the next version (refused, 409, while incomplete).
async fn freeze(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: FreezeBody = if body.is_empty() {
        FreezeBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request("body", e.to_string()))?
    };
    let v = s.app.freeze_soa(&ctx, id_of(&id, "id")?, &b.note).await?;
    Ok(ok(
        StatusCode::CREATED,
        &json!({ "id": v.id.get(), "number": v.data.number, "note": v.data.note, "frozen_at": v.created_at.to_string(),
                 "sign": format!("/api/v1/soa-versions/{}/signatures", v.id.get()) }),
    ))
}

async fn version(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path((id, number)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let scope = id_of(&id, "id")?;
    let n = id_of(&number, "number")?;
    let v = s.app.soa_version_by_number(&ctx, scope, n).await?;
    let doc = s.app.soa_version_doc(&ctx, v.id).await?;
    Ok(ok(StatusCode::OK, &json!({ "version": to_json(&v), "content": to_json(&doc) })))
}

async fn compare(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let from =
        q.get("from").ok_or_else(|| ApiError::bad_request("from", "is required (a version number or current)"))?;
    let to = q.get("to").map_or("current", String::as_str);
    let c = s.app.compare_soa(&ctx, id_of(&id, "id")?, from, to).await?;
    Ok(ok(StatusCode::OK, &to_json(&c)))
}

/// `?format=xlsx|csv|pdf|html|oscal-catalog|oscal-profile|oscal-ssp` and `?version=N|latest`
/// (default: the working statement).
async fn export(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let scope = id_of(&id, "id")?;
    let which = Which::parse(q.get("version").map(String::as_str)).map_err(|m| ApiError::bad_request("version", m))?;
    let format = q.get("format").map_or("xlsx", String::as_str);
    if let Some(kind) = format.strip_prefix("oscal-") {
        let o = s.app.soa_oscal(&ctx, scope, which).await?;
        let e = s.app.soa_export(&ctx, scope, which).await?;
        let (body, name) = match kind {
            "catalog" => (o.catalog, "catalog.json".to_owned()),
            "profile" => (o.profile, "profile.json".to_owned()),
            "ssp" => (o.ssp, format!("{}-ssp.json", e.stem())),
            other => {
                return Err(ApiError::bad_request(
                    "format",
                    format!("oscal-{other:?} is not an OSCAL document (oscal-catalog, oscal-profile, oscal-ssp)"),
                ));
            }
        };
        return Ok(download_response(body.into_bytes(), "application/json", &name));
    }
    let format = ExportFormat::parse(format).map_err(|m| ApiError::bad_request("format", m))?;
    let e = s.app.soa_export(&ctx, scope, which).await?;
    let bytes = render_soa(&e, format, s.app.now(), &ctx.actor.name)?;
    Ok(download_response(bytes, format.content_type(), &format!("{}.{}", e.stem(), format.extension())))
}

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD&version=N|latest|current`.
async fn bundle(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let which = Which::parse(q.get("version").map(String::as_str).or(Some("latest")))
        .map_err(|m| ApiError::bad_request("version", m))?;
    let from = q.get("from").ok_or_else(|| ApiError::bad_request("from", "is required (YYYY-MM-DD)"))?;
    let to = q.get("to").ok_or_else(|| ApiError::bad_request("to", "is required (YYYY-MM-DD)"))?;
    let b = s.app.soa_bundle(&ctx, id_of(&id, "id")?, which, from, to).await?;
    let mut res = download_response(b.bytes, "application/zip", &b.file_name);
    if let Ok(v) = HeaderValue::from_str(&b.manifest_sha256) {
        res.headers_mut().insert("x-manifest-sha256", v);
    }
    Ok(res)
}

async fn upload(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("body", "the file is empty: send its bytes as the request body"));
    }
    let name = crate::api_inventory::file_name(&headers, "evidence");
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream");
    let r = s.app.upload_evidence(&ctx, id_of(&id, "id")?, &clean_name(&name), content_type, &body).await?;
    let json = c981_store::Store::record_json(&r).map_err(|e| ApiError::from(c981_app::AppError::from(e)))?;
    Ok(json_response(StatusCode::OK, json))
}

async fn download(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (name, f) = s.app.evidence_download(&ctx, id_of(&id, "id")?).await?;
    // Served as a download only, never rendered by the browser in the application's origin.
    let _ = f.content_type;
    Ok(download_response(f.content, "application/octet-stream", &name))
}

async fn dashboard(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let site = site_param(&s, &ctx, &q).await?;
    let d = s.app.soa_dashboard(&ctx, site).await?;
    Ok(ok(StatusCode::OK, &to_json(&d)))
}

async fn crosswalk(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let items =
        s.app.crosswalk(&ctx, q.get("control").map(String::as_str), q.get("catalog").map(String::as_str)).await?;
    Ok(ok(
        StatusCode::OK,
        &json!({
            "note": "The default links are informative: no authoritative public mapping between ISO/IEC 27001 Annex A and IEC 62443-3-3 exists.",
            "items": to_json(&items),
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    control: String,
    #[serde(default = "iec")]
    catalog: String,
    target: String,
    relationship: String,
    #[serde(default)]
    basis: String,
}

fn iec() -> String {
    c981_app::soa::IEC_62443_3_3.to_owned()
}

async fn put_link(State(s): State<AppState>, ApiCtx(ctx): ApiCtx, body: Bytes) -> Result<Response, ApiError> {
    let b: LinkBody = serde_json::from_slice(&body).map_err(|e| ApiError::bad_request("body", e.to_string()))?;
    let v = s.app.put_crosswalk_link(&ctx, &b.control, &b.catalog, &b.target, &b.relationship, &b.basis).await?;
    Ok(ok(StatusCode::OK, &to_json(&v)))
}

async fn delete_link(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let r = s.app.delete_crosswalk_link(&ctx, id_of(&id, "id")?).await?;
    Ok(ok(StatusCode::OK, &to_json(&r)))
}

async fn catalogs(State(s): State<AppState>, ApiCtx(ctx): ApiCtx) -> Result<Response, ApiError> {
    let c = s.app.catalogs(&ctx).await?;
    Ok(ok(StatusCode::OK, &json!({ "items": to_json(&c) })))
}

async fn catalog_items(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let items = s.app.catalog_items(&ctx, &key, q.get("version").map(String::as_str)).await?;
    Ok(ok(StatusCode::OK, &json!({ "catalog": key, "items": to_json(&items) })))
}

/// The body is the CSV file; `?version=` and `?title=` for a catalogue of the organisation's
/// own.
async fn import_catalog(
    State(s): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("body", "the file is empty: send the CSV as the request body"));
    }
    let name = clean_name(&crate::api_inventory::file_name(&headers, "catalog.csv"));
    let c = s
        .app
        .import_catalog(
            &ctx,
            &key,
            q.get("version").map(String::as_str),
            q.get("title").map(String::as_str),
            &name,
            &body,
        )
        .await?;
    Ok(ok(StatusCode::OK, &to_json(&c)))
}
