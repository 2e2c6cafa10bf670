//! How each entity maps to its table. Column names are the entity's field names, so a row
//! renders straight to the API's JSON and an input parses straight from it.

use c981_domain::entity::Entity;
use c981_domain::flow::Endpoint;
use c981_domain::{
    Asset, Conduit, DataFlow, EntityKind, Evidence, Interface, IsmsScope, RequirementStatus, Risk, Site, SoaEntry,
    SoaVersion, Supplier, SystemUnderConsideration, Zone,
};

/// How a column is stored and rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// TEXT NOT NULL, a JSON string.
    Text,
    /// Nullable TEXT, a JSON string or null.
    OptText,
    /// Nullable integer, a JSON number or null.
    OptInt,
    /// Integer, a JSON number.
    Int,
    /// Boolean.
    Bool,
    /// A JSON array stored as text.
    List,
    /// Nullable integer microseconds, an RFC 3339 string or null.
    OptTime,
    /// A JSON object stored as text (the impacts of a risk rating).
    Json,
}

/// One column.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub name: &'static str,
    pub ty: ColType,
}

const fn c(name: &'static str, ty: ColType) -> Col {
    Col { name, ty }
}

/// A filter a list accepts: the query parameter is the column name.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    pub name: &'static str,
    pub ty: ColType,
}

const fn f(name: &'static str, ty: ColType) -> Filter {
    Filter { name, ty }
}

/// Extra rows kept beside an entity's row.
pub enum Links {
    None,
    /// `conduit_zones`: the zones of a conduit, in order.
    ConduitZones(Vec<i64>),
    /// `system_zones`: the zones of a system under consideration, in order.
    SystemZones(Vec<i64>),
    /// The records a risk is about: `(link table, column of the record, ids in order)`.
    Risk(Vec<(&'static str, &'static str, Vec<i64>)>),
    /// `supplier_assets`: the assets of a supplier.
    SupplierAssets(Vec<i64>),
    /// Link tables owned through one column: `(owner column, [(link table, column of the
    /// record, ids in order)])`.
    Owned(&'static str, Vec<(&'static str, &'static str, Vec<i64>)>),
}

/// The rows of one link table for one record.
pub(crate) struct LinkSet<'a> {
    /// The link table.
    pub table: &'static str,
    /// Its column naming the owning record.
    pub owner: &'static str,
    /// Its column naming the linked record.
    pub target: &'static str,
    /// The linked records, in order.
    pub ids: &'a [i64],
}

impl Links {
    /// Every link table the record writes, with its rows (an empty set still clears the
    /// table's old rows on update).
    pub(crate) fn sets(&self) -> Vec<LinkSet<'_>> {
        match self {
            Self::None => Vec::new(),
            Self::ConduitZones(z) => {
                vec![LinkSet { table: "conduit_zones", owner: "conduit_id", target: "zone_id", ids: z }]
            }
            Self::SystemZones(z) => {
                vec![LinkSet { table: "system_zones", owner: "system_id", target: "zone_id", ids: z }]
            }
            Self::SupplierAssets(a) => {
                vec![LinkSet { table: "supplier_assets", owner: "supplier_id", target: "asset_id", ids: a }]
            }
            Self::Risk(sets) => {
                sets.iter().map(|(table, target, ids)| LinkSet { table, owner: "risk_id", target, ids }).collect()
            }
            Self::Owned(owner, sets) => {
                sets.iter().map(|(table, target, ids)| LinkSet { table, owner, target, ids }).collect()
            }
        }
    }
}

