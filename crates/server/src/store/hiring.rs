//! Storage for hiring: candidates, the step each is on, their answers and the supervisor's
//! review. A step moves forward only from where the candidate is (`WHERE step = …`), so an
//! answer sent twice (a double click, a second tab) is recorded once and the second is a
//! conflict, never an overwrite.

use sqlx::FromRow;

use super::Store;
use super::error::{StoreError, StoreResult};

/// A candidate as stored.
#[derive(Debug, Clone, FromRow)]
pub struct CandidateRow {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub lang: String,
    pub tier: i64,
    pub invited_by: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub step: String,
    pub step_started_at: Option<i64>,
    pub typing_zh: Option<String>,
    pub typing_en: Option<String>,
    pub empathy_answer: Option<String>,
    pub quiz: Option<String>,
    pub submitted_at: Option<i64>,
    pub review_score: Option<i64>,
    pub decision: Option<String>,
    pub review_note: Option<String>,
    pub reviewed_by: Option<i64>,
}

const COLUMNS: &str = "id, name, email, lang, tier, invited_by, created_at, expires_at, step, step_started_at, typing_zh, typing_en, \
                       empathy_answer, quiz, submitted_at, review_score, decision, review_note, reviewed_by";

/// A new candidate's details.
pub struct NewCandidate<'a> {
    pub token_hash: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub lang: &'a str,
    pub tier: i64,
    pub invited_by: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub first_step: &'a str,
}

/// Where a step's answer is kept.
#[derive(Debug, Clone, Copy)]
pub enum AnswerColumn {
    TypingZh,
    TypingEn,
    Empathy,
    Quiz,
}

impl AnswerColumn {
    fn name(self) -> &'static str {
        match self {
            AnswerColumn::TypingZh => "typing_zh",
            AnswerColumn::TypingEn => "typing_en",
            AnswerColumn::Empathy => "empathy_answer",
            AnswerColumn::Quiz => "quiz",
        }
    }
}

impl Store {
    pub async fn create_candidate(&self, new: &NewCandidate<'_>) -> StoreResult<CandidateRow> {
        let sql = format!(
            "INSERT INTO candidates (token_hash, name, email, lang, tier, invited_by, created_at, expires_at, step)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(new.token_hash)
            .bind(new.name)
            .bind(new.email)
            .bind(new.lang)
            .bind(new.tier)
            .bind(new.invited_by)
            .bind(new.created_at)
            .bind(new.expires_at)
            .bind(new.first_step)
            .fetch_one(&self.write)
            .await?)
    }

    /// The newest candidates first.
    pub async fn candidates(&self, limit: i64) -> StoreResult<Vec<CandidateRow>> {
        let sql = format!("SELECT {COLUMNS} FROM candidates ORDER BY id DESC LIMIT $1");
        Ok(sqlx::query_as(&sql).bind(limit).fetch_all(&self.read).await?)
    }

    pub async fn candidate(&self, id: i64) -> StoreResult<CandidateRow> {
        let sql = format!("SELECT {COLUMNS} FROM candidates WHERE id = $1");
        sqlx::query_as(&sql).bind(id).fetch_optional(&self.write).await?.ok_or_else(|| StoreError::not_found("candidate"))
    }

    pub async fn candidate_by_token(&self, token_hash: &str) -> StoreResult<CandidateRow> {
        let sql = format!("SELECT {COLUMNS} FROM candidates WHERE token_hash = $1");
        sqlx::query_as(&sql).bind(token_hash).fetch_optional(&self.write).await?.ok_or_else(|| StoreError::not_found("test link"))
    }

    /// Starts the clock on the typing step `step` (once: a reload keeps the first start).
    pub async fn start_candidate_step(&self, id: i64, step: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE candidates SET step_started_at = $3 WHERE id = $1 AND step = $2 AND step_started_at IS NULL")
            .bind(id)
            .bind(step)
            .bind(now)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Records the answer to step `from` and moves the candidate to `to`; `submitted_at` is
    /// set when given (the last step). A conflict when the candidate is no longer on `from`.
    pub async fn answer_candidate_step(&self, id: i64, from: &str, to: &str, column: AnswerColumn, answer: &str, submitted_at: Option<i64>) -> StoreResult<()> {
        let sql = format!(
            "UPDATE candidates SET {} = $4, step = $3, step_started_at = NULL, submitted_at = COALESCE($5, submitted_at)
             WHERE id = $1 AND step = $2",
            column.name()
        );
        let done = sqlx::query(&sql).bind(id).bind(from).bind(to).bind(answer).bind(submitted_at).execute(&self.write).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict("this part was already answered".to_owned()));
        }
        Ok(())
    }

    /// The supervisor's review of a candidate who has finished (their score for the written
    /// answer, a decision, a note); a later review replaces it.
    pub async fn review_candidate(&self, id: i64, score: i64, decision: &str, note: Option<&str>, reviewer: i64) -> StoreResult<CandidateRow> {
        let sql = format!(
            "UPDATE candidates SET review_score = $2, decision = $3, review_note = $4, reviewed_by = $5
             WHERE id = $1 AND submitted_at IS NOT NULL RETURNING {COLUMNS}"
        );
        match sqlx::query_as(&sql).bind(id).bind(score).bind(decision).bind(note).bind(reviewer).fetch_optional(&self.write).await? {
            Some(row) => Ok(row),
            None => {
                self.candidate(id).await?;
                Err(StoreError::Conflict("the candidate has not finished the test yet".to_owned()))
            }
        }
    }
}
