//! Which zone each asset belongs to.
//!
//! A zone set on the asset itself is an override and always wins. Otherwise each address of
//! the asset is matched against the subnets of the zones of the asset's own site, and the
//! longest matching prefix wins (a /24 inside a /16 takes its addresses). The result does not
//! depend on the order of assets or zones: every decision is made per address, and ties
//! between equal subnets of two zones are reported rather than broken silently (the zone
//! with the lower id is used so the answer stays stable).
//!
//! Besides the assignment it reports what an engineer has to look at: subnets of two zones
//! that overlap, assets whose addresses fall into several zones (a dual-homed device that
//! bridges them), assets whose override differs from what their addresses say, and assets
//! with no zone at all.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use c981_domain::{AssetId, SiteId, ZoneId};
use serde::Serialize;

use crate::model::{AssetNode, ZoneNode};

/// How an asset got its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Set on the asset (an override).
    Declared,
    /// The longest matching subnet of one of its addresses.
    Subnet,
}

/// Two zones of a site whose subnets overlap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overlap {
    pub site_id: SiteId,
    pub zone: ZoneId,
    pub subnet: String,
    pub other_zone: ZoneId,
    pub other_subnet: String,
    /// Both subnets are the same network: the tie is broken by the lower zone id.
    pub identical: bool,
}

/// The zones of a set of assets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Zoning {
    /// Effective zone per asset (assets without one are absent).
    pub zone_of: HashMap<AssetId, (ZoneId, Via)>,
    pub overlaps: Vec<Overlap>,
    /// Assets whose addresses fall into more than one zone, with those zones (sorted).
    pub multi_homed: Vec<(AssetId, Vec<ZoneId>)>,
    /// Assets whose declared zone is not the zone their addresses give: (asset, declared,
    /// by subnet).
    pub override_differs: Vec<(AssetId, ZoneId, ZoneId)>,
    /// Assets with no zone, in id order.
    pub unassigned: Vec<AssetId>,
}

impl Zoning {
    /// The effective zone of an asset.
    pub fn zone(&self, asset: AssetId) -> Option<ZoneId> {
        self.zone_of.get(&asset).map(|(z, _)| *z)
    }
}

/// A longest-prefix-match table over the subnets of one site's zones.
struct PrefixTable {
    /// Per prefix length present (longest first): masked network address to zone.
    v4: Vec<(u8, HashMap<u32, ZoneId>)>,
    v6: Vec<(u8, HashMap<u128, ZoneId>)>,
}

fn mask4(a: u32, len: u8) -> u32 {
    if len == 0 { 0 } else { a & (u32::MAX << (32 - u32::from(len))) }
}

fn mask6(a: u128, len: u8) -> u128 {
    if len == 0 { 0 } else { a & (u128::MAX << (128 - u32::from(len))) }
}

impl PrefixTable {
    fn new(zones: &[&ZoneNode]) -> Self {
        let mut v4: BTreeMap<u8, HashMap<u32, ZoneId>> = BTreeMap::new();
        let mut v6: BTreeMap<u8, HashMap<u128, ZoneId>> = BTreeMap::new();
        for z in zones {
            for s in &z.subnets {
                match s.net() {
                    ipnet::IpNet::V4(n) => {
                        let e = v4.entry(n.prefix_len()).or_default().entry(u32::from(n.network())).or_insert(z.id);
                        *e = (*e).min(z.id);
                    }
                    ipnet::IpNet::V6(n) => {
                        let e = v6.entry(n.prefix_len()).or_default().entry(u128::from(n.network())).or_insert(z.id);
                        *e = (*e).min(z.id);
                    }
                }
            }
        }
        Self { v4: v4.into_iter().rev().collect(), v6: v6.into_iter().rev().collect() }
    }

    fn lookup(&self, ip: &IpAddr) -> Option<ZoneId> {
        match ip {
            IpAddr::V4(a) => {
                let a = u32::from(*a);
                self.v4.iter().find_map(|(len, m)| m.get(&mask4(a, *len)).copied())
            }
            IpAddr::V6(a) => {
                if let Some(v4) = a.to_ipv4_mapped() {
                    return self.lookup(&IpAddr::V4(v4));
                }
                let a = u128::from(*a);
                self.v6.iter().find_map(|(len, m)| m.get(&mask6(a, *len)).copied())
            }
        }
    }
}

