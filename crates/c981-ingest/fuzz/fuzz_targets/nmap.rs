//! Fuzzes the Nmap XML reader.
#![no_main]

use c981_ingest::nmap::{NmapOptions, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse(data, &NmapOptions::default());
});
