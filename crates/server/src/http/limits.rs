//! Limits every request meets before a handler runs: a body whose declared length is over the
//! route's limit is refused at once (413, nothing read), a body that trickles in is cut off
//! by a read deadline, and every 413 — whoever raised it — is a problem document.

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{AppState, error::AppError};

/// The largest body each route takes (the routes' own `DefaultBodyLimit`s, in one place).
pub fn body_limit_for(state: &AppState, path: &str) -> usize {
    let config = &state.config;
    if path == "/api/v1/feedback" {
        config.attachment_max_bytes * 4 + 64 * 1024
    } else if path.starts_with("/api/v1/conversations/") && path.ends_with("/attachments") {
        config.attachment_max_bytes + 1024
    } else {
        config.body_limit_bytes
    }
}

pub async fn bodies(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = body_limit_for(&state, request.uri().path());
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()).and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return too_large(limit);
    }
    let response = next.run(request).await;
    let is_problem = response.headers().get(header::CONTENT_TYPE).is_some_and(|value| value.as_bytes().starts_with(b"application/problem+json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem {
        return too_large(limit);
    }
    response
}

fn too_large(limit: usize) -> Response {
    AppError::PayloadTooLarge(format!("the request body is over this endpoint's limit of {limit} bytes")).into_response()
}
