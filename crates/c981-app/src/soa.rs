//! The Statement of Applicability of an ISMS scope: its 93 lines (one per Annex A control,
//! decided or not), the completeness check that guards approval, frozen versions and their
//! comparison, suggestions from IEC 62443 work already done in the scope's zones, the
//! crosswalk, the catalogues and the dashboard over the group.

use std::collections::{BTreeMap, HashMap, HashSet};

use c981_domain::annex_a::{self, ControlId, Theme};
use c981_domain::entity::Entity;
use c981_domain::iec62443::{self, ReqId};
use c981_domain::iso27001::{self, Relationship};
use c981_domain::{
    Applicability, ControlStatus, EntityKind, Evidence, Interface, IsmsScope, Record, RequirementStatus, Risk, Site,
    SiteId, SoaEntry, SoaEntryInput, SoaVersion, SoaVersionInput, SystemUnderConsideration, Timestamp, Zone,
};
use c981_store::isms::{CatalogItem, CatalogRow, CrosswalkLink, CrosswalkRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{App, AppError, Ctx, ListParams, Result};

/// The key of the built-in Annex A catalogue.
pub const ANNEX_A: &str = "iso27001-2022-annex-a";
/// The key of the built-in catalogue of clauses 4 to 10.
pub const CLAUSES: &str = "iso27001-2022-clauses";
/// The key of the built-in IEC 62443-3-3 catalogue.
pub const IEC_62443_3_3: &str = "iec62443-3-3";
/// The format tag of a frozen statement.
pub const SNAPSHOT_FORMAT: &str = "c981-soa/1";

/// A record named in a statement: id and name, with what the auditor needs to find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// An interface to a system outside the scope, as the statement shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundaryInterface {
    pub id: i64,
    pub name: String,
    pub external_system: String,
    pub responsible_party: String,
    pub boundary: String,
}

/// A piece of evidence as the statement shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRef {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub reference: String,
    pub sha256: Option<String>,
    pub file_name: String,
    pub evidence_date: String,
    pub valid_until: Option<String>,
}

/// The scope as the statement shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeDoc {
    pub id: i64,
    /// The scope record's version.
    pub version: i64,
    pub name: String,
    pub statement: String,
    pub zones: Vec<Named>,
    pub systems: Vec<Named>,
    pub services: Vec<String>,
    pub teams: Vec<String>,
    pub interfaces: Vec<BoundaryInterface>,
    pub exclusions: String,
    pub owner: String,
    pub next_review: Option<String>,
}

/// One line of the statement: a control and its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoaLine {
    pub control: String,
    pub title: String,
    pub theme: String,
    /// The entry's id, when the control has one.
    pub entry_id: Option<i64>,
    pub entry_version: Option<i64>,
    pub applicability: String,
    pub justification: String,
    pub status: String,
    pub implementation: String,
    pub owner: String,
    pub risks: Vec<Named>,
    pub evidence: Vec<EvidenceRef>,
    pub requirements: Vec<String>,
    pub next_review: Option<String>,
}

/// A statement of applicability: the working one, or a frozen version's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoaDoc {
    pub format: String,
    pub catalog: String,
    pub site: Named,
    pub site_code: String,
    pub scope: ScopeDoc,
    pub lines: Vec<SoaLine>,
    /// When it was read or frozen.
    pub as_of: Timestamp,
    pub by: String,
}

/// What keeps a statement from approval.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Completeness {
    pub complete: bool,
    /// Controls with no decision.
    pub undecided: Vec<String>,
    /// Decided controls without a justification.
    pub unjustified: Vec<String>,
}

/// How far the statement has come.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub controls: usize,
    pub applicable: usize,
    pub not_applicable: usize,
    pub undecided: usize,
    pub implemented: usize,
    pub partial: usize,
    pub planned: usize,
    pub not_started: usize,
    /// Applicable controls without evidence.
    pub without_evidence: usize,
    /// Controls whose next review has passed.
    pub overdue: usize,
}

/// A frozen version, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionSummary {
    pub id: i64,
    pub number: i64,
    pub note: String,
    pub frozen_at: Timestamp,
    pub frozen_by: String,
    /// Printed names of the approvers (signatures meaning "approved").
    pub approved_by: Vec<String>,
}

/// An implemented IEC 62443 requirement in a zone of the scope that bears on a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub requirement: String,
    pub requirement_title: String,
    pub relationship: String,
    pub zone: Named,
    pub status: String,
    /// The requirement status record.
    pub status_id: i64,
    pub evidence: Vec<String>,
    /// The requirement is already linked to the entry.
    pub linked: bool,
}

/// The statement with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct SoaView {
    pub doc: SoaDoc,
    pub completeness: Completeness,
    pub coverage: Coverage,
    pub versions: Vec<VersionSummary>,
    /// The working statement differs from the latest frozen version.
    pub changed_since_latest: bool,
    /// Suggestions per control id.
    pub suggestions: BTreeMap<String, Vec<Suggestion>>,
}

/// One field of one control that differs between two statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// The differences of one control (or of the scope, with control `scope`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineDiff {
    pub control: String,
    pub title: String,
    pub changes: Vec<FieldChange>,
}

/// Two statements compared.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub from: String,
    pub to: String,
    pub diffs: Vec<LineDiff>,
}

/// Approval state of a scope's statement, for the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// The latest version is approved and nothing changed since.
    Approved,
    /// Approved, but the working statement changed since.
    ChangedSinceApproval,
    /// The latest version waits for its approval.
    AwaitingApproval,
    /// Never frozen.
    Draft,
}

impl ApprovalState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Approved => "Approved",
            Self::ChangedSinceApproval => "Changed since approval",
            Self::AwaitingApproval => "Awaiting approval",
            Self::Draft => "Draft",
        }
    }
}

/// One scope on the dashboard.
#[derive(Debug, Clone, Serialize)]
pub struct DashboardScope {
    pub site: Named,
    pub site_code: String,
    pub scope: Named,
    pub coverage: Coverage,
    pub approval: ApprovalState,
    pub latest_version: Option<i64>,
}

/// The dashboard: per scope and rolled up over the group.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub scopes: Vec<DashboardScope>,
    pub total: Coverage,
    /// Sites of the caller without a scope.
    pub sites_without_scope: Vec<Named>,
    pub approvals: BTreeMap<String, usize>,
}

/// A crosswalk link with the titles on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct CrosswalkView {
    #[serde(flatten)]
    pub link: CrosswalkRow,
    pub control_title: String,
    pub target_title: String,
    /// Shipped, informative links; a person's edits turn them into `user`.
    pub informative: bool,
}

