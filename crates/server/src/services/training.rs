//! Training: the course every staff member can take (per tier, four modules, lessons from
//! the KB's articles, the SOPs and written lessons), quizzes scored against the questions as
//! they were asked, certification per tier when all four modules are passed (or granted by a
//! supervisor), and practice with a simulated learner drawn from the KB and the bot's dev set.
//! Certification gates routing (an agent gets conversations only at a tier they are certified
//! for) and tier changes (`http::users::update`). Rules and content: `edudesk_core::training`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use edudesk_core::{
    StaffPrincipal, hiring,
    lang::Lang,
    model::{Role, Tier},
    training::{self, ArticleFacts, Module, Practice, PracticeScore, QuizQuestion, Scenario, Seeded, SopFacts, TraineeTurn},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    AppState,
    error::{AppError, AppResult},
    store::{
        kb::ArticleFilter,
        to_utc,
        training::{CertificationRow, PracticeRow},
    },
};

/// The bot's dev set shipped with the demo KB: real learner wordings and the article each
/// needs, by article (read once). Quizzes and practice scenarios ask with them.
static DEV_QUERIES: std::sync::LazyLock<BTreeMap<String, Vec<String>>> = std::sync::LazyLock::new(|| {
    let mut asked: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in include_str!("../../kb/dev-queries.jsonl").lines().filter(|line| !line.trim().is_empty()) {
        if let Ok(query) = serde_json::from_str::<serde_json::Value>(line)
            && let (Some(text), Some(expect)) = (query["query"].as_str(), query["expect"].as_str())
        {
            asked.entry(expect.to_owned()).or_default().push(text.to_owned());
        }
    }
    asked
});

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleRef {
    pub id: String,
    pub title: String,
}

/// One lesson: written text, or a KB category's articles, or an SOP's steps.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LessonView {
    pub title: String,
    pub body: Option<String>,
    pub articles: Vec<ArticleRef>,
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModuleContent {
    pub module: Module,
    pub title: String,
    pub lessons: Vec<LessonView>,
}

/// The best submitted result of a module.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Best {
    pub correct: i64,
    pub total: i64,
    pub passed: bool,
    pub attempts: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModuleProgress {
    pub module: Module,
    pub questions: usize,
    pub pass_mark: f64,
    pub best: Option<Best>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Certification {
    pub tier: Tier,
    /// `course` (passed), `granted` (by a supervisor or at set-up) or `grandfathered`.
    pub source: String,
    pub granted_by: Option<i64>,
    pub certified_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierProgress {
    pub tier: Tier,
    /// Certified for this tier (a higher tier's certification covers it).
    pub certified: bool,
    pub modules: Vec<ModuleProgress>,
}

/// The caller's course: the content and their progress per tier.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Course {
    pub lang: String,
    /// The highest tier the caller is certified for (0: none yet).
    pub certified_tier: i64,
    pub certifications: Vec<Certification>,
    pub modules: Vec<ModuleContent>,
    pub tiers: Vec<TierProgress>,
}

/// A question as shown (the key stays on the server).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AskedQuestion {
    pub prompt: String,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attempt {
    pub id: i64,
    pub tier: Tier,
    pub module: Module,
    pub pass_mark: f64,
    pub questions: Vec<AskedQuestion>,
}

/// A submitted quiz: the score, the right option of each question (to learn from), and
/// whether the tier is now certified.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptResult {
    pub id: i64,
    pub correct: usize,
    pub total: usize,
    pub passed: bool,
    pub right: Vec<usize>,
    pub certified: bool,
    pub newly_certified: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Line {
    /// `learner` or `trainee`.
    pub speaker: String,
    pub text: String,
}

/// A practice as the trainee sees it; the article that solves it is shown once it ends.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PracticeView {
    pub id: i64,
    pub lang: String,
    pub upset: bool,
    pub transcript: Vec<Line>,
    pub turns_left: usize,
    pub ended: bool,
    pub solved: bool,
    pub score: Option<PracticeScore>,
    pub article: Option<ArticleRef>,
    pub started_at: DateTime<Utc>,
}

