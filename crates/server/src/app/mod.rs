//! Wiring: builds a node ([`App::build`]: storage connected and migrated, writer,
//! realtime, knowledge, channels from the configuration), serves it with its background
//! tasks until shutdown ([`App::serve`]), runs the job worker ([`jobs`]) and reads the
//! command line ([`cli`]). The top layer: it may use every other.

pub mod cli;
pub mod jobs;

use std::{future::Future, sync::Arc};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::{
    AppState, channels, clock,
    config::Config,
    crypto, http, knowledge, realtime,
    services::{self, conversation_writer::ConversationWriter, sessions::SessionCache, sops, writer::MessageWriter},
    store::{self, Backend, Store},
};

/// A ready-to-serve EduDesk node: storage connected and migrated, writer running.
#[derive(Debug)]
pub struct App {
    pub state: AppState,
}

impl App {
    /// Connects to the configured database, runs migrations and starts the writer.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let mut store = Store::connect_with(&config.effective_database_url(), config.db_max_connections, config.sqlite_sync_every_commit).await?;
        store.migrate().await?;
        let cipher = store::secrets::SecretCipher::from_config(config.secret_key.as_ref().map(|key| key.expose()), &config.data_dir)?;
        store.secrets = Arc::new(cipher);
        let sealed = store.seal_channel_secrets().await.map_err(|error| anyhow::anyhow!("{error}"))?;
        if sealed > 0 {
            tracing::info!(sealed, "channel secrets stored in plaintext are now encrypted");
        }
        let shards = match store.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => config.postgres_write_shards,
        };
        let hub = Arc::new(realtime::hub::Hub::default());
        let bus = match &config.nats_url {
            Some(url) => realtime::bus::Bus::nats(url.expose(), &config.nats_prefix, hub.clone()).await?,
            None => realtime::bus::Bus::in_process(hub.clone()),
        };
        let sla = Arc::new(config.sla_policy()?);
        let writer = MessageWriter::start(store.clone(), bus.clone(), sla.clone(), shards, config.write_batch_max);
        let opener = ConversationWriter::start(store.clone(), shards, config.write_batch_max);
        let dummy = edudesk_core::input::Password::parse(&crypto::new_token()).context("making the dummy password")?;
        let dummy_password_hash = crypto::hash_password(dummy).await.map_err(|error| anyhow::anyhow!("{error}"))?;
        let sessions = Arc::new(SessionCache::new(std::time::Duration::from_secs(config.session_cache_seconds)));
        let categories = Arc::new(config.category_table()?);
        sops::load(&store, &config.data_dir.join("sops")).await?;
        let sweeping = Arc::new(tokio::sync::Mutex::new(()));
        let clock = clock::Clock::with_offset_seconds(config.clock_offset_seconds);
        let knowledge = Arc::new(knowledge::Knowledge::load(&store, config.search_index_dir.as_deref(), config.bot, config.bot_enabled).await?);
        let app = App {
            state: AppState::new(services::Parts {
                store,
                writer,
                opener,
                sessions,
                hub,
                bus,
                categories,
                sweeping,
                routing: Arc::default(),
                clock,
                sla,
                config: Arc::new(config),
                dummy_password_hash: dummy_password_hash.into(),
                knowledge,
                outbound: Arc::new(services::delivery::Outbound::new()?),
                limits: Arc::default(),
                node_id: Arc::from(format!("node-{}", &crypto::new_token()[..16])),
                metrics: Arc::default(),
            }),
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
        let worker = tokio::spawn(self::jobs::run_worker(self.state.clone()));
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

/// How often the SQLite WAL is checkpointed. Each checkpoint ends with a flush of the pages
/// it copied, which competes with the commits' own flushes on the disk: under chat load
/// (5,000 messages/s) every 2 s gave the chat a p99 of 31–33 ms, every second 12–44 ms,
/// every 500 ms 8–10 ms, every 250 ms 12–13 ms (BENCHMARKS.md).
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Checkpoints the SQLite WAL regularly, mostly off the writer's path (see `store`).
async fn checkpoint_regularly(store: Store) {
    let mut ticks = tokio::time::interval(CHECKPOINT_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = store.checkpoint().await {
            tracing::warn!(%error, "checkpoint failed");
        }
    }
}
