//! Bad input of every kind gets a problem document with the right status, and writes nothing.

use reqwest::Method;
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(bad_bodies_are_refused_with_clear_problems, oversized_bodies_are_413, unknown_ids_routes_and_methods, bad_query_parameters_are_400);

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&app.store.read).await.unwrap()
}

async fn raw(app: &TestApp, method: Method, path: &str, token: &str, content_type: &str, body: Vec<u8>) -> crate::helpers::Answer {
    let response = app.client.request(method, app.url(path)).bearer_auth(token).header("content-type", content_type).body(body).send().await.unwrap();
    TestApp::answer(response).await
}

async fn bad_bodies_are_refused_with_clear_problems(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1001").await;
    let id = app.open_conversation(&learner, "hello").await;
    let messages = format!("/api/v1/conversations/{id}/messages");
    let (conversations_before, messages_before, events_before) =
        (count(&app, "conversations").await, count(&app, "messages").await, count(&app, "conversation_events").await);

    let detail = raw(&app, Method::POST, &messages, &learner, "application/json", b"{\"body\": \"unterminated".to_vec()).await.problem(400);
    assert!(detail.contains("JSON"), "{detail}");
    raw(&app, Method::POST, &messages, &learner, "application/json", vec![b'{', 0xff, 0xfe, b'}']).await.problem(400);
    let detail = raw(&app, Method::POST, &messages, &learner, "text/plain", b"hello".to_vec()).await.problem(415);
    assert!(detail.contains("application/json"), "{detail}");

    let wrong_type = app.post(&messages, &learner, json!({"body": 5, "client_id": "a"})).await.problem(422);
    assert!(wrong_type.contains("body"), "{wrong_type}");
    let empty = app.post(&messages, &learner, json!({"body": "   ", "client_id": "b"})).await.problem(422);
    assert_eq!(empty, "body: must not be empty");
    app.post(&messages, &learner, json!({"body": "x", "client_id": "has spaces"})).await.problem(422);
    app.post(&messages, &learner, json!({"body": "x".repeat(20_001), "client_id": "long"})).await.problem(422);
    app.post(&messages, &learner, json!(["not", "an", "object"])).await.problem(422);

    let unknown_channel =
        app.post("/api/v1/conversations", &learner, json!({"channel": "pigeon", "message": {"body": "hi", "client_id": "p"}})).await.problem(422);
    assert!(unknown_channel.contains("channel") || unknown_channel.contains("pigeon"), "{unknown_channel}");
    app.post("/api/v1/conversations", &learner, json!({"channel": "widget"})).await.problem(422);
    app.post("/api/v1/conversations", &learner, json!({"channel": "widget", "priority": "asap", "message": {"body": "hi"}})).await.problem(422);
    let lead = app.login("lead@edudesk.demo").await;
    app.post("/api/v1/conversations", &lead, json!({"channel": "phone", "contact_id": 1, "tier": 7, "message": {"body": "hi"}})).await.problem(422);

    // Issue 10.13: a misspelt field is refused, never ignored (a note would go public).
    let typo = app.post(&messages, &lead, json!({"body": "内部备注", "client_id": "t1", "internall": true})).await.problem(422);
    assert!(typo.contains("internall"), "{typo}");
    app.post("/api/v1/auth/login", &lead, json!({"email": "a@b.cn", "password": "x", "remember": true})).await.problem(422);
    // Learners open widget and in-app conversations only; other channels come from their adapters.
    for channel in ["wechat", "email", "phone", "sms", "social"] {
        let body = json!({"channel": channel, "message": {"body": "hi", "client_id": format!("c-{channel}")}});
        app.post("/api/v1/conversations", &learner, body).await.problem(403);
    }

    let path = format!("/api/v1/conversations/{id}");
    let typo = app.patch(&path, &lead, json!({"stauts": "resolved"})).await.problem(422);
    assert!(typo.contains("stauts"), "{typo}");
    app.patch(&path, &lead, json!({"status": "finished"})).await.problem(422);
    app.post("/api/v1/auth/login", &lead, json!({"email": "not-an-email", "password": "x"})).await.problem(422);

    assert_eq!(count(&app, "conversations").await, conversations_before, "no refused request wrote a conversation");
    assert_eq!(count(&app, "messages").await, messages_before, "no refused request wrote a message");
    assert_eq!(count(&app, "conversation_events").await, events_before, "no refused request wrote an event");
    assert_eq!(app.get(&path, &lead).await.expect(200)["status"], "open");
}

async fn oversized_bodies_are_413(backend: TestBackend) {
    let app = TestApp::spawn(backend.clone()).await;
    let (learner, _) = app.learner("L1002").await;
    let id = app.open_conversation(&learner, "hello").await;
    let before = count(&app, "messages").await;
    // The default limit is 1 MiB.
    let big = json!({"body": "大".repeat(400_000), "client_id": "big"});
    let detail = app.post(&format!("/api/v1/conversations/{id}/messages"), &learner, big).await.problem(413);
    assert!(detail.contains("limit"), "{detail}");
    assert_eq!(count(&app, "messages").await, before);

    let small = TestApp::builder(backend).body_limit(2048).spawn().await;
    let (learner, _) = small.learner("L1002").await;
    let id = small.open_conversation(&learner, "hello").await;
    small.post(&format!("/api/v1/conversations/{id}/messages"), &learner, json!({"body": "x".repeat(3000), "client_id": "c"})).await.problem(413);
    small.post(&format!("/api/v1/conversations/{id}/messages"), &learner, json!({"body": "x".repeat(1000), "client_id": "c"})).await.expect(201);
}

async fn unknown_ids_routes_and_methods(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    let admin = app.login("admin@edudesk.demo").await;
    for path in ["/api/v1/conversations/987654", "/api/v1/conversations/987654/messages", "/api/v1/conversations/987654/events", "/api/v1/contacts/987654"] {
        let detail = app.get(path, &lead).await.problem(404);
        assert!(detail.contains("not found"), "{path}: {detail}");
    }
    app.get("/api/v1/users/987654", &admin).await.problem(404);
    app.patch("/api/v1/users/987654", &admin, json!({"tier": 2})).await.problem(404);
    app.patch("/api/v1/conversations/987654", &lead, json!({"status": "resolved"})).await.problem(404);
    app.post("/api/v1/conversations/987654/messages", &lead, json!({"body": "x", "client_id": "y"})).await.problem(404);
    app.get("/api/v1/conversations/abc", &lead).await.problem(400);
    app.get("/api/v1/no-such-thing", &lead).await.problem(404);
    app.call(Method::DELETE, "/api/v1/health", None, None).await.problem(405);
}

async fn bad_query_parameters_are_400(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    for query in ["status=flying", "tier=9", "assignee=bob", "limit=abc", "limit=0", "limit=100000", "before=x"] {
        let detail = app.get(&format!("/api/v1/conversations?{query}"), &lead).await.problem(400);
        assert!(!detail.is_empty(), "{query}");
    }
    app.get("/api/v1/conversations/1/messages?after_seq=-1", &lead).await.problem(400);
    app.get("/api/v1/conversations/1/messages?limit=5000", &lead).await.problem(400);
}
