//! The bus that carries events between nodes, behind one type: in-process (one node)
//! or NATS (several nodes sharing a database). Publishing hands the event to every
//! node's hub, this one included.

use std::sync::Arc;

use super::{Event, hub::Hub};

/// Where events go once something happened.
#[derive(Clone, Debug)]
pub enum Bus {
    /// One node: events go straight to this node's hub.
    InProcess(Arc<Hub>),
}

impl Bus {
    pub fn in_process(hub: Arc<Hub>) -> Bus {
        Bus::InProcess(hub)
    }

    /// Publishes an event to every node.
    pub fn publish(&self, event: Event) {
        match self {
            Bus::InProcess(hub) => hub.dispatch(event),
        }
    }
}
