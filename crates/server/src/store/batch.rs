//! The batch commit behind the message writer (`services::writer`): a batch of messages
//! costs a handful of statements whatever its size (see [`commit`]), and access and status
//! are checked inside the write transaction with the rules of `edudesk_core`, so the check
//! is atomic with the write and costs no extra read per message.
//!
//! One message's failure never fails its neighbours: refusals (unknown, forbidden or
//! closed conversation) write nothing for that message.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, LazyLock},
};

use edudesk_core::{Access, ConversationScope, EventKind, Principal, Priority, Status, Tier, lifecycle, sla::SlaPolicy};
use serde_json::json;
use sqlx::FromRow;

use super::error::{StoreError, StoreResult};
use super::{
    Store,
    events::{self},
    messages::{Author, MESSAGE_COLUMNS, Message, MessageRow},
    now_ms, to_utc,
};

/// A message to append. `on_behalf_of` is checked against the conversation inside the
/// write; `None` is for the system itself (bot, automations), which may write anywhere.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub conversation_id: i64,
    pub author: Author,
    pub on_behalf_of: Option<Principal>,
    pub body: String,
    pub internal: bool,
    pub client_id: String,
    /// An image already uploaded to this conversation by this author.
    pub attachment_id: Option<i64>,
}

/// The stored message, and whether it was already there (same `client_id` sent before).
#[derive(Debug, Clone)]
pub struct Appended {
    pub message: Message,
    pub replayed: bool,
    /// Who may see the conversation (for realtime delivery).
    pub scope: ConversationScope,
    /// Whether the bot was handling the conversation at the commit, and the channel account
    /// replies go out through: what follows a message needs no read of its own to know.
    pub bot_active: bool,
    pub channel_account: Option<String>,
}

/// The outcome of one batch transaction: each message's, and the conversations a
/// learner's message reopened.
pub struct Committed {
    pub outcomes: Vec<StoreResult<Appended>>,
    pub reopened: Vec<i64>,
}

/// What became of one message of a batch while the batch is being written.
enum Pending {
    Done(Box<StoreResult<Appended>>),
    /// Same conversation and client id as an earlier message of this batch.
    SameAs(usize),
    /// A sequence number is allocated; the row is inserted with the batch.
    Insert(i64),
}

/// A conversation's state as the batch changes it, written back once per batch.
#[derive(FromRow)]
struct ConversationState {
    id: i64,
    contact_id: i64,
    tier: i64,
    assignee_id: Option<i64>,
    status: String,
    last_seq: i64,
    resolved_at: Option<i64>,
    first_response_at: Option<i64>,
    created_at: i64,
    priority: String,
    pending_since: Option<i64>,
    sla_paused_minutes: i64,
    resolution_due_at: Option<i64>,
    sla_warned: String,
    sla_breached: String,
    bot_active: i64,
    channel_account: Option<String>,
}

impl ConversationState {
    fn appended(&self, message: Message, replayed: bool) -> Appended {
        Appended { message, replayed, scope: self.scope(), bot_active: self.bot_active != 0, channel_account: self.channel_account.clone() }
    }

    /// The learner answered a pending conversation: the SLA clocks run again, and the
    /// time waited on them extends the resolution target.
    fn resume_sla(&mut self, sla: &SlaPolicy, now: i64) {
        let Some(since) = self.pending_since.take() else { return };
        self.sla_paused_minutes += sla.calendar.business_minutes_between(to_utc(since), to_utc(now));
        let tier = Tier::new(self.tier).unwrap_or(Tier::ONE);
        let priority = Priority::parse(&self.priority).unwrap_or(Priority::Normal);
        let due = sla.due_times(to_utc(self.created_at), tier, priority, self.sla_paused_minutes);
        let resolution_due = due.resolution.timestamp_millis();
        self.resolution_due_at = Some(resolution_due);
        // A resolution target due in the future again is watched afresh.
        let keep = |flags: &str| {
            let flags: Vec<String> = flags.split(',').filter(|flag| !flag.is_empty()).map(str::to_owned).collect();
            super::conversations::flags_still_due(&flags, i64::MIN, resolution_due, now)
        };
        self.sla_warned = keep(&self.sla_warned);
        self.sla_breached = keep(&self.sla_breached);
    }

