//! Prints the bot's misses on labelled sets, for calibrating thresholds and lexicons:
//! `cargo run -p edudesk-bot --example tune -- KB QUERIES FRUSTRATION`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use edudesk_bot::eval::{evaluate, parse_lines};
use edudesk_bot::{Article, BotSettings};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let read = |i: usize| std::fs::read_to_string(&args[i]).expect("readable file");
    let articles: Vec<Article> = parse_lines(&read(1), "kb").unwrap();
    let queries: Vec<edudesk_bot::eval::LabelledQuery> = parse_lines(&read(2), "queries").unwrap();
    let messages = parse_lines(&read(3), "frustration").unwrap();
    if std::env::var("DUMP").is_ok() {
        let bot = edudesk_bot::Bot::new(articles.clone(), BotSettings::default());
        for q in &queries {
            let c = bot.matcher().search(&q.query, 3);
            let s1 = c.first().map_or(0.0, |c| c.score);
            let s2 = c.get(1).map_or(0.0, |c| c.score);
            let ok = c.first().is_some_and(|c| c.id == q.expect);
            println!(
                "{:.3}\t{:.3}\t{:?}\t{}\t{}\t{}",
                s1,
                s2,
                bot.matcher().unknown_words(&q.query),
                if q.expect.starts_with("__") {
                    "OOS"
                } else if ok {
                    "OK"
                } else {
                    "WRONG"
                },
                q.expect,
                q.query
            );
        }
        return;
    }
    let (report, misses) = evaluate(articles, &queries, &messages, BotSettings::default());
    for miss in misses {
        println!("{}", serde_json::to_string(&miss).unwrap());
    }
    println!("{}", serde_json::to_string(&report).unwrap());
}
