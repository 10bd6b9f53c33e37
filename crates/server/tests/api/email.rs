//! Email end to end through real mail servers: Postfix delivers a learner's mail into the
//! support mailbox, EduDesk reads it from Dovecot over IMAP, the agent's reply goes out by
//! SMTP into the learner's mailbox and is read back over IMAP with its threading headers; the
//! learner's reply joins the same conversation without its quoted history; auto-replies are
//! never answered; a redelivered Message-ID is stored once.
//!
//! The servers come from `scripts/mail-servers` (run by `.ci/run` and `scripts/test` as root);
//! with `EDUDESK_TEST_MAIL=1` a missing server fails the test instead of skipping it.

use futures_util::StreamExt;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor, address::Envelope};
use mail_parser::MimeHeaders;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestBackend};

type Imap = async_imap::Session<tokio::net::TcpStream>;

async fn imap(user: &str, password: &str) -> Option<Imap> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", 143)).await.ok()?;
    let mut client = async_imap::Client::new(stream);
    client.read_response().await.ok()?;
    client.login(user, password).await.ok()
}

/// Empties every folder of a mailbox.
async fn empty(session: &mut Imap) {
    for folder in ["INBOX", "Processed", "Automated", "Unreadable"] {
        if session.select(folder).await.is_ok() {
            let stored: Vec<_> = session.store("1:*", "+FLAGS (\\Deleted)").await.unwrap().collect().await;
            drop(stored);
            let expunged: Vec<_> = session.expunge().await.unwrap().collect().await;
            drop(expunged);
        }
    }
}

/// Every message of a folder, raw.
async fn messages_in(session: &mut Imap, folder: &str) -> Vec<Vec<u8>> {
    let mailbox = session.select(folder).await.unwrap();
    if mailbox.exists == 0 {
        return Vec::new();
    }
    let fetched: Vec<_> = session.fetch("1:*", "BODY.PEEK[]").await.unwrap().collect().await;
    fetched.into_iter().filter_map(|fetch| fetch.ok().and_then(|f| f.body().map(<[u8]>::to_vec))).collect()
}

async fn smtp_send(from: &str, to: &str, raw: &[u8]) {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(25).build();
    let envelope = Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()]).unwrap();
    transport.send_raw(&envelope, raw).await.unwrap();
}

