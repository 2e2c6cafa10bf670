//! Authentication of every request: a session cookie (browsers) or an API token
//! (`Authorization: Bearer`, API only), CSRF checks for cookie-borne writes, and the client
//! address for throttling (the peer, or `X-Forwarded-For` from a trusted proxy only).
//!
//! Only the health endpoint, the static files and the login pages answer without
//! authentication.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use c981_app::Actor;
use c981_app::identity::Origin;
use c981_domain::audit::Channel;

use crate::{ApiError, AppState, RequestId};

tokio::task_local! {
    /// The CSRF token of the session serving the current request ("" when none): forms
    /// rendered during the request carry it.
    pub(crate) static CSRF: String;
}

/// The CSRF token of the current request's session.
pub(crate) fn csrf_token() -> String {
    CSRF.try_with(Clone::clone).unwrap_or_default()
}

/// Who is making the request, once authenticated.
#[derive(Debug, Clone)]
pub struct Principal {
    pub actor: Actor,
    pub session: Option<SessionInfo>,
}

/// The session behind a browser request.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub token: String,
    pub csrf: String,
    pub method: String,
    pub auth_time: c981_domain::Timestamp,
}

/// The name of the session cookie: `__Host-` under TLS (the browser then insists on Secure,
/// Path=/ and no Domain).
pub(crate) fn session_cookie_name(state: &AppState) -> &'static str {
    if state.tls { "__Host-c981_session" } else { "c981_session" }
}

/// A `Set-Cookie` value.
pub(crate) fn cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if state.tls {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("c981_invalid=; Path=/; Max-Age=0"))
}

/// The value of a cookie in the request.
pub(crate) fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name && !v.is_empty() && v.len() < 512).then(|| v.to_owned())
    })
}

/// The client address for throttling and the audit trail.
pub(crate) fn client_addr(state: &AppState, req_ext: &axum::http::Extensions, headers: &HeaderMap) -> String {
    let peer: Option<IpAddr> = req_ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let Some(peer) = peer else { return "local".into() };
    if state.trusted_proxies.iter().any(|n| n.contains(&peer)) {
        // The right-most address that is not itself a trusted proxy.
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        if let Some(a) = forwarded.iter().rev().find(|a| !state.trusted_proxies.iter().any(|n| n.contains(*a))) {
            return a.to_string();
        }
    }
    peer.to_string()
}

/// What a login page needs to know of its request.
pub(crate) fn origin_of(
    state: &AppState,
    parts_ext: &axum::http::Extensions,
    headers: &HeaderMap,
    channel: Channel,
) -> Origin {
    Origin {
        source: client_addr(state, parts_ext, headers),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect(),
        request_id: parts_ext.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default(),
        channel: Some(channel),
    }
}

/// Paths that answer without authentication.
fn is_public(path: &str) -> bool {
    matches!(path, "/healthz" | "/login" | "/login/totp" | "/logout")
        || path.starts_with("/static/")
        || path.starts_with("/setup/")
        || path.starts_with("/password/")
        || path.starts_with("/auth/oidc/")
}

/// Paths open to a user who must still enrol a second factor.
fn open_while_enrolling(path: &str) -> bool {
    path == "/account/mfa" || path == "/account/mfa/confirm"
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn unauthenticated(path: &str, query: Option<&str>, method: &Method, message: &str) -> Response {
    if is_api(path) {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message).into_response();
    }
    if *method == Method::GET || *method == Method::HEAD {
        let next = match query {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        };
        let enc: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
        return Redirect::to(&format!("/login?next={enc}")).into_response();
    }
    (StatusCode::UNAUTHORIZED, "Your session has ended; log in again.").into_response()
}

fn constant_eq(a: &str, b: &str) -> bool {
    c981_auth::secret::constant_time_eq(a.as_bytes(), b.as_bytes())
}

