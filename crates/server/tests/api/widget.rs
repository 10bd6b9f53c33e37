//! Learner widget sessions: signed learners, forged signatures, anonymous visitors.

use edudesk::crypto::learner_signature;
use reqwest::Method;
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(
    signed_learner_gets_their_own_contact,
    forged_or_missing_signatures_are_401,
    anonymous_visitors_get_fresh_contacts,
    without_a_platform_secret_only_anonymous_sessions_work
);

const SESSIONS: &str = "/api/v1/widget/sessions";

async fn signed_learner_gets_their_own_contact(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let signature = learner_signature("demo-platform-secret", "L1001");
    let first = app.call(Method::POST, SESSIONS, None, Some(json!({"learner_id": "L1001", "name": "李明", "signature": signature}))).await.expect(200);
    let again = app.call(Method::POST, SESSIONS, None, Some(json!({"learner_id": "L1001", "signature": signature}))).await.expect(200);
    assert_eq!(first["contact_id"], again["contact_id"], "the same learner is one contact");
    assert_eq!(first["anonymous"], false);
    assert_ne!(first["token"], again["token"]);

    let me = app.get("/api/v1/auth/me", first["token"].as_str().unwrap()).await.expect(200);
    assert_eq!(me["kind"], "learner");
    assert_eq!(me["contact"]["display_name"], "李明");
    assert!(me["contact"]["identities"].as_array().unwrap().iter().any(|i| i["kind"] == "platform" && i["value"] == "L1001"));
}

async fn forged_or_missing_signatures_are_401(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let for_other_learner = learner_signature("demo-platform-secret", "L1002");
    let with_other_secret = learner_signature("guessed-secret", "L1001");
    let upper_case_garbage = "ZZ".repeat(32);
    for signature in [for_other_learner.as_str(), with_other_secret.as_str(), upper_case_garbage.as_str(), ""] {
        let detail = app.call(Method::POST, SESSIONS, None, Some(json!({"learner_id": "L1001", "signature": signature}))).await.problem(401);
        assert!(detail.contains("signature"), "{detail}");
    }
    app.call(Method::POST, SESSIONS, None, Some(json!({"learner_id": "L1001"}))).await.problem(401);
    let contacts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts").fetch_one(&app.store.read).await.unwrap();
    assert_eq!(contacts, 2, "only the two demo learners exist; forged sessions created nothing");
}

async fn anonymous_visitors_get_fresh_contacts(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let a = app.call(Method::POST, SESSIONS, None, Some(json!({}))).await.expect(200);
    let b = app.call(Method::POST, SESSIONS, None, Some(json!({"name": "访客"}))).await.expect(200);
    assert_eq!(a["anonymous"], true);
    assert_ne!(a["contact_id"], b["contact_id"]);
    let token = a["token"].as_str().unwrap();
    let conversation = app.open_conversation(token, "我想了解一下课程").await;
    let other = b["token"].as_str().unwrap();
    app.get(&format!("/api/v1/conversations/{conversation}"), other).await.problem(404);
}

async fn without_a_platform_secret_only_anonymous_sessions_work(backend: TestBackend) {
    let app = TestApp::builder(backend).without_platform_secret().spawn().await;
    let signature = learner_signature("demo-platform-secret", "L1001");
    app.call(Method::POST, SESSIONS, None, Some(json!({"learner_id": "L1001", "signature": signature}))).await.problem(401);
    app.call(Method::POST, SESSIONS, None, Some(json!({}))).await.expect(200);
}
