//! CSAT surveys (issue 13.3): sent after a resolve through the conversation's channel,
//! answered by the link's token (JSON for the widget, a page for every other channel, one
//! click from an email), once per learner per quiet period, summarised for staff, comments
//! routed to the owning team, and erased with the learner's data.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend, eventually},
};

backend_tests!(
    a_resolved_conversation_asks_the_learner_and_staff_read_the_answers,
    the_survey_page_works_without_javascript_and_email_ratings_take_one_click,
    a_learner_is_asked_once_per_quiet_period_and_erasure_removes_their_comments,
    only_the_learner_answers_their_own_survey
);

async fn csat_app(backend: TestBackend) -> TestApp {
    TestApp::builder(backend)
        .configure(|config| {
            config.csat_delay_minutes = 0;
            config.nps_sample_percent = 100;
        })
        .spawn()
        .await
}

/// A learner's conversation served by the lead and resolved; returns (conversation, survey token).
async fn served_and_resolved(app: &TestApp, learner: &str, body: &str) -> (i64, String) {
    let lead = app.login("lead@edudesk.demo").await;
    let lead_id = app.get("/api/v1/auth/me", &lead).await.expect(200)["user"]["id"].clone();
    let conversation = app.open_conversation(learner, body).await;
    let path = format!("/api/v1/conversations/{conversation}");
    app.patch(&path, &lead, json!({"assignee_id": lead_id})).await.expect(200);
    app.post(&format!("{path}/messages"), &lead, json!({"body": "已为您处理好了"})).await.expect(201);
    app.patch(&path, &lead, json!({"status": "resolved"})).await.expect(200);
    // The invitation in the conversation carries no token (staff read it too): the learner's
    // link gets it only on its way out, so the test reads it where the server keeps it.
    let invitation = eventually("the survey message", async || {
        let messages = app.get(&format!("{path}/messages"), &lead).await.expect(200);
        messages.as_array()?.iter().find(|m| m["author_kind"] == "system" && m["body"].as_str().is_some_and(|b| b.contains("/survey/"))).cloned()
    })
    .await;
    let token = app.store.survey_of_conversation(conversation).await.unwrap().token;
    let body = invitation["body"].as_str().unwrap();
    assert!(body.contains("/survey/{survey}") && !body.contains(&token), "staff never see the survey's key: {body}");
    (conversation, token)
}

/// Nobody answers a survey in the learner's name: the learner answers their own with their
/// widget session; staff are refused; another learner's is not found.
async fn only_the_learner_answers_their_own_survey(backend: TestBackend) {
    let app = csat_app(backend).await;
    let (learner, _) = app.learner("L8011").await;
    let (conversation, _) = served_and_resolved(&app, &learner, "证书名字错了").await;
    let path = format!("/api/v1/conversations/{conversation}/survey");
    let lead = app.login("lead@edudesk.demo").await;
    app.get(&path, &lead).await.problem(403);
    app.post(&path, &lead, json!({"rating": 5})).await.problem(403);
    let (stranger, _) = app.learner("L8012").await;
    app.post(&path, &stranger, json!({"rating": 5})).await.problem(404);
    app.post(&path, &learner, json!({"rating": 9})).await.problem(422);
    let answered = app.post(&path, &learner, json!({"rating": 4, "comment": "挺快的"})).await.expect(200);
    assert_eq!(answered["rating"], 4, "{answered}");
    assert_eq!(app.get(&path, &learner).await.expect(200)["rating"], 4);
}

