//! Contacts (learners) and the identities that tie them to channels: the platform's
//! learner id, email, phone, WeChat openid, or an anonymous visitor id. An identity
//! belongs to exactly one contact, so the same learner on two channels is one contact.

use edudesk_core::IdentityKind;
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::{StoreError, StoreResult};
use super::{Store, now_ms, to_utc};

/// A learner as agents see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    pub id: i64,
    pub display_name: Option<String>,
    /// An unsigned widget visitor rather than a known learner.
    pub anonymous: bool,
    /// Free-form attributes passed by the platform (current course, app version...).
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub identities: Vec<Identity>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// One way a contact is known on a channel.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Identity {
    pub kind: String,
    pub value: String,
}

#[derive(FromRow)]
struct ContactRow {
    id: i64,
    display_name: Option<String>,
    anonymous: i64,
    attributes: String,
    created_at: i64,
}

impl Store {
    /// Finds the contact with this identity, or creates one; updates the name when given.
    pub async fn upsert_contact_by_identity(&self, kind: IdentityKind, value: &str, display_name: Option<&str>) -> StoreResult<i64> {
        let mut tx = self.write.begin().await?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT contact_id FROM contact_identities WHERE kind = $1 AND value = $2")
            .bind(kind.as_str())
            .bind(value)
            .fetch_optional(&mut *tx)
            .await?;
        let now = now_ms();
        let contact_id = match existing {
            Some(contact_id) => {
                if let Some(name) = display_name {
                    sqlx::query("UPDATE contacts SET display_name = $2, updated_at = $3 WHERE id = $1")
                        .bind(contact_id)
                        .bind(name)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                contact_id
            }
            None => {
                let contact_id: i64 =
                    sqlx::query_scalar("INSERT INTO contacts (display_name, anonymous, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id")
                        .bind(display_name)
                        .bind(i64::from(kind == IdentityKind::Visitor))
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                sqlx::query("INSERT INTO contact_identities (contact_id, kind, value, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(contact_id)
                    .bind(kind.as_str())
                    .bind(value)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                contact_id
            }
        };
        tx.commit().await?;
        Ok(contact_id)
    }

    /// Adds an identity to a contact unless another contact already holds it.
    /// Returns whether this contact now holds it.
    pub async fn add_identity(&self, contact_id: i64, kind: IdentityKind, value: &str) -> StoreResult<bool> {
        sqlx::query("INSERT INTO contact_identities (contact_id, kind, value, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, value) DO NOTHING")
            .bind(contact_id)
            .bind(kind.as_str())
            .bind(value)
            .bind(now_ms())
            .execute(&self.write)
            .await?;
        let holder: Option<i64> = sqlx::query_scalar("SELECT contact_id FROM contact_identities WHERE kind = $1 AND value = $2")
            .bind(kind.as_str())
            .bind(value)
            .fetch_optional(&self.write)
            .await?;
        Ok(holder == Some(contact_id))
    }

    pub async fn contact(&self, id: i64) -> StoreResult<Contact> {
        let row =
            sqlx::query_as::<_, ContactRow>("SELECT id, display_name, anonymous, attributes, created_at FROM contacts WHERE id = $1 AND merged_into IS NULL")
                .bind(id)
                .fetch_optional(&self.read)
                .await?
                .ok_or_else(|| StoreError::not_found("contact"))?;
        let identities = sqlx::query_as::<_, Identity>("SELECT kind, value FROM contact_identities WHERE contact_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.read)
            .await?;
        Ok(Contact {
            id: row.id,
            display_name: row.display_name,
            anonymous: row.anonymous != 0,
            attributes: serde_json::from_str(&row.attributes).unwrap_or_else(|_| serde_json::json!({})),
            identities,
            created_at: to_utc(row.created_at),
        })
    }

    /// Merges contact `from` into `into`: identities, conversations (with their messages,
    /// events and attachments), learner sessions and attributes (`into`'s win) move over, and
    /// `from` is retired (marked merged; the event log still names it). One transaction.
    pub async fn merge_contacts(&self, into: i64, from: i64) -> StoreResult<()> {
        let target = self.contact(into).await?;
        let source = self.contact(from).await?;
        let mut attributes = match source.attributes {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        if let serde_json::Value::Object(mine) = target.attributes {
            attributes.extend(mine);
        }
        let attributes = serde_json::Value::Object(attributes).to_string();
        let mut tx = self.write.begin().await?;
        for statement in [
            "UPDATE contact_identities SET contact_id = $1 WHERE contact_id = $2",
            "UPDATE sessions SET contact_id = $1 WHERE contact_id = $2",
            "UPDATE conversations SET contact_id = $1 WHERE contact_id = $2",
            "UPDATE messages SET author_contact_id = $1 WHERE author_contact_id = $2",
            "UPDATE attachments SET uploader_contact_id = $1 WHERE uploader_contact_id = $2",
        ] {
            sqlx::query(statement).bind(into).bind(from).execute(&mut *tx).await?;
        }
        sqlx::query(
            "UPDATE contacts SET attributes = $2, display_name = COALESCE(display_name, $3), anonymous = anonymous * $4, updated_at = $5 WHERE id = $1",
        )
        .bind(into)
        .bind(attributes)
        .bind(source.display_name)
        .bind(i64::from(source.anonymous))
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        // The event log is append-only and keeps naming the old contact: it stays, marked as
        // merged, and is no longer found as a contact of its own.
        sqlx::query("UPDATE contacts SET merged_into = $2, updated_at = $3 WHERE id = $1").bind(from).bind(into).bind(now_ms()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the given attributes on a contact, keeping the others.
    pub async fn merge_contact_attributes(&self, id: i64, attributes: &serde_json::Map<String, serde_json::Value>) -> StoreResult<()> {
        let mut tx = self.write.begin().await?;
        let current: String = sqlx::query_scalar("SELECT attributes FROM contacts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::not_found("contact"))?;
        let mut merged: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&current).unwrap_or_default();
        merged.extend(attributes.iter().map(|(key, value)| (key.clone(), value.clone())));
        sqlx::query("UPDATE contacts SET attributes = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(serde_json::Value::Object(merged).to_string())
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn contact_exists(&self, id: i64) -> StoreResult<bool> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT id FROM contacts WHERE id = $1 AND merged_into IS NULL").bind(id).fetch_optional(&self.read).await?.is_some())
    }
}
