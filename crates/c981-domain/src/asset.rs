//! An asset of the inventory: a device, a server, an application or a cloud service.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::choices;
use crate::entity::{Entity, EntityKind, loose_bool, loose_list, loose_string, opt, parse_bool, present};
use crate::error::{Errors, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::{AssetId, SiteId, ZoneId};
use crate::values::{
    Criticality, Date, MacAddr, Name, Protocol, PurdueLevel, Short, SlVector, Tag, Text, Timestamp, parse_ip,
    string_enum,
};

string_enum! {
    /// What an asset is.
    AssetKind {
        Sensor = "sensor" / "Sensor",
        Actuator = "actuator" / "Actuator",
        Plc = "plc" / "PLC",
        Rtu = "rtu" / "RTU",
        SafetyController = "safety_controller" / "Safety controller",
        Hmi = "hmi" / "HMI",
        ScadaServer = "scada_server" / "SCADA server",
        Historian = "historian" / "Historian",
        EngineeringWorkstation = "engineering_workstation" / "Engineering workstation",
        IiotGateway = "iiot_gateway" / "IIoT gateway",
        EdgeServer = "edge_server" / "Edge server",
        VirtualMachine = "virtual_machine" / "Virtual machine",
        CloudService = "cloud_service" / "Cloud service",
        NetworkDevice = "network_device" / "Network device",
        Firewall = "firewall" / "Firewall",
        Application = "application" / "Application",
        Other = "other" / "Other",
    }
}

impl AssetKind {
    /// Assets that belong to the industrial automation and control system (as opposed to
    /// business IT), for the zone separation checks.
    pub fn is_iacs(self) -> bool {
        !matches!(self, Self::CloudService | Self::Application | Self::Other | Self::VirtualMachine)
    }
}

string_enum! {
    /// Where what we know of an asset comes from.
    Provenance {
        Declared = "declared" / "Declared",
        Observed = "observed" / "Observed",
        Confirmed = "confirmed" / "Confirmed",
    }
}

/// An asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Asset {
    pub site_id: SiteId,
    pub zone_id: Option<ZoneId>,
    pub name: Name,
    pub kind: AssetKind,
    pub vendor: Short,
    pub model: Short,
    pub serial: Short,
    pub firmware: Short,
    pub ip_addresses: Vec<IpAddr>,
    pub mac_addresses: Vec<MacAddr>,
    pub protocols: Vec<Protocol>,
    pub purdue_level: Option<PurdueLevel>,
    pub criticality: Criticality,
    pub owner: Short,
    pub in_service: bool,
    pub end_of_support: Option<Date>,
    pub legacy: bool,
    pub in_scope: bool,
    pub provenance: Provenance,
    /// Where the facts came from: a file, a capture, a broker, a person.
    pub sources: Vec<Short>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub tags: Vec<Tag>,
    pub description: Text,
    /// Part of a safety function (IEC 62443-3-2 ZCR 3.3 keeps these in zones of their own).
    pub safety_related: bool,
    /// Connected over radio (ZCR 3.5).
    pub wireless: bool,
    /// Connected now and then: laptops, USB devices, vendor equipment (ZCR 3.4).
    pub temporarily_connected: bool,
    /// Reached over networks outside the organisation's control (ZCR 3.6).
    pub externally_reached: bool,
    /// Security level capability (SL-C) over the 7 FRs, from the product's certification or
    /// datasheet (IEC 62443-4-2), when known.
    pub sl_capability: Option<SlVector>,
}

/// An asset as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssetInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub zone_id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub firmware: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub ip_addresses: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub mac_addresses: Vec<String>,
    #[serde(deserialize_with = "loose_list")]
    pub protocols: Vec<String>,
    #[serde(deserialize_with = "loose_string")]
    pub purdue_level: Option<String>,
    pub criticality: Option<String>,
    pub owner: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub in_service: Option<String>,
    pub end_of_support: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub legacy: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub in_scope: Option<String>,
    pub provenance: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub sources: Vec<String>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub tags: Vec<String>,
    pub description: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub safety_related: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub wireless: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub temporarily_connected: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub externally_reached: Option<String>,
    pub sl_capability: Option<String>,
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

