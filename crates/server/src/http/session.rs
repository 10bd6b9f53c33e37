//! A request's credentials: the [`Auth`] extractor, which turns a bearer token or session cookie into a [`Principal`].
//!
//! Staff sign in with email and password and get a token, usable as
//! `Authorization: Bearer <token>` or through the `edudesk_session` cookie. A request
//! authenticated by the cookie that changes state (POST, PUT, PATCH, DELETE) must also
//! carry the session's CSRF token in the `X-CSRF-Token` header; the token is returned at
//! login and set in the readable `edudesk_csrf` cookie. Bearer requests need no CSRF
//! token, since browsers never attach them on their own.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, Method, header, request::Parts},
};
use edudesk_core::{Principal, StaffPrincipal};

use crate::{
    AppState,
    crypto::{constant_time_eq, token_hash},
    error::{AppError, AppResult},
    services::sessions::resolve_session,
};

pub const SESSION_COOKIE: &str = "edudesk_session";
pub const CSRF_COOKIE: &str = "edudesk_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

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

    /// The supervisor or admin behind the request, or 403.
    pub fn require_supervisor(&self) -> AppResult<StaffPrincipal> {
        let staff = self.staff()?;
        if staff.role.oversees_all() { Ok(staff) } else { Err(AppError::Forbidden("only supervisors and admins may do this".to_owned())) }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; edudesk_session=tok; b=2".parse().unwrap_or_else(|_| unreachable!()));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&headers, "missing"), None);
    }
}
