//! Audit evidence bundles: a zip of named files plus a `manifest.json` of hashes.
//!
//! [`build`] writes a deterministic zip (Deflate only, every entry stamped with the
//! generation time passed in, fixed permissions, entries in the given order) whose
//! first entry is `manifest.json`:
//!
//! ```json
//! { "format": "c981-evidence-bundle/1", "title": "…", "scope": "…",
//!   "period": { "from": "2026-01-01", "to": "2026-03-31" },
//!   "generated_at": "2026-05-04T07:30:00Z",
//!   "files": [ { "path": "soa.pdf", "size": 1234, "sha256": "…" } ] }
//! ```
//!
//! It returns the manifest's own SHA-256 next to the bytes: note it outside the
//! bundle (in the audit trail, a ticket, an e-mail to the auditor). [`verify`]
//! re-hashes every entry and reports missing, extra and altered files; comparing the
//! manifest hash it reports with the noted one ([`VerifyReport::manifest_matches`])
//! detects an edited manifest, which no in-bundle check can.
//!
//! Reading is defensive: archives with more entries or more (declared or actual)
//! uncompressed bytes than [`VerifyLimits`] allow, names that are absolute, contain
//! `..`, backslashes, drive letters or control characters, duplicate names, and
//! compression methods other than Stored/Deflate are refused with a
//! [`BundleError`] before or while reading, never extracted.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::{Cursor, Read, Write};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::timestamp::{CalendarDate, Timestamp};

/// Name of the manifest entry.
pub const MANIFEST_NAME: &str = "manifest.json";
/// Value of the manifest's `format` field.
pub const FORMAT: &str = "c981-evidence-bundle/1";

/// A file to put in the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Relative path inside the bundle, `/`-separated, e.g. `evidence/backup-test.pdf`.
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// The audit period the bundle covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub from: CalendarDate,
    /// Last day.
    pub to: CalendarDate,
}

/// Input for [`build`].
#[derive(Debug, Clone, PartialEq)]
pub struct BundleInput {
    /// Bundle title, e.g. "ISO 27001 surveillance audit 2026 – evidence".
    pub title: String,
    /// Scope statement.
    pub scope: String,
    /// Audit period.
    pub period: Period,
    /// Generation time; also the time stamped on every zip entry.
    pub generated_at: Timestamp,
    /// The files, in the order they are stored.
    pub files: Vec<BundleFile>,
}

/// A built bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The zip archive.
    pub bytes: Vec<u8>,
    /// Lower-case hex SHA-256 of `manifest.json`, to note outside the bundle.
    pub manifest_sha256: String,
}

/// One file as listed in the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// Path inside the bundle.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

/// The parsed manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Bundle title.
    pub title: String,
    /// Scope statement.
    pub scope: String,
    /// Period start, as written.
    pub period_from: String,
    /// Period end, as written.
    pub period_to: String,
    /// Generation time, as written.
    pub generated_at: String,
    /// Listed files.
    pub files: Vec<ManifestEntry>,
}

/// A file whose content differs from the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlteredFile {
    /// Path inside the bundle.
    pub path: String,
    /// SHA-256 listed in the manifest.
    pub expected_sha256: String,
    /// SHA-256 of the entry as found.
    pub actual_sha256: String,
    /// Size listed in the manifest.
    pub expected_size: u64,
    /// Size of the entry as found.
    pub actual_size: u64,
}

/// Result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The manifest found in the bundle.
    pub manifest: Manifest,
    /// SHA-256 of the manifest found in the bundle.
    pub manifest_sha256: String,
    /// Files present and matching the manifest.
    pub intact: Vec<String>,
    /// Files listed in the manifest but absent.
    pub missing: Vec<String>,
    /// Entries present but not listed in the manifest.
    pub extra: Vec<String>,
    /// Files present whose size or hash differs.
    pub altered: Vec<AlteredFile>,
}

