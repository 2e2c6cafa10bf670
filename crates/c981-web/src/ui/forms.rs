//! Forms generated from the field tables, and their parsing.
//!
//! A form's values are kept as text per field (`Values`), whether they come from a stored
//! record (its input shape), from the query string (prefill) or from a posted body, so a form
//! that fails validation is shown again exactly as the user typed it.

use std::collections::BTreeMap;

use c981_domain::entity::Entity;
use c981_domain::fields::{FieldKind, FieldSpec};
use c981_domain::{EntityKind, ValidationError};
use maud::{Markup, html};
use serde_json::Value;

use super::layout::Shell;
use super::render::{MONO, Names};
use super::{Params, csrf_input};

/// Text values per field name (several for checkbox groups).
pub(crate) type Values = BTreeMap<String, Vec<String>>;

/// The values of a stored record, from its input shape.
pub(crate) fn values_from_input<T: Entity>(input: &T::Input) -> Values {
    let mut out = Values::new();
    if let Ok(Value::Object(map)) = serde_json::to_value(input) {
        for (k, v) in map {
            let vals = match v {
                Value::Null => continue,
                Value::Array(a) => a.iter().map(super::render::text_of).collect(),
                Value::String(s) => vec![s],
                other => vec![other.to_string()],
            };
            out.insert(k, vals);
        }
    }
    out
}

/// The values of the fields found in `params` (a posted form, or a query string used to
/// prefill a new form).
pub(crate) fn values_from_params(fields: &[FieldSpec], p: &Params) -> Values {
    let mut out = Values::new();
    for f in fields {
        let vals: Vec<String> = p.all(f.name).into_iter().map(str::to_owned).collect();
        if !vals.is_empty() {
            out.insert(f.name.to_owned(), vals);
        }
    }
    out
}

/// Defaults shown in a new form, matching the domain's defaults (a checkbox cannot say
/// "unset", so a boolean that defaults to yes starts checked).
pub(crate) fn defaults(fields: &[FieldSpec]) -> Values {
    const DEFAULTS: &[(&str, &str)] = &[
        ("in_service", "true"),
        ("in_scope", "true"),
        ("documented", "true"),
        ("criticality", "medium"),
        ("provenance", "declared"),
    ];
    DEFAULTS
        .iter()
        .filter(|(name, _)| fields.iter().any(|f| f.name == *name))
        .map(|(name, v)| ((*name).to_owned(), vec![(*v).to_owned()]))
        .collect()
}

/// The JSON object `input_from_json` turns into an input: lists as one text, groups as
/// arrays, the last value of everything else; blank values are left out.
pub(crate) fn input_json(fields: &[FieldSpec], values: &Values) -> Value {
    let mut map = serde_json::Map::new();
    for f in fields {
        let Some(vals) = values.get(f.name) else {
            continue;
        };
        match f.kind {
            FieldKind::MultiChoice(_) | FieldKind::RefList(_) => {
                let items: Vec<Value> = vals
                    .iter()
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .map(|v| Value::String(v.to_owned()))
                    .collect();
                map.insert(f.name.to_owned(), Value::Array(items));
            }
            FieldKind::List => {
                let text = vals.join("\n");
                if !text.trim().is_empty() {
                    map.insert(f.name.to_owned(), Value::String(text));
                }
            }
            _ => {
                if let Some(v) = vals.last().map(|v| v.trim()).filter(|v| !v.is_empty()) {
                    map.insert(f.name.to_owned(), Value::String(v.to_owned()));
                }
            }
        }
    }
    Value::Object(map)
}

/// Validation messages by field (list items such as `ip_addresses[2]` under their list),
/// and those that name no field of the form.
#[derive(Debug, Clone, Default)]
pub(crate) struct FormErrors {
    pub by_field: BTreeMap<String, Vec<String>>,
    pub other: Vec<String>,
    /// A banner above the form (a conflict, a refusal).
    pub banner: Option<String>,
}

