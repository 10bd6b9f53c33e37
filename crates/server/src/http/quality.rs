//! Quality review over HTTP: `GET /api/v1/qa/sample` (supervisors: the conversations to
//! review), `PUT /api/v1/conversations/{id}/review` (supervisors: marks and comment) and
//! `GET /api/v1/qa/reviews` (supervisors everyone's, agents their own, with the average).

use axum::extract::State;
use edudesk_core::qa::Marks;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery, session::Auth};
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::quality,
    store::qa::Review,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SampleParams {
    /// Conversations resolved in the last this many days (1 to 90, default 7).
    pub days: Option<i64>,
    /// At most this many per agent (1 to 20, default 3).
    pub per_agent: Option<usize>,
}

/// One conversation to review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToReview {
    pub conversation_id: i64,
    pub agent_id: i64,
}

/// Resolved conversations not reviewed yet, a few per agent (the same list all day).
#[utoipa::path(get, path = "/api/v1/qa/sample", tag = "quality", params(SampleParams),
    responses((status = 200, body = Vec<ToReview>), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn sample(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<SampleParams>) -> AppResult<ApiJson<Vec<ToReview>>> {
    let staff = auth.staff()?;
    if !staff.role.oversees_all() {
        return Err(AppError::Forbidden("supervisors and admins review conversations".to_owned()));
    }
    let days = params.days.unwrap_or(7);
    let per_agent = params.per_agent.unwrap_or(3);
    if !(1..=90).contains(&days) || !(1..=20).contains(&per_agent) {
        return Err(AppError::BadRequest("days: 1 to 90; per_agent: 1 to 20".to_owned()));
    }
    let picked = quality::sample(&state, days, per_agent).await?;
    Ok(ApiJson(picked.into_iter().map(|(conversation_id, agent_id)| ToReview { conversation_id, agent_id }).collect()))
}

/// A review's marks (1–5 each) and comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    pub empathy: i64,
    pub accuracy: i64,
    pub sop_adherence: i64,
    pub tone: i64,
    pub comment: Option<String>,
}

/// Scores a conversation on the rubric (supervisors, admins); saving again changes it.
#[utoipa::path(put, path = "/api/v1/conversations/{id}/review", tag = "quality", params(("id" = i64, Path)), request_body = ReviewInput,
    responses((status = 200, body = Review), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn review(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>, ApiJson(input): ApiJson<ReviewInput>) -> AppResult<ApiJson<Review>> {
    let staff = auth.staff()?;
    let marks = Marks { empathy: input.empathy, accuracy: input.accuracy, sop_adherence: input.sop_adherence, tone: input.tone };
    Ok(ApiJson(quality::review(&state, staff, id, marks, input.comment).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// Supervisors and admins: one agent's reviews (agents always see their own).
    pub agent_id: Option<i64>,
    /// Reviews of the last this many days (1 to 366, default 30).
    pub days: Option<i64>,
}

/// Reviews and their average score.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewReport {
    /// The mean of the reviews' scores (each the mean of its four marks), 1–5.
    pub average_score: Option<f64>,
    pub reviews: Vec<Review>,
}

/// Quality reviews, newest first: supervisors everyone's (or one agent's), agents their own.
#[utoipa::path(get, path = "/api/v1/qa/reviews", tag = "quality", params(ReviewParams),
    responses((status = 200, body = ReviewReport), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn reviews(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<ReviewParams>) -> AppResult<ApiJson<ReviewReport>> {
    let staff = auth.staff()?;
    let days = params.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(AppError::BadRequest("days: 1 to 366".to_owned()));
    }
    let agent = if staff.role.oversees_all() {
        params.agent_id
    } else if params.agent_id.is_some_and(|id| id != staff.user_id) {
        return Err(AppError::Forbidden("agents see their own reviews".to_owned()));
    } else {
        Some(staff.user_id)
    };
    let since = state.clock.now_ms() - days * 24 * 3_600_000;
    let reviews = state.store.reviews(agent, since, 1000).await?;
    let scores: Vec<f64> = reviews.iter().map(|review| review.marks().score()).collect();
    let average_score = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    Ok(ApiJson(ReviewReport { average_score, reviews }))
}
