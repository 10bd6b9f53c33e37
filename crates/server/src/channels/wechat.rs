//! WeChat official account (公众号), plaintext mode of the server-side message interface:
//! URL verification (`signature` = SHA-1 of the sorted token, timestamp and nonce; echo
//! `echostr`), inbound XML messages (text, image, voice, events), de-duplicated by MsgId
//! (WeChat retries a webhook it got no answer from), a passive XML reply when the bot answers
//! within the request, and otherwise customer-service messages through the access-token API
//! (`api_base` is configurable, so tests run against a local fake speaking the protocol).

use std::time::Duration;

use edudesk_core::{Channel, IdentityKind};
use serde::Deserialize;
use sha1::{Digest, Sha1};

use super::ChannelConfig;
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::inbox::{Inbound, ingest, malformed},
};

const DEFAULT_API_BASE: &str = "https://api.weixin.qq.com";

/// The query WeChat signs every request with.
#[derive(Debug, Deserialize)]
pub struct SignedQuery {
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub echostr: Option<String>,
}

/// Checks the request's signature with the channel's token; 401 if absent or wrong.
pub fn verify(channel: &ChannelConfig, query: &SignedQuery) -> AppResult<()> {
    let token = channel.secret("token")?;
    let (Some(signature), Some(timestamp), Some(nonce)) = (&query.signature, &query.timestamp, &query.nonce) else {
        return Err(AppError::Unauthorized("missing WeChat signature, timestamp or nonce".to_owned()));
    };
    let mut parts = [token, timestamp.as_str(), nonce.as_str()];
    parts.sort_unstable();
    let expected = hex::encode(Sha1::digest(parts.concat().as_bytes()));
    if !crate::crypto::constant_time_eq(expected.as_bytes(), signature.to_ascii_lowercase().as_bytes()) {
        return Err(AppError::Unauthorized("the WeChat signature does not match".to_owned()));
    }
    // A signature is only good for a short while: an old captured URL is refused.
    let sent_at: i64 = timestamp.trim().parse().map_err(|_| AppError::Unauthorized("the WeChat timestamp is not a number".to_owned()))?;
    if (crate::store::now_ms() / 1000 - sent_at).abs() > REPLAY_WINDOW_SECONDS {
        return Err(AppError::Unauthorized(format!("the WeChat timestamp is more than {REPLAY_WINDOW_SECONDS} s away from now")));
    }
    crate::services::inbox::outside_id("nonce", nonce).map_err(|_| AppError::Unauthorized("the WeChat nonce is malformed".to_owned()))?;
    Ok(())
}

/// How far a signed request's timestamp may be from now, either way.
pub const REPLAY_WINDOW_SECONDS: i64 = 300;

/// In plaintext mode WeChat's signature does not cover the body, so a captured signature
/// could carry any message: each nonce is bound to the first body it came with. WeChat's own
/// retries (same nonce, same body) pass and are deduplicated by MsgId.
pub async fn check_replay(state: &AppState, channel: &ChannelConfig, query: &SignedQuery, body: &[u8]) -> AppResult<()> {
    let nonce = query.nonce.as_deref().unwrap_or_default();
    let body_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
    let now = crate::store::now_ms();
    let forget_before = now - 2 * REPLAY_WINDOW_SECONDS * 1000;
    match state.store.use_nonce(&channel.account(), nonce, &body_hash, now, forget_before).await? {
        crate::store::channels::NonceUse::Fresh | crate::store::channels::NonceUse::Retry => Ok(()),
        crate::store::channels::NonceUse::Replayed => Err(AppError::Unauthorized("this WeChat signature was already used for another message".to_owned())),
    }
}

/// An inbound WeChat message, as the XML carries it.
#[derive(Debug, Default, PartialEq)]
pub struct WechatMessage {
    pub to: String,
    pub from: String,
    pub create_time: String,
    pub msg_type: String,
    pub content: Option<String>,
    pub msg_id: Option<String>,
    pub pic_url: Option<String>,
    pub recognition: Option<String>,
    pub event: Option<String>,
    pub event_key: Option<String>,
}

/// Parses the XML body; every problem is a clear 400 and nothing is stored.
pub fn parse(body: &str) -> AppResult<WechatMessage> {
    let document = roxmltree::Document::parse(body).map_err(|error| malformed(format!("XML: {error}")))?;
    let root = document.root_element();
    if root.tag_name().name() != "xml" {
        return Err(malformed("the root element must be <xml>"));
    }
    let field = |name: &str| root.children().find(|node| node.has_tag_name(name)).map(|node| node.text().unwrap_or_default().trim().to_owned());
    let required = |name: &str| field(name).filter(|value| !value.is_empty()).ok_or_else(|| malformed(format!("<{name}> is missing")));
    Ok(WechatMessage {
        to: required("ToUserName")?,
        from: required("FromUserName")?,
        create_time: required("CreateTime")?,
        msg_type: required("MsgType")?,
        content: field("Content"),
        msg_id: field("MsgId").filter(|id| !id.is_empty()),
        pic_url: field("PicUrl"),
        recognition: field("Recognition").filter(|text| !text.is_empty()),
        event: field("Event"),
        event_key: field("EventKey").filter(|key| !key.is_empty()),
    })
}

