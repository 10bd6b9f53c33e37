//! The realtime WebSocket, `GET /api/v1/ws`: one connection per client carrying every
//! conversation it may see. The protocol is documented in `docs/realtime.md`.
//!
//! Completeness never depends on live delivery: each message carries its conversation's
//! sequence number, the socket remembers the last one it delivered per conversation, and
//! any gap (a reconnect, events dropped for a slow client, events from another node
//! arriving out of order) is filled from the database before newer messages go out.

use std::{collections::HashMap, pin::Pin, time::Duration};

use axum::{
    extract::{
        State, WebSocketUpgrade,
        ws::{CloseFrame, Message as Frame, WebSocket, close_code},
    },
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use edudesk_core::{Access, Principal};
use futures_util::{StreamExt, stream::FuturesUnordered};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::{
    AppState,
    crypto::token_hash,
    error::{AppError, AppResult},
    http::session,
    realtime::{Event, Participant, Route, hub::Delivery},
    services::{
        boards, calls, conversations,
        messages::{self, FollowUp, Post},
        sessions::resolve_session,
        writer::Appended,
    },
    store::messages::Message,
};

/// A client that takes longer than this to take a frame is dropped (it resumes on reconnect).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an unauthenticated socket may take to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Most sends of one socket waiting for their commit at once; past that, reading pauses.
const MAX_IN_FLIGHT: usize = 64;
/// Largest frame a client may send.
const MAX_FRAME: usize = 64 * 1024;

/// Opens the realtime socket. Credentials: `Authorization: Bearer` or the session cookie
/// at the upgrade (a cookie only from the same origin), or a `hello` frame with a token.
#[tracing::instrument(skip_all)]
pub async fn upgrade(State(state): State<AppState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let principal = match session::request_token(&headers) {
        Some((_, true)) if !same_origin(&headers) => {
            return AppError::Forbidden("a WebSocket authenticated by cookie must come from this site; send a token in a hello frame instead".to_owned())
                .into_response();
        }
        Some((token, _)) => {
            let hash = token_hash(token);
            match resolve_session(&state, &hash).await {
                Ok(session) => Some((session.principal, hash)),
                Err(error) => return error.into_response(),
            }
        }
        None => None,
    };
    // Small buffers: an idle socket must cost little memory (see BENCHMARKS.md).
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| run(state, socket, principal))
}

/// Whether the `Origin` header names the host the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let origin = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok());
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, rest)| rest == host),
        // Non-browser clients send no Origin; browsers always do on WebSocket upgrades.
        (None, _) => true,
        _ => false,
    }
}

/// A frame from the client.
#[derive(Debug, Deserialize)]
// A misspelt field (`"internall": true`) must be refused, not ignored: a note would go public.
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientFrame {
    Hello {
        token: String,
    },
    Ping,
    Subscribe {
        conversation_id: i64,
        after_seq: Option<i64>,
    },
    Unsubscribe {
        conversation_id: i64,
    },
    Send {
        conversation_id: i64,
        client_id: String,
        #[serde(default)]
        body: String,
        #[serde(default)]
        internal: bool,
        attachment_id: Option<i64>,
    },
    Typing {
        conversation_id: i64,
        typing: bool,
    },
    Read {
        conversation_id: i64,
        seq: i64,
    },
    /// Loads a conversation's whiteboard (answered by `board_state`).
    BoardJoin {
        conversation_id: i64,
    },
    /// A whiteboard change or pointer position.
    BoardOp {
        conversation_id: i64,
        op: Value,
    },
    /// WebRTC signalling for the other participant of an accepted call.
    CallSignal {
        call_id: i64,
        data: Value,
    },
}

type PendingSend = Pin<Box<dyn std::future::Future<Output = (String, i64, AppResult<Appended>)> + Send>>;

/// A heartbeat's recheck of the socket's session: whether it still holds.
type SessionCheck = Pin<Box<dyn std::future::Future<Output = bool> + Send>>;

