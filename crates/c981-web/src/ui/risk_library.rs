//! Pages around the risk register: the IIoT threat library (the shipped templates and the
//! organisation's own, with import and editing for administrators and ISMS managers of every
//! site), suggested risks from the facts (review as a risk, dismiss with a reason, restore),
//! the heatmaps of inherent and residual risk (a site, or the group with a per-site roll-up),
//! and the assessment periods (close a period, read it, compare two periods or a period and
//! today).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use c981_app::risk_library::{PeriodComparison, Suggestion, TemplateView};
use c981_app::{AppError, Ctx};
use c981_domain::iec62443;
use c981_domain::{AssetKind, EntityKind, SiteId, ZoneKind, annex_a};
use maud::{Markup, PreEscaped, html};
use serde_json::Value;

use super::render::{Names, badge, ref_link};
use super::{Frame, Params, Section, Shell, UiError, csrf_input, layout, url};
use crate::{AppState, UiCtx};

/// The largest template file the import page takes.
const TEMPLATE_UPLOAD_LIMIT: usize = c981_app::risk_library::MAX_TEMPLATE_FILE;

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/threat-library", get(library))
        .route("/threat-library/new", get(template_new).post(template_create))
        .route(
            "/threat-library/import",
            post(template_import).layer(axum::extract::DefaultBodyLimit::max(TEMPLATE_UPLOAD_LIMIT + 64 * 1024)),
        )
        .route("/threat-library/{id}", get(template_page))
        .route("/threat-library/{id}/edit", get(template_edit).post(template_update))
        .route("/threat-library/{id}/delete", post(template_delete))
        .route("/risks/suggestions", get(suggestions))
        .route("/risks/suggestions/dismiss", post(dismiss))
        .route("/risks/suggestions/restore", post(restore))
        .route("/risks/heatmap", get(heatmap))
        .route("/risks/periods", get(periods).post(close_period))
        .route("/risks/periods/compare", get(compare))
        .route("/risks/periods/{id}", get(period))
}

fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

fn may_change_organisation(ctx: &Ctx) -> bool {
    c981_app::risk_library::may_change_organisation(ctx)
}

fn risks_frame(title: &str, crumb: &str, switch_to: &str, shell: &Shell) -> Frame {
    Frame::new(title, Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some(shell.href("/risks")))
        .crumb(crumb, None)
        .switch_to(switch_to)
}

// ---------------------------------------------------------------------------------------
// The threat library

fn kinds_list<T: Copy>(items: &[T], label: impl Fn(T) -> &'static str) -> String {
    items.iter().map(|k| label(*k)).collect::<Vec<_>>().join(", ")
}