    fn scope(&self) -> ConversationScope {
        // An invalid tier cannot pass the schema's CHECK; treat it as the most restricted.
        ConversationScope { contact_id: self.contact_id, tier: Tier::new(self.tier).unwrap_or(Tier::THREE), assignee_id: self.assignee_id }
    }
}

const REUSED_CLIENT_ID: &str = "client_id: already used by another author in this conversation";

/// Appends `messages` in one transaction. The outer error aborts the whole batch; an
/// inner error refuses one message and writes nothing for it.
///
/// Whatever the batch size, this is a handful of statements, each with the same text
/// whatever the size (the batch travels as JSON arrays): find resent client ids, read (and
/// on PostgreSQL lock) the conversations, write their new sequence numbers and states back
/// and insert the messages (one statement on PostgreSQL, an `UPDATE` and an `INSERT` on
/// SQLite).
/// On SQLite the whole transaction runs in one call on the message writer's own
/// connection ([`super::sqlite_writer`]), while this node's other writes wait for the
/// write pool's connection, held here.
pub async fn commit(store: &Store, sla: &Arc<SlaPolicy>, messages: &[&NewMessage]) -> StoreResult<Committed> {
    if let Some(writer) = &store.sqlite_writer {
        let mut exclusive = store.write.acquire().await?;
        let messages: Vec<NewMessage> = messages.iter().map(|new| (*new).clone()).collect();
        let sla = Arc::clone(sla);
        return writer.run(&mut exclusive, move |connection| sqlite::commit(connection, &sla, &messages)).await?;
    }
    let now = now_ms();
    let mut tx = store.write.begin().await?;
    let (mut existing, mut conversations) = read_batch_state(&mut tx, messages).await?;
    let Planned { pending, reopened } = plan(messages, &mut existing, &mut conversations, sla, now);
    let inserts = inserts(messages, &pending, now);
    let changed = changed(&conversations, &inserts);
    let reopened_ids: Vec<i64> = reopened.iter().map(|(id, ..)| *id).collect();
    for (conversation_id, from, to, author) in reopened {
        events::append(&mut tx, conversation_id, EventKind::StatusChanged, author.actor(), reopened_event(from, to), now).await?;
    }
    let ids = write_batch(&mut tx, &changed, &inserts, now).await?;
    tx.commit().await?;
    Ok(Committed { outcomes: outcomes(messages, pending, &ids, &conversations, now), reopened: reopened_ids })
}

/// What the batch does to each message, decided on the state read inside its transaction,
/// and the conversations a learner's message reopened (id, from, to, by whom).
struct Planned {
    pending: Vec<Pending>,
    reopened: Vec<(i64, Status, Status, Author)>,
}

/// Decides each message of the batch against its conversation's state and the messages
/// already stored, and moves the conversations' state on (sequence numbers, first
/// response, reopening). Writes nothing.
fn plan(messages: &[&NewMessage], existing: &mut ExistingMessages, conversations: &mut HashMap<i64, ConversationState>, sla: &SlaPolicy, now: i64) -> Planned {
    let mut first_of: HashMap<(i64, &str), usize> = HashMap::new();
    let mut pending = Vec::with_capacity(messages.len());
    let mut reopened = Vec::new();
    for (index, new) in messages.iter().enumerate() {
        let key = (new.conversation_id, new.client_id.as_str());
        if let Some(first) = first_of.get(&key) {
            pending.push(Pending::SameAs(*first));
            continue;
        }
        first_of.insert(key, index);
        let Some(conversation) = conversations.get_mut(&new.conversation_id) else {
            pending.push(Pending::Done(Box::new(Err(StoreError::not_found("conversation")))));
            continue;
        };
        let access = new.on_behalf_of.map_or(Access::Staff, |principal| principal.conversation_access(&conversation.scope()));
        let status = Status::parse(&conversation.status).unwrap_or(Status::Closed);
        let outcome = match (access, existing.remove(&(new.conversation_id, new.client_id.clone()))) {
            (Access::Hidden, _) => Err(StoreError::not_found("conversation")),
            (Access::Forbidden, _) => Err(StoreError::Forbidden("this conversation is outside your tier and not assigned to you".to_owned())),
            (_, Some(message)) if message_is_by(&message, new.author) => Ok(conversation.appended(message, true)),
            (_, Some(_)) => Err(StoreError::Conflict(REUSED_CLIENT_ID.to_owned())),
            (_, None) if status == Status::Closed => Err(StoreError::Conflict("the conversation is closed; start a new one".to_owned())),
            (_, None) => {
                conversation.last_seq += 1;
                // The first public reply of a human agent is the conversation's first response.
                if matches!(new.author, Author::Agent(_)) && !new.internal && conversation.first_response_at.is_none() {
                    conversation.first_response_at = Some(now);
                }
                if let Author::Contact(_) = new.author
                    && let Some(to) = lifecycle::on_learner_message(status)
                {
                    conversation.status = to.as_str().to_owned();
                    conversation.resolved_at = None;
                    conversation.resume_sla(sla, now);
                    reopened.push((new.conversation_id, status, to, new.author));
                }
                pending.push(Pending::Insert(conversation.last_seq));
                continue;
            }
        };
        pending.push(Pending::Done(Box::new(outcome)));
    }
    Planned { pending, reopened }
}

