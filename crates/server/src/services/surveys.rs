//! CSAT surveys: some minutes after a conversation a person served is resolved, the learner
//! is asked — through the conversation's own channel — how it went: a rating (1–5), whether
//! the problem is solved, a comment, and for a sampled share of learners "would you
//! recommend us?" (NPS, 0–10). The widget shows the question as a pop-up in the chat; email
//! carries one-click rating links; SMS a short link; WeChat and other channels the link.
//! A learner gets at most one survey in `csat_min_days_between` days. Answers are tied to the
//! conversation and the agent; a comment about the product, the app or support itself is
//! filed for the team that owns it (`product`, `tech`, `ops`), with a status they keep.

use edudesk_core::{Channel, Status, feedback};
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    AppState,
    error::{AppError, AppResult},
    services::{delivery, messages},
    store::{
        conversations::Conversation,
        error::StoreError,
        messages::{Author, Message},
        surveys::{Answers, FeedbackItem, NewSurvey, Survey},
    },
};

/// Job kind that sends one conversation's survey.
pub const SEND_SURVEY: &str = "csat_survey";
/// Days a survey can be answered.
const OPEN_DAYS: i64 = 7;
/// Characters of a token: short enough for an SMS, long enough not to be guessed (~95 bits).
const TOKEN_CHARS: usize = 16;
/// Longest comment kept.
const MAX_COMMENT_CHARS: usize = 2000;
/// The statuses a feedback item moves through.
pub const FEEDBACK_STATUSES: &[&str] = &["new", "acknowledged", "planned", "done", "wont_do"];

/// After a conversation is resolved: its survey is scheduled (once), if a person served it —
/// its assignee, else the staff member who resolved it.
pub async fn after_resolve(state: &AppState, conversation: &Conversation, resolved_by: Option<i64>) -> AppResult<()> {
    let Some(agent_id) = conversation.assignee_id.or(resolved_by) else { return Ok(()) };
    if !state.config.csat_enabled {
        return Ok(());
    }
    let now = state.clock.now_ms();
    let at = now + (state.config.csat_delay_minutes as i64) * 60_000;
    let payload = serde_json::json!({"conversation_id": conversation.id, "agent_id": agent_id});
    state.store.enqueue_job_for(SEND_SURVEY, &payload, at, Some(&format!("csat:{}", conversation.id)), now, Some(conversation.id)).await?;
    Ok(())
}

