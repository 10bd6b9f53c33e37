//! Staff sign-in and sign-out: `POST /api/v1/auth/login`, `POST /api/v1/auth/logout`,
//! and `GET /api/v1/auth/me` for whoever holds the token.

use std::time::Duration;

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{AppendHeaders, IntoResponse, Response},
};
use edudesk_core::{Principal, StaffPrincipal, input::Email};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::{
    AppState, crypto,
    error::{AppError, AppResult},
    http::session::Auth,
    http::session::CSRF_COOKIE,
    http::session::SESSION_COOKIE,
    store::{contacts::Contact, now_ms, to_utc, users::User},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`. Also set as the `edudesk_session` cookie.
    pub token: String,
    /// Send as `X-CSRF-Token` on writes authenticated by the cookie.
    pub csrf_token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub user: User,
}

/// How long an account stays locked after too many failed sign-ins (the counting window).
pub const LOCKOUT_SECONDS: u64 = 15 * 60;

/// Who the current token belongs to.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Me {
    Staff { user: User },
    Learner { contact: Contact },
}

/// Signs a staff member in; answers the token and sets the session and CSRF cookies.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    crate::http::client_ip::ClientIp(ip): crate::http::client_ip::ClientIp,
    ApiJson(request): ApiJson<LoginRequest>,
) -> AppResult<Response> {
    let email = Email::parse(&request.email)?;
    // Guessing is slowed per address, and an account locks after repeated failures (for the
    // rest of the window, whoever tries — unknown accounts alike, so the lock reveals nothing).
    let config = &state.config;
    state.limits.hit(&format!("login-ip:{ip}"), config.login_attempts_per_ip, Duration::from_secs(60), "too many sign-in attempts from this address")?;
    let account_key = format!("login-fail:{}", email.as_str());
    let lock_window = Duration::from_secs(LOCKOUT_SECONDS);
    state.limits.check(&account_key, config.login_failures_per_account, lock_window, "this account is locked after repeated failed sign-ins")?;
    let credentials = state.store.credentials(&email).await?;
    let hash = credentials.as_ref().map_or_else(|| state.dummy_password_hash.to_string(), |c| c.password_hash.clone());
    let password_ok = crypto::verify_password(request.password, hash).await?;
    let user_id = match credentials {
        Some(c) if password_ok && c.active => c.user_id,
        _ => {
            let _ = state.limits.hit(&account_key, config.login_failures_per_account, lock_window, "");
            tracing::info!(%ip, "failed sign-in");
            return Err(AppError::Unauthorized("wrong email or password".to_owned()));
        }
    };
    state.limits.reset(&account_key);
    let user = state.store.user(user_id).await?;
    let principal = Principal::Staff(StaffPrincipal { user_id, role: user.role, tier: user.tier });
    let lifetime_secs = state.config.staff_session_hours * 3600;
    let expires_at = now_ms() + lifetime_secs * 1000;
    let (token, csrf_token) = (crypto::new_token(), crypto::new_token());
    state.store.create_session(&crypto::token_hash(&token), &principal, &csrf_token, expires_at).await?;
    tracing::info!(user_id, "staff signed in");

    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let session_cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={lifetime_secs}{secure}");
    let csrf_cookie = format!("{CSRF_COOKIE}={csrf_token}; Path=/; SameSite=Lax; Max-Age={lifetime_secs}{secure}");
    let body = LoginResponse { token, csrf_token, expires_at: to_utc(expires_at), user };
    Ok((cookie_headers(&session_cookie, &csrf_cookie)?, ApiJson(body)).into_response())
}

fn cookie_headers(session: &str, csrf: &str) -> AppResult<AppendHeaders<[(header::HeaderName, HeaderValue); 2]>> {
    let value = |text: &str| HeaderValue::from_str(text).map_err(|error| AppError::Internal(error.into()));
    Ok(AppendHeaders([(header::SET_COOKIE, value(session)?), (header::SET_COOKIE, value(csrf)?)]))
}

/// Revokes the current session (staff or learner) and clears the cookies.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn logout(State(state): State<AppState>, auth: Auth) -> AppResult<Response> {
    state.store.delete_session(&auth.token_hash).await?;
    state.sessions.forget(&auth.token_hash);
    let clear_session = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    let clear_csrf = format!("{CSRF_COOKIE}=; Path=/; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, cookie_headers(&clear_session, &clear_csrf)?).into_response())
}

/// The signed-in staff member or learner.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn me(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<Me>> {
    Ok(ApiJson(match auth.principal {
        Principal::Staff(staff) => Me::Staff { user: state.store.user(staff.user_id).await? },
        Principal::Learner { contact_id } => Me::Learner { contact: state.store.contact(contact_id).await? },
    }))
}
