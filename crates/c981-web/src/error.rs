//! The one mapping from errors to HTTP responses.
//!
//! Policy: every error is JSON `{"error": {"code", "message", "fields"?}}` with a stable
//! `code`; validation errors list every bad field (422); a record outside the caller's sites
//! is 404 like a missing one; conflicts (stale version, record in use, duplicate) are 409;
//! internal detail is logged with the request id and never sent.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use c981_app::AppError;
use c981_domain::FieldError;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Debug, Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<FieldError>,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), fields: Vec::new() }
    }

    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: format!("{field}: {message}"),
            fields: vec![FieldError::new(field, message)],
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(v) => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "validation_failed",
                message: v.summary(),
                fields: v.errors,
            },
            AppError::NotFound { kind, id } => Self::not_found(format!("{} {id} was not found", kind.label())),
            AppError::NotFoundText(m) => Self::not_found(m),
            AppError::Forbidden(m) => Self::forbidden(m),
            AppError::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            AppError::Unauthenticated(m) => Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", m),
            AppError::Throttled(secs) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                format!("too many failed attempts; try again in {secs} seconds"),
            ),
            AppError::SchemaTooNew(m) => Self::new(StatusCode::SERVICE_UNAVAILABLE, "schema_too_new", m),
            AppError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred; it was logged")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let body = Body { error: Inner { code: self.code, message: self.message, fields: self.fields } };
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"error\":{\"code\":\"internal\"}}".to_vec());
        let mut res = (status, [(header::CONTENT_TYPE, "application/json")], json).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer realm=\"c981\""));
        }
        res
    }
}
