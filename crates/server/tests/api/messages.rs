//! Messages: sequence numbers, idempotent sends, resuming after a seq, internal notes,
//! first response time, and reopening on a learner's message.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(
    messages_get_consecutive_seqs_and_resume_after_seq,
    same_client_id_returns_the_same_message,
    concurrent_sends_never_duplicate_or_skip,
    internal_notes_are_for_staff_only,
    first_agent_reply_sets_first_response_time,
    learner_message_reopens_a_resolved_conversation,
);

fn seqs(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect()
}

async fn messages_get_consecutive_seqs_and_resume_after_seq(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1001").await;
    let id = app.open_conversation(&learner, "视频放不了").await;
    let t2 = app.login("t2@edudesk.demo").await;
    let path = format!("/api/v1/conversations/{id}/messages");
    for n in 0..4 {
        let token = if n % 2 == 0 { &t2 } else { &learner };
        let message = app.post(&path, token, json!({"body": format!("message {n}"), "client_id": format!("m-{n}")})).await.expect(201);
        assert_eq!(message["seq"], n + 2);
        assert_eq!(message["conversation_id"], id);
    }
    assert_eq!(seqs(&app.get(&path, &learner).await.expect(200)), [1, 2, 3, 4, 5]);
    let missed = app.get(&format!("{path}?after_seq=3"), &learner).await.expect(200);
    assert_eq!(seqs(&missed), [4, 5]);
    assert_eq!(missed[0]["body"], "message 2");
    assert_eq!(seqs(&app.get(&format!("{path}?after_seq=1&limit=2"), &t2).await.expect(200)), [2, 3]);
    assert_eq!(app.get(&format!("/api/v1/conversations/{id}"), &t2).await.expect(200)["last_seq"], 5);
}

async fn same_client_id_returns_the_same_message(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1002").await;
    let id = app.open_conversation(&learner, "coupon").await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let send = json!({"body": "still not working", "client_id": "retry-42"});
    let first = app.post(&path, &learner, send.clone()).await;
    assert!(first.headers.get("idempotent-replayed").is_none());
    let first = first.expect(201);
    let again = app.post(&path, &learner, send).await;
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    let again = again.expect(201);
    assert_eq!(first, again, "a resend answers the original message");
    // A different body under the same id is still the same message: the id decides.
    let changed = app.post(&path, &learner, json!({"body": "edited", "client_id": "retry-42"})).await.expect(201);
    assert_eq!(changed["id"], first["id"]);
    assert_eq!(changed["body"], "still not working");
    assert_eq!(seqs(&app.get(&path, &learner).await.expect(200)), [1, 2]);
}

async fn concurrent_sends_never_duplicate_or_skip(backend: TestBackend) {
    let app = std::sync::Arc::new(TestApp::spawn(backend).await);
    let (learner, _) = app.learner("L1001").await;
    let id = app.open_conversation(&learner, "many messages").await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let mut tasks = Vec::new();
    // 40 distinct messages, each sent twice at the same time.
    for n in 0..80 {
        let (app, learner, path) = (app.clone(), learner.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            app.post(&path, &learner, json!({"body": format!("m{}", n % 40), "client_id": format!("c{}", n % 40)})).await.expect(201)
        }));
    }
    let mut by_client = std::collections::HashMap::new();
    for task in tasks {
        let message = task.await.unwrap();
        let previous = by_client.insert(message["client_id"].as_str().unwrap().to_owned(), message["id"].clone());
        if let Some(previous) = previous {
            assert_eq!(previous, message["id"], "both sends of one client id got the same message");
        }
    }
    let stored = app.get(&format!("{path}?limit=1000"), &learner).await.expect(200);
    let stored_seqs = seqs(&stored);
    assert_eq!(stored_seqs, (1..=41).collect::<Vec<_>>(), "41 messages with seqs 1..=41, no gaps, no doubles");
    let bodies: BTreeSet<&str> = stored.as_array().unwrap()[1..].iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies.len(), 40);
}

async fn internal_notes_are_for_staff_only(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1001").await;
    let id = app.open_conversation(&learner, "refund").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let note = app.post(&path, &t1, json!({"body": "learner sounds upset; check order 123", "client_id": "n1", "internal": true})).await.expect(201);
    assert_eq!(note["internal"], true);
    app.post(&path, &t1, json!({"body": "We are looking into it", "client_id": "r1"})).await.expect(201);

    let staff_view = app.get(&path, &t1).await.expect(200);
    assert_eq!(seqs(&staff_view), [1, 2, 3]);
    let learner_view = app.get(&path, &learner).await.expect(200);
    assert_eq!(seqs(&learner_view), [1, 3], "the note is invisible to the learner");
    assert!(learner_view.as_array().unwrap().iter().all(|m| m["internal"] == false));

    let detail = app.post(&path, &learner, json!({"body": "sneaky", "client_id": "x", "internal": true})).await.problem(403);
    assert!(detail.contains("internal"), "{detail}");
    assert_eq!(seqs(&app.get(&path, &t1).await.expect(200)), [1, 2, 3]);
}

async fn first_agent_reply_sets_first_response_time(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1002").await;
    let id = app.open_conversation(&learner, "course info").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let path = format!("/api/v1/conversations/{id}");
    app.post(&format!("{path}/messages"), &t1, json!({"body": "note", "client_id": "n", "internal": true})).await.expect(201);
    app.post(&format!("{path}/messages"), &learner, json!({"body": "hello?", "client_id": "l2"})).await.expect(201);
    assert_eq!(app.get(&path, &t1).await.expect(200)["first_response_at"], Value::Null, "notes and learner messages are not responses");
    let reply = app.post(&format!("{path}/messages"), &t1, json!({"body": "Hi! Happy to help", "client_id": "r"})).await.expect(201);
    let first = app.get(&path, &t1).await.expect(200)["first_response_at"].clone();
    assert_eq!(first, reply["created_at"]);
    app.post(&format!("{path}/messages"), &t1, json!({"body": "anything else?", "client_id": "r2"})).await.expect(201);
    assert_eq!(app.get(&path, &t1).await.expect(200)["first_response_at"], first, "only the first reply counts");
}

async fn learner_message_reopens_a_resolved_conversation(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1001").await;
    let id = app.open_conversation(&learner, "cannot log in").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let path = format!("/api/v1/conversations/{id}");
    app.patch(&path, &t1, json!({"status": "resolved"})).await.expect(200);
    app.post(&format!("{path}/messages"), &learner, json!({"body": "it broke again", "client_id": "again"})).await.expect(201);
    let reopened = app.get(&path, &t1).await.expect(200);
    assert_eq!(reopened["status"], "open");
    assert_eq!(reopened["resolved_at"], Value::Null);
    let events = app.get(&format!("{path}/events"), &t1).await.expect(200);
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!((last["kind"].as_str(), last["data"]["reopened"].as_bool()), (Some("status_changed"), Some(true)));

    // A staff reply does not reopen; a learner reply to a pending conversation does.
    app.patch(&path, &t1, json!({"status": "pending"})).await.expect(200);
    app.post(&format!("{path}/messages"), &t1, json!({"body": "Could you send a screenshot?", "client_id": "ask"})).await.expect(201);
    assert_eq!(app.get(&path, &t1).await.expect(200)["status"], "pending");
    app.post(&format!("{path}/messages"), &learner, json!({"body": "here it is", "client_id": "shot"})).await.expect(201);
    assert_eq!(app.get(&path, &t1).await.expect(200)["status"], "open");
}
