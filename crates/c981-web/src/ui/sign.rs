//! Electronic signatures in the pages of every record: the "Signatures" section of the
//! detail page, and the signature page (what is signed, its meaning, re-authentication).
//!
//! A signature binds the printed name, the UTC time and the meaning to the SHA-256 of the
//! record version shown on the signature page: when the record changed between showing and
//! signing, the signer is asked to look again instead of signing what they did not see.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use c981_app::signature::{Meaning, Reauth, SignatureStatus, SignatureView, record_sha256};
use c981_app::{AppError, Ctx};
use c981_domain::EntityKind;
use c981_store::Table;
use maud::{Markup, html};
use serde_json::Value;

use super::kit::{self, Input, Problems};
use super::pages::{list_href, obj_site, parse_id};
use super::render::{self, Names, Room, badge, detail_href, title_of};
use super::{Frame, Params, Section, Shell, UiError, csrf_input, layout};
use crate::{AppState, UiCtx};

fn method_label(m: &str) -> &str {
    match m {
        "password" => "Password",
        "password+totp" => "Password and authenticator code",
        "password+recovery_code" => "Password and recovery code",
        m if m.starts_with("oidc") => "Single sign-on, fresh login",
        other => other,
    }
}

fn status_tone(s: SignatureStatus) -> &'static str {
    match s {
        SignatureStatus::Valid => "ok",
        SignatureStatus::RecordChanged => "warn",
        SignatureStatus::Invalid => "bad",
    }
}

/// `2026-11-28T09:00:00.123456Z` as `2026-11-28 09:00:00.123456 UTC`, the exact value in
/// the `datetime`.
fn utc(raw: &str) -> Markup {
    let shown = format!("{} UTC", raw.trim_end_matches('Z').replacen('T', " ", 1));
    html! { time datetime=(raw) { (shown) } }
}

