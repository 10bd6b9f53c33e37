//! HTTP benchmarks (see BENCHMARKS.md), one scenario per run:
//! - `messages`: learners `POST /api/v1/conversations/{id}/messages`;
//! - `replies`: an agent answers those conversations, same endpoint;
//! - `creates`: learners open new conversations, `POST /api/v1/conversations`.
//!
//! Starts a real `edudesk serve` process (the release binary next to this one) on a fresh
//! SQLite file or PostgreSQL database, opens one conversation per client, then has N
//! concurrent clients send over keep-alive HTTP/1.1 connections for a fixed time. Reports
//! throughput and latency percentiles, then checks that what was acknowledged is stored.

use std::{
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::{Request, body::Bytes, client::conn::http1};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpStream,
    process::Command,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `sqlite` or `postgres`.
    #[arg(long, default_value = "sqlite")]
    backend: String,
    /// Admin URL of the PostgreSQL server; a fresh database is created there and dropped.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Concurrent clients, each on its own connection and conversation.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds of measured load.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds of unmeasured warm-up.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// `messages` (learners post), `replies` (an agent posts) or `creates` (new conversations).
    #[arg(long, default_value = "messages")]
    scenario: String,
    /// Run the server with the bot answering learners (as `--demo` does by default).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    bot: bool,
    /// The edudesk binary [default: next to this one].
    #[arg(long)]
    edudesk: Option<PathBuf>,
}

/// One keep-alive HTTP/1.1 connection.
pub(crate) struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    pub(crate) async fn open(addr: &str) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Connection { sender, host: addr.to_owned() })
    }

    pub(crate) async fn send(&mut self, method: &str, path: &str, token: Option<&str>, body: &Value) -> anyhow::Result<(u16, Value)> {
        let mut request = Request::builder().method(method).uri(path).header("host", &self.host).header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(Full::new(Bytes::from(serde_json::to_vec(body)?)))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes)? };
        Ok((status, value))
    }
}

pub(crate) fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[index]) / 1000.0
}

/// The `edudesk` binary to benchmark: the one given, or the release build next to this one.
pub(crate) fn server_binary(given: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    let binary = match given {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("edudesk"),
    };
    if !binary.is_file() {
        bail!("{} not found; build it first with `cargo build --release --workspace`", binary.display());
    }
    Ok(binary)
}