use crate::helpers::eventually;

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/emails/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_goes_both_ways_through_real_mail_servers() {
    let required = std::env::var("EDUDESK_TEST_MAIL").is_ok_and(|v| v == "1");
    let (Some(mut support), Some(mut learner)) = (imap("support", "support-pass").await, imap("learner", "learner-pass").await) else {
        assert!(!required, "EDUDESK_TEST_MAIL=1 but the mail servers are not reachable (scripts/mail-servers)");
        eprintln!("skipped: no mail servers on 127.0.0.1:25/143 (run scripts/mail-servers as root)");
        return;
    };
    empty(&mut support).await;
    empty(&mut learner).await;

    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let admin = app.login("admin@edudesk.demo").await;
    let config = json!({"settings": {"imap_host": "127.0.0.1", "imap_port": 143, "smtp_host": "127.0.0.1", "smtp_port": 25,
        "address": "support@edudesk.test", "username": "support", "poll_seconds": 1}, "secrets": {"password": "support-pass"}});
    app.call(Method::PUT, "/api/v1/channels/email/support", Some(&admin), Some(config)).await.expect(200);
    let lead = app.login("lead@edudesk.demo").await;
    // The demo has email conversations of its own; only new ones count.
    let seeded: Vec<Value> = app.get("/api/v1/conversations?limit=200", &lead).await.expect(200).as_array().unwrap().iter().map(|c| c["id"].clone()).collect();
    let email_conversations = async |app: &TestApp| -> Vec<Value> {
        let all = app.get("/api/v1/conversations?limit=200", &lead).await.expect(200);
        all.as_array().unwrap().iter().filter(|c| c["channel"] == "email" && !seeded.contains(&c["id"])).cloned().collect()
    };

    // A learner's mail (GBK, quoted-printable) arrives in the support mailbox and becomes a conversation.
    smtp_send("learner@edudesk.test", "support@edudesk.test", &corpus("gbk-quoted-printable.eml")).await;
    let conversation = eventually("the email conversation", async || email_conversations(&app).await.into_iter().next()).await;
    let id = conversation["id"].as_i64().unwrap();
    assert_eq!(conversation["subject"], "视频播放不了");
    let messages = app.get(&format!("/api/v1/conversations/{id}/messages"), &lead).await.expect(200);
    assert!(messages[0]["body"].as_str().unwrap().contains("第三课的视频一直在转圈"), "{messages}");
    let contact = app.get(&format!("/api/v1/contacts/{}", conversation["contact_id"]), &lead).await.expect(200);
    assert_eq!(contact["display_name"], "李明");
    assert!(contact["identities"].as_array().unwrap().iter().any(|i| i["kind"] == "email" && i["value"] == "learner@edudesk.test"));

    // The agent answers; the reply lands in the learner's mailbox, threaded.
    app.post(&format!("/api/v1/conversations/{id}/messages"), &lead, json!({"body": "您好，请清除浏览器缓存后重试。"})).await.expect(201);
    let reply = eventually("the reply in the learner's mailbox", async || messages_in(&mut learner, "INBOX").await.into_iter().next()).await;
    let parsed = mail_parser::MessageParser::default().parse(&reply).unwrap();
    assert!(parsed.subject().unwrap().contains(&format!("[#{id}]")), "{:?}", parsed.subject());
    assert_eq!(parsed.in_reply_to().as_text(), Some("gbk-1@mail.edudesk.test"));
    // Issue 10.8: the threading headers carry their angle brackets.
    let raw = String::from_utf8_lossy(&reply);
    assert!(raw.contains("In-Reply-To: <gbk-1@mail.edudesk.test>"), "{raw}");
    assert!(raw.contains("References: <gbk-1@mail.edudesk.test>"), "{raw}");
    assert!(parsed.body_text(0).unwrap().contains("请清除浏览器缓存"));
    let our_id = parsed.message_id().unwrap().to_owned();
    let deliveries = app.get(&format!("/api/v1/conversations/{id}/deliveries"), &lead).await.expect(200);
    assert_eq!(deliveries[0]["state"], "sent", "{deliveries}");

    // The learner replies above the quoted history: same conversation, only the new text.
    // Their client sends In-Reply-To alone (no References, no [#id]): that is enough.
    let answer = format!(
        "From: learner@edudesk.test\r\nTo: support@edudesk.test\r\nSubject: Re: 视频播放不了\r\nMessage-ID: <learner-reply-2@mail.edudesk.test>\r\n\
         In-Reply-To: <{our_id}>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\
         清除了还是不行。\r\n\r\nOn Tue, 24 Nov 2026 at 10:00, Support <support@edudesk.test> wrote:\r\n> 您好，请清除浏览器缓存后重试。\r\n"
    );
    smtp_send("learner@edudesk.test", "support@edudesk.test", answer.as_bytes()).await;
    eventually("the learner's reply in the conversation", async || {
        let messages = app.get(&format!("/api/v1/conversations/{id}/messages"), &lead).await.expect(200);
        messages.as_array().unwrap().iter().any(|m| m["body"] == "清除了还是不行。").then_some(())
    })
    .await;
    assert_eq!(email_conversations(&app).await.len(), 1, "threaded by In-Reply-To, no new ticket");

    // An auto-reply and a redelivered Message-ID: moved aside / stored once, never answered.
    smtp_send("learner@edudesk.test", "support@edudesk.test", &corpus("auto-reply.eml")).await;
    smtp_send("learner@edudesk.test", "support@edudesk.test", &corpus("gbk-quoted-printable.eml")).await;
    eventually("the auto-reply moved to Automated", async || (messages_in(&mut support, "Automated").await.len() == 1).then_some(())).await;
    eventually("both processed", async || (messages_in(&mut support, "Processed").await.len() == 3).then_some(())).await;
    let messages = app.get(&format!("/api/v1/conversations/{id}/messages"), &lead).await.expect(200);
    let firsts = messages.as_array().unwrap().iter().filter(|m| m["body"].as_str().is_some_and(|b| b.contains("第三课的视频"))).count();
    assert_eq!(firsts, 1, "the same Message-ID is stored once");
    assert_eq!(email_conversations(&app).await.len(), 1);
    assert_eq!(messages_in(&mut learner, "INBOX").await.len(), 1, "nothing was sent back to the auto-reply: no mail loop");

    // Issue 10.7: files travel both ways. The learner mails a PDF (its name split inside a
    // character by RFC 2231) and a log: both are kept as files of the conversation.
    smtp_send("learner@edudesk.test", "support@edudesk.test", &corpus("rfc2231-split-filename.eml")).await;
    let (with_files, files) = eventually("the files in a new conversation", async || {
        let conversations = email_conversations(&app).await;
        let found = conversations.iter().find(|c| c["subject"] == "homework screenshot")?.clone();
        let messages = app.get(&format!("/api/v1/conversations/{}/messages", found["id"]), &lead).await.expect(200);
        let files: Vec<Value> = messages.as_array().unwrap().iter().filter(|m| m["attachment_id"].is_i64()).cloned().collect();
        (files.len() == 2).then_some((found["id"].as_i64().unwrap(), files))
    })
    .await;
    assert_eq!((files[0]["body"].as_str(), files[1]["body"].as_str()), (Some("📎 作业截图.pdf"), Some("📎 app.log")));
    let pdf = app.client.get(app.url(&format!("/api/v1/attachments/{}", files[0]["attachment_id"]))).bearer_auth(&lead).send().await.unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/octet-stream", "files are downloads, never rendered");
    let disposition = pdf.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment;") && disposition.contains("UTF-8''%E4%BD%9C%E4%B8%9A%E6%88%AA%E5%9B%BE.pdf"), "{disposition}");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));

    // The agent answers with a file of their own: it reaches the learner's mailbox attached.
    let upload = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{with_files}/attachments?filename=%E6%93%8D%E4%BD%9C%E8%AF%B4%E6%98%8E.txt")))
        .bearer_auth(&lead)
        .header("content-type", "text/plain")
        .body("第一步：刷新页面")
        .send()
        .await
        .unwrap();
    let uploaded = TestApp::answer(upload).await.expect(201);
    assert_eq!(uploaded["filename"], "操作说明.txt");
    let reply = json!({"body": "请按附件操作", "attachment_id": uploaded["id"]});
    app.post(&format!("/api/v1/conversations/{with_files}/messages"), &lead, reply).await.expect(201);
    let mailed = eventually("the reply with its file", async || {
        messages_in(&mut learner, "INBOX").await.into_iter().find(|raw| String::from_utf8_lossy(raw).contains("homework screenshot"))
    })
    .await;
    let parsed = mail_parser::MessageParser::default().parse(&mailed).unwrap();
    assert!(parsed.body_text(0).unwrap().contains("请按附件操作"));
    let attached = parsed.attachments().next().expect("the file is attached");
    assert_eq!((attached.attachment_name(), attached.contents()), (Some("操作说明.txt"), "第一步：刷新页面".as_bytes()));

    // Issue 10.8: a mail sent from one address asking for replies at another (Reply-To):
    // the agent's answer goes to the Reply-To address.
    let asked = "From: Li Ming <liming.work@edudesk.test>\r\nReply-To: learner@edudesk.test\r\nTo: support@edudesk.test\r\n\
        Subject: reply elsewhere\r\nMessage-ID: <reply-to-1@mail.edudesk.test>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n请回复到我的个人邮箱。\r\n";
    smtp_send("liming.work@edudesk.test", "support@edudesk.test", asked.as_bytes()).await;
    let elsewhere = eventually("the Reply-To mail as a conversation", async || {
        email_conversations(&app).await.into_iter().find(|c| c["subject"] == "reply elsewhere").map(|c| c["id"].as_i64().unwrap())
    })
    .await;
    app.post(&format!("/api/v1/conversations/{elsewhere}/messages"), &lead, json!({"body": "已回复到您的个人邮箱"})).await.expect(201);
    eventually("the answer at the Reply-To address", async || {
        messages_in(&mut learner, "INBOX").await.into_iter().find(|raw| String::from_utf8_lossy(raw).contains("reply elsewhere"))
    })
    .await;

    // An agent starts a new email to a learner (their address is on the contact).
    let contact = app.get(&format!("/api/v1/conversations/{with_files}"), &lead).await.expect(200)["contact_id"].clone();
    let started = json!({"channel": "email", "contact_id": contact, "subject": "课程延期通知", "message": {"body": "您好，第三课延期到周五。"}});
    let started = app.post("/api/v1/conversations", &lead, started).await.expect(201);
    let started_id = started["id"].as_i64().unwrap();
    let notice = eventually("the agent's new email", async || {
        messages_in(&mut learner, "INBOX")
            .await
            .into_iter()
            .find(|raw| mail_parser::MessageParser::default().parse(raw).and_then(|m| m.body_text(0).map(|t| t.contains("第三课延期到周五"))).unwrap_or(false))
    })
    .await;
    let notice = mail_parser::MessageParser::default().parse(&notice).unwrap();
    assert!(notice.subject().unwrap().contains("课程延期通知") && notice.subject().unwrap().contains(&format!("[#{started_id}]")), "{:?}", notice.subject());
    let (_, no_address) = app.learner("L9999").await;
    let detail = app.post("/api/v1/conversations", &lead, json!({"channel": "email", "contact_id": no_address, "message": {"body": "x"}})).await.problem(422);
    assert!(detail.contains("no email address"), "{detail}");
    let detail = app
        .post("/api/v1/conversations", &lead, json!({"channel": "email", "contact_id": contact, "channel_account": "email/nope", "message": {"body": "x"}}))
        .await
        .problem(422);
    assert!(detail.contains("channel_account"), "{detail}");

    // The learner's server returns the agent's mail (mailbox full): the delivery shows it
    // bounced with recipient and reason, and the agent gets a note in the conversation.
    let sent_id = notice.message_id().unwrap().to_owned();
    let dsn = format!(
        "From: MAILER-DAEMON@edudesk.test\r\nTo: support@edudesk.test\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@edudesk.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\n\
         Your message could not be delivered.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; edudesk.test\r\n\r\n\
         Final-Recipient: rfc822; learner@edudesk.test\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\
         --r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@edudesk.test\r\nMessage-ID: <{sent_id}>\r\n--r--\r\n"
    );
    smtp_send("mailer-daemon@edudesk.test", "support@edudesk.test", dsn.as_bytes()).await;
    let bounced = eventually("the delivery marked bounced", async || {
        let deliveries = app.get(&format!("/api/v1/conversations/{started_id}/deliveries"), &lead).await.expect(200);
        deliveries.as_array().unwrap().iter().find(|d| d["state"] == "failed").cloned()
    })
    .await;
    let reason = bounced["last_error"].as_str().unwrap();
    assert!(reason.starts_with("bounced: learner@edudesk.test") && reason.contains("5.2.2") && reason.contains("Mailbox full"), "{bounced}");
    // The agent's note is written just after the delivery is marked: wait for it too.
    eventually("the agent's note about the bounce", async || {
        let notes = app.get(&format!("/api/v1/conversations/{started_id}/messages"), &lead).await.expect(200);
        notes.as_array().unwrap().iter().any(|m| m["internal"] == true && m["body"].as_str().unwrap().contains("Mailbox full")).then_some(())
    })
    .await;
}

