//! Standard-14 font data: WinAnsi encoding and Helvetica advance widths.
//!
//! The PDF uses the non-embedded standard fonts Helvetica, Helvetica-Bold and
//! Helvetica-Oblique with `/WinAnsiEncoding`, so text is encoded to single bytes
//! ([`encode_winansi`]) and measured with the fonts' advance widths.
//!
//! The width tables hold, for WinAnsi codes 0x20..=0xFF, the `WX` advance widths (in
//! 1/1000 em) that Adobe publishes in the Core 14 AFM files `Helvetica.afm` and
//! `Helvetica-Bold.afm` (version 002.000, 1997), looked up by the glyph name that
//! WinAnsiEncoding assigns to each code (PDF 32000-1:2008, Annex D). Codes with no
//! glyph (0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D) have width 0 and are never emitted.
//! Helvetica-Oblique has the same widths as Helvetica.

/// Which of the three fonts a run of text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Font {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
    /// Helvetica-Oblique.
    Oblique,
}

impl Font {
    /// The PostScript name of the standard font.
    pub fn base_font(self) -> &'static str {
        match self {
            Font::Regular => "Helvetica",
            Font::Bold => "Helvetica-Bold",
            Font::Oblique => "Helvetica-Oblique",
        }
    }

    /// The resource name used in content streams.
    pub(crate) fn resource(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
            Font::Oblique => b"F3",
        }
    }

    fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular | Font::Oblique => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        }
    }

    /// Advance width of one WinAnsi byte in 1/1000 em (0 for control bytes).
    pub fn byte_width(self, byte: u8) -> u16 {
        if byte < 0x20 { 0 } else { self.widths()[usize::from(byte - 0x20)] }
    }

    /// Width of WinAnsi-encoded `bytes` at `size` points.
    pub fn measure(self, bytes: &[u8], size: f32) -> f32 {
        let units: u32 = bytes.iter().map(|&b| u32::from(self.byte_width(b))).sum();
        units as f32 * size / 1000.0
    }
}

/// Width of `text` at `size` points after WinAnsi encoding.
pub fn text_width(text: &str, font: Font, size: f32) -> f32 {
    font.measure(&encode_winansi(text), size)
}

/// The WinAnsi byte for a character, if the encoding has one.
pub fn winansi_byte(c: char) -> Option<u8> {
    let cp = c as u32;
    match cp {
        0x20..=0x7E | 0xA0..=0xFF => Some(cp as u8),
        _ => Some(match c {
            '\u{20AC}' => 0x80,
            '\u{201A}' => 0x82,
            '\u{0192}' => 0x83,
            '\u{201E}' => 0x84,
            '\u{2026}' => 0x85,
            '\u{2020}' => 0x86,
            '\u{2021}' => 0x87,
            '\u{02C6}' => 0x88,
            '\u{2030}' => 0x89,
            '\u{0160}' => 0x8A,
            '\u{2039}' => 0x8B,
            '\u{0152}' => 0x8C,
            '\u{017D}' => 0x8E,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201C}' => 0x93,
            '\u{201D}' => 0x94,
            '\u{2022}' => 0x95,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{02DC}' => 0x98,
            '\u{2122}' => 0x99,
            '\u{0161}' => 0x9A,
            '\u{203A}' => 0x9B,
            '\u{0153}' => 0x9C,
            '\u{017E}' => 0x9E,
            '\u{0178}' => 0x9F,
            _ => return None,
        }),
    }
}

/// Encodes text to WinAnsi bytes.
///
/// Tabs and other whitespace (including U+2028/U+2029 and the Unicode space
/// characters) become a space; the hyphens U+2010/U+2011 and the minus sign U+2212
/// become `-`; zero-width characters and other controls are dropped; any other
/// character without a WinAnsi code becomes `?`. Line breaks `\n` are kept as byte
/// 0x0A so the layout can split paragraphs; callers decide what to do with them.
pub fn encode_winansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c == '\u{00AD}' {
            continue;
        }
        if let Some(b) = winansi_byte(c) {
            out.push(b);
            continue;
        }
        match c {
            '\n' => out.push(b'\n'),
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
            '\u{2010}' | '\u{2011}' | '\u{2212}' => out.push(b'-'),
            c if c.is_whitespace() => out.push(b' '),
            c if c.is_control() => {}
            _ => out.push(b'?'),
        }
    }
    out
}

pub(crate) const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, // 0x70
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
];

pub(crate) const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, // 0x70
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_latin1_map_to_themselves() {
        assert_eq!(encode_winansi("Größe: 5 €"), b"Gr\xF6\xDFe: 5 \x80");
        assert_eq!(encode_winansi("\u{201C}ok\u{201D} \u{2013} \u{2026}"), b"\x93ok\x94 \x96 \x85");
    }

    #[test]
    fn characters_without_a_winansi_code_become_question_marks() {
        assert_eq!(encode_winansi("漢字 ≤ Ω"), b"?? ? ?");
        assert_eq!(encode_winansi("a\tb\u{2212}c\u{200B}d"), b"a b-cd");
    }

    #[test]
    fn widths_match_the_published_helvetica_metrics() {
        assert_eq!(Font::Regular.byte_width(b' '), 278);
        assert_eq!(Font::Regular.byte_width(b'W'), 944);
        assert_eq!(Font::Regular.byte_width(b'i'), 222);
        assert_eq!(Font::Regular.byte_width(b'@'), 1015);
        assert_eq!(Font::Bold.byte_width(b'@'), 975);
        assert_eq!(Font::Bold.byte_width(b'i'), 278);
        assert_eq!(Font::Regular.byte_width(0x80), 556);
        assert_eq!(Font::Regular.byte_width(0xE9), 556);
        assert!((text_width("Hello", Font::Regular, 10.0) - 22.78).abs() < 0.001);
    }

    #[test]
    fn every_encodable_byte_has_a_width() {
        for b in 0x20u8..=0xFF {
            let defined = !matches!(b, 0x7F | 0x81 | 0x8D | 0x8F | 0x90 | 0x9D);
            assert_eq!(Font::Regular.byte_width(b) > 0, defined, "byte {b:#x}");
            assert_eq!(Font::Bold.byte_width(b) > 0, defined, "byte {b:#x}");
        }
    }
}