/// An entity the store can keep.
pub trait Table: Entity {
    const TABLE: &'static str;
    /// Data columns in order (without `id`, `version`, `created_at`, `updated_at`).
    const COLUMNS: &'static [Col];
    /// Extra stored columns derived from the data (not part of the API).
    const DERIVED: &'static [Col] = &[];
    const FILTERS: &'static [Filter];
    /// Columns a free-text search looks in.
    const SEARCH: &'static [&'static str];

    /// References to other entities that must exist in the same site: (field, kind, id).
    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)>;
    fn links(&self) -> Links {
        Links::None
    }
    /// Values of [`Table::DERIVED`] columns, as JSON.
    fn derived(&self) -> Vec<serde_json::Value> {
        Vec::new()
    }
}

use ColType::*;

impl Table for Site {
    const TABLE: &'static str = "sites";
    const COLUMNS: &'static [Col] = &[
        c("code", Text),
        c("name", Text),
        c("country", Text),
        c("time_zone", Text),
        c("industry", Text),
        c("regulations", List),
        c("description", Text),
    ];
    const FILTERS: &'static [Filter] = &[f("code", Text), f("country", Text), f("industry", Text)];
    const SEARCH: &'static [&'static str] = &["code", "name"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        Vec::new()
    }
}

impl Table for Zone {
    const TABLE: &'static str = "zones";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("name", Text),
        c("kind", Text),
        c("purdue_level", OptText),
        c("subnets", List),
        c("sl_target", Text),
        c("criticality", Text),
        c("description", Text),
    ];
    const FILTERS: &'static [Filter] = &[f("kind", Text), f("purdue_level", OptText), f("criticality", Text)];
    const SEARCH: &'static [&'static str] = &["name"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        vec![("site_id", EntityKind::Site, self.site_id.get())]
    }
}

impl Table for Conduit {
    const TABLE: &'static str = "conduits";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("name", Text),
        c("zone_ids", List),
        c("services", List),
        c("direction", Text),
        c("encryption_required", Bool),
        c("sl_target", Text),
        c("description", Text),
    ];
    const FILTERS: &'static [Filter] = &[f("direction", Text), f("encryption_required", Bool)];
    const SEARCH: &'static [&'static str] = &["name"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        let mut r = vec![("site_id", EntityKind::Site, self.site_id.get())];
        r.extend(self.zone_ids.iter().map(|z| ("zone_ids", EntityKind::Zone, z.get())));
        r
    }

    fn links(&self) -> Links {
        Links::ConduitZones(self.zone_ids.iter().map(|z| z.get()).collect())
    }
}

impl Table for Asset {
    const TABLE: &'static str = "assets";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("zone_id", OptInt),
        c("name", Text),
        c("kind", Text),
        c("vendor", Text),
        c("model", Text),
        c("serial", Text),
        c("firmware", Text),
        c("ip_addresses", List),
        c("mac_addresses", List),
        c("protocols", List),
        c("purdue_level", OptText),
        c("criticality", Text),
        c("owner", Text),
        c("in_service", Bool),
        c("end_of_support", OptText),
        c("legacy", Bool),
        c("in_scope", Bool),
        c("provenance", Text),
        c("sources", List),
        c("first_seen", OptTime),
        c("last_seen", OptTime),
        c("tags", List),
        c("description", Text),
        c("safety_related", Bool),
        c("wireless", Bool),
        c("temporarily_connected", Bool),
        c("externally_reached", Bool),
        c("sl_capability", OptText),
    ];
    const FILTERS: &'static [Filter] = &[
        f("zone_id", OptInt),
        f("kind", Text),
        f("criticality", Text),
        f("provenance", Text),
        f("vendor", Text),
        f("purdue_level", OptText),
        f("in_scope", Bool),
        f("legacy", Bool),
        f("in_service", Bool),
        f("safety_related", Bool),
        f("wireless", Bool),
        f("temporarily_connected", Bool),
        f("externally_reached", Bool),
    ];
    const SEARCH: &'static [&'static str] = &["name", "vendor", "model", "firmware"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        let mut r = vec![("site_id", EntityKind::Site, self.site_id.get())];
        if let Some(z) = self.zone_id {
            r.push(("zone_id", EntityKind::Zone, z.get()));
        }
        r
    }
}

