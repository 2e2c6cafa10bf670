//! Cross-domain paths: every way traffic can be started from an entry zone (enterprise IT,
//! vendor remote access, cloud, external networks, wireless, temporarily connected devices,
//! or a named endpoint outside the inventory) into a critical zone (control, safety).
//!
//! The graph has a node per zone and per named external endpoint. An edge from zone A to
//! zone B exists when
//! - a conduit joins them and lets traffic be started from A (a one-way conduit only from its
//!   first zone), or
//! - a flow is started from an asset placed in A (or an external endpoint) towards an asset in
//!   B, conduit or not: a hop with no conduit is an undocumented hop, and it is exactly what an
//!   engineer must see.
//!
//! A path is a simple path (no node twice) of at most [`Options::max_hops`] hops that starts at
//! an entry node, ends at a critical node, and passes only through nodes that are not entry
//! zones: a path through another entry zone is reported from that zone. External endpoints
//! may be passed through: the same name in flows of several sites (a shared cloud platform,
//! the corporate WAN) joins those sites, so a path can cross sites. Paths may pass critical
//! zones on their way (control, then safety).
//!
//! Each hop lists the conduits that carry it and the flows that realise it (up to
//! [`FLOWS_PER_HOP`], with the full count). Paths are ranked by a stated criterion
//! ([`Rank`]): by default most exposed first, i.e. most undocumented hops, then most
//! unencrypted hops, then the weakest conduit, then fewest hops.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use c981_domain::values::SlVector;
use c981_domain::{ConduitId, FlowId, SiteId, ZoneId, ZoneKind};
use serde::Serialize;

use crate::findings::conduit_allows_direction;
use crate::model::{End, Estate};
use crate::zoning::Zoning;

/// At most this many flows are listed per hop (the count says how many there are).
pub const FLOWS_PER_HOP: usize = 20;

/// Where a path may start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Enterprise,
    RemoteAccess,
    Cloud,
    External,
    Wireless,
    Temporary,
}

impl EntryKind {
    pub const ALL: &[EntryKind] =
        &[Self::Enterprise, Self::RemoteAccess, Self::Cloud, Self::External, Self::Wireless, Self::Temporary];

    pub fn of_zone(kind: ZoneKind) -> Option<Self> {
        match kind {
            ZoneKind::Enterprise => Some(Self::Enterprise),
            ZoneKind::RemoteAccess => Some(Self::RemoteAccess),
            ZoneKind::Cloud => Some(Self::Cloud),
            ZoneKind::External => Some(Self::External),
            ZoneKind::Wireless => Some(Self::Wireless),
            ZoneKind::Temporary => Some(Self::Temporary),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::RemoteAccess => "remote_access",
            Self::Cloud => "cloud",
            Self::External => "external",
            Self::Wireless => "wireless",
            Self::Temporary => "temporary",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Self::ALL.iter().copied().find(|k| k.as_str() == t || (t == "vendor" && *k == Self::RemoteAccess)).ok_or_else(
            || format!("{s:?} is not an entry kind (enterprise, remote_access, cloud, external, wireless, temporary)"),
        )
    }
}

/// Where a path may end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Control,
    Safety,
}

impl TargetKind {
    pub const ALL: &[TargetKind] = &[Self::Control, Self::Safety];

    pub fn of_zone(kind: ZoneKind) -> Option<Self> {
        match kind {
            ZoneKind::Control => Some(Self::Control),
            ZoneKind::Safety => Some(Self::Safety),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Control => "control",
            Self::Safety => "safety",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| format!("{s:?} is not a critical zone kind (control, safety)"))
    }
}

/// How paths are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rank {
    /// Most undocumented hops, then most unencrypted hops, then weakest conduit, then fewest
    /// hops.
    #[default]
    Exposure,
    /// Fewest hops first.
    Hops,
    /// Weakest conduit first (the lowest achieved level over the FRs of any hop's conduit; a
    /// hop without a conduit counts as 0).
    Weakest,
    /// Most unencrypted hops first.
    Unencrypted,
    /// Most observed-but-undocumented hops first.
    Undocumented,
}

