//! What a service is delivered to: an Instagram account or one of its posts. Parsed once from
//! what a person typed, so a cart line or an order holds only valid targets.

use serde::{Deserialize, Serialize};

use crate::{IssueCode, Problem};

/// An Instagram username: 1–30 characters of letters, digits, dots and underscores; kept
/// lower-case without the leading `@`. A profile link is accepted too.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InstagramHandle(String);

impl InstagramHandle {
    pub const MAX: usize = 30;

    pub fn parse(s: &str) -> Result<Self, Problem> {
        let s = s.trim();
        let s = strip_site(s).unwrap_or(s).trim_end_matches('/');
        let s = s.split(['?', '#']).next().unwrap_or(s);
        let s = s.strip_prefix('@').unwrap_or(s).to_ascii_lowercase();
        if s.is_empty() {
            return Err(IssueCode::Required.into());
        }
        if s.chars().count() > Self::MAX {
            return Err(Problem::too_long(Self::MAX));
        }
        let valid_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_');
        if !valid_chars || s.starts_with('.') || s.ends_with('.') || s.contains("..") {
            return Err(IssueCode::InvalidHandle.into());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The profile's address.
    pub fn url(&self) -> String {
        format!("https://www.instagram.com/{}/", self.0)
    }
}

impl std::fmt::Display for InstagramHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "@{}", self.0)
    }
}

/// `instagram.com/` and what may stand before it, removed.
fn strip_site(s: &str) -> Option<&str> {
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let s = s.strip_prefix("www.").unwrap_or(s);
    s.strip_prefix("instagram.com/")
}

/// An Instagram post or reel, by its link: `https://www.instagram.com/p/{code}/` or
/// `…/reel/{code}/` (also `reels/` and `tv/`, with or without `www.` and query). Kept as the
/// canonical link.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PostUrl {
    kind: PostKind,
    code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PostKind {
    Post,
    Reel,
}

impl PostUrl {
    pub const MAX: usize = 200;

    pub fn parse(s: &str) -> Result<Self, Problem> {
        let s = s.trim();
        if s.is_empty() {
            return Err(IssueCode::Required.into());
        }
        if s.chars().count() > Self::MAX {
            return Err(Problem::too_long(Self::MAX));
        }
        let invalid = || Problem::from(IssueCode::InvalidPost);
        let path = strip_site(s).ok_or_else(invalid)?;
        let path = path.split(['?', '#']).next().unwrap_or(path);
        let mut parts = path.split('/').filter(|p| !p.is_empty());
        // A link copied from a profile's grid carries the name first: `{name}/p/{code}`.
        let mut first = parts.next().ok_or_else(invalid)?;
        if !matches!(first, "p" | "reel" | "reels" | "tv") {
            first = parts.next().ok_or_else(invalid)?;
        }
        let kind = match first {
            "p" | "tv" => PostKind::Post,
            "reel" | "reels" => PostKind::Reel,
            _ => return Err(invalid()),
        };
        let code = parts.next().ok_or_else(invalid)?;
        let valid = (5..=40).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid || parts.next().is_some() {
            return Err(invalid());
        }
        Ok(Self {
            kind,
            code: code.to_owned(),
        })
    }

    pub fn kind(&self) -> PostKind {
        self.kind
    }

    /// The post's short code (what the Graph API and providers know it by).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The canonical link.
    pub fn url(&self) -> String {
        let segment = match self.kind {
            PostKind::Post => "p",
            PostKind::Reel => "reel",
        };
        format!("https://www.instagram.com/{segment}/{}/", self.code)
    }
}

impl std::fmt::Display for PostUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles() {
        for (typed, handle) in [
            ("@growth.desk", "growth.desk"),
            ("Growth_Desk", "growth_desk"),
            ("https://www.instagram.com/growth.desk/", "growth.desk"),
            ("instagram.com/growth.desk?igsh=abc", "growth.desk"),
        ] {
            assert_eq!(
                InstagramHandle::parse(typed).map(|h| h.as_str().to_owned()),
                Ok(handle.to_owned()),
                "{typed}"
            );
        }
        for bad in ["a b", "ab-c", ".abc", "abc.", "a..b", "ü"] {
            assert_eq!(
                InstagramHandle::parse(bad),
                Err(IssueCode::InvalidHandle.into()),
                "{bad}"
            );
        }
        assert_eq!(
            InstagramHandle::parse(" @ "),
            Err(IssueCode::Required.into())
        );
        assert_eq!(
            InstagramHandle::parse(&"a".repeat(31)),
            Err(Problem::too_long(30))
        );
    }

    #[test]
    fn posts() {
        for (typed, url) in [
            (
                "https://www.instagram.com/p/C8abc_12-x/",
                "https://www.instagram.com/p/C8abc_12-x/",
            ),
            (
                "instagram.com/reel/DAbc123XyZ?igsh=xyz",
                "https://www.instagram.com/reel/DAbc123XyZ/",
            ),
            (
                "http://instagram.com/reels/DAbc123XyZ",
                "https://www.instagram.com/reel/DAbc123XyZ/",
            ),
            (
                "https://www.instagram.com/growth.desk/p/C8abc12345/",
                "https://www.instagram.com/p/C8abc12345/",
            ),
        ] {
            assert_eq!(
                PostUrl::parse(typed).map(|p| p.url()),
                Ok(url.to_owned()),
                "{typed}"
            );
        }
        for bad in [
            "https://example.com/p/C8abc12345/",
            "https://www.instagram.com/growth.desk/",
            "https://www.instagram.com/p/ab/",
            "https://www.instagram.com/p/C8abc12345/extra",
            "C8abc12345",
        ] {
            assert_eq!(
                PostUrl::parse(bad),
                Err(IssueCode::InvalidPost.into()),
                "{bad}"
            );
        }
        assert_eq!(PostUrl::parse(""), Err(IssueCode::Required.into()));
    }
}
