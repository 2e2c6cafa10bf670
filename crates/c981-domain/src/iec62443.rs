//! The IEC 62443-3-3:2013 system requirements catalogue: the 7 foundational requirements (FR),
//! the 51 system requirements (SR) and their 49 requirement enhancements (RE), each with its
//! official short title and the security level from which it applies (the SL column of the
//! standard's mapping of SRs and REs to FR security levels 1 to 4, Annex B, as corrected by
//! COR1:2014).
//!
//! Only identifiers, short titles and levels are shipped. The description text of the standard
//! is copyrighted; an organisation holding a licence imports it with [`parse_descriptions`].
//!
//! # Requirement ids
//!
//! [`ReqId::parse`] accepts, case-insensitively and with any spacing: `SR 1.1`, `SR1.1`, `1.1`
//! for a system requirement, and `SR 1.1 RE 2`, `SR 1.1 RE(2)`, `SR 1.1(2)`, `1.1(2)`,
//! `sr 1.1 re 2` for one of its enhancements. An id is always written back as `SR 1.1` or
//! `SR 1.1 RE 2`, which is also its JSON form.
//!
//! # Importing licensed description text
//!
//! Descriptions are imported from a CSV file:
//!
//! - UTF-8 (a leading byte-order mark is allowed), quoting as in RFC 4180: a field holding a
//!   comma, a double quote or a line break is enclosed in double quotes, and a double quote
//!   inside it is doubled (`""`);
//! - the first line is the header `id,description`;
//! - every further line is one requirement: `id` in any form `ReqId::parse` accepts (for
//!   example `SR 1.1` or `SR 1.1 RE 2`), `description` the text, at most 8000 characters
//!   (surrounding white space is trimmed; line breaks inside a quoted field are kept);
//! - blank lines are skipped;
//! - a line with an unknown or malformed id, an empty description, a description over 8000
//!   characters, a field count other than two, or an id already given on an earlier line
//!   (in any spelling) is an error. Every error is reported, each as `file:line: reason`, and
//!   nothing is imported while any remains.
//!
//! ```text
//! id,description
//! SR 1.1,"Text of SR 1.1, from your licensed copy."
//! SR 1.1 RE 1,Text of the first enhancement.
//! ```
//!
//! # Where the table comes from
//!
//! Every id, title and level below was cross-checked against public material that tabulates
//! the standard (no prose was copied):
//!
//! - **\[D\]** `Nemo10982/IEC62443DSL`, `XtextProject/org.xtext.iec62443.baseModel/src/org/xtext/
//!   iec62443/baseModel/transformation/SecurityRequirements.java`: titles of every SR and RE and
//!   the level of each (a research tool transcribing the standard);
//! - **\[X\]** a public engineering extract of IEC 62443-3-3 (document CCLI-SEC-62443-003,
//!   "IEC 62443-3-3 — CCLI Engineering Extract"), giving each SR's SL-C mapping with page
//!   references;
//! - **\[Q\]** seqred.pl, "IEC62443 – Examples of practical requirements implementation – Part 3":
//!   SL 2 adds 23 requirements or enhancements to SL 1, which this table reproduces exactly
//!   (see the test `sl_2_adds_23_requirements_to_sl_1`).
//!
//! Where the sources disagree the choice is noted beside the entry.

use std::fmt;
use std::str::FromStr;

use crate::values::SlVector;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A foundational requirement of IEC 62443-1-1 / 3-3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fr {
    /// 1 to 7, the position of the FR in a security level vector.
    pub number: u8,
    /// The standard's abbreviation, e.g. `IAC`.
    pub code: &'static str,
    pub title: &'static str,
}

/// The identity of a system requirement (`re` is `None`) or of one of its requirement
/// enhancements. Ordered as the standard lists them: by FR, then SR, then the SR itself before
/// its enhancements.
#[derive(Copy, Clone, Eq, PartialEq, Ord, PartialOrd, Hash, Debug)]
pub struct ReqId {
    pub fr: u8,
    pub sr: u8,
    pub re: Option<u8>,
}

