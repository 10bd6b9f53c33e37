//! A generic social channel for any other platform (Douyin, Xiaohongshu, a partner app...):
//! the platform POSTs JSON to `/webhooks/social/{name}` signed with
//! `X-EduDesk-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, and replies are POSTed
//! to the channel's `outbound_url`, signed the same way.

use edudesk_core::{Channel, IdentityKind};
use serde::Deserialize;
use utoipa::ToSchema;

use super::ChannelConfig;
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::inbox::{Inbound, ingest, malformed, outside_id},
    store::channels::DeliveryRow,
};

/// The header carrying the signature, both ways.
pub const SIGNATURE_HEADER: &str = "x-edudesk-signature";

/// The sender on the platform.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SocialUser {
    pub id: String,
    pub name: Option<String>,
}

/// One inbound message.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SocialMessage {
    /// The platform's id of this message (a second delivery of it stores nothing).
    pub message_id: String,
    pub user: SocialUser,
    pub text: String,
}

/// Checks the signature over the raw body with the channel's `secret`; 401 if absent or wrong.
pub fn verify(channel: &ChannelConfig, presented: Option<&str>, body: &[u8]) -> AppResult<()> {
    super::verify_signed(channel, "secret", presented, body)
}

/// Handles one verified inbound message.
pub async fn receive(state: &AppState, channel: &ChannelConfig, body: &[u8]) -> AppResult<super::Receipt> {
    let message: SocialMessage = serde_json::from_slice(body).map_err(|error| malformed(format!("JSON: {error}")))?;
    outside_id("message_id", &message.message_id)?;
    outside_id("user.id", &message.user.id)?;
    let inbound = Inbound {
        channel: Channel::Social,
        account: Some(channel.account()),
        external_id: Some(message.message_id.clone()),
        identity: (IdentityKind::Social, format!("{}:{}", channel.name, message.user.id)),
        display_name: message.user.name.clone().filter(|name| !name.trim().is_empty()),
        text: message.text,
        category: None,
        bot: true,
        attributes: None,
        thread: crate::services::inbox::Thread::OpenOnChannel,
        subject: None,
    };
    Ok(ingest(state, inbound).await?.into())
}

/// POSTs a reply to the platform's `outbound_url`, signed.
pub async fn send(state: &AppState, channel: &ChannelConfig, delivery: &DeliveryRow, text: &str) -> AppResult<()> {
    let url = channel.setting("outbound_url").ok_or_else(|| AppError::Internal(anyhow::anyhow!("channel {} has no outbound_url", channel.account())))?;
    let body = serde_json::to_vec(&serde_json::json!({
        "message_id": delivery.message_id,
        "conversation_id": delivery.conversation_id,
        "user_id": delivery.recipient,
        "text": text,
    }))
    .map_err(|error| AppError::Internal(error.into()))?;
    let signature = format!("sha256={}", crate::crypto::hmac_hex(channel.secret("secret")?, &body));
    let response = state
        .outbound
        .http
        .post(url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .map_err(|error| AppError::Internal(anyhow::anyhow!("the platform did not answer: {error}")))?;
    if !response.status().is_success() {
        return Err(AppError::Internal(anyhow::anyhow!("the platform answered {}", response.status())));
    }
    Ok(())
}
