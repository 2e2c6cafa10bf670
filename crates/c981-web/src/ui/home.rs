//! The dashboard and the audit trail.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use c981_app::{AppError, Ctx, ListParams};
use c981_domain::audit::AuditEntry;
use c981_domain::entity::Entity;
use c981_domain::fields::FieldSpec;
use c981_domain::{
    Asset, Conduit, DataFlow, EntityKind, Interface, Record, Site, SiteId, SystemUnderConsideration, Zone,
};
use c981_store::AuditQuery;
use maud::{Markup, html};

use super::pages::{action_tone, changes_table, role_label};
use super::render::{self, Names, Obj, badge};
use super::{Frame, Params, Section, Shell, UiError, layout, url};
use crate::{AppState, UiCtx};

/// Rows per audit page.
const PAGE: u32 = 50;
/// Assets scanned per site for "end of support passed" (there is no list filter for it).
const EOS_SCAN_PAGES: usize = 5;

struct SiteStats {
    zones: i64,
    conduits: i64,
    assets: i64,
    legacy: i64,
    out_of_scope: i64,
    eos_passed: i64,
    eos_complete: bool,
    flows: i64,
    interfaces: i64,
}

fn params(site: SiteId, filters: &[(&str, &str)]) -> ListParams {
    ListParams {
        site_id: Some(site),
        filters: filters.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        limit: Some(1),
        ..Default::default()
    }
}

async fn stats(s: &AppState, ctx: &Ctx, site: SiteId, today: &str) -> Result<SiteStats, AppError> {
    let app = &s.app;
    let assets = app.count::<Asset>(ctx, &params(site, &[])).await?;
    let (eos_passed, eos_complete) = if assets == 0 { (0, true) } else { eos_passed(s, ctx, site, today).await? };
    Ok(SiteStats {
        zones: app.count::<Zone>(ctx, &params(site, &[])).await?,
        conduits: app.count::<Conduit>(ctx, &params(site, &[])).await?,
        assets,
        legacy: app.count::<Asset>(ctx, &params(site, &[("legacy", "true")])).await?,
        out_of_scope: app.count::<Asset>(ctx, &params(site, &[("in_scope", "false")])).await?,
        eos_passed,
        eos_complete,
        flows: app.count::<DataFlow>(ctx, &params(site, &[])).await?,
        interfaces: app.count::<Interface>(ctx, &params(site, &[])).await?,
    })
}

/// Counts the assets whose end of support is before `today`, scanning at most
/// [`EOS_SCAN_PAGES`] pages; the flag says whether every asset was seen.
async fn eos_passed(s: &AppState, ctx: &Ctx, site: SiteId, today: &str) -> Result<(i64, bool), AppError> {
    let mut n = 0;
    let mut cursor = None;
    for _ in 0..EOS_SCAN_PAGES {
        let p = ListParams { site_id: Some(site), cursor, limit: Some(1000), ..Default::default() };
        let (items, next) = render::parse_list(&s.app.list_json::<Asset>(ctx, &p).await?);
        n += items
            .iter()
            .filter(|a| a.get("end_of_support").and_then(|v| v.as_str()).is_some_and(|d| !d.is_empty() && d < today))
            .count() as i64;
        match next {
            None => return Ok((n, true)),
            Some(c) => cursor = Some(c),
        }
    }
    Ok((n, false))
}

