//! Rendering values generically from the field tables: references as links with names,
//! choices with their labels, badges, security level vectors, tables of records.

use std::collections::{BTreeSet, HashMap};

use c981_app::{App, Ctx};
use c981_domain::fields::{FieldKind, FieldSpec};
use c981_domain::{Asset, EntityKind, Zone};
use c981_store::Table;
use maud::{Markup, html};
use serde_json::Value;

use super::Shell;

/// A record as JSON (the API's shape: the field names of `T::fields()` plus id, version,
/// created_at, updated_at).
pub(crate) type Obj = serde_json::Map<String, Value>;

/// Fields shown in a monospaced font: addresses, versions, protocols.
pub(crate) const MONO: &[&str] = &[
    "ip_addresses",
    "mac_addresses",
    "subnets",
    "firmware",
    "serial",
    "services",
    "protocols",
    "protocol",
    "port",
    "source_external",
    "destination_external",
    "time_zone",
];

/// Names of referenced records, resolved per page in one batch.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    pub sites: HashMap<i64, String>,
    pub zones: HashMap<i64, String>,
    pub assets: HashMap<i64, String>,
    /// Today (UTC, `YYYY-MM-DD`), to flag dates in the past.
    pub today: String,
}

impl Names {
    pub fn new(shell: &Shell, app: &App) -> Self {
        let today: String = app.now().to_string().chars().take(10).collect();
        Self { sites: shell.sites.iter().map(|s| (s.id, s.code.clone())).collect(), today, ..Default::default() }
    }

    pub fn name(&self, kind: EntityKind, id: i64) -> Option<&str> {
        match kind {
            EntityKind::Site => self.sites.get(&id),
            EntityKind::Zone => self.zones.get(&id),
            EntityKind::Asset => self.assets.get(&id),
            _ => None,
        }
        .map(String::as_str)
    }

    /// Resolves the zones and assets that `items` refer to (through the fields of kind
    /// `Ref`/`RefList`), fetching the missing names concurrently.
    pub async fn resolve(&mut self, app: &App, ctx: &Ctx, fields: &[FieldSpec], items: &[&Obj]) {
        let mut zones = BTreeSet::new();
        let mut assets = BTreeSet::new();
        for f in fields {
            let (kind, many) = match f.kind {
                FieldKind::Ref(k) => (k, false),
                FieldKind::RefList(k) => (k, true),
                _ => continue,
            };
            let target = match kind {
                EntityKind::Zone => &mut zones,
                EntityKind::Asset => &mut assets,
                _ => continue,
            };
            for item in items {
                let v = item.get(f.name).unwrap_or(&Value::Null);
                if many {
                    target.extend(v.as_array().into_iter().flatten().filter_map(as_id));
                } else if let Some(id) = as_id(v) {
                    target.insert(id);
                }
            }
        }
        zones.retain(|id| !self.zones.contains_key(id));
        assets.retain(|id| !self.assets.contains_key(id));
        names_of::<Zone>(app, ctx, zones, &mut self.zones).await;
        names_of::<Asset>(app, ctx, assets, &mut self.assets).await;
    }
}

/// Fetches the display names of `ids` concurrently; ids that are gone or out of scope are
/// left out (they render as "Zone 4").
pub(crate) async fn names_of<T: Table>(app: &App, ctx: &Ctx, ids: BTreeSet<i64>, out: &mut HashMap<i64, String>) {
    let mut set = tokio::task::JoinSet::new();
    for id in ids {
        let app = app.clone();
        let ctx = ctx.clone();
        set.spawn(async move { (id, app.get::<T>(&ctx, id).await.ok().map(|r| r.data.display_name())) });
    }
    while let Some(joined) = set.join_next().await {
        if let Ok((id, Some(name))) = joined {
            out.insert(id, name);
        }
    }
}

/// An id from JSON (a number, or digits in a string).
pub(crate) fn as_id(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
}

/// The text of a JSON scalar ("" for null).
pub(crate) fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        Value::Array(a) => a.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

pub(crate) fn detail_href(kind: EntityKind, id: i64) -> String {
    format!("/{}/{id}", kind.plural())
}

/// A link to a referenced record, named when the name is known.
pub(crate) fn ref_link(kind: EntityKind, id: i64, names: &Names) -> Markup {
    html! {
        a href=(detail_href(kind, id)) {
            @match names.name(kind, id) {
                Some(n) => (n),
                None => { (kind.label()) " " (id) },
            }
        }
    }
}

/// The label of a choice value (the value itself when it is not one of the choices).
pub(crate) fn choice_label(choices: fn() -> Vec<(&'static str, &'static str)>, value: &str) -> String {
    choices().into_iter().find(|(v, _)| *v == value).map_or_else(|| value.to_owned(), |(_, l)| l.to_owned())
}

