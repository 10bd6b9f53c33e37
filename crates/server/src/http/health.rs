//! Liveness and readiness: `GET /api/v1/health` (the process answers and reads its
//! database) and `GET /api/v1/ready` (it can take traffic: the database accepts writes and
//! its schema is this program's), for load balancers and orchestrators.

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

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`.
    pub status: &'static str,
    /// The newest schema migration applied (equal to this program's).
    pub schema_version: i64,
}

/// How long readiness waits for the database.
const READY_DATABASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Ready to take traffic: the database answers on the writer's connection and its schema is
/// the one this program expects (a node started before a migration, or after a restore from
/// an older backup without migrating, is not ready). 503 with the reason otherwise.
#[utoipa::path(get, path = "/api/v1/ready", tag = "system", responses((status = 200, body = Readiness), (status = 503, body = crate::error::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn ready(State(state): State<AppState>) -> AppResult<Json<Readiness>> {
    let unavailable = |why: String| crate::error::AppError::Unavailable(why);
    // A load balancer's check must get an answer within its own timeout, not after the
    // pool's acquire timeout (10 s) while the database is down.
    let versions = tokio::time::timeout(READY_DATABASE_TIMEOUT, state.store.schema_versions())
        .await
        .map_err(|_| unavailable(format!("the database did not answer within {} s", READY_DATABASE_TIMEOUT.as_secs())))?;
    let (applied, expected) = versions.map_err(|error| unavailable(format!("the database does not answer: {error}")))?;
    if applied != expected {
        return Err(unavailable(format!("the database schema is at {applied}, this program needs {expected}: run `edudesk migrate`")));
    }
    Ok(Json(Readiness { status: "ready", schema_version: applied }))
}
