//! The ISMS of a site (ISO/IEC 27001:2022 clauses 4.3 and 6.1.3 d): its scope, the Statement
//! of Applicability over the 93 Annex A controls, and the evidence the entries point to.
//!
//! - [`IsmsScope`]: the scope statement of a site, with the zones, systems under
//!   consideration, services and teams it covers, the interfaces to systems outside it (each
//!   an [`crate::Interface`] carrying its responsible party and how the boundary risk is
//!   managed) and the explicit exclusions.
//! - [`SoaEntry`]: the decision for one control of one scope. A control without an entry is
//!   undecided. A decision, either way, carries its justification; an exclusion without a
//!   reason is refused.
//! - [`Evidence`]: a document, link, uploaded file or record that shows a control works, with
//!   its date and, for files, the SHA-256 the server computed on upload.
//! - [`SoaVersion`]: a frozen, complete Statement of Applicability (the scope and its 93
//!   entries as they stood), the record an approver signs. Versions are never changed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::annex_a::ControlId;
use crate::choices;
use crate::entity::{Entity, EntityKind, loose_list, loose_string, opt, present};
use crate::error::{Errors, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::{EvidenceId, InterfaceId, RiskId, ScopeId, SiteId, SoaEntryId, SoaVersionId, SystemId, ZoneId};
use crate::iec62443::ReqId;
use crate::values::{Date, Name, Short, Text, string_enum};

/// The most items any list of a scope or an entry holds.
pub const MAX_LINKS: usize = 1000;

fn ids<T: Ord>(
    e: &mut Errors,
    field: &str,
    items: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<Vec<T>> {
    if items.len() > MAX_LINKS {
        e.push(field, format!("has {} items; at most {MAX_LINKS}", items.len()));
        return None;
    }
    e.list(field, items, parse).map(|mut v| {
        v.sort();
        v.dedup();
        v
    })
}

fn shorts(e: &mut Errors, field: &str, items: &[String]) -> Option<Vec<Short>> {
    if items.len() > MAX_LINKS {
        e.push(field, format!("has {} items; at most {MAX_LINKS}", items.len()));
        return None;
    }
    e.list(field, items, Short::parse).map(|mut v| {
        v.retain(|s| !s.is_empty());
        let mut seen = std::collections::HashSet::new();
        v.retain(|s| seen.insert(s.as_str().to_lowercase()));
        v
    })
}

fn required_text(raw: &Option<String>, why: &str) -> Result<Text, String> {
    let t = Text::parse(opt(raw))?;
    if t.is_empty() { Err(format!("is required: {why}")) } else { Ok(t) }
}

// ---------------------------------------------------------------------------------------------
// Scope

/// The ISMS scope of a site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IsmsScope {
    pub site_id: SiteId,
    pub name: Name,
    /// The scope statement, as it will read on the certificate.
    pub statement: Text,
    /// The zones of the site inside the scope.
    pub zone_ids: Vec<ZoneId>,
    /// The systems under consideration inside the scope (the IIoT platform, a line).
    pub system_ids: Vec<SystemId>,
    /// Further systems and services in scope, by name (the IIoT platform's cloud services,
    /// the MQTT broker, the historian).
    pub services: Vec<Short>,
    /// The teams in scope (OT security, controls engineering, IT operations).
    pub teams: Vec<Short>,
    /// The interfaces to systems outside the scope (MES, ERP, vendors, legacy OT).
    pub interface_ids: Vec<InterfaceId>,
    /// What is explicitly left out, and why.
    pub exclusions: Text,
    /// Who owns the scope (a role or a name).
    pub owner: Short,
    pub next_review: Option<Date>,
}

/// A scope as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IsmsScopeInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    pub name: Option<String>,
    pub statement: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zone_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub system_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub services: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub teams: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub interface_ids: Vec<String>,
    pub exclusions: Option<String>,
    pub owner: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub next_review: Option<String>,
}

impl Entity for IsmsScope {
    type Id = ScopeId;
    type Input = IsmsScopeInput;
    const KIND: EntityKind = EntityKind::Scope;

    fn id_from_raw(raw: i64) -> ScopeId {
        ScopeId::new(raw)
    }

