//! The realtime WebSocket: chat both ways, acks after commit, resume from a seq,
//! idempotent sends, access rules, and bad frames.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message as Frame};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(
    learner_and_agent_chat_both_ways_with_acks_after_commit,
    resuming_after_a_seq_delivers_exactly_what_was_missed,
    resending_a_client_id_acks_the_same_message_once,
    sockets_only_carry_what_their_owner_may_see,
    a_learner_following_the_conversation_never_gets_a_note,
    hello_frame_authenticates_and_bad_credentials_are_refused,
    bad_frames_get_errors_and_the_socket_stays_open,
    revoked_sessions_and_lost_access_end_what_a_socket_carries,
    a_collaborator_outside_the_tier_follows_and_writes_notes_over_the_socket,
);

/// A test client for `/api/v1/ws`.
pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    async fn connect(app: &TestApp, token: &str) -> Ws {
        Self::connect_to(&app.base, token).await
    }

    /// Connects to the server at `base` (http://...) with a bearer token.
    pub async fn connect_to(base: &str, token: &str) -> Ws {
        let url = base.replace("http://", "ws://") + "/api/v1/ws";
        let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (stream, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut ws = Ws { stream };
        assert_eq!(ws.next_of("welcome").await["type"], "welcome");
        ws
    }

    pub async fn send(&mut self, frame: Value) {
        self.stream.send(Frame::Text(frame.to_string().into())).await.unwrap();
    }

    /// The next JSON frame, whatever its type.
    pub async fn next(&mut self) -> Value {
        loop {
            let frame =
                tokio::time::timeout(Duration::from_secs(10), self.stream.next()).await.expect("a frame within 10 s").expect("the socket is open").unwrap();
            match frame {
                Frame::Text(text) => return serde_json::from_str(&text).unwrap(),
                Frame::Close(_) => return json!({"type": "closed"}),
                _ => continue,
            }
        }
    }

    /// The next frame of `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// The `message` frame with this seq, skipping earlier ones (e.g. one's own messages).
    pub async fn message_with_seq(&mut self, seq: i64) -> Value {
        loop {
            let frame = self.next_of("message").await;
            if frame["seq"].as_i64() >= Some(seq) {
                assert_eq!(frame["seq"], seq, "messages arrive in seq order without skipping: {frame}");
                return frame;
            }
        }
    }

    /// Subscribes from `after_seq`; returns the backlog that arrives before `subscribed`.
    pub async fn subscribe_from(&mut self, conversation_id: i64, after_seq: i64) -> Vec<Value> {
        self.send(json!({"type": "subscribe", "conversation_id": conversation_id, "after_seq": after_seq})).await;
        let mut backlog = Vec::new();
        loop {
            let frame = self.next().await;
            if frame["type"] == "subscribed" {
                return backlog;
            }
            backlog.push(frame);
        }
    }

    /// Every frame that arrives before the answer to a ping: what was already queued.
    pub async fn drain(&mut self) -> Vec<Value> {
        self.send(json!({"type": "ping"})).await;
        let mut frames = Vec::new();
        loop {
            let frame = self.next().await;
            if frame["type"] == "pong" {
                return frames;
            }
            frames.push(frame);
        }
    }
}

fn seqs_of(frames: &[Value]) -> Vec<i64> {
    frames.iter().filter(|f| f["type"] == "message").map(|f| f["seq"].as_i64().unwrap()).collect()
}

