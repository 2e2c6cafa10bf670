//! Time-based one-time passwords (TOTP, RFC 6238, on HOTP, RFC 4226) as authenticator apps
//! compute them: HMAC-SHA-1, 6 digits, 30-second steps, a 20-byte secret shown as base32.
//!
//! [`verify`] accepts the previous, current and next step (clock drift of up to 30 s either way)
//! and refuses any step at or before the last one used, so an observed code cannot be replayed;
//! the caller stores the step it returns. Rate limiting wrong codes is the caller's job too.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::{Result, fill_random};

/// Seconds per step (RFC 6238 `X`).
pub const STEP_SECONDS: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;
/// Bytes in a secret: the length of an HMAC-SHA-1 output, as RFC 4226 recommends.
pub const SECRET_LEN: usize = 20;

/// A TOTP shared secret. Wiped from memory when dropped; its `Debug` shows nothing of it.
/// There is no `Display`: to show it to the user (once, at enrolment) call [`Self::to_base32`].
pub struct TotpSecret([u8; SECRET_LEN]);

impl TotpSecret {
    /// A new secret from the operating system's random number generator.
    ///
    /// # Errors
    /// [`crate::AuthError::Random`] when no random bytes could be had.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; SECRET_LEN];
        fill_random(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A secret from its raw bytes (as stored by the caller).
    #[must_use]
    pub fn from_bytes(bytes: [u8; SECRET_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw bytes, for storage.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; SECRET_LEN] {
        &self.0
    }

    /// The secret in RFC 4648 base32 without padding (32 characters, `A`–`Z` and `2`–`7`), as
    /// authenticator apps expect it typed in or inside an `otpauth://` URI.
    #[must_use]
    pub fn to_base32(&self) -> String {
        base32_encode(&self.0)
    }

    /// Reads a secret written in base32, ignoring case, whitespace and `=` padding at the end.
    ///
    /// # Errors
    /// A character outside the base32 alphabet, an impossible length, or a secret that is not
    /// 20 bytes long.
    pub fn from_base32(text: &str) -> Result<Self, SecretError> {
        let mut bytes = base32_decode(text)?;
        let secret = <[u8; SECRET_LEN]>::try_from(bytes.as_slice())
            .map(Self)
            .map_err(|_| SecretError::WrongSize { bytes: bytes.len() });
        bytes.zeroize();
        secret
    }
}

impl Drop for TotpSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

/// Why a typed-in secret could not be read. The messages never show the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// A character that is not in the base32 alphabet; `position` counts characters from 1.
    #[error("TOTP secret: character {position} is not base32 (only A-Z and 2-7 are)")]
    InvalidCharacter {
        /// Where the character is, counting from 1 and including spaces.
        position: usize,
    },
    /// A number of base32 characters that no byte string encodes to.
    #[error("TOTP secret: is cut off (its length is not one base32 produces)")]
    InvalidLength,
    /// Valid base32, but not a 20-byte secret.
    #[error("TOTP secret: must be 20 bytes (32 base32 characters), it is {bytes} bytes")]
    WrongSize {
        /// The bytes it decodes to.
        bytes: usize,
    },
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 (the standard alphabet, uppercase) without `=` padding.
#[must_use]
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u16 = 0;
    let mut bits: u32 = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32_ALPHABET[usize::from((buffer >> bits) & 0x1f)]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32_ALPHABET[usize::from((buffer << (5 - bits)) & 0x1f)]));
    }
    out
}