/// A catalogue as `c981 catalog list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogSummary {
    pub key: String,
    pub version: String,
    pub title: String,
    pub builtin: bool,
    pub items: usize,
    /// Items with an imported (licensed) description.
    pub described: usize,
    pub source: Option<String>,
    pub imported_at: Option<Timestamp>,
}

fn theme_label(t: Theme) -> String {
    t.label().to_owned()
}

fn line_for(control: &annex_a::Control) -> SoaLine {
    SoaLine {
        control: control.id.to_string(),
        title: control.title.to_owned(),
        theme: theme_label(control.theme),
        entry_id: None,
        entry_version: None,
        applicability: Applicability::Undecided.as_str().to_owned(),
        justification: String::new(),
        status: ControlStatus::NotStarted.as_str().to_owned(),
        implementation: String::new(),
        owner: String::new(),
        risks: Vec::new(),
        evidence: Vec::new(),
        requirements: Vec::new(),
        next_review: None,
    }
}

/// The completeness of a statement: every control decided, every decision justified.
pub fn completeness(doc: &SoaDoc) -> Completeness {
    let mut c = Completeness::default();
    let decided: HashMap<&str, &SoaLine> = doc.lines.iter().map(|l| (l.control.as_str(), l)).collect();
    for control in annex_a::controls() {
        let id = control.id.to_string();
        match decided.get(id.as_str()) {
            Some(l) if l.applicability != Applicability::Undecided.as_str() => {
                if l.justification.trim().is_empty() {
                    c.unjustified.push(id);
                }
            }
            _ => c.undecided.push(id),
        }
    }
    c.complete = c.undecided.is_empty() && c.unjustified.is_empty();
    c
}

impl Completeness {
    /// Why the statement cannot be frozen or approved, in a sentence.
    pub fn refusal(&self) -> String {
        let list = |v: &[String]| {
            let shown: Vec<&str> = v.iter().take(12).map(String::as_str).collect();
            let more = if v.len() > 12 { format!(" and {} more", v.len() - 12) } else { String::new() };
            format!("{}{more}", shown.join(", "))
        };
        let mut parts = Vec::new();
        if !self.undecided.is_empty() {
            parts.push(format!(
                "{} control{} without a decision ({})",
                self.undecided.len(),
                if self.undecided.len() == 1 { "" } else { "s" },
                list(&self.undecided)
            ));
        }
        if !self.unjustified.is_empty() {
            parts.push(format!(
                "{} decision{} without a justification ({})",
                self.unjustified.len(),
                if self.unjustified.len() == 1 { "" } else { "s" },
                list(&self.unjustified)
            ));
        }
        format!("the statement of applicability is incomplete: {}", parts.join("; "))
    }
}

/// Coverage counts of a statement on `today` (`YYYY-MM-DD`).
pub fn coverage(doc: &SoaDoc, today: &str) -> Coverage {
    let mut c = Coverage { controls: doc.lines.len(), ..Default::default() };
    for l in &doc.lines {
        match l.applicability.as_str() {
            "applicable" => {
                c.applicable += 1;
                match l.status.as_str() {
                    "implemented" => c.implemented += 1,
                    "partial" => c.partial += 1,
                    "planned" => c.planned += 1,
                    _ => c.not_started += 1,
                }
                if l.evidence.is_empty() {
                    c.without_evidence += 1;
                }
            }
            "not_applicable" => c.not_applicable += 1,
            _ => c.undecided += 1,
        }
        if l.next_review.as_deref().is_some_and(|d| d < today) {
            c.overdue += 1;
        }
    }
    c
}

fn line_fields(l: &SoaLine) -> Vec<(&'static str, Value)> {
    let names = |v: &[Named]| Value::from(v.iter().map(|n| format!("{} ({})", n.name, n.id)).collect::<Vec<_>>());
    vec![
        ("applicability", Value::from(l.applicability.clone())),
        ("justification", Value::from(l.justification.clone())),
        ("status", Value::from(l.status.clone())),
        ("implementation", Value::from(l.implementation.clone())),
        ("owner", Value::from(l.owner.clone())),
        ("risks", names(&l.risks)),
        (
            "evidence",
            Value::from(
                l.evidence
                    .iter()
                    .map(|e| match &e.sha256 {
                        Some(h) => format!("{} ({}, SHA-256 {h})", e.title, e.evidence_date),
                        None => format!("{} ({})", e.title, e.evidence_date),
                    })
                    .collect::<Vec<_>>(),
            ),
        ),
        ("requirements", Value::from(l.requirements.clone())),
        ("next_review", l.next_review.clone().map_or(Value::Null, Value::from)),
    ]
}

fn scope_fields(s: &ScopeDoc) -> Vec<(&'static str, Value)> {
    let names = |v: &[Named]| Value::from(v.iter().map(|n| n.name.clone()).collect::<Vec<_>>());
    vec![
        ("name", Value::from(s.name.clone())),
        ("statement", Value::from(s.statement.clone())),
        ("zones", names(&s.zones)),
        ("systems", names(&s.systems)),
        ("services", Value::from(s.services.clone())),
        ("teams", Value::from(s.teams.clone())),
        (
            "interfaces",
            Value::from(
                s.interfaces
                    .iter()
                    .map(|i| format!("{} → {} ({})", i.name, i.external_system, i.responsible_party))
                    .collect::<Vec<_>>(),
            ),
        ),
        ("exclusions", Value::from(s.exclusions.clone())),
        ("owner", Value::from(s.owner.clone())),
        ("next_review", s.next_review.clone().map_or(Value::Null, Value::from)),
    ]
}

fn field_changes(a: Vec<(&'static str, Value)>, b: Vec<(&'static str, Value)>) -> Vec<FieldChange> {
    a.into_iter()
        .zip(b)
        .filter(|((_, x), (_, y))| x != y)
        .map(|((f, x), (_, y))| FieldChange { field: f.to_owned(), old: x, new: y })
        .collect()
}