impl Rank {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "exposure" => Ok(Self::Exposure),
            "hops" => Ok(Self::Hops),
            "weakest" => Ok(Self::Weakest),
            "unencrypted" => Ok(Self::Unencrypted),
            "undocumented" => Ok(Self::Undocumented),
            other => Err(format!("{other:?} is not a ranking (exposure, hops, weakest, unencrypted, undocumented)")),
        }
    }
}

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Entry kinds to start from (empty: all).
    pub from: Vec<EntryKind>,
    /// Critical kinds to end at (empty: all).
    pub to: Vec<TargetKind>,
    pub max_hops: usize,
    /// Stop after this many paths (the result says it was truncated).
    pub max_paths: usize,
    pub rank: Rank,
}

impl Default for Options {
    fn default() -> Self {
        Self { from: Vec::new(), to: Vec::new(), max_hops: 8, max_paths: 200_000, rank: Rank::Exposure }
    }
}

/// A node of a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Node {
    Zone {
        zone_id: ZoneId,
        site_id: SiteId,
        name: String,
        kind: ZoneKind,
    },
    /// An endpoint outside the inventory, with the sites whose flows name it.
    External {
        name: String,
        sites: Vec<SiteId>,
    },
}

impl Node {
    pub fn label(&self) -> String {
        match self {
            Self::Zone { name, .. } => name.clone(),
            Self::External { name, .. } => format!("{name} (external)"),
        }
    }
}

/// One hop of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// Conduits that carry the hop (none: an undocumented hop).
    pub conduits: Vec<ConduitId>,
    /// Flows that realise it (at most [`FLOWS_PER_HOP`]).
    pub flows: Vec<FlowId>,
    pub flow_count: u64,
    /// A realising flow is unencrypted, or the hop's conduits do not require encryption.
    pub unencrypted: bool,
    /// No conduit carries it, or a realising flow was observed but is not documented.
    pub undocumented: bool,
    /// The best achieved level (lowest FR) among the hop's conduits; 0 without a conduit.
    pub conduit_sl: u8,
}

/// A path from an entry node to a critical zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Path {
    /// The node sequence, e.g. `z12>z14>z15` or `x:corporate wan>z3`.
    pub key: String,
    pub entry: EntryKind,
    pub target: TargetKind,
    pub nodes: Vec<Node>,
    pub hops: Vec<Hop>,
    pub sites: Vec<SiteId>,
    pub unencrypted_hops: usize,
    pub undocumented_hops: usize,
    /// The weakest conduit level on the path.
    pub weakest_sl: u8,
}

/// The paths found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Paths {
    pub paths: Vec<Path>,
    /// More paths exist than [`Options::max_paths`].
    pub truncated: bool,
}

/// What is known of one directed hop between two nodes: the conduits that carry it and the
/// flows that realise it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeFacts {
    pub conduits: Vec<ConduitId>,
    pub encrypted_conduit: bool,
    pub conduit_sl: u8,
    pub flows: Vec<FlowId>,
    pub flow_count: u64,
    pub any_unencrypted_flow: bool,
    pub any_undocumented_flow: bool,
}

impl EdgeFacts {
    fn merge(&mut self, o: &EdgeFacts) {
        for c in &o.conduits {
            if !self.conduits.contains(c) {
                self.conduits.push(*c);
            }
        }
        self.encrypted_conduit |= o.encrypted_conduit;
        self.conduit_sl = self.conduit_sl.max(o.conduit_sl);
        for f in &o.flows {
            if self.flows.len() < FLOWS_PER_HOP {
                self.flows.push(*f);
            }
        }
        self.flow_count += o.flow_count;
        self.any_unencrypted_flow |= o.any_unencrypted_flow;
        self.any_undocumented_flow |= o.any_undocumented_flow;
    }
}

/// A node before the graph is assembled.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeKey {
    Zone(ZoneId),
    External(String),
}

