//! Imports of declared inventory (spreadsheets of assets, data flows, zones, conduits and
//! interfaces) into one site.
//!
//! - A file is read by `c981-ingest` (CSV or XLSX, header aliases, explicit mappings, zip-bomb
//!   limits, formulas never evaluated); every row goes through the entity's one validation path.
//! - Identity: an asset is matched within the site by MAC address, then serial number, then IP
//!   address, then name, in that order; a zone, conduit or interface by name; a flow by its
//!   endpoints, protocol and port. A row matching several records is a conflict, never applied.
//!   A matched record gets only the columns the file has; re-importing a file changes nothing.
//! - Rows that repeat an earlier row of the file are counted as duplicates; rows that describe
//!   the same record differently are conflicts.
//! - By default one bad row (or conflict) refuses the whole file and nothing is stored; with
//!   `skip_invalid` the good rows are stored and the others reported.
//! - Everything is written in one transaction: the records with an audit entry each (old and
//!   new values), then the import's history row and an `import` audit entry with the file's
//!   SHA-256 and the counts.

use std::collections::HashMap;

use c981_domain::entity::Entity;
use c981_domain::{Asset, Conduit, DataFlow, EntityKind, Interface, Record, SiteId, ValidationError, Zone};
use c981_ingest::tabular::{self, Column, Reader, Row, TargetKind};
use c981_store::{NewImport, Table};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{App, AppError, Ctx, Result, input_from_json};

/// Rows written per statement batch (and records fetched per read).
const BATCH: usize = 2000;
/// Problems listed in a report beyond this many are counted, not listed.
const MAX_LISTED: usize = 1000;

/// What a file describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Assets,
    Flows,
    Zones,
    Conduits,
    Interfaces,
    Zeek,
    Nmap,
}

impl ImportKind {
    pub const ALL: [ImportKind; 7] =
        [Self::Assets, Self::Flows, Self::Zones, Self::Conduits, Self::Interfaces, Self::Zeek, Self::Nmap];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assets => "assets",
            Self::Flows => "flows",
            Self::Zones => "zones",
            Self::Conduits => "conduits",
            Self::Interfaces => "interfaces",
            Self::Zeek => "zeek",
            Self::Nmap => "nmap",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A spreadsheet kind (declared inventory), as opposed to observed traffic or a scan.
    pub fn is_spreadsheet(self) -> bool {
        !matches!(self, Self::Zeek | Self::Nmap)
    }
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Explicit column mappings, `"Asset Tag=name"`, `"Notes=-"`.
    pub mapping: Vec<String>,
    /// The XLSX worksheet (default: the first visible one).
    pub sheet: Option<String>,
    /// Report what would happen; store nothing.
    pub dry_run: bool,
    /// Store the good rows and report the others (default: one bad row refuses the file).
    pub skip_invalid: bool,
}

/// A row that was not imported, or a finding about the file.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The line (CSV) or row (XLSX), 1-based.
    pub line: Option<u64>,
    /// The column, as `C ("IP Address")`.
    pub column: Option<String>,
    /// The field it concerns.
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    fn row(line: u64, message: impl Into<String>) -> Self {
        Self { line: Some(line), column: None, field: None, message: message.into() }
    }

    /// `file:line: column C ("IP"): reason`.
    pub fn display(&self, file: &str) -> String {
        let mut s = file.to_owned();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
        }
        s.push_str(": ");
        if let Some(c) = &self.column {
            s.push_str(c);
            s.push_str(": ");
        } else if let Some(f) = &self.field {
            s.push_str(&format!("field {f}: "));
        }
        s.push_str(&self.message);
        s
    }
}

/// What an import did, or would do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub kind: Option<ImportKind>,
    pub file: String,
    pub sha256: String,
    pub format: String,
    /// The columns found and the field each maps to (`None`: not imported).
    pub columns: Vec<(String, Option<String>)>,
    pub dry_run: bool,
    /// True when the records were stored.
    pub stored: bool,
    /// The history row, once stored.
    pub import_id: Option<i64>,
    pub rows_read: u64,
    pub blank_rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows repeating an earlier row of the file.
    pub duplicates: u64,
    /// Assets created as observed and to review (traffic and scans).
    pub staged: u64,
    /// Observed values that differ from declared ones, filed for review.
    pub proposals: u64,
    /// Rows not imported because they are wrong (listed up to a limit; `rejected_count` is all).
    pub rejected: Vec<Problem>,
    pub rejected_count: u64,
    /// Rows matching several records, or contradicting an earlier row.
    pub conflicts: Vec<Problem>,
    pub conflict_count: u64,
    pub warnings: Vec<String>,
}

impl ImportReport {
    fn reject(&mut self, p: Problem) {
        self.rejected_count += 1;
        if self.rejected.len() < MAX_LISTED {
            self.rejected.push(p);
        }
    }

