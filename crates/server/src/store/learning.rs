//! Storage for the bot's learning loop: learner questions waiting for an editor to accept
//! them as another wording of an article, and the questions the bot could not answer.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::{StoreError, StoreResult};
use super::{Store, now_ms};

/// A learner's wording proposed as another question of an article.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct LearnedQuestion {
    pub id: i64,
    pub article_id: String,
    /// The article's title, to judge the match without opening it.
    pub article_title: String,
    pub question: String,
    /// The conversation it was learned from.
    pub conversation_id: Option<i64>,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    /// UTC milliseconds.
    pub created_at: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
}

/// A question the bot or the search could not answer.
#[derive(Debug, Clone, FromRow)]
pub struct Unanswered {
    pub question: String,
    /// `search` (no result), or the bot's reason (`out_of_scope`, `low_confidence`, `ambiguous`).
    pub source: String,
}

const SELECT: &str = "SELECT q.id, q.article_id, a.title AS article_title, q.question, q.conversation_id, q.status, q.created_at, q.decided_by, q.decided_at
     FROM kb_learned_questions q JOIN kb_articles a ON a.id = q.article_id";

impl Store {
    /// Proposes `question` for `article_id`; the same wording for the same article once.
    pub async fn propose_question(&self, article_id: &str, question: &str, conversation_id: i64) -> StoreResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO kb_learned_questions (article_id, question, conversation_id, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (article_id, question) DO NOTHING",
        )
        .bind(article_id)
        .bind(question)
        .bind(conversation_id)
        .bind(now_ms())
        .execute(&self.write)
        .await?
        .rows_affected();
        Ok(inserted > 0)
    }

    /// Learned questions with `status`, newest first.
    pub async fn learned_questions(&self, status: &str, limit: i64) -> StoreResult<Vec<LearnedQuestion>> {
        Ok(sqlx::query_as(&format!("{SELECT} WHERE q.status = $1 ORDER BY q.created_at DESC, q.id DESC LIMIT $2"))
            .bind(status)
            .bind(limit)
            .fetch_all(&self.read)
            .await?)
    }

    /// Accepted questions as (question, article id): what the bot learns from.
    pub async fn accepted_questions(&self) -> StoreResult<Vec<(String, String)>> {
        Ok(sqlx::query_as("SELECT question, article_id FROM kb_learned_questions WHERE status = 'accepted' ORDER BY id").fetch_all(&self.read).await?)
    }

    /// Accepts or rejects a pending question; a decided one is not decided again.
    pub async fn decide_question(&self, id: i64, accept: bool, user_id: i64) -> StoreResult<LearnedQuestion> {
        let status = if accept { "accepted" } else { "rejected" };
        let changed = sqlx::query("UPDATE kb_learned_questions SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = 'pending'")
            .bind(status)
            .bind(user_id)
            .bind(now_ms())
            .bind(id)
            .execute(&self.write)
            .await?
            .rows_affected();
        let question: LearnedQuestion = sqlx::query_as(&format!("{SELECT} WHERE q.id = $1"))
            .bind(id)
            .fetch_optional(&self.write)
            .await?
            .ok_or_else(|| StoreError::not_found("learned question"))?;
        if changed == 0 {
            return Err(StoreError::Conflict(format!("this question was already {}", question.status)));
        }
        Ok(question)
    }

    /// Records a learner question the bot could not answer.
    pub async fn record_unanswered(&self, question: &str, reason: &str, conversation_id: i64) -> StoreResult<()> {
        sqlx::query("INSERT INTO kb_unanswered (question, reason, conversation_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(question)
            .bind(reason)
            .bind(conversation_id)
            .bind(now_ms())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Unanswered questions and zero-result searches since `since` (UTC ms), newest first.
    pub async fn unanswered_since(&self, since: i64, limit: i64) -> StoreResult<Vec<Unanswered>> {
        Ok(sqlx::query_as(
            "SELECT question, source FROM (
                 SELECT question, reason AS source, created_at FROM kb_unanswered WHERE created_at >= $1
                 UNION ALL
                 SELECT query AS question, 'search' AS source, created_at FROM kb_searches WHERE created_at >= $1 AND results = 0
             ) AS everything ORDER BY created_at DESC LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }
}