/// One staff member's training, for supervisors.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamMember {
    pub user_id: i64,
    pub display_name: String,
    pub role: Role,
    pub tier: Tier,
    /// The highest tier certified for (0: none); below `tier` means routing skips them.
    pub certified_tier: i64,
    pub certifications: Vec<Certification>,
    /// Modules passed, as `tier:module`.
    pub passed: Vec<String>,
    pub practice_sessions: i64,
    pub practice_average: Option<f64>,
}

fn certification(row: CertificationRow) -> AppResult<Certification> {
    Ok(Certification { tier: tier_of(row.tier)?, source: row.source, granted_by: row.granted_by, certified_at: to_utc(row.certified_at) })
}

fn tier_of(level: i64) -> AppResult<Tier> {
    Tier::new(level).ok_or_else(|| AppError::Internal(anyhow::anyhow!("stored tier {level} is out of range")))
}

fn json<T: Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(|error| AppError::Internal(error.into()))
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> AppResult<T> {
    serde_json::from_str(text).map_err(|error| AppError::Internal(anyhow::anyhow!("stored training data is unreadable: {error}")))
}

/// Published articles in `lang` with the ways learners ask for them: the article's own
/// alternative questions and the dev set's real queries that need it.
async fn article_facts(state: &AppState, lang: Lang) -> AppResult<Vec<ArticleFacts>> {
    let filter = ArticleFilter { lang: Some(lang.code().to_owned()), category: None, visibility: Some("published".to_owned()) };
    let articles = state.store.articles(&filter).await?;
    Ok(articles
        .into_iter()
        .map(|article| {
            let content = article.content;
            let mut asks = content.questions.clone();
            asks.extend(DEV_QUERIES.get(&content.id).into_iter().flatten().cloned());
            ArticleFacts { id: content.id, title: content.title, category: content.category, asks }
        })
        .collect())
}

/// A routing category as learners name it: its first keywords in `lang` ("account" →
/// "登录、登陆" or "login, log in"); the category's id when it has none.
fn category_words(category: &str, lang: Lang) -> String {
    let words: Vec<&str> = edudesk_core::routing::DEFAULT_CATEGORIES
        .iter()
        .find(|(name, _, _)| *name == category)
        .map(|(_, _, keywords)| keywords.iter().copied().filter(|word| word.is_ascii() == (lang == Lang::En)).take(2).collect())
        .unwrap_or_default();
    if words.is_empty() { category.to_owned() } else { words.join(if lang == Lang::Zh { "、" } else { ", " }) }
}

async fn sop_facts(state: &AppState, lang: Lang) -> AppResult<Vec<SopFacts>> {
    Ok(state
        .store
        .sops()
        .await?
        .iter()
        .map(|sop| SopFacts {
            title: sop.title.get(lang.code()).to_owned(),
            categories: sop.categories.iter().map(|category| category_words(category, lang)).collect(),
            steps: sop.steps.iter().map(|step| step.title.get(lang.code()).to_owned()).collect(),
        })
        .collect())
}

