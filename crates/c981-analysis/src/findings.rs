//! Conformance findings of one or more sites: where the plant as recorded departs from its
//! zone and conduit design (IEC 62443-3-2) or from its target security levels.
//!
//! Each finding names its rule, a severity, the record it is about (its subject) and a
//! sentence that says what is wrong with the names an engineer knows. The key
//! (`rule:subject`) is stable across recomputations, so a finding can be linked to and
//! acted on. Rules:
//!
//! | rule | severity | what |
//! |---|---|---|
//! | `flow_without_conduit` | high (critical into a safety zone) | a flow between assets of two zones that no conduit joins |
//! | `flow_against_one_way_conduit` | high | a flow started from the receiving side of one-way conduits |
//! | `service_not_allowed` | medium (high into control or safety) | the conduit does not allow the flow's protocol or port |
//! | `unencrypted_over_encrypted_conduit` | medium | an unencrypted flow over a conduit that requires encryption |
//! | `critical_zone_external_flow` | high | a control, safety or field asset talks to something outside the inventory |
//! | `observed_undocumented_flow` | medium | traffic seen on the network that no design documents |
//! | `asset_without_zone` | low (medium for IACS assets) | no declared zone and no matching subnet |
//! | `multi_homed_asset` | high | addresses in several zones: the asset bridges them past the conduit |
//! | `zone_override_differs` | low | the zone set on the asset is not the one its addresses give |
//! | `subnet_overlap` | info (medium when identical) | subnets of two zones overlap |
//! | `zone_mixes_business_and_iacs` … `zone_mixes_external` | medium / high | the separations of ZCR 3.2 to 3.6 |
//! | `zone_below_target`, `conduit_below_target` | medium (gap 1) / high (gap ≥ 2) | SL-A below SL-T in an FR |

use std::collections::HashMap;
use std::fmt;

use c981_domain::conduit::ConduitDirection;
use c981_domain::values::SlVector;
use c981_domain::{AssetId, ConduitId, FlowId, SiteId, ZoneId, ZoneKind};
use serde::Serialize;

use crate::model::{AssetNode, ConduitEdge, End, Estate, FlowEdge, ZoneNode};
use crate::zoning::Zoning;

/// How much a finding matters, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Ok(Self::Info),
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            "critical" => Ok(Self::Critical),
            other => Err(format!("{other:?} is not a severity (info, low, medium, high, critical)")),
        }
    }
}

macro_rules! rules {
    ($($variant:ident = $code:literal, $basis:literal;)+) => {
        /// A conformance rule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Rule { $($variant,)+ }

        impl Rule {
            pub const ALL: &[Rule] = &[$(Rule::$variant,)+];

            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }

            /// Where the rule comes from.
            pub fn basis(self) -> &'static str {
                match self { $(Self::$variant => $basis,)+ }
            }

            pub fn parse(s: &str) -> Result<Self, String> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|r| r.code() == s).ok_or_else(|| format!("{s:?} is not a finding rule"))
            }
        }
    };
}

