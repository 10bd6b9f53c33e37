//! Staffing over HTTP (supervisors, admins): `GET /api/v1/staffing?date=` — the day's hourly
//! forecast, agents needed (Erlang C), scheduled and the gap, with Erlang A's waits and
//! abandonment — and each agent's weekly shifts (`GET`/`PUT /api/v1/users/{id}/shifts`).

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ApiJson, ApiPath, ApiQuery, session::Auth};
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::staffing::{self, StaffingPlan},
    store::shifts::Shift,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanParams {
    /// `YYYY-MM-DD`, `today` or `tomorrow` (in the team's time zone) [default: today].
    pub date: Option<String>,
}

fn supervisor(auth: &Auth) -> AppResult<()> {
    let staff = auth.staff()?;
    if !staff.role.oversees_all() {
        return Err(AppError::Forbidden("supervisors and admins plan staffing".to_owned()));
    }
    Ok(())
}

/// The day's staffing plan, hour by hour.
#[utoipa::path(get, path = "/api/v1/staffing", tag = "staffing", params(PlanParams),
    responses((status = 200, body = StaffingPlan), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn plan(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<PlanParams>) -> AppResult<ApiJson<StaffingPlan>> {
    supervisor(&auth)?;
    let today = state.clock.today_in(state.sla.calendar.time_zone);
    let date = match params.date.as_deref() {
        None | Some("today") => today.to_string(),
        Some("tomorrow") => (today + chrono::Duration::days(1)).to_string(),
        Some(date) => date.to_owned(),
    };
    Ok(ApiJson(staffing::plan(&state, &date).await?))
}

/// An agent's weekly shifts.
#[utoipa::path(get, path = "/api/v1/users/{id}/shifts", tag = "staffing", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Shift>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(user_id = id))]
pub async fn shifts(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Vec<Shift>>> {
    supervisor(&auth)?;
    state.store.user(id).await?;
    Ok(ApiJson(state.store.shifts_of(id).await?))
}

/// Replaces an agent's weekly shifts: weekday 0 (Monday) to 6, hours 0–24, start before end.
#[utoipa::path(put, path = "/api/v1/users/{id}/shifts", tag = "staffing", params(("id" = i64, Path)), request_body = Vec<Shift>,
    responses((status = 200, body = Vec<Shift>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(user_id = id))]
pub async fn set_shifts(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(shifts): ApiJson<Vec<Shift>>,
) -> AppResult<ApiJson<Vec<Shift>>> {
    supervisor(&auth)?;
    if shifts.len() > 50 {
        return Err(AppError::Unprocessable("at most 50 shifts a week".to_owned()));
    }
    for (index, shift) in shifts.iter().enumerate() {
        if !(0..=6).contains(&shift.weekday)
            || !(0..=23).contains(&shift.start_hour)
            || !(1..=24).contains(&shift.end_hour)
            || shift.start_hour >= shift.end_hour
        {
            return Err(AppError::Unprocessable(format!("shifts[{index}]: weekday 0–6, hours 0–24 with start before end")));
        }
    }
    state.store.user(id).await?;
    Ok(ApiJson(state.store.set_shifts(id, &shifts).await?))
}
