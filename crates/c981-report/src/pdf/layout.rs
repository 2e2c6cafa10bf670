//! Page layout: turns a [`Doc`] into positioned drawing operations per page.
//!
//! Text is wrapped greedily at spaces using the Helvetica advance widths; a word wider
//! than its box is broken between characters. Paragraphs may continue on the next
//! page line by line. Table rows are kept whole: a row that does not fit the rest of
//! the page moves to the next page, and only a row taller than a whole page is split
//! (line by line). The table header row is repeated at the top of every page the
//! table continues on, and headings are kept with the start of what follows them.
//!
//! Coordinates are PDF points with the origin at the bottom-left corner.

use super::fonts::{Font, encode_winansi};
use super::{Block, Cover, Doc};
use crate::table::RowStyle;

/// Body text size.
const BODY: f32 = 10.0;
/// Table text size.
const TABLE: f32 = 8.0;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.25;
/// Distance from the top of a line box to its baseline, as a multiple of the size.
const ASCENT: f32 = 0.93;
/// Cell padding, horizontal and vertical.
const PAD_X: f32 = 3.0;
const PAD_Y: f32 = 2.5;
/// Grid colour and width.
const GRID_GREY: f32 = 0.55;
const GRID_WIDTH: f32 = 0.4;
/// Header row background.
const HEADER_GREY: f32 = 0.86;

/// One drawing operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// A line of WinAnsi text with its baseline at `y`.
    Text { x: f32, y: f32, font: Font, size: f32, bytes: Vec<u8> },
    /// A filled rectangle (`y` is the bottom edge).
    Rect { x: f32, y: f32, w: f32, h: f32, rgb: [f32; 3] },
    /// A stroked line segment.
    Line { x1: f32, y1: f32, x2: f32, y2: f32 },
}

/// The operations of one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Page {
    pub ops: Vec<Op>,
}

/// Page and content-box geometry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Geometry {
    pub width: f32,
    pub height: f32,
    pub left: f32,
    pub right: f32,
    pub top: f32,
    /// Lowest y the content may reach (the footer lives below it).
    pub bottom: f32,
}

impl Geometry {
    fn content_width(&self) -> f32 {
        self.right - self.left
    }

    fn body_height(&self) -> f32 {
        self.top - self.bottom
    }
}

/// Wraps WinAnsi `bytes` into lines no wider than `max_width` at `size`.
///
/// Line feeds start a new line; runs of spaces collapse to one; an empty input yields
/// one empty line so every cell has a height.
pub(crate) fn wrap(bytes: &[u8], font: Font, size: f32, max_width: f32) -> Vec<Vec<u8>> {
    let max_units = (max_width.max(1.0) * 1000.0 / size) as u32;
    let space = u32::from(font.byte_width(b' '));
    let mut lines = Vec::new();
    for para in bytes.split(|&b| b == b'\n') {
        let mut line: Vec<u8> = Vec::new();
        let mut line_units = 0u32;
        for word in para.split(|&b| b == b' ' || b == b'\r').filter(|w| !w.is_empty()) {
            let word_units: u32 = word.iter().map(|&b| u32::from(font.byte_width(b))).sum();
            let gap = if line.is_empty() { 0 } else { space };
            if line_units + gap + word_units <= max_units {
                if gap > 0 {
                    line.push(b' ');
                }
                line.extend_from_slice(word);
                line_units += gap + word_units;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_units = 0;
            }
            if word_units <= max_units {
                line.extend_from_slice(word);
                line_units = word_units;
                continue;
            }
            // Break an over-long word between characters.
            for &b in word {
                let w = u32::from(font.byte_width(b));
                if line_units + w > max_units && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_units = 0;
                }
                line.push(b);
                line_units += w;
            }
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(Vec::new());
    }
    lines
}

/// Cuts `bytes` to fit `max_width`, ending with an ellipsis when cut.
pub(crate) fn truncate(bytes: &[u8], font: Font, size: f32, max_width: f32) -> Vec<u8> {
    if font.measure(bytes, size) <= max_width {
        return bytes.to_vec();
    }
    let ellipsis = font.measure(&[0x85], size);
    let mut out = Vec::new();
    let mut width = 0.0;
    for &b in bytes {
        let w = font.measure(&[b], size);
        if width + w + ellipsis > max_width {
            break;
        }
        out.push(b);
        width += w;
    }
    out.push(0x85);
    out
}