    fn parse(i: &IsmsScopeInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let name = e.take("name", Name::parse(opt(&i.name)));
        let statement = e.take(
            "statement",
            required_text(&i.statement, "say what the ISMS covers, as it will read on the certificate"),
        );
        let zone_ids = ids(&mut e, "zone_ids", &i.zone_ids, ZoneId::parse);
        let system_ids = ids(&mut e, "system_ids", &i.system_ids, SystemId::parse);
        let services = shorts(&mut e, "services", &i.services);
        let teams = shorts(&mut e, "teams", &i.teams);
        let interface_ids = ids(&mut e, "interface_ids", &i.interface_ids, InterfaceId::parse);
        let exclusions = e.take(
            "exclusions",
            required_text(&i.exclusions, "say what is left out of the scope and why (or write \"none\")"),
        );
        let owner = e.take("owner", Short::parse(opt(&i.owner)));
        let next_review = e.take("next_review", present(&i.next_review).map(Date::parse).transpose());
        e.finish()?;
        Ok(IsmsScope {
            site_id: site_id.unwrap(),
            name: name.unwrap(),
            statement: statement.unwrap(),
            zone_ids: zone_ids.unwrap(),
            system_ids: system_ids.unwrap(),
            services: services.unwrap(),
            teams: teams.unwrap(),
            interface_ids: interface_ids.unwrap(),
            exclusions: exclusions.unwrap(),
            owner: owner.unwrap(),
            next_review: next_review.unwrap(),
        })
    }

    fn to_input(&self) -> IsmsScopeInput {
        IsmsScopeInput {
            site_id: Some(self.site_id.to_string()),
            name: Some(self.name.to_string()),
            statement: Some(self.statement.as_str().into()),
            zone_ids: self.zone_ids.iter().map(ToString::to_string).collect(),
            system_ids: self.system_ids.iter().map(ToString::to_string).collect(),
            services: self.services.iter().map(|s| s.as_str().into()).collect(),
            teams: self.teams.iter().map(|s| s.as_str().into()).collect(),
            interface_ids: self.interface_ids.iter().map(ToString::to_string).collect(),
            exclusions: Some(self.exclusions.as_str().into()),
            owner: Some(self.owner.as_str().into()),
            next_review: self.next_review.map(|d| d.to_string()),
        }
    }

    fn site_id(&self) -> Option<SiteId> {
        Some(self.site_id)
    }

    fn display_name(&self) -> String {
        self.name.to_string()
    }

    fn fields() -> &'static [F] {
        static FIELDS: &[F] = &[
            F::new("site_id", "Site", K::Ref(EntityKind::Site)).required(),
            F::new("name", "Name", K::Text).required().column(),
            F::new("statement", "Scope statement", K::LongText)
                .required()
                .help("what the ISMS covers, as it will read on the certificate"),
            F::new("zone_ids", "Zones in scope", K::RefList(EntityKind::Zone)),
            F::new("system_ids", "Systems under consideration in scope", K::RefList(EntityKind::System)),
            F::new("services", "Systems and services in scope", K::List)
                .help("the IIoT platform and its cloud services, the MQTT broker, the historian…"),
            F::new("teams", "Teams in scope", K::List).help("OT security, controls engineering, IT operations…"),
            F::new("interface_ids", "Interfaces to systems outside the scope", K::RefList(EntityKind::Interface))
                .help("MES, ERP, PLM, QMS, vendor systems, legacy OT: each names its responsible party and boundary"),
            F::new("exclusions", "Exclusions", K::LongText)
                .required()
                .help("what is explicitly left out and why, or \"none\""),
            F::new("owner", "Owner", K::Text).column(),
            F::new("next_review", "Next review", K::Date).column(),
        ];
        FIELDS
    }
}

// ---------------------------------------------------------------------------------------------
// Statement of Applicability entry

string_enum! {
    /// Whether a control applies to the scope.
    Applicability {
        Undecided = "undecided" / "Not decided",
        Applicable = "applicable" / "Applicable",
        NotApplicable = "not_applicable" / "Not applicable",
    }
}

string_enum! {
    /// How far an applicable control is implemented.
    ControlStatus {
        NotStarted = "not_started" / "Not started",
        Planned = "planned" / "Planned",
        Partial = "partial" / "Partially implemented",
        Implemented = "implemented" / "Implemented",
    }
}

