//! Spreadsheet rows from CSV and XLSX files, with header aliases: owns format detection
//! (by content, never by file name), header-row detection and column mapping, and the
//! streaming row iterator that hands each row to the caller as field/value pairs.
//!
//! Cell values are text: trimmed, never evaluated (a CSV cell `=SUM(A1)` stays that text; an
//! XLSX formula gives its cached value). The product validates and converts the values;
//! lists stay as the raw string. Nothing here knows the product's types.
//!
//! ```
//! use c981_ingest::tabular::{Options, Reader, TargetKind};
//!
//! let csv = b"Asset Name;IP Address;Plant\nPLC-01;10.0.0.5;P3\n";
//! let mut reader = Reader::open("plant.csv", csv, TargetKind::Assets, &Options::default()).unwrap();
//! for row in reader.rows() {
//!     let row = row.unwrap();
//!     assert_eq!(row.get("name"), Some("PLC-01"));
//!     assert_eq!(row.get("site"), Some("P3")); // a pseudo-field, not in the JSON object
//!     assert_eq!(row.to_json_object()["ip_addresses"], "10.0.0.5");
//! }
//! ```

mod csv_input;
mod fields;
mod xlsx_input;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::sync::Arc;

pub use fields::{Field, TargetKind, normalize_header};
pub use xlsx_input::XlsxLimits;

use crate::limit;

/// How many non-blank rows above the header may be titles or notes (each with at most
/// [`MAX_TITLE_CELLS`] non-empty cells) before the search for the header row stops.
const MAX_ROWS_BEFORE_HEADER: usize = 10;
const MAX_TITLE_CELLS: usize = 2;
/// Row-level warnings of one kind beyond this many are counted, not listed.
const MAX_WARNINGS_PER_KIND: u64 = 100;

/// How to read a file.
#[derive(Debug, Clone)]
pub struct Options {
    /// Explicit column mappings, `"Source header=field"`; they override and extend the aliases.
    /// The header side is normalized like headers; the field must be a field or pseudo-field
    /// of the kind; `"Column=-"` ignores a column.
    pub mapping: Vec<String>,
    /// The XLSX worksheet to read; `None` reads the first visible worksheet.
    pub sheet: Option<String>,
    /// The safety limits applied to XLSX (zip) files.
    pub xlsx: XlsxLimits,
    /// The largest input accepted, in bytes, by [`Reader::open`] and [`Reader::from_read`]
    /// (default 512 MiB).
    pub max_input_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self { mapping: Vec::new(), sheet: None, xlsx: XlsxLimits::default(), max_input_bytes: 512 << 20 }
    }
}

/// The detected file format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// Delimited text.
    Csv {
        /// The delimiter byte: `,`, `;` or tab.
        delimiter: u8,
        /// The character encoding the bytes were read as.
        encoding: Encoding,
    },
    /// An Office Open XML workbook (`.xlsx`, `.xlsm`).
    Xlsx {
        /// The worksheet read.
        sheet: String,
    },
}

/// The character encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte order mark.
    Utf8,
    /// UTF-16 with a byte order mark (Excel's "Unicode text").
    Utf16,
    /// Windows-1252 (a superset of Latin-1), used when the bytes are not valid UTF-8.
    Windows1252,
}

/// How to refer to a column: its 1-based number in a CSV file, its letters in a sheet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ColumnRef {
    /// A CSV column, 1-based.
    Number(usize),
    /// A worksheet column, `A`, `B`, … `AA`.
    Letters(String),
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Letters(l) => f.write_str(l),
        }
    }
}

/// Spreadsheet letters for a 0-based column index: 0 is `A`, 26 is `AA`.
pub fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A column as a message names it: reference and header text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnAt {
    /// 0-based position.
    pub index: usize,
    /// The reference the user sees.
    pub reference: ColumnRef,
    /// The header text as written (trimmed), empty for an unnamed column.
    pub header: String,
}

impl fmt::Display for ColumnAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.header.is_empty() {
            write!(f, "column {} (no header)", self.reference)
        } else {
            write!(f, "column {} ({:?})", self.reference, self.header)
        }
    }
}

/// Why a column maps to what it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// By a built-in alias, of this tier (0 best).
    Alias {
        /// The alias tier.
        tier: u8,
    },
    /// By an explicit `"Header=field"` option.
    Explicit,
    /// Ignored by an explicit `"Header=-"` option.
    Ignored,
    /// An alias would map it, but a better column holds that field.
    SetAside {
        /// The column that holds the field instead.
        by: usize,
    },
    /// No alias or option maps it.
    Unknown,
}

