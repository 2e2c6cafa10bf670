//! The five target kinds, their canonical fields (the product's JSON input field names), the
//! pseudo-fields the caller resolves itself (`site`, `source`, `zones`…), and the header
//! aliases, in priority tiers, that map spreadsheet and OT-tool export columns onto them.
//!
//! Headers are compared after [`normalize_header`]. Each field lists its aliases in tiers:
//! tier 0 first. When a file has columns from several tiers for one field (a Claroty export
//! has both "Name" and "Hostname"), the best tier wins and the others are set aside with a
//! warning; two columns of the same best tier are an error.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// What a spreadsheet describes: the kind of entity each row becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    /// Inventory assets (devices, servers, applications).
    Assets,
    /// Communication flows between assets or external endpoints.
    Flows,
    /// IEC 62443 zones.
    Zones,
    /// IEC 62443 conduits between zones.
    Conduits,
    /// Interfaces to systems outside the ISMS scope.
    Interfaces,
}

/// A target field: a canonical field of the product's input, or a pseudo-field that the
/// caller resolves (a site code, an endpoint name or address, zone names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Field {
    name: &'static str,
    pseudo: bool,
}

impl Field {
    /// The field's name: the JSON key for a canonical field.
    pub fn name(self) -> &'static str {
        self.name
    }

    /// True for a pseudo-field: not a product input field, never put into
    /// [`Row::to_json_object`](super::Row::to_json_object).
    pub fn is_pseudo(self) -> bool {
        self.pseudo
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

struct FieldDef {
    name: &'static str,
    pseudo: bool,
    tiers: &'static [&'static [&'static str]],
}

/// One alias tier: a bracketed list of literals or the name of a shared constant list.
macro_rules! tier {
    ([$($alias:literal),* $(,)?]) => {
        &[$($alias),*]
    };
    ($shared:ident) => {
        $shared
    };
}

macro_rules! field {
    ($name:literal $(, $tier:tt)* $(,)?) => {
        FieldDef { name: $name, pseudo: false, tiers: &[$(tier!($tier)),*] }
    };
}

macro_rules! pseudo {
    ($name:literal $(, $tier:tt)* $(,)?) => {
        FieldDef { name: $name, pseudo: true, tiers: &[$(tier!($tier)),*] }
    };
}

/// Plant, site and facility columns: the caller checks that rows belong to the import's site.
/// "Location" is deliberately absent: in plant sheets it is a building or cabinet, not a site.
macro_rules! site_pseudo {
    () => {
        pseudo!("site", ["Site Code", "Site Name", "Plant", "Plant Code", "Plant Name", "Facility", "Facility Name"])
    };
}

macro_rules! site_id {
    () => {
        field!("site_id", ["Site Identifier"])
    };
}

const FIRST_SEEN: &[&str] = &[
    "First Seen",
    "First Seen Date",
    "First Seen Time",
    "First Activity",
    "First Activity Time",
    "First Detected",
    "First Detection",
    "Discovered",
    "Discovered On",
    "Discovery Date",
    "Date Discovered",
];
const LAST_SEEN: &[&str] = &[
    "Last Seen",
    "Last Seen Date",
    "Last Seen Time",
    "Last Activity",
    "Last Activity Time",
    "Last Active",
    "Last Detected",
    "Last Communication",
];
const DESCRIPTION: &[&str] = &["Description", "Notes", "Note", "Comment", "Comments", "Remarks", "Remark", "Details"];
const SL_TARGET: &[&str] = &[
    "SL-T",
    "SL T",
    "Target SL",
    "SL Target",
    "Security Level Target",
    "Target Security Level",
    "SL-T Vector",
    "SL",
    "Security Level",
];
const DIRECTION: &[&str] = &["Direction", "Flow Direction", "Traffic Direction", "Data Direction"];
const CRITICALITY: &[&str] =
    &["Criticality", "Importance", "Business Criticality", "Asset Criticality", "Criticality Level"];
const PURDUE: &[&str] =
    &["Purdue Level", "Purdue", "Purdue Model Level", "Purdue Zone", "ISA-95 Level", "ISA95 Level", "Network Level"];

const ASSETS: &[FieldDef] = &[
    site_id!(),
    site_pseudo!(),
    field!(
        "zone_id",
        ["Zone", "Zone ID", "Zone Name", "Security Zone", "Network Zone", "IEC 62443 Zone", "Virtual Zone"]
    ),
    // "Asset Tag" in plant spreadsheets is the asset's tag number: its name. Host names and
    // tool-internal ids only name the asset when nothing better is there.
    field!(
        "name",
        [
            "Name",
            "Asset Name",
            "Asset",
            "Device Name",
            "Device",
            "Asset Tag",
            "Asset Tag Number",
            "Tag Name",
            "Tag Number",
            "Equipment",
            "Equipment Name",
            "Equipment Tag",
            "Display Name",
        ],
        [
            "Hostname",
            "Host Name",
            "Host",
            "DNS Name",
            "FQDN",
            "NetBIOS Name",
            "Tag",
            "Asset ID",
            "Device ID",
            "Equipment ID"
        ],
    ),
    field!(
        "kind",
        ["Kind", "Type", "Asset Type", "Device Type", "Equipment Type", "Asset Kind"],
        ["Category", "Class", "Asset Class", "Device Class", "Asset Category", "Device Category"],
    ),
    field!(
        "vendor",
        ["Vendor", "Manufacturer", "Make", "Brand", "OEM", "Device Vendor", "Asset Vendor", "Vendor Name"],
        ["MAC Vendor", "NIC Vendor"],
    ),
    field!(
        "model",
        [
            "Model",
            "Model Name",
            "Model Number",
            "Product",
            "Product Name",
            "Hardware Model",
            "Device Model",
            "Product Type"
        ],
        ["Part Number", "Catalog Number", "Catalogue Number", "Order Number", "Article Number", "MLFB", "Product Code"],
    ),
    field!("serial", ["Serial", "Serial Number", "Serial No", "S/N", "SN", "Serial Num", "Device Serial"]),
    field!(
        "firmware",
        ["Firmware", "Firmware Version", "FW", "FW Version", "FW Ver", "Firmware Revision", "Firmware Rev", "FW Rev"],
        ["Software Version", "OS Version", "Version", "Revision", "Software Revision"],
    ),
    field!(
        "ip_addresses",
        [
            "IP",
            "IP Address",
            "IP Addresses",
            "IPs",
            "IP Addr",
            "IPv4",
            "IPv4 Address",
            "IPv4 Addresses",
            "Management IP",
            "Primary IP",
        ],
        ["IPv6", "IPv6 Address", "IPv6 Addresses", "Address", "Addresses", "Network Address"],
    ),
    field!(
        "mac_addresses",
        [
            "MAC",
            "MAC Address",
            "MAC Addresses",
            "MACs",
            "MAC Addr",
            "Hardware Address",
            "Physical Address",
            "Ethernet Address",
        ]
    ),
    field!("protocols", ["Protocols", "Protocol", "Industrial Protocols", "OT Protocols", "Protocol List"]),
    field!("purdue_level", PURDUE, ["Level"]),
    field!("criticality", CRITICALITY),
    field!(
        "owner",
        ["Owner", "Asset Owner", "Responsible", "Responsible Person", "Owned By", "Custodian", "System Owner"],
        ["Contact", "Contact Person"],
    ),
    field!("in_service", ["In Service", "In Use", "Active", "Operational", "Is Active"]),
    field!(
        "end_of_support",
        [
            "End of Support",
            "EoS",
            "EoS Date",
            "End of Support Date",
            "End of Life",
            "EoL",
            "EOL Date",
            "End of Life Date",
            "Support End",
            "Support End Date",
            "End of Service",
            "End of Service Date",
            "Obsolescence Date",
        ]
    ),
    field!("legacy", ["Legacy", "Is Legacy", "Legacy System", "Obsolete"]),
    field!("in_scope", ["In Scope", "Scope", "In ISMS Scope", "ISMS Scope"]),
    field!("provenance", ["Provenance"]),
    field!(
        "sources",
        ["Sources", "Source", "Data Source", "Data Sources", "Discovered By", "Discovery Source", "Discovery Method"],
        ["Sensor", "Sensor Name", "Appliance", "Appliance Host"],
    ),
    field!("first_seen", FIRST_SEEN),
    field!("last_seen", LAST_SEEN),
    field!("tags", ["Tags", "Labels", "Label", "Keywords", "Asset Tags"]),
    field!("description", DESCRIPTION, ["Purpose"]),
    field!(
        "safety_related",
        [
            "Safety Related",
            "Safety",
            "Safety System",
            "SIS",
            "Safety Instrumented",
            "Safety Critical",
            "Safety Function"
        ]
    ),
    field!("wireless", ["Wireless", "Radio", "Wi-Fi", "WLAN", "Is Wireless"]),
    field!(
        "temporarily_connected",
        [
            "Temporarily Connected",
            "Temporary",
            "Temporary Connection",
            "Transient",
            "Transient Device",
            "Transient Asset",
            "Transient Cyber Asset",
            "Portable",
        ]
    ),
    field!(
        "externally_reached",
        [
            "Externally Reached",
            "External Access",
            "Externally Accessible",
            "Internet Facing",
            "Internet Exposed",
            "Remote Access",
            "Exposed",
        ]
    ),
    field!(
        "sl_capability",
        ["SL-C", "SL C", "SL Capability", "Security Level Capability", "Capability SL", "SL-C Vector"]
    ),
];

const FLOWS: &[FieldDef] = &[
    site_id!(),
    site_pseudo!(),
    field!("source_asset_id", ["Source Asset ID", "Src Asset ID", "From Asset ID"]),
    field!("source_external", ["Source External", "External Source", "Source External Name"]),
    field!("destination_asset_id", ["Destination Asset ID", "Dst Asset ID", "Dest Asset ID", "To Asset ID"]),
    field!("destination_external", ["Destination External", "External Destination", "Destination External Name"]),
    pseudo!(
        "source",
        [
            "Source",
            "Src",
            "From",
            "Source Name",
            "Source Asset",
            "Source Device",
            "Source Host",
            "Source Hostname",
            "Client",
            "Originator",
            "Initiator",
            "Sender",
        ],
        ["Source IP", "Src IP", "Source Address", "Source IP Address", "Client IP", "Orig IP", "Source MAC"],
    ),
    pseudo!(
        "destination",
        [
            "Destination",
            "Dst",
            "Dest",
            "To",
            "Destination Name",
            "Destination Asset",
            "Destination Device",
            "Destination Host",
            "Destination Hostname",
            "Server",
            "Responder",
            "Receiver",
            "Target",
        ],
        [
            "Destination IP",
            "Dst IP",
            "Dest IP",
            "Destination Address",
            "Destination IP Address",
            "Server IP",
            "Resp IP",
            "Target IP",
            "Destination MAC",
        ],
    ),
    field!(
        "protocol",
        ["Application Protocol", "App Protocol", "L7 Protocol", "Application Layer Protocol"],
        ["Protocol", "Application", "Protocol Name", "Industrial Protocol"],
        ["Service", "Service Name"],
    ),
    field!(
        "port",
        [
            "Port",
            "Dst Port",
            "Dest Port",
            "Destination Port",
            "Service Port",
            "Server Port",
            "Resp Port",
            "Responder Port",
            "Target Port",
            "Port Number",
            "Remote Port",
        ]
    ),
    field!("direction", DIRECTION),
    field!("encrypted", ["Encrypted", "Encryption", "Is Encrypted", "TLS", "Secure"]),
    field!(
        "purpose",
        ["Purpose", "Justification", "Business Justification", "Business Purpose", "Reason", "Rationale"],
        ["Description"],
        ["Notes", "Note", "Comment", "Comments", "Remarks", "Remark", "Details"],
    ),
    field!("documented", ["Documented", "Approved", "Authorized", "Authorised", "Allowed", "Permitted"]),
    field!("observed", ["Observed", "Seen", "Detected", "Seen in Traffic"]),
    field!("first_seen", FIRST_SEEN, ["Start", "Start Time", "First Packet", "First Packet Time"]),
    field!("last_seen", LAST_SEEN, ["End", "End Time", "Last Packet", "Last Packet Time"]),
    field!(
        "connection_count",
        [
            "Connection Count",
            "Connections",
            "Conn Count",
            "Number of Connections",
            "Sessions",
            "Session Count",
            "Flow Count",
        ],
        ["Count", "Flows"],
    ),
    field!("byte_count", ["Byte Count", "Bytes", "Total Bytes", "Bytes Total", "Volume", "Traffic Volume"]),
];

const ZONES: &[FieldDef] = &[
    site_id!(),
    site_pseudo!(),
    field!("name", ["Zone", "Zone Name", "Name", "Security Zone"], ["Zone ID", "Zone Code"]),
    field!("kind", ["Kind", "Type", "Zone Type", "Zone Kind"], ["Category", "Zone Category", "Class"]),
    field!("purdue_level", PURDUE, ["Level"]),
    field!(
        "subnets",
        [
            "Subnet",
            "Subnets",
            "Network",
            "Networks",
            "CIDR",
            "CIDRs",
            "VLAN Subnet",
            "IP Subnet",
            "IP Range",
            "IP Ranges",
            "Address Range",
            "Network Range",
        ]
    ),
    field!("sl_target", SL_TARGET),
    field!("criticality", CRITICALITY, ["Zone Criticality"]),
    field!("description", DESCRIPTION, ["Purpose"]),
];

const CONDUITS: &[FieldDef] = &[
    site_id!(),
    site_pseudo!(),
    field!("name", ["Conduit", "Conduit Name", "Name"], ["Conduit ID", "Conduit Code"]),
    field!("zone_ids", ["Zone IDs"]),
    pseudo!("zones", ["Zones", "Connected Zones", "Zone Names", "Between Zones", "Joins", "Zone"]),
    // Spreadsheets often give the two ends in two columns; with a one-way conduit the first is
    // the sender, so the caller builds the zone list as [from_zone, to_zone].
    pseudo!("from_zone", ["From Zone", "Source Zone", "Zone A", "Zone 1", "First Zone", "Sender Zone", "From"]),
    pseudo!("to_zone", ["To Zone", "Destination Zone", "Zone B", "Zone 2", "Second Zone", "Receiver Zone", "To"]),
    field!(
        "services",
        ["Services", "Allowed Services", "Permitted Services"],
        ["Protocols", "Allowed Protocols", "Service", "Protocol", "Ports", "Allowed Ports"],
    ),
    field!("direction", DIRECTION),
    field!(
        "encryption_required",
        ["Encryption Required", "Requires Encryption", "Encryption", "Encrypted", "Encrypt", "Encryption Needed"]
    ),
    field!("sl_target", SL_TARGET),
    field!("description", DESCRIPTION, ["Purpose"]),
];

const INTERFACES: &[FieldDef] = &[
    site_id!(),
    site_pseudo!(),
    field!("name", ["Interface", "Interface Name", "Name"], ["Interface ID", "Interface Code"]),
    field!(
        "system_kind",
        ["System Kind", "System Type", "Interface Type", "Kind", "Type"],
        ["Category", "System Category"],
    ),
    field!(
        "external_system",
        [
            "External System",
            "System",
            "System Name",
            "Remote System",
            "Partner System",
            "Target System",
            "Counterpart",
            "Outside System",
        ],
        ["Application"],
    ),
    field!(
        "responsible_party",
        ["Responsible Party", "Responsible", "Owner", "Interface Owner", "Accountable"],
        ["Provider", "Supplier", "Vendor", "Third Party", "Contact", "Party"],
    ),
    field!("boundary", ["Boundary", "Scope Boundary", "Boundary Point", "Demarcation", "Demarcation Point"]),
    field!("asset_id", ["Asset ID"]),
    field!("zone_id", ["Zone ID"]),
    pseudo!("asset", ["Asset", "Asset Name", "Internal Asset", "Device", "Host", "Endpoint"]),
    pseudo!("zone", ["Zone", "Zone Name", "Internal Zone"]),
    field!("protocols", ["Protocols", "Protocol", "Interface Protocol"], ["Services", "Service"]),
    field!("direction", DIRECTION),
    field!(
        "data_exchanged",
        [
            "Data Exchanged",
            "Data",
            "Data Types",
            "Data Type",
            "Information",
            "Information Exchanged",
            "Payload",
            "Content",
            "Data Description",
        ],
        ["Description"],
        ["Notes", "Comment", "Comments", "Remarks"],
    ),
];

/// Lower-cases and trims a header and removes whitespace and `_ - . / ( ) # : *`, so that
/// "IP Address", "ip_address", "IP-Address" and "IPAddress" compare equal (and "Serial #",
/// "Name*" or "Name:" reduce to their words). A byte order mark is removed too.
pub fn normalize_header(header: &str) -> String {
    header
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '/' | '(' | ')' | '#' | ':' | '*' | '\u{feff}')
        })
        .flat_map(char::to_lowercase)
        .collect()
}

