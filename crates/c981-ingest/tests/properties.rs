//! Property tests over the public API: arbitrary bytes never make a parser panic and stay
//! within the configured limits; CSV values survive a write/read round trip.

use std::sync::OnceLock;

use c981_ingest::nmap::{self, NmapOptions};
use c981_ingest::tabular::{Options, Reader, TargetKind, XlsxLimits};
use c981_ingest::zeek::{self, OnLineError, ZeekOptions};
use proptest::prelude::*;

fn small_limits() -> Options {
    Options {
        xlsx: XlsxLimits { max_total_uncompressed: 4 << 20, ..XlsxLimits::default() },
        max_input_bytes: 1 << 20,
        ..Options::default()
    }
}

/// Opens and reads every row; any outcome but a panic is fine.
fn read_all(bytes: &[u8], kind: TargetKind, opts: &Options) -> usize {
    match Reader::open("fuzz", bytes, kind, opts) {
        Ok(mut r) => r.rows().count() + r.warnings().len(),
        Err(e) => e.to_string().len(),
    }
}

fn sample_xlsx() -> &'static [u8] {
    static XLSX: OnceLock<Vec<u8>> = OnceLock::new();
    XLSX.get_or_init(|| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["Name", "IP Address", "Vendor", "Firmware"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for r in 1..20u32 {
            ws.write_string(r, 0, format!("PLC-{r}")).unwrap();
            ws.write_number(r, 1, f64::from(r)).unwrap();
            ws.write_formula(r, 3, "=1+1").unwrap();
        }
        wb.save_to_buffer().unwrap()
    })
}

const ZEEK_HEADER: &str =
    "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\torig_bytes\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_the_spreadsheet_reader(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        for kind in TargetKind::ALL {
            read_all(&bytes, kind, &small_limits());
        }
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(&bytes);
        read_all(&zip, TargetKind::Assets, &small_limits());
    }

    #[test]
    fn arbitrary_text_rows_never_panic_the_spreadsheet_reader(text in "(Name|IP|Vendor|[a-z\"=;,\t ]{0,8})([,;\t\"\n\r]{1,2}[A-Za-z0-9 .\"=]{0,6}){0,40}") {
        read_all(text.as_bytes(), TargetKind::Assets, &small_limits());
    }

    #[test]
    fn a_damaged_workbook_never_panics_the_reader(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = sample_xlsx().to_vec();
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        read_all(&bytes, TargetKind::Assets, &small_limits());
    }

    #[test]
    fn a_truncated_workbook_never_panics_the_reader(cut in any::<prop::sample::Index>()) {
        let bytes = sample_xlsx();
        read_all(&bytes[..cut.index(bytes.len())], TargetKind::Assets, &small_limits());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_zeek_reader(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let opts = ZeekOptions { max_decompressed_bytes: 1 << 20, max_line_bytes: 1024 };
        let _ = zeek::aggregate(&bytes[..], &opts, OnLineError::Skip);
        let mut tsv = ZEEK_HEADER.as_bytes().to_vec();
        tsv.extend_from_slice(&bytes);
        let _ = zeek::aggregate(&tsv[..], &opts, OnLineError::Skip);
        let mut gz = vec![0x1f, 0x8b];
        gz.extend_from_slice(&bytes);
        let _ = zeek::aggregate(&gz[..], &opts, OnLineError::Skip);
    }

    #[test]
    fn arbitrary_fields_never_panic_the_zeek_reader(lines in proptest::collection::vec("[0-9a-z.:\\-{}\"\\[\\],]{0,12}(\t[0-9a-z.:\\-]{0,12}){0,9}", 0..30)) {
        let opts = ZeekOptions::default();
        let log = format!("{ZEEK_HEADER}{}", lines.join("\n"));
        let _ = zeek::aggregate(log.as_bytes(), &opts, OnLineError::Skip);
        let json: Vec<String> = lines.iter().map(|l| format!("{{\"ts\":{l:?},\"id.orig_h\":\"{l}\",\"id.resp_p\":{}}}", l.len())).collect();
        let _ = zeek::aggregate(json.join("\n").as_bytes(), &opts, OnLineError::Skip);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_nmap_reader(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let opts = NmapOptions { max_bytes: 1 << 20, max_depth: 16 };
        let _ = nmap::parse(&bytes, &opts);
        let mut xml = b"<nmaprun><host><status state=\"up\"/>".to_vec();
        xml.extend_from_slice(&bytes);
        let _ = nmap::parse(&xml, &opts);
    }

    #[test]
    fn arbitrary_markup_never_panics_the_nmap_reader(parts in proptest::collection::vec(prop_oneof![
        Just("<host>".to_string()), Just("</host>".to_string()), Just("<port protocol=\"tcp\" portid=\"502\">".to_string()),
        Just("</port>".to_string()), Just("<state state=\"open\"/>".to_string()), Just("<service name=\"x\">".to_string()),
        Just("</service>".to_string()), Just("<cpe>".to_string()), Just("</cpe>".to_string()), Just("<os>".to_string()),
        Just("</os>".to_string()), Just("<osmatch name=\"a\" accuracy=\"9\">".to_string()), Just("</osmatch>".to_string()),
        Just("<osclass vendor=\"v\"/>".to_string()), Just("<address addr=\"10.0.0.1\" addrtype=\"ipv4\"/>".to_string()),
        Just("&amp;".to_string()), Just("&#65;".to_string()), "[a-z<>/=\" &;]{0,6}",
    ], 0..40)) {
        let xml = format!("<nmaprun>{}</nmaprun>", parts.concat());
        let _ = nmap::parse(xml.as_bytes(), &NmapOptions::default());
    }

    #[test]
    fn csv_values_survive_a_round_trip(rows in proptest::collection::vec(
        proptest::collection::vec("[^\\x00-\\x09\\x0b\\x0c\\x0e-\\x1f\\x7f]{0,12}", 5), 1..20)) {
        let header = ["Name", "Vendor", "Model", "Serial", "Description"];
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(header).unwrap();
        for r in &rows {
            w.write_record(r).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let mut reader = Reader::open("round.csv", &bytes, TargetKind::Assets, &Options::default()).unwrap();
        let got: Vec<_> = reader.rows().map(|r| r.unwrap()).collect();
        let expected: Vec<&Vec<String>> = rows.iter().filter(|r| r.iter().any(|v| !v.trim().is_empty())).collect();
        prop_assert_eq!(got.len(), expected.len());
        for (row, want) in got.iter().zip(expected) {
            for (field, value) in ["name", "vendor", "model", "serial", "description"].iter().zip(want) {
                let value = value.trim();
                prop_assert_eq!(row.get(field), (!value.is_empty()).then_some(value));
            }
        }
        prop_assert_eq!(reader.blank_rows() as usize, rows.len() - got.len());
    }
}
