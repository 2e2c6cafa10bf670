//! The pages of each entity, written once and registered per entity: list, detail,
//! history, new, edit, delete.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use c981_app::{AppError, Ctx, ListParams, Role, input_from_json};
use c981_domain::audit::{Action, AuditEntry};
use c981_domain::entity::Entity;
use c981_domain::fields::{FieldKind, FieldSpec};
use c981_domain::{Asset, Conduit, ConduitId, DataFlow, EntityKind, Interface, SiteId, Zone, ZoneId};
use c981_store::{ColType, Table};
use maud::{Markup, html};
use serde_json::Value;

use super::analysis;
use super::forms::{self, FormData, FormErrors, Mode, Values};
use super::render::{self, Names, Obj, Room, as_id, badge, detail_href, text_of, title_of};
use super::{Frame, Params, Section, Shell, UiError, csrf_input, layout, sign, url};
use crate::{AppState, UiCtx};

/// Rows per list page.
const PAGE: u32 = 50;

pub(crate) fn entity<T: Table>(r: Router<AppState>) -> Router<AppState> {
    let base = format!("/{}", T::KIND.plural());
    r.route(&base, get(list::<T>))
        .route(&format!("{base}/new"), get(new_form::<T>).post(create::<T>))
        .route(&format!("{base}/{{id}}"), get(detail::<T>))
        .route(&format!("{base}/{{id}}/edit"), get(edit_form::<T>).post(update::<T>))
        .route(&format!("{base}/{{id}}/history"), get(history::<T>))
        .route(&format!("{base}/{{id}}/delete"), get(delete_get::<T>).post(delete::<T>))
        .route(&format!("{base}/{{id}}/sign"), get(sign::form::<T>).post(sign::submit::<T>))
}

pub(super) fn parse_id(kind: EntityKind, raw: &str) -> Result<i64, UiError> {
    match raw.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(UiError::NotFound(format!("{raw:?} is not the id of a {}.", kind.label().to_lowercase()))),
    }
}

fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

pub(super) fn list_href(kind: EntityKind, site: Option<i64>) -> String {
    let base = format!("/{}", kind.plural());
    match site {
        Some(s) if kind != EntityKind::Site => url(&base, &[("site_id", s.to_string())]),
        _ => base,
    }
}

/// The site a record belongs to (a site's own id for a site).
pub(super) fn obj_site(kind: EntityKind, obj: &Obj) -> Option<i64> {
    if kind == EntityKind::Site { obj.get("id").and_then(as_id) } else { obj.get("site_id").and_then(as_id) }
}

fn has_site_field<T: Table>() -> bool {
    T::fields().iter().any(|f| f.name == "site_id")
}

/// The zones of a site as `(id, name)`, by id.
async fn zones_of_site(s: &AppState, ctx: &Ctx, site: Option<i64>) -> Result<Vec<(i64, String)>, AppError> {
    let Some(site) = site else {
        return Ok(Vec::new());
    };
    let page = s
        .app
        .list::<Zone>(ctx, &ListParams { site_id: Some(SiteId::new(site)), limit: Some(1000), ..Default::default() })
        .await?;
    Ok(page.items.iter().map(|z| (z.id.get(), z.data.name.to_string())).collect())
}

/// Lists records of `T` as JSON objects.
async fn list_objs<T: Table>(s: &AppState, ctx: &Ctx, p: &ListParams) -> Result<(Vec<Obj>, Option<String>), AppError> {
    Ok(render::parse_list(&s.app.list_json::<T>(ctx, p).await?))
}

