//! Storage for CSAT surveys and the feedback they carry: one survey per conversation at most
//! (so a retried job never sends two), found by its unguessable token; answers change until
//! it expires; feedback items for the owning team with their status.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::Store;
use super::error::{StoreError, StoreResult};

/// A survey as stored.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Survey {
    pub id: i64,
    #[serde(skip)]
    pub token: String,
    pub conversation_id: i64,
    #[serde(skip)]
    pub contact_id: i64,
    /// The agent who served (the conversation's assignee when it was resolved).
    pub agent_id: Option<i64>,
    pub channel: String,
    /// Whether the learner was sampled for the "would you recommend us" (0–10) question.
    #[serde(serialize_with = "as_bool")]
    #[schema(value_type = bool)]
    pub with_nps: i64,
    /// `zh` or `en`.
    pub lang: String,
    /// UTC milliseconds.
    pub sent_at: i64,
    pub expires_at: i64,
    /// 1 (very unhappy) to 5 (very happy).
    pub rating: Option<i64>,
    /// Whether the learner says the problem is solved (1) or not (0).
    pub resolved: Option<i64>,
    /// 0–10: how likely the learner is to recommend the platform.
    pub nps: Option<i64>,
    pub comment: Option<String>,
    pub answered_at: Option<i64>,
}

fn as_bool<S: serde::Serializer>(value: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bool(*value != 0)
}

/// A new survey.
#[derive(Debug, Clone)]
pub struct NewSurvey<'a> {
    pub token: &'a str,
    pub conversation_id: i64,
    pub contact_id: i64,
    pub agent_id: Option<i64>,
    pub channel: &'a str,
    pub with_nps: bool,
    pub lang: &'a str,
    pub sent_at: i64,
    pub expires_at: i64,
}

/// A learner's answers (each may be left out; what is given replaces what was there).
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pub rating: Option<i64>,
    pub resolved: Option<bool>,
    pub nps: Option<i64>,
    pub comment: Option<String>,
}

/// A survey comment routed to the team that owns its subject.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct FeedbackItem {
    pub id: i64,
    pub survey_id: i64,
    pub conversation_id: i64,
    /// `product`, `tech` or `ops`.
    pub area: String,
    /// The team that owns it (members see and update it).
    pub owner_team: String,
    pub text: String,
    /// `new`, `acknowledged`, `planned`, `done` or `wont_do`.
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub updated_by: Option<i64>,
}

const SURVEY_COLUMNS: &str =
    "id, token, conversation_id, contact_id, agent_id, channel, with_nps, lang, sent_at, expires_at, rating, resolved, nps, comment, answered_at";
const ITEM_COLUMNS: &str = "id, survey_id, conversation_id, area, owner_team, text, status, created_at, updated_at, updated_by";

impl Store {
    /// Stores a survey unless the conversation has one already; the survey either way.
    pub async fn create_survey(&self, new: &NewSurvey<'_>) -> StoreResult<(Survey, bool)> {
        let inserted = sqlx::query(
            "INSERT INTO surveys (token, conversation_id, contact_id, agent_id, channel, with_nps, lang, sent_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (conversation_id) DO NOTHING",
        )
        .bind(new.token)
        .bind(new.conversation_id)
        .bind(new.contact_id)
        .bind(new.agent_id)
        .bind(new.channel)
        .bind(i64::from(new.with_nps))
        .bind(new.lang)
        .bind(new.sent_at)
        .bind(new.expires_at)
        .execute(&self.write)
        .await?
        .rows_affected();
        let survey = sqlx::query_as(&format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE conversation_id = $1"))
            .bind(new.conversation_id)
            .fetch_one(&self.write)
            .await?;
        Ok((survey, inserted > 0))
    }

    /// Whether the learner's personal data was erased (they are never written to again).
    pub async fn contact_erased(&self, contact_id: i64) -> StoreResult<bool> {
        let erased: Option<i64> =
            sqlx::query_scalar("SELECT erased_at FROM contacts WHERE id = $1").bind(contact_id).fetch_optional(&self.read).await?.flatten();
        Ok(erased.is_some())
    }

    /// When the learner was last sent a survey, if ever.
    pub async fn last_survey_sent(&self, contact_id: i64) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MAX(sent_at) FROM surveys WHERE contact_id = $1").bind(contact_id).fetch_one(&self.read).await?)
    }