impl VerifyReport {
    /// True when nothing is missing, extra or altered.
    pub fn is_intact(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.altered.is_empty()
    }

    /// True when the bundle's manifest hashes to the value noted at build time
    /// (case-insensitive hex). False means the manifest was edited or replaced.
    pub fn manifest_matches(&self, noted_sha256: &str) -> bool {
        self.manifest_sha256.eq_ignore_ascii_case(noted_sha256.trim())
    }
}

/// Bounds applied while reading a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyLimits {
    /// Most entries accepted.
    pub max_entries: usize,
    /// Most uncompressed bytes of one entry.
    pub max_entry_bytes: u64,
    /// Most uncompressed bytes in total.
    pub max_total_bytes: u64,
    /// Largest manifest accepted.
    pub max_manifest_bytes: u64,
}

impl Default for VerifyLimits {
    /// 10,000 entries, 1 GiB per entry, 4 GiB in total, 16 MiB of manifest.
    fn default() -> Self {
        Self { max_entries: 10_000, max_entry_bytes: 1 << 30, max_total_bytes: 4 << 30, max_manifest_bytes: 16 << 20 }
    }
}

/// Why a bundle could not be built or read.
#[derive(Debug)]
pub enum BundleError {
    /// A path is empty, absolute, contains `..`, `\`, a drive letter, an empty
    /// segment or a control character.
    UnsafePath(String),
    /// A path occurs twice (compared ignoring case, as on Windows and macOS).
    DuplicatePath(String),
    /// A file may not be named `manifest.json`.
    ReservedPath(String),
    /// More entries than allowed.
    TooManyEntries {
        /// Entries found.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// More uncompressed bytes than allowed (a zip bomb, or simply too big).
    TooLarge {
        /// The entry being read.
        path: String,
        /// The limit that was hit.
        limit: u64,
    },
    /// An entry uses a compression method other than Stored or Deflate.
    UnsupportedCompression(String),
    /// The bundle has no `manifest.json`.
    MissingManifest,
    /// The manifest is not valid JSON of the expected shape.
    InvalidManifest(String),
    /// The generation time cannot be a zip timestamp (years 1980–2107).
    InvalidTime(String),
    /// The archive is damaged or not a zip (including CRC mismatches).
    Zip(String),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::UnsafePath(p) => write!(f, "bundle: unsafe path {p:?}"),
            BundleError::DuplicatePath(p) => write!(f, "bundle: duplicate path {p:?}"),
            BundleError::ReservedPath(p) => write!(f, "bundle: {p:?} is reserved for the manifest"),
            BundleError::TooManyEntries { found, limit } => {
                write!(f, "bundle: {found} entries exceed the limit of {limit}")
            }
            BundleError::TooLarge { path, limit } => {
                write!(f, "bundle: reading {path:?} exceeds the limit of {limit} uncompressed bytes")
            }
            BundleError::UnsupportedCompression(p) => {
                write!(f, "bundle: {p:?} uses a compression method other than Stored or Deflate")
            }
            BundleError::MissingManifest => write!(f, "bundle: no {MANIFEST_NAME}"),
            BundleError::InvalidManifest(why) => write!(f, "bundle: invalid {MANIFEST_NAME}: {why}"),
            BundleError::InvalidTime(t) => write!(f, "bundle: {t} cannot be stored as a zip time (1980-2107)"),
            BundleError::Zip(why) => write!(f, "bundle: damaged archive: {why}"),
        }
    }
}

impl std::error::Error for BundleError {}

impl From<zip::result::ZipError> for BundleError {
    fn from(e: zip::result::ZipError) -> Self {
        BundleError::Zip(e.to_string())
    }
}

