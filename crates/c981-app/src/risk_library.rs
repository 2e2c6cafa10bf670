//! Risk assessment beyond the register's records: the IIoT threat library (shipped templates
//! and the organisation's own), risks suggested from the facts (the zone analysis, end of
//! support, devices seen but never confirmed), the heatmaps of inherent and residual risk,
//! and the assessment periods (the register frozen at a yearly review, and what changed
//! between two periods).
//!
//! Suggestions are never entered by themselves: a person accepts one into the register (it
//! opens the risk form filled from the suggestion, and the saved risk records its origin) or
//! dismisses it with a reason. Both are audited.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use c981_analysis::findings::{Rule, Subject};
use c981_analysis::paths::{self, EntryKind, Node, TargetKind};
use c981_domain::audit::Action;
use c981_domain::threats::{self, BUILTIN_PREFIX, ThreatTemplate};
use c981_domain::{EntityKind, RiskInput, RiskModel, SiteId, Timestamp, ValidationError};
use serde::Serialize;
use serde_json::Value;

use crate::actor::Role;
use crate::risk::ModelVersion;
use crate::{App, AppError, Ctx, Result};

// ---------------------------------------------------------------------------------------
// The threat library

/// A threat template as the library shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TemplateView {
    #[serde(flatten)]
    pub template: ThreatTemplate,
    /// Shipped with Connect 981 (read-only), or the organisation's own.
    pub builtin: bool,
    /// The organisation's templates: their version (for `If-Match`) and last change.
    pub version: Option<i64>,
    pub updated_at: Option<Timestamp>,
}

/// What an import of templates did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TemplateImport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The SHA-256 of the file, as the audit trail records it.
    pub sha256: String,
}

/// The most templates one import may hold, and the largest file.
pub const MAX_TEMPLATES_PER_IMPORT: usize = 1000;
pub const MAX_TEMPLATE_FILE: usize = 4 * 1024 * 1024;

/// Whether the actor may change what the whole organisation shares (the risk model, the
/// threat library, assessment periods).
pub fn may_change_organisation(ctx: &Ctx) -> bool {
    !ctx.actor.read_only
        && ctx
            .actor
            .grants
            .iter()
            .any(|g| g.site.is_none() && matches!(g.role, Role::Administrator | Role::IsmsManager))
}

/// Reads one template document, checking it as the shipped ones are checked, plus what only
/// an organisation's template must respect (its id outside the reserved `T-` prefix, and the
/// id of the address when one is given). Errors are prefixed with `prefix`.
fn parse_template(
    doc: &Value,
    expected_id: Option<&str>,
    prefix: &str,
) -> std::result::Result<ThreatTemplate, ValidationError> {
    let at = |f: &str| if prefix.is_empty() { f.to_owned() } else { format!("{prefix}.{f}") };
    let t: ThreatTemplate = serde_path_to_error::deserialize(doc.clone()).map_err(|e| {
        // The path names the field (`controls[0]`, `impacts.safety`); "." is the whole.
        let path = e.path().to_string();
        let field = if path == "." { prefix.to_owned() } else { at(&path) };
        ValidationError::single(field, e.into_inner().to_string())
    })?;
    let mut errors = match t.validate() {
        Ok(()) => Vec::new(),
        Err(v) => v.errors.into_iter().map(|f| c981_domain::FieldError::new(at(&f.field), f.message)).collect(),
    };
    if t.id.to_ascii_uppercase().starts_with(BUILTIN_PREFIX) {
        errors.push(c981_domain::FieldError::new(
            at("id"),
            format!(
                "the prefix {BUILTIN_PREFIX} is reserved for the shipped library; give your templates a prefix of your own (e.g. ACME-)"
            ),
        ));
    }
    if let Some(id) = expected_id
        && !t.id.eq_ignore_ascii_case(id.trim())
    {
        errors.push(c981_domain::FieldError::new(at("id"), format!("is {:?}, but the address names {id:?}", t.id)));
    }
    if errors.is_empty() { Ok(t) } else { Err(ValidationError { errors }) }
}

impl App {
    /// Refuses (and audits the refusal of) a change to what the whole organisation shares.
    pub(crate) async fn authorize_organisation_change(&self, ctx: &Ctx, kind: EntityKind, what: &str) -> Result<()> {
        if may_change_organisation(ctx) {
            return Ok(());
        }
        let why = format!(
            "{}{} may not {what}: that needs the administrator or ISMS manager role on every site",
            ctx.actor.name,
            if ctx.actor.read_only { " (read-only token)" } else { "" },
        );
        tracing::warn!(actor = %ctx.actor.id, %kind, "organisation change denied");
        let changes = serde_json::json!({ "denied": { "old": null, "new": why } }).to_string();
        self.store.append_audit(&self.meta(ctx), Action::Denied, kind, None, None, changes).await?;
        Err(AppError::Forbidden(why))
    }

