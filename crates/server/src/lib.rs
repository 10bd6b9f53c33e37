//! EduDesk: the customer-service system for an online-education platform.
//!
//! This crate is the whole application as a library; `main.rs` only parses the command
//! line and calls [`cli::run`]. The pieces:
//! - [`config`]: the typed configuration;
//! - [`store`]: storage on SQLite or PostgreSQL, including the batching message writer;
//! - [`auth`]: passwords, sessions, learner signatures, the request extractor;
//! - [`http`]: the REST API under `/api/v1` and its OpenAPI document;
//! - [`demo`]: the demo data seeded by `serve --demo`;
//! - [`cli`]: the `edudesk` command line.
//!
//! The domain rules themselves live in the `edudesk-core` crate.

pub mod auth;
pub mod bot;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod error;
pub mod http;
pub mod inbox;
pub mod jobs;
pub mod kb;
pub mod knowledge;
pub mod learning;
pub mod outbound_webhooks;
pub mod ratelimit;
pub mod realtime;
pub mod routing;
pub mod sla;
pub mod sops;
pub mod store;

use std::{future::Future, sync::Arc};

use anyhow::Context;
pub use config::Config;
use store::{Backend, Store, writer::MessageWriter};
use tokio::net::TcpListener;

/// What every request handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub writer: MessageWriter,
    pub config: Arc<Config>,
    pub sessions: Arc<auth::SessionCache>,
    /// This node's connected sockets.
    pub hub: Arc<realtime::hub::Hub>,
    /// Where events are published (reaches every node's hub).
    pub bus: realtime::bus::Bus,
    /// Category → tier table and keyword rules.
    pub categories: Arc<edudesk_core::routing::CategoryTable>,
    /// Held while this node sweeps the queues.
    pub sweeping: Arc<tokio::sync::Mutex<()>>,
    /// The scheduling clock (jobs, follow-ups, task due times).
    pub clock: clock::Clock,
    /// SLA targets and the business calendar they count in.
    pub sla: Arc<edudesk_core::sla::SlaPolicy>,
    /// An argon2 hash of a random password, verified against when an email is unknown so
    /// that login takes as long for unknown accounts as for known ones.
    pub dummy_password_hash: Arc<str>,
    /// Search index and bot over the published articles.
    pub knowledge: Arc<knowledge::Knowledge>,
    /// HTTP client and tokens for sending through channels.
    pub outbound: Arc<channels::Outbound>,
    /// Sign-in and public-write limits (per node).
    pub limits: Arc<ratelimit::RateLimiter>,
    /// This node's name in leases (e.g. which node watches a mailbox): random per start.
    pub node_id: Arc<str>,
    /// Request and bot counters for `/metrics`.
    pub metrics: Arc<http::observe::Metrics>,
}

/// A ready-to-serve EduDesk node: storage connected and migrated, writer running.
#[derive(Debug)]
pub struct App {
    pub state: AppState,
}

