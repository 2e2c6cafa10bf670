//! Fuzzes the Zeek conn.log reader and aggregator (TSV, JSON, gzip).
#![no_main]

use c981_ingest::zeek::{OnLineError, ZeekOptions, aggregate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = ZeekOptions { max_decompressed_bytes: 64 << 20, max_line_bytes: 64 << 10 };
    let _ = aggregate(data, &opts, OnLineError::Skip);
});
