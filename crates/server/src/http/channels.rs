//! Channel configuration for admins (`/api/v1/channels`) — secrets are write-only — and a
//! conversation's outbound deliveries with their state for staff.

use axum::extract::State;

use super::{ApiJson, ApiPath, authorize};
use crate::{
    AppState, channels,
    channels::ChannelInput,
    channels::ChannelView,
    error::{AppError, AppResult},
    http::session::Auth,
    store::channels::DeliveryRow,
};

fn admin(auth: &Auth) -> AppResult<()> {
    let staff = auth.staff()?;
    if staff.role != edudesk_core::Role::Admin {
        return Err(AppError::Forbidden("only admins configure channels".to_owned()));
    }
    Ok(())
}

/// Every configured channel (admins); secrets are shown only as set or not.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, body = Vec<ChannelView>), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<Vec<ChannelView>>> {
    admin(&auth)?;
    Ok(ApiJson(state.store.channels().await?.iter().map(ChannelView::of).collect()))
}

/// Creates or changes a channel (admins). Omitted secrets keep their value.
#[utoipa::path(put, path = "/api/v1/channels/{kind}/{name}", tag = "channels", params(("kind" = String, Path), ("name" = String, Path)),
    request_body = ChannelInput,
    responses((status = 200, body = ChannelView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn save(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((kind, name)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<ChannelInput>,
) -> AppResult<ApiJson<ChannelView>> {
    admin(&auth)?;
    Ok(ApiJson(channels::save(&state, &kind, &name, input).await?))
}

/// The outbound deliveries of a conversation's messages: queued, sent or failed (with why).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/deliveries", tag = "channels", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<DeliveryRow>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn deliveries(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Vec<DeliveryRow>>> {
    // A learner's own conversation is 403 (staff only), anyone else's 404.
    authorize(&state, &auth, id).await?;
    auth.staff()?;
    Ok(ApiJson(state.store.deliveries(id).await?))
}
