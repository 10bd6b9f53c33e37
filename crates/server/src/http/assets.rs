//! The web assets — the console's and the widget's ES modules and the stylesheet — compiled
//! into the binary from one table and served under content-hashed paths
//! (`/assets/console/main.3f9a1c02de.js`) with a year-long immutable cache: a release
//! changes the names of what changed, so a browser never mixes two versions and never asks
//! twice. There is no build step: at first use every module's relative imports
//! (`from "../shared/dom.js"`) are rewritten to the hashed paths of their targets, each
//! module after the ones it imports, so a change in a shared module renames its importers
//! too. The pages (`/console`, the `/widget.js` loader) name the entry points' hashed paths.

use std::{collections::HashMap, sync::OnceLock};

use axum::{
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

/// Every asset: its path under `web/` and its text.
const SOURCES: &[(&str, &str)] = &[
    ("console.css", include_str!("../../web/console.css")),
    ("shared/api.js", include_str!("../../web/shared/api.js")),
    ("shared/board.js", include_str!("../../web/shared/board.js")),
    ("shared/call.js", include_str!("../../web/shared/call.js")),
    ("shared/call-text.js", include_str!("../../web/shared/call-text.js")),
    ("shared/dom.js", include_str!("../../web/shared/dom.js")),
    ("shared/i18n.js", include_str!("../../web/shared/i18n.js")),
    ("shared/socket.js", include_str!("../../web/shared/socket.js")),
    ("console/api.js", include_str!("../../web/console/api.js")),
    ("console/awards.js", include_str!("../../web/console/awards.js")),
    ("console/calls.js", include_str!("../../web/console/calls.js")),
    ("console/channels.js", include_str!("../../web/console/channels.js")),
    ("console/conversation.js", include_str!("../../web/console/conversation.js")),
    ("console/feedback.js", include_str!("../../web/console/feedback.js")),
    ("console/hub.js", include_str!("../../web/console/hub.js")),
    ("console/i18n.js", include_str!("../../web/console/i18n.js")),
    ("console/inbox.js", include_str!("../../web/console/inbox.js")),
    ("console/kb.js", include_str!("../../web/console/kb.js")),
    ("console/kpis.js", include_str!("../../web/console/kpis.js")),
    ("console/main.js", include_str!("../../web/console/main.js")),
    ("console/media.js", include_str!("../../web/console/media.js")),
    ("console/quality.js", include_str!("../../web/console/quality.js")),
    ("console/realtime.js", include_str!("../../web/console/realtime.js")),
    ("console/sop-defs.js", include_str!("../../web/console/sop-defs.js")),
    ("console/sop.js", include_str!("../../web/console/sop.js")),
    ("console/staff.js", include_str!("../../web/console/staff.js")),
    ("console/toast.js", include_str!("../../web/console/toast.js")),
    ("console/users.js", include_str!("../../web/console/users.js")),
    ("console/wall.js", include_str!("../../web/console/wall.js")),
    ("console/hiring.js", include_str!("../../web/console/hiring.js")),
    ("console/training.js", include_str!("../../web/console/training.js")),
    ("console/incidents.js", include_str!("../../web/console/incidents.js")),
    ("widget/main.js", include_str!("../../web/widget/main.js")),
    ("widget/markup.js", include_str!("../../web/widget/markup.js")),
    ("widget/text.js", include_str!("../../web/widget/text.js")),
];

/// One asset as served.
#[derive(Debug)]
pub struct Asset {
    /// `/assets/<dir>/<name>.<hash>.<ext>`.
    pub url: String,
    pub content_type: &'static str,
    pub body: String,
}

/// The table of assets, by source path and by URL.
#[derive(Debug, Default)]
pub struct Assets {
    by_source: HashMap<&'static str, Asset>,
    by_url: HashMap<String, &'static str>,
}

impl Assets {
    /// The hashed URL of an asset (`console/main.js` → `/assets/console/main.<hash>.js`).
    pub fn url(&self, source: &str) -> &str {
        self.by_source.get(source).map_or("/assets/missing", |asset| asset.url.as_str())
    }

    fn by_url(&self, url: &str) -> Option<&Asset> {
        self.by_url.get(url).and_then(|source| self.by_source.get(source))
    }
}

/// The assets, built once (they are compiled in; the table never changes while running).
pub fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| build(SOURCES).unwrap_or_else(|problem| panic!("the compiled-in web assets are inconsistent: {problem}")))
}

