//! Channels: admin configuration with write-only secrets; the WeChat official account
//! (signature check, XML messages, MsgId de-duplication, the bot's passive reply, agents'
//! replies through the access-token API of a local fake WeChat) and the generic social
//! webhook both ways; bad signatures, malformed payloads and duplicates store nothing.

use std::sync::{Arc, Mutex};

use axum::{Json, Router, extract::Query, routing::get, routing::post};
use reqwest::Method;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use crate::{
    backend_tests,
    helpers::{TestApp, TestBackend},
    realtime::Ws,
};

backend_tests!(
    channels_are_configured_by_admins_and_secrets_never_come_back,
    wechat_checks_signatures_and_refuses_bad_xml,
    a_wechat_learner_gets_the_bot_passively_and_the_agent_through_the_api,
    the_social_webhook_works_both_ways,
    calls_pop_up_for_the_lines_tier_are_logged_and_missed_ones_become_callbacks,
    in_app_feedback_becomes_a_conversation_with_the_device_facts,
    sms_works_both_ways_through_the_template_provider,
    channel_secrets_are_encrypted_at_rest,
    one_learner_on_several_channels_is_one_contact_after_a_merge,
    channels_from_the_configuration_file_are_set_up_at_start,
    learners_on_other_channels_are_told_the_wait_or_the_opening_hours
);

/// What a fake outside service received.
type Received = Arc<Mutex<Vec<Value>>>;

/// Serves `router` on a free port; returns its base URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// A fake WeChat API: `/cgi-bin/token` and `/cgi-bin/message/custom/send`. `failures` sends
/// that many "system busy" answers first.
async fn fake_wechat(received: Received, failures: usize) -> String {
    let tokens = received.clone();
    let remaining = Arc::new(Mutex::new(failures));
    let router = Router::new()
        .route(
            "/cgi-bin/token",
            get(move |Query(query): Query<std::collections::HashMap<String, String>>| {
                let tokens = tokens.clone();
                async move {
                    tokens.lock().unwrap().push(json!({"token_request": query}));
                    if query.get("appid").map(String::as_str) == Some("wx-test") && query.get("secret").map(String::as_str) == Some("test-app-secret") {
                        Json(json!({"access_token": "AT-1", "expires_in": 7200}))
                    } else {
                        Json(json!({"errcode": 40013, "errmsg": "invalid appid"}))
                    }
                }
            }),
        )
        .route(
            "/cgi-bin/message/custom/send",
            post(move |Query(query): Query<std::collections::HashMap<String, String>>, Json(body): Json<Value>| {
                let (received, remaining) = (received.clone(), remaining.clone());
                async move {
                    if query.get("access_token").map(String::as_str) != Some("AT-1") {
                        return Json(json!({"errcode": 40001, "errmsg": "invalid credential"}));
                    }
                    let mut left = remaining.lock().unwrap();
                    if *left > 0 {
                        *left -= 1;
                        return Json(json!({"errcode": -1, "errmsg": "system error"}));
                    }
                    received.lock().unwrap().push(body);
                    Json(json!({"errcode": 0, "errmsg": "ok"}))
                }
            }),
        );
    serve(router).await
}

/// WeChat's signed query, sent now (signatures expire after five minutes).
fn signed_now(token: &str, nonce: &str) -> String {
    signed_query(token, &chrono::Utc::now().timestamp().to_string(), nonce)
}

fn signed_query(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    let signature = hex::encode(Sha1::digest(parts.concat().as_bytes()));
    format!("signature={signature}&timestamp={timestamp}&nonce={nonce}")
}

fn text_xml(openid: &str, msg_id: &str, content: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>1732400000</CreateTime>\
         <MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
}

