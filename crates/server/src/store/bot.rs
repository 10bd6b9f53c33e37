//! Storage for the bot and knowledge-base search: the bot's per-conversation memory, the
//! handover that puts a conversation into its tier's queue, search and deflection logs and
//! their analytics, and the fingerprint that tells whether the published articles changed.

use edudesk_core::{EventKind, Priority, Tier};
use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::StoreResult;
use super::{Store, conversations::Conversation, events, events::Actor};

/// Where a search came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchSource {
    Help,
    Widget,
    Api,
}

impl SearchSource {
    fn as_str(self) -> &'static str {
        match self {
            SearchSource::Help => "help",
            SearchSource::Widget => "widget",
            SearchSource::Api => "api",
        }
    }
}

/// A query learners search for, with how often and how many results it found.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct QueryCount {
    pub query: String,
    pub searches: i64,
    /// The fewest results any of its searches found.
    pub results: i64,
}

/// Deflections of one article.
#[derive(Debug, Clone, Serialize, ToSchema, FromRow)]
pub struct ArticleDeflections {
    pub article_id: String,
    pub deflections: i64,
}

/// Search analytics for the knowledge-base team.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchStats {
    pub searches: i64,
    /// Searches that found nothing.
    pub zero_result_searches: i64,
    pub deflections: i64,
    /// Most frequent queries.
    pub top_queries: Vec<QueryCount>,
    /// Most frequent queries without a result: articles to write.
    pub zero_result_queries: Vec<QueryCount>,
    pub top_deflecting_articles: Vec<ArticleDeflections>,
}

impl Store {
    /// The bot's memory of a conversation (JSON), if it has any.
    pub async fn bot_state(&self, conversation_id: i64) -> StoreResult<Option<String>> {
        let state: Option<Option<String>> =
            sqlx::query_scalar("SELECT bot_state FROM conversations WHERE id = $1").bind(conversation_id).fetch_optional(&self.read).await?;
        Ok(state.flatten())
    }

    /// Stores the bot's memory of a conversation.
    pub async fn save_bot_state(&self, conversation_id: i64, state: &str) -> StoreResult<()> {
        sqlx::query("UPDATE conversations SET bot_state = $2 WHERE id = $1").bind(conversation_id).bind(state).execute(&self.write).await?;
        Ok(())
    }

    /// Ends the bot's part: the conversation joins `tier`'s queue now, with its category and
    /// SLA clocks starting now, and the summary goes into the event log. `None` if the bot
    /// had already handed it over (another message got there first).
    #[allow(clippy::too_many_arguments)]
    pub async fn hand_over(
        &self,
        conversation_id: i64,
        category: Option<&str>,
        tier: Tier,
        priority: Priority,
        due: (i64, i64),
        now: i64,
        summary: serde_json::Value,
    ) -> StoreResult<Option<Conversation>> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(
            "UPDATE conversations SET bot_active = 0, category = COALESCE($2, category), tier = $3, queued_at = $4, updated_at = $4,
                first_response_due_at = $5, resolution_due_at = $6, priority = $7
             WHERE id = $1 AND bot_active = 1 AND status <> 'closed'",
        )
        .bind(conversation_id)
        .bind(category)
        .bind(tier.level())
        .bind(now)
        .bind(due.0)
        .bind(due.1)
        .bind(priority.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        events::append(&mut tx, conversation_id, EventKind::HandedOver, Actor::default(), summary, now).await?;
        tx.commit().await?;
        Ok(Some(self.conversation_after_write(conversation_id).await?))
    }

    /// Ends the bot's part without a handover (an agent stepped in). `true` if it was active.
    pub async fn end_bot(&self, conversation_id: i64) -> StoreResult<bool> {
        let now = super::now_ms();
        let updated = sqlx::query("UPDATE conversations SET bot_active = 0, queued_at = $2, updated_at = $2 WHERE id = $1 AND bot_active = 1")
            .bind(conversation_id)
            .bind(now)
            .execute(&self.write)
            .await?
            .rows_affected();
        Ok(updated > 0)
    }

    /// Logs one search with its result count.
    pub async fn log_search(&self, query: &str, lang: Option<&str>, source: SearchSource, results: usize, top_article: Option<&str>) -> StoreResult<()> {
        sqlx::query("INSERT INTO kb_searches (query, lang, source, results, top_article, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(query)
            .bind(lang)
            .bind(source.as_str())
            .bind(i64::try_from(results).unwrap_or(i64::MAX))
            .bind(top_article)
            .bind(super::now_ms())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Counts a learner opening a suggested article instead of asking.
    pub async fn count_deflection(&self, article_id: &str, query: &str) -> StoreResult<()> {
        self.article(article_id).await?;
        sqlx::query("INSERT INTO kb_deflections (article_id, query, created_at) VALUES ($1, $2, $3)")
            .bind(article_id)
            .bind(query)
            .bind(super::now_ms())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Search analytics since `since` (UTC ms).
    pub async fn search_stats(&self, since: i64, limit: i64) -> StoreResult<SearchStats> {
        let totals: (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COALESCE(SUM(CASE WHEN results = 0 THEN 1 ELSE 0 END), 0) FROM kb_searches WHERE created_at >= $1")
                .bind(since)
                .fetch_one(&self.read)
                .await?;
        let deflections: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM kb_deflections WHERE created_at >= $1").bind(since).fetch_one(&self.read).await?;
        let queries = |zero_only: bool| {
            let filter = if zero_only { "AND results = 0" } else { "" };
            format!(
                "SELECT query, COUNT(*) AS searches, MIN(results) AS results FROM kb_searches WHERE created_at >= $1 {filter}
                 GROUP BY query ORDER BY searches DESC, query LIMIT $2"
            )
        };
        let top_queries = sqlx::query_as(&queries(false)).bind(since).bind(limit).fetch_all(&self.read).await?;
        let zero_result_queries = sqlx::query_as(&queries(true)).bind(since).bind(limit).fetch_all(&self.read).await?;
        let top_deflecting_articles = sqlx::query_as(
            "SELECT article_id, COUNT(*) AS deflections FROM kb_deflections WHERE created_at >= $1 GROUP BY article_id ORDER BY deflections DESC, article_id LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(SearchStats { searches: totals.0, zero_result_searches: totals.1, deflections, top_queries, zero_result_queries, top_deflecting_articles })
    }

    /// Changes whenever an article is added or changed (its visibility included), or a
    /// learned question is accepted.
    pub async fn kb_fingerprint(&self) -> StoreResult<String> {
        let (count, published, latest): (i64, i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN visibility = 'published' THEN 1 ELSE 0 END), 0), COALESCE(MAX(updated_at), 0) FROM kb_articles",
        )
        .fetch_one(&self.read)
        .await?;
        let (taught, last_taught): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM kb_learned_questions WHERE status = 'accepted'").fetch_one(&self.read).await?;
        Ok(format!("{count}:{published}:{latest}:{taught}:{last_taught}"))
    }
}
