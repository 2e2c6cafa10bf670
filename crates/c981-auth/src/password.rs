//! Passwords: the policy a new password must meet and its storage as an argon2id hash.
//!
//! The policy follows OWASP ASVS 5.0 (V6): a minimum and a maximum length counted in Unicode
//! characters, every character allowed (spaces and emoji included), **no composition rules**
//! (no "one digit, one capital"), and a refusal of passwords that are known to be guessed first:
//! those on a list of commonly used passwords, those built from the user's own name or the
//! application's name, and a single character repeated.
//!
//! The built-in list is `common-passwords.txt` beside this file (written for this project:
//! keyboard walks, the perennial favourites, industrial vendor and product words with the
//! suffixes people add) plus combinations generated here (seasons, months and common words
//! followed by a year from 2015 to 2030 and a symbol, such as `summer2024` or `winter2025!`).
//! An operator may add a breached-password file of their own with [`load_extra_list`].
//!
//! Hashes are argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane) in the PHC string
//! format, so that the parameters travel with the hash and [`needs_rehash`] can tell when a
//! stored hash should be upgraded at the next successful login.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, LazyLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{AuthError, Result, fill_random};

/// What a new password must meet. `Default` is the project's policy: 12 to 128 characters.
#[derive(Clone)]
pub struct PasswordPolicy {
    /// Fewest characters (Unicode scalar values) accepted. Default 12.
    pub min_len: usize,
    /// Most characters accepted. Default 128: long enough for any passphrase, short enough
    /// that nobody sends a megabyte to the hash.
    pub max_len: usize,
    /// The operator's own list of refused passwords (lowercase), from [`load_extra_list`],
    /// checked in addition to the built-in one.
    pub extra_list: Option<Arc<HashSet<String>>>,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self { min_len: 12, max_len: 128, extra_list: None }
    }
}

impl PasswordPolicy {
    /// This policy with the operator's list of refused passwords added.
    #[must_use]
    pub fn with_extra_list(mut self, list: Arc<HashSet<String>>) -> Self {
        self.extra_list = Some(list);
        self
    }
}

impl fmt::Debug for PasswordPolicy {
    // Not derived: a breached-password list may hold millions of lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordPolicy")
            .field("min_len", &self.min_len)
            .field("max_len", &self.max_len)
            .field("extra_list_len", &self.extra_list.as_ref().map(|l| l.len()))
            .finish()
    }
}

/// Why a new password was refused. The message is written for the person choosing it and
/// never repeats the password, nor any part of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    /// Fewer characters than the policy's minimum.
    #[error("password: must be at least {min} characters long (it has {actual})")]
    TooShort {
        /// The policy's minimum.
        min: usize,
        /// The characters the password has.
        actual: usize,
    },
    /// More characters than the policy's maximum.
    #[error("password: must be at most {max} characters long (it has {actual})")]
    TooLong {
        /// The policy's maximum.
        max: usize,
        /// The characters the password has.
        actual: usize,
    },
    /// One character repeated, such as `aaaaaaaaaaaa`.
    #[error("password: must not be a single character repeated")]
    RepeatedCharacter,
    /// Contains the user name, the user's name or the application's name.
    #[error("password: must not contain your user name, your name or the name of this application")]
    ContainsContext,
    /// On the built-in list of commonly used passwords or on the operator's list.
    #[error("password: is on the list of commonly used passwords; choose another (a few unrelated words work well)")]
    Common,
}

/// Words about the application that no password should contain, whatever the user.
const APP_WORDS: &[&str] = &["connect981", "connect 981", "connect-981", "c981"];

/// A context word shorter than this is not checked: "ann" or "ops" occur inside too many
/// good passphrases.
const MIN_CONTEXT_LEN: usize = 4;