/// The part of the path graph one site (or any set of records) contributes: its zones and
/// its directed hops, aggregated over flows. Small (a few entries per zone pair) however
/// many flows the site has, so it is what the application caches per site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphPart {
    pub zones: Vec<(ZoneId, SiteId, String, ZoneKind)>,
    /// External endpoints with the sites whose flows name them.
    pub externals: BTreeMap<String, BTreeSet<SiteId>>,
    pub edges: Vec<(NodeKey, NodeKey, EdgeFacts)>,
}

fn min_level(v: SlVector) -> u8 {
    v.levels().into_iter().min().unwrap_or(0)
}

/// The graph part of an estate (usually one site).
pub fn graph_part(estate: &Estate, zoning: &Zoning) -> GraphPart {
    let mut edges: BTreeMap<(NodeKey, NodeKey), EdgeFacts> = BTreeMap::new();
    let zone_ids: BTreeSet<ZoneId> = estate.zones.iter().map(|z| z.id).collect();
    let mut conduits: Vec<_> = estate.conduits.iter().collect();
    conduits.sort_by_key(|c| c.id);
    for c in conduits {
        for a in &c.zone_ids {
            for b in &c.zone_ids {
                if a == b || !conduit_allows_direction(c, *a, *b) || !zone_ids.contains(a) || !zone_ids.contains(b) {
                    continue;
                }
                let e = edges.entry((NodeKey::Zone(*a), NodeKey::Zone(*b))).or_default();
                if !e.conduits.contains(&c.id) {
                    e.conduits.push(c.id);
                    e.encrypted_conduit |= c.encryption_required;
                    e.conduit_sl = e.conduit_sl.max(min_level(c.sl_achieved));
                }
            }
        }
    }
    let mut externals: BTreeMap<String, BTreeSet<SiteId>> = BTreeMap::new();
    let node_of = |e: &End| -> Option<NodeKey> {
        match e {
            End::Asset { asset_id } => zoning.zone(*asset_id).filter(|z| zone_ids.contains(z)).map(NodeKey::Zone),
            End::External { name } => Some(NodeKey::External(name.clone())),
        }
    };
    let mut flows: Vec<_> = estate.flows.iter().collect();
    flows.sort_by_key(|f| f.id);
    for f in flows {
        for e in [&f.source, &f.destination] {
            if let End::External { name } = e {
                externals.entry(name.clone()).or_default().insert(f.site_id);
            }
        }
        let (Some(a), Some(b)) = (node_of(&f.source), node_of(&f.destination)) else { continue };
        if a == b {
            continue;
        }
        let e = edges.entry((a, b)).or_default();
        e.flow_count += 1;
        if e.flows.len() < FLOWS_PER_HOP {
            e.flows.push(f.id);
        }
        e.any_unencrypted_flow |= !f.encrypted;
        e.any_undocumented_flow |= f.observed && !f.documented;
    }
    let mut zones: Vec<_> = estate.zones.iter().map(|z| (z.id, z.site_id, z.name.clone(), z.kind)).collect();
    zones.sort_by_key(|z| z.0);
    GraphPart { zones, externals, edges: edges.into_iter().map(|((a, b), e)| (a, b, e)).collect() }
}

struct Graph {
    nodes: Vec<Node>,
    entry: Vec<Option<EntryKind>>,
    target: Vec<Option<TargetKind>>,
    adj: Vec<Vec<usize>>,
    edges: HashMap<(usize, usize), EdgeFacts>,
}

