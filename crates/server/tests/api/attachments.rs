//! Images in conversations: checked type and size, served only to who may see them.

use serde_json::json;

use crate::{
    backend_tests,
    helpers::{Answer, TestApp, TestBackend},
};

backend_tests!(images_are_uploaded_sent_and_served_to_the_right_people, wrong_types_sizes_and_borrowed_images_are_refused);

/// A tiny valid PNG header followed by filler: enough for the signature check.
fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0u8; 64]);
    bytes
}

async fn upload(app: &TestApp, conversation: i64, token: &str, content_type: &str, bytes: Vec<u8>) -> Answer {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{conversation}/attachments")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    TestApp::answer(response).await
}

async fn images_are_uploaded_sent_and_served_to_the_right_people(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L3001").await;
    let (stranger, _) = app.learner("L3002").await;
    let conversation = app.open_conversation(&learner, "a screenshot of the error").await;
    let uploaded = upload(&app, conversation, &learner, "image/png", png()).await.expect(201);
    assert_eq!((uploaded["content_type"].as_str(), uploaded["size"].as_i64()), (Some("image/png"), Some(72)));
    let id = uploaded["id"].as_i64().unwrap();

    let message = app
        .post(&format!("/api/v1/conversations/{conversation}/messages"), &learner, json!({"body": "", "client_id": "img", "attachment_id": id}))
        .await
        .expect(201);
    assert_eq!((message["attachment_id"].as_i64(), message["body"].as_str()), (Some(id), Some("[image]")));

    let t1 = app.login("t1@edudesk.demo").await;
    let listed = app.get(&format!("/api/v1/conversations/{conversation}/messages"), &t1).await.expect(200);
    assert_eq!(listed[1]["attachment_id"], id);
    for token in [&learner, &t1] {
        let response = app.client.get(app.url(&format!("/api/v1/attachments/{id}"))).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/png");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert_eq!(response.bytes().await.unwrap().to_vec(), png());
    }
    app.get(&format!("/api/v1/attachments/{id}"), &stranger).await.problem(404);

    // An image in an internal note stays with staff; one sent to the learner does not.
    let noted = upload(&app, conversation, &t1, "image/png", png()).await.expect(201)["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/conversations/{conversation}/messages"), &t1, json!({"body": "order screenshot", "internal": true, "attachment_id": noted}))
        .await
        .expect(201);
    app.get(&format!("/api/v1/attachments/{noted}"), &learner).await.problem(404);
    let unsent = upload(&app, conversation, &t1, "image/png", png()).await.expect(201)["id"].as_i64().unwrap();
    app.get(&format!("/api/v1/attachments/{unsent}"), &learner).await.problem(404);
    app.post(&format!("/api/v1/conversations/{conversation}/messages"), &t1, json!({"body": "here is how", "attachment_id": unsent})).await.expect(201);
    let response = app.client.get(app.url(&format!("/api/v1/attachments/{unsent}"))).bearer_auth(&learner).send().await.unwrap();
    assert_eq!(response.status(), 200);
    app.get("/api/v1/attachments/999999", &t1).await.problem(404);
}

async fn wrong_types_sizes_and_borrowed_images_are_refused(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L3003").await;
    let (other, _) = app.learner("L3004").await;
    let conversation = app.open_conversation(&learner, "upload problems").await;
    let other_conversation = app.open_conversation(&other, "mine").await;

    let detail = upload(&app, conversation, &learner, "image/svg+xml", b"<svg onload=alert(1)/>".to_vec()).await.problem(415);
    assert!(detail.contains("PNG, JPEG, GIF or WebP"), "{detail}");
    let detail = upload(&app, conversation, &learner, "image/png", b"<html><script>alert(1)</script>".to_vec()).await.problem(415);
    assert_eq!(detail, "the file is not a PNG image");
    upload(&app, conversation, &learner, "text/plain", b"hello".to_vec()).await.problem(415);
    upload(&app, conversation, &learner, "image/png", Vec::new()).await.problem(422);
    let mut huge = png();
    huge.resize(5 * 1024 * 1024 + 1, 0);
    upload(&app, conversation, &learner, "image/png", huge).await.problem(413);
    upload(&app, other_conversation, &learner, "image/png", png()).await.problem(404);

    // An image uploaded by another learner, or to another conversation, cannot be sent here.
    let theirs = upload(&app, other_conversation, &other, "image/png", png()).await.expect(201)["id"].as_i64().unwrap();
    let detail =
        app.post(&format!("/api/v1/conversations/{conversation}/messages"), &learner, json!({"body": "look", "attachment_id": theirs})).await.problem(422);
    assert!(detail.contains("attachment_id"), "{detail}");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attachments").fetch_one(&app.store.read).await.unwrap();
    assert_eq!(count, 1, "refused uploads stored nothing");
}