/// The decision for one Annex A control of one scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SoaEntry {
    pub site_id: SiteId,
    pub scope_id: ScopeId,
    pub control: ControlId,
    pub applicability: Applicability,
    /// Why the control is included (the risks, a requirement, a contract) or excluded.
    pub justification: Text,
    pub status: ControlStatus,
    /// How the control is implemented.
    pub implementation: Text,
    /// Who owns the control (a role or a name).
    pub owner: Short,
    /// The risks the control treats: the reason it was selected.
    pub risk_ids: Vec<RiskId>,
    /// The evidence that it works.
    pub evidence_ids: Vec<EvidenceId>,
    /// The IEC 62443-3-3 requirements it is met through.
    pub requirements: Vec<ReqId>,
    pub next_review: Option<Date>,
}

/// An entry as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SoaEntryInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub scope_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub control: Option<String>,
    pub applicability: Option<String>,
    pub justification: Option<String>,
    pub status: Option<String>,
    pub implementation: Option<String>,
    pub owner: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub risk_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub evidence_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub requirements: Vec<String>,
    #[serde(deserialize_with = "loose_string")]
    pub next_review: Option<String>,
}

impl Entity for SoaEntry {
    type Id = SoaEntryId;
    type Input = SoaEntryInput;
    const KIND: EntityKind = EntityKind::SoaEntry;

    fn id_from_raw(raw: i64) -> SoaEntryId {
        SoaEntryId::new(raw)
    }

    fn parse(i: &SoaEntryInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let scope_id = e.take("scope_id", ScopeId::parse(opt(&i.scope_id)));
        let control = e.take("control", ControlId::parse(opt(&i.control)));
        let applicability = e.take(
            "applicability",
            present(&i.applicability).map_or(Ok(Applicability::Undecided), Applicability::parse),
        );
        let justification = e.take("justification", Text::parse(opt(&i.justification)));
        let status = e.take("status", present(&i.status).map_or(Ok(ControlStatus::NotStarted), ControlStatus::parse));
        let implementation = e.take("implementation", Text::parse(opt(&i.implementation)));
        let owner = e.take("owner", Short::parse(opt(&i.owner)));
        let risk_ids = ids(&mut e, "risk_ids", &i.risk_ids, RiskId::parse);
        let evidence_ids = ids(&mut e, "evidence_ids", &i.evidence_ids, EvidenceId::parse);
        let requirements = ids(&mut e, "requirements", &i.requirements, ReqId::parse);
        let next_review = e.take("next_review", present(&i.next_review).map(Date::parse).transpose());
        if let (Some(a), Some(j)) = (applicability, &justification)
            && j.is_empty()
        {
            match a {
                Applicability::NotApplicable => e.push(
                    "justification",
                    "is required: an exclusion needs its reason (why the control does not apply to this scope)",
                ),
                Applicability::Applicable => e.push(
                    "justification",
                    "is required: say why the control applies (the risks it treats, a legal or contractual \
                     requirement, a business need)",
                ),
                Applicability::Undecided => {}
            }
        }
        if let (Some(Applicability::NotApplicable), Some(s)) = (applicability, status)
            && s != ControlStatus::NotStarted
        {
            e.push("status", format!("is {}: a control that does not apply has no implementation status", s.label()));
        }
        if let (Some(ControlStatus::Implemented | ControlStatus::Partial), Some(t)) = (status, &implementation)
            && t.is_empty()
        {
            e.push("implementation", "is required: say how the control is implemented");
        }
        e.finish()?;
        Ok(SoaEntry {
            site_id: site_id.unwrap(),
            scope_id: scope_id.unwrap(),
            control: control.unwrap(),
            applicability: applicability.unwrap(),
            justification: justification.unwrap(),
            status: status.unwrap(),
            implementation: implementation.unwrap(),
            owner: owner.unwrap(),
            risk_ids: risk_ids.unwrap(),
            evidence_ids: evidence_ids.unwrap(),
            requirements: requirements.unwrap(),
            next_review: next_review.unwrap(),
        })
    }

