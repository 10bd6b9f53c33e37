//! Staff login and logout, bearer and cookie sessions, CSRF on cookie writes.

use reqwest::Method;
use serde_json::json;

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
};

backend_tests!(
    login_returns_token_user_and_cookies,
    wrong_credentials_are_401_for_known_and_unknown_accounts,
    logout_revokes_the_token,
    cookie_writes_need_the_csrf_token,
    health_is_ok,
    pages_and_the_api_carry_the_browser_safety_headers,
    guessing_and_flooding_meet_rate_limits,
    requests_carry_ids_and_metrics_count_them,
    behind_a_trusted_proxy_limits_count_each_client,
    web_assets_are_content_hashed_and_cached_for_good,
    the_widget_api_answers_cross_origin_preflights
);

/// Behind nginx every request comes from the proxy: with the proxy trusted, each learner has
/// their own limit; anyone else's X-Forwarded-For is ignored (no dodging limits by forging it).
async fn behind_a_trusted_proxy_limits_count_each_client(backend: TestBackend) {
    let session = |app: &TestApp, forwarded: &str| {
        app.client.post(app.url("/api/v1/widget/sessions")).header("x-forwarded-for", forwarded.to_owned()).json(&json!({})).send()
    };
    let proxied = TestApp::builder(backend.clone())
        .configure(|config| {
            config.public_writes_per_ip = 2;
            config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        })
        .spawn()
        .await;
    for _ in 0..2 {
        assert_eq!(session(&proxied, "203.0.113.1").await.unwrap().status(), 200);
    }
    assert_eq!(session(&proxied, "203.0.113.1").await.unwrap().status(), 429, "one learner's limit");
    assert_eq!(session(&proxied, "203.0.113.2").await.unwrap().status(), 200, "another learner is not throttled by the first");
    assert_eq!(session(&proxied, "203.0.113.2, 203.0.113.1").await.unwrap().status(), 429, "the right-most hop counts, not what the client wrote");
    // Proxied requests are not local: metrics need the token even from this host's proxy.
    let metrics = proxied.client.get(proxied.url("/metrics")).header("x-forwarded-for", "203.0.113.1").send().await.unwrap();
    assert_eq!(metrics.status(), 401);

    let direct = TestApp::builder(backend).configure(|config| config.public_writes_per_ip = 2).spawn().await;
    for forged in ["198.51.100.1", "198.51.100.2"] {
        assert_eq!(session(&direct, forged).await.unwrap().status(), 200);
    }
    assert_eq!(session(&direct, "198.51.100.3").await.unwrap().status(), 429, "a forged header does not buy a new limit");
}

/// Issue 15.5 (part): request ids in answers (the caller's kept when sane) and Prometheus
/// metrics that count what happened.
async fn requests_carry_ids_and_metrics_count_them(backend: TestBackend) {
    let app = TestApp::builder(backend).with_bot().spawn().await;
    let given = app.client.get(app.url("/api/v1/health")).header("x-request-id", "trace-abc-123").send().await.unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-abc-123");
    let made = app.client.get(app.url("/api/v1/health")).header("x-request-id", "<script>").send().await.unwrap();
    let made = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(made.len() == 16 && made.chars().all(|c| c.is_ascii_hexdigit()), "{made}");
    app.call(Method::GET, "/api/v1/conversations/999999", None, None).await.problem(401);
    let (learner, _) = app.learner("L3999").await;
    app.open_conversation(&learner, "密码忘了怎么办").await;

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = metrics.text().await.unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in:\n{text}"))
    };
    assert!(value("edudesk_http_requests_total{class=\"2xx\"}") >= 3.0);
    assert!(value("edudesk_http_requests_total{class=\"4xx\"}") >= 1.0);
    assert!(value("edudesk_http_request_duration_seconds_count") >= 4.0);
    assert_eq!(value("edudesk_bot_answers_total"), 1.0, "the bot answered the password question");
    assert!(text.contains("edudesk_queue_waiting{tier=\"1\"}") && text.contains("edudesk_job_lag_seconds") && text.contains("edudesk_websockets_open"));
}