rules! {
    FlowWithoutConduit = "flow_without_conduit", "IEC 62443-3-2 ZCR 3.1; 62443-3-3 SR 5.1, SR 5.2";
    FlowAgainstOneWayConduit = "flow_against_one_way_conduit", "IEC 62443-3-3 SR 5.2";
    ServiceNotAllowed = "service_not_allowed", "IEC 62443-3-3 SR 5.2 RE 1 (deny by default, allow by exception)";
    UnencryptedOverEncryptedConduit = "unencrypted_over_encrypted_conduit", "IEC 62443-3-3 SR 3.1, SR 4.1";
    CriticalZoneExternalFlow = "critical_zone_external_flow", "IEC 62443-3-3 SR 5.1 RE 2, SR 5.2";
    ObservedUndocumentedFlow = "observed_undocumented_flow", "IEC 62443-3-2 ZCR 6 (documented design); ISO/IEC 27001 A.8.20";
    AssetWithoutZone = "asset_without_zone", "IEC 62443-3-2 ZCR 3.1";
    MultiHomedAsset = "multi_homed_asset", "IEC 62443-3-2 ZCR 3.1; 62443-3-3 SR 5.1";
    ZoneOverrideDiffers = "zone_override_differs", "IEC 62443-3-2 ZCR 3.1";
    SubnetOverlap = "subnet_overlap", "IEC 62443-3-2 ZCR 3.1";
    ZoneMixesBusinessAndIacs = "zone_mixes_business_and_iacs", "IEC 62443-3-2 ZCR 3.2";
    ZoneMixesSafety = "zone_mixes_safety", "IEC 62443-3-2 ZCR 3.3";
    ZoneMixesTemporary = "zone_mixes_temporary", "IEC 62443-3-2 ZCR 3.4";
    ZoneMixesWireless = "zone_mixes_wireless", "IEC 62443-3-2 ZCR 3.5";
    ZoneMixesExternal = "zone_mixes_external", "IEC 62443-3-2 ZCR 3.6";
    ZoneBelowTarget = "zone_below_target", "IEC 62443-3-3 (SL-A below SL-T)";
    ConduitBelowTarget = "conduit_below_target", "IEC 62443-3-3 (SL-A below SL-T)";
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The record a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Subject {
    Zone(ZoneId),
    Conduit(ConduitId),
    Asset(AssetId),
    Flow(FlowId),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Zone(id) => write!(f, "zone:{id}"),
            Self::Conduit(id) => write!(f, "conduit:{id}"),
            Self::Asset(id) => write!(f, "asset:{id}"),
            Self::Flow(id) => write!(f, "flow:{id}"),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `rule:subject`, stable across recomputations.
    pub key: String,
    pub rule: Rule,
    pub severity: Severity,
    pub site_id: SiteId,
    pub subject: Subject,
    /// Other records involved (the zones a flow crosses, the zone a subject overlaps…).
    pub related: Vec<Subject>,
    pub message: String,
}

struct Ctx<'a> {
    zones: HashMap<ZoneId, &'a ZoneNode>,
    assets: HashMap<AssetId, &'a AssetNode>,
    /// Conduits joining each unordered pair of zones (smaller id first).
    pairs: HashMap<(ZoneId, ZoneId), Vec<&'a ConduitEdge>>,
    zoning: &'a Zoning,
    out: Vec<Finding>,
}

fn pair(a: ZoneId, b: ZoneId) -> (ZoneId, ZoneId) {
    if a <= b { (a, b) } else { (b, a) }
}

/// The zone pairs a conduit joins, each unordered pair once.
pub(crate) fn conduit_pairs(c: &ConduitEdge) -> impl Iterator<Item = (ZoneId, ZoneId)> + '_ {
    c.zone_ids
        .iter()
        .enumerate()
        .flat_map(move |(i, a)| c.zone_ids[i + 1..].iter().filter(move |b| *b != a).map(move |b| pair(*a, *b)))
}

/// Whether a conduit lets traffic be started from zone `from` towards zone `to`.
pub(crate) fn conduit_allows_direction(c: &ConduitEdge, from: ZoneId, to: ZoneId) -> bool {
    match c.direction {
        ConduitDirection::Bidirectional => true,
        ConduitDirection::Unidirectional => c.zone_ids.first() == Some(&from) && c.zone_ids.contains(&to),
    }
}

/// The FRs where `achieved` is below `target`, as "FR 3 SI (target 3, achieved 1)".
fn gap_text(target: SlVector, achieved: SlVector) -> (u8, String) {
    let (t, a) = (target.levels(), achieved.levels());
    let mut max = 0;
    let mut parts = Vec::new();
    for i in 0..7 {
        if a[i] < t[i] {
            max = max.max(t[i] - a[i]);
            parts.push(format!("FR {} {} (target {}, achieved {})", i + 1, SlVector::FR_NAMES[i], t[i], a[i]));
        }
    }
    (max, parts.join(", "))
}

impl<'a> Ctx<'a> {
    fn push(
        &mut self,
        rule: Rule,
        severity: Severity,
        site_id: SiteId,
        subject: Subject,
        related: Vec<Subject>,
        message: String,
    ) {
        self.out.push(Finding { key: format!("{rule}:{subject}"), rule, severity, site_id, subject, related, message });
    }

