//! Email: support mailboxes read over IMAP (IDLE when the server has it, polling otherwise;
//! processed mail is marked seen and moved to `Processed`, auto-replies and bounces to
//! `Automated`, unreadable mail to `Unreadable` — nothing is deleted), MIME parsed fully
//! (mail-parser: multipart, HTML with a text fallback, quoted-printable and base64, GBK,
//! GB2312, Big5 and UTF-8, attachments), replies threaded into their conversation by
//! `In-Reply-To`/`References` or the `[#id]` tag in the subject, quoted history stripped, each
//! email ingested once by its Message-ID (across restarts), and agents' replies sent by SMTP
//! (lettre) with the threading headers and the conversation reference.

use std::{collections::HashMap, time::Duration};

use edudesk_core::{Channel, IdentityKind};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor, message::Mailbox};
use mail_parser::{HeaderValue, MessageParser, MimeHeaders};

use super::ChannelConfig;
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::inbox::{Inbound, Thread, ingest},
    store::{channels::DeliveryRow, events::Actor, messages::Author},
};

/// Largest email processed; bigger ones are moved aside unread.
const MAX_EMAIL_BYTES: usize = 25 * 1024 * 1024;

/// An email as EduDesk needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEmail {
    pub message_id: Option<String>,
    pub from_address: String,
    pub from_name: Option<String>,
    /// Where replies should go, when the sender asked for another address.
    pub reply_to: Option<String>,
    pub subject: String,
    /// The new text, quoted history removed.
    pub text: String,
    /// `In-Reply-To` then `References`, most recent first.
    pub thread_ids: Vec<String>,
    /// Why it must never be answered (auto-reply, bounce...), if so.
    pub automated: Option<&'static str>,
    /// What a delivery status notification says about a mail of ours, if it is one.
    pub bounce: Option<Bounce>,
    pub attachments: Vec<EmailAttachment>,
}

/// A bounce: who could not be reached, why, and which of our mails it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    pub recipient: Option<String>,
    /// `Status:` and `Diagnostic-Code:` as the reporting server wrote them.
    pub reason: String,
    /// Message-IDs quoted in the report (the returned mail's first), bare.
    pub original_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailAttachment {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
    pub inline: bool,
}

fn header_text(message: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    message.header(name).and_then(|value| match value {
        HeaderValue::Text(text) => Some(text.to_string()),
        HeaderValue::TextList(list) => Some(list.join(", ")),
        _ => None,
    })
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(text) => vec![bare_id(text)],
        HeaderValue::TextList(list) => list.iter().map(|id| bare_id(id)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|id| !id.is_empty())
    .collect()
}

/// A Message-ID as EduDesk stores it, received or sent: without whitespace or angle brackets
/// (`<a@b>` and `a@b` are one id). Headers that go out wrap it again ([`header_id`]).
pub fn bare_id(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').trim().to_owned()
}

/// An id as `Message-ID`, `In-Reply-To` and `References` must carry it: `<a@b>`.
fn header_id(id: &str) -> String {
    format!("<{}>", bare_id(id))
}

/// Why an email is machine-made and must not be answered, by RFC 3834 and common practice.
fn automated(message: &mail_parser::Message<'_>, from: &str) -> Option<&'static str> {
    if header_text(message, "Auto-Submitted").is_some_and(|value| !value.trim().eq_ignore_ascii_case("no")) {
        return Some("Auto-Submitted");
    }
    if message.header("X-Autoreply").is_some() || message.header("X-Autorespond").is_some() || message.header("X-Auto-Response-Suppress").is_some() {
        return Some("auto-reply header");
    }
    if header_text(message, "Precedence").is_some_and(|value| matches!(value.trim().to_ascii_lowercase().as_str(), "bulk" | "junk" | "list" | "auto_reply")) {
        return Some("Precedence");
    }
    let report =
        message.content_type().is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report")));
    if report {
        return Some("delivery status notification");
    }
    let local = from.split('@').next().unwrap_or_default();
    if ["mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"].contains(&local) {
        return Some("system sender");
    }
    None
}

/// Reads a delivery status notification (RFC 3464, or a plain MAILER-DAEMON report): the
/// failed recipient, the status and diagnostic, and the Message-IDs of the returned mail.
fn bounce(message: &mail_parser::Message<'_>) -> Option<Bounce> {
    let report =
        message.content_type().is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report")));
    let failed_header = header_text(message, "X-Failed-Recipients");
    if !report && failed_header.is_none() {
        return None;
    }
    // The report's own header block ends at the first blank line; everything after it (the
    // status part, the returned headers) is read as plain lines.
    let raw = String::from_utf8_lossy(message.raw_message());
    let body = raw.split_once("\r\n\r\n").or_else(|| raw.split_once("\n\n")).map_or("", |(_, body)| body);
    let field = |name: &str| {
        body.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    };
    let recipient = field("Final-Recipient")
        .or_else(|| field("Original-Recipient"))
        .map(|value| value.rsplit(';').next().unwrap_or_default().trim().to_owned())
        .or(failed_header)
        .filter(|value| !value.is_empty());
    let reason = [field("Status").map(|status| format!("status {status}")), field("Diagnostic-Code")].into_iter().flatten().collect::<Vec<_>>().join("; ");
    let own_id = message.message_id().map(bare_id);
    let mut original_ids: Vec<String> = body
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case("Message-ID").then(|| bare_id(value))
        })
        .filter(|id| !id.is_empty() && Some(id) != own_id.as_ref())
        .collect();
    original_ids.extend(ids(message.in_reply_to()));
    original_ids.dedup();
    Some(Bounce { recipient, reason: if reason.is_empty() { "undeliverable".to_owned() } else { reason }, original_ids })
}

