//! Offline evaluation of the bot on labelled query sets (the format of kb/dev-queries.jsonl
//! and kb/dev-frustration.jsonl), as `edudesk bot eval` prints it.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::Article;
use std::sync::Arc;

use crate::bot::{Bot, BotSettings, ConversationState, HandoffReason, Learned, Outcome};
use crate::matcher::{Analysis, Matcher};
use crate::model::{Model, Target, train};
use crate::mood::Mood;
use crate::request::Request;

/// A labelled query: `expect` is an article id, `__handoff__` or `__none__`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LabelledQuery {
    pub query: String,
    pub expect: String,
}

/// A labelled message: should it be escalated to a person as frustrated?
#[derive(Debug, Clone, Deserialize, Serialize)]
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

/// Runs the bot with its shipped model over the sets and returns the report and the misses.
pub fn evaluate(articles: Vec<Article>, queries: &[LabelledQuery], messages: &[LabelledMessage], settings: BotSettings) -> (Report, Vec<Miss>) {
    evaluate_bot(&Bot::new(articles, settings), queries, messages)
}

/// The labelled questions as the matcher learns them (requests for a person are the
/// signals' business, not the matcher's).
pub fn examples(queries: &[LabelledQuery]) -> Vec<(String, Option<String>)> {
    queries
        .iter()
        .filter(|query| query.expect != "__handoff__")
        .map(|query| (query.query.clone(), (query.expect != "__none__").then(|| query.expect.clone())))
        .collect()
}

/// Trains the matcher's model on labelled questions over `articles`.
pub fn train_model(articles: &[Article], queries: &[LabelledQuery]) -> Model {
    let matcher = Matcher::new(articles);
    let examples: Vec<(Analysis, Target)> = queries
        .iter()
        .filter_map(|query| {
            let target = match query.expect.as_str() {
                "__handoff__" => return None,
                "__none__" => Target::None,
                id => Target::Article(matcher.index_of(id)?),
            };
            Some((matcher.analyse(&query.query), target))
        })
        .collect();
    train(&examples, 3000)
}

/// K-fold cross-validation: the model is trained on all folds but one and measured on the
/// one left out, for each fold in turn; the report adds the held-out results up.
///
/// The wordings written for the shipped articles ([`crate::bot::authored_wordings`]) teach
/// every fold's word associations, the authored requests ([`crate::request::authored_requests`])
/// its request model and the authored messages ([`crate::mood::authored_messages`]) its
/// frustration model, as they do the shipped bot's; they are never held out.
pub fn cross_validate(articles: &[Article], queries: &[LabelledQuery], messages: &[LabelledMessage], settings: BotSettings, folds: usize) -> Report {
    cross_validate_with_misses(articles, queries, messages, settings, folds, &crate::bot::authored_wordings()).0
}

/// [`cross_validate`], with every held-out miss (for tuning: what the bot gets wrong on
/// wordings it was not trained on).
pub fn cross_validate_with_misses(
    articles: &[Article],
    queries: &[LabelledQuery],
    messages: &[LabelledMessage],
    settings: BotSettings,
    folds: usize,
    authored: &[LabelledQuery],
) -> (Report, Vec<Miss>) {
    let folds = folds.max(2);
    let in_fold = |index: usize, fold: usize| index % folds == fold;
    let mut counts = Counts::default();
    let mut misses = Vec::new();
    for fold in 0..folds {
        let train_queries: Vec<LabelledQuery> = queries.iter().enumerate().filter(|(i, _)| !in_fold(*i, fold)).map(|(_, q)| q.clone()).collect();
        let test_queries: Vec<LabelledQuery> = queries.iter().enumerate().filter(|(i, _)| in_fold(*i, fold)).map(|(_, q)| q.clone()).collect();
        let test_messages: Vec<LabelledMessage> = messages.iter().enumerate().filter(|(i, _)| in_fold(*i, fold)).map(|(_, m)| m.clone()).collect();
        let train_messages: Vec<LabelledMessage> = messages.iter().enumerate().filter(|(i, _)| !in_fold(*i, fold)).map(|(_, m)| m.clone()).collect();
        let learned = Learned {
            model: train_model(articles, &train_queries),
            mood: Arc::new(Mood::train(&[train_messages.as_slice(), &crate::mood::authored_messages()].concat(), &train_queries)),
            request: Some(Arc::new(Request::train(&[train_queries.as_slice(), &crate::request::authored_requests()].concat()))),
            examples: examples(&[train_queries.as_slice(), authored].concat()),
            taught: Vec::new(),
        };
        let bot = Bot::with_learned(articles.to_vec(), settings, learned);
        let (fold_counts, fold_misses) = count(&bot, &test_queries, &test_messages);
        counts.add(&fold_counts);
        misses.extend(fold_misses);
    }
    (counts.report(), misses)
}

