//! Application errors: what went wrong, in terms every channel can show to a person.

use c981_domain::{EntityKind, ValidationError};
use c981_store::StoreError;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input; every field error is listed.
    #[error("{0}")]
    Invalid(ValidationError),
    #[error("{kind} {id} was not found")]
    NotFound { kind: EntityKind, id: i64 },
    /// Something named otherwise than by an id was not found; the message says what.
    #[error("{0}")]
    NotFoundText(String),
    /// The action is not allowed for this actor (and was audited).
    #[error("{0}")]
    Forbidden(String),
    /// The credentials are missing, wrong or expired (the message never says which part).
    #[error("{0}")]
    Unauthenticated(String),
    /// Too many failed attempts: try again after the given number of seconds.
    #[error("too many failed attempts; try again in {0} seconds")]
    Throttled(u64),
    /// The request conflicts with the current state (a stale version, a record in use).
    #[error("{0}")]
    Conflict(String),
    /// The database is from a newer version of Connect 981.
    #[error("{0}")]
    SchemaTooNew(String),
    /// Anything else; the detail is logged, never shown to a client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(ValidationError::single(field, message))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { kind, id } => Self::NotFound { kind, id },
            StoreError::Invalid(v) => Self::Invalid(v),
            StoreError::Conflict(m) => Self::Conflict(m),
            e @ StoreError::SchemaTooNew { .. } => Self::SchemaTooNew(e.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<ValidationError> for AppError {
    fn from(v: ValidationError) -> Self {
        Self::Invalid(v)
    }
}