impl FormErrors {
    pub fn from_validation(v: &ValidationError, fields: &[FieldSpec]) -> Self {
        let mut out = Self::default();
        for e in &v.errors {
            let (base, index) = match e.field.split_once('[') {
                Some((b, rest)) => (b, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (e.field.as_str(), None),
            };
            let message = match index {
                Some(i) => format!("item {}: {}", i + 1, e.message),
                None => e.message.clone(),
            };
            if fields.iter().any(|f| f.name == base) {
                out.by_field.entry(base.to_owned()).or_default().push(message);
            } else {
                out.other.push(format!("{}: {message}", e.field));
            }
        }
        out
    }

    pub fn banner(message: impl Into<String>) -> Self {
        Self { banner: Some(message.into()), ..Default::default() }
    }

    fn is_empty(&self) -> bool {
        self.by_field.is_empty() && self.other.is_empty() && self.banner.is_none()
    }
}

/// What a form shows besides the values: the choices for references.
pub(crate) struct FormData<'a> {
    pub shell: &'a Shell,
    /// The zones of the record's site: `(id, label)`.
    pub zones: Vec<(i64, String)>,
    /// Assets of the record's site for the id inputs' suggestions (empty when there are
    /// too many to list).
    pub assets: Vec<(i64, String)>,
    pub names: &'a Names,
    /// The record's site, for links ("add a zone").
    pub site: Option<i64>,
    /// The records of the site a list of references other than zones chooses from, by kind.
    pub choices: std::collections::HashMap<EntityKind, Vec<(i64, String)>>,
}

/// New or edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    New,
    Edit { version: i64 },
}

/// A whole form for an entity.
#[allow(clippy::too_many_arguments)]
pub(crate) fn form(
    kind: EntityKind,
    fields: &[FieldSpec],
    action: &str,
    mode: Mode,
    values: &Values,
    errors: &FormErrors,
    data: &FormData,
    reason: &str,
    cancel: &str,
) -> Markup {
    let label = |f: &FieldSpec| fields.iter().find(|g| g.name == f.name).map_or(f.name, |g| g.label);
    let error_count = errors.by_field.len() + errors.other.len();
    html! {
        @if !errors.is_empty() {
            div.alert.alert-bad role="alert" {
                @if let Some(b) = &errors.banner { p { strong { (b) } } }
                @if error_count > 0 {
                    p { strong {
                        @if error_count == 1 { "Please correct 1 field." } @else { "Please correct " (error_count) " fields." }
                    } }
                    ul {
                        @for f in fields {
                            @if let Some(msgs) = errors.by_field.get(f.name) {
                                li { a href=(format!("#f-{}", f.name)) { (label(f)) } ": " (msgs.join("; ")) }
                            }
                        }
                        @for m in &errors.other { li { (m) } }
                    }
                }
            }
        }
        form.entity-form method="post" action=(action) {
            (csrf_input())
            @if let Mode::Edit { version } = mode {
                input type="hidden" name="version" value=(version);
            }
            div.form-grid {
                @for f in fields {
                    (field(f, values, errors, data))
                }
                @if let Mode::Edit { .. } = mode {
                    div.field.wide.reason {
                        label for="f-reason" { "Reason for the change" }
                        input #f-reason type="text" name="reason" value=(reason) maxlength="500" aria-describedby="h-reason"
                            autocomplete="off";
                        p.help #h-reason { "Optional. Kept in the audit trail with the change, e.g. \"Firmware upgrade, change request CR-112\"." }
                    }
                }
            }
            @if !data.assets.is_empty() {
                datalist #dl-assets {
                    @for (id, name) in &data.assets { option value=(id) { (name) } }
                }
            }
            div.form-actions {
                button.btn.btn-primary type="submit" {
                    @match mode { Mode::New => { "Create " (kind.label().to_lowercase()) }, Mode::Edit { .. } => "Save changes" }
                }
                a.btn.btn-ghost href=(cancel) { "Cancel" }
            }
        }
    }
}

fn one<'a>(values: &'a Values, name: &str) -> &'a str {
    values.get(name).and_then(|v| v.last()).map_or("", String::as_str)
}

