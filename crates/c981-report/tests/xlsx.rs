//! XLSX output checked by unzipping it and reading the worksheet XML.

mod common;

use std::collections::HashMap;
use std::io::{Cursor, Read};

use c981_report::table::{Cell, Column, ColumnKind, Report, Sheet};
use c981_report::xlsx::{self, XlsxError, XlsxOptions};

fn options() -> XlsxOptions {
    XlsxOptions::new(common::generated_at())
}

fn unzip(bytes: &[u8]) -> HashMap<String, String> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("an xlsx is a zip");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            (f.name().unwrap().into_owned(), s)
        })
        .collect()
}

fn small_report() -> Report {
    let mut sheet = Sheet::new(
        "Risks: 2026/Q1",
        vec![
            Column::text("Title", 20.0),
            Column::new("Due", ColumnKind::Date, 12.0),
            Column::new("Changed", ColumnKind::Date, 20.0),
            Column::new("Link", ColumnKind::Link, 20.0),
            Column::new("Score", ColumnKind::Number, 8.0),
        ],
    );
    sheet.push_row(vec![
        Cell::text("=cmd|' /C calc'!A0"),
        Cell::Date("2026-01-10".into()),
        Cell::DateTime("2026-05-04T09:30:00+02:00".into()),
        Cell::link("Policy", "https://intranet.example.test/policy?id=1&v=2"),
        Cell::Number(-12.5),
    ]);
    sheet.push_row(vec![
        Cell::text("@SUM(1)"),
        Cell::Empty,
        Cell::Empty,
        Cell::link("bad", "javascript:alert(1)"),
        Cell::Int(3),
    ]);
    Report {
        title: "Risk register".into(),
        subtitle: None,
        meta: vec![("Scope".into(), "Hamburg".into())],
        sheets: vec![sheet.clone(), sheet],
    }
}

fn sheet_xml(files: &HashMap<String, String>, n: usize) -> &str {
    &files[&format!("xl/worksheets/sheet{n}.xml")]
}