    /// The threat library: the shipped templates, then the organisation's own, by id.
    pub async fn threat_templates(&self, _ctx: &Ctx) -> Result<Vec<TemplateView>> {
        let mut out: Vec<TemplateView> = threats::templates()
            .iter()
            .map(|t| TemplateView { template: t.clone(), builtin: true, version: None, updated_at: None })
            .collect();
        for row in self.store.threat_templates().await? {
            let template: ThreatTemplate = serde_json::from_value(row.doc).map_err(|e| {
                AppError::Internal(format!("threat template {} in the database does not parse: {e}", row.template_id))
            })?;
            out.push(TemplateView {
                template,
                builtin: false,
                version: Some(row.version),
                updated_at: Some(row.updated_at),
            });
        }
        Ok(out)
    }

    /// One template of the library, shipped or the organisation's.
    pub async fn threat_template(&self, ctx: &Ctx, id: &str) -> Result<TemplateView> {
        let id = id.trim();
        if let Some(t) = threats::template(id) {
            return Ok(TemplateView { template: t.clone(), builtin: true, version: None, updated_at: None });
        }
        let key = id.to_ascii_uppercase();
        let found = self.threat_templates(ctx).await?.into_iter().find(|t| !t.builtin && t.template.id == key);
        found.ok_or_else(|| AppError::NotFoundText(format!("there is no threat template {id:?}")))
    }

    /// Creates or replaces one of the organisation's templates (administrators and ISMS
    /// managers of every site). With `expected_version`, a template changed meanwhile is a
    /// conflict.
    pub async fn put_threat_template(
        &self,
        ctx: &Ctx,
        id: &str,
        doc: &Value,
        expected_version: Option<i64>,
    ) -> Result<TemplateView> {
        self.authorize_organisation_change(ctx, EntityKind::ThreatTemplate, "change the threat library").await?;
        let t = parse_template(doc, Some(id), "")?;
        let stored = serde_json::to_value(&t).map_err(|e| AppError::Internal(e.to_string()))?;
        let rows =
            self.store.put_threat_templates(&self.meta(ctx), &[(t.id.to_string(), stored)], expected_version).await?;
        let row = rows.into_iter().next().ok_or_else(|| AppError::Internal("no template stored".into()))?;
        Ok(TemplateView { template: t, builtin: false, version: Some(row.version), updated_at: Some(row.updated_at) })
    }

    /// Imports templates from a JSON file (an array of templates, or `{"templates": [...]}`):
    /// all of them or none, every problem named by its position and field
    /// (`FILE: [3].impacts.safety: …`). Each template created or changed gets its audit entry;
    /// the entries carry the file's name and SHA-256 as their reason.
    pub async fn import_threat_templates(&self, ctx: &Ctx, name: &str, bytes: &[u8]) -> Result<TemplateImport> {
        self.authorize_organisation_change(ctx, EntityKind::ThreatTemplate, "import threat templates").await?;
        let file_error = |m: String| AppError::field(name, m);
        if bytes.len() > MAX_TEMPLATE_FILE {
            return Err(file_error(format!(
                "is {} bytes; a template file holds at most {MAX_TEMPLATE_FILE}",
                bytes.len()
            )));
        }
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| file_error(format!("is not JSON: line {}, column {}: {e}", e.line(), e.column())))?;
        let items = match v {
            Value::Array(a) => a,
            Value::Object(mut o) if o.contains_key("templates") => match o.remove("templates") {
                Some(Value::Array(a)) => a,
                _ => return Err(file_error("\"templates\" is not an array".into())),
            },
            _ => return Err(file_error("holds neither an array of templates nor {\"templates\": [...]}".into())),
        };
        if items.is_empty() {
            return Err(file_error("holds no template".into()));
        }
        if items.len() > MAX_TEMPLATES_PER_IMPORT {
            return Err(file_error(format!("holds {} templates; at most {MAX_TEMPLATES_PER_IMPORT}", items.len())));
        }
        let mut errors = Vec::new();
        let mut parsed = Vec::new();
        let mut seen = HashSet::new();
        for (n, doc) in items.iter().enumerate() {
            match parse_template(doc, None, &format!("[{n}]")) {
                Ok(t) => {
                    if !seen.insert(t.id.to_string()) {
                        errors.push(c981_domain::FieldError::new(
                            format!("[{n}].id"),
                            format!("{} is in the file twice", t.id),
                        ));
                    }
                    parsed.push(t);
                }
                Err(v) => errors.extend(v.errors),
            }
        }
        if !errors.is_empty() {
            let errors = errors
                .into_iter()
                .map(|f| c981_domain::FieldError::new(format!("{name}: {}", f.field), f.message))
                .collect();
            return Err(AppError::Invalid(ValidationError { errors }));
        }
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        let before: HashMap<String, Value> =
            self.store.threat_templates().await?.into_iter().map(|r| (r.template_id, r.doc)).collect();
        let mut summary = TemplateImport { sha256: sha256.clone(), ..Default::default() };
        let mut docs = Vec::new();
        for t in &parsed {
            let doc = serde_json::to_value(t).map_err(|e| AppError::Internal(e.to_string()))?;
            match before.get(t.id.as_ref()) {
                None => summary.created += 1,
                Some(old) if *old == doc => summary.unchanged += 1,
                Some(_) => summary.updated += 1,
            }
            docs.push((t.id.to_string(), doc));
        }
        let mut meta = self.meta(ctx);
        meta.reason = Some(format!("imported from {name} (SHA-256 {sha256})"));
        self.store.put_threat_templates(&meta, &docs, None).await?;
        Ok(summary)
    }

    /// Deletes one of the organisation's templates. Risks made from it keep their origin.
    pub async fn delete_threat_template(&self, ctx: &Ctx, id: &str, expected_version: Option<i64>) -> Result<()> {
        self.authorize_organisation_change(ctx, EntityKind::ThreatTemplate, "change the threat library").await?;
        if threats::template(id).is_some() {
            return Err(AppError::Conflict(format!("{id} is a shipped template: it cannot be deleted")));
        }
        self.store.delete_threat_template(&self.meta(ctx), &id.trim().to_ascii_uppercase(), expected_version).await?;
        Ok(())
    }
}

