//! Background work: the job worker and what each kind of job does.
//!
//! - `routing_sweep` (every 30 s, unique): assigns waiting conversations to agents with room;
//! - `sla_check` (every `sla_check_seconds`, unique): SLA warnings, breaches, auto-escalation;
//! - `follow_up`: at its due time, puts a task in the agent's list and, when the job says
//!   so, writes to the learner in the conversation (on its channel).
//!
//! Jobs live in the database ([`crate::store::jobs`]), so a follow-up due while the server
//! was down runs as soon as it is back. The worker runs on every node; claims never overlap.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{
    AppState,
    error::{AppError, AppResult},
    store::{jobs::Job, messages::Author, writer::NewMessage},
};

pub const ROUTING_SWEEP: &str = "routing_sweep";
pub const FOLLOW_UP: &str = "follow_up";
pub const SLA_CHECK: &str = "sla_check";
/// Jobs that run forever, one row each, rescheduled in place.
/// Relays the event log to the outbound webhook (a no-op without `webhook_url`).
pub const WEBHOOK_RELAY: &str = "webhook_relay";
const PERIODIC: [&str; 3] = [ROUTING_SWEEP, SLA_CHECK, WEBHOOK_RELAY];
const SWEEP_EVERY_MS: i64 = 30_000;
/// How long a claimed job is ours before another worker may take it again.
const LEASE_MS: i64 = 5 * 60_000;

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

/// Runs jobs until the task is aborted.
pub async fn run_worker(state: AppState) {
    let now = state.clock.now_ms();
    for kind in PERIODIC {
        if let Err(error) = state.store.ensure_periodic_job(kind, now, now).await {
            tracing::warn!(%error, kind, "could not schedule a periodic job");
        }
    }
    loop {
        let now = state.clock.now_ms();
        match state.store.claim_job(now, LEASE_MS).await {
            Ok(Some(job)) => {
                // Each job runs in a task of its own, so a panic fails that job, not the worker.
                let outcome = match tokio::spawn({
                    let (state, job) = (state.clone(), job.clone());
                    async move { execute(&state, &job).await }
                })
                .await
                {
                    Ok(outcome) => outcome,
                    Err(panic) => Err(AppError::Internal(anyhow::anyhow!("the job panicked: {panic}"))),
                };
                let periodic = PERIODIC.contains(&job.kind.as_str());
                let recorded = match outcome {
                    Ok(()) if periodic => Ok(()),
                    Ok(()) => state.store.complete_job(job.id).await,
                    Err(error) => {
                        let backoff_s = 2_i64.saturating_pow(job.attempts.clamp(0, 12) as u32).min(3600);
                        tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, %error, "job failed; it will run again");
                        state.store.fail_job(&job, &error.to_string(), now + backoff_s * 1000, periodic).await
                    }
                };
                if let Err(error) = recorded {
                    tracing::warn!(%error, "recording a job's outcome failed");
                }
            }
            Ok(None) => {
                let next = state.store.next_job_due().await.ok().flatten();
                let wait = next.map_or(1000, |due| (due - now).clamp(20, 1000));
                tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            }
            Err(error) => {
                tracing::warn!(%error, "claiming a job failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn execute(state: &AppState, job: &Job) -> AppResult<()> {
    match job.kind.as_str() {
        ROUTING_SWEEP => {
            crate::routing::sweep(state).await?;
            state.store.reschedule_job(job.id, state.clock.now_ms() + SWEEP_EVERY_MS).await
        }
        SLA_CHECK => {
            crate::sla::check(state).await?;
            let every = (state.config.sla_check_seconds.max(1) * 1000) as i64;
            state.store.reschedule_job(job.id, state.clock.now_ms() + every).await
        }
        WEBHOOK_RELAY => {
            let sent = crate::outbound_webhooks::relay(state).await?;
            // A full batch means more are waiting: go again at once.
            let next = if sent >= 100 { 0 } else { crate::outbound_webhooks::EVERY_MS };
            state.store.reschedule_job(job.id, state.clock.now_ms() + next).await
        }
        FOLLOW_UP => follow_up(state, job).await,
        crate::channels::DELIVER => crate::channels::deliver(state, &job.payload).await,
        other => Err(AppError::Internal(anyhow::anyhow!("unknown job kind {other}"))),
    }
}

async fn follow_up(state: &AppState, job: &Job) -> AppResult<()> {
    let follow_up: FollowUp = serde_json::from_str(&job.payload).map_err(|error| AppError::Internal(error.into()))?;
    let conversation = match state.store.conversation(follow_up.conversation_id).await {
        Ok(conversation) => conversation,
        // The conversation is gone: nothing to follow up.
        Err(AppError::NotFound(_)) => return Ok(()),
        Err(error) => return Err(error),
    };
    if follow_up.only_if_resolved && !matches!(conversation.status, edudesk_core::Status::Resolved | edudesk_core::Status::Closed) {
        // The learner came back and it is being worked on: "did it work?" would be out of place.
        return Ok(());
    }
    let now = state.clock.now_ms();
    // A retried job must not add the task twice.
    let already = state.store.task_for_job(job.id).await?;
    if !already {
        let assignee = follow_up.assignee_id.or(conversation.assignee_id);
        let due = follow_up.due_at.unwrap_or(now).min(now);
        state.store.create_task_for_job(job.id, conversation.id, assignee, "follow_up", &follow_up.title, due).await?;
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
            Ok(appended) => crate::channels::send_to_learner(state, &appended.message).await?,
            // The conversation was closed meanwhile: nobody to write to.
            Err(AppError::Conflict(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
