//! Hiring: supervisors invite candidates by a personal link; a candidate takes the parts in
//! order — typing in Chinese, typing in English (each timed by the server from the moment the
//! passage is shown), the written empathy scenario, the quiz — and the supervisor reads the
//! results and records a review. The content and the scoring are `edudesk_core::hiring`.

use edudesk_core::{
    hiring::{self, QuizResult, Script, TypingResult},
    lang::Lang,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    AppState, crypto,
    error::{AppError, AppResult},
    store::hiring::{AnswerColumn, CandidateRow, NewCandidate},
};

/// How long an invitation link works.
pub const LINK_DAYS: i64 = 14;

/// The parts of the test, in order.
/// Declared in order: a later part compares greater.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    TypingZh,
    TypingEn,
    Empathy,
    Quiz,
    Done,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::TypingZh => "typing_zh",
            Step::TypingEn => "typing_en",
            Step::Empathy => "empathy",
            Step::Quiz => "quiz",
            Step::Done => "done",
        }
    }

    fn parse(stored: &str) -> AppResult<Step> {
        [Step::TypingZh, Step::TypingEn, Step::Empathy, Step::Quiz, Step::Done]
            .into_iter()
            .find(|step| step.as_str() == stored)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown hiring step {stored:?}")))
    }

    fn next(self) -> Step {
        match self {
            Step::TypingZh => Step::TypingEn,
            Step::TypingEn => Step::Empathy,
            Step::Empathy => Step::Quiz,
            Step::Quiz | Step::Done => Step::Done,
        }
    }

    /// The passage's script when this is a typing step.
    pub fn script(self) -> Option<Script> {
        match self {
            Step::TypingZh => Some(Script::Zh),
            Step::TypingEn => Some(Script::En),
            _ => None,
        }
    }

    fn column(self) -> Option<AnswerColumn> {
        match self {
            Step::TypingZh => Some(AnswerColumn::TypingZh),
            Step::TypingEn => Some(AnswerColumn::TypingEn),
            Step::Empathy => Some(AnswerColumn::Empathy),
            Step::Quiz => Some(AnswerColumn::Quiz),
            Step::Done => None,
        }
    }
}

/// The supervisor's review.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidateReview {
    /// Their mark for the written answer, 1–5.
    pub score: i64,
    /// `hire`, `hold` or `reject`.
    pub decision: String,
    pub note: Option<String>,
    pub reviewed_by: i64,
}

/// A candidate and their results, as supervisors see them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candidate {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    /// The test page's language, `zh` or `en`.
    pub lang: String,
    /// The tier they are considered for.
    pub tier: i64,
    pub invited_by: i64,
    /// UTC milliseconds.
    pub created_at: i64,
    pub expires_at: i64,
    /// `invited` (not started), `in_progress`, `done` or `expired`.
    pub status: String,
    pub step: Step,
    pub typing_zh: Option<TypingResult>,
    pub typing_en: Option<TypingResult>,
    pub empathy_answer: Option<String>,
    /// What the written answer shows: acknowledges, owns, asks, next_step; blames.
    pub empathy_signals: Vec<String>,
    pub quiz: Option<QuizResult>,
    pub submitted_at: Option<i64>,
    pub review: Option<CandidateReview>,
}

fn parse_json<T: serde::de::DeserializeOwned>(stored: Option<&str>) -> AppResult<Option<T>> {
    stored
        .map(|json| serde_json::from_str(json).map_err(|error| AppError::Internal(anyhow::anyhow!("a stored hiring result is unreadable: {error}"))))
        .transpose()
}

impl Candidate {
    fn from_row(row: CandidateRow, now: i64) -> AppResult<Candidate> {
        let step = Step::parse(&row.step)?;
        let status = match step {
            Step::Done => "done",
            _ if now >= row.expires_at => "expired",
            Step::TypingZh if row.step_started_at.is_none() => "invited",
            _ => "in_progress",
        };
        let review = match (row.review_score, row.decision, row.reviewed_by) {
            (Some(score), Some(decision), Some(reviewed_by)) => Some(CandidateReview { score, decision, note: row.review_note, reviewed_by }),
            _ => None,
        };
        Ok(Candidate {
            id: row.id,
            name: row.name,
            email: row.email,
            lang: Lang::parse(&row.lang).unwrap_or_default().code().to_owned(),
            tier: row.tier,
            invited_by: row.invited_by,
            created_at: row.created_at,
            expires_at: row.expires_at,
            status: status.to_owned(),
            step,
            typing_zh: parse_json(row.typing_zh.as_deref())?,
            typing_en: parse_json(row.typing_en.as_deref())?,
            empathy_signals: row.empathy_answer.as_deref().map(hiring::empathy_signals).unwrap_or_default(),
            empathy_answer: row.empathy_answer,
            quiz: parse_json(row.quiz.as_deref())?,
            submitted_at: row.submitted_at,
            review,
        })
    }
}