/// One connected socket.
struct Connection {
    state: AppState,
    socket: WebSocket,
    principal: Principal,
    /// The session the socket was opened with; rechecked at every heartbeat, so a logout,
    /// deactivation or role change closes the socket within one heartbeat.
    session_hash: String,
    me: Participant,
    /// Last sequence number delivered, per conversation this socket follows.
    delivered: HashMap<i64, i64>,
    /// Routes of the conversations this socket subscribed to (for typing and read).
    routes: HashMap<i64, Route>,
    /// Client ids of this socket's sends awaiting their ack: their message events are
    /// not echoed back, since the ack carries the same message.
    in_flight: std::collections::HashSet<String>,
    last_heard: Instant,
}

fn error_frame(status: u16, detail: impl Into<String>) -> Value {
    json!({"type": "error", "status": status, "detail": detail.into()})
}

async fn hello(state: &AppState, socket: &mut WebSocket) -> Option<(Principal, String)> {
    let frame = tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await.ok()??.ok()?;
    let Frame::Text(text) = frame else { return None };
    let answer = match serde_json::from_str::<ClientFrame>(&text) {
        Ok(ClientFrame::Hello { token }) => {
            let hash = token_hash(&token);
            match resolve_session(state, &hash).await {
                Ok(session) => return Some((session.principal, hash)),
                Err(error) => error_frame(error.status().as_u16(), error.public_detail()),
            }
        }
        _ => error_frame(401, "the first frame must be {\"type\":\"hello\",\"token\":...}"),
    };
    let _ = socket.send(Frame::Text(answer.to_string().into())).await;
    let close = CloseFrame { code: close_code::POLICY, reason: "not authenticated".into() };
    let _ = socket.send(Frame::Close(Some(close))).await;
    None
}

async fn run(state: AppState, mut socket: WebSocket, authenticated: Option<(Principal, String)>) {
    let (principal, session_hash) = match authenticated {
        Some(authenticated) => authenticated,
        None => match hello(&state, &mut socket).await {
            Some(authenticated) => authenticated,
            None => return,
        },
    };
    let me = match principal {
        Principal::Learner { contact_id } => Participant { kind: "contact".to_owned(), id: contact_id, name: None },
        Principal::Staff(staff) => {
            let name = state.store.user(staff.user_id).await.ok().map(|user| user.display_name);
            Participant { kind: "agent".to_owned(), id: staff.user_id, name }
        }
    };
    let mut subscriber = state.hub.register(principal);
    let mut connection = Connection {
        state,
        socket,
        principal,
        session_hash,
        me,
        delivered: HashMap::new(),
        routes: HashMap::new(),
        in_flight: Default::default(),
        last_heard: Instant::now(),
    };
    // The server pings this often and rechecks the session; a client silent for three
    // times as long is dropped.
    let every = Duration::from_millis(connection.state.config.ws_heartbeat_ms.max(100));
    let welcome = json!({"type": "welcome", "who": connection.me, "heartbeat_ms": every.as_millis() as u64});
    if !connection.send(&welcome).await {
        return;
    }
    let mut pending: FuturesUnordered<PendingSend> = FuturesUnordered::new();
    // At most one at a time; it runs beside the socket's traffic (see `heartbeat`).
    let mut session_checks: FuturesUnordered<SessionCheck> = FuturesUnordered::new();
    // The first beat comes at a random point of the first period (between a half and one
    // and a half periods in), so sockets opened together do not beat together ever after.
    let first = every / 2 + every.mul_f64(rand::random::<f64>());
    let mut heartbeat = tokio::time::interval_at(Instant::now() + first, every);
    loop {
        // Biased: what is already queued for the client goes out before the next client
        // frame is read, so an answer (a pong, an ack) never overtakes earlier events.
        let alive = tokio::select! {
            biased;
            Some(delivery) = subscriber.receiver.recv() => connection.deliver(&delivery).await,
            () = subscriber.lag.wait() => connection.resync().await,
            Some((client_id, conversation_id, outcome)) = pending.next(), if !pending.is_empty() => connection.acknowledge(client_id, conversation_id, outcome).await,
            frame = connection.socket.recv(), if pending.len() < MAX_IN_FLIGHT => match frame {
                Some(Ok(frame)) => connection.on_frame(frame, &subscriber, &mut pending).await,
                _ => false,
            },
            Some(still_valid) = session_checks.next(), if !session_checks.is_empty() => connection.session_checked(still_valid).await,
            _ = heartbeat.tick() => connection.heartbeat(every, &mut session_checks).await,
        };
        if !alive {
            break;
        }
    }
    // Sends already handed to the writer still commit; their acks have nowhere to go.
    drop(pending);
}

