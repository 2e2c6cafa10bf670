//! XLSX input: owns the zip safety checks made before calamine sees the file (entry count,
//! declared and actual decompressed sizes, compression ratio, encryption), the choice of the
//! worksheet, and streaming its cells (calamine's cell reader, never a whole `Range`) into raw
//! rows. Formulas are never evaluated: a formula cell gives its cached value, or is empty with
//! a warning. Macros (`vbaProject.bin`) are never read or run; a macro workbook is accepted
//! with a warning.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader as _, SheetType, SheetVisible, Xlsx, XlsxCellReader};

use super::{FileErrorKind, RawRow, WarningKind};
use crate::limit::{LimitedReader, limit_exceeded};

/// Limits that a workbook's zip container must respect; anything beyond is refused before the
/// workbook is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XlsxLimits {
    /// Most entries (files) in the zip (default 1,000).
    pub max_entries: u64,
    /// Most bytes all entries may decompress to, declared and actual (default 256 MiB).
    pub max_total_uncompressed: u64,
    /// Highest compression ratio (uncompressed : compressed) of an entry larger than
    /// [`ratio_applies_above`](Self::ratio_applies_above) (default 100).
    pub max_ratio: u64,
    /// Entries up to this many uncompressed bytes may have any ratio (default 1 MiB).
    pub ratio_applies_above: u64,
}

impl Default for XlsxLimits {
    fn default() -> Self {
        Self { max_entries: 1000, max_total_uncompressed: 256 << 20, max_ratio: 100, ratio_applies_above: 1 << 20 }
    }
}

const EOCD_SIG: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
const ZIP64_LOCATOR_SIG: [u8; 4] = [0x50, 0x4b, 0x06, 0x07];
const ZIP64_EOCD_SIG: [u8; 4] = [0x50, 0x4b, 0x06, 0x06];

fn le_u16(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?)))
}

fn le_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The entry count the end-of-central-directory record declares (ZIP64 aware), read before any
/// zip library parses the central directory.
fn declared_entry_count(b: &[u8]) -> Result<u64, String> {
    let no_eocd = || "not a valid zip file (no end of central directory record)".to_owned();
    if b.len() < 22 {
        return Err(no_eocd());
    }
    let lowest = b.len().saturating_sub(22 + 0xFFFF);
    let at = (lowest..=b.len() - 22).rev().find(|&i| b[i..i + 4] == EOCD_SIG).ok_or_else(no_eocd)?;
    let total = le_u16(b, at + 10).ok_or_else(no_eocd)?;
    if total != 0xFFFF {
        return Ok(total);
    }
    let zip64 = at
        .checked_sub(20)
        .filter(|&l| b[l..l + 4] == ZIP64_LOCATOR_SIG)
        .and_then(|l| le_u64(b, l + 8))
        .and_then(|off| usize::try_from(off).ok())
        .filter(|&off| b.get(off..off + 4) == Some(&ZIP64_EOCD_SIG[..]))
        .and_then(|off| le_u64(b, off + 32));
    zip64.ok_or_else(|| "corrupt ZIP64 end of central directory".to_owned())
}

/// What the inspection found.
struct ZipFacts {
    has_macros: bool,
}