impl TargetKind {
    /// All kinds, in a stable order.
    pub const ALL: [TargetKind; 5] = [Self::Assets, Self::Flows, Self::Zones, Self::Conduits, Self::Interfaces];

    fn defs(self) -> &'static [FieldDef] {
        match self {
            Self::Assets => ASSETS,
            Self::Flows => FLOWS,
            Self::Zones => ZONES,
            Self::Conduits => CONDUITS,
            Self::Interfaces => INTERFACES,
        }
    }

    /// The kind's name as used in messages: `assets`, `flows`, `zones`, `conduits`,
    /// `interfaces`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assets => "assets",
            Self::Flows => "flows",
            Self::Zones => "zones",
            Self::Conduits => "conduits",
            Self::Interfaces => "interfaces",
        }
    }

    /// Every field of the kind, canonical fields first in the product's order, then
    /// pseudo-fields.
    pub fn fields(self) -> impl Iterator<Item = Field> {
        let defs = self.defs();
        let canonical = defs.iter().filter(|d| !d.pseudo);
        let pseudo = defs.iter().filter(|d| d.pseudo);
        canonical.chain(pseudo).map(|d| Field { name: d.name, pseudo: d.pseudo })
    }

    /// The field with exactly this name (canonical or pseudo), if the kind has one.
    pub fn field(self, name: &str) -> Option<Field> {
        self.defs().iter().find(|d| d.name == name).map(|d| Field { name: d.name, pseudo: d.pseudo })
    }

    /// The field a mapping target names: the exact name, or a name that normalizes to the same
    /// as a field's (`"IP Addresses"` for `ip_addresses`).
    pub(crate) fn field_for_target(self, target: &str) -> Option<Field> {
        self.field(target).or_else(|| {
            let n = normalize_header(target);
            self.defs().iter().find(|d| normalize_header(d.name) == n).map(|d| Field { name: d.name, pseudo: d.pseudo })
        })
    }

    /// The field a header maps to by alias and the alias tier (0 is best), or `None`.
    /// The canonical field names themselves are tier-0 aliases.
    pub fn field_for_header(self, header: &str) -> Option<(Field, u8)> {
        let h = normalize_header(header);
        if h.is_empty() {
            return None;
        }
        self.lookup_normalized(&h)
    }

    pub(crate) fn lookup_normalized(self, h: &str) -> Option<(Field, u8)> {
        static TABLES: [OnceLock<HashMap<String, (Field, u8)>>; 5] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let table = TABLES[self as usize].get_or_init(|| {
            // A listed alias gives its tier, even when it spells the canonical name ("Protocol"
            // is a lower tier than "Application Protocol"); an unlisted canonical name is tier 0.
            let mut t = HashMap::new();
            for d in self.defs() {
                t.insert(normalize_header(d.name), (Field { name: d.name, pseudo: d.pseudo }, 0));
            }
            for d in self.defs() {
                for (tier, aliases) in d.tiers.iter().enumerate() {
                    for a in *aliases {
                        t.insert(normalize_header(a), (Field { name: d.name, pseudo: d.pseudo }, tier as u8));
                    }
                }
            }
            t
        });
        table.get(h).copied()
    }

    /// Every alias of the kind as `(alias, field, tier)`, for documentation and checks.
    pub fn aliases(self) -> impl Iterator<Item = (&'static str, Field, u8)> {
        self.defs().iter().flat_map(|d| {
            let field = Field { name: d.name, pseudo: d.pseudo };
            d.tiers
                .iter()
                .enumerate()
                .flat_map(move |(tier, aliases)| aliases.iter().map(move |a| (*a, field, tier as u8)))
        })
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps(kind: TargetKind, header: &str) -> Option<&'static str> {
        kind.field_for_header(header).map(|(f, _)| f.name())
    }

    #[test]
    fn spellings_of_one_header_compare_equal() {
        for h in ["IP Address", "ip_address", "IP-Address", "IPAddress", " ip.address ", "IP Address(es)"] {
            assert!(normalize_header(h).starts_with("ipaddress"), "{h}");
        }
        assert_eq!(normalize_header("Serial #"), "serial");
        assert_eq!(normalize_header("\u{feff}Name*"), "name");
    }

    #[test]
    fn the_canonical_fields_are_the_products_input_names() {
        let assets: Vec<_> = TargetKind::Assets.fields().filter(|f| !f.is_pseudo()).map(Field::name).collect();
        let expected = "site_id zone_id name kind vendor model serial firmware ip_addresses mac_addresses protocols \
                        purdue_level criticality owner in_service end_of_support legacy in_scope provenance sources \
                        first_seen last_seen tags description safety_related wireless temporarily_connected \
                        externally_reached sl_capability";
        assert_eq!(assets, expected.split_whitespace().collect::<Vec<_>>());
        let flows: Vec<_> = TargetKind::Flows.fields().filter(|f| !f.is_pseudo()).map(Field::name).collect();
        let expected = "site_id source_asset_id source_external destination_asset_id destination_external protocol \
                        port direction encrypted purpose documented observed first_seen last_seen connection_count \
                        byte_count";
        assert_eq!(flows, expected.split_whitespace().collect::<Vec<_>>());
        let zones: Vec<_> = TargetKind::Zones.fields().filter(|f| !f.is_pseudo()).map(Field::name).collect();
        assert_eq!(
            zones,
            ["site_id", "name", "kind", "purdue_level", "subnets", "sl_target", "criticality", "description"]
        );
        let conduits: Vec<_> = TargetKind::Conduits.fields().filter(|f| !f.is_pseudo()).map(Field::name).collect();
        assert_eq!(
            conduits,
            ["site_id", "name", "zone_ids", "services", "direction", "encryption_required", "sl_target", "description"]
        );
        let interfaces: Vec<_> = TargetKind::Interfaces.fields().filter(|f| !f.is_pseudo()).map(Field::name).collect();
        let expected = "site_id name system_kind external_system responsible_party boundary asset_id zone_id \
                        protocols direction data_exchanged";
        assert_eq!(interfaces, expected.split_whitespace().collect::<Vec<_>>());
    }

    #[test]
    fn no_alias_maps_to_two_fields_or_two_tiers_of_one_kind() {
        // Spellings that normalize alike within one field and tier are fine (they document
        // what exports write); across fields or tiers they would be ambiguous.
        let mut clashes = Vec::new();
        for kind in TargetKind::ALL {
            let canonical: HashMap<String, &str> =
                kind.fields().map(|f| (normalize_header(f.name()), f.name())).collect();
            let mut seen: HashMap<String, (&str, u8)> = HashMap::new();
            for (alias, field, tier) in kind.aliases() {
                let n = normalize_header(alias);
                assert!(!n.is_empty());
                if let Some(other) = canonical.get(&n).filter(|c| **c != field.name()) {
                    clashes.push(format!("{kind}: {alias:?} of {} is the field {other}", field.name()));
                }
                if let Some(prev) = seen.insert(n, (field.name(), tier))
                    && prev != (field.name(), tier)
                {
                    clashes.push(format!("{kind}: {alias:?} is {}/{tier} and {}/{}", field.name(), prev.0, prev.1));
                }
            }
        }
        assert!(clashes.is_empty(), "{clashes:#?}");
    }

    #[test]
    fn asset_headers_from_plant_sheets_and_ot_tools_map_sensibly() {
        let a = TargetKind::Assets;
        for h in ["Asset Name", "Name", "Hostname", "Host Name", "Device Name", "Asset Tag", "Tag", "Asset ID"] {
            assert_eq!(maps(a, h), Some("name"), "{h}");
        }
        for h in ["IP", "IP Address", "IP Addresses", "IPv4", "IPv4 Address", "Address"] {
            assert_eq!(maps(a, h), Some("ip_addresses"), "{h}");
        }
        for h in ["MAC", "MAC Address", "MAC Addresses", "Hardware Address"] {
            assert_eq!(maps(a, h), Some("mac_addresses"), "{h}");
        }
        for h in ["Vendor", "Manufacturer", "Make", "Brand", "OEM"] {
            assert_eq!(maps(a, h), Some("vendor"), "{h}");
        }
        for h in ["Model", "Model Name", "Product", "Product Name", "Hardware Model", "Device Model", "Part Number"] {
            assert_eq!(maps(a, h), Some("model"), "{h}");
        }
        for h in ["Firmware", "Firmware Version", "FW", "FW Version", "Software Version", "OS Version"] {
            assert_eq!(maps(a, h), Some("firmware"), "{h}");
        }
        for h in ["Serial", "Serial Number", "S/N", "SN"] {
            assert_eq!(maps(a, h), Some("serial"), "{h}");
        }
        for h in ["Type", "Asset Type", "Device Type", "Category", "Class"] {
            assert_eq!(maps(a, h), Some("kind"), "{h}");
        }
        for h in ["End of Support", "EoS", "End of Life", "EoL", "EOL Date"] {
            assert_eq!(maps(a, h), Some("end_of_support"), "{h}");
        }
        for h in ["Description", "Notes", "Comment", "Comments", "Remarks"] {
            assert_eq!(maps(a, h), Some("description"), "{h}");
        }
        for h in ["Site", "Site Code", "Plant"] {
            assert_eq!(maps(a, h), Some("site"), "{h}");
            assert!(a.field_for_header(h).unwrap().0.is_pseudo());
        }
        assert_eq!(maps(a, "Zone"), Some("zone_id"));
        assert_eq!(maps(a, "Purdue Level"), Some("purdue_level"));
        assert_eq!(maps(a, "Level"), Some("purdue_level"));
        assert_eq!(maps(a, "Importance"), Some("criticality"));
        assert_eq!(maps(a, "Responsible"), Some("owner"));
        assert_eq!(maps(a, "Protocol"), Some("protocols"));
        for h in ["Risk Level", "Risk", "Risk Score", "Location", "OS", "Status"] {
            assert_eq!(maps(a, h), None, "{h} must not map");
        }
    }

    #[test]
    fn host_names_are_a_lower_tier_than_asset_names() {
        let (_, name_tier) = TargetKind::Assets.field_for_header("Name").unwrap();
        let (_, host_tier) = TargetKind::Assets.field_for_header("Hostname").unwrap();
        assert!(name_tier < host_tier);
        let (_, protocol) = TargetKind::Flows.field_for_header("protocol").unwrap();
        let (_, app) = TargetKind::Flows.field_for_header("Application Protocol").unwrap();
        assert!(app < protocol, "a listed canonical name keeps its listed tier");
    }

    #[test]
    fn flow_zone_conduit_and_interface_headers_map_sensibly() {
        let f = TargetKind::Flows;
        for h in ["Source", "Src", "Source IP", "From", "Client"] {
            assert_eq!(maps(f, h), Some("source"), "{h}");
        }
        for h in ["Destination", "Dst", "Dest", "Destination IP", "To", "Server"] {
            assert_eq!(maps(f, h), Some("destination"), "{h}");
        }
        for h in ["Port", "Dst Port", "Destination Port", "Service Port"] {
            assert_eq!(maps(f, h), Some("port"), "{h}");
        }
        for h in ["Protocol", "Application Protocol", "Service"] {
            assert_eq!(maps(f, h), Some("protocol"), "{h}");
        }
        assert_eq!(maps(f, "Src Port"), None);
        let z = TargetKind::Zones;
        for h in ["Zone", "Zone Name"] {
            assert_eq!(maps(z, h), Some("name"), "{h}");
        }
        for h in ["Subnet", "Subnets", "Network", "CIDR", "VLAN Subnet"] {
            assert_eq!(maps(z, h), Some("subnets"), "{h}");
        }
        for h in ["SL-T", "SL T", "Target SL", "Security Level Target"] {
            assert_eq!(maps(z, h), Some("sl_target"), "{h}");
        }
        let c = TargetKind::Conduits;
        assert_eq!(maps(c, "Zones"), Some("zones"));
        assert_eq!(maps(c, "From Zone"), Some("from_zone"));
        assert_eq!(maps(c, "zone_ids"), Some("zone_ids"));
        let i = TargetKind::Interfaces;
        assert_eq!(maps(i, "Asset"), Some("asset"));
        assert_eq!(maps(i, "Zone"), Some("zone"));
        assert_eq!(maps(i, "External System"), Some("external_system"));
    }

    #[test]
    fn a_mapping_target_may_be_spelled_like_a_header() {
        assert_eq!(TargetKind::Assets.field_for_target("IP Addresses").map(Field::name), Some("ip_addresses"));
        assert_eq!(TargetKind::Assets.field_for_target("name").map(Field::name), Some("name"));
        assert_eq!(TargetKind::Assets.field_for_target("hostname"), None);
    }
}
