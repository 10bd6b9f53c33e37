//! Recognition over HTTP (staff only): the month's leaderboards, the awards, announcing the
//! 服务之星 (supervisors), nominating a case for the 最佳案例奖 (anyone on staff) and deciding
//! a nomination (supervisors).

use axum::{extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery, session::Auth};
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::awards::{self, Standing, TeamStanding},
    store::awards::Award,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonthParams {
    /// `YYYY-MM` [default: this month].
    pub month: Option<String>,
}

/// The month's leaderboards.
#[derive(Debug, Serialize, ToSchema)]
pub struct Leaderboard {
    pub month: String,
    pub agents: Vec<Standing>,
    pub teams: Vec<TeamStanding>,
}

fn this_month(state: &AppState) -> String {
    state.clock.today_in(state.sla.calendar.time_zone).format("%Y-%m").to_string()
}

/// Agents and teams ranked by balanced score for a month (staff).
#[utoipa::path(get, path = "/api/v1/awards/leaderboard", tag = "awards", params(MonthParams),
    responses((status = 200, body = Leaderboard), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn leaderboard(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<MonthParams>) -> AppResult<ApiJson<Leaderboard>> {
    auth.staff()?;
    let month = params.month.unwrap_or_else(|| this_month(&state));
    let agents = awards::standings(&state, &month).await?;
    let teams = awards::team_standings(&state, &agents).await?;
    Ok(ApiJson(Leaderboard { month, agents, teams }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AwardParams {
    /// `pending`, `approved` or `rejected`.
    pub status: Option<String>,
}

/// Awards and nominations, newest first (staff).
#[utoipa::path(get, path = "/api/v1/awards", tag = "awards", params(AwardParams),
    responses((status = 200, body = Vec<Award>), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<AwardParams>) -> AppResult<ApiJson<Vec<Award>>> {
    auth.staff()?;
    if let Some(status) = params.status.as_deref().filter(|status| !matches!(*status, "pending" | "approved" | "rejected")) {
        return Err(AppError::BadRequest(format!("status: '{status}' is not pending, approved or rejected")));
    }
    Ok(ApiJson(state.store.awards(params.status.as_deref(), 200).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StarRequest {
    /// `YYYY-MM`.
    pub month: String,
}

/// Announces the month's 服务之星 — the best balanced score (supervisors; once a month).
#[utoipa::path(post, path = "/api/v1/awards/service-star", tag = "awards", request_body = StarRequest,
    responses((status = 201, body = Award), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn announce_star(State(state): State<AppState>, auth: Auth, ApiJson(request): ApiJson<StarRequest>) -> AppResult<(StatusCode, ApiJson<Award>)> {
    let staff = auth.staff()?;
    Ok((StatusCode::CREATED, ApiJson(awards::announce_star(&state, staff, &request.month).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Nomination {
    /// The finished case.
    pub conversation_id: i64,
    /// Why it is exemplary (1–500 characters).
    pub reason: String,
}

/// Nominates a finished case for the 最佳案例奖 (anyone on staff who can read it).
#[utoipa::path(post, path = "/api/v1/awards/nominations", tag = "awards", request_body = Nomination,
    responses((status = 201, body = Award), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn nominate(State(state): State<AppState>, auth: Auth, ApiJson(request): ApiJson<Nomination>) -> AppResult<(StatusCode, ApiJson<Award>)> {
    let staff = auth.staff()?;
    Ok((StatusCode::CREATED, ApiJson(awards::nominate(&state, staff, request.conversation_id, &request.reason).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub approve: bool,
}

/// Approves or rejects a best-case nomination (supervisors, admins).
#[utoipa::path(post, path = "/api/v1/awards/nominations/{id}/decision", tag = "awards", params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = Award), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(award = id))]
pub async fn decide(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>, ApiJson(decision): ApiJson<Decision>) -> AppResult<ApiJson<Award>> {
    let staff = auth.staff()?;
    Ok(ApiJson(awards::decide(&state, staff, id, decision.approve).await?))
}
