//! SOPs in the running system: the shipped and on-disk definitions loaded at start, the
//! SOP chosen by a new conversation's category, the checks that block escalation and
//! resolution while mandatory steps are open, and the follow-up scheduled on resolve.

use std::path::Path;

use anyhow::Context;
use edudesk_core::sop::Sop;

use crate::{
    AppState,
    error::{AppError, AppResult},
    services::follow_ups::{FollowUp, schedule_follow_up_once},
    store::{Store, conversations::Conversation, events::Actor, now_ms},
};

/// The SOPs every EduDesk ships with.
pub const SHIPPED: [(&str, &str); 5] = [
    ("video-playback.toml", include_str!("../../sops/video-playback.toml")),
    ("login-failure.toml", include_str!("../../sops/login-failure.toml")),
    ("payment-failed.toml", include_str!("../../sops/payment-failed.toml")),
    ("refund-request.toml", include_str!("../../sops/refund-request.toml")),
    ("coupon-not-applicable.toml", include_str!("../../sops/coupon-not-applicable.toml")),
];

fn parse(name: &str, text: &str) -> anyhow::Result<Sop> {
    let sop: Sop = toml::from_str(text).with_context(|| format!("reading SOP {name}"))?;
    sop.validate().with_context(|| format!("SOP {name}"))?;
    Ok(sop)
}

/// Loads the shipped SOPs, then every `*.toml` in `dir` (a file with a shipped id replaces
/// it); each one that changed becomes a new version. Returns how many were loaded.
pub async fn load(store: &Store, dir: &Path) -> anyhow::Result<usize> {
    let mut sops = SHIPPED.iter().map(|(name, text)| parse(name, text)).collect::<anyhow::Result<Vec<_>>>()?;
    if dir.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            let sop = parse(&path.display().to_string(), &text)?;
            sops.retain(|known| known.id != sop.id);
            sops.push(sop);
        }
    }
    for sop in &sops {
        store.save_sop(sop, None, now_ms()).await.map_err(|error| anyhow::anyhow!("saving SOP {}: {error}", sop.id))?;
    }
    Ok(sops.len())
}

/// Offers the SOP for a new conversation's category, if there is one. It binds (its
/// mandatory steps gate escalation and resolution) once an agent works it.
/// The SOP a new conversation of `category` starts with, offered: (id, version, progress
/// JSON) for [`crate::store::conversations::NewConversation::sop`].
pub async fn offer_for_category(state: &AppState, category: Option<&str>) -> AppResult<Option<(String, i64, String)>> {
    let Some(category) = category else { return Ok(None) };
    let sops = state.store.sops().await?;
    let Some(sop) = sops.iter().find(|sop| sop.categories.iter().any(|c| c == category)) else { return Ok(None) };
    let progress = serde_json::to_string(&sop.offer()).map_err(|error| AppError::Internal(error.into()))?;
    Ok(Some((sop.id.clone(), sop.version, progress)))
}

pub async fn start_for_category(state: &AppState, conversation: Conversation) -> AppResult<Conversation> {
    let Some(category) = conversation.category.as_deref().filter(|_| conversation.sop.is_none()) else { return Ok(conversation) };
    let sops = state.store.sops().await?;
    let Some(sop) = sops.iter().find(|sop| sop.categories.iter().any(|c| c == category)) else { return Ok(conversation) };
    Ok(state.store.set_sop_progress(conversation.id, sop, None, &sop.offer(), Actor::default(), true, now_ms()).await?)
}

/// The SOP definition a conversation runs (the version it started with).
pub async fn definition(state: &AppState, conversation: &Conversation) -> AppResult<Option<Sop>> {
    match &conversation.sop {
        Some(running) => Ok(Some(state.store.sop(&running.id, Some(running.version)).await?)),
        None => Ok(None),
    }
}

/// 409 listing the mandatory SOP work still open, if any.
pub fn require_complete(sop: Option<&Sop>, conversation: &Conversation, doing: &str) -> AppResult<()> {
    let (Some(sop), Some(running)) = (sop, &conversation.sop) else { return Ok(()) };
    let missing = sop.missing(&running.progress());
    if missing.is_empty() { Ok(()) } else { Err(AppError::Conflict(format!("finish the SOP's mandatory steps before you {doing}: {}", missing.join(", ")))) }
}

/// The SOP that governs an escalation: the one the conversation runs (offered or bound), or
/// else the one of its category — a hand-over never skips the standard questions because
/// nobody opened the SOP.
pub async fn for_escalation(state: &AppState, conversation: &Conversation) -> AppResult<Option<Sop>> {
    if conversation.sop.is_some() {
        return definition(state, conversation).await;
    }
    let Some(category) = conversation.category.as_deref() else { return Ok(None) };
    Ok(state.store.sops().await?.iter().find(|sop| sop.categories.iter().any(|c| c == category)).cloned())
}

/// 409 listing the SOP's mandatory answers still needed before the conversation may go to
/// another tier (see [`Sop::missing_before_escalation`]).
pub fn require_ready_to_escalate(sop: Option<&Sop>, conversation: &Conversation) -> AppResult<()> {
    let Some(sop) = sop else { return Ok(()) };
    let progress = match &conversation.sop {
        Some(running) if running.id == sop.id => running.progress(),
        _ => sop.offer(),
    };
    let missing = sop.missing_before_escalation(&progress);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(AppError::Conflict(format!("answer the SOP's mandatory questions ({}) before you escalate: {}", sop.id, missing.join(", "))))
    }
}

/// On resolve: the SOP's follow-up, once per conversation, for the assignee (or, when
/// nobody is assigned, whoever resolved it).
pub async fn follow_up_on_resolve(state: &AppState, conversation: &Conversation, resolved_by: i64) -> AppResult<()> {
    let Some(sop) = definition(state, conversation).await? else { return Ok(()) };
    let Some(step) = sop.follow_up() else { return Ok(()) };
    let lang = "zh";
    let follow_up = FollowUp {
        conversation_id: conversation.id,
        title: step.text.as_ref().map(|text| text.get(lang).to_owned()).unwrap_or_else(|| step.title.get(lang).to_owned()),
        message: step.message.as_ref().map(|text| text.get(lang).to_owned()),
        assignee_id: conversation.assignee_id.or(Some(resolved_by)),
        only_if_resolved: true,
        due_at: None,
    };
    let hours = step.due_in_hours.unwrap_or(24);
    schedule_follow_up_once(state, &follow_up, hours * 3_600_000, &format!("sop-follow-up:{}", conversation.id)).await?;
    Ok(())
}
