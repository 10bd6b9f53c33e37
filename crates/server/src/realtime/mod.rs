//! Realtime: events about conversations, the local fan-out to connected sockets
//! ([`hub::Hub`]), and the bus that carries events between nodes ([`bus::Bus`]).
//!
//! Every event is published to the bus once, by the node where it happened. Each node
//! receives every event from the bus (in-process: directly; NATS: through a subscription)
//! and its hub hands it to the local sockets that may see it. Delivery is at most once
//! and best effort; clients never depend on it for completeness, because every message
//! carries its conversation's sequence number and a socket fills gaps from the database.

pub mod bus;
pub mod hub;

use edudesk_core::{ConversationScope, Tier};
use serde::{Deserialize, Serialize};

use crate::store::{conversations::Conversation, messages::Message};

/// Where an event belongs: its conversation and the facts access depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub conversation_id: i64,
    pub contact_id: i64,
    pub tier: Tier,
    pub assignee_id: Option<i64>,
}

impl Route {
    pub fn scope(&self) -> ConversationScope {
        ConversationScope { contact_id: self.contact_id, tier: self.tier, assignee_id: self.assignee_id }
    }

    pub fn of(conversation: &Conversation) -> Route {
        Route { conversation_id: conversation.id, contact_id: conversation.contact_id, tier: conversation.tier, assignee_id: conversation.assignee_id }
    }
}

/// Who is typing or has read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// `contact` or `agent`.
    pub kind: String,
    pub id: i64,
    /// The agent's display name (learners see who serves them).
    pub name: Option<String>,
}

/// Something that happened in a conversation, as carried by the bus.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A message was committed.
    Message { route: Route, message: Message },
    /// A conversation was created or changed (status, priority, assignee...).
    Conversation { route: Route, conversation: Box<Conversation> },
    /// Someone started or stopped typing.
    Typing { route: Route, who: Participant, typing: bool },
    /// Someone has read up to `seq`.
    Read { route: Route, who: Participant, seq: i64 },
    /// A phone call rang, was answered or ended (staff only: the console's call pop-up).
    Call { route: Route, call: Box<CallPopup> },
    /// An in-browser call rang, was answered or ended (the learner and the staff who see it).
    MediaCall { route: Route, call: Box<crate::store::media_calls::MediaCall> },
    /// A WebRTC signalling payload for one participant of a call only.
    Signal { route: Route, call_id: i64, from: Participant, to: Participant, data: serde_json::Value },
    /// A whiteboard change (numbered) or a pointer position (not numbered).
    Board { route: Route, from: Participant, seq: Option<i64>, op: serde_json::Value },
}

/// What the console shows when a call comes in: the call, who is calling, and their
/// recent conversations on every channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallPopup {
    pub call: crate::store::channels::Call,
    pub contact_id: i64,
    pub contact_name: Option<String>,
    pub recent: Vec<RecentConversation>,
}

/// One line of a caller's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecentConversation {
    pub id: i64,
    pub channel: edudesk_core::Channel,
    pub status: edudesk_core::Status,
    pub subject: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Event {
    /// A conversation was created or changed.
    pub fn conversation(conversation: &Conversation) -> Event {
        Event::Conversation { route: Route::of(conversation), conversation: Box::new(conversation.clone()) }
    }

    pub fn route(&self) -> &Route {
        match self {
            Event::Message { route, .. }
            | Event::Conversation { route, .. }
            | Event::Typing { route, .. }
            | Event::Read { route, .. }
            | Event::Call { route, .. }
            | Event::MediaCall { route, .. }
            | Event::Signal { route, .. }
            | Event::Board { route, .. } => route,
        }
    }

    /// The frame sent to clients (see docs/realtime.md).
    pub fn client_frame(&self) -> serde_json::Value {
        let conversation_id = self.route().conversation_id;
        match self {
            Event::Message { message, .. } => {
                serde_json::json!({"type": "message", "conversation_id": conversation_id, "seq": message.seq, "message": message})
            }
            Event::Conversation { conversation, .. } => serde_json::json!({"type": "conversation", "conversation": conversation}),
            Event::Typing { who, typing, .. } => serde_json::json!({"type": "typing", "conversation_id": conversation_id, "who": who, "typing": typing}),
            Event::Read { who, seq, .. } => serde_json::json!({"type": "read", "conversation_id": conversation_id, "who": who, "seq": seq}),
            Event::Call { call, .. } => serde_json::json!({"type": "call", "conversation_id": conversation_id, "call": call}),
            Event::MediaCall { call, .. } => serde_json::json!({"type": "media_call", "conversation_id": conversation_id, "call": call}),
            Event::Board { from, seq, op, .. } => {
                serde_json::json!({"type": "board", "conversation_id": conversation_id, "from": from, "seq": seq, "op": op})
            }
            Event::Signal { call_id, from, data, .. } => {
                serde_json::json!({"type": "call_signal", "conversation_id": conversation_id, "call_id": call_id, "from": from, "data": data})
            }
        }
    }
}
