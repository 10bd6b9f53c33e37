//! Liveness and readiness: `GET /api/v1/health`.

use axum::{Json, extract::State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{AppState, error::AppResult};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the server can reach its database.
    pub status: &'static str,
}

/// Reports `ok` when the server is up and its database answers.
#[utoipa::path(get, path = "/api/v1/health", tag = "system", responses((status = 200, body = Health), (status = 503, body = crate::error::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn health(State(state): State<AppState>) -> AppResult<Json<Health>> {
    sqlx::query("SELECT 1")
        .execute(&state.store.read)
        .await
        .map_err(|error| crate::error::AppError::Unavailable(format!("the database does not answer: {error}")))?;
    Ok(Json(Health { status: "ok" }))
}
