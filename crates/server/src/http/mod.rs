//! The REST API under `/api/v1`, the realtime socket and the pages: routing, the JSON
//! extractor that reports bad input as problem documents, and the layers every request
//! passes (body limit, tracing, panics). Handlers are thin, filed by URL: they parse the
//! request into domain types and call a use case in [`crate::services`].

pub mod assets;
mod attachments;
mod auth;
mod awards;
mod calls;
mod channels;
pub mod client_ip;
mod contacts;
mod conversations;
mod feedback;
mod health;
mod help;
mod hiring;
mod incidents;
mod kb;
mod kpis;
pub mod lang;
mod limits;
pub mod observe;
pub mod openapi;
pub mod pages;
mod quality;
mod queues;
mod search;
mod security;
pub mod server;
pub mod session;
mod sops;
mod staffing;
mod surveys;
mod tasks;
mod training;
mod users;
mod wall;
mod webhooks;
mod widget;
mod ws;

use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRequest, FromRequestParts},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tower_http::{catch_panic::CatchPanicLayer, trace::TraceLayer};

use edudesk_core::Access;

use crate::{
    AppState,
    error::{AppError, AppResult, problem_response},
    http::session::Auth,
    store::conversations::Conversation,
};

/// `Json` whose rejections are problem documents: 400 for malformed JSON, 422 for wrong
/// types or missing fields, 413 for oversized bodies, 415 for a wrong content type.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// `Path` whose rejection (e.g. a non-numeric id) is a 400 problem document.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// `Query` whose rejection (e.g. `limit=abc`) is a 400 problem document.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Deserialises a field that distinguishes "absent" (`None`) from `null` (`Some(None)`).
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// Loads a conversation and decides what the caller may do with it: 404 for what they may
/// not even know of, 403 for staff outside their scope (unless pulled in as collaborators).
/// Every handler that touches one conversation starts here.
pub(crate) async fn authorize(state: &AppState, auth: &Auth, id: i64) -> AppResult<(Conversation, Access)> {
    crate::services::conversations::access(state, auth.principal, id).await
}

pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit_bytes;
    let api = Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/kpis", get(kpis::report))
        .route("/openapi.json", get(openapi::document))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/widget/sessions", post(widget::create_session))
        .route("/widget/status", get(widget::status))
        .route("/conversations", post(conversations::create).get(conversations::list))
        .route("/conversations/{id}", get(conversations::get).patch(conversations::update))
        .route("/conversations/{id}/messages", get(conversations::list_messages).post(conversations::post_message))
        .route("/conversations/{id}/events", get(conversations::events))
        .route("/conversations/{id}/attachments", post(attachments::upload).layer(DefaultBodyLimit::max(state.config.attachment_max_bytes + 1024)))
        .route("/attachments/{id}", get(attachments::download))
        .route("/conversations/{id}/escalate", post(queues::escalate))
        .route("/conversations/{id}/collaborators", post(queues::add_collaborators))
        .route("/queues", get(queues::list))
        .route("/conversations/{id}/follow-ups", post(tasks::schedule).get(tasks::pending))
        .route("/tasks", get(tasks::list))
        .route("/sops", get(sops::list))
        .route("/sops/{id}", axum::routing::put(sops::save))
        .route("/conversations/{id}/sop", post(sops::start).get(sops::get))
        .route("/conversations/{id}/sop/answers", post(sops::answer))
        .route("/tasks/{id}/done", post(tasks::done))
        .route("/contacts", post(contacts::create))
        .route("/contacts/{id}", get(contacts::get).delete(contacts::erase))
        .route("/contacts/{id}/export", get(contacts::export))
        .route("/contacts/{id}/merge", post(contacts::merge))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::get).patch(users::update))
        .route("/presence", axum::routing::put(users::set_presence))
        .route("/ws", get(ws::upgrade))
        .route("/conversations/{id}/calls", post(calls::start).get(calls::list))
        .route("/calls/ice-servers", get(calls::ice_servers))
        .route("/conversations/{id}/board", get(calls::board))
        .route("/conversations/{id}/tags", get(search::tags).put(search::set_tags))
        .route("/tags", get(search::tags_in_use))
        .route("/wall", get(wall::wall))
        .route("/views", get(search::views).post(search::save_view))
        .route("/views/{id}", axum::routing::delete(search::delete_view))
        .route("/calls/{id}/accept", post(calls::accept))
        .route("/calls/{id}/decline", post(calls::decline))
        .route("/calls/{id}/hangup", post(calls::hang_up))
        .route("/kb/articles", get(kb::list))
        .route("/kb/articles/{id}", get(kb::get).put(kb::save))
        .route("/kb/articles/{id}/versions", get(kb::versions))
        .route("/kb/articles/{id}/vote", post(kb::vote))
        .route("/kb/search", get(kb::search))
        .route("/kb/deflections", post(kb::deflection))
        .route("/kb/search-stats", get(kb::search_stats))
        .route("/kb/learned-questions", get(kb::learned_questions))
        .route("/kb/learned-questions/{id}/accept", post(kb::accept_question))
        .route("/kb/learned-questions/{id}/reject", post(kb::reject_question))
        .route("/kb/gaps", get(kb::gaps))
        .route("/conversations/{id}/article", post(kb::from_conversation))
        .route("/feedback", post(feedback::create).layer(DefaultBodyLimit::max(state.config.attachment_max_bytes * 4 + 64 * 1024)))
        .route("/channels", get(channels::list))
        .route("/channels/{kind}/{name}", axum::routing::put(channels::save))
        .route("/conversations/{id}/deliveries", get(channels::deliveries))
        .route("/awards", get(awards::list))
        .route("/awards/leaderboard", get(awards::leaderboard))
        .route("/awards/service-star", post(awards::announce_star))
        .route("/awards/nominations", post(awards::nominate))
        .route("/awards/nominations/{id}/decision", post(awards::decide))
        .route("/incidents", get(incidents::list))
        .route("/incidents/check", post(incidents::check))
        .route("/incidents/{id}", axum::routing::patch(incidents::update))
        .route("/incidents/{id}/answer", post(incidents::answer))
        .route("/staffing", get(staffing::plan))
        .route("/users/{id}/shifts", get(staffing::shifts).put(staffing::set_shifts))
        .route("/qa/sample", get(quality::sample))
        .route("/qa/reviews", get(quality::reviews))
        .route("/conversations/{id}/review", axum::routing::put(quality::review))
        .route("/surveys", get(surveys::list))
        .route("/surveys/{token}", get(surveys::get).post(surveys::answer))
        .route("/conversations/{id}/survey", get(surveys::get_own).post(surveys::answer_own))
        .route("/feedback-items", get(surveys::feedback_items))
        .route("/feedback-items/{id}", axum::routing::patch(surveys::update_feedback))
        .route("/hiring/candidates", get(hiring::list).post(hiring::invite))
        .route("/hiring/candidates/{id}", get(hiring::get))
        .route("/hiring/candidates/{id}/review", axum::routing::put(hiring::review))
        .route("/training", get(training::course))
        .route("/training/attempts", post(training::start_attempt))
        .route("/training/attempts/{id}/answers", post(training::submit_attempt))
        .route("/training/team", get(training::team))
        .route("/training/certifications", post(training::grant))
        .route("/training/practice", post(training::start_practice))
        .route("/training/practice/{id}", get(training::practice))
        .route("/training/practice/{id}/replies", post(training::reply_practice));
    // The widget calls the API from the platform's pages (another origin) with a bearer
    // token; cookies are never sent cross-origin (no credentials allowed).
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST, axum::http::Method::PATCH, axum::http::Method::PUT])
        .allow_headers([axum::http::header::AUTHORIZATION, axum::http::header::CONTENT_TYPE])
        .expose_headers([axum::http::HeaderName::from_static("idempotent-replayed"), axum::http::header::CONTENT_DISPOSITION]);
    // The 405 answer is set on each router before its layers, so the API's CORS layer also
    // wraps it: a preflight (OPTIONS) reaches the CORS layer instead of a bare 405.
    let not_allowed = || async {
        problem_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "https://edudesk.dev/problems/method-not-allowed",
            "this endpoint does not take that method".to_owned(),
        )
    };
    let site = Router::new()
        .route("/", get(pages::root))
        .route("/metrics", get(observe::metrics))
        .route("/widget.js", get(pages::widget_js))
        .route("/console", get(pages::console))
        .route("/assets/{*path}", get(assets::serve))
        .route("/demo", get(pages::demo_page))
        .route("/survey/{token}", get(surveys::page).post(surveys::submit))
        .route("/s/{token}", get(surveys::short_link))
        .route("/hiring/{token}", get(hiring::page).post(hiring::submit))
        .route("/help", get(help::home))
        .route("/help/search", get(help::search))
        .route("/help/categories/{name}", get(help::category))
        .route("/help/articles/{id}", get(help::article))
        .route("/help/articles/{id}/vote", post(help::vote))
        .route("/webhooks/wechat/{name}", get(webhooks::wechat_verify).post(webhooks::wechat_receive))
        .route("/webhooks/social/{name}", post(webhooks::social_receive))
        .route("/webhooks/cti/{name}", post(webhooks::cti_event))
        .route("/webhooks/sms/{name}", post(webhooks::sms_receive))
        .method_not_allowed_fallback(not_allowed);
    Router::new()
        .nest("/api/v1", api.method_not_allowed_fallback(not_allowed).layer(cors))
        .merge(site)
        .fallback(|| async { AppError::NotFound("no such endpoint".to_owned()) })
        .layer(DefaultBodyLimit::max(body_limit))
        // A body that trickles in is cut off; a WebSocket's frames are not a request body.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(std::time::Duration::from_secs(state.config.body_read_timeout_seconds)))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::bodies))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::requests))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!("a request handler panicked");
            problem_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "https://edudesk.dev/problems/internal",
                "an internal error occurred; it has been logged".to_owned(),
            )
        }))
        .with_state(state)
}
