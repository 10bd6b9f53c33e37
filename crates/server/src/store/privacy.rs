//! A learner's rights over their data: everything stored about one learner as one document
//! (export), and erasure of what identifies them. Erasure keeps the contact row and its
//! conversations with their times, channels, tiers and statuses — KPIs and SLA history stay
//! true — and removes names, identities, attributes, sessions, every message body and file
//! of their conversations, the event payloads (handover summaries carry transcripts), the
//! recipients of deliveries (a reply still queued for them is not sent), callers' numbers,
//! what the bot learned from their words, their survey comments (ratings stay,
//! unattributable), and staff's free text about their conversations (review comments,
//! follow-up titles).

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::StoreResult;
use super::{Store, contacts::Contact, now_ms, to_utc};

/// What replaces an erased text.
pub const ERASED: &str = "[erased]";

/// Everything stored about one learner.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LearnerExport {
    pub contact: Contact,
    /// When the learner's data was erased, if it was.
    pub erased_at: Option<chrono::DateTime<chrono::Utc>>,
    pub conversations: Vec<ExportedConversation>,
    /// The learner's survey answers.
    pub surveys: Vec<super::surveys::Survey>,
    pub exported_at: chrono::DateTime<chrono::Utc>,
}

/// One of the learner's conversations with what the learner saw of it (no internal notes).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportedConversation {
    pub id: i64,
    pub channel: String,
    pub subject: Option<String>,
    pub status: String,
    pub category: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub messages: Vec<ExportedMessage>,
    /// Voice and video calls in it (times, media, outcome).
    pub calls: Vec<super::media_calls::MediaCall>,
    /// Its whiteboard as it stands (both sides drew on it).
    pub board: Vec<super::boards::BoardElement>,
}

/// One message as the learner saw it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportedMessage {
    pub seq: i64,
    /// `contact` (the learner), `agent`, `bot` or `system`.
    pub author_kind: String,
    pub body: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// A file sent with it: `GET /api/v1/attachments/{id}`.
    pub attachment_id: Option<i64>,
    pub attachment_name: Option<String>,
}

/// What an erasure changed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErasureReport {
    pub contact_id: i64,
    pub conversations: u64,
    pub messages: u64,
    pub files: u64,
    pub identities: u64,
}

#[derive(FromRow)]
struct ConversationRow {
    id: i64,
    channel: String,
    subject: Option<String>,
    status: String,
    category: Option<String>,
    created_at: i64,
    resolved_at: Option<i64>,
}

#[derive(FromRow)]
struct MessageRow {
    conversation_id: i64,
    seq: i64,
    author_kind: String,
    body: String,
    created_at: i64,
    attachment_id: Option<i64>,
    attachment_name: Option<String>,
}

/// The learner's conversations, as a subquery.
const THEIR_CONVERSATIONS: &str = "SELECT id FROM conversations WHERE contact_id = $1";

