//! A risk of the register (ISO/IEC 27001 6.1.2 and 6.1.3): a scenario (threat source, threat
//! event, vulnerability, consequence) against records of one site, its inherent rating, the
//! controls already in place, the treatment chosen with its plan, the residual rating, the
//! risk owner, the review date and where it stands in its life cycle.
//!
//! A rating is a likelihood level and an impact level per dimension of the risk model, as
//! numbers. This module checks their shape only; whether they fit the model, and the levels
//! they come to, are decided by [`Risk::rate`] against a [`RiskModel`] (the application rates
//! every write under the current model, so the stored `model_version`, `inherent_level` and
//! `residual_level` are computed, never taken from a client).
//!
//! Life cycle: identified → assessed → treatment planned → treated → accepted, and closed
//! from anywhere. Each state needs what it stands for (an assessed risk has an inherent rating
//! and an owner; a planned treatment has an option and, unless the risk is retained, actions;
//! a treated or accepted risk has a residual rating and every action done or cancelled).
//! States may go back (a risk is re-assessed); "accepted" is reached only by the risk owner's
//! electronic signature, which the application checks against the model's acceptance criteria.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::choices;
use crate::entity::{Entity, EntityKind, loose_bool, loose_list, loose_string, opt, parse_bool, present};
use crate::error::{Errors, FieldError, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::{AssetId, ConduitId, FlowId, InterfaceId, RiskId, SiteId, SupplierId, ZoneId};
use crate::risk_model::{RatingRef, RiskModel, parse_dimension_key};
use crate::values::{Date, Name, Short, Text, string_enum};

string_enum! {
    /// Where a risk stands.
    RiskState {
        Identified = "identified" / "Identified",
        Assessed = "assessed" / "Assessed",
        TreatmentPlanned = "treatment_planned" / "Treatment planned",
        Treated = "treated" / "Treated",
        Accepted = "accepted" / "Accepted",
        Closed = "closed" / "Closed",
    }
}

string_enum! {
    /// The risk treatment option (ISO/IEC 27001 6.1.3).
    Treatment {
        Modify = "modify" / "Modify (mitigate with controls)",
        Retain = "retain" / "Retain (accept)",
        Avoid = "avoid" / "Avoid",
        Share = "share" / "Share (transfer)",
    }
}

string_enum! {
    /// Where an action of a treatment plan stands.
    PlanStatus {
        Planned = "planned" / "Planned",
        InProgress = "in_progress" / "In progress",
        Done = "done" / "Done",
        Cancelled = "cancelled" / "Cancelled",
    }
}

impl PlanStatus {
    /// Whether the action still has to be carried out (and can be overdue).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Planned | Self::InProgress)
    }
}

/// The most records a risk names per kind, actions in its plan, and controls.
pub const MAX_LINKS: usize = 500;
pub const MAX_PLAN_ITEMS: usize = 200;

/// An ISO/IEC 27001:2022 Annex A control id (`5.1`–`5.37`, `6.1`–`6.8`, `7.1`–`7.14`,
/// `8.1`–`8.34`), checked by its pattern and theme ranges.
pub fn parse_control_id(input: &str) -> Result<String, String> {
    let s = input.trim().trim_start_matches(['A', 'a']).trim_start_matches('.').trim();
    let bad = || format!("{:?} is not an ISO/IEC 27001:2022 Annex A control id (e.g. 8.20)", input.trim());
    let (theme, n) = s.split_once('.').ok_or_else(bad)?;
    let digits =
        |x: &str| !x.is_empty() && x.len() <= 2 && x.chars().all(|c| c.is_ascii_digit()) && !x.starts_with('0');
    if !digits(theme) || !digits(n) {
        return Err(bad());
    }
    let (theme, n): (u8, u8) = (theme.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    let last = match theme {
        5 => 37,
        6 => 8,
        7 => 14,
        8 => 34,
        _ => return Err(bad()),
    };
    if n == 0 || n > last {
        return Err(format!("{:?}: Annex A theme {theme} has controls {theme}.1 to {theme}.{last}", input.trim()));
    }
    Ok(format!("{theme}.{n}"))
}

/// Where a risk came from, parsed from its `origin` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin<'a> {
    None,
    Template(&'a str),
    Suggestion(&'a str),
}

/// Checks the shape of a risk's `origin`: empty, `template:<id>` or `suggestion:<key>`.
pub fn parse_origin(s: &str) -> Result<Origin<'_>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(Origin::None);
    }
    let ok = |x: &str| !x.trim().is_empty() && x.chars().count() <= 200 && !x.chars().any(char::is_control);
    match s.split_once(':') {
        Some(("template", id)) if ok(id) => Ok(Origin::Template(id)),
        Some(("suggestion", key)) if ok(key) => Ok(Origin::Suggestion(key)),
        _ => Err(format!("{s:?} is not an origin: write template:<id>, suggestion:<key>, or leave it empty")),
    }
}

