//! The `edudesk` binary itself: `migrate`, `user add`, `serve --demo`, and durability of
//! acknowledged messages when the process is killed.

use std::{process::Stdio, time::Duration};

use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::{
    backend_tests,
    helpers::{TestBackend, TestDatabase},
};

backend_tests!(
    migrate_and_user_add_make_a_working_account,
    serve_demo_seeds_once_and_prints_logins,
    acknowledged_messages_survive_a_kill,
    backup_and_restore_round_trip
);

pub fn edudesk(database: &TestDatabase) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_edudesk"));
    command.arg("--data-dir").arg(&database.data_dir).arg("--database-url").arg(&database.url).env("RUST_LOG", "warn").kill_on_drop(true);
    command
}

/// A running `edudesk serve`, its base URL and what it printed before listening.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub printed: Vec<String>,
}

pub async fn serve(database: &TestDatabase, demo: bool) -> Server {
    serve_with(edudesk(database), demo).await
}

/// Starts `edudesk serve` from a prepared command (extra flags or environment).
pub async fn serve_with(command: Command, demo: bool) -> Server {
    serve_on(command, demo, "127.0.0.1:0").await
}

/// Starts `edudesk serve` on a given address.
pub async fn serve_on(mut command: Command, demo: bool, bind: &str) -> Server {
    command.args(["serve", "--bind", bind]).stdout(Stdio::piped()).stderr(Stdio::inherit());
    if demo {
        command.arg("--demo");
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    // Wait for the line the server prints once it listens; no sleeping.
    let base = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(base) = line.strip_prefix("EduDesk is listening on ") {
                return base.to_owned();
            }
            printed.push(line);
        }
        panic!("the server exited before listening; it printed {printed:?}");
    })
    .await
    .expect("the server starts within a minute");
    Server { child, base, printed }
}

/// POSTs JSON (with an optional bearer token) and returns the parsed answer.
pub async fn post_json(client: &reqwest::Client, url: String, token: Option<&str>, body: serde_json::Value) -> serde_json::Value {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

async fn login(client: &reqwest::Client, base: &str, email: &str, password: &str) -> reqwest::StatusCode {
    client.post(format!("{base}/api/v1/auth/login")).json(&json!({"email": email, "password": password})).send().await.unwrap().status()
}

async fn migrate_and_user_add_make_a_working_account(backend: TestBackend) {
    let database = TestDatabase::create(&backend).await;
    let migrate = edudesk(&database).arg("migrate").output().await.unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    if matches!(backend, TestBackend::Sqlite) {
        assert!(database.data_dir.join("edudesk.db").is_file());
    }
    let add =
        ["user", "add", "--email", "zhao@school.example", "--password", "long-password", "--role", "supervisor", "--tier", "2", "--skills", "refund,Playback"];
    let output = edudesk(&database).args(add).output().await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("added zhao@school.example (supervisor, tier 2)"));

    let again = edudesk(&database).args(add).output().await.unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"), "{}", String::from_utf8_lossy(&again.stderr));
    let bad_role = edudesk(&database).args(["user", "add", "--email", "a@b.co", "--password", "long-password", "--role", "root"]).output().await.unwrap();
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("not agent, supervisor or admin"));

    let server = serve(&database, false).await;
    let client = reqwest::Client::new();
    assert_eq!(login(&client, &server.base, "zhao@school.example", "long-password").await, 200);
    assert_eq!(login(&client, &server.base, "admin@edudesk.demo", "edudesk-demo").await, 401, "no demo without --demo");
}

