//! The knowledge base: articles in Markdown with categories, tags, language, visibility
//! and alternative questions; every change is a new version kept in the history. The
//! import/export format is one JSON article per line (`kb/articles.jsonl`).

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::error::{StoreError, StoreResult};
use super::{Store, now_ms, to_utc};

/// An article as imported, exported and edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    pub id: String,
    /// `zh` or `en`.
    pub lang: String,
    pub category: String,
    pub title: String,
    /// Markdown; rendered without raw HTML.
    pub body: String,
    /// Other ways learners ask the same thing.
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `draft`, `published` (default) or `internal` (agents only).
    // Always sent by the API (an editor that re-saves what it read must keep it published);
    // `kb export` leaves the default out to match the import format.
    #[serde(default = "published")]
    pub visibility: String,
}

fn published() -> String {
    "published".to_owned()
}

/// A stored article with its counters.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Article {
    #[serde(flatten)]
    pub content: ArticleInput,
    pub version: i64,
    pub views: i64,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(FromRow)]
struct ArticleRow {
    id: String,
    lang: String,
    category: String,
    title: String,
    body: String,
    questions: String,
    tags: String,
    visibility: String,
    version: i64,
    views: i64,
    helpful_yes: i64,
    helpful_no: i64,
    updated_at: i64,
}

const ARTICLE_COLUMNS: &str = "id, lang, category, title, body, questions, tags, visibility, version, views, helpful_yes, helpful_no, updated_at";

impl From<ArticleRow> for Article {
    fn from(row: ArticleRow) -> Article {
        Article {
            content: ArticleInput {
                id: row.id,
                lang: row.lang,
                category: row.category,
                title: row.title,
                body: row.body,
                questions: serde_json::from_str(&row.questions).unwrap_or_default(),
                tags: serde_json::from_str(&row.tags).unwrap_or_default(),
                visibility: row.visibility,
            },
            version: row.version,
            views: row.views,
            helpful_yes: row.helpful_yes,
            helpful_no: row.helpful_no,
            updated_at: to_utc(row.updated_at),
        }
    }
}

impl ArticleInput {
    /// Checks the fields; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let id_ok = !self.id.is_empty() && self.id.len() <= 100 && self.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(format!("id: '{}' must be 1 to 100 letters, digits, - or _", self.id));
        }
        if !matches!(self.lang.as_str(), "zh" | "en") {
            return Err("lang: must be zh or en".to_owned());
        }
        if !matches!(self.visibility.as_str(), "draft" | "published" | "internal") {
            return Err("visibility: must be draft, published or internal".to_owned());
        }
        for (field, value, max) in [("category", &self.category, 60), ("title", &self.title, 200)] {
            if value.trim().is_empty() || value.chars().count() > max {
                return Err(format!("{field}: must be 1 to {max} characters"));
            }
        }
        if self.body.trim().is_empty() || self.body.len() > 200_000 {
            return Err("body: must be non-empty and at most 200 kB".to_owned());
        }
        if self.questions.len() > 50 || self.tags.len() > 50 {
            return Err("questions and tags: at most 50 each".to_owned());
        }
        Ok(())
    }
}

/// Which articles to list.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub lang: Option<String>,
    pub category: Option<String>,
    /// `None`: every visibility (staff).
    pub visibility: Option<String>,
}

impl Store {
    /// Creates or changes an article; a change is a new version (an identical save is not).
    /// Returns the stored article and whether it changed.
    pub async fn save_article(&self, input: &ArticleInput, edited_by: Option<i64>) -> StoreResult<(Article, bool)> {
        input.validate().map_err(StoreError::Unprocessable)?;
        let now = now_ms();
        let questions = serde_json::to_string(&input.questions).map_err(|error| StoreError::Internal(error.into()))?;
        let tags = serde_json::to_string(&input.tags).map_err(|error| StoreError::Internal(error.into()))?;
        let mut tx = self.write.begin().await?;
        let current = sqlx::query_as::<_, ArticleRow>(&format!("SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE id = $1"))
            .bind(&input.id)
            .fetch_optional(&mut *tx)
            .await?;
        let version = match current.map(Article::from) {
            Some(article) if article.content == *input => return Ok((article, false)),
            Some(article) => article.version + 1,
            None => 1,
        };
        sqlx::query(
            "INSERT INTO kb_articles (id, lang, category, title, body, questions, tags, visibility, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (id) DO UPDATE SET lang = excluded.lang, category = excluded.category, title = excluded.title, body = excluded.body,
                questions = excluded.questions, tags = excluded.tags, visibility = excluded.visibility, version = $10, updated_at = excluded.updated_at",
        )
        .bind(&input.id)
        .bind(&input.lang)
        .bind(&input.category)
        .bind(&input.title)
        .bind(&input.body)
        .bind(&questions)
        .bind(&tags)
        .bind(&input.visibility)
        .bind(now)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        let snapshot = serde_json::to_string(input).map_err(|error| StoreError::Internal(error.into()))?;
        sqlx::query("INSERT INTO kb_article_versions (article_id, version, snapshot, edited_by, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&input.id)
            .bind(version)
            .bind(snapshot)
            .bind(edited_by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((self.article(&input.id).await?, true))
    }

    pub async fn article(&self, id: &str) -> StoreResult<Article> {
        sqlx::query_as::<_, ArticleRow>(&format!("SELECT {ARTICLE_COLUMNS} FROM kb_articles WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?
            .map(Article::from)
            .ok_or_else(|| StoreError::not_found("article"))
    }

    pub async fn articles(&self, filter: &ArticleFilter) -> StoreResult<Vec<Article>> {
        let rows = sqlx::query_as::<_, ArticleRow>(&format!(
            "SELECT {ARTICLE_COLUMNS} FROM kb_articles
             WHERE ($1 IS NULL OR lang = $1) AND ($2 IS NULL OR category = $2) AND ($3 IS NULL OR visibility = $3)
             ORDER BY lang DESC, category, id"
        ))
        .bind(filter.lang.as_deref())
        .bind(filter.category.as_deref())
        .bind(filter.visibility.as_deref())
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(Article::from).collect())
    }

    /// Every version of an article, oldest first, as saved.
    pub async fn article_versions(&self, id: &str) -> StoreResult<Vec<(i64, ArticleInput)>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT version, snapshot FROM kb_article_versions WHERE article_id = $1 ORDER BY version").bind(id).fetch_all(&self.read).await?;
        rows.into_iter()
            .map(|(version, snapshot)| serde_json::from_str(&snapshot).map(|input| (version, input)).map_err(|error| StoreError::Internal(error.into())))
            .collect()
    }

    pub async fn count_article_view(&self, id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE kb_articles SET views = views + 1 WHERE id = $1").bind(id).execute(&self.write).await?;
        Ok(())
    }

    pub async fn vote_article(&self, id: &str, helpful: bool) -> StoreResult<Article> {
        let column = if helpful { "helpful_yes" } else { "helpful_no" };
        let done = sqlx::query(&format!("UPDATE kb_articles SET {column} = {column} + 1 WHERE id = $1 AND visibility = 'published'"))
            .bind(id)
            .execute(&self.write)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("article"));
        }
        self.article(id).await
    }
}
