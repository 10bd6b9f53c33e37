//! A learner's data rights: one document with everything stored about them (for the learner,
//! supervisors and admins), and erasure by an admin that removes what identifies them while
//! the conversations stay counted.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(a_learner_gets_their_data_and_an_admin_erases_it);

async fn a_learner_gets_their_data_and_an_admin_erases_it(backend: TestBackend) {
    let app = TestApp::builder(backend).with_bot().spawn().await;
    let (learner, contact) = app.learner("L7001").await;
    let (other, _) = app.learner("L7002").await;
    let lead = app.login("lead@edudesk.demo").await;
    let admin = app.login("admin@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;

    // A conversation with the bot, a file, a handover (whose summary carries the transcript)
    // and an agent's internal note naming the learner.
    let conversation = app.open_conversation(&learner, "密码忘了怎么办，我的手机号是13800001111").await;
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    let uploaded = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{conversation}/attachments")))
        .bearer_auth(&learner)
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);
    let file = uploaded.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/conversations/{conversation}/messages"), &learner, json!({"body": "截图在这", "attachment_id": file})).await.expect(201);
    app.post(&format!("/api/v1/conversations/{conversation}/messages"), &learner, json!({"body": "转人工"})).await.expect(201);
    app.post(&format!("/api/v1/conversations/{conversation}/messages"), &lead, json!({"body": "学员王小明，手机 13800001111", "internal": true}))
        .await
        .expect(201);
    let events = app.get(&format!("/api/v1/conversations/{conversation}/events"), &lead).await.expect(200);
    assert!(events.to_string().contains("13800001111"), "the handover summary carries the transcript");
    // The learner writes their number on the whiteboard; staff label the conversation.
    let note = json!({"type": "text", "x": 10, "y": 10, "text": "13800001111", "size": 16});
    app.store
        .change_board(conversation, edudesk::store::boards::BoardChange::Put { id: "e1", element: &note }, ("contact", contact), edudesk::store::now_ms())
        .await
        .unwrap();
    app.call(Method::PUT, &format!("/api/v1/conversations/{conversation}/tags"), Some(&lead), Some(json!({"tags": ["王小明", "vip"]}))).await.expect(200);
    // Staff's own words about the conversation name the learner too: a review's comment and a
    // task's title. A reply to their email address is still queued.
    let t1_id = app.get("/api/v1/auth/me", &t1).await.expect(200)["user"]["id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/conversations/{conversation}"), &lead, json!({"assignee_id": t1_id})).await.expect(200);
    let marks = json!({"empathy": 4, "accuracy": 5, "sop_adherence": 4, "tone": 5, "comment": "王小明很着急，t1 安抚得好"});
    app.call(Method::PUT, &format!("/api/v1/conversations/{conversation}/review"), Some(&lead), Some(marks)).await.expect(200);
    let now = edudesk::store::now_ms();
    app.store.create_task(conversation, Some(t1_id), "callback", "回电王小明 13800001111", now + 3_600_000, now).await.unwrap();
    let reply = app.post(&format!("/api/v1/conversations/{conversation}/messages"), &t1, json!({"body": "已为您重置"})).await.expect(201);
    let delivery = app.store.queue_delivery(reply["id"].as_i64().unwrap(), conversation, "email/support", "wang@example.com").await.unwrap().unwrap();

    // The export: for the learner and for supervisors and admins, never for agents or others.
    let export = app.get(&format!("/api/v1/contacts/{contact}/export"), &learner).await.expect(200);
    assert_eq!(export["contact"]["id"], contact);
    assert!(export["contact"]["identities"].as_array().unwrap().iter().any(|i| i["kind"] == "platform" && i["value"] == "L7001"), "{export}");
    assert_eq!(export["erased_at"], Value::Null);
    let messages = export["conversations"][0]["messages"].as_array().unwrap();
    let bodies: Vec<&str> = messages.iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert!(bodies.contains(&"密码忘了怎么办，我的手机号是13800001111") && bodies.contains(&"转人工"), "{bodies:?}");
    assert!(messages.iter().any(|m| m["author_kind"] == "bot"), "the bot's answers are part of what the learner saw");
    assert!(messages.iter().any(|m| m["attachment_id"] == file), "{messages:?}");
    assert!(!export.to_string().contains("王小明"), "internal notes (and the team's labels) are not the learner's to see");
    assert_eq!(export["conversations"][0]["board"][0]["element"]["text"], "13800001111", "the whiteboard is part of the export");
    assert!(export["conversations"][0]["calls"].is_array());
    assert_eq!(app.get(&format!("/api/v1/contacts/{contact}/export"), &lead).await.expect(200)["conversations"], export["conversations"]);
    app.get(&format!("/api/v1/contacts/{contact}/export"), &admin).await.expect(200);
    app.get(&format!("/api/v1/contacts/{contact}/export"), &t1).await.problem(403);
    app.get(&format!("/api/v1/contacts/{contact}/export"), &other).await.problem(404);
    app.get("/api/v1/contacts/999999/export", &lead).await.problem(404);

    // Erasure: admins only; unknown ids are 404.
    app.call(Method::DELETE, &format!("/api/v1/contacts/{contact}"), Some(&lead), None).await.problem(403);
    app.call(Method::DELETE, &format!("/api/v1/contacts/{contact}"), Some(&learner), None).await.problem(403);
    app.call(Method::DELETE, "/api/v1/contacts/999999", Some(&admin), None).await.problem(404);
    let report = app.call(Method::DELETE, &format!("/api/v1/contacts/{contact}"), Some(&admin), None).await.expect(200);
    assert_eq!((report["contact_id"].as_i64(), report["conversations"].as_i64(), report["files"].as_i64()), (Some(contact), Some(1), Some(1)), "{report}");
    assert!(report["messages"].as_i64().unwrap() >= 4 && report["identities"].as_i64().unwrap() >= 1, "{report}");

    // The learner is signed out; nothing that identified them is left anywhere staff look.
    app.get("/api/v1/auth/me", &learner).await.problem(401);
    let erased = app.get(&format!("/api/v1/contacts/{contact}"), &admin).await.expect(200);
    assert_eq!((erased["display_name"].clone(), erased["identities"].clone(), erased["attributes"].clone()), (Value::Null, json!([]), json!({})));
    let staff_view = app.get(&format!("/api/v1/conversations/{conversation}/messages"), &admin).await.expect(200);
    assert!(staff_view.as_array().unwrap().iter().all(|m| m["body"] == "[erased]" && m["attachment_id"].is_null()), "{staff_view}");
    let events = app.get(&format!("/api/v1/conversations/{conversation}/events"), &admin).await.expect(200);
    assert!(!events.to_string().contains("13800001111") && !events.to_string().contains("L7001"), "{events}");
    // The log is still append-only: only the erasure of a payload passes its guard.
    for tampering in
        ["UPDATE conversation_events SET data = '{}' WHERE conversation_id = $1", "UPDATE conversation_events SET kind = 'x' WHERE conversation_id = $1"]
    {
        assert!(sqlx::query(tampering).bind(conversation).execute(&app.store.write).await.is_err(), "{tampering}");
    }
    let board = app.get(&format!("/api/v1/conversations/{conversation}/board"), &admin).await.expect(200);
    assert_eq!(board["elements"], json!([]), "the whiteboard is wiped: {board}");
    let tags = app.get(&format!("/api/v1/conversations/{conversation}/tags"), &admin).await.expect(200);
    assert_eq!(tags, json!([]), "the labels naming the learner are gone");
    let (comment, empathy): (Option<String>, i64) =
        sqlx::query_as("SELECT comment, empathy FROM qa_reviews WHERE conversation_id = $1").bind(conversation).fetch_one(&app.store.write).await.unwrap();
    assert_eq!((comment, empathy), (None, 4), "the reviewer's comment goes, the marks stay for the agent's KPIs");
    let titles: Vec<String> =
        sqlx::query_scalar("SELECT title FROM tasks WHERE conversation_id = $1").bind(conversation).fetch_all(&app.store.write).await.unwrap();
    assert_eq!(titles, ["[erased]"]);
    let queued = app.store.delivery(delivery).await.unwrap();
    assert_eq!((queued.state.as_str(), queued.recipient.as_str()), ("failed", "[erased]"), "a reply still queued is not sent to an erased address");
    let download = app.client.get(app.url(&format!("/api/v1/attachments/{file}"))).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(download.status(), 404);
    let after = app.get(&format!("/api/v1/contacts/{contact}/export"), &admin).await.expect(200);
    assert!(after["erased_at"].is_string(), "{after}");
    assert!(!after.to_string().contains("13800001111"), "{after}");

    // The conversation is still counted, with its times and state.
    let kept = app.get(&format!("/api/v1/conversations/{conversation}"), &admin).await.expect(200);
    assert_eq!(kept["contact_id"], contact);
    // The same platform learner coming back is a new contact, not the erased one.
    let (_, again) = app.learner("L7001").await;
    assert_ne!(again, contact);
}