/// Checks a new password against `policy`. `context` holds words about the user (user name,
/// display name, e-mail address); the application's own names are always checked. Each
/// context entry is checked whole, without its punctuation, and word by word, ignoring case
/// and words shorter than 4 characters.
///
/// Only new passwords are checked: at login the stored hash decides, whatever today's policy.
///
/// # Errors
/// The first problem found, in the order: length, repetition, context, common passwords.
pub fn check_password(policy: &PasswordPolicy, password: &str, context: &[&str]) -> Result<(), PasswordProblem> {
    let actual = password.chars().count();
    if actual < policy.min_len {
        return Err(PasswordProblem::TooShort { min: policy.min_len, actual });
    }
    if actual > policy.max_len {
        return Err(PasswordProblem::TooLong { max: policy.max_len, actual });
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err(PasswordProblem::RepeatedCharacter);
    }

    let lower = password.to_lowercase();
    let app_words = APP_WORDS.iter().map(|w| (*w).to_owned());
    for word in app_words.chain(context.iter().copied().flat_map(context_variants)) {
        if word.chars().count() >= MIN_CONTEXT_LEN && lower.contains(&word) {
            return Err(PasswordProblem::ContainsContext);
        }
    }

    if is_common(policy, &lower) {
        return Err(PasswordProblem::Common);
    }
    Ok(())
}

/// The forms of one context entry that a password must not contain: the entry itself, the
/// entry without punctuation and spaces ("Jane Doe" → "janedoe"), and each of its words
/// ("jane.doe@plant.example" → "jane", "doe", "plant", "example"). All lowercase.
fn context_variants(entry: &str) -> Vec<String> {
    let lower = entry.trim().to_lowercase();
    let joined: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    let mut out: Vec<String> =
        lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect();
    out.push(joined);
    out.push(lower);
    out
}

fn is_common(policy: &PasswordPolicy, lower: &str) -> bool {
    let candidate = lower.trim();
    COMMON.contains(candidate) || policy.extra_list.as_ref().is_some_and(|l| l.contains(candidate))
}

/// Reads an operator's list of refused passwords: one per line, compared ignoring case.
/// Surrounding whitespace (and a Windows line end) is dropped, blank lines are skipped, and
/// every other line counts, `#` included (breached-password files have no comments).
#[must_use]
pub fn load_extra_list(text: &str) -> Arc<HashSet<String>> {
    Arc::new(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_lowercase).collect())
}

/// The built-in list of commonly used passwords, hand-written part.
const COMMON_LIST: &str = include_str!("common-passwords.txt");

/// Words people put in front of a year or a number: seasons and months (English and German),
/// greetings and the words of the trade. Never shorter than 8 characters once suffixed (shorter
/// combinations are dropped when the set is built).
const COMBINED_WORDS: &[&str] = &[
    // seasons and months
    "spring",
    "summer",
    "autumn",
    "fall",
    "winter",
    "fruehling",
    "frühling",
    "sommer",
    "herbst",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "januar",
    "februar",
    "maerz",
    "märz",
    "mai",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "christmas",
    "xmas",
    "easter",
    "ostern",
    "weihnachten",
    // the perennials
    "password",
    "passwort",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "welcome",
    "willkommen",
    "changeme",
    "letmein",
    "secret",
    "geheim",
    "qwerty",
    "qwertz",
    "azerty",
    "test",
    "guest",
    "demo",
    "login",
    "user",
    "hello",
    "hallo",
    // roles and the trade
    "admin",
    "administrator",
    "root",
    "operator",
    "engineer",
    "service",
    "maintenance",
    "support",
    "manager",
    "company",
    "factory",
    "plant",
    "production",
    "scada",
    "plc",
    "hmi",
    "siemens",
    "simatic",
    "rockwell",
    "schneider",
    "honeywell",
    "abb",
    "wago",
    "beckhoff",
    "omron",
    "yokogawa",
    "emerson",
];

/// What people add after such a word: counters and years.
const NUMBER_SUFFIXES: &[&str] = &["1", "12", "123", "1234", "12345", "123456", "01", "001", "007", "69", "99", "2k"];

/// What people add after the number, to satisfy a composition rule.
const SYMBOL_SUFFIXES: &[&str] = &["", "!", "!!", "?", ".", "#", "$", "*", "@"];

/// What people put between the word and a year.
const YEAR_SEPARATORS: &[&str] = &["", "@", "_", "-", ".", "#"];

/// The built-in list, lowercase: the file plus the generated combinations.
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(build_common_list);

