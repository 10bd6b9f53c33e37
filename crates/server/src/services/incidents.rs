//! Spikes and incidents. Every few minutes each category's and each course's last 30 minutes
//! are judged against its own seasonal baseline (`edudesk_core::spikes`: the hour-of-week profile of the last
//! four weeks times an EWMA level of the last day). A spike opens an incident for the
//! category (one open at a time) that links the category's conversations of the window and,
//! while open, every new one; an agent answers them all at once; a banner written for the
//! incident shows in the widget and the help centre until it is resolved. Owners' systems hear
//! of a new incident at `webhook_url`, signed (job `incident_notify`).

use std::collections::BTreeMap;

use chrono::{Datelike, TimeZone, Timelike};
use edudesk_core::{
    Principal,
    spikes::{self, Assessment},
    staffing::hour_of_week_profile,
};

use crate::{
    AppState,
    error::AppResult,
    services::messages::{self, FollowUp, Post},
    store::incidents::Dimension,
};

/// Job kind that tells the owners (the integration at `webhook_url`) an incident opened.
pub const NOTIFY: &str = "incident_notify";
/// Job kind that emails the owners (`incident_emails`) an incident opened.
pub const EMAIL: &str = "incident_email";
/// Job kind of the periodic spike check.
pub const SPIKE_CHECK: &str = "spike_check";
/// How often it runs.
pub const EVERY_MS: i64 = 5 * 60_000;
/// The window judged, in minutes.
const WINDOW_MINUTES: i64 = 30;
const HISTORY_WEEKS: u32 = 4;
const HOUR: i64 = 3_600_000;

/// One check over every category and every course; returns how many incidents it opened.
pub async fn check(state: &AppState) -> AppResult<usize> {
    let mut opened = 0;
    for dimension in Dimension::ALL {
        opened += check_dimension(state, dimension).await?;
    }
    // Open incidents keep collecting their category's (or course's) new conversations.
    for incident in state.store.incidents(true).await? {
        state.store.link_incident(&incident, incident.opened_at - WINDOW_MINUTES * 60_000).await?;
    }
    Ok(opened)
}

/// Each category's (or course's) window against its own seasonal baseline.
async fn check_dimension(state: &AppState, dimension: Dimension) -> AppResult<usize> {
    let zone = state.sla.calendar.time_zone;
    let now = state.clock.now_ms();
    let window_start = now - WINDOW_MINUTES * 60_000;
    let since = now - i64::from(HISTORY_WEEKS) * 7 * 24 * HOUR;
    let mut by_category: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (category, at) in state.store.arrivals(dimension, since).await? {
        by_category.entry(category).or_default().push(at);
    }
    let local = |at: i64| zone.timestamp_millis_opt(at).single().map(|t| (t.weekday().num_days_from_monday(), t.hour()));
    let mut opened = 0;
    for (category, arrivals) in by_category {
        let history: Vec<i64> = arrivals.iter().copied().filter(|at| *at < window_start).collect();
        let profile = hour_of_week_profile(history.iter().filter_map(|at| local(*at)), HISTORY_WEEKS);
        let profiled = |at: i64| local(at).map_or(0.0, |(d, h)| profile[d as usize][h as usize]);
        // The last day, hour by hour (oldest first): how actual volume compares with the profile.
        let recent: Vec<(f64, f64)> = (1..=24)
            .rev()
            .map(|back| {
                let start = window_start - back * HOUR;
                let actual = history.iter().filter(|at| **at >= start && **at < start + HOUR).count() as f64;
                (actual, profiled(start))
            })
            .collect();
        let observed = arrivals.iter().filter(|at| **at >= window_start).count() as f64;
        let assessment: Assessment = spikes::assess(observed, profiled(now), spikes::level(&recent), WINDOW_MINUTES as f64);
        if assessment.spike {
            let (incident, new) = state.store.open_incident(dimension, &category, assessment.observed, assessment.expected, now).await?;
            state.store.link_incident(&incident, window_start).await?;
            if new {
                opened += 1;
                tracing::warn!(
                    dimension = dimension.as_str(),
                    category,
                    observed = assessment.observed,
                    expected = assessment.expected,
                    incident = incident.id,
                    "volume spike: incident opened"
                );
                // The owners' systems hear of it (signed, retried until they answer).
                let payload = serde_json::json!({"incident_id": incident.id});
                if state.config.webhook_url.is_some() {
                    state.store.enqueue_job(NOTIFY, &payload, now, Some(&format!("incident-notify-{}", incident.id)), now).await?;
                }
                // And the owners by email, as a job of its own: a failing mail server does not
                // send the webhook twice, nor the other way round.
                if !state.config.incident_emails.is_empty() {
                    state.store.enqueue_job(EMAIL, &payload, now, Some(&format!("incident-email-{}", incident.id)), now).await?;
                }
            }
        }
    }
    Ok(opened)
}

/// Answers every open conversation the incident links with the same message, as `principal`
/// (conversations outside their access are skipped); returns how many got it.
pub async fn answer_all(state: &AppState, principal: Principal, id: i64, body: &str) -> AppResult<usize> {
    state.store.incident(id).await?;
    edudesk_core::input::MessageBody::parse(body)?;
    let mut answered = 0;
    for conversation_id in state.store.incident_open_conversations(id).await? {
        // One client id per incident and conversation: answering twice sends nothing twice.
        let post =
            Post { conversation_id, body: body.to_owned(), client_id: Some(format!("incident-{id}-{conversation_id}")), internal: false, attachment_id: None };
        match messages::post(state, principal, post, FollowUp::Inline).await {
            Ok(appended) if !appended.replayed => answered += 1,
            Ok(_) => {}
            Err(error) => tracing::info!(%error, conversation_id, "incident answer skipped a conversation"),
        }
    }
    Ok(answered)
}

/// The banners of open incidents, for learners.
pub async fn banners(state: &AppState) -> AppResult<Vec<String>> {
    Ok(state.store.incidents(true).await?.into_iter().filter_map(|incident| incident.banner).collect())
}

/// The `incident_notify` job: POSTs `{"type": "incident.opened", "incident": {...}}` to
/// `webhook_url`, signed like the event webhooks (`X-EduDesk-Signature: t=..,v1=..`); a
/// receiver that fails gets it again with the job queue's backoff.
pub async fn notify(state: &AppState, payload: &str) -> AppResult<()> {
    let (Some(url), Some(secret)) = (&state.config.webhook_url, &state.config.webhook_secret) else { return Ok(()) };
    let id = serde_json::from_str::<serde_json::Value>(payload).ok().and_then(|p| p["incident_id"].as_i64()).unwrap_or_default();
    let incident = state.store.incident(id).await?;
    let body = serde_json::json!({"type": "incident.opened", "incident": incident}).to_string();
    let now = state.clock.now_ms();
    let response = state
        .outbound
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("x-edudesk-signature", crate::services::webhooks::signature(secret.expose(), now / 1000, &body))
        .body(body)
        .send()
        .await
        .map_err(|error| crate::error::AppError::Unavailable(format!("incident webhook: {error}")))?;
    if !response.status().is_success() {
        return Err(crate::error::AppError::Unavailable(format!("incident webhook: the receiver answered {}", response.status())));
    }
    Ok(())
}
