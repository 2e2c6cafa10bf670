//! The web UI (being written).

use axum::Router;
use axum::response::{IntoResponse, Response};

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
}

pub(crate) async fn not_found() -> Response {
    crate::ApiError::not_found("no such page").into_response()
}
