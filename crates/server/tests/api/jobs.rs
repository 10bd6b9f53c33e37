//! Durable jobs and follow-ups: a follow-up due while the server was down runs when it
//! is back; failing jobs retry with backoff; unique jobs exist once.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    cli::{edudesk, post_json, serve_on},
    helpers::{TestApp, TestBackend, TestDatabase},
};

backend_tests!(
    a_follow_up_due_while_the_server_was_down_appears_when_it_is_back,
    failing_jobs_retry_later_and_unique_jobs_exist_once,
    task_and_follow_up_rules,
    a_lease_has_one_holder_until_it_lapses,
    periodic_jobs_are_rescheduled_in_place_and_revived
);

async fn get_json(client: &reqwest::Client, url: String, token: &str) -> Value {
    client.get(url).bearer_auth(token).send().await.unwrap().json().await.unwrap()
}

async fn a_follow_up_due_while_the_server_was_down_appears_when_it_is_back(backend: TestBackend) {
    let database = TestDatabase::create(&backend).await;
    let mut server = serve_on(edudesk(&database), true, "127.0.0.1:0").await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let login = post_json(&client, format!("{base}/api/v1/auth/login"), None, json!({"email": "t1@edudesk.demo", "password": "edudesk-demo"})).await;
    let t1 = login["token"].as_str().unwrap().to_owned();
    let signature = edudesk::crypto::learner_signature("demo-platform-secret", "L1002");
    let session = post_json(&client, format!("{base}/api/v1/widget/sessions"), None, json!({"learner_id": "L1002", "signature": signature})).await;
    let learner = session["token"].as_str().unwrap().to_owned();
    let conversation =
        post_json(&client, format!("{base}/api/v1/conversations"), Some(&learner), json!({"channel": "widget", "message": {"body": "coupon SPRING50 fails"}}))
            .await;
    let id = conversation["id"].as_i64().unwrap();
    let scheduled = post_json(
        &client,
        format!("{base}/api/v1/conversations/{id}/follow-ups"),
        Some(&t1),
        json!({
        "due_in_minutes": 24 * 60, "title": "确认优惠券已可使用", "message": "您好，优惠券现在可以正常使用了吗？"}),
    )
    .await;
    assert!(scheduled["due_at"].is_string(), "{scheduled}");
    assert_eq!(get_json(&client, format!("{base}/api/v1/tasks?assignee=me"), &t1).await, json!([]), "not due yet");
    server.child.kill().await.unwrap();

    // 25 hours later (by the scheduling clock) the server starts again.
    let mut later = edudesk(&database);
    later.env("EDUDESK_CLOCK_OFFSET_SECONDS", (25 * 3600).to_string());
    let server = serve_on(later, false, "127.0.0.1:0").await;
    let base = server.base.clone();
    let tasks = crate::helpers::eventually("the follow-up's task", async || {
        let tasks = get_json(&client, format!("{base}/api/v1/tasks?assignee=me"), &t1).await;
        tasks.as_array().is_some_and(|tasks| !tasks.is_empty()).then_some(tasks)
    })
    .await;
    assert_eq!(tasks.as_array().map(Vec::len), Some(1), "{tasks}");
    assert_eq!((tasks[0]["conversation_id"].as_i64(), tasks[0]["title"].as_str()), (Some(id), Some("确认优惠券已可使用")));
    let messages = get_json(&client, format!("{base}/api/v1/conversations/{id}/messages"), &learner).await;
    let last = messages.as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["author_kind"].as_str(), last["body"].as_str()), (Some("system"), Some("您好，优惠券现在可以正常使用了吗？")));

    let done = client.post(format!("{base}/api/v1/tasks/{}/done", tasks[0]["id"])).bearer_auth(&t1).send().await.unwrap();
    assert_eq!(done.status(), 200);
    assert_eq!(get_json(&client, format!("{base}/api/v1/tasks?assignee=me"), &t1).await, json!([]));
}

async fn failing_jobs_retry_later_and_unique_jobs_exist_once(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let now = edudesk::store::now_ms();
    assert!(app.store.enqueue_job("no_such_kind", &json!({}), now, Some("broken-once"), now).await.unwrap());
    assert!(!app.store.enqueue_job("no_such_kind", &json!({}), now, Some("broken-once"), now).await.unwrap(), "a unique job exists once");
    let row: (i64, Option<String>, i64) = crate::helpers::eventually("the failed job's first attempt", async || {
        let row: (i64, Option<String>, i64) =
            sqlx::query_as("SELECT attempts, last_error, run_at FROM jobs WHERE unique_key = 'broken-once'").fetch_one(&app.store.read).await.unwrap();
        (row.0 >= 1 && row.1.is_some()).then_some(row)
    })
    .await;
    assert_eq!(row.0, 1, "tried once so far");
    assert!(row.1.as_deref().unwrap_or_default().contains("unknown job kind"), "{row:?}");
    assert!(row.2 > now, "the retry waits (backoff)");
}