/// The "Signatures" section of a record's page.
pub(super) fn section(kind: EntityKind, id: i64, sigs: &[SignatureView], can_sign: bool) -> Markup {
    let sign_href = format!("/{}/{id}/sign", kind.plural());
    let changed = sigs.iter().filter(|s| s.status == SignatureStatus::RecordChanged).count();
    let invalid = sigs.iter().filter(|s| s.status == SignatureStatus::Invalid).count();
    html! {
        section.card #signatures aria-labelledby="signatures-h" {
            div.card-head {
                h2 #signatures-h { "Signatures" " " span.count-badge { (sigs.len()) } }
                div.card-actions {
                    @if can_sign { a.btn.btn-small href=(sign_href) { "Sign…" } }
                }
            }
            @if sigs.is_empty() {
                div.empty.empty-small { p { "No one has signed this " (kind.label().to_lowercase()) " yet." } }
            } @else {
                @if invalid > 0 {
                    div.alert.alert-bad role="alert" {
                        p { strong { (invalid) @if invalid == 1 { " signature is" } @else { " signatures are" } " invalid:" }
                            " not bound to this record in the audit trail. Investigate before relying on them." }
                    }
                }
                @if changed > 0 {
                    div.alert.alert-warn role="status" {
                        p { strong { "The record changed since " @if changed == 1 { "one signature was" } @else { (changed) " signatures were" } " given." }
                            " Those signatures apply to an earlier version; sign the current version again if it needs one." }
                    }
                }
                div.table-wrap {
                    table.data.signatures {
                        thead {
                            tr {
                                th scope="col" { "Signed by" }
                                th scope="col" { "Meaning" }
                                th scope="col" { "Signed at" }
                                th scope="col" { "Reason" }
                                th scope="col" { "Method" }
                                th scope="col" { "Version" }
                                th scope="col" { "Record SHA-256" }
                                th scope="col" { "Status" }
                            }
                        }
                        tbody {
                            @for sig in sigs {
                                tr class=[(sig.status != SignatureStatus::Valid).then_some("sig-stale")] {
                                    td { strong { (sig.printed_name) } }
                                    td { (sig.meaning_label) }
                                    td.nowrap { (utc(&sig.signed_at.to_string())) }
                                    td { @match &sig.reason { Some(r) => (r), None => span.none { "—" } } }
                                    td { (method_label(&sig.method)) }
                                    td.num.mono { (sig.record_version) }
                                    td.mono { abbr title=(sig.record_sha256) { (sig.record_sha256.chars().take(12).collect::<String>()) "…" } }
                                    td {
                                        @if sig.status != SignatureStatus::Valid { span.warn-mark aria-hidden="true" { "⚠ " } }
                                        (badge(status_tone(sig.status), sig.status_label))
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

/// What the signer chose, kept when the page is shown again.
#[derive(Debug, Clone, Default)]
struct SignForm {
    meaning: String,
    reason: String,
}

fn meaning_options() -> Vec<(String, String)> {
    Meaning::ALL.iter().map(|m| (m.as_str().to_owned(), m.label().to_owned())).collect()
}

/// The signature page; `?meaning=risk_accepted` (say) preselects the meaning.
pub(super) async fn form<T: Table>(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let id = parse_id(T::KIND, &id)?;
    let params = Params::from_query(q.as_deref());
    let meaning = params.get("meaning").and_then(|m| Meaning::parse(m).ok()).map(|m| m.as_str().to_owned());
    let form = SignForm { meaning: meaning.unwrap_or_default(), ..SignForm::default() };
    render::<T>(&s, &ctx, id, &form, &Problems::default(), StatusCode::OK).await
}

/// The record's JSON and the SHA-256 a signature would bind.
async fn current<T: Table>(s: &AppState, ctx: &Ctx, id: i64) -> Result<(Vec<u8>, String), UiError> {
    let json = s.app.get_json::<T>(ctx, id).await?;
    let value: Value = serde_json::from_slice(&json).map_err(|e| AppError::Internal(e.to_string()))?;
    let sha = record_sha256(&value);
    Ok((json, sha))
}

async fn render<T: Table>(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    form: &SignForm,
    problems: &Problems,
    status: StatusCode,
) -> Result<Response, UiError> {
    let kind = T::KIND;
    let (json, sha) = current::<T>(s, ctx, id).await?;
    let obj = render::parse_obj(&json);
    let site = obj_site(kind, &obj);
    let shell = Shell::load(s, ctx, &Params::default()).await?.with_site(site);
    let mut names = Names::new(&shell, &s.app);
    names.resolve(&s.app, ctx, T::fields(), &[&obj]).await;
    let title = title_of(kind, &obj, &names);
    let version = obj.get("version").and_then(Value::as_i64).unwrap_or(0);
    let uid = ctx.actor.user_id.ok_or_else(|| AppError::Forbidden("Only accounts can sign.".into()))?;
    let user = s.app.user(ctx, uid).await?;
    let sso = s.oidc.is_some() && user.sso.is_some();
    let base = format!("/{}/{id}", kind.plural());
    let label = kind.label().to_lowercase();
    let body = html! {
        div.page-head {
            div {
                p.kicker {
                    (kind.label())
                    @if let Some(code) = site.and_then(|x| shell.site_code(x)) { " · " (code) }
                }
                h1 { "Sign " (title) }
            }
        }
        (kit::summary(problems))
        section.card aria-labelledby="signed-h" {
            h2 #signed-h { "What you are signing" }
            dl.fields {
                div.fieldrow { dt { "Record" } dd { (kind.label()) " " a href=(detail_href(kind, id)) { (title) } } }
                div.fieldrow { dt { "Version" } dd.mono { (version) } }
                div.fieldrow.wide { dt { "SHA-256" } dd { code.mono.hash { (sha) } } }
            }
            details.record-content {
                summary { "Content of version " (version) }
                dl.fields {
                    @for f in T::fields() {
                        div.fieldrow.wide[matches!(f.kind, c981_domain::fields::FieldKind::LongText)] {
                            dt { (f.label) }
                            dd { (render::value(f, obj.get(f.name).unwrap_or(&Value::Null), &names, Room::Full)) }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="sign-h" {
            h2 #sign-h { "Your signature" }
            form.sign-form method="post" action=(format!("{base}/sign")) {
                (csrf_input())
                input type="hidden" name="record_sha256" value=(sha);
                div.form-grid {
                    (kit::select("meaning", "f-meaning", "Meaning", &meaning_options(), &form.meaning, Some("Choose…"), true,
                        "What your signature says about this version.", problems))
                    (Input::new("text", "reason", "Reason").value(&form.reason).maxlength(500).autocomplete("off")
                        .help("Optional, e.g. \u{201c}Annual zone review 2026\u{201d}.").render(problems))
                    div.field {
                        label for="f-printed" { "Printed name" }
                        input #f-printed type="text" value=(user.display_name) readonly aria-describedby="f-printed-help";
                        p.help #f-printed-help { "From your account; an administrator can correct it." }
                    }
                }
                fieldset.reauth {
                    legend { "Confirm it is you" }
                    div.form-grid {
                        (Input::new("password", "password", "Password").autocomplete("current-password").required()
                            .maxlength(1024).render(problems))
                        @if user.totp_enrolled {
                            (Input::new("text", "code", "Code from your authenticator app").autocomplete("one-time-code")
                                .required().mono().maxlength(32).help("6 digits, or a recovery code.").render(problems))
                        }
                    }
                }
                @if kind == EntityKind::Risk {
                    p.help {
                        "With the meaning \u{201c}Risk accepted\u{201d} you accept the residual risk as its owner: the risk becomes accepted with your signature, "
                        "which binds that accepted version. It is refused when you are not the risk owner or when the residual level is above what your role may accept under the risk model."
                    }
                }
                p.sign-statement {
                    "By signing you confirm that you, " strong { (user.display_name) } ", sign version " (version)
                    " of this " (label) " with the meaning chosen above, and that this electronic signature is the legally binding equivalent of your handwritten signature."
                }
                div.form-actions {
                    button.btn.btn-primary type="submit" { "Sign" }
                    a.btn.btn-ghost href=(detail_href(kind, id)) { "Cancel" }
                }
            }
        }
        @if sso {
            section.card aria-labelledby="sso-h" {
                h2 #sso-h { "Or sign with single sign-on" }
                p.muted { "You log in again at your identity provider; the signature is recorded when you come back." }
                form.sign-form method="post" action=(format!("{base}/sign/sso")) {
                    (csrf_input())
                    div.form-grid {
                        (kit::select("meaning", "f-sso-meaning", "Meaning", &meaning_options(), &form.meaning, Some("Choose…"), true, "", &Problems::default()))
                        (Input::new("text", "reason", "Reason").id("f-sso-reason").value(&form.reason).maxlength(500)
                            .autocomplete("off").render(&Problems::default()))
                    }
                    p.sign-statement {
                        "By signing you confirm that you, " strong { (user.display_name) } ", sign version " (version)
                        " of this " (label) " with the meaning chosen above, and that this electronic signature is the legally binding equivalent of your handwritten signature."
                    }
                    div.form-actions {
                        button.btn type="submit" { "Re-authenticate with single sign-on and sign" }
                    }
                }
            }
        }
    };
    let frame = Frame::new(format!("Sign {title}"), Section::Entity(kind))
        .crumb(kind.label_plural(), Some(list_href(kind, site)))
        .crumb(title.clone(), Some(detail_href(kind, id)))
        .crumb("Sign", None)
        .switch_to(format!("/{}", kind.plural()));
    Ok((status, layout::page(&shell, frame, body)).into_response())
}

pub(super) async fn submit<T: Table>(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let kind = T::KIND;
    let id = parse_id(kind, &id)?;
    let p = Params::parse(&body);
    let form = SignForm {
        meaning: p.get("meaning").unwrap_or("").to_owned(),
        reason: p.get("reason").unwrap_or("").to_owned(),
    };
    let password = p.raw("password");
    let code = p.get("code").map(str::to_owned);
    let uid = ctx.actor.user_id.ok_or_else(|| AppError::Forbidden("Only accounts can sign.".into()))?;
    let user = s.app.user(&ctx, uid).await?;

    let mut problems = Problems::default();
    let meaning = if form.meaning.is_empty() { None } else { Meaning::parse(&form.meaning).ok() };
    if meaning.is_none() {
        problems.add("meaning", "Meaning is required: choose what your signature means.");
    }
    if password.is_empty() {
        problems.add("password", "Password is required to sign.");
    }
    if user.totp_enrolled && code.is_none() {
        problems.add("code", "Code from your authenticator app is required to sign.");
    }
    let (_, sha) = current::<T>(&s, &ctx, id).await?;
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if p.get("record_sha256").is_some_and(|shown| shown != sha) {
        problems.banner = Some(
            "The record changed while the signature page was open. Review the current version below, then sign it."
                .into(),
        );
        status = StatusCode::CONFLICT;
    }
    let Some(meaning) = meaning.filter(|_| problems.is_empty()) else {
        return render::<T>(&s, &ctx, id, &form, &problems, status).await;
    };
    let reason = Some(form.reason.clone()).filter(|r| !r.is_empty());
    let reauth = Reauth::Password { password: password.to_owned(), code };
    match s.app.sign::<T>(&ctx, id, meaning, reason, reauth).await {
        Ok(_) => Ok(Redirect::to(&format!("{}#signatures", detail_href(kind, id))).into_response()),
        Err(AppError::Unauthenticated(_)) => {
            let message = if user.totp_enrolled {
                "Password or code is wrong: the signature was not recorded."
            } else {
                "Password is wrong: the signature was not recorded."
            };
            let problems = Problems::field("password", message);
            render::<T>(&s, &ctx, id, &form, &problems, StatusCode::UNAUTHORIZED).await
        }
        Err(AppError::Forbidden(m)) => {
            let problems = Problems::banner(format!("You cannot sign this {}: {m}.", kind.label().to_lowercase()));
            render::<T>(&s, &ctx, id, &form, &problems, StatusCode::FORBIDDEN).await
        }
        Err(AppError::Throttled(secs)) => {
            let problems = Problems::banner(format!(
                "Too many failed attempts. Try again in {} minutes.",
                secs.div_ceil(60).max(1)
            ));
            render::<T>(&s, &ctx, id, &form, &problems, StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(AppError::Invalid(v)) => {
            let problems = Problems::from_invalid(
                &v,
                &[("meaning", "meaning", "Meaning"), ("reason", "reason", "Reason"), ("code", "code", "Code")],
            );
            render::<T>(&s, &ctx, id, &form, &problems, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict(m)) => {
            render::<T>(&s, &ctx, id, &form, &Problems::banner(m), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}
