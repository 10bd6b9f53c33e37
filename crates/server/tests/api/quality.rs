//! Quality review (issue 13.7): supervisors draw a sample of resolved conversations spread
//! over agents and score them on the rubric; agents read their own reviews.

use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(supervisors_review_a_sample_on_the_rubric_and_agents_read_theirs);

async fn supervisors_review_a_sample_on_the_rubric_and_agents_read_theirs(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, contact) = app.learner("L9001").await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t2 = app.login("t2@edudesk.demo").await;
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].as_i64().unwrap();
    let served = app.open_conversation(&learner, "课程视频卡顿").await;
    let path = format!("/api/v1/conversations/{served}");
    app.patch(&path, &lead, json!({"assignee_id": t1_id})).await.expect(200);
    app.post(&format!("{path}/messages"), &t1, json!({"body": "请试试切换清晰度"})).await.expect(201);
    app.patch(&path, &t1, json!({"status": "resolved"})).await.expect(200);

    // The sample: the resolved conversation with its agent; supervisors only.
    let sample = app.get("/api/v1/qa/sample?days=7&per_agent=3", &lead).await.expect(200);
    assert!(sample.as_array().unwrap().iter().any(|s| s["conversation_id"] == served && s["agent_id"] == t1_id), "{sample}");
    assert_eq!(sample, app.get("/api/v1/qa/sample?days=7&per_agent=3", &lead).await.expect(200), "the same list on reload");
    app.get("/api/v1/qa/sample", &t1).await.problem(403);
    app.get("/api/v1/qa/sample?days=0", &lead).await.problem(400);
    app.get("/api/v1/qa/sample?per_agent=many", &lead).await.problem(400);

    // Bad reviews are refused with the reason.
    let review = format!("{path}/review");
    let good = json!({"empathy": 5, "accuracy": 4, "sop_adherence": 3, "tone": 4, "comment": "共情到位，但没有按 SOP 先确认设备"});
    app.call(reqwest::Method::PUT, &review, Some(&t1), Some(good.clone())).await.problem(403);
    for (bad, detail) in [
        (json!({"empathy": 6, "accuracy": 4, "sop_adherence": 3, "tone": 4}), "empathy: 1 to 5"),
        (json!({"empathy": 5, "accuracy": 4, "sop_adherence": 0, "tone": 4}), "sop_adherence: 1 to 5"),
        (json!({"empathy": 5, "accuracy": 4, "tone": 4}), "sop_adherence"),
        (json!({"empathy": 5, "accuracy": 4, "sop_adherence": 3, "tone": 4, "stars": 5}), "stars"),
    ] {
        let problem = app.call(reqwest::Method::PUT, &review, Some(&lead), Some(bad)).await.problem(422);
        assert!(problem.contains(detail), "{problem}");
    }
    app.call(reqwest::Method::PUT, "/api/v1/conversations/999999/review", Some(&lead), Some(good.clone())).await.problem(404);
    let unserved = app.open_conversation_at_tier(&lead, contact, 1).await;
    app.call(reqwest::Method::PUT, &format!("/api/v1/conversations/{unserved}/review"), Some(&lead), Some(good.clone())).await.problem(409);

    let saved = app.call(reqwest::Method::PUT, &review, Some(&lead), Some(good.clone())).await.expect(200);
    assert_eq!((saved["agent_id"].as_i64(), saved["sop_adherence"].as_i64()), (Some(t1_id), Some(3)));
    // Saving again changes the same review.
    let changed =
        app.call(reqwest::Method::PUT, &review, Some(&lead), Some(json!({"empathy": 5, "accuracy": 4, "sop_adherence": 4, "tone": 3}))).await.expect(200);
    assert_eq!((changed["id"].clone(), changed["comment"].clone()), (saved["id"].clone(), Value::Null));

    // Reviewed: out of the sample. The agent reads theirs with the average; others' are not theirs.
    let sample = app.get("/api/v1/qa/sample", &lead).await.expect(200);
    assert!(sample.as_array().unwrap().iter().all(|s| s["conversation_id"] != served), "{sample}");
    let mine = app.get("/api/v1/qa/reviews", &t1).await.expect(200);
    assert_eq!((mine["reviews"].as_array().unwrap().len(), mine["average_score"].as_f64()), (1, Some(4.0)));
    assert!(app.get("/api/v1/qa/reviews", &t2).await.expect(200)["reviews"].as_array().unwrap().is_empty());
    app.get(&format!("/api/v1/qa/reviews?agent_id={t1_id}"), &t2).await.problem(403);
    assert_eq!(app.get(&format!("/api/v1/qa/reviews?agent_id={t1_id}"), &lead).await.expect(200)["reviews"][0]["conversation_id"], served);
    app.get("/api/v1/qa/reviews", &learner).await.problem(403);
}
