//! Whether a learner is upset enough for a person to take over, learned from labelled
//! messages. The hand-written reading in [`crate::signals`] knows families of cues (threats,
//! sarcasm next to a failure, waits counted out, shouting); this logistic model weighs that
//! reading together with the message's own characters and words, so wordings no lexicon
//! lists ("你们自己去那边回复吧", "great job guys") are judged by what they resemble, and
//! trigger words used calmly ("投诉入口在哪") by what surrounds them. It trains in
//! milliseconds from the labelled messages shipped in `data/` (and whatever the caller adds),
//! so nothing is downloaded.

use std::collections::HashMap;

use crate::eval::{LabelledMessage, LabelledQuery};
use crate::normalize::is_cjk;

/// Labelled messages the shipped model learns from (the dev sets of `kb/`).
const SHIPPED: [&str; 2] = [include_str!("../data/dev-frustration.jsonl"), include_str!("../data/dev2-frustration.jsonl")];

/// Probability at which a message counts as frustrated. Below one half because a missed
/// angry learner costs more than a calm one handed to a person early; chosen by 5-fold
/// cross-validation over all dev sets (BENCHMARKS.md).
pub const THRESHOLD: f32 = 0.2;
/// How much a calm example taken from the labelled questions counts against a labelled
/// message: they outnumber the messages three to one and would otherwise drown the angry.
const CALM_WEIGHT: f32 = 0.3;

/// The trained model: a weight per character, character pair, English word and word pair,
/// and for the hand-written score.
#[derive(Debug, Clone, Default)]
pub struct Mood {
    weights: HashMap<String, f32>,
    rule_weight: f32,
    bias: f32,
}

/// The sparse features of a message.
fn sparse(raw: &str, normalized: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = normalized.chars().filter(|c| !c.is_whitespace()).collect();
    for (i, c) in chars.iter().enumerate() {
        if is_cjk(*c) || "!?？！…~".contains(*c) {
            out.push(format!("c{c}"));
            if let Some(next) = chars.get(i + 1) {
                out.push(format!("b{c}{next}"));
            }
        }
    }
    let words: Vec<&str> = normalized.split(|c: char| !c.is_ascii_alphanumeric() && c != '\'').filter(|w| !w.is_empty()).collect();
    for (i, word) in words.iter().enumerate() {
        out.push(format!("w{word}"));
        if let Some(next) = words.get(i + 1) {
            out.push(format!("p{word} {next}"));
        }
    }
    // How it is typed, not only what: capitals, repeated marks, emoji.
    let letters = raw.chars().filter(char::is_ascii_alphabetic).count();
    let capitals = raw.chars().filter(char::is_ascii_uppercase).count();
    if letters >= 8 && capitals * 2 > letters {
        out.push("#caps".into());
    }
    if raw.contains("!!") || raw.contains("！！") {
        out.push("#bangs".into());
    }
    if raw.contains("??") || raw.contains("？？") {
        out.push("#questions".into());
    }
    if raw.chars().any(|c| matches!(c as u32, 0x1F300..=0x1FAFF | 0x2600..=0x27BF)) {
        out.push("#emoji".into());
    }
    out.sort();
    out.dedup();
    out
}

impl Mood {
    /// The model trained on the shipped labelled messages, and on the shipped labelled
    /// questions as calm examples (`questions`).
    pub fn shipped(questions: &[LabelledQuery]) -> Mood {
        let messages: Vec<LabelledMessage> =
            SHIPPED.iter().flat_map(|text| crate::eval::parse_lines::<LabelledMessage>(text, "shipped frustration set").unwrap_or_default()).collect();
        Mood::train(&messages, questions)
    }

