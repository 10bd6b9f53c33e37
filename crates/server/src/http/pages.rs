//! The web pages the binary serves: the learner widget's loader (`/widget.js`), the agent
//! console (`/console`), and with `serve --demo` a fictional course site that embeds the
//! widget (`/demo`). Their scripts and stylesheet are content-hashed assets (`assets`).

use axum::{
    extract::{Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use crate::{
    AppState,
    crypto::learner_signature,
    demo,
    error::AppError,
    http::{assets::assets, lang::Language},
};

/// The classic script platforms embed at `/widget.js`: it loads the widget's module.
const WIDGET_LOADER: &str = include_str!("../../web/widget-loader.js");
const CONSOLE_HTML: &str = include_str!("../../web/console.html");
const DEMO_HTML: &str = include_str!("../../web/demo.html");

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// `/widget.js`: a stable URL on the platform's pages, so its cache is short; it names the
/// widget module's content-hashed path, which is cached for good.
pub async fn widget_js() -> Response {
    let loader = WIDGET_LOADER.replace("{{widget_module}}", assets().url("widget/main.js"));
    let mut response = loader.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    // Embedded on the platform's pages, from another origin.
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// The console page in the request's language (`?lang=` > the browser's); the script then
/// applies the agent's own saved choice first.
pub async fn console(Language(lang): Language) -> Response {
    let assets = assets();
    let page = CONSOLE_HTML
        .replace("{{lang}}", lang.html())
        .replace("/console/app.css", assets.url("console.css"))
        .replace("/console/app.js", assets.url("console/main.js"));
    let mut response = Html(page).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn root() -> Redirect {
    Redirect::to("/console")
}

#[derive(Debug, Deserialize)]
pub struct DemoParams {
    learner: Option<String>,
}

/// The demo course page, signed in as a demo learner (`?learner=L1002` for the other).
pub async fn demo_page(State(state): State<AppState>, Query(params): Query<DemoParams>) -> Result<Response, AppError> {
    if !state.config.demo {
        return Err(AppError::NotFound("the demo pages are served with `edudesk serve --demo`".to_owned()));
    }
    let learner_id = params.learner.unwrap_or_else(|| demo::DEMO_LEARNERS[0].0.to_owned());
    let Some((_, name, email)) = demo::DEMO_LEARNERS.iter().find(|(id, ..)| *id == learner_id) else {
        return Err(AppError::NotFound(format!("no demo learner {learner_id}")));
    };
    let secret = state.config.platform_secret.as_ref().map(|secret| secret.expose().to_owned()).unwrap_or_default();
    let signature = learner_signature(&secret, &learner_id);
    let page = DEMO_HTML
        .replace("{{learner_id}}", &escape_html(&learner_id))
        .replace("{{name}}", &escape_html(name))
        .replace("{{email}}", &escape_html(email))
        .replace("{{signature}}", &escape_html(&signature));
    Ok((StatusCode::OK, Html(page)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape_html(r#"<img src=x onerror="alert('1')">&"#), "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;");
    }
}
