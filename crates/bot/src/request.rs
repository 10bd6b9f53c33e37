//! Whether a learner asks for a person now, learned from labelled questions. The hand-written
//! reading in [`crate::signals`] knows families of requests (bare or repeated, rejecting the
//! bot, someone in charge, a call back) and of look-alikes that are not requests (a person no
//! longer needed, one already talked to, manual review as a process, the support hours);
//! this logistic model weighs those readings together with the message's characters and
//! words, so a request worded in a way no family lists ("Not you. A person.") is judged by
//! what it resembles. It trains in milliseconds from the labelled lines shipped in `data/`.

use crate::eval::LabelledQuery;
use crate::logistic::{Example, Logistic, Training, sparse};

/// Requests for a person, and lines that look like one but are not, written for the bot
/// (none copied from a dev set): the training phrases of the "person" intent.
const AUTHORED_REQUESTS: &str = include_str!("../data/authored-requests.jsonl");

/// Probability at which a message counts as a request for a person; chosen by
/// cross-validation over all dev sets (BENCHMARKS.md).
pub const THRESHOLD: f32 = 0.5;
/// How much a request counts against a line without one: requests are the fewer, and a
/// missed one costs more (a learner who asked for a person and got an article) than a
/// question handed to a person.
const REQUEST_WEIGHT: f32 = 2.0;
/// How much an ordinary labelled question (neither a request nor a look-alike) counts: as much
/// as a request, so ~1,750 authored requests and look-alikes do not teach the model that any
/// "E4002??" is a call for help (cross-validated, 0.2 took four answerable questions as
/// requests).
const QUESTION_WEIGHT: f32 = 2.0;

/// The trained model.
#[derive(Debug, Clone, Default)]
pub struct Request {
    model: Logistic,
}

/// The authored requests and look-alikes.
pub fn authored_requests() -> Vec<LabelledQuery> {
    crate::eval::parse_lines(AUTHORED_REQUESTS, "authored requests").unwrap_or_default()
}

impl Request {
    /// Trains on labelled questions: `__handoff__` lines are requests, every other line is
    /// not. Requests count [`REQUEST_WEIGHT`], lines labelled `__other__` (look-alikes
    /// written to be told apart) 1, ordinary questions [`QUESTION_WEIGHT`] each. 200 passes:
    /// with 30 the model was still unsure of plain requests ("talk to an agent" at 0.55).
    pub fn train(queries: &[LabelledQuery]) -> Request {
        let examples: Vec<Example> = queries
            .iter()
            .map(|query| {
                let normalized = crate::normalize::spoken(&crate::normalize::normalize(&query.query));
                let (label, importance) = match query.expect.as_str() {
                    "__handoff__" => (1.0, REQUEST_WEIGHT),
                    "__other__" => (0.0, 1.0),
                    _ => (0.0, QUESTION_WEIGHT),
                };
                Example { keys: sparse(&query.query, &normalized), dense: crate::signals::request_cues(&normalized), label, importance }
            })
            .collect();
        Request { model: Logistic::train(&examples, Training { epochs: 200, rate: 0.2, l2: 1e-4, shuffle: false }) }
    }

    /// The probability that `raw` (as typed; `spoken` as [`crate::normalize::spoken`]
    /// gives it of the normalised text) asks for a person now.
    pub fn probability(&self, raw: &str, normalized: &str) -> f32 {
        self.probability_with(&sparse(raw, normalized), normalized)
    }

    /// The highest probability of any one sentence about a person
    /// ([`crate::signals::a_sentence_may_ask_for_a_person`]) of a message of two sentences or
    /// more (0 for one sentence). A request said once inside a long description is drowned
    /// by the rest when the whole message is read: of 110 long requests written for tuning
    /// (`probes/requests-7.jsonl`), the whole-message reading found 64, with this reading too
    /// 94, and 107 with [`crate::signals::asks_someone_to_act`] as well (2 of 110 long
    /// look-alikes taken each time).
    pub fn sentence_probability(&self, spoken: &str) -> f32 {
        let sentences: Vec<&str> = crate::signals::sentences(spoken);
        if sentences.len() < 2 {
            return 0.0;
        }
        sentences
            .iter()
            .filter(|sentence| crate::signals::a_sentence_may_ask_for_a_person(sentence))
            .map(|sentence| self.probability(sentence, sentence))
            .fold(0.0, f32::max)
    }

    /// [`Request::probability`] with the message's sparse features already computed
    /// ([`crate::logistic::sparse`]), when another model reads them too.
    pub fn probability_with(&self, keys: &[String], normalized: &str) -> f32 {
        self.model.probability(keys, &crate::signals::request_cues(normalized))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::normalize::{normalize, spoken};

    fn probability(request: &Request, text: &str) -> f32 {
        request.probability(text, &spoken(&normalize(text)))
    }

    #[test]
    fn tells_requests_it_was_not_shown_from_look_alikes() {
        let request = Request::train(&authored_requests());
        // None of these is a line of the training data.
        for text in ["麻烦给我接个真人", "get me an actual human being", "搵個真人同我傾", "zhuan rengong"] {
            assert!(authored_requests().iter().all(|line| line.query != text), "{text} is training data");
            assert!(probability(&request, text) >= THRESHOLD, "{text}: {}", probability(&request, text));
        }
        for text in ["人工审核需要几天", "no need for a human, thanks", "退款大概几天能到", "客服热线号码多少"] {
            assert!(authored_requests().iter().all(|line| line.query != text), "{text} is training data");
            assert!(probability(&request, text) < THRESHOLD, "{text}: {}", probability(&request, text));
        }
    }

    #[test]
    fn a_request_said_once_in_a_long_message_is_read_from_its_sentence() {
        let request = Request::train(&authored_requests());
        let long = "我上周买了摄影课，付款成功了但是课程列表里一直没有，已经重新登录过好几次。订单截图我都留着。麻烦转个人工吧。";
        assert!(authored_requests().iter().all(|line| line.query != long));
        assert_eq!(crate::signals::sentences(&spoken(&normalize(long))).len(), 3);
        assert!(request.sentence_probability(&spoken(&normalize(long))) >= THRESHOLD);
        // A long question whose sentences name nobody is not read sentence by sentence.
        let question = "我上周买了摄影课。付款成功了但是课程列表里一直没有。在哪里能找到？";
        assert_eq!(request.sentence_probability(&spoken(&normalize(question))), 0.0);
        // Nor is a single sentence: the whole message is its sentence.
        assert_eq!(request.sentence_probability("转人工"), 0.0);
    }

    #[test]
    fn an_untrained_model_is_undecided() {
        assert_eq!(probability(&Request::default(), "转人工"), 0.5);
    }
}