/// The course content in `lang` and `staff`'s progress.
pub async fn course(state: &AppState, staff: &StaffPrincipal, lang: Lang) -> AppResult<Course> {
    let articles = article_facts(state, lang).await?;
    let sops = sop_facts(state, lang).await?;
    let mut by_category: BTreeMap<&str, Vec<ArticleRef>> = BTreeMap::new();
    for article in &articles {
        by_category.entry(&article.category).or_default().push(ArticleRef { id: article.id.clone(), title: article.title.clone() });
    }
    let written = |module: Module| {
        training::written_lessons(module).iter().map(|lesson| {
            let (title, body) = lesson.text(lang);
            LessonView { title: title.to_owned(), body: Some(body.to_owned()), articles: Vec::new(), steps: Vec::new() }
        })
    };
    let modules = Module::ALL
        .into_iter()
        .map(|module| {
            let lessons: Vec<LessonView> = match module {
                Module::Product => by_category
                    .iter()
                    .map(|(category, articles)| LessonView { title: (*category).to_owned(), body: None, articles: articles.clone(), steps: Vec::new() })
                    .collect(),
                Module::Sops => sops
                    .iter()
                    .map(|sop| LessonView { title: sop.title.clone(), body: None, articles: Vec::new(), steps: sop.steps.clone() })
                    .chain(written(module))
                    .collect(),
                Module::Skills | Module::Tools => written(module).collect(),
            };
            ModuleContent { module, title: module.title(lang).to_owned(), lessons }
        })
        .collect();
    let results = state.store.module_results(Some(staff.user_id)).await?;
    let certifications = state.store.certifications(Some(staff.user_id)).await?;
    let certified_tier = certifications.iter().map(|row| row.tier).max().unwrap_or(0);
    let tiers = [Tier::ONE, Tier::TWO, Tier::THREE]
        .into_iter()
        .map(|tier| TierProgress {
            tier,
            certified: certified_tier >= tier.level(),
            modules: Module::ALL
                .into_iter()
                .map(|module| ModuleProgress {
                    module,
                    questions: module.question_count(tier),
                    pass_mark: training::pass_mark(tier),
                    best: results.iter().find(|row| row.tier == tier.level() && row.module == module.as_str()).map(|row| Best {
                        correct: row.best,
                        total: row.total,
                        passed: row.passed == 1,
                        attempts: row.attempts,
                    }),
                })
                .collect(),
        })
        .collect();
    Ok(Course {
        lang: lang.code().to_owned(),
        certified_tier,
        certifications: certifications.into_iter().map(certification).collect::<AppResult<_>>()?,
        modules,
        tiers,
    })
}

/// Starts a quiz of `module` at `tier`: fresh questions, generated from the current KB and
/// SOPs where the module is about them.
pub async fn start_attempt(state: &AppState, staff: &StaffPrincipal, tier: Tier, module: Module, lang: Lang) -> AppResult<Attempt> {
    let seed = state.clock.now_ms() as u64 ^ (staff.user_id as u64).rotate_left(32) ^ rand::random::<u64>();
    let questions: Vec<QuizQuestion> = match module {
        Module::Product => training::product_questions(&article_facts(state, lang).await?, lang, tier, seed),
        Module::Sops => training::sop_questions(&sop_facts(state, lang).await?, lang, tier, seed),
        Module::Skills | Module::Tools => training::fixed_questions(module, lang, tier, seed),
    };
    if questions.is_empty() {
        return Err(AppError::Conflict("this module has no questions yet: the knowledge base or the SOPs are empty".to_owned()));
    }
    let row =
        state.store.create_attempt(staff.user_id, tier.level(), module.as_str(), &json(&questions)?, questions.len() as i64, state.clock.now_ms()).await?;
    Ok(Attempt {
        id: row.id,
        tier,
        module,
        pass_mark: training::pass_mark(tier),
        questions: questions.into_iter().map(|question| AskedQuestion { prompt: question.prompt, options: question.options }).collect(),
    })
}

/// Scores the caller's answers to their open attempt; passing the fourth module of a tier
/// certifies it.
pub async fn submit_attempt(state: &AppState, staff: &StaffPrincipal, id: i64, answers: &[usize]) -> AppResult<AttemptResult> {
    let row = state.store.attempt(id, staff.user_id).await?;
    if row.submitted_at.is_some() {
        return Err(AppError::Conflict("this quiz was already submitted; start a new attempt".to_owned()));
    }
    let tier = tier_of(row.tier)?;
    let questions: Vec<QuizQuestion> = parse(&row.questions)?;
    let score = training::score(&questions, answers, tier).map_err(AppError::Unprocessable)?;
    let now = state.clock.now_ms();
    state.store.submit_attempt(id, &json(&answers)?, score.correct as i64, score.passed, now).await?;
    let passed = state.store.passed_modules(staff.user_id, row.tier).await?;
    let all_passed = Module::ALL.iter().all(|module| passed.iter().any(|name| name == module.as_str()));
    let newly_certified = all_passed && state.store.certify(staff.user_id, row.tier, "course", None, now).await?;
    if newly_certified {
        crate::services::routing::sweep_soon(state);
    }
    let certified = state.store.certified_tier(staff.user_id).await? >= row.tier;
    Ok(AttemptResult {
        id,
        correct: score.correct,
        total: score.total,
        passed: score.passed,
        right: questions.iter().map(|question| question.answer).collect(),
        certified,
        newly_certified,
    })
}

