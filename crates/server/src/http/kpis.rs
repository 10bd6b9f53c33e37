//! `GET /api/v1/kpis`: support KPIs for a period, grouped by agent, tier, channel, category,
//! day or week, as JSON or CSV. Computed on request from the event log and messages
//! ([`edudesk_core::kpi`] has the definitions). Supervisors and admins see every group;
//! an agent sees their own row (`group_by=agent`).

use std::collections::BTreeMap;

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use edudesk_core::kpi::{self, GroupBy, KpiRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiQuery};
use crate::{
    AppState,
    error::{AppError, AppResult},
    http::{lang::Language, session::Auth},
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
    /// `total` (default), `agent`, `team`, `tier`, `channel`, `category`, `course`, `hour` (of the day), `day` or `week`.
    pub group_by: Option<String>,
    /// `json` (default), `csv`, or `svg` (a bar chart of `metric` per group).
    pub format: Option<String>,
    /// For `svg`: which number to chart, e.g. `conversations` (default),
    /// `first_response_median_s`, `resolution_rate`, `resolution_sla`.
    pub metric: Option<String>,
    /// For `svg`: the chart's language, `zh` or `en` [default: the request's, by `Accept-Language`].
    pub lang: Option<String>,
}

/// A metric's or grouping's name in the chart's language.
fn label(name: &str, chinese: bool) -> &str {
    const NAMES: &[(&str, &str, &str)] = &[
        ("conversations", "会话量", "Conversations"),
        ("bot_contained", "机器人解决", "Contained by the bot"),
        ("handled", "人工处理", "Handled by people"),
        ("responded", "已响应", "Responded"),
        ("first_response_avg_s", "首次响应（平均，秒）", "First response (mean, s)"),
        ("first_response_median_s", "首次响应（中位，秒）", "First response (median, s)"),
        ("resolved", "已解决", "Resolved"),
        ("resolution_rate", "解决率", "Resolution rate"),
        ("resolution_avg_s", "解决时长（平均，秒）", "Resolution time (mean, s)"),
        ("resolution_median_s", "解决时长（中位，秒）", "Resolution time (median, s)"),
        ("one_touch_rate", "一次解决率", "One-touch resolution"),
        ("reopened", "重开", "Reopened"),
        ("reopen_rate", "重开率", "Reopen rate"),
        ("first_response_sla", "首响达标率", "First response SLA"),
        ("resolution_sla", "解决达标率", "Resolution SLA"),
        ("rated", "评价数", "Rated"),
        ("csat", "满意度 (CSAT)", "CSAT"),
        ("average_rating", "平均评分", "Average rating"),
        ("agent", "按客服", "by agent"),
        ("team", "按团队", "by team"),
        ("occupancy", "占用率", "Occupancy"),
        ("tier", "按层级", "by tier"),
        ("channel", "按渠道", "by channel"),
        ("category", "按分类", "by category"),
        ("course", "按课程", "by course"),
        ("hour", "按时段", "by hour of day"),
        ("day", "按天", "by day"),
        ("week", "按周", "by week"),
        ("total", "合计", "total"),
        ("none", "无人处理", "nobody yet"),
    ];
    NAMES.iter().find(|(key, _, _)| *key == name).map_or(name, |(_, zh, en)| if chinese { zh } else { en })
}

/// The numbers a chart may show.
const METRICS: &[&str] = &[
    "conversations",
    "bot_contained",
    "handled",
    "responded",
    "first_response_avg_s",
    "first_response_median_s",
    "resolved",
    "resolution_rate",
    "resolution_avg_s",
    "resolution_median_s",
    "one_touch_rate",
    "reopened",
    "reopen_rate",
    "first_response_sla",
    "resolution_sla",
    "rated",
    "csat",
    "average_rating",
    "occupancy",
];

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A horizontal bar chart as SVG, drawn on the server: one bar per group, labelled with
/// the group and the value (labels escaped; no script, no outside resources).
pub fn bar_chart(title: &str, bars: &[(String, f64)]) -> String {
    const WIDTH: f64 = 640.0;
    const LABEL: f64 = 160.0;
    const BAR: f64 = 22.0;
    const GAP: f64 = 8.0;
    let top = 36.0;
    let height = top + bars.len().max(1) as f64 * (BAR + GAP) + 12.0;
    let largest = bars.iter().map(|(_, v)| *v).fold(0.0f64, f64::max);
    let scale = if largest > 0.0 { (WIDTH - LABEL - 70.0) / largest } else { 0.0 };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"13\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><text x=\"8\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>",
        xml_escape(title)
    );
    if bars.is_empty() {
        svg.push_str(&format!("<text x=\"8\" y=\"{}\" fill=\"#667085\">—</text>", top + 16.0));
    }
    for (index, (label, value)) in bars.iter().enumerate() {
        let y = top + index as f64 * (BAR + GAP);
        let shown: String = label.chars().take(22).collect();
        let number = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.2}") };
        svg.push_str(&format!(
            "<g class=\"bar\"><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{:.1}\" height=\"{BAR}\" fill=\"#2f6fde\"/>\
             <text x=\"{:.1}\" y=\"{}\">{}</text></g>",
            LABEL - 8.0,
            y + 16.0,
            xml_escape(&shown),
            (value * scale).max(1.0),
            LABEL + value * scale + 6.0,
            y + 16.0,
            number
        ));
    }
    svg.push_str("</svg>");
    svg
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

pub(super) fn day(raw: &str, what: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| AppError::BadRequest(format!("{what}: '{raw}' is not a date like 2026-12-01")))
}

