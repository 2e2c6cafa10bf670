//! PDF output checked by parsing it back with `lopdf` (and `pdftotext` when present).

mod common;

use std::process::Command;
use std::time::Instant;

use c981_report::colour::Colour;
use c981_report::pdf::{self, Block, Cover, Doc, Orientation, PdfOptions, SignatureLine};
use c981_report::table::RowStyle;

fn options() -> PdfOptions {
    PdfOptions::new(common::generated_at())
}

fn sample_doc() -> Doc {
    Doc {
        title: "Risk register – Hamburg".into(),
        cover: Cover {
            title: "Risk register".into(),
            subtitle: Some("ACME Pharma GmbH".into()),
            lines: vec![("Scope".into(), "QC laboratory".into()), ("Version".into(), "1.0".into())],
            signatures: vec![SignatureLine {
                name: "Dr. Jürgen Weiß".into(),
                meaning: "Approval".into(),
                at: "2026-05-03 14:02 UTC".into(),
                status: "signed".into(),
            }],
        },
        blocks: vec![
            Block::Heading(1, "Risks".into()),
            Block::Paragraph("Risks are rated on a 5 × 5 matrix – “likelihood” × impact.".into()),
            Block::KeyValues(vec![("Method".into(), "ISO 27005".into())]),
            Block::Table {
                columns: vec![("Id".into(), 1.0), ("Risk".into(), 5.0), ("Level".into(), 1.5)],
                rows: (1..=60).map(|i| vec![format!("R-{i:03}"), common::prose(i, 200), "High".into()]).collect(),
                row_styles: (1..=60)
                    .map(|i| RowStyle { fill: (i % 3 == 0).then_some(Colour::Red), bold: false })
                    .collect(),
            },
            Block::PageBreak,
            Block::Heading(2, "Notes".into()),
            Block::Paragraph("漢字 are not in WinAnsi.".into()),
        ],
    }
}

fn page_texts(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).expect("lopdf parses the output");
    let pages = doc.get_pages();
    pages.keys().map(|n| doc.extract_text(&[*n]).unwrap_or_default()).collect()
}

#[test]
fn the_output_parses_as_a_pdf_with_the_expected_pages_and_text() {
    let bytes = pdf::render(&sample_doc(), &options());
    assert!(bytes.starts_with(b"%PDF-"));
    let texts = page_texts(&bytes);
    assert!(texts.len() >= 3, "cover + table pages + notes page, got {}", texts.len());
    let n = texts.len();
    assert!(texts[0].contains("Risk register"));
    assert!(texts[0].contains("Signatures"));
    for (i, t) in texts.iter().enumerate() {
        assert!(t.contains(&format!("Page {} of {n}", i + 1)), "footer on page {}: {t}", i + 1);
        assert!(t.contains("Generated 2026-05-04 09:30:00 +02:00"), "timestamp on page {}", i + 1);
    }
    let all = texts.join("\n");
    assert!(all.contains("R-001") && all.contains("R-060"));
    assert!(texts.last().unwrap().contains("?? are not in WinAnsi."));
}

#[test]
fn the_table_header_is_repeated_on_every_page_the_table_spans() {
    let bytes = pdf::render(&sample_doc(), &options());
    let texts = page_texts(&bytes);
    let table_pages: Vec<&String> = texts.iter().filter(|t| t.contains("R-0")).collect();
    assert!(table_pages.len() >= 2);
    for t in table_pages {
        assert!(t.contains("Level"), "header row on a continuation page: {t}");
    }
}

#[test]
fn metadata_carries_title_producer_and_the_passed_creation_date() {
    let bytes = pdf::render(&sample_doc(), &options());
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    let info_ref = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info_ref).unwrap();
    let text = |k: &[u8]| {
        let raw = info.get(k).unwrap().as_str().unwrap();
        lopdf::decode_text_string(&lopdf::Object::String(raw.to_vec(), lopdf::StringFormat::Literal)).unwrap()
    };
    assert_eq!(text(b"Title"), "Risk register – Hamburg");
    assert_eq!(text(b"Producer"), "Connect 981");
    let created = String::from_utf8_lossy(info.get(b"CreationDate").unwrap().as_str().unwrap()).into_owned();
    assert_eq!(created, "D:20260504093000+02'00");
}

#[test]
fn the_same_document_renders_to_the_same_bytes() {
    assert_eq!(pdf::render(&sample_doc(), &options()), pdf::render(&sample_doc(), &options()));
}

#[test]
fn landscape_pages_are_wider_than_tall() {
    let mut o = options();
    o.orientation = Orientation::Landscape;
    let bytes = pdf::render(&sample_doc(), &o);
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    let (_, first) = doc.get_pages().into_iter().next().unwrap();
    let page = doc.get_dictionary(first).unwrap();
    let mb = page.get(b"MediaBox").unwrap().as_array().unwrap();
    let w = mb[2].as_float().unwrap();
    let h = mb[3].as_float().unwrap();
    assert!(w > h, "{w} x {h}");
}

#[test]
fn a_report_converts_to_a_document_with_cover_and_table() {
    let report = common::soa_report();
    let doc = Doc::from_report(&report);
    assert_eq!(doc.cover.lines.len(), 4);
    let Block::Table { rows, row_styles, .. } = &doc.blocks[1] else { panic!("table expected") };
    assert_eq!(rows.len(), 93);
    assert_eq!(row_styles.len(), 93);
    assert_eq!(rows[0][2], "No");
    assert_eq!(rows[1][2], "Yes");
}

#[test]
fn ninety_three_long_rows_render_quickly() {
    let report = common::soa_report();
    let chars: usize =
        report.sheets[0].rows.iter().map(|r| r.iter().map(|c| c.plain_text().len()).sum::<usize>()).sum();
    assert!(chars / 93 >= 1000, "about 1,000 characters per row, got {}", chars / 93);
    let mut o = options();
    o.orientation = Orientation::Landscape;
    let start = Instant::now();
    let bytes = pdf::render(&Doc::from_report(&report), &o);
    let took = start.elapsed();
    let pages = page_texts(&bytes).len();
    // Generous bound for unoptimised test builds on a shared machine; release builds
    // take a few milliseconds (see the measure example).
    assert!(took.as_secs_f64() < 2.0, "took {took:?}");
    assert!(pages > 5);
}

#[test]
fn pdftotext_extracts_the_content_when_installed() {
    let Ok(out) = Command::new("pdftotext").arg("-v").output() else {
        eprintln!("SKIPPED: pdftotext not installed (Debian package poppler-utils)");
        return;
    };
    let _ = out;
    let dir = std::env::temp_dir().join(format!("c981-pdftotext-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("doc.pdf");
    std::fs::write(&path, pdf::render(&sample_doc(), &options())).unwrap();
    let out = Command::new("pdftotext").args(["-layout", "-enc", "UTF-8"]).arg(&path).arg("-").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    for needle in [
        "Risk register",
        "Dr. Jürgen Weiß",
        "“likelihood”",
        "R-042",
        "Page 1 of",
        "Generated 2026-05-04 09:30:00 +02:00",
    ] {
        assert!(text.contains(needle), "pdftotext output lacks {needle:?}");
    }
}