pub async fn main(args: Args) -> anyhow::Result<()> {
    let binary = server_binary(args.edudesk.as_ref())?;
    let data_dir = std::env::temp_dir().join(format!("edudesk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir)?;
    let (database_url, postgres_db) = match args.backend.as_str() {
        "sqlite" => (format!("sqlite://{}/edudesk.db", data_dir.display()), None),
        "postgres" => {
            let name = format!("edudesk_bench_{}", std::process::id());
            psql(&args.postgres_url, &format!("CREATE DATABASE {name}")).await?;
            let (base, _) = args.postgres_url.rsplit_once('/').context("a PostgreSQL URL ending in /database")?;
            (format!("{base}/{name}"), Some(name))
        }
        other => bail!("unknown backend {other}; use sqlite or postgres"),
    };

    let result = run(&args, &binary, &data_dir, &database_url).await;
    if let Some(name) = postgres_db {
        psql(&args.postgres_url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    result
}

pub(crate) async fn psql(url: &str, sql: &str) -> anyhow::Result<()> {
    let status = Command::new("psql").arg(url).arg("-qc").arg(sql).status().await.context("running psql")?;
    if !status.success() {
        bail!("psql failed: {sql}");
    }
    Ok(())
}

async fn run(args: &Args, binary: &PathBuf, data_dir: &std::path::Path, database_url: &str) -> anyhow::Result<()> {
    let mut server = Command::new(binary)
        .args(["serve", "--demo", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .arg("--database-url")
        .arg(database_url)
        .env("RUST_LOG", "warn")
        .env("EDUDESK_BOT_ENABLED", args.bot.to_string())
        // Every simulated learner comes from this one address: the per-address limit on new
        // widget sessions (60 a minute) would otherwise stop the set-up.
        .env("EDUDESK_PUBLIC_WRITES_PER_IP", "1000000")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(server.stdout.take().context("server stdout")?).lines();
    let addr = loop {
        let line = lines.next_line().await?.context("the server exited before listening")?;
        if let Some(base) = line.strip_prefix("EduDesk is listening on http://") {
            break base.to_owned();
        }
    };

    if !matches!(args.scenario.as_str(), "messages" | "replies" | "creates") {
        bail!("unknown scenario {}; use messages, replies or creates", args.scenario);
    }
    // Replies come from a supervisor, who may answer every conversation.
    let agent_token = if args.scenario == "replies" {
        let mut connection = Connection::open(&addr).await?;
        let (_, login) =
            connection.send("POST", "/api/v1/auth/login", None, &json!({"email": "lead@edudesk.demo", "password": edudesk::demo::DEMO_PASSWORD})).await?;
        Some(login["token"].as_str().context("a staff token")?.to_owned())
    } else {
        None
    };
    // One learner, conversation and connection per client.
    let mut clients = Vec::new();
    for n in 0..args.clients {
        let mut connection = Connection::open(&addr).await?;
        let learner = format!("BENCH{n}");
        let signature = edudesk::crypto::learner_signature(edudesk::demo::DEMO_PLATFORM_SECRET, &learner);
        let (_, session) = connection.send("POST", "/api/v1/widget/sessions", None, &json!({"learner_id": learner, "signature": signature})).await?;
        let token = session["token"].as_str().context("a session token")?.to_owned();
        let (status, created) = connection
            .send("POST", "/api/v1/conversations", Some(&token), &json!({"channel": "widget", "message": {"body": "bench", "client_id": "open"}}))
            .await?;
        if status != 201 {
            bail!("creating a conversation answered {status}: {created}");
        }
        let path = format!("/api/v1/conversations/{}/messages", created["id"]);
        let token = agent_token.clone().unwrap_or(token);
        clients.push((connection, token, path));
    }

    let start = Instant::now();
    let warmup_until = start + Duration::from_secs(args.warmup);
    let stop_at = warmup_until + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for (n, (mut connection, token, path)) in clients.into_iter().enumerate() {
        let creates = args.scenario == "creates";
        tasks.push(tokio::spawn(async move {
            let mut latencies_us: Vec<u32> = Vec::new();
            let mut acknowledged = 0u64;
            let mut errors = 0u64;
            for i in 0u64.. {
                let now = Instant::now();
                if now >= stop_at {
                    break;
                }
                let text = format!("你好，我的课程视频打不开了 #{i}");
                let (target, body) = if creates {
                    ("/api/v1/conversations", json!({"channel": "widget", "message": {"body": text, "client_id": format!("b{n}-{i}")}}))
                } else {
                    (path.as_str(), json!({"body": text, "client_id": format!("b{n}-{i}")}))
                };
                let sent = Instant::now();
                match connection.send("POST", target, Some(&token), &body).await {
                    Ok((201, _)) => {
                        acknowledged += 1;
                        if sent >= warmup_until {
                            latencies_us.push(sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                        }
                    }
                    _ => errors += 1,
                }
            }
            (latencies_us, acknowledged, errors, connection, token, path)
        }));
    }
    let mut latencies = Vec::new();
    let (mut acknowledged, mut errors) = (0, 0);
    let mut check = None;
    for task in tasks {
        let (mut l, a, e, connection, token, path) = task.await?;
        latencies.append(&mut l);
        acknowledged += a;
        errors += e;
        check.get_or_insert((connection, token, path, a));
    }
    latencies.sort_unstable();
    let measured = latencies.len() as f64 / args.seconds as f64;
    println!(
        "scenario={} bot={} backend={} clients={} seconds={} requests={} throughput={:.0}/s p50={:.2}ms p90={:.2}ms p99={:.2}ms max={:.2}ms errors={}",
        args.scenario,
        args.bot,
        args.backend,
        args.clients,
        args.seconds,
        latencies.len(),
        measured,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        errors
    );

    // Every acknowledged message of the first client is stored, in order (with the bot on,
    // its answers are there too: counted are the client's own).
    if let Some((mut connection, token, path, count)) = check.filter(|_| args.scenario != "creates") {
        let mut stored = 0u64;
        let mut after = 0i64;
        loop {
            let (status, page) = connection.send("GET", &format!("{path}?after_seq={after}&limit=1000"), Some(&token), &Value::Null).await?;
            let page = page.as_array().cloned().unwrap_or_default();
            if status != 200 || page.is_empty() {
                break;
            }
            after = page.last().and_then(|m| m["seq"].as_i64()).unwrap_or(after);
            stored += page.iter().filter(|m| m["client_id"].as_str().is_some_and(|id| id.starts_with("b0-"))).count() as u64;
        }
        if stored != count {
            bail!("client 0 had {count} messages acknowledged but {stored} are stored");
        }
        println!("verified: client 0's {count} acknowledged messages are all stored; {acknowledged} acknowledged in total");
    }
    server.start_kill()?;
    Ok(())
}
