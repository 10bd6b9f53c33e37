//! Issue 13.8: training. A new agent starts as a trainee (no routed conversations), reads the
//! course, passes the four modules of their tier and is certified, and routing then gives
//! them work; tier changes need the certification; supervisors see the team and grant;
//! practice with a simulated learner is scored; every refusal is clear.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(
    a_trainee_is_certified_by_passing_the_four_modules_and_then_gets_conversations,
    tier_changes_wait_for_certification_and_supervisors_grant_it,
    a_practice_learner_answers_and_the_trainee_is_scored
);

async fn user_id(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/auth/me", token).await.expect(200)["user"]["id"].as_i64().unwrap()
}

/// The right option of each question of an attempt, from what the server stored.
async fn keys(app: &TestApp, attempt: i64, user: i64) -> Vec<usize> {
    let row = app.store.attempt(attempt, user).await.unwrap();
    let questions: Vec<edudesk_core::training::QuizQuestion> = serde_json::from_str(&row.questions).unwrap();
    questions.iter().map(|question| question.answer).collect()
}

async fn a_trainee_is_certified_by_passing_the_four_modules_and_then_gets_conversations(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.login("admin@edudesk.demo").await;
    let new = json!({"email": "new@edudesk.demo", "password": "trainee-pass", "role": "agent", "tier": 1, "display_name": "Nina New"});
    app.post("/api/v1/users", &admin, new).await.expect(201);
    let login = app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "new@edudesk.demo", "password": "trainee-pass"}))).await.expect(200);
    let nina = login["token"].as_str().unwrap().to_owned();
    let nina_id = user_id(&app, &nina).await;
    app.call(Method::PUT, "/api/v1/presence", Some(&nina), Some(json!({"presence": "online"}))).await.expect(200);

    // Online but a trainee: the learner's coupon question waits in the queue.
    let (learner, _) = app.learner("L5001").await;
    let waiting = app.post("/api/v1/conversations", &learner, json!({"channel": "widget", "message": {"body": "My coupon won't apply"}})).await.expect(201);
    assert_eq!((waiting["tier"].as_i64(), &waiting["assignee_id"]), (Some(1), &Value::Null), "{waiting}");

    // The course: four modules; product lessons are the KB's articles, SOP lessons the steps.
    let course = app.get("/api/v1/training?lang=zh", &nina).await.expect(200);
    assert_eq!(course["certified_tier"], 0);
    let modules: Vec<&str> = course["modules"].as_array().unwrap().iter().map(|m| m["module"].as_str().unwrap()).collect();
    assert_eq!(modules, ["product", "skills", "tools", "sops"]);
    assert!(course["modules"][0]["lessons"].as_array().unwrap().iter().any(|l| l["articles"].as_array().unwrap().len() > 1), "{}", course["modules"][0]);
    assert!(course["modules"][3]["lessons"][0]["steps"].as_array().unwrap().len() >= 3, "{}", course["modules"][3]);
    assert_eq!(course["tiers"][0]["modules"][0]["questions"], 6);
    assert_eq!(course["tiers"][1]["modules"][0]["questions"], 8, "tier 2 asks more about the product");

    // A failed attempt shows the right answers and cannot be submitted twice.
    let attempt = app.post("/api/v1/training/attempts?lang=zh", &nina, json!({"tier": 1, "module": "product"})).await.expect(201);
    let id = attempt["id"].as_i64().unwrap();
    assert_eq!(attempt["questions"].as_array().unwrap().len(), 6);
    assert!(attempt["questions"][0].get("answer").is_none(), "the key stays on the server: {attempt}");
    assert!(attempt["questions"][0]["prompt"].as_str().unwrap().starts_with("学员问"), "{attempt}");
    let right = keys(&app, id, nina_id).await;
    let wrong: Vec<usize> = right.iter().map(|key| (key + 1) % 4).collect();
    let detail = app.post(&format!("/api/v1/training/attempts/{id}/answers"), &nina, json!({"answers": &wrong[..5]})).await.problem(422);
    assert!(detail.contains("answer all 6"), "{detail}");
    let failed = app.post(&format!("/api/v1/training/attempts/{id}/answers"), &nina, json!({"answers": wrong})).await.expect(200);
    assert_eq!((failed["correct"].as_i64(), failed["passed"].as_bool(), failed["certified"].as_bool()), (Some(0), Some(false), Some(false)));
    assert_eq!(failed["right"], json!(right));
    app.post(&format!("/api/v1/training/attempts/{id}/answers"), &nina, json!({"answers": right})).await.problem(409);
    // Somebody else's attempt does not exist for them.
    let t1 = app.login("t1@edudesk.demo").await;
    app.post(&format!("/api/v1/training/attempts/{id}/answers"), &t1, json!({"answers": right})).await.problem(404);
    app.post("/api/v1/training/attempts", &nina, json!({"tier": 1, "module": "cooking"})).await.problem(422);
    app.post("/api/v1/training/attempts", &nina, json!({"tier": 4, "module": "tools"})).await.problem(422);

    // Passing all four modules certifies tier 1 on the last one.
    for (n, module) in modules.iter().enumerate() {
        let attempt = app.post("/api/v1/training/attempts?lang=zh", &nina, json!({"tier": 1, "module": module})).await.expect(201);
        let id = attempt["id"].as_i64().unwrap();
        let answers = keys(&app, id, nina_id).await;
        let result = app.post(&format!("/api/v1/training/attempts/{id}/answers"), &nina, json!({"answers": answers})).await.expect(200);
        assert_eq!(result["passed"], true, "{module}: {result}");
        assert_eq!(result["newly_certified"], n == 3, "{module}: {result}");
    }
    let course = app.get("/api/v1/training", &nina).await.expect(200);
    assert_eq!(course["certified_tier"], 1);
    assert_eq!(course["certifications"][0]["source"], "course");
    assert_eq!(course["tiers"][0]["modules"][0]["best"]["attempts"], 2);
    assert_eq!(course["tiers"][1]["certified"], false);

    // Certified and online: the waiting conversation comes to them.
    let path = format!("/api/v1/conversations/{}", waiting["id"]);
    crate::helpers::eventually("the waiting conversation routed to the new agent", async || {
        (app.get(&path, &admin).await.expect(200)["assignee_id"] == nina_id).then_some(())
    })
    .await;
}

