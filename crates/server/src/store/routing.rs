//! Storage for routing: agents' availability and load, the waiting conversations, and
//! the conditional updates that assign and escalate.

use edudesk_core::{
    EventKind, Presence, Tier,
    routing::{AgentState, Waiting},
};
use serde_json::json;
use sqlx::FromRow;

use super::error::{StoreError, StoreResult};
use super::{
    Store,
    conversations::Conversation,
    events::{self, Actor},
};

#[derive(FromRow)]
struct AgentRow {
    id: i64,
    tier: i64,
    presence: String,
    skills: String,
    max_concurrent: i64,
    last_assigned_at: i64,
    load: i64,
    certified_tier: i64,
}

#[derive(FromRow)]
struct WaitingRow {
    id: i64,
    tier: i64,
    category: Option<String>,
    queued_at: Option<i64>,
    created_at: i64,
}

/// An escalation (or de-escalation) to apply.
#[derive(Debug, Clone)]
pub struct Escalation {
    pub to_tier: Tier,
    pub reason: String,
    pub note: Option<String>,
    /// Structured context carried with the move (e.g. SOP answers).
    pub context: serde_json::Value,
}

/// A conversation waits in its tier's queue: open, nobody assigned, not with the bot.
const WAITING: &str = "assignee_id IS NULL AND status = 'open' AND bot_active = 0";

impl Store {
    /// Every active agent (role `agent`) with their current load and whether they are
    /// certified for their tier.
    pub async fn routing_agents(&self) -> StoreResult<Vec<AgentState>> {
        self.agents_where("", None).await
    }

    /// The agents of `tier` who are online: the only ones a new conversation of that tier
    /// can go to (and who decide which skill it needs). Offline agents cost no load count.
    pub async fn online_routing_agents(&self, tier: Tier) -> StoreResult<Vec<AgentState>> {
        self.agents_where(" AND presence = 'online' AND tier = $1", Some(tier.level())).await
    }

    async fn agents_where(&self, condition: &str, tier: Option<i64>) -> StoreResult<Vec<AgentState>> {
        let sql = format!(
            "SELECT id, tier, presence, skills, max_concurrent, last_assigned_at,
                (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = users.id AND c.status IN ('open', 'pending')) AS load,
                (SELECT COALESCE(MAX(tier), 0) FROM certifications k WHERE k.user_id = users.id) AS certified_tier
             FROM users WHERE active = 1 AND role = 'agent'{condition} ORDER BY id"
        );
        let mut query = sqlx::query_as::<_, AgentRow>(&sql);
        if let Some(tier) = tier {
            query = query.bind(tier);
        }
        let rows = query.fetch_all(&self.read).await?;
        Ok(rows
            .into_iter()
            .map(|row| AgentState {
                user_id: row.id,
                tier: Tier::new(row.tier).unwrap_or(Tier::ONE),
                presence: Presence::parse(&row.presence).unwrap_or(Presence::Offline),
                skills: row.skills.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                max_concurrent: row.max_concurrent,
                load: row.load,
                last_assigned: row.last_assigned_at,
                certified: row.certified_tier >= row.tier,
            })
            .collect())
    }