async fn task_and_follow_up_rules(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L5001").await;
    let (stranger, _) = app.learner("L5002").await;
    let id = app.open_conversation(&learner, "coupon").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let path = format!("/api/v1/conversations/{id}/follow-ups");
    app.post(&path, &t1, json!({"due_in_minutes": 0, "title": "x"})).await.problem(422);
    app.post(&path, &t1, json!({"due_in_minutes": 10, "title": " "})).await.problem(422);
    app.post(&path, &learner, json!({"due_in_minutes": 10, "title": "x"})).await.problem(403);
    app.post(&path, &stranger, json!({"due_in_minutes": 10, "title": "x"})).await.problem(404);
    app.post(&path, &t1, json!({"due_in_minutes": 10, "title": "check", "when": "now"})).await.problem(422);
    app.post(&path, &t1, json!({"due_in_minutes": 10, "title": "check back"})).await.expect(201);
    app.get("/api/v1/tasks?assignee=all", &t1).await.problem(403);
    app.get("/api/v1/tasks?assignee=bob", &t1).await.problem(400);
    app.get("/api/v1/tasks", &learner).await.problem(403);
    app.get("/api/v1/tasks?assignee=all", &app.login("lead@edudesk.demo").await).await.expect(200);
    app.call(Method::POST, "/api/v1/tasks/999999/done", Some(&t1), None).await.problem(404);
}

async fn periodic_jobs_are_rescheduled_in_place_and_revived(backend: TestBackend) {
    let app = TestApp::builder(backend).configure(|config| config.sla_check_seconds = 1).spawn().await;
    // The SLA check runs every second as one row that is moved forward, never deleted.
    let read = || async {
        sqlx::query_as::<_, (i64, i64)>("SELECT id, run_at FROM jobs WHERE unique_key = 'sla_check'").fetch_optional(&app.store.read).await.unwrap()
    };
    // The worker schedules it as it starts.
    let first = crate::helpers::eventually("the SLA check scheduled at start", async || read().await).await;
    let later = crate::helpers::eventually("the SLA check moved forward", async || read().await.filter(|later| later.1 > first.1)).await;
    assert_eq!(later.0, first.0, "the same row");
    assert!(later.1 > first.1, "moved forward");

    // A periodic job marked dead (as a one-off job would be after too many failures) comes back.
    sqlx::query("UPDATE jobs SET dead = 1, attempts = 10 WHERE unique_key = 'sla_check'").execute(&app.store.write).await.unwrap();
    app.store.ensure_periodic_job("sla_check", edudesk::store::now_ms(), edudesk::store::now_ms()).await.unwrap();
    let (dead, attempts): (i64, i64) =
        sqlx::query_as("SELECT dead, attempts FROM jobs WHERE unique_key = 'sla_check'").fetch_one(&app.store.read).await.unwrap();
    assert_eq!((dead, attempts), (0, 0));
}

/// Issue 15.4: one node at a time watches a mailbox — the lease behind it has one holder,
/// renewable by that holder, free for another once it lapses or is released.
async fn a_lease_has_one_holder_until_it_lapses(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.store;
    let now = 1_000_000;
    assert!(store.take_lease("mailbox:email/support", "node-a", now, 30_000).await.unwrap());
    assert!(!store.take_lease("mailbox:email/support", "node-b", now + 1_000, 30_000).await.unwrap(), "held by node-a");
    assert!(store.take_lease("mailbox:email/support", "node-a", now + 10_000, 30_000).await.unwrap(), "renewed by its holder");
    assert!(!store.take_lease("mailbox:email/support", "node-b", now + 35_000, 30_000).await.unwrap(), "the renewal counts from its own time");
    assert!(store.take_lease("mailbox:email/other", "node-b", now, 30_000).await.unwrap(), "leases are per mailbox");
    assert!(store.take_lease("mailbox:email/support", "node-b", now + 41_000, 30_000).await.unwrap(), "lapsed: node-b takes over");
    assert!(!store.take_lease("mailbox:email/support", "node-a", now + 42_000, 30_000).await.unwrap());
    store.release_leases("node-b").await.unwrap();
    assert!(store.take_lease("mailbox:email/support", "node-a", now + 43_000, 30_000).await.unwrap(), "released: free at once");
    // A lease is never a job to run.
    let due: Option<i64> = store.next_job_due().await.unwrap();
    assert!(due.is_none_or(|at| at < 253_402_300_799_000), "{due:?}");
}
