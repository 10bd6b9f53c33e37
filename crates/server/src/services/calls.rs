//! In-browser calls inside a conversation (voice, video, screen sharing): who may ring,
//! answer and hang up, the call's states in the event log, the ring timeout that turns an
//! unanswered learner's call into a callback task, the relay of WebRTC signalling between
//! the two participants only, and the time-limited TURN credentials handed to clients.
//!
//! The server never touches media: it checks who may talk to whom, carries opaque offers,
//! answers and ICE candidates over the realtime socket (and the bus, so the two sides may be
//! on different nodes), and keeps the record.

use edudesk_core::{Access, Principal, Status};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::{
    AppState,
    error::{AppError, AppResult},
    realtime::{Event, Participant, Route},
    services::conversations,
    store::{
        conversations::Conversation,
        events::Actor,
        media_calls::{MediaCall, Transition},
        messages::Author,
    },
};

/// The job that ends a call nobody answered.
pub const RING_TIMEOUT: &str = "call_ring_timeout";
/// Largest signalling payload relayed (an SDP offer with many codecs is ~10 KiB).
const MAX_SIGNAL_BYTES: usize = 32 * 1024;

/// Which side of the call someone is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Learner,
    Agent(i64),
}

impl Side {
    fn of(principal: Principal) -> Side {
        match principal {
            Principal::Learner { .. } => Side::Learner,
            Principal::Staff(staff) => Side::Agent(staff.user_id),
        }
    }

    fn started(self, call: &MediaCall) -> bool {
        match self {
            Side::Learner => call.started_by == "contact",
            Side::Agent(user_id) => call.started_by == "agent" && call.agent_id == Some(user_id),
        }
    }

    fn actor(self, conversation: &Conversation) -> Actor {
        match self {
            Side::Learner => Actor { user_id: None, contact_id: Some(conversation.contact_id) },
            Side::Agent(user_id) => Actor { user_id: Some(user_id), contact_id: None },
        }
    }
}

/// The conversation of a call, when `principal` may take part in calls there: the learner who
/// owns it, or staff who may work on it (collaborators read along but do not call).
async fn callable(state: &AppState, principal: Principal, conversation_id: i64) -> AppResult<Conversation> {
    let (conversation, access) = conversations::access(state, principal, conversation_id).await?;
    match access {
        Access::Owner | Access::Staff => Ok(conversation),
        _ => Err(AppError::Forbidden("collaborators follow the conversation but do not take calls in it".to_owned())),
    }
}

/// Rings the other side: the learner rings the agents who see the conversation, an agent
/// rings the learner.
#[tracing::instrument(skip(state))]
pub async fn start(state: &AppState, principal: Principal, conversation_id: i64, media: &str) -> AppResult<MediaCall> {
    let conversation = callable(state, principal, conversation_id).await?;
    if !matches!(media, "voice" | "video") {
        return Err(AppError::Unprocessable("media: voice or video".to_owned()));
    }
    if conversation.status == Status::Closed {
        return Err(AppError::Conflict("the conversation is closed; open a new one to call".to_owned()));
    }
    let side = Side::of(principal);
    let (started_by, agent_id) = match side {
        Side::Learner => ("contact", None),
        Side::Agent(user_id) => ("agent", Some(user_id)),
    };
    let now = state.clock.now_ms();
    let call = state.store.start_media_call(conversation_id, media, started_by, agent_id, side.actor(&conversation), now).await?;
    let ring_ms = (state.config.call_ring_seconds.max(1) * 1000) as i64;
    state.store.enqueue_job(RING_TIMEOUT, &json!({"call_id": call.id}), now + ring_ms, Some(&format!("{RING_TIMEOUT}:{}", call.id)), now).await?;
    announce(state, &conversation, &call).await;
    Ok(call)
}