impl Table for DataFlow {
    const TABLE: &'static str = "flows";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("source_asset_id", OptInt),
        c("source_external", OptText),
        c("destination_asset_id", OptInt),
        c("destination_external", OptText),
        c("protocol", Text),
        c("port", OptInt),
        c("direction", Text),
        c("encrypted", Bool),
        c("purpose", Text),
        c("documented", Bool),
        c("observed", Bool),
        c("first_seen", OptTime),
        c("last_seen", OptTime),
        c("connection_count", OptInt),
        c("byte_count", OptInt),
    ];
    const DERIVED: &'static [Col] = &[c("source_key", Text), c("destination_key", Text), c("port_key", Int)];
    const FILTERS: &'static [Filter] = &[
        f("protocol", Text),
        f("port", OptInt),
        f("source_asset_id", OptInt),
        f("destination_asset_id", OptInt),
        f("encrypted", Bool),
        f("documented", Bool),
        f("observed", Bool),
    ];
    const SEARCH: &'static [&'static str] = &["source_external", "destination_external", "protocol", "purpose"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        let mut r = vec![("site_id", EntityKind::Site, self.site_id.get())];
        if let Endpoint::Asset { asset_id } = &self.source {
            r.push(("source_asset_id", EntityKind::Asset, asset_id.get()));
        }
        if let Endpoint::Asset { asset_id } = &self.destination {
            r.push(("destination_asset_id", EntityKind::Asset, asset_id.get()));
        }
        r
    }

    fn derived(&self) -> Vec<serde_json::Value> {
        vec![self.source.key().into(), self.destination.key().into(), i64::from(self.port.unwrap_or(0)).into()]
    }
}

impl Table for Interface {
    const TABLE: &'static str = "interfaces";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("name", Text),
        c("system_kind", Text),
        c("external_system", Text),
        c("responsible_party", Text),
        c("boundary", Text),
        c("asset_id", OptInt),
        c("zone_id", OptInt),
        c("protocols", List),
        c("direction", Text),
        c("data_exchanged", Text),
    ];
    const FILTERS: &'static [Filter] = &[f("system_kind", Text), f("zone_id", OptInt), f("asset_id", OptInt)];
    const SEARCH: &'static [&'static str] = &["name", "external_system", "responsible_party"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        let mut r = vec![("site_id", EntityKind::Site, self.site_id.get())];
        if let Some(a) = self.asset_id {
            r.push(("asset_id", EntityKind::Asset, a.get()));
        }
        if let Some(z) = self.zone_id {
            r.push(("zone_id", EntityKind::Zone, z.get()));
        }
        r
    }
}

impl Table for RequirementStatus {
    const TABLE: &'static str = "requirement_statuses";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("zone_id", OptInt),
        c("conduit_id", OptInt),
        c("requirement", Text),
        c("status", Text),
        c("justification", Text),
        c("owner", Text),
        c("evidence", List),
    ];
    const FILTERS: &'static [Filter] =
        &[f("zone_id", OptInt), f("conduit_id", OptInt), f("requirement", Text), f("status", Text)];
    const SEARCH: &'static [&'static str] = &["requirement", "justification", "owner"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        let mut r = vec![("site_id", EntityKind::Site, self.site_id.get())];
        if let Some(z) = self.zone_id {
            r.push(("zone_id", EntityKind::Zone, z.get()));
        }
        if let Some(c) = self.conduit_id {
            r.push(("conduit_id", EntityKind::Conduit, c.get()));
        }
        r
    }
}

