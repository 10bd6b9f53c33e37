//! Files attached to conversations — images shown in the chat, other files (PDFs, logs,
//! forwarded mail) offered for download. Stored in the database (every node serves them);
//! the HTTP layer and the channels check their type and size before they get here.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::{StoreError, StoreResult};
use super::{Store, events::Actor, now_ms};

/// An uploaded file, without its bytes.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Attachment {
    pub id: i64,
    pub conversation_id: i64,
    pub content_type: String,
    pub size: i64,
    /// The file's name (files; images from the widget have none).
    pub filename: Option<String>,
    pub uploader_user_id: Option<i64>,
    pub uploader_contact_id: Option<i64>,
}

impl Store {
    pub async fn create_attachment(
        &self,
        conversation_id: i64,
        uploader: Actor,
        content_type: &str,
        filename: Option<&str>,
        data: &[u8],
    ) -> StoreResult<Attachment> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachments (conversation_id, uploader_user_id, uploader_contact_id, content_type, size, data, created_at, filename)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(conversation_id)
        .bind(uploader.user_id)
        .bind(uploader.contact_id)
        .bind(content_type)
        .bind(data.len() as i64)
        .bind(data.to_vec())
        .bind(now_ms())
        .bind(filename)
        .fetch_one(&self.write)
        .await?;
        Ok(Attachment {
            id,
            conversation_id,
            content_type: content_type.to_owned(),
            size: data.len() as i64,
            filename: filename.map(str::to_owned),
            uploader_user_id: uploader.user_id,
            uploader_contact_id: uploader.contact_id,
        })
    }

    pub async fn attachment(&self, id: i64) -> StoreResult<Attachment> {
        sqlx::query_as::<_, Attachment>(
            "SELECT id, conversation_id, content_type, size, filename, uploader_user_id, uploader_contact_id FROM attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or_else(|| StoreError::not_found("attachment"))
    }

    /// Whether a public (not internal) message carries this attachment.
    pub async fn attachment_is_public(&self, id: i64) -> StoreResult<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM messages WHERE attachment_id = $1 AND internal = 0 LIMIT 1").bind(id).fetch_optional(&self.read).await?;
        Ok(found.is_some())
    }

    pub async fn attachment_data(&self, id: i64) -> StoreResult<Vec<u8>> {
        sqlx::query_scalar("SELECT data FROM attachments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::not_found("attachment"))
    }
}