async fn learner_and_agent_chat_both_ways_with_acks_after_commit(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner_token, _) = app.learner("L2001").await;
    // A playback problem: tier 1's queue.
    let conversation = app.open_conversation(&learner_token, "视频一直转圈").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let mut agent = Ws::connect(&app, &t1).await;
    let mut learner = Ws::connect(&app, &learner_token).await;
    agent.send(json!({"type": "subscribe", "conversation_id": conversation, "after_seq": 0})).await;
    assert_eq!(seqs_of(&[agent.next_of("message").await]), [1], "the backlog comes first");
    assert_eq!(agent.next_of("subscribed").await["conversation"]["id"], conversation);
    learner.send(json!({"type": "subscribe", "conversation_id": conversation})).await;
    learner.next_of("subscribed").await;

    learner.send(json!({"type": "send", "conversation_id": conversation, "client_id": "w-1", "body": "还在吗？"})).await;
    let ack = learner.next_of("ack").await;
    assert_eq!((ack["client_id"].as_str(), ack["seq"].as_i64()), (Some("w-1"), Some(2)));
    // Acknowledged means committed: the REST API already has it.
    let stored = app.get(&format!("/api/v1/conversations/{conversation}/messages?after_seq=1"), &t1).await.expect(200);
    assert_eq!(stored[0]["body"], "还在吗？");
    let live = agent.next_of("message").await;
    assert_eq!((live["seq"].as_i64(), live["message"]["body"].as_str()), (Some(2), Some("还在吗？")));

    agent.send(json!({"type": "typing", "conversation_id": conversation, "typing": true})).await;
    let typing = learner.next_of("typing").await;
    assert_eq!((typing["who"]["kind"].as_str(), typing["who"]["name"].as_str()), (Some("agent"), Some("Tina 一线")));
    agent.send(json!({"type": "send", "conversation_id": conversation, "client_id": "a-1", "body": "在的，请问您用的是什么设备？"})).await;
    assert_eq!(agent.next_of("ack").await["seq"], 3);
    let reply = learner.next_of("message").await;
    assert_eq!((reply["seq"].as_i64(), reply["message"]["author_kind"].as_str()), (Some(3), Some("agent")));
    learner.send(json!({"type": "read", "conversation_id": conversation, "seq": 3})).await;
    assert_eq!(agent.next_of("read").await["seq"], 3);

    // A message posted over REST reaches both sockets too.
    app.post(&format!("/api/v1/conversations/{conversation}/messages"), &learner_token, json!({"body": "iPhone 13", "client_id": "rest-1"})).await.expect(201);
    assert_eq!(agent.next_of("message").await["seq"], 4);
    assert_eq!(learner.next_of("message").await["seq"], 4);
}

async fn resuming_after_a_seq_delivers_exactly_what_was_missed(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner_token, _) = app.learner("L2002").await;
    let conversation = app.open_conversation(&learner_token, "login fails").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let path = format!("/api/v1/conversations/{conversation}/messages");
    // While the learner is away: three replies and an internal note.
    for (n, internal) in [(1, false), (2, true), (3, false), (4, false)] {
        app.post(&path, &t1, json!({"body": format!("reply {n}"), "client_id": format!("r{n}"), "internal": internal})).await.expect(201);
    }
    let mut learner = Ws::connect(&app, &learner_token).await;
    let frames = learner.subscribe_from(conversation, 2).await;
    assert_eq!(seqs_of(&frames), [4, 5], "seq 3 is an internal note: never sent to the learner");
    // Then live, without repeating anything.
    app.post(&path, &t1, json!({"body": "reply 5", "client_id": "r5"})).await.expect(201);
    assert_eq!(seqs_of(&learner.drain().await), [6]);
}

async fn resending_a_client_id_acks_the_same_message_once(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner_token, _) = app.learner("L2003").await;
    let conversation = app.open_conversation(&learner_token, "refund").await;
    let mut learner = Ws::connect(&app, &learner_token).await;
    learner.send(json!({"type": "subscribe", "conversation_id": conversation})).await;
    learner.next_of("subscribed").await;
    let send = json!({"type": "send", "conversation_id": conversation, "client_id": "once", "body": "please refund"});
    learner.send(send.clone()).await;
    let first = learner.next_of("ack").await;
    // The connection drops; the client reconnects and sends again, unsure it arrived.
    drop(learner);
    let mut learner = Ws::connect(&app, &learner_token).await;
    learner.send(json!({"type": "subscribe", "conversation_id": conversation, "after_seq": 1})).await;
    learner.send(send).await;
    let again = learner.next_of("ack").await;
    assert_eq!(first["message"]["id"], again["message"]["id"]);
    let frames = learner.drain().await;
    assert!(seqs_of(&frames).is_empty(), "nothing new was delivered: {frames:?}");
    let stored = app.get(&format!("/api/v1/conversations/{conversation}/messages"), &learner_token).await.expect(200);
    assert_eq!(stored.as_array().unwrap().len(), 2);
}