    pub async fn survey_by_token(&self, token: &str) -> StoreResult<Survey> {
        sqlx::query_as(&format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE token = $1"))
            .bind(token)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::not_found("survey"))
    }

    /// The survey sent after a conversation (one per conversation).
    pub async fn survey_of_conversation(&self, conversation_id: i64) -> StoreResult<Survey> {
        sqlx::query_as(&format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE conversation_id = $1"))
            .bind(conversation_id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::not_found("survey"))
    }

    /// Records answers (what is given replaces what was there).
    pub async fn answer_survey(&self, id: i64, answers: &Answers, now: i64) -> StoreResult<Survey> {
        sqlx::query(
            "UPDATE surveys SET rating = COALESCE($2, rating), resolved = COALESCE($3, resolved), nps = COALESCE($4, nps),
                comment = COALESCE($5, comment), answered_at = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(answers.rating)
        .bind(answers.resolved.map(i64::from))
        .bind(answers.nps)
        .bind(answers.comment.as_deref())
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(sqlx::query_as(&format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE id = $1")).bind(id).fetch_one(&self.write).await?)
    }

    /// Every survey sent to a learner (their data export).
    pub async fn surveys_of_contact(&self, contact_id: i64) -> StoreResult<Vec<Survey>> {
        Ok(sqlx::query_as(&format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE contact_id = $1 ORDER BY id")).bind(contact_id).fetch_all(&self.read).await?)
    }

    /// Answered surveys, newest first: all, or one agent's.
    pub async fn answered_surveys(&self, agent_id: Option<i64>, limit: i64) -> StoreResult<Vec<Survey>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SURVEY_COLUMNS} FROM surveys WHERE answered_at IS NOT NULL AND ($1 IS NULL OR agent_id = $1) ORDER BY answered_at DESC, id DESC LIMIT $2"
        ))
        .bind(agent_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// Routes a comment to its owner: one item per survey (a changed comment updates it).
    pub async fn file_feedback(&self, survey: &Survey, area: &str, owner_team: &str, text: &str, now: i64) -> StoreResult<FeedbackItem> {
        sqlx::query(
            "INSERT INTO feedback_items (survey_id, conversation_id, area, owner_team, text, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (survey_id) DO UPDATE SET area = excluded.area, owner_team = excluded.owner_team, text = excluded.text, updated_at = excluded.updated_at",
        )
        .bind(survey.id)
        .bind(survey.conversation_id)
        .bind(area)
        .bind(owner_team)
        .bind(text)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM feedback_items WHERE survey_id = $1")).bind(survey.id).fetch_one(&self.write).await?)
    }

    /// Feedback items, newest first, optionally of some teams and one status.
    pub async fn feedback_items(&self, teams: Option<&[String]>, status: Option<&str>, limit: i64) -> StoreResult<Vec<FeedbackItem>> {
        // The owning teams are few (product, tech, ops): filtered here, before the limit, so a
        // member's items are never cut off by other teams' newer ones.
        let rows: Vec<FeedbackItem> =
            sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM feedback_items WHERE ($1 IS NULL OR status = $1) ORDER BY created_at DESC, id DESC"))
                .bind(status)
                .fetch_all(&self.read)
                .await?;
        let mine = |item: &FeedbackItem| teams.is_none_or(|teams| teams.contains(&item.owner_team));
        Ok(rows.into_iter().filter(mine).take(usize::try_from(limit).unwrap_or(0)).collect())
    }

    pub async fn feedback_item(&self, id: i64) -> StoreResult<FeedbackItem> {
        sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM feedback_items WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::not_found("feedback item"))
    }

    pub async fn set_feedback_status(&self, id: i64, status: &str, user_id: i64, now: i64) -> StoreResult<FeedbackItem> {
        let changed = sqlx::query("UPDATE feedback_items SET status = $2, updated_by = $3, updated_at = $4 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(user_id)
            .bind(now)
            .execute(&self.write)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::not_found("feedback item"));
        }
        Ok(sqlx::query_as(&format!("SELECT {ITEM_COLUMNS} FROM feedback_items WHERE id = $1")).bind(id).fetch_one(&self.write).await?)
    }
}
