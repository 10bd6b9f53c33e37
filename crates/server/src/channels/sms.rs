//! SMS behind one provider trait. The generic HTTP template provider POSTs a JSON body
//! rendered from the channel's `body_template` (placeholders `{{to}}`, `{{text}}`,
//! `{{sender}}`, JSON-escaped) to `provider_url`, with `Authorization: Bearer <api_key>` when
//! one is set — enough for most SMS gateways' HTTP APIs. Learners' replies arrive at
//! `/webhooks/sms/{name}`, signed like the social webhook with the channel's `webhook_secret`.

use edudesk_core::{Channel, IdentityKind};
use serde::Deserialize;
use utoipa::ToSchema;

use super::ChannelConfig;
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::inbox::{Inbound, ingest, malformed},
};

/// The body sent when a channel sets no template.
pub const DEFAULT_TEMPLATE: &str = r#"{"to": "{{to}}", "text": "{{text}}", "sender": "{{sender}}"}"#;

/// An SMS gateway.
pub trait SmsProvider {
    /// Sends `text` to `to`.
    fn send(&self, to: &str, text: &str) -> impl Future<Output = AppResult<()>> + Send;
}

/// The generic HTTP template provider of one configured channel.
#[derive(Debug)]
pub struct HttpTemplateProvider<'a> {
    http: &'a reqwest::Client,
    channel: &'a ChannelConfig,
}

impl<'a> HttpTemplateProvider<'a> {
    pub fn new(state: &'a AppState, channel: &'a ChannelConfig) -> Self {
        HttpTemplateProvider { http: &state.outbound.http, channel }
    }
}

/// A JSON string's inside: the value escaped, without its quotes.
fn json_escaped(value: &str) -> String {
    let quoted = serde_json::Value::String(value.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// Renders the template; the result must be JSON (a broken template is a configuration error).
pub fn render(template: &str, to: &str, text: &str, sender: &str) -> AppResult<String> {
    // One pass, so a placeholder inside the learner's text stays text.
    let mut body = String::with_capacity(template.len() + text.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        body.push_str(&rest[..start]);
        let after = &rest[start..];
        let value = [("{{to}}", to), ("{{text}}", text), ("{{sender}}", sender)].into_iter().find(|(name, _)| after.starts_with(name));
        match value {
            Some((name, value)) => {
                body.push_str(&json_escaped(value));
                rest = &after[name.len()..];
            }
            None => {
                body.push_str("{{");
                rest = &after[2..];
            }
        }
    }
    body.push_str(rest);
    serde_json::from_str::<serde_json::Value>(&body)
        .map_err(|error| AppError::Internal(anyhow::anyhow!("the SMS body template does not render to JSON: {error}")))?;
    Ok(body)
}

impl SmsProvider for HttpTemplateProvider<'_> {
    async fn send(&self, to: &str, text: &str) -> AppResult<()> {
        let url = self
            .channel
            .setting("provider_url")
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("channel {} has no provider_url", self.channel.account())))?;
        let template = self.channel.setting("body_template").unwrap_or(DEFAULT_TEMPLATE);
        let body = render(template, to, text, self.channel.setting("sender").unwrap_or(""))?;
        let mut request = self.http.post(url).header("content-type", "application/json").body(body);
        if let Ok(key) = self.channel.secret("api_key") {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|error| AppError::Internal(anyhow::anyhow!("the SMS provider did not answer: {error}")))?;
        if !response.status().is_success() {
            return Err(AppError::Internal(anyhow::anyhow!("the SMS provider answered {}", response.status())));
        }
        Ok(())
    }
}

/// One inbound SMS.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InboundSms {
    /// The provider's id of this message (a second delivery of it stores nothing).
    pub message_id: String,
    /// The learner's number.
    pub from: String,
    pub text: String,
}

/// Checks the signature over the raw body with the channel's `webhook_secret`; 401 if absent or wrong.
pub fn verify(channel: &ChannelConfig, presented: Option<&str>, body: &[u8]) -> AppResult<()> {
    super::verify_signed(channel, "webhook_secret", presented, body)
}

/// Handles one verified inbound SMS.
pub async fn receive(state: &AppState, channel: &ChannelConfig, body: &[u8]) -> AppResult<super::Receipt> {
    let sms: InboundSms = serde_json::from_slice(body).map_err(|error| malformed(format!("JSON: {error}")))?;
    crate::services::inbox::outside_id("message_id", &sms.message_id)?;
    let from = super::cti::normalize_phone(&sms.from)?;
    let inbound = Inbound {
        channel: Channel::Sms,
        account: Some(channel.account()),
        external_id: Some(sms.message_id),
        identity: (IdentityKind::Phone, from),
        display_name: None,
        text: sms.text,
        category: None,
        bot: true,
        attributes: None,
        thread: crate::services::inbox::Thread::OpenOnChannel,
        subject: None,
    };
    Ok(ingest(state, inbound).await?.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn templates_escape_what_they_insert() {
        let body = render(DEFAULT_TEMPLATE, "+8613800000000", "说 \"你好\"\n{{to}}{{sender}}", "EduDesk").unwrap();
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["text"], "说 \"你好\"\n{{to}}{{sender}}");
        assert_eq!(value["to"], "+8613800000000");
        assert!(render("{\"to\": {{to}}}", "x", "y", "z").is_err(), "a template that is not JSON once rendered is refused");
    }
}