/// Issue 13.4: when a spike opens an incident, the owners in `incident_emails` get an email
/// from the support mailbox saying what spiked and by how much.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_hear_of_an_incident_by_email() {
    let required = std::env::var("EDUDESK_TEST_MAIL").is_ok_and(|v| v == "1");
    let Some(mut owner) = imap("owner", "owner-pass").await else {
        assert!(!required, "EDUDESK_TEST_MAIL=1 but the owner's mailbox is not reachable (scripts/mail-servers)");
        eprintln!("skipped: no owner mailbox on 127.0.0.1:143 (run scripts/mail-servers as root)");
        return;
    };
    empty(&mut owner).await;
    let app = TestApp::builder(TestBackend::Sqlite).configure(|config| config.incident_emails = vec!["owner@edudesk.test".to_owned()]).spawn().await;
    let admin = app.login("admin@edudesk.demo").await;
    // Sending only: the mailbox's IMAP side points nowhere, so this test never reads (and
    // takes) the mail the other email test puts in the shared support mailbox.
    let config = json!({"settings": {"imap_host": "127.0.0.1", "imap_port": 1, "smtp_host": "127.0.0.1", "smtp_port": 25,
        "address": "support@edudesk.test", "username": "support", "poll_seconds": 3600}, "secrets": {"password": "support-pass"}});
    app.call(Method::PUT, "/api/v1/channels/email/support", Some(&admin), Some(config)).await.expect(200);
    let (learner, _) = app.learner("L9401").await;
    for n in 0..8 {
        let body = json!({"channel": "widget", "category": "payment", "message": {"body": format!("付款失败 {n}")}});
        app.post("/api/v1/conversations", &learner, body).await.expect(201);
    }
    let lead = app.login("lead@edudesk.demo").await;
    let incident = app.post("/api/v1/incidents/check", &lead, json!({})).await.expect(200);
    assert_eq!(incident["opened"], 1);
    let mail = eventually("the owners' email", async || messages_in(&mut owner, "INBOX").await.into_iter().next()).await;
    let parsed = mail_parser::MessageParser::default().parse(&mail).unwrap();
    let subject = parsed.subject().unwrap_or_default().to_owned();
    assert!(subject.contains("payment") && subject.contains("Incident #"), "{subject}");
    let text = parsed.body_text(0).unwrap().to_string();
    assert!(text.contains("有 8 个新会话") && text.contains("8 new conversations"), "{text}");
    assert_eq!(parsed.from().and_then(|from| from.first()).and_then(|a| a.address()), Some("support@edudesk.test"));
}