/// One column of the header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Where it is and what its header says.
    pub at: ColumnAt,
    /// The field its cells go to, if any.
    pub field: Option<Field>,
    /// Why.
    pub mapping: Mapping,
}

/// A non-fatal finding about the file or a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// The file name given to [`Reader::open`].
    pub file: Arc<str>,
    /// The line (CSV) or row (XLSX) it concerns, 1-based.
    pub line: Option<u64>,
    /// The column it concerns.
    pub column: Option<ColumnAt>,
    /// What it is.
    pub kind: WarningKind,
}

/// What a [`Warning`] says.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WarningKind {
    /// The bytes were not valid UTF-8 and were read as Windows-1252.
    DecodedAsWindows1252,
    /// Columns that no alias or mapping maps; their cells are not imported.
    UnknownColumns(Vec<ColumnAt>),
    /// A column set aside because a better one holds its field.
    ColumnSetAside {
        /// The field.
        field: Field,
        /// The column used instead.
        used: ColumnAt,
    },
    /// An explicit mapping that matched no header.
    UnusedMapping(String),
    /// Rows above the header row (titles, notes) that were skipped.
    RowsAboveHeader(u64),
    /// The workbook contains macros; they were neither read nor run.
    MacrosIgnored,
    /// Other sheets that were not read.
    OtherSheetsIgnored(Vec<String>),
    /// A formula without a cached value: read as an empty cell (formulas are never evaluated).
    FormulaWithoutValue,
    /// A cell holding a spreadsheet error such as `#N/A`: read as an empty cell.
    CellError(String),
    /// More warnings of one kind than are listed.
    More {
        /// What kind (a short description).
        what: &'static str,
        /// How many were not listed.
        count: u64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_place(f, &self.file, self.line, self.column.as_ref())?;
        match &self.kind {
            WarningKind::DecodedAsWindows1252 => {
                f.write_str("the file is not valid UTF-8; it was read as Windows-1252 (Latin-1)")
            }
            WarningKind::UnknownColumns(cols) => {
                f.write_str("columns not imported (no field matches their header): ")?;
                write_list(f, cols)
            }
            WarningKind::ColumnSetAside { field, used } => {
                write!(f, "not imported: {field} comes from {used}")
            }
            WarningKind::UnusedMapping(m) => write!(f, "the mapping {m:?} matches no column"),
            WarningKind::RowsAboveHeader(n) => write!(f, "{n} row(s) above the header row were skipped"),
            WarningKind::MacrosIgnored => {
                f.write_str("the workbook contains macros; they were ignored (never read or run)")
            }
            WarningKind::OtherSheetsIgnored(s) => {
                write!(f, "only one sheet was read; not read: {}", s.join(", "))
            }
            WarningKind::FormulaWithoutValue => {
                f.write_str("a formula without a cached value was read as an empty cell (formulas are never evaluated)")
            }
            WarningKind::CellError(e) => write!(f, "the cell holds the error {e}; read as an empty cell"),
            WarningKind::More { what, count } => write!(f, "{count} more warning(s): {what}"),
        }
    }
}

fn write_place(f: &mut fmt::Formatter<'_>, file: &str, line: Option<u64>, col: Option<&ColumnAt>) -> fmt::Result {
    write!(f, "{file}")?;
    match (line, col) {
        (Some(l), Some(c)) => write!(f, ": line {l}, {c}: "),
        (Some(l), None) => write!(f, ": line {l}: "),
        (None, Some(c)) => write!(f, ": {c}: "),
        (None, None) => f.write_str(": "),
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, cols: &[ColumnAt]) -> fmt::Result {
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{c}")?;
    }
    Ok(())
}

/// A file that cannot be read at all.
#[derive(Debug, Clone, PartialEq)]
pub struct FileError {
    /// The file name given to [`Reader::open`].
    pub file: Arc<str>,
    /// The line or row it concerns.
    pub line: Option<u64>,
    /// What is wrong.
    pub kind: FileErrorKind,
}

