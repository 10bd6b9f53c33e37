//! The bot's in-memory article matcher. Two stages: an inverted index from features to
//! articles finds the shortlist (how much of the query's information, IDF mass, each article
//! covers), then a small trained model ([`crate::model`]) scores the shortlist from several
//! views of the match at once (coverage in the title and questions versus the body, the best
//! paraphrased question, the gap to the leader, how much of the query the knowledge base does
//! not know at all) and turns them into probabilities, with "none of these" as one of the
//! options. The probabilities are calibrated on labelled questions, so one threshold means
//! the same for short and long questions: that is what the bot's answer / clarify / out of
//! scope decisions read.

// Fx hashing: the matcher's maps are keyed by its own features and looked up many times per
// query and per labelled question; SipHash was a fifth of building the bot.
use rustc_hash::FxHashMap as HashMap;

use crate::Article;
use crate::features::{features, is_supporting, looks_chinese};
use crate::model::{CANDIDATE_FEATURES, Model, QUERY_FEATURES};
use crate::normalize::normalize;

/// How strongly a feature found in each part of an article counts.
const TITLE_WEIGHT: f32 = 1.0;
const QUESTION_WEIGHT: f32 = 1.0;
const TAG_WEIGHT: f32 = 0.85;
const CATEGORY_WEIGHT: f32 = 0.5;
const BODY_WEIGHT: f32 = 0.6;
const BODY_BONUS: f32 = 0.25;
/// Share of the rarest feature's information an unknown word / bigram carries.
const UNSEEN_WORD: f32 = 0.6;
const UNSEEN_OTHER: f32 = 0.25;
/// How many of the best articles by coverage the model scores.
const SHORTLIST: usize = 20;

/// One scored article.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Candidate {
    pub id: String,
    pub title: String,
    pub category: String,
    /// Share of the query's information this article covers, 0..=1.
    pub score: f32,
}

#[derive(Debug)]
struct Entry {
    id: String,
    title: String,
    category: String,
    chinese: bool,
    /// Features of the title and of each alternative question, for question similarity.
    questions: Vec<Vec<String>>,
    /// Feature ids ([`Matcher::vocabulary`]) of each sentence or list item of the body: a
    /// specific fact ("Android 7", an error code) sits in one sentence of a long body.
    sentences: Vec<Vec<u32>>,
    /// Index of the article's category among the knowledge base's categories.
    category_id: u32,
}

/// One posting: how an article contains a feature, in its short fields and in its body.
#[derive(Debug, Clone, Copy)]
struct Posting {
    article: u32,
    /// Strongest weight of the feature in title, questions, tags or category (0 if absent).
    short: f32,
    /// Saturated count of the feature in the body, 0..=1.
    body: f32,
}

impl Posting {
    /// The combined weight coverage counts: body evidence adds to a title/question match (it
    /// breaks their ties: the article that talks about a thing at length is about it) but
    /// alone it weighs less than a match in a question.
    fn weight(&self) -> f32 {
        if self.short > 0.0 { self.short + BODY_BONUS * self.body } else { BODY_WEIGHT * self.body }
    }
}

/// What the model sees of one query: its shortlist with the features of each match, and the
/// features of the query itself (for the "none of these" option).
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Shortlisted articles (indexes) with their match features, best coverage first.
    pub candidates: Vec<(usize, [f32; CANDIDATE_FEATURES])>,
    pub query: [f32; QUERY_FEATURES],
    /// The query's word and bigram features, for what was learned from labelled questions.
    pub keys: Vec<String>,
}

/// Article index standing for "no article" in learned associations.
const NONE: u32 = u32::MAX;
/// Learned associations with categories are kept under `CATEGORY_BASE + category id`.
const CATEGORY_BASE: u32 = 1 << 31;

/// What a query's features taught, per option (article, category or [`NONE`]).
struct Taught {
    sums: HashMap<u32, f32>,
    /// √(number of features): a long query's many words do not outvote a short one's few.
    scale: f32,
}

impl Taught {
    fn association(&self, option: u32) -> f32 {
        self.sums.get(&option).copied().unwrap_or(0.0) / self.scale
    }
}

/// The scored shortlist of one query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ranking {
    /// Best first; `score` is the probability that the article answers the question.
    pub candidates: Vec<Candidate>,
    /// Probability that no article answers it.
    pub none: f32,
}