/// A risk input filled from a template, for the risk form: the scenario, the controls, and
/// the hinted ratings mapped onto `model` (dimensions by key, levels clamped to its scales).
pub fn input_from_template(t: &ThreatTemplate, model: &RiskModel, site: SiteId) -> RiskInput {
    let (likelihood, impacts) = hints_for(t, model);
    RiskInput {
        site_id: Some(site.to_string()),
        title: Some(t.title.to_string()),
        threat_source: Some(t.threat_source.to_string()),
        threat_event: Some(t.threat_event.to_string()),
        vulnerability: Some(t.vulnerability.to_string()),
        consequence: Some(t.consequence.to_string()),
        control_ids: t.controls.iter().map(ToString::to_string).collect(),
        inherent_likelihood: Some(likelihood.to_string()),
        inherent_impacts: impacts.into_iter().map(|(k, v)| (k, Value::from(v))).collect(),
        origin: Some(format!("template:{}", t.id)),
        ..Default::default()
    }
}

/// The template's hints on `model`'s scales: a level `n` of 5 becomes the level at the same
/// place of a scale of another length (rounded); dimensions the model lacks are left out.
pub fn hints_for(t: &ThreatTemplate, model: &RiskModel) -> (u8, BTreeMap<String, u8>) {
    let rescale = |level: u8, count: u8| -> u8 {
        if count == 5 {
            return level.clamp(1, 5);
        }
        let x = (f64::from(level) - 1.0) / 4.0 * (f64::from(count) - 1.0) + 1.0;
        (x.round() as u8).clamp(1, count)
    };
    let likelihood = rescale(t.likelihood, model.likelihood_count());
    let impacts = t
        .impacts
        .iter()
        .filter(|(d, _)| model.dimension(d.as_str()).is_some())
        .map(|(d, l)| (d.as_str().to_owned(), rescale(l, model.impact_count())))
        .collect();
    (likelihood, impacts)
}

// ---------------------------------------------------------------------------------------
// Suggestions from the facts

/// What a suggestion comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionSource {
    /// A cross-domain path into a control or safety zone.
    Path,
    /// Flows that cross zones where no conduit joins them.
    FlowWithoutConduit,
    /// Unencrypted flows over a conduit that requires encryption (a trust boundary).
    UnencryptedFlow,
    /// Flows joining a critical zone straight to an endpoint outside the inventory.
    ExternalFlow,
    /// Safety-related assets sharing a zone with others.
    SafetyMix,
    /// Assets in service past their end of support.
    EndOfSupport,
    /// Devices observed on the network and never confirmed.
    UnconfirmedDevice,
}

impl SuggestionSource {
    pub fn label(self) -> &'static str {
        match self {
            Self::Path => "Cross-domain path",
            Self::FlowWithoutConduit => "Flows without a conduit",
            Self::UnencryptedFlow => "Unencrypted flows across a trust boundary",
            Self::ExternalFlow => "Critical zone reached from outside",
            Self::SafetyMix => "Safety assets not separated",
            Self::EndOfSupport => "End of support",
            Self::UnconfirmedDevice => "Devices seen but not confirmed",
        }
    }
}

/// A risk proposed from the facts, for a person to accept into the register or dismiss.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    /// Stable while the facts stay: `path:z3>z9`, `eos:z12`, `nocond:z3-z9`…
    pub key: String,
    pub site_id: SiteId,
    pub source: SuggestionSource,
    pub title: String,
    /// What was seen, in words.
    pub facts: Vec<String>,
    /// The template the scenario is drawn from.
    pub template_id: String,
    pub zone_ids: Vec<i64>,
    pub conduit_ids: Vec<i64>,
    pub asset_ids: Vec<i64>,
    pub flow_ids: Vec<i64>,
    /// 1 (low) to 4 (critical), for ordering.
    pub weight: u8,
    /// Set when a person dismissed it: who, when, why.
    pub dismissed: Option<Dismissal>,
}

/// A dismissal of a suggestion.
#[derive(Debug, Clone, Serialize)]
pub struct Dismissal {
    pub reason: String,
    pub by: String,
    pub at: Timestamp,
}