fn site_params(site: Option<i64>, filters: &[(&str, String)], limit: u32) -> ListParams {
    ListParams {
        site_id: site.map(SiteId::new),
        filters: filters.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect(),
        limit: Some(limit),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------
// List

async fn list<T: Table>(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let kind = T::KIND;
    let site = if kind == EntityKind::Site { None } else { shell.site };
    let mut lp = ListParams { site_id: site.map(SiteId::new), limit: Some(PAGE), ..Default::default() };
    lp.q = params.get("q").map(str::to_owned);
    lp.cursor = params.get("cursor").map(str::to_owned);
    for f in T::FILTERS {
        if let Some(v) = params.get(f.name) {
            lp.filters.push((f.name.to_owned(), v.to_owned()));
        }
    }
    let mut problem = None;
    let (items, next) = match list_objs::<T>(&s, &ctx, &lp).await {
        Ok(r) => r,
        Err(AppError::Invalid(v)) => {
            problem = Some(v.summary());
            (Vec::new(), None)
        }
        Err(e) => return Err(e.into()),
    };
    let count = if problem.is_none() { Some(s.app.count::<T>(&ctx, &lp).await?) } else { None };

    let mut names = Names::new(&shell, &s.app);
    let filter_zones: Vec<(i64, String)> = if T::FILTERS.iter().any(|f| f.name == "zone_id") {
        let page = s
            .app
            .list::<Zone>(&ctx, &ListParams { site_id: site.map(SiteId::new), limit: Some(1000), ..Default::default() })
            .await?;
        page.items
            .iter()
            .map(|z| {
                names.zones.insert(z.id.get(), z.data.name.to_string());
                let label = match (site, shell.site_code(z.data.site_id.get())) {
                    (None, Some(code)) => format!("{code} · {}", z.data.name),
                    _ => z.data.name.to_string(),
                };
                (z.id.get(), label)
            })
            .collect()
    } else {
        Vec::new()
    };
    let refs: Vec<&Obj> = items.iter().collect();
    names.resolve(&s.app, &ctx, T::fields(), &refs).await;

    let base = format!("/{}", kind.plural());
    let active: Vec<(&str, String)> =
        T::FILTERS.iter().filter_map(|f| params.get(f.name).map(|v| (f.name, v.to_owned()))).collect();
    let searching = lp.q.is_some();
    let filtered = searching || !active.is_empty();
    let mut keep: Vec<(&str, String)> = vec![("site_id", shell.site_param())];
    if let Some(q) = &lp.q {
        keep.push(("q", q.clone()));
    }
    keep.extend(active.iter().cloned());
    let next_href = next.as_ref().map(|c| {
        let mut p = keep.clone();
        p.push(("cursor", c.clone()));
        url(&base, &p)
    });
    let first_href = lp.cursor.as_ref().map(|_| url(&base, &keep));
    let mut new_params: Vec<(&str, String)> = vec![("site_id", shell.site_param())];
    if let Some(z) = params.get("zone_id").filter(|z| as_id(&Value::String((*z).to_owned())).is_some()) {
        new_params.push(("zone_id", z.to_owned()));
    }
    let new_href = url(&format!("{base}/new"), &new_params);
    let site_name = shell.selected().filter(|_| kind != EntityKind::Site).map(|s| format!("{} – {}", s.code, s.name));
    let plural = kind.label_plural().to_lowercase();
    let search_hint = search_hint::<T>();

    let body = html! {
        div.page-head {
            div {
                h1 { (kind.label_plural()) }
                @if let Some(n) = &site_name { p.subtitle { (n) } }
            }
            div.page-actions {
                a.btn.btn-primary href=(new_href) { "New " (kind.label().to_lowercase()) }
            }
        }
        form.filters method="get" action=(base) role="search" aria-label=(format!("Search and filter {plural}")) {
            @if let Some(site) = site { input type="hidden" name="site_id" value=(site); }
            div.filter.filter-q {
                label for="q" { "Search" }
                input #q type="search" name="q" value=(lp.q.clone().unwrap_or_default()) placeholder=(search_hint) data-search-key;
            }
            @for f in T::FILTERS {
                (filter_control::<T>(f, params.get(f.name).unwrap_or(""), &filter_zones))
            }
            div.filter.filter-buttons {
                button.btn type="submit" { "Apply" }
                @if filtered { a.btn.btn-ghost href=(shell.href(&base)) { "Clear" } }
            }
        }
        @if let Some(p) = &problem {
            div.alert.alert-bad role="alert" { p { strong { "These filters cannot be applied: " } (p) } }
        }
        @if let Some(n) = count {
            p.count role="status" {
                strong { (n) } " "
                @if filtered { @if n == 1 { "match" } @else { "matches" } } @else { (if n == 1 { kind.label().to_lowercase() } else { plural.clone() }) }
                @if site_name.is_none() && kind != EntityKind::Site && shell.sites.len() > 1 { " across all sites" }
            }
        }
        @if items.is_empty() && problem.is_none() {
            (empty_list(kind, filtered, &active, site_name.as_deref(), &new_href, &shell.href(&base)))
        } @else if !items.is_empty() {
            (render::table::<T>(&items, &names, site.is_none(), &[]))
        }
        @if next_href.is_some() || first_href.is_some() {
            nav.pager aria-label="Pages" {
                @if let Some(h) = &first_href { a.btn.btn-ghost href=(h) { "← First page" } }
                @if let Some(h) = &next_href { a.btn href=(h) rel="next" { "Next page →" } }
            }
        }
    };
    let frame =
        Frame::new(kind.label_plural(), Section::Entity(kind)).crumb(kind.label_plural(), None).switch_to(base.clone());
    Ok(respond(
        if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK },
        layout::page(&shell, frame, body),
    ))
}

fn search_hint<T: Table>() -> String {
    let labels: Vec<String> = T::SEARCH
        .iter()
        .map(|n| T::fields().iter().find(|f| f.name == *n).map_or(*n, |f| f.label).to_lowercase())
        .collect();
    let mut hint = labels.join(", ");
    if T::KIND == EntityKind::Asset {
        hint.push_str("; exact IP, MAC or serial");
    }
    let mut c = hint.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => hint,
    }
}

fn filter_control<T: Table>(f: &c981_store::Filter, current: &str, zones: &[(i64, String)]) -> Markup {
    let spec = T::fields().iter().find(|s| s.name == f.name);
    let label = spec.map_or(f.name, |s| s.label);
    let id = format!("flt-{}", f.name);
    let nullable = matches!(f.ty, ColType::OptInt | ColType::OptText);
    let select = |options: Vec<(String, String)>| {
        html! {
            div.filter {
                label for=(id) { (label) }
                select id=(id) name=(f.name) data-autosubmit {
                    option value="" selected[current.is_empty()] { "Any" }
                    @for (v, l) in &options { option value=(v) selected[*v == current] { (l) } }
                }
            }
        }
    };
    if f.name == "zone_id" {
        let mut opts = vec![("none".to_owned(), "— no zone —".to_owned())];
        opts.extend(zones.iter().map(|(z, l)| (z.to_string(), l.clone())));
        return select(opts);
    }
    if f.ty == ColType::Bool {
        return select(vec![("true".into(), "Yes".into()), ("false".into(), "No".into())]);
    }
    if let Some(FieldKind::Choice(c)) = spec.map(|s| s.kind) {
        let mut opts: Vec<(String, String)> = c().into_iter().map(|(v, l)| (v.to_owned(), l.to_owned())).collect();
        if nullable {
            opts.push(("none".into(), "Not set".into()));
        }
        return select(opts);
    }
    let number = matches!(f.ty, ColType::Int | ColType::OptInt);
    let placeholder = match spec.map(|s| s.kind) {
        Some(FieldKind::Ref(k)) => format!("{} id", k.label()),
        _ => String::new(),
    };
    html! {
        div.filter.filter-text {
            label for=(id) { (label) }
            @if number {
                input.mono id=(id) type="number" name=(f.name) value=(current) min="0" step="1" inputmode="numeric" placeholder=(placeholder);
            } @else {
                input id=(id) type="text" name=(f.name) value=(current);
            }
        }
    }
}

fn empty_list(
    kind: EntityKind,
    filtered: bool,
    active: &[(&str, String)],
    site: Option<&str>,
    new_href: &str,
    clear: &str,
) -> Markup {
    let plural = kind.label_plural().to_lowercase();
    let only_zone = active.len() == 1 && active[0].0 == "zone_id" && active[0].1 != "none";
    html! {
        div.empty {
            @if only_zone && kind == EntityKind::Asset {
                p.empty-title { "No assets yet in this zone" }
                p { "Add one — or import a spreadsheet later." }
                p { a.btn.btn-primary href=(new_href) { "Add an asset to this zone" } }
            } @else if filtered {
                p.empty-title { "No " (plural) " match these filters" }
                p { a.btn href=(clear) { "Clear the filters" } }
            } @else {
                p.empty-title {
                    "No " (plural) " yet"
                    @if let Some(s) = site { " in " (s) }
                }
                p { (empty_hint(kind)) }
                p { a.btn.btn-primary href=(new_href) { "Add the first " (kind.label().to_lowercase()) } }
            }
        }
    }
}

