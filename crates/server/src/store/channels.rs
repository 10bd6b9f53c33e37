//! Storage for channels: their configuration (settings and write-only secrets), receipts of
//! what arrived (for exactly-once ingestion), outbound deliveries with their state, and
//! phone calls.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::{StoreError, StoreResult};
use super::{Store, now_ms, to_utc};

/// A configured channel. `secrets` never leaves the server.
#[derive(Clone, FromRow)]
pub struct ChannelRow {
    pub kind: String,
    pub name: String,
    pub settings: String,
    pub secrets: String,
    pub enabled: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for ChannelRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelRow").field("kind", &self.kind).field("name", &self.name).field("secrets", &"[redacted]").finish()
    }
}

/// A delivery of one outbound message.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub message_id: i64,
    pub conversation_id: i64,
    pub channel: String,
    pub recipient: String,
    /// `queued`, `sent` or `failed` (also when an email came back: `last_error` "bounced: …").
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// A phone call as agents see it.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Call {
    pub id: i64,
    pub call_id: String,
    pub conversation_id: i64,
    pub caller: String,
    pub line: String,
    pub direction: String,
    /// `ringing`, `answered`, `ended` or `missed`.
    pub state: String,
    pub agent_id: Option<i64>,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub answered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    pub hangup_cause: Option<String>,
    pub duration_seconds: Option<i64>,
    pub recording_url: Option<String>,
}

#[derive(FromRow)]
struct CallRow {
    id: i64,
    call_id: String,
    conversation_id: i64,
    caller: String,
    line: String,
    direction: String,
    state: String,
    agent_id: Option<i64>,
    started_at: i64,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    hangup_cause: Option<String>,
    duration_seconds: Option<i64>,
    recording_url: Option<String>,
}

impl From<CallRow> for Call {
    fn from(row: CallRow) -> Call {
        Call {
            id: row.id,
            call_id: row.call_id,
            conversation_id: row.conversation_id,
            caller: row.caller,
            line: row.line,
            direction: row.direction,
            state: row.state,
            agent_id: row.agent_id,
            started_at: to_utc(row.started_at),
            answered_at: row.answered_at.map(to_utc),
            ended_at: row.ended_at.map(to_utc),
            hangup_cause: row.hangup_cause,
            duration_seconds: row.duration_seconds,
            recording_url: row.recording_url,
        }
    }
}

const CALL_COLUMNS: &str =
    "id, call_id, conversation_id, caller, line, direction, state, agent_id, started_at, answered_at, ended_at, hangup_cause, duration_seconds, recording_url";

/// A new call.
#[derive(Debug, Clone)]
pub struct NewCall<'a> {
    pub channel: &'a str,
    pub call_id: &'a str,
    pub conversation_id: i64,
    pub caller: &'a str,
    pub line: &'a str,
    pub direction: &'a str,
}

impl Store {
    /// Every channel, secrets opened.
    pub async fn channels(&self) -> StoreResult<Vec<ChannelRow>> {
        let rows: Vec<ChannelRow> =
            sqlx::query_as("SELECT kind, name, settings, secrets, enabled, updated_at FROM channels ORDER BY kind, name").fetch_all(&self.read).await?;
        rows.into_iter().map(|row| self.opened(row)).collect()
    }

