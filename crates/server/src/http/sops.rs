//! SOPs over HTTP: `GET /api/v1/sops`, `PUT /api/v1/sops/{id}` (a new version),
//! `POST /api/v1/conversations/{id}/sop` (run one), `GET .../sop` (the current step,
//! script rendered) and `POST .../sop/answers` (record answers, advance).

use std::collections::BTreeMap;

use axum::{
    extract::State,
    http::{HeaderMap, header},
};
use edudesk_core::{
    Access, Principal, Tier,
    sop::{Advance, Localized, Question, Sop, SopError, StepKind, render},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, ApiPath, authorize};
use crate::{
    AppState,
    error::{AppError, AppResult},
    http::session::Auth,
    realtime::Event,
    store::{conversations::Conversation, events::Actor, now_ms, routing::Escalation},
};

impl From<SopError> for AppError {
    fn from(error: SopError) -> Self {
        match error {
            SopError::Missing(_) | SopError::Finished => AppError::Conflict(error.to_string()),
            SopError::Invalid(_) | SopError::BadAnswer(_) => AppError::Unprocessable(error.to_string()),
        }
    }
}

/// Every SOP, latest versions (staff).
#[utoipa::path(get, path = "/api/v1/sops", tag = "sops", responses((status = 200, body = Vec<Object>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<Vec<Sop>>> {
    auth.staff()?;
    Ok(ApiJson(state.store.sops().await?.as_ref().clone()))
}