fn empty_hint(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Site => "A site is a plant; everything else (zones, assets, flows) belongs to one.",
        EntityKind::Zone => {
            "Group assets with common security requirements into IEC 62443 zones: enterprise, DMZ, supervisory, control, safety…"
        }
        EntityKind::Conduit => {
            "A conduit groups the communication channels between two or more zones, with the services they allow."
        }
        EntityKind::Asset => "Add one — or import a spreadsheet later.",
        EntityKind::Flow => {
            "Document the data flows between assets and to systems outside the inventory, or record those observed in traffic."
        }
        EntityKind::Interface => {
            "Identify every connection to a system outside the ISMS scope (MES, ERP, vendor systems…) and who answers for it."
        }
        EntityKind::Risk => {
            "Describe each risk scenario (threat source, event, vulnerability, consequence) against the records of a site, rate it with the risk model, and plan its treatment."
        }
        EntityKind::Supplier => {
            "Write down each supplier relationship of the site: what the supplier provides, whether it reaches the plant remotely, and who patches, who monitors and how soon incidents are reported."
        }
        EntityKind::System => {
            "Name each IEC 62443-3-2 system under consideration with its zones, and follow ZCR 1 to ZCR 7 up to the asset owner's approval (an electronic signature with the meaning \"approved\")."
        }
        EntityKind::Scope => {
            "Write down what the ISMS of the site covers (ISO/IEC 27001 clause 4.3): the zones, systems, services and teams, the interfaces to systems outside it, and what is left out and why. Each scope has its Statement of Applicability."
        }
        EntityKind::SoaEntry => {
            "Each entry is the decision for one Annex A control of a scope. Decide them on the scope's Statement of Applicability (SoA in the navigation)."
        }
        EntityKind::Evidence => {
            "Record what shows a control works: a document by reference, a link, a record (log, ticket, report), or an uploaded file whose SHA-256 the server computes."
        }
        EntityKind::SoaVersion => "Versions are made by freezing a complete Statement of Applicability for approval.",
        _ => "",
    }
}

// ---------------------------------------------------------------------------------------
// Detail

/// A message shown above a detail page (after a refused delete).
struct Notice {
    message: String,
    /// Offer to move the zone's assets and interfaces elsewhere, then delete.
    reassign: bool,
    reason: String,
}

async fn detail<T: Table>(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = parse_id(T::KIND, &id)?;
    render_detail::<T>(&s, &ctx, id, None, StatusCode::OK).await
}

async fn render_detail<T: Table>(
    s: &AppState,
    ctx: &Ctx,
    id: i64,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let kind = T::KIND;
    let obj = render::parse_obj(&s.app.get_json::<T>(ctx, id).await?);
    let site = obj_site(kind, &obj);
    let shell = Shell::load(s, ctx, &Params::default()).await?.with_site(site);
    let mut names = Names::new(&shell, &s.app);
    names.resolve(&s.app, ctx, T::fields(), &[&obj]).await;
    let title = title_of(kind, &obj, &names);
    let version = obj.get("version").and_then(Value::as_i64).unwrap_or(0);
    let signatures = s.app.signatures::<T>(ctx, id).await?;
    let extras = match kind {
        EntityKind::Site => site_extras(s, ctx, id).await?,
        EntityKind::Zone => {
            let levels = analysis::levels_section(s, ctx, analysis::Of::Zone(ZoneId::new(id)), site, &title).await?;
            let related = zone_extras(s, ctx, &mut names, id, site).await?;
            html! { (levels) (related) }
        }
        EntityKind::Conduit => {
            analysis::levels_section(s, ctx, analysis::Of::Conduit(ConduitId::new(id)), site, &title).await?
        }
        EntityKind::Asset => asset_extras(s, ctx, &mut names, id, site).await?,
        EntityKind::Scope => super::soa::scope_extras(s, ctx, id).await?,
        EntityKind::SoaEntry => super::soa::entry_extras(&obj),
        EntityKind::Evidence => super::soa::evidence_extras(s, ctx, id).await?,
        _ => html! {},
    };
    let reassign_zones = match &notice {
        Some(n) if n.reassign => zones_of_site(s, ctx, site).await?.into_iter().filter(|(z, _)| *z != id).collect(),
        _ => Vec::new(),
    };
    let base = format!("/{}/{id}", kind.plural());
    let label = kind.label().to_lowercase();
    let body = html! {
        @if let Some(n) = &notice {
            div.alert.alert-bad role="alert" {
                p { strong { (n.message) } }
                @if n.reassign {
                    p { "Move its assets and interfaces to another zone of this site (or to no zone), then delete it. Each move is recorded in the audit trail." }
                    form.inline-form method="post" action=(format!("{base}/delete")) data-confirm=(format!("Move what uses {title} and delete the zone?")) {
                        (csrf_input())
                        input type="hidden" name="reassign" value="1";
                        input type="hidden" name="version" value=(version);
                        div.field {
                            label for="reassign-to" { "Move them to" }
                            select #reassign-to name="reassign_to" {
                                option value="none" { "No zone" }
                                @for (z, l) in &reassign_zones { option value=(z) { (l) } }
                            }
                        }
                        div.field {
                            label for="reassign-reason" { "Reason for the change" }
                            input #reassign-reason type="text" name="reason" value=(n.reason) maxlength="500" autocomplete="off";
                        }
                        button.btn.btn-danger type="submit" { "Move and delete the zone" }
                    }
                }
            }
        }
        (record_head(kind, id, &title, &obj, &names, false))
        section.card aria-labelledby="details-h" {
            h2.visually-hidden #details-h { "Details" }
            dl.fields {
                @for f in T::fields() {
                    div.fieldrow.wide[matches!(f.kind, FieldKind::LongText)] {
                        dt { (f.label) }
                        dd { (render::value(f, obj.get(f.name).unwrap_or(&Value::Null), &names, Room::Full)) }
                    }
                }
            }
            dl.meta {
                div.fieldrow { dt { "Id" } dd.mono { (id) } }
                div.fieldrow { dt { "Version" } dd.mono { (version) } }
                div.fieldrow { dt { "Created" } dd { (render::time(&obj.get("created_at").map(text_of).unwrap_or_default())) } }
                div.fieldrow { dt { "Last changed" } dd { (render::time(&obj.get("updated_at").map(text_of).unwrap_or_default())) } }
            }
        }
        (sign::section(kind, id, &signatures, ctx.actor.user_id.is_some()))
        (extras)
        details.danger-zone #delete open[notice.is_some() && !notice.as_ref().is_some_and(|n| n.reassign)] {
            summary { "Delete this " (label) "…" }
            form method="post" action=(format!("{base}/delete")) data-confirm=(format!("Delete {label} {title}? This cannot be undone (the audit trail keeps its history).")) {
                (csrf_input())
                input type="hidden" name="version" value=(version);
                div.field {
                    label for="delete-reason" { "Reason for the change" }
                    input #delete-reason type="text" name="reason" maxlength="500" autocomplete="off"
                        value=(notice.as_ref().map(|n| n.reason.clone()).unwrap_or_default()) aria-describedby="delete-help";
                    p.help #delete-help { "Optional. Kept in the audit trail." }
                }
                button.btn.btn-danger type="submit" { "Delete " (label) }
            }
        }
    };
    let frame = Frame::new(title.clone(), Section::Entity(kind))
        .crumb(kind.label_plural(), Some(list_href(kind, site)))
        .crumb(title, None)
        .switch_to(format!("/{}", kind.plural()));
    Ok(respond(status, layout::page(&shell, frame, body)))
}

