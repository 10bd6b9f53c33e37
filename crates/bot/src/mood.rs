//! Whether a learner is upset enough for a person to take over, learned from labelled
//! messages. The hand-written reading in [`crate::signals`] knows families of cues (threats,
//! sarcasm next to a failure, waits counted out, shouting); this logistic model weighs that
//! reading together with the message's own characters and words, so wordings no lexicon
//! lists ("你们自己去那边回复吧", "great job guys") are judged by what they resemble, and
//! trigger words used calmly ("投诉入口在哪") by what surrounds them. It trains in
//! milliseconds from the labelled messages shipped in `data/` (and whatever the caller adds),
//! so nothing is downloaded.

use crate::eval::{LabelledMessage, LabelledQuery};
use crate::logistic::{Example, Logistic, Training, sparse};

/// Labelled messages the shipped model learns from (the dev sets of `kb/`).
const SHIPPED: [&str; 2] = [include_str!("../data/dev-frustration.jsonl"), include_str!("../data/dev2-frustration.jsonl")];

/// Upset and calm messages written for the bot (none copied from a dev set): sarcasm,
/// final threats, counted waits, high stakes, contempt, distress, and calm messages that use
/// the same words.
const AUTHORED_MESSAGES: &str = include_str!("../data/authored-messages.jsonl");

/// [`AUTHORED_MESSAGES`], parsed.
pub fn authored_messages() -> Vec<LabelledMessage> {
    crate::eval::parse_lines(AUTHORED_MESSAGES, "authored messages").unwrap_or_default()
}

/// Probability at which a message counts as frustrated; chosen by 5-fold cross-validation
/// over all dev sets and checked on probe sets (BENCHMARKS.md). It was 0.2 while the model
/// trained in file order and came out unsure of the angry.
pub const THRESHOLD: f32 = 0.5;
/// How much a calm example taken from the labelled questions counts against a labelled
/// message: they outnumber the messages three to one and would otherwise drown the angry.
const CALM_WEIGHT: f32 = 0.3;

/// The trained model: a weight per character, character pair, English word and word pair,
/// and for the hand-written score.
#[derive(Debug, Clone, Default)]
pub struct Mood {
    model: Logistic,
}

impl Mood {
    /// The model trained on the shipped labelled messages (the dev sets' and the authored
    /// ones), and on the shipped labelled questions as calm examples (`questions`).
    pub fn shipped(questions: &[LabelledQuery]) -> Mood {
        let mut messages: Vec<LabelledMessage> =
            SHIPPED.iter().flat_map(|text| crate::eval::parse_lines::<LabelledMessage>(text, "shipped frustration set").unwrap_or_default()).collect();
        messages.extend(authored_messages());
        Mood::train(&messages, questions)
    }

    /// Trains on `messages` by stochastic gradient descent on the log-loss, in a fixed
    /// order (the same data gives the same model).
    ///
    /// `calm`: questions labelled with an answer (an article, or "not in the knowledge base")
    /// are, by that label, not messages to hand over for frustration — they teach the model
    /// that a long, worried question is still a question. They count `CALM_WEIGHT` each.
    pub fn train(messages: &[LabelledMessage], calm: &[LabelledQuery]) -> Mood {
        let labelled = messages.iter().map(|m| (m.text.as_str(), if m.escalate { 1.0 } else { 0.0 }, 1.0));
        let calm = calm.iter().filter(|q| q.expect != "__handoff__").map(|q| (q.query.as_str(), 0.0, CALM_WEIGHT));
        let examples: Vec<Example> = labelled
            .chain(calm)
            .map(|(text, label, importance)| {
                let normalized = crate::normalize::spoken(&crate::normalize::normalize(text));
                Example { keys: sparse(text, &normalized), dense: vec![crate::signals::rule_score(text, &normalized)], label, importance }
            })
            .collect();
        Mood { model: Logistic::train(&examples, Training { epochs: 40, rate: 0.2, l2: 1e-4, shuffle: true }) }
    }

    /// The probability that `raw` (as typed; `spoken` as [`crate::normalize::spoken`]
    /// gives it of the normalised text) comes from a learner who should be handed to a person now.
    pub fn probability(&self, raw: &str, normalized: &str) -> f32 {
        self.probability_with(&sparse(raw, normalized), raw, normalized)
    }

    /// [`Mood::probability`] with the message's sparse features already computed
    /// ([`crate::logistic::sparse`]), when another model reads them too.
    pub fn probability_with(&self, keys: &[String], raw: &str, normalized: &str) -> f32 {
        self.model.probability(keys, &[crate::signals::rule_score(raw, normalized)])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    fn probability(mood: &Mood, text: &str) -> f32 {
        mood.probability(text, &crate::normalize::spoken(&normalize(text)))
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
