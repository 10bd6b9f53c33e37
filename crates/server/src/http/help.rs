//! The public help centre: server-rendered, indexable pages that work at phone width —
//! `/help` (categories and a search box), `/help/search?q=` (logged with its result
//! count), `/help/categories/{name}`, `/help/articles/{id}` (with view counts and a "was
//! this helpful?" form). Chinese or English by `?lang=` or the browser.

use std::collections::BTreeMap;

use axum::{
    Form,
    extract::{Query, State},
    http::{HeaderMap, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{ApiPath, pages::escape_html};
use crate::{AppState, error::AppError, knowledge::import::render_markdown, store::kb::ArticleFilter};

/// A help-centre failure, shown to the reader as a page in their language (never as JSON).
#[derive(Debug)]
pub struct HelpError {
    lang: &'static str,
    error: AppError,
}

type HelpResult<T> = Result<T, HelpError>;

/// Attaches the page's language to a failure.
trait InLanguage<T> {
    fn in_lang(self, lang: &'static str) -> HelpResult<T>;
}

impl<T, E: Into<AppError>> InLanguage<T> for Result<T, E> {
    fn in_lang(self, lang: &'static str) -> HelpResult<T> {
        self.map_err(|error| HelpError { lang, error: error.into() })
    }
}

impl IntoResponse for HelpError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let zh = self.lang == "zh";
        let (title, text) = match &self.error {
            AppError::NotFound(_) if zh => ("页面不存在", "这篇文章不存在或已下线。可以回到帮助中心搜索，或联系客服。"),
            AppError::NotFound(_) => ("Page not found", "This article does not exist or is no longer published. Search the help centre, or contact us."),
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "help centre failed");
                if zh {
                    ("出错了", "页面暂时无法显示，请稍后再试。")
                } else {
                    ("Something went wrong", "This page cannot be shown right now; please try again later.")
                }
            }
            AppError::TooManyRequests { .. } if zh => ("请求太频繁", "请稍等一分钟再试。"),
            AppError::TooManyRequests { .. } => ("Too many requests", "Please wait a minute and try again."),
            _ if zh => ("请求有误", "无法处理这个请求。"),
            _ => ("Bad request", "This request cannot be handled."),
        };
        let home = if zh { "返回帮助中心" } else { "Back to the help centre" };
        let body = format!("<h1>{title}</h1><p>{text}</p><p><a href=\"/help?lang={lang}\">{home}</a></p>{}", search_form(self.lang, ""), lang = self.lang);
        let mut response = page(self.lang, title, &body);
        *response.status_mut() = status;
        response
    }
}

#[derive(Debug, Deserialize)]
pub struct LangParam {
    lang: Option<String>,
}

/// The page's language by the one rule (`?lang=` > `Accept-Language` > English).
fn language(params: &LangParam, headers: &HeaderMap) -> &'static str {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok());
    edudesk_core::lang::Lang::pick(None, params.lang.as_deref(), accept).code()
}

fn page(lang: &str, title: &str, body: &str) -> Response {
    let (home, other, other_label) = if lang == "zh" { ("帮助中心", "en", "English") } else { ("Help centre", "zh", "中文") };
    Html(format!(
        "<!doctype html><html lang=\"{html_lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {home}</title><style>body{{margin:0;font:16px/1.6 system-ui,-apple-system,'Noto Sans CJK SC',sans-serif;color:#1f2937}}\
         header{{background:#1e3a8a;color:#fff;padding:12px 20px;display:flex;justify-content:space-between}}header a{{color:#dbeafe;text-decoration:none}}\
         main{{max-width:760px;margin:0 auto;padding:16px 20px}}li{{margin:6px 0}}.meta{{color:#64748b;font-size:13px}}\
         form button{{margin-right:8px;padding:6px 14px;border-radius:6px;border:1px solid #cbd5e1;background:#fff}}</style></head>\
         <body><header><a href=\"/help?lang={lang}\">{home}</a><a href=\"?lang={other}\">{other_label}</a></header><main>{body}</main></body></html>",
        html_lang = if lang == "zh" { "zh-CN" } else { "en" },
        title = escape_html(title),
    ))
    .into_response()
}

/// The help centre's home: categories of published articles in the language.
pub async fn home(State(state): State<AppState>, headers: HeaderMap, Query(params): Query<LangParam>) -> HelpResult<Response> {
    let lang = language(&params, &headers);
    let articles =
        state.store.articles(&ArticleFilter { lang: Some(lang.to_owned()), category: None, visibility: Some("published".to_owned()) }).await.in_lang(lang)?;
    let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
    for article in &articles {
        *categories.entry(article.content.category.as_str()).or_default() += 1;
    }
    let heading = if lang == "zh" { "我们能帮您什么？" } else { "How can we help?" };
    let items: String = categories
        .iter()
        .map(|(category, count)| {
            format!(
                "<li><a href=\"/help/categories/{}?lang={lang}\">{}</a> <span class=\"meta\">({count})</span></li>",
                urlencode(category),
                escape_html(category)
            )
        })
        .collect();
    let notices = notices(&state).await;
    Ok(page(lang, heading, &format!("{notices}<h1>{heading}</h1>{}<ul class=\"categories\">{items}</ul>", search_form(lang, ""))))
}

/// The banners of open incidents ("video playback is failing; we are on it"), escaped, on top
/// of the help centre's home and articles; nothing when there are none (or they cannot be read).
async fn notices(state: &AppState) -> String {
    let banners = crate::services::incidents::banners(state).await.unwrap_or_default();
    banners.iter().map(|banner| format!("<p class=\"notice\" role=\"status\">⚠ {}</p>", escape_html(banner))).collect()
}