/// What a [`FileError`] says.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FileErrorKind {
    /// No non-blank row at all.
    NoHeader,
    /// A header row none of whose columns maps to a field.
    NoMappedColumn {
        /// The kind of file expected.
        kind: TargetKind,
        /// The header cells found.
        headers: Vec<String>,
    },
    /// Two columns map to one field.
    DuplicateField {
        /// The field.
        field: Field,
        /// The first column.
        first: Box<ColumnAt>,
        /// The second column.
        second: Box<ColumnAt>,
    },
    /// An explicit mapping that cannot be used.
    BadMapping {
        /// The mapping as given.
        mapping: String,
        /// Why.
        reason: String,
        /// The fields and pseudo-fields of the kind.
        valid: Vec<&'static str>,
    },
    /// A format this crate does not read (legacy `.xls`, `.xlsb`, `.ods`, binary data).
    Unsupported(String),
    /// The input is larger than allowed.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The zip container breaks a safety limit or is corrupt.
    UnsafeZip(String),
    /// The named sheet does not exist.
    SheetNotFound {
        /// The name asked for.
        name: String,
        /// The worksheets there are.
        available: Vec<String>,
    },
    /// The workbook has no worksheet.
    NoWorksheet,
    /// The workbook cannot be parsed.
    Xlsx(String),
    /// Reading failed.
    Io(String),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_place(f, &self.file, self.line, None)?;
        match &self.kind {
            FileErrorKind::NoHeader => f.write_str("no header row: the file has no non-blank row"),
            FileErrorKind::NoMappedColumn { kind, headers } => {
                write!(f, "no column maps to a field of {kind} (headers: ")?;
                for (i, h) in headers.iter().enumerate() {
                    write!(f, "{}{h:?}", if i > 0 { ", " } else { "" })?;
                }
                let some: Vec<_> = kind.fields().take(6).map(Field::name).collect();
                write!(f, "); expected headers such as {}, or a mapping such as \"Column=field\"", some.join(", "))
            }
            FileErrorKind::DuplicateField { field, first, second } => write!(
                f,
                "{first} and {second} both map to {field}; keep one, or map the other elsewhere \
                 (e.g. \"{}=-\")",
                second.header
            ),
            FileErrorKind::BadMapping { mapping, reason, valid } => {
                write!(f, "mapping {mapping:?}: {reason}; valid fields: {}", valid.join(", "))
            }
            FileErrorKind::Unsupported(what) => f.write_str(what),
            FileErrorKind::TooLarge { limit } => write!(f, "the file is larger than {limit} bytes"),
            FileErrorKind::UnsafeZip(why) => write!(f, "refused: {why}"),
            FileErrorKind::SheetNotFound { name, available } => {
                write!(f, "no worksheet named {name:?}; the workbook has: {}", available.join(", "))
            }
            FileErrorKind::NoWorksheet => f.write_str("the workbook has no worksheet"),
            FileErrorKind::Xlsx(e) => write!(f, "cannot read the workbook: {e}"),
            FileErrorKind::Io(e) => write!(f, "cannot read the file: {e}"),
        }
    }
}

impl std::error::Error for FileError {}

/// A row that cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// The file name.
    pub file: Arc<str>,
    /// The line (CSV, where the record starts) or row (XLSX), 1-based.
    pub line: u64,
    /// The column concerned, if one.
    pub column: Option<ColumnAt>,
    /// What is wrong.
    pub kind: RowErrorKind,
}

/// What a [`RowError`] says.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RowErrorKind {
    /// Non-empty cells beyond the header's last column.
    TooManyCells {
        /// Cells up to the last non-empty one.
        cells: usize,
        /// Header columns.
        headers: usize,
    },
    /// The rest of the file cannot be read; the iterator ends after this.
    Unreadable(String),
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_place(f, &self.file, Some(self.line), self.column.as_ref())?;
        match &self.kind {
            RowErrorKind::TooManyCells { cells, headers } => write!(f, "row has {cells} cells, the header {headers}"),
            RowErrorKind::Unreadable(e) => write!(f, "cannot read further: {e}"),
        }
    }
}

impl std::error::Error for RowError {}

/// A row's cells as read, before mapping: text of all cells with their column index.
#[derive(Debug, Default)]
pub(crate) struct RawRow {
    pub line: u64,
    pub text: String,
    /// (column index, start, end) into `text`.
    pub cells: Vec<(usize, usize, usize)>,
    /// Columns of formula cells without a cached value.
    pub formulas_without_value: Vec<usize>,
    /// Columns of error cells and their error text.
    pub cell_errors: Vec<(usize, String)>,
}

impl RawRow {
    fn clear(&mut self) {
        self.text.clear();
        self.cells.clear();
        self.formulas_without_value.clear();
        self.cell_errors.clear();
    }

    pub(crate) fn push(&mut self, col: usize, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.cells.push((col, start, self.text.len()));
    }