impl App {
    /// Connects to the configured database, runs migrations and starts the writer.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let mut store = Store::connect(&config.effective_database_url(), config.db_max_connections).await?;
        store.migrate().await?;
        let cipher = store::secrets::SecretCipher::from_config(config.secret_key.as_ref().map(|key| key.expose()), &config.data_dir)?;
        store.secrets = Arc::new(cipher);
        let sealed = store.seal_channel_secrets().await.map_err(|error| anyhow::anyhow!("{error}"))?;
        if sealed > 0 {
            tracing::info!(sealed, "channel secrets stored in plaintext are now encrypted");
        }
        let shards = match store.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 4,
        };
        let hub = Arc::new(realtime::hub::Hub::default());
        let bus = match &config.nats_url {
            Some(url) => realtime::bus::Bus::nats(url.expose(), &config.nats_prefix, hub.clone()).await?,
            None => realtime::bus::Bus::in_process(hub.clone()),
        };
        let sla = Arc::new(config.sla_policy()?);
        let writer = MessageWriter::start(store.clone(), bus.clone(), sla.clone(), shards, config.write_batch_max);
        let dummy = edudesk_core::input::Password::parse(&auth::new_token()).context("making the dummy password")?;
        let dummy_password_hash = auth::hash_password(dummy).await.map_err(|error| anyhow::anyhow!("{error}"))?;
        let sessions = Arc::new(auth::SessionCache::new(std::time::Duration::from_secs(config.session_cache_seconds)));
        let categories = Arc::new(config.category_table()?);
        sops::load(&store, &config.data_dir.join("sops")).await?;
        let sweeping = Arc::new(tokio::sync::Mutex::new(()));
        let clock = clock::Clock::with_offset_seconds(config.clock_offset_seconds);
        let knowledge = Arc::new(knowledge::Knowledge::load(&store, config.search_index_dir.as_deref(), config.bot, config.bot_enabled).await?);
        let app = App {
            state: AppState {
                store,
                writer,
                sessions,
                hub,
                bus,
                categories,
                sweeping,
                clock,
                sla,
                config: Arc::new(config),
                dummy_password_hash: dummy_password_hash.into(),
                knowledge,
                outbound: Arc::new(channels::Outbound::new()?),
                limits: Arc::default(),
                node_id: Arc::from(format!("node-{}", &auth::new_token()[..16])),
                metrics: Arc::default(),
            },
        };
        // Channels from the configuration file (the console can change them later).
        for entry in &app.state.config.channels {
            let input = channels::ChannelInput {
                enabled: entry.enabled,
                settings: entry.settings.clone(),
                secrets: entry.secrets.iter().map(|(name, secret)| (name.clone(), Some(secret.expose().to_owned()))).collect(),
            };
            channels::save(&app.state, &entry.kind, &entry.name, input)
                .await
                .map_err(|error| anyhow::anyhow!("channel {}/{} in the configuration: {error}", entry.kind, entry.name))?;
        }
        Ok(app)
    }

    pub fn router(&self) -> axum::Router {
        http::router(self.state.clone())
    }

    /// Serves HTTP on `listener` until `shutdown` completes, then drains open requests.
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let router = self.router();
        // Webhooks carry what happens from the first start with them configured: the cursor is
        // set before the first request is accepted.
        if self.state.config.webhook_url.is_some()
            && let Err(error) = self.state.store.webhook_cursor().await
        {
            tracing::warn!(%error, "could not start the webhook cursor; the relay will retry");
        }
        let purge = tokio::spawn(purge_expired_sessions(self.state.store.clone()));
        let checkpoints = tokio::spawn(checkpoint_regularly(self.state.store.clone()));
        let worker = tokio::spawn(jobs::run_worker(self.state.clone()));
        let mailboxes = tokio::spawn(channels::email::supervise(self.state.clone()));
        let knowledge = tokio::spawn(knowledge::refresh_regularly(self.state.store.clone(), self.state.knowledge.clone(), std::time::Duration::from_secs(10)));
        let header_timeout = std::time::Duration::from_secs(self.state.config.header_read_timeout_seconds);
        http::server::serve(listener, router, header_timeout, shutdown).await;
        purge.abort();
        checkpoints.abort();
        worker.abort();
        knowledge.abort();
        mailboxes.abort();
        if let Err(error) = self.state.store.release_leases(&self.state.node_id).await {
            tracing::warn!(%error, "releasing this node's leases failed; they lapse on their own");
        }
        self.state.store.close().await;
        Ok(())
    }
}

/// Deletes expired sessions once an hour (their tokens are refused anyway; this keeps the
/// table small).
async fn purge_expired_sessions(store: Store) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        match store.purge_expired_sessions().await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired sessions removed"),
            Err(error) => tracing::warn!(%error, "removing expired sessions failed"),
        }
    }
}

/// Checkpoints the SQLite WAL every second, off the writer's path (see `store`).
async fn checkpoint_regularly(store: Store) {
    let mut every_second = tokio::time::interval(std::time::Duration::from_secs(1));
    every_second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every_second.tick().await;
        if let Err(error) = store.checkpoint().await {
            tracing::warn!(%error, "checkpoint failed");
        }
    }
}
