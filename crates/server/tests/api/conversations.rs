//! Conversations: creation, listing with filters, the status lifecycle, and the event log.

use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(
    learner_creates_and_reads_their_own,
    creating_again_with_the_same_client_id_returns_the_same_conversation,
    staff_create_on_behalf_of_a_contact,
    list_filters_by_status_tier_and_assignee,
    status_changes_follow_the_lifecycle_and_are_logged,
    illegal_changes_are_409_and_change_nothing,
    assignment_is_logged_and_checks_the_assignee,
    learners_see_only_public_events,
    a_batch_of_openings_is_one_commit_and_resent_ones_answer_what_was_stored,
    concurrent_openings_are_all_stored_once,
);

async fn learner_creates_and_reads_their_own(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    // A learner new to EduDesk (the demo learners already have conversations).
    let (token, contact_id) = app.learner("L2001").await;
    let urgent = json!({"channel": "widget", "priority": "urgent", "message": {"body": "me first", "client_id": "c-0"}});
    let detail = app.post("/api/v1/conversations", &token, urgent).await.problem(403);
    assert!(detail.contains("priority"), "learners do not set their own priority: {detail}");
    let body = json!({"channel": "widget", "subject": "视频无法播放", "category": "playback", "message": {"body": "第三课的视频一直转圈", "client_id": "c-1"}});
    let created = app.post("/api/v1/conversations", &token, body).await.expect(201);
    assert_eq!(created["status"], "open");
    assert_eq!(created["tier"], 1, "playback starts in tier 1, where the video SOP runs");
    assert_eq!(created["priority"], "normal");
    assert_eq!(created["category"], "playback");
    assert_eq!(created["channel"], "widget");
    assert_eq!(created["contact_id"], contact_id);
    assert_eq!(created["assignee_id"], Value::Null);
    assert_eq!(created["last_seq"], 1);
    assert_eq!(created["message"]["seq"], 1);
    assert_eq!(created["message"]["author_kind"], "contact");
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'), "times are UTC");

    let id = created["id"].as_i64().unwrap();
    let fetched = app.get(&format!("/api/v1/conversations/{id}"), &token).await.expect(200);
    assert_eq!(fetched["subject"], "视频无法播放");
    let mine = app.get("/api/v1/conversations", &token).await.expect(200);
    let ids: Vec<i64> = mine.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![id], "a learner lists only their own conversations, not the demo's others");
}

