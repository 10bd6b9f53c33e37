//! Conversations (tickets): creation with their first message, listing with filters,
//! and changes of status, priority, category and assignee with their events.

use edudesk_core::{Channel, ConversationScope, EventKind, Priority, Status, Tier, lifecycle, sla::SlaPolicy};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::{StoreError, StoreResult};
use super::{
    Backend, Store,
    events::{self, Actor},
    messages::{Author, Message},
    now_ms, to_utc,
};

/// A conversation (ticket) as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Conversation {
    pub id: i64,
    pub contact_id: i64,
    pub channel: Channel,
    pub subject: Option<String>,
    pub status: Status,
    pub priority: Priority,
    pub category: Option<String>,
    pub tier: Tier,
    pub assignee_id: Option<i64>,
    /// Sequence number of the latest message.
    pub last_seq: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub first_response_at: Option<chrono::DateTime<chrono::Utc>>,
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub sla: Sla,
    /// The SOP this conversation runs, if any.
    pub sop: Option<SopState>,
    /// The bot is answering it; it joins its tier's queue when the bot hands over.
    pub bot_active: bool,
    /// The course the learner was on when they asked (from the platform), if known.
    pub course: Option<String>,
}

impl Conversation {
    pub fn scope(&self) -> ConversationScope {
        ConversationScope { contact_id: self.contact_id, tier: self.tier, assignee_id: self.assignee_id }
    }
}

#[derive(FromRow)]
pub(super) struct ConversationRow {
    id: i64,
    contact_id: i64,
    channel: String,
    subject: Option<String>,
    status: String,
    priority: String,
    category: Option<String>,
    tier: i64,
    assignee_id: Option<i64>,
    last_seq: i64,
    created_at: i64,
    updated_at: i64,
    first_response_at: Option<i64>,
    resolved_at: Option<i64>,
    closed_at: Option<i64>,
    first_response_due_at: Option<i64>,
    resolution_due_at: Option<i64>,
    pending_since: Option<i64>,
    sla_paused_minutes: i64,
    sla_warned: String,
    sla_breached: String,
    sop_id: Option<String>,
    sop_version: Option<i64>,
    sop_progress: Option<String>,
    bot_active: i64,
    course: Option<String>,
}

pub(super) const CONVERSATION_COLUMNS: &str = "id, contact_id, channel, subject, status, priority, category, tier, assignee_id, last_seq, \
     created_at, updated_at, first_response_at, resolved_at, closed_at, first_response_due_at, resolution_due_at, pending_since, \
     sla_paused_minutes, sla_warned, sla_breached, sop_id, sop_version, sop_progress, bot_active, course";

/// The SOP a conversation runs and how far it got.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SopState {
    pub id: String,
    pub version: i64,
    /// The current step (none when finished).
    pub step: Option<String>,
    #[schema(value_type = Object)]
    pub answers: std::collections::BTreeMap<String, String>,
    pub completed: Vec<String>,
    pub visited: Vec<String>,
}

impl SopState {
    pub fn progress(&self) -> edudesk_core::sop::Progress {
        edudesk_core::sop::Progress { step: self.step.clone(), answers: self.answers.clone(), completed: self.completed.clone(), visited: self.visited.clone() }
    }
}

/// A conversation's SLA clocks.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Sla {
    pub first_response_due_at: Option<chrono::DateTime<chrono::Utc>>,
    pub resolution_due_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Targets already missed: `first_response`, `resolution`.
    pub breached: Vec<String>,
    /// Targets warned about before their breach.
    pub warned: Vec<String>,
    /// The clocks are paused while waiting on the learner (`pending`).
    pub paused: bool,
    /// Since when, if paused.
    pub paused_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Business minutes spent waiting on the learner so far.
    pub paused_minutes: i64,
}

fn list(text: &str) -> Vec<String> {
    text.split(',').filter(|item| !item.is_empty()).map(str::to_owned).collect()
}