    fn conflict(&mut self, p: Problem) {
        self.conflict_count += 1;
        if self.conflicts.len() < MAX_LISTED {
            self.conflicts.push(p);
        }
    }

    /// Rows refused (bad or conflicting).
    pub fn refused_rows(&self) -> u64 {
        self.rejected_count + self.conflict_count
    }

    /// A one-line summary.
    pub fn summary(&self) -> String {
        let (state, verb) = if self.dry_run {
            (" (dry run, nothing stored)", "would be ")
        } else if self.stored {
            ("", "")
        } else {
            (" (refused, nothing stored)", "would have been ")
        };
        format!(
            "{}{state}: {} rows read; {verb}{} created, {} updated, {} unchanged, {} duplicates; {} rejected, {} conflicts{}{}",
            self.file,
            self.rows_read,
            self.created,
            self.updated,
            self.unchanged,
            self.duplicates,
            self.rejected_count,
            self.conflict_count,
            if self.staged > 0 { format!("; {} staged to review", self.staged) } else { String::new() },
            if self.proposals > 0 { format!("; {} observed values to review", self.proposals) } else { String::new() },
        )
    }

    /// The refused rows as CSV (`line,column,reason`), formula-safe, for `--skip-invalid`.
    pub fn rejects_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["line", "column", "kind", "reason"]);
        for (kind, list) in [("rejected", &self.rejected), ("conflict", &self.conflicts)] {
            for p in list {
                let line = p.line.map(|l| l.to_string()).unwrap_or_default();
                let col = p.column.clone().or_else(|| p.field.clone()).unwrap_or_default();
                let _ = w.write_record([line, safe_cell(&col), kind.to_owned(), safe_cell(&p.message)]);
            }
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// A CSV cell a spreadsheet will not read as a formula.
fn safe_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() }
}

/// The SHA-256 of a file, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The site's names and addresses, to resolve the names a spreadsheet uses.
pub(crate) struct Names {
    pub site: SiteId,
    pub site_code: String,
    pub site_name: String,
    /// Lower-cased zone name → id.
    pub zones: HashMap<String, i64>,
    /// Lower-cased asset name → id.
    pub assets: HashMap<String, i64>,
    /// `ip:…`, `mac:…`, `serial:…` → asset ids.
    pub asset_keys: HashMap<String, Vec<i64>>,
}

impl Names {
    /// The asset a name, IP address or MAC address denotes, if exactly one.
    fn asset(&self, v: &str) -> Option<i64> {
        if let Some(id) = self.assets.get(&v.to_lowercase()) {
            return Some(*id);
        }
        let key = if let Ok(ip) = c981_domain::values::parse_ip(v) {
            format!("ip:{ip}")
        } else if let Some(mac) = c981_ingest::zeek::parse_mac(v) {
            format!("mac:{}", c981_ingest::zeek::format_mac(mac))
        } else {
            return None;
        };
        match self.asset_keys.get(&key).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            _ => None,
        }
    }
}

/// An entity a spreadsheet can create and update.
pub(crate) trait Importable: Table + PartialEq {
    const TARGET: TargetKind;
    /// Resolves the file's pseudo-fields and names into the input object.
    fn resolve(
        row: &Row,
        obj: &mut Map<String, Value>,
        names: &Names,
        col: &dyn Fn(&str) -> Option<String>,
    ) -> std::result::Result<(), Problem>;
    /// Identity keys, in groups of decreasing priority.
    fn keys(&self) -> Vec<Vec<String>>;
    /// Keys no two records may share (the name, for most).
    fn unique_keys(&self) -> Vec<String> {
        self.keys().last().cloned().unwrap_or_default()
    }
}