fn graph(parts: &[&GraphPart]) -> Graph {
    let mut nodes = Vec::new();
    let mut index: HashMap<NodeKey, usize> = HashMap::new();
    let mut zones: Vec<_> = parts.iter().flat_map(|p| p.zones.iter()).collect();
    zones.sort_by_key(|z| z.0);
    zones.dedup_by_key(|z| z.0);
    for (id, site, name, kind) in zones {
        index.insert(NodeKey::Zone(*id), nodes.len());
        nodes.push(Node::Zone { zone_id: *id, site_id: *site, name: name.clone(), kind: *kind });
    }
    let mut externals: BTreeMap<&str, BTreeSet<SiteId>> = BTreeMap::new();
    for p in parts {
        for (name, sites) in &p.externals {
            externals.entry(name.as_str()).or_default().extend(sites.iter().copied());
        }
    }
    for (name, sites) in &externals {
        index.insert(NodeKey::External((*name).to_string()), nodes.len());
        nodes.push(Node::External { name: (*name).to_string(), sites: sites.iter().copied().collect() });
    }
    let entry = nodes
        .iter()
        .map(|n| match n {
            Node::Zone { kind, .. } => EntryKind::of_zone(*kind),
            Node::External { .. } => Some(EntryKind::External),
        })
        .collect();
    let target = nodes
        .iter()
        .map(|n| match n {
            Node::Zone { kind, .. } => TargetKind::of_zone(*kind),
            Node::External { .. } => None,
        })
        .collect();
    let mut edges: HashMap<(usize, usize), EdgeFacts> = HashMap::new();
    for p in parts {
        for (a, b, e) in &p.edges {
            let (Some(&ia), Some(&ib)) = (index.get(a), index.get(b)) else { continue };
            edges.entry((ia, ib)).or_default().merge(e);
        }
    }
    let mut adj = vec![Vec::new(); nodes.len()];
    for &(a, b) in edges.keys() {
        adj[a].push(b);
    }
    for v in &mut adj {
        v.sort_unstable();
    }
    Graph { nodes, entry, target, adj, edges }
}

fn node_key(n: &Node) -> String {
    match n {
        Node::Zone { zone_id, .. } => format!("z{zone_id}"),
        Node::External { name, .. } => format!("x:{name}"),
    }
}

struct Search<'a> {
    g: &'a Graph,
    opts: &'a Options,
    on_path: Vec<bool>,
    stack: Vec<usize>,
    out: Vec<Path>,
    truncated: bool,
}

impl Search<'_> {
    fn record(&mut self, entry: EntryKind, target: TargetKind) {
        let g = self.g;
        let nodes: Vec<Node> = self.stack.iter().map(|i| g.nodes[*i].clone()).collect();
        let mut hops = Vec::with_capacity(self.stack.len() - 1);
        for w in self.stack.windows(2) {
            let e = &g.edges[&(w[0], w[1])];
            hops.push(Hop {
                conduits: e.conduits.clone(),
                flows: e.flows.clone(),
                flow_count: e.flow_count,
                unencrypted: if e.conduits.is_empty() {
                    e.any_unencrypted_flow
                } else {
                    !e.encrypted_conduit || e.any_unencrypted_flow
                },
                undocumented: e.conduits.is_empty() || e.any_undocumented_flow,
                conduit_sl: if e.conduits.is_empty() { 0 } else { e.conduit_sl },
            });
        }
        let mut sites: Vec<SiteId> = nodes
            .iter()
            .flat_map(|n| match n {
                Node::Zone { site_id, .. } => vec![*site_id],
                Node::External { .. } => vec![],
            })
            .collect();
        sites.sort_unstable();
        sites.dedup();
        self.out.push(Path {
            key: nodes.iter().map(node_key).collect::<Vec<_>>().join(">"),
            entry,
            target,
            unencrypted_hops: hops.iter().filter(|h| h.unencrypted).count(),
            undocumented_hops: hops.iter().filter(|h| h.undocumented).count(),
            weakest_sl: hops.iter().map(|h| h.conduit_sl).min().unwrap_or(0),
            nodes,
            hops,
            sites,
        });
    }

    fn walk(&mut self, at: usize, entry: EntryKind) {
        if self.truncated {
            return;
        }
        let g = self.g;
        for &next in &g.adj[at] {
            if self.on_path[next] {
                continue;
            }
            // Entry zones are starts, never passed through (external endpoints join sites).
            let is_entry_zone = g.entry[next].is_some() && matches!(g.nodes[next], Node::Zone { .. });
            if is_entry_zone {
                continue;
            }
            self.stack.push(next);
            self.on_path[next] = true;
            if let Some(t) = g.target[next]
                && (self.opts.to.is_empty() || self.opts.to.contains(&t))
            {
                if self.out.len() >= self.opts.max_paths {
                    self.truncated = true;
                } else {
                    self.record(entry, t);
                }
            }
            if self.stack.len() <= self.opts.max_hops {
                self.walk(next, entry);
            }
            self.on_path[next] = false;
            self.stack.pop();
        }
    }
}

