//! The achieved security level (SL-A) of a zone or conduit, from the status recorded for each
//! IEC 62443-3-3 requirement.
//!
//! # The rule
//!
//! For each foundational requirement, SL-A is the highest level `L` in `0..=4` such that every
//! system requirement and requirement enhancement of that FR that applies at a level `≤ L`
//! (see [`crate::catalogue`]) has status [`Status::Implemented`], [`Status::Compensated`] or
//! [`Status::NotApplicable`]. A requirement that is [`Status::Planned`], or has no status at
//! all, is not met. Level 0 asks for nothing, so SL-A is never below 0; one unmet requirement
//! that applies from SL 1 caps its FR at 0, whatever else is done. Where the standard adds
//! nothing at SL 4 (FR 6 TRE and FR 7 RA), meeting the SL 3 requirements achieves SL 4.
//!
//! SL-A is computed from what is recorded, independently of the target: a zone can achieve
//! more than its SL-T asks for. [`gap`] says by how much each FR falls short of the target and
//! [`coverage`] lists what the target asks for together with what is recorded.

use std::collections::HashMap;

use c981_domain::values::SlVector;
use serde::{Deserialize, Serialize};

use crate::catalogue::{self, ReqId, Requirement};

/// What has been recorded for one requirement of a zone or conduit.
///
/// In JSON the kind is the `status` field, in snake case, next to the note it needs:
/// `{"status":"not_applicable","reason":"…"}`, `{"status":"planned"}`,
/// `{"status":"implemented"}`, `{"status":"compensated","countermeasure":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", try_from = "StatusRepr")]
pub enum Status {
    /// The requirement does not apply here (for example SR 1.6 in a zone with no wireless);
    /// the reason is recorded for the assessor.
    NotApplicable {
        reason: String,
    },
    /// Intended but not in place: counts as not met.
    Planned,
    Implemented,
    /// Met by a compensating countermeasure (IEC 62443-3-3 clause 4.3), which is named.
    Compensated {
        countermeasure: String,
    },
}

/// The wire form, checked into a [`Status`] so that JSON cannot carry an empty note.
#[derive(Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum StatusRepr {
    NotApplicable { reason: String },
    Planned,
    Implemented,
    Compensated { countermeasure: String },
}

impl TryFrom<StatusRepr> for Status {
    type Error = String;

    fn try_from(r: StatusRepr) -> Result<Self, String> {
        match r {
            StatusRepr::NotApplicable { reason } => Status::parse("not_applicable", &reason),
            StatusRepr::Planned => Ok(Status::Planned),
            StatusRepr::Implemented => Ok(Status::Implemented),
            StatusRepr::Compensated { countermeasure } => Status::parse("compensated", &countermeasure),
        }
    }
}

/// Longest reason or countermeasure accepted by [`Status::parse`], in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

impl Status {
    /// Builds a status from a form: `kind` is `not_applicable` (also `not applicable`, `n/a`),
    /// `planned`, `implemented` or `compensated`, in any case; `note` is the reason (for
    /// not applicable) or the countermeasure (for compensated), which must then be non-empty
    /// after trimming and at most [`MAX_NOTE_CHARS`] characters. For planned and implemented
    /// the note is ignored.
    pub fn parse(kind: &str, note: &str) -> Result<Status, String> {
        let kind_norm = kind.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        let note = note.trim();
        let needs_note = |what: &str| -> Result<String, String> {
            if note.is_empty() {
                Err(format!("a status of {kind_norm} needs {what}"))
            } else if note.chars().count() > MAX_NOTE_CHARS {
                Err(format!("the {what} is longer than {MAX_NOTE_CHARS} characters"))
            } else {
                Ok(note.to_owned())
            }
        };
        match kind_norm.as_str() {
            "not_applicable" | "n/a" | "na" => Ok(Status::NotApplicable { reason: needs_note("a reason")? }),
            "planned" => Ok(Status::Planned),
            "implemented" => Ok(Status::Implemented),
            "compensated" => Ok(Status::Compensated { countermeasure: needs_note("a countermeasure")? }),
            _ => Err(format!(
                "{:?} is not a requirement status (not_applicable, planned, implemented, compensated)",
                kind.trim()
            )),
        }
    }

    /// The snake-case name, as in JSON: `not_applicable`, `planned`, `implemented`, `compensated`.
    pub fn kind(&self) -> &'static str {
        match self {
            Status::NotApplicable { .. } => "not_applicable",
            Status::Planned => "planned",
            Status::Implemented => "implemented",
            Status::Compensated { .. } => "compensated",
        }
    }

    /// Whether the requirement counts as met for SL-A.
    pub fn is_met(&self) -> bool {
        !matches!(self, Status::Planned)
    }
}