    fn zone_name(&self, id: ZoneId) -> &str {
        self.zones.get(&id).map_or("?", |z| z.name.as_str())
    }

    fn flow_label(f: &FlowEdge) -> String {
        match f.port {
            Some(p) => format!("flow {} ({}/{p})", f.id, f.protocol.as_str()),
            None => format!("flow {} ({})", f.id, f.protocol.as_str()),
        }
    }

    fn end_zone(&self, e: &End) -> Option<ZoneId> {
        match e {
            End::Asset { asset_id } => self.zoning.zone(*asset_id),
            End::External { .. } => None,
        }
    }

    fn flow(&mut self, f: &'a FlowEdge) {
        let label = Self::flow_label(f);
        if f.observed && !f.documented {
            self.push(
                Rule::ObservedUndocumentedFlow,
                Severity::Medium,
                f.site_id,
                Subject::Flow(f.id),
                vec![],
                format!("{label} was seen on the network but is not part of the documented design"),
            );
        }
        let (src, dst) = (self.end_zone(&f.source), self.end_zone(&f.destination));
        // A control, safety or field asset talking straight to something outside the inventory.
        let external = match (&f.source, &f.destination, src, dst) {
            (End::External { name }, End::Asset { .. }, _, Some(z))
            | (End::Asset { .. }, End::External { name }, Some(z), _) => Some((name, z)),
            _ => None,
        };
        if let Some((name, z)) = external
            && let Some(zone) = self.zones.get(&z)
            && matches!(zone.kind, ZoneKind::Control | ZoneKind::Safety | ZoneKind::Field)
        {
            let zone_name = zone.name.clone();
            self.push(
                Rule::CriticalZoneExternalFlow,
                Severity::High,
                f.site_id,
                Subject::Flow(f.id),
                vec![Subject::Zone(z)],
                format!("{label} joins zone {zone_name:?} directly to {name:?}, outside the inventory"),
            );
        }
        let (Some(a), Some(b)) = (src, dst) else { return };
        if a == b {
            return;
        }
        let critical = [a, b]
            .iter()
            .any(|z| self.zones.get(z).is_some_and(|z| matches!(z.kind, ZoneKind::Control | ZoneKind::Safety)));
        let safety = self.zones.get(&b).is_some_and(|z| z.kind == ZoneKind::Safety)
            || self.zones.get(&a).is_some_and(|z| z.kind == ZoneKind::Safety);
        let related = vec![Subject::Zone(a), Subject::Zone(b)];
        let crossing = format!("from zone {:?} to zone {:?}", self.zone_name(a), self.zone_name(b));
        let Some(conduits) = self.pairs.get(&pair(a, b)).cloned() else {
            self.push(
                Rule::FlowWithoutConduit,
                if safety { Severity::Critical } else { Severity::High },
                f.site_id,
                Subject::Flow(f.id),
                related,
                format!("{label} crosses {crossing} where no conduit joins them"),
            );
            return;
        };
        let directed: Vec<&ConduitEdge> =
            conduits.iter().copied().filter(|c| conduit_allows_direction(c, a, b)).collect();
        if directed.is_empty() {
            let names = conduits.iter().map(|c| format!("{:?}", c.name)).collect::<Vec<_>>().join(", ");
            self.push(
                Rule::FlowAgainstOneWayConduit,
                Severity::High,
                f.site_id,
                Subject::Flow(f.id),
                related.into_iter().chain(conduits.iter().map(|c| Subject::Conduit(c.id))).collect(),
                format!("{label} is started {crossing} against the one-way conduit {names}"),
            );
            return;
        }
        let allowing: Vec<&ConduitEdge> =
            directed.iter().copied().filter(|c| c.services.iter().any(|s| s.allows(&f.protocol, f.port))).collect();
        if allowing.is_empty() {
            let c = directed[0];
            let allowed = if c.services.is_empty() {
                "nothing".to_string()
            } else {
                c.services.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            };
            self.push(
                Rule::ServiceNotAllowed,
                if critical { Severity::High } else { Severity::Medium },
                f.site_id,
                Subject::Flow(f.id),
                related.into_iter().chain(directed.iter().map(|c| Subject::Conduit(c.id))).collect(),
                format!("{label} crosses {crossing} over conduit {:?}, which allows {allowed}", c.name),
            );
            return;
        }
        if !f.encrypted && allowing.iter().all(|c| c.encryption_required) {
            let c = allowing[0];
            self.push(
                Rule::UnencryptedOverEncryptedConduit,
                Severity::Medium,
                f.site_id,
                Subject::Flow(f.id),
                related.into_iter().chain([Subject::Conduit(c.id)]).collect(),
                format!("{label} is unencrypted over conduit {:?}, which requires encryption", c.name),
            );
        }
    }

