//! Asset identity taken from birth certificates through a configurable metric-name [`Mapping`].
//!
//! Sparkplug mandates no identity metrics; by convention edge nodes publish
//! `Properties/Hardware Make`, `Properties/Hardware Model`, `Properties/OS`,
//! `Properties/OS Version`, `Properties/FW` and the like. [`Mapping::default`] knows those and
//! the common alternatives seen in the wild (`Manufacturer`, `Firmware Version`,
//! `Serial Number` under `Properties/`, `Node Info/`, `Device Info/` …). Names are compared
//! case-insensitively and ignoring spaces, `_`, `-` and `.`, so `properties/hardware_make`
//! matches `Properties/Hardware Make`.

use std::collections::HashMap;
use std::fmt;

use crate::guard::Limits;
use crate::proto::Metric;
use crate::value::{Value, truncate};

/// An asset field that a metric can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// Manufacturer.
    Vendor,
    /// Model or product name.
    Model,
    /// Serial number.
    Serial,
    /// Firmware version.
    Firmware,
    /// Operating system.
    Os,
    /// Operating system version.
    OsVersion,
    /// Free-text description.
    Description,
    /// IP address as reported by the node itself.
    IpAddress,
    /// MAC address as reported by the node itself.
    MacAddress,
}

/// A field name that [`Field::parse`] does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown asset field {0:?}; expected one of vendor, model, serial, firmware, os, os_version, description, ip_address, mac_address"
)]
pub struct UnknownField(pub String);

impl Field {
    /// Every field, in declaration order.
    pub const ALL: [Field; 9] = [
        Field::Vendor,
        Field::Model,
        Field::Serial,
        Field::Firmware,
        Field::Os,
        Field::OsVersion,
        Field::Description,
        Field::IpAddress,
        Field::MacAddress,
    ];

    /// Parses the configuration name of a field (`vendor`, `model`, `serial`, `firmware`, `os`,
    /// `os_version`, `description`, `ip_address`, `mac_address`), case-insensitively and with
    /// `-` accepted for `_`.
    pub fn parse(name: &str) -> Result<Field, UnknownField> {
        let norm = name.trim().to_ascii_lowercase().replace('-', "_");
        Field::ALL.into_iter().find(|f| f.as_str() == norm).ok_or_else(|| UnknownField(name.to_owned()))
    }

    /// The configuration name of the field.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Vendor => "vendor",
            Field::Model => "model",
            Field::Serial => "serial",
            Field::Firmware => "firmware",
            Field::Os => "os",
            Field::OsVersion => "os_version",
            Field::Description => "description",
            Field::IpAddress => "ip_address",
            Field::MacAddress => "mac_address",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Folders under which identity metrics are published in the wild.
const DEFAULT_PREFIXES: [&str; 6] =
    ["Properties/", "Node Info/", "Device Info/", "Node Properties/", "Device Properties/", "Info/"];

/// Leaf names per field that the default mapping accepts under each of [`DEFAULT_PREFIXES`].
const DEFAULT_LEAVES: [(Field, &[&str]); 9] = [
    (Field::Vendor, &["Hardware Make", "Hardware Manufacturer", "Manufacturer", "Make", "Vendor"]),
    (Field::Model, &["Hardware Model", "Model", "Model Number", "Product"]),
    (Field::Serial, &["Serial Number", "Serial", "Hardware Serial", "Serial No"]),
    (Field::Firmware, &["FW", "FW Version", "Firmware", "Firmware Version", "Software Version"]),
    (Field::Os, &["OS", "Operating System"]),
    (Field::OsVersion, &["OS Version", "Operating System Version"]),
    (Field::Description, &["Description"]),
    (Field::IpAddress, &["IP Address", "IP", "IPv4 Address"]),
    (Field::MacAddress, &["MAC Address", "MAC"]),
];

/// Which metric names fill which asset [`Field`]. Names longer than 128 bytes never match.
#[derive(Clone, PartialEq, Eq)]
pub struct Mapping {
    by_name: HashMap<String, Field>,
}

impl fmt::Debug for Mapping {
    /// Only the number of names: the default mapping holds a few hundred.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mapping").field("names", &self.by_name.len()).finish()
    }
}

