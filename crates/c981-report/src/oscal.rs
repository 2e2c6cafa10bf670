//! OSCAL 1.2.3 JSON: control catalog, profile and system security plan (SSP).
//!
//! The builders take plain structs and return `serde_json` values (or pretty JSON
//! text) that validate against NIST's published JSON schemas for OSCAL
//! [`OSCAL_VERSION`] (`oscal_catalog_schema.json`, `oscal_profile_schema.json`,
//! `oscal_ssp_schema.json`); `tests/oscal-validate/` runs that check.
//!
//! # Control identifiers
//!
//! OSCAL ids are tokens (`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`), so `5.1` is not valid.
//! [`control_id`] maps an original id to `<prefix>.<normalised>`: the original is
//! lower-cased, every character other than a letter, digit, `.`, `-` or `_` becomes
//! `-` (runs collapsed, ends trimmed), and the prefix (`a` for ISO/IEC 27001
//! Annex A) is put in front. `5.1` → `a.5.1`; `SR 1.1` with prefix `sr` →
//! `sr.sr-1.1`. The original id is kept in the control's `label` property and a
//! zero-padded `sort-id` (`a.005.001`) keeps the numeric order. Two originals that
//! map to the same id are an error.
//!
//! # UUIDs
//!
//! Every UUID is a version-5 UUID ([`stable_uuid`]) of a stable name under the
//! namespace `uuid5(URL, "urn:c981:oscal")`, so the same input gives the same
//! document byte for byte. Object UUIDs (controls' implemented requirements,
//! components, resources, …) derive from the document `key` and the object's stable
//! name and therefore persist across revisions; the document UUID also includes the
//! version and last-modified time, so that it changes with each revision as OSCAL
//! asks.
//!
//! # Mapping of a Statement of Applicability entry
//!
//! One `implemented-requirement` per [`SoaEntry`]: `control-id` as above; `remarks`
//! holds the justification; props in the [`SspInput::namespace`] namespace carry
//! `applicable` (`yes`/`no`), one `risk-id` per linked risk and one `requirement` per
//! linked requirement (OSCAL's own namespace allows only `control-origination` and
//! `marking` there). A single `by-component` on the "this system" component holds
//! the implementation description, the OSCAL `implementation-status` object
//! (`implemented`, `partial`, `planned`, `alternative`, `not-applicable`; "not
//! started" is `planned` with a remark), the owner as a `responsible-role` (declared
//! in `metadata/roles`) and links to the evidence. Each distinct piece of evidence is
//! a `back-matter` resource (prop `type=evidence`, an `rlink` with its `href` and
//! SHA-256 hash, and the evidence date as a namespaced prop), linked as
//! `#<resource-uuid>`.
//!
//! All timestamps are written in UTC, because OSCAL's date-time pattern admits only
//! some offsets. Text fields declared as single-line have their whitespace
//! collapsed; markup fields are passed through as given (Markdown).

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::timestamp::{CalendarDate, Timestamp};

/// The OSCAL release the documents target (`metadata/oscal-version`).
pub const OSCAL_VERSION: &str = "1.2.3";
/// Namespace for the properties this crate defines (`applicable`, `risk-id`, …).
pub const DEFAULT_NAMESPACE: &str = "urn:c981:oscal";
/// Default prefix for ISO/IEC 27001:2022 Annex A control ids.
pub const ANNEX_A_PREFIX: &str = "a";

/// A version-5 UUID for `name` under this crate's namespace.
pub fn stable_uuid(name: &str) -> Uuid {
    let root = Uuid::new_v5(&Uuid::NAMESPACE_URL, DEFAULT_NAMESPACE.as_bytes());
    Uuid::new_v5(&root, name.as_bytes())
}

/// Why a document could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OscalError {
    /// A required text field is empty.
    Empty {
        /// Which field.
        field: String,
    },
    /// A control id cannot become an OSCAL token.
    InvalidControlId {
        /// The id as given.
        original: String,
    },
    /// Two original ids map to the same OSCAL id.
    DuplicateControlId {
        /// The OSCAL id.
        id: String,
        /// The first original id.
        first: String,
        /// The second original id.
        second: String,
    },
    /// The same control appears twice in the SoA entries.
    DuplicateEntry {
        /// The control id as given.
        control_id: String,
    },
    /// An evidence hash is not 64 hexadecimal digits.
    InvalidSha256 {
        /// The evidence title or href.
        evidence: String,
        /// The value given.
        value: String,
    },
    /// A date is not `YYYY-MM-DD`, or a time is outside OSCAL's years 1900–2999.
    InvalidDate {
        /// Which field.
        field: String,
        /// The value given.
        value: String,
    },
    /// A profile would select no control.
    EmptySelection,
}

