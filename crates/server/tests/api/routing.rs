//! The service pyramid: categories to tiers, auto-assignment (online, capacity, oldest
//! first), live queues, escalation and de-escalation with their reasons in the log.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(
    new_conversations_go_to_an_online_agent_of_their_tier,
    capacity_and_age_decide_who_waits,
    escalation_moves_tiers_with_reasons_and_history,
    tier_3_pulls_in_another_team_for_internal_notes
);

async fn user_id(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/auth/me", token).await.expect(200)["user"]["id"].as_i64().unwrap()
}

async fn presence(app: &TestApp, token: &str, presence: &str) {
    app.call(Method::PUT, "/api/v1/presence", Some(token), Some(json!({"presence": presence}))).await.expect(200);
}

/// Waits until a conversation's assignee is `expected` (background sweeps run after the answer).
async fn wait_for_assignee(app: &TestApp, token: &str, conversation: i64, expected: Value) -> Value {
    crate::helpers::eventually(&format!("conversation {conversation} assigned to {expected}"), async || {
        let current = app.get(&format!("/api/v1/conversations/{conversation}"), token).await.expect(200);
        (current["assignee_id"] == expected).then_some(current)
    })
    .await
}

async fn new_conversations_go_to_an_online_agent_of_their_tier(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L4001").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t2 = app.login("t2@edudesk.demo").await;
    let (t1_id, t2_id) = (user_id(&app, &t1).await, user_id(&app, &t2).await);
    presence(&app, &t2, "online").await;

    let crash = app.post("/api/v1/conversations", &learner, json!({"channel": "widget", "message": {"body": "App 一打开就闪退"}})).await.expect(201);
    assert_eq!((crash["category"].as_str(), crash["tier"].as_i64()), (Some("app_fault"), Some(2)), "keyword rules found the category");
    assert_eq!(crash["assignee_id"], t2_id, "the online tier 2 agent got it at once");

    // Nobody of tier 1 is online: the coupon question waits in tier 1's queue.
    let coupon = app.post("/api/v1/conversations", &learner, json!({"channel": "widget", "message": {"body": "My coupon won't apply"}})).await.expect(201);
    assert_eq!((coupon["tier"].as_i64(), coupon["assignee_id"].clone()), (Some(1), Value::Null));
    let lead = app.login("lead@edudesk.demo").await;
    let queues = app.get("/api/v1/queues", &lead).await.expect(200);
    assert_eq!(queues[0]["tier"], 1);
    assert!(queues[0]["waiting"].as_i64().unwrap() >= 1, "{queues}");
    assert!(queues[0]["oldest_conversation_id"].is_i64());
    assert_eq!(queues[1]["agents_online"], 1);
    let t1_queues = app.get("/api/v1/queues", &t1).await.expect(200);
    assert_eq!(t1_queues.as_array().unwrap().len(), 1, "a tier 1 agent sees only tier 1's queue");

    // Away agents get nothing; coming online brings the waiting work.
    presence(&app, &t1, "away").await;
    assert_eq!(app.get(&format!("/api/v1/conversations/{}", coupon["id"]), &lead).await.expect(200)["assignee_id"], Value::Null);
    presence(&app, &t1, "online").await;
    wait_for_assignee(&app, &lead, coupon["id"].as_i64().unwrap(), json!(t1_id)).await;
    let events = app.get(&format!("/api/v1/conversations/{}/events", coupon["id"]), &lead).await.expect(200);
    assert!(events.as_array().unwrap().iter().any(|e| e["kind"] == "assigned" && e["data"]["auto"] == true));
}

async fn capacity_and_age_decide_who_waits(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.login("admin@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t1_id = user_id(&app, &t1).await;
    app.patch(&format!("/api/v1/users/{t1_id}"), &admin, json!({"max_concurrent": 1})).await.expect(200);
    let (learner, _) = app.learner("L4002").await;
    // Three coupon questions wait while tier 1 is offline; the demo's own tier 1 one is older still.
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(app.post("/api/v1/conversations", &learner, json!({"channel": "widget", "message": {"body": format!("coupon question {n}")}})).await.expect(201)["id"].as_i64().unwrap());
    }
    let demo_coupon = 2;
    presence(&app, &t1, "online").await;
    wait_for_assignee(&app, &t1, demo_coupon, json!(t1_id)).await;
    for id in &ids {
        assert_eq!(app.get(&format!("/api/v1/conversations/{id}"), &admin).await.expect(200)["assignee_id"], Value::Null, "capacity 1: the rest wait");
    }
    // Resolving frees the place: the oldest waiting one comes next.
    app.patch(&format!("/api/v1/conversations/{demo_coupon}"), &t1, json!({"status": "resolved"})).await.expect(200);
    wait_for_assignee(&app, &admin, ids[0], json!(t1_id)).await;
    assert_eq!(app.get(&format!("/api/v1/conversations/{}", ids[1]), &admin).await.expect(200)["assignee_id"], Value::Null);
}

