//! RFC 4180 CSV rendering, safe against spreadsheet formula injection.
//!
//! Output is UTF-8 with CRLF line endings; a field is quoted when it contains the
//! delimiter, a double quote, CR or LF, and quotes inside are doubled. An optional
//! UTF-8 byte-order mark helps Excel pick the right encoding.
//!
//! # Formula-injection rule
//!
//! A spreadsheet treats a field starting with `=`, `+`, `-` or `@` (and, in some
//! products, tab or carriage return, or the full-width forms `＝` U+FF1D, `＋` U+FF0B,
//! `－` U+FF0D, `＠` U+FF20) as a formula. Every field rendered from text — header
//! titles, [`Cell::Text`], dates, date-times and link text — whose **first character**
//! is one of those ten gets a leading apostrophe `'`, which spreadsheets show as
//! "text". Values rendered from [`Cell::Number`] and [`Cell::Int`] are never prefixed,
//! even when negative, so `-3` stays a number: keep numbers in numeric cells if they
//! must stay numeric, since the text `"-3"` becomes `'-3`.
//!
//! [`CsvWriter`] streams rows from any source (e.g. a database cursor) without
//! holding the whole table in memory.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::table::{Cell, Column, Sheet};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Field separator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Delimiter {
    /// `,` (RFC 4180).
    #[default]
    Comma,
    /// `;` (common with European Excel locales).
    Semicolon,
    /// Tab.
    Tab,
}

impl Delimiter {
    fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
        }
    }
}

/// CSV output options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// Start the output with a UTF-8 byte-order mark (for Excel).
    pub bom: bool,
    /// Field separator.
    pub delimiter: Delimiter,
    /// Write the column titles as the first record.
    pub header: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self { bom: false, delimiter: Delimiter::Comma, header: true }
    }
}

/// True when a spreadsheet could read `text` as a formula (see the module rule).
pub fn is_formula_trigger(text: &str) -> bool {
    matches!(
        text.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}')
    )
}

/// Prefixes `'` when [`is_formula_trigger`] holds; otherwise returns `text` unchanged.
pub fn guard_formula(text: &str) -> Cow<'_, str> {
    if is_formula_trigger(text) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

/// The CSV field text of a cell, before quoting (guarded unless numeric).
pub fn cell_field(cell: &Cell) -> Cow<'_, str> {
    if cell.is_numeric() {
        return cell.plain_text();
    }
    match cell.plain_text() {
        Cow::Borrowed(s) => guard_formula(s),
        Cow::Owned(s) => Cow::Owned(guard_formula(&s).into_owned()),
    }
}

fn write_field<W: Write>(out: &mut W, field: &str, delimiter: u8) -> io::Result<()> {
    let needs_quotes = field.bytes().any(|b| b == delimiter || b == b'"' || b == b'\r' || b == b'\n');
    if !needs_quotes {
        return out.write_all(field.as_bytes());
    }
    out.write_all(b"\"")?;
    let mut rest = field;
    while let Some(i) = rest.find('"') {
        out.write_all(&rest.as_bytes()[..=i])?;
        out.write_all(b"\"")?;
        rest = &rest[i + 1..];
    }
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\"")
}

/// A streaming CSV writer: header first (optional), then any number of rows.
#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    out: W,
    options: CsvOptions,
    started: bool,
    width: Option<usize>,
    rows: u64,
}

impl<W: Write> CsvWriter<W> {
    /// Wraps `out`. Nothing is written until the first record (the BOM included).
    pub fn new(out: W, options: CsvOptions) -> Self {
        Self { out, options, started: false, width: None, rows: 0 }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            if self.options.bom {
                self.out.write_all(BOM)?;
            }
        }
        Ok(())
    }

    /// Writes one record of already-rendered field strings, guarding each one
    /// against formula injection.
    pub fn write_text_record<S: AsRef<str>>(&mut self, fields: &[S]) -> io::Result<()> {
        self.start()?;
        let d = self.options.delimiter.byte();
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                self.out.write_all(&[d])?;
            }
            write_field(&mut self.out, &guard_formula(f.as_ref()), d)?;
        }
        self.out.write_all(b"\r\n")
    }

    /// Writes the header record from the column titles (when `options.header`) and
    /// fixes the record width: later rows are padded to it.
    pub fn write_header(&mut self, columns: &[Column]) -> io::Result<()> {
        self.width = Some(columns.len());
        if self.options.header {
            let titles: Vec<&str> = columns.iter().map(|c| c.title.as_str()).collect();
            self.write_text_record(&titles)?;
        }
        Ok(())
    }

    /// Writes one data row. Short rows are padded with empty fields up to the header
    /// width; a row wider than the header is refused with `InvalidInput`.
    pub fn write_row(&mut self, cells: &[Cell]) -> io::Result<()> {
        if let Some(w) = self.width
            && cells.len() > w
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("row {} has {} cells but the header has {w} columns", self.rows + 1, cells.len()),
            ));
        }
        self.start()?;
        let d = self.options.delimiter.byte();
        let width = self.width.unwrap_or(cells.len()).max(cells.len());
        for i in 0..width {
            if i > 0 {
                self.out.write_all(&[d])?;
            }
            if let Some(cell) = cells.get(i) {
                write_field(&mut self.out, &cell_field(cell), d)?;
            }
        }
        self.rows += 1;
        self.out.write_all(b"\r\n")
    }

    /// Data rows written so far.
    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the inner writer. An empty output still gets its BOM.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.start()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Streams `rows` under a header built from `columns`; returns the data-row count.
