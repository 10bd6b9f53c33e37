//! The one path every learner message takes, whichever channel it came through: contact
//! resolution, finding the open conversation on that channel or opening one (with its SOP,
//! live events, then the bot or the queues), and exactly-once ingestion by external id.
//! The widget's REST and socket handlers and every channel adapter end up here.

use edudesk_core::{Channel, IdentityKind, Priority};

use crate::{
    AppState,
    error::{AppError, AppResult},
    realtime::{Event, Route},
    store::{
        conversations::{Conversation, NewConversation, due_ms},
        messages::{Author, Message},
        now_ms, to_utc,
        writer::NewMessage,
    },
};

/// What happens once a conversation is opened: its SOP is offered, it appears live, and then
/// the bot answers (if it is the bot's) or it goes into its tier's queue.
pub async fn opened(state: &AppState, conversation: Conversation, message: &Message) -> AppResult<Conversation> {
    let conversation = crate::sops::start_for_category(state, conversation).await?;
    let route = Route::of(&conversation);
    state.bus.publish(Event::conversation(&conversation)).await;
    state.bus.publish(Event::Message { route, message: message.clone() }).await;
    if conversation.bot_active {
        // The bot answers before anyone queues it; its reply arrives as a message.
        crate::bot::after_learner_message(state, conversation.id, &message.body).await;
        state.store.conversation(conversation.id).await
    } else {
        crate::routing::assign_new(state, conversation).await
    }
}

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
            Ok(_) | Err(AppError::NotFound(_)) => None,
            Err(error) => return Err(error),
        },
        Thread::Hint(None) => None,
    };
    if let Some(conversation_id) = existing {
        let appended = append(state, conversation_id, Author::Contact(contact_id), body.as_str().to_owned(), false, None, "in").await?;
        crate::bot::after_message(state, &appended.message).await;
        return Ok(Ingested { conversation_id, contact_id, message: Some(appended.message), duplicate: false });
    }
    let category = match &inbound.category {
        Some(category) => Some(category.clone()),
        None => state.categories.classify(body.as_str()).map(str::to_owned),
    };
    let tier = state.categories.tier_of(category.as_deref());
    let at = now_ms();
    let due = state.sla.due_times(to_utc(at), tier, Priority::Normal, 0);
    let new = NewConversation {
        at,
        due: Some(due_ms(due)),
        contact_id,
        channel: inbound.channel,
        subject: inbound.subject.clone(),
        category,
        priority: Priority::Normal,
        tier,
        author: Author::Contact(contact_id),
        body: body.as_str().to_owned(),
        client_id: format!("in-{}", crate::auth::new_token()),
        bot_active: inbound.bot && state.config.bot_enabled,
    };
    let (conversation, message, _) = state.store.create_conversation(&new).await?;
    if let Some(account) = &inbound.account {
        state.store.set_channel_account(conversation.id, account).await?;
    }
    let conversation = opened(state, conversation, &message).await?;
    Ok(Ingested { conversation_id: conversation.id, contact_id, message: Some(message), duplicate: false })
}

/// Appends a message written by the system on someone's behalf (a channel's learner, the bot,
/// a system line), with a fresh client id; `prefix` names where it came from in that id.
pub async fn append(
    state: &AppState,
    conversation_id: i64,
    author: Author,
    body: String,
    internal: bool,
    attachment_id: Option<i64>,
    prefix: &str,
) -> AppResult<crate::store::writer::Appended> {
    state
        .writer
        .append(NewMessage {
            conversation_id,
            author,
            on_behalf_of: None,
            body,
            internal,
            client_id: format!("{prefix}-{}", crate::auth::new_token()),
            attachment_id,
        })
        .await
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
