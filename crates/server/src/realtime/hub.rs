//! The local fan-out: which connected socket gets which event.
//!
//! A learner's socket gets every event of that learner's conversations except internal
//! notes. A staff socket gets conversation changes it may see (its inbox), and messages,
//! typing and read events of conversations it subscribed to or that are assigned to it.
//!
//! Each socket has a bounded queue. When it is full the event is dropped for that
//! socket and the socket is told it lagged; it then refills from the database (every
//! message has a sequence number), so a slow client costs bounded memory and loses nothing.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
};

use edudesk_core::{Access, Principal};
use tokio::sync::{Notify, mpsc};

use super::Event;

/// Most undelivered events a socket may hold before it is marked as lagging.
pub const SOCKET_QUEUE: usize = 256;

/// An event ready to send: the event for filtering, the frame text built once for all.
#[derive(Debug)]
pub struct Delivery {
    pub event: Event,
    pub frame: String,
}

/// Set when events were dropped for a socket; the socket resynchronises.
#[derive(Debug, Default)]
pub struct Lag {
    lagged: AtomicBool,
    notify: Notify,
}

impl Lag {
    /// Waits until events were dropped, then clears the mark.
    pub async fn wait(&self) {
        loop {
            if self.lagged.swap(false, Ordering::AcqRel) {
                return;
            }
            self.notify.notified().await;
        }
    }

    fn mark(&self) {
        self.lagged.store(true, Ordering::Release);
        self.notify.notify_one();
    }
}

struct Connection {
    principal: Principal,
    sender: mpsc::Sender<Arc<Delivery>>,
    lag: Arc<Lag>,
    subscriptions: HashSet<i64>,
    /// Subscriptions whose access comes from a collaboration (another team pulled in),
    /// which no tier or assignment rule shows: they stay deliverable outside the tier.
    collaborations: HashSet<i64>,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    connections: HashMap<u64, Connection>,
    by_contact: HashMap<i64, HashSet<u64>>,
    by_user: HashMap<i64, HashSet<u64>>,
    by_conversation: HashMap<i64, HashSet<u64>>,
}

/// The sockets connected to this node.
#[derive(Default)]
pub struct Hub {
    registry: Mutex<Registry>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("connections", &self.lock().connections.len()).finish()
    }
}

/// A registered socket: its queue and lag signal. Unregisters itself when dropped.
pub struct Subscriber {
    pub id: u64,
    pub receiver: mpsc::Receiver<Arc<Delivery>>,
    pub lag: Arc<Lag>,
    hub: Arc<Hub>,
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.hub.unregister(self.id);
    }
}

impl Subscriber {
    /// Also deliver this conversation's messages, typing and read events (access is the caller's to check).
    pub fn subscribe(&self, conversation_id: i64) {
        self.hub.subscribe(self.id, conversation_id, false);
    }

    /// Like [`Subscriber::subscribe`], for a collaborator: their access is the collaboration
    /// the caller checked, so the hub's tier rule does not filter this conversation out.
    pub fn subscribe_as_collaborator(&self, conversation_id: i64) {
        self.hub.subscribe(self.id, conversation_id, true);
    }

    pub fn unsubscribe(&self, conversation_id: i64) {
        self.hub.unsubscribe(self.id, conversation_id);
    }
}