/// One entry of the catalogue: a system requirement or a requirement enhancement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub id: ReqId,
    /// The official short title (for an enhancement, the enhancement's own title).
    pub title: &'static str,
    /// The lowest security level (1 to 4) of its FR at which the standard asks for it.
    pub level: u8,
}

impl Requirement {
    /// Whether this is a requirement enhancement rather than a base system requirement.
    pub fn is_enhancement(&self) -> bool {
        self.id.re.is_some()
    }
}

const EXPECTED_FORM: &str = "expected an IEC 62443-3-3 id such as SR 1.1 or SR 1.1 RE 2";

impl ReqId {
    /// The id of system requirement `SR fr.sr` (not checked against the catalogue).
    pub const fn sr(fr: u8, sr: u8) -> Self {
        Self { fr, sr, re: None }
    }

    /// The id of enhancement `re` of `SR fr.sr` (not checked against the catalogue).
    pub const fn re(fr: u8, sr: u8, re: u8) -> Self {
        Self { fr, sr, re: Some(re) }
    }

    /// The id of the system requirement this id belongs to (itself for a base SR).
    pub fn base(&self) -> Self {
        Self { re: None, ..*self }
    }

    /// Parses any of the accepted spellings (see the module documentation) and checks that the
    /// requirement exists in the catalogue. The error names the input and the expected form.
    pub fn parse(input: &str) -> Result<Self, String> {
        let id = Self::parse_syntax(input)
            .ok_or_else(|| format!("{:?} is not a requirement id ({EXPECTED_FORM})", input.trim()))?;
        if requirement(id).is_none() {
            return Err(format!("{:?}: {id} does not exist in IEC 62443-3-3 ({EXPECTED_FORM})", input.trim()));
        }
        Ok(id)
    }

    fn parse_syntax(input: &str) -> Option<Self> {
        let mut s = Cursor(input.trim());
        s.keyword("sr");
        let fr = s.number()?;
        if !s.literal('.') {
            return None;
        }
        let sr = s.number()?;
        let explicit_re = s.keyword("re");
        let re = if s.literal('(') {
            let n = s.number()?;
            if !s.literal(')') {
                return None;
            }
            Some(n)
        } else if explicit_re {
            Some(s.number()?)
        } else {
            None
        };
        s.0.trim().is_empty().then_some(Self { fr, sr, re })
    }
}

/// A tiny scanner over an id: every step skips leading white space first.
struct Cursor<'a>(&'a str);

impl Cursor<'_> {
    fn keyword(&mut self, word: &str) -> bool {
        let s = self.0.trim_start();
        match s.get(..word.len()) {
            Some(head) if head.eq_ignore_ascii_case(word) => {
                self.0 = &s[word.len()..];
                true
            }
            _ => false,
        }
    }

    fn literal(&mut self, c: char) -> bool {
        match self.0.trim_start().strip_prefix(c) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    fn number(&mut self) -> Option<u8> {
        let s = self.0.trim_start();
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let n = s[..end].parse().ok()?;
        self.0 = &s[end..];
        Some(n)
    }
}

impl fmt::Display for ReqId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SR {}.{}", self.fr, self.sr)?;
        if let Some(re) = self.re {
            write!(f, " RE {re}")?;
        }
        Ok(())
    }
}

impl FromStr for ReqId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

impl Serialize for ReqId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReqId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The seven foundational requirements, in vector order.
pub fn frs() -> &'static [Fr] {
    &FRS
}

/// Every system requirement and requirement enhancement, each SR followed by its REs, in the
/// order of the standard (which is also [`ReqId`] order).
pub fn requirements() -> &'static [Requirement] {
    &REQUIREMENTS
}