/// The `csat_survey` job: sends the survey unless the conversation was reopened, the learner
/// was asked recently, or their data was erased.
pub async fn send(state: &AppState, payload: &str) -> AppResult<()> {
    #[derive(Deserialize)]
    struct Payload {
        conversation_id: i64,
        agent_id: Option<i64>,
    }
    let payload: Payload = serde_json::from_str(payload).map_err(|error| AppError::Internal(error.into()))?;
    let conversation = match state.store.conversation(payload.conversation_id).await {
        Ok(conversation) => conversation,
        Err(StoreError::NotFound(_)) => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    if !matches!(conversation.status, Status::Resolved | Status::Closed) {
        return Ok(());
    }
    let contact = state.store.contact(conversation.contact_id).await?;
    if state.store.contact_erased(contact.id).await? {
        return Ok(());
    }
    let now = state.clock.now_ms();
    let quiet_ms = (state.config.csat_min_days_between as i64) * 24 * 3_600_000;
    if state.store.last_survey_sent(contact.id).await?.is_some_and(|last| now - last < quiet_ms) {
        return Ok(());
    }
    let learner_text: String = state
        .store
        .messages(conversation.id, 0, false, 50)
        .await?
        .iter()
        .filter(|m| m.author_kind == edudesk_core::AuthorKind::Contact)
        .map(|m| m.body.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let lang = if learner_text.is_empty() || edudesk_bot::features::looks_chinese(&learner_text) { "zh" } else { "en" };
    let (token, with_nps) = {
        let mut rng = rand::thread_rng();
        let token: String = (0..TOKEN_CHARS).map(|_| rng.sample(rand::distributions::Alphanumeric) as char).collect();
        (token, rng.gen_range(0..100) < state.config.nps_sample_percent)
    };
    let new = NewSurvey {
        token: &token,
        conversation_id: conversation.id,
        contact_id: contact.id,
        agent_id: payload.agent_id.or(conversation.assignee_id),
        channel: conversation.channel.as_str(),
        with_nps,
        lang,
        sent_at: now,
        expires_at: now + OPEN_DAYS * 24 * 3_600_000,
    };
    let (survey, created) = state.store.create_survey(&new).await?;
    if !created {
        return Ok(());
    }
    let body = invitation(state.config.public_url.as_deref().unwrap_or(""), &survey, conversation.channel);
    let appended = messages::append(state, conversation.id, Author::System, body, false, None, "csat").await?;
    delivery::send_to_learner(state, &appended.message).await
}

/// Where the survey's secret token goes in an invitation. The message is stored and shown to
/// staff with this placeholder, so nobody but the learner can answer (an agent rating
/// themselves); the real link is put in only on the way out to the learner ([`for_learner`]),
/// and the widget answers with the learner's session instead of the token.
pub const TOKEN_PLACEHOLDER: &str = "{survey}";

/// A message as the learner receives it on an outside channel: an invitation's placeholder
/// links become the survey's real ones. Any other message is returned as it is.
pub async fn for_learner(state: &AppState, mut message: Message) -> AppResult<Message> {
    if message.author_kind == edudesk_core::AuthorKind::System && message.body.contains(TOKEN_PLACEHOLDER) {
        let survey = state.store.survey_of_conversation(message.conversation_id).await?;
        message.body = message.body.replace(TOKEN_PLACEHOLDER, &survey.token);
    }
    Ok(message)
}

/// The survey's message in the learner's language, shaped for its channel; links are
/// absolute with `base` (the public URL) when there is one, with [`TOKEN_PLACEHOLDER`] for
/// the token.
fn invitation(base: &str, survey: &Survey, channel: Channel) -> String {
    let base = base.trim_end_matches('/');
    let link = format!("{base}/survey/{TOKEN_PLACEHOLDER}");
    let zh = survey.lang == "zh";
    match channel {
        // One click in the mail records the rating; the page then asks the rest.
        Channel::Email => {
            let labels =
                if zh { ["很不满意", "不满意", "一般", "满意", "非常满意"] } else { ["Very unhappy", "Unhappy", "OK", "Happy", "Very happy"] };
            let lines: Vec<String> = (1..=5).rev().map(|rating| format!("{} {}: {link}?rating={rating}", "★".repeat(rating), labels[rating - 1])).collect();
            let intro = if zh {
                "您好！您的问题已处理完毕。您对这次服务满意吗？点一下即可评分："
            } else {
                "Hello! Your request has been resolved. How did we do? One click to rate:"
            };
            format!("{intro}\n\n{}", lines.join("\n"))
        }
        Channel::Sms => {
            let short = format!("{base}/s/{TOKEN_PLACEHOLDER}");
            if zh { format!("您对本次客服满意吗？请评分：{short}") } else { format!("How did we do? Rate us: {short}") }
        }
        _ if zh => format!("您好！您的问题已处理完毕。您对这次服务满意吗？请为我们评分：{link}"),
        _ => format!("Hello! Your request has been resolved. How did we do? Please rate us: {link}"),
    }
}

/// A learner's answers as they arrive (JSON from the widget, a form from the survey page).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// 1 (very unhappy) to 5 (very happy).
    pub rating: Option<i64>,
    /// Whether the problem is solved.
    pub resolved: Option<bool>,
    /// 0–10: how likely the learner is to recommend the platform (sampled surveys only).
    pub nps: Option<i64>,
    /// What the learner wants to tell us (at most 2000 characters).
    pub comment: Option<String>,
}

/// A survey as its learner sees it: the questions and what they answered so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyView {
    pub lang: String,
    /// Whether the NPS question is asked.
    pub asks_nps: bool,
    pub rating: Option<i64>,
    pub resolved: Option<bool>,
    pub nps: Option<i64>,
    pub comment: Option<String>,
    /// Until when answers are taken (UTC milliseconds).
    pub expires_at: i64,
    pub open: bool,
}

