//! Storage for what conversation search needs besides the conversations themselves: the
//! tags agents put on conversations and each staff member's saved views.

use serde::Serialize;
use utoipa::ToSchema;

use super::Store;
use super::error::{StoreError, StoreResult};

/// A named set of list filters one staff member saved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SavedView {
    pub id: i64,
    pub name: String,
    /// The list's query parameters, e.g. `{"q": "退款", "sla": "breached"}`.
    #[schema(value_type = Object)]
    pub filters: serde_json::Value,
    /// UTC milliseconds.
    pub created_at: i64,
}

type SavedViewRow = (i64, String, String, i64);

fn saved_view((id, name, filters, created_at): SavedViewRow) -> StoreResult<SavedView> {
    let filters = serde_json::from_str(&filters).map_err(|error| StoreError::Internal(anyhow::anyhow!("saved view {id} has corrupt filters: {error}")))?;
    Ok(SavedView { id, name, filters, created_at })
}

impl Store {
    /// The conversation's tags, sorted.
    pub async fn conversation_tags(&self, conversation_id: i64) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT tag FROM conversation_tags WHERE conversation_id = $1 ORDER BY tag").bind(conversation_id).fetch_all(&self.read).await?)
    }

    /// Tags of several conversations at once (for a list page), conversation id → tags.
    pub async fn tags_of(&self, ids: &[i64]) -> StoreResult<std::collections::HashMap<i64, Vec<String>>> {
        let mut tags: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(tags);
        }
        // Integers only: the ids were read from the database, not taken from input.
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        let sql = format!("SELECT conversation_id, tag FROM conversation_tags WHERE conversation_id IN ({list}) ORDER BY tag");
        for (id, tag) in sqlx::query_as::<_, (i64, String)>(&sql).fetch_all(&self.read).await? {
            tags.entry(id).or_default().push(tag);
        }
        Ok(tags)
    }

    /// Replaces the conversation's tags with `tags` (already checked) in one transaction.
    pub async fn set_conversation_tags(&self, conversation_id: i64, tags: &[String]) -> StoreResult<Vec<String>> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM conversation_tags WHERE conversation_id = $1").bind(conversation_id).execute(&mut *tx).await?;
        for tag in tags {
            sqlx::query("INSERT INTO conversation_tags (conversation_id, tag) VALUES ($1, $2)").bind(conversation_id).bind(tag).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.conversation_tags(conversation_id).await
    }

    /// The tags in use, most used first (for suggestions), at most `limit`.
    pub async fn tags_in_use(&self, limit: i64) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT tag, COUNT(*) FROM conversation_tags GROUP BY tag ORDER BY COUNT(*) DESC, tag LIMIT $1")
            .bind(limit)
            .fetch_all(&self.read)
            .await?)
    }

    /// One user's saved views, by name.
    pub async fn saved_views(&self, user_id: i64) -> StoreResult<Vec<SavedView>> {
        let rows: Vec<SavedViewRow> = sqlx::query_as("SELECT id, name, filters, created_at FROM saved_views WHERE user_id = $1 ORDER BY name")
            .bind(user_id)
            .fetch_all(&self.read)
            .await?;
        rows.into_iter().map(saved_view).collect()
    }

    /// Saves a view; the same name twice for one user is a conflict.
    pub async fn create_saved_view(&self, user_id: i64, name: &str, filters: &serde_json::Value, now: i64) -> StoreResult<SavedView> {
        let id: i64 = sqlx::query_scalar("INSERT INTO saved_views (user_id, name, filters, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(user_id)
            .bind(name)
            .bind(filters.to_string())
            .bind(now)
            .fetch_one(&self.write)
            .await
            .map_err(|error| match StoreError::from(error) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("you already have a view called '{name}'")),
                other => other,
            })?;
        Ok(SavedView { id, name: name.to_owned(), filters: filters.clone(), created_at: now })
    }

    /// Deletes one of the user's views; someone else's is "not found".
    pub async fn delete_saved_view(&self, user_id: i64, id: i64) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM saved_views WHERE id = $1 AND user_id = $2").bind(id).bind(user_id).execute(&self.write).await?.rows_affected();
        if deleted == 0 {
            return Err(StoreError::not_found("saved view"));
        }
        Ok(())
    }
}