/// Issue 10.9: an account locks after repeated failures (even the right password is refused
/// then), an address is limited however many accounts it tries, and public writes too.
async fn guessing_and_flooding_meet_rate_limits(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .configure(|config| {
            config.login_failures_per_account = 3;
            config.login_attempts_per_ip = 9;
            config.public_writes_per_ip = 4;
        })
        .spawn()
        .await;
    let login = |email: &'static str, password: &'static str| {
        let app = &app;
        async move { app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": email, "password": password}))).await }
    };
    for _ in 0..3 {
        login("t1@edudesk.demo", "guess").await.problem(401);
    }
    let locked = login("t1@edudesk.demo", "edudesk-demo").await;
    let retry_after: u64 = locked.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert!(locked.problem(429).contains("locked"));
    // Unknown accounts lock the same way (a lock says nothing about who exists).
    for _ in 0..3 {
        login("nobody@edudesk.demo", "guess").await.problem(401);
    }
    login("nobody@edudesk.demo", "guess").await.problem(429);
    // Another account is not affected; its success keeps it clear.
    login("t2@edudesk.demo", "edudesk-demo").await.expect(200);
    // The address has now made 9 attempts: the next is refused whatever the account.
    let flooded = login("t2@edudesk.demo", "edudesk-demo").await.problem(429);
    assert!(flooded.contains("address"), "{flooded}");

    // Widget sessions (and votes, deflections) are limited per address.
    for _ in 0..4 {
        app.call(Method::POST, "/api/v1/widget/sessions", None, Some(json!({}))).await.expect(200);
    }
    app.call(Method::POST, "/api/v1/widget/sessions", None, Some(json!({}))).await.problem(429);
    app.call(Method::POST, "/api/v1/kb/articles/zh-login-failed/vote", None, Some(json!({"helpful": true}))).await.problem(429);
}

/// Issue 10.11: CSP with frame-ancestors and nosniff on pages and scripts, a referrer policy,
/// and nothing personal cached.
async fn pages_and_the_api_carry_the_browser_safety_headers(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let header = |response: &reqwest::Response, name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    for path in ["/console", "/help?lang=zh", "/help/articles/zh-login-failed", "/help/articles/missing"] {
        let page = app.client.get(app.url(path)).send().await.unwrap();
        let csp = header(&page, "content-security-policy");
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors") && csp.contains("object-src 'none'"), "{path}: {csp}");
        assert_eq!(header(&page, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&page, "referrer-policy"), "strict-origin-when-cross-origin", "{path}");
    }
    let console = app.client.get(app.url("/console")).send().await.unwrap();
    assert!(header(&console, "content-security-policy").contains("frame-ancestors 'none'"));
    let console_page = app.client.get(app.url("/console")).send().await.unwrap().text().await.unwrap();
    let entry = console_page.split("src=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_owned();
    for script in ["/widget.js", entry.as_str()] {
        let response = app.client.get(app.url(script)).send().await.unwrap();
        assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{script}");
    }
    let login = app.client.post(app.url("/api/v1/auth/login")).json(&json!({"email": "t1@edudesk.demo", "password": "edudesk-demo"})).send().await.unwrap();
    assert_eq!(header(&login, "cache-control"), "no-store");
    let token = login.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let me = app.client.get(app.url("/api/v1/auth/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(header(&me, "cache-control"), "no-store");
}

async fn health_is_ok(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let body = app.call(Method::GET, "/api/v1/health", None, None).await.expect(200);
    assert_eq!(body, json!({"status": "ok"}));
    // Readiness: ready with the schema this program carries; not ready when the database is
    // behind it (a node started against an unmigrated database or an old restore).
    let ready = app.call(Method::GET, "/api/v1/ready", None, None).await.expect(200);
    assert_eq!(ready["status"], "ready");
    let version = ready["schema_version"].as_i64().unwrap();
    assert!(version >= 13, "{ready}");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1").bind(version).execute(&app.store.write).await.unwrap();
    let behind = app.call(Method::GET, "/api/v1/ready", None, None).await.problem(503);
    assert!(behind.contains("edudesk migrate"), "{behind}");
    app.call(Method::GET, "/api/v1/health", None, None).await.expect(200);
}

async fn login_returns_token_user_and_cookies(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let answer = app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "T2@EduDesk.demo", "password": "edudesk-demo"}))).await;
    let cookies: Vec<String> = answer.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    let body = answer.expect(200);
    assert_eq!(body["user"]["email"], "t2@edudesk.demo");
    assert_eq!(body["user"]["role"], "agent");
    assert_eq!(body["user"]["tier"], 2);
    assert!(body["user"].get("password_hash").is_none(), "the hash never leaves the server");
    let token = body["token"].as_str().unwrap();
    let session = cookies.iter().find(|c| c.starts_with("edudesk_session=")).expect("a session cookie");
    assert!(session.contains(token) && session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    let csrf = cookies.iter().find(|c| c.starts_with("edudesk_csrf=")).expect("a CSRF cookie");
    assert!(csrf.contains(body["csrf_token"].as_str().unwrap()) && !csrf.contains("HttpOnly"), "{csrf}");

    let me = app.get("/api/v1/auth/me", token).await.expect(200);
    assert_eq!(me["kind"], "staff");
    assert_eq!(me["user"]["email"], "t2@edudesk.demo");
}

async fn wrong_credentials_are_401_for_known_and_unknown_accounts(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    for (email, password) in [("t1@edudesk.demo", "wrong-password"), ("nobody@edudesk.demo", "edudesk-demo")] {
        let detail = app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": email, "password": password}))).await.problem(401);
        assert_eq!(detail, "wrong email or password");
    }
    app.call(Method::GET, "/api/v1/conversations", None, None).await.problem(401);
    app.get("/api/v1/conversations", "not-a-real-token").await.problem(401);
}

async fn logout_revokes_the_token(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let token = app.login("t1@edudesk.demo").await;
    app.get("/api/v1/conversations", &token).await.expect(200);
    app.call(Method::POST, "/api/v1/auth/logout", Some(&token), None).await.expect(204);
    let detail = app.get("/api/v1/conversations", &token).await.problem(401);
    assert!(detail.contains("sign in again"), "{detail}");
}

async fn cookie_writes_need_the_csrf_token(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = browser.post(app.url("/api/v1/auth/login")).json(&json!({"email": "t1@edudesk.demo", "password": "edudesk-demo"})).send().await.unwrap();
    let login = TestApp::answer(login).await.expect(200);
    let csrf = login["csrf_token"].as_str().unwrap();

    // Reads work with the cookie alone.
    let list = browser.get(app.url("/api/v1/conversations")).send().await.unwrap();
    assert_eq!(list.status(), 200);

    let conversation = app.open_conversation(&app.learner("L1002").await.0, "coupon question").await;
    let path = app.url(&format!("/api/v1/conversations/{conversation}/messages"));
    let reply = json!({"body": "Let me check", "client_id": "csrf-1"});
    let refused = browser.post(&path).json(&reply).send().await.unwrap();
    let detail = TestApp::answer(refused).await.problem(403);
    assert!(detail.contains("X-CSRF-Token"), "{detail}");
    let forged = browser.post(&path).header("x-csrf-token", "forged").json(&reply).send().await.unwrap();
    TestApp::answer(forged).await.problem(403);
    let messages = app.get(&format!("/api/v1/conversations/{conversation}/messages"), &app.login("t1@edudesk.demo").await).await.expect(200);
    assert_eq!(messages.as_array().unwrap().len(), 1, "refused writes wrote nothing");

    let accepted = browser.post(&path).header("x-csrf-token", csrf).json(&reply).send().await.unwrap();
    TestApp::answer(accepted).await.expect(201);
}

/// Issue 11.4: the console and the widget are ES modules served under content-hashed paths
/// with a year's immutable cache; their imports point at hashed paths that exist; the widget's
/// loader (a stable URL, short cache) names the widget module's hashed path.
async fn web_assets_are_content_hashed_and_cached_for_good(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let header = |response: &reqwest::Response, name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let page = app.client.get(app.url("/console")).send().await.unwrap().text().await.unwrap();
    let quoted_assets = |text: &str| -> Vec<String> { text.split('"').filter(|part| part.starts_with("/assets/")).map(str::to_owned).collect() };
    let mut pending = quoted_assets(&page);
    assert_eq!(pending.len(), 2, "the page names its stylesheet and its entry module: {page}");
    let loader = app.client.get(app.url("/widget.js")).send().await.unwrap();
    assert_eq!(header(&loader, "cache-control"), "public, max-age=300");
    pending.extend(quoted_assets(&loader.text().await.unwrap()));
    assert_eq!(pending.len(), 3, "the loader names the widget module");
    let mut seen = std::collections::BTreeSet::new();
    while let Some(url) = pending.pop() {
        if !seen.insert(url.clone()) {
            continue;
        }
        let name = url.rsplit('/').next().unwrap();
        let hash = name.split('.').nth(1).unwrap_or_default();
        assert!(hash.len() == 10 && hash.chars().all(|c| c.is_ascii_hexdigit()), "{url} carries a content hash");
        let response = app.client.get(app.url(&url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(header(&response, "cache-control"), "public, max-age=31536000, immutable", "{url}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{url}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("from \"./") && !body.contains("from \"../"), "{url}: imports are rewritten to hashed paths");
        pending.extend(quoted_assets(&body).into_iter().filter(|import| import.ends_with(".js")));
    }
    assert!(seen.len() >= 8, "the console and widget are split into modules: {seen:?}");
    assert!(seen.iter().any(|url| url.starts_with("/assets/shared/socket.")), "one realtime client module: {seen:?}");
    let missing = app.client.get(app.url("/assets/console/main.0000000000.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404, "an unknown or stale hash is not served");
}

/// The widget runs on the platform's pages (another origin) and posts JSON with a bearer
/// token: the browser asks first (a CORS preflight), and the API must say yes — without
/// cookies (no credentials). Found while moving the widget to modules: the preflight got 405.
async fn the_widget_api_answers_cross_origin_preflights(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/api/v1/widget/sessions", "/api/v1/conversations", "/api/v1/conversations/1/messages"] {
        let preflight = app
            .client
            .request(Method::OPTIONS, app.url(path))
            .header("origin", "https://learn.example.com")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
            .await
            .unwrap();
        assert!(preflight.status().is_success(), "{path}: preflight answered {}", preflight.status());
        let allowed = preflight.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(allowed.as_deref(), Some("*"), "{path}");
        assert!(preflight.headers().get("access-control-allow-credentials").is_none(), "{path}: never with cookies");
    }
    let session = app.client.post(app.url("/api/v1/widget/sessions")).header("origin", "https://learn.example.com").json(&json!({})).send().await.unwrap();
    assert_eq!(session.status(), 200);
    assert_eq!(session.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap()), Some("*"));
}
