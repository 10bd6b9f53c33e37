//! The knowledge base and help centre: the shipped articles, versions, visibility, votes,
//! views, safe rendering, and `edudesk kb import/export`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    backend_tests,
    cli::edudesk,
    helpers::{TestApp, TestBackend, TestDatabase},
};

backend_tests!(
    articles_are_versioned_and_shown_by_visibility,
    the_help_centre_renders_safely_and_counts,
    import_and_export_round_trip,
    a_resolved_conversation_becomes_a_draft_article
);

async fn articles_are_versioned_and_shown_by_visibility(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let public = app.call(Method::GET, "/api/v1/kb/articles", None, None).await.expect(200);
    assert_eq!(public.as_array().unwrap().len(), 90, "the demo knowledge base is shipped");
    let t1 = app.login("t1@edudesk.demo").await;
    let mut article: Value = app.call(Method::GET, "/api/v1/kb/articles/zh-login-failed", None, None).await.expect(200);
    assert_eq!(article["version"], 1);
    // Issue 10.2: an editor re-saves what it read, so the API must say "published".
    assert_eq!(article["visibility"], "published");
    for key in ["version", "views", "helpful_yes", "helpful_no", "updated_at"] {
        article.as_object_mut().unwrap().remove(key);
    }
    let path = "/api/v1/kb/articles/zh-login-failed";
    assert_eq!(app.call(Method::PUT, path, Some(&t1), Some(article.clone())).await.expect(200)["version"], 1, "an identical save is no new version");
    article["body"] = json!("更新后的说明：请先尝试验证码登录。");
    assert_eq!(app.call(Method::PUT, path, Some(&t1), Some(article.clone())).await.expect(200)["version"], 2);
    let versions = app.get(&format!("{path}/versions"), &t1).await.expect(200);
    assert_eq!(versions.as_array().unwrap().len(), 2);
    // Re-saving exactly what the API answered keeps the article published.
    let mut read_back = app.get(path, &t1).await.expect(200);
    for key in ["version", "views", "helpful_yes", "helpful_no", "updated_at"] {
        read_back.as_object_mut().unwrap().remove(key);
    }
    read_back["title"] = json!("登录失败怎么办（更新）");
    assert_eq!(app.call(Method::PUT, path, Some(&t1), Some(read_back)).await.expect(200)["visibility"], "published");
    app.call(Method::GET, path, None, None).await.expect(200);

    article["visibility"] = json!("draft");
    app.call(Method::PUT, path, Some(&t1), Some(article.clone())).await.expect(200);
    app.call(Method::GET, path, None, None).await.problem(404);
    app.get(path, &t1).await.expect(200);
    let (learner, _) = app.learner("L8001").await;
    app.get(path, &learner).await.problem(404);
    app.call(Method::PUT, path, Some(&learner), Some(article.clone())).await.problem(403);
    app.call(Method::PUT, path, None, Some(article.clone())).await.problem(401);
    app.call(Method::PUT, "/api/v1/kb/articles/other", Some(&t1), Some(article.clone())).await.problem(422);
    article["lang"] = json!("fr");
    app.call(Method::PUT, path, Some(&t1), Some(article)).await.problem(422);

    let voted = app.call(Method::POST, "/api/v1/kb/articles/zh-password-reset/vote", None, Some(json!({"helpful": true}))).await.expect(200);
    assert_eq!(voted["helpful_yes"], 1);
    app.call(Method::POST, path, None, Some(json!({"helpful": true}))).await.problem(405);
    app.call(Method::POST, "/api/v1/kb/articles/zh-login-failed/vote", None, Some(json!({"helpful": true}))).await.problem(404);
}

