//! The status of one IEC 62443-3-3 system requirement (SR) or requirement enhancement (RE) in
//! one zone or one conduit. The achieved security level (SL-A) of the zone or conduit is
//! computed from these (see `c981-analysis`).

use serde::{Deserialize, Serialize};

use crate::choices;
use crate::entity::{Entity, EntityKind, loose_list, loose_string, opt, present};
use crate::error::{Errors, ValidationError};
use crate::fields::{FieldKind as K, FieldSpec as F};
use crate::ids::{ConduitId, RequirementStatusId, SiteId, ZoneId};
use crate::iec62443::ReqId;
use crate::values::{Short, Text, string_enum};

string_enum! {
    /// Where a requirement stands in a zone or conduit.
    RequirementState {
        NotApplicable = "not_applicable" / "Not applicable",
        Planned = "planned" / "Planned",
        Implemented = "implemented" / "Implemented",
        Compensated = "compensated" / "Compensated",
    }
}

impl RequirementState {
    /// Whether the requirement counts as met when SL-A is computed.
    pub fn is_met(self) -> bool {
        !matches!(self, Self::Planned)
    }
}

/// The status of a requirement in a zone or a conduit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementStatus {
    pub site_id: SiteId,
    /// Exactly one of `zone_id` and `conduit_id` is set.
    pub zone_id: Option<ZoneId>,
    pub conduit_id: Option<ConduitId>,
    pub requirement: ReqId,
    pub status: RequirementState,
    /// Why it does not apply, or the compensating countermeasure (required for those two),
    /// or how it is implemented.
    pub justification: Text,
    pub owner: Short,
    /// Links or document references that show it.
    pub evidence: Vec<Short>,
}

/// A requirement status as a client sends it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequirementStatusInput {
    #[serde(deserialize_with = "loose_string")]
    pub site_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub zone_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub conduit_id: Option<String>,
    pub requirement: Option<String>,
    pub status: Option<String>,
    pub justification: Option<String>,
    pub owner: Option<String>,
    #[serde(deserialize_with = "loose_list")]
    pub evidence: Vec<String>,
}

impl Entity for RequirementStatus {
    type Id = RequirementStatusId;
    type Input = RequirementStatusInput;
    const KIND: EntityKind = EntityKind::RequirementStatus;

    fn id_from_raw(raw: i64) -> RequirementStatusId {
        RequirementStatusId::new(raw)
    }

    fn parse(i: &RequirementStatusInput) -> Result<Self, ValidationError> {
        let mut e = Errors::new();
        let site_id = e.take("site_id", SiteId::parse(opt(&i.site_id)));
        let zone_id = e.take("zone_id", present(&i.zone_id).map(ZoneId::parse).transpose());
        let conduit_id = e.take("conduit_id", present(&i.conduit_id).map(ConduitId::parse).transpose());
        let requirement = e.take("requirement", ReqId::parse(opt(&i.requirement)));
        let status = e.take("status", RequirementState::parse(opt(&i.status)));
        let justification = e.take("justification", Text::parse(opt(&i.justification)));
        let owner = e.take("owner", Short::parse(opt(&i.owner)));
        let mut evidence = e.list("evidence", &i.evidence, Short::parse);
        match (&zone_id, &conduit_id) {
            (Some(Some(_)), Some(Some(_))) => e.push("conduit_id", "set either a zone or a conduit, not both"),
            (Some(None), Some(None)) => e.push("zone_id", "is required (or a conduit_id)"),
            _ => {}
        }
        if let (Some(s), Some(j)) = (&status, &justification)
            && j.as_str().trim().is_empty()
        {
            match s {
                RequirementState::NotApplicable => e.push("justification", "say why the requirement does not apply"),
                RequirementState::Compensated => e.push("justification", "name the compensating countermeasure"),
                _ => {}
            }
        }
        if let Some(v) = evidence.as_mut() {
            v.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            v.dedup();
        }
        e.finish()?;
        Ok(RequirementStatus {
            site_id: site_id.unwrap(),
            zone_id: zone_id.unwrap(),
            conduit_id: conduit_id.unwrap(),
            requirement: requirement.unwrap(),
            status: status.unwrap(),
            justification: justification.unwrap(),
            owner: owner.unwrap(),
            evidence: evidence.unwrap(),
        })
    }

