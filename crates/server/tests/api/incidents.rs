//! Spikes and incidents (issue 13.4): a category far above its seasonal baseline opens an
//! incident that links its conversations; the same volume at a usually busy hour does not;
//! a banner reaches the widget and the help centre; one answer reaches every linked learner.

use reqwest::Method;
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(a_spike_opens_an_incident_that_answers_everyone_and_shows_a_banner, a_course_spike_opens_its_own_incident_and_volume_counts_by_course_and_hour);

async fn a_spike_opens_an_incident_that_answers_everyone_and_shows_a_banner(backend: TestBackend) {
    // The owners' integration hears of the incident, signed.
    let received: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>> = Default::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let sink = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                let signature = headers.get("x-edudesk-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                sink.lock().unwrap().push((signature, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let app = TestApp::builder(backend)
        .configure(|config| {
            config.webhook_url = Some(format!("http://{address}/hook"));
            config.webhook_secret = Some(edudesk::config::Secret::new("owners-secret"));
        })
        .spawn()
        .await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let (learner, _) = app.learner("L9301").await;
    let open = |category: &'static str, n: usize| {
        let (app, learner) = (&app, learner.clone());
        async move {
            let mut ids = Vec::new();
            for i in 0..n {
                let body = json!({"channel": "widget", "category": category, "message": {"body": format!("{category} 问题 {i}"), "client_id": format!("{category}-{i}-{}", edudesk::crypto::new_token()[..8].to_owned())}});
                ids.push(app.post("/api/v1/conversations", &learner, body).await.expect(201)["id"].as_i64().unwrap());
            }
            ids
        }
    };
    // Coupons are always busy at this hour of the week: ten a week for four weeks, at this
    // very time. Five now is normal.
    let history = open("coupon", 40).await;
    for (k, id) in history.iter().enumerate() {
        let weeks_ago = (k / 10 + 1) as i64;
        sqlx::query("UPDATE conversations SET created_at = created_at - $2 WHERE id = $1")
            .bind(id)
            .bind(weeks_ago * 7 * 24 * 3_600_000)
            .execute(&app.store.write)
            .await
            .unwrap();
    }
    open("coupon", 5).await;
    // Payments: none at this hour before; eight in the last minutes is an incident.
    let payments = open("payment", 8).await;

    app.post("/api/v1/incidents/check", &t1, json!({})).await.problem(403);
    assert_eq!(app.post("/api/v1/incidents/check", &lead, json!({})).await.expect(200)["opened"], 1);
    assert_eq!(app.post("/api/v1/incidents/check", &lead, json!({})).await.expect(200)["opened"], 0, "one open incident per category");
    let incidents = app.get("/api/v1/incidents?open=true", &t1).await.expect(200);
    let incidents = incidents.as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let incident = &incidents[0];
    assert_eq!((incident["category"].as_str(), incident["conversations"].as_i64()), (Some("payment"), Some(8)), "{incident}");
    app.get("/api/v1/incidents", &learner).await.problem(403);
    let (signature, body) = crate::helpers::eventually("the owners' notification", async || {
        received.lock().unwrap().iter().find(|(_, body)| body.contains("incident.opened")).cloned()
    })
    .await;
    let notified: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((notified["incident"]["category"].as_str(), notified["incident"]["id"].clone()), (Some("payment"), incident["id"].clone()));
    let t = signature.split(',').next().and_then(|t| t.strip_prefix("t=")).unwrap().parse::<i64>().unwrap();
    assert_eq!(signature, edudesk::services::webhooks::signature("owners-secret", t, &body), "signed with the webhook secret");
    let path = format!("/api/v1/incidents/{}", incident["id"]);

    // A banner for learners, escaped wherever it shows.
    app.patch(&path, &t1, json!({"banner": "x"})).await.problem(403);
    app.patch(&path, &lead, json!({"banner": " "})).await.problem(422);
    app.patch(&path, &lead, json!({"status": "closed"})).await.problem(422);
    app.patch("/api/v1/incidents/999999", &lead, json!({"banner": "x"})).await.problem(404);
    let banner = "支付通道故障，我们正在处理 <b>";
    app.patch(&path, &lead, json!({"banner": banner})).await.expect(200);
    let status = app.call(Method::GET, "/api/v1/widget/status", None, None).await.expect(200);
    assert_eq!(status["banners"], json!([banner]));
    let help = app.client.get(app.url("/help?lang=zh")).send().await.unwrap().text().await.unwrap();
    assert!(help.contains("支付通道故障，我们正在处理 &lt;b&gt;"), "the help centre shows it, escaped");

    // One answer reaches every linked learner, once.
    let answer = format!("{path}/answer");
    app.post(&answer, &lead, json!({"body": ""})).await.problem(422);
    let reply = "支付通道已恢复，请重新支付";
    assert_eq!(app.post(&answer, &lead, json!({"body": reply})).await.expect(200)["answered"], 8);
    assert_eq!(app.post(&answer, &lead, json!({"body": reply})).await.expect(200)["answered"], 0, "answering again sends nothing twice");
    for id in &payments {
        let messages = app.get(&format!("/api/v1/conversations/{id}/messages"), &learner).await.expect(200);
        assert!(messages.as_array().unwrap().iter().any(|m| m["body"] == reply), "{messages}");
    }

    // Resolved: the banner is gone.
    assert_eq!(app.patch(&path, &lead, json!({"status": "resolved"})).await.expect(200)["status"], "resolved");
    assert_eq!(app.call(Method::GET, "/api/v1/widget/status", None, None).await.expect(200)["banners"], json!([]));
}