impl Default for Mapping {
    /// The conventional names (`Properties/Hardware Make` → vendor, `Properties/Hardware
    /// Model` → model, `Properties/OS` → os, `Properties/OS Version` → os_version,
    /// `Properties/FW` → firmware, `Properties/Serial Number` → serial) and their common
    /// alternatives.
    fn default() -> Self {
        let mut mapping = Mapping::empty();
        for (field, leaves) in DEFAULT_LEAVES {
            for prefix in DEFAULT_PREFIXES {
                for leaf in leaves {
                    mapping.insert(&format!("{prefix}{leaf}"), field);
                }
            }
        }
        mapping
    }
}

impl Mapping {
    /// A mapping that maps nothing.
    pub fn empty() -> Self {
        Mapping { by_name: HashMap::new() }
    }

    /// The default mapping extended by `pairs`; a pair overrides a default for the same name.
    pub fn with_defaults<N: AsRef<str>>(pairs: impl IntoIterator<Item = (N, Field)>) -> Self {
        let mut mapping = Mapping::default();
        for (name, field) in pairs {
            mapping.insert(name.as_ref(), field);
        }
        mapping
    }

    /// A mapping of exactly `pairs`, without the defaults.
    pub fn from_pairs<N: AsRef<str>>(pairs: impl IntoIterator<Item = (N, Field)>) -> Self {
        let mut mapping = Mapping::empty();
        for (name, field) in pairs {
            mapping.insert(name.as_ref(), field);
        }
        mapping
    }

    /// A mapping of exactly `pairs` given as configuration text (`field` as accepted by
    /// [`Field::parse`]); fails on the first unknown field name.
    pub fn parse_pairs<N: AsRef<str>, F: AsRef<str>>(
        pairs: impl IntoIterator<Item = (N, F)>,
    ) -> Result<Self, UnknownField> {
        let mut mapping = Mapping::empty();
        for (name, field) in pairs {
            mapping.insert(name.as_ref(), Field::parse(field.as_ref())?);
        }
        Ok(mapping)
    }

    /// Maps metric `name` to `field`, replacing an earlier entry for the same name.
    pub fn insert(&mut self, name: &str, field: Field) {
        self.by_name.insert(normalise(name), field);
    }

    /// The field that metric `name` fills, if any.
    pub fn field_for(&self, name: &str) -> Option<Field> {
        if name.len() > 128 {
            return None;
        }
        self.by_name.get(&normalise(name)).copied()
    }

    /// Number of names mapped.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// Lower-cases and drops spaces, `_`, `-` and `.`.
fn normalise(name: &str) -> String {
    name.chars().filter(|c| !matches!(c, ' ' | '_' | '-' | '.')).flat_map(char::to_lowercase).collect()
}

/// Asset-relevant facts of one edge node or device, from its birth certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// Manufacturer.
    pub vendor: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Firmware version.
    pub firmware: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Operating system version.
    pub os_version: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// IP address reported by the asset.
    pub ip_address: Option<String>,
    /// MAC address reported by the asset.
    pub mac_address: Option<String>,
    /// Names of the birth's metrics in order, at most [`Limits::max_metric_names`], each cut
    /// to [`Limits::max_text_len`] bytes; metrics without a name are left out.
    pub metric_names: Vec<String>,
    /// True when the birth had more named metrics than were kept.
    pub metric_names_truncated: bool,
}

impl Identity {
    /// Collects the identity from a birth's metrics: the first usable scalar value for each
    /// mapped field wins.
    pub fn from_metrics(metrics: &[Metric], mapping: &Mapping, limits: &Limits) -> Identity {
        let mut identity = Identity::default();
        for metric in metrics {
            let Some(name) = metric.name.as_deref() else { continue };
            if identity.metric_names.len() < limits.max_metric_names {
                identity.metric_names.push(truncate(name.to_owned(), limits.max_text_len));
            } else {
                identity.metric_names_truncated = true;
            }
            let Some(field) = mapping.field_for(name) else { continue };
            let slot = identity.slot(field);
            if slot.is_none() {
                *slot = Value::of_metric(metric).as_text(limits.max_text_len);
            }
        }
        identity
    }

