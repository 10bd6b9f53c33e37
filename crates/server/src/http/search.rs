//! Conversation search under `/api/v1`: the list's search filters (parsed here once, for the
//! list and for saved views alike), tags on a conversation, the tags in use, and each staff
//! member's saved views (`/views`).

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use chrono::NaiveDate;
use edudesk_core::{
    Access, Channel, Principal, Status, Tier,
    input::{ShortText, parse_category, parse_tags},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, ApiPath, authorize};
use crate::{
    AppState,
    error::{AppError, AppResult},
    http::session::Auth,
    store::{
        conversations::{AssigneeFilter, ConversationFilter, SlaState},
        search::SavedView,
    },
};

/// At most this many saved views per person.
const MAX_VIEWS: usize = 50;

/// What a conversation list can be narrowed by: the list's query parameters, and what a saved
/// view keeps. Every field is text as it came; [`apply`] checks it.
#[derive(Debug, Default, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchFilters {
    /// `open`, `pending`, `resolved` or `closed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// 1, 2 or 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// `me`, `none` or a user id (staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Words in the subject or a message (staff also search internal notes), or `#id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// `widget`, `email`, `wechat`...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// One tag (staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// `ok`, `warned` or `breached`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<String>,
    /// First day created, `YYYY-MM-DD` in the team's time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last day created, `YYYY-MM-DD` in the team's time zone (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|value| !value.is_empty())
}

/// Checks `filters` and narrows `filter` by them, for `principal`: learners' lists are
/// always their own and never search internal notes, tags or assignees.
pub(crate) fn apply(state: &AppState, principal: &Principal, filters: &SearchFilters, filter: &mut ConversationFilter) -> AppResult<()> {
    let staff = principal.staff();
    if let Some(raw) = nonempty(&filters.status) {
        filter.status = Some(Status::parse(raw).ok_or_else(|| AppError::BadRequest(format!("status: '{raw}' is not one of open, pending, resolved, closed")))?);
    }
    if let Some(raw) = nonempty(&filters.tier) {
        filter.tier = Some(raw.parse::<i64>().ok().and_then(Tier::new).ok_or_else(|| AppError::BadRequest(format!("tier: '{raw}' is not 1, 2 or 3")))?);
    }
    if let (Some(staff), Some(raw)) = (staff, nonempty(&filters.assignee)) {
        filter.assignee = Some(match raw {
            "me" => AssigneeFilter::User(staff.user_id),
            "none" => AssigneeFilter::Nobody,
            raw => AssigneeFilter::User(raw.parse().map_err(|_| AppError::BadRequest(format!("assignee: '{raw}' is not me, none or a user id")))?),
        });
    }
    if let Some(raw) = nonempty(&filters.q) {
        if raw.chars().count() > 200 {
            return Err(AppError::BadRequest("q: at most 200 characters".to_owned()));
        }
        filter.text = Some(raw.to_owned());
        filter.search_internal = staff.is_some();
    }
    if let Some(raw) = nonempty(&filters.channel) {
        filter.channel = Some(Channel::parse(raw).ok_or_else(|| {
            let known: Vec<&str> = Channel::ALL.iter().map(|channel| channel.as_str()).collect();
            AppError::BadRequest(format!("channel: '{raw}' is not one of {}", known.join(", ")))
        })?);
    }
    if let Some(raw) = nonempty(&filters.category) {
        filter.category = Some(parse_category(raw).map_err(|error| AppError::BadRequest(error.to_string()))?);
    }
    if let (Some(_), Some(raw)) = (staff, nonempty(&filters.tag)) {
        let mut tags = parse_tags(&[raw.to_owned()]).map_err(|error| AppError::BadRequest(error.to_string()))?;
        filter.tag = tags.pop();
    }
    if let Some(raw) = nonempty(&filters.sla) {
        filter.sla = Some(SlaState::parse(raw).ok_or_else(|| AppError::BadRequest(format!("sla: '{raw}' is not ok, warned or breached")))?);
    }
    let zone = state.sla.calendar.time_zone;
    let day = super::kpis::day;
    let start_of = |date: NaiveDate| crate::clock::day_start_ms(zone, date);
    let from = nonempty(&filters.from).map(|raw| day(raw, "from")).transpose()?;
    let to = nonempty(&filters.to).map(|raw| day(raw, "to")).transpose()?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(AppError::BadRequest("from: the first day comes after the last".to_owned()));
    }
    filter.created_from = from.map(start_of);
    filter.created_before = to.map(|to| start_of(to + chrono::Duration::days(1)));
    Ok(())
}