/// The messages to insert, with their sequence numbers and the batch's time.
fn inserts<'m>(messages: &[&'m NewMessage], pending: &[Pending], now: i64) -> Vec<(&'m NewMessage, i64, i64)> {
    messages.iter().zip(pending).filter_map(|(new, p)| if let Pending::Insert(seq) = p { Some((*new, *seq, now)) } else { None }).collect()
}

/// The conversations whose state the batch changed (those it inserts messages into).
fn changed<'c>(conversations: &'c HashMap<i64, ConversationState>, inserts: &[(&NewMessage, i64, i64)]) -> Vec<&'c ConversationState> {
    let touched: HashSet<i64> = inserts.iter().map(|(new, ..)| new.conversation_id).collect();
    conversations.values().filter(|c| touched.contains(&c.id)).collect()
}

/// The event a learner's message that reopened a conversation leaves in its log.
fn reopened_event(from: Status, to: Status) -> serde_json::Value {
    json!({"from": from, "to": to, "reopened": from == Status::Resolved, "reason": "learner_message"})
}

/// Each message's outcome once the batch is committed, in the order of `messages`.
fn outcomes(
    messages: &[&NewMessage],
    pending: Vec<Pending>,
    ids: &HashMap<(i64, String), i64>,
    conversations: &HashMap<i64, ConversationState>,
    now: i64,
) -> Vec<StoreResult<Appended>> {
    let mut outcomes: Vec<StoreResult<Appended>> = Vec::with_capacity(messages.len());
    for (new, state) in messages.iter().zip(pending) {
        let outcome = match state {
            Pending::Done(outcome) => *outcome,
            Pending::SameAs(first) => match &outcomes[first] {
                Ok(appended) if message_is_by(&appended.message, new.author) => Ok(Appended { replayed: true, ..appended.clone() }),
                Ok(_) => Err(StoreError::Conflict(REUSED_CLIENT_ID.to_owned())),
                Err(error) => Err(StoreError::Conflict(format!("an identical message in the same batch was refused: {error}"))),
            },
            Pending::Insert(seq) => match (ids.get(&(new.conversation_id, new.client_id.clone())), conversations.get(&new.conversation_id)) {
                (Some(id), Some(conversation)) => Ok(conversation.appended(stored(new, *id, seq, now), false)),
                _ => Err(StoreError::Internal(anyhow::anyhow!("an inserted message was not returned"))),
            },
        };
        outcomes.push(outcome);
    }
    outcomes
}

fn message_is_by(message: &Message, author: Author) -> bool {
    let actor = author.actor();
    message.author_kind == author.kind() && message.author_user_id == actor.user_id && message.author_contact_id == actor.contact_id
}

fn stored(new: &NewMessage, id: i64, seq: i64, now: i64) -> Message {
    let actor = new.author.actor();
    Message {
        id,
        conversation_id: new.conversation_id,
        seq,
        author_kind: new.author.kind(),
        author_user_id: actor.user_id,
        author_contact_id: actor.contact_id,
        body: new.body.clone(),
        internal: new.internal,
        client_id: new.client_id.clone(),
        created_at: to_utc(now),
        attachment_id: new.attachment_id,
        author_name: None,
    }
}

type ExistingMessages = HashMap<(i64, String), Message>;

