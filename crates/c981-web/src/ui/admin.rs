//! Account administration (administrators on all sites only; the use cases refuse everyone
//! else, and the refusal is shown as the "Not allowed" page): the list of accounts, a new
//! account (the user chooses a password with a one-time link), role grants per site,
//! disabling, password links and second-factor resets.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use c981_app::identity::{NewUser, UserView};
use c981_app::{AppError, Ctx, Grant, Role};
use c981_domain::SiteId;
use maud::html;

use super::account::{base_url, grants_list};
use super::kit::{self, Input, Problems};
use super::render::{self, badge};
use super::{Frame, Params, Section, Shell, UiError, csrf_input, layout};
use crate::{AppState, UiCtx};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/{id}", get(detail))
        .route("/admin/users/{id}/grants", post(set_grants))
        .route("/admin/users/{id}/disable", post(disable))
        .route("/admin/users/{id}/enable", post(enable))
        .route("/admin/users/{id}/password-link", post(password_link))
        .route("/admin/users/{id}/reset-mfa", post(reset_mfa))
}

fn user_href(id: i64) -> String {
    format!("/admin/users/{id}")
}

fn parse_user_id(raw: &str) -> Result<i64, UiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| UiError::NotFound(format!("{raw:?} is not the id of an account.")))
}

fn users_frame() -> Frame {
    Frame::new("Users", Section::Admin).crumb("Users", None)
}

fn user_frame(user: &UserView) -> Frame {
    Frame::new(user.display_name.clone(), Section::Admin)
        .crumb("Users", Some("/admin/users".into()))
        .crumb(user.display_name.clone(), None)
}

fn role_options() -> Vec<(String, String)> {
    Role::ALL.iter().map(|r| (r.as_str().to_owned(), r.label().to_owned())).collect()
}

fn site_options(shell: &Shell) -> Vec<(String, String)> {
    let mut out = vec![("all".to_owned(), "All sites".to_owned())];
    out.extend(shell.sites.iter().map(|s| (s.id.to_string(), format!("{} – {}", s.code, s.name))));
    out
}

// ---------------------------------------------------------------------------------------
// List and new account

#[derive(Debug, Clone, Default)]
struct NewForm {
    username: String,
    display_name: String,
    email: String,
    role: String,
    site: String,
}

async fn list(State(s): State<AppState>, UiCtx(ctx): UiCtx) -> Result<Response, UiError> {
    render_list(&s, &ctx, &NewForm::default(), &Problems::default(), StatusCode::OK).await
}

async fn render_list(
    s: &AppState,
    ctx: &Ctx,
    form: &NewForm,
    problems: &Problems,
    status: StatusCode,
) -> Result<Response, UiError> {
    let users = s.app.users(ctx).await?;
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let body = html! {
        div.page-head {
            div {
                h1 { "Users" }
                p.subtitle { "Accounts, their roles per site, and how they log in. Accounts are disabled, never deleted, so the audit trail keeps naming them." }
            }
            div.page-actions { a.btn.btn-primary href="#new-h" { "New account" } }
        }
        p.count role="status" { strong { (users.len()) } @if users.len() == 1 { " account" } @else { " accounts" } }
        div.table-wrap {
            table.data {
                thead {
                    tr {
                        th scope="col" { "User name" }
                        th scope="col" { "Printed name" }
                        th scope="col" { "Roles" }
                        th scope="col" { "Second factor" }
                        th scope="col" { "Single sign-on" }
                        th scope="col" { "Status" }
                    }
                }
                tbody {
                    @for u in &users {
                        tr {
                            td { a.rowlink.mono href=(user_href(u.id)) { (u.username) } }
                            td { (u.display_name) }
                            td { (grants_list(u, &shell)) }
                            td { @if u.totp_enrolled { (badge("ok", "On")) } @else { (badge("neutral", "Off")) } }
                            td { @match &u.sso { Some(iss) => span.mono title=(iss) { "Linked" }, None => span.none { "—" } } }
                            td {
                                @if u.disabled { (badge("bad", "Disabled")) }
                                @else if !u.has_password && u.sso.is_none() { (badge("warn", "No password yet")) }
                                @else { (badge("ok", "Active")) }
                            }
                        }
                    }
                }
            }
        }
        section.card.top-gap aria-labelledby="new-h" {
            h2 #new-h { "New account" }
            p.muted { "You never choose or see the user's password: you get a one-time link to give them, with which they choose it." }
            (kit::summary(problems))
            form.entity-form.flat method="post" action="/admin/users" {
                (csrf_input())
                div.form-grid {
                    (Input::new("text", "username", "User name").value(&form.username).required().maxlength(64)
                        .autocomplete("off").help("2 to 64 characters: letters a-z, digits and . - _ @").render(problems))
                    (Input::new("text", "display_name", "Printed name").value(&form.display_name).required().maxlength(120)
                        .autocomplete("off").help("The person's full name, as on their electronic signatures.").render(problems))
                    (Input::new("email", "email", "E-mail").value(&form.email).maxlength(254).autocomplete("off").render(problems))
                    (kit::select("role", "f-role", "Role", &role_options(), &form.role, Some("Choose a role…"), true,
                        "More roles can be granted on the account's page.", problems))
                    (kit::select("site", "f-site", "On site", &site_options(&shell), &form.site, Some("Choose…"), true, "", problems))
                }
                div.form-actions { button.btn.btn-primary type="submit" { "Create the account" } }
            }
        }
    };
    Ok((status, layout::page(&shell, users_frame(), body)).into_response())
}