fn describe_ids(ids: &[i64], touched: &HashMap<i64, (u64, u64)>) -> String {
    ids.iter()
        .map(|i| {
            if *i > 0 {
                format!("#{i}")
            } else {
                touched.get(i).map(|(l, _)| format!("the row of line {l}")).unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn col_problem(line: u64, column: Option<String>, field: &str, message: String) -> Problem {
    Problem { line: Some(line), column, field: Some(field.to_owned()), message }
}

/// A numeric id of the site's zone, or a zone name.
fn zone_ref(v: &str, names: &Names) -> Option<i64> {
    if let Ok(id) = v.parse::<i64>()
        && names.zones.values().any(|z| *z == id)
    {
        return Some(id);
    }
    names.zones.get(&v.to_lowercase()).copied()
}

fn resolve_zone_field(
    row: &Row,
    obj: &mut Map<String, Value>,
    names: &Names,
    field: &str,
    col: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<(), Problem> {
    if let Some(Value::String(v)) = obj.get(field).cloned() {
        match zone_ref(&v, names) {
            Some(id) => {
                obj.insert(field.to_owned(), Value::String(id.to_string()));
            }
            None => {
                return Err(col_problem(
                    row.line(),
                    col(field),
                    field,
                    format!("no zone named {v:?} in site {}", names.site_code),
                ));
            }
        }
    }
    Ok(())
}

/// Checks a row's own site column against the site imported into.
fn check_site(
    row: &Row,
    obj: &mut Map<String, Value>,
    names: &Names,
    col: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<(), Problem> {
    if let Some(v) = row.get("site") {
        let ok = v.eq_ignore_ascii_case(&names.site_code) || v.eq_ignore_ascii_case(&names.site_name);
        if !ok {
            return Err(col_problem(
                row.line(),
                col("site"),
                "site",
                format!("the row is for site {v:?}, the import is into {} ({})", names.site_code, names.site_name),
            ));
        }
    }
    if let Some(Value::String(v)) = obj.get("site_id")
        && v != &names.site.get().to_string()
    {
        return Err(col_problem(
            row.line(),
            col("site_id"),
            "site_id",
            format!("the row is for site id {v}, the import is into {} (id {})", names.site_code, names.site.get()),
        ));
    }
    obj.insert("site_id".into(), Value::String(names.site.get().to_string()));
    Ok(())
}

fn key_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

impl Importable for Asset {
    const TARGET: TargetKind = TargetKind::Assets;

    fn resolve(
        row: &Row,
        obj: &mut Map<String, Value>,
        names: &Names,
        col: &dyn Fn(&str) -> Option<String>,
    ) -> std::result::Result<(), Problem> {
        check_site(row, obj, names, col)?;
        resolve_zone_field(row, obj, names, "zone_id", col)
    }

    fn keys(&self) -> Vec<Vec<String>> {
        vec![
            self.mac_addresses.iter().map(|m| format!("mac:{}", key_str(m))).collect(),
            if self.serial.as_str().is_empty() {
                Vec::new()
            } else {
                vec![format!("serial:{}", self.serial.as_str().to_lowercase())]
            },
            self.ip_addresses.iter().map(|ip| format!("ip:{ip}")).collect(),
            vec![format!("name:{}", self.name.as_str().to_lowercase())],
        ]
    }
}

impl Importable for Zone {
    const TARGET: TargetKind = TargetKind::Zones;

    fn resolve(
        row: &Row,
        obj: &mut Map<String, Value>,
        names: &Names,
        col: &dyn Fn(&str) -> Option<String>,
    ) -> std::result::Result<(), Problem> {
        check_site(row, obj, names, col)
    }

    fn keys(&self) -> Vec<Vec<String>> {
        vec![vec![format!("name:{}", self.name.as_str().to_lowercase())]]
    }
}

impl Importable for Conduit {
    const TARGET: TargetKind = TargetKind::Conduits;

    fn resolve(
        row: &Row,
        obj: &mut Map<String, Value>,
        names: &Names,
        col: &dyn Fn(&str) -> Option<String>,
    ) -> std::result::Result<(), Problem> {
        check_site(row, obj, names, col)?;
        let mut zones: Vec<(String, &str)> = Vec::new();
        if let Some(v) = row.get("zones") {
            zones.extend(c981_domain::entity::split_list(v).into_iter().map(|z| (z, "zones")));
        }
        for f in ["from_zone", "to_zone"] {
            if let Some(v) = row.get(f) {
                zones.push((v.to_owned(), f));
            }
        }
        if let Some(Value::String(v)) = obj.get("zone_ids").cloned() {
            zones.extend(c981_domain::entity::split_list(&v).into_iter().map(|z| (z, "zone_ids")));
        }
        if zones.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::new();
        for (z, f) in zones {
            match zone_ref(&z, names) {
                Some(id) => ids.push(Value::String(id.to_string())),
                None => {
                    return Err(col_problem(
                        row.line(),
                        col(f),
                        f,
                        format!("no zone named {z:?} in site {}", names.site_code),
                    ));
                }
            }
        }
        obj.insert("zone_ids".into(), Value::Array(ids));
        Ok(())
    }

    fn keys(&self) -> Vec<Vec<String>> {
        vec![vec![format!("name:{}", self.name.as_str().to_lowercase())]]
    }
}

impl Importable for Interface {
    const TARGET: TargetKind = TargetKind::Interfaces;

    fn resolve(
        row: &Row,
        obj: &mut Map<String, Value>,
        names: &Names,
        col: &dyn Fn(&str) -> Option<String>,
    ) -> std::result::Result<(), Problem> {
        check_site(row, obj, names, col)?;
        if let Some(v) = row.get("asset") {
            match names.asset(v) {
                Some(id) => {
                    obj.insert("asset_id".into(), Value::String(id.to_string()));
                }
                None => {
                    return Err(col_problem(
                        row.line(),
                        col("asset"),
                        "asset",
                        format!("no single asset named or addressed {v:?} in site {}", names.site_code),
                    ));
                }
            }
        }
        if let Some(v) = row.get("zone") {
            obj.insert("zone_id".into(), Value::String(v.to_owned()));
        }
        resolve_zone_field(row, obj, names, "zone_id", col)
    }

    fn keys(&self) -> Vec<Vec<String>> {
        vec![vec![format!("name:{}", self.name.as_str().to_lowercase())]]
    }
}

impl Importable for DataFlow {
    const TARGET: TargetKind = TargetKind::Flows;

    fn resolve(
        row: &Row,
        obj: &mut Map<String, Value>,
        names: &Names,
        col: &dyn Fn(&str) -> Option<String>,
    ) -> std::result::Result<(), Problem> {
        check_site(row, obj, names, col)?;
        for (pseudo, asset_field, external_field) in [
            ("source", "source_asset_id", "source_external"),
            ("destination", "destination_asset_id", "destination_external"),
        ] {
            if let Some(v) = row.get(pseudo) {
                match names.asset(v) {
                    Some(id) => obj.insert(asset_field.into(), Value::String(id.to_string())),
                    None => obj.insert(external_field.into(), Value::String(v.to_owned())),
                };
            }
        }
        // A spreadsheet documents flows.
        obj.entry("documented").or_insert(Value::String("true".into()));
        Ok(())
    }

    fn keys(&self) -> Vec<Vec<String>> {
        vec![vec![flow_key(self)]]
    }
}

/// The identity of a flow as the store's unique key has it.
pub(crate) fn flow_key(f: &DataFlow) -> String {
    format!("{}|{}|{}|{}", f.source.key(), f.destination.key(), key_str(&f.protocol), f.port.unwrap_or(0))
}

/// Where a row went.
enum Outcome<T> {
    Create(T),
    Update(i64, T),
    Unchanged,
}

/// The identity index: key → record ids (stored ids positive, rows of this file negative).
///
/// Keys are kept as 64-bit hashes, one machine word per key and usually one id, so a site of a
/// million assets (four million keys) indexes in well under 100 MB. Two different keys
/// sharing a hash is a chance of about one in two million for a million-asset site.
#[derive(Default)]
struct Index {
    one: HashMap<u64, i64>,
    /// Keys held by several records (`one` then holds [`MANY`]).
    many: HashMap<u64, Vec<i64>>,
}

const MANY: i64 = i64::MIN;

fn key_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl Index {
    fn add(&mut self, key: &str, id: i64) {
        let k = key_hash(key);
        match self.one.entry(k) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(id);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let prev = *o.get();
                if prev == id {
                } else if prev == MANY {
                    let ids = self.many.entry(k).or_default();
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                } else {
                    o.insert(MANY);
                    self.many.insert(k, vec![prev, id]);
                }
            }
        }
    }

    fn remove(&mut self, key: &str, id: i64) {
        let k = key_hash(key);
        match self.one.get(&k).copied() {
            Some(MANY) => {
                if let Some(ids) = self.many.get_mut(&k) {
                    ids.retain(|x| *x != id);
                    match ids.as_slice() {
                        [] => {
                            self.many.remove(&k);
                            self.one.remove(&k);
                        }
                        [last] => {
                            let last = *last;
                            self.many.remove(&k);
                            self.one.insert(k, last);
                        }
                        _ => {}
                    }
                }
            }
            Some(x) if x == id => {
                self.one.remove(&k);
            }
            _ => {}
        }
    }

    fn get(&self, key: &str) -> Vec<i64> {
        let k = key_hash(key);
        match self.one.get(&k).copied() {
            None => Vec::new(),
            Some(MANY) => self.many.get(&k).cloned().unwrap_or_default(),
            Some(id) => vec![id],
        }
    }

    /// The record a row's keys denote: by the first group that matches anything.
    fn find(&self, groups: &[Vec<String>]) -> std::result::Result<Option<i64>, Vec<i64>> {
        for g in groups {
            let mut found: Vec<i64> = g.iter().flat_map(|k| self.get(k)).collect();
            found.sort_unstable();
            found.dedup();
            match found.as_slice() {
                [] => continue,
                [one] => return Ok(Some(*one)),
                _ => return Err(found),
            }
        }
        Ok(None)
    }
}

/// The column header a field came from, for messages.
fn column_of(columns: &[Column], field: &str) -> Option<String> {
    columns.iter().find(|c| c.field.is_some_and(|f| f.name() == field)).map(|c| c.at.to_string())
}

fn validation_problems(line: u64, e: &ValidationError, columns: &[Column]) -> Vec<Problem> {
    e.errors
        .iter()
        .map(|f| {
            let base = f.field.split(['.', '[']).next().unwrap_or(&f.field);
            Problem {
                line: Some(line),
                column: column_of(columns, base),
                field: Some(f.field.clone()),
                message: f.message.clone(),
            }
        })
        .collect()
}

fn app_problems(line: u64, e: AppError, columns: &[Column]) -> Vec<Problem> {
    match e {
        AppError::Invalid(v) => validation_problems(line, &v, columns),
        other => vec![Problem::row(line, other.to_string())],
    }
}

/// Merges a row's columns over a stored record: the columns the file has replace the stored
/// values, the others stay.
fn merged<T: Entity>(old: &T, obj: &Map<String, Value>) -> Result<T> {
    let mut base = match serde_json::to_value(old.to_input()) {
        Ok(Value::Object(m)) => m,
        _ => return Err(AppError::Internal("a record's input is not an object".into())),
    };
    for (k, v) in obj {
        base.insert(k.clone(), v.clone());
    }
    let input = input_from_json::<T>(Value::Object(base))?;
    Ok(T::parse(&input)?)
}

/// A file to import: its name (for messages and the history) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// Rows matched to stored records, and the task reading those records.
type Fetching<T> =
    (Vec<Matched<T>>, tokio::task::JoinHandle<std::result::Result<Vec<Record<T>>, c981_store::StoreError>>);

/// A row matched (or not) to a stored record.
type Matched<T> = (u64, Map<String, Value>, T, Option<i64>);

/// A progress report: rows done so far.
pub type Progress<'a> = Option<&'a (dyn Fn(u64) + Send + Sync)>;

impl App {
    /// The site's zones, and only the assets holding one of `keys` (`ip:…`, `mac:…`,
    /// `serial:…`) or named one of `names`: what an observation batch needs, read by index
    /// however large the site.
    pub(crate) async fn site_names_for(
        &self,
        ctx: &Ctx,
        site: SiteId,
        keys: &[String],
        names: &[String],
    ) -> Result<Names> {
        let mut n = self.site_names(ctx, site, false).await?;
        let values: Vec<String> = keys.iter().filter_map(|k| k.split_once(':').map(|(_, v)| v.to_owned())).collect();
        for (id, kind, value) in self.store().asset_keys_among(site, &values).await? {
            let k = format!("{kind}:{value}");
            if keys.contains(&k) {
                let ids = n.asset_keys.entry(k).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        for (id, name) in self.store().assets_named(site, names).await? {
            n.assets.insert(name.to_lowercase(), id);
        }
        Ok(n)
    }

    /// The names and addresses of a site (zones, assets) for resolving a file's references.
    pub(crate) async fn site_names(&self, ctx: &Ctx, site: SiteId, with_assets: bool) -> Result<Names> {
        let s = self.store().get::<c981_domain::Site>(&ctx.actor.scope, site.get()).await?;
        let store = self.store();
        let zones = store.names_of("zones", site).await?.into_iter().map(|(id, n)| (n.to_lowercase(), id)).collect();
        let mut assets = HashMap::new();
        let mut asset_keys: HashMap<String, Vec<i64>> = HashMap::new();
        if with_assets {
            assets = store.names_of("assets", site).await?.into_iter().map(|(id, n)| (n.to_lowercase(), id)).collect();
            for (id, kind, value) in store.asset_keys_of(site).await? {
                asset_keys.entry(format!("{kind}:{value}")).or_default().push(id);
            }
        }
        Ok(Names {
            site,
            site_code: s.data.code.as_str().to_owned(),
            site_name: s.data.name.as_str().to_owned(),
            zones,
            assets,
            asset_keys,
        })
    }

    /// Imports a file of `kind` into `site` (see the module documentation).
    pub async fn import_file(
        &self,
        ctx: &Ctx,
        kind: ImportKind,
        site: SiteId,
        upload: Upload<'_>,
        opts: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        let Upload { name: file, bytes } = upload;
        match kind {
            ImportKind::Assets => self.import_rows::<Asset>(ctx, kind, site, file, bytes, opts, progress).await,
            ImportKind::Flows => self.import_rows::<DataFlow>(ctx, kind, site, file, bytes, opts, progress).await,
            ImportKind::Zones => self.import_rows::<Zone>(ctx, kind, site, file, bytes, opts, progress).await,
            ImportKind::Conduits => self.import_rows::<Conduit>(ctx, kind, site, file, bytes, opts, progress).await,
            ImportKind::Interfaces => self.import_rows::<Interface>(ctx, kind, site, file, bytes, opts, progress).await,
            ImportKind::Zeek | ImportKind::Nmap => {
                self.import_observed(ctx, kind, site, file, bytes, opts, progress).await
            }
        }
    }

    /// Refuses an import by an actor who may not write the site (audited).
    pub(crate) async fn authorize_import(&self, ctx: &Ctx, entity: EntityKind, site: SiteId) -> Result<()> {
        if !ctx.actor.may_see(site) {
            return Err(AppError::NotFound { kind: EntityKind::Site, id: site.get() });
        }
        self.authorize_write(ctx, entity, None, Some(site)).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn import_rows<T: Importable>(
        &self,
        ctx: &Ctx,
        kind: ImportKind,
        site: SiteId,
        file: &str,
        bytes: &[u8],
        opts: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.authorize_import(ctx, T::KIND, site).await?;
        let started = self.now();
        // Assets are matched through the index below; other kinds name assets.
        let names = self.site_names(ctx, site, T::KIND != EntityKind::Asset).await?;
        let sha256 = sha256_hex(bytes);
        let ingest_opts =
            tabular::Options { mapping: opts.mapping.clone(), sheet: opts.sheet.clone(), ..Default::default() };
        let mut reader =
            Reader::open(file, bytes, T::TARGET, &ingest_opts).map_err(|e| AppError::field("file", e.to_string()))?;
        let columns: Vec<Column> = reader.columns().to_vec();
        let mut report = ImportReport {
            kind: Some(kind),
            file: file.to_owned(),
            sha256: sha256.clone(),
            format: match reader.format() {
                tabular::Format::Csv { delimiter, .. } => format!("CSV ({:?} separated)", *delimiter as char),
                tabular::Format::Xlsx { sheet } => format!("XLSX (sheet {sheet:?})"),
            },
            columns: columns.iter().map(|c| (c.at.to_string(), c.field.map(|f| f.name().to_owned()))).collect(),
            dry_run: opts.dry_run,
            ..Default::default()
        };
        report.warnings.extend(reader.warnings().iter().map(|w| w.to_string()));

        // The identity index of what the site holds.
        let mut index = Index::default();
        if T::KIND == EntityKind::Asset {
            let mut key = String::new();
            self.store()
                .for_each_asset_key(site, |id, kind, value| {
                    key.clear();
                    key.push_str(kind);
                    key.push(':');
                    if kind == "name" {
                        key.push_str(&value.to_lowercase());
                    } else {
                        key.push_str(value);
                    }
                    index.add(&key, id);
                })
                .await?;
        } else if T::KIND == EntityKind::Flow {
            for (id, key) in self.store().flow_keys_of(site).await? {
                index.add(&key, id);
            }
        } else {
            for (id, n) in self.store().names_of(T::TABLE, site).await? {
                index.add(&format!("name:{}", n.to_lowercase()), id);
            }
        }

        let col = |f: &str| column_of(&columns, f);
        // Records this file touched: id → (line, the data it gave them, hashed).
        let mut touched: HashMap<i64, (u64, u64)> = HashMap::new();
        let mut next_temp: i64 = -1;
        let mut pending: Vec<(u64, Map<String, Value>, T)> = Vec::with_capacity(BATCH);
        let mut creates: Vec<(i64, T)> = Vec::new();
        let mut updates: Vec<(Record<T>, T)> = Vec::new();
        let mut tx = if opts.dry_run {
            None
        } else {
            let mut meta = self.meta(ctx);
            meta.reason = Some(format!("import of {file} (SHA-256 {sha256})"));
            Some(self.store().begin_import(&meta).await?)
        };
        let mut rows = reader.rows();
        let mut done: u64 = 0;
        // The previous batch is written by a task of its own (on another worker thread) while
        // this one reads and validates the next: the transaction goes to the writer and comes
        // back when its batch is written.
        let mut writer: Option<tokio::task::JoinHandle<Result<c981_store::ImportTx>>> = None;
        let join = |r: std::result::Result<Result<c981_store::ImportTx>, tokio::task::JoinError>| {
            r.map_err(|e| AppError::Internal(format!("the import's writer stopped: {e}")))?
        };
        let mut fetching: Option<Fetching<T>> = None;
        let mut finished = false;
        loop {
            let read = async {
                let mut end = false;
                while pending.len() < BATCH {
                    let Some(item) = rows.next() else {
                        end = true;
                        break;
                    };
                    done += 1;
                    if done.is_multiple_of(64) {
                        // Lets the write of the previous batch move on between rows.
                        tokio::task::yield_now().await;
                    }
                    if let Some(p) = progress
                        && done.is_multiple_of(10_000)
                    {
                        p(done);
                    }
                    let row = match item {
                        Ok(r) => r,
                        Err(e) => {
                            report.reject(Problem {
                                line: Some(e.line),
                                column: e.column.as_ref().map(|c| c.to_string()),
                                field: None,
                                message: match &e.kind {
                                    tabular::RowErrorKind::TooManyCells { cells, headers } => {
                                        format!("the row has {cells} cells, the header {headers}")
                                    }
                                    tabular::RowErrorKind::Unreadable(why) => format!("cannot read further: {why}"),
                                    _ => e.to_string(),
                                },
                            });
                            continue;
                        }
                    };
                    if row.is_empty() {
                        report.blank_rows += 1;
                        continue;
                    }
                    report.rows_read += 1;
                    let mut obj = row.to_json_object();
                    if let Err(p) = T::resolve(&row, &mut obj, &names, &col) {
                        report.reject(p);
                        continue;
                    }
                    let parsed = input_from_json::<T>(Value::Object(obj.clone())).and_then(|i| Ok(T::parse(&i)?));
                    match parsed {
                        Ok(d) => pending.push((row.line(), obj, d)),
                        Err(e) => {
                            for p in app_problems(row.line(), e, &columns) {
                                report.reject(p);
                            }
                        }
                    }
                }
                end
            };
            let end = if finished {
                drop(read);
                true
            } else {
                read.await
            };
            // Decide the previous batch, whose stored records were read meanwhile.
            if let Some((matched, fetch)) = fetching.take() {
                let stored: HashMap<i64, Record<T>> = fetch
                    .await
                    .map_err(|e| AppError::Internal(format!("the import's reader stopped: {e}")))??
                    .into_iter()
                    .map(|r| (r.id.into(), r))
                    .collect();
                for (line, obj, data, found) in matched {
                    let outcome = match found {
                        None => Outcome::Create(data),
                        Some(id) if touched.contains_key(&id) => {
                            let (first, hash) = touched[&id];
                            // The same cells as the first row that touched it: a duplicate.
                            match Ok::<u64, AppError>(hash_obj(&obj)) {
                                Ok(h) if h == hash => report.duplicates += 1,
                                Ok(_) => report.conflict(Problem::row(
                                    line,
                                    format!(
                                        "describes the same {} as line {first} differently; not applied",
                                        T::KIND.label().to_lowercase()
                                    ),
                                )),
                                Err(e) => app_problems(line, e, &columns).into_iter().for_each(|p| report.reject(p)),
                            }
                            continue;
                        }
                        Some(id) => match stored.get(&id) {
                            // Cells equal to the stored values as written: unchanged, without
                            // validating the row again.
                            Some(rec) if same_as_stored(&rec.data, &obj) => Outcome::Unchanged,
                            Some(rec) => match merged::<T>(&rec.data, &obj) {
                                Ok(new) if new == rec.data => Outcome::Unchanged,
                                Ok(new) => Outcome::Update(id, new),
                                Err(e) => {
                                    app_problems(line, e, &columns).into_iter().for_each(|p| report.reject(p));
                                    continue;
                                }
                            },
                            None => Outcome::Create(data),
                        },
                    };
                    match outcome {
                        Outcome::Create(d) => {
                            let temp = next_temp;
                            next_temp -= 1;
                            for g in d.keys() {
                                for k in g {
                                    index.add(&k, temp);
                                }
                            }
                            touched.insert(temp, (line, hash_obj(&obj)));
                            report.created += 1;
                            creates.push((temp, d));
                        }
                        Outcome::Update(id, d) => {
                            // The index follows the new keys (a later row may match by them).
                            if let Some(rec) = stored.get(&id) {
                                for g in rec.data.keys() {
                                    for k in g {
                                        index.remove(&k, id);
                                    }
                                }
                            }
                            for g in d.keys() {
                                for k in g {
                                    index.add(&k, id);
                                }
                            }
                            touched.insert(id, (line, hash_obj(&obj)));
                            report.updated += 1;
                            if let Some(rec) = stored.get(&id) {
                                updates.push((rec.clone(), d));
                            }
                        }
                        Outcome::Unchanged => {
                            if let Some(id) = found {
                                touched.insert(id, (line, hash_obj(&obj)));
                            }
                            report.unchanged += 1;
                        }
                    }
                }
                // Write what the batch decided (a refused file is rolled back at the end).
                let refuse = report.refused_rows() > 0 && !opts.skip_invalid;
                if let Some(w) = writer.take() {
                    tx = Some(join(w.await)?);
                }
                if !refuse && let Some(mut t) = tx.take() {
                    let items: Vec<T> = creates.drain(..).map(|(_, d)| d).collect();
                    let ups: Vec<(Record<T>, T)> = std::mem::take(&mut updates);
                    writer = Some(tokio::spawn(async move {
                        t.create(&items).await?;
                        t.update(&ups).await?;
                        Ok(t)
                    }));
                } else {
                    creates.clear();
                    updates.clear();
                }
            }
            if finished {
                if let Some(w) = writer.take() {
                    tx = Some(join(w.await)?);
                }
                break;
            }
            // Resolve the batch: match each row (in file order, so a row sees the rows before
            // it), then fetch the stored records matched.
            let mut matched: Vec<Matched<T>> = Vec::with_capacity(pending.len());
            for (line, obj, data) in pending.drain(..) {
                let found = match index.find(&data.keys()) {
                    Err(ids) => {
                        report.conflict(Problem::row(
                            line,
                            format!(
                                "matches several {}: {}; not applied",
                                T::KIND.label_plural().to_lowercase(),
                                describe_ids(&ids, &touched)
                            ),
                        ));
                        continue;
                    }
                    Ok(found) => found,
                };
                // A unique key (a name) held by another record is a conflict too.
                let others: Vec<i64> =
                    data.unique_keys().iter().flat_map(|k| index.get(k)).filter(|i| Some(*i) != found).collect();
                if !others.is_empty() {
                    report.conflict(Problem::row(
                        line,
                        format!(
                            "its name is already used by {}, which its addresses or serial do not match; not applied",
                            describe_ids(&others, &touched)
                        ),
                    ));
                    continue;
                }
                if found.is_none() {
                    // Reserve the keys now: a later row of the batch matches this one.
                    let temp = next_temp;
                    next_temp -= 1;
                    for g in data.keys() {
                        for k in g {
                            index.add(&k, temp);
                        }
                    }
                    touched.insert(temp, (line, hash_obj(&obj)));
                    report.created += 1;
                    creates.push((temp, data));
                    continue;
                }
                matched.push((line, obj, data, found));
            }
            // The stored records it matched are read by a task of their own while the next
            // batch is parsed.
            let ids: Vec<i64> =
                matched.iter().filter_map(|p| p.3).filter(|i| *i > 0 && !touched.contains_key(i)).collect();
            let store = self.store().clone();
            let fetch = tokio::spawn(async move { store.records_by_ids::<T>(site, &ids).await });
            fetching = Some((matched, fetch));
            finished = end;
        }
        drop(rows);
        report.blank_rows += reader.blank_rows();
        if let Some(p) = progress {
            p(done);
        }
        let refuse = report.refused_rows() > 0 && !opts.skip_invalid;
        match tx {
            Some(t) if !refuse => {
                let id = t
                    .finish(NewImport {
                        site_id: site.get(),
                        kind: kind.as_str().into(),
                        source: file.to_owned(),
                        sha256,
                        started_at: Some(started),
                        rows_read: report.rows_read as i64,
                        created: report.created as i64,
                        updated: report.updated as i64,
                        unchanged: (report.unchanged + report.duplicates) as i64,
                        rejected: report.refused_rows() as i64,
                        staged: 0,
                        proposals: 0,
                        note: String::new(),
                    })
                    .await?;
                report.stored = true;
                report.import_id = Some(id);
                if report.created + report.updated >= 50_000 {
                    // A large load changes the tables' shape: fresh planner statistics.
                    self.store().optimize().await?;
                }
            }
            _ => {}
        }
        Ok(report)
    }

    /// The import history of the caller's sites (or one), newest first.
    pub async fn imports(
        &self,
        ctx: &Ctx,
        site: Option<SiteId>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<c981_store::ImportRow>> {
        Ok(self.store().imports(&ctx.actor.scope, site, before, limit).await?)
    }

    /// One import.
    pub async fn import_entry(&self, ctx: &Ctx, id: i64) -> Result<c981_store::ImportRow> {
        Ok(self.store().import(&ctx.actor.scope, id).await?)
    }
}

/// A hash of a row's cells (field and text), to tell a repeated row from a different one.
fn hash_obj(obj: &Map<String, Value>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    for (k, v) in obj {
        k.hash(&mut h);
        match v {
            Value::String(s) => s.hash(&mut h),
            other => other.to_string().hash(&mut h),
        }
    }
    h.finish()
}

/// True when every cell of the row equals the stored value of its field as the API writes it
/// (a list as its items, comma-separated). A false answer only means "validate and compare".
fn same_as_stored<T: Entity>(stored: &T, obj: &Map<String, Value>) -> bool {
    let Ok(Value::Object(input)) = serde_json::to_value(stored.to_input()) else { return false };
    obj.iter().all(|(k, v)| {
        let Value::String(cell) = v else { return false };
        match input.get(k) {
            Some(Value::String(s)) => s == cell,
            Some(Value::Array(items)) => {
                let parts = c981_domain::entity::split_list(cell);
                parts.len() == items.len() && parts.iter().zip(items).all(|(p, i)| i.as_str() == Some(p.as_str()))
            }
            Some(Value::Null) | None => cell.is_empty(),
            Some(Value::Bool(b)) => cell == if *b { "true" } else { "false" },
            Some(Value::Number(n)) => n.as_i64().is_some_and(|i| cell.parse::<i64>() == Ok(i)),
            Some(_) => false,
        }
    })
}