/// What indexing reads of one article, cut into features once: the slow part of building
/// the matcher (segmenting every title, question and body sentence), done for many articles
/// at a time ([`crate::parallel`]).
#[derive(Debug, Clone)]
pub struct ArticleReading {
    /// The feature keys of the title, then of each question.
    questions: Vec<Vec<String>>,
    /// The feature keys of each tag and of the category, with how strongly each counts.
    labels: Vec<(f32, Vec<String>)>,
    /// The body's feature keys, with repeats (counted for BM25).
    body: Vec<String>,
    /// The feature keys of each sentence or list item of the body.
    sentences: Vec<Vec<String>>,
    /// Title, questions and body normalised together: where [`crate::outside`] looks for the
    /// names the knowledge base mentions.
    text: String,
}

impl ArticleReading {
    /// Reads one article.
    pub fn of(article: &Article) -> ArticleReading {
        let keys = |text: &str| features(&normalize(text)).into_iter().map(|f| f.key).collect::<Vec<String>>();
        ArticleReading {
            questions: std::iter::once(&article.title).chain(&article.questions).map(|text| keys(text)).collect(),
            labels: article.tags.iter().map(|tag| (TAG_WEIGHT, keys(tag))).chain(std::iter::once((CATEGORY_WEIGHT, keys(&article.category)))).collect(),
            body: keys(&article.body),
            sentences: article.body.split(['\n', '。', '；', '！', '？', '.', ';', '!', '?']).map(keys).collect(),
            text: normalize(&format!("{} {} {}", article.title, article.questions.join(" "), article.body)),
        }
    }

    /// Reads every article, on all cores.
    pub fn of_all(articles: &[Article]) -> Vec<ArticleReading> {
        crate::parallel::map(articles, ArticleReading::of)
    }
}

/// The matcher over a set of published articles.
#[derive(Debug, Default)]
pub struct Matcher {
    entries: Vec<Entry>,
    postings: HashMap<String, Vec<Posting>>,
    idf: HashMap<String, f32>,
    unseen_idf: f32,
    model: Model,
    /// Learned from labelled questions: how much a query feature speaks for (or against) an
    /// article, or for "none" ([`NONE`]); see [`Matcher::learn`].
    associations: HashMap<String, Vec<(u32, f32)>>,
    /// Ids of the body features, for the sentences.
    vocabulary: HashMap<String, u32>,
    /// Other platforms' names the knowledge base does not mention ([`crate::outside`]).
    outside: Vec<&'static str>,
    /// Phrases of requests beyond any support desk that the knowledge base does not mention
    /// itself ([`crate::outside`]).
    beyond_support: Vec<&'static str>,
    /// The knowledge base's two- and three-character Chinese words by their toneless pinyin:
    /// learners type by sound, so "考式" (for 考试) or "闪推" (闪退) is the word with the same
    /// syllables that the knowledge base uses.
    by_sound: HashMap<String, Vec<String>>,
    /// The knowledge base's English words (five letters or more) by each form with one letter
    /// left out: a word one typo away ("vidoe", "pasword") shares one of those forms.
    by_deletion: HashMap<String, Vec<String>>,
}

/// `word` and each form of it with one letter left out.
fn deletions(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut forms: Vec<String> = (0..chars.len()).map(|skip| chars.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, c)| *c).collect()).collect();
    forms.push(word.to_owned());
    forms.sort();
    forms.dedup();
    forms
}

/// How much a word recovered from a typing slip (by its sound or its spelling) counts,
/// relative to the word typed right.
const SLIP_READING: f32 = 0.8;

/// The toneless pinyin of `text` if every character is a Chinese character with a reading.
fn sound_of(text: &str) -> Option<String> {
    use pinyin::ToPinyin;
    text.to_pinyin().map(|p| p.map(|p| p.plain())).collect::<Option<Vec<&str>>>().map(|syllables| syllables.join(" "))
}

impl Matcher {
    /// Indexes `articles`.
    pub fn new(articles: &[Article]) -> Matcher {
        Matcher::with_model(articles, Model::shipped())
    }

    /// Indexes `articles`, scoring with `model` (cross-validation trains its own).
    pub fn with_model(articles: &[Article], model: Model) -> Matcher {
        Matcher::from_readings(articles, &ArticleReading::of_all(articles), model)
    }