    fn iter(&self) -> impl Iterator<Item = (usize, &str)> {
        self.cells.iter().map(|&(c, s, e)| (c, self.text[s..e].trim()))
    }

    fn non_empty(&self) -> impl Iterator<Item = (usize, &str)> {
        self.iter().filter(|(_, v)| !v.is_empty())
    }
}

/// One cell of a [`Row`]: a non-empty, trimmed value of a mapped column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell<'r> {
    /// The field it maps to.
    pub field: Field,
    /// The 0-based column index (see [`Reader::columns`]).
    pub column: usize,
    /// The trimmed text.
    pub value: &'r str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CellSpan {
    field: Field,
    column: usize,
    start: usize,
    end: usize,
}

/// A data row: its line and the non-empty cells of its mapped columns, in column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    line: u64,
    text: String,
    cells: Vec<CellSpan>,
}

impl Row {
    /// The line (CSV: where the record starts, the header being line 1 of a plain file) or row
    /// number (XLSX), 1-based.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The non-empty cells of mapped columns, in column order.
    pub fn cells(&self) -> impl Iterator<Item = Cell<'_>> {
        self.cells.iter().map(|c| Cell { field: c.field, column: c.column, value: &self.text[c.start..c.end] })
    }

    /// The value of a field or pseudo-field, by name, if the row has a non-empty one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.cells().find(|c| c.field.name() == field).map(|c| c.value)
    }

    /// True when no mapped column has a value (the row's values are all in unmapped columns).
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The canonical fields as a JSON object of strings (pseudo-fields left out, empty cells
    /// absent, lists as the raw text), ready for the product's `*Input` types.
    pub fn to_json_object(&self) -> serde_json::Map<String, serde_json::Value> {
        self.cells()
            .filter(|c| !c.field.is_pseudo())
            .map(|c| (c.field.name().to_owned(), serde_json::Value::String(c.value.to_owned())))
            .collect()
    }
}

