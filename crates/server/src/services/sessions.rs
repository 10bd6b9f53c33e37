//! Who is signed in: the live session behind a token hash, with a short-lived cache in
//! front of the database so a busy client does not cost a read per request.

use edudesk_core::Principal;

use crate::{
    AppState,
    error::{AppError, AppResult},
    store::{now_ms, sessions::SessionRecord},
};

/// Sessions verified in the last few seconds, so that a busy client does not cost a
/// database read per request. Logout and account changes on this node evict at once;
/// on other nodes a revoked session lives on for at most the cache's lifetime
/// (`session_cache_seconds`, 5 s by default; 0 turns the cache off).
#[derive(Debug)]
pub struct SessionCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (SessionRecord, std::time::Instant)>>,
    lifetime: std::time::Duration,
}

/// Most sessions the cache holds; past that it drops expired ones, or all.
const SESSION_CACHE_MAX: usize = 100_000;

impl SessionCache {
    pub fn new(lifetime: std::time::Duration) -> SessionCache {
        SessionCache { entries: Default::default(), lifetime }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (SessionRecord, std::time::Instant)>> {
        // A panic while holding the lock cannot leave the map half-updated; keep using it.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, token_hash: &str) -> Option<SessionRecord> {
        let entries = self.entries();
        let (record, valid_until) = entries.get(token_hash)?;
        (std::time::Instant::now() < *valid_until && record.expires_at > now_ms()).then(|| record.clone())
    }

    pub fn put(&self, token_hash: &str, record: SessionRecord) {
        if self.lifetime.is_zero() {
            return;
        }
        let now = std::time::Instant::now();
        let mut entries = self.entries();
        if entries.len() >= SESSION_CACHE_MAX {
            entries.retain(|_, (_, valid_until)| *valid_until > now);
            if entries.len() >= SESSION_CACHE_MAX {
                entries.clear();
            }
        }
        entries.insert(token_hash.to_owned(), (record, now + self.lifetime));
    }

    pub fn forget(&self, token_hash: &str) {
        self.entries().remove(token_hash);
    }

    /// Evicts every session of a staff account (after it was changed or deactivated).
    pub fn forget_user(&self, user_id: i64) {
        self.entries().retain(|_, (record, _)| !matches!(record.principal, Principal::Staff(staff) if staff.user_id == user_id));
    }

    /// Evicts every session of a learner (after their data was erased).
    pub fn forget_contact(&self, contact_id: i64) {
        self.entries().retain(|_, (record, _)| !matches!(record.principal, Principal::Learner { contact_id: id } if id == contact_id));
    }
}

/// The live session for a token hash: from the cache, else from the database.
pub async fn resolve_session(state: &AppState, token_hash: &str) -> AppResult<SessionRecord> {
    if let Some(session) = state.sessions.get(token_hash) {
        return Ok(session);
    }
    let session =
        state.store.session(token_hash).await?.ok_or_else(|| AppError::Unauthorized("the session has expired or was revoked; sign in again".to_owned()))?;
    state.sessions.put(token_hash, session.clone());
    Ok(session)
}