/// The heading of a record's pages: kind, title, site, actions and the tabs.
fn record_head(kind: EntityKind, id: i64, title: &str, obj: &Obj, names: &Names, on_history: bool) -> Markup {
    let base = format!("/{}/{id}", kind.plural());
    let site = obj.get("site_id").and_then(as_id);
    html! {
        div.page-head {
            div {
                p.kicker {
                    (kind.label())
                    @if let Some(s) = site { " · " (render::ref_link(EntityKind::Site, s, names)) }
                }
                h1 { (title) }
            }
            div.page-actions {
                @if !obj.is_empty() {
                    a.btn.btn-primary href=(format!("{base}/edit")) { "Edit" }
                    a.btn.btn-ghost href=(format!("{base}#delete")) { "Delete…" }
                }
            }
        }
        nav.tabs aria-label="Record" {
            a href=(base) aria-current=[(!on_history).then_some("page")] { "Details" }
            a href=(format!("{base}/history")) aria-current=[on_history.then_some("page")] { "History" }
        }
    }
}

async fn site_extras(s: &AppState, ctx: &Ctx, site: i64) -> Result<Markup, UiError> {
    let p = site_params(Some(site), &[], 1);
    let counts = [
        (EntityKind::Zone, s.app.count::<Zone>(ctx, &p).await?),
        (EntityKind::Conduit, s.app.count::<Conduit>(ctx, &p).await?),
        (EntityKind::Asset, s.app.count::<Asset>(ctx, &p).await?),
        (EntityKind::Flow, s.app.count::<DataFlow>(ctx, &p).await?),
        (EntityKind::Interface, s.app.count::<Interface>(ctx, &p).await?),
    ];
    Ok(html! {
        section.card aria-labelledby="estate-h" {
            h2 #estate-h { "Estate of this site" }
            ul.stats {
                @for (kind, n) in counts {
                    li {
                        a.stat href=(list_href(kind, Some(site))) {
                            span.stat-n { (n) }
                            span.stat-l { (kind.label_plural()) }
                        }
                    }
                }
            }
            p.actions {
                @for kind in [EntityKind::Zone, EntityKind::Conduit, EntityKind::Asset, EntityKind::Flow, EntityKind::Interface] {
                    a.btn.btn-small.btn-ghost href=(format!("/{}/new?site_id={site}", kind.plural())) { "Add " (kind.label().to_lowercase()) }
                    " "
                }
            }
        }
        section.card aria-labelledby="iec-h" {
            h2 #iec-h { "IEC 62443 analysis" }
            p.actions {
                a.btn.btn-small href=(format!("/sites/{site}/zones-diagram")) { "Zone diagram" }
                a.btn.btn-small href=(format!("/findings?site_id={site}")) { "Findings" }
                a.btn.btn-small href=(format!("/paths?site_id={site}")) { "Cross-domain paths" }
            }
        }
    })
}

/// A titled section with a table of related records and a link to the full list.
#[allow(clippy::too_many_arguments)]
fn related<T: Table>(
    heading: &str,
    id: &str,
    items: &[Obj],
    total: Option<i64>,
    names: &Names,
    skip: &[&str],
    all_href: &str,
    empty: Markup,
    add: Option<(String, String)>,
) -> Markup {
    html! {
        section.card aria-labelledby=(id) {
            div.card-head {
                h2 id=(id) {
                    (heading)
                    @if let Some(n) = total { " " span.count-badge { (n) } }
                }
                div.card-actions {
                    @if let Some((href, label)) = &add { a.btn.btn-small href=(href) { (label) } }
                    @if !items.is_empty() { a.btn.btn-small.btn-ghost href=(all_href) { "Open in list" } }
                }
            }
            @if items.is_empty() {
                div.empty.empty-small { (empty) }
            } @else {
                (render::table::<T>(items, names, false, skip))
                @if let Some(n) = total {
                    @if n > items.len() as i64 {
                        p.more-link { "Showing " (items.len()) " of " (n) ". " a href=(all_href) { "See all " (n) } }
                    }
                }
            }
        }
    }
}

