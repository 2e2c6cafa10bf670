//! The identity pages: login (password, then the second factor), logout, the first
//! administrator's set-up, password links, and the user's own account (profile, password,
//! second factor, API tokens). Account administration is in [`super::admin`], electronic
//! signatures in [`super::sign`].
//!
//! The pages of people who are not logged in (login, set-up, password links) are public:
//! the login form is bound to the browser that opened it by a pre-session cookie
//! (`c981_pre`, against login CSRF), the second step by the half-open session itself, the
//! set-up and password pages by their one-time link. Every other form carries the session's
//! CSRF token, which the authentication middleware checks.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use c981_app::AppError;
use c981_app::identity::{TokenView, UserView};
use c981_auth::secret::constant_time_eq;
use c981_domain::SiteId;
use c981_domain::audit::Channel;
use maud::{Markup, PreEscaped, html};

use super::kit::{self, Input, Problems};
use super::render::{self, badge};
use super::{Frame, Params, Section, Shell, UiError, csrf_input, layout, url};
use crate::auth::{cookie, origin_of, read_cookie, session_cookie_name};
use crate::{AppState, UiCtx};

/// The pre-session cookie of the login form.
const PRE_COOKIE: &str = "c981_pre";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_get).post(login_post))
        .route("/login/totp", get(totp_get).post(totp_post))
        .route("/logout", post(logout))
        .route("/setup/{token}", get(setup_get).post(setup_post))
        .route("/password/{token}", get(link_get).post(link_post))
        .route("/account", get(account))
        .route("/account/password", post(change_password))
        .route("/account/logout-everywhere", post(logout_everywhere))
        .route("/account/mfa", get(mfa))
        .route("/account/mfa/confirm", post(mfa_confirm))
        .route("/account/tokens", get(tokens).post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
        .merge(super::admin::routes())
}

// ---------------------------------------------------------------------------------------
// Helpers

/// Where to go after logging in: a local path only (no other host, no scheme), else "/".
pub(crate) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && n.len() <= 2000 =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The address of this server as the browser reached it (`Host`), for links given to
/// people: `https://` when served over TLS.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let scheme = if state.tls { "https" } else { "http" };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// A random value for cookies and forms.
pub(super) fn random() -> Result<String, UiError> {
    c981_auth::secret::random_token("").map_err(|e| UiError::App(AppError::Internal(e.to_string())))
}

