//! `c981-report`: document exports for Connect 981.
//!
//! One neutral [`table::Report`] renders to CSV ([`csv`]), XLSX ([`xlsx`]) and PDF
//! ([`pdf::Doc::from_report`]). Next to it the crate builds OSCAL JSON documents
//! ([`oscal`]), tamper-evident evidence bundles ([`bundle`]) and printable SVG charts
//! ([`svg`]).
//!
//! The crate is a pure library: it reads no clock, no environment and no network, and
//! every time it prints comes in as a [`timestamp::Timestamp`] or date string from the
//! caller, so the same input always gives the same bytes. The one exception to "no
//! file system" is the XLSX writer's constant-memory mode, which spools large sheets
//! through temporary files (see [`xlsx::XlsxOptions::constant_memory_above_rows`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bundle;
pub mod colour;
pub mod csv;
pub mod oscal;
pub mod pdf;
pub mod svg;
pub mod table;
pub mod timestamp;
pub mod xlsx;

pub use colour::Colour;
pub use table::{Cell, Column, ColumnKind, Report, RowStyle, Sheet};
pub use timestamp::{CalendarDate, Timestamp};
