//! The ISMS pages: the Statement of Applicability of a scope (completeness, coverage as a
//! picture, the 93 controls by theme with filters, frozen versions, freezing for approval,
//! exports and the evidence bundle), the form that decides one control (with the informative
//! suggestions from IEC 62443 work in the scope's zones and the control's crosswalk links), a
//! frozen version with its signatures, the comparison of two statements, the printable
//! statement, the dashboard over the group, the crosswalk and the catalogues, and the upload of
//! an evidence file.
//!
//! The records themselves (scopes, entries, evidence) have the generic pages (`pages`); a
//! frozen version is signed on the generic signature page (`sign`) under `/soa-versions`.
//! Everything is read and written through the use cases of `c981_app::soa`, which keep every
//! page within the caller's sites.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use c981_app::signature::{Meaning, SignatureStatus};
use c981_app::soa::{ApprovalState, CatalogSummary, Coverage, SoaLine, SoaView, VersionSummary};
use c981_app::soa_export::Which;
use c981_app::{AppError, Ctx, ListParams, Role};
use c981_domain::annex_a::{self, ControlId, Theme};
use c981_domain::entity::Entity;
use c981_domain::iso27001::Relationship;
use c981_domain::{
    Applicability, ControlStatus, EntityKind, Evidence, EvidenceKind, Record, Risk, SiteId, SoaEntry, SoaEntryInput,
    SoaVersion,
};
use maud::{Markup, html};
use serde_json::Value;

use super::forms::FormErrors;
use super::kit::{self, Input, Problems};
use super::pages::parse_id;
use super::render::{self, Names, Obj, as_id, badge, ref_link, text_of};
use super::{Frame, Params, Section, Shell, UiError, csrf_input, layout, sign, url};
use crate::api_inventory::clean_name;
use crate::api_soa::{MAX_CATALOG_BYTES, MAX_EVIDENCE_BYTES};
use crate::{AppState, UiCtx};

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/soa", get(dashboard))
        .route("/scopes/{id}/soa", get(statement))
        .route("/scopes/{id}/soa/freeze", post(freeze))
        .route("/scopes/{id}/soa/compare", get(compare))
        .route("/scopes/{id}/soa/print", get(print))
        .route("/scopes/{id}/soa/versions/{number}", get(version_page))
        .route("/scopes/{id}/soa/{control}", get(entry_form).post(entry_save))
        .route("/soa-versions", get(versions_list))
        .route("/soa-versions/{id}", get(version_by_id))
        .route("/soa-versions/{id}/history", get(version_by_id))
        .route("/soa-versions/{id}/sign", get(sign::form::<SoaVersion>).post(sign::submit::<SoaVersion>))
        .route(
            "/evidence/{id}/upload",
            get(upload_page).post(upload).layer(DefaultBodyLimit::max(MAX_EVIDENCE_BYTES + 64 * 1024)),
        )
        .route("/crosswalk", get(crosswalk).post(crosswalk_save))
        .route("/crosswalk/{id}/delete", post(crosswalk_delete))
        .route(
            "/catalogs",
            get(catalogs).post(catalog_import).layer(DefaultBodyLimit::max(MAX_CATALOG_BYTES + 64 * 1024)),
        )
        .route("/catalogs/{key}", get(catalog_items))
}

fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

fn statement_href(scope: i64) -> String {
    format!("/scopes/{scope}/soa")
}

fn entry_href(scope: i64, control: &str) -> String {
    format!("/scopes/{scope}/soa/{control}")
}

fn version_href(scope: i64, number: i64) -> String {
    format!("/scopes/{scope}/soa/versions/{number}")
}

fn export_href(scope: i64, format: &str, version: &str) -> String {
    url(
        &format!("/api/v1/scopes/{scope}/soa-export"),
        &[("format", format.to_owned()), ("version", version.to_owned())],
    )
}

/// A control id from the path; an unknown one is "not found".
fn parse_control(raw: &str) -> Result<ControlId, UiError> {
    ControlId::parse(raw).map_err(|m| UiError::NotFound(format!("{raw:?} is not an Annex A control: {m}.")))
}

/// May change the crosswalk and import catalogues: they serve every site (the use cases
/// decide; this only chooses whether the forms are offered).
fn may_edit_catalogues(ctx: &Ctx) -> bool {
    !ctx.actor.read_only
        && (ctx.actor.is_admin() || ctx.actor.grants.iter().any(|g| g.role == Role::IsmsManager && g.site.is_none()))
}

fn none() -> Markup {
    html! { span.none title="Not set" { "—" } }
}

fn applicability_label(raw: &str) -> &'static str {
    Applicability::parse(raw).map_or("Not decided", Applicability::label)
}

fn status_label(raw: &str) -> &'static str {
    ControlStatus::parse(raw).map_or("Not started", ControlStatus::label)
}

fn applicability_badge(raw: &str) -> Markup {
    match raw {
        "applicable" => badge("info", "Applicable"),
        "not_applicable" => badge("neutral", "Not applicable"),
        _ => badge("warn", "Not decided"),
    }
}

/// The implementation status of an applicable control (nothing for the others).
fn status_badge(l: &SoaLine) -> Markup {
    if l.applicability != "applicable" {
        return none();
    }
    match l.status.as_str() {
        "implemented" => badge("ok", "Implemented"),
        "partial" => badge("info", "Partially implemented"),
        "planned" => badge("warn", "Planned"),
        _ => badge("bad", "Not started"),
    }
}

fn approval_tone(a: ApprovalState) -> &'static str {
    match a {
        ApprovalState::Approved => "ok",
        ApprovalState::ChangedSinceApproval => "warn",
        ApprovalState::AwaitingApproval => "info",
        ApprovalState::Draft => "neutral",
    }
}

/// The class of a statement row: the colour of its state at the row's start.
fn row_class(l: &SoaLine) -> &'static str {
    match (l.applicability.as_str(), l.status.as_str()) {
        ("applicable", "implemented") => "soa-row st-implemented",
        ("applicable", "partial") => "soa-row st-partial",
        ("applicable", "planned") => "soa-row st-planned",
        ("applicable", _) => "soa-row st-not-started",
        ("not_applicable", _) => "soa-row st-not-applicable",
        _ => "soa-row st-undecided",
    }
}

/// "the working statement" or "version 3": a `from` or `to` of a comparison in words.
fn which_label(w: &str) -> String {
    if w.trim().eq_ignore_ascii_case("current") {
        "the working statement".to_owned()
    } else {
        format!("version {}", w.trim().trim_start_matches(['v', 'V']))
    }
}

// ---------------------------------------------------------------------------------------
// Pictures

/// One part of a stacked bar.
struct Seg {
    label: &'static str,
    n: usize,
    fill: &'static str,
    /// The colour of its number on the bar.
    ink: &'static str,
}

fn coverage_segments(c: &Coverage) -> Vec<Seg> {
    vec![
        Seg { label: "Implemented", n: c.implemented, fill: "#3a9b53", ink: "#ffffff" },
        Seg { label: "Partially implemented", n: c.partial, fill: "#e3c21a", ink: "#1b2430" },
        Seg { label: "Planned", n: c.planned, fill: "#e07b00", ink: "#ffffff" },
        Seg { label: "Not started", n: c.not_started, fill: "#c0392b", ink: "#ffffff" },
        Seg { label: "Not applicable", n: c.not_applicable, fill: "#98a2b3", ink: "#1b2430" },
        Seg { label: "Not decided", n: c.undecided, fill: "#ffffff", ink: "#1b2430" },
    ]
}

fn approval_segments(counts: &std::collections::BTreeMap<String, usize>) -> Vec<Seg> {
    let n = |a: ApprovalState| counts.get(a.label()).copied().unwrap_or(0);
    vec![
        Seg { label: "Approved", n: n(ApprovalState::Approved), fill: "#3a9b53", ink: "#ffffff" },
        Seg {
            label: "Changed since approval",
            n: n(ApprovalState::ChangedSinceApproval),
            fill: "#e3c21a",
            ink: "#1b2430",
        },
        Seg { label: "Awaiting approval", n: n(ApprovalState::AwaitingApproval), fill: "#6f9de0", ink: "#ffffff" },
        Seg { label: "Draft", n: n(ApprovalState::Draft), fill: "#98a2b3", ink: "#1b2430" },
    ]
}

fn num(x: f64) -> String {
    format!("{x:.2}")
}

/// A stacked horizontal bar as SVG: each part as wide as its share, its count on it, and (in
/// the large form) a legend that names every part with its count, so the picture reads in
/// black and white too.
fn stacked_bar(title: &str, segs: &[Seg], large: bool) -> Markup {
    let total: usize = segs.iter().map(|s| s.n).sum();
    let (w, bar_h) = if large { (960.0_f64, 30.0_f64) } else { (160.0, 12.0) };
    let per_row = 3;
    let legend_rows = if large { segs.len().div_ceil(per_row) } else { 0 };
    let h = if large { bar_h + 14.0 + 22.0 * legend_rows as f64 } else { bar_h };
    let summary = segs.iter().map(|s| format!("{} {}", s.label.to_lowercase(), s.n)).collect::<Vec<_>>().join(", ");
    let label = format!("{title}: {summary}");
    let mut parts = Vec::new();
    let mut x = 0.0;
    for s in segs {
        if s.n == 0 || total == 0 {
            continue;
        }
        let sw = w * s.n as f64 / total as f64;
        parts.push((x, sw, s));
        x += sw;
    }
    html! {
        svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {w} {h}")) width=(w) height=(h) role="img"
            aria-label=(label) font-family="system-ui, -apple-system, Segoe UI, sans-serif" {
            title { (label) }
            rect x="0" y="0" width=(w) height=(bar_h) fill="#f3f5f8" stroke="#cfd6df" stroke-width="1" {}
            @for (x, sw, s) in &parts {
                rect x=(num(*x)) y="0" width=(num(*sw)) height=(bar_h) fill=(s.fill)
                    stroke=(if s.fill == "#ffffff" { "#98a2b3" } else { "#ffffff" }) stroke-width="1" {
                    title { (s.label) ": " (s.n) }
                }
                @if large && *sw >= 26.0 {
                    text x=(num(x + sw / 2.0)) y=(num(bar_h / 2.0 + 4.5)) text-anchor="middle" font-size="13"
                        font-weight="600" fill=(s.ink) { (s.n) }
                }
            }
            @if large {
                @for (i, s) in segs.iter().enumerate() {
                    @let lx = (i % per_row) as f64 * (w / per_row as f64);
                    @let ly = bar_h + 14.0 + (i / per_row) as f64 * 22.0;
                    rect x=(num(lx)) y=(num(ly)) width="14" height="14" fill=(s.fill) stroke="#667085" stroke-width="1" {}
                    text x=(num(lx + 20.0)) y=(num(ly + 12.0)) font-size="13" fill="#1b2430" { (s.label) ": " (s.n) }
                }
            }
        }
    }
}

fn coverage_bar(title: &str, c: &Coverage, large: bool) -> Markup {
    stacked_bar(title, &coverage_segments(c), large)
}

/// Implemented controls as a share of the applicable ones.
fn implemented_pct(c: &Coverage) -> Option<usize> {
    (c.applicable > 0).then(|| (c.implemented * 100 + c.applicable / 2) / c.applicable)
}

// ---------------------------------------------------------------------------------------
// The statement

/// A message above the statement.
enum Banner {
    Ok(String),
    Bad(String),
}

async fn statement(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Scope, &id)?;
    let params = Params::from_query(q.as_deref());
    let banner = params
        .get("saved")
        .and_then(|c| ControlId::parse(c).ok())
        .map(|c| Banner::Ok(format!("The decision for control {c} was saved.")));
    render_statement(&s, &ctx, id, &params, banner, "", StatusCode::OK).await
}

