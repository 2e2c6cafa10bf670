//! Typed ids. Every entity id is a positive 64-bit integer assigned by the database and never
//! reused (AUTOINCREMENT / identity columns), so an audit entry keeps naming the same thing
//! forever; the type keeps an `AssetId` from being passed where a `ZoneId` is expected.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            pub const fn get(self) -> i64 {
                self.0
            }

            /// Parses a positive decimal id, as found in a path or a form.
            pub fn parse(input: &str) -> Result<Self, String> {
                match input.trim().parse::<i64>() {
                    Ok(n) if n > 0 => Ok(Self(n)),
                    _ => Err(format!("{:?} is not an id (a positive whole number)", input.trim())),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    )+};
}

id_type!(
    /// A site (a plant).
    SiteId,
    /// An IEC 62443 zone.
    ZoneId,
    /// An IEC 62443 conduit.
    ConduitId,
    /// An asset of the inventory.
    AssetId,
    /// A data flow.
    FlowId,
    /// An interface to a system outside the ISMS scope.
    InterfaceId,
    /// The status of an IEC 62443-3-3 requirement in a zone or conduit.
    RequirementStatusId,
    /// An IEC 62443-3-2 system under consideration.
    SystemId,
    /// A risk of the register.
    RiskId,
    /// A supplier relationship of a site.
    SupplierId,
    /// The ISMS scope of a site.
    ScopeId,
    /// A Statement of Applicability entry.
    SoaEntryId,
    /// A piece of evidence.
    EvidenceId,
    /// A frozen Statement of Applicability.
    SoaVersionId,
);