/// Checks the zip container against the limits, then decompresses every entry through a
/// counting limit (declared sizes are not trusted) without interpreting any of them.
fn inspect_zip(b: &[u8], limits: &XlsxLimits) -> Result<ZipFacts, FileErrorKind> {
    let refuse = FileErrorKind::UnsafeZip;
    let count = declared_entry_count(b).map_err(refuse)?;
    if count > limits.max_entries {
        return Err(refuse(format!("the zip has {count} entries, more than the {} allowed", limits.max_entries)));
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(b)).map_err(|e| refuse(format!("not a valid zip file: {e}")))?;
    if zip.len() as u64 > limits.max_entries {
        return Err(refuse(format!("the zip has {} entries, more than the {} allowed", zip.len(), limits.max_entries)));
    }
    let mut declared_total: u64 = 0;
    let mut names = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| refuse(format!("corrupt zip entry {i}: {e}")))?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if entry.encrypted() {
            return Err(refuse(format!("the entry {name:?} is encrypted")));
        }
        let (size, packed) = (entry.size(), entry.compressed_size());
        declared_total = declared_total.saturating_add(size);
        if size > limits.ratio_applies_above && u128::from(size) > u128::from(packed) * u128::from(limits.max_ratio) {
            let ratio = size / packed.max(1);
            return Err(refuse(format!(
                "the entry {name:?} decompresses from {packed} to {size} bytes (ratio {ratio}:1, more than {}:1)",
                limits.max_ratio
            )));
        }
        names.push(name);
    }
    if declared_total > limits.max_total_uncompressed {
        return Err(refuse(format!(
            "the zip declares {declared_total} bytes uncompressed, more than the {} allowed",
            limits.max_total_uncompressed
        )));
    }
    let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let has = |n: &str| lower.iter().any(|l| l == n);
    if has("xl/workbook.bin") {
        return Err(FileErrorKind::Unsupported(
            "binary workbooks (.xlsb) are not read: save it as .xlsx or .csv".into(),
        ));
    }
    if has("mimetype") && has("content.xml") {
        return Err(FileErrorKind::Unsupported(
            "OpenDocument spreadsheets (.ods) are not read: save it as .xlsx or .csv".into(),
        ));
    }
    if !has("xl/workbook.xml") {
        return Err(FileErrorKind::Unsupported("a zip file that is not an XLSX workbook (no xl/workbook.xml)".into()));
    }
    let has_macros = lower.iter().any(|l| l.ends_with("vbaproject.bin"));

    let mut actual_total: u64 = 0;
    let mut buf = vec![0u8; 1 << 16];
    for (i, name) in names.iter().enumerate() {
        let mut entry = zip.by_index(i).map_err(|e| refuse(format!("cannot decompress {name:?}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let declared = entry.size();
        let room = limits.max_total_uncompressed - actual_total.min(limits.max_total_uncompressed);
        let mut limited = LimitedReader::new(&mut entry, declared.min(room));
        let mut n: u64 = 0;
        loop {
            match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => n += k as u64,
                Err(e) if limit_exceeded(&e).is_some() => {
                    return Err(refuse(if declared <= room {
                        format!("the entry {name:?} decompresses to more than the {declared} bytes it declares")
                    } else {
                        format!("the zip decompresses to more than {} bytes", limits.max_total_uncompressed)
                    }));
                }
                Err(e) => return Err(refuse(format!("cannot decompress {name:?}: {e}"))),
            }
        }
        actual_total += n;
    }
    Ok(ZipFacts { has_macros })
}

type Book<'a> = Xlsx<Cursor<Cow<'a, [u8]>>>;

/// A workbook opened on one worksheet.
pub(crate) struct XlsxSource<'a> {
    book: Book<'a>,
    sheet: String,
    header_line: u64,
}

impl<'a> XlsxSource<'a> {
    /// Inspects the container, opens the workbook and chooses the sheet; returns file-level
    /// warnings too.
    pub(crate) fn open(
        bytes: Cow<'a, [u8]>,
        opts: &super::Options,
    ) -> Result<(Self, String, Vec<WarningKind>), FileErrorKind> {
        let facts = inspect_zip(&bytes, &opts.xlsx)?;
        let mut notes = Vec::new();
        if facts.has_macros {
            notes.push(WarningKind::MacrosIgnored);
        }
        let book: Book<'a> = Xlsx::new(Cursor::new(bytes)).map_err(|e| FileErrorKind::Xlsx(e.to_string()))?;
        let sheets = book.sheets_metadata();
        let worksheets: Vec<_> = sheets.iter().filter(|s| s.typ == SheetType::WorkSheet).collect();
        let chosen = match &opts.sheet {
            Some(name) => worksheets
                .iter()
                .find(|s| &s.name == name)
                .or_else(|| worksheets.iter().find(|s| s.name.eq_ignore_ascii_case(name)))
                .ok_or_else(|| FileErrorKind::SheetNotFound {
                    name: name.clone(),
                    available: worksheets.iter().map(|s| s.name.clone()).collect(),
                })?,
            None => worksheets
                .iter()
                .find(|s| s.visible == SheetVisible::Visible)
                .or_else(|| worksheets.first())
                .ok_or(FileErrorKind::NoWorksheet)?,
        };
        let sheet = chosen.name.clone();
        let others: Vec<String> = worksheets.iter().filter(|s| s.name != sheet).map(|s| s.name.clone()).collect();
        if !others.is_empty() {
            notes.push(WarningKind::OtherSheetsIgnored(others));
        }
        Ok((Self { book, sheet: sheet.clone(), header_line: 0 }, sheet, notes))
    }

    /// Runs `f` over the sheet's rows from the top (for the header search).
    pub(crate) fn with_rows<T>(&mut self, f: impl FnOnce(&mut XlsxRows<'_, 'a>) -> T) -> Result<T, String> {
        let mut rows = self.rows_after(0)?;
        Ok(f(&mut rows))
    }