pub fn write_csv<W, I, R>(out: W, columns: &[Column], rows: I, options: CsvOptions) -> io::Result<u64>
where
    W: Write,
    I: IntoIterator<Item = R>,
    R: AsRef<[Cell]>,
{
    let mut w = CsvWriter::new(out, options);
    w.write_header(columns)?;
    for row in rows {
        w.write_row(row.as_ref())?;
    }
    let n = w.rows_written();
    w.into_inner()?;
    Ok(n)
}

/// Renders a whole sheet in memory. Fails only when a row is wider than the header.
pub fn sheet_to_csv(sheet: &Sheet, options: CsvOptions) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64 * (sheet.rows.len() + 1));
    write_csv(&mut out, &sheet.columns, &sheet.rows, options)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::ColumnKind;

    fn render(rows: Vec<Vec<Cell>>) -> String {
        let mut sheet = Sheet::new("s", vec![Column::text("A", 0.0), Column::text("B", 0.0)]);
        sheet.rows = rows;
        String::from_utf8(sheet_to_csv(&sheet, CsvOptions::default()).unwrap()).unwrap()
    }

    #[test]
    fn every_formula_trigger_gets_an_apostrophe() {
        for t in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\u{FF1D}1", "\u{FF0B}1", "\u{FF0D}1", "\u{FF20}x"] {
            assert!(is_formula_trigger(t), "{t:?}");
            assert_eq!(guard_formula(t), format!("'{t}"));
        }
        for t in ["", "a=b", " =1", "1-2", "'quoted", "\u{00A0}=1"] {
            assert_eq!(guard_formula(t), t, "{t:?}");
        }
    }

    #[test]
    fn negative_numbers_from_numeric_cells_are_not_prefixed() {
        let out = render(vec![vec![Cell::Int(-5), Cell::Number(-1.25)], vec![Cell::text("-5"), Cell::Empty]]);
        assert_eq!(out, "A,B\r\n-5,-1.25\r\n'-5,\r\n");
    }

    #[test]
    fn fields_with_delimiters_quotes_and_line_breaks_are_quoted() {
        let out = render(vec![vec![Cell::text("a,b"), Cell::text("say \"hi\"\nbye")]]);
        assert_eq!(out, "A,B\r\n\"a,b\",\"say \"\"hi\"\"\nbye\"\r\n");
    }

    #[test]
    fn a_guarded_field_is_also_quoted_when_it_needs_quotes() {
        let out = render(vec![vec![Cell::text("=HYPERLINK(\"http://x\",\"y\")"), Cell::text("\r\n")]]);
        assert_eq!(out, "A,B\r\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",\"'\r\n\"\r\n");
    }

    #[test]
    fn the_header_is_guarded_too() {
        let sheet = Sheet::new("s", vec![Column::text("=cmd", 0.0)]);
        let out = sheet_to_csv(&sheet, CsvOptions::default()).unwrap();
        assert_eq!(out, b"'=cmd\r\n");
    }

    #[test]
    fn the_bom_is_written_only_when_asked_for() {
        let sheet = Sheet::new("s", vec![Column::text("Å", 0.0)]);
        let with = sheet_to_csv(&sheet, CsvOptions { bom: true, ..CsvOptions::default() }).unwrap();
        let without = sheet_to_csv(&sheet, CsvOptions::default()).unwrap();
        assert!(with.starts_with(BOM));
        assert_eq!(&with[3..], &without[..]);
        assert!(!without.starts_with(BOM));
    }

    #[test]
    fn semicolon_and_tab_delimiters_quote_their_own_separator() {
        let mut sheet = Sheet::new("s", vec![Column::text("A", 0.0), Column::text("B", 0.0)]);
        sheet.rows = vec![vec![Cell::text("x;y"), Cell::text("a\tb")]];
        let semi = sheet_to_csv(&sheet, CsvOptions { delimiter: Delimiter::Semicolon, ..Default::default() }).unwrap();
        assert_eq!(semi, b"A;B\r\n\"x;y\";a\tb\r\n");
        let tab = sheet_to_csv(&sheet, CsvOptions { delimiter: Delimiter::Tab, ..Default::default() }).unwrap();
        assert_eq!(tab, b"A\tB\r\nx;y\t\"a\tb\"\r\n");
    }

    #[test]
    fn short_rows_are_padded_and_wide_rows_are_refused() {
        assert_eq!(render(vec![vec![Cell::text("x")]]), "A,B\r\nx,\r\n");
        let mut sheet = Sheet::new("s", vec![Column::text("A", 0.0)]);
        sheet.rows = vec![vec![Cell::Int(1), Cell::Int(2)]];
        assert_eq!(sheet_to_csv(&sheet, CsvOptions::default()).unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn the_streaming_writer_matches_the_in_memory_renderer() {
        let columns = vec![Column::new("N", ColumnKind::Number, 0.0), Column::text("T", 0.0)];
        let rows = (0..1000).map(|i| vec![Cell::Int(i - 500), Cell::text(format!("row {i}, \"q\""))]);
        let mut streamed = Vec::new();
        let n = write_csv(&mut streamed, &columns, rows.clone(), CsvOptions::default()).unwrap();
        assert_eq!(n, 1000);
        let mut sheet = Sheet::new("s", columns);
        sheet.rows = rows.collect();
        assert_eq!(streamed, sheet_to_csv(&sheet, CsvOptions::default()).unwrap());
    }

    #[test]
    fn links_dates_and_booleans_render_as_text() {
        let out = render(vec![vec![Cell::link("Doc", "https://e.test/d"), Cell::Bool(false)]]);
        assert_eq!(out, "A,B\r\nDoc <https://e.test/d>,false\r\n");
        let out = render(vec![vec![Cell::Date("2026-05-04".into()), Cell::DateTime("-bad".into())]]);
        assert_eq!(out, "A,B\r\n2026-05-04,'-bad\r\n");
    }
}
