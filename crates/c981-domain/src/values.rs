//! Validated value types. Each has private fields and a `parse` constructor that says, in
//! words, why a value is refused; once a value exists it is valid.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares a closed set of named values, each with the one spelling used in the API, the
/// database and the files (`snake_case`), a label for people, and `parse`, which also accepts
/// the label and common spellings (case, spaces and dashes are ignored).
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $s:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(input: &str) -> Result<Self, String> {
                $(
                    if input == $s {
                        return Ok($name::$variant);
                    }
                )+
                let key = $crate::values::enum_key(input);
                $(
                    if key == $crate::values::enum_key($s) || key == $crate::values::enum_key($label) {
                        return Ok($name::$variant);
                    }
                )+
                Err(format!(
                    "{:?} is not one of: {}",
                    input.trim(),
                    [$($s),+].join(", ")
                ))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub use crate::string_enum;

/// The comparison key of an enum spelling: lower case, with spaces, dashes, underscores,
/// dots and slashes removed.
#[doc(hidden)]
pub fn enum_key(s: &str) -> String {
    s.trim().chars().filter(|c| !matches!(c, ' ' | '-' | '_' | '.' | '/')).flat_map(char::to_lowercase).collect()
}

/// Rejects control characters (except tab and newline where `multiline`).
fn check_chars(s: &str, multiline: bool) -> Result<(), String> {
    match s.chars().find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
        Some(c) => Err(format!("contains the control character U+{:04X}", c as u32)),
        None => Ok(()),
    }
}

/// A name of a thing: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub const MAX: usize = 200;

    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        if s.chars().count() > Self::MAX {
            return Err(format!("is longer than {} characters", Self::MAX));
        }
        check_chars(s, false)?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text (a description, a purpose): trimmed, at most 10,000 characters, may span lines.
/// Empty text is represented as the empty string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub const MAX: usize = 10_000;

    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.chars().count() > Self::MAX {
            return Err(format!("is longer than {} characters", Self::MAX));
        }
        check_chars(s, true)?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A short optional text field (vendor, model, serial, owner…): trimmed, at most 200
/// characters, one line. Empty is the empty string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Short(String);

