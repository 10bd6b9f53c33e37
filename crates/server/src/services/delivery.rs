//! Delivery of what agents, the bot and the system write to a learner on another channel
//! (WeChat, SMS, email, a social platform): each public message is queued as a delivery
//! with its recipient and a `deliver` job; the channel adapters do the sending when the job
//! runs (`channels::deliver`), with retries and backoff. The widget needs none of this: its
//! socket carries every message live.

use std::collections::HashMap;

use edudesk_core::{AuthorKind, Channel, IdentityKind};

use crate::{AppState, error::AppResult, store::messages::Message};

/// What sending needs at run time: one HTTP client, and WeChat access tokens per account.
#[derive(Debug)]
pub struct Outbound {
    pub http: reqwest::Client,
    pub wechat_tokens: tokio::sync::Mutex<HashMap<String, (String, i64)>>,
}

impl Outbound {
    pub fn new() -> anyhow::Result<Outbound> {
        Ok(Outbound { http: http_client()?, wechat_tokens: tokio::sync::Mutex::new(HashMap::new()) })
    }
}

/// Attempts before a delivery is given up as failed.
pub const MAX_DELIVERY_ATTEMPTS: i64 = 5;

/// Job kind of an outbound delivery.
pub const DELIVER: &str = "deliver";

/// How long a bot reply waits for a chance to go out as the WeChat webhook's passive reply
/// (WeChat lets a webhook answer within 5 s), so a reply that went out passively is not
/// sent twice.
pub const WECHAT_PASSIVE_WINDOW_MS: i64 = 4_500;

/// The identity a channel's replies go to.
fn recipient_kind(channel: Channel) -> Option<IdentityKind> {
    match channel {
        Channel::Wechat => Some(IdentityKind::WechatOpenid),
        Channel::Social => Some(IdentityKind::Social),
        Channel::Sms => Some(IdentityKind::Phone),
        Channel::Email => Some(IdentityKind::Email),
        _ => None,
    }
}

/// After an agent's or the bot's public message: queues its delivery through the channel
/// the conversation came from (nothing for the widget, which is live already).
pub async fn after_outbound(state: &AppState, message: &Message) -> AppResult<()> {
    if message.internal || !matches!(message.author_kind, AuthorKind::Agent | AuthorKind::Bot) {
        return Ok(());
    }
    send_to_learner(state, message).await
}

/// Queues a public message for the learner on the conversation's channel (nothing for the
/// widget, whose socket carries it): agents' and the bot's replies, and system messages
/// meant for the learner such as a follow-up's check-back.
pub async fn send_to_learner(state: &AppState, message: &Message) -> AppResult<()> {
    if message.internal {
        return Ok(());
    }
    let Some(account) = state.store.channel_account(message.conversation_id).await? else { return Ok(()) };
    let conversation = state.store.conversation(message.conversation_id).await?;
    let Some(kind) = recipient_kind(conversation.channel) else { return Ok(()) };
    let contact = state.store.contact(conversation.contact_id).await?;
    let Some(identity) = contact.identities.iter().find(|identity| identity.kind == kind.as_str()) else {
        tracing::warn!(conversation_id = conversation.id, "no {} identity to reply to", kind.as_str());
        return Ok(());
    };
    let recipient = match kind {
        // Social identities are "<channel>:<user id>"; the platform wants the user id.
        IdentityKind::Social => identity.value.split_once(':').map_or(identity.value.as_str(), |(_, user)| user).to_owned(),
        // The learner's mail asked for replies elsewhere (Reply-To).
        IdentityKind::Email => state.store.reply_to(conversation.id).await?.unwrap_or_else(|| identity.value.clone()),
        _ => identity.value.clone(),
    };
    let Some(delivery_id) = state.store.queue_delivery(message.id, conversation.id, &account, &recipient).await? else { return Ok(()) };
    // WeChat lets a webhook answer within 5 s (a passive reply); the job waits that long so a
    // reply that went out passively is not sent twice.
    let delay = if conversation.channel == Channel::Wechat && message.author_kind == AuthorKind::Bot { WECHAT_PASSIVE_WINDOW_MS } else { 0 };
    let now = state.clock.now_ms();
    state.store.enqueue_job(DELIVER, &serde_json::json!({"delivery_id": delivery_id}), now + delay, Some(&format!("deliver-{delivery_id}")), now).await?;
    Ok(())
}

/// Shared HTTP client for outbound calls (timeouts so a slow provider cannot hold a job).
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().timeout(std::time::Duration::from_secs(10)).connect_timeout(std::time::Duration::from_secs(5)).build()?)
}
