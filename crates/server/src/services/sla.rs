//! SLA checks in the running system: a periodic job raises warnings before a target falls
//! due and breaches after, as events in the conversation's log and live to the console;
//! with `sla_auto_escalate` a breached resolution target moves the conversation up a tier.
//! The arithmetic is `edudesk_core::sla`.

use edudesk_core::{Status, Tier};
use serde_json::json;

use crate::{
    AppState,
    error::{AppError, AppResult},
    realtime::Event,
    store::{conversations::Conversation, events::Actor, routing::Escalation},
};

/// How far ahead to look for targets falling due (warnings come before the due time).
const HORIZON_MS: i64 = 7 * 24 * 3600 * 1000;

/// Checks every open conversation near a target; returns how many warnings and breaches
/// were raised.
pub async fn check(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now_ms();
    let mut raised = 0;
    for conversation in state.store.sla_candidates(now + HORIZON_MS, 5000).await? {
        // One conversation's trouble never stops the others' checks.
        match check_one(state, &conversation, now).await {
            Ok(count) => raised += count,
            Err(error) => tracing::warn!(%error, conversation_id = conversation.id, "SLA check of a conversation failed"),
        }
    }
    Ok(raised)
}

async fn check_one(state: &AppState, conversation: &Conversation, now: i64) -> AppResult<usize> {
    let targets = [
        ("first_response", conversation.sla.first_response_due_at, conversation.first_response_at.is_none()),
        ("resolution", conversation.sla.resolution_due_at, true),
    ];
    let mut raised = 0;
    let mut escalate = false;
    for (target, due, running) in targets {
        let Some(due) = due.filter(|_| running) else { continue };
        let due_ms = due.timestamp_millis();
        let data =
            json!({"target": target, "due_at": due, "tier": conversation.tier, "priority": conversation.priority, "assignee_id": conversation.assignee_id});
        if now >= due_ms {
            if !conversation.sla.breached.iter().any(|t| t == target) && state.store.mark_sla(conversation.id, target, true, now, data).await? {
                raised += 1;
                escalate |= target == "resolution" && state.sla.auto_escalate_on_breach && conversation.tier < Tier::THREE;
            }
        } else if now >= state.sla.warning_time(conversation.created_at, due).timestamp_millis()
            && !conversation.sla.warned.iter().any(|t| t == target)
            && state.store.mark_sla(conversation.id, target, false, now, data).await?
        {
            raised += 1;
        }
    }
    if escalate {
        let to_tier = Tier::new(conversation.tier.level() + 1).unwrap_or(Tier::THREE);
        let escalation = Escalation { to_tier, reason: "SLA breached: resolution target missed".to_owned(), note: None, context: json!({"automatic": true}) };
        // Only if nothing moved since the check read it: still open, still in the same tier.
        let (status, tier) = (conversation.status, conversation.tier);
        let moved = crate::services::conversations::escalate(state, conversation.id, &escalation, Actor::default(), now, |current| {
            if current.status == status && status == Status::Open && current.tier == tier {
                Ok(())
            } else {
                Err(AppError::Conflict("the conversation changed since the SLA check read it".to_owned()))
            }
        })
        .await;
        match moved {
            Ok(_) => {}
            Err(AppError::Conflict(_)) => {}
            Err(error) => return Err(error),
        }
    }
    if raised > 0 {
        let updated = state.store.conversation_after_write(conversation.id).await?;
        state.bus.publish(Event::conversation(&updated)).await;
    }
    Ok(raised)
}