impl SurveyView {
    pub fn of(survey: &Survey, now: i64) -> SurveyView {
        SurveyView {
            lang: survey.lang.clone(),
            asks_nps: survey.with_nps != 0,
            rating: survey.rating,
            resolved: survey.resolved.map(|value| value != 0),
            nps: survey.nps,
            comment: survey.comment.clone(),
            expires_at: survey.expires_at,
            open: now <= survey.expires_at,
        }
    }
}

/// The survey behind a token from a link (404 for anything that is not one).
pub async fn find(state: &AppState, token: &str) -> AppResult<Survey> {
    if token.len() != TOKEN_CHARS || !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AppError::not_found("survey"));
    }
    Ok(state.store.survey_by_token(token).await?)
}

/// Records a learner's answers; a comment about the product, the app or support is filed
/// for its owners. Answers may change until the survey closes.
pub async fn answer(state: &AppState, token: &str, input: AnswerInput) -> AppResult<Survey> {
    if input.rating.is_some_and(|rating| !(1..=5).contains(&rating)) {
        return Err(AppError::Unprocessable("rating: 1 to 5".to_owned()));
    }
    if input.nps.is_some_and(|nps| !(0..=10).contains(&nps)) {
        return Err(AppError::Unprocessable("nps: 0 to 10".to_owned()));
    }
    let comment = input.comment.as_deref().map(str::trim).filter(|comment| !comment.is_empty()).map(str::to_owned);
    if comment.as_ref().is_some_and(|comment| comment.chars().count() > MAX_COMMENT_CHARS) {
        return Err(AppError::Unprocessable(format!("comment: at most {MAX_COMMENT_CHARS} characters")));
    }
    if input.rating.is_none() && input.resolved.is_none() && input.nps.is_none() && comment.is_none() {
        return Err(AppError::Unprocessable("answer at least one question (rating, resolved, nps, comment)".to_owned()));
    }
    let survey = find(state, token).await?;
    if input.nps.is_some() && survey.with_nps == 0 {
        return Err(AppError::Unprocessable("nps: this survey does not ask it".to_owned()));
    }
    let now = state.clock.now_ms();
    if now > survey.expires_at {
        return Err(AppError::Conflict("this survey has closed".to_owned()));
    }
    let answers = Answers { rating: input.rating, resolved: input.resolved, nps: input.nps, comment: comment.clone() };
    let answered = state.store.answer_survey(survey.id, &answers, now).await?;
    if let Some(area) = comment.as_deref().and_then(feedback::classify) {
        // The owning team is named after its area (`product`, `tech`, `ops`).
        let text = comment.unwrap_or_default();
        state.store.file_feedback(&answered, area.as_str(), area.as_str(), &text, now).await?;
    }
    Ok(answered)
}

/// The CSAT figures of a set of answered surveys.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CsatSummary {
    /// Surveys with a rating.
    pub rated: usize,
    /// Average rating (1–5).
    pub average_rating: Option<f64>,
    /// Share of ratings that are 4 or 5 (the usual CSAT score), 0–1.
    pub csat: Option<f64>,
    /// Share of answers saying the problem is solved, 0–1.
    pub solved_share: Option<f64>,
    /// NPS answers, and the score: % promoters (9–10) minus % detractors (0–6).
    pub nps_answers: usize,
    pub nps: Option<f64>,
}

impl CsatSummary {
    pub fn of(surveys: &[Survey]) -> CsatSummary {
        let ratings: Vec<i64> = surveys.iter().filter_map(|s| s.rating).collect();
        let solved: Vec<i64> = surveys.iter().filter_map(|s| s.resolved).collect();
        let nps: Vec<i64> = surveys.iter().filter_map(|s| s.nps).collect();
        let share = |count: usize, of: usize| (of > 0).then(|| count as f64 / of as f64);
        CsatSummary {
            rated: ratings.len(),
            average_rating: share(ratings.iter().sum::<i64>() as usize, ratings.len()),
            csat: share(ratings.iter().filter(|r| **r >= 4).count(), ratings.len()),
            solved_share: share(solved.iter().filter(|s| **s != 0).count(), solved.len()),
            nps_answers: nps.len(),
            nps: share(nps.iter().filter(|n| **n >= 9).count(), nps.len())
                .zip(share(nps.iter().filter(|n| **n <= 6).count(), nps.len()))
                .map(|(promoters, detractors)| ((promoters - detractors) * 100.0).round()),
        }
    }
}

