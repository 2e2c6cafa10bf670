//! An IEC 62443-3-2 system under consideration (SUC) and where its zone and conduit
//! requirements (ZCR 1 to ZCR 7) stand: the risk assessment workflow of the standard, one
//! record per SUC. The asset owner's approval (ZCR 7) is an electronic signature on the
//! record with the meaning "approved".

use serde::{Deserialize, Serialize};

use crate::choices;
use crate::entity::{Entity, EntityKind, loose_list, loose_string, opt, present};
use crate::error::{Errors, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::{SiteId, SystemId, ZoneId};
use crate::values::{Name, Short, Text, string_enum};

string_enum! {
    /// Where one ZCR of a system under consideration stands.
    ZcrState {
        NotStarted = "not_started" / "Not started",
        InProgress = "in_progress" / "In progress",
        Done = "done" / "Done",
        NotApplicable = "not_applicable" / "Not applicable",
    }
}

impl ZcrState {
    /// Whether the step no longer holds up the asset owner's approval (ZCR 7).
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Done | Self::NotApplicable)
    }
}

/// The short titles of ZCR 1 to ZCR 7 (IEC 62443-3-2).
pub const ZCR_TITLES: [&str; 7] = [
    "Identify the SUC",
    "Initial risk assessment",
    "Partition into zones and conduits",
    "Risk comparison with tolerable risk",
    "Detailed risk assessment",
    "Document requirements, assumptions and constraints",
    "Asset owner approval",
];

/// A system under consideration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemUnderConsideration {
    pub site_id: SiteId,
    pub name: Name,
    /// Scope and boundary of the SUC.
    pub description: Text,
    /// The zones it comprises, distinct, in the order given.
    pub zone_ids: Vec<ZoneId>,
    /// The asset owner.
    pub owner: Short,
    pub zcr1_status: ZcrState,
    pub zcr1_evidence: Vec<Short>,
    pub zcr2_status: ZcrState,
    pub zcr2_evidence: Vec<Short>,
    pub zcr3_status: ZcrState,
    pub zcr3_evidence: Vec<Short>,
    pub zcr4_status: ZcrState,
    pub zcr4_evidence: Vec<Short>,
    pub zcr5_status: ZcrState,
    pub zcr5_evidence: Vec<Short>,
    pub zcr6_status: ZcrState,
    pub zcr6_evidence: Vec<Short>,
    pub zcr7_status: ZcrState,
    pub zcr7_evidence: Vec<Short>,
}

impl SystemUnderConsideration {
    /// The states of ZCR 1 to ZCR 7, in order.
    pub fn zcr_states(&self) -> [ZcrState; 7] {
        [
            self.zcr1_status,
            self.zcr2_status,
            self.zcr3_status,
            self.zcr4_status,
            self.zcr5_status,
            self.zcr6_status,
            self.zcr7_status,
        ]
    }
}

/// A system under consideration as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SystemUnderConsiderationInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zone_ids: Vec<String>,
    pub owner: Option<String>,
    pub zcr1_status: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zcr1_evidence: Vec<String>,
    pub zcr2_status: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zcr2_evidence: Vec<String>,
    pub zcr3_status: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zcr3_evidence: Vec<String>,
    pub zcr4_status: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zcr4_evidence: Vec<String>,
    pub zcr5_status: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zcr5_evidence: Vec<String>,
    pub zcr6_status: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zcr6_evidence: Vec<String>,
    pub zcr7_status: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub zcr7_evidence: Vec<String>,
}

const STATUS: [&str; 7] =
    ["zcr1_status", "zcr2_status", "zcr3_status", "zcr4_status", "zcr5_status", "zcr6_status", "zcr7_status"];
const EVIDENCE: [&str; 7] = [
    "zcr1_evidence",
    "zcr2_evidence",
    "zcr3_evidence",
    "zcr4_evidence",
    "zcr5_evidence",
    "zcr6_evidence",
    "zcr7_evidence",
];

fn state(e: &mut Errors, field: &str, raw: &Option<String>) -> Option<ZcrState> {
    e.take(field, present(raw).map_or(Ok(ZcrState::NotStarted), ZcrState::parse))
}

fn evidence(e: &mut Errors, field: &str, raw: &[String]) -> Option<Vec<Short>> {
    let mut v = e.list(field, raw, Short::parse)?;
    v.retain(|s| !s.as_str().is_empty());
    v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    v.dedup();
    Some(v)
}

impl Entity for SystemUnderConsideration {
    type Id = SystemId;
    type Input = SystemUnderConsiderationInput;
    const KIND: EntityKind = EntityKind::System;

    fn id_from_raw(raw: i64) -> SystemId {
        SystemId::new(raw)
    }