impl fmt::Display for OscalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OscalError::Empty { field } => write!(f, "OSCAL: {field} must not be empty"),
            OscalError::InvalidControlId { original } => {
                write!(f, "OSCAL: control id {original:?} cannot be mapped to an OSCAL token")
            }
            OscalError::DuplicateControlId { id, first, second } => {
                write!(f, "OSCAL: control ids {first:?} and {second:?} both map to {id:?}")
            }
            OscalError::DuplicateEntry { control_id } => {
                write!(f, "OSCAL: control {control_id:?} has more than one SoA entry")
            }
            OscalError::InvalidSha256 { evidence, value } => {
                write!(f, "OSCAL: evidence {evidence:?} has SHA-256 {value:?}, expected 64 hex digits")
            }
            OscalError::InvalidDate { field, value } => write!(f, "OSCAL: {field} {value:?} is not a usable date"),
            OscalError::EmptySelection => write!(f, "OSCAL: the profile selects no control"),
        }
    }
}

impl std::error::Error for OscalError {}

/// Metadata shared by all three documents.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentInfo {
    /// Document title.
    pub title: String,
    /// Document version (the organisation's, not OSCAL's), e.g. `3.2`.
    pub version: String,
    /// Last modification time.
    pub last_modified: Timestamp,
    /// Publication time, if published.
    pub published: Option<Timestamp>,
    /// Free remarks (Markdown), e.g. a licensing note.
    pub remarks: Option<String>,
}

/// A control of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    /// Original id, e.g. `5.1`.
    pub id: String,
    /// Theme (becomes the group), e.g. `Organizational controls`.
    pub theme: String,
    /// Control title.
    pub title: String,
    /// Licensed statement text, only when the organisation may reproduce it.
    pub statement: Option<String>,
    /// Guidance text, if any.
    pub guidance: Option<String>,
}

/// Input for [`catalog`].
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogInput {
    /// Stable name used to derive UUIDs, e.g. `iso27001-2022-annex-a`.
    pub key: String,
    /// Metadata.
    pub info: DocumentInfo,
    /// Prefix for control ids (see [`control_id`]).
    pub id_prefix: String,
    /// Controls in catalog order; groups follow the first appearance of each theme.
    pub controls: Vec<Control>,
}

/// Input for [`profile`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileInput {
    /// Stable name used to derive UUIDs.
    pub key: String,
    /// Metadata.
    pub info: DocumentInfo,
    /// Reference to the catalog, e.g. `catalog.json`.
    pub catalog_href: String,
    /// Prefix for control ids, as used in the catalog.
    pub id_prefix: String,
    /// Original ids of the selected controls.
    pub control_ids: Vec<String>,
}

/// Impact level of a security objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Impact {
    /// FIPS 199 low.
    Low,
    /// FIPS 199 moderate.
    Moderate,
    /// FIPS 199 high.
    High,
}

impl Impact {
    /// The OSCAL value, `fips-199-low|moderate|high`.
    pub fn oscal(self) -> &'static str {
        match self {
            Impact::Low => "fips-199-low",
            Impact::Moderate => "fips-199-moderate",
            Impact::High => "fips-199-high",
        }
    }
}

/// A reference to an information-type classification scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Categorization {
    /// URI of the scheme, e.g. `http://doi.org/10.6028/NIST.SP.800-60v2r1` or the
    /// organisation's own data-classification URN.
    pub system: String,
    /// Identifiers within that scheme.
    pub ids: Vec<String>,
}

/// A kind of information the system processes, with its C/I/A impact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationType {
    /// Title, e.g. `Batch records`.
    pub title: String,
    /// Description.
    pub description: String,
    /// Classification-scheme references (may be empty); `system` must be an
    /// absolute URI.
    pub categorizations: Vec<Categorization>,
    /// Confidentiality impact.
    pub confidentiality: Impact,
    /// Integrity impact.
    pub integrity: Impact,
    /// Availability impact.
    pub availability: Impact,
}

/// Operational state of the system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SystemState {
    /// In operation.
    #[default]
    Operational,
    /// Being built.
    UnderDevelopment,
    /// Being changed substantially.
    UnderMajorModification,
    /// Being retired.
    Disposition,
    /// Anything else.
    Other,
}