    /// Indexes `articles` from their `readings` ([`ArticleReading::of_all`], in the same
    /// order): the bot indexes twice when labelled wordings join their articles' questions,
    /// and reads again only the articles they joined.
    pub fn from_readings(articles: &[Article], readings: &[ArticleReading], model: Model) -> Matcher {
        let mut matcher = Matcher { model, ..Matcher::default() };
        let average_body = (readings.iter().map(|r| r.body.len()).sum::<usize>() as f32 / articles.len().max(1) as f32).max(1.0);
        let mut document_frequency: HashMap<String, u32> = HashMap::default();
        let mut categories: HashMap<String, u32> = HashMap::default();
        for (index, (article, reading)) in articles.iter().zip(readings).enumerate() {
            let mut weights: HashMap<String, (f32, f32)> = HashMap::default();
            let questions = reading.questions.iter().enumerate().map(|(at, keys)| (if at == 0 { TITLE_WEIGHT } else { QUESTION_WEIGHT }, keys));
            for (weight, keys) in questions.chain(reading.labels.iter().map(|(weight, keys)| (*weight, keys))) {
                for key in keys {
                    let slot = weights.entry(key.clone()).or_insert((0.0, 0.0));
                    slot.0 = slot.0.max(weight);
                }
            }
            let mut body_counts: HashMap<&str, f32> = HashMap::default();
            for key in &reading.body {
                *body_counts.entry(key.as_str()).or_insert(0.0) += 1.0;
            }
            let length_factor = 0.25 + 0.75 * reading.body.len() as f32 / average_body;
            for (key, count) in body_counts {
                // BM25's saturation: the first mention matters most; long bodies count less.
                let saturated = (count * 2.2 / (count + 1.2 * length_factor) / 2.2).min(1.0);
                weights.entry(key.to_owned()).or_insert((0.0, 0.0)).1 = saturated;
            }
            let article_index = u32::try_from(index).unwrap_or(u32::MAX);
            for (key, (short, body)) in weights {
                *document_frequency.entry(key.clone()).or_insert(0) += 1;
                // In article order: [`Matcher::distinct_evidence`] binary-searches these lists.
                matcher.postings.entry(key).or_default().push(Posting { article: article_index, short, body });
            }
            let questions = reading
                .questions
                .iter()
                .map(|keys| {
                    let mut keys: Vec<String> = keys.iter().filter(|k| !is_supporting(k)).cloned().collect();
                    keys.sort();
                    keys.dedup();
                    keys
                })
                .collect();
            let sentences = reading
                .sentences
                .iter()
                .map(|keys| {
                    let mut ids: Vec<u32> = keys
                        .iter()
                        .map(|key| {
                            let next = u32::try_from(matcher.vocabulary.len()).unwrap_or(u32::MAX);
                            *matcher.vocabulary.entry(key.clone()).or_insert(next)
                        })
                        .collect();
                    ids.sort_unstable();
                    ids.dedup();
                    ids
                })
                .filter(|ids| ids.len() >= 2)
                .collect();
            let next_category = u32::try_from(categories.len()).unwrap_or(0);
            let category_id = *categories.entry(article.category.clone()).or_insert(next_category);
            matcher.entries.push(Entry {
                category_id,
                sentences,
                id: article.id.clone(),
                title: article.title.clone(),
                category: article.category.clone(),
                chinese: article.lang.starts_with("zh"),
                questions,
            });
        }
        let texts: Vec<String> = readings.iter().map(|reading| reading.text.clone()).collect();
        matcher.outside = crate::outside::outside_names(&texts);
        matcher.beyond_support = crate::outside::beyond_support_phrases(&texts);
        let total = articles.len() as f32;
        for (key, df) in document_frequency {
            matcher.idf.insert(key, ((total + 1.0) / (df as f32 + 0.5)).ln().max(0.05));
        }
        matcher.unseen_idf = ((total + 1.0) / 0.5).ln();
        for key in matcher.postings.keys() {
            let Some(word) = key.strip_prefix("w:") else { continue };
            if (2..=3).contains(&word.chars().count())
                && let Some(sound) = sound_of(word)
            {
                matcher.by_sound.entry(sound).or_default().push(key.clone());
            } else if word.len() >= 5 && word.chars().all(|c| c.is_ascii_lowercase()) {
                for form in deletions(word) {
                    matcher.by_deletion.entry(form).or_default().push(key.clone());
                }
            }
        }
        // Sorted, so the same knowledge base reads the same slips the same way.
        for words in matcher.by_sound.values_mut().chain(matcher.by_deletion.values_mut()) {
            words.sort();
            words.dedup();
        }
        matcher
    }

