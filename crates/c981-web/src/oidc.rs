//! Single sign-on with OpenID Connect: the authorization code flow with PKCE, state and
//! nonce (see `c981-oidc`), bound to the browser that started it by a cookie, for logging in
//! and for re-authenticating at the provider before an electronic signature
//! (`prompt=login`, `max_age=0`, `auth_time` checked).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use c981_app::identity::{SsoIdentity, SsoSettings};
use c981_app::signature::{Meaning, Reauth};
use c981_domain::audit::Channel;
use c981_domain::{
    Asset, Conduit, DataFlow, EntityKind, Interface, Risk, Site, Supplier, SystemUnderConsideration, Timestamp, Zone,
};
use c981_oidc::{BeginOptions, OidcClient, PendingAuth};
use serde::{Deserialize, Serialize};

use crate::auth::{cookie, origin_of, read_cookie, session_cookie_name};
use crate::{AppState, UiCtx};

/// Single sign-on as configured.
pub struct OidcState {
    pub client: OidcClient,
    pub sso: SsoSettings,
}

const BROWSER_COOKIE: &str = "c981_oidc";

pub(crate) fn routes() -> Router<AppState> {
    let mut r = Router::new().route("/auth/oidc/login", get(login)).route("/auth/oidc/callback", get(callback));
    for kind in [
        EntityKind::Site,
        EntityKind::Zone,
        EntityKind::Conduit,
        EntityKind::Asset,
        EntityKind::Flow,
        EntityKind::Interface,
        EntityKind::System,
        EntityKind::Risk,
        EntityKind::Supplier,
        EntityKind::Scope,
        EntityKind::SoaVersion,
        EntityKind::Evidence,
    ] {
        r = r.route(&format!("/{}/{{id}}/sign/sso", kind.plural()), post(sign_start));
    }
    r
}

#[derive(Serialize, Deserialize)]
struct Pending {
    auth: PendingAuth,
    next: String,
    sign: Option<SignIntent>,
}

#[derive(Serialize, Deserialize)]
struct SignIntent {
    kind: String,
    id: i64,
    meaning: String,
    reason: Option<String>,
}

fn hash(s: &str) -> String {
    c981_auth::secret::token_hash(s)
}

fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

fn page(status: StatusCode, message: &str) -> Response {
    let body = maud::html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Single sign-on · Connect 981" } link rel="stylesheet" href="/static/app.css"; }
            body { main #main { div.error-page { p.error-code { (status.as_u16()) } h1 { "Single sign-on" } p { (message) } p { a href="/login" { "Back to the login page" } } } } }
        }
    };
    (status, body).into_response()
}

async fn start(state: &AppState, opts: BeginOptions, next: String, sign: Option<SignIntent>) -> Response {
    let Some(oidc) = state.oidc.as_ref() else {
        return page(StatusCode::NOT_FOUND, "Single sign-on is not configured on this server.");
    };
    let now = state.app.now();
    let (url, auth) = oidc.client.begin(opts, now.micros().div_euclid(1_000_000));
    let browser = match c981_auth::secret::random_token("") {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "no randomness for the SSO browser binding");
            return page(StatusCode::INTERNAL_SERVER_ERROR, "An internal error occurred; it was logged.");
        }
    };
    let state_hash = hash(&auth.state);
    let purpose = if sign.is_some() { "sign" } else { "login" };
    let data = match serde_json::to_string(&Pending { auth, next, sign }) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "pending SSO login not serialisable");
            return page(StatusCode::INTERNAL_SERVER_ERROR, "An internal error occurred; it was logged.");
        }
    };
    if let Err(e) = state.app.store().put_oidc_pending(&state_hash, &hash(&browser), purpose, &data, now).await {
        tracing::error!(error = %e, "storing a pending SSO login failed");
        return page(StatusCode::INTERNAL_SERVER_ERROR, "An internal error occurred; it was logged.");
    }
    let mut res = Redirect::to(&url).into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie(state, BROWSER_COOKIE, &browser, Some(600)));
    res
}

async fn login(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    start(&state, BeginOptions::login(), local_path(q.get("next").map(String::as_str)), None).await
}

#[derive(Deserialize)]
struct SignForm {
    meaning: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default, rename = "_csrf")]
    _csrf: Option<String>,
}

async fn sign_start(
    State(state): State<AppState>,
    UiCtx(ctx): UiCtx,
    uri: axum::http::Uri,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<SignForm>,
) -> Response {
    let kind = uri.path().trim_start_matches('/').split('/').next().unwrap_or("").to_owned();
    if Meaning::parse(&form.meaning).is_err() {
        return page(StatusCode::BAD_REQUEST, "meaning: choose what the signature means.");
    }
    if ctx.actor.user_id.is_none() {
        return page(StatusCode::FORBIDDEN, "Only accounts can sign.");
    }
    let next = format!("/{kind}/{id}");
    let intent = SignIntent { kind, id, meaning: form.meaning, reason: form.reason.filter(|r| !r.trim().is_empty()) };
    start(&state, BeginOptions::reauthenticate(), next, Some(intent)).await
}

