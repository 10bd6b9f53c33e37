//! Issue 13.2 (part): the supervisors' live wall — queues, the team's day, the conversations in
//! SLA trouble (breached before merely warned) and, per agent, the learners waiting for their
//! reply; only supervisors and admins see it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend, eventually},
};

backend_tests!(the_wall_shows_the_day_the_queues_and_who_keeps_learners_waiting, the_wall_lists_breached_conversations_before_warned_ones);

fn agent(wall: &Value, id: i64) -> &Value {
    wall["agents"].as_array().unwrap().iter().find(|a| a["id"] == id).unwrap_or_else(|| panic!("agent {id} on the wall: {wall}"))
}

async fn the_wall_shows_the_day_the_queues_and_who_keeps_learners_waiting(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].as_i64().unwrap();
    let before = app.get("/api/v1/wall", &lead).await.expect(200);
    assert_eq!(agent(&before, t1_id)["awaiting_reply"], 0, "{before}");
    assert_eq!(agent(&before, t1_id)["longest_reply_wait_seconds"], Value::Null);

    // Three learners write; t1 takes all three, answers one and resolves another. The third
    // learner (and the answered one, who wrote again) wait for t1's reply.
    let (learner, _) = app.learner("L9301").await;
    let mut ids = Vec::new();
    for body in ["视频打不开", "优惠券用不了", "怎么开发票"] {
        let id = app.open_conversation(&learner, body).await;
        app.patch(&format!("/api/v1/conversations/{id}"), &lead, json!({"assignee_id": t1_id})).await.expect(200);
        ids.push(id);
    }
    app.post(&format!("/api/v1/conversations/{}/messages", ids[0]), &t1, json!({"body": "请换个浏览器试试"})).await.expect(201);
    app.post(&format!("/api/v1/conversations/{}/messages", ids[1]), &t1, json!({"body": "已补发"})).await.expect(201);
    app.patch(&format!("/api/v1/conversations/{}", ids[1]), &t1, json!({"status": "resolved"})).await.expect(200);
    app.post(&format!("/api/v1/conversations/{}/messages", ids[0]), &learner, json!({"body": "还是不行"})).await.expect(201);

    let wall = app.get("/api/v1/wall", &lead).await.expect(200);
    let mine = agent(&wall, t1_id);
    assert_eq!(mine["awaiting_reply"], 2, "{mine}");
    assert!(mine["longest_reply_wait_seconds"].as_i64().is_some_and(|s| s >= 0), "{mine}");
    assert_eq!(wall["agents"][0]["id"], t1_id, "the longest wait comes first: {wall}");
    assert_eq!(mine["open_conversations"], 2, "{mine}");
    // The day counts exactly what happened since the first look (the same day, unless the
    // test ran across the team's midnight).
    let counts = |w: &Value| [&w["today"]["created"], &w["today"]["resolved"], &w["today"]["open_now"]].map(|n| n.as_i64().unwrap());
    if wall["day"] == before["day"] {
        let (now, then) = (counts(&wall), counts(&before));
        assert_eq!([now[0] - then[0], now[1] - then[1], now[2] - then[2]], [3, 1, 2], "{} then {}", wall["today"], before["today"]);
    }
    assert!(wall["day"].as_str().is_some_and(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()), "{wall}");
    // The tier-1 queue is there with its numbers.
    let queues = wall["queues"].as_array().unwrap();
    assert!(queues.iter().any(|q| q["tier"] == 1 && q["waiting"].is_i64() && q["agents_online"].is_i64()), "{wall}");

    // Nobody else sees it.
    app.get("/api/v1/wall", &t1).await.problem(403);
    app.get("/api/v1/wall", &learner).await.problem(403);
    app.call(Method::GET, "/api/v1/wall", None, None).await.problem(401);
    let admin = app.login("admin@edudesk.demo").await;
    app.get("/api/v1/wall", &admin).await.expect(200);
}

async fn the_wall_lists_breached_conversations_before_warned_ones(backend: TestBackend) {
    // 13 minutes on: an urgent conversation (1 minute to first response) is breached, a high
    // one (15 minutes) warned, a normal one fine.
    let app = TestApp::builder(backend)
        .configure(|config| {
            config.business_hours = "00:00-23:59".to_owned();
            config.clock_offset_seconds = 13 * 60;
            config.sla_check_seconds = 1;
            config.sla_targets.insert("t1.urgent".to_owned(), [1, 600]);
            config.sla_targets.insert("t1.high".to_owned(), [15, 600]);
        })
        .spawn()
        .await;
    let lead = app.login("lead@edudesk.demo").await;
    let (_, contact) = app.learner("L9302").await;
    let mut ids = Vec::new();
    for priority in ["high", "urgent", "normal"] {
        let body = json!({"channel": "phone", "contact_id": contact, "priority": priority, "message": {"body": format!("{priority} call")}});
        ids.push(app.post("/api/v1/conversations", &lead, body).await.expect(201)["id"].as_i64().unwrap());
    }
    let (high, urgent, normal) = (ids[0], ids[1], ids[2]);
    let wall = eventually("the SLA check to flag both", async || {
        let wall = app.get("/api/v1/wall", &lead).await.expect(200);
        let risk: Vec<i64> = wall["at_risk"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).filter(|id| ids.contains(id)).collect();
        (risk.len() == 2).then_some(wall)
    })
    .await;
    let risk: Vec<&Value> = wall["at_risk"].as_array().unwrap().iter().filter(|c| ids.contains(&c["id"].as_i64().unwrap())).collect();
    assert_eq!([risk[0]["id"].as_i64(), risk[1]["id"].as_i64()], [Some(urgent), Some(high)], "breached first: {wall}");
    assert_eq!(risk[0]["sla"]["breached"], json!(["first_response"]), "{wall}");
    assert!(risk[1]["preview"].as_str().is_some_and(|p| p.contains("high call")), "items carry their preview: {wall}");
    assert!(!wall["at_risk"].as_array().unwrap().iter().any(|c| c["id"] == normal));
    // Resolved conversations leave the wall, whatever their clocks said.
    app.patch(&format!("/api/v1/conversations/{urgent}"), &lead, json!({"status": "resolved"})).await.expect(200);
    let wall = app.get("/api/v1/wall", &lead).await.expect(200);
    assert!(!wall["at_risk"].as_array().unwrap().iter().any(|c| c["id"] == urgent), "{wall}");
}