/// Decodes RFC 4648 base32, ignoring case, whitespace anywhere and `=` padding at the end.
/// Strict otherwise: a length that no encoding produces, or unused trailing bits that are not
/// zero, are refused rather than guessed at.
///
/// # Errors
/// [`SecretError::InvalidCharacter`] or [`SecretError::InvalidLength`].
pub fn base32_decode(text: &str) -> Result<Vec<u8>, SecretError> {
    let unpadded = text.trim_end_matches(|c: char| c == '=' || c.is_whitespace());
    let mut out = Vec::with_capacity(unpadded.len() * 5 / 8);
    let mut buffer: usize = 0;
    let mut bits: u32 = 0;
    let mut symbols = 0usize;
    for (index, c) in unpadded.chars().enumerate() {
        if c.is_whitespace() {
            continue;
        }
        let upper = c.to_ascii_uppercase();
        let Some(value) = BASE32_ALPHABET.iter().position(|&a| char::from(a) == upper) else {
            out.zeroize();
            return Err(SecretError::InvalidCharacter { position: index + 1 });
        };
        symbols += 1;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // Symbols in the last group of 8: 1, 3 and 6 encode no whole number of bytes.
    if matches!(symbols % 8, 1 | 3 | 6) || buffer != 0 {
        out.zeroize();
        return Err(SecretError::InvalidLength);
    }
    Ok(out)
}

/// The step (RFC 6238 `T`) a moment falls in.
#[must_use]
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// HOTP (RFC 4226 §5.3) of `counter`: HMAC-SHA-1, dynamic truncation, the last `digits` digits.
fn hotp(secret: &TotpSecret, counter: u64, digits: u32) -> u32 {
    // HMAC pads a key shorter than the block with zeros (RFC 2104), so a zero-padded 64-byte
    // key gives the same MAC and spares a fallible constructor.
    let mut key = [0u8; 64];
    key[..SECRET_LEN].copy_from_slice(&secret.0);
    let mut mac = <Hmac<Sha1> as KeyInit>::new(&key.into());
    key.zeroize();
    mac.update(&counter.to_be_bytes());
    let digest: [u8; 20] = mac.finalize().into_bytes().into();
    let offset = usize::from(digest[19] & 0x0f);
    let binary =
        u32::from_be_bytes([digest[offset], digest[offset + 1], digest[offset + 2], digest[offset + 3]]) & 0x7fff_ffff;
    binary % 10u32.pow(digits)
}

fn code_for_step(secret: &TotpSecret, step: i64, digits: u32) -> String {
    // Steps before 1970 do not occur; clamping keeps the function total.
    let counter = u64::try_from(step).unwrap_or(0);
    format!("{:0width$}", hotp(secret, counter, digits), width = digits as usize)
}

/// The 6-digit code for the moment `unix_seconds` (seconds since 1970, UTC).
#[must_use]
pub fn code_at(secret: &TotpSecret, unix_seconds: i64) -> String {
    code_for_step(secret, step_at(unix_seconds), DIGITS)
}

/// Checks a code typed at `unix_seconds`. Spaces in the code are ignored ("123 456").
/// Accepts the codes of the previous, current and next step, except steps at or before
/// `last_used_step` (a code is good once). Returns the matched step, which the caller stores
/// as the new `last_used_step`; `None` for a wrong, malformed or replayed code.
#[must_use]
pub fn verify(secret: &TotpSecret, code: &str, unix_seconds: i64, last_used_step: Option<i64>) -> Option<i64> {
    let typed: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_seconds);
    let mut matched = None;
    // Every candidate is computed and compared, whichever matches, so that the time taken
    // does not say which step a code belonged to.
    for step in [now - 1, now, now + 1] {
        let fresh = step >= 0 && last_used_step.is_none_or(|last| step > last);
        let expected = code_for_step(secret, step, DIGITS);
        let equal: bool = expected.as_bytes().ct_eq(typed.as_bytes()).into();
        if equal && fresh {
            matched = Some(step);
        }
    }
    matched
}

/// The `otpauth://` URI that authenticator apps read from a QR code:
/// `otpauth://totp/Issuer:account?secret=…&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
/// Issuer and account are percent-encoded (everything but letters, digits and `-._~`).
#[must_use]
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        account = percent_encode(account),
        secret = secret.to_base32(),
    )
}