async fn creating_again_with_the_same_client_id_returns_the_same_conversation(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (token, _) = app.learner("L2002").await;
    let body = json!({"channel": "widget", "message": {"body": "coupon not applying", "client_id": "retry-me"}});
    let first = app.post("/api/v1/conversations", &token, body.clone()).await.expect(201);
    let retry = app.post("/api/v1/conversations", &token, body).await;
    assert_eq!(retry.headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let retry = retry.expect(201);
    assert_eq!(first["id"], retry["id"]);
    assert_eq!(first["message"]["id"], retry["message"]["id"]);
    assert_eq!(app.get("/api/v1/conversations", &token).await.expect(200).as_array().unwrap().len(), 1);

    // Ten identical creations at the same time still make one conversation.
    let app = std::sync::Arc::new(app);
    let racing = json!({"channel": "widget", "message": {"body": "double click", "client_id": "race"}});
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (app, token, body) = (app.clone(), token.clone(), racing.clone());
            tokio::spawn(async move { app.post("/api/v1/conversations", &token, body).await.expect(201)["id"].as_i64().unwrap() })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one conversation for one client id: {ids:?}");
    assert_eq!(app.get("/api/v1/conversations", &token).await.expect(200).as_array().unwrap().len(), 2);
}

async fn staff_create_on_behalf_of_a_contact(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (_, contact_id) = app.learner("L1001").await;
    let lead = app.login("lead@edudesk.demo").await;
    let without_contact = json!({"channel": "phone", "message": {"body": "called about a refund", "client_id": "p-1"}});
    let detail = app.post("/api/v1/conversations", &lead, without_contact).await.problem(422);
    assert!(detail.contains("contact_id"), "{detail}");
    let unknown_contact = json!({"channel": "phone", "contact_id": 999_999, "message": {"body": "x", "client_id": "p-2"}});
    app.post("/api/v1/conversations", &lead, unknown_contact).await.problem(422);

    let created = app
        .post("/api/v1/conversations", &lead, json!({"channel": "phone", "contact_id": contact_id, "tier": 3, "category": "refund_dispute", "message": {"body": "wants a refund", "client_id": "p-3"}}))
        .await
        .expect(201);
    assert_eq!(created["tier"], 3);
    assert_eq!(created["message"]["author_kind"], "agent");

    let t1 = app.login("t1@edudesk.demo").await;
    let above = json!({"channel": "phone", "contact_id": contact_id, "tier": 2, "message": {"body": "x", "client_id": "p-4"}});
    app.post("/api/v1/conversations", &t1, above).await.problem(403);
}

fn ids(list: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = list.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    ids.sort();
    ids
}

async fn list_filters_by_status_tier_and_assignee(backend: TestBackend) {
    // The demo has two conversations: a tier 2 one, then a tier 1 one.
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].as_i64().unwrap();
    let all = app.get("/api/v1/conversations", &lead).await.expect(200);
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (tier2, tier1) = (all[1]["id"].as_i64().unwrap(), all[0]["id"].as_i64().unwrap());
    assert_eq!(all[1]["tier"], 2);

    assert_eq!(ids(&app.get("/api/v1/conversations?tier=2", &lead).await.expect(200)), vec![tier2]);
    assert_eq!(ids(&app.get("/api/v1/conversations", &t1).await.expect(200)), vec![tier1], "tier 1 agents do not see tier 2 work");

    app.patch(&format!("/api/v1/conversations/{tier1}"), &lead, json!({"assignee_id": t1_id, "status": "pending"})).await.expect(200);
    assert_eq!(ids(&app.get("/api/v1/conversations?assignee=me", &t1).await.expect(200)), vec![tier1]);
    assert_eq!(ids(&app.get(&format!("/api/v1/conversations?assignee={t1_id}"), &lead).await.expect(200)), vec![tier1]);
    assert_eq!(ids(&app.get("/api/v1/conversations?assignee=none", &lead).await.expect(200)), vec![tier2]);
    assert_eq!(ids(&app.get("/api/v1/conversations?status=pending", &lead).await.expect(200)), vec![tier1]);
    assert_eq!(ids(&app.get("/api/v1/conversations?status=open&tier=", &lead).await.expect(200)), vec![tier2]);
    assert_eq!(ids(&app.get("/api/v1/conversations?limit=1", &lead).await.expect(200)).len(), 1);
    assert_eq!(ids(&app.get(&format!("/api/v1/conversations?before={tier1}"), &lead).await.expect(200)), vec![tier2]);
}

