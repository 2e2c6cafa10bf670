//! Timestamps as microseconds since the Unix epoch: decimal epoch seconds (Zeek's default)
//! and ISO 8601 / RFC 3339 strings (Zeek's `JSON::TS_ISO8601`), without a time zone database.

/// Days from 1970-01-01 to the given proleptic Gregorian date.
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses unsigned decimal digits; `None` when empty or not all digits.
fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The first 6 digits of a fraction of a second, as microseconds (`"5"` is 500,000).
fn fraction_micros(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut us = 0i64;
    for i in 0..6 {
        us = us * 10 + s.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
    }
    Some(us)
}

/// `"1700000000.123456"` (optionally negative, any number of fraction digits) as
/// microseconds; also tolerates exponent notation through a float.
pub(crate) fn parse_epoch_seconds(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let exact = (|| match body.split_once('.') {
        Some((int, frac)) => {
            let int = if int.is_empty() { 0 } else { digits(int)? };
            int.checked_mul(1_000_000)?.checked_add(fraction_micros(frac)?)
        }
        None => digits(body)?.checked_mul(1_000_000),
    })();
    match exact {
        Some(us) => Some(if neg { -us } else { us }),
        None => {
            let f: f64 = s.parse().ok()?;
            float_seconds_to_micros(f)
        }
    }
}

/// Float seconds as microseconds, refusing NaN, infinities and values beyond ±2^53 µs.
pub(crate) fn float_seconds_to_micros(f: f64) -> Option<i64> {
    let us = (f * 1e6).round();
    if us.is_finite() && us.abs() < 9.007_199_254_740_992e15 { Some(us as i64) } else { None }
}

/// An ISO 8601 date and time: `2024-05-06T07:08:09.123456Z`, with `Z`, `±HH:MM`, `±HHMM`
/// or no offset (taken as UTC), `T` or a space between date and time.
pub(crate) fn parse_iso8601(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(s.get(0..4)?)?;
    let month = u32::try_from(digits(s.get(5..7)?)?).ok()?;
    let day = u32::try_from(digits(s.get(8..10)?)?).ok()?;
    let hour = digits(s.get(11..13)?)?;
    let minute = digits(s.get(14..16)?)?;
    let second = digits(s.get(17..19)?)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut micros = 0;
    if let Some(frac) = rest.strip_prefix('.').or_else(|| rest.strip_prefix(',')) {
        let end = frac.find(|c: char| !c.is_ascii_digit()).unwrap_or(frac.len());
        micros = fraction_micros(&frac[..end])?;
        rest = &frac[end..];
    }
    let offset_secs = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let off = &rest[1..];
            let (h, m) = match off.len() {
                5 if off.as_bytes()[2] == b':' => (digits(&off[0..2])?, digits(&off[3..5])?),
                4 => (digits(&off[0..2])?, digits(&off[2..4])?),
                2 => (digits(off)?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

/// Either form: ISO 8601 when it looks like a date, else decimal epoch seconds.
pub(crate) fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() >= 10 && s.as_bytes()[4] == b'-' { parse_iso8601(s) } else { parse_epoch_seconds(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_keep_their_microseconds_exactly() {
        assert_eq!(parse_epoch_seconds("1258531221.486539"), Some(1_258_531_221_486_539));
        assert_eq!(parse_epoch_seconds("1258531221.5"), Some(1_258_531_221_500_000));
        assert_eq!(parse_epoch_seconds("1258531221"), Some(1_258_531_221_000_000));
        assert_eq!(parse_epoch_seconds("1258531221.4865391234"), Some(1_258_531_221_486_539));
        assert_eq!(parse_epoch_seconds("-1.5"), Some(-1_500_000));
        assert_eq!(parse_epoch_seconds("1.7e9"), Some(1_700_000_000_000_000));
        assert_eq!(parse_epoch_seconds("abc"), None);
        assert_eq!(parse_epoch_seconds(""), None);
        assert_eq!(parse_epoch_seconds("NaN"), None);
    }

    #[test]
    fn iso_timestamps_honour_their_offsets() {
        let utc = parse_iso8601("2009-11-18T08:00:21.486539Z").unwrap();
        assert_eq!(utc, 1_258_531_221_486_539);
        assert_eq!(parse_iso8601("2009-11-18T09:00:21.486539+01:00"), Some(utc));
        assert_eq!(parse_iso8601("2009-11-18T09:00:21.486539+0100"), Some(utc));
        assert_eq!(parse_iso8601("2009-11-18 08:00:21.486539"), Some(utc));
        assert_eq!(parse_timestamp("2009-11-18T08:00:21.486539Z"), Some(utc));
        assert_eq!(parse_iso8601("2009-02-30T08:00:21Z"), None);
        assert_eq!(parse_iso8601("2009-11-18T08:00:21Q"), None);
    }

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
    }
}