/// The most records of each kind a suggestion links (the facts give the full counts).
const LINKS_PER_SUGGESTION: usize = 50;

fn template_of_entry(entry: EntryKind, target: TargetKind) -> &'static str {
    match (entry, target) {
        (EntryKind::RemoteAccess, _) => "T-VENDOR-RA",
        (EntryKind::Enterprise, TargetKind::Safety) => "T-SIS-BYPASS",
        (EntryKind::Enterprise, _) => "T-IT-OT-PIVOT",
        (EntryKind::Cloud, _) => "T-CLOUD-MISCONFIG",
        (EntryKind::External, _) => "T-GW-EXPOSED",
        (EntryKind::Wireless, _) => "T-ROGUE-DEVICE",
        (EntryKind::Temporary, _) => "T-USB-MEDIA",
    }
}

fn entry_label(e: EntryKind) -> &'static str {
    match e {
        EntryKind::Enterprise => "enterprise IT",
        EntryKind::RemoteAccess => "vendor remote access",
        EntryKind::Cloud => "the cloud",
        EntryKind::External => "an external network",
        EntryKind::Wireless => "a wireless network",
        EntryKind::Temporary => "temporarily connected devices",
    }
}

fn node_key(n: &Node) -> String {
    match n {
        Node::Zone { zone_id, .. } => format!("z{zone_id}"),
        Node::External { name, .. } => format!("x:{name}"),
    }
}

fn node_name(n: &Node) -> String {
    match n {
        Node::Zone { name, .. } => name.clone(),
        Node::External { name, .. } => name.clone(),
    }
}

fn push_capped(v: &mut Vec<i64>, x: i64) {
    if v.len() < LINKS_PER_SUGGESTION && !v.contains(&x) {
        v.push(x);
    }
}

impl App {
    /// The risks suggested by the facts of one site, or of every site of the caller, most
    /// weighty first. Suggestions accepted into the register (a risk of the site has the
    /// suggestion as its origin) are left out; dismissed ones only with `include_dismissed`.
    pub async fn risk_suggestions(
        &self,
        ctx: &Ctx,
        site: Option<SiteId>,
        include_dismissed: bool,
    ) -> Result<Vec<Suggestion>> {
        let mut out = Vec::new();
        for s in self.sites_of(ctx, site).await? {
            out.extend(self.site_suggestions(ctx, s, include_dismissed).await?);
        }
        out.sort_by(|a, b| {
            b.weight
                .cmp(&a.weight)
                .then(a.site_id.cmp(&b.site_id))
                .then(a.source.cmp(&b.source))
                .then(a.key.cmp(&b.key))
        });
        Ok(out)
    }