/// XML CDATA that stays CDATA whatever the text holds.
fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

/// A passive text reply to `message`.
pub fn text_reply(message: &WechatMessage, text: &str, now_s: i64) -> String {
    format!(
        "<xml><ToUserName>{}</ToUserName><FromUserName>{}</FromUserName><CreateTime>{now_s}</CreateTime><MsgType>{}</MsgType><Content>{}</Content></xml>",
        cdata(&message.from),
        cdata(&message.to),
        cdata("text"),
        cdata(text)
    )
}

/// What the webhook answers WeChat: a passive reply, or `success` (nothing to say now).
#[derive(Debug, PartialEq)]
pub enum Answer {
    Reply(String),
    Success,
}

/// Handles one verified inbound message.
pub async fn receive(state: &AppState, channel: &ChannelConfig, message: WechatMessage) -> AppResult<Answer> {
    let lang_reply = |text: String| Answer::Reply(text_reply(&message, &text, state.clock.now_ms() / 1000));
    let text = match (message.msg_type.as_str(), message.event.as_deref()) {
        ("text", _) => message.content.clone().filter(|text| !text.trim().is_empty()).ok_or_else(|| malformed("a text message without <Content>"))?,
        ("image", _) => format!("[图片] {}", message.pic_url.clone().unwrap_or_default()),
        ("voice", _) => message.recognition.clone().unwrap_or_else(|| "[语音消息]".to_owned()),
        ("event", Some("subscribe")) => {
            // A new follower: remember them, greet them; no conversation until they write.
            state.store.upsert_contact_by_identity(IdentityKind::WechatOpenid, &message.from, None).await?;
            let welcome = channel.setting("welcome").unwrap_or("欢迎关注学知在线！有任何学习上的问题，直接发消息给我们即可。").to_owned();
            return Ok(lang_reply(welcome));
        }
        ("event", Some("CLICK")) => message.event_key.clone().ok_or_else(|| malformed("a CLICK event without <EventKey>"))?,
        ("event", _) => return Ok(Answer::Success),
        (other, _) => format!("[{other}]"),
    };
    let external_id = message.msg_id.clone().unwrap_or_else(|| format!("{}:{}:{}", message.from, message.create_time, message.event.as_deref().unwrap_or("")));
    let inbound = Inbound {
        channel: Channel::Wechat,
        account: Some(channel.account()),
        external_id: Some(external_id),
        identity: (IdentityKind::WechatOpenid, message.from.clone()),
        display_name: None,
        text,
        category: None,
        bot: true,
        attributes: None,
        thread: crate::services::inbox::Thread::OpenOnChannel,
        subject: None,
    };
    let ingested = ingest(state, inbound).await?;
    let Some(stored) = ingested.message else { return Ok(Answer::Success) };
    // The bot answered within this request: its first reply goes back passively.
    for delivery in state.store.deliveries(ingested.conversation_id).await? {
        if delivery.state == "queued" && delivery.message_id > stored.id && delivery.channel == channel.account() {
            // Only a reply that fits in one WeChat message goes out passively.
            let reply = state.store.message(delivery.message_id).await?;
            if split_text(&reply.body).len() == 1 && state.store.record_delivery(delivery.id, "sent", None, false).await? {
                return Ok(lang_reply(reply.body));
            }
            break;
        }
    }
    Ok(Answer::Success)
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<i64>,
    errcode: Option<i64>,
    errmsg: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SendAnswer {
    errcode: Option<i64>,
    errmsg: Option<String>,
}

fn api_base(channel: &ChannelConfig) -> String {
    channel.setting("api_base").unwrap_or(DEFAULT_API_BASE).trim_end_matches('/').to_owned()
}

async fn access_token(state: &AppState, channel: &ChannelConfig) -> AppResult<String> {
    let now = state.clock.now_ms();
    let key = channel.account();
    if let Some((token, expires)) = state.outbound.wechat_tokens.lock().await.get(&key)
        && *expires > now
    {
        return Ok(token.clone());
    }
    let app_id = channel.setting("app_id").ok_or_else(|| AppError::Internal(anyhow::anyhow!("channel {key} has no app_id")))?;
    let url = format!("{}/cgi-bin/token", api_base(channel));
    let answer: TokenAnswer = state
        .outbound
        .http
        .get(url)
        .query(&[("grant_type", "client_credential"), ("appid", app_id), ("secret", channel.secret("app_secret")?)])
        .send()
        .await
        .map_err(|error| AppError::Internal(anyhow::anyhow!("WeChat token request failed: {error}")))?
        .json()
        .await
        .map_err(|error| AppError::Internal(anyhow::anyhow!("WeChat token answer unreadable: {error}")))?;
    let Some(token) = answer.access_token else {
        return Err(AppError::Internal(anyhow::anyhow!("WeChat refused a token: {} {}", answer.errcode.unwrap_or(-1), answer.errmsg.unwrap_or_default())));
    };
    // Renew a little before WeChat's expiry.
    let expires = now + (answer.expires_in.unwrap_or(7200) - 300).max(60) * 1000;
    state.outbound.wechat_tokens.lock().await.insert(key, (token.clone(), expires));
    Ok(token)
}

/// WeChat refuses text messages over 2048 bytes; longer replies go out in parts of at most
/// this many bytes, cut at line ends where possible and never inside a character.
const MAX_TEXT_BYTES: usize = 2000;

/// `text` in parts WeChat accepts.
pub fn split_text(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.len() > MAX_TEXT_BYTES {
        let mut cut = MAX_TEXT_BYTES;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(newline) = rest[..cut].rfind('\n').filter(|at| *at > MAX_TEXT_BYTES / 2) {
            cut = newline;
        }
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

/// Sends a customer-service text message to `openid` (in parts when it is long).
pub async fn send(state: &AppState, channel: &ChannelConfig, openid: &str, text: &str) -> AppResult<()> {
    for part in split_text(text) {
        send_part(state, channel, openid, &part).await?;
    }
    Ok(())
}

async fn send_part(state: &AppState, channel: &ChannelConfig, openid: &str, text: &str) -> AppResult<()> {
    let token = access_token(state, channel).await?;
    let url = format!("{}/cgi-bin/message/custom/send", api_base(channel));
    let body = serde_json::json!({"touser": openid, "msgtype": "text", "text": {"content": text}});
    let answer: SendAnswer = state
        .outbound
        .http
        .post(url)
        .query(&[("access_token", token.as_str())])
        .timeout(Duration::from_secs(10))
        .json(&body)
        .send()
        .await
        .map_err(|error| AppError::Internal(anyhow::anyhow!("WeChat send failed: {error}")))?
        .json()
        .await
        .map_err(|error| AppError::Internal(anyhow::anyhow!("WeChat send answer unreadable: {error}")))?;
    match answer.errcode.unwrap_or(0) {
        0 => Ok(()),
        code @ (40001 | 40014 | 42001) => {
            // The token expired or was revoked: forget it; the retry fetches a new one.
            state.outbound.wechat_tokens.lock().await.remove(&channel.account());
            Err(AppError::Internal(anyhow::anyhow!("WeChat access token rejected ({code})")))
        }
        code => Err(AppError::Internal(anyhow::anyhow!("WeChat refused the message: {code} {}", answer.errmsg.unwrap_or_default()))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_and_events_and_refuses_garbage() {
        let text = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o_1]]></FromUserName><CreateTime>1</CreateTime>\
                    <MsgType><![CDATA[text]]></MsgType><Content><![CDATA[视频打不开]]></Content><MsgId>42</MsgId></xml>";
        let parsed = parse(text).unwrap();
        assert_eq!((parsed.from.as_str(), parsed.content.as_deref(), parsed.msg_id.as_deref()), ("o_1", Some("视频打不开"), Some("42")));
        assert!(parse("<xml><ToUserName>a</ToUserName></xml>").is_err());
        assert!(parse("not xml").is_err());
        assert!(parse("<note/>").is_err());
    }

    #[test]
    fn replies_keep_cdata_intact() {
        let message = WechatMessage { from: "o_1".into(), to: "gh_1".into(), ..Default::default() };
        let reply = text_reply(&message, "a]]>b", 7);
        let parsed = roxmltree::Document::parse(&reply).unwrap();
        let content = parsed.root_element().children().find(|n| n.has_tag_name("Content")).unwrap();
        assert_eq!(content.text(), Some("a]]>b"));
    }

    #[test]
    fn long_texts_are_split_into_messages_wechat_accepts() {
        let long = "视频播放问题排查步骤。\n".repeat(150);
        let parts = split_text(&long);
        assert!(parts.len() >= 2);
        assert!(parts.iter().all(|p| p.len() <= MAX_TEXT_BYTES && !p.is_empty()));
        assert_eq!(parts.concat().replace('\n', ""), long.replace('\n', ""), "nothing lost");
        assert_eq!(split_text("短消息"), vec!["短消息".to_owned()]);
    }

    proptest::proptest! {
        #[test]
        fn splitting_never_loses_text_or_breaks_characters(text in "[a-z中文\n ]{0,5000}") {
            let parts = split_text(&text);
            proptest::prop_assert!(parts.iter().all(|p| p.len() <= MAX_TEXT_BYTES));
            let joined: String = parts.concat().chars().filter(|c| !c.is_whitespace()).collect();
            let original: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            proptest::prop_assert_eq!(joined, original);
        }

        #[test]
        fn parsing_never_panics(body in ".{0,400}") {
            let _ = parse(&body);
        }

        #[test]
        fn parsing_xml_like_input_never_panics(content in "[<>/a-zA-Z\\[\\]!CDAT ]{0,200}") {
            let _ = parse(&format!("<xml><ToUserName>{content}</ToUserName>{content}</xml>"));
        }
    }
}
