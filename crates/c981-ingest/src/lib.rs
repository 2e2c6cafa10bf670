//! # c981-ingest
//!
//! Pure parsers for what Connect 981 imports: spreadsheet rows from CSV and XLSX files
//! ([`tabular`]), Zeek `conn.log` files aggregated into flows ([`zeek`]), and Nmap XML scan
//! output ([`nmap`]).
//!
//! Everything works over byte slices or `std::io::Read`: no network, no database, no async,
//! no files opened by path, nothing downloaded or evaluated. Every input is untrusted: sizes,
//! nesting and decompression are bounded, and errors name the file, line and column so a
//! person can fix the input.
//!
//! The crate knows nothing of the product's domain types: it hands back strings and plain
//! structs (for spreadsheets, JSON objects keyed by the product's input field names) and the
//! product validates them.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod limit;
pub mod nmap;
pub mod tabular;
mod time;
pub mod zeek;
