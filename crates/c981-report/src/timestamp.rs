//! RFC 3339 timestamps and ISO 8601 calendar dates handed in by callers.
//!
//! The crate never reads the clock. Every "generated at" time, file time or metadata
//! date is a [`Timestamp`] parsed from an RFC 3339 string such as
//! `2026-05-04T09:30:00+02:00`, or a [`CalendarDate`] such as `2026-05-04`.
//!
//! Accepted forms: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; the `T` may also be a
//! lower-case `t` or a space and `Z` may be lower case (RFC 3339 §5.6, note). Leap
//! seconds (`:60`) are rejected because neither Excel nor OSCAL's date-time pattern
//! accepts them. Years run from 0001 to 9999.

use std::fmt;

/// A calendar date (proleptic Gregorian), parsed from `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate {
    year: u16,
    month: u8,
    day: u8,
}

/// A point in time with the UTC offset it was written with, parsed from RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    date: CalendarDate,
    hour: u8,
    minute: u8,
    second: u8,
    /// Fraction-of-second digits as written (at most 9), without the dot.
    fraction: String,
    /// Offset from UTC in minutes (east positive).
    offset_minutes: i16,
}

/// Why a date or timestamp string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampError {
    input: String,
    reason: &'static str,
}

impl TimestampError {
    fn new(input: &str, reason: &'static str) -> Self {
        Self { input: input.to_owned(), reason }
    }

    /// The refused input.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid date/time {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for TimestampError {}

fn digits(bytes: &[u8], input: &str) -> Result<u32, TimestampError> {
    let mut value = 0u32;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return Err(TimestampError::new(input, "expected a digit"));
        }
        value = value * 10 + u32::from(b - b'0');
    }
    Ok(value)
}

/// Days in `month` of `year` (Gregorian).
pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 for a Gregorian date (negative before the epoch).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl CalendarDate {
    /// Builds a date from its parts, checking that the day exists.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        if year == 0 || year > 9999 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`.
    pub fn parse(input: &str) -> Result<Self, TimestampError> {
        let b = input.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(TimestampError::new(input, "expected YYYY-MM-DD"));
        }
        let year = digits(&b[0..4], input)? as u16;
        let month = digits(&b[5..7], input)? as u8;
        let day = digits(&b[8..10], input)? as u8;
        Self::new(year, month, day).ok_or_else(|| TimestampError::new(input, "no such calendar day"))
    }

    /// The year (1..=9999).
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month (1..=12).
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month (1..=31).
    pub fn day(self) -> u8 {
        self.day
    }

    fn days_since_epoch(self) -> i64 {
        days_from_civil(i64::from(self.year), i64::from(self.month), i64::from(self.day))
    }
}

