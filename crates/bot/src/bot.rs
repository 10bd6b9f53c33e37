//! The bot's decision for one learner message: answer from an article, say it cannot help
//! (out of scope) and offer a person, or hand over to a person, with the reason and the
//! candidates the agent should see. Hand over on an explicit request, frustration, low
//! confidence, two candidates too close to call, or repeated failed answers. The conversation's
//! memory ([`ConversationState`]) is a small serialisable value the caller stores.

use std::sync::{Arc, OnceLock};

use crate::Article;
use crate::matcher::{ArticleReading, Candidate, Matcher};
use crate::model::Model;
use crate::mood::Mood;
use crate::request::Request;
use crate::scope::Scope;

/// Frustration probability at which a learner goes to a person even with an answerable question.
/// The frustration model is trained in shuffled order and is sure of itself: at 0.9, worried
/// but answerable questions ("考试时app闪退被强制交卷了，这次算不算次数") went to a person
/// (cross-validated top-1 0.904 at 0.97, 0.907 at 0.98, 0.909 at 0.99; BENCHMARKS.md).
const CLEARLY_UPSET: f32 = 0.99;
/// Probability of the best article at which a somewhat upset learner gets the answer first;
/// cross-validated, 0.5 answered more of them rightly than 0.7 did.
const CONFIDENT_ANSWER: f32 = 0.5;
/// Longest labelled wording (in characters) that joins its article's questions when the
/// matcher cannot find the article for it ([`Bot::with_learned`]). Cross-validated over the
/// dev sets, 15 answered five more questions rightly and let one out-of-scope question
/// through; 20 the same five and three through, no limit six (BENCHMARKS.md).
const SHORT_WAY_IN: usize = 15;

/// Offer a choice between the two likeliest articles when together they are at least this
/// likely, and the second at least [`CHOICE_FLOOR`].
const CHOICE_TOTAL: f32 = 0.5;
const CHOICE_FLOOR: f32 = 0.15;

/// The offered article a reply picks: "1"/"2", 第一个/第二个, "first"/"second", A/B.
fn choice<'a>(normalized: &str, offered: &'a [String]) -> Option<&'a String> {
    const FIRST: &[&str] = &["1", "第一个", "第一", "一", "前一个", "前者", "first", "the first", "first one", "the first one", "a", "1."];
    const SECOND: &[&str] = &["2", "第二个", "第二", "二", "后一个", "后者", "second", "the second", "second one", "the second one", "b", "2."];
    let said: String = normalized.trim().trim_matches(|c: char| !c.is_alphanumeric() && c != '.').trim_end_matches('.').to_owned();
    let said = said.trim_end_matches(['个', '吧', '呢', '啊']).to_owned();
    let said = said.as_str();
    if FIRST.contains(&said) || FIRST.iter().any(|f| said == format!("{f}个")) {
        offered.first()
    } else if SECOND.contains(&said) || SECOND.iter().any(|f| said == format!("{f}个")) {
        offered.get(1)
    } else {
        None
    }
}

/// Passes of the matcher's association learning over the labelled questions.
const LEARNING_EPOCHS: usize = 8;
use crate::normalize::normalize;
use crate::signals::Signals;

/// Thresholds on the matcher's probabilities; chosen by cross-validation over the dev sets
/// (see BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct BotSettings {
    /// Probability the best article needs for the bot to answer with it. 0.36 since the scope
    /// model turns away what the knowledge base does not cover: cross-validated, 0.30–0.36 answer
    /// one or two more held-out questions than 0.43 and refuse two fewer out-of-scope ones, and
    /// on the probes they answer one to three more (BENCHMARKS.md).
    pub answer_threshold: f32,
    /// Below this (or below "none") the question is outside what the knowledge base covers.
    pub out_of_scope_threshold: f32,
    /// The runner-up within this fraction of the best makes the question ambiguous.
    pub ambiguity_ratio: f32,
    /// Failed answers (learner says it did not help) before handing over.
    pub max_failures: u32,
}

impl Default for BotSettings {
    fn default() -> Self {
        BotSettings { answer_threshold: 0.36, out_of_scope_threshold: 0.18, ambiguity_ratio: 0.98, max_failures: 2 }
    }
}

/// What the bot does with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Replies with an article.
    Answer,
    /// Says the question is outside what it can answer and offers a person.
    OutOfScope,
    /// Hands the conversation to a person.
    Handoff,
    /// Asks the learner to say more (after a first failed answer).
    Clarify,
    /// Offers the two likeliest articles and asks which one is meant ("1" or "2").
    Choose,
}

/// Why the bot handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    Requested,
    Frustrated,
    LowConfidence,
    Ambiguous,
    RepeatedFailure,
    InternalError,
}

impl HandoffReason {
    /// The stable name used in events and summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            HandoffReason::Requested => "requested",
            HandoffReason::Frustrated => "frustrated",
            HandoffReason::LowConfidence => "low_confidence",
            HandoffReason::Ambiguous => "ambiguous",
            HandoffReason::RepeatedFailure => "repeated_failure",
            HandoffReason::InternalError => "internal_error",
        }
    }
}

/// The bot's memory of one conversation.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ConversationState {
    /// Articles already given, in order.
    pub answered: Vec<String>,
    /// Answers the learner said did not help, and questions the bot could not answer.
    pub failures: u32,
    /// Set once the conversation went to a person; the bot stays quiet after that.
    pub handed_over: bool,
    /// The two articles offered to choose from, until the learner's next message.
    pub offered: Vec<String>,
}

/// The bot's reply to one message.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reply {
    pub outcome: Outcome,
    pub reason: Option<HandoffReason>,
    /// The article answered with.
    pub article: Option<Candidate>,
    /// Best candidates with their scores, best first.
    pub candidates: Vec<Candidate>,
    /// The articles offered to choose from ([`Outcome::Choose`]), in the order numbered.
    pub options: Vec<Candidate>,
    pub signals: Signals,
    /// Whether the learner wrote Chinese (the reply's language).
    pub chinese: bool,
}