/// Parses a raw email; `Err` says why it cannot be read (it is then moved aside, not lost).
pub fn parse(raw: &[u8]) -> Result<ParsedEmail, String> {
    if raw.len() > MAX_EMAIL_BYTES {
        return Err(format!("larger than {MAX_EMAIL_BYTES} bytes"));
    }
    let message = MessageParser::default().parse(raw).ok_or("not a MIME message")?;
    let from = message.from().and_then(|from| from.first()).ok_or("no From address")?;
    let from_address = from.address().ok_or("no From address")?.trim().to_lowercase();
    if !from_address.contains('@') || from_address.len() > 254 {
        return Err(format!("'{from_address}' is not an email address"));
    }
    let mut thread_ids = ids(message.in_reply_to());
    let mut references = ids(message.references());
    references.reverse();
    thread_ids.extend(references);
    let text = body_text(&message);
    let mut attachments = Vec::new();
    for part in message.attachments() {
        let content_type = part
            .content_type()
            .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("octet-stream")))
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let headers = raw_slice(&message, part.offset_header, part.offset_body);
        let name = part
            .attachment_name()
            .filter(|name| !name.contains('\u{FFFD}'))
            .map(str::to_owned)
            .or_else(|| rfc2231_parameter(&String::from_utf8_lossy(headers), "filename"))
            .or_else(|| rfc2231_parameter(&String::from_utf8_lossy(headers), "name"))
            .or_else(|| part.attachment_name().map(str::to_owned))
            .unwrap_or_else(|| "attachment".to_owned());
        attachments.push(EmailAttachment {
            name,
            content_type: content_type.to_ascii_lowercase(),
            data: part.contents().to_vec(),
            inline: part.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline")) || part.content_id().is_some(),
        });
    }
    let reply_to = message
        .reply_to()
        .and_then(|addresses| addresses.first())
        .and_then(|address| address.address())
        .map(|address| address.trim().to_lowercase())
        .filter(|address| address.contains('@') && address.len() <= 254 && *address != from_address && !address.chars().any(char::is_control));
    Ok(ParsedEmail {
        reply_to,
        message_id: message.message_id().map(bare_id).filter(|id| !id.is_empty()),
        from_name: from.name().map(|name| name.trim().to_owned()).filter(|name| !name.is_empty()),
        automated: automated(&message, &from_address),
        bounce: bounce(&message),
        from_address,
        subject: message.subject().unwrap_or_default().trim().to_owned(),
        text: strip_quoted(&text),
        thread_ids,
        attachments,
    })
}

fn raw_slice<'a>(message: &'a mail_parser::Message<'_>, start: u32, end: u32) -> &'a [u8] {
    message.raw_message().get(start as usize..end as usize).unwrap_or_default()
}

