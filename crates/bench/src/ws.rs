//! WebSocket benchmark: N learner sockets and M agent sockets on loopback. Learners send
//! at a set total rate; latency is measured from the learner's send to the agent's
//! receipt of the committed message. Also reports server memory per idle connection.
//! With `--nodes 2` it runs two `edudesk serve` processes on PostgreSQL + NATS, learners on
//! one node and agents on the other. With `--closed-loop` every learner keeps one message in
//! flight instead (the next is sent when the last is acknowledged): the rate is then what the
//! server can take, its ceiling.

use std::{
    path::PathBuf,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt, stream::SplitSink};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpStream,
    process::{Child, Command},
    sync::Mutex,
};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message as Frame};

use crate::http::{Connection, percentile, psql, server_binary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `sqlite` or `postgres` (two or more nodes need postgres).
    #[arg(long, default_value = "sqlite")]
    backend: String,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    nats_url: String,
    /// `edudesk serve` processes; learners connect to the first, agents to the last.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    #[arg(long, default_value_t = 10_000)]
    learners: usize,
    #[arg(long, default_value_t = 20)]
    agents: usize,
    /// Messages per second, all learners together.
    #[arg(long, default_value_t = 5_000)]
    rate: u64,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    #[arg(long)]
    edudesk: Option<PathBuf>,
    /// Conversations start with the bot answering (as a widget opening does by default);
    /// off, learners chat with agents only, which is what this measures.
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    bot: bool,
    /// One message in flight per learner, sent as soon as the previous one is acknowledged
    /// (`--rate` is ignored): measures the most messages per second the server takes.
    #[arg(long)]
    closed_loop: bool,
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Sink = SplitSink<Socket, Frame>;

struct Node {
    child: Child,
    addr: String,
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find(|line| line.starts_with("VmRSS:")).and_then(|line| line.split_whitespace().nth(1)).and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

async fn start_node(binary: &PathBuf, data_dir: &std::path::Path, database_url: &str, nats: Option<(&str, &str)>, demo: bool) -> anyhow::Result<Node> {
    let mut command = Command::new(binary);
    command.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"]).arg(data_dir).arg("--database-url").arg(database_url);
    if demo {
        command.arg("--demo");
    }
    if let Some((url, prefix)) = nats {
        command.env("EDUDESK_NATS_URL", url).env("EDUDESK_NATS_PREFIX", prefix);
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .env("EDUDESK_PLATFORM_SECRET", edudesk::demo::DEMO_PLATFORM_SECRET)
        // Every simulated learner signs in from this one address.
        .env("EDUDESK_PUBLIC_WRITES_PER_IP", "1000000")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().context("server stdout")?).lines();
    let addr = loop {
        let line = lines.next_line().await?.context("the server exited before listening")?;
        if let Some(addr) = line.strip_prefix("EduDesk is listening on http://") {
            break addr.to_owned();
        }
    };
    Ok(Node { child, addr })
}

/// A learner's `send` frame whose body carries the time since `start` it was sent at, in µs.
fn send_frame(conversation_id: i64, client_id: String, start: Instant) -> Frame {
    let body = format!("t={}", start.elapsed().as_micros());
    Frame::Text(json!({"type": "send", "conversation_id": conversation_id, "client_id": client_id, "body": body}).to_string().into())
}

async fn connect(addr: &str, token: &str) -> anyhow::Result<Socket> {
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!("ws://{addr}/api/v1/ws"))?;
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse()?);
    // Without TCP_NODELAY (browsers set it on WebSockets), a frame sent right after the
    // automatic pong to a server ping waited for the server's delayed ACK: one message in
    // every ping came in 20-45 ms late.
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, None, true).await?;
    // The welcome frame says the server registered the socket.
    match socket.next().await {
        Some(Ok(Frame::Text(text))) if text.contains("\"welcome\"") => Ok(socket),
        other => bail!("expected a welcome frame, got {other:?}"),
    }
}

