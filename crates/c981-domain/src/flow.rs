//! A data flow between two endpoints, documented by people or observed in traffic.

use serde::{Deserialize, Serialize};

use crate::choices;
use crate::entity::{Entity, EntityKind, loose_bool, loose_string, opt, parse_bool, present};
use crate::error::{Errors, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::{AssetId, FlowId, SiteId};
use crate::values::{Protocol, Short, Text, Timestamp, string_enum};

string_enum! {
    /// Which way a flow carries data.
    FlowDirection {
        Unidirectional = "unidirectional" / "Source to destination",
        Bidirectional = "bidirectional" / "Both ways",
    }
}

/// One end of a flow: an asset of the site, or something outside the inventory (a host name,
/// an address, a cloud endpoint).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Endpoint {
    Asset { asset_id: AssetId },
    External { name: Short },
}

impl Endpoint {
    /// A stable key (`a:17`, `x:203.0.113.5`) that identifies the endpoint in uniqueness
    /// checks.
    pub fn key(&self) -> String {
        match self {
            Self::Asset { asset_id } => format!("a:{asset_id}"),
            Self::External { name } => format!("x:{}", name.as_str().to_lowercase()),
        }
    }

    pub fn asset_id(&self) -> Option<AssetId> {
        match self {
            Self::Asset { asset_id } => Some(*asset_id),
            Self::External { .. } => None,
        }
    }
}

/// A data flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataFlow {
    pub site_id: SiteId,
    pub source: Endpoint,
    pub destination: Endpoint,
    pub protocol: Protocol,
    pub port: Option<u16>,
    pub direction: FlowDirection,
    pub encrypted: bool,
    pub purpose: Text,
    /// Described by people (a design document, a spreadsheet).
    pub documented: bool,
    /// Seen in traffic.
    pub observed: bool,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// Connections counted while observed.
    pub connection_count: Option<i64>,
    /// Bytes counted while observed.
    pub byte_count: Option<i64>,
}

/// A flow as a client sends it: each end is either an asset id or an external name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub source_asset_id: Option<String>,
    pub source_external: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub destination_asset_id: Option<String>,
    pub destination_external: Option<String>,
    pub protocol: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub port: Option<String>,
    pub direction: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub encrypted: Option<String>,
    pub purpose: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub documented: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub observed: Option<String>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub connection_count: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub byte_count: Option<String>,
}

fn endpoint(e: &mut Errors, side: &str, asset: &Option<String>, external: &Option<String>) -> Option<Endpoint> {
    match (present(asset), present(external)) {
        (Some(a), None) => {
            e.take(&format!("{side}_asset_id"), AssetId::parse(a)).map(|asset_id| Endpoint::Asset { asset_id })
        }
        (None, Some(x)) => e.take(&format!("{side}_external"), Short::parse(x)).map(|name| Endpoint::External { name }),
        (Some(_), Some(_)) => {
            e.push(&format!("{side}_external"), format!("give either {side}_asset_id or {side}_external, not both"));
            None
        }
        (None, None) => {
            e.push(&format!("{side}_asset_id"), format!("the {side} is required: an asset id or an external name"));
            None
        }
    }
}

fn count(s: &Option<String>) -> Result<Option<i64>, String> {
    match present(s) {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Some(n)),
            _ => Err(format!("{v:?} is not a count (a whole number, 0 or more)")),
        },
    }
}

impl Entity for DataFlow {
    type Id = FlowId;
    type Input = FlowInput;
    const KIND: EntityKind = EntityKind::Flow;

    fn id_from_raw(raw: i64) -> FlowId {
        FlowId::new(raw)
    }

