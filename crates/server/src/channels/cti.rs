//! Phone hotline (CTI): the events API telephony systems (Asterisk, FreeSWITCH, a cloud call
//! centre) call at `/webhooks/cti/{name}` with the channel's token. `newCall` logs the call on
//! the caller's phone conversation (found or opened) and pops it up live in the consoles of
//! the line's tier with the caller and their recent conversations; `answer` gives the
//! conversation to the agent who picked up; `hangup` ends it, and a call nobody answered
//! becomes a callback task in the queue.

use edudesk_core::{Channel, IdentityKind, Priority};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ChannelConfig;
use crate::{
    AppState,
    error::{AppError, AppResult},
    realtime::{CallPopup, Event, RecentConversation},
    services::{
        conversations::{self, ChangedBy, Opening},
        inbox::malformed,
    },
    store::{
        channels::{Call, NewCall},
        conversations::{ConversationChanges, ConversationFilter},
        messages::Author,
    },
};

/// One event from the telephony system.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "event")]
pub enum CtiEvent {
    /// A call starts ringing.
    #[serde(rename = "newCall")]
    NewCall {
        call_id: String,
        /// The caller's number.
        caller: String,
        /// The hotline number that was called.
        called: String,
        #[serde(default = "inbound")]
        direction: String,
    },
    /// An agent picked up.
    #[serde(rename = "answer")]
    Answer {
        call_id: String,
        /// The agent's email (as in EduDesk).
        agent: String,
    },
    /// The call ended.
    #[serde(rename = "hangup")]
    Hangup {
        call_id: String,
        cause: Option<String>,
        /// Seconds of conversation.
        duration: Option<i64>,
        recording_url: Option<String>,
    },
}

fn inbound() -> String {
    "inbound".to_owned()
}

/// What the API answers: the call as it is now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CtiReceipt {
    pub call: Call,
    /// The event had been received before; nothing changed.
    pub duplicate: bool,
}

/// Checks the integration's token (`Authorization: Bearer` or `X-CTI-Token`); 401 otherwise.
pub fn verify(channel: &ChannelConfig, presented: Option<&str>) -> AppResult<()> {
    let token = channel.secret("token")?;
    match presented {
        Some(presented) if crate::crypto::constant_time_eq(token.as_bytes(), presented.as_bytes()) => Ok(()),
        Some(_) => Err(AppError::Unauthorized("the CTI token is wrong".to_owned())),
        None => Err(AppError::Unauthorized("missing the CTI token (Authorization: Bearer or X-CTI-Token)".to_owned())),
    }
}

/// Phone numbers as identities: digits and a leading +, nothing else.
pub fn normalize_phone(raw: &str) -> AppResult<String> {
    let trimmed = raw.trim();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 5 || digits.len() > 20 || trimmed.chars().any(|c| !(c.is_ascii_digit() || " +-()".contains(c))) {
        return Err(AppError::Unprocessable(format!("'{raw}' is not a phone number")));
    }
    Ok(if trimmed.starts_with('+') { format!("+{digits}") } else { digits })
}