/// Every cross-domain path of the estate, ranked.
pub fn paths(estate: &Estate, zoning: &Zoning, opts: &Options) -> Paths {
    paths_over(&[&graph_part(estate, zoning)], opts)
}

/// Every cross-domain path over the graph parts of several sites, ranked.
pub fn paths_over(parts: &[&GraphPart], opts: &Options) -> Paths {
    let g = graph(parts);
    let mut s = Search {
        g: &g,
        opts,
        on_path: vec![false; g.nodes.len()],
        stack: Vec::new(),
        out: Vec::new(),
        truncated: false,
    };
    for start in 0..g.nodes.len() {
        let Some(entry) = g.entry[start] else { continue };
        if !opts.from.is_empty() && !opts.from.contains(&entry) {
            continue;
        }
        s.stack.push(start);
        s.on_path[start] = true;
        s.walk(start, entry);
        s.on_path[start] = false;
        s.stack.pop();
    }
    let (mut out, truncated) = (s.out, s.truncated);
    sort(&mut out, opts.rank);
    Paths { paths: out, truncated }
}

/// Orders paths by a criterion, then by key so the order is total.
pub fn sort(paths: &mut [Path], rank: Rank) {
    let exposure = |p: &Path| {
        (std::cmp::Reverse(p.undocumented_hops), std::cmp::Reverse(p.unencrypted_hops), p.weakest_sl, p.hops.len())
    };
    match rank {
        Rank::Exposure => paths.sort_by(|a, b| exposure(a).cmp(&exposure(b)).then_with(|| a.key.cmp(&b.key))),
        Rank::Hops => paths.sort_by(|a, b| a.hops.len().cmp(&b.hops.len()).then_with(|| a.key.cmp(&b.key))),
        Rank::Weakest => paths.sort_by(|a, b| a.weakest_sl.cmp(&b.weakest_sl).then_with(|| a.key.cmp(&b.key))),
        Rank::Unencrypted => {
            paths.sort_by(|a, b| b.unencrypted_hops.cmp(&a.unencrypted_hops).then_with(|| a.key.cmp(&b.key)))
        }
        Rank::Undocumented => {
            paths.sort_by(|a, b| b.undocumented_hops.cmp(&a.undocumented_hops).then_with(|| a.key.cmp(&b.key)))
        }
    }
}

#[cfg(test)]
mod tests {
    use c981_domain::conduit::ConduitDirection;
    use c981_domain::values::{Protocol, Service, Subnet};
    use c981_domain::{AssetId, FlowId};

    use super::*;
    use crate::model::{AssetNode, AssetTraits, ConduitEdge, FlowEdge, ZoneNode};
    use crate::zoning::assign;

    fn zone(id: i64, site: i64, kind: ZoneKind) -> ZoneNode {
        ZoneNode {
            id: ZoneId::new(id),
            site_id: SiteId::new(site),
            name: format!("Z{id}"),
            kind,
            purdue_level: None,
            subnets: vec![Subnet::parse(&format!("10.{id}.0.0/16")).unwrap()],
            sl_target: SlVector::default(),
            sl_achieved: SlVector::default(),
        }
    }

    fn conduit(id: i64, zones: &[i64], one_way: bool, enc: bool, sl: u8) -> ConduitEdge {
        ConduitEdge {
            id: ConduitId::new(id),
            site_id: SiteId::new(1),
            name: format!("C{id}"),
            zone_ids: zones.iter().map(|z| ZoneId::new(*z)).collect(),
            services: vec![Service::parse("https/443").unwrap()],
            direction: if one_way { ConduitDirection::Unidirectional } else { ConduitDirection::Bidirectional },
            encryption_required: enc,
            sl_target: SlVector::default(),
            sl_achieved: SlVector::from_levels([sl; 7]).unwrap(),
        }
    }