    fn parse(i: &SystemUnderConsiderationInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let name = e.take("name", Name::parse(opt(&i.name)));
        let description = e.take("description", Text::parse(opt(&i.description)));
        let zone_ids = e.list("zone_ids", &i.zone_ids, ZoneId::parse);
        if let Some(z) = &zone_ids {
            let mut distinct = z.clone();
            distinct.sort();
            distinct.dedup();
            if distinct.len() != z.len() {
                e.push("zone_ids", "a zone is listed twice");
            }
        }
        let owner = e.take("owner", Short::parse(opt(&i.owner)));
        let raw_status = [
            &i.zcr1_status,
            &i.zcr2_status,
            &i.zcr3_status,
            &i.zcr4_status,
            &i.zcr5_status,
            &i.zcr6_status,
            &i.zcr7_status,
        ];
        let raw_evidence = [
            &i.zcr1_evidence,
            &i.zcr2_evidence,
            &i.zcr3_evidence,
            &i.zcr4_evidence,
            &i.zcr5_evidence,
            &i.zcr6_evidence,
            &i.zcr7_evidence,
        ];
        let states: Vec<Option<ZcrState>> = (0..7).map(|n| state(&mut e, STATUS[n], raw_status[n])).collect();
        let evidences: Vec<Option<Vec<Short>>> =
            (0..7).map(|n| evidence(&mut e, EVIDENCE[n], raw_evidence[n])).collect();
        if states[6] == Some(ZcrState::Done) {
            let open: Vec<String> = (0..6)
                .filter(|&n| !states[n].is_some_and(ZcrState::is_settled))
                .map(|n| format!("ZCR {}", n + 1))
                .collect();
            if !open.is_empty() {
                e.push(
                    "zcr7_status",
                    format!(
                        "the asset owner's approval needs ZCR 1 to 6 done or not applicable; not yet: {}",
                        open.join(", ")
                    ),
                );
            }
        }
        e.finish()?;
        let s: Vec<ZcrState> = states.into_iter().map(Option::unwrap).collect();
        let mut ev = evidences.into_iter().map(Option::unwrap);
        let mut next = || ev.next().unwrap();
        Ok(SystemUnderConsideration {
            site_id: site_id.unwrap(),
            name: name.unwrap(),
            description: description.unwrap(),
            zone_ids: zone_ids.unwrap(),
            owner: owner.unwrap(),
            zcr1_status: s[0],
            zcr1_evidence: next(),
            zcr2_status: s[1],
            zcr2_evidence: next(),
            zcr3_status: s[2],
            zcr3_evidence: next(),
            zcr4_status: s[3],
            zcr4_evidence: next(),
            zcr5_status: s[4],
            zcr5_evidence: next(),
            zcr6_status: s[5],
            zcr6_evidence: next(),
            zcr7_status: s[6],
            zcr7_evidence: next(),
        })
    }

    fn to_input(&self) -> SystemUnderConsiderationInput {
        let st = |s: ZcrState| Some(s.as_str().to_owned());
        let ev = |v: &[Short]| v.iter().map(|x| x.as_str().to_owned()).collect();
        SystemUnderConsiderationInput {
            site_id: Some(self.site_id.to_string()),
            name: Some(self.name.to_string()),
            description: Some(self.description.as_str().into()),
            zone_ids: self.zone_ids.iter().map(ToString::to_string).collect(),
            owner: Some(self.owner.as_str().into()),
            zcr1_status: st(self.zcr1_status),
            zcr1_evidence: ev(&self.zcr1_evidence),
            zcr2_status: st(self.zcr2_status),
            zcr2_evidence: ev(&self.zcr2_evidence),
            zcr3_status: st(self.zcr3_status),
            zcr3_evidence: ev(&self.zcr3_evidence),
            zcr4_status: st(self.zcr4_status),
            zcr4_evidence: ev(&self.zcr4_evidence),
            zcr5_status: st(self.zcr5_status),
            zcr5_evidence: ev(&self.zcr5_evidence),
            zcr6_status: st(self.zcr6_status),
            zcr6_evidence: ev(&self.zcr6_evidence),
            zcr7_status: st(self.zcr7_status),
            zcr7_evidence: ev(&self.zcr7_evidence),
        }
    }

    fn site_id(&self) -> Option<SiteId> {
        Some(self.site_id)
    }

    fn display_name(&self) -> String {
        self.name.to_string()
    }

