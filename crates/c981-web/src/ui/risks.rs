//! The risk register and the risk model in the web UI: the register with its filters, a
//! risk's page (scenario, what it affects, ratings with level names and colours under the
//! model version they were made with, controls, treatment plan, signatures and acceptance),
//! the form that rates a risk against the current model, the overdue list, and the model's
//! page (scales, dimensions, the matrix, acceptance criteria, versions) with its editor for
//! administrators and ISMS managers of every site.
//!
//! History, deletion and the signature page are the generic ones (`pages`, `sign`); a
//! signature with the meaning "risk accepted" is the acceptance (see `c981_app::risk`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use c981_app::risk::{ModelVersion, OverdueList};
use c981_app::{AppError, Ctx, ListParams, Role, input_from_json};
use c981_domain::entity::Entity;
use c981_domain::risk::{PlanStatus, RiskState, Treatment};
use c981_domain::risk_model::{ACCEPTING_ROLES, Aggregation, RiskModel};
use c981_domain::{Conduit, DataFlow, EntityKind, Interface, Record, Risk, SiteId, Zone};
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::pages::{self, list_href, parse_id};
use super::render::{self, Names, badge, ref_link, title_of};
use super::{Frame, Params, Section, Shell, UiError, csrf_input, layout, sign, url};
use crate::{AppState, UiCtx};

const PAGE: u32 = 50;

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/risks", get(list))
        .route("/risks/overdue", get(overdue))
        .route("/risks/print", get(print))
        .route("/risks/new", get(new_form).post(create))
        .route("/risks/{id}", get(detail))
        .route("/risks/{id}/edit", get(edit_form).post(update))
        .route("/risks/{id}/history", get(pages::history::<Risk>))
        .route("/risks/{id}/delete", get(pages::delete_get::<Risk>).post(pages::delete::<Risk>))
        .route("/risks/{id}/sign", get(sign::form::<Risk>).post(sign::submit::<Risk>))
        .route("/risk-model", get(model_page).post(model_save))
        .route("/risk-model/json", post(model_save_json))
        .route("/risk-model/rerate", post(model_rerate))
        .route("/risk-model/versions/{id}", get(model_version_page))
}

/// A risk's origin in words, with a link to the template.
pub(crate) fn origin_label(origin: &str) -> Markup {
    match c981_domain::risk::parse_origin(origin) {
        Ok(c981_domain::risk::Origin::Template(id)) => {
            html! { "the threat template " a href=(format!("/threat-library/{id}")) { span.mono { (id) } } }
        }
        Ok(c981_domain::risk::Origin::Suggestion(key)) => {
            html! { "a suggestion from the facts (" span.mono { (key) } ")" }
        }
        _ => html! { "nowhere in particular" },
    }
}

fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, markup).into_response()
}

// ---------------------------------------------------------------------------------------
// Levels and their colours

/// A risk level as a coloured badge with its number and name under `model`.
fn level_badge(model: &RiskModel, level: Option<u8>) -> Markup {
    match level {
        None => html! { span.none title="Not rated" { "—" } },
        Some(l) => match model.risk_level(l) {
            Some(rl) => html! {
                span class=(format!("risk-level risk-{}", rl.colour.as_str())) title=(rl.description.as_str()) {
                    span.risk-n { (l) } " " (rl.name)
                }
            },
            None => html! { span.risk-level.risk-grey { "level " (l) } },
        },
    }
}

fn state_tone(s: RiskState) -> &'static str {
    match s {
        RiskState::Identified => "neutral",
        RiskState::Assessed | RiskState::TreatmentPlanned => "info",
        RiskState::Treated => "warn",
        RiskState::Accepted => "ok",
        RiskState::Closed => "neutral",
    }
}

/// The model versions the risks of a page were rated with, by number.
async fn models_for(
    s: &AppState,
    ctx: &Ctx,
    current: &ModelVersion,
    versions: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, ModelVersion>, AppError> {
    let mut out = HashMap::new();
    out.insert(current.version, current.clone());
    for v in versions.collect::<BTreeSet<_>>() {
        if let std::collections::hash_map::Entry::Vacant(e) = out.entry(v)
            && let Ok(m) = s.app.risk_model_version(ctx, v).await
        {
            e.insert(m);
        }
    }
    Ok(out)
}

fn may_change_model(ctx: &Ctx) -> bool {
    !ctx.actor.read_only
        && ctx
            .actor
            .grants
            .iter()
            .any(|g| g.site.is_none() && matches!(g.role, Role::Administrator | Role::IsmsManager))
}

// ---------------------------------------------------------------------------------------
// The register

async fn list(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let model = s.app.risk_model(&ctx).await?;
    let mut lp = ListParams { site_id: shell.site.map(SiteId::new), limit: Some(PAGE), ..Default::default() };
    lp.q = params.get("q").map(str::to_owned);
    lp.cursor = params.get("cursor").map(str::to_owned);
    const FILTERS: [&str; 6] =
        ["state", "residual_level", "inherent_level", "treatment", "risk_owner", "needs_rerating"];
    for f in FILTERS {
        if let Some(v) = params.get(f) {
            lp.filters.push((f.to_owned(), v.to_owned()));
        }
    }
    let mut problem = None;
    let (items, next) = match s.app.list::<Risk>(&ctx, &lp).await {
        Ok(p) => (p.items, p.next_after),
        Err(AppError::Invalid(v)) => {
            problem = Some(v.summary());
            (Vec::new(), None)
        }
        Err(e) => return Err(e.into()),
    };
    let count = if problem.is_none() { Some(s.app.count::<Risk>(&ctx, &lp).await?) } else { None };
    let models = models_for(&s, &ctx, &model, items.iter().map(|r| r.data.model_version)).await?;
    let names = Names::new(&shell, &s.app);
    let today = s.app.today();
    let active: Vec<(&str, String)> =
        FILTERS.iter().filter_map(|f| params.get(f).map(|v| (*f, v.to_owned()))).collect();
    let filtered = lp.q.is_some() || !active.is_empty();
    let mut keep: Vec<(&str, String)> = vec![("site_id", shell.site_param())];
    if let Some(q) = &lp.q {
        keep.push(("q", q.clone()));
    }
    keep.extend(active.iter().cloned());
    let next_href = next.map(|c| {
        let mut p = keep.clone();
        p.push(("cursor", c.to_string()));
        url("/risks", &p)
    });
    let first_href = lp.cursor.as_ref().map(|_| url("/risks", &keep));
    let site_name = shell.selected().map(|x| format!("{} – {}", x.code, x.name));
    let levels: Vec<(String, String)> = model
        .model
        .risk_levels
        .iter()
        .enumerate()
        .map(|(i, l)| ((i + 1).to_string(), format!("{} {}", i + 1, l.name)))
        .collect();
    let current = |f: &str| params.get(f).unwrap_or("").to_owned();
    let select = |name: &str, label: &str, options: Vec<(String, String)>| {
        let cur = current(name);
        html! {
            div.filter {
                label for=(format!("flt-{name}")) { (label) }
                select id=(format!("flt-{name}")) name=(name) data-autosubmit {
                    option value="" selected[cur.is_empty()] { "Any" }
                    @for (v, l) in &options { option value=(v) selected[*v == cur] { (l) } }
                }
            }
        }
    };
    let states: Vec<(String, String)> = RiskState::ALL.iter().map(|s| (s.as_str().into(), s.label().into())).collect();
    let treatments: Vec<(String, String)> =
        Treatment::ALL.iter().map(|t| (t.as_str().into(), t.label().into())).collect();
    let mut level_opts = levels.clone();
    level_opts.push(("none".into(), "Not rated".into()));
    let body = html! {
        div.page-head {
            div {
                h1 { "Risk register" }
                @if let Some(n) = &site_name { p.subtitle { (n) } }
                p.subtitle { "Rated with risk model version " (model.version) "; tolerable up to " (level_badge(&model.model, Some(model.model.tolerable_level))) }
            }
            div.page-actions {
                a.btn.btn-primary href=(shell.href("/risks/new")) { "New risk" }
                a.btn href=(shell.href("/risks/suggestions")) { "Suggestions" }
                a.btn href=(shell.href("/risks/heatmap")) { "Heatmap" }
                a.btn href=(shell.href("/risks/overdue")) { "Overdue" }
                a.btn.btn-ghost href=(shell.href("/threat-library")) { "Threat library" }
                a.btn.btn-ghost href="/risks/periods" { "Periods" }
                a.btn.btn-ghost href="/risk-model" { "Risk model" }
            }
        }
        form.filters method="get" action="/risks" role="search" aria-label="Search and filter risks" {
            @if let Some(site) = shell.site { input type="hidden" name="site_id" value=(site); }
            div.filter.filter-q {
                label for="q" { "Search" }
                input #q type="search" name="q" value=(lp.q.clone().unwrap_or_default()) placeholder="Title, owner, threat source or event" data-search-key;
            }
            (select("state", "State", states))
            (select("residual_level", "Residual level", level_opts.clone()))
            (select("inherent_level", "Inherent level", level_opts))
            (select("treatment", "Treatment", treatments))
            div.filter.filter-text {
                label for="flt-risk_owner" { "Risk owner" }
                input #flt-risk_owner type="text" name="risk_owner" value=(current("risk_owner"));
            }
            (select("needs_rerating", "Needs re-rating", vec![("true".into(), "Yes".into()), ("false".into(), "No".into())]))
            div.filter.filter-buttons {
                button.btn type="submit" { "Apply" }
                @if filtered { a.btn.btn-ghost href=(shell.href("/risks")) { "Clear" } }
            }
        }
        @if let Some(p) = &problem {
            div.alert.alert-bad role="alert" { p { strong { "These filters cannot be applied: " } (p) } }
        }
        @if let Some(n) = count {
            p.count role="status" {
                strong { (n) } " " @if n == 1 { "risk" } @else { "risks" }
                @if site_name.is_none() && shell.sites.len() > 1 { " across all sites" }
                " · Export: "
                @for (label, f) in [("XLSX", "xlsx"), ("CSV", "csv"), ("PDF", "pdf")] {
                    a href=(url("/api/v1/risks/export", &[keep.clone(), vec![("format", f.to_owned())]].concat())) { (label) } " · "
                }
                a href=(url("/risks/print", &keep)) { "Printable page" }
            }
        }
        @if items.is_empty() && problem.is_none() {
            div.empty {
                @if filtered {
                    p.empty-title { "No risks match these filters" }
                    p { a.btn href=(shell.href("/risks")) { "Clear the filters" } }
                } @else {
                    p.empty-title { "No risks yet" @if let Some(n) = &site_name { " in " (n) } }
                    p { "Describe each risk scenario against the records of a site, rate it with the risk model, and plan its treatment." }
                    p { a.btn.btn-primary href=(shell.href("/risks/new")) { "Add the first risk" } }
                }
            }
        } @else if !items.is_empty() {
            (register_table(&items, &models, &names, shell.site.is_none(), today))
        }
        @if next_href.is_some() || first_href.is_some() {
            nav.pager aria-label="Pages" {
                @if let Some(h) = &first_href { a.btn.btn-ghost href=(h) { "← First page" } }
                @if let Some(h) = &next_href { a.btn href=(h) rel="next" { "Next page →" } }
            }
        }
    };
    let frame = Frame::new("Risk register", Section::Entity(EntityKind::Risk)).crumb("Risks", None).switch_to("/risks");
    Ok(respond(
        if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK },
        layout::page(&shell, frame, body),
    ))
}

