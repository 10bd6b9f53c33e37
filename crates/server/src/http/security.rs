//! Response headers every answer carries for the browser's sake: `nosniff` and a referrer
//! policy everywhere; a content security policy (scripts only from this server, no
//! framing of the console) on HTML; `Cache-Control: no-store` on the API, whose answers are
//! personal (sessions, conversations) — an endpoint that chose its own caching keeps it.

use axum::{
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

/// The console and everything else of ours: nothing framed, nothing inline but styles.
const CSP_APP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
     connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// The help centre may be shown inside the platform's own pages of this origin.
const CSP_HELP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

pub async fn headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    let html = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| value.starts_with("text/html"));
    if html {
        let policy = if path.starts_with("/help") { CSP_HELP } else { CSP_APP };
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
        if !path.starts_with("/help") {
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
    }
    if path.starts_with("/api/") && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
