//! SOPs over the API: definitions and versions, the video SOP walked from a learner's
//! playback problem in Tier 1 to Tier 2 with the answers attached, mandatory steps that
//! block escalation and resolution, and the follow-up scheduled on resolve.

use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(
    sop_definitions_are_listed_and_versioned,
    the_video_sop_walks_a_playback_problem_to_tier_2_and_a_follow_up,
    a_chosen_sop_binds_at_once,
    an_offered_sop_still_gates_escalation_with_its_mandatory_answers
);

async fn sop_definitions_are_listed_and_versioned(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let sops = app.get("/api/v1/sops", &t1).await.expect(200);
    let ids: Vec<&str> = sops.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    for id in ["coupon-not-applicable", "login-failure", "payment-failed", "refund-request", "video-playback"] {
        assert!(ids.contains(&id), "{id} is shipped: {ids:?}");
    }
    let mut video: Value = sops.as_array().unwrap().iter().find(|s| s["id"] == "video-playback").unwrap().clone();
    assert_eq!(video["version"], 1);
    video["steps"][0]["text"] = json!({"zh": "{{learner.name}}您好！", "en": "Hello {{learner.name}}!"});
    let saved = app.call(reqwest::Method::PUT, "/api/v1/sops/video-playback", Some(&lead), Some(video.clone())).await.expect(200);
    assert_eq!(saved["version"], 2, "an edit is a new version");
    app.call(reqwest::Method::PUT, "/api/v1/sops/video-playback", Some(&t1), Some(video.clone())).await.problem(403);
    app.call(reqwest::Method::PUT, "/api/v1/sops/other-id", Some(&lead), Some(video.clone())).await.problem(422);
    video["steps"][2]["default"] = json!("nowhere");
    let detail = app.call(reqwest::Method::PUT, "/api/v1/sops/video-playback", Some(&lead), Some(video)).await.problem(422);
    assert!(detail.contains("nowhere"), "{detail}");
}

async fn the_video_sop_walks_a_playback_problem_to_tier_2_and_a_follow_up(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L1001").await;
    let created =
        app.post("/api/v1/conversations", &learner, json!({"channel": "widget", "message": {"body": "老师，第三课的视频一直在转圈"}})).await.expect(201);
    assert_eq!((created["category"].as_str(), created["tier"].as_i64()), (Some("playback"), Some(1)), "a playback problem lands in tier 1");
    assert_eq!((created["sop"]["id"].as_str(), created["sop"]["step"].as_str()), (Some("video-playback"), Some("empathise")));
    let id = created["id"].as_i64().unwrap();
    let t1 = app.login("t1@edudesk.demo").await;
    let sop = format!("/api/v1/conversations/{id}/sop");

    let client = reqwest::Client::new();
    let step: Value = client.get(app.url(&sop)).bearer_auth(&t1).header("accept-language", "zh-CN").send().await.unwrap().json().await.unwrap();
    assert_eq!(step["step"]["kind"], "say");
    let script = step["step"]["script"].as_str().unwrap();
    assert!(script.starts_with("李明 Li Ming您好，我是Tina 一线"), "{script}");

    let answers = format!("{sop}/answers");
    assert_eq!(app.post(&answers, &t1, json!({"advance": true})).await.expect(200)["step"]["id"], "questions");
    // The standard questions are mandatory: no escalation or resolve before them.
    let detail = app.post(&format!("/api/v1/conversations/{id}/escalate"), &t1, json!({"to_tier": 2, "reason": "skip"})).await.problem(409);
    assert!(detail.contains("questions.device") && detail.contains("questions.browser"), "{detail}");
    let detail = app.patch(&format!("/api/v1/conversations/{id}"), &t1, json!({"status": "resolved"})).await.problem(409);
    assert!(detail.contains("questions.network"), "{detail}");
    app.post(&answers, &t1, json!({"answers": {"device": "fridge"}})).await.problem(422);
    // Answers may also come flat, booleans for yes/no.
    let flat = app.post(&answers, &t1, json!({"device": "phone"})).await.expect(200);
    assert_eq!(flat["answers"]["device"], "phone");
    app.post(&answers, &t1, json!({"answers": {"device": "phone"}, "network": "wifi"})).await.problem(422);
    let missing = app.post(&answers, &t1, json!({"answers": {"device": "computer"}, "advance": true})).await.problem(409);
    assert!(missing.contains("questions.network"), "{missing}");

    let answered = json!({"answers": {"device": "computer", "network": "wifi", "browser": "Chrome 131", "other_videos_play": "yes"}, "advance": true});
    let at_handover = app.post(&answers, &t1, answered).await.expect(200);
    assert_eq!(
        (at_handover["step"]["id"].as_str(), at_handover["step"]["kind"].as_str()),
        (Some("to-tier-2"), Some("escalate")),
        "only this course fails: hand to tier 2"
    );
    let moved = app.post(&answers, &t1, json!({"advance": true})).await.expect(200);
    assert_eq!(moved["conversation"]["tier"], 2);
    assert_eq!(moved["conversation"]["sop"]["step"], "follow-up");

    let lead = app.login("lead@edudesk.demo").await;
    let events = app.get(&format!("/api/v1/conversations/{id}/events"), &lead).await.expect(200);
    let escalated = events.as_array().unwrap().iter().find(|e| e["kind"] == "escalated").unwrap().clone();
    assert_eq!(escalated["data"]["context"]["answers"]["browser"], "Chrome 131", "the answers travel with the escalation");
    assert!(escalated["data"]["note"].as_str().unwrap().contains("other_videos_play: yes"));

    // Tier 2 resolves it; the follow-up is scheduled for 24 hours later.
    let t2 = app.login("t2@edudesk.demo").await;
    app.patch(&format!("/api/v1/conversations/{id}"), &t2, json!({"status": "resolved"})).await.expect(200);
    let (kind, run_at): (String, i64) =
        sqlx::query_as("SELECT kind, run_at FROM jobs WHERE unique_key = $1").bind(format!("sop-follow-up:{id}")).fetch_one(&app.store.read).await.unwrap();
    assert_eq!(kind, "follow_up");
    let hours = (run_at - edudesk::store::now_ms()) as f64 / 3_600_000.0;
    assert!((23.9..=24.0).contains(&hours), "due in {hours} h");
}

