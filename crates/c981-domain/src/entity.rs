//! The entities of a plant's estate and what they share.
//!
//! Each entity comes in three shapes:
//! - `<Entity>Input`: what a client sends (JSON, a form, a spreadsheet row), loose and
//!   unvalidated; every field is optional so that missing ones are reported by name;
//! - `<Entity>` (the data): the validated values, built only by `parse`;
//! - [`Record<T>`]: the data as stored, with its id, version and timestamps.
//!
//! Updates are expressed on the input shape (read the record, turn it back into an input with
//! `to_input`, apply the change, parse again), so one validation path serves create, replace
//! and JSON merge patch alike, and the audit trail diffs the data shape field by field.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::ValidationError;
use crate::fields::FieldSpec;
use crate::ids::SiteId;
use crate::values::{Timestamp, string_enum};

string_enum! {
    /// The kinds of entity the audit trail and the API know.
    EntityKind {
        Site = "site" / "Site",
        Zone = "zone" / "Zone",
        Conduit = "conduit" / "Conduit",
        Asset = "asset" / "Asset",
        Flow = "flow" / "Data flow",
        Interface = "interface" / "Interface",
        AuditCheckpoint = "audit_checkpoint" / "Audit checkpoint",
        User = "user" / "User",
        ApiToken = "api_token" / "API token",
        Signature = "signature" / "Electronic signature",
        RequirementStatus = "requirement_status" / "Requirement status",
        RequirementText = "requirement_text" / "Requirement description",
        System = "system" / "System under consideration",
        Risk = "risk" / "Risk",
        RiskModel = "risk_model" / "Risk model",
        Supplier = "supplier" / "Supplier",
        ThreatTemplate = "threat_template" / "Threat template",
        RiskSuggestion = "risk_suggestion" / "Risk suggestion",
        RiskPeriod = "risk_period" / "Risk assessment period",
        Import = "import" / "Import",
        Proposal = "proposal" / "Observed value to review",
        Scope = "scope" / "ISMS scope",
        SoaEntry = "soa_entry" / "Statement of Applicability entry",
        Evidence = "evidence" / "Evidence",
        SoaVersion = "soa_version" / "Statement of Applicability version",
        Crosswalk = "crosswalk" / "Crosswalk link",
        Catalog = "catalog" / "Control catalogue",
        Bundle = "bundle" / "Audit evidence bundle",
    }
}

impl EntityKind {
    /// The plural used in API paths and page addresses (`/api/v1/assets`).
    pub fn plural(self) -> &'static str {
        match self {
            Self::Site => "sites",
            Self::Zone => "zones",
            Self::Conduit => "conduits",
            Self::Asset => "assets",
            Self::Flow => "flows",
            Self::Interface => "interfaces",
            Self::AuditCheckpoint => "audit-checkpoints",
            Self::User => "users",
            Self::ApiToken => "tokens",
            Self::Signature => "signatures",
            Self::RequirementStatus => "requirement-statuses",
            Self::RequirementText => "requirement-texts",
            Self::System => "systems",
            Self::Risk => "risks",
            Self::RiskModel => "risk-model",
            Self::Supplier => "suppliers",
            Self::ThreatTemplate => "threat-templates",
            Self::RiskSuggestion => "risk-suggestions",
            Self::RiskPeriod => "risk-periods",
            Self::Import => "imports",
            Self::Proposal => "proposals",
            Self::Scope => "scopes",
            Self::SoaEntry => "soa-entries",
            Self::Evidence => "evidence",
            Self::SoaVersion => "soa-versions",
            Self::Crosswalk => "crosswalk",
            Self::Catalog => "catalogs",
            Self::Bundle => "bundles",
        }
    }

    pub fn label_plural(self) -> &'static str {
        match self {
            Self::Site => "Sites",
            Self::Zone => "Zones",
            Self::Conduit => "Conduits",
            Self::Asset => "Assets",
            Self::Flow => "Data flows",
            Self::Interface => "Interfaces",
            Self::AuditCheckpoint => "Audit checkpoints",
            Self::User => "Users",
            Self::ApiToken => "API tokens",
            Self::Signature => "Electronic signatures",
            Self::RequirementStatus => "Requirement statuses",
            Self::RequirementText => "Requirement descriptions",
            Self::System => "Systems under consideration",
            Self::Risk => "Risks",
            Self::RiskModel => "Risk model versions",
            Self::Supplier => "Suppliers",
            Self::ThreatTemplate => "Threat templates",
            Self::RiskSuggestion => "Risk suggestions",
            Self::RiskPeriod => "Risk assessment periods",
            Self::Import => "Imports",
            Self::Proposal => "Observed values to review",
            Self::Scope => "ISMS scopes",
            Self::SoaEntry => "Statement of Applicability entries",
            Self::Evidence => "Evidence",
            Self::SoaVersion => "Statement of Applicability versions",
            Self::Crosswalk => "Crosswalk links",
            Self::Catalog => "Control catalogues",
            Self::Bundle => "Audit evidence bundles",
        }
    }
}

