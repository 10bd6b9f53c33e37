//! Images in conversations: checked type and size, served only to who may see them.

use serde_json::json;

use crate::{
    backend_tests,
    helpers::{Answer, TestApp, TestBackend},
};

backend_tests!(
    images_are_uploaded_sent_and_served_to_the_right_people,
    wrong_types_sizes_and_borrowed_images_are_refused,
    agents_send_files_that_are_only_ever_downloaded
);

/// Issue 10.7: an agent attaches any file (with its name) to a reply; it is served as a
/// download with safe headers — never rendered, whatever type it claims — and only to those
/// who may see the conversation.
async fn agents_send_files_that_are_only_ever_downloaded(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L3005").await;
    let (stranger, _) = app.learner("L3006").await;
    let conversation = app.open_conversation(&learner, "发票").await;
    let lead = app.login("lead@edudesk.demo").await;
    let path = |query: &str| app.url(&format!("/api/v1/conversations/{conversation}/attachments{query}"));
    let send = |url: String, token: &str, content_type: &str, body: &'static [u8]| {
        app.client.post(url).bearer_auth(token.to_owned()).header("content-type", content_type.to_owned()).body(body).send()
    };
    let html =
        TestApp::answer(send(path("?filename=%E5%8F%91%E7%A5%A8.html"), &lead, "text/html", b"<script>alert(1)</script>").await.unwrap()).await.expect(201);
    assert_eq!((html["filename"].as_str(), html["content_type"].as_str()), (Some("发票.html"), Some("text/html")));
    // Learners send images only; a file needs a name; names are not paths.
    TestApp::answer(send(path("?filename=a.pdf"), &learner, "application/pdf", b"%PDF-1.4").await.unwrap()).await.problem(415);
    TestApp::answer(send(path(""), &lead, "application/pdf", b"%PDF-1.4").await.unwrap()).await.problem(422);
    TestApp::answer(send(path("?filename=..%2Fetc%2Fpasswd"), &lead, "application/pdf", b"%PDF-1.4").await.unwrap()).await.problem(422);
    TestApp::answer(send(path("?filename=a.pdf&owner=x"), &lead, "application/pdf", b"%PDF-1.4").await.unwrap()).await.problem(400);

    let id = html["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/conversations/{conversation}/messages"), &lead, json!({"body": "📎 发票.html", "attachment_id": id})).await.expect(201);
    let download = app.client.get(app.url(&format!("/api/v1/attachments/{id}"))).bearer_auth(&learner).send().await.unwrap();
    assert_eq!(download.status(), 200);
    let header = |name: &str| download.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/octet-stream");
    assert!(header("content-disposition").starts_with("attachment;") && header("content-disposition").contains("%E5%8F%91%E7%A5%A8.html"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-security-policy").contains("sandbox"));
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"<script>alert(1)</script>");
    let refused = app.client.get(app.url(&format!("/api/v1/attachments/{id}"))).bearer_auth(&stranger).send().await.unwrap();
    assert_eq!(refused.status(), 404);
}

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