async fn sockets_only_carry_what_their_owner_may_see(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (owner_token, owner) = app.learner("L2004").await;
    let (other_token, _) = app.learner("L2005").await;
    let lead = app.login("lead@edudesk.demo").await;
    let tier2 = app.open_conversation_at_tier(&lead, owner, 2).await;
    let mut other = Ws::connect(&app, &other_token).await;
    other.send(json!({"type": "subscribe", "conversation_id": tier2})).await;
    assert_eq!(other.next_of("error").await["status"], 404);
    other.send(json!({"type": "send", "conversation_id": tier2, "client_id": "x", "body": "hi"})).await;
    assert_eq!(other.next_of("nack").await["status"], 404);

    let t1 = app.login("t1@edudesk.demo").await;
    let mut agent_t1 = Ws::connect(&app, &t1).await;
    agent_t1.send(json!({"type": "subscribe", "conversation_id": tier2})).await;
    assert_eq!(agent_t1.next_of("error").await["status"], 403);

    let mut owner_socket = Ws::connect(&app, &owner_token).await;
    app.post(&format!("/api/v1/conversations/{tier2}/messages"), &lead, json!({"body": "note about refund policy", "client_id": "n", "internal": true}))
        .await
        .expect(201);
    app.post(&format!("/api/v1/conversations/{tier2}/messages"), &lead, json!({"body": "We can help", "client_id": "p"})).await.expect(201);
    let owner_frames = owner_socket.drain().await;
    assert_eq!(seqs_of(&owner_frames), [3], "the owner gets the public reply, not the note: {owner_frames:?}");
    assert!(seqs_of(&other.drain().await).is_empty());
    assert!(seqs_of(&agent_t1.drain().await).is_empty());

    // A cookie from another site may not open a socket.
    let url = app.base.replace("http://", "ws://") + "/api/v1/ws";
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    request.headers_mut().insert("cookie", format!("edudesk_session={lead}").parse().unwrap());
    request.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await;
    assert!(matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref response)) if response.status() == 403), "{refused:?}");
}

/// Issue 10.1: a note that follows a message the learner already received (so no gap makes
/// the socket refill from the database) must still stay off the learner's socket.
async fn a_learner_following_the_conversation_never_gets_a_note(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner_token, _) = app.learner("L2010").await;
    let conversation = app.open_conversation(&learner_token, "优惠券用不了").await;
    let lead = app.login("lead@edudesk.demo").await;
    let mut learner = Ws::connect(&app, &learner_token).await;
    learner.send(json!({"type": "subscribe", "conversation_id": conversation})).await;
    learner.next_of("subscribed").await;
    let messages = format!("/api/v1/conversations/{conversation}/messages");
    app.post(&messages, &lead, json!({"body": "您好，我来看看", "client_id": "r1"})).await.expect(201);
    assert_eq!(learner.message_with_seq(2).await["message"]["body"], "您好，我来看看");
    // Over REST and over the agent's own socket: neither reaches the learner.
    app.post(&messages, &lead, json!({"body": "内部：此用户曾多次退款", "client_id": "n1", "internal": true})).await.expect(201);
    let mut agent = Ws::connect(&app, &lead).await;
    agent.send(json!({"type": "subscribe", "conversation_id": conversation})).await;
    agent.next_of("subscribed").await;
    agent.send(json!({"type": "send", "conversation_id": conversation, "client_id": "n2", "body": "内部：查过订单", "internal": true})).await;
    assert_eq!(agent.next_of("ack").await["seq"], 4);
    app.post(&messages, &lead, json!({"body": "已为您处理", "client_id": "r2"})).await.expect(201);
    let frames = learner.drain().await;
    assert_eq!(seqs_of(&frames), [5], "only the public reply reaches the learner: {frames:?}");
    assert!(!frames.iter().any(|frame| frame.to_string().contains("内部")), "{frames:?}");
    // Resuming from the start never replays the notes either.
    let mut again = Ws::connect(&app, &learner_token).await;
    let seen = again.subscribe_from(conversation, 0).await;
    assert_eq!(seqs_of(&seen), [1, 2, 5]);
}