impl SystemState {
    fn oscal(self) -> &'static str {
        match self {
            SystemState::Operational => "operational",
            SystemState::UnderDevelopment => "under-development",
            SystemState::UnderMajorModification => "under-major-modification",
            SystemState::Disposition => "disposition",
            SystemState::Other => "other",
        }
    }
}

/// The system (ISMS scope) the SSP describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    /// The organisation's identifier for the system or scope.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Short name, if any.
    pub short_name: Option<String>,
    /// Description (Markdown).
    pub description: String,
    /// Security sensitivity level, e.g. `moderate` or `confidential`.
    pub sensitivity: String,
    /// At least one information type.
    pub information_types: Vec<InformationType>,
    /// Operational state.
    pub state: SystemState,
    /// Authorization boundary / ISMS scope description (Markdown).
    pub boundary: String,
}

/// A user (class) of the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemUser {
    /// Title, e.g. `QC analysts`.
    pub title: String,
    /// Role they hold, declared in metadata roles.
    pub role: Option<String>,
}

/// Implementation status of a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImplementationStatus {
    /// Fully implemented.
    Implemented,
    /// Partly implemented.
    Partial,
    /// Planned.
    Planned,
    /// Not started (written as `planned` with a remark).
    NotStarted,
    /// Met by an alternative implementation.
    Alternative,
    /// Not applicable.
    NotApplicable,
}

impl ImplementationStatus {
    fn oscal(self) -> &'static str {
        match self {
            ImplementationStatus::Implemented => "implemented",
            ImplementationStatus::Partial => "partial",
            ImplementationStatus::Planned | ImplementationStatus::NotStarted => "planned",
            ImplementationStatus::Alternative => "alternative",
            ImplementationStatus::NotApplicable => "not-applicable",
        }
    }
}

/// A piece of evidence for a control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Title shown to the reader.
    pub title: String,
    /// URL or file name (relative names are percent-encoded as URI references).
    pub href: String,
    /// SHA-256 of the file, hexadecimal.
    pub sha256: Option<String>,
    /// Date of the evidence, `YYYY-MM-DD`.
    pub date: Option<String>,
}

/// One Statement of Applicability entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoaEntry {
    /// Original control id, e.g. `5.1`.
    pub control_id: String,
    /// Whether the control applies.
    pub applicable: bool,
    /// Justification for inclusion or exclusion.
    pub justification: String,
    /// Implementation status (ignored and written as not-applicable when not applicable).
    pub status: ImplementationStatus,
    /// How the control is implemented (Markdown).
    pub how_implemented: String,
    /// Owner (a role name), e.g. `IT Security Manager`.
    pub owner: Option<String>,
    /// Linked risk ids.
    pub risk_ids: Vec<String>,
    /// Evidence.
    pub evidence: Vec<Evidence>,
    /// Linked requirements, e.g. `IEC 62443-3-3 SR 1.1`.
    pub requirements: Vec<String>,
}

/// Input for [`ssp`].
#[derive(Debug, Clone, PartialEq)]
pub struct SspInput {
    /// Stable name used to derive UUIDs, e.g. `acme-hamburg-isms`.
    pub key: String,
    /// Metadata.
    pub info: DocumentInfo,
    /// Namespace URI for this crate's properties (default [`DEFAULT_NAMESPACE`]).
    pub namespace: String,
    /// Organisation name (a party of type organization).
    pub organisation: String,
    /// Reference to the profile, e.g. `profile.json`.
    pub profile_href: String,
    /// Prefix for control ids, as used in the catalog.
    pub id_prefix: String,
    /// The system / scope.
    pub system: SystemInfo,
    /// Users; when empty one user "Authorised users" is written.
    pub users: Vec<SystemUser>,
    /// One entry per control.
    pub entries: Vec<SoaEntry>,
}

// ---------------------------------------------------------------------------
// helpers

