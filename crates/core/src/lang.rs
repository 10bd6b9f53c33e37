//! Which language to answer a person in — the one rule the help centre, the console, the
//! widget and emails share: an explicit choice (the person's saved toggle or a `lang`
//! setting) wins, then `?lang=` in the address, then the browser's `Accept-Language` in
//! its order of preference (q-values honoured), then English. EduDesk speaks Chinese and
//! English; any `zh-*` tag is Chinese, any `en-*` English, other languages are skipped.

/// A language EduDesk writes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    #[default]
    En,
}

impl Lang {
    /// The short code used in URLs, cookies and `lang` parameters.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The HTML `lang` attribute for a page in this language.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// A language tag (`zh`, `zh-CN`, `zh-Hant-TW`, `en`, `en-GB`...), case-insensitive.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first language EduDesk speaks in an `Accept-Language` header, by preference.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut ranked: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(order, entry)| {
                let mut parts = entry.split(';');
                let lang = Lang::parse(parts.next()?)?;
                let q = parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok())).unwrap_or(1.0);
                (q > 0.0).then_some((q, order, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.first().map(|(_, _, lang)| *lang)
    }

    /// The rule: `explicit` > `query` > `accept_language` > English. Values EduDesk does
    /// not speak are passed over, not errors.
    pub fn pick(explicit: Option<&str>, query: Option<&str>, accept_language: Option<&str>) -> Lang {
        explicit
            .and_then(Lang::parse)
            .or_else(|| query.and_then(Lang::parse))
            .or_else(|| accept_language.and_then(Lang::from_accept_language))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_beats_query_beats_the_browser() {
        assert_eq!(Lang::pick(Some("en"), Some("zh"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::pick(None, Some("zh"), Some("en-US")), Lang::Zh);
        assert_eq!(Lang::pick(Some("fr"), None, Some("zh-TW,zh;q=0.9")), Lang::Zh);
        assert_eq!(Lang::pick(None, None, None), Lang::En);
    }

    #[test]
    fn accept_language_is_read_by_preference_not_position() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr;q=1.0, zh-CN;q=0.7, en;q=0.5"), Some(Lang::Zh));
        assert_eq!(Lang::from_accept_language("en;q=0.2, zh-Hant-TW"), Some(Lang::Zh));
        assert_eq!(Lang::from_accept_language("en;q=0, de"), None);
        assert_eq!(Lang::from_accept_language("garbage;;q=x"), None);
    }
}