/// An invitation to make.
pub struct Invitation<'a> {
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub lang: Lang,
    pub tier: i64,
}

/// Invites a candidate; returns them and the link's secret (shown this once).
pub async fn invite(state: &AppState, invited_by: i64, invitation: &Invitation<'_>) -> AppResult<(Candidate, String)> {
    let name = invitation.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::Unprocessable("name: 1 to 100 characters".to_owned()));
    }
    let email = invitation.email.map(str::trim).filter(|email| !email.is_empty());
    if email.is_some_and(|email| email.len() > 200 || !email.contains('@') || email.contains(char::is_whitespace)) {
        return Err(AppError::Unprocessable("email: an address like name@example.com".to_owned()));
    }
    if !(1..=3).contains(&invitation.tier) {
        return Err(AppError::Unprocessable("tier: 1, 2 or 3".to_owned()));
    }
    let token = crypto::new_token();
    let now = state.clock.now_ms();
    let row = state
        .store
        .create_candidate(&NewCandidate {
            token_hash: &crypto::token_hash(&token),
            name,
            email,
            lang: invitation.lang.code(),
            tier: invitation.tier,
            invited_by,
            created_at: now,
            expires_at: now + LINK_DAYS * 24 * 3600 * 1000,
            first_step: Step::TypingZh.as_str(),
        })
        .await?;
    Ok((Candidate::from_row(row, now)?, token))
}

pub async fn list(state: &AppState) -> AppResult<Vec<Candidate>> {
    let now = state.clock.now_ms();
    state.store.candidates(200).await?.into_iter().map(|row| Candidate::from_row(row, now)).collect()
}

pub async fn get(state: &AppState, id: i64) -> AppResult<Candidate> {
    Candidate::from_row(state.store.candidate(id).await?, state.clock.now_ms())
}

/// A supervisor's review (1–5 for the written answer, a decision, a note).
pub async fn review(state: &AppState, id: i64, reviewer: i64, score: i64, decision: &str, note: Option<&str>) -> AppResult<Candidate> {
    if !(1..=5).contains(&score) {
        return Err(AppError::Unprocessable("score: 1 to 5".to_owned()));
    }
    if !matches!(decision, "hire" | "hold" | "reject") {
        return Err(AppError::Unprocessable(format!("decision: '{decision}' is not hire, hold or reject")));
    }
    let note = note.map(str::trim).filter(|note| !note.is_empty());
    if note.is_some_and(|note| note.chars().count() > 2000) {
        return Err(AppError::Unprocessable("note: at most 2000 characters".to_owned()));
    }
    Candidate::from_row(state.store.review_candidate(id, score, decision, note, reviewer).await?, state.clock.now_ms())
}

/// The candidate behind a link, as the test page needs them.
pub struct Taker {
    pub row: CandidateRow,
    pub step: Step,
    pub lang: Lang,
}

/// The candidate whose link this is; 404 for an unknown link, 410 once it has expired
/// (a finished test still shows its thank-you page).
pub async fn taker(state: &AppState, token: &str) -> AppResult<Taker> {
    let row = state.store.candidate_by_token(&crypto::token_hash(token)).await?;
    let step = Step::parse(&row.step)?;
    if step != Step::Done && state.clock.now_ms() >= row.expires_at {
        return Err(AppError::Gone("this test link has expired; please ask for a new one".to_owned()));
    }
    let lang = Lang::parse(&row.lang).unwrap_or_default();
    Ok(Taker { row, step, lang })
}

/// The language a link's pages speak, when the link exists (so an expired link still
/// says so in the candidate's language rather than the browser's).
pub async fn link_lang(state: &AppState, token: &str) -> Option<Lang> {
    let row = state.store.candidate_by_token(&crypto::token_hash(token)).await.ok()?;
    Lang::parse(&row.lang)
}

