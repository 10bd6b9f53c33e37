//! Messages of a conversation: each has a sequence number (1, 2, 3...) within its
//! conversation and a client-generated id that makes sending idempotent. New messages
//! are appended through the batching `services::writer::MessageWriter`.

use edudesk_core::AuthorKind;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::{StoreError, StoreResult};
use super::{Store, events::Actor, to_utc};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Contact(i64),
    Agent(i64),
    Bot,
    System,
}

impl Author {
    pub fn kind(self) -> AuthorKind {
        match self {
            Author::Contact(_) => AuthorKind::Contact,
            Author::Agent(_) => AuthorKind::Agent,
            Author::Bot => AuthorKind::Bot,
            Author::System => AuthorKind::System,
        }
    }

    pub fn actor(self) -> Actor {
        match self {
            Author::Contact(id) => Actor { user_id: None, contact_id: Some(id) },
            Author::Agent(id) => Actor { user_id: Some(id), contact_id: None },
            Author::Bot | Author::System => Actor::default(),
        }
    }
}

/// A message as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    /// Position in the conversation, from 1, without gaps (a learner, who does not see
    /// internal notes, sees gaps where they are).
    pub seq: i64,
    pub author_kind: AuthorKind,
    pub author_user_id: Option<i64>,
    pub author_contact_id: Option<i64>,
    pub body: String,
    /// An internal note: agents only.
    pub internal: bool,
    pub client_id: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// A file sent with the message: `GET /api/v1/attachments/{id}`.
    pub attachment_id: Option<i64>,
    /// The agent's display name (agents' messages), so learners see who answered.
    #[serde(default)]
    pub author_name: Option<String>,
}

#[derive(FromRow)]
pub(super) struct MessageRow {
    id: i64,
    conversation_id: i64,
    seq: i64,
    author_kind: String,
    author_user_id: Option<i64>,
    author_contact_id: Option<i64>,
    body: String,
    internal: i64,
    client_id: String,
    created_at: i64,
    attachment_id: Option<i64>,
    author_name: Option<String>,
}

pub(super) const MESSAGE_COLUMNS: &str = "id, conversation_id, seq, author_kind, author_user_id, author_contact_id, body, internal, client_id, created_at, attachment_id, \
     (SELECT display_name FROM users WHERE users.id = messages.author_user_id) AS author_name";

impl MessageRow {
    /// The row as rusqlite reads it ([`MESSAGE_COLUMNS`], on SQLite's message writer).
    pub(super) fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRow> {
        Ok(MessageRow {
            id: row.get("id")?,
            conversation_id: row.get("conversation_id")?,
            seq: row.get("seq")?,
            author_kind: row.get("author_kind")?,
            author_user_id: row.get("author_user_id")?,
            author_contact_id: row.get("author_contact_id")?,
            body: row.get("body")?,
            internal: row.get("internal")?,
            client_id: row.get("client_id")?,
            created_at: row.get("created_at")?,
            attachment_id: row.get("attachment_id")?,
            author_name: row.get("author_name")?,
        })
    }
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;
    fn try_from(row: MessageRow) -> StoreResult<Message> {
        Ok(Message {
            author_kind: AuthorKind::parse(&row.author_kind)
                .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("message {} has an invalid author kind", row.id)))?,
            id: row.id,
            conversation_id: row.conversation_id,
            seq: row.seq,
            author_user_id: row.author_user_id,
            author_contact_id: row.author_contact_id,
            body: row.body,
            internal: row.internal != 0,
            client_id: row.client_id,
            created_at: to_utc(row.created_at),
            attachment_id: row.attachment_id,
            author_name: row.author_name,
        })
    }
}

impl Store {
    /// One message by id.
    pub async fn message(&self, id: i64) -> StoreResult<Message> {
        let row = sqlx::query_as::<_, MessageRow>(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.write)
            .await?
            .ok_or_else(|| StoreError::not_found("message"))?;
        Message::try_from(row)
    }

    /// Messages with `seq > after_seq`, in order, at most `limit`; internal notes only
    /// when `include_internal`.
    pub async fn messages(&self, conversation_id: i64, after_seq: i64, include_internal: bool, limit: i64) -> StoreResult<Vec<Message>> {
        let internal_filter = if include_internal { "" } else { " AND internal = 0" };
        let rows = sqlx::query_as::<_, MessageRow>(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2{internal_filter} ORDER BY seq LIMIT $3"
        ))
        .bind(conversation_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Message::try_from).collect()
    }
}
