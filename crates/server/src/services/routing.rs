//! Routing in the running system: categorising new conversations, assigning them to
//! agents, queue views, and escalation between tiers. The decisions themselves are
//! `edudesk_core::routing`; this module feeds them the current state and applies them.
//!
//! A new conversation is offered to an agent at once. Whenever capacity appears — an
//! agent comes online, a conversation is resolved or unassigned, a periodic sweep — the
//! whole queue is swept, oldest first, so nothing waits while someone could take it.

use edudesk_core::{
    Tier,
    routing::{AgentState, Waiting, assign_waiting, pick_agent},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    AppState,
    error::AppResult,
    realtime::Event,
    store::{conversations::Conversation, now_ms},
};

/// Offers one conversation to the best agent available now. Returns the conversation
/// as it is afterwards (assigned or still waiting).
///
/// The choice is made on this node's snapshot of the tier's online agents ([`Snapshots`]);
/// the assignment itself re-checks presence and capacity in the database, so a stale
/// snapshot can cost a retry on fresh data, never an agent over capacity.
pub async fn assign_new(state: &AppState, conversation: Conversation) -> AppResult<Conversation> {
    if conversation.assignee_id.is_some() || conversation.status != edudesk_core::Status::Open || conversation.bot_active {
        return Ok(conversation);
    }
    for fresh in [false, true] {
        let agents = state.routing.agents(&state.store, conversation.tier, fresh).await?;
        let Some(index) = pick_agent(&agents, conversation.tier, conversation.category.as_deref()) else { return Ok(conversation) };
        let now = now_ms();
        if let Some(assigned) = state.store.auto_assign(conversation.id, agents[index].user_id, now).await? {
            state.routing.assigned(conversation.tier, agents[index].user_id, now);
            state.bus.publish(Event::conversation(&assigned)).await;
            return Ok(assigned);
        }
    }
    Ok(conversation)
}

/// How long a tier's snapshot of online agents is used before it is read again.
const SNAPSHOT_FRESH_FOR: std::time::Duration = std::time::Duration::from_millis(250);

/// Each tier's online agents with their load, as this node last read them (at most
/// [`SNAPSHOT_FRESH_FOR`] ago) and updated with this node's own assignments since: a burst
/// of new conversations costs one read of the agents per tier and quarter second instead of
/// one per conversation. Presence changes and sweeps drop the snapshots.
#[derive(Debug, Default)]
pub struct Snapshots {
    tiers: std::sync::Mutex<std::collections::HashMap<i64, (std::time::Instant, Vec<AgentState>)>>,
}

impl Snapshots {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<i64, (std::time::Instant, Vec<AgentState>)>> {
        // Each update is one insert or one field change; a panic cannot leave it half-done.
        self.tiers.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The tier's online agents: the snapshot while fresh (unless `fresh` is asked for),
    /// else read now.
    async fn agents(&self, store: &crate::store::Store, tier: Tier, fresh: bool) -> AppResult<Vec<AgentState>> {
        if !fresh
            && let Some((read_at, agents)) = self.lock().get(&tier.level())
            && read_at.elapsed() < SNAPSHOT_FRESH_FOR
        {
            return Ok(agents.clone());
        }
        let agents = store.online_routing_agents(tier).await?;
        self.lock().insert(tier.level(), (std::time::Instant::now(), agents.clone()));
        Ok(agents)
    }

    /// Counts an assignment this node made in its snapshot.
    fn assigned(&self, tier: Tier, user_id: i64, at: i64) {
        if let Some((_, agents)) = self.lock().get_mut(&tier.level())
            && let Some(agent) = agents.iter_mut().find(|agent| agent.user_id == user_id)
        {
            agent.load += 1;
            agent.last_assigned = at;
        }
    }