    fn to_input(&self) -> SoaEntryInput {
        SoaEntryInput {
            site_id: Some(self.site_id.to_string()),
            scope_id: Some(self.scope_id.to_string()),
            control: Some(self.control.to_string()),
            applicability: Some(self.applicability.as_str().into()),
            justification: Some(self.justification.as_str().into()),
            status: Some(self.status.as_str().into()),
            implementation: Some(self.implementation.as_str().into()),
            owner: Some(self.owner.as_str().into()),
            risk_ids: self.risk_ids.iter().map(ToString::to_string).collect(),
            evidence_ids: self.evidence_ids.iter().map(ToString::to_string).collect(),
            requirements: self.requirements.iter().map(ToString::to_string).collect(),
            next_review: self.next_review.map(|d| d.to_string()),
        }
    }

    fn site_id(&self) -> Option<SiteId> {
        Some(self.site_id)
    }

    fn display_name(&self) -> String {
        match crate::annex_a::control(self.control) {
            Some(c) => format!("{} {}", c.id, c.title),
            None => self.control.to_string(),
        }
    }

    fn fields() -> &'static [F] {
        static FIELDS: &[F] = &[
            F::new("site_id", "Site", K::Ref(EntityKind::Site)).required(),
            F::new("scope_id", "Scope", K::Ref(EntityKind::Scope)).required().column(),
            F::new("control", "Control", K::Text).required().column().help("an Annex A id such as 8.20"),
            F::new("applicability", "Applicability", K::Choice(choices!(Applicability))).column(),
            F::new("justification", "Justification", K::LongText)
                .help("why the control applies, or why it does not: required either way"),
            F::new("status", "Implementation", K::Choice(choices!(ControlStatus))).column(),
            F::new("implementation", "How it is implemented", K::LongText),
            F::new("owner", "Owner", K::Text).column(),
            F::new("risk_ids", "Risks treated", K::RefList(EntityKind::Risk))
                .help("the risks the control was selected for"),
            F::new("evidence_ids", "Evidence", K::RefList(EntityKind::Evidence)),
            F::new("requirements", "IEC 62443-3-3 requirements", K::List).help("SR 1.1, SR 5.1 RE 1…"),
            F::new("next_review", "Next review", K::Date).column(),
        ];
        FIELDS
    }
}

// ---------------------------------------------------------------------------------------------
// Evidence

string_enum! {
    /// What a piece of evidence is.
    EvidenceKind {
        Document = "document" / "Document (by reference)",
        Link = "link" / "Link",
        File = "file" / "Uploaded file",
        Record = "record" / "Record (log, ticket, report)",
    }
}

/// A piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub site_id: SiteId,
    pub title: Name,
    pub kind: EvidenceKind,
    /// The document number, the URL, or the record's reference.
    pub reference: Short,
    /// SHA-256 of the content, lower-case hex: computed by the server for an uploaded file,
    /// noted by the user for a document held elsewhere.
    pub sha256: Option<String>,
    /// The uploaded file's name and size (set by the upload only).
    pub file_name: Short,
    pub size: Option<i64>,
    /// The date of the evidence (when the document was issued, the test was run).
    pub evidence_date: Date,
    /// After this date the evidence no longer shows the control works.
    pub valid_until: Option<Date>,
    pub description: Text,
}

/// Evidence as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvidenceInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub reference: Option<String>,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub size: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub evidence_date: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub valid_until: Option<String>,
    pub description: Option<String>,
}

/// Checks a SHA-256 written as 64 hexadecimal digits; gives it back in lower case.
pub fn parse_sha256(s: &str) -> Result<String, String> {
    let t = s.trim();
    if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(t.to_ascii_lowercase())
    } else {
        Err(format!("{t:?} is not a SHA-256 (64 hexadecimal digits)"))
    }
}

impl Entity for Evidence {
    type Id = EvidenceId;
    type Input = EvidenceInput;
    const KIND: EntityKind = EntityKind::Evidence;

    fn id_from_raw(raw: i64) -> EvidenceId {
        EvidenceId::new(raw)
    }

