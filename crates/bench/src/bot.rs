//! Bot benchmark: the time of one bot decision (normalise, match, decide) over a knowledge
//! base of N articles, made by recombining the shipped articles into distinct ones (each
//! gets sentences of several others, new questions and a unique course name, so the
//! vocabulary and the postings grow as in a real knowledge base). Queries are the dev sets'.

use std::time::Instant;

use edudesk_bot::{
    Article, Bot, BotSettings, ConversationState,
    eval::{LabelledMessage, LabelledQuery, parse_lines},
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Articles in the knowledge base.
    #[arg(long, default_value_t = 10_000)]
    articles: usize,
    /// Times each query is asked.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
}

const KB: &str = include_str!("../../server/kb/articles.jsonl");
const QUERIES: &str = include_str!("../../server/kb/dev-queries.jsonl");
const MESSAGES: &str = include_str!("../../server/kb/dev-frustration.jsonl");

/// Course subjects combined into unique course names.
const SUBJECTS: [&str; 20] = [
    "会计",
    "Python",
    "英语",
    "书法",
    "钢琴",
    "摄影",
    "考研数学",
    "日语",
    "教师资格",
    "心理学",
    "Java",
    "法律",
    "绘画",
    "吉他",
    "营养学",
    "Excel",
    "演讲",
    "写作",
    "化学",
    "物理",
];
const LEVELS: [&str; 6] = ["入门", "进阶", "高级", "冲刺", "实战", "精讲"];

struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }
}

fn synthesize(base: &[Article], count: usize) -> Vec<Article> {
    let mut random = Sequence(0x2545_F491_4F6C_DD1D);
    let sentences: Vec<Vec<String>> =
        base.iter().map(|a| a.body.split(['。', '\n', '.']).filter(|s| s.trim().len() > 3).map(str::to_owned).collect()).collect();
    let mut articles = base.to_vec();
    while articles.len() < count {
        let n = articles.len();
        let seed = &base[random.next(base.len())];
        let course = format!("{}{}第{}期", SUBJECTS[random.next(SUBJECTS.len())], LEVELS[random.next(LEVELS.len())], n % 97);
        let mut body = seed.body.clone();
        for _ in 0..3 {
            let other = &sentences[random.next(sentences.len())];
            if !other.is_empty() {
                body.push('\n');
                body.push_str(&other[random.next(other.len())]);
            }
        }
        body.push_str(&format!("\n本说明适用于「{course}」。"));
        articles.push(Article {
            id: format!("{}-{n}", seed.id),
            lang: seed.lang.clone(),
            category: seed.category.clone(),
            title: format!("{}（{course}）", seed.title),
            body,
            questions: seed.questions.iter().map(|q| format!("{course}{q}")).collect(),
            tags: seed.tags.iter().cloned().chain(std::iter::once(course)).collect(),
        });
    }
    articles
}

pub fn main(args: Args) -> anyhow::Result<()> {
    let base: Vec<Article> = parse_lines(KB, "kb").map_err(anyhow::Error::msg)?;
    let queries: Vec<LabelledQuery> = parse_lines(QUERIES, "queries").map_err(anyhow::Error::msg)?;
    let messages: Vec<LabelledMessage> = parse_lines(MESSAGES, "messages").map_err(anyhow::Error::msg)?;
    let texts: Vec<&str> = queries.iter().map(|q| q.query.as_str()).chain(messages.iter().map(|m| m.text.as_str())).collect();
    let started = Instant::now();
    let bot = Bot::new(synthesize(&base, args.articles), BotSettings::default());
    let built = started.elapsed();
    for text in &texts {
        bot.reply(text, &mut ConversationState::default());
    }
    let mut latencies = Vec::with_capacity(texts.len() * args.rounds);
    for _ in 0..args.rounds {
        for text in &texts {
            let started = Instant::now();
            bot.reply(text, &mut ConversationState::default());
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let at = |p: f64| latencies[((p * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len()) - 1];
    println!(
        "{{\"articles\": {}, \"build_ms\": {:.0}, \"replies\": {}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}, \"max_ms\": {:.3}}}",
        bot.len(),
        built.as_secs_f64() * 1000.0,
        latencies.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
    Ok(())
}
