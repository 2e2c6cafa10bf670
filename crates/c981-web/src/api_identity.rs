//! The identity API under `/api/v1`: the caller (`/me`), their API tokens, account
//! administration, and electronic signatures on records.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use c981_app::identity::{GrantView, NewUser};
use c981_app::signature::{Meaning, Reauth};
use c981_app::{Grant, Role};
use c981_domain::{Asset, Conduit, DataFlow, Interface, Risk, Site, SiteId, Supplier, SystemUnderConsideration, Zone};
use c981_store::Table;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{ApiCtx, ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    let mut r = Router::new()
        .route("/me", get(me))
        .route("/me/tokens", get(tokens).post(create_token))
        .route("/me/tokens/{id}", delete(revoke_token))
        .route("/users", get(users).post(create_user))
        .route("/users/{id}", get(user).patch(patch_user))
        .route("/users/{id}/grants", put(set_grants))
        .route("/users/{id}/password-link", post(password_link))
        .route("/users/{id}/reset-mfa", post(reset_mfa));
    r = signatures::<Site>(r);
    r = signatures::<Zone>(r);
    r = signatures::<Conduit>(r);
    r = signatures::<Asset>(r);
    r = signatures::<DataFlow>(r);
    r = signatures::<Interface>(r);
    r = signatures::<SystemUnderConsideration>(r);
    r = signatures::<Risk>(r);
    r = signatures::<Supplier>(r);
    r = signatures::<c981_domain::IsmsScope>(r);
    r = signatures::<c981_domain::SoaVersion>(r);
    r = signatures::<c981_domain::Evidence>(r);
    r
}

fn signatures<T: Table>(r: Router<AppState>) -> Router<AppState> {
    r.route(&format!("/{}/{{id}}/signatures", T::KIND.plural()), get(list_signatures::<T>).post(sign::<T>))
}

type ApiResult = Result<Response, ApiError>;

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        let msg = e.to_string();
        let field =
            msg.split('`').nth(1).filter(|_| msg.starts_with("unknown field") || msg.starts_with("missing field"));
        ApiError::bad_request(field.unwrap_or("body"), msg.clone())
    })
}

/// Account administration is for administrators of every site: refused before the request
/// body is even read.
fn admin_only(ctx: &c981_app::Ctx) -> Result<(), ApiError> {
    if ctx.actor.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "{} may not manage accounts: that needs the administrator role on all sites",
            ctx.actor.name
        )))
    }
}

fn id_param(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| ApiError::bad_request("id", "must be a positive integer"))
}

async fn me(State(state): State<AppState>, ApiCtx(ctx): ApiCtx) -> ApiResult {
    let grants: Vec<GrantView> =
        ctx.actor.grants.iter().map(|g| GrantView { role: g.role, site_id: g.site.map(|s| s.get()) }).collect();
    let account = match ctx.actor.user_id {
        Some(id) => Some(state.app.user(&ctx, id).await?),
        None => None,
    };
    Ok(axum::Json(json!({
        "actor_id": ctx.actor.id,
        "name": ctx.actor.name,
        "role": ctx.actor.role(),
        "effective_grants": grants,
        "read_only": ctx.actor.read_only,
        "token_id": ctx.actor.token_id,
        "account": account,
    }))
    .into_response())
}

