//! Recognition that is not KPI-only: a balanced score per agent and month that weighs how
//! well conversations went (quality review, learners' CSAT) above how many there were, so
//! rushing through tickets does not win. The monthly 服务之星 (service star) is the best
//! balanced score among agents who served enough learners that month.
//!
//! Score (0–1) = 0.35 × quality + 0.35 × CSAT + 0.2 × resolution rate + 0.1 × volume, where
//! quality is the average review score mapped from 1–5 to 0–1, CSAT the share of 4–5 ratings,
//! resolution rate resolved ÷ handled, and volume handled ÷ [`VOLUME_CAP`], capped at 1. A part
//! without data (no review, no rating) is left out and the others' weights are scaled up to
//! sum to 1; an agent with neither a review nor a rating gets no score.

use serde::Serialize;

/// Conversations a month that count as full volume; more earns nothing more.
pub const VOLUME_CAP: f64 = 60.0;
/// Conversations an agent must have handled in the month to be ranked.
pub const MIN_HANDLED: u64 = 3;

const QUALITY_WEIGHT: f64 = 0.35;
const CSAT_WEIGHT: f64 = 0.35;
const RESOLUTION_WEIGHT: f64 = 0.2;
const VOLUME_WEIGHT: f64 = 0.1;

/// What is known of one agent's month.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentMonth {
    pub agent_id: i64,
    pub handled: u64,
    pub resolved: u64,
    /// Share of 4–5 survey ratings, if any rating.
    pub csat: Option<f64>,
    /// Average quality-review score (1–5), if reviewed.
    pub quality: Option<f64>,
}

/// One agent's balanced score with its parts (each 0–1).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Balanced {
    pub agent_id: i64,
    pub score: f64,
    pub quality: Option<f64>,
    pub csat: Option<f64>,
    pub resolution_rate: f64,
    pub volume: f64,
    pub handled: u64,
}

/// The balanced score, or `None` when the agent cannot be ranked (too few conversations,
/// or nothing said about how they went).
pub fn balanced(month: &AgentMonth) -> Option<Balanced> {
    if month.handled < MIN_HANDLED || (month.quality.is_none() && month.csat.is_none()) {
        return None;
    }
    let quality = month.quality.map(|q| ((q - 1.0) / 4.0).clamp(0.0, 1.0));
    let csat = month.csat.map(|c| c.clamp(0.0, 1.0));
    let resolution_rate = (month.resolved as f64 / month.handled as f64).clamp(0.0, 1.0);
    let volume = (month.handled as f64 / VOLUME_CAP).min(1.0);
    let parts = [(quality, QUALITY_WEIGHT), (csat, CSAT_WEIGHT), (Some(resolution_rate), RESOLUTION_WEIGHT), (Some(volume), VOLUME_WEIGHT)];
    let weight: f64 = parts.iter().filter(|(value, _)| value.is_some()).map(|(_, weight)| weight).sum();
    let score = parts.iter().filter_map(|(value, weight)| value.map(|v| v * weight)).sum::<f64>() / weight;
    Some(Balanced { agent_id: month.agent_id, score, quality, csat, resolution_rate, volume, handled: month.handled })
}

/// Agents ranked by balanced score, best first (ties: more handled, then lower id).
pub fn leaderboard(months: &[AgentMonth]) -> Vec<Balanced> {
    let mut ranked: Vec<Balanced> = months.iter().filter_map(balanced).collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.handled.cmp(&a.handled)).then(a.agent_id.cmp(&b.agent_id)));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_and_satisfaction_beat_volume() {
        // A careful agent: 20 conversations, reviews 4.6, CSAT 95 %, 90 % resolved.
        let careful = AgentMonth { agent_id: 1, handled: 20, resolved: 18, csat: Some(0.95), quality: Some(4.6) };
        // A fast one: 200 conversations (capped), reviews 2.5, CSAT 60 %, 99 % resolved.
        let fast = AgentMonth { agent_id: 2, handled: 200, resolved: 198, csat: Some(0.6), quality: Some(2.5) };
        let board = leaderboard(&[fast.clone(), careful.clone()]);
        assert_eq!(board.iter().map(|b| b.agent_id).collect::<Vec<_>>(), vec![1, 2]);
        // careful: 0.35·0.9 + 0.35·0.95 + 0.2·0.9 + 0.1·(20/60) = 0.8608…
        assert!((board[0].score - (0.35 * 0.9 + 0.35 * 0.95 + 0.2 * 0.9 + 0.1 * (20.0 / 60.0))).abs() < 1e-9, "{:?}", board[0]);
        assert_eq!(board[1].volume, 1.0, "volume is capped");
    }

    #[test]
    fn missing_parts_are_left_out_and_too_little_is_not_ranked() {
        let unreviewed = AgentMonth { agent_id: 3, handled: 10, resolved: 10, csat: Some(1.0), quality: None };
        let scored = balanced(&unreviewed).map(|b| b.score);
        // (0.35·1 + 0.2·1 + 0.1·(10/60)) / 0.65
        assert_eq!(scored.map(|s| (s * 1e6).round()), Some(((0.35 + 0.2 + 0.1 * (10.0 / 60.0)) / 0.65 * 1e6_f64).round()));
        assert_eq!(balanced(&AgentMonth { agent_id: 4, handled: 2, resolved: 2, csat: Some(1.0), quality: Some(5.0) }), None, "too few");
        assert_eq!(balanced(&AgentMonth { agent_id: 5, handled: 30, resolved: 30, csat: None, quality: None }), None, "nothing said of quality");
    }
}
