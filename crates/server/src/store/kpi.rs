//! Loads the facts KPIs are computed from ([`edudesk_core::kpi`]): the conversations that
//! started in a period, their status changes, handovers and SLA breaches from the event log,
//! their public agent messages and their survey ratings. Four queries, whatever the period's size.

use std::collections::HashMap;

use edudesk_core::kpi::{ConversationFacts, StatusChange};
use sqlx::FromRow;

use super::Store;
use super::error::StoreResult;

#[derive(FromRow)]
struct ConversationRow {
    id: i64,
    channel: String,
    category: Option<String>,
    course: Option<String>,
    tier: i64,
    created_at: i64,
    bot_active: i64,
}

#[derive(FromRow)]
struct EventRow {
    conversation_id: i64,
    kind: String,
    actor_user_id: Option<i64>,
    data: String,
    created_at: i64,
}

#[derive(FromRow)]
struct ReplyRow {
    conversation_id: i64,
    author_user_id: Option<i64>,
    created_at: i64,
}

const IN_PERIOD: &str = "SELECT id FROM conversations WHERE created_at >= $1 AND created_at < $2";

impl Store {
    /// The facts of every conversation created in `[from, to)` (UTC ms).
    pub async fn kpi_facts(&self, from: i64, to: i64) -> StoreResult<Vec<ConversationFacts>> {
        let conversations: Vec<ConversationRow> = sqlx::query_as(
            "SELECT id, channel, category, course, tier, created_at, bot_active FROM conversations WHERE created_at >= $1 AND created_at < $2 ORDER BY id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.read)
        .await?;
        // Handover summaries are large and only their time matters here.
        let events: Vec<EventRow> = sqlx::query_as(&format!(
            "SELECT conversation_id, kind, actor_user_id, CASE WHEN kind = 'handed_over' THEN '{{}}' ELSE data END AS data, created_at
             FROM conversation_events WHERE kind IN ('status_changed', 'handed_over', 'sla_breached') AND conversation_id IN ({IN_PERIOD})
             ORDER BY conversation_id, id"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.read)
        .await?;
        let replies: Vec<ReplyRow> = sqlx::query_as(&format!(
            "SELECT conversation_id, author_user_id, created_at FROM messages
             WHERE author_kind = 'agent' AND internal = 0 AND conversation_id IN ({IN_PERIOD}) ORDER BY conversation_id, seq"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.read)
        .await?;
        let mut facts: Vec<ConversationFacts> = conversations
            .into_iter()
            .map(|c| ConversationFacts {
                id: c.id,
                channel: c.channel,
                category: c.category,
                course: c.course,
                tier: c.tier,
                created_at: c.created_at,
                with_bot: c.bot_active != 0,
                ..ConversationFacts::default()
            })
            .collect();
        let at: HashMap<i64, usize> = facts.iter().enumerate().map(|(index, f)| (f.id, index)).collect();
        for event in events {
            let Some(conversation) = at.get(&event.conversation_id).map(|index| &mut facts[*index]) else { continue };
            let data: serde_json::Value = serde_json::from_str(&event.data).unwrap_or_default();
            match event.kind.as_str() {
                "handed_over" => {
                    conversation.handed_over_at.get_or_insert(event.created_at);
                }
                "status_changed" => conversation.status_changes.push(StatusChange {
                    at: event.created_at,
                    to: data["to"].as_str().unwrap_or_default().to_owned(),
                    by_user: event.actor_user_id,
                    reopened: data["reopened"].as_bool().unwrap_or(false),
                }),
                _ => {
                    if let Some(target) = data["target"].as_str() {
                        conversation.breaches.push(target.to_owned());
                    }
                }
            }
        }
        for reply in replies {
            if let Some(index) = at.get(&reply.conversation_id) {
                facts[*index].agent_replies.push((reply.created_at, reply.author_user_id));
            }
        }
        let ratings: Vec<(i64, i64)> =
            sqlx::query_as(&format!("SELECT conversation_id, rating FROM surveys WHERE rating IS NOT NULL AND conversation_id IN ({IN_PERIOD})"))
                .bind(from)
                .bind(to)
                .fetch_all(&self.read)
                .await?;
        for (conversation_id, rating) in ratings {
            if let Some(index) = at.get(&conversation_id) {
                facts[*index].rating = Some(rating);
            }
        }
        Ok(facts)
    }
}