/// Checks that `path` is a safe relative `/`-separated path.
pub fn check_path(path: &str) -> Result<(), BundleError> {
    let unsafe_path = || BundleError::UnsafePath(path.to_owned());
    if path.is_empty() || path.len() > 1024 || path.starts_with('/') || path.contains('\\') {
        return Err(unsafe_path());
    }
    if path.chars().any(char::is_control) {
        return Err(unsafe_path());
    }
    let bytes = path.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err(unsafe_path());
    }
    if path.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
        return Err(unsafe_path());
    }
    Ok(())
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn zip_time(t: &Timestamp) -> Result<zip::DateTime, BundleError> {
    let u = t.to_utc().map_err(|_| BundleError::InvalidTime(t.to_rfc3339()))?;
    let d = u.date();
    zip::DateTime::from_date_and_time(d.year(), d.month(), d.day(), u.hour(), u.minute(), u.second())
        .map_err(|_| BundleError::InvalidTime(t.to_rfc3339()))
}

/// Builds the bundle (see the module docs for the layout).
pub fn build(input: &BundleInput) -> Result<Bundle, BundleError> {
    let mut seen = HashSet::new();
    for f in &input.files {
        check_path(&f.path)?;
        if f.path.eq_ignore_ascii_case(MANIFEST_NAME) {
            return Err(BundleError::ReservedPath(f.path.clone()));
        }
        if !seen.insert(f.path.to_lowercase()) {
            return Err(BundleError::DuplicatePath(f.path.clone()));
        }
    }
    let time = zip_time(&input.generated_at)?;
    let generated =
        input.generated_at.to_utc().map_err(|_| BundleError::InvalidTime(input.generated_at.to_rfc3339()))?;
    let files: Vec<Value> = input
        .files
        .iter()
        .map(|f| json!({ "path": f.path, "size": f.bytes.len() as u64, "sha256": sha256_hex(&f.bytes) }))
        .collect();
    let manifest = json!({
        "format": FORMAT,
        "title": input.title,
        "scope": input.scope,
        "period": { "from": input.period.from.to_string(), "to": input.period.to.to_string() },
        "generated_at": generated.to_rfc3339(),
        "files": files
    });
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest).expect("a JSON value always serialises");
    manifest_bytes.push(b'\n');
    let manifest_sha256 = sha256_hex(&manifest_bytes);

    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(MANIFEST_NAME, options)?;
    zip.write_all(&manifest_bytes).map_err(|e| BundleError::Zip(e.to_string()))?;
    for f in &input.files {
        zip.start_file(f.path.as_str(), options)?;
        zip.write_all(&f.bytes).map_err(|e| BundleError::Zip(e.to_string()))?;
    }
    let bytes = zip.finish()?.into_inner();
    Ok(Bundle { bytes, manifest_sha256 })
}

fn parse_manifest(bytes: &[u8]) -> Result<Manifest, BundleError> {
    let bad = |why: &str| BundleError::InvalidManifest(why.to_owned());
    let v: Value = serde_json::from_slice(bytes).map_err(|e| BundleError::InvalidManifest(e.to_string()))?;
    if v["format"] != FORMAT {
        return Err(bad("unknown format"));
    }
    let text =
        |v: &Value, name: &str| v.as_str().map(str::to_owned).ok_or_else(|| bad(&format!("{name} is not a string")));
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for f in v["files"].as_array().ok_or_else(|| bad("files is not a list"))? {
        let path = text(&f["path"], "files[].path")?;
        check_path(&path).map_err(|_| bad(&format!("unsafe path {path:?}")))?;
        if !seen.insert(path.to_lowercase()) {
            return Err(bad(&format!("path {path:?} listed twice")));
        }
        let size = f["size"].as_u64().ok_or_else(|| bad("files[].size is not a number"))?;
        let sha256 = text(&f["sha256"], "files[].sha256")?.to_ascii_lowercase();
        files.push(ManifestEntry { path, size, sha256 });
    }
    Ok(Manifest {
        title: text(&v["title"], "title")?,
        scope: text(&v["scope"], "scope")?,
        period_from: text(&v["period"]["from"], "period.from")?,
        period_to: text(&v["period"]["to"], "period.to")?,
        generated_at: text(&v["generated_at"], "generated_at")?,
        files,
    })
}

