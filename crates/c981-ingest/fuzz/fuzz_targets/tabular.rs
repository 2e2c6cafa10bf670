//! Fuzzes the spreadsheet reader (CSV and XLSX) with every target kind.
#![no_main]

use c981_ingest::tabular::{Options, Reader, TargetKind, XlsxLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = Options {
        xlsx: XlsxLimits { max_total_uncompressed: 16 << 20, ..XlsxLimits::default() },
        ..Options::default()
    };
    let kind = TargetKind::ALL[data.first().map_or(0, |b| usize::from(*b) % 5)];
    if let Ok(mut reader) = Reader::open("fuzz", data, kind, &opts) {
        for row in reader.rows() {
            if let Ok(row) = row {
                let _ = row.to_json_object();
            }
        }
        let _ = reader.warnings().iter().map(ToString::to_string).count();
    }
});
