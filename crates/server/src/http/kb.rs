//! The knowledge base over the API: `/api/v1/kb/articles` (published articles for
//! everyone; drafts and internal ones for staff), editing with version history (staff),
//! and "was this helpful?" votes.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    AppState,
    auth::{Auth, MaybeAuth},
    error::{AppError, AppResult},
    store::kb::{Article, ArticleFilter, ArticleInput},
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleParams {
    pub lang: Option<String>,
    pub category: Option<String>,
    /// Staff only: `draft`, `published` or `internal` (default: all for staff).
    pub visibility: Option<String>,
}

fn is_staff(auth: &MaybeAuth) -> bool {
    auth.0.as_ref().is_some_and(|auth| auth.staff().is_ok())
}

/// Articles: published ones for everyone; staff see every visibility.
#[utoipa::path(get, path = "/api/v1/kb/articles", tag = "kb", params(ArticleParams), responses((status = 200, body = Vec<Article>)))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: MaybeAuth, ApiQuery(params): ApiQuery<ArticleParams>) -> AppResult<ApiJson<Vec<Article>>> {
    let visibility = if is_staff(&auth) { params.visibility } else { Some("published".to_owned()) };
    let filter = ArticleFilter { lang: params.lang, category: params.category, visibility };
    Ok(ApiJson(state.store.articles(&filter).await?))
}

/// One article (drafts and internal articles are staff-only: 404 for others).
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}", tag = "kb", params(("id" = String, Path)),
    responses((status = 200, body = Article), (status = 404, body = crate::error::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn get(State(state): State<AppState>, auth: MaybeAuth, ApiPath(id): ApiPath<String>) -> AppResult<ApiJson<Article>> {
    let article = state.store.article(&id).await?;
    if article.content.visibility != "published" && !is_staff(&auth) {
        return Err(AppError::not_found("article"));
    }
    Ok(ApiJson(article))
}

/// Creates or changes an article (staff); each change is a new version.
#[utoipa::path(put, path = "/api/v1/kb/articles/{id}", tag = "kb", params(("id" = String, Path)), request_body = ArticleInput,
    responses((status = 200, body = Article), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn save(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(article): ApiJson<ArticleInput>,
) -> AppResult<ApiJson<Article>> {
    let staff = auth.staff()?;
    if article.id != id {
        return Err(AppError::Unprocessable(format!("id: the body says '{}' but the path says '{id}'", article.id)));
    }
    let (saved, _) = state.store.save_article(&article, Some(staff.user_id)).await?;
    Ok(ApiJson(saved))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleVersion {
    pub version: i64,
    pub article: ArticleInput,
}

/// The version history of an article (staff).
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}/versions", tag = "kb", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ArticleVersion>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn versions(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<String>) -> AppResult<ApiJson<Vec<ArticleVersion>>> {
    auth.staff()?;
    state.store.article(&id).await?;
    let versions = state.store.article_versions(&id).await?;
    Ok(ApiJson(versions.into_iter().map(|(version, article)| ArticleVersion { version, article }).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    pub helpful: bool,
}

/// "Was this helpful?" (anyone, published articles).
#[utoipa::path(post, path = "/api/v1/kb/articles/{id}/vote", tag = "kb", params(("id" = String, Path)), request_body = Vote,
    responses((status = 200, body = Article), (status = 404, body = crate::error::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn vote(State(state): State<AppState>, ApiPath(id): ApiPath<String>, ApiJson(vote): ApiJson<Vote>) -> AppResult<ApiJson<Article>> {
    Ok(ApiJson(state.store.vote_article(&id, vote.helpful).await?))
}
