//! Conversations, their messages and their event log, under `/api/v1/conversations`.
//!
//! Thin handlers: each parses its request and calls the use case in
//! [`crate::services::conversations`] or [`crate::services::messages`]. Every handler that
//! touches one conversation goes through [`authorize`] (the services' access rule: a learner
//! sees only their own, another's id is 404; agents work at or below their tier, when
//! assigned, or as collaborators; supervisors and admins everywhere).

use axum::{
    extract::State,
    http::{HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use edudesk_core::{
    Access, Channel, Principal, Priority, Status, Tier,
    input::{ClientId, MessageBody, ShortText, parse_category},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    ApiJson, ApiPath, ApiQuery, authorize, double_option,
    search::{self, SearchFilters},
};
use crate::{
    AppState,
    error::{AppError, AppResult},
    http::session::Auth,
    services::{
        conversations::{self, ChangedBy, Opened, Opening},
        messages::{self, FollowUp, Post},
    },
    store::{
        conversations::{Conversation, ConversationChanges, ConversationFilter},
        events::Event,
        messages::{Author, Message},
    },
};

/// The first message of a new conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstMessage {
    pub body: String,
    /// Client-generated id; sending the same again returns the same conversation.
    pub client_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConversation {
    pub channel: Channel,
    pub subject: Option<String>,
    pub category: Option<String>,
    pub priority: Option<Priority>,
    /// Staff only: the tier's queue to start in (default 1).
    pub tier: Option<Tier>,
    /// Staff only (and required for them): the learner the conversation is for.
    pub contact_id: Option<i64>,
    pub message: FirstMessage,
    /// Learners' widget conversations: let the bot answer first [default: when no category
    /// is chosen]. `false` goes straight to a person.
    pub bot: Option<bool>,
    /// Staff starting an email: the mailbox it goes out from (`email/<name>`) [default: the
    /// only enabled one]. The first message is mailed to the learner's address.
    pub channel_account: Option<String>,
    /// The course the learner is on (the widget sends the platform's `course` attribute); at
    /// most 100 characters. Volume and spikes are counted per course too.
    pub course: Option<String>,
}

/// A conversation with the message that was posted with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedConversation {
    #[serde(flatten)]
    pub conversation: Conversation,
    pub message: Message,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `open`, `pending`, `resolved` or `closed`.
    pub status: Option<String>,
    /// 1, 2 or 3.
    pub tier: Option<String>,
    /// `me`, `none` or a user id.
    pub assignee: Option<String>,
    /// Words in the subject or a message (staff also search internal notes), or `#id`.
    pub q: Option<String>,
    /// `widget`, `email`, `wechat`, `sms`, `phone`, `app`...
    pub channel: Option<String>,
    pub category: Option<String>,
    /// Staff: conversations with this tag.
    pub tag: Option<String>,
    /// `ok`, `warned` or `breached`.
    pub sla: Option<String>,
    /// First day created, `YYYY-MM-DD` in the team's time zone.
    pub from: Option<String>,
    /// Last day created (inclusive).
    pub to: Option<String>,
    /// Staff only: one learner's conversations.
    pub contact_id: Option<i64>,
    /// Page backwards: only conversations with a smaller id.
    pub before: Option<i64>,
    /// At most this many (1 to 200, default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConversation {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    /// A user id, or `null` to unassign.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    pub category: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageParams {
    /// Only messages with a larger sequence number (default 0: from the start).
    pub after_seq: Option<i64>,
    /// At most this many (1 to 1000, default 200).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    pub body: String,
    /// Client-generated id; the same id in the same conversation returns the same message.
    pub client_id: Option<String>,
    /// An internal note, visible to staff only (staff only).
    #[serde(default)]
    pub internal: bool,
    /// An image uploaded first to `/conversations/{id}/attachments`; `body` may then be empty.
    pub attachment_id: Option<i64>,
}

/// Opens a conversation with its first message. Learners open their own; staff open one
/// on behalf of a learner (`contact_id`).
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", request_body = CreateConversation,
    responses((status = 201, body = CreatedConversation), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create(State(state): State<AppState>, auth: Auth, ApiJson(request): ApiJson<CreateConversation>) -> AppResult<Response> {
    let body = MessageBody::parse(&request.message.body)?;
    let client_id = match request.message.client_id.as_deref() {
        Some(raw) => ClientId::parse(raw)?.as_str().to_owned(),
        None => format!("srv-{}", crate::crypto::new_token()),
    };
    let subject = request.subject.as_deref().map(|subject| ShortText::parse("subject", subject, 200)).transpose()?.map(ShortText::into_string);
    // The learner's (or agent's) choice, else what the text says.
    let category = match request.category.as_deref() {
        Some(raw) => Some(parse_category(raw)?),
        None => state.categories.classify(body.as_str()).map(str::to_owned),
    };
    let routed_tier = state.categories.tier_of(category.as_deref());
    // A learner's own widget conversation starts with the bot unless they chose a category
    // (the console's "talk to a person" path) or asked for a person outright.
    let wants_bot = request.bot.unwrap_or(request.category.is_none());
    let (contact_id, author, tier) = match auth.principal {
        Principal::Learner { contact_id } => {
            if request.contact_id.is_some_and(|requested| requested != contact_id) {
                return Err(AppError::Forbidden("learners open conversations only for themselves".to_owned()));
            }
            if request.tier.is_some() || request.priority.is_some() {
                return Err(AppError::Forbidden("only staff choose a conversation's tier and priority".to_owned()));
            }
            // Other channels (WeChat, email, phone...) are opened by their adapters, which
            // prove where a message came from; a learner cannot claim one.
            if !matches!(request.channel, Channel::Widget | Channel::InApp) {
                return Err(AppError::Forbidden(format!("learners open widget or in-app conversations, not {}", request.channel.as_str())));
            }
            (contact_id, Author::Contact(contact_id), routed_tier)
        }
        Principal::Staff(staff) => {
            let contact_id =
                request.contact_id.ok_or_else(|| AppError::Unprocessable("contact_id: staff must say which learner the conversation is for".to_owned()))?;
            if !state.store.contact_exists(contact_id).await? {
                return Err(AppError::Unprocessable(format!("contact_id: there is no contact {contact_id}")));
            }
            let tier = request.tier.unwrap_or(routed_tier);
            if request.tier.is_some() && !staff.may_see_tier(tier) {
                return Err(AppError::Forbidden("agents cannot open conversations above their tier".to_owned()));
            }
            (contact_id, Author::Agent(staff.user_id), tier)
        }
    };
    // Staff may start an email to a learner: it needs a mailbox to send from and the
    // learner's address, both checked before anything is stored.
    let mailbox = match (&auth.principal, request.channel) {
        (Principal::Staff(_), Channel::Email) => Some(crate::channels::email::outgoing_mailbox(&state, contact_id, request.channel_account.as_deref()).await?),
        _ if request.channel_account.is_some() => return Err(AppError::Unprocessable("channel_account: only for staff starting an email".to_owned())),
        _ => None,
    };
    let learner_widget = request.channel == Channel::Widget && matches!(auth.principal, Principal::Learner { .. });
    let course = match request.course.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(course) => Some(edudesk_core::input::ShortText::parse("course", course, 100)?.into_string()),
    };
    let opening = Opening {
        contact_id,
        channel: request.channel,
        deliver_first: mailbox.is_some(),
        account: mailbox,
        subject,
        category,
        tier: Some(tier),
        priority: request.priority.unwrap_or(Priority::Normal),
        author,
        body: body.as_str().to_owned(),
        client_id,
        bot: wants_bot && learner_widget,
        course,
    };
    let Opened { conversation, message, replayed } = conversations::open(&state, opening).await?;
    Ok(created(CreatedConversation { conversation, message }, replayed))
}

/// A 201 answer; a replay of an earlier request (same client id) is marked with
/// `Idempotent-Replayed: true` and carries the original resource.
fn created<T: Serialize>(body: T, replayed: bool) -> Response {
    let mut response = (StatusCode::CREATED, ApiJson(body)).into_response();
    if replayed {
        response.headers_mut().insert(HeaderName::from_static("idempotent-replayed"), HeaderValue::from_static("true"));
    }
    response
}

/// Lists conversations, newest first. Learners get their own; agents what is at or below
/// their tier or assigned to them; supervisors and admins everything.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ListParams),
    responses((status = 200, body = Vec<crate::store::conversations::ConversationItem>), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<ApiJson<Vec<crate::store::conversations::ConversationItem>>> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::BadRequest("limit: must be between 1 and 200".to_owned()));
    }
    let mut filter = ConversationFilter { before_id: params.before, limit, ..ConversationFilter::default() };
    let filters = SearchFilters {
        status: params.status,
        tier: params.tier,
        assignee: params.assignee,
        q: params.q,
        channel: params.channel,
        category: params.category,
        tag: params.tag,
        sla: params.sla,
        from: params.from,
        to: params.to,
    };
    search::apply(&state, &auth.principal, &filters, &mut filter)?;
    match auth.principal {
        Principal::Learner { contact_id } => filter.contact_id = Some(contact_id),
        Principal::Staff(staff) => {
            filter.contact_id = params.contact_id;
            if !staff.role.oversees_all() {
                filter.max_tier = Some((staff.tier, staff.user_id));
            }
        }
    }
    let conversations = state.store.conversations(&filter).await?;
    let mut items = state.store.with_previews(conversations).await?;
    // Tags are the team's own labels: staff see them, learners never.
    if auth.principal.staff().is_some() {
        let ids: Vec<i64> = items.iter().map(|item| item.conversation.id).collect();
        let mut tags = state.store.tags_of(&ids).await?;
        for item in &mut items {
            item.tags = tags.remove(&item.conversation.id).unwrap_or_default();
        }
    }
    Ok(ApiJson(items))
}