/// A supervisor certifies a staff member for a tier (experience from elsewhere, an exam
/// taken outside EduDesk). Returns the member's certifications.
pub async fn grant(state: &AppState, supervisor: &StaffPrincipal, user_id: i64, tier: Tier) -> AppResult<Vec<Certification>> {
    state.store.user(user_id).await?;
    state.store.certify(user_id, tier.level(), "granted", Some(supervisor.user_id), state.clock.now_ms()).await?;
    crate::services::routing::sweep_soon(state);
    state.store.certifications(Some(user_id)).await?.into_iter().map(certification).collect()
}

/// Every staff member's certifications, passed modules and practice.
pub async fn team(state: &AppState) -> AppResult<Vec<TeamMember>> {
    let users = state.store.users().await?;
    let certifications = state.store.certifications(None).await?;
    let results = state.store.module_results(None).await?;
    let practice = state.store.practice_totals().await?;
    users
        .into_iter()
        .filter(|user| user.active)
        .map(|user| {
            let own: Vec<Certification> = certifications.iter().filter(|row| row.user_id == user.id).cloned().map(certification).collect::<AppResult<_>>()?;
            let totals = practice.iter().find(|row| row.user_id == user.id);
            Ok(TeamMember {
                user_id: user.id,
                display_name: user.display_name,
                role: user.role,
                tier: user.tier,
                certified_tier: own.iter().map(|c| c.tier.level()).max().unwrap_or(0),
                certifications: own,
                passed: results.iter().filter(|row| row.user_id == user.id && row.passed == 1).map(|row| format!("{}:{}", row.tier, row.module)).collect(),
                practice_sessions: totals.map_or(0, |row| row.sessions),
                practice_average: totals.and_then(|row| row.average),
            })
        })
        .collect()
}

/// 409 unless `user_id` is certified for `tier` (tier changes go through training).
pub async fn require_certified(state: &AppState, user_id: i64, tier: Tier) -> AppResult<()> {
    let certified = state.store.certified_tier(user_id).await?;
    if certified < tier.level() {
        return Err(AppError::Conflict(format!(
            "not certified for tier {} yet (certified: {}): pass the tier's four training modules, or have a supervisor grant the certification first",
            tier.level(),
            if certified == 0 { "none".to_owned() } else { format!("tier {certified}") }
        )));
    }
    Ok(())
}

fn practice_view(row: &PracticeRow, scenario: &Scenario, practice: &Practice) -> PracticeView {
    PracticeView {
        id: row.id,
        lang: scenario.lang.code().to_owned(),
        upset: scenario.upset,
        transcript: practice.transcript.iter().map(|(speaker, text)| Line { speaker: speaker.clone(), text: text.clone() }).collect(),
        turns_left: training::PRACTICE_TURNS.saturating_sub(practice.turns.len()),
        ended: practice.ended,
        solved: practice.solved,
        score: practice.ended.then(|| practice.score(scenario)),
        article: practice.ended.then(|| ArticleRef { id: scenario.article_id.clone(), title: scenario.article_title.clone() }),
        started_at: to_utc(row.started_at),
    }
}

