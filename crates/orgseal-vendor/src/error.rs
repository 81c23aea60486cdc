//! `AppError`, the error answer every handler returns, and its constructors.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error answer: a status and a sentence saying what went wrong.
#[derive(Debug)]
pub(crate) struct AppError(pub(crate) StatusCode, pub(crate) String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.0, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], self.1 + "\n").into_response()
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError(StatusCode::INTERNAL_SERVER_ERROR, format!("database error: {e}"))
    }
}

impl From<object_store::Error> for AppError {
    fn from(e: object_store::Error) -> Self {
        AppError(StatusCode::INTERNAL_SERVER_ERROR, format!("storage error: {e}"))
    }
}

pub(crate) fn not_found() -> AppError {
    AppError(StatusCode::NOT_FOUND, "no such file".into())
}

pub(crate) fn forbidden_csrf() -> AppError {
    AppError(StatusCode::FORBIDDEN, "missing or wrong CSRF token: reload the page and try again".into())
}