/// Reads an entry fully while enforcing the per-entry and total limits.
fn read_limited<R: Read>(
    mut r: R,
    path: &str,
    per_entry: u64,
    budget: &mut u64,
    mut sink: impl FnMut(&[u8]),
) -> Result<u64, BundleError> {
    let mut buf = [0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = r.read(&mut buf).map_err(|e| BundleError::Zip(format!("{path}: {e}")))?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
        if total > per_entry {
            return Err(BundleError::TooLarge { path: path.to_owned(), limit: per_entry });
        }
        if n as u64 > *budget {
            return Err(BundleError::TooLarge { path: path.to_owned(), limit: *budget });
        }
        *budget -= n as u64;
        sink(&buf[..n]);
    }
}

fn le16(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 2).map(|s| u64::from(u16::from_le_bytes([s[0], s[1]])))
}

fn le32(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 4).map(|s| u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]])))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at + 8).map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
}

/// Entry names straight from the central directory.
///
/// The zip reader indexes entries by name, so an archive holding the same name twice
/// would silently show only one of them; reading the directory ourselves catches
/// that, and gives an entry count that no index can collapse.
fn central_directory_names(bytes: &[u8], max_entries: usize) -> Result<Vec<String>, BundleError> {
    let damaged = |why: &str| BundleError::Zip(why.to_owned());
    let min_start = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (min_start..bytes.len().saturating_sub(21))
        .rev()
        .find(|&i| bytes[i..].starts_with(b"PK\x05\x06"))
        .ok_or_else(|| damaged("no end of central directory record"))?;
    let mut entries = le16(bytes, eocd + 10).ok_or_else(|| damaged("short end record"))?;
    let mut offset = le32(bytes, eocd + 16).ok_or_else(|| damaged("short end record"))?;
    if entries == 0xFFFF || offset == 0xFFFF_FFFF {
        let locator = eocd.checked_sub(20).filter(|&l| bytes[l..].starts_with(b"PK\x06\x07"));
        let locator = locator.ok_or_else(|| damaged("zip64 end record locator missing"))?;
        let z64 = le64(bytes, locator + 8).ok_or_else(|| damaged("short zip64 locator"))? as usize;
        if !bytes.get(z64..).is_some_and(|b| b.starts_with(b"PK\x06\x06")) {
            return Err(damaged("zip64 end record missing"));
        }
        entries = le64(bytes, z64 + 32).ok_or_else(|| damaged("short zip64 end record"))?;
        offset = le64(bytes, z64 + 48).ok_or_else(|| damaged("short zip64 end record"))?;
    }
    if entries > max_entries as u64 {
        return Err(BundleError::TooManyEntries { found: entries as usize, limit: max_entries });
    }
    let mut names = Vec::with_capacity(entries as usize);
    let mut at = usize::try_from(offset).map_err(|_| damaged("central directory offset"))?;
    for _ in 0..entries {
        if !bytes.get(at..).is_some_and(|b| b.starts_with(b"PK\x01\x02")) {
            return Err(damaged("central directory entry expected"));
        }
        let name_len = le16(bytes, at + 28).ok_or_else(|| damaged("short directory entry"))? as usize;
        let extra_len = le16(bytes, at + 30).ok_or_else(|| damaged("short directory entry"))? as usize;
        let comment_len = le16(bytes, at + 32).ok_or_else(|| damaged("short directory entry"))? as usize;
        let name = bytes.get(at + 46..at + 46 + name_len).ok_or_else(|| damaged("short directory entry"))?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(names)
}

/// Verifies a bundle with the default [`VerifyLimits`].
pub fn verify(bytes: &[u8]) -> Result<VerifyReport, BundleError> {
    verify_with_limits(bytes, &VerifyLimits::default())
}

/// Verifies a bundle: re-hashes every entry and compares with the manifest.
pub fn verify_with_limits(bytes: &[u8], limits: &VerifyLimits) -> Result<VerifyReport, BundleError> {
    let raw_names = central_directory_names(bytes, limits.max_entries)?;
    let mut raw_seen = HashSet::new();
    for name in &raw_names {
        check_path(name.trim_end_matches('/'))?;
        if !raw_seen.insert(name.to_lowercase()) {
            return Err(BundleError::DuplicatePath(name.clone()));
        }
    }
    let mut archive = ZipArchive::new(Cursor::new(bytes))?;
    if archive.len() != raw_names.len() {
        return Err(BundleError::Zip(format!(
            "the central directory lists {} entries but {} could be indexed",
            raw_names.len(),
            archive.len()
        )));
    }
    // First pass: names, methods and declared sizes, before decompressing anything.
    let mut names = Vec::with_capacity(archive.len());
    let mut seen = HashSet::new();
    let mut declared = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i)?;
        let name = entry.name()?.into_owned();
        check_path(name.trim_end_matches('/'))?;
        if !seen.insert(name.to_lowercase()) {
            return Err(BundleError::DuplicatePath(name));
        }
        if !matches!(entry.compression(), CompressionMethod::Stored | CompressionMethod::Deflated) {
            return Err(BundleError::UnsupportedCompression(name));
        }
        if entry.size() > limits.max_entry_bytes {
            return Err(BundleError::TooLarge { path: name, limit: limits.max_entry_bytes });
        }
        declared = declared.saturating_add(entry.size());
        if declared > limits.max_total_bytes {
            return Err(BundleError::TooLarge { path: name, limit: limits.max_total_bytes });
        }
        names.push((name, entry.is_dir()));
    }
    let mut budget = limits.max_total_bytes;
    let manifest_index = names.iter().position(|(n, _)| n == MANIFEST_NAME).ok_or(BundleError::MissingManifest)?;
    let mut manifest_bytes = Vec::new();
    {
        let entry = archive.by_index(manifest_index)?;
        let per_entry = limits.max_manifest_bytes.min(limits.max_entry_bytes);
        read_limited(entry, MANIFEST_NAME, per_entry, &mut budget, |chunk| manifest_bytes.extend_from_slice(chunk))?;
    }
    let manifest_sha256 = sha256_hex(&manifest_bytes);
    let manifest = parse_manifest(&manifest_bytes)?;

    let mut found: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut extra = Vec::new();
    for (i, (name, is_dir)) in names.iter().enumerate() {
        if i == manifest_index {
            continue;
        }
        let listed = manifest.files.iter().any(|f| f.path == *name);
        if *is_dir || !listed {
            extra.push(name.clone());
            continue;
        }
        let entry = archive.by_index(i)?;
        let mut hasher = Sha256::new();
        let size = read_limited(entry, name, limits.max_entry_bytes, &mut budget, |chunk| hasher.update(chunk))?;
        found.insert(name.clone(), (size, hex(&hasher.finalize())));
    }
    let mut intact = Vec::new();
    let mut missing = Vec::new();
    let mut altered = Vec::new();
    for f in &manifest.files {
        match found.get(&f.path) {
            None => missing.push(f.path.clone()),
            Some((size, sha)) if *size == f.size && *sha == f.sha256 => intact.push(f.path.clone()),
            Some((size, sha)) => altered.push(AlteredFile {
                path: f.path.clone(),
                expected_sha256: f.sha256.clone(),
                actual_sha256: sha.clone(),
                expected_size: f.size,
                actual_size: *size,
            }),
        }
    }
    Ok(VerifyReport { manifest, manifest_sha256, intact, missing, extra, altered })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_recognised() {
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a\\b", "C:/x", "c:x", "a//b", "./a", "a/", "a\nb"] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
        for ok in ["a", "evidence/2026/backup test.pdf", "ü/ß.txt", "a..b", ".hidden"] {
            assert!(check_path(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