/// The callee accepts or declines a ringing call.
#[tracing::instrument(skip(state))]
pub async fn answer(state: &AppState, principal: Principal, call_id: i64, accept: bool) -> AppResult<MediaCall> {
    let call = state.store.media_call(call_id).await?;
    let conversation = callable(state, principal, call.conversation_id).await?;
    let side = Side::of(principal);
    let rung = match side {
        Side::Learner => call.started_by == "agent",
        Side::Agent(_) => call.started_by == "contact",
    };
    if !rung {
        return Err(AppError::Conflict("only the side that was rung can answer".to_owned()));
    }
    let (to, reason) = if accept { ("accepted", None) } else { ("declined", Some("declined")) };
    let agent_id = match side {
        Side::Agent(user_id) => Some(user_id),
        Side::Learner => None,
    };
    let transition = Transition { from: &["ringing"], to, agent_id, reason, callback: !accept };
    let Some(call) = state.store.transition_media_call(call_id, transition, side.actor(&conversation), state.clock.now_ms()).await? else {
        return Err(not_ringing(state, call_id).await);
    };
    if accept && let Side::Agent(user_id) = side {
        take_if_unassigned(state, &conversation, user_id).await?;
    }
    finished(state, &conversation, &call).await?;
    announce(state, &conversation, &call).await;
    Ok(call)
}

/// Ends a call: the caller cancelling a ringing call (missed), the callee declining it, or
/// either participant hanging up a call in progress.
#[tracing::instrument(skip(state))]
pub async fn hang_up(state: &AppState, principal: Principal, call_id: i64) -> AppResult<MediaCall> {
    let call = state.store.media_call(call_id).await?;
    let conversation = callable(state, principal, call.conversation_id).await?;
    let side = Side::of(principal);
    let transition = match call.state.as_str() {
        "ringing" if side.started(&call) => Transition { from: &["ringing"], to: "missed", agent_id: None, reason: Some("cancelled"), callback: true },
        "ringing" => return answer(state, principal, call_id, false).await,
        "accepted" if is_participant(side, &call) => Transition { from: &["accepted"], to: "ended", agent_id: None, reason: Some("hangup"), callback: false },
        "accepted" => return Err(AppError::Forbidden("only the two people in a call can hang it up".to_owned())),
        state => return Err(AppError::Conflict(format!("the call has already {state}"))),
    };
    let Some(call) = state.store.transition_media_call(call_id, transition, side.actor(&conversation), state.clock.now_ms()).await? else {
        return Err(not_ringing(state, call_id).await);
    };
    finished(state, &conversation, &call).await?;
    announce(state, &conversation, &call).await;
    Ok(call)
}

/// The ring timeout (job [`RING_TIMEOUT`]): a call still ringing is missed.
pub async fn ring_timeout(state: &AppState, payload: &str) -> AppResult<()> {
    let Some(call_id) = serde_json::from_str::<Value>(payload).ok().and_then(|payload| payload["call_id"].as_i64()) else {
        return Err(AppError::Internal(anyhow::anyhow!("call_ring_timeout without a call_id")));
    };
    let transition = Transition { from: &["ringing"], to: "missed", agent_id: None, reason: Some("no_answer"), callback: true };
    let Some(call) = state.store.transition_media_call(call_id, transition, Actor::default(), state.clock.now_ms()).await? else {
        return Ok(());
    };
    let conversation = state.store.conversation(call.conversation_id).await?;
    finished(state, &conversation, &call).await?;
    announce(state, &conversation, &call).await;
    Ok(())
}

/// Relays one signalling payload (`description`, `candidate` or `control`) to the other
/// participant of an accepted call.
pub async fn signal(state: &AppState, principal: Principal, from: &Participant, call_id: i64, data: Value) -> AppResult<()> {
    let Value::Object(fields) = &data else {
        return Err(AppError::BadRequest("data: a JSON object".to_owned()));
    };
    if fields.is_empty() || fields.keys().any(|key| !matches!(key.as_str(), "description" | "candidate" | "control")) {
        return Err(AppError::BadRequest("data: one of description, candidate or control".to_owned()));
    }
    if data.to_string().len() > MAX_SIGNAL_BYTES {
        return Err(AppError::PayloadTooLarge(format!("a signal may be at most {MAX_SIGNAL_BYTES} bytes")));
    }
    let call = state.store.media_call(call_id).await?;
    let conversation = callable(state, principal, call.conversation_id).await?;
    let side = Side::of(principal);
    if call.state != "accepted" {
        return Err(AppError::Conflict(format!("the call is {}; signals flow once it is accepted", call.state)));
    }
    if !is_participant(side, &call) {
        return Err(AppError::Forbidden("only the two people in a call exchange its signals".to_owned()));
    }
    let to = match side {
        Side::Learner => Participant { kind: "agent".to_owned(), id: call.agent_id.unwrap_or_default(), name: None },
        Side::Agent(_) => Participant { kind: "contact".to_owned(), id: conversation.contact_id, name: None },
    };
    state.bus.publish(Event::Signal { route: Route::of(&conversation), call_id, from: from.clone(), to, data }).await;
    Ok(())
}