fn build_common_list() -> HashSet<String> {
    let mut set: HashSet<String> =
        COMMON_LIST.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    let years: Vec<String> = (2015..=2030).flat_map(|y| [y.to_string(), format!("{:02}", y % 100)]).collect();
    let mut add = |candidate: String| {
        if candidate.chars().count() >= 8 {
            set.insert(candidate);
        }
    };
    for word in COMBINED_WORDS {
        for symbol in SYMBOL_SUFFIXES {
            for year in &years {
                for sep in YEAR_SEPARATORS {
                    add(format!("{word}{sep}{year}{symbol}"));
                }
                add(format!("{year}{word}{symbol}"));
            }
            for number in NUMBER_SUFFIXES {
                add(format!("{word}{number}{symbol}"));
            }
            add(format!("{word}{symbol}"));
        }
    }
    set
}

/// Argon2id parameters recommended by OWASP (Password Storage Cheat Sheet): m = 19 MiB,
/// t = 2, p = 1, 32-byte output.
fn owasp_params() -> Result<Params> {
    Params::new(19 * 1024, 2, 1, Some(32)).map_err(|e| AuthError::Hash(e.to_string()))
}

/// Stored hashes with a greater cost than these are refused rather than computed: a tampered
/// row must not be able to make one login allocate gigabytes or spin for minutes.
const MAX_VERIFY_M_COST: u32 = 1024 * 1024; // KiB = 1 GiB
const MAX_VERIFY_T_COST: u32 = 16;
const MAX_VERIFY_P_COST: u32 = 16;

fn hasher() -> Result<Argon2<'static>> {
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, owasp_params()?))
}

/// Hashes a password with argon2id (OWASP parameters) and a random 16-byte salt, returning a
/// PHC string such as `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`.
///
/// # Errors
/// [`AuthError::Random`] when no salt could be drawn, [`AuthError::Hash`] when argon2 fails.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt)?;
    hash_with_salt(password, &salt)
}

fn hash_with_salt(password: &str, salt: &[u8]) -> Result<String> {
    let hash: PasswordHash =
        hasher()?.hash_password_with_salt(password.as_bytes(), salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string. The parameters are taken from the string,
/// so hashes made with older parameters still verify. The comparison of the outputs is constant
/// time. A string that does not parse, is not argon2, or asks for an unreasonable cost gives
/// `false`.
#[must_use]
pub fn verify_password(phc: &str, password: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    if params.m_cost() > MAX_VERIFY_M_COST || params.t_cost() > MAX_VERIFY_T_COST || params.p_cost() > MAX_VERIFY_P_COST
    {
        return false;
    }
    Argon2::default().verify_password(password.as_bytes(), &hash).is_ok()
}

/// Whether a stored hash should be replaced (after a successful login, while the password is at
/// hand): it is not argon2id version 19 with today's parameters, a 16-byte salt and a 32-byte
/// output, or it does not parse at all.
#[must_use]
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return true;
    };
    let (Ok(params), Ok(wanted)) = (Params::try_from(&hash), owasp_params()) else {
        return true;
    };
    hash.algorithm.as_str() != Algorithm::Argon2id.as_str()
        || hash.version != Some(Version::V0x13.into())
        || params.m_cost() != wanted.m_cost()
        || params.t_cost() != wanted.t_cost()
        || params.p_cost() != wanted.p_cost()
        || hash.salt.as_ref().is_none_or(|s| s.len() < 16)
        || hash.hash.as_ref().is_none_or(|h| h.len() != 32)
}

/// A hash of nothing in particular, made once with today's parameters and a fixed salt.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_with_salt("c981 dummy password, never a real one", b"c981-dummy-salt!").ok());

