//! The message writer: appends messages in batches, one transaction per batch.
//!
//! Request handlers hand a [`NewMessage`] to a writer task and wait for its answer. The
//! task takes every message that queued up while the previous batch was committing and
//! commits them together, so the cost of a durable commit (an fsync on SQLite) is paid
//! once per batch rather than once per message. A handler is answered only after the
//! commit: an acknowledged message survives a crash.
//!
//! Messages of one conversation always go to the same task (sharded by conversation id),
//! so their order is the order they were received. SQLite gets one task (it has one
//! writer anyway); PostgreSQL several, so batches of different conversations overlap.
//!
//! One message's failure never fails its neighbours: logical refusals (unknown or
//! closed conversation) write nothing, and if the batch transaction itself fails, each
//! message is retried alone.

use std::sync::Arc;

use edudesk_core::{EventKind, Status, lifecycle};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::{
    Store,
    events::{self},
    messages::{Author, MESSAGE_COLUMNS, Message, MessageRow, insert_message},
    now_ms,
};
use crate::error::{AppError, AppResult};

/// A message to append.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub conversation_id: i64,
    pub author: Author,
    pub body: String,
    pub internal: bool,
    pub client_id: String,
}

/// The stored message, and whether it was already there (same `client_id` sent before).
#[derive(Debug, Clone)]
pub struct Appended {
    pub message: Message,
    pub replayed: bool,
}

struct Job {
    message: NewMessage,
    reply: oneshot::Sender<AppResult<Appended>>,
}

/// Handle to the writer tasks; cheap to clone.
#[derive(Clone)]
pub struct MessageWriter {
    shards: Arc<[mpsc::Sender<Job>]>,
}

impl std::fmt::Debug for MessageWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageWriter").field("shards", &self.shards.len()).finish()
    }
}

/// Most messages waiting for a writer task before senders wait for room.
const QUEUE_CAPACITY: usize = 4096;

impl MessageWriter {
    /// Starts `shards` writer tasks on `store`, each committing up to `batch_max`
    /// messages per transaction. The tasks end when every handle is dropped.
    pub fn start(store: Store, shards: usize, batch_max: usize) -> MessageWriter {
        let senders: Vec<_> = (0..shards.max(1))
            .map(|_| {
                let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
                tokio::spawn(run(store.clone(), receiver, batch_max.max(1)));
                sender
            })
            .collect();
        MessageWriter { shards: senders.into() }
    }

    /// Appends a message and returns it once it is committed.
    pub async fn append(&self, message: NewMessage) -> AppResult<Appended> {
        let shard = message.conversation_id.rem_euclid(self.shards.len() as i64) as usize;
        let (reply, answer) = oneshot::channel();
        let unavailable = || AppError::Unavailable("the message writer has stopped".to_owned());
        self.shards[shard].send(Job { message, reply }).await.map_err(|_| unavailable())?;
        answer.await.map_err(|_| unavailable())?
    }
}

async fn run(store: Store, mut receiver: mpsc::Receiver<Job>, batch_max: usize) {
    let mut batch = Vec::with_capacity(batch_max);
    while receiver.recv_many(&mut batch, batch_max).await > 0 {
        let jobs = std::mem::take(&mut batch);
        let messages: Vec<&NewMessage> = jobs.iter().map(|job| &job.message).collect();
        match commit(&store, &messages).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome);
                }
            }
            Err(error) if jobs.len() == 1 => {
                if let Some(job) = jobs.into_iter().next() {
                    let _ = job.reply.send(Err(error));
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, size = jobs.len(), "batch failed; committing its messages one by one");
                for job in jobs {
                    let outcome = commit(&store, &[&job.message])
                        .await
                        .and_then(|mut outcomes| outcomes.pop().unwrap_or_else(|| Err(AppError::Internal(anyhow::anyhow!("empty commit outcome")))));
                    let _ = job.reply.send(outcome);
                }
            }
        }
        batch = Vec::with_capacity(batch_max);
    }
}

/// Appends `messages` in one transaction. The outer error aborts the whole batch; an
/// inner error refuses one message and writes nothing for it.
async fn commit(store: &Store, messages: &[&NewMessage]) -> AppResult<Vec<AppResult<Appended>>> {
    let now = now_ms();
    let mut tx = store.write.begin().await?;
    let mut outcomes = Vec::with_capacity(messages.len());
    for message in messages {
        outcomes.push(append_one(&mut tx, message, now).await?);
    }
    tx.commit().await?;
    Ok(outcomes)
}

async fn append_one(tx: &mut sqlx::Transaction<'_, sqlx::Any>, new: &NewMessage, now: i64) -> AppResult<AppResult<Appended>> {
    let existing = sqlx::query_as::<_, MessageRow>(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND client_id = $2"))
        .bind(new.conversation_id)
        .bind(&new.client_id)
        .fetch_optional(&mut **tx)
        .await?;
    if let Some(row) = existing {
        return Ok(Message::try_from(row).map(|message| Appended { message, replayed: true }));
    }

    // The first public reply of a human agent is the conversation's first response.
    let agent_reply = matches!(new.author, Author::Agent(_)) && !new.internal;
    let allocated: Option<(i64, String)> = sqlx::query_as(
        "UPDATE conversations SET last_seq = last_seq + 1, updated_at = $2,
            first_response_at = CASE WHEN $3 AND first_response_at IS NULL THEN $2 ELSE first_response_at END
         WHERE id = $1 AND status <> 'closed' RETURNING last_seq, status",
    )
    .bind(new.conversation_id)
    .bind(now)
    .bind(agent_reply)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((seq, status)) = allocated else {
        let exists: Option<String> =
            sqlx::query_scalar("SELECT status FROM conversations WHERE id = $1").bind(new.conversation_id).fetch_optional(&mut **tx).await?;
        return Ok(Err(match exists {
            Some(_) => AppError::Conflict("the conversation is closed; start a new one".to_owned()),
            None => AppError::not_found("conversation"),
        }));
    };

    if let (Author::Contact(_), Some(current)) = (new.author, Status::parse(&status))
        && let Some(reopened) = lifecycle::on_learner_message(current)
    {
        sqlx::query("UPDATE conversations SET status = $2, resolved_at = NULL WHERE id = $1")
            .bind(new.conversation_id)
            .bind(reopened.as_str())
            .execute(&mut **tx)
            .await?;
        let data = json!({"from": current, "to": reopened, "reopened": current == Status::Resolved, "reason": "learner_message"});
        events::append(tx, new.conversation_id, EventKind::StatusChanged, new.author.actor(), data, now).await?;
    }

    let message = insert_message(tx, new.conversation_id, seq, new.author, &new.body, new.internal, &new.client_id, now).await?;
    Ok(Ok(Appended { message, replayed: false }))
}
