//! CSAT surveys over HTTP. Learners answer with the token of their link, no sign-in: the
//! widget's pop-up uses `GET`/`POST /api/v1/surveys/{token}` (JSON); every other channel's
//! link opens the server-rendered page `/survey/{token}` (a form that works without
//! JavaScript; `?rating=N`, the one-click links of the email, records the rating at once),
//! SMS carries the short `/s/{token}`. Staff read the answers and the CSAT figures
//! (`GET /api/v1/surveys`: supervisors all, agents their own) and the feedback routed to
//! their teams (`/api/v1/feedback-items`).

use axum::{
    extract::{Form, Query, State, rejection::FormRejection},
    http::StatusCode,
    response::{Redirect, Response},
};
use edudesk_core::{Principal, lang::Lang};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    ApiJson, ApiPath, ApiQuery,
    client_ip::ClientIp,
    pages::{escape_html, html_page},
    session::Auth,
};
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::surveys::{self, AnswerInput, CsatSummary, SurveyView},
    store::surveys::{FeedbackItem, Survey},
};

/// A survey's questions and answers, for the widget's pop-up.
#[utoipa::path(get, path = "/api/v1/surveys/{token}", tag = "surveys", params(("token" = String, Path)),
    responses((status = 200, body = SurveyView), (status = 404, body = crate::error::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn get(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> AppResult<ApiJson<SurveyView>> {
    let survey = surveys::find(&state, &token).await?;
    Ok(ApiJson(SurveyView::of(&survey, state.clock.now_ms())))
}

/// Answers a survey (the learner's link is the credential); answers may change until it closes.
#[utoipa::path(post, path = "/api/v1/surveys/{token}", tag = "surveys", params(("token" = String, Path)), request_body = AnswerInput,
    responses((status = 200, body = SurveyView), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem), (status = 429, body = crate::error::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn answer(
    State(state): State<AppState>,
    client_ip: ClientIp,
    ApiPath(token): ApiPath<String>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> AppResult<ApiJson<SurveyView>> {
    super::client_ip::public_write(&state, client_ip)?;
    let survey = surveys::answer(&state, &token, input).await?;
    Ok(ApiJson(SurveyView::of(&survey, state.clock.now_ms())))
}

/// The learner's own survey of a conversation: only the learner who owns it (staff are
/// refused, so nobody answers a survey in a learner's name; another learner's is not found).
async fn learners_survey(state: &AppState, auth: &Auth, conversation_id: i64) -> AppResult<Survey> {
    if auth.principal.staff().is_some() {
        return Err(AppError::Forbidden("only the learner answers their survey".to_owned()));
    }
    crate::services::conversations::access(state, auth.principal, conversation_id).await?;
    Ok(state.store.survey_of_conversation(conversation_id).await?)
}

/// The survey sent after one's conversation, for the widget's pop-up (the learner who owns it).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/survey", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn get_own(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<SurveyView>> {
    let survey = learners_survey(&state, &auth, id).await?;
    Ok(ApiJson(SurveyView::of(&survey, state.clock.now_ms())))
}

/// Answers the survey of one's conversation with one's widget session (the learner who owns it).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/survey", tag = "surveys", params(("id" = i64, Path)), request_body = AnswerInput,
    responses((status = 200, body = SurveyView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn answer_own(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AnswerInput>,
) -> AppResult<ApiJson<SurveyView>> {
    let survey = learners_survey(&state, &auth, id).await?;
    let survey = surveys::answer(&state, &survey.token, input).await?;
    Ok(ApiJson(SurveyView::of(&survey, state.clock.now_ms())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SurveyListParams {
    /// Supervisors and admins: one agent's surveys (agents always see their own).
    pub agent_id: Option<i64>,
    /// At most this many (1 to 500, default 100).
    pub limit: Option<i64>,
}

/// Answered surveys with their CSAT figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyReport {
    pub summary: CsatSummary,
    pub surveys: Vec<Survey>,
}

/// Answered surveys, newest first, and their CSAT, average rating, solved share and NPS:
/// supervisors and admins see everyone's (or one agent's), agents their own.
#[utoipa::path(get, path = "/api/v1/surveys", tag = "surveys", params(SurveyListParams),
    responses((status = 200, body = SurveyReport), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<SurveyListParams>) -> AppResult<ApiJson<SurveyReport>> {
    let staff = auth.staff()?;
    let limit = params.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::BadRequest("limit: must be between 1 and 500".to_owned()));
    }
    let agent = if staff.role.oversees_all() {
        params.agent_id
    } else if params.agent_id.is_some_and(|id| id != staff.user_id) {
        return Err(AppError::Forbidden("agents see their own surveys".to_owned()));
    } else {
        Some(staff.user_id)
    };
    let surveys = state.store.answered_surveys(agent, limit).await?;
    Ok(ApiJson(SurveyReport { summary: CsatSummary::of(&surveys), surveys }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedbackParams {
    /// Only items with this status.
    pub status: Option<String>,
}

/// Feedback from survey comments: supervisors and admins see all, others their teams'.
#[utoipa::path(get, path = "/api/v1/feedback-items", tag = "surveys", params(FeedbackParams),
    responses((status = 200, body = Vec<FeedbackItem>), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn feedback_items(State(state): State<AppState>, auth: Auth, ApiQuery(params): ApiQuery<FeedbackParams>) -> AppResult<ApiJson<Vec<FeedbackItem>>> {
    let staff = auth.staff()?;
    if let Some(status) = params.status.as_deref().filter(|status| !surveys::FEEDBACK_STATUSES.contains(status)) {
        return Err(AppError::Unprocessable(format!("status: '{status}' is not one of {}", surveys::FEEDBACK_STATUSES.join(", "))));
    }
    let teams = if staff.role.oversees_all() { None } else { Some(state.store.user_teams(staff.user_id).await?) };
    Ok(ApiJson(state.store.feedback_items(teams.as_deref(), params.status.as_deref(), 500).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackUpdate {
    /// `new`, `acknowledged`, `planned`, `done` or `wont_do`.
    pub status: String,
}

/// Moves a feedback item along (its owning team, supervisors, admins).
#[utoipa::path(patch, path = "/api/v1/feedback-items/{id}", tag = "surveys", params(("id" = i64, Path)), request_body = FeedbackUpdate,
    responses((status = 200, body = FeedbackItem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(feedback_item = id))]
pub async fn update_feedback(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(update): ApiJson<FeedbackUpdate>,
) -> AppResult<ApiJson<FeedbackItem>> {
    let staff = match auth.principal {
        Principal::Staff(staff) => staff,
        Principal::Learner { .. } => return Err(AppError::Forbidden("this needs a staff account".to_owned())),
    };
    Ok(ApiJson(surveys::set_feedback_status(&state, staff, id, &update.status).await?))
}

// ---- the survey page (every channel's link) --------------------------------------------

#[derive(Debug, Deserialize)]
pub struct PageParams {
    /// One-click rating from the email.
    rating: Option<String>,
    lang: Option<String>,
}

/// The survey page's form fields (empty ones are unanswered).
#[derive(Debug, Deserialize)]
pub struct SurveyForm {
    rating: Option<String>,
    resolved: Option<String>,
    nps: Option<String>,
    comment: Option<String>,
}

/// `/s/{token}`: the SMS's short link.
pub async fn short_link(ApiPath(token): ApiPath<String>) -> Redirect {
    Redirect::to(&format!("/survey/{}", token.chars().filter(char::is_ascii_alphanumeric).collect::<String>()))
}

/// `GET /survey/{token}`: the form; with `?rating=N` (the email's links) the rating is recorded first.
pub async fn page(State(state): State<AppState>, client_ip: ClientIp, ApiPath(token): ApiPath<String>, Query(params): Query<PageParams>) -> Response {
    let survey = match surveys::find(&state, &token).await {
        Ok(survey) => survey,
        Err(error) => return problem_page(Lang::pick(None, params.lang.as_deref(), None), &error),
    };
    let lang = Lang::pick(None, params.lang.as_deref(), Some(&survey.lang));
    let mut notice = None;
    let survey = match params.rating.as_deref().map(str::parse::<i64>) {
        Some(Ok(rating)) => {
            let recorded = match super::client_ip::public_write(&state, client_ip) {
                Ok(()) => surveys::answer(&state, &token, AnswerInput { rating: Some(rating), ..AnswerInput::default() }).await,
                Err(error) => Err(error),
            };
            match recorded {
                Ok(answered) => {
                    notice = Some(text(lang, "Thanks! Tell us a little more if you like:", "谢谢您的评分！愿意的话再多告诉我们一点："));
                    answered
                }
                Err(error) => return problem_page(lang, &error),
            }
        }
        Some(Err(_)) => return problem_page(lang, &AppError::Unprocessable("rating: 1 to 5".to_owned())),
        None => survey,
    };
    form_page(lang, &token, &survey, notice, StatusCode::OK)
}

/// `POST /survey/{token}`: the form's answers; a thank-you page.
pub async fn submit(
    State(state): State<AppState>,
    client_ip: ClientIp,
    ApiPath(token): ApiPath<String>,
    Query(params): Query<PageParams>,
    form: Result<Form<SurveyForm>, FormRejection>,
) -> Response {
    let lang = Lang::pick(None, params.lang.as_deref(), None);
    let Ok(Form(form)) = form else {
        return problem_page(lang, &AppError::BadRequest("the form could not be read; please try again".to_owned()));
    };
    let number = |field: &str, value: Option<&str>| -> AppResult<Option<i64>> {
        match value.map(str::trim).filter(|value| !value.is_empty()) {
            None => Ok(None),
            Some(raw) => raw.parse().map(Some).map_err(|_| AppError::Unprocessable(format!("{field}: a number"))),
        }
    };
    let input = (|| -> AppResult<AnswerInput> {
        Ok(AnswerInput {
            rating: number("rating", form.rating.as_deref())?,
            resolved: match form.resolved.as_deref() {
                Some("yes") => Some(true),
                Some("no") => Some(false),
                _ => None,
            },
            nps: number("nps", form.nps.as_deref())?,
            comment: form.comment.clone(),
        })
    })();
    let outcome = match (super::client_ip::public_write(&state, client_ip), input) {
        (Ok(()), Ok(input)) => surveys::answer(&state, &token, input).await,
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    match outcome {
        Ok(survey) => {
            let lang = Lang::pick(None, params.lang.as_deref(), Some(&survey.lang));
            let body = format!(
                "<h1>{}</h1><p>{}</p>",
                text(lang, "Thank you!", "谢谢您的评价！"),
                text(lang, "Your answers help us serve you better.", "您的反馈会帮助我们做得更好。")
            );
            html_page(lang, text(lang, "Thank you", "谢谢"), &body, StatusCode::OK)
        }
        Err(error) => problem_page(lang, &error),
    }
}

fn text(lang: Lang, en: &'static str, zh: &'static str) -> &'static str {
    if lang == Lang::Zh { zh } else { en }
}

fn form_page(lang: Lang, token: &str, survey: &Survey, notice: Option<&str>, status: StatusCode) -> Response {
    let t = |en, zh| text(lang, en, zh);
    let checked = |on: bool| if on { " checked" } else { "" };
    let labels = if lang == Lang::Zh {
        ["很不满意", "不满意", "一般", "满意", "非常满意"]
    } else {
        ["Very unhappy", "Unhappy", "OK", "Happy", "Very happy"]
    };
    let ratings: String = (1..=5)
        .rev()
        .map(|r| {
            format!(
                "<label><input type=\"radio\" name=\"rating\" value=\"{r}\"{}> {} {}</label>",
                checked(survey.rating == Some(r)),
                "★".repeat(r as usize),
                labels[r as usize - 1]
            )
        })
        .collect();
    let solved = survey.resolved.map(|value| value != 0);
    let nps = if survey.with_nps != 0 {
        let scores: String = (0..=10)
            .map(|n| format!("<label class=\"nps\"><input type=\"radio\" name=\"nps\" value=\"{n}\"{}> {n}</label>", checked(survey.nps == Some(n))))
            .collect();
        format!(
            "<fieldset><legend>{}</legend>{scores}</fieldset>",
            t("How likely are you to recommend us to a friend? (0–10)", "您有多大可能把我们推荐给朋友？（0–10）")
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1>{notice}<form method=\"post\" action=\"/survey/{token}?lang={code}\">\
         <fieldset><legend>{q_rating}</legend>{ratings}</fieldset>\
         <fieldset><legend>{q_solved}</legend><label><input type=\"radio\" name=\"resolved\" value=\"yes\"{yes}> {yes_label}</label>\
         <label><input type=\"radio\" name=\"resolved\" value=\"no\"{no}> {no_label}</label></fieldset>{nps}\
         <p><label for=\"comment\">{q_comment}</label><br><textarea id=\"comment\" name=\"comment\" rows=\"4\" maxlength=\"2000\">{comment}</textarea></p>\
         <p><button type=\"submit\">{send}</button></p></form>",
        title = t("How did we do?", "您对这次服务满意吗？"),
        notice = notice.map(|notice| format!("<p class=\"notice\">{}</p>", escape_html(notice))).unwrap_or_default(),
        token = escape_html(token),
        code = lang.code(),
        q_rating = t("Your rating", "您的评分"),
        q_solved = t("Is your problem solved?", "您的问题解决了吗？"),
        yes = checked(solved == Some(true)),
        no = checked(solved == Some(false)),
        yes_label = t("Yes", "解决了"),
        no_label = t("No", "没有"),
        q_comment = t("Anything else you want to tell us?", "还有什么想告诉我们的吗？"),
        comment = escape_html(survey.comment.as_deref().unwrap_or_default()),
        send = t("Send", "提交"),
    );
    html_page(lang, t("How did we do?", "服务评价"), &body, status)
}

fn problem_page(lang: Lang, error: &AppError) -> Response {
    let status = error.status();
    let detail = match (status, lang) {
        (StatusCode::NOT_FOUND, Lang::Zh) => "没有找到这份问卷，请检查链接。".to_owned(),
        (StatusCode::CONFLICT, Lang::Zh) => "这份问卷已经关闭，谢谢您。".to_owned(),
        (StatusCode::INTERNAL_SERVER_ERROR, _) => text(lang, "Something went wrong; please try again later.", "出错了，请稍后再试。").to_owned(),
        _ => error.to_string(),
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(%error, "survey page failed");
    }
    html_page(lang, text(lang, "Survey", "问卷"), &format!("<h1>{}</h1><p>{}</p>", text(lang, "Survey", "问卷"), escape_html(&detail)), status)
}
