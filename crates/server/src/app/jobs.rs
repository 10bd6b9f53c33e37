//! The job worker: claims due jobs from the database (never the same one on two nodes),
//! runs each in a task of its own, and records the outcome with a backoff for retries.
//! What each kind does lives with its use case; this module only dispatches:
//!
//! - `routing_sweep` (every 30 s, unique): assigns waiting conversations to agents with room;
//! - `sla_check` (every `sla_check_seconds`, unique): SLA warnings, breaches, auto-escalation;
//! - `webhook_relay` (every second): the event log to the outbound webhook;
//! - `spike_check` (every 5 minutes): volume spikes per category open incidents;
//! - `follow_up`: [`crate::services::follow_ups`];
//! - `csat_survey`: a resolved conversation's survey ([`crate::services::surveys`]);
//! - `call_ring_timeout`: an in-browser call nobody answered is missed ([`crate::services::calls`]);
//! - `deliver`: one attempt to send a queued delivery through its channel.

use std::time::Duration;

use crate::{
    AppState,
    error::{AppError, AppResult},
    services::follow_ups::FOLLOW_UP,
    store::jobs::Job,
};

pub const ROUTING_SWEEP: &str = "routing_sweep";
pub const SLA_CHECK: &str = "sla_check";
/// Jobs that run forever, one row each, rescheduled in place.
/// Relays the event log to the outbound webhook (a no-op without `webhook_url`).
pub const WEBHOOK_RELAY: &str = "webhook_relay";
const PERIODIC: [&str; 4] = [ROUTING_SWEEP, SLA_CHECK, WEBHOOK_RELAY, crate::services::incidents::SPIKE_CHECK];
const SWEEP_EVERY_MS: i64 = 30_000;
/// How long a claimed job is ours before another worker may take it again.
const LEASE_MS: i64 = 5 * 60_000;

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
            crate::services::routing::sweep(state).await?;
            Ok(state.store.reschedule_job(job.id, state.clock.now_ms() + SWEEP_EVERY_MS).await?)
        }
        SLA_CHECK => {
            crate::services::sla::check(state).await?;
            let every = (state.config.sla_check_seconds.max(1) * 1000) as i64;
            Ok(state.store.reschedule_job(job.id, state.clock.now_ms() + every).await?)
        }
        WEBHOOK_RELAY => {
            let sent = crate::services::webhooks::relay(state).await?;
            // A full batch means more are waiting: go again at once.
            let next = if sent >= 100 { 0 } else { crate::services::webhooks::EVERY_MS };
            Ok(state.store.reschedule_job(job.id, state.clock.now_ms() + next).await?)
        }
        crate::services::incidents::SPIKE_CHECK => {
            crate::services::incidents::check(state).await?;
            Ok(state.store.reschedule_job(job.id, state.clock.now_ms() + crate::services::incidents::EVERY_MS).await?)
        }
        crate::services::incidents::NOTIFY => crate::services::incidents::notify(state, &job.payload).await,
        crate::services::incidents::EMAIL => crate::channels::email::incident_to_owners(state, &job.payload).await,
        FOLLOW_UP => crate::services::follow_ups::run(state, job).await,
        crate::services::calls::RING_TIMEOUT => crate::services::calls::ring_timeout(state, &job.payload).await,
        crate::services::surveys::SEND_SURVEY => crate::services::surveys::send(state, &job.payload).await,
        crate::services::delivery::DELIVER => crate::channels::deliver(state, &job.payload).await,
        other => Err(AppError::Internal(anyhow::anyhow!("unknown job kind {other}"))),
    }
}