impl Taker {
    /// A message in the candidate's language.
    pub fn say(&self, en: &str, zh: &str) -> String {
        if self.lang == Lang::Zh { zh } else { en }.to_owned()
    }

    /// A form for `step` fits only the part the candidate is on.
    fn on(&self, step: Step) -> AppResult<()> {
        match step.cmp(&self.step) {
            std::cmp::Ordering::Equal => Ok(()),
            std::cmp::Ordering::Less => Err(AppError::Conflict(self.say("This part was already answered.", "这一部分已经提交过了。"))),
            std::cmp::Ordering::Greater => Err(AppError::Conflict(self.say("Please take the parts in order.", "请按顺序完成各部分。"))),
        }
    }
}

/// Shows the current typing passage: its clock starts now (a reload keeps the first start).
pub async fn start_typing(state: &AppState, taker: &Taker, step: Step) -> AppResult<()> {
    taker.on(step)?;
    if taker.step.script().is_none() {
        return Err(AppError::Conflict(taker.say("This part is not a typing test.", "这一部分不是打字测试。")));
    }
    Ok(state.store.start_candidate_step(taker.row.id, taker.step.as_str(), state.clock.now_ms()).await?)
}

/// An answer to one part.
pub enum Answer<'a> {
    Typed(&'a str),
    Written(&'a str),
    /// The option chosen for each question (`None`: not answered).
    Quiz(&'a [Option<usize>]),
}

/// Records the answer to the candidate's current part (`step` is the part the form was for:
/// an answer for a part already done is a conflict, never an overwrite).
pub async fn answer(state: &AppState, taker: &Taker, step: Step, answer: Answer<'_>) -> AppResult<()> {
    taker.on(step)?;
    let now = state.clock.now_ms();
    let stored = match (step, answer) {
        (Step::TypingZh | Step::TypingEn, Answer::Typed(typed)) => {
            let Some(started) = taker.row.step_started_at else {
                return Err(AppError::Conflict(taker.say("Press Start first: the clock starts with the passage.", "请先点击“开始”：计时从显示文字时开始。")));
            };
            if typed.chars().count() > hiring::MAX_TYPED_CHARS {
                return Err(AppError::Unprocessable(format!(
                    "{} {}",
                    taker.say("At most this many characters:", "最多可输入的字数："),
                    hiring::MAX_TYPED_CHARS
                )));
            }
            let script = step.script().unwrap_or(Script::Zh);
            let result = hiring::score_typing(script, hiring::passage(script, taker.row.id), typed, now - started);
            serde_json::to_string(&result).map_err(|error| AppError::Internal(error.into()))?
        }
        (Step::Empathy, Answer::Written(text)) => {
            let text = text.trim();
            let length = text.chars().count();
            if !(hiring::EMPATHY_MIN_CHARS..=hiring::EMPATHY_MAX_CHARS).contains(&length) {
                let range = format!("{}–{}", hiring::EMPATHY_MIN_CHARS, hiring::EMPATHY_MAX_CHARS);
                return Err(AppError::Unprocessable(format!("{} {range}", taker.say("Please write a reply of this many characters:", "请写一条回复，字数："))));
            }
            text.to_owned()
        }
        (Step::Quiz, Answer::Quiz(choices)) => {
            let answers: Vec<usize> = choices.iter().flatten().copied().collect();
            if answers.len() != hiring::QUIZ.len() {
                return Err(AppError::Unprocessable(taker.say("Please answer every question.", "请回答所有题目。")));
            }
            let result = hiring::score_quiz(&answers).map_err(|_| AppError::Unprocessable(taker.say("Please answer every question.", "请回答所有题目。")))?;
            serde_json::to_string(&result).map_err(|error| AppError::Internal(error.into()))?
        }
        _ => return Err(AppError::BadRequest(taker.say("That answer does not fit this part.", "答案与这一部分不符。"))),
    };
    let (Some(column), next) = (step.column(), step.next()) else {
        return Err(AppError::Conflict(taker.say("The test is finished.", "测试已经完成。")));
    };
    Ok(state.store.answer_candidate_step(taker.row.id, step.as_str(), next.as_str(), column, &stored, (next == Step::Done).then_some(now)).await?)
}
