//! What admins type into forms (page and product texts, addresses), read the same way
//! everywhere.

use crate::{FieldIssue, IssueCode, Problem};

/// The longest address part (slug) accepted.
pub const SLUG_MAX: usize = 80;

/// An address part: lower-case letters and digits, words joined by single dashes
/// (`instagram-follower`), at most [`SLUG_MAX`] characters.
pub fn parse_slug(s: &str) -> Result<String, Problem> {
    let s = s.trim();
    if s.is_empty() {
        return Err(IssueCode::Required.into());
    }
    if s.len() > SLUG_MAX {
        return Err(Problem::too_long(SLUG_MAX));
    }
    let valid = s.split('-').all(|w| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    if valid {
        Ok(s.to_owned())
    } else {
        Err(IssueCode::InvalidSlug.into())
    }
}

/// A text field of a form: trimmed, line breaks normalised, control characters other than
/// line breaks and tabs dropped (a NUL would not even reach the database). A problem goes to
/// `issues` when it is required and empty, or longer than `max` characters.
pub fn form_text(
    issues: &mut Vec<FieldIssue>,
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    let value: String = value
        .trim()
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    if required && value.is_empty() {
        issues.push(FieldIssue::new(field, IssueCode::Required));
    } else if value.chars().count() > max {
        issues.push(Problem::too_long(max).on(field));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_texts() {
        assert_eq!(parse_slug(" reel-likes ").as_deref(), Ok("reel-likes"));
        for bad in ["Reel", "reel--likes", "-reel", "reel likes", "réel"] {
            assert_eq!(
                parse_slug(bad).unwrap_err().code,
                IssueCode::InvalidSlug,
                "{bad}"
            );
        }
        assert_eq!(parse_slug("").unwrap_err().code, IssueCode::Required);
        assert_eq!(
            parse_slug(&"a".repeat(81)).unwrap_err().code,
            IssueCode::TooLong
        );
        let mut issues = Vec::new();
        assert_eq!(
            form_text(&mut issues, "t", " a\r\nb\u{0}c ", 10, true),
            "a\nbc"
        );
        form_text(&mut issues, "t", "  ", 10, true);
        form_text(&mut issues, "u", "zu lang", 3, false);
        let codes: Vec<_> = issues.iter().map(|i| (i.field.as_str(), i.code)).collect();
        assert_eq!(
            codes,
            vec![("t", IssueCode::Required), ("u", IssueCode::TooLong)]
        );
    }
}
