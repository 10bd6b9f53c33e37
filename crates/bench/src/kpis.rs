//! KPI benchmark: how long `GET /api/v1/kpis` takes to load and compute over a large history
//! — the store's three queries (`Store::kpi_facts`) plus the pure computation — on a SQLite
//! or PostgreSQL database filled with synthetic conversations (each with a created and a
//! resolved event, two public agent replies from 50 agents, spread over 90 days).

use std::time::Instant;

use edudesk::store::Store;
use edudesk_core::kpi::{GroupBy, compute};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Conversations to create.
    #[arg(long, default_value_t = 1_000_000)]
    conversations: i64,
    /// Database URL [default: a SQLite file in a new temporary directory].
    #[arg(long)]
    database_url: Option<String>,
}

const DAY_MS: i64 = 86_400_000;
/// 2026-09-03 00:00 UTC: 90 days before 2026-12-02.
const START: i64 = 1_788_393_600_000;

pub async fn main(args: Args) -> anyhow::Result<()> {
    let url = match args.database_url {
        Some(url) => url,
        None => {
            let dir = std::env::temp_dir().join(format!("edudesk-kpi-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            format!("sqlite://{}/kpi.db", dir.display())
        }
    };
    let store = Store::connect(&url, 4).await?;
    store.migrate().await?;
    let n = args.conversations;
    let filled = Instant::now();
    let spread = 90 * DAY_MS / n.max(1);
    let statements = [
        "INSERT INTO contacts (display_name, created_at, updated_at) VALUES ('bench', 0, 0)".to_owned(),
        "INSERT INTO users (email, display_name, password_hash, role, tier, created_at)
         WITH RECURSIVE agent(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM agent WHERE i < 50)
         SELECT 'agent' || i || '@bench.example', 'Agent ' || i, 'x', 'agent', 1 + i % 3, 0 FROM agent"
            .to_owned(),
        format!(
            "INSERT INTO conversations (contact_id, channel, status, priority, category, tier, created_at, updated_at, resolved_at, client_id)
             WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {n})
             SELECT (SELECT MIN(id) FROM contacts), CASE i % 4 WHEN 0 THEN 'widget' WHEN 1 THEN 'email' WHEN 2 THEN 'wechat' ELSE 'sms' END,
                    'resolved', 'normal', CASE i % 3 WHEN 0 THEN 'refund' WHEN 1 THEN 'playback' ELSE 'account' END, 1 + i % 3,
                    {START} + i * {spread}, {START} + i * {spread} + 1800000, {START} + i * {spread} + 1800000, 'c' || i FROM c"
        ),
        "INSERT INTO conversation_events (conversation_id, kind, data, created_at) SELECT id, 'created', '{}', created_at FROM conversations".to_owned(),
        "INSERT INTO conversation_events (conversation_id, kind, actor_user_id, data, created_at)
         SELECT id, 'status_changed', (SELECT MIN(id) FROM users) + id % 50, '{\"from\":\"open\",\"to\":\"resolved\",\"reopened\":false}', resolved_at FROM conversations"
            .to_owned(),
        "INSERT INTO messages (conversation_id, seq, author_kind, author_user_id, body, internal, client_id, created_at)
         SELECT id, 1, 'agent', (SELECT MIN(id) FROM users) + id % 50, 'hello', 0, 'a1', created_at + 60000 + (id % 600) * 1000 FROM conversations"
            .to_owned(),
        "INSERT INTO messages (conversation_id, seq, author_kind, author_user_id, body, internal, client_id, created_at)
         SELECT id, 2, 'agent', (SELECT MIN(id) FROM users) + id % 50, 'done', 0, 'a2', created_at + 900000 FROM conversations"
            .to_owned(),
    ];
    for statement in statements {
        sqlx::query(&statement).execute(&store.write).await?;
    }
    if url.starts_with("sqlite") {
        sqlx::query("ANALYZE").execute(&store.write).await?;
    }
    eprintln!("filled {n} conversations in {:.1} s", filled.elapsed().as_secs_f64());
    let zone = chrono_tz::Asia::Shanghai;
    let end = START + 90 * DAY_MS;
    for (days, by) in [(1, GroupBy::Agent), (7, GroupBy::Agent), (7, GroupBy::Day), (30, GroupBy::Channel), (90, GroupBy::Total)] {
        let mut timings = Vec::new();
        let mut rows = 0;
        let mut conversations = 0;
        for _ in 0..3 {
            let started = Instant::now();
            let facts = store.kpi_facts(end - days * DAY_MS, end).await?;
            conversations = facts.len();
            rows = compute(&facts, by, zone).len();
            timings.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        timings.sort_by(f64::total_cmp);
        println!(
            "{{\"window_days\": {days}, \"group_by\": \"{by:?}\", \"conversations\": {conversations}, \"rows\": {rows}, \"best_ms\": {:.0}, \"median_ms\": {:.0}}}",
            timings[0], timings[1]
        );
    }
    store.close().await;
    Ok(())
}