/// A new practice: a learner asks, in one of the ways real learners asked, for something an
/// article answers; one in three arrives upset.
pub async fn start_practice(state: &AppState, staff: &StaffPrincipal, lang: Lang) -> AppResult<PracticeView> {
    let mut rng = Seeded::new(rand::random::<u64>());
    let mut askable: Vec<ArticleFacts> = article_facts(state, lang).await?.into_iter().filter(|article| !article.asks.is_empty()).collect();
    if askable.is_empty() {
        return Err(AppError::Conflict("practice needs published articles with learner questions in this language".to_owned()));
    }
    let article = askable.swap_remove(rng.below(askable.len()));
    let mut asks = article.asks.clone();
    rng.shuffle(&mut asks);
    let upset = rng.below(3) == 0;
    let opening = match (lang, upset) {
        (Lang::Zh, true) => format!("{}。等了半天了，能不能快点解决！", asks[0].trim_end_matches(['？', '?', '。'])),
        (Lang::En, true) => format!("{} I've been waiting for ages, please sort this out now!", asks[0]),
        (_, false) => asks[0].clone(),
    };
    let mut restatements: Vec<String> = asks[1..].to_vec();
    restatements.push(match lang {
        Lang::Zh => format!("就是“{}”这种问题", article.title),
        Lang::En => format!("basically: {}", article.title),
    });
    let scenario = Scenario { lang, opening, article_id: article.id, article_title: article.title, restatements, upset };
    let practice = Practice::start(&scenario);
    let row = state.store.create_practice(staff.user_id, &json(&scenario)?, &json(&practice)?, state.clock.now_ms()).await?;
    Ok(practice_view(&row, &scenario, &practice))
}

pub async fn practice(state: &AppState, staff: &StaffPrincipal, id: i64) -> AppResult<PracticeView> {
    let row = state.store.practice(id, staff.user_id).await?;
    Ok(practice_view(&row, &parse(&row.scenario)?, &parse(&row.practice)?))
}

/// Whether a reply gives the scenario's answer: it links or names the article, or says
/// what the article says (the bot's matcher, or the help centre's search when the bot is
/// off, puts the article first) and tells the learner what to do.
fn solves(state: &AppState, scenario: &Scenario, body: &str, signals: &[String]) -> bool {
    let lower = body.to_lowercase();
    if lower.contains(&scenario.article_id.to_lowercase()) || lower.contains(&scenario.article_title.to_lowercase()) {
        return true;
    }
    if !signals.iter().any(|signal| signal == "next_step" || signal == "owns") {
        return false;
    }
    let bot = state.knowledge.bot();
    if !bot.is_empty() {
        let ranking = bot.matcher().rank(body, 1);
        return ranking.candidates.first().is_some_and(|top| top.id == scenario.article_id && top.score >= 0.5);
    }
    state.knowledge.search(body, Some(scenario.lang.code()), 1).ok().and_then(|hits| hits.into_iter().next()).is_some_and(|top| top.id == scenario.article_id)
}

/// The trainee replies; the simulated learner answers; the last turn scores it.
pub async fn reply_practice(state: &AppState, staff: &StaffPrincipal, id: i64, body: &str) -> AppResult<PracticeView> {
    let row = state.store.practice(id, staff.user_id).await?;
    if row.ended == 1 {
        return Err(AppError::Conflict("this practice has ended; start a new one".to_owned()));
    }
    let scenario: Scenario = parse(&row.scenario)?;
    let mut practice: Practice = parse(&row.practice)?;
    let signals = hiring::empathy_signals(body);
    let turn = TraineeTurn { body: body.to_owned(), solves: solves(state, &scenario, body, &signals), signals };
    practice.reply(&scenario, turn, row.id as u64);
    let score = practice.ended.then(|| i64::from(practice.score(&scenario).total));
    state.store.advance_practice(id, &row.practice, &json(&practice)?, score, state.clock.now_ms()).await?;
    let row = state.store.practice(id, staff.user_id).await?;
    Ok(practice_view(&row, &scenario, &practice))
}