/// Changes a feedback item's status: supervisors and admins, or a member of the owning team.
pub async fn set_feedback_status(state: &AppState, staff: edudesk_core::StaffPrincipal, id: i64, status: &str) -> AppResult<FeedbackItem> {
    if !FEEDBACK_STATUSES.contains(&status) {
        return Err(AppError::Unprocessable(format!("status: one of {}", FEEDBACK_STATUSES.join(", "))));
    }
    let item = state.store.feedback_item(id).await?;
    if !staff.role.oversees_all() && !state.store.user_teams(staff.user_id).await?.contains(&item.owner_team) {
        return Err(AppError::Forbidden(format!("only the {} team or a supervisor updates this feedback", item.owner_team)));
    }
    Ok(state.store.set_feedback_status(id, status, staff.user_id, state.clock.now_ms()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey(rating: Option<i64>, resolved: Option<i64>, nps: Option<i64>) -> Survey {
        Survey {
            id: 1,
            token: String::new(),
            conversation_id: 1,
            contact_id: 1,
            agent_id: None,
            channel: "widget".to_owned(),
            with_nps: 1,
            lang: "zh".to_owned(),
            sent_at: 0,
            expires_at: 0,
            rating,
            resolved,
            nps,
            comment: None,
            answered_at: Some(0),
        }
    }

    #[test]
    fn csat_is_the_share_of_happy_ratings_and_nps_promoters_minus_detractors() {
        let answers = [survey(Some(5), Some(1), Some(10)), survey(Some(4), Some(1), Some(9)), survey(Some(2), Some(0), Some(3)), survey(None, None, Some(7))];
        let summary = CsatSummary::of(&answers);
        assert_eq!(summary.rated, 3);
        assert_eq!(summary.csat.map(|c| (c * 1000.0).round()), Some(667.0));
        assert_eq!(summary.average_rating.map(|a| (a * 100.0).round()), Some(367.0));
        assert_eq!(summary.solved_share.map(|s| (s * 1000.0).round()), Some(667.0));
        // 2 promoters, 1 detractor, 1 passive of 4: 50 % − 25 % = 25.
        assert_eq!((summary.nps_answers, summary.nps), (4, Some(25.0)));
        assert_eq!(CsatSummary::of(&[]).csat, None);
    }

    #[test]
    fn each_channel_gets_the_survey_in_its_shape() {
        let mut asked = survey(None, None, None);
        asked.token = "Abc123Abc123Abc1".to_owned();
        // Stored (and shown to staff) without the token; the learner's copy gets it on the way out.
        let learner = |text: String| text.replace(TOKEN_PLACEHOLDER, &asked.token);
        let email = invitation("https://help.example.com/", &asked, Channel::Email);
        assert!(!email.contains("Abc123Abc123Abc1") && email.contains("/survey/{survey}?rating=5"), "{email}");
        let email = learner(email);
        for rating in 1..=5 {
            assert!(email.contains(&format!("https://help.example.com/survey/Abc123Abc123Abc1?rating={rating}")), "one click per rating: {email}");
        }
        let sms = learner(invitation("https://help.example.com", &asked, Channel::Sms));
        assert!(sms.ends_with("https://help.example.com/s/Abc123Abc123Abc1") && sms.chars().count() < 70, "short: {sms}");
        let widget = invitation("", &asked, Channel::Widget);
        assert!(widget.contains("/survey/{survey}") && widget.contains("评分") && !widget.contains("Abc123"), "{widget}");
        asked.lang = "en".to_owned();
        assert!(invitation("", &asked, Channel::Wechat).contains("How did we do?"));
    }
}