fn remove_from(index: &mut HashMap<i64, HashSet<u64>>, key: i64, id: u64) {
    if let Some(set) = index.get_mut(&key) {
        set.remove(&id);
        if set.is_empty() {
            index.remove(&key);
        }
    }
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Registry updates are single inserts/removes; a panic cannot leave it half-done.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many sockets are connected to this node.
    pub fn connection_count(&self) -> usize {
        self.lock().connections.len()
    }

    pub fn register(self: &Arc<Self>, principal: Principal) -> Subscriber {
        let (sender, receiver) = mpsc::channel(SOCKET_QUEUE);
        let lag = Arc::new(Lag::default());
        let mut registry = self.lock();
        registry.next_id += 1;
        let id = registry.next_id;
        match principal {
            Principal::Learner { contact_id } => registry.by_contact.entry(contact_id).or_default().insert(id),
            Principal::Staff(staff) => registry.by_user.entry(staff.user_id).or_default().insert(id),
        };
        registry.connections.insert(id, Connection { principal, sender, lag: lag.clone(), subscriptions: HashSet::new(), collaborations: HashSet::new() });
        Subscriber { id, receiver, lag, hub: self.clone() }
    }

    fn subscribe(&self, id: u64, conversation_id: i64, as_collaborator: bool) {
        let mut registry = self.lock();
        if let Some(connection) = registry.connections.get_mut(&id) {
            connection.subscriptions.insert(conversation_id);
            if as_collaborator && matches!(connection.principal, Principal::Staff(_)) {
                connection.collaborations.insert(conversation_id);
            }
            registry.by_conversation.entry(conversation_id).or_default().insert(id);
        }
    }

    fn unsubscribe(&self, id: u64, conversation_id: i64) {
        let mut registry = self.lock();
        if let Some(connection) = registry.connections.get_mut(&id) {
            connection.subscriptions.remove(&conversation_id);
            connection.collaborations.remove(&conversation_id);
        }
        remove_from(&mut registry.by_conversation, conversation_id, id);
    }

    fn unregister(&self, id: u64) {
        let mut registry = self.lock();
        let Some(connection) = registry.connections.remove(&id) else { return };
        for conversation_id in connection.subscriptions {
            remove_from(&mut registry.by_conversation, conversation_id, id);
        }
        match connection.principal {
            Principal::Learner { contact_id } => remove_from(&mut registry.by_contact, contact_id, id),
            Principal::Staff(staff) => remove_from(&mut registry.by_user, staff.user_id, id),
        }
    }

    /// Makes every socket on this node refill what it follows from the database: events
    /// may have been lost on the way (the bus between nodes was down or overflowed), and a
    /// lost event is found otherwise only when a later message in the same conversation
    /// arrives.
    pub fn resync_all(&self) {
        for connection in self.lock().connections.values() {
            connection.lag.mark();
        }
    }

    /// Hands an event to every local socket that may see it.
    pub fn dispatch(&self, event: Event) {
        let frame = event.client_frame().to_string();
        let route = *event.route();
        let delivery = Arc::new(Delivery { event, frame });
        let registry = self.lock();
        let mut recipients: HashSet<u64> = HashSet::new();
        let for_learner = match &delivery.event {
            Event::Message { message, .. } => !message.internal,
            Event::Call { .. } => false,
            Event::Signal { to, .. } => to.kind == "contact",
            _ => true,
        };
        if for_learner && let Some(ids) = registry.by_contact.get(&route.contact_id) {
            recipients.extend(ids);
        }
        match &delivery.event {
            // A call's signals go to one participant only: the learner (above) or one agent.
            Event::Signal { to, .. } => {
                if to.kind == "agent"
                    && let Some(ids) = registry.by_user.get(&to.id)
                {
                    recipients.extend(ids);
                }
            }
            Event::Conversation { .. } | Event::Call { .. } | Event::MediaCall { .. } => {
                // Every staff socket's inbox that may see the conversation, and collaborators
                // following it.
                for (id, connection) in &registry.connections {
                    let staff = matches!(connection.principal, Principal::Staff(_));
                    if staff
                        && (connection.principal.conversation_access(&route.scope()) == Access::Staff
                            || connection.collaborations.contains(&route.conversation_id))
                    {
                        recipients.insert(*id);
                    }
                }
            }
            Event::Message { .. } | Event::Typing { .. } | Event::Read { .. } | Event::Board { .. } => {
                if let Some(ids) = registry.by_conversation.get(&route.conversation_id) {
                    recipients.extend(ids);
                }
                if let Some(ids) = route.assignee_id.and_then(|user| registry.by_user.get(&user)) {
                    recipients.extend(ids);
                }
            }
        }
        for id in recipients {
            let Some(connection) = registry.connections.get(&id) else { continue };
            // Subscriptions were access-checked when made, but access can change (a
            // reassignment); check again so a socket never gets what it may no longer see.
            match connection.principal.conversation_access(&route.scope()) {
                Access::Hidden => continue,
                Access::Forbidden if !connection.collaborations.contains(&route.conversation_id) => continue,
                _ => {}
            }
            // A learner may follow the conversation itself (a subscription), not only their
            // contact: internal notes and call pop-ups stay off every learner socket.
            if !for_learner && matches!(connection.principal, Principal::Learner { .. }) {
                continue;
            }
            if connection.sender.try_send(delivery.clone()).is_err() {
                connection.lag.mark();
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use edudesk_core::{AuthorKind, Role, StaffPrincipal, Tier};

    use super::*;
    use crate::{realtime::Route, store::messages::Message};

    pub(crate) fn message_event(conversation_id: i64, contact_id: i64, seq: i64, internal: bool) -> Event {
        let message = Message {
            id: seq,
            conversation_id,
            seq,
            author_kind: AuthorKind::Agent,
            author_user_id: Some(1),
            author_contact_id: None,
            body: "hi".into(),
            internal,
            client_id: format!("c{seq}"),
            created_at: chrono::Utc::now(),
            attachment_id: None,
            author_name: None,
        };
        Event::Message { route: Route { conversation_id, contact_id, tier: Tier::TWO, assignee_id: None }, message }
    }

    #[tokio::test]
    async fn learners_get_their_own_public_messages_only() {
        let hub = Arc::new(Hub::default());
        let mut owner = hub.register(Principal::Learner { contact_id: 7 });
        let mut other = hub.register(Principal::Learner { contact_id: 8 });
        hub.dispatch(message_event(1, 7, 1, false));
        hub.dispatch(message_event(1, 7, 2, true));
        assert_eq!(owner.receiver.recv().await.map(|d| d.frame.contains("\"seq\":1")), Some(true));
        assert!(owner.receiver.try_recv().is_err(), "internal notes never reach learners");
        assert!(other.receiver.try_recv().is_err());
    }

    #[tokio::test]
    async fn staff_get_subscribed_conversations_within_their_access() {
        let hub = Arc::new(Hub::default());
        let mut t2 = hub.register(Principal::Staff(StaffPrincipal { user_id: 2, role: Role::Agent, tier: Tier::TWO }));
        let mut t1 = hub.register(Principal::Staff(StaffPrincipal { user_id: 1, role: Role::Agent, tier: Tier::ONE }));
        t2.subscribe(1);
        t1.subscribe(1);
        hub.dispatch(message_event(1, 7, 1, true));
        assert!(t2.receiver.recv().await.is_some());
        assert!(t1.receiver.try_recv().is_err(), "a tier 1 agent does not get tier 2 traffic");
        drop(t2);
        assert_eq!(hub.connection_count(), 1);
    }

    #[tokio::test]
    async fn a_collaborator_gets_the_conversation_it_follows_outside_its_tier() {
        let hub = Arc::new(Hub::default());
        let mut finance = hub.register(Principal::Staff(StaffPrincipal { user_id: 5, role: Role::Agent, tier: Tier::ONE }));
        let mut other = hub.register(Principal::Staff(StaffPrincipal { user_id: 6, role: Role::Agent, tier: Tier::ONE }));
        finance.subscribe_as_collaborator(1);
        other.subscribe(1);
        hub.dispatch(message_event(1, 7, 1, true));
        assert!(finance.receiver.recv().await.is_some(), "the collaborator follows the tier 2 conversation");
        assert!(other.receiver.try_recv().is_err(), "a plain subscription outside the tier gets nothing");
        finance.unsubscribe(1);
        hub.dispatch(message_event(1, 7, 2, true));
        assert!(finance.receiver.try_recv().is_err(), "unsubscribed: nothing more");
    }

    #[tokio::test]
    async fn resync_all_asks_every_socket_to_refill() {
        let hub = Arc::new(Hub::default());
        let learner = hub.register(Principal::Learner { contact_id: 7 });
        let agent = hub.register(Principal::Staff(StaffPrincipal { user_id: 5, role: Role::Agent, tier: Tier::ONE }));
        hub.resync_all();
        for socket in [&learner, &agent] {
            tokio::time::timeout(std::time::Duration::from_secs(1), socket.lag.wait()).await.unwrap_or_else(|_| panic!("every socket resyncs"));
        }
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_marks_lag_instead_of_growing() {
        let hub = Arc::new(Hub::default());
        let learner = hub.register(Principal::Learner { contact_id: 7 });
        for seq in 1..=(SOCKET_QUEUE as i64 + 10) {
            hub.dispatch(message_event(1, 7, seq, false));
        }
        assert_eq!(learner.receiver.len(), SOCKET_QUEUE);
        tokio::time::timeout(std::time::Duration::from_secs(1), learner.lag.wait()).await.unwrap_or_else(|_| panic!("lag was signalled"));
    }
}
