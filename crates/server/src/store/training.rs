//! Storage for training: quiz attempts (the questions as asked, with their keys, so a
//! submission is scored against what was shown), certifications per tier, and practice
//! sessions with their transcript. An attempt or a practice takes an answer only while it is
//! open (`WHERE submitted_at IS NULL` / `ended = 0`): a second submission is a conflict.

use sqlx::FromRow;

use super::Store;
use super::error::{StoreError, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct AttemptRow {
    pub id: i64,
    pub user_id: i64,
    pub tier: i64,
    pub module: String,
    pub questions: String,
    pub answers: Option<String>,
    pub correct: Option<i64>,
    pub total: i64,
    pub passed: i64,
    pub started_at: i64,
    pub submitted_at: Option<i64>,
}

const ATTEMPT_COLUMNS: &str = "id, user_id, tier, module, questions, answers, correct, total, passed, started_at, submitted_at";

#[derive(Debug, Clone, FromRow)]
pub struct CertificationRow {
    pub user_id: i64,
    pub tier: i64,
    pub source: String,
    pub granted_by: Option<i64>,
    pub certified_at: i64,
}

/// A module's best result for one person at one tier.
#[derive(Debug, Clone, FromRow)]
pub struct ModuleResult {
    pub user_id: i64,
    pub tier: i64,
    pub module: String,
    pub best: i64,
    pub total: i64,
    pub passed: i64,
    pub attempts: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct PracticeRow {
    pub id: i64,
    pub user_id: i64,
    pub scenario: String,
    pub practice: String,
    pub ended: i64,
    pub score: Option<i64>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

const PRACTICE_COLUMNS: &str = "id, user_id, scenario, practice, ended, score, started_at, ended_at";

/// A practice's totals for one person.
#[derive(Debug, Clone, FromRow)]
pub struct PracticeTotals {
    pub user_id: i64,
    pub sessions: i64,
    pub average: Option<f64>,
}

impl Store {
    pub async fn create_attempt(&self, user_id: i64, tier: i64, module: &str, questions: &str, total: i64, now: i64) -> StoreResult<AttemptRow> {
        let sql = format!(
            "INSERT INTO training_attempts (user_id, tier, module, questions, total, started_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ATTEMPT_COLUMNS}"
        );
        Ok(sqlx::query_as(&sql).bind(user_id).bind(tier).bind(module).bind(questions).bind(total).bind(now).fetch_one(&self.write).await?)
    }

    /// One person's attempt; someone else's is not found (ids cannot be probed).
    pub async fn attempt(&self, id: i64, user_id: i64) -> StoreResult<AttemptRow> {
        let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM training_attempts WHERE id = $1 AND user_id = $2");
        sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(&self.write).await?.ok_or_else(|| StoreError::not_found("quiz attempt"))
    }

    /// Records the answers to an open attempt; a conflict once it was submitted.
    pub async fn submit_attempt(&self, id: i64, answers: &str, correct: i64, passed: bool, now: i64) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE training_attempts SET answers = $2, correct = $3, passed = $4, submitted_at = $5 WHERE id = $1 AND submitted_at IS NULL")
                .bind(id)
                .bind(answers)
                .bind(correct)
                .bind(i64::from(passed))
                .bind(now)
                .execute(&self.write)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("this quiz was already submitted; start a new attempt".to_owned()));
        }
        Ok(())
    }

    /// Each person's best submitted result per tier and module (`user_id` = one person).
    pub async fn module_results(&self, user_id: Option<i64>) -> StoreResult<Vec<ModuleResult>> {
        Ok(sqlx::query_as(
            "SELECT user_id, tier, module, MAX(correct) AS best, MAX(total) AS total, MAX(passed) AS passed, COUNT(*) AS attempts
             FROM training_attempts WHERE submitted_at IS NOT NULL AND ($1 IS NULL OR user_id = $1)
             GROUP BY user_id, tier, module ORDER BY user_id, tier, module",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Whether someone passed every one of `modules` at `tier`.
    pub async fn passed_modules(&self, user_id: i64, tier: i64) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT DISTINCT module FROM training_attempts WHERE user_id = $1 AND tier = $2 AND passed = 1 ORDER BY module")
            .bind(user_id)
            .bind(tier)
            .fetch_all(&self.write)
            .await?)
    }

    /// Certifies someone for a tier (a second certification for the same tier keeps the first).
    pub async fn certify(&self, user_id: i64, tier: i64, source: &str, granted_by: Option<i64>, now: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO certifications (user_id, tier, source, granted_by, certified_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (user_id, tier) DO NOTHING",
        )
        .bind(user_id)
        .bind(tier)
        .bind(source)
        .bind(granted_by)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn certifications(&self, user_id: Option<i64>) -> StoreResult<Vec<CertificationRow>> {
        Ok(sqlx::query_as(
            "SELECT user_id, tier, source, granted_by, certified_at FROM certifications WHERE ($1 IS NULL OR user_id = $1) ORDER BY user_id, tier",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// The highest tier someone is certified for (0: none).
    pub async fn certified_tier(&self, user_id: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COALESCE(MAX(tier), 0) FROM certifications WHERE user_id = $1").bind(user_id).fetch_one(&self.write).await?)
    }

    pub async fn create_practice(&self, user_id: i64, scenario: &str, practice: &str, now: i64) -> StoreResult<PracticeRow> {
        let sql = format!("INSERT INTO practice_sessions (user_id, scenario, practice, started_at) VALUES ($1, $2, $3, $4) RETURNING {PRACTICE_COLUMNS}");
        Ok(sqlx::query_as(&sql).bind(user_id).bind(scenario).bind(practice).bind(now).fetch_one(&self.write).await?)
    }

    /// One person's practice; someone else's is not found.
    pub async fn practice(&self, id: i64, user_id: i64) -> StoreResult<PracticeRow> {
        let sql = format!("SELECT {PRACTICE_COLUMNS} FROM practice_sessions WHERE id = $1 AND user_id = $2");
        sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(&self.write).await?.ok_or_else(|| StoreError::not_found("practice"))
    }

    /// Saves a practice's next state, only over the state it was read in (`turns_before`
    /// trainee turns, still open): two replies sent at once cannot both land.
    pub async fn advance_practice(&self, id: i64, before: &str, practice: &str, score: Option<i64>, now: i64) -> StoreResult<()> {
        let ended = score.is_some();
        let done = sqlx::query(
            "UPDATE practice_sessions SET practice = $3, ended = $4, score = $5, ended_at = CASE WHEN $4 = 1 THEN $6 ELSE NULL END
             WHERE id = $1 AND practice = $2 AND ended = 0",
        )
        .bind(id)
        .bind(before)
        .bind(practice)
        .bind(i64::from(ended))
        .bind(score)
        .bind(now)
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("this practice has moved on (ended, or answered in another tab); reload it".to_owned()));
        }
        Ok(())
    }

    /// Finished practices per person: how many and the average score.
    pub async fn practice_totals(&self) -> StoreResult<Vec<PracticeTotals>> {
        Ok(sqlx::query_as(
            "SELECT user_id, COUNT(*) AS sessions, AVG(CAST(score AS DOUBLE PRECISION)) AS average FROM practice_sessions WHERE ended = 1 GROUP BY user_id ORDER BY user_id",
        )
        .fetch_all(&self.read)
        .await?)
    }
}
