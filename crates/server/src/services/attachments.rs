//! What a conversation accepts as a file: images recognised by their bytes (never by what
//! the sender claims), file names and content types cleaned, and the rule that a message
//! carries only an upload its own author made to the same conversation. Used by the
//! upload endpoint, by posting a message and by email's attachments.

use crate::{
    AppState,
    error::{AppError, AppResult},
    store::messages::Author,
};

/// The image types accepted, with the bytes each must start with. SVG is refused on
/// purpose: it can carry scripts.
pub const IMAGE_TYPES: &[(&str, &str)] = &[("image/png", "PNG"), ("image/jpeg", "JPEG"), ("image/gif", "GIF"), ("image/webp", "WebP")];

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

/// Whether `name` is a file name we keep as given: 1–200 characters, no path, no control
/// characters.
pub fn clean_filename(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(|c| c.is_control() || matches!(c, '/' | '\\')) || name.starts_with('.') {
        return Err(AppError::Unprocessable("filename: 1–200 characters, no path or control characters".to_owned()));
    }
    Ok(name.to_owned())
}

/// A declared content type kept for a file: `type/subtype` in plain tokens, else octet-stream.
pub fn file_content_type(declared: &str) -> String {
    let declared = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let token = |part: &str| !part.is_empty() && part.len() <= 100 && part.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c));
    match declared.split_once('/') {
        Some((kind, subtype)) if token(kind) && token(subtype) => declared,
        _ => "application/octet-stream".to_owned(),
    }
}

/// Checks that a message may carry this attachment: same conversation, same author.
pub async fn check_attachment(state: &AppState, attachment_id: i64, conversation_id: i64, author: Author) -> AppResult<()> {
    let attachment =
        state.store.attachment(attachment_id).await.map_err(|_| AppError::Unprocessable(format!("attachment_id: there is no attachment {attachment_id}")))?;
    let actor = author.actor();
    let same_author = attachment.uploader_user_id == actor.user_id && attachment.uploader_contact_id == actor.contact_id;
    if attachment.conversation_id != conversation_id || !same_author {
        return Err(AppError::Unprocessable("attachment_id: upload the file to this conversation yourself first".to_owned()));
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