impl Store {
    /// Everything stored about contact `id` that the learner may see.
    pub async fn export_contact(&self, id: i64) -> StoreResult<LearnerExport> {
        let contact = self.contact(id).await?;
        let erased_at: Option<i64> = sqlx::query_scalar("SELECT erased_at FROM contacts WHERE id = $1").bind(id).fetch_one(&self.read).await?;
        let conversations: Vec<ConversationRow> =
            sqlx::query_as("SELECT id, channel, subject, status, category, created_at, resolved_at FROM conversations WHERE contact_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.read)
                .await?;
        let messages: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT m.conversation_id, m.seq, m.author_kind, m.body, m.created_at, m.attachment_id, a.filename AS attachment_name
             FROM messages m LEFT JOIN attachments a ON a.id = m.attachment_id
             WHERE m.conversation_id IN ({THEIR_CONVERSATIONS}) AND m.internal = 0 ORDER BY m.conversation_id, m.seq"
        ))
        .bind(id)
        .fetch_all(&self.read)
        .await?;
        let mut exported: Vec<ExportedConversation> = conversations
            .into_iter()
            .map(|c| ExportedConversation {
                id: c.id,
                channel: c.channel,
                subject: c.subject,
                status: c.status,
                category: c.category,
                created_at: to_utc(c.created_at),
                resolved_at: c.resolved_at.map(to_utc),
                messages: Vec::new(),
                calls: Vec::new(),
                board: Vec::new(),
            })
            .collect();
        for conversation in &mut exported {
            conversation.calls = self.media_calls_of(conversation.id).await?;
            conversation.board = self.board(conversation.id).await?.elements;
        }
        for message in messages {
            if let Some(conversation) = exported.iter_mut().find(|c| c.id == message.conversation_id) {
                conversation.messages.push(ExportedMessage {
                    seq: message.seq,
                    author_kind: message.author_kind,
                    body: message.body,
                    created_at: to_utc(message.created_at),
                    attachment_id: message.attachment_id,
                    attachment_name: message.attachment_name,
                });
            }
        }
        let surveys = self.surveys_of_contact(id).await?;
        Ok(LearnerExport { contact, erased_at: erased_at.map(to_utc), conversations: exported, surveys, exported_at: to_utc(now_ms()) })
    }

    /// Erases what identifies contact `id` (and contacts merged into it), in one transaction.
    pub async fn erase_contact(&self, id: i64) -> StoreResult<ErasureReport> {
        self.contact(id).await?;
        let mut tx = self.write.begin().await?;
        let conversations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM conversations WHERE contact_id = $1").bind(id).fetch_one(&mut *tx).await?;
        let erase_bodies = format!("UPDATE messages SET body = '{ERASED}', attachment_id = NULL WHERE conversation_id IN ({THEIR_CONVERSATIONS})");
        let messages = sqlx::query(&erase_bodies).bind(id).execute(&mut *tx).await?.rows_affected();
        let delete_files = format!("DELETE FROM attachments WHERE conversation_id IN ({THEIR_CONVERSATIONS})");
        let files = sqlx::query(&delete_files).bind(id).execute(&mut *tx).await?.rows_affected();
        for statement in [
            format!("UPDATE conversation_events SET data = '{{\"erased\":true}}' WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            // A reply still queued for them is not sent to an erased address: it fails here,
            // and the delivery job skips what is no longer queued.
            format!(
                "UPDATE deliveries SET recipient = '{ERASED}',
                 last_error = CASE WHEN state = 'queued' THEN 'the learner was erased before it was sent' ELSE NULL END,
                 state = CASE WHEN state = 'queued' THEN 'failed' ELSE state END
                 WHERE conversation_id IN ({THEIR_CONVERSATIONS})"
            ),
            format!("UPDATE calls SET caller = '{ERASED}' WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            format!("DELETE FROM kb_learned_questions WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            format!("DELETE FROM kb_unanswered WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            format!("UPDATE surveys SET comment = NULL WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            // Staff's free text about their conversations (a reviewer quoting the learner, a
            // follow-up titled with their name); the marks and due times stay for the KPIs.
            format!("UPDATE qa_reviews SET comment = NULL WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            format!("UPDATE tasks SET title = '{ERASED}' WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            format!("UPDATE feedback_items SET text = '{ERASED}' WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            format!("DELETE FROM jobs WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            // What either side wrote or drew on the whiteboard (a phone number, an order
            // number), and the labels staff put on the learner's conversations.
            format!("DELETE FROM board_elements WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            format!("DELETE FROM conversation_tags WHERE conversation_id IN ({THEIR_CONVERSATIONS})"),
            "UPDATE conversations SET subject = NULL, reply_to = NULL, bot_state = NULL, sop_progress = NULL WHERE contact_id = $1".to_owned(),
            "DELETE FROM sessions WHERE contact_id = $1 OR contact_id IN (SELECT id FROM contacts WHERE merged_into = $1)".to_owned(),
        ] {
            sqlx::query(&statement).bind(id).execute(&mut *tx).await?;
        }
        let identities = sqlx::query("DELETE FROM contact_identities WHERE contact_id = $1 OR contact_id IN (SELECT id FROM contacts WHERE merged_into = $1)")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("UPDATE contacts SET display_name = NULL, attributes = '{}', erased_at = $2, updated_at = $2 WHERE id = $1 OR merged_into = $1")
            .bind(id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ErasureReport { contact_id: id, conversations: u64::try_from(conversations).unwrap_or(0), messages, files, identities })
    }
}
