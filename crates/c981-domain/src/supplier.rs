//! A supplier relationship of a site (ISO/IEC 27001:2022 Annex A 5.19 to 5.23; IEC 62443-2-4
//! for service providers): who delivers, maintains or operates something for the plant, and
//! the shared responsibilities written down for it (who patches, who monitors, how soon an
//! incident is reported, whether the supplier reaches the plant remotely).
//!
//! A supplier that serves several plants has one record per plant: contracts, contacts,
//! remote access and the assets concerned differ from plant to plant, and every record stays
//! within the site scope of the people who manage it.

use serde::{Deserialize, Serialize};

use crate::choices;
use crate::entity::{Entity, EntityKind, loose_bool, loose_list, loose_string, opt, parse_bool, present};
use crate::error::{Errors, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::{AssetId, SiteId, SupplierId};
use crate::values::{Criticality, Date, Name, Short, Text, string_enum};

string_enum! {
    /// What a supplier is to the plant.
    SupplierKind {
        AutomationVendor = "automation_vendor" / "Automation vendor (OEM)",
        SystemIntegrator = "system_integrator" / "System integrator",
        MachineBuilder = "machine_builder" / "Machine builder",
        CloudProvider = "cloud_provider" / "Cloud or IIoT platform provider",
        ManagedService = "managed_service" / "Managed service provider",
        SoftwareVendor = "software_vendor" / "Software vendor",
        Maintenance = "maintenance" / "Maintenance contractor",
        Telecom = "telecom" / "Telecom or network provider",
        Other = "other" / "Other",
    }
}

string_enum! {
    /// Who carries a duty of the shared responsibility.
    Responsibility {
        Supplier = "supplier" / "The supplier",
        Us = "us" / "We do",
        Shared = "shared" / "Shared",
        Nobody = "nobody" / "Nobody (not agreed)",
    }
}

/// A supplier relationship.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Supplier {
    pub site_id: SiteId,
    pub name: Name,
    pub kind: SupplierKind,
    /// What the supplier provides to the plant.
    pub services: Text,
    /// The contact for security matters (name, e-mail or phone).
    pub contact: Short,
    /// The contract or framework agreement that carries the security clauses.
    pub contract: Short,
    pub criticality: Criticality,
    /// The supplier reaches the plant's systems remotely (vendor remote access).
    pub remote_access: bool,
    /// Who applies patches and firmware updates to what the supplier delivers.
    pub patching: Responsibility,
    /// Who monitors it for security events.
    pub monitoring: Responsibility,
    /// Within how many hours the supplier reports a security incident to us.
    pub incident_notice_hours: Option<u32>,
    /// The security requirements agreed (contract clauses, IEC 62443-2-4 capabilities).
    pub security_requirements: Text,
    /// Certifications or attestations held (ISO/IEC 27001, IEC 62443-2-4, SOC 2…).
    pub certifications: Vec<Short>,
    /// The assets the supplier delivers, maintains or reaches.
    pub asset_ids: Vec<AssetId>,
    /// When the supplier's security was last assessed.
    pub assessed_on: Option<Date>,
    /// When the relationship is reviewed next.
    pub next_review: Option<Date>,
    pub description: Text,
}

/// A supplier as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupplierInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub services: Option<String>,
    pub contact: Option<String>,
    pub contract: Option<String>,
    pub criticality: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub remote_access: Option<String>,
    pub patching: Option<String>,
    pub monitoring: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub incident_notice_hours: Option<String>,
    pub security_requirements: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub certifications: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub asset_ids: Vec<String>,
    #[serde(deserialize_with = "loose_string")]
    pub assessed_on: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub next_review: Option<String>,
    pub description: Option<String>,
}

/// The most assets a supplier record names.
pub const MAX_SUPPLIER_ASSETS: usize = 1000;

impl Entity for Supplier {
    type Id = SupplierId;
    type Input = SupplierInput;
    const KIND: EntityKind = EntityKind::Supplier;

    fn id_from_raw(raw: i64) -> SupplierId {
        SupplierId::new(raw)
    }

