//! An IEC 62443 conduit: the communication channels between zones.

use serde::{Deserialize, Serialize};

use crate::choices;
use crate::entity::{Entity, EntityKind, loose_bool, loose_list, loose_string, opt, parse_bool, present};
use crate::error::{Errors, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::{ConduitId, SiteId, ZoneId};
use crate::values::{Name, Service, SlVector, Text, string_enum};

string_enum! {
    /// Which way traffic may be initiated through a conduit.
    ConduitDirection {
        Bidirectional = "bidirectional" / "Both ways",
        Unidirectional = "unidirectional" / "One way, from the first zone",
    }
}

/// A conduit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conduit {
    pub site_id: SiteId,
    pub name: Name,
    /// The zones it joins: at least two, distinct; with a one-way conduit the first is the
    /// sender.
    pub zone_ids: Vec<ZoneId>,
    /// Allowed protocols and ports; empty means nothing is allowed yet.
    pub services: Vec<Service>,
    pub direction: ConduitDirection,
    pub encryption_required: bool,
    pub sl_target: SlVector,
    pub description: Text,
}

/// A conduit as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConduitInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    pub name: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zone_ids: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub services: Vec<String>,
    pub direction: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub encryption_required: Option<String>,
    pub sl_target: Option<String>,
    pub description: Option<String>,
}

impl Entity for Conduit {
    type Id = ConduitId;
    type Input = ConduitInput;
    const KIND: EntityKind = EntityKind::Conduit;

    fn id_from_raw(raw: i64) -> ConduitId {
        ConduitId::new(raw)
    }

    fn parse(i: &ConduitInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let name = e.take("name", Name::parse(opt(&i.name)));
        let zone_ids = e.list("zone_ids", &i.zone_ids, ZoneId::parse);
        if let Some(z) = &zone_ids {
            let mut distinct = z.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() != z.len() {
                e.push("zone_ids", "a zone is listed twice");
            } else if z.len() < 2 {
                e.push("zone_ids", "a conduit joins at least two zones");
            }
        }
        let mut services = e.list("services", &i.services, Service::parse);
        let direction = e.take(
            "direction",
            present(&i.direction).map_or(Ok(ConduitDirection::Bidirectional), ConduitDirection::parse),
        );
        let encryption_required = e.take("encryption_required", parse_bool(i.encryption_required.as_deref(), false));
        let sl_target = e.take("sl_target", present(&i.sl_target).map_or(Ok(SlVector::default()), SlVector::parse));
        let description = e.take("description", Text::parse(opt(&i.description)));
        if let Some(s) = services.as_mut() {
            s.sort();
            s.dedup();
        }
        e.finish()?;
        Ok(Conduit {
            site_id: site_id.unwrap(),
            name: name.unwrap(),
            zone_ids: zone_ids.unwrap(),
            services: services.unwrap(),
            direction: direction.unwrap(),
            encryption_required: encryption_required.unwrap(),
            sl_target: sl_target.unwrap(),
            description: description.unwrap(),
        })
    }

    fn to_input(&self) -> ConduitInput {
        ConduitInput {
            site_id: Some(self.site_id.to_string()),
            name: Some(self.name.to_string()),
            zone_ids: self.zone_ids.iter().map(ToString::to_string).collect(),
            services: self.services.iter().map(ToString::to_string).collect(),
            direction: Some(self.direction.as_str().into()),
            encryption_required: Some(self.encryption_required.to_string()),
            sl_target: Some(self.sl_target.to_string()),
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
            F::new("zone_ids", "Zones", K::RefList(EntityKind::Zone))
                .required()
                .column()
                .help("at least two; for a one-way conduit the first zone sends"),
            F::new("services", "Allowed services", K::List)
                .column()
                .help("protocol or protocol/ports, e.g. modbus/502, opcua/4840, https/443"),
            F::new("direction", "Direction", K::Choice(choices!(ConduitDirection))).column(),
            F::new("encryption_required", "Encryption required", K::Bool).column(),
            F::new("sl_target", "SL-T", K::SlVector).column().help("7 levels 0–4, FR1 to FR7"),
            F::new("description", "Description", K::LongText),
        ];
        FIELDS
    }
}