async fn escalation_moves_tiers_with_reasons_and_history(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L4003").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t2 = app.login("t2@edudesk.demo").await;
    let lead = app.login("lead@edudesk.demo").await;
    // A category without a SOP (SOP categories need their answers first: see sops.rs).
    let id =
        app.post("/api/v1/conversations", &learner, json!({"channel": "widget", "message": {"body": "My certificate shows the wrong name"}})).await.expect(201)
            ["id"]
            .as_i64()
            .unwrap();
    app.post(&format!("/api/v1/conversations/{id}/messages"), &t1, json!({"body": "Which device do you use?"})).await.expect(201);
    let path = format!("/api/v1/conversations/{id}/escalate");

    app.post(&path, &t1, json!({"to_tier": 2, "reason": "  "})).await.problem(422);
    app.post(&path, &t1, json!({"to_tier": 2})).await.problem(422);
    let detail = app.post(&path, &t1, json!({"to_tier": 3, "reason": "skip a tier"})).await.problem(403);
    assert!(detail.contains("one tier at a time"), "{detail}");
    app.post(&path, &learner, json!({"to_tier": 2, "reason": "me"})).await.problem(403);
    app.post(&path, &t1, json!({"to_tier": 1, "reason": "same"})).await.problem(409);

    let moved = app.post(&path, &t1, json!({"to_tier": 2, "reason": "account locked by a sync bug", "note": "device: iPhone 13, app 3.2.1"})).await.expect(200);
    assert_eq!((moved["tier"].as_i64(), moved["assignee_id"].clone()), (Some(2), Value::Null));
    app.get(&format!("/api/v1/conversations/{id}"), &t1).await.problem(403);
    let messages = app.get(&format!("/api/v1/conversations/{id}/messages"), &t2).await.expect(200);
    assert_eq!(messages.as_array().unwrap().len(), 2, "the whole history moved with it");

    // Tier 2 sends it back down; a supervisor may move it anywhere.
    app.post(&path, &t2, json!({"to_tier": 1, "reason": "not a bug: password reset needed"})).await.expect(200);
    app.post(&path, &lead, json!({"to_tier": 3, "reason": "systemic: several learners report it"})).await.expect(200);
    let events = app.get(&format!("/api/v1/conversations/{id}/events"), &lead).await.expect(200);
    let moves: Vec<(i64, i64, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "escalated")
        .map(|e| (e["data"]["from_tier"].as_i64().unwrap(), e["data"]["to_tier"].as_i64().unwrap(), e["data"]["direction"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(moves, [(1, 2, "up".to_owned()), (2, 1, "down".to_owned()), (1, 3, "up".to_owned())]);
    let first = events.as_array().unwrap().iter().find(|e| e["kind"] == "escalated").unwrap();
    assert_eq!(
        (first["data"]["reason"].as_str(), first["data"]["note"].as_str()),
        (Some("account locked by a sync bug"), Some("device: iPhone 13, app 3.2.1"))
    );
    let learner_view = app.get(&format!("/api/v1/conversations/{id}/events"), &learner).await.expect(200);
    assert!(learner_view.as_array().unwrap().iter().all(|e| e["kind"] != "escalated"), "escalation notes are for staff");
}

async fn tier_3_pulls_in_another_team_for_internal_notes(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.login("admin@edudesk.demo").await;
    let finance = json!({"email": "cfo@edudesk.demo", "password": "finance-pass", "role": "agent", "tier": 1, "teams": ["finance"]});
    app.post("/api/v1/users", &admin, finance).await.expect(201);
    let money =
        app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "cfo@edudesk.demo", "password": "finance-pass"}))).await.expect(200)["token"]
            .as_str()
            .unwrap()
            .to_owned();
    let (learner, contact) = app.learner("L4004").await;
    let t3 = app.login("t3@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let dispute = app.open_conversation_at_tier(&admin, contact, 3).await;
    let path = format!("/api/v1/conversations/{dispute}");
    app.post(&format!("{path}/messages"), &t3, json!({"body": "refund dispute: order 8812", "internal": true})).await.expect(201);

    app.get(&path, &money).await.problem(403);
    app.post(&format!("{path}/collaborators"), &t3, json!({"team": "nobody"})).await.problem(404);
    let added = app.post(&format!("{path}/collaborators"), &t3, json!({"team": "finance"})).await.expect(200);
    assert_eq!(added["user_ids"].as_array().unwrap().len(), 1);

    app.get(&path, &money).await.expect(200);
    let messages = app.get(&format!("{path}/messages"), &money).await.expect(200);
    assert!(messages.as_array().unwrap().iter().any(|m| m["internal"] == true), "collaborators read internal notes");
    app.post(&format!("{path}/messages"), &money, json!({"body": "payment reversed on our side", "internal": true})).await.expect(201);
    let detail = app.post(&format!("{path}/messages"), &money, json!({"body": "hello learner"})).await.problem(403);
    assert!(detail.contains("internal notes only"), "{detail}");
    app.patch(&path, &money, json!({"status": "resolved"})).await.problem(403);
    app.get(&path, &t1).await.problem(403);
    let learner_view = app.get(&format!("{path}/messages"), &learner).await.expect(200);
    assert_eq!(learner_view.as_array().unwrap().len(), 1, "the learner sees none of the notes");

    // Only tier 3 work pulls in other teams (or a supervisor).
    let tier1 = app.open_conversation(&learner, "hello").await;
    app.post(&format!("/api/v1/conversations/{tier1}/collaborators"), &t1, json!({"team": "finance"})).await.problem(403);
}