/// The readable text of an email: its text parts, or — when they are empty (some clients
/// send an empty text/plain beside the real HTML) — its HTML as text. A part labelled UTF-8
/// (or unlabelled) whose bytes are not UTF-8 is read as GB18030, the usual culprit.
fn body_text(message: &mail_parser::Message<'_>) -> String {
    let parts = |html: bool| -> String {
        let count = if html { message.html_body_count() } else { message.text_body_count() };
        (0..count)
            .filter_map(|index| {
                let part = if html { message.html_part(index as u32)? } else { message.text_part(index as u32)? };
                let text = match &part.body {
                    mail_parser::PartType::Text(text) => text.to_string(),
                    mail_parser::PartType::Html(html) => mail_parser::decoders::html::html_to_text(html),
                    _ => return None,
                };
                Some(redecoded(message, part).unwrap_or(text))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let text = parts(false);
    if text.trim().is_empty() { parts(true) } else { text }
}

/// A text part re-read as GB18030 when its declared UTF-8 (or missing charset) does not fit
/// its bytes; `None` when the part decoded fine or GB18030 does not fit either.
fn redecoded(message: &mail_parser::Message<'_>, part: &mail_parser::MessagePart<'_>) -> Option<String> {
    let charset = part.content_type().and_then(|ct| ct.attribute("charset")).unwrap_or("utf-8").to_ascii_lowercase();
    if !matches!(charset.as_str(), "utf-8" | "utf8" | "us-ascii") {
        return None;
    }
    let raw = raw_slice(message, part.offset_body, part.offset_end);
    let bytes = match part.encoding {
        mail_parser::Encoding::QuotedPrintable => mail_parser::decoders::quoted_printable::quoted_printable_decode(raw)?,
        mail_parser::Encoding::Base64 => mail_parser::decoders::base64::base64_decode(raw)?,
        mail_parser::Encoding::None => raw.to_vec(),
    };
    if std::str::from_utf8(&bytes).is_ok() {
        return None;
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&bytes);
    let text = text.into_owned();
    let text = if part.is_content_type("text", "html") { mail_parser::decoders::html::html_to_text(&text) } else { text };
    (!had_errors).then(|| text.trim_end().to_owned())
}

/// An RFC 2231 parameter (`filename*0*=UTF-8''%E4%BD…; filename*1*=…`) put together from
/// its pieces before decoding, so a character split across pieces stays whole.
fn rfc2231_parameter(headers: &str, name: &str) -> Option<String> {
    let unfolded = headers.replace("\r\n ", " ").replace("\r\n\t", " ").replace("\n ", " ");
    let mut pieces: Vec<(u32, bool, String)> = Vec::new();
    for raw in unfolded.split(';') {
        let Some((key, value)) = raw.split_once('=') else { continue };
        let key = key.trim().to_ascii_lowercase();
        let key = key.rsplit(|c: char| c.is_whitespace() || c == ':').next().unwrap_or_default();
        let Some(rest) = key.strip_prefix(&format!("{name}*")) else { continue };
        let extended = rest.ends_with('*') || rest.is_empty();
        let index: u32 = rest.trim_end_matches('*').parse().unwrap_or(0);
        let value = value.trim().lines().next().unwrap_or_default().trim().trim_matches('"').to_owned();
        pieces.push((index, extended, value));
    }
    if pieces.is_empty() {
        return None;
    }
    pieces.sort_by_key(|(index, _, _)| *index);
    let mut charset = "utf-8".to_owned();
    let mut bytes = Vec::new();
    for (position, (_, extended, value)) in pieces.iter().enumerate() {
        let mut value = value.as_str();
        if position == 0 && *extended {
            let mut parts = value.splitn(3, '\'');
            if let (Some(declared), Some(_language), Some(rest)) = (parts.next(), parts.next(), parts.next()) {
                charset = declared.to_owned();
                value = rest;
            }
        }
        if *extended {
            let raw = value.as_bytes();
            let mut index = 0;
            while index < raw.len() {
                let hex = raw.get(index + 1..index + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                match (raw[index], hex) {
                    (b'%', Some(byte)) => {
                        bytes.push(byte);
                        index += 3;
                    }
                    (byte, _) => {
                        bytes.push(byte);
                        index += 1;
                    }
                }
            }
        } else {
            bytes.extend_from_slice(value.as_bytes());
        }
    }
    let encoding = encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let (text, had_errors) = encoding.decode_without_bom_handling(&bytes);
    (!had_errors && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

/// The new part of a reply: everything before the quoted history ("On … wrote:", "在 … 写道：",
/// Outlook's "-----Original Message-----" / "发件人:" block, or the first run of "> " lines).
pub fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(|line| line.trim_end_matches('\r')).collect();
    let next_is_quote =
        |index: usize| lines[index + 1..].iter().map(|line| line.trim()).find(|line| !line.is_empty()).is_some_and(|line| line.starts_with('>'));
    let ends_as_attribution = |line: &str| {
        let lower = line.to_lowercase();
        lower.ends_with("wrote:") || line.ends_with("写道：") || line.ends_with("写道:")
    };
    let mut end = lines.len();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        let lower = trimmed.to_lowercase();
        // "On … wrote:" / "在 … 写道：", or any line ending so right above the quote; a long
        // attribution wrapped onto two lines is cut from its first.
        let attribution = ends_as_attribution(trimmed) && ((lower.starts_with("on ") || trimmed.starts_with('在')) || next_is_quote(index));
        let wrapped_start = index > 0 && ends_as_attribution(trimmed) && lines[index - 1].trim().to_lowercase().starts_with("on ");
        let outlook = trimmed.starts_with("-----Original Message-----")
            || trimmed.starts_with("-----原始邮件-----")
            || trimmed.starts_with("发件人:")
            || trimmed.starts_with("发件人：")
            || (lower.starts_with("from:") && lines.get(index + 1).is_some_and(|next| next.trim().to_lowercase().starts_with("sent:")));
        let quoted = trimmed.starts_with('>') && index > 0;
        // The signature separator is exactly "-- " (RFC 3676); a bare "--" is text.
        let signature = *line == "-- " && index > 0;
        if wrapped_start {
            end = index - 1;
            break;
        }
        if attribution || outlook || quoted || signature {
            end = index;
            break;
        }
    }
    let kept = lines[..end].join("\n");
    let kept = kept.trim();
    if kept.is_empty() { text.trim().to_owned() } else { kept.to_owned() }
}

/// The conversation id in a subject's `[#123]` tag.
pub fn ticket_tag(subject: &str) -> Option<i64> {
    let start = subject.rfind("[#")?;
    let rest = &subject[start + 2..];
    let end = rest.find(']')?;
    rest[..end].parse().ok()
}

/// A mail of ours came back: its delivery is marked `bounced` with the reason, and the
/// conversation gets an internal note naming the recipient and the reason for the agent.
async fn record_bounce(state: &AppState, channel: &ChannelConfig, bounce: &Bounce) -> AppResult<()> {
    for id in &bounce.original_ids {
        let recipient = bounce.recipient.as_deref().unwrap_or("?");
        let reason = format!("bounced: {recipient}: {}", bounce.reason);
        let Some(delivery) = state.store.bounce_delivery(&channel.account(), id, &reason).await? else { continue };
        let note = format!("📭 退信 / bounced — 收件人 / recipient: {recipient}\n原因 / reason: {}", bounce.reason);
        crate::services::messages::append(state, delivery.conversation_id, Author::System, note, true, None, "bounce").await?;
        tracing::info!(conversation_id = delivery.conversation_id, delivery = delivery.id, "an email bounced");
        return Ok(());
    }
    tracing::info!(ids = ?bounce.original_ids, "a bounce for no mail of ours");
    Ok(())
}

/// What happened to one email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored { conversation_id: i64 },
    Duplicate,
    Automated(&'static str),
    Unreadable(String),
}

/// Ingests one raw email from `channel`'s mailbox.
pub async fn process(state: &AppState, channel: &ChannelConfig, raw: &[u8]) -> AppResult<Outcome> {
    let email = match parse(raw) {
        Ok(email) => email,
        Err(reason) => return Ok(Outcome::Unreadable(reason)),
    };
    if let Some(reason) = email.automated {
        if let Some(bounce) = &email.bounce {
            record_bounce(state, channel, bounce).await?;
        }
        tracing::info!(from = %email.from_address, reason, "automated email not answered");
        return Ok(Outcome::Automated(reason));
    }
    let account = channel.account();
    let mut hint = None;
    for id in &email.thread_ids {
        if let Some(conversation) = state.store.conversation_of_external_id(&account, id).await? {
            hint = Some(conversation);
            break;
        }
    }
    let hint = hint.or_else(|| ticket_tag(&email.subject));
    // Without a Message-ID the content itself identifies the email (a resend is a duplicate).
    // An oversized or odd Message-ID is identified by its hash (ids from outside are bounded;
    // the mail must not be lost for it).
    let sha256 = |bytes: &[u8]| format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes)));
    let external_id = match &email.message_id {
        Some(id) if crate::services::inbox::outside_id("Message-ID", id).is_ok() => id.clone(),
        Some(id) => sha256(id.as_bytes()),
        None => sha256(raw),
    };
    let mut text = if email.text.trim().is_empty() { format!("（{}）", email.subject) } else { email.text.clone() };
    // Attachments are kept as files of the conversation (below); one over the size limit is
    // named here and stays in the mailbox (moved to Processed, never deleted).
    let limit = state.config.attachment_max_bytes;
    let others: Vec<String> = email
        .attachments
        .iter()
        .filter(|a| a.data.len() > limit)
        .map(|a| format!("[附件过大，保留在邮箱中 / attachment too large, kept in the mailbox: {} ({} bytes)]", a.name, a.data.len()))
        .collect();
    if !others.is_empty() {
        text.push_str("\n\n");
        text.push_str(&others.join("\n"));
    }
    let text: String = text.chars().take(9_000).collect();
    let inbound = Inbound {
        channel: Channel::Email,
        account: Some(account),
        external_id: Some(external_id),
        identity: (IdentityKind::Email, email.from_address.clone()),
        display_name: email.from_name.clone(),
        text,
        category: None,
        bot: false,
        attributes: None,
        thread: Thread::Hint(hint),
        subject: Some(email.subject.chars().take(200).collect()).filter(|s: &String| !s.is_empty()),
    };
    let ingested = ingest(state, inbound).await?;
    if ingested.duplicate {
        return Ok(Outcome::Duplicate);
    }
    // Replies follow the latest mail's wish (Reply-To), or go back to its sender.
    state.store.set_reply_to(ingested.conversation_id, email.reply_to.as_deref()).await?;
    for file in email.attachments.iter().filter(|a| !a.data.is_empty() && a.data.len() <= limit) {
        // An image is shown only when its bytes say so; anything else is a download.
        let image = is_image(file) && crate::services::attachments::sniff_matches(&file.content_type, &file.data);
        let content_type = if image { file.content_type.clone() } else { crate::services::attachments::file_content_type(&file.content_type) };
        let name = crate::services::attachments::clean_filename(&file.name).unwrap_or_else(|_| "attachment".to_owned());
        let uploader = Actor { user_id: None, contact_id: Some(ingested.contact_id) };
        let attachment = state.store.create_attachment(ingested.conversation_id, uploader, &content_type, Some(&name), &file.data).await?;
        let body = if image { "[image]".to_owned() } else { format!("📎 {name}") };
        crate::services::messages::append(state, ingested.conversation_id, Author::Contact(ingested.contact_id), body, false, Some(attachment.id), "mail")
            .await?;
    }
    Ok(Outcome::Stored { conversation_id: ingested.conversation_id })
}

fn is_image(attachment: &EmailAttachment) -> bool {
    matches!(attachment.content_type.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp")
}

fn setting_u16(channel: &ChannelConfig, name: &str, default: u16) -> u16 {
    channel.settings.get(name).and_then(serde_json::Value::as_u64).and_then(|port| u16::try_from(port).ok()).unwrap_or(default)
}

type ImapSession = async_imap::Session<tokio::net::TcpStream>;

async fn connect(channel: &ChannelConfig) -> AppResult<ImapSession> {
    let host = channel.setting("imap_host").unwrap_or("127.0.0.1");
    let port = setting_u16(channel, "imap_port", 143);
    let user = channel.setting("username").ok_or_else(|| AppError::Internal(anyhow::anyhow!("channel {} has no username", channel.account())))?;
    let imap_error = |error: async_imap::error::Error| AppError::Internal(anyhow::anyhow!("IMAP: {error}"));
    let stream = tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect((host, port)))
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("IMAP connect to {host}:{port} timed out")))?
        .map_err(|error| AppError::Internal(anyhow::anyhow!("IMAP connect to {host}:{port}: {error}")))?;
    let mut client = async_imap::Client::new(stream);
    client.read_response().await.map_err(|error| AppError::Internal(anyhow::anyhow!("IMAP greeting: {error}")))?;
    let mut session = client.login(user, channel.secret("password")?).await.map_err(|(error, _)| imap_error(error))?;
    for folder in ["Processed", "Automated", "Unreadable"] {
        // Already there is fine.
        let _ = session.create(folder).await;
    }
    session.select("INBOX").await.map_err(imap_error)?;
    Ok(session)
}

