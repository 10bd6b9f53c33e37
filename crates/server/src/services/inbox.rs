//! A message from another channel (WeChat, SMS, email, in-app feedback, a social platform):
//! contact resolution, exactly-once ingestion by the channel's message id, then the message
//! continues the learner's open conversation on that channel ([`messages::append`]) or opens
//! one ([`conversations::open`]) — the same use cases the widget's messages go through.

use edudesk_core::{Channel, IdentityKind, Priority};

use crate::{
    AppState,
    error::{AppError, AppResult},
    services::{
        conversations::{self, Opening},
        messages,
    },
    store::{
        error::StoreError,
        messages::{Author, Message},
    },
};

/// A message from outside, normalised by its channel's adapter.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub channel: Channel,
    /// The configured channel it came through (`wechat/demo`); replies go back through it.
    pub account: Option<String>,
    /// The channel's id for this message (WeChat MsgId, Message-ID...): a second delivery
    /// with the same id stores nothing.
    pub external_id: Option<String>,
    pub identity: (IdentityKind, String),
    pub display_name: Option<String>,
    pub text: String,
    /// A category the channel knows (a feedback form's); otherwise the words decide.
    pub category: Option<String>,
    /// Whether the bot may answer (chat-like channels) before a person.
    pub bot: bool,
    /// Attributes to remember on the contact (device, app version...).
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// How it joins a conversation: chat channels continue the learner's open one; email
    /// continues the one its headers point to, or opens a new ticket.
    pub thread: Thread,
    /// A subject for a new conversation (email).
    pub subject: Option<String>,
}

/// Which conversation an inbound message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thread {
    /// The learner's open conversation on this channel, or a new one.
    OpenOnChannel,
    /// This conversation if it is the learner's and still open, otherwise a new one.
    Hint(Option<i64>),
}

/// The outcome of ingesting one inbound message.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub conversation_id: i64,
    pub contact_id: i64,
    /// The stored message; `None` for a duplicate still being stored by another request.
    pub message: Option<Message>,
    /// The message had arrived before; nothing was stored now.
    pub duplicate: bool,
}

/// Stores an inbound message exactly once and lets it take the widget's path.
pub async fn ingest(state: &AppState, mut inbound: Inbound) -> AppResult<Ingested> {
    check_inbound(&mut inbound)?;
    let receipt_channel = inbound.account.clone().unwrap_or_else(|| inbound.channel.as_str().to_owned());
    if let Some(external_id) = &inbound.external_id
        && !state.store.claim_inbound(&receipt_channel, external_id).await?
    {
        let (kind, value) = &inbound.identity;
        let contact_id = state.store.upsert_contact_by_identity(*kind, value, None).await?;
        let conversation_id = state.store.open_conversation_on(contact_id, inbound.channel.as_str()).await?.unwrap_or_default();
        return Ok(Ingested { conversation_id, contact_id, message: None, duplicate: true });
    }
    match store_inbound(state, &inbound).await {
        Ok(ingested) => {
            if let (Some(external_id), Some(message)) = (&inbound.external_id, &ingested.message) {
                state.store.complete_inbound(&receipt_channel, external_id, message.id).await?;
            }
            Ok(ingested)
        }
        Err(error) => {
            // Not stored: forget the receipt so the channel's retry is not taken for a duplicate.
            if let Some(external_id) = &inbound.external_id
                && let Err(release) = state.store.release_inbound(&receipt_channel, external_id).await
            {
                tracing::error!(%release, "could not release an inbound receipt");
            }
            Err(error)
        }
    }
}

async fn store_inbound(state: &AppState, inbound: &Inbound) -> AppResult<Ingested> {
    let (kind, value) = &inbound.identity;
    let contact_id = state.store.upsert_contact_by_identity(*kind, value, inbound.display_name.as_deref()).await?;
    if let Some(attributes) = &inbound.attributes {
        state.store.merge_contact_attributes(contact_id, attributes).await?;
    }
    let body = edudesk_core::input::MessageBody::parse(&inbound.text)?;
    let existing = match inbound.thread {
        Thread::OpenOnChannel => state.store.open_conversation_on(contact_id, inbound.channel.as_str()).await?,
        Thread::Hint(Some(id)) => match state.store.conversation(id).await {
            Ok(conversation) if conversation.contact_id == contact_id && conversation.status != edudesk_core::Status::Closed => Some(id),
            Ok(_) | Err(StoreError::NotFound(_)) => None,
            Err(error) => return Err(error.into()),
        },
        Thread::Hint(None) => None,
    };
    if let Some(conversation_id) = existing {
        let appended = messages::append(state, conversation_id, Author::Contact(contact_id), body.as_str().to_owned(), false, None, "in").await?;
        messages::after_commit(state, &appended).await;
        return Ok(Ingested { conversation_id, contact_id, message: Some(appended.message), duplicate: false });
    }
    let opened = conversations::open(
        state,
        Opening {
            contact_id,
            channel: inbound.channel,
            account: inbound.account.clone(),
            subject: inbound.subject.clone(),
            category: inbound.category.clone(),
            tier: None,
            priority: Priority::Normal,
            author: Author::Contact(contact_id),
            body: body.as_str().to_owned(),
            client_id: format!("in-{}", crate::crypto::new_token()),
            bot: inbound.bot,
            deliver_first: false,
            course: None,
        },
    )
    .await?;
    let (conversation, message) = (opened.conversation, opened.message);
    Ok(Ingested { conversation_id: conversation.id, contact_id, message: Some(message), duplicate: false })
}

/// An id or name from outside (message id, user id, call id): 1–200 characters without
/// control characters, or a clear 422.
pub fn outside_id(field: &str, value: &str) -> AppResult<()> {
    if value.trim().is_empty() || value.chars().count() > 200 {
        return Err(AppError::Unprocessable(format!("{field}: 1–200 characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(AppError::Unprocessable(format!("{field}: must not contain control characters")));
    }
    Ok(())
}

/// The longest display name kept from a channel (WeChat nickname, email From name...).
const DISPLAY_NAME_MAX_CHARS: usize = 100;

/// A display name from outside, made safe to store and show: control characters dropped,
/// whitespace collapsed, at most [`DISPLAY_NAME_MAX_CHARS`] characters; nothing left: none.
/// (A name is a courtesy: a bad one is cleaned, not a reason to refuse the message.)
pub fn clean_display_name(name: &str) -> Option<String> {
    let cleaned: String = name.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned: String = cleaned.chars().take(DISPLAY_NAME_MAX_CHARS).collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Every adapter's message passes here first: ids bounded and free of control characters,
/// the display name cleaned.
fn check_inbound(inbound: &mut Inbound) -> AppResult<()> {
    outside_id("sender", &inbound.identity.1)?;
    if let Some(external_id) = &inbound.external_id {
        outside_id("message id", external_id)?;
    }
    inbound.display_name = inbound.display_name.as_deref().and_then(clean_display_name);
    Ok(())
}

/// `AppError` for a channel payload that is not what its protocol says.
pub fn malformed(what: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("malformed payload: {what}"))
}