    fn zone_mix(&mut self, zone: &ZoneNode, members: &[&AssetNode]) {
        if members.len() < 2 {
            return;
        }
        let count = |p: &dyn Fn(&AssetNode) -> bool| members.iter().filter(|a| p(a)).count();
        let n = members.len();
        let checks: [(Rule, Severity, usize, &str, &str); 5] = [
            (Rule::ZoneMixesBusinessAndIacs, Severity::Medium, count(&|a| !a.traits.iacs), "business", "IACS"),
            (Rule::ZoneMixesSafety, Severity::High, count(&|a| a.traits.safety), "safety-related", "other"),
            (
                Rule::ZoneMixesTemporary,
                Severity::Medium,
                count(&|a| a.traits.temporary),
                "temporarily connected",
                "permanent",
            ),
            (Rule::ZoneMixesWireless, Severity::Medium, count(&|a| a.traits.wireless), "wireless", "wired"),
            (Rule::ZoneMixesExternal, Severity::High, count(&|a| a.traits.external), "externally reached", "internal"),
        ];
        for (rule, severity, k, these, others) in checks {
            if k > 0 && k < n {
                self.push(
                    rule,
                    severity,
                    zone.site_id,
                    Subject::Zone(zone.id),
                    vec![],
                    format!("zone {:?} holds {k} {these} and {} {others} assets ({})", zone.name, n - k, rule.basis()),
                );
            }
        }
    }
}

