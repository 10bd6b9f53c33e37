//! The supervisors' live wall, `GET /api/v1/wall`: the queues with their waits, how the team's
//! day is going, the conversations in SLA trouble that are still being worked, and every
//! agent's state (presence, load, learners waiting for their reply).

use axum::extract::State;
use edudesk_core::Role;
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiJson;
use crate::{
    AppState,
    clock::day_start_ms,
    error::{AppError, AppResult},
    http::session::Auth,
    services::routing::{self, QueueView},
    store::{conversations::ConversationItem, wall::DayCounts},
};

/// At most this many conversations in the at-risk list.
const AT_RISK_LIMIT: i64 = 50;

/// One agent as the wall shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentState {
    pub id: i64,
    pub display_name: String,
    pub role: Role,
    pub tier: edudesk_core::Tier,
    /// `online`, `away` or `offline`.
    pub presence: String,
    pub open_conversations: i64,
    pub max_concurrent: i64,
    /// Their open conversations whose last message is the learner's.
    pub awaiting_reply: i64,
    /// How long the longest of those learners has waited, in seconds.
    pub longest_reply_wait_seconds: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Wall {
    /// The team's day (its time zone) that `today` counts.
    pub day: String,
    pub queues: Vec<QueueView>,
    pub today: DayCounts,
    /// Open or pending conversations whose SLA was breached (first) or is about to be.
    pub at_risk: Vec<ConversationItem>,
    /// Active staff who take conversations, the busiest waits first.
    pub agents: Vec<AgentState>,
}

/// The live wall (supervisors and admins).
#[utoipa::path(get, path = "/api/v1/wall", tag = "kpis",
    responses((status = 200, body = Wall), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn wall(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<Wall>> {
    if !auth.staff()?.role.oversees_all() {
        return Err(AppError::Forbidden("the live wall is for supervisors and admins".to_owned()));
    }
    let zone = state.sla.calendar.time_zone;
    let day = state.clock.today_in(zone);
    let (from, to) = (day_start_ms(zone, day), day_start_ms(zone, day + chrono::Duration::days(1)));
    let (queues, today, at_risk, users, waits) = tokio::try_join!(
        async { routing::queues(&state).await },
        async { Ok::<_, AppError>(state.store.day_counts(from, to).await?) },
        async { Ok::<_, AppError>(state.store.at_risk(AT_RISK_LIMIT).await?) },
        async { Ok::<_, AppError>(state.store.users().await?) },
        async { Ok::<_, AppError>(state.store.reply_waits().await?) },
    )?;
    let at_risk = state.store.with_previews(at_risk).await?;
    let now = state.clock.now_ms();
    let mut agents: Vec<AgentState> = users
        .into_iter()
        .filter(|user| user.active && user.role != Role::Admin)
        .map(|user| {
            let waits = waits.iter().find(|waits| waits.agent_id == user.id);
            AgentState {
                id: user.id,
                display_name: user.display_name,
                role: user.role,
                tier: user.tier,
                presence: user.presence,
                open_conversations: user.open_conversations,
                max_concurrent: user.max_concurrent,
                awaiting_reply: waits.map_or(0, |waits| waits.conversations),
                longest_reply_wait_seconds: waits.map(|waits| ((now - waits.oldest_at) / 1000).max(0)),
            }
        })
        .collect();
    agents.sort_by_key(|agent| (std::cmp::Reverse(agent.longest_reply_wait_seconds.unwrap_or(-1)), agent.tier.level(), agent.id));
    Ok(ApiJson(Wall { day: day.to_string(), queues, today, at_risk, agents }))
}