fn register_table(
    items: &[Record<Risk>],
    models: &HashMap<i64, ModelVersion>,
    names: &Names,
    show_site: bool,
    today: c981_domain::values::Date,
) -> Markup {
    html! {
        div.table-wrap {
            table.data.risks {
                thead {
                    tr {
                        th scope="col" .num { "Id" }
                        @if show_site { th scope="col" { "Site" } }
                        th scope="col" { "Title" }
                        th scope="col" { "State" }
                        th scope="col" { "Inherent" }
                        th scope="col" { "Residual" }
                        th scope="col" { "Treatment" }
                        th scope="col" { "Risk owner" }
                        th scope="col" { "Review date" }
                    }
                }
                tbody {
                    @for r in items {
                        @let d = &r.data;
                        @let id = r.id.get();
                        @let href = format!("/risks/{id}");
                        @let m = models.get(&d.model_version);
                        tr {
                            td.num { a href=(href) aria-label=(format!("Risk {id}")) { (id) } }
                            @if show_site { td { (ref_link(EntityKind::Site, d.site_id.get(), names)) } }
                            td {
                                a.rowlink href=(href) { (d.title) }
                                @if d.needs_rerating { " " (badge("warn", "needs re-rating")) }
                                @if !d.overdue_actions(today).is_empty() { " " (badge("bad", "action overdue")) }
                            }
                            td { (badge(state_tone(d.state), d.state.label())) }
                            td { @match m { Some(m) => (level_badge(&m.model, d.inherent_level)), None => (d.inherent_level.map(|l| l.to_string()).unwrap_or_default()) } }
                            td { @match m { Some(m) => (level_badge(&m.model, d.residual_level)), None => (d.residual_level.map(|l| l.to_string()).unwrap_or_default()) } }
                            td { @match d.treatment { Some(t) => (t.as_str()), None => span.none { "—" } } }
                            td { @if d.risk_owner.is_empty() { span.none { "—" } } @else { (d.risk_owner.as_str()) } }
                            td.nowrap {
                                @match d.review_date {
                                    Some(date) => {
                                        (date)
                                        @if d.review_overdue(today) { " " (badge("bad", "overdue")) }
                                    }
                                    None => span.none { "—" },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Overdue

async fn overdue(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let list: OverdueList =
        s.app.overdue_risks(&ctx, shell.site.map(SiteId::new), params.get("cursor"), Some(PAGE)).await?;
    let model = s.app.risk_model(&ctx).await?;
    let names = Names::new(&shell, &s.app);
    let next_href = list
        .next_cursor
        .as_ref()
        .map(|c| url("/risks/overdue", &[("site_id", shell.site_param()), ("cursor", c.clone())]));
    let site_name = shell.selected().map(|x| format!("{} – {}", x.code, x.name));
    let body = html! {
        div.page-head {
            div {
                h1 { "Overdue reviews and actions" }
                p.subtitle {
                    @if let Some(n) = &site_name { (n) } @else { "All your sites" }
                    " · as of " (list.today) " (UTC)"
                }
            }
            div.page-actions { a.btn href=(shell.href("/risks")) { "Risk register" } }
        }
        @if list.items.is_empty() {
            div.empty {
                p.empty-title { "Nothing is overdue" }
                p { "Every review date and every open action of a treatment plan is in the future." }
            }
        } @else {
            div.table-wrap {
                table.data {
                    thead {
                        tr {
                            th scope="col" .num { "Id" }
                            @if shell.site.is_none() { th scope="col" { "Site" } }
                            th scope="col" { "Risk" }
                            th scope="col" { "Risk owner" }
                            th scope="col" { "Residual" }
                            th scope="col" { "Review date" }
                            th scope="col" { "Overdue actions" }
                        }
                    }
                    tbody {
                        @for r in &list.items {
                            tr {
                                td.num { a href=(format!("/risks/{}", r.id)) { (r.id) } }
                                @if shell.site.is_none() { td { (ref_link(EntityKind::Site, r.site_id, &names)) } }
                                td { a.rowlink href=(format!("/risks/{}", r.id)) { (r.title) } " " (badge(state_tone(r.state), r.state.label())) }
                                td { (r.risk_owner) }
                                td { (level_badge(&model.model, r.residual_level)) }
                                td.nowrap {
                                    @match &r.review_date { Some(d) => { (d) @if r.review_overdue { " " (badge("bad", "overdue")) } }, None => span.none { "—" } }
                                }
                                td {
                                    @if r.overdue_actions.is_empty() { span.none { "—" } }
                                    ul.plain {
                                        @for a in &r.overdue_actions {
                                            li { (a.action) " — " (a.owner) ", due " span.mono { (a.due_date) } " " (badge("bad", &a.status.replace('_', " "))) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(h) = &next_href { nav.pager aria-label="Pages" { a.btn href=(h) rel="next" { "Next page →" } } }
        }
    };
    let frame = Frame::new("Overdue risks", Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some(shell.href("/risks")))
        .crumb("Overdue", None)
        .switch_to("/risks/overdue");
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

/// The register as a printable page: every risk of the filter, every column of the export.
async fn print(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    const FILTERS: [&str; 6] =
        ["state", "residual_level", "inherent_level", "treatment", "risk_owner", "needs_rerating"];
    let filters = FILTERS.iter().filter_map(|f| params.get(f).map(|v| ((*f).to_owned(), v.to_owned()))).collect();
    let query = c981_app::risk_export::ExportQuery {
        site_id: shell.site.map(SiteId::new),
        filters,
        q: params.get("q").map(str::to_owned),
    };
    let report = s.app.risk_register_report(&ctx, &query).await?;
    let body = render::report_page(&report);
    let frame = Frame::new("Risk register (print)", Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some(shell.href("/risks")))
        .crumb("Printable register", None)
        .switch_to("/risks/print");
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

// ---------------------------------------------------------------------------------------
// A risk's page

/// Names of the records a risk names, by kind.
async fn linked_names(s: &AppState, ctx: &Ctx, r: &Risk, names: &mut Names) -> HashMap<(EntityKind, i64), String> {
    let mut out = HashMap::new();
    let obj = serde_json::to_value(r.to_input()).ok().and_then(|v| v.as_object().cloned()).unwrap_or_default();
    names.resolve(&s.app, ctx, Risk::fields(), &[&obj]).await;
    let mut m = HashMap::new();
    render::names_of::<Conduit>(&s.app, ctx, r.conduit_ids.iter().map(|x| x.get()).collect(), &mut m).await;
    out.extend(m.drain().map(|(k, v)| ((EntityKind::Conduit, k), v)));
    render::names_of::<Interface>(&s.app, ctx, r.interface_ids.iter().map(|x| x.get()).collect(), &mut m).await;
    out.extend(m.drain().map(|(k, v)| ((EntityKind::Interface, k), v)));
    render::names_of::<c981_domain::Supplier>(&s.app, ctx, r.supplier_ids.iter().map(|x| x.get()).collect(), &mut m)
        .await;
    out.extend(m.drain().map(|(k, v)| ((EntityKind::Supplier, k), v)));
    let mut flows = HashMap::new();
    for f in &r.flow_ids {
        if let Ok(rec) = s.app.get::<DataFlow>(ctx, f.get()).await {
            let fobj = render::parse_obj(&c981_store::Store::record_json(&rec).unwrap_or_default());
            flows.insert(f.get(), title_of(EntityKind::Flow, &fobj, names));
        }
    }
    out.extend(flows.into_iter().map(|(k, v)| ((EntityKind::Flow, k), v)));
    out
}

fn rating_rows(model: &RiskModel, r: &Risk) -> Markup {
    let level_name = |scale: &[c981_domain::risk_model::ScaleLevel], l: u8| {
        scale.get(usize::from(l).wrapping_sub(1)).map(|x| x.name.to_string()).unwrap_or_else(|| format!("level {l}"))
    };
    let dims: BTreeSet<&str> = r.inherent.impacts.keys().chain(r.residual.impacts.keys()).map(String::as_str).collect();
    let cell_likelihood = |l: Option<u8>| match l {
        None => html! { span.none { "—" } },
        Some(l) => html! {
            span title=(model.likelihood.get(usize::from(l).wrapping_sub(1)).map(|x| x.description.as_str().to_owned()).unwrap_or_default()) {
                span.mono { (l) } " " (level_name(&model.likelihood, l))
            }
        },
    };
    let cell_impact = |rating: &c981_domain::Rating, key: &str| match rating.impacts.get(key) {
        None => html! { span.none { "—" } },
        Some(l) => {
            let desc = model
                .dimension(key)
                .and_then(|d| d.descriptions.get(usize::from(*l).wrapping_sub(1)))
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default();
            html! { span title=(desc) { span.mono { (l) } " " (level_name(&model.impact_levels, *l)) } }
        }
    };
    let aggregate = |rating: &c981_domain::Rating| match rating.as_ref().and_then(|x| model.evaluate(x).ok()) {
        None => html! { span.none { "—" } },
        Some(e) => html! { span.mono { (e.impact) } " " (level_name(&model.impact_levels, e.impact)) },
    };
    html! {
        table.data.ratings {
            thead { tr { th scope="col" { "" } th scope="col" { "Inherent" } th scope="col" { "Residual" } } }
            tbody {
                tr { th scope="row" { "Likelihood" } td { (cell_likelihood(r.inherent.likelihood)) } td { (cell_likelihood(r.residual.likelihood)) } }
                @for key in &dims {
                    tr {
                        th scope="row" { "Impact: " (model.dimension(key).map_or_else(|| (*key).to_owned(), |d| d.name.to_string())) }
                        td { (cell_impact(&r.inherent, key)) }
                        td { (cell_impact(&r.residual, key)) }
                    }
                }
                tr { th scope="row" { "Impact (" (model.aggregation.label().to_lowercase()) ")" } td { (aggregate(&r.inherent)) } td { (aggregate(&r.residual)) } }
                tr.level-row { th scope="row" { "Risk level" } td { (level_badge(model, r.inherent_level)) } td { (level_badge(model, r.residual_level)) } }
            }
        }
    }
}

async fn detail(State(s): State<AppState>, UiCtx(ctx): UiCtx, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Risk, &id)?;
    let rec = s.app.get::<Risk>(&ctx, id).await?;
    let r = &rec.data;
    let site = r.site_id.get();
    let shell = Shell::load(&s, &ctx, &Params::default()).await?.with_site(Some(site));
    let current = s.app.risk_model(&ctx).await?;
    let model = if r.model_version == current.version {
        current.clone()
    } else {
        s.app.risk_model_version(&ctx, r.model_version).await.unwrap_or_else(|_| current.clone())
    };
    let mut names = Names::new(&shell, &s.app);
    let linked = linked_names(&s, &ctx, r, &mut names).await;
    let signatures = s.app.signatures::<Risk>(&ctx, id).await?;
    let today = s.app.today();
    let base = format!("/risks/{id}");
    let link = |kind: EntityKind, x: i64| {
        let label = linked.get(&(kind, x)).cloned().or_else(|| names.name(kind, x).map(str::to_owned));
        html! { a href=(format!("/{}/{x}", kind.plural())) { @match label { Some(l) => (l), None => { (kind.label()) " " (x) } } } }
    };
    let affects: Vec<(&str, EntityKind, Vec<i64>)> = vec![
        ("Assets", EntityKind::Asset, r.asset_ids.iter().map(|x| x.get()).collect()),
        ("Zones", EntityKind::Zone, r.zone_ids.iter().map(|x| x.get()).collect()),
        ("Conduits", EntityKind::Conduit, r.conduit_ids.iter().map(|x| x.get()).collect()),
        ("Data flows", EntityKind::Flow, r.flow_ids.iter().map(|x| x.get()).collect()),
        ("Interfaces", EntityKind::Interface, r.interface_ids.iter().map(|x| x.get()).collect()),
        ("Suppliers", EntityKind::Supplier, r.supplier_ids.iter().map(|x| x.get()).collect()),
        ("Other sites affected", EntityKind::Site, r.other_site_ids.iter().map(|x| x.get()).collect()),
    ];
    let can_accept = r.state != RiskState::Closed && r.state != RiskState::Accepted && ctx.actor.user_id.is_some();
    let limit = ctx
        .actor
        .grants
        .iter()
        .filter(|g| g.covers(r.site_id))
        .map(|g| current.model.acceptance_limit(g.role.as_str()))
        .max()
        .unwrap_or(0);
    let text = |t: &c981_domain::values::Text| html! { @if t.is_empty() { span.none { "—" } } @else { div.prose { (t.as_str()) } } };
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Risk · " (ref_link(EntityKind::Site, site, &names)) }
                h1 { (r.title) }
                p.subtitle {
                    (badge(state_tone(r.state), r.state.label()))
                    " Residual " (level_badge(&model.model, r.residual_level))
                    " · Inherent " (level_badge(&model.model, r.inherent_level))
                }
            }
            div.page-actions {
                a.btn.btn-primary href=(format!("{base}/edit")) { "Edit" }
                @if can_accept { a.btn href=(format!("{base}/sign?meaning=risk_accepted")) { "Accept the residual risk…" } }
                a.btn.btn-ghost href=(format!("{base}#delete")) { "Delete…" }
            }
        }
        nav.tabs aria-label="Record" {
            a href=(base) aria-current="page" { "Details" }
            a href=(format!("{base}/history")) { "History" }
        }
        @if r.needs_rerating {
            div.alert.alert-warn role="status" {
                p { strong { "Needs re-rating." } " Risk model version " (current.version) " could not take over these ratings (a level or a dimension it no longer has). "
                    "They are shown under version " (r.model_version) ", with which they were made. " a href=(format!("{base}/edit")) { "Rate the risk again" } "." }
            }
        } @else if r.model_version != current.version {
            div.alert.alert-info role="status" {
                p { "Rated under risk model " a href=(format!("/risk-model/versions/{}", r.model_version)) { "version " (r.model_version) }
                    "; the current version is " (current.version) ". The register is moved by re-rating it (risk model page)." }
            }
        }
        section.card aria-labelledby="scenario-h" {
            h2 #scenario-h { "Scenario" }
            dl.fields {
                div.fieldrow.wide { dt { "Threat source" } dd { (text(&r.threat_source)) } }
                div.fieldrow.wide { dt { "Threat event" } dd { (text(&r.threat_event)) } }
                div.fieldrow.wide { dt { "Vulnerability" } dd { (text(&r.vulnerability)) } }
                div.fieldrow.wide { dt { "Consequence" } dd { (text(&r.consequence)) } }
            }
            h3 { "What it affects" }
            dl.fields {
                @for (label, kind, ids) in &affects {
                    @if !ids.is_empty() {
                        div.fieldrow { dt { (label) } dd { @for (i, x) in ids.iter().enumerate() { @if i > 0 { ", " } (link(*kind, *x)) } } }
                    }
                }
                @if affects.iter().all(|(_, _, ids)| ids.is_empty()) { p.muted { "No records named." } }
            }
            @if !r.origin.is_empty() { p.muted { "Drawn from " (origin_label(r.origin.as_str())) "." } }
        }
        section.card aria-labelledby="ratings-h" {
            div.card-head {
                h2 #ratings-h { "Ratings" }
                p.muted { "Risk model " a href=(format!("/risk-model/versions/{}", model.version)) { "version " (model.version) }
                    " · tolerable up to " (level_badge(&model.model, Some(model.model.tolerable_level))) }
            }
            (rating_rows(&model.model, r))
            @if let Some(l) = r.residual_level.filter(|l| *l > model.model.tolerable_level) {
                p.muted { "The residual level " (model.model.level_label(l)) " is above the tolerable level: it needs further treatment, or acceptance by a role allowed to accept it." }
            }
        }
        section.card aria-labelledby="controls-h" {
            h2 #controls-h { "Controls and treatment" }
            dl.fields {
                div.fieldrow.wide { dt { "Existing controls" } dd {
                    @if r.existing_controls.is_empty() { span.none { "—" } }
                    ul.plain { @for c in &r.existing_controls { li { (c.as_str()) } } }
                } }
                div.fieldrow { dt { "Annex A controls" } dd {
                    @if r.control_ids.is_empty() { span.none { "—" } }
                    @for c in &r.control_ids { span.badge.tone-neutral.mono { (c) } " " }
                } }
                div.fieldrow { dt { "Treatment" } dd { @match r.treatment { Some(t) => (t.label()), None => span.none { "—" } } } }
            }
            h3 { "Treatment plan" }
            @if r.plan.is_empty() {
                p.muted { "No actions." }
            } @else {
                div.table-wrap {
                    table.data.plan {
                        thead { tr { th scope="col" { "Action" } th scope="col" { "Owner" } th scope="col" { "Due" } th scope="col" { "Status" } th scope="col" { "Annex A" } } }
                        tbody {
                            @for p in &r.plan {
                                tr {
                                    td { (p.action.as_str()) }
                                    td { (p.owner.as_str()) }
                                    td.nowrap { (p.due_date) @if p.status.is_open() && p.due_date < today && r.state != RiskState::Closed { " " (badge("bad", "overdue")) } }
                                    td { (badge(match p.status { PlanStatus::Done => "ok", PlanStatus::Cancelled => "neutral", _ => "info" }, p.status.label())) }
                                    td.mono { (p.control_id.clone().unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card aria-labelledby="owner-h" {
            h2 #owner-h { "Ownership and review" }
            dl.fields {
                div.fieldrow { dt { "Risk owner" } dd { @if r.risk_owner.is_empty() { span.none { "—" } } @else { (r.risk_owner.as_str()) } } }
                div.fieldrow { dt { "Review date" } dd {
                    @match r.review_date { Some(d) => { (d) @if r.review_overdue(today) { " " (badge("bad", "overdue")) } }, None => span.none { "—" } }
                } }
                div.fieldrow { dt { "State" } dd { (badge(state_tone(r.state), r.state.label())) } }
                div.fieldrow { dt { "Version" } dd.mono { (rec.version) } }
                div.fieldrow { dt { "Last changed" } dd { (render::time(&rec.updated_at.to_string())) } }
            }
            @if can_accept {
                p.muted {
                    "The risk owner accepts the residual risk with an electronic signature with the meaning \u{201c}Risk accepted\u{201d}. "
                    @if limit > 0 { "Your roles on this site may accept up to " (level_badge(&current.model, Some(limit))) "." }
                    @else { "Your roles on this site may not accept risks." }
                }
            }
        }
        (sign::section(EntityKind::Risk, id, &signatures, ctx.actor.user_id.is_some()))
        details.danger-zone #delete {
            summary { "Delete this risk…" }
            form method="post" action=(format!("{base}/delete")) data-confirm=(format!("Delete risk {}? This cannot be undone (the audit trail keeps its history); closing it keeps it in the register.", r.title)) {
                (csrf_input())
                input type="hidden" name="version" value=(rec.version);
                div.field {
                    label for="delete-reason" { "Reason for the change" }
                    input #delete-reason type="text" name="reason" maxlength="500" autocomplete="off";
                    p.help { "Optional. Kept in the audit trail. A risk that no longer applies is usually closed instead." }
                }
                button.btn.btn-danger type="submit" { "Delete risk" }
            }
        }
    };
    let frame = Frame::new(r.title.to_string(), Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some(list_href(EntityKind::Risk, Some(site))))
        .crumb(r.title.to_string(), None)
        .switch_to("/risks");
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

// ---------------------------------------------------------------------------------------
// New, edit

/// A posted risk form, as typed.
#[derive(Debug, Clone, Default)]
struct RiskForm {
    p: Params,
}

impl RiskForm {
    fn one(&self, k: &str) -> String {
        self.p.get(k).unwrap_or("").to_owned()
    }

    fn all(&self, k: &str) -> Vec<String> {
        self.p.all(k).into_iter().map(str::to_owned).collect()
    }

    /// The form of a stored (or new) risk.
    fn of(r: Option<&Risk>, site: i64) -> Self {
        match r {
            Some(r) => Self::of_input(&r.to_input(), site),
            None => Self { p: Params(vec![("site_id".into(), site.to_string())]) },
        }
    }

    /// The form filled from an input (a stored risk, a template, a suggestion).
    fn of_input(i: &c981_domain::RiskInput, site: i64) -> Self {
        let mut v: Vec<(String, String)> = vec![("site_id".into(), site.to_string())];
        let mut push = |k: &str, x: &str| v.push((k.to_owned(), x.to_owned()));
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        for (k, x) in [
            ("title", &i.title),
            ("threat_source", &i.threat_source),
            ("threat_event", &i.threat_event),
            ("vulnerability", &i.vulnerability),
            ("consequence", &i.consequence),
            ("origin", &i.origin),
        ] {
            push(k, &text(x));
        }
        for (k, ids) in [
            ("asset_ids", &i.asset_ids),
            ("zone_ids", &i.zone_ids),
            ("conduit_ids", &i.conduit_ids),
            ("flow_ids", &i.flow_ids),
            ("interface_ids", &i.interface_ids),
            ("supplier_ids", &i.supplier_ids),
            ("other_site_ids", &i.other_site_ids),
        ] {
            for x in ids {
                push(k, x);
            }
        }
        let level = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for (prefix, likelihood, impacts) in [
            ("inherent", &i.inherent_likelihood, &i.inherent_impacts),
            ("residual", &i.residual_likelihood, &i.residual_impacts),
        ] {
            if let Some(l) = likelihood {
                push(&format!("{prefix}_likelihood"), l);
            }
            for (d, l) in impacts {
                push(&format!("{prefix}_impact.{d}"), &level(l));
            }
        }
        push("existing_controls", &i.existing_controls.join("\n"));
        push("control_ids", &i.control_ids.join(", "));
        push("treatment", &text(&i.treatment));
        for p in &i.plan {
            push("plan_action", &text(&p.action));
            push("plan_owner", &text(&p.owner));
            push("plan_due", &text(&p.due_date));
            push("plan_status", &text(&p.status));
            push("plan_control", &text(&p.control_id));
        }
        push("risk_owner", &text(&i.risk_owner));
        push("review_date", &text(&i.review_date));
        push("state", &text(&i.state));
        Self { p: Params(v) }
    }

    /// The plan rows as typed (rows left blank are dropped).
    fn plan_rows(&self) -> Vec<[String; 5]> {
        let cols = ["plan_action", "plan_owner", "plan_due", "plan_status", "plan_control"].map(|k| self.all(k));
        let n = cols.iter().map(Vec::len).max().unwrap_or(0);
        (0..n)
            .map(|i| std::array::from_fn(|c| cols[c].get(i).cloned().unwrap_or_default()))
            .filter(|row: &[String; 5]| [0, 1, 2, 4].iter().any(|&c| !row[c].trim().is_empty()))
            .collect()
    }

    /// The JSON a risk input is parsed from.
    fn input_json(&self) -> Value {
        let mut m = Map::new();
        for k in [
            "site_id",
            "title",
            "threat_source",
            "threat_event",
            "vulnerability",
            "consequence",
            "treatment",
            "risk_owner",
            "review_date",
            "state",
            "inherent_likelihood",
            "residual_likelihood",
            "origin",
        ] {
            let v = self.one(k);
            if !v.trim().is_empty() {
                m.insert(k.into(), Value::String(v));
            }
        }
        for k in ["asset_ids", "zone_ids", "conduit_ids", "flow_ids", "interface_ids", "supplier_ids", "other_site_ids"]
        {
            let items: Vec<Value> =
                self.all(k).iter().flat_map(|v| c981_domain::split_list(v)).map(Value::String).collect();
            m.insert(k.into(), Value::Array(items));
        }
        for k in ["existing_controls", "control_ids"] {
            let text = self.one(k);
            let items: Vec<Value> = if k == "existing_controls" {
                text.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| Value::String(l.to_owned())).collect()
            } else {
                c981_domain::split_list(&text).into_iter().map(Value::String).collect()
            };
            m.insert(k.into(), Value::Array(items));
        }
        for prefix in ["inherent", "residual"] {
            let mut impacts = Map::new();
            let key = format!("{prefix}_impact.");
            for (k, v) in &self.p.0 {
                if let Some(d) = k.strip_prefix(&key)
                    && !v.trim().is_empty()
                {
                    impacts.insert(d.to_owned(), Value::String(v.trim().to_owned()));
                }
            }
            m.insert(format!("{prefix}_impacts"), Value::Object(impacts));
        }
        let plan: Vec<Value> = self
            .plan_rows()
            .into_iter()
            .map(|[action, owner, due, status, control]| {
                json!({ "action": action, "owner": owner, "due_date": due, "status": status, "control_id": control })
            })
            .collect();
        m.insert("plan".into(), Value::Array(plan));
        Value::Object(m)
    }
}

/// Field errors by field name (`plan[1].owner` as such), and the rest.
#[derive(Debug, Default)]
struct Errs {
    by_field: BTreeMap<String, Vec<String>>,
    banner: Option<String>,
}

impl Errs {
    fn of(e: &c981_domain::ValidationError) -> Self {
        let mut out = Self::default();
        for f in &e.errors {
            out.by_field.entry(f.field.clone()).or_default().push(f.message.clone());
        }
        out
    }

    fn get(&self, k: &str) -> Option<String> {
        self.by_field.get(k).map(|m| m.join("; "))
    }

    /// The messages of `k` and of everything under it (`inherent_impacts.safety` under
    /// `inherent_impacts`).
    fn under(&self, k: &str) -> Vec<(String, String)> {
        self.by_field
            .iter()
            .filter(|(f, _)| *f == k || f.starts_with(&format!("{k}.")) || f.starts_with(&format!("{k}[")))
            .map(|(f, m)| (f.clone(), m.join("; ")))
            .collect()
    }
}

fn field_error(e: Option<String>) -> Markup {
    html! { @if let Some(m) = e { p.field-error { (m) } } }
}

/// The choices of a site for the form: zones, conduits, interfaces (few), assets and flows
/// (by id, with suggestions).
struct Choices {
    zones: Vec<(i64, String)>,
    conduits: Vec<(i64, String)>,
    interfaces: Vec<(i64, String)>,
    suppliers: Vec<(i64, String)>,
}

async fn choices(s: &AppState, ctx: &Ctx, site: i64) -> Result<Choices, AppError> {
    let p = ListParams { site_id: Some(SiteId::new(site)), limit: Some(1000), ..Default::default() };
    let zones =
        s.app.list::<Zone>(ctx, &p).await?.items.iter().map(|z| (z.id.get(), z.data.name.to_string())).collect();
    let conduits =
        s.app.list::<Conduit>(ctx, &p).await?.items.iter().map(|c| (c.id.get(), c.data.name.to_string())).collect();
    let interfaces =
        s.app.list::<Interface>(ctx, &p).await?.items.iter().map(|c| (c.id.get(), c.data.name.to_string())).collect();
    let suppliers = s
        .app
        .list::<c981_domain::Supplier>(ctx, &p)
        .await?
        .items
        .iter()
        .map(|c| (c.id.get(), c.data.name.to_string()))
        .collect();
    Ok(Choices { zones, conduits, interfaces, suppliers })
}

#[allow(clippy::too_many_arguments)]
async fn render_form(
    s: &AppState,
    ctx: &Ctx,
    shell: &Shell,
    id: Option<(i64, i64)>,
    form: &RiskForm,
    errs: &Errs,
    reason: &str,
    status: StatusCode,
) -> Result<Response, UiError> {
    let site: i64 = form.one("site_id").parse().map_err(|_| UiError::BadRequest("site_id: not a site".into()))?;
    let model = s.app.risk_model(ctx).await?;
    let m = &model.model;
    let ch = choices(s, ctx, site).await?;
    let (title, action) = match id {
        Some((id, _)) => (format!("Edit {}", form.one("title")), format!("/risks/{id}/edit")),
        None => ("New risk".to_owned(), "/risks/new".to_owned()),
    };
    let cancel = match id {
        Some((id, _)) => format!("/risks/{id}"),
        None => list_href(EntityKind::Risk, Some(site)),
    };
    let text_field = |name: &str, label: &str, help: &str, long: bool, required: bool| {
        let err = errs.get(name);
        let fid = format!("f-{name}");
        html! {
            div class=(if err.is_some() { "field wide invalid" } else { "field wide" }) {
                label for=(fid) { (label) @if required { " " abbr.req title="required" { "*" } } }
                @if long {
                    textarea id=(fid) name=(name) rows="3" { (form.one(name)) }
                } @else {
                    input id=(fid) type="text" name=(name) value=(form.one(name)) required[required] autocomplete="off";
                }
                @if !help.is_empty() { p.help { (help) } }
                (field_error(err))
            }
        }
    };
    let checks = |name: &str, legend: &str, options: &[(i64, String)]| {
        let chosen = form.all(name);
        let err = errs.under(name);
        html! {
            fieldset class=(if err.is_empty() { "field wide" } else { "field wide invalid" }) {
                legend { (legend) }
                @if options.is_empty() { p.empty-inline { "None in this site." } }
                div.checks {
                    @for (x, label) in options {
                        @let cid = format!("f-{name}-{x}");
                        div.check {
                            input type="checkbox" id=(cid) name=(name) value=(x) checked[chosen.contains(&x.to_string())];
                            label for=(cid) { (label) }
                        }
                    }
                }
                @for (_, msg) in &err { p.field-error { (msg) } }
            }
        }
    };
    let ids_field = |name: &str, label: &str, help: &str| {
        let err = errs.under(name);
        let fid = format!("f-{name}");
        html! {
            div class=(if err.is_empty() { "field" } else { "field invalid" }) {
                label for=(fid) { (label) }
                input.mono id=(fid) type="text" name=(name) value=(form.all(name).join(", ")) autocomplete="off" placeholder="ids, e.g. 12, 40";
                p.help { (help) }
                @for (_, msg) in &err { p.field-error { (msg) } }
            }
        }
    };
    let rating = |prefix: &str, legend: &str, help: &str| {
        let lname = format!("{prefix}_likelihood");
        let cur = form.one(&lname);
        let err = errs.under(&lname);
        let ierr = errs.under(&format!("{prefix}_impacts"));
        html! {
            fieldset.field.wide.rating {
                legend { (legend) }
                p.help { (help) }
                div.form-grid {
                    div class=(if err.is_empty() { "field" } else { "field invalid" }) {
                        label for=(format!("f-{lname}")) { "Likelihood" }
                        select id=(format!("f-{lname}")) name=(lname) {
                            option value="" selected[cur.is_empty()] { "— not rated —" }
                            @if !cur.is_empty() && cur.parse::<usize>().map_or(true, |l| l == 0 || l > m.likelihood.len()) {
                                option value=(cur) selected { (cur) " (not on the current scale)" }
                            }
                            @for (i, l) in m.likelihood.iter().enumerate() {
                                option value=(i + 1) selected[cur == (i + 1).to_string()] title=(l.description.as_str()) { (i + 1) " " (l.name) }
                            }
                        }
                        @for (_, msg) in &err { p.field-error { (msg) } }
                    }
                    @for d in &m.dimensions {
                        @let name = format!("{prefix}_impact.{}", d.key);
                        @let cur = form.one(&name);
                        @let e = errs.get(&format!("{prefix}_impacts.{}", d.key));
                        div class=(if e.is_some() { "field invalid" } else { "field" }) {
                            label for=(format!("f-{name}")) { (d.name) }
                            select id=(format!("f-{name}")) name=(name) {
                                option value="" selected[cur.is_empty()] { "— not rated —" }
                                @for (i, l) in m.impact_levels.iter().enumerate() {
                                    option value=(i + 1) selected[cur == (i + 1).to_string()] title=(d.descriptions.get(i).map(|t| t.as_str()).unwrap_or("")) {
                                        (i + 1) " " (l.name)
                                    }
                                }
                            }
                            (field_error(e))
                        }
                    }
                }
                // Impacts rated under a dimension the current model no longer has.
                @for (f, msg) in ierr.iter().filter(|(f, _)| m.dimension(f.rsplit('.').next().unwrap_or("")).is_none()) {
                    p.field-error { (f) ": " (msg) }
                }
                @for (k, v) in form.p.0.iter().filter(|(k, _)| k.strip_prefix(&format!("{prefix}_impact.")).is_some_and(|d| m.dimension(d).is_none())) {
                    input type="hidden" name=(k) value=(v);
                }
            }
        }
    };
    let mut plan = form.plan_rows();
    plan.push(Default::default());
    plan.push(Default::default());
    let plan_errs = errs.under("plan");
    let states: Vec<RiskState> = RiskState::ALL
        .iter()
        .copied()
        .filter(|st| *st != RiskState::Accepted || form.one("state") == "accepted")
        .collect();
    let all_errors: Vec<(String, String)> = errs.by_field.iter().map(|(f, m)| (f.clone(), m.join("; "))).collect();
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Risk" @if let Some(code) = shell.site_code(site) { " · " (code) } }
                h1 { (title) }
            }
        }
        @if errs.banner.is_some() || !all_errors.is_empty() {
            div.alert.alert-bad role="alert" {
                @if let Some(b) = &errs.banner { p { strong { (b) } } }
                @if !all_errors.is_empty() {
                    p { strong { "Please correct " (all_errors.len()) @if all_errors.len() == 1 { " field." } @else { " fields." } } }
                    ul { @for (f, m) in &all_errors { li { span.mono { (f) } ": " (m) } } }
                }
            }
        }
        p.form-note { "Ratings use risk model version " (model.version) ": " a href="/risk-model" { "see the scales and the matrix" } "." }
        form.entity-form method="post" action=(action) {
            (csrf_input())
            input type="hidden" name="site_id" value=(site);
            @if let Some((_, version)) = id { input type="hidden" name="version" value=(version); }
            @if !form.one("origin").is_empty() {
                input type="hidden" name="origin" value=(form.one("origin"));
                p.form-note { "Drawn from " (origin_label(&form.one("origin"))) ". Review every value: the ratings are hints, never results." }
            }
            div.form-grid {
                (text_field("title", "Title", "", false, true))
                (text_field("threat_source", "Threat source", "Who or what could cause it: a criminal group, a vendor's technician, a careless insider, a failure.", true, false))
                (text_field("threat_event", "Threat event", "What happens, step by step.", true, false))
                (text_field("vulnerability", "Vulnerability", "The weakness it exploits.", true, false))
                (text_field("consequence", "Consequence", "What it does to people, production, product and data.", true, false))
                (checks("zone_ids", "Zones", &ch.zones))
                (checks("conduit_ids", "Conduits", &ch.conduits))
                (checks("interface_ids", "Interfaces", &ch.interfaces))
                (checks("supplier_ids", "Suppliers", &ch.suppliers))
                @if shell.sites.len() > 1 {
                    (checks("other_site_ids", "Other sites affected", &shell.sites.iter().filter(|x| x.id != site).map(|x| (x.id, format!("{} – {}", x.code, x.name))).collect::<Vec<_>>()))
                }
                (ids_field("asset_ids", "Assets", "Ids of assets of this site, separated by commas."))
                (ids_field("flow_ids", "Data flows", "Ids of data flows of this site, separated by commas."))
                (rating("inherent", "Inherent rating", "Without the controls the treatment will add. Rate the dimensions that apply; the impact is their aggregate."))
                div class=(if errs.under("existing_controls").is_empty() { "field wide" } else { "field wide invalid" }) {
                    label for="f-existing_controls" { "Existing controls" }
                    textarea #f-existing_controls name="existing_controls" rows="3" { (form.one("existing_controls")) }
                    p.help { "One per line." }
                    @for (_, msg) in errs.under("existing_controls") { p.field-error { (msg) } }
                }
                div class=(if errs.under("control_ids").is_empty() { "field" } else { "field invalid" }) {
                    label for="f-control_ids" { "Annex A controls" }
                    input.mono #f-control_ids type="text" name="control_ids" value=(form.one("control_ids")) placeholder="8.20, 8.22" autocomplete="off";
                    p.help { "ISO/IEC 27001:2022 Annex A ids, separated by commas." }
                    @for (_, msg) in errs.under("control_ids") { p.field-error { (msg) } }
                }
                div class=(if errs.get("treatment").is_some() { "field invalid" } else { "field" }) {
                    label for="f-treatment" { "Treatment" }
                    select #f-treatment name="treatment" {
                        option value="" selected[form.one("treatment").is_empty()] { "—" }
                        @for t in Treatment::ALL { option value=(t.as_str()) selected[form.one("treatment") == t.as_str()] { (t.label()) } }
                    }
                    (field_error(errs.get("treatment")))
                }
                fieldset.field.wide.plan-edit {
                    legend { "Treatment plan" }
                    p.help { "Every action needs an owner and a due date. Leave a row blank to drop it; save to get more rows." }
                    @for (_, msg) in plan_errs.iter().filter(|(f, _)| f == "plan") { p.field-error { (msg) } }
                    div.table-wrap {
                        table.data.plan {
                            thead { tr { th scope="col" { "Action" } th scope="col" { "Owner" } th scope="col" { "Due date" } th scope="col" { "Status" } th scope="col" { "Annex A control" } } }
                            tbody {
                                @for (i, row) in plan.iter().enumerate() {
                                    @let e = |f: &str| errs.get(&format!("plan[{i}].{f}"));
                                    tr {
                                        td { input type="text" name="plan_action" value=(row[0]) aria-label=(format!("Action {}", i + 1)) aria-invalid=[e("action").map(|_| "true")]; (field_error(e("action"))) }
                                        td { input type="text" name="plan_owner" value=(row[1]) aria-label=(format!("Owner of action {}", i + 1)) aria-invalid=[e("owner").map(|_| "true")]; (field_error(e("owner"))) }
                                        td { input type="date" name="plan_due" value=(row[2]) aria-label=(format!("Due date of action {}", i + 1)) aria-invalid=[e("due_date").map(|_| "true")]; (field_error(e("due_date"))) }
                                        td {
                                            select name="plan_status" aria-label=(format!("Status of action {}", i + 1)) {
                                                @for st in PlanStatus::ALL { option value=(st.as_str()) selected[row[3] == st.as_str()] { (st.label()) } }
                                            }
                                            (field_error(e("status")))
                                        }
                                        td { input.mono type="text" name="plan_control" value=(row[4]) placeholder="8.20" aria-label=(format!("Annex A control of action {}", i + 1)); (field_error(e("control_id"))) }
                                    }
                                }
                            }
                        }
                    }
                }
                (rating("residual", "Residual rating", "Once the treatment is in place."))
                div class=(if errs.get("risk_owner").is_some() { "field invalid" } else { "field" }) {
                    label for="f-risk_owner" { "Risk owner" }
                    input #f-risk_owner type="text" name="risk_owner" value=(form.one("risk_owner")) autocomplete="off";
                    p.help { "The user name or printed name of the account that accepts the risk." }
                    (field_error(errs.get("risk_owner")))
                }
                div class=(if errs.get("review_date").is_some() { "field invalid" } else { "field" }) {
                    label for="f-review_date" { "Review date" }
                    input #f-review_date type="date" name="review_date" value=(form.one("review_date"));
                    (field_error(errs.get("review_date")))
                }
                div class=(if errs.get("state").is_some() { "field invalid" } else { "field" }) {
                    label for="f-state" { "State" }
                    select #f-state name="state" {
                        @for st in &states { option value=(st.as_str()) selected[form.one("state") == st.as_str() || (form.one("state").is_empty() && *st == RiskState::Identified)] { (st.label()) } }
                    }
                    p.help { "\u{201c}Accepted\u{201d} is reached by the risk owner's signature, from the risk's page." }
                    (field_error(errs.get("state")))
                }
                @if id.is_some() {
                    div.field.wide.reason {
                        label for="f-reason" { "Reason for the change" }
                        input #f-reason type="text" name="reason" value=(reason) maxlength="500" autocomplete="off";
                        p.help { "Optional. Kept in the audit trail with the change." }
                    }
                }
            }
            div.form-actions {
                button.btn.btn-primary type="submit" { @if id.is_some() { "Save changes" } @else { "Create risk" } }
                a.btn.btn-ghost href=(cancel) { "Cancel" }
            }
        }
    };
    let mut frame = Frame::new(title.clone(), Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some(list_href(EntityKind::Risk, Some(site))));
    if let Some((id, _)) = id {
        frame = frame.crumb(format!("Risk {id}"), Some(format!("/risks/{id}")));
    }
    let frame = frame.crumb(title, None).switch_to("/risks");
    Ok(respond(status, layout::page(&shell.clone().with_site(Some(site)), frame, body)))
}

async fn new_form(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &params).await?;
    let site = shell.site.or_else(|| (shell.sites.len() == 1).then(|| shell.sites[0].id));
    let Some(site) = site else {
        return Ok(pages::choose_site::<Risk>(&shell));
    };
    let site_id = SiteId::new(site);
    let mut form = if let Some(key) = params.get("suggestion") {
        // A suggestion from the facts, accepted for review.
        let sug = s.app.risk_suggestion(&ctx, site_id, key).await?;
        RiskForm::of_input(&s.app.suggestion_input(&ctx, &sug).await?, site)
    } else if let Some(t) = params.get("template") {
        let t = s.app.threat_template(&ctx, t).await?;
        let model = s.app.risk_model(&ctx).await?;
        RiskForm::of_input(&c981_app::risk_library::input_from_template(&t.template, &model.model, site_id), site)
    } else {
        RiskForm::of(None, site)
    };
    // Prefill from the query (a zone's or an asset's page offering "add a risk").
    for k in ["zone_ids", "asset_ids", "conduit_ids", "flow_ids", "interface_ids", "supplier_ids", "title"] {
        for v in params.all(k) {
            form.p.0.push((k.to_owned(), v.to_owned()));
        }
    }
    render_form(&s, &ctx, &shell, None, &form, &Errs::default(), "", StatusCode::OK).await
}

/// The errors a form shows again; others become error pages.
fn form_failure(e: AppError) -> Result<(Errs, StatusCode), UiError> {
    match e {
        AppError::Invalid(v) => Ok((Errs::of(&v), StatusCode::UNPROCESSABLE_ENTITY)),
        AppError::Conflict(m) => Ok((Errs { banner: Some(m), ..Default::default() }, StatusCode::CONFLICT)),
        other => Err(other.into()),
    }
}

async fn create(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let form = RiskForm { p: Params::parse(&body) };
    let result = match input_from_json::<Risk>(form.input_json()) {
        Ok(input) => s.app.create::<Risk>(&ctx, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/risks/{}", r.id.get())).into_response()),
        Err(e) => {
            let (errs, status) = form_failure(e)?;
            let shell = Shell::load(&s, &ctx, &Params::default()).await?;
            render_form(&s, &ctx, &shell, None, &form, &errs, "", status).await
        }
    }
}

async fn edit_form(State(s): State<AppState>, UiCtx(ctx): UiCtx, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Risk, &id)?;
    let rec = s.app.get::<Risk>(&ctx, id).await?;
    let site = rec.data.site_id.get();
    let shell = Shell::load(&s, &ctx, &Params::default()).await?.with_site(Some(site));
    let form = RiskForm::of(Some(&rec.data), site);
    render_form(&s, &ctx, &shell, Some((id, rec.version)), &form, &Errs::default(), "", StatusCode::OK).await
}

async fn update(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let id = parse_id(EntityKind::Risk, &id)?;
    let form = RiskForm { p: Params::parse(&body) };
    let reason = form.one("reason");
    let version = match form.p.get("version") {
        Some(v) => Some(v.parse::<i64>().map_err(|_| UiError::BadRequest(format!("version: {v:?} is not a version")))?),
        None => None,
    };
    let ctx = ctx.with_reason(Some(reason.clone()));
    let result = match input_from_json::<Risk>(form.input_json()) {
        Ok(input) => s.app.replace::<Risk>(&ctx, id, version, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/risks/{id}")).into_response()),
        Err(e) => {
            let (errs, status) = form_failure(e)?;
            let shell = Shell::load(&s, &ctx, &Params::default()).await?;
            render_form(&s, &ctx, &shell, Some((id, version.unwrap_or(0))), &form, &errs, &reason, status).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// The risk model

/// The matrix, highest likelihood on top; editable (one select per cell) when `edit`.
fn matrix(m: &RiskModel, edit: bool) -> Markup {
    html! {
        div.table-wrap {
            table.risk-matrix {
                caption { "Risk level by likelihood (rows) and impact (columns)" }
                thead {
                    tr {
                        th scope="col" { "Likelihood ↓ / Impact →" }
                        @for (i, l) in m.impact_levels.iter().enumerate() { th scope="col" { span.mono { (i + 1) } " " (l.name) } }
                    }
                }
                tbody {
                    @for li in (0..m.likelihood.len()).rev() {
                        tr {
                            th scope="row" { span.mono { (li + 1) } " " (m.likelihood[li].name) }
                            @for ii in 0..m.impact_levels.len() {
                                @let level = m.matrix[li][ii];
                                @let colour = m.risk_level(level).map_or("grey", |l| l.colour.as_str());
                                td class=(format!("cell risk-{colour}")) {
                                    @if edit {
                                        select name=(format!("m-{li}-{ii}")) aria-label=(format!("Risk level at likelihood {} and impact {}", li + 1, ii + 1)) {
                                            @for (n, rl) in m.risk_levels.iter().enumerate() {
                                                option value=(n + 1) selected[usize::from(level) == n + 1] { (n + 1) " " (rl.name) }
                                            }
                                        }
                                    } @else {
                                        (m.risk_level(level).map_or_else(|| format!("level {level}"), |l| format!("{level} {}", l.name)))
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

/// Everything of a model version, read-only.
fn model_view(v: &ModelVersion) -> Markup {
    let m = &v.model;
    html! {
        section.card aria-labelledby="matrix-h" {
            h2 #matrix-h { "Risk matrix" }
            (matrix(m, false))
            p.muted { "Impacts rated in several dimensions aggregate to one impact: " (m.aggregation.label().to_lowercase()) "." }
        }
        section.card aria-labelledby="levels-h" {
            h2 #levels-h { "Risk levels and acceptance criteria" }
            div.table-wrap {
                table.data {
                    thead { tr { th scope="col" { "Level" } th scope="col" { "Meaning" } th scope="col" { "May be accepted by" } } }
                    tbody {
                        @for (n, l) in m.risk_levels.iter().enumerate() {
                            @let level = (n + 1) as u8;
                            tr {
                                td { (level_badge(m, Some(level))) @if level == m.tolerable_level { " " (badge("info", "tolerable")) } }
                                td { (l.description.as_str()) }
                                td {
                                    @let who: Vec<String> = ACCEPTING_ROLES.iter().filter(|r| m.acceptance_limit(r) >= level)
                                        .map(|r| Role::parse(r).map_or_else(|_| (*r).to_owned(), |x| x.label().to_owned())).collect();
                                    @if who.is_empty() { span.none { "nobody" } } @else { (who.join(", ")) }
                                }
                            }
                        }
                    }
                }
            }
            p.muted { "Tolerable up to " (m.level_label(m.tolerable_level)) ". A residual risk is accepted by its owner's signature, within the limit of the owner's role." }
        }
        section.card aria-labelledby="likelihood-h" {
            h2 #likelihood-h { "Likelihood scale" }
            div.table-wrap {
                table.data {
                    thead { tr { th scope="col" .num { "Level" } th scope="col" { "Name" } th scope="col" { "Meaning" } } }
                    tbody { @for (i, l) in m.likelihood.iter().enumerate() { tr { td.num { (i + 1) } td { (l.name) } td { (l.description.as_str()) } } } }
                }
            }
        }
        section.card aria-labelledby="dims-h" {
            h2 #dims-h { "Impact dimensions" }
            div.table-wrap {
                table.data.dimensions {
                    thead {
                        tr {
                            th scope="col" { "Dimension" }
                            @for (i, l) in m.impact_levels.iter().enumerate() { th scope="col" { span.mono { (i + 1) } " " (l.name) } }
                        }
                    }
                    tbody {
                        @for d in &m.dimensions {
                            tr {
                                th scope="row" { (d.name) br; span.mono.muted { (d.key) } }
                                @for t in &d.descriptions { td { (t.as_str()) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn model_page(State(s): State<AppState>, UiCtx(ctx): UiCtx, RawQuery(q): RawQuery) -> Result<Response, UiError> {
    let params = Params::from_query(q.as_deref());
    render_model(&s, &ctx, &params, None, StatusCode::OK).await
}

async fn render_model(
    s: &AppState,
    ctx: &Ctx,
    params: &Params,
    problem: Option<(String, Option<String>)>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let shell = Shell::load(s, ctx, &Params::default()).await?;
    let current = s.app.risk_model(ctx).await?;
    let versions = s.app.risk_model_versions(ctx).await?;
    let m = &current.model;
    let editor = may_change_model(ctx);
    let flagged = s
        .app
        .count::<Risk>(
            ctx,
            &ListParams { filters: vec![("needs_rerating".into(), "true".into())], ..Default::default() },
        )
        .await?;
    let (problem, json_text) = match problem {
        Some((p, j)) => (Some(p), j),
        None => (None, None),
    };
    let json_text = json_text.unwrap_or_else(|| serde_json::to_string_pretty(&m.to_json()).unwrap_or_default());
    let levels: Vec<(String, String)> =
        m.risk_levels.iter().enumerate().map(|(i, l)| ((i + 1).to_string(), format!("{} {}", i + 1, l.name))).collect();
    let body = html! {
        div.page-head {
            div {
                h1 { "Risk model" }
                p.subtitle {
                    "Version " (current.version) " · "
                    @match current.created_at { Some(t) => { "saved " (render::time(&t.to_string())) " by " (current.created_by) }, None => "built in, installed with the database" }
                    @if let Some(r) = &current.reason { " · " (r) }
                }
            }
            div.page-actions { a.btn href="/risks" { "Risk register" } }
        }
        @if let Some(p) = &problem { div.alert.alert-bad role="alert" { p { (p) } } }
        @if let (Some(r), Some(f)) = (params.get("rerated"), params.get("flagged")) {
            div.alert.alert-ok role="status" { p { "Re-rated " strong { (r) } " risks under version " (current.version) "; " strong { (f) } " newly flagged \u{201c}needs re-rating\u{201d}." } }
        }
        @if params.get("saved").is_some() {
            div.alert.alert-ok role="status" { p { "Saved as version " (current.version) ". Existing ratings keep their version until the register is re-rated." } }
        }
        (model_view(&current))
        @if editor {
            section.card aria-labelledby="edit-h" {
                h2 #edit-h { "Change the matrix and the acceptance criteria" }
                p.muted { "Saving makes version " (current.version + 1) "; ratings keep the version they were made with until the register is re-rated." }
                form.entity-form method="post" action="/risk-model" {
                    (csrf_input())
                    input type="hidden" name="based_on" value=(current.version);
                    (matrix(m, true))
                    div.form-grid {
                        div.field {
                            label for="f-aggregation" { "Aggregation of impacts" }
                            select #f-aggregation name="aggregation" {
                                @for a in Aggregation::ALL { option value=(a.as_str()) selected[*a == m.aggregation] { (a.label()) } }
                            }
                        }
                        div.field {
                            label for="f-tolerable" { "Tolerable level" }
                            select #f-tolerable name="tolerable_level" {
                                @for (v, l) in &levels { option value=(v) selected[*v == m.tolerable_level.to_string()] { (l) } }
                            }
                        }
                        @for role in ACCEPTING_ROLES {
                            @let label = Role::parse(role).map_or(role, |r| r.label());
                            div.field {
                                label for=(format!("f-accept-{role}")) { (label) " may accept up to" }
                                select id=(format!("f-accept-{role}")) name=(format!("accept-{role}")) {
                                    option value="0" selected[m.acceptance_limit(role) == 0] { "nothing" }
                                    @for (v, l) in &levels { option value=(v) selected[*v == m.acceptance_limit(role).to_string()] { (l) } }
                                }
                            }
                        }
                        div.field.wide.reason {
                            label for="f-model-reason" { "Reason for the change" }
                            input #f-model-reason type="text" name="reason" maxlength="500" autocomplete="off";
                            p.help { "Kept with the version and in the audit trail." }
                        }
                    }
                    div.form-actions { button.btn.btn-primary type="submit" { "Save as version " (current.version + 1) } }
                }
            }
            section.card aria-labelledby="json-h" {
                h2 #json-h { "Edit the whole model" }
                p.muted { "Scales, dimensions and their descriptions, levels and colours: the model as JSON. Every problem is named by its field." }
                form.entity-form method="post" action="/risk-model/json" {
                    (csrf_input())
                    input type="hidden" name="based_on" value=(current.version);
                    div.field.wide {
                        label for="f-model-json" { "Risk model (JSON)" }
                        textarea.mono #f-model-json name="model" rows="18" spellcheck="false" { (json_text) }
                    }
                    div.field.wide.reason {
                        label for="f-json-reason" { "Reason for the change" }
                        input #f-json-reason type="text" name="reason" maxlength="500" autocomplete="off";
                    }
                    div.form-actions { button.btn.btn-primary type="submit" { "Save as version " (current.version + 1) } }
                }
            }
            section.card aria-labelledby="rerate-h" {
                h2 #rerate-h { "Re-rate the register" }
                p { "Moves every risk rated under an older version to version " (current.version) ": levels are mapped by their number and dimensions by their key. "
                    "A risk whose ratings do not fit (a level or a dimension this version no longer has) keeps them under its version and is flagged \u{201c}needs re-rating\u{201d}. "
                    "Acceptance signatures of risks whose record changes show \u{201c}record changed since signing\u{201d}." }
                p.muted { (flagged) " risks are flagged now." }
                form.inline-form method="post" action="/risk-model/rerate" data-confirm="Re-rate every risk of every site under the current model?" {
                    (csrf_input())
                    button.btn type="submit" { "Re-rate all risks under version " (current.version) }
                }
            }
        }
        section.card aria-labelledby="versions-h" {
            h2 #versions-h { "Versions" }
            ol.plain.versions {
                @for v in &versions {
                    li {
                        a href=(format!("/risk-model/versions/{}", v.version)) { "Version " (v.version) }
                        " · "
                        @match v.created_at { Some(t) => { (render::time(&t.to_string())) " · " (v.created_by) }, None => "built in" }
                        @if let Some(r) = &v.reason { " · " (r) }
                        @if v.version == current.version { " " (badge("ok", "current")) }
                    }
                }
            }
        }
    };
    let frame = Frame::new("Risk model", Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some("/risks".into()))
        .crumb("Risk model", None);
    Ok(respond(status, layout::page(&shell, frame, body)))
}

async fn model_version_page(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let n: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| UiError::NotFound(format!("{id:?} is not a version of the risk model.")))?;
    let shell = Shell::load(&s, &ctx, &Params::default()).await?;
    let v = s.app.risk_model_version(&ctx, n).await?;
    let current = s.app.risk_model(&ctx).await?.version;
    let body = html! {
        div.page-head {
            div {
                p.kicker { "Risk model" }
                h1 { "Version " (v.version) @if v.version == current { " " (badge("ok", "current")) } }
                p.subtitle {
                    @match v.created_at { Some(t) => { "saved " (render::time(&t.to_string())) " by " (v.created_by) }, None => "built in, installed with the database" }
                    @if let Some(r) = &v.reason { " · " (r) }
                }
            }
            div.page-actions { a.btn href="/risk-model" { "Current model" } }
        }
        (model_view(&v))
    };
    let frame = Frame::new(format!("Risk model version {n}"), Section::Entity(EntityKind::Risk))
        .crumb("Risks", Some("/risks".into()))
        .crumb("Risk model", Some("/risk-model".into()))
        .crumb(format!("Version {n}"), None);
    Ok(respond(StatusCode::OK, layout::page(&shell, frame, body)))
}

/// Saves a model; on a refusal the model page is shown again with what was wrong.
async fn save(
    s: &AppState,
    ctx: Ctx,
    p: &Params,
    model: Value,
    json_text: Option<String>,
) -> Result<Response, UiError> {
    let based_on = p.get("based_on").and_then(|v| v.parse::<i64>().ok());
    let ctx = ctx.with_reason(p.get("reason").map(str::to_owned));
    match s.app.set_risk_model(&ctx, &model, based_on).await {
        Ok(_) => Ok(Redirect::to("/risk-model?saved=1").into_response()),
        Err(AppError::Invalid(v)) => {
            let msg = format!("The model was not saved: {}", v.summary());
            render_model(s, &ctx, &Params::default(), Some((msg, json_text)), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict(m)) => {
            render_model(s, &ctx, &Params::default(), Some((m, json_text)), StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn model_save(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let current = s.app.risk_model(&ctx).await?;
    let mut model = current.model.to_json();
    for li in 0..current.model.likelihood.len() {
        for ii in 0..current.model.impact_levels.len() {
            if let Some(v) = p.get(&format!("m-{li}-{ii}")) {
                model["matrix"][li][ii] = Value::String(v.to_owned());
            }
        }
    }
    if let Some(a) = p.get("aggregation") {
        model["aggregation"] = Value::String(a.to_owned());
    }
    if let Some(t) = p.get("tolerable_level") {
        model["tolerable_level"] = Value::String(t.to_owned());
    }
    // The acceptance limits, when the form sends them (a role left out accepts nothing).
    if ACCEPTING_ROLES.iter().any(|role| p.has(&format!("accept-{role}"))) {
        let mut acceptance = Map::new();
        for role in ACCEPTING_ROLES {
            if let Some(v) = p.get(&format!("accept-{role}")) {
                acceptance.insert(role.to_owned(), Value::String(v.to_owned()));
            }
        }
        model["acceptance"] = Value::Object(acceptance);
    }
    save(&s, ctx, &p, model, None).await
}

async fn model_save_json(State(s): State<AppState>, UiCtx(ctx): UiCtx, body: Bytes) -> Result<Response, UiError> {
    let p = Params::parse(&body);
    let text = p.raw("model").to_owned();
    match serde_json::from_str::<Value>(&text) {
        Ok(model) => save(&s, ctx, &p, model, Some(text)).await,
        Err(e) => {
            let msg =
                format!("The model was not saved: not valid JSON at line {}, column {}: {e}", e.line(), e.column());
            render_model(&s, &ctx, &Params::default(), Some((msg, Some(text))), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

async fn model_rerate(State(s): State<AppState>, UiCtx(ctx): UiCtx) -> Result<Response, UiError> {
    let counts = s.app.rerate_risks(&ctx).await?;
    Ok(Redirect::to(&format!("/risk-model?rerated={}&flagged={}", counts.rerated, counts.flagged)).into_response())
}
