//! The web pages the binary serves: the learner widget's loader (`/widget.js`), the agent
//! console (`/console`), and with `serve --demo` a fictional course site that embeds the
//! widget (`/demo`). Their scripts and stylesheet are content-hashed assets (`assets`).

use axum::{
    extract::{Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use edudesk_core::lang::Lang;
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

/// A small public page (a survey, a candidate's test) in `lang`, styled inline: no script.
pub fn html_page(lang: Lang, title: &str, body: &str, status: StatusCode) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"{html_lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{margin:0;font:16px/1.6 system-ui,-apple-system,'Noto Sans CJK SC',sans-serif;color:#1f2937}}\
         main{{max-width:560px;margin:0 auto;padding:16px 20px}}fieldset{{border:1px solid #e2e8f0;border-radius:8px;margin:12px 0}}\
         label{{display:block;margin:4px 0}}label.nps{{display:inline-block;margin-right:10px}}textarea{{width:100%;box-sizing:border-box;font:inherit}}\
         .passage{{padding:10px 12px;background:#f1f5f9;border-radius:8px;user-select:none}}.error{{color:#b91c1c}}\
         button{{padding:8px 18px;border-radius:6px;border:0;background:#1e3a8a;color:#fff}}.notice{{color:#166534}}</style></head>\
         <body><main>{body}</main></body></html>",
        html_lang = lang.html(),
        title = escape_html(title),
    );
    let mut response = (status, Html(page)).into_response();
    // These pages are personal (a survey, a candidate's test): never kept by shared caches.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape_html(r#"<img src=x onerror="alert('1')">&"#), "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;");
    }
}
