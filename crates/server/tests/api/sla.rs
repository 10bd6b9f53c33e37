//! SLA clocks over the API: due times on every conversation, pauses while pending, new
//! targets with a new priority, warnings and breaches raised by the periodic check, and
//! automatic escalation on a breach when the policy says so.

use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(
    conversations_carry_due_times_that_follow_priority_and_pauses,
    warnings_then_breaches_are_raised_and_can_escalate,
    a_target_due_later_again_is_watched_afresh
);

fn minutes_between(from: &Value, to: &Value) -> i64 {
    let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    (parse(to) - parse(from)).num_minutes()
}

/// A calendar open around the clock, so the targets are plain minutes.
fn always_open(config: &mut edudesk::Config) {
    config.business_hours = "00:00-23:59".to_owned();
}

async fn conversations_carry_due_times_that_follow_priority_and_pauses(backend: TestBackend) {
    let app = TestApp::builder(backend).configure(always_open).spawn().await;
    let (_, contact) = app.learner("L6001").await;
    let lead = app.login("lead@edudesk.demo").await;
    let created = app
        .post(
            "/api/v1/conversations",
            &lead,
            json!({"channel": "phone", "contact_id": contact, "priority": "urgent", "category": "coupon", "message": {"body": "urgent coupon"}}),
        )
        .await
        .expect(201);
    let sla = &created["sla"];
    // Tier 1, urgent: 15 minutes to first response, 4 hours to resolution.
    assert!((15..=16).contains(&minutes_between(&created["created_at"], &sla["first_response_due_at"])), "{sla}");
    assert!((240..=241).contains(&minutes_between(&created["created_at"], &sla["resolution_due_at"])), "{sla}");
    assert_eq!((sla["breached"].clone(), sla["paused"].clone()), (json!([]), json!(false)));

    let path = format!("/api/v1/conversations/{}", created["id"]);
    let low = app.patch(&path, &lead, json!({"priority": "low"})).await.expect(200);
    assert!(minutes_between(&created["created_at"], &low["sla"]["resolution_due_at"]) >= 2880, "a lower priority has a longer target");
    let pending = app.patch(&path, &lead, json!({"status": "pending"})).await.expect(200);
    assert_eq!(pending["sla"]["paused"], true);
    assert!(pending["sla"]["paused_since"].is_string());
    let back = app.patch(&path, &lead, json!({"status": "open"})).await.expect(200);
    assert_eq!((back["sla"]["paused"].clone(), back["sla"]["paused_since"].clone()), (json!(false), Value::Null));
}

async fn wait_for_sla(app: &TestApp, token: &str, id: i64, ready: impl Fn(&Value) -> bool) -> Value {
    crate::helpers::eventually(&format!("the SLA check on conversation {id}"), async || {
        let conversation = app.get(&format!("/api/v1/conversations/{id}"), token).await.expect(200);
        ready(&conversation).then_some(conversation)
    })
    .await
}

async fn warnings_then_breaches_are_raised_and_can_escalate(backend: TestBackend) {
    // 13 minutes later: an urgent tier 1 conversation is past 80 % of its 15 minutes.
    let soon = TestApp::builder(backend.clone())
        .configure(|config| {
            always_open(config);
            config.clock_offset_seconds = 13 * 60;
            config.sla_check_seconds = 1;
        })
        .spawn()
        .await;
    let (_, contact) = soon.learner("L6002").await;
    let lead = soon.login("lead@edudesk.demo").await;
    let body = json!({"channel": "phone", "contact_id": contact, "priority": "urgent", "category": "coupon", "message": {"body": "urgent"}});
    let id = soon.post("/api/v1/conversations", &lead, body.clone()).await.expect(201)["id"].as_i64().unwrap();
    let warned = wait_for_sla(&soon, &lead, id, |c| c["sla"]["warned"] == json!(["first_response"])).await;
    assert_eq!(warned["sla"]["breached"], json!([]));

    // Three days later, with automatic escalation: both targets are breached and it moves up.
    let late = TestApp::builder(backend)
        .configure(|config| {
            always_open(config);
            config.clock_offset_seconds = 3 * 24 * 3600;
            config.sla_check_seconds = 1;
            config.sla_auto_escalate = true;
        })
        .spawn()
        .await;
    let (_, contact) = late.learner("L6003").await;
    let lead = late.login("lead@edudesk.demo").await;
    let body = json!({"channel": "phone", "contact_id": contact, "priority": "urgent", "category": "coupon", "message": {"body": "urgent"}});
    let id = late.post("/api/v1/conversations", &lead, body).await.expect(201)["id"].as_i64().unwrap();
    let breached = wait_for_sla(&late, &lead, id, |c| c["tier"] == 2).await;
    let mut targets: Vec<String> = breached["sla"]["breached"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect();
    targets.sort();
    assert_eq!(targets, ["first_response", "resolution"]);
    let events = late.get(&format!("/api/v1/conversations/{id}/events"), &lead).await.expect(200);
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.iter().filter(|k| **k == "sla_breached").count() == 2 && kinds.contains(&"escalated"), "{kinds:?}");
    let escalated = events.as_array().unwrap().iter().find(|e| e["kind"] == "escalated").unwrap();
    assert_eq!(escalated["data"]["reason"], "SLA breached: resolution target missed");
}

async fn a_target_due_later_again_is_watched_afresh(backend: TestBackend) {
    // Three days later every urgent target is breached...
    let app = TestApp::builder(backend)
        .configure(|config| {
            always_open(config);
            config.clock_offset_seconds = 3 * 24 * 3600;
            config.sla_check_seconds = 1;
        })
        .spawn()
        .await;
    let (_, contact) = app.learner("L6004").await;
    let lead = app.login("lead@edudesk.demo").await;
    let body = json!({"channel": "phone", "contact_id": contact, "priority": "urgent", "category": "coupon", "message": {"body": "urgent"}});
    let id = app.post("/api/v1/conversations", &lead, body).await.expect(201)["id"].as_i64().unwrap();
    wait_for_sla(&app, &lead, id, |c| c["sla"]["breached"].as_array().is_some_and(|b| b.len() == 2)).await;
    // ...moved to tier 3 at low priority, its resolution target is a week away: that breach
    // no longer holds and the target is watched afresh.
    app.post(&format!("/api/v1/conversations/{id}/escalate"), &lead, json!({"to_tier": 3, "reason": "dispute"})).await.expect(200);
    let low = app.patch(&format!("/api/v1/conversations/{id}"), &lead, json!({"priority": "low"})).await.expect(200);
    assert!(!low["sla"]["breached"].as_array().unwrap().iter().any(|t| t == "resolution"), "{}", low["sla"]);
    // Resolving stops the clock; reopening counts the resolved time as paused.
    let resolved = app.patch(&format!("/api/v1/conversations/{id}"), &lead, json!({"status": "resolved"})).await.expect(200);
    assert_eq!(resolved["sla"]["paused"], true);
    let reopened = app.patch(&format!("/api/v1/conversations/{id}"), &lead, json!({"status": "open"})).await.expect(200);
    assert_eq!(reopened["sla"]["paused"], false);
}
