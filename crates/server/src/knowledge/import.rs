//! Knowledge-base import and export in the JSON-lines format of `kb/articles.jsonl`, and
//! Markdown rendering for the help centre (raw HTML in articles is shown as text, links
//! only to http(s), mailto and relative targets).

use anyhow::Context;
use pulldown_cmark::{Event, Options, Parser, Tag, html};

use crate::store::{
    Store,
    kb::{ArticleFilter, ArticleInput},
};

/// The demo knowledge base of 学知在线, shipped with EduDesk.
pub const DEMO_ARTICLES: &str = include_str!("../../kb/articles.jsonl");

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created_or_changed: usize,
    pub unchanged: usize,
}

/// Imports articles, one JSON object per line; an invalid line stops the import with its
/// line number, before anything is written.
pub async fn import(store: &Store, text: &str) -> anyhow::Result<ImportReport> {
    let mut articles = Vec::new();
    for (index, line) in text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty()) {
        let article: ArticleInput = serde_json::from_str(line).with_context(|| format!("line {}: not an article", index + 1))?;
        article.validate().map_err(|problem| anyhow::anyhow!("line {}: {problem}", index + 1))?;
        articles.push(article);
    }
    let mut report = ImportReport::default();
    for article in &articles {
        let (_, changed) = store.save_article(article, None).await.map_err(|error| anyhow::anyhow!("saving {}: {error}", article.id))?;
        if changed {
            report.created_or_changed += 1;
        } else {
            report.unchanged += 1;
        }
    }
    Ok(report)
}

/// Every article, one JSON object per line, in the import format.
pub async fn export(store: &Store) -> anyhow::Result<String> {
    let mut out = String::new();
    for article in store.articles(&ArticleFilter::default()).await.map_err(|error| anyhow::anyhow!("{error}"))? {
        let mut line = serde_json::to_value(&article.content)?;
        if article.content.visibility == "published"
            && let Some(fields) = line.as_object_mut()
        {
            fields.remove("visibility");
        }
        out.push_str(&serde_json::to_string(&line)?);
        out.push('\n');
    }
    Ok(out)
}

fn safe_link(destination: &str) -> bool {
    let lower = destination.trim().to_ascii_lowercase();
    match lower.split_once(':') {
        Some((scheme, _)) if !scheme.contains('/') => matches!(scheme, "http" | "https" | "mailto"),
        _ => true,
    }
}

/// Renders article Markdown to HTML that is safe to put in a page.
pub fn render_markdown(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|event| match event {
        // Raw HTML from an article is shown, never interpreted.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) if !safe_link(&dest_url) => {
            Event::Start(Tag::Link { link_type, dest_url: "#".into(), title, id })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) if !safe_link(&dest_url) => {
            Event::Start(Tag::Image { link_type, dest_url: "#".into(), title, id })
        }
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_without_raw_html_or_script_links() {
        let html = render_markdown("**粗体** <script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://xuezhi.example/help)");
        assert!(html.contains("<strong>粗体</strong>"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("https://xuezhi.example/help"), "{html}");
    }

    #[test]
    fn the_shipped_articles_parse_and_validate() {
        let mut count = 0;
        for line in DEMO_ARTICLES.lines().filter(|line| !line.trim().is_empty()) {
            let article: ArticleInput = serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"));
            article.validate().unwrap_or_else(|problem| panic!("{}: {problem}", article.id));
            count += 1;
        }
        assert_eq!(count, 90);
    }
}
