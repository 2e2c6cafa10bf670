//! The small palette shared by every renderer: severity and status colours.
//!
//! Colours are named (green, yellow, orange, red, purple, grey) rather than given as
//! RGB so that each output can choose what prints well: XLSX and PDF use light
//! [`fill`](Colour::fill_hex) tints behind black text, SVG charts use the stronger
//! [`chart`](Colour::chart_hex) tones plus a [letter](Colour::letter) and a hatch
//! pattern so a black-and-white printout still tells the classes apart.

use std::fmt;
use std::str::FromStr;

/// A named colour class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Colour {
    /// Low severity / implemented.
    Green,
    /// Medium severity / partial.
    Yellow,
    /// High severity / planned.
    Orange,
    /// Very high severity / not started.
    Red,
    /// Critical / beyond appetite.
    Purple,
    /// Neutral / not applicable / unknown.
    Grey,
}

impl Colour {
    /// Every colour, in severity order.
    pub const ALL: [Colour; 6] =
        [Colour::Green, Colour::Yellow, Colour::Orange, Colour::Red, Colour::Purple, Colour::Grey];

    /// Parses a colour name, case-insensitively; `gray` is accepted for `grey`.
    pub fn from_name(name: &str) -> Option<Colour> {
        let n = name.trim().to_ascii_lowercase();
        Some(match n.as_str() {
            "green" => Colour::Green,
            "yellow" => Colour::Yellow,
            "orange" => Colour::Orange,
            "red" => Colour::Red,
            "purple" => Colour::Purple,
            "grey" | "gray" => Colour::Grey,
            _ => return None,
        })
    }

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Colour::Green => "green",
            Colour::Yellow => "yellow",
            Colour::Orange => "orange",
            Colour::Red => "red",
            Colour::Purple => "purple",
            Colour::Grey => "grey",
        }
    }

    /// A one-letter code printed next to colour-coded values (B/W printing).
    pub fn letter(self) -> char {
        match self {
            Colour::Green => 'G',
            Colour::Yellow => 'Y',
            Colour::Orange => 'O',
            Colour::Red => 'R',
            Colour::Purple => 'P',
            Colour::Grey => 'N',
        }
    }

    /// Light tint for row backgrounds behind black text, as `#RRGGBB`.
    pub fn fill_hex(self) -> &'static str {
        match self {
            Colour::Green => "#D8EFD3",
            Colour::Yellow => "#FFF3B8",
            Colour::Orange => "#FFDDB8",
            Colour::Red => "#F8CBCB",
            Colour::Purple => "#E6D5F2",
            Colour::Grey => "#E6E6E6",
        }
    }

    /// Stronger tone for chart cells and bars (still readable under black text).
    pub fn chart_hex(self) -> &'static str {
        match self {
            Colour::Green => "#7BC47F",
            Colour::Yellow => "#F2D54B",
            Colour::Orange => "#F29D4B",
            Colour::Red => "#E0605E",
            Colour::Purple => "#A77BCA",
            Colour::Grey => "#BDBDBD",
        }
    }

    /// The [`fill_hex`](Colour::fill_hex) tint as RGB components in `0.0..=1.0`.
    pub fn fill_rgb(self) -> [f32; 3] {
        let hex = &self.fill_hex()[1..];
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_or(1.0, |v| f32::from(v) / 255.0);
        [channel(0), channel(2), channel(4)]
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error for an unknown colour name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownColour(pub String);

impl fmt::Display for UnknownColour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown colour {:?} (expected green, yellow, orange, red, purple or grey)", self.0)
    }
}

impl std::error::Error for UnknownColour {}

impl FromStr for Colour {
    type Err = UnknownColour;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Colour::from_name(s).ok_or_else(|| UnknownColour(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_gray_is_accepted() {
        for c in Colour::ALL {
            assert_eq!(Colour::from_name(c.name()), Some(c));
        }
        assert_eq!("Gray".parse::<Colour>(), Ok(Colour::Grey));
        assert!("teal".parse::<Colour>().is_err());
    }

    #[test]
    fn letters_are_distinct_so_black_and_white_prints_stay_readable() {
        let mut letters: Vec<char> = Colour::ALL.iter().map(|c| c.letter()).collect();
        letters.sort_unstable();
        letters.dedup();
        assert_eq!(letters.len(), Colour::ALL.len());
    }

    #[test]
    fn fill_rgb_decodes_the_hex_tint() {
        let [r, g, b] = Colour::Grey.fill_rgb();
        assert!((r - 230.0 / 255.0).abs() < 1e-6 && (g - r).abs() < 1e-6 && (b - r).abs() < 1e-6);
    }
}
