//! Issue 13.9: hiring. A supervisor invites a candidate; the candidate takes the test on its
//! server-rendered pages (typing in Chinese and English timed by the server, the empathy
//! scenario, the quiz), each part recorded once; the supervisor reads the results and reviews.

use std::time::Instant;

use edudesk_core::hiring::QUIZ;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(a_candidate_takes_the_test_once_and_the_supervisor_reviews_it, test_links_refuse_what_they_should);

/// A page's status and HTML.
async fn page(app: &TestApp, method: Method, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let request = app.client.request(method.clone(), app.url(path));
    let request = if method == Method::POST { request.form(form) } else { request };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The text of the element with `id` (a `<p>` or `<textarea>`), as the page shows it.
fn element_text(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let open = start + html[start..].find('>')? + 1;
    let close = open + html[open..].find("</")?;
    Some(html[open..close].replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&"))
}

/// Starts the typing part `step`, types `typed(passage)`, and returns the seconds the test
/// measured around the server's clock (lower, upper bound).
async fn type_part(app: &TestApp, path: &str, step: &str, typed: impl Fn(&str) -> String) -> (f64, f64) {
    let (status, intro) = page(app, Method::GET, path, &[]).await;
    assert!(status == 200 && intro.contains("id=\"start\""), "{status}: {intro}");
    let began = Instant::now();
    let (status, shown) = page(app, Method::POST, path, &[("step", step), ("action", "start")]).await;
    let after_start = began.elapsed();
    assert_eq!(status, 200, "the start redirects to the passage: {shown}");
    let passage = element_text(&shown, "passage").unwrap_or_else(|| panic!("the passage: {shown}"));
    let before_answer = began.elapsed();
    let (status, next) = page(app, Method::POST, path, &[("step", step), ("action", "answer"), ("typed", &typed(&passage))]).await;
    let total = began.elapsed();
    assert_eq!(status, 200, "{next}");
    ((before_answer - after_start).as_secs_f64(), total.as_secs_f64())
}

async fn a_candidate_takes_the_test_once_and_the_supervisor_reviews_it(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    let invited =
        app.post("/api/v1/hiring/candidates", &lead, json!({"name": "王<b>小明</b>", "email": "xm@example.com", "lang": "zh", "tier": 1})).await.expect(201);
    let id = invited["candidate"]["id"].as_i64().unwrap();
    assert_eq!((invited["candidate"]["status"].as_str(), invited["candidate"]["step"].as_str()), (Some("invited"), Some("typing_zh")));
    let path = invited["link"].as_str().unwrap().to_owned();
    assert!(path.starts_with("/hiring/") && path.len() > 30, "{path}");
    // The link's secret is not kept: the candidate's record does not carry it.
    let stored = app.get(&format!("/api/v1/hiring/candidates/{id}"), &lead).await.expect(200);
    assert!(!stored.to_string().contains(&path[8..]), "{stored}");
    // Not finished: nothing to review yet.
    app.call(Method::PUT, &format!("/api/v1/hiring/candidates/{id}/review"), Some(&lead), Some(json!({"score": 4, "decision": "hire"}))).await.problem(409);

    // The first page greets them by name, escaped.
    let (status, intro) = page(&app, Method::GET, &path, &[]).await;
    assert_eq!(status, 200);
    assert!(intro.contains("王&lt;b&gt;小明&lt;/b&gt;") && !intro.contains("<b>小明"), "{intro}");
    // Typing before the passage is shown is refused, nothing recorded.
    let (status, refused) = page(&app, Method::POST, &path, &[("step", "typing_zh"), ("action", "answer"), ("typed", "您好")]).await;
    assert!(status == 409 && refused.contains("请先点击"), "{status}: {refused}");

    // Chinese: one character left out. English: exact, with extra spaces.
    let (zh_low, zh_high) = type_part(&app, &path, "typing_zh", |passage| passage.chars().skip(1).collect()).await;
    let (status, again) = page(&app, Method::POST, &path, &[("step", "typing_zh"), ("action", "answer"), ("typed", "重复提交")]).await;
    assert!(status == 409 && again.contains("已经提交过") && again.contains("英文打字"), "a second answer is refused and shows where they are: {again}");
    type_part(&app, &path, "typing_en", |passage| format!("  {}  ", passage.replace(' ', "  "))).await;

    // The written answer: too short comes back with the words kept; then a real one.
    let (status, short) = page(&app, Method::POST, &path, &[("step", "empathy"), ("action", "answer"), ("answer", "好的")]).await;
    assert_eq!(status, 422);
    assert_eq!(element_text(&short, "answer").as_deref(), Some("好的"), "{short}");
    let written = "非常抱歉让您着急了！我马上帮您处理。请问您用的是什么设备和浏览器？<script>alert(1)</script>";
    let (status, quiz) = page(&app, Method::POST, &path, &[("step", "empathy"), ("action", "answer"), ("answer", written)]).await;
    assert!(status == 200 && quiz.contains("data-question=\"5\""), "{quiz}");

    // The quiz: one left out comes back with the choices kept; then all, one wrong.
    let mut answers: Vec<String> = QUIZ.iter().map(|question| question.answer.to_string()).collect();
    answers[0] = "0".to_owned();
    let fields: Vec<(String, String)> = answers.iter().enumerate().map(|(n, answer)| (format!("q{n}"), answer.clone())).collect();
    let mut form: Vec<(&str, &str)> = vec![("step", "quiz"), ("action", "answer")];
    form.extend(fields.iter().take(5).map(|(key, value)| (key.as_str(), value.as_str())));
    let (status, missing) = page(&app, Method::POST, &path, &form).await;
    assert!(status == 422 && missing.contains("请回答所有题目"), "{missing}");
    assert!(missing.contains(&format!("name=\"q1\" value=\"{}\" checked", answers[1])), "the choices are kept: {missing}");
    form.push((fields[5].0.as_str(), fields[5].1.as_str()));
    let (status, done) = page(&app, Method::POST, &path, &form).await;
    assert!(status == 200 && done.contains("id=\"done\""), "{done}");
    assert!(page(&app, Method::GET, &path, &[]).await.1.contains("id=\"done\""), "the link shows the thank-you page from now on");

    // The supervisor's view: the server's timing, errors, signals, quiz.
    let result = app.get(&format!("/api/v1/hiring/candidates/{id}"), &lead).await.expect(200);
    assert_eq!(result["status"], "done", "{result}");
    let zh = &result["typing_zh"];
    assert_eq!((zh["errors"].as_i64(), zh["script"].as_str()), (Some(1), Some("zh")), "{zh}");
    let seconds = zh["seconds"].as_f64().unwrap();
    assert!(seconds >= zh_low.max(1.0) - 0.01 && seconds <= zh_high.max(1.0) + 0.01, "timed by the server: {seconds} in [{zh_low}, {zh_high}]");
    let correct = (zh["passage_chars"].as_i64().unwrap() - 1) as f64;
    assert!((zh["speed"].as_f64().unwrap() - correct / (seconds / 60.0)).abs() < 1e-6, "{zh}");
    assert_eq!(zh["suspicious"], true, "typed by a machine in about a second");
    assert_eq!((result["typing_en"]["errors"].as_i64(), result["typing_en"]["accuracy"].as_f64()), (Some(0), Some(1.0)), "{result}");
    assert_eq!(result["empathy_answer"], written);
    assert_eq!(result["empathy_signals"], json!(["acknowledges", "owns", "asks"]));
    assert_eq!((result["quiz"]["correct"].as_i64(), result["quiz"]["total"].as_i64()), (Some(5), Some(6)), "{result}");
    assert!(result["submitted_at"].is_i64());

    // The review: checked, then kept; a second one replaces it.
    let review = format!("/api/v1/hiring/candidates/{id}/review");
    app.call(Method::PUT, &review, Some(&lead), Some(json!({"score": 6, "decision": "hire"}))).await.problem(422);
    app.call(Method::PUT, &review, Some(&lead), Some(json!({"score": 4, "decision": "maybe"}))).await.problem(422);
    app.call(Method::PUT, &review, Some(&lead), Some(json!({"score": 4, "decision": "hire", "mood": "good"}))).await.problem(422);
    let reviewed = app.call(Method::PUT, &review, Some(&lead), Some(json!({"score": 4, "decision": "hold", "note": "先试岗"}))).await.expect(200);
    assert_eq!((reviewed["review"]["score"].as_i64(), reviewed["review"]["decision"].as_str()), (Some(4), Some("hold")));
    let reviewed = app.call(Method::PUT, &review, Some(&lead), Some(json!({"score": 5, "decision": "hire"}))).await.expect(200);
    assert_eq!((reviewed["review"]["decision"].as_str(), reviewed["review"]["note"].clone()), (Some("hire"), Value::Null));
    let list = app.get("/api/v1/hiring/candidates", &lead).await.expect(200);
    assert_eq!(list[0]["id"], id);

    // Agents and learners never see candidates.
    let t1 = app.login("t1@edudesk.demo").await;
    app.get(&format!("/api/v1/hiring/candidates/{id}"), &t1).await.problem(403);
    let (learner, _) = app.learner("L9401").await;
    app.get("/api/v1/hiring/candidates", &learner).await.problem(403);
}

async fn test_links_refuse_what_they_should(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    // Invitations are checked.
    for (body, field) in [
        (json!({"name": " "}), "name"),
        (json!({"name": "A", "email": "not an address"}), "email"),
        (json!({"name": "A", "lang": "fr"}), "lang"),
        (json!({"name": "A", "tier": 4}), "tier"),
    ] {
        let detail = app.call(Method::POST, "/api/v1/hiring/candidates", Some(&lead), Some(body)).await.problem(422);
        assert!(detail.starts_with(field), "{detail}");
    }
    app.call(Method::POST, "/api/v1/hiring/candidates", Some(&lead), Some(json!({"name": "A", "salary": 1}))).await.problem(422);
    let invited = app.post("/api/v1/hiring/candidates", &lead, json!({"name": "Alex", "lang": "en"})).await.expect(201);
    let path = invited["link"].as_str().unwrap().to_owned();

    // An unknown link, in the reader's language.
    let (status, unknown) = page(&app, Method::GET, "/hiring/no-such-link", &[]).await;
    assert!(status == 404 && unknown.contains("id=\"error\""), "{unknown}");
    // A form that names no part, or an unknown action, or cannot be read: explained, nothing moves.
    let (status, body) = page(&app, Method::POST, &path, &[("action", "start")]).await;
    assert!(status == 400 && body.contains("names no part"), "{body}");
    let (status, _) = page(&app, Method::POST, &path, &[("step", "typing_zh"), ("action", "skip")]).await;
    assert_eq!(status, 400);
    let bad =
        app.client.post(app.url(&path)).header("content-type", "application/x-www-form-urlencoded").body(vec![b'a', b'=', 0xff, 0xfe]).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    // Skipping ahead is refused: the quiz while on the first typing part.
    let (status, body) = page(&app, Method::POST, &path, &[("step", "quiz"), ("action", "answer"), ("q0", "1")]).await;
    assert!(status == 409 && body.contains("in order"), "{body}");
    // Typing longer than any passage is refused, the text kept.
    page(&app, Method::POST, &path, &[("step", "typing_zh"), ("action", "start")]).await;
    let long = "x".repeat(1001);
    let (status, body) = page(&app, Method::POST, &path, &[("step", "typing_zh"), ("action", "answer"), ("typed", &long)]).await;
    assert!(status == 422 && body.contains(&long), "{status}");
    let candidate = app.get(&format!("/api/v1/hiring/candidates/{}", invited["candidate"]["id"]), &lead).await.expect(200);
    assert_eq!(
        (candidate["step"].as_str(), candidate["status"].as_str(), candidate["typing_zh"].clone()),
        (Some("typing_zh"), Some("in_progress"), Value::Null)
    );

    // An expired link says so, and takes no answers.
    let token = "expired-link-for-the-test-0001";
    let lead_id = app.get("/api/v1/auth/me", &lead).await.expect(200)["user"]["id"].as_i64().unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    app.store
        .create_candidate(&edudesk::store::hiring::NewCandidate {
            token_hash: &edudesk::crypto::token_hash(token),
            name: "Late",
            email: None,
            lang: "zh",
            tier: 1,
            invited_by: lead_id,
            created_at: now - 20 * 86_400_000,
            expires_at: now - 6 * 86_400_000,
            first_step: "typing_zh",
        })
        .await
        .unwrap();
    let (status, body) = page(&app, Method::GET, &format!("/hiring/{token}"), &[]).await;
    assert!(status == 410 && body.contains("已过期"), "{status}: {body}");
    let (status, _) = page(&app, Method::POST, &format!("/hiring/{token}"), &[("step", "typing_zh"), ("action", "start")]).await;
    assert_eq!(status, 410);
    let listed = app.get("/api/v1/hiring/candidates", &lead).await.expect(200);
    assert_eq!(listed[0]["status"], "expired", "{listed}");
}