/// The last audit entry, when the actor may read the trail.
async fn chain_head(s: &AppState, ctx: &Ctx) -> Result<Option<AuditEntry>, AppError> {
    let q = AuditQuery { limit: Some(1), newest_first: true, ..Default::default() };
    match s.app.audit_entries(ctx, &q).await {
        Ok(mut v) => Ok(v.pop()),
        Err(AppError::Forbidden(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn dashboard(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let p = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &p).await?;
    let names = Names::new(&shell, &s.app);
    let all = s.app.list::<Site>(&ctx, &ListParams { limit: Some(1000), ..Default::default() }).await?;
    let sites: Vec<&Record<Site>> = all.items.iter().filter(|r| shell.site.is_none_or(|id| r.id.get() == id)).collect();
    let mut cards = Vec::with_capacity(sites.len());
    for r in &sites {
        cards.push((*r, stats(&s, &ctx, r.id, &names.today).await?));
    }
    let head = chain_head(&s, &ctx).await?;
    let body = html! {
        div.page-head {
            div {
                h1 { "Dashboard" }
                p.subtitle { "The OT/IIoT estate in scope of the ISMS: sites, IEC 62443 zones and conduits, assets, data flows and interfaces." }
            }
            div.page-actions { a.btn href="/sites/new" { "New site" } }
        }
        @if cards.is_empty() {
            div.empty {
                p.empty-title { "No sites yet" }
                p { "A site is a plant. Create the first one, then describe its zones, conduits and assets." }
                p { a.btn.btn-primary href="/sites/new" { "Create the first site" } }
            }
        }
        div.site-cards {
            @for (site, st) in &cards { (site_card(site, st)) }
        }
        section.card.audit-card aria-labelledby="chain-h" {
            h2 #chain-h { "Audit trail" }
            @match &head {
                Some(e) => {
                    p {
                        strong { (e.seq) } " entries, hash-chained. Last entry " (render::time(&e.draft.at.to_string()))
                        ", hash " code.mono title=(hex(&e.hash)) { (hex(&e.hash).chars().take(16).collect::<String>()) "…" }
                    }
                    p.actions {
                        a.btn href="/audit?verify=1" { "Verify chain" }
                        " "
                        a.btn.btn-ghost href="/audit" { "Open the audit trail" }
                    }
                }
                None => p { "The audit trail is empty, or your role may not read it." },
            }
        }
    };
    let frame = Frame::new("Dashboard", Section::Home).switch_to("/");
    Ok(layout::page(&shell, frame, body).into_response())
}

fn hex(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn site_card(r: &Record<Site>, st: &SiteStats) -> Markup {
    let id = r.id.get();
    let d = &r.data;
    let list = |kind: EntityKind, extra: &[(&str, &str)]| {
        let mut p: Vec<(&str, String)> = vec![("site_id", id.to_string())];
        p.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        url(&format!("/{}", kind.plural()), &p)
    };
    let stat = |kind: EntityKind, n: i64| {
        html! {
            li { a.stat href=(list(kind, &[])) { span.stat-n { (n) } span.stat-l { (kind.label_plural()) } } }
        }
    };
    html! {
        article.card.site-card aria-labelledby=(format!("site-{id}")) {
            div.site-card-head {
                a.site-code href=(format!("/sites/{id}")) { (d.code.as_str()) }
                h2 id=(format!("site-{id}")) { a href=(format!("/sites/{id}")) { (d.name.as_str()) } }
                p.meta { span.mono { (d.country.as_str()) } " · " (d.industry.label()) " · " span.mono { (d.time_zone.as_str()) } }
                @if !d.regulations.is_empty() {
                    p.badges { @for reg in &d.regulations { (badge("neutral", reg.label())) " " } }
                }
            }
            ul.stats {
                (stat(EntityKind::Zone, st.zones))
                (stat(EntityKind::Conduit, st.conduits))
                (stat(EntityKind::Asset, st.assets))
                (stat(EntityKind::Flow, st.flows))
                (stat(EntityKind::Interface, st.interfaces))
            }
            @if st.assets > 0 {
                ul.flags aria-label="Assets needing attention" {
                    li.flag.tone-warn[st.legacy > 0] {
                        a href=(list(EntityKind::Asset, &[("legacy", "true")])) { strong { (st.legacy) } " legacy" }
                    }
                    li.flag.tone-bad[st.eos_passed > 0] {
                        strong { (st.eos_passed) @if !st.eos_complete { "+" } } " past end of support"
                    }
                    li.flag {
                        a href=(list(EntityKind::Asset, &[("in_scope", "false")])) { strong { (st.out_of_scope) } " not in ISMS scope" }
                    }
                }
            } @else {
                p.empty-inline {
                    "No assets yet. " a href=(format!("/assets/new?site_id={id}")) { "Add one" } " — or import a spreadsheet later."
                }
            }
            p.site-card-links {
                a href=(format!("/sites/{id}/zones-diagram")) { "Zone diagram" }
                a href=(format!("/findings?site_id={id}")) { "Findings" }
                a href=(format!("/paths?site_id={id}")) { "Cross-domain paths" }
            }
        }
    }
}

/// The fields of an entity kind, for rendering audit changes.
fn fields_of(kind: &str) -> &'static [FieldSpec] {
    match EntityKind::parse(kind) {
        Ok(EntityKind::Site) => Site::fields(),
        Ok(EntityKind::Zone) => Zone::fields(),
        Ok(EntityKind::Conduit) => Conduit::fields(),
        Ok(EntityKind::Asset) => Asset::fields(),
        Ok(EntityKind::Flow) => DataFlow::fields(),
        Ok(EntityKind::Interface) => Interface::fields(),
        Ok(EntityKind::System) => SystemUnderConsideration::fields(),
        Ok(EntityKind::Risk) => c981_domain::Risk::fields(),
        Ok(EntityKind::Supplier) => c981_domain::Supplier::fields(),
        Ok(EntityKind::Scope) => c981_domain::IsmsScope::fields(),
        Ok(EntityKind::SoaEntry) => c981_domain::SoaEntry::fields(),
        Ok(EntityKind::Evidence) => c981_domain::Evidence::fields(),
        Ok(EntityKind::SoaVersion) => c981_domain::SoaVersion::fields(),
        _ => &[],
    }
}

pub(crate) async fn audit(
    State(s): State<AppState>,
    UiCtx(ctx): UiCtx,
    RawQuery(q): RawQuery,
) -> Result<Response, UiError> {
    let p = Params::from_query(q.as_deref());
    let shell = Shell::load(&s, &ctx, &p).await?;
    let mut names = Names::new(&shell, &s.app);
    let entity_type = match p.get("entity_type") {
        Some(t) => Some(EntityKind::parse(t).map_err(|m| UiError::BadRequest(format!("entity_type: {m}")))?),
        None => None,
    };
    let before = match p.get("before") {
        Some(b) => {
            Some(b.parse::<i64>().map_err(|_| UiError::BadRequest(format!("before: {b:?} is not an entry number")))?)
        }
        None => None,
    };
    let entity_id = match p.get("entity_id") {
        Some(i) => Some(i.parse::<i64>().map_err(|_| UiError::BadRequest(format!("entity_id: {i:?} is not an id")))?),
        None => None,
    };
    let report = if p.get("verify").is_some() { Some(s.app.audit_verify(&ctx).await?) } else { None };
    let query = AuditQuery {
        entity_type,
        entity_id,
        after_seq: before,
        limit: Some(PAGE),
        newest_first: true,
        ..Default::default()
    };
    let entries = s.app.audit_entries(&ctx, &query).await?;
    // Name the zones and assets the changes refer to.
    for kind in [EntityKind::Conduit, EntityKind::Asset, EntityKind::Flow, EntityKind::Interface] {
        let sides: Vec<Obj> = entries
            .iter()
            .filter(|e| e.draft.entity_type == kind.as_str())
            .flat_map(|e| {
                let changes: Obj = serde_json::from_str(&e.draft.changes).unwrap_or_default();
                let old: Obj = changes.iter().map(|(k, v)| (k.clone(), v["old"].clone())).collect();
                let new: Obj = changes.iter().map(|(k, v)| (k.clone(), v["new"].clone())).collect();
                [old, new]
            })
            .collect();
        if !sides.is_empty() {
            let refs: Vec<&Obj> = sides.iter().collect();
            names.resolve(&s.app, &ctx, fields_of(kind.as_str()), &refs).await;
        }
    }
    let type_param = entity_type.map(|t| t.as_str().to_owned()).unwrap_or_default();
    let id_param = entity_id.map(|i| i.to_string()).unwrap_or_default();
    let older = (entries.len() as u32 == PAGE)
        .then(|| {
            entries.last().map(|e| {
                url(
                    "/audit",
                    &[
                        ("entity_type", type_param.clone()),
                        ("entity_id", id_param.clone()),
                        ("before", e.seq.to_string()),
                    ],
                )
            })
        })
        .flatten();
    let body = html! {
        div.page-head {
            div {
                h1 { "Audit trail" }
                p.subtitle { "Every change, refusal and checkpoint, newest first. Entries are hash-chained: verification recomputes every hash." }
            }
            div.page-actions {
                a.btn.btn-primary href=(url("/audit", &[("verify", "1".into()), ("entity_type", type_param.clone())])) { "Verify chain" }
            }
        }
        @if let Some(r) = &report {
            @if r.ok() {
                div.alert.alert-ok role="status" {
                    p { strong { "Chain intact." } " " (r.entries) " entries verified; the last is entry " span.mono { "#" (r.last_seq) } "." }
                    p { "Last hash " code.mono.hash { (r.last_hash) } }
                }
            } @else {
                div.alert.alert-bad role="alert" {
                    p { strong { "Chain broken." } " " (r.problem.clone().unwrap_or_default()) }
                    @if let Some(bad) = r.first_bad_seq {
                        p {
                            "First bad entry: " span.mono { "#" (bad) } ". "
                            a href=(url("/audit", &[("before", (bad + 1).to_string())])) { "Show it" }
                        }
                    }
                    p { (r.entries) " entries verified before it; last good hash " code.mono.hash { (r.last_hash) } }
                }
            }
        }
        form.filters method="get" action="/audit" aria-label="Filter the audit trail" {
            @if let Some(i) = entity_id { input type="hidden" name="entity_id" value=(i); }
            div.filter {
                label for="flt-entity-type" { "Record type" }
                select #flt-entity-type name="entity_type" data-autosubmit {
                    option value="" selected[entity_type.is_none()] { "All" }
                    @for k in EntityKind::ALL {
                        option value=(k.as_str()) selected[entity_type == Some(*k)] { (k.label()) }
                    }
                }
            }
            div.filter.filter-buttons {
                button.btn type="submit" { "Apply" }
                @if entity_id.is_some() { a.btn.btn-ghost href="/audit" { "Clear" } }
            }
        }
        @if entries.is_empty() {
            div.empty { p.empty-title { "No entries" } }
        } @else {
            div.table-wrap {
                table.data.audit {
                    thead {
                        tr {
                            th scope="col" .num { "#" }
                            th scope="col" { "Time (UTC)" }
                            th scope="col" { "Actor" }
                            th scope="col" { "Channel" }
                            th scope="col" { "Action" }
                            th scope="col" { "Record" }
                            th scope="col" { "Site" }
                            th scope="col" { "Reason" }
                            th scope="col" { "Changes" }
                        }
                    }
                    tbody {
                        @for e in &entries { (audit_row(e, &names)) }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if before.is_some() { a.btn.btn-ghost href=(url("/audit", &[("entity_type", type_param.clone())])) { "← Newest entries" } }
            @if let Some(h) = &older { a.btn href=(h) { "Older entries →" } }
        }
    };
    let frame = Frame::new("Audit trail", Section::Audit).crumb("Audit trail", None).switch_to("/audit");
    Ok(layout::page(&shell, frame, body).into_response())
}

fn audit_row(e: &AuditEntry, names: &Names) -> Markup {
    let d = &e.draft;
    let kind = EntityKind::parse(&d.entity_type).ok();
    let changes: Obj = serde_json::from_str(&d.changes).unwrap_or_default();
    let fields = fields_of(&d.entity_type);
    let summary: Vec<String> = {
        let mut keys: Vec<&String> = changes.keys().collect();
        keys.sort_by_key(|k| fields.iter().position(|f| f.name == k.as_str()).unwrap_or(usize::MAX));
        keys.iter()
            .map(|k| fields.iter().find(|f| f.name == k.as_str()).map_or(k.as_str(), |f| f.label).to_owned())
            .collect()
    };
    html! {
        tr {
            td.num.mono { (e.seq) }
            td.nowrap { (render::time(&d.at.to_string())) }
            td { (d.actor_name) br; span.muted { (role_label(&d.actor_role)) } }
            td { (d.channel.label()) }
            td { (badge(action_tone(d.action), d.action.label())) }
            td {
                @match (kind, d.entity_id) {
                    (Some(EntityKind::User), Some(id)) => {
                        a href=(format!("/admin/users/{id}")) { "User " (id) }
                    }
                    (Some(EntityKind::Crosswalk), id) => {
                        a href="/crosswalk" { "Crosswalk link" @if let Some(id) = id { " " (id) } }
                    }
                    (Some(EntityKind::Catalog), id) => {
                        a href="/catalogs" { "Control catalogue" @if let Some(id) = id { " " (id) } }
                    }
                    (Some(k), Some(id)) if !matches!(k, EntityKind::AuditCheckpoint | EntityKind::ApiToken | EntityKind::Signature | EntityKind::Bundle) => {
                        a href=(format!("/{}/{id}/history", k.plural())) { (k.label()) " " (id) }
                    }
                    (Some(k), _) => (k.label()),
                    (None, _) => (d.entity_type),
                }
            }
            td {
                @match d.site_id {
                    Some(sid) => (render::ref_link(EntityKind::Site, sid, names)),
                    None => span.none { "—" },
                }
            }
            td { @match &d.reason { Some(r) => (r), None => span.none { "—" } } }
            td.changes-cell {
                @if !summary.is_empty() {
                    details {
                        summary {
                            (summary.len()) @if summary.len() == 1 { " field: " } @else { " fields: " }
                            (summary.iter().take(4).cloned().collect::<Vec<_>>().join(", "))
                            @if summary.len() > 4 { ", …" }
                        }
                        (changes_table(d.action, &changes, fields, names))
                    }
                }
            }
        }
    }
}