/// Overlapping subnets between different zones of one site, each pair once.
fn overlaps(site_id: SiteId, zones: &[&ZoneNode]) -> Vec<Overlap> {
    let mut nets: Vec<(ipnet::IpNet, ZoneId)> =
        zones.iter().flat_map(|z| z.subnets.iter().map(move |s| (s.net(), z.id))).collect();
    nets.sort_by_key(|a| (a.0.network(), a.0.prefix_len(), a.1));
    let mut out = Vec::new();
    for (i, (a, za)) in nets.iter().enumerate() {
        for (b, zb) in &nets[i + 1..] {
            if za == zb {
                continue;
            }
            // Sorted by network address: once b starts beyond a's range no later one overlaps.
            if !a.contains(&b.network()) {
                if b.network() > a.broadcast() {
                    break;
                }
                continue;
            }
            out.push(Overlap {
                site_id,
                zone: *za,
                subnet: a.to_string(),
                other_zone: *zb,
                other_subnet: b.to_string(),
                identical: a == b,
            });
        }
    }
    out
}

/// Assigns every asset its zone. Zones and assets of several sites may be passed together:
/// an asset is only ever matched against its own site's zones.
pub fn assign(zones: &[ZoneNode], assets: &[AssetNode]) -> Zoning {
    let mut by_site: BTreeMap<SiteId, Vec<&ZoneNode>> = BTreeMap::new();
    for z in zones {
        by_site.entry(z.site_id).or_default().push(z);
    }
    let zone_site: HashMap<ZoneId, SiteId> = zones.iter().map(|z| (z.id, z.site_id)).collect();
    let mut out = Zoning { zone_of: HashMap::with_capacity(assets.len()), ..Zoning::default() };
    let mut tables: HashMap<SiteId, PrefixTable> = HashMap::with_capacity(by_site.len());
    for (site, zs) in &by_site {
        tables.insert(*site, PrefixTable::new(zs));
        out.overlaps.extend(overlaps(*site, zs));
    }
    let mut seen: Vec<ZoneId> = Vec::new();
    for a in assets {
        seen.clear();
        if let Some(t) = tables.get(&a.site_id) {
            for ip in &a.ip_addresses {
                if let Some(z) = t.lookup(ip)
                    && !seen.contains(&z)
                {
                    seen.push(z);
                }
            }
        }
        seen.sort_unstable();
        if seen.len() > 1 {
            out.multi_homed.push((a.id, seen.clone()));
        }
        let by_subnet = seen.first().copied();
        // A declared zone of another site is ignored (the store refuses it; be safe anyway).
        let declared = a.declared_zone.filter(|z| zone_site.get(z) == Some(&a.site_id));
        match (declared, by_subnet) {
            (Some(d), s) => {
                if let Some(s) = s
                    && !seen.contains(&d)
                {
                    out.override_differs.push((a.id, d, s));
                }
                out.zone_of.insert(a.id, (d, Via::Declared));
            }
            (None, Some(s)) => {
                out.zone_of.insert(a.id, (s, Via::Subnet));
            }
            (None, None) => out.unassigned.push(a.id),
        }
    }
    out.multi_homed.sort_unstable();
    out.override_differs.sort_unstable();
    out.unassigned.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use c981_domain::ZoneKind;
    use c981_domain::values::{SlVector, Subnet};

    use super::*;
    use crate::model::AssetTraits;

    fn zone(id: i64, site: i64, subnets: &[&str]) -> ZoneNode {
        ZoneNode {
            id: ZoneId::new(id),
            site_id: SiteId::new(site),
            name: format!("zone {id}"),
            kind: ZoneKind::Control,
            purdue_level: None,
            subnets: subnets.iter().map(|s| Subnet::parse(s).unwrap()).collect(),
            sl_target: SlVector::default(),
            sl_achieved: SlVector::default(),
        }
    }

    fn asset(id: i64, site: i64, declared: Option<i64>, ips: &[&str]) -> AssetNode {
        AssetNode {
            id: AssetId::new(id),
            site_id: SiteId::new(site),
            declared_zone: declared.map(ZoneId::new),
            ip_addresses: ips.iter().map(|s| s.parse().unwrap()).collect(),
            traits: AssetTraits::default(),
        }
    }

    #[test]
    fn the_longest_prefix_wins() {
        let zones = [zone(1, 1, &["10.0.0.0/16"]), zone(2, 1, &["10.0.5.0/24"])];
        let assets = [asset(1, 1, None, &["10.0.5.7"]), asset(2, 1, None, &["10.0.6.7"])];
        let z = assign(&zones, &assets);
        assert_eq!(z.zone(AssetId::new(1)), Some(ZoneId::new(2)));
        assert_eq!(z.zone(AssetId::new(2)), Some(ZoneId::new(1)));
        assert_eq!(z.overlaps.len(), 1);
        assert!(!z.overlaps[0].identical);
        assert_eq!((z.overlaps[0].zone, z.overlaps[0].other_zone), (ZoneId::new(1), ZoneId::new(2)));
    }

    #[test]
    fn an_override_wins_and_a_disagreeing_one_is_reported() {
        let zones = [zone(1, 1, &["10.0.0.0/24"]), zone(2, 1, &["10.0.1.0/24"])];
        let assets = [asset(1, 1, Some(2), &["10.0.0.9"]), asset(2, 1, Some(1), &["10.0.0.10"])];
        let z = assign(&zones, &assets);
        assert_eq!(z.zone_of[&AssetId::new(1)], (ZoneId::new(2), Via::Declared));
        assert_eq!(z.override_differs, vec![(AssetId::new(1), ZoneId::new(2), ZoneId::new(1))]);
    }

    #[test]
    fn assets_match_only_their_own_sites_zones() {
        let zones = [zone(1, 1, &["10.0.0.0/24"]), zone(2, 2, &["10.0.0.0/24"])];
        let assets = [asset(1, 2, None, &["10.0.0.1"]), asset(2, 3, None, &["10.0.0.1"])];
        let z = assign(&zones, &assets);
        assert_eq!(z.zone(AssetId::new(1)), Some(ZoneId::new(2)));
        assert_eq!(z.unassigned, vec![AssetId::new(2)]);
        assert!(z.overlaps.is_empty(), "subnets of different sites never overlap");
    }

    #[test]
    fn a_dual_homed_asset_is_reported_with_both_zones() {
        let zones = [zone(1, 1, &["10.0.0.0/24"]), zone(2, 1, &["192.168.1.0/24", "fd00::/64"])];
        let assets = [asset(7, 1, None, &["fd00::5", "10.0.0.3"])];
        let z = assign(&zones, &assets);
        assert_eq!(z.multi_homed, vec![(AssetId::new(7), vec![ZoneId::new(1), ZoneId::new(2)])]);
        assert_eq!(z.zone(AssetId::new(7)), Some(ZoneId::new(1)));
    }

    #[test]
    fn identical_subnets_in_two_zones_are_reported_and_the_lower_id_is_used() {
        let zones = [zone(5, 1, &["10.1.0.0/24"]), zone(3, 1, &["10.1.0.0/24"])];
        let z = assign(&zones, &[asset(1, 1, None, &["10.1.0.1"])]);
        assert_eq!(z.zone(AssetId::new(1)), Some(ZoneId::new(3)));
        assert!(z.overlaps[0].identical);
    }

    #[test]
    fn ipv4_mapped_ipv6_addresses_match_ipv4_subnets() {
        let zones = [zone(1, 1, &["10.0.0.0/8"])];
        let z = assign(&zones, &[asset(1, 1, None, &["::ffff:10.2.3.4"])]);
        assert_eq!(z.zone(AssetId::new(1)), Some(ZoneId::new(1)));
    }

    #[test]
    fn assignment_does_not_depend_on_the_order_of_assets_or_zones() {
        // A deterministic shuffle of a small plant, many times.
        let zones: Vec<ZoneNode> = vec![
            zone(1, 1, &["10.0.0.0/8"]),
            zone(2, 1, &["10.1.0.0/16"]),
            zone(3, 1, &["10.1.2.0/24", "172.16.0.0/12"]),
            zone(4, 1, &["10.1.2.0/24"]),
            zone(5, 1, &["172.16.5.0/24"]),
        ];
        let mut assets: Vec<AssetNode> = (1..=60)
            .map(|i| {
                let ip = match i % 5 {
                    0 => format!("10.9.{i}.1"),
                    1 => format!("10.1.7.{i}"),
                    2 => format!("10.1.2.{i}"),
                    3 => format!("172.16.5.{i}"),
                    _ => format!("192.168.0.{i}"),
                };
                let mut ips = vec![ip];
                if i % 7 == 0 {
                    ips.push(format!("172.17.0.{i}"));
                }
                asset(i, 1, (i % 11 == 0).then_some(5), &ips.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .collect();
        let reference = assign(&zones, &assets);
        let mut zones = zones;
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..50 {
            for i in (1..assets.len()).rev() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                assets.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            zones.rotate_left(1);
            for z in &mut zones {
                z.subnets.reverse();
            }
            let mut z = assign(&zones, &assets);
            let mut r = reference.clone();
            z.overlaps.sort_by_key(|o| (o.zone, o.other_zone, o.subnet.clone()));
            r.overlaps.sort_by_key(|o| (o.zone, o.other_zone, o.subnet.clone()));
            assert_eq!(z, r);
        }
    }
}
