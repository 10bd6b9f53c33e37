//! Storage for staffing: agents' weekly shifts, and the arrival times the forecast learns from.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::Store;
use super::error::StoreResult;

/// One weekly shift: a weekday (0 = Monday) and hours in the team's time zone (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, FromRow)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    pub weekday: i64,
    pub start_hour: i64,
    pub end_hour: i64,
}

impl Store {
    /// Replaces an agent's weekly shifts.
    pub async fn set_shifts(&self, user_id: i64, shifts: &[Shift]) -> StoreResult<Vec<Shift>> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM shifts WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        for shift in shifts {
            sqlx::query("INSERT INTO shifts (user_id, weekday, start_hour, end_hour) VALUES ($1, $2, $3, $4)")
                .bind(user_id)
                .bind(shift.weekday)
                .bind(shift.start_hour)
                .bind(shift.end_hour)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.shifts_of(user_id).await
    }

    pub async fn shifts_of(&self, user_id: i64) -> StoreResult<Vec<Shift>> {
        Ok(sqlx::query_as("SELECT weekday, start_hour, end_hour FROM shifts WHERE user_id = $1 ORDER BY weekday, start_hour")
            .bind(user_id)
            .fetch_all(&self.write)
            .await?)
    }

    /// Every shift of active agents: (user id, shift).
    pub async fn all_shifts(&self) -> StoreResult<Vec<(i64, Shift)>> {
        let rows: Vec<(i64, i64, i64, i64)> =
            sqlx::query_as("SELECT s.user_id, s.weekday, s.start_hour, s.end_hour FROM shifts s JOIN users u ON u.id = s.user_id WHERE u.active = 1")
                .fetch_all(&self.read)
                .await?;
        Ok(rows.into_iter().map(|(user, weekday, start_hour, end_hour)| (user, Shift { weekday, start_hour, end_hour })).collect())
    }

    /// When conversations arrived since `since` (UTC ms), with their channel.
    pub async fn arrivals_since(&self, since: i64) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT channel, created_at FROM conversations WHERE created_at >= $1").bind(since).fetch_all(&self.read).await?)
    }
}
