//! The ISO/IEC 27001:2022 Annex A catalogue: the 93 information security controls, each with
//! its id, its official short title and its theme (organizational 5.1–5.37, people 6.1–6.8,
//! physical 7.1–7.14, technological 8.1–8.34).
//!
//! Only ids and short titles are shipped. The control text of the standard (and the guidance
//! of ISO/IEC 27002) is copyrighted and is not part of Connect 981.
//!
//! # Control ids
//!
//! [`ControlId::parse`] accepts `8.20`, `A.8.20` and `a.8.20`, with surrounding white space,
//! and checks that the control exists. An id is always written back as `8.20`, which is also
//! its JSON form. Numbers are written without leading zeros (`08.20` is refused), and an id
//! of the 2013 edition (`A.12.6.1`) is refused with a hint that the numbering changed.
//!
//! # Where the titles come from
//!
//! The titles are those of Table A.1 of ISO/IEC 27001:2022, cross-checked against several
//! public statements of applicability and audit templates that list all 93 controls. Some
//! lists word a few titles differently (most often the shorter 27002:2022 headings); the
//! Annex A wording is kept here, e.g. 5.21 "Managing information security in the information
//! and communication technology (ICT) supply chain", 5.34 "Privacy and protection of personal
//! identifiable information (PII)" (27002 heads it "Privacy and protection of PII") and 8.1
//! "User end point devices".

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::values::string_enum;

string_enum! {
    /// The four themes of Annex A; each is one clause of controls (5 to 8).
    Theme {
        Organizational = "organizational" / "Organizational controls",
        People = "people" / "People controls",
        Physical = "physical" / "Physical controls",
        Technological = "technological" / "Technological controls",
    }
}

impl Theme {
    /// The clause number of the theme: 5 organizational, 6 people, 7 physical, 8 technological.
    pub fn clause(self) -> u8 {
        match self {
            Self::Organizational => 5,
            Self::People => 6,
            Self::Physical => 7,
            Self::Technological => 8,
        }
    }

    /// How many controls the theme has: 37, 8, 14, 34.
    pub fn control_count(self) -> u8 {
        match self {
            Self::Organizational => 37,
            Self::People => 8,
            Self::Physical => 14,
            Self::Technological => 34,
        }
    }

    /// The theme of clause `clause` (5 to 8).
    pub fn from_clause(clause: u8) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.clause() == clause)
    }
}

/// The identity of an Annex A control, `clause.number` (e.g. 8.20). Ordered as Annex A lists
/// the controls.
#[derive(Copy, Clone, Eq, PartialEq, Ord, PartialOrd, Hash, Debug)]
pub struct ControlId {
    /// 5 to 8, the theme's clause.
    pub clause: u8,
    /// 1 to the number of controls of the theme.
    pub number: u8,
}

/// One control of Annex A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Control {
    pub id: ControlId,
    /// The official short title.
    pub title: &'static str,
    pub theme: Theme,
}

const EXPECTED_FORM: &str = "expected an ISO/IEC 27001:2022 Annex A id such as 8.20 or A.8.20";

impl ControlId {
    /// The id `clause.number` (not checked against the catalogue).
    pub const fn new(clause: u8, number: u8) -> Self {
        Self { clause, number }
    }

    /// The theme the id belongs to, if its clause is 5 to 8.
    pub fn theme(&self) -> Option<Theme> {
        Theme::from_clause(self.clause)
    }

    /// Parses `8.20`, `A.8.20` or `a.8.20` (surrounding white space ignored) and checks that
    /// the control exists. The error names the input and the expected form.
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        let body = match trimmed.get(..2) {
            Some(head) if head.eq_ignore_ascii_case("a.") => &trimmed[2..],
            _ => trimmed,
        };
        let parts: Vec<&str> = body.split('.').collect();
        let numbers: Option<Vec<u8>> = parts.iter().map(|p| number(p)).collect();
        let Some(numbers) = numbers else {
            return Err(format!("{trimmed:?} is not an Annex A control id ({EXPECTED_FORM})"));
        };
        match numbers[..] {
            [clause, number] => {
                let id = Self { clause, number };
                if control(id).is_some() {
                    return Ok(id);
                }
                let range = match Theme::from_clause(clause) {
                    Some(t) => format!("theme {clause} has controls {clause}.1 to {clause}.{}", t.control_count()),
                    None => "the themes are 5 to 8".to_owned(),
                };
                Err(format!("{trimmed:?}: {id} is not a control of ISO/IEC 27001:2022 Annex A ({range})"))
            }
            [_, _, _] => Err(format!(
                "{trimmed:?} looks like an ISO/IEC 27001:2013 id; the 2022 edition renumbered Annex A \
                 ({EXPECTED_FORM})"
            )),
            _ => Err(format!("{trimmed:?} is not an Annex A control id ({EXPECTED_FORM})")),
        }
    }
}

