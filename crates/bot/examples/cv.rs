//! Cross-validation harness for tuning the bot: `cargo run --release -p edudesk-bot --example cv
//! -- [KB_DIR] [FOLDS]` reads every `*queries.jsonl` / `*frustration.jsonl` under KB_DIR
//! (default `../shared/kb`), runs k-fold cross-validation over all of them together and
//! prints the report, where the right article ranked for the answerable misses, and each
//! held-out miss (`CV_MISSES=1`).

use std::sync::Arc;

use edudesk_bot::eval::{LabelledMessage, LabelledQuery, evaluate_bot, examples, parse_lines, train_model};
use edudesk_bot::mood::Mood;
use edudesk_bot::{Article, Bot, BotSettings, Learned};

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
    let show = std::env::var("CV_MISSES").is_ok();
    let (mut rank1, mut rank2_5, mut absent, mut below) = (0, 0, 0, 0);
    let (mut total_correct, mut total_answerable, mut abst, mut abst_ok, mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    for fold in 0..folds {
        let split = |i: usize| i % folds == fold;
        let train_q: Vec<LabelledQuery> = queries.iter().enumerate().filter(|(i, _)| !split(*i)).map(|(_, q)| q.clone()).collect();
        let test_q: Vec<LabelledQuery> = queries.iter().enumerate().filter(|(i, _)| split(*i)).map(|(_, q)| q.clone()).collect();
        let train_m: Vec<LabelledMessage> = messages.iter().enumerate().filter(|(i, _)| !split(*i)).map(|(_, m)| m.clone()).collect();
        let test_m: Vec<LabelledMessage> = messages.iter().enumerate().filter(|(i, _)| split(*i)).map(|(_, m)| m.clone()).collect();
        let learned = Learned {
            model: train_model(&articles, &train_q),
            mood: Arc::new(Mood::train(&train_m, &train_q)),
            examples: examples(&train_q),
            taught: Vec::new(),
        };
        let bot = Bot::with_learned(articles.clone(), settings, learned);
        let (report, misses) = evaluate_bot(&bot, &test_q, &test_m);
        total_answerable += report.answerable;
        total_correct += (report.top1_accuracy * report.answerable as f64).round() as usize;
        abst += report.abstain;
        abst_ok += (report.abstain_accuracy * report.abstain as f64).round() as usize;
        for miss in &misses {
            if miss.expect.starts_with("escalate=") {
                if miss.expect.starts_with("escalate=true") {
                    fneg += 1
                } else {
                    fp += 1
                }
                if show {
                    println!("MOOD {} | {}", miss.expect, miss.query)
                }
                continue;
            }
            if miss.expect.starts_with("__") {
                if show {
                    println!("ABST {} got {:?}/{:?} | {}", miss.expect, miss.outcome, miss.got, miss.query)
                }
                continue;
            }
            match miss.candidates.iter().position(|(id, _)| *id == miss.expect) {
                Some(0) => below += 1,
                Some(1..=4) => rank2_5 += 1,
                _ => absent += 1,
            }
            if show {
                let at = miss.candidates.iter().position(|(id, _)| *id == miss.expect);
                println!(
                    "TOP1 {} at {:?} got {:?}/{:?}/{:?} {:?} | {}",
                    miss.expect,
                    at,
                    miss.outcome,
                    miss.reason,
                    miss.got,
                    miss.candidates.iter().take(3).map(|(i, s)| format!("{i}:{s:.2}")).collect::<Vec<_>>(),
                    miss.query
                );
            }
        }
        let positives = test_m.iter().filter(|m| m.escalate).count();
        tp += positives - misses.iter().filter(|m| m.expect.starts_with("escalate=true")).count();
    }
    rank1 += total_correct;
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    println!(
        "CV {folds}-fold: top1 {:.3} ({total_correct}/{total_answerable}) abstain {:.3} ({abst_ok}/{abst}) frustration P {precision:.3} R {recall:.3} F1 {:.3}",
        total_correct as f64 / total_answerable as f64,
        abst_ok as f64 / abst as f64,
        2.0 * precision * recall / (precision + recall).max(1e-9)
    );
    println!("answerable misses: right article first but not answered {below}, at rank 2-5 {rank2_5}, not in top 5 {absent} (answered right {rank1})");
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