/// The achieved security level per FR (the rule is in the module documentation). Statuses of
/// ids that are not in the catalogue are ignored.
pub fn achieved(statuses: &HashMap<ReqId, Status>) -> SlVector {
    let mut levels = [0u8; 7];
    for (i, level) in levels.iter_mut().enumerate() {
        let fr = i as u8 + 1;
        let lowest_unmet = catalogue::requirements()
            .iter()
            .filter(|r| r.id.fr == fr && !statuses.get(&r.id).is_some_and(Status::is_met))
            .map(|r| r.level)
            .min();
        // Every catalogue level is 1..=4: the FR achieves the level just below its lowest unmet
        // requirement, or 4 when everything is met.
        *level = lowest_unmet.map_or(4, |l| l - 1);
    }
    SlVector::from_levels(levels).expect("levels are within 0..=4 by construction")
}

/// How far `achieved` falls short of `target`, per FR (0 where the target is met or exceeded).
pub fn gap(target: SlVector, achieved: SlVector) -> [u8; 7] {
    let (t, a) = (target.levels(), achieved.levels());
    std::array::from_fn(|i| t[i].saturating_sub(a[i]))
}

/// Every requirement the target asks for (as [`catalogue::required_for`], in catalogue order)
/// with the status recorded for it, or `None` where nothing is recorded.
pub fn coverage(target: SlVector, statuses: &HashMap<ReqId, Status>) -> Vec<(&'static Requirement, Option<&Status>)> {
    catalogue::required_for(target).map(|r| (r, statuses.get(&r.id))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(levels: [u8; 7]) -> SlVector {
        SlVector::from_levels(levels).unwrap()
    }

    fn id(s: &str) -> ReqId {
        ReqId::parse(s).unwrap()
    }

    /// Every requirement of the catalogue up to `target` marked implemented.
    fn implemented_up_to(target: [u8; 7]) -> HashMap<ReqId, Status> {
        catalogue::required_for(sl(target)).map(|r| (r.id, Status::Implemented)).collect()
    }

    #[test]
    fn nothing_recorded_achieves_nothing() {
        assert_eq!(achieved(&HashMap::new()).levels(), [0; 7]);
    }

    #[test]
    fn everything_met_achieves_4_everywhere() {
        let mut all = implemented_up_to([4; 7]);
        all.insert(id("SR 1.6"), Status::NotApplicable { reason: "no wireless".into() });
        all.insert(id("SR 7.5"), Status::Compensated { countermeasure: "UPS of the site".into() });
        assert_eq!(achieved(&all).levels(), [4; 7]);
    }

    #[test]
    fn implementing_exactly_a_target_achieves_that_target() {
        for target in [[1; 7], [2, 2, 3, 1, 3, 1, 2], [4, 0, 2, 3, 1, 4, 0], [2; 7]] {
            assert_eq!(achieved(&implemented_up_to(target)).levels(), target);
        }
    }

    #[test]
    fn tre_and_ra_reach_4_with_their_sl_3_requirements_as_the_standard_adds_nothing_at_4() {
        // FR 6 and FR 7 have no requirement applying from SL 4 only.
        assert_eq!(achieved(&implemented_up_to([3; 7])).levels(), [3, 3, 3, 3, 3, 4, 4]);
    }

    #[test]
    fn one_planned_requirement_caps_its_fr_just_below_its_level() {
        let mut s = implemented_up_to([4; 7]);
        s.insert(id("SR 3.4"), Status::Planned); // applies from SL 2
        s.insert(id("SR 2.12 RE 1"), Status::Planned); // from SL 4
        s.remove(&id("SR 5.1 RE 2")); // from SL 3, missing
        s.insert(id("SR 7.1"), Status::Planned); // from SL 1
        assert_eq!(achieved(&s).levels(), [4, 3, 1, 4, 2, 4, 0]);
    }

    #[test]
    fn requirements_above_a_gap_do_not_lift_the_level() {
        // All of FR 4 done except SR 4.2 (SL 2): SR 4.1 RE 2 (SL 4) being implemented does not
        // help.
        let mut s = implemented_up_to([0, 0, 0, 4, 0, 0, 0]);
        s.remove(&id("SR 4.2"));
        assert_eq!(achieved(&s).levels()[3], 1);
    }

    #[test]
    fn statuses_of_unknown_ids_are_ignored() {
        let mut s = implemented_up_to([1; 7]);
        s.insert(ReqId::sr(9, 9), Status::Planned);
        assert_eq!(achieved(&s).levels(), [1; 7]);
    }

    #[test]
    fn the_gap_is_the_shortfall_per_fr_and_never_negative() {
        assert_eq!(gap(sl([2, 2, 3, 1, 3, 1, 2]), sl([1, 2, 4, 0, 3, 0, 0])), [1, 0, 0, 1, 0, 1, 2]);
        assert_eq!(gap(sl([0; 7]), sl([4; 7])), [0; 7]);
    }

    #[test]
    fn coverage_lists_what_the_target_asks_for_with_its_status() {
        let mut s = HashMap::new();
        s.insert(id("SR 6.1"), Status::Implemented);
        s.insert(id("SR 6.1 RE 1"), Status::Planned); // not asked for at SL 2
        let c = coverage(sl([0, 0, 0, 0, 0, 2, 0]), &s);
        let listed: Vec<_> = c.iter().map(|(r, st)| (r.id.to_string(), st.map(Status::kind))).collect();
        assert_eq!(listed, [("SR 6.1".to_owned(), Some("implemented")), ("SR 6.2".to_owned(), None)]);
        assert_eq!(coverage(sl([4; 7]), &s).len(), catalogue::requirements().len());
        assert!(coverage(sl([0; 7]), &s).is_empty());
    }

    #[test]
    fn a_status_is_parsed_from_a_form_and_needs_its_note() {
        assert_eq!(Status::parse("Implemented", ""), Ok(Status::Implemented));
        assert_eq!(Status::parse(" planned ", "ignored"), Ok(Status::Planned));
        assert_eq!(
            Status::parse("not applicable", "  no wireless  "),
            Ok(Status::NotApplicable { reason: "no wireless".into() })
        );
        assert_eq!(Status::parse("N/A", "x"), Ok(Status::NotApplicable { reason: "x".into() }));
        assert_eq!(
            Status::parse("compensated", "jump host with MFA"),
            Ok(Status::Compensated { countermeasure: "jump host with MFA".into() })
        );
        assert!(Status::parse("not_applicable", "  ").unwrap_err().contains("reason"));
        assert!(Status::parse("compensated", "").unwrap_err().contains("countermeasure"));
        assert!(Status::parse("compensated", &"x".repeat(MAX_NOTE_CHARS + 1)).unwrap_err().contains("longer"));
        assert!(Status::parse("done", "").unwrap_err().contains("\"done\""));
    }

    #[test]
    fn statuses_serialize_tagged_and_refuse_empty_notes_from_json() {
        let na = Status::NotApplicable { reason: "no wireless".into() };
        assert_eq!(serde_json::to_string(&na).unwrap(), r#"{"status":"not_applicable","reason":"no wireless"}"#);
        assert_eq!(serde_json::to_string(&Status::Planned).unwrap(), r#"{"status":"planned"}"#);
        for s in [na, Status::Planned, Status::Implemented, Status::Compensated { countermeasure: "UPS".into() }] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), s);
            assert!(json.contains(s.kind()));
        }
        assert!(serde_json::from_str::<Status>(r#"{"status":"compensated","countermeasure":" "}"#).is_err());
        assert!(serde_json::from_str::<Status>(r#"{"status":"not_applicable"}"#).is_err());
        assert!(serde_json::from_str::<Status>(r#"{"status":"done"}"#).is_err());
    }

    /// A small deterministic generator (xorshift64*), so the property test needs no crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn random_statuses(rng: &mut Rng) -> HashMap<ReqId, Status> {
        // Bias towards "met" so that the sets reach every level, not just 0.
        let met_per_mille = 500 + rng.below(500);
        catalogue::requirements()
            .iter()
            .filter_map(|r| {
                let roll = rng.below(1000);
                let status = if roll < met_per_mille {
                    match rng.below(3) {
                        0 => Status::NotApplicable { reason: "n/a".into() },
                        1 => Status::Compensated { countermeasure: "cm".into() },
                        _ => Status::Implemented,
                    }
                } else if roll.is_multiple_of(2) {
                    Status::Planned
                } else {
                    return None;
                };
                Some((r.id, status))
            })
            .collect()
    }

    #[test]
    fn marking_one_more_requirement_implemented_never_lowers_sl_a() {
        let mut rng = Rng(0x0981_62443_u64);
        let all = catalogue::requirements();
        let mut seen_levels = [false; 5];
        for _ in 0..2000 {
            let mut statuses = random_statuses(&mut rng);
            let before = achieved(&statuses).levels();
            before.iter().for_each(|&l| seen_levels[usize::from(l)] = true);
            let chosen = all[rng.below(all.len())].id;
            statuses.insert(chosen, Status::Implemented);
            let after = achieved(&statuses).levels();
            for fr in 0..7 {
                assert!(after[fr] >= before[fr], "{chosen} lowered FR{} from {before:?} to {after:?}", fr + 1);
                if usize::from(chosen.fr) != fr + 1 {
                    assert_eq!(after[fr], before[fr], "{chosen} changed another FR");
                }
            }
            // The gap to any target never grows either.
            let target = sl([rng.below(5) as u8; 7]);
            let (g0, g1) = (gap(target, sl(before)), gap(target, sl(after)));
            assert!(g0.iter().zip(g1).all(|(b, a)| a <= *b));
        }
        assert_eq!(seen_levels, [true; 5], "the generator should reach every level");
    }
}
