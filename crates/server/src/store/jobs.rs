//! The durable job queue and the task list it fills.
//!
//! Jobs are rows: claimed by setting a lease (`locked_until`) — with `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL so several nodes never take the same job, and through the single
//! write connection on SQLite. A job that fails runs again later with exponential backoff;
//! after `max_attempts` it is kept as dead for an operator to look at. A job with a
//! `unique_key` is enqueued at most once until it has run.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::{StoreError, StoreResult};
use super::{Backend, Store, to_utc};

/// A claimed job.
#[derive(Debug, Clone, FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

/// A to-do for an agent, e.g. a follow-up with a learner.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Task {
    pub id: i64,
    pub conversation_id: i64,
    pub assignee_id: Option<i64>,
    pub kind: String,
    pub title: String,
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub done_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(FromRow)]
struct TaskRow {
    id: i64,
    conversation_id: i64,
    assignee_id: Option<i64>,
    kind: String,
    title: String,
    due_at: i64,
    done_at: Option<i64>,
}

impl From<TaskRow> for Task {
    fn from(row: TaskRow) -> Task {
        Task {
            id: row.id,
            conversation_id: row.conversation_id,
            assignee_id: row.assignee_id,
            kind: row.kind,
            title: row.title,
            due_at: to_utc(row.due_at),
            done_at: row.done_at.map(to_utc),
        }
    }
}

impl Store {
    /// Enqueues a job to run at `run_at`; with a `unique_key`, nothing happens if one with
    /// that key is already waiting. Returns whether a job was added.
    pub async fn enqueue_job(&self, kind: &str, payload: &serde_json::Value, run_at: i64, unique_key: Option<&str>, now: i64) -> StoreResult<bool> {
        self.enqueue_job_for(kind, payload, run_at, unique_key, now, None).await
    }

