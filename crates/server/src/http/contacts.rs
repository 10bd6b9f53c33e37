//! Contacts (learners) for staff: `POST /api/v1/contacts`, `GET /api/v1/contacts/{id}`.
//! Learners read their own profile through `/api/v1/auth/me`. A learner's data rights:
//! `GET /api/v1/contacts/{id}/export` (the learner, supervisors, admins) and erasure with
//! `DELETE /api/v1/contacts/{id}` (admins).

use axum::{extract::State, http::StatusCode};
use edudesk_core::{
    IdentityKind, Principal,
    input::{Email, ShortText},
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiJson, ApiPath};
use crate::{
    AppState,
    error::{AppError, AppResult},
    http::session::Auth,
    store::{
        contacts::Contact,
        privacy::{ErasureReport, LearnerExport},
    },
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdentity {
    /// `platform`, `email`, `phone` or `wechat_openid`.
    pub kind: IdentityKind,
    pub value: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    pub display_name: Option<String>,
    /// At least one; the first decides whether the learner is already known.
    pub identities: Vec<NewIdentity>,
}

fn parse_identity(identity: &NewIdentity) -> AppResult<(IdentityKind, String)> {
    let value = match identity.kind {
        IdentityKind::Email => Email::parse(&identity.value)?.as_str().to_owned(),
        IdentityKind::Visitor => return Err(AppError::Unprocessable("identities: visitor ids are made by the widget, not by staff".to_owned())),
        _ => ShortText::parse("identities", &identity.value, 128)?.into_string(),
    };
    Ok((identity.kind, value))
}

/// Finds or creates a learner by identity (staff). Identities that another contact
/// already holds are left with that contact.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = CreateContact,
    responses((status = 201, body = Contact), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create(State(state): State<AppState>, auth: Auth, ApiJson(request): ApiJson<CreateContact>) -> AppResult<(StatusCode, ApiJson<Contact>)> {
    auth.staff()?;
    let name = request.display_name.as_deref().map(|name| ShortText::parse("display_name", name, 100)).transpose()?;
    let identities = request.identities.iter().map(parse_identity).collect::<AppResult<Vec<_>>>()?;
    let Some(((first_kind, first_value), rest)) = identities.split_first() else {
        return Err(AppError::Unprocessable("identities: give at least one".to_owned()));
    };
    let contact_id = state.store.upsert_contact_by_identity(*first_kind, first_value, name.as_ref().map(ShortText::as_str)).await?;
    for (kind, value) in rest {
        state.store.add_identity(contact_id, *kind, value).await?;
    }
    Ok((StatusCode::CREATED, ApiJson(state.store.contact(contact_id).await?)))
}

/// One learner with their identities (staff).
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, body = Contact), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(contact_id = id))]
pub async fn get(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Contact>> {
    auth.staff()?;
    Ok(ApiJson(state.store.contact(id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeContacts {
    /// The contact merged into this one (and then removed).
    pub from: i64,
}

/// Merges two contacts that are the same learner (staff): identities, conversations from
/// every channel, and attributes end up on this one; the other is retired.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/merge", tag = "contacts", params(("id" = i64, Path)), request_body = MergeContacts,
    responses((status = 200, body = Contact), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(contact_id = id))]
pub async fn merge(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<MergeContacts>,
) -> AppResult<ApiJson<Contact>> {
    auth.staff()?;
    if request.from == id {
        return Err(AppError::Unprocessable("from: a contact cannot be merged into itself".to_owned()));
    }
    state.store.merge_contacts(id, request.from).await?;
    Ok(ApiJson(state.store.contact(id).await?))
}

/// Everything stored about one learner that the learner may see (their profile, identities,
/// conversations and messages without internal notes), as one JSON document: for the learner
/// themself, and for supervisors and admins answering a data request. Others' ids answer 404
/// to learners (ids cannot be probed); agents get 403.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/export", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, body = LearnerExport), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(contact_id = id))]
pub async fn export(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<LearnerExport>> {
    match auth.principal {
        Principal::Learner { contact_id } if contact_id == id => {}
        Principal::Learner { .. } => return Err(AppError::not_found("contact")),
        Principal::Staff(staff) if staff.role.oversees_all() => {}
        Principal::Staff(_) => return Err(AppError::Forbidden("a learner's data export is for supervisors and admins".to_owned())),
    }
    Ok(ApiJson(state.store.export_contact(id).await?))
}

/// Erases a learner's personal data (admins), irreversibly: name, identities, attributes,
/// sessions, every message body and file of their conversations, event payloads, delivery
/// recipients (queued replies are not sent), callers' numbers, what the bot learned from their
/// words, and staff's comments and task titles about them. The contact and
/// the conversations stay with their times and states, so counts and KPIs stay true.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, body = ErasureReport), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(contact_id = id))]
pub async fn erase(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<ErasureReport>> {
    let admin = auth.require_admin()?;
    let report = state.store.erase_contact(id).await?;
    // Their sessions are deleted; this node forgets them now, others within the cache's life.
    state.sessions.forget_contact(id);
    // Who erased whom, without anything that identified the learner.
    tracing::info!(contact_id = id, admin_id = admin.user_id, conversations = report.conversations, messages = report.messages, "learner data erased");
    Ok(ApiJson(report))
}