/// The catalogue entry for `id`, if the standard has one.
pub fn requirement(id: ReqId) -> Option<&'static Requirement> {
    REQUIREMENTS.binary_search_by(|r| r.id.cmp(&id)).ok().map(|i| &REQUIREMENTS[i])
}

/// Every SR and RE a zone or conduit with security level target `target` has to meet: those
/// whose level is at most the target of their FR. An FR with target 0 asks for nothing.
pub fn required_for(target: SlVector) -> impl Iterator<Item = &'static Requirement> {
    let levels = target.levels();
    REQUIREMENTS.iter().filter(move |r| r.level <= levels[usize::from(r.id.fr - 1)])
}

/// Longest description accepted by [`parse_descriptions`], in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 8000;

/// Parses a licensed description import (format in the module documentation). `name` is used
/// in the messages (`{name}:{line}: {reason}`); every problem is reported, not just the first.
/// On success the descriptions come back in file order.
pub fn parse_descriptions(name: &str, bytes: &[u8]) -> Result<Vec<(ReqId, String)>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut records = reader.records();
    let mut errors = Vec::new();

    let header = loop {
        match records.next() {
            None => {
                return Err(vec![format!("{name}:1: empty file; the first line must be the header `id,description`")]);
            }
            Some(Err(e)) => return Err(vec![csv_error(name, &e)]),
            Some(Ok(rec)) if is_blank(&rec) => continue,
            Some(Ok(rec)) => break rec,
        }
    };
    let header_fields: Vec<String> =
        header.iter().map(|f| f.trim_start_matches('\u{feff}').trim().to_ascii_lowercase()).collect();
    if header_fields != ["id", "description"] {
        return Err(vec![format!(
            "{name}:{}: the header must be `id,description`, found `{}`",
            line_of(&header),
            header.iter().collect::<Vec<_>>().join(",")
        )]);
    }

    let mut seen: std::collections::HashMap<ReqId, u64> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for record in records {
        let rec = match record {
            Ok(rec) => rec,
            Err(e) => {
                errors.push(csv_error(name, &e));
                continue;
            }
        };
        if is_blank(&rec) {
            continue;
        }
        let line = line_of(&rec);
        if rec.len() != 2 {
            errors.push(format!("{name}:{line}: expected 2 fields (id,description), found {}", rec.len()));
            continue;
        }
        let id = match ReqId::parse(&rec[0]) {
            Ok(id) => id,
            Err(e) => {
                errors.push(format!("{name}:{line}: {e}"));
                continue;
            }
        };
        let description = rec[1].trim();
        if description.is_empty() {
            errors.push(format!("{name}:{line}: the description of {id} is empty"));
        } else if description.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.push(format!(
                "{name}:{line}: the description of {id} has {} characters, more than {MAX_DESCRIPTION_CHARS}",
                description.chars().count()
            ));
        }
        if let Some(first) = seen.get(&id) {
            errors.push(format!("{name}:{line}: {id} was already given on line {first}"));
            continue;
        }
        seen.insert(id, line);
        out.push((id, description.to_owned()));
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn is_blank(rec: &csv::StringRecord) -> bool {
    rec.iter().all(|f| f.trim().is_empty())
}

fn line_of(rec: &csv::StringRecord) -> u64 {
    rec.position().map_or(0, csv::Position::line)
}

fn csv_error(name: &str, e: &csv::Error) -> String {
    let line = e.position().map_or(0, csv::Position::line);
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => format!("{name}:{line}: not valid UTF-8"),
        _ => format!("{name}:{line}: {e}"),
    }
}

const FRS: [Fr; 7] = [
    Fr { number: 1, code: "IAC", title: "Identification and authentication control" },
    Fr { number: 2, code: "UC", title: "Use control" },
    Fr { number: 3, code: "SI", title: "System integrity" },
    Fr { number: 4, code: "DC", title: "Data confidentiality" },
    Fr { number: 5, code: "RDF", title: "Restricted data flow" },
    Fr { number: 6, code: "TRE", title: "Timely response to events" },
    Fr { number: 7, code: "RA", title: "Resource availability" },
];

