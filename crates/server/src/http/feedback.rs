//! In-app feedback (`POST /api/v1/feedback`) from the platform's apps: text, category, rating,
//! device/app/OS/network info and screenshots. It becomes an `in_app` conversation on the
//! learner's contact; the device info is kept on the contact, shown to the agent as a note,
//! and pre-fills the SOP's questions where the answers fit (device, network, browser).
//!
//! Authenticated with the learner's widget token, or server to server with the platform's API
//! key (`X-Platform-Key`) and the learner's platform id.

use axum::{extract::State, http::HeaderMap};
use base64::Engine;
use edudesk_core::{Channel, IdentityKind, Principal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::{
    AppState,
    error::{AppError, AppResult},
    http::session::MaybeAuth,
    services::inbox::{Inbound, ingest},
    store::{events::Actor, messages::Author},
};

/// Most screenshots in one feedback.
const MAX_SCREENSHOTS: usize = 3;

/// The learner's device, as the app reports it.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// computer, phone, tablet or tv.
    pub kind: Option<String>,
    pub model: Option<String>,
    pub os: Option<String>,
    pub app_version: Option<String>,
    /// wifi, mobile, wired or campus.
    pub network: Option<String>,
    pub browser: Option<String>,
}

/// A screenshot, base64-encoded.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Screenshot {
    /// image/png, image/jpeg, image/gif or image/webp.
    pub content_type: String,
    pub data: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackInput {
    pub text: String,
    /// A routing category (`playback`, `payment`...); otherwise the text decides.
    pub category: Option<String>,
    /// 1–5.
    pub rating: Option<u8>,
    #[serde(default)]
    pub device: Device,
    #[serde(default)]
    pub screenshots: Vec<Screenshot>,
    /// With the platform key: the learner's platform id.
    pub learner_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackReceipt {
    pub conversation_id: i64,
    pub contact_id: i64,
    pub screenshots: usize,
}

fn short(name: &str, value: &Option<String>) -> AppResult<()> {
    match value {
        Some(value) if value.chars().count() > 100 => Err(AppError::Unprocessable(format!("device.{name}: at most 100 characters"))),
        _ => Ok(()),
    }
}

/// Files feedback from an app.
#[utoipa::path(post, path = "/api/v1/feedback", tag = "feedback", request_body = FeedbackInput,
    responses((status = 201, body = FeedbackReceipt), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem),
        (status = 413, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("platform_key" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    auth: MaybeAuth,
    headers: HeaderMap,
    ApiJson(input): ApiJson<FeedbackInput>,
) -> AppResult<(axum::http::StatusCode, ApiJson<FeedbackReceipt>)> {
    // Who is it from: the learner's own session, or the platform vouching for a learner.
    let identity = match auth.0.as_ref().map(|auth| auth.principal) {
        Some(Principal::Learner { contact_id }) => {
            let contact = state.store.contact(contact_id).await?;
            let identity = contact
                .identities
                .iter()
                .find(|i| i.kind == "platform")
                .or_else(|| contact.identities.first())
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("contact {contact_id} has no identity")))?;
            let kind = IdentityKind::parse(&identity.kind).ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown identity kind {}", identity.kind)))?;
            (kind, identity.value.clone())
        }
        Some(Principal::Staff(_)) => return Err(AppError::Forbidden("feedback comes from learners' apps, not staff".to_owned())),
        None => {
            let presented = headers.get("x-platform-key").and_then(|value| value.to_str().ok());
            let expected = state.config.platform_api_key.as_ref().map(|key| key.expose().to_owned());
            match (presented, expected) {
                (Some(presented), Some(expected)) if crate::crypto::constant_time_eq(expected.as_bytes(), presented.as_bytes()) => {}
                _ => return Err(AppError::Unauthorized("sign in with the widget token, or send the platform's X-Platform-Key".to_owned())),
            }
            let learner = input.learner_id.as_deref().map(str::trim).filter(|id| !id.is_empty() && id.len() <= 100);
            let learner = learner.ok_or_else(|| AppError::Unprocessable("learner_id: required with the platform key (1–100 characters)".to_owned()))?;
            (IdentityKind::Platform, learner.to_owned())
        }
    };
    if let Some(rating) = input.rating
        && !(1..=5).contains(&rating)
    {
        return Err(AppError::Unprocessable("rating: 1 to 5".to_owned()));
    }
    let device = &input.device;
    for (name, value) in [
        ("kind", &device.kind),
        ("model", &device.model),
        ("os", &device.os),
        ("app_version", &device.app_version),
        ("network", &device.network),
        ("browser", &device.browser),
    ] {
        short(name, value)?;
    }
    if let Some(category) = &input.category
        && !state.categories.knows(category)
    {
        return Err(AppError::Unprocessable(format!("category: '{category}' is not a known category")));
    }
    if input.screenshots.len() > MAX_SCREENSHOTS {
        return Err(AppError::Unprocessable(format!("screenshots: at most {MAX_SCREENSHOTS}")));
    }
    // Every screenshot is checked before anything is stored.
    let mut images = Vec::with_capacity(input.screenshots.len());
    for (index, shot) in input.screenshots.iter().enumerate() {
        let data = base64::engine::general_purpose::STANDARD
            .decode(shot.data.as_bytes())
            .map_err(|_| AppError::Unprocessable(format!("screenshots[{index}].data: not base64")))?;
        if data.len() > state.config.attachment_max_bytes {
            return Err(AppError::PayloadTooLarge(format!("screenshots[{index}]: at most {} bytes", state.config.attachment_max_bytes)));
        }
        if !crate::services::attachments::sniff_matches(&shot.content_type, &data) {
            return Err(AppError::Unprocessable(format!("screenshots[{index}]: not a PNG, JPEG, GIF or WebP image of the type it claims")));
        }
        images.push((shot.content_type.clone(), data));
    }
    let device_json = serde_json::to_value(device).map_err(|error| AppError::Internal(error.into()))?;
    let mut attributes = serde_json::Map::new();
    attributes.insert("device".to_owned(), device_json);
    let rating = input.rating.map(|r| format!(" · 评分 / rating {r}/5")).unwrap_or_default();
    let inbound = Inbound {
        channel: Channel::InApp,
        account: None,
        external_id: None,
        identity,
        display_name: None,
        text: input.text.clone(),
        category: input.category.clone(),
        bot: false,
        attributes: Some(attributes),
        // Every feedback is a ticket of its own.
        thread: crate::services::inbox::Thread::Hint(None),
        subject: None,
    };
    let ingested = ingest(&state, inbound).await?;
    let conversation_id = ingested.conversation_id;
    for (content_type, data) in &images {
        let attachment =
            state.store.create_attachment(conversation_id, Actor { user_id: None, contact_id: Some(ingested.contact_id) }, content_type, None, data).await?;
        crate::services::messages::append(
            &state,
            conversation_id,
            Author::Contact(ingested.contact_id),
            "[image]".to_owned(),
            false,
            Some(attachment.id),
            "fb",
        )
        .await?;
    }
    let described: Vec<String> = [
        ("设备/device", &device.kind),
        ("型号/model", &device.model),
        ("系统/OS", &device.os),
        ("App", &device.app_version),
        ("网络/network", &device.network),
        ("浏览器/browser", &device.browser),
    ]
    .iter()
    .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label}: {v}")))
    .collect();
    if !described.is_empty() || !rating.is_empty() {
        crate::services::messages::append(
            &state,
            conversation_id,
            Author::System,
            format!("📱 App 反馈 / in-app feedback — {}{rating}", described.join(" · ")),
            true,
            None,
            "fb",
        )
        .await?;
    }
    prefill_sop(&state, conversation_id, device).await?;
    Ok((axum::http::StatusCode::CREATED, ApiJson(FeedbackReceipt { conversation_id, contact_id: ingested.contact_id, screenshots: images.len() })))
}

/// Puts the device facts into the conversation's SOP answers where a question asks for them
/// and the value is one of its options (or it has none).
async fn prefill_sop(state: &AppState, conversation_id: i64, device: &Device) -> AppResult<()> {
    let conversation = state.store.conversation(conversation_id).await?;
    let Some(sop) = crate::services::sops::definition(state, &conversation).await? else { return Ok(()) };
    let Some(running) = &conversation.sop else { return Ok(()) };
    let before = running.progress();
    let mut progress = before.clone();
    let facts =
        [("device", &device.kind), ("network", &device.network), ("browser", &device.browser), ("os", &device.os), ("app_version", &device.app_version)];
    let mut changed = false;
    for question in sop.questions() {
        let Some((_, Some(value))) = facts.iter().find(|(name, _)| *name == question.id) else { continue };
        let value = value.trim().to_lowercase();
        let fits = question.options.is_empty() || question.options.contains(&value);
        if fits && !progress.answers.contains_key(&question.id) {
            progress.answers.insert(question.id.clone(), value);
            changed = true;
        }
    }
    if changed {
        state.store.set_sop_progress(conversation_id, &sop, Some(&before), &progress, Actor::default(), false, crate::store::now_ms()).await?;
    }
    Ok(())
}