async fn zone_extras(
    s: &AppState,
    ctx: &Ctx,
    names: &mut Names,
    zone: i64,
    site: Option<i64>,
) -> Result<Markup, UiError> {
    let zf = [("zone_id", zone.to_string())];
    let (assets, _) = list_objs::<Asset>(s, ctx, &site_params(site, &zf, PAGE)).await?;
    let asset_total = s.app.count::<Asset>(ctx, &site_params(site, &zf, 1)).await?;
    let (ifaces, _) = list_objs::<Interface>(s, ctx, &site_params(site, &zf, PAGE)).await?;
    let (all_conduits, _) = list_objs::<Conduit>(s, ctx, &site_params(site, &[], 1000)).await?;
    let conduits: Vec<Obj> = all_conduits
        .into_iter()
        .filter(|c| {
            c.get("zone_ids").and_then(Value::as_array).is_some_and(|z| z.iter().any(|v| as_id(v) == Some(zone)))
        })
        .collect();
    let all: Vec<&Obj> = assets.iter().chain(&ifaces).chain(&conduits).collect();
    names.resolve(&s.app, ctx, Asset::fields(), &all).await;
    names.resolve(&s.app, ctx, Conduit::fields(), &all).await;
    names.resolve(&s.app, ctx, Interface::fields(), &all).await;
    let site_q = site.map(|x| x.to_string()).unwrap_or_default();
    let assets_href = url("/assets", &[("site_id", site_q.clone()), ("zone_id", zone.to_string())]);
    let add_asset = url("/assets/new", &[("site_id", site_q.clone()), ("zone_id", zone.to_string())]);
    Ok(html! {
        (related::<Asset>("Assets in this zone", "assets-h", &assets, Some(asset_total), names, &["zone_id"], &assets_href,
            html! { p.empty-title { "No assets yet in this zone" } p { "Add one — or import a spreadsheet later." } },
            Some((add_asset, "Add an asset".into()))))
        (related::<Conduit>("Conduits joining this zone", "conduits-h", &conduits, Some(conduits.len() as i64), names, &[],
            &list_href(EntityKind::Conduit, site),
            html! { p { "No conduit joins this zone yet. Traffic to or from it is not described by any conduit." } },
            Some((url("/conduits/new", &[("site_id", site_q.clone())]), "Add a conduit".into()))))
        (related::<Interface>("Interfaces in this zone", "ifaces-h", &ifaces, None, names, &["zone_id"],
            &url("/interfaces", &[("site_id", site_q), ("zone_id", zone.to_string())]),
            html! { p { "No interface to a system outside the scope ends in this zone." } }, None))
    })
}

async fn asset_extras(
    s: &AppState,
    ctx: &Ctx,
    names: &mut Names,
    asset: i64,
    site: Option<i64>,
) -> Result<Markup, UiError> {
    let a = asset.to_string();
    let from_f = [("source_asset_id", a.clone())];
    let to_f = [("destination_asset_id", a.clone())];
    let if_f = [("asset_id", a.clone())];
    let (from, _) = list_objs::<DataFlow>(s, ctx, &site_params(site, &from_f, PAGE)).await?;
    let (to, _) = list_objs::<DataFlow>(s, ctx, &site_params(site, &to_f, PAGE)).await?;
    let (ifaces, _) = list_objs::<Interface>(s, ctx, &site_params(site, &if_f, PAGE)).await?;
    let from_n = s.app.count::<DataFlow>(ctx, &site_params(site, &from_f, 1)).await?;
    let to_n = s.app.count::<DataFlow>(ctx, &site_params(site, &to_f, 1)).await?;
    let all: Vec<&Obj> = from.iter().chain(&to).chain(&ifaces).collect();
    names.resolve(&s.app, ctx, DataFlow::fields(), &all).await;
    names.resolve(&s.app, ctx, Interface::fields(), &all).await;
    let site_q = site.map(|x| x.to_string()).unwrap_or_default();
    Ok(html! {
        (related::<DataFlow>("Flows from this asset", "from-h", &from, Some(from_n), names, &["source_asset_id"],
            &url("/flows", &[("site_id", site_q.clone()), ("source_asset_id", a.clone())]),
            html! { p { "No flow from this asset is documented or observed." } },
            Some((url("/flows/new", &[("site_id", site_q.clone()), ("source_asset_id", a.clone())]), "Add a flow from it".into()))))
        (related::<DataFlow>("Flows to this asset", "to-h", &to, Some(to_n), names, &["destination_asset_id"],
            &url("/flows", &[("site_id", site_q.clone()), ("destination_asset_id", a.clone())]),
            html! { p { "No flow to this asset is documented or observed." } },
            Some((url("/flows/new", &[("site_id", site_q.clone()), ("destination_asset_id", a.clone())]), "Add a flow to it".into()))))
        @if !ifaces.is_empty() {
            (related::<Interface>("Interfaces ending at this asset", "ifaces-h", &ifaces, None, names, &[],
                &url("/interfaces", &[("site_id", site_q), ("asset_id", a)]), html! {}, None))
        }
    })
}

// ---------------------------------------------------------------------------------------
// History

