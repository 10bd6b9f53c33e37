//! Messages as use cases: posting one for a person ([`post`], the REST API and the realtime
//! socket alike), appending one for the system ([`append`]: a channel's learner, the bot,
//! a call's log line), and what follows every committed message ([`after_commit`]).

use edudesk_core::{Access, AuthorKind, Principal, input::ClientId, input::MessageBody};

use crate::{
    AppState,
    crypto::new_token,
    error::{AppError, AppResult},
    services::{attachments, bot, conversations, delivery, writer::Appended},
    store::{batch::NewMessage, messages::Author},
};

/// A message someone posts in a conversation.
#[derive(Debug, Clone)]
pub struct Post {
    pub conversation_id: i64,
    pub body: String,
    /// Client-generated id: the same again returns the same message. A new one if absent.
    pub client_id: Option<String>,
    /// An internal note, for staff and collaborators only.
    pub internal: bool,
    /// An image the author uploaded to this conversation first; `body` may then be empty.
    pub attachment_id: Option<i64>,
}

/// When the work that follows a committed message runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Before `post` returns (REST: the answer shows the bot's reply is there).
    Inline,
    /// In the background, so the socket's acknowledgement is not held up by the bot.
    Background,
}

/// The text of a message; an image message may come without text (it reads "[image]").
pub fn message_body(raw: &str, attachment_id: Option<i64>) -> AppResult<MessageBody> {
    if attachment_id.is_some() && raw.trim().is_empty() {
        return Ok(MessageBody::parse("[image]")?);
    }
    Ok(MessageBody::parse(raw)?)
}

/// Posts a message for `principal`, answered after it is durably committed. Learners write
/// in their own conversations and never internal notes; staff within their access; a
/// collaborator pulled in from another team writes internal notes only. The writer checks
/// existence, access and status inside the write itself.
pub async fn post(state: &AppState, principal: Principal, post: Post, follow_up: FollowUp) -> AppResult<Appended> {
    let body = message_body(&post.body, post.attachment_id)?;
    let client_id = match post.client_id.as_deref() {
        Some(raw) => ClientId::parse(raw)?.as_str().to_owned(),
        None => format!("srv-{}", new_token()),
    };
    let conversation_id = post.conversation_id;
    let author = match principal {
        Principal::Staff(staff) => Author::Agent(staff.user_id),
        Principal::Learner { contact_id } if !post.internal => Author::Contact(contact_id),
        Principal::Learner { .. } => {
            // Another learner's conversation stays invisible: 404 before 403.
            conversations::access(state, principal, conversation_id).await?;
            return Err(AppError::Forbidden("learners cannot write internal notes".to_owned()));
        }
    };
    if let Some(attachment_id) = post.attachment_id {
        attachments::check_attachment(state, attachment_id, conversation_id, author).await?;
    }
    let new = NewMessage {
        conversation_id,
        author,
        on_behalf_of: Some(principal),
        body: body.as_str().to_owned(),
        internal: post.internal,
        client_id,
        attachment_id: post.attachment_id,
    };
    let appended = match state.writer.append(new.clone()).await {
        // Outside the agent's tier: a collaborator may still write internal notes (their
        // access comes from the collaboration, which the writer does not know).
        Err(AppError::Forbidden(reason)) => match conversations::access(state, principal, conversation_id).await? {
            (_, Access::Collaborator) if post.internal => state.writer.append(NewMessage { on_behalf_of: None, ..new }).await?,
            (_, Access::Collaborator) => return Err(AppError::Forbidden("collaborators write internal notes only".to_owned())),
            _ => return Err(AppError::Forbidden(reason)),
        },
        other => other?,
    };
    if !appended.replayed {
        match follow_up {
            FollowUp::Inline => after_commit(state, &appended).await,
            FollowUp::Background => {
                let (state, appended) = (state.clone(), appended.clone());
                tokio::spawn(async move { after_commit(&state, &appended).await });
            }
        }
    }
    Ok(appended)
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
) -> AppResult<Appended> {
    state
        .writer
        .append(NewMessage { conversation_id, author, on_behalf_of: None, body, internal, client_id: format!("{prefix}-{}", new_token()), attachment_id })
        .await
}

/// What follows a newly committed message, whichever way it came (REST, socket, channel):
/// the bot answers a learner in a conversation it handles; an agent's public reply takes the
/// conversation from the bot and goes out on the conversation's channel.
///
/// What the commit saw (the bot handling the conversation, a channel to send through) spares
/// a read each: a reply in a widget chat the bot has left costs nothing more here.
pub async fn after_commit(state: &AppState, appended: &Appended) {
    let message = &appended.message;
    let outcome = match message.author_kind {
        AuthorKind::Contact if state.config.bot_enabled && appended.bot_active => {
            bot::after_learner_message(state, message.conversation_id, &message.body).await;
            Ok(())
        }
        AuthorKind::Agent if !message.internal => {
            let stepped_in = if appended.bot_active { bot::agent_stepped_in(state, message.conversation_id).await } else { Ok(()) };
            match stepped_in {
                Ok(()) if appended.channel_account.is_some() => delivery::after_outbound(state, message).await,
                other => other,
            }
        }
        _ => Ok(()),
    };
    if let Err(error) = outcome {
        tracing::warn!(%error, conversation_id = message.conversation_id, "after-message work failed");
    }
}