async fn status_changes_follow_the_lifecycle_and_are_logged(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1001").await;
    let id = app.open_conversation(&learner, "login fails").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let path = format!("/api/v1/conversations/{id}");
    for status in ["pending", "open", "resolved"] {
        assert_eq!(app.patch(&path, &t1, json!({"status": status})).await.expect(200)["status"], status);
    }
    let resolved = app.get(&path, &t1).await.expect(200);
    assert!(resolved["resolved_at"].is_string());
    // Reopen, resolve again, close.
    assert_eq!(app.patch(&path, &t1, json!({"status": "open"})).await.expect(200)["resolved_at"], Value::Null);
    app.patch(&path, &t1, json!({"status": "resolved"})).await.expect(200);
    let closed = app.patch(&path, &t1, json!({"status": "closed"})).await.expect(200);
    assert!(closed["closed_at"].is_string() && closed["resolved_at"].is_string());
    // The same status again is a no-op, not an error and not an event.
    app.patch(&path, &t1, json!({"status": "closed"})).await.expect(200);

    let events = app.get(&format!("{path}/events"), &t1).await.expect(200);
    let changes: Vec<(String, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "status_changed")
        .map(|e| (e["data"]["from"].as_str().unwrap().to_owned(), e["data"]["to"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [("open", "pending"), ("pending", "open"), ("open", "resolved"), ("resolved", "open"), ("open", "resolved"), ("resolved", "closed")];
    assert_eq!(changes, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert_eq!(events[0]["kind"], "created");
}

async fn illegal_changes_are_409_and_change_nothing(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1001").await;
    let id = app.open_conversation(&learner, "refund please").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let path = format!("/api/v1/conversations/{id}");
    let events_before = app.get(&format!("{path}/events"), &t1).await.expect(200);

    let detail = app.patch(&path, &t1, json!({"status": "closed", "priority": "urgent"})).await.problem(409);
    assert_eq!(detail, "a conversation cannot go from open to closed");
    let after = app.get(&path, &t1).await.expect(200);
    assert_eq!(after["status"], "open");
    assert_eq!(after["priority"], "normal", "a refused change writes none of its parts");
    assert_eq!(app.get(&format!("{path}/events"), &t1).await.expect(200), events_before);

    app.patch(&path, &t1, json!({"status": "resolved"})).await.expect(200);
    app.patch(&path, &t1, json!({"status": "closed"})).await.expect(200);
    for status in ["open", "pending", "resolved"] {
        app.patch(&path, &t1, json!({"status": status})).await.problem(409);
    }
    let detail = app.post(&format!("{path}/messages"), &learner, json!({"body": "hello?", "client_id": "late"})).await.problem(409);
    assert!(detail.contains("closed"), "{detail}");
}

async fn assignment_is_logged_and_checks_the_assignee(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1002").await;
    let id = app.open_conversation(&learner, "hello there").await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].clone();
    let path = format!("/api/v1/conversations/{id}");

    app.patch(&path, &lead, json!({"assignee_id": 424_242})).await.problem(422);
    assert_eq!(app.patch(&path, &lead, json!({"assignee_id": t1_id, "priority": "high", "category": "coupon"})).await.expect(200)["assignee_id"], t1_id);
    assert_eq!(app.patch(&path, &lead, json!({"assignee_id": null})).await.expect(200)["assignee_id"], Value::Null);

    let kinds: Vec<String> =
        app.get(&format!("{path}/events"), &lead).await.expect(200).as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["created", "priority_changed", "category_changed", "assigned", "unassigned"]);
}

async fn learners_see_only_public_events(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1001").await;
    let id = app.open_conversation(&learner, "I have a question").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].clone();
    let path = format!("/api/v1/conversations/{id}");
    app.patch(&path, &t1, json!({"assignee_id": t1_id, "priority": "urgent", "status": "pending"})).await.expect(200);

    let staff_view = app.get(&format!("{path}/events"), &t1).await.expect(200);
    assert_eq!(staff_view.as_array().unwrap().len(), 4);
    let learner_view = app.get(&format!("{path}/events"), &learner).await.expect(200);
    let kinds: Vec<&str> = learner_view.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "status_changed"]);
    assert!(learner_view.as_array().unwrap().iter().all(|e| e["actor_user_id"].is_null()), "learners do not see which agent acted");
}

fn opening(contact_id: i64, client_id: &str, body: &str) -> edudesk::store::conversations::NewConversation {
    use edudesk_core::{Channel, Priority, Tier};
    edudesk::store::conversations::NewConversation {
        contact_id,
        channel: Channel::Widget,
        subject: None,
        category: Some("playback".to_owned()),
        priority: Priority::Normal,
        tier: Tier::ONE,
        author: edudesk::store::messages::Author::Contact(contact_id),
        body: body.to_owned(),
        client_id: client_id.to_owned(),
        at: edudesk::store::now_ms(),
        // Far off, so no SLA warning joins the event log while the test runs.
        due: Some((edudesk::store::now_ms() + 86_400_000, edudesk::store::now_ms() + 7 * 86_400_000)),
        bot_active: false,
        sop: Some((
            "video-wont-play".to_owned(),
            1,
            serde_json::to_string(&edudesk_core::sop::Progress { step: Some("empathise".to_owned()), ..Default::default() }).unwrap(),
        )),
        course: Some("IELTS Writing".to_owned()),
    }
}