    /// Words of the knowledge base that sound like two or three characters of `normalized`
    /// the knowledge base does not use: what a learner meant when typing by sound.
    fn sound_alikes(&self, normalized: &str) -> Vec<String> {
        let mut found = Vec::new();
        for run in normalized.split(|c: char| !crate::normalize::is_cjk(c)).filter(|run| run.chars().count() >= 2) {
            let chars: Vec<char> = run.chars().collect();
            // Only characters the dictionary leaves on their own: a real word ("一直") is
            // what the learner meant, whatever else sounds like it.
            let loose = crate::features::loose_characters(run);
            for length in 2..=3 {
                for (start, window) in chars.windows(length).enumerate() {
                    if !loose.get(start..start + length).is_some_and(|flags| flags.iter().all(|f| *f)) {
                        continue;
                    }
                    // Function characters are what they are: "课是" is not 课时. (This also
                    // passes over 会圆 for 会员; 10-fold CV preferred it to a shorter list.)
                    if window.iter().any(|c| crate::features::is_stop_char(*c)) {
                        continue;
                    }
                    let typed: String = window.iter().collect();
                    if self.idf.contains_key(&format!("w:{typed}")) || crate::features::is_dictionary_word(&typed) {
                        continue;
                    }
                    if let Some(words) = sound_of(&typed).and_then(|sound| self.by_sound.get(&sound)) {
                        found.extend(words.iter().cloned());
                    }
                }
            }
        }
        found
    }

    /// The knowledge base's English words one typo (a letter left out, added, changed or two
    /// swapped) away from an English word of the query it does not know.
    fn spelling_alikes(&self, query_weights: &HashMap<String, f32>) -> Vec<String> {
        let mut found = Vec::new();
        for key in query_weights.keys() {
            let Some(word) = key.strip_prefix("w:") else { continue };
            // Four letters: a five-letter word's stem may have lost its final "e" ("vidoe").
            if word.len() < 4 || !word.chars().all(|c| c.is_ascii_lowercase()) || self.idf.contains_key(key) {
                continue;
            }
            let mut near: Vec<&String> = deletions(word).iter().filter_map(|form| self.by_deletion.get(form)).flatten().collect();
            near.sort();
            near.dedup();
            // One clear correction only: a typo that could be either of two words says neither.
            if let [only] = near.as_slice() {
                found.push((*only).clone());
            }
        }
        found
    }

    /// Number of indexed articles.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Content words of `query` that no article contains: what the question is about
    /// when it is about something the knowledge base does not cover.
    pub fn unknown_words(&self, query: &str) -> Vec<String> {
        let mut unknown: Vec<String> = features(&normalize(query))
            .into_iter()
            .filter(|f| f.kind == crate::features::Kind::Word && !self.idf.contains_key(&f.key))
            .map(|f| f.key[2..].to_owned())
            .collect();
        unknown.dedup();
        unknown
    }