impl Connection {
    /// Sends a frame; false when the client is gone or too slow.
    async fn send(&mut self, frame: &Value) -> bool {
        self.send_text(frame.to_string()).await
    }

    async fn send_text(&mut self, text: String) -> bool {
        matches!(tokio::time::timeout(SEND_TIMEOUT, self.socket.send(Frame::Text(text.into()))).await, Ok(Ok(())))
    }

    /// Drops a silent client, pings, and starts a recheck of the session. The recheck runs
    /// beside the socket's traffic, answered in [`Connection::session_checked`]: awaited
    /// here, its database read (tens of milliseconds when the read pool is busy) held up
    /// every frame behind it, and sockets opened together beat together.
    async fn heartbeat(&mut self, every: Duration, session_checks: &mut FuturesUnordered<SessionCheck>) -> bool {
        if self.last_heard.elapsed() > every * 3 {
            return false;
        }
        if session_checks.is_empty() {
            let (state, session_hash, principal) = (self.state.clone(), self.session_hash.clone(), self.principal);
            session_checks.push(Box::pin(async move {
                match resolve_session(&state, &session_hash).await {
                    Ok(session) => session.principal == principal,
                    // The database is down or busy: that says nothing about the session. Keep
                    // the socket (a blip must not sign everyone out) and check again next beat.
                    Err(AppError::Unavailable(_) | AppError::Internal(_)) => true,
                    Err(_) => false,
                }
            }));
        }
        matches!(tokio::time::timeout(SEND_TIMEOUT, self.socket.send(Frame::Ping(Default::default()))).await, Ok(Ok(())))
    }

    /// Closes the socket when its session no longer holds (logout, deactivation, role change).
    async fn session_checked(&mut self, still_valid: bool) -> bool {
        if still_valid {
            return true;
        }
        let _ = self.send(&error_frame(401, "the session has ended; sign in again")).await;
        let close = CloseFrame { code: close_code::POLICY, reason: "session ended".into() };
        let _ = self.socket.send(Frame::Close(Some(close))).await;
        false
    }