fn field(f: &FieldSpec, values: &Values, errors: &FormErrors, data: &FormData) -> Markup {
    let id = format!("f-{}", f.name);
    let help_id = format!("h-{}", f.name);
    let err_id = format!("e-{}", f.name);
    let errs = errors.by_field.get(f.name);
    let invalid = errs.is_some();
    let mut described = Vec::new();
    if !f.help.is_empty() {
        described.push(help_id.clone());
    }
    if invalid {
        described.push(err_id.clone());
    }
    let described = (!described.is_empty()).then(|| described.join(" "));
    let mono = MONO.contains(&f.name);
    let wide =
        matches!(f.kind, FieldKind::LongText | FieldKind::List | FieldKind::MultiChoice(_) | FieldKind::RefList(_));
    let current = one(values, f.name);
    let all: Vec<&str> = values.get(f.name).map(|v| v.iter().map(String::as_str).collect()).unwrap_or_default();
    let req = html! { @if f.required { " " abbr.req title="required" { "*" } } };
    let help = html! { @if !f.help.is_empty() { p.help id=(help_id) { (f.help) } } };
    let err = html! {
        @if let Some(m) = errs { p.field-error id=(err_id) { @for (i, msg) in m.iter().enumerate() { @if i > 0 { br; } (msg) } } }
    };
    let group = matches!(f.kind, FieldKind::MultiChoice(_) | FieldKind::RefList(_));
    if group {
        let options: Vec<(String, String)> = match f.kind {
            FieldKind::MultiChoice(c) => c().into_iter().map(|(v, l)| (v.to_owned(), l.to_owned())).collect(),
            FieldKind::RefList(kind) => {
                // The chosen ones first, in their order (a one-way conduit's first zone
                // sends), then the others of the site.
                let pool: &[(i64, String)] = if kind == EntityKind::Zone {
                    &data.zones
                } else {
                    data.choices.get(&kind).map_or(&[], Vec::as_slice)
                };
                let mut opts: Vec<(String, String)> = Vec::new();
                for v in &all {
                    let label = pool
                        .iter()
                        .find(|(id, _)| id.to_string() == *v)
                        .map_or_else(|| format!("{} {v}", kind.label()), |(_, l)| l.clone());
                    opts.push(((*v).to_owned(), label));
                }
                for (zid, l) in pool {
                    if !all.contains(&zid.to_string().as_str()) {
                        opts.push((zid.to_string(), l.clone()));
                    }
                }
                opts
            }
            _ => Vec::new(),
        };
        return html! {
            fieldset class=(if invalid { "field wide invalid" } else { "field wide" }) id=(id) aria-describedby=[described] {
                legend { (f.label) (req) }
                @if options.is_empty() {
                    p.empty-inline {
                        @match f.kind {
                            FieldKind::RefList(k) => {
                                "This site has no " (k.label_plural().to_lowercase()) " yet. "
                                @if let Some(s) = data.site { a href=(format!("/{}/new?site_id={s}", k.plural())) { "Add one" } " first." }
                            }
                            _ => { "Nothing to choose from." }
                        }
                    }
                } @else {
                    div.checks {
                        @for (i, (v, l)) in options.iter().enumerate() {
                            @let cid = format!("{id}-{i}");
                            div.check {
                                input type="checkbox" id=(cid) name=(f.name) value=(v) checked[all.contains(&v.as_str())];
                                label for=(cid) { (l) }
                            }
                        }
                    }
                }
                (help)
                (err)
            }
        };
    }
    if let FieldKind::Bool = f.kind {
        let checked = matches!(current.to_ascii_lowercase().as_str(), "true" | "yes" | "1" | "on" | "y" | "x");
        return html! {
            div class=(if invalid { "field field-check invalid" } else { "field field-check" }) {
                input type="hidden" name=(f.name) value="false";
                input type="checkbox" id=(id) name=(f.name) value="true" checked[checked] aria-describedby=[described];
                label for=(id) { (f.label) }
                (help)
                (err)
            }
        };
    }
    let control = match f.kind {
        FieldKind::LongText => html! {
            textarea id=(id) name=(f.name) rows="4" aria-describedby=[described] aria-invalid=[invalid.then_some("true")]
                required[f.required] { (current) }
        },
        FieldKind::List => html! {
            textarea class=[mono.then_some("mono")] id=(id) name=(f.name) rows="2" aria-describedby=[described]
                aria-invalid=[invalid.then_some("true")] required[f.required] { (all.join(", ")) }
        },
        FieldKind::Choice(c) => {
            let opts = c();
            let known = current.is_empty() || opts.iter().any(|(v, _)| *v == current);
            html! {
                select id=(id) name=(f.name) aria-describedby=[described] aria-invalid=[invalid.then_some("true")] required[f.required] {
                    @if !f.required { option value="" selected[current.is_empty()] { "—" } }
                    @else if current.is_empty() { option value="" selected { "Choose…" } }
                    @if !known { option value=(current) selected { (current) } }
                    @for (v, l) in &opts { option value=(v) selected[*v == current] { (l) } }
                }
            }
        }
        FieldKind::Ref(EntityKind::Site) => html! {
            select id=(id) name=(f.name) aria-describedby=[described] aria-invalid=[invalid.then_some("true")] required[f.required] {
                @if current.is_empty() || !f.required { option value="" selected[current.is_empty()] { "Choose a site…" } }
                @for s in &data.shell.sites {
                    option value=(s.id) selected[s.id.to_string() == current] { (s.code) " – " (s.name) }
                }
            }
        },
        FieldKind::Ref(EntityKind::Zone) => {
            let known = current.is_empty() || data.zones.iter().any(|(z, _)| z.to_string() == current);
            html! {
                select id=(id) name=(f.name) aria-describedby=[described] aria-invalid=[invalid.then_some("true")] required[f.required] {
                    @if !f.required { option value="" selected[current.is_empty()] { "— no zone —" } }
                    @else if current.is_empty() { option value="" selected { "Choose a zone…" } }
                    @if !known { option value=(current) selected { "Zone " (current) } }
                    @for (z, l) in &data.zones { option value=(z) selected[z.to_string() == current] { (l) } }
                }
            }
        }
        FieldKind::Ref(target) => {
            let name = current.parse::<i64>().ok().and_then(|i| data.names.name(target, i));
            html! {
                div.ref-input {
                    input.mono id=(id) type="number" name=(f.name) value=(current) min="1" step="1" inputmode="numeric"
                        list=[(target == EntityKind::Asset && !data.assets.is_empty()).then_some("dl-assets")]
                        placeholder=(format!("{} id", target.label())) aria-describedby=[described]
                        aria-invalid=[invalid.then_some("true")] required[f.required];
                    @if let Some(n) = name {
                        span.ref-name { (n) }
                    }
                }
            }
        }
        FieldKind::SlVector => html! {
            input.mono id=(id) type="text" name=(f.name) value=(current) placeholder="2,2,3,1,3,1,2"
                pattern=r"\s*[\[\{\(]?\s*[0-4]\s*(,\s*[0-4]\s*){6}[\]\}\)]?\s*"
                title="7 security levels 0 to 4, FR1 to FR7, separated by commas"
                aria-describedby=[described] aria-invalid=[invalid.then_some("true")] required[f.required] autocomplete="off";
        },
        FieldKind::Int => html! {
            input.mono id=(id) type="number" name=(f.name) value=(current) min="0" step="1" inputmode="numeric"
                aria-describedby=[described] aria-invalid=[invalid.then_some("true")] required[f.required];
        },
        FieldKind::Date => html! {
            input id=(id) type="date" name=(f.name) value=(current)
                aria-describedby=[described] aria-invalid=[invalid.then_some("true")] required[f.required];
        },
        FieldKind::DateTime => html! {
            input.mono id=(id) type="text" name=(f.name) value=(current) placeholder="2026-11-28T10:00:00Z"
                aria-describedby=[described] aria-invalid=[invalid.then_some("true")] required[f.required] autocomplete="off";
        },
        _ => html! {
            input class=[mono.then_some("mono")] id=(id) type="text" name=(f.name) value=(current)
                aria-describedby=[described] aria-invalid=[invalid.then_some("true")] required[f.required] autocomplete="off";
        },
    };
    html! {
        div class=(["field", if wide { " wide" } else { "" }, if invalid { " invalid" } else { "" }].concat()) {
            label for=(id) { (f.label) (req) }
            (control)
            (help)
            (err)
        }
    }
}
