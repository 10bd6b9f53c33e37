//! In-browser calls: ringing, answering and hanging up with their rules, signals relayed to
//! the other participant only, the event log and the conversation's record, missed calls
//! becoming callback tasks, TURN credentials in coturn's shared-secret scheme, and the shared
//! whiteboard's numbered changes.

use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend, eventually},
    realtime::Ws,
};

backend_tests!(
    a_learners_call_is_accepted_and_its_signals_reach_only_the_other_participant,
    unanswered_and_declined_calls_end_cleanly_and_a_learners_missed_call_becomes_a_callback,
    ice_servers_carry_coturn_credentials_that_expire,
    the_whiteboard_numbers_every_change_and_a_late_joiner_gets_the_whole_board,
);

/// The media_call frames up to the one in `state`.
async fn call_state(ws: &mut Ws, state: &str) -> Value {
    loop {
        let frame = ws.next_of("media_call").await;
        if frame["call"]["state"] == state {
            return frame["call"].clone();
        }
    }
}

async fn a_learners_call_is_accepted_and_its_signals_reach_only_the_other_participant(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L2101").await;
    let (other_learner, _) = app.learner("L2102").await;
    let conversation = app.open_conversation(&learner, "视频打不开，能打个电话吗？").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].as_i64().unwrap();
    let mut agent_ws = Ws::connect_to(&app.base, &t1).await;
    let mut lead_ws = Ws::connect_to(&app.base, &lead).await;
    let mut learner_ws = Ws::connect_to(&app.base, &learner).await;

    let calls = format!("/api/v1/conversations/{conversation}/calls");
    assert!(app.post(&calls, &learner, json!({"media": "hologram"})).await.problem(422).contains("voice or video"));
    assert_eq!(app.post(&calls, &other_learner, json!({"media": "voice"})).await.status, 404, "another learner's conversation does not exist for them");
    let call = app.post(&calls, &learner, json!({"media": "video"})).await.expect(201);
    assert_eq!((call["state"].as_str(), call["started_by"].as_str(), call["media"].as_str()), (Some("ringing"), Some("contact"), Some("video")));
    let call_id = call["id"].as_i64().unwrap();
    assert!(app.post(&calls, &t1, json!({"media": "voice"})).await.problem(409).contains("already has a call"), "one live call per conversation");

    // Agents who see the conversation hear it ring; the learner cannot answer their own call.
    assert_eq!(call_state(&mut agent_ws, "ringing").await["id"], call_id);
    assert_eq!(call_state(&mut lead_ws, "ringing").await["id"], call_id);
    assert!(app.post(&format!("/api/v1/calls/{call_id}/accept"), &learner, json!({})).await.problem(409).contains("rung"));
    // Signals wait for an accepted call.
    learner_ws.send(json!({"type": "call_signal", "call_id": call_id, "data": {"description": {"type": "offer", "sdp": "v=0"}}})).await;
    let refused = learner_ws.next_of("error").await;
    assert_eq!((refused["status"].as_i64(), refused["call_id"].as_i64()), (Some(409), Some(call_id)));

    let accepted = app.post(&format!("/api/v1/calls/{call_id}/accept"), &t1, json!({})).await.expect(200);
    assert_eq!((accepted["state"].as_str(), accepted["agent_id"].as_i64()), (Some("accepted"), Some(t1_id)));
    assert!(app.post(&format!("/api/v1/calls/{call_id}/accept"), &lead, json!({})).await.problem(409).contains("accepted"), "answered once");
    assert_eq!(call_state(&mut learner_ws, "accepted").await["agent_id"], t1_id);
    // Whoever picked up has the conversation now.
    assert_eq!(app.get(&format!("/api/v1/conversations/{conversation}"), &lead).await.expect(200)["assignee_id"], t1_id);

    // Signals go to the other participant only: not to the supervisor watching.
    let offer = json!({"description": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}});
    learner_ws.send(json!({"type": "call_signal", "call_id": call_id, "data": offer})).await;
    let relayed = agent_ws.next_of("call_signal").await;
    assert_eq!((relayed["call_id"].as_i64(), &relayed["data"], relayed["from"]["kind"].as_str()), (Some(call_id), &offer, Some("contact")));
    let candidate = json!({"candidate": {"candidate": "candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host", "sdpMid": "0"}});
    agent_ws.send(json!({"type": "call_signal", "call_id": call_id, "data": candidate})).await;
    assert_eq!(learner_ws.next_of("call_signal").await["data"], candidate);
    assert!(!lead_ws.drain().await.iter().any(|frame| frame["type"] == "call_signal"), "a third party never sees a call's signals");
    lead_ws.send(json!({"type": "call_signal", "call_id": call_id, "data": offer})).await;
    assert_eq!(lead_ws.next_of("error").await["status"], 403, "only the two people in the call signal");
    // Bad signals get clear errors and the socket stays open.
    for (data, status) in [(json!("offer"), 400), (json!({}), 400), (json!({"sdp": "x"}), 400), (json!({"candidate": "x".repeat(40_000)}), 413)] {
        agent_ws.send(json!({"type": "call_signal", "call_id": call_id, "data": data})).await;
        assert_eq!(agent_ws.next_of("error").await["status"], status, "{data}");
    }
    agent_ws.send(json!({"type": "call_signal", "call_id": 999_999, "data": offer})).await;
    assert_eq!(agent_ws.next_of("error").await["status"], 404);

    // A third party cannot hang up; the learner can, and the call is over for good.
    assert_eq!(app.post(&format!("/api/v1/calls/{call_id}/hangup"), &lead, json!({})).await.status, 403);
    let ended = app.post(&format!("/api/v1/calls/{call_id}/hangup"), &learner, json!({})).await.expect(200);
    assert_eq!((ended["state"].as_str(), ended["end_reason"].as_str()), (Some("ended"), Some("hangup")));
    assert!(ended["duration_seconds"].as_i64().is_some_and(|seconds| seconds >= 0));
    assert_eq!(call_state(&mut agent_ws, "ended").await["id"], call_id);
    assert!(app.post(&format!("/api/v1/calls/{call_id}/hangup"), &t1, json!({})).await.problem(409).contains("ended"));

    // The record: the call on the conversation, every state in the event log, a line for both.
    let listed = app.get(&calls, &learner).await.expect(200);
    assert_eq!(listed.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect::<Vec<_>>(), vec![call_id]);
    assert_eq!(app.get(&calls, &other_learner).await.status, 404);
    let events = app.get(&format!("/api/v1/conversations/{conversation}/events"), &lead).await.expect(200);
    let states: Vec<&str> = events.as_array().unwrap().iter().filter(|e| e["kind"] == "call").map(|e| e["data"]["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["ringing", "accepted", "ended"]);
    let messages = app.get(&format!("/api/v1/conversations/{conversation}/messages"), &learner).await.expect(200);
    assert!(messages.as_array().unwrap().iter().any(|m| m["author_kind"] == "system" && m["body"].as_str().unwrap().contains("video call ·")), "{messages}");
    // A new call may ring once the last one is over.
    app.post(&calls, &t1, json!({"media": "voice"})).await.expect(201);
}

async fn unanswered_and_declined_calls_end_cleanly_and_a_learners_missed_call_becomes_a_callback(backend: TestBackend) {
    let app = TestApp::builder(backend).configure(|config| config.call_ring_seconds = 5).spawn().await;
    let (learner, _) = app.learner("L2103").await;
    let conversation = app.open_conversation(&learner, "课程视频黑屏").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let lead = app.login("lead@edudesk.demo").await;
    let calls = format!("/api/v1/conversations/{conversation}/calls");
    let callbacks = async || {
        let tasks = app.get("/api/v1/tasks?assignee=all", &lead).await.expect(200);
        tasks.as_array().unwrap().iter().filter(|t| t["conversation_id"] == conversation && t["kind"] == "callback").count()
    };
    assert_eq!(callbacks().await, 0);

    // The agent rings, the learner declines: no callback (the learner said no).
    let call = app.post(&calls, &t1, json!({"media": "voice"})).await.expect(201);
    let id = call["id"].as_i64().unwrap();
    assert!(
        app.post(&format!("/api/v1/calls/{id}/accept"), &lead, json!({})).await.problem(409).contains("rung"),
        "another agent cannot take the agent's own call"
    );
    let declined = app.post(&format!("/api/v1/calls/{id}/decline"), &learner, json!({})).await.expect(200);
    assert_eq!(declined["state"], "declined");
    assert_eq!(callbacks().await, 0);

    // The learner rings and gives up: a missed call, and a callback task.
    let id = app.post(&calls, &learner, json!({"media": "video"})).await.expect(201)["id"].as_i64().unwrap();
    let cancelled = app.post(&format!("/api/v1/calls/{id}/hangup"), &learner, json!({})).await.expect(200);
    assert_eq!((cancelled["state"].as_str(), cancelled["end_reason"].as_str()), (Some("missed"), Some("cancelled")));
    assert_eq!(callbacks().await, 1);

    // The learner rings and nobody answers: missed when the ring times out.
    let id = app.post(&calls, &learner, json!({"media": "voice"})).await.expect(201)["id"].as_i64().unwrap();
    let missed = eventually("the ring to time out", async || {
        let listed = app.get(&calls, &learner).await.expect(200);
        listed.as_array().unwrap().iter().find(|c| c["id"] == id && c["state"] == "missed").cloned()
    })
    .await;
    assert_eq!(missed["end_reason"], "no_answer");
    assert_eq!(missed["duration_seconds"], Value::Null, "a call never connected has no duration");
    assert_eq!(callbacks().await, 2);
    assert!(app.post(&format!("/api/v1/calls/{id}/accept"), &t1, json!({})).await.problem(409).contains("missed"), "too late to answer");

    // A closed conversation takes no calls.
    app.patch(&format!("/api/v1/conversations/{conversation}"), &lead, json!({"status": "resolved"})).await.expect(200);
    app.patch(&format!("/api/v1/conversations/{conversation}"), &lead, json!({"status": "closed"})).await.expect(200);
    assert!(app.post(&calls, &learner, json!({"media": "voice"})).await.problem(409).contains("closed"));
}

async fn ice_servers_carry_coturn_credentials_that_expire(backend: TestBackend) {
    let plain = TestApp::spawn(backend.clone()).await;
    let (learner, _) = plain.learner("L2104").await;
    let ice = plain.get("/api/v1/calls/ice-servers", &learner).await.expect(200);
    assert_eq!((ice["ice_servers"].as_array().map(Vec::len), ice["ice_transport_policy"].as_str()), (Some(0), Some("all")));
    assert_eq!(plain.call(reqwest::Method::GET, "/api/v1/calls/ice-servers", None, None).await.status, 401);

    let app = TestApp::builder(backend)
        .configure(|config| {
            config.stun_urls = vec!["stun:turn.example.com:3478".to_owned()];
            config.turn_urls = vec!["turn:turn.example.com:3478?transport=udp".to_owned(), "turns:turn.example.com:5349".to_owned()];
            config.turn_secret = Some(edudesk::config::Secret::new("coturn-shared-secret"));
            config.turn_ttl_seconds = 600;
            config.call_relay_only = true;
        })
        .spawn()
        .await;
    let (learner, contact_id) = app.learner("L2104").await;
    let ice = app.get("/api/v1/calls/ice-servers", &learner).await.expect(200);
    assert_eq!(ice["ice_transport_policy"], "relay");
    assert_eq!(ice["ice_servers"][0], json!({"urls": ["stun:turn.example.com:3478"]}));
    let turn = &ice["ice_servers"][1];
    assert_eq!(turn["urls"], json!(["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"]));
    let username = turn["username"].as_str().unwrap();
    let (expires, who) = username.split_once(':').unwrap();
    assert_eq!(who, format!("contact-{contact_id}"));
    let now = chrono::Utc::now().timestamp();
    assert!((now + 590..=now + 610).contains(&expires.parse::<i64>().unwrap()), "valid for the configured 600 s: {username}");
    assert_eq!(turn["credential"], edudesk::crypto::turn_password("coturn-shared-secret", username));
    let staff = app.get("/api/v1/calls/ice-servers", &app.login("t1@edudesk.demo").await).await.expect(200);
    assert!(staff["ice_servers"][1]["username"].as_str().unwrap().contains(":agent-"));
    assert!(!format!("{ice}").contains("coturn-shared-secret"), "the secret itself never leaves the server");
}

/// The `board` frames up to (and including) the one numbered `seq`.
async fn board_change(ws: &mut Ws, seq: i64) -> Value {
    loop {
        let frame = ws.next_of("board").await;
        if frame["seq"].as_i64() == Some(seq) {
            return frame;
        }
    }
}

async fn the_whiteboard_numbers_every_change_and_a_late_joiner_gets_the_whole_board(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L2105").await;
    let (other_learner, _) = app.learner("L2106").await;
    let conversation = app.open_conversation(&learner, "优惠券在哪里输入？画给我看看").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let lead = app.login("lead@edudesk.demo").await;
    let mut learner_ws = Ws::connect_to(&app.base, &learner).await;
    let mut agent_ws = Ws::connect_to(&app.base, &t1).await;
    // Drawing needs a subscription (that is how the changes reach the page).
    learner_ws.send(json!({"type": "board_join", "conversation_id": conversation})).await;
    assert_eq!(learner_ws.next_of("error").await["status"], 409);
    learner_ws.subscribe_from(conversation, 0).await;
    agent_ws.subscribe_from(conversation, 0).await;
    learner_ws.send(json!({"type": "board_join", "conversation_id": conversation})).await;
    let empty = learner_ws.next_of("board_state").await;
    assert_eq!((empty["seq"].as_i64(), empty["elements"].as_array().map(Vec::len)), (Some(0), Some(0)));

    let stroke = json!({"type": "stroke", "points": [[10.0, 10.0], [200.5, 80.0]], "color": "#1D4ED8", "width": 4.0});
    learner_ws.send(json!({"type": "board_op", "conversation_id": conversation, "op": {"kind": "put", "id": "s1", "element": stroke}})).await;
    let seen = board_change(&mut agent_ws, 1).await;
    assert_eq!(
        (seen["op"]["id"].as_str(), seen["op"]["element"]["color"].as_str(), seen["from"]["kind"].as_str()),
        (Some("s1"), Some("#1d4ed8"), Some("contact"))
    );
    assert_eq!(board_change(&mut learner_ws, 1).await["op"]["kind"], "put", "the author gets its own change back, numbered");
    let rect = json!({"type": "rect", "x": 100.0, "y": 100.0, "w": 300.0, "h": 120.0, "color": "#dc2626", "width": 3.0});
    agent_ws.send(json!({"type": "board_op", "conversation_id": conversation, "op": {"kind": "put", "id": "r1", "element": rect}})).await;
    agent_ws.send(json!({"type": "board_op", "conversation_id": conversation, "op": {"kind": "delete", "id": "s1"}})).await;
    assert_eq!(board_change(&mut learner_ws, 3).await["op"], json!({"kind": "delete", "id": "s1"}));
    // A pointer is relayed, not numbered, not stored.
    agent_ws.send(json!({"type": "board_op", "conversation_id": conversation, "op": {"kind": "pointer", "x": 50.0, "y": 60.0}})).await;
    let pointer = learner_ws.next_of("board").await;
    assert_eq!((pointer["seq"].clone(), pointer["op"]["kind"].as_str()), (Value::Null, Some("pointer")));

    // Bad changes are refused with the reason; nothing is stored.
    for op in [
        json!({"kind": "put", "id": "x1", "element": {"type": "stroke", "points": [[1.0, 1.0]], "color": "red", "width": 2.0}}),
        json!({"kind": "put", "id": "bad id!", "element": stroke}),
        json!({"kind": "put", "id": "x2", "element": {"type": "stroke", "points": [], "color": "#000000", "width": 2.0}}),
        json!({"kind": "put", "id": "x3", "element": {"type": "text", "x": 1.0, "y": 1.0, "text": "长".repeat(501), "color": "#000000", "size": 20.0}}),
        json!({"kind": "put", "id": "x4", "element": {"type": "script", "src": "evil.js"}}),
        json!({"kind": "erase_everything"}),
        json!({"kind": "put", "id": "x5", "element": rect, "extra": 1}),
    ] {
        learner_ws.send(json!({"type": "board_op", "conversation_id": conversation, "op": op})).await;
        let refused = learner_ws.next_of("error").await;
        assert_eq!((refused["status"].as_i64(), refused["board"].as_i64()), (Some(400), Some(conversation)), "{op}: {refused}");
    }

    // A late joiner (the supervisor) and the REST view get the whole board at its number.
    let board = app.get(&format!("/api/v1/conversations/{conversation}/board"), &lead).await.expect(200);
    assert_eq!(board["seq"], 3);
    assert_eq!(
        board["elements"].as_array().unwrap().iter().map(|e| (e["id"].as_str().unwrap(), e["seq"].as_i64().unwrap())).collect::<Vec<_>>(),
        vec![("r1", 2)]
    );
    assert_eq!(board["elements"][0]["element"], rect);
    assert_eq!(app.get(&format!("/api/v1/conversations/{conversation}/board"), &other_learner).await.status, 404);

    // Both draw at once: every change is numbered once, and the pages hear all of them.
    for i in 0..15 {
        let element = json!({"type": "line", "from": [i as f64, 0.0], "to": [i as f64, 500.0], "color": "#16a34a", "width": 2.0});
        learner_ws.send(json!({"type": "board_op", "conversation_id": conversation, "op": {"kind": "put", "id": format!("l{i}"), "element": element}})).await;
        agent_ws.send(json!({"type": "board_op", "conversation_id": conversation, "op": {"kind": "put", "id": format!("a{i}"), "element": element}})).await;
    }
    for ws in [&mut learner_ws, &mut agent_ws] {
        let mut numbers = Vec::new();
        while numbers.len() < 30 {
            let frame = ws.next_of("board").await;
            if let Some(seq) = frame["seq"].as_i64().filter(|seq| *seq > 3) {
                numbers.push(seq);
            }
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (4..34).collect::<Vec<_>>(), "each change numbered once, none lost");
    }
    let board = app.get(&format!("/api/v1/conversations/{conversation}/board"), &learner).await.expect(200);
    assert_eq!((board["seq"].as_i64(), board["elements"].as_array().map(Vec::len)), (Some(33), Some(31)));

    // Clear removes what came before it; drawing goes on after it.
    agent_ws.send(json!({"type": "board_op", "conversation_id": conversation, "op": {"kind": "clear"}})).await;
    assert_eq!(board_change(&mut learner_ws, 34).await["op"]["kind"], "clear");
    let text = json!({"type": "text", "x": 20.0, "y": 40.0, "text": "<script>alert(1)</script> 点这里", "color": "#111827", "size": 32.0});
    learner_ws.send(json!({"type": "board_op", "conversation_id": conversation, "op": {"kind": "put", "id": "t1", "element": text}})).await;
    board_change(&mut agent_ws, 35).await;
    learner_ws.send(json!({"type": "board_join", "conversation_id": conversation})).await;
    let state = learner_ws.next_of("board_state").await;
    assert_eq!(state["seq"], 35);
    assert_eq!(state["elements"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect::<Vec<_>>(), vec!["t1"]);
    assert_eq!(state["elements"][0]["element"]["text"], "<script>alert(1)</script> 点这里", "stored as text, drawn as text on a canvas");
}
