//! Recognition (issue 13.6): the month's leaderboard by balanced score (quality reviews,
//! CSAT, resolution, capped volume) with its team board, the monthly 服务之星 announced by a
//! supervisor, and 最佳案例奖 nominations decided by a supervisor.

use reqwest::Method;
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(the_service_star_goes_to_the_best_balanced_score_and_cases_are_nominated);

async fn the_service_star_goes_to_the_best_balanced_score_and_cases_are_nominated(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t2 = app.login("t2@edudesk.demo").await;
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].as_i64().unwrap();
    let (learner, _) = app.learner("L9101").await;

    // Nobody has served anyone yet: there is no star to announce.
    let month = app.get("/api/v1/awards/leaderboard", &lead).await.expect(200)["month"].as_str().unwrap().to_owned();
    app.post("/api/v1/awards/service-star", &lead, json!({"month": month})).await.problem(409);

    // t1 serves three learners well: resolved, reviewed 5/5/4/4 and 4/4/4/4.
    let mut served = Vec::new();
    for (n, body) in ["视频打不开", "优惠券用不了", "怎么开发票"].iter().enumerate() {
        let id = app.open_conversation(&learner, body).await;
        let path = format!("/api/v1/conversations/{id}");
        app.patch(&path, &lead, json!({"assignee_id": t1_id})).await.expect(200);
        app.post(&format!("{path}/messages"), &t1, json!({"body": "已处理"})).await.expect(201);
        app.patch(&path, &t1, json!({"status": "resolved"})).await.expect(200);
        let marks = if n == 0 {
            json!({"empathy": 5, "accuracy": 5, "sop_adherence": 4, "tone": 4})
        } else {
            json!({"empathy": 4, "accuracy": 4, "sop_adherence": 4, "tone": 4})
        };
        app.call(Method::PUT, &format!("{path}/review"), Some(&lead), Some(marks)).await.expect(200);
        served.push(id);
    }

    let board = app.get(&format!("/api/v1/awards/leaderboard?month={month}"), &t2).await.expect(200);
    let first = &board["agents"][0];
    assert_eq!((first["rank"].as_i64(), first["agent_id"].as_i64(), first["handled"].as_i64()), (Some(1), Some(t1_id), Some(3)), "{board}");
    // Quality 4.1667 → (4.1667 − 1) / 4; all resolved; volume 3/60; no CSAT: its weight spread.
    let quality = (4.5 + 4.0 + 4.0) / 3.0;
    let expected = (0.35 * (quality - 1.0) / 4.0 + 0.2 * 1.0 + 0.1 * (3.0 / 60.0)) / 0.65;
    assert!((first["score"].as_f64().unwrap() - expected).abs() < 1e-9, "{first} vs {expected}");
    assert_eq!(board["teams"][0]["team"], "tier-1");
    app.get("/api/v1/awards/leaderboard?month=2026-13", &lead).await.problem(400);
    app.get("/api/v1/awards/leaderboard", &learner).await.problem(403);

    // The star: supervisors announce it, once a month.
    app.post("/api/v1/awards/service-star", &t1, json!({"month": month})).await.problem(403);
    let star = app.post("/api/v1/awards/service-star", &lead, json!({"month": month})).await.expect(201);
    assert_eq!((star["kind"].as_str(), star["agent_id"].as_i64(), star["status"].as_str()), (Some("service_star"), Some(t1_id), Some("approved")));
    assert!(star["reason"].as_str().unwrap().contains("Tina"), "{star}");
    app.post("/api/v1/awards/service-star", &lead, json!({"month": month})).await.problem(409);
    app.post("/api/v1/awards/service-star", &lead, json!({"month": "last month"})).await.problem(400);

    // A best case: t2 nominates t1's resolved conversation; a supervisor decides once.
    let nominations = "/api/v1/awards/nominations";
    let body = |conversation: i64, reason: &str| json!({"conversation_id": conversation, "reason": reason});
    app.post(nominations, &learner, body(served[0], "耐心")).await.problem(403);
    app.post(nominations, &t2, body(served[0], "  ")).await.problem(422);
    app.post(nominations, &t2, body(999_999, "耐心")).await.problem(404);
    let open = app.open_conversation(&learner, "还在处理中").await;
    app.post(nominations, &lead, body(open, "耐心")).await.problem(409);
    let nominated = app.post(nominations, &t2, body(served[0], "耐心地一步步帮学员排查播放问题")).await.expect(201);
    assert_eq!(
        (nominated["status"].as_str(), nominated["agent_id"].as_i64(), nominated["conversation_id"].as_i64()),
        (Some("pending"), Some(t1_id), Some(served[0]))
    );
    let decision = format!("/api/v1/awards/nominations/{}/decision", nominated["id"]);
    app.post(&decision, &t1, json!({"approve": true})).await.problem(403);
    app.post(&format!("/api/v1/awards/nominations/{}/decision", star["id"]), &lead, json!({"approve": false})).await.problem(409);
    assert_eq!(app.post(&decision, &lead, json!({"approve": true})).await.expect(200)["status"], "approved");
    app.post(&decision, &lead, json!({"approve": false})).await.problem(409);
    app.post("/api/v1/awards/nominations/999999/decision", &lead, json!({"approve": true})).await.problem(404);

    let approved = app.get("/api/v1/awards?status=approved", &t1).await.expect(200);
    assert_eq!(approved.as_array().unwrap().len(), 2, "the star and the case: {approved}");
    app.get("/api/v1/awards?status=maybe", &t1).await.problem(400);
}