impl Table for SystemUnderConsideration {
    const TABLE: &'static str = "systems";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("name", Text),
        c("description", Text),
        c("zone_ids", List),
        c("owner", Text),
        c("zcr1_status", Text),
        c("zcr1_evidence", List),
        c("zcr2_status", Text),
        c("zcr2_evidence", List),
        c("zcr3_status", Text),
        c("zcr3_evidence", List),
        c("zcr4_status", Text),
        c("zcr4_evidence", List),
        c("zcr5_status", Text),
        c("zcr5_evidence", List),
        c("zcr6_status", Text),
        c("zcr6_evidence", List),
        c("zcr7_status", Text),
        c("zcr7_evidence", List),
    ];
    const FILTERS: &'static [Filter] = &[f("zcr7_status", Text)];
    const SEARCH: &'static [&'static str] = &["name", "owner"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        let mut r = vec![("site_id", EntityKind::Site, self.site_id.get())];
        r.extend(self.zone_ids.iter().map(|z| ("zone_ids", EntityKind::Zone, z.get())));
        r
    }

    fn links(&self) -> Links {
        Links::SystemZones(self.zone_ids.iter().map(|z| z.get()).collect())
    }
}

impl Table for Risk {
    const TABLE: &'static str = "risks";
    /// The computed columns (`model_version` to `needs_rerating`) come last: a re-rating
    /// rewrites that tail of the stored document in SQL (see `risk.rs`).
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("title", Text),
        c("threat_source", Text),
        c("threat_event", Text),
        c("vulnerability", Text),
        c("consequence", Text),
        c("asset_ids", List),
        c("zone_ids", List),
        c("conduit_ids", List),
        c("flow_ids", List),
        c("interface_ids", List),
        c("supplier_ids", List),
        c("other_site_ids", List),
        c("origin", Text),
        c("inherent_likelihood", OptInt),
        c("inherent_impacts", Json),
        c("existing_controls", List),
        c("control_ids", List),
        c("treatment", OptText),
        c("plan", List),
        c("residual_likelihood", OptInt),
        c("residual_impacts", Json),
        c("risk_owner", Text),
        c("review_date", OptText),
        c("state", Text),
        c("model_version", Int),
        c("inherent_level", OptInt),
        c("residual_level", OptInt),
        c("inherent_impact", OptInt),
        c("residual_impact", OptInt),
        c("needs_rerating", Bool),
    ];
    const DERIVED: &'static [Col] = &[c("next_due", OptText)];
    const FILTERS: &'static [Filter] = &[
        f("state", Text),
        f("treatment", OptText),
        f("inherent_level", OptInt),
        f("residual_level", OptInt),
        f("risk_owner", Text),
        f("needs_rerating", Bool),
        f("model_version", Int),
    ];
    const SEARCH: &'static [&'static str] = &["title", "risk_owner", "threat_source", "threat_event"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        let mut r = vec![("site_id", EntityKind::Site, self.site_id.get())];
        r.extend(self.asset_ids.iter().map(|x| ("asset_ids", EntityKind::Asset, x.get())));
        r.extend(self.zone_ids.iter().map(|x| ("zone_ids", EntityKind::Zone, x.get())));
        r.extend(self.conduit_ids.iter().map(|x| ("conduit_ids", EntityKind::Conduit, x.get())));
        r.extend(self.flow_ids.iter().map(|x| ("flow_ids", EntityKind::Flow, x.get())));
        r.extend(self.interface_ids.iter().map(|x| ("interface_ids", EntityKind::Interface, x.get())));
        r.extend(self.supplier_ids.iter().map(|x| ("supplier_ids", EntityKind::Supplier, x.get())));
        r.extend(self.other_site_ids.iter().map(|x| ("other_site_ids", EntityKind::Site, x.get())));
        r
    }

    fn links(&self) -> Links {
        Links::Risk(vec![
            ("risk_suppliers", "supplier_id", self.supplier_ids.iter().map(|x| x.get()).collect()),
            ("risk_sites", "other_site_id", self.other_site_ids.iter().map(|x| x.get()).collect()),
            ("risk_assets", "asset_id", self.asset_ids.iter().map(|x| x.get()).collect()),
            ("risk_zones", "zone_id", self.zone_ids.iter().map(|x| x.get()).collect()),
            ("risk_conduits", "conduit_id", self.conduit_ids.iter().map(|x| x.get()).collect()),
            ("risk_flows", "flow_id", self.flow_ids.iter().map(|x| x.get()).collect()),
            ("risk_interfaces", "interface_id", self.interface_ids.iter().map(|x| x.get()).collect()),
        ])
    }

    fn derived(&self) -> Vec<serde_json::Value> {
        vec![self.next_due().map_or(serde_json::Value::Null, |d| d.to_string().into())]
    }
}

