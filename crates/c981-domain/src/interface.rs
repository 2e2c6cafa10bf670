//! An interface: a connection from the ISMS scope to a system outside it.

use serde::{Deserialize, Serialize};

use crate::choices;
use crate::entity::{Entity, EntityKind, loose_list, loose_string, opt, present};
use crate::error::{Errors, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::{AssetId, InterfaceId, SiteId, ZoneId};
use crate::values::{Name, Protocol, Short, Text, string_enum};

string_enum! {
    /// The kind of outside system.
    InterfaceKind {
        Mes = "mes" / "MES",
        Erp = "erp" / "ERP",
        Plm = "plm" / "PLM",
        Qms = "qms" / "QMS",
        Lims = "lims" / "LIMS",
        Cmms = "cmms" / "CMMS / maintenance",
        VendorSystem = "vendor_system" / "Vendor system",
        LegacyOt = "legacy_ot" / "Legacy OT",
        CloudService = "cloud_service" / "Cloud service",
        Other = "other" / "Other",
    }
}

string_enum! {
    /// Which way data crosses the boundary, seen from inside the scope.
    InterfaceDirection {
        Inbound = "inbound" / "Inbound",
        Outbound = "outbound" / "Outbound",
        Bidirectional = "bidirectional" / "Both ways",
    }
}

/// An interface to a system outside the ISMS scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interface {
    pub site_id: SiteId,
    pub name: Name,
    pub system_kind: InterfaceKind,
    /// The outside system, e.g. "SAP S/4HANA (corporate)".
    pub external_system: Short,
    /// Who is responsible for the outside system and the interface.
    pub responsible_party: Short,
    /// Where the boundary lies and how its risk is managed.
    pub boundary: Text,
    /// The asset inside scope that terminates the interface, when known.
    pub asset_id: Option<AssetId>,
    pub zone_id: Option<ZoneId>,
    pub protocols: Vec<Protocol>,
    pub direction: InterfaceDirection,
    pub data_exchanged: Text,
}

/// An interface as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InterfaceInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    pub name: Option<String>,
    pub system_kind: Option<String>,
    pub external_system: Option<String>,
    pub responsible_party: Option<String>,
    pub boundary: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub asset_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub zone_id: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub protocols: Vec<String>,
    pub direction: Option<String>,
    pub data_exchanged: Option<String>,
}

impl Entity for Interface {
    type Id = InterfaceId;
    type Input = InterfaceInput;
    const KIND: EntityKind = EntityKind::Interface;

    fn id_from_raw(raw: i64) -> InterfaceId {
        InterfaceId::new(raw)
    }

    fn parse(i: &InterfaceInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let name = e.take("name", Name::parse(opt(&i.name)));
        let system_kind = e.take("system_kind", InterfaceKind::parse(opt(&i.system_kind)));
        let external_system = e.take("external_system", Short::parse(opt(&i.external_system)));
        let responsible_party = e.take(
            "responsible_party",
            Short::parse(opt(&i.responsible_party)).and_then(|s| {
                if s.is_empty() { Err("is required: who answers for the outside system".into()) } else { Ok(s) }
            }),
        );
        let boundary = e.take(
            "boundary",
            Text::parse(opt(&i.boundary)).and_then(|s| {
                if s.is_empty() { Err("is required: describe where the boundary lies".into()) } else { Ok(s) }
            }),
        );
        let asset_id = e.take("asset_id", present(&i.asset_id).map(AssetId::parse).transpose());
        let zone_id = e.take("zone_id", present(&i.zone_id).map(ZoneId::parse).transpose());
        let mut protocols = e.list("protocols", &i.protocols, Protocol::parse);
        let direction = e.take(
            "direction",
            present(&i.direction).map_or(Ok(InterfaceDirection::Bidirectional), InterfaceDirection::parse),
        );
        let data_exchanged = e.take("data_exchanged", Text::parse(opt(&i.data_exchanged)));
        if let Some(p) = protocols.as_mut() {
            p.sort();
            p.dedup();
        }
        e.finish()?;
        Ok(Interface {
            site_id: site_id.unwrap(),
            name: name.unwrap(),
            system_kind: system_kind.unwrap(),
            external_system: external_system.unwrap(),
            responsible_party: responsible_party.unwrap(),
            boundary: boundary.unwrap(),
            asset_id: asset_id.unwrap(),
            zone_id: zone_id.unwrap(),
            protocols: protocols.unwrap(),
            direction: direction.unwrap(),
            data_exchanged: data_exchanged.unwrap(),
        })
    }

    fn to_input(&self) -> InterfaceInput {
        InterfaceInput {
            site_id: Some(self.site_id.to_string()),
            name: Some(self.name.to_string()),
            system_kind: Some(self.system_kind.as_str().into()),
            external_system: Some(self.external_system.as_str().into()),
            responsible_party: Some(self.responsible_party.as_str().into()),
            boundary: Some(self.boundary.as_str().into()),
            asset_id: self.asset_id.map(|a| a.to_string()),
            zone_id: self.zone_id.map(|z| z.to_string()),
            protocols: self.protocols.iter().map(|p| p.as_str().into()).collect(),
            direction: Some(self.direction.as_str().into()),
            data_exchanged: Some(self.data_exchanged.as_str().into()),
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
            F::new("system_kind", "System kind", K::Choice(choices!(InterfaceKind))).required().column(),
            F::new("external_system", "Outside system", K::Text).column(),
            F::new("responsible_party", "Responsible party", K::Text).required().column(),
            F::new("boundary", "Boundary", K::LongText)
                .required()
                .help("where the boundary lies and how its risk is managed"),
            F::new("asset_id", "Asset inside scope", K::Ref(EntityKind::Asset)),
            F::new("zone_id", "Zone", K::Ref(EntityKind::Zone)).column(),
            F::new("protocols", "Protocols", K::List).column(),
            F::new("direction", "Direction", K::Choice(choices!(InterfaceDirection))).column(),
            F::new("data_exchanged", "Data exchanged", K::LongText),
        ];
        FIELDS
    }
}