/// Support KPIs for a period (staff; agents their own row).
#[utoipa::path(get, path = "/api/v1/kpis", tag = "kpis", params(KpiParams),
    responses((status = 200, body = KpiReport), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn report(State(state): State<AppState>, auth: Auth, language: Language, ApiQuery(params): ApiQuery<KpiParams>) -> AppResult<Response> {
    let staff = auth.staff()?;
    let group_name = params.group_by.as_deref().unwrap_or("total");
    let by = GroupBy::parse(group_name).ok_or_else(|| {
        AppError::BadRequest(format!("group_by: '{group_name}' is not one of total, agent, team, tier, channel, category, course, hour, day, week"))
    })?;
    let own_only = !staff.role.oversees_all();
    if own_only && by != GroupBy::Agent {
        return Err(AppError::Forbidden("agents see their own KPIs: use group_by=agent".to_owned()));
    }
    let format = params.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv" | "svg") {
        return Err(AppError::BadRequest(format!("format: '{format}' is not json, csv or svg")));
    }
    // A `lang` the caller names must be one we write; without one, the request's language.
    if let Some(other) = params.lang.as_deref().filter(|lang| !matches!(*lang, "zh" | "en")) {
        return Err(AppError::BadRequest(format!("lang: '{other}' is not zh or en")));
    }
    let chinese = language.or_explicit(params.lang.as_deref()) == edudesk_core::lang::Lang::Zh;
    let metric = params.metric.as_deref().unwrap_or("conversations");
    if !METRICS.contains(&metric) {
        return Err(AppError::BadRequest(format!("metric: '{metric}' is not one of {}", METRICS.join(", "))));
    }
    let zone = state.sla.calendar.time_zone;
    let today = state.clock.today_in(zone);
    let to = params.to.as_deref().map(|raw| day(raw, "to")).transpose()?.unwrap_or(today);
    let from = params.from.as_deref().map(|raw| day(raw, "from")).transpose()?.unwrap_or(to - chrono::Duration::days(6));
    if from > to {
        return Err(AppError::BadRequest("from: the first day comes after the last".to_owned()));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::BadRequest(format!("from: at most {MAX_DAYS} days at a time")));
    }
    let start_of = |date: NaiveDate| crate::clock::day_start_ms(zone, date);
    let (window_start, window_end) = (start_of(from), start_of(to + chrono::Duration::days(1)));
    let facts = state.store.kpi_facts(window_start, window_end).await?;
    // Teams and the total's occupancy need the staff (teams, who is an agent); occupancy the
    // presence log. Other groupings need neither.
    let users = if matches!(by, GroupBy::Team | GroupBy::Total) { state.store.users().await? } else { Vec::new() };
    let teams: BTreeMap<i64, Vec<String>> = users.iter().map(|user| (user.id, user.teams.clone())).collect();
    let agents: Vec<i64> = users.iter().filter(|user| user.role == edudesk_core::model::Role::Agent).map(|user| user.id).collect();
    let measured_until = window_end.min(state.clock.now_ms());
    let online = if matches!(by, GroupBy::Agent | GroupBy::Team | GroupBy::Total) {
        state.store.online_intervals(window_start, measured_until).await?
    } else {
        BTreeMap::new()
    };
    let mut rows = tokio::task::spawn_blocking(move || {
        let mut rows = kpi::compute_with_teams(&facts, by, zone, &teams);
        if !online.is_empty() {
            let busy = kpi::busy_intervals(&facts, window_start, measured_until);
            for row in &mut rows {
                let agents: Vec<i64> = match by {
                    GroupBy::Agent => row.group.parse().into_iter().collect(),
                    GroupBy::Team => teams.iter().filter(|(_, teams)| teams.contains(&row.group)).map(|(id, _)| *id).collect(),
                    // The total: every agent (supervisors' online time is not agents' capacity).
                    _ => agents.clone(),
                };
                let (online_ms, occupied_ms) = kpi::occupancy(&agents, &online, &busy);
                row.occupancy = (online_ms > 0).then(|| occupied_ms as f64 / online_ms as f64);
            }
        }
        rows
    })
    .await
    .map_err(|error| AppError::Internal(error.into()))?;
    if own_only {
        let me = staff.user_id.to_string();
        rows.retain(|row| row.group == me);
    }
    if format == "csv" {
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
    if format == "svg" {
        let bars: Vec<(String, f64)> = named
            .iter()
            .map(|named| {
                let value = serde_json::to_value(&named.row).ok().and_then(|row| row[metric].as_f64()).unwrap_or(0.0);
                (named.name.clone().unwrap_or_else(|| label(&named.row.group, chinese).to_owned()), value)
            })
            .collect();
        let title = format!("{} · {} · {from} – {to}", label(metric, chinese), label(group_name, chinese));
        return Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], bar_chart(&title, &bars)).into_response());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_draw_one_bar_per_group_and_escape_labels() {
        let svg = bar_chart("conversations <by agent>", &[("<script>alert(1)</script>".to_owned(), 3.0), ("Tina 一线".to_owned(), 0.5)]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<g class=\"bar\">").count(), 2);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;") && svg.contains("&lt;by agent&gt;"));
        assert!(svg.contains(">3<") && svg.contains(">0.50<"), "{svg}");
        assert!(bar_chart("empty", &[]).contains("—"));
    }

    #[test]
    fn every_metric_has_a_name_in_both_languages() {
        for metric in METRICS {
            assert_ne!(label(metric, true), *metric, "{metric}");
            assert_ne!(label(metric, false), *metric, "{metric}");
        }
        assert_eq!(label("none", true), "无人处理");
        assert_eq!(label("widget", true), "widget", "unknown groups stay as they are");
    }
}
