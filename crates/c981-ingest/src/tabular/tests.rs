//! Tests of the tabular reader on fixtures written here: plant sheets with odd headers, tool
//! exports, encodings, and workbooks built in the test (including hostile zip containers).

use std::io::{Cursor, Write};

use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Formula, Workbook};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::*;

fn open(bytes: &[u8], kind: TargetKind) -> Reader<'_> {
    Reader::open("plant.csv", bytes, kind, &Options::default()).unwrap()
}

fn open_err(bytes: &[u8], kind: TargetKind, opts: &Options) -> FileError {
    Reader::open("plant.csv", bytes, kind, opts).unwrap_err()
}

fn rows(reader: &mut Reader<'_>) -> Vec<Result<Row, RowError>> {
    reader.rows().collect()
}

fn ok_rows(reader: &mut Reader<'_>) -> Vec<Row> {
    reader.rows().map(|r| r.unwrap()).collect()
}

fn with_mapping(m: &[&str]) -> Options {
    Options { mapping: m.iter().map(|s| s.to_string()).collect(), ..Options::default() }
}

/// An export as a plant's own spreadsheet has it: BOM, semicolons, a title row, headers in
/// several styles, blank rows, a duplicate row, values the product will refuse.
const PLANT_SHEET: &str = "\u{feff}Asset inventory – Plant 3 (rev. 7);;;;;;;;\n\
Asset Tag;IP-Address;MAC_Address;Manufacturer;Model Name;FW Version;S/N;Plant;Location\n\
PLC-101;10.3.1.10;00:1B:1B:12:34:56;Siemens;S7-1516F;V2.9.4;S V-C1234567;P3;Hall 2, cabinet 4\n\
;;;;;;;;\n\
HMI-101;10.3.1.20, 10.3.9.20;;Siemens;TP1500 Comfort;V17;;P3;Hall 2\n\
   ;  ;\t;;;;;;\n\
HMI-101;10.3.1.20, 10.3.9.20;;Siemens;TP1500 Comfort;V17;;P3;Hall 2\n\
RTU-7;10.3.1.300;not-a-mac;ABB;RTU560;13.4;;P3;\"Pump house\nnorth side\"\n\
DRIVE-1;10.3.1.40;;;;;;P3;Hall 1\n";

#[test]
fn a_plant_spreadsheet_with_odd_headers_maps_its_columns() {
    let mut r = open(PLANT_SHEET.as_bytes(), TargetKind::Assets);
    assert_eq!(r.format(), &Format::Csv { delimiter: b';', encoding: Encoding::Utf8 });
    assert_eq!(r.header_line(), 2);
    let fields: Vec<_> = r.columns().iter().map(|c| c.field.map(Field::name)).collect();
    assert_eq!(
        fields,
        [
            Some("name"),
            Some("ip_addresses"),
            Some("mac_addresses"),
            Some("vendor"),
            Some("model"),
            Some("firmware"),
            Some("serial"),
            Some("site"),
            None
        ]
    );
    let rows = ok_rows(&mut r);
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0].line(), 3);
    assert_eq!(rows[0].get("name"), Some("PLC-101"));
    assert_eq!(rows[0].get("serial"), Some("S V-C1234567"));
    assert_eq!(rows[1].get("ip_addresses"), Some("10.3.1.20, 10.3.9.20"), "lists stay raw");
    assert_eq!(rows[1].line(), 5);
    assert_eq!(rows[2], Row { line: 7, ..rows[1].clone() }, "duplicates are passed on, the caller decides");
    assert_eq!(rows[3].get("ip_addresses"), Some("10.3.1.300"), "bad values are the product's to refuse");
    assert_eq!(rows[3].get("mac_addresses"), Some("not-a-mac"));
    assert_eq!(rows[4].line(), 10, "a quoted newline makes the previous record two lines");
    assert_eq!(r.blank_rows(), 2);
    let warnings: Vec<String> = r.warnings().iter().map(ToString::to_string).collect();
    assert!(warnings.iter().any(|w| w.contains("1 row(s) above the header")), "{warnings:?}");
    assert!(
        warnings.iter().any(|w| w
            == "plant.csv: line 2: columns not imported (no field matches their header): \
                                 column 9 (\"Location\")"),
        "{warnings:?}"
    );
}