async fn a_resolved_conversation_asks_the_learner_and_staff_read_the_answers(backend: TestBackend) {
    let app = csat_app(backend).await;
    let (learner, _) = app.learner("L8001").await;
    let (conversation, token) = served_and_resolved(&app, &learner, "视频打不开").await;
    assert_eq!(token.len(), 16, "a short, unguessable token");
    let survey_path = format!("/api/v1/surveys/{token}");

    // The widget's pop-up reads the questions with the token alone (no sign-in).
    let questions = app.call(Method::GET, &survey_path, None, None).await.expect(200);
    assert_eq!((questions["lang"].as_str(), questions["asks_nps"].as_bool(), questions["open"].as_bool()), (Some("zh"), Some(true), Some(true)));
    assert_eq!(questions["rating"], Value::Null);

    // Bad answers are refused with the reason and change nothing.
    for (bad, status) in [
        (json!({"rating": 6}), 422),
        (json!({"rating": 0}), 422),
        (json!({"nps": 11}), 422),
        (json!({}), 422),
        (json!({"comment": "   "}), 422),
        (json!({"comment": "长".repeat(2001)}), 422),
        (json!({"rating": 5, "stars": 5}), 422),
        (json!({"rating": "five"}), 422),
    ] {
        app.call(Method::POST, &survey_path, None, Some(bad.clone())).await.problem(status);
    }
    let malformed = app.client.post(app.url(&survey_path)).header("content-type", "application/json").body("{\"rating\": 5").send().await.unwrap();
    assert_eq!(malformed.status(), 400);
    app.call(Method::POST, "/api/v1/surveys/AAAAAAAAAAAAAAAA", None, Some(json!({"rating": 5}))).await.problem(404);
    app.call(Method::GET, "/api/v1/surveys/not-a-token", None, None).await.problem(404);
    assert_eq!(app.call(Method::GET, &survey_path, None, None).await.expect(200)["rating"], Value::Null);

    let answered =
        app.call(Method::POST, &survey_path, None, Some(json!({"rating": 5, "resolved": true, "nps": 9, "comment": "希望增加倍速播放功能"}))).await.expect(200);
    assert_eq!((answered["rating"].as_i64(), answered["resolved"].as_bool(), answered["nps"].as_i64()), (Some(5), Some(true), Some(9)));
    // An answer may change until the survey closes.
    app.call(Method::POST, &survey_path, None, Some(json!({"rating": 4}))).await.expect(200);

    // Staff read it with the CSAT figures: supervisors everyone's, agents their own, learners nothing.
    let lead = app.login("lead@edudesk.demo").await;
    let report = app.get("/api/v1/surveys", &lead).await.expect(200);
    assert_eq!(report["summary"]["rated"], 1);
    assert_eq!((report["summary"]["csat"].as_f64(), report["summary"]["nps"].as_f64()), (Some(1.0), Some(100.0)));
    assert_eq!(report["surveys"][0]["conversation_id"], conversation);
    assert!(report["surveys"][0].get("token").is_none(), "the learner's key is never shown to staff");
    let t1 = app.login("t1@edudesk.demo").await;
    assert_eq!(app.get("/api/v1/surveys", &t1).await.expect(200)["summary"]["rated"], 0, "an agent sees their own only");
    app.get("/api/v1/surveys?agent_id=1", &t1).await.problem(403);
    app.get("/api/v1/surveys", &learner).await.problem(403);
    app.get("/api/v1/surveys?limit=0", &lead).await.problem(400);

    // The comment wished for a feature: the product team's, with a status.
    let items = app.get("/api/v1/feedback-items", &lead).await.expect(200);
    let item = items.as_array().unwrap().iter().find(|i| i["conversation_id"] == conversation).cloned().unwrap();
    assert_eq!((item["area"].as_str(), item["owner_team"].as_str(), item["status"].as_str()), (Some("product"), Some("product"), Some("new")));
    let item_path = format!("/api/v1/feedback-items/{}", item["id"]);
    app.patch(&item_path, &t1, json!({"status": "done"})).await.problem(403);
    app.patch(&item_path, &lead, json!({"status": "shipped"})).await.problem(422);
    app.patch(&item_path, &learner, json!({"status": "done"})).await.problem(403);
    app.patch("/api/v1/feedback-items/999999", &lead, json!({"status": "done"})).await.problem(404);
    assert_eq!(app.patch(&item_path, &lead, json!({"status": "planned"})).await.expect(200)["status"], "planned");
    app.get("/api/v1/feedback-items?status=open", &lead).await.problem(422);
    assert!(app.get("/api/v1/feedback-items", &t1).await.expect(200).as_array().unwrap().is_empty(), "not t1's team");
}

