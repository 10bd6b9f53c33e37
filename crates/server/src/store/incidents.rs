//! Storage for spikes and incidents: arrivals per category and per course (what the baselines
//! learn from), incidents (one open per category or course), and the conversations each links.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::Store;
use super::error::{StoreError, StoreResult};

/// What a spike is counted over: conversations of one category, or of one course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Category,
    Course,
}

impl Dimension {
    pub const ALL: [Dimension; 2] = [Dimension::Category, Dimension::Course];

    /// Its name, which is also the conversations' column.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Category => "category",
            Dimension::Course => "course",
        }
    }

    fn of(name: &str) -> Dimension {
        if name == "course" { Dimension::Course } else { Dimension::Category }
    }
}

/// An incident opened by a spike.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct Incident {
    pub id: i64,
    /// `category` or `course`: what spiked.
    pub dimension: String,
    /// The category, or the course, that spiked.
    pub category: String,
    /// `open` or `resolved`.
    pub status: String,
    /// Arrivals in the window that raised it, and what was expected.
    pub observed: f64,
    pub expected: f64,
    /// Shown to learners in the widget and the help centre while open.
    pub banner: Option<String>,
    pub opened_at: i64,
    pub resolved_at: Option<i64>,
    pub resolved_by: Option<i64>,
    /// Conversations linked to it.
    #[sqlx(default)]
    pub conversations: i64,
}

const COLUMNS: &str = "i.id, i.dimension, i.category, i.status, i.observed, i.expected, i.banner, i.opened_at, i.resolved_at, i.resolved_by,
    (SELECT COUNT(*) FROM incident_conversations l WHERE l.incident_id = i.id) AS conversations";

impl Store {
    /// Conversations created since `since` with a category (or course): (it, created_at).
    pub async fn arrivals(&self, dimension: Dimension, since: i64) -> StoreResult<Vec<(String, i64)>> {
        let column = dimension.as_str();
        Ok(sqlx::query_as(&format!("SELECT {column}, created_at FROM conversations WHERE created_at >= $1 AND {column} IS NOT NULL"))
            .bind(since)
            .fetch_all(&self.read)
            .await?)
    }

    /// Opens an incident for a category (or course) unless one is open; the open one either
    /// way, and whether it is new.
    pub async fn open_incident(&self, dimension: Dimension, category: &str, observed: f64, expected: f64, now: i64) -> StoreResult<(Incident, bool)> {
        let inserted = sqlx::query(
            "INSERT INTO incidents (dimension, category, observed, expected, opened_at) VALUES ($5, $1, $2, $3, $4)
             ON CONFLICT (dimension, category) WHERE status = 'open' DO NOTHING",
        )
        .bind(category)
        .bind(observed)
        .bind(expected)
        .bind(now)
        .bind(dimension.as_str())
        .execute(&self.write)
        .await?
        .rows_affected();
        let incident = sqlx::query_as(&format!("SELECT {COLUMNS} FROM incidents i WHERE i.dimension = $2 AND i.category = $1 AND i.status = 'open'"))
            .bind(category)
            .bind(dimension.as_str())
            .fetch_one(&self.write)
            .await?;
        Ok((incident, inserted > 0))
    }

    /// Links the category's (or course's) conversations created since `since` to the
    /// incident; how many are new.
    pub async fn link_incident(&self, incident: &Incident, since: i64) -> StoreResult<u64> {
        let column = Dimension::of(&incident.dimension).as_str();
        Ok(sqlx::query(&format!(
            "INSERT INTO incident_conversations (incident_id, conversation_id)
             SELECT $1, id FROM conversations WHERE {column} = $2 AND created_at >= $3 ON CONFLICT DO NOTHING"
        ))
        .bind(incident.id)
        .bind(&incident.category)
        .bind(since)
        .execute(&self.write)
        .await?
        .rows_affected())
    }

    pub async fn incident(&self, id: i64) -> StoreResult<Incident> {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM incidents i WHERE i.id = $1"))
            .bind(id)
            .fetch_optional(&self.write)
            .await?
            .ok_or_else(|| StoreError::not_found("incident"))
    }

    /// Incidents, newest first; only the open ones if asked.
    pub async fn incidents(&self, open_only: bool) -> StoreResult<Vec<Incident>> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM incidents i WHERE ($1 = 0 OR i.status = 'open') ORDER BY i.opened_at DESC, i.id DESC LIMIT 200"))
            .bind(i64::from(open_only))
            .fetch_all(&self.read)
            .await?)
    }

    /// Changes an incident's banner and/or resolves it.
    pub async fn update_incident(&self, id: i64, banner: Option<Option<&str>>, resolve_by: Option<i64>, now: i64) -> StoreResult<Incident> {
        let current = self.incident(id).await?;
        let banner = match banner {
            Some(banner) => banner.map(str::to_owned),
            None => current.banner.clone(),
        };
        let (status, resolved_at, resolved_by) = match resolve_by {
            Some(user) if current.status == "open" => ("resolved", Some(now), Some(user)),
            _ => (current.status.as_str(), current.resolved_at, current.resolved_by),
        };
        sqlx::query("UPDATE incidents SET banner = $2, status = $3, resolved_at = $4, resolved_by = $5 WHERE id = $1")
            .bind(id)
            .bind(banner)
            .bind(status)
            .bind(resolved_at)
            .bind(resolved_by)
            .execute(&self.write)
            .await?;
        self.incident(id).await
    }

    /// The open conversations an incident links.
    pub async fn incident_open_conversations(&self, id: i64) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT c.id FROM incident_conversations l JOIN conversations c ON c.id = l.conversation_id
             WHERE l.incident_id = $1 AND c.status IN ('open', 'pending') ORDER BY c.id",
        )
        .bind(id)
        .fetch_all(&self.read)
        .await?)
    }
}
