//! The conversation writer: opens conversations in batches, one transaction per batch, as
//! the message writer appends messages ([`crate::services::writer`]).
//!
//! `services::conversations::open` hands each new conversation (with its first message) to
//! a writer task and waits for the answer. The task takes every conversation that queued up
//! while the previous batch was committing and commits them together
//! ([`Store::create_conversations`]): a handful of multi-row statements and one durable
//! commit for the batch. A caller is answered only after the commit. If a batch fails as a
//! whole, each of its conversations is retried alone, so one bad row cannot sink the others.
//!
//! Conversations of one learner go to the same task (sharded by learner), so a resent
//! opening (same client id) meets its first copy in the same batch or finds it stored.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::{
    error::{AppError, AppResult},
    store::{Store, batch_create::Created, conversations::NewConversation},
};

struct Job {
    conversation: NewConversation,
    reply: oneshot::Sender<AppResult<Created>>,
}

/// Handle to the writer tasks; cheap to clone.
#[derive(Clone)]
pub struct ConversationWriter {
    shards: Arc<[mpsc::Sender<Job>]>,
}

impl std::fmt::Debug for ConversationWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConversationWriter").field("shards", &self.shards.len()).finish()
    }
}

/// Most conversations waiting for a writer task before callers wait for room.
const QUEUE_CAPACITY: usize = 4096;

impl ConversationWriter {
    /// Starts `shards` writer tasks on `store`, each committing up to `batch_max`
    /// conversations per transaction. The tasks end when every handle is dropped.
    pub fn start(store: Store, shards: usize, batch_max: usize) -> ConversationWriter {
        let senders: Vec<_> = (0..shards.max(1))
            .map(|_| {
                let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
                tokio::spawn(run(store.clone(), receiver, batch_max.max(1)));
                sender
            })
            .collect();
        ConversationWriter { shards: senders.into() }
    }

    /// Creates a conversation with its first message once it is committed: the stored
    /// conversation, its first message, and whether it had been opened before with the
    /// same client id (nothing was written now).
    pub async fn create(&self, conversation: NewConversation) -> AppResult<Created> {
        let shard = conversation.contact_id.rem_euclid(self.shards.len() as i64) as usize;
        let (reply, answer) = oneshot::channel();
        let unavailable = || AppError::Unavailable("the conversation writer has stopped".to_owned());
        self.shards[shard].send(Job { conversation, reply }).await.map_err(|_| unavailable())?;
        answer.await.map_err(|_| unavailable())?
    }
}

async fn run(store: Store, mut receiver: mpsc::Receiver<Job>, batch_max: usize) {
    let mut batch = Vec::with_capacity(batch_max);
    while receiver.recv_many(&mut batch, batch_max).await > 0 {
        let jobs = std::mem::take(&mut batch);
        let conversations: Vec<&NewConversation> = jobs.iter().map(|job| &job.conversation).collect();
        match store.create_conversations(&conversations).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome.map_err(AppError::from));
                }
            }
            Err(error) if jobs.len() == 1 => {
                if let Some(job) = jobs.into_iter().next() {
                    let _ = job.reply.send(Err(error.into()));
                }
            }
            Err(error) => {
                tracing::warn!(%error, size = jobs.len(), "conversation batch failed; creating its conversations one by one");
                for job in jobs {
                    let _ = job.reply.send(store.create_conversation(&job.conversation).await.map_err(AppError::from));
                }
            }
        }
        batch = Vec::with_capacity(batch_max);
    }
}