/// The relative module paths a module imports: `from "./x.js"` / `from "../shared/y.js"`.
fn imports(body: &str) -> Vec<&str> {
    body.lines()
        .filter(|line| line.trim_start().starts_with("import ") || line.trim_start().starts_with("export "))
        .filter_map(|line| line.split(" from \"").nth(1).and_then(|rest| rest.split('"').next()))
        .filter(|target| target.starts_with("./") || target.starts_with("../"))
        .collect()
}

/// `dir/x.js` + `../shared/y.js` → `shared/y.js`.
fn resolve(from: &str, target: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for segment in target.split('/') {
        match segment {
            "." => {}
            ".." => {
                parts.pop().ok_or_else(|| format!("{from} imports {target}, outside web/"))?;
            }
            name => parts.push(name),
        }
    }
    Ok(parts.join("/"))
}

fn content_type(source: &str) -> &'static str {
    match source.rsplit('.').next() {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Rewrites and hashes every source, importers after what they import.
pub fn build(sources: &'static [(&'static str, &'static str)]) -> Result<Assets, String> {
    fn visit(source: &'static str, sources: &'static [(&'static str, &'static str)], assets: &mut Assets, path: &mut Vec<&'static str>) -> Result<(), String> {
        if assets.by_source.contains_key(source) {
            return Ok(());
        }
        if path.contains(&source) {
            return Err(format!("import circle: {} → {source}", path.join(" → ")));
        }
        let (_, text) = sources.iter().find(|(name, _)| *name == source).ok_or_else(|| format!("{source} is not in the asset table"))?;
        path.push(source);
        let mut body = (*text).to_owned();
        for target in imports(text) {
            let resolved = resolve(source, target)?;
            let (resolved, _) =
                sources.iter().find(|(name, _)| *name == resolved).ok_or_else(|| format!("{source} imports {target}, which is not in the asset table"))?;
            visit(resolved, sources, assets, path)?;
            body = body.replace(&format!("\"{target}\""), &format!("\"{}\"", assets.url(resolved)));
        }
        path.pop();
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        let (stem, extension) = source.rsplit_once('.').unwrap_or((source, ""));
        let url = format!("/assets/{stem}.{}.{extension}", &hash[..10]);
        assets.by_url.insert(url.clone(), source);
        assets.by_source.insert(source, Asset { url, content_type: content_type(source), body });
        Ok(())
    }
    let mut assets = Assets::default();
    for (source, _) in sources {
        visit(source, sources, &mut assets, &mut Vec::new())?;
    }
    Ok(assets)
}

/// `GET /assets/{*path}`: a hashed asset, cached for a year; anything else 404.
pub async fn serve(Path(path): Path<String>) -> Response {
    let Some(asset) = assets().by_url(&format!("/assets/{path}")) else {
        return (StatusCode::NOT_FOUND, "no such asset (an old page? reload it)").into_response();
    };
    let mut response = asset.body.clone().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    // The widget's modules are imported by the platform's pages, from another origin.
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_web_file_is_in_the_table_and_every_import_resolves() {
        let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut files = Vec::new();
        let mut dirs = vec![web.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{error}")).flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|ext| ext == "js" || ext == "css") {
                    files.push(path.strip_prefix(&web).map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default());
                }
            }
        }
        // The widget's loader is a classic script served at /widget.js, not a hashed module.
        files.retain(|file| file != "widget-loader.js");
        for file in &files {
            assert!(SOURCES.iter().any(|(name, _)| name == file), "web/{file} is not in the asset table (http/assets.rs SOURCES)");
        }
        let built = build(SOURCES).unwrap_or_else(|problem| panic!("{problem}"));
        for (source, _) in SOURCES {
            let asset = &built.by_source[source];
            assert!(!asset.body.contains("from \"./") && !asset.body.contains("from \"../"), "{source} still has a relative import");
        }
    }

    #[test]
    fn a_change_in_an_imported_module_renames_its_importers() {
        static ONE: &[(&str, &str)] = &[("a.js", "import { b } from \"./b.js\";\nb();"), ("b.js", "export function b() {}")];
        static TWO: &[(&str, &str)] = &[("a.js", "import { b } from \"./b.js\";\nb();"), ("b.js", "export function b() { return 1; }")];
        let (one, two) = (build(ONE).unwrap_or_default(), build(TWO).unwrap_or_default());
        assert_ne!(one.url("b.js"), two.url("b.js"));
        assert_ne!(one.url("a.js"), two.url("a.js"), "a.js names b.js's new hash, so its own changes");
        assert!(one.by_source["a.js"].body.contains(one.url("b.js")));
        static CIRCLE: &[(&str, &str)] = &[("a.js", "import { b } from \"./b.js\";"), ("b.js", "import { a } from \"./a.js\";")];
        assert!(build(CIRCLE).is_err_and(|problem| problem.contains("circle")));
    }
}
