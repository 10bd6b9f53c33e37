//! SOP definitions (versioned) and each conversation's progress through its SOP.

use edudesk_core::{
    EventKind,
    sop::{Progress, Sop},
};
use serde_json::json;

use super::error::{StoreError, StoreResult};
use super::{
    Store,
    conversations::Conversation,
    events::{self, Actor},
};

/// How long the parsed SOPs are used without asking the database whether they changed.
const SOPS_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// The SOPs in force as last read, with the number of stored versions then.
#[derive(Debug, Clone)]
pub(super) struct CachedSops {
    read_at: std::time::Instant,
    versions: i64,
    sops: std::sync::Arc<Vec<Sop>>,
}

impl Store {
    /// Stores a SOP as a new version unless the latest version is the same; returns the
    /// version in force.
    pub async fn save_sop(&self, sop: &Sop, created_by: Option<i64>, now: i64) -> StoreResult<i64> {
        let mut definition = sop.clone();
        definition.version = 0;
        let text = serde_json::to_string(&definition).map_err(|error| StoreError::Internal(error.into()))?;
        let mut tx = self.write.begin().await?;
        let latest: Option<(i64, String)> =
            sqlx::query_as("SELECT version, definition FROM sops WHERE id = $1 ORDER BY version DESC LIMIT 1").bind(&sop.id).fetch_optional(&mut *tx).await?;
        if let Some((version, existing)) = &latest
            && *existing == text
        {
            return Ok(*version);
        }
        if created_by.is_none() {
            // From a file at start: only a changed file makes a new version, so an edit
            // made in the console is not undone by the next restart.
            let last_from_file: Option<String> =
                sqlx::query_scalar("SELECT definition FROM sops WHERE id = $1 AND created_by IS NULL ORDER BY version DESC LIMIT 1")
                    .bind(&sop.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if last_from_file.as_deref() == Some(text.as_str())
                && let Some((version, _)) = latest
            {
                return Ok(version);
            }
        }
        let version = latest.map_or(1, |(version, _)| version + 1);
        sqlx::query("INSERT INTO sops (id, version, definition, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&sop.id)
            .bind(version)
            .bind(&text)
            .bind(created_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.forget_sops();
        Ok(version)
    }

    /// The latest version of every SOP. Every conversation opened in a category reads them,
    /// so they are kept parsed for [`SOPS_FRESH_FOR`]; after that one count of the stored
    /// versions says whether they changed (on any node) before they are read again. A SOP
    /// saved on this node is seen at once. Shared, not copied: opening a conversation needs
    /// one SOP of the list.
    pub async fn sops(&self) -> StoreResult<std::sync::Arc<Vec<Sop>>> {
        let cached = self.sops.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        if let Some(cached) = &cached
            && cached.read_at.elapsed() < SOPS_FRESH_FOR
        {
            return Ok(cached.sops.clone());
        }
        let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sops").fetch_one(&self.read).await?;
        let sops = match cached {
            Some(cached) if cached.versions == versions => cached.sops,
            _ => std::sync::Arc::new(self.sops_from_database().await?),
        };
        let fresh = CachedSops { read_at: std::time::Instant::now(), versions, sops: sops.clone() };
        *self.sops.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(fresh);
        Ok(sops)
    }

    /// Forgets the parsed SOPs (after this node saved one).
    fn forget_sops(&self) {
        *self.sops.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    async fn sops_from_database(&self) -> StoreResult<Vec<Sop>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT s.version, s.definition FROM sops s WHERE s.version = (SELECT MAX(version) FROM sops l WHERE l.id = s.id) ORDER BY s.id")
                .fetch_all(&self.read)
                .await?;
        rows.into_iter().map(|(version, text)| parse(version, &text)).collect()
    }

    /// One SOP: a given version, or the latest.
    pub async fn sop(&self, id: &str, version: Option<i64>) -> StoreResult<Sop> {
        let row: Option<(i64, String)> = match version {
            Some(version) => {
                sqlx::query_as("SELECT version, definition FROM sops WHERE id = $1 AND version = $2").bind(id).bind(version).fetch_optional(&self.read).await?
            }
            None => {
                sqlx::query_as("SELECT version, definition FROM sops WHERE id = $1 ORDER BY version DESC LIMIT 1").bind(id).fetch_optional(&self.read).await?
            }
        };
        let (version, text) = row.ok_or_else(|| StoreError::not_found("SOP"))?;
        parse(version, &text)
    }

    /// Records a conversation's SOP progress (starting it when `started`), provided the
    /// progress is still `before` (what the caller read): concurrent edits answer 409
    /// instead of overwriting each other.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_sop_progress(
        &self,
        conversation_id: i64,
        sop: &Sop,
        before: Option<&Progress>,
        progress: &Progress,
        actor: Actor,
        started: bool,
        now: i64,
    ) -> StoreResult<Conversation> {
        let json = |progress: &Progress| serde_json::to_string(progress).map_err(|error| StoreError::Internal(error.into()));
        let text = json(progress)?;
        let before = before.map(json).transpose()?;
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(
            "UPDATE conversations SET sop_id = $2, sop_version = $3, sop_progress = $4, updated_at = $5
             WHERE id = $1 AND sop_progress IS NOT DISTINCT FROM $6",
        )
        .bind(conversation_id)
        .bind(&sop.id)
        .bind(sop.version)
        .bind(text)
        .bind(now)
        .bind(before)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM conversations WHERE id = $1").bind(conversation_id).fetch_optional(&mut *tx).await?;
            return Err(match exists {
                None => StoreError::not_found("conversation"),
                Some(_) => StoreError::Conflict("the SOP was changed by someone else meanwhile; reload it".to_owned()),
            });
        }
        if started {
            events::append(&mut tx, conversation_id, EventKind::SopStarted, actor, json!({"sop_id": sop.id, "version": sop.version}), now).await?;
        }
        tx.commit().await?;
        self.conversation_after_write(conversation_id).await
    }
}

fn parse(version: i64, text: &str) -> StoreResult<Sop> {
    let mut sop: Sop = serde_json::from_str(text).map_err(|error| StoreError::Internal(anyhow::anyhow!("a stored SOP is unreadable: {error}")))?;
    sop.version = version;
    Ok(sop)
}