impl Short {
    pub const MAX: usize = 200;

    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.chars().count() > Self::MAX {
            return Err(format!("is longer than {} characters", Self::MAX));
        }
        check_chars(s, false)?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A site code: 2 to 16 characters of `A-Z`, `0-9`, `-` and `_`, starting with a letter;
/// stored in upper case (`lyon-1` becomes `LYON-1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SiteCode(String);

impl SiteCode {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_ascii_uppercase();
        if !(2..=16).contains(&s.len()) {
            return Err("must be 2 to 16 characters".into());
        }
        if !s.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Err("must start with a letter".into());
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '-' || *c == '_')) {
            return Err(format!("may only hold letters, digits, '-' and '_', not {c:?}"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_ascii_uppercase();
        if crate::country::is_assigned(&s) {
            Ok(Self(s))
        } else {
            Err(format!("{:?} is not an ISO 3166-1 alpha-2 country code", input.trim()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone name known to the bundled time zone database (e.g. `Europe/Paris`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        match jiff::tz::db().get(s) {
            Ok(tz) => Ok(Self(tz.iana_name().unwrap_or(s).to_owned())),
            Err(_) => Err(format!("{s:?} is not an IANA time zone name (e.g. Europe/Paris)")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A protocol name as seen in OT networks (`modbus`, `s7comm`, `opcua`, `mqtt`, `https`…):
/// lower case, 1 to 32 characters of `a-z`, `0-9`, `.`, `_`, `+`, `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Protocol(String);

impl Protocol {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_ascii_lowercase();
        if s.is_empty() || s.len() > 32 {
            return Err("a protocol name must be 1 to 32 characters".into());
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))) {
            return Err(format!("a protocol name may not contain {c:?}"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A free-form tag: 1 to 64 characters, no control characters, no commas (lists of tags are
/// written comma-separated in files and forms).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() || s.chars().count() > 64 {
            return Err("a tag must be 1 to 64 characters".into());
        }
        if s.contains(',') {
            return Err("a tag may not contain a comma".into());
        }
        check_chars(s, false)?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IPv4 or IPv6 host address.
pub fn parse_ip(input: &str) -> Result<IpAddr, String> {
    let s = input.trim();
    IpAddr::from_str(s).map_err(|_| format!("{s:?} is not an IPv4 or IPv6 address"))
}

/// An IP network in CIDR notation (`10.10.20.0/24`, `fd00:10::/64`). Host bits must be zero,
/// so a typo such as `10.10.20.7/24` is caught instead of silently widened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subnet(ipnet::IpNet);

impl Subnet {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let net = ipnet::IpNet::from_str(s)
            .map_err(|_| format!("{s:?} is not a network in CIDR notation (e.g. 10.10.20.0/24)"))?;
        if net.trunc() != net {
            return Err(format!("{s:?} has host bits set; did you mean {}?", net.trunc()));
        }
        Ok(Self(net))
    }

    pub fn net(&self) -> ipnet::IpNet {
        self.0
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.0.contains(ip)
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Subnet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// A MAC address, written canonically as six lower-case hex pairs joined by `:`. Accepts
/// `00:1A:2B:3C:4D:5E`, `00-1a-2b-3c-4d-5e`, `001a.2b3c.4d5e` and `001a2b3c4d5e`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr([u8; 6]);

impl MacAddr {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let hex: String = s.chars().filter(|c| !matches!(c, ':' | '-' | '.')).collect();
        let separators_ok = {
            let seps: Vec<char> = s.chars().filter(|c| matches!(c, ':' | '-' | '.')).collect();
            seps.is_empty()
                || (seps.len() == 5 && seps.iter().all(|c| *c == seps[0] && *c != '.'))
                || (seps.len() == 2 && seps.iter().all(|c| *c == '.'))
        };
        if hex.len() != 12 || !separators_ok || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(format!("{s:?} is not a MAC address (e.g. 00:1a:2b:3c:4d:5e)"));
        }
        let mut b = [0u8; 6];
        for (i, byte) in b.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(Self(b))
    }

    pub fn bytes(&self) -> [u8; 6] {
        self.0
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

impl Serialize for MacAddr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A TCP/UDP port or an inclusive range of them (`502`, `49152-65535`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    first: u16,
    last: u16,
}

impl PortRange {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let port = |p: &str| -> Result<u16, String> {
            match p.trim().parse::<u16>() {
                Ok(0) | Err(_) => Err(format!("{s:?} is not a port (1 to 65535) or a range of ports")),
                Ok(n) => Ok(n),
            }
        };
        let (first, last) = match s.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => {
                let p = port(s)?;
                (p, p)
            }
        };
        if first > last {
            return Err(format!("{s:?}: the range is reversed"));
        }
        Ok(Self { first, last })
    }

    pub fn contains(&self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last { write!(f, "{}", self.first) } else { write!(f, "{}-{}", self.first, self.last) }
    }
}

/// One service a conduit allows: a protocol and optionally its ports, written
/// `protocol` or `protocol/ports` (`modbus/502`, `opcua/4840`, `https/443`, `icmp`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Service {
    pub protocol: Protocol,
    pub ports: Option<PortRange>,
}

impl Service {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        match s.split_once('/') {
            Some((p, ports)) => Ok(Self { protocol: Protocol::parse(p)?, ports: Some(PortRange::parse(ports)?) }),
            None => Ok(Self { protocol: Protocol::parse(s)?, ports: None }),
        }
    }

    /// Whether a flow with this protocol and port is allowed by the service.
    pub fn allows(&self, protocol: &Protocol, port: Option<u16>) -> bool {
        self.protocol == *protocol
            && match (self.ports, port) {
                (None, _) => true,
                (Some(r), Some(p)) => r.contains(p),
                (Some(_), None) => false,
            }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ports {
            Some(r) => write!(f, "{}/{}", self.protocol.as_str(), r),
            None => f.write_str(self.protocol.as_str()),
        }
    }
}

impl Serialize for Service {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A security level vector over the seven foundational requirements of IEC 62443
/// (FR1 IAC, FR2 UC, FR3 SI, FR4 DC, FR5 RDF, FR6 TRE, FR7 RA), each level 0 to 4. Written
/// `2,2,3,1,3,1,2`, with optional braces or brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SlVector([u8; 7]);

impl SlVector {
    pub const FR_NAMES: [&'static str; 7] = ["IAC", "UC", "SI", "DC", "RDF", "TRE", "RA"];

    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().trim_start_matches(['{', '[', '(']).trim_end_matches(['}', ']', ')']);
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 7 {
            return Err(format!(
                "a security level vector has 7 levels, one per FR (e.g. 2,2,3,1,3,1,2); got {}",
                if s.trim().is_empty() { 0 } else { parts.len() }
            ));
        }
        let mut v = [0u8; 7];
        for (i, p) in parts.iter().enumerate() {
            match p.parse::<u8>() {
                Ok(n) if n <= 4 => v[i] = n,
                _ => return Err(format!("FR{} ({}): {p:?} is not a security level 0 to 4", i + 1, Self::FR_NAMES[i])),
            }
        }
        Ok(Self(v))
    }

    pub fn from_levels(levels: [u8; 7]) -> Result<Self, String> {
        Self::parse(&levels.map(|l| l.to_string()).join(","))
    }

    pub fn levels(&self) -> [u8; 7] {
        self.0
    }
}

impl fmt::Display for SlVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        write!(f, "{},{},{},{},{},{},{}", v[0], v[1], v[2], v[3], v[4], v[5], v[6])
    }
}

impl Serialize for SlVector {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A point in time, UTC, with microsecond precision. Stored as integer microseconds since
/// the Unix epoch (the same on both databases, and the form the audit chain hashes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_micros(us: i64) -> Self {
        Self(us)
    }

    pub fn micros(&self) -> i64 {
        self.0
    }

    /// This instant moved by `us` microseconds (saturating).
    pub fn plus_micros(&self, us: i64) -> Self {
        Self(self.0.saturating_add(us))
    }

    /// Parses RFC 3339 (`2026-11-28T10:00:00Z`, any offset) or a bare date (midnight UTC).
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if let Ok(ts) = s.parse::<jiff::Timestamp>() {
            return Ok(Self(ts.as_microsecond()));
        }
        if let Ok(d) = s.parse::<jiff::civil::Date>()
            && let Ok(z) = jiff::tz::TimeZone::UTC.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
        {
            return Ok(Self(z.as_microsecond()));
        }
        Err(format!("{s:?} is not a date-time (RFC 3339, e.g. 2026-11-28T10:00:00Z)"))
    }

    pub fn to_jiff(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_microsecond(self.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Always six fractional digits: the text round-trips exactly, sorts as text, and is
        // what both databases render in the API's JSON.
        write!(f, "{:.6}", self.to_jiff())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A calendar date (`2027-06-30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(jiff::civil::Date);

impl Date {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        s.parse::<jiff::civil::Date>().map(Self).map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)"))
    }

    pub fn civil(&self) -> jiff::civil::Date {
        self.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

string_enum! {
    /// How much the business depends on a thing.
    Criticality {
        Low = "low" / "Low",
        Medium = "medium" / "Medium",
        High = "high" / "High",
        Critical = "critical" / "Critical",
    }
}

string_enum! {
    /// A level of the Purdue reference model; 3.5 is the industrial DMZ.
    PurdueLevel {
        L0 = "0" / "Level 0 – field",
        L1 = "1" / "Level 1 – basic control",
        L2 = "2" / "Level 2 – supervisory",
        L3 = "3" / "Level 3 – site operations",
        L35 = "3.5" / "Level 3.5 – industrial DMZ",
        L4 = "4" / "Level 4 – site business",
        L5 = "5" / "Level 5 – enterprise",
    }
}

impl PurdueLevel {
    /// Sort key: 0, 10, 20, 30, 35, 40, 50.
    pub fn rank(self) -> u8 {
        match self {
            Self::L0 => 0,
            Self::L1 => 10,
            Self::L2 => 20,
            Self::L3 => 30,
            Self::L35 => 35,
            Self::L4 => 40,
            Self::L5 => 50,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mac_address_is_accepted_in_the_common_spellings_and_written_canonically() {
        for s in ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", "001a2b3c4d5e"] {
            assert_eq!(MacAddr::parse(s).unwrap().to_string(), "00:1a:2b:3c:4d:5e", "{s}");
        }
    }

    #[test]
    fn a_malformed_mac_address_is_refused() {
        for s in ["00:1a:2b:3c:4d", "00:1a:2b:3c:4d:5g", "00:1a-2b:3c:4d:5e", "", "00:1a:2b:3c:4d:5e:6f"] {
            assert!(MacAddr::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn a_subnet_with_host_bits_is_refused_with_a_suggestion() {
        let e = Subnet::parse("10.10.20.7/24").unwrap_err();
        assert!(e.contains("10.10.20.0/24"), "{e}");
        assert!(Subnet::parse("fd00:10::/64").is_ok());
        assert!(Subnet::parse("10.10.20.0/33").is_err());
        assert!(Subnet::parse("10.10.20.0").is_err());
    }

    #[test]
    fn a_security_level_vector_needs_seven_levels_from_zero_to_four() {
        assert_eq!(SlVector::parse("{2,2,3,1,3,1,2}").unwrap().levels(), [2, 2, 3, 1, 3, 1, 2]);
        assert_eq!(SlVector::parse(" [0, 0,0,0,0,0,4] ").unwrap().to_string(), "0,0,0,0,0,0,4");
        assert!(SlVector::parse("2,2,3").unwrap_err().contains("7 levels"));
        assert!(SlVector::parse("2,2,3,1,5,1,2").unwrap_err().contains("FR5"));
        assert!(SlVector::parse("").is_err());
    }

    #[test]
    fn a_site_code_is_upper_cased_and_restricted() {
        assert_eq!(SiteCode::parse(" lyon-1 ").unwrap().as_str(), "LYON-1");
        assert!(SiteCode::parse("1LYON").is_err());
        assert!(SiteCode::parse("L").is_err());
        assert!(SiteCode::parse("LY ON").is_err());
    }

    #[test]
    fn enums_accept_labels_and_loose_spellings() {
        assert_eq!(Criticality::parse("HIGH").unwrap(), Criticality::High);
        assert_eq!(PurdueLevel::parse("3.5").unwrap(), PurdueLevel::L35);
        assert!(Criticality::parse("severe").unwrap_err().contains("low, medium, high, critical"));
    }

    #[test]
    fn a_service_allows_only_its_protocol_and_ports() {
        let s = Service::parse("modbus/502").unwrap();
        let modbus = Protocol::parse("Modbus").unwrap();
        assert!(s.allows(&modbus, Some(502)));
        assert!(!s.allows(&modbus, Some(503)));
        assert!(Service::parse("https/443-80").is_err());
        assert!(Service::parse("https/0").is_err());
        assert_eq!(Service::parse("OPCUA/4840").unwrap().to_string(), "opcua/4840");
    }

    #[test]
    fn names_are_trimmed_and_control_characters_refused() {
        assert_eq!(Name::parse("  PLC-01 ").unwrap().as_str(), "PLC-01");
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse("a\u{0}b").is_err());
        assert!(Name::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn time_zones_and_countries_are_checked_against_real_lists() {
        assert!(TimeZoneName::parse("Europe/Paris").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert!(CountryCode::parse("fr").is_ok());
        assert!(CountryCode::parse("ZZ").is_err());
    }

    #[test]
    fn timestamps_round_trip_through_rfc3339() {
        let t = Timestamp::parse("2026-11-28T10:00:00+01:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-28T09:00:00.000000Z");
        assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
    }
}