/// What differs between two statements: the scope, then each control in Annex A order.
pub fn compare(a: &SoaDoc, b: &SoaDoc) -> Vec<LineDiff> {
    let mut out = Vec::new();
    let scope = field_changes(scope_fields(&a.scope), scope_fields(&b.scope));
    if !scope.is_empty() {
        out.push(LineDiff { control: "scope".into(), title: "ISMS scope".into(), changes: scope });
    }
    let by_id =
        |d: &SoaDoc| -> HashMap<String, SoaLine> { d.lines.iter().map(|l| (l.control.clone(), l.clone())).collect() };
    let (la, lb) = (by_id(a), by_id(b));
    for control in annex_a::controls() {
        let id = control.id.to_string();
        let empty = line_for(control);
        let x = la.get(&id).unwrap_or(&empty);
        let y = lb.get(&id).unwrap_or(&empty);
        let changes = field_changes(line_fields(x), line_fields(y));
        if !changes.is_empty() {
            out.push(LineDiff { control: id, title: control.title.to_owned(), changes });
        }
    }
    out
}

/// Parses a catalogue file (CSV, UTF-8, header `id,title,group,description,guidance`; only
/// `id` is required, columns in any order, case-insensitive). Every bad line is reported as
/// `file:line: reason`; nothing is returned while any line is wrong.
pub fn parse_catalog_csv(name: &str, bytes: &[u8]) -> std::result::Result<Vec<CatalogItem>, Vec<String>> {
    const MAX_ITEMS: usize = 10_000;
    const MAX_TEXT: usize = 20_000;
    let text = match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) {
        Ok(t) => t,
        Err(e) => return Err(vec![format!("{name}: is not UTF-8 text (byte {})", e.valid_up_to())]),
    };
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![format!("{name}:1: {e}")]),
    };
    let mut cols: HashMap<&str, usize> = HashMap::new();
    let mut errors = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let k = h.trim().to_ascii_lowercase();
        let known = ["id", "title", "group", "description", "guidance"];
        match known.iter().find(|x| **x == k) {
            Some(x) => {
                if cols.insert(x, i).is_some() {
                    errors.push(format!("{name}:1: column {h:?} appears twice"));
                }
            }
            None => {
                errors.push(format!("{name}:1: unknown column {h:?} (known: id, title, group, description, guidance)"))
            }
        }
    }
    if !cols.contains_key("id") {
        errors.push(format!("{name}:1: the header has no \"id\" column"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    for (n, rec) in reader.records().enumerate() {
        let line = n + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{name}:{line}: {e}"));
                continue;
            }
        };
        let get = |k: &str| cols.get(k).and_then(|i| rec.get(*i)).unwrap_or("").trim().to_owned();
        let id = get("id");
        if id.is_empty() && rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if id.is_empty() {
            errors.push(format!("{name}:{line}: the id is empty"));
            continue;
        }
        if id.len() > 64 || id.chars().any(char::is_control) {
            errors.push(format!("{name}:{line}: id {id:?} is longer than 64 characters or has control characters"));
            continue;
        }
        if !seen.insert(id.to_lowercase()) {
            errors.push(format!("{name}:{line}: id {id:?} appears twice"));
            continue;
        }
        let item = CatalogItem {
            id,
            group: get("group"),
            title: get("title"),
            description: get("description"),
            guidance: get("guidance"),
        };
        for (field, v) in [("title", &item.title), ("group", &item.group)] {
            if v.chars().count() > 300 {
                errors.push(format!("{name}:{line}: the {field} is longer than 300 characters"));
            }
        }
        for (field, v) in [("description", &item.description), ("guidance", &item.guidance)] {
            if v.chars().count() > MAX_TEXT {
                errors.push(format!("{name}:{line}: the {field} is longer than {MAX_TEXT} characters"));
            }
        }
        items.push(item);
        if items.len() > MAX_ITEMS {
            errors.push(format!("{name}: more than {MAX_ITEMS} items"));
            break;
        }
    }
    if items.is_empty() && errors.is_empty() {
        errors.push(format!("{name}: holds no item"));
    }
    if errors.is_empty() { Ok(items) } else { Err(errors) }
}

/// The key and version of a catalogue as a person writes them: lower-case letters, digits,
/// `-`, `.` and `_`.
fn check_key(field: &str, s: &str) -> Result<String> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.len() <= 64
        && t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_'));
    if ok {
        Ok(t.to_owned())
    } else {
        Err(AppError::field(
            field,
            format!("{t:?} is not a catalogue {field} (lower-case letters, digits, - . _; up to 64)"),
        ))
    }
}

/// The title of an item of a built-in catalogue.
fn builtin_title(catalog: &str, id: &str) -> Option<String> {
    match catalog {
        ANNEX_A => ControlId::parse(id).ok().and_then(annex_a::control).map(|c| c.title.to_owned()),
        CLAUSES => iso27001::clauses().iter().find(|c| c.id == id.trim()).map(|c| c.title.to_owned()),
        IEC_62443_3_3 => ReqId::parse(id).ok().and_then(iec62443::requirement).map(|r| r.title.to_owned()),
        _ => None,
    }
}

impl App {
    async fn ensure_crosswalk(&self) -> Result<()> {
        let defaults: Vec<(String, String, &'static str, &'static str)> = iso27001::default_crosswalk()
            .iter()
            .map(|l| (l.control.to_string(), l.requirement.to_string(), l.relationship.as_str(), l.basis))
            .collect();
        let links: Vec<CrosswalkLink<'_>> = defaults
            .iter()
            .map(|(c, t, r, b)| CrosswalkLink {
                control: c,
                catalog: IEC_62443_3_3,
                target: t,
                relationship: r,
                basis: b,
            })
            .collect();
        self.store().install_default_crosswalk(&links).await?;
        Ok(())
    }

    /// The crosswalk, optionally for one control or one catalogue.
    pub async fn crosswalk(
        &self,
        _ctx: &Ctx,
        control: Option<&str>,
        catalog: Option<&str>,
    ) -> Result<Vec<CrosswalkView>> {
        self.ensure_crosswalk().await?;
        let control = control.map(|c| ControlId::parse(c).map_err(|m| AppError::field("control", m))).transpose()?;
        let control = control.map(|c| c.to_string());
        let rows = self.store().crosswalk(control.as_deref(), catalog).await?;
        let custom = self.custom_titles().await?;
        let mut out: Vec<CrosswalkView> = rows
            .into_iter()
            .map(|link| {
                let control_title = builtin_title(ANNEX_A, &link.control).unwrap_or_default();
                let target_title = builtin_title(&link.catalog, &link.target)
                    .or_else(|| custom.get(&(link.catalog.clone(), link.target.clone())).cloned())
                    .unwrap_or_default();
                let informative = link.origin == "default";
                CrosswalkView { link, control_title, target_title, informative }
            })
            .collect();
        out.sort_by_key(|v| {
            (
                ControlId::parse(&v.link.control).ok(),
                v.link.catalog.clone(),
                ReqId::parse(&v.link.target).ok(),
                v.link.target.clone(),
            )
        });
        Ok(out)
    }