    async fn on_frame(&mut self, frame: Frame, subscriber: &crate::realtime::hub::Subscriber, pending: &mut FuturesUnordered<PendingSend>) -> bool {
        self.last_heard = Instant::now();
        let text = match frame {
            Frame::Text(text) => text,
            Frame::Close(_) => return false,
            Frame::Ping(_) | Frame::Pong(_) => return true,
            Frame::Binary(_) => return self.send(&error_frame(400, "frames are JSON text")).await,
        };
        let frame = match serde_json::from_str::<ClientFrame>(&text) {
            Ok(frame) => frame,
            Err(error) => return self.send(&error_frame(400, format!("not a valid frame: {error}"))).await,
        };
        match frame {
            ClientFrame::Hello { .. } => self.send(&error_frame(409, "already authenticated")).await,
            ClientFrame::Ping => self.send(&json!({"type": "pong"})).await,
            ClientFrame::Subscribe { conversation_id, after_seq } => match self.subscribe(conversation_id, after_seq, subscriber).await {
                Ok(alive) => alive,
                Err(error) => self.send(&error_frame(error.status().as_u16(), error.public_detail())).await,
            },
            ClientFrame::Unsubscribe { conversation_id } => {
                subscriber.unsubscribe(conversation_id);
                self.routes.remove(&conversation_id);
                self.delivered.remove(&conversation_id);
                true
            }
            ClientFrame::Send { conversation_id, client_id, body, internal, attachment_id } => {
                self.in_flight.insert(client_id.clone());
                let (state, principal) = (self.state.clone(), self.principal);
                let post = Post { conversation_id, body, client_id: Some(client_id.clone()), internal, attachment_id };
                // The bot's answer (or its stepping aside) follows off the socket's path, so
                // the acknowledgement is not held up.
                pending.push(Box::pin(async move { (client_id, conversation_id, messages::post(&state, principal, post, FollowUp::Background).await) }));
                true
            }
            ClientFrame::Typing { conversation_id, typing } => match self.routes.get(&conversation_id) {
                Some(route) => {
                    self.state.bus.publish(Event::Typing { route: *route, who: self.me.clone(), typing }).await;
                    true
                }
                None => self.send(&error_frame(409, "subscribe to the conversation first")).await,
            },
            ClientFrame::BoardJoin { conversation_id } if self.routes.contains_key(&conversation_id) => {
                match boards::board(&self.state, self.principal, conversation_id).await {
                    Ok(board) => {
                        self.send(&json!({"type": "board_state", "conversation_id": conversation_id, "seq": board.seq, "elements": board.elements})).await
                    }
                    Err(error) => self.send(&error_frame(error.status().as_u16(), error.public_detail())).await,
                }
            }
            ClientFrame::BoardOp { conversation_id, op } if self.routes.contains_key(&conversation_id) => {
                match boards::change(&self.state, self.principal, &self.me, conversation_id, op).await {
                    Ok(()) => true,
                    Err(error) => {
                        let mut frame = error_frame(error.status().as_u16(), error.public_detail());
                        frame["board"] = json!(conversation_id);
                        self.send(&frame).await
                    }
                }
            }
            ClientFrame::BoardJoin { .. } | ClientFrame::BoardOp { .. } => self.send(&error_frame(409, "subscribe to the conversation first")).await,
            ClientFrame::CallSignal { call_id, data } => match calls::signal(&self.state, self.principal, &self.me, call_id, data).await {
                Ok(()) => true,
                Err(error) => {
                    let mut frame = error_frame(error.status().as_u16(), error.public_detail());
                    frame["call_id"] = json!(call_id);
                    self.send(&frame).await
                }
            },
            ClientFrame::Read { conversation_id, seq } => match self.routes.get(&conversation_id) {
                Some(route) => {
                    self.state.bus.publish(Event::Read { route: *route, who: self.me.clone(), seq }).await;
                    true
                }
                None => self.send(&error_frame(409, "subscribe to the conversation first")).await,
            },
        }
    }

    async fn acknowledge(&mut self, client_id: String, conversation_id: i64, outcome: AppResult<Appended>) -> bool {
        self.in_flight.remove(&client_id);
        // Everything before the acknowledged message goes out first, so a client that
        // resumes from its highest seq never skips one still in flight from another node.
        if let Ok(appended) = &outcome
            && self.delivered.get(&conversation_id).is_some_and(|last| appended.message.seq > last + 1)
        {
            match self.fill(conversation_id).await {
                Ok(true) => {}
                Ok(false) => return false,
                Err(error) => tracing::warn!(%error, conversation_id, "filling before an ack failed"),
            }
        }
        let frame = match outcome {
            Ok(appended) => {
                json!({"type": "ack", "client_id": client_id, "conversation_id": conversation_id, "seq": appended.message.seq, "message": appended.message})
            }
            Err(error) => {
                json!({"type": "nack", "client_id": client_id, "conversation_id": conversation_id, "status": error.status().as_u16(), "detail": error.public_detail()})
            }
        };
        self.send(&frame).await
    }

