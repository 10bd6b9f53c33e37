//! Issue 13.1 (part): KPIs over the API — computed from what happened, grouped, exported as
//! CSV, and shown to the right people (the definitions are tested against hand-computed
//! fixtures in `edudesk_core::kpi`).

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(kpis_count_what_agents_did_and_only_the_right_people_see_them);

async fn kpis_count_what_agents_did_and_only_the_right_people_see_them(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let t1 = app.login("t1@edudesk.demo").await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].as_i64().unwrap();
    // t1 is online while working (occupancy is measured from the presence log).
    app.call(Method::PUT, "/api/v1/presence", Some(&t1), Some(json!({"presence": "online"}))).await.expect(200);
    // One conversation answered once and resolved, one answered twice, resolved, reopened by
    // the learner; one nobody answered yet.
    let (first, _) = app.learner("L8001").await;
    let one = app.open_conversation(&first, "怎么改手机号").await;
    app.post(&format!("/api/v1/conversations/{one}/messages"), &t1, json!({"body": "在设置里改"})).await.expect(201);
    app.call(Method::PATCH, &format!("/api/v1/conversations/{one}"), Some(&t1), Some(json!({"status": "resolved"}))).await.expect(200);
    let (second, _) = app.learner("L8002").await;
    let two = app.open_conversation(&second, "发票怎么开").await;
    for body in ["请问要个人还是公司抬头？", "在订单页申请"] {
        app.post(&format!("/api/v1/conversations/{two}/messages"), &t1, json!({"body": body})).await.expect(201);
    }
    app.call(Method::PATCH, &format!("/api/v1/conversations/{two}"), Some(&t1), Some(json!({"status": "resolved"}))).await.expect(200);
    app.post(&format!("/api/v1/conversations/{two}/messages"), &second, json!({"body": "还是开不了"})).await.expect(201);
    let (third, _) = app.learner("L8003").await;
    app.open_conversation(&third, "课程过期了怎么办").await;

    let by_agent = app.get("/api/v1/kpis?group_by=agent", &lead).await.expect(200);
    let rows = by_agent["rows"].as_array().unwrap();
    let t1_group = t1_id.to_string();
    let mine = rows.iter().find(|r| r["group"] == t1_group.as_str()).unwrap_or_else(|| panic!("t1's row: {by_agent}"));
    assert_eq!(
        (mine["conversations"].as_i64(), mine["responded"].as_i64(), mine["resolved"].as_i64(), mine["reopened"].as_i64()),
        (Some(2), Some(2), Some(2), Some(1)),
        "{mine}"
    );
    assert_eq!((mine["one_touch_rate"].as_f64(), mine["reopen_rate"].as_f64(), mine["resolution_rate"].as_f64()), (Some(0.5), Some(0.5), Some(1.0)));
    assert!(mine["first_response_avg_s"].as_f64().unwrap() >= 0.0 && mine["name"].is_string(), "{mine}");
    let nobody = rows.iter().find(|r| r["group"] == "none").unwrap_or_else(|| panic!("the unanswered one: {by_agent}"));
    assert!(nobody["conversations"].as_i64().unwrap() >= 1 && nobody["responded"] == 0, "{nobody}");
    assert_eq!(by_agent["time_zone"], "Asia/Shanghai");

    // Occupancy: t1 was online, so it is a share; t3 never went online: none.
    let occupancy = mine["occupancy"].as_f64().unwrap_or_else(|| panic!("t1 was online: {mine}"));
    assert!((0.0..=1.0).contains(&occupancy), "{mine}");
    let t3 = app.login("t3@edudesk.demo").await;
    let t3_id = app.get("/api/v1/auth/me", &t3).await.expect(200)["user"]["id"].as_i64().unwrap();
    let by_agent_all = rows.iter().find(|r| r["group"] == t3_id.to_string().as_str());
    assert!(by_agent_all.is_none_or(|row| row["occupancy"].is_null()), "{by_agent}");
    // By team: t1's team counts their two conversations.
    let by_team = app.get("/api/v1/kpis?group_by=team", &lead).await.expect(200);
    let team = by_team["rows"].as_array().unwrap().iter().find(|r| r["group"] == "tier-1").unwrap_or_else(|| panic!("{by_team}"));
    assert_eq!(team["conversations"], 2, "{team}");
    assert!(team["occupancy"].is_number(), "{team}");
    app.get("/api/v1/kpis?group_by=team", &t1).await.problem(403);

    let total = app.get("/api/v1/kpis", &lead).await.expect(200);
    assert_eq!(total["rows"].as_array().unwrap().len(), 1);
    assert!(total["rows"][0]["conversations"].as_i64().unwrap() >= 3, "{total}");

    // CSV for spreadsheets.
    let csv = app.client.get(app.url("/api/v1/kpis?group_by=channel&format=csv")).bearer_auth(&lead).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("group,conversations,") && csv.lines().any(|line| line.starts_with("widget,")), "{csv}");

    // The chart in the reader's language.
    let chart = app.client.get(app.url("/api/v1/kpis?group_by=agent&format=svg&metric=resolution_rate&lang=zh")).bearer_auth(&lead).send().await.unwrap();
    assert_eq!(chart.headers()["content-type"], "image/svg+xml; charset=utf-8");
    let chart = chart.text().await.unwrap();
    assert!(chart.starts_with("<svg") && chart.contains("解决率") && chart.contains("按客服") && chart.contains("无人处理"), "{chart}");
    app.get("/api/v1/kpis?format=svg&lang=fr", &lead).await.problem(400);
    app.get("/api/v1/kpis?format=svg&metric=salary", &lead).await.problem(400);

    // An agent sees their own row only; learners none; bad input is explained.
    let own = app.get("/api/v1/kpis?group_by=agent", &t1).await.expect(200);
    assert_eq!(own["rows"].as_array().unwrap().iter().map(|r| r["group"].clone()).collect::<Vec<Value>>(), vec![json!(t1_id.to_string())]);
    app.get("/api/v1/kpis?group_by=tier", &t1).await.problem(403);
    app.get("/api/v1/kpis", &first).await.problem(403);
    app.call(Method::GET, "/api/v1/kpis", None, None).await.problem(401);
    app.get("/api/v1/kpis?group_by=moon", &lead).await.problem(400);
    app.get("/api/v1/kpis?from=yesterday", &lead).await.problem(400);
    app.get("/api/v1/kpis?from=2026-12-09&to=2026-12-01", &lead).await.problem(400);
    app.get("/api/v1/kpis?from=2020-01-01&to=2026-12-01", &lead).await.problem(400);
    app.get("/api/v1/kpis?format=xml", &lead).await.problem(400);
    app.get("/api/v1/kpis?colour=red", &lead).await.problem(400);
    let empty = app.get("/api/v1/kpis?from=2020-01-01&to=2020-01-07", &lead).await.expect(200);
    assert_eq!(empty["rows"], json!([]));
}