pub async fn main(args: Args) -> anyhow::Result<()> {
    let binary = server_binary(args.edudesk.as_ref())?;
    if args.nodes > 1 && args.backend != "postgres" {
        bail!("several nodes need --backend postgres");
    }
    let data_dir = std::env::temp_dir().join(format!("edudesk-wsbench-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir)?;
    let database = format!("edudesk_wsbench_{}", std::process::id());
    let database_url = match args.backend.as_str() {
        "sqlite" => format!("sqlite://{}/edudesk.db", data_dir.display()),
        "postgres" => {
            psql(&args.postgres_url, &format!("CREATE DATABASE {database}")).await?;
            let (base, _) = args.postgres_url.rsplit_once('/').context("a PostgreSQL URL ending in /database")?;
            format!("{base}/{database}")
        }
        other => bail!("unknown backend {other}"),
    };
    let result = run(&args, &binary, &data_dir, &database_url).await;
    if args.backend == "postgres" {
        psql(&args.postgres_url, &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await?;
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    result
}

async fn run(args: &Args, binary: &PathBuf, data_dir: &std::path::Path, database_url: &str) -> anyhow::Result<()> {
    let prefix = format!("wsbench{}", std::process::id());
    let nats = (args.nodes > 1).then_some((args.nats_url.as_str(), prefix.as_str()));
    let mut nodes = vec![start_node(binary, data_dir, database_url, nats, true).await?];
    for _ in 1..args.nodes {
        nodes.push(start_node(binary, data_dir, database_url, nats, false).await?);
    }
    let learner_node = nodes[0].addr.clone();
    let agent_node = nodes[nodes.len() - 1].addr.clone();

    // Sessions and one conversation per learner, over a few keep-alive connections.
    let setup = Instant::now();
    let per_task = args.learners.div_ceil(16);
    let mut tasks = Vec::new();
    for task in 0..16 {
        let addr = learner_node.clone();
        let bot = args.bot;
        let range = (task * per_task)..((task + 1) * per_task).min(args.learners);
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(&addr).await?;
            let mut made = Vec::new();
            for n in range {
                let learner = format!("WS{n}");
                let signature = edudesk::crypto::learner_signature(edudesk::demo::DEMO_PLATFORM_SECRET, &learner);
                let (_, session) = connection.send("POST", "/api/v1/widget/sessions", None, &json!({"learner_id": learner, "signature": signature})).await?;
                let token = session["token"].as_str().context("session token")?.to_owned();
                let open = json!({"channel": "widget", "bot": bot, "message": {"body": "hello", "client_id": "open"}});
                let (status, created) = connection.send("POST", "/api/v1/conversations", Some(&token), &open).await?;
                if status != 201 {
                    bail!("creating a conversation answered {status}: {created}");
                }
                made.push((token, created["id"].as_i64().context("conversation id")?));
            }
            anyhow::Ok(made)
        }));
    }
    let mut learners = Vec::new();
    for task in tasks {
        learners.extend(task.await??);
    }
    eprintln!("set up {} learners with conversations in {:.1}s", learners.len(), setup.elapsed().as_secs_f64());

    // Agent sockets (supervisor sessions see every conversation), each following a share.
    let mut http = Connection::open(&agent_node).await?;
    let mut agents = Vec::new();
    for agent in 0..args.agents {
        let (_, login) = http.send("POST", "/api/v1/auth/login", None, &json!({"email": "lead@edudesk.demo", "password": "edudesk-demo"})).await?;
        let mut socket = connect(&agent_node, login["token"].as_str().context("agent token")?).await?;
        let mut expected = 0;
        for (_, conversation) in learners.iter().skip(agent).step_by(args.agents) {
            socket.send(Frame::Text(json!({"type": "subscribe", "conversation_id": conversation}).to_string().into())).await?;
            expected += 1;
        }
        while expected > 0 {
            match socket.next().await {
                Some(Ok(Frame::Text(text))) if text.contains("\"subscribed\"") => expected -= 1,
                Some(Ok(_)) => {}
                other => bail!("agent socket failed while subscribing: {other:?}"),
            }
        }
        agents.push(socket);
    }

    // Memory per idle learner connection.
    let pids: Vec<u32> = nodes.iter().filter_map(|node| node.child.id()).collect();
    let learner_pid = pids[0];
    let before = rss_kib(learner_pid);
    let mut sinks: Vec<Arc<Mutex<Sink>>> = Vec::with_capacity(learners.len());
    // Per learner, a permit for each answered send (ack or nack): the closed loop waits on it.
    let mut answered: Vec<Arc<tokio::sync::Semaphore>> = Vec::with_capacity(learners.len());
    let (acks, nacks) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let connecting = Instant::now();
    for (token, _) in &learners {
        let socket = connect(&learner_node, token).await?;
        let (sink, mut stream) = socket.split();
        sinks.push(Arc::new(Mutex::new(sink)));
        let permits = Arc::new(tokio::sync::Semaphore::new(0));
        answered.push(permits.clone());
        let (acks, nacks) = (acks.clone(), nacks.clone());
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                let Frame::Text(text) = frame else { continue };
                if text.contains("\"type\":\"ack\"") {
                    acks.fetch_add(1, Ordering::Relaxed);
                    permits.add_permits(1);
                } else if text.contains("\"type\":\"nack\"") {
                    nacks.fetch_add(1, Ordering::Relaxed);
                    permits.add_permits(1);
                }
            }
        });
    }
    let after = rss_kib(learner_pid);
    let per_connection = (after.saturating_sub(before)) as f64 / learners.len() as f64;
    eprintln!("connected {} learner sockets in {:.1}s", learners.len(), connecting.elapsed().as_secs_f64());

    // Agents record latency from the timestamp in each learner message.
    let start = Instant::now();
    let warmup_until = Duration::from_secs(args.warmup);
    let received = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for mut socket in agents {
        let received = received.clone();
        readers.push(tokio::spawn(async move {
            let mut latencies: Vec<(u64, u32)> = Vec::new();
            while let Some(Ok(frame)) = socket.next().await {
                let Frame::Text(text) = frame else { continue };
                let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                if frame["type"] != "message" || frame["message"]["author_kind"] != "contact" {
                    continue;
                }
                let Some(sent_us) = frame["message"]["body"].as_str().and_then(|body| body.strip_prefix("t=")).and_then(|t| t.parse::<u64>().ok()) else {
                    continue;
                };
                received.fetch_add(1, Ordering::Relaxed);
                if Duration::from_micros(sent_us) >= warmup_until {
                    let now_us = start.elapsed().as_micros() as u64;
                    latencies.push((sent_us, now_us.saturating_sub(sent_us).min(u64::from(u32::MAX)) as u32));
                }
            }
            latencies
        }));
    }

    let total = Duration::from_secs(args.warmup + args.seconds);
    let mut sent = 0u64;
    let (mut acked_at_warmup, mut acked_at_end) = (0u64, 0u64);
    if args.closed_loop {
        // Every learner sends, waits for the answer, sends again, until the time is up.
        let mut senders = Vec::with_capacity(sinks.len());
        for (index, (sink, permits)) in sinks.iter().zip(&answered).enumerate() {
            let (sink, permits, conversation) = (sink.clone(), permits.clone(), learners[index].1);
            senders.push(tokio::spawn(async move {
                let mut sent = 0u64;
                while start.elapsed() < total {
                    sink.lock().await.send(send_frame(conversation, format!("c{index}-{sent}"), start)).await?;
                    sent += 1;
                    permits.acquire().await?.forget();
                }
                anyhow::Ok(sent)
            }));
        }
        tokio::time::sleep_until((start + warmup_until).into()).await;
        acked_at_warmup = acks.load(Ordering::Relaxed);
        tokio::time::sleep_until((start + total).into()).await;
        acked_at_end = acks.load(Ordering::Relaxed);
        for sender in senders {
            sent += sender.await??;
        }
    } else {
        // Send at the set rate, round robin over learners, in 1 ms ticks.
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut next_learner = 0usize;
        while start.elapsed() < total {
            tick.tick().await;
            let due = (start.elapsed().as_micros() as u64 * args.rate / 1_000_000).saturating_sub(sent);
            for _ in 0..due {
                let index = next_learner % sinks.len();
                next_learner += 1;
                sinks[index].lock().await.send(send_frame(learners[index].1, format!("m{sent}"), start)).await?;
                sent += 1;
            }
        }
    }
    let load_rss: u64 = pids.iter().map(|pid| rss_kib(*pid)).sum();
    // Let the last messages arrive, then stop the server so the readers end.
    let drain_until = Instant::now() + Duration::from_secs(3);
    while received.load(Ordering::Relaxed) < sent && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for node in &mut nodes {
        node.child.start_kill()?;
    }
    let mut timeline = Vec::new();
    for reader in readers {
        timeline.append(&mut reader.await?);
    }
    if std::env::var_os("BENCH_TIMELINE").is_some() {
        // Where the tail sits in time: the 100 ms windows whose slowest message took > 10 ms.
        let mut windows: std::collections::BTreeMap<u64, (u32, usize)> = std::collections::BTreeMap::new();
        for (sent_us, latency) in &timeline {
            let window = windows.entry(sent_us / 100_000).or_default();
            window.0 = window.0.max(*latency);
            window.1 += usize::from(*latency > 10_000);
        }
        for (window, (max, slow)) in windows.iter().filter(|(_, (max, _))| *max > 10_000) {
            eprintln!("t={:.1}s max={:.1}ms over_10ms={slow}", *window as f64 / 10.0, f64::from(*max) / 1000.0);
        }
    }
    let mut latencies: Vec<u32> = timeline.into_iter().map(|(_, latency)| latency).collect();
    latencies.sort_unstable();
    let lost = sent.saturating_sub(received.load(Ordering::Relaxed));
    if args.closed_loop {
        println!(
            "closed loop: acknowledged {:.0} messages/s after the warm-up ({} acks, {} nacks in all)",
            acked_at_end.saturating_sub(acked_at_warmup) as f64 / args.seconds as f64,
            acks.load(Ordering::Relaxed),
            nacks.load(Ordering::Relaxed)
        );
    }
    println!(
        "backend={} nodes={} learners={} agents={} rate={}/s seconds={} sent={} received={} measured={} throughput={:.0}/s p50={:.2}ms p99={:.2}ms max={:.2}ms \
         idle_rss_per_connection={:.1}KiB server_rss_under_load={}MiB not_received={}",
        args.backend,
        args.nodes,
        learners.len(),
        args.agents,
        args.rate,
        args.seconds,
        sent,
        received.load(Ordering::Relaxed),
        latencies.len(),
        latencies.len() as f64 / args.seconds as f64,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        per_connection,
        load_rss / 1024,
        lost
    );
    Ok(())
}
