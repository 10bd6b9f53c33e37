//! Offline evaluation of the bot on labelled query sets (the format of kb/dev-queries.jsonl
//! and kb/dev-frustration.jsonl), as `edudesk bot eval` prints it.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::Article;
use crate::bot::{Bot, BotSettings, ConversationState, HandoffReason, Outcome};

/// A labelled query: `expect` is an article id, `__handoff__` or `__none__`.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledQuery {
    pub query: String,
    pub expect: String,
}

/// A labelled message: should it be escalated to a person as frustrated?
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledMessage {
    pub text: String,
    pub escalate: bool,
}

/// The metrics `bot eval` prints as its last line.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub answerable: usize,
    pub top1_accuracy: f64,
    pub abstain: usize,
    pub abstain_accuracy: f64,
    pub handoff: usize,
    pub handoff_accuracy: f64,
    pub frustration_precision: f64,
    pub frustration_recall: f64,
    pub frustration_f1: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// One query the bot got wrong, for tuning.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub query: String,
    pub expect: String,
    pub outcome: Outcome,
    pub reason: Option<HandoffReason>,
    pub got: Option<String>,
    pub candidates: Vec<(String, f32)>,
}

/// Parses JSON lines, naming the line of the first bad one.
pub fn parse_lines<T: for<'de> Deserialize<'de>>(text: &str, what: &str) -> Result<Vec<T>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| serde_json::from_str(line).map_err(|e| format!("{what}, line {}: {e}", number + 1)))
        .collect()
}

fn ratio(good: usize, total: usize) -> f64 {
    if total == 0 { 1.0 } else { good as f64 / total as f64 }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Runs the bot over the sets and returns the report and the misses.
pub fn evaluate(articles: Vec<Article>, queries: &[LabelledQuery], messages: &[LabelledMessage], settings: BotSettings) -> (Report, Vec<Miss>) {
    let bot = Bot::new(articles, settings);
    let mut latencies = Vec::with_capacity(queries.len() + messages.len());
    let (mut answerable, mut correct, mut abstain, mut abstained, mut handoff, mut handed) = (0, 0, 0, 0, 0, 0);
    let mut misses = Vec::new();
    for query in queries {
        let started = Instant::now();
        let reply = bot.reply(&query.query, &mut ConversationState::default());
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        let got = reply.article.as_ref().map(|a| a.id.clone());
        let answered = reply.outcome == Outcome::Answer;
        let right = match query.expect.as_str() {
            "__none__" | "__handoff__" => {
                abstain += 1;
                let requested = reply.reason == Some(HandoffReason::Requested);
                if query.expect == "__handoff__" {
                    handoff += 1;
                    handed += usize::from(requested);
                }
                abstained += usize::from(!answered);
                !answered && (query.expect == "__none__" || requested)
            }
            expected => {
                answerable += 1;
                let right = answered && got.as_deref() == Some(expected);
                correct += usize::from(right);
                right
            }
        };
        if !right {
            misses.push(Miss {
                query: query.query.clone(),
                expect: query.expect.clone(),
                outcome: reply.outcome,
                reason: reply.reason,
                got,
                candidates: reply.candidates.iter().map(|c| (c.id.clone(), c.score)).collect(),
            });
        }
    }
    let (mut true_positive, mut false_positive, mut false_negative) = (0usize, 0usize, 0usize);
    for message in messages {
        let started = Instant::now();
        let reply = bot.reply(&message.text, &mut ConversationState::default());
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        let flagged = reply.signals.frustrated();
        match (flagged, message.escalate) {
            (true, true) => true_positive += 1,
            (true, false) => false_positive += 1,
            (false, true) => false_negative += 1,
            (false, false) => {}
        }
        if flagged != message.escalate {
            misses.push(Miss {
                query: message.text.clone(),
                expect: format!("escalate={} (score {:.2})", message.escalate, reply.signals.frustration),
                outcome: reply.outcome,
                reason: reply.reason,
                got: None,
                candidates: Vec::new(),
            });
        }
    }
    let precision = ratio(true_positive, true_positive + false_positive);
    let recall = ratio(true_positive, true_positive + false_negative);
    let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
    latencies.sort_by(f64::total_cmp);
    let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
    let report = Report {
        answerable,
        top1_accuracy: round(ratio(correct, answerable)),
        abstain,
        abstain_accuracy: round(ratio(abstained, abstain)),
        handoff,
        handoff_accuracy: round(ratio(handed, handoff)),
        frustration_precision: round(precision),
        frustration_recall: round(recall),
        frustration_f1: round(f1),
        p50_ms: round(percentile(&latencies, 0.50)),
        p99_ms: round(percentile(&latencies, 0.99)),
    };
    (report, misses)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_named() {
        let error = parse_lines::<LabelledQuery>("{\"query\":\"a\",\"expect\":\"b\"}\nnot json", "queries").unwrap_err();
        assert!(error.starts_with("queries, line 2:"), "{error}");
    }

    #[test]
    fn percentiles_pick_ranks() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 50.0);
        assert_eq!(percentile(&values, 0.99), 99.0);
        assert_eq!(percentile(&[], 0.99), 0.0);
    }
}