async fn post_wechat(app: &TestApp, query: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let response = app.client.post(app.url(&format!("/webhooks/wechat/demo?{query}"))).header("content-type", "text/xml").body(body).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn conversations_on(app: &TestApp, token: &str, channel: &str) -> Vec<Value> {
    let all = app.get("/api/v1/conversations?limit=200", token).await.expect(200);
    all.as_array().unwrap().iter().filter(|c| c["channel"] == channel).cloned().collect()
}

async fn wait_until<F: Fn() -> bool>(what: &str, condition: F) {
    crate::helpers::eventually(what, async || condition().then_some(())).await
}

async fn channels_are_configured_by_admins_and_secrets_never_come_back(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.login("admin@edudesk.demo").await;
    let listed = app.get("/api/v1/channels", &admin).await.expect(200);
    let text = listed.to_string();
    for secret in ["demo-wechat-token", "demo-social-secret", "demo-cti-token", "demo-wechat-app-secret"] {
        assert!(!text.contains(secret), "secrets never come back: {text}");
    }
    let wechat = listed.as_array().unwrap().iter().find(|c| c["kind"] == "wechat").unwrap();
    assert_eq!(wechat["webhook_path"], "/webhooks/wechat/demo");
    assert_eq!(wechat["secrets_set"], json!(["app_secret", "token"]));

    // A change keeps the secrets it does not mention.
    let saved = app.call(Method::PUT, "/api/v1/channels/wechat/demo", Some(&admin), Some(json!({"settings": {"app_id": "wx-new"}}))).await.expect(200);
    assert_eq!((saved["settings"]["app_id"].as_str(), saved["secrets_set"].as_array().unwrap().len()), (Some("wx-new"), 2));
    let typo = json!({"settings": {"ap_id": "x"}});
    assert!(app.call(Method::PUT, "/api/v1/channels/wechat/demo", Some(&admin), Some(typo)).await.problem(422).contains("ap_id"));
    app.call(Method::PUT, "/api/v1/channels/fax/demo", Some(&admin), Some(json!({}))).await.problem(404);
    app.call(Method::PUT, "/api/v1/channels/social/bad%20name", Some(&admin), Some(json!({}))).await.problem(422);
    let lead = app.login("lead@edudesk.demo").await;
    app.get("/api/v1/channels", &lead).await.problem(403);
    let (learner, _) = app.learner("L7001").await;
    app.get("/api/v1/channels", &learner).await.problem(403);
    app.call(Method::GET, "/api/v1/channels", None, None).await.problem(401);
}

async fn wechat_checks_signatures_and_refuses_bad_xml(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let good = signed_now("demo-wechat-token", "n1");
    let verified = app.client.get(app.url(&format!("/webhooks/wechat/demo?{good}&echostr=hello-wechat"))).send().await.unwrap();
    assert_eq!((verified.status().as_u16(), verified.text().await.unwrap()), (200, "hello-wechat".to_owned()));
    let forged = signed_now("not-the-token", "n1");
    let refused = app.client.get(app.url(&format!("/webhooks/wechat/demo?{forged}&echostr=x"))).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(app.client.get(app.url("/webhooks/wechat/nope?signature=a&timestamp=1&nonce=2")).send().await.unwrap().status(), 404);

    let lead = app.login("lead@edudesk.demo").await;
    let before = conversations_on(&app, &lead, "wechat").await.len();
    assert_eq!(post_wechat(&app, &forged, text_xml("o_forged", "1", "hi")).await.0, 401);
    assert_eq!(post_wechat(&app, "timestamp=1", text_xml("o_forged", "1", "hi")).await.0, 401);
    let (status, body) = post_wechat(&app, &signed_now("demo-wechat-token", "b1"), "<xml><ToUserName>gh</ToUserName>").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(post_wechat(&app, &signed_now("demo-wechat-token", "b2"), "<xml><ToUserName>gh</ToUserName></xml>").await.0, 400, "missing fields");
    assert_eq!(post_wechat(&app, &signed_now("demo-wechat-token", "b3"), vec![0xff_u8, 0xfe, 0x3c]).await.0, 400, "not UTF-8");
    // Issue 10.10: a correct signature from long ago is refused (even one from the future).
    let old = signed_query("demo-wechat-token", &(chrono::Utc::now().timestamp() - 3600).to_string(), "old-1");
    assert_eq!(post_wechat(&app, &old, text_xml("o_replay", "101", "hi")).await.0, 401);
    let ahead = signed_query("demo-wechat-token", &(chrono::Utc::now().timestamp() + 3600).to_string(), "ahead-1");
    assert_eq!(post_wechat(&app, &ahead, text_xml("o_replay", "102", "hi")).await.0, 401);
    // A captured signature reused for another message is refused; WeChat's own retry (the
    // same request again) passes and stores nothing twice.
    let captured = signed_now("demo-wechat-token", "replay-1");
    assert_eq!(post_wechat(&app, &captured, text_xml("o_replay", "103", "我的优惠券用不了")).await.0, 200);
    assert_eq!(post_wechat(&app, &captured, text_xml("o_replay", "103", "我的优惠券用不了")).await.0, 200, "a retry");
    assert_eq!(post_wechat(&app, &captured, text_xml("o_replay", "104", "forged order: refund me")).await.0, 401);
    let replayed = conversations_on(&app, &lead, "wechat").await;
    assert_eq!(replayed.len(), before + 1, "one conversation from the genuine message only");
    let id = replayed[0]["id"].as_i64().unwrap();
    let stored = app.get(&format!("/api/v1/conversations/{id}/messages"), &lead).await.expect(200);
    assert!(stored.as_array().unwrap().iter().all(|m| !m["body"].as_str().unwrap().contains("forged")), "{stored}");
    assert_eq!(stored.as_array().unwrap().iter().filter(|m| m["author_kind"] == "contact").count(), 1);
    let before = before + 1;
    assert_eq!(conversations_on(&app, &lead, "wechat").await.len(), before, "nothing stored");
}

async fn a_wechat_learner_gets_the_bot_passively_and_the_agent_through_the_api(backend: TestBackend) {
    let app = TestApp::builder(backend).with_bot().spawn().await;
    let received: Received = Arc::default();
    let fake = fake_wechat(received.clone(), 1).await;
    let admin = app.login("admin@edudesk.demo").await;
    let config = json!({"settings": {"app_id": "wx-test", "api_base": fake}, "secrets": {"app_secret": "test-app-secret"}});
    app.call(Method::PUT, "/api/v1/channels/wechat/demo", Some(&admin), Some(config)).await.expect(200);

    // A follower is greeted; their question gets the bot's answer as the passive reply.
    let subscribe = "<xml><ToUserName>gh_demo</ToUserName><FromUserName>o_learner</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>";
    let (status, welcome) = post_wechat(&app, &signed_now("demo-wechat-token", "n2-1"), subscribe).await;
    assert!(status == 200 && welcome.contains("欢迎关注"), "{welcome}");
    let (status, reply) = post_wechat(&app, &signed_now("demo-wechat-token", "n2-2"), text_xml("o_learner", "5001", "密码忘了怎么办")).await;
    assert_eq!(status, 200);
    let document = roxmltree::Document::parse(&reply).unwrap_or_else(|e| panic!("{e}: {reply}"));
    let field = |name: &str| document.root_element().children().find(|n| n.has_tag_name(name)).and_then(|n| n.text()).unwrap_or_default().to_owned();
    assert_eq!(field("ToUserName"), "o_learner");
    assert!(field("Content").contains("/help/articles/zh-password-reset"), "{reply}");

    // WeChat retries the same MsgId: answered, nothing stored twice.
    assert_eq!(post_wechat(&app, &signed_now("demo-wechat-token", "n2-3"), text_xml("o_learner", "5001", "密码忘了怎么办")).await, (200, "success".to_owned()));
    let lead = app.login("lead@edudesk.demo").await;
    let wechat = conversations_on(&app, &lead, "wechat").await;
    assert_eq!(wechat.len(), 1);
    let id = wechat[0]["id"].as_i64().unwrap();
    let messages = app.get(&format!("/api/v1/conversations/{id}/messages"), &lead).await.expect(200);
    assert_eq!(messages.as_array().unwrap().iter().filter(|m| m["body"] == "密码忘了怎么办").count(), 1);

    // The learner asks for a person; the agent's reply goes out through the customer-service
    // API (the fake fails once: the job retries).
    post_wechat(&app, &signed_now("demo-wechat-token", "n2-4"), text_xml("o_learner", "5002", "转人工")).await;
    assert_eq!(app.get(&format!("/api/v1/conversations/{id}"), &lead).await.expect(200)["bot_active"], false);
    app.post(&format!("/api/v1/conversations/{id}/messages"), &lead, json!({"body": "您好，我是人工客服小雷"})).await.expect(201);
    let sent = received.clone();
    wait_until("the agent's reply at the fake WeChat", move || {
        sent.lock().unwrap().iter().any(|m| m["touser"] == "o_learner" && m["text"]["content"] == "您好，我是人工客服小雷")
    })
    .await;
    // The job marks the delivery sent after WeChat answered: wait for that, as for the call.
    let deliveries = crate::helpers::eventually("the agent's delivery marked sent", async || {
        let deliveries = app.get(&format!("/api/v1/conversations/{id}/deliveries"), &lead).await.expect(200);
        let marked = deliveries.as_array().unwrap().iter().any(|d| d["recipient"] == "o_learner" && d["attempts"].as_i64() == Some(2) && d["state"] == "sent");
        marked.then_some(deliveries)
    })
    .await;
    let agent_delivery = deliveries.as_array().unwrap().iter().rev().find(|d| d["recipient"] == "o_learner" && d["attempts"].as_i64() == Some(2));
    let agent_delivery = agent_delivery.unwrap_or_else(|| panic!("{deliveries}"));
    assert_eq!(agent_delivery["state"], "sent", "{deliveries}");
    assert_eq!(agent_delivery["last_error"], Value::Null);
    let passive = &deliveries[0];
    assert_eq!((passive["state"].as_str(), passive["attempts"].as_i64()), (Some("sent"), Some(0)), "the bot's answer went out passively: {deliveries}");
    let token_requests = received.lock().unwrap().iter().filter(|m| m.get("token_request").is_some()).count();
    assert_eq!(token_requests, 1, "the access token is cached");
    let (learner, _) = app.learner("L7002").await;
    app.get(&format!("/api/v1/conversations/{id}/deliveries"), &learner).await.problem(404);
}

async fn the_social_webhook_works_both_ways(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let received: Received = Arc::default();
    let sink = received.clone();
    let fake = serve(Router::new().route(
        "/outbound",
        post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                let signature = headers.get("x-edudesk-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                let mut value: Value = serde_json::from_slice(&body).unwrap();
                value["signature_ok"] = json!(signature == format!("sha256={}", sign("demo-social-secret", &body)));
                sink.lock().unwrap().push(value);
                "ok"
            }
        }),
    ))
    .await;
    let admin = app.login("admin@edudesk.demo").await;
    app.call(Method::PUT, "/api/v1/channels/social/demo", Some(&admin), Some(json!({"settings": {"outbound_url": format!("{fake}/outbound")}})))
        .await
        .expect(200);

    let message = json!({"message_id": "dy-1", "user": {"id": "u-88", "name": "抖音用户88"}, "text": "优惠券用不了"});
    let (status, first) = post_signed(&app, "/webhooks/social/demo", "demo-social-secret", &message.clone()).await;
    assert_eq!((status, first["duplicate"].as_bool()), (200, Some(false)), "{first}");
    let (status, again) = post_signed(&app, "/webhooks/social/demo", "demo-social-secret", &message.clone()).await;
    assert_eq!((status, again["duplicate"].as_bool(), again["conversation_id"].clone()), (200, Some(true), first["conversation_id"].clone()));
    assert_eq!(post_signed(&app, "/webhooks/social/demo", "wrong-secret", &message.clone()).await.0, 401);
    let unsigned = app.client.post(app.url("/webhooks/social/demo")).json(&message).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(post_signed(&app, "/webhooks/social/demo", "demo-social-secret", &json!({"message_id": "dy-2", "text": "no user"})).await.0, 400);
    assert_eq!(post_signed(&app, "/webhooks/social/demo", "demo-social-secret", &json!({"message_id": "", "user": {"id": "u"}, "text": "x"})).await.0, 422);
    let raw = b"{not json";
    let malformed = app
        .client
        .post(app.url("/webhooks/social/demo"))
        .header("x-edudesk-signature", format!("sha256={}", sign("demo-social-secret", raw)))
        .body(raw.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(app.client.post(app.url("/webhooks/social/other")).json(&message).send().await.unwrap().status(), 404);
    // Issue 10.13: ids from outside are bounded and free of control characters; names are
    // cleaned and cut, not trusted.
    let control = json!({"message_id": "dy-3", "user": {"id": "u-\u{7}88", "name": "x"}, "text": "hi"});
    assert_eq!(post_signed(&app, "/webhooks/social/demo", "demo-social-secret", &control).await.0, 422);
    let long_id = json!({"message_id": "m".repeat(201), "user": {"id": "u-89"}, "text": "hi"});
    assert_eq!(post_signed(&app, "/webhooks/social/demo", "demo-social-secret", &long_id).await.0, 422);
    let noisy = json!({"message_id": "dy-4", "user": {"id": "u-90", "name": format!("小\u{0}明\n{}", "长".repeat(300))}, "text": "hi"});
    let (status, noisy) = post_signed(&app, "/webhooks/social/demo", "demo-social-secret", &noisy).await;
    assert_eq!(status, 200, "{noisy}");
    // A channel whose secret was never set says so (503), it does not crash (500).
    app.call(Method::PUT, "/api/v1/channels/social/unsigned", Some(&admin), Some(json!({"enabled": true, "settings": {}}))).await.expect(200);
    let (status, problem) = post_signed(&app, "/webhooks/social/unsigned", "anything", &message.clone()).await;
    assert_eq!(status, 503, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("not configured"), "{problem}");

    // The contact carries the platform's name; the agent answers; the reply is POSTed, signed.
    let id = first["conversation_id"].as_i64().unwrap();
    let lead = app.login("lead@edudesk.demo").await;
    let conversation = app.get(&format!("/api/v1/conversations/{id}"), &lead).await.expect(200);
    assert_eq!(conversation["channel"], "social");
    let contact = app.get(&format!("/api/v1/contacts/{}", conversation["contact_id"]), &lead).await.expect(200);
    assert_eq!(contact["display_name"], "抖音用户88");
    let noisy = app.get(&format!("/api/v1/conversations/{}", noisy["conversation_id"]), &lead).await.expect(200);
    let noisy_contact = app.get(&format!("/api/v1/contacts/{}", noisy["contact_id"]), &lead).await.expect(200);
    let name = noisy_contact["display_name"].as_str().unwrap();
    assert!(name.starts_with("小 明 长") && name.chars().count() == 100 && !name.chars().any(char::is_control), "{name}");
    app.post(&format!("/api/v1/conversations/{id}/messages"), &lead, json!({"body": "请把优惠券截图发给我"})).await.expect(201);
    let sink = received.clone();
    wait_until("the reply at the platform", move || sink.lock().unwrap().iter().any(|m| m["text"] == "请把优惠券截图发给我")).await;
    let posted = received.lock().unwrap().iter().find(|m| m["text"] == "请把优惠券截图发给我").cloned().unwrap();
    assert_eq!((posted["user_id"].as_str(), posted["signature_ok"].as_bool()), (Some("u-88"), Some(true)), "{posted}");
}