    /// The best `limit` articles for `query`, best first, in the query's language when the
    /// knowledge base has articles in it; `score` is the probability that the article answers.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Candidate> {
        self.rank(query, limit).candidates
    }

    /// The id of the article most likely to answer `query`, if any shares a word with it.
    pub fn best(&self, query: &str) -> Option<String> {
        self.rank(query, 1).candidates.into_iter().next().map(|best| best.id)
    }

    /// The best `limit` articles for `query` and the probability that none answers it.
    pub fn rank(&self, query: &str, limit: usize) -> Ranking {
        let analysis = self.analyse(query);
        if analysis.candidates.is_empty() {
            return Ranking { candidates: Vec::new(), none: 1.0 };
        }
        let (probabilities, none) = self.probabilities(&analysis);
        let mut ranked: Vec<(usize, f32)> = analysis.candidates.iter().map(|(index, _)| *index).zip(probabilities).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(limit);
        let candidates = ranked
            .into_iter()
            .map(|(index, score)| {
                let entry = &self.entries[index];
                Candidate { id: entry.id.clone(), title: entry.title.clone(), category: entry.category.clone(), score }
            })
            .collect();
        Ranking { candidates, none }
    }

    /// The model's probabilities with what was learned from labelled questions added.
    fn probabilities(&self, analysis: &Analysis) -> (Vec<f32>, f32) {
        let (mut logits, mut none) = self.model.logits(analysis);
        if !self.associations.is_empty() {
            let taught = self.taught(&analysis.keys);
            for ((index, _), logit) in analysis.candidates.iter().zip(&mut logits) {
                *logit += self.learned(&taught, *index as u32);
            }
            none += self.learned(&taught, NONE);
        }
        crate::model::softmax(&logits, none)
    }

    /// What labelled questions taught about `option` (an article or [`NONE`]): the
    /// association with the article itself plus with its category, which many more
    /// examples share ("卡" speaks for the video articles as a group).
    fn learned(&self, taught: &Taught, option: u32) -> f32 {
        let own = taught.association(option);
        match self.category_option(option) {
            Some(category) => own + taught.association(category),
            None => own,
        }
    }

    /// What the query's features taught, summed per option in one pass over their lists:
    /// looking each feature up again for each of the ~20 candidates and their categories
    /// made learning from ~7,000 labelled questions the bulk of building the bot.
    fn taught(&self, keys: &[String]) -> Taught {
        let mut sums: HashMap<u32, f32> = HashMap::default();
        for list in keys.iter().filter_map(|key| self.associations.get(key)) {
            for (option, weight) in list {
                *sums.entry(*option).or_insert(0.0) += weight;
            }
        }
        Taught { sums, scale: (keys.len().max(1) as f32).sqrt() }
    }

    fn category_option(&self, option: u32) -> Option<u32> {
        (option != NONE).then(|| self.entries.get(option as usize).map(|entry| CATEGORY_BASE + entry.category_id)).flatten()
    }

    fn teach(&mut self, keys: &[String], option: u32, step: f32) {
        self.nudge(keys, option, step);
        if let Some(category) = self.category_option(option) {
            self.nudge(keys, category, step);
        }
    }

    fn nudge(&mut self, keys: &[String], article: u32, step: f32) {
        let step = step / (keys.len().max(1) as f32).sqrt();
        for key in keys {
            let list = self.associations.entry(key.clone()).or_default();
            match list.iter_mut().find(|(a, _)| *a == article) {
                Some((_, weight)) => *weight += step,
                None => list.push((article, step)),
            }
        }
    }

    /// Learns from labelled questions (`None` = no article answers it): a margin perceptron
    /// over (query feature, article) pairs, so words that tell near-miss articles apart
    /// ("won't apply" vs "how to use") or mark a question as outside the knowledge base
    /// count for the right option. Questions naming unknown articles are skipped.
    pub fn learn(&mut self, examples: &[(String, Option<String>)], epochs: usize) {
        const MARGIN: f32 = 3.0;
        const STEP: f32 = 0.5;
        let matcher = &*self;
        let prepared: Vec<(Analysis, u32)> = crate::parallel::map(examples, |(query, id)| {
            let target = match id {
                None => NONE,
                Some(id) => matcher.index_of(id)? as u32,
            };
            let analysis = matcher.analyse(query);
            let listed = target == NONE || analysis.candidates.iter().any(|(index, _)| *index as u32 == target);
            (listed && !analysis.keys.is_empty()).then_some((analysis, target))
        })
        .into_iter()
        .flatten()
        .collect();
        let outside_keys: Vec<Vec<String>> =
            prepared.iter().map(|(analysis, _)| analysis.keys.iter().filter(|key| !self.in_own_questions(key)).cloned().collect()).collect();
        for _ in 0..epochs {
            let mut changed = false;
            for (example, (analysis, target)) in prepared.iter().enumerate() {
                let (mut logits, none) = self.model.logits(analysis);
                let taught = self.taught(&analysis.keys);
                for ((index, _), logit) in analysis.candidates.iter().zip(&mut logits) {
                    *logit += self.learned(&taught, *index as u32);
                }
                let none = none + self.learned(&taught, NONE);
                let options = analysis.candidates.iter().map(|(index, _)| *index as u32).zip(logits).chain(std::iter::once((NONE, none)));
                let right = options.clone().find(|(option, _)| option == target).map_or(0.0, |(_, logit)| logit);
                let rival = options.filter(|(option, _)| option != target).max_by(|a, b| a.1.total_cmp(&b.1));
                if let Some((rival, rival_logit)) = rival
                    && right - rival_logit < MARGIN
                {
                    // "Not ours to answer" is learned only from words the knowledge base does
                    // not use for its own questions: "微信支付密码忘了" must not teach that
                    // "密码忘了" is out of scope.
                    let keys: &[String] = if *target == NONE { &outside_keys[example] } else { &analysis.keys };
                    if !keys.is_empty() {
                        self.teach(keys, *target, STEP);
                        self.teach(keys, rival, -STEP);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Whether an article's title, questions or tags use this feature.
    fn in_own_questions(&self, key: &str) -> bool {
        self.postings.get(key).is_some_and(|postings| postings.iter().any(|posting| posting.short > 0.0))
    }

    /// Whether normalised `query` asks what no support desk answers or what only another
    /// platform can ([`crate::outside`]), however well its words match an article.
    pub fn not_ours(&self, normalized: &str) -> bool {
        crate::outside::asks_beyond_support(&self.beyond_support, normalized)
            || crate::outside::names_another_account(normalized)
            || crate::outside::asks_about_an_outside_membership(&self.outside, normalized)
    }

    /// The index of the article with `id`, for training.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|entry| entry.id == id)
    }

    /// For each shortlisted article, the share of the query it covers with evidence the other
    /// leading articles lack: each matched feature's weight divided among the leading
    /// articles that also have it. Siblings ("作业怎么交" / "作业能延期吗") share the topic's
    /// words; the word only one of them has is what tells them apart. Words and pairs only:
    /// trigrams, sounds and characters add little here and have the longest postings.
    fn distinct_evidence(&self, query_weights: &HashMap<String, f32>, ranked: &[(usize, f32)], mass: f32) -> Vec<f32> {
        const LEADING: usize = 5;
        let mut distinct = vec![0.0f32; ranked.len()];
        let mut found: Vec<(usize, f32)> = Vec::new();
        for (key, query_weight) in query_weights.iter().filter(|(key, _)| !is_supporting(key)) {
            let (Some(postings), Some(idf)) = (self.postings.get(key), self.idf.get(key)) else { continue };
            let counted = query_weight * idf;
            found.clear();
            // Postings are in article order (built article by article): a search per
            // shortlisted article, not a scan of a common word's every article.
            found.extend(ranked.iter().enumerate().filter_map(|(rank, (index, _))| {
                let at = postings.binary_search_by_key(&(*index as u32), |posting| posting.article).ok()?;
                Some((rank, counted * postings[at].weight()))
            }));
            let sharing = found.iter().filter(|(rank, _)| *rank < LEADING).count().max(1) as f32;
            for (rank, weight) in &found {
                distinct[*rank] += weight / sharing;
            }
        }
        distinct.iter().map(|d| (d / mass.max(f32::EPSILON)).min(1.0)).collect()
    }

    /// Whether article `index` has the feature `key` anywhere.
    fn has(&self, key: &str, index: u32) -> bool {
        self.postings.get(key).is_some_and(|postings| postings.binary_search_by_key(&index, |posting| posting.article).is_ok())
    }

    /// What of `normalized` (a query as [`normalize`] gives it; callers have it already) the
    /// article `id` (its title, questions, tags, category or body) does not
    /// explain: the query's words and character pairs it lacks, and their share of the query's
    /// information. "微信" in "微信密码忘了怎么办" against the password article is what makes it
    /// another platform's question; the asking words the article also uses are explained. With
    /// no article, all of the query is unexplained. Also whether the query quotes a code of
    /// three digits or more ("3005", "E4002") that the article lists.
    pub fn unexplained(&self, normalized: &str, id: Option<&str>) -> crate::scope::Unexplained {
        let index = id.and_then(|id| self.index_of(id)).map(|index| index as u32);
        let (mut keys, mut mass, mut missing, mut quotes_a_code) = (Vec::new(), 0.0f32, 0.0f32, false);
        for feature in features(normalized) {
            // Trigrams, sounds and single characters repeat what the words and pairs say.
            if is_supporting(&feature.key) {
                continue;
            }
            let idf = self.idf.get(&feature.key).copied().unwrap_or(self.unseen_idf);
            let counted = feature.kind.weight() * idf;
            mass += counted;
            // A pair of characters the article has apart is explained: "码忘" of "密码忘了" read
            // against "忘记密码" only sits across two of its words. Function characters have
            // no postings of their own and explain nothing either way.
            let explained = index.is_some_and(|index| {
                self.has(&feature.key, index)
                    || feature
                        .key
                        .strip_prefix("b:")
                        .is_some_and(|pair| pair.chars().all(|c| crate::features::is_stop_char(c) || self.has(&format!("c:{c}"), index)))
            });
            if !explained {
                missing += counted;
                keys.push(feature.key);
            } else if feature.key.strip_prefix("w:").is_some_and(|word| word.chars().filter(char::is_ascii_digit).count() >= 3) {
                quotes_a_code = true;
            }
        }
        keys.sort();
        keys.dedup();
        crate::scope::Unexplained { keys, share: if mass > 0.0 { missing / mass } else { 1.0 }, quotes_a_code }
    }

    /// The shortlist of `query` with the features the model scores.
    pub fn analyse(&self, query: &str) -> Analysis {
        let normalized = normalize(query);
        let mut query_weights: HashMap<String, f32> = HashMap::default();
        for feature in features(&normalized) {
            let weight = feature.kind.weight();
            let slot = query_weights.entry(feature.key).or_insert(0.0);
            *slot = slot.max(weight);
        }
        for key in self.sound_alikes(&normalized).into_iter().chain(self.spelling_alikes(&query_weights)) {
            query_weights.entry(key).or_insert(SLIP_READING);
        }
        if query_weights.is_empty() || self.entries.is_empty() {
            return Analysis::default();
        }
        let chinese = looks_chinese(&normalized);
        let same_language = self.entries.iter().any(|e| e.chinese == chinese);
        let (mut mass, mut unknown_mass) = (0.0, 0.0);
        let mut counted_by_id: HashMap<u32, f32> = HashMap::default();
        let mut combined = vec![0.0f32; self.entries.len()];
        let mut short = vec![0.0f32; self.entries.len()];
        let mut body = vec![0.0f32; self.entries.len()];
        // Articles some word, pair, sound or trigram of the query meets: single characters add
        // to those but do not bring in an article of their own ("量子纠缠" shares 子 with
        // too many articles to mean anything).
        let mut anchored = vec![false; self.entries.len()];
        for (key, query_weight) in &query_weights {
            // A feature no article has is context the knowledge base does not cover ("坐高铁");
            // it counts against confidence, a word more than a bigram, which is often just
            // two characters that happen to sit next to each other.
            let idf = match self.idf.get(key) {
                Some(idf) => *idf,
                None if key.starts_with("w:") => self.unseen_idf * UNSEEN_WORD,
                None => self.unseen_idf * UNSEEN_OTHER,
            };
            // Trigrams, sounds and single characters only help a word that is otherwise
            // missing; they should not add information of their own to the query.
            let counted = if is_supporting(key) { query_weight * idf.min(2.0) } else { query_weight * idf };
            mass += counted;
            if let Some(id) = self.vocabulary.get(key) {
                counted_by_id.insert(*id, counted);
            }
            match self.postings.get(key) {
                Some(postings) => {
                    for posting in postings {
                        let article = posting.article as usize;
                        combined[article] += counted * posting.weight();
                        short[article] += counted * posting.short.min(1.0);
                        body[article] += counted * posting.body;
                        anchored[article] |= !key.starts_with("c:");
                    }
                }
                None => unknown_mass += counted,
            }
        }
        let mut ranked: Vec<(usize, f32)> = combined
            .iter()
            .enumerate()
            .filter(|(index, score)| **score > 0.0 && anchored[*index] && (!same_language || self.entries[*index].chinese == chinese))
            .map(|(index, score)| (index, (score / mass).min(1.0)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(SHORTLIST);
        let leader = ranked.first().map_or(0.0, |(_, score)| *score);
        let distinct = self.distinct_evidence(&query_weights, &ranked, mass);
        let query_idf: f32 = query_weights.keys().filter(|k| !is_supporting(k)).map(|k| self.idf.get(k).copied().unwrap_or(0.0)).sum();
        let candidates: Vec<(usize, [f32; CANDIDATE_FEATURES])> = ranked
            .iter()
            .enumerate()
            .map(|(rank, &(index, coverage))| {
                // How well the query covers one of the article's own questions, and how
                // well that question covers the query: a paraphrase does both, a query that
                // only shares a word with the article does neither.
                let (mut best_share, mut best_dice) = (0.0f32, 0.0f32);
                for question in &self.entries[index].questions {
                    let (mut shared, mut total) = (0.0, 0.0);
                    for key in question {
                        let weight = self.idf.get(key).copied().unwrap_or(0.0) * if key.starts_with("b:") { 0.6 } else { 1.0 };
                        total += weight;
                        if query_weights.contains_key(key) {
                            shared += weight;
                        }
                    }
                    if total > 0.0 {
                        best_share = best_share.max(shared / total);
                        best_dice = best_dice.max(2.0 * shared / (total + query_idf).max(f32::EPSILON));
                    }
                }
                let sentence =
                    self.entries[index].sentences.iter().map(|ids| ids.iter().filter_map(|id| counted_by_id.get(id)).sum::<f32>()).fold(0.0f32, f32::max);
                let features = [
                    (sentence / mass).min(1.0),
                    coverage,
                    best_share,
                    (short[index] / mass).min(1.0),
                    (body[index] / mass).min(1.0),
                    best_dice.min(1.0),
                    1.0 / (rank as f32 + 1.0),
                    if leader > 0.0 { coverage / leader } else { 0.0 },
                    f32::from(u8::from(rank == 0)),
                    distinct[rank],
                ];
                (index, features)
            })
            .collect();
        let runner_up = ranked.get(1).map_or(0.0, |(_, score)| *score);
        let outside = f32::from(u8::from(crate::outside::names_outside_service(&self.outside, &normalized) || self.not_ours(&normalized)));
        let query = [1.0, leader, leader - runner_up, (unknown_mass / mass).min(1.0), (query_weights.len() as f32).ln_1p() / 4.0, outside];
        // What associations are learned over: words, bigrams and single characters (a
        // character learned for an article carries to words the labelled questions never used).
        let mut keys: Vec<String> = query_weights.into_keys().filter(|k| !k.starts_with("t:") && !k.starts_with("p:")).collect();
        keys.sort();
        Analysis { candidates, query, keys }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn article(id: &str, title: &str, questions: &[&str]) -> Article {
        Article {
            id: id.to_owned(),
            lang: "zh".to_owned(),
            category: String::new(),
            title: title.to_owned(),
            body: String::new(),
            questions: questions.iter().map(|q| (*q).to_owned()).collect(),
            tags: Vec::new(),
        }
    }

    #[test]
    fn reading_again_only_the_article_that_changed_indexes_as_reading_them_all() {
        let mut articles = vec![
            Article {
                body: "证书在学习中心下载。完成全部课时并通过考试后发放".to_owned(), ..article("certificate", "下载结业证书", &["证书在哪下载"])
            },
            Article { body: "视频卡顿请切换清晰度。检查网络".to_owned(), ..article("video", "视频卡顿怎么办", &[]) },
        ];
        let mut readings = ArticleReading::of_all(&articles);
        articles[0].questions.push("咋拿证".to_owned());
        readings[0] = ArticleReading::of(&articles[0]);
        let (again, afresh) = (Matcher::from_readings(&articles, &readings, Model::shipped()), Matcher::new(&articles));
        for query in ["咋拿证", "证书在哪下载", "视频一直卡", "完成课时后多久发证书"] {
            assert_eq!(again.rank(query, 2), afresh.rank(query, 2), "{query}");
        }
        assert_eq!(again.best("咋拿证").as_deref(), Some("certificate"));
    }

    #[test]
    fn a_word_typed_by_sound_is_read_as_the_word_it_sounds_like() {
        let matcher = Matcher::new(&[
            article("exam", "结课考试规则", &["考试能用手机吗"]),
            article("crash", "App 闪退", &["app打开就闪退"]),
            article("teacher", "联系老师", &["怎么问老师问题"]),
        ]);
        assert_eq!(matcher.sound_alikes(&normalize("考式能用手机考吗")), vec!["w:考试".to_owned()]);
        assert_eq!(matcher.sound_alikes(&normalize("app老闪推")), vec!["w:闪退".to_owned()]);
        assert_eq!(matcher.search("app老闪推", 1)[0].id, "crash");
        // Real words stay what they are, even when a knowledge-base word sounds the same:
        // 一直 is not 一致, 老是 ("always") is not 老师.
        assert!(matcher.sound_alikes(&normalize("老是登录不上，一直转圈")).is_empty());
    }

    #[test]
    fn what_an_article_leaves_unexplained_is_the_rest_of_the_question() {
        let matcher = Matcher::new(&[article("password", "忘记密码", &["密码忘了怎么办"]), article("video", "视频播放不了", &[])]);
        let unexplained = |query: &str, id: Option<&str>| matcher.unexplained(&normalize(query), id);
        let plain = unexplained("密码忘了怎么办", Some("password"));
        assert!(plain.keys.is_empty() && plain.share == 0.0, "{plain:?}");
        let elsewhere = unexplained("微信密码忘了怎么办", Some("password"));
        assert!(elsewhere.keys.iter().any(|key| key.contains('微')), "{elsewhere:?}");
        assert!(elsewhere.share > 0.2 && elsewhere.share < 1.0, "{elsewhere:?}");
        // Against the wrong article, or none, more of it is left over.
        assert!(unexplained("微信密码忘了怎么办", Some("video")).share > elsewhere.share);
        assert_eq!(unexplained("微信密码忘了怎么办", None).share, 1.0);
    }

    #[test]
    fn an_english_word_one_typo_away_is_read_as_the_word() {
        let english = |id: &str, title: &str| Article { lang: "en".to_owned(), ..article(id, title, &[]) };
        let matcher = Matcher::new(&[english("video", "Videos won't play"), english("password", "Reset your password")]);
        let alikes = |query: &str| {
            let keys: HashMap<String, f32> = features(&normalize(query)).into_iter().map(|f| (f.key, 1.0)).collect();
            matcher.spelling_alikes(&keys)
        };
        assert_eq!(alikes("vidoe wont load"), vec!["w:video".to_owned()]);
        assert_eq!(alikes("forgot my pasword"), vec!["w:password".to_owned()]);
        assert!(alikes("my video").is_empty(), "known words are left alone");
        assert_eq!(matcher.search("pasword", 1)[0].id, "password");
    }
}