/// A decimal number (0 to 255) written without a leading zero.
fn number(s: &str) -> Option<u8> {
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && !(s.len() > 1 && s.starts_with('0'));
    if ok { s.parse().ok() } else { None }
}

impl fmt::Display for ControlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.clause, self.number)
    }
}

impl FromStr for ControlId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

impl Serialize for ControlId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ControlId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The 93 controls in Annex A order (which is also [`ControlId`] order).
pub fn controls() -> &'static [Control] {
    &CONTROLS
}

/// The control with id `id`, if Annex A has one.
pub fn control(id: ControlId) -> Option<&'static Control> {
    CONTROLS.binary_search_by(|c| c.id.cmp(&id)).ok().map(|i| &CONTROLS[i])
}

/// The controls of one theme, in order.
pub fn controls_of(theme: Theme) -> impl Iterator<Item = &'static Control> {
    CONTROLS.iter().filter(move |c| c.theme == theme)
}

const fn c(clause: u8, number: u8, title: &'static str) -> Control {
    let theme = match clause {
        5 => Theme::Organizational,
        6 => Theme::People,
        7 => Theme::Physical,
        _ => Theme::Technological,
    };
    Control { id: ControlId::new(clause, number), title, theme }
}

#[rustfmt::skip]
static CONTROLS: [Control; 93] = [
    // 5 — Organizational controls (37)
    c(5, 1, "Policies for information security"),
    c(5, 2, "Information security roles and responsibilities"),
    c(5, 3, "Segregation of duties"),
    c(5, 4, "Management responsibilities"),
    c(5, 5, "Contact with authorities"),
    c(5, 6, "Contact with special interest groups"),
    c(5, 7, "Threat intelligence"),
    c(5, 8, "Information security in project management"),
    c(5, 9, "Inventory of information and other associated assets"),
    c(5, 10, "Acceptable use of information and other associated assets"),
    c(5, 11, "Return of assets"),
    c(5, 12, "Classification of information"),
    c(5, 13, "Labelling of information"),
    c(5, 14, "Information transfer"),
    c(5, 15, "Access control"),
    c(5, 16, "Identity management"),
    c(5, 17, "Authentication information"),
    c(5, 18, "Access rights"),
    c(5, 19, "Information security in supplier relationships"),
    c(5, 20, "Addressing information security within supplier agreements"),
    c(5, 21, "Managing information security in the information and communication technology (ICT) supply chain"),
    c(5, 22, "Monitoring, review and change management of supplier services"),
    c(5, 23, "Information security for use of cloud services"),
    c(5, 24, "Information security incident management planning and preparation"),
    c(5, 25, "Assessment and decision on information security events"),
    c(5, 26, "Response to information security incidents"),
    c(5, 27, "Learning from information security incidents"),
    c(5, 28, "Collection of evidence"),
    c(5, 29, "Information security during disruption"),
    c(5, 30, "ICT readiness for business continuity"),
    c(5, 31, "Legal, statutory, regulatory and contractual requirements"),
    c(5, 32, "Intellectual property rights"),
    c(5, 33, "Protection of records"),
    c(5, 34, "Privacy and protection of personal identifiable information (PII)"),
    c(5, 35, "Independent review of information security"),
    c(5, 36, "Compliance with policies, rules and standards for information security"),
    c(5, 37, "Documented operating procedures"),
    // 6 — People controls (8)
    c(6, 1, "Screening"),
    c(6, 2, "Terms and conditions of employment"),
    c(6, 3, "Information security awareness, education and training"),
    c(6, 4, "Disciplinary process"),
    c(6, 5, "Responsibilities after termination or change of employment"),
    c(6, 6, "Confidentiality or non-disclosure agreements"),
    c(6, 7, "Remote working"),
    c(6, 8, "Information security event reporting"),
    // 7 — Physical controls (14)
    c(7, 1, "Physical security perimeters"),
    c(7, 2, "Physical entry"),
    c(7, 3, "Securing offices, rooms and facilities"),
    c(7, 4, "Physical security monitoring"),
    c(7, 5, "Protecting against physical and environmental threats"),
    c(7, 6, "Working in secure areas"),
    c(7, 7, "Clear desk and clear screen"),
    c(7, 8, "Equipment siting and protection"),
    c(7, 9, "Security of assets off-premises"),
    c(7, 10, "Storage media"),
    c(7, 11, "Supporting utilities"),
    c(7, 12, "Cabling security"),
    c(7, 13, "Equipment maintenance"),
    c(7, 14, "Secure disposal or re-use of equipment"),
    // 8 — Technological controls (34)
    c(8, 1, "User end point devices"),
    c(8, 2, "Privileged access rights"),
    c(8, 3, "Information access restriction"),
    c(8, 4, "Access to source code"),
    c(8, 5, "Secure authentication"),
    c(8, 6, "Capacity management"),
    c(8, 7, "Protection against malware"),
    c(8, 8, "Management of technical vulnerabilities"),
    c(8, 9, "Configuration management"),
    c(8, 10, "Information deletion"),
    c(8, 11, "Data masking"),
    c(8, 12, "Data leakage prevention"),
    c(8, 13, "Information backup"),
    c(8, 14, "Redundancy of information processing facilities"),
    c(8, 15, "Logging"),
    c(8, 16, "Monitoring activities"),
    c(8, 17, "Clock synchronization"),
    c(8, 18, "Use of privileged utility programs"),
    c(8, 19, "Installation of software on operational systems"),
    c(8, 20, "Networks security"),
    c(8, 21, "Security of network services"),
    c(8, 22, "Segregation of networks"),
    c(8, 23, "Web filtering"),
    c(8, 24, "Use of cryptography"),
    c(8, 25, "Secure development life cycle"),
    c(8, 26, "Application security requirements"),
    c(8, 27, "Secure system architecture and engineering principles"),
    c(8, 28, "Secure coding"),
    c(8, 29, "Security testing in development and acceptance"),
    c(8, 30, "Outsourced development"),
    c(8, 31, "Separation of development, test and production environments"),
    c(8, 32, "Change management"),
    c(8, 33, "Test information"),
    c(8, 34, "Protection of information systems during audit testing"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ControlId {
        ControlId::parse(s).unwrap()
    }

    #[test]
    fn there_are_93_controls_split_37_8_14_34() {
        assert_eq!(controls().len(), 93);
        let per_theme: Vec<usize> = Theme::ALL.iter().map(|&t| controls_of(t).count()).collect();
        assert_eq!(per_theme, [37, 8, 14, 34]);
        for &t in Theme::ALL {
            assert_eq!(controls_of(t).count(), usize::from(t.control_count()), "{t}");
        }
    }

    #[test]
    fn ids_are_unique_contiguous_and_in_order_with_the_theme_of_their_clause() {
        for pair in controls().windows(2) {
            assert!(pair[0].id < pair[1].id, "{} before {}", pair[0].id, pair[1].id);
        }
        for &t in Theme::ALL {
            let numbers: Vec<u8> = controls_of(t).map(|c| c.id.number).collect();
            assert_eq!(numbers, (1..=t.control_count()).collect::<Vec<_>>(), "{t}");
            assert!(controls_of(t).all(|c| c.id.clause == t.clause() && c.id.theme() == Some(t)));
        }
        let mut seen = std::collections::HashSet::new();
        assert!(controls().iter().all(|c| seen.insert(c.id)));
    }

    #[test]
    fn titles_are_trimmed_non_empty_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in controls() {
            assert!(!c.title.is_empty() && c.title.trim() == c.title, "{}", c.id);
            assert!(seen.insert(c.title), "{}: duplicate title {:?}", c.id, c.title);
        }
    }

    #[test]
    fn known_controls_have_their_official_titles() {
        let check = |s: &str, title: &str| assert_eq!(control(id(s)).unwrap().title, title, "{s}");
        check("5.1", "Policies for information security");
        check("5.7", "Threat intelligence");
        check("5.9", "Inventory of information and other associated assets");
        check("5.23", "Information security for use of cloud services");
        check("5.30", "ICT readiness for business continuity");
        check("5.37", "Documented operating procedures");
        check("6.7", "Remote working");
        check("6.8", "Information security event reporting");
        check("7.4", "Physical security monitoring");
        check("7.14", "Secure disposal or re-use of equipment");
        check("8.9", "Configuration management");
        check("8.12", "Data leakage prevention");
        check("8.16", "Monitoring activities");
        check("8.20", "Networks security");
        check("8.23", "Web filtering");
        check("8.28", "Secure coding");
        check("8.32", "Change management");
        check("8.34", "Protection of information systems during audit testing");
    }

    #[test]
    fn every_id_round_trips_through_display_parse_and_json() {
        for c in controls() {
            let text = c.id.to_string();
            assert_eq!(ControlId::parse(&text), Ok(c.id));
            assert_eq!(ControlId::parse(&format!("A.{text}")), Ok(c.id));
            assert_eq!(ControlId::parse(&format!(" a.{text}\t")), Ok(c.id));
            assert_eq!(text.parse::<ControlId>(), Ok(c.id));
            let json = serde_json::to_string(&c.id).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<ControlId>(&json).unwrap(), c.id);
        }
        assert_eq!(id("A.8.20").to_string(), "8.20");
        assert_eq!(id("  8.2 ").to_string(), "8.2");
    }

    #[test]
    fn a_control_serializes_with_id_title_and_theme() {
        let json = serde_json::to_value(control(ControlId::new(8, 20)).unwrap()).unwrap();
        assert_eq!(json, serde_json::json!({"id": "8.20", "title": "Networks security", "theme": "technological"}));
    }

    #[test]
    fn malformed_ids_are_refused_naming_the_input_and_the_expected_form() {
        for s in [
            "", "A.", "8", "8.", ".20", "8.20.", "8,20", "A8.20", "A-8.20", "8.x", "8 .20", "-8.20", "08.20", "8.020",
            "300.1",
        ] {
            let e = ControlId::parse(s).unwrap_err();
            assert!(e.contains(&format!("{:?}", s.trim())) && e.contains("A.8.20"), "{s}: {e}");
        }
    }

    #[test]
    fn unknown_ids_are_refused_with_the_range_of_the_theme() {
        let e = ControlId::parse("8.35").unwrap_err();
        assert!(e.contains("\"8.35\"") && e.contains("8.1 to 8.34"), "{e}");
        let e = ControlId::parse("A.5.38").unwrap_err();
        assert!(e.contains("\"A.5.38\"") && e.contains("5.1 to 5.37"), "{e}");
        let e = ControlId::parse("6.0").unwrap_err();
        assert!(e.contains("6.1 to 6.8"), "{e}");
        for s in ["4.1", "9.1", "10.1"] {
            let e = ControlId::parse(s).unwrap_err();
            assert!(e.contains(s) && e.contains("5 to 8"), "{s}: {e}");
        }
        let e = ControlId::parse("A.12.6.1").unwrap_err();
        assert!(e.contains("2013") && e.contains("A.12.6.1"), "{e}");
        assert!(serde_json::from_str::<ControlId>("\"8.35\"").is_err());
        assert!(serde_json::from_str::<ControlId>("8.2").is_err());
    }

    #[test]
    fn themes_parse_and_map_to_clauses() {
        assert_eq!(Theme::parse("Technological").unwrap(), Theme::Technological);
        assert_eq!(Theme::parse("people controls").unwrap(), Theme::People);
        assert_eq!(Theme::from_clause(7), Some(Theme::Physical));
        assert_eq!(Theme::from_clause(4), None);
        assert_eq!(Theme::ALL.iter().map(|t| usize::from(t.control_count())).sum::<usize>(), 93);
    }
}