/// A rating: the likelihood level and an impact level per dimension, or nothing yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rating {
    pub likelihood: Option<u8>,
    pub impacts: BTreeMap<String, u8>,
}

impl Rating {
    /// The rating, when it is complete.
    pub fn as_ref(&self) -> Option<RatingRef<'_>> {
        self.likelihood.map(|likelihood| RatingRef { likelihood, impacts: &self.impacts })
    }

    pub fn is_set(&self) -> bool {
        self.likelihood.is_some()
    }
}

/// One action of a treatment plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanItem {
    pub action: Text,
    pub owner: Short,
    pub due_date: Date,
    pub status: PlanStatus,
    /// The Annex A control it implements, if any.
    pub control_id: Option<String>,
}

/// An action of a treatment plan as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanItemInput {
    pub action: Option<String>,
    pub owner: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub due_date: Option<String>,
    pub status: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub control_id: Option<String>,
}

/// A risk of the register.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Risk {
    pub site_id: SiteId,
    pub title: Name,
    pub threat_source: Text,
    pub threat_event: Text,
    pub vulnerability: Text,
    pub consequence: Text,
    pub asset_ids: Vec<AssetId>,
    pub zone_ids: Vec<ZoneId>,
    pub conduit_ids: Vec<ConduitId>,
    pub flow_ids: Vec<FlowId>,
    pub interface_ids: Vec<InterfaceId>,
    /// The suppliers whose services or access the scenario involves (same site).
    pub supplier_ids: Vec<SupplierId>,
    /// Other sites the risk affects too (a shared cloud platform, the corporate WAN). The
    /// risk belongs to, and is seen by the people of, `site_id`.
    pub other_site_ids: Vec<SiteId>,
    /// Where the risk came from: `template:<id>` (a threat template) or `suggestion:<key>`
    /// (a suggestion from the facts, accepted by a person); empty when written from scratch.
    pub origin: Short,
    pub inherent: Rating,
    pub existing_controls: Vec<Short>,
    pub control_ids: Vec<String>,
    pub treatment: Option<Treatment>,
    pub plan: Vec<PlanItem>,
    pub residual: Rating,
    pub risk_owner: Short,
    pub review_date: Option<Date>,
    pub state: RiskState,
    /// The risk model version the ratings were made with (set by the application).
    pub model_version: i64,
    /// Computed by the model: the risk level of the inherent rating.
    pub inherent_level: Option<u8>,
    /// Computed by the model: the risk level of the residual rating.
    pub residual_level: Option<u8>,
    /// Computed by the model: the aggregated impact level of the inherent rating (its column
    /// of the matrix).
    pub inherent_impact: Option<u8>,
    /// Computed by the model: the aggregated impact level of the residual rating.
    pub residual_impact: Option<u8>,
    /// Set when a newer model could not take over the ratings (a level or dimension it no
    /// longer has): the ratings stay under `model_version` until someone rates again.
    pub needs_rerating: bool,
}

/// A risk as a client sends it. `model_version`, `inherent_level`, `residual_level` and
/// `needs_rerating` are computed: values sent for them are replaced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    pub title: Option<String>,
    pub threat_source: Option<String>,
    pub threat_event: Option<String>,
    pub vulnerability: Option<String>,
    pub consequence: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub asset_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zone_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub conduit_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub flow_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub interface_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub supplier_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub other_site_ids: Vec<String>,
    pub origin: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub inherent_likelihood: Option<String>,
    #[serde(deserialize_with = "loose_impacts")]
    pub inherent_impacts: BTreeMap<String, Value>,
    #[serde(deserialize_with = "loose_list")]
    pub existing_controls: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub control_ids: Vec<String>,
    pub treatment: Option<String>,
    #[serde(deserialize_with = "loose_plan")]
    pub plan: Vec<PlanItemInput>,
    #[serde(deserialize_with = "loose_string")]
    pub residual_likelihood: Option<String>,
    #[serde(deserialize_with = "loose_impacts")]
    pub residual_impacts: BTreeMap<String, Value>,
    pub risk_owner: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub review_date: Option<String>,
    pub state: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub model_version: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub inherent_level: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub residual_level: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub inherent_impact: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub residual_impact: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub needs_rerating: Option<String>,
}