    fn asset(id: i64, zone: i64, site: i64) -> AssetNode {
        AssetNode {
            id: AssetId::new(id),
            site_id: SiteId::new(site),
            declared_zone: None,
            ip_addresses: vec![format!("10.{zone}.0.{id}").parse().unwrap()],
            traits: AssetTraits::default(),
        }
    }

    fn flow(id: i64, site: i64, src: End, dst: End, documented: bool) -> FlowEdge {
        FlowEdge {
            id: FlowId::new(id),
            site_id: SiteId::new(site),
            source: src,
            destination: dst,
            protocol: Protocol::parse("https").unwrap(),
            port: Some(443),
            bidirectional: false,
            encrypted: true,
            documented,
            observed: !documented,
        }
    }

    fn a(id: i64) -> End {
        End::Asset { asset_id: AssetId::new(id) }
    }

    /// Enterprise 1, remote access 2, DMZ 3, supervisory 4, control 5, safety 6.
    /// Conduits: 1-3 (enc, SL2), 2-3 (enc, SL3), 3-4 (SL1), 4-5 (SL2), 5→6 one way (SL3).
    /// A flow from the remote-access asset straight into the supervisory zone (no conduit).
    fn plant() -> Estate {
        Estate {
            zones: vec![
                zone(1, 1, ZoneKind::Enterprise),
                zone(2, 1, ZoneKind::RemoteAccess),
                zone(3, 1, ZoneKind::Dmz),
                zone(4, 1, ZoneKind::Supervisory),
                zone(5, 1, ZoneKind::Control),
                zone(6, 1, ZoneKind::Safety),
            ],
            conduits: vec![
                conduit(1, &[1, 3], false, true, 2),
                conduit(2, &[2, 3], false, true, 3),
                conduit(3, &[3, 4], false, false, 1),
                conduit(4, &[4, 5], false, false, 2),
                conduit(5, &[5, 6], true, false, 3),
            ],
            assets: (1..=6).map(|z| asset(z, z, 1)).collect(),
            flows: vec![flow(1, 1, a(2), a(4), false)],
        }
    }

    fn keys(e: &Estate, opts: &Options) -> BTreeSet<String> {
        let z = assign(&e.zones, &e.assets);
        paths(e, &z, opts).paths.into_iter().map(|p| p.key).collect()
    }

    #[test]
    fn a_hand_built_plant_has_exactly_the_known_paths() {
        let e = plant();
        let found = keys(&e, &Options::default());
        let expected: BTreeSet<String> =
            ["z1>z3>z4>z5", "z1>z3>z4>z5>z6", "z2>z3>z4>z5", "z2>z3>z4>z5>z6", "z2>z4>z5", "z2>z4>z5>z6"]
                .into_iter()
                .map(String::from)
                .collect();
        assert_eq!(found, expected);
        let z = assign(&e.zones, &e.assets);
        let ranked = paths(&e, &z, &Options::default()).paths;
        // The undocumented shortcut from remote access ranks first, the longer (more
        // unencrypted hops) before the shorter.
        assert_eq!(ranked[0].key, "z2>z4>z5>z6");
        assert_eq!(ranked[1].key, "z2>z4>z5");
        assert_eq!(ranked[0].undocumented_hops, 1);
        assert_eq!(ranked[0].hops[0].flows, vec![FlowId::new(1)]);
        assert_eq!(ranked[0].hops[0].conduits, Vec::<ConduitId>::new());
        assert_eq!(ranked[0].weakest_sl, 0);
        let p = ranked.iter().find(|p| p.key == "z1>z3>z4>z5").unwrap();
        assert_eq!((p.weakest_sl, p.unencrypted_hops, p.undocumented_hops), (1, 2, 0));
        let by_hops = paths(&e, &z, &Options { rank: Rank::Hops, ..Options::default() }).paths;
        assert_eq!(by_hops[0].hops.len(), 2);
    }