async fn the_survey_page_works_without_javascript_and_email_ratings_take_one_click(backend: TestBackend) {
    let app = csat_app(backend).await;
    let (learner, _) = app.learner("L8002").await;
    let (_, token) = served_and_resolved(&app, &learner, "优惠券用不了").await;
    let page = |path: String| app.client.get(app.url(&path)).send();

    // The email's "★★★★" link records 4 at once and shows the rest of the form.
    let clicked = page(format!("/survey/{token}?rating=4")).await.unwrap();
    assert_eq!(clicked.status(), 200);
    assert_eq!(clicked.headers().get("cache-control").unwrap(), "no-store");
    let html = clicked.text().await.unwrap();
    assert!(html.contains("value=\"4\" checked"), "the chosen rating is shown: {html}");
    assert!(html.contains("您有多大可能"), "sampled: the NPS question, in the learner's language");
    assert_eq!(app.call(Method::GET, &format!("/api/v1/surveys/{token}"), None, None).await.expect(200)["rating"], 4);
    assert_eq!(page(format!("/survey/{token}?rating=9")).await.unwrap().status(), 422);
    assert_eq!(page("/survey/AAAAAAAAAAAAAAAA".to_owned()).await.unwrap().status(), 404);

    // The form posts without JavaScript; a comment about a crash goes to engineering.
    let form = [("rating", "2"), ("resolved", "no"), ("nps", ""), ("comment", "app 一直闪退 <script>alert(1)</script>")];
    let thanks = app.client.post(app.url(&format!("/survey/{token}"))).form(&form).send().await.unwrap();
    assert_eq!(thanks.status(), 200);
    assert!(thanks.text().await.unwrap().contains("谢谢您的评价"));
    let again = page(format!("/survey/{token}")).await.unwrap().text().await.unwrap();
    assert!(again.contains("&lt;script&gt;") && !again.contains("<script>alert"), "the comment is escaped");
    let bad = app.client.post(app.url(&format!("/survey/{token}"))).form(&[("rating", "lots")]).send().await.unwrap();
    assert_eq!(bad.status(), 422);
    let lead = app.login("lead@edudesk.demo").await;
    let items = app.get("/api/v1/feedback-items", &lead).await.expect(200);
    assert!(items.as_array().unwrap().iter().any(|i| i["area"] == "tech" && i["owner_team"] == "tech"), "{items}");

    // SMS carries the short link.
    let short = app.client.get(app.url(&format!("/s/{token}"))).send().await.unwrap();
    assert_eq!(short.url().path(), format!("/survey/{token}"), "the short link leads to the survey");

    // A closed survey takes no answers.
    sqlx::query("UPDATE surveys SET expires_at = 1").execute(&app.store.write).await.unwrap();
    app.call(Method::POST, &format!("/api/v1/surveys/{token}"), None, Some(json!({"rating": 5}))).await.problem(409);
    assert_eq!(page(format!("/survey/{token}?rating=5")).await.unwrap().status(), 409);
}

async fn a_learner_is_asked_once_per_quiet_period_and_erasure_removes_their_comments(backend: TestBackend) {
    let app = csat_app(backend).await;
    let (learner, contact) = app.learner("L8003").await;
    let (_, token) = served_and_resolved(&app, &learner, "退款什么时候到账").await;
    app.call(Method::POST, &format!("/api/v1/surveys/{token}"), None, Some(json!({"rating": 1, "comment": "客服回复慢，等了两天"}))).await.expect(200);

    // A second conversation resolved the same week: its survey job runs and sends nothing.
    let lead = app.login("lead@edudesk.demo").await;
    let lead_id = app.get("/api/v1/auth/me", &lead).await.expect(200)["user"]["id"].clone();
    let second = app.open_conversation(&learner, "又有一个问题").await;
    let path = format!("/api/v1/conversations/{second}");
    app.patch(&path, &lead, json!({"assignee_id": lead_id})).await.expect(200);
    app.patch(&path, &lead, json!({"status": "resolved"})).await.expect(200);
    eventually("the second survey job to run", async || {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE unique_key = $1").bind(format!("csat:{second}")).fetch_one(&app.store.read).await.unwrap();
        (pending == 0).then_some(())
    })
    .await;
    let surveys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM surveys WHERE contact_id = $1").bind(contact).fetch_one(&app.store.read).await.unwrap();
    assert_eq!(surveys, 1, "one survey per learner per quiet period");
    let messages = app.get(&format!("{path}/messages"), &learner).await.expect(200);
    assert!(messages.as_array().unwrap().iter().all(|m| m["author_kind"] != "system"), "{messages}");

    // The learner's export carries the answers; erasure removes the comment and the routed text.
    let export = app.get(&format!("/api/v1/contacts/{contact}/export"), &learner).await.expect(200);
    assert_eq!(export["surveys"][0]["comment"], "客服回复慢，等了两天");
    let admin = app.login("admin@edudesk.demo").await;
    app.call(Method::DELETE, &format!("/api/v1/contacts/{contact}"), Some(&admin), None).await.expect(200);
    let comment: Option<String> =
        sqlx::query_scalar("SELECT comment FROM surveys WHERE contact_id = $1").bind(contact).fetch_one(&app.store.read).await.unwrap();
    assert_eq!(comment, None);
    let items = app.get("/api/v1/feedback-items", &lead).await.expect(200);
    assert!(items.as_array().unwrap().iter().all(|i| !i["text"].as_str().unwrap_or_default().contains("等了两天")), "{items}");
}
