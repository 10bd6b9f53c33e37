//! The knowledge base as the running system reads it: the help centre's full-text search
//! index (tantivy, with EduDesk's Chinese/English tokenizer) and the bot built over the
//! published articles. Both are derived from the database: built at start (reusing an
//! on-disk index only when it was committed from the same state of the database), rebuilt
//! after every change on this node, and rechecked periodically so changes made on other
//! nodes arrive too. [`import`] reads and writes the JSON-lines article format and renders
//! articles' Markdown.

pub mod import;

use std::path::Path;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use edudesk_bot::{Article as BotArticle, Bot, BotSettings};
use serde::Serialize;
use tantivy::{
    Index, IndexReader, ReloadPolicy, TantivyDocument, Term,
    collector::TopDocs,
    query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery},
    schema::{Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value},
    tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer},
};
use utoipa::ToSchema;

use crate::store::{Store, kb::ArticleFilter};

const TOKENIZER: &str = "edudesk";

/// tantivy's view of EduDesk's features: normalised Chinese words, bigrams, English stems and
/// trigrams, so search tolerates the same variants and typos as the bot.
#[derive(Clone, Debug, Default)]
struct EduTokenizer;

struct FeatureStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for FeatureStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

fn feature_keys(text: &str) -> Vec<String> {
    edudesk_bot::features::features(&edudesk_bot::normalize::normalize(text)).into_iter().map(|f| f.key).collect()
}

impl Tokenizer for EduTokenizer {
    type TokenStream<'a> = FeatureStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> FeatureStream {
        // Typo trigrams and single characters are the bot's; search handles typos with fuzzy
        // word queries.
        let tokens = feature_keys(text)
            .into_iter()
            .filter(|key| !key.starts_with("t:") && !key.starts_with("c:"))
            .enumerate()
            .map(|(position, text)| Token { offset_from: 0, offset_to: 0, position, text, position_length: 1 })
            .collect();
        FeatureStream { tokens, next: 0 }
    }
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    lang: Field,
    category: Field,
    title: Field,
    questions: Field,
    tags: Field,
    body: Field,
    summary: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let indexing = TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqs);
    let text = TextOptions::default().set_indexing_options(indexing.clone());
    let stored_text = TextOptions::default().set_indexing_options(indexing).set_stored();
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        lang: builder.add_text_field("lang", STRING | STORED),
        category: builder.add_text_field("category", STRING | STORED),
        title: builder.add_text_field("title", stored_text),
        questions: builder.add_text_field("questions", text.clone()),
        tags: builder.add_text_field("tags", text.clone()),
        body: builder.add_text_field("body", text),
        summary: builder.add_text_field("summary", STORED),
    };
    (builder.build(), fields)
}

/// One search result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    pub id: String,
    pub lang: String,
    pub category: String,
    pub title: String,
    /// The start of the article, as plain text.
    pub summary: String,
    pub score: f32,
}

struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

/// Search index and bot over the published articles.
pub struct Knowledge {
    search: SearchIndex,
    bot: RwLock<Arc<Bot>>,
    /// The database state (article count and latest change) both were built from.
    built_from: RwLock<String>,
    rebuilding: tokio::sync::Mutex<()>,
    settings: BotSettings,
    /// Whether the bot answers learners here; when not, it is not built (building it means
    /// training on the labelled questions, a second of work after every change).
    bot_enabled: bool,
    /// The bot handles one message per conversation at a time (striped by conversation id).
    conversation_locks: Vec<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Knowledge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Knowledge").field("articles", &self.bot().len()).finish()
    }
}

/// Plain text of the first paragraph(s), for result lists.
fn summary_of(body: &str) -> String {
    let plain: String = body.chars().filter(|c| !matches!(c, '*' | '#' | '`' | '_' | '>')).collect();
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut summary: String = plain.chars().take(140).collect();
    if plain.chars().count() > 140 {
        summary.push('…');
    }
    summary
}

async fn published(store: &Store) -> anyhow::Result<Vec<BotArticle>> {
    let articles = store.articles(&ArticleFilter { visibility: Some("published".to_owned()), ..Default::default() }).await?;
    Ok(articles
        .into_iter()
        .map(|a| BotArticle {
            id: a.content.id,
            lang: a.content.lang,
            category: a.content.category,
            title: a.content.title,
            body: a.content.body,
            questions: a.content.questions,
            tags: a.content.tags,
        })
        .collect())
}