    fn parse(i: &SupplierInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let name = e.take("name", Name::parse(opt(&i.name)));
        let kind = e.take("kind", present(&i.kind).map_or(Ok(SupplierKind::Other), SupplierKind::parse));
        let services = e.take(
            "services",
            Text::parse(opt(&i.services)).and_then(|s| {
                if s.is_empty() {
                    Err("is required: say what the supplier provides to the plant".into())
                } else {
                    Ok(s)
                }
            }),
        );
        let contact = e.take("contact", Short::parse(opt(&i.contact)));
        let contract = e.take("contract", Short::parse(opt(&i.contract)));
        let criticality =
            e.take("criticality", present(&i.criticality).map_or(Ok(Criticality::Medium), Criticality::parse));
        let remote_access = e.take("remote_access", parse_bool(i.remote_access.as_deref(), false));
        let patching =
            e.take("patching", present(&i.patching).map_or(Ok(Responsibility::Nobody), Responsibility::parse));
        let monitoring =
            e.take("monitoring", present(&i.monitoring).map_or(Ok(Responsibility::Nobody), Responsibility::parse));
        let incident_notice_hours = e.take(
            "incident_notice_hours",
            present(&i.incident_notice_hours)
                .map(|s| {
                    s.parse::<u32>()
                        .ok()
                        .filter(|h| *h <= 24 * 90)
                        .ok_or_else(|| format!("{s:?} is not a number of hours (0 to 2160)"))
                })
                .transpose(),
        );
        let security_requirements = e.take("security_requirements", Text::parse(opt(&i.security_requirements)));
        let certifications = e.list("certifications", &i.certifications, Short::parse).map(|mut v| {
            v.retain(|c| !c.is_empty());
            v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            v.dedup();
            v
        });
        let asset_ids = if i.asset_ids.len() > MAX_SUPPLIER_ASSETS {
            e.push("asset_ids", format!("has {} items; at most {MAX_SUPPLIER_ASSETS}", i.asset_ids.len()));
            None
        } else {
            e.list("asset_ids", &i.asset_ids, AssetId::parse).map(|mut v| {
                v.sort();
                v.dedup();
                v
            })
        };
        let assessed_on = e.take("assessed_on", present(&i.assessed_on).map(Date::parse).transpose());
        let next_review = e.take("next_review", present(&i.next_review).map(Date::parse).transpose());
        let description = e.take("description", Text::parse(opt(&i.description)));
        if remote_access == Some(true) && monitoring == Some(Responsibility::Nobody) {
            e.push(
                "monitoring",
                "a supplier with remote access needs someone who monitors it: say who (the supplier, we, or shared)",
            );
        }
        e.finish()?;
        Ok(Supplier {
            site_id: site_id.unwrap(),
            name: name.unwrap(),
            kind: kind.unwrap(),
            services: services.unwrap(),
            contact: contact.unwrap(),
            contract: contract.unwrap(),
            criticality: criticality.unwrap(),
            remote_access: remote_access.unwrap(),
            patching: patching.unwrap(),
            monitoring: monitoring.unwrap(),
            incident_notice_hours: incident_notice_hours.unwrap(),
            security_requirements: security_requirements.unwrap(),
            certifications: certifications.unwrap(),
            asset_ids: asset_ids.unwrap(),
            assessed_on: assessed_on.unwrap(),
            next_review: next_review.unwrap(),
            description: description.unwrap(),
        })
    }

    fn to_input(&self) -> SupplierInput {
        SupplierInput {
            site_id: Some(self.site_id.to_string()),
            name: Some(self.name.to_string()),
            kind: Some(self.kind.as_str().into()),
            services: Some(self.services.as_str().into()),
            contact: Some(self.contact.as_str().into()),
            contract: Some(self.contract.as_str().into()),
            criticality: Some(self.criticality.as_str().into()),
            remote_access: Some(self.remote_access.to_string()),
            patching: Some(self.patching.as_str().into()),
            monitoring: Some(self.monitoring.as_str().into()),
            incident_notice_hours: self.incident_notice_hours.map(|h| h.to_string()),
            security_requirements: Some(self.security_requirements.as_str().into()),
            certifications: self.certifications.iter().map(|c| c.as_str().into()).collect(),
            asset_ids: self.asset_ids.iter().map(ToString::to_string).collect(),
            assessed_on: self.assessed_on.map(|d| d.to_string()),
            next_review: self.next_review.map(|d| d.to_string()),
            description: Some(self.description.as_str().into()),
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
            F::new("kind", "Kind", K::Choice(choices!(SupplierKind))).column(),
            F::new("services", "Services", K::LongText).required().help("what the supplier provides to the plant"),
            F::new("contact", "Security contact", K::Text),
            F::new("contract", "Contract", K::Text).help("the agreement that carries the security clauses"),
            F::new("criticality", "Criticality", K::Choice(choices!(Criticality))).column(),
            F::new("remote_access", "Remote access", K::Bool)
                .column()
                .help("the supplier reaches plant systems remotely"),
            F::new("patching", "Who patches", K::Choice(choices!(Responsibility))).column(),
            F::new("monitoring", "Who monitors", K::Choice(choices!(Responsibility))).column(),
            F::new("incident_notice_hours", "Incident notice (hours)", K::Int)
                .help("within how many hours the supplier reports a security incident"),
            F::new("security_requirements", "Security requirements", K::LongText),
            F::new("certifications", "Certifications", K::List).help("ISO/IEC 27001, IEC 62443-2-4, SOC 2…"),
            F::new("asset_ids", "Assets", K::RefList(EntityKind::Asset)),
            F::new("assessed_on", "Last assessed", K::Date),
            F::new("next_review", "Next review", K::Date).column(),
            F::new("description", "Description", K::LongText),
        ];
        FIELDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SupplierInput {
        SupplierInput {
            site_id: Some("1".into()),
            name: Some("Rockwell field service".into()),
            kind: Some("automation_vendor".into()),
            services: Some("PLC and drive maintenance".into()),
            remote_access: Some("yes".into()),
            monitoring: Some("us".into()),
            incident_notice_hours: Some("24".into()),
            asset_ids: vec!["5".into(), "3".into(), "5".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_supplier_parses_and_round_trips() {
        let s = Supplier::parse(&input()).unwrap();
        assert_eq!(s.asset_ids, vec![AssetId::new(3), AssetId::new(5)]);
        assert_eq!(s.incident_notice_hours, Some(24));
        assert_eq!(Supplier::parse(&s.to_input()).unwrap(), s);
    }

    #[test]
    fn remote_access_without_anyone_monitoring_it_is_refused() {
        let mut i = input();
        i.monitoring = None;
        let e = Supplier::parse(&i).unwrap_err();
        assert!(e.errors.iter().any(|f| f.field == "monitoring"), "{e:?}");
    }

    #[test]
    fn services_are_required_and_hours_are_bounded() {
        let mut i = input();
        i.services = Some(" ".into());
        i.incident_notice_hours = Some("-3".into());
        let e = Supplier::parse(&i).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert!(fields.contains(&"services") && fields.contains(&"incident_notice_hours"), "{fields:?}");
    }
}
