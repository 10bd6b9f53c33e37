//! Storage for in-browser calls: one row per call with its state, and every state change
//! appended to the conversation's event log in the same transaction. Transitions are
//! conditional updates on the current state, so two nodes racing (an accept against a
//! ring timeout) cannot both win.

use edudesk_core::EventKind;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::{StoreError, StoreResult};
use super::events::{self, Actor};
use super::{Store, to_utc};

/// A call between the learner and an agent inside a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MediaCall {
    pub id: i64,
    pub conversation_id: i64,
    /// `voice` or `video` (either side may still turn a camera on or off).
    pub media: String,
    /// `contact` (the learner rang) or `agent`.
    pub started_by: String,
    /// The agent in the call: who rang, or who accepted.
    pub agent_id: Option<i64>,
    /// `ringing`, `accepted`, `declined`, `missed` or `ended`.
    pub state: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub accepted_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    pub duration_seconds: Option<i64>,
    /// Why it ended: `hangup`, `declined`, `cancelled`, `no_answer`.
    pub end_reason: Option<String>,
}

impl MediaCall {
    pub fn is_live(&self) -> bool {
        matches!(self.state.as_str(), "ringing" | "accepted")
    }
}

#[derive(FromRow)]
struct Row {
    id: i64,
    conversation_id: i64,
    media: String,
    started_by: String,
    agent_id: Option<i64>,
    state: String,
    created_at: i64,
    accepted_at: Option<i64>,
    ended_at: Option<i64>,
    duration_seconds: Option<i64>,
    end_reason: Option<String>,
}

impl From<Row> for MediaCall {
    fn from(row: Row) -> Self {
        MediaCall {
            id: row.id,
            conversation_id: row.conversation_id,
            media: row.media,
            started_by: row.started_by,
            agent_id: row.agent_id,
            state: row.state,
            created_at: to_utc(row.created_at),
            accepted_at: row.accepted_at.map(to_utc),
            ended_at: row.ended_at.map(to_utc),
            duration_seconds: row.duration_seconds,
            end_reason: row.end_reason,
        }
    }
}

const COLUMNS: &str = "id, conversation_id, media, started_by, agent_id, state, created_at, accepted_at, ended_at, duration_seconds, end_reason";

/// A state change asked for: the states it may come from, and what it sets.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    pub from: &'a [&'a str],
    pub to: &'a str,
    /// The agent who accepts (kept if the call already has one).
    pub agent_id: Option<i64>,
    pub reason: Option<&'a str>,
    /// If the learner rang, leave a callback task (in the same transaction, so a missed call
    /// is never without one).
    pub callback: bool,
}

impl Store {
    /// Rings: a new call in `ringing`. A conversation with a live call refuses a second
    /// one (`Conflict`).
    pub async fn start_media_call(
        &self,
        conversation_id: i64,
        media: &str,
        started_by: &str,
        agent_id: Option<i64>,
        actor: Actor,
        now: i64,
    ) -> StoreResult<MediaCall> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO media_calls (conversation_id, media, started_by, agent_id, state, created_at) VALUES ($1, $2, $3, $4, 'ringing', $5) RETURNING id",
        )
        .bind(conversation_id)
        .bind(media)
        .bind(started_by)
        .bind(agent_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| match StoreError::from(error) {
            StoreError::Conflict(_) => StoreError::Conflict("this conversation already has a call ringing or in progress".to_owned()),
            other => other,
        })?;
        events::append(
            &mut tx,
            conversation_id,
            EventKind::Call,
            actor,
            json!({"call_id": id, "state": "ringing", "media": media, "started_by": started_by}),
            now,
        )
        .await?;
        tx.commit().await?;
        self.media_call(id).await
    }

    pub async fn media_call(&self, id: i64) -> StoreResult<MediaCall> {
        let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM media_calls WHERE id = $1")).bind(id).fetch_optional(&self.write).await?;
        row.map(MediaCall::from).ok_or_else(|| StoreError::not_found("call"))
    }

    /// The calls of a conversation, oldest first.
    pub async fn media_calls_of(&self, conversation_id: i64) -> StoreResult<Vec<MediaCall>> {
        let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM media_calls WHERE conversation_id = $1 ORDER BY id"))
            .bind(conversation_id)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.into_iter().map(MediaCall::from).collect())
    }

    /// Moves a call from one of `transition.from` to `transition.to` and logs it; `None` when
    /// the call was in none of those states (someone else changed it first).
    pub async fn transition_media_call(&self, id: i64, transition: Transition<'_>, actor: Actor, now: i64) -> StoreResult<Option<MediaCall>> {
        let current = self.media_call(id).await?;
        if !transition.from.contains(&current.state.as_str()) {
            return Ok(None);
        }
        let accepted_at = match transition.to {
            "accepted" => Some(now),
            _ => current.accepted_at.map(|at| at.timestamp_millis()),
        };
        let ended = matches!(transition.to, "declined" | "missed" | "ended");
        let ended_at = ended.then_some(now);
        let duration = match (transition.to, accepted_at) {
            ("ended", Some(accepted)) => Some(((now - accepted) / 1000).max(0)),
            _ => None,
        };
        let agent_id = current.agent_id.or(transition.agent_id);
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(
            "UPDATE media_calls SET state = $3, agent_id = $4, accepted_at = $5, ended_at = $6, duration_seconds = $7, end_reason = $8
             WHERE id = $1 AND state = $2",
        )
        .bind(id)
        .bind(&current.state)
        .bind(transition.to)
        .bind(agent_id)
        .bind(accepted_at)
        .bind(ended_at)
        .bind(duration)
        .bind(transition.reason)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        let mut data = json!({"call_id": id, "state": transition.to, "media": current.media, "started_by": current.started_by});
        if let Some(duration) = duration {
            data["duration_seconds"] = json!(duration);
        }
        if let Some(reason) = transition.reason {
            data["reason"] = json!(reason);
        }
        events::append(&mut tx, current.conversation_id, EventKind::Call, actor, data, now).await?;
        if transition.callback && current.started_by == "contact" {
            sqlx::query(
                "INSERT INTO tasks (conversation_id, assignee_id, kind, title, due_at, created_at)
                 SELECT id, assignee_id, 'callback', $2, $3, $3 FROM conversations WHERE id = $1",
            )
            .bind(current.conversation_id)
            .bind(format!("回拨 / call back: {} call #{id}", current.media))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(self.media_call(id).await?))
    }
}
