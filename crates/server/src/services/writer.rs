//! The message writer: appends messages in batches, one transaction per batch.
//!
//! Use cases hand a [`NewMessage`] to a writer task and wait for its answer. The task takes
//! every message that queued up while the previous batch was committing and commits them
//! together ([`crate::store::batch::commit`]), so the cost of a durable commit (an fsync on
//! SQLite) is paid once per batch rather than once per message. A caller is answered only
//! after the commit: an acknowledged message survives a crash. Committed messages are then
//! published on the bus, in sequence order per conversation.
//!
//! Messages of one conversation always go to the same task (sharded by conversation id),
//! so their order is the order they were received. SQLite gets one task (it has one
//! writer anyway); PostgreSQL several, so batches of different conversations overlap.
//! If a batch transaction itself fails, each of its messages is retried alone.

use std::sync::Arc;

use edudesk_core::sla::SlaPolicy;
use tokio::sync::{mpsc, oneshot};

pub use crate::store::batch::{Appended, NewMessage};
use crate::{
    error::{AppError, AppResult},
    realtime::{Event, Route, bus::Bus},
    store::{
        Store,
        batch::{Committed, commit},
        error::{StoreError, StoreResult},
    },
};

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
    /// Committed messages are published on `bus`, in sequence order per conversation.
    pub fn start(store: Store, bus: Bus, sla: Arc<SlaPolicy>, shards: usize, batch_max: usize) -> MessageWriter {
        let senders: Vec<_> = (0..shards.max(1))
            .map(|_| {
                let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
                tokio::spawn(run(store.clone(), bus.clone(), sla.clone(), receiver, batch_max.max(1)));
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

async fn run(store: Store, bus: Bus, sla: Arc<SlaPolicy>, mut receiver: mpsc::Receiver<Job>, batch_max: usize) {
    let mut batch = Vec::with_capacity(batch_max);
    while receiver.recv_many(&mut batch, batch_max).await > 0 {
        let jobs = std::mem::take(&mut batch);
        let messages: Vec<&NewMessage> = jobs.iter().map(|job| &job.message).collect();
        match commit(&store, &sla, &messages).await {
            Ok(Committed { outcomes, reopened }) => {
                publish(&store, &bus, &outcomes, &reopened).await;
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(outcome.map_err(AppError::from));
                }
            }
            // Another node stored the same client id between our read and our insert: the
            // retry below finds it and answers it as a replay.
            Err(StoreError::Conflict(_)) if jobs.len() == 1 => {
                let job = jobs.into_iter().next();
                if let Some(job) = job {
                    let _ = job.reply.send(commit_alone(&store, &bus, &sla, &job.message).await);
                }
            }
            Err(error) if jobs.len() == 1 => {
                if let Some(job) = jobs.into_iter().next() {
                    let _ = job.reply.send(Err(error.into()));
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, size = jobs.len(), "batch failed; committing its messages one by one");
                for job in jobs {
                    let _ = job.reply.send(commit_alone(&store, &bus, &sla, &job.message).await);
                }
            }
        }
        batch = Vec::with_capacity(batch_max);
    }
}

/// Commits one message in a transaction of its own and publishes it.
async fn commit_alone(store: &Store, bus: &Bus, sla: &Arc<SlaPolicy>, message: &NewMessage) -> AppResult<Appended> {
    let Committed { mut outcomes, reopened } = commit(store, sla, &[message]).await?;
    publish(store, bus, &outcomes, &reopened).await;
    outcomes.pop().unwrap_or_else(|| Err(StoreError::Internal(anyhow::anyhow!("empty commit outcome")))).map_err(AppError::from)
}

/// Publishes what a committed batch changed: its new messages, and the conversations a
/// learner's message reopened.
async fn publish(store: &Store, bus: &Bus, outcomes: &[StoreResult<Appended>], reopened: &[i64]) {
    for appended in outcomes.iter().flatten().filter(|appended| !appended.replayed) {
        let mut message = appended.message.clone();
        if let (Some(user_id), None) = (message.author_user_id, &message.author_name) {
            message.author_name = store.user_display_name(user_id).await;
        }
        let route = Route {
            conversation_id: message.conversation_id,
            contact_id: appended.scope.contact_id,
            tier: appended.scope.tier,
            assignee_id: appended.scope.assignee_id,
        };
        bus.publish(Event::Message { route, message }).await;
    }
    for id in reopened {
        match store.conversation_after_write(*id).await {
            Ok(conversation) => bus.publish(Event::conversation(&conversation)).await,
            Err(error) => tracing::warn!(%error, conversation_id = id, "could not publish a reopened conversation"),
        }
    }
}
