//! Staff accounts: agents, supervisors and admins, their tier, skills, teams and capacity.

use edudesk_core::{Role, Tier, input::Email};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::{StoreError, StoreResult};
use super::{Store, now_ms, to_utc};

/// A staff account as the API shows it (never with its password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub tier: Tier,
    pub skills: Vec<String>,
    pub teams: Vec<String>,
    /// Most conversations assigned at once.
    pub max_concurrent: i64,
    /// `online`, `away` or `offline`.
    pub presence: String,
    /// Conversations assigned and not yet resolved (open or pending): the load against `max_concurrent`.
    pub open_conversations: i64,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(FromRow)]
struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    tier: i64,
    skills: String,
    max_concurrent: i64,
    presence: String,
    active: i64,
    created_at: i64,
    open_conversations: i64,
}

const USER_COLUMNS: &str = "id, email, display_name, role, tier, skills, max_concurrent, presence, active, created_at, \
     (SELECT COUNT(*) FROM conversations c WHERE c.assignee_id = users.id AND c.status IN ('open', 'pending')) AS open_conversations";

impl UserRow {
    fn into_user(self, teams: Vec<String>) -> StoreResult<User> {
        let corrupt = |what: &str| StoreError::Internal(anyhow::anyhow!("user {} has an invalid {what} in the database", self.id));
        Ok(User {
            role: Role::parse(&self.role).ok_or_else(|| corrupt("role"))?,
            tier: Tier::new(self.tier).ok_or_else(|| corrupt("tier"))?,
            skills: self.skills.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            teams,
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            max_concurrent: self.max_concurrent,
            presence: self.presence,
            open_conversations: self.open_conversations,
            active: self.active != 0,
            created_at: to_utc(self.created_at),
        })
    }
}

/// What is needed to create a staff account; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Email,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub tier: Tier,
    pub skills: Vec<String>,
    pub teams: Vec<String>,
    pub max_concurrent: i64,
}

/// The fields an admin may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub tier: Option<Tier>,
    pub skills: Option<Vec<String>>,
    pub teams: Option<Vec<String>>,
    pub max_concurrent: Option<i64>,
    pub active: Option<bool>,
    pub password_hash: Option<String>,
}

/// A user's credentials, for login only.
pub struct Credentials {
    pub user_id: i64,
    pub password_hash: String,
    pub active: bool,
}

impl Store {
    pub async fn create_user(&self, new: &NewUser) -> StoreResult<User> {
        let mut tx = self.write.begin().await?;
        let inserted = sqlx::query_scalar::<_, i64>(
            "INSERT INTO users (email, display_name, password_hash, role, tier, skills, max_concurrent, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(new.email.as_str())
        .bind(&new.display_name)
        .bind(&new.password_hash)
        .bind(new.role.as_str())
        .bind(new.tier.level())
        .bind(new.skills.join(","))
        .bind(new.max_concurrent)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await;
        let id = match inserted {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                return Err(StoreError::Conflict(format!("a user with email {} already exists", new.email)));
            }
            other => other?,
        };
        set_teams(&mut tx, id, &new.teams).await?;
        tx.commit().await?;
        self.user(id).await
    }

    pub async fn user(&self, id: i64) -> StoreResult<User> {
        let row = sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .ok_or_else(|| StoreError::not_found("user"))?;
        let teams = self.user_teams(id).await?;
        row.into_user(teams)
    }