    async fn custom_titles(&self) -> Result<HashMap<(String, String), String>> {
        let mut out = HashMap::new();
        let catalogs = self.store().catalogs().await?;
        // The newest version of each custom catalogue names its items.
        let mut newest: HashMap<&str, &CatalogRow> = HashMap::new();
        for c in catalogs.iter().filter(|c| !c.builtin) {
            newest.insert(&c.key, c);
        }
        for c in newest.values() {
            for i in self.store().catalog_items(c.id).await? {
                out.insert((c.key.clone(), i.id), i.title);
            }
        }
        Ok(out)
    }

    fn crosswalk_admin(&self, ctx: &Ctx) -> Result<()> {
        let role_ok = ctx.actor.is_admin()
            || ctx.actor.grants.iter().any(|g| g.role == crate::actor::Role::IsmsManager && g.site.is_none());
        if role_ok && !ctx.actor.read_only {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "{} may not change the crosswalk or the catalogues: they serve every site, so that needs the \
                 administrator or ISMS manager role on all sites",
                ctx.actor.name
            )))
        }
    }

    /// Creates or changes a crosswalk link.
    pub async fn put_crosswalk_link(
        &self,
        ctx: &Ctx,
        control: &str,
        catalog: &str,
        target: &str,
        relationship: &str,
        basis: &str,
    ) -> Result<CrosswalkView> {
        self.crosswalk_admin(ctx)?;
        self.ensure_crosswalk().await?;
        let control = ControlId::parse(control).map_err(|m| AppError::field("control", m))?.to_string();
        let catalog = check_key("catalog", catalog)?;
        let target = if catalog == IEC_62443_3_3 {
            ReqId::parse(target).map_err(|m| AppError::field("target", m))?.to_string()
        } else if catalog == ANNEX_A || catalog == CLAUSES {
            return Err(AppError::field("catalog", "the crosswalk links Annex A to other catalogues, not to itself"));
        } else {
            let custom = self.custom_titles().await?;
            let t = target.trim().to_owned();
            if !custom.contains_key(&(catalog.clone(), t.clone())) {
                return Err(AppError::field(
                    "target",
                    format!(
                        "{t:?} is not an item of catalogue {catalog:?} (import the catalogue first: c981 catalog import)"
                    ),
                ));
            }
            t
        };
        let relationship =
            Relationship::parse(relationship).map_err(|m| AppError::field("relationship", m))?.as_str().to_owned();
        let basis = basis.trim();
        if basis.is_empty() {
            return Err(AppError::field("basis", "is required: say on what the link rests"));
        }
        if basis.chars().count() > 2000 {
            return Err(AppError::field("basis", "is longer than 2000 characters"));
        }
        let link =
            CrosswalkLink { control: &control, catalog: &catalog, target: &target, relationship: &relationship, basis };
        let row = self.store().put_crosswalk_link(&self.meta(ctx), &link).await?;
        self.crosswalk(ctx, Some(&row.control), Some(&row.catalog))
            .await?
            .into_iter()
            .find(|v| v.link.id == row.id)
            .ok_or_else(|| AppError::Internal("the link just written is gone".into()))
    }

    /// Removes a crosswalk link.
    pub async fn delete_crosswalk_link(&self, ctx: &Ctx, id: i64) -> Result<CrosswalkRow> {
        self.crosswalk_admin(ctx)?;
        Ok(self.store().delete_crosswalk_link(&self.meta(ctx), id).await?)
    }

    /// Every catalogue: the built-in ones (with how many items have imported texts) and the
    /// imported ones, every version.
    pub async fn catalogs(&self, _ctx: &Ctx) -> Result<Vec<CatalogSummary>> {
        let rows = self.store().catalogs().await?;
        let texts = |key: &str| rows.iter().rfind(|c| c.key == key && c.builtin);
        let mut out = Vec::new();
        for (key, version, title, items) in [
            (ANNEX_A, "2022", "ISO/IEC 27001:2022 Annex A", annex_a::controls().len()),
            (CLAUSES, "2022", "ISO/IEC 27001:2022 clauses 4 to 10", iso27001::clauses().len()),
            (IEC_62443_3_3, "2013", "IEC 62443-3-3:2013 system requirements", iec62443::requirements().len()),
        ] {
            let t = texts(key);
            let described = match t {
                Some(c) => self.store().catalog_items(c.id).await?.iter().filter(|i| !i.description.is_empty()).count(),
                None => 0,
            };
            out.push(CatalogSummary {
                key: key.into(),
                version: version.into(),
                title: title.into(),
                builtin: true,
                items,
                described,
                source: t.map(|c| c.source.clone()),
                imported_at: t.map(|c| c.imported_at),
            });
        }
        for c in rows.iter().filter(|c| !c.builtin) {
            let described =
                self.store().catalog_items(c.id).await?.iter().filter(|i| !i.description.is_empty()).count();
            out.push(CatalogSummary {
                key: c.key.clone(),
                version: c.version.clone(),
                title: c.title.clone(),
                builtin: false,
                items: c.items as usize,
                described,
                source: Some(c.source.clone()),
                imported_at: Some(c.imported_at),
            });
        }
        Ok(out)
    }

    /// The items of a catalogue (the newest version when `version` is `None`), with imported
    /// descriptions and guidance.
    pub async fn catalog_items(&self, _ctx: &Ctx, key: &str, version: Option<&str>) -> Result<Vec<CatalogItem>> {
        let rows = self.store().catalogs().await?;
        let stored = rows.iter().rfind(|c| c.key == key && version.is_none_or(|v| c.version == v));
        let texts: HashMap<String, CatalogItem> = match stored {
            Some(c) => self.store().catalog_items(c.id).await?.into_iter().map(|i| (i.id.clone(), i)).collect(),
            None => HashMap::new(),
        };
        let builtin = |id: String, group: String, title: String| {
            let t = texts.get(&id);
            CatalogItem {
                description: t.map(|t| t.description.clone()).unwrap_or_default(),
                guidance: t.map(|t| t.guidance.clone()).unwrap_or_default(),
                id,
                group,
                title,
            }
        };
        Ok(match key {
            ANNEX_A => annex_a::controls()
                .iter()
                .map(|c| builtin(c.id.to_string(), c.theme.label().to_owned(), c.title.to_owned()))
                .collect(),
            CLAUSES => iso27001::clauses()
                .iter()
                .map(|c| builtin(c.id.to_owned(), iso27001::clause_of(c.id).to_owned(), c.title.to_owned()))
                .collect(),
            IEC_62443_3_3 => iec62443::requirements()
                .iter()
                .map(|r| builtin(r.id.to_string(), format!("FR {}", r.id.fr), r.title.to_owned()))
                .collect(),
            _ => match stored {
                Some(c) => self.store().catalog_items(c.id).await?,
                None => return Err(AppError::NotFoundText(format!("there is no catalogue {key:?}"))),
            },
        })
    }

    /// Imports a catalogue file: licensed descriptions and guidance for a built-in catalogue
    /// (its ids must exist and its titles, when given, must match), or a whole catalogue of
    /// the organisation's own (`title` and `version` required) such as NIST CSF 2.0 or the
    /// company's policies. One audited `import` entry with the file's SHA-256.
    pub async fn import_catalog(
        &self,
        ctx: &Ctx,
        key: &str,
        version: Option<&str>,
        title: Option<&str>,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<CatalogSummary> {
        self.crosswalk_admin(ctx)?;
        let key = check_key("catalog", key)?;
        let items = parse_catalog_csv(file_name, bytes).map_err(|errors| {
            AppError::Invalid(c981_domain::ValidationError {
                errors: errors.into_iter().map(|m| c981_domain::FieldError::new("file", m)).collect(),
            })
        })?;
        let builtin = matches!(key.as_str(), ANNEX_A | CLAUSES | IEC_62443_3_3);
        let (version, title) = if builtin {
            let mut errors = Vec::new();
            for (n, item) in items.iter().enumerate() {
                match builtin_title(&key, &item.id) {
                    None => errors.push(format!("{file_name}: item {} ({:?}) is not in catalogue {key}", n + 1, item.id)),
                    Some(t) if !item.title.is_empty() && !item.title.trim().eq_ignore_ascii_case(&t) => errors.push(format!(
                        "{file_name}: item {:?} is titled {:?}, the catalogue says {t:?} (leave the title empty or copy it)",
                        item.id, item.title
                    )),
                    Some(_) => {}
                }
            }
            if !errors.is_empty() {
                return Err(AppError::Invalid(c981_domain::ValidationError {
                    errors: errors.into_iter().map(|m| c981_domain::FieldError::new("file", m)).collect(),
                }));
            }
            let v = if key == IEC_62443_3_3 { "2013" } else { "2022" };
            (v.to_owned(), format!("Licensed texts for {key}"))
        } else {
            let version = check_key("version", version.unwrap_or(""))?;
            let title = title
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| AppError::field("title", "is required for a catalogue of the organisation's own"))?;
            if let Some(i) = items.iter().find(|i| i.title.is_empty()) {
                return Err(AppError::field("file", format!("{file_name}: item {:?} has no title", i.id)));
            }
            (version, title.to_owned())
        };
        // Normalise built-in ids to their canonical spelling.
        let items: Vec<CatalogItem> = items
            .into_iter()
            .map(|mut i| {
                if key == ANNEX_A
                    && let Ok(c) = ControlId::parse(&i.id)
                {
                    i.id = c.to_string();
                } else if key == IEC_62443_3_3
                    && let Ok(r) = ReqId::parse(&i.id)
                {
                    i.id = r.to_string();
                }
                i
            })
            .collect();
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        let source = format!("{file_name} (SHA-256 {sha})");
        let mut meta = self.meta(ctx);
        meta.reason = meta.reason.or_else(|| Some(format!("catalogue import of {file_name}")));
        let row = self.store().import_catalog(&meta, &key, &version, &title, builtin, &source, &items).await?;
        Ok(CatalogSummary {
            key: row.key,
            version: row.version,
            title: row.title,
            builtin,
            items: row.items as usize,
            described: items.iter().filter(|i| !i.description.is_empty()).count(),
            source: Some(row.source),
            imported_at: Some(row.imported_at),
        })
    }

    /// All entries of a scope.
    async fn entries_of(&self, ctx: &Ctx, scope: &Record<IsmsScope>) -> Result<Vec<Record<SoaEntry>>> {
        let p = ListParams {
            site_id: Some(scope.data.site_id),
            filters: vec![("scope_id".into(), scope.id.to_string())],
            limit: Some(1000),
            ..Default::default()
        };
        Ok(self.list::<SoaEntry>(ctx, &p).await?.items)
    }

    /// The working statement of a scope.
    pub async fn soa_doc(&self, ctx: &Ctx, scope_id: i64) -> Result<SoaDoc> {
        let scope = self.get::<IsmsScope>(ctx, scope_id).await?;
        let site = self.get::<Site>(ctx, scope.data.site_id.get()).await?;
        let entries = self.entries_of(ctx, &scope).await?;
        let mut risk_names: HashMap<i64, String> = HashMap::new();
        let mut evidence: HashMap<i64, EvidenceRef> = HashMap::new();
        for e in &entries {
            for r in &e.data.risk_ids {
                let id = r.get();
                if let std::collections::hash_map::Entry::Vacant(v) = risk_names.entry(id) {
                    let name = match self.get::<Risk>(ctx, id).await {
                        Ok(r) => r.data.display_name(),
                        Err(_) => format!("Risk {id}"),
                    };
                    v.insert(name);
                }
            }
            for x in &e.data.evidence_ids {
                let id = x.get();
                if let std::collections::hash_map::Entry::Vacant(v) = evidence.entry(id)
                    && let Ok(r) = self.get::<Evidence>(ctx, id).await
                {
                    v.insert(EvidenceRef {
                        id,
                        title: r.data.title.to_string(),
                        kind: r.data.kind.as_str().to_owned(),
                        reference: r.data.reference.as_str().to_owned(),
                        sha256: r.data.sha256.clone(),
                        file_name: r.data.file_name.as_str().to_owned(),
                        evidence_date: r.data.evidence_date.to_string(),
                        valid_until: r.data.valid_until.map(|d| d.to_string()),
                    });
                }
            }
        }
        let by_control: HashMap<ControlId, &Record<SoaEntry>> = entries.iter().map(|e| (e.data.control, e)).collect();
        let lines = annex_a::controls()
            .iter()
            .map(|c| {
                let mut line = line_for(c);
                if let Some(e) = by_control.get(&c.id) {
                    let d = &e.data;
                    line.entry_id = Some(e.id.get());
                    line.entry_version = Some(e.version);
                    line.applicability = d.applicability.as_str().to_owned();
                    line.justification = d.justification.as_str().to_owned();
                    line.status = d.status.as_str().to_owned();
                    line.implementation = d.implementation.as_str().to_owned();
                    line.owner = d.owner.as_str().to_owned();
                    line.risks = d
                        .risk_ids
                        .iter()
                        .map(|r| Named { id: r.get(), name: risk_names.get(&r.get()).cloned().unwrap_or_default() })
                        .collect();
                    line.evidence = d.evidence_ids.iter().filter_map(|x| evidence.get(&x.get()).cloned()).collect();
                    line.requirements = d.requirements.iter().map(ToString::to_string).collect();
                    line.next_review = d.next_review.map(|x| x.to_string());
                }
                line
            })
            .collect();
        let named = async |kind: EntityKind, ids: Vec<i64>| -> Result<Vec<Named>> {
            let mut out = Vec::new();
            for id in ids {
                let name = match kind {
                    EntityKind::Zone => self.get::<Zone>(ctx, id).await.map(|r| r.data.display_name()),
                    _ => self.get::<SystemUnderConsideration>(ctx, id).await.map(|r| r.data.display_name()),
                };
                out.push(Named { id, name: name.unwrap_or_else(|_| format!("{} {id}", kind.label())) });
            }
            Ok(out)
        };
        let zones = named(EntityKind::Zone, scope.data.zone_ids.iter().map(|z| z.get()).collect()).await?;
        let systems = named(EntityKind::System, scope.data.system_ids.iter().map(|z| z.get()).collect()).await?;
        let mut interfaces = Vec::new();
        for i in &scope.data.interface_ids {
            if let Ok(r) = self.get::<Interface>(ctx, i.get()).await {
                interfaces.push(BoundaryInterface {
                    id: r.id.get(),
                    name: r.data.name.to_string(),
                    external_system: r.data.external_system.as_str().to_owned(),
                    responsible_party: r.data.responsible_party.as_str().to_owned(),
                    boundary: r.data.boundary.as_str().to_owned(),
                });
            }
        }
        let s = &scope.data;
        Ok(SoaDoc {
            format: SNAPSHOT_FORMAT.into(),
            catalog: "ISO/IEC 27001:2022 Annex A".into(),
            site: Named { id: site.id.get(), name: site.data.name.to_string() },
            site_code: site.data.code.to_string(),
            scope: ScopeDoc {
                id: scope.id.get(),
                version: scope.version,
                name: s.name.to_string(),
                statement: s.statement.as_str().to_owned(),
                zones,
                systems,
                services: s.services.iter().map(|x| x.as_str().to_owned()).collect(),
                teams: s.teams.iter().map(|x| x.as_str().to_owned()).collect(),
                interfaces,
                exclusions: s.exclusions.as_str().to_owned(),
                owner: s.owner.as_str().to_owned(),
                next_review: s.next_review.map(|d| d.to_string()),
            },
            lines,
            as_of: self.now(),
            by: ctx.actor.name.clone(),
        })
    }

    /// The statement of a scope with its completeness, coverage, versions and suggestions.
    pub async fn soa_view(&self, ctx: &Ctx, scope_id: i64) -> Result<SoaView> {
        let doc = self.soa_doc(ctx, scope_id).await?;
        let today = self.today().to_string();
        let versions = self.soa_versions(ctx, scope_id).await?;
        let changed_since_latest = match versions.last() {
            Some(v) => {
                let latest = self.soa_version_doc(ctx, v.id).await?;
                !compare(&latest, &doc).is_empty()
            }
            None => true,
        };
        let suggestions = self.soa_suggestions(ctx, &doc).await?;
        Ok(SoaView {
            completeness: completeness(&doc),
            coverage: coverage(&doc, &today),
            doc,
            versions,
            changed_since_latest,
            suggestions,
        })
    }

    /// Implemented IEC 62443-3-3 requirements in the scope's zones (every zone of the site
    /// when the scope names none) that the crosswalk relates to each control: evidence to
    /// consider, never a decision.
    async fn soa_suggestions(&self, ctx: &Ctx, doc: &SoaDoc) -> Result<BTreeMap<String, Vec<Suggestion>>> {
        self.ensure_crosswalk().await?;
        let links = self.store().crosswalk(None, Some(IEC_62443_3_3)).await?;
        let mut by_req: HashMap<ReqId, Vec<(String, String)>> = HashMap::new();
        for l in &links {
            if let Ok(r) = ReqId::parse(&l.target) {
                by_req.entry(r).or_default().push((l.control.clone(), l.relationship.clone()));
            }
        }
        let zones: HashSet<i64> = doc.scope.zones.iter().map(|z| z.id).collect();
        let mut zone_names: HashMap<i64, String> = doc.scope.zones.iter().map(|z| (z.id, z.name.clone())).collect();
        let mut out: BTreeMap<String, Vec<Suggestion>> = BTreeMap::new();
        let mut cursor = None;
        let site = SiteId::new(doc.site.id);
        loop {
            let p = ListParams { site_id: Some(site), cursor: cursor.take(), limit: Some(1000), ..Default::default() };
            let page = self.list::<RequirementStatus>(ctx, &p).await?;
            for s in &page.items {
                let Some(zone) = s.data.zone_id.map(|z| z.get()) else { continue };
                if !zones.is_empty() && !zones.contains(&zone) {
                    continue;
                }
                let state = s.data.status.as_str();
                if !matches!(state, "implemented" | "compensated") {
                    continue;
                }
                let Some(controls) = by_req.get(&s.data.requirement.base()) else { continue };
                if let std::collections::hash_map::Entry::Vacant(v) = zone_names.entry(zone) {
                    v.insert(self.get::<Zone>(ctx, zone).await.map(|z| z.data.display_name()).unwrap_or_default());
                }
                for (control, rel) in controls {
                    let req = s.data.requirement.to_string();
                    let linked = doc.lines.iter().find(|l| &l.control == control).is_some_and(|l| {
                        l.requirements.iter().any(|r| *r == req || *r == s.data.requirement.base().to_string())
                    });
                    out.entry(control.clone()).or_default().push(Suggestion {
                        requirement: req,
                        requirement_title: iec62443::requirement(s.data.requirement)
                            .map(|r| r.title.to_owned())
                            .unwrap_or_default(),
                        relationship: rel.clone(),
                        zone: Named { id: zone, name: zone_names.get(&zone).cloned().unwrap_or_default() },
                        status: state.to_owned(),
                        status_id: s.id.get(),
                        evidence: s.data.evidence.iter().map(|e| e.as_str().to_owned()).collect(),
                        linked,
                    });
                }
            }
            match page.next_after {
                Some(n) => cursor = Some(n.to_string()),
                None => break,
            }
        }
        Ok(out)
    }

    /// Decides (or changes the decision for) one control of a scope: creates the entry or
    /// replaces it. `version` is the entry version the person saw (`None` to create).
    pub async fn set_soa_entry(
        &self,
        ctx: &Ctx,
        scope_id: i64,
        control: &str,
        version: Option<i64>,
        mut input: SoaEntryInput,
    ) -> Result<Record<SoaEntry>> {
        let scope = self.get::<IsmsScope>(ctx, scope_id).await?;
        let control = ControlId::parse(control).map_err(|m| AppError::field("control", m))?;
        input.site_id = Some(scope.data.site_id.to_string());
        input.scope_id = Some(scope.id.to_string());
        input.control = Some(control.to_string());
        let existing = self.entries_of(ctx, &scope).await?.into_iter().find(|e| e.data.control == control);
        match existing {
            Some(e) => self.replace::<SoaEntry>(ctx, e.id.get(), version, &input).await,
            None => {
                if version.is_some_and(|v| v != 0) {
                    return Err(AppError::Conflict(format!(
                        "control {control} of this scope has no entry any more (someone removed it): reload and try again"
                    )));
                }
                self.create::<SoaEntry>(ctx, &input).await
            }
        }
    }

    /// Freezes the working statement as the scope's next version, for approval. Refused while
    /// it is incomplete.
    pub async fn freeze_soa(&self, ctx: &Ctx, scope_id: i64, note: &str) -> Result<Record<SoaVersion>> {
        let doc = self.soa_doc(ctx, scope_id).await?;
        self.authorize_write(ctx, EntityKind::SoaVersion, None, Some(SiteId::new(doc.site.id))).await?;
        let c = completeness(&doc);
        if !c.complete {
            return Err(AppError::Conflict(c.refusal()));
        }
        let versions = self.soa_versions(ctx, scope_id).await?;
        if let Some(v) = versions.last() {
            let latest = self.soa_version_doc(ctx, v.id).await?;
            if compare(&latest, &doc).is_empty() {
                return Err(AppError::Conflict(format!(
                    "nothing changed since version {}: sign that version instead of freezing a new one",
                    v.number
                )));
            }
        }
        let number = versions.last().map_or(1, |v| v.number + 1);
        let input = SoaVersionInput {
            site_id: Some(doc.site.id.to_string()),
            scope_id: Some(scope_id.to_string()),
            number: Some(number.to_string()),
            note: Some(note.to_owned()),
            snapshot: serde_json::to_value(&doc).map_err(|e| AppError::Internal(e.to_string()))?,
        };
        let data = SoaVersion::parse(&input)?;
        Ok(self.store().create(&data, &self.meta(ctx)).await?)
    }

    /// The frozen versions of a scope, oldest first, with their approvers.
    pub async fn soa_versions(&self, ctx: &Ctx, scope_id: i64) -> Result<Vec<VersionSummary>> {
        let scope = self.get::<IsmsScope>(ctx, scope_id).await?;
        let p = ListParams {
            site_id: Some(scope.data.site_id),
            filters: vec![("scope_id".into(), scope_id.to_string())],
            limit: Some(1000),
            ..Default::default()
        };
        let mut out = Vec::new();
        for v in self.list::<SoaVersion>(ctx, &p).await?.items {
            let approved_by = self
                .store()
                .signatures_of(EntityKind::SoaVersion, v.id.get())
                .await?
                .into_iter()
                .filter(|s| s.meaning == "approved")
                .map(|s| s.printed_name)
                .collect();
            let frozen_by = v.data.snapshot.get("by").and_then(Value::as_str).unwrap_or_default().to_owned();
            out.push(VersionSummary {
                id: v.id.get(),
                number: v.data.number,
                note: v.data.note.as_str().to_owned(),
                frozen_at: v.created_at,
                frozen_by,
                approved_by,
            });
        }
        out.sort_by_key(|v| v.number);
        Ok(out)
    }

    /// The content of a frozen version.
    pub async fn soa_version_doc(&self, ctx: &Ctx, version_id: i64) -> Result<SoaDoc> {
        let v = self.get::<SoaVersion>(ctx, version_id).await?;
        serde_json::from_value(v.data.snapshot)
            .map_err(|e| AppError::Internal(format!("version {version_id} cannot be read: {e}")))
    }

    /// The frozen version `number` of a scope.
    pub async fn soa_version_by_number(&self, ctx: &Ctx, scope_id: i64, number: i64) -> Result<VersionSummary> {
        self.soa_versions(ctx, scope_id).await?.into_iter().find(|v| v.number == number).ok_or_else(|| {
            AppError::NotFoundText(format!("scope {scope_id} has no statement of applicability version {number}"))
        })
    }

    /// Compares two statements of a scope: version numbers, or `current` for the working one.
    pub async fn compare_soa(&self, ctx: &Ctx, scope_id: i64, from: &str, to: &str) -> Result<Comparison> {
        let doc = async |which: &str| -> Result<SoaDoc> {
            if which.trim().eq_ignore_ascii_case("current") {
                return self.soa_doc(ctx, scope_id).await;
            }
            let n =
                which.trim().trim_start_matches(['v', 'V']).parse::<i64>().map_err(|_| {
                    AppError::field("version", format!("{which:?} is not a version number or \"current\""))
                })?;
            let v = self.soa_version_by_number(ctx, scope_id, n).await?;
            self.soa_version_doc(ctx, v.id).await
        };
        let (a, b) = (doc(from).await?, doc(to).await?);
        Ok(Comparison { from: from.to_owned(), to: to.to_owned(), diffs: compare(&a, &b) })
    }

    /// The dashboard over the caller's sites (or one site).
    pub async fn soa_dashboard(&self, ctx: &Ctx, site: Option<SiteId>) -> Result<Dashboard> {
        let today = self.today().to_string();
        let scope = &ctx.actor.scope;
        let counts = self.store().soa_counts(scope, site, &today).await?;
        let latest = self.store().latest_soa_versions(scope, site).await?;
        let mut sites = Vec::new();
        let mut cursor = None;
        loop {
            let p = ListParams { cursor: cursor.take(), limit: Some(1000), ..Default::default() };
            let page = self.list::<Site>(ctx, &p).await?;
            sites.extend(page.items.into_iter().filter(|s| site.is_none_or(|x| x == s.id)));
            match page.next_after {
                Some(n) => cursor = Some(n.to_string()),
                None => break,
            }
        }
        let mut scopes = Vec::new();
        let mut cursor = None;
        loop {
            let p = ListParams { site_id: site, cursor: cursor.take(), limit: Some(1000), ..Default::default() };
            let page = self.list::<IsmsScope>(ctx, &p).await?;
            scopes.extend(page.items);
            match page.next_after {
                Some(n) => cursor = Some(n.to_string()),
                None => break,
            }
        }
        let site_of: HashMap<SiteId, &Record<Site>> = sites.iter().map(|s| (s.id, s)).collect();
        let latest: HashMap<i64, &c981_store::isms::LatestVersion> = latest.iter().map(|l| (l.scope_id, l)).collect();
        let mut by_scope: HashMap<i64, Vec<&c981_store::isms::EntryCount>> = HashMap::new();
        for c in &counts {
            by_scope.entry(c.scope_id).or_default().push(c);
        }
        let mut total = Coverage::default();
        let mut out = Vec::new();
        let mut approvals: BTreeMap<String, usize> = BTreeMap::new();
        for sc in &scopes {
            let Some(site) = site_of.get(&sc.data.site_id) else { continue };
            let mut cov = Coverage { controls: annex_a::controls().len(), ..Default::default() };
            let mut decided = 0;
            let mut last_change = sc.updated_at.micros();
            let (mut n_entries, mut version_sum, mut weighted_sum) = (0i64, 0i64, 0i64);
            for c in by_scope.get(&sc.id.get()).into_iter().flatten() {
                let n = c.count as usize;
                last_change = last_change.max(c.last_change);
                n_entries += c.count;
                version_sum = version_sum.wrapping_add(c.version_sum);
                weighted_sum = weighted_sum.wrapping_add(c.weighted_sum);
                match c.applicability.as_str() {
                    "applicable" => {
                        decided += n;
                        cov.applicable += n;
                        cov.without_evidence += c.without_evidence as usize;
                        match c.status.as_str() {
                            "implemented" => cov.implemented += n,
                            "partial" => cov.partial += n,
                            "planned" => cov.planned += n,
                            _ => cov.not_started += n,
                        }
                    }
                    "not_applicable" => {
                        decided += n;
                        cov.not_applicable += n;
                    }
                    _ => {}
                }
                cov.overdue += c.overdue as usize;
            }
            cov.undecided = cov.controls.saturating_sub(decided);
            let (approval, number) = match latest.get(&sc.id.get()) {
                None => (ApprovalState::Draft, None),
                Some(l) if l.approvals == 0 => (ApprovalState::AwaitingApproval, Some(l.number)),
                Some(l)
                    if last_change > l.frozen_at.micros()
                        || l.fingerprint
                            != c981_domain::isms::fingerprint_of_sums(
                                sc.version,
                                n_entries,
                                version_sum,
                                weighted_sum,
                            ) =>
                {
                    (ApprovalState::ChangedSinceApproval, Some(l.number))
                }
                Some(l) => (ApprovalState::Approved, Some(l.number)),
            };
            *approvals.entry(approval.label().to_owned()).or_default() += 1;
            for (t, x) in [
                (&mut total.controls, cov.controls),
                (&mut total.applicable, cov.applicable),
                (&mut total.not_applicable, cov.not_applicable),
                (&mut total.undecided, cov.undecided),
                (&mut total.implemented, cov.implemented),
                (&mut total.partial, cov.partial),
                (&mut total.planned, cov.planned),
                (&mut total.not_started, cov.not_started),
                (&mut total.without_evidence, cov.without_evidence),
                (&mut total.overdue, cov.overdue),
            ] {
                *t += x;
            }
            out.push(DashboardScope {
                site: Named { id: site.id.get(), name: site.data.name.to_string() },
                site_code: site.data.code.to_string(),
                scope: Named { id: sc.id.get(), name: sc.data.name.to_string() },
                coverage: cov,
                approval,
                latest_version: number,
            });
        }
        out.sort_by(|a, b| a.site_code.cmp(&b.site_code).then(a.scope.name.cmp(&b.scope.name)));
        let with_scope: HashSet<i64> = out.iter().map(|s| s.site.id).collect();
        let sites_without_scope = sites
            .iter()
            .filter(|s| !with_scope.contains(&s.id.get()))
            .map(|s| Named { id: s.id.get(), name: s.data.code.to_string() })
            .collect();
        Ok(Dashboard { scopes: out, total, sites_without_scope, approvals })
    }
}

