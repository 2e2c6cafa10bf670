//! An IEC 62443 zone: assets that share security requirements.

use serde::{Deserialize, Serialize};

use crate::choices;
use crate::entity::{Entity, EntityKind, loose_list, loose_string, opt, present};
use crate::error::{Errors, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::{SiteId, ZoneId};
use crate::values::{Criticality, Name, PurdueLevel, SlVector, Subnet, Text, string_enum};

string_enum! {
    /// What a zone is for; entry kinds (enterprise, remote access, cloud, external, wireless,
    /// temporary) and critical kinds (control, safety) drive the cross-domain analysis.
    ZoneKind {
        Enterprise = "enterprise" / "Enterprise IT",
        Dmz = "dmz" / "Industrial DMZ",
        Supervisory = "supervisory" / "Supervisory",
        Control = "control" / "Control",
        Safety = "safety" / "Safety",
        Field = "field" / "Field",
        RemoteAccess = "remote_access" / "Remote access",
        Cloud = "cloud" / "Cloud",
        External = "external" / "External",
        Wireless = "wireless" / "Wireless",
        Temporary = "temporary" / "Temporarily connected",
    }
}

/// A zone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Zone {
    pub site_id: SiteId,
    pub name: Name,
    pub kind: ZoneKind,
    pub purdue_level: Option<PurdueLevel>,
    pub subnets: Vec<Subnet>,
    /// Target security level over the 7 FRs.
    pub sl_target: SlVector,
    pub criticality: Criticality,
    pub description: Text,
}

/// A zone as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZoneInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub purdue_level: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub subnets: Vec<String>,
    pub sl_target: Option<String>,
    pub criticality: Option<String>,
    pub description: Option<String>,
}

impl Entity for Zone {
    type Id = ZoneId;
    type Input = ZoneInput;
    const KIND: EntityKind = EntityKind::Zone;

    fn id_from_raw(raw: i64) -> ZoneId {
        ZoneId::new(raw)
    }

    fn parse(i: &ZoneInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let name = e.take("name", Name::parse(opt(&i.name)));
        let kind = e.take("kind", ZoneKind::parse(opt(&i.kind)));
        let purdue_level = e.take("purdue_level", present(&i.purdue_level).map(PurdueLevel::parse).transpose());
        let mut subnets = e.list("subnets", &i.subnets, Subnet::parse);
        let sl_target = e.take("sl_target", present(&i.sl_target).map_or(Ok(SlVector::default()), SlVector::parse));
        let criticality =
            e.take("criticality", present(&i.criticality).map_or(Ok(Criticality::Medium), Criticality::parse));
        let description = e.take("description", Text::parse(opt(&i.description)));
        if let Some(s) = subnets.as_mut() {
            s.sort();
            s.dedup();
        }
        e.finish()?;
        Ok(Zone {
            site_id: site_id.unwrap(),
            name: name.unwrap(),
            kind: kind.unwrap(),
            purdue_level: purdue_level.unwrap(),
            subnets: subnets.unwrap(),
            sl_target: sl_target.unwrap(),
            criticality: criticality.unwrap(),
            description: description.unwrap(),
        })
    }

    fn to_input(&self) -> ZoneInput {
        ZoneInput {
            site_id: Some(self.site_id.to_string()),
            name: Some(self.name.to_string()),
            kind: Some(self.kind.as_str().into()),
            purdue_level: self.purdue_level.map(|p| p.as_str().into()),
            subnets: self.subnets.iter().map(ToString::to_string).collect(),
            sl_target: Some(self.sl_target.to_string()),
            criticality: Some(self.criticality.as_str().into()),
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
            F::new("kind", "Kind", K::Choice(choices!(ZoneKind))).required().column(),
            F::new("purdue_level", "Purdue level", K::Choice(choices!(PurdueLevel))).column(),
            F::new("subnets", "Subnets", K::List).column().help("CIDR, IPv4 or IPv6, comma-separated"),
            F::new("sl_target", "SL-T", K::SlVector).column().help("7 levels 0–4, FR1 to FR7, e.g. 2,2,3,1,3,1,2"),
            F::new("criticality", "Criticality", K::Choice(choices!(Criticality))).column(),
            F::new("description", "Description", K::LongText),
        ];
        FIELDS
    }
}