/// The tags on one conversation (staff and collaborators).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/tags", tag = "search", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<String>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn tags(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Vec<String>>> {
    match authorize(&state, &auth, id).await?.1 {
        Access::Staff | Access::Collaborator => Ok(ApiJson(state.store.conversation_tags(id).await?)),
        _ => Err(AppError::Forbidden("tags are for staff".to_owned())),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTags {
    /// The conversation's tags after the change (at most 10; each 1–32 characters, no commas).
    pub tags: Vec<String>,
}

/// Replaces a conversation's tags (staff who may work on it).
#[utoipa::path(put, path = "/api/v1/conversations/{id}/tags", tag = "search", params(("id" = i64, Path)), request_body = SetTags,
    responses((status = 200, body = Vec<String>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn set_tags(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<SetTags>,
) -> AppResult<ApiJson<Vec<String>>> {
    if authorize(&state, &auth, id).await?.1 != Access::Staff {
        return Err(AppError::Forbidden("only staff working on the conversation may tag it".to_owned()));
    }
    let tags = parse_tags(&request.tags)?;
    Ok(ApiJson(state.store.set_conversation_tags(id, &tags).await?))
}

/// A tag and how many conversations carry it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagCount {
    pub tag: String,
    pub conversations: i64,
}

/// The tags in use, most used first (staff; for suggestions and the filter).
#[utoipa::path(get, path = "/api/v1/tags", tag = "search",
    responses((status = 200, body = Vec<TagCount>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn tags_in_use(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<Vec<TagCount>>> {
    auth.staff()?;
    let tags = state.store.tags_in_use(200).await?;
    Ok(ApiJson(tags.into_iter().map(|(tag, conversations)| TagCount { tag, conversations }).collect()))
}

/// The caller's saved views.
#[utoipa::path(get, path = "/api/v1/views", tag = "search",
    responses((status = 200, body = Vec<SavedView>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn views(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<Vec<SavedView>>> {
    let staff = auth.staff()?;
    Ok(ApiJson(state.store.saved_views(staff.user_id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewView {
    /// 1–60 characters, unique among the caller's views.
    pub name: String,
    pub filters: SearchFilters,
}

/// Saves the filters under a name (staff). The filters are checked as the list would.
#[utoipa::path(post, path = "/api/v1/views", tag = "search", request_body = NewView,
    responses((status = 201, body = SavedView), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn save_view(State(state): State<AppState>, auth: Auth, ApiJson(request): ApiJson<NewView>) -> AppResult<impl IntoResponse> {
    let staff = auth.staff()?;
    let name = ShortText::parse("name", &request.name, 60)?;
    apply(&state, &auth.principal, &request.filters, &mut ConversationFilter::default())?;
    if state.store.saved_views(staff.user_id).await?.len() >= MAX_VIEWS {
        return Err(AppError::Unprocessable(format!("at most {MAX_VIEWS} saved views; delete one first")));
    }
    let filters = serde_json::to_value(&request.filters).map_err(|error| AppError::Internal(error.into()))?;
    let view = state.store.create_saved_view(staff.user_id, name.as_str(), &filters, state.clock.now_ms()).await?;
    Ok((StatusCode::CREATED, ApiJson(view)))
}

/// Deletes one of the caller's saved views (another person's is 404).
#[utoipa::path(delete, path = "/api/v1/views/{id}", tag = "search", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(view_id = id))]
pub async fn delete_view(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    let staff = auth.staff()?;
    state.store.delete_saved_view(staff.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
