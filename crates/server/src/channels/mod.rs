//! Channels besides the widget: their configuration (kind-specific settings and write-only
//! secrets), and the way replies go back out. Each adapter turns what arrives into an
//! [`crate::services::inbox::Inbound`] (same path as a widget message); what agents and the
//! bot write goes out through [`deliver`], the job `services::delivery` queues, with its
//! delivery state (queued, sent, failed with the reason) and retries with backoff.
//!
//! Adapters: [`wechat`] (official account message interface), [`social`] (a generic JSON
//! webhook with HMAC signatures, both ways), [`sms`] (an HTTP template provider), [`cti`]
//! (telephony events), [`email`] (IMAP in, SMTP out).

pub mod cti;
pub mod email;
pub mod sms;
pub mod social;
pub mod wechat;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    AppState,
    crypto::{constant_time_eq, hmac_hex},
    error::{AppError, AppResult},
    services::delivery::MAX_DELIVERY_ATTEMPTS,
    store::{channels::ChannelRow, error::StoreError},
};

/// The kinds of configured channels.
pub const KINDS: &[&str] = &["wechat", "social", "sms", "cti", "email"];

/// A channel as the API shows it: settings, and which secrets are set (never their values).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChannelView {
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// Names of the secrets that are set.
    pub secrets_set: Vec<String>,
    /// Where the platform sends this channel's traffic.
    pub webhook_path: String,
}

impl ChannelView {
    pub fn of(row: &ChannelRow) -> ChannelView {
        let secrets: BTreeMap<String, String> = serde_json::from_str(&row.secrets).unwrap_or_default();
        ChannelView {
            kind: row.kind.clone(),
            name: row.name.clone(),
            enabled: row.enabled != 0,
            settings: serde_json::from_str(&row.settings).unwrap_or_default(),
            secrets_set: secrets.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, _)| k).collect(),
            webhook_path: format!("/webhooks/{}/{}", row.kind, row.name),
        }
    }
}

/// A channel's configuration, parsed for an adapter.
#[derive(Clone)]
pub struct ChannelConfig {
    pub kind: String,
    pub name: String,
    pub enabled: bool,
    pub settings: serde_json::Value,
    secrets: HashMap<String, String>,
}

impl std::fmt::Debug for ChannelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelConfig").field("kind", &self.kind).field("name", &self.name).field("secrets", &"[redacted]").finish()
    }
}

impl ChannelConfig {
    pub fn of(row: ChannelRow) -> ChannelConfig {
        ChannelConfig {
            kind: row.kind,
            name: row.name,
            enabled: row.enabled != 0,
            settings: serde_json::from_str(&row.settings).unwrap_or_default(),
            secrets: serde_json::from_str(&row.secrets).unwrap_or_default(),
        }
    }

    /// `kind/name`, as conversations remember it.
    pub fn account(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// A secret; a channel without it cannot verify or send, which is a configuration error.
    pub fn secret(&self, name: &str) -> AppResult<&str> {
        self.secrets.get(name).map(String::as_str).filter(|value| !value.is_empty()).ok_or_else(|| {
            // An operator's omission, not a crash: one clear line in the log, and the
            // caller (a webhook, a delivery) is told the channel is not ready.
            tracing::warn!(channel = %self.account(), secret = name, "channel secret missing");
            AppError::Unavailable(format!("channel {} is not configured: its {name} is missing", self.account()))
        })
    }

    /// A text setting, if set.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings.get(name).and_then(|value| value.as_str()).filter(|value| !value.is_empty())
    }
}

/// Loads an enabled channel for a webhook: unknown or disabled channels are 404.
pub async fn enabled(state: &AppState, kind: &str, name: &str) -> AppResult<ChannelConfig> {
    let config = ChannelConfig::of(state.store.channel(kind, name).await?);
    if !config.enabled {
        return Err(AppError::not_found("channel"));
    }
    Ok(config)
}

/// A channel's configuration from an admin: settings, and secrets to set (an omitted or null
/// secret keeps its value; an empty string clears it).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChannelInput {
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    #[schema(value_type = Object)]
    #[serde(default)]
    pub settings: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub secrets: BTreeMap<String, Option<String>>,
}

fn enabled_by_default() -> bool {
    true
}

/// The secrets and settings each kind knows; others are refused so typos do not pass.
fn known_fields(kind: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        "wechat" => (&["app_id", "api_base", "welcome"], &["token", "app_secret"]),
        "social" => (&["outbound_url", "platform"], &["secret"]),
        "sms" => (&["provider_url", "body_template", "sender"], &["webhook_secret", "api_key"]),
        "cti" => (&["lines"], &["token"]),
        _ => (&["imap_host", "imap_port", "smtp_host", "smtp_port", "address", "username", "smtp_username", "poll_seconds"], &["password"]),
    }
}