async fn tier_changes_wait_for_certification_and_supervisors_grant_it(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.login("admin@edudesk.demo").await;
    let lead = app.login("lead@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t1_id = user_id(&app, &t1).await;
    let user = format!("/api/v1/users/{t1_id}");

    let detail = app.patch(&user, &admin, json!({"tier": 2})).await.problem(409);
    assert!(detail.contains("not certified for tier 2"), "{detail}");
    assert_eq!(app.get(&user, &admin).await.expect(200)["tier"], 1, "nothing changed");

    // Agents neither grant nor see the team; a supervisor grants tier 2.
    app.post("/api/v1/training/certifications", &t1, json!({"user_id": t1_id, "tier": 2})).await.problem(403);
    app.get("/api/v1/training/team", &t1).await.problem(403);
    app.post("/api/v1/training/certifications", &lead, json!({"user_id": 999_999, "tier": 2})).await.problem(404);
    let granted = app.post("/api/v1/training/certifications", &lead, json!({"user_id": t1_id, "tier": 2})).await.expect(200);
    let lead_id = user_id(&app, &lead).await;
    assert_eq!((&granted[1]["tier"], &granted[1]["source"], &granted[1]["granted_by"]), (&json!(2), &json!("granted"), &json!(lead_id)), "{granted}");
    assert_eq!(app.patch(&user, &admin, json!({"tier": 2})).await.expect(200)["tier"], 2);
    // Moving down needs nothing.
    assert_eq!(app.patch(&user, &admin, json!({"tier": 1})).await.expect(200)["tier"], 1);

    // The team view: t1 certified for tier 2; a new trainee, and one created certified.
    let trainee = json!({"email": "trainee@edudesk.demo", "password": "trainee-pass", "role": "agent", "tier": 2});
    let trainee_id = app.post("/api/v1/users", &admin, trainee).await.expect(201)["id"].as_i64().unwrap();
    let hire = json!({"email": "hire@edudesk.demo", "password": "trainee-pass", "role": "agent", "tier": 2, "certified": true});
    let hire_id = app.post("/api/v1/users", &admin, hire).await.expect(201)["id"].as_i64().unwrap();
    let team = app.get("/api/v1/training/team", &lead).await.expect(200);
    let member = |id: i64| team.as_array().unwrap().iter().find(|m| m["user_id"] == id).cloned().unwrap();
    assert_eq!(member(t1_id)["certified_tier"], 2);
    assert_eq!(member(trainee_id)["certified_tier"], 0);
    assert_eq!(member(hire_id)["certified_tier"], 2);
}

async fn a_practice_learner_answers_and_the_trainee_is_scored(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t1_id = user_id(&app, &t1).await;
    let started = app.call(Method::POST, "/api/v1/training/practice?lang=zh", Some(&t1), None).await.expect(201);
    let id = started["id"].as_i64().unwrap();
    assert_eq!((started["transcript"].as_array().unwrap().len(), &started["transcript"][0]["speaker"]), (1, &json!("learner")));
    assert_eq!((&started["ended"], &started["article"]), (&json!(false), &Value::Null), "the answer is not given away: {started}");
    let path = format!("/api/v1/training/practice/{id}/replies");

    // Asked about the setup, the learner tells it.
    let asked = app.post(&path, &t1, json!({"body": "抱歉让您久等了，请问您用的是什么设备和浏览器？"})).await.expect(200);
    let details = asked["transcript"][2]["text"].as_str().unwrap();
    assert!(["iPhone", "华为", "Windows", "MacBook"].iter().any(|device| details.contains(device)), "{asked}");
    assert_eq!(asked["turns_left"], 5);

    // The article that solves it, named: thanks, the end, and the score.
    let row = app.store.practice(id, t1_id).await.unwrap();
    let scenario: edudesk_core::training::Scenario = serde_json::from_str(&row.scenario).unwrap();
    let answer = format!("我来帮您，请按帮助中心文章《{}》的步骤试试", scenario.article_title);
    let done = app.post(&path, &t1, json!({"body": answer})).await.expect(200);
    assert_eq!((&done["ended"], &done["solved"]), (&json!(true), &json!(true)), "{done}");
    assert!(done["transcript"][4]["text"].as_str().unwrap().contains("谢谢"), "{done}");
    assert_eq!(done["article"]["id"], json!(scenario.article_id));
    let score = &done["score"];
    assert_eq!(
        (&score["solved"], &score["empathy"], &score["asked"], &score["next_step"], &score["respectful"]),
        (&json!(50), &json!(20), &json!(10), &json!(10), &json!(10))
    );
    assert_eq!(score["total"], 100);

    // Ended: no more replies; another's practice is not found; an empty reply is refused.
    app.post(&path, &t1, json!({"body": "还有别的问题吗"})).await.problem(409);
    let t2 = app.login("t2@edudesk.demo").await;
    app.get(&format!("/api/v1/training/practice/{id}"), &t2).await.problem(404);
    let other = app.call(Method::POST, "/api/v1/training/practice", Some(&t2), None).await.expect(201)["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/training/practice/{other}/replies"), &t2, json!({"body": "  "})).await.problem(422);
    app.post(&format!("/api/v1/training/practice/{other}/replies"), &t2, json!({"text": "hi"})).await.problem(422);
    let lead = app.login("lead@edudesk.demo").await;
    let team = app.get("/api/v1/training/team", &lead).await.expect(200);
    let t1_row = team.as_array().unwrap().iter().find(|m| m["user_id"] == t1_id).unwrap();
    assert_eq!((&t1_row["practice_sessions"], &t1_row["practice_average"]), (&json!(1), &json!(100.0)), "{t1_row}");
}