    /// Records the header's row number: data rows start after it.
    pub(crate) fn set_header_row(&mut self, line: u64) {
        self.header_line = line;
    }

    /// The rows after the header.
    pub(crate) fn data_rows(&mut self) -> Result<XlsxRows<'_, 'a>, String> {
        self.rows_after(self.header_line)
    }

    fn rows_after(&mut self, skip_through: u64) -> Result<XlsxRows<'_, 'a>, String> {
        let cells = self.book.worksheet_cells_reader(&self.sheet).map_err(|e| e.to_string())?;
        Ok(XlsxRows { cells, pending: None, skip_through, done: false })
    }
}

/// A cell as the streaming reader gives it.
struct PendingCell<'r> {
    row: u32,
    col: u32,
    value: DataRef<'r>,
    formula: bool,
}

/// The rows of a worksheet, streamed cell by cell.
pub(crate) struct XlsxRows<'r, 'a> {
    cells: XlsxCellReader<'r, Cursor<Cow<'a, [u8]>>>,
    pending: Option<PendingCell<'r>>,
    skip_through: u64,
    done: bool,
}

impl XlsxRows<'_, '_> {
    /// Reads the next row (of at least one cell) into `raw`; `None` at the end.
    pub(crate) fn next_raw(&mut self, raw: &mut RawRow) -> Option<Result<(), String>> {
        let mut started = false;
        loop {
            let cell = match self.pending.take() {
                Some(c) => c,
                None if self.done => return started.then_some(Ok(())),
                None => match self.cells.next_cell_with_formula_metadata() {
                    Ok(Some(rec)) => {
                        PendingCell { row: rec.pos.0, col: rec.pos.1, value: rec.value, formula: rec.formula.is_some() }
                    }
                    Ok(None) => {
                        self.done = true;
                        return started.then_some(Ok(()));
                    }
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e.to_string()));
                    }
                },
            };
            let line = u64::from(cell.row) + 1;
            if line <= self.skip_through {
                continue;
            }
            if !started {
                raw.line = line;
                started = true;
            } else if line != raw.line {
                self.pending = Some(cell);
                return Some(Ok(()));
            }
            push_value(raw, cell.col as usize, &cell.value, cell.formula);
        }
    }
}

/// A float as a spreadsheet shows it: integers without a fraction, others rounded to 15
/// significant digits (Excel's precision), so `0.1+0.2` reads `0.3`.
fn format_float(out: &mut String, f: f64) {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        let _ = write!(out, "{}", f as i64);
    } else if f.is_finite() {
        let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
        let _ = write!(out, "{rounded}");
    } else {
        let _ = write!(out, "{f}");
    }
}

fn push_value(raw: &mut RawRow, col: usize, value: &DataRef<'_>, formula: bool) {
    let start = raw.text.len();
    match value {
        DataRef::Empty => {
            if formula {
                raw.formulas_without_value.push(col);
            }
            return;
        }
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => raw.text.push_str(s),
        DataRef::SharedString(s) => raw.text.push_str(s),
        DataRef::Int(i) => {
            let _ = write!(raw.text, "{i}");
        }
        DataRef::Float(f) => format_float(&mut raw.text, *f),
        DataRef::Bool(b) => raw.text.push_str(if *b { "true" } else { "false" }),
        DataRef::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
                if dt.as_f64() < 1.0 {
                    let _ = write!(raw.text, "{h:02}:{mi:02}:{s:02}");
                } else if (h, mi, s, ms) == (0, 0, 0, 0) {
                    let _ = write!(raw.text, "{y:04}-{mo:02}-{d:02}");
                } else if ms == 0 {
                    let _ = write!(raw.text, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
                } else {
                    let _ = write!(raw.text, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}");
                }
            } else {
                format_float(&mut raw.text, dt.as_f64());
            }
        }
        DataRef::Error(e) => {
            raw.cell_errors.push((col, e.to_string()));
            return;
        }
    }
    raw.cells.push((col, start, raw.text.len()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_as_a_spreadsheet_shows_them() {
        let f = |x: f64| {
            let mut s = String::new();
            format_float(&mut s, x);
            s
        };
        assert_eq!(f(502.0), "502");
        assert_eq!(f(0.1 + 0.2), "0.3");
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(-3.0), "-3");
    }

    #[test]
    fn a_file_without_an_end_of_central_directory_is_not_a_zip() {
        assert!(declared_entry_count(b"PK\x03\x04 and nothing else").is_err());
    }
}