    async fn site_suggestions(&self, ctx: &Ctx, site: SiteId, include_dismissed: bool) -> Result<Vec<Suggestion>> {
        let analysis = self.site_analysis(ctx, site).await?;
        let zone_name = |z: i64| {
            analysis.zones.iter().find(|n| n.id.get() == z).map_or_else(|| format!("zone {z}"), |n| n.name.clone())
        };
        let mut out: Vec<Suggestion> = Vec::new();

        // Cross-domain paths, one suggestion per (entry, critical zone of this site), drawn
        // from the most exposed path between them.
        let found = self.paths(ctx, Some(site), &paths::Options::default()).await?;
        let mut per_pair: BTreeMap<(String, String), (usize, &paths::Path)> = BTreeMap::new();
        for p in &found.paths {
            let (Some(first), Some(last)) = (p.nodes.first(), p.nodes.last()) else { continue };
            if !matches!(last, Node::Zone { site_id, .. } if *site_id == site) {
                continue;
            }
            per_pair.entry((node_key(first), node_key(last))).or_insert((0, p)).0 += 1;
        }
        for ((from, to), (count, p)) in per_pair {
            let (first, last) = (&p.nodes[0], &p.nodes[p.nodes.len() - 1]);
            let mut s = Suggestion {
                key: format!("path:{from}>{to}"),
                site_id: site,
                source: SuggestionSource::Path,
                title: format!(
                    "{} reaches {} zone {:?}",
                    capitalise(entry_label(p.entry)),
                    match p.target {
                        TargetKind::Safety => "safety",
                        TargetKind::Control => "control",
                    },
                    node_name(last)
                ),
                facts: vec![format!(
                    "{count} path{} from {:?} to {:?}; the most exposed: {} ({} hop{}, {} unencrypted, {} undocumented, weakest conduit SL {})",
                    if count == 1 { "" } else { "s" },
                    node_name(first),
                    node_name(last),
                    p.nodes.iter().map(node_name).collect::<Vec<_>>().join(" → "),
                    p.hops.len(),
                    if p.hops.len() == 1 { "" } else { "s" },
                    p.unencrypted_hops,
                    p.undocumented_hops,
                    p.weakest_sl
                )],
                template_id: template_of_entry(p.entry, p.target).to_owned(),
                zone_ids: Vec::new(),
                conduit_ids: Vec::new(),
                asset_ids: Vec::new(),
                flow_ids: Vec::new(),
                weight: match p.target {
                    TargetKind::Safety => 4,
                    TargetKind::Control => 3,
                },
                dismissed: None,
            };
            for n in &p.nodes {
                if let Node::Zone { zone_id, site_id, .. } = n
                    && *site_id == site
                {
                    push_capped(&mut s.zone_ids, zone_id.get());
                }
            }
            // Conduits and flows are linked when the path stays within the site (a risk
            // names records of its own site only).
            if p.sites == [site] {
                for h in &p.hops {
                    for c in &h.conduits {
                        push_capped(&mut s.conduit_ids, c.get());
                    }
                    for f in &h.flows {
                        push_capped(&mut s.flow_ids, f.get());
                    }
                }
            }
            out.push(s);
        }

        // Findings, grouped so that one suggestion stands for one weakness.
        struct Group {
            source: SuggestionSource,
            title: String,
            template: &'static str,
            weight: u8,
            zones: BTreeSet<i64>,
            conduits: BTreeSet<i64>,
            flows: Vec<i64>,
            assets: Vec<i64>,
            count: usize,
            example: String,
        }
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for f in &analysis.findings {
            let zones: Vec<i64> =
                f.related.iter().filter_map(|s| if let Subject::Zone(z) = s { Some(z.get()) } else { None }).collect();
            let conduits: Vec<i64> = f
                .related
                .iter()
                .filter_map(|s| if let Subject::Conduit(c) = s { Some(c.get()) } else { None })
                .collect();
            let (key, source, title, template, weight) = match f.rule {
                Rule::FlowWithoutConduit if zones.len() == 2 => (
                    format!("nocond:z{}-z{}", zones[0].min(zones[1]), zones[0].max(zones[1])),
                    SuggestionSource::FlowWithoutConduit,
                    format!(
                        "Traffic between {:?} and {:?} without a conduit",
                        zone_name(zones[0]),
                        zone_name(zones[1])
                    ),
                    "T-IT-OT-PIVOT",
                    3,
                ),
                Rule::UnencryptedOverEncryptedConduit if !conduits.is_empty() => (
                    format!("cleartext:c{}", conduits[0]),
                    SuggestionSource::UnencryptedFlow,
                    format!(
                        "Unencrypted traffic over conduit {:?}",
                        analysis
                            .conduits
                            .iter()
                            .find(|c| c.id.get() == conduits[0])
                            .map_or_else(|| conduits[0].to_string(), |c| c.name.clone())
                    ),
                    "T-SENSOR-TAMPER",
                    2,
                ),
                Rule::CriticalZoneExternalFlow if !zones.is_empty() => (
                    format!("external:z{}", zones[0]),
                    SuggestionSource::ExternalFlow,
                    format!("Zone {:?} exchanges data straight with outside endpoints", zone_name(zones[0])),
                    "T-GW-EXPOSED",
                    3,
                ),
                Rule::ZoneMixesSafety => match f.subject {
                    Subject::Zone(z) => (
                        format!("safetymix:z{z}"),
                        SuggestionSource::SafetyMix,
                        format!("Safety-related assets share zone {:?} with others", zone_name(z.get())),
                        "T-SIS-BYPASS",
                        4,
                    ),
                    _ => continue,
                },
                _ => continue,
            };
            let g = groups.entry(key).or_insert_with(|| Group {
                source,
                title,
                template,
                weight,
                zones: BTreeSet::new(),
                conduits: BTreeSet::new(),
                flows: Vec::new(),
                assets: Vec::new(),
                count: 0,
                example: f.message.clone(),
            });
            g.count += 1;
            g.zones.extend(zones);
            g.conduits.extend(conduits);
            match f.subject {
                Subject::Zone(z) => {
                    g.zones.insert(z.get());
                }
                Subject::Flow(x) => push_capped(&mut g.flows, x.get()),
                Subject::Asset(x) => push_capped(&mut g.assets, x.get()),
                Subject::Conduit(c) => {
                    g.conduits.insert(c.get());
                }
            }
        }

        // Assets: end of support and unconfirmed devices, one suggestion per zone.
        let today = self.today().to_string();
        for a in self.store.suggestion_assets(site, &today).await? {
            let zone = a.zone_id;
            let zkey = zone.map_or_else(|| "none".to_owned(), |z| format!("z{z}"));
            let where_ = zone.map_or_else(|| "outside any zone".to_owned(), |z| format!("in zone {:?}", zone_name(z)));
            let mut add = |key: String, source, title: String, template, weight, fact: String| {
                let g = groups.entry(key).or_insert_with(|| Group {
                    source,
                    title,
                    template,
                    weight,
                    zones: BTreeSet::new(),
                    conduits: BTreeSet::new(),
                    flows: Vec::new(),
                    assets: Vec::new(),
                    count: 0,
                    example: fact,
                });
                g.count += 1;
                g.zones.extend(zone);
                push_capped(&mut g.assets, a.id);
            };
            if let Some(eos) = a.end_of_support.as_deref().filter(|d| *d < today.as_str()) {
                add(
                    format!("eos:{zkey}"),
                    SuggestionSource::EndOfSupport,
                    format!("Assets past their end of support {where_}"),
                    "T-EOS-WINDOWS",
                    2,
                    format!("{} ({}) has been out of support since {eos}", a.name, a.kind),
                );
            }
            if a.provenance == "observed" {
                add(
                    format!("unconfirmed:{zkey}"),
                    SuggestionSource::UnconfirmedDevice,
                    format!("Devices seen on the network but never confirmed {where_}"),
                    "T-ROGUE-DEVICE",
                    2,
                    format!("{} ({}) was observed and is not confirmed in the inventory", a.name, a.kind),
                );
            }
        }
        for (key, g) in groups {
            let noun = match g.source {
                SuggestionSource::EndOfSupport | SuggestionSource::UnconfirmedDevice => "asset",
                SuggestionSource::SafetyMix => "finding",
                _ => "flow",
            };
            out.push(Suggestion {
                key,
                site_id: site,
                source: g.source,
                title: g.title,
                facts: vec![format!(
                    "{} {noun}{}; for example: {}",
                    g.count,
                    if g.count == 1 { "" } else { "s" },
                    g.example
                )],
                template_id: g.template.to_owned(),
                zone_ids: g.zones.into_iter().take(LINKS_PER_SUGGESTION).collect(),
                conduit_ids: g.conduits.into_iter().take(LINKS_PER_SUGGESTION).collect(),
                asset_ids: g.assets,
                flow_ids: g.flows,
                weight: g.weight,
                dismissed: None,
            });
        }

        let accepted = self.store.accepted_suggestions(site).await?;
        let dismissed: HashMap<String, Dismissal> = self
            .store
            .dismissed_suggestions(site)
            .await?
            .into_iter()
            .map(|d| (d.key, Dismissal { reason: d.reason, by: d.actor_name, at: d.at }))
            .collect();
        out.retain(|s| !accepted.contains(&s.key));
        for s in &mut out {
            s.dismissed = dismissed.get(&s.key).cloned();
        }
        if !include_dismissed {
            out.retain(|s| s.dismissed.is_none());
        }
        Ok(out)
    }