const fn sr(fr: u8, sr: u8, level: u8, title: &'static str) -> Requirement {
    Requirement { id: ReqId::sr(fr, sr), title, level }
}

const fn re(fr: u8, sr: u8, re: u8, level: u8, title: &'static str) -> Requirement {
    Requirement { id: ReqId::re(fr, sr, re), title, level }
}

#[rustfmt::skip]
static REQUIREMENTS: [Requirement; 100] = [
    // FR 1 — IAC. All entries as in [D]; SR 1.2, 1.8 and 1.9 "not selected" at SL 1 also in
    // [X]. SR 1.13 RE 1 from SL 2 in [D] and [X]. SR 1.8's title carries "(PKI)" in [D] and [X].
    sr(1, 1, 1, "Human user identification and authentication"),
    re(1, 1, 1, 2, "Unique identification and authentication"),
    re(1, 1, 2, 3, "Multifactor authentication for untrusted networks"),
    re(1, 1, 3, 4, "Multifactor authentication for all networks"),
    sr(1, 2, 2, "Software process and device identification and authentication"),
    re(1, 2, 1, 3, "Unique identification and authentication"),
    sr(1, 3, 1, "Account management"),
    re(1, 3, 1, 3, "Unified account management"),
    sr(1, 4, 1, "Identifier management"),
    sr(1, 5, 1, "Authenticator management"),
    re(1, 5, 1, 3, "Hardware security for software process identity credentials"),
    sr(1, 6, 1, "Wireless access management"),
    re(1, 6, 1, 2, "Unique identification and authentication"),
    sr(1, 7, 1, "Strength of password-based authentication"),
    re(1, 7, 1, 3, "Password generation and lifetime restrictions for human users"),
    re(1, 7, 2, 4, "Password lifetime restrictions for all users"),
    sr(1, 8, 2, "Public key infrastructure (PKI) certificates"),
    sr(1, 9, 2, "Strength of public key authentication"),
    re(1, 9, 1, 3, "Hardware security for public key authentication"),
    sr(1, 10, 1, "Authenticator feedback"),
    sr(1, 11, 1, "Unsuccessful login attempts"),
    sr(1, 12, 1, "System use notification"),
    sr(1, 13, 1, "Access via untrusted networks"),
    re(1, 13, 1, 2, "Explicit access request approval"),
    // FR 2 — UC. Levels as in [D] and [X] (SR 2.1 RE 1 and RE 2 from SL 2; SR 2.6 from SL 2;
    // SR 2.7 and 2.12 from SL 3; SR 2.11 from SL 2, its RE 1 from SL 3, RE 2 from SL 4).
    // Titles as in [D], except SR 2.11 RE 1: [D] has "Time synchronization" (the 62443-4-2
    // CR 2.11 RE 1 title), kept here as the 3-3 wording "Internal time synchronization".
    sr(2, 1, 1, "Authorization enforcement"),
    re(2, 1, 1, 2, "Authorization enforcement for all users"),
    re(2, 1, 2, 2, "Permission mapping to roles"),
    re(2, 1, 3, 3, "Supervisor override"),
    re(2, 1, 4, 4, "Dual approval"),
    sr(2, 2, 1, "Wireless use control"),
    re(2, 2, 1, 3, "Identify and report unauthorized wireless devices"),
    sr(2, 3, 1, "Use control for portable and mobile devices"),
    re(2, 3, 1, 3, "Enforcement of security status of portable and mobile devices"),
    sr(2, 4, 1, "Mobile code"),
    re(2, 4, 1, 3, "Mobile code integrity check"),
    sr(2, 5, 1, "Session lock"),
    sr(2, 6, 2, "Remote session termination"),
    sr(2, 7, 3, "Concurrent session control"),
    sr(2, 8, 1, "Auditable events"),
    re(2, 8, 1, 3, "Centrally managed, system-wide audit trail"),
    sr(2, 9, 1, "Audit storage capacity"),
    re(2, 9, 1, 3, "Warn when audit record storage capacity threshold reached"),
    sr(2, 10, 1, "Response to audit processing failures"),
    sr(2, 11, 2, "Timestamps"),
    re(2, 11, 1, 3, "Internal time synchronization"),
    re(2, 11, 2, 4, "Protection of time source integrity"),
    sr(2, 12, 3, "Non-repudiation"),
    re(2, 12, 1, 4, "Non-repudiation for all users"),
    // FR 3 — SI. Levels as in [D]. SR 3.4 applies from SL 2: COR1:2014 changed the SL 1 entry
    // for SR 3.4 to "not selected" ([D] agrees; [X] still lists it at SL 1, the uncorrected
    // text). SR 3.7, 3.8 and 3.9 from SL 2 in [D] and [X].
    sr(3, 1, 1, "Communication integrity"),
    re(3, 1, 1, 3, "Cryptographic integrity protection"),
    sr(3, 2, 1, "Malicious code protection"),
    re(3, 2, 1, 2, "Malicious code protection on entry and exit points"),
    re(3, 2, 2, 3, "Central management and reporting for malicious code protection"),
    sr(3, 3, 1, "Security functionality verification"),
    re(3, 3, 1, 3, "Automated mechanisms for security functionality verification"),
    re(3, 3, 2, 4, "Security functionality verification during normal operation"),
    sr(3, 4, 2, "Software and information integrity"),
    re(3, 4, 1, 3, "Automated notification about integrity violations"),
    sr(3, 5, 1, "Input validation"),
    sr(3, 6, 1, "Deterministic output"),
    sr(3, 7, 2, "Error handling"),
    sr(3, 8, 2, "Session integrity"),
    re(3, 8, 1, 3, "Invalidation of session IDs after session termination"),
    re(3, 8, 2, 3, "Unique session ID generation"),
    re(3, 8, 3, 4, "Randomness of session IDs"),
    sr(3, 9, 2, "Protection of audit information"),
    re(3, 9, 1, 4, "Audit records on write-once media"),
    // FR 4 — DC. Titles and levels as in [D]. SR 4.1 RE 2 from SL 4 per [D]; [X] has it
    // from SL 3 (the one level in this table with a live disagreement between the sources).
    sr(4, 1, 1, "Information confidentiality"),
    re(4, 1, 1, 2, "Protection of confidentiality at rest or in transit via untrusted networks"),
    re(4, 1, 2, 4, "Protection of confidentiality across zone boundaries"),
    sr(4, 2, 2, "Information persistence"),
    re(4, 2, 1, 3, "Purging of shared memory resources"),
    sr(4, 3, 1, "Use of cryptography"),
    // FR 5 — RDF. Titles and levels as in [D] and [X] (SR 5.3 and SR 5.4 from SL 1).
    sr(5, 1, 1, "Network segmentation"),
    re(5, 1, 1, 2, "Physical network segmentation"),
    re(5, 1, 2, 3, "Independence from non-control system networks"),
    re(5, 1, 3, 4, "Logical and physical isolation of critical networks"),
    sr(5, 2, 1, "Zone boundary protection"),
    re(5, 2, 1, 2, "Deny by default, allow by exception"),
    re(5, 2, 2, 3, "Island mode"),
    re(5, 2, 3, 3, "Fail close"),
    sr(5, 3, 1, "General purpose person-to-person communication restrictions"),
    re(5, 3, 1, 3, "Prohibit all general purpose person-to-person communications"),
    sr(5, 4, 1, "Application partitioning"),
    // FR 6 — TRE. As in [D]; SR 6.2 from SL 2 (also [X]'s summary of Table B.1).
    sr(6, 1, 1, "Audit log accessibility"),
    re(6, 1, 1, 3, "Programmatic access to audit logs"),
    sr(6, 2, 2, "Continuous monitoring"),
    // FR 7 — RA. Titles and levels as in [D] and [X] (SR 7.8 from SL 2).
    sr(7, 1, 1, "Denial of service protection"),
    re(7, 1, 1, 2, "Manage communication loads"),
    re(7, 1, 2, 3, "Limit DoS effects to other systems or networks"),
    sr(7, 2, 1, "Resource management"),
    sr(7, 3, 1, "Control system backup"),
    re(7, 3, 1, 2, "Backup verification"),
    re(7, 3, 2, 3, "Backup automation"),
    sr(7, 4, 1, "Control system recovery and reconstitution"),
    sr(7, 5, 1, "Emergency power"),
    sr(7, 6, 1, "Network and security configuration settings"),
    re(7, 6, 1, 3, "Machine-readable reporting of current security settings"),
    sr(7, 7, 1, "Least functionality"),
    sr(7, 8, 2, "Control system component inventory"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(levels: [u8; 7]) -> SlVector {
        SlVector::from_levels(levels).unwrap()
    }

    fn id(s: &str) -> ReqId {
        ReqId::parse(s).unwrap()
    }

    #[test]
    fn there_are_seven_frs_in_vector_order() {
        let codes: Vec<_> = frs().iter().map(|f| f.code).collect();
        assert_eq!(codes, SlVector::FR_NAMES);
        assert!(frs().iter().enumerate().all(|(i, f)| usize::from(f.number) == i + 1));
        assert_eq!(frs()[5].title, "Timely response to events");
    }

    #[test]
    fn there_are_51_srs_split_13_12_9_3_4_2_8() {
        let srs: Vec<_> = requirements().iter().filter(|r| !r.is_enhancement()).collect();
        assert_eq!(srs.len(), 51);
        let per_fr: Vec<usize> = (1..=7).map(|fr| srs.iter().filter(|r| r.id.fr == fr).count()).collect();
        assert_eq!(per_fr, [13, 12, 9, 3, 4, 2, 8]);
        // SRs are numbered 1..=n within each FR, without gaps.
        for fr in 1..=7u8 {
            let numbers: Vec<u8> = srs.iter().filter(|r| r.id.fr == fr).map(|r| r.id.sr).collect();
            assert_eq!(numbers, (1..=numbers.len() as u8).collect::<Vec<_>>());
        }
    }

    #[test]
    fn there_are_49_enhancements_split_11_12_10_3_7_1_5() {
        let res: Vec<_> = requirements().iter().filter(|r| r.is_enhancement()).collect();
        assert_eq!(res.len(), 49);
        let per_fr: Vec<usize> = (1..=7).map(|fr| res.iter().filter(|r| r.id.fr == fr).count()).collect();
        assert_eq!(per_fr, [11, 12, 10, 3, 7, 1, 5]);
        assert_eq!(requirements().len(), 100);
    }

    #[test]
    fn ids_are_unique_and_in_standard_order_with_enhancements_numbered_from_one() {
        for pair in requirements().windows(2) {
            assert!(pair[0].id < pair[1].id, "{} before {}", pair[0].id, pair[1].id);
        }
        for r in requirements() {
            if let Some(n) = r.id.re {
                let previous = ReqId { re: (n > 1).then(|| n - 1), ..r.id };
                assert!(requirement(previous).is_some(), "{} has no predecessor", r.id);
            }
        }
    }

    #[test]
    fn levels_are_1_to_4_and_no_enhancement_applies_below_its_sr() {
        for r in requirements() {
            assert!((1..=4).contains(&r.level), "{}", r.id);
            assert!(!r.title.is_empty() && r.title.trim() == r.title, "{}", r.id);
            if r.is_enhancement() {
                let base = requirement(r.id.base()).unwrap();
                assert!(r.level >= base.level, "{} applies below {}", r.id, base.id);
            }
        }
    }

    #[test]
    fn known_entries_have_their_standard_titles_and_levels() {
        let check = |s: &str, title: &str, level: u8| {
            let r = requirement(id(s)).unwrap();
            assert_eq!((r.title, r.level), (title, level), "{s}");
        };
        check("SR 1.1", "Human user identification and authentication", 1);
        check("SR 1.1 RE 2", "Multifactor authentication for untrusted networks", 3);
        check("SR 1.2", "Software process and device identification and authentication", 2);
        check("SR 1.13 RE 1", "Explicit access request approval", 2);
        check("SR 2.5", "Session lock", 1);
        check("SR 2.7", "Concurrent session control", 3);
        check("SR 2.12", "Non-repudiation", 3);
        check("SR 2.12 RE 1", "Non-repudiation for all users", 4);
        check("SR 3.4", "Software and information integrity", 2);
        check("SR 3.4 RE 1", "Automated notification about integrity violations", 3);
        check("SR 4.1 RE 2", "Protection of confidentiality across zone boundaries", 4);
        check("SR 5.2 RE 1", "Deny by default, allow by exception", 2);
        check("SR 5.2 RE 3", "Fail close", 3);
        check("SR 6.2", "Continuous monitoring", 2);
        check("SR 7.8", "Control system component inventory", 2);
    }

    #[test]
    fn sl_1_everywhere_asks_for_37_base_requirements_and_no_enhancement() {
        let reqs: Vec<_> = required_for(sl([1; 7])).collect();
        assert_eq!(reqs.len(), 37);
        assert!(reqs.iter().all(|r| !r.is_enhancement() && r.level == 1));
    }

    #[test]
    fn sl_2_adds_23_requirements_to_sl_1() {
        // The count published by seqred.pl for SL 2 over SL 1 ([Q] in the module doc).
        let sl1 = required_for(sl([1; 7])).count();
        let sl2 = required_for(sl([2; 7])).count();
        assert_eq!(sl2 - sl1, 23);
    }

    #[test]
    fn sl_4_everywhere_asks_for_everything_and_sl_0_for_nothing() {
        assert_eq!(required_for(sl([4; 7])).count(), requirements().len());
        assert_eq!(required_for(sl([0; 7])).count(), 0);
    }

    #[test]
    fn each_fr_uses_only_its_own_target() {
        let reqs: Vec<_> = required_for(sl([0, 0, 0, 4, 0, 0, 0])).map(|r| r.id.to_string()).collect();
        assert_eq!(reqs, ["SR 4.1", "SR 4.1 RE 1", "SR 4.1 RE 2", "SR 4.2", "SR 4.2 RE 1", "SR 4.3"]);
        let sl3: Vec<_> = required_for(sl([0, 0, 0, 3, 0, 0, 0])).map(|r| r.id.to_string()).collect();
        assert!(!sl3.contains(&"SR 4.1 RE 2".to_owned()));
    }

    #[test]
    fn every_id_round_trips_through_display_and_parse() {
        for r in requirements() {
            assert_eq!(ReqId::parse(&r.id.to_string()), Ok(r.id));
            assert_eq!(r.id.to_string().parse::<ReqId>(), Ok(r.id));
            let json = serde_json::to_string(&r.id).unwrap();
            assert_eq!(serde_json::from_str::<ReqId>(&json).unwrap(), r.id);
        }
    }

    #[test]
    fn ids_accept_loose_spellings() {
        let re2 = ReqId::re(1, 1, 2);
        for s in ["sr 1.1 re 2", "SR 1.1 RE(2)", "SR 1.1 RE 2", "1.1(2)", "SR1.1RE2", " SR 1.1 (2) ", "sr 1.1 re (2)"] {
            assert_eq!(ReqId::parse(s), Ok(re2), "{s}");
        }
        for s in ["SR 1.1", "SR1.1", "1.1", "sr 1.1", " 1.1 "] {
            assert_eq!(ReqId::parse(s), Ok(ReqId::sr(1, 1)), "{s}");
        }
        assert_eq!(id("SR 2.11 RE 1").to_string(), "SR 2.11 RE 1");
        assert_eq!(serde_json::to_string(&ReqId::re(7, 3, 1)).unwrap(), "\"SR 7.3 RE 1\"");
    }

    #[test]
    fn malformed_or_unknown_ids_are_refused_naming_the_input() {
        for s in
            ["", "SR", "SR 1", "SR 1.", "SR 1.1 RE", "SR 1.1 RE(2", "SR 1.1 x", "CR 1.1", "1,1", "SR 1.1.2", "SR -1.1"]
        {
            let e = ReqId::parse(s).unwrap_err();
            assert!(e.contains(&format!("{:?}", s.trim())) && e.contains("SR 1.1 RE 2"), "{s}: {e}");
        }
        for s in ["SR 1.14", "SR 8.1", "SR 0.1", "SR 1.1 RE 4", "SR 1.4 RE 1", "SR 4.1 RE 0", "SR 300.1"] {
            let e = ReqId::parse(s).unwrap_err();
            assert!(e.contains(s) && e.contains("expected"), "{s}: {e}");
        }
        assert!(serde_json::from_str::<ReqId>("\"SR 9.9\"").is_err());
    }

    #[test]
    fn a_good_description_file_is_imported_in_file_order() {
        let csv = "\u{feff}id,description\r\n\
                   SR 1.1,\"First, with a comma and \"\"quotes\"\"\"\r\n\
                   \r\n\
                   1.1(1),\"Two\nlines\"\r\n\
                   sr 7.8 , Trimmed \r\n";
        let got = parse_descriptions("d.csv", csv.as_bytes()).unwrap();
        assert_eq!(
            got,
            [
                (ReqId::sr(1, 1), "First, with a comma and \"quotes\"".to_owned()),
                (ReqId::re(1, 1, 1), "Two\nlines".to_owned()),
                (ReqId::sr(7, 8), "Trimmed".to_owned()),
            ]
        );
        assert_eq!(parse_descriptions("d.csv", b"id,description\n").unwrap(), []);
    }

    #[test]
    fn every_bad_line_of_a_description_file_is_reported_with_its_line() {
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        let csv = format!(
            "id,description\n\
             SR 1.1,ok\n\
             SR 9.9,unknown\n\
             SR 1.2,   \n\
             1.1,duplicate\n\
             SR 1.3,a,b\n\
             SR 1.4,{long}\n\
             bogus,text\n"
        );
        let errors = parse_descriptions("d.csv", csv.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(errors[0].starts_with("d.csv:3: ") && errors[0].contains("SR 9.9"), "{}", errors[0]);
        assert!(errors[1].starts_with("d.csv:4: ") && errors[1].contains("empty"), "{}", errors[1]);
        assert!(errors[2].starts_with("d.csv:5: ") && errors[2].contains("line 2"), "{}", errors[2]);
        assert!(errors[3].starts_with("d.csv:6: ") && errors[3].contains("2 fields"), "{}", errors[3]);
        assert!(errors[4].starts_with("d.csv:7: ") && errors[4].contains("8000"), "{}", errors[4]);
        assert!(errors[5].starts_with("d.csv:8: ") && errors[5].contains("bogus"), "{}", errors[5]);
    }

    #[test]
    fn a_description_file_needs_the_header_and_valid_utf8() {
        let e = parse_descriptions("d.csv", b"").unwrap_err();
        assert!(e[0].starts_with("d.csv:1: ") && e[0].contains("id,description"), "{e:?}");
        let e = parse_descriptions("d.csv", b"sr,text\nSR 1.1,x\n").unwrap_err();
        assert!(e[0].starts_with("d.csv:1: ") && e[0].contains("header"), "{e:?}");
        let e = parse_descriptions("d.csv", b"id,description\nSR 1.1,\xff\xfe\nSR 1.2,fine\n").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("d.csv:2: ") && e[0].contains("UTF-8"), "{e:?}");
    }
}