fn search_form(lang: &str, query: &str) -> String {
    let (placeholder, button) =
        if lang == "zh" { ("搜索问题，例如：视频播放不了", "搜索") } else { ("Search, e.g. video won't play", "Search") };
    format!(
        "<form class=\"search\" method=\"get\" action=\"/help/search\"><input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
         <input name=\"q\" value=\"{}\" placeholder=\"{placeholder}\" style=\"width:70%;padding:8px;font-size:16px\" maxlength=\"200\">\
         <button>{button}</button></form>",
        escape_html(query)
    )
}

#[derive(Debug, Deserialize)]
pub struct SearchParam {
    q: Option<String>,
    lang: Option<String>,
}

/// Search results; each search is logged with its result count.
pub async fn search(State(state): State<AppState>, headers: HeaderMap, Query(params): Query<SearchParam>) -> HelpResult<Response> {
    let lang = language(&LangParam { lang: params.lang.clone() }, &headers);
    let (query, _) = super::kb::search_input(params.q.as_deref().unwrap_or_default(), None).in_lang(lang)?;
    let hits = if query.is_empty() { Vec::new() } else { state.knowledge.search(&query, None, 20).map_err(AppError::Internal).in_lang(lang)? };
    if !query.is_empty() {
        state
            .store
            .log_search(&query, Some(lang), crate::store::bot::SearchSource::Help, hits.len(), hits.first().map(|hit| hit.id.as_str()))
            .await
            .in_lang(lang)?;
    }
    let heading = if lang == "zh" { "搜索结果" } else { "Search results" };
    let items: String = hits
        .iter()
        .map(|hit| {
            format!(
                "<li><a href=\"/help/articles/{}?lang={lang}\">{}</a><div class=\"meta\">{}</div></li>",
                escape_html(&hit.id),
                escape_html(&hit.title),
                escape_html(&hit.summary)
            )
        })
        .collect();
    let empty = if lang == "zh" {
        "没有找到相关文章。换个说法试试，或在右下角联系客服。"
    } else {
        "Nothing found. Try other words, or contact us."
    };
    let list = if hits.is_empty() { format!("<p class=\"empty\">{empty}</p>") } else { format!("<ul class=\"results\">{items}</ul>") };
    Ok(page(lang, heading, &format!("<h1>{heading}</h1>{}{list}", search_form(lang, &query))))
}

/// Published articles of one category.
pub async fn category(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(name): ApiPath<String>,
    Query(params): Query<LangParam>,
) -> HelpResult<Response> {
    let lang = language(&params, &headers);
    let articles =
        state.store.articles(&ArticleFilter { lang: None, category: Some(name.clone()), visibility: Some("published".to_owned()) }).await.in_lang(lang)?;
    if articles.is_empty() {
        return Err(AppError::not_found("category")).in_lang(lang);
    }
    let items: String = articles
        .iter()
        .map(|a| format!("<li><a href=\"/help/articles/{}?lang={lang}\">{}</a></li>", escape_html(&a.content.id), escape_html(&a.content.title)))
        .collect();
    Ok(page(lang, &name, &format!("<h1>{}</h1><ul class=\"articles\">{items}</ul>", escape_html(&name))))
}

/// One published article, rendered; each view is counted.
pub async fn article(State(state): State<AppState>, headers: HeaderMap, ApiPath(id): ApiPath<String>, Query(params): Query<LangParam>) -> HelpResult<Response> {
    let lang = language(&params, &headers);
    let article = state.store.article(&id).await.in_lang(lang)?;
    if article.content.visibility != "published" {
        return Err(AppError::not_found("article")).in_lang(lang);
    }
    state.store.count_article_view(&id).await.in_lang(lang)?;
    let (helpful, yes, no) = if lang == "zh" { ("这篇文章有帮助吗？", "有帮助", "没帮助") } else { ("Was this helpful?", "Yes", "No") };
    let body = format!(
        "<p class=\"meta\"><a href=\"/help/categories/{cat_url}?lang={lang}\">{cat}</a></p><h1>{title}</h1><article>{content}</article>\
         <form method=\"post\" action=\"/help/articles/{id}/vote?lang={lang}\"><p>{helpful}</p>\
         <button name=\"helpful\" value=\"true\">{yes}</button><button name=\"helpful\" value=\"false\">{no}</button></form>",
        cat_url = urlencode(&article.content.category),
        cat = escape_html(&article.content.category),
        title = escape_html(&article.content.title),
        content = render_markdown(&article.content.body),
        id = escape_html(&id),
    );
    let notices = notices(&state).await;
    Ok(page(lang, &article.content.title, &format!("{notices}{body}")))
}

#[derive(Debug, Deserialize)]
pub struct VoteForm {
    helpful: bool,
}

/// The vote form of an article page; back to the article.
pub async fn vote(
    State(state): State<AppState>,
    client_ip: crate::http::client_ip::ClientIp,
    ApiPath(id): ApiPath<String>,
    Query(params): Query<LangParam>,
    Form(form): Form<VoteForm>,
) -> HelpResult<Redirect> {
    let lang = match params.lang.as_deref() {
        Some("en") => "en",
        _ => "zh",
    };
    crate::http::client_ip::public_write(&state, client_ip).in_lang(lang)?;
    state.store.vote_article(&id, form.helpful).await.in_lang(lang)?;
    Ok(Redirect::to(&format!("/help/articles/{}?lang={lang}&voted=1", urlencode(&id))))
}

/// Percent-encodes a path segment.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
