//! Measures the shipped bot on a probe file written apart from the dev sets:
//! `cargo run --release -p edudesk-bot --example probe -- KB_ARTICLES PROBE.jsonl`. Lines are
//! either queries (`{"query", "expect"}`, where `expect` is `__handoff__` for a request for a
//! person and anything else for a line that is not one) or messages (`{"text", "escalate"}`).
//! Prints person-request recall, the lines wrongly taken as requests, frustration precision /
//! recall / F1, top-1 and abstain accuracy of questions labelled with an article or `__none__`,
//! and every miss.

use edudesk_bot::eval::{LabelledQuery, evaluate_bot, parse_lines};
use edudesk_bot::{Article, Bot, BotSettings, ConversationState, HandoffReason};

#[derive(serde::Deserialize)]
struct Line {
    query: Option<String>,
    expect: Option<String>,
    text: Option<String>,
    escalate: Option<bool>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let articles: Vec<Article> = parse_lines(&std::fs::read_to_string(&args[1])?, "articles")?;
    let lines: Vec<Line> = parse_lines(&std::fs::read_to_string(&args[2])?, "probe")?;
    let bot = Bot::new(articles, BotSettings::default());
    let (mut requests, mut recognised, mut others, mut wrongly) = (0, 0, 0, 0);
    let (mut tp, mut fp, mut fneg) = (0, 0, 0);
    for line in &lines {
        if let (Some(query), Some(expect)) = (&line.query, &line.expect) {
            let reply = bot.reply(query, &mut ConversationState::default());
            let requested = reply.reason == Some(HandoffReason::Requested);
            if expect == "__handoff__" {
                requests += 1;
                recognised += usize::from(requested);
                if !requested {
                    println!("MISSED REQUEST {:?}/{:?} | {query}", reply.outcome, reply.article.map(|a| a.id));
                }
            } else {
                others += 1;
                wrongly += usize::from(requested);
                if requested {
                    println!("WRONG REQUEST | {query}");
                }
            }
        } else if let (Some(text), Some(escalate)) = (&line.text, line.escalate) {
            let reply = bot.reply(text, &mut ConversationState::default());
            let flagged = reply.signals.frustrated();
            match (flagged, escalate) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fneg += 1,
                (false, false) => {}
            }
            if flagged != escalate {
                println!("MOOD expect={escalate} score={:.2} | {text}", reply.signals.frustration);
            }
        }
    }
    let precision = f64::from(tp) / f64::from((tp + fp).max(1));
    let recall = f64::from(tp) / f64::from((tp + fneg).max(1));
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    // Questions labelled with an article or `__none__` are scored as `bot eval` scores them.
    let questions: Vec<LabelledQuery> = lines
        .iter()
        .filter_map(|line| Some(LabelledQuery { query: line.query.clone()?, expect: line.expect.clone()? }))
        .filter(|query| query.expect != "__other__" && query.expect != "__handoff__")
        .collect();
    if !questions.is_empty() {
        let (report, misses) = evaluate_bot(&bot, &questions, &[]);
        for miss in &misses {
            let candidates: Vec<String> = miss.candidates.iter().map(|(id, score)| format!("{id}:{score:.2}")).collect();
            println!("MISSED {} got {:?}/{:?}/{:?} {candidates:?} | {}", miss.expect, miss.outcome, miss.reason, miss.got, miss.query);
        }
        println!("questions: top-1 {:.3} of {}, abstain {:.3} of {}", report.top1_accuracy, report.answerable, report.abstain_accuracy, report.abstain);
    }
    println!("person requests recognised {recognised}/{requests}; other lines taken as requests {wrongly}/{others}");
    println!("frustration P {precision:.3} R {recall:.3} F1 {f1:.3} (tp {tp}, fp {fp}, fn {fneg})");
    Ok(())
}