    /// One suggestion of `site` (dismissed ones too).
    pub async fn risk_suggestion(&self, ctx: &Ctx, site: SiteId, key: &str) -> Result<Suggestion> {
        if !ctx.actor.may_see(site) {
            return Err(AppError::NotFound { kind: EntityKind::Site, id: site.get() });
        }
        self.site_suggestions(ctx, site, true).await?.into_iter().find(|s| s.key == key).ok_or_else(|| {
            AppError::NotFoundText(format!(
                "there is no suggestion {key:?} for this site (the facts changed, or it was accepted into the register)"
            ))
        })
    }

    /// The risk input a suggestion proposes, for the risk form: the template's scenario with
    /// what was seen, the records involved, the hinted ratings under the current model, and the
    /// suggestion as origin. Nothing is stored until a person saves the form.
    pub async fn suggestion_input(&self, ctx: &Ctx, s: &Suggestion) -> Result<RiskInput> {
        let model: ModelVersion = self.risk_model(ctx).await?;
        let t = self.threat_template(ctx, &s.template_id).await?.template;
        let mut input = input_from_template(&t, &model.model, s.site_id);
        input.title = Some(s.title.clone());
        input.vulnerability = Some(format!("{}\n\nSeen in the facts: {}", t.vulnerability, s.facts.join(" ")));
        let ids = |v: &[i64]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        input.zone_ids = ids(&s.zone_ids);
        input.conduit_ids = ids(&s.conduit_ids);
        input.asset_ids = ids(&s.asset_ids);
        input.flow_ids = ids(&s.flow_ids);
        input.origin = Some(format!("suggestion:{}", s.key));
        Ok(input)
    }