/// Issue 15.1: the conversation writer's batch commit. New conversations of one batch are
/// stored with their first message and events; one resent after an earlier commit answers
/// what was stored then (its first message, not the resent text); the same opening twice in
/// one batch is stored once and the second copy answered with the first.
async fn a_batch_of_openings_is_one_commit_and_resent_ones_answer_what_was_stored(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (_, ana) = app.learner("L3001").await;
    let (bo_token, bo) = app.learner("L3002").await;
    let (earlier, _, _) = app.store.create_conversation(&opening(ana, "x", "first words")).await.unwrap();

    let batch = [opening(ana, "x", "resent words"), opening(bo, "y", "hello"), opening(bo, "y", "hello again"), opening(ana, "z", "another")];
    let outcomes = app.store.create_conversations(&batch.iter().collect::<Vec<_>>()).await.unwrap();
    let outcomes: Vec<_> = outcomes.into_iter().map(Result::unwrap).collect();
    let summary: Vec<(bool, &str, i64)> = outcomes.iter().map(|(_, message, replayed)| (*replayed, message.body.as_str(), message.seq)).collect();
    assert_eq!(summary, vec![(true, "first words", 1), (false, "hello", 1), (true, "hello", 1), (false, "another", 1)]);
    assert_eq!(outcomes[0].0.id, earlier.id, "resent: the conversation stored before");
    assert_eq!(outcomes[1].0.id, outcomes[2].0.id, "twice in one batch: stored once");
    let created = &outcomes[1].0;
    assert_eq!((created.contact_id, created.tier.level(), created.course.as_deref()), (bo, 1, Some("IELTS Writing")));
    assert_eq!(created.sop.as_ref().map(|sop| sop.id.as_str()), Some("video-wont-play"));

    // Over the API the learner sees exactly one conversation with one message and its events.
    let mine = app.get("/api/v1/conversations", &bo_token).await.expect(200);
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    let messages = app.get(&format!("/api/v1/conversations/{}/messages", created.id), &bo_token).await.expect(200);
    assert_eq!(messages.as_array().unwrap().len(), 1, "{messages}");
    let lead = app.login("lead@edudesk.demo").await;
    let events = app.get(&format!("/api/v1/conversations/{}/events", created.id), &lead).await.expect(200);
    let kinds: Vec<&str> = events.as_array().unwrap().iter().filter_map(|event| event["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["created", "sop_started"], "{events}");
}

/// Many learners open conversations at once (so the writer batches them), some resending
/// their request: every opening is answered 201, each stored once.
async fn concurrent_openings_are_all_stored_once(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let mut learners = Vec::new();
    for n in 0..12 {
        learners.push(app.learner(&format!("L31{n:02}")).await.0);
    }
    let mut tasks = Vec::new();
    for (n, token) in learners.iter().enumerate() {
        for attempt in 0..2 {
            let (base, client, token) = (app.base.clone(), app.client.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let body = json!({"channel": "widget", "bot": false, "message": {"body": format!("learner {n} needs help"), "client_id": format!("open-{n}")}});
                let answer = client.post(format!("{base}/api/v1/conversations")).bearer_auth(&token).json(&body).send().await.unwrap();
                let replayed = answer.headers().get("idempotent-replayed").is_some();
                let status = answer.status().as_u16();
                let created: Value = answer.json().await.unwrap();
                (n, attempt, status, replayed, created["id"].as_i64())
            }));
        }
    }
    let mut ids = std::collections::HashMap::new();
    let mut replays = 0;
    for task in tasks {
        let (n, _, status, replayed, id) = task.await.unwrap();
        assert_eq!(status, 201);
        replays += usize::from(replayed);
        let id = id.expect("an id");
        assert_eq!(*ids.entry(n).or_insert(id), id, "both requests of learner {n} name one conversation");
    }
    assert_eq!(replays, 12, "one of each pair is a replay");
    for token in &learners {
        let mine = app.get("/api/v1/conversations", token).await.expect(200);
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    }
}