async fn serve_demo_seeds_once_and_prints_logins(backend: TestBackend) {
    let database = TestDatabase::create(&backend).await;
    let mut server = serve(&database, true).await;
    let printed = server.printed.join("\n");
    for login in ["admin@edudesk.demo", "lead@edudesk.demo", "t1@edudesk.demo", "t2@edudesk.demo", "t3@edudesk.demo", "edudesk-demo", "L1001", "L1002"] {
        assert!(printed.contains(login), "the demo prints {login}: {printed}");
    }
    let client = reqwest::Client::new();
    assert_eq!(login(&client, &server.base, "t3@edudesk.demo", "edudesk-demo").await, 200);
    let signature = edudesk::crypto::learner_signature("demo-platform-secret", "L1001");
    let session =
        client.post(format!("{}/api/v1/widget/sessions", server.base)).json(&json!({"learner_id": "L1001", "signature": signature})).send().await.unwrap();
    assert_eq!(session.status(), 200, "the demo signs learners with demo-platform-secret");
    server.child.kill().await.unwrap();

    let server = serve(&database, true).await;
    assert!(server.printed.join("\n").contains("not seeded again"), "{:?}", server.printed);
    let token = client
        .post(format!("{}/api/v1/auth/login", server.base))
        .json(&json!({"email": "lead@edudesk.demo", "password": "edudesk-demo"}))
        .send()
        .await
        .unwrap();
    let token = token.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    let users = client.get(format!("{}/api/v1/users", server.base)).bearer_auth(token).send().await.unwrap().json::<serde_json::Value>().await.unwrap();
    assert_eq!(users.as_array().unwrap().len(), 5, "restarting with --demo does not duplicate the demo");
}