/// Widest unbreakable word of `text` at table size.
fn longest_word(text: &str, font: Font) -> f32 {
    encode_winansi(text)
        .split(|&b| b == b' ' || b == b'\n' || b == b'\r')
        .map(|w| font.measure(w, TABLE))
        .fold(0.0, f32::max)
}

/// Column widths: proportional to the relative widths, but each column at least as
/// wide as its longest header word and its longest cell word (up to a cap, so that
/// long URLs still break), with the other columns shrunk to make room.
fn column_widths(columns: &[(&str, f32)], rows: &[Vec<&str>], total: f32) -> Vec<f32> {
    let n = columns.len();
    let rel: Vec<f32> = columns.iter().map(|(_, w)| if w.is_finite() && *w > 0.0 { *w } else { 1.0 }).collect();
    let cap = (total / n as f32).min(90.0);
    let mut min: Vec<f32> = columns
        .iter()
        .enumerate()
        .map(|(c, (title, _))| {
            let cells = rows.iter().filter_map(|r| r.get(c)).map(|t| longest_word(t, Font::Bold)).fold(0.0, f32::max);
            (longest_word(title, Font::Bold).max(cells) + 2.0 * PAD_X + 0.5).min(cap)
        })
        .collect();
    let min_sum: f32 = min.iter().sum();
    if min_sum > total {
        min.iter_mut().for_each(|m| *m *= total / min_sum);
    }
    // Fix columns whose proportional share is below their minimum, then share the rest.
    let mut fixed = vec![false; n];
    loop {
        let fixed_width: f32 = (0..n).filter(|&i| fixed[i]).map(|i| min[i]).sum();
        let free_rel: f32 = (0..n).filter(|&i| !fixed[i]).map(|i| rel[i]).sum();
        let share = |i: usize| rel[i] / free_rel * (total - fixed_width);
        let newly: Vec<usize> = (0..n).filter(|&i| !fixed[i] && share(i) < min[i]).collect();
        if newly.is_empty() || free_rel == 0.0 {
            return (0..n).map(|i| if fixed[i] || free_rel == 0.0 { min[i] } else { share(i) }).collect();
        }
        for i in newly {
            fixed[i] = true;
        }
    }
}

/// A table row with its cells already wrapped.
struct WrappedRow {
    cells: Vec<Vec<Vec<u8>>>,
    fonts: Vec<Font>,
    size: f32,
    fill: Option<[f32; 3]>,
}

impl WrappedRow {
    fn new(texts: &[&str], widths: &[f32], font: Font, size: f32, fill: Option<[f32; 3]>) -> Self {
        Self::with_fonts(texts, widths, &vec![font; widths.len()], size, fill)
    }

    fn with_fonts(texts: &[&str], widths: &[f32], fonts: &[Font], size: f32, fill: Option<[f32; 3]>) -> Self {
        let fonts: Vec<Font> = (0..widths.len()).map(|i| fonts.get(i).copied().unwrap_or(Font::Regular)).collect();
        let cells = widths
            .iter()
            .zip(&fonts)
            .enumerate()
            .map(|(i, (w, f))| wrap(&encode_winansi(texts.get(i).copied().unwrap_or("")), *f, size, w - 2.0 * PAD_X))
            .collect();
        Self { cells, fonts, size, fill }
    }

    fn lines(&self) -> usize {
        self.cells.iter().map(Vec::len).max().unwrap_or(1).max(1)
    }

    fn leading(&self) -> f32 {
        self.size * LEADING
    }

    fn height_of(&self, lines: usize) -> f32 {
        2.0 * PAD_Y + lines as f32 * self.leading()
    }

    fn height(&self) -> f32 {
        self.height_of(self.lines())
    }
}

/// Visual options for a run of rows.
#[derive(Clone, Copy)]
struct RowsLook {
    grid: bool,
}

/// The layout state machine.
pub(crate) struct Layout {
    geo: Geometry,
    pages: Vec<Page>,
    y: f32,
    fresh: bool,
}

impl Layout {
    pub(crate) fn new(geo: Geometry) -> Self {
        Self { geo, pages: vec![Page::default()], y: geo.top, fresh: true }
    }

