//! Follow-ups and the task list: `POST /api/v1/conversations/{id}/follow-ups` schedules a
//! check-back; when it is due it appears in `GET /api/v1/tasks?assignee=me`, and
//! `POST /api/v1/tasks/{id}/done` ticks it off.

use axum::{extract::State, http::StatusCode};
use edudesk_core::{Access, input::ShortText};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery, authorize};
use crate::{
    AppState,
    error::{AppError, AppResult},
    http::session::Auth,
    services::follow_ups::{FollowUp, PendingFollowUp, pending_follow_ups, schedule_follow_up},
    store::{jobs::Task, to_utc},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    /// Minutes from now (1 to 43,200, i.e. 30 days).
    pub due_in_minutes: i64,
    /// What to check, e.g. "确认视频已恢复播放 / confirm playback works".
    pub title: String,
    /// Written to the learner when it is due, if given.
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpScheduled {
    pub conversation_id: i64,
    pub due_at: chrono::DateTime<chrono::Utc>,
}

/// Schedules a follow-up on a conversation (staff).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/follow-ups", tag = "routing", params(("id" = i64, Path)), request_body = FollowUpRequest,
    responses((status = 201, body = FollowUpScheduled), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn schedule(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<FollowUpRequest>,
) -> AppResult<(StatusCode, ApiJson<FollowUpScheduled>)> {
    let conversation = match authorize(&state, &auth, id).await? {
        (conversation, Access::Staff) => conversation,
        _ => return Err(AppError::Forbidden("only staff working on the conversation schedule follow-ups".to_owned())),
    };
    if !(1..=43_200).contains(&request.due_in_minutes) {
        return Err(AppError::Unprocessable("due_in_minutes: must be between 1 and 43200".to_owned()));
    }
    let title = ShortText::parse("title", &request.title, 200)?.into_string();
    let message = request.message.as_deref().map(edudesk_core::input::MessageBody::parse).transpose()?.map(|body| body.as_str().to_owned());
    let follow_up = FollowUp {
        conversation_id: id,
        title,
        message,
        assignee_id: conversation.assignee_id.or(auth.staff().ok().map(|staff| staff.user_id)),
        only_if_resolved: false,
        due_at: None,
    };
    let due = schedule_follow_up(&state, &follow_up, request.due_in_minutes * 60_000).await?;
    Ok((StatusCode::CREATED, ApiJson(FollowUpScheduled { conversation_id: id, due_at: to_utc(due) })))
}

/// A conversation's follow-ups still to come, with the time each is due (staff working on it).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/follow-ups", tag = "routing", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PendingFollowUp>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn pending(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Vec<PendingFollowUp>>> {
    match authorize(&state, &auth, id).await? {
        (_, Access::Staff | Access::Collaborator) => Ok(ApiJson(pending_follow_ups(&state, id).await?)),
        _ => Err(AppError::Forbidden("only staff see a conversation's follow-ups".to_owned())),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskParams {
    /// `me` (default), or `all` for supervisors and admins.
    pub assignee: Option<String>,
}

/// Tasks due now (follow-ups whose time has come), oldest first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "routing", params(TaskParams),
    responses((status = 200, body = Vec<Task>), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<TaskParams>) -> AppResult<ApiJson<Vec<Task>>> {
    let staff = auth.staff()?;
    let assignee = match params.assignee.as_deref().unwrap_or("me") {
        "me" => Some(staff.user_id),
        "all" if staff.role.oversees_all() => None,
        "all" => return Err(AppError::Forbidden("only supervisors and admins see everyone's tasks".to_owned())),
        other => return Err(AppError::BadRequest(format!("assignee: '{other}' is not me or all"))),
    };
    Ok(ApiJson(state.store.due_tasks(assignee, state.clock.now_ms()).await?))
}

/// Marks a task done (its assignee, or a supervisor).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/done", tag = "routing", params(("id" = i64, Path)),
    responses((status = 200, body = Task), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(task_id = id))]
pub async fn done(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Task>> {
    let staff = auth.staff()?;
    let task = state.store.task(id).await?;
    if task.assignee_id != Some(staff.user_id) && !staff.role.oversees_all() {
        return Err(AppError::Forbidden("this task belongs to someone else".to_owned()));
    }
    Ok(ApiJson(state.store.complete_task(id, state.clock.now_ms()).await?))
}
