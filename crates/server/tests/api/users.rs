//! Staff accounts: only admins manage them; deactivation ends sessions.

use reqwest::Method;
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(admins_create_and_change_users, deactivating_a_user_ends_their_sessions);

async fn admins_create_and_change_users(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.login("admin@edudesk.demo").await;
    let new = json!({"email": "Wang.Fang@EduDesk.demo", "password": "s3cure-pass", "role": "agent", "tier": 2, "skills": ["Playback", "refund", "playback"], "teams": ["tier-2"]});
    let created = app.post("/api/v1/users", &admin, new.clone()).await.expect(201);
    assert_eq!(created["email"], "wang.fang@edudesk.demo");
    assert_eq!(created["skills"], json!(["playback", "refund"]));
    assert_eq!(created["teams"], json!(["tier-2"]));
    assert_eq!(created["max_concurrent"], 5);
    let detail = app.post("/api/v1/users", &admin, new).await.problem(409);
    assert!(detail.contains("already exists"), "{detail}");
    app.post("/api/v1/users", &admin, json!({"email": "x@edudesk.demo", "password": "short", "role": "agent"})).await.problem(422);
    app.post("/api/v1/users", &admin, json!({"email": "x@edudesk.demo", "password": "long-enough", "role": "root"})).await.problem(422);

    let login =
        app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "wang.fang@edudesk.demo", "password": "s3cure-pass"}))).await.expect(200);
    assert_eq!(login["user"]["tier"], 2);

    let id = created["id"].as_i64().unwrap();
    // Up a tier needs training (tests/api/training.rs); down is free.
    app.patch(&format!("/api/v1/users/{id}"), &admin, json!({"tier": 3})).await.problem(409);
    let changed = app.patch(&format!("/api/v1/users/{id}"), &admin, json!({"tier": 1, "max_concurrent": 8, "teams": ["finance"]})).await.expect(200);
    assert_eq!((changed["tier"].as_i64(), changed["max_concurrent"].as_i64()), (Some(1), Some(8)));
    assert_eq!(changed["teams"], json!(["finance"]));
    app.patch(&format!("/api/v1/users/{id}"), &admin, json!({"max_concurrent": -1})).await.problem(422);

    let admin_id = app.get("/api/v1/auth/me", &admin).await.expect(200)["user"]["id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/users/{admin_id}"), &admin, json!({"active": false})).await.problem(409);

    let lead = app.login("lead@edudesk.demo").await;
    app.post("/api/v1/users", &lead, json!({"email": "y@edudesk.demo", "password": "long-enough", "role": "admin"})).await.problem(403);
    app.patch(&format!("/api/v1/users/{id}"), &lead, json!({"role": "admin"})).await.problem(403);
    assert_eq!(app.get("/api/v1/users", &lead).await.expect(200).as_array().unwrap().len(), 6);
}

async fn deactivating_a_user_ends_their_sessions(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.login("admin@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/users/{t1_id}"), &admin, json!({"active": false})).await.expect(200);
    app.get("/api/v1/conversations", &t1).await.problem(401);
    app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "t1@edudesk.demo", "password": "edudesk-demo"}))).await.problem(401);
    app.patch(&format!("/api/v1/users/{t1_id}"), &admin, json!({"active": true})).await.expect(200);
    app.login("t1@edudesk.demo").await;
}
