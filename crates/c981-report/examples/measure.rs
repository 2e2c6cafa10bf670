//! Measures the release-build timings quoted in the README and, given a directory,
//! writes the sample outputs there for inspection:
//! `cargo run --release --example measure -- [out-dir]`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use c981_report::oscal;
use c981_report::pdf::{self, Doc, Orientation, PdfOptions, SignatureLine};
use c981_report::table::{Cell, Column, ColumnKind, Report, Sheet};
use c981_report::xlsx::{self, XlsxOptions};

fn time<T>(label: &str, runs: u32, mut f: impl FnMut() -> T) -> T {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs {
        let start = Instant::now();
        let v = f();
        best = best.min(start.elapsed().as_secs_f64());
        out = Some(v);
    }
    println!("{label:<40} best of {runs}: {:>9.2} ms", best * 1000.0);
    out.expect("at least one run")
}

fn audit_extract() -> Report {
    let columns = vec![
        Column::new("Id", ColumnKind::Number, 8.0),
        Column::text("Title", 40.0),
        Column::new("Date", ColumnKind::Date, 12.0),
        Column::new("Link", ColumnKind::Link, 30.0),
        Column::text("Notes", 60.0),
    ];
    let mut big = Sheet::new("Audit log", columns);
    for i in 0..50_000i64 {
        big.push_row(vec![
            Cell::Int(i),
            Cell::text(format!("Event {i} {}", common::prose(i as usize, 40))),
            Cell::Date(format!("2026-{:02}-{:02}", 1 + i % 12, 1 + i % 28)),
            Cell::link("record", format!("https://c981.example.test/audit/{i}")),
            Cell::text(common::prose(i as usize + 3, 120)),
        ]);
    }
    Report { title: "Audit extract".into(), sheets: vec![big], ..Report::default() }
}

fn main() {
    let arg = std::env::args().nth(1);
    // `--only-50k-constant` / `--only-50k-memory`: one XLSX render, for peak-RSS
    // measurements with `/usr/bin/time -v`.
    if let Some(mode) = arg.as_deref().and_then(|a| a.strip_prefix("--only-50k-")) {
        let mut o = XlsxOptions::new(common::generated_at());
        if mode == "memory" {
            o.constant_memory_above_rows = usize::MAX;
        }
        let report = audit_extract();
        let bytes = time(&format!("XLSX, 50,000 rows ({mode})"), 1, || xlsx::render(&report, &o).expect("xlsx"));
        println!("{:<40} {} bytes", "  size", bytes.len());
        return;
    }
    let out_dir = arg.map(std::path::PathBuf::from);
    let report = common::soa_report();

    let mut pdf_options = PdfOptions::new(common::generated_at());
    pdf_options.orientation = Orientation::Landscape;
    let mut doc = Doc::from_report(&report);
    doc.cover.signatures = vec![
        SignatureLine {
            name: "Dr. Jürgen Weiß".into(),
            meaning: "Approved (ISMS owner)".into(),
            at: "2026-05-03 14:02:11 UTC".into(),
            status: "signed".into(),
        },
        SignatureLine {
            name: "Anna Kowalczyk".into(),
            meaning: "Reviewed (QA)".into(),
            at: "".into(),
            status: "pending".into(),
        },
    ];
    let pdf_bytes = time("PDF, 93 rows x ~1,000 chars", 5, || pdf::render(&doc, &pdf_options));
    println!("{:<40} {} bytes", "  size", pdf_bytes.len());

    let xlsx_options = XlsxOptions::new(common::generated_at());
    let xlsx_small = time("XLSX, 93 rows", 5, || xlsx::render(&report, &xlsx_options).expect("xlsx"));
    println!("{:<40} {} bytes", "  size", xlsx_small.len());

    let big_report = audit_extract();
    let xlsx_big =
        time("XLSX, 50,000 rows (constant memory)", 3, || xlsx::render(&big_report, &xlsx_options).expect("xlsx"));
    println!("{:<40} {} bytes", "  size", xlsx_big.len());
    let mut in_memory = xlsx_options.clone();
    in_memory.constant_memory_above_rows = usize::MAX;
    let xlsx_big_mem =
        time("XLSX, 50,000 rows (in memory)", 3, || xlsx::render(&big_report, &in_memory).expect("xlsx"));
    println!("{:<40} {} bytes", "  size", xlsx_big_mem.len());

    let (catalog_in, ssp_in, profile_in) = common::oscal_inputs();
    let docs = time("OSCAL catalog + profile + SSP, 93 controls", 5, || {
        (
            oscal::catalog_json(&catalog_in).expect("catalog"),
            oscal::profile_json(&profile_in).expect("profile"),
            oscal::ssp_json(&ssp_in).expect("ssp"),
        )
    });
    println!("{:<40} {} / {} / {} bytes", "  sizes", docs.0.len(), docs.1.len(), docs.2.len());

    if let Some(dir) = out_dir {
        std::fs::create_dir_all(&dir).expect("out dir");
        std::fs::write(dir.join("soa.pdf"), &pdf_bytes).expect("write");
        std::fs::write(dir.join("soa.xlsx"), &xlsx_small).expect("write");
        std::fs::write(dir.join("catalog.json"), &docs.0).expect("write");
        std::fs::write(dir.join("profile.json"), &docs.1).expect("write");
        std::fs::write(dir.join("ssp.json"), &docs.2).expect("write");
        println!("wrote samples to {}", dir.display());
    }
}