/// Handles one verified event.
pub async fn receive(state: &AppState, channel: &ChannelConfig, body: &[u8]) -> AppResult<CtiReceipt> {
    let event: CtiEvent = serde_json::from_slice(body).map_err(|error| malformed(format!("JSON: {error}")))?;
    let account = channel.account();
    match event {
        CtiEvent::NewCall { call_id, caller, called, direction } => {
            crate::services::inbox::outside_id("call_id", &call_id)?;
            crate::services::inbox::outside_id("called", &called)?;
            if !matches!(direction.as_str(), "inbound" | "outbound") {
                return Err(AppError::Unprocessable("direction: inbound or outbound".to_owned()));
            }
            let caller = normalize_phone(&caller)?;
            new_call(state, channel, &account, &call_id, &caller, &called, &direction).await
        }
        CtiEvent::Answer { call_id, agent } => {
            let agent = state
                .store
                .user_by_email(&agent.trim().to_lowercase())
                .await
                .map_err(|_| AppError::Unprocessable(format!("agent: no staff member with the email {agent}")))?;
            let Some(call) = state.store.answer_call(&account, &call_id, agent.id).await? else {
                let call = state.store.call(&account, &call_id).await?;
                if call.state == "answered" && call.agent_id == Some(agent.id) {
                    return Ok(CtiReceipt { call, duplicate: true });
                }
                return Err(AppError::Conflict(format!("call {call_id} is {}; only a ringing call can be answered", call.state)));
            };
            // Whoever picked up has the caller now, whatever their presence or load.
            let changes = ConversationChanges { assignee_id: Some(Some(agent.id)), ..Default::default() };
            let actor = crate::store::events::Actor { user_id: Some(agent.id), contact_id: None };
            conversations::change(state, call.conversation_id, changes, ChangedBy::System(actor)).await?;
            log(state, call.conversation_id, format!("📞 {} 接听了来电 / answered", agent.display_name)).await?;
            pop_up(state, &call).await?;
            Ok(CtiReceipt { call, duplicate: false })
        }
        CtiEvent::Hangup { call_id, cause, duration, recording_url } => {
            if duration.is_some_and(|d| !(0..=86_400).contains(&d)) {
                return Err(AppError::Unprocessable("duration: 0–86400 seconds".to_owned()));
            }
            if let Some(url) = &recording_url
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                return Err(AppError::Unprocessable("recording_url: an http(s) URL".to_owned()));
            }
            let Some(call) = state.store.end_call(&account, &call_id, cause.as_deref(), duration, recording_url.as_deref()).await? else {
                let call = state.store.call(&account, &call_id).await?;
                return Ok(CtiReceipt { call, duplicate: true });
            };
            if call.state == "missed" {
                let now = state.clock.now_ms();
                let title = format!("回拨 / call back {}", call.caller);
                state.store.create_task(call.conversation_id, None, "callback", &title, now, now).await?;
                log(
                    state,
                    call.conversation_id,
                    format!("📞 未接来电，已创建回拨任务 / missed call, callback task created ({})", cause.as_deref().unwrap_or("no answer")),
                )
                .await?;
            } else {
                let recording = call.recording_url.as_deref().map(|url| format!(" · 录音 / recording: {url}")).unwrap_or_default();
                log(state, call.conversation_id, format!("📞 通话结束 / call ended · {} s{recording}", call.duration_seconds.unwrap_or(0))).await?;
            }
            pop_up(state, &call).await?;
            Ok(CtiReceipt { call, duplicate: false })
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn new_call(state: &AppState, channel: &ChannelConfig, account: &str, call_id: &str, caller: &str, line: &str, direction: &str) -> AppResult<CtiReceipt> {
    if let Ok(call) = state.store.call(account, call_id).await {
        return Ok(CtiReceipt { call, duplicate: true });
    }
    let contact_id = state.store.upsert_contact_by_identity(IdentityKind::Phone, caller, None).await?;
    let tier = channel
        .settings
        .get("lines")
        .and_then(|lines| lines.get(line))
        .and_then(serde_json::Value::as_i64)
        .and_then(edudesk_core::Tier::new)
        .unwrap_or(edudesk_core::Tier::ONE);
    let note = format!("📞 来电 / incoming call {caller} → {line}");
    let conversation_id = match state.store.open_conversation_on(contact_id, Channel::Phone.as_str()).await? {
        Some(id) => {
            log(state, id, note).await?;
            id
        }
        None => {
            let opening = Opening {
                contact_id,
                channel: Channel::Phone,
                account: Some(account.to_owned()),
                subject: Some(format!("{caller} → {line}")),
                category: None,
                tier: Some(tier),
                priority: Priority::Normal,
                author: Author::System,
                body: note,
                client_id: format!("call-{}", crate::crypto::new_token()),
                bot: false,
                deliver_first: false,
                course: None,
            };
            conversations::open(state, opening).await?.conversation.id
        }
    };
    let Some(call) = state.store.insert_call(&NewCall { channel: account, call_id, conversation_id, caller, line, direction }).await? else {
        // The same newCall raced in twice: the first one wins.
        return Ok(CtiReceipt { call: state.store.call(account, call_id).await?, duplicate: true });
    };
    pop_up(state, &call).await?;
    Ok(CtiReceipt { call, duplicate: false })
}

/// A system line in the conversation's history.
async fn log(state: &AppState, conversation_id: i64, body: String) -> AppResult<()> {
    crate::services::messages::append(state, conversation_id, Author::System, body, false, None, "call").await?;
    Ok(())
}

/// Pushes the call to the consoles of the staff who may see its conversation.
async fn pop_up(state: &AppState, call: &Call) -> AppResult<()> {
    let conversation = state.store.conversation(call.conversation_id).await?;
    let contact = state.store.contact(conversation.contact_id).await?;
    let filter = ConversationFilter { contact_id: Some(conversation.contact_id), limit: 5, ..Default::default() };
    let recent = state
        .store
        .conversations(&filter)
        .await?
        .into_iter()
        .map(|c| RecentConversation { id: c.id, channel: c.channel, status: c.status, subject: c.subject, updated_at: c.updated_at })
        .collect();
    let popup = CallPopup { call: call.clone(), contact_id: contact.id, contact_name: contact.display_name, recent };
    state.bus.publish(Event::Call { route: crate::realtime::Route::of(&conversation), call: Box::new(popup) }).await;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_normalised() {
        assert_eq!(normalize_phone(" +86 138-0013-8000 ").unwrap(), "+8613800138000");
        assert_eq!(normalize_phone("(010) 6212 3456").unwrap(), "01062123456");
        assert!(normalize_phone("12").is_err());
        assert!(normalize_phone("call me").is_err());
    }

    #[test]
    fn events_parse_by_their_name() {
        let event: CtiEvent = serde_json::from_str(r#"{"event": "newCall", "call_id": "c1", "caller": "+8613800000000", "called": "400"}"#).unwrap();
        assert!(matches!(event, CtiEvent::NewCall { ref direction, .. } if direction == "inbound"));
        assert!(serde_json::from_str::<CtiEvent>(r#"{"event": "transfer", "call_id": "c1"}"#).is_err());
    }
}