    /// The active staff member with this (lower-case) email.
    pub async fn user_by_email(&self, email: &str) -> StoreResult<User> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1 AND active = 1").bind(email).fetch_optional(&self.read).await?;
        self.user(id.ok_or_else(|| StoreError::not_found("user"))?).await
    }

    pub async fn users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query_as::<_, UserRow>(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id")).fetch_all(&self.read).await?;
        let memberships: Vec<(i64, String)> =
            sqlx::query_as("SELECT m.user_id, t.name FROM team_members m JOIN teams t ON t.id = m.team_id ORDER BY t.name").fetch_all(&self.read).await?;
        rows.into_iter()
            .map(|row| {
                let teams = memberships.iter().filter(|(user_id, _)| *user_id == row.id).map(|(_, name)| name.clone()).collect();
                row.into_user(teams)
            })
            .collect()
    }

    pub async fn user_teams(&self, id: i64) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT t.name FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = $1 ORDER BY t.name")
            .bind(id)
            .fetch_all(&self.read)
            .await?)
    }

    pub async fn update_user(&self, id: i64, changes: &UserChanges) -> StoreResult<User> {
        self.forget_user_name(id);
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(
            "UPDATE users SET
                display_name = COALESCE($2, display_name),
                role = COALESCE($3, role),
                tier = COALESCE($4, tier),
                skills = COALESCE($5, skills),
                max_concurrent = COALESCE($6, max_concurrent),
                active = COALESCE($7, active),
                password_hash = COALESCE($8, password_hash)
             WHERE id = $1",
        )
        .bind(id)
        .bind(changes.display_name.as_deref())
        .bind(changes.role.map(Role::as_str))
        .bind(changes.tier.map(Tier::level))
        .bind(changes.skills.as_ref().map(|skills| skills.join(",")))
        .bind(changes.max_concurrent)
        .bind(changes.active.map(i64::from))
        .bind(changes.password_hash.as_deref())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::not_found("user"));
        }
        if let Some(teams) = &changes.teams {
            set_teams(&mut tx, id, teams).await?;
        }
        if changes.active == Some(false) || changes.password_hash.is_some() {
            // A deactivated account or a changed password ends every session at once.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.user(id).await
    }

    pub async fn set_presence(&self, id: i64, presence: edudesk_core::Presence) -> StoreResult<User> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query("UPDATE users SET presence = $2 WHERE id = $1").bind(id).bind(presence.as_str()).execute(&mut *tx).await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::not_found("user"));
        }
        // The log occupancy is measured from (KPIs).
        sqlx::query("INSERT INTO presence_log (user_id, presence, at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(presence.as_str())
            .bind(super::now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.user(id).await
    }

    /// Each staff member's online time within `[from, to)` (UTC ms), from the presence log:
    /// the state they were in at `from` and every change after it.
    pub async fn online_intervals(&self, from: i64, to: i64) -> StoreResult<std::collections::BTreeMap<i64, edudesk_core::kpi::Intervals>> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT user_id, presence, at FROM presence_log p
             WHERE at < $2 AND (at >= $1 OR at = (SELECT MAX(at) FROM presence_log q WHERE q.user_id = p.user_id AND q.at < $1))
             ORDER BY user_id, at",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.read)
        .await?;
        let changes: Vec<(i64, bool, i64)> = rows.into_iter().map(|(user, presence, at)| (user, presence == "online", at)).collect();
        Ok(edudesk_core::kpi::online_intervals(&changes, from, to))
    }

    pub async fn credentials(&self, email: &Email) -> StoreResult<Option<Credentials>> {
        let row: Option<(i64, String, i64)> =
            sqlx::query_as("SELECT id, password_hash, active FROM users WHERE email = $1").bind(email.as_str()).fetch_optional(&self.read).await?;
        Ok(row.map(|(user_id, password_hash, active)| Credentials { user_id, password_hash, active: active != 0 }))
    }

    pub async fn user_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.read).await?)
    }
}

async fn set_teams(tx: &mut sqlx::Transaction<'_, sqlx::Any>, user_id: i64, teams: &[String]) -> StoreResult<()> {
    sqlx::query("DELETE FROM team_members WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    for name in teams {
        sqlx::query("INSERT INTO teams (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING").bind(name).bind(now_ms()).execute(&mut **tx).await?;
        sqlx::query("INSERT INTO team_members (team_id, user_id) SELECT id, $2 FROM teams WHERE name = $1 ON CONFLICT DO NOTHING")
            .bind(name)
            .bind(user_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