#[test]
fn the_json_object_holds_canonical_fields_and_leaves_pseudo_fields_out() {
    let mut r = open(PLANT_SHEET.as_bytes(), TargetKind::Assets);
    let row = r.rows().next().unwrap().unwrap();
    let json = row.to_json_object();
    assert_eq!(json["name"], "PLC-101");
    assert_eq!(json["vendor"], "Siemens");
    assert!(!json.contains_key("site"));
    assert_eq!(row.get("site"), Some("P3"));
    assert!(!json.contains_key("description"), "empty or unmapped cells are absent");
}

#[test]
fn a_blank_row_is_skipped_and_counted() {
    let mut r = open(b"Name,IP\nA,1.1.1.1\n,\n  ,\t\n\nB,2.2.2.2\n", TargetKind::Assets);
    let rows = ok_rows(&mut r);
    assert_eq!(rows.iter().map(|r| r.line()).collect::<Vec<_>>(), [2, 6]);
    assert_eq!(r.blank_rows(), 2, "csv skips empty lines itself; rows of empty cells are counted");
}

#[test]
fn a_latin_1_file_is_read_as_windows_1252_with_a_warning() {
    let bytes = b"Name;Hersteller;Description\nPumpe S\xfcd;M\xfcller \x96 GmbH;Stra\xdfe 5, 20 \xb0C\n";
    let mut r = Reader::open("alt.csv", bytes, TargetKind::Assets, &with_mapping(&["Hersteller=vendor"])).unwrap();
    assert_eq!(r.format(), &Format::Csv { delimiter: b';', encoding: Encoding::Windows1252 });
    assert!(r.warnings().iter().any(|w| w.kind == WarningKind::DecodedAsWindows1252));
    let row = r.rows().next().unwrap().unwrap();
    assert_eq!(row.get("name"), Some("Pumpe Süd"));
    assert_eq!(row.get("vendor"), Some("Müller – GmbH"));
    assert_eq!(row.get("description"), Some("Straße 5, 20 °C"));
}

#[test]
fn a_utf8_file_with_a_byte_order_mark_and_tabs_reads_cleanly() {
    let mut r = open("\u{feff}Name\tVendor\nPLC-1\tWAGO\n".as_bytes(), TargetKind::Assets);
    assert_eq!(r.format(), &Format::Csv { delimiter: b'\t', encoding: Encoding::Utf8 });
    assert_eq!(r.columns()[0].at.header, "Name");
    assert_eq!(ok_rows(&mut r)[0].get("vendor"), Some("WAGO"));
}

#[test]
fn excels_unicode_text_export_reads_as_utf16() {
    let mut bytes = vec![0xFF, 0xFE];
    for u in "Name\tVendor\r\nPLC-Ü\tWAGO\r\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let mut r = open(&bytes, TargetKind::Assets);
    assert_eq!(r.format(), &Format::Csv { delimiter: b'\t', encoding: Encoding::Utf16 });
    assert_eq!(ok_rows(&mut r)[0].get("name"), Some("PLC-Ü"));
}

#[test]
fn an_excel_sep_line_sets_the_delimiter_and_is_not_a_row() {
    let mut r = open(b"sep=,\nName;Vendor,Model\nA;B,C\n", TargetKind::Assets);
    assert!(!r.warnings().iter().any(|w| matches!(w.kind, WarningKind::RowsAboveHeader(_))));
    assert_eq!(r.header_line(), 2);
    assert_eq!(r.columns().len(), 2);
    assert_eq!(r.columns()[0].at.header, "Name;Vendor");
    let row = &ok_rows(&mut r)[0];
    assert_eq!(row.line(), 3);
    assert_eq!(row.get("model"), Some("C"));
}