async fn library(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let asset = match params.get("asset_kind") {
        Some(k) => Some(AssetKind::parse(k).map_err(|m| UiError::BadRequest(format!("asset_kind: {m}")))?),
        None => None,
    };
    let zone = match params.get("zone_kind") {
        Some(k) => Some(ZoneKind::parse(k).map_err(|m| UiError::BadRequest(format!("zone_kind: {m}")))?),
        None => None,
    };
    let text = params.get("q").map(str::to_lowercase);
    let all = s.app.threat_templates(&ctx).await?;
    let total = all.len();
    let items: Vec<&TemplateView> = all
        .iter()
        .filter(|t| asset.is_none_or(|k| t.template.fits_asset(k)) && zone.is_none_or(|k| t.template.fits_zone(k)))
        .filter(|t| {
            text.as_deref().is_none_or(|q| {
                t.template.title.to_lowercase().contains(q)
                    || t.template.id.to_lowercase().contains(q)
                    || t.template.threat_event.to_lowercase().contains(q)
            })
        })
        .collect();
    let admin = may_change_organisation(&ctx);
    let notice = params.get("imported").map(|n| n.to_owned());
    let body = html! {
        div.page-head {
            div {
                h1 { "Threat library" }
                p.subtitle { (total) " risk scenario templates for industrial IoT and OT: a starting point for each risk, never its result." }
            }
            div.page-actions {
                @if admin { a.btn.btn-primary href="/threat-library/new" { "New template" } }
                a.btn href=(shell.href("/risks/suggestions")) { "Suggested risks" }
                a.btn.btn-ghost href=(shell.href("/risks")) { "Risk register" }
            }
        }
        @if let Some(n) = &notice { div.alert.alert-ok role="status" { p { (n) } } }
        form.filters method="get" action="/threat-library" role="search" aria-label="Filter templates" {
            @if let Some(site) = shell.site { input type="hidden" name="site_id" value=(site); }
            div.filter.filter-q {
                label for="q" { "Search" }
                input #q type="search" name="q" value=(params.get("q").unwrap_or("")) placeholder="Title, id or threat event";
            }
            div.filter {
                label for="flt-asset" { "Fits asset kind" }
                select #flt-asset name="asset_kind" data-autosubmit {
                    option value="" selected[asset.is_none()] { "Any" }
                    @for k in AssetKind::ALL { option value=(k.as_str()) selected[asset == Some(*k)] { (k.label()) } }
                }
            }
            div.filter {
                label for="flt-zone" { "Fits zone kind" }
                select #flt-zone name="zone_kind" data-autosubmit {
                    option value="" selected[zone.is_none()] { "Any" }
                    @for k in ZoneKind::ALL { option value=(k.as_str()) selected[zone == Some(*k)] { (k.label()) } }
                }
            }
            div.filter.filter-buttons { button.btn type="submit" { "Apply" } }
        }
        p.count role="status" { strong { (items.len()) } " of " (total) " templates" }
        div.table-wrap {
            table.data {
                thead { tr {
                    th scope="col" { "Id" } th scope="col" { "Template" } th scope="col" { "Fits assets" }
                    th scope="col" { "Fits zones" } th scope="col" { "Annex A" } th scope="col" { "IEC 62443-3-3" } th scope="col" { "" }
                } }
                tbody {
                    @for t in &items {
                        @let id = t.template.id.as_ref();
                        tr {
                            td.nowrap { a.mono href=(format!("/threat-library/{id}")) { (id) } }
                            td { a.rowlink href=(format!("/threat-library/{id}")) { (t.template.title) } " " @if t.builtin { (badge("muted", "shipped")) } @else { (badge("info", "ours")) } }
                            td { (kinds_list(&t.template.asset_kinds, |k: AssetKind| k.label())) }
                            td { (kinds_list(&t.template.zone_kinds, |k: ZoneKind| k.label())) }
                            td.mono { (t.template.controls.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                            td.mono { (t.template.requirements.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                            td.nowrap { a.btn.btn-small href=(url("/risks/new", &[("template", id.to_owned()), ("site_id", shell.site_param())])) { "Use for a risk" } }
                        }
                    }
                }
            }
        }
        @if admin {
            section.card aria-labelledby="import-h" {
                h2 #import-h { "Import templates" }
                p { "A JSON file holding an array of templates (or " span.mono { "{\"templates\": [...]}" } "), each with the fields of " a href="/threat-library/T-LAPTOP-LOST" { "a shipped template" } ". "
                    "Ids of your own templates use a prefix of your own (T- is reserved). All of them are stored, or none; every problem is named by its position and field." }
                form method="post" action="/threat-library/import" enctype="multipart/form-data" {
                    (csrf_input())
                    div.field {
                        label for="f-file" { "Template file (JSON, at most " (TEMPLATE_UPLOAD_LIMIT / 1024 / 1024) " MiB)" }
                        input #f-file type="file" name="file" accept=".json,application/json" required;
                    }
                    div.form-actions { button.btn.btn-primary type="submit" { "Import" } }
                }
            }
        }
    };
    let frame = Frame::new("Threat library", Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some(shell.href("/risks")))
        .crumb("Threat library", None)
        .switch_to("/threat-library");
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

async fn template_page(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let t = s.app.threat_template(&ctx, &id).await?;
    let model = s.app.risk_model(&ctx).await?;
    let (likelihood, impacts) = c981_app::risk_library::hints_for(&t.template, &model.model);
    let tt = &t.template;
    let admin = may_change_organisation(&ctx) && !t.builtin;
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Threat template · " span.mono { (tt.id) } " " @if t.builtin { (badge("muted", "shipped")) } @else { (badge("info", "ours")) } }
                h1 { (tt.title) }
            }
            div.page-actions {
                a.btn.btn-primary href=(url("/risks/new", &[("template", tt.id.to_string()), ("site_id", shell.site_param())])) { "Use for a new risk" }
                @if admin { a.btn href=(format!("/threat-library/{}/edit", tt.id)) { "Edit" } }
            }
        }
        section.card aria-labelledby="sc-h" {
            h2 #sc-h { "Scenario" }
            dl.fields {
                div.fieldrow.wide { dt { "Threat source" } dd { div.prose { (tt.threat_source) } } }
                div.fieldrow.wide { dt { "Threat event" } dd { div.prose { (tt.threat_event) } } }
                div.fieldrow.wide { dt { "Vulnerability" } dd { div.prose { (tt.vulnerability) } } }
                div.fieldrow.wide { dt { "Consequence" } dd { div.prose { (tt.consequence) } } }
                div.fieldrow { dt { "Fits assets" } dd { (kinds_list(&tt.asset_kinds, |k: AssetKind| k.label())) } }
                div.fieldrow { dt { "Fits zones" } dd { (kinds_list(&tt.zone_kinds, |k: ZoneKind| k.label())) } }
            }
        }
        section.card aria-labelledby="hint-h" {
            h2 #hint-h { "Hints under risk model version " (model.version) }
            p.muted { "The assessor adapts every value to the plant." }
            dl.fields {
                div.fieldrow { dt { "Likelihood" } dd { (likelihood) " " (model.model.likelihood.get(usize::from(likelihood) - 1).map(|l| l.name.to_string()).unwrap_or_default()) } }
                @for d in &model.model.dimensions {
                    div.fieldrow { dt { (d.name) } dd {
                        @match impacts.get(d.key.as_str()) {
                            Some(l) => { (l) " " (model.model.impact_levels.get(usize::from(*l) - 1).map(|x| x.name.to_string()).unwrap_or_default()) },
                            None => span.none { "—" },
                        }
                    } }
                }
            }
        }
        section.card aria-labelledby="ctl-h" {
            h2 #ctl-h { "Suggested controls" }
            ul {
                @for c in tt.controls.iter() {
                    li { span.mono { (c) } " " (annex_a::control(*c).map(|x| x.title).unwrap_or("")) }
                }
            }
            h3 { "IEC 62443-3-3 requirements" }
            ul {
                @for r in tt.requirements.iter() {
                    li { span.mono { (r) } " " (iec62443::requirement(*r).map(|x| x.title).unwrap_or("")) }
                }
            }
        }
        @if admin {
            section.card.danger aria-labelledby="del-h" {
                h2 #del-h { "Delete this template" }
                p { "Risks drawn from it keep naming it as their origin." }
                form method="post" action=(format!("/threat-library/{}/delete", tt.id)) {
                    (csrf_input())
                    @if let Some(v) = t.version { input type="hidden" name="version" value=(v); }
                    button.btn.btn-danger type="submit" { "Delete" }
                }
            }
        }
    };
    let frame = Frame::new(tt.title.to_string(), Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some(shell.href("/risks")))
        .crumb("Threat library", Some(shell.href("/threat-library")))
        .crumb(tt.id.to_string(), None)
        .switch_to("/threat-library");
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

/// The JSON editor of one of the organisation's templates.
async fn template_editor(
    s: &AppState,
    ctx: &Ctx,
    id: Option<&str>,
    text: &str,
    version: Option<i64>,
    problem: Option<&AppError>,
    status: StatusCode,
) -> Result<Response, UiError> {
    if !may_change_organisation(ctx) {
        return Err(UiError::App(AppError::Forbidden(
            "changing the threat library needs the administrator or ISMS manager role on every site".into(),
        )));
    }
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let errors: Vec<(String, String)> = match problem {
        Some(AppError::Invalid(v)) => v.errors.iter().map(|e| (e.field.clone(), e.message.clone())).collect(),
        Some(other) => vec![(String::new(), other.to_string())],
        None => Vec::new(),
    };
    let action = match id {
        Some(id) => format!("/threat-library/{id}/edit"),
        None => "/threat-library/new".to_owned(),
    };
    let title = match id {
        Some(id) => format!("Edit template {id}"),
        None => "New threat template".to_owned(),
    };
    let body = html! {
        div.page-head { div { h1 { (title) } } }
        @if !errors.is_empty() {
            div.alert.alert-bad role="alert" {
                p { strong { "The template was not saved:" } }
                ul { @for (f, m) in &errors { li { @if !f.is_empty() { span.mono { (f) } ": " } (m) } } }
            }
        }
        form.entity-form method="post" action=(action) {
            (csrf_input())
            @if let Some(v) = version { input type="hidden" name="version" value=(v); }
            div.field.wide {
                label for="f-doc" { "Template (JSON)" }
                textarea.mono #f-doc name="doc" rows="28" spellcheck="false" { (text) }
                p.help { "Asset kinds and zone kinds as in the inventory; impacts 1 to 5 per dimension (safety, production_continuity, product_quality, integrity, confidentiality, financial); Annex A control ids; IEC 62443-3-3 SR or RE ids." }
            }
            div.form-actions {
                button.btn.btn-primary type="submit" { "Save template" }
                a.btn.btn-ghost href="/threat-library" { "Cancel" }
            }
        }
    };
    let frame = Frame::new(title.clone(), Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some(shell.href("/risks")))
        .crumb("Threat library", Some("/threat-library".into()))
        .crumb(title, None);
    Ok(respond(status, layout::page(&shell, frame, body)))
}

const SKELETON: &str = r#"{
  "id": "ACME-EXAMPLE",
  "title": "",
  "threat_source": "",
  "threat_event": "",
  "vulnerability": "",
  "consequence": "",
  "asset_kinds": ["plc"],
  "zone_kinds": ["control"],
  "impacts": { "safety": 1, "production_continuity": 1, "product_quality": 1, "integrity": 1, "confidentiality": 1, "financial": 1 },
  "likelihood": 3,
  "controls": ["8.20"],
  "requirements": ["SR 5.1"]
}"#;