#[test]
fn the_workbook_has_an_about_sheet_then_one_sanitised_sheet_per_data_sheet() {
    let files = unzip(&xlsx::render(&small_report(), &options()).unwrap());
    let wb = &files["xl/workbook.xml"];
    let names: Vec<&str> = wb.split("<sheet name=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    assert_eq!(names, vec!["About", "Risks_ 2026_Q1", "Risks_ 2026_Q1 (2)"]);
    let shared = &files["xl/sharedStrings.xml"];
    assert!(shared.contains("Risk register") && shared.contains("Scope") && shared.contains("Hamburg"));
    assert!(files["docProps/core.xml"].contains("<dcterms:created xsi:type=\"dcterms:W3CDTF\">2026-05-04T07:30:00Z"));
}

#[test]
fn the_header_row_is_frozen_bold_and_filtered() {
    let files = unzip(&xlsx::render(&small_report(), &options()).unwrap());
    let ws = sheet_xml(&files, 2);
    assert!(ws.contains("<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"), "{ws}");
    assert!(ws.contains("<autoFilter ref=\"A1:E3\"/>"));
    assert!(ws.contains("<col min=\"1\" max=\"1\" width=\"20.7109375\" customWidth=\"1\"/>"));
    assert!(files["xl/styles.xml"].contains("FFD9E1F2"), "header fill");
}

#[test]
fn text_that_looks_like_a_formula_is_stored_as_a_string() {
    let files = unzip(&xlsx::render(&small_report(), &options()).unwrap());
    let ws = sheet_xml(&files, 2);
    assert!(!ws.contains("<f>"), "no formula cells");
    assert!(
        files["xl/sharedStrings.xml"].contains("=cmd|&apos; /C calc&apos;!A0")
            || files["xl/sharedStrings.xml"].contains("=cmd|' /C calc'!A0")
    );
}

#[test]
fn dates_and_date_times_are_real_excel_dates_in_utc() {
    let files = unzip(&xlsx::render(&small_report(), &options()).unwrap());
    let ws = sheet_xml(&files, 2);
    assert!(ws.contains("<v>46032</v>"), "2026-01-10 as serial 46032");
    assert!(ws.contains("<v>46146.3125</v>"), "09:30+02:00 is 07:30 UTC");
    let styles = &files["xl/styles.xml"];
    assert!(styles.contains("formatCode=\"yyyy-mm-dd\""));
    assert!(styles.contains("formatCode=\"yyyy-mm-dd hh:mm:ss &quot;UTC&quot;\""));
}

#[test]
fn web_links_become_hyperlinks_and_other_schemes_stay_text() {
    let files = unzip(&xlsx::render(&small_report(), &options()).unwrap());
    let ws = sheet_xml(&files, 2);
    assert_eq!(ws.matches("<hyperlink ").count(), 1, "{ws}");
    let rels = &files["xl/worksheets/_rels/sheet2.xml.rels"];
    assert!(rels.contains("https://intranet.example.test/policy?id=1&amp;v=2"));
    assert!(!rels.contains("javascript"));
    assert!(files["xl/sharedStrings.xml"].contains("bad &lt;javascript:alert(1)&gt;"));
}

#[test]
fn row_styles_become_fills_and_bold_fonts() {
    let report = common::soa_report();
    let files = unzip(&xlsx::render(&report, &options()).unwrap());
    let styles = &files["xl/styles.xml"];
    for hex in ["FFD8EFD3", "FFFFF3B8", "FFFFDDB8", "FFF8CBCB"] {
        assert!(styles.contains(hex), "fill {hex}");
    }
    assert!(sheet_xml(&files, 2).contains("<hyperlinks>"));
}

#[test]
fn the_same_report_renders_to_the_same_bytes() {
    let a = xlsx::render(&common::soa_report(), &options()).unwrap();
    let b = xlsx::render(&common::soa_report(), &options()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn large_sheets_use_constant_memory_and_stay_valid() {
    let mut o = options();
    o.constant_memory_above_rows = 10;
    let mut sheet = Sheet::new("Log", vec![Column::text("Event", 30.0), Column::new("N", ColumnKind::Number, 8.0)]);
    for i in 0..500 {
        sheet.push_row(vec![Cell::text(format!("=event {i}")), Cell::Int(i)]);
    }
    let report = Report { title: "Audit log".into(), sheets: vec![sheet], ..Report::default() };
    let files = unzip(&xlsx::render(&report, &o).unwrap());
    let ws = sheet_xml(&files, 2);
    assert!(ws.contains("t=\"inlineStr\""), "constant-memory mode writes inline strings");
    assert!(ws.contains("=event 499") && !ws.contains("<f>"));
    assert!(ws.contains("<autoFilter ref=\"A1:B501\"/>") && ws.contains("state=\"frozen\""));
}

#[test]
fn more_rows_than_excel_allows_is_an_error_that_suggests_csv() {
    let mut sheet = Sheet::new("Huge", vec![Column::text("A", 0.0)]);
    sheet.rows = vec![Vec::new(); xlsx::MAX_ROWS];
    let report = Report { title: "Huge".into(), sheets: vec![sheet], ..Report::default() };
    let err = xlsx::render(&report, &options()).unwrap_err();
    assert!(matches!(err, XlsxError::TooManyRows { rows: 1_048_576, .. }));
    let msg = err.to_string();
    assert!(msg.contains("1,048,575 below the header") && msg.contains("as CSV instead"), "{msg}");
}

#[test]
fn an_invalid_date_names_its_cell() {
    let mut sheet = Sheet::new("S", vec![Column::new("Due", ColumnKind::Date, 0.0)]);
    sheet.push_row(vec![Cell::Date("2026-02-30".into())]);
    let report = Report { title: "T".into(), sheets: vec![sheet], ..Report::default() };
    let err = xlsx::render(&report, &options()).unwrap_err().to_string();
    assert!(err.contains("data row 1, column 1") && err.contains("2026-02-30"), "{err}");
}