/// Fetches and handles every unseen email in the inbox; returns how many were handled.
pub async fn poll_once(state: &AppState, channel: &ChannelConfig, session: &mut ImapSession) -> AppResult<usize> {
    use futures_util::StreamExt;
    let imap_error = |error: async_imap::error::Error| AppError::Internal(anyhow::anyhow!("IMAP: {error}"));
    let mut uids: Vec<u32> = session.uid_search("UNSEEN").await.map_err(imap_error)?.into_iter().collect();
    uids.sort_unstable();
    let mut handled = 0;
    for uid in uids {
        let raw = {
            let mut fetches = session.uid_fetch(uid.to_string(), "(UID BODY.PEEK[])").await.map_err(imap_error)?;
            let mut raw = None;
            while let Some(fetch) = fetches.next().await {
                let fetch = fetch.map_err(imap_error)?;
                if let Some(body) = fetch.body() {
                    raw = Some(body.to_vec());
                }
            }
            raw
        };
        let Some(raw) = raw else { continue };
        // Ingest first, then move: a crash in between leaves it unseen, and its Message-ID
        // makes the second attempt a no-op.
        let folder = match process(state, channel, &raw).await? {
            Outcome::Stored { .. } | Outcome::Duplicate => "Processed",
            Outcome::Automated(_) => "Automated",
            Outcome::Unreadable(reason) => {
                tracing::warn!(uid, %reason, "unreadable email moved aside");
                "Unreadable"
            }
        };
        {
            let mut stored = session.uid_store(uid.to_string(), "+FLAGS (\\Seen)").await.map_err(imap_error)?;
            while stored.next().await.is_some() {}
        }
        session.uid_mv(uid.to_string(), folder).await.map_err(imap_error)?;
        handled += 1;
    }
    Ok(handled)
}

