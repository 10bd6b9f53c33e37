//! Files in conversations: `POST /api/v1/conversations/{id}/attachments` uploads one — an
//! image (PNG, JPEG, GIF or WebP, checked by its bytes), or for staff any file with
//! `?filename=` — at most `attachment_max_bytes`; `GET /api/v1/attachments/{id}` serves it to
//! whoever may see the conversation: images inline, other files only as a download
//! (`application/octet-stream`, `Content-Disposition: attachment`, sandboxed). A message
//! refers to an upload by `attachment_id`.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use edudesk_core::{Access, Principal, Status};

use serde::Deserialize;

use super::{ApiJson, ApiPath, ApiQuery, authorize};
use crate::{
    AppState,
    error::{AppError, AppResult},
    http::session::Auth,
    services::attachments::{IMAGE_TYPES, clean_filename, file_content_type, sniff_matches},
    store::{attachments::Attachment, events::Actor},
};

/// Loads a conversation the caller may write in (owner or staff within access).
async fn writable_conversation(state: &AppState, auth: &Auth, id: i64) -> AppResult<()> {
    let (conversation, _) = authorize(state, auth, id).await?;
    if conversation.status == Status::Closed {
        return Err(AppError::Conflict("the conversation is closed; start a new one".to_owned()));
    }
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// A file's name (staff uploading a file that is not an image).
    pub filename: Option<String>,
}

/// Uploads an image or (staff) a file to a conversation; send the raw bytes with the
/// Content-Type, and a file's name as `?filename=`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/attachments", tag = "conversations", params(("id" = i64, Path), UploadParams),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 201, body = Attachment), (status = 404, body = crate::error::Problem), (status = 413, body = crate::error::Problem),
        (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<UploadParams>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<(StatusCode, ApiJson<Attachment>)> {
    let declared = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let declared = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let image = IMAGE_TYPES.iter().find(|(known, _)| *known == declared);
    let staff = matches!(auth.principal, Principal::Staff(_));
    let (content_type, filename) = match (image, &params.filename) {
        (Some((content_type, name)), filename) => {
            if !body.is_empty() && !sniff_matches(content_type, &body) {
                return Err(AppError::UnsupportedMediaType(format!("the file is not a {name} image")));
            }
            ((*content_type).to_owned(), filename.as_deref().map(clean_filename).transpose()?)
        }
        (None, Some(filename)) if staff => (file_content_type(&declared), Some(clean_filename(filename)?)),
        (None, _) if staff => return Err(AppError::Unprocessable("filename: a file that is not an image needs ?filename=".to_owned())),
        (None, _) => return Err(AppError::UnsupportedMediaType("send a PNG, JPEG, GIF or WebP image with its Content-Type".to_owned())),
    };
    if body.is_empty() {
        return Err(AppError::Unprocessable("the file is empty".to_owned()));
    }
    if body.len() > state.config.attachment_max_bytes {
        return Err(AppError::PayloadTooLarge(format!("attachments may be at most {} bytes", state.config.attachment_max_bytes)));
    }
    writable_conversation(&state, &auth, id).await?;
    let uploader = match auth.principal {
        Principal::Learner { contact_id } => Actor { user_id: None, contact_id: Some(contact_id) },
        Principal::Staff(staff) => Actor { user_id: Some(staff.user_id), contact_id: None },
    };
    let created = state.store.create_attachment(id, uploader, &content_type, filename.as_deref(), &body).await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// Whether an attachment is shown inline (a checked image type) rather than downloaded.
pub fn is_inline_image(content_type: &str) -> bool {
    IMAGE_TYPES.iter().any(|(known, _)| *known == content_type)
}

/// `Content-Disposition: attachment` with the name in ASCII and in RFC 5987 form.
fn download_disposition(filename: &str) -> String {
    let ascii: String = filename.chars().map(|c| if c.is_ascii_alphanumeric() || "._- ()".contains(c) { c } else { '_' }).collect();
    let encoded: String = filename
        .bytes()
        .map(|byte| if byte.is_ascii_alphanumeric() || b".-_~".contains(&byte) { (byte as char).to_string() } else { format!("%{byte:02X}") })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Serves an attachment to whoever may see its conversation.
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
    if is_inline_image(&attachment.content_type) {
        let content_type = HeaderValue::from_str(&attachment.content_type).map_err(|error| AppError::Internal(error.into()))?;
        headers.insert(header::CONTENT_TYPE, content_type);
    } else {
        // Never rendered by the browser, whatever it claims to be: downloaded.
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
        let name = attachment.filename.as_deref().unwrap_or("attachment");
        let disposition = HeaderValue::from_str(&download_disposition(name)).map_err(|error| AppError::Internal(error.into()))?;
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400"));
    Ok(response)
}
