//! Login sessions of staff and learners. Only a SHA-256 hash of each token is stored, so
//! a copy of the database does not hand out live sessions.

use edudesk_core::{Principal, Role, StaffPrincipal, Tier};
use sqlx::FromRow;

use super::error::{StoreError, StoreResult};
use super::{Store, now_ms};

/// A live session: who it belongs to and the CSRF token for cookie-authenticated writes.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub principal: Principal,
    pub csrf_token: String,
    /// UTC milliseconds.
    pub expires_at: i64,
}

#[derive(FromRow)]
struct SessionRow {
    user_id: Option<i64>,
    contact_id: Option<i64>,
    csrf_token: String,
    expires_at: i64,
    role: Option<String>,
    tier: Option<i64>,
    active: Option<i64>,
}

impl Store {
    pub async fn create_session(&self, token_hash: &str, principal: &Principal, csrf_token: &str, expires_at: i64) -> StoreResult<()> {
        let (user_id, contact_id) = match principal {
            Principal::Staff(staff) => (Some(staff.user_id), None),
            Principal::Learner { contact_id } => (None, Some(*contact_id)),
        };
        sqlx::query("INSERT INTO sessions (token_hash, user_id, contact_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(token_hash)
            .bind(user_id)
            .bind(contact_id)
            .bind(csrf_token)
            .bind(now_ms())
            .bind(expires_at)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The session for a token hash, if it exists, has not expired and its account is active.
    pub async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query_as::<_, SessionRow>(
            "SELECT s.user_id, s.contact_id, s.csrf_token, s.expires_at, u.role, u.tier, u.active
             FROM sessions s LEFT JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let principal = match (row.user_id, row.contact_id) {
            (Some(user_id), _) => {
                if row.active != Some(1) {
                    return Ok(None);
                }
                let role = row.role.as_deref().and_then(Role::parse);
                let tier = row.tier.and_then(Tier::new);
                let (Some(role), Some(tier)) = (role, tier) else {
                    return Err(StoreError::Internal(anyhow::anyhow!("user {user_id} has an invalid role or tier")));
                };
                Principal::Staff(StaffPrincipal { user_id, role, tier })
            }
            (None, Some(contact_id)) => Principal::Learner { contact_id },
            (None, None) => return Ok(None),
        };
        Ok(Some(SessionRecord { principal, csrf_token: row.csrf_token, expires_at: row.expires_at }))
    }

    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.write).await?;
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now_ms()).execute(&self.write).await?;
        Ok(done.rows_affected())
    }
}
