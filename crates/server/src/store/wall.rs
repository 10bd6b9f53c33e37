//! Storage reads for the supervisors' live wall: a day's counts, the conversations flagged by
//! their SLA clocks that are still being worked, and per agent the learners waiting for a reply.

use serde::Serialize;
use utoipa::ToSchema;

use super::Store;
use super::conversations::{CONVERSATION_COLUMNS, Conversation, ConversationRow};
use super::error::StoreResult;

/// How a day is going so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayCounts {
    /// Conversations created that day.
    pub created: i64,
    /// Conversations resolved that day.
    pub resolved: i64,
    /// Conversations open or pending now.
    pub open_now: i64,
}

/// The learners one agent keeps waiting: assigned open conversations whose last message is
/// the learner's.
#[derive(Debug, Clone, Copy)]
pub struct ReplyWaits {
    pub agent_id: i64,
    pub conversations: i64,
    /// When the longest-waiting learner wrote (UTC milliseconds).
    pub oldest_at: i64,
}

impl Store {
    /// Counts for the day `[from, to)` (UTC milliseconds) and what is open now.
    pub async fn day_counts(&self, from: i64, to: i64) -> StoreResult<DayCounts> {
        let (created, resolved, open_now): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM conversations WHERE created_at >= $1 AND created_at < $2),
                    (SELECT COUNT(*) FROM conversations WHERE resolved_at >= $1 AND resolved_at < $2),
                    (SELECT COUNT(*) FROM conversations WHERE status IN ('open', 'pending'))",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&self.read)
        .await?;
        Ok(DayCounts { created, resolved, open_now })
    }

    /// Open or pending conversations an SLA clock warned about or breached: breached first,
    /// then by resolution deadline.
    pub async fn at_risk(&self, limit: i64) -> StoreResult<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations
             WHERE status IN ('open', 'pending') AND (sla_warned <> '' OR sla_breached <> '')
             ORDER BY (sla_breached = ''), (resolution_due_at IS NULL), resolution_due_at, id LIMIT $1"
        );
        let rows: Vec<ConversationRow> = sqlx::query_as(&sql).bind(limit).fetch_all(&self.read).await?;
        rows.into_iter().map(Conversation::try_from).collect()
    }

    /// Per agent, the open conversations whose last message is the learner's.
    pub async fn reply_waits(&self) -> StoreResult<Vec<ReplyWaits>> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT c.assignee_id, COUNT(*), MIN(m.created_at) FROM conversations c
             JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
             WHERE c.status = 'open' AND c.assignee_id IS NOT NULL AND m.author_kind = 'contact'
             GROUP BY c.assignee_id",
        )
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|(agent_id, conversations, oldest_at)| ReplyWaits { agent_id, conversations, oldest_at }).collect())
    }
}