async fn callback(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    parts_ext: axum::http::Extensions,
) -> Response {
    let Some(oidc) = state.oidc.as_ref() else {
        return page(StatusCode::NOT_FOUND, "Single sign-on is not configured on this server.");
    };
    if let Some(err) = q.get("error") {
        let desc = q.get("error_description").map(String::as_str).unwrap_or("");
        let clean: String = format!("{err} {desc}").chars().filter(|c| !c.is_control()).take(200).collect();
        return page(StatusCode::UNAUTHORIZED, &format!("The identity provider refused the login: {clean}"));
    }
    let (Some(code), Some(returned_state)) = (q.get("code"), q.get("state")) else {
        return page(StatusCode::BAD_REQUEST, "The identity provider's answer has no code or state.");
    };
    let taken = match state.app.store().take_oidc_pending(&hash(returned_state)).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "reading a pending SSO login failed");
            return page(StatusCode::INTERNAL_SERVER_ERROR, "An internal error occurred; it was logged.");
        }
    };
    let Some((browser_hash, _purpose, data, _created)) = taken else {
        return page(StatusCode::UNAUTHORIZED, "This login is unknown or was already used; start again.");
    };
    let browser_ok = read_cookie(&headers, BROWSER_COOKIE)
        .is_some_and(|b| c981_auth::secret::constant_time_eq(hash(&b).as_bytes(), browser_hash.as_bytes()));
    if !browser_ok {
        tracing::warn!(target: "c981::security", event = "oidc_browser_mismatch", "SSO callback from another browser refused");
        return page(StatusCode::UNAUTHORIZED, "This login was started in another browser; start again.");
    }
    let Ok(pending) = serde_json::from_str::<Pending>(&data) else {
        return page(StatusCode::UNAUTHORIZED, "This login is unknown or was already used; start again.");
    };
    let now = state.app.now();
    let origin = origin_of(&state, &parts_ext, &headers, Channel::Ui);
    let identity = match oidc
        .client
        .complete(&pending.auth, returned_state, code, now.micros().div_euclid(1_000_000))
        .await
    {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(target: "c981::security", event = "oidc_refused", error = %e, source = %origin.source, "SSO login refused");
            return page(StatusCode::UNAUTHORIZED, &format!("The login could not be verified: {e}"));
        }
    };
    let clear_browser = cookie(&state, BROWSER_COOKIE, "", Some(0));
    match pending.sign {
        None => {
            let id = SsoIdentity {
                issuer: identity.issuer,
                subject: identity.subject,
                email: identity.email,
                name: identity.name,
                preferred_username: identity.preferred_username,
                groups: identity.groups,
                auth_time: identity.auth_time,
            };
            match state.app.login_sso(&oidc.sso, &id, &origin).await {
                Ok(session) => {
                    let mut res = Redirect::to(&pending.next).into_response();
                    res.headers_mut()
                        .append(header::SET_COOKIE, cookie(&state, session_cookie_name(&state), &session, None));
                    res.headers_mut().append(header::SET_COOKIE, clear_browser);
                    res
                }
                Err(e) => page(StatusCode::UNAUTHORIZED, &e.to_string()),
            }
        }
        Some(intent) => {
            // Signing: the browser's session must belong to the account linked to this identity.
            let Some(session) = read_cookie(&headers, session_cookie_name(&state)) else {
                return page(StatusCode::UNAUTHORIZED, "Your session has ended; log in again, then sign.");
            };
            let auth = match state.app.authenticate_session(&session).await {
                Ok(a) if a.mfa_done && !a.must_enrol => a,
                _ => return page(StatusCode::UNAUTHORIZED, "Your session has ended; log in again, then sign."),
            };
            let Some(auth_time) = identity.auth_time else {
                return page(
                    StatusCode::UNAUTHORIZED,
                    "The identity provider did not say when you authenticated; the signature needs that.",
                );
            };
            let Ok(meaning) = Meaning::parse(&intent.meaning) else {
                return page(StatusCode::BAD_REQUEST, "meaning: choose what the signature means.");
            };
            let ctx = c981_app::Ctx::new(auth.actor, Channel::Ui, origin.request_id.clone());
            let reauth = Reauth::Oidc {
                issuer: identity.issuer,
                subject: identity.subject,
                auth_time: Timestamp::from_micros(auth_time.saturating_mul(1_000_000)),
            };
            let app = &state.app;
            let result = match intent.kind.as_str() {
                "sites" => app.sign::<Site>(&ctx, intent.id, meaning, intent.reason, reauth).await,
                "zones" => app.sign::<Zone>(&ctx, intent.id, meaning, intent.reason, reauth).await,
                "conduits" => app.sign::<Conduit>(&ctx, intent.id, meaning, intent.reason, reauth).await,
                "assets" => app.sign::<Asset>(&ctx, intent.id, meaning, intent.reason, reauth).await,
                "flows" => app.sign::<DataFlow>(&ctx, intent.id, meaning, intent.reason, reauth).await,
                "interfaces" => app.sign::<Interface>(&ctx, intent.id, meaning, intent.reason, reauth).await,
                "systems" => {
                    app.sign::<SystemUnderConsideration>(&ctx, intent.id, meaning, intent.reason, reauth).await
                }
                "risks" => app.sign::<Risk>(&ctx, intent.id, meaning, intent.reason, reauth).await,
                "suppliers" => app.sign::<Supplier>(&ctx, intent.id, meaning, intent.reason, reauth).await,
                "scopes" => app.sign::<c981_domain::IsmsScope>(&ctx, intent.id, meaning, intent.reason, reauth).await,
                "soa-versions" => {
                    app.sign::<c981_domain::SoaVersion>(&ctx, intent.id, meaning, intent.reason, reauth).await
                }
                "evidence" => app.sign::<c981_domain::Evidence>(&ctx, intent.id, meaning, intent.reason, reauth).await,
                _ => return page(StatusCode::BAD_REQUEST, "This record kind cannot be signed."),
            };
            match result {
                Ok(_) => {
                    let mut res = Redirect::to(&pending.next).into_response();
                    res.headers_mut().append(header::SET_COOKIE, clear_browser);
                    res
                }
                Err(e) => {
                    let e = crate::ApiError::from(e);
                    page(e.status, &format!("The signature was refused: {}", e.message))
                }
            }
        }
    }
}