async fn hello_frame_authenticates_and_bad_credentials_are_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner_token, _) = app.learner("L2006").await;
    let url = app.base.replace("http://", "ws://") + "/api/v1/ws";
    let (stream, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
    let mut ws = Ws { stream };
    ws.send(json!({"type": "hello", "token": learner_token})).await;
    assert_eq!(ws.next().await["type"], "welcome");

    let (stream, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
    let mut ws = Ws { stream };
    ws.send(json!({"type": "hello", "token": "forged"})).await;
    assert_eq!(ws.next().await["status"], 401);
    assert_eq!(ws.next().await["type"], "closed");

    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url).unwrap();
    request.headers_mut().insert("authorization", "Bearer forged".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await;
    assert!(matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref response)) if response.status() == 401), "{refused:?}");
}

async fn bad_frames_get_errors_and_the_socket_stays_open(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner_token, _) = app.learner("L2007").await;
    let conversation = app.open_conversation(&learner_token, "coupon").await;
    let mut ws = Ws::connect(&app, &learner_token).await;
    ws.stream.send(Frame::Text("{not json".into())).await.unwrap();
    assert_eq!(ws.next_of("error").await["status"], 400);
    ws.send(json!({"type": "fly"})).await;
    assert_eq!(ws.next_of("error").await["status"], 400);
    ws.send(json!({"type": "send", "conversation_id": conversation, "client_id": "e", "body": "   "})).await;
    let nack = ws.next_of("nack").await;
    assert_eq!((nack["status"].as_i64(), nack["detail"].as_str()), (Some(422), Some("body: must not be empty")));
    ws.send(json!({"type": "send", "conversation_id": conversation, "client_id": "n", "body": "x", "internal": true})).await;
    assert_eq!(ws.next_of("nack").await["status"], 403);
    // A misspelt field is refused (issue 10.13), not silently dropped.
    ws.send(json!({"type": "send", "conversation_id": conversation, "client_id": "typo", "body": "x", "internall": true})).await;
    let refused = ws.next_of("error").await;
    assert!(refused["status"] == 400 && refused["detail"].as_str().unwrap().contains("internall"), "{refused}");
    ws.send(json!({"type": "typing", "conversation_id": conversation, "typing": true})).await;
    assert_eq!(ws.next_of("error").await["status"], 409, "typing needs a subscription");
    ws.send(json!({"type": "send", "conversation_id": conversation, "client_id": "ok", "body": "still here"})).await;
    assert_eq!(ws.next_of("ack").await["seq"], 2);
    let stored = app.get(&format!("/api/v1/conversations/{conversation}/messages"), &learner_token).await.expect(200);
    assert_eq!(stored.as_array().unwrap().len(), 2, "refused frames wrote nothing");
}

async fn revoked_sessions_and_lost_access_end_what_a_socket_carries(backend: TestBackend) {
    let app = TestApp::builder(backend).heartbeat_ms(300).spawn().await;
    let (learner, _) = app.learner("L2008").await;
    let conversation = app.open_conversation(&learner, "I can't log in").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let mut agent = Ws::connect(&app, &t1).await;
    agent.send(json!({"type": "subscribe", "conversation_id": conversation})).await;
    agent.next_of("subscribed").await;

    // Escalated to tier 2: the tier 1 agent's socket stops carrying it, live or refilled.
    let lead = app.login("lead@edudesk.demo").await;
    app.post(&format!("/api/v1/conversations/{conversation}/escalate"), &lead, json!({"to_tier": 2, "reason": "needs tier 2"})).await.expect(200);
    app.post(&format!("/api/v1/conversations/{conversation}/messages"), &lead, json!({"body": "tier 2 internal note", "internal": true})).await.expect(201);
    app.post(&format!("/api/v1/conversations/{conversation}/messages"), &learner, json!({"body": "still waiting"})).await.expect(201);
    let frames = agent.drain().await;
    assert!(seqs_of(&frames).is_empty(), "nothing of a conversation the agent lost: {frames:?}");

    // Logging out ends the socket at the next heartbeat.
    app.call(reqwest::Method::POST, "/api/v1/auth/logout", Some(&t1), None).await.expect(204);
    let error = agent.next_of("error").await;
    assert_eq!(error["status"], 401);
    assert_eq!(agent.next().await["type"], "closed");
}

