//! Cross-validation harness for tuning the bot: `cargo run --release -p edudesk-bot --example cv
//! -- [KB_DIR] [FOLDS]` reads every `*queries.jsonl` / `*frustration.jsonl` under KB_DIR
//! (default `../shared/kb`), runs k-fold cross-validation over all of them together and
//! prints the report (as `edudesk bot eval --folds` does), where the right article ranked for
//! the answerable misses, and each held-out miss (`CV_MISSES=1`). `CV_SETS=1` adds the shipped
//! bot's (training) figures per dev set, `CV_TRAIN=1` the model constants trained on all,
//! `CV_REPEATS=n` the mean over n fold assignments.

use edudesk_bot::eval::{LabelledMessage, LabelledQuery, cross_validate_with_misses, evaluate_bot, parse_lines, train_model};
use edudesk_bot::{Article, Bot, BotSettings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).cloned().unwrap_or_else(|| "../shared/kb".to_owned());
    let folds: usize = args.get(2).map(|f| f.parse()).transpose()?.unwrap_or(5);
    let articles: Vec<Article> = parse_lines(&std::fs::read_to_string(format!("{dir}/articles.jsonl"))?, "articles")?;
    let (mut queries, mut messages) = (Vec::<LabelledQuery>::new(), Vec::<LabelledMessage>::new());
    let mut names: Vec<_> = std::fs::read_dir(&dir)?.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in names {
        let text = std::fs::read_to_string(format!("{dir}/{name}"))?;
        if name.ends_with("queries.jsonl") {
            queries.extend(parse_lines::<LabelledQuery>(&text, &name)?);
        } else if name.ends_with("frustration.jsonl") {
            messages.extend(parse_lines::<LabelledMessage>(&text, &name)?);
        }
    }
    let mut settings = BotSettings::default();
    if let Ok(answer) = std::env::var("CV_ANSWER") {
        settings.answer_threshold = answer.parse()?;
    }
    if let Ok(out) = std::env::var("CV_OUT") {
        settings.out_of_scope_threshold = out.parse()?;
    }
    // The shipped bot also learns from the wordings written for the shipped articles;
    // `CV_NO_AUTHORED=1` leaves them out, to measure what they add.
    let authored = if std::env::var("CV_NO_AUTHORED").is_ok() { Vec::new() } else { edudesk_bot::bot::authored_wordings() };
    let (report, misses) = cross_validate_with_misses(&articles, &queries, &messages, settings, folds, &authored);
    let show = std::env::var("CV_MISSES").is_ok();
    let (mut below, mut rank2_5, mut absent) = (0, 0, 0);
    for miss in &misses {
        let kind = if miss.expect.starts_with("escalate=") {
            "MOOD"
        } else if miss.expect.starts_with("__") {
            "ABST"
        } else {
            match miss.candidates.iter().position(|(id, _)| *id == miss.expect) {
                Some(0) => below += 1,
                Some(1..=4) => rank2_5 += 1,
                _ => absent += 1,
            }
            "TOP1"
        };
        if show {
            let at = miss.candidates.iter().position(|(id, _)| *id == miss.expect);
            let best: Vec<String> = miss.candidates.iter().take(3).map(|(id, score)| format!("{id}:{score:.2}")).collect();
            println!("{kind} {} at {at:?} got {:?}/{:?}/{:?} {best:?} | {}", miss.expect, miss.outcome, miss.reason, miss.got, miss.query);
        }
    }
    println!("CV {folds}-fold: {}", serde_json::to_string(&report)?);
    println!("answerable misses: right article first but not answered {below}, at rank 2-5 {rank2_5}, not in top 5 {absent}");
    // One fold assignment moves a line or two when any training line's features change (the
    // learned models are retrained from scratch); `CV_REPEATS=n` also runs n - 1 other
    // assignments (the lines shuffled with fixed seeds) and prints the mean over all n.
    let repeats: usize = std::env::var("CV_REPEATS").ok().map(|n| n.parse()).transpose()?.unwrap_or(1);
    if repeats > 1 {
        let mut reports = vec![report.clone()];
        for seed in 1..repeats as u64 {
            let (queries, messages) = (shuffled(&queries, seed), shuffled(&messages, seed));
            reports.push(cross_validate_with_misses(&articles, &queries, &messages, settings, folds, &authored).0);
        }
        let mean = |field: fn(&edudesk_bot::eval::Report) -> f64| reports.iter().map(field).sum::<f64>() / reports.len() as f64;
        let each: Vec<String> = reports.iter().map(|r| format!("{:.4}/{:.4}", r.top1_accuracy, r.abstain_accuracy)).collect();
        println!(
            "CV {folds}-fold x {repeats} mean: top-1 {:.4} abstain {:.4} handoff {:.4} frustration F1 {:.4} (each top-1/abstain: {})",
            mean(|r| r.top1_accuracy),
            mean(|r| r.abstain_accuracy),
            mean(|r| r.handoff_accuracy),
            mean(|r| r.frustration_f1),
            each.join(" ")
        );
    }
    if std::env::var("CV_SETS").is_ok() {
        // The shipped bot (trained on every shipped set) on each set: training figures.
        let bot = Bot::new(articles.clone(), settings);
        for set in ["dev", "dev2"] {
            let q: Vec<LabelledQuery> = parse_lines(&std::fs::read_to_string(format!("{dir}/{set}-queries.jsonl"))?, set)?;
            let m: Vec<LabelledMessage> = parse_lines(&std::fs::read_to_string(format!("{dir}/{set}-frustration.jsonl"))?, set)?;
            println!("{set}: {}", serde_json::to_string(&evaluate_bot(&bot, &q, &m).0)?);
        }
    }
    if std::env::var("CV_TRAIN").is_ok() {
        println!("trained on all: {:?}", train_model(&articles, &queries));
    }
    Ok(())
}

/// `lines` in an order fixed by `seed` (a small linear congruential generator: the harness
/// needs repeatable orders, not good randomness).
fn shuffled<T: Clone>(lines: &[T], seed: u64) -> Vec<T> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    let mut lines = lines.to_vec();
    for i in (1..lines.len()).rev() {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let j = ((state >> 33) % (i as u64 + 1)) as usize;
        lines.swap(i, j);
    }
    lines
}