async fn template_new(State(s): State<AppState>, UiCtx(ctx): UiCtx) -> Result<Response, UiError> {
    template_editor(&s, &ctx, None, SKELETON, None, None, StatusCode::OK).await
}

fn parse_doc(text: &str) -> Result<Value, AppError> {
    serde_json::from_str(text).map_err(|e| {
        AppError::field("doc", format!("is not valid JSON: line {}, column {}: {e}", e.line(), e.column()))
    })
}

async fn template_create(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let text = p.raw("doc").to_owned();
    let result = match parse_doc(&text) {
        Ok(doc) => {
            let id = doc.get("id").and_then(Value::as_str).unwrap_or("").to_owned();
            s.app.put_threat_template(&ctx, &id, &doc, None).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => Ok(Redirect::to(&format!("/threat-library/{}", t.template.id)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            template_editor(&s, &ctx, None, &text, None, Some(&e), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn template_edit(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let t = s.app.threat_template(&ctx, &id).await?;
    if t.builtin {
        return Err(UiError::App(AppError::Conflict(format!(
            "{id} is a shipped template: copy it under an id of your own to change it"
        ))));
    }
    let text = serde_json::to_string_pretty(&t.template).unwrap_or_default();
    template_editor(&s, &ctx, Some(&t.template.id), &text, t.version, None, StatusCode::OK).await
}

async fn template_update(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let text = p.raw("doc").to_owned();
    let version = p.get("version").and_then(|v| v.parse::<i64>().ok());
    let result = match parse_doc(&text) {
        Ok(doc) => s.app.put_threat_template(&ctx, &id, &doc, version).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => Ok(Redirect::to(&format!("/threat-library/{}", t.template.id)).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            template_editor(&s, &ctx, Some(&id), &text, version, Some(&e), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn template_delete(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let version = p.get("version").and_then(|v| v.parse::<i64>().ok());
    s.app.delete_threat_template(&ctx, &id, version).await?;
    Ok(Redirect::to("/threat-library").into_response())
}

async fn template_import(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    mut multipart: Multipart,
) -> Result<Response, UiError> {
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| UiError::BadRequest(format!("the upload: {e}")))? {
        if field.name() == Some("file") {
            let name =
                field.file_name().unwrap_or("upload.json").chars().filter(|c| !c.is_control()).take(200).collect();
            let bytes = field.bytes().await.map_err(|e| UiError::BadRequest(format!("the upload: {e}")))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let Some((name, bytes)) = file else {
        return Err(UiError::BadRequest("choose a file to import".into()));
    };
    match s.app.import_threat_templates(&ctx, &name, &bytes).await {
        Ok(sum) => {
            let msg = format!(
                "{name}: {} created, {} updated, {} unchanged (SHA-256 {}).",
                sum.created, sum.updated, sum.unchanged, sum.sha256
            );
            Ok(Redirect::to(&url("/threat-library", &[("imported", msg)])).into_response())
        }
        Err(AppError::Invalid(v)) => {
            let shell = Shell::load(&s, &ctx, &Params::default()).await?;
            let body = html! {
                div.page-head { div { h1 { "The import was refused" } p.subtitle { "Nothing was stored." } } }
                div.alert.alert-bad role="alert" {
                    ul { @for e in &v.errors { li { span.mono { (e.field) } ": " (e.message) } } }
                }
                p { a.btn href="/threat-library" { "Back to the library" } }
            };
            let frame = risks_frame("Import refused", "Threat library", "/threat-library", &shell);
            Ok(respond(StatusCode::UNPROCESSABLE_ENTITY, layout::page(&shell, frame, body)))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Suggestions

fn source_tone(s: &Suggestion) -> &'static str {
    match s.weight {
        4 => "bad",
        3 => "warn",
        _ => "info",
    }
}

async fn suggestions(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let site = shell.site.or_else(|| (shell.sites.len() == 1).then(|| shell.sites[0].id));
    let Some(site) = site else {
        let body = html! {
            div.page-head { div { h1 { "Suggested risks" } p.subtitle { "Choose a site: suggestions come from the facts of one plant." } } }
            ul.choose { @for x in &shell.sites { li { a href=(url("/risks/suggestions", &[("site_id", x.id.to_string())])) { (x.code) " – " (x.name) } } } }
        };
        let frame = risks_frame("Suggested risks", "Suggestions", "/risks/suggestions", &shell);
        return Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)));
    };
    let shell = shell.with_site(Some(site));
    let all = s.app.risk_suggestions(&ctx, Some(SiteId::new(site)), true).await?;
    let (dismissed, open): (Vec<&Suggestion>, Vec<&Suggestion>) = all.iter().partition(|x| x.dismissed.is_some());
    let writes = ctx.actor.may_write_site(SiteId::new(site));
    let names = Names::new(&shell, &s.app);
    let links = |x: &Suggestion| {
        let n = |v: &[i64], what: &str| if v.is_empty() { String::new() } else { format!("{} {what}", v.len()) };
        [n(&x.zone_ids, "zones"), n(&x.conduit_ids, "conduits"), n(&x.asset_ids, "assets"), n(&x.flow_ids, "flows")]
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let body = html! {
        div.page-head {
            div {
                h1 { "Suggested risks" }
                p.subtitle { (ref_link(EntityKind::Site, site, &names)) " · " (open.len()) " open, " (dismissed.len()) " dismissed" }
            }
            div.page-actions {
                a.btn href=(shell.href("/risks")) { "Risk register" }
                a.btn.btn-ghost href=(shell.href("/findings")) { "Findings" }
                a.btn.btn-ghost href=(shell.href("/paths")) { "Paths" }
            }
        }
        p.lead { "Proposed from the facts: cross-domain paths into control and safety zones, flows without conduits, unencrypted flows across trust boundaries, devices past their end of support and devices seen on the network but never confirmed. "
            "None enters the register by itself: review one as a risk (the form opens filled in; nothing is stored until you save it), or dismiss it with a reason." }
        @if open.is_empty() {
            div.empty { p.empty-title { "No open suggestion" } p { "The facts of this site suggest nothing that is not already in the register or dismissed." } }
        }
        @for x in &open {
            section.card.suggestion aria-label=(x.title) {
                p.kicker { (badge(source_tone(x), x.source.label())) " · template " a.mono href=(format!("/threat-library/{}", x.template_id)) { (x.template_id) } }
                h2 { (x.title) }
                @for f in &x.facts { p { (f) } }
                @let l = links(x);
                @if !l.is_empty() { p.muted { "Records named: " (l) } }
                @if writes {
                    div.form-actions {
                        a.btn.btn-primary href=(url("/risks/new", &[("site_id", site.to_string()), ("suggestion", x.key.clone())])) { "Review as a risk" }
                    }
                    details {
                        summary { "Dismiss…" }
                        form method="post" action="/risks/suggestions/dismiss" {
                            (csrf_input())
                            input type="hidden" name="site_id" value=(site);
                            input type="hidden" name="key" value=(x.key);
                            div.field.wide {
                                label for=(format!("r-{}", x.key)) { "Why this does not become a risk" }
                                textarea id=(format!("r-{}", x.key)) name="reason" rows="2" required maxlength="2000" {}
                            }
                            button.btn type="submit" { "Dismiss" }
                        }
                    }
                }
            }
        }
        @if !dismissed.is_empty() {
            section.card aria-labelledby="dis-h" {
                h2 #dis-h { "Dismissed" }
                div.table-wrap {
                    table.data {
                        thead { tr { th scope="col" { "Suggestion" } th scope="col" { "Reason" } th scope="col" { "By" } th scope="col" { "When" } th scope="col" { "" } } }
                        tbody {
                            @for x in &dismissed {
                                @let d = x.dismissed.as_ref();
                                tr {
                                    td { (x.title) }
                                    td { (d.map(|d| d.reason.clone()).unwrap_or_default()) }
                                    td { (d.map(|d| d.by.clone()).unwrap_or_default()) }
                                    td.nowrap { (d.map(|d| d.at.to_string()).unwrap_or_default()) }
                                    td {
                                        @if writes {
                                            form method="post" action="/risks/suggestions/restore" {
                                                (csrf_input())
                                                input type="hidden" name="site_id" value=(site);
                                                input type="hidden" name="key" value=(x.key);
                                                button.btn.btn-small type="submit" { "Restore" }
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
    };
    let frame = risks_frame("Suggested risks", "Suggestions", "/risks/suggestions", &shell);
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

fn site_of_form(p: &Params) -> Result<SiteId, UiError> {
    SiteId::parse(p.get("site_id").unwrap_or("")).map_err(|m| UiError::BadRequest(format!("site_id: {m}")))
}

async fn dismiss(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let site = site_of_form(&p)?;
    let key = p.get("key").unwrap_or("").to_owned();
    match s.app.dismiss_risk_suggestion(&ctx, site, &key, p.raw("reason")).await {
        Ok(()) => Ok(Redirect::to(&url("/risks/suggestions", &[("site_id", site.to_string())])).into_response()),
        Err(AppError::Invalid(v)) => Err(UiError::BadRequest(v.summary())),
        Err(e) => Err(e.into()),
    }
}

async fn restore(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let site = site_of_form(&p)?;
    s.app.restore_risk_suggestion(&ctx, site, p.get("key").unwrap_or("")).await?;
    Ok(Redirect::to(&url("/risks/suggestions", &[("site_id", site.to_string())])).into_response())
}

// ---------------------------------------------------------------------------------------
// Heatmaps

async fn heatmap(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let site = shell.site.map(SiteId::new);
    let inherent = crate::heatmap::svg(&s, &ctx, site, false, true).await?;
    let residual = crate::heatmap::svg(&s, &ctx, site, true, true).await?;
    let h = s.app.risk_heatmap(&ctx, site).await?;
    let model = s.app.risk_model(&ctx).await?;
    let names = Names::new(&shell, &s.app);
    let svg_href = |rating: &str| {
        url("/api/v1/risk-heatmap.svg", &[("site_id", shell.site_param()), ("rating", rating.to_owned())])
    };
    let body = html! {
        div.page-head {
            div {
                h1 { "Risk heatmap" }
                p.subtitle { @match shell.selected() { Some(x) => { (x.code) " – " (x.name) }, None => "All your sites" } " · " (h.total) " open risks" }
            }
            div.page-actions {
                a.btn href=(shell.href("/risks")) { "Risk register" }
                a.btn.btn-ghost href=(svg_href("inherent")) download="inherent-risk.svg" { "Download inherent (SVG)" }
                a.btn.btn-ghost href=(svg_href("residual")) download="residual-risk.svg" { "Download residual (SVG)" }
            }
        }
        div.heatmaps {
            figure.heatmap { (PreEscaped(inherent)) figcaption { "Inherent: without the controls the treatments add." } }
            figure.heatmap { (PreEscaped(residual)) figcaption { "Residual: once the treatment is in place." } }
        }
        @if site.is_none() && !h.by_site.is_empty() {
            section.card aria-labelledby="roll-h" {
                h2 #roll-h { "By site" }
                div.table-wrap {
                    table.data {
                        thead { tr {
                            th scope="col" { "Site" }
                            @for lv in &model.model.risk_levels { th scope="col" .num { "Residual " (lv.name) } }
                            @for lv in &model.model.risk_levels { th scope="col" .num { "Inherent " (lv.name) } }
                        } }
                        tbody {
                            @for row in &h.by_site {
                                tr {
                                    td { a href=(url("/risks/heatmap", &[("site_id", row.site_id.to_string())])) { (names.name(EntityKind::Site, row.site_id.get()).unwrap_or("?")) } }
                                    @for n in &row.residual { td.num { (n) } }
                                    @for n in &row.inherent { td.num { (n) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let frame = risks_frame("Risk heatmap", "Heatmap", "/risks/heatmap", &shell);
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

// ---------------------------------------------------------------------------------------
// Assessment periods

async fn periods(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let list = s.app.risk_periods(&ctx).await?;
    let admin = may_change_organisation(&ctx);
    let problem = params.get("problem").map(str::to_owned);
    let body = html! {
        div.page-head {
            div {
                h1 { "Assessment periods" }
                p.subtitle { "The register frozen at each review, to compare with later ones." }
            }
            div.page-actions { a.btn href=(shell.href("/risks")) { "Risk register" } }
        }
        @if let Some(p) = &problem { div.alert.alert-bad role="alert" { p { (p) } } }
        @if list.is_empty() {
            div.empty { p.empty-title { "No period closed yet" } p { "Close the current assessment (for instance at the yearly review) to keep the register as it stood." } }
        } @else {
            form.filters method="get" action="/risks/periods/compare" aria-label="Compare periods" {
                @if let Some(site) = shell.site { input type="hidden" name="site_id" value=(site); }
                div.filter {
                    label for="c-from" { "Compare" }
                    select #c-from name="from" { @for p in &list { option value=(p.id) { (p.name) } } }
                }
                div.filter {
                    label for="c-to" { "with" }
                    select #c-to name="to" {
                        option value="current" { "today's register" }
                        @for p in list.iter().rev() { option value=(p.id) { (p.name) } }
                    }
                }
                div.filter.filter-buttons { button.btn type="submit" { "Compare" } }
            }
            div.table-wrap {
                table.data {
                    thead { tr { th scope="col" { "Period" } th scope="col" { "Closed" } th scope="col" { "By" } th scope="col" .num { "Risks" } th scope="col" .num { "Model" } th scope="col" { "Note" } } }
                    tbody {
                        @for p in &list {
                            tr {
                                td { a href=(url(&format!("/risks/periods/{}", p.id), &[("site_id", shell.site_param())])) { (p.name) } }
                                td.nowrap { (p.closed_at.to_string()) }
                                td { (p.closed_by) }
                                td.num { (p.risk_count) }
                                td.num { (p.model_version) }
                                td { (p.note) }
                            }
                        }
                    }
                }
            }
        }
        @if admin {
            section.card aria-labelledby="close-h" {
                h2 #close-h { "Close the current assessment" }
                p { "Freezes the register of every site as it stands now under the name you give; the register goes on as the next period's assessment." }
                form.entity-form method="post" action="/risks/periods" {
                    (csrf_input())
                    div.form-grid {
                        div.field { label for="p-name" { "Name" } input #p-name type="text" name="name" required maxlength="100" placeholder="2026 review"; }
                        div.field.wide { label for="p-note" { "Note" } textarea #p-note name="note" rows="2" maxlength="2000" {} }
                    }
                    div.form-actions { button.btn.btn-primary type="submit" { "Close the period" } }
                }
            }
        }
    };
    let frame = risks_frame("Assessment periods", "Periods", "/risks/periods", &shell);
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

async fn close_period(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    match s.app.close_risk_period(&ctx, p.raw("name"), p.raw("note")).await {
        Ok(period) => Ok(Redirect::to(&format!("/risks/periods/{}", period.id)).into_response()),
        Err(AppError::Invalid(v)) => {
            Ok(Redirect::to(&url("/risks/periods", &[("problem", v.summary())])).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) if s.is_empty() => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "—".to_owned(),
        other => other.to_string(),
    }
}

async fn period(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let id = super::pages::parse_id(EntityKind::RiskPeriod, &id)?;
    let (p, risks) = s.app.risk_period_risks(&ctx, id, shell.site.map(SiteId::new)).await?;
    let model = s.app.risk_model(&ctx).await?;
    let names = Names::new(&shell, &s.app);
    let level = |v: &Value| v.as_u64().map_or("—".to_owned(), |l| model.model.level_label(l as u8));
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Assessment period" }
                h1 { (p.name) }
                p.subtitle { "Closed " (p.closed_at.to_string()) " by " (p.closed_by) " · " (risks.len()) " risks of your sites · model version " (p.model_version) }
            }
            div.page-actions {
                a.btn href=(url("/risks/periods/compare", &[("from", p.id.to_string()), ("to", "current".into()), ("site_id", shell.site_param())])) { "Compare with today" }
                a.btn.btn-ghost href="/risks/periods" { "All periods" }
            }
        }
        @if !p.note.is_empty() { p { (p.note) } }
        div.table-wrap {
            table.data {
                thead { tr { th scope="col" .num { "Id" } th scope="col" { "Site" } th scope="col" { "Risk" } th scope="col" { "State" } th scope="col" { "Inherent" } th scope="col" { "Residual" } th scope="col" { "Owner" } } }
                tbody {
                    @for r in &risks {
                        tr {
                            td.num { (show(&r["id"])) }
                            td { @if let Some(x) = r["site_id"].as_i64() { (ref_link(EntityKind::Site, x, &names)) } }
                            td { (show(&r["title"])) }
                            td { (show(&r["state"])) }
                            td { (level(&r["inherent_level"])) }
                            td { (level(&r["residual_level"])) }
                            td { (show(&r["risk_owner"])) }
                        }
                    }
                }
            }
        }
    };
    let frame = Frame::new(p.name.clone(), Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some(shell.href("/risks")))
        .crumb("Periods", Some("/risks/periods".into()))
        .crumb(p.name.clone(), None)
        .switch_to(format!("/risks/periods/{}", p.id));
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

async fn compare(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let from = params
        .get("from")
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| UiError::BadRequest("from: choose a period".into()))?;
    let to = match params.get("to") {
        None | Some("current") => None,
        Some(t) => Some(t.parse::<i64>().map_err(|_| UiError::BadRequest(format!("to: {t:?} is not a period")))?),
    };
    let c: PeriodComparison = s.app.compare_risk_periods(&ctx, from, to, shell.site.map(SiteId::new)).await?;
    let names = Names::new(&shell, &s.app);
    let body = html! {
        div.page-head {
            div {
                h1 { "From " (c.from) " to " (c.to) }
                p.subtitle { (c.added) " added · " (c.removed) " removed · " (c.changed) " changed · " (c.unchanged) " unchanged" }
            }
            div.page-actions { a.btn.btn-ghost href="/risks/periods" { "All periods" } }
        }
        @if c.risks.is_empty() {
            div.empty { p.empty-title { "Nothing changed" } }
        } @else {
            div.table-wrap {
                table.data {
                    thead { tr { th scope="col" .num { "Risk" } th scope="col" { "Site" } th scope="col" { "Title" } th scope="col" { "Change" } th scope="col" { "What changed" } } }
                    tbody {
                        @for r in &c.risks {
                            tr {
                                td.num { @if r.change == "removed" { (r.risk_id) } @else { a href=(format!("/risks/{}", r.risk_id)) { (r.risk_id) } } }
                                td { (ref_link(EntityKind::Site, r.site_id.get(), &names)) }
                                td { (r.title) }
                                td { (badge(match r.change { "added" => "ok", "removed" => "bad", _ => "info" }, r.change)) }
                                td {
                                    @if !r.fields.is_empty() {
                                        ul.plain {
                                            @for f in &r.fields {
                                                li { span.mono { (f.field) } ": " (show(&f.old)) " → " (show(&f.new)) }
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
    };
    let frame = risks_frame("Compare periods", "Compare periods", "/risks/periods", &shell);
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}
