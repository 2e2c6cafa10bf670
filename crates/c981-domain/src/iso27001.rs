//! ISO/IEC 27001:2022 beyond Annex A: the headings of the requirement clauses 4 to 10, and the
//! default crosswalk between Annex A and IEC 62443-3-3.
//!
//! Only ids and headings ship (the requirement text is copyrighted). The crosswalk is this
//! project's own reading, labelled informative everywhere it is shown: no authoritative public
//! mapping between the two standards exists, and every link can be edited or removed.

use serde::{Deserialize, Serialize};

use crate::annex_a::ControlId;
use crate::iec62443::ReqId;
use crate::values::string_enum;

/// A heading of clauses 4 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clause {
    /// `4`, `4.1`, `6.1.2`…
    pub id: &'static str,
    pub title: &'static str,
}

const fn h(id: &'static str, title: &'static str) -> Clause {
    Clause { id, title }
}

/// The headings of clauses 4 to 10 of ISO/IEC 27001:2022, in the order of the standard.
/// Amendment 1 (2024, climate action) adds sentences to 4.1 and 4.2, no heading.
pub fn clauses() -> &'static [Clause] {
    &CLAUSES
}

/// The top-level clause a heading belongs to (`6.1.2` → `6`).
pub fn clause_of(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

#[rustfmt::skip]
static CLAUSES: [Clause; 41] = [
    h("4", "Context of the organization"),
    h("4.1", "Understanding the organization and its context"),
    h("4.2", "Understanding the needs and expectations of interested parties"),
    h("4.3", "Determining the scope of the information security management system"),
    h("4.4", "Information security management system"),
    h("5", "Leadership"),
    h("5.1", "Leadership and commitment"),
    h("5.2", "Policy"),
    h("5.3", "Organizational roles, responsibilities and authorities"),
    h("6", "Planning"),
    h("6.1", "Actions to address risks and opportunities"),
    h("6.1.1", "General"),
    h("6.1.2", "Information security risk assessment"),
    h("6.1.3", "Information security risk treatment"),
    h("6.2", "Information security objectives and planning to achieve them"),
    h("6.3", "Planning of changes"),
    h("7", "Support"),
    h("7.1", "Resources"),
    h("7.2", "Competence"),
    h("7.3", "Awareness"),
    h("7.4", "Communication"),
    h("7.5", "Documented information"),
    h("7.5.1", "General"),
    h("7.5.2", "Creating and updating"),
    h("7.5.3", "Control of documented information"),
    h("8", "Operation"),
    h("8.1", "Operational planning and control"),
    h("8.2", "Information security risk assessment"),
    h("8.3", "Information security risk treatment"),
    h("9", "Performance evaluation"),
    h("9.1", "Monitoring, measurement, analysis and evaluation"),
    h("9.2", "Internal audit"),
    h("9.2.1", "General"),
    h("9.2.2", "Internal audit programme"),
    h("9.3", "Management review"),
    h("9.3.1", "General"),
    h("9.3.2", "Management review inputs"),
    h("9.3.3", "Management review results"),
    h("10", "Improvement"),
    h("10.1", "Continual improvement"),
    h("10.2", "Nonconformity and corrective action"),
];

string_enum! {
    /// How an Annex A control relates to the requirement it is linked to (read: "the control
    /// is … the requirement").
    Relationship {
        Equal = "equal" / "Equal",
        Subset = "subset" / "Subset of",
        Superset = "superset" / "Superset of",
        Intersects = "intersects" / "Intersects with",
    }
}

/// One link of the default crosswalk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultLink {
    pub control: ControlId,
    pub requirement: ReqId,
    pub relationship: Relationship,
    /// Why the two are linked, in a few words.
    pub basis: &'static str,
}

const fn l(clause: u8, number: u8, req: ReqId, relationship: Relationship, basis: &'static str) -> DefaultLink {
    DefaultLink { control: ControlId::new(clause, number), requirement: req, relationship, basis }
}

const fn sr(fr: u8, n: u8) -> ReqId {
    ReqId::sr(fr, n)
}

