//! The bus that carries events between nodes, behind one type: in-process (one node)
//! or NATS (several nodes sharing a database). Publishing hands the event to every
//! node's hub, this one included: with NATS, this node's own hub gets it at once (its
//! sockets do not wait on, or depend on, NATS) and the other nodes through NATS, each node
//! skipping its own events when they come back.

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
    /// Several nodes: events go to this node's hub and through NATS, and every other
    /// node's subscription feeds its hub. `node` names this node in the subjects it
    /// publishes on (`{prefix}.events.{node}.conversation.{id}`).
    Nats { client: async_nats::Client, prefix: String, node: String, hub: Arc<Hub> },
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
        let node = crate::crypto::new_token()[..12].to_owned();
        let mut subscription = client.subscribe(format!("{prefix}.events.>")).await.context("subscribing to NATS")?;
        let own = format!("{prefix}.events.{node}.");
        let local = hub.clone();
        // The subscription is live once the server has it; a round trip makes sure.
        client.flush().await.context("flushing the NATS subscription")?;
        tokio::spawn(async move {
            while let Some(message) = subscription.next().await {
                if message.subject.as_str().starts_with(&own) {
                    continue; // this node's own event, already dispatched here
                }
                match serde_json::from_slice::<Event>(&message.payload) {
                    Ok(event) => local.dispatch(event),
                    Err(error) => tracing::warn!(%error, subject = %message.subject, "ignoring a malformed event from NATS"),
                }
            }
            tracing::warn!("the NATS subscription ended; realtime events from other nodes stop");
        });
        Ok(Bus::Nats { client, prefix: prefix.to_owned(), node, hub })
    }

    /// Publishes an event to every node. Delivery is best effort: sockets fill gaps
    /// from the database, so a lost event delays a message, never loses it.
    pub async fn publish(&self, event: Event) {
        match self {
            Bus::InProcess(hub) => hub.dispatch(event),
            Bus::Nats { client, prefix, node, hub } => {
                let subject = format!("{prefix}.events.{node}.conversation.{}", event.route().conversation_id);
                let payload = serde_json::to_vec(&event);
                hub.dispatch(event);
                match payload {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use edudesk_core::Principal;

    use super::*;
    use crate::realtime::hub::tests::message_event;

    /// With NATS, a node's own event reaches its sockets once — directly, not again when it
    /// comes back from NATS — and another node's event arrives through NATS. Needs
    /// `EDUDESK_TEST_NATS_URL` (skipped without it).
    #[tokio::test]
    async fn own_events_are_delivered_once_and_other_nodes_events_through_nats() {
        let Ok(url) = std::env::var("EDUDESK_TEST_NATS_URL") else { return };
        let prefix = format!("bustest{}", crate::crypto::new_token()[..8].to_owned());
        let (here, there) = (Arc::new(Hub::default()), Arc::new(Hub::default()));
        let bus_here = Bus::nats(&url, &prefix, here.clone()).await.unwrap();
        let bus_there = Bus::nats(&url, &prefix, there.clone()).await.unwrap();
        let mut learner = here.register(Principal::Learner { contact_id: 7 });

        bus_here.publish(message_event(1, 7, 1, false)).await;
        bus_there.publish(message_event(1, 7, 2, false)).await;
        let mut seqs = Vec::new();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(1500);
        while let Ok(Some(delivery)) = tokio::time::timeout_at(deadline, learner.receiver.recv()).await {
            if let Event::Message { message, .. } = &delivery.event {
                seqs.push(message.seq);
            }
        }
        assert_eq!(seqs, vec![1, 2], "own event once, the other node's once");
    }
}
