//! The picture the analysis works on: compact, owned copies of the records that matter,
//! loaded by the application for one site or the whole estate.

use std::net::IpAddr;

use c981_domain::conduit::ConduitDirection;
use c981_domain::values::{Protocol, PurdueLevel, Service, SlVector, Subnet};
use c981_domain::{AssetId, ConduitId, FlowId, SiteId, ZoneId, ZoneKind};
use serde::Serialize;

/// A zone as the analysis sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneNode {
    pub id: ZoneId,
    pub site_id: SiteId,
    pub name: String,
    pub kind: ZoneKind,
    pub purdue_level: Option<PurdueLevel>,
    pub subnets: Vec<Subnet>,
    pub sl_target: SlVector,
    /// Achieved security level per FR, computed from requirement statuses ([`crate::sla`]).
    pub sl_achieved: SlVector,
}

/// A conduit as the analysis sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConduitEdge {
    pub id: ConduitId,
    pub site_id: SiteId,
    pub name: String,
    /// At least two distinct zones; with a one-way conduit the first is the sender.
    pub zone_ids: Vec<ZoneId>,
    pub services: Vec<Service>,
    pub direction: ConduitDirection,
    pub encryption_required: bool,
    pub sl_target: SlVector,
    pub sl_achieved: SlVector,
}

/// What separates an asset from others in the zone requirements of IEC 62443-3-2 (ZCR 3.2
/// to 3.6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct AssetTraits {
    /// Part of the industrial automation and control system (not business IT).
    pub iacs: bool,
    pub safety: bool,
    pub wireless: bool,
    pub temporary: bool,
    /// Reached over networks outside the organisation's control.
    pub external: bool,
}

/// An asset as the analysis sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetNode {
    pub id: AssetId,
    pub site_id: SiteId,
    /// The zone set on the asset (an override of subnet assignment), if any.
    pub declared_zone: Option<ZoneId>,
    pub ip_addresses: Vec<IpAddr>,
    pub traits: AssetTraits,
}

/// One end of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum End {
    Asset {
        asset_id: AssetId,
    },
    /// Something outside the inventory, by name: the same name in flows of several sites
    /// (a shared cloud platform, the corporate WAN) joins those sites.
    External {
        name: String,
    },
}

/// A data flow as the analysis sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowEdge {
    pub id: FlowId,
    pub site_id: SiteId,
    pub source: End,
    pub destination: End,
    pub protocol: Protocol,
    pub port: Option<u16>,
    pub bidirectional: bool,
    pub encrypted: bool,
    pub documented: bool,
    pub observed: bool,
}

/// Everything loaded for an analysis: one site or many.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Estate {
    pub zones: Vec<ZoneNode>,
    pub conduits: Vec<ConduitEdge>,
    pub assets: Vec<AssetNode>,
    pub flows: Vec<FlowEdge>,
}