#[test]
fn a_row_with_more_cells_than_the_header_is_an_error_for_that_row_only() {
    let csv = "Name,IP,Vendor,Model,Serial,Firmware,Owner,Tags,Description,Protocols\n\
               A,1,2,3,4,5,6,7,8,9,10,11\n\
               B,1,,,,,,,,,,\n";
    let mut r = open(csv.as_bytes(), TargetKind::Assets);
    let rows = rows(&mut r);
    let e = rows[0].as_ref().unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.kind, RowErrorKind::TooManyCells { cells: 12, headers: 10 });
    assert_eq!(e.to_string(), "plant.csv: line 2: row has 12 cells, the header 10");
    assert_eq!(rows[1].as_ref().unwrap().get("name"), Some("B"), "trailing empty cells are fine");
}

#[test]
fn formula_like_csv_cells_stay_text() {
    let csv = "Name,Description,Owner,Tags\n=HYPERLINK(\"http://x\"),+1+2,-3,@SUM(A1)\n";
    let mut r = open(csv.as_bytes(), TargetKind::Assets);
    let row = &ok_rows(&mut r)[0];
    assert_eq!(row.get("name"), Some("=HYPERLINK(\"http://x\")"));
    assert_eq!(row.get("description"), Some("+1+2"));
    assert_eq!(row.get("owner"), Some("-3"));
    assert_eq!(row.get("tags"), Some("@SUM(A1)"));
}

#[test]
fn cell_values_are_trimmed() {
    let mut r = open(b"Name,Vendor\n  PLC-1 ,\"  WAGO \"\n", TargetKind::Assets);
    let row = &ok_rows(&mut r)[0];
    assert_eq!(row.get("name"), Some("PLC-1"));
    assert_eq!(row.get("vendor"), Some("WAGO"));
}

#[test]
fn two_columns_mapping_to_one_field_are_an_error_naming_both() {
    let e = open_err(b"Name,IP Address,Vendor,IP\n", TargetKind::Assets, &Options::default());
    assert_eq!(e.line, Some(1));
    let FileErrorKind::DuplicateField { field, first, second } = &e.kind else { panic!("{e}") };
    assert_eq!(field.name(), "ip_addresses");
    assert_eq!((first.index, second.index), (1, 3));
    let msg = e.to_string();
    assert!(msg.contains("column 2 (\"IP Address\") and column 4 (\"IP\") both map to ip_addresses"), "{msg}");
}

#[test]
fn a_host_name_column_is_set_aside_when_an_asset_name_column_exists() {
    let mut r = open(b"Hostname,Asset Name,IP\nplc1.local,PLC-1,10.0.0.1\n", TargetKind::Assets);
    assert_eq!(r.columns()[0].mapping, Mapping::SetAside { by: 1 });
    assert!(
        r.warnings()
            .iter()
            .any(|w| matches!(&w.kind, WarningKind::ColumnSetAside { field, .. } if field.name() == "name"))
    );
    assert_eq!(ok_rows(&mut r)[0].get("name"), Some("PLC-1"));
}

#[test]
fn an_explicit_mapping_overrides_and_extends_the_aliases() {
    let opts = with_mapping(&["Hostname=name", "Asset Name=description", "Gerät Typ=kind", "Notes=-"]);
    let csv = "Hostname,Asset Name,gerät_typ,Notes\nplc1,PLC one,PLC,ignore me\n";
    let mut r = Reader::open("x.csv", csv.as_bytes(), TargetKind::Assets, &opts).unwrap();
    assert_eq!(r.columns()[0].mapping, Mapping::Explicit);
    assert_eq!(r.columns()[3].mapping, Mapping::Ignored);
    let row = &ok_rows(&mut r)[0];
    assert_eq!(row.get("name"), Some("plc1"));
    assert_eq!(row.get("description"), Some("PLC one"));
    assert_eq!(row.get("kind"), Some("PLC"));
    assert_eq!(row.cells().count(), 3);
}