    /// Dismisses a suggestion with a reason (needs a writing role on the site); audited.
    pub async fn dismiss_risk_suggestion(&self, ctx: &Ctx, site: SiteId, key: &str, reason: &str) -> Result<()> {
        self.authorize_write(ctx, EntityKind::RiskSuggestion, None, Some(site)).await?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::field("reason", "is required: say why this suggestion does not become a risk"));
        }
        if reason.chars().count() > 2000 {
            return Err(AppError::field("reason", "is longer than 2,000 characters"));
        }
        // Only a suggestion that exists now can be dismissed.
        self.risk_suggestion(ctx, site, key).await?;
        Ok(self.store.dismiss_suggestion(&self.meta(ctx), site, key, reason).await?)
    }

    /// Takes a dismissal back; audited.
    pub async fn restore_risk_suggestion(&self, ctx: &Ctx, site: SiteId, key: &str) -> Result<()> {
        self.authorize_write(ctx, EntityKind::RiskSuggestion, None, Some(site)).await?;
        Ok(self.store.restore_suggestion(&self.meta(ctx), site, key).await?)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Heatmaps

/// Counts of risks per cell of the current model's matrix, for one rating.
#[derive(Debug, Clone, Serialize)]
pub struct HeatmapGrid {
    /// `cells[l][i]`: risks with likelihood level `l + 1` and impact level `i + 1`.
    pub cells: Vec<Vec<u64>>,
    /// Risks rated under another model version that cannot be placed on this matrix (they
    /// need re-rating).
    pub off_model: u64,
    /// Risks (not closed) without this rating yet.
    pub unrated: u64,
}

/// The heatmaps of a site or of the group.
#[derive(Debug, Clone, Serialize)]
pub struct Heatmap {
    pub model_version: i64,
    /// One site, or the caller's sites.
    pub site_id: Option<SiteId>,
    pub inherent: HeatmapGrid,
    pub residual: HeatmapGrid,
    /// Risks (not closed) counted.
    pub total: u64,
    /// Per site, risks per risk level (the group roll-up).
    pub by_site: Vec<SiteLevels>,
}

/// A site's risks per risk level (index 0 is level 1), inherent and residual.
#[derive(Debug, Clone, Serialize)]
pub struct SiteLevels {
    pub site_id: SiteId,
    pub inherent: Vec<u64>,
    pub residual: Vec<u64>,
}

impl App {
    /// The heatmaps of inherent and residual risk for one site or every site of the caller,
    /// on the current model's matrix. Risks rated under an older version are counted apart
    /// until the register is re-rated.
    pub async fn risk_heatmap(&self, ctx: &Ctx, site: Option<SiteId>) -> Result<Heatmap> {
        if let Some(s) = site
            && !ctx.actor.may_see(s)
        {
            return Err(AppError::NotFound { kind: EntityKind::Site, id: s.get() });
        }
        let model = self.risk_model(ctx).await?;
        let m = &model.model;
        let counts = self.store.risk_rating_counts(&ctx.actor.scope, site).await?;
        let (nl, ni, levels) = (m.likelihood_count() as usize, m.impact_count() as usize, m.level_count() as usize);
        let mut by_site: BTreeMap<SiteId, (Vec<u64>, Vec<u64>)> = BTreeMap::new();
        // Risks rated under the current version are placed by their likelihood and aggregated
        // impact; those under an older version wait for a re-rating.
        let mut grid = |rows: &[c981_store::RatingCount], residual: bool| {
            let mut g = HeatmapGrid { cells: vec![vec![0; ni]; nl], off_model: 0, unrated: 0 };
            let mut rated = 0u64;
            for r in rows {
                let n = r.count.max(0) as u64;
                rated += n;
                let (l, i) = (r.likelihood as usize, r.impact as usize);
                if r.model_version != model.version || l == 0 || i == 0 || l > nl || i > ni {
                    g.off_model += n;
                    continue;
                }
                g.cells[l - 1][i - 1] += n;
                let e = by_site.entry(r.site_id).or_insert_with(|| (vec![0; levels], vec![0; levels]));
                let v = if residual { &mut e.1 } else { &mut e.0 };
                let level = r.level.unwrap_or(0) as usize;
                if let Some(slot) = v.get_mut(level.saturating_sub(1)) {
                    *slot += n;
                }
            }
            (g, rated)
        };
        let (mut inherent, inherent_rated) = grid(&counts.inherent, false);
        let (mut residual, residual_rated) = grid(&counts.residual, true);
        let total = counts.total.max(0) as u64;
        inherent.unrated = total.saturating_sub(inherent_rated);
        residual.unrated = total.saturating_sub(residual_rated);
        let by_site = by_site
            .into_iter()
            .map(|(site_id, (inherent, residual))| SiteLevels { site_id, inherent, residual })
            .collect();
        Ok(Heatmap { model_version: model.version, site_id: site, inherent, residual, total, by_site })
    }
}

// ---------------------------------------------------------------------------------------
// Assessment periods

/// A closed assessment period.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub id: i64,
    pub name: String,
    pub note: String,
    pub closed_at: Timestamp,
    pub closed_by: String,
    /// Risks frozen (all sites).
    pub risk_count: i64,
    pub model_version: i64,
}

impl From<c981_store::PeriodRow> for Period {
    fn from(r: c981_store::PeriodRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            note: r.note,
            closed_at: r.created_at,
            closed_by: r.actor_name,
            risk_count: r.risk_count,
            model_version: r.model_version,
        }
    }
}

/// One field of a risk that differs between two periods.
#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// A risk compared between two periods.
#[derive(Debug, Clone, Serialize)]
pub struct RiskChange {
    pub risk_id: i64,
    pub site_id: SiteId,
    pub title: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub fields: Vec<FieldChange>,
}

/// What changed between two periods (or a period and today).
#[derive(Debug, Clone, Serialize)]
pub struct PeriodComparison {
    pub from: String,
    pub to: String,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub risks: Vec<RiskChange>,
}

/// The fields a comparison reports (the assessment, not the bookkeeping).
const COMPARED: &[&str] = &[
    "title",
    "state",
    "inherent_likelihood",
    "inherent_impacts",
    "inherent_level",
    "treatment",
    "plan",
    "control_ids",
    "existing_controls",
    "residual_likelihood",
    "residual_impacts",
    "residual_level",
    "risk_owner",
    "review_date",
    "model_version",
];

/// The longest a period's name or note may be.
const MAX_PERIOD_NAME: usize = 100;
const MAX_PERIOD_NOTE: usize = 2000;