/// The bot over a set of published articles.
#[derive(Debug)]
pub struct Bot {
    matcher: Matcher,
    articles: Vec<Article>,
    settings: BotSettings,
    mood: Arc<Mood>,
    request: Option<Arc<Request>>,
    scope: Option<Arc<Scope>>,
}

/// What the bot learned from labelled data: the matcher's scoring model, the frustration
/// model, and labelled questions (article id, or `None` for "not answerable") the matcher
/// learns word associations from.
#[derive(Debug, Clone)]
pub struct Learned {
    pub model: Model,
    pub mood: Arc<Mood>,
    /// The model of a request for a person; `None` reads requests by the hand-written
    /// families alone.
    pub request: Option<Arc<Request>>,
    pub examples: Vec<(String, Option<String>)>,
    /// Learner questions an editor accepted for an article (question, article id): they are
    /// learned from whatever the knowledge base is, and join the article's questions when the
    /// matcher cannot find the article for them ([`Bot::with_learned`]).
    pub taught: Vec<(String, String)>,
}

/// Labelled questions shipped with the bot (the dev sets of `kb/`).
const SHIPPED_QUESTIONS: [&str; 2] = [include_str!("../data/dev-queries.jsonl"), include_str!("../data/dev2-queries.jsonl")];

/// Questions about the shipped articles (and ones no article answers) that we wrote from
/// the articles alone, the way learners type: symptoms instead of terms, slang, fragments,
/// typos, traditional characters, mixed languages. None is copied from a dev set.
const AUTHORED_WORDINGS: &str = include_str!("../data/authored-wordings.jsonl");

/// [`AUTHORED_WORDINGS`], parsed: training phrases, as a help desk writes for each intent.
/// They teach the matcher's word associations only (not the scoring model, nor the
/// frustration model: cross-validated, both did worse with them), and only for the shipped
/// knowledge base; a team's own articles learn from the wordings its editors accept.
pub fn authored_wordings() -> Vec<crate::eval::LabelledQuery> {
    crate::eval::parse_lines(AUTHORED_WORDINGS, "authored wordings").unwrap_or_default()
}

impl Learned {
    /// Nothing learned: for a placeholder bot that never answers (a server with the bot
    /// off). Its frustration model is untrained.
    pub fn untrained() -> Learned {
        Learned { model: Model::shipped(), mood: Arc::new(Mood::default()), request: None, examples: Vec::new(), taught: Vec::new() }
    }

    /// Adds questions agents taught: (learner's question, article id).
    pub fn teach(mut self, taught: impl IntoIterator<Item = (String, String)>) -> Learned {
        self.taught.extend(taught);
        self
    }

    /// Whether the examples were labelled against (most of) these articles.
    fn describes(&self, articles: &[Article]) -> bool {
        let named: std::collections::HashSet<&str> = self.examples.iter().filter_map(|(_, id)| id.as_deref()).collect();
        let present = named.iter().filter(|id| articles.iter().any(|a| a.id == **id)).count();
        present * 2 > named.len()
    }

    /// What ships: the trained constants, the frustration model trained on the shipped
    /// messages (once per process), the shipped labelled questions and the authored wordings.
    pub fn shipped() -> Learned {
        static SHIPPED: OnceLock<Learned> = OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                let queries: Vec<crate::eval::LabelledQuery> =
                    SHIPPED_QUESTIONS.iter().flat_map(|text| crate::eval::parse_lines(text, "shipped questions").unwrap_or_default()).collect();
                let authored = authored_wordings();
                let examples = crate::eval::examples(&[queries.as_slice(), &authored].concat());
                // The request model learns from the labelled questions and the authored requests, not
                // from the authored wordings: some wordings of "how do I reach a person" are
                // requests too, and as "no" they taught it to doubt plain ones.
                let request = Request::train(&[queries.as_slice(), &crate::request::authored_requests()].concat());
                Learned { model: Model::shipped(), mood: Arc::new(Mood::shipped(&queries)), request: Some(Arc::new(request)), examples, taught: Vec::new() }
            })
            .clone()
    }
}

impl Bot {
    /// Builds the bot over `articles` (only published ones should be passed).
    pub fn new(articles: Vec<Article>, settings: BotSettings) -> Bot {
        Bot::with_learned(articles, settings, Learned::shipped())
    }

    /// A bot with nothing to answer from and nothing learned: the placeholder of a server
    /// whose bot is off (it never answers there).
    pub fn empty(settings: BotSettings) -> Bot {
        Bot::with_learned(Vec::new(), settings, Learned::untrained())
    }

    /// Builds the bot with what it learned elsewhere (cross-validation trains its own).
    pub fn with_learned(mut articles: Vec<Article>, settings: BotSettings, learned: Learned) -> Bot {
        crate::features::warm_up();
        let mut readings = ArticleReading::of_all(&articles);
        let mut matcher = Matcher::from_readings(&articles, &readings, learned.model);
        // Labelled questions are about one knowledge base: what they teach ("微信密码" is
        // not ours to answer) only holds for the articles they were labelled against.
        let describes = learned.describes(&articles);
        let mut examples = if describes { learned.examples.clone() } else { Vec::new() };
        // A taught question, or a short labelled wording, the matcher cannot find its article
        // for becomes one of the article's questions: a new way in ("咋拿证" shares no word
        // with the certificate articles). One it finds teaches the ranking only (below): as
        // questions, hundreds of learners' long messages would lend their every word to their
        // articles (cross-validated, top-1 fell from 0.77 to 0.69 that way).
        let short_wordings =
            examples.iter().filter_map(|(question, id)| Some((question, id.as_ref()?))).filter(|(question, _)| question.chars().count() <= SHORT_WAY_IN);
        let ways_in: Vec<(&String, &String)> = learned.taught.iter().map(|(question, id)| (question, id)).chain(short_wordings).collect();
        let placed = crate::parallel::map(&ways_in, |(question, id)| {
            matcher.index_of(id).is_none_or(|index| matcher.analyse(question).candidates.iter().any(|(listed, _)| *listed == index))
        });
        let mut joined = std::collections::BTreeSet::new();
        for ((question, id), placed) in ways_in.into_iter().zip(placed) {
            if !placed
                && let Some(index) = articles.iter().position(|article| article.id == *id)
                && !articles[index].questions.contains(question)
            {
                articles[index].questions.push(question.clone());
                joined.insert(index);
            }
        }
        if !joined.is_empty() {
            // Only the articles that gained questions are read again.
            for index in joined {
                readings[index] = ArticleReading::of(&articles[index]);
            }
            matcher = Matcher::from_readings(&articles, &readings, learned.model);
        }
        examples.extend(learned.taught.iter().map(|(question, id)| (question.clone(), Some(id.clone()))));
        matcher.learn(&examples, LEARNING_EPOCHS);
        // The same labelled questions teach what the knowledge base does not cover at all,
        // with the authored out-of-scope questions of the shipped one (given both kinds: an
        // untrained model would turn every question away).
        if describes {
            examples.extend(crate::scope::authored_out_of_scope().into_iter().map(|query| (query.query, None)));
        }
        let both_kinds = examples.iter().any(|(_, article)| article.is_none()) && examples.iter().any(|(_, article)| article.is_some());
        let scope = both_kinds.then(|| Arc::new(Scope::train(&examples, &matcher)));
        Bot { matcher, articles, settings, mood: learned.mood, request: learned.request, scope }
    }

