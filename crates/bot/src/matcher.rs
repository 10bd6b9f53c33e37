//! The bot's in-memory article matcher: an inverted index from features to articles, scored
//! by how much of the query's information (IDF mass) an article covers. Coverage is a number
//! between 0 and 1 that means the same thing for every query, which is what lets one threshold
//! decide "confident enough to answer" for short and long questions alike.

use std::collections::HashMap;

use crate::Article;
use crate::features::{Feature, features, looks_chinese};
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
/// How many of the best articles are re-ranked by question similarity.
const RERANK_DEPTH: usize = 12;
/// Weight of question similarity in the final score.
const QUESTION_SHARE: f32 = 0.4;

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
}

/// The matcher over a set of published articles.
#[derive(Debug, Default)]
pub struct Matcher {
    entries: Vec<Entry>,
    postings: HashMap<String, Vec<(u32, f32)>>,
    idf: HashMap<String, f32>,
    unseen_idf: f32,
}

impl Matcher {
    /// Indexes `articles`.
    pub fn new(articles: &[Article]) -> Matcher {
        let mut matcher = Matcher::default();
        let bodies: Vec<Vec<Feature>> = articles.iter().map(|a| features(&normalize(&a.body))).collect();
        let average_body = (bodies.iter().map(Vec::len).sum::<usize>() as f32 / articles.len().max(1) as f32).max(1.0);
        let mut document_frequency: HashMap<String, u32> = HashMap::new();
        for (index, (article, body)) in articles.iter().zip(&bodies).enumerate() {
            let mut weights: HashMap<String, f32> = HashMap::new();
            let mut short_field = |text: &str, weight: f32| {
                for feature in features(&normalize(text)) {
                    let slot = weights.entry(feature.key).or_insert(0.0);
                    *slot = slot.max(weight);
                }
            };
            short_field(&article.title, TITLE_WEIGHT);
            for question in &article.questions {
                short_field(question, QUESTION_WEIGHT);
            }
            for tag in &article.tags {
                short_field(tag, TAG_WEIGHT);
            }
            short_field(&article.category, CATEGORY_WEIGHT);
            let mut body_counts: HashMap<&str, f32> = HashMap::new();
            for feature in body {
                *body_counts.entry(feature.key.as_str()).or_insert(0.0) += 1.0;
            }
            let length_factor = 0.25 + 0.75 * body.len() as f32 / average_body;
            for (key, count) in body_counts {
                // BM25's saturation: the first mention matters most; long bodies count less.
                // Body evidence adds to a title/question match (it breaks their ties: the
                // article that talks about a thing at length is about it) but alone it
                // weighs less than a match in a question.
                let saturated = (count * 2.2 / (count + 1.2 * length_factor) / 2.2).min(1.0);
                let slot = weights.entry(key.to_owned()).or_insert(0.0);
                *slot = if *slot > 0.0 { *slot + BODY_BONUS * saturated } else { BODY_WEIGHT * saturated };
            }
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            for (key, weight) in weights {
                *document_frequency.entry(key.clone()).or_insert(0) += 1;
                matcher.postings.entry(key).or_default().push((index, weight));
            }
            let questions = std::iter::once(&article.title)
                .chain(&article.questions)
                .map(|text| {
                    let mut keys: Vec<String> = features(&normalize(text)).into_iter().map(|f| f.key).filter(|k| !k.starts_with("t:")).collect();
                    keys.sort();
                    keys.dedup();
                    keys
                })
                .collect();
            matcher.entries.push(Entry {
                id: article.id.clone(),
                title: article.title.clone(),
                category: article.category.clone(),
                chinese: article.lang.starts_with("zh"),
                questions,
            });
        }
        let total = articles.len() as f32;
        for (key, df) in document_frequency {
            matcher.idf.insert(key, ((total + 1.0) / (df as f32 + 0.5)).ln().max(0.05));
        }
        matcher.unseen_idf = ((total + 1.0) / 0.5).ln();
        matcher
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
    /// knowledge base has articles in it.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Candidate> {
        let normalized = normalize(query);
        let mut query_weights: HashMap<String, f32> = HashMap::new();
        for feature in features(&normalized) {
            let weight = feature.kind.weight();
            let slot = query_weights.entry(feature.key).or_insert(0.0);
            *slot = slot.max(weight);
        }
        if query_weights.is_empty() || self.entries.is_empty() {
            return Vec::new();
        }
        let chinese = looks_chinese(&normalized);
        let same_language = self.entries.iter().any(|e| e.chinese == chinese);
        let mut mass = 0.0;
        let mut scores = vec![0.0f32; self.entries.len()];
        for (key, query_weight) in &query_weights {
            // A feature no article has is context the knowledge base does not cover ("坐高铁");
            // it counts against confidence, a word more than a bigram, which is often just
            // two characters that happen to sit next to each other.
            let idf = match self.idf.get(key) {
                Some(idf) => *idf,
                None if key.starts_with("w:") => self.unseen_idf * UNSEEN_WORD,
                None => self.unseen_idf * UNSEEN_OTHER,
            };
            // Trigrams only help a word that is otherwise missing; they should not add
            // information of their own to the query.
            let counted = if key.starts_with("t:") { query_weight * idf.min(2.0) } else { query_weight * idf };
            mass += counted;
            if let Some(postings) = self.postings.get(key) {
                for &(article, weight) in postings {
                    scores[article as usize] += counted * weight;
                }
            }
        }
        let mut ranked: Vec<(usize, f32)> = scores
            .into_iter()
            .enumerate()
            .filter(|(index, score)| *score > 0.0 && (!same_language || self.entries[*index].chinese == chinese))
            .map(|(index, score)| (index, (score / mass).min(1.0)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        // The shortlist is re-ranked by how well the query also covers one of the
        // article's own questions: a paraphrase of a question covers most of it, a query
        // that only shares a word with the article does not.
        ranked.truncate(RERANK_DEPTH.max(limit));
        for (index, score) in &mut ranked {
            let similarity = self.entries[*index]
                .questions
                .iter()
                .map(|question| {
                    let (mut shared, mut total) = (0.0, 0.0);
                    for key in question {
                        let weight = self.idf.get(key).copied().unwrap_or(0.0) * if key.starts_with("b:") { 0.6 } else { 1.0 };
                        total += weight;
                        if query_weights.contains_key(key) {
                            shared += weight;
                        }
                    }
                    if total > 0.0 { shared / total } else { 0.0 }
                })
                .fold(0.0f32, f32::max);
            *score = (1.0 - QUESTION_SHARE) * *score + QUESTION_SHARE * similarity;
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(limit);
        ranked
            .into_iter()
            .map(|(index, score)| {
                let entry = &self.entries[index];
                Candidate { id: entry.id.clone(), title: entry.title.clone(), category: entry.category.clone(), score }
            })
            .collect()
    }
}