impl Table for Supplier {
    const TABLE: &'static str = "suppliers";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("name", Text),
        c("kind", Text),
        c("services", Text),
        c("contact", Text),
        c("contract", Text),
        c("criticality", Text),
        c("remote_access", Bool),
        c("patching", Text),
        c("monitoring", Text),
        c("incident_notice_hours", OptInt),
        c("security_requirements", Text),
        c("certifications", List),
        c("asset_ids", List),
        c("assessed_on", OptText),
        c("next_review", OptText),
        c("description", Text),
    ];
    const FILTERS: &'static [Filter] = &[
        f("kind", Text),
        f("criticality", Text),
        f("remote_access", Bool),
        f("patching", Text),
        f("monitoring", Text),
    ];
    const SEARCH: &'static [&'static str] = &["name", "services", "contact", "contract"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        let mut r = vec![("site_id", EntityKind::Site, self.site_id.get())];
        r.extend(self.asset_ids.iter().map(|x| ("asset_ids", EntityKind::Asset, x.get())));
        r
    }

    fn links(&self) -> Links {
        Links::SupplierAssets(self.asset_ids.iter().map(|x| x.get()).collect())
    }
}

fn raw<T: Copy + Into<i64>>(ids: &[T]) -> Vec<i64> {
    ids.iter().map(|x| (*x).into()).collect()
}

impl Table for IsmsScope {
    const TABLE: &'static str = "isms_scopes";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("name", Text),
        c("statement", Text),
        c("zone_ids", List),
        c("system_ids", List),
        c("services", List),
        c("teams", List),
        c("interface_ids", List),
        c("exclusions", Text),
        c("owner", Text),
        c("next_review", OptText),
    ];
    const FILTERS: &'static [Filter] = &[f("owner", Text)];
    const SEARCH: &'static [&'static str] = &["name", "statement", "owner"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        let mut r = vec![("site_id", EntityKind::Site, self.site_id.get())];
        r.extend(self.zone_ids.iter().map(|x| ("zone_ids", EntityKind::Zone, x.get())));
        r.extend(self.system_ids.iter().map(|x| ("system_ids", EntityKind::System, x.get())));
        r.extend(self.interface_ids.iter().map(|x| ("interface_ids", EntityKind::Interface, x.get())));
        r
    }

    fn links(&self) -> Links {
        Links::Owned(
            "scope_id",
            vec![
                ("scope_zones", "zone_id", raw(&self.zone_ids)),
                ("scope_systems", "system_id", raw(&self.system_ids)),
                ("scope_interfaces", "interface_id", raw(&self.interface_ids)),
            ],
        )
    }
}

