//! The `edudesk` command line: `serve`, `migrate`, `backup`, `restore`, `user add`,
//! `kb import|export` and `bot eval|train`.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use edudesk_core::{
    Role, Tier,
    input::{Email, Password, parse_skills},
};

use crate::{
    App,
    config::{Config, Overrides, Secret},
    crypto, demo,
    store::{Store, users::NewUser},
};

#[derive(Debug, Parser)]
#[command(name = "edudesk", version, about = "EduDesk: customer service for online education")]
pub struct Cli {
    /// A TOML configuration file (optional; EDUDESK_* variables and flags override it).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and local state [default: ./data].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// sqlite:PATH or postgres://... [default: SQLite in the data directory].
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Seed demo accounts and data into an empty database and print the logins.
        #[arg(long)]
        demo: bool,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Write a consistent copy of the SQLite database to FILE while the server runs
    /// (PostgreSQL: use pg_dump; the command says how).
    Backup {
        /// The backup file to create (never overwritten).
        file: PathBuf,
    },
    /// Replace the SQLite database with a backup (stop the server first).
    Restore {
        /// A file written by `edudesk backup`.
        file: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import or export the knowledge base (one JSON article per line).
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// The support bot.
    Bot {
        #[command(subcommand)]
        command: BotCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum BotCommand {
    /// Run the bot over labelled queries (no server or database needed); prints the misses,
    /// then the metrics as one JSON object on the last line.
    Eval {
        /// Articles, one JSON object per line (the `kb export` format).
        #[arg(long)]
        kb: PathBuf,
        /// Queries: `{"query": ..., "expect": article id | "__handoff__" | "__none__"}` per line.
        #[arg(long)]
        queries: PathBuf,
        /// Messages: `{"text": ..., "escalate": true|false}` per line.
        #[arg(long)]
        frustration: Option<PathBuf>,
        /// Also cross-validate with this many folds: the bot's models are trained on all
        /// folds but one of these sets and measured on the one left out (one line before the
        /// last).
        #[arg(long)]
        folds: Option<usize>,
    },
    /// Train the matcher's scoring model on labelled queries and print its weights (the
    /// constants `Model::shipped` holds).
    Train {
        #[arg(long)]
        kb: PathBuf,
        /// One or more query files (repeat the flag).
        #[arg(long, required = true)]
        queries: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// Import articles from a file (`-` for standard input); changed ones become new versions.
    Import { file: PathBuf },
    /// Write every article to standard output.
    Export,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a staff account.
    Add(UserAdd),
}

#[derive(Debug, Args)]
pub struct UserAdd {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub password: String,
    /// agent, supervisor or admin.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// 1, 2 or 3.
    #[arg(long, default_value = "1", value_parser = parse_tier)]
    pub tier: Tier,
    /// Comma-separated skills, e.g. playback,refund.
    #[arg(long, default_value = "")]
    pub skills: String,
    /// Display name [default: the part of the email before @].
    #[arg(long)]
    pub name: Option<String>,
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse(raw).ok_or_else(|| format!("'{raw}' is not agent, supervisor or admin"))
}

fn parse_tier(raw: &str) -> Result<Tier, String> {
    raw.parse::<i64>().ok().and_then(Tier::new).ok_or_else(|| format!("'{raw}' is not 1, 2 or 3"))
}

fn read_file(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// `edudesk bot eval`: the bot's accuracy and latency on labelled sets.
fn bot_eval(
    config: &Config,
    kb: &std::path::Path,
    queries: &std::path::Path,
    frustration: Option<&std::path::Path>,
    folds: Option<usize>,
) -> anyhow::Result<()> {
    use edudesk_bot::eval::{cross_validate, evaluate, parse_lines};
    let articles = parse_lines(&read_file(kb)?, &kb.display().to_string()).map_err(anyhow::Error::msg)?;
    let queries = parse_lines(&read_file(queries)?, &queries.display().to_string()).map_err(anyhow::Error::msg)?;
    let messages = match frustration {
        Some(path) => parse_lines(&read_file(path)?, &path.display().to_string()).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };
    let cross_validated = folds.map(|folds| (folds, cross_validate(&articles, &queries, &messages, config.bot, folds)));
    let (report, misses) = evaluate(articles, &queries, &messages, config.bot);
    for miss in &misses {
        println!("miss: {}", serde_json::to_string(miss)?);
    }
    if let Some((folds, cross_validated)) = cross_validated {
        println!("cross-validated ({folds} folds): {}", serde_json::to_string(&cross_validated)?);
    }
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let bind = match &cli.command {
        Command::Serve { bind, .. } => *bind,
        _ => None,
    };
    let overrides = Overrides { bind, data_dir: cli.data_dir.clone(), database_url: cli.database_url.clone() };
    let mut config = Config::load(cli.config.as_deref(), overrides)?;
    match cli.command {
        Command::Serve { demo, .. } => serve(config_for_demo(&mut config, demo), demo).await,
        Command::Migrate => {
            let store = Store::connect(&config.effective_database_url(), 1).await?;
            store.migrate().await?;
            store.close().await;
            println!("database is up to date");
            Ok(())
        }
        Command::Backup { file } => {
            let url = config.effective_database_url();
            if crate::store::backup::sqlite_path(&url).is_none() {
                anyhow::bail!("{}", crate::store::backup::POSTGRES_HINT);
            }
            let store = Store::connect(&url, 1).await?;
            let summary = store.backup_to(&file).await;
            store.close().await;
            let summary = summary?;
            println!(
                "backed up to {} ({} bytes, schema {}, {} conversations, {} messages)",
                file.display(),
                summary.bytes,
                summary.schema_version,
                summary.conversations,
                summary.messages
            );
            Ok(())
        }
        Command::Restore { file, force } => {
            let url = config.effective_database_url();
            let Some(database) = crate::store::backup::sqlite_path(&url) else {
                anyhow::bail!("{}", crate::store::backup::POSTGRES_HINT);
            };
            let summary = crate::store::backup::restore(&file, &database, force).await?;
            println!(
                "restored {} into {} (schema {}, {} conversations, {} messages); start the server",
                file.display(),
                database.display(),
                summary.schema_version,
                summary.conversations,
                summary.messages
            );
            Ok(())
        }
        Command::Kb { command } => {
            let store = Store::connect(&config.effective_database_url(), 1).await?;
            store.migrate().await?;
            match command {
                KbCommand::Import { file } => {
                    let text = if file.as_os_str() == "-" {
                        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
                    } else {
                        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?
                    };
                    let report = crate::knowledge::import::import(&store, &text).await?;
                    println!("imported {} articles ({} unchanged)", report.created_or_changed, report.unchanged);
                }
                KbCommand::Export => print!("{}", crate::knowledge::import::export(&store).await?),
            }
            store.close().await;
            Ok(())
        }
        Command::Bot { command: BotCommand::Eval { kb, queries, frustration, folds } } => bot_eval(&config, &kb, &queries, frustration.as_deref(), folds),
        Command::Bot { command: BotCommand::Train { kb, queries } } => {
            use edudesk_bot::eval::{parse_lines, train_model};
            let articles: Vec<edudesk_bot::Article> = parse_lines(&read_file(&kb)?, &kb.display().to_string()).map_err(anyhow::Error::msg)?;
            let mut labelled = Vec::new();
            for path in &queries {
                labelled.extend(parse_lines(&read_file(path)?, &path.display().to_string()).map_err(anyhow::Error::msg)?);
            }
            println!("{}", serde_json::to_string(&train_model(&articles, &labelled))?);
            Ok(())
        }
        Command::User { command: UserCommand::Add(add) } => {
            let store = Store::connect(&config.effective_database_url(), 1).await?;
            store.migrate().await?;
            let email = Email::parse(&add.email)?;
            let new = NewUser {
                display_name: add.name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or_default().to_owned()),
                email,
                password_hash: crypto::hash_password(Password::parse(&add.password)?).await?,
                role: add.role,
                tier: add.tier,
                skills: parse_skills(&add.skills)?,
                teams: Vec::new(),
                max_concurrent: 5,
            };
            let user = store.create_user(&new).await?;
            // Staff added at the command line are the team an operator sets up: certified for
            // their tier (staff added later through the console start as trainees).
            store.certify(user.id, user.tier.level(), "granted", None, crate::store::now_ms()).await?;
            store.close().await;
            println!("added {} ({}, tier {}) with id {}", user.email, user.role, user.tier, user.id);
            Ok(())
        }
    }
}

/// The demo signs learners with the demo secret unless a secret is configured.
fn config_for_demo(config: &mut Config, demo: bool) -> Config {
    if demo && config.platform_secret.is_none() {
        config.platform_secret = Some(Secret::new(demo::DEMO_PLATFORM_SECRET));
    }
    if demo && config.platform_api_key.is_none() {
        config.platform_api_key = Some(Secret::new(demo::DEMO_PLATFORM_API_KEY));
    }
    if demo && config.public_url.is_none() {
        config.public_url = Some(format!("http://{}", config.bind));
    }
    config.demo |= demo;
    config.clone()
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let bind = config.bind;
    let app = App::build(config).await?;
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("listening on {bind}"))?;
    let base_url = format!("http://{}", listener.local_addr()?);
    if demo {
        let seeded = demo::seed(&app.state.store).await.map_err(|error| anyhow::anyhow!("seeding the demo: {error}"))?;
        if seeded {
            app.state.knowledge.changed(&app.state.store).await;
            print!("{}", demo::logins_text(&base_url));
        } else {
            println!("the database already has accounts; the demo was not seeded again");
        }
    }
    // Tests and scripts wait for this line instead of sleeping.
    println!("EduDesk is listening on {base_url}");
    app.serve(listener, shutdown_signal()).await
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