/// The part of a knowledge fingerprint ([`Store::kb_fingerprint`]) that describes the
/// articles (the rest counts accepted wordings, which only the bot reads).
fn articles_part(fingerprint: &str) -> &str {
    fingerprint.match_indices(':').nth(2).map_or(fingerprint, |(at, _)| &fingerprint[..at])
}

impl Knowledge {
    /// Opens (or creates) the search index and builds both from the database.
    /// `bot_enabled: false` leaves the bot empty (it is only built for servers that use it).
    pub async fn load(store: &Store, index_dir: Option<&Path>, settings: BotSettings, bot_enabled: bool) -> anyhow::Result<Knowledge> {
        let (schema, fields) = schema();
        let index = match index_dir {
            Some(dir) => open_or_create(dir, schema)?,
            None => Index::create_in_ram(schema),
        };
        index.tokenizers().register(TOKENIZER, TextAnalyzer::from(EduTokenizer));
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().context("opening the search index")?;
        let committed = index.load_metas().ok().and_then(|metas| metas.payload).unwrap_or_default();
        let knowledge = Knowledge {
            search: SearchIndex { index, reader, fields },
            bot: RwLock::new(Arc::new(Bot::empty(settings))),
            built_from: RwLock::new(committed),
            rebuilding: tokio::sync::Mutex::new(()),
            settings,
            bot_enabled,
            conversation_locks: (0..64).map(|_| tokio::sync::Mutex::new(())).collect(),
        };
        knowledge.refresh(store, true).await?;
        Ok(knowledge)
    }

    /// The lock that keeps the bot's answers in one conversation in order.
    pub fn conversation_lock(&self, conversation_id: i64) -> &tokio::sync::Mutex<()> {
        &self.conversation_locks[conversation_id.rem_euclid(self.conversation_locks.len() as i64) as usize]
    }