    fn parse(i: &EvidenceInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let title = e.take("title", Name::parse(opt(&i.title)));
        let kind = e.take("kind", present(&i.kind).map_or(Ok(EvidenceKind::Document), EvidenceKind::parse));
        let reference = e.take("reference", Short::parse(opt(&i.reference)));
        let sha256 = e.take("sha256", present(&i.sha256).map(parse_sha256).transpose());
        let file_name = e.take("file_name", Short::parse(opt(&i.file_name)));
        let size = e.take(
            "size",
            present(&i.size)
                .map(|s| s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| format!("{s:?} is not a size")))
                .transpose(),
        );
        let evidence_date = e.take(
            "evidence_date",
            match present(&i.evidence_date) {
                Some(d) => Date::parse(d),
                None => Err("is required: the date of the evidence (issued, tested, recorded)".into()),
            },
        );
        let valid_until = e.take("valid_until", present(&i.valid_until).map(Date::parse).transpose());
        let description = e.take("description", Text::parse(opt(&i.description)));
        match (kind, &reference) {
            (Some(EvidenceKind::Link), Some(r)) => {
                let s = r.as_str();
                if !(s.starts_with("https://") || s.starts_with("http://")) || s.contains(char::is_whitespace) {
                    e.push("reference", format!("{s:?} is not a web address (http:// or https://)"));
                }
            }
            (Some(EvidenceKind::Document | EvidenceKind::Record), Some(r)) if r.is_empty() => {
                e.push("reference", "is required: the document number or where the record is kept")
            }
            _ => {}
        }
        if let (Some(from), Some(Some(to))) = (evidence_date, valid_until)
            && to < from
        {
            e.push("valid_until", "is before the evidence date");
        }
        e.finish()?;
        Ok(Evidence {
            site_id: site_id.unwrap(),
            title: title.unwrap(),
            kind: kind.unwrap(),
            reference: reference.unwrap(),
            sha256: sha256.unwrap(),
            file_name: file_name.unwrap(),
            size: size.unwrap(),
            evidence_date: evidence_date.unwrap(),
            valid_until: valid_until.unwrap(),
            description: description.unwrap(),
        })
    }

    fn to_input(&self) -> EvidenceInput {
        EvidenceInput {
            site_id: Some(self.site_id.to_string()),
            title: Some(self.title.to_string()),
            kind: Some(self.kind.as_str().into()),
            reference: Some(self.reference.as_str().into()),
            sha256: self.sha256.clone(),
            file_name: Some(self.file_name.as_str().into()),
            size: self.size.map(|n| n.to_string()),
            evidence_date: Some(self.evidence_date.to_string()),
            valid_until: self.valid_until.map(|d| d.to_string()),
            description: Some(self.description.as_str().into()),
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
            F::new("kind", "Kind", K::Choice(choices!(EvidenceKind))).column(),
            F::new("reference", "Reference", K::Text).help("the document number, the web address, the ticket"),
            F::new("sha256", "SHA-256", K::Text).help("of the content; computed by the server for an uploaded file"),
            F::new("file_name", "File", K::Text).help("set by the upload"),
            F::new("size", "Size (bytes)", K::Int).help("set by the upload"),
            F::new("evidence_date", "Date", K::Date).required().column(),
            F::new("valid_until", "Valid until", K::Date).column(),
            F::new("description", "Description", K::LongText),
        ];
        FIELDS
    }
}

// ---------------------------------------------------------------------------------------------
// Frozen versions

/// What a statement is made of, cheaply compared: the scope record's version, and the
/// entries' count, versions and positions. Any change to the scope or an entry (an edit bumps
/// its version; an entry added or removed changes the count and the weighted sum) changes it.
pub fn fingerprint(scope_version: i64, entries: impl IntoIterator<Item = (i64, i64)>) -> String {
    let (mut n, mut sum, mut weighted) = (0i64, 0i64, 0i64);
    for (order, version) in entries {
        n += 1;
        sum = sum.wrapping_add(version);
        weighted = weighted.wrapping_add(order.wrapping_mul(version));
    }
    fingerprint_of_sums(scope_version, n, sum, weighted)
}

/// [`fingerprint`] from sums already made (by the database).
pub fn fingerprint_of_sums(scope_version: i64, count: i64, version_sum: i64, weighted_sum: i64) -> String {
    format!("{scope_version}:{count}:{version_sum}:{weighted_sum}")
}