impl Table for SoaEntry {
    const TABLE: &'static str = "soa_entries";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("scope_id", Int),
        c("control", Text),
        c("applicability", Text),
        c("justification", Text),
        c("status", Text),
        c("implementation", Text),
        c("owner", Text),
        c("risk_ids", List),
        c("evidence_ids", List),
        c("requirements", List),
        c("next_review", OptText),
    ];
    const DERIVED: &'static [Col] = &[c("control_order", Int)];
    const FILTERS: &'static [Filter] =
        &[f("scope_id", Int), f("control", Text), f("applicability", Text), f("status", Text), f("owner", Text)];
    const SEARCH: &'static [&'static str] = &["control", "justification", "implementation", "owner"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        let mut r = vec![
            ("site_id", EntityKind::Site, self.site_id.get()),
            ("scope_id", EntityKind::Scope, self.scope_id.get()),
        ];
        r.extend(self.risk_ids.iter().map(|x| ("risk_ids", EntityKind::Risk, x.get())));
        r.extend(self.evidence_ids.iter().map(|x| ("evidence_ids", EntityKind::Evidence, x.get())));
        r
    }

    fn links(&self) -> Links {
        Links::Owned(
            "entry_id",
            vec![
                ("soa_risks", "risk_id", raw(&self.risk_ids)),
                ("soa_evidence", "evidence_id", raw(&self.evidence_ids)),
            ],
        )
    }

    fn derived(&self) -> Vec<serde_json::Value> {
        vec![serde_json::json!(c981_domain::isms::control_order(self.control))]
    }
}

impl Table for Evidence {
    const TABLE: &'static str = "evidence";
    const COLUMNS: &'static [Col] = &[
        c("site_id", Int),
        c("title", Text),
        c("kind", Text),
        c("reference", Text),
        c("sha256", OptText),
        c("file_name", Text),
        c("size", OptInt),
        c("evidence_date", Text),
        c("valid_until", OptText),
        c("description", Text),
    ];
    const FILTERS: &'static [Filter] = &[f("kind", Text), f("sha256", OptText)];
    const SEARCH: &'static [&'static str] = &["title", "reference", "file_name", "description"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        vec![("site_id", EntityKind::Site, self.site_id.get())]
    }
}

impl Table for SoaVersion {
    const TABLE: &'static str = "soa_versions";
    const COLUMNS: &'static [Col] =
        &[c("site_id", Int), c("scope_id", Int), c("number", Int), c("note", Text), c("snapshot", Json)];
    const DERIVED: &'static [Col] = &[c("fingerprint", Text)];
    const FILTERS: &'static [Filter] = &[f("scope_id", Int)];
    const SEARCH: &'static [&'static str] = &["note"];

    fn refs(&self) -> Vec<(&'static str, EntityKind, i64)> {
        vec![("site_id", EntityKind::Site, self.site_id.get()), ("scope_id", EntityKind::Scope, self.scope_id.get())]
    }

    fn derived(&self) -> Vec<serde_json::Value> {
        vec![serde_json::Value::from(self.fingerprint())]
    }
}

/// The table of an entity kind.
pub fn table_of(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Site => "sites",
        EntityKind::Zone => "zones",
        EntityKind::Conduit => "conduits",
        EntityKind::Asset => "assets",
        EntityKind::Flow => "flows",
        EntityKind::Interface => "interfaces",
        EntityKind::AuditCheckpoint => "audit_log",
        EntityKind::User => "users",
        EntityKind::ApiToken => "api_tokens",
        EntityKind::Signature => "signatures",
        EntityKind::RequirementStatus => "requirement_statuses",
        EntityKind::RequirementText => "requirement_texts",
        EntityKind::System => "systems",
        EntityKind::Risk => "risks",
        EntityKind::RiskModel => "risk_models",
        EntityKind::Supplier => "suppliers",
        EntityKind::ThreatTemplate => "threat_templates",
        EntityKind::RiskSuggestion => "risk_suggestion_dismissals",
        EntityKind::RiskPeriod => "risk_periods",
        EntityKind::Import => "imports",
        EntityKind::Proposal => "asset_proposals",
        EntityKind::Scope => "isms_scopes",
        EntityKind::SoaEntry => "soa_entries",
        EntityKind::Evidence => "evidence",
        EntityKind::SoaVersion => "soa_versions",
        EntityKind::Crosswalk => "crosswalk_links",
        EntityKind::Catalog => "catalogs",
        EntityKind::Bundle => "audit_log",
    }
}
