//! The IIoT threat library: risk scenario templates for industrial IoT and OT, written for
//! Connect 981 (no text of a standard or of another catalogue is reproduced).
//!
//! A template describes a recurring scenario in the terms of a risk assessment (IEC 62443-3-2
//! ZCR 5, ISO/IEC 27001 6.1.2): who or what causes it (threat source), what happens (threat
//! event), the weakness it exploits (vulnerability) and what follows (consequence). It names
//! the asset kinds and zone kinds it fits, so a site's inventory suggests the scenarios that
//! apply, gives a hinted impact level per impact dimension and a hinted likelihood (1 to 5,
//! starting points the assessor adjusts, never results), and suggests treatments as ISO/IEC
//! 27001:2022 Annex A controls and IEC 62443-3-3 system requirements or enhancements.
//!
//! The shipped templates are [`templates()`]; their ids start with [`BUILTIN_PREFIX`] and never
//! change meaning once released (a risk scenario records the id of the template it came from).
//! [`ThreatTemplate`] is also the type of a template an organisation defines itself: it
//! deserializes from JSON (its ids and enums are checked while parsing) and
//! [`ThreatTemplate::validate`] reports every problem, each on its field.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::annex_a::{self, ControlId};
use crate::asset::AssetKind;
use crate::error::{Errors, ValidationError};
use crate::iec62443::{self, ReqId};
use crate::values::string_enum;
use crate::zone::ZoneKind;

/// The id prefix reserved for the templates shipped with Connect 981.
pub const BUILTIN_PREFIX: &str = "T-";

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// Longest threat source, threat event, vulnerability or consequence, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// Longest id, in characters.
pub const MAX_ID_CHARS: usize = 40;

string_enum! {
    /// A dimension of impact of the OT risk model: beyond confidentiality, integrity and
    /// availability, what a manufacturer loses when a scenario happens.
    ImpactDimension {
        Safety = "safety" / "Safety",
        ProductionContinuity = "production_continuity" / "Production continuity",
        ProductQuality = "product_quality" / "Product quality and regulatory",
        Integrity = "integrity" / "Integrity of data and commands",
        Confidentiality = "confidentiality" / "Confidentiality",
        Financial = "financial" / "Financial and reputational",
    }
}

/// A hinted impact level, 1 (negligible) to 5 (severe), for every impact dimension. Its JSON
/// form is an object keyed by the [`ImpactDimension`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Impacts {
    pub safety: u8,
    pub production_continuity: u8,
    pub product_quality: u8,
    pub integrity: u8,
    pub confidentiality: u8,
    pub financial: u8,
}

impl Impacts {
    /// The levels in [`ImpactDimension::ALL`] order.
    pub const fn from_levels(levels: [u8; 6]) -> Self {
        let [safety, production_continuity, product_quality, integrity, confidentiality, financial] = levels;
        Self { safety, production_continuity, product_quality, integrity, confidentiality, financial }
    }

    /// The hinted level of one dimension.
    pub fn get(&self, dimension: ImpactDimension) -> u8 {
        match dimension {
            ImpactDimension::Safety => self.safety,
            ImpactDimension::ProductionContinuity => self.production_continuity,
            ImpactDimension::ProductQuality => self.product_quality,
            ImpactDimension::Integrity => self.integrity,
            ImpactDimension::Confidentiality => self.confidentiality,
            ImpactDimension::Financial => self.financial,
        }
    }

    /// Every dimension with its level, in [`ImpactDimension::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (ImpactDimension, u8)> + '_ {
        ImpactDimension::ALL.iter().map(|&d| (d, self.get(d)))
    }

    /// The highest level over all dimensions (the usual worst-case reading).
    pub fn max(&self) -> u8 {
        self.iter().map(|(_, l)| l).max().unwrap_or(0)
    }
}

/// A risk scenario template. The shipped ones borrow static data; a template read from JSON
/// owns its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreatTemplate {
    /// Stable id, upper-case letters, digits and dashes, e.g. `T-FW-UNSIGNED`.
    pub id: Cow<'static, str>,
    pub title: Cow<'static, str>,
    /// Who or what causes the scenario.
    pub threat_source: Cow<'static, str>,
    /// What happens.
    pub threat_event: Cow<'static, str>,
    /// The weakness the event exploits.
    pub vulnerability: Cow<'static, str>,
    /// What follows for the plant and the business.
    pub consequence: Cow<'static, str>,
    /// The asset kinds the scenario fits (at least one).
    pub asset_kinds: Cow<'static, [AssetKind]>,
    /// The zone kinds the scenario fits (at least one).
    pub zone_kinds: Cow<'static, [ZoneKind]>,
    /// Hinted impact per dimension, each 1 to 5.
    pub impacts: Impacts,
    /// Hinted likelihood, 1 (rare) to 5 (almost certain).
    pub likelihood: u8,
    /// Suggested ISO/IEC 27001:2022 Annex A controls (at least one).
    pub controls: Cow<'static, [ControlId]>,
    /// Suggested IEC 62443-3-3 system requirements or enhancements (at least one).
    pub requirements: Cow<'static, [ReqId]>,
}

impl ThreatTemplate {
    /// Checks every field and reports every problem, each named by its field (`id`,
    /// `impacts.safety`, `controls[2]`, …): the id's form, non-empty texts within their
    /// lengths and without control characters, at least one asset kind, zone kind, control and
    /// requirement without repeats, every control in Annex A and every requirement in the
    /// IEC 62443-3-3 catalogue, and every level within 1 to 5.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let mut e = Errors::new();
        if let Err(m) = check_id(&self.id) {
            e.push("id", m);
        }
        let texts = [
            ("title", &self.title, MAX_TITLE_CHARS, false),
            ("threat_source", &self.threat_source, MAX_TEXT_CHARS, true),
            ("threat_event", &self.threat_event, MAX_TEXT_CHARS, true),
            ("vulnerability", &self.vulnerability, MAX_TEXT_CHARS, true),
            ("consequence", &self.consequence, MAX_TEXT_CHARS, true),
        ];
        for (field, text, max, multiline) in texts {
            if let Err(m) = check_text(text, max, multiline) {
                e.push(field, m);
            }
        }
        check_list(&mut e, "asset_kinds", &self.asset_kinds, |_| Ok(()));
        check_list(&mut e, "zone_kinds", &self.zone_kinds, |_| Ok(()));
        for (dimension, level) in self.impacts.iter() {
            if !(1..=5).contains(&level) {
                e.push(&format!("impacts.{dimension}"), format!("is {level}; a level is 1 to 5"));
            }
        }
        if !(1..=5).contains(&self.likelihood) {
            e.push("likelihood", format!("is {}; a level is 1 to 5", self.likelihood));
        }
        check_list(&mut e, "controls", &self.controls, |id| match annex_a::control(*id) {
            Some(_) => Ok(()),
            None => Err(format!("{id} is not a control of ISO/IEC 27001:2022 Annex A")),
        });
        check_list(&mut e, "requirements", &self.requirements, |id| match iec62443::requirement(*id) {
            Some(_) => Ok(()),
            None => Err(format!("{id} is not a requirement of IEC 62443-3-3")),
        });
        e.finish()
    }

    /// Whether the template is one of those shipped with Connect 981.
    pub fn is_builtin(&self) -> bool {
        self.id.starts_with(BUILTIN_PREFIX) && template(&self.id).is_some_and(|t| t == self)
    }

    /// Whether the scenario fits an asset of kind `kind`.
    pub fn fits_asset(&self, kind: AssetKind) -> bool {
        self.asset_kinds.contains(&kind)
    }

    /// Whether the scenario fits a zone of kind `kind`.
    pub fn fits_zone(&self, kind: ZoneKind) -> bool {
        self.zone_kinds.contains(&kind)
    }
}