pub(super) async fn history<T: Table>(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let kind = T::KIND;
    let id = parse_id(kind, &id)?;
    let params = Params::from_query(q.as_deref());
    let before = match params.get("before") {
        Some(b) => {
            Some(b.parse::<i64>().map_err(|_| UiError::BadRequest(format!("before: {b:?} is not an entry number")))?)
        }
        None => None,
    };
    let limit = PAGE;
    let entries = s.app.history(&ctx, kind, id, before, limit).await?;
    let obj = match s.app.get_json::<T>(&ctx, id).await {
        Ok(json) => render::parse_obj(&json),
        Err(AppError::NotFound { .. }) => Obj::new(),
        Err(e) => return Err(e.into()),
    };
    let deleted = obj.is_empty();
    let site = obj_site(kind, &obj).or_else(|| entries.first().and_then(|e| e.draft.site_id));
    let shell = Shell::load(&s, &ctx, &Params::default()).await?.with_site(site);
    let mut names = Names::new(&shell, &s.app);
    // Resolve the references named in the record and in the changes.
    let mut sides: Vec<Obj> = vec![obj.clone()];
    for e in &entries {
        let changes: Obj = serde_json::from_str(&e.draft.changes).unwrap_or_default();
        let mut old = Obj::new();
        let mut new = Obj::new();
        for (k, v) in changes {
            old.insert(k.clone(), v.get("old").cloned().unwrap_or(Value::Null));
            new.insert(k, v.get("new").cloned().unwrap_or(Value::Null));
        }
        sides.push(old);
        sides.push(new);
    }
    let refs: Vec<&Obj> = sides.iter().collect();
    names.resolve(&s.app, &ctx, T::fields(), &refs).await;
    let title = if deleted { format!("{} {id} (deleted)", kind.label()) } else { title_of(kind, &obj, &names) };
    let base = format!("/{}/{id}/history", kind.plural());
    let older = (entries.len() as u32 == limit)
        .then(|| entries.last().map(|e| url(&base, &[("before", e.seq.to_string())])))
        .flatten();
    let body = html! {
        @if deleted {
            div.page-head { div { p.kicker { (kind.label()) } h1 { (title) } } }
            div.alert.alert-info { p { "This " (kind.label().to_lowercase()) " was deleted; its history is kept in the audit trail." } }
        } @else {
            (record_head(kind, id, &title, &obj, &names, true))
        }
        @if entries.is_empty() {
            div.empty { p.empty-title { "No older entries" } p { a href=(base) { "Back to the newest entries" } } }
        } @else {
            ol.timeline {
                @for e in &entries { (entry_view(e, T::fields(), &names)) }
            }
        }
        nav.pager aria-label="Pages" {
            @if before.is_some() { a.btn.btn-ghost href=(base) { "← Newest entries" } }
            @if let Some(h) = &older { a.btn href=(h) { "Older entries →" } }
        }
    };
    let frame = Frame::new(format!("History of {title}"), Section::Entity(kind))
        .crumb(kind.label_plural(), Some(list_href(kind, site)))
        .crumb(title.clone(), (!deleted).then(|| detail_href(kind, id)))
        .crumb("History", None)
        .switch_to(format!("/{}", kind.plural()));
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

pub(crate) fn action_tone(a: Action) -> &'static str {
    match a {
        Action::Create => "ok",
        Action::Update => "info",
        Action::Delete => "bad",
        Action::Denied => "warn",
        Action::Checkpoint => "neutral",
        Action::Login => "info",
        Action::Logout => "neutral",
        Action::LoginFailed => "warn",
        Action::Sign => "ok",
        Action::SignFailed => "warn",
        Action::Import => "info",
        Action::Export => "neutral",
    }
}

pub(crate) fn role_label(raw: &str) -> String {
    Role::parse(raw).map_or_else(|_| raw.to_owned(), |r| r.label().to_owned())
}

/// One audit entry of a record's history: who, when, how, why, and the field changes.
fn entry_view(e: &AuditEntry, fields: &[FieldSpec], names: &Names) -> Markup {
    let d = &e.draft;
    let changes: Obj = serde_json::from_str(&d.changes).unwrap_or_default();
    html! {
        li.entry {
            div.entry-head {
                (badge(action_tone(d.action), d.action.label()))
                " " (render::time(&d.at.to_string()))
                " · " strong { (d.actor_name) } " (" (role_label(&d.actor_role)) ")"
                " · via " (d.channel.label())
                span.entry-seq { "entry " span.mono { "#" (e.seq) } }
            }
            @if let Some(r) = &d.reason { p.reason { span.reason-l { "Reason: " } (r) } }
            (changes_table(d.action, &changes, fields, names))
        }
    }
}

/// The field changes of an entry: field, before, after (a creation shows the values it set,
/// a deletion the last values).
pub(crate) fn changes_table(action: Action, changes: &Obj, fields: &[FieldSpec], names: &Names) -> Markup {
    if changes.is_empty() {
        return html! {};
    }
    let one_side = match action {
        Action::Create => Some(("Value", "new", "new")),
        Action::Delete => Some(("Last value", "old", "old")),
        _ => None,
    };
    // In field table order; unknown keys (a refusal, a checkpoint) last.
    let mut keys: Vec<&String> = changes.keys().collect();
    keys.sort_by_key(|k| fields.iter().position(|f| f.name == k.as_str()).unwrap_or(usize::MAX));
    html! {
        table.changes {
            thead {
                tr {
                    th scope="col" { "Field" }
                    @if let Some((label, _, _)) = one_side { th scope="col" { (label) } }
                    @else { th scope="col" { "Before" } th scope="col" { "After" } }
                }
            }
            tbody {
                @for k in keys {
                    @let c = &changes[k.as_str()];
                    @let old = c.get("old").unwrap_or(&Value::Null);
                    @let new = c.get("new").unwrap_or(&Value::Null);
                    @let spec = fields.iter().find(|f| f.name == k.as_str());
                    tr {
                        th scope="row" { (spec.map_or(k.as_str(), |f| f.label)) }
                        @if let Some((_, side, class)) = one_side {
                            td class=(class) { (change_value(spec, if side == "new" { new } else { old }, names)) }
                        } @else {
                            td.old { (change_value(spec, old, names)) }
                            td.new { (change_value(spec, new, names)) }
                        }
                    }
                }
            }
        }
    }
}

fn change_value(spec: Option<&FieldSpec>, v: &Value, names: &Names) -> Markup {
    match spec {
        Some(f) => render::value(f, v, names, Room::Full),
        None if v.is_null() => html! { span.none { "—" } },
        None => html! { (text_of(v)) },
    }
}

// ---------------------------------------------------------------------------------------
// New, edit

