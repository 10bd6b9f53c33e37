//! EduDesk's load generators (results in BENCHMARKS.md):
//! - `edudesk-bench http`: REST message posting with N concurrent clients;
//! - `edudesk-bench ws`: N learner sockets and M agent sockets chatting at a set rate;
//! - `edudesk-bench cluster`: three nodes behind nginx under faults (kill -9, NATS and
//!   PostgreSQL restarts), counting lost and doubled messages;
//! - `edudesk-bench routing`: routing decisions per second (no I/O);
//! - `edudesk-bench bot`: one bot decision's latency over a large knowledge base (no I/O);
//! - `edudesk-bench kpis`: KPI reports over a large synthetic history.

mod bot;
mod cluster;
mod http;
mod kpis;
mod routing;
mod ws;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "EduDesk load generators")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// REST: POST /api/v1/conversations/{id}/messages with concurrent clients.
    Http(http::Args),
    /// WebSocket: learner and agent sockets, latency from learner send to agent receive.
    Ws(ws::Args),
    /// Three nodes behind nginx under faults: kill -9 a node, restart NATS and PostgreSQL.
    Cluster(cluster::Args),
    /// Routing decisions per second (no I/O).
    Routing(routing::Args),
    /// Bot decision latency over a large knowledge base (no I/O).
    Bot(bot::Args),
    /// KPI report time over a large synthetic history.
    Kpis(kpis::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cli = match cli.command {
        Command::Routing(args) => return routing::main(args),
        Command::Bot(args) => return bot::main(args),
        command => Cli { command },
    };
    let workers = match cli.command {
        Command::Http(_) => 1,
        Command::Ws(_) | Command::Cluster(_) | Command::Routing(_) | Command::Bot(_) | Command::Kpis(_) => 2,
    };
    tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?.block_on(async {
        match cli.command {
            Command::Http(args) => http::main(args).await,
            Command::Ws(args) => ws::main(args).await,
            Command::Cluster(args) => cluster::main(args).await,
            Command::Kpis(args) => kpis::main(args).await,
            Command::Routing(_) | Command::Bot(_) => Ok(()),
        }
    })
}