    /// Forgets every snapshot (presence or capacity changed).
    pub fn forget(&self) {
        self.lock().clear();
    }
}

/// Assigns every waiting conversation someone can take, oldest first. One sweep at a
/// time per node; across nodes the conditional update keeps a conversation from being
/// assigned twice.
pub async fn sweep(state: &AppState) -> AppResult<usize> {
    let _one_at_a_time = state.sweeping.lock().await;
    state.routing.forget();
    let mut agents = state.store.routing_agents().await?;
    if !agents.iter().any(|agent| agent.presence == edudesk_core::Presence::Online && agent.load < agent.max_concurrent) {
        return Ok(0);
    }
    let waiting = state.store.waiting_conversations(10_000).await?;
    let now = now_ms();
    let mut assigned = 0;
    for (conversation_id, user_id) in assign_waiting(&waiting, &mut agents, now) {
        if let Some(conversation) = state.store.auto_assign(conversation_id, user_id, now).await? {
            state.bus.publish(Event::conversation(&conversation)).await;
            assigned += 1;
        }
    }
    Ok(assigned)
}

/// Runs a sweep in the background (after presence or capacity changes).
pub fn sweep_soon(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(error) = sweep(&state).await {
            tracing::warn!(%error, "routing sweep failed");
        }
    });
}

/// One tier's queue as supervisors see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    pub tier: Tier,
    /// Open conversations nobody is assigned to.
    pub waiting: i64,
    /// Seconds the oldest of them has waited.
    pub longest_wait_seconds: i64,
    pub oldest_conversation_id: Option<i64>,
    /// Agents of this tier online, and their free places.
    pub agents_online: i64,
    pub free_capacity: i64,
}

pub async fn queues(state: &AppState) -> AppResult<Vec<QueueView>> {
    let agents = state.store.routing_agents().await?;
    let waiting = state.store.waiting_conversations(100_000).await?;
    let now = now_ms();
    Ok([Tier::ONE, Tier::TWO, Tier::THREE]
        .into_iter()
        .map(|tier| {
            let in_tier: Vec<&Waiting> = waiting.iter().filter(|w| w.tier == tier).collect();
            let oldest = in_tier.iter().min_by_key(|w| (w.since, w.conversation_id));
            let online: Vec<&AgentState> = agents.iter().filter(|a| a.tier == tier && a.presence == edudesk_core::Presence::Online).collect();
            QueueView {
                tier,
                waiting: in_tier.len() as i64,
                longest_wait_seconds: oldest.map_or(0, |w| (now - w.since).max(0) / 1000),
                oldest_conversation_id: oldest.map(|w| w.conversation_id),
                agents_online: online.len() as i64,
                free_capacity: online.iter().map(|a| (a.max_concurrent - a.load).max(0)).sum(),
            }
        })
        .collect())
}

/// Minutes one conversation holds a place, for the wait estimate.
const MINUTES_PER_CONVERSATION: i64 = 6;

/// Whether people answer now and how long a new conversation is likely to wait.
#[derive(Debug, Clone, Copy)]
pub struct Availability {
    pub open_now: bool,
    /// When people are back (now while open).
    pub next_opening_at: chrono::DateTime<chrono::Utc>,
    /// Tier 1 agents online now.
    pub agents_online: i64,
    /// Minutes a new conversation is likely to wait; none when nobody is online.
    pub expected_wait_minutes: Option<i64>,
}

/// The availability learners are told about (the widget's greeting, other channels' notice).
/// A count and the staff list, never the queue's rows: every widget opening asks it.
pub async fn availability(state: &AppState) -> AppResult<Availability> {
    let now = chrono::Utc::now();
    let calendar = &state.sla.calendar;
    let tier = Tier::ONE;
    let waiting = state.store.waiting_count(tier).await?;
    let agents = state.store.routing_agents().await?;
    let online: Vec<_> = agents.iter().filter(|a| a.tier == tier && a.presence == edudesk_core::Presence::Online).collect();
    let agents_online = online.len() as i64;
    let free_capacity: i64 = online.iter().map(|a| (a.max_concurrent - a.load).max(0)).sum();
    // Places free now: no wait; otherwise the queue ahead, shared by the agents online.
    let expected_wait_minutes = (agents_online > 0).then(|| {
        let ahead = (waiting - free_capacity + 1).max(0);
        (ahead * MINUTES_PER_CONVERSATION + agents_online - 1) / agents_online
    });
    Ok(Availability { open_now: calendar.is_open(now), next_opening_at: calendar.next_opening(now), agents_online, expected_wait_minutes })
}
