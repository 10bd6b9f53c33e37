//! Recognition as use cases: the month's leaderboard by balanced score (quality review,
//! CSAT, resolution, capped volume — `edudesk_core::awards`), its team leaderboard, the
//! monthly 服务之星 announced by a supervisor, and 最佳案例奖 nominations (anyone on staff
//! nominates a finished case; a supervisor approves or rejects).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use edudesk_core::{
    StaffPrincipal, Status,
    awards::{AgentMonth, Balanced, leaderboard},
    kpi::{self, GroupBy},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    AppState,
    error::{AppError, AppResult},
    store::awards::{Award, NewAward},
};

/// One agent on the month's leaderboard.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Standing {
    pub rank: usize,
    pub name: String,
    #[serde(flatten)]
    pub balanced: Balanced,
}

/// One team on the month's leaderboard: the mean balanced score of its ranked members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamStanding {
    pub rank: usize,
    pub team: String,
    pub score: f64,
    /// Members with a balanced score this month.
    pub ranked_members: usize,
}

/// The first and last instant of a month (`YYYY-MM`) in the support team's time zone.
fn month_bounds(state: &AppState, month: &str) -> AppResult<(i64, i64)> {
    let bad = || AppError::BadRequest(format!("month: '{month}' is not YYYY-MM"));
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").map_err(|_| bad())?;
    let next = first.checked_add_months(chrono::Months::new(1)).ok_or_else(bad)?;
    let zone = state.sla.calendar.time_zone;
    let start = |date: NaiveDate| crate::clock::day_start_ms(zone, date);
    Ok((start(first), start(next)))
}

/// The month's agents ranked by balanced score (agents who served too few learners, or of
/// whose work nothing was said, are not ranked).
pub async fn standings(state: &AppState, month: &str) -> AppResult<Vec<Standing>> {
    let (from, to) = month_bounds(state, month)?;
    let zone = state.sla.calendar.time_zone;
    let facts = state.store.kpi_facts(from, to).await?;
    let rows = tokio::task::spawn_blocking(move || kpi::compute(&facts, GroupBy::Agent, zone)).await.map_err(|error| AppError::Internal(error.into()))?;
    let mut quality: HashMap<i64, (f64, usize)> = HashMap::new();
    for review in state.store.reviews(None, from, 100_000).await?.into_iter().filter(|review| review.created_at < to) {
        let entry = quality.entry(review.agent_id).or_default();
        entry.0 += review.marks().score();
        entry.1 += 1;
    }
    let months: Vec<AgentMonth> = rows
        .iter()
        .filter_map(|row| {
            let agent_id = row.group.parse::<i64>().ok()?;
            Some(AgentMonth {
                agent_id,
                handled: row.handled,
                resolved: row.resolved,
                csat: row.csat,
                quality: quality.get(&agent_id).map(|(sum, count)| sum / *count as f64),
            })
        })
        .collect();
    let names: HashMap<i64, String> = state.store.users().await?.into_iter().map(|user| (user.id, user.display_name)).collect();
    Ok(leaderboard(&months)
        .into_iter()
        .enumerate()
        .map(|(index, balanced)| Standing { rank: index + 1, name: names.get(&balanced.agent_id).cloned().unwrap_or_default(), balanced })
        .collect())
}

/// The month's teams ranked by their ranked members' mean balanced score.
pub async fn team_standings(state: &AppState, standings: &[Standing]) -> AppResult<Vec<TeamStanding>> {
    let mut teams: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for user in state.store.users().await? {
        if let Some(standing) = standings.iter().find(|s| s.balanced.agent_id == user.id) {
            for team in &user.teams {
                teams.entry(team.clone()).or_default().push(standing.balanced.score);
            }
        }
    }
    let mut ranked: Vec<(String, f64, usize)> =
        teams.into_iter().map(|(team, scores)| (team, scores.iter().sum::<f64>() / scores.len() as f64, scores.len())).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(ranked.into_iter().enumerate().map(|(index, (team, score, ranked_members))| TeamStanding { rank: index + 1, team, score, ranked_members }).collect())
}

/// Announces the month's 服务之星: the best balanced score (supervisors, once a month).
pub async fn announce_star(state: &AppState, by: StaffPrincipal, month: &str) -> AppResult<Award> {
    if !by.role.oversees_all() {
        return Err(AppError::Forbidden("supervisors and admins announce the service star".to_owned()));
    }
    let standings = standings(state, month).await?;
    let Some(best) = standings.first() else {
        return Err(AppError::Conflict(format!(
            "nobody qualifies for {month}: an agent needs {} conversations and a review or a rating",
            edudesk_core::awards::MIN_HANDLED
        )));
    };
    let percent = |value: Option<f64>| value.map_or_else(|| "—".to_owned(), |v| format!("{:.0}%", v * 100.0));
    let reason = format!(
        "{month} 服务之星 / service star: {} — balanced score {:.2} (quality {}, CSAT {}, resolved {}, {} conversations)",
        best.name,
        best.balanced.score,
        percent(best.balanced.quality),
        percent(best.balanced.csat),
        percent(Some(best.balanced.resolution_rate)),
        best.balanced.handled
    );
    let new = NewAward {
        kind: "service_star",
        month: Some(month),
        agent_id: best.balanced.agent_id,
        conversation_id: None,
        reason: &reason,
        score: Some(best.balanced.score),
        status: "approved",
        nominated_by: by.user_id,
        now: state.clock.now_ms(),
    };
    Ok(state.store.create_award(&new).await?)
}

/// Nominates a finished case for the 最佳案例奖; the award goes to the agent who served it.
pub async fn nominate(state: &AppState, by: StaffPrincipal, conversation_id: i64, reason: &str) -> AppResult<Award> {
    let reason = edudesk_core::input::ShortText::parse("reason", reason, 500)?.into_string();
    let conversation = match crate::services::conversations::access(state, edudesk_core::Principal::Staff(by), conversation_id).await {
        Ok((conversation, _)) => conversation,
        // A case one cannot read cannot be judged: the same answer as for one that does not exist.
        Err(AppError::Forbidden(_)) => return Err(AppError::not_found("conversation")),
        Err(error) => return Err(error),
    };
    if !matches!(conversation.status, Status::Resolved | Status::Closed) {
        return Err(AppError::Conflict("nominate a finished case: this conversation is not resolved yet".to_owned()));
    }
    let Some(agent_id) = conversation.assignee_id else {
        return Err(AppError::Conflict("nobody served this conversation: there is no agent to award".to_owned()));
    };
    let new = NewAward {
        kind: "best_case",
        month: None,
        agent_id,
        conversation_id: Some(conversation_id),
        reason: &reason,
        score: None,
        status: "pending",
        nominated_by: by.user_id,
        now: state.clock.now_ms(),
    };
    Ok(state.store.create_award(&new).await?)
}

/// Approves or rejects a pending best-case nomination (supervisors, admins).
pub async fn decide(state: &AppState, by: StaffPrincipal, id: i64, approve: bool) -> AppResult<Award> {
    if !by.role.oversees_all() {
        return Err(AppError::Forbidden("supervisors and admins decide nominations".to_owned()));
    }
    let award = state.store.award(id).await?;
    if award.kind != "best_case" {
        return Err(AppError::Conflict("only best-case nominations are decided".to_owned()));
    }
    state
        .store
        .decide_award(id, approve, by.user_id, state.clock.now_ms())
        .await?
        .ok_or_else(|| AppError::Conflict(format!("this nomination was {} already", award.status)))
}