fn parse_site(raw: &str) -> Option<Option<SiteId>> {
    match raw {
        "all" => Some(None),
        n => n.parse::<i64>().ok().filter(|i| *i > 0).map(|i| Some(SiteId::new(i))),
    }
}

async fn create(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let form = NewForm {
        username: p.get("username").unwrap_or("").to_owned(),
        display_name: p.get("display_name").unwrap_or("").to_owned(),
        email: p.get("email").unwrap_or("").to_owned(),
        role: p.get("role").unwrap_or("").to_owned(),
        site: p.get("site").unwrap_or("").to_owned(),
    };
    let mut problems = Problems::default();
    if form.username.is_empty() {
        problems.add("username", "User name is required.");
    }
    if form.display_name.is_empty() {
        problems.add("display_name", "Printed name is required.");
    }
    let role = match Role::parse(&form.role) {
        Ok(r) => Some(r),
        Err(_) => {
            problems.add("role", "Role is required: choose one.");
            None
        }
    };
    let site = parse_site(&form.site);
    if site.is_none() {
        problems.add("site", "On site is required: choose a site, or all sites.");
    }
    let (Some(role), Some(site), true) = (role, site, problems.is_empty()) else {
        return render_list(&s, &ctx, &form, &problems, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let new = NewUser {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        email: Some(form.email.clone()).filter(|e| !e.is_empty()),
        grants: vec![Grant { role, site }],
    };
    match s.app.create_user(&ctx, &new).await {
        Ok((id, token)) => {
            let user = s.app.user(&ctx, id).await?;
            link_page(&s, &ctx, &headers, &user, &token, true).await
        }
        Err(AppError::Invalid(v)) => {
            let problems = Problems::from_invalid(
                &v,
                &[
                    ("username", "username", "User name"),
                    ("display_name", "display_name", "Printed name"),
                    ("email", "email", "E-mail"),
                    ("grants", "site", "On site"),
                ],
            );
            render_list(&s, &ctx, &form, &problems, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict(m)) => {
            let problems = Problems::field("username", kit::sentence("User name", "username", &m));
            render_list(&s, &ctx, &form, &problems, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The one-time password link, shown once.
async fn link_page(
    s: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    user: &UserView,
    token: &str,
    created: bool,
) -> Result<Response, UiError> {
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let link = format!("{}/password/{token}", base_url(s, headers));
    let hours = (s.app.auth().link_ttl_secs / 3600).max(1);
    let title = if created { "Account created" } else { "Password link issued" };
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Account" }
                h1 { (title) }
                p.subtitle { (user.display_name) " · " span.mono { (user.username) } }
            }
        }
        div.alert.alert-ok role="status" {
            p { strong { "Give this one-time link to " (user.display_name) " through a channel you trust. It is shown only now." } }
            (kit::secret("One-time password link", &link))
            p {
                "With it they choose their password, once. It expires in " (hours) @if hours == 1 { " hour" } @else { " hours" } "."
                @if !created { " Their current password keeps working until they set the new one." }
            }
        }
        p.actions {
            a.btn.btn-primary href=(user_href(user.id)) { "Open the account" }
            a.btn.btn-ghost href="/admin/users" { "All users" }
        }
    };
    let frame = Frame::new(title, Section::Admin)
        .crumb("Users", Some("/admin/users".into()))
        .crumb(user.display_name.clone(), Some(user_href(user.id)))
        .crumb(title, None);
    Ok(layout::page(&shell, frame, body).into_response())
}

// ---------------------------------------------------------------------------------------
// One account

async fn detail(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let id = parse_user_id(&id)?;
    let p = Params::from_query(q.as_deref());
    let notice = match p.get("done") {
        Some("grants") => Some("The roles are saved. They apply from the user's next request."),
        Some("disabled") => Some("The account is disabled: its sessions and API tokens stopped working."),
        Some("enabled") => Some("The account is enabled again."),
        Some("mfa_reset") => Some(
            "The second factor is removed and the user's sessions ended. They set up a new one at their next login.",
        ),
        _ => None,
    };
    render_detail(&s, &ctx, id, notice, &Problems::default(), StatusCode::OK).await
}

async fn render_detail(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    notice: Option<&str>,
    problems: &Problems,
    status: StatusCode,
) -> Result<Response, UiError> {
    // Administrators only: `users` refuses others even for their own account.
    s.app.users(ctx).await.map(|_| ())?;
    let user = s.app.user(ctx, id).await?;
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let base = user_href(id);
    let myself = ctx.actor.user_id == Some(id);
    let has = |role: Role, site: Option<i64>| user.grants.iter().any(|g| g.role == role && g.site_id == site);
    let mut rows: Vec<(Option<i64>, String)> = vec![(None, "All sites".to_owned())];
    rows.extend(shell.sites.iter().map(|s| (Some(s.id), format!("{} – {}", s.code, s.name))));
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Account" }
                h1 { (user.display_name) }
                p.subtitle {
                    span.mono { (user.username) }
                    @if user.disabled { " " (badge("bad", "Disabled")) }
                }
            }
        }
        @if let Some(n) = notice { div.alert.alert-ok role="status" { p { (n) } } }
        (kit::banner(problems))
        section.card aria-labelledby="account-h" {
            h2 #account-h { "Account" }
            dl.fields {
                div.fieldrow { dt { "User name" } dd.mono { (user.username) } }
                div.fieldrow { dt { "Printed name" } dd { (user.display_name) } }
                div.fieldrow { dt { "E-mail" } dd { @match &user.email { Some(e) => (e), None => span.none { "—" } } } }
                div.fieldrow { dt { "Status" } dd { @if user.disabled { (badge("bad", "Disabled")) } @else { (badge("ok", "Active")) } } }
                div.fieldrow { dt { "Password" } dd { @if user.has_password { "Set" } @else { span.none { "Not set" } } } }
                div.fieldrow {
                    dt { "Second factor" }
                    dd {
                        @if user.totp_enrolled { (badge("ok", "On")) " " (user.recovery_codes_left) " recovery codes left" }
                        @else { (badge("neutral", "Off")) }
                    }
                }
                div.fieldrow { dt { "Single sign-on" } dd { @match &user.sso { Some(iss) => span.mono { (iss) }, None => span.none { "Not linked" } } } }
                div.fieldrow { dt { "Roles" } dd { (grants_list(&user, &shell)) } }
            }
            dl.meta {
                div.fieldrow { dt { "Id" } dd.mono { (user.id) } }
                div.fieldrow { dt { "Created" } dd { (render::time(&user.created_at.to_string())) } }
                div.fieldrow { dt { "Last changed" } dd { (render::time(&user.updated_at.to_string())) } }
                div.fieldrow { dt { "History" } dd { a href=(format!("/audit?entity_type=user&entity_id={id}")) { "In the audit trail" } } }
            }
        }
        section.card aria-labelledby="roles-h" {
            h2 #roles-h { "Roles" }
            p.muted { "Tick each role the account holds, on all sites or on one. Changes apply from the user's next request." }
            form method="post" action=(format!("{base}/grants")) {
                (csrf_input())
                div.table-wrap {
                    table.data.grants {
                        thead {
                            tr {
                                th scope="col" { "Site" }
                                @for r in Role::ALL { th scope="col" { (r.label()) } }
                            }
                        }
                        tbody {
                            @for (site, label) in &rows {
                                tr {
                                    th scope="row" { (label) }
                                    @for r in Role::ALL {
                                        @let value = format!("{}@{}", r.as_str(), site.map_or_else(|| "all".to_owned(), |x| x.to_string()));
                                        td.check-cell {
                                            input type="checkbox" name="grant" value=(value) checked[has(*r, *site)]
                                                aria-label=(format!("{} on {}", r.label(), if site.is_none() { "all sites".to_owned() } else { label.clone() }));
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                div.form-actions { button.btn.btn-primary type="submit" { "Save the roles" } }
            }
        }
        section.card aria-labelledby="actions-h" {
            h2 #actions-h { "Access" }
            div.action-list {
                div.action-row {
                    div {
                        h3 { "Password link" }
                        p.help { "A one-time link with which the user chooses a new password (a forgotten password, or a first one)." }
                    }
                    form method="post" action=(format!("{base}/password-link")) {
                        (csrf_input())
                        button.btn type="submit" { "Issue a password link" }
                    }
                }
                @if user.totp_enrolled {
                    div.action-row {
                        div {
                            h3 { "Second factor" }
                            p.help { "A lost or replaced device: remove the second factor; the user's sessions end and they set up a new one at their next login." }
                        }
                        form method="post" action=(format!("{base}/reset-mfa"))
                            data-confirm=(format!("Remove the second factor of {}?", user.display_name)) {
                            (csrf_input())
                            button.btn type="submit" { "Reset the second factor" }
                        }
                    }
                }
                div.action-row {
                    div {
                        @if user.disabled {
                            h3 { "Enable" }
                            p.help { "The user can log in again (with their password, second factor and tokens as they were)." }
                        } @else {
                            h3 { "Disable" }
                            p.help { "Ends the account's sessions and stops its API tokens at once. The account stays in the audit trail and can be enabled again." }
                        }
                    }
                    @if user.disabled {
                        form method="post" action=(format!("{base}/enable")) {
                            (csrf_input())
                            button.btn type="submit" { "Enable the account" }
                        }
                    } @else if !myself {
                        form method="post" action=(format!("{base}/disable"))
                            data-confirm=(format!("Disable the account of {}?", user.display_name)) {
                            (csrf_input())
                            button.btn.btn-danger type="submit" { "Disable the account" }
                        }
                    } @else {
                        p.muted { "You cannot disable your own account." }
                    }
                }
            }
        }
    };
    Ok((status, layout::page(&shell, user_frame(&user), body)).into_response())
}

/// After an action: the account's page with a notice, or with the refusal.
async fn done(s: &AppState, ctx: &Ctx, id: i64, result: Result<(), AppError>, what: &str) -> Result<Response, UiError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("{}?done={what}", user_href(id))).into_response()),
        Err(AppError::Conflict(m)) => render_detail(s, ctx, id, None, &Problems::banner(m), StatusCode::CONFLICT).await,
        Err(AppError::Invalid(v)) => {
            render_detail(s, ctx, id, None, &Problems::banner(v.summary()), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_grants(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let id = parse_user_id(&id)?;
    let p = Params::parse(&body);
    let mut grants = Vec::new();
    for raw in p.all("grant") {
        let parsed = raw
            .split_once('@')
            .and_then(|(r, site)| Some(Grant { role: Role::parse(r).ok()?, site: parse_site(site)? }));
        match parsed {
            Some(g) => grants.push(g),
            None => {
                return Err(UiError::BadRequest(format!(
                    "grant: {raw:?} is not a role on a site (role@site_id or role@all)"
                )));
            }
        }
    }
    let result = s.app.set_grants(&ctx, id, &grants).await;
    done(&s, &ctx, id, result, "grants").await
}

async fn disable(State(s): State<AppState>, UiCtx(ctx): UiCtx, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = parse_user_id(&id)?;
    let result = s.app.set_disabled(&ctx, id, true).await;
    done(&s, &ctx, id, result, "disabled").await
}

async fn enable(State(s): State<AppState>, UiCtx(ctx): UiCtx, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = parse_user_id(&id)?;
    let result = s.app.set_disabled(&ctx, id, false).await;
    done(&s, &ctx, id, result, "enabled").await
}

async fn reset_mfa(State(s): State<AppState>, UiCtx(ctx): UiCtx, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = parse_user_id(&id)?;
    let result = s.app.reset_mfa(&ctx, id).await;
    done(&s, &ctx, id, result, "mfa_reset").await
}

async fn password_link(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let id = parse_user_id(&id)?;
    let token = s.app.password_reset_link(&ctx, id).await?;
    let user = s.app.user(&ctx, id).await?;
    link_page(&s, &ctx, &headers, &user, &token, false).await
}