/// Watches one mailbox until the task is stopped: handle what is there, then wait in IDLE (or
/// sleep, when the server cannot IDLE) for up to `poll_seconds`, and again. Reconnects after
/// errors with a growing pause.
async fn watch(state: AppState, channel: ChannelConfig) {
    let poll = Duration::from_secs(channel.settings.get("poll_seconds").and_then(serde_json::Value::as_u64).unwrap_or(30).clamp(1, 3600));
    let mut pause = Duration::from_secs(1);
    loop {
        let round = async {
            let mut session = connect(&channel).await?;
            loop {
                poll_once(&state, &channel, &mut session).await?;
                let capabilities = session.capabilities().await.map_err(|error| AppError::Internal(anyhow::anyhow!("IMAP: {error}")))?;
                if capabilities.has_str("IDLE") {
                    let mut idle = session.idle();
                    idle.init().await.map_err(|error| AppError::Internal(anyhow::anyhow!("IMAP IDLE: {error}")))?;
                    let (wait, _stop) = idle.wait_with_timeout(poll);
                    let _ = wait.await;
                    session = idle.done().await.map_err(|error| AppError::Internal(anyhow::anyhow!("IMAP IDLE: {error}")))?;
                } else {
                    tokio::time::sleep(poll).await;
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), AppError>(())
        };
        if let Err(error) = round.await {
            tracing::warn!(%error, channel = %channel.account(), "mailbox watch failed; reconnecting");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(60));
        }
    }
}

/// Keeps one watcher per enabled email channel, following configuration changes.
pub async fn supervise(state: AppState) {
    let mut watchers: HashMap<String, (i64, tokio::task::JoinHandle<()>)> = HashMap::new();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    let mut tick: u64 = 0;
    loop {
        ticks.tick().await;
        tick += 1;
        let rows = match state.store.channels().await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, "reading email channels failed");
                continue;
            }
        };
        let mut wanted: Vec<_> = rows.into_iter().filter(|row| row.kind == "email" && row.enabled != 0).collect();
        // One node at a time watches each mailbox: it holds the mailbox's lease, renewed well
        // before it lapses; another node takes over once it does (a crashed node). Standby
        // nodes ask at the same pace, not every second.
        if tick % LEASE_RENEW_TICKS == 1 {
            let mut held = Vec::new();
            for row in wanted {
                let lease = format!("mailbox:email/{}", row.name);
                match state.store.take_lease(&lease, &state.node_id, crate::store::now_ms(), MAILBOX_LEASE_MS).await {
                    Ok(true) => held.push(row),
                    Ok(false) => {}
                    Err(error) => {
                        tracing::warn!(%error, mailbox = %row.name, "mailbox lease failed");
                        // Keep watching what we watch; the lease outlives one failed renewal.
                        if watchers.contains_key(&row.name) {
                            held.push(row);
                        }
                    }
                }
            }
            wanted = held;
        } else {
            wanted.retain(|row| watchers.contains_key(&row.name));
        }
        watchers.retain(|name, (version, handle)| {
            let current = wanted.iter().find(|row| &row.name == name);
            let keep = current.is_some_and(|row| row.updated_at == *version);
            if !keep {
                handle.abort();
            }
            keep
        });
        for row in wanted {
            if !watchers.contains_key(&row.name) {
                let version = row.updated_at;
                let name = row.name.clone();
                let handle = tokio::spawn(watch(state.clone(), ChannelConfig::of(row)));
                watchers.insert(name, (version, handle));
            }
        }
    }
}