fn sign(secret: &str, body: &[u8]) -> String {
    edudesk::crypto::hmac_hex(secret, body)
}

async fn cti(app: &TestApp, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = app.client.post(app.url("/webhooks/cti/demo")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
}

async fn calls_pop_up_for_the_lines_tier_are_logged_and_missed_ones_become_callbacks(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let token = Some("demo-cti-token");
    let t2 = app.login("t2@edudesk.demo").await;
    let t1 = app.login("t1@edudesk.demo").await;
    let mut tier2_socket = Ws::connect_to(&app.base, &t2).await;
    let mut tier1_socket = Ws::connect_to(&app.base, &t1).await;

    // The 400-800-5678 line is tier 2's: its agents see the call pop up with the caller.
    let ring = json!({"event": "newCall", "call_id": "c-100", "caller": "+86 138 0013 8000", "called": "400-800-5678"});
    let (status, rang) = cti(&app, token, ring.clone()).await;
    assert_eq!((status, rang["call"]["state"].as_str(), rang["call"]["caller"].as_str()), (200, Some("ringing"), Some("+8613800138000")), "{rang}");
    let popup = tier2_socket.next_of("call").await;
    assert_eq!(popup["call"]["call"]["call_id"], "c-100");
    assert!(popup["call"]["recent"].as_array().unwrap().iter().any(|c| c["channel"] == "phone"), "{popup}");
    let early = tier1_socket.drain().await;
    assert!(early.iter().all(|f| f["type"] != "call"), "tier 1 does not see tier 2's line: {early:?}");
    assert_eq!(cti(&app, token, ring).await.1["duplicate"], true, "the same newCall again changes nothing");

    // Answered by the tier 2 agent: assigned to them; hangup logs duration and recording.
    let (status, answered) = cti(&app, token, json!({"event": "answer", "call_id": "c-100", "agent": "t2@edudesk.demo"})).await;
    assert_eq!((status, answered["call"]["state"].as_str()), (200, Some("answered")));
    let conversation_id = answered["call"]["conversation_id"].as_i64().unwrap();
    let lead = app.login("lead@edudesk.demo").await;
    let conversation = app.get(&format!("/api/v1/conversations/{conversation_id}"), &lead).await.expect(200);
    let t2_id = app.get("/api/v1/auth/me", &t2).await.expect(200)["user"]["id"].clone();
    assert_eq!((conversation["channel"].as_str(), conversation["tier"].as_i64(), conversation["assignee_id"].clone()), (Some("phone"), Some(2), t2_id));
    let hangup = json!({"event": "hangup", "call_id": "c-100", "cause": "normal", "duration": 95, "recording_url": "https://rec.example.com/c-100.mp3"});
    assert_eq!(cti(&app, token, hangup.clone()).await.1["call"]["state"], "ended");
    assert_eq!(cti(&app, token, hangup).await.1["duplicate"], true);
    let messages = app.get(&format!("/api/v1/conversations/{conversation_id}/messages"), &lead).await.expect(200);
    let log: Vec<&str> = messages.as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert!(log.iter().any(|m| m.contains("95 s") && m.contains("c-100.mp3")), "{log:?}");

    // The same caller again: the same contact and conversation; nobody answers → callback task.
    cti(&app, token, json!({"event": "newCall", "call_id": "c-101", "caller": "+8613800138000", "called": "400-800-5678"})).await;
    let (_, missed) = cti(&app, token, json!({"event": "hangup", "call_id": "c-101", "cause": "caller_abandoned"})).await;
    assert_eq!((missed["call"]["state"].as_str(), missed["call"]["conversation_id"].as_i64()), (Some("missed"), Some(conversation_id)));
    let tasks = app.get("/api/v1/tasks?assignee=all", &lead).await.expect(200);
    assert!(tasks.as_array().unwrap().iter().any(|t| t["conversation_id"] == conversation_id && t["kind"] == "callback"), "{tasks}");

    // Bad input: wrong or missing token, malformed JSON, unknown calls, illegal transitions.
    assert_eq!(cti(&app, Some("wrong"), json!({"event": "hangup", "call_id": "c-100"})).await.0, 401);
    assert_eq!(cti(&app, None, json!({"event": "hangup", "call_id": "c-100"})).await.0, 401);
    assert_eq!(cti(&app, token, json!({"event": "teleport", "call_id": "x"})).await.0, 400);
    assert_eq!(cti(&app, token, json!({"event": "newCall", "call_id": "c-9", "caller": "not a number", "called": "400"})).await.0, 422);
    assert_eq!(cti(&app, token, json!({"event": "answer", "call_id": "nope", "agent": "t2@edudesk.demo"})).await.0, 404);
    assert_eq!(cti(&app, token, json!({"event": "answer", "call_id": "c-101", "agent": "t2@edudesk.demo"})).await.0, 409, "a missed call cannot be answered");
    assert_eq!(cti(&app, token, json!({"event": "answer", "call_id": "c-101", "agent": "nobody@x.test"})).await.0, 422);
    let raw = app.client.post(app.url("/webhooks/cti/demo")).bearer_auth("demo-cti-token").body("{oops").send().await.unwrap();
    assert_eq!(raw.status(), 400);
}

const PNG_PIXEL: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

async fn in_app_feedback_becomes_a_conversation_with_the_device_facts(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .configure(|config| {
            config.platform_api_key = Some(edudesk::config::Secret::new("test-platform-key"));
            config.attachment_max_bytes = 2_000;
        })
        .spawn()
        .await;
    let (learner, contact_id) = app.learner("L7101").await;
    let feedback = json!({
        "text": "视频一直加载不出来", "category": "playback", "rating": 2,
        "device": {"kind": "phone", "network": "wifi", "os": "iOS 17.2", "app_version": "5.2.0", "browser": "WebView"},
        "screenshots": [{"content_type": "image/png", "data": PNG_PIXEL}]
    });
    let receipt = app.post("/api/v1/feedback", &learner, feedback.clone()).await.expect(201);
    assert_eq!((receipt["contact_id"].as_i64(), receipt["screenshots"].as_i64()), (Some(contact_id), Some(1)));
    let id = receipt["conversation_id"].as_i64().unwrap();
    let lead = app.login("lead@edudesk.demo").await;
    let conversation = app.get(&format!("/api/v1/conversations/{id}"), &lead).await.expect(200);
    assert_eq!((conversation["channel"].as_str(), conversation["category"].as_str()), (Some("in_app"), Some("playback")));
    let answers = &conversation["sop"]["answers"];
    assert_eq!(
        (answers["device"].as_str(), answers["network"].as_str(), answers["browser"].as_str()),
        (Some("phone"), Some("wifi"), Some("webview")),
        "{conversation}"
    );
    let staff_view = app.get(&format!("/api/v1/conversations/{id}/messages"), &lead).await.expect(200);
    let staff_view = staff_view.as_array().unwrap();
    assert!(staff_view.iter().any(|m| m["attachment_id"].is_i64()), "the screenshot is in the conversation");
    assert!(staff_view.iter().any(|m| m["internal"] == true && m["body"].as_str().unwrap().contains("iOS 17.2")), "{staff_view:?}");
    let learner_view = app.get(&format!("/api/v1/conversations/{id}/messages"), &learner).await.expect(200);
    assert!(learner_view.as_array().unwrap().iter().all(|m| m["internal"] == false));
    let contact = app.get(&format!("/api/v1/contacts/{contact_id}"), &lead).await.expect(200);
    assert_eq!(contact["attributes"]["device"]["app_version"], "5.2.0");

    // Server to server with the platform key, for a learner by platform id.
    let by_platform = app
        .client
        .post(app.url("/api/v1/feedback"))
        .header("x-platform-key", "test-platform-key")
        .json(&json!({"text": "支付失败了", "learner_id": "L7102"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_platform.status(), 201);

    // Bad input: refused clearly, nothing stored.
    let before = conversations_on(&app, &lead, "in_app").await.len();
    let anonymous = app.client.post(app.url("/api/v1/feedback")).json(&json!({"text": "x", "learner_id": "L1"})).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong_key =
        app.client.post(app.url("/api/v1/feedback")).header("x-platform-key", "nope").json(&json!({"text": "x", "learner_id": "L1"})).send().await.unwrap();
    assert_eq!(wrong_key.status(), 401);
    let no_learner =
        app.client.post(app.url("/api/v1/feedback")).header("x-platform-key", "test-platform-key").json(&json!({"text": "x"})).send().await.unwrap();
    assert_eq!(no_learner.status(), 422);
    app.post("/api/v1/feedback", &lead, json!({"text": "x"})).await.problem(403);
    app.post("/api/v1/feedback", &learner, json!({"text": "x", "rating": 9})).await.problem(422);
    app.post("/api/v1/feedback", &learner, json!({"text": "x", "category": "astrology"})).await.problem(422);
    app.post("/api/v1/feedback", &learner, json!({"text": "", "device": {}})).await.problem(422);
    let shot = json!({"content_type": "image/png", "data": PNG_PIXEL});
    app.post("/api/v1/feedback", &learner, json!({"text": "x", "screenshots": [shot, shot, shot, shot]})).await.problem(422);
    app.post("/api/v1/feedback", &learner, json!({"text": "x", "screenshots": [{"content_type": "image/png", "data": "***"}]})).await.problem(422);
    let svg = base64_encode(b"<svg onload=alert(1)></svg>");
    app.post("/api/v1/feedback", &learner, json!({"text": "x", "screenshots": [{"content_type": "image/png", "data": svg}]})).await.problem(422);
    let mut big = base64_decode(PNG_PIXEL);
    big.resize(5_000, 0);
    app.post("/api/v1/feedback", &learner, json!({"text": "x", "screenshots": [{"content_type": "image/png", "data": base64_encode(&big)}]}))
        .await
        .problem(413);
    app.post("/api/v1/feedback", &learner, json!({"text": "x", "device": {"colour": "red"}})).await.problem(422);
    assert_eq!(conversations_on(&app, &lead, "in_app").await.len(), before, "nothing stored by refused feedback");
}

fn base64_encode(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

async fn post_signed(app: &TestApp, path: &str, secret: &str, body: &Value) -> (u16, Value) {
    let raw = serde_json::to_vec(body).unwrap();
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("x-edudesk-signature", format!("sha256={}", sign(secret, &raw)))
        .body(raw)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
}

async fn sms_works_both_ways_through_the_template_provider(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let received: Received = Arc::default();
    let sink = received.clone();
    let fake = serve(Router::new().route(
        "/sms/send",
        post(move |headers: axum::http::HeaderMap, Json(body): Json<Value>| {
            let sink = sink.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                sink.lock().unwrap().push(json!({"body": body, "authorization": auth}));
                Json(json!({"ok": true}))
            }
        }),
    ))
    .await;
    let admin = app.login("admin@edudesk.demo").await;
    let config = json!({"settings": {"provider_url": format!("{fake}/sms/send"), "sender": "XUEZHI"}, "secrets": {"api_key": "sms-key-1"}});
    app.call(Method::PUT, "/api/v1/channels/sms/demo", Some(&admin), Some(config)).await.expect(200);

    let sms = json!({"message_id": "sms-1", "from": "+86 138 0000 1111", "text": "退款什么时候到账"});
    let (status, first) = post_signed(&app, "/webhooks/sms/demo", "demo-sms-secret", &sms).await;
    assert_eq!((status, first["duplicate"].as_bool()), (200, Some(false)), "{first}");
    assert_eq!(post_signed(&app, "/webhooks/sms/demo", "demo-sms-secret", &sms).await.1["duplicate"], true);
    assert_eq!(post_signed(&app, "/webhooks/sms/demo", "wrong", &sms).await.0, 401);
    let bad_number = json!({"message_id": "sms-2", "from": "call me", "text": "x"});
    assert_eq!(post_signed(&app, "/webhooks/sms/demo", "demo-sms-secret", &bad_number).await.0, 422);
    assert_eq!(post_signed(&app, "/webhooks/sms/demo", "demo-sms-secret", &json!({"text": "no id"})).await.0, 400);

    let id = first["conversation_id"].as_i64().unwrap();
    let lead = app.login("lead@edudesk.demo").await;
    assert_eq!(app.get(&format!("/api/v1/conversations/{id}"), &lead).await.expect(200)["channel"], "sms");
    app.post(&format!("/api/v1/conversations/{id}/messages"), &lead, json!({"body": "退款 1-3 个工作日到账"})).await.expect(201);
    let sink = received.clone();
    wait_until("the SMS at the provider", move || !sink.lock().unwrap().is_empty()).await;
    let sent = received.lock().unwrap()[0].clone();
    assert_eq!(sent["body"], json!({"to": "+8613800001111", "text": "退款 1-3 个工作日到账", "sender": "XUEZHI"}));
    assert_eq!(sent["authorization"], "Bearer sms-key-1");

    // Issue 10.5: a follow-up's check-back goes out by SMS too, and the conversation lists
    // it, with the time it is due, until then.
    let follow_ups = format!("/api/v1/conversations/{id}/follow-ups");
    let scheduled = app.post(&follow_ups, &lead, json!({"due_in_minutes": 1440, "title": "回访", "message": "您好，退款到账了吗？"})).await.expect(201);
    let pending = app.get(&follow_ups, &lead).await.expect(200);
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!((pending[0]["due_at"].clone(), pending[0]["message"].as_str()), (scheduled["due_at"].clone(), Some("您好，退款到账了吗？")));
    let (learner, _) = app.learner("L6101").await;
    app.get(&follow_ups, &learner).await.problem(404);
    // A day passes (the job is made due now).
    app.store.reschedule_job(pending[0]["id"].as_i64().unwrap(), chrono::Utc::now().timestamp_millis()).await.unwrap();
    let sink = received.clone();
    wait_until("the follow-up SMS at the provider", move || sink.lock().unwrap().len() >= 2).await;
    assert_eq!(received.lock().unwrap()[1]["body"]["text"], "您好，退款到账了吗？");
    assert_eq!(app.get(&follow_ups, &lead).await.expect(200), json!([]), "no longer pending");

    // Issue 13.3: resolved, the satisfaction survey goes out by SMS too, as a short link.
    app.patch(&format!("/api/v1/conversations/{id}"), &lead, json!({"status": "resolved"})).await.expect(200);
    sqlx::query("UPDATE jobs SET run_at = 0 WHERE unique_key = $1").bind(format!("csat:{id}")).execute(&app.store.write).await.unwrap();
    let sink = received.clone();
    wait_until("the survey SMS at the provider", move || sink.lock().unwrap().len() >= 3).await;
    let text = received.lock().unwrap()[2]["body"]["text"].as_str().unwrap_or_default().to_owned();
    assert!(text.contains("请评分") && text.contains("/s/"), "{text}");
    let token = text.rsplit("/s/").next().unwrap_or_default().to_owned();
    let page = app.client.get(app.url(&format!("/s/{token}?rating=5"))).send().await.unwrap();
    assert_eq!(page.url().path(), format!("/survey/{token}"));
}

async fn one_learner_on_several_channels_is_one_contact_after_a_merge(backend: TestBackend) {
    let app = TestApp::spawn(backend).await;
    let (learner, platform_contact) = app.learner("L7201").await;
    let widget_conversation = app.open_conversation(&learner, "课程视频打不开").await;
    let query = signed_now("demo-wechat-token", "n3");
    post_wechat(&app, &query, text_xml("o_7201", "7201", "我在微信上也问一下：视频打不开")).await;
    let lead = app.login("lead@edudesk.demo").await;
    let wechat = conversations_on(&app, &lead, "wechat").await;
    let wechat_contact = wechat[0]["contact_id"].as_i64().unwrap();
    assert_ne!(wechat_contact, platform_contact, "an unknown openid is a new contact until someone says otherwise");

    // An agent merges them: one learner, every channel's history together.
    let t1 = app.login("t1@edudesk.demo").await;
    let merged = app.post(&format!("/api/v1/contacts/{platform_contact}/merge"), &t1, json!({"from": wechat_contact})).await.expect(200);
    let kinds: Vec<&str> = merged["identities"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"platform") && kinds.contains(&"wechat_openid"), "{merged}");
    app.get(&format!("/api/v1/contacts/{wechat_contact}"), &lead).await.problem(404);
    let together = app.get(&format!("/api/v1/conversations?contact_id={platform_contact}"), &lead).await.expect(200);
    let channels: Vec<&str> = together.as_array().unwrap().iter().map(|c| c["channel"].as_str().unwrap()).collect();
    assert!(channels.contains(&"widget") && channels.contains(&"wechat"), "{channels:?}");
    let wechat_id = wechat[0]["id"].as_i64().unwrap();
    let history = app.get(&format!("/api/v1/conversations/{wechat_id}/messages"), &lead).await.expect(200);
    assert!(history.as_array().unwrap().iter().any(|m| m["body"] == "我在微信上也问一下：视频打不开" && m["author_contact_id"] == platform_contact));
    // The learner sees both in the widget's list; the next WeChat message joins the same contact.
    let mine = app.get("/api/v1/conversations", &learner).await.expect(200);
    let mine: Vec<i64> = mine.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert!(mine.contains(&widget_conversation) && mine.contains(&wechat_id), "{mine:?}");
    let (_, next) = {
        let body = text_xml("o_7201", "7202", "还在吗");
        post_wechat(&app, &signed_now("demo-wechat-token", "n3-2"), body).await
    };
    assert_eq!(next, "success");
    assert_eq!(conversations_on(&app, &lead, "wechat").await.len(), 1, "the same WeChat conversation continues");

    app.post(&format!("/api/v1/contacts/{platform_contact}/merge"), &t1, json!({"from": platform_contact})).await.problem(422);
    app.post(&format!("/api/v1/contacts/{platform_contact}/merge"), &t1, json!({"from": 999_999})).await.problem(404);
    app.post(&format!("/api/v1/contacts/{platform_contact}/merge"), &learner, json!({"from": 1})).await.problem(403);
}

async fn channels_from_the_configuration_file_are_set_up_at_start(backend: TestBackend) {
    let app = TestApp::builder(backend)
        .configure(|config| {
            let entry: edudesk::config::ChannelEntry =
                toml::from_str("kind = 'social'\nname = 'partner'\nsettings = { platform = 'partner' }\nsecrets = { secret = 'partner-secret' }").unwrap();
            config.channels = vec![entry];
        })
        .spawn()
        .await;
    let admin = app.login("admin@edudesk.demo").await;
    let listed = app.get("/api/v1/channels", &admin).await.expect(200);
    let partner = listed.as_array().unwrap().iter().find(|c| c["kind"] == "social" && c["name"] == "partner").cloned().unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(partner["secrets_set"], json!(["secret"]));
    assert!(!listed.to_string().contains("partner-secret"));
    let message = json!({"message_id": "p-1", "user": {"id": "u1"}, "text": "你好"});
    assert_eq!(post_signed(&app, "/webhooks/social/partner", "partner-secret", &message).await.0, 200);
}

/// Issue 10.14: channel secrets are sealed in the database; a node with the wrong key
/// refuses to start instead of failing deliveries later.
async fn channel_secrets_are_encrypted_at_rest(backend: TestBackend) {
    let database = crate::helpers::TestDatabase::create(&backend).await;
    let mut server = crate::cli::serve_on(crate::cli::edudesk(&database), true, "127.0.0.1:0").await;
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": "admin@edudesk.demo", "password": "edudesk-demo"}))
        .send()
        .await
        .unwrap();
    let admin = login.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let config = json!({"secrets": {"api_key": "sms-key-at-rest"}});
    let saved = client.put(format!("{}/api/v1/channels/sms/demo", server.base)).bearer_auth(&admin).json(&config).send().await.unwrap();
    assert_eq!(saved.status(), 200);
    server.child.kill().await.unwrap();

    let store = edudesk::store::Store::connect(&database.url, 1).await.unwrap();
    let stored: Vec<(String, String)> = sqlx::query_as("SELECT name, secrets FROM channels").fetch_all(&store.read).await.unwrap();
    assert!(stored.len() >= 4, "the demo's channels: {stored:?}");
    for (name, secrets) in &stored {
        assert!(secrets.starts_with("enc:v1:"), "{name}: {secrets}");
        for plain in ["sms-key-at-rest", "demo-wechat-token", "demo-social-secret", "demo-cti-token", "demo-sms-secret"] {
            assert!(!secrets.contains(plain), "{name} holds {plain} in plaintext");
        }
    }
    store.close().await;

    let mut wrong_key = crate::cli::edudesk(&database);
    wrong_key.env("EDUDESK_SECRET_KEY", "not-the-key").args(["serve", "--bind", "127.0.0.1:0"]);
    let refused = tokio::time::timeout(std::time::Duration::from_secs(60), wrong_key.output()).await.expect("a wrong key stops the start").unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("secret_key"), "{stderr}");
    assert!(!stderr.contains("sms-key-at-rest"));
}

/// Issue 13.10: a learner writing in the app (or on WeChat, SMS, email) who waits in the queue
/// is told on that channel when a person will answer — the opening hours when the team is off,
/// that everyone is busy when nobody is online, the minutes when someone is.
async fn learners_on_other_channels_are_told_the_wait_or_the_opening_hours(backend: TestBackend) {
    use chrono::Timelike;
    let hour = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).hour();
    let closed_hours = format!("{:02}:00-{:02}:59", (hour + 2) % 24, (hour + 2) % 24);
    let closed = TestApp::builder(backend.clone())
        .configure(|config| {
            config.channel_wait_notice = true;
            config.business_hours = closed_hours.clone();
        })
        .spawn()
        .await;
    let notice = async |app: &TestApp, learner: &str| -> String {
        let receipt = app.post("/api/v1/feedback", learner, json!({"text": "视频一直加载不出来", "category": "playback"})).await.expect(201);
        let id = receipt["conversation_id"].as_i64().unwrap();
        let messages = app.get(&format!("/api/v1/conversations/{id}/messages"), learner).await.expect(200);
        messages
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["author_kind"] == "system")
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (learner, _) = closed.learner("L7201").await;
    let told = notice(&closed, &learner).await;
    assert!(told.contains("不在人工服务时间") && told.contains(&closed_hours), "{told}");

    let open = TestApp::builder(backend)
        .configure(|config| {
            config.channel_wait_notice = true;
            config.business_hours = "00:00-23:59".to_owned();
        })
        .spawn()
        .await;
    let (learner, _) = open.learner("L7202").await;
    assert!(notice(&open, &learner).await.contains("客服暂时都在忙"), "nobody online");
    // An agent of tier 1 online with room: the conversation is theirs at once, no notice needed.
    let t1 = open.login("t1@edudesk.demo").await;
    open.call(Method::PUT, "/api/v1/presence", Some(&t1), Some(json!({"presence": "online"}))).await.expect(200);
    let (learner, _) = open.learner("L7203").await;
    let told = notice(&open, &learner).await;
    assert!(!told.contains("客服暂时都在忙") && !told.contains("不在人工服务时间"), "{told}");
}
