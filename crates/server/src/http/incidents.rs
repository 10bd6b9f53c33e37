//! Incidents over HTTP (staff): the incidents spikes opened, running the spike check now
//! (supervisors), the banner and resolution (supervisors), and one answer to every open
//! conversation an incident links.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery, double_option, session::Auth};
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::incidents,
    store::incidents::Incident,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentParams {
    /// Only open incidents.
    pub open: Option<bool>,
}

/// Incidents opened by volume spikes, newest first (staff).
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentParams),
    responses((status = 200, body = Vec<Incident>), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<IncidentParams>) -> AppResult<ApiJson<Vec<Incident>>> {
    auth.staff()?;
    Ok(ApiJson(state.store.incidents(params.open.unwrap_or(false)).await?))
}

/// What a spike check found.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckReport {
    /// Incidents opened by this check.
    pub opened: usize,
}

fn supervisor(auth: &Auth) -> AppResult<edudesk_core::StaffPrincipal> {
    let staff = auth.staff()?;
    if !staff.role.oversees_all() {
        return Err(AppError::Forbidden("supervisors and admins manage incidents".to_owned()));
    }
    Ok(staff)
}

/// Runs the spike check now (it also runs every 5 minutes) (supervisors).
#[utoipa::path(post, path = "/api/v1/incidents/check", tag = "incidents",
    responses((status = 200, body = CheckReport), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn check(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<CheckReport>> {
    supervisor(&auth)?;
    Ok(ApiJson(CheckReport { opened: incidents::check(&state).await? }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentUpdate {
    /// The notice learners see (1–300 characters), or `null` to take it down.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub banner: Option<Option<String>>,
    /// `resolved` closes the incident (and its banner).
    pub status: Option<String>,
}

/// Sets the banner or resolves the incident (supervisors).
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "incidents", params(("id" = i64, Path)), request_body = IncidentUpdate,
    responses((status = 200, body = Incident), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(incident = id))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(update): ApiJson<IncidentUpdate>,
) -> AppResult<ApiJson<Incident>> {
    let staff = supervisor(&auth)?;
    let banner = match &update.banner {
        Some(Some(text)) => Some(Some(edudesk_core::input::ShortText::parse("banner", text, 300)?.into_string())),
        Some(None) => Some(None),
        None => None,
    };
    let resolve = match update.status.as_deref() {
        None => None,
        Some("resolved") => Some(staff.user_id),
        Some(other) => return Err(AppError::Unprocessable(format!("status: '{other}' — only resolved"))),
    };
    Ok(ApiJson(state.store.update_incident(id, banner.as_ref().map(|b| b.as_deref()), resolve, state.clock.now_ms()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentAnswer {
    pub body: String,
}

/// How many conversations got the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Answered {
    pub answered: usize,
}

/// Sends one reply to every open conversation the incident links (staff; those outside their
/// access are skipped; sending again adds nothing).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/answer", tag = "incidents", params(("id" = i64, Path)), request_body = IncidentAnswer,
    responses((status = 200, body = Answered), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(incident = id))]
pub async fn answer(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<IncidentAnswer>,
) -> AppResult<ApiJson<Answered>> {
    auth.staff()?;
    Ok(ApiJson(Answered { answered: incidents::answer_all(&state, auth.principal, id, &request.body).await? }))
}