/// Impacts as a JSON object (`{"safety": 4}`, levels as numbers or text) or as text
/// (`safety=4, production=3`, how forms and spreadsheets write them).
fn loose_impacts<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Value>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(m)) => m.into_iter().filter(|(_, v)| !v.is_null() && v != "").collect(),
        Some(Value::String(s)) => crate::entity::split_list(&s)
            .into_iter()
            .map(|pair| match pair.split_once(['=', ':']) {
                Some((k, v)) => (k.trim().to_owned(), Value::String(v.trim().to_owned())),
                None => (pair, Value::Null),
            })
            .collect(),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "impacts are an object of dimension → level (e.g. {{\"safety\": 4}}), not {other}"
            )));
        }
    })
}

fn loose_plan<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PlanItemInput>, D::Error> {
    Ok(Option::<Vec<PlanItemInput>>::deserialize(d)?.unwrap_or_default())
}

fn level_of(v: &Value) -> Result<u8, String> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if (1..=i64::from(crate::risk_model::MAX_LEVELS as u8)).contains(&n) => Ok(n as u8),
        _ => Err(format!("{v} is not a level (a whole number from 1)")),
    }
}

fn rating(
    e: &mut Errors,
    prefix: &str,
    likelihood: &Option<String>,
    impacts: &BTreeMap<String, Value>,
) -> Option<Rating> {
    let lf = format!("{prefix}_likelihood");
    let imf = format!("{prefix}_impacts");
    let l = match present(likelihood) {
        None => Some(None),
        Some(s) => e.take(&lf, level_of(&Value::String(s.to_owned())).map(Some)),
    };
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (k, v) in impacts {
        let key = match parse_dimension_key(k) {
            Ok(key) => key,
            Err(m) => {
                e.push(&format!("{imf}.{k}"), m);
                ok = false;
                continue;
            }
        };
        match level_of(v) {
            Ok(level) => {
                out.insert(key, level);
            }
            Err(m) => {
                e.push(&format!("{imf}.{k}"), m);
                ok = false;
            }
        }
    }
    let l = l?;
    if !ok {
        return None;
    }
    match (l, out.is_empty()) {
        (Some(_), true) => {
            e.push(&imf, "rate the impact in at least one dimension together with the likelihood");
            None
        }
        (None, false) => {
            e.push(&lf, "is required with the impacts: a rating has both");
            None
        }
        _ => Some(Rating { likelihood: l, impacts: out }),
    }
}

