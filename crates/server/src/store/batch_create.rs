//! The batch commit behind the conversation writer (`services::writer::ConversationWriter`):
//! new conversations with their first messages and events, many in one transaction, in a
//! handful of statements whatever the batch size (each takes the batch as a JSON array) — one durable commit (one fsync)
//! for the batch instead of one per conversation, as the message writer does for messages.
//!
//! A conversation opened before under the same (learner, client id) — resent after a lost
//! answer — is answered with what was stored then, not stored twice; twice in one batch, the
//! second copy is answered with the first.

use std::{collections::HashMap, sync::LazyLock};

use edudesk_core::EventKind;
use serde_json::json;

use super::{
    Backend, Store,
    batch::{NewMessage, insert_messages},
    conversations::{CONVERSATION_COLUMNS, Conversation, ConversationRow, NewConversation},
    error::{StoreError, StoreResult},
    events::{self, Actor},
    messages::{MESSAGE_COLUMNS, Message, MessageRow},
    to_utc,
};

/// What became of one conversation of a batch: created, opened before (replayed), or the
/// same as an earlier one of the batch.
pub type Created = (Conversation, Message, bool);

enum Pending {
    Insert,
    SameAs(usize),
}

impl Store {
    /// Creates `batch` in one transaction. The outer error aborts the whole batch (the
    /// caller may retry each alone with [`Store::create_conversation`]); an inner error
    /// refuses one conversation.
    pub async fn create_conversations(&self, batch: &[&NewConversation]) -> StoreResult<Vec<StoreResult<Created>>> {
        let mut first_of: HashMap<(i64, &str), usize> = HashMap::new();
        let pending: Vec<Pending> = batch
            .iter()
            .enumerate()
            .map(|(index, new)| match first_of.entry((new.contact_id, new.client_id.as_str())) {
                std::collections::hash_map::Entry::Occupied(first) => Pending::SameAs(*first.get()),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(index);
                    Pending::Insert
                }
            })
            .collect();
        let fresh: Vec<&NewConversation> = batch.iter().zip(&pending).filter(|(_, p)| matches!(p, Pending::Insert)).map(|(new, _)| *new).collect();

        let mut tx = self.write.begin().await?;
        let ids = if fresh.is_empty() { HashMap::new() } else { insert_conversations(&mut tx, &fresh).await? };
        // First messages and events of the conversations this batch created (a resent one
        // inserted nothing: its row was there).
        let created: Vec<(&NewConversation, i64)> =
            fresh.iter().filter_map(|new| ids.get(&(new.contact_id, new.client_id.clone())).map(|id| (*new, *id))).collect();
        let firsts: Vec<NewMessage> = created
            .iter()
            .map(|(new, id)| NewMessage {
                conversation_id: *id,
                author: new.author,
                on_behalf_of: None,
                body: new.body.clone(),
                internal: false,
                client_id: new.client_id.clone(),
                attachment_id: None,
            })
            .collect();
        let numbered: Vec<(&NewMessage, i64, i64)> = firsts.iter().zip(&created).map(|(message, (new, _))| (message, 1, new.at)).collect();
        let message_ids = if numbered.is_empty() { HashMap::new() } else { insert_messages(&mut tx, &numbered).await? };
        let mut log: Vec<(i64, EventKind, Actor, serde_json::Value, i64)> = Vec::with_capacity(created.len() * 2);
        for (new, id) in &created {
            let data = json!({"channel": new.channel, "tier": new.tier, "priority": new.priority, "category": new.category});
            log.push((*id, EventKind::Created, new.author.actor(), data, new.at));
            if let Some((sop_id, version, _)) = &new.sop {
                log.push((*id, EventKind::SopStarted, Actor::default(), json!({"sop_id": sop_id, "version": version}), new.at));
            }
        }
        events::append_many(&mut tx, &log).await?;
        tx.commit().await?;

        // Read back what was created (one statement), then answer each in the batch's order.
        let created_ids: Vec<i64> = created.iter().map(|(_, id)| *id).collect();
        let mut conversations = self.conversations_after_write(&created_ids).await?;
        let mut outcomes: Vec<StoreResult<Created>> = Vec::with_capacity(batch.len());
        for (new, state) in batch.iter().zip(&pending) {
            let outcome = match state {
                Pending::SameAs(first) => match &outcomes[*first] {
                    Ok((conversation, message, _)) => Ok((conversation.clone(), message.clone(), true)),
                    Err(error) => Err(StoreError::Conflict(format!("an identical conversation in the same batch was refused: {error}"))),
                },
                Pending::Insert => match ids.get(&(new.contact_id, new.client_id.clone())) {
                    Some(id) => match (conversations.remove(id), message_ids.get(&(*id, new.client_id.clone()))) {
                        (Some(conversation), Some(message_id)) => Ok((conversation, first_message(new, *id, *message_id), false)),
                        _ => Err(StoreError::Internal(anyhow::anyhow!("a created conversation was not read back"))),
                    },
                    // Opened before under this client id: what was stored then.
                    None => self.opened_before(new).await,
                },
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    /// The conversation opened before under `new`'s learner and client id, its first
    /// message, replayed.
    pub(super) async fn opened_before(&self, new: &NewConversation) -> StoreResult<Created> {
        let id: i64 = sqlx::query_scalar("SELECT id FROM conversations WHERE contact_id = $1 AND client_id = $2")
            .bind(new.contact_id)
            .bind(&new.client_id)
            .fetch_one(&self.write)
            .await?;
        let first = sqlx::query_as::<_, MessageRow>(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq = 1"))
            .bind(id)
            .fetch_one(&self.write)
            .await?;
        Ok((self.conversation_after_write(id).await?, Message::try_from(first)?, true))
    }

    /// Conversations just written, read from the writer's connection (on SQLite the readers
    /// may not see the newest commit yet), by id.
    async fn conversations_after_write(&self, ids: &[i64]) -> StoreResult<HashMap<i64, Conversation>> {
        let mut found = HashMap::with_capacity(ids.len());
        if ids.is_empty() {
            return Ok(found);
        }
        let sql = if self.backend == Backend::Sqlite { SQLITE_CONVERSATIONS.as_str() } else { POSTGRES_CONVERSATIONS.as_str() };
        for row in sqlx::query_as::<_, ConversationRow>(sql).bind(serde_json::Value::from(ids).to_string()).fetch_all(&self.write).await? {
            let conversation = Conversation::try_from(row)?;
            found.insert(conversation.id, conversation);
        }
        Ok(found)
    }
}

// Each statement takes the batch as a JSON array, one text whatever the batch size, so each
// is prepared once per connection (as the message batch does, see `batch`): PostgreSQL reads
// the rows with `jsonb_array_elements` and casts, SQLite with `json_each`. Positions in a row
// are fixed by the function that builds it.

/// Conversations by a JSON array of ids (SQLite).
static SQLITE_CONVERSATIONS: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id IN (SELECT value FROM json_each($1))"));

/// Conversations by a JSON array of ids (PostgreSQL): a lookup per id whatever the plan was
/// made from (see `batch` on generic plans).
static POSTGRES_CONVERSATIONS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT c.* FROM jsonb_array_elements_text($1::jsonb) AS wanted CROSS JOIN LATERAL (
            SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = wanted.value::bigint LIMIT 1) AS c"
    )
});

