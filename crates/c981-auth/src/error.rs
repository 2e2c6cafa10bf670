//! Internal failures of the authentication primitives: the operating system's random number
//! generator, the password hash, the QR encoder. A user's mistake (a weak password, a wrong
//! code) is not an `AuthError`: those have their own types ([`crate::PasswordProblem`],
//! [`crate::totp::SecretError`]) or are a plain `false` / `None`.

/// Something that should not fail did: the caller logs it and answers with a server error.
/// Messages never contain a password, a secret or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The operating system could not give us random bytes.
    #[error("randomness: the operating system's random number generator failed: {0}")]
    Random(String),
    /// Argon2 refused to hash (bad parameters or an internal error).
    #[error("password hash: argon2id failed: {0}")]
    Hash(String),
    /// The data does not fit in a QR code, or the renderer produced something unexpected.
    #[error("QR code: {0}")]
    Qr(String),
}

/// The result of this crate's fallible operations.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;

/// Fills `buf` from the operating system's random number generator.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| AuthError::Random(e.to_string()))
}
