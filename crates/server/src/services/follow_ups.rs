//! Follow-ups: "check back with this learner at this time". Scheduling one puts a
//! `follow_up` job in the database, so a follow-up due while the server was down runs as
//! soon as it is back; when it runs it adds a task to the agent's list and, when it says
//! so, writes to the learner on the conversation's own channel.

use serde::{Deserialize, Serialize};

use crate::{
    AppState,
    error::{AppError, AppResult},
    store::{batch::NewMessage, error::StoreError, jobs::Job, messages::Author},
};

/// Job kind of a follow-up.
pub const FOLLOW_UP: &str = "follow_up";

/// What a follow-up job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowUp {
    pub conversation_id: i64,
    pub title: String,
    /// Written to the learner when the follow-up is due, if given.
    pub message: Option<String>,
    /// Whose task list it goes to; default: the conversation's assignee then.
    pub assignee_id: Option<i64>,
    /// A check-back after resolution: skipped if the conversation was reopened since.
    #[serde(default)]
    pub only_if_resolved: bool,
    /// When it is due (scheduling clock, ms); set when scheduled. The task carries this
    /// time, not the moment a worker got to it.
    #[serde(default)]
    pub due_at: Option<i64>,
}

/// Schedules a follow-up `after_ms` from now (by the scheduling clock); returns when it is due.
pub async fn schedule_follow_up(state: &AppState, follow_up: &FollowUp, after_ms: i64) -> AppResult<i64> {
    enqueue_follow_up(state, follow_up, after_ms, None).await
}

/// Like [`schedule_follow_up`], at most once per `key` until it has run.
pub async fn schedule_follow_up_once(state: &AppState, follow_up: &FollowUp, after_ms: i64, key: &str) -> AppResult<i64> {
    enqueue_follow_up(state, follow_up, after_ms, Some(key)).await
}

async fn enqueue_follow_up(state: &AppState, follow_up: &FollowUp, after_ms: i64, key: Option<&str>) -> AppResult<i64> {
    let now = state.clock.now_ms();
    let due = now + after_ms;
    let follow_up = FollowUp { due_at: Some(due), ..follow_up.clone() };
    let payload = serde_json::to_value(&follow_up).map_err(|error| AppError::Internal(error.into()))?;
    state.store.enqueue_job_for(FOLLOW_UP, &payload, due, key, now, Some(follow_up.conversation_id)).await?;
    Ok(due)
}

/// A conversation's follow-ups still to come, soonest first.
pub async fn pending_follow_ups(state: &AppState, conversation_id: i64) -> AppResult<Vec<PendingFollowUp>> {
    let jobs = state.store.pending_jobs_of(FOLLOW_UP, conversation_id).await?;
    Ok(jobs
        .into_iter()
        .filter_map(|(id, payload, run_at)| {
            let follow_up: FollowUp = serde_json::from_str(&payload).ok()?;
            Some(PendingFollowUp {
                id,
                title: follow_up.title,
                message: follow_up.message,
                assignee_id: follow_up.assignee_id,
                // A retried job runs later than it was due; its due time stays the promise.
                due_at: crate::store::to_utc(follow_up.due_at.unwrap_or(run_at)),
                only_if_resolved: follow_up.only_if_resolved,
            })
        })
        .collect())
}

/// A follow-up not yet due, as the console lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PendingFollowUp {
    pub id: i64,
    pub title: String,
    /// Written to the learner, on the conversation's channel, when due.
    pub message: Option<String>,
    pub assignee_id: Option<i64>,
    pub due_at: chrono::DateTime<chrono::Utc>,
    /// Skipped if the conversation is reopened before then.
    pub only_if_resolved: bool,
}

/// The `follow_up` job: at its due time, a task in the agent's list and, when it says so,
/// a message to the learner on the conversation's own channel.
pub async fn run(state: &AppState, job: &Job) -> AppResult<()> {
    let follow_up: FollowUp = serde_json::from_str(&job.payload).map_err(|error| AppError::Internal(error.into()))?;
    let conversation = match state.store.conversation(follow_up.conversation_id).await {
        Ok(conversation) => conversation,
        // The conversation is gone: nothing to follow up.
        Err(StoreError::NotFound(_)) => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    if follow_up.only_if_resolved && !matches!(conversation.status, edudesk_core::Status::Resolved | edudesk_core::Status::Closed) {
        // The learner came back and it is being worked on: "did it work?" would be out of place.
        return Ok(());
    }
    if let Some(text) = follow_up.message.filter(|text| !text.trim().is_empty()) {
        // The job id makes the message idempotent across retries.
        let message = NewMessage {
            conversation_id: conversation.id,
            author: Author::System,
            on_behalf_of: None,
            body: text,
            internal: false,
            client_id: format!("follow-up-{}", job.id),
            attachment_id: None,
        };
        match state.writer.append(message).await {
            // Out through the conversation's own channel (WeChat, SMS, email...); a retry
            // finds the delivery already queued for this message.
            Ok(appended) => crate::services::delivery::send_to_learner(state, &appended.message).await?,
            // The conversation was closed meanwhile: nobody to write to.
            Err(AppError::Conflict(_)) => {}
            Err(error) => return Err(error),
        }
    }
    // The task comes after the message, so an agent who sees it finds the message already
    // sent; a retried job must not add the task twice.
    let now = state.clock.now_ms();
    if !state.store.task_for_job(job.id).await? {
        let assignee = follow_up.assignee_id.or(conversation.assignee_id);
        let due = follow_up.due_at.unwrap_or(now).min(now);
        state.store.create_task_for_job(job.id, conversation.id, assignee, "follow_up", &follow_up.title, due).await?;
    }
    Ok(())
}