    fn fields() -> &'static [F] {
        const EV: &str = "links or document references";
        static FIELDS: &[F] = &[
            F::new("site_id", "Site", K::Ref(EntityKind::Site)).required(),
            F::new("name", "Name", K::Text).required().column(),
            F::new("description", "Scope and boundary", K::LongText)
                .help("what the SUC comprises and where its boundary and access points are"),
            F::new("zone_ids", "Zones", K::RefList(EntityKind::Zone)).column().help("the zones it comprises"),
            F::new("owner", "Asset owner", K::Text).column(),
            F::new("zcr1_status", "ZCR 1 Identify the SUC", K::Choice(choices!(ZcrState))).column(),
            F::new("zcr1_evidence", "ZCR 1 evidence", K::List).help(EV),
            F::new("zcr2_status", "ZCR 2 Initial risk assessment", K::Choice(choices!(ZcrState))).column(),
            F::new("zcr2_evidence", "ZCR 2 evidence", K::List).help(EV),
            F::new("zcr3_status", "ZCR 3 Partition into zones and conduits", K::Choice(choices!(ZcrState))).column(),
            F::new("zcr3_evidence", "ZCR 3 evidence", K::List).help(EV),
            F::new("zcr4_status", "ZCR 4 Risk comparison with tolerable risk", K::Choice(choices!(ZcrState))).column(),
            F::new("zcr4_evidence", "ZCR 4 evidence", K::List).help(EV),
            F::new("zcr5_status", "ZCR 5 Detailed risk assessment", K::Choice(choices!(ZcrState))).column(),
            F::new("zcr5_evidence", "ZCR 5 evidence", K::List).help(EV),
            F::new(
                "zcr6_status",
                "ZCR 6 Document requirements, assumptions and constraints",
                K::Choice(choices!(ZcrState)),
            )
            .column(),
            F::new("zcr6_evidence", "ZCR 6 evidence", K::List).help(EV),
            F::new("zcr7_status", "ZCR 7 Asset owner approval", K::Choice(choices!(ZcrState)))
                .column()
                .help("done only when ZCR 1 to 6 are done or not applicable; the approval itself is an electronic signature with the meaning \"approved\""),
            F::new("zcr7_evidence", "ZCR 7 evidence", K::List).help(EV),
        ];
        FIELDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SystemUnderConsiderationInput {
        SystemUnderConsiderationInput {
            site_id: Some("1".into()),
            name: Some(" Packaging line 3 ".into()),
            zone_ids: vec!["4".into(), "2".into()],
            ..Default::default()
        }
    }

    #[test]
    fn a_system_parses_with_every_zcr_not_started_and_round_trips() {
        let s = SystemUnderConsideration::parse(&input()).unwrap();
        assert_eq!(s.name.to_string(), "Packaging line 3");
        assert_eq!(s.zone_ids, vec![ZoneId::new(4), ZoneId::new(2)]);
        assert_eq!(s.zcr_states(), [ZcrState::NotStarted; 7]);
        let mut i = input();
        i.zcr3_status = Some("in_progress".into());
        i.zcr3_evidence = vec!["https://dms/zones.pdf".into(), "DOC-12".into(), "DOC-12".into()];
        let s = SystemUnderConsideration::parse(&i).unwrap();
        assert_eq!(s.zcr3_evidence.len(), 2, "sorted and deduplicated");
        assert_eq!(SystemUnderConsideration::parse(&s.to_input()).unwrap(), s);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["zcr3_status"], "in_progress");
        assert_eq!(json["zcr3_evidence"][0], "DOC-12");
    }

    #[test]
    fn bad_fields_are_all_named() {
        let mut i = input();
        i.name = None;
        i.zone_ids = vec!["2".into(), "2".into()];
        i.zcr2_status = Some("maybe".into());
        let err = SystemUnderConsideration::parse(&i).unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "zone_ids", "zcr2_status"], "{err:?}");
    }

    #[test]
    fn zcr7_is_done_only_after_zcr1_to_6_are_done_or_not_applicable() {
        let mut i = input();
        i.zcr7_status = Some("done".into());
        for n in [&mut i.zcr1_status, &mut i.zcr2_status, &mut i.zcr3_status, &mut i.zcr4_status] {
            *n = Some("done".into());
        }
        i.zcr5_status = Some("in_progress".into());
        let err = SystemUnderConsideration::parse(&i).unwrap_err();
        assert_eq!(err.errors.len(), 1, "{err:?}");
        assert_eq!(err.errors[0].field, "zcr7_status");
        assert!(err.errors[0].message.ends_with("not yet: ZCR 5, ZCR 6"), "{err:?}");
        i.zcr5_status = Some("done".into());
        i.zcr6_status = Some("not_applicable".into());
        let s = SystemUnderConsideration::parse(&i).unwrap();
        assert_eq!(s.zcr7_status, ZcrState::Done);
        // Other steps may move on in any order.
        i.zcr7_status = Some("in_progress".into());
        i.zcr1_status = Some("not_started".into());
        assert!(SystemUnderConsideration::parse(&i).is_ok());
    }
}