fn single_line(s: &str) -> Option<String> {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

fn required_line(s: &str, field: &str) -> Result<String, OscalError> {
    single_line(s).ok_or_else(|| OscalError::Empty { field: field.to_owned() })
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '.' || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches(|c| c == '-' || c == '.').to_owned()
}

fn is_token(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Maps an original control id to an OSCAL token (rule in the module docs).
pub fn control_id(prefix: &str, original: &str) -> Result<String, OscalError> {
    let body = slug(original);
    let prefix = slug(prefix);
    let id = match (prefix.is_empty(), body.is_empty()) {
        (_, true) => String::new(),
        (true, false) => body,
        (false, false) => format!("{prefix}.{body}"),
    };
    if is_token(&id) { Ok(id) } else { Err(OscalError::InvalidControlId { original: original.to_owned() }) }
}

/// Zero-pads the numeric segments of an id so it sorts numerically.
fn sort_id(id: &str) -> String {
    id.split('.')
        .map(|seg| {
            if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
                format!("{seg:0>3}")
            } else {
                seg.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn oscal_time(t: &Timestamp, field: &str) -> Result<String, OscalError> {
    let utc = t.to_utc().map_err(|_| OscalError::InvalidDate { field: field.to_owned(), value: t.to_rfc3339() })?;
    if !(1900..=2999).contains(&utc.date().year()) {
        return Err(OscalError::InvalidDate { field: field.to_owned(), value: t.to_rfc3339() });
    }
    Ok(utc.to_rfc3339())
}

fn metadata(info: &DocumentInfo, what: &str) -> Result<Map<String, Value>, OscalError> {
    let mut m = Map::new();
    m.insert("title".into(), required_line(&info.title, &format!("{what} title"))?.into());
    if let Some(p) = &info.published {
        m.insert("published".into(), oscal_time(p, "published")?.into());
    }
    m.insert("last-modified".into(), oscal_time(&info.last_modified, "last-modified")?.into());
    m.insert("version".into(), required_line(&info.version, &format!("{what} version"))?.into());
    m.insert("oscal-version".into(), OSCAL_VERSION.into());
    Ok(m)
}

fn document_uuid(kind: &str, key: &str, info: &DocumentInfo) -> String {
    stable_uuid(&format!("{kind}/{key}/{}/{}", info.version, info.last_modified.to_rfc3339())).to_string()
}

/// Percent-encodes what a URI reference may not contain (spaces, quotes, non-ASCII,
/// `%` not starting an escape, …), keeping reserved characters.
fn uri_reference(s: &str) -> String {
    let bytes = s.trim().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~:/?#[]@!$&'()*+,;=".contains(&b)
            || (b == b'%' && bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)));
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn media_type(href: &str) -> Option<&'static str> {
    let path = href.split(['?', '#']).next().unwrap_or("");
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => "application/pdf",
        "json" => "application/json",
        "xml" => "application/xml",
        "csv" => "text/csv",
        "txt" | "log" => "text/plain",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "svg" => "image/svg+xml",
        "zip" => "application/zip",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => return None,
    })
}

fn prop(name: &str, value: &str) -> Option<Value> {
    single_line(value).map(|v| json!({ "name": name, "value": v }))
}

fn ns_prop(ns: &str, name: &str, value: &str) -> Option<Value> {
    single_line(value).map(|v| json!({ "name": name, "ns": ns, "value": v }))
}

fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("a JSON value always serialises");
    s.push('\n');
    s
}

/// Maps original ids to OSCAL ids, refusing collisions.
struct IdMap {
    prefix: String,
    seen: HashMap<String, String>,
}

impl IdMap {
    fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned(), seen: HashMap::new() }
    }

    fn map(&mut self, original: &str) -> Result<String, OscalError> {
        let id = control_id(&self.prefix, original)?;
        if let Some(first) = self.seen.get(&id) {
            return Err(OscalError::DuplicateControlId { id, first: first.clone(), second: original.to_owned() });
        }
        self.seen.insert(id.clone(), original.to_owned());
        Ok(id)
    }
}

// ---------------------------------------------------------------------------
// catalog