/// New conversations from a JSON array of [`conversation_rows`] (SQLite). (`WHERE true`: a
/// `SELECT` before `ON CONFLICT` needs a `WHERE` for SQLite's parser.)
const SQLITE_INSERT_CONVERSATIONS: &str =
    "INSERT INTO conversations (contact_id, channel, subject, status, priority, category, tier, last_seq, created_at, updated_at, client_id, queued_at,
        first_response_due_at, resolution_due_at, bot_active, sop_id, sop_version, sop_progress, course)
     SELECT value ->> 0, value ->> 1, value ->> 2, 'open', value ->> 3, value ->> 4, value ->> 5, 1, value ->> 6, value ->> 6, value ->> 7, value ->> 6,
        value ->> 8, value ->> 9, value ->> 10, value ->> 11, value ->> 12, value ->> 13, value ->> 14 FROM json_each($1) WHERE true
     ON CONFLICT (contact_id, client_id) DO NOTHING RETURNING id, contact_id, client_id";

/// New conversations from a JSON array of [`conversation_rows`] (PostgreSQL).
const POSTGRES_INSERT_CONVERSATIONS: &str =
    "INSERT INTO conversations (contact_id, channel, subject, status, priority, category, tier, last_seq, created_at, updated_at, client_id, queued_at,
        first_response_due_at, resolution_due_at, bot_active, sop_id, sop_version, sop_progress, course)
     SELECT (value ->> 0)::bigint, value ->> 1, value ->> 2, 'open', value ->> 3, value ->> 4, (value ->> 5)::bigint, 1, (value ->> 6)::bigint,
        (value ->> 6)::bigint, value ->> 7, (value ->> 6)::bigint, (value ->> 8)::bigint, (value ->> 9)::bigint, (value ->> 10)::bigint,
        value ->> 11, (value ->> 12)::bigint, value ->> 13, value ->> 14 FROM jsonb_array_elements($1::jsonb)
     ON CONFLICT (contact_id, client_id) DO NOTHING RETURNING id, contact_id, client_id";

/// New conversations as the JSON array of rows the inserts above read.
fn conversation_rows(batch: &[&NewConversation]) -> String {
    let rows: Vec<serde_json::Value> = batch
        .iter()
        .map(|new| {
            json!([
                new.contact_id,
                new.channel.as_str(),
                new.subject,
                new.priority.as_str(),
                new.category,
                new.tier.level(),
                new.at,
                new.client_id,
                new.due.map(|due| due.0),
                new.due.map(|due| due.1),
                i64::from(new.bot_active),
                new.sop.as_ref().map(|sop| sop.0.as_str()),
                new.sop.as_ref().map(|sop| sop.1),
                new.sop.as_ref().map(|sop| sop.2.as_str()),
                new.course
            ])
        })
        .collect();
    serde_json::Value::from(rows).to_string()
}

/// Inserts conversations; returns the ids of those it created by (learner, client id). A
/// row that exists (same learner and client id) is left alone and returns nothing.
async fn insert_conversations(tx: &mut sqlx::Transaction<'_, sqlx::Any>, batch: &[&NewConversation]) -> StoreResult<HashMap<(i64, String), i64>> {
    let sql = if tx.backend_name() == "SQLite" { SQLITE_INSERT_CONVERSATIONS } else { POSTGRES_INSERT_CONVERSATIONS };
    let rows = sqlx::query_as::<_, (i64, i64, String)>(sql).bind(conversation_rows(batch)).fetch_all(&mut **tx).await?;
    Ok(rows.into_iter().map(|(id, contact_id, client_id)| ((contact_id, client_id), id)).collect())
}

/// The first message as stored (seq 1, at the opening time).
fn first_message(new: &NewConversation, conversation_id: i64, id: i64) -> Message {
    let actor = new.author.actor();
    Message {
        id,
        conversation_id,
        seq: 1,
        author_kind: new.author.kind(),
        author_user_id: actor.user_id,
        author_contact_id: actor.contact_id,
        body: new.body.clone(),
        internal: false,
        client_id: new.client_id.clone(),
        created_at: to_utc(new.at),
        attachment_id: None,
        author_name: None,
    }
}