fn is_participant(side: Side, call: &MediaCall) -> bool {
    match side {
        Side::Learner => true,
        Side::Agent(user_id) => call.agent_id == Some(user_id),
    }
}

async fn not_ringing(state: &AppState, call_id: i64) -> AppError {
    match state.store.media_call(call_id).await {
        Ok(call) => AppError::Conflict(format!("the call is {} now", call.state)),
        Err(error) => error.into(),
    }
}

/// An agent who picks up a learner's call has the conversation, unless someone has it.
async fn take_if_unassigned(state: &AppState, conversation: &Conversation, user_id: i64) -> AppResult<()> {
    if conversation.assignee_id.is_some() {
        return Ok(());
    }
    let changes = crate::store::conversations::ConversationChanges { assignee_id: Some(Some(user_id)), ..Default::default() };
    let actor = Actor { user_id: Some(user_id), contact_id: None };
    conversations::change(state, conversation.id, changes, conversations::ChangedBy::System(actor)).await?;
    Ok(())
}

/// What an ended call leaves in the conversation: a line for both sides (a learner's call
/// that nobody took also left a callback task, with its state change).
async fn finished(state: &AppState, conversation: &Conversation, call: &MediaCall) -> AppResult<()> {
    let kind = if call.media == "video" { "📹 视频通话 / video call" } else { "📞 语音通话 / voice call" };
    let line = match call.state.as_str() {
        "ended" => format!("{kind} · {} s", call.duration_seconds.unwrap_or(0)),
        "missed" => format!("{kind} · 未接通 / missed"),
        "declined" => format!("{kind} · 已拒绝 / declined"),
        _ => return Ok(()),
    };
    crate::services::messages::append(state, conversation.id, Author::System, line, false, None, "call").await?;
    Ok(())
}

async fn announce(state: &AppState, conversation: &Conversation, call: &MediaCall) {
    state.bus.publish(Event::MediaCall { route: Route::of(conversation), call: Box::new(call.clone()) }).await;
}

/// What a browser needs to reach the other side: STUN/TURN servers with credentials valid
/// for `ttl_seconds`, and whether only relayed paths may be used.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IceConfig {
    pub ice_servers: Vec<IceServer>,
    /// `all`, or `relay` when `call_relay_only` hides both sides' addresses from each other.
    pub ice_transport_policy: &'static str,
    pub ttl_seconds: u64,
}

/// One entry of `RTCConfiguration.iceServers`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// TURN credentials in coturn's shared-secret scheme (`use-auth-secret`): the user name is
/// `<expiry unix time>:<who>`, the password base64(HMAC-SHA1(secret, user name)), so coturn
/// checks them without a database and they stop working at the expiry.
pub fn ice_config(state: &AppState, principal: Principal) -> IceConfig {
    let config = &state.config;
    let ttl_seconds = config.turn_ttl_seconds.max(60);
    let mut ice_servers = Vec::new();
    if !config.stun_urls.is_empty() {
        ice_servers.push(IceServer { urls: config.stun_urls.clone(), username: None, credential: None });
    }
    if let Some(secret) = config.turn_secret.as_ref().filter(|_| !config.turn_urls.is_empty()) {
        let expires = state.clock.now_ms() / 1000 + ttl_seconds as i64;
        let who = match principal {
            Principal::Learner { contact_id } => format!("contact-{contact_id}"),
            Principal::Staff(staff) => format!("agent-{}", staff.user_id),
        };
        let username = format!("{expires}:{who}");
        let credential = crate::crypto::turn_password(secret.expose(), &username);
        ice_servers.push(IceServer { urls: config.turn_urls.clone(), username: Some(username), credential: Some(credential) });
    }
    IceConfig { ice_servers, ice_transport_policy: if config.call_relay_only { "relay" } else { "all" }, ttl_seconds }
}

#[cfg(test)]
mod tests {
    use crate::crypto::turn_password;

    /// Checked against openssl:
    /// `printf '1433895918:alice' | openssl dgst -sha1 -hmac 'north' -binary | base64`.
    #[test]
    fn turn_passwords_follow_the_shared_secret_scheme() {
        assert_eq!(turn_password("north", "1433895918:alice"), "RqMvcGPYTJMGThVLSi4amT4zFtI=");
        assert_ne!(turn_password("south", "1433895918:alice"), turn_password("north", "1433895918:alice"));
    }
}