/// Builds an OSCAL catalog: one group per theme, one control per input control.
pub fn catalog(input: &CatalogInput) -> Result<Value, OscalError> {
    let mut ids = IdMap::new(&input.id_prefix);
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for c in &input.controls {
        let id = ids.map(&c.id)?;
        let mut control = Map::new();
        control.insert("id".into(), id.clone().into());
        control.insert("title".into(), required_line(&c.title, &format!("title of control {}", c.id))?.into());
        let props: Vec<Value> = [prop("label", &c.id), prop("sort-id", &sort_id(&id))].into_iter().flatten().collect();
        control.insert("props".into(), props.into());
        let mut parts = Vec::new();
        if let Some(s) = c.statement.as_deref().filter(|s| !s.trim().is_empty()) {
            parts.push(json!({ "id": format!("{id}_smt"), "name": "statement", "prose": s }));
        }
        if let Some(g) = c.guidance.as_deref().filter(|s| !s.trim().is_empty()) {
            parts.push(json!({ "id": format!("{id}_gdn"), "name": "guidance", "prose": g }));
        }
        if !parts.is_empty() {
            control.insert("parts".into(), parts.into());
        }
        let theme = required_line(&c.theme, &format!("theme of control {}", c.id))?;
        match groups.iter_mut().find(|(t, _)| *t == theme) {
            Some((_, controls)) => controls.push(control.into()),
            None => groups.push((theme, vec![control.into()])),
        }
    }
    let mut group_ids = BTreeSet::new();
    let mut group_values = Vec::new();
    for (i, (theme, controls)) in groups.into_iter().enumerate() {
        let mut gid = slug(&theme);
        if !is_token(&gid) {
            gid = format!("g-{}", i + 1);
        }
        let base = gid.clone();
        let mut n = 2;
        while !group_ids.insert(gid.clone()) {
            gid = format!("{base}-{n}");
            n += 1;
        }
        group_values.push(json!({ "id": gid, "title": theme, "controls": controls }));
    }
    let mut meta = metadata(&input.info, "catalog")?;
    if let Some(r) = input.info.remarks.as_deref().filter(|r| !r.trim().is_empty()) {
        meta.insert("remarks".into(), r.into());
    }
    let mut cat = Map::new();
    cat.insert("uuid".into(), document_uuid("catalog", &input.key, &input.info).into());
    cat.insert("metadata".into(), meta.into());
    if !group_values.is_empty() {
        cat.insert("groups".into(), group_values.into());
    }
    Ok(json!({ "catalog": cat }))
}

/// [`catalog`] as pretty-printed JSON text ending in a newline.
pub fn catalog_json(input: &CatalogInput) -> Result<String, OscalError> {
    catalog(input).map(|v| pretty(&v))
}

// ---------------------------------------------------------------------------
// profile

impl ProfileInput {
    /// The original ids of the applicable entries, in order.
    pub fn applicable_ids(entries: &[SoaEntry]) -> Vec<String> {
        entries.iter().filter(|e| e.applicable).map(|e| e.control_id.clone()).collect()
    }
}

/// Builds an OSCAL profile importing the catalog and selecting the given controls.
pub fn profile(input: &ProfileInput) -> Result<Value, OscalError> {
    let mut ids = IdMap::new(&input.id_prefix);
    let with_ids = input.control_ids.iter().map(|c| ids.map(c)).collect::<Result<Vec<_>, _>>()?;
    if with_ids.is_empty() {
        return Err(OscalError::EmptySelection);
    }
    let mut meta = metadata(&input.info, "profile")?;
    if let Some(r) = input.info.remarks.as_deref().filter(|r| !r.trim().is_empty()) {
        meta.insert("remarks".into(), r.into());
    }
    let href = uri_reference(&required_line(&input.catalog_href, "catalog href")?);
    Ok(json!({
        "profile": {
            "uuid": document_uuid("profile", &input.key, &input.info),
            "metadata": meta,
            "imports": [{ "href": href, "include-controls": [{ "with-ids": with_ids }] }],
            "merge": { "as-is": true }
        }
    }))
}

/// [`profile`] as pretty-printed JSON text ending in a newline.
pub fn profile_json(input: &ProfileInput) -> Result<String, OscalError> {
    profile(input).map(|v| pretty(&v))
}

// ---------------------------------------------------------------------------
// system security plan

/// Roles referenced by the SSP, declared once each in metadata.
struct Roles {
    list: Vec<(String, String)>,
}