/// Issue 13.4: the widget names the course the learner asks from; a course far above its
/// baseline opens an incident of its own even when no single category spikes; the KPI report
/// counts volume by course and by hour of the day.
async fn a_course_spike_opens_its_own_incident_and_volume_counts_by_course_and_hour(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    let (learner, _) = app.learner("L9302").await;
    let open = |course: &'static str, category: &'static str, n: usize| {
        let (app, learner) = (&app, learner.clone());
        async move {
            for i in 0..n {
                let body = json!({"channel": "widget", "category": category, "course": format!(" {course} "),
                    "message": {"body": format!("{course} {category} {i}"), "client_id": edudesk::crypto::new_token()}});
                let created = app.post("/api/v1/conversations", &learner, body).await.expect(201);
                assert_eq!(created["course"], course, "kept, trimmed: {created}");
            }
        }
    };
    // Eight from one course spread over two categories (four each, and none in the demo's
    // conversations: no category spike), two from another course.
    open("Python 入门", "course_info", 4).await;
    open("Python 入门", "account", 4).await;
    open("数据分析", "payment", 2).await;
    let long = "课".repeat(101);
    let body = json!({"channel": "widget", "course": long, "message": {"body": "太长了"}});
    let detail = app.post("/api/v1/conversations", &learner, body).await.problem(422);
    assert!(detail.contains("course"), "{detail}");

    assert_eq!(app.post("/api/v1/incidents/check", &lead, json!({})).await.expect(200)["opened"], 1);
    let incidents = app.get("/api/v1/incidents?open=true", &lead).await.expect(200);
    assert_eq!(incidents.as_array().unwrap().len(), 1, "{incidents}");
    let incident = &incidents[0];
    assert_eq!(
        (incident["dimension"].as_str(), incident["category"].as_str(), incident["conversations"].as_i64()),
        (Some("course"), Some("Python 入门"), Some(8)),
        "{incident}"
    );

    let by_course = app.get("/api/v1/kpis?group_by=course", &lead).await.expect(200);
    let count = |report: &serde_json::Value, group: &str| {
        report["rows"].as_array().unwrap().iter().find(|row| row["group"] == group).map(|row| row["conversations"].as_i64().unwrap())
    };
    assert_eq!((count(&by_course, "Python 入门"), count(&by_course, "数据分析")), (Some(8), Some(2)), "{by_course}");
    let total = app.get("/api/v1/kpis", &lead).await.expect(200)["rows"][0]["conversations"].as_i64().unwrap();
    let by_hour = app.get("/api/v1/kpis?group_by=hour", &lead).await.expect(200);
    let hours = by_hour["rows"].as_array().unwrap();
    assert!(hours.iter().all(|row| row["group"].as_str().unwrap().ends_with(":00")), "{by_hour}");
    assert_eq!(hours.iter().map(|row| row["conversations"].as_i64().unwrap()).sum::<i64>(), total, "every conversation in one hour");
}