    fn to_input(&self) -> RequirementStatusInput {
        RequirementStatusInput {
            site_id: Some(self.site_id.to_string()),
            zone_id: self.zone_id.map(|z| z.to_string()),
            conduit_id: self.conduit_id.map(|c| c.to_string()),
            requirement: Some(self.requirement.to_string()),
            status: Some(self.status.as_str().into()),
            justification: Some(self.justification.as_str().into()),
            owner: Some(self.owner.as_str().into()),
            evidence: self.evidence.iter().map(|v| v.as_str().into()).collect(),
        }
    }

    fn site_id(&self) -> Option<SiteId> {
        Some(self.site_id)
    }

    fn display_name(&self) -> String {
        format!("{}: {}", self.requirement, self.status.label())
    }

    fn fields() -> &'static [F] {
        static FIELDS: &[F] = &[
            F::new("site_id", "Site", K::Ref(EntityKind::Site)).required(),
            F::new("zone_id", "Zone", K::Ref(EntityKind::Zone)).column().help("set a zone or a conduit"),
            F::new("conduit_id", "Conduit", K::Ref(EntityKind::Conduit)).column(),
            F::new("requirement", "Requirement", K::Text)
                .required()
                .column()
                .help("an IEC 62443-3-3 SR or RE, e.g. SR 1.1 or SR 1.1 RE 2"),
            F::new("status", "Status", K::Choice(choices!(RequirementState))).required().column(),
            F::new("justification", "Justification", K::LongText)
                .column()
                .help("why it does not apply, the compensating countermeasure, or how it is met"),
            F::new("owner", "Owner", K::Text),
            F::new("evidence", "Evidence", K::List).help("links or document references"),
        ];
        FIELDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(zone: Option<&str>, conduit: Option<&str>, req: &str, status: &str, why: &str) -> RequirementStatusInput {
        RequirementStatusInput {
            site_id: Some("1".into()),
            zone_id: zone.map(Into::into),
            conduit_id: conduit.map(Into::into),
            requirement: Some(req.into()),
            status: Some(status.into()),
            justification: Some(why.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_status_names_a_known_requirement_of_one_zone_or_one_conduit() {
        let s = RequirementStatus::parse(&input(Some("3"), None, "sr 1.1 re 2", "implemented", "")).unwrap();
        assert_eq!(s.requirement.to_string(), "SR 1.1 RE 2");
        assert_eq!(RequirementStatus::parse(&s.to_input()).unwrap(), s);
        let err = RequirementStatus::parse(&input(Some("3"), Some("4"), "SR 9.9", "maybe", "")).unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert!(
            fields.contains(&"requirement") && fields.contains(&"status") && fields.contains(&"conduit_id"),
            "{err:?}"
        );
        assert!(RequirementStatus::parse(&input(None, None, "SR 1.1", "planned", "")).is_err());
    }

    #[test]
    fn not_applicable_and_compensated_need_a_justification() {
        let e = RequirementStatus::parse(&input(Some("1"), None, "SR 1.1", "not_applicable", " ")).unwrap_err();
        assert!(e.errors[0].message.contains("why"), "{e:?}");
        let e = RequirementStatus::parse(&input(None, Some("1"), "SR 5.2 RE 1", "compensated", "")).unwrap_err();
        assert!(e.errors[0].message.contains("countermeasure"), "{e:?}");
        assert!(
            RequirementStatus::parse(&input(None, Some("1"), "SR 5.2 RE 1", "compensated", "unidirectional gateway"))
                .is_ok()
        );
    }
}