impl App {
    /// Closes an assessment period (administrators and ISMS managers of every site): the
    /// register of every site is frozen under `name` (e.g. "2026 review"); the live register
    /// goes on as the next period's assessment. Audited.
    pub async fn close_risk_period(&self, ctx: &Ctx, name: &str, note: &str) -> Result<Period> {
        self.authorize_organisation_change(ctx, EntityKind::RiskPeriod, "close an assessment period").await?;
        let name = name.trim();
        let note = note.trim();
        let mut errors = Vec::new();
        if name.is_empty() || name.chars().count() > MAX_PERIOD_NAME {
            errors.push(c981_domain::FieldError::new(
                "name",
                format!("is required, at most {MAX_PERIOD_NAME} characters"),
            ));
        }
        if name.chars().chain(note.chars()).any(|c| c.is_control() && c != '\n' && c != '\t') {
            errors.push(c981_domain::FieldError::new("name", "may not contain control characters"));
        }
        if note.chars().count() > MAX_PERIOD_NOTE {
            errors.push(c981_domain::FieldError::new("note", format!("is longer than {MAX_PERIOD_NOTE} characters")));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(ValidationError { errors }));
        }
        let model = self.risk_model(ctx).await?;
        Ok(self.store.close_risk_period(&self.meta(ctx), name, note, model.version).await?.into())
    }

    /// The closed periods, oldest first.
    pub async fn risk_periods(&self, _ctx: &Ctx) -> Result<Vec<Period>> {
        Ok(self.store.risk_periods().await?.into_iter().map(Period::from).collect())
    }

    async fn period(&self, ctx: &Ctx, id: i64) -> Result<Period> {
        self.risk_periods(ctx)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(AppError::NotFound { kind: EntityKind::RiskPeriod, id })
    }

    /// The risks of a closed period within the caller's sites (or one site), as they stood.
    pub async fn risk_period_risks(&self, ctx: &Ctx, id: i64, site: Option<SiteId>) -> Result<(Period, Vec<Value>)> {
        let period = self.period(ctx, id).await?;
        let docs = self.store.risk_docs(&ctx.actor.scope, Some(id), site).await?;
        Ok((period, docs.into_iter().map(|(_, _, d)| d).collect()))
    }

    /// What changed between period `from` and period `to` (`None`: the live register), within
    /// the caller's sites (or one site): risks added, removed, and changed field by field.
    pub async fn compare_risk_periods(
        &self,
        ctx: &Ctx,
        from: i64,
        to: Option<i64>,
        site: Option<SiteId>,
    ) -> Result<PeriodComparison> {
        let from_p = self.period(ctx, from).await?;
        let to_name = match to {
            Some(t) => self.period(ctx, t).await?.name,
            None => "today".to_owned(),
        };
        let old = self.store.risk_docs(&ctx.actor.scope, Some(from), site).await?;
        let new = self.store.risk_docs(&ctx.actor.scope, to, site).await?;
        let old: BTreeMap<i64, (SiteId, Value)> = old.into_iter().map(|(i, s, d)| (i, (s, d))).collect();
        let new: BTreeMap<i64, (SiteId, Value)> = new.into_iter().map(|(i, s, d)| (i, (s, d))).collect();
        let title = |d: &Value| d.get("title").and_then(Value::as_str).unwrap_or("").to_owned();
        let mut cmp = PeriodComparison {
            from: from_p.name,
            to: to_name,
            added: 0,
            removed: 0,
            changed: 0,
            unchanged: 0,
            risks: Vec::new(),
        };
        let ids: BTreeSet<i64> = old.keys().chain(new.keys()).copied().collect();
        for id in ids {
            match (old.get(&id), new.get(&id)) {
                (Some((s, o)), None) => {
                    cmp.removed += 1;
                    cmp.risks.push(RiskChange {
                        risk_id: id,
                        site_id: *s,
                        title: title(o),
                        change: "removed",
                        fields: Vec::new(),
                    });
                }
                (None, Some((s, n))) => {
                    cmp.added += 1;
                    cmp.risks.push(RiskChange {
                        risk_id: id,
                        site_id: *s,
                        title: title(n),
                        change: "added",
                        fields: Vec::new(),
                    });
                }
                (Some((_, o)), Some((s, n))) => {
                    let fields: Vec<FieldChange> = COMPARED
                        .iter()
                        .filter_map(|f| {
                            let (a, b) =
                                (o.get(*f).cloned().unwrap_or(Value::Null), n.get(*f).cloned().unwrap_or(Value::Null));
                            (a != b).then(|| FieldChange { field: (*f).to_owned(), old: a, new: b })
                        })
                        .collect();
                    if fields.is_empty() {
                        cmp.unchanged += 1;
                    } else {
                        cmp.changed += 1;
                        cmp.risks.push(RiskChange {
                            risk_id: id,
                            site_id: *s,
                            title: title(n),
                            change: "changed",
                            fields,
                        });
                    }
                }
                (None, None) => {}
            }
        }
        Ok(cmp)
    }
}