impl Entity for Asset {
    type Id = AssetId;
    type Input = AssetInput;
    const KIND: EntityKind = EntityKind::Asset;

    fn id_from_raw(raw: i64) -> AssetId {
        AssetId::new(raw)
    }

    fn parse(i: &AssetInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let zone_id = e.take("zone_id", present(&i.zone_id).map(ZoneId::parse).transpose());
        let name = e.take("name", Name::parse(opt(&i.name)));
        let kind = e.take("kind", present(&i.kind).map_or(Ok(AssetKind::Other), AssetKind::parse));
        let vendor = e.take("vendor", Short::parse(opt(&i.vendor)));
        let model = e.take("model", Short::parse(opt(&i.model)));
        let serial = e.take("serial", Short::parse(opt(&i.serial)));
        let firmware = e.take("firmware", Short::parse(opt(&i.firmware)));
        let ip_addresses = e.list("ip_addresses", &i.ip_addresses, parse_ip);
        let mac_addresses = e.list("mac_addresses", &i.mac_addresses, MacAddr::parse);
        let protocols = e.list("protocols", &i.protocols, Protocol::parse);
        let purdue_level = e.take("purdue_level", present(&i.purdue_level).map(PurdueLevel::parse).transpose());
        let criticality =
            e.take("criticality", present(&i.criticality).map_or(Ok(Criticality::Medium), Criticality::parse));
        let owner = e.take("owner", Short::parse(opt(&i.owner)));
        let in_service = e.take("in_service", parse_bool(i.in_service.as_deref(), true));
        let end_of_support = e.take("end_of_support", present(&i.end_of_support).map(Date::parse).transpose());
        let legacy = e.take("legacy", parse_bool(i.legacy.as_deref(), false));
        let in_scope = e.take("in_scope", parse_bool(i.in_scope.as_deref(), true));
        let provenance =
            e.take("provenance", present(&i.provenance).map_or(Ok(Provenance::Declared), Provenance::parse));
        let sources = e.list("sources", &i.sources, Short::parse);
        let first_seen = e.take("first_seen", present(&i.first_seen).map(Timestamp::parse).transpose());
        let last_seen = e.take("last_seen", present(&i.last_seen).map(Timestamp::parse).transpose());
        let tags = e.list("tags", &i.tags, Tag::parse);
        let description = e.take("description", Text::parse(opt(&i.description)));
        let safety_related = e.take("safety_related", parse_bool(i.safety_related.as_deref(), false));
        let wireless = e.take("wireless", parse_bool(i.wireless.as_deref(), false));
        let temporarily_connected =
            e.take("temporarily_connected", parse_bool(i.temporarily_connected.as_deref(), false));
        let externally_reached = e.take("externally_reached", parse_bool(i.externally_reached.as_deref(), false));
        let sl_capability = e.take("sl_capability", present(&i.sl_capability).map(SlVector::parse).transpose());
        if let (Some(Some(f)), Some(Some(l))) = (first_seen, last_seen)
            && f > l
        {
            e.push("last_seen", "is before first_seen");
        }
        e.finish()?;
        Ok(Asset {
            site_id: site_id.unwrap(),
            zone_id: zone_id.unwrap(),
            name: name.unwrap(),
            kind: kind.unwrap(),
            vendor: vendor.unwrap(),
            model: model.unwrap(),
            serial: serial.unwrap(),
            firmware: firmware.unwrap(),
            ip_addresses: sorted(ip_addresses.unwrap()),
            mac_addresses: sorted(mac_addresses.unwrap()),
            protocols: sorted(protocols.unwrap()),
            purdue_level: purdue_level.unwrap(),
            criticality: criticality.unwrap(),
            owner: owner.unwrap(),
            in_service: in_service.unwrap(),
            end_of_support: end_of_support.unwrap(),
            legacy: legacy.unwrap(),
            in_scope: in_scope.unwrap(),
            provenance: provenance.unwrap(),
            sources: sorted_short(sources.unwrap()),
            first_seen: first_seen.unwrap(),
            last_seen: last_seen.unwrap(),
            tags: sorted(tags.unwrap()),
            description: description.unwrap(),
            safety_related: safety_related.unwrap(),
            wireless: wireless.unwrap(),
            temporarily_connected: temporarily_connected.unwrap(),
            externally_reached: externally_reached.unwrap(),
            sl_capability: sl_capability.unwrap(),
        })
    }