/// The position of a control in the fingerprint: `clause * 100 + number`.
pub fn control_order(c: ControlId) -> i64 {
    i64::from(c.clause) * 100 + i64::from(c.number)
}

impl SoaVersion {
    /// The fingerprint of the frozen statement (from its snapshot).
    pub fn fingerprint(&self) -> String {
        let scope_version = self.snapshot.pointer("/scope/version").and_then(Value::as_i64).unwrap_or(0);
        let lines = self.snapshot.get("lines").and_then(Value::as_array).cloned().unwrap_or_default();
        let entries = lines.iter().filter_map(|l| {
            let version = l.get("entry_version")?.as_i64()?;
            let control = ControlId::parse(l.get("control")?.as_str()?).ok()?;
            Some((control_order(control), version))
        });
        fingerprint(scope_version, entries)
    }
}

/// A frozen Statement of Applicability: what an approver signs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SoaVersion {
    pub site_id: SiteId,
    pub scope_id: ScopeId,
    /// 1, 2, 3… per scope.
    pub number: i64,
    /// What changed, in the author's words.
    pub note: Text,
    /// The scope and its 93 entries as they stood (see `c981_app::soa::Snapshot`).
    pub snapshot: Value,
}

/// A version as stored (never sent by a client: versions are made by freezing).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SoaVersionInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub scope_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub number: Option<String>,
    pub note: Option<String>,
    pub snapshot: Value,
}

impl Entity for SoaVersion {
    type Id = SoaVersionId;
    type Input = SoaVersionInput;
    const KIND: EntityKind = EntityKind::SoaVersion;

    fn id_from_raw(raw: i64) -> SoaVersionId {
        SoaVersionId::new(raw)
    }