async fn a_chosen_sop_binds_at_once(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L7001").await;
    let id = app.open_conversation(&learner, "hello").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let path = format!("/api/v1/conversations/{id}");
    app.post(&format!("{path}/sop"), &t1, json!({"sop_id": "no-such-sop"})).await.problem(404);
    app.post(&format!("{path}/sop"), &learner, json!({"sop_id": "login-failure"})).await.problem(403);
    let started = app.post(&format!("{path}/sop"), &t1, json!({"sop_id": "login-failure"})).await.expect(200);
    assert_eq!(started["missing"], json!(["empathise"]));
    let detail = app.patch(&path, &t1, json!({"status": "resolved"})).await.problem(409);
    assert!(detail.contains("empathise"), "{detail}");
    assert_eq!(app.get(&path, &t1).await.expect(200)["status"], "open", "nothing changed");
}

/// Issue 10.4: the SOP was only offered (nobody opened it); an agent's escalation still needs
/// the standard questions, and the answers travel with it.
async fn an_offered_sop_still_gates_escalation_with_its_mandatory_answers(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L7002").await;
    let id = app.open_conversation(&learner, "课程视频播放不了").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let conversation = app.get(&format!("/api/v1/conversations/{id}"), &t1).await.expect(200);
    assert_eq!((conversation["sop"]["id"].as_str(), conversation["sop"]["visited"].clone()), (Some("video-playback"), json!([])), "offered only");
    let escalate = format!("/api/v1/conversations/{id}/escalate");
    let detail = app.post(&escalate, &t1, json!({"to_tier": 2, "reason": "video broken"})).await.problem(409);
    for question in ["questions.device", "questions.network", "questions.browser", "questions.other_videos_play"] {
        assert!(detail.contains(question), "{question} in: {detail}");
    }
    assert_eq!(app.get(&format!("/api/v1/conversations/{id}"), &t1).await.expect(200)["tier"], 1, "nothing moved");
    // The agent says the script and records the answers: now it may go.
    let answers = json!({"answers": {"device": "phone", "network": "mobile", "browser": "App 5.2", "other_videos_play": "yes"}, "advance": true});
    app.post(&format!("/api/v1/conversations/{id}/sop/answers"), &t1, answers).await.expect(200);
    let moved = app.post(&escalate, &t1, json!({"to_tier": 2, "reason": "only this course fails"})).await.expect(200);
    assert_eq!(moved["tier"], 2);
    let events = app.get(&format!("/api/v1/conversations/{id}/events"), &t1).await;
    let lead = app.login("lead@edudesk.demo").await;
    let events = if events.status == 403 { app.get(&format!("/api/v1/conversations/{id}/events"), &lead).await.expect(200) } else { events.body };
    let escalated = events.as_array().unwrap().iter().find(|e| e["kind"] == "escalated").unwrap().clone();
    assert_eq!(escalated["data"]["context"]["answers"]["device"], "phone", "the answers travel with it");

    // A conversation whose category has a SOP but was never offered one (a category set
    // later) is gated the same way for agents; supervisors may override.
    let other = app.open_conversation(&learner, "hello").await;
    app.patch(&format!("/api/v1/conversations/{other}"), &lead, json!({"category": "playback"})).await.expect(200);
    let detail = app.post(&format!("/api/v1/conversations/{other}/escalate"), &t1, json!({"to_tier": 2, "reason": "video"})).await.problem(409);
    assert!(detail.contains("questions.device"), "{detail}");
    app.post(&format!("/api/v1/conversations/{other}/escalate"), &lead, json!({"to_tier": 2, "reason": "known outage"})).await.expect(200);
}