/// Issue 11: a collaborator pulled in from another team (outside the conversation's tier)
/// has the same rights on the socket as over REST: subscribe with the history, live
/// updates, internal notes sent — and still no public message to the learner.
async fn a_collaborator_outside_the_tier_follows_and_writes_notes_over_the_socket(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.login("admin@edudesk.demo").await;
    let finance = json!({"email": "cfo@edudesk.demo", "password": "finance-pass", "role": "agent", "tier": 1, "teams": ["finance"]});
    app.post("/api/v1/users", &admin, finance).await.expect(201);
    let money = app
        .call(reqwest::Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "cfo@edudesk.demo", "password": "finance-pass"})))
        .await
        .expect(200)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, contact) = app.learner("L2020").await;
    let t3 = app.login("t3@edudesk.demo").await;
    let dispute = app.open_conversation_at_tier(&admin, contact, 3).await;
    let messages = format!("/api/v1/conversations/{dispute}/messages");
    app.post(&messages, &t3, json!({"body": "refund dispute: order 8812", "client_id": "t3-1", "internal": true})).await.expect(201);

    // Before being pulled in: the socket refuses, as REST does.
    let mut socket = Ws::connect(&app, &money).await;
    socket.send(json!({"type": "subscribe", "conversation_id": dispute})).await;
    assert_eq!(socket.next_of("error").await["status"], 403);

    app.post(&format!("/api/v1/conversations/{dispute}/collaborators"), &t3, json!({"team": "finance"})).await.expect(200);
    let history = socket.subscribe_from(dispute, 0).await;
    assert_eq!(seqs_of(&history), [1, 2], "the collaborator gets the history with its notes: {history:?}");

    // Live: tier 3's next note reaches the collaborator's socket.
    app.post(&messages, &t3, json!({"body": "waiting for the bank", "client_id": "t3-2", "internal": true})).await.expect(201);
    assert_eq!(socket.message_with_seq(3).await["message"]["body"], "waiting for the bank");

    // Internal notes are accepted over the socket; a public message is refused.
    socket.send(json!({"type": "send", "conversation_id": dispute, "client_id": "fin-1", "body": "payment reversed on our side", "internal": true})).await;
    assert_eq!(socket.next_of("ack").await["seq"], 4);
    socket.send(json!({"type": "send", "conversation_id": dispute, "client_id": "fin-2", "body": "hello learner"})).await;
    let nack = socket.next_of("nack").await;
    assert_eq!(nack["status"], 403, "{nack}");
    assert!(nack["detail"].as_str().unwrap_or_default().contains("internal notes only"), "{nack}");
}