enum Source<'a> {
    Csv(csv_input::CsvSource<'a>),
    Xlsx(Box<xlsx_input::XlsxSource<'a>>),
}

/// Warnings collected so far, with row-level ones capped per kind.
#[derive(Debug, Default)]
struct Warnings {
    list: Vec<Warning>,
    counts: HashMap<&'static str, u64>,
}

impl Warnings {
    fn push(&mut self, w: Warning) {
        self.list.push(w);
    }

    /// Adds a row-level warning unless [`MAX_WARNINGS_PER_KIND`] of its kind are listed.
    fn push_capped(&mut self, what: &'static str, w: Warning) {
        let n = self.counts.entry(what).or_default();
        *n += 1;
        if *n <= MAX_WARNINGS_PER_KIND {
            self.list.push(w);
        }
    }

    fn finish(&mut self, file: &Arc<str>) {
        let mut over: Vec<_> = self.counts.iter().filter(|(_, n)| **n > MAX_WARNINGS_PER_KIND).collect();
        over.sort();
        for (what, n) in over {
            self.list.push(Warning {
                file: file.clone(),
                line: None,
                column: None,
                kind: WarningKind::More { what, count: n - MAX_WARNINGS_PER_KIND },
            });
        }
        self.counts.clear();
    }
}

/// A spreadsheet opened for reading: header resolved, rows to come.
pub struct Reader<'a> {
    file: Arc<str>,
    format: Format,
    columns: Vec<Column>,
    header_line: u64,
    warnings: Warnings,
    blank_rows: u64,
    rows_started: bool,
    source: Source<'a>,
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("file", &self.file)
            .field("format", &self.format)
            .field("columns", &self.columns)
            .field("header_line", &self.header_line)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
enum Target {
    Field(Field),
    Ignore,
}

struct ExplicitMapping {
    normalized: String,
    target: Target,
    given: String,
    used: bool,
}

fn parse_mappings(file: &Arc<str>, kind: TargetKind, given: &[String]) -> Result<Vec<ExplicitMapping>, FileError> {
    let bad = |mapping: &str, reason: String| FileError {
        file: file.clone(),
        line: None,
        kind: FileErrorKind::BadMapping {
            mapping: mapping.to_owned(),
            reason,
            valid: kind.fields().map(Field::name).collect(),
        },
    };
    let mut out: Vec<ExplicitMapping> = Vec::new();
    for m in given {
        let Some((header, target)) = m.rsplit_once('=') else {
            return Err(bad(m, "write it as \"Source header=field\"".into()));
        };
        let normalized = normalize_header(header);
        if normalized.is_empty() {
            return Err(bad(m, "the header side is empty".into()));
        }
        let target = target.trim();
        let target = if target == "-" {
            Target::Ignore
        } else {
            match kind.field_for_target(target) {
                Some(f) => Target::Field(f),
                None => return Err(bad(m, format!("{target:?} is not a field of {kind}"))),
            }
        };
        if let Some(prev) = out.iter().find(|p| p.normalized == normalized) {
            return Err(bad(m, format!("the header is already mapped by {:?}", prev.given)));
        }
        out.push(ExplicitMapping { normalized, target, given: m.clone(), used: false });
    }
    Ok(out)
}

/// Whether a raw row can be the header: one of its cells maps by alias or explicit mapping.
fn maps_any(kind: TargetKind, explicit: &[ExplicitMapping], raw: &RawRow) -> bool {
    raw.non_empty().any(|(_, v)| {
        let n = normalize_header(v);
        explicit.iter().any(|m| m.normalized == n && matches!(m.target, Target::Field(_)))
            || kind.lookup_normalized(&n).is_some()
    })
}

/// Maps the header row's cells onto columns; see the module doc of `fields` for the tiers.
fn resolve_columns(
    file: &Arc<str>,
    kind: TargetKind,
    explicit: &mut [ExplicitMapping],
    header: &RawRow,
    letters: bool,
    warnings: &mut Warnings,
) -> Result<Vec<Column>, FileError> {
    let ncols = header.non_empty().map(|(c, _)| c + 1).max().unwrap_or(0);
    let mut texts = vec![String::new(); ncols];
    for (c, v) in header.non_empty() {
        if c < ncols && texts[c].is_empty() {
            texts[c] = v.to_owned();
        }
    }
    let at = |index: usize, header: &str| ColumnAt {
        index,
        reference: if letters { ColumnRef::Letters(column_letters(index)) } else { ColumnRef::Number(index + 1) },
        header: header.to_owned(),
    };
    let mut columns: Vec<Column> = texts
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let n = normalize_header(h);
            if let Some(m) = explicit.iter_mut().find(|m| !n.is_empty() && m.normalized == n) {
                m.used = true;
                return match m.target {
                    Target::Field(f) => Column { at: at(i, h), field: Some(f), mapping: Mapping::Explicit },
                    Target::Ignore => Column { at: at(i, h), field: None, mapping: Mapping::Ignored },
                };
            }
            match kind.lookup_normalized(&n) {
                Some((f, tier)) if !n.is_empty() => {
                    Column { at: at(i, h), field: Some(f), mapping: Mapping::Alias { tier } }
                }
                _ => Column { at: at(i, h), field: None, mapping: Mapping::Unknown },
            }
        })
        .collect();

    let duplicate = |field: Field, a: &Column, b: &Column| FileError {
        file: file.clone(),
        line: Some(header.line),
        kind: FileErrorKind::DuplicateField { field, first: Box::new(a.at.clone()), second: Box::new(b.at.clone()) },
    };
    // The column that holds each field: an explicit one first, else the best alias tier.
    let mut holder: HashMap<Field, usize> = HashMap::new();
    for i in 0..columns.len() {
        if let (Some(f), Mapping::Explicit) = (columns[i].field, &columns[i].mapping) {
            if let Some(&j) = holder.get(&f) {
                return Err(duplicate(f, &columns[j], &columns[i]));
            }
            holder.insert(f, i);
        }
    }
    let mut best_tier: HashMap<Field, u8> = HashMap::new();
    for c in &columns {
        if let (Some(f), Mapping::Alias { tier }) = (c.field, &c.mapping)
            && !holder.contains_key(&f)
        {
            let t = best_tier.entry(f).or_insert(*tier);
            *t = (*t).min(*tier);
        }
    }
    for i in 0..columns.len() {
        if let (Some(f), Mapping::Alias { tier }) = (columns[i].field, columns[i].mapping.clone())
            && best_tier.get(&f) == Some(&tier)
        {
            if let Some(&j) = holder.get(&f) {
                return Err(duplicate(f, &columns[j], &columns[i]));
            }
            holder.insert(f, i);
        }
    }
    for i in 0..columns.len() {
        if let Some(f) = columns[i].field
            && holder.get(&f) != Some(&i)
        {
            let by = holder[&f];
            columns[i].field = None;
            columns[i].mapping = Mapping::SetAside { by };
            warnings.push(Warning {
                file: file.clone(),
                line: Some(header.line),
                column: Some(columns[i].at.clone()),
                kind: WarningKind::ColumnSetAside { field: f, used: columns[by].at.clone() },
            });
        }
    }
    if holder.is_empty() {
        return Err(FileError {
            file: file.clone(),
            line: Some(header.line),
            kind: FileErrorKind::NoMappedColumn {
                kind,
                headers: texts.into_iter().filter(|t| !t.is_empty()).collect(),
            },
        });
    }
    let unknown: Vec<ColumnAt> = columns
        .iter()
        .filter(|c| c.mapping == Mapping::Unknown && !c.at.header.is_empty())
        .map(|c| c.at.clone())
        .collect();
    if !unknown.is_empty() {
        warnings.push(Warning {
            file: file.clone(),
            line: Some(header.line),
            column: None,
            kind: WarningKind::UnknownColumns(unknown),
        });
    }
    for m in explicit.iter().filter(|m| !m.used) {
        warnings.push(Warning {
            file: file.clone(),
            line: None,
            column: None,
            kind: WarningKind::UnusedMapping(m.given.clone()),
        });
    }
    Ok(columns)
}