#[test]
fn an_explicit_mapping_wins_over_an_alias_of_the_same_field() {
    let opts = with_mapping(&["Asset Tag=name"]);
    let mut r = Reader::open("x.csv", b"Name,Asset Tag\nPump 1,P-101\n", TargetKind::Assets, &opts).unwrap();
    assert_eq!(r.columns()[0].mapping, Mapping::SetAside { by: 1 });
    assert_eq!(ok_rows(&mut r)[0].get("name"), Some("P-101"));
}

#[test]
fn a_mapping_to_an_unknown_field_is_an_error_listing_the_valid_ones() {
    let e = open_err(b"Name\nA\n", TargetKind::Zones, &with_mapping(&["Net=subnet_list"]));
    let FileErrorKind::BadMapping { mapping, valid, .. } = &e.kind else { panic!("{e}") };
    assert_eq!(mapping, "Net=subnet_list");
    assert!(valid.contains(&"subnets") && valid.contains(&"site"));
    assert!(e.to_string().contains("\"subnet_list\" is not a field of zones"), "{e}");
    let e = open_err(b"Name\nA\n", TargetKind::Zones, &with_mapping(&["no equals sign"]));
    assert!(matches!(e.kind, FileErrorKind::BadMapping { .. }));
}

#[test]
fn a_mapping_that_matches_no_column_is_a_warning() {
    let r = Reader::open("x.csv", b"Name\nA\n", TargetKind::Assets, &with_mapping(&["Tag No=name"])).unwrap();
    assert!(r.warnings().iter().any(|w| w.kind == WarningKind::UnusedMapping("Tag No=name".into())));
}

#[test]
fn a_file_whose_header_maps_nothing_is_an_error() {
    let e = open_err(b"foo,bar,baz\n1,2,3\n", TargetKind::Assets, &Options::default());
    assert_eq!(e.line, Some(1));
    let FileErrorKind::NoMappedColumn { headers, .. } = &e.kind else { panic!("{e}") };
    assert_eq!(headers, &["foo", "bar", "baz"]);
    assert!(e.to_string().contains("no column maps to a field of assets"), "{e}");
}

#[test]
fn an_empty_or_blank_file_has_no_header_row() {
    for bytes in [&b""[..], b"\n\n", b",,,\n , \n", b"\xEF\xBB\xBF"] {
        let e = open_err(bytes, TargetKind::Assets, &Options::default());
        assert_eq!(e.kind, FileErrorKind::NoHeader, "{bytes:?}");
    }
}