    /// The bot over the current published articles.
    pub fn bot(&self) -> Arc<Bot> {
        self.bot.read().map(|bot| bot.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// Rebuilds the bot and the index if the published articles changed since they were
    /// built (`bot_too` forces the bot, which lives in memory, at start).
    pub async fn refresh(&self, store: &Store, bot_too: bool) -> anyhow::Result<bool> {
        let _one_at_a_time = self.rebuilding.lock().await;
        let fingerprint = store.kb_fingerprint().await?;
        let built = self.built_from.read().map(|built| built.clone()).unwrap_or_default();
        if built == fingerprint && !bot_too {
            return Ok(false);
        }
        // An accepted wording changes the bot, not the search index.
        let index_current = articles_part(&built) == articles_part(&fingerprint);
        let articles = published(store).await?;
        let taught = store.accepted_questions().await?;
        let settings = self.settings;
        let bot_enabled = self.bot_enabled;
        let search = SearchIndexHandle { index: self.search.index.clone(), fields: self.search.fields };
        let fingerprint_for_index = fingerprint.clone();
        let bot = tokio::task::spawn_blocking(move || -> anyhow::Result<Bot> {
            if !index_current {
                search.rebuild(&articles, &fingerprint_for_index)?;
            }
            if !bot_enabled {
                return Ok(Bot::empty(settings));
            }
            Ok(Bot::with_learned(articles, settings, edudesk_bot::Learned::shipped().teach(taught)))
        })
        .await
        .context("rebuilding the knowledge index")??;
        self.search.reader.reload().context("reloading the search index")?;
        if let Ok(mut slot) = self.bot.write() {
            *slot = Arc::new(bot);
        }
        if let Ok(mut built) = self.built_from.write() {
            *built = fingerprint;
        }
        Ok(true)
    }

    /// Rebuilds after a change on this node, logging rather than failing the request that
    /// made the change (the periodic check retries).
    pub async fn changed(&self, store: &Store) {
        if let Err(error) = self.refresh(store, false).await {
            tracing::warn!(%error, "rebuilding the knowledge index failed; the periodic check will retry");
        }
    }

    /// Published articles matching `query`, best first; `lang` narrows to one language.
    pub fn search(&self, query: &str, lang: Option<&str>, limit: usize) -> anyhow::Result<Vec<SearchHit>> {
        let fields = self.search.fields;
        let mut keys = feature_keys(query);
        keys.sort();
        keys.dedup();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // Single characters (the bot's weak evidence) would pull in every article sharing one.
        for key in keys.iter().filter(|key| !key.starts_with("t:") && !key.starts_with("c:")) {
            let kind_boost = if key.starts_with("b:") { 0.6 } else { 1.0 };
            // Longer English words also match one typo away ("pasword"); Chinese variants
            // are already folded by the normaliser.
            let fuzzy = key.starts_with("w:") && key.len() >= 7 && key.is_ascii();
            for (field, boost) in [(fields.title, 3.0), (fields.questions, 3.0), (fields.tags, 2.0), (fields.body, 1.0)] {
                let term = Term::from_field_text(field, key);
                let query: Box<dyn Query> =
                    if fuzzy { Box::new(FuzzyTermQuery::new(term, 1, true)) } else { Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)) };
                clauses.push((Occur::Should, Box::new(BoostQuery::new(query, boost * kind_boost))));
            }
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let mut query: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        if let Some(lang) = lang {
            let lang_term = TermQuery::new(Term::from_field_text(fields.lang, lang), IndexRecordOption::Basic);
            query = Box::new(BooleanQuery::new(vec![(Occur::Must, query), (Occur::Must, Box::new(lang_term))]));
        }
        let searcher = self.search.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        // Far weaker hits than the best share only a common word with the query.
        let best = top.first().map_or(0.0, |(score, _)| *score);
        for (score, address) in top {
            if score < best * 0.15 {
                break;
            }
            let document: TantivyDocument = searcher.doc(address)?;
            let text = |field: Field| document.get_first(field).and_then(|value| value.as_str()).unwrap_or_default().to_owned();
            hits.push(SearchHit {
                id: text(fields.id),
                lang: text(fields.lang),
                category: text(fields.category),
                title: text(fields.title),
                summary: text(fields.summary),
                score,
            });
        }
        Ok(hits)
    }
}

/// What a blocking rebuild needs (the index handle is cheap to clone).
struct SearchIndexHandle {
    index: Index,
    fields: Fields,
}

impl SearchIndexHandle {
    fn rebuild(&self, articles: &[BotArticle], fingerprint: &str) -> anyhow::Result<()> {
        let fields = self.fields;
        let mut writer: tantivy::IndexWriter<TantivyDocument> = self.index.writer_with_num_threads(1, 30_000_000).context("opening the index writer")?;
        writer.delete_all_documents()?;
        for article in articles {
            let mut document = TantivyDocument::default();
            document.add_text(fields.id, &article.id);
            document.add_text(fields.lang, &article.lang);
            document.add_text(fields.category, &article.category);
            document.add_text(fields.title, &article.title);
            document.add_text(fields.questions, article.questions.join("\n"));
            document.add_text(fields.tags, article.tags.join("\n"));
            document.add_text(fields.body, &article.body);
            document.add_text(fields.summary, summary_of(&article.body));
            writer.add_document(document)?;
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(fingerprint);
        commit.commit()?;
        writer.wait_merging_threads()?;
        Ok(())
    }
}

fn open_or_create(dir: &Path, schema: Schema) -> anyhow::Result<Index> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating the search index directory {}", dir.display()))?;
    match Index::open_in_dir(dir) {
        Ok(index) if index.schema() == schema => Ok(index),
        // Missing, unreadable or from another schema: start over (it is rebuilt from the DB).
        _ => {
            for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
                let path = entry?.path();
                if path.is_file() {
                    std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
                }
            }
            Index::create_in_dir(dir, schema).with_context(|| format!("creating the search index in {}", dir.display()))
        }
    }
}

/// Rechecks the database every `every` so changes made on other nodes reach this one.
pub async fn refresh_regularly(store: Store, knowledge: Arc<Knowledge>, every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if let Err(error) = knowledge.refresh(&store, false).await {
            tracing::warn!(%error, "knowledge index refresh failed");
        }
    }
}