/// One conversation.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = i64, Path)),
    responses((status = 200, body = Conversation), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn get(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Conversation>> {
    let (conversation, _) = authorize(&state, &auth, id).await?;
    Ok(ApiJson(conversation))
}

/// Changes status, priority, assignee or category (staff). Illegal status changes are 409.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = i64, Path)), request_body = UpdateConversation,
    responses((status = 200, body = Conversation), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<UpdateConversation>,
) -> AppResult<ApiJson<Conversation>> {
    let staff = match auth.principal {
        Principal::Staff(staff) => staff,
        Principal::Learner { .. } => {
            // Another learner's conversation stays invisible: 404 before 403.
            authorize(&state, &auth, id).await?;
            return Err(AppError::Forbidden("only staff change a conversation".to_owned()));
        }
    };
    let changes = ConversationChanges {
        status: request.status,
        priority: request.priority,
        assignee_id: request.assignee_id,
        category: request.category.as_deref().map(parse_category).transpose()?,
    };
    let updated = conversations::change(&state, id, changes, ChangedBy::Staff(staff)).await?;
    Ok(ApiJson(updated))
}

/// Messages after a sequence number. Learners never see internal notes.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations", params(("id" = i64, Path), MessageParams),
    responses((status = 200, body = Vec<Message>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn list_messages(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<MessageParams>,
) -> AppResult<ApiJson<Vec<Message>>> {
    let (_, access) = authorize(&state, &auth, id).await?;
    let limit = params.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::BadRequest("limit: must be between 1 and 1000".to_owned()));
    }
    let after_seq = params.after_seq.unwrap_or(0);
    if after_seq < 0 {
        return Err(AppError::BadRequest("after_seq: must not be negative".to_owned()));
    }
    Ok(ApiJson(state.store.messages(id, after_seq, matches!(access, Access::Staff | Access::Collaborator), limit).await?))
}

/// Posts a message, answered after it is durably committed. The same `client_id` again
/// returns the original message (marked `Idempotent-Replayed: true`), never a second one.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations", params(("id" = i64, Path)), request_body = PostMessage,
    responses((status = 201, body = Message), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 413, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn post_message(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>, ApiJson(request): ApiJson<PostMessage>) -> AppResult<Response> {
    let post = Post { conversation_id: id, body: request.body, client_id: request.client_id, internal: request.internal, attachment_id: request.attachment_id };
    let appended = messages::post(&state, auth.principal, post, FollowUp::Inline).await?;
    Ok(created(appended.message, appended.replayed))
}

/// The conversation's event log. Learners see only its creation and status changes.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/events", tag = "conversations", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Event>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn events(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Vec<Event>>> {
    let (_, access) = authorize(&state, &auth, id).await?;
    Ok(ApiJson(state.store.events(id, !matches!(access, Access::Staff | Access::Collaborator)).await?))
}