#[test]
fn binary_and_legacy_files_are_refused_by_content() {
    let e = open_err(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", TargetKind::Assets, &Options::default());
    assert!(matches!(e.kind, FileErrorKind::Unsupported(_)));
    let e = open_err(b"Name\0\0\0\x01\x02", TargetKind::Assets, &Options::default());
    assert!(matches!(e.kind, FileErrorKind::Unsupported(_)));
}

#[test]
fn flows_resolve_endpoints_through_pseudo_fields() {
    let csv = "Source,Destination IP,Dst Port,Protocol,Src Port,Purpose\n\
               HMI-1,10.0.0.5,502,Modbus,49152,Read setpoints\n";
    let mut r = open(csv.as_bytes(), TargetKind::Flows);
    let row = &ok_rows(&mut r)[0];
    assert_eq!(row.get("source"), Some("HMI-1"));
    assert_eq!(row.get("destination"), Some("10.0.0.5"));
    let json = row.to_json_object();
    assert_eq!(json.len(), 3);
    assert_eq!((json["port"].as_str(), json["protocol"].as_str()), (Some("502"), Some("Modbus")));
    assert!(
        r.warnings().iter().any(|w| matches!(&w.kind, WarningKind::UnknownColumns(c) if c[0].header == "Src Port"))
    );
}

#[test]
fn zones_and_conduits_read_their_own_headers() {
    let mut r = open(b"Zone Name,CIDR,SL-T,Purdue\nCell 1,10.1.0.0/24,\"2,2,2,2,2,2,2\",1\n", TargetKind::Zones);
    let json = ok_rows(&mut r)[0].to_json_object();
    assert_eq!(json["name"], "Cell 1");
    assert_eq!(json["subnets"], "10.1.0.0/24");
    assert_eq!(json["sl_target"], "2,2,2,2,2,2,2");
    let mut r = open(b"Conduit,From Zone,To Zone,Services\nC1,DMZ,Cell 1,opcua/4840\n", TargetKind::Conduits);
    let row = &ok_rows(&mut r)[0];
    assert_eq!((row.get("from_zone"), row.get("to_zone")), (Some("DMZ"), Some("Cell 1")));
    assert_eq!(row.to_json_object().len(), 2);
}

#[test]
fn rows_can_be_iterated_once() {
    let mut r = open(b"Name\nA\nB\n", TargetKind::Assets);
    assert_eq!(r.rows().count(), 2);
    assert_eq!(r.rows().count(), 0);
}

#[test]
fn from_read_refuses_more_than_the_input_limit() {
    let opts = Options { max_input_bytes: 10, ..Options::default() };
    let e = Reader::from_read("big.csv", &b"Name\nA-very-long-name\n"[..], TargetKind::Assets, &opts).unwrap_err();
    assert_eq!(e.kind, FileErrorKind::TooLarge { limit: 10 });
    let mut r = Reader::from_read("ok.csv", &b"Name\nA\n"[..], TargetKind::Assets, &Options::default()).unwrap();
    assert_eq!(r.rows().count(), 1);
}

#[test]
fn column_letters_follow_spreadsheet_order() {
    assert_eq!(column_letters(0), "A");
    assert_eq!(column_letters(25), "Z");
    assert_eq!(column_letters(26), "AA");
    assert_eq!(column_letters(16383), "XFD");
}

// ---- XLSX ----

fn xlsx_open<'a>(bytes: &'a [u8], opts: &Options) -> Result<Reader<'a>, FileError> {
    Reader::open("inventory.xlsx", bytes, TargetKind::Assets, opts)
}

