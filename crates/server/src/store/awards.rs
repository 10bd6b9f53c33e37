//! Storage for awards: the monthly service star (one a month) and best-case nominations with
//! their decision.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::Store;
use super::error::{StoreError, StoreResult};

/// An award or a nomination for one.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Award {
    pub id: i64,
    /// `service_star` (服务之星) or `best_case` (最佳案例奖).
    pub kind: String,
    /// `YYYY-MM` for a service star.
    pub month: Option<String>,
    pub agent_id: i64,
    /// The case, for a best-case award.
    pub conversation_id: Option<i64>,
    pub reason: String,
    /// The balanced score that won a service star (0–1).
    pub score: Option<f64>,
    /// `pending`, `approved` or `rejected` (a service star is approved when announced).
    pub status: String,
    pub nominated_by: i64,
    pub decided_by: Option<i64>,
    /// UTC milliseconds.
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

/// A new award or nomination.
#[derive(Debug, Clone)]
pub struct NewAward<'a> {
    pub kind: &'a str,
    pub month: Option<&'a str>,
    pub agent_id: i64,
    pub conversation_id: Option<i64>,
    pub reason: &'a str,
    pub score: Option<f64>,
    pub status: &'a str,
    pub nominated_by: i64,
    pub now: i64,
}

const COLUMNS: &str = "id, kind, month, agent_id, conversation_id, reason, score, status, nominated_by, decided_by, created_at, decided_at";

impl Store {
    /// Stores an award; a second service star for the same month is a conflict.
    pub async fn create_award(&self, new: &NewAward<'_>) -> StoreResult<Award> {
        let decided = (new.status != "pending").then_some(new.now);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO awards (kind, month, agent_id, conversation_id, reason, score, status, nominated_by, decided_by, created_at, decided_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(new.kind)
        .bind(new.month)
        .bind(new.agent_id)
        .bind(new.conversation_id)
        .bind(new.reason)
        .bind(new.score)
        .bind(new.status)
        .bind(new.nominated_by)
        .bind(decided.map(|_| new.nominated_by))
        .bind(new.now)
        .bind(decided)
        .fetch_one(&self.write)
        .await
        .map_err(|error| match StoreError::from(error) {
            StoreError::Conflict(_) => StoreError::Conflict(format!("the service star of {} is already announced", new.month.unwrap_or("that month"))),
            other => other,
        })?;
        self.award(id).await
    }

    pub async fn award(&self, id: i64) -> StoreResult<Award> {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM awards WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.write)
            .await?
            .ok_or_else(|| StoreError::not_found("award"))
    }

    /// Awards, newest first; optionally of one status.
    pub async fn awards(&self, status: Option<&str>, limit: i64) -> StoreResult<Vec<Award>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM awards WHERE ($1 IS NULL OR status = $1) ORDER BY created_at DESC, id DESC LIMIT $2"))
            .bind(status)
            .bind(limit)
            .fetch_all(&self.read)
            .await?)
    }

    /// Decides a pending nomination; `None` if it was decided already.
    pub async fn decide_award(&self, id: i64, approve: bool, by: i64, now: i64) -> StoreResult<Option<Award>> {
        let changed = sqlx::query("UPDATE awards SET status = $2, decided_by = $3, decided_at = $4 WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .bind(if approve { "approved" } else { "rejected" })
            .bind(by)
            .bind(now)
            .execute(&self.write)
            .await?
            .rows_affected();
        if changed == 0 {
            self.award(id).await?;
            return Ok(None);
        }
        Ok(Some(self.award(id).await?))
    }
}
