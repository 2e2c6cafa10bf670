//! The domain of Connect 981: a manufacturer's sites, IEC 62443 zones and conduits, assets,
//! data flows and interfaces to systems outside the ISMS scope, with the validated values
//! they are made of and the canonical encoding of the audit trail.
//!
//! Nothing here does I/O, reads the clock or the environment: time is a parameter.

pub mod annex_a;
pub mod asset;
pub mod audit;
pub mod conduit;
mod country;
pub mod entity;
pub mod error;
pub mod fields;
pub mod flow;
pub mod ids;
pub mod iec62443;
pub mod interface;
pub mod isms;
pub mod iso27001;
pub mod requirement;
pub mod risk;
pub mod risk_model;
pub mod site;
pub mod supplier;
pub mod system;
pub mod threats;
pub mod values;
pub mod zone;

pub use asset::{Asset, AssetInput, AssetKind, Provenance};
pub use conduit::{Conduit, ConduitDirection, ConduitInput};
pub use entity::{Entity, EntityKind, Record, split_list};
pub use error::{FieldError, ValidationError};
pub use flow::{DataFlow, Endpoint, FlowDirection, FlowInput};
pub use ids::{
    AssetId, ConduitId, EvidenceId, FlowId, InterfaceId, RequirementStatusId, RiskId, ScopeId, SiteId, SoaEntryId,
    SoaVersionId, SupplierId, SystemId, ZoneId,
};
pub use interface::{Interface, InterfaceDirection, InterfaceInput, InterfaceKind};
pub use isms::{
    Applicability, ControlStatus, Evidence, EvidenceInput, EvidenceKind, IsmsScope, IsmsScopeInput, SoaEntry,
    SoaEntryInput, SoaVersion, SoaVersionInput,
};
pub use requirement::{RequirementState, RequirementStatus, RequirementStatusInput};
pub use risk::{PlanItem, PlanItemInput, PlanStatus, Rating, Risk, RiskInput, RiskState, Treatment};
pub use risk_model::RiskModel;
pub use site::{Industry, Regulation, Site, SiteInput};
pub use supplier::{Responsibility, Supplier, SupplierInput, SupplierKind};
pub use system::{SystemUnderConsideration, SystemUnderConsiderationInput, ZCR_TITLES, ZcrState};
pub use values::{Criticality, PurdueLevel, SlVector, Timestamp};
pub use zone::{Zone, ZoneInput, ZoneKind};

#[cfg(test)]
mod field_tables {
    use super::*;
    use crate::entity::Entity;

    fn check<T: Entity>() {
        let input = serde_json::to_value(T::Input::default()).unwrap();
        let mut keys: Vec<&str> = input.as_object().unwrap().keys().map(String::as_str).collect();
        let mut fields: Vec<&str> = T::fields().iter().map(|f| f.name).collect();
        keys.sort();
        fields.sort();
        assert_eq!(keys, fields, "{}: the field table must name exactly the input's fields", T::KIND);
    }

    #[test]
    fn every_field_table_names_exactly_the_fields_of_its_input() {
        check::<Site>();
        check::<Zone>();
        check::<Conduit>();
        check::<Asset>();
        check::<DataFlow>();
        check::<Interface>();
        check::<RequirementStatus>();
        check::<SystemUnderConsideration>();
        check::<Risk>();
        check::<Supplier>();
        check::<IsmsScope>();
        check::<SoaEntry>();
        check::<Evidence>();
        check::<SoaVersion>();
    }
}