    fn parse(i: &FlowInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let source = endpoint(&mut e, "source", &i.source_asset_id, &i.source_external);
        let destination = endpoint(&mut e, "destination", &i.destination_asset_id, &i.destination_external);
        if let (Some(s), Some(d)) = (&source, &destination)
            && s == d
        {
            e.push("destination_asset_id", "source and destination are the same");
        }
        let protocol = e.take("protocol", Protocol::parse(opt(&i.protocol)));
        let port = e.take(
            "port",
            match present(&i.port) {
                None => Ok(None),
                Some(p) => match p.parse::<u16>() {
                    Ok(n) if n > 0 => Ok(Some(n)),
                    _ => Err(format!("{p:?} is not a port (1 to 65535)")),
                },
            },
        );
        let direction =
            e.take("direction", present(&i.direction).map_or(Ok(FlowDirection::Unidirectional), FlowDirection::parse));
        let encrypted = e.take("encrypted", parse_bool(i.encrypted.as_deref(), false));
        let purpose = e.take("purpose", Text::parse(opt(&i.purpose)));
        let documented = e.take("documented", parse_bool(i.documented.as_deref(), true));
        let observed = e.take("observed", parse_bool(i.observed.as_deref(), false));
        if documented == Some(false) && observed == Some(false) {
            e.push("documented", "a flow is documented, observed, or both");
        }
        let first_seen = e.take("first_seen", present(&i.first_seen).map(Timestamp::parse).transpose());
        let last_seen = e.take("last_seen", present(&i.last_seen).map(Timestamp::parse).transpose());
        if let (Some(Some(f)), Some(Some(l))) = (first_seen, last_seen)
            && f > l
        {
            e.push("last_seen", "is before first_seen");
        }
        let connection_count = e.take("connection_count", count(&i.connection_count));
        let byte_count = e.take("byte_count", count(&i.byte_count));
        e.finish()?;
        Ok(DataFlow {
            site_id: site_id.unwrap(),
            source: source.unwrap(),
            destination: destination.unwrap(),
            protocol: protocol.unwrap(),
            port: port.unwrap(),
            direction: direction.unwrap(),
            encrypted: encrypted.unwrap(),
            purpose: purpose.unwrap(),
            documented: documented.unwrap(),
            observed: observed.unwrap(),
            first_seen: first_seen.unwrap(),
            last_seen: last_seen.unwrap(),
            connection_count: connection_count.unwrap(),
            byte_count: byte_count.unwrap(),
        })
    }

    fn to_input(&self) -> FlowInput {
        let (sa, sx) = split(&self.source);
        let (da, dx) = split(&self.destination);
        FlowInput {
            site_id: Some(self.site_id.to_string()),
            source_asset_id: sa,
            source_external: sx,
            destination_asset_id: da,
            destination_external: dx,
            protocol: Some(self.protocol.as_str().into()),
            port: self.port.map(|p| p.to_string()),
            direction: Some(self.direction.as_str().into()),
            encrypted: Some(self.encrypted.to_string()),
            purpose: Some(self.purpose.as_str().into()),
            documented: Some(self.documented.to_string()),
            observed: Some(self.observed.to_string()),
            first_seen: self.first_seen.map(|t| t.to_string()),
            last_seen: self.last_seen.map(|t| t.to_string()),
            connection_count: self.connection_count.map(|n| n.to_string()),
            byte_count: self.byte_count.map(|n| n.to_string()),
        }
    }

    fn site_id(&self) -> Option<SiteId> {
        Some(self.site_id)
    }

    fn display_name(&self) -> String {
        let end = |e: &Endpoint| match e {
            Endpoint::Asset { asset_id } => format!("asset {asset_id}"),
            Endpoint::External { name } => name.as_str().to_owned(),
        };
        let port = self.port.map(|p| format!("/{p}")).unwrap_or_default();
        format!("{} → {} ({}{port})", end(&self.source), end(&self.destination), self.protocol.as_str())
    }

    fn fields() -> &'static [F] {
        static FIELDS: &[F] = &[
            F::new("site_id", "Site", K::Ref(EntityKind::Site)).required(),
            F::new("source_asset_id", "Source asset", K::Ref(EntityKind::Asset)).column(),
            F::new("source_external", "Source (external)", K::Text)
                .column()
                .help("host name or address outside the inventory"),
            F::new("destination_asset_id", "Destination asset", K::Ref(EntityKind::Asset)).column(),
            F::new("destination_external", "Destination (external)", K::Text).column(),
            F::new("protocol", "Protocol", K::Text).required().column(),
            F::new("port", "Port", K::Int).column(),
            F::new("direction", "Direction", K::Choice(choices!(FlowDirection))),
            F::new("encrypted", "Encrypted", K::Bool).column(),
            F::new("purpose", "Purpose", K::LongText),
            F::new("documented", "Documented", K::Bool).column(),
            F::new("observed", "Observed", K::Bool).column(),
            F::new("first_seen", "First seen", K::DateTime),
            F::new("last_seen", "Last seen", K::DateTime),
            F::new("connection_count", "Connections", K::Int),
            F::new("byte_count", "Bytes", K::Int),
        ];
        FIELDS
    }
}

fn split(e: &Endpoint) -> (Option<String>, Option<String>) {
    match e {
        Endpoint::Asset { asset_id } => (Some(asset_id.to_string()), None),
        Endpoint::External { name } => (None, Some(name.as_str().to_owned())),
    }
}