    /// The value of `field`.
    pub fn get(&self, field: Field) -> Option<&str> {
        match field {
            Field::Vendor => self.vendor.as_deref(),
            Field::Model => self.model.as_deref(),
            Field::Serial => self.serial.as_deref(),
            Field::Firmware => self.firmware.as_deref(),
            Field::Os => self.os.as_deref(),
            Field::OsVersion => self.os_version.as_deref(),
            Field::Description => self.description.as_deref(),
            Field::IpAddress => self.ip_address.as_deref(),
            Field::MacAddress => self.mac_address.as_deref(),
        }
    }

    fn slot(&mut self, field: Field) -> &mut Option<String> {
        match field {
            Field::Vendor => &mut self.vendor,
            Field::Model => &mut self.model,
            Field::Serial => &mut self.serial,
            Field::Firmware => &mut self.firmware,
            Field::Os => &mut self.os,
            Field::OsVersion => &mut self.os_version,
            Field::Description => &mut self.description,
            Field::IpAddress => &mut self.ip_address,
            Field::MacAddress => &mut self.mac_address,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::MetricValue;

    fn text(name: &str, value: &str) -> Metric {
        Metric {
            name: Some(name.into()),
            datatype: Some(12),
            value: Some(MetricValue::StringValue(value.into())),
            ..Default::default()
        }
    }

    #[test]
    fn fields_parse_from_their_configuration_names() {
        for field in Field::ALL {
            assert_eq!(Field::parse(field.as_str()), Ok(field));
        }
        assert_eq!(Field::parse("OS-Version"), Ok(Field::OsVersion));
        assert!(Field::parse("colour").unwrap_err().to_string().contains("colour"));
    }

    #[test]
    fn the_default_mapping_knows_the_conventional_names_in_any_case() {
        let mapping = Mapping::default();
        assert_eq!(mapping.field_for("Properties/Hardware Make"), Some(Field::Vendor));
        assert_eq!(mapping.field_for("properties/hardware_make"), Some(Field::Vendor));
        assert_eq!(mapping.field_for("Properties/HardwareModel"), Some(Field::Model));
        assert_eq!(mapping.field_for("Properties/OS"), Some(Field::Os));
        assert_eq!(mapping.field_for("Properties/OS Version"), Some(Field::OsVersion));
        assert_eq!(mapping.field_for("Properties/FW"), Some(Field::Firmware));
        assert_eq!(mapping.field_for("Properties/Serial Number"), Some(Field::Serial));
        assert_eq!(mapping.field_for("Device Info/Firmware Version"), Some(Field::Firmware));
        assert_eq!(mapping.field_for("Node Info/Manufacturer"), Some(Field::Vendor));
        assert_eq!(mapping.field_for("Motor/Model"), None);
        assert_eq!(mapping.field_for("Temperature"), None);
    }

    #[test]
    fn configured_pairs_extend_or_replace_the_defaults() {
        let mapping =
            Mapping::with_defaults([("Meta/Vendor Name", Field::Vendor), ("Properties/FW", Field::Description)]);
        assert_eq!(mapping.field_for("meta/vendor name"), Some(Field::Vendor));
        assert_eq!(mapping.field_for("Properties/FW"), Some(Field::Description));
        let only = Mapping::parse_pairs([("X/Y", "serial")]).expect("valid");
        assert_eq!(only.len(), 1);
        assert_eq!(only.field_for("x/y"), Some(Field::Serial));
        assert!(Mapping::parse_pairs([("X/Y", "nope")]).is_err());
    }

    #[test]
    fn identity_takes_the_first_usable_value_and_bounds_the_names() {
        let metrics = vec![
            text("Properties/Hardware Make", "  "),
            text("Properties/Manufacturer", "Acme"),
            text("Properties/Hardware Make", "Later"),
            Metric {
                name: Some("Properties/FW".into()),
                datatype: Some(7),
                value: Some(MetricValue::IntValue(42)),
                ..Default::default()
            },
            Metric { alias: Some(3), ..Default::default() },
            text("Temperature", "x"),
        ];
        let limits = Limits { max_metric_names: 4, ..Limits::default() };
        let identity = Identity::from_metrics(&metrics, &Mapping::default(), &limits);
        assert_eq!(identity.vendor.as_deref(), Some("Acme"));
        assert_eq!(identity.firmware.as_deref(), Some("42"));
        assert_eq!(identity.get(Field::Firmware), Some("42"));
        assert_eq!(identity.metric_names.len(), 4);
        assert!(identity.metric_names_truncated);
    }
}
