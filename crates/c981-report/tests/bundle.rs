//! Evidence bundles: round trip, tamper detection and hostile archives.

mod common;

use std::io::{Cursor, Read, Write};

use c981_report::bundle::{self, BundleError, BundleFile, BundleInput, Period, VerifyLimits};
use c981_report::timestamp::CalendarDate;
use zip::write::SimpleFileOptions;

fn input() -> BundleInput {
    BundleInput {
        title: "ISO 27001 surveillance audit 2026 – evidence".into(),
        scope: "ACME Pharma GmbH, site Hamburg".into(),
        period: Period {
            from: CalendarDate::parse("2026-01-01").unwrap(),
            to: CalendarDate::parse("2026-03-31").unwrap(),
        },
        generated_at: common::generated_at(),
        files: vec![
            BundleFile { path: "soa.csv".into(), bytes: b"Control,Status\r\n5.1,Implemented\r\n".to_vec() },
            BundleFile { path: "evidence/backup test.pdf".into(), bytes: vec![7u8; 5000] },
            BundleFile { path: "evidence/aaaa.txt".into(), bytes: b"first".to_vec() },
            BundleFile { path: "evidence/bbbb.txt".into(), bytes: b"second".to_vec() },
        ],
    }
}

/// Rewrites every entry through `edit` (return `None` to drop it), then appends `add`.
fn rewrite(bytes: &[u8], mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>, add: &[(&str, &[u8])]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if let Some(data) = edit(&name, data) {
            out.start_file(name.as_str(), options).unwrap();
            out.write_all(&data).unwrap();
        }
    }
    for (name, data) in add {
        out.start_file(*name, options).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn replace_all(haystack: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= haystack.len() {
        if &haystack[i..i + from.len()] == from {
            haystack[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

#[test]
fn a_fresh_bundle_verifies_as_intact_with_the_noted_manifest_hash() {
    let b = bundle::build(&input()).unwrap();
    println!("manifest sha256 to note outside the bundle: {}", b.manifest_sha256);
    let report = bundle::verify(&b.bytes).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert!(report.manifest_matches(&b.manifest_sha256));
    assert_eq!(report.intact.len(), 4);
    assert_eq!(report.manifest.files[1].size, 5000);
    assert_eq!(report.manifest.generated_at, "2026-05-04T07:30:00Z");
    assert_eq!(report.manifest.period_to, "2026-03-31");
}

#[test]
fn the_same_input_builds_the_same_bytes() {
    assert_eq!(bundle::build(&input()).unwrap(), bundle::build(&input()).unwrap());
}

#[test]
fn an_altered_byte_is_detected() {
    let b = bundle::build(&input()).unwrap();
    let tampered = rewrite(
        &b.bytes,
        |name, mut data| {
            if name == "evidence/backup test.pdf" {
                data[1234] ^= 1;
            }
            Some(data)
        },
        &[],
    );
    let report = bundle::verify(&tampered).unwrap();
    assert!(!report.is_intact());
    assert_eq!(report.altered.len(), 1);
    assert_eq!(report.altered[0].path, "evidence/backup test.pdf");
    assert_eq!(report.altered[0].expected_size, report.altered[0].actual_size);
    assert!(report.manifest_matches(&b.manifest_sha256), "the manifest itself is untouched");
}

#[test]
fn a_flipped_byte_in_the_raw_archive_never_verifies_as_intact() {
    let b = bundle::build(&input()).unwrap();
    for pos in (30..b.bytes.len() - 30).step_by(97) {
        let mut raw = b.bytes.clone();
        raw[pos] ^= 0x40;
        if let Ok(report) = bundle::verify(&raw) {
            assert!(
                !report.is_intact()
                    || !report.manifest_matches(&b.manifest_sha256)
                    || raw_is_equivalent(&b.bytes, &raw),
                "flip at {pos} went unnoticed"
            );
        }
    }
}

/// A flip inside unused metadata (e.g. a file time) that leaves every name and byte intact.
fn raw_is_equivalent(a: &[u8], b: &[u8]) -> bool {
    let read = |bytes: &[u8]| {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
        (0..z.len())
            .map(|i| {
                let mut e = z.by_index(i).unwrap();
                let mut d = Vec::new();
                e.read_to_end(&mut d).unwrap();
                (e.name().unwrap().into_owned(), d)
            })
            .collect::<Vec<_>>()
    };
    read(a) == read(b)
}

#[test]
fn a_removed_file_is_detected() {
    let b = bundle::build(&input()).unwrap();
    let tampered = rewrite(&b.bytes, |name, data| (name != "soa.csv").then_some(data), &[]);
    let report = bundle::verify(&tampered).unwrap();
    assert_eq!(report.missing, vec!["soa.csv".to_owned()]);
    assert!(report.extra.is_empty() && report.altered.is_empty());
}

#[test]
fn an_extra_file_is_detected() {
    let b = bundle::build(&input()).unwrap();
    let tampered = rewrite(&b.bytes, |_, data| Some(data), &[("evidence/forged.pdf", b"%PDF-1.7 forged")]);
    let report = bundle::verify(&tampered).unwrap();
    assert_eq!(report.extra, vec!["evidence/forged.pdf".to_owned()]);
    assert!(!report.is_intact());
}

#[test]
fn an_edited_manifest_is_detected_through_the_noted_hash() {
    let b = bundle::build(&input()).unwrap();
    // The forger changes a file and updates its hash in the manifest to match.
    let forged = b"second, but forged".to_vec();
    let forged_sha = bundle::sha256_hex(&forged);
    let tampered = rewrite(
        &b.bytes,
        |name, data| match name {
            "evidence/bbbb.txt" => Some(forged.clone()),
            "manifest.json" => {
                let mut m: serde_json::Value = serde_json::from_slice(&data).unwrap();
                for f in m["files"].as_array_mut().unwrap() {
                    if f["path"] == "evidence/bbbb.txt" {
                        f["sha256"] = forged_sha.clone().into();
                        f["size"] = forged.len().into();
                    }
                }
                Some(serde_json::to_vec_pretty(&m).unwrap())
            }
            _ => Some(data),
        },
        &[],
    );
    let report = bundle::verify(&tampered).unwrap();
    assert!(report.is_intact(), "internally consistent after the forgery");
    assert!(!report.manifest_matches(&b.manifest_sha256), "but the noted manifest hash no longer matches");
}

#[test]
fn path_traversal_names_are_refused_when_building_and_reading() {
    let mut bad = input();
    bad.files.push(BundleFile { path: "../outside.txt".into(), bytes: vec![] });
    assert!(matches!(bundle::build(&bad), Err(BundleError::UnsafePath(_))));
    let mut abs = input();
    abs.files[0].path = "/etc/cron.d/x".into();
    assert!(matches!(bundle::build(&abs), Err(BundleError::UnsafePath(_))));

    let mut raw = bundle::build(&input()).unwrap().bytes;
    assert_eq!(replace_all(&mut raw, b"evidence/aaaa.txt", b"../../../aaaa.txt"), 2);
    match bundle::verify(&raw) {
        Err(BundleError::UnsafePath(p)) => assert_eq!(p, "../../../aaaa.txt"),
        other => panic!("expected UnsafePath, got {other:?}"),
    }
}

#[test]
fn duplicate_names_are_refused_when_building_and_reading() {
    let mut dup = input();
    dup.files.push(BundleFile { path: "SOA.csv".into(), bytes: vec![] });
    assert!(matches!(bundle::build(&dup), Err(BundleError::DuplicatePath(_))));
    let mut reserved = input();
    reserved.files.push(BundleFile { path: "manifest.json".into(), bytes: vec![] });
    assert!(matches!(bundle::build(&reserved), Err(BundleError::ReservedPath(_))));

    let mut raw = bundle::build(&input()).unwrap().bytes;
    assert_eq!(replace_all(&mut raw, b"evidence/bbbb.txt", b"evidence/aaaa.txt"), 2);
    match bundle::verify(&raw) {
        Err(BundleError::DuplicatePath(p)) => assert_eq!(p, "evidence/aaaa.txt"),
        Err(BundleError::Zip(why)) => assert!(why.to_lowercase().contains("duplicate"), "{why}"),
        other => panic!("expected a duplicate-name refusal, got {other:?}"),
    }
}

#[test]
fn zip_bombs_are_refused_by_entry_count_and_size_limits() {
    let mut big = input();
    big.files.push(BundleFile { path: "zeros.bin".into(), bytes: vec![0u8; 8 << 20] });
    let b = bundle::build(&big).unwrap();
    assert!(b.bytes.len() < 100_000, "8 MiB of zeros compress to {} bytes", b.bytes.len());
    let limits = VerifyLimits { max_total_bytes: 1 << 20, ..VerifyLimits::default() };
    assert!(matches!(bundle::verify_with_limits(&b.bytes, &limits), Err(BundleError::TooLarge { .. })));
    let limits = VerifyLimits { max_entry_bytes: 1 << 20, ..VerifyLimits::default() };
    assert!(matches!(bundle::verify_with_limits(&b.bytes, &limits), Err(BundleError::TooLarge { .. })));

    let mut many = input();
    many.files = (0..50).map(|i| BundleFile { path: format!("f{i}.txt"), bytes: vec![b'x'] }).collect();
    let b = bundle::build(&many).unwrap();
    let limits = VerifyLimits { max_entries: 10, ..VerifyLimits::default() };
    assert!(matches!(
        bundle::verify_with_limits(&b.bytes, &limits),
        Err(BundleError::TooManyEntries { found: 51, limit: 10 })
    ));
}

#[test]
fn garbage_and_manifestless_archives_are_refused() {
    assert!(matches!(bundle::verify(b"not a zip at all"), Err(BundleError::Zip(_))));
    let b = bundle::build(&input()).unwrap();
    let no_manifest = rewrite(&b.bytes, |name, data| (name != "manifest.json").then_some(data), &[]);
    assert!(matches!(bundle::verify(&no_manifest), Err(BundleError::MissingManifest)));
}