    fn parse(i: &SoaVersionInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let scope_id = e.take("scope_id", ScopeId::parse(opt(&i.scope_id)));
        let number = e.take(
            "number",
            opt(&i.number)
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| "is not a version number".into()),
        );
        let note = e.take("note", Text::parse(opt(&i.note)));
        if !i.snapshot.is_object() {
            e.push("snapshot", "is not a frozen statement of applicability");
        }
        e.finish()?;
        Ok(SoaVersion {
            site_id: site_id.unwrap(),
            scope_id: scope_id.unwrap(),
            number: number.unwrap(),
            note: note.unwrap(),
            snapshot: i.snapshot.clone(),
        })
    }

    fn to_input(&self) -> SoaVersionInput {
        SoaVersionInput {
            site_id: Some(self.site_id.to_string()),
            scope_id: Some(self.scope_id.to_string()),
            number: Some(self.number.to_string()),
            note: Some(self.note.as_str().into()),
            snapshot: self.snapshot.clone(),
        }
    }

    fn site_id(&self) -> Option<SiteId> {
        Some(self.site_id)
    }

    fn display_name(&self) -> String {
        format!("Statement of Applicability, version {}", self.number)
    }

    fn fields() -> &'static [F] {
        static FIELDS: &[F] = &[
            F::new("site_id", "Site", K::Ref(EntityKind::Site)).required(),
            F::new("scope_id", "Scope", K::Ref(EntityKind::Scope)).required().column(),
            F::new("number", "Version", K::Int).required().column(),
            F::new("note", "Note", K::LongText).column(),
            F::new("snapshot", "Content", K::Impacts),
        ];
        FIELDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> SoaEntryInput {
        SoaEntryInput {
            site_id: Some("1".into()),
            scope_id: Some("2".into()),
            control: Some("A.8.20".into()),
            applicability: Some("applicable".into()),
            justification: Some("Risks R-12 and R-14: flat plant network".into()),
            status: Some("partial".into()),
            implementation: Some("Zones and conduits per IEC 62443-3-2; firewall at L3.5".into()),
            risk_ids: vec!["7".into(), "3".into(), "7".into()],
            requirements: vec!["sr 5.1".into(), "SR5.1 RE1".into()],
            ..Default::default()
        }
    }

    #[test]
    fn an_entry_parses_and_round_trips() {
        let s = SoaEntry::parse(&entry()).unwrap();
        assert_eq!(s.control.to_string(), "8.20");
        assert_eq!(s.risk_ids, vec![RiskId::new(3), RiskId::new(7)]);
        assert_eq!(s.requirements.iter().map(ToString::to_string).collect::<Vec<_>>(), ["SR 5.1", "SR 5.1 RE 1"]);
        assert_eq!(SoaEntry::parse(&s.to_input()).unwrap(), s);
        assert_eq!(s.display_name(), "8.20 Networks security");
    }

    #[test]
    fn an_exclusion_without_a_reason_is_refused_and_so_is_an_inclusion() {
        let mut i = entry();
        i.applicability = Some("not applicable".into());
        i.justification = Some("  ".into());
        i.status = None;
        let e = SoaEntry::parse(&i).unwrap_err();
        assert!(e.errors.iter().any(|f| f.field == "justification" && f.message.contains("exclusion")), "{e:?}");
        let mut i = entry();
        i.justification = None;
        let e = SoaEntry::parse(&i).unwrap_err();
        assert!(e.errors.iter().any(|f| f.field == "justification"), "{e:?}");
        // Undecided needs nothing.
        let mut i = entry();
        i.applicability = None;
        i.justification = None;
        assert_eq!(SoaEntry::parse(&i).unwrap().applicability, Applicability::Undecided);
    }

    #[test]
    fn an_excluded_control_has_no_status_and_an_implemented_one_says_how() {
        let mut i = entry();
        i.applicability = Some("not_applicable".into());
        let e = SoaEntry::parse(&i).unwrap_err();
        assert!(e.errors.iter().any(|f| f.field == "status"), "{e:?}");
        let mut i = entry();
        i.status = Some("implemented".into());
        i.implementation = None;
        let e = SoaEntry::parse(&i).unwrap_err();
        assert!(e.errors.iter().any(|f| f.field == "implementation"), "{e:?}");
    }

    #[test]
    fn bad_ids_name_their_field() {
        let mut i = entry();
        i.control = Some("A.12.6.1".into());
        i.requirements = vec!["SR 9.9".into()];
        let e = SoaEntry::parse(&i).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert!(fields.contains(&"control") && fields.iter().any(|f| f.starts_with("requirements")), "{fields:?}");
        assert!(e.errors.iter().any(|f| f.message.contains("2013")), "{e:?}");
    }

    #[test]
    fn a_scope_needs_its_statement_and_exclusions() {
        let i = IsmsScopeInput { site_id: Some("1".into()), name: Some("Plant ISMS".into()), ..Default::default() };
        let e = IsmsScope::parse(&i).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["statement", "exclusions"]);
        let i = IsmsScopeInput {
            statement: Some("The IIoT platform of the Hamburg plant".into()),
            exclusions: Some("none".into()),
            teams: vec!["OT security".into(), "ot security".into(), "".into()],
            zone_ids: vec!["4".into(), "2".into()],
            ..i
        };
        let s = IsmsScope::parse(&i).unwrap();
        assert_eq!(s.teams.len(), 1);
        assert_eq!(s.zone_ids, vec![ZoneId::new(2), ZoneId::new(4)]);
        assert_eq!(IsmsScope::parse(&s.to_input()).unwrap(), s);
    }

    #[test]
    fn evidence_checks_its_reference_hash_and_dates() {
        let i = EvidenceInput {
            site_id: Some("1".into()),
            title: Some("Firewall rule review".into()),
            kind: Some("link".into()),
            reference: Some("ftp://files/x".into()),
            sha256: Some("abc".into()),
            evidence_date: Some("2026-10-01".into()),
            valid_until: Some("2026-09-01".into()),
            ..Default::default()
        };
        let e = Evidence::parse(&i).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["sha256", "reference", "valid_until"]);
        let i = EvidenceInput {
            reference: Some("https://wiki.example/fw-review".into()),
            sha256: Some("AB".repeat(32)),
            valid_until: None,
            ..i
        };
        let ev = Evidence::parse(&i).unwrap();
        assert_eq!(ev.sha256.as_deref(), Some("ab".repeat(32).as_str()));
        assert_eq!(Evidence::parse(&ev.to_input()).unwrap(), ev);
        let e = Evidence::parse(&EvidenceInput { evidence_date: None, ..i }).unwrap_err();
        assert_eq!(e.errors[0].field, "evidence_date");
    }
}
