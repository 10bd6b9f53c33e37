//! The append-only event log of each conversation: created, assigned, escalated, status
//! and priority changes. Entries are only ever inserted (the schema refuses updates).

use edudesk_core::EventKind;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::StoreResult;
use super::{Store, to_utc};

/// One entry of a conversation's event log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub id: i64,
    pub conversation_id: i64,
    pub kind: String,
    pub actor_user_id: Option<i64>,
    pub actor_contact_id: Option<i64>,
    /// Details of the change, e.g. `{"from": "open", "to": "pending"}`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(FromRow)]
struct EventRow {
    id: i64,
    conversation_id: i64,
    kind: String,
    actor_user_id: Option<i64>,
    actor_contact_id: Option<i64>,
    data: String,
    created_at: i64,
}

/// Who caused an event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub contact_id: Option<i64>,
}

/// Inserts one event (SQLite's message writer runs it on its own connection too).
pub(super) const INSERT_EVENT: &str =
    "INSERT INTO conversation_events (conversation_id, kind, actor_user_id, actor_contact_id, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)";

/// Appends an event inside a write transaction.
pub async fn append(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    conversation_id: i64,
    kind: EventKind,
    actor: Actor,
    data: serde_json::Value,
    at: i64,
) -> StoreResult<()> {
    sqlx::query(INSERT_EVENT)
        .bind(conversation_id)
        .bind(kind.as_str())
        .bind(actor.user_id)
        .bind(actor.contact_id)
        .bind(data.to_string())
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Appends several events in one statement: (conversation, kind, actor, data, time).
pub async fn append_many(tx: &mut sqlx::Transaction<'_, sqlx::Any>, rows: &[(i64, EventKind, Actor, serde_json::Value, i64)]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|(conversation_id, kind, actor, data, at)| {
            serde_json::json!([conversation_id, kind.as_str(), actor.user_id, actor.contact_id, data.to_string(), at])
        })
        .collect();
    let sql = if tx.backend_name() == "SQLite" { SQLITE_APPEND_MANY } else { POSTGRES_APPEND_MANY };
    sqlx::query(sql).bind(serde_json::Value::from(rows).to_string()).execute(&mut **tx).await?;
    Ok(())
}

/// Events from a JSON array of rows (conversation, kind, user, contact, data as text, time),
/// one text whatever their number (SQLite).
const SQLITE_APPEND_MANY: &str = "INSERT INTO conversation_events (conversation_id, kind, actor_user_id, actor_contact_id, data, created_at)
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5 FROM json_each($1)";

/// [`SQLITE_APPEND_MANY`] on PostgreSQL.
const POSTGRES_APPEND_MANY: &str = "INSERT INTO conversation_events (conversation_id, kind, actor_user_id, actor_contact_id, data, created_at)
     SELECT (value ->> 0)::bigint, value ->> 1, (value ->> 2)::bigint, (value ->> 3)::bigint, value ->> 4, (value ->> 5)::bigint
     FROM jsonb_array_elements($1::jsonb)";

impl Store {
    /// The event log of a conversation, oldest first; `learner_view` keeps only the
    /// kinds a learner may see.
    pub async fn events(&self, conversation_id: i64, learner_view: bool) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query_as::<_, EventRow>(
            "SELECT id, conversation_id, kind, actor_user_id, actor_contact_id, data, created_at
             FROM conversation_events WHERE conversation_id = $1 ORDER BY id",
        )
        .bind(conversation_id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .filter(|row| !learner_view || EventKind::parse(&row.kind).is_some_and(EventKind::learner_visible))
            .map(|row| Event {
                id: row.id,
                conversation_id: row.conversation_id,
                kind: row.kind,
                actor_user_id: if learner_view { None } else { row.actor_user_id },
                actor_contact_id: row.actor_contact_id,
                data: serde_json::from_str(&row.data).unwrap_or_else(|_| serde_json::json!({})),
                created_at: to_utc(row.created_at),
            })
            .collect())
    }
}
