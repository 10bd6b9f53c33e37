//! The bus that carries events between nodes, behind one type: in-process (one node)
//! or NATS (several nodes sharing a database). Publishing hands the event to every
//! node's hub, this one included.

use std::sync::Arc;

use anyhow::Context;
use futures_util::StreamExt;

use super::{Event, hub::Hub};

/// After NATS comes back, sockets refill once at once and once more this much later.
const RESYNC_AGAIN_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

/// Where events go once something happened.
#[derive(Clone, Debug)]
pub enum Bus {
    /// One node: events go straight to this node's hub.
    InProcess(Arc<Hub>),
    /// Several nodes: events go through NATS, and every node's subscription feeds its hub.
    Nats { client: async_nats::Client, prefix: String },
}

impl Bus {
    pub fn in_process(hub: Arc<Hub>) -> Bus {
        Bus::InProcess(hub)
    }

    /// Connects to NATS and starts feeding `hub` with every event published under
    /// `prefix` (nodes of one deployment share a prefix; other deployments or tests on the
    /// same NATS server use their own).
    pub async fn nats(url: &str, prefix: &str, hub: Arc<Hub>) -> anyhow::Result<Bus> {
        let shown = match url.split_once('@') {
            Some((scheme_and_user, host)) => format!("{}://…@{host}", scheme_and_user.split("://").next().unwrap_or("nats")),
            None => url.to_owned(),
        };
        // The client reconnects by itself (without limit). Events published while a node was
        // cut off may be lost, so on every (re)connection — and once more a moment later, when
        // other nodes have reconnected and flushed what they held — this node's sockets
        // refill what they follow from the database. A slow subscription that dropped events
        // does the same.
        let events_hub = hub.clone();
        let options = async_nats::ConnectOptions::new().event_callback(move |event| {
            let hub = events_hub.clone();
            async move {
                match event {
                    async_nats::Event::Connected => {
                        tracing::info!("connected to NATS");
                        hub.resync_all();
                        tokio::spawn(async move {
                            tokio::time::sleep(RESYNC_AGAIN_AFTER).await;
                            hub.resync_all();
                        });
                    }
                    async_nats::Event::Disconnected => tracing::warn!("lost the connection to NATS; reconnecting"),
                    async_nats::Event::SlowConsumer(_) => {
                        tracing::warn!("NATS dropped events for this node; sockets refill from the database");
                        hub.resync_all();
                    }
                    other => tracing::info!(event = %other, "NATS"),
                }
            }
        });
        let client = options.connect(url).await.with_context(|| format!("connecting to NATS at {shown}"))?;
        let mut subscription = client.subscribe(format!("{prefix}.events.>")).await.context("subscribing to NATS")?;
        // The subscription is live once the server has it; a round trip makes sure.
        client.flush().await.context("flushing the NATS subscription")?;
        tokio::spawn(async move {
            while let Some(message) = subscription.next().await {
                match serde_json::from_slice::<Event>(&message.payload) {
                    Ok(event) => hub.dispatch(event),
                    Err(error) => tracing::warn!(%error, subject = %message.subject, "ignoring a malformed event from NATS"),
                }
            }
            tracing::warn!("the NATS subscription ended; realtime events from other nodes stop");
        });
        Ok(Bus::Nats { client, prefix: prefix.to_owned() })
    }

    /// Publishes an event to every node. Delivery is best effort: sockets fill gaps
    /// from the database, so a lost event delays a message, never loses it.
    pub async fn publish(&self, event: Event) {
        match self {
            Bus::InProcess(hub) => hub.dispatch(event),
            Bus::Nats { client, prefix } => {
                let subject = format!("{prefix}.events.conversation.{}", event.route().conversation_id);
                match serde_json::to_vec(&event) {
                    Ok(payload) => {
                        if let Err(error) = client.publish(subject, payload.into()).await {
                            tracing::warn!(%error, "publishing an event to NATS failed");
                        }
                    }
                    Err(error) => tracing::error!(%error, "an event could not be serialised"),
                }
            }
        }
    }
}