    /// Lays out the cover page and then every block; returns the pages.
    pub(crate) fn run(mut self, doc: &Doc) -> Vec<Page> {
        self.cover(&doc.cover);
        if !doc.blocks.is_empty() {
            self.new_page();
        }
        for block in &doc.blocks {
            self.block(block);
        }
        self.pages
    }

    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("layout always has a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = self.geo.top;
        self.fresh = true;
    }

    fn remaining(&self) -> f32 {
        self.y - self.geo.bottom
    }

    /// Starts a new page unless `height` fits or the page is still empty.
    fn ensure(&mut self, height: f32) {
        if height > self.remaining() && !self.fresh {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, baseline: f32, font: Font, size: f32, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            self.page().ops.push(Op::Text { x, y: baseline, font, size, bytes });
        }
        self.fresh = false;
    }

    fn lines(&mut self, text: &str, font: Font, size: f32, gap_after: f32) {
        let leading = size * LEADING;
        let left = self.geo.left;
        for line in wrap(&encode_winansi(text), font, size, self.geo.content_width()) {
            self.ensure(leading);
            let baseline = self.y - size * ASCENT;
            self.text(left, baseline, font, size, line);
            self.y -= leading;
        }
        self.y -= gap_after;
    }

    fn cover(&mut self, cover: &Cover) {
        self.y -= self.geo.body_height() * 0.12;
        self.lines(&cover.title, Font::Bold, 24.0, 8.0);
        if let Some(sub) = &cover.subtitle {
            self.lines(sub, Font::Oblique, 14.0, 6.0);
        }
        self.y -= 18.0;
        if !cover.lines.is_empty() {
            self.key_values(&cover.lines);
        }
        if !cover.signatures.is_empty() {
            self.heading(2, "Signatures");
            let columns = [("Name", 3.0), ("Meaning", 3.0), ("Signed at", 2.5), ("Status", 1.5)];
            let rows: Vec<Vec<&str>> = cover
                .signatures
                .iter()
                .map(|s| vec![s.name.as_str(), s.meaning.as_str(), s.at.as_str(), s.status.as_str()])
                .collect();
            self.table(&columns, &rows, &[]);
        }
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading(level, text) => self.heading(*level, text),
            Block::Paragraph(text) => self.lines(text, Font::Regular, BODY, BODY * 0.6),
            Block::KeyValues(pairs) => self.key_values(pairs),
            Block::Table { columns, rows, row_styles } => {
                let cols: Vec<(&str, f32)> = columns.iter().map(|(t, w)| (t.as_str(), *w)).collect();
                let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
                self.table(&cols, &rows, row_styles);
            }
            Block::PageBreak => {
                if !self.fresh {
                    self.new_page();
                }
            }
        }
    }

    fn heading(&mut self, level: u8, text: &str) {
        let size = match level {
            0 | 1 => 15.0,
            2 => 12.5,
            _ => 11.0,
        };
        let before = if self.fresh { 0.0 } else { size * 0.8 };
        let lines = wrap(&encode_winansi(text), Font::Bold, size, self.geo.content_width()).len();
        // Keep the heading with at least three lines of what follows.
        let needed = before + lines as f32 * size * LEADING + 3.0 * BODY * LEADING + 2.0 * PAD_Y;
        self.ensure(needed);
        if !self.fresh {
            self.y -= before;
        }
        self.lines(text, Font::Bold, size, size * 0.35);
    }

    fn key_values(&mut self, pairs: &[(String, String)]) {
        let w = self.geo.content_width();
        let widths = [w * 0.3, w * 0.7];
        let look = RowsLook { grid: false };
        for (k, v) in pairs {
            let row = WrappedRow::with_fonts(&[k, v], &widths, &[Font::Bold, Font::Regular], BODY, None);
            self.place_row(&row, &widths, None, look);
        }
        self.y -= BODY * 0.6;
    }

    fn table(&mut self, columns: &[(&str, f32)], rows: &[Vec<&str>], styles: &[RowStyle]) {
        if columns.is_empty() {
            return;
        }
        let widths = column_widths(columns, rows, self.geo.content_width());
        let titles: Vec<&str> = columns.iter().map(|(t, _)| *t).collect();
        let header = WrappedRow::new(&titles, &widths, Font::Bold, TABLE, Some([HEADER_GREY; 3]));
        let look = RowsLook { grid: true };
        let wrapped: Vec<WrappedRow> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let style = styles.get(i).copied().unwrap_or_default();
                let font = if style.bold { Font::Bold } else { Font::Regular };
                WrappedRow::new(r, &widths, font, TABLE, style.fill.map(|c| c.fill_rgb()))
            })
            .collect();
        // Start on a new page unless the header and the first row (or a first slice of
        // it) fit here.
        let first = wrapped.first().map_or(0.0, |r| r.height().min(r.height_of(3)));
        self.ensure(header.height() + first);
        self.place_row(&header, &widths, None, look);
        for row in &wrapped {
            self.place_row(row, &widths, Some(&header), look);
        }
        self.y -= BODY * 0.8;
    }

    /// Places one row, moving to a new page (repeating `header`) when it does not fit,
    /// and splitting it only when it is taller than a whole page.
    fn place_row(&mut self, row: &WrappedRow, widths: &[f32], header: Option<&WrappedRow>, look: RowsLook) {
        let header_h = header.map_or(0.0, WrappedRow::height);
        let height = row.height();
        if height > self.remaining() && height <= self.geo.body_height() - header_h && !self.fresh {
            self.new_page();
            if let Some(h) = header {
                self.draw_row(h, widths, 0, h.lines(), look);
            }
        }
        let total = row.lines();
        let mut start = 0;
        let mut just_broke = false;
        while start < total {
            let mut fit = ((self.remaining() - 2.0 * PAD_Y) / row.leading()).floor().max(0.0) as usize;
            if fit == 0 && !just_broke {
                self.new_page();
                if let Some(h) = header {
                    self.draw_row(h, widths, 0, h.lines(), look);
                }
                just_broke = true;
                continue;
            }
            // A header taller than the page leaves no room: still make progress.
            fit = fit.max(1);
            just_broke = false;
            let end = (start + fit).min(total);
            self.draw_row(row, widths, start, end, look);
            start = end;
            if start < total {
                self.new_page();
                if let Some(h) = header {
                    self.draw_row(h, widths, 0, h.lines(), look);
                }
                just_broke = true;
            }
        }
    }

    /// Draws lines `from..to` of every cell of `row` at the current position.
    fn draw_row(&mut self, row: &WrappedRow, widths: &[f32], from: usize, to: usize, look: RowsLook) {
        let height = row.height_of(to - from);
        let top = self.y;
        let bottom = top - height;
        let left = self.geo.left;
        let right = left + widths.iter().sum::<f32>();
        if let Some(rgb) = row.fill {
            self.page().ops.push(Op::Rect { x: left, y: bottom, w: right - left, h: height, rgb });
        }
        let mut x = left;
        for (c, w) in widths.iter().enumerate() {
            if let Some(lines) = row.cells.get(c) {
                for (i, line) in lines.iter().enumerate().take(to.min(lines.len())).skip(from) {
                    let baseline = top - PAD_Y - (i - from) as f32 * row.leading() - row.size * ASCENT;
                    self.text(x + PAD_X, baseline, row.fonts[c], row.size, line.clone());
                }
            }
            x += w;
        }
        if look.grid {
            let ops = &mut self.pages.last_mut().expect("page").ops;
            ops.push(Op::Line { x1: left, y1: top, x2: right, y2: top });
            ops.push(Op::Line { x1: left, y1: bottom, x2: right, y2: bottom });
            let mut x = left;
            ops.push(Op::Line { x1: x, y1: top, x2: x, y2: bottom });
            for w in widths {
                x += w;
                ops.push(Op::Line { x1: x, y1: top, x2: x, y2: bottom });
            }
        }
        self.fresh = false;
        self.y = bottom;
    }
}