impl TryFrom<ConversationRow> for Conversation {
    type Error = StoreError;
    fn try_from(row: ConversationRow) -> StoreResult<Conversation> {
        let corrupt = |what: &str| StoreError::Internal(anyhow::anyhow!("conversation {} has an invalid {what} in the database", row.id));
        Ok(Conversation {
            id: row.id,
            contact_id: row.contact_id,
            channel: Channel::parse(&row.channel).ok_or_else(|| corrupt("channel"))?,
            subject: row.subject,
            status: Status::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            priority: Priority::parse(&row.priority).ok_or_else(|| corrupt("priority"))?,
            category: row.category,
            tier: Tier::new(row.tier).ok_or_else(|| corrupt("tier"))?,
            assignee_id: row.assignee_id,
            last_seq: row.last_seq,
            created_at: to_utc(row.created_at),
            updated_at: to_utc(row.updated_at),
            first_response_at: row.first_response_at.map(to_utc),
            resolved_at: row.resolved_at.map(to_utc),
            closed_at: row.closed_at.map(to_utc),
            sla: Sla {
                first_response_due_at: row.first_response_due_at.map(to_utc),
                resolution_due_at: row.resolution_due_at.map(to_utc),
                breached: list(&row.sla_breached),
                warned: list(&row.sla_warned),
                paused: row.pending_since.is_some(),
                paused_since: row.pending_since.map(to_utc),
                paused_minutes: row.sla_paused_minutes,
            },
            sop: match (row.sop_id, row.sop_version, row.sop_progress.as_deref().map(serde_json::from_str::<edudesk_core::sop::Progress>)) {
                (Some(id), Some(version), Some(Ok(progress))) => {
                    Some(SopState { id, version, step: progress.step, answers: progress.answers, completed: progress.completed, visited: progress.visited })
                }
                _ => None,
            },
            bot_active: row.bot_active != 0,
            course: row.course,
        })
    }
}

/// A new conversation with its first message.
#[derive(Debug, Clone)]
pub struct NewConversation {
    pub contact_id: i64,
    pub channel: Channel,
    pub subject: Option<String>,
    pub category: Option<String>,
    pub priority: Priority,
    pub tier: Tier,
    pub author: Author,
    pub body: String,
    pub client_id: String,
    /// When it opens (UTC ms): the start of its SLA clocks.
    pub at: i64,
    /// SLA due times (UTC ms) computed by the caller's policy from `at`.
    pub due: Option<(i64, i64)>,
    /// The bot answers first; the conversation joins a queue when it hands over.
    pub bot_active: bool,
    /// The course the learner was on (from the platform).
    pub course: Option<String>,
    /// The SOP of its category, offered from the start: (id, version, progress as JSON),
    /// written with the conversation (one transaction, not a second one after it).
    pub sop: Option<(String, i64, String)>,
}

/// Filters for listing conversations. `visible_to_tier`/`or_assignee` restrict an agent
/// to what they may work on.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub status: Option<Status>,
    pub tier: Option<Tier>,
    pub assignee: Option<AssigneeFilter>,
    pub contact_id: Option<i64>,
    pub max_tier: Option<(Tier, i64)>,
    pub before_id: Option<i64>,
    pub limit: i64,
    /// Words in the subject or any message (internal notes only when `search_internal`), or
    /// the conversation's number.
    pub text: Option<String>,
    pub search_internal: bool,
    pub channel: Option<Channel>,
    pub category: Option<String>,
    pub tag: Option<String>,
    pub sla: Option<SlaState>,
    /// Created at or after this UTC millisecond.
    pub created_from: Option<i64>,
    /// Created before this UTC millisecond.
    pub created_before: Option<i64>,
}

/// Where a conversation stands against its SLA clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Neither warned nor breached.
    Ok,
    /// A clock passed its warning point but none has breached.
    Warned,
    /// A clock breached.
    Breached,
}

impl SlaState {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "ok" => Some(Self::Ok),
            "warned" => Some(Self::Warned),
            "breached" => Some(Self::Breached),
            _ => None,
        }
    }
}

/// `value` as a LIKE pattern matching it anywhere, its own `%`, `_` and `\` taken literally.
fn contains_pattern(value: &str) -> String {
    let mut pattern = String::with_capacity(value.len() + 2);
    pattern.push('%');
    for c in value.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A value bound to a numbered placeholder of a query built from optional conditions.
enum Arg {
    Int(i64),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Nobody,
    User(i64),
}

/// Requested changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ConversationChanges {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    /// `Some(None)` unassigns.
    pub assignee_id: Option<Option<i64>>,
    pub category: Option<String>,
}