/// How long a node's hold on a mailbox lasts without renewal.
const MAILBOX_LEASE_MS: i64 = 30_000;
/// Renewal every this many seconds (a third of the lease).
const LEASE_RENEW_TICKS: u64 = 10;

/// The mailbox a new email from an agent goes out from (`email/<name>`): the one asked for,
/// or the only enabled one; 422 when the learner has no address or none fits.
pub async fn outgoing_mailbox(state: &AppState, contact_id: i64, requested: Option<&str>) -> AppResult<String> {
    let contact = state.store.contact(contact_id).await?;
    if !contact.identities.iter().any(|identity| identity.kind == IdentityKind::Email.as_str()) {
        return Err(AppError::Unprocessable("contact_id: this learner has no email address".to_owned()));
    }
    let mailboxes: Vec<String> =
        state.store.channels().await?.into_iter().filter(|row| row.kind == "email" && row.enabled == 1).map(|row| format!("email/{}", row.name)).collect();
    match requested {
        Some(account) if mailboxes.iter().any(|known| known == account) => Ok(account.to_owned()),
        Some(account) => Err(AppError::Unprocessable(format!("channel_account: '{account}' is not an enabled email mailbox"))),
        None if mailboxes.len() == 1 => Ok(mailboxes[0].clone()),
        None if mailboxes.is_empty() => Err(AppError::Unprocessable("channel: no email mailbox is enabled".to_owned())),
        None => Err(AppError::Unprocessable(format!("channel_account: choose the mailbox to send from: {}", mailboxes.join(", ")))),
    }
}

/// Sends an agent's reply by SMTP, threaded under the learner's email.
pub async fn send(state: &AppState, channel: &ChannelConfig, delivery: &DeliveryRow, message: &crate::store::messages::Message) -> AppResult<()> {
    let text = message.body.as_str();
    let address = channel.setting("address").ok_or_else(|| AppError::Internal(anyhow::anyhow!("channel {} has no address", channel.account())))?;
    let from: Mailbox = address.parse().map_err(|error| AppError::Internal(anyhow::anyhow!("address: {error}")))?;
    let to: Mailbox = delivery.recipient.parse().map_err(|error| AppError::Internal(anyhow::anyhow!("recipient: {error}")))?;
    let conversation = state.store.conversation(delivery.conversation_id).await?;
    let subject = conversation.subject.clone().unwrap_or_else(|| "学知在线客服 / XueZhi support".to_owned());
    let subject = subject.trim_start_matches("Re: ").trim_start_matches("RE: ").to_owned();
    let subject = if ticket_tag(&subject) == Some(conversation.id) { format!("Re: {subject}") } else { format!("Re: {subject} [#{}]", conversation.id) };
    let domain = address.split('@').nth(1).unwrap_or("edudesk.local");
    let message_id = format!("edudesk.{}.{}@{domain}", delivery.message_id, &crate::crypto::new_token()[..12]);
    let thread = state.store.external_ids_of(&channel.account(), conversation.id).await?;
    let mut builder = lettre::Message::builder().from(from).to(to).subject(subject).message_id(Some(header_id(&message_id)));
    // Ids made from a mail's content (it had no Message-ID) are ours only, never a header.
    let thread: Vec<&String> = thread.iter().map(|(_, id)| id).filter(|id| !id.starts_with("sha256:")).collect();
    if let Some(last) = thread.last() {
        builder = builder.in_reply_to(header_id(last));
        builder = builder.references(thread.iter().map(|id| header_id(id)).collect::<Vec<_>>().join(" "));
    }
    let building = |error: lettre::error::Error| AppError::Internal(anyhow::anyhow!("building the email: {error}"));
    let email = match message.attachment_id {
        // A file the agent sent goes with the mail (an image too), the text above it.
        Some(attachment_id) => {
            let attachment = state.store.attachment(attachment_id).await?;
            let data = state.store.attachment_data(attachment_id).await?;
            let name = attachment.filename.clone().unwrap_or_else(|| "attachment".to_owned());
            use lettre::message::header::ContentType;
            let content_type = ContentType::parse(&attachment.content_type)
                .or_else(|_| ContentType::parse("application/octet-stream"))
                .map_err(|error| AppError::Internal(anyhow::anyhow!("content type: {error}")))?;
            let body_text = if text == format!("📎 {name}") || text == "[image]" { String::new() } else { text.to_owned() };
            let parts = lettre::message::MultiPart::mixed()
                .singlepart(lettre::message::SinglePart::plain(body_text))
                .singlepart(lettre::message::Attachment::new(name).body(data, content_type));
            builder.multipart(parts).map_err(building)?
        }
        None => builder.header(lettre::message::header::ContentType::TEXT_PLAIN).body(text.to_owned()).map_err(building)?,
    };
    smtp_transport(channel).send(email).await.map_err(|error| AppError::Internal(anyhow::anyhow!("SMTP: {error}")))?;
    state.store.set_delivery_external_id(delivery.id, &message_id).await?;
    Ok(())
}