/// Grid stroke settings, shared with the writer.
pub(crate) const GRID: (f32, f32) = (GRID_WIDTH, GRID_GREY);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::{Cover, Doc};

    fn geo() -> Geometry {
        Geometry { width: 595.0, height: 842.0, left: 50.0, right: 545.0, top: 792.0, bottom: 74.0 }
    }

    fn texts(page: &Page) -> Vec<String> {
        page.ops
            .iter()
            .filter_map(|op| match op {
                Op::Text { bytes, .. } => Some(String::from_utf8_lossy(bytes).into_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn wrapping_respects_the_width_and_keeps_every_word() {
        let text = encode_winansi("the quick brown fox jumps over the lazy dog again and again");
        let lines = wrap(&text, Font::Regular, 10.0, 80.0);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(Font::Regular.measure(l, 10.0) <= 80.0, "{:?}", String::from_utf8_lossy(l));
        }
        assert_eq!(lines.join(&b' '), text);
    }

    #[test]
    fn an_over_long_word_is_broken_between_characters() {
        let word = "x".repeat(200);
        let lines = wrap(word.as_bytes(), Font::Regular, 10.0, 50.0);
        assert!(lines.len() > 3);
        assert_eq!(lines.concat(), word.as_bytes());
    }

    #[test]
    fn line_feeds_start_new_lines_and_empty_text_has_one_line() {
        assert_eq!(wrap(b"a\nb", Font::Regular, 10.0, 500.0), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(wrap(b"", Font::Regular, 10.0, 500.0), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn narrow_columns_grow_to_fit_their_longest_header_word() {
        let columns = [("Control", 1.0), ("Description", 20.0), ("Reviewed", 1.0)];
        let rows = vec![vec!["5.1", "text", "2026-01-10"]];
        let w = column_widths(&columns, &rows, 500.0);
        assert!((w.iter().sum::<f32>() - 500.0).abs() < 0.01);
        assert!(w[0] >= Font::Bold.measure(b"Control", TABLE) + 2.0 * PAD_X);
        assert!(w[2] >= Font::Regular.measure(b"2026-01-10", TABLE) + 2.0 * PAD_X);
        assert!(w[1] > w[0] * 5.0);
    }

    #[test]
    fn truncation_ends_with_an_ellipsis_and_fits() {
        let t = truncate(&[b'a'; 100], Font::Regular, 10.0, 60.0);
        assert_eq!(*t.last().unwrap(), 0x85);
        assert!(Font::Regular.measure(&t, 10.0) <= 60.0);
    }

    #[test]
    fn table_rows_are_never_split_and_the_header_repeats_on_each_page() {
        let rows: Vec<Vec<String>> = (0..120).map(|i| vec![format!("R{i:03}"), "word ".repeat(40)]).collect();
        let doc = Doc {
            title: "T".into(),
            cover: Cover { title: "T".into(), ..Cover::default() },
            blocks: vec![Block::Table {
                columns: vec![("Id".into(), 1.0), ("Text".into(), 4.0)],
                rows,
                row_styles: vec![],
            }],
        };
        let pages = Layout::new(geo()).run(&doc);
        assert!(pages.len() > 3);
        let mut seen = Vec::new();
        for page in &pages[1..] {
            let t = texts(page);
            assert_eq!(t.first().map(String::as_str), Some("Id"), "header first on every page");
            for id in t.iter().filter(|s| s.starts_with('R') && s.len() == 4) {
                seen.push(id.clone());
            }
        }
        // Each row id appears exactly once: no row was split over two pages.
        assert_eq!(seen.len(), 120);
        seen.dedup();
        assert_eq!(seen.len(), 120);
    }

    #[test]
    fn a_row_taller_than_a_page_is_split_across_pages() {
        let doc = Doc {
            title: "T".into(),
            cover: Cover::default(),
            blocks: vec![Block::Table {
                columns: vec![("Text".into(), 1.0)],
                rows: vec![vec!["line\n".repeat(150)]],
                row_styles: vec![],
            }],
        };
        let pages = Layout::new(geo()).run(&doc);
        assert!(pages.len() >= 3, "cover + at least two pages, got {}", pages.len());
        let lines: usize = pages.iter().map(|p| texts(p).iter().filter(|t| *t == "line").count()).sum();
        assert_eq!(lines, 150);
    }

    #[test]
    fn content_stays_inside_the_content_box() {
        let doc = Doc {
            title: "T".into(),
            cover: Cover { title: "Cover".into(), ..Cover::default() },
            blocks: (0..200).map(|i| Block::Paragraph(format!("Paragraph {i} ").repeat(8))).collect(),
        };
        for page in Layout::new(geo()).run(&doc) {
            for op in &page.ops {
                if let Op::Text { y, .. } = op {
                    assert!(*y >= geo().bottom && *y <= geo().top);
                }
            }
        }
    }
}