/// What every entity's validated data provides to the generic parts of the system (the
/// store's audit diff, the API, the pages).
pub trait Entity: Serialize + Clone + Send + Sync + 'static {
    type Id: Copy + Into<i64> + Send + Sync + std::fmt::Debug + 'static;
    type Input: DeserializeOwned + Serialize + Default + Clone + Send + Sync + 'static;
    const KIND: EntityKind;

    fn id_from_raw(raw: i64) -> Self::Id;
    /// Validates an input; every bad field is reported.
    fn parse(input: &Self::Input) -> Result<Self, ValidationError>;
    /// The input that parses back into this data.
    fn to_input(&self) -> Self::Input;
    /// The site the entity belongs to; `None` only for a site itself.
    fn site_id(&self) -> Option<SiteId>;
    /// A short human name for lists, history and messages.
    fn display_name(&self) -> String;
    /// The fields, in display order, for forms, tables and the OpenAPI schema.
    fn fields() -> &'static [FieldSpec];
}

/// An entity as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Record<T: Entity> {
    pub id: T::Id,
    #[serde(flatten)]
    pub data: T,
    /// Incremented by every update; a client sends it back to detect a concurrent change.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Accepts a JSON string, number or boolean as text, so that a client sending `"port": 502`
/// or `"port": "502"` gets the same validation and the same messages.
pub(crate) fn loose_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        S(String),
        I(i64),
        F(f64),
        B(bool),
    }
    Ok(match Option::<Loose>::deserialize(d)? {
        None => None,
        Some(Loose::S(s)) => Some(s),
        Some(Loose::I(i)) => Some(i.to_string()),
        Some(Loose::F(f)) => Some(f.to_string()),
        Some(Loose::B(b)) => Some(b.to_string()),
    })
}

/// Accepts a list as a JSON array of strings or as one comma- or newline-separated string
/// (how spreadsheets and forms write lists). Empty items are dropped.
pub(crate) fn loose_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Loose {
        One(String),
        Many(Vec<serde_json::Value>),
    }
    let items: Vec<String> = match Option::<Loose>::deserialize(d)? {
        None => Vec::new(),
        Some(Loose::One(s)) => split_list(&s),
        Some(Loose::Many(v)) => v
            .into_iter()
            .map(|x| match x {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
    };
    Ok(items.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
}

/// Splits a list written as text on commas, semicolons and line breaks.
pub fn split_list(s: &str) -> Vec<String> {
    s.split([',', ';', '\n', '\r']).map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect()
}

/// Accepts a boolean as JSON `true`/`false` or as text (`yes`, `no`, `1`, `0`, `on`, `x`…).
pub(crate) fn loose_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    loose_string(d)
}

/// Parses a loose boolean; `None` and the empty string take the default.
pub(crate) fn parse_bool(input: Option<&str>, default: bool) -> Result<bool, String> {
    let Some(s) = input else { return Ok(default) };
    match s.trim().to_ascii_lowercase().as_str() {
        "" => Ok(default),
        "true" | "yes" | "y" | "1" | "on" | "x" => Ok(true),
        "false" | "no" | "n" | "0" | "off" => Ok(false),
        other => Err(format!("{other:?} is not yes or no")),
    }
}

/// The text of an optional input field, or the empty string.
pub(crate) fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}

/// `Some(text)` when the input field holds non-blank text.
pub(crate) fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}
