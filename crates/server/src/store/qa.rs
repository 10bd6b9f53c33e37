//! Storage for quality reviews: a supervisor's marks and comment on one conversation (one
//! review per conversation and reviewer; a second save changes it), and the resolved
//! conversations not yet reviewed, from which samples are drawn.

use edudesk_core::qa::Marks;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::Store;
use super::error::StoreResult;

/// A review as stored.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Review {
    pub id: i64,
    pub conversation_id: i64,
    /// The agent reviewed (who served the conversation).
    pub agent_id: i64,
    pub reviewer_id: i64,
    pub empathy: i64,
    pub accuracy: i64,
    pub sop_adherence: i64,
    pub tone: i64,
    pub comment: Option<String>,
    /// UTC milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

impl Review {
    pub fn marks(&self) -> Marks {
        Marks { empathy: self.empathy, accuracy: self.accuracy, sop_adherence: self.sop_adherence, tone: self.tone }
    }
}

const COLUMNS: &str = "id, conversation_id, agent_id, reviewer_id, empathy, accuracy, sop_adherence, tone, comment, created_at, updated_at";

impl Store {
    /// Saves `reviewer_id`'s review of a conversation (replacing their earlier one).
    pub async fn save_review(
        &self,
        conversation_id: i64,
        agent_id: i64,
        reviewer_id: i64,
        marks: &Marks,
        comment: Option<&str>,
        now: i64,
    ) -> StoreResult<Review> {
        sqlx::query(
            "INSERT INTO qa_reviews (conversation_id, agent_id, reviewer_id, empathy, accuracy, sop_adherence, tone, comment, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (conversation_id, reviewer_id) DO UPDATE SET agent_id = excluded.agent_id, empathy = excluded.empathy,
                accuracy = excluded.accuracy, sop_adherence = excluded.sop_adherence, tone = excluded.tone, comment = excluded.comment,
                updated_at = excluded.updated_at",
        )
        .bind(conversation_id)
        .bind(agent_id)
        .bind(reviewer_id)
        .bind(marks.empathy)
        .bind(marks.accuracy)
        .bind(marks.sop_adherence)
        .bind(marks.tone)
        .bind(comment)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM qa_reviews WHERE conversation_id = $1 AND reviewer_id = $2"))
            .bind(conversation_id)
            .bind(reviewer_id)
            .fetch_one(&self.write)
            .await?)
    }

    /// Reviews since `since`, newest first: all, or one agent's.
    pub async fn reviews(&self, agent_id: Option<i64>, since: i64, limit: i64) -> StoreResult<Vec<Review>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM qa_reviews WHERE ($1 IS NULL OR agent_id = $1) AND created_at >= $2 ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(agent_id)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// Conversations resolved since `since` by an agent and not reviewed yet: (conversation, agent).
    pub async fn review_candidates(&self, since: i64) -> StoreResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.assignee_id FROM conversations c
             WHERE c.status IN ('resolved', 'closed') AND c.assignee_id IS NOT NULL AND c.resolved_at >= $1
               AND NOT EXISTS (SELECT 1 FROM qa_reviews r WHERE r.conversation_id = c.id)
             ORDER BY c.id LIMIT 20000",
        )
        .bind(since)
        .fetch_all(&self.read)
        .await?)
    }
}