/// Issue 15.2: the heartbeat rechecks the socket's session in the database. Awaited in the
/// socket's loop, that read held up every frame behind it (under chat load, each heartbeat
/// delayed the learner's next message by 20-50 ms); it now runs beside the traffic. Here the
/// sessions table is locked, so every check hangs: sends are still acknowledged at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_session_check_never_holds_up_the_socket() {
    let Some(backend) = TestBackend::postgres() else { return };
    let app = TestApp::builder(backend).heartbeat_ms(100).configure(|config| config.session_cache_seconds = 0).spawn().await;
    let (learner, _) = app.learner("L2012").await;
    let conversation = app.open_conversation(&learner, "video won't play").await;
    let mut socket = Ws::connect(&app, &learner).await;

    use sqlx::Connection;
    let mut locker = sqlx::AnyConnection::connect(&app.database.url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE").execute(&mut locker).await.unwrap();
    for n in 0..5 {
        // Each round spans at least one heartbeat (the first comes within 150 ms).
        tokio::time::sleep(Duration::from_millis(200)).await;
        socket.send(json!({"type": "send", "conversation_id": conversation, "client_id": format!("while-locked-{n}"), "body": "hello?"})).await;
        let ack = tokio::time::timeout(Duration::from_secs(3), socket.next_of("ack")).await;
        let ack = ack.unwrap_or_else(|_| panic!("send {n} was not acknowledged while the session check hung"));
        assert_eq!(ack["client_id"], format!("while-locked-{n}"));
    }
    sqlx::raw_sql("ROLLBACK").execute(&mut locker).await.unwrap();
    // The checks go through once the lock is gone, and the session still holds.
    socket.send(json!({"type": "send", "conversation_id": conversation, "client_id": "after", "body": "thanks"})).await;
    assert_eq!(socket.next_of("ack").await["client_id"], "after");
    let frames = socket.drain().await;
    assert!(frames.iter().all(|frame| frame["type"] != "error" && frame["type"] != "closed"), "the socket stays open: {frames:?}");
}

/// Issue 15.3: a database outage says nothing about the sessions of open sockets. The
/// heartbeat's session check fails while PostgreSQL refuses connections; the socket must stay
/// open (it used to be told "the session has ended" and closed — a blip signed everyone out),
/// sends are refused with 503 and nothing written, and once the database is back the same
/// send goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_keeps_sockets_open_and_refuses_sends_cleanly() {
    let Some(backend) = TestBackend::postgres() else { return };
    let app = TestApp::builder(backend).heartbeat_ms(150).configure(|config| config.session_cache_seconds = 0).spawn().await;
    let (learner, _) = app.learner("L2011").await;
    let conversation = app.open_conversation(&learner, "video won't play").await;
    let mut socket = Ws::connect(&app, &learner).await;

    app.database.set_reachable(false).await;
    // Several heartbeats pass with the database gone; the socket answers pings throughout.
    let until = tokio::time::Instant::now() + Duration::from_millis(1_200);
    while tokio::time::Instant::now() < until {
        let frames = socket.drain().await;
        assert!(frames.iter().all(|frame| frame["type"] != "error" && frame["type"] != "closed"), "the socket stays open: {frames:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    socket.send(json!({"type": "send", "conversation_id": conversation, "client_id": "during-outage", "body": "hello?"})).await;
    let refused = socket.next_of("nack").await;
    assert_eq!((refused["status"].as_u64(), refused["client_id"].as_str()), (Some(503), Some("during-outage")), "{refused}");
    assert!(!refused["detail"].as_str().unwrap().contains("edudesk_test"), "no database internals reach the client: {refused}");
    // The load balancer's check says so quickly.
    let asked = std::time::Instant::now();
    app.call(reqwest::Method::GET, "/api/v1/ready", None, None).await.expect(503);
    assert!(asked.elapsed() < Duration::from_secs(5), "readiness answers within its own timeout, not the pool's");

    app.database.set_reachable(true).await;
    let mut acked = None;
    for _ in 0..50 {
        socket.send(json!({"type": "send", "conversation_id": conversation, "client_id": "during-outage", "body": "hello?"})).await;
        let answer = loop {
            let frame = socket.next().await;
            if matches!(frame["type"].as_str(), Some("ack" | "nack")) {
                break frame;
            }
        };
        if answer["type"] == "ack" {
            acked = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let acked = acked.expect("the send goes through once the database is back");
    let history = app.get(&format!("/api/v1/conversations/{conversation}/messages"), &learner).await.expect(200);
    let copies = history.as_array().unwrap().iter().filter(|message| message["body"] == "hello?").count();
    assert_eq!(copies, 1, "stored once, as seq {}: {history}", acked["seq"]);
}