// PostgreSQL's statements take the batch as JSON arrays, like SQLite's (see [`sqlite`]): one
// text whatever the batch size, so each is prepared once per connection and then runs on its
// cached generic plan. Texts built per size (`VALUES ($1, $2), ($3, $4)...`) were a new
// statement for nearly every batch: more distinct texts than sqlx's statement cache holds,
// so most batches paid a parse, a plan and an extra round trip per statement.
//
// A generic plan is made once, from the table sizes of that moment, and PostgreSQL cannot see
// how many rows a JSON array holds (it assumes 100). So the reads look each row up through a
// `LATERAL` subquery, which can only be planned as one index lookup per row: a join left to
// the planner was frozen as a scan of the whole `messages` table, made while it was small.

/// The message stored under one (conversation, client id) `pair` of a JSON array, as the
/// tail of a `LATERAL` subquery (PostgreSQL). `LIMIT 1` (the pair is unique) keeps it a
/// lookup per pair.
const POSTGRES_STORED_PAIR: &str = "FROM messages WHERE conversation_id = (pair.value ->> 0)::bigint AND client_id = pair.value ->> 1 LIMIT 1";

/// Messages stored under the (conversation, client id) pairs of a JSON array (PostgreSQL).
static POSTGRES_EXISTING: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT m.* FROM jsonb_array_elements($1::jsonb) AS pair CROSS JOIN LATERAL (SELECT {MESSAGE_COLUMNS} {POSTGRES_STORED_PAIR}) AS m")
});

/// The state of the conversations of a JSON array of ids (`$2`), locked one by one in the
/// array's order (ascending, see [`conversation_ids_json`], so batches never deadlock), and
/// on each row whether any of the (conversation, client id) pairs of `$1` is already stored
/// (`resent`): only then are those messages read ([`POSTGRES_EXISTING`]), so a batch without
/// resent messages costs one read (PostgreSQL).
static POSTGRES_STATES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT c.*, EXISTS (
                SELECT 1 FROM jsonb_array_elements($1::jsonb) AS pair CROSS JOIN LATERAL (SELECT 1 {POSTGRES_STORED_PAIR}) AS m) AS resent
         FROM jsonb_array_elements_text($2::jsonb) AS conversation CROSS JOIN LATERAL (
            SELECT {STATE_COLUMNS} FROM conversations WHERE id = conversation.value::bigint FOR UPDATE) AS c"
    )
});

/// The rows of [`messages_json`] as a relation (PostgreSQL).
const POSTGRES_MESSAGE_ROWS: &str =
    "SELECT (value ->> 0)::bigint, (value ->> 1)::bigint, value ->> 2, (value ->> 3)::bigint, (value ->> 4)::bigint, value ->> 5,
            (value ->> 6)::bigint, value ->> 7, (value ->> 8)::bigint, (value ->> 9)::bigint FROM jsonb_array_elements";

/// Inserts the messages of a JSON array of rows ([`messages_json`]) on PostgreSQL, returning
/// their ids by (conversation, client id).
static POSTGRES_INSERT_MESSAGES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO messages (conversation_id, seq, author_kind, author_user_id, author_contact_id, body, internal, client_id, created_at, attachment_id)
         {POSTGRES_MESSAGE_ROWS}($1::jsonb) RETURNING id, conversation_id, client_id"
    )
});

/// Writes the batch on PostgreSQL in one statement: the conversations' new states (a JSON
/// array of [`states_json`] rows, `$2`) and their messages (`$3`, as
/// [`POSTGRES_INSERT_MESSAGES`]), returning the messages' ids.
static POSTGRES_WRITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH written AS (
            UPDATE conversations SET last_seq = u.last_seq, status = u.status, resolved_at = u.resolved_at, first_response_at = u.first_response_at,
                updated_at = $1, pending_since = u.pending_since, sla_paused_minutes = u.sla_paused_minutes,
                resolution_due_at = u.resolution_due_at, sla_warned = u.sla_warned, sla_breached = u.sla_breached
            FROM (SELECT (value ->> 0)::bigint AS id, (value ->> 1)::bigint AS last_seq, value ->> 2 AS status, (value ->> 3)::bigint AS resolved_at,
                         (value ->> 4)::bigint AS first_response_at, (value ->> 5)::bigint AS pending_since,
                         (value ->> 6)::bigint AS sla_paused_minutes, (value ->> 7)::bigint AS resolution_due_at,
                         value ->> 8 AS sla_warned, value ->> 9 AS sla_breached FROM jsonb_array_elements($2::jsonb)) AS u
            WHERE conversations.id = u.id)
         INSERT INTO messages (conversation_id, seq, author_kind, author_user_id, author_contact_id, body, internal, client_id, created_at, attachment_id)
         {POSTGRES_MESSAGE_ROWS}($3::jsonb) RETURNING id, conversation_id, client_id"
    )
});