/// Saves a channel's configuration (admins).
pub async fn save(state: &AppState, kind: &str, name: &str, input: ChannelInput) -> AppResult<ChannelView> {
    if !KINDS.contains(&kind) {
        return Err(AppError::not_found("channel kind"));
    }
    if name.is_empty() || name.len() > 40 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(AppError::Unprocessable("name: 1–40 letters, digits, '-' or '_'".to_owned()));
    }
    let (settings_known, secrets_known) = known_fields(kind);
    if let Some(unknown) = input.settings.keys().find(|key| !settings_known.contains(&key.as_str())) {
        return Err(AppError::Unprocessable(format!("settings.{unknown}: not a {kind} setting (known: {})", settings_known.join(", "))));
    }
    if let Some(unknown) = input.secrets.keys().find(|key| !secrets_known.contains(&key.as_str())) {
        return Err(AppError::Unprocessable(format!("secrets.{unknown}: not a {kind} secret (known: {})", secrets_known.join(", "))));
    }
    let mut secrets: BTreeMap<String, String> = match state.store.channel(kind, name).await {
        Ok(existing) => serde_json::from_str(&existing.secrets).unwrap_or_default(),
        Err(StoreError::NotFound(_)) => BTreeMap::new(),
        Err(error) => return Err(error.into()),
    };
    for (key, value) in input.secrets {
        if let Some(value) = value {
            secrets.insert(key, value);
        }
    }
    let settings = serde_json::Value::Object(input.settings).to_string();
    let secrets = serde_json::to_string(&secrets).map_err(|error| AppError::Internal(error.into()))?;
    state.store.save_channel(kind, name, &settings, &secrets, input.enabled).await?;
    Ok(ChannelView::of(&state.store.channel(kind, name).await?))
}

/// The `deliver` job: one attempt to send a queued delivery. A failure is retried with
/// backoff (the job queue's) until [`MAX_DELIVERY_ATTEMPTS`], then recorded as failed with
/// its reason.
pub async fn deliver(state: &AppState, payload: &str) -> AppResult<()> {
    #[derive(Deserialize)]
    struct Payload {
        delivery_id: i64,
    }
    let payload: Payload = serde_json::from_str(payload).map_err(|error| AppError::Internal(error.into()))?;
    let delivery = match state.store.delivery(payload.delivery_id).await {
        Ok(delivery) => delivery,
        Err(StoreError::NotFound(_)) => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    if delivery.state != "queued" {
        return Ok(());
    }
    // A survey invitation gets its real link here, on its way to the learner only.
    let message = crate::services::surveys::for_learner(state, state.store.message(delivery.message_id).await?).await?;
    let (kind, name) = delivery.channel.split_once('/').unwrap_or((delivery.channel.as_str(), ""));
    let outcome = match state.store.channel(kind, name).await.map(ChannelConfig::of) {
        Ok(channel) => match kind {
            "wechat" => wechat::send(state, &channel, &delivery.recipient, &message.body).await,
            "social" => social::send(state, &channel, &delivery, &message.body).await,
            "email" => email::send(state, &channel, &delivery, &message).await,
            "sms" => {
                use sms::SmsProvider;
                sms::HttpTemplateProvider::new(state, &channel).send(&delivery.recipient, &message.body).await
            }
            other => Err(AppError::Internal(anyhow::anyhow!("channel kind {other} cannot send yet"))),
        },
        Err(error) => Err(error.into()),
    };
    match outcome {
        Ok(()) => {
            state.store.record_delivery(delivery.id, "sent", None, true).await?;
            Ok(())
        }
        Err(error) => {
            let reason = error.to_string();
            if delivery.attempts + 1 >= MAX_DELIVERY_ATTEMPTS {
                tracing::warn!(delivery = delivery.id, %reason, "delivery failed for good");
                state.store.record_delivery(delivery.id, "failed", Some(&reason), true).await?;
                Ok(())
            } else {
                state.store.record_delivery(delivery.id, "queued", Some(&reason), true).await?;
                Err(error)
            }
        }
    }
}

/// What a signed webhook answers for one inbound message.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub conversation_id: i64,
    pub message_id: Option<i64>,
    /// It had arrived before; nothing was stored now.
    pub duplicate: bool,
}

impl From<crate::services::inbox::Ingested> for Receipt {
    fn from(ingested: crate::services::inbox::Ingested) -> Receipt {
        Receipt { conversation_id: ingested.conversation_id, message_id: ingested.message.map(|m| m.id), duplicate: ingested.duplicate }
    }
}

/// Checks `X-EduDesk-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` with the channel's
/// secret `secret_name`; 401 if absent or wrong (the social and SMS webhooks).
pub fn verify_signed(channel: &ChannelConfig, secret_name: &str, presented: Option<&str>, body: &[u8]) -> AppResult<()> {
    let secret = channel.secret(secret_name)?;
    let presented = presented
        .and_then(|value| value.trim().strip_prefix("sha256="))
        .ok_or_else(|| AppError::Unauthorized("missing X-EduDesk-Signature: sha256=<hex HMAC-SHA256 of the body>".to_owned()))?;
    if !constant_time_eq(hmac_hex(secret, body).as_bytes(), presented.to_ascii_lowercase().as_bytes()) {
        return Err(AppError::Unauthorized("the signature does not match the body".to_owned()));
    }
    Ok(())
}
