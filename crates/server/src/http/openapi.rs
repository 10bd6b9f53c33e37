//! The OpenAPI document of the REST API, generated from the handlers' annotations and
//! served at `GET /api/v1/openapi.json`.

use axum::Json;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use super::{
    attachments, auth, awards, calls, channels, contacts, conversations, feedback, health, hiring, incidents, kb, kpis, quality, queues, search, sops,
    staffing, surveys, tasks, training, users, wall, widget,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "EduDesk API", description = "Customer service for online education. Errors are application/problem+json."),
    paths(
        health::health, health::ready, kpis::report,
        auth::login, auth::logout, auth::me,
        widget::create_session, widget::status,
        conversations::create, conversations::list, conversations::get, conversations::update,
        conversations::list_messages, conversations::post_message, conversations::events,
        attachments::upload, attachments::download,
        queues::list, queues::escalate, queues::add_collaborators,
        tasks::schedule, tasks::pending, tasks::list, tasks::done,
        sops::list, sops::save, sops::start, sops::get, sops::answer,
        kb::list, kb::get, kb::save, kb::versions, kb::vote, kb::from_conversation, kb::search, kb::deflection, kb::search_stats,
        kb::learned_questions, kb::accept_question, kb::reject_question, kb::gaps,
        channels::list, channels::save, channels::deliveries, feedback::create, contacts::merge,
        contacts::create, contacts::get, contacts::export, contacts::erase,
        users::list, users::create, users::get, users::update, users::set_presence,
        surveys::get, surveys::answer, surveys::get_own, surveys::answer_own, surveys::list, surveys::feedback_items, surveys::update_feedback,
        quality::sample, quality::review, quality::reviews,
        staffing::plan, staffing::shifts, staffing::set_shifts,
        incidents::list, incidents::check, incidents::update, incidents::answer,
        awards::leaderboard, awards::list, awards::announce_star, awards::nominate, awards::decide,
        calls::start, calls::list, calls::accept, calls::decline, calls::hang_up, calls::ice_servers, calls::board,
        search::tags, search::set_tags, search::tags_in_use, search::views, search::save_view, search::delete_view,
        wall::wall,
        hiring::invite, hiring::list, hiring::get, hiring::review,
        training::course, training::start_attempt, training::submit_attempt, training::team, training::grant,
        training::start_practice, training::practice, training::reply_practice,
    ),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
        components.add_security_scheme(
            "platform_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description("X-Platform-Key", "The platform's API key (server to server)"))),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::http::session::SESSION_COOKIE,
                "Session cookie set at login; writes also need the X-CSRF-Token header",
            ))),
        );
    }
}

/// The OpenAPI document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