impl Roles {
    fn id(&mut self, title: &str) -> Option<String> {
        let title = single_line(title)?;
        if let Some((id, _)) = self.list.iter().find(|(_, t)| *t == title) {
            return Some(id.clone());
        }
        let mut id = slug(&title);
        if !is_token(&id) {
            id = format!("role-{id}");
        }
        if !is_token(&id) {
            id = format!("role-{}", self.list.len() + 1);
        }
        let base = id.clone();
        let mut n = 2;
        while self.list.iter().any(|(i, _)| *i == id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        self.list.push((id.clone(), title));
        Some(id)
    }
}

fn evidence_resource(key: &str, ns: &str, ev: &Evidence) -> Result<(String, Value), OscalError> {
    let href = uri_reference(&required_line(&ev.href, &format!("href of evidence {:?}", ev.title))?);
    let sha = match ev.sha256.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => Some(s.to_ascii_lowercase()),
        Some(s) => return Err(OscalError::InvalidSha256 { evidence: ev.title.clone(), value: s.to_owned() }),
    };
    let uuid = stable_uuid(&format!("ssp/{key}/resource/{href}/{}", sha.as_deref().unwrap_or(""))).to_string();
    let mut rlink = Map::new();
    rlink.insert("href".into(), href.clone().into());
    if let Some(mt) = media_type(&href) {
        rlink.insert("media-type".into(), mt.into());
    }
    if let Some(sha) = &sha {
        rlink.insert("hashes".into(), json!([{ "algorithm": "SHA-256", "value": sha }]));
    }
    let mut props = vec![json!({ "name": "type", "value": "evidence" })];
    if let Some(d) = ev.date.as_deref().filter(|d| !d.trim().is_empty()) {
        let date = CalendarDate::parse(d.trim()).map_err(|_| OscalError::InvalidDate {
            field: format!("date of evidence {:?}", ev.title),
            value: d.to_owned(),
        })?;
        props.extend(ns_prop(ns, "evidence-date", &date.to_string()));
    }
    let title = single_line(&ev.title).unwrap_or_else(|| href.clone());
    Ok((uuid.clone(), json!({ "uuid": uuid, "title": title, "props": props, "rlinks": [rlink] })))
}

