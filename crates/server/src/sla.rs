//! SLA checks in the running system: a periodic job raises warnings before a target falls
//! due and breaches after, as events in the conversation's log and live to the console;
//! with `sla_auto_escalate` a breached resolution target moves the conversation up a tier.
//! The arithmetic is `edudesk_core::sla`.

use edudesk_core::Tier;
use serde_json::json;

use crate::{
    AppState,
    error::AppResult,
    realtime::Event,
    store::{events::Actor, routing::Escalation},
};

/// How far ahead to look for targets falling due (warnings come before the due time).
const HORIZON_MS: i64 = 7 * 24 * 3600 * 1000;

/// Checks every open conversation near a target; returns how many warnings and breaches
/// were raised.
pub async fn check(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now_ms();
    let mut raised = 0;
    for conversation in state.store.sla_candidates(now + HORIZON_MS, 5000).await? {
        let targets = [
            ("first_response", conversation.sla.first_response_due_at, conversation.first_response_at.is_none()),
            ("resolution", conversation.sla.resolution_due_at, true),
        ];
        let mut changed = false;
        let mut escalate = false;
        for (target, due, running) in targets {
            let Some(due) = due.filter(|_| running) else { continue };
            let due_ms = due.timestamp_millis();
            let data =
                json!({"target": target, "due_at": due, "tier": conversation.tier, "priority": conversation.priority, "assignee_id": conversation.assignee_id});
            if now >= due_ms {
                if !conversation.sla.breached.iter().any(|t| t == target) && state.store.mark_sla(conversation.id, target, true, now, data).await? {
                    changed = true;
                    raised += 1;
                    escalate |= target == "resolution" && state.sla.auto_escalate_on_breach && conversation.tier < Tier::THREE;
                }
            } else if now >= state.sla.warning_time(conversation.created_at, due).timestamp_millis()
                && !conversation.sla.warned.iter().any(|t| t == target)
                && state.store.mark_sla(conversation.id, target, false, now, data).await?
            {
                changed = true;
                raised += 1;
            }
        }
        if escalate {
            let to_tier = Tier::new(conversation.tier.level() + 1).unwrap_or(Tier::THREE);
            let escalation =
                Escalation { to_tier, reason: "SLA breached: resolution target missed".to_owned(), note: None, context: json!({"automatic": true}) };
            let moved = state.store.escalate(conversation.id, &escalation, Actor::default(), now, &state.sla, |_| Ok(())).await?;
            crate::routing::assign_new(state, moved).await?;
        }
        if changed {
            let updated = state.store.conversation_after_write(conversation.id).await?;
            state.bus.publish(Event::conversation(&updated)).await;
        }
    }
    Ok(raised)
}
