//! The service pyramid over HTTP: `GET /api/v1/queues` (each tier's queue, live for
//! supervisors) and `POST /api/v1/conversations/{id}/escalate`.

use axum::extract::State;
use edudesk_core::{Access, Principal, Tier, input::ShortText};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiJson, ApiPath, authorize};
use crate::{
    AppState,
    error::{AppError, AppResult},
    http::session::Auth,
    services::{
        conversations,
        routing::{self, QueueView},
    },
    store::{conversations::Conversation, events::Actor, now_ms, routing::Escalation},
};

/// Every tier's queue: waiting conversations, the longest wait, agents online and free places.
#[utoipa::path(get, path = "/api/v1/queues", tag = "routing", responses((status = 200, body = Vec<QueueView>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<Vec<QueueView>>> {
    let staff = auth.staff()?;
    let queues = routing::queues(&state).await?;
    Ok(ApiJson(queues.into_iter().filter(|queue| staff.may_see_tier(queue.tier)).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateRequest {
    /// The tier to move to: the next one up for agents (or any lower one, to de-escalate);
    /// any tier for supervisors and admins.
    pub to_tier: Tier,
    /// Why (required): shown to the next agent and kept in the event log.
    pub reason: String,
    /// What the next tier should know, beyond the history they will see anyway.
    pub note: Option<String>,
}

/// Moves a conversation to another tier's queue with its whole history and a structured
/// escalation note; it is then offered to an agent of that tier.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/escalate", tag = "routing", params(("id" = i64, Path)), request_body = EscalateRequest,
    responses((status = 200, body = Conversation), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn escalate(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<EscalateRequest>,
) -> AppResult<ApiJson<Conversation>> {
    let staff = match auth.principal {
        Principal::Staff(staff) => staff,
        Principal::Learner { .. } => {
            // Another learner's conversation stays invisible: 404 before 403.
            let conversation = state.store.conversation(id).await?;
            if auth.principal.conversation_access(&conversation.scope()) == Access::Hidden {
                return Err(AppError::not_found("conversation"));
            }
            return Err(AppError::Forbidden("only staff escalate conversations".to_owned()));
        }
    };
    let reason = ShortText::parse("reason", &request.reason, 500)?.into_string();
    let note = request.note.as_deref().map(str::trim).filter(|note| !note.is_empty()).map(str::to_owned);
    if note.as_ref().is_some_and(|note| note.chars().count() > 5000) {
        return Err(AppError::Unprocessable("note: must be at most 5000 characters".to_owned()));
    }
    // The SOP's mandatory steps come first, and its answers travel with the escalation.
    let before = state.store.conversation(id).await?;
    let sop = crate::services::sops::for_escalation(&state, &before).await?;
    let context = match &before.sop {
        Some(running) => serde_json::json!({"sop_id": running.id, "version": running.version, "step": running.step, "answers": running.answers}),
        None => serde_json::json!({}),
    };
    let escalation = Escalation { to_tier: request.to_tier, reason, note, context };
    let principal = auth.principal;
    let actor = Actor { user_id: Some(staff.user_id), contact_id: None };
    let moved = conversations::escalate(&state, id, &escalation, actor, now_ms(), |current| {
        if principal.conversation_access(&current.scope()) != Access::Staff {
            return Err(conversations::outside_your_tier());
        }
        if current.tier == request.to_tier {
            return Err(AppError::Conflict(format!("the conversation is already in tier {}", current.tier)));
        }
        crate::services::sops::require_complete(sop.as_ref(), current, "escalate")?;
        // Agents answer the SOP's standard questions first; supervisors may override.
        if !staff.role.oversees_all() {
            crate::services::sops::require_ready_to_escalate(sop.as_ref(), current)?;
        }
        conversations::may_move_tier(staff, current.tier, request.to_tier)
    })
    .await?;
    Ok(ApiJson(moved))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCollaborators {
    /// A team (e.g. `finance`, `product`) whose members join as collaborators.
    pub team: String,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CollaboratorsAdded {
    pub team: String,
    pub user_ids: Vec<i64>,
}

/// Pulls another team into a Tier 3 conversation as collaborators: they read it and write
/// internal notes (Tier 3 staff working on it, or supervisors and admins).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/collaborators", tag = "routing", params(("id" = i64, Path)), request_body = AddCollaborators,
    responses((status = 200, body = CollaboratorsAdded), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn add_collaborators(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<AddCollaborators>,
) -> AppResult<ApiJson<CollaboratorsAdded>> {
    let staff = auth.staff()?;
    let (conversation, access) = authorize(&state, &auth, id).await?;
    if access != Access::Staff {
        return Err(AppError::Forbidden("only staff working on the conversation pull in other teams".to_owned()));
    }
    if conversation.tier != Tier::THREE && !staff.role.oversees_all() {
        return Err(AppError::Forbidden("other teams are pulled in on tier 3 conversations".to_owned()));
    }
    let team = ShortText::parse("team", &request.team, 60)?.into_string();
    let user_ids = state.store.add_collaborators(id, &team, staff.user_id, now_ms()).await?;
    Ok(ApiJson(CollaboratorsAdded { team, user_ids }))
}