/// The tone of a badge for a choice value, for the fields that get one.
fn tone(field: &str, value: &str) -> Option<&'static str> {
    match (field, value) {
        ("criticality", "low") => Some("ok"),
        ("criticality", "medium") => Some("info"),
        ("criticality", "high") => Some("warn"),
        ("criticality", "critical") => Some("bad"),
        ("provenance", "declared") => Some("info"),
        ("provenance", "observed") => Some("warn"),
        ("provenance", "confirmed") => Some("ok"),
        _ => None,
    }
}

pub(crate) fn badge(tone: &str, text: &str) -> Markup {
    html! { span class=(format!("badge tone-{tone}")) { (text) } }
}

/// A security level vector as 7 cells labelled FR1 to FR7.
pub(crate) fn sl_vector(raw: &str) -> Markup {
    let levels: Vec<&str> = raw.trim_matches(['{', '[', '(', '}', ']', ')', ' ']).split(',').map(str::trim).collect();
    if levels.len() != 7 {
        return html! { span.mono { (raw) } };
    }
    const FR: [&str; 7] = ["IAC", "UC", "SI", "DC", "RDF", "TRE", "RA"];
    let label = levels.iter().enumerate().map(|(i, l)| format!("FR{} {l}", i + 1)).collect::<Vec<_>>().join(", ");
    html! {
        span.slv role="group" aria-label=(format!("Security levels: {label}")) {
            @for (i, l) in levels.iter().enumerate() {
                span class=(format!("sl sl-{l}")) title=(format!("FR{} {}: SL {l}", i + 1, FR[i])) {
                    span.sl-fr { "FR" (i + 1) }
                    span.sl-n { (l) }
                }
            }
        }
    }
}

/// `2026-11-28T09:00:00.123456Z` as `2026-11-28 09:00:00 UTC` in a `<time>` (the exact
/// value in its `datetime`).
pub(crate) fn time(raw: &str) -> Markup {
    let shown = if raw.len() >= 19 && raw.is_char_boundary(19) && raw.as_bytes().get(10) == Some(&b'T') {
        format!("{} {} UTC", &raw[..10], &raw[11..19])
    } else {
        raw.to_owned()
    };
    html! { time datetime=(raw) { (shown) } }
}

fn none() -> Markup {
    html! { span.none title="Not set" { "—" } }
}

/// Text, in a monospaced font when `mono`.
fn text(t: &str, mono: bool) -> Markup {
    html! { @if mono { span.mono { (t) } } @else { (t) } }
}

/// How much room a value gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Room {
    /// A table cell: short.
    Cell,
    /// A detail page or a history entry: everything.
    Full,
}