    /// Open, unassigned conversations, oldest in the queue first.
    /// How many conversations wait in `tier`'s queue (one count, not the rows).
    pub async fn waiting_count(&self, tier: Tier) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM conversations WHERE {WAITING} AND tier = $1")).bind(tier.level()).fetch_one(&self.read).await?)
    }

    pub async fn waiting_conversations(&self, limit: i64) -> StoreResult<Vec<Waiting>> {
        let rows = sqlx::query_as::<_, WaitingRow>(&format!(
            "SELECT id, tier, category, queued_at, created_at FROM conversations WHERE {WAITING} ORDER BY queued_at, id LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Waiting {
                conversation_id: row.id,
                tier: Tier::new(row.tier).unwrap_or(Tier::ONE),
                category: row.category,
                since: row.queued_at.unwrap_or(row.created_at),
            })
            .collect())
    }

    /// Assigns a conversation if it is still open and unassigned; `None` if someone else
    /// got there first.
    pub async fn auto_assign(&self, conversation_id: i64, user_id: i64, now: i64) -> StoreResult<Option<Conversation>> {
        let mut tx = self.write.begin().await?;
        if self.backend == super::Backend::Postgres {
            // Assignments to one agent happen one at a time, so two cannot both see room.
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE").bind(user_id).execute(&mut *tx).await?;
        }
        // Checked again in the write: still online, active, and below capacity.
        let updated = sqlx::query(
            "UPDATE conversations SET assignee_id = $2, updated_at = $3 WHERE id = $1 AND assignee_id IS NULL AND status = 'open' AND bot_active = 0
             AND EXISTS (SELECT 1 FROM users u WHERE u.id = $2 AND u.active = 1 AND u.presence = 'online'
                         AND u.max_concurrent > (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = $2 AND c.status IN ('open', 'pending')))",
        )
        .bind(conversation_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query("UPDATE users SET last_assigned_at = $2 WHERE id = $1").bind(user_id).bind(now).execute(&mut *tx).await?;
        events::append(&mut tx, conversation_id, EventKind::Assigned, Actor::default(), json!({"from": null, "to": user_id, "auto": true}), now).await?;
        tx.commit().await?;
        Ok(Some(self.conversation_after_write(conversation_id).await?))
    }

    /// Moves a conversation to another tier's queue, unassigned, keeping its history;
    /// `authorize` sees the current state inside the transaction and may refuse.
    pub async fn escalate<E: From<StoreError> + Send>(
        &self,
        conversation_id: i64,
        escalation: &Escalation,
        actor: Actor,
        now: i64,
        sla: &edudesk_core::sla::SlaPolicy,
        authorize: impl FnOnce(&Conversation) -> Result<(), E> + Send,
    ) -> Result<Conversation, E> {
        let mut guard = super::Guard::new(authorize);
        let outcome = self.escalate_checked(conversation_id, escalation, actor, now, sla, &mut |current| guard.allows(current)).await;
        guard.finish(outcome)
    }

    async fn escalate_checked(
        &self,
        conversation_id: i64,
        escalation: &Escalation,
        actor: Actor,
        now: i64,
        sla: &edudesk_core::sla::SlaPolicy,
        authorize: &mut (dyn FnMut(&Conversation) -> bool + Send),
    ) -> StoreResult<Conversation> {
        let mut tx = self.write.begin().await?;
        let current = self.conversation_for_update(&mut tx, conversation_id).await?;
        if !authorize(&current) {
            return Err(StoreError::Forbidden("refused".to_owned()));
        }
        if current.status == edudesk_core::Status::Closed {
            return Err(StoreError::Conflict("a closed conversation cannot be escalated".to_owned()));
        }
        // The new tier's targets apply, counted from the start as before.
        let (first_due, resolution_due) =
            super::conversations::due_ms(sla.due_times(current.created_at, escalation.to_tier, current.priority, current.sla.paused_minutes));
        sqlx::query(
            "UPDATE conversations SET tier = $2, assignee_id = NULL, queued_at = $3, updated_at = $3,
                status = CASE WHEN status = 'resolved' THEN 'open' ELSE status END, resolved_at = NULL,
                first_response_due_at = $4, resolution_due_at = $5, sla_warned = $6, sla_breached = $7
             WHERE id = $1",
        )
        .bind(conversation_id)
        .bind(escalation.to_tier.level())
        .bind(now)
        .bind(first_due)
        .bind(resolution_due)
        .bind(super::conversations::flags_still_due(&current.sla.warned, first_due, resolution_due, now))
        .bind(super::conversations::flags_still_due(&current.sla.breached, first_due, resolution_due, now))
        .execute(&mut *tx)
        .await?;
        let data = json!({
            "from_tier": current.tier, "to_tier": escalation.to_tier, "direction": if escalation.to_tier > current.tier { "up" } else { "down" },
            "reason": escalation.reason, "note": escalation.note, "previous_assignee_id": current.assignee_id, "context": escalation.context,
        });
        events::append(&mut tx, conversation_id, EventKind::Escalated, actor, data, now).await?;
        tx.commit().await?;
        self.conversation_after_write(conversation_id).await
    }
}

impl Store {
    /// Adds every active member of `team` as a collaborator; returns their user ids
    /// (404 for an unknown team, 422 for a team with no active members).
    pub async fn add_collaborators(&self, conversation_id: i64, team: &str, added_by: i64, now: i64) -> StoreResult<Vec<i64>> {
        let mut tx = self.write.begin().await?;
        let team_id: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE name = $1").bind(team).fetch_optional(&mut *tx).await?;
        let team_id = team_id.ok_or_else(|| StoreError::NotFound(format!("team '{team}' not found")))?;
        let members: Vec<i64> =
            sqlx::query_scalar("SELECT u.id FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 AND u.active = 1 ORDER BY u.id")
                .bind(team_id)
                .fetch_all(&mut *tx)
                .await?;
        if members.is_empty() {
            return Err(StoreError::Unprocessable(format!("team '{team}' has no active members")));
        }
        for user_id in &members {
            sqlx::query("INSERT INTO conversation_collaborators (conversation_id, user_id, added_by, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind(conversation_id)
                .bind(user_id)
                .bind(added_by)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        let actor = Actor { user_id: Some(added_by), contact_id: None };
        events::append(&mut tx, conversation_id, EventKind::CollaboratorsAdded, actor, json!({"team": team, "user_ids": members}), now).await?;
        tx.commit().await?;
        Ok(members)
    }

    pub async fn is_collaborator(&self, conversation_id: i64, user_id: i64) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT user_id FROM conversation_collaborators WHERE conversation_id = $1 AND user_id = $2")
            .bind(conversation_id)
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(found.is_some())
    }
}
