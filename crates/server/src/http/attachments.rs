//! Images in conversations: `POST /api/v1/conversations/{id}/attachments` uploads one
//! (PNG, JPEG, GIF or WebP, checked by its bytes, at most `attachment_max_bytes`), and
//! `GET /api/v1/attachments/{id}` serves it to whoever may see the conversation. A message
//! refers to an upload by `attachment_id`.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use edudesk_core::{Access, Principal, Status};

use super::{ApiJson, ApiPath, authorize};
use crate::{
    AppState,
    auth::Auth,
    error::{AppError, AppResult},
    store::{attachments::Attachment, events::Actor, messages::Author},
};

/// The image types accepted, with the bytes each must start with. SVG is refused on
/// purpose: it can carry scripts.
const IMAGE_TYPES: &[(&str, &str)] = &[("image/png", "PNG"), ("image/jpeg", "JPEG"), ("image/gif", "GIF"), ("image/webp", "WebP")];

/// Whether `data` really is an image of `content_type`, by its signature bytes.
pub fn sniff_matches(content_type: &str, data: &[u8]) -> bool {
    match content_type {
        "image/png" => data.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => data.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/gif" => data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a"),
        "image/webp" => data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP",
        _ => false,
    }
}

/// Loads a conversation the caller may write in (owner or staff within access).
async fn writable_conversation(state: &AppState, auth: &Auth, id: i64) -> AppResult<()> {
    let (conversation, _) = authorize(state, auth, id).await?;
    if conversation.status == Status::Closed {
        return Err(AppError::Conflict("the conversation is closed; start a new one".to_owned()));
    }
    Ok(())
}

/// Uploads an image to a conversation; send the raw bytes with the image's Content-Type.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/attachments", tag = "conversations", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 201, body = Attachment), (status = 404, body = crate::error::Problem), (status = 413, body = crate::error::Problem),
        (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(StatusCode, ApiJson<Attachment>)> {
    let declared = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let declared = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let Some((content_type, name)) = IMAGE_TYPES.iter().find(|(known, _)| *known == declared) else {
        return Err(AppError::UnsupportedMediaType("send a PNG, JPEG, GIF or WebP image with its Content-Type".to_owned()));
    };
    if body.is_empty() {
        return Err(AppError::Unprocessable("the image is empty".to_owned()));
    }
    if body.len() > state.config.attachment_max_bytes {
        return Err(AppError::PayloadTooLarge(format!("images may be at most {} bytes", state.config.attachment_max_bytes)));
    }
    if !sniff_matches(content_type, &body) {
        return Err(AppError::UnsupportedMediaType(format!("the file is not a {name} image")));
    }
    writable_conversation(&state, &auth, id).await?;
    let uploader = match auth.principal {
        Principal::Learner { contact_id } => Actor { user_id: None, contact_id: Some(contact_id) },
        Principal::Staff(staff) => Actor { user_id: Some(staff.user_id), contact_id: None },
    };
    Ok((StatusCode::CREATED, ApiJson(state.store.create_attachment(id, uploader, content_type, &body).await?)))
}

/// Serves an image to whoever may see its conversation.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "conversations", params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/png"), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(attachment_id = id))]
pub async fn download(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<Response> {
    let attachment = state.store.attachment(id).await?;
    let access = match authorize(&state, &auth, attachment.conversation_id).await {
        Err(AppError::NotFound(_)) => return Err(AppError::not_found("attachment")),
        other => other?.1,
    };
    match access {
        Access::Hidden | Access::Forbidden => return Err(AppError::not_found("attachment")),
        Access::Owner => {
            // A learner sees their own uploads and images sent to them, never those of
            // internal notes or uploads staff have not sent.
            let own = matches!(auth.principal, Principal::Learner { contact_id } if attachment.uploader_contact_id == Some(contact_id));
            if !own && !state.store.attachment_is_public(id).await? {
                return Err(AppError::not_found("attachment"));
            }
        }
        Access::Staff | Access::Collaborator => {}
    }
    let data = state.store.attachment_data(id).await?;
    let mut response = data.into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&attachment.content_type).map_err(|error| AppError::Internal(error.into()))?;
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400"));
    Ok(response)
}

/// Checks that a message may carry this attachment: same conversation, same author.
pub async fn check_attachment(state: &AppState, attachment_id: i64, conversation_id: i64, author: Author) -> AppResult<()> {
    let attachment =
        state.store.attachment(attachment_id).await.map_err(|_| AppError::Unprocessable(format!("attachment_id: there is no attachment {attachment_id}")))?;
    let actor = author.actor();
    let same_author = attachment.uploader_user_id == actor.user_id && attachment.uploader_contact_id == actor.contact_id;
    if attachment.conversation_id != conversation_id || !same_author {
        return Err(AppError::Unprocessable("attachment_id: upload the image to this conversation yourself first".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert!(sniff_matches("image/png", b"\x89PNG\r\n\x1a\n...."));
        assert!(!sniff_matches("image/png", b"<svg onload=alert(1)>"));
        assert!(sniff_matches("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(sniff_matches("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "));
        assert!(!sniff_matches("image/svg+xml", b"<svg/>"));
    }
}
