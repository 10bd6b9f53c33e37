//! Authentication: password hashing, session tokens, the platform's learner signatures,
//! and the [`Auth`] extractor that turns a request's credentials into a [`Principal`].
//!
//! Staff sign in with email and password and get a token, usable as
//! `Authorization: Bearer <token>` or through the `edudesk_session` cookie. A request
//! authenticated by the cookie that changes state (POST, PUT, PATCH, DELETE) must also
//! carry the session's CSRF token in the `X-CSRF-Token` header; the token is returned at
//! login and set in the readable `edudesk_csrf` cookie. Bearer requests need no CSRF
//! token, since browsers never attach them on their own.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, Method, header, request::Parts},
};
use edudesk_core::{Principal, StaffPrincipal, input::Password};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    AppState,
    error::{AppError, AppResult},
    store::{now_ms, sessions::SessionRecord},
};

pub const SESSION_COOKIE: &str = "edudesk_session";
pub const CSRF_COOKIE: &str = "edudesk_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Hashes a password with argon2id on a blocking thread (it takes tens of milliseconds).
pub async fn hash_password(password: Password) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| AppError::Internal(anyhow::anyhow!("hashing a password: {error}")))
    })
    .await
    .map_err(|error| AppError::Internal(error.into()))?
}

/// Checks a password against a stored hash on a blocking thread.
pub async fn verify_password(password: String, hash: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|error| AppError::Internal(anyhow::anyhow!("stored password hash is invalid: {error}")))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|error| AppError::Internal(error.into()))?
}

/// A new random token: 32 bytes from the OS generator, hex-encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database stores for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signature the education platform computes for a learner id:
/// lowercase hex HMAC-SHA256(platform secret, learner_id).
pub fn learner_signature(secret: &str, learner_id: &str) -> String {
    hmac_hex(secret, learner_id.as_bytes())
}

/// Lowercase hex HMAC-SHA256 of `data` with `secret` (learner ids, signed webhooks).
pub fn hmac_hex(secret: &str, data: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(data);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a learner signature in constant time. Malformed hex is simply wrong.
pub fn verify_learner_signature(secret: &str, learner_id: &str, signature: &str) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(learner_id.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// Compares secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

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

/// The bearer token or session cookie of a request, and whether it came from the cookie.
pub fn request_token(headers: &HeaderMap) -> Option<(&str, bool)> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim);
    match (bearer, cookie(headers, SESSION_COOKIE)) {
        (Some(token), _) => Some((token, false)),
        (None, Some(token)) => Some((token, true)),
        (None, None) => None,
    }
}

/// The authenticated caller of a request. Rejects with 401 when there are no valid
/// credentials and 403 when a cookie-authenticated write lacks its CSRF token.
#[derive(Debug, Clone)]
pub struct Auth {
    pub principal: Principal,
    pub token_hash: String,
}

impl Auth {
    /// The staff member behind the request, or 403 for learners.
    pub fn staff(&self) -> AppResult<StaffPrincipal> {
        self.principal.staff().copied().ok_or_else(|| AppError::Forbidden("this needs a staff account".to_owned()))
    }

    /// 403 unless the caller is an admin.
    pub fn require_admin(&self) -> AppResult<StaffPrincipal> {
        let staff = self.staff()?;
        if self.principal.is_admin() { Ok(staff) } else { Err(AppError::Forbidden("only admins may do this".to_owned())) }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (token, via_cookie) = request_token(&parts.headers)
            .ok_or_else(|| AppError::Unauthorized("sign in first: send Authorization: Bearer <token> or the session cookie".to_owned()))?;
        let token_hash = token_hash(token);
        let session = resolve_session(state, &token_hash).await?;

        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if via_cookie && unsafe_method {
            let sent = parts.headers.get(CSRF_HEADER).map(|value| value.as_bytes()).unwrap_or_default();
            if !constant_time_eq(sent, session.csrf_token.as_bytes()) {
                return Err(AppError::Forbidden("a request authenticated by cookie must send the session's CSRF token in the X-CSRF-Token header".to_owned()));
            }
        }
        Ok(Auth { principal: session.principal, token_hash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learner_signatures_verify_only_with_the_right_secret_and_id() {
        let signature = learner_signature("demo-platform-secret", "L1001");
        assert_eq!(signature.len(), 64);
        assert!(signature.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(verify_learner_signature("demo-platform-secret", "L1001", &signature));
        assert!(!verify_learner_signature("demo-platform-secret", "L1002", &signature));
        assert!(!verify_learner_signature("other-secret", "L1001", &signature));
        assert!(!verify_learner_signature("demo-platform-secret", "L1001", "zz-not-hex"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; edudesk_session=tok; b=2".parse().unwrap_or_else(|_| unreachable!()));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&headers, "missing"), None);
    }
}

/// The caller if they are signed in, `None` for anonymous (or invalid) credentials: for
/// public endpoints that show more to staff.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuth(Auth::from_request_parts(parts, state).await.ok()))
    }
}