/// The batch's (conversation, client id) pairs as a JSON array.
fn pairs_json(messages: &[&NewMessage]) -> String {
    serde_json::Value::from(messages.iter().map(|new| json!([new.conversation_id, new.client_id])).collect::<Vec<_>>()).to_string()
}

/// The batch's conversations, each once, as a JSON array of ids in ascending order.
fn conversation_ids_json(messages: &[&NewMessage]) -> String {
    let mut ids: Vec<i64> = messages.iter().map(|new| new.conversation_id).collect();
    ids.sort_unstable();
    ids.dedup();
    serde_json::Value::from(ids).to_string()
}

/// Conversations' new states as the JSON array of rows both backends' write-backs read.
fn states_json(changed: &[&ConversationState]) -> String {
    let states: Vec<serde_json::Value> = changed
        .iter()
        .map(|c| {
            json!([
                c.id,
                c.last_seq,
                c.status,
                c.resolved_at,
                c.first_response_at,
                c.pending_since,
                c.sla_paused_minutes,
                c.resolution_due_at,
                c.sla_warned,
                c.sla_breached
            ])
        })
        .collect();
    serde_json::Value::from(states).to_string()
}

/// Reads what the batch needs on PostgreSQL: the messages already stored under its
/// (conversation, client id) pairs, and the state of its conversations, locked. Its writers
/// run several batches at once, each its own transaction (SQLite's batch runs in
/// [`sqlite::commit`]).
async fn read_batch_state(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    messages: &[&NewMessage],
) -> StoreResult<(ExistingMessages, HashMap<i64, ConversationState>)> {
    use sqlx::Row;
    let pairs = pairs_json(messages);
    let mut states = HashMap::new();
    let mut resent = false;
    for row in sqlx::query(&POSTGRES_STATES).bind(&pairs).bind(conversation_ids_json(messages)).fetch_all(&mut **tx).await? {
        resent |= row.try_get::<bool, _>("resent")?;
        let state = ConversationState::from_row(&row)?;
        states.insert(state.id, state);
    }
    let mut existing = HashMap::new();
    if resent {
        for row in sqlx::query(&POSTGRES_EXISTING).bind(pairs).fetch_all(&mut **tx).await? {
            let message = Message::try_from(MessageRow::from_row(&row)?)?;
            existing.insert((message.conversation_id, message.client_id.clone()), message);
        }
    }
    Ok((existing, states))
}

/// Writes the batch on PostgreSQL: the conversations' new sequence numbers and states, and
/// the messages with them, in one statement; returns the messages' ids by (conversation,
/// client id). `changed` holds exactly the conversations of `inserts`.
async fn write_batch(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    changed: &[&ConversationState],
    inserts: &[(&NewMessage, i64, i64)],
    now: i64,
) -> StoreResult<HashMap<(i64, String), i64>> {
    if inserts.is_empty() {
        return Ok(HashMap::new());
    }
    let query = sqlx::query(&POSTGRES_WRITE).bind(now).bind(states_json(changed)).bind(messages_json(inserts));
    message_ids(query.fetch_all(&mut **tx).await?)
}

/// The ids of inserted messages by (conversation, client id), from their `RETURNING` rows.
fn message_ids(rows: Vec<sqlx::any::AnyRow>) -> StoreResult<HashMap<(i64, String), i64>> {
    use sqlx::Row;
    let mut ids = HashMap::with_capacity(rows.len());
    for row in rows {
        ids.insert((row.try_get("conversation_id")?, row.try_get("client_id")?), row.try_get("id")?);
    }
    Ok(ids)
}

/// The columns of [`ConversationState`].
const STATE_COLUMNS: &str = "id, contact_id, tier, assignee_id, status, last_seq, resolved_at, first_response_at, created_at, priority, pending_since, \
     sla_paused_minutes, resolution_due_at, sla_warned, sla_breached, bot_active, channel_account";