/// A list of distinct items (ids, control ids), each parsed.
fn distinct<T: Ord + Clone>(
    e: &mut Errors,
    field: &str,
    raw: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<Vec<T>> {
    if raw.len() > MAX_LINKS {
        e.push(field, format!("has {} items; at most {MAX_LINKS}", raw.len()));
        return None;
    }
    let v = e.list(field, raw, parse)?;
    let mut distinct = v.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != v.len() {
        e.push(field, "an item is listed twice");
        return None;
    }
    Some(v)
}

fn plan_item(e: &mut Errors, n: usize, i: &PlanItemInput) -> Option<PlanItem> {
    let at = |f: &str| format!("plan[{n}].{f}");
    let action = match present(&i.action) {
        None => {
            e.push(&at("action"), "is required: say what will be done");
            None
        }
        Some(a) => e.take(&at("action"), Text::parse(a)),
    };
    let owner = match present(&i.owner) {
        None => {
            e.push(&at("owner"), "is required: every action of a treatment plan has an owner");
            None
        }
        Some(o) => e.take(&at("owner"), Short::parse(o)),
    };
    let due_date = match present(&i.due_date) {
        None => {
            e.push(&at("due_date"), "is required: every action of a treatment plan has a due date (YYYY-MM-DD)");
            None
        }
        Some(d) => e.take(&at("due_date"), Date::parse(d)),
    };
    let status = e.take(&at("status"), present(&i.status).map_or(Ok(PlanStatus::Planned), PlanStatus::parse));
    let control_id = match present(&i.control_id) {
        None => Some(None),
        Some(c) => e.take(&at("control_id"), parse_control_id(c).map(Some)),
    };
    Some(PlanItem { action: action?, owner: owner?, due_date: due_date?, status: status?, control_id: control_id? })
}

fn computed_int(e: &mut Errors, field: &str, raw: &Option<String>) -> Option<Option<i64>> {
    match present(raw) {
        None => Some(None),
        Some(s) => e.take(
            field,
            s.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or_else(|| format!("{s:?} is not a whole number (it is computed; leave it out)")),
        ),
    }
}

impl Risk {
    /// The ratings' field prefixes and values.
    fn ratings(&self) -> [(&'static str, &Rating); 2] {
        [("inherent", &self.inherent), ("residual", &self.residual)]
    }

    /// Checks the ratings against `model` and computes their levels; the risk then stands
    /// under model `version`. Every rating that does not fit is reported, by field
    /// (`inherent_likelihood`, `residual_impacts.safety`…).
    pub fn rate(&mut self, model: &RiskModel, version: i64) -> Result<(), ValidationError> {
        let mut errors = Vec::new();
        let mut levels = [None, None];
        let mut impacts = [None, None];
        for (n, (prefix, rating)) in self.ratings().into_iter().enumerate() {
            let Some(r) = rating.as_ref() else { continue };
            match model.evaluate(r) {
                Ok(ev) => {
                    levels[n] = Some(ev.level);
                    impacts[n] = Some(ev.impact);
                }
                Err(errs) => {
                    for (f, m) in errs {
                        let field = match f.strip_prefix("impacts") {
                            Some(rest) => format!("{prefix}_impacts{rest}"),
                            None => format!("{prefix}_{f}"),
                        };
                        errors.push(FieldError::new(field, m));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(ValidationError { errors });
        }
        self.inherent_level = levels[0];
        self.residual_level = levels[1];
        self.inherent_impact = impacts[0];
        self.residual_impact = impacts[1];
        self.model_version = version;
        self.needs_rerating = false;
        Ok(())
    }

    /// The earliest date something of this risk falls due: its review, or an open action of
    /// its plan. A closed risk has none.
    pub fn next_due(&self) -> Option<Date> {
        if self.state == RiskState::Closed {
            return None;
        }
        let actions = self.plan.iter().filter(|p| p.status.is_open()).map(|p| p.due_date);
        self.review_date.into_iter().chain(actions).min()
    }

    /// Whether the review date has passed on `today` (a closed risk is never overdue).
    pub fn review_overdue(&self, today: Date) -> bool {
        self.state != RiskState::Closed && self.review_date.is_some_and(|d| d < today)
    }

    /// The open actions past their due date on `today`, with their position in the plan.
    pub fn overdue_actions(&self, today: Date) -> Vec<(usize, &PlanItem)> {
        if self.state == RiskState::Closed {
            return Vec::new();
        }
        self.plan.iter().enumerate().filter(|(_, p)| p.status.is_open() && p.due_date < today).collect()
    }

    /// Whether `other` differs in what an acceptance covers: the ratings, the treatment and
    /// its plan, the controls or the owner.
    pub fn acceptance_basis_differs(&self, other: &Risk) -> bool {
        self.inherent != other.inherent
            || self.residual != other.residual
            || self.treatment != other.treatment
            || self.plan != other.plan
            || self.existing_controls != other.existing_controls
            || self.control_ids != other.control_ids
            || self.risk_owner != other.risk_owner
    }
}

fn impacts_input(r: &Rating) -> BTreeMap<String, Value> {
    r.impacts.iter().map(|(k, v)| (k.clone(), Value::from(*v))).collect()
}

fn id_strings<T: std::fmt::Display>(v: &[T]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

impl Entity for Risk {
    type Id = RiskId;
    type Input = RiskInput;
    const KIND: EntityKind = EntityKind::Risk;

    fn id_from_raw(raw: i64) -> RiskId {
        RiskId::new(raw)
    }

    fn parse(i: &RiskInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let title = e.take("title", Name::parse(opt(&i.title)));
        let threat_source = e.take("threat_source", Text::parse(opt(&i.threat_source)));
        let threat_event = e.take("threat_event", Text::parse(opt(&i.threat_event)));
        let vulnerability = e.take("vulnerability", Text::parse(opt(&i.vulnerability)));
        let consequence = e.take("consequence", Text::parse(opt(&i.consequence)));
        let asset_ids = distinct(&mut e, "asset_ids", &i.asset_ids, AssetId::parse);
        let zone_ids = distinct(&mut e, "zone_ids", &i.zone_ids, ZoneId::parse);
        let conduit_ids = distinct(&mut e, "conduit_ids", &i.conduit_ids, ConduitId::parse);
        let flow_ids = distinct(&mut e, "flow_ids", &i.flow_ids, FlowId::parse);
        let interface_ids = distinct(&mut e, "interface_ids", &i.interface_ids, InterfaceId::parse);
        let supplier_ids = distinct(&mut e, "supplier_ids", &i.supplier_ids, SupplierId::parse);
        let other_site_ids = distinct(&mut e, "other_site_ids", &i.other_site_ids, SiteId::parse);
        if let (Some(own), Some(others)) = (&site_id, &other_site_ids)
            && others.contains(own)
        {
            e.push("other_site_ids", "names the risk's own site: list only the other sites it affects");
        }
        let origin = e.take(
            "origin",
            Short::parse(opt(&i.origin)).and_then(|o| match parse_origin(o.as_str()) {
                Ok(_) => Ok(o),
                Err(m) => Err(m),
            }),
        );
        let inherent = rating(&mut e, "inherent", &i.inherent_likelihood, &i.inherent_impacts);
        let existing_controls = e.list("existing_controls", &i.existing_controls, Short::parse).map(|mut v| {
            v.retain(|c| !c.is_empty());
            v
        });
        let control_ids = distinct(&mut e, "control_ids", &i.control_ids, parse_control_id);
        let treatment = match present(&i.treatment) {
            None => Some(None),
            Some(t) => e.take("treatment", Treatment::parse(t).map(Some)),
        };
        let plan = if i.plan.len() > MAX_PLAN_ITEMS {
            e.push("plan", format!("has {} actions; at most {MAX_PLAN_ITEMS}", i.plan.len()));
            None
        } else {
            let items: Vec<Option<PlanItem>> =
                i.plan.iter().enumerate().map(|(n, p)| plan_item(&mut e, n, p)).collect();
            items.into_iter().collect::<Option<Vec<_>>>()
        };
        let residual = rating(&mut e, "residual", &i.residual_likelihood, &i.residual_impacts);
        let risk_owner = e.take("risk_owner", Short::parse(opt(&i.risk_owner)));
        let review_date = match present(&i.review_date) {
            None => Some(None),
            Some(d) => e.take("review_date", Date::parse(d).map(Some)),
        };
        let state = e.take("state", present(&i.state).map_or(Ok(RiskState::Identified), RiskState::parse));
        let model_version = computed_int(&mut e, "model_version", &i.model_version);
        let inherent_level = computed_int(&mut e, "inherent_level", &i.inherent_level);
        let residual_level = computed_int(&mut e, "residual_level", &i.residual_level);
        let inherent_impact = computed_int(&mut e, "inherent_impact", &i.inherent_impact);
        let residual_impact = computed_int(&mut e, "residual_impact", &i.residual_impact);
        let needs_rerating = e.take("needs_rerating", parse_bool(i.needs_rerating.as_deref(), false));

        // What each state stands for.
        if let Some(s) = state {
            let from = |floor: RiskState| s != RiskState::Closed && s >= floor;
            let label = s.label().to_lowercase();
            if from(RiskState::Assessed) {
                if inherent.as_ref().is_some_and(|r| !r.is_set()) {
                    e.push("inherent_likelihood", format!("is required: a risk {label} has an inherent rating"));
                }
                if risk_owner.as_ref().is_some_and(Short::is_empty) {
                    e.push("risk_owner", format!("is required: a risk {label} has an owner"));
                }
            }
            if from(RiskState::TreatmentPlanned) {
                match treatment {
                    Some(None) => e.push("treatment", format!("is required: choose how a risk {label} is treated")),
                    Some(Some(t)) if t != Treatment::Retain && plan.as_ref().is_some_and(Vec::is_empty) => {
                        e.push("plan", format!("a risk to {} needs at least one action", t.as_str()))
                    }
                    _ => {}
                }
            }
            if from(RiskState::Treated) {
                if residual.as_ref().is_some_and(|r| !r.is_set()) {
                    e.push("residual_likelihood", format!("is required: a risk {label} has a residual rating"));
                }
                for (n, p) in plan.iter().flatten().enumerate() {
                    if p.status.is_open() {
                        e.push(
                            &format!("plan[{n}].status"),
                            format!(
                                "is {}: a risk {label} has every action done or cancelled",
                                p.status.label().to_lowercase()
                            ),
                        );
                    }
                }
            }
        }
        e.finish()?;
        let level = |l: Option<i64>| l.and_then(|n| u8::try_from(n).ok()).filter(|n| *n > 0);
        Ok(Risk {
            site_id: site_id.unwrap(),
            title: title.unwrap(),
            threat_source: threat_source.unwrap(),
            threat_event: threat_event.unwrap(),
            vulnerability: vulnerability.unwrap(),
            consequence: consequence.unwrap(),
            asset_ids: asset_ids.unwrap(),
            zone_ids: zone_ids.unwrap(),
            conduit_ids: conduit_ids.unwrap(),
            flow_ids: flow_ids.unwrap(),
            interface_ids: interface_ids.unwrap(),
            supplier_ids: supplier_ids.unwrap(),
            other_site_ids: other_site_ids.unwrap(),
            origin: origin.unwrap(),
            inherent: inherent.unwrap(),
            existing_controls: existing_controls.unwrap(),
            control_ids: control_ids.unwrap(),
            treatment: treatment.unwrap(),
            plan: plan.unwrap(),
            residual: residual.unwrap(),
            risk_owner: risk_owner.unwrap(),
            review_date: review_date.unwrap(),
            state: state.unwrap(),
            model_version: model_version.unwrap().unwrap_or(0),
            inherent_level: level(inherent_level.unwrap()),
            residual_level: level(residual_level.unwrap()),
            inherent_impact: level(inherent_impact.unwrap()),
            residual_impact: level(residual_impact.unwrap()),
            needs_rerating: needs_rerating.unwrap(),
        })
    }

    fn to_input(&self) -> RiskInput {
        let text = |t: &Text| Some(t.as_str().to_owned());
        RiskInput {
            site_id: Some(self.site_id.to_string()),
            title: Some(self.title.to_string()),
            threat_source: text(&self.threat_source),
            threat_event: text(&self.threat_event),
            vulnerability: text(&self.vulnerability),
            consequence: text(&self.consequence),
            asset_ids: id_strings(&self.asset_ids),
            zone_ids: id_strings(&self.zone_ids),
            conduit_ids: id_strings(&self.conduit_ids),
            flow_ids: id_strings(&self.flow_ids),
            interface_ids: id_strings(&self.interface_ids),
            supplier_ids: id_strings(&self.supplier_ids),
            other_site_ids: id_strings(&self.other_site_ids),
            origin: Some(self.origin.as_str().to_owned()),
            inherent_likelihood: self.inherent.likelihood.map(|l| l.to_string()),
            inherent_impacts: impacts_input(&self.inherent),
            existing_controls: self.existing_controls.iter().map(|c| c.as_str().to_owned()).collect(),
            control_ids: self.control_ids.clone(),
            treatment: self.treatment.map(|t| t.as_str().to_owned()),
            plan: self
                .plan
                .iter()
                .map(|p| PlanItemInput {
                    action: Some(p.action.as_str().to_owned()),
                    owner: Some(p.owner.as_str().to_owned()),
                    due_date: Some(p.due_date.to_string()),
                    status: Some(p.status.as_str().to_owned()),
                    control_id: p.control_id.clone(),
                })
                .collect(),
            residual_likelihood: self.residual.likelihood.map(|l| l.to_string()),
            residual_impacts: impacts_input(&self.residual),
            risk_owner: Some(self.risk_owner.as_str().to_owned()),
            review_date: self.review_date.map(|d| d.to_string()),
            state: Some(self.state.as_str().to_owned()),
            model_version: Some(self.model_version.to_string()),
            inherent_level: self.inherent_level.map(|l| l.to_string()),
            residual_level: self.residual_level.map(|l| l.to_string()),
            inherent_impact: self.inherent_impact.map(|l| l.to_string()),
            residual_impact: self.residual_impact.map(|l| l.to_string()),
            needs_rerating: Some(self.needs_rerating.to_string()),
        }
    }

    fn site_id(&self) -> Option<SiteId> {
        Some(self.site_id)
    }

    fn display_name(&self) -> String {
        self.title.to_string()
    }

    fn fields() -> &'static [F] {
        static FIELDS: &[F] = &[
            F::new("site_id", "Site", K::Ref(EntityKind::Site)).required(),
            F::new("title", "Title", K::Text).required().column(),
            F::new("threat_source", "Threat source", K::LongText)
                .help("who or what could cause it: a criminal group, a vendor's technician, a careless insider, a failure"),
            F::new("threat_event", "Threat event", K::LongText).help("what happens, step by step"),
            F::new("vulnerability", "Vulnerability", K::LongText).help("the weakness it exploits"),
            F::new("consequence", "Consequence", K::LongText).help("what it does to people, production, product and data"),
            F::new("asset_ids", "Assets", K::RefList(EntityKind::Asset)),
            F::new("zone_ids", "Zones", K::RefList(EntityKind::Zone)),
            F::new("conduit_ids", "Conduits", K::RefList(EntityKind::Conduit)),
            F::new("flow_ids", "Data flows", K::RefList(EntityKind::Flow)),
            F::new("interface_ids", "Interfaces", K::RefList(EntityKind::Interface)),
            F::new("supplier_ids", "Suppliers", K::RefList(EntityKind::Supplier)),
            F::new("other_site_ids", "Other sites affected", K::RefList(EntityKind::Site))
                .help("other sites the risk affects too, e.g. through a shared cloud platform"),
            F::new("origin", "Origin", K::Text)
                .help("template:<id> for a threat template, suggestion:<key> for an accepted suggestion; empty otherwise"),
            F::new("inherent_likelihood", "Inherent likelihood", K::Int)
                .help("the likelihood level (from 1) without the controls of the treatment"),
            F::new("inherent_impacts", "Inherent impacts", K::Impacts)
                .help("the impact level per dimension of the risk model, e.g. {\"safety\": 4, \"production_continuity\": 3}"),
            F::new("existing_controls", "Existing controls", K::List).help("what is already in place"),
            F::new("control_ids", "Annex A controls", K::List).help("ISO/IEC 27001:2022 Annex A ids, e.g. 8.20, 5.19"),
            F::new("treatment", "Treatment", K::Choice(choices!(Treatment))).column(),
            F::new("plan", "Treatment plan", K::Plan).help("actions, each with an owner, a due date, a status and optionally the Annex A control it implements"),
            F::new("residual_likelihood", "Residual likelihood", K::Int).help("the likelihood level once the treatment is in place"),
            F::new("residual_impacts", "Residual impacts", K::Impacts),
            F::new("risk_owner", "Risk owner", K::Text)
                .column()
                .help("the person accountable for the risk: the user name or printed name of the account that accepts it"),
            F::new("review_date", "Review date", K::Date).column(),
            F::new("state", "State", K::Choice(choices!(RiskState)))
                .column()
                .help("\"accepted\" is reached only by the risk owner's electronic signature with the meaning \"risk accepted\""),
            F::new("model_version", "Risk model version", K::Int).computed(),
            F::new("inherent_level", "Inherent risk level", K::Int).column().computed(),
            F::new("residual_level", "Residual risk level", K::Int).column().computed(),
            F::new("inherent_impact", "Inherent impact", K::Int)
                .computed()
                .help("the impact of the inherent rating, aggregated over its dimensions"),
            F::new("residual_impact", "Residual impact", K::Int).computed(),
            F::new("needs_rerating", "Needs re-rating", K::Bool)
                .computed()
                .help("a newer risk model could not take over these ratings: rate them again"),
        ];
        FIELDS
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn input() -> RiskInput {
        serde_json::from_value(json!({
            "site_id": 1,
            "title": "Ransomware on the historian",
            "threat_event": "Encrypts the historian through the IT/OT file share",
            "zone_ids": [3],
            "inherent_likelihood": 4,
            "inherent_impacts": { "production_continuity": 4, "integrity": "3" },
            "risk_owner": "Olga Owner",
            "state": "assessed",
        }))
        .unwrap()
    }

    fn fields(e: &ValidationError) -> Vec<&str> {
        e.errors.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn a_risk_round_trips_through_its_input_and_is_rated_by_the_model() {
        let mut r = Risk::parse(&input()).unwrap();
        assert_eq!(r.inherent.likelihood, Some(4));
        assert_eq!(r.inherent.impacts["integrity"], 3);
        r.rate(&RiskModel::default(), 1).unwrap();
        assert_eq!((r.model_version, r.inherent_level, r.residual_level), (1, Some(3), None));
        let back = Risk::parse(&r.to_input()).unwrap();
        assert_eq!(back, r);
        let v = serde_json::to_value(r.to_input()).unwrap();
        assert_eq!(v["inherent_impacts"], json!({ "integrity": 3, "production_continuity": 4 }));
    }

    #[test]
    fn a_rating_outside_the_model_is_refused_naming_the_field() {
        let mut i = input();
        i.inherent_likelihood = Some("7".into());
        i.inherent_impacts.insert("weather".into(), json!(2));
        let mut r = Risk::parse(&i).unwrap();
        let e = r.rate(&RiskModel::default(), 1).unwrap_err();
        assert_eq!(fields(&e), ["inherent_likelihood", "inherent_impacts.weather"], "{e:?}");
        i.inherent_likelihood = Some("11".into());
        assert_eq!(fields(&Risk::parse(&i).unwrap_err()), ["inherent_likelihood"]);
    }

    #[test]
    fn a_plan_item_without_owner_or_due_date_is_refused() {
        let mut i = input();
        i.treatment = Some("modify".into());
        i.plan = vec![
            PlanItemInput { action: Some("Patch the historian".into()), ..Default::default() },
            PlanItemInput {
                action: Some("Segment the file share".into()),
                owner: Some("OT lead".into()),
                due_date: Some("2027-02-30".into()),
                control_id: Some("8.99".into()),
                ..Default::default()
            },
        ];
        let e = Risk::parse(&i).unwrap_err();
        assert_eq!(
            fields(&e),
            ["plan[0].owner", "plan[0].due_date", "plan[1].due_date", "plan[1].control_id"],
            "{e:?}"
        );
    }

    #[test]
    fn each_state_needs_what_it_stands_for() {
        let mut i = input();
        i.inherent_likelihood = None;
        i.inherent_impacts.clear();
        i.risk_owner = None;
        assert_eq!(fields(&Risk::parse(&i).unwrap_err()), ["inherent_likelihood", "risk_owner"]);
        let mut i = input();
        i.state = Some("treatment_planned".into());
        assert_eq!(fields(&Risk::parse(&i).unwrap_err()), ["treatment"]);
        i.treatment = Some("modify".into());
        assert_eq!(fields(&Risk::parse(&i).unwrap_err()), ["plan"]);
        i.treatment = Some("retain".into());
        assert!(Risk::parse(&i).is_ok());
        i.state = Some("treated".into());
        i.treatment = Some("modify".into());
        i.plan = vec![PlanItemInput {
            action: Some("Patch".into()),
            owner: Some("OT lead".into()),
            due_date: Some("2027-01-31".into()),
            ..Default::default()
        }];
        assert_eq!(fields(&Risk::parse(&i).unwrap_err()), ["residual_likelihood", "plan[0].status"]);
        i.state = Some("closed".into());
        assert!(Risk::parse(&i).is_ok(), "a risk may be closed from anywhere");
    }

    #[test]
    fn annex_a_control_ids_are_checked_against_the_themes() {
        assert_eq!(parse_control_id("8.20").unwrap(), "8.20");
        assert_eq!(parse_control_id("A.5.19").unwrap(), "5.19");
        for bad in ["8.35", "5.38", "6.9", "7.15", "9.1", "8", "8.020", "x.1", "8.0"] {
            assert!(parse_control_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_next_due_date_is_the_review_or_the_earliest_open_action() {
        let mut i = input();
        i.review_date = Some("2027-06-30".into());
        i.treatment = Some("modify".into());
        i.plan = vec![
            PlanItemInput {
                action: Some("a".into()),
                owner: Some("o".into()),
                due_date: Some("2027-01-31".into()),
                status: Some("done".into()),
                ..Default::default()
            },
            PlanItemInput {
                action: Some("b".into()),
                owner: Some("o".into()),
                due_date: Some("2027-03-31".into()),
                ..Default::default()
            },
        ];
        let r = Risk::parse(&i).unwrap();
        assert_eq!(r.next_due().unwrap().to_string(), "2027-03-31");
        let today = Date::parse("2027-04-01").unwrap();
        assert_eq!(r.overdue_actions(today).len(), 1);
        assert!(!r.review_overdue(today));
        i.state = Some("closed".into());
        assert_eq!(Risk::parse(&i).unwrap().next_due(), None);
    }
}