/// The largest evidence file kept.
pub const MAX_EVIDENCE_FILE: usize = 25 * 1024 * 1024;

impl App {
    /// Attaches an uploaded file to a piece of evidence; the server computes its SHA-256.
    pub async fn upload_evidence(
        &self,
        ctx: &Ctx,
        id: i64,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Record<Evidence>> {
        let current = self.get::<Evidence>(ctx, id).await?;
        self.authorize_write(ctx, EntityKind::Evidence, Some(id), Some(current.data.site_id)).await?;
        if bytes.is_empty() {
            return Err(AppError::field("file", "is empty"));
        }
        if bytes.len() > MAX_EVIDENCE_FILE {
            return Err(AppError::field(
                "file",
                format!("is {} bytes; evidence files are limited to {MAX_EVIDENCE_FILE} bytes", bytes.len()),
            ));
        }
        let name = file_name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(AppError::field(
                "file_name",
                "needs a name of up to 200 characters without control characters",
            ));
        }
        let content_type: String =
            content_type.chars().filter(|c| c.is_ascii_graphic() || *c == ' ').take(100).collect();
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        Ok(self
            .store()
            .put_evidence_file(&ctx.actor.scope, id, &self.meta(ctx), name, &content_type, bytes, &sha)
            .await?)
    }

    /// The uploaded file of a piece of evidence, checked against the SHA-256 its record
    /// carries (a mismatch is refused: the file is not what was recorded).
    pub async fn evidence_download(&self, ctx: &Ctx, id: i64) -> Result<(String, c981_store::isms::EvidenceFile)> {
        let r = self.get::<Evidence>(ctx, id).await?;
        let f = self
            .store()
            .evidence_file(&ctx.actor.scope, id)
            .await?
            .ok_or_else(|| AppError::NotFoundText(format!("evidence {id} has no uploaded file")))?;
        let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&f.content));
        if Some(actual.as_str()) != r.data.sha256.as_deref() || actual != f.sha256 {
            return Err(AppError::Conflict(format!(
                "the stored file of evidence {id} does not match its recorded SHA-256: it was altered outside Connect 981"
            )));
        }
        Ok((r.data.file_name.as_str().to_owned(), f))
    }
}