use Relationship::{Equal, Intersects, Superset};

/// The default, informative crosswalk from Annex A to IEC 62443-3-3 system requirements.
pub fn default_crosswalk() -> &'static [DefaultLink] {
    &CROSSWALK
}

#[rustfmt::skip]
static CROSSWALK: [DefaultLink; 72] = [
    l(5, 3, sr(2, 1), Intersects, "separated duties are enforced through role-based authorization"),
    l(5, 9, sr(7, 8), Intersects, "the component inventory is the control system's part of the asset inventory"),
    l(5, 10, sr(1, 12), Intersects, "the system use notification states the acceptable use at login"),
    l(5, 12, sr(4, 1), Intersects, "the protection of information follows its classification"),
    l(5, 14, sr(3, 1), Intersects, "integrity of information in transit"),
    l(5, 14, sr(4, 1), Intersects, "confidentiality of information in transit"),
    l(5, 14, sr(5, 3), Intersects, "restrictions on e-mail and messaging into the control system"),
    l(5, 15, sr(2, 1), Intersects, "access control policy enforced as authorization on every access"),
    l(5, 16, sr(1, 1), Intersects, "unique identities for human users"),
    l(5, 16, sr(1, 2), Intersects, "identities for software processes and devices"),
    l(5, 16, sr(1, 3), Intersects, "life cycle of accounts"),
    l(5, 16, sr(1, 4), Superset, "identifier management is part of identity management"),
    l(5, 17, sr(1, 5), Intersects, "issuing, changing and protecting authenticators"),
    l(5, 17, sr(1, 7), Superset, "password strength is one aspect of authentication information"),
    l(5, 18, sr(1, 3), Intersects, "granting, reviewing and removing access through accounts"),
    l(5, 18, sr(2, 1), Intersects, "access rights enforced as authorizations"),
    l(5, 25, sr(6, 2), Intersects, "events detected by monitoring are assessed and classified"),
    l(5, 28, sr(2, 8), Intersects, "audit records serve as evidence"),
    l(5, 28, sr(3, 9), Intersects, "evidence is kept from alteration"),
    l(5, 29, sr(7, 1), Intersects, "essential functions kept under attack or overload"),
    l(5, 29, sr(7, 4), Intersects, "recovery to a known secure state after disruption"),
    l(5, 30, sr(7, 3), Intersects, "backups of the control system for continuity"),
    l(5, 30, sr(7, 4), Intersects, "recovery and reconstitution of the control system"),
    l(5, 30, sr(7, 5), Intersects, "emergency power for continuity of control"),
    l(5, 33, sr(3, 9), Intersects, "records such as audit logs are protected"),
    l(6, 7, sr(1, 13), Intersects, "remote access comes through untrusted networks"),
    l(6, 7, sr(2, 6), Intersects, "remote sessions end after inactivity"),
    l(7, 10, sr(2, 3), Intersects, "portable media connected to control system components"),
    l(7, 11, sr(7, 5), Intersects, "power supply to the control system"),
    l(7, 14, sr(4, 2), Intersects, "information is purged before components are reused or disposed of"),
    l(8, 1, sr(2, 3), Intersects, "portable and mobile devices used in the control system"),
    l(8, 2, sr(1, 3), Intersects, "privileged accounts are managed accounts"),
    l(8, 2, sr(2, 1), Intersects, "privileges enforced by authorization"),
    l(8, 3, sr(2, 1), Intersects, "access to information restricted by authorization"),
    l(8, 5, sr(1, 1), Intersects, "authentication of human users"),
    l(8, 5, sr(1, 2), Intersects, "authentication of software processes and devices"),
    l(8, 5, sr(1, 8), Intersects, "certificate-based authentication"),
    l(8, 5, sr(1, 9), Intersects, "strength of public key authentication"),
    l(8, 5, sr(1, 10), Intersects, "no feedback that helps guess an authenticator"),
    l(8, 5, sr(1, 11), Intersects, "limits on unsuccessful login attempts"),
    l(8, 5, sr(2, 5), Intersects, "session lock after inactivity"),
    l(8, 6, sr(7, 2), Intersects, "resources reserved so that essential functions keep working"),
    l(8, 6, sr(2, 9), Superset, "audit storage capacity is one resource to plan"),
    l(8, 7, sr(3, 2), Equal, "both ask for protection against malicious code"),
    l(8, 8, sr(3, 3), Intersects, "verification that security functions work finds weaknesses"),
    l(8, 8, sr(7, 8), Intersects, "vulnerability management starts from the component inventory"),
    l(8, 9, sr(7, 6), Intersects, "network and security configuration settings are baselined"),
    l(8, 9, sr(7, 7), Intersects, "unneeded functions, ports and services are disabled"),
    l(8, 9, sr(7, 8), Intersects, "configuration items are inventoried"),
    l(8, 10, sr(4, 2), Intersects, "information removed from components no longer in use"),
    l(8, 12, sr(4, 1), Intersects, "confidential information does not leave the zone"),
    l(8, 12, sr(5, 2), Intersects, "boundary protection stops unauthorised outbound flows"),
    l(8, 13, sr(7, 3), Superset, "control system backup is part of information backup"),
    l(8, 15, sr(2, 8), Intersects, "events to record"),
    l(8, 15, sr(2, 9), Intersects, "storage for the logs"),
    l(8, 15, sr(2, 10), Intersects, "what happens when logging fails"),
    l(8, 15, sr(3, 9), Intersects, "logs protected from alteration and deletion"),
    l(8, 15, sr(6, 1), Intersects, "logs readable by authorised people and tools"),
    l(8, 16, sr(6, 2), Intersects, "continuous monitoring of the control system"),
    l(8, 17, sr(2, 11), Intersects, "time stamps from synchronised clocks"),
    l(8, 18, sr(2, 1), Intersects, "use of privileged utilities is authorised"),
    l(8, 18, sr(7, 7), Intersects, "utilities not needed are removed"),
    l(8, 19, sr(2, 4), Intersects, "mobile code is software arriving on operational systems"),
    l(8, 19, sr(3, 4), Intersects, "integrity of installed software"),
    l(8, 20, sr(1, 6), Intersects, "wireless access to the network is managed"),
    l(8, 20, sr(5, 1), Intersects, "networks are segmented"),
    l(8, 20, sr(5, 2), Intersects, "traffic at zone boundaries is controlled"),
    l(8, 21, sr(1, 13), Intersects, "access through networks run by others"),
    l(8, 22, sr(5, 1), Equal, "both ask for separately controlled network segments"),
    l(8, 24, sr(4, 3), Equal, "both ask for cryptography used according to a defined practice"),
    l(8, 28, sr(3, 5), Intersects, "validated inputs are a secure coding practice"),
    l(8, 29, sr(3, 3), Intersects, "security functions are verified in acceptance and operation"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clauses_run_from_4_to_10_in_order_without_duplicates() {
        let ids: Vec<&str> = clauses().iter().map(|c| c.id).collect();
        let tops: Vec<&str> = ids.iter().copied().filter(|i| !i.contains('.')).collect();
        assert_eq!(tops, ["4", "5", "6", "7", "8", "9", "10"]);
        let mut seen = std::collections::HashSet::new();
        assert!(ids.iter().all(|i| seen.insert(*i)));
        let key = |s: &str| s.split('.').map(|p| p.parse::<u32>().unwrap()).collect::<Vec<_>>();
        assert!(ids.windows(2).all(|w| key(w[0]) < key(w[1])), "{ids:?}");
        assert_eq!(clause_of("6.1.2"), "6");
    }

    #[test]
    fn every_default_link_names_a_real_control_and_requirement_once() {
        let mut seen = std::collections::HashSet::new();
        for link in default_crosswalk() {
            assert!(crate::annex_a::control(link.control).is_some(), "{}", link.control);
            assert!(crate::iec62443::requirement(link.requirement).is_some(), "{}", link.requirement);
            assert!(seen.insert((link.control, link.requirement)), "twice: {} {}", link.control, link.requirement);
            assert!(!link.basis.is_empty());
        }
    }
}