impl fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Timestamp {
    /// Parses an RFC 3339 date-time with a mandatory offset (`Z` or `±HH:MM`).
    pub fn parse(input: &str) -> Result<Self, TimestampError> {
        let b = input.as_bytes();
        if b.len() < 20 {
            return Err(TimestampError::new(input, "expected YYYY-MM-DDTHH:MM:SS followed by Z or an offset"));
        }
        let date = CalendarDate::parse(input.get(0..10).ok_or_else(|| TimestampError::new(input, "bad date"))?)
            .map_err(|e| TimestampError::new(input, e.reason))?;
        if !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
            return Err(TimestampError::new(input, "expected THH:MM:SS after the date"));
        }
        let hour = digits(&b[11..13], input)? as u8;
        let minute = digits(&b[14..16], input)? as u8;
        let second = digits(&b[17..19], input)? as u8;
        if hour > 23 || minute > 59 || second > 59 {
            return Err(TimestampError::new(input, "time of day out of range"));
        }
        let mut rest = &b[19..];
        let mut fraction = String::new();
        if rest.first() == Some(&b'.') {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return Err(TimestampError::new(input, "fraction of a second must have 1 to 9 digits"));
            }
            fraction = String::from_utf8_lossy(&rest[1..=n]).into_owned();
            rest = &rest[1 + n..];
        }
        let offset_minutes = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let oh = digits(&[*h1, *h2], input)? as i16;
                let om = digits(&[*m1, *m2], input)? as i16;
                if oh > 23 || om > 59 {
                    return Err(TimestampError::new(input, "UTC offset out of range"));
                }
                let total = oh * 60 + om;
                if *sign == b'-' { -total } else { total }
            }
            _ => return Err(TimestampError::new(input, "expected Z or ±HH:MM at the end")),
        };
        Ok(Self { date, hour, minute, second, fraction, offset_minutes })
    }

    /// The local calendar date as written.
    pub fn date(&self) -> CalendarDate {
        self.date
    }

    /// Local hour (0..=23).
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// Local minute (0..=59).
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// Second (0..=59).
    pub fn second(&self) -> u8 {
        self.second
    }

    /// Offset from UTC in minutes, east positive.
    pub fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    /// The same instant expressed in UTC (`Z`). Fails only when the instant falls
    /// outside years 0001..=9999 after the shift.
    pub fn to_utc(&self) -> Result<Timestamp, TimestampError> {
        let secs = self.date.days_since_epoch() * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes) * 60;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let date = u16::try_from(y)
            .ok()
            .and_then(|y| CalendarDate::new(y, m as u8, d as u8))
            .ok_or_else(|| TimestampError::new(&self.to_rfc3339(), "out of range once converted to UTC"))?;
        Ok(Timestamp {
            date,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            fraction: self.fraction.clone(),
            offset_minutes: 0,
        })
    }

    fn offset_string(&self) -> String {
        if self.offset_minutes == 0 {
            return "Z".to_owned();
        }
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let abs = self.offset_minutes.unsigned_abs();
        format!("{sign}{:02}:{:02}", abs / 60, abs % 60)
    }

    /// Canonical RFC 3339 form: upper-case `T`, `Z` for UTC, fraction kept as written.
    pub fn to_rfc3339(&self) -> String {
        let frac = if self.fraction.is_empty() { String::new() } else { format!(".{}", self.fraction) };
        format!("{}T{:02}:{:02}:{:02}{frac}{}", self.date, self.hour, self.minute, self.second, self.offset_string())
    }

    /// A form for people: `2026-05-04 09:30:00 UTC` or `2026-05-04 09:30:00 +02:00`.
    pub fn to_human(&self) -> String {
        let zone = if self.offset_minutes == 0 { "UTC".to_owned() } else { self.offset_string() };
        format!("{} {:02}:{:02}:{:02} {zone}", self.date, self.hour, self.minute, self.second)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl std::str::FromStr for CalendarDate {
    type Err = TimestampError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utc_timestamp_round_trips_to_the_same_string() {
        let t = Timestamp::parse("2026-05-04T09:30:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-05-04T09:30:00Z");
        assert_eq!(t.to_human(), "2026-05-04 09:30:00 UTC");
    }

    #[test]
    fn an_offset_timestamp_converts_to_utc_across_midnight() {
        let t = Timestamp::parse("2026-01-01T01:15:30.25+02:00").unwrap();
        assert_eq!(t.to_utc().unwrap().to_rfc3339(), "2025-12-31T23:15:30.25Z");
        let t = Timestamp::parse("2024-02-28T22:00:00-03:30").unwrap();
        assert_eq!(t.to_utc().unwrap().to_rfc3339(), "2024-02-29T01:30:00Z");
    }

    #[test]
    fn malformed_or_impossible_times_are_refused() {
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-05-04T24:00:00Z",
            "2026-05-04T09:30:60Z",
            "2026-05-04T09:30:00",
            "2026-05-04T09:30:00+2:00",
            "2026-5-04T09:30:00Z",
            "2026-05-04T09:30:00.Z",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn calendar_dates_check_leap_years() {
        assert!(CalendarDate::parse("2024-02-29").is_ok());
        assert!(CalendarDate::parse("2100-02-29").is_err());
        assert!(CalendarDate::parse("2000-02-29").is_ok());
        assert_eq!(CalendarDate::parse("0999-12-31").unwrap().to_string(), "0999-12-31");
    }

    #[test]
    fn day_arithmetic_matches_known_epoch_offsets() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