fn check_id(id: &str) -> Result<(), String> {
    const FORM: &str = "upper-case letters, digits and single dashes, starting with a letter, e.g. T-FW-UNSIGNED";
    let n = id.chars().count();
    if id.is_empty() {
        return Err(format!("is empty; an id is {FORM}"));
    }
    if n > MAX_ID_CHARS {
        return Err(format!("has {n} characters, more than {MAX_ID_CHARS}"));
    }
    let well_formed = id.starts_with(|c: char| c.is_ascii_uppercase())
        && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && !id.ends_with('-')
        && !id.contains("--");
    if well_formed { Ok(()) } else { Err(format!("{id:?} is not an id: use {FORM}")) }
}

fn check_text(text: &str, max: usize, multiline: bool) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("is empty".to_owned());
    }
    if text.trim() != text {
        return Err("has white space at its start or end".to_owned());
    }
    let n = text.chars().count();
    if n > max {
        return Err(format!("has {n} characters, more than {max}"));
    }
    match text.chars().find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\t'))) {
        Some(c) => Err(format!("contains the control character U+{:04X}", c as u32)),
        None => Ok(()),
    }
}

/// At least one item, no item twice, each accepted by `check`; a bad item is named by its index.
fn check_list<T: PartialEq + std::fmt::Display>(
    e: &mut Errors,
    field: &str,
    items: &[T],
    check: impl Fn(&T) -> Result<(), String>,
) {
    if items.is_empty() {
        e.push(field, "needs at least one entry");
    }
    for (i, item) in items.iter().enumerate() {
        if let Err(m) = check(item) {
            e.push(&format!("{field}[{i}]"), m);
        } else if items[..i].contains(item) {
            e.push(&format!("{field}[{i}]"), format!("{item} is listed twice"));
        }
    }
}

/// The shipped templates, in library order.
pub fn templates() -> &'static [ThreatTemplate] {
    &TEMPLATES
}

/// The shipped template with id `id` (surrounding white space and case ignored).
pub fn template(id: &str) -> Option<&'static ThreatTemplate> {
    let id = id.trim();
    TEMPLATES.iter().find(|t| t.id.eq_ignore_ascii_case(id))
}

/// The shipped templates that fit an asset of kind `kind`.
pub fn for_asset_kind(kind: AssetKind) -> impl Iterator<Item = &'static ThreatTemplate> {
    TEMPLATES.iter().filter(move |t| t.fits_asset(kind))
}

/// The shipped templates that fit a zone of kind `kind`.
pub fn for_zone_kind(kind: ZoneKind) -> impl Iterator<Item = &'static ThreatTemplate> {
    TEMPLATES.iter().filter(move |t| t.fits_zone(kind))
}

// ---------------------------------------------------------------------------------------------
// The library.

/// The fields of a shipped template, in declaration order, as plain static data.
struct Def {
    id: &'static str,
    title: &'static str,
    source: &'static str,
    event: &'static str,
    vulnerability: &'static str,
    consequence: &'static str,
    assets: &'static [AssetKind],
    zones: &'static [ZoneKind],
    /// safety, production continuity, product quality, integrity, confidentiality, financial
    impacts: [u8; 6],
    likelihood: u8,
    controls: &'static [ControlId],
    requirements: &'static [ReqId],
}

const fn t(d: Def) -> ThreatTemplate {
    ThreatTemplate {
        id: Cow::Borrowed(d.id),
        title: Cow::Borrowed(d.title),
        threat_source: Cow::Borrowed(d.source),
        threat_event: Cow::Borrowed(d.event),
        vulnerability: Cow::Borrowed(d.vulnerability),
        consequence: Cow::Borrowed(d.consequence),
        asset_kinds: Cow::Borrowed(d.assets),
        zone_kinds: Cow::Borrowed(d.zones),
        impacts: Impacts::from_levels(d.impacts),
        likelihood: d.likelihood,
        controls: Cow::Borrowed(d.controls),
        requirements: Cow::Borrowed(d.requirements),
    }
}

/// Annex A control `clause.number`.
const fn a(clause: u8, number: u8) -> ControlId {
    ControlId::new(clause, number)
}

/// IEC 62443-3-3 `SR fr.n`.
const fn sr(fr: u8, n: u8) -> ReqId {
    ReqId::sr(fr, n)
}

/// IEC 62443-3-3 `SR fr.n RE re`.
const fn re(fr: u8, n: u8, re: u8) -> ReqId {
    ReqId::re(fr, n, re)
}

use AssetKind as A;
use ZoneKind as Z;