    /// Follows a conversation from `after_seq` (default: from now), sending what was missed.
    async fn subscribe(&mut self, conversation_id: i64, after_seq: Option<i64>, subscriber: &crate::realtime::hub::Subscriber) -> AppResult<bool> {
        let (conversation, access) = conversations::access(&self.state, self.principal, conversation_id).await?;
        // Register first, then read: whatever commits in between arrives live, and the
        // sequence numbers drop the overlap.
        if access == Access::Collaborator {
            subscriber.subscribe_as_collaborator(conversation_id);
        } else {
            subscriber.subscribe(conversation_id);
        }
        self.routes.insert(conversation_id, Route::of(&conversation));
        let after_seq = after_seq.unwrap_or(conversation.last_seq).max(0);
        self.delivered.insert(conversation_id, after_seq);
        if !self.fill(conversation_id).await? {
            return Ok(false);
        }
        let frame = json!({"type": "subscribed", "conversation_id": conversation_id, "conversation": conversation});
        Ok(self.send(&frame).await)
    }

    /// Sends every stored message after the last delivered one.
    async fn fill(&mut self, conversation_id: i64) -> AppResult<bool> {
        // Access may have changed since the subscription (an escalation, a reassignment):
        // what the socket may no longer see is dropped, not refilled.
        let conversation = self.state.store.conversation(conversation_id).await?;
        if !matches!(conversations::access_to(&self.state, self.principal, &conversation).await?, Access::Staff | Access::Owner | Access::Collaborator) {
            self.delivered.remove(&conversation_id);
            self.routes.remove(&conversation_id);
            return Ok(true);
        }
        if let Some(route) = self.routes.get_mut(&conversation_id) {
            *route = Route::of(&conversation);
        }
        let include_internal = matches!(self.principal, Principal::Staff(_));
        loop {
            let after = self.delivered.get(&conversation_id).copied().unwrap_or(0);
            let missed = self.state.store.messages(conversation_id, after, include_internal, 500).await?;
            let Some(last) = missed.last().map(|message| message.seq) else { return Ok(true) };
            for message in &missed {
                if !self.send(&message_frame(message)).await {
                    return Ok(false);
                }
            }
            self.delivered.insert(conversation_id, last);
        }
    }

    /// Delivers a live event, filling any gap before a message.
    async fn deliver(&mut self, delivery: &Delivery) -> bool {
        if let Event::Message { route, message } = &delivery.event {
            let conversation_id = route.conversation_id;
            match self.delivered.get(&conversation_id).copied() {
                Some(last) if message.seq <= last => return true,
                Some(last) if message.seq > last + 1 => match self.fill(conversation_id).await {
                    Ok(alive) => return alive,
                    Err(error) => tracing::warn!(%error, conversation_id, "filling a gap failed; sending the live message"),
                },
                _ => {}
            }
            self.delivered.insert(conversation_id, message.seq);
            // Second line of defence after the hub: a learner's socket never carries a note.
            if message.internal && matches!(self.principal, Principal::Learner { .. }) {
                return true;
            }
            let own_send = self.in_flight.contains(&message.client_id) && message_is_mine(message, self.principal);
            if own_send {
                return true;
            }
        }
        self.send_text(delivery.frame.clone()).await
    }

    /// Events were dropped for this socket: refill every followed conversation, and tell
    /// the client to refresh anything else it shows.
    async fn resync(&mut self) -> bool {
        let followed: Vec<i64> = self.delivered.keys().copied().collect();
        for conversation_id in followed {
            match self.fill(conversation_id).await {
                Ok(true) => {}
                Ok(false) => return false,
                Err(error) => tracing::warn!(%error, conversation_id, "resync failed"),
            }
        }
        self.send(&json!({"type": "resync"})).await
    }
}

fn message_frame(message: &Message) -> Value {
    json!({"type": "message", "conversation_id": message.conversation_id, "seq": message.seq, "message": message})
}

fn message_is_mine(message: &Message, principal: Principal) -> bool {
    match principal {
        Principal::Learner { contact_id } => message.author_contact_id == Some(contact_id),
        Principal::Staff(staff) => message.author_user_id == Some(staff.user_id),
    }
}
