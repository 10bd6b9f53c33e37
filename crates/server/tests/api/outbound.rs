//! Issue 15.5: outbound webhooks — the conversations' events reach an integration in order,
//! signed, and a receiver that fails gets them again (nothing skipped, nothing lost).

use std::sync::{Arc, Mutex};

use axum::{Router, body::Bytes, http::HeaderMap, http::StatusCode, routing::post};
use edudesk::config::Secret;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(events_reach_the_webhook_signed_in_order_and_again_after_a_failure);

const SECRET: &str = "integration-secret";

#[derive(Default)]
struct Receiver {
    /// (signature header, events header, body, status answered)
    requests: Vec<(String, String, String, u16)>,
}

async fn events_reach_the_webhook_signed_in_order_and_again_after_a_failure(backend: TestBackend) {
    let received = Arc::new(Mutex::new(Receiver::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = Router::new().route(
        "/hook",
        post({
            let received = received.clone();
            move |headers: HeaderMap, body: Bytes| {
                let received = received.clone();
                async move {
                    let mut received = received.lock().unwrap();
                    // The first delivery fails; the relay must send the same events again.
                    let status = if received.requests.is_empty() { 500 } else { 200 };
                    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                    received.requests.push((header("x-edudesk-signature"), header("x-edudesk-events"), String::from_utf8_lossy(&body).into_owned(), status));
                    StatusCode::from_u16(status).unwrap()
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let app = TestApp::builder(backend)
        .configure(|config| {
            config.webhook_url = Some(format!("http://{address}/hook"));
            config.webhook_secret = Some(Secret::new(SECRET));
        })
        .spawn()
        .await;
    let (learner, _) = app.learner("L6001").await;
    let conversation = app.open_conversation(&learner, "webhook please").await;
    let lead = app.login("lead@edudesk.demo").await;
    app.call(reqwest::Method::PATCH, &format!("/api/v1/conversations/{conversation}"), Some(&lead), Some(json!({"status": "resolved"}))).await.expect(200);

    // Wait (bounded) until a successful delivery carried both events of this conversation.
    let delivered: Vec<Value> = crate::helpers::eventually("both events delivered", async || {
        let received = received.lock().unwrap();
        let delivered: Vec<Value> = received
            .requests
            .iter()
            .filter(|r| r.3 == 200)
            .flat_map(|r| serde_json::from_str::<Value>(&r.2).unwrap()["events"].as_array().unwrap().clone())
            .filter(|e| e["conversation_id"] == conversation)
            .collect();
        delivered.iter().any(|e| e["kind"] == "status_changed" && e["data"]["to"] == "resolved").then_some(delivered)
    })
    .await;
    let kinds: Vec<&str> = delivered.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"created"), "{delivered:?}");
    assert!(kinds.contains(&"status_changed"), "{delivered:?}");
    let ids: Vec<i64> = delivered.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "in order, each once: {ids:?}");

    let received = received.lock().unwrap();
    let (failed, retried) = (&received.requests[0], &received.requests[1]);
    assert_eq!(failed.3, 500);
    let first_of = |range: &str| range.split('-').next().unwrap().to_owned();
    assert_eq!(first_of(&failed.1), first_of(&retried.1), "the failed events are sent again (with any newer ones): {} then {}", failed.1, retried.1);
    for (signature, events, body, _) in &received.requests {
        let (t, v1) = signature.split_once(",v1=").unwrap();
        let t: i64 = t.trim_start_matches("t=").parse().unwrap();
        assert_eq!(*signature, edudesk::services::webhooks::signature(SECRET, t, body), "signed with the secret over t and the body");
        assert_ne!(v1, edudesk::services::webhooks::signature("wrong", t, body).split_once(",v1=").unwrap().1);
        let parsed: Value = serde_json::from_str(body).unwrap();
        let listed = parsed["events"].as_array().unwrap();
        assert_eq!(*events, format!("{}-{}", listed[0]["id"], listed[listed.len() - 1]["id"]));
    }
}