static TEMPLATES: [ThreatTemplate; 33] = [
    t(Def {
        id: "T-SENSOR-TAMPER",
        title: "Tampered sensor data",
        source: "An attacker with a foothold on the field or control network, or an insider with access to \
                 the signal path.",
        event: "Process values are altered or injected between the sensor and the gateway or controller \
                that consumes them, so that plausible but false readings are recorded and acted upon.",
        vulnerability: "Readings travel over fieldbus or edge protocols without source authentication or \
                        integrity protection, and nobody checks them for plausibility against related \
                        measurements.",
        consequence: "Maintenance, quality and control decisions are taken on false data: wear or drift goes \
                      unnoticed, good batches are rejected or bad ones released, and control loops act on \
                      a fiction.",
        assets: &[A::Sensor, A::IiotGateway, A::EdgeServer, A::Plc],
        zones: &[Z::Field, Z::Control, Z::Wireless],
        impacts: [3, 3, 4, 5, 1, 3],
        likelihood: 2,
        controls: &[a(8, 20), a(8, 24), a(8, 16), a(8, 26)],
        requirements: &[sr(3, 1), re(3, 1, 1), sr(1, 2), sr(3, 5), sr(6, 2)],
    }),
    t(Def {
        id: "T-FW-UNSIGNED",
        title: "Malicious or unsigned firmware",
        source: "An attacker who has compromised a vendor's update channel or a maintenance laptop, or a \
                 technician installing an image from an untrusted source.",
        event: "A modified or counterfeit firmware image is loaded onto a controller, gateway, sensor or \
                network device.",
        vulnerability: "The device accepts images without verifying a signature, and there is no approved \
                        firmware baseline against which the installed version is compared.",
        consequence: "Attacker code persists below the operating software: logic can be altered invisibly, \
                      devices can be bricked in bulk, and recovery means replacing hardware.",
        assets: &[A::Plc, A::Rtu, A::IiotGateway, A::Sensor, A::SafetyController, A::NetworkDevice],
        zones: &[Z::Control, Z::Field, Z::Safety],
        impacts: [4, 4, 3, 5, 2, 4],
        likelihood: 2,
        controls: &[a(8, 19), a(8, 9), a(8, 8), a(5, 21), a(8, 7)],
        requirements: &[sr(3, 4), re(3, 4, 1), sr(3, 2), sr(7, 8)],
    }),
    t(Def {
        id: "T-VENDOR-RA",
        title: "Compromised vendor remote access",
        source: "A criminal group that has taken over a machine builder's or service provider's support \
                 account or remote maintenance infrastructure.",
        event: "The attacker uses the vendor's standing remote connection (VPN, remote desktop tool, cloud \
                maintenance box) to reach HMIs, engineering stations or controllers in the plant.",
        vulnerability: "Vendor connections are always on, accounts are shared between vendor staff, there is \
                        no multi-factor authentication, and sessions are neither approved per use nor \
                        recorded.",
        consequence: "An outsider gains interactive control inside the plant: unauthorised changes, \
                      ransomware on supervisory systems, loss of production and an incident that is hard \
                      to attribute.",
        assets: &[A::EngineeringWorkstation, A::Hmi, A::Plc, A::Firewall, A::IiotGateway],
        zones: &[Z::RemoteAccess, Z::External, Z::Supervisory, Z::Control],
        impacts: [4, 5, 3, 4, 3, 4],
        likelihood: 3,
        controls: &[a(5, 19), a(5, 20), a(5, 22), a(8, 5), a(8, 2), a(8, 15)],
        requirements: &[sr(1, 13), re(1, 13, 1), re(1, 1, 2), sr(2, 6), sr(1, 3), sr(6, 1)],
    }),
    t(Def {
        id: "T-IT-OT-PIVOT",
        title: "IT-to-OT pivot through the DMZ",
        source: "An attacker who has gained a foothold in enterprise IT, typically through phishing or an \
                 exposed service.",
        event: "The attacker moves laterally from the business network through the industrial DMZ into \
                the supervisory and control zones, using permissive rules, dual-homed hosts or shared \
                domain credentials.",
        vulnerability: "The DMZ passes traffic straight through instead of terminating it, jump hosts accept \
                        single-factor logins, and OT systems trust the enterprise directory.",
        consequence: "Enterprise malware or an operator of the attacker's choosing reaches the plant: loss of \
                      view and control, precautionary shutdown, site-wide recovery.",
        assets: &[A::Firewall, A::Historian, A::ScadaServer, A::VirtualMachine, A::EngineeringWorkstation],
        zones: &[Z::Enterprise, Z::Dmz, Z::Supervisory],
        impacts: [3, 5, 3, 4, 3, 5],
        likelihood: 3,
        controls: &[a(8, 22), a(8, 20), a(8, 2), a(8, 16), a(5, 15)],
        requirements: &[sr(5, 1), re(5, 1, 2), sr(5, 2), re(5, 2, 1), re(1, 1, 2), sr(6, 2)],
    }),
    t(Def {
        id: "T-CLOUD-OUTAGE",
        title: "Cloud IIoT platform outage",
        source: "A failure at the cloud or IIoT platform provider, a provider-side incident, or a lapsed \
                 subscription or certificate on the provider's side.",
        event: "Ingestion, device management or analytics of the cloud platform are unavailable for hours \
                or days.",
        vulnerability: "Plant functions such as dashboards, alerting or recipe distribution depend on a round \
                        trip to the cloud, edge devices buffer little or nothing, and the provider's \
                        obligations and exit options were never agreed.",
        consequence: "Condition monitoring goes dark, gaps appear in records that must be complete, and \
                      production decisions are delayed until the service returns.",
        assets: &[A::CloudService, A::IiotGateway, A::EdgeServer, A::Application],
        zones: &[Z::Cloud, Z::External, Z::Dmz],
        impacts: [1, 3, 3, 2, 1, 3],
        likelihood: 3,
        controls: &[a(5, 23), a(5, 22), a(5, 30), a(5, 29), a(8, 14)],
        requirements: &[re(5, 2, 2), sr(7, 2), sr(7, 4)],
    }),
    t(Def {
        id: "T-MQTT-BROKER",
        title: "MQTT broker compromise",
        source: "An attacker who reaches the broker from the business network or the internet, or who holds \
                 the credentials of one publishing client.",
        event: "The attacker takes over the broker or a privileged client: subscribes to every topic, \
                publishes forged values or commands, or silently drops messages.",
        vulnerability: "The broker allows anonymous or shared-credential clients, runs without TLS, grants \
                        wildcard publish and subscribe rights, or exposes its administration interface.",
        consequence: "Historians, dashboards and cloud analytics receive false data, edge nodes may act on \
                      forged commands, and the whole telemetry of the plant is readable by the attacker.",
        assets: &[A::EdgeServer, A::IiotGateway, A::CloudService, A::Application],
        zones: &[Z::Dmz, Z::Supervisory, Z::Cloud],
        impacts: [3, 4, 4, 5, 4, 3],
        likelihood: 3,
        controls: &[a(8, 5), a(8, 3), a(8, 24), a(8, 20), a(8, 9)],
        requirements: &[sr(1, 2), sr(2, 1), re(3, 1, 1), re(4, 1, 1), sr(7, 7)],
    }),
    t(Def {
        id: "T-LEGACY-PROTO",
        title: "Unauthenticated legacy protocols (Modbus/TCP, S7, DNP3)",
        source: "Anyone with network reach into the control zone: malware that pivoted in, a contractor's \
                 laptop, a curious or hostile insider.",
        event: "Write, stop, program-download or control commands are sent to controllers and outstations \
                over Modbus/TCP, S7, DNP3 or a similar protocol without any credential.",
        vulnerability: "The protocol has no authentication or integrity protection, controllers accept remote \
                        programming in run mode, and the network gives every host a path to every \
                        controller.",
        consequence: "Setpoints change, processes stop or run outside their limits, and equipment can be \
                      damaged or people put at risk.",
        assets: &[A::Plc, A::Rtu, A::Hmi, A::ScadaServer, A::Actuator],
        zones: &[Z::Control, Z::Supervisory, Z::Field],
        impacts: [5, 5, 4, 5, 1, 4],
        likelihood: 3,
        controls: &[a(8, 22), a(8, 20), a(8, 16), a(8, 27)],
        requirements: &[sr(5, 1), re(5, 2, 1), sr(3, 1), sr(2, 1), sr(1, 2), sr(6, 2)],
    }),
    t(Def {
        id: "T-LAPTOP-LOST",
        title: "Lost or stolen engineering laptop",
        source: "A thief or opportunist, or simply an employee or contractor who leaves the laptop behind.",
        event: "A laptop holding controller projects, network drawings, VPN profiles and cached credentials \
                is lost outside the plant.",
        vulnerability: "The disk is not encrypted, passwords are stored in engineering tools, VPN \
                        certificates do not expire and cannot be revoked quickly.",
        consequence: "Plant design and know-how are disclosed, and the stolen credentials open a remote \
                      path into the plant until someone revokes them.",
        assets: &[A::EngineeringWorkstation],
        zones: &[Z::Temporary, Z::RemoteAccess],
        impacts: [2, 2, 1, 3, 5, 3],
        likelihood: 3,
        controls: &[a(8, 1), a(7, 9), a(8, 24), a(5, 17), a(5, 18)],
        requirements: &[re(4, 1, 1), sr(1, 5), sr(2, 3), sr(1, 3)],
    }),
    t(Def {
        id: "T-HIST-RANSOM",
        title: "Ransomware on the historian",
        source: "A criminal ransomware group, usually entering through enterprise IT.",
        event: "The historian server and the backups it can reach are encrypted, and the malware spreads \
                to other supervisory Windows hosts in the same domain.",
        vulnerability: "The historian is reachable from the business network, its operating system lags \
                        behind on patches, backups are online and writable, and administrators share \
                        accounts.",
        consequence: "Process history and batch records are lost or unavailable, the plant may be stopped as \
                      a precaution, and the organisation faces a ransom demand and regulatory questions.",
        assets: &[A::Historian, A::ScadaServer, A::VirtualMachine],
        zones: &[Z::Supervisory, Z::Dmz],
        impacts: [2, 4, 5, 4, 3, 5],
        likelihood: 4,
        controls: &[a(8, 7), a(8, 13), a(8, 8), a(8, 22), a(5, 24), a(5, 30)],
        requirements: &[sr(3, 2), re(3, 2, 1), re(7, 3, 1), sr(7, 4), sr(5, 2)],
    }),
    t(Def {
        id: "T-ROGUE-DEVICE",
        title: "Rogue device on a cell network",
        source: "A contractor, an insider or an intruder with physical access to a machine cell.",
        event: "An unapproved device (laptop, single-board computer, cellular router, small switch) is \
                plugged into a free port of the cell network and left there.",
        vulnerability: "Unused switch ports are live, there is no port security or network access control, \
                        and nobody compares the devices seen on the wire with the asset inventory.",
        consequence: "A covert channel into the cell lets the owner sniff, inject or reach the outside \
                      world without crossing any firewall.",
        assets: &[A::NetworkDevice, A::Plc, A::Other],
        zones: &[Z::Control, Z::Field, Z::Temporary],
        impacts: [3, 3, 2, 4, 3, 2],
        likelihood: 3,
        controls: &[a(5, 9), a(8, 20), a(8, 16), a(7, 8)],
        requirements: &[sr(1, 2), sr(7, 8), sr(6, 2), sr(7, 7)],
    }),
    t(Def {
        id: "T-SPB-SPOOF",
        title: "Spoofed Sparkplug B births, deaths or commands",
        source: "A compromised or misbehaving MQTT client that may publish in the Sparkplug namespace.",
        event: "Forged NBIRTH or DBIRTH messages announce devices or metadata that do not exist, forged \
                deaths fake outages, or forged NCMD and DCMD messages trigger writes or rebirth storms.",
        vulnerability: "Broker access rules let any client publish for any group and edge node, edge nodes \
                        have no identity of their own, and host applications trust birth metadata as \
                        given.",
        consequence: "The inventory built from births is poisoned, real devices can be hidden, edge nodes \
                      act on forged commands, and rebirth storms load the broker and the network.",
        assets: &[A::IiotGateway, A::EdgeServer, A::Application, A::ScadaServer],
        zones: &[Z::Supervisory, Z::Dmz, Z::Cloud],
        impacts: [3, 3, 3, 5, 2, 2],
        likelihood: 3,
        controls: &[a(8, 5), a(8, 3), a(5, 9), a(8, 16)],
        requirements: &[sr(1, 2), sr(2, 1), sr(3, 5), re(3, 1, 1)],
    }),
    t(Def {
        id: "T-HMI-DEFAULT-CRED",
        title: "Stale or default credentials on HMIs",
        source: "An insider, a former employee or contractor, or an attacker who has reached the supervisory \
                 network.",
        event: "Someone logs on to an operator panel, HMI or device web interface with the vendor's default \
                password, a shared operator login, or the account of a person who has left.",
        vulnerability: "Default passwords were never changed, operators share one login, and accounts are \
                        not removed when people leave or change role.",
        consequence: "The process can be operated or reconfigured by someone who should not, and no action \
                      can be attributed to a person.",
        assets: &[A::Hmi, A::ScadaServer, A::NetworkDevice, A::IiotGateway],
        zones: &[Z::Supervisory, Z::Control],
        impacts: [4, 4, 3, 4, 2, 3],
        likelihood: 4,
        controls: &[a(5, 16), a(5, 17), a(5, 18), a(8, 5), a(8, 2)],
        requirements: &[sr(1, 1), re(1, 1, 1), sr(1, 3), sr(1, 5), sr(1, 7)],
    }),
    t(Def {
        id: "T-USB-MEDIA",
        title: "Malware brought in on removable media",
        source: "A technician, vendor or employee who is unaware the medium is infected, or an attacker who \
                 plants media on purpose.",
        event: "A USB drive used to move recipes, updates or logs infects an HMI or engineering \
                workstation in a network believed to be isolated.",
        vulnerability: "Media are not scanned at a kiosk before use, USB ports are open on operator stations, \
                        and the air gap is trusted as the only defence.",
        consequence: "Malware runs inside the control network, behind every network control, and can spread \
                      to other Windows hosts.",
        assets: &[A::Hmi, A::EngineeringWorkstation, A::ScadaServer],
        zones: &[Z::Supervisory, Z::Control, Z::Temporary],
        impacts: [3, 4, 3, 4, 2, 3],
        likelihood: 4,
        controls: &[a(7, 10), a(8, 7), a(8, 1), a(6, 3)],
        requirements: &[sr(2, 3), sr(3, 2), re(3, 2, 1), sr(7, 7)],
    }),
    t(Def {
        id: "T-EWS-INSIDER",
        title: "Insider misuse of an engineering workstation",
        source: "A disgruntled, coerced or careless employee or contractor holding engineering rights.",
        event: "Modified logic is downloaded to controllers, interlocks are disabled, projects are deleted, \
                or programs are copied out.",
        vulnerability: "Engineering rights are broad and permanent, downloads need no second approval, \
                        program changes are not logged, and running logic is never compared with the \
                        approved version.",
        consequence: "Sabotage or a hidden logic change surfaces later as a quality problem, an outage or a \
                      hazard, and tracing it back takes long.",
        assets: &[A::EngineeringWorkstation, A::Plc, A::SafetyController],
        zones: &[Z::Supervisory, Z::Control],
        impacts: [4, 4, 4, 5, 3, 4],
        likelihood: 2,
        controls: &[a(6, 1), a(5, 3), a(8, 2), a(8, 15), a(8, 32), a(6, 4)],
        requirements: &[sr(2, 1), re(2, 1, 4), sr(2, 8), sr(2, 12), sr(3, 4)],
    }),
    t(Def {
        id: "T-INTEGRATOR-SUPPLY",
        title: "Supply-chain compromise of a system integrator",
        source: "An attacker who has breached a system integrator or machine builder working for the \
                 plant.",
        event: "A machine or project is delivered with a backdoor, a trojanised project file or an infected \
                commissioning laptop, or the integrator's own remote credentials are abused.",
        vulnerability: "Integration contracts carry no security requirements, acceptance includes no security \
                        testing, and the integrator keeps privileged accounts after handover.",
        consequence: "The plant is compromised from commissioning onwards, by a path that looks like trusted \
                      engineering work.",
        assets: &[A::Plc, A::Hmi, A::EngineeringWorkstation, A::IiotGateway, A::Application],
        zones: &[Z::Control, Z::Supervisory, Z::RemoteAccess],
        impacts: [3, 4, 3, 4, 3, 4],
        likelihood: 2,
        controls: &[a(5, 19), a(5, 20), a(5, 21), a(8, 29), a(8, 30)],
        requirements: &[sr(3, 4), sr(1, 3), sr(3, 3), sr(7, 6)],
    }),
    t(Def {
        id: "T-TIME-SYNC",
        title: "Time synchronisation manipulation",
        source: "An attacker on the plant network, or a faulty or misconfigured time server.",
        event: "NTP or PTP messages are spoofed or the reference clock drifts, shifting the clocks of servers, \
                controllers and gateways.",
        vulnerability: "Time is distributed without authentication from a single source, and nobody watches \
                        clock offsets.",
        consequence: "Audit trails and batch records carry wrong times, sequence-of-events analysis is \
                      misleading, certificates are judged expired or not yet valid, and time-dependent \
                      motion or control functions can fault.",
        assets: &[A::NetworkDevice, A::ScadaServer, A::Historian, A::Plc, A::IiotGateway],
        zones: &[Z::Supervisory, Z::Control, Z::Dmz],
        impacts: [2, 3, 4, 4, 1, 2],
        likelihood: 2,
        controls: &[a(8, 17), a(8, 15), a(8, 20)],
        requirements: &[sr(2, 11), re(2, 11, 1), re(2, 11, 2), sr(3, 1)],
    }),
    t(Def {
        id: "T-WIRELESS-JAM",
        title: "Jamming of wireless sensor networks",
        source: "Someone with a radio transmitter, or new equipment that interferes unintentionally.",
        event: "Wireless sensor, Wi-Fi or private cellular links in the plant are jammed or saturated.",
        vulnerability: "Monitoring or control depends on radio links without a wired fallback, and loss of a \
                        link is not detected or alarmed promptly.",
        consequence: "Measurements stop arriving, alarms are missed, and mobile equipment such as automated \
                      vehicles halts.",
        assets: &[A::Sensor, A::IiotGateway, A::NetworkDevice, A::Actuator],
        zones: &[Z::Wireless, Z::Field],
        impacts: [3, 3, 2, 2, 1, 2],
        likelihood: 2,
        controls: &[a(8, 20), a(8, 14), a(8, 16), a(5, 29)],
        requirements: &[sr(7, 1), sr(1, 6), sr(2, 2), sr(6, 2)],
    }),
    t(Def {
        id: "T-SIS-BYPASS",
        title: "Safety instrumented system bypassed or manipulated",
        source: "An operator under production pressure, or an attacker targeting the safety system itself.",
        event: "A safety function is bypassed or forced, the safety controller is left in program mode, trip \
                settings are changed, or its logic is modified through the engineering path.",
        vulnerability: "Bypasses need no authorisation and have no time limit, the safety controller shares a \
                        network with basic control, and its operating mode is not monitored.",
        consequence: "A hazardous event is no longer prevented: injury, environmental release, destruction of \
                      equipment.",
        assets: &[A::SafetyController, A::EngineeringWorkstation, A::Hmi],
        zones: &[Z::Safety, Z::Control],
        impacts: [5, 4, 3, 5, 1, 5],
        likelihood: 2,
        controls: &[a(8, 2), a(8, 32), a(8, 22), a(8, 16), a(5, 37)],
        requirements: &[sr(2, 1), re(2, 1, 3), sr(3, 4), re(5, 1, 3), sr(6, 2)],
    }),
    t(Def {
        id: "T-EOS-WINDOWS",
        title: "Unpatched end-of-support Windows in operations",
        source: "Commodity malware, a self-propagating worm, or a targeted attacker using public exploits.",
        event: "A known vulnerability of an HMI, SCADA server or engineering workstation running an operating \
                system version that no longer receives fixes is exploited.",
        vulnerability: "The operating system is past vendor support, the validated application cannot move \
                        to a newer one, and legacy services such as old file-sharing protocols stay \
                        enabled.",
        consequence: "Malware spreads across operator stations, the plant loses its view of the process, and \
                      recovery requires rebuilding machines that are hard to reinstall.",
        assets: &[A::Hmi, A::ScadaServer, A::EngineeringWorkstation, A::Historian, A::VirtualMachine],
        zones: &[Z::Supervisory, Z::Control],
        impacts: [3, 5, 3, 3, 2, 4],
        likelihood: 4,
        controls: &[a(8, 8), a(8, 7), a(8, 22), a(5, 9), a(5, 7)],
        requirements: &[sr(3, 2), sr(7, 7), sr(5, 2), sr(7, 8)],
    }),
    t(Def {
        id: "T-OPCUA-NOSEC",
        title: "OPC UA endpoints with security mode None or weak settings",
        source: "An attacker or unauthorised client with network reach to the server.",
        event: "A client connects anonymously, or sessions are read and altered in transit, or a rogue client \
                certificate is trusted automatically.",
        vulnerability: "Endpoints offer the security mode None or deprecated security policies, anonymous \
                        logins are enabled, and the server accepts unknown client certificates without \
                        review.",
        consequence: "Process variables are read and written by unknown parties, data sent to MES and \
                      analytics can be manipulated, and production data leaks.",
        assets: &[A::Plc, A::ScadaServer, A::EdgeServer, A::IiotGateway, A::Application],
        zones: &[Z::Supervisory, Z::Control, Z::Dmz],
        impacts: [3, 3, 4, 5, 4, 3],
        likelihood: 3,
        controls: &[a(8, 9), a(8, 24), a(8, 5), a(8, 27)],
        requirements: &[sr(1, 2), sr(1, 8), sr(1, 9), re(3, 1, 1), sr(4, 3), sr(7, 6)],
    }),
    t(Def {
        id: "T-CERT-EXPIRY",
        title: "Expired certificates on gateways and brokers",
        source: "An internal process failure: nobody owns the lifecycle of device certificates.",
        event: "A certificate of a gateway, broker, OPC UA server or issuing CA expires and TLS connections \
                are refused.",
        vulnerability: "There is no inventory of certificates and their expiry dates, renewal is neither \
                        automated nor alerted, and devices cannot be re-enrolled remotely.",
        consequence: "Data flows to the historian or the cloud stop without warning, and under pressure \
                      someone may switch off TLS to restore them.",
        assets: &[A::IiotGateway, A::EdgeServer, A::CloudService, A::Application],
        zones: &[Z::Dmz, Z::Cloud, Z::Supervisory],
        impacts: [1, 3, 3, 2, 2, 2],
        likelihood: 4,
        controls: &[a(8, 24), a(8, 9), a(5, 37), a(8, 16)],
        requirements: &[sr(1, 8), sr(1, 9), sr(7, 6)],
    }),
    t(Def {
        id: "T-RECIPE-EXFIL",
        title: "Exfiltration of recipes and process know-how",
        source: "A competitor-sponsored or state-backed attacker, or an insider about to leave.",
        event: "Recipes, controller programs, process parameters or drawings are copied out of the \
                historian, MES, engineering stations or cloud storage.",
        vulnerability: "Recipes are not classified, read access is broad, outbound transfers are not \
                        watched, and cloud storage is open wider than intended.",
        consequence: "Competitive advantage is lost, copies or counterfeits appear on the market, and \
                      customers' confidential specifications are exposed.",
        assets: &[A::Historian, A::EngineeringWorkstation, A::Application, A::CloudService, A::ScadaServer],
        zones: &[Z::Supervisory, Z::Enterprise, Z::Cloud],
        impacts: [1, 1, 2, 2, 5, 5],
        likelihood: 3,
        controls: &[a(5, 12), a(8, 12), a(8, 3), a(6, 6), a(5, 14)],
        requirements: &[sr(4, 1), re(4, 1, 2), sr(2, 1), sr(5, 2), sr(6, 2)],
    }),
    t(Def {
        id: "T-NET-DOS",
        title: "Denial of service on the control network",
        source: "Malware, a faulty device causing a broadcast storm, or an IT scanning tool let loose in OT.",
        event: "The control network is flooded, or controllers' communication stacks are overloaded by \
                traffic or active scans.",
        vulnerability: "The network is flat at layer 2, traffic is not rate-limited, controller stacks are \
                        fragile, and active scanning of OT is not forbidden.",
        consequence: "Operators lose view and control, controllers fault or drop their connections, and lines \
                      stop.",
        assets: &[A::Plc, A::NetworkDevice, A::Hmi, A::Rtu, A::IiotGateway],
        zones: &[Z::Control, Z::Supervisory, Z::Field],
        impacts: [3, 5, 3, 2, 1, 4],
        likelihood: 3,
        controls: &[a(8, 20), a(8, 22), a(8, 6), a(8, 34), a(8, 16)],
        requirements: &[sr(7, 1), re(7, 1, 1), re(7, 1, 2), sr(5, 1), sr(7, 2)],
    }),
    t(Def {
        id: "T-FW-RULE-CHANGE",
        title: "Misconfigured firewall rule change",
        source: "An administrator's error, an urgent change request, or a vendor asking for \"temporary\" \
                 access.",
        event: "A broad permit rule is added between business and control zones, or a temporary rule is \
                never removed.",
        vulnerability: "OT firewall changes bypass change management and peer review, rule sets are never \
                        recertified, and nobody compares them with the documented conduits.",
        consequence: "Segmentation is lost silently; the next intrusion meets no boundary.",
        assets: &[A::Firewall, A::NetworkDevice],
        zones: &[Z::Dmz, Z::Enterprise, Z::Supervisory, Z::Control],
        impacts: [3, 4, 2, 3, 3, 3],
        likelihood: 4,
        controls: &[a(8, 32), a(8, 9), a(8, 22), a(8, 15)],
        requirements: &[sr(5, 2), re(5, 2, 1), sr(7, 6), re(7, 6, 1), sr(2, 8)],
    }),
    t(Def {
        id: "T-PLC-BACKUP-FAIL",
        title: "Missing or unusable backups of controller programs",
        source: "A hardware failure, a wiped controller after an incident, or plain process failure.",
        event: "A controller or panel must be restored, and the last good program and configuration are \
                missing, outdated or unreadable.",
        vulnerability: "Backups are taken by hand, never restored for test, kept only on one engineering \
                        station, and not versioned.",
        consequence: "Logic and tuning must be rebuilt from memory, the outage stretches over days, and the \
                      rebuilt system may need requalification.",
        assets: &[A::Plc, A::SafetyController, A::Rtu, A::Hmi, A::EngineeringWorkstation, A::NetworkDevice],
        zones: &[Z::Control, Z::Safety, Z::Supervisory],
        impacts: [2, 5, 4, 3, 1, 4],
        likelihood: 3,
        controls: &[a(8, 13), a(5, 30), a(8, 32), a(8, 9)],
        requirements: &[sr(7, 3), re(7, 3, 1), re(7, 3, 2), sr(7, 4)],
    }),
    t(Def {
        id: "T-CABINET-ACCESS",
        title: "Physical access to control cabinets",
        source: "An intruder, a visitor or contractor left unattended, or an insider.",
        event: "An unlocked cabinet, skid or remote station is opened: a console port is used, a key switch \
                turned to program, a device inserted or a medium removed.",
        vulnerability: "Cabinets are unlocked or share one key, doors are not monitored, and remote sites \
                        are unattended for long periods.",
        consequence: "Controllers are manipulated directly, past every network control, and the change may go \
                      unnoticed.",
        assets: &[A::Plc, A::Rtu, A::SafetyController, A::NetworkDevice, A::IiotGateway],
        zones: &[Z::Field, Z::Control, Z::Safety],
        impacts: [4, 4, 3, 4, 2, 3],
        likelihood: 2,
        controls: &[a(7, 1), a(7, 2), a(7, 4), a(7, 8), a(7, 12)],
        requirements: &[sr(7, 7), sr(2, 3), sr(6, 2)],
    }),
    t(Def {
        id: "T-MES-INTEGRITY",
        title: "Loss of integrity of the MES/ERP interface",
        source: "An attacker in enterprise IT, an insider, or a faulty integration change.",
        event: "Orders, recipes, batch parameters or genealogy data exchanged between ERP, MES and the plant \
                are altered, duplicated or lost.",
        vulnerability: "Interface messages are not authenticated, transfers are not reconciled, service \
                        accounts may write broadly, and the plant side does not validate what it receives.",
        consequence: "The wrong product is made or released, genealogy is broken, and recalls or regulatory \
                      findings follow.",
        assets: &[A::Application, A::Historian, A::ScadaServer, A::EdgeServer],
        zones: &[Z::Enterprise, Z::Dmz, Z::Supervisory],
        impacts: [2, 3, 5, 5, 2, 4],
        likelihood: 2,
        controls: &[a(5, 14), a(8, 26), a(8, 24), a(8, 15), a(5, 33)],
        requirements: &[re(3, 1, 1), sr(3, 5), sr(1, 2), sr(2, 12)],
    }),
    t(Def {
        id: "T-CLOUD-MISCONFIG",
        title: "Misconfigured cloud tenant of the IIoT platform",
        source: "Opportunistic attackers scanning the internet, or a targeted attacker with stolen cloud \
                 credentials.",
        event: "A storage bucket, API or device-management console of the platform is found reachable, and \
                data is read or configuration and firmware are pushed to the device fleet.",
        vulnerability: "Endpoints are public by default, identities have broad permissions, administrators \
                        log in without a second factor, and long-lived keys are shared.",
        consequence: "Telemetry and plant data leak, and the attacker can reconfigure or disable gateways \
                      across sites at once.",
        assets: &[A::CloudService, A::IiotGateway, A::Application],
        zones: &[Z::Cloud, Z::External],
        impacts: [3, 4, 3, 4, 5, 4],
        likelihood: 3,
        controls: &[a(5, 23), a(8, 2), a(8, 5), a(8, 9), a(8, 3)],
        requirements: &[re(1, 1, 2), sr(1, 13), sr(2, 1), re(4, 1, 1), sr(7, 6)],
    }),
    t(Def {
        id: "T-GW-EXPOSED",
        title: "IIoT gateway reachable from the internet",
        source: "Internet-wide scanners and botnets, or an attacker looking for OT entry points.",
        event: "The web interface or remote shell of a gateway is reached through a cellular modem or a port \
                forward and taken over with a weak password or a known flaw.",
        vulnerability: "Connectivity was added outside the firewall (cellular, port forwarding), the gateway \
                        keeps default settings, and it is missing from the inventory and the patch plan.",
        consequence: "An entry point into the machine cell bypasses the DMZ entirely.",
        assets: &[A::IiotGateway, A::NetworkDevice, A::EdgeServer],
        zones: &[Z::External, Z::Field, Z::Control],
        impacts: [3, 4, 2, 4, 3, 3],
        likelihood: 3,
        controls: &[a(8, 20), a(8, 21), a(5, 9), a(8, 8)],
        requirements: &[sr(1, 13), sr(5, 2), sr(7, 7), sr(7, 8)],
    }),
    t(Def {
        id: "T-PATCH-REGRESSION",
        title: "Untested update breaks control functions",
        source: "A well-meant administrator, or an automatic update pushed by enterprise IT tooling.",
        event: "An operating system, antivirus or application update is applied to HMIs or SCADA servers \
                without checking compatibility with the control software.",
        vulnerability: "IT update tools reach OT hosts automatically, there is no OT test system, and \
                        updates cannot be rolled back quickly.",
        consequence: "Operator stations crash or behave differently, lines stop, and the validated state is \
                      lost until the system is requalified.",
        assets: &[A::Hmi, A::ScadaServer, A::Historian, A::EngineeringWorkstation, A::VirtualMachine],
        zones: &[Z::Supervisory, Z::Control],
        impacts: [2, 4, 4, 3, 1, 3],
        likelihood: 3,
        controls: &[a(8, 32), a(8, 31), a(8, 29), a(8, 19), a(8, 8)],
        requirements: &[sr(3, 3), sr(7, 4), sr(7, 6)],
    }),
    t(Def {
        id: "T-NO-MONITORING",
        title: "Intrusion in the control network goes unnoticed",
        source: "Any attacker who has gained a foothold in the plant.",
        event: "The attacker explores and prepares inside the control network for weeks while local logs \
                roll over.",
        vulnerability: "Devices keep logs only locally and briefly, nothing is collected centrally with \
                        trustworthy timestamps, and nobody reviews or alerts on OT events.",
        consequence: "The intrusion is found late, its impact grows, and the evidence needed for response \
                      and for regulators is gone.",
        assets: &[A::Plc, A::Hmi, A::ScadaServer, A::Firewall, A::NetworkDevice, A::Historian],
        zones: &[Z::Supervisory, Z::Control, Z::Dmz],
        impacts: [2, 3, 3, 3, 3, 3],
        likelihood: 4,
        controls: &[a(8, 15), a(8, 16), a(5, 25), a(5, 28), a(8, 17)],
        requirements: &[sr(2, 8), sr(2, 9), sr(2, 10), sr(3, 9), sr(6, 1), sr(6, 2)],
    }),
    t(Def {
        id: "T-POWER-LOSS",
        title: "Loss of power or cooling for OT servers and network",
        source: "A utility failure, a failed uninterruptible power supply, or a cooling fault.",
        event: "The OT server room or network cabinets lose power or overheat.",
        vulnerability: "UPS batteries are never tested, there is a single power feed, and servers have no \
                        orderly shutdown.",
        consequence: "Supervisory servers crash, historian data is corrupted, and switches reboot in the \
                      middle of production.",
        assets: &[A::ScadaServer, A::Historian, A::NetworkDevice, A::EdgeServer, A::VirtualMachine],
        zones: &[Z::Supervisory, Z::Dmz, Z::Control],
        impacts: [2, 4, 3, 3, 1, 3],
        likelihood: 2,
        controls: &[a(7, 11), a(7, 5), a(7, 13), a(8, 14), a(5, 30)],
        requirements: &[sr(7, 5), sr(7, 4)],
    }),
    t(Def {
        id: "T-HYPERVISOR",
        title: "Compromise of the OT virtualisation platform",
        source: "An attacker holding administrator credentials of the virtualisation platform.",
        event: "The hypervisor management is used to delete, encrypt or alter every virtual machine of the \
                supervisory layer at once.",
        vulnerability: "Hypervisor management is reachable from the business network, its administrators \
                        authenticate against the enterprise directory without a second factor, and \
                        snapshots and backups sit on the same platform.",
        consequence: "SCADA, historian and domain services disappear together, and recovery takes the \
                      whole supervisory layer down for days.",
        assets: &[A::VirtualMachine, A::ScadaServer, A::Historian, A::EdgeServer],
        zones: &[Z::Supervisory, Z::Dmz],
        impacts: [3, 5, 4, 4, 3, 5],
        likelihood: 2,
        controls: &[a(8, 2), a(8, 18), a(8, 22), a(8, 13), a(8, 5)],
        requirements: &[re(1, 1, 2), sr(2, 1), sr(5, 1), sr(5, 4), sr(7, 3)],
    }),
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_library_has_at_least_28_templates_with_unique_ids() {
        assert!(templates().len() >= 28, "{}", templates().len());
        let mut seen = HashSet::new();
        for t in templates() {
            assert!(seen.insert(t.id.to_ascii_uppercase()), "{} twice", t.id);
            assert!(t.id.starts_with(BUILTIN_PREFIX), "{}", t.id);
        }
        let titles: HashSet<_> = templates().iter().map(|t| &t.title).collect();
        assert_eq!(titles.len(), templates().len(), "titles must be unique");
    }

    #[test]
    fn every_template_validates() {
        for t in templates() {
            assert_eq!(t.validate(), Ok(()), "{}", t.id);
            assert!(t.is_builtin(), "{}", t.id);
        }
    }

    #[test]
    fn every_control_and_requirement_exists_in_its_catalogue() {
        for t in templates() {
            assert!(!t.controls.is_empty() && !t.requirements.is_empty(), "{}", t.id);
            for c in t.controls.iter() {
                assert!(annex_a::control(*c).is_some(), "{}: control {c}", t.id);
                assert_eq!(ControlId::parse(&c.to_string()), Ok(*c), "{}", t.id);
            }
            for r in t.requirements.iter() {
                assert!(iec62443::requirement(*r).is_some(), "{}: requirement {r}", t.id);
                assert_eq!(ReqId::parse(&r.to_string()), Ok(*r), "{}", t.id);
            }
        }
    }

    #[test]
    fn every_template_has_an_asset_kind_a_zone_kind_and_levels_in_range() {
        for t in templates() {
            assert!(!t.asset_kinds.is_empty() && !t.zone_kinds.is_empty(), "{}", t.id);
            assert!((1..=5).contains(&t.likelihood), "{}", t.id);
            assert!(t.impacts.iter().all(|(_, l)| (1..=5).contains(&l)), "{}", t.id);
            for text in [&t.title, &t.threat_source, &t.threat_event, &t.vulnerability, &t.consequence] {
                assert!(!text.contains("  "), "{}: double space in {text:?}", t.id);
            }
        }
    }

    #[test]
    fn the_required_scenarios_are_present() {
        for id in [
            "T-SENSOR-TAMPER",
            "T-FW-UNSIGNED",
            "T-VENDOR-RA",
            "T-IT-OT-PIVOT",
            "T-CLOUD-OUTAGE",
            "T-MQTT-BROKER",
            "T-LEGACY-PROTO",
            "T-LAPTOP-LOST",
            "T-HIST-RANSOM",
            "T-ROGUE-DEVICE",
            "T-SPB-SPOOF",
            "T-HMI-DEFAULT-CRED",
            "T-USB-MEDIA",
            "T-EWS-INSIDER",
            "T-INTEGRATOR-SUPPLY",
            "T-TIME-SYNC",
            "T-WIRELESS-JAM",
            "T-SIS-BYPASS",
            "T-EOS-WINDOWS",
            "T-OPCUA-NOSEC",
            "T-CERT-EXPIRY",
            "T-RECIPE-EXFIL",
            "T-NET-DOS",
            "T-FW-RULE-CHANGE",
            "T-PLC-BACKUP-FAIL",
            "T-CABINET-ACCESS",
            "T-MES-INTEGRITY",
        ] {
            assert!(template(id).is_some(), "{id} is missing");
        }
        assert_eq!(template(" t-fw-unsigned ").unwrap().id, "T-FW-UNSIGNED");
        assert!(template("T-NOPE").is_none());
    }

    #[test]
    fn every_asset_kind_and_zone_kind_is_covered() {
        for &k in AssetKind::ALL {
            assert!(for_asset_kind(k).next().is_some(), "no template for asset kind {k}");
        }
        for &k in ZoneKind::ALL {
            assert!(for_zone_kind(k).next().is_some(), "no template for zone kind {k}");
        }
        assert!(for_asset_kind(AssetKind::SafetyController).any(|t| t.id == "T-SIS-BYPASS"));
        assert!(for_zone_kind(ZoneKind::RemoteAccess).any(|t| t.id == "T-VENDOR-RA"));
    }

    #[test]
    fn key_scenarios_carry_the_expected_suggestions() {
        let t = template("T-IT-OT-PIVOT").unwrap();
        assert!(t.controls.contains(&ControlId::parse("8.22").unwrap()));
        assert!(t.requirements.contains(&ReqId::parse("SR 5.1").unwrap()));
        let t = template("T-TIME-SYNC").unwrap();
        assert!(t.controls.contains(&ControlId::parse("A.8.17").unwrap()));
        assert!(t.requirements.contains(&ReqId::parse("SR 2.11").unwrap()));
        let t = template("T-SIS-BYPASS").unwrap();
        assert_eq!(t.impacts.safety, 5);
        assert_eq!(t.impacts.max(), 5);
    }

    #[test]
    fn a_template_round_trips_through_json_with_readable_ids() {
        let t = template("T-VENDOR-RA").unwrap();
        let json = serde_json::to_value(t).unwrap();
        assert_eq!(json["controls"][0], "5.19");
        assert_eq!(json["requirements"][0], "SR 1.13");
        assert_eq!(json["requirements"][1], "SR 1.13 RE 1");
        assert_eq!(json["asset_kinds"][0], "engineering_workstation");
        assert_eq!(json["zone_kinds"][0], "remote_access");
        assert_eq!(json["impacts"]["production_continuity"], 5);
        let back: ThreatTemplate = serde_json::from_value(json).unwrap();
        assert_eq!(&back, t);
        assert!(matches!(back.id, Cow::Owned(_)));
    }

    fn custom() -> serde_json::Value {
        serde_json::json!({
            "id": "C-PRESS-LINE-2",
            "title": "Press line 2 setpoint tampering",
            "threat_source": "Contractor with panel access.",
            "threat_event": "Changes press force limits.",
            "vulnerability": "Shared panel login.",
            "consequence": "Tool damage and scrap.",
            "asset_kinds": ["hmi", "PLC"],
            "zone_kinds": ["control"],
            "impacts": {"safety": 4, "production_continuity": 3, "product_quality": 4,
                        "integrity": 4, "confidentiality": 1, "financial": 3},
            "likelihood": 2,
            "controls": ["A.5.17", "8.2"],
            "requirements": ["SR 1.1", "sr 1.1 re 1"]
        })
    }

    #[test]
    fn a_customer_template_is_read_from_json_and_validated() {
        let t: ThreatTemplate = serde_json::from_value(custom()).unwrap();
        assert_eq!(t.validate(), Ok(()));
        assert!(!t.is_builtin());
        assert_eq!(t.asset_kinds.as_ref(), [AssetKind::Hmi, AssetKind::Plc]);
        assert_eq!(t.controls.as_ref(), [ControlId::new(5, 17), ControlId::new(8, 2)]);
        assert_eq!(t.requirements.as_ref(), [ReqId::sr(1, 1), ReqId::re(1, 1, 1)]);
        // A copy of a shipped template under its own id is not the shipped one.
        let mut copy = template("T-USB-MEDIA").unwrap().clone();
        assert!(copy.is_builtin());
        copy.title = "Our USB scenario".into();
        assert!(!copy.is_builtin());
    }

    #[test]
    fn unknown_ids_and_fields_are_refused_when_reading_json() {
        for (field, value) in [
            ("controls", serde_json::json!(["8.35"])),
            ("requirements", serde_json::json!(["SR 9.1"])),
            ("asset_kinds", serde_json::json!(["toaster"])),
            ("zone_kinds", serde_json::json!(["moon"])),
        ] {
            let mut json = custom();
            json[field] = value;
            assert!(serde_json::from_value::<ThreatTemplate>(json).is_err(), "{field}");
        }
        let mut json = custom();
        json["impacts"]["morale"] = serde_json::json!(3);
        assert!(serde_json::from_value::<ThreatTemplate>(json).is_err());
        let mut json = custom();
        json["severity"] = serde_json::json!(3);
        assert!(serde_json::from_value::<ThreatTemplate>(json).is_err());
    }

    #[test]
    fn validate_names_every_bad_field() {
        let mut t: ThreatTemplate = serde_json::from_value(custom()).unwrap();
        t.id = "bad id".into();
        t.title = "  ".into();
        t.threat_event = "x".repeat(MAX_TEXT_CHARS + 1).into();
        t.consequence = "bell\u{7}".into();
        t.asset_kinds = Cow::Owned(vec![]);
        t.zone_kinds = Cow::Owned(vec![ZoneKind::Control, ZoneKind::Control]);
        t.impacts.safety = 0;
        t.impacts.financial = 6;
        t.likelihood = 9;
        t.controls = Cow::Owned(vec![ControlId::new(8, 20), ControlId::new(8, 35), ControlId::new(8, 20)]);
        t.requirements = Cow::Owned(vec![]);
        let errors = t.validate().unwrap_err().errors;
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "id",
                "title",
                "threat_event",
                "consequence",
                "asset_kinds",
                "zone_kinds[1]",
                "impacts.safety",
                "impacts.financial",
                "likelihood",
                "controls[1]",
                "controls[2]",
                "requirements",
            ],
            "{errors:#?}"
        );
        let message = |f: &str| errors.iter().find(|e| e.field == f).unwrap().message.clone();
        assert!(message("id").contains("T-FW-UNSIGNED"));
        assert!(message("threat_event").contains("2000"));
        assert!(message("consequence").contains("U+0007"));
        assert!(message("impacts.financial").contains("1 to 5"));
        assert!(message("controls[1]").contains("8.35"));
        assert!(message("controls[2]").contains("twice"));
        assert!(message("requirements").contains("at least one"));

        let mut t: ThreatTemplate = serde_json::from_value(custom()).unwrap();
        t.requirements = Cow::Owned(vec![ReqId::sr(1, 14)]);
        let errors = t.validate().unwrap_err().errors;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "requirements[0]");
        assert!(errors[0].message.contains("SR 1.14"), "{}", errors[0].message);
    }

    #[test]
    fn ids_must_be_upper_case_words_joined_by_single_dashes() {
        for ok in ["T-FW-UNSIGNED", "C-1", "X", "ACME-PRESS-2"] {
            assert_eq!(check_id(ok), Ok(()), "{ok}");
        }
        for bad in ["", "t-fw", "-T", "T-", "T--X", "1-T", "T X", "T_X", &"T".repeat(MAX_ID_CHARS + 1)] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn impact_dimensions_parse_and_index_the_hints() {
        assert_eq!(ImpactDimension::ALL.len(), 6);
        assert_eq!(ImpactDimension::parse("Production continuity").unwrap(), ImpactDimension::ProductionContinuity);
        assert_eq!(ImpactDimension::parse("financial").unwrap(), ImpactDimension::Financial);
        let i = Impacts::from_levels([1, 2, 3, 4, 5, 1]);
        let levels: Vec<u8> = i.iter().map(|(_, l)| l).collect();
        assert_eq!(levels, [1, 2, 3, 4, 5, 1]);
        assert_eq!(i.get(ImpactDimension::Confidentiality), 5);
        assert_eq!(i.max(), 5);
        let json = serde_json::to_value(i).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut names: Vec<&str> = ImpactDimension::ALL.iter().map(|d| d.as_str()).collect();
        names.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(keys, names, "the JSON keys are the dimension names");
    }
}