/// All findings of the estate, most severe first, then by rule and subject.
pub fn findings(estate: &Estate, zoning: &Zoning) -> Vec<Finding> {
    let mut pairs: HashMap<(ZoneId, ZoneId), Vec<&ConduitEdge>> = HashMap::new();
    for c in &estate.conduits {
        for p in conduit_pairs(c) {
            let v = pairs.entry(p).or_default();
            if !v.iter().any(|x| x.id == c.id) {
                v.push(c);
            }
        }
    }
    let mut cx = Ctx {
        zones: estate.zones.iter().map(|z| (z.id, z)).collect(),
        assets: estate.assets.iter().map(|a| (a.id, a)).collect(),
        pairs,
        zoning,
        out: Vec::new(),
    };
    for f in &estate.flows {
        cx.flow(f);
    }
    // Zone membership and separations.
    let mut members: HashMap<ZoneId, Vec<&AssetNode>> = HashMap::new();
    for a in &estate.assets {
        if let Some(z) = zoning.zone(a.id) {
            members.entry(z).or_default().push(a);
        }
    }
    for z in &estate.zones {
        if let Some(m) = members.get(&z.id) {
            cx.zone_mix(z, m);
        }
        let (gap, text) = gap_text(z.sl_target, z.sl_achieved);
        if gap > 0 {
            cx.push(
                Rule::ZoneBelowTarget,
                if gap >= 2 { Severity::High } else { Severity::Medium },
                z.site_id,
                Subject::Zone(z.id),
                vec![],
                format!("zone {:?} is below its target security level in {text}", z.name),
            );
        }
    }
    for c in &estate.conduits {
        let (gap, text) = gap_text(c.sl_target, c.sl_achieved);
        if gap > 0 {
            cx.push(
                Rule::ConduitBelowTarget,
                if gap >= 2 { Severity::High } else { Severity::Medium },
                c.site_id,
                Subject::Conduit(c.id),
                vec![],
                format!("conduit {:?} is below its target security level in {text}", c.name),
            );
        }
    }
    for id in &zoning.unassigned {
        if let Some(a) = cx.assets.get(id) {
            let (site, iacs) = (a.site_id, a.traits.iacs);
            cx.push(
                Rule::AssetWithoutZone,
                if iacs { Severity::Medium } else { Severity::Low },
                site,
                Subject::Asset(*id),
                vec![],
                if a.ip_addresses.is_empty() {
                    format!("asset {id} has no zone and no address to place it by")
                } else {
                    format!("asset {id} has no zone and none of its addresses is in a zone's subnet")
                },
            );
        }
    }
    for (id, zones) in &zoning.multi_homed {
        let Some(site) = cx.assets.get(id).map(|a| a.site_id) else { continue };
        let names = zones.iter().map(|z| format!("{:?}", cx.zone_name(*z))).collect::<Vec<_>>().join(", ");
        cx.push(
            Rule::MultiHomedAsset,
            Severity::High,
            site,
            Subject::Asset(*id),
            zones.iter().map(|z| Subject::Zone(*z)).collect(),
            format!("asset {id} has addresses in zones {names}: it bridges them outside any conduit"),
        );
    }
    for (id, declared, by_subnet) in &zoning.override_differs {
        let Some(site) = cx.assets.get(id).map(|a| a.site_id) else { continue };
        let msg = format!(
            "asset {id} is set to zone {:?} but its addresses are in zone {:?}",
            cx.zone_name(*declared),
            cx.zone_name(*by_subnet)
        );
        cx.push(
            Rule::ZoneOverrideDiffers,
            Severity::Low,
            site,
            Subject::Asset(*id),
            vec![Subject::Zone(*declared), Subject::Zone(*by_subnet)],
            msg,
        );
    }
    for o in &zoning.overlaps {
        let msg = format!(
            "subnet {} of zone {:?} {} subnet {} of zone {:?}{}",
            o.subnet,
            cx.zone_name(o.zone),
            if o.identical { "is the same network as" } else { "contains" },
            o.other_subnet,
            cx.zone_name(o.other_zone),
            if o.identical { "; its addresses go to the zone with the lower id" } else { "; the longer prefix wins" }
        );
        let key_subject = Subject::Zone(o.other_zone);
        cx.out.push(Finding {
            key: format!("{}:{key_subject}:{}:{}", Rule::SubnetOverlap, o.zone, o.other_subnet),
            rule: Rule::SubnetOverlap,
            severity: if o.identical { Severity::Medium } else { Severity::Info },
            site_id: o.site_id,
            subject: key_subject,
            related: vec![Subject::Zone(o.zone)],
            message: msg,
        });
    }
    let mut out = cx.out;
    out.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then(a.rule.cmp(&b.rule)).then(a.subject.cmp(&b.subject)).then(a.key.cmp(&b.key))
    });
    out
}

#[cfg(test)]
mod tests {
    use c981_domain::values::{Protocol, Service, Subnet};

    use super::*;
    use crate::model::AssetTraits;
    use crate::zoning::assign;

    pub(crate) fn zone(id: i64, kind: ZoneKind, subnet: &str) -> ZoneNode {
        ZoneNode {
            id: ZoneId::new(id),
            site_id: SiteId::new(1),
            name: format!("Z{id}"),
            kind,
            purdue_level: None,
            subnets: vec![Subnet::parse(subnet).unwrap()],
            sl_target: SlVector::default(),
            sl_achieved: SlVector::default(),
        }
    }

    fn conduit(id: i64, zones: &[i64], services: &[&str], one_way: bool, enc: bool) -> ConduitEdge {
        ConduitEdge {
            id: ConduitId::new(id),
            site_id: SiteId::new(1),
            name: format!("C{id}"),
            zone_ids: zones.iter().map(|z| ZoneId::new(*z)).collect(),
            services: services.iter().map(|s| Service::parse(s).unwrap()).collect(),
            direction: if one_way { ConduitDirection::Unidirectional } else { ConduitDirection::Bidirectional },
            encryption_required: enc,
            sl_target: SlVector::default(),
            sl_achieved: SlVector::default(),
        }
    }