    /// The channel `kind`/`name`, enabled or not, secrets opened.
    pub async fn channel(&self, kind: &str, name: &str) -> StoreResult<ChannelRow> {
        let row = sqlx::query_as("SELECT kind, name, settings, secrets, enabled, updated_at FROM channels WHERE kind = $1 AND name = $2")
            .bind(kind)
            .bind(name)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::not_found("channel"))?;
        self.opened(row)
    }

    fn opened(&self, mut row: ChannelRow) -> StoreResult<ChannelRow> {
        row.secrets = self.secrets.open(&row.secrets)?;
        Ok(row)
    }

    /// Creates or replaces a channel's configuration; `secrets` (JSON) is sealed before it
    /// is stored.
    pub async fn save_channel(&self, kind: &str, name: &str, settings: &str, secrets: &str, enabled: bool) -> StoreResult<()> {
        let now = now_ms();
        let sealed = self.secrets.seal(secrets)?;
        sqlx::query(
            "INSERT INTO channels (kind, name, settings, secrets, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (kind, name) DO UPDATE SET settings = excluded.settings, secrets = excluded.secrets, enabled = excluded.enabled, updated_at = excluded.updated_at",
        )
        .bind(kind)
        .bind(name)
        .bind(settings)
        .bind(sealed)
        .bind(i64::from(enabled))
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Seals secrets stored in plaintext (from before encryption), and proves the key opens
    /// the sealed ones: a wrong `secret_key` stops the start with a clear error instead of
    /// failing deliveries later. Returns how many were sealed now.
    pub async fn seal_channel_secrets(&self) -> StoreResult<usize> {
        let rows: Vec<(String, String, String)> = sqlx::query_as("SELECT kind, name, secrets FROM channels").fetch_all(&self.write).await?;
        let mut sealed = 0;
        for (kind, name, stored) in rows {
            if super::secrets::SecretCipher::is_sealed(&stored) {
                self.secrets.open(&stored)?;
                continue;
            }
            sqlx::query("UPDATE channels SET secrets = $3 WHERE kind = $1 AND name = $2 AND secrets = $4")
                .bind(&kind)
                .bind(&name)
                .bind(self.secrets.seal(&stored)?)
                .bind(&stored)
                .execute(&self.write)
                .await?;
            sealed += 1;
        }
        Ok(sealed)
    }

    /// Records that `external_id` arrived on `channel`. `false` if it had arrived before.
    pub async fn claim_inbound(&self, channel: &str, external_id: &str) -> StoreResult<bool> {
        let inserted =
            sqlx::query("INSERT INTO inbound_receipts (channel, external_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (channel, external_id) DO NOTHING")
                .bind(channel)
                .bind(external_id)
                .bind(now_ms())
                .execute(&self.write)
                .await?
                .rows_affected();
        Ok(inserted > 0)
    }

    /// Forgets a receipt whose message could not be stored, so a retry is not taken for a
    /// duplicate and nothing is lost.
    pub async fn release_inbound(&self, channel: &str, external_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM inbound_receipts WHERE channel = $1 AND external_id = $2 AND message_id IS NULL")
            .bind(channel)
            .bind(external_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn complete_inbound(&self, channel: &str, external_id: &str, message_id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE inbound_receipts SET message_id = $3 WHERE channel = $1 AND external_id = $2")
            .bind(channel)
            .bind(external_id)
            .bind(message_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The learner's latest conversation on `channel` that is not closed.
    pub async fn open_conversation_on(&self, contact_id: i64, channel: &str) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM conversations WHERE contact_id = $1 AND channel = $2 AND status <> 'closed' ORDER BY id DESC LIMIT 1")
            .bind(contact_id)
            .bind(channel)
            .fetch_optional(&self.read)
            .await?)
    }

    /// Records the channel's id of a sent delivery (an email's Message-ID).
    pub async fn set_delivery_external_id(&self, id: i64, external_id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE deliveries SET external_id = $2 WHERE id = $1").bind(id).bind(external_id).execute(&self.write).await?;
        Ok(())
    }

    /// The conversation an email id (received or sent) belongs to, on `channel`.
    pub async fn conversation_of_external_id(&self, channel: &str, external_id: &str) -> StoreResult<Option<i64>> {
        // Sent ids were once stored in angle brackets: both forms find the conversation.
        let bracketed = format!("<{external_id}>");
        let sent: Option<i64> = sqlx::query_scalar("SELECT conversation_id FROM deliveries WHERE channel = $1 AND external_id IN ($2, $3) LIMIT 1")
            .bind(channel)
            .bind(external_id)
            .bind(&bracketed)
            .fetch_optional(&self.read)
            .await?;
        if sent.is_some() {
            return Ok(sent);
        }
        Ok(sqlx::query_scalar(
            "SELECT m.conversation_id FROM inbound_receipts r JOIN messages m ON m.id = r.message_id WHERE r.channel = $1 AND r.external_id = $2 LIMIT 1",
        )
        .bind(channel)
        .bind(external_id)
        .fetch_optional(&self.read)
        .await?)
    }

    /// The email ids of a conversation, received and sent, oldest first (for References).
    pub async fn external_ids_of(&self, channel: &str, conversation_id: i64) -> StoreResult<Vec<(i64, String)>> {
        let mut ids: Vec<(i64, String)> = sqlx::query_as(
            "SELECT m.id, r.external_id FROM inbound_receipts r JOIN messages m ON m.id = r.message_id WHERE r.channel = $1 AND m.conversation_id = $2",
        )
        .bind(channel)
        .bind(conversation_id)
        .fetch_all(&self.read)
        .await?;
        let sent: Vec<(i64, String)> =
            sqlx::query_as("SELECT message_id, external_id FROM deliveries WHERE channel = $1 AND conversation_id = $2 AND external_id IS NOT NULL")
                .bind(channel)
                .bind(conversation_id)
                .fetch_all(&self.read)
                .await?;
        ids.extend(sent);
        ids.sort();
        Ok(ids)
    }

    /// Remembers the configured channel a conversation came through.
    pub async fn set_channel_account(&self, conversation_id: i64, account: &str) -> StoreResult<()> {
        sqlx::query("UPDATE conversations SET channel_account = $2 WHERE id = $1").bind(conversation_id).bind(account).execute(&self.write).await?;
        Ok(())
    }

    /// The configured channel a conversation came through, if any.
    pub async fn channel_account(&self, conversation_id: i64) -> StoreResult<Option<String>> {
        let account: Option<Option<String>> =
            sqlx::query_scalar("SELECT channel_account FROM conversations WHERE id = $1").bind(conversation_id).fetch_optional(&self.read).await?;
        Ok(account.flatten())
    }

    /// Records the address an email conversation's replies go to (`Reply-To`), or clears it.
    pub async fn set_reply_to(&self, conversation_id: i64, address: Option<&str>) -> StoreResult<()> {
        sqlx::query("UPDATE conversations SET reply_to = $2 WHERE id = $1").bind(conversation_id).bind(address).execute(&self.write).await?;
        Ok(())
    }

    pub async fn reply_to(&self, conversation_id: i64) -> StoreResult<Option<String>> {
        let address: Option<Option<String>> =
            sqlx::query_scalar("SELECT reply_to FROM conversations WHERE id = $1").bind(conversation_id).fetch_optional(&self.read).await?;
        Ok(address.flatten())
    }

    /// Queues a delivery (once per message).
    pub async fn queue_delivery(&self, message_id: i64, conversation_id: i64, channel: &str, recipient: &str) -> StoreResult<Option<i64>> {
        let now = now_ms();
        Ok(sqlx::query_scalar(
            "INSERT INTO deliveries (message_id, conversation_id, channel, recipient, state, created_at, updated_at) VALUES ($1, $2, $3, $4, 'queued', $5, $5)
             ON CONFLICT (message_id) DO NOTHING RETURNING id",
        )
        .bind(message_id)
        .bind(conversation_id)
        .bind(channel)
        .bind(recipient)
        .bind(now)
        .fetch_optional(&self.write)
        .await?)
    }

    pub async fn delivery(&self, id: i64) -> StoreResult<DeliveryRow> {
        sqlx::query_as("SELECT id, message_id, conversation_id, channel, recipient, state, attempts, last_error FROM deliveries WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.write)
            .await?
            .ok_or_else(|| StoreError::not_found("delivery"))
    }

    /// Deliveries of a conversation's messages, oldest first.
    pub async fn deliveries(&self, conversation_id: i64) -> StoreResult<Vec<DeliveryRow>> {
        Ok(sqlx::query_as(
            "SELECT id, message_id, conversation_id, channel, recipient, state, attempts, last_error FROM deliveries WHERE conversation_id = $1 ORDER BY id",
        )
        .bind(conversation_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Records a delivery attempt's outcome. Only a queued delivery changes (a passive reply
    /// may have delivered it already). Returns whether it changed.
    pub async fn record_delivery(&self, id: i64, state: &str, error: Option<&str>, attempted: bool) -> StoreResult<bool> {
        let updated =
            sqlx::query("UPDATE deliveries SET state = $2, last_error = $3, attempts = attempts + $4, updated_at = $5 WHERE id = $1 AND state = 'queued'")
                .bind(id)
                .bind(state)
                .bind(error)
                .bind(i64::from(attempted))
                .bind(now_ms())
                .execute(&self.write)
                .await?
                .rows_affected();
        Ok(updated > 0)
    }

    /// A sent email bounced: its delivery (found by the id it went out with) becomes
    /// `failed` with the reason ("bounced: …"), whatever its state was. Returns the delivery.
    pub async fn bounce_delivery(&self, channel: &str, external_id: &str, reason: &str) -> StoreResult<Option<DeliveryRow>> {
        let bracketed = format!("<{external_id}>");
        let found: Option<DeliveryRow> = sqlx::query_as(
            "SELECT id, message_id, conversation_id, channel, recipient, state, attempts, last_error FROM deliveries
             WHERE channel = $1 AND external_id IN ($2, $3) LIMIT 1",
        )
        .bind(channel)
        .bind(external_id)
        .bind(&bracketed)
        .fetch_optional(&self.write)
        .await?;
        let Some(mut delivery) = found else { return Ok(None) };
        sqlx::query("UPDATE deliveries SET state = 'failed', last_error = $2, updated_at = $3 WHERE id = $1")
            .bind(delivery.id)
            .bind(reason)
            .bind(now_ms())
            .execute(&self.write)
            .await?;
        delivery.state = "failed".to_owned();
        delivery.last_error = Some(reason.to_owned());
        Ok(Some(delivery))
    }

    pub async fn insert_call(&self, call: &NewCall<'_>) -> StoreResult<Option<Call>> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO calls (channel, call_id, conversation_id, caller, line, direction, state, started_at) VALUES ($1, $2, $3, $4, $5, $6, 'ringing', $7)
             ON CONFLICT (channel, call_id) DO NOTHING RETURNING id",
        )
        .bind(call.channel)
        .bind(call.call_id)
        .bind(call.conversation_id)
        .bind(call.caller)
        .bind(call.line)
        .bind(call.direction)
        .bind(now_ms())
        .fetch_optional(&self.write)
        .await?;
        match id {
            Some(id) => Ok(Some(self.call_by_id(id).await?)),
            None => Ok(None),
        }
    }

    async fn call_by_id(&self, id: i64) -> StoreResult<Call> {
        let row: CallRow = sqlx::query_as(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = $1")).bind(id).fetch_one(&self.write).await?;
        Ok(row.into())
    }

    pub async fn call(&self, channel: &str, call_id: &str) -> StoreResult<Call> {
        let row: Option<CallRow> = sqlx::query_as(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE channel = $1 AND call_id = $2"))
            .bind(channel)
            .bind(call_id)
            .fetch_optional(&self.write)
            .await?;
        row.map(Call::from).ok_or_else(|| StoreError::not_found("call"))
    }

    /// Marks a ringing call answered by `agent_id`; `None` if it was not ringing.
    pub async fn answer_call(&self, channel: &str, call_id: &str, agent_id: i64) -> StoreResult<Option<Call>> {
        let updated =
            sqlx::query("UPDATE calls SET state = 'answered', agent_id = $3, answered_at = $4 WHERE channel = $1 AND call_id = $2 AND state = 'ringing'")
                .bind(channel)
                .bind(call_id)
                .bind(agent_id)
                .bind(now_ms())
                .execute(&self.write)
                .await?
                .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        Ok(Some(self.call(channel, call_id).await?))
    }

    /// Ends a call: `ended` if it was answered, `missed` if it never was; `None` if it had
    /// already ended.
    pub async fn end_call(
        &self,
        channel: &str,
        call_id: &str,
        cause: Option<&str>,
        duration: Option<i64>,
        recording_url: Option<&str>,
    ) -> StoreResult<Option<Call>> {
        let updated = sqlx::query(
            "UPDATE calls SET state = CASE WHEN state = 'answered' THEN 'ended' ELSE 'missed' END, ended_at = $3, hangup_cause = $4,
                duration_seconds = $5, recording_url = $6
             WHERE channel = $1 AND call_id = $2 AND state IN ('ringing', 'answered')",
        )
        .bind(channel)
        .bind(call_id)
        .bind(now_ms())
        .bind(cause)
        .bind(duration)
        .bind(recording_url)
        .execute(&self.write)
        .await?
        .rows_affected();
        if updated == 0 {
            return Ok(None);
        }
        Ok(Some(self.call(channel, call_id).await?))
    }

    /// Calls logged on a conversation.
    pub async fn calls_of(&self, conversation_id: i64) -> StoreResult<Vec<Call>> {
        let rows: Vec<CallRow> = sqlx::query_as(&format!("SELECT {CALL_COLUMNS} FROM calls WHERE conversation_id = $1 ORDER BY id"))
            .bind(conversation_id)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.into_iter().map(Call::from).collect())
    }
}

/// What a signed webhook's nonce says about a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceUse {
    /// Seen for the first time.
    Fresh,
    /// Seen before with the same body: the sender's retry.
    Retry,
    /// Seen before with another body: a replayed signature.
    Replayed,
}

impl Store {
    /// Records a webhook nonce with its body's hash (see [`NonceUse`]); forgets nonces older
    /// than `forget_before` now and then.
    pub async fn use_nonce(&self, channel: &str, nonce: &str, body_sha256: &str, now: i64, forget_before: i64) -> StoreResult<NonceUse> {
        if rand::random::<u8>() < 4 {
            sqlx::query("DELETE FROM webhook_nonces WHERE created_at < $1").bind(forget_before).execute(&self.write).await?;
        }
        let inserted =
            sqlx::query("INSERT INTO webhook_nonces (channel, nonce, body_sha256, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (channel, nonce) DO NOTHING")
                .bind(channel)
                .bind(nonce)
                .bind(body_sha256)
                .bind(now)
                .execute(&self.write)
                .await?;
        if inserted.rows_affected() == 1 {
            return Ok(NonceUse::Fresh);
        }
        let first: String = sqlx::query_scalar("SELECT body_sha256 FROM webhook_nonces WHERE channel = $1 AND nonce = $2")
            .bind(channel)
            .bind(nonce)
            .fetch_one(&self.write)
            .await?;
        Ok(if first == body_sha256 { NonceUse::Retry } else { NonceUse::Replayed })
    }
}