/// The authentication middleware.
pub(crate) async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if is_public(&path) {
        return CSRF.scope(String::new(), next.run(req)).await;
    }
    let method = req.method().clone();
    let query = req.uri().query().map(str::to_owned);

    // API tokens, on the API only.
    if let Some(auth) = req.headers().get(header::AUTHORIZATION) {
        if !is_api(&path) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "API tokens are accepted under /api/ only",
            )
            .into_response();
        }
        let Some(token) = auth.to_str().ok().and_then(|a| a.strip_prefix("Bearer ")).map(str::trim) else {
            return ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "use Authorization: Bearer <token>")
                .into_response();
        };
        return match state.app.authenticate_token(token).await {
            Ok(actor) => {
                let mut req = req;
                req.extensions_mut().insert(Principal { actor, session: None });
                CSRF.scope(String::new(), next.run(req)).await
            }
            Err(e) => {
                tracing::warn!(target: "c981::security", event = "token_refused", path = %path, "API token refused");
                ApiError::from(e).into_response()
            }
        };
    }

    let name = session_cookie_name(&state);
    let Some(token) = read_cookie(req.headers(), name) else {
        return unauthenticated(&path, query.as_deref(), &method, "log in, or send an API token");
    };
    let auth = match state.app.authenticate_session(&token).await {
        Ok(a) => a,
        Err(c981_app::AppError::Unauthenticated(m)) => {
            let mut res = unauthenticated(&path, query.as_deref(), &method, &m);
            res.headers_mut().append(header::SET_COOKIE, cookie(&state, name, "", Some(0)));
            return res;
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    if !auth.mfa_done {
        if is_api(&path) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "finish logging in with your second factor",
            )
            .into_response();
        }
        return Redirect::to("/login/totp").into_response();
    }
    if auth.must_enrol && !open_while_enrolling(&path) {
        if is_api(&path) {
            return ApiError::forbidden("your role requires a second factor: enrol one in the web UI first")
                .into_response();
        }
        return Redirect::to("/account/mfa").into_response();
    }

    // CSRF: a state-changing request with a session cookie must carry the session's token.
    let mut req = req;
    if !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) {
        let header_token = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let ok = match header_token {
            Some(t) => constant_eq(&t, &auth.csrf),
            None => {
                let is_form = req
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
                let multipart =
                    req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(multipart_boundary);
                if let Some(boundary) = multipart {
                    // File uploads: the token is the first part of the body (our forms put
                    // the hidden field first); only that part is read here, the rest streams
                    // on to the handler.
                    let (parts, body) = req.into_parts();
                    let (token, body) = first_multipart_field(body, &boundary, "_csrf").await;
                    req = Request::from_parts(parts, body);
                    token.is_some_and(|t| constant_eq(&t, &auth.csrf))
                } else if is_form {
                    let (parts, body) = req.into_parts();
                    let bytes = match axum::body::to_bytes(body, 2 * 1024 * 1024).await {
                        Ok(b) => b,
                        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "the form is too large").into_response(),
                    };
                    let found = form_urlencoded::parse(&bytes).find(|(k, _)| k == "_csrf").map(|(_, v)| v.into_owned());
                    req = Request::from_parts(parts, Body::from(bytes));
                    found.is_some_and(|t| constant_eq(&t, &auth.csrf))
                } else {
                    false
                }
            }
        };
        if !ok {
            tracing::warn!(target: "c981::security", event = "csrf_refused", path = %path, user = %auth.actor.id, "CSRF token missing or wrong");
            return ApiError::forbidden("the form has expired or did not come from this site (CSRF token missing or wrong); reload the page and try again")
                .into_response();
        }
    }
    let csrf = auth.csrf.clone();
    req.extensions_mut().insert(Principal {
        actor: auth.actor,
        session: Some(SessionInfo { token, csrf: auth.csrf, method: auth.method, auth_time: auth.auth_time }),
    });
    CSRF.scope(csrf, next.run(req)).await
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let (mime, rest) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    rest.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Reads the first part of a multipart body when it is the field `name` (at most 16 KiB are
/// read for it), and gives back the body whole: what was read, then the rest of the stream.
async fn first_multipart_field(body: Body, boundary: &str, name: &str) -> (Option<String>, Body) {
    use futures_util::StreamExt as _;
    const MAX: usize = 16 * 1024;
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let delimiter = format!("\r\n--{boundary}");
    let mut failed = None;
    while head.len() < MAX {
        // The part ends at the second delimiter (the first opens the body).
        if find(&head[2.min(head.len())..], delimiter.as_bytes()).is_some() {
            break;
        }
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => {
                failed = Some(e);
                break;
            }
            None => break,
        }
    }
    let value = (|| {
        let start = format!("--{boundary}\r\n");
        let rest = head.strip_prefix(start.as_bytes())?;
        let end_headers = find(rest, b"\r\n\r\n")?;
        let headers = std::str::from_utf8(&rest[..end_headers]).ok()?.to_ascii_lowercase();
        let wanted = format!("name=\"{name}\"");
        if !headers.lines().any(|l| l.starts_with("content-disposition:") && l.contains(&wanted)) {
            return None;
        }
        let value = &rest[end_headers + 4..];
        let end = find(value, delimiter.as_bytes())?;
        std::str::from_utf8(&value[..end]).ok().map(str::to_owned)
    })();
    let prefix = futures_util::stream::iter([Ok::<_, axum::Error>(axum::body::Bytes::from(head))]);
    let body = match failed {
        Some(e) => Body::from_stream(prefix.chain(futures_util::stream::iter([Err(e)]))),
        None => Body::from_stream(prefix.chain(stream)),
    };
    (value, body)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
