//! Webhooks other systems call: the WeChat official account's message interface and the
//! generic social channel. Each checks its channel's signature before reading anything, and
//! every refusal is a problem document with nothing stored.

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};

use super::{ApiJson, ApiPath};
use crate::{
    AppState, channels,
    channels::Receipt,
    channels::cti::{self, CtiReceipt},
    channels::sms,
    channels::social,
    channels::wechat::{self, Answer, SignedQuery},
    error::{AppError, AppResult},
};

/// WeChat's URL verification: echoes `echostr` when the signature is right.
#[tracing::instrument(skip_all, fields(channel = %name))]
pub async fn wechat_verify(State(state): State<AppState>, ApiPath(name): ApiPath<String>, Query(query): Query<SignedQuery>) -> AppResult<String> {
    let channel = channels::enabled(&state, "wechat", &name).await?;
    wechat::verify(&channel, &query)?;
    query.echostr.ok_or_else(|| AppError::BadRequest("echostr is missing".to_owned()))
}

/// A WeChat message or event (XML). Answers a passive reply or `success`.
#[tracing::instrument(skip_all, fields(channel = %name))]
pub async fn wechat_receive(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    Query(query): Query<SignedQuery>,
    body: Bytes,
) -> AppResult<Response> {
    let channel = channels::enabled(&state, "wechat", &name).await?;
    wechat::verify(&channel, &query)?;
    wechat::check_replay(&state, &channel, &query, &body).await?;
    let text = std::str::from_utf8(&body).map_err(|_| AppError::BadRequest("the body is not UTF-8".to_owned()))?;
    let message = wechat::parse(text)?;
    Ok(match wechat::receive(&state, &channel, message).await? {
        Answer::Reply(xml) => ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response(),
        Answer::Success => "success".into_response(),
    })
}

/// An event from the telephony system (JSON, per-integration token).
#[tracing::instrument(skip_all, fields(channel = %name))]
pub async fn cti_event(State(state): State<AppState>, ApiPath(name): ApiPath<String>, headers: HeaderMap, body: Bytes) -> AppResult<ApiJson<CtiReceipt>> {
    let channel = channels::enabled(&state, "cti", &name).await?;
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .or_else(|| headers.get("x-cti-token").and_then(|value| value.to_str().ok()));
    cti::verify(&channel, presented)?;
    Ok(ApiJson(cti::receive(&state, &channel, &body).await?))
}

/// A learner's SMS from the provider (JSON, HMAC-signed).
#[tracing::instrument(skip_all, fields(channel = %name))]
pub async fn sms_receive(State(state): State<AppState>, ApiPath(name): ApiPath<String>, headers: HeaderMap, body: Bytes) -> AppResult<ApiJson<Receipt>> {
    let channel = channels::enabled(&state, "sms", &name).await?;
    let presented = headers.get(social::SIGNATURE_HEADER).and_then(|value| value.to_str().ok());
    sms::verify(&channel, presented, &body)?;
    Ok(ApiJson(sms::receive(&state, &channel, &body).await?))
}

/// A message from a social platform (JSON, HMAC-signed).
#[tracing::instrument(skip_all, fields(channel = %name))]
pub async fn social_receive(State(state): State<AppState>, ApiPath(name): ApiPath<String>, headers: HeaderMap, body: Bytes) -> AppResult<ApiJson<Receipt>> {
    let channel = channels::enabled(&state, "social", &name).await?;
    let presented = headers.get(social::SIGNATURE_HEADER).and_then(|value| value.to_str().ok());
    social::verify(&channel, presented, &body)?;
    Ok(ApiJson(social::receive(&state, &channel, &body).await?))
}