async fn acknowledged_messages_survive_a_kill(backend: TestBackend) {
    let database = TestDatabase::create(&backend).await;
    let mut server = serve(&database, true).await;
    let client = reqwest::Client::new();
    let signature = edudesk::crypto::learner_signature("demo-platform-secret", "L1002");
    let session = post_json(&client, format!("{}/api/v1/widget/sessions", server.base), None, json!({"learner_id": "L1002", "signature": signature})).await;
    let token = session["token"].as_str().unwrap().to_owned();
    let start = json!({"channel": "widget", "message": {"body": "start", "client_id": "start"}});
    let created = post_json(&client, format!("{}/api/v1/conversations", server.base), Some(&token), start).await;
    let url = format!("{}/api/v1/conversations/{}/messages", server.base, created["id"]);

    // Eight senders keep posting; the process is killed (SIGKILL) while they are at it.
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut senders = Vec::new();
    for sender in 0..8 {
        let (client, url, token, acked_tx) = (client.clone(), url.clone(), token.clone(), acked_tx.clone());
        senders.push(tokio::spawn(async move {
            for n in 0.. {
                let client_id = format!("s{sender}-{n}");
                let sent = client.post(&url).bearer_auth(&token).json(&json!({"body": client_id, "client_id": client_id})).send().await;
                match sent {
                    Ok(response) if response.status() == 201 => {
                        let message: serde_json::Value = match response.json().await {
                            Ok(message) => message,
                            Err(_) => return,
                        };
                        let _ = acked_tx.send((client_id, message["seq"].as_i64().unwrap()));
                    }
                    _ => return,
                }
            }
        }));
    }
    drop(acked_tx);
    let mut acked = Vec::new();
    while acked.len() < 300 {
        acked.push(acked_rx.recv().await.unwrap());
    }
    server.child.start_kill().unwrap();
    server.child.wait().await.unwrap();
    for sender in senders {
        sender.await.unwrap();
    }
    while let Some(late) = acked_rx.recv().await {
        acked.push(late);
    }

    let server = serve(&database, false).await;
    let lead = post_json(&client, format!("{}/api/v1/auth/login", server.base), None, json!({"email": "lead@edudesk.demo", "password": "edudesk-demo"})).await;
    let url = format!("{}/api/v1/conversations/{}/messages?limit=1000", server.base, created["id"]);
    let stored: serde_json::Value = client.get(&url).bearer_auth(lead["token"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
    let stored: std::collections::HashMap<String, i64> =
        stored.as_array().unwrap().iter().map(|m| (m["client_id"].as_str().unwrap().to_owned(), m["seq"].as_i64().unwrap())).collect();
    for (client_id, seq) in &acked {
        assert_eq!(stored.get(client_id), Some(seq), "acknowledged message {client_id} survived the kill with its seq");
    }
    let mut seqs: Vec<i64> = stored.values().copied().collect();
    seqs.sort();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "no gaps after recovery");
}

/// Issue 15.5: `edudesk backup` while the server runs, `restore` into the stopped server's
/// data directory; what was acknowledged before the backup is back, what came after is not.
/// PostgreSQL: both commands point to pg_dump / pg_restore.
async fn backup_and_restore_round_trip(backend: TestBackend) {
    let database = TestDatabase::create(&backend).await;
    let backup = database.data_dir.join("backup.db");
    if !matches!(backend, TestBackend::Sqlite) {
        edudesk(&database).arg("migrate").output().await.unwrap();
        for command in [vec!["backup", backup.to_str().unwrap()], vec!["restore", backup.to_str().unwrap()]] {
            let output = edudesk(&database).args(&command).output().await.unwrap();
            assert!(!output.status.success());
            assert!(String::from_utf8_lossy(&output.stderr).contains("pg_dump"), "{}", String::from_utf8_lossy(&output.stderr));
        }
        return;
    }
    let mut server = serve(&database, true).await;
    let client = reqwest::Client::new();
    let signature = edudesk::crypto::learner_signature("demo-platform-secret", "L1002");
    let session = post_json(&client, format!("{}/api/v1/widget/sessions", server.base), None, json!({"learner_id": "L1002", "signature": signature})).await;
    let token = session["token"].as_str().unwrap().to_owned();
    let before = json!({"channel": "widget", "bot": false, "message": {"body": "备份之前的消息", "client_id": "before-backup"}});
    let conversation = post_json(&client, format!("{}/api/v1/conversations", server.base), Some(&token), before).await["id"].as_i64().unwrap();

    // Online: the server keeps running and answering.
    let output = edudesk(&database).args(["backup", backup.to_str().unwrap()]).output().await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout);
    // The schema of this program: its newest embedded migration.
    let newest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.split('_').next()?.parse::<i64>().ok())
        .max()
        .unwrap();
    assert!(printed.contains("backed up to") && printed.contains(" conversations") && printed.contains(&format!("schema {newest}")), "{printed}");
    let again = edudesk(&database).args(["backup", backup.to_str().unwrap()]).output().await.unwrap();
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("already exists"), "a backup never overwrites");
    let after = json!({"body": "备份之后的消息", "client_id": "after-backup"});
    let url = format!("{}/api/v1/conversations/{conversation}/messages", server.base);
    assert_eq!(client.post(&url).bearer_auth(&token).json(&after).send().await.unwrap().status(), 201);
    server.child.kill().await.unwrap();

    // Restore refuses to replace without --force, and refuses what is not a backup.
    let refused = edudesk(&database).args(["restore", backup.to_str().unwrap()]).output().await.unwrap();
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("--force"));
    let junk = database.data_dir.join("junk.db");
    std::fs::write(&junk, b"not a database at all, just some bytes to be refused").unwrap();
    let bad = edudesk(&database).args(["restore", junk.to_str().unwrap(), "--force"]).output().await.unwrap();
    assert!(!bad.status.success(), "{}", String::from_utf8_lossy(&bad.stdout));
    let restored = edudesk(&database).args(["restore", backup.to_str().unwrap(), "--force"]).output().await.unwrap();
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));

    let server = serve(&database, true).await;
    let session = post_json(&client, format!("{}/api/v1/widget/sessions", server.base), None, json!({"learner_id": "L1002", "signature": signature})).await;
    let token = session["token"].as_str().unwrap().to_owned();
    let url = format!("{}/api/v1/conversations/{conversation}/messages", server.base);
    let messages: serde_json::Value = client.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let bodies: Vec<&str> = messages.as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert!(bodies.contains(&"备份之前的消息") && !bodies.contains(&"备份之后的消息"), "{bodies:?}");
    let ready = client.get(format!("{}/api/v1/ready", server.base)).send().await.unwrap();
    assert_eq!(ready.status(), 200, "the restored database is migrated and ready");
}
