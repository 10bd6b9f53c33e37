//! The language of a request's answer, by the one rule of `edudesk_core::lang::Lang::pick`:
//! an explicit choice the caller makes in the request (e.g. a `lang` field a handler reads
//! itself) > `?lang=` > `Accept-Language` > English. Server pages (help centre, console page,
//! SOP views, charts) take it from here; the console and widget scripts apply the same order
//! in `web/shared/i18n.js`.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};
use edudesk_core::lang::Lang;

/// The language picked for this request from `?lang=` and `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language(pub Lang);

impl Language {
    /// The same rule with an explicit choice first (a handler's own `lang` parameter).
    pub fn or_explicit(self, explicit: Option<&str>) -> Lang {
        explicit.and_then(Lang::parse).unwrap_or(self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Language {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let from_query = query.split('&').find_map(|pair| pair.strip_prefix("lang="));
        let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok());
        Ok(Language(Lang::pick(None, from_query, accept)))
    }
}