    fn to_input(&self) -> AssetInput {
        let s = |v: &Short| Some(v.as_str().to_owned());
        AssetInput {
            site_id: Some(self.site_id.to_string()),
            zone_id: self.zone_id.map(|z| z.to_string()),
            name: Some(self.name.to_string()),
            kind: Some(self.kind.as_str().into()),
            vendor: s(&self.vendor),
            model: s(&self.model),
            serial: s(&self.serial),
            firmware: s(&self.firmware),
            ip_addresses: self.ip_addresses.iter().map(ToString::to_string).collect(),
            mac_addresses: self.mac_addresses.iter().map(ToString::to_string).collect(),
            protocols: self.protocols.iter().map(|p| p.as_str().into()).collect(),
            purdue_level: self.purdue_level.map(|p| p.as_str().into()),
            criticality: Some(self.criticality.as_str().into()),
            owner: s(&self.owner),
            in_service: Some(self.in_service.to_string()),
            end_of_support: self.end_of_support.map(|d| d.to_string()),
            legacy: Some(self.legacy.to_string()),
            in_scope: Some(self.in_scope.to_string()),
            provenance: Some(self.provenance.as_str().into()),
            sources: self.sources.iter().map(|v| v.as_str().into()).collect(),
            first_seen: self.first_seen.map(|t| t.to_string()),
            last_seen: self.last_seen.map(|t| t.to_string()),
            tags: self.tags.iter().map(|t| t.as_str().into()).collect(),
            description: Some(self.description.as_str().into()),
            safety_related: Some(self.safety_related.to_string()),
            wireless: Some(self.wireless.to_string()),
            temporarily_connected: Some(self.temporarily_connected.to_string()),
            externally_reached: Some(self.externally_reached.to_string()),
            sl_capability: self.sl_capability.map(|v| v.to_string()),
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
            F::new("kind", "Kind", K::Choice(choices!(AssetKind))).column(),
            F::new("zone_id", "Zone", K::Ref(EntityKind::Zone)).column(),
            F::new("vendor", "Vendor", K::Text).column(),
            F::new("model", "Model", K::Text).column(),
            F::new("serial", "Serial number", K::Text),
            F::new("firmware", "Firmware / software version", K::Text).column(),
            F::new("ip_addresses", "IP addresses", K::List).column(),
            F::new("mac_addresses", "MAC addresses", K::List),
            F::new("protocols", "Protocols", K::List),
            F::new("purdue_level", "Purdue level", K::Choice(choices!(PurdueLevel))),
            F::new("criticality", "Criticality", K::Choice(choices!(Criticality))).column(),
            F::new("owner", "Owner", K::Text),
            F::new("in_service", "In service", K::Bool),
            F::new("end_of_support", "End of support", K::Date),
            F::new("legacy", "Legacy", K::Bool),
            F::new("in_scope", "In ISMS scope", K::Bool),
            F::new("provenance", "Provenance", K::Choice(choices!(Provenance))).column(),
            F::new("sources", "Sources", K::List).help("where the facts came from: a file, a capture, a person"),
            F::new("first_seen", "First seen", K::DateTime),
            F::new("last_seen", "Last seen", K::DateTime),
            F::new("tags", "Tags", K::List),
            F::new("description", "Description", K::LongText),
            F::new("safety_related", "Safety-related", K::Bool)
                .help("part of a safety function (IEC 62443-3-2 ZCR 3.3)"),
            F::new("wireless", "Wireless", K::Bool).help("connected over radio (ZCR 3.5)"),
            F::new("temporarily_connected", "Temporarily connected", K::Bool)
                .help("laptops, USB devices, vendor equipment connected now and then (ZCR 3.4)"),
            F::new("externally_reached", "Reached over external networks", K::Bool)
                .help("reached over networks outside the organisation's control (ZCR 3.6)"),
            F::new("sl_capability", "Security level capability (SL-C)", K::SlVector)
                .help("7 levels, one per FR, e.g. 2,2,2,1,2,1,2 (IEC 62443-4-2 certification or datasheet)"),
        ];
        FIELDS
    }
}

fn sorted_short(mut v: Vec<Short>) -> Vec<Short> {
    v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    v.dedup();
    v
}