async fn the_help_centre_renders_safely_and_counts(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::new();
    let home = client.get(app.url("/help?lang=zh")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("账号与登录") && home.contains("视频播放"), "categories are listed");
    let category = client.get(app.url("/help/categories/%E8%A7%86%E9%A2%91%E6%92%AD%E6%94%BE?lang=zh")).send().await.unwrap().text().await.unwrap();
    assert!(category.contains("/help/articles/zh-video-not-playing"), "{category}");
    let page = client.get(app.url("/help/articles/zh-video-not-playing")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<h1>") && page.contains("<form method=\"post\""));

    let t1 = app.login("t1@edudesk.demo").await;
    let hostile = json!({"id": "en-xss", "lang": "en", "category": "Help & Support", "title": "<img src=x onerror=alert(1)>",
        "body": "Hello <script>alert(1)</script> [click](javascript:alert(2))", "questions": [], "tags": []});
    app.call(Method::PUT, "/api/v1/kb/articles/en-xss", Some(&t1), Some(hostile)).await.expect(200);
    let page = client.get(app.url("/help/articles/en-xss?lang=en")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("<script>alert") && !page.contains("<img src=x") && !page.contains("javascript:alert"), "{page}");
    assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));

    let vote = client.post(app.url("/help/articles/en-xss/vote?lang=en")).form(&[("helpful", "false")]).send().await.unwrap();
    assert!(vote.url().as_str().contains("voted=1"), "back to the article");
    let article = app.get("/api/v1/kb/articles/en-xss", &t1).await.expect(200);
    assert_eq!((article["views"].as_i64(), article["helpful_no"].as_i64()), (Some(2), Some(1)), "two page views, one vote");
    // Issue 10.2: a missing article is an HTML page in the reader's language, not JSON.
    let missing = client.get(app.url("/help/articles/no-such-article?lang=zh")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let text = missing.text().await.unwrap();
    assert!(text.contains("<h1>页面不存在</h1>") && text.contains("href=\"/help?lang=zh\""), "{text}");
    let missing = client.get(app.url("/help/categories/nothing-here?lang=en")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
    let vote = client.post(app.url("/help/articles/no-such-article/vote?lang=en")).form(&[("helpful", "true")]).send().await.unwrap();
    assert_eq!(vote.status(), 404);
    assert!(vote.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}

async fn import_and_export_round_trip(backend: TestBackend) {
    let database = TestDatabase::create(&backend).await;
    let kb = concat!(env!("CARGO_MANIFEST_DIR"), "/kb/articles.jsonl");
    let imported = edudesk(&database).args(["kb", "import", kb]).output().await.unwrap();
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("imported 90 articles (0 unchanged)"));
    let exported = edudesk(&database).args(["kb", "export"]).output().await.unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&exported.stdout).lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 90);
    let original: Vec<Value> = std::fs::read_to_string(kb).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    for article in &original {
        assert!(lines.contains(article), "{} survives the round trip", article["id"]);
    }

    // A changed article becomes a new version; a bad line stops the import before any write.
    let dir = &database.data_dir;
    let mut changed = original[0].clone();
    changed["title"] = json!("新的标题");
    std::fs::write(dir.join("one.jsonl"), format!("{changed}\n{}\n", original[1])).unwrap();
    let again = edudesk(&database).args(["kb", "import"]).arg(dir.join("one.jsonl")).output().await.unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("imported 1 articles (1 unchanged)"), "{}", String::from_utf8_lossy(&again.stdout));
    std::fs::write(
        dir.join("bad.jsonl"),
        format!("{}\n{{\"id\": \"x\"}}\n", json!({"id": "new-one", "lang": "en", "category": "c", "title": "t", "body": "b"})),
    )
    .unwrap();
    let bad = edudesk(&database).args(["kb", "import"]).arg(dir.join("bad.jsonl")).output().await.unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 2"), "{}", String::from_utf8_lossy(&bad.stderr));
    let exported = edudesk(&database).args(["kb", "export"]).output().await.unwrap();
    assert!(!String::from_utf8_lossy(&exported.stdout).contains("new-one"), "nothing of the bad file was written");
}

async fn a_resolved_conversation_becomes_a_draft_article(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, _) = app.learner("L8002").await;
    let id = app.open_conversation(&learner, "课件在哪里下载？").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let path = format!("/api/v1/conversations/{id}");
    app.post(&format!("{path}/article"), &t1, json!({})).await.problem(409);
    app.post(&format!("{path}/messages"), &t1, json!({"body": "在课程页右侧点击「资料」即可下载课件。"})).await.expect(201);
    app.post(&format!("{path}/messages"), &t1, json!({"body": "internal: check CDN", "internal": true})).await.expect(201);
    app.patch(&path, &t1, json!({"status": "resolved"})).await.expect(200);
    app.post(&format!("{path}/article"), &learner, json!({})).await.problem(403);
    let draft = app.post(&format!("{path}/article"), &t1, json!({})).await.expect(200);
    assert_eq!((draft["visibility"].as_str(), draft["lang"].as_str()), (Some("draft"), Some("zh")));
    assert_eq!(draft["questions"], json!(["课件在哪里下载？"]));
    assert_eq!(draft["body"], "在课程页右侧点击「资料」即可下载课件。", "public replies only, not notes");
    app.call(Method::GET, &format!("/api/v1/kb/articles/{}", draft["id"].as_str().unwrap()), None, None).await.problem(404);
}