/// The outcome of looking for the header row.
struct HeaderSearch {
    header: Option<RawRow>,
    first_non_blank: Option<RawRow>,
    skipped: u64,
}

type NextRaw<'f> = dyn FnMut(&mut RawRow) -> Option<Result<(), String>> + 'f;

/// Reads rows until one maps a column (the header); rows before it must look like titles.
fn search_header(
    next: &mut NextRaw<'_>,
    kind: TargetKind,
    explicit: &[ExplicitMapping],
) -> Result<HeaderSearch, String> {
    let mut raw = RawRow::default();
    let mut first_non_blank: Option<RawRow> = None;
    let mut skipped = 0u64;
    loop {
        raw.clear();
        match next(&mut raw) {
            None => break,
            Some(Err(e)) => return Err(e),
            Some(Ok(())) => {}
        }
        let cells = raw.non_empty().count();
        if cells == 0 {
            continue;
        }
        if maps_any(kind, explicit, &raw) {
            return Ok(HeaderSearch { header: Some(raw), first_non_blank, skipped });
        }
        if first_non_blank.is_none() {
            first_non_blank =
                Some(RawRow { line: raw.line, text: raw.text.clone(), cells: raw.cells.clone(), ..RawRow::default() });
        }
        skipped += 1;
        if cells > MAX_TITLE_CELLS || skipped as usize >= MAX_ROWS_BEFORE_HEADER {
            break;
        }
    }
    Ok(HeaderSearch { header: None, first_non_blank, skipped })
}

impl<'a> Reader<'a> {
    /// Opens a CSV or XLSX file held in memory: detects the format from the bytes (`PK\x03\x04`
    /// is a workbook), checks a workbook's zip container against `opts.xlsx`, finds the header
    /// row (the first non-blank row, after at most 10 title rows of one or two cells when
    /// those do not map) and maps its columns.
    ///
    /// `name` is only used in messages. Errors name the file and, where one applies, the line.
    pub fn open(name: &str, bytes: &'a [u8], kind: TargetKind, opts: &Options) -> Result<Reader<'a>, FileError> {
        Self::open_cow(name, Cow::Borrowed(bytes), kind, opts)
    }

    /// Reads at most `opts.max_input_bytes` from `input`, then opens it as [`Reader::open`]
    /// does.
    pub fn from_read(
        name: &str,
        input: impl Read,
        kind: TargetKind,
        opts: &Options,
    ) -> Result<Reader<'static>, FileError> {
        let file: Arc<str> = Arc::from(name);
        let bytes = limit::read_all_limited(input, opts.max_input_bytes).map_err(|e| FileError {
            file: file.clone(),
            line: None,
            kind: match limit::limit_exceeded(&e) {
                Some(limit) => FileErrorKind::TooLarge { limit },
                None => FileErrorKind::Io(e.to_string()),
            },
        })?;
        Reader::open_cow(name, Cow::Owned(bytes), kind, opts)
    }

