//! The event log read as an outbox for outbound webhooks: events after a cursor, and the
//! cursor moved forward only from where the sender read it (two nodes never both advance it).

use sqlx::FromRow;

use super::Store;
use super::error::StoreResult;

/// One event of the conversations' log.
#[derive(Debug, Clone, FromRow)]
pub struct LoggedEvent {
    pub id: i64,
    pub conversation_id: i64,
    pub kind: String,
    pub actor_user_id: Option<i64>,
    pub actor_contact_id: Option<i64>,
    pub data: String,
    pub created_at: i64,
}

impl Store {
    /// The last delivered event id; the first call starts at the newest event (webhooks carry
    /// what happens from when they are configured, not the whole history).
    pub async fn webhook_cursor(&self) -> StoreResult<i64> {
        // `WHERE TRUE`: SQLite needs a WHERE before an upsert's ON CONFLICT after a SELECT.
        sqlx::query(
            "INSERT INTO webhook_cursor (id, last_event_id) SELECT 1, COALESCE(MAX(id), 0) FROM conversation_events WHERE TRUE ON CONFLICT (id) DO NOTHING",
        )
        .execute(&self.write)
        .await?;
        Ok(sqlx::query_scalar("SELECT last_event_id FROM webhook_cursor WHERE id = 1").fetch_one(&self.write).await?)
    }

    /// Up to `limit` events after `after`, created before `before` (UTC ms), oldest first.
    pub async fn events_after(&self, after: i64, before: i64, limit: i64) -> StoreResult<Vec<LoggedEvent>> {
        Ok(sqlx::query_as(
            "SELECT id, conversation_id, kind, actor_user_id, actor_contact_id, data, created_at FROM conversation_events
             WHERE id > $1 AND created_at < $2 ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// Moves the cursor from `from` to `to`; false if someone else moved it meanwhile.
    pub async fn advance_webhook_cursor(&self, from: i64, to: i64) -> StoreResult<bool> {
        let moved = sqlx::query("UPDATE webhook_cursor SET last_event_id = $2 WHERE id = 1 AND last_event_id = $1")
            .bind(from)
            .bind(to)
            .execute(&self.write)
            .await?
            .rows_affected();
        Ok(moved > 0)
    }
}