/// Builds an OSCAL system security plan from SoA entries (mapping in the module docs).
pub fn ssp(input: &SspInput) -> Result<Value, OscalError> {
    let key = &input.key;
    let ns = single_line(&input.namespace).unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
    let sys = &input.system;
    let mut roles = Roles { list: Vec::new() };
    let this_system = stable_uuid(&format!("ssp/{key}/component/this-system")).to_string();

    // Implemented requirements and the evidence they reference.
    let mut ids = IdMap::new(&input.id_prefix);
    let mut resources: Vec<(String, Value)> = Vec::new();
    let mut requirements = Vec::new();
    for e in &input.entries {
        let control = ids.map(&e.control_id).map_err(|err| match err {
            OscalError::DuplicateControlId { .. } => OscalError::DuplicateEntry { control_id: e.control_id.clone() },
            other => other,
        })?;
        let status = if e.applicable { e.status } else { ImplementationStatus::NotApplicable };
        let mut props =
            vec![json!({ "name": "applicable", "ns": ns, "value": if e.applicable { "yes" } else { "no" } })];
        props.extend(e.risk_ids.iter().filter_map(|r| ns_prop(&ns, "risk-id", r)));
        props.extend(e.requirements.iter().filter_map(|r| ns_prop(&ns, "requirement", r)));

        let mut links = Vec::new();
        for ev in &e.evidence {
            let (uuid, resource) = evidence_resource(key, &ns, ev)?;
            if !resources.iter().any(|(u, _)| *u == uuid) {
                resources.push((uuid.clone(), resource));
            }
            let text = single_line(&ev.title).unwrap_or_else(|| uuid.clone());
            links.push(json!({ "href": format!("#{uuid}"), "rel": "reference", "text": text }));
        }

        let description = if e.how_implemented.trim().is_empty() {
            if e.applicable { "No implementation has been described yet." } else { "Not applicable." }.to_owned()
        } else {
            e.how_implemented.clone()
        };
        let mut impl_status = Map::new();
        impl_status.insert("state".into(), status.oscal().into());
        if status == ImplementationStatus::NotStarted {
            impl_status.insert("remarks".into(), "Implementation has not started.".into());
        }
        let mut by = Map::new();
        by.insert("component-uuid".into(), this_system.clone().into());
        by.insert("uuid".into(), stable_uuid(&format!("ssp/{key}/by-component/{control}")).to_string().into());
        by.insert("description".into(), description.into());
        by.insert("implementation-status".into(), impl_status.into());
        if !links.is_empty() {
            by.insert("links".into(), links.into());
        }
        if let Some(role) = e.owner.as_deref().and_then(|o| roles.id(o)) {
            by.insert("responsible-roles".into(), json!([{ "role-id": role }]));
        }

        let mut req = Map::new();
        req.insert(
            "uuid".into(),
            stable_uuid(&format!("ssp/{key}/implemented-requirement/{control}")).to_string().into(),
        );
        req.insert("control-id".into(), control.into());
        req.insert("props".into(), props.into());
        req.insert("by-components".into(), json!([by]));
        if !e.justification.trim().is_empty() {
            req.insert("remarks".into(), e.justification.clone().into());
        }
        requirements.push(Value::Object(req));
    }
    if requirements.is_empty() {
        return Err(OscalError::Empty { field: "SoA entries".into() });
    }

    // Users (their roles must be declared too).
    let mut users = Vec::new();
    let default_user = [SystemUser { title: "Authorised users".into(), role: None }];
    let user_list = if input.users.is_empty() { &default_user[..] } else { &input.users[..] };
    for (i, u) in user_list.iter().enumerate() {
        let title = required_line(&u.title, "user title")?;
        let mut user = Map::new();
        user.insert("uuid".into(), stable_uuid(&format!("ssp/{key}/user/{title}/{i}")).to_string().into());
        user.insert("title".into(), title.into());
        if let Some(role) = u.role.as_deref().and_then(|r| roles.id(r)) {
            user.insert("role-ids".into(), json!([role]));
        }
        users.push(Value::Object(user));
    }

    // System characteristics.
    if sys.information_types.is_empty() {
        return Err(OscalError::Empty { field: "information types".into() });
    }
    let mut info_types = Vec::new();
    for (i, it) in sys.information_types.iter().enumerate() {
        let title = required_line(&it.title, "information type title")?;
        let mut t = Map::new();
        t.insert("uuid".into(), stable_uuid(&format!("ssp/{key}/information-type/{title}/{i}")).to_string().into());
        t.insert("title".into(), title.into());
        let description = if it.description.trim().is_empty() { "No description." } else { it.description.trim() };
        t.insert("description".into(), description.into());
        let mut cats = Vec::new();
        for c in &it.categorizations {
            let system = uri_reference(&required_line(&c.system, "categorization system")?);
            let mut cat = Map::new();
            cat.insert("system".into(), system.into());
            let ids: Vec<String> = c.ids.iter().filter_map(|id| single_line(id)).collect();
            if !ids.is_empty() {
                cat.insert("information-type-ids".into(), ids.into());
            }
            cats.push(Value::Object(cat));
        }
        if !cats.is_empty() {
            t.insert("categorizations".into(), cats.into());
        }
        t.insert("confidentiality-impact".into(), json!({ "base": it.confidentiality.oscal() }));
        t.insert("integrity-impact".into(), json!({ "base": it.integrity.oscal() }));
        t.insert("availability-impact".into(), json!({ "base": it.availability.oscal() }));
        info_types.push(Value::Object(t));
    }
    let worst =
        |f: fn(&InformationType) -> Impact| sys.information_types.iter().map(f).max().unwrap_or(Impact::Low).oscal();
    let system_name = required_line(&sys.name, "system name")?;
    let mut chars = Map::new();
    let mut system_ids = vec![json!({
        "identifier-type": "https://ietf.org/rfc/rfc4122",
        "id": stable_uuid(&format!("ssp/{key}/system")).to_string()
    })];
    if let Some(id) = single_line(&sys.id) {
        system_ids.push(json!({ "id": id }));
    }
    chars.insert("system-ids".into(), system_ids.into());
    chars.insert("system-name".into(), system_name.clone().into());
    if let Some(short) = sys.short_name.as_deref().and_then(single_line) {
        chars.insert("system-name-short".into(), short.into());
    }
    chars.insert("description".into(), non_empty(&sys.description, "system description")?.into());
    chars.insert(
        "security-sensitivity-level".into(),
        required_line(&sys.sensitivity, "security sensitivity level")?.into(),
    );
    chars.insert("system-information".into(), json!({ "information-types": info_types }));
    chars.insert(
        "security-impact-level".into(),
        json!({
            "security-objective-confidentiality": worst(|t| t.confidentiality),
            "security-objective-integrity": worst(|t| t.integrity),
            "security-objective-availability": worst(|t| t.availability)
        }),
    );
    chars.insert("status".into(), json!({ "state": sys.state.oscal() }));
    chars.insert(
        "authorization-boundary".into(),
        json!({ "description": non_empty(&sys.boundary, "authorization boundary")? }),
    );

    // Metadata last, once every role is known.
    let organisation = required_line(&input.organisation, "organisation")?;
    let mut meta = metadata(&input.info, "SSP")?;
    if !roles.list.is_empty() {
        let list: Vec<Value> = roles.list.iter().map(|(id, title)| json!({ "id": id, "title": title })).collect();
        meta.insert("roles".into(), list.into());
    }
    meta.insert(
        "parties".into(),
        json!([{
            "uuid": stable_uuid(&format!("ssp/{key}/party/organisation")).to_string(),
            "type": "organization",
            "name": organisation
        }]),
    );
    if let Some(r) = input.info.remarks.as_deref().filter(|r| !r.trim().is_empty()) {
        meta.insert("remarks".into(), r.into());
    }

    let mut plan = Map::new();
    plan.insert("uuid".into(), document_uuid("ssp", key, &input.info).into());
    plan.insert("metadata".into(), meta.into());
    plan.insert(
        "import-profile".into(),
        json!({ "href": uri_reference(&required_line(&input.profile_href, "profile href")?) }),
    );
    plan.insert("system-characteristics".into(), chars.into());
    plan.insert(
        "system-implementation".into(),
        json!({
            "users": users,
            "components": [{
                "uuid": this_system,
                "type": "this-system",
                "title": system_name,
                "description": non_empty(&sys.description, "system description")?,
                "status": { "state": match sys.state {
                    SystemState::UnderDevelopment => "under-development",
                    SystemState::Disposition => "disposition",
                    SystemState::Other => "other",
                    SystemState::Operational | SystemState::UnderMajorModification => "operational",
                } }
            }]
        }),
    );
    plan.insert(
        "control-implementation".into(),
        json!({
            "description": format!(
                "Implementation of the applicable controls for {}, from the Statement of Applicability version {}.",
                sys.name.trim(),
                input.info.version.trim()
            ),
            "implemented-requirements": requirements
        }),
    );
    if !resources.is_empty() {
        let list: Vec<Value> = resources.into_iter().map(|(_, r)| r).collect();
        plan.insert("back-matter".into(), json!({ "resources": list }));
    }
    Ok(json!({ "system-security-plan": plan }))
}