    fn open_cow(name: &str, bytes: Cow<'a, [u8]>, kind: TargetKind, opts: &Options) -> Result<Reader<'a>, FileError> {
        let file: Arc<str> = Arc::from(name);
        let err = |kind: FileErrorKind| FileError { file: file.clone(), line: None, kind };
        if bytes.len() as u64 > opts.max_input_bytes {
            return Err(err(FileErrorKind::TooLarge { limit: opts.max_input_bytes }));
        }
        let mut explicit = parse_mappings(&file, kind, &opts.mapping)?;
        let mut warnings = Warnings::default();
        let (mut source, format) = if bytes.starts_with(b"PK\x03\x04") {
            let (src, sheet, notes) = xlsx_input::XlsxSource::open(bytes, opts).map_err(err)?;
            for n in notes {
                warnings.push(Warning { file: file.clone(), line: None, column: None, kind: n });
            }
            (Source::Xlsx(Box::new(src)), Format::Xlsx { sheet })
        } else {
            let (src, delimiter, encoding) = csv_input::CsvSource::open(bytes).map_err(err)?;
            if encoding == Encoding::Windows1252 {
                warnings.push(Warning {
                    file: file.clone(),
                    line: None,
                    column: None,
                    kind: WarningKind::DecodedAsWindows1252,
                });
            }
            (Source::Csv(src), Format::Csv { delimiter, encoding })
        };

        // Find the header row.
        let found = match &mut source {
            Source::Csv(s) => search_header(&mut |raw| s.next_raw(raw), kind, &explicit).map_err(FileErrorKind::Io),
            Source::Xlsx(s) => s
                .with_rows(|rows| search_header(&mut |raw| rows.next_raw(raw), kind, &explicit))
                .and_then(|r| r)
                .map_err(FileErrorKind::Xlsx),
        };
        let HeaderSearch { header, first_non_blank, skipped } =
            found.map_err(|kind| FileError { file: file.clone(), line: None, kind })?;
        let letters = matches!(format, Format::Xlsx { .. });
        let header = match (header, first_non_blank) {
            (Some(h), _) => h,
            // Report what the first non-blank row holds: nothing in it maps.
            (None, Some(first)) => {
                let headers = first.non_empty().map(|(_, v)| v.to_owned()).collect();
                return Err(FileError {
                    file,
                    line: Some(first.line),
                    kind: FileErrorKind::NoMappedColumn { kind, headers },
                });
            }
            (None, None) => return Err(FileError { file, line: None, kind: FileErrorKind::NoHeader }),
        };
        if skipped > 0 {
            warnings.push(Warning {
                file: file.clone(),
                line: Some(header.line),
                column: None,
                kind: WarningKind::RowsAboveHeader(skipped),
            });
        }
        let columns = resolve_columns(&file, kind, &mut explicit, &header, letters, &mut warnings)?;
        if let Source::Xlsx(s) = &mut source {
            s.set_header_row(header.line);
        }
        Ok(Reader {
            file,
            format,
            columns,
            header_line: header.line,
            warnings,
            blank_rows: 0,
            rows_started: false,
            source,
        })
    }

    /// The file name given at opening.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The detected format.
    pub fn format(&self) -> &Format {
        &self.format
    }

    /// The header row's columns, in order, up to its last non-empty cell.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The line or row number of the header.
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// The warnings so far: file-level ones after opening, row-level ones as rows are read
    /// (at most 100 of each kind listed, then a count).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings.list
    }

    /// Blank rows (every cell empty or whitespace) skipped so far among the data rows.
    pub fn blank_rows(&self) -> u64 {
        self.blank_rows
    }

    /// The data rows, streamed: each is a [`Row`] or a [`RowError`] for that row only (the
    /// iterator goes on), except [`RowErrorKind::Unreadable`], after which it ends. Blank rows
    /// are skipped and counted. Rows can be iterated once; a second call yields nothing.
    pub fn rows(&mut self) -> Rows<'_, 'a> {
        let started = std::mem::replace(&mut self.rows_started, true);
        let Reader { file, columns, warnings, blank_rows, source, .. } = self;
        let inner = if started {
            RowsInner::Done
        } else {
            match source {
                Source::Csv(s) => RowsInner::Csv(s),
                Source::Xlsx(s) => match s.data_rows() {
                    Ok(r) => RowsInner::Xlsx(Box::new(r)),
                    Err(e) => RowsInner::Failed(e),
                },
            }
        };
        Rows { file, columns, warnings, blank_rows, inner, raw: RawRow::default(), spans: Vec::new(), last_line: None }
    }
}

enum RowsInner<'r, 'a> {
    Csv(&'r mut csv_input::CsvSource<'a>),
    Xlsx(Box<xlsx_input::XlsxRows<'r, 'a>>),
    Failed(String),
    Done,
}