/// Everything a form page needs about the record's site.
async fn form_data<'a>(
    s: &AppState,
    ctx: &Ctx,
    shell: &'a Shell,
    names: &'a mut Names,
    site: Option<i64>,
    fields: &[FieldSpec],
    values: &Values,
) -> Result<FormData<'a>, UiError> {
    let zones = zones_of_site(s, ctx, site).await?;
    for (z, n) in &zones {
        names.zones.insert(*z, n.clone());
    }
    let wants_assets = fields.iter().any(|f| matches!(f.kind, FieldKind::Ref(EntityKind::Asset)));
    let mut assets = Vec::new();
    if wants_assets && let Some(site) = site {
        let (items, next) = list_objs::<Asset>(s, ctx, &site_params(Some(site), &[], 500)).await?;
        if next.is_none() {
            for a in &items {
                if let Some(id) = a.get("id").and_then(as_id) {
                    let n = a.get("name").map(text_of).unwrap_or_default();
                    names.assets.insert(id, n.clone());
                    assets.push((id, n));
                }
            }
        }
    }
    let mut choices = std::collections::HashMap::new();
    if let Some(site) = site {
        for f in fields {
            if let FieldKind::RefList(kind) = f.kind
                && kind != EntityKind::Zone
                && !choices.contains_key(&kind)
            {
                choices.insert(kind, ref_choices(s, ctx, kind, site).await?);
            }
        }
    }
    let obj: Obj =
        values.iter().map(|(k, v)| (k.clone(), Value::String(v.last().cloned().unwrap_or_default()))).collect();
    names.resolve(&s.app, ctx, fields, &[&obj]).await;
    Ok(FormData { shell, zones, assets, names, site, choices })
}

/// The records of a site a list of references chooses from: `(id, label)`, at most 500.
async fn ref_choices(s: &AppState, ctx: &Ctx, kind: EntityKind, site: i64) -> Result<Vec<(i64, String)>, UiError> {
    let p = site_params(Some(site), &[], 500);
    let (items, _) = match kind {
        EntityKind::Asset => list_objs::<Asset>(s, ctx, &p).await?,
        EntityKind::Conduit => list_objs::<c981_domain::Conduit>(s, ctx, &p).await?,
        EntityKind::Flow => list_objs::<c981_domain::DataFlow>(s, ctx, &p).await?,
        EntityKind::Interface => list_objs::<c981_domain::Interface>(s, ctx, &p).await?,
        EntityKind::System => list_objs::<c981_domain::SystemUnderConsideration>(s, ctx, &p).await?,
        EntityKind::Risk => list_objs::<c981_domain::Risk>(s, ctx, &p).await?,
        EntityKind::Supplier => list_objs::<c981_domain::Supplier>(s, ctx, &p).await?,
        EntityKind::Evidence => list_objs::<c981_domain::Evidence>(s, ctx, &p).await?,
        EntityKind::Scope => list_objs::<c981_domain::IsmsScope>(s, ctx, &p).await?,
        _ => return Ok(Vec::new()),
    };
    Ok(items
        .iter()
        .filter_map(|o| {
            let id = o.get("id").and_then(as_id)?;
            let label = ["name", "title"]
                .iter()
                .find_map(|k| o.get(*k).map(text_of).filter(|t| !t.is_empty()))
                .unwrap_or_else(|| format!("{} {id}", kind.label()));
            let label = if kind == EntityKind::Risk { format!("R-{id} {label}") } else { label };
            Some((id, label))
        })
        .collect())
}

async fn new_form<T: Table>(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let mut values = forms::defaults(T::fields());
    values.extend(forms::values_from_params(T::fields(), &params));
    let mut site = shell.site;
    if has_site_field::<T>() {
        if site.is_none() && shell.sites.len() == 1 {
            site = Some(shell.sites[0].id);
        }
        match site {
            Some(id) => {
                values.insert("site_id".into(), vec![id.to_string()]);
            }
            None => return Ok(choose_site::<T>(&shell)),
        }
    }
    render_form::<T>(
        &s,
        &ctx,
        &shell.with_site(site),
        Mode::New,
        None,
        &values,
        &FormErrors::default(),
        "",
        StatusCode::OK,
    )
    .await
}

/// Asks which site a new record belongs to (the zone and asset choices depend on it).
pub(super) fn choose_site<T: Table>(shell: &Shell) -> Response {
    let kind = T::KIND;
    let label = kind.label().to_lowercase();
    let body = html! {
        div.page-head { div { h1 { "New " (label) } } }
        @if shell.sites.is_empty() {
            div.empty {
                p.empty-title { "There is no site yet" }
                p { "Every " (label) " belongs to a site (a plant). Create the site first." }
                p { a.btn.btn-primary href="/sites/new" { "New site" } }
            }
        } @else {
            section.card {
                form.inline-form method="get" action=(format!("/{}/new", kind.plural())) {
                    div.field {
                        label for="choose-site" { "Which site is the new " (label) " in?" }
                        select #choose-site name="site_id" required {
                            option value="" { "Choose a site…" }
                            @for s in &shell.sites { option value=(s.id) { (s.code) " – " (s.name) } }
                        }
                    }
                    button.btn.btn-primary type="submit" { "Continue" }
                }
            }
        }
    };
    let frame = Frame::new(format!("New {label}"), Section::Entity(kind))
        .crumb(kind.label_plural(), Some(format!("/{}", kind.plural())))
        .crumb(format!("New {label}"), None)
        .switch_to(format!("/{}/new", kind.plural()));
    respond(StatusCode::OK, layout::page(shell, frame, body))
}

#[allow(clippy::too_many_arguments)]
async fn render_form<T: Table>(
    s: &AppState,
    ctx: &Ctx,
    shell: &Shell,
    mode: Mode,
    id: Option<i64>,
    values: &Values,
    errors: &FormErrors,
    reason: &str,
    status: StatusCode,
) -> Result<Response, UiError> {
    let kind = T::KIND;
    let site = if kind == EntityKind::Site {
        id
    } else {
        values.get("site_id").and_then(|v| v.last()).and_then(|v| v.trim().parse::<i64>().ok()).or(shell.site)
    };
    let mut names = Names::new(shell, &s.app);
    let data = form_data(s, ctx, shell, &mut names, site, T::fields(), values).await?;
    let label = kind.label().to_lowercase();
    let (title, action, cancel) = match (mode, id) {
        (Mode::Edit { .. }, Some(id)) => {
            let obj: Obj = values.iter().map(|(k, v)| (k.clone(), Value::String(v.join(", ")))).collect();
            let mut named = obj;
            named.insert("id".into(), Value::from(id));
            (
                format!("Edit {}", title_of(kind, &named, data.names)),
                format!("/{}/{id}/edit", kind.plural()),
                detail_href(kind, id),
            )
        }
        _ => (format!("New {label}"), format!("/{}/new", kind.plural()), list_href(kind, site)),
    };
    let body = html! {
        div.page-head {
            div {
                p.kicker { (kind.label()) @if let Some(code) = site.and_then(|x| shell.site_code(x)) { " · " (code) } }
                h1 { (title) }
            }
        }
        p.form-note { "Fields marked " abbr.req title="required" { "*" } " are required." }
        (forms::form(kind, T::fields(), &action, mode, values, errors, &data, reason, &cancel))
    };
    let mut frame =
        Frame::new(title.clone(), Section::Entity(kind)).crumb(kind.label_plural(), Some(list_href(kind, site)));
    if let Some(id) = id {
        frame = frame.crumb(format!("{} {id}", kind.label()), Some(detail_href(kind, id)));
    }
    let frame = frame.crumb(title, None).switch_to(format!("/{}", kind.plural()));
    Ok(respond(status, layout::page(&shell.clone().with_site(site), frame, body)))
}

