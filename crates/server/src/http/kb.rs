//! The knowledge base over the API: `/api/v1/kb/articles` (published articles for
//! everyone; drafts and internal ones for staff), editing with version history (staff),
//! "was this helpful?" votes, search (logged with its result count), deflection counting and
//! search analytics.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    AppState,
    error::{AppError, AppResult},
    http::session::Auth,
    http::session::MaybeAuth,
    knowledge::SearchHit,
    services::learning::Gap,
    store::{
        bot::{SearchSource, SearchStats},
        kb::{Article, ArticleFilter, ArticleInput},
        learning::LearnedQuestion,
    },
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
    let (saved, changed) = state.store.save_article(&article, Some(staff.user_id)).await?;
    if changed {
        state.knowledge.changed(&state.store).await;
    }
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
pub async fn vote(
    State(state): State<AppState>,
    client_ip: crate::http::client_ip::ClientIp,
    ApiPath(id): ApiPath<String>,
    ApiJson(vote): ApiJson<Vote>,
) -> AppResult<ApiJson<Article>> {
    crate::http::client_ip::public_write(&state, client_ip)?;
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
    let (saved, changed) = state.store.save_article(&article, Some(staff.user_id)).await?;
    if changed {
        state.knowledge.changed(&state.store).await;
    }
    Ok(ApiJson(saved))
}

/// Longest search query accepted, in characters.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What the learner typed.
    pub q: String,
    /// `zh` or `en` to search one language only.
    pub lang: Option<String>,
    /// `widget` for the widget's suggestions as the learner types (default `api`).
    pub source: Option<String>,
    /// At most this many results (1–20, default 5).
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    pub query: String,
    pub results: Vec<SearchHit>,
}

/// Checks a search query and language from a learner.
pub fn search_input(q: &str, lang: Option<&str>) -> AppResult<(String, Option<String>)> {
    let query = q.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::Unprocessable(format!("q: at most {MAX_QUERY_CHARS} characters")));
    }
    let lang = match lang {
        None | Some("") => None,
        Some(lang @ ("zh" | "en")) => Some(lang.to_owned()),
        Some(other) => return Err(AppError::Unprocessable(format!("lang: '{other}' is not zh or en"))),
    };
    Ok((query.to_owned(), lang))
}

/// Searches published articles (Chinese and English, tolerant of variants and typos).
/// Every search is logged with its result count.
#[utoipa::path(get, path = "/api/v1/kb/search", tag = "kb", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 422, body = crate::error::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn search(State(state): State<AppState>, ApiQuery(params): ApiQuery<SearchParams>) -> AppResult<ApiJson<SearchResults>> {
    let (query, lang) = search_input(&params.q, params.lang.as_deref())?;
    let source = match params.source.as_deref() {
        None | Some("api") => SearchSource::Api,
        Some("widget") => SearchSource::Widget,
        Some(other) => return Err(AppError::Unprocessable(format!("source: '{other}' is not widget or api"))),
    };
    let limit = params.limit.unwrap_or(5).clamp(1, 20);
    let results = if query.is_empty() { Vec::new() } else { state.knowledge.search(&query, lang.as_deref(), limit).map_err(AppError::Internal)? };
    if !query.is_empty() {
        state.store.log_search(&query, lang.as_deref(), source, results.len(), results.first().map(|hit| hit.id.as_str())).await?;
    }
    Ok(ApiJson(SearchResults { query, results }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deflection {
    /// The suggested article the learner opened.
    pub article_id: String,
    /// What they had typed.
    pub query: String,
}

/// Counts a deflection: a learner opened a suggested article instead of starting a
/// conversation.
#[utoipa::path(post, path = "/api/v1/kb/deflections", tag = "kb", request_body = Deflection,
    responses((status = 204), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn deflection(
    State(state): State<AppState>,
    client_ip: crate::http::client_ip::ClientIp,
    ApiJson(deflection): ApiJson<Deflection>,
) -> AppResult<axum::http::StatusCode> {
    crate::http::client_ip::public_write(&state, client_ip)?;
    let (query, _) = search_input(&deflection.query, None)?;
    let article = state.store.article(&deflection.article_id).await?;
    if article.content.visibility != "published" {
        return Err(AppError::not_found("article"));
    }
    state.store.count_deflection(&article.content.id, &query).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// Look back this many days (1–365, default 30).
    pub days: Option<i64>,
}

/// Search analytics (staff): top queries, queries without results, deflections.
#[utoipa::path(get, path = "/api/v1/kb/search-stats", tag = "kb", params(StatsParams),
    responses((status = 200, body = SearchStats), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn search_stats(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<StatsParams>) -> AppResult<ApiJson<SearchStats>> {
    auth.staff()?;
    let days = params.days.unwrap_or(30).clamp(1, 365);
    let since = crate::store::now_ms() - days * 24 * 3600 * 1000;
    Ok(ApiJson(state.store.search_stats(since, 20).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LearnedParams {
    /// `pending` (default), `accepted` or `rejected`.
    pub status: Option<String>,
}

/// Learner wordings proposed as other questions of articles (staff), newest first.
#[utoipa::path(get, path = "/api/v1/kb/learned-questions", tag = "kb", params(LearnedParams),
    responses((status = 200, body = Vec<LearnedQuestion>), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn learned_questions(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<LearnedParams>,
) -> AppResult<ApiJson<Vec<LearnedQuestion>>> {
    auth.staff()?;
    let status = params.status.as_deref().unwrap_or("pending");
    if !matches!(status, "pending" | "accepted" | "rejected") {
        return Err(AppError::BadRequest(format!("status: '{status}' is not one of pending, accepted, rejected")));
    }
    Ok(ApiJson(state.store.learned_questions(status, 200).await?))
}

/// Accepts a learned question (staff): the bot answers that wording with the article from now on.
#[utoipa::path(post, path = "/api/v1/kb/learned-questions/{id}/accept", tag = "kb", params(("id" = i64, Path)),
    responses((status = 200, body = LearnedQuestion), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn accept_question(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<LearnedQuestion>> {
    let staff = auth.staff()?;
    let question = state.store.decide_question(id, true, staff.user_id).await?;
    state.knowledge.changed(&state.store).await;
    Ok(ApiJson(question))
}

/// Rejects a learned question (staff).
#[utoipa::path(post, path = "/api/v1/kb/learned-questions/{id}/reject", tag = "kb", params(("id" = i64, Path)),
    responses((status = 200, body = LearnedQuestion), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn reject_question(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<LearnedQuestion>> {
    let staff = auth.staff()?;
    Ok(ApiJson(state.store.decide_question(id, false, staff.user_id).await?))
}

/// Topics nothing answered (staff): the bot's unanswered questions and zero-result searches,
/// grouped by similarity, biggest first — the articles to write.
#[utoipa::path(get, path = "/api/v1/kb/gaps", tag = "kb", params(StatsParams),
    responses((status = 200, body = Vec<Gap>), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn gaps(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<StatsParams>) -> AppResult<ApiJson<Vec<Gap>>> {
    auth.staff()?;
    Ok(ApiJson(crate::services::learning::gaps(&state, params.days.unwrap_or(30).clamp(1, 365), 20).await?))
}
