//! EduDesk's bot and the text handling it shares with search: normalisation
//! ([`normalize`]), features ([`features`]), the article matcher ([`matcher`]), what a message
//! says about the learner's mood and wishes ([`signals`]), the bot's decisions ([`bot`]) and
//! the offline evaluation behind `edudesk bot eval` ([`eval`]). Pure computation: no I/O,
//! nothing downloaded, no outside service.

pub mod bot;
pub mod eval;
pub mod features;
pub mod group;
pub mod logistic;
pub mod matcher;
pub mod model;
pub mod mood;
pub mod normalize;
pub mod outside;
pub mod parallel;
pub mod request;
pub mod scope;
pub mod signals;

pub use bot::{Bot, BotSettings, ConversationState, HandoffReason, Learned, Outcome, Reply};
pub use matcher::{Candidate, Matcher};

/// A knowledge-base article as the bot sees it (the fields of the articles.jsonl format).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Article {
    pub id: String,
    pub lang: String,
    #[serde(default)]
    pub category: String,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
}