/// Inserts the messages of a JSON array of rows ([`messages_json`]) on SQLite, returning
/// their ids by (conversation, client id): one text whatever the number of rows.
const SQLITE_INSERT_MESSAGES: &str =
    "INSERT INTO messages (conversation_id, seq, author_kind, author_user_id, author_contact_id, body, internal, client_id, created_at, attachment_id)
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9 FROM json_each(?)
     RETURNING id, conversation_id, client_id";

/// Messages with their sequence numbers and times as the JSON array of rows that
/// [`SQLITE_INSERT_MESSAGES`] and [`POSTGRES_INSERT_MESSAGES`] read, in their column order.
fn messages_json(rows: &[(&NewMessage, i64, i64)]) -> String {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|(new, seq, at)| {
            let actor = new.author.actor();
            json!([
                new.conversation_id,
                seq,
                new.author.kind().as_str(),
                actor.user_id,
                actor.contact_id,
                new.body,
                i64::from(new.internal),
                new.client_id,
                at,
                new.attachment_id
            ])
        })
        .collect();
    serde_json::Value::from(rows).to_string()
}

/// Inserts messages with allocated sequence numbers and their times (UTC ms); returns their
/// ids by (conversation, client id).
pub(super) async fn insert_messages(tx: &mut sqlx::Transaction<'_, sqlx::Any>, rows: &[(&NewMessage, i64, i64)]) -> StoreResult<HashMap<(i64, String), i64>> {
    let sql = if tx.backend_name() == "SQLite" { SQLITE_INSERT_MESSAGES } else { POSTGRES_INSERT_MESSAGES.as_str() };
    message_ids(sqlx::query(sql).bind(messages_json(rows)).fetch_all(&mut **tx).await?)
}

/// The batch commit on SQLite, run in one call on the message writer's own connection
/// ([`super::sqlite_writer`]): the same plan as on PostgreSQL, with the batch passed as JSON
/// arrays read with `json_each`, so each statement's text is the same whatever the batch size
/// (prepared once, cached) and binds one or two parameters instead of up to a thousand.
mod sqlite {
    use rusqlite::{Connection, TransactionBehavior, params};

    use super::*;