/// One field's value.
pub(crate) fn value(f: &FieldSpec, v: &Value, names: &Names, room: Room) -> Markup {
    if is_blank(v) {
        return none();
    }
    let mono = MONO.contains(&f.name);
    match f.kind {
        FieldKind::Ref(kind) => match as_id(v) {
            Some(id) => ref_link(kind, id, names),
            None => html! { (text_of(v)) },
        },
        FieldKind::RefList(kind) => {
            let ids: Vec<i64> = v.as_array().into_iter().flatten().filter_map(as_id).collect();
            html! {
                @for (i, id) in ids.iter().enumerate() {
                    @if i > 0 { ", " }
                    (ref_link(kind, *id, names))
                }
            }
        }
        FieldKind::Choice(choices) => {
            let raw = text_of(v);
            let label = choice_label(choices, &raw);
            match tone(f.name, &raw) {
                Some(t) => badge(t, &label),
                None if room == Room::Cell && label.contains(" – ") => {
                    // "Level 3 – site operations": the short part in tables.
                    let short = label.split(" – ").next().unwrap_or(&label).to_owned();
                    html! { span title=(label) { (short) } }
                }
                None => html! { (label) },
            }
        }
        FieldKind::MultiChoice(choices) => {
            let items: Vec<String> = v.as_array().into_iter().flatten().map(text_of).collect();
            html! {
                span.badges {
                    @for item in &items { (badge("neutral", &choice_label(choices, item))) " " }
                }
            }
        }
        FieldKind::Bool => match v {
            Value::Bool(true) => html! { span.yes { "Yes" } },
            Value::Bool(false) => html! { span.no { "No" } },
            other => html! { (text_of(other)) },
        },
        FieldKind::List => {
            let items: Vec<String> = match v {
                Value::Array(a) => a.iter().map(text_of).collect(),
                other => c981_domain::split_list(&text_of(other)),
            };
            let cap = if room == Room::Cell { 3 } else { usize::MAX };
            let more = items.len().saturating_sub(cap);
            html! {
                span class=(if mono { "list mono" } else { "list" }) {
                    @for (i, item) in items.iter().take(cap).enumerate() {
                        @if i > 0 { ", " }
                        span.item { (item) }
                    }
                    @if more > 0 { " " span.more title=(items.join(", ")) { "+" (more) " more" } }
                }
            }
        }
        FieldKind::SlVector => sl_vector(&text_of(v)),
        FieldKind::DateTime => time(&text_of(v)),
        FieldKind::Date => {
            let d = text_of(v);
            let past = f.name == "end_of_support" && !names.today.is_empty() && d.as_str() < names.today.as_str();
            html! {
                (d)
                @if past { " " (badge("bad", "passed")) }
            }
        }
        FieldKind::LongText => {
            let t = text_of(v);
            if room == Room::Cell && t.chars().count() > 80 {
                let short: String = t.chars().take(78).collect();
                html! { span title=(t) { (short) "…" } }
            } else {
                html! { div.prose { (t) } }
            }
        }
        FieldKind::Int | FieldKind::Text => text(&text_of(v), mono),
        FieldKind::Impacts => {
            let items: Vec<(String, String)> =
                v.as_object().into_iter().flatten().map(|(k, l)| (k.clone(), text_of(l))).collect();
            html! {
                span.list {
                    @for (i, (k, l)) in items.iter().enumerate() {
                        @if i > 0 { ", " }
                        span.item { (k.replace('_', " ")) " " strong.mono { (l) } }
                    }
                }
            }
        }
        FieldKind::Plan => {
            let items: Vec<&serde_json::Map<String, Value>> =
                v.as_array().into_iter().flatten().filter_map(Value::as_object).collect();
            let get = |o: &serde_json::Map<String, Value>, k: &str| o.get(k).map(text_of).unwrap_or_default();
            html! {
                ol.plan-items {
                    @for o in &items {
                        li {
                            (get(o, "action")) " — " (get(o, "owner")) ", due " span.mono { (get(o, "due_date")) }
                            " (" (get(o, "status").replace('_', " ")) ")"
                            @let c = get(o, "control_id");
                            @if !c.is_empty() { " · Annex A " span.mono { (c) } }
                        }
                    }
                }
            }
        }
    }
}

/// A short human title for a record.
pub(crate) fn title_of(kind: EntityKind, obj: &Obj, names: &Names) -> String {
    let s = |k: &str| obj.get(k).map(text_of).unwrap_or_default();
    match kind {
        EntityKind::Site => format!("{} – {}", s("code"), s("name")),
        EntityKind::Flow => {
            let end = |side: &str| match obj.get(&format!("{side}_asset_id")).and_then(as_id) {
                Some(id) => names.name(EntityKind::Asset, id).map_or_else(|| format!("asset {id}"), str::to_owned),
                None => s(&format!("{side}_external")),
            };
            let port = obj.get("port").and_then(Value::as_i64).map(|p| format!("/{p}")).unwrap_or_default();
            format!("{} → {} ({}{port})", end("source"), end("destination"), s("protocol"))
        }
        EntityKind::SoaEntry => {
            let c = s("control");
            match c981_domain::annex_a::ControlId::parse(&c).ok().and_then(c981_domain::annex_a::control) {
                Some(ctl) => format!("{} {}", ctl.id, ctl.title),
                None => c,
            }
        }
        EntityKind::SoaVersion => format!("Statement of Applicability, version {}", s("number")),
        _ => {
            let n = s("name");
            let n = if n.is_empty() { s("title") } else { n };
            if n.is_empty() { format!("{} {}", kind.label(), s("id")) } else { n }
        }
    }
}

