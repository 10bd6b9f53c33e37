//! The use cases: everything EduDesk does, whichever way it is asked — the REST API, the
//! realtime socket, a channel's webhook or mailbox, the bot, a job. Each use case is one
//! function here, and every caller goes through it:
//!
//! - [`conversations`]: open a conversation, change it (resolve included), escalate or
//!   de-escalate it between tiers, who may see it ([`conversations::access`]);
//! - [`messages`]: post a message (learner, agent, collaborator), append a system's line,
//!   and what follows every committed message ([`messages::after_commit`]);
//! - [`inbox`]: a message from another channel, stored exactly once, then as above;
//! - [`bot`]: the bot's turn and its handover to a person;
//! - [`routing`], [`sla`], [`sops`], [`follow_ups`], [`learning`], [`delivery`],
//!   [`webhooks`]: assignment, SLA clocks, guided procedures, check-backs, learning from
//!   agents, sending on other channels, outbound webhooks.
//!
//! Services use `store`, `realtime` and `knowledge` below them and never the adapters
//! (`http`, `channels`) above them.

pub mod attachments;
pub mod awards;
pub mod boards;
pub mod bot;
pub mod calls;
pub mod conversation_writer;
pub mod conversations;
pub mod delivery;
pub mod follow_ups;
pub mod hiring;
pub mod inbox;
pub mod incidents;
pub mod learning;
pub mod messages;
pub mod metrics;
pub mod quality;
pub mod ratelimit;
pub mod routing;
pub mod sessions;
pub mod sla;
pub mod sops;
pub mod staffing;
pub mod surveys;
pub mod training;
pub mod webhooks;
pub mod writer;

use std::sync::Arc;

use crate::{config::Config, store::Store};
use conversation_writer::ConversationWriter;
use writer::MessageWriter;

/// What every use case, handler and adapter can reach: storage, the writer, the realtime
/// hub and bus, the knowledge base and bot, policies and per-node state. Built once per
/// node by [`crate::app::App::build`].
///
/// Handlers and middleware clone it for every request, so it is one `Arc` (one reference
/// count) around the parts; fields read through `Deref`.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Parts>);

impl AppState {
    pub fn new(parts: Parts) -> AppState {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Parts {
    pub store: Store,
    pub writer: MessageWriter,
    /// Opens conversations in batches (one transaction per batch).
    pub opener: ConversationWriter,
    pub config: Arc<Config>,
    pub sessions: Arc<sessions::SessionCache>,
    /// This node's connected sockets.
    pub hub: Arc<crate::realtime::hub::Hub>,
    /// Where events are published (reaches every node's hub).
    pub bus: crate::realtime::bus::Bus,
    /// Category → tier table and keyword rules.
    pub categories: Arc<edudesk_core::routing::CategoryTable>,
    /// This node's recent view of each tier's online agents ([`routing::Snapshots`]).
    pub routing: Arc<routing::Snapshots>,
    /// Held while this node sweeps the queues.
    pub sweeping: Arc<tokio::sync::Mutex<()>>,
    /// The scheduling clock (jobs, follow-ups, task due times).
    pub clock: crate::clock::Clock,
    /// SLA targets and the business calendar they count in.
    pub sla: Arc<edudesk_core::sla::SlaPolicy>,
    /// An argon2 hash of a random password, verified against when an email is unknown so
    /// that login takes as long for unknown accounts as for known ones.
    pub dummy_password_hash: Arc<str>,
    /// Search index and bot over the published articles.
    pub knowledge: Arc<crate::knowledge::Knowledge>,
    /// HTTP client and tokens for sending through channels.
    pub outbound: Arc<delivery::Outbound>,
    /// Sign-in and public-write limits (per node).
    pub limits: Arc<ratelimit::RateLimiter>,
    /// This node's name in leases (e.g. which node watches a mailbox): random per start.
    pub node_id: Arc<str>,
    /// Request and bot counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
}