    /// The article with `id`.
    pub fn article(&self, id: &str) -> Option<&Article> {
        self.articles.iter().find(|a| a.id == id)
    }

    /// Number of articles the bot answers from.
    pub fn len(&self) -> usize {
        self.articles.len()
    }

    /// Whether the bot has nothing to answer from.
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }

    /// The matcher, for search suggestions.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// How the scope models read `message` (`None` without them), with what its best article
    /// leaves unexplained: for tuning tools.
    pub fn scope_reading(&self, message: &str) -> Option<(crate::scope::Reading, crate::scope::Unexplained)> {
        let scope = self.scope.as_ref()?;
        let normalized = normalize(message);
        let unexplained = self.matcher.unexplained(&normalized, self.matcher.best(message).as_deref());
        Some((scope.read(message, &normalized, &unexplained), unexplained))
    }

    /// Decides what to do with `message` and updates `state`.
    pub fn reply(&self, message: &str, state: &mut ConversationState) -> Reply {
        let normalized = normalize(message);
        // What the message says of the learner is read in standard Mandarin (Cantonese and
        // pinyin rewritten); what it asks about, in the articles' words.
        let spoken = crate::normalize::spoken(&normalized);
        let mut signals = Signals::read(message, &spoken);
        // Both learned readings look at the same characters and words: computed once.
        let keys = crate::logistic::sparse(message, &spoken);
        signals.frustration = self.mood.probability_with(&keys, message, &spoken) / crate::mood::THRESHOLD;
        if let Some(request) = &self.request {
            // A clause that only asks for a person is a request whatever the model makes of
            // the rest ("还是不会弄，转人工"); so is one asking someone to act on the case
            // ("can a representative look at my account?") and, in a long message, a sentence
            // the model reads as a request on its own.
            // A message asking whether someone is really staff names staff without wanting
            // one ("有个自称客服的加我，靠谱吗"): only a clause that asks for a person outright
            // makes it a request. The same holds for one asking whether a course with real
            // teachers exists ("有没有真人老师一对一的课"), and for thanks to a person whose help
            // already ended the trouble ("谢谢客服，问题解决了").
            // The learner's own people ("20个员工", "our staff") are not ours: the model reads
            // the message without them.
            let model_says = match crate::signals::without_the_learners_own_people(&spoken) {
                Some(rest) => {
                    request.probability(&rest, &rest) >= crate::request::THRESHOLD || request.sentence_probability(&rest) >= crate::request::THRESHOLD
                }
                None => {
                    request.probability_with(&keys, &spoken) >= crate::request::THRESHOLD || request.sentence_probability(&spoken) >= crate::request::THRESHOLD
                }
            };
            let read_as_a_request = !crate::signals::asks_whether_someone_is_staff(&spoken)
                && !crate::signals::asks_whether_a_course_exists(&spoken)
                && !crate::signals::thanks_for_help_already_given(&spoken)
                && model_says;
            signals.wants_human = read_as_a_request
                || crate::signals::a_clause_only_asks_for_a_person(&spoken)
                || crate::signals::asks_someone_to_act(&spoken)
                || crate::signals::still_waiting_for_a_person(&spoken);
        }
        let chinese = crate::features::looks_chinese(&normalized);
        let ranking = self.matcher.rank(message, 5);
        let (candidates, none) = (ranking.candidates, ranking.none);
        let reply = |outcome, reason, article| Reply { outcome, reason, article, candidates: candidates.clone(), options: Vec::new(), signals, chinese };
        if signals.wants_human {
            return self.hand_over(state, reply(Outcome::Handoff, Some(HandoffReason::Requested), None));
        }
        // The answer to "which of these two?" is the chosen article.
        let offered = std::mem::take(&mut state.offered);
        if let Some(chosen) = choice(&normalized, &offered).and_then(|id| self.article(id)) {
            let article = Candidate { id: chosen.id.clone(), title: chosen.title.clone(), category: chosen.category.clone(), score: 1.0 };
            state.answered.push(article.id.clone());
            return reply(Outcome::Answer, None, Some(article));
        }
        // Clearly upset: a person now. Only somewhat upset, with a question the bot answers
        // with confidence: the answer first (it ends with the offer of a person), since a
        // worried learner with an answerable question is best served by the answer.
        // An upset learner who threatens a complaint or swears is clearly upset, however sure
        // the model is: "我要投诉" wants a person, not the article.
        // The model alone, however sure, is not clearly upset: it reads some calm problem
        // descriptions as upset ("老师让我上麦 我说话他们都听不到", 0.99), so the hand-written
        // reading must see something too (a cue, a count of tries, shouting, a wait).
        let clearly_upset = signals.frustration * crate::mood::THRESHOLD >= CLEARLY_UPSET && crate::signals::rule_score(message, &spoken) > 0.0
            || signals.frustrated() && crate::signals::strong_cue(&spoken);
        let confident_first_answer = state.answered.is_empty() && candidates.first().is_some_and(|best| best.score >= CONFIDENT_ANSWER && best.score > none);
        // "没用" after an answer, only somewhat upset, is a failed answer: the failure path
        // below asks for more once and then hands over, as it does for a calm one.
        let a_failed_answer = signals.not_helped && !state.answered.is_empty();
        if signals.frustrated() && (clearly_upset || !confident_first_answer && !a_failed_answer) {
            return self.hand_over(state, reply(Outcome::Handoff, Some(HandoffReason::Frustrated), None));
        }
        // What no desk answers (someone to sit the exam, another platform's password) is
        // "not ours" however well its words match an article ("reset my gmail password").
        // So is a question worded like those the knowledge base does not cover ("高考志愿怎么填",
        // "你叫什么名字"), unless the matcher is all but sure of an article.
        // A failed answer is read without its "没用": those words are feedback on the answer,
        // not part of a question, and the matcher cannot explain them. A bare "没用" has no
        // question left to read; "没用，高考志愿怎么填" still asks one beyond the knowledge base.
        let asked: std::borrow::Cow<str> = if a_failed_answer { crate::signals::without_not_helped(&normalized).into() } else { normalized.as_str().into() };
        let nothing_asked = a_failed_answer && crate::signals::only_not_helped(&spoken);
        let beyond = !nothing_asked
            && self.scope.as_ref().is_some_and(|scope| {
                let raw = if a_failed_answer { &*asked } else { message };
                let unexplained = self.matcher.unexplained(&asked, candidates.first().map(|best| best.id.as_str()));
                scope.read(raw, &asked, &unexplained).beyond(candidates.first().map_or(0.0, |best| best.score))
            });
        if self.matcher.not_ours(&normalized) || beyond || crate::signals::only_asks_what_the_bot_is(&spoken) {
            state.failures += 1;
            return reply(Outcome::OutOfScope, None, None);
        }
        if signals.not_helped && !state.answered.is_empty() {
            state.failures += 1;
        }
        if state.failures >= self.settings.max_failures {
            return self.hand_over(state, reply(Outcome::Handoff, Some(HandoffReason::RepeatedFailure), None));
        }
        // "没用" / "didn't work" after an answer is a failed answer, not a new question: ask
        // for more (the next failure hands over), never "that is out of scope".
        let confident = candidates.first().is_some_and(|best| best.score >= self.settings.answer_threshold);
        if signals.not_helped && !state.answered.is_empty() && (!confident || crate::signals::only_not_helped(&spoken)) {
            return reply(Outcome::Clarify, None, None);
        }
        let Some(best) = candidates.first().cloned() else {
            state.failures += 1;
            return reply(Outcome::OutOfScope, None, None);
        };
        if best.score < self.settings.out_of_scope_threshold || none >= best.score {
            // A learner who already got answers and now asks something unanswerable is
            // better served by a person than by a refusal.
            if !state.answered.is_empty() && signals.not_helped {
                return self.hand_over(state, reply(Outcome::Handoff, Some(HandoffReason::RepeatedFailure), None));
            }
            state.failures += 1;
            return reply(Outcome::OutOfScope, None, None);
        }
        if best.score < self.settings.answer_threshold {
            if signals.not_helped {
                return reply(Outcome::Clarify, None, None);
            }
            // Not sure which, but likely one of two: let the learner pick (once; a second
            // unsure question goes to a person).
            if let Some(second) = candidates.get(1).cloned()
                && offered.is_empty()
                && second.score >= CHOICE_FLOOR
                && best.score + second.score >= CHOICE_TOTAL
                && !state.answered.contains(&best.id)
            {
                state.offered = vec![best.id.clone(), second.id.clone()];
                return Reply { options: vec![best, second], ..reply(Outcome::Choose, None, None) };
            }
            return self.hand_over(state, reply(Outcome::Handoff, Some(HandoffReason::LowConfidence), None));
        }
        if let Some(second) = candidates.get(1)
            && second.score >= best.score * self.settings.ambiguity_ratio
        {
            return self.hand_over(state, reply(Outcome::Handoff, Some(HandoffReason::Ambiguous), None));
        }
        if state.answered.contains(&best.id) {
            // The same article again would be the same failed answer.
            state.failures += 1;
            if state.failures >= self.settings.max_failures {
                return self.hand_over(state, reply(Outcome::Handoff, Some(HandoffReason::RepeatedFailure), None));
            }
            return reply(Outcome::Clarify, None, None);
        }
        state.answered.push(best.id.clone());
        reply(Outcome::Answer, None, Some(best))
    }

    fn hand_over(&self, state: &mut ConversationState, reply: Reply) -> Reply {
        state.handed_over = true;
        reply
    }

    /// A short answer from an article: its first paragraph without Markdown marks, at most
    /// `max_chars` characters.
    pub fn short_answer(&self, id: &str, max_chars: usize) -> Option<String> {
        let article = self.article(id)?;
        let paragraph = article.body.split("\n\n").map(str::trim).find(|p| !p.is_empty()).unwrap_or(&article.title);
        let plain: String = paragraph.chars().filter(|c| !matches!(c, '*' | '#' | '`' | '_')).collect();
        let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
        if plain.chars().count() <= max_chars {
            return Some(plain);
        }
        let mut cut: String = plain.chars().take(max_chars).collect();
        cut.push('…');
        Some(cut)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn article(id: &str, lang: &str, title: &str, questions: &[&str], body: &str) -> Article {
        Article {
            id: id.into(),
            lang: lang.into(),
            category: "test".into(),
            title: title.into(),
            body: body.into(),
            questions: questions.iter().map(|q| (*q).to_owned()).collect(),
            tags: vec![],
        }
    }

    /// The shipped demo knowledge base's articles.
    fn demo_articles() -> Vec<Article> {
        crate::eval::parse_lines(include_str!("../../server/kb/articles.jsonl"), "kb").unwrap()
    }

    /// The bot over the demo knowledge base, as the server builds it.
    fn demo_bot() -> Bot {
        Bot::new(demo_articles(), BotSettings::default())
    }

    fn bot() -> Bot {
        Bot::new(
            vec![
                article("pw", "zh", "忘记密码如何重置", &["忘记密码怎么办", "如何重置密码"], "在登录页点击忘记密码，用手机验证码重置。"),
                article("refund", "zh", "退款多久到账", &["退款多久到账", "退款退到哪里"], "退款原路退回，1-7 个工作日到账。"),
                article("en-pw", "en", "Resetting your password", &["I forgot my password"], "Use the reset link on the login page."),
            ],
            BotSettings::default(),
        )
    }

    #[test]
    fn answers_a_paraphrase_in_its_language() {
        let mut state = ConversationState::default();
        let reply = bot().reply("密碼忘了咋辦", &mut state);
        assert_eq!(reply.outcome, Outcome::Answer, "{reply:?}");
        assert_eq!(reply.article.map(|a| a.id).as_deref(), Some("pw"));
        let reply = bot().reply("forgot my pasword", &mut ConversationState::default());
        assert_eq!(reply.article.map(|a| a.id).as_deref(), Some("en-pw"), "{:?}", reply.candidates);
    }

    #[test]
    fn hands_over_on_request_and_anger() {
        let mut state = ConversationState::default();
        let reply = bot().reply("转人工", &mut state);
        assert_eq!((reply.outcome, reply.reason), (Outcome::Handoff, Some(HandoffReason::Requested)));
        assert!(state.handed_over);
        for text in ["还是不会弄，转人工", "试了好几次还是不行，要人工", "ok thanks. agent please", "你们人工客服到底在哪", "ok so where's the human"]
        {
            let reply = bot().reply(text, &mut ConversationState::default());
            assert_eq!(reply.reason, Some(HandoffReason::Requested), "{text}");
        }
        for text in ["不用转人工了，谢谢", "你是真人吗？", "客服，我的退款什么时候到账", "人工审核在哪一步"] {
            let reply = bot().reply(text, &mut ConversationState::default());
            assert_ne!(reply.reason, Some(HandoffReason::Requested), "{text}");
        }
        let reply = bot().reply("退款一周了还没到，我要投诉", &mut ConversationState::default());
        assert_eq!(reply.reason, Some(HandoffReason::Frustrated));
    }

    #[test]
    fn refuses_what_the_knowledge_base_does_not_cover() {
        let reply = bot().reply("明天北京天气怎么样", &mut ConversationState::default());
        assert_eq!(reply.outcome, Outcome::OutOfScope, "{reply:?}");
    }

    #[test]
    fn what_only_someone_else_can_do_is_out_of_scope_even_when_the_words_match() {
        let bot = bot();
        assert_eq!(bot.reply("how do i reset my password", &mut ConversationState::default()).outcome, Outcome::Answer);
        for text in ["how do i reset my gmail password", "微信支付密码忘了怎么重置", "can someone reset my password and do my homework for me"] {
            let reply = bot.reply(text, &mut ConversationState::default());
            assert_eq!(reply.outcome, Outcome::OutOfScope, "{text}: {reply:?}");
        }
    }

    #[test]
    fn repeated_failures_reach_a_person() {
        let bot = bot();
        let mut state = ConversationState::default();
        assert_eq!(bot.reply("退款多久到账", &mut state).outcome, Outcome::Answer);
        let second = bot.reply("没用", &mut state);
        assert_ne!(second.outcome, Outcome::Answer, "{second:?}");
        let third = bot.reply("还是不行", &mut state);
        assert_eq!((third.outcome, third.reason), (Outcome::Handoff, Some(HandoffReason::RepeatedFailure)), "{third:?}");
    }

    #[test]
    fn a_bare_didnt_help_is_a_failed_answer_not_an_unknown_question() {
        // Issue 10.16: "没用" / "didn't work" got "that is out of scope". Also over the demo
        // knowledge base, where the scope models read it: a message with no content words is
        // all "unexplained", and must still be a failed answer.
        let demo = demo_bot();
        for bot in [bot(), demo] {
            for (question, failed) in [("忘记密码怎么办", "没用"), ("密码忘了怎么办", "没用"), ("I forgot my password", "didn't work")] {
                let mut state = ConversationState::default();
                assert_eq!(bot.reply(question, &mut state).outcome, Outcome::Answer, "{question}");
                let second = bot.reply(failed, &mut state);
                assert_eq!(second.outcome, Outcome::Clarify, "{failed}: {second:?}");
                let third = bot.reply(failed, &mut state);
                assert_eq!((third.outcome, third.reason), (Outcome::Handoff, Some(HandoffReason::RepeatedFailure)), "{failed}: {third:?}");
            }
        }
    }

    /// Asserts that none of `texts`, each a first message, is read as a request for a person.
    fn assert_not_requests(bot: &Bot, texts: &[&str]) {
        for text in texts {
            let reply = bot.reply(text, &mut ConversationState::default());
            assert!(!reply.signals.wants_human, "{text}: {reply:?}");
        }
    }

    /// Asserts that each of `texts`, as a first message, hands over as a request for a person.
    fn assert_requests(bot: &Bot, texts: &[&str]) {
        for text in texts {
            let reply = bot.reply(text, &mut ConversationState::default());
            assert_eq!((reply.outcome, reply.reason), (Outcome::Handoff, Some(HandoffReason::Requested)), "{text}: {reply:?}");
        }
    }

    #[test]
    fn asking_whether_someone_is_really_staff_is_a_question_not_a_request() {
        // The request model read the staff these name as a person wanted (0.85 for the first).
        let bot = demo_bot();
        assert_not_requests(
            &bot,
            &[
                "有个自称客服的加我，找我要验证码说帮我升级会员，靠谱吗",
                "直播间有人私信叫我转账，是你们的人吗",
                "someone claiming to be from support asked for my sms code, is that legit",
            ],
        );
        // A clause asking for a person outright still does.
        assert_requests(&bot, &["有人冒充客服骗我，转人工"]);
    }

    #[test]
    fn asking_whether_a_course_with_real_teachers_exists_is_not_a_request() {
        // The request model read these as asking for a person (0.94 and 0.99).
        let bot = demo_bot();
        assert_not_requests(&bot, &["有没有人工翻译方向的课程", "有没有真人老师一对一的课", "有没有人力资源管理的课程"]);
        assert_requests(&bot, &["有没有人工客服", "有没有人帮我看下我的课", "有没有真人，课程打不开", "有没有客服管一下我的课", "有没有人工处理退课"]);
    }

    #[test]
    fn thanks_for_help_already_given_is_not_a_request() {
        // The request model read these as asking for a person (0.83, 0.98 and 0.99).
        let bot = demo_bot();
        assert_not_requests(
            &bot,
            &["上午那个人工客服帮我弄好了，谢谢", "感谢人工客服，证书的事处理好了", "thanks to the human agent, all good now", "谢谢客服，搞定了"],
        );
        // Trouble still there, with a person asked for, is a request.
        assert_requests(&bot, &["谢谢，但是还没解决，转人工", "thanks but it's still not fixed, get me an agent"]);
        // Asking whether it is over is not saying so.
        assert_requests(&bot, &["谢谢，退款好了吗？转人工"]);
        // Thanks for help on an earlier day is over too; asking that person again is not.
        // (The request model read the first as asking for a person.)
        assert_not_requests(&bot, &["谢谢上次帮我处理证书的客服小哥", "thank you to the agent who helped me yesterday"]);
        assert!(!crate::signals::thanks_for_help_already_given("谢谢，之前帮我处理的那个客服能再帮我看看吗"));
        assert_requests(&bot, &["谢谢，之前的问题帮我转人工处理"]);
        // English asking words count as whole words: "scan" asks nothing.
        assert!(crate::signals::thanks_for_help_already_given("thanks to the agent who helped me yesterday with the scan of my id"));
        assert!(!crate::signals::thanks_for_help_already_given("thanks to the agent who helped me yesterday, can you check again"));
    }

    #[test]
    fn a_calm_problem_the_mood_model_alone_calls_upset_is_answered() {
        // The mood model reads these at 0.99 with no hand-written cue of upset; they were
        // handed over as frustrated although the answer is sure.
        let bot = demo_bot();
        for (text, id) in [("老师让我上麦发言 结果大家都说听不到我", "zh-live-interaction"), ("考试做到一半wifi掉了 前面写的答案会不会没了", "zh-exam-rules")]
        {
            let reply = bot.reply(text, &mut ConversationState::default());
            assert_eq!((reply.outcome, reply.article.map(|a| a.id)), (Outcome::Answer, Some(id.to_owned())), "{text}");
        }
        // Tried three times: the hand-written reading sees it, and a person takes over.
        let reply = bot.reply("退款申请了三次都被驳回，你们到底什么意思", &mut ConversationState::default());
        assert_eq!(reply.reason, Some(HandoffReason::Frustrated));
    }

    #[test]
    fn the_learners_own_people_are_not_a_request() {
        // A company buying for its team names its staff: the request model read these as
        // asking for one of ours.
        let bot = demo_bot();
        assert_not_requests(
            &bot,
            &[
                "We'd like to sign up about 30 staff at once. Card payments one by one are tedious. Is bank transfer possible?",
                "My company is buying seats for 40 staff, can we pay via wire transfer?",
            ],
        );
        assert_requests(&bot, &["我们公司30个员工买了课，发票一直开不出来，转人工", "our staff can't log in, let me talk to an agent"]);
    }

    #[test]
    fn a_bare_error_code_is_read_in_chinese() {
        // Learners who type only a code mostly write Chinese: it was matched against the
        // English articles.
        let bot = demo_bot();
        let reply = bot.reply("4002", &mut ConversationState::default());
        assert_eq!(reply.article.map(|a| a.id), Some("zh-video-not-playing".to_owned()), "{:?}", reply.outcome);
        let reply = bot.reply("error 4002", &mut ConversationState::default());
        assert_eq!(reply.article.map(|a| a.id), Some("en-video-playback".to_owned()), "{:?}", reply.outcome);
    }

    #[test]
    fn a_learner_still_waiting_for_a_person_is_handed_over() {
        // Without the reading of the learner's own wait, the contact article answered these.
        let bot = demo_bot();
        assert_requests(&bot, &["排队等人工十分钟了还没轮到我", "still in the queue for a human, anyone there?"]);
        assert_not_requests(&bot, &["人工一般要排多久"]);
    }

    #[test]
    fn calling_out_for_anybody_is_a_request() {
        // Handed over as frustrated, not as asking for a person, before "anybody" alone was a call.
        let bot = demo_bot();
        assert_requests(&bot, &["hello?? anybody??", "anyone?"]);
        assert_not_requests(&bot, &["Never mind, I figured it out myself, no need for anyone to help."]);
    }

    #[test]
    fn skipping_the_bot_is_a_request() {
        // "skip the bot" was refused as out of scope.
        let bot = demo_bot();
        assert_requests(&bot, &["skip the bot", "bypass the bot pls", "跳过机器人"]);
        assert_not_requests(&bot, &["can i skip the intro of the AI course"]);
    }

    #[test]
    fn asking_only_whether_it_is_a_bot_is_small_talk() {
        let bot = demo_bot();
        for text in ["are you real??", "你是机器人吗"] {
            let reply = bot.reply(text, &mut ConversationState::default());
            assert_eq!(reply.outcome, Outcome::OutOfScope, "{text}: {reply:?}");
        }
        // Beside a question, the question is answered; beside a request, a person comes.
        let reply = bot.reply("are you a bot? I forgot my password and can't log in", &mut ConversationState::default());
        assert_eq!(reply.outcome, Outcome::Answer, "{reply:?}");
        assert_requests(&bot, &["你是真人吗？不是的话转人工"]);
    }

    #[test]
    fn a_new_question_after_a_failed_answer_is_read_for_scope_without_the_feedback() {
        // "没用，<another question>" used to skip the scope readings: the question after the
        // feedback was ranked, and a question the knowledge base does not cover got an
        // article or a request to say more instead of "that is out of scope".
        let bot = demo_bot();
        for (question, beyond) in [("忘了密码怎么找回", "没用。考驾照科目一怎么预约"), ("I forgot my password", "didn't help. how do i renew my passport")]
        {
            let mut state = ConversationState::default();
            assert_eq!(bot.reply(question, &mut state).outcome, Outcome::Answer, "{question}");
            let reply = bot.reply(beyond, &mut state);
            assert_eq!(reply.outcome, Outcome::OutOfScope, "{beyond}: {reply:?}");
        }
    }

    #[test]
    fn a_taught_question_is_answered_in_its_own_wording() {
        // Issue 12.3: an editor accepts a learner's wording for an article; the bot then
        // answers that wording, which shares almost nothing with the article.
        let wording = "钱啥时候能回到我卡里";
        let before = bot().reply(wording, &mut ConversationState::default());
        assert_ne!(before.article.map(|a| a.id).as_deref(), Some("refund"), "{:?}", before.candidates);
        let articles = vec![
            article("pw", "zh", "忘记密码如何重置", &["忘记密码怎么办"], "在登录页点击忘记密码，用手机验证码重置。"),
            article("refund", "zh", "退款多久到账", &["退款多久到账"], "退款原路退回，1-7 个工作日到账。"),
        ];
        let taught = Bot::with_learned(articles, BotSettings::default(), Learned::shipped().teach([(wording.to_owned(), "refund".to_owned())]));
        let after = taught.reply(wording, &mut ConversationState::default());
        assert_eq!((after.outcome, after.article.map(|a| a.id)), (Outcome::Answer, Some("refund".to_owned())), "{:?}", after.candidates);
        // A neighbouring wording benefits too: the taught words now point at the article.
        let near = taught.reply("钱啥时候回到卡里啊", &mut ConversationState::default());
        assert_eq!(near.article.map(|a| a.id).as_deref(), Some("refund"), "{:?}", near.candidates);
    }

    #[test]
    fn a_short_labelled_wording_the_matcher_cannot_place_joins_its_article() {
        let articles = vec![
            article("pw", "zh", "忘记密码如何重置", &["忘记密码怎么办"], "在登录页点击忘记密码，用手机验证码重置。"),
            article("cert", "zh", "证书怎么领取", &["结业证书在哪里下载"], "完成全部课时后，在我的证书页面领取。"),
        ];
        let (short, long) = ("咋拿证", "那个结课以后发的东西到底要满足啥条件才拿得到手啊");
        let labelled =
            vec![(short.to_owned(), Some("cert".to_owned())), (long.to_owned(), Some("cert".to_owned())), ("密码忘了".to_owned(), Some("pw".to_owned()))];
        let plain = Bot::with_learned(articles.clone(), BotSettings::default(), Learned { examples: Vec::new(), ..Learned::shipped() });
        for wording in [short, long] {
            let index = plain.matcher().index_of("cert").unwrap();
            assert!(!plain.matcher().analyse(wording).candidates.iter().any(|(listed, _)| *listed == index), "{wording} already reaches its article");
        }
        let bot = Bot::with_learned(articles, BotSettings::default(), Learned { examples: labelled, ..Learned::shipped() });
        let questions = &bot.article("cert").unwrap().questions;
        assert!(questions.iter().any(|q| q == short), "{questions:?}");
        assert!(!questions.iter().any(|q| q == long), "a long message would lend its every word: {questions:?}");
        assert_eq!(bot.article("pw").unwrap().questions.len(), 1, "a wording the matcher places teaches the ranking only");
        assert_eq!(bot.reply(short, &mut ConversationState::default()).article.map(|a| a.id).as_deref(), Some("cert"));
    }

    #[test]
    fn a_taught_question_joins_its_article_only_when_the_matcher_cannot_find_the_article() {
        let articles = vec![
            article("pw", "zh", "忘记密码如何重置", &["忘记密码怎么办"], "在登录页点击忘记密码，用手机验证码重置。"),
            article("refund", "zh", "退款多久到账", &["退款多久到账"], "退款原路退回，1-7 个工作日到账。"),
        ];
        let (found, lost) = ("退款申请过了，到账要等几天啊", "钱几时能回到我卡里");
        let taught = [(found.to_owned(), "refund".to_owned()), (lost.to_owned(), "refund".to_owned())];
        let bot = Bot::with_learned(articles, BotSettings::default(), Learned::shipped().teach(taught));
        let questions = &bot.article("refund").map(|a| a.questions.clone()).unwrap_or_default();
        assert!(questions.iter().any(|q| q == lost), "a way in for the wording the matcher could not place: {questions:?}");
        assert!(!questions.iter().any(|q| q == found), "the placed wording only teaches the ranking: {questions:?}");
        for wording in [found, lost] {
            let reply = bot.reply(wording, &mut ConversationState::default());
            assert_eq!((reply.outcome, reply.article.map(|a| a.id)), (Outcome::Answer, Some("refund".to_owned())), "{wording}: {:?}", reply.candidates);
        }
    }

    #[test]
    fn an_unsure_question_offers_two_articles_and_the_pick_is_answered() {
        let bot = bot();
        let mut state = ConversationState { offered: vec!["pw".into(), "refund".into()], ..ConversationState::default() };
        let picked = bot.reply("第二个", &mut state);
        assert_eq!((picked.outcome, picked.article.map(|a| a.id)), (Outcome::Answer, Some("refund".to_owned())));
        assert!(state.offered.is_empty(), "the offer is used up");
        let mut state = ConversationState { offered: vec!["pw".into(), "refund".into()], ..ConversationState::default() };
        assert_eq!(bot.reply("1", &mut state).article.map(|a| a.id).as_deref(), Some("pw"));
        // Anything else is a new message and the offer lapses.
        let mut state = ConversationState { offered: vec!["pw".into(), "refund".into()], ..ConversationState::default() };
        let other = bot.reply("退款多久到账", &mut state);
        assert_eq!(other.article.map(|a| a.id).as_deref(), Some("refund"));
        assert!(state.offered.is_empty());
        assert_eq!(choice("第一个吧", &["a".into(), "b".into()]).map(String::as_str), Some("a"));
        assert_eq!(choice("the second one", &["a".into(), "b".into()]).map(String::as_str), Some("b"));
        assert_eq!(choice("12", &["a".into(), "b".into()]), None);
        assert_eq!(choice("1", &[]), None);
    }

    #[test]
    fn the_authored_wordings_name_shipped_articles_and_copy_no_dev_line() {
        // They are trained on in every fold of a cross-validation: a copy of a dev line would
        // be trained on when it is held out, and a wrong id would teach nothing.
        let articles = demo_articles();
        let authored: Vec<crate::eval::LabelledQuery> = crate::eval::parse_lines(AUTHORED_WORDINGS, "authored").unwrap();
        assert!(authored.len() > 800, "{}", authored.len());
        for wording in &authored {
            assert!(wording.expect == "__none__" || articles.iter().any(|a| a.id == wording.expect), "{} names {}", wording.query, wording.expect);
        }
        assert!(articles.iter().all(|a| authored.iter().any(|w| w.expect == a.id)), "every article has wordings");
        let dev: std::collections::HashSet<String> = SHIPPED_QUESTIONS
            .iter()
            .flat_map(|text| crate::eval::parse_lines::<crate::eval::LabelledQuery>(text, "dev").unwrap())
            .map(|q| q.query.trim().to_lowercase())
            .collect();
        let copies: Vec<&str> = authored.iter().filter(|w| dev.contains(&w.query.trim().to_lowercase())).map(|w| w.query.as_str()).collect();
        assert!(copies.is_empty(), "copies of dev lines: {copies:?}");
        assert_eq!(authored_wordings().len(), authored.len());
        let out_of_scope = crate::scope::authored_out_of_scope();
        assert!(out_of_scope.len() > 500 && out_of_scope.iter().all(|q| q.expect == "__none__"), "{}", out_of_scope.len());
        let copies: Vec<&str> = out_of_scope.iter().filter(|q| dev.contains(&q.query.trim().to_lowercase())).map(|q| q.query.as_str()).collect();
        assert!(copies.is_empty(), "copies of dev lines: {copies:?}");
    }

    #[test]
    fn the_demo_knowledge_base_answers_its_own_questions() {
        // What the bot learned from labelled questions must not unlearn the plain ones: a
        // learned "密码忘了 → not ours" (from "微信支付密码忘了") once refused the most
        // common question of all.
        let articles = demo_articles();
        let bot = Bot::new(articles.clone(), BotSettings::default());
        let asked: Vec<(&str, &str)> =
            articles.iter().flat_map(|a| std::iter::once(&a.title).chain(&a.questions).map(move |q| (q.as_str(), a.id.as_str()))).collect();
        let right = asked.iter().filter(|(q, id)| bot.reply(q, &mut ConversationState::default()).article.is_some_and(|a| a.id == *id)).count();
        assert!(right * 100 >= asked.len() * 97, "{right} of {} own questions answered with their article", asked.len());
        for (question, id) in [("密码忘了怎么办", "zh-password-reset"), ("视频播放不了", "zh-video-not-playing"), ("I forgot my password", "en-password-reset")]
        {
            let reply = bot.reply(question, &mut ConversationState::default());
            assert_eq!(reply.article.map(|a| a.id).as_deref(), Some(id), "{question}: {:?}", reply.candidates);
        }
    }

    #[test]
    fn an_error_code_an_article_lists_is_answered_however_it_is_asked() {
        // "…什么意思" ends many questions the knowledge base does not cover ("这个成语什么意思");
        // with a code the video article lists, it asks what that code means.
        let bot = demo_bot();
        let reply = bot.reply("3005什么意思", &mut ConversationState::default());
        assert_eq!(reply.article.map(|a| a.id).as_deref(), Some("zh-video-not-playing"), "{:?}", reply.candidates);
        for text in ["这个成语什么意思", "1234什么意思"] {
            assert_eq!(bot.reply(text, &mut ConversationState::default()).outcome, Outcome::OutOfScope, "{text}");
        }
    }

    #[test]
    fn questions_worded_like_what_the_knowledge_base_does_not_cover_are_out_of_scope() {
        // None of these is a line of the training data; each shares a word or two with an
        // article (约考 and 预约, 会员 and 自动续费, 题, renew).
        let bot = demo_bot();
        let trained: Vec<String> = [authored_wordings(), crate::scope::authored_out_of_scope()].concat().into_iter().map(|q| q.query).collect();
        for text in ["驾校科目二怎么约考", "体检要提前预约吗", "我的QQ音乐会员怎么取消自动续费", "帮我看看这道物理题怎么做", "how do i renew my passport"]
        {
            assert!(!trained.iter().any(|line| line == text), "{text} is training data");
            let reply = bot.reply(text, &mut ConversationState::default());
            assert_eq!(reply.outcome, Outcome::OutOfScope, "{text}: {reply:?}");
        }
        for (text, id) in [("忘了密码怎么找回", "zh-password-reset"), ("how do I get my certificate", "en-certificates")] {
            let reply = bot.reply(text, &mut ConversationState::default());
            assert_eq!(reply.article.as_ref().map(|a| a.id.as_str()), Some(id), "{text}: {reply:?}");
        }
    }

    #[test]
    fn probabilities_are_calibrated_options() {
        let ranking = bot().matcher().rank("忘记密码怎么办", 5);
        let total: f32 = ranking.candidates.iter().map(|c| c.score).sum::<f32>() + ranking.none;
        assert!(total <= 1.0 + 1e-4, "{ranking:?}");
        assert!(ranking.candidates[0].score > 0.5 && ranking.none < 0.3, "{ranking:?}");
        let weather = bot().matcher().rank("明天北京天气怎么样", 5);
        assert!(weather.candidates.first().is_none_or(|c| c.score < weather.none), "{weather:?}");
    }

    #[test]
    fn short_answer_strips_markdown_and_truncates() {
        let bot = bot();
        assert_eq!(bot.short_answer("refund", 200).as_deref(), Some("退款原路退回，1-7 个工作日到账。"));
        assert_eq!(bot.short_answer("refund", 4).as_deref(), Some("退款原路…"));
        assert_eq!(bot.short_answer("missing", 4), None);
    }
}