    fn asset(id: i64, ip: &str, traits: AssetTraits) -> AssetNode {
        AssetNode {
            id: AssetId::new(id),
            site_id: SiteId::new(1),
            declared_zone: None,
            ip_addresses: vec![ip.parse().unwrap()],
            traits,
        }
    }

    fn flow(id: i64, src: i64, dst: i64, proto: &str, port: Option<u16>, encrypted: bool) -> FlowEdge {
        FlowEdge {
            id: FlowId::new(id),
            site_id: SiteId::new(1),
            source: End::Asset { asset_id: AssetId::new(src) },
            destination: End::Asset { asset_id: AssetId::new(dst) },
            protocol: Protocol::parse(proto).unwrap(),
            port,
            bidirectional: false,
            encrypted,
            documented: true,
            observed: false,
        }
    }

    const IACS: AssetTraits =
        AssetTraits { iacs: true, safety: false, wireless: false, temporary: false, external: false };

    fn run(e: &Estate) -> Vec<Finding> {
        findings(e, &assign(&e.zones, &e.assets))
    }

    fn rules_of(found: &[Finding], subject: Subject) -> Vec<Rule> {
        found.iter().filter(|f| f.subject == subject).map(|f| f.rule).collect()
    }

    /// Zones 1 (enterprise 10.1/16), 2 (DMZ 10.2/16), 3 (control 10.3/16), 4 (safety 10.4/16);
    /// conduit 1 joins 1-2 allowing https/443 with encryption, conduit 2 is one-way 3 → 2
    /// allowing opcua/4840; no conduit into safety.
    fn plant() -> Estate {
        Estate {
            zones: vec![
                zone(1, ZoneKind::Enterprise, "10.1.0.0/16"),
                zone(2, ZoneKind::Dmz, "10.2.0.0/16"),
                zone(3, ZoneKind::Control, "10.3.0.0/16"),
                zone(4, ZoneKind::Safety, "10.4.0.0/16"),
            ],
            conduits: vec![
                conduit(1, &[1, 2], &["https/443"], false, true),
                conduit(2, &[3, 2], &["opcua/4840"], true, false),
            ],
            assets: vec![
                asset(1, "10.1.0.1", AssetTraits { iacs: false, ..IACS }),
                asset(2, "10.2.0.1", IACS),
                asset(3, "10.3.0.1", IACS),
                asset(4, "10.4.0.1", AssetTraits { safety: true, ..IACS }),
                asset(5, "192.168.9.9", IACS),
            ],
            flows: vec![
                flow(1, 1, 2, "https", Some(443), true),   // fine
                flow(2, 1, 2, "https", Some(443), false),  // unencrypted over encrypted conduit
                flow(3, 1, 2, "rdp", Some(3389), true),    // service not allowed
                flow(4, 3, 2, "opcua", Some(4840), false), // fine: one way from 3
                flow(5, 2, 3, "opcua", Some(4840), false), // against the one-way conduit
                flow(6, 3, 4, "modbus", Some(502), false), // no conduit, into safety
            ],
        }
    }

    #[test]
    fn a_hand_built_plant_gives_exactly_the_known_findings() {
        let found = run(&plant());
        assert!(rules_of(&found, Subject::Flow(FlowId::new(1))).is_empty());
        assert_eq!(rules_of(&found, Subject::Flow(FlowId::new(2))), vec![Rule::UnencryptedOverEncryptedConduit]);
        assert_eq!(rules_of(&found, Subject::Flow(FlowId::new(3))), vec![Rule::ServiceNotAllowed]);
        assert!(rules_of(&found, Subject::Flow(FlowId::new(4))).is_empty());
        assert_eq!(rules_of(&found, Subject::Flow(FlowId::new(5))), vec![Rule::FlowAgainstOneWayConduit]);
        assert_eq!(rules_of(&found, Subject::Flow(FlowId::new(6))), vec![Rule::FlowWithoutConduit]);
        assert_eq!(rules_of(&found, Subject::Asset(AssetId::new(5))), vec![Rule::AssetWithoutZone]);
        let f6 = found.iter().find(|f| f.subject == Subject::Flow(FlowId::new(6))).unwrap();
        assert_eq!(f6.severity, Severity::Critical);
        assert_eq!(f6.key, "flow_without_conduit:flow:6");
        assert!(f6.message.contains("\"Z3\"") && f6.message.contains("\"Z4\""), "{}", f6.message);
        assert_eq!(found.len(), 5, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Critical, "most severe first");
    }

