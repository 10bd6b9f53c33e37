//! Staff accounts under `/api/v1/users`: every staff member may list and read them (to
//! assign and transfer); only admins create or change them.

use axum::{extract::State, http::StatusCode};
use edudesk_core::{
    Presence, Role, Tier,
    input::{Email, Password, ShortText, parse_skills},
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiJson, ApiPath};
use crate::{
    AppState, crypto,
    error::{AppError, AppResult},
    http::session::Auth,
    store::users::{NewUser, User, UserChanges},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub email: String,
    pub password: String,
    pub role: Role,
    pub display_name: Option<String>,
    pub tier: Option<Tier>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    pub max_concurrent: Option<i64>,
    /// Certify them for `tier` at once (someone trained elsewhere). Otherwise they start as a
    /// trainee: no conversations from routing until they pass the tier's training course or a
    /// supervisor certifies them.
    #[serde(default)]
    pub certified: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub tier: Option<Tier>,
    pub skills: Option<Vec<String>>,
    pub teams: Option<Vec<String>>,
    pub max_concurrent: Option<i64>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

fn parse_list(field: &'static str, items: &[String]) -> AppResult<Vec<String>> {
    if field == "skills" {
        return Ok(parse_skills(&items.join(","))?);
    }
    let mut names = items.iter().map(|item| ShortText::parse(field, item, 60).map(ShortText::into_string)).collect::<Result<Vec<_>, _>>()?;
    names.sort();
    names.dedup();
    Ok(names)
}

fn parse_capacity(raw: Option<i64>) -> AppResult<Option<i64>> {
    match raw {
        Some(value) if !(0..=100).contains(&value) => Err(AppError::Unprocessable("max_concurrent: must be between 0 and 100".to_owned())),
        other => Ok(other),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPresence {
    pub presence: Presence,
}

/// Sets the caller's own presence (staff): online, away or offline.
#[utoipa::path(put, path = "/api/v1/presence", tag = "users", request_body = SetPresence,
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn set_presence(State(state): State<AppState>, auth: Auth, ApiJson(request): ApiJson<SetPresence>) -> AppResult<ApiJson<User>> {
    let staff = auth.staff()?;
    let user = state.store.set_presence(staff.user_id, request.presence).await?;
    if request.presence == Presence::Online {
        // The oldest waiting conversations this agent can take come to them now.
        crate::services::routing::sweep(&state).await?;
    }
    Ok(ApiJson(user))
}

/// Creates a staff account (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create(State(state): State<AppState>, auth: Auth, ApiJson(request): ApiJson<CreateUser>) -> AppResult<(StatusCode, ApiJson<User>)> {
    let admin = auth.require_admin()?;
    let email = Email::parse(&request.email)?;
    let password = Password::parse(&request.password)?;
    let display_name = match request.display_name.as_deref() {
        Some(name) => ShortText::parse("display_name", name, 100)?.into_string(),
        None => email.as_str().split('@').next().unwrap_or_default().to_owned(),
    };
    let new = NewUser {
        email,
        display_name,
        password_hash: crypto::hash_password(password).await?,
        role: request.role,
        tier: request.tier.unwrap_or(Tier::ONE),
        skills: parse_list("skills", &request.skills)?,
        teams: parse_list("teams", &request.teams)?,
        max_concurrent: parse_capacity(request.max_concurrent)?.unwrap_or(5),
    };
    let user = state.store.create_user(&new).await?;
    if request.certified {
        state.store.certify(user.id, user.tier.level(), "granted", Some(admin.user_id), state.clock.now_ms()).await?;
    }
    Ok((StatusCode::CREATED, ApiJson(user)))
}

/// All staff accounts (staff).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<User>), (status = 403, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(State(state): State<AppState>, auth: Auth) -> AppResult<ApiJson<Vec<User>>> {
    auth.staff()?;
    Ok(ApiJson(state.store.users().await?))
}

/// One staff account (staff).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(user_id = id))]
pub async fn get(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>) -> AppResult<ApiJson<User>> {
    auth.staff()?;
    Ok(ApiJson(state.store.user(id).await?))
}

/// Changes a staff account (admins). Deactivating it or changing its password ends its sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = []), ("cookie" = [])))]
#[tracing::instrument(skip_all, fields(user_id = id))]
pub async fn update(State(state): State<AppState>, auth: Auth, ApiPath(id): ApiPath<i64>, ApiJson(request): ApiJson<UpdateUser>) -> AppResult<ApiJson<User>> {
    let admin = auth.require_admin()?;
    if id == admin.user_id && (request.active == Some(false) || request.role.is_some_and(|role| role != Role::Admin)) {
        return Err(AppError::Conflict("admins cannot deactivate or demote themselves; ask another admin".to_owned()));
    }
    // A move up goes through training: certified for the new tier first (moving down needs
    // nothing; routing still waits for the certification of whatever tier they hold).
    if let Some(tier) = request.tier
        && tier > state.store.user(id).await?.tier
    {
        crate::services::training::require_certified(&state, id, tier).await?;
    }
    let password_hash = match request.password.as_deref() {
        Some(raw) => Some(crypto::hash_password(Password::parse(raw)?).await?),
        None => None,
    };
    let changes = UserChanges {
        display_name: request.display_name.as_deref().map(|name| ShortText::parse("display_name", name, 100).map(ShortText::into_string)).transpose()?,
        role: request.role,
        tier: request.tier,
        skills: request.skills.as_deref().map(|skills| parse_list("skills", skills)).transpose()?,
        teams: request.teams.as_deref().map(|teams| parse_list("teams", teams)).transpose()?,
        max_concurrent: parse_capacity(request.max_concurrent)?,
        active: request.active,
        password_hash,
    };
    let user = state.store.update_user(id, &changes).await?;
    state.sessions.forget_user(id);
    crate::services::routing::sweep_soon(&state);
    Ok(ApiJson(user))
}
