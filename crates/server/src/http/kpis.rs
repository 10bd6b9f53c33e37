//! `GET /api/v1/kpis`: support KPIs for a period, grouped by agent, tier, channel, category,
//! day or week, as JSON or CSV. Computed on request from the event log and messages
//! ([`edudesk_core::kpi`] has the definitions). Supervisors and admins see every group;
//! an agent sees their own row (`group_by=agent`).

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use chrono::{NaiveDate, TimeZone};
use edudesk_core::kpi::{self, GroupBy, KpiRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiQuery};
use crate::{
    AppState,
    auth::Auth,
    error::{AppError, AppResult},
};

/// Longest period one request may cover.
const MAX_DAYS: i64 = 366;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KpiParams {
    /// First day, `YYYY-MM-DD` in the configured time zone [default: 6 days before `to`].
    pub from: Option<String>,
    /// Last day, included [default: today].
    pub to: Option<String>,
    /// `total` (default), `agent`, `tier`, `channel`, `category`, `day` or `week`.
    pub group_by: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// One group's KPIs, with the agent's name when grouped by agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct NamedRow {
    #[serde(flatten)]
    pub row: KpiRow,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KpiReport {
    pub from: String,
    pub to: String,
    pub group_by: String,
    pub time_zone: String,
    pub rows: Vec<NamedRow>,
}

fn day(raw: &str, what: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| AppError::BadRequest(format!("{what}: '{raw}' is not a date like 2026-12-01")))
}

/// Support KPIs for a period (staff; agents their own row).
#[utoipa::path(get, path = "/api/v1/kpis", tag = "kpis", params(KpiParams),
    responses((status = 200, body = KpiReport), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn report(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<KpiParams>) -> AppResult<Response> {
    let staff = auth.staff()?;
    let group_name = params.group_by.as_deref().unwrap_or("total");
    let by = GroupBy::parse(group_name)
        .ok_or_else(|| AppError::BadRequest(format!("group_by: '{group_name}' is not one of total, agent, tier, channel, category, day, week")))?;
    let own_only = !staff.role.oversees_all();
    if own_only && by != GroupBy::Agent {
        return Err(AppError::Forbidden("agents see their own KPIs: use group_by=agent".to_owned()));
    }
    let csv = match params.format.as_deref().unwrap_or("json") {
        "json" => false,
        "csv" => true,
        other => return Err(AppError::BadRequest(format!("format: '{other}' is not json or csv"))),
    };
    let zone: chrono_tz::Tz = state.config.time_zone.parse().map_err(|_| AppError::Internal(anyhow::anyhow!("time_zone does not parse")))?;
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    let to = params.to.as_deref().map(|raw| day(raw, "to")).transpose()?.unwrap_or(today);
    let from = params.from.as_deref().map(|raw| day(raw, "from")).transpose()?.unwrap_or(to - chrono::Duration::days(6));
    if from > to {
        return Err(AppError::BadRequest("from: the first day comes after the last".to_owned()));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::BadRequest(format!("from: at most {MAX_DAYS} days at a time")));
    }
    let start_of = |date: NaiveDate| zone.from_local_datetime(&date.and_time(chrono::NaiveTime::MIN)).earliest().map(|t| t.timestamp_millis()).unwrap_or(0);
    let facts = state.store.kpi_facts(start_of(from), start_of(to + chrono::Duration::days(1))).await?;
    let mut rows = tokio::task::spawn_blocking(move || kpi::compute(&facts, by, zone)).await.map_err(|error| AppError::Internal(error.into()))?;
    if own_only {
        let me = staff.user_id.to_string();
        rows.retain(|row| row.group == me);
    }
    if csv {
        let filename = format!("kpis-{group_name}-{from}-{to}.csv");
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\""))],
            kpi::to_csv(&rows),
        )
            .into_response());
    }
    let mut named = Vec::with_capacity(rows.len());
    for row in rows {
        let name = match (by, row.group.parse::<i64>()) {
            (GroupBy::Agent, Ok(id)) => state.store.user_display_name(id).await,
            _ => None,
        };
        named.push(NamedRow { row, name });
    }
    Ok(ApiJson(KpiReport {
        from: from.to_string(),
        to: to.to_string(),
        group_by: group_name.to_owned(),
        time_zone: state.config.time_zone.clone(),
        rows: named,
    })
    .into_response())
}