    #[test]
    fn zone_separations_of_zcr_3_2_to_3_6_are_reported() {
        let mut e = plant();
        e.flows.clear();
        e.assets.push(asset(10, "10.3.0.10", AssetTraits { iacs: false, ..IACS }));
        e.assets.push(asset(11, "10.3.0.11", AssetTraits { safety: true, wireless: true, ..IACS }));
        e.assets.push(asset(12, "10.3.0.12", AssetTraits { temporary: true, external: true, ..IACS }));
        let found = run(&e);
        let mut zone3 = rules_of(&found, Subject::Zone(ZoneId::new(3)));
        zone3.sort();
        assert_eq!(
            zone3,
            vec![
                Rule::ZoneMixesBusinessAndIacs,
                Rule::ZoneMixesSafety,
                Rule::ZoneMixesTemporary,
                Rule::ZoneMixesWireless,
                Rule::ZoneMixesExternal
            ]
        );
        // A zone whose assets are all alike is not mixed.
        assert!(rules_of(&found, Subject::Zone(ZoneId::new(4))).is_empty());
    }

    #[test]
    fn observed_flows_outside_the_design_and_sl_gaps_are_reported() {
        let mut e = plant();
        e.flows = vec![FlowEdge { documented: false, observed: true, ..flow(1, 1, 2, "https", Some(443), true) }];
        e.zones[2].sl_target = SlVector::parse("2,2,3,1,3,1,2").unwrap();
        e.zones[2].sl_achieved = SlVector::parse("2,1,1,1,3,1,2").unwrap();
        e.conduits[0].sl_target = SlVector::parse("1,1,1,1,1,1,1").unwrap();
        e.conduits[0].sl_achieved = SlVector::parse("1,1,1,0,1,1,1").unwrap();
        let found = run(&e);
        assert_eq!(rules_of(&found, Subject::Flow(FlowId::new(1))), vec![Rule::ObservedUndocumentedFlow]);
        let z = found.iter().find(|f| f.rule == Rule::ZoneBelowTarget).unwrap();
        assert_eq!(z.severity, Severity::High);
        assert!(
            z.message.contains("FR 2 UC (target 2, achieved 1)")
                && z.message.contains("FR 3 SI (target 3, achieved 1)")
        );
        let c = found.iter().find(|f| f.rule == Rule::ConduitBelowTarget).unwrap();
        assert_eq!((c.severity, c.subject), (Severity::Medium, Subject::Conduit(ConduitId::new(1))));
    }

    #[test]
    fn dual_homed_assets_overlaps_and_external_talk_from_control_are_reported() {
        let mut e = plant();
        e.flows = vec![FlowEdge {
            destination: End::External { name: "vendor cloud".into() },
            ..flow(1, 3, 3, "mqtt", Some(8883), true)
        }];
        e.assets[1].ip_addresses.push("10.3.0.99".parse().unwrap());
        e.zones.push(zone(5, ZoneKind::Supervisory, "10.3.7.0/24"));
        let found = run(&e);
        assert_eq!(rules_of(&found, Subject::Flow(FlowId::new(1))), vec![Rule::CriticalZoneExternalFlow]);
        assert_eq!(rules_of(&found, Subject::Asset(AssetId::new(2))), vec![Rule::MultiHomedAsset]);
        let o = found.iter().find(|f| f.rule == Rule::SubnetOverlap).unwrap();
        assert_eq!(o.severity, Severity::Info);
        assert!(o.message.contains("10.3.0.0/16") && o.message.contains("10.3.7.0/24"));
    }

    #[test]
    fn rules_parse_from_their_codes() {
        for r in Rule::ALL {
            assert_eq!(Rule::parse(r.code()).unwrap(), *r);
        }
        assert!(Rule::parse("nope").is_err());
        assert_eq!(Severity::parse("HIGH").unwrap(), Severity::High);
    }
}