    /// Like [`Store::enqueue_job`], for a job about one conversation (listed with it).
    pub async fn enqueue_job_for(
        &self,
        kind: &str,
        payload: &serde_json::Value,
        run_at: i64,
        unique_key: Option<&str>,
        now: i64,
        conversation_id: Option<i64>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO jobs (kind, payload, unique_key, run_at, created_at, conversation_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (unique_key) DO NOTHING",
        )
        .bind(kind)
        .bind(payload.to_string())
        .bind(unique_key)
        .bind(run_at)
        .bind(now)
        .bind(conversation_id)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Jobs of `kind` still to run for a conversation (payload and due time), soonest first.
    pub async fn pending_jobs_of(&self, kind: &str, conversation_id: i64) -> StoreResult<Vec<(i64, String, i64)>> {
        Ok(sqlx::query_as("SELECT id, payload, run_at FROM jobs WHERE conversation_id = $1 AND kind = $2 AND dead = 0 ORDER BY run_at, id")
            .bind(conversation_id)
            .bind(kind)
            .fetch_all(&self.read)
            .await?)
    }

    /// Takes or renews the lease `name` for `holder` until `now + lease_ms`: granted when
    /// nobody holds it, its holder let it lapse, or `holder` already has it. Leases are rows
    /// of the jobs table (kind `lease`) that never come due, so workers never run them.
    pub async fn take_lease(&self, name: &str, holder: &str, now: i64, lease_ms: i64) -> StoreResult<bool> {
        const NEVER: i64 = 253_402_300_799_000; // 9999-12-31: a lease row is never a due job.
        let granted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, unique_key, run_at, locked_until, created_at) VALUES ('lease', $1, $2, $3, $4, $5)
             ON CONFLICT (unique_key) DO UPDATE SET payload = excluded.payload, locked_until = excluded.locked_until
             WHERE jobs.kind = 'lease' AND (jobs.locked_until < $5 OR jobs.payload = excluded.payload)
             RETURNING id",
        )
        .bind(holder)
        .bind(format!("lease:{name}"))
        .bind(NEVER)
        .bind(now + lease_ms)
        .bind(now)
        .fetch_optional(&self.write)
        .await?;
        Ok(granted.is_some())
    }

    /// Gives up every lease `holder` has (a node stopping), so others take over at once.
    pub async fn release_leases(&self, holder: &str) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET locked_until = 0 WHERE kind = 'lease' AND payload = $1").bind(holder).execute(&self.write).await?;
        Ok(())
    }

    /// Takes the next due job for `lease_ms`, or `None` when nothing is due.
    pub async fn claim_job(&self, now: i64, lease_ms: i64) -> StoreResult<Option<Job>> {
        let skip_locked = if self.backend == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE jobs SET locked_until = $2, attempts = attempts + 1
             WHERE id = (SELECT id FROM jobs WHERE dead = 0 AND run_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
                         ORDER BY run_at, id LIMIT 1{skip_locked})
             RETURNING id, kind, payload, attempts, max_attempts"
        );
        Ok(sqlx::query_as::<_, Job>(&sql).bind(now).bind(now + lease_ms).fetch_optional(&self.write).await?)
    }

    /// Puts a periodic job back in the queue for `run_at`, fresh (attempts and errors cleared).
    pub async fn reschedule_job(&self, id: i64, run_at: i64) -> StoreResult<()> {
        sqlx::query("UPDATE jobs SET run_at = $2, attempts = 0, locked_until = NULL, last_error = NULL, dead = 0 WHERE id = $1")
            .bind(id)
            .bind(run_at)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Makes sure a periodic job exists and is alive (a restart revives one that died).
    pub async fn ensure_periodic_job(&self, kind: &str, run_at: i64, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO jobs (kind, payload, unique_key, run_at, created_at) VALUES ($1, '{}', $1, $2, $3)
             ON CONFLICT (unique_key) DO UPDATE SET dead = 0, attempts = 0, locked_until = NULL",
        )
        .bind(kind)
        .bind(run_at)
        .bind(now)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// A job is done: it goes away (its unique key is free again).
    pub async fn complete_job(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM jobs WHERE id = $1").bind(id).execute(&self.write).await?;
        Ok(())
    }

    /// A job failed: it runs again at `retry_at`, or is kept as dead when out of attempts.
    pub async fn fail_job(&self, job: &Job, error: &str, retry_at: i64, periodic: bool) -> StoreResult<()> {
        // A periodic job is never given up: it is the only one of its kind.
        let dead = i64::from(!periodic && job.attempts >= job.max_attempts);
        sqlx::query("UPDATE jobs SET last_error = $2, run_at = $3, locked_until = NULL, dead = $4 WHERE id = $1")
            .bind(job.id)
            .bind(error)
            .bind(retry_at)
            .bind(dead)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// When the next job is due, if any (leases share the table but are never due).
    pub async fn next_job_due(&self) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE dead = 0 AND kind <> 'lease'").fetch_one(&self.read).await?)
    }

    /// Whether the job already made its task (a retried job must not make it twice).
    pub async fn task_for_job(&self, job_id: i64) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM tasks WHERE job_id = $1").bind(job_id).fetch_optional(&self.write).await?;
        Ok(found.is_some())
    }

    pub async fn create_task_for_job(
        &self,
        job_id: i64,
        conversation_id: i64,
        assignee_id: Option<i64>,
        kind: &str,
        title: &str,
        due_at: i64,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO tasks (job_id, conversation_id, assignee_id, kind, title, due_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (job_id) DO NOTHING")
            .bind(job_id)
            .bind(conversation_id)
            .bind(assignee_id)
            .bind(kind)
            .bind(title)
            .bind(due_at)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn create_task(&self, conversation_id: i64, assignee_id: Option<i64>, kind: &str, title: &str, due_at: i64, now: i64) -> StoreResult<Task> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tasks (conversation_id, assignee_id, kind, title, due_at, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(conversation_id)
        .bind(assignee_id)
        .bind(kind)
        .bind(title)
        .bind(due_at)
        .bind(now)
        .fetch_one(&self.write)
        .await?;
        Ok(Task { id, conversation_id, assignee_id, kind: kind.to_owned(), title: title.to_owned(), due_at: to_utc(due_at), done_at: None })
    }

    /// Open tasks due by `now`, for one assignee or all.
    pub async fn due_tasks(&self, assignee_id: Option<i64>, now: i64) -> StoreResult<Vec<Task>> {
        let rows = match assignee_id {
            Some(user) => sqlx::query_as::<_, TaskRow>(
                "SELECT id, conversation_id, assignee_id, kind, title, due_at, done_at FROM tasks WHERE assignee_id = $1 AND done_at IS NULL AND due_at <= $2 ORDER BY due_at, id",
            )
            .bind(user)
            .bind(now)
            .fetch_all(&self.read)
            .await?,
            None => sqlx::query_as::<_, TaskRow>("SELECT id, conversation_id, assignee_id, kind, title, due_at, done_at FROM tasks WHERE done_at IS NULL AND due_at <= $1 ORDER BY due_at, id")
                .bind(now)
                .fetch_all(&self.read)
                .await?,
        };
        Ok(rows.into_iter().map(Task::from).collect())
    }

    pub async fn task(&self, id: i64) -> StoreResult<Task> {
        sqlx::query_as::<_, TaskRow>("SELECT id, conversation_id, assignee_id, kind, title, due_at, done_at FROM tasks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .map(Task::from)
            .ok_or_else(|| StoreError::not_found("task"))
    }

    pub async fn complete_task(&self, id: i64, now: i64) -> StoreResult<Task> {
        sqlx::query("UPDATE tasks SET done_at = $2 WHERE id = $1 AND done_at IS NULL").bind(id).bind(now).execute(&self.write).await?;
        sqlx::query_as::<_, TaskRow>("SELECT id, conversation_id, assignee_id, kind, title, due_at, done_at FROM tasks WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.write)
            .await?
            .map(Task::from)
            .ok_or_else(|| StoreError::not_found("task"))
    }
}
