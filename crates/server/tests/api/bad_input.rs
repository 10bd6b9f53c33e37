//! Bad input of every kind gets a problem document with the right status, and writes nothing.

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(
    bad_bodies_are_refused_with_clear_problems,
    oversized_bodies_are_413,
    slow_clients_are_cut_off,
    unknown_ids_routes_and_methods,
    bad_query_parameters_are_400
);

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

    // Issue 10.12: a declared oversize body is refused before it is sent, as a problem document.
    let mut stream = tokio::net::TcpStream::connect(small.base.trim_start_matches("http://")).await.unwrap();
    let head = format!(
        "POST /api/v1/conversations/{id}/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {learner}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 413") && answer.contains("application/problem+json") && answer.contains("limit"), "{answer}");
    let webhook = small.client.post(small.url("/webhooks/social/demo")).body(vec![b'x'; 3000]).send().await.unwrap();
    assert_eq!(webhook.status(), 413);
    assert_eq!(webhook.headers()["content-type"], "application/problem+json");
}

/// What the server sends before it closes the connection (or within 15 s).
async fn read_answer(stream: &mut tokio::net::TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buffer = [0_u8; 4096];
    let _ = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.len() > 200 {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// Issue 10.12: a client that trickles its headers (slowloris) or its body is cut off.
async fn slow_clients_are_cut_off(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .configure(|config| {
            config.header_read_timeout_seconds = 1;
            config.body_read_timeout_seconds = 1;
        })
        .spawn()
        .await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut slow_headers = tokio::net::TcpStream::connect(&address).await.unwrap();
    slow_headers.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = std::time::Instant::now();
    let mut buffer = [0_u8; 1024];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        loop {
            match slow_headers.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server closed a connection whose headers never ended");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    let (learner, _) = app.learner("L1003").await;
    let mut slow_body = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/widget/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {learner}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"na"
    );
    slow_body.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut slow_body).await;
    assert!(answer.starts_with("HTTP/1.1 4"), "a body that never completes is refused: {answer}");
    // Everyone else is served as usual (on a new connection: the deadline also ends idle
    // keep-alive connections, like the test client's pooled one).
    let fresh = reqwest::Client::new().get(app.url("/api/v1/health")).send().await.unwrap();
    assert_eq!(fresh.status(), 200);
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
