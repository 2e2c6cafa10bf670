//! CSV input: character encoding (UTF-8 with or without a byte order mark, UTF-16 with one,
//! otherwise Windows-1252), the delimiter (`,` `;` or tab, from the header line, or from
//! Excel's `sep=` first line), and records as raw rows carrying the physical line where each
//! record starts.

use std::borrow::Cow;
use std::io::Cursor;

use super::{Encoding, FileErrorKind, RawRow};

/// Windows-1252 code points for bytes 0x80..=0x9F; the five unassigned bytes keep their C1
/// control code points, as browsers decode them.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}', '\u{02C6}',
    '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}', '\u{0090}', '\u{2018}',
    '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}',
    '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// Decodes Windows-1252 (and so Latin-1) bytes.
pub(crate) fn decode_windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| if (0x80..0xA0).contains(&b) { CP1252_HIGH[usize::from(b - 0x80)] } else { char::from(b) })
        .collect()
}

fn decode_utf16(bytes: &[u8], little_endian: bool) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|p| if little_endian { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) });
    char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}

/// The text as UTF-8 bytes, and how it was encoded.
fn decode(bytes: Cow<'_, [u8]>) -> Result<(Cow<'_, [u8]>, Encoding), FileErrorKind> {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(FileErrorKind::Unsupported(
            "this is a legacy Excel .xls file or a password-protected workbook: save it as .xlsx or .csv".into(),
        ));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return Ok((Cow::Owned(decode_utf16(rest, true).into_bytes()), Encoding::Utf16));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return Ok((Cow::Owned(decode_utf16(rest, false).into_bytes()), Encoding::Utf16));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err(FileErrorKind::Unsupported("the file holds binary data: it is neither CSV nor XLSX".into()));
    }
    let bytes = match bytes {
        Cow::Borrowed(b) => Cow::Borrowed(b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)),
        Cow::Owned(mut v) => {
            if v.starts_with(b"\xEF\xBB\xBF") {
                v.drain(..3);
            }
            Cow::Owned(v)
        }
    };
    if std::str::from_utf8(&bytes).is_ok() {
        Ok((bytes, Encoding::Utf8))
    } else {
        Ok((Cow::Owned(decode_windows_1252(&bytes).into_bytes()), Encoding::Windows1252))
    }
}

/// Counts of `,` `;` and tab outside double quotes in each of the first lines, stopping at
/// the first line that has any; returns the delimiter and whether the first line is Excel's
/// `sep=X` directive.
fn detect_delimiter(text: &[u8]) -> (u8, bool) {
    let first_line_end = text.iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(text.len());
    let first = &text[..first_line_end];
    if first.len() == 5 && first[..4].eq_ignore_ascii_case(b"sep=") && b",;\t|".contains(&first[4]) {
        return (first[4], true);
    }
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    let mut lines = 0;
    for &b in text.iter().take(1 << 20) {
        match b {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => counts[0] += 1,
            b';' if !in_quotes => counts[1] += 1,
            b'\t' if !in_quotes => counts[2] += 1,
            b'\n' if !in_quotes => {
                if counts.iter().any(|&c| c > 0) {
                    break;
                }
                lines += 1;
                if lines >= 10 {
                    break;
                }
            }
            _ => {}
        }
    }
    // Ties go to the delimiter least likely to appear inside header text.
    let [comma, semi, tab] = counts;
    let delimiter = if tab > 0 && tab >= semi && tab >= comma {
        b'\t'
    } else if semi > 0 && semi >= comma {
        b';'
    } else {
        b','
    };
    (delimiter, false)
}

/// A CSV file being read record by record.
pub(crate) struct CsvSource<'a> {
    rdr: csv::Reader<Cursor<Cow<'a, [u8]>>>,
    rec: csv::ByteRecord,
    skip_first: bool,
    /// A byte offset already counted, and the 1-based line it is on. The csv crate's own line
    /// count skips empty lines, so lines are counted here from record byte offsets.
    counted_byte: usize,
    counted_line: u64,
}

/// Line breaks in `b`: `\n`, and `\r` not followed by `\n` (old Mac files).
fn line_breaks(b: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', b).count();
    let lone_cr = memchr::memchr_iter(b'\r', b).filter(|&i| b.get(i + 1) != Some(&b'\n')).count();
    (lf + lone_cr) as u64
}

impl<'a> CsvSource<'a> {
    /// Decodes the bytes and detects the delimiter.
    pub(crate) fn open(bytes: Cow<'a, [u8]>) -> Result<(Self, u8, Encoding), FileErrorKind> {
        let (text, encoding) = decode(bytes)?;
        let (delimiter, skip_first) = detect_delimiter(&text);
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(1 << 16)
            .from_reader(Cursor::new(text));
        Ok((
            Self { rdr, rec: csv::ByteRecord::new(), skip_first, counted_byte: 0, counted_line: 1 },
            delimiter,
            encoding,
        ))
    }

    /// Reads the next record into `raw`; `None` at the end.
    pub(crate) fn next_raw(&mut self, raw: &mut RawRow) -> Option<Result<(), String>> {
        loop {
            match self.rdr.read_byte_record(&mut self.rec) {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(e.to_string())),
            }
            if std::mem::take(&mut self.skip_first) {
                continue;
            }
            break;
        }
        let start = self.rec.position().map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let data: &[u8] = self.rdr.get_ref().get_ref();
        let mut start = start.min(data.len()).max(self.counted_byte);
        // The reported offset can be that of empty lines skipped before the record.
        while matches!(data.get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        self.counted_line += line_breaks(&data[self.counted_byte..start]);
        self.counted_byte = start;
        raw.line = self.counted_line;
        let base = raw.text.len();
        match std::str::from_utf8(self.rec.as_slice()) {
            Ok(s) => raw.text.push_str(s),
            // Cannot happen with decoded input (fields split at ASCII bytes); kept total.
            Err(_) => {
                for i in 0..self.rec.len() {
                    let v = String::from_utf8_lossy(&self.rec[i]).into_owned();
                    raw.push(i, &v);
                }
                return Some(Ok(()));
            }
        }
        for i in 0..self.rec.len() {
            if let Some(r) = self.rec.range(i) {
                raw.cells.push((i, base + r.start, base + r.end));
            }
        }
        Some(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_bytes_decode_to_their_characters() {
        assert_eq!(decode_windows_1252(b"Stra\xdfe \x80 5 \x96 M\xfcller"), "Straße € 5 – Müller");
    }

    #[test]
    fn the_delimiter_comes_from_the_header_line() {
        assert_eq!(detect_delimiter(b"a,b,c\n1;2;3;4;5\n"), (b',', false));
        assert_eq!(detect_delimiter(b"a;b;c\n1,2,3,4\n"), (b';', false));
        assert_eq!(detect_delimiter(b"a\tb\tc\n"), (b'\t', false));
        assert_eq!(detect_delimiter(b"\"a,b\";c\n"), (b';', false));
        assert_eq!(detect_delimiter(b"sep=;\na;b\n"), (b';', true));
        assert_eq!(detect_delimiter(b"name\n"), (b',', false));
    }

    #[test]
    fn line_breaks_count_lf_crlf_and_lone_cr() {
        assert_eq!(line_breaks(b"a\nb\r\nc\rd"), 3);
        assert_eq!(line_breaks(b"no breaks"), 0);
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let mut b = vec![0xFF, 0xFE];
        for u in "Name\tIP\n".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let (text, enc) = decode(Cow::Owned(b)).unwrap();
        assert_eq!(enc, Encoding::Utf16);
        assert_eq!(&*text, b"Name\tIP\n");
    }
}