/// Runs the bot over the sets and returns the report and the misses.
pub fn evaluate_bot(bot: &Bot, queries: &[LabelledQuery], messages: &[LabelledMessage]) -> (Report, Vec<Miss>) {
    let (counts, misses) = count(bot, queries, messages);
    (counts.report(), misses)
}

/// What an evaluation counted; folds of a cross-validation add up.
#[derive(Debug, Clone, Default)]
struct Counts {
    answerable: usize,
    correct: usize,
    abstain: usize,
    abstained: usize,
    handoff: usize,
    handed: usize,
    true_positive: usize,
    false_positive: usize,
    false_negative: usize,
    latencies: Vec<f64>,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.answerable += other.answerable;
        self.correct += other.correct;
        self.abstain += other.abstain;
        self.abstained += other.abstained;
        self.handoff += other.handoff;
        self.handed += other.handed;
        self.true_positive += other.true_positive;
        self.false_positive += other.false_positive;
        self.false_negative += other.false_negative;
        self.latencies.extend(&other.latencies);
    }

    fn report(mut self) -> Report {
        let precision = ratio(self.true_positive, self.true_positive + self.false_positive);
        let recall = ratio(self.true_positive, self.true_positive + self.false_negative);
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        self.latencies.sort_by(f64::total_cmp);
        let round = |x: f64| (x * 10_000.0).round() / 10_000.0;
        Report {
            answerable: self.answerable,
            top1_accuracy: round(ratio(self.correct, self.answerable)),
            abstain: self.abstain,
            abstain_accuracy: round(ratio(self.abstained, self.abstain)),
            handoff: self.handoff,
            handoff_accuracy: round(ratio(self.handed, self.handoff)),
            frustration_precision: round(precision),
            frustration_recall: round(recall),
            frustration_f1: round(f1),
            p50_ms: round(percentile(&self.latencies, 0.50)),
            p99_ms: round(percentile(&self.latencies, 0.99)),
        }
    }
}

fn count(bot: &Bot, queries: &[LabelledQuery], messages: &[LabelledMessage]) -> (Counts, Vec<Miss>) {
    let mut counts = Counts { latencies: Vec::with_capacity(queries.len() + messages.len()), ..Counts::default() };
    let mut misses = Vec::new();
    for query in queries {
        let started = Instant::now();
        let reply = bot.reply(&query.query, &mut ConversationState::default());
        counts.latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        let got = reply.article.as_ref().map(|a| a.id.clone());
        let answered = reply.outcome == Outcome::Answer;
        let right = match query.expect.as_str() {
            "__none__" | "__handoff__" => {
                counts.abstain += 1;
                let requested = reply.reason == Some(HandoffReason::Requested);
                if query.expect == "__handoff__" {
                    counts.handoff += 1;
                    counts.handed += usize::from(requested);
                }
                counts.abstained += usize::from(!answered);
                !answered && (query.expect == "__none__" || requested)
            }
            expected => {
                counts.answerable += 1;
                let right = answered && got.as_deref() == Some(expected);
                counts.correct += usize::from(right);
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
    for message in messages {
        let started = Instant::now();
        let reply = bot.reply(&message.text, &mut ConversationState::default());
        counts.latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        let flagged = reply.signals.frustrated();
        match (flagged, message.escalate) {
            (true, true) => counts.true_positive += 1,
            (true, false) => counts.false_positive += 1,
            (false, true) => counts.false_negative += 1,
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
    (counts, misses)
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