fn non_empty(s: &str, field: &str) -> Result<String, OscalError> {
    if s.trim().is_empty() { Err(OscalError::Empty { field: field.to_owned() }) } else { Ok(s.trim().to_owned()) }
}

/// [`ssp`] as pretty-printed JSON text ending in a newline.
pub fn ssp_json(input: &SspInput) -> Result<String, OscalError> {
    ssp(input).map(|v| pretty(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annex_a_ids_get_a_letter_prefix_and_stay_readable() {
        assert_eq!(control_id("a", "5.1").unwrap(), "a.5.1");
        assert_eq!(control_id("a", " 8.34 ").unwrap(), "a.8.34");
        assert_eq!(control_id("sr", "SR 1.1 (RE 2)").unwrap(), "sr.sr-1.1-re-2");
        assert_eq!(control_id("", "Ä.1").unwrap(), "ä.1");
        assert!(control_id("", "5.1").is_err());
        assert!(control_id("a", "").is_err());
    }

    #[test]
    fn sort_ids_pad_numbers() {
        assert_eq!(sort_id("a.5.10"), "a.005.010");
        assert_eq!(sort_id("sr.sr-1.1"), "sr.sr-1.001");
    }

    #[test]
    fn colliding_ids_are_refused() {
        let mut m = IdMap::new("a");
        m.map("5.1").unwrap();
        assert!(matches!(m.map("5 1").unwrap(), ref s if s == "a.5-1"));
        assert!(matches!(m.map(" 5.1"), Err(OscalError::DuplicateControlId { .. })));
    }

    #[test]
    fn uuids_are_version_5_and_stable() {
        let a = stable_uuid("x");
        assert_eq!(a, stable_uuid("x"));
        assert_ne!(a, stable_uuid("y"));
        assert_eq!(a.get_version_num(), 5);
    }

    #[test]
    fn hrefs_are_percent_encoded_as_uri_references() {
        assert_eq!(uri_reference("evidence/Backup test 2026.pdf"), "evidence/Backup%20test%202026.pdf");
        assert_eq!(uri_reference("https://x.test/a?b=c#d"), "https://x.test/a?b=c#d");
        assert_eq!(uri_reference("100%25 ok %zz ü"), "100%25%20ok%20%25zz%20%C3%BC");
    }

    #[test]
    fn media_types_come_from_the_extension() {
        assert_eq!(media_type("a/b.PDF"), Some("application/pdf"));
        assert_eq!(media_type("https://x.test/file.csv?v=1"), Some("text/csv"));
        assert_eq!(media_type("noext"), None);
    }
}
