//! Hiring over HTTP. Supervisors and admins use the API: `POST /api/v1/hiring/candidates`
//! (invite: the link is in the answer, once), `GET /api/v1/hiring/candidates[/{id}]` (the
//! results), `PUT /api/v1/hiring/candidates/{id}/review`. Candidates take the test on
//! `/hiring/{token}`: server-rendered pages, one part at a time, that work without script;
//! every answer is a form post followed by a redirect, and a refused answer comes back with
//! what was written still in the form.

use axum::{
    extract::{Form, State, rejection::FormRejection},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use edudesk_core::{
    hiring::{self, QUIZ},
    lang::Lang,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ApiJson, ApiPath,
    client_ip::{self, ClientIp},
    lang::Language,
    pages::{escape_html, html_page},
    session::Auth,
};
use crate::{
    AppState,
    error::{AppError, AppResult},
    services::hiring::{self as service, Answer, Candidate, Invitation, Step, Taker},
};

fn supervisor(auth: &Auth) -> AppResult<i64> {
    let staff = auth.staff()?;
    if !staff.role.oversees_all() {
        return Err(AppError::Forbidden("hiring is for supervisors and admins".to_owned()));
    }
    Ok(staff.user_id)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub name: String,
    pub email: Option<String>,
    /// The test page's language, `zh` (default) or `en`.
    pub lang: Option<String>,
    /// The tier they are considered for, 1 (default) to 3.
    pub tier: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Invited {
    pub candidate: Candidate,
    /// The candidate's personal test link (absolute when `public_url` is configured). It is
    /// shown only here: the server keeps a hash of it.
    pub link: String,
}

/// Invites a candidate to the hiring test (supervisors, admins).
#[utoipa::path(post, path = "/api/v1/hiring/candidates", tag = "hiring", request_body = InviteRequest,
    responses((status = 201, body = Invited), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn invite(State(state): State<AppState>, auth: Auth, ApiJson(request): ApiJson<InviteRequest>) -> AppResult<(StatusCode, ApiJson<Invited>)> {
    let invited_by = supervisor(&auth)?;
    let lang = match request.lang.as_deref() {
        None => Lang::Zh,
        Some(code) => match code {
            "zh" => Lang::Zh,
            "en" => Lang::En,
            other => return Err(AppError::Unprocessable(format!("lang: '{other}' is not zh or en"))),
        },
    };
    let invitation = Invitation { name: &request.name, email: request.email.as_deref(), lang, tier: request.tier.unwrap_or(1) };
    let (candidate, token) = service::invite(&state, invited_by, &invitation).await?;
    let link = format!("{}/hiring/{token}", state.config.public_url.as_deref().unwrap_or(""));
    Ok((StatusCode::CREATED, ApiJson(Invited { candidate, link })))
}

/// Candidates, newest first, with their results (supervisors, admins).
#[utoipa::path(get, path = "/api/v1/hiring/candidates", tag = "hiring",
    responses((status = 200, body = Vec<Candidate>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<Vec<Candidate>>> {
    supervisor(&auth)?;
    Ok(ApiJson(service::list(&state).await?))
}

/// One candidate with their answers (supervisors, admins).
#[utoipa::path(get, path = "/api/v1/hiring/candidates/{id}", tag = "hiring", params(("id" = i64, Path)),
    responses((status = 200, body = Candidate), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<Candidate>> {
    supervisor(&auth)?;
    Ok(ApiJson(service::get(&state, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The mark for the written answer, 1–5.
    pub score: i64,
    /// `hire`, `hold` or `reject`.
    pub decision: String,
    pub note: Option<String>,
}

/// Records the supervisor's review of a candidate who finished (a later one replaces it).
#[utoipa::path(put, path = "/api/v1/hiring/candidates/{id}/review", tag = "hiring", params(("id" = i64, Path)), request_body = ReviewRequest,
    responses((status = 200, body = Candidate), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn review(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<ReviewRequest>,
) -> AppResult<ApiJson<Candidate>> {
    let reviewer = supervisor(&auth)?;
    Ok(ApiJson(service::review(&state, id, reviewer, request.score, &request.decision, request.note.as_deref()).await?))
}

// ---- the candidate's pages -------------------------------------------------------------

fn text(lang: Lang, en: &'static str, zh: &'static str) -> &'static str {
    if lang == Lang::Zh { zh } else { en }
}

/// What a refused form had in it, to put back.
#[derive(Default)]
struct Kept<'a> {
    error: Option<String>,
    text: &'a str,
    choices: Vec<Option<usize>>,
}

/// The page for the candidate's current part.
fn step_page(token: &str, taker: &Taker, kept: &Kept<'_>, status: StatusCode) -> Response {
    let lang = taker.lang;
    let t = |en, zh| text(lang, en, zh);
    let action = format!("/hiring/{token}");
    let error = kept.error.as_deref().map(|error| format!("<p class=\"error\" id=\"error\">{}</p>", escape_html(error))).unwrap_or_default();
    let part = |n: usize, title: &str| format!("<h2>{} {n}/4 · {}</h2>", t("Part", "第"), escape_html(title));
    let body = match taker.step {
        Step::TypingZh | Step::TypingEn => {
            let (n, title) =
                if taker.step == Step::TypingZh { (1, t("Typing in Chinese", "中文打字")) } else { (2, t("Typing in English", "英文打字")) };
            if taker.row.step_started_at.is_none() {
                format!(
                    "{}{error}<p>{}</p><form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"step\" value=\"{}\">\
                     <input type=\"hidden\" name=\"action\" value=\"start\"><button id=\"start\">{}</button></form>",
                    part(n, title),
                    t(
                        "When you press Start, a short passage appears and the clock starts. Type it exactly as shown, then press Submit. Speed and accuracy both count.",
                        "点击“开始”后会出现一段文字，同时开始计时。请照原文准确输入，然后点击“提交”。速度和准确率都计入成绩。"
                    ),
                    taker.step.as_str(),
                    t("Start", "开始"),
                )
            } else {
                let script = taker.step.script().unwrap_or(hiring::Script::Zh);
                format!(
                    "{}{error}<p class=\"passage\" id=\"passage\">{}</p><form method=\"post\" action=\"{action}\">\
                     <input type=\"hidden\" name=\"step\" value=\"{}\"><input type=\"hidden\" name=\"action\" value=\"answer\">\
                     <textarea name=\"typed\" id=\"typed\" rows=\"5\" autocomplete=\"off\" spellcheck=\"false\" autofocus>{}</textarea>\
                     <p><button id=\"submit\">{}</button></p></form>",
                    part(n, title),
                    escape_html(hiring::passage(script, taker.row.id)),
                    taker.step.as_str(),
                    escape_html(kept.text),
                    t("Submit", "提交"),
                )
            }
        }
        Step::Empathy => format!(
            "{}{error}<p class=\"passage\" id=\"scenario\" style=\"white-space:pre-line\">{}</p><form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"step\" value=\"empathy\"><input type=\"hidden\" name=\"action\" value=\"answer\">\
             <textarea name=\"answer\" id=\"answer\" rows=\"8\">{}</textarea><p><button id=\"submit\">{}</button></p></form>",
            part(3, t("A learner needs you", "一位学员需要你")),
            escape_html(hiring::scenario(lang)),
            escape_html(kept.text),
            t("Submit", "提交"),
        ),
        Step::Quiz => {
            let questions: String = QUIZ
                .iter()
                .enumerate()
                .map(|(n, question)| {
                    let options: String = question
                        .options
                        .iter()
                        .enumerate()
                        .map(|(o, (zh, en))| {
                            let checked = if kept.choices.get(n).copied().flatten() == Some(o) { " checked" } else { "" };
                            format!(
                                "<label><input type=\"radio\" name=\"q{n}\" value=\"{o}\"{checked}> {}</label>",
                                escape_html(if lang == Lang::Zh { zh } else { en })
                            )
                        })
                        .collect();
                    format!(
                        "<fieldset data-question=\"{n}\"><legend>{}. {}</legend>{options}</fieldset>",
                        n + 1,
                        escape_html(if lang == Lang::Zh { question.zh } else { question.en })
                    )
                })
                .collect();
            format!(
                "{}{error}<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"step\" value=\"quiz\">\
                 <input type=\"hidden\" name=\"action\" value=\"answer\">{questions}<p><button id=\"submit\">{}</button></p></form>",
                part(4, t("Quiz", "选择题")),
                t("Submit", "提交"),
            )
        }
        Step::Done => {
            format!("<p id=\"done\">{}</p>", t("Thank you! Your answers are in; the team will be in touch.", "谢谢！你的答卷已提交，我们会尽快与你联系。"))
        }
    };
    let title = t("EduDesk support hiring test", "EduDesk 客服招聘测试");
    let greeting = format!("<p>{} {}</p>", t("Hello,", "你好，"), escape_html(&taker.row.name));
    html_page(lang, title, &format!("<h1>{title}</h1>{greeting}{body}"), status)
}

fn problem_page(lang: Lang, error: &AppError) -> Response {
    let status = error.status();
    let detail = match (status, lang) {
        (StatusCode::NOT_FOUND, Lang::Zh) => "没有找到这份测试，请检查链接。".to_owned(),
        (StatusCode::GONE, Lang::Zh) => "这个测试链接已过期，请联系招聘负责人重新发送。".to_owned(),
        (StatusCode::INTERNAL_SERVER_ERROR, _) => text(lang, "Something went wrong; please try again later.", "出错了，请稍后再试。").to_owned(),
        _ => error.to_string(),
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(%error, "hiring page failed");
    }
    let title = text(lang, "EduDesk support hiring test", "EduDesk 客服招聘测试");
    html_page(lang, title, &format!("<h1>{title}</h1><p class=\"error\" id=\"error\">{}</p>", escape_html(&detail)), status)
}

/// `GET /hiring/{token}`: the candidate's current part.
pub async fn page(State(state): State<AppState>, Language(lang): Language, ApiPath(token): ApiPath<String>) -> Response {
    match service::taker(&state, &token).await {
        Ok(taker) => step_page(&token, &taker, &Kept::default(), StatusCode::OK),
        Err(error) => problem_page(link_lang(&state, &token, lang, &error).await, &error),
    }
}

/// The language for a refusal: the candidate's when the link exists, else the browser's.
async fn link_lang(state: &AppState, token: &str, browser: Lang, error: &AppError) -> Lang {
    match error {
        AppError::Gone(_) => service::link_lang(state, token).await.unwrap_or(browser),
        _ => browser,
    }
}

/// `POST /hiring/{token}`: starts a typing passage or answers the current part, then
/// redirects to the next; a refused answer is shown again with the reason.
pub async fn submit(
    State(state): State<AppState>,
    Language(lang): Language,
    client_ip: ClientIp,
    ApiPath(token): ApiPath<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let taker = match client_ip::public_write(&state, client_ip) {
        Ok(()) => service::taker(&state, &token).await,
        Err(error) => Err(error),
    };
    let taker = match taker {
        Ok(taker) => taker,
        Err(error) => return problem_page(link_lang(&state, &token, lang, &error).await, &error),
    };
    let Ok(Form(fields)) = form else {
        let kept = Kept {
            error: Some(text(taker.lang, "The form could not be read; please try again.", "无法读取表单，请重试。").to_owned()),
            ..Kept::default()
        };
        return step_page(&token, &taker, &kept, StatusCode::BAD_REQUEST);
    };
    let field = |name: &str| fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let choices: Vec<Option<usize>> = (0..QUIZ.len()).map(|n| field(&format!("q{n}")).and_then(|value| value.parse().ok())).collect();
    let text_sent = field("typed").or(field("answer")).unwrap_or("");
    let outcome = async {
        let step = [Step::TypingZh, Step::TypingEn, Step::Empathy, Step::Quiz]
            .into_iter()
            .find(|step| Some(step.as_str()) == field("step"))
            .ok_or_else(|| AppError::BadRequest(taker.say("The form names no part of the test.", "表单缺少测试部分。")))?;
        match field("action") {
            Some("start") => service::start_typing(&state, &taker, step).await,
            Some("answer") => {
                let answer = match step {
                    Step::TypingZh | Step::TypingEn => Answer::Typed(field("typed").unwrap_or("")),
                    Step::Empathy => Answer::Written(field("answer").unwrap_or("")),
                    _ => Answer::Quiz(&choices),
                };
                service::answer(&state, &taker, step, answer).await
            }
            _ => Err(AppError::BadRequest(taker.say("The form has no action (start or answer).", "表单缺少操作（开始或提交）。"))),
        }
    }
    .await;
    match outcome {
        Ok(()) => Redirect::to(&format!("/hiring/{token}")).into_response(),
        Err(error @ AppError::Internal(_)) => problem_page(taker.lang, &error),
        Err(error) => {
            // Shown on the part the candidate is on now (reloaded: a conflict means it moved on).
            let status = error.status();
            let taker = service::taker(&state, &token).await.unwrap_or(taker);
            let kept = Kept { error: Some(error.to_string()), text: text_sent, choices };
            step_page(&token, &taker, &kept, status)
        }
    }
}
