//! Random secrets that are not passwords: API tokens, recovery codes, and how to store them.
//!
//! Tokens and recovery codes are generated here with enough entropy that no one can guess them,
//! so they are stored as a plain SHA-256 (fast, and usable as a lookup key) rather than with a
//! slow password hash; the database never holds them in clear.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::error::{Result, fill_random};

/// Random bytes in a token: 256 bits.
pub const TOKEN_BYTES: usize = 32;

/// A new token: `prefix` followed by 32 random bytes in base64url without padding (43
/// characters), e.g. `random_token("c981_pat_")`. The prefix tells people and secret scanners
/// what the token is; it adds no secrecy.
///
/// # Errors
/// [`crate::AuthError::Random`] when no random bytes could be had.
pub fn random_token(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    fill_random(&mut bytes)?;
    let mut token = String::with_capacity(prefix.len() + 43);
    token.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(bytes, &mut token);
    bytes.zeroize();
    Ok(token)
}

/// The SHA-256 of a token in lowercase hex (64 characters): what is stored and looked up.
#[must_use]
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Characters of recovery codes: digits and lowercase letters without those that are easily
/// mistaken for another (`0`/`o`, `1`/`l`/`i`). 31 characters, so a 10-character code carries
/// about 49.5 bits.
pub const RECOVERY_ALPHABET: &[u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// Characters in a recovery code, without the dash.
pub const RECOVERY_CODE_LEN: usize = 10;

/// `n` new recovery codes, each 10 characters from [`RECOVERY_ALPHABET`] written `xxxxx-xxxxx`.
/// Show them once; store [`recovery_code_hash`] of each.
///
/// # Errors
/// [`crate::AuthError::Random`] when no random bytes could be had.
pub fn recovery_codes(n: usize) -> Result<Vec<String>> {
    let mut codes = Vec::with_capacity(n);
    let mut pool = RandomChars::new();
    for _ in 0..n {
        let mut code = String::with_capacity(RECOVERY_CODE_LEN + 1);
        for i in 0..RECOVERY_CODE_LEN {
            if i == RECOVERY_CODE_LEN / 2 {
                code.push('-');
            }
            code.push(pool.next()?);
        }
        codes.push(code);
    }
    Ok(codes)
}

/// Draws characters of [`RECOVERY_ALPHABET`] uniformly: bytes of 248 and above are thrown away
/// (248 = 8 × 31), so that `byte % 31` favours no character.
struct RandomChars {
    buffer: [u8; 64],
    used: usize,
}

impl RandomChars {
    fn new() -> Self {
        Self { buffer: [0; 64], used: 0 }
    }

    fn next(&mut self) -> Result<char> {
        const LIMIT: u8 = (256 - 256 % RECOVERY_ALPHABET.len()) as u8;
        loop {
            if self.used == 0 || self.used >= self.buffer.len() {
                fill_random(&mut self.buffer)?;
                self.used = 0;
            }
            let byte = self.buffer[self.used];
            self.used += 1;
            if byte < LIMIT {
                return Ok(char::from(RECOVERY_ALPHABET[usize::from(byte) % RECOVERY_ALPHABET.len()]));
            }
        }
    }
}

impl Drop for RandomChars {
    fn drop(&mut self) {
        self.buffer.zeroize();
    }
}

/// A recovery code as typed, reduced to what matters: lowercase, without whitespace or dashes.
/// `"ABCDE-FGHJK"`, `"abcde fghjk"` and `"abcdefghjk"` are the same code.
#[must_use]
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect()
}

/// What is stored for a recovery code and looked up when one is typed: the [`token_hash`] of
/// its [`normalize_recovery_code`] form.
#[must_use]
pub fn recovery_code_hash(code: &str) -> String {
    token_hash(&normalize_recovery_code(code))
}

/// Whether `a` and `b` are equal, in time that depends on their lengths only, not on where
/// they differ.
#[must_use]
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_token_is_the_prefix_and_43_base64url_characters_and_never_repeats() {
        let token = random_token("c981_pat_").unwrap();
        let body = token.strip_prefix("c981_pat_").unwrap();
        assert_eq!(body.len(), 43);
        assert!(body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{body}");
        assert_eq!(URL_SAFE_NO_PAD.decode(body).unwrap().len(), 32);
        let many: HashSet<String> = (0..100).map(|_| random_token("").unwrap()).collect();
        assert_eq!(many.len(), 100);
    }

    #[test]
    fn token_hash_is_sha256_in_lowercase_hex() {
        // FIPS 180-2 example "abc", and the empty string.
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(token_hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn recovery_codes_are_formatted_from_the_unambiguous_alphabet_and_distinct() {
        let codes = recovery_codes(10).unwrap();
        assert_eq!(codes.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 11, "{code}");
            assert_eq!(code.as_bytes()[5], b'-', "{code}");
            let chars = code.replace('-', "");
            assert!(chars.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)), "{code}");
            assert!(!chars.contains(['0', 'o', '1', 'l', 'i']), "{code}");
        }
        assert_eq!(codes.iter().collect::<HashSet<_>>().len(), 10);
        assert!(recovery_codes(0).unwrap().is_empty());
    }

    #[test]
    fn recovery_code_characters_are_roughly_uniform() {
        // 31 characters over 31,000 draws: each expected 1000 times; a biased or broken
        // generator (a character never drawn, or one drawn twice as often) fails.
        let mut counts = [0usize; 31];
        for code in recovery_codes(3100).unwrap() {
            for b in code.bytes().filter(|b| *b != b'-') {
                let index = RECOVERY_ALPHABET.iter().position(|a| *a == b).unwrap();
                counts[index] += 1;
            }
        }
        for (i, count) in counts.iter().enumerate() {
            assert!((800..1200).contains(count), "{} drawn {count} times", char::from(RECOVERY_ALPHABET[i]));
        }
    }

    #[test]
    fn typed_recovery_codes_normalize_to_the_same_hash() {
        let code = "abcde-fghjk";
        assert_eq!(normalize_recovery_code(" ABCDE - fghjk\t"), "abcdefghjk");
        assert_eq!(recovery_code_hash(code), recovery_code_hash("ABCDEFGHJK"));
        assert_eq!(recovery_code_hash(code), token_hash("abcdefghjk"));
        assert_ne!(recovery_code_hash(code), recovery_code_hash("abcde-fghjm"));
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"same", b"same!"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
