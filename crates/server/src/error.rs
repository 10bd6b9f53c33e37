//! The one error type of the HTTP API, rendered as RFC 9457 `application/problem+json`.
//!
//! Use cases and handlers return `Result<_, AppError>` and use `?`; the user gets a clear
//! `detail`, the log gets the cause. Storage errors arrive already classified by the store
//! (`StoreError`: not found, conflict...) and map one to one: 404, 409, 403, 422, 503, 500.

use axum::{
    Json,
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use edudesk_core::{StatusChangeError, input::InputError};
use serde::Serialize;
use utoipa::ToSchema;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// What was there is no more (an expired link).
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after_seconds: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` plus the status when there is no more to say).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The HTTP reason phrase.
    pub title: &'static str,
    pub status: u16,
    /// What went wrong, for the person reading it.
    pub detail: String,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn not_found(what: &str) -> Self {
        AppError::NotFound(format!("{what} not found"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user is told — over HTTP and over the realtime socket alike. An internal
    /// error's cause (SQL, database names, paths) goes to the log, never to the user.
    pub fn public_detail(&self) -> String {
        match self {
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                "an internal error occurred; it has been logged".to_owned()
            }
            other => other.to_string(),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "https://edudesk.dev/problems/bad-request",
            AppError::Unauthorized(_) => "https://edudesk.dev/problems/unauthorized",
            AppError::Forbidden(_) => "https://edudesk.dev/problems/forbidden",
            AppError::NotFound(_) => "https://edudesk.dev/problems/not-found",
            AppError::Conflict(_) => "https://edudesk.dev/problems/conflict",
            AppError::Gone(_) => "https://edudesk.dev/problems/gone",
            AppError::PayloadTooLarge(_) => "https://edudesk.dev/problems/payload-too-large",
            AppError::UnsupportedMediaType(_) => "https://edudesk.dev/problems/unsupported-media-type",
            AppError::Unprocessable(_) => "https://edudesk.dev/problems/invalid-input",
            AppError::Unavailable(_) => "https://edudesk.dev/problems/unavailable",
            AppError::TooManyRequests { .. } => "https://edudesk.dev/problems/too-many-requests",
            AppError::Internal(_) => "https://edudesk.dev/problems/internal",
        }
    }
}

/// Renders a problem response; used for errors that never became an `AppError` (panics, 405).
pub fn problem_response(status: StatusCode, kind: &'static str, detail: String) -> Response {
    let problem = Problem { kind, title: status.canonical_reason().unwrap_or("Error"), status: status.as_u16(), detail };
    let mut response = (status, Json(problem)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = self.public_detail();
        let mut response = problem_response(status, self.kind(), detail);
        if let AppError::TooManyRequests { retry_after_seconds, .. } = &self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_seconds));
        }
        response
    }
}

impl From<crate::store::error::StoreError> for AppError {
    fn from(error: crate::store::error::StoreError) -> Self {
        use crate::store::error::StoreError;
        match error {
            StoreError::NotFound(detail) => AppError::NotFound(detail),
            StoreError::Conflict(detail) => AppError::Conflict(detail),
            StoreError::Forbidden(detail) => AppError::Forbidden(detail),
            StoreError::Unprocessable(detail) => AppError::Unprocessable(detail),
            StoreError::Unavailable(detail) => AppError::Unavailable(detail),
            StoreError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        crate::store::error::StoreError::from(error).into()
    }
}

impl From<InputError> for AppError {
    fn from(error: InputError) -> Self {
        AppError::Unprocessable(error.to_string())
    }
}

impl From<StatusChangeError> for AppError {
    fn from(error: StatusChangeError) -> Self {
        AppError::Conflict(error.to_string())
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        let detail = rejection.body_text();
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge("the request body is larger than the configured limit".to_owned()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType("send the body as JSON with Content-Type: application/json".to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY => AppError::Unprocessable(detail),
            _ => AppError::BadRequest(detail),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::BadRequest(rejection.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::BadRequest(rejection.body_text())
    }
}