/// Saves a SOP as a new version (supervisors and admins); conversations already running it
/// keep the version they started with.
#[utoipa::path(put, path = "/api/v1/sops/{id}", tag = "sops", params(("id" = String, Path)), request_body = Object,
    responses((status = 200, body = Object), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn save(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<String>, ApiJson(sop): ApiJson<Sop>) -> AppResult<ApiJson<Sop>> {
    let staff = auth.staff()?;
    if !staff.role.oversees_all() {
        return Err(AppError::Forbidden("only supervisors and admins edit SOPs".to_owned()));
    }
    if sop.id != id {
        return Err(AppError::Unprocessable(format!("id: the body says '{}' but the path says '{id}'", sop.id)));
    }
    sop.validate()?;
    let version = state.store.save_sop(&sop, Some(staff.user_id), now_ms()).await?;
    Ok(ApiJson(state.store.sop(&id, Some(version)).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSop {
    pub sop_id: String,
}

/// Answers as `{"answers": {...}, "advance": true}`, or flat (`{"device": "phone", ...}`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(try_from = "serde_json::Map<String, serde_json::Value>")]
pub struct SopAnswers {
    /// Answers by question id: a choice's option, `yes`/`no`, or text.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, String>,
    /// Complete the current step and move on (an `escalate` step escalates).
    #[serde(default)]
    pub advance: bool,
}

impl TryFrom<serde_json::Map<String, serde_json::Value>> for SopAnswers {
    type Error = String;

    fn try_from(mut body: serde_json::Map<String, serde_json::Value>) -> Result<Self, Self::Error> {
        let advance = match body.remove("advance") {
            None => false,
            Some(serde_json::Value::Bool(advance)) => advance,
            Some(_) => return Err("advance: expected true or false".to_owned()),
        };
        let answers = match body.remove("answers") {
            Some(serde_json::Value::Object(nested)) if body.is_empty() => nested,
            Some(_) if !body.is_empty() => return Err("give answers either under \"answers\" or flat, not both".to_owned()),
            Some(_) => return Err("answers: expected an object".to_owned()),
            None => body,
        };
        let answers = answers
            .into_iter()
            .map(|(question, value)| match value {
                serde_json::Value::String(text) => Ok((question, text)),
                serde_json::Value::Bool(yes) => Ok((question, if yes { "yes" } else { "no" }.to_owned())),
                serde_json::Value::Number(number) => Ok((question, number.to_string())),
                _ => Err(format!("{question}: expected a string, a boolean or a number")),
            })
            .collect::<Result<_, _>>()?;
        Ok(SopAnswers { answers, advance })
    }
}

/// The current step as the console shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    pub id: String,
    /// say, ask, branch, self_help, escalate or follow_up.
    #[schema(value_type = String)]
    pub kind: StepKind,
    #[schema(value_type = Object)]
    pub title: Localized,
    pub mandatory: bool,
    /// `say`: the script with the learner's and agent's names filled in.
    pub script: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub questions: Vec<Question>,
    pub articles: Vec<String>,
    pub guide: Vec<String>,
    pub to_tier: Option<i64>,
}

/// A conversation's SOP run.
#[derive(Debug, Serialize, ToSchema)]
pub struct SopView {
    pub sop_id: String,
    pub version: i64,
    #[schema(value_type = Object)]
    pub title: Localized,
    pub step: Option<StepView>,
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, String>,
    pub completed: Vec<String>,
    /// Mandatory work still open: escalation and resolution wait for it.
    pub missing: Vec<String>,
    pub conversation: Conversation,
}

/// The view's language by the one rule (`?lang=` > `Accept-Language` > English).
fn language(headers: &HeaderMap) -> &'static str {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok());
    edudesk_core::lang::Lang::pick(None, None, accept).code()
}

/// The conversation, for staff who may work on it.
async fn workable(state: &AppState, auth: &Auth, id: i64) -> AppResult<Conversation> {
    match authorize(state, auth, id).await? {
        (conversation, Access::Staff) => Ok(conversation),
        _ => Err(AppError::Forbidden("only staff working on the conversation run its SOP".to_owned())),
    }
}

async fn view(state: &AppState, auth: &Auth, conversation: Conversation, lang: &str) -> AppResult<SopView> {
    let running = conversation.sop.clone().ok_or_else(|| AppError::NotFound("this conversation runs no SOP".to_owned()))?;
    let sop = state.store.sop(&running.id, Some(running.version)).await?;
    let progress = running.progress();
    let learner =
        state.store.contact(conversation.contact_id).await?.display_name.unwrap_or_else(|| if lang == "zh" { "同学".to_owned() } else { "there".to_owned() });
    let agent = match auth.principal {
        Principal::Staff(staff) => state.store.user(staff.user_id).await?.display_name,
        Principal::Learner { .. } => String::new(),
    };
    let step = running.step.as_deref().and_then(|id| sop.step(id)).map(|step| StepView {
        id: step.id.clone(),
        kind: step.kind,
        title: step.title.clone(),
        mandatory: step.mandatory,
        script: step.text.as_ref().filter(|_| step.kind == StepKind::Say).map(|text| render(text.get(lang), &learner, &agent)),
        questions: step.questions.clone(),
        articles: step.articles.clone(),
        guide: step.guide.iter().map(|line| line.get(lang).to_owned()).collect(),
        to_tier: step.to_tier,
    });
    Ok(SopView {
        sop_id: sop.id.clone(),
        version: sop.version,
        title: sop.title.clone(),
        step,
        missing: sop.missing(&progress),
        answers: progress.answers,
        completed: progress.completed,
        conversation,
    })
}

/// Starts a SOP on a conversation (staff), replacing the one it ran.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/sop", tag = "sops", params(("id" = i64, Path)), request_body = StartSop,
    responses((status = 200, body = SopView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn start(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<StartSop>,
) -> AppResult<ApiJson<SopView>> {
    let current = workable(&state, &auth, id).await?;
    let staff = auth.staff()?;
    // A SOP being worked is not swapped for another while its mandatory steps are open
    // (which would slip past them), except by a supervisor.
    if !staff.role.oversees_all() {
        crate::services::sops::require_complete(crate::services::sops::definition(&state, &current).await?.as_ref(), &current, "switch to another SOP")?;
    }
    let sop = state.store.sop(&request.sop_id, None).await?;
    let before = current.sop.as_ref().map(|running| running.progress());
    let actor = Actor { user_id: Some(staff.user_id), contact_id: None };
    let conversation = state.store.set_sop_progress(id, &sop, before.as_ref(), &sop.start(), actor, true, now_ms()).await?;
    state.bus.publish(Event::conversation(&conversation)).await;
    Ok(ApiJson(view(&state, &auth, conversation, language(&headers)).await?))
}

/// The SOP run of a conversation: its current step and what is still missing.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/sop", tag = "sops", params(("id" = i64, Path)),
    responses((status = 200, body = SopView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn get(State(state): State<AppState>, auth: Auth, headers: HeaderMap, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<SopView>> {
    let conversation = workable(&state, &auth, id).await?;
    Ok(ApiJson(view(&state, &auth, conversation, language(&headers)).await?))
}

/// Records answers and, with `advance`, completes the current step and moves on. An
/// `escalate` step moves the conversation to its tier with the answers as the note.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/sop/answers", tag = "sops", params(("id" = i64, Path)), request_body = SopAnswers,
    responses((status = 200, body = SopView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(conversation_id = id))]
pub async fn answer(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(request): ApiJson<SopAnswers>,
) -> AppResult<ApiJson<SopView>> {
    let conversation = workable(&state, &auth, id).await?;
    let staff = auth.staff()?;
    let running = conversation.sop.clone().ok_or_else(|| AppError::NotFound("this conversation runs no SOP".to_owned()))?;
    let sop = state.store.sop(&running.id, Some(running.version)).await?;
    let before = running.progress();
    let mut progress = before.clone();
    sop.engage(&mut progress);
    sop.answer(&mut progress, &request.answers)?;
    let outcome = if request.advance { Some(sop.advance(&mut progress)?) } else { None };
    let actor = Actor { user_id: Some(staff.user_id), contact_id: None };
    let tier_before = conversation.tier;
    let mut conversation = state.store.set_sop_progress(id, &sop, Some(&before), &progress, actor, false, now_ms()).await?;
    if let Some(Advance::Escalate { to_tier }) = outcome {
        let to_tier = Tier::new(to_tier).unwrap_or(Tier::TWO);
        let note = progress.answers.iter().map(|(question, answer)| format!("{question}: {answer}")).collect::<Vec<_>>().join("\n");
        let step_title = running.step.as_deref().and_then(|id| sop.step(id)).map(|step| step.title.get("zh").to_owned()).unwrap_or_default();
        let escalation = Escalation {
            to_tier,
            reason: format!("SOP {}: {step_title}", sop.title.get("zh")),
            note: Some(note),
            context: serde_json::json!({"sop_id": sop.id, "version": sop.version, "answers": progress.answers}),
        };
        if conversation.tier != to_tier {
            // The same rules as a manual escalation, on the locked row: still ours, still in
            // the tier we read, and agents one tier up at most.
            let principal = auth.principal;
            let moved = crate::services::conversations::escalate(&state, id, &escalation, actor, now_ms(), |current| {
                if principal.conversation_access(&current.scope()) != Access::Staff || current.tier != tier_before {
                    return Err(AppError::Conflict("the conversation moved meanwhile; reload it".to_owned()));
                }
                crate::services::conversations::may_move_tier(staff, current.tier, to_tier)
            })
            .await;
            conversation = match moved {
                Ok(moved) => moved,
                Err(error) => {
                    // The hand-over did not happen: the SOP stays at its escalate step.
                    state.store.set_sop_progress(id, &sop, Some(&progress), &before, actor, false, now_ms()).await?;
                    return Err(error);
                }
            };
        }
    } else {
        state.bus.publish(Event::conversation(&conversation)).await;
    }
    // The view is for whoever asked; after an escalation they may no longer work on it.
    let lang = language(&headers);
    Ok(ApiJson(view(&state, &auth, conversation, lang).await?))
}