    /// Messages stored under the (conversation, client id) pairs of a JSON array.
    static EXISTING: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id IN (SELECT m.id FROM json_each(?1) AS j CROSS JOIN messages AS m
                ON m.conversation_id = j.value ->> 0 AND m.client_id = j.value ->> 1)"
        )
    });

    /// The state of the conversations of a JSON array of ids.
    static STATES: LazyLock<String> = LazyLock::new(|| format!("SELECT {STATE_COLUMNS} FROM conversations WHERE id IN (SELECT value FROM json_each(?1))"));

    /// Writes conversations' new states back from a JSON array of rows (see [`write_batch`]).
    const WRITE_BACK: &str =
        "UPDATE conversations SET last_seq = u.last_seq, status = u.status, resolved_at = u.resolved_at, first_response_at = u.first_response_at,
            updated_at = ?1, pending_since = u.pending_since, sla_paused_minutes = u.sla_paused_minutes,
            resolution_due_at = u.resolution_due_at, sla_warned = u.sla_warned, sla_breached = u.sla_breached
         FROM (SELECT value ->> 0 AS id, value ->> 1 AS last_seq, value ->> 2 AS status, value ->> 3 AS resolved_at,
                      value ->> 4 AS first_response_at, value ->> 5 AS pending_since, value ->> 6 AS sla_paused_minutes,
                      value ->> 7 AS resolution_due_at, value ->> 8 AS sla_warned, value ->> 9 AS sla_breached FROM json_each(?2)) AS u
         WHERE conversations.id = u.id";

    /// [`super::commit`] on SQLite. `BEGIN IMMEDIATE` takes the write lock before the reads,
    /// so the state read is the state written over (this node's other writes wait for the
    /// write pool's connection, which the caller holds; another process waits on the lock).
    pub(super) fn commit(connection: &mut Connection, sla: &SlaPolicy, messages: &[NewMessage]) -> StoreResult<Committed> {
        let messages: Vec<&NewMessage> = messages.iter().collect();
        let now = now_ms();
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (mut existing, mut conversations) = read_batch_state(&tx, &messages)?;
        let Planned { pending, reopened } = plan(&messages, &mut existing, &mut conversations, sla, now);
        let inserts = inserts(&messages, &pending, now);
        let changed = changed(&conversations, &inserts);
        let reopened_ids: Vec<i64> = reopened.iter().map(|(id, ..)| *id).collect();
        if !reopened.is_empty() {
            let mut append_event = tx.prepare_cached(events::INSERT_EVENT)?;
            for (conversation_id, from, to, author) in reopened {
                let actor = author.actor();
                let data = reopened_event(from, to).to_string();
                append_event.execute(params![conversation_id, EventKind::StatusChanged.as_str(), actor.user_id, actor.contact_id, data, now])?;
            }
        }
        let ids = write_batch(&tx, &changed, &inserts, now)?;
        tx.commit()?;
        Ok(Committed { outcomes: outcomes(&messages, pending, &ids, &conversations, now), reopened: reopened_ids })
    }

    fn read_batch_state(connection: &Connection, messages: &[&NewMessage]) -> StoreResult<(ExistingMessages, HashMap<i64, ConversationState>)> {
        let mut existing = HashMap::new();
        let mut statement = connection.prepare_cached(&EXISTING)?;
        let mut rows = statement.query([pairs_json(messages)])?;
        while let Some(row) = rows.next()? {
            let message = Message::try_from(MessageRow::from_sqlite(row)?)?;
            existing.insert((message.conversation_id, message.client_id.clone()), message);
        }
        let mut states = HashMap::new();
        let mut statement = connection.prepare_cached(&STATES)?;
        let mut rows = statement.query([conversation_ids_json(messages)])?;
        while let Some(row) = rows.next()? {
            let state = ConversationState::from_sqlite(row)?;
            states.insert(state.id, state);
        }
        Ok((existing, states))
    }

    /// The conversations' new states, then the messages; returns the messages' ids by
    /// (conversation, client id).
    fn write_batch(
        connection: &Connection,
        changed: &[&ConversationState],
        inserts: &[(&NewMessage, i64, i64)],
        now: i64,
    ) -> StoreResult<HashMap<(i64, String), i64>> {
        let mut ids = HashMap::new();
        if !changed.is_empty() {
            connection.prepare_cached(WRITE_BACK)?.execute(params![now, states_json(changed)])?;
        }
        if !inserts.is_empty() {
            let mut statement = connection.prepare_cached(SQLITE_INSERT_MESSAGES)?;
            let mut rows = statement.query([messages_json(inserts)])?;
            while let Some(row) = rows.next()? {
                ids.insert((row.get("conversation_id")?, row.get("client_id")?), row.get("id")?);
            }
        }
        Ok(ids)
    }

    impl ConversationState {
        fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationState> {
            Ok(ConversationState {
                id: row.get("id")?,
                contact_id: row.get("contact_id")?,
                tier: row.get("tier")?,
                assignee_id: row.get("assignee_id")?,
                status: row.get("status")?,
                last_seq: row.get("last_seq")?,
                resolved_at: row.get("resolved_at")?,
                first_response_at: row.get("first_response_at")?,
                created_at: row.get("created_at")?,
                priority: row.get("priority")?,
                pending_since: row.get("pending_since")?,
                sla_paused_minutes: row.get("sla_paused_minutes")?,
                resolution_due_at: row.get("resolution_due_at")?,
                sla_warned: row.get("sla_warned")?,
                sla_breached: row.get("sla_breached")?,
                bot_active: row.get("bot_active")?,
                channel_account: row.get("channel_account")?,
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// On SQLite a batch commits on the message writer's own connection. The node's other
    /// writes are sqlx transactions that read, then write; had a batch committed between
    /// their read and their write, SQLite would refuse the write ("database is locked": the
    /// snapshot was overtaken). Holding the write pool's connection during the batch is what
    /// keeps them apart.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn other_writes_are_never_overtaken_by_the_message_writer() {
        let dir = std::env::temp_dir().join(format!("edudesk-batch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::connect(&format!("sqlite://{}", dir.join("batch.db").display()), 2).await.unwrap();
        store.migrate().await.unwrap();
        let contact: i64 =
            sqlx::query_scalar("INSERT INTO contacts (created_at, updated_at) VALUES (0, 0) RETURNING id").fetch_one(&store.write).await.unwrap();
        let conversation: i64 = sqlx::query_scalar(
            "INSERT INTO conversations (contact_id, channel, status, priority, tier, created_at, updated_at, client_id)
             VALUES ($1, 'widget', 'open', 'normal', 1, 0, 0, 'first') RETURNING id",
        )
        .bind(contact)
        .fetch_one(&store.write)
        .await
        .unwrap();
        const ROUNDS: i64 = 200;
        let messages = {
            let store = store.clone();
            tokio::spawn(async move {
                let sla = Arc::new(SlaPolicy::default());
                for round in 0..ROUNDS {
                    let new = NewMessage {
                        conversation_id: conversation,
                        author: Author::Contact(contact),
                        on_behalf_of: None,
                        body: format!("message {round}"),
                        internal: false,
                        client_id: format!("m{round}"),
                        attachment_id: None,
                    };
                    let committed = commit(&store, &sla, &[&new]).await.unwrap();
                    assert!(committed.outcomes.iter().all(Result::is_ok));
                }
            })
        };
        for round in 0..ROUNDS {
            let mut tx = store.write.begin().await.unwrap();
            let _: Option<String> = sqlx::query_scalar("SELECT subject FROM conversations WHERE id = $1").bind(conversation).fetch_one(&mut *tx).await.unwrap();
            tokio::task::yield_now().await;
            sqlx::query("UPDATE conversations SET subject = $1 WHERE id = $2")
                .bind(format!("round {round}"))
                .bind(conversation)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        messages.await.unwrap();
        let last_seq: i64 = sqlx::query_scalar("SELECT last_seq FROM conversations WHERE id = $1").bind(conversation).fetch_one(&store.read).await.unwrap();
        let stored: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE conversation_id = $1").bind(conversation).fetch_one(&store.read).await.unwrap();
        assert_eq!((last_seq, stored), (ROUNDS, ROUNDS));
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// PostgreSQL plans a prepared statement once and keeps the plan: here (as on a fresh
    /// install) while the tables are nearly empty, when scanning a whole table looks cheapest.
    /// The batch's reads must still look their rows up by index, or every batch would scan
    /// `messages` once it has grown (what the replies benchmark found).
    #[tokio::test]
    async fn postgres_batch_reads_stay_index_lookups_in_plans_made_on_small_tables() {
        let Some(admin_url) = std::env::var("EDUDESK_TEST_POSTGRES_URL").ok().filter(|url| !url.is_empty()) else {
            eprintln!("skipped: set EDUDESK_TEST_POSTGRES_URL to run this test on PostgreSQL");
            return;
        };
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let name = format!("edudesk_plans_{}_{}", std::process::id(), now_ms());
        let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let store = Store::connect(&format!("{base}/{name}"), 2).await.unwrap();
        store.migrate().await.unwrap();
        // A thousand conversations with a message each: few enough that a scan of a table
        // looks cheaper than the hundred lookups PostgreSQL assumes a JSON array stands for.
        sqlx::raw_sql(
            "INSERT INTO contacts (created_at, updated_at) SELECT 0, 0 FROM generate_series(1, 1000);
             INSERT INTO conversations (contact_id, channel, status, priority, tier, created_at, updated_at, client_id)
                 SELECT id, 'widget', 'open', 'normal', 1, 0, 0, 'first' FROM contacts;
             INSERT INTO messages (conversation_id, seq, author_kind, author_contact_id, body, client_id, created_at)
                 SELECT id, 1, 'contact', contact_id, 'hello', 'm1', 0 FROM conversations;
             ANALYZE contacts, conversations, messages;",
        )
        .execute(&store.write)
        .await
        .unwrap();
        let mut connection = store.write.acquire().await.unwrap();
        sqlx::raw_sql("SET plan_cache_mode = force_generic_plan").execute(&mut *connection).await.unwrap();
        for (statement, sql, types, args) in
            [("existing", POSTGRES_EXISTING.as_str(), "text", "'[[1, \"m1\"]]'"), ("states", POSTGRES_STATES.as_str(), "text, text", "'[[1, \"m1\"]]', '[1]'")]
        {
            sqlx::raw_sql(&format!("PREPARE {statement} ({types}) AS {sql}")).execute(&mut *connection).await.unwrap();
            let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN EXECUTE {statement} ({args})")).fetch_all(&mut *connection).await.unwrap();
            let plan = plan.join("\n");
            assert!(!plan.contains("Seq Scan on messages") && !plan.contains("Seq Scan on conversations"), "{statement} scans a table:\n{plan}");
            assert!(plan.contains("Index"), "{statement} uses no index:\n{plan}");
        }
        drop(connection);
        store.close().await;
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();
    }
}
