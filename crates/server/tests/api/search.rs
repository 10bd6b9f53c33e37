//! Conversation search: filters by words (internal notes for staff only), number, channel,
//! category, tag, SLA state and creation day (in the team's time zone); tags on
//! conversations; saved views that belong to one person.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(search_filters_narrow_the_list_and_tags_are_for_staff, saved_views_belong_to_their_owner);

/// The ids in a list answer, in its order (newest first).
fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap_or_else(|| panic!("not a list: {list}")).iter().map(|item| item["id"].as_i64().unwrap()).collect()
}

async fn search_filters_narrow_the_list_and_tags_are_for_staff(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let lead = app.login("lead@edudesk.demo").await;
    let (alice, alice_id) = app.learner("L6001").await;
    let (bob, _) = app.learner("L6002").await;
    let coupon = app
        .post(
            "/api/v1/conversations",
            &lead,
            json!({"channel": "phone", "contact_id": alice_id, "category": "coupon", "subject": "优惠券", "message": {"body": "优惠券 WINTER77 用不了"}}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let refund_a = app
        .post(
            "/api/v1/conversations",
            &alice,
            json!({"channel": "widget", "category": "refund", "bot": false, "message": {"body": "I want a REFUND for course 5"}}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let refund_b = app
        .post("/api/v1/conversations", &bob, json!({"channel": "widget", "category": "refund", "bot": false, "message": {"body": "refund please"}}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let note = json!({"body": "vip learner, give 50%_off", "client_id": "note-1", "internal": true});
    app.post(&format!("/api/v1/conversations/{coupon}/messages"), &lead, note).await.expect(201);
    let list = |token: &str, query: &str| {
        let (token, query) = (token.to_owned(), query.to_owned());
        let app = &app;
        async move { ids(&app.get(&format!("/api/v1/conversations?{query}"), &token).await.expect(200)) }
    };

    // Words: case-insensitive, in the subject or any message; staff also find internal notes.
    assert_eq!(list(&lead, "q=winter77").await, [coupon]);
    assert_eq!(list(&lead, "q=Refund").await, [refund_b, refund_a]);
    assert_eq!(list(&alice, "q=refund").await, [refund_a], "a learner searches only their own");
    assert_eq!(list(&lead, "q=VIP%20learner").await, [coupon]);
    assert_eq!(list(&alice, "q=vip%20learner").await, Vec::<i64>::new(), "learners never search internal notes");
    // % and _ are taken literally, not as wildcards.
    assert_eq!(list(&lead, "q=50%25_").await, [coupon]);
    assert_eq!(list(&lead, "q=5%25").await, Vec::<i64>::new());
    assert_eq!(list(&lead, &format!("q=%23{refund_a}")).await, [refund_a], "#number finds the conversation");

    // Channel and category.
    assert_eq!(list(&lead, "channel=phone").await, [coupon]);
    assert_eq!(list(&lead, "category=refund").await, [refund_b, refund_a]);
    assert_eq!(list(&lead, "category=refund&q=course").await, [refund_a], "filters combine");

    // Tags: trimmed, lower-cased, merged; staff see them on list items, learners never.
    let tagged =
        app.call(Method::PUT, &format!("/api/v1/conversations/{coupon}/tags"), Some(&lead), Some(json!({"tags": [" VIP ", "退款", "vip"]}))).await.expect(200);
    assert_eq!(tagged, json!(["vip", "退款"]));
    assert_eq!(list(&lead, "tag=VIP").await, [coupon]);
    assert_eq!(list(&lead, "tag=other").await, Vec::<i64>::new());
    let staff_items = app.get("/api/v1/conversations?channel=phone", &lead).await.expect(200);
    assert_eq!(staff_items[0]["tags"], json!(["vip", "退款"]));
    let own_items = app.get("/api/v1/conversations", &alice).await.expect(200);
    assert!(own_items.as_array().unwrap().iter().all(|item| item.get("tags").is_none()), "{own_items}");
    assert_eq!(list(&alice, "tag=vip").await, [refund_a, coupon], "a learner's tag filter is ignored, not a way to probe tags");
    assert_eq!(app.get(&format!("/api/v1/conversations/{coupon}/tags"), &lead).await.expect(200), json!(["vip", "退款"]));
    let in_use = app.get("/api/v1/tags", &lead).await.expect(200);
    assert!(in_use.as_array().unwrap().contains(&json!({"tag": "vip", "conversations": 1})), "{in_use}");
    // Bad tags lose nothing: the old ones stay.
    let path = format!("/api/v1/conversations/{coupon}/tags");
    let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
    app.call(Method::PUT, &path, Some(&lead), Some(json!({"tags": eleven}))).await.problem(422);
    app.call(Method::PUT, &path, Some(&lead), Some(json!({"tags": ["a,b"]}))).await.problem(422);
    app.call(Method::PUT, &path, Some(&lead), Some(json!({"tags": ["x".repeat(33)]}))).await.problem(422);
    app.call(Method::PUT, &path, Some(&lead), Some(json!({"tags": "vip"}))).await.problem(422);
    app.call(Method::PUT, &path, Some(&alice), Some(json!({"tags": []}))).await.problem(403);
    app.call(Method::PUT, &path, Some(&bob), Some(json!({"tags": []}))).await.problem(404);
    app.get(&path, &alice).await.problem(403);
    app.call(Method::PUT, "/api/v1/conversations/999999/tags", Some(&lead), Some(json!({"tags": []}))).await.problem(404);
    assert_eq!(app.get(&path, &lead).await.expect(200), json!(["vip", "退款"]));
    // An empty list removes them all.
    assert_eq!(app.call(Method::PUT, &path, Some(&lead), Some(json!({"tags": []}))).await.expect(200), json!([]));

    // SLA state, from the clocks' flags.
    sqlx::query("UPDATE conversations SET sla_warned = 'first_response' WHERE id = $1").bind(refund_a).execute(&app.store.write).await.unwrap();
    sqlx::query("UPDATE conversations SET sla_warned = 'resolution', sla_breached = 'resolution' WHERE id = $1")
        .bind(refund_b)
        .execute(&app.store.write)
        .await
        .unwrap();
    assert_eq!(list(&lead, "sla=breached").await, [refund_b]);
    assert_eq!(list(&lead, "sla=warned").await, [refund_a]);
    assert!(!list(&lead, "sla=ok").await.iter().any(|id| [refund_a, refund_b].contains(id)));

    // Days are the team's (Asia/Shanghai): 2026-06-14 23:30 there is 15:30 UTC, the 15th
    // starts at 16:00 UTC.
    let at = |iso: &str| chrono::DateTime::parse_from_rfc3339(iso).unwrap().timestamp_millis();
    for (id, when) in [(coupon, "2026-06-14T17:00:00Z"), (refund_a, "2026-06-14T15:30:00Z"), (refund_b, "2026-06-16T16:00:00Z")] {
        sqlx::query("UPDATE conversations SET created_at = $2 WHERE id = $1").bind(id).bind(at(when)).execute(&app.store.write).await.unwrap();
    }
    assert_eq!(list(&lead, "from=2026-06-15&to=2026-06-15").await, [coupon]);
    assert_eq!(list(&lead, "from=2026-06-14&to=2026-06-15").await, [refund_a, coupon]);
    assert_eq!(list(&lead, "from=2026-06-16&q=refund").await, [refund_b]);
    assert!(list(&lead, "to=2026-06-14").await.contains(&refund_a));

    // Bad filters are refused with the reason.
    for (query, says) in [
        ("from=2026-06-16&to=2026-06-15", "from"),
        ("from=15.06.2026", "from"),
        ("sla=late", "sla"),
        ("channel=pigeon", "channel"),
        ("status=gone", "status"),
        ("tier=4", "tier"),
    ] {
        let detail = app.get(&format!("/api/v1/conversations?{query}"), &lead).await.problem(400);
        assert!(detail.starts_with(says), "{query}: {detail}");
    }
    let long = "长".repeat(201);
    app.get(&format!("/api/v1/conversations?q={long}"), &lead).await.problem(400);
}

async fn saved_views_belong_to_their_owner(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let t1 = app.login("t1@edudesk.demo").await;
    let t2 = app.login("t2@edudesk.demo").await;
    let (learner, _) = app.learner("L6003").await;

    let saved =
        app.post("/api/v1/views", &t1, json!({"name": "退款超时", "filters": {"q": "refund", "sla": "breached", "from": "2026-11-01"}})).await.expect(201);
    assert_eq!(saved["filters"], json!({"q": "refund", "sla": "breached", "from": "2026-11-01"}));
    assert_eq!(saved["name"], "退款超时");
    let mine = app.get("/api/v1/views", &t1).await.expect(200);
    assert_eq!(ids(&mine), [saved["id"].as_i64().unwrap()]);
    assert_eq!(app.get("/api/v1/views", &t2).await.expect(200), json!([]), "views are personal");
    // The same name twice is a clash; someone else may use it.
    app.post("/api/v1/views", &t1, json!({"name": "退款超时", "filters": {}})).await.problem(409);
    app.post("/api/v1/views", &t2, json!({"name": "退款超时", "filters": {}})).await.expect(201);

    // Filters are checked as the list checks them; names are one short line.
    assert!(app.post("/api/v1/views", &t1, json!({"name": "x", "filters": {"sla": "late"}})).await.problem(400).starts_with("sla"));
    app.post("/api/v1/views", &t1, json!({"name": "x", "filters": {"colour": "red"}})).await.problem(422);
    app.post("/api/v1/views", &t1, json!({"name": "  ", "filters": {}})).await.problem(422);
    app.post("/api/v1/views", &t1, json!({"name": "x".repeat(61), "filters": {}})).await.problem(422);
    app.post("/api/v1/views", &t1, json!({"name": "x"})).await.problem(422);
    app.get("/api/v1/views", &learner).await.problem(403);
    app.post("/api/v1/views", &learner, json!({"name": "mine", "filters": {}})).await.problem(403);
    assert_eq!(ids(&app.get("/api/v1/views", &t1).await.expect(200)).len(), 1, "nothing refused was saved");

    // Only the owner deletes; someone else's view is "not found".
    let path = format!("/api/v1/views/{}", saved["id"]);
    app.call(Method::DELETE, &path, Some(&t2), None).await.problem(404);
    app.call(Method::DELETE, &path, Some(&learner), None).await.problem(403);
    assert_eq!(app.call(Method::DELETE, &path, Some(&t1), None).await.status, 204);
    app.call(Method::DELETE, &path, Some(&t1), None).await.problem(404);

    // At most 50 each.
    for n in 0..50 {
        app.post("/api/v1/views", &t1, json!({"name": format!("view {n}"), "filters": {"tier": "1"}})).await.expect(201);
    }
    assert!(app.post("/api/v1/views", &t1, json!({"name": "one more", "filters": {}})).await.problem(422).contains("50"));
}
