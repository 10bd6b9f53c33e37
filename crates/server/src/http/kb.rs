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

/// Turns a resolved conversation's answer into a draft article (staff): the learner's
/// first message becomes its question, the agents' public replies its body. An editor
/// then polishes and publishes it.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/article", tag = "kb", params(("id" = i64, Path)),
    responses((status = 200, body = Article), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn from_conversation(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Article>> {
    let staff = auth.staff()?;
    let (conversation, access) = super::authorize(&state, &auth, id).await?;
    if access != edudesk_core::Access::Staff {
        return Err(AppError::Forbidden("only staff working on the conversation draft articles from it".to_owned()));
    }
    if !matches!(conversation.status, edudesk_core::Status::Resolved | edudesk_core::Status::Closed) {
        return Err(AppError::Conflict("only a resolved conversation's answer becomes an article".to_owned()));
    }
    let messages = state.store.messages(id, 0, false, 1000).await?;
    let question = messages.iter().find(|m| m.author_kind == edudesk_core::AuthorKind::Contact).map(|m| m.body.clone()).unwrap_or_default();
    let answer: Vec<&str> = messages.iter().filter(|m| m.author_kind == edudesk_core::AuthorKind::Agent).map(|m| m.body.as_str()).collect();
    if answer.is_empty() {
        return Err(AppError::Conflict("the conversation has no agent reply to turn into an article".to_owned()));
    }
    let chinese = question.chars().chain(answer.iter().flat_map(|a| a.chars())).any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let title: String = conversation.subject.clone().unwrap_or_else(|| question.chars().take(60).collect());
    let article = ArticleInput {
        id: format!("draft-conversation-{id}"),
        lang: if chinese { "zh" } else { "en" }.to_owned(),
        category: conversation.category.clone().unwrap_or_else(|| "uncategorised".to_owned()),
        title: if title.trim().is_empty() { format!("Conversation {id}") } else { title },
        body: answer.join("\n\n"),
        questions: if question.is_empty() { Vec::new() } else { vec![question.chars().take(200).collect()] },
        tags: vec!["from-conversation".to_owned()],
        visibility: "draft".to_owned(),
    };
    let (saved, _) = state.store.save_article(&article, Some(staff.user_id)).await?;
    Ok(ApiJson(saved))
}
