//! Outbound webhooks for integrations (a CRM, a data warehouse, the platform's own systems):
//! every event of the conversations' log — created, assigned, status changes, escalations,
//! handovers, SLA warnings and breaches… — POSTed in order to `webhook_url` in batches,
//! signed, at least once. The log itself is the outbox: a periodic job reads the events after
//! a cursor kept in the database and moves the cursor only after a 2xx, so nothing is lost
//! across crashes or nodes; a failure is retried with the job queue's backoff. Events younger
//! than a few seconds wait, so a transaction that took an id earlier but committed later is
//! not skipped.
//!
//! Request: `POST webhook_url`, `Content-Type: application/json`, body
//! `{"events": [{"id", "conversation_id", "kind", "actor": {"user_id", "contact_id"},
//! "data", "created_at"}]}`, headers `X-EduDesk-Signature: t=<unix seconds>,v1=<hex
//! HMAC-SHA256(webhook_secret, "<t>.<body>")>` and `X-EduDesk-Events: <first id>-<last id>`.
//! Receivers check the signature and that `t` is recent, and de-duplicate by event id.

use serde_json::json;

use crate::{
    AppState,
    crypto::hmac_hex,
    error::{AppError, AppResult},
    store::to_utc,
};

/// Events per request.
const BATCH: i64 = 100;
/// How old an event must be before it is sent (see the module doc).
const SETTLE_MS: i64 = 2_000;
/// How often to look for new events when idle.
pub const EVERY_MS: i64 = 1_000;

/// The signature header's value for `body` at `unix_seconds`.
pub fn signature(secret: &str, unix_seconds: i64, body: &str) -> String {
    format!("t={unix_seconds},v1={}", hmac_hex(secret, format!("{unix_seconds}.{body}").as_bytes()))
}

/// Sends the next batch, if there is one. Returns how many events went out.
pub async fn relay(state: &AppState) -> AppResult<usize> {
    let (Some(url), Some(secret)) = (&state.config.webhook_url, &state.config.webhook_secret) else {
        return Ok(0);
    };
    let cursor = state.store.webhook_cursor().await?;
    let now = state.clock.now_ms();
    let events = state.store.events_after(cursor, now - SETTLE_MS, BATCH).await?;
    let (Some(first), Some(last)) = (events.first().map(|e| e.id), events.last().map(|e| e.id)) else {
        return Ok(0);
    };
    let body = json!({
        "events": events
            .iter()
            .map(|event| json!({
                "id": event.id,
                "conversation_id": event.conversation_id,
                "kind": event.kind,
                "actor": {"user_id": event.actor_user_id, "contact_id": event.actor_contact_id},
                "data": serde_json::from_str::<serde_json::Value>(&event.data).unwrap_or_default(),
                "created_at": to_utc(event.created_at),
            }))
            .collect::<Vec<_>>()
    })
    .to_string();
    let response = state
        .outbound
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("x-edudesk-signature", signature(secret.expose(), now / 1000, &body))
        .header("x-edudesk-events", format!("{first}-{last}"))
        .body(body)
        .send()
        .await
        .map_err(|error| AppError::Unavailable(format!("webhook: {error}")))?;
    if !response.status().is_success() {
        return Err(AppError::Unavailable(format!("webhook: the receiver answered {}", response.status())));
    }
    state.store.advance_webhook_cursor(cursor, last).await?;
    Ok(events.len())
}
