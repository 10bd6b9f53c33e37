//! Training over HTTP: every staff member's course and quizzes (`GET /api/v1/training`,
//! `POST /api/v1/training/attempts`, `POST …/attempts/{id}/answers`), practice with a
//! simulated learner (`POST /api/v1/training/practice`, `GET …/practice/{id}`,
//! `POST …/practice/{id}/replies`), and for supervisors the team's certifications
//! (`GET /api/v1/training/team`) and granting one (`POST /api/v1/training/certifications`).
//! Attempts and practices are their owner's: anyone else's id is not found.

use axum::{extract::State, http::StatusCode};
use edudesk_core::{model::Tier, training::Module};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiJson, ApiPath, lang::Language, session::Auth};
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::training::{self as service, Attempt, AttemptResult, Certification, Course, PracticeView, TeamMember},
};

/// The caller's course in the request's language (`?lang=`, else `Accept-Language`), with
/// their progress and certifications (staff).
#[utoipa::path(get, path = "/api/v1/training", tag = "training",
    responses((status = 200, body = Course), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn course(State(state): State<AppState>, auth: Auth, Language(lang): Language) -> AppResult<ApiJson<Course>> {
    let staff = auth.staff()?;
    Ok(ApiJson(service::course(&state, &staff, lang).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartAttempt {
    pub tier: Tier,
    /// `product`, `skills`, `tools` or `sops`.
    pub module: String,
}

/// Starts a quiz: fresh questions for one module at one tier (staff).
#[utoipa::path(post, path = "/api/v1/training/attempts", tag = "training", request_body = StartAttempt,
    responses((status = 201, body = Attempt), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn start_attempt(
    State(state): State<AppState>,
    auth: Auth,
    Language(lang): Language,
    ApiJson(request): ApiJson<StartAttempt>,
) -> AppResult<(StatusCode, ApiJson<Attempt>)> {
    let staff = auth.staff()?;
    let module =
        Module::parse(&request.module).ok_or_else(|| AppError::Unprocessable(format!("module: '{}' is not product, skills, tools or sops", request.module)))?;
    Ok((StatusCode::CREATED, ApiJson(service::start_attempt(&state, &staff, request.tier, module, lang).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// The chosen option of each question, in order (0-based).
    pub answers: Vec<usize>,
}

/// Submits the answers to one's own open quiz; the score, the right options, and whether the
/// tier is now certified (staff).
#[utoipa::path(post, path = "/api/v1/training/attempts/{id}/answers", tag = "training", params(("id" = i64, Path)), request_body = Answers,
    responses((status = 200, body = AttemptResult), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(attempt_id = id))]
pub async fn submit_attempt(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<Answers>,
) -> AppResult<ApiJson<AttemptResult>> {
    let staff = auth.staff()?;
    Ok(ApiJson(service::submit_attempt(&state, &staff, id, &request.answers).await?))
}

/// Every active staff member's certifications, passed modules and practice (supervisors, admins).
#[utoipa::path(get, path = "/api/v1/training/team", tag = "training",
    responses((status = 200, body = Vec<TeamMember>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn team(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<Vec<TeamMember>>> {
    auth.require_supervisor()?;
    Ok(ApiJson(service::team(&state).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub user_id: i64,
    pub tier: Tier,
}

/// Certifies a staff member for a tier without the course (supervisors, admins); returns
/// their certifications.
#[utoipa::path(post, path = "/api/v1/training/certifications", tag = "training", request_body = Grant,
    responses((status = 200, body = Vec<Certification>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn grant(State(state): State<AppState>, auth: Auth, ApiJson(request): ApiJson<Grant>) -> AppResult<ApiJson<Vec<Certification>>> {
    let supervisor = auth.require_supervisor()?;
    Ok(ApiJson(service::grant(&state, &supervisor, request.user_id, request.tier).await?))
}

/// Starts a practice with a simulated learner in the request's language (staff).
#[utoipa::path(post, path = "/api/v1/training/practice", tag = "training",
    responses((status = 201, body = PracticeView), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn start_practice(State(state): State<AppState>, auth: Auth, Language(lang): Language) -> AppResult<(StatusCode, ApiJson<PracticeView>)> {
    let staff = auth.staff()?;
    Ok((StatusCode::CREATED, ApiJson(service::start_practice(&state, &staff, lang).await?)))
}

/// One's own practice (staff).
#[utoipa::path(get, path = "/api/v1/training/practice/{id}", tag = "training", params(("id" = i64, Path)),
    responses((status = 200, body = PracticeView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(practice_id = id))]
pub async fn practice(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<PracticeView>> {
    let staff = auth.staff()?;
    Ok(ApiJson(service::practice(&state, &staff, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PracticeReply {
    pub body: String,
}

/// The trainee's reply; the simulated learner answers (staff).
#[utoipa::path(post, path = "/api/v1/training/practice/{id}/replies", tag = "training", params(("id" = i64, Path)), request_body = PracticeReply,
    responses((status = 200, body = PracticeView), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(practice_id = id))]
pub async fn reply_practice(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<PracticeReply>,
) -> AppResult<ApiJson<PracticeView>> {
    let staff = auth.staff()?;
    let body = edudesk_core::input::ShortText::parse("body", &request.body, 2000)?;
    Ok(ApiJson(service::reply_practice(&state, &staff, id, body.as_str()).await?))
}