async fn create<T: Table>(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let posted = Params::parse(&body);
    let values = forms::values_from_params(T::fields(), &posted);
    let result = match input_from_json::<T>(forms::input_json(T::fields(), &values)) {
        Ok(input) => s.app.create::<T>(&ctx, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => {
            let id: i64 = r.id.into();
            Ok(Redirect::to(&detail_href(T::KIND, id)).into_response())
        }
        Err(e) => {
            let (errors, status) = form_failure::<T>(e)?;
            let shell = Shell::load(&s, &ctx, &Params::default()).await?;
            render_form::<T>(&s, &ctx, &shell, Mode::New, None, &values, &errors, "", status).await
        }
    }
}

/// The errors a form shows again (validation, conflict); others become error pages.
fn form_failure<T: Table>(e: AppError) -> Result<(FormErrors, StatusCode), UiError> {
    match e {
        AppError::Invalid(v) => Ok((FormErrors::from_validation(&v, T::fields()), StatusCode::UNPROCESSABLE_ENTITY)),
        AppError::Conflict(m) => Ok((FormErrors::banner(m), StatusCode::CONFLICT)),
        other => Err(other.into()),
    }
}

async fn edit_form<T: Table>(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = parse_id(T::KIND, &id)?;
    let record = s.app.get::<T>(&ctx, id).await?;
    let values = forms::values_from_input::<T>(&record.data.to_input());
    let site = record.data.site_id().map(|x| x.get()).or((T::KIND == EntityKind::Site).then_some(id));
    let shell = Shell::load(&s, &ctx, &Params::default()).await?.with_site(site);
    render_form::<T>(
        &s,
        &ctx,
        &shell,
        Mode::Edit { version: record.version },
        Some(id),
        &values,
        &FormErrors::default(),
        "",
        StatusCode::OK,
    )
    .await
}

async fn update<T: Table>(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let id = parse_id(T::KIND, &id)?;
    let posted = Params::parse(&body);
    let values = forms::values_from_params(T::fields(), &posted);
    let reason = posted.get("reason").unwrap_or("").to_owned();
    let version = match posted.get("version") {
        Some(v) => Some(v.parse::<i64>().map_err(|_| UiError::BadRequest(format!("version: {v:?} is not a version")))?),
        None => None,
    };
    let ctx = ctx.with_reason(Some(reason.clone()));
    let result = match input_from_json::<T>(forms::input_json(T::fields(), &values)) {
        Ok(input) => s.app.replace::<T>(&ctx, id, version, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&detail_href(T::KIND, id)).into_response()),
        Err(e) => {
            let (mut errors, status) = form_failure::<T>(e)?;
            if status == StatusCode::CONFLICT {
                errors.banner = errors
                    .banner
                    .map(|b| format!("{b}. Your changes are kept below; open the current version to compare."));
            }
            let shell = Shell::load(&s, &ctx, &Params::default()).await?;
            let mode = Mode::Edit { version: version.unwrap_or(0) };
            render_form::<T>(&s, &ctx, &shell, mode, Some(id), &values, &errors, &reason, status).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Delete

pub(super) async fn delete_get<T: Table>(Path(id): Path<String>) -> Result<Response, UiError> {
    let id = parse_id(T::KIND, &id)?;
    Ok(Redirect::to(&format!("{}#delete", detail_href(T::KIND, id))).into_response())
}

pub(super) async fn delete<T: Table>(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let kind = T::KIND;
    let id = parse_id(kind, &id)?;
    let posted = Params::parse(&body);
    let reason = posted.get("reason").unwrap_or("").to_owned();
    let version = posted.get("version").and_then(|v| v.parse::<i64>().ok());
    let ctx = ctx.with_reason(Some(reason.clone()));
    let result: Result<Option<i64>, AppError> = if kind == EntityKind::Zone && posted.has("reassign") {
        let target = match posted.get("reassign_to").unwrap_or("none") {
            "none" => Ok(None),
            t => ZoneId::parse(t).map(Some).map_err(|m| AppError::field("reassign_to", m)),
        };
        match target {
            Ok(t) => s.app.delete_zone_reassigning(&ctx, ZoneId::new(id), t).await.map(|z| Some(z.data.site_id.get())),
            Err(e) => Err(e),
        }
    } else {
        s.app.delete::<T>(&ctx, id, version).await.map(|r| r.data.site_id().map(|x| x.get()))
    };
    match result {
        Ok(site) => Ok(Redirect::to(&list_href(kind, site)).into_response()),
        Err(AppError::Conflict(m)) => {
            let in_use = m.contains("still used");
            let message = match m.split_once("; move them first") {
                Some((head, _)) => format!("{head}."),
                None => m.clone(),
            };
            let notice = Notice { message, reassign: kind == EntityKind::Zone && in_use, reason };
            render_detail::<T>(&s, &ctx, id, Some(notice), StatusCode::CONFLICT).await
        }
        Err(AppError::Invalid(v)) => {
            let notice = Notice { message: v.summary(), reassign: kind == EntityKind::Zone, reason };
            render_detail::<T>(&s, &ctx, id, Some(notice), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
