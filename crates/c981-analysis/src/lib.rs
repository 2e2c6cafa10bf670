//! IEC 62443 analysis over an in-memory picture of one or more sites.
//!
//! - [`catalogue`]: the 7 foundational requirements, 51 system requirements and their
//!   requirement enhancements of IEC 62443-3-3, with ids, short titles and the security level
//!   from which each applies (licensed description text is imported by users, never shipped);
//! - [`sla`]: the achieved security level (SL-A) per FR of a zone or conduit, from the status
//!   of each requirement its target (SL-T) asks for;
//! - [`zoning`]: which zone each asset belongs to (declared, or the longest matching subnet);
//! - [`findings`]: conformance findings of a site;
//! - [`paths`]: cross-domain paths from entry zones to critical zones;
//! - [`svg`]: the zone-and-conduit diagram and the SL-T against SL-A chart.
//!
//! Nothing here does I/O: the application loads a [`model::Estate`] and calls [`analyze`].

pub use c981_domain::iec62443 as catalogue;
pub mod findings;
pub mod model;
pub mod paths;
pub mod sla;
pub mod svg;
pub mod zoning;