    /// Trains on `messages` by stochastic gradient descent on the log-loss, in a fixed
    /// order (the same data gives the same model).
    ///
    /// `calm`: questions labelled with an answer (an article, or "not in the knowledge base")
    /// are, by that label, not messages to hand over for frustration — they teach the model
    /// that a long, worried question is still a question. They count `CALM_WEIGHT` each.
    pub fn train(messages: &[LabelledMessage], calm: &[LabelledQuery]) -> Mood {
        const EPOCHS: usize = 40;
        const RATE: f32 = 0.2;
        const L2: f32 = 1e-4;
        // Features become indexes once, so the passes below are plain arithmetic.
        let mut vocabulary: HashMap<String, usize> = HashMap::new();
        let labelled = messages.iter().map(|m| (m.text.as_str(), if m.escalate { 1.0 } else { 0.0 }, 1.0));
        let calm = calm.iter().filter(|q| q.expect != "__handoff__").map(|q| (q.query.as_str(), 0.0, CALM_WEIGHT));
        let prepared: Vec<(Vec<usize>, f32, f32, f32)> = labelled
            .chain(calm)
            .map(|(text, label, importance)| {
                let normalized = crate::normalize::normalize(text);
                let keys = sparse(text, &normalized)
                    .into_iter()
                    .map(|key| {
                        let next = vocabulary.len();
                        *vocabulary.entry(key).or_insert(next)
                    })
                    .collect();
                (keys, crate::signals::rule_score(text, &normalized), label, importance)
            })
            .collect();
        let mut weights = vec![0.0f32; vocabulary.len()];
        let (mut rule_weight, mut bias) = (0.0f32, 0.0f32);
        for _ in 0..EPOCHS {
            for (keys, rule, label, importance) in &prepared {
                let scale = 1.0 / (keys.len().max(1) as f32).sqrt();
                let z = bias + rule_weight * rule + keys.iter().map(|k| weights[*k]).sum::<f32>() * scale;
                let p = 1.0 / (1.0 + (-z).exp());
                let error = (p - label) * importance;
                for key in keys {
                    let weight = &mut weights[*key];
                    *weight -= RATE * (error * scale + L2 * *weight);
                }
                rule_weight -= RATE * error * rule;
                bias -= RATE * error;
            }
        }
        Mood { weights: vocabulary.into_iter().map(|(key, index)| (key, weights[index])).collect(), rule_weight, bias }
    }

    fn probability_of(&self, keys: &[String], rule: f32) -> f32 {
        let scale = 1.0 / (keys.len().max(1) as f32).sqrt();
        let sparse: f32 = keys.iter().filter_map(|k| self.weights.get(k)).sum::<f32>() * scale;
        let z = self.bias + self.rule_weight * rule + sparse;
        1.0 / (1.0 + (-z).exp())
    }

    /// The probability that `raw` (as typed; `normalized` as [`crate::normalize::normalize`]
    /// gives it) comes from a learner who should be handed to a person now.
    pub fn probability(&self, raw: &str, normalized: &str) -> f32 {
        self.probability_of(&sparse(raw, normalized), crate::signals::rule_score(raw, normalized))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    fn probability(mood: &Mood, text: &str) -> f32 {
        mood.probability(text, &normalize(text))
    }

    #[test]
    fn learns_what_it_is_shown_and_weighs_new_wordings_by_resemblance() {
        let message = |text: &str, escalate| LabelledMessage { text: text.to_owned(), escalate };
        let mood = Mood::train(
            &[
                message("呵呵，你们效率真高，等了一周", true),
                message("我要去消协投诉你们", true),
                message("WHY IS THIS STILL BROKEN???", true),
                message("请问退款一般几天到账", false),
                message("谢谢，问题解决了", false),
                message("how do I change my email", false),
            ],
            &[],
        );
        assert!(probability(&mood, "呵呵，效率真高啊，又等了三天") > THRESHOLD);
        assert!(probability(&mood, "IS ANYONE THERE??? STILL BROKEN") > THRESHOLD);
        assert!(probability(&mood, "谢谢，已经解决了") < THRESHOLD);
        assert!(probability(&mood, "how do I change my password") < THRESHOLD);
    }

    #[test]
    fn the_shipped_model_separates_calm_from_angry() {
        let mood = Mood::shipped(&[]);
        assert!(probability(&mood, "第四次问了，还是没人管，我明天就去12315") > THRESHOLD);
        assert!(probability(&mood, "请问在哪里可以下载发票") < THRESHOLD);
    }
}