/// Percent-encodes the UTF-8 bytes of `text`, leaving only RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    const RFC_6238_SHA1: &[(i64, &str)] = &[
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn the_rfc_6238_sha1_vectors_give_the_published_8_digit_codes() {
        let secret = rfc_secret();
        for (time, code) in RFC_6238_SHA1 {
            assert_eq!(code_for_step(&secret, step_at(*time), 8), *code, "T = {time}");
        }
    }

    #[test]
    fn the_6_digit_code_is_the_last_6_digits_of_the_rfc_vectors() {
        let secret = rfc_secret();
        for (time, code) in RFC_6238_SHA1 {
            assert_eq!(code_at(&secret, *time), code[2..], "T = {time}");
        }
    }

    #[test]
    fn the_rfc_4226_hotp_vectors_match() {
        // RFC 4226 Appendix D, counters 0 to 9.
        let expected = [755_224, 287_082, 359_152, 969_429, 338_314, 254_676, 287_922, 162_583, 399_871, 520_489];
        let secret = rfc_secret();
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(&secret, counter as u64, 6), *code, "counter {counter}");
        }
    }

    #[test]
    fn a_code_verifies_in_its_step_and_the_neighbouring_ones_only() {
        let secret = rfc_secret();
        let t = 1_234_567_890; // step 41152263
        let step = step_at(t);
        let code = code_at(&secret, t);
        assert_eq!(verify(&secret, &code, t, None), Some(step));
        assert_eq!(verify(&secret, &code, t + 30, None), Some(step), "one step late");
        assert_eq!(verify(&secret, &code, t - 30, None), Some(step), "one step early");
        assert_eq!(verify(&secret, &code, t + 60, None), None, "two steps late");
        assert_eq!(verify(&secret, &code, t - 60, None), None, "two steps early");
    }

    #[test]
    fn a_used_step_cannot_be_replayed_nor_an_earlier_one_used() {
        let secret = rfc_secret();
        let t = 1_111_111_111;
        let code = code_at(&secret, t);
        let used = verify(&secret, &code, t, None).unwrap();
        assert_eq!(verify(&secret, &code, t, Some(used)), None, "replay");
        let previous = code_at(&secret, t - 30);
        assert_eq!(verify(&secret, &previous, t, Some(used)), None, "older than the last used");
        let next = code_at(&secret, t + 30);
        assert_eq!(verify(&secret, &next, t, Some(used)), Some(used + 1));
    }

    #[test]
    fn wrong_or_malformed_codes_are_refused_and_spaces_ignored() {
        let secret = rfc_secret();
        let t = 59;
        let code = code_at(&secret, t);
        assert_eq!(code, "287082");
        assert_eq!(verify(&secret, " 287 082 ", t, None), Some(1));
        for bad in ["287083", "28708", "2870820", "", "      ", "28708a", "２８７０８２", "-87082", "+287082"] {
            assert_eq!(verify(&secret, bad, t, None), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_matches_the_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), encoded);
            assert_eq!(base32_decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar", "padding and lowercase");
        assert_eq!(base32_decode(" mzxw 6ytb oi ").unwrap(), b"foobar", "spaces");
    }

    #[test]
    fn base32_refuses_foreign_characters_and_impossible_lengths() {
        assert_eq!(base32_decode("MZXW1YTB"), Err(SecretError::InvalidCharacter { position: 5 }));
        assert_eq!(base32_decode("MZ=XW"), Err(SecretError::InvalidCharacter { position: 3 }));
        assert_eq!(base32_decode("MZXWé"), Err(SecretError::InvalidCharacter { position: 5 }));
        assert_eq!(base32_decode("M"), Err(SecretError::InvalidLength));
        assert_eq!(base32_decode("MZX"), Err(SecretError::InvalidLength));
        assert_eq!(base32_decode("MY"), Ok(b"f".to_vec()));
        assert_eq!(base32_decode("MZ"), Err(SecretError::InvalidLength), "\"f\" with non-zero trailing bits");
        assert_eq!(base32_decode("MZ7"), Err(SecretError::InvalidLength));
        assert_eq!(base32_decode("MR"), Err(SecretError::InvalidLength), "non-zero trailing bits");
    }

    #[test]
    fn a_secret_round_trips_through_base32_and_rejects_other_sizes() {
        let secret = TotpSecret::generate().unwrap();
        let text = secret.to_base32();
        assert_eq!(text.len(), 32);
        assert!(text.bytes().all(|b| BASE32_ALPHABET.contains(&b)));
        let grouped: String =
            text.to_lowercase().as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c) + " ").collect();
        assert_eq!(TotpSecret::from_base32(&grouped).unwrap().as_bytes(), secret.as_bytes());
        assert_eq!(
            TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap().as_bytes(),
            b"12345678901234567890"
        );
        assert_eq!(TotpSecret::from_base32("MZXW6YTBOI").unwrap_err(), SecretError::WrongSize { bytes: 6 });
        assert_ne!(TotpSecret::generate().unwrap().as_bytes(), secret.as_bytes());
    }

    #[test]
    fn the_debug_output_of_a_secret_shows_nothing_of_it() {
        let secret = rfc_secret();
        let debug = format!("{secret:?}");
        assert_eq!(debug, "TotpSecret(<redacted>)");
    }

    #[test]
    fn the_otpauth_uri_has_every_parameter_and_encodes_label_and_issuer() {
        let uri = otpauth_uri(&rfc_secret(), "Connect 981", "jane.doe@plant.example");
        assert_eq!(
            uri,
            "otpauth://totp/Connect%20981:jane.doe%40plant.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Connect%20981&algorithm=SHA1&digits=6&period=30"
        );
        let tricky = otpauth_uri(&rfc_secret(), "A&B:C", "x?y=z/ü");
        assert!(tricky.starts_with("otpauth://totp/A%26B%3AC:x%3Fy%3Dz%2F%C3%BC?secret="), "{tricky}");
        assert!(tricky.contains("&issuer=A%26B%3AC&"), "{tricky}");
    }

    #[test]
    fn times_before_1970_neither_panic_nor_verify_negative_steps() {
        let secret = rfc_secret();
        let code = code_at(&secret, -1);
        assert_eq!(code.len(), 6);
        assert_eq!(verify(&secret, &code, 0, None), Some(0));
        assert_eq!(code_at(&secret, i64::MIN), code_at(&secret, 0), "clamped to step 0");
        let late = code_at(&secret, i64::MAX);
        assert_eq!(verify(&secret, &late, i64::MAX, None), Some(step_at(i64::MAX)));
        assert_eq!(verify(&secret, &late, i64::MAX, Some(i64::MAX)), None);
    }
}
