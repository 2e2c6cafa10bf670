//! Pure authentication primitives for Connect 981: the password policy and argon2id hashing,
//! TOTP second factors (RFC 6238), QR codes for enrolling them, random API tokens and recovery
//! codes.
//!
//! Nothing here does I/O, touches a database, reads the clock or the environment: time is a
//! parameter (`unix_seconds`), and the only thing taken from the operating system is randomness.
//! Storage, rate limiting and sessions belong to the crates that use this one.

pub mod error;
pub mod password;
pub mod qr;
pub mod secret;
pub mod totp;

pub use error::{AuthError, Result};
pub use password::{PasswordPolicy, PasswordProblem, check_password, hash_password, needs_rehash, verify_password};
pub use secret::{constant_time_eq, random_token, token_hash};
pub use totp::TotpSecret;
