//! Learner sessions for the chat widget: `POST /api/v1/widget/sessions`.
//!
//! The education platform signs the learner id with its secret (lowercase hex
//! HMAC-SHA256); a valid signature yields a session for that learner's contact. Without a
//! learner id the caller is an anonymous visitor and gets a fresh anonymous contact.

use axum::{extract::State, http::StatusCode};
use edudesk_core::{
    IdentityKind, Principal,
    input::{Email, ShortText},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::{
    AppState, crypto,
    error::{AppError, AppResult},
    store::{now_ms, to_utc},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WidgetSessionRequest {
    /// The platform's learner id; omit (with `signature`) for an anonymous visitor.
    pub learner_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Lowercase hex HMAC-SHA256(platform secret, learner_id).
    pub signature: Option<String>,
    /// What the platform knows of the learner right now (current course, app version...):
    /// at most 30 keys with short string, number or boolean values. Shown to agents.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

fn parse_attributes(attributes: &serde_json::Map<String, serde_json::Value>) -> AppResult<()> {
    if attributes.len() > 30 {
        return Err(AppError::Unprocessable("attributes: at most 30 keys".to_owned()));
    }
    for (key, value) in attributes {
        let short = |text: &str| text.chars().count() <= 200 && !text.chars().any(char::is_control);
        let valid_value = match value {
            serde_json::Value::String(text) => short(text),
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => true,
            _ => false,
        };
        if key.is_empty() || !short(key) || key.chars().count() > 64 || !valid_value {
            return Err(AppError::Unprocessable(format!("attributes: '{key}' must map to a short string, a number or a boolean")));
        }
    }
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetSessionResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub contact_id: i64,
    pub anonymous: bool,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Opens a learner session: signed for a known learner, or anonymous.
#[utoipa::path(post, path = "/api/v1/widget/sessions", tag = "widget", request_body = WidgetSessionRequest,
    responses((status = 200, body = WidgetSessionResponse), (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn create_session(
    State(state): State<AppState>,
    client_ip: crate::http::client_ip::ClientIp,
    ApiJson(request): ApiJson<WidgetSessionRequest>,
) -> AppResult<(StatusCode, ApiJson<WidgetSessionResponse>)> {
    crate::http::client_ip::public_write(&state, client_ip)?;
    let name = request.name.as_deref().map(|name| ShortText::parse("name", name, 100)).transpose()?;
    let email = request.email.as_deref().map(Email::parse).transpose()?;
    if let Some(attributes) = &request.attributes {
        parse_attributes(attributes)?;
    }
    let (contact_id, anonymous) = match (request.learner_id.as_deref(), request.signature.as_deref()) {
        (Some(learner_id), Some(signature)) => {
            let learner_id = ShortText::parse("learner_id", learner_id, 128)?;
            let secret = state
                .config
                .platform_secret
                .as_ref()
                .ok_or_else(|| AppError::Unauthorized("signed learner sessions are not enabled: no platform secret is configured".to_owned()))?;
            if !crypto::verify_learner_signature(secret.expose(), learner_id.as_str(), signature) {
                return Err(AppError::Unauthorized("the learner signature does not match".to_owned()));
            }
            let contact_id = state.store.upsert_contact_by_identity(IdentityKind::Platform, learner_id.as_str(), name.as_ref().map(ShortText::as_str)).await?;
            if let Some(email) = &email {
                // The signature covers the learner id only: an email from the page is the
                // platform's word, kept as an attribute, never as an identity that would
                // claim the address for this contact.
                let mut unverified = serde_json::Map::new();
                unverified.insert("email".to_owned(), serde_json::Value::String(email.as_str().to_owned()));
                state.store.merge_contact_attributes(contact_id, &unverified).await?;
            }
            (contact_id, false)
        }
        (Some(_), None) => return Err(AppError::Unauthorized("a learner_id must come with the platform's signature".to_owned())),
        (None, Some(_)) => return Err(AppError::Unprocessable("signature: given without a learner_id".to_owned())),
        (None, None) => {
            let visitor = crypto::new_token();
            let contact_id = state.store.upsert_contact_by_identity(IdentityKind::Visitor, &visitor, name.as_ref().map(ShortText::as_str)).await?;
            (contact_id, true)
        }
    };
    if let Some(attributes) = &request.attributes {
        state.store.merge_contact_attributes(contact_id, attributes).await?;
    }
    let expires_at = now_ms() + state.config.learner_session_days * 86_400_000;
    let token = crypto::new_token();
    state.store.create_session(&crypto::token_hash(&token), &Principal::Learner { contact_id }, &crypto::new_token(), expires_at).await?;
    Ok((StatusCode::OK, ApiJson(WidgetSessionResponse { token, contact_id, anonymous, expires_at: to_utc(expires_at) })))
}

/// What the widget tells a learner before they write: whether people are at work now, the
/// opening hours, and how long a person is likely to take.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetStatus {
    pub open_now: bool,
    /// Opening hours every day, e.g. `09:00-21:00`, in `time_zone`.
    pub business_hours: String,
    pub time_zone: String,
    /// When people are back (now while open).
    pub next_opening_at: chrono::DateTime<chrono::Utc>,
    /// Tier 1 agents online now.
    pub agents_online: i64,
    /// Minutes a new conversation is likely to wait for a person; none when nobody is online.
    pub expected_wait_minutes: Option<i64>,
    /// Notices of known incidents ("video playback is failing; we are on it"), newest first.
    pub banners: Vec<String>,
}

/// Opening hours and the expected wait (public: the widget asks before a session exists).
#[utoipa::path(get, path = "/api/v1/widget/status", tag = "widget", responses((status = 200, body = WidgetStatus)))]
#[tracing::instrument(skip_all)]
pub async fn status(State(state): State<AppState>) -> AppResult<ApiJson<WidgetStatus>> {
    let availability = crate::services::routing::availability(&state).await?;
    Ok(ApiJson(WidgetStatus {
        open_now: availability.open_now,
        business_hours: state.config.business_hours.clone(),
        time_zone: state.config.time_zone.clone(),
        next_opening_at: availability.next_opening_at,
        agents_online: availability.agents_online,
        expected_wait_minutes: availability.expected_wait_minutes,
        banners: crate::services::incidents::banners(&state).await?,
    }))
}