/// A conversation as the inbox lists it: who the learner is and what was said last.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationItem {
    #[serde(flatten)]
    pub conversation: Conversation,
    /// The learner's display name.
    pub contact_name: Option<String>,
    /// The latest public message, at most 120 characters.
    pub preview: Option<String>,
    /// The team's tags on it (staff only; left out when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl Store {
    /// Creates a conversation and its first message in one transaction. If the same
    /// contact already created a conversation with this `client_id`, that conversation
    /// and its first message are returned instead (`true` in the third field); a unique
    /// constraint makes this hold for concurrent requests too.
    pub async fn create_conversation(&self, new: &NewConversation) -> StoreResult<(Conversation, Message, bool)> {
        // A batch of one: the same statements, so there is one way to store an opening.
        self.create_conversations(&[new]).await?.pop().unwrap_or_else(|| Err(StoreError::Internal(anyhow::anyhow!("a batch of one answered nothing"))))
    }

    pub async fn conversation(&self, id: i64) -> StoreResult<Conversation> {
        sqlx::query_as::<_, ConversationRow>(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::not_found("conversation"))?
            .try_into()
    }

    /// Conversations matching `filter`, newest first.
    pub async fn conversations(&self, filter: &ConversationFilter) -> StoreResult<Vec<Conversation>> {
        // Each condition takes its values' placeholders in order; the values are bound in the
        // same order below.
        let mut conditions = Vec::new();
        let mut args = Vec::new();
        let mut arg = |value: Arg| {
            args.push(value);
            format!("${}", args.len())
        };
        if let Some(status) = filter.status {
            conditions.push(format!("status = {}", arg(Arg::Text(status.as_str().to_owned()))));
        }
        if let Some(tier) = filter.tier {
            conditions.push(format!("tier = {}", arg(Arg::Int(tier.level()))));
        }
        match filter.assignee {
            Some(AssigneeFilter::Nobody) => conditions.push("assignee_id IS NULL".to_owned()),
            Some(AssigneeFilter::User(user)) => conditions.push(format!("assignee_id = {}", arg(Arg::Int(user)))),
            None => {}
        }
        if let Some(contact_id) = filter.contact_id {
            conditions.push(format!("contact_id = {}", arg(Arg::Int(contact_id))));
        }
        if let Some((tier, user)) = filter.max_tier {
            let (tier, user) = (arg(Arg::Int(tier.level())), arg(Arg::Int(user)));
            conditions.push(format!("(tier <= {tier} OR assignee_id = {user})"));
        }
        if let Some(before_id) = filter.before_id {
            conditions.push(format!("id < {}", arg(Arg::Int(before_id))));
        }
        if let Some(text) = filter.text.as_deref() {
            let pattern = arg(Arg::Text(contains_pattern(text)));
            let internal = if filter.search_internal { "" } else { " AND m.internal = 0" };
            let number = text.trim().trim_start_matches('#').parse::<i64>().ok().map(|id| format!(" OR id = {}", arg(Arg::Int(id)))).unwrap_or_default();
            conditions.push(format!(
                "(lower(COALESCE(subject, '')) LIKE {pattern} ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id AND lower(m.body) LIKE {pattern} ESCAPE '\\'{internal}){number})"
            ));
        }
        if let Some(channel) = filter.channel {
            conditions.push(format!("channel = {}", arg(Arg::Text(channel.as_str().to_owned()))));
        }
        if let Some(category) = filter.category.as_deref() {
            conditions.push(format!("category = {}", arg(Arg::Text(category.to_owned()))));
        }
        if let Some(tag) = filter.tag.as_deref() {
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = conversations.id AND t.tag = {})",
                arg(Arg::Text(tag.to_owned()))
            ));
        }
        match filter.sla {
            Some(SlaState::Ok) => conditions.push("sla_warned = '' AND sla_breached = ''".to_owned()),
            Some(SlaState::Warned) => conditions.push("sla_warned <> '' AND sla_breached = ''".to_owned()),
            Some(SlaState::Breached) => conditions.push("sla_breached <> ''".to_owned()),
            None => {}
        }
        if let Some(from) = filter.created_from {
            conditions.push(format!("created_at >= {}", arg(Arg::Int(from))));
        }
        if let Some(before) = filter.created_before {
            conditions.push(format!("created_at < {}", arg(Arg::Int(before))));
        }
        let limit = arg(Arg::Int(filter.limit));
        let where_clause = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations {where_clause} ORDER BY id DESC LIMIT {limit}");

        let mut query = sqlx::query_as::<_, ConversationRow>(&sql);
        for value in args {
            query = match value {
                Arg::Int(value) => query.bind(value),
                Arg::Text(value) => query.bind(value),
            };
        }
        let rows = query.fetch_all(&self.read).await?;
        rows.into_iter().map(Conversation::try_from).collect()
    }

    /// Applies `changes` atomically, logging an event for each field that really changed.
    /// `authorize` sees the current state (inside the transaction) and may refuse.
    pub async fn update_conversation<E: From<StoreError> + Send>(
        &self,
        id: i64,
        changes: &ConversationChanges,
        actor: Actor,
        sla: &SlaPolicy,
        authorize: impl FnOnce(&Conversation) -> Result<(), E> + Send,
    ) -> Result<Conversation, E> {
        let mut guard = super::Guard::new(authorize);
        let outcome = self.update_conversation_checked(id, changes, actor, sla, &mut |current| guard.allows(current)).await;
        guard.finish(outcome)
    }

    async fn update_conversation_checked(
        &self,
        id: i64,
        changes: &ConversationChanges,
        actor: Actor,
        sla: &SlaPolicy,
        authorize: &mut (dyn FnMut(&Conversation) -> bool + Send),
    ) -> StoreResult<Conversation> {
        let now = now_ms();
        let mut tx = self.write.begin().await?;
        let lock = if self.backend == Backend::Postgres { " FOR UPDATE" } else { "" };
        let current: Conversation = sqlx::query_as::<_, ConversationRow>(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1{lock}"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::not_found("conversation"))?
            .try_into()?;
        if !authorize(&current) {
            return Err(StoreError::Forbidden("refused".to_owned()));
        }

        if let Some(to) = changes.status
            && lifecycle::transition(current.status, to)?
        {
            sqlx::query(
                "UPDATE conversations SET status = $2, updated_at = $3,
                    resolved_at = CASE WHEN $2 = 'resolved' THEN $3 WHEN $2 = 'closed' THEN resolved_at ELSE NULL END,
                    closed_at = CASE WHEN $2 = 'closed' THEN $3 ELSE NULL END
                 WHERE id = $1",
            )
            .bind(id)
            .bind(to.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let data = json!({"from": current.status, "to": to, "reopened": current.status == Status::Resolved && to == Status::Open});
            events::append(&mut tx, id, EventKind::StatusChanged, actor, data, now).await?;
        }
        if let Some(priority) = changes.priority.filter(|priority| *priority != current.priority) {
            sqlx::query("UPDATE conversations SET priority = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(priority.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            events::append(&mut tx, id, EventKind::PriorityChanged, actor, json!({"from": current.priority, "to": priority}), now).await?;
        }
        if let Some(category) = changes.category.as_ref().filter(|category| current.category.as_ref() != Some(*category)) {
            sqlx::query("UPDATE conversations SET category = $2, updated_at = $3 WHERE id = $1").bind(id).bind(category).bind(now).execute(&mut *tx).await?;
            events::append(&mut tx, id, EventKind::CategoryChanged, actor, json!({"from": current.category, "to": category}), now).await?;
        }
        // SLA: waiting on the learner pauses the clocks; the time waited extends the
        // resolution target; a new priority brings new targets.
        let status = changes.status.unwrap_or(current.status);
        let priority = changes.priority.unwrap_or(current.priority);
        if status != current.status || priority != current.priority {
            let mut paused_minutes = current.sla.paused_minutes;
            let mut paused_since = current.sla.paused_since.map(|since| since.timestamp_millis());
            // The clocks stop while waiting on the learner and while resolved (a reopen
            // should not count the quiet days against the target).
            let stopped = |status: Status| matches!(status, Status::Pending | Status::Resolved | Status::Closed);
            match (stopped(current.status), stopped(status)) {
                (false, true) => paused_since = Some(now),
                (true, false) => {
                    if let Some(since) = current.sla.paused_since {
                        paused_minutes += sla.calendar.business_minutes_between(since, to_utc(now));
                    }
                    paused_since = None;
                }
                _ => {}
            }
            let (first_due, resolution_due) = due_ms(sla.due_times(current.created_at, current.tier, priority, paused_minutes));
            sqlx::query(
                "UPDATE conversations SET pending_since = $2, sla_paused_minutes = $3, first_response_due_at = $4, resolution_due_at = $5 WHERE id = $1",
            )
            .bind(id)
            .bind(paused_since)
            .bind(paused_minutes)
            .bind(first_due)
            .bind(resolution_due)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(assignee) = changes.assignee_id.filter(|assignee| *assignee != current.assignee_id) {
            if let Some(user_id) = assignee {
                let active: Option<i64> = sqlx::query_scalar("SELECT active FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
                match active {
                    None => return Err(StoreError::Unprocessable(format!("assignee_id: there is no user {user_id}"))),
                    Some(0) => return Err(StoreError::Unprocessable(format!("assignee_id: user {user_id} is deactivated"))),
                    Some(_) => {}
                }
            }
            sqlx::query("UPDATE conversations SET assignee_id = $2, updated_at = $3 WHERE id = $1").bind(id).bind(assignee).bind(now).execute(&mut *tx).await?;
            let (kind, data) = match assignee {
                Some(to) => (EventKind::Assigned, json!({"from": current.assignee_id, "to": to})),
                None => (EventKind::Unassigned, json!({"from": current.assignee_id})),
            };
            events::append(&mut tx, id, kind, actor, data, now).await?;
        }
        tx.commit().await?;
        self.conversation_after_write(id).await
    }

    /// Reads a conversation right after this node wrote it. On SQLite the write
    /// connection is used so the answer reflects the commit regardless of read snapshots.
    /// Reads a conversation inside a write transaction, locking its row on PostgreSQL.
    pub(super) async fn conversation_for_update(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: i64) -> StoreResult<Conversation> {
        let lock = if self.backend == Backend::Postgres { " FOR UPDATE" } else { "" };
        sqlx::query_as::<_, ConversationRow>(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1{lock}"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::not_found("conversation"))?
            .try_into()
    }

    pub async fn conversation_after_write(&self, id: i64) -> StoreResult<Conversation> {
        sqlx::query_as::<_, ConversationRow>(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.write)
            .await?
            .ok_or_else(|| StoreError::not_found("conversation"))?
            .try_into()
    }
}

/// Due times as stored, from a policy.
pub fn due_ms(due: edudesk_core::sla::DueTimes) -> (i64, i64) {
    (due.first_response.timestamp_millis(), due.resolution.timestamp_millis())
}

impl Store {
    /// Open conversations whose first-response or resolution target falls due by `horizon`.
    pub async fn sla_candidates(&self, horizon: i64, limit: i64) -> StoreResult<Vec<Conversation>> {
        let rows = sqlx::query_as::<_, ConversationRow>(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE status = 'open' AND bot_active = 0
             AND ((resolution_due_at <= $1 AND (',' || sla_breached || ',') NOT LIKE '%,resolution,%')
               OR (first_response_at IS NULL AND first_response_due_at <= $1 AND (',' || sla_breached || ',') NOT LIKE '%,first_response,%'))
             ORDER BY resolution_due_at, id LIMIT $2"
        ))
        .bind(horizon)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(Conversation::try_from).collect()
    }

    /// Records an SLA warning or breach once (`breached`: true for a breach) and logs its
    /// event; returns false when it was already recorded (by this or another node).
    pub async fn mark_sla(&self, id: i64, target: &str, breached: bool, now: i64, data: serde_json::Value) -> StoreResult<bool> {
        let column = if breached { "sla_breached" } else { "sla_warned" };
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(&format!(
            "UPDATE conversations SET {column} = CASE WHEN {column} = '' THEN $2 ELSE {column} || ',' || $2 END
             WHERE id = $1 AND status = 'open' AND (',' || {column} || ',') NOT LIKE ('%,' || $2 || ',%')"
        ))
        .bind(id)
        .bind(target)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        let kind = if breached { EventKind::SlaBreached } else { EventKind::SlaWarning };
        events::append(&mut tx, id, kind, Actor::default(), data, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// The SLA flags (`warned` or `breached` targets) that still hold once the targets fall due
/// at new times: a target whose due time is in the future again is watched afresh.
pub fn flags_still_due(flags: &[String], first_due: i64, resolution_due: i64, now: i64) -> String {
    flags
        .iter()
        .filter(|target| match target.as_str() {
            "first_response" => first_due <= now,
            "resolution" => resolution_due <= now,
            _ => true,
        })
        .cloned()
        .collect::<Vec<_>>()
        .join(",")
}

impl Store {
    /// Adds the learner's name and the latest public message to each conversation (one query
    /// for the whole page).
    pub async fn with_previews(&self, conversations: Vec<Conversation>) -> StoreResult<Vec<ConversationItem>> {
        if conversations.is_empty() {
            return Ok(Vec::new());
        }
        // Integers only: the list is built from ids we read, not from input.
        let ids: Vec<String> = conversations.iter().map(|c| c.id.to_string()).collect();
        let sql = format!(
            "SELECT c.id, ct.display_name, (SELECT m.body FROM messages m WHERE m.conversation_id = c.id AND m.internal = 0 ORDER BY m.seq DESC LIMIT 1)
             FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE c.id IN ({})",
            ids.join(", ")
        );
        let rows: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(&sql).fetch_all(&self.read).await?;
        let mut extras: std::collections::HashMap<i64, (Option<String>, Option<String>)> =
            rows.into_iter().map(|(id, name, body)| (id, (name, body))).collect();
        Ok(conversations
            .into_iter()
            .map(|conversation| {
                let (contact_name, preview) = extras.remove(&conversation.id).unwrap_or_default();
                let preview = preview.map(|body| {
                    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
                    if flat.chars().count() > 120 { format!("{}…", flat.chars().take(120).collect::<String>()) } else { flat }
                });
                ConversationItem { conversation, contact_name, preview, tags: Vec::new() }
            })
            .collect())
    }
}