async fn freeze(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Scope, &id)?;
    let p = Params::parse(&body);
    let note = p.get("note").unwrap_or("").to_owned();
    match s.app.freeze_soa(&ctx, id, &note).await {
        Ok(v) => Ok(Redirect::to(&version_href(id, v.data.number)).into_response()),
        Err(AppError::Conflict(m)) => {
            let banner = Banner::Bad(format!("The statement was not frozen: {m}."));
            render_statement(&s, &ctx, id, &Params::default(), Some(banner), &note, StatusCode::CONFLICT).await
        }
        Err(AppError::Forbidden(m)) => {
            let banner = Banner::Bad(format!("The statement was not frozen: {m}."));
            render_statement(&s, &ctx, id, &Params::default(), Some(banner), &note, StatusCode::FORBIDDEN).await
        }
        Err(AppError::Invalid(v)) => {
            let banner = Banner::Bad(format!("The statement was not frozen: {}.", v.summary()));
            render_statement(&s, &ctx, id, &Params::default(), Some(banner), &note, StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(e) => Err(e.into()),
    }
}

fn control_links(scope: i64, ids: &[String]) -> Markup {
    html! {
        @for (i, c) in ids.iter().enumerate() {
            @if i > 0 { ", " }
            a.mono href=(entry_href(scope, c)) { (c) }
        }
    }
}

/// The version selector of the export and bundle forms.
fn version_options(versions: &[VersionSummary], with_latest: bool, current_first: bool) -> Markup {
    html! {
        @if current_first { option value="current" { "The working statement" } }
        @if with_latest && !versions.is_empty() { option value="latest" { "The latest frozen version" } }
        @for v in versions.iter().rev() { option value=(v.number) { "Version " (v.number) } }
        @if !current_first { option value="current" { "The working statement" } }
    }
}

async fn render_statement(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    params: &Params,
    banner: Option<Banner>,
    note: &str,
    status: StatusCode,
) -> Result<Response, UiError> {
    let view = s.app.soa_view(ctx, id).await?;
    let doc = &view.doc;
    let site = doc.site.id;
    let shell = Shell::load(s, ctx, &Params::default()).await?.with_site(Some(site));
    let names = Names::new(&shell, &s.app);
    let today = s.app.today().to_string();
    let writes = ctx.actor.may_write_site(SiteId::new(site));
    let bundles = ctx.actor.grants.iter().any(|g| g.role.may_read_audit() && g.covers(SiteId::new(site)));
    let theme = params.get("theme").and_then(|t| Theme::parse(t).ok());
    let applicability = params.get("applicability").and_then(|a| Applicability::parse(a).ok());
    let state = params.get("status").and_then(|a| ControlStatus::parse(a).ok());
    let lines: Vec<&SoaLine> = doc
        .lines
        .iter()
        .filter(|l| theme.is_none_or(|t| l.theme == t.label()))
        .filter(|l| applicability.is_none_or(|a| l.applicability == a.as_str()))
        .filter(|l| state.is_none_or(|st| l.applicability == "applicable" && l.status == st.as_str()))
        .collect();
    let filtered = theme.is_some() || applicability.is_some() || state.is_some();
    let base = statement_href(id);
    let next = view.versions.last().map_or(1, |v| v.number + 1);
    let c = &view.coverage;
    let comp = &view.completeness;
    let latest = view.versions.last();
    let filter_href = |k: &str, v: &str| url(&base, &[(k, v.to_owned())]);
    let year_start = format!("{}-01-01", today.get(..4).unwrap_or("2026"));
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Statement of Applicability · " (ref_link(EntityKind::Site, site, &names)) }
                h1 { (doc.scope.name) }
                p.subtitle { (doc.catalog) " · " (c.controls) " controls" }
            }
            div.page-actions {
                a.btn href=(format!("/scopes/{id}")) { "Scope record" }
                a.btn href=(format!("{base}/print")) { "Printable page" }
                @if let Some(v) = latest { a.btn.btn-ghost href=(version_href(id, v.number)) { "Version " (v.number) } }
            }
        }
        @match &banner {
            Some(Banner::Ok(m)) => div.alert.alert-ok role="status" { p { strong { (m) } } },
            Some(Banner::Bad(m)) => div.alert.alert-bad role="alert" { p { strong { (m) } } },
            None => {},
        }
        @if comp.complete {
            div.alert.alert-ok.soa-completeness role="status" {
                p {
                    strong { "Complete" } ": every one of the " (c.controls) " controls is decided, and every decision is justified."
                    @match latest {
                        Some(v) if !view.changed_since_latest => { " It is version " (v.number) " as frozen." }
                        Some(v) => { " It changed since version " (v.number) ": freeze it as version " (next) " for approval." }
                        None => { " Freeze it as version 1 for approval." }
                    }
                }
            }
        } @else {
            div.alert.alert-warn.soa-completeness role="status" {
                p {
                    strong { "Incomplete" } ": " (comp.undecided.len()) " undecided, " (comp.unjustified.len()) " unjustified. "
                    "It cannot be frozen for approval until every control is decided and every decision is justified."
                }
                @if !comp.undecided.is_empty() {
                    p { "Not decided: " (control_links(id, &comp.undecided)) }
                }
                @if !comp.unjustified.is_empty() {
                    p { "Decided without a justification: " (control_links(id, &comp.unjustified)) }
                }
            }
        }
        section.card aria-labelledby="coverage-h" {
            h2 #coverage-h { "Coverage" }
            figure.soa-bar {
                (coverage_bar("Coverage of the Annex A controls", c, true))
                figcaption.help {
                    (c.applicable) " of " (c.controls) " controls applicable"
                    @if let Some(p) = implemented_pct(c) { ", " (p) " % of them implemented" }
                    "; " (c.not_applicable) " not applicable; " (c.undecided) " not decided."
                }
            }
            ul.stats {
                li { a.stat href=(filter_href("applicability", "applicable")) { span.stat-n { (c.applicable) } span.stat-l { "Applicable" } } }
                li { a.stat href=(filter_href("applicability", "not_applicable")) { span.stat-n { (c.not_applicable) } span.stat-l { "Not applicable" } } }
                li { a.stat href=(filter_href("applicability", "undecided")) { span.stat-n { (c.undecided) } span.stat-l { "Not decided" } } }
                li { a.stat href=(filter_href("status", "implemented")) { span.stat-n { (c.implemented) } span.stat-l { "Implemented" } } }
                li { div.stat { span.stat-n { (c.without_evidence) } span.stat-l { "Applicable without evidence" } } }
                li { div.stat { span.stat-n { (c.overdue) } span.stat-l { "Reviews overdue" } } }
            }
        }
        form.filters method="get" action=(base) role="search" aria-label="Filter the controls" {
            div.filter {
                label for="flt-theme" { "Theme" }
                select #flt-theme name="theme" data-autosubmit {
                    option value="" selected[theme.is_none()] { "Any" }
                    @for t in Theme::ALL { option value=(t.as_str()) selected[theme == Some(*t)] { (t.label()) } }
                }
            }
            div.filter {
                label for="flt-applicability" { "Applicability" }
                select #flt-applicability name="applicability" data-autosubmit {
                    option value="" selected[applicability.is_none()] { "Any" }
                    @for a in Applicability::ALL { option value=(a.as_str()) selected[applicability == Some(*a)] { (a.label()) } }
                }
            }
            div.filter {
                label for="flt-status" { "Implementation" }
                select #flt-status name="status" data-autosubmit {
                    option value="" selected[state.is_none()] { "Any" }
                    @for st in ControlStatus::ALL { option value=(st.as_str()) selected[state == Some(*st)] { (st.label()) } }
                }
            }
            div.filter.filter-buttons {
                button.btn type="submit" { "Apply" }
                @if filtered { a.btn.btn-ghost href=(base) { "Clear" } }
            }
        }
        p.count role="status" {
            strong { (lines.len()) } " of " (doc.lines.len()) " controls"
            @if filtered { " match these filters" }
        }
        @if lines.is_empty() {
            div.empty { p.empty-title { "No control matches these filters" } p { a.btn href=(base) { "Clear the filters" } } }
        }
        @for t in Theme::ALL {
            @let rows: Vec<&&SoaLine> = lines.iter().filter(|l| l.theme == t.label()).collect();
            @if !rows.is_empty() {
                section.card.soa-theme aria-labelledby=(format!("theme-{}", t.as_str())) {
                    div.card-head {
                        h2 id=(format!("theme-{}", t.as_str())) {
                            (t.label()) " " span.muted { "(clause " (t.clause()) ")" } " " span.count-badge { (rows.len()) }
                        }
                    }
                    div.table-wrap {
                        table.data.soa-table {
                            thead {
                                tr {
                                    th scope="col" { "Control" }
                                    th scope="col" { "Title" }
                                    th scope="col" { "Applicability" }
                                    th scope="col" { "Status" }
                                    th scope="col" { "Owner" }
                                    th scope="col" .num { "Risks" }
                                    th scope="col" .num { "Evidence" }
                                    th scope="col" { "Next review" }
                                    th scope="col" .num { "Suggestions" }
                                    th scope="col" { span.visually-hidden { "Actions" } }
                                }
                            }
                            tbody {
                                @for l in rows {
                                    @let href = entry_href(id, &l.control);
                                    @let suggestions = view.suggestions.get(&l.control).map_or(0, Vec::len);
                                    @let overdue = l.next_review.as_deref().is_some_and(|d| d < today.as_str());
                                    tr id=(format!("c-{}", l.control)) class=(row_class(l)) {
                                        td.mono.nowrap { a.rowlink href=(href) { (l.control) } }
                                        td { (l.title) }
                                        td { (applicability_badge(&l.applicability)) }
                                        td { (status_badge(l)) }
                                        td { @if l.owner.is_empty() { (none()) } @else { (l.owner) } }
                                        td.num { (l.risks.len()) }
                                        td.num {
                                            @if l.evidence.is_empty() && l.applicability == "applicable" {
                                                span.warn-text title="Applicable without evidence" { "0" }
                                            } @else { (l.evidence.len()) }
                                        }
                                        td.nowrap {
                                            @match &l.next_review {
                                                Some(d) => { (d) @if overdue { " " (badge("bad", "overdue")) } },
                                                None => (none()),
                                            }
                                        }
                                        td.num {
                                            @if suggestions > 0 { a href=(format!("{href}#suggestions")) title="Informative suggestions from IEC 62443" { (suggestions) } }
                                            @else { span.none { "0" } }
                                        }
                                        td { a.btn.btn-small href=(href) aria-label=(format!("Edit control {}", l.control)) { "Edit" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="versions-h" {
            div.card-head {
                h2 #versions-h { "Frozen versions" " " span.count-badge { (view.versions.len()) } }
            }
            @if view.versions.is_empty() {
                div.empty.empty-small {
                    p { "Not frozen yet. Once every control is decided and justified, freeze the statement as version 1; "
                        "the approver signs that version with the meaning \u{201c}approved\u{201d}." }
                }
            } @else {
                (versions_table(id, &view.versions))
                (compare_form(id, &view.versions, &latest.map_or("current".to_owned(), |v| v.number.to_string()), "current"))
            }
        }
        @if writes {
            section.card aria-labelledby="freeze-h" {
                h2 #freeze-h { "Freeze for approval" }
                p {
                    "Freezing keeps the scope and its " (c.controls) " decisions as they stand now as version " (next)
                    ", the record an approver signs. A version is never changed; later decisions go into the next one."
                }
                @if !comp.complete {
                    p.help { "It is refused while the statement is incomplete (" (comp.undecided.len()) " undecided, " (comp.unjustified.len()) " unjustified)." }
                }
                form method="post" action=(format!("{base}/freeze")) {
                    (csrf_input())
                    div.field {
                        label for="f-note" { "What changed, for the approvers" }
                        textarea #f-note name="note" rows="2" maxlength="2000" aria-describedby="h-note" { (note) }
                        p.help #h-note { "Optional, e.g. \u{201c}Annual review 2026: 8.20 implemented, 5.23 added for the cloud historian\u{201d}." }
                    }
                    div.form-actions {
                        button.btn.btn-primary type="submit" { "Freeze as version " (next) " for approval" }
                    }
                }
            }
        }
        section.card aria-labelledby="export-h" {
            h2 #export-h { "Export" }
            p { "The working statement:" }
            p.actions {
                a.btn.btn-small href=(export_href(id, "xlsx", "current")) { "XLSX" }
                a.btn.btn-small href=(export_href(id, "csv", "current")) { "CSV" }
                a.btn.btn-small href=(export_href(id, "pdf", "current")) { "PDF" }
                a.btn.btn-small href=(format!("{base}/print")) { "Printable page" }
                a.btn.btn-small href=(export_href(id, "oscal-catalog", "current")) { "OSCAL catalog" }
                a.btn.btn-small href=(export_href(id, "oscal-profile", "current")) { "OSCAL profile" }
                a.btn.btn-small href=(export_href(id, "oscal-ssp", "current")) { "OSCAL SSP" }
            }
            form.inline-form method="get" action=(format!("/api/v1/scopes/{id}/soa-export")) aria-label="Export a version" {
                div.field {
                    label for="x-format" { "Format" }
                    select #x-format name="format" {
                        option value="xlsx" { "XLSX (spreadsheet)" }
                        option value="csv" { "CSV" }
                        option value="pdf" { "PDF" }
                        option value="oscal-catalog" { "OSCAL catalog (JSON)" }
                        option value="oscal-profile" { "OSCAL profile (JSON)" }
                        option value="oscal-ssp" { "OSCAL system security plan (JSON)" }
                    }
                }
                div.field {
                    label for="x-version" { "Of" }
                    select #x-version name="version" { (version_options(&view.versions, true, true)) }
                }
                button.btn type="submit" { "Download" }
            }
            h3.top-gap #bundle-h { "Audit evidence bundle" }
            p.help {
                "A ZIP for the auditor: the statement (XLSX, PDF, OSCAL), the risk register of the site, the scope, "
                "the site's audit trail for the period and the uploaded evidence files, with a manifest of their SHA-256 hashes."
            }
            @if bundles {
                form.inline-form method="get" action=(format!("/api/v1/scopes/{id}/evidence-bundle")) aria-labelledby="bundle-h" {
                    div.field {
                        label for="b-from" { "From" }
                        input #b-from type="date" name="from" value=(year_start) required;
                    }
                    div.field {
                        label for="b-to" { "To" }
                        input #b-to type="date" name="to" value=(today) required;
                    }
                    div.field {
                        label for="b-version" { "Statement" }
                        select #b-version name="version" { (version_options(&view.versions, true, view.versions.is_empty())) }
                    }
                    button.btn type="submit" { "Download the bundle" }
                }
            } @else {
                p.help { "Building it needs the auditor, ISMS manager or administrator role on this site: it holds an audit-trail extract." }
            }
        }
        section.card aria-labelledby="scope-h" {
            div.card-head {
                h2 #scope-h { "The scope" }
                div.card-actions {
                    a.btn.btn-small href=(format!("/scopes/{id}")) { "Open" }
                    @if writes { a.btn.btn-small.btn-ghost href=(format!("/scopes/{id}/edit")) { "Edit the scope" } }
                }
            }
            (scope_fields(&doc.scope))
        }
    };
    let frame = Frame::new(format!("Statement of Applicability – {}", doc.scope.name), Section::Soa)
        .crumb("Statements of Applicability", Some(url("/soa", &[("site_id", site.to_string())])))
        .crumb(doc.scope.name.clone(), None)
        .switch_to("/soa");
    Ok(respond(status, layout::page(&shell, frame, body)))
}

fn versions_table(scope: i64, versions: &[VersionSummary]) -> Markup {
    html! {
        div.table-wrap {
            table.data {
                thead {
                    tr {
                        th scope="col" .num { "Version" }
                        th scope="col" { "Note" }
                        th scope="col" { "Frozen at" }
                        th scope="col" { "Frozen by" }
                        th scope="col" { "Approved by" }
                    }
                }
                tbody {
                    @for v in versions.iter().rev() {
                        tr {
                            td.num { a.rowlink href=(version_href(scope, v.number)) { "Version " (v.number) } }
                            td { @if v.note.is_empty() { (none()) } @else { div.prose { (v.note) } } }
                            td.nowrap { (render::time(&v.frozen_at.to_string())) }
                            td { (v.frozen_by) }
                            td {
                                @if v.approved_by.is_empty() { (badge("info", "Awaiting approval")) }
                                @else { (v.approved_by.join(", ")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn compare_form(scope: i64, versions: &[VersionSummary], from: &str, to: &str) -> Markup {
    let options = |current: &str| {
        html! {
            option value="current" selected[current == "current"] { "The working statement" }
            @for v in versions.iter().rev() {
                option value=(v.number) selected[current == v.number.to_string()] { "Version " (v.number) }
            }
        }
    };
    html! {
        form.inline-form method="get" action=(format!("/scopes/{scope}/soa/compare")) aria-label="Compare two statements" {
            div.field {
                label for="cmp-from" { "Compare" }
                select #cmp-from name="from" { (options(from)) }
            }
            div.field {
                label for="cmp-to" { "with" }
                select #cmp-to name="to" { (options(to)) }
            }
            button.btn type="submit" { "Compare" }
        }
    }
}

fn scope_fields(s: &c981_app::soa::ScopeDoc) -> Markup {
    let names = |v: &[c981_app::soa::Named], kind: EntityKind| {
        html! {
            @if v.is_empty() { (none()) }
            @for (i, n) in v.iter().enumerate() {
                @if i > 0 { ", " }
                a href=(format!("/{}/{}", kind.plural(), n.id)) { (n.name) }
            }
        }
    };
    let list = |v: &[String]| html! { @if v.is_empty() { (none()) } @else { (v.join(", ")) } };
    html! {
        dl.fields {
            div.fieldrow.wide { dt { "Scope statement" } dd { div.prose { (s.statement) } } }
            div.fieldrow { dt { "Zones" } dd { (names(&s.zones, EntityKind::Zone)) } }
            div.fieldrow { dt { "Systems under consideration" } dd { (names(&s.systems, EntityKind::System)) } }
            div.fieldrow { dt { "Systems and services" } dd { (list(&s.services)) } }
            div.fieldrow { dt { "Teams" } dd { (list(&s.teams)) } }
            div.fieldrow.wide { dt { "Exclusions" } dd { div.prose { (s.exclusions) } } }
            div.fieldrow { dt { "Owner" } dd { @if s.owner.is_empty() { (none()) } @else { (s.owner) } } }
            div.fieldrow { dt { "Next review" } dd { @match &s.next_review { Some(d) => (d), None => (none()) } } }
        }
        @if !s.interfaces.is_empty() {
            h3.top-gap { "Interfaces to systems outside the scope" }
            div.table-wrap {
                table.data {
                    thead { tr { th scope="col" { "Interface" } th scope="col" { "Outside system" } th scope="col" { "Responsible party" } th scope="col" { "Boundary and its risk" } } }
                    tbody {
                        @for i in &s.interfaces {
                            tr {
                                td { a href=(format!("/interfaces/{}", i.id)) { (i.name) } }
                                td { (i.external_system) }
                                td { (i.responsible_party) }
                                td { div.prose { (i.boundary) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The controls of a statement as a read-only table: every column of the export.
fn lines_table(lines: &[&SoaLine], scope_links: Option<i64>) -> Markup {
    html! {
        div.table-wrap {
            table.data.print-table.soa-table {
                thead {
                    tr {
                        th scope="col" { "Control" }
                        th scope="col" { "Title" }
                        th scope="col" { "Decision" }
                        th scope="col" { "Justification" }
                        th scope="col" { "Status" }
                        th scope="col" { "How it is implemented" }
                        th scope="col" { "Owner" }
                        th scope="col" { "Risks treated" }
                        th scope="col" { "Evidence" }
                        th scope="col" { "IEC 62443-3-3" }
                        th scope="col" { "Next review" }
                    }
                }
                tbody {
                    @for l in lines {
                        tr class=(row_class(l)) {
                            td.mono.nowrap {
                                @match scope_links { Some(s) => a href=(entry_href(s, &l.control)) { (l.control) }, None => (l.control) }
                            }
                            td { (l.title) }
                            td { (applicability_label(&l.applicability)) }
                            td { (l.justification) }
                            td { @if l.applicability == "applicable" { (status_label(&l.status)) } }
                            td { (l.implementation) }
                            td { (l.owner) }
                            td { @for (i, r) in l.risks.iter().enumerate() { @if i > 0 { "; " } "R-" (r.id) " " (r.name) } }
                            td {
                                @for (i, e) in l.evidence.iter().enumerate() {
                                    @if i > 0 { "; " }
                                    (e.title) " (" (e.evidence_date) ")"
                                    @if let Some(h) = &e.sha256 { " " span.mono.small title=(h) { "SHA-256 " (h.get(..12).unwrap_or(h)) "…" } }
                                }
                            }
                            td.mono { (l.requirements.join("; ")) }
                            td.nowrap { @if let Some(d) = &l.next_review { (d) } }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// One control's decision

/// The decision form's values, as typed.
#[derive(Debug, Clone, Default)]
struct EntryForm {
    applicability: String,
    justification: String,
    status: String,
    implementation: String,
    owner: String,
    risk_ids: Vec<String>,
    evidence_ids: Vec<String>,
    requirements: String,
    next_review: String,
    /// The entry version the person saw (0: no entry yet).
    version: i64,
    reason: String,
}

impl EntryForm {
    fn of_line(l: &SoaLine) -> Self {
        Self {
            applicability: l.applicability.clone(),
            justification: l.justification.clone(),
            status: l.status.clone(),
            implementation: l.implementation.clone(),
            owner: l.owner.clone(),
            risk_ids: l.risks.iter().map(|r| r.id.to_string()).collect(),
            evidence_ids: l.evidence.iter().map(|e| e.id.to_string()).collect(),
            requirements: l.requirements.join(", "),
            next_review: l.next_review.clone().unwrap_or_default(),
            version: l.entry_version.unwrap_or(0),
            reason: String::new(),
        }
    }

    fn of_params(p: &Params) -> Result<Self, UiError> {
        let version = match p.get("version") {
            Some(v) => v.parse::<i64>().map_err(|_| UiError::BadRequest(format!("version: {v:?} is not a version")))?,
            None => 0,
        };
        let ids = |k: &str| p.all(k).into_iter().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect();
        Ok(Self {
            applicability: p.get("applicability").unwrap_or("").to_owned(),
            justification: p.raw("justification").to_owned(),
            status: p.get("status").unwrap_or("").to_owned(),
            implementation: p.raw("implementation").to_owned(),
            owner: p.get("owner").unwrap_or("").to_owned(),
            risk_ids: ids("risk_ids"),
            evidence_ids: ids("evidence_ids"),
            requirements: p.raw("requirements").to_owned(),
            next_review: p.get("next_review").unwrap_or("").to_owned(),
            version,
            reason: p.get("reason").unwrap_or("").to_owned(),
        })
    }

    fn input(&self) -> SoaEntryInput {
        let opt = |s: &str| Some(s.to_owned()).filter(|v| !v.trim().is_empty());
        SoaEntryInput {
            applicability: opt(&self.applicability),
            justification: Some(self.justification.clone()),
            status: opt(&self.status),
            implementation: Some(self.implementation.clone()),
            owner: Some(self.owner.clone()),
            risk_ids: self.risk_ids.clone(),
            evidence_ids: self.evidence_ids.clone(),
            requirements: c981_domain::split_list(&self.requirements),
            next_review: opt(&self.next_review),
            ..Default::default()
        }
    }
}

async fn entry_form(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path((id, control)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Scope, &id)?;
    let control = parse_control(&control)?;
    let view = s.app.soa_view(&ctx, id).await?;
    let key = control.to_string();
    let form = view.doc.lines.iter().find(|l| l.control == key).map(EntryForm::of_line).unwrap_or_default();
    render_entry(&s, &ctx, id, &view, control, &form, &FormErrors::default(), StatusCode::OK).await
}

async fn entry_save(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path((id, control)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Scope, &id)?;
    let control = parse_control(&control)?;
    let p = Params::parse(&body);
    let form = EntryForm::of_params(&p)?;
    let ctx = ctx.with_reason(Some(form.reason.clone()).filter(|r| !r.is_empty()));
    let key = control.to_string();
    let (errors, status) = match s.app.set_soa_entry(&ctx, id, &key, Some(form.version), form.input()).await {
        Ok(_) => {
            return Ok(Redirect::to(&format!("{}?saved={key}#c-{key}", statement_href(id))).into_response());
        }
        Err(AppError::Invalid(v)) => {
            (FormErrors::from_validation(&v, SoaEntry::fields()), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::Conflict(m)) => (
            FormErrors::banner(format!(
                "{m}. Your changes are kept below; open the statement again to see the current decision."
            )),
            StatusCode::CONFLICT,
        ),
        Err(e) => return Err(e.into()),
    };
    let view = s.app.soa_view(&ctx, id).await?;
    render_entry(&s, &ctx, id, &view, control, &form, &errors, status).await
}

fn field_label(name: &str) -> &'static str {
    SoaEntry::fields().iter().find(|f| f.name == name).map_or("Field", |f| f.label)
}

fn field_class(errors: &FormErrors, name: &str, base: &str) -> String {
    if errors.by_field.contains_key(name) { format!("{base} invalid") } else { base.to_owned() }
}

fn field_errors(errors: &FormErrors, name: &str) -> Markup {
    html! {
        @if let Some(m) = errors.by_field.get(name) {
            p.field-error id=(format!("e-{name}")) { @for (i, msg) in m.iter().enumerate() { @if i > 0 { br; } (msg) } }
        }
    }
}

fn described(errors: &FormErrors, name: &str, help: bool) -> Option<String> {
    let mut v = Vec::new();
    if help {
        v.push(format!("h-{name}"));
    }
    if errors.by_field.contains_key(name) {
        v.push(format!("e-{name}"));
    }
    (!v.is_empty()).then(|| v.join(" "))
}

#[allow(clippy::too_many_arguments)]
async fn render_entry(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    view: &SoaView,
    control: ControlId,
    form: &EntryForm,
    errors: &FormErrors,
    status: StatusCode,
) -> Result<Response, UiError> {
    let doc = &view.doc;
    let site = doc.site.id;
    let sid = SiteId::new(site);
    let key = control.to_string();
    let line = doc
        .lines
        .iter()
        .find(|l| l.control == key)
        .ok_or_else(|| UiError::NotFound(format!("Control {key} is not in this statement.")))?;
    let p = ListParams { site_id: Some(sid), limit: Some(1000), ..Default::default() };
    let risks: Vec<Record<Risk>> = s.app.list::<Risk>(ctx, &p).await?.items;
    let evidence: Vec<Record<Evidence>> = s.app.list::<Evidence>(ctx, &p).await?.items;
    let links = s.app.crosswalk(ctx, Some(&key), None).await?;
    let suggestions = view.suggestions.get(&key).map_or(&[][..], Vec::as_slice);
    let writes = ctx.actor.may_write_site(sid);
    let shell = Shell::load(s, ctx, &Params::default()).await?.with_site(Some(site));
    let names = Names::new(&shell, &s.app);
    let all = annex_a::controls();
    let pos = all.iter().position(|c| c.id == control);
    let prev = pos.and_then(|i| i.checked_sub(1)).and_then(|i| all.get(i));
    let next = pos.and_then(|i| all.get(i + 1));
    let action = entry_href(id, &key);
    let error_count = errors.by_field.len() + errors.other.len();
    let risk_checked = |rid: i64| form.risk_ids.iter().any(|r| r.trim() == rid.to_string());
    let ev_checked = |eid: i64| form.evidence_ids.iter().any(|r| r.trim() == eid.to_string());
    let title = format!("{key} {}", line.title);
    let body = html! {
        div.page-head {
            div {
                p.kicker {
                    (line.theme) " · " (ref_link(EntityKind::Site, site, &names)) " · "
                    a href=(statement_href(id)) { (doc.scope.name) }
                }
                h1 { span.mono { (key) } " " (line.title) }
                p.subtitle {
                    (applicability_badge(&line.applicability)) " " (status_badge(line))
                    @if let Some(e) = line.entry_id { " · " a href=(format!("/soa-entries/{e}")) { "entry " (e) } " (" a href=(format!("/soa-entries/{e}/history")) { "history" } ")" }
                }
            }
            div.page-actions {
                @if let Some(c) = prev { a.btn.btn-ghost href=(entry_href(id, &c.id.to_string())) rel="prev" { "← " (c.id) } }
                a.btn href=(format!("{}#c-{key}", statement_href(id))) { "Back to the statement" }
                @if let Some(c) = next { a.btn.btn-ghost href=(entry_href(id, &c.id.to_string())) rel="next" { (c.id) " →" } }
            }
        }
        @if !errors.by_field.is_empty() || !errors.other.is_empty() || errors.banner.is_some() {
            div.alert.alert-bad role="alert" {
                @if let Some(b) = &errors.banner { p { strong { (b) } } }
                @if error_count > 0 {
                    p { strong { @if error_count == 1 { "Please correct 1 field." } @else { "Please correct " (error_count) " fields." } } }
                    ul {
                        @for (name, msgs) in &errors.by_field {
                            li { a href=(format!("#f-{name}")) { (field_label(name)) } ": " (msgs.join("; ")) }
                        }
                        @for m in &errors.other { li { (m) } }
                    }
                }
            }
        }
        @if !writes {
            div.alert.alert-info role="status" { p { "You may read this decision; changing it needs a role that writes the records of this site." } }
        }
        form.entity-form method="post" action=(action) {
            (csrf_input())
            input type="hidden" name="version" value=(form.version);
            fieldset.plan-edit disabled[!writes] {
                legend.visually-hidden { "The decision for control " (key) }
                div.form-grid {
                    div class=(field_class(errors, "applicability", "field")) {
                        label for="f-applicability" { "Applicability" }
                        select #f-applicability name="applicability" aria-describedby=[described(errors, "applicability", false)] {
                            @for a in Applicability::ALL {
                                option value=(a.as_str()) selected[form.applicability == a.as_str()] { (a.label()) }
                            }
                        }
                        (field_errors(errors, "applicability"))
                    }
                    div class=(field_class(errors, "status", "field")) {
                        label for="f-status" { "Implementation status" }
                        select #f-status name="status" aria-describedby=[described(errors, "status", true)] {
                            @for st in ControlStatus::ALL {
                                option value=(st.as_str()) selected[form.status == st.as_str()] { (st.label()) }
                            }
                        }
                        p.help #h-status { "Of an applicable control; a control that does not apply stays \u{201c}not started\u{201d}." }
                        (field_errors(errors, "status"))
                    }
                    div class=(field_class(errors, "owner", "field")) {
                        label for="f-owner" { "Owner" }
                        input #f-owner type="text" name="owner" value=(form.owner) maxlength="200" autocomplete="off"
                            aria-describedby=[described(errors, "owner", true)];
                        p.help #h-owner { "A role or a name." }
                        (field_errors(errors, "owner"))
                    }
                    div class=(field_class(errors, "next_review", "field")) {
                        label for="f-next_review" { "Next review" }
                        input #f-next_review type="date" name="next_review" value=(form.next_review)
                            aria-describedby=[described(errors, "next_review", false)];
                        (field_errors(errors, "next_review"))
                    }
                    div class=(field_class(errors, "justification", "field wide")) {
                        label for="f-justification" { "Justification" }
                        textarea #f-justification name="justification" rows="4" aria-describedby=[described(errors, "justification", true)]
                            aria-invalid=[errors.by_field.contains_key("justification").then_some("true")] { (form.justification) }
                        p.help #h-justification {
                            "Why the control applies (the risks it treats, a legal or contractual requirement, a business need) "
                            "or why it does not apply to this scope: required either way."
                        }
                        (field_errors(errors, "justification"))
                    }
                    div class=(field_class(errors, "implementation", "field wide")) {
                        label for="f-implementation" { "How it is implemented" }
                        textarea #f-implementation name="implementation" rows="4" aria-describedby=[described(errors, "implementation", true)]
                            aria-invalid=[errors.by_field.contains_key("implementation").then_some("true")] { (form.implementation) }
                        p.help #h-implementation { "Required once the control is implemented or partially implemented." }
                        (field_errors(errors, "implementation"))
                    }
                    div class=(field_class(errors, "requirements", "field wide")) {
                        label for="f-requirements" { "IEC 62443-3-3 requirements" }
                        input.mono #f-requirements type="text" name="requirements" value=(form.requirements) autocomplete="off"
                            aria-describedby=[described(errors, "requirements", true)];
                        p.help #h-requirements { "The system requirements the control is met through, separated by commas: SR 1.1, SR 5.1 RE 1…" }
                        (field_errors(errors, "requirements"))
                    }
                    fieldset id="f-risk_ids" class=(field_class(errors, "risk_ids", "field wide")) aria-describedby=[described(errors, "risk_ids", true)] {
                        legend { "Risks treated" }
                        @if risks.is_empty() {
                            p.empty-inline { "This site has no risks in the register yet. " a href=(format!("/risks/new?site_id={site}")) { "Add a risk" } }
                        } @else {
                            div.checks {
                                @for r in &risks {
                                    @let rid = r.id.get();
                                    div.check {
                                        input type="checkbox" id=(format!("f-risk-{rid}")) name="risk_ids" value=(rid) checked[risk_checked(rid)];
                                        label for=(format!("f-risk-{rid}")) { span.mono { "R-" (rid) } " " (r.data.display_name()) }
                                    }
                                }
                            }
                        }
                        p.help #h-risk_ids { "The risks the control was selected for: the reason it is in the statement." }
                        (field_errors(errors, "risk_ids"))
                    }
                    fieldset id="f-evidence_ids" class=(field_class(errors, "evidence_ids", "field wide")) aria-describedby=[described(errors, "evidence_ids", true)] {
                        legend { "Evidence" }
                        @if evidence.is_empty() {
                            p.empty-inline { "This site has no evidence recorded yet. " a href=(format!("/evidence/new?site_id={site}")) { "Record evidence" } }
                        } @else {
                            div.checks {
                                @for e in &evidence {
                                    @let eid = e.id.get();
                                    div.check {
                                        input type="checkbox" id=(format!("f-ev-{eid}")) name="evidence_ids" value=(eid) checked[ev_checked(eid)];
                                        label for=(format!("f-ev-{eid}")) {
                                            (e.data.title) " " span.muted { "(" (e.data.evidence_date) ")" }
                                            @if e.data.sha256.is_some() && e.data.kind == EvidenceKind::File { " " (badge("neutral", "file")) }
                                        }
                                    }
                                }
                            }
                        }
                        p.help #h-evidence_ids { "What shows the control works. " a href=(format!("/evidence/new?site_id={site}")) { "Record new evidence" } }
                        (field_errors(errors, "evidence_ids"))
                    }
                    div.field.wide.reason {
                        label for="f-reason" { "Reason for the change" }
                        input #f-reason type="text" name="reason" value=(form.reason) maxlength="500" autocomplete="off" aria-describedby="h-reason";
                        p.help #h-reason { "Optional. Kept in the audit trail with the change." }
                    }
                }
                @if writes {
                    div.form-actions {
                        button.btn.btn-primary type="submit" { "Save the decision" }
                        a.btn.btn-ghost href=(format!("{}#c-{key}", statement_href(id))) { "Cancel" }
                    }
                }
            }
        }
        section.card.top-gap #suggestions aria-labelledby="suggestions-h" {
            div.card-head {
                h2 #suggestions-h { "Suggestions from IEC 62443" " " span.count-badge { (suggestions.len()) } }
                div.card-actions { (badge("info", "informative")) }
            }
            p.help {
                strong { "Informative — implementing an SR in a zone suggests evidence; you decide. " }
                "Each row is an IEC 62443-3-3 requirement recorded as implemented (or compensated) in a zone of this scope "
                "that the crosswalk relates to this control. Nothing here changes the decision by itself."
            }
            @if suggestions.is_empty() {
                div.empty.empty-small { p { "No implemented IEC 62443-3-3 requirement in the zones of this scope relates to this control through the crosswalk." } }
            } @else {
                div.table-wrap {
                    table.data {
                        thead {
                            tr {
                                th scope="col" { "Zone" }
                                th scope="col" { "Requirement" }
                                th scope="col" { "The control is" }
                                th scope="col" { "Status in the zone" }
                                th scope="col" { "Evidence recorded" }
                                th scope="col" { "In this decision" }
                            }
                        }
                        tbody {
                            @for g in suggestions {
                                tr {
                                    td { a href=(format!("/zones/{}", g.zone.id)) { @if g.zone.name.is_empty() { "Zone " (g.zone.id) } @else { (g.zone.name) } } }
                                    td { span.mono { (g.requirement) } " " (g.requirement_title) }
                                    td { (Relationship::parse(&g.relationship).map_or(g.relationship.as_str(), |r| r.label())) }
                                    td { a href=(format!("/requirement-statuses/{}", g.status_id)) { (g.status.replace('_', " ")) } }
                                    td { @if g.evidence.is_empty() { (none()) } @else { (g.evidence.join("; ")) } }
                                    td { @if g.linked { (badge("ok", "already linked")) } @else { (badge("neutral", "not linked")) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="xwalk-h" {
            div.card-head {
                h2 #xwalk-h { "Crosswalk of " (key) " " span.count-badge { (links.len()) } }
                div.card-actions { a.btn.btn-small.btn-ghost href=(url("/crosswalk", &[("control", key.clone())])) { "Open in the crosswalk" } }
            }
            (crosswalk_table(&links, false, ""))
        }
    };
    let frame = Frame::new(format!("{title} – {}", doc.scope.name), Section::Soa)
        .crumb("Statements of Applicability", Some(url("/soa", &[("site_id", site.to_string())])))
        .crumb(doc.scope.name.clone(), Some(statement_href(id)))
        .crumb(format!("Control {key}"), None)
        .switch_to("/soa");
    Ok(respond(status, layout::page(&shell, frame, body)))
}

// ---------------------------------------------------------------------------------------
// Frozen versions

async fn versions_list(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let shell = Shell::load(&s, &ctx, &Params::from_query(q.as_deref())).await?;
    Ok(Redirect::to(&url("/soa", &[("site_id", shell.site_param())])).into_response())
}

/// `/soa-versions/{id}` (where signatures and the audit trail point): the version's page.
async fn version_by_id(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::SoaVersion, &id)?;
    let v = s.app.get::<SoaVersion>(&ctx, id).await?;
    Ok(Redirect::to(&version_href(v.data.scope_id.get(), v.data.number)).into_response())
}

async fn version_page(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path((id, number)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Scope, &id)?;
    let n = number
        .trim_start_matches(['v', 'V'])
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| UiError::NotFound(format!("{number:?} is not a version number.")))?;
    let versions = s.app.soa_versions(&ctx, id).await?;
    let v = versions.iter().find(|v| v.number == n).cloned().ok_or_else(|| {
        UiError::App(AppError::NotFoundText(format!("This scope has no Statement of Applicability version {n}.")))
    })?;
    let doc = s.app.soa_version_doc(&ctx, v.id).await?;
    let sigs = s.app.signatures::<SoaVersion>(&ctx, v.id).await?;
    let site = doc.site.id;
    let shell = Shell::load(&s, &ctx, &Params::default()).await?.with_site(Some(site));
    let names = Names::new(&shell, &s.app);
    let approved = sigs.iter().any(|g| g.meaning == Meaning::Approved && g.status == SignatureStatus::Valid);
    let is_latest = versions.last().is_some_and(|l| l.number == n);
    let comp = c981_app::soa::completeness(&doc);
    let cov = c981_app::soa::coverage(&doc, doc.as_of.to_string().get(..10).unwrap_or(""));
    let can_sign = ctx.actor.user_id.is_some() && ctx.actor.token_id.is_none();
    let ns = n.to_string();
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Statement of Applicability · " (ref_link(EntityKind::Site, site, &names)) " · " a href=(statement_href(id)) { (doc.scope.name) } }
                h1 { "Version " (n) }
                p.subtitle {
                    @if approved { (badge("ok", "Approved")) } @else { (badge("info", "Awaiting approval")) }
                    @if !is_latest { " " (badge("neutral", "Superseded")) }
                    " · frozen " (render::time(&v.frozen_at.to_string())) " by " (v.frozen_by)
                }
            }
            div.page-actions {
                @if can_sign {
                    a.btn.btn-primary href=(format!("/soa-versions/{}/sign?meaning=approved", v.id)) { "Approve (sign)…" }
                }
                a.btn href=(url(&format!("/scopes/{id}/soa/print"), &[("version", ns.clone())])) { "Printable page" }
                a.btn.btn-ghost href=(statement_href(id)) { "Working statement" }
            }
        }
        section.card aria-labelledby="about-h" {
            h2 #about-h { "This version" }
            dl.fields {
                div.fieldrow.wide { dt { "Note" } dd { @if v.note.is_empty() { (none()) } @else { div.prose { (v.note) } } } }
                div.fieldrow { dt { "Frozen at" } dd { (render::time(&v.frozen_at.to_string())) } }
                div.fieldrow { dt { "Frozen by" } dd { (v.frozen_by) } }
                div.fieldrow { dt { "Approved by" } dd { @if v.approved_by.is_empty() { (none()) } @else { (v.approved_by.join(", ")) } } }
                div.fieldrow { dt { "Complete" } dd { @if comp.complete { span.yes { "Yes" } } @else { span.warn-text { "No" } } } }
            }
            figure.soa-bar { (coverage_bar(&format!("Coverage in version {n}"), &cov, true)) }
            p.actions {
                a.btn.btn-small href=(export_href(id, "xlsx", &ns)) { "XLSX" }
                a.btn.btn-small href=(export_href(id, "csv", &ns)) { "CSV" }
                a.btn.btn-small href=(export_href(id, "pdf", &ns)) { "PDF" }
                a.btn.btn-small href=(export_href(id, "oscal-catalog", &ns)) { "OSCAL catalog" }
                a.btn.btn-small href=(export_href(id, "oscal-profile", &ns)) { "OSCAL profile" }
                a.btn.btn-small href=(export_href(id, "oscal-ssp", &ns)) { "OSCAL SSP" }
            }
        }
        (sign::section(EntityKind::SoaVersion, v.id, &sigs, can_sign))
        section.card aria-labelledby="compare-h" {
            h2 #compare-h { "Compare" }
            (compare_form(id, &versions, &ns, "current"))
            @if n > 1 {
                p.actions { a href=(url(&format!("/scopes/{id}/soa/compare"), &[("from", (n - 1).to_string()), ("to", ns.clone())])) { "What changed since version " (n - 1) } }
            }
        }
        section.card aria-labelledby="frozen-scope-h" {
            h2 #frozen-scope-h { "The scope, as frozen" }
            (scope_fields(&doc.scope))
        }
        @for t in Theme::ALL {
            @let rows: Vec<&SoaLine> = doc.lines.iter().filter(|l| l.theme == t.label()).collect();
            section.card aria-labelledby=(format!("v-theme-{}", t.as_str())) {
                h2 id=(format!("v-theme-{}", t.as_str())) { (t.label()) " " span.count-badge { (rows.len()) } }
                (lines_table(&rows, None))
            }
        }
    };
    let frame = Frame::new(format!("Statement of Applicability version {n} – {}", doc.scope.name), Section::Soa)
        .crumb("Statements of Applicability", Some(url("/soa", &[("site_id", site.to_string())])))
        .crumb(doc.scope.name.clone(), Some(statement_href(id)))
        .crumb(format!("Version {n}"), None)
        .switch_to("/soa");
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

// ---------------------------------------------------------------------------------------
// Comparison

fn diff_field_label(f: &str) -> &str {
    match f {
        "applicability" => "Applicability",
        "justification" => "Justification",
        "status" => "Implementation status",
        "implementation" => "How it is implemented",
        "owner" => "Owner",
        "risks" => "Risks treated",
        "evidence" => "Evidence",
        "requirements" => "IEC 62443-3-3 requirements",
        "next_review" => "Next review",
        "name" => "Name",
        "statement" => "Scope statement",
        "zones" => "Zones",
        "systems" => "Systems under consideration",
        "services" => "Systems and services",
        "teams" => "Teams",
        "interfaces" => "Interfaces to systems outside the scope",
        "exclusions" => "Exclusions",
        other => other,
    }
}

fn diff_value(field: &str, v: &Value) -> Markup {
    match v {
        Value::Null => none(),
        Value::String(s) if s.trim().is_empty() => none(),
        Value::String(s) if field == "applicability" => html! { (applicability_label(s)) },
        Value::String(s) if field == "status" => html! { (status_label(s)) },
        Value::String(s) => html! { div.prose { (s) } },
        Value::Array(a) if a.is_empty() => none(),
        Value::Array(a) => html! { ul.plain { @for x in a { li { (text_of(x)) } } } },
        other => html! { (text_of(other)) },
    }
}

async fn compare(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Scope, &id)?;
    let params = Params::from_query(q.as_deref());
    let versions = s.app.soa_versions(&ctx, id).await?;
    let scope = s.app.get::<c981_domain::IsmsScope>(&ctx, id).await?;
    let site = scope.data.site_id.get();
    let from = params
        .get("from")
        .map(str::to_owned)
        .unwrap_or_else(|| versions.last().map_or_else(|| "current".to_owned(), |v| v.number.to_string()));
    let to = params.get("to").unwrap_or("current").to_owned();
    let (result, problem, status) = match s.app.compare_soa(&ctx, id, &from, &to).await {
        Ok(c) => (Some(c), None, StatusCode::OK),
        Err(AppError::Invalid(v)) => (None, Some(v.summary()), StatusCode::BAD_REQUEST),
        Err(AppError::NotFoundText(m)) => (None, Some(m), StatusCode::NOT_FOUND),
        Err(e) => return Err(e.into()),
    };
    let shell = Shell::load(&s, &ctx, &Params::default()).await?.with_site(Some(site));
    let names = Names::new(&shell, &s.app);
    let norm = |w: &str| w.trim().trim_start_matches(['v', 'V']).to_owned();
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Statement of Applicability · " (ref_link(EntityKind::Site, site, &names)) " · " a href=(statement_href(id)) { (scope.data.name) } }
                h1 { "Compare " (which_label(&from)) " with " (which_label(&to)) }
            }
            div.page-actions { a.btn href=(statement_href(id)) { "Back to the statement" } }
        }
        section.card { (compare_form(id, &versions, &norm(&from).to_lowercase(), &norm(&to).to_lowercase())) }
        @if let Some(p) = &problem {
            div.alert.alert-bad role="alert" { p { strong { "These statements cannot be compared: " } (p) } }
        }
        @if let Some(c) = &result {
            @if c.diffs.is_empty() {
                div.empty { p.empty-title { "No differences" } p { (which_label(&from)) " and " (which_label(&to)) " are the same, field by field." } }
            } @else {
                p.count role="status" { strong { (c.diffs.len()) } @if c.diffs.len() == 1 { " part differs" } @else { " parts differ" } " (the scope and each control with a change)." }
                @for d in &c.diffs {
                    section.card aria-labelledby=(format!("d-{}", d.control)) {
                        h2 id=(format!("d-{}", d.control)) {
                            @if d.control == "scope" { (d.title) }
                            @else { a.mono href=(entry_href(id, &d.control)) { (d.control) } " " (d.title) }
                        }
                        table.changes {
                            thead { tr { th scope="col" { "Field" } th scope="col" { "Before (" (which_label(&from)) ")" } th scope="col" { "After (" (which_label(&to)) ")" } } }
                            tbody {
                                @for ch in &d.changes {
                                    tr {
                                        th scope="row" { (diff_field_label(&ch.field)) }
                                        td.old { (diff_value(&ch.field, &ch.old)) }
                                        td.new { (diff_value(&ch.field, &ch.new)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let frame = Frame::new(format!("Compare – {}", scope.data.name), Section::Soa)
        .crumb("Statements of Applicability", Some(url("/soa", &[("site_id", site.to_string())])))
        .crumb(scope.data.name.to_string(), Some(statement_href(id)))
        .crumb("Compare", None)
        .switch_to("/soa");
    Ok(respond(status, layout::page(&shell, frame, body)))
}

// ---------------------------------------------------------------------------------------
// Printable statement

async fn print(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Scope, &id)?;
    let params = Params::from_query(q.as_deref());
    let which = Which::parse(params.get("version")).map_err(|m| UiError::BadRequest(format!("version: {m}")))?;
    let e = s.app.soa_export(&ctx, id, which).await?;
    let d = &e.doc;
    let site = d.site.id;
    let shell = Shell::load(&s, &ctx, &Params::default()).await?.with_site(Some(site));
    let cov = c981_app::soa::coverage(d, d.as_of.to_string().get(..10).unwrap_or(""));
    let comp = c981_app::soa::completeness(d);
    let approved = e.signatures.iter().any(|g| g.meaning == Meaning::Approved.label());
    let version = match e.version {
        Some(n) => format!("Version {n}"),
        None => "Working draft (not frozen)".to_owned(),
    };
    let state = match (e.version, approved) {
        (Some(_), true) => "Approved",
        (Some(_), false) => "Awaiting approval",
        (None, _) if comp.complete => "Draft (complete, not frozen)",
        (None, _) => "Draft (incomplete)",
    };
    let body = html! {
        div.soa-print {
            div.page-head.print-report {
                div {
                    p.kicker { "Statement of Applicability" }
                    h1 { (d.scope.name) }
                    p.subtitle { (d.site.name) " (" (d.site_code) ") · " (version) }
                }
                div.page-actions.no-print {
                    button.btn type="button" data-print { "Print" }
                    @match e.version {
                        Some(n) => a.btn.btn-ghost href=(version_href(id, n)) { "Back to version " (n) },
                        None => a.btn.btn-ghost href=(statement_href(id)) { "Back to the statement" },
                    }
                }
            }
            section.card.soa-cover aria-labelledby="cover-h" {
                h2 #cover-h { "Statement of Applicability — " (d.scope.name) }
                dl.fields {
                    div.fieldrow { dt { "Site" } dd { (d.site.name) " (" (d.site_code) ")" } }
                    div.fieldrow { dt { "Catalogue" } dd { (d.catalog) } }
                    div.fieldrow { dt { "Version" } dd { (version) } }
                    div.fieldrow { dt { "State" } dd { strong { (state) } } }
                    div.fieldrow { dt { @if e.version.is_some() { "Frozen" } @else { "As of" } } dd { (render::time(&d.as_of.to_string())) " by " (d.by) } }
                    div.fieldrow.wide {
                        dt { "Coverage" }
                        dd {
                            (cov.applicable) " of " (cov.controls) " controls applicable: " (cov.implemented) " implemented, "
                            (cov.partial) " partially, " (cov.planned) " planned, " (cov.not_started) " not started; "
                            (cov.not_applicable) " not applicable"
                            @if cov.undecided > 0 { "; " (cov.undecided) " not decided" }
                        }
                    }
                }
                figure.soa-bar { (coverage_bar("Coverage of the Annex A controls", &cov, true)) }
                h3.top-gap { "Signatures" }
                @if e.signatures.is_empty() {
                    p.muted { @if e.version.is_some() { "Not signed yet." } @else { "A working draft is not signed: freeze it as a version for approval." } }
                } @else {
                    div.table-wrap {
                        table.data.signatures {
                            thead { tr { th scope="col" { "Printed name" } th scope="col" { "Meaning" } th scope="col" { "Signed at (UTC)" } th scope="col" { "Status" } } }
                            tbody {
                                @for g in &e.signatures {
                                    tr {
                                        td { strong { (g.name) } }
                                        td { (g.meaning) }
                                        td.nowrap { (render::time(&g.at)) }
                                        td { (g.status) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section.card.soa-print-scope aria-labelledby="p-scope-h" {
                h2 #p-scope-h { "ISMS scope" }
                (scope_fields(&d.scope))
            }
            @for t in Theme::ALL {
                @let rows: Vec<&SoaLine> = d.lines.iter().filter(|l| l.theme == t.label()).collect();
                section.soa-print-theme aria-labelledby=(format!("p-theme-{}", t.as_str())) {
                    h2 id=(format!("p-theme-{}", t.as_str())) { (t.label()) " (clause " (t.clause()) ")" }
                    (lines_table(&rows, None))
                }
            }
        }
    };
    let frame = Frame::new(format!("Statement of Applicability – {} (print)", d.scope.name), Section::Soa)
        .crumb("Statements of Applicability", Some(url("/soa", &[("site_id", site.to_string())])))
        .crumb(d.scope.name.clone(), Some(statement_href(id)))
        .crumb("Printable page", None)
        .switch_to("/soa");
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

// ---------------------------------------------------------------------------------------
// Dashboard

async fn dashboard(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let d = s.app.soa_dashboard(&ctx, shell.site.map(SiteId::new)).await?;
    let names = Names::new(&shell, &s.app);
    let site_name = shell.selected().map(|x| format!("{} – {}", x.code, x.name));
    let t = &d.total;
    let new_scope = url("/scopes/new", &[("site_id", shell.site_param())]);
    let body = html! {
        div.page-head {
            div {
                h1 { "Statements of Applicability" }
                p.subtitle {
                    @match &site_name { Some(n) => (n), None => "Every site you have access to" }
                    " · ISO/IEC 27001:2022 Annex A"
                }
            }
            div.page-actions {
                a.btn href=(shell.href("/scopes")) { "ISMS scopes" }
                a.btn href=(shell.href("/evidence")) { "Evidence" }
                a.btn href="/crosswalk" { "Crosswalk" }
                a.btn href="/catalogs" { "Catalogues" }
                a.btn.btn-primary href=(new_scope) { "New scope" }
            }
        }
        @if d.scopes.is_empty() {
            div.empty {
                p.empty-title { "No ISMS scope yet" @if let Some(n) = &site_name { " in " (n) } }
                p { "Write down what the ISMS of a site covers (zones, systems, services, teams, the interfaces to systems outside it), then decide each of the 93 Annex A controls." }
                p { a.btn.btn-primary href=(new_scope) { "Create the first scope" } }
            }
        } @else {
            section.card aria-labelledby="group-h" {
                h2 #group-h { @if site_name.is_some() { "Totals" } @else { "The group" } }
                figure.soa-bar {
                    (coverage_bar("Coverage over every scope", t, true))
                    figcaption.help {
                        (d.scopes.len()) @if d.scopes.len() == 1 { " scope, " } @else { " scopes, " }
                        (t.controls) " control decisions in all: " (t.applicable) " applicable"
                        @if let Some(p) = implemented_pct(t) { " (" (p) " % implemented)" }
                        ", " (t.not_applicable) " not applicable, " (t.undecided) " not decided."
                    }
                }
                figure.soa-bar {
                    (stacked_bar("Approval of the statements", &approval_segments(&d.approvals), true))
                    figcaption.help { "Approval state of each scope's statement: approved, changed since its approval, frozen and awaiting approval, or never frozen (draft)." }
                }
                ul.stats {
                    li { div.stat { span.stat-n { (d.scopes.len()) } span.stat-l { "Scopes" } } }
                    li { div.stat { span.stat-n { (t.applicable) } span.stat-l { "Applicable controls" } } }
                    li { div.stat { span.stat-n { (t.without_evidence) } span.stat-l { "Applicable without evidence" } } }
                    li { div.stat { span.stat-n { (t.overdue) } span.stat-l { "Reviews overdue" } } }
                }
            }
            section.card aria-labelledby="scopes-h" {
                h2 #scopes-h { "Scopes" " " span.count-badge { (d.scopes.len()) } }
                div.table-wrap {
                    table.data.soa-dashboard {
                        thead {
                            tr {
                                th scope="col" { "Site" }
                                th scope="col" { "Scope" }
                                th scope="col" { "Coverage" }
                                th scope="col" .num { "Applicable" }
                                th scope="col" .num { "Implemented" }
                                th scope="col" .num { "Without evidence" }
                                th scope="col" .num { "Reviews overdue" }
                                th scope="col" { "Approval" }
                                th scope="col" { "Latest version" }
                            }
                        }
                        tbody {
                            @for sc in &d.scopes {
                                tr {
                                    td { a.site-code href=(format!("/sites/{}", sc.site.id)) title=(sc.site.name) { (sc.site_code) } }
                                    td { a.rowlink href=(statement_href(sc.scope.id)) { (sc.scope.name) } }
                                    td { div.soa-bar-small { (coverage_bar(&format!("Coverage of {}", sc.scope.name), &sc.coverage, false)) } }
                                    td.num { (sc.coverage.applicable) }
                                    td.num { @match implemented_pct(&sc.coverage) { Some(p) => { (p) " %" }, None => (none()) } }
                                    td.num { (sc.coverage.without_evidence) }
                                    td.num { @if sc.coverage.overdue > 0 { span.warn-text { (sc.coverage.overdue) } } @else { "0" } }
                                    td { (badge(approval_tone(sc.approval), sc.approval.label())) }
                                    td {
                                        @match sc.latest_version {
                                            Some(n) => a href=(version_href(sc.scope.id, n)) { "Version " (n) },
                                            None => (none()),
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !d.sites_without_scope.is_empty() {
            section.card aria-labelledby="noscope-h" {
                h2 #noscope-h { "Sites without a scope" " " span.count-badge { (d.sites_without_scope.len()) } }
                ul.flags {
                    @for x in &d.sites_without_scope {
                        li.flag {
                            (ref_link(EntityKind::Site, x.id, &names)) " · "
                            a href=(format!("/scopes/new?site_id={}", x.id)) { "create its scope" }
                        }
                    }
                }
            }
        }
    };
    let frame = Frame::new("Statements of Applicability", Section::Soa)
        .crumb("Statements of Applicability", None)
        .switch_to("/soa");
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

// ---------------------------------------------------------------------------------------
// Crosswalk

/// The link form's values, as typed.
#[derive(Debug, Clone)]
struct LinkForm {
    control: String,
    catalog: String,
    target: String,
    relationship: String,
    basis: String,
}

impl Default for LinkForm {
    fn default() -> Self {
        Self {
            control: String::new(),
            catalog: c981_app::soa::IEC_62443_3_3.to_owned(),
            target: String::new(),
            relationship: Relationship::Intersects.as_str().to_owned(),
            basis: String::new(),
        }
    }
}

fn crosswalk_table(items: &[c981_app::soa::CrosswalkView], editable: bool, back: &str) -> Markup {
    html! {
        @if items.is_empty() {
            div.empty.empty-small { p { "No crosswalk link." } }
        } @else {
            div.table-wrap {
                table.data.crosswalk {
                    thead {
                        tr {
                            th scope="col" { "Control" }
                            th scope="col" { "Title" }
                            th scope="col" { "The control is" }
                            th scope="col" { "Catalogue" }
                            th scope="col" { "Target" }
                            th scope="col" { "Target title" }
                            th scope="col" { "Basis" }
                            th scope="col" { "Origin" }
                            @if editable { th scope="col" { span.visually-hidden { "Actions" } } }
                        }
                    }
                    tbody {
                        @for v in items {
                            @let l = &v.link;
                            tr id=(format!("link-{}", l.id)) {
                                td.mono.nowrap { a href=(url("/crosswalk", &[("control", l.control.clone())])) { (l.control) } }
                                td { (v.control_title) }
                                td { (Relationship::parse(&l.relationship).map_or(l.relationship.as_str(), |r| r.label())) }
                                td.mono { (l.catalog) }
                                td.mono.nowrap { (l.target) }
                                td { @if v.target_title.is_empty() { (none()) } @else { (v.target_title) } }
                                td { (l.basis) }
                                td {
                                    @if v.informative { (badge("info", "informative")) }
                                    @else { (badge("neutral", "set by a person")) br; span.small { (l.updated_by) ", " (render::time(&l.updated_at.to_string())) } }
                                }
                                @if editable {
                                    td {
                                        form method="post" action=(format!("/crosswalk/{}/delete", l.id))
                                            data-confirm=(format!("Remove the link from {} to {} {}?", l.control, l.catalog, l.target)) {
                                            (csrf_input())
                                            input type="hidden" name="back" value=(back);
                                            button.btn.btn-small.btn-danger type="submit" aria-label=(format!("Remove the link from {} to {}", l.control, l.target)) { "Remove" }
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
}

async fn crosswalk(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let mut form = LinkForm::default();
    if let Some(c) = params.get("control") {
        form.control = c.to_owned();
    }
    let notice = if params.has("saved") {
        Some("The link was saved.")
    } else if params.has("removed") {
        Some("The link was removed.")
    } else {
        None
    };
    render_crosswalk(&s, &ctx, &params, &form, &Problems::default(), notice, StatusCode::OK).await
}

async fn render_crosswalk(
    s: &AppState,
    ctx: &Ctx,
    params: &Params,
    form: &LinkForm,
    problems: &Problems,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let control = params.get("control");
    let catalog = params.get("catalog");
    let mut status = status;
    let (items, filter_problem) = match s.app.crosswalk(ctx, control, catalog).await {
        Ok(items) => (items, None),
        Err(AppError::Invalid(v)) => {
            if status == StatusCode::OK {
                status = StatusCode::BAD_REQUEST;
            }
            (Vec::new(), Some(v.summary()))
        }
        Err(e) => return Err(e.into()),
    };
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let editable = may_edit_catalogues(ctx);
    let informative = items.iter().filter(|v| v.informative).count();
    let filtered = control.is_some() || catalog.is_some();
    let back = url("/crosswalk", &[("control", control.unwrap_or("").to_owned())]);
    let relationships: Vec<(String, String)> =
        Relationship::ALL.iter().map(|r| (r.as_str().to_owned(), r.label().to_owned())).collect();
    let body = html! {
        div.page-head {
            div {
                h1 { "Crosswalk" }
                p.subtitle { "ISO/IEC 27001:2022 Annex A controls and the IEC 62443-3-3 system requirements (or the items of imported catalogues) they relate to" }
            }
            div.page-actions { a.btn href="/catalogs" { "Catalogues" } a.btn.btn-ghost href="/soa" { "Statements of Applicability" } }
        }
        div.alert.alert-info role="note" {
            p {
                strong { "The default links are informative" } ": no authoritative public mapping between ISO/IEC 27001 Annex A and IEC 62443-3-3 exists. "
                "They only bring IEC 62443 work forward as suggestions on the Statement of Applicability; each decision stays yours."
            }
        }
        @if let Some(n) = notice { div.alert.alert-ok role="status" { p { strong { (n) } } } }
        (kit::banner(problems))
        form.filters method="get" action="/crosswalk" role="search" aria-label="Filter the crosswalk" {
            div.filter.filter-text {
                label for="flt-control" { "Control" }
                input.mono #flt-control type="text" name="control" value=(control.unwrap_or("")) placeholder="8.20";
            }
            div.filter.filter-text {
                label for="flt-catalog" { "Catalogue" }
                input.mono #flt-catalog type="text" name="catalog" value=(catalog.unwrap_or("")) placeholder="iec62443-3-3";
            }
            div.filter.filter-buttons {
                button.btn type="submit" { "Apply" }
                @if filtered { a.btn.btn-ghost href="/crosswalk" { "Clear" } }
            }
        }
        @if let Some(p) = &filter_problem {
            div.alert.alert-bad role="alert" { p { strong { "This filter cannot be applied: " } (p) } }
        }
        p.count role="status" { strong { (items.len()) } @if items.len() == 1 { " link" } @else { " links" } ", " (informative) " of them informative defaults" }
        (crosswalk_table(&items, editable, &back))
        @if editable {
            section.card.top-gap aria-labelledby="link-h" {
                h2 #link-h { "Add or change a link" }
                p.help { "A link with the same control, catalogue and target is changed; otherwise one is added. Changing a default link makes it yours (no longer informative). Every change is in the audit trail." }
                (kit::summary(&Problems { fields: problems.fields.clone(), banner: None }))
                form method="post" action="/crosswalk" {
                    (csrf_input())
                    div.form-grid {
                        (Input::new("text", "control", "Annex A control").value(&form.control).required().mono().maxlength(20)
                            .help("8.20, A.5.15…").render(problems))
                        (Input::new("text", "catalog", "Catalogue").value(&form.catalog).required().mono().maxlength(64)
                            .help("iec62443-3-3, or the key of an imported catalogue").render(problems))
                        (Input::new("text", "target", "Target").value(&form.target).required().mono().maxlength(64)
                            .help("SR 5.1, SR 1.1 RE 2, or an item id of the catalogue").render(problems))
                        (kit::select("relationship", "f-relationship", "The control is", &relationships, &form.relationship, None, true,
                            "read: \u{201c}the control is … the requirement\u{201d}", problems))
                    }
                    div class=(if problems.get("basis").is_some() { "field invalid top-gap" } else { "field top-gap" }) {
                        label for="f-basis" { "Basis" " " abbr.req title="required" { "*" } }
                        textarea #f-basis name="basis" rows="2" maxlength="2000" required aria-describedby="f-basis-help" { (form.basis) }
                        p.help #f-basis-help { "On what the link rests, in a few words." }
                        @if let Some(e) = problems.get("basis") { p.field-error { (e) } }
                    }
                    div.form-actions { button.btn.btn-primary type="submit" { "Save the link" } }
                }
            }
        } @else {
            p.help.top-gap { "Changing the crosswalk needs the administrator or ISMS manager role on all sites: it serves every site." }
        }
    };
    let frame = Frame::new("Crosswalk", Section::Soa)
        .crumb("Statements of Applicability", Some("/soa".into()))
        .crumb("Crosswalk", None)
        .switch_to("/soa");
    Ok(respond(status, layout::page(&shell, frame, body)))
}

const LINK_LABELS: &[(&str, &str, &str)] = &[
    ("control", "control", "Annex A control"),
    ("catalog", "catalog", "Catalogue"),
    ("target", "target", "Target"),
    ("relationship", "relationship", "Relationship"),
    ("basis", "basis", "Basis"),
];

async fn crosswalk_save(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let form = LinkForm {
        control: p.get("control").unwrap_or("").to_owned(),
        catalog: p.get("catalog").unwrap_or("").to_owned(),
        target: p.get("target").unwrap_or("").to_owned(),
        relationship: p.get("relationship").unwrap_or("").to_owned(),
        basis: p.raw("basis").to_owned(),
    };
    let result = s
        .app
        .put_crosswalk_link(&ctx, &form.control, &form.catalog, &form.target, &form.relationship, &form.basis)
        .await;
    let (problems, status) = match result {
        Ok(v) => {
            let to = url("/crosswalk", &[("control", v.link.control.clone()), ("saved", v.link.id.to_string())]);
            return Ok(Redirect::to(&format!("{to}#link-{}", v.link.id)).into_response());
        }
        Err(AppError::Invalid(v)) => (Problems::from_invalid(&v, LINK_LABELS), StatusCode::UNPROCESSABLE_ENTITY),
        Err(AppError::Forbidden(m)) => {
            (Problems::banner(format!("The link was not saved: {m}.")), StatusCode::FORBIDDEN)
        }
        Err(AppError::Conflict(m)) => (Problems::banner(format!("The link was not saved: {m}.")), StatusCode::CONFLICT),
        Err(e) => return Err(e.into()),
    };
    render_crosswalk(&s, &ctx, &Params::default(), &form, &problems, None, status).await
}

async fn crosswalk_delete(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Crosswalk, &id)?;
    let p = Params::parse(&body);
    let removed = s.app.delete_crosswalk_link(&ctx, id).await?;
    let back = p.get("back").filter(|b| b.starts_with("/crosswalk")).unwrap_or("/crosswalk");
    let control = if back.contains("control=") { removed.control } else { String::new() };
    Ok(Redirect::to(&url("/crosswalk", &[("control", control), ("removed", "1".into())])).into_response())
}

// ---------------------------------------------------------------------------------------
// Catalogues

/// The import form's values, as typed.
#[derive(Debug, Clone, Default)]
struct ImportForm {
    key: String,
    version: String,
    title: String,
}

/// Every message of one field.
fn messages<'a>(p: &'a Problems, name: &str) -> Vec<&'a str> {
    p.fields.iter().filter(|(n, _)| n == name).map(|(_, m)| m.as_str()).collect()
}

fn import_field(p: &Problems, name: &str, label: &str, control: Markup, help: &str) -> Markup {
    let msgs = messages(p, name);
    html! {
        div class=(if msgs.is_empty() { "field" } else { "field invalid" }) {
            label for=(format!("f-{name}")) { (label) }
            (control)
            @if !help.is_empty() { p.help { (help) } }
            @if !msgs.is_empty() {
                @if msgs.len() == 1 { p.field-error { (msgs[0]) } }
                @else { ul.field-error { @for m in &msgs { li { (m) } } } }
            }
        }
    }
}

async fn catalogs(State(s): State<AppState>, UiCtx(ctx): UiCtx) -> Result<Response, UiError> {
    render_catalogs(&s, &ctx, &ImportForm::default(), &Problems::default(), None, StatusCode::OK).await
}

async fn render_catalogs(
    s: &AppState,
    ctx: &Ctx,
    form: &ImportForm,
    problems: &Problems,
    imported: Option<&CatalogSummary>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let list = s.app.catalogs(ctx).await?;
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let editable = may_edit_catalogues(ctx);
    let mut keys: Vec<&str> = list.iter().map(|c| c.key.as_str()).collect();
    keys.dedup();
    let banner_only = Problems { fields: Vec::new(), banner: problems.banner.clone() };
    let body = html! {
        div.page-head {
            div {
                h1 { "Control catalogues" }
                p.subtitle { "The catalogues the Statement of Applicability and the crosswalk use: the built-in ones (ids and titles only) and those imported" }
            }
            div.page-actions { a.btn href="/crosswalk" { "Crosswalk" } a.btn.btn-ghost href="/soa" { "Statements of Applicability" } }
        }
        @if let Some(c) = imported {
            div.alert.alert-ok role="status" {
                p { strong { "Imported " (c.items) " items into " (c.key) " version " (c.version) } " (" (c.described) " with a description)." }
                @if let Some(src) = &c.source { p.small { (src) } }
            }
        }
        div.table-wrap {
            table.data {
                thead {
                    tr {
                        th scope="col" { "Catalogue" }
                        th scope="col" { "Version" }
                        th scope="col" { "Title" }
                        th scope="col" { "Kind" }
                        th scope="col" .num { "Items" }
                        th scope="col" .num { "With imported texts" }
                        th scope="col" { "Source" }
                        th scope="col" { "Imported" }
                    }
                }
                tbody {
                    @for c in &list {
                        tr {
                            td.mono { a.rowlink href=(url(&format!("/catalogs/{}", c.key), &[("version", if c.builtin { String::new() } else { c.version.clone() })])) { (c.key) } }
                            td.mono { (c.version) }
                            td { (c.title) }
                            td { @if c.builtin { (badge("info", "built-in")) } @else { (badge("neutral", "imported")) } }
                            td.num { (c.items) }
                            td.num { (c.described) }
                            td { @match &c.source { Some(src) => span.small { (src) }, None => (none()) } }
                            td.nowrap { @match &c.imported_at { Some(t) => (render::time(&t.to_string())), None => (none()) } }
                        }
                    }
                }
            }
        }
        p.help.top-gap {
            "Only the ids and short titles of the built-in catalogues are shipped: the texts of the standards are copyrighted. "
            "An organisation holding a licence can import the descriptions and guidance; they then appear in the catalogue and in the OSCAL exports."
        }
        @if editable {
            section.card.top-gap aria-labelledby="import-h" {
                h2 #import-h { "Import a catalogue" }
                p {
                    "A CSV file (UTF-8) with the header " code { "id,title,group,description,guidance" } " (only " code { "id" } " is required; columns in any order). "
                    "For a built-in key (" code { "iso27001-2022-annex-a" } ", " code { "iso27001-2022-clauses" } ", " code { "iec62443-3-3" } ") it adds the licensed texts: its ids must exist, and a title, when given, must match. "
                    "Any other key is a catalogue of the organisation's own (NIST CSF 2.0, the company's policies…): give its version and title, and every item its title. "
                    "Every bad line is reported with its file name and line number; nothing is stored while any line is wrong."
                }
                (kit::banner(&banner_only))
                @let others: Vec<&(String, String)> = problems.fields.iter().filter(|(n, _)| !matches!(n.as_str(), "file" | "key" | "version" | "title")).collect();
                @if !others.is_empty() {
                    div.alert.alert-bad role="alert" { ul { @for (_, m) in &others { li { (m) } } } }
                }
                form method="post" action="/catalogs" enctype="multipart/form-data" {
                    (csrf_input())
                    div.form-grid {
                        (import_field(problems, "key", "Catalogue key", html! {
                            input.mono #f-key type="text" name="key" value=(form.key) required maxlength="64" list="dl-catalogs" autocomplete="off";
                        }, "lower-case letters, digits, - . _"))
                        (import_field(problems, "version", "Version", html! {
                            input.mono #f-version type="text" name="version" value=(form.version) maxlength="64" autocomplete="off";
                        }, "for a catalogue of your own, e.g. 2.0"))
                        (import_field(problems, "title", "Title", html! {
                            input #f-title type="text" name="title" value=(form.title) maxlength="300" autocomplete="off";
                        }, "for a catalogue of your own, e.g. NIST Cybersecurity Framework 2.0"))
                    }
                    datalist #dl-catalogs { @for k in &keys { option value=(k) {} } }
                    div.top-gap {
                        (import_field(problems, "file", "CSV file", html! {
                            input #f-file type="file" name="file" accept=".csv,text/csv" required;
                        }, &format!("at most {} MiB", MAX_CATALOG_BYTES / 1024 / 1024)))
                    }
                    div.form-actions { button.btn.btn-primary type="submit" { "Import" } }
                }
            }
        } @else {
            p.help { "Importing catalogues needs the administrator or ISMS manager role on all sites: they serve every site." }
        }
    };
    let frame = Frame::new("Control catalogues", Section::Soa)
        .crumb("Statements of Applicability", Some("/soa".into()))
        .crumb("Catalogues", None)
        .switch_to("/soa");
    Ok(respond(status, layout::page(&shell, frame, body)))
}

async fn catalog_import(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    mut multipart: Multipart,
) -> Result<Response, UiError> {
    let mut p = Params::default();
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| UiError::BadRequest(format!("the upload: {e}")))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let fname = clean_name(field.file_name().unwrap_or("catalog.csv"));
            let bytes = field.bytes().await.map_err(|e| UiError::BadRequest(format!("the upload: {e}")))?;
            file = Some((fname, bytes.to_vec()));
        } else {
            let text = field.text().await.map_err(|e| UiError::BadRequest(format!("the upload: {e}")))?;
            p.0.push((name, text));
        }
    }
    let form = ImportForm {
        key: p.get("key").unwrap_or("").to_owned(),
        version: p.get("version").unwrap_or("").to_owned(),
        title: p.get("title").unwrap_or("").to_owned(),
    };
    let Some((fname, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let problems =
            Problems::field("file", "CSV file is required: choose the file to import (it is empty or missing).");
        return render_catalogs(&s, &ctx, &form, &problems, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let version = Some(form.version.as_str()).filter(|v| !v.is_empty());
    let title = Some(form.title.as_str()).filter(|v| !v.is_empty());
    match s.app.import_catalog(&ctx, &form.key, version, title, &fname, &bytes).await {
        Ok(c) => {
            render_catalogs(&s, &ctx, &ImportForm::default(), &Problems::default(), Some(&c), StatusCode::OK).await
        }
        Err(AppError::Invalid(v)) => {
            let mut problems = Problems::default();
            for e in &v.errors {
                let (field, label) = match e.field.as_str() {
                    "catalog" | "key" => ("key", "Catalogue key"),
                    "version" => ("version", "Version"),
                    "title" => ("title", "Title"),
                    "file" | "file_name" => ("file", ""),
                    other => (other, ""),
                };
                let message =
                    if label.is_empty() { e.message.clone() } else { kit::sentence(label, &e.field, &e.message) };
                problems.add(field, message);
            }
            render_catalogs(&s, &ctx, &form, &problems, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Forbidden(m)) => {
            let problems = Problems::banner(format!("The catalogue was not imported: {m}."));
            render_catalogs(&s, &ctx, &form, &problems, None, StatusCode::FORBIDDEN).await
        }
        Err(AppError::Conflict(m)) => {
            let problems = Problems::banner(format!("The catalogue was not imported: {m}."));
            render_catalogs(&s, &ctx, &form, &problems, None, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn catalog_items(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(key): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let version = params.get("version");
    let items = s.app.catalog_items(&ctx, &key, version).await?;
    let list = s.app.catalogs(&ctx).await?;
    let summary = list.iter().rfind(|c| c.key == key && (c.builtin || version.is_none_or(|v| c.version == v)));
    let shell = Shell::load(&s, &ctx, &Params::default()).await?;
    let title = summary.map_or_else(|| key.clone(), |c| c.title.clone());
    let described = items.iter().filter(|i| !i.description.is_empty() || !i.guidance.is_empty()).count();
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Catalogue · " span.mono { (key) } @if let Some(c) = summary { " · version " (c.version) } }
                h1 { (title) }
                p.subtitle { (items.len()) " items, " (described) " with imported texts" }
            }
            div.page-actions { a.btn href="/catalogs" { "All catalogues" } }
        }
        @if summary.is_some_and(|c| c.builtin) && described == 0 {
            div.alert.alert-info role="note" { p { "Only the ids and short titles are shipped. Descriptions and guidance appear here once an organisation holding a licence imports them." } }
        }
        div.table-wrap {
            table.data {
                thead { tr { th scope="col" { "Id" } th scope="col" { "Group" } th scope="col" { "Title" } th scope="col" { "Description" } th scope="col" { "Guidance" } } }
                tbody {
                    @for i in &items {
                        tr {
                            td.mono.nowrap {
                                @if key == c981_app::soa::ANNEX_A { a href=(url("/crosswalk", &[("control", i.id.clone())])) { (i.id) } } @else { (i.id) }
                            }
                            td { (i.group) }
                            td { (i.title) }
                            td { @if i.description.is_empty() { (none()) } @else { div.prose { (i.description) } } }
                            td { @if i.guidance.is_empty() { (none()) } @else { div.prose { (i.guidance) } } }
                        }
                    }
                }
            }
        }
    };
    let frame = Frame::new(title.clone(), Section::Soa)
        .crumb("Statements of Applicability", Some("/soa".into()))
        .crumb("Catalogues", Some("/catalogs".into()))
        .crumb(key.clone(), None)
        .switch_to("/soa");
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

// ---------------------------------------------------------------------------------------
// Evidence files

fn has_file(e: &Evidence) -> bool {
    e.kind == EvidenceKind::File && e.sha256.is_some() && !e.file_name.is_empty()
}

/// The file of a piece of evidence: download with its SHA-256, and the upload form.
fn file_card(id: i64, e: &Evidence, writes: bool, problems: &Problems) -> Markup {
    let msgs = messages(problems, "file");
    let other: Vec<&(String, String)> = problems.fields.iter().filter(|(n, _)| n != "file").collect();
    html! {
        section.card #file aria-labelledby="file-h" {
            h2 #file-h { "File" }
            (kit::banner(problems))
            @if has_file(e) {
                dl.fields {
                    div.fieldrow { dt { "File" } dd { (e.file_name.as_str()) } }
                    div.fieldrow { dt { "Size" } dd { @match e.size { Some(n) => { (n) " bytes" }, None => (none()) } } }
                    div.fieldrow.wide { dt { "SHA-256" } dd { code.mono.hash { (e.sha256.as_deref().unwrap_or("")) } } }
                }
                p.actions {
                    a.btn.btn-small href=(format!("/api/v1/evidence/{id}/file")) download=(e.file_name.as_str()) { "Download " (e.file_name.as_str()) }
                }
                p.help { "The SHA-256 was computed by the server on upload; the file is checked against it before it is handed out." }
            } @else {
                p.muted {
                    "No file is uploaded."
                    @if let Some(h) = &e.sha256 { " The SHA-256 noted for the document held elsewhere: " code.mono.hash { (h) } }
                }
            }
            @if !other.is_empty() {
                div.alert.alert-bad role="alert" { ul { @for (_, m) in &other { li { (m) } } } }
            }
            @if writes {
                form method="post" action=(format!("/evidence/{id}/upload")) enctype="multipart/form-data" {
                    (csrf_input())
                    div class=(if msgs.is_empty() { "field" } else { "field invalid" }) {
                        label for="f-file" { @if has_file(e) { "Replace the file" } @else { "Upload a file" } " (at most " (MAX_EVIDENCE_BYTES / 1024 / 1024) " MiB)" }
                        input #f-file type="file" name="file" required aria-describedby="f-file-help";
                        p.help #f-file-help { "The server computes its SHA-256; the upload is recorded in the audit trail and the evidence becomes an uploaded file." }
                        @for m in &msgs { p.field-error { (m) } }
                    }
                    div.form-actions { button.btn.btn-primary type="submit" { "Upload" } }
                }
            }
        }
    }
}

/// What the detail page of a piece of evidence shows below its fields: the file, and the
/// controls whose decisions point to it.
pub(super) async fn evidence_extras(s: &AppState, ctx: &Ctx, id: i64) -> Result<Markup, UiError> {
    let r = s.app.get::<Evidence>(ctx, id).await?;
    let site = r.data.site_id;
    let writes = ctx.actor.may_write_site(site);
    let p = ListParams { site_id: Some(site), limit: Some(1000), ..Default::default() };
    let entries = s.app.list::<SoaEntry>(ctx, &p).await?.items;
    let used: Vec<&Record<SoaEntry>> =
        entries.iter().filter(|e| e.data.evidence_ids.iter().any(|x| x.get() == id)).collect();
    Ok(html! {
        (file_card(id, &r.data, writes, &Problems::default()))
        section.card aria-labelledby="used-h" {
            h2 #used-h { "Controls it shows to work" " " span.count-badge { (used.len()) } }
            @if used.is_empty() {
                div.empty.empty-small { p { "No decision of a Statement of Applicability points to this evidence yet." } }
            } @else {
                ul.plain {
                    @for e in &used {
                        li {
                            a href=(entry_href(e.data.scope_id.get(), &e.data.control.to_string())) { span.mono { (e.data.control) } " " (annex_a::control(e.data.control).map_or("", |c| c.title)) }
                            " " span.muted { "(scope " (e.data.scope_id) ")" }
                        }
                    }
                }
            }
        }
    })
}

async fn upload_page(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Evidence, &id)?;
    render_upload(&s, &ctx, id, &Problems::default(), StatusCode::OK).await
}

async fn render_upload(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    problems: &Problems,
    status: StatusCode,
) -> Result<Response, UiError> {
    let r = s.app.get::<Evidence>(ctx, id).await?;
    let site = r.data.site_id.get();
    let shell = Shell::load(s, ctx, &Params::default()).await?.with_site(Some(site));
    let names = Names::new(&shell, &s.app);
    let writes = ctx.actor.may_write_site(r.data.site_id);
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Evidence · " (ref_link(EntityKind::Site, site, &names)) }
                h1 { "File of " (r.data.title) }
            }
            div.page-actions { a.btn href=(format!("/evidence/{id}")) { "Back to the evidence" } }
        }
        (file_card(id, &r.data, writes, problems))
    };
    let frame = Frame::new(format!("File of {}", r.data.title), Section::Entity(EntityKind::Evidence))
        .crumb(EntityKind::Evidence.label_plural(), Some(url("/evidence", &[("site_id", site.to_string())])))
        .crumb(r.data.title.to_string(), Some(format!("/evidence/{id}")))
        .crumb("File", None)
        .switch_to("/evidence");
    Ok(respond(status, layout::page(&shell, frame, body)))
}

async fn upload(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Evidence, &id)?;
    let mut file: Option<(String, String, Vec<u8>)> = None;
    while let Some(field) = multipart.next_field().await.map_err(|e| UiError::BadRequest(format!("the upload: {e}")))? {
        if field.name() == Some("file") {
            let fname = clean_name(field.file_name().unwrap_or("evidence"));
            let ctype = field.content_type().unwrap_or("application/octet-stream").to_owned();
            let bytes = field.bytes().await.map_err(|e| UiError::BadRequest(format!("the upload: {e}")))?;
            file = Some((fname, ctype, bytes.to_vec()));
        } else {
            // The CSRF token (checked by the middleware) and anything else: read and dropped.
            let _ = field.bytes().await;
        }
    }
    let Some((fname, ctype, bytes)) = file else {
        let problems = Problems::field("file", "File is required: choose the file to upload.");
        return render_upload(&s, &ctx, id, &problems, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match s.app.upload_evidence(&ctx, id, &fname, &ctype, &bytes).await {
        Ok(_) => Ok(Redirect::to(&format!("/evidence/{id}#file")).into_response()),
        Err(AppError::Invalid(v)) => {
            let problems =
                Problems::from_invalid(&v, &[("file", "file", "File"), ("file_name", "file", "The file's name")]);
            render_upload(&s, &ctx, id, &problems, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// The records' pages

/// What a scope's detail page shows below its fields: its Statement of Applicability.
pub(super) async fn scope_extras(s: &AppState, ctx: &Ctx, id: i64) -> Result<Markup, UiError> {
    let doc = s.app.soa_doc(ctx, id).await?;
    let versions = s.app.soa_versions(ctx, id).await?;
    let today = s.app.today().to_string();
    let comp = c981_app::soa::completeness(&doc);
    let cov = c981_app::soa::coverage(&doc, &today);
    Ok(html! {
        section.card.soa-link aria-labelledby="soa-h" {
            div.card-head {
                h2 #soa-h { "Statement of Applicability" }
                div.card-actions {
                    a.btn.btn-primary href=(statement_href(id)) { "Open the Statement of Applicability" }
                }
            }
            figure.soa-bar { (coverage_bar("Coverage of the Annex A controls", &cov, true)) }
            p {
                @if comp.complete { (badge("ok", "Complete")) } @else { (badge("warn", "Incomplete")) }
                " " (comp.undecided.len()) " undecided, " (comp.unjustified.len()) " unjustified · "
                @match versions.last() {
                    Some(v) => { a href=(version_href(id, v.number)) { "version " (v.number) } @if v.approved_by.is_empty() { " awaiting approval" } @else { " approved by " (v.approved_by.join(", ")) } },
                    None => { "never frozen" },
                }
            }
        }
    })
}

/// What an entry's detail page shows below its fields: where it is decided.
pub(super) fn entry_extras(obj: &Obj) -> Markup {
    let scope = obj.get("scope_id").and_then(as_id);
    let control = obj.get("control").map(text_of).unwrap_or_default();
    html! {
        @if let Some(scope) = scope {
            section.card aria-labelledby="decide-h" {
                h2 #decide-h { "In the Statement of Applicability" }
                p { "The decision for control " span.mono { (control) } " is made in its scope's statement, with the risks, the evidence and the suggestions from IEC 62443 beside it." }
                p.actions {
                    a.btn.btn-primary href=(entry_href(scope, &control)) { "Decide control " (control) }
                    a.btn href=(statement_href(scope)) { "The whole statement" }
                }
            }
        }
    }
}
