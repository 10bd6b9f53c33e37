//! Quality review as a use case: supervisors draw a sample of recently resolved
//! conversations — spread over agents, the same all day — and score each on the rubric of
//! `edudesk_core::qa` with a comment; agents read their own reviews.

use edudesk_core::{StaffPrincipal, qa::Marks};

use crate::{
    AppState,
    error::{AppError, AppResult},
    store::qa::Review,
};

/// Longest review comment.
const MAX_COMMENT_CHARS: usize = 4000;

/// Up to `per_agent` unreviewed conversations per agent resolved in the last `days` days.
pub async fn sample(state: &AppState, days: i64, per_agent: usize) -> AppResult<Vec<(i64, i64)>> {
    let now = state.clock.now_ms();
    let candidates = state.store.review_candidates(now - days * 24 * 3_600_000).await?;
    // The same sample all day: a supervisor who reloads keeps their list.
    let seed = (now / (24 * 3_600_000)) as u64;
    Ok(edudesk_core::qa::sample(&candidates, per_agent, seed))
}

/// Saves a supervisor's review of a conversation; the agent reviewed is who served it.
pub async fn review(state: &AppState, reviewer: StaffPrincipal, conversation_id: i64, marks: Marks, comment: Option<String>) -> AppResult<Review> {
    if !reviewer.role.oversees_all() {
        return Err(AppError::Forbidden("supervisors and admins review conversations".to_owned()));
    }
    marks.check().map_err(AppError::Unprocessable)?;
    let comment = comment.as_deref().map(str::trim).filter(|comment| !comment.is_empty()).map(str::to_owned);
    if comment.as_ref().is_some_and(|comment| comment.chars().count() > MAX_COMMENT_CHARS) {
        return Err(AppError::Unprocessable(format!("comment: at most {MAX_COMMENT_CHARS} characters")));
    }
    let conversation = state.store.conversation(conversation_id).await?;
    let Some(agent_id) = conversation.assignee_id else {
        return Err(AppError::Conflict("nobody served this conversation yet: there is no agent to review".to_owned()));
    };
    Ok(state.store.save_review(conversation_id, agent_id, reviewer.user_id, &marks, comment.as_deref(), state.clock.now_ms()).await?)
}
