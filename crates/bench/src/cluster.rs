//! Three nodes behind nginx under faults (issue 15.3). Starts its own PostgreSQL cluster,
//! NATS server, `edudesk serve` nodes and nginx (WebSocket proxying, round robin, next
//! upstream on a refused connection), so the faults touch nothing else on the machine. Learner
//! sockets chat at a set rate through nginx while agent sockets (also through nginx) follow
//! every conversation; then, one after another with steady load between:
//!
//! 1. `kill -9` of one node: its sockets drop, clients reconnect through nginx to the others
//!    and re-send what was not acknowledged (same `client_id`);
//! 2. a NATS restart: events between nodes stop, then resume (nodes refill their sockets);
//! 3. a PostgreSQL restart: sends are refused with a status (clients retry), REST answers
//!    503, and everything recovers.
//!
//! At the end it drains, reads the database and prints the counts: messages sent, acknowledged,
//! refused by status, reconnections, and the ones that matter — acknowledged but not stored
//! (lost), stored twice (doubled), and acknowledged but never delivered to the agents.

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
    process::{Child, Command},
    sync::mpsc,
};
use tokio_tungstenite::tungstenite::Message as Frame;

use crate::http::{Connection, percentile, server_binary};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, default_value_t = 3)]
    nodes: usize,
    #[arg(long, default_value_t = 1_000)]
    learners: usize,
    #[arg(long, default_value_t = 10)]
    agents: usize,
    /// Messages per second, all learners together.
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// Seconds of steady load before each fault and after the last.
    #[arg(long, default_value_t = 10)]
    phase: u64,
    /// Seconds NATS and PostgreSQL stay down.
    #[arg(long, default_value_t = 12)]
    outage: u64,
    /// PostgreSQL's programs (initdb, pg_ctl); the newest under /usr/lib/postgresql by default.
    #[arg(long)]
    postgres_bin: Option<PathBuf>,
    #[arg(long, default_value = "/usr/sbin/nats-server")]
    nats_server: PathBuf,
    #[arg(long, default_value = "/usr/sbin/nginx")]
    nginx: PathBuf,
    #[arg(long)]
    edudesk: Option<PathBuf>,
    /// Keep the nodes', nginx's and PostgreSQL's logs (the temporary directory) after a run.
    #[arg(long)]
    keep: bool,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn wait_for_port(port: u16, what: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if Instant::now() > deadline {
            bail!("{what} did not open port {port}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

async fn run_ok(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let output = command.output().await.with_context(|| format!("running {what}"))?;
    if !output.status.success() {
        bail!("{what} failed: {}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

/// A private PostgreSQL cluster in a temporary directory (PostgreSQL refuses to run as root,
/// so as root its programs run as the `postgres` user).
struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Postgres {
    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    async fn create(bin: PathBuf, dir: PathBuf) -> anyhow::Result<Postgres> {
        let uid = Command::new("id").arg("-u").output().await?.stdout;
        let as_postgres = String::from_utf8_lossy(&uid).trim() == "0";
        std::fs::create_dir_all(&dir)?;
        if as_postgres {
            run_ok(Command::new("chown").arg("postgres").arg(&dir), "chown").await?;
        }
        let postgres = Postgres { bin, dir, port: free_port()?, as_postgres };
        run_ok(
            postgres.command("initdb").arg("-D").arg(postgres.dir.join("data")).args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]),
            "initdb",
        )
        .await?;
        postgres.start().await?;
        Ok(postgres)
    }

    async fn start(&self) -> anyhow::Result<()> {
        let options = format!("-p {} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300", self.port);
        run_ok(
            self.command("pg_ctl").arg("-D").arg(self.dir.join("data")).arg("-l").arg(self.dir.join("postgres.log")).args(["-w", "-o", &options, "start"]),
            "pg_ctl start",
        )
        .await
    }

    async fn stop(&self) -> anyhow::Result<()> {
        run_ok(self.command("pg_ctl").arg("-D").arg(self.dir.join("data")).args(["-w", "-m", "fast", "stop"]), "pg_ctl stop").await
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Rows of a query, fields split on `|`.
    async fn query(&self, sql: &str) -> anyhow::Result<Vec<Vec<String>>> {
        let output = Command::new("psql").arg(self.url()).args(["-At", "-F", "|", "-c", sql]).output().await.context("running psql")?;
        if !output.status.success() {
            bail!("psql failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).lines().map(|line| line.split('|').map(str::to_owned).collect()).collect())
    }
}

fn newest_postgres_bin() -> anyhow::Result<PathBuf> {
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .context("no /usr/lib/postgresql; pass --postgres-bin")?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    let version = versions.last().context("no PostgreSQL under /usr/lib/postgresql")?;
    Ok(PathBuf::from(format!("/usr/lib/postgresql/{version}/bin")))
}

async fn start_nats(binary: &Path, port: u16) -> anyhow::Result<Child> {
    let child = Command::new(binary)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    wait_for_port(port, "NATS").await?;
    Ok(child)
}

/// An `edudesk serve` node on a fixed port; its log goes to `node{n}.log`.
async fn start_node(binary: &Path, dir: &Path, n: usize, port: u16, database_url: &str, nats_url: &str, demo: bool) -> anyhow::Result<Child> {
    let log = std::fs::File::create(dir.join(format!("node{n}.log")))?;
    let data_dir = dir.join(format!("node{n}"));
    std::fs::create_dir_all(&data_dir)?;
    let mut command = Command::new(binary);
    command.args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--data-dir"]).arg(&data_dir).arg("--database-url").arg(database_url);
    if demo {
        command.arg("--demo");
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .env("EDUDESK_NATS_URL", nats_url)
        .env("EDUDESK_NATS_PREFIX", "cluster")
        .env("EDUDESK_SECRET_KEY", "cluster-bench-shared-secret-key-0123456789")
        .env("EDUDESK_PLATFORM_SECRET", edudesk::demo::DEMO_PLATFORM_SECRET)
        // Every simulated learner comes from this one address (through nginx, a trusted proxy).
        .env("EDUDESK_TRUSTED_PROXIES", "127.0.0.1")
        .env("EDUDESK_PUBLIC_WRITES_PER_IP", "1000000")
        .stdout(Stdio::piped())
        .stderr(log.try_clone()?)
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().context("server stdout")?).lines();
    loop {
        let line = lines.next_line().await?.with_context(|| format!("node {n} exited before listening (see node{n}.log)"))?;
        if line.starts_with("EduDesk is listening on") {
            break;
        }
    }
    // Keep reading its output into the log, so a chatty node never blocks on a full pipe.
    let mut log = tokio::fs::File::from_std(log);
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = log.write_all(format!("{line}\n").as_bytes()).await;
        }
    });
    Ok(child)
}

fn nginx_config(dir: &Path, port: u16, nodes: &[u16], as_root: bool) -> String {
    let servers: String = nodes.iter().map(|node| format!("        server 127.0.0.1:{node} max_fails=1 fail_timeout=10s;\n")).collect();
    let dir = dir.display();
    let user = if as_root { "user root;\n" } else { "" };
    format!(
        "{user}worker_processes 1;\nworker_rlimit_nofile 16384;\nerror_log {dir}/nginx-error.log warn;\npid {dir}/nginx.pid;\ndaemon off;\n\
         events {{ worker_connections 8192; }}\n\
         http {{\n    access_log off;\n    keepalive_requests 1000000;\n    client_body_temp_path {dir}/tmp;\n    proxy_temp_path {dir}/tmp;\n    fastcgi_temp_path {dir}/tmp;\n    uwsgi_temp_path {dir}/tmp;\n    scgi_temp_path {dir}/tmp;\n\
         \x20   map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}\n\
         \x20   upstream edudesk {{\n{servers}        keepalive 64;\n    }}\n\
         \x20   server {{\n        listen 127.0.0.1:{port};\n        location / {{\n            proxy_pass http://edudesk;\n            proxy_http_version 1.1;\n\
         \x20           proxy_set_header Upgrade $http_upgrade;\n            proxy_set_header Connection $connection_upgrade;\n            proxy_set_header Host $host;\n\
         \x20           proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n            proxy_read_timeout 120s;\n            proxy_connect_timeout 2s;\n\
         \x20           proxy_next_upstream error timeout;\n        }}\n    }}\n}}\n"
    )
}

/// What the load's clients saw, shared by every task.
#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    /// `client_id` → the `seq` its first ack named.
    acked: Mutex<HashMap<String, i64>>,
    /// Acks naming another `seq` than an earlier ack for the same `client_id`.
    acked_twice_differently: AtomicU64,
    /// Refusals by status (5xx are retried; 4xx are final).
    nacks: Mutex<BTreeMap<u16, u64>>,
    /// Learner and agent reconnections and how long each took (ms).
    reconnects: Mutex<Vec<(usize, u32)>>,
    /// The phase the run is in (0 steady, 1 after the kill, 2 NATS, 3 PostgreSQL, 4 drain).
    phase: AtomicU64,
    /// `client_id`s of the messages the agents received and how often (after dropping repeated `seq`s, as the
    /// protocol tells clients to).
    delivered: Mutex<HashMap<String, u32>>,
    /// Latency to the agents, per phase: (phase, µs).
    latency: Mutex<Vec<(usize, u32)>>,
    /// Messages the learners still hold unacknowledged.
    outstanding: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn connect(addr: &str, token: &str) -> anyhow::Result<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>> {
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!("ws://{addr}/api/v1/ws"))?;
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse()?);
    let (mut socket, _) = tokio::time::timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(request)).await.context("connect timed out")??;
    match tokio::time::timeout(Duration::from_secs(5), socket.next()).await.context("no welcome")? {
        Some(Ok(Frame::Text(text))) if text.contains("\"welcome\"") => Ok(socket),
        other => bail!("expected a welcome frame, got {other:?}"),
    }
}

/// Connects, retrying every 100 ms until it works; counts a reconnection when `since` is set.
async fn connect_retrying(
    addr: &str,
    token: &str,
    since: Option<Instant>,
    tally: &Tally,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>> {
    loop {
        if let Ok(socket) = connect(addr, token).await {
            if let Some(since) = since {
                let phase = tally.phase.load(Ordering::Relaxed) as usize;
                lock(&tally.reconnects).push((phase, since.elapsed().as_millis().min(u128::from(u32::MAX)) as u32));
            }
            return socket;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One learner: sends when told, keeps every message until acked, re-sends them after a
/// reconnection and retries server-side refusals (5xx) a second later.
async fn learner(addr: String, name: String, token: String, conversation: i64, mut orders: mpsc::UnboundedReceiver<u64>, tally: Arc<Tally>) {
    let mut outbox: BTreeMap<String, String> = BTreeMap::new();
    let mut retry: Vec<String> = Vec::new();
    let mut next = 0u64;
    let mut dropped_at: Option<Instant> = None;
    let mut orders_open = true;
    let frame = |client_id: &str, body: &str| {
        Frame::Text(json!({"type": "send", "conversation_id": conversation, "client_id": client_id, "body": body}).to_string().into())
    };
    loop {
        let socket = connect_retrying(&addr, &token, dropped_at, &tally).await;
        let (mut sink, mut stream) = socket.split();
        let mut alive = true;
        for (client_id, body) in &outbox {
            if sink.send(frame(client_id, body)).await.is_err() {
                alive = false;
                break;
            }
        }
        let mut retry_tick = tokio::time::interval(Duration::from_secs(1));
        while alive {
            if !orders_open && outbox.is_empty() {
                return;
            }
            tokio::select! {
                order = orders.recv(), if orders_open => match order {
                    Some(sent_us) => {
                        next += 1;
                        let client_id = format!("{name}-{next}");
                        let body = format!("{client_id} t={sent_us}");
                        tally.sent.fetch_add(1, Ordering::Relaxed);
                        tally.outstanding.fetch_add(1, Ordering::Relaxed);
                        alive = sink.send(frame(&client_id, &body)).await.is_ok();
                        outbox.insert(client_id, body);
                    }
                    None => orders_open = false,
                },
                incoming = stream.next() => {
                    let Some(Ok(Frame::Text(text))) = incoming else {
                        if matches!(incoming, Some(Ok(_))) { continue; }
                        alive = false;
                        continue;
                    };
                    let Ok(reply) = serde_json::from_str::<Value>(&text) else { continue };
                    let Some(client_id) = reply["client_id"].as_str() else { continue };
                    match reply["type"].as_str() {
                        Some("ack") => {
                            if outbox.remove(client_id).is_some() {
                                tally.outstanding.fetch_sub(1, Ordering::Relaxed);
                            }
                            let seq = reply["seq"].as_i64().unwrap_or(-1);
                            let mut acked = lock(&tally.acked);
                            match acked.get(client_id) {
                                Some(first) if *first != seq => { tally.acked_twice_differently.fetch_add(1, Ordering::Relaxed); }
                                Some(_) => {}
                                None => { acked.insert(client_id.to_owned(), seq); }
                            }
                        }
                        Some("nack") => {
                            let status = reply["status"].as_u64().unwrap_or(0) as u16;
                            *lock(&tally.nacks).entry(status).or_default() += 1;
                            if status >= 500 {
                                retry.push(client_id.to_owned());
                            } else if outbox.remove(client_id).is_some() {
                                tally.outstanding.fetch_sub(1, Ordering::Relaxed);
                            }
                        }
                        _ => {}
                    }
                }
                _ = retry_tick.tick() => {
                    for client_id in std::mem::take(&mut retry) {
                        if let Some(body) = outbox.get(&client_id)
                            && sink.send(frame(&client_id, body)).await.is_err()
                        {
                            alive = false;
                            break;
                        }
                    }
                }
            }
        }
        retry.clear();
        dropped_at = Some(Instant::now());
    }
}

/// One agent socket following a share of the conversations; after a drop it reconnects and
/// re-subscribes from the last `seq` it holds.
async fn agent(addr: String, token: String, conversations: Vec<i64>, start: Instant, tally: Arc<Tally>) {
    let mut highest: HashMap<i64, i64> = conversations.iter().map(|id| (*id, 0)).collect();
    let mut dropped_at: Option<Instant> = None;
    loop {
        let socket = connect_retrying(&addr, &token, dropped_at, &tally).await;
        let (mut sink, mut stream) = socket.split();
        let mut alive = true;
        for (conversation, after) in &highest {
            let frame = json!({"type": "subscribe", "conversation_id": conversation, "after_seq": after});
            if sink.send(Frame::Text(frame.to_string().into())).await.is_err() {
                alive = false;
                break;
            }
        }
        while alive && let Some(Ok(frame)) = stream.next().await {
            let Frame::Text(text) = frame else { continue };
            let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
            if frame["type"] != "message" {
                continue;
            }
            let (Some(conversation), Some(seq)) = (frame["conversation_id"].as_i64(), frame["seq"].as_i64()) else { continue };
            let held = highest.entry(conversation).or_default();
            if seq <= *held {
                continue;
            }
            *held = seq;
            let Some(body) = frame["message"]["body"].as_str() else { continue };
            let Some((client_id, sent_us)) = body.split_once(" t=") else { continue };
            let Ok(sent_us) = sent_us.parse::<u64>() else { continue };
            *lock(&tally.delivered).entry(client_id.to_owned()).or_default() += 1;
            let now_us = start.elapsed().as_micros() as u64;
            lock(&tally.latency).push((tally.phase.load(Ordering::Relaxed) as usize, now_us.saturating_sub(sent_us).min(u64::from(u32::MAX)) as u32));
        }
        dropped_at = Some(Instant::now());
    }
}

/// Statuses of REST calls made through nginx while the database is down.
async fn probe_rest(addr: &str, token: &str, conversation: i64) -> (u16, u16) {
    let Ok(mut connection) = Connection::open(addr).await else { return (0, 0) };
    let ready = match connection.send("GET", "/api/v1/ready", None, &Value::Null).await {
        Ok((status, _)) => status,
        Err(_) => 0,
    };
    let post = json!({"body": "probe during the outage", "client_id": format!("probe-{}", start_nanos())});
    let posted = match connection.send("POST", &format!("/api/v1/conversations/{conversation}/messages"), Some(token), &post).await {
        Ok((status, _)) => status,
        Err(_) => 0,
    };
    (ready, posted)
}

fn start_nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_nanos()).unwrap_or(0)
}

pub async fn main(args: Args) -> anyhow::Result<()> {
    let binary = server_binary(args.edudesk.as_ref())?;
    for (program, package) in [(&args.nginx, "nginx-light"), (&args.nats_server, "nats-server")] {
        if !program.is_file() {
            bail!("{} not found (Debian package {package})", program.display());
        }
    }
    let dir = std::env::temp_dir().join(format!("edudesk-cluster-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("tmp"))?;
    let bin = match &args.postgres_bin {
        Some(bin) => bin.clone(),
        None => newest_postgres_bin()?,
    };
    let postgres = Postgres::create(bin, dir.join("pg")).await?;
    let result = run(&args, &binary, &dir, &postgres).await;
    let _ = postgres.stop().await;
    if result.is_ok() && !args.keep {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("logs kept in {}", dir.display());
    }
    result
}

async fn run(args: &Args, binary: &Path, dir: &Path, postgres: &Postgres) -> anyhow::Result<()> {
    let nats_port = free_port()?;
    let mut nats = start_nats(&args.nats_server, nats_port).await?;
    let nats_url = format!("nats://127.0.0.1:{nats_port}");
    let ports: Vec<u16> = (0..args.nodes).map(|_| free_port()).collect::<Result<_, _>>()?;
    let mut nodes = Vec::new();
    for (n, port) in ports.iter().enumerate() {
        nodes.push(start_node(binary, dir, n + 1, *port, &postgres.url(), &nats_url, n == 0).await?);
    }
    let proxy_port = free_port()?;
    let as_root = postgres.as_postgres;
    std::fs::write(dir.join("nginx.conf"), nginx_config(dir, proxy_port, &ports, as_root))?;
    let _nginx = Command::new(&args.nginx)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("starting nginx")?;
    wait_for_port(proxy_port, "nginx").await?;
    let addr = format!("127.0.0.1:{proxy_port}");
    eprintln!("{} nodes on ports {ports:?} behind nginx on {proxy_port}; PostgreSQL on {}, NATS on {nats_port}", args.nodes, postgres.port);

    // Learners: a session and a conversation each, through nginx.
    let mut http = Connection::open(&addr).await?;
    let mut learners = Vec::new();
    for n in 0..args.learners {
        let learner = format!("C{n}");
        let signature = edudesk::crypto::learner_signature(edudesk::demo::DEMO_PLATFORM_SECRET, &learner);
        let (status, session) = http.send("POST", "/api/v1/widget/sessions", None, &json!({"learner_id": learner, "signature": signature})).await?;
        let token = session["token"].as_str().with_context(|| format!("no session token: {status} {session}"))?.to_owned();
        let (status, created) = http
            .send("POST", "/api/v1/conversations", Some(&token), &json!({"channel": "widget", "bot": false, "message": {"body": "hello", "client_id": "open"}}))
            .await?;
        if status != 201 {
            bail!("creating a conversation answered {status}: {created}");
        }
        learners.push((learner, token, created["id"].as_i64().context("conversation id")?));
    }
    let (_, login) = http.send("POST", "/api/v1/auth/login", None, &json!({"email": "lead@edudesk.demo", "password": "edudesk-demo"})).await?;
    let staff_token = login["token"].as_str().context("staff token")?.to_owned();

    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let mut agent_tasks = Vec::new();
    for n in 0..args.agents {
        let share: Vec<i64> = learners.iter().skip(n).step_by(args.agents).map(|(_, _, id)| *id).collect();
        agent_tasks.push(tokio::spawn(agent(addr.clone(), staff_token.clone(), share, start, tally.clone())));
    }
    let mut orders = Vec::new();
    let mut learner_tasks = Vec::new();
    for (name, token, conversation) in &learners {
        let (sender, receiver) = mpsc::unbounded_channel();
        orders.push(sender);
        learner_tasks.push(tokio::spawn(learner(addr.clone(), name.clone(), token.clone(), *conversation, receiver, tally.clone())));
    }
    // Let every socket connect before the load starts.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The load runs on its own task; the faults happen on this one.
    let rate = args.rate;
    let stop = Arc::new(AtomicBool::new(false));
    let stop_load = stop.clone();
    let load = tokio::spawn(async move {
        let begun = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut sent = 0u64;
        loop {
            tick.tick().await;
            let due = (begun.elapsed().as_micros() as u64 * rate / 1_000_000).saturating_sub(sent);
            for _ in 0..due {
                let now_us = start.elapsed().as_micros() as u64;
                if orders[(sent % orders.len() as u64) as usize].send(now_us).is_err() {
                    return;
                }
                sent += 1;
            }
            if stop_load.load(Ordering::Relaxed) {
                return;
            }
        }
    });
    let phase_length = Duration::from_secs(args.phase);
    let outage = Duration::from_secs(args.outage);
    let mut timeline = Vec::new();
    let mark = |what: &str, timeline: &mut Vec<String>| {
        let line = format!("{:6.1}s  {what}", start.elapsed().as_secs_f64());
        eprintln!("{line}");
        timeline.push(line);
    };
    mark("load starts (phase 0: steady)", &mut timeline);
    tokio::time::sleep(phase_length).await;

    tally.phase.store(1, Ordering::Relaxed);
    let victim = args.nodes.min(2) - 1;
    nodes[victim].start_kill()?;
    nodes[victim].wait().await?;
    mark(&format!("phase 1: node {} killed with SIGKILL", victim + 1), &mut timeline);
    tokio::time::sleep(phase_length).await;

    tally.phase.store(2, Ordering::Relaxed);
    nats.start_kill()?;
    nats.wait().await?;
    mark("phase 2: NATS stopped", &mut timeline);
    tokio::time::sleep(outage).await;
    nats = start_nats(&args.nats_server, nats_port).await?;
    mark("NATS started again", &mut timeline);
    tokio::time::sleep(phase_length).await;

    tally.phase.store(3, Ordering::Relaxed);
    postgres.stop().await?;
    mark("phase 3: PostgreSQL stopped", &mut timeline);
    let probe_conversation = learners[0].2;
    let probe = {
        let (addr, token) = (addr.clone(), staff_token.clone());
        tokio::spawn(async move {
            let asked = Instant::now();
            let (ready, post) = probe_rest(&addr, &token, probe_conversation).await;
            (ready, post, asked.elapsed())
        })
    };
    tokio::time::sleep(outage).await;
    postgres.start().await?;
    mark("PostgreSQL started again", &mut timeline);
    let (ready_down, post_down, took) = probe.await?;
    mark(
        &format!(
            "REST asked at the start of the outage: GET /ready → {ready_down}, POST a message → {post_down} (both answered in {:.1} s)",
            took.as_secs_f64()
        ),
        &mut timeline,
    );
    let (ready_up, post_up) = probe_rest(&addr, &staff_token, probe_conversation).await;
    mark(&format!("REST after the restart: GET /ready → {ready_up}, POST a message → {post_up}"), &mut timeline);
    tokio::time::sleep(phase_length).await;

    tally.phase.store(4, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    load.await?;
    mark("load stops; draining", &mut timeline);
    let drain_until = Instant::now() + Duration::from_secs(60);
    loop {
        let outstanding = tally.outstanding.load(Ordering::Relaxed);
        let undelivered = {
            let delivered = lock(&tally.delivered);
            lock(&tally.acked).keys().filter(|client_id| !delivered.contains_key(*client_id)).count()
        };
        if (outstanding == 0 && undelivered == 0) || Instant::now() > drain_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    mark("drained", &mut timeline);
    for task in learner_tasks.iter().chain(agent_tasks.iter()) {
        task.abort();
    }

    // What the database holds.
    let stored_rows =
        postgres.query("SELECT client_id, count(*), min(seq) FROM messages WHERE author_kind = 'contact' AND client_id LIKE 'C%-%' GROUP BY client_id").await?;
    let mut stored: HashMap<String, (u64, i64)> = HashMap::new();
    for row in stored_rows {
        if let [client_id, count, seq] = row.as_slice() {
            stored.insert(client_id.clone(), (count.parse().unwrap_or(0), seq.parse().unwrap_or(-1)));
        }
    }
    let acked = lock(&tally.acked).clone();
    let delivered_ids = lock(&tally.delivered).clone();
    let lost = acked.keys().filter(|client_id| !stored.contains_key(*client_id)).count();
    let doubled = stored.values().filter(|(count, _)| *count > 1).count();
    let seq_mismatch = acked.iter().filter(|(client_id, seq)| stored.get(*client_id).is_some_and(|(_, stored_seq)| stored_seq != *seq)).count();
    let never_delivered = acked.keys().filter(|client_id| !delivered_ids.contains_key(*client_id)).count();
    let delivered_twice = delivered_ids.values().filter(|times| **times > 1).count();
    let stored_unacked = stored.keys().filter(|client_id| !acked.contains_key(*client_id)).count();
    let sent = tally.sent.load(Ordering::Relaxed);
    let nacks = lock(&tally.nacks).clone();
    let reconnects = lock(&tally.reconnects).clone();

    println!();
    println!("timeline:");
    for line in &timeline {
        println!("  {line}");
    }
    println!("latency learner send → agent receipt, and socket reconnections, by phase:");
    let latency = lock(&tally.latency).clone();
    let names = ["steady", "after kill -9 of a node", "NATS restart", "PostgreSQL restart", "drain"];
    for (n, name) in names.iter().enumerate() {
        let mut samples: Vec<u32> = latency.iter().filter(|(phase, _)| *phase == n).map(|(_, us)| *us).collect();
        samples.sort_unstable();
        let mut again: Vec<u32> = reconnects.iter().filter(|(phase, _)| *phase == n).map(|(_, ms)| *ms * 1000).collect();
        again.sort_unstable();
        println!(
            "  {name:<24} {:>7} delivered  p50 {:>8.2} ms  p99 {:>9.2} ms  max {:>9.2} ms   {:>5} reconnections (max {:.0} ms)",
            samples.len(),
            percentile(&samples, 0.5),
            percentile(&samples, 0.99),
            percentile(&samples, 1.0),
            again.len(),
            percentile(&again, 1.0)
        );
    }
    println!("refusals (nack) by status: {nacks:?} — 5xx were retried by the clients");
    println!(
        "nodes={} learners={} agents={} rate={}/s sent={sent} acked={} still_unacked={} lost={lost} doubled={doubled} ack_seq_mismatch={seq_mismatch} \
         acked_twice_differently={} stored_unacked={stored_unacked} never_delivered={never_delivered} delivered_twice={delivered_twice}",
        args.nodes,
        args.learners,
        args.agents,
        args.rate,
        acked.len(),
        tally.outstanding.load(Ordering::Relaxed),
        tally.acked_twice_differently.load(Ordering::Relaxed),
    );
    drop(nats);
    if lost > 0 || doubled > 0 || seq_mismatch > 0 || never_delivered > 0 {
        bail!("acknowledged messages were lost, doubled or not delivered");
    }
    Ok(())
}