/// Spends the time of one [`verify_password`] against a fixed hash and throws the answer away.
/// Call it when the user name is unknown so that a login for an unknown user takes as long as
/// one for a known user with a wrong password.
pub fn dummy_verify(password: &str) {
    if let Some(dummy) = DUMMY_HASH.as_deref() {
        std::hint::black_box(verify_password(dummy, password));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str) -> Result<(), PasswordProblem> {
        check_password(&PasswordPolicy::default(), password, &["jdoe", "Jane Doe", "jane.doe@plant.example"])
    }

    #[test]
    fn a_long_unrelated_passphrase_is_accepted() {
        assert_eq!(check("correct horse battery staple"), Ok(()));
        assert_eq!(check("tulpen-im-regen-7"), Ok(()));
    }

    #[test]
    fn no_composition_rules_all_lowercase_or_all_digits_of_good_length_pass() {
        assert_eq!(check("glassbottlemountain"), Ok(()));
        assert_eq!(check("8392017465019283"), Ok(()));
    }

    #[test]
    fn a_short_password_is_refused_with_both_lengths_in_the_message() {
        let problem = check("abc-xyz-q").unwrap_err();
        assert_eq!(problem, PasswordProblem::TooShort { min: 12, actual: 9 });
        assert_eq!(problem.to_string(), "password: must be at least 12 characters long (it has 9)");
        assert_eq!(check(""), Err(PasswordProblem::TooShort { min: 12, actual: 0 }));
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        // 12 characters, 24 bytes.
        assert_eq!(check("äöüßéèñçåøæœ"), Ok(()));
        assert_eq!(check("äöüßéèñçåøæ"), Err(PasswordProblem::TooShort { min: 12, actual: 11 }));
        assert_eq!(check("🔥🌊🌲🪨🌙☀️🌈⚡🍀🎲🧭"), Ok(()), "12 scalar values including a variation selector");
    }

    #[test]
    fn a_password_over_the_maximum_is_refused() {
        let long = "ab".repeat(65);
        assert_eq!(check(&long), Err(PasswordProblem::TooLong { max: 128, actual: 130 }));
        assert_eq!(check(&long[..128]), Ok(()));
    }

    #[test]
    fn a_single_repeated_character_is_refused() {
        assert_eq!(check("zzzzzzzzzzzzzzzz"), Err(PasswordProblem::RepeatedCharacter));
        assert_eq!(check("ßßßßßßßßßßßßß"), Err(PasswordProblem::RepeatedCharacter));
        assert_eq!(check("zzzzzzzzzzzzzzzy"), Ok(()));
    }

    #[test]
    fn passwords_containing_the_user_name_or_name_are_refused_ignoring_case() {
        assert_eq!(check("my-JDOE-secret-xyz"), Err(PasswordProblem::ContainsContext));
        assert_eq!(check("hello jane doe 77"), Err(PasswordProblem::ContainsContext));
        assert_eq!(check("xx-JaneDoe-rocks"), Err(PasswordProblem::ContainsContext));
        assert_eq!(check("i work at the plant!"), Err(PasswordProblem::ContainsContext));
    }

    #[test]
    fn the_application_name_is_always_refused() {
        let policy = PasswordPolicy::default();
        assert_eq!(check_password(&policy, "Connect981rocks!", &[]), Err(PasswordProblem::ContainsContext));
        assert_eq!(check_password(&policy, "my c981 password", &[]), Err(PasswordProblem::ContainsContext));
    }

    #[test]
    fn context_words_shorter_than_four_characters_are_ignored() {
        let policy = PasswordPolicy::default();
        assert_eq!(check_password(&policy, "bob likes long walks", &["bob", "Bo B"]), Ok(()));
        assert_eq!(
            check_password(&policy, "bobby likes long walks", &["bobby"]),
            Err(PasswordProblem::ContainsContext)
        );
    }

    #[test]
    fn common_passwords_are_refused_ignoring_case() {
        for common in ["password1234", "Qwertyuiop123", "administrator", "welcome12345", "1q2w3e4r5t6y", "SIEMENS12345"]
        {
            assert_eq!(check(common), Err(PasswordProblem::Common), "{common}");
        }
        let problem = check("Password1234").unwrap_err();
        assert!(problem.to_string().starts_with("password: is on the list of commonly used passwords"), "{problem}");
    }

    #[test]
    fn generated_season_and_year_combinations_are_refused() {
        for common in ["summer2024!!", "Winter2025!!", "Herbst_2023!", "september2030", "welcome@2026", "2024summer!!"]
        {
            assert_eq!(check(common), Err(PasswordProblem::Common), "{common}");
        }
        // Shorter ones are on the list too, for an operator who lowers the minimum to 8.
        assert!(COMMON.contains("summer2024") && COMMON.contains("winter2025!") && COMMON.contains("scada123"));
        assert!(!COMMON.contains("summer2014"), "years outside 2015..=2030 are not generated");
    }

    #[test]
    fn the_built_in_file_is_sorted_unique_lowercase_and_long_enough() {
        let lines: Vec<&str> = COMMON_LIST.lines().collect();
        assert!(lines.len() >= 400, "only {} entries", lines.len());
        for pair in lines.windows(2) {
            assert!(pair[0] < pair[1], "not sorted or duplicated: {:?}", pair);
        }
        for line in &lines {
            assert_eq!(*line, line.trim(), "surrounding whitespace in {line:?}");
            assert_eq!(*line, line.to_lowercase(), "not lowercase: {line:?}");
            assert!(line.chars().count() >= 8, "shorter than 8: {line:?}");
        }
        assert!(COMMON.len() > lines.len() + 10_000, "generated combinations missing");
    }

    #[test]
    fn an_operators_extra_list_is_honoured_ignoring_case_and_line_ends() {
        let extra = load_extra_list("Tr0ub4dor&3xyz\r\n\n   \n#hashtagpassword\n");
        assert_eq!(extra.len(), 2);
        let policy = PasswordPolicy::default().with_extra_list(extra);
        assert_eq!(check_password(&policy, "tr0ub4dor&3XYZ", &[]), Err(PasswordProblem::Common));
        assert_eq!(check_password(&policy, "#hashtagpassword", &[]), Err(PasswordProblem::Common));
        assert_eq!(check_password(&policy, "tr0ub4dor&3xyz!", &[]), Ok(()));
        assert_eq!(check_password(&PasswordPolicy::default(), "tr0ub4dor&3xyz", &[]), Ok(()));
    }

    #[test]
    fn the_policy_debug_output_does_not_dump_the_extra_list() {
        let policy = PasswordPolicy::default().with_extra_list(load_extra_list("secretsecret\nhunter2hunter2\n"));
        let debug = format!("{policy:?}");
        assert!(debug.contains("extra_list_len: Some(2)"), "{debug}");
        assert!(!debug.contains("secretsecret"), "{debug}");
    }

    #[test]
    fn problems_never_repeat_the_password() {
        let policy = PasswordPolicy { min_len: 12, max_len: 16, extra_list: None };
        let cases = [
            ("hunter2", PasswordProblem::TooShort { min: 12, actual: 7 }),
            ("hunter2hunter2hunter2", PasswordProblem::TooLong { max: 16, actual: 21 }),
            ("qqqqqqqqqqqqqqqq", PasswordProblem::RepeatedCharacter),
            ("jdoe-is-me-ok", PasswordProblem::ContainsContext),
            ("password1234", PasswordProblem::Common),
        ];
        for (password, expected) in cases {
            let problem = check_password(&policy, password, &["jdoe"]).unwrap_err();
            assert_eq!(problem, expected);
            for shown in [problem.to_string(), format!("{problem:?}")] {
                assert!(shown.starts_with("password: ") || shown.starts_with(char::is_uppercase), "{shown}");
                assert!(!shown.contains(password) && !shown.contains("hunter") && !shown.contains("jdoe"), "{shown}");
            }
        }
    }

    #[test]
    fn the_application_name_is_not_split_into_words() {
        let policy = PasswordPolicy::default();
        assert_eq!(check_password(&policy, "disconnected lanterns", &[]), Ok(()));
    }

    #[test]
    fn a_hash_verifies_its_password_only_and_is_current() {
        let phc = hash_password("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password(&phc, "correct horse battery staple"));
        assert!(!verify_password(&phc, "correct horse battery stapler"));
        assert!(!verify_password(&phc, ""));
        assert!(!needs_rehash(&phc));
        let again = hash_password("correct horse battery staple").unwrap();
        assert_ne!(phc, again, "the salt is random");
    }

    #[test]
    fn the_reference_implementations_vector_verifies_and_needs_rehash() {
        // From the argon2 reference CLI: `echo -n password | argon2 somesalt -t 2 -m 16 -p 4 -l 24`.
        let phc = "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        assert!(verify_password(phc, "password"));
        assert!(!verify_password(phc, "Password"));
        assert!(needs_rehash(phc), "argon2i with other parameters is not today's hash");
    }

    #[test]
    fn garbage_and_foreign_hashes_do_not_verify_and_need_rehash() {
        for phc in [
            "",
            "not a hash",
            "$argon2id$",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$pbkdf2-sha256$i=600000$c2FsdA$aGFzaA",
            "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(!verify_password(phc, "hunter2"), "{phc}");
            assert!(needs_rehash(phc), "{phc}");
        }
    }

    #[test]
    fn dummy_verify_runs_without_a_stored_hash() {
        assert!(DUMMY_HASH.is_some());
        dummy_verify("anything at all");
    }
}