async fn tokens(State(state): State<AppState>, ApiCtx(ctx): ApiCtx) -> ApiResult {
    Ok(axum::Json(json!({ "items": state.app.tokens(&ctx).await? })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    site_ids: Vec<i64>,
    #[serde(default = "default_days")]
    expires_in_days: i64,
}

fn default_days() -> i64 {
    90
}

async fn create_token(State(state): State<AppState>, ApiCtx(ctx): ApiCtx, body: axum::body::Bytes) -> ApiResult {
    if ctx.actor.token_id.is_some() {
        return Err(ApiError::forbidden("an API token cannot create tokens; create them in the web UI"));
    }
    let t: NewToken = parse_body(&body)?;
    let sites: Vec<SiteId> = t.site_ids.iter().map(|s| SiteId::new(*s)).collect();
    let (id, token) = state.app.create_token(&ctx, &t.name, t.read_only, &sites, t.expires_in_days).await?;
    let view = state.app.tokens(&ctx).await?.into_iter().find(|v| v.id == id);
    Ok((StatusCode::CREATED, axum::Json(json!({ "token": token, "shown_once": true, "details": view })))
        .into_response())
}

async fn revoke_token(State(state): State<AppState>, ApiCtx(ctx): ApiCtx, Path(id): Path<String>) -> ApiResult {
    state.app.revoke_token(&ctx, id_param(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn users(State(state): State<AppState>, ApiCtx(ctx): ApiCtx) -> ApiResult {
    admin_only(&ctx)?;
    Ok(axum::Json(json!({ "items": state.app.users(&ctx).await? })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantIn {
    role: String,
    #[serde(default)]
    site_id: Option<i64>,
}

fn grants_in(list: &[GrantIn]) -> Result<Vec<Grant>, ApiError> {
    list.iter()
        .enumerate()
        .map(|(i, g)| {
            let role = Role::parse(&g.role).map_err(|m| ApiError::bad_request(&format!("grants[{i}].role"), m))?;
            if let Some(s) = g.site_id
                && s <= 0
            {
                return Err(ApiError::bad_request(
                    &format!("grants[{i}].site_id"),
                    "must be a positive integer or null (all sites)",
                ));
            }
            Ok(Grant { role, site: g.site_id.map(SiteId::new) })
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserIn {
    username: String,
    display_name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    grants: Vec<GrantIn>,
}

async fn create_user(State(state): State<AppState>, ApiCtx(ctx): ApiCtx, body: axum::body::Bytes) -> ApiResult {
    admin_only(&ctx)?;
    let u: UserIn = parse_body(&body)?;
    let grants = grants_in(&u.grants)?;
    let new = NewUser { username: u.username, display_name: u.display_name, email: u.email, grants };
    let (id, token) = state.app.create_user(&ctx, &new).await?;
    let view = state.app.user(&ctx, id).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "user": view,
            "password_link_path": format!("/password/{token}"),
            "note": "give this one-time link to the user by a trusted channel: it lets them choose their password, and expires"
        })),
    )
        .into_response())
}

async fn user(State(state): State<AppState>, ApiCtx(ctx): ApiCtx, Path(id): Path<String>) -> ApiResult {
    Ok(axum::Json(state.app.user(&ctx, id_param(&id)?).await?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    disabled: Option<bool>,
}

async fn patch_user(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    admin_only(&ctx)?;
    let id = id_param(&id)?;
    let p: UserPatch = parse_body(&body)?;
    if let Some(d) = p.disabled {
        state.app.set_disabled(&ctx, id, d).await?;
    }
    Ok(axum::Json(state.app.user(&ctx, id).await?).into_response())
}

async fn set_grants(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    admin_only(&ctx)?;
    let id = id_param(&id)?;
    let list: Vec<GrantIn> = parse_body(&body)?;
    state.app.set_grants(&ctx, id, &grants_in(&list)?).await?;
    Ok(axum::Json(state.app.user(&ctx, id).await?).into_response())
}

async fn password_link(State(state): State<AppState>, ApiCtx(ctx): ApiCtx, Path(id): Path<String>) -> ApiResult {
    admin_only(&ctx)?;
    let token = state.app.password_reset_link(&ctx, id_param(&id)?).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "password_link_path": format!("/password/{token}") }))).into_response())
}

async fn reset_mfa(State(state): State<AppState>, ApiCtx(ctx): ApiCtx, Path(id): Path<String>) -> ApiResult {
    admin_only(&ctx)?;
    state.app.reset_mfa(&ctx, id_param(&id)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_signatures<T: Table>(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
) -> ApiResult {
    let items = state.app.signatures::<T>(&ctx, id_param(&id)?).await?;
    Ok(axum::Json(json!({ "items": items })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    meaning: String,
    #[serde(default)]
    reason: Option<String>,
    password: String,
    #[serde(default)]
    code: Option<String>,
}

async fn sign<T: Table>(
    State(state): State<AppState>,
    ApiCtx(ctx): ApiCtx,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let id = id_param(&id)?;
    let s: SignIn = parse_body(&body)?;
    let meaning = Meaning::parse(&s.meaning).map_err(|m| ApiError::bad_request("meaning", m))?;
    let reauth = Reauth::Password { password: s.password, code: s.code.filter(|c| !c.trim().is_empty()) };
    let view = state.app.sign::<T>(&ctx, id, meaning, s.reason, reauth).await?;
    Ok((StatusCode::CREATED, axum::Json::<Value>(serde_json::to_value(view).unwrap_or(Value::Null))).into_response())
}