/// The SMTP connection of a mailbox (its host, port and, when set, login).
fn smtp_transport(channel: &ChannelConfig) -> AsyncSmtpTransport<Tokio1Executor> {
    let host = channel.setting("smtp_host").unwrap_or("127.0.0.1");
    let mut transport =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(setting_u16(channel, "smtp_port", 25)).timeout(Some(Duration::from_secs(15)));
    if let (Some(user), Ok(password)) = (channel.setting("smtp_username"), channel.secret("password")) {
        transport = transport.credentials(lettre::transport::smtp::authentication::Credentials::new(user.to_owned(), password.to_owned()));
    }
    transport.build()
}

/// The first enabled email mailbox (by name), for mail that belongs to no conversation.
pub async fn first_mailbox(state: &AppState) -> AppResult<ChannelConfig> {
    state
        .store
        .channels()
        .await?
        .into_iter()
        .filter(|row| row.kind == "email" && row.enabled == 1)
        .min_by(|a, b| a.name.cmp(&b.name))
        .map(ChannelConfig::of)
        .ok_or_else(|| AppError::Unprocessable("no email mailbox is enabled to send from".to_owned()))
}

/// Sends a plain-text notice from `channel`'s address to `to` (staff or owners, not learners).
pub async fn send_notice(channel: &ChannelConfig, to: &[String], subject: &str, text: &str) -> AppResult<()> {
    let address = channel.setting("address").ok_or_else(|| AppError::Internal(anyhow::anyhow!("channel {} has no address", channel.account())))?;
    let from: Mailbox = address.parse().map_err(|error| AppError::Internal(anyhow::anyhow!("address: {error}")))?;
    let mut builder = lettre::Message::builder().from(from).subject(subject);
    for recipient in to {
        builder = builder.to(recipient.parse().map_err(|error| AppError::Internal(anyhow::anyhow!("recipient {recipient}: {error}")))?);
    }
    let email = builder
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(text.to_owned())
        .map_err(|error| AppError::Internal(anyhow::anyhow!("building the email: {error}")))?;
    smtp_transport(channel).send(email).await.map_err(|error| AppError::Internal(anyhow::anyhow!("SMTP: {error}")))?;
    Ok(())
}

