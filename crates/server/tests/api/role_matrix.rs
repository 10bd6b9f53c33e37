//! Walks the whole role × endpoint matrix of README.md ("Roles and access") and checks
//! every cell's status code. The conversation under test is a tier 2 conversation of
//! learner L1001, unassigned.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(every_role_gets_exactly_its_rights);

/// Columns of the matrix, in README order.
const WHO: [&str; 8] = ["anonymous", "learner (owner)", "other learner", "agent tier 1", "agent tier 2", "agent tier 3", "supervisor", "admin"];

struct Row {
    method: Method,
    path: String,
    body: Option<Value>,
    expect: [u16; 8],
}

fn row(method: Method, path: impl Into<String>, body: Option<Value>, expect: [u16; 8]) -> Row {
    Row { method, path: path.into(), body, expect }
}

async fn every_role_gets_exactly_its_rights(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (owner, owner_contact) = app.learner("L1001").await;
    let (other, _) = app.learner("L1002").await;
    let (_, erasable) = app.learner("L1003").await;
    let staff = [
        app.login("t1@edudesk.demo").await,
        app.login("t2@edudesk.demo").await,
        app.login("t3@edudesk.demo").await,
        app.login("lead@edudesk.demo").await,
        app.login("admin@edudesk.demo").await,
    ];
    let tokens: Vec<Option<&str>> = [None, Some(owner.as_str()), Some(other.as_str())].into_iter().chain(staff.iter().map(|t| Some(t.as_str()))).collect();
    let conversation = app.open_conversation_at_tier(&staff[3], owner_contact, 2).await;
    let t1_id = app.get("/api/v1/auth/me", &staff[0]).await.expect(200)["user"]["id"].as_i64().unwrap();
    let c = format!("/api/v1/conversations/{conversation}");
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    let upload = |token: Option<&str>| {
        let mut request = app.client.post(app.url(&format!("{c}/attachments"))).header("content-type", "image/png").body(png.clone());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let image = upload(Some(&owner)).await.unwrap().json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let sops = app.get("/api/v1/sops", &staff[3]).await.expect(200);
    let login_sop = sops.as_array().unwrap().iter().find(|sop| sop["id"] == "login-failure").unwrap().clone();

    let rows = vec![
        row(Method::GET, "/api/v1/health", None, [200; 8]),
        row(Method::GET, "/api/v1/ready", None, [200; 8]),
        row(Method::GET, "/api/v1/kpis", None, [401, 403, 403, 403, 403, 403, 200, 200]),
        row(Method::GET, "/api/v1/wall", None, [401, 403, 403, 403, 403, 403, 200, 200]),
        row(Method::POST, "/api/v1/hiring/candidates", Some(json!({"name": "Matrix"})), [401, 403, 403, 403, 403, 403, 201, 201]),
        row(Method::GET, "/api/v1/hiring/candidates", None, [401, 403, 403, 403, 403, 403, 200, 200]),
        row(Method::GET, "/api/v1/hiring/candidates/999999", None, [401, 403, 403, 403, 403, 403, 404, 404]),
        row(Method::PUT, "/api/v1/hiring/candidates/999999/review", Some(json!({"score": 4, "decision": "hire"})), [401, 403, 403, 403, 403, 403, 404, 404]),
        row(Method::GET, "/api/v1/training", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::POST, "/api/v1/training/attempts", Some(json!({"tier": 1, "module": "tools"})), [401, 403, 403, 201, 201, 201, 201, 201]),
        row(Method::POST, "/api/v1/training/attempts/999999/answers", Some(json!({"answers": [0]})), [401, 403, 403, 404, 404, 404, 404, 404]),
        row(Method::GET, "/api/v1/training/team", None, [401, 403, 403, 403, 403, 403, 200, 200]),
        row(Method::POST, "/api/v1/training/certifications", Some(json!({"user_id": 999_999, "tier": 1})), [401, 403, 403, 403, 403, 403, 404, 404]),
        row(Method::POST, "/api/v1/training/practice", None, [401, 403, 403, 201, 201, 201, 201, 201]),
        row(Method::GET, "/api/v1/training/practice/999999", None, [401, 403, 403, 404, 404, 404, 404, 404]),
        row(Method::POST, "/api/v1/training/practice/999999/replies", Some(json!({"body": "hi"})), [401, 403, 403, 404, 404, 404, 404, 404]),
        row(Method::GET, "/api/v1/kpis?group_by=agent", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/openapi.json", None, [200; 8]),
        row(Method::GET, "/api/v1/auth/me", None, [401, 200, 200, 200, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/conversations", None, [401, 200, 200, 200, 200, 200, 200, 200]),
        row(
            Method::POST,
            "/api/v1/conversations",
            Some(json!({"channel": "widget", "contact_id": owner_contact, "message": {"body": "matrix"}})),
            [401, 201, 403, 201, 201, 201, 201, 201],
        ),
        row(Method::GET, c.clone(), None, [401, 200, 404, 403, 200, 200, 200, 200]),
        row(Method::PATCH, c.clone(), Some(json!({"priority": "high"})), [401, 403, 404, 403, 200, 200, 200, 200]),
        row(Method::GET, format!("{c}/messages"), None, [401, 200, 404, 403, 200, 200, 200, 200]),
        row(Method::POST, format!("{c}/messages"), Some(json!({"body": "hello"})), [401, 201, 404, 403, 201, 201, 201, 201]),
        row(Method::POST, format!("{c}/messages"), Some(json!({"body": "note", "internal": true})), [401, 403, 404, 403, 201, 201, 201, 201]),
        row(Method::GET, format!("{c}/events"), None, [401, 200, 404, 403, 200, 200, 200, 200]),
        row(Method::GET, format!("{c}/calls"), None, [401, 200, 404, 403, 200, 200, 200, 200]),
        row(Method::POST, format!("{c}/calls"), Some(json!({"media": "smoke"})), [401, 422, 404, 403, 422, 422, 422, 422]),
        row(Method::POST, "/api/v1/calls/999999/accept", None, [401, 404, 404, 404, 404, 404, 404, 404]),
        row(Method::POST, "/api/v1/calls/999999/decline", None, [401, 404, 404, 404, 404, 404, 404, 404]),
        row(Method::POST, "/api/v1/calls/999999/hangup", None, [401, 404, 404, 404, 404, 404, 404, 404]),
        row(Method::GET, "/api/v1/calls/ice-servers", None, [401, 200, 200, 200, 200, 200, 200, 200]),
        row(Method::GET, format!("{c}/board"), None, [401, 200, 404, 403, 200, 200, 200, 200]),
        row(Method::GET, format!("{c}/survey"), None, [401, 404, 404, 403, 403, 403, 403, 403]),
        row(Method::POST, format!("{c}/survey"), Some(json!({"rating": 5})), [401, 404, 404, 403, 403, 403, 403, 403]),
        row(Method::GET, format!("{c}/tags"), None, [401, 403, 404, 403, 200, 200, 200, 200]),
        row(Method::PUT, format!("{c}/tags"), Some(json!({"tags": ["matrix"]})), [401, 403, 404, 403, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/tags", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/views", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::POST, "/api/v1/views", Some(json!({"name": "matrix", "filters": {"sla": "breached"}})), [401, 403, 403, 201, 201, 201, 201, 201]),
        row(Method::DELETE, "/api/v1/views/999999", None, [401, 403, 403, 404, 404, 404, 404, 404]),
        row(Method::GET, format!("{c}/deliveries"), None, [401, 403, 404, 403, 200, 200, 200, 200]),
        row(
            Method::POST,
            "/api/v1/contacts",
            Some(json!({"identities": [{"kind": "phone", "value": "+8613800000000"}]})),
            [401, 403, 403, 201, 201, 201, 201, 201],
        ),
        row(Method::GET, format!("/api/v1/contacts/{owner_contact}"), None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::POST, format!("/api/v1/contacts/{owner_contact}/merge"), Some(json!({"from": owner_contact})), [401, 403, 403, 422, 422, 422, 422, 422]),
        row(Method::GET, format!("/api/v1/contacts/{owner_contact}/export"), None, [401, 200, 404, 403, 403, 403, 200, 200]),
        row(Method::DELETE, format!("/api/v1/contacts/{erasable}"), None, [401, 403, 403, 403, 403, 403, 403, 200]),
        row(Method::GET, "/api/v1/users", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::GET, format!("/api/v1/users/{t1_id}"), None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::PATCH, format!("/api/v1/users/{t1_id}"), Some(json!({"max_concurrent": 6})), [401, 403, 403, 403, 403, 403, 403, 200]),
        row(Method::PUT, "/api/v1/presence", Some(json!({"presence": "online"})), [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::GET, format!("/api/v1/attachments/{image}"), None, [401, 200, 404, 403, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/queues", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/tasks", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::POST, format!("{c}/follow-ups"), Some(json!({"due_in_minutes": 60, "title": "check back"})), [401, 403, 404, 403, 201, 201, 201, 201]),
        row(Method::GET, format!("{c}/follow-ups"), None, [401, 403, 404, 403, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/widget/status", None, [200; 8]),
        row(Method::GET, "/api/v1/sops", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::PUT, "/api/v1/sops/login-failure", Some(login_sop), [401, 403, 403, 403, 403, 403, 200, 200]),
        // Once tier 2 has started it, an agent may not swap it while its mandatory steps are
        // open (409); supervisors may.
        row(Method::POST, format!("{c}/sop"), Some(json!({"sop_id": "video-playback"})), [401, 403, 404, 403, 200, 409, 200, 200]),
        row(Method::GET, format!("{c}/sop"), None, [401, 403, 404, 403, 200, 200, 200, 200]),
        row(Method::POST, format!("{c}/sop/answers"), Some(json!({"answers": {"device": "phone"}})), [401, 403, 404, 403, 200, 200, 200, 200]),
        row(Method::POST, format!("{c}/collaborators"), Some(json!({"team": "tier-2"})), [401, 403, 403, 403, 403, 403, 200, 200]),
        row(Method::GET, "/api/v1/kb/articles/zh-login-failed", None, [200; 8]),
        row(
            Method::PUT,
            "/api/v1/kb/articles/en-matrix",
            Some(json!({"id": "en-matrix", "lang": "en", "category": "Help", "title": "t", "body": "b"})),
            [401, 403, 403, 200, 200, 200, 200, 200],
        ),
        row(Method::GET, "/api/v1/kb/articles/zh-login-failed/versions", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::POST, "/api/v1/kb/articles/zh-login-failed/vote", Some(json!({"helpful": true})), [200; 8]),
        row(Method::GET, "/api/v1/kb/search?q=%E9%80%80%E6%AC%BE", None, [200; 8]),
        row(Method::POST, "/api/v1/kb/deflections", Some(json!({"article_id": "zh-refund-policy", "query": "退款"})), [204; 8]),
        row(Method::GET, "/api/v1/kb/search-stats", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/kb/learned-questions", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::POST, "/api/v1/kb/learned-questions/999999/accept", None, [401, 403, 403, 404, 404, 404, 404, 404]),
        row(Method::POST, "/api/v1/kb/learned-questions/999999/reject", None, [401, 403, 403, 404, 404, 404, 404, 404]),
        row(Method::GET, "/api/v1/kb/gaps", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/surveys", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/qa/sample", None, [401, 403, 403, 403, 403, 403, 200, 200]),
        row(Method::GET, "/api/v1/staffing", None, [401, 403, 403, 403, 403, 403, 200, 200]),
        row(Method::GET, "/api/v1/incidents", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::POST, "/api/v1/incidents/check", None, [401, 403, 403, 403, 403, 403, 200, 200]),
        row(Method::PATCH, "/api/v1/incidents/999999", Some(json!({"banner": "x"})), [401, 403, 403, 403, 403, 403, 404, 404]),
        row(Method::POST, "/api/v1/incidents/999999/answer", Some(json!({"body": "x"})), [401, 403, 403, 404, 404, 404, 404, 404]),
        row(Method::GET, format!("/api/v1/users/{t1_id}/shifts"), None, [401, 403, 403, 403, 403, 403, 200, 200]),
        row(
            Method::PUT,
            format!("/api/v1/users/{t1_id}/shifts"),
            Some(json!([{"weekday": 0, "start_hour": 9, "end_hour": 18}])),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        row(Method::GET, "/api/v1/awards/leaderboard", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::GET, "/api/v1/awards", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::POST, "/api/v1/awards/service-star", Some(json!({"month": "2026-11"})), [401, 403, 403, 403, 403, 403, 409, 409]),
        row(
            Method::POST,
            "/api/v1/awards/nominations",
            Some(json!({"conversation_id": conversation, "reason": "exemplary"})),
            [401, 403, 403, 404, 409, 409, 409, 409],
        ),
        row(Method::POST, "/api/v1/awards/nominations/999999/decision", Some(json!({"approve": true})), [401, 403, 403, 403, 403, 403, 404, 404]),
        row(Method::GET, "/api/v1/qa/reviews", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(
            Method::PUT,
            format!("{c}/review"),
            Some(json!({"empathy": 5, "accuracy": 5, "sop_adherence": 5, "tone": 5})),
            [401, 403, 403, 403, 403, 403, 200, 200],
        ),
        row(Method::GET, "/api/v1/surveys/AAAAAAAAAAAAAAAA", None, [404; 8]),
        row(Method::POST, "/api/v1/surveys/AAAAAAAAAAAAAAAA", Some(json!({"rating": 5})), [404; 8]),
        row(Method::GET, "/api/v1/feedback-items", None, [401, 403, 403, 200, 200, 200, 200, 200]),
        row(Method::PATCH, "/api/v1/feedback-items/999999", Some(json!({"status": "done"})), [401, 403, 403, 404, 404, 404, 404, 404]),
        row(Method::GET, "/api/v1/channels", None, [401, 403, 403, 403, 403, 403, 403, 200]),
        row(Method::POST, "/api/v1/feedback", Some(json!({"text": "matrix feedback"})), [401, 201, 201, 403, 403, 403, 403, 403]),
        row(Method::PUT, "/api/v1/channels/social/matrix", Some(json!({"settings": {}})), [401, 403, 403, 403, 403, 403, 403, 200]),
    ];

    let mut failures = Vec::new();
    for row in &rows {
        for (column, token) in tokens.iter().enumerate() {
            let answer = app.call(row.method.clone(), &row.path, *token, row.body.clone()).await;
            if answer.status.as_u16() != row.expect[column] {
                failures
                    .push(format!("{} {} as {}: expected {}, got {} {}", row.method, row.path, WHO[column], row.expect[column], answer.status, answer.body));
            }
        }
    }
    // Creating users needs a distinct email per caller.
    for (column, token) in tokens.iter().enumerate() {
        let body = json!({"email": format!("new{column}@edudesk.demo"), "password": "long-enough-pass", "role": "agent"});
        let status = app.call(Method::POST, "/api/v1/users", *token, Some(body)).await.status.as_u16();
        let expected = if column == 7 {
            201
        } else if column == 0 {
            401
        } else {
            403
        };
        if status != expected {
            failures.push(format!("POST /api/v1/users as {}: expected {expected}, got {status}", WHO[column]));
        }
    }
    // Escalating changes the conversation, so each caller gets a fresh tier 2 one.
    for (column, token) in tokens.iter().enumerate() {
        let fresh = app.open_conversation_at_tier(&staff[3], owner_contact, 2).await;
        let body = json!({"to_tier": 3, "reason": "needs an expert"});
        let status = app.call(Method::POST, &format!("/api/v1/conversations/{fresh}/escalate"), *token, Some(body)).await.status.as_u16();
        let expected = [401, 403, 404, 403, 200, 200, 200, 200][column];
        if status != expected {
            failures.push(format!("POST /conversations/{{id}}/escalate as {}: expected {expected}, got {status}", WHO[column]));
        }
    }
    // Uploading an image takes a raw body.
    for (column, token) in tokens.iter().enumerate() {
        let status = upload(*token).await.unwrap().status().as_u16();
        let expected = [401, 201, 404, 403, 201, 201, 201, 201][column];
        if status != expected {
            failures.push(format!("POST {c}/attachments as {}: expected {expected}, got {status}", WHO[column]));
        }
    }
    assert!(failures.is_empty(), "role matrix violations:\n{}", failures.join("\n"));

    // Assignment lets a tier 1 agent work on the tier 2 conversation.
    app.patch(&c, &staff[3], json!({"assignee_id": t1_id})).await.expect(200);
    app.get(&c, &staff[0]).await.expect(200);
    app.post(&format!("{c}/messages"), &staff[0], json!({"body": "on it"})).await.expect(201);

    // Logout is open to every signed-in caller and ends only their own session.
    for (column, token) in tokens.iter().enumerate() {
        let expected = if column == 0 { 401 } else { 204 };
        assert_eq!(app.call(Method::POST, "/api/v1/auth/logout", *token, None).await.status.as_u16(), expected, "logout as {}", WHO[column]);
    }
}