    #[test]
    fn filters_pick_entries_and_targets() {
        let e = plant();
        let only = keys(
            &e,
            &Options { from: vec![EntryKind::Enterprise], to: vec![TargetKind::Safety], ..Options::default() },
        );
        assert_eq!(only.into_iter().collect::<Vec<_>>(), vec!["z1>z3>z4>z5>z6".to_string()]);
    }

    #[test]
    fn a_one_way_conduit_carries_paths_only_from_its_first_zone() {
        let mut e = plant();
        e.conduits[4].zone_ids = vec![ZoneId::new(6), ZoneId::new(5)];
        assert!(keys(&e, &Options::default()).iter().all(|k| !k.ends_with("z6")));
    }

    #[test]
    fn a_shared_external_endpoint_joins_two_sites() {
        let mut e = plant();
        e.zones.push(zone(7, 2, ZoneKind::Control));
        e.assets.push(asset(7, 7, 2));
        let wan = End::External { name: "corporate wan".into() };
        e.flows.push(flow(2, 1, a(1), wan.clone(), true));
        e.flows.push(flow(3, 2, wan, a(7), true));
        let z = assign(&e.zones, &e.assets);
        let found = paths(&e, &z, &Options::default()).paths;
        let cross = found.iter().find(|p| p.key == "z1>x:corporate wan>z7").expect("a path across sites");
        assert_eq!(cross.sites, vec![SiteId::new(1), SiteId::new(2)]);
        assert!(found.iter().any(|p| p.key == "x:corporate wan>z7" && p.entry == EntryKind::External));
    }

    #[test]
    fn max_paths_truncates_and_says_so() {
        let e = plant();
        let z = assign(&e.zones, &e.assets);
        let p = paths(&e, &z, &Options { max_paths: 2, ..Options::default() });
        assert_eq!(p.paths.len(), 2);
        assert!(p.truncated);
    }

    /// A deterministic random plant of `n` zones with random kinds and conduits.
    fn random_plant(seed: &mut u64, n: i64) -> Estate {
        let mut next = || {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed
        };
        let kinds = [
            ZoneKind::Enterprise,
            ZoneKind::RemoteAccess,
            ZoneKind::Dmz,
            ZoneKind::Supervisory,
            ZoneKind::Control,
            ZoneKind::Safety,
            ZoneKind::Cloud,
        ];
        let zones: Vec<ZoneNode> = (1..=n).map(|i| zone(i, 1, kinds[(next() % 7) as usize])).collect();
        let mut conduits = Vec::new();
        for c in 1..=(n + (next() % n as u64) as i64) {
            let x = 1 + (next() % n as u64) as i64;
            let y = 1 + (next() % n as u64) as i64;
            if x != y {
                conduits.push(conduit(c, &[x, y], next() % 4 == 0, next() % 2 == 0, (next() % 5) as u8));
            }
        }
        Estate { zones, conduits, assets: vec![], flows: vec![] }
    }

    #[test]
    fn adding_a_conduit_never_removes_a_path() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for round in 0..200 {
            let mut e = random_plant(&mut seed, 7);
            let before = keys(&e, &Options::default());
            let (x, y) = (1 + (seed % 7) as i64, 1 + ((seed >> 8) % 7) as i64);
            if x == y {
                continue;
            }
            e.conduits.push(conduit(1000, &[x, y], round % 3 == 0, false, 1));
            let after = keys(&e, &Options::default());
            assert!(
                before.is_subset(&after),
                "round {round}: {:?} lost",
                before.difference(&after).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn removing_every_conduit_into_the_safety_zones_removes_every_path_to_them() {
        let mut seed = 0x1234_5678_9abc_def1_u64;
        for _ in 0..200 {
            let mut e = random_plant(&mut seed, 8);
            let safety: Vec<ZoneId> = e.zones.iter().filter(|z| z.kind == ZoneKind::Safety).map(|z| z.id).collect();
            e.conduits.retain(|c| !c.zone_ids.iter().any(|z| safety.contains(z)));
            let z = assign(&e.zones, &e.assets);
            assert!(paths(&e, &z, &Options::default()).paths.iter().all(|p| p.target != TargetKind::Safety));
        }
    }
}