fn with_cookies(mut res: Response, cookies: &[HeaderValue]) -> Response {
    for c in cookies {
        res.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    res
}

fn clear_session(state: &AppState) -> HeaderValue {
    cookie(state, session_cookie_name(state), "", Some(0))
}

/// A page of the public frame (no navigation).
fn public_page(status: StatusCode, title: &str, body: Markup) -> Response {
    let frame = Frame::new(title, Section::None);
    (status, layout::page(&Shell::public(), frame, body)).into_response()
}

/// A short page with a message and one way on (a used link, an account created).
fn message_page(status: StatusCode, title: &str, message: &str, tone: &str, action: (&str, &str)) -> Response {
    let body = html! {
        div.auth-card {
            h1 { (title) }
            div class=(format!("alert alert-{tone}")) role=[(tone == "bad").then_some("alert")] { p { (message) } }
            p.actions { a.btn.btn-primary href=(action.0) { (action.1) } }
        }
    };
    public_page(status, title, body)
}

fn invalid_link(what: &str) -> Response {
    message_page(
        StatusCode::UNAUTHORIZED,
        "This link cannot be used",
        &format!("This {what} link is invalid, was already used, or has expired. Ask an administrator for a new one."),
        "bad",
        ("/login", "Go to the login page"),
    )
}

fn throttled_message(secs: u64) -> String {
    format!("Too many failed attempts. Try again in {} minutes.", secs.div_ceil(60).max(1))
}

/// Fixed messages shown on the login page after a redirect (never text from the URL).
fn login_notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "logged_out" => "You are logged out.",
        "password_changed" => "Your password was changed and all your sessions ended. Log in with the new password.",
        "everywhere" => "All your sessions have ended, this one included.",
        "expired" => "Your login has expired. Please start again.",
        "password_set" => "Your password is set. Log in with it.",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Login

async fn login_get(State(s): State<AppState>, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let p = Params::from_query(q.as_deref());
    let next = local_path(p.get("next"));
    let notice = p.get("notice").and_then(login_notice);
    login_page(&s, StatusCode::OK, "", &next, notice, &Problems::default()).await
}

async fn login_page(
    s: &AppState,
    status: StatusCode,
    username: &str,
    next: &str,
    notice: Option<&str>,
    problems: &Problems,
) -> Result<Response, UiError> {
    let pre = random()?;
    let bootstrap = s.app.needs_bootstrap().await?;
    let sso = s.oidc.is_some().then(|| url("/auth/oidc/login", &[("next", next.to_owned())]));
    let body = html! {
        div.auth-card {
            h1 { "Log in to Connect 981" }
            @if let Some(n) = notice { div.alert.alert-info role="status" { p { (n) } } }
            @if bootstrap {
                div.alert.alert-info {
                    p { strong { "No account exists yet." } }
                    p {
                        "The administrator of this server creates the first one: with "
                        code { "c981 admin create-user --role administrator" }
                        ", or with the set-up link that " code { "c981 serve" } " printed at its first start."
                    }
                }
            }
            (kit::banner(problems))
            form.auth-form method="post" action="/login" {
                input type="hidden" name="_pre" value=(pre);
                input type="hidden" name="next" value=(next);
                (Input::new("text", "username", "User name").value(username).autocomplete("username").required()
                    .maxlength(64).autofocus(username.is_empty()).render(problems))
                (Input::new("password", "password", "Password").autocomplete("current-password").required()
                    .autofocus(!username.is_empty()).render(problems))
                div.form-actions {
                    button.btn.btn-primary type="submit" { "Log in" }
                }
            }
            @if let Some(href) = &sso {
                div.auth-alt {
                    p.muted { "or" }
                    a.btn href=(href) { "Sign in with single sign-on" }
                }
            }
            p.help.auth-foot { "Forgot your password? Ask an administrator for a password link." }
        }
    };
    let res = public_page(status, "Log in", body);
    Ok(with_cookies(res, &[cookie(s, PRE_COOKIE, &pre, None)]))
}

async fn login_post(
    State(s): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let next = local_path(p.get("next"));
    let username = p.get("username").unwrap_or("").to_owned();
    let password = p.raw("password");
    let pre_ok = match (read_cookie(&headers, PRE_COOKIE), p.get("_pre")) {
        (Some(c), Some(f)) => constant_time_eq(c.as_bytes(), f.as_bytes()),
        _ => false,
    };
    if !pre_ok {
        tracing::warn!(target: "c981::security", event = "login_csrf_refused", "login form without its pre-session cookie");
        let p = Problems::banner(
            "This login form has expired or was not opened in this browser. Please try again (cookies must be enabled).",
        );
        return login_page(&s, StatusCode::FORBIDDEN, &username, &next, None, &p).await;
    }
    let mut missing = Problems::default();
    if username.is_empty() {
        missing.add("username", "User name is required.");
    }
    if password.is_empty() {
        missing.add("password", "Password is required.");
    }
    if !missing.is_empty() {
        return login_page(&s, StatusCode::UNPROCESSABLE_ENTITY, &username, &next, None, &missing).await;
    }
    let origin = origin_of(&s, &ext, &headers, Channel::Ui);
    match s.app.login_password(&username, password, &origin).await {
        Ok(out) => {
            let to = if out.needs_totp { url("/login/totp", &[("next", next)]) } else { next };
            let res = Redirect::to(&to).into_response();
            Ok(with_cookies(
                res,
                &[cookie(&s, session_cookie_name(&s), &out.session, None), cookie(&s, PRE_COOKIE, "", Some(0))],
            ))
        }
        Err(AppError::Unauthenticated(_)) => {
            let p = Problems::banner("Wrong user name or password.");
            login_page(&s, StatusCode::UNAUTHORIZED, &username, &next, None, &p).await
        }
        Err(AppError::Throttled(secs)) => {
            let p = Problems::banner(throttled_message(secs));
            login_page(&s, StatusCode::TOO_MANY_REQUESTS, &username, &next, None, &p).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Second factor at login

fn to_login(s: &AppState, notice: &str, next: &str) -> Response {
    let target = url(
        "/login",
        &[("notice", notice.to_owned()), ("next", if next == "/" { String::new() } else { next.to_owned() })],
    );
    with_cookies(Redirect::to(&target).into_response(), &[clear_session(s)])
}

async fn totp_get(State(s): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let p = Params::from_query(q.as_deref());
    let next = local_path(p.get("next"));
    let Some(session) = read_cookie(&headers, session_cookie_name(&s)) else {
        return Ok(Redirect::to(&url("/login", &[("next", next)])).into_response());
    };
    match s.app.authenticate_session(&session).await {
        Ok(a) if a.mfa_done => Ok(Redirect::to(&next).into_response()),
        Ok(a) => Ok(totp_page(StatusCode::OK, &next, &a.csrf, &Problems::default())),
        Err(AppError::Unauthenticated(_)) => Ok(to_login(&s, "expired", &next)),
        Err(e) => Err(e.into()),
    }
}

fn totp_page(status: StatusCode, next: &str, csrf: &str, problems: &Problems) -> Response {
    let body = html! {
        div.auth-card {
            h1 { "Second factor" }
            p { "Enter the 6-digit code that your authenticator app shows for Connect 981, or one of your recovery codes." }
            (kit::banner(problems))
            form.auth-form method="post" action="/login/totp" {
                input type="hidden" name="next" value=(next);
                (Input::new("text", "code", "Code").autocomplete("one-time-code").required().mono().maxlength(32)
                    .autofocus(true).help("6 digits, or a recovery code such as abcde-23456 (each works once).")
                    .render(problems))
                div.form-actions {
                    button.btn.btn-primary type="submit" { "Continue" }
                }
            }
            @if !csrf.is_empty() {
                form.auth-foot method="post" action="/logout" {
                    input type="hidden" name="_csrf" value=(csrf);
                    button.btn.btn-ghost.btn-small type="submit" { "Cancel and log out" }
                }
            }
        }
    };
    public_page(status, "Second factor", body)
}

async fn totp_post(
    State(s): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let next = local_path(p.get("next"));
    let Some(session) = read_cookie(&headers, session_cookie_name(&s)) else {
        return Ok(to_login(&s, "expired", &next));
    };
    let code = p.get("code").unwrap_or("");
    let csrf = || async {
        match s.app.authenticate_session(&session).await {
            Ok(a) => a.csrf,
            Err(_) => String::new(),
        }
    };
    if code.is_empty() {
        let problems = Problems::field("code", "Code is required: enter the code your app shows.");
        return Ok(totp_page(StatusCode::UNPROCESSABLE_ENTITY, &next, &csrf().await, &problems));
    }
    let origin = origin_of(&s, &ext, &headers, Channel::Ui);
    match s.app.login_totp(&session, code, &origin).await {
        Ok(token) => {
            let res = Redirect::to(&next).into_response();
            Ok(with_cookies(res, &[cookie(&s, session_cookie_name(&s), &token, None)]))
        }
        Err(AppError::Invalid(_)) => {
            let problems = Problems::field(
                "code",
                "Code is not valid: enter the current code from your app (check its clock), or an unused recovery code.",
            );
            Ok(totp_page(StatusCode::UNAUTHORIZED, &next, &csrf().await, &problems))
        }
        Err(AppError::Unauthenticated(_)) => Ok(to_login(&s, "expired", &next)),
        Err(AppError::Throttled(secs)) => {
            let problems = Problems::banner(throttled_message(secs));
            Ok(totp_page(StatusCode::TOO_MANY_REQUESTS, &next, &csrf().await, &problems))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Logout

async fn logout(
    State(s): State<AppState>,
    ext: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    if let Some(session) = read_cookie(&headers, session_cookie_name(&s))
        && let Ok(auth) = s.app.authenticate_session(&session).await
    {
        let ok = p.get("_csrf").is_some_and(|t| constant_time_eq(t.as_bytes(), auth.csrf.as_bytes()));
        if !ok {
            tracing::warn!(target: "c981::security", event = "csrf_refused", path = "/logout", user = %auth.actor.id, "CSRF token missing or wrong");
            return Err(UiError::App(AppError::Forbidden(
                "The logout form has expired or did not come from this site. Reload the page and try again.".into(),
            )));
        }
        s.app.logout(&session, &origin_of(&s, &ext, &headers, Channel::Ui)).await?;
    }
    Ok(to_login(&s, "logged_out", "/"))
}

// ---------------------------------------------------------------------------------------
// First administrator

async fn setup_get(State(s): State<AppState>, Path(token): Path<String>) -> Result<Response, UiError> {
    match s.app.link_info(&token).await {
        Ok((purpose, _)) if purpose == "bootstrap" => {}
        Ok(_) | Err(AppError::Unauthenticated(_)) => return Ok(invalid_link("set-up")),
        Err(e) => return Err(e.into()),
    }
    if !s.app.needs_bootstrap().await? {
        return Ok(account_exists());
    }
    Ok(setup_page(&token, StatusCode::OK, "", "", &Problems::default()))
}

fn account_exists() -> Response {
    message_page(
        StatusCode::CONFLICT,
        "An account already exists",
        "The first administrator has already been created. Log in, or ask an administrator for an account.",
        "info",
        ("/login", "Go to the login page"),
    )
}

fn setup_page(token: &str, status: StatusCode, username: &str, display_name: &str, problems: &Problems) -> Response {
    let body = html! {
        div.auth-card.auth-wide {
            p.kicker { "First start" }
            h1 { "Create the first administrator" }
            p { "This account manages the other accounts and their roles. It will have to set up a second factor (an authenticator app) at its first login." }
            (kit::summary(problems))
            form.auth-form method="post" action=(format!("/setup/{token}")) {
                (Input::new("text", "username", "User name").value(username).autocomplete("username").required()
                    .maxlength(64).autofocus(true).help("2 to 64 characters: letters a-z, digits and . - _ @").render(problems))
                (Input::new("text", "display_name", "Printed name").value(display_name).autocomplete("name").required()
                    .maxlength(120).help("Your full name as it appears on your electronic signatures and in the audit trail.")
                    .render(problems))
                (new_password_fields("password", "confirm", problems))
                div.form-actions {
                    button.btn.btn-primary type="submit" { "Create the administrator" }
                }
            }
        }
    };
    public_page(status, "First administrator", body)
}

/// A new password and its confirmation.
fn new_password_fields(name: &str, confirm: &str, problems: &Problems) -> Markup {
    html! {
        (Input::new("password", name, if name == "password" { "Password" } else { "New password" })
            .autocomplete("new-password").required().maxlength(1024)
            .help("At least 12 characters; a few unrelated words make a good one. Common passwords and your own name are refused.")
            .render(problems))
        (Input::new("password", confirm, "Confirm the password").autocomplete("new-password").required().maxlength(1024)
            .render(problems))
    }
}

/// Problems with a new password and its confirmation, before the use case is asked.
fn check_new_password(pw: &str, confirm: &str, pw_field: &str, confirm_field: &str, label: &str) -> Problems {
    let mut p = Problems::default();
    if pw.is_empty() {
        p.add(pw_field, format!("{label} is required."));
    } else if pw != confirm {
        p.add(confirm_field, "Confirm the password: the two passwords differ.");
    }
    p
}

async fn setup_post(
    State(s): State<AppState>,
    Path(token): Path<String>,
    ext: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let username = p.get("username").unwrap_or("");
    let display = p.get("display_name").unwrap_or("");
    let password = p.raw("password");
    let mut problems = check_new_password(password, p.raw("confirm"), "password", "confirm", "Password");
    if username.is_empty() {
        problems.fields.insert(0, ("username".into(), "User name is required.".into()));
    }
    if display.is_empty() {
        problems.add("display_name", "Printed name is required.");
    }
    if !problems.is_empty() {
        return Ok(setup_page(&token, StatusCode::UNPROCESSABLE_ENTITY, username, display, &problems));
    }
    let origin = origin_of(&s, &ext, &headers, Channel::Ui);
    match s.app.complete_bootstrap(&token, username, display, password, &origin).await {
        Ok(_) => Ok(message_page(
            StatusCode::OK,
            "Account created",
            "The administrator account is created. Log in with it; you will then set up your second factor.",
            "ok",
            ("/login", "Log in"),
        )),
        Err(AppError::Invalid(v)) => {
            let problems = Problems::from_invalid(
                &v,
                &[
                    ("username", "username", "User name"),
                    ("display_name", "display_name", "Printed name"),
                    ("password", "password", "Password"),
                ],
            );
            Ok(setup_page(&token, StatusCode::UNPROCESSABLE_ENTITY, username, display, &problems))
        }
        Err(AppError::Unauthenticated(_)) => Ok(invalid_link("set-up")),
        Err(AppError::Conflict(_)) => Ok(account_exists()),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Password links

async fn link_user(s: &AppState, token: &str) -> Result<Result<String, Response>, UiError> {
    match s.app.link_info(token).await {
        Ok((purpose, Some(name))) if purpose == "password" => Ok(Ok(name)),
        Ok(_) | Err(AppError::Unauthenticated(_)) => Ok(Err(invalid_link("password"))),
        Err(e) => Err(e.into()),
    }
}

async fn link_get(State(s): State<AppState>, Path(token): Path<String>) -> Result<Response, UiError> {
    Ok(match link_user(&s, &token).await? {
        Ok(name) => link_page(&token, &name, StatusCode::OK, &Problems::default()),
        Err(res) => res,
    })
}

fn link_page(token: &str, username: &str, status: StatusCode, problems: &Problems) -> Response {
    let body = html! {
        div.auth-card {
            h1 { "Choose your password" }
            p { "For the account " strong.mono { (username) } ". The link works once." }
            (kit::summary(problems))
            form.auth-form method="post" action=(format!("/password/{token}")) {
                // For password managers: the account the password belongs to.
                input type="text" name="username" value=(username) autocomplete="username" hidden readonly;
                (new_password_fields("password", "confirm", problems))
                div.form-actions {
                    button.btn.btn-primary type="submit" { "Set the password" }
                }
            }
        }
    };
    public_page(status, "Choose your password", body)
}

async fn link_post(
    State(s): State<AppState>,
    Path(token): Path<String>,
    ext: Extensions,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let username = match link_user(&s, &token).await? {
        Ok(name) => name,
        Err(res) => return Ok(res),
    };
    let p = Params::parse(&body);
    let password = p.raw("password");
    let problems = check_new_password(password, p.raw("confirm"), "password", "confirm", "Password");
    if !problems.is_empty() {
        return Ok(link_page(&token, &username, StatusCode::UNPROCESSABLE_ENTITY, &problems));
    }
    let origin = origin_of(&s, &ext, &headers, Channel::Ui);
    match s.app.set_password_with_link(&token, password, &origin).await {
        Ok(_) => Ok(message_page(
            StatusCode::OK,
            "Password set",
            "Your password is set. Log in with it.",
            "ok",
            ("/login", "Log in"),
        )),
        Err(AppError::Invalid(v)) => {
            let problems = Problems::from_invalid(&v, &[("password", "password", "Password")]);
            Ok(link_page(&token, &username, StatusCode::UNPROCESSABLE_ENTITY, &problems))
        }
        Err(AppError::Unauthenticated(_)) => Ok(invalid_link("password")),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// The user's account

/// The actor's own account.
pub(super) async fn me(s: &AppState, ctx: &c981_app::Ctx) -> Result<UserView, UiError> {
    let uid = ctx.actor.user_id.ok_or_else(|| AppError::Forbidden("Only accounts have a profile.".into()))?;
    Ok(s.app.user(ctx, uid).await?)
}

/// The roles of an account as "Role · site" lines.
pub(super) fn grants_list(user: &UserView, shell: &Shell) -> Markup {
    html! {
        @if user.grants.is_empty() {
            span.none { "No role" }
        } @else {
            ul.plain {
                @for g in &user.grants {
                    li {
                        (g.role.label()) " · "
                        @match g.site_id {
                            None => span.muted { "all sites" },
                            Some(id) => span.mono { (shell.site_code(id).map_or_else(|| format!("site {id}"), str::to_owned)) },
                        }
                    }
                }
            }
        }
    }
}

fn account_frame(title: &str) -> Frame {
    Frame::new(title, Section::Account).crumb("Your account", Some("/account".into())).crumb(title, None)
}

async fn account(State(s): State<AppState>, UiCtx(ctx): UiCtx) -> Result<Response, UiError> {
    render_account(&s, &ctx, &Problems::default(), StatusCode::OK).await
}

async fn render_account(
    s: &AppState,
    ctx: &c981_app::Ctx,
    problems: &Problems,
    status: StatusCode,
) -> Result<Response, UiError> {
    let user = me(s, ctx).await?;
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Your account" }
                h1 { (user.display_name) }
                p.subtitle.mono { (user.username) }
            }
            div.page-actions {
                a.btn href="/account/mfa" { "Second factor" }
                a.btn href="/account/tokens" { "API tokens" }
            }
        }
        section.card aria-labelledby="profile-h" {
            h2 #profile-h { "Profile" }
            dl.fields {
                div.fieldrow { dt { "User name" } dd.mono { (user.username) } }
                div.fieldrow {
                    dt { "Printed name" }
                    dd { (user.display_name) br; span.help { "As it appears on your electronic signatures. An administrator can correct it." } }
                }
                div.fieldrow { dt { "E-mail" } dd { @match &user.email { Some(e) => (e), None => span.none { "—" } } } }
                div.fieldrow { dt { "Roles" } dd { (grants_list(&user, &shell)) } }
                div.fieldrow {
                    dt { "Second factor" }
                    dd {
                        @if user.totp_enrolled {
                            (badge("ok", "On")) " " (user.recovery_codes_left) " recovery codes left · "
                            a href="/account/mfa" { "Details" }
                        } @else {
                            (badge("warn", "Off")) " " a href="/account/mfa" { "Set up an authenticator app" }
                        }
                    }
                }
                div.fieldrow {
                    dt { "Single sign-on" }
                    dd { @match &user.sso { Some(iss) => { (badge("info", "Linked")) " " span.mono { (iss) } }, None => span.none { "Not linked" } } }
                }
                div.fieldrow { dt { "Account created" } dd { (render::time(&user.created_at.to_string())) } }
            }
        }
        section.card aria-labelledby="tokens-h" {
            div.card-head {
                h2 #tokens-h { "API tokens" }
                div.card-actions { a.btn.btn-small href="/account/tokens" { "Manage API tokens" } }
            }
            p.muted { "Tokens let scripts and other systems use the JSON API in your name, with your roles or less." }
        }
        section.card aria-labelledby="password-h" {
            h2 #password-h { "Change your password" }
            @if user.has_password {
                (kit::summary(problems))
                form.auth-form.narrow method="post" action="/account/password" {
                    (csrf_input())
                    input type="text" name="username" value=(user.username) autocomplete="username" hidden readonly;
                    (Input::new("password", "current_password", "Current password").autocomplete("current-password")
                        .required().maxlength(1024).render(problems))
                    (new_password_fields("new_password", "confirm_password", problems))
                    p.help { "Changing the password ends all your sessions, this one included: you then log in again." }
                    div.form-actions { button.btn.btn-primary type="submit" { "Change the password" } }
                }
            } @else {
                p.muted {
                    "Your account has no password: you log in with single sign-on"
                    @if user.sso.is_none() { ", or with the password link an administrator gives you" }
                    "."
                }
            }
        }
        section.card aria-labelledby="sessions-h" {
            h2 #sessions-h { "Sessions" }
            p { "Lost a laptop, or forgot to log out on a shared machine? End every session of your account at once. API tokens are not affected: revoke them one by one." }
            form method="post" action="/account/logout-everywhere" data-confirm="End all your sessions, this one included?" {
                (csrf_input())
                button.btn.btn-danger type="submit" { "Log out everywhere" }
            }
        }
    };
    let frame = Frame::new("Your account", Section::Account).crumb("Your account", None);
    Ok((status, layout::page(&shell, frame, body)).into_response())
}

async fn change_password(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let current = p.raw("current_password");
    let new = p.raw("new_password");
    let mut problems = Problems::default();
    if current.is_empty() {
        problems.add("current_password", "Current password is required.");
    }
    let more = check_new_password(new, p.raw("confirm_password"), "new_password", "confirm_password", "New password");
    problems.fields.extend(more.fields);
    if !problems.is_empty() {
        return render_account(&s, &ctx, &problems, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match s.app.change_password(&ctx, current, new).await {
        Ok(()) => Ok(to_login(&s, "password_changed", "/")),
        Err(AppError::Invalid(v)) => {
            let problems = Problems::from_invalid(
                &v,
                &[
                    ("current_password", "current_password", "Current password"),
                    ("password", "new_password", "New password"),
                ],
            );
            render_account(&s, &ctx, &problems, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Throttled(secs)) => {
            render_account(&s, &ctx, &Problems::banner(throttled_message(secs)), StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn logout_everywhere(State(s): State<AppState>, UiCtx(ctx): UiCtx) -> Result<Response, UiError> {
    s.app.logout_everywhere(&ctx).await?;
    Ok(to_login(&s, "everywhere", "/"))
}

// ---------------------------------------------------------------------------------------
// Second factor enrolment

async fn mfa(State(s): State<AppState>, UiCtx(ctx): UiCtx) -> Result<Response, UiError> {
    let user = me(&s, &ctx).await?;
    if user.totp_enrolled {
        return mfa_enrolled(&s, &ctx, &user).await;
    }
    let e = s.app.totp_begin(&ctx).await?;
    enrol_page(&s, &ctx, &user, &e.secret_base32, &e.qr_svg, &Problems::default(), StatusCode::OK).await
}

fn must_enrol(s: &AppState, user: &UserView) -> bool {
    !user.totp_enrolled && user.grants.iter().any(|g| s.app.auth().mfa_roles.contains(&g.role))
}

async fn mfa_enrolled(s: &AppState, ctx: &c981_app::Ctx, user: &UserView) -> Result<Response, UiError> {
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let low = user.recovery_codes_left <= 3;
    let body = html! {
        div.page-head { div { p.kicker { "Your account" } h1 { "Second factor" } } }
        section.card aria-labelledby="mfa-h" {
            h2 #mfa-h { "Authenticator app " (badge("ok", "On")) }
            p { "At each login, after your password, you enter the 6-digit code your authenticator app shows. Signatures ask for it too." }
            dl.fields {
                div.fieldrow {
                    dt { "Recovery codes left" }
                    dd { span class=[low.then_some("warn-text")] { (user.recovery_codes_left) } " of 10" }
                }
            }
            @if low {
                div.alert.alert-bad { p { "Few recovery codes are left. When they run out and the device is lost, an administrator has to reset your second factor." } }
            }
            p.help { "Lost the device? Log in with a recovery code, then ask an administrator to reset your second factor; you enrol again at your next login." }
        }
        p { a.btn href="/account" { "Back to your account" } }
    };
    Ok(layout::page(&shell, account_frame("Second factor"), body).into_response())
}

/// The key in groups of four, for typing it in.
fn grouped(secret: &str) -> String {
    secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

#[allow(clippy::too_many_arguments)]
async fn enrol_page(
    s: &AppState,
    ctx: &c981_app::Ctx,
    user: &UserView,
    secret: &str,
    qr_svg: &str,
    problems: &Problems,
    status: StatusCode,
) -> Result<Response, UiError> {
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let required = must_enrol(s, user);
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Your account" }
                h1 { "Set up your second factor" }
            }
        }
        @if required {
            div.alert.alert-info role="status" {
                p { strong { "Your role requires a second factor." } " Set it up now; until then this is the only page open to you." }
            }
        }
        (kit::banner(problems))
        ol.steps {
            li.card {
                h2 { "Install an authenticator app" }
                p { "Any app for time-based codes (TOTP) works: for example Aegis, FreeOTP, Google Authenticator, Microsoft Authenticator, or your password manager." }
            }
            li.card {
                h2 { "Add Connect 981 to the app" }
                div.enrol {
                    figure.qr {
                        (PreEscaped(qr_svg))
                        figcaption.help { "Scan this code with the app." }
                    }
                    div {
                        p { "Cannot scan? Enter this key in the app instead:" }
                        (kit::secret("Key", &grouped(secret)))
                        p.help { "Account: " span.mono { (user.username) } " · time-based · 6 digits · every 30 seconds · SHA-1" }
                        p.help { "Keep the key to yourself: whoever has it can produce your codes." }
                    }
                }
            }
            li.card {
                h2 { "Confirm with a code" }
                form.inline-form method="post" action="/account/mfa/confirm" {
                    (csrf_input())
                    input type="hidden" name="secret" value=(secret);
                    (Input::new("text", "code", "Code from the app").autocomplete("one-time-code").inputmode("numeric")
                        .pattern(r"\s*[0-9]{3}\s?[0-9]{3}\s*").maxlength(8).required().mono().autofocus(true)
                        .render(problems))
                    button.btn.btn-primary type="submit" { "Turn on" }
                }
            }
        }
    };
    Ok((status, layout::page(&shell, account_frame("Second factor"), body)).into_response())
}

async fn mfa_confirm(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let code = p.get("code").unwrap_or("");
    let user = me(&s, &ctx).await?;
    if user.totp_enrolled {
        return Ok(Redirect::to("/account/mfa").into_response());
    }
    let result = if code.is_empty() {
        Err(AppError::field("code", "is required"))
    } else {
        s.app.totp_confirm(&ctx, code).await
    };
    match result {
        Ok(codes) => recovery_codes_page(&s, &ctx, &codes).await,
        Err(AppError::Invalid(v)) => {
            let problems = Problems::from_invalid(&v, &[("code", "code", "Code from the app")]);
            // Show the same key again: the app already holds it.
            let again = p.get("secret").and_then(|b32| {
                let secret = c981_auth::totp::TotpSecret::from_base32(b32).ok()?;
                let uri = c981_auth::totp::otpauth_uri(&secret, "Connect 981", &user.username);
                Some((secret.to_base32(), c981_auth::qr::qr_svg(&uri).ok()?))
            });
            let (secret, svg) = match again {
                Some(x) => x,
                None => {
                    let e = s.app.totp_begin(&ctx).await?;
                    (e.secret_base32, e.qr_svg)
                }
            };
            enrol_page(&s, &ctx, &user, &secret, &svg, &problems, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict(m)) => {
            let e = s.app.totp_begin(&ctx).await?;
            let problems = Problems::banner(format!("{}: scan the new code below.", capitalise(&m)));
            enrol_page(&s, &ctx, &user, &e.secret_base32, &e.qr_svg, &problems, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

async fn recovery_codes_page(s: &AppState, ctx: &c981_app::Ctx, codes: &[String]) -> Result<Response, UiError> {
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let body = html! {
        div.page-head { div { p.kicker { "Your account" } h1 { "Second factor turned on" } } }
        div.alert.alert-bad role="alert" {
            p { strong { "Store these recovery codes now. They are shown only once." } }
            p { "Each code logs you in once in place of an app code, if you lose your device. Keep them somewhere safe and apart from the device: a password manager, or printed in a locked drawer." }
        }
        section.card aria-labelledby="codes-h" {
            h2 #codes-h { "Your 10 recovery codes" }
            ol.recovery-codes {
                @for c in codes { li { code.secret { (c) } } }
            }
        }
        p.actions {
            a.btn.btn-primary href="/" { "I have stored them: continue" }
            a.btn.btn-ghost href="/account" { "Your account" }
        }
    };
    Ok(layout::page(&shell, account_frame("Second factor"), body).into_response())
}

// ---------------------------------------------------------------------------------------
// API tokens

#[derive(Debug, Clone)]
struct TokenForm {
    name: String,
    read_only: bool,
    sites: Vec<String>,
    days: String,
}

impl Default for TokenForm {
    fn default() -> Self {
        Self { name: String::new(), read_only: true, sites: Vec::new(), days: "90".into() }
    }
}

async fn tokens(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let p = Params::from_query(q.as_deref());
    let notice = match p.get("notice") {
        Some("revoked") => Some("The token is revoked: requests that use it are refused from now on."),
        _ => None,
    };
    render_tokens(&s, &ctx, None, notice, &TokenForm::default(), &Problems::default(), StatusCode::OK).await
}

#[allow(clippy::too_many_arguments)]
async fn render_tokens(
    s: &AppState,
    ctx: &c981_app::Ctx,
    created: Option<(&str, &str)>,
    notice: Option<&str>,
    form: &TokenForm,
    problems: &Problems,
    status: StatusCode,
) -> Result<Response, UiError> {
    let list = s.app.tokens(ctx).await?;
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let max_days = s.app.auth().token_max_days;
    let days_help = format!("1 to {max_days} days.");
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Your account" }
                h1 { "API tokens" }
                p.subtitle { "For scripts and other systems using the JSON API in your name (" code { "Authorization: Bearer <token>" } "). A token never has more than your roles; it can have less." }
            }
        }
        @if let Some(n) = notice { div.alert.alert-info role="status" { p { (n) } } }
        @if let Some((name, token)) = created {
            div.alert.alert-ok role="status" {
                p { strong { "Token \u{201c}" (name) "\u{201d} created. Copy it now: it is shown only once." } }
                (kit::secret("New API token", token))
                p { "Store it like a password. If it leaks, revoke it below." }
            }
        }
        section.card aria-labelledby="list-h" {
            h2 #list-h { "Your tokens" " " span.count-badge { (list.len()) } }
            @if list.is_empty() {
                div.empty.empty-small { p { "No token yet." } }
            } @else {
                (tokens_table(&list, &shell))
            }
        }
        section.card aria-labelledby="new-h" {
            h2 #new-h { "New token" }
            (kit::summary(problems))
            form.token-form method="post" action="/account/tokens" {
                (csrf_input())
                div.form-grid {
                    (Input::new("text", "name", "Name").value(&form.name).required().maxlength(100).autocomplete("off")
                        .help("What uses it, e.g. \u{201c}Nightly export to the CMDB\u{201d}.").render(problems))
                    (Input::new("number", "expires_in_days", "Expires in (days)").value(&form.days).required()
                        .help(&days_help).inputmode("numeric").range(1, max_days).render(problems))
                    div class=(if problems.get("read_only").is_some() { "field field-check invalid" } else { "field field-check" }) {
                        input #f-read_only type="checkbox" name="read_only" value="true" checked[form.read_only] aria-describedby="f-read_only-help";
                        label for="f-read_only" { "Read only" }
                        p.help #f-read_only-help { "Recommended unless the token must change records." }
                    }
                    fieldset class=(if problems.get("sites").is_some() { "field wide invalid" } else { "field wide" }) id="f-sites"
                        aria-describedby="f-sites-help" {
                        legend { "Sites" }
                        @if shell.sites.is_empty() {
                            p.empty-inline { "You have no site." }
                        } @else {
                            div.checks {
                                @for (i, site) in shell.sites.iter().enumerate() {
                                    @let cid = format!("f-sites-{i}");
                                    div.check {
                                        input type="checkbox" id=(cid) name="sites" value=(site.id) checked[form.sites.contains(&site.id.to_string())];
                                        label for=(cid) { span.mono { (site.code) } " – " (site.name) }
                                    }
                                }
                            }
                        }
                        p.help #f-sites-help { "None ticked: all the sites your roles cover, now and later." }
                        @if let Some(e) = problems.get("sites") { p.field-error { (e) } }
                    }
                }
                div.form-actions { button.btn.btn-primary type="submit" { "Create the token" } }
            }
        }
    };
    Ok((status, layout::page(&shell, account_frame("API tokens"), body)).into_response())
}

fn tokens_table(list: &[TokenView], shell: &Shell) -> Markup {
    html! {
        div.table-wrap {
            table.data {
                thead {
                    tr {
                        th scope="col" { "Name" }
                        th scope="col" { "Token" }
                        th scope="col" { "Access" }
                        th scope="col" { "Sites" }
                        th scope="col" { "Created" }
                        th scope="col" { "Expires" }
                        th scope="col" { "Last used" }
                        th scope="col" { "Status" }
                        th scope="col" { span.visually-hidden { "Actions" } }
                    }
                }
                tbody {
                    @for t in list {
                        tr {
                            td { (t.name) }
                            td.mono.nowrap { (t.hint) "…" }
                            td { @if t.read_only { "Read only" } @else { "Read and write" } }
                            td {
                                @if t.site_ids.is_empty() { span.muted { "All your sites" } }
                                @else {
                                    (t.site_ids.iter().map(|id| shell.site_code(*id).map_or_else(|| format!("site {id}"), str::to_owned))
                                        .collect::<Vec<_>>().join(", "))
                                }
                            }
                            td.nowrap { (render::time(&t.created_at.to_string())) }
                            td.nowrap { (render::time(&t.expires_at.to_string())) }
                            td.nowrap {
                                @match &t.last_used_at { Some(at) => (render::time(&at.to_string())), None => span.none { "Never" } }
                            }
                            td {
                                @if t.revoked_at.is_some() { (badge("neutral", "Revoked")) }
                                @else if t.active { (badge("ok", "Active")) }
                                @else { (badge("warn", "Expired")) }
                            }
                            td {
                                @if t.active {
                                    form method="post" action=(format!("/account/tokens/{}/revoke", t.id))
                                        data-confirm=(format!("Revoke the token \u{201c}{}\u{201d}? Whatever uses it stops working.", t.name)) {
                                        (csrf_input())
                                        button.btn.btn-small.btn-danger type="submit" aria-label=(format!("Revoke {}", t.name)) { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn create_token(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let form = TokenForm {
        name: p.get("name").unwrap_or("").to_owned(),
        read_only: p.all("read_only").iter().any(|v| matches!(*v, "true" | "on" | "1")),
        sites: p.all("sites").into_iter().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect(),
        days: p.get("expires_in_days").unwrap_or("").to_owned(),
    };
    let mut problems = Problems::default();
    if form.name.is_empty() {
        problems.add("name", "Name is required.");
    }
    let days = match form.days.parse::<i64>() {
        Ok(d) => d,
        Err(_) => {
            problems.add("expires_in_days", "Expires in (days) must be a whole number of days.");
            0
        }
    };
    let mut sites = Vec::new();
    for raw in &form.sites {
        match raw.parse::<i64>() {
            Ok(id) if id > 0 => sites.push(SiteId::new(id)),
            _ => problems.add("sites", format!("Sites: {raw:?} is not a site.")),
        }
    }
    if !problems.is_empty() {
        return render_tokens(&s, &ctx, None, None, &form, &problems, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match s.app.create_token(&ctx, &form.name, form.read_only, &sites, days).await {
        Ok((_, token)) => {
            render_tokens(
                &s,
                &ctx,
                Some((&form.name, &token)),
                None,
                &TokenForm::default(),
                &Problems::default(),
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Invalid(v)) => {
            let problems = Problems::from_invalid(
                &v,
                &[
                    ("name", "name", "Name"),
                    ("expires_in_days", "expires_in_days", "Expires in (days)"),
                    ("sites", "sites", "Sites"),
                ],
            );
            render_tokens(&s, &ctx, None, None, &form, &problems, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke_token(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| UiError::NotFound(format!("{id:?} is not the id of a token.")))?;
    s.app.revoke_token(&ctx, id).await?;
    Ok(Redirect::to("/account/tokens?notice=revoked").into_response())
}