fn sample_workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let lists = wb.add_worksheet();
    lists.set_name("Lists").unwrap();
    lists.write_string(0, 0, "Kinds").unwrap();
    lists.set_hidden(true);
    let ws = wb.add_worksheet();
    ws.set_name("Assets").unwrap();
    ws.set_active(true);
    ws.write_string(0, 0, "OT asset register").unwrap();
    for (c, h) in
        ["Asset Tag", "IP Address", "Port", "End of Life", "Criticality", "Notes", "Risk Score"].iter().enumerate()
    {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    let date = XFormat::new().set_num_format("yyyy-mm-dd");
    ws.write_string(3, 0, "PLC-1").unwrap();
    ws.write_string(3, 1, "10.0.0.1").unwrap();
    ws.write_number(3, 2, 502).unwrap();
    ws.write_datetime_with_format(3, 3, ExcelDateTime::from_ymd(2027, 12, 31).unwrap(), &date).unwrap();
    ws.write_formula(3, 4, Formula::new("=UPPER(\"high\")").set_result("HIGH")).unwrap();
    ws.write_number(3, 6, 7.5).unwrap();
    // Row 5 (index 4) is absent: a blank row.
    ws.write_string(5, 0, "PLC-2").unwrap();
    ws.write_number(5, 2, 0.1 + 0.2).unwrap();
    ws.write_boolean(5, 5, true).unwrap();
    ws.write_string(6, 0, "PLC-3").unwrap();
    ws.write_string(6, 8, "stray").unwrap();
    let other = wb.add_worksheet();
    other.set_name("Flows").unwrap();
    other.write_string(0, 0, "Source").unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn an_xlsx_sheet_streams_its_rows_with_cached_formula_values() {
    let bytes = sample_workbook();
    let mut r = xlsx_open(&bytes, &Options::default()).unwrap();
    assert_eq!(r.format(), &Format::Xlsx { sheet: "Assets".into() });
    assert_eq!(r.header_line(), 3);
    assert_eq!(r.columns()[3].at.reference, ColumnRef::Letters("D".into()));
    let rows = rows(&mut r);
    let first = rows[0].as_ref().unwrap();
    assert_eq!(first.line(), 4);
    assert_eq!(first.get("name"), Some("PLC-1"));
    assert_eq!(first.get("end_of_support"), Some("2027-12-31"));
    assert_eq!(first.get("criticality"), Some("HIGH"), "the cached value, never evaluated");
    let json = first.to_json_object();
    assert!(!json.contains_key("Risk Score") && json.len() == 4, "{json:?}");
    let second = rows[1].as_ref().unwrap();
    assert_eq!(second.line(), 6);
    assert_eq!(second.get("description"), Some("true"));
    let e = rows[2].as_ref().unwrap_err();
    assert_eq!((e.line, &e.kind), (7, &RowErrorKind::TooManyCells { cells: 9, headers: 7 }));
    assert_eq!(r.blank_rows(), 1);
    let warnings: Vec<String> = r.warnings().iter().map(ToString::to_string).collect();
    assert!(warnings.iter().any(|w| w.contains("not read: Lists, Flows")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("column G (\"Risk Score\")")), "{warnings:?}");
}

#[test]
fn a_named_sheet_is_read_and_an_unknown_one_is_an_error() {
    let bytes = sample_workbook();
    let opts = Options { sheet: Some("flows".into()), ..Options::default() };
    let r = Reader::open("inventory.xlsx", &bytes, TargetKind::Flows, &opts).unwrap();
    assert_eq!(r.format(), &Format::Xlsx { sheet: "Flows".into() });
    let opts = Options { sheet: Some("Nope".into()), ..Options::default() };
    let e = xlsx_open(&bytes, &opts).unwrap_err();
    let FileErrorKind::SheetNotFound { available, .. } = &e.kind else { panic!("{e}") };
    assert_eq!(available, &["Lists", "Assets", "Flows"]);
}

/// A minimal workbook written by hand, so a sheet can hold what no writer library produces.
fn handmade_xlsx(sheet_data: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    let opt = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let parts: [(&str, String); 5] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.into(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.into(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.into(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#
            ),
        ),
    ];
    for (name, body) in &parts {
        z.start_file(*name, opt).unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    for (name, body) in extra {
        z.start_file(*name, opt.large_file(body.len() > u32::MAX as usize)).unwrap();
        z.write_all(body).unwrap();
    }
    z.finish().unwrap().into_inner()
}

const FORMULA_SHEET: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Firmware</t></is></c><c r="C1" t="inlineStr"><is><t>Model</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>PLC-9</t></is></c><c r="B2"><f>CONCAT("V",1)</f></c><c r="C2" t="e"><v>#N/A</v></c></row>"#;

#[test]
fn a_formula_without_a_cached_value_is_an_empty_cell_and_a_warning() {
    let bytes = handmade_xlsx(FORMULA_SHEET, &[]);
    let mut r = xlsx_open(&bytes, &Options::default()).unwrap();
    let row = r.rows().next().unwrap().unwrap();
    assert_eq!(row.get("name"), Some("PLC-9"));
    assert_eq!(row.get("firmware"), None);
    assert_eq!(row.get("model"), None);
    let w: Vec<String> = r.warnings().iter().map(ToString::to_string).collect();
    assert!(
        w.iter().any(|w| w.starts_with("inventory.xlsx: line 2, column B (\"Firmware\"): a formula without")),
        "{w:?}"
    );
    assert!(w.iter().any(|w| w.contains("column C (\"Model\"): the cell holds the error #N/A")), "{w:?}");
}

#[test]
fn a_macro_workbook_is_accepted_and_its_macros_ignored() {
    let bytes = handmade_xlsx(FORMULA_SHEET, &[("xl/vbaProject.bin", b"\xD0\xCF\x11\xE0 not really vba")]);
    let r = xlsx_open(&bytes, &Options::default()).unwrap();
    assert!(r.warnings().iter().any(|w| w.kind == WarningKind::MacrosIgnored));
}

#[test]
fn a_zip_bomb_is_refused_before_the_workbook_is_parsed() {
    let zeros = vec![0u8; 64 << 20];
    let bytes = handmade_xlsx(FORMULA_SHEET, &[("xl/media/image1.png", &zeros)]);
    assert!(bytes.len() < 1 << 20, "the bomb is small: {}", bytes.len());
    let e = xlsx_open(&bytes, &Options::default()).unwrap_err();
    let FileErrorKind::UnsafeZip(why) = &e.kind else { panic!("{e}") };
    assert!(why.contains("\"xl/media/image1.png\"") && why.contains("ratio"), "{why}");
}

#[test]
fn a_workbook_declaring_too_many_bytes_is_refused() {
    let noise: Vec<u8> = (0..3u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let bytes = handmade_xlsx(FORMULA_SHEET, &[("xl/media/noise.bin", &noise)]);
    let opts =
        Options { xlsx: XlsxLimits { max_total_uncompressed: 2 << 20, ..XlsxLimits::default() }, ..Options::default() };
    let e = xlsx_open(&bytes, &opts).unwrap_err();
    assert!(matches!(&e.kind, FileErrorKind::UnsafeZip(w) if w.contains("declares")), "{e}");
    assert!(xlsx_open(&bytes, &Options::default()).is_ok());
}

#[test]
fn a_zip_with_more_than_a_thousand_entries_is_refused() {
    let extra: Vec<(String, Vec<u8>)> = (0..1000).map(|i| (format!("xl/junk/{i}.xml"), vec![b'x'])).collect();
    let refs: Vec<(&str, &[u8])> = extra.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let bytes = handmade_xlsx(FORMULA_SHEET, &refs);
    let e = xlsx_open(&bytes, &Options::default()).unwrap_err();
    assert!(matches!(&e.kind, FileErrorKind::UnsafeZip(w) if w.contains("1005 entries")), "{e}");
}

/// Offsets of every central directory header in a zip.
fn central_headers(b: &[u8]) -> Vec<usize> {
    (0..b.len() - 4).filter(|&i| b[i..i + 4] == [0x50, 0x4b, 0x01, 0x02]).collect()
}

#[test]
fn an_encrypted_entry_is_refused() {
    let mut bytes = handmade_xlsx(FORMULA_SHEET, &[]);
    let last = *central_headers(&bytes).last().unwrap();
    bytes[last + 8] |= 1; // general purpose flag bit 0: encrypted
    let e = xlsx_open(&bytes, &Options::default()).unwrap_err();
    assert!(matches!(&e.kind, FileErrorKind::UnsafeZip(w) if w.contains("encrypted")), "{e}");
}

#[test]
fn an_entry_that_decompresses_past_its_declared_size_is_refused() {
    let body = vec![b'a'; 200_000];
    let mut bytes = handmade_xlsx(FORMULA_SHEET, &[("xl/big.xml", &body)]);
    let last = *central_headers(&bytes).last().unwrap();
    bytes[last + 24..last + 28].copy_from_slice(&1000u32.to_le_bytes()); // declared uncompressed size
    let e = xlsx_open(&bytes, &Options::default()).unwrap_err();
    assert!(matches!(&e.kind, FileErrorKind::UnsafeZip(_)), "{e}");
}

#[test]
fn a_zip_that_is_not_a_workbook_is_refused() {
    let mut z = ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file("readme.txt", SimpleFileOptions::default()).unwrap();
    z.write_all(b"hello").unwrap();
    let bytes = z.finish().unwrap().into_inner();
    let e = xlsx_open(&bytes, &Options::default()).unwrap_err();
    assert!(matches!(&e.kind, FileErrorKind::Unsupported(w) if w.contains("not an XLSX")), "{e}");
}