/// The iterator [`Reader::rows`] returns.
pub struct Rows<'r, 'a> {
    file: &'r Arc<str>,
    columns: &'r [Column],
    warnings: &'r mut Warnings,
    blank_rows: &'r mut u64,
    inner: RowsInner<'r, 'a>,
    raw: RawRow,
    /// Reused: the trimmed, mapped, non-empty cells of the current row.
    spans: Vec<CellSpan>,
    last_line: Option<u64>,
}

impl Rows<'_, '_> {
    fn column_at(&self, col: usize) -> Option<ColumnAt> {
        self.columns.get(col).map(|c| c.at.clone())
    }

    fn mapped(&self, col: usize) -> Option<Field> {
        self.columns.get(col).and_then(|c| c.field)
    }

    fn end(&mut self) {
        if !matches!(self.inner, RowsInner::Done) {
            self.inner = RowsInner::Done;
            self.warnings.finish(self.file);
        }
    }
}

impl Iterator for Rows<'_, '_> {
    type Item = Result<Row, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.raw.clear();
            let got = match &mut self.inner {
                RowsInner::Csv(s) => s.next_raw(&mut self.raw),
                RowsInner::Xlsx(s) => s.next_raw(&mut self.raw),
                RowsInner::Failed(e) => Some(Err(std::mem::take(e))),
                RowsInner::Done => return None,
            };
            let xlsx = matches!(self.inner, RowsInner::Xlsx(_) | RowsInner::Failed(_));
            match got {
                None => {
                    self.end();
                    return None;
                }
                Some(Err(e)) => {
                    let line = self.last_line.map_or(1, |l| l + 1);
                    self.end();
                    return Some(Err(RowError {
                        file: self.file.clone(),
                        line,
                        column: None,
                        kind: RowErrorKind::Unreadable(e),
                    }));
                }
                Some(Ok(())) => {}
            }
            let line = self.raw.line;
            if xlsx && let Some(last) = self.last_line {
                *self.blank_rows += line.saturating_sub(last + 1);
            }
            self.last_line = Some(line);
            for i in 0..self.raw.formulas_without_value.len() {
                let col = self.raw.formulas_without_value[i];
                if self.mapped(col).is_some() {
                    let w = Warning {
                        file: self.file.clone(),
                        line: Some(line),
                        column: self.column_at(col),
                        kind: WarningKind::FormulaWithoutValue,
                    };
                    self.warnings.push_capped("formulas without a cached value", w);
                }
            }
            for i in 0..self.raw.cell_errors.len() {
                let (col, ref e) = self.raw.cell_errors[i];
                if self.mapped(col).is_some() {
                    let w = Warning {
                        file: self.file.clone(),
                        line: Some(line),
                        column: self.column_at(col),
                        kind: WarningKind::CellError(e.clone()),
                    };
                    self.warnings.push_capped("cells holding an error", w);
                }
            }
            // One pass: trim each cell once, keep the mapped non-empty ones.
            let mut last_non_empty = None;
            let mut text_len = 0;
            self.spans.clear();
            for &(c, start, end) in &self.raw.cells {
                let v = &self.raw.text[start..end];
                let lead = v.len() - v.trim_start().len();
                let t = v[lead..].trim_end();
                if t.is_empty() {
                    continue;
                }
                last_non_empty = Some(last_non_empty.map_or(c, |l: usize| l.max(c)));
                if let Some(field) = self.columns.get(c).and_then(|col| col.field) {
                    self.spans.push(CellSpan { field, column: c, start: start + lead, end: start + lead + t.len() });
                    text_len += t.len();
                }
            }
            let Some(last) = last_non_empty else {
                *self.blank_rows += 1;
                continue;
            };
            if last >= self.columns.len() {
                return Some(Err(RowError {
                    file: self.file.clone(),
                    line,
                    column: None,
                    kind: RowErrorKind::TooManyCells { cells: last + 1, headers: self.columns.len() },
                }));
            }
            let mut row =
                Row { line, text: String::with_capacity(text_len), cells: Vec::with_capacity(self.spans.len()) };
            for span in &self.spans {
                let start = row.text.len();
                row.text.push_str(&self.raw.text[span.start..span.end]);
                row.cells.push(CellSpan { start, end: row.text.len(), ..span.clone() });
            }
            if xlsx {
                row.cells.sort_by_key(|c| c.column);
            }
            return Some(Ok(row));
        }
    }
}

#[cfg(test)]
mod tests;
