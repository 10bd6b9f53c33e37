//! In-browser calls over HTTP: ringing, answering and hanging up a call in a conversation,
//! the calls a conversation has had, the ICE servers (with TURN credentials) a browser
//! needs, and the conversation's whiteboard. Signalling and drawing go over the realtime
//! socket (`call_signal`, `board_op` frames).

use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiJson, ApiPath, session::Auth};
use crate::{
    AppState,
    error::AppResult,
    services::{
        boards,
        calls::{self, IceConfig},
    },
    store::{boards::Board, media_calls::MediaCall},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCall {
    /// `voice` or `video`.
    pub media: String,
}

/// Rings the other side: the learner rings the agents, an agent rings the learner (the
/// learner or staff who may work on the conversation). 409 while another call is live.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/calls", tag = "calls", request_body = NewCall,
    params(("id" = i64, Path, description = "Conversation id")),
    responses((status = 201, body = MediaCall), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewCall>,
) -> AppResult<(axum::http::StatusCode, ApiJson<MediaCall>)> {
    let call = calls::start(&state, auth.principal, id, &body.media).await?;
    Ok((axum::http::StatusCode::CREATED, ApiJson(call)))
}

/// The calls of a conversation, oldest first (whoever may read it).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/calls", tag = "calls",
    params(("id" = i64, Path, description = "Conversation id")),
    responses((status = 200, body = Vec<MediaCall>), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Vec<MediaCall>>> {
    super::authorize(&state, &auth, id).await?;
    Ok(ApiJson(state.store.media_calls_of(id).await?))
}

/// The side that was rung accepts the call.
#[utoipa::path(post, path = "/api/v1/calls/{id}/accept", tag = "calls",
    params(("id" = i64, Path, description = "Call id")),
    responses((status = 200, body = MediaCall), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn accept(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<MediaCall>> {
    Ok(ApiJson(calls::answer(&state, auth.principal, id, true).await?))
}

/// The side that was rung declines the call.
#[utoipa::path(post, path = "/api/v1/calls/{id}/decline", tag = "calls",
    params(("id" = i64, Path, description = "Call id")),
    responses((status = 200, body = MediaCall), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn decline(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<MediaCall>> {
    Ok(ApiJson(calls::answer(&state, auth.principal, id, false).await?))
}

/// Hangs up: cancels a call still ringing (the caller), declines it (the callee), or ends a
/// call in progress (either participant).
#[utoipa::path(post, path = "/api/v1/calls/{id}/hangup", tag = "calls",
    params(("id" = i64, Path, description = "Call id")),
    responses((status = 200, body = MediaCall), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn hang_up(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<MediaCall>> {
    Ok(ApiJson(calls::hang_up(&state, auth.principal, id).await?))
}

/// A conversation's whiteboard: every element at the board's last change number (whoever
/// may read the conversation). Live changes arrive over the realtime socket (`board`).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/board", tag = "calls",
    params(("id" = i64, Path, description = "Conversation id")),
    responses((status = 200, body = Board), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn board(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Board>> {
    Ok(ApiJson(boards::board(&state, auth.principal, id).await?))
}

/// STUN/TURN servers for `RTCPeerConnection`, with TURN credentials valid for `ttl_seconds`
/// (any signed-in learner or staff member).
#[utoipa::path(get, path = "/api/v1/calls/ice-servers", tag = "calls",
    responses((status = 200, body = IceConfig), (status = 401, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn ice_servers(State(state): State<AppState>, auth: Auth) -> ApiJson<IceConfig> {
    ApiJson(calls::ice_config(&state, auth.principal))
}