/// A column of a list table.
pub(crate) enum Col {
    Field(&'static FieldSpec),
    /// A flow's end: the asset when there is one, the external name otherwise.
    Endpoint {
        label: String,
        asset: &'static FieldSpec,
        external: &'static FieldSpec,
    },
}

/// The columns of `T`'s list: the fields marked `column`, with a flow's `…_asset_id` and
/// `…_external` merged into one column per end.
pub(crate) fn columns<T: Table>() -> Vec<Col> {
    let fields = T::fields();
    let mut cols = Vec::new();
    for f in fields.iter().filter(|f| f.column) {
        if let Some(prefix) = f.name.strip_suffix("_external")
            && fields.iter().any(|g| g.column && g.name == format!("{prefix}_asset_id"))
        {
            continue;
        }
        if let Some(prefix) = f.name.strip_suffix("_asset_id")
            && let Some(ext) = fields.iter().find(|g| g.column && g.name == format!("{prefix}_external"))
        {
            let mut label = prefix.to_owned();
            if let Some(first) = label.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            cols.push(Col::Endpoint { label, asset: f, external: ext });
            continue;
        }
        cols.push(Col::Field(f));
    }
    cols
}

/// A table of records of `T`; `show_site` adds the site's code (lists across sites); the
/// columns of the fields named in `skip` are left out (the zone column on a zone's page).
pub(crate) fn table<T: Table>(items: &[Obj], names: &Names, show_site: bool, skip: &[&str]) -> Markup {
    let mut cols = columns::<T>();
    cols.retain(|c| match c {
        Col::Field(f) => !skip.contains(&f.name),
        Col::Endpoint { asset, .. } => !skip.contains(&asset.name),
    });
    let show_site = show_site && T::KIND != EntityKind::Site;
    let has_name = T::fields().iter().any(|f| f.name == "name");
    html! {
        div.table-wrap {
            table.data {
                thead {
                    tr {
                        th scope="col" .num { "Id" }
                        @if show_site { th scope="col" { "Site" } }
                        @for c in &cols {
                            th scope="col" {
                                @match c {
                                    Col::Field(f) => (f.label),
                                    Col::Endpoint { label, .. } => (label),
                                }
                            }
                        }
                    }
                }
                tbody {
                    @for item in items {
                        @let id = item.get("id").and_then(as_id).unwrap_or(0);
                        @let href = detail_href(T::KIND, id);
                        tr {
                            td.num { a href=(href) aria-label=(format!("{} {id}", T::KIND.label())) { (id) } }
                            @if show_site {
                                td {
                                    @match item.get("site_id").and_then(as_id) {
                                        Some(s) => (ref_link(EntityKind::Site, s, names)),
                                        None => (none()),
                                    }
                                }
                            }
                            @for c in &cols {
                                td {
                                    @match c {
                                        Col::Field(f) if f.name == "name" && has_name => {
                                            a.rowlink href=(href) { (item.get("name").map(text_of).unwrap_or_default()) }
                                        }
                                        Col::Field(f) => (value(f, item.get(f.name).unwrap_or(&Value::Null), names, Room::Cell)),
                                        Col::Endpoint { asset, external, .. } => {
                                            @let a = item.get(asset.name).unwrap_or(&Value::Null);
                                            @if is_blank(a) {
                                                (value(external, item.get(external.name).unwrap_or(&Value::Null), names, Room::Cell))
                                            } @else {
                                                (value(asset, a, names, Room::Cell))
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
}

/// Parses the JSON of `list_json` into its items and next cursor.
pub(crate) fn parse_list(json: &[u8]) -> (Vec<Obj>, Option<String>) {
    let v: Value = serde_json::from_slice(json).unwrap_or(Value::Null);
    let items = v["items"].as_array().into_iter().flatten().filter_map(|i| i.as_object().cloned()).collect();
    let next = v["next_cursor"].as_str().map(str::to_owned);
    (items, next)
}

/// Parses the JSON of `get_json`.
pub(crate) fn parse_obj(json: &[u8]) -> Obj {
    serde_json::from_slice::<Value>(json).ok().and_then(|v| v.as_object().cloned()).unwrap_or_default()
}

/// A report (as exported to XLSX, CSV and PDF) as a printable page: its title, its facts, and
/// each sheet as a table.
pub(crate) fn report_page(report: &c981_report::table::Report) -> Markup {
    use c981_report::table::Cell;
    let cell = |c: &Cell| -> Markup {
        match c {
            Cell::Empty => html! {},
            Cell::Bool(b) => html! { @if *b { "yes" } @else { "no" } },
            Cell::Link { text, url } => html! { a href=(url) { (text) } },
            other => html! { (other.plain_text()) },
        }
    };
    html! {
        div.page-head.print-report {
            div {
                h1 { (report.title) }
                @if let Some(s) = &report.subtitle { p.subtitle { (s) } }
            }
            div.page-actions.no-print { button.btn type="button" data-print { "Print" } }
        }
        dl.fields.print-meta {
            @for (k, v) in &report.meta { div.fieldrow { dt { (k) } dd { (v) } } }
        }
        @for sheet in &report.sheets {
            section.print-sheet {
                @if report.sheets.len() > 1 { h2 { (sheet.name) } }
                div.table-wrap {
                    table.data.print-table {
                        thead { tr { @for c in &sheet.columns { th scope="col" { (c.title) } } } }
                        tbody {
                            @for (i, row) in sheet.rows.iter().enumerate() {
                                @let style = sheet.row_style(i);
                                tr class=[style.fill.map(|f| format!("fill-{}", f.name()))] {
                                    @for c in row { td { (cell(c)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