/// The `incident_email` job: tells the owners (`incident_emails`) by email, from the first
/// enabled mailbox, what spiked, by how much and where to act; retried like any job.
pub async fn incident_to_owners(state: &AppState, payload: &str) -> AppResult<()> {
    if state.config.incident_emails.is_empty() {
        return Ok(());
    }
    let id = serde_json::from_str::<serde_json::Value>(payload).ok().and_then(|p| p["incident_id"].as_i64()).unwrap_or_default();
    let incident = state.store.incident(id).await?;
    let mailbox = first_mailbox(state).await?;
    let (what_zh, what_en) = if incident.dimension == "course" { ("课程", "course") } else { ("分类", "category") };
    let opened = chrono::TimeZone::timestamp_millis_opt(&state.sla.calendar.time_zone, incident.opened_at)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_default();
    let console = format!("{}/console", state.config.public_url.as_deref().unwrap_or(""));
    let subject = format!("[EduDesk] 突发事件 #{id}：{what_zh}“{}”咨询量激增 / Incident #{id}: {what_en} \"{}\" spiking", incident.category, incident.category);
    let text = format!(
        "{what_zh}“{cat}”最近 30 分钟有 {observed} 个新会话，预期约 {expected:.1} 个。\n发现时间：{opened}\n已关联 {linked} 个会话。请在客服后台的“突发事件”中查看、统一回复并发布公告：{console}\n\n\
         The {what_en} \"{cat}\" had {observed} new conversations in the last 30 minutes against about {expected:.1} expected.\nOpened: {opened}\n\
         {linked} conversations are linked. See, answer and post a banner under Incidents in the console: {console}\n",
        cat = incident.category,
        observed = incident.observed,
        expected = incident.expected,
        linked = incident.conversations,
    );
    send_notice(&mailbox, &state.config.incident_emails, &subject, &text).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn corpus(name: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/emails/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn gbk_subject_and_quoted_printable_body() {
        let email = parse(&corpus("gbk-quoted-printable.eml")).unwrap();
        assert_eq!(email.subject, "视频播放不了");
        assert!(email.text.contains("第三课的视频"), "{email:?}");
        assert_eq!(email.from_address, "learner@edudesk.test");
        assert_eq!(email.from_name.as_deref(), Some("李明"));
    }

    #[test]
    fn big5_base64_html_only_falls_back_to_text() {
        let email = parse(&corpus("big5-html-only.eml")).unwrap();
        assert!(email.text.contains("退款") || email.text.contains("退款"), "{email:?}");
        assert!(!email.text.contains("<p>"), "HTML is turned into text: {}", email.text);
    }

    #[test]
    fn html_only_content_is_read_when_the_text_part_is_empty() {
        let email = parse(&corpus("html-only-empty-text.eml")).unwrap();
        assert!(email.text.contains("结课证书") && email.text.contains("20261124"), "{:?}", email.text);
        assert!(!email.text.contains("<b>"), "{:?}", email.text);
        assert_eq!(email.subject, "证书下载");
    }

    #[test]
    fn text_labelled_utf8_that_is_really_gbk_is_read_as_gb18030() {
        let email = parse(&corpus("utf8-label-gbk-bytes.eml")).unwrap();
        assert_eq!(email.text, "老师好，我买的Python课想退款，订单已经付款三天了。");
    }

    #[test]
    fn rfc2231_filenames_split_inside_a_character_are_whole() {
        let email = parse(&corpus("rfc2231-split-filename.eml")).unwrap();
        let names: Vec<&str> = email.attachments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["作业截图.pdf", "app.log"]);
        assert!(email.attachments[0].data.starts_with(b"%PDF"));
        assert_eq!(email.attachments[1].content_type, "text/plain");
    }

    #[test]
    fn signatures_and_wrapped_attributions_are_cut() {
        let email = parse(&corpus("signature-and-wrapped-attribution.eml")).unwrap();
        assert_eq!(email.text, "The invoice title should be my company name, not my own.");
        assert_eq!(strip_quoted("谢谢！\n\n-- \n李雷\n138 0000 0000"), "谢谢！");
        assert_eq!(strip_quoted("好的\n\n2026年11月24日 10:00，学知在线客服 <support@edudesk.test> 写道：\n> 您好"), "好的");
        // A line of dashes in the text is not a signature.
        assert_eq!(strip_quoted("步骤如下\n--\n第一步"), "步骤如下\n--\n第一步");
    }

    #[test]
    fn message_ids_are_stored_bare_and_sent_in_brackets() {
        assert_eq!(bare_id(" <a.b@c> "), "a.b@c");
        assert_eq!(bare_id("a.b@c"), "a.b@c");
        assert_eq!(header_id("a.b@c"), "<a.b@c>");
        assert_eq!(header_id("<a.b@c>"), "<a.b@c>");
    }

    #[test]
    fn replies_lose_their_quoted_history_and_keep_thread_ids() {
        let email = parse(&corpus("reply-with-quote.eml")).unwrap();
        assert_eq!(email.text, "还是不行，我换了浏览器也一样。");
        assert_eq!(email.thread_ids.first().map(String::as_str), Some("edudesk.42.abc@edudesk.test"));
        assert_eq!(ticket_tag("Re: 视频播放不了 [#42]"), Some(42));
        assert_eq!(ticket_tag("no tag [#x]"), None);
    }

    #[test]
    fn auto_replies_and_bounces_are_recognised() {
        assert_eq!(parse(&corpus("auto-reply.eml")).unwrap().automated, Some("Auto-Submitted"));
        let bounce = parse(&corpus("bounce-dsn.eml")).unwrap();
        assert_eq!(bounce.automated, Some("delivery status notification"));
        let bounce = bounce.bounce.unwrap();
        assert_eq!(bounce.recipient.as_deref(), Some("nobody@nowhere.test"));
        assert!(bounce.reason.contains("5.1.1") && bounce.reason.contains("Recipient address rejected"), "{}", bounce.reason);
        assert_eq!(bounce.original_ids, ["edudesk.42.abcdef@edudesk.test"]);
        assert_eq!(parse(&corpus("auto-reply.eml")).unwrap().bounce, None);
        assert_eq!(parse(&corpus("gbk-quoted-printable.eml")).unwrap().automated, None);
    }

    #[test]
    fn attachments_and_inline_images_are_found() {
        let email = parse(&corpus("inline-image-and-pdf.eml")).unwrap();
        let kinds: Vec<(&str, bool)> = email.attachments.iter().map(|a| (a.content_type.as_str(), a.inline)).collect();
        assert!(kinds.contains(&("image/png", true)), "{kinds:?}");
        assert!(kinds.contains(&("application/pdf", false)), "{kinds:?}");
    }

    #[test]
    fn unknown_charsets_and_oversized_mail_do_not_break_anything() {
        let raw = b"From: a@b.test\r\nSubject: x\r\nContent-Type: text/plain; charset=x-made-up-charset\r\n\r\nhello \xff\xfe world";
        let email = parse(raw).unwrap();
        assert!(email.text.contains("hello") && email.text.contains("world"), "{email:?}");
        let big = vec![b'a'; MAX_EMAIL_BYTES + 1];
        assert!(parse(&big).unwrap_err().contains("larger"));
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        assert!(parse(b"").is_err());
        assert!(parse(b"Subject: no sender\r\n\r\nhello").is_err());
    }

    #[test]
    fn outlook_and_chinese_attributions_are_cut() {
        assert_eq!(strip_quoted("好的\n\n-----原始邮件-----\n发件人: 客服"), "好的");
        assert_eq!(strip_quoted("OK thanks\nOn Mon, 1 Jan 2026 at 10:00, Support wrote:\n> hi"), "OK thanks");
        assert_eq!(strip_quoted("收到\n在 2026年11月24日 写道：\n> 您好"), "收到");
        assert_eq!(strip_quoted("> only a quote"), "> only a quote", "an all-quote email keeps its text");
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let _ = parse(&raw);
        }

        #[test]
        fn parsing_header_like_input_never_panics(body in "(From|Subject|Content-Type|MIME-Version|In-Reply-To): [ -~]{0,60}\r\n(\r\n)?[ -~\r\n]{0,300}") {
            let _ = parse(body.as_bytes());
        }
    }
}
