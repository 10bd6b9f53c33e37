//! Input parsed into domain types at the edge.
//!
//! Each type can only hold a valid value, so code past the HTTP and CLI layers never
//! re-checks lengths or formats. Errors name the field and say what is wrong.

use std::fmt;

/// A field that failed validation, with a message fit for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct InputError {
    pub field: &'static str,
    pub problem: String,
}

impl InputError {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self { field, problem: problem.into() }
    }
}

fn bounded_text(field: &'static str, raw: &str, max_chars: usize) -> Result<String, InputError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(InputError::new(field, "must not be empty"));
    }
    if text.chars().count() > max_chars {
        return Err(InputError::new(field, format!("must be at most {max_chars} characters")));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(InputError::new(field, "must not contain control characters"));
    }
    Ok(text.to_owned())
}

/// An email address, lower-cased. Checked for shape only; deliverability is the mail
/// system's business.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@'));
        if valid { Ok(Email(email)) } else { Err(InputError::new("email", format!("'{}' is not an email address", raw.trim()))) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: 8 to 128 characters. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let length = raw.chars().count();
        if length < 8 {
            return Err(InputError::new("password", "must be at least 8 characters"));
        }
        if length > 128 {
            return Err(InputError::new("password", "must be at most 128 characters"));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// A client-generated message id: the idempotency key of a message within a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let valid = !raw.is_empty() && raw.len() <= Self::MAX_LEN && raw.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(ClientId(raw.to_owned()))
        } else {
            Err(InputError::new("client_id", format!("must be 1 to {} printable ASCII characters", Self::MAX_LEN)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The text of a message: 1 to 20,000 characters, surrounding whitespace trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub const MAX_CHARS: usize = 20_000;

    pub fn parse(raw: &str) -> Result<Self, InputError> {
        bounded_text("body", raw, Self::MAX_CHARS).map(MessageBody)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short single-line text such as a subject, name or category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortText(String);

impl ShortText {
    pub fn parse(field: &'static str, raw: &str, max_chars: usize) -> Result<Self, InputError> {
        let text = bounded_text(field, raw, max_chars)?;
        if text.contains(['\n', '\r']) {
            return Err(InputError::new(field, "must be a single line"));
        }
        Ok(ShortText(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A category key such as `playback` or `账号与登录`: one line, at most 64 characters.
pub fn parse_category(raw: &str) -> Result<String, InputError> {
    ShortText::parse("category", raw, 64).map(ShortText::into_string)
}

/// Agent skills from a comma-separated list: trimmed, lower-cased, deduplicated, sorted.
pub fn parse_skills(raw: &str) -> Result<Vec<String>, InputError> {
    let mut skills = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|part| !part.is_empty()) {
        let skill = ShortText::parse("skills", part, 40)?.into_string().to_lowercase();
        if skill.contains(',') {
            return Err(InputError::new("skills", "a skill must not contain a comma"));
        }
        skills.push(skill);
    }
    skills.sort();
    skills.dedup();
    Ok(skills)
}

/// At most this many tags on one conversation.
pub const MAX_TAGS: usize = 10;

/// A conversation's tags: each one line of 1 to 32 characters without commas, trimmed and
/// lower-cased; duplicates merged, sorted; at most [`MAX_TAGS`].
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, InputError> {
    let mut tags = Vec::with_capacity(raw.len());
    for tag in raw {
        let tag = ShortText::parse("tags", tag, 32)?.into_string().to_lowercase();
        if tag.contains(',') {
            return Err(InputError::new("tags", "a tag must not contain a comma"));
        }
        tags.push(tag);
    }
    tags.sort();
    tags.dedup();
    if tags.len() > MAX_TAGS {
        return Err(InputError::new("tags", format!("at most {MAX_TAGS} tags")));
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_merged_and_bounded() {
        let raw = |tags: &[&str]| tags.iter().map(|tag| (*tag).to_owned()).collect::<Vec<_>>();
        assert_eq!(parse_tags(&raw(&[" VIP ", "退款", "vip"])), Ok(vec!["vip".to_owned(), "退款".to_owned()]));
        assert!(parse_tags(&raw(&[" "])).is_err(), "blank");
        assert!(parse_tags(&raw(&["a,b"])).is_err(), "comma");
        assert!(parse_tags(&raw(&["two\nlines"])).is_err(), "line break");
        assert!(parse_tags(&raw(&[&"长".repeat(33)])).is_err(), "too long");
        let many: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert!(parse_tags(&many).is_err(), "too many");
        assert_eq!(parse_tags(&many[..10]).map(|tags| tags.len()), Ok(10));
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse(" T1@EduDesk.Demo ").map(|e| e.0), Ok("t1@edudesk.demo".to_owned()));
        for bad in ["", "no-at", "@x.com", "a@b", "a b@c.com", "a@.com", "a@b@c.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_is_never_printed() {
        let password = Password::parse("correct horse").map(|p| format!("{p:?}"));
        assert_eq!(password.as_deref(), Ok("Password([redacted])"));
        assert!(Password::parse("short").is_err());
    }

    #[test]
    fn message_body_is_trimmed_and_bounded() {
        assert_eq!(MessageBody::parse("  你好  ").map(|b| b.0), Ok("你好".to_owned()));
        assert!(MessageBody::parse("   ").is_err());
        assert!(MessageBody::parse(&"字".repeat(MessageBody::MAX_CHARS + 1)).is_err());
        assert!(MessageBody::parse("bell\u{7}").is_err());
        assert!(MessageBody::parse("line one\nline two").is_ok());
    }

    #[test]
    fn client_ids_are_short_printable_ascii() {
        assert!(ClientId::parse("c-0001").is_ok());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse("has space").is_err());
        assert!(ClientId::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn skills_are_normalised() {
        assert_eq!(parse_skills(" Refund, playback,,refund "), Ok(vec!["playback".to_owned(), "refund".to_owned()]));
        assert_eq!(parse_skills(""), Ok(vec![]));
    }
}
