//! Parsing the raw form into domain values. Each value can only be built by its `parse`, so a
//! `NewLead` is valid by construction.

pub use gd_common::{Email, FieldIssue, InstagramHandle, IssueCode, Locale, Problem};
use serde::{Deserialize, Serialize};

/// The form as the browser sends it: everything is text, nothing is trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadInput {
    pub name: String,
    pub email: String,
    pub instagram: String,
    pub message: String,
    /// Present (any value) when the consent box was ticked.
    pub consent: bool,
    pub locale: String,
}

/// The form fields, as named in the HTML form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Name,
    Email,
    Instagram,
    Message,
    Consent,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Email => "email",
            Field::Instagram => "instagram",
            Field::Message => "message",
            Field::Consent => "consent",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX: usize = 120;

    pub fn parse(s: &str) -> Result<Self, Problem> {
        required_within(collapse_whitespace(s), Self::MAX).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message(String);

impl Message {
    pub const MAX: usize = 4000;

    pub fn parse(s: &str) -> Result<Self, Problem> {
        required_within(s.trim().replace("\r\n", "\n"), Self::MAX).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A lead that passed every rule and may be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLead {
    pub name: PersonName,
    pub email: Email,
    pub instagram: Option<InstagramHandle>,
    pub message: Message,
    pub locale: Locale,
}

impl NewLead {
    /// Two submissions with the same key are the same lead: the email regardless of case and
    /// the message regardless of whitespace and case.
    pub fn dedupe_key(&self) -> String {
        format!(
            "{}\n{}",
            self.email.as_str().to_lowercase(),
            collapse_whitespace(self.message.as_str()).to_lowercase()
        )
    }
}

/// Checks every field and reports every problem at once, in form order.
pub fn parse(input: &LeadInput) -> Result<NewLead, Vec<FieldIssue>> {
    let mut errors = Vec::new();
    let mut check = |field: Field, r: Result<(), Problem>| {
        if let Err(problem) = r {
            errors.push(problem.on(field.as_str()));
        }
    };
    let name = PersonName::parse(&input.name);
    check(Field::Name, name.as_ref().map(|_| ()).map_err(|p| *p));
    let email = Email::parse(&input.email).map_err(Problem::from);
    check(Field::Email, email.as_ref().map(|_| ()).map_err(|p| *p));
    let instagram = if input.instagram.trim().is_empty() {
        Ok(None)
    } else {
        InstagramHandle::parse(&input.instagram).map(Some)
    };
    check(
        Field::Instagram,
        instagram.as_ref().map(|_| ()).map_err(|p| *p),
    );
    let message = Message::parse(&input.message);
    check(Field::Message, message.as_ref().map(|_| ()).map_err(|p| *p));
    check(
        Field::Consent,
        if input.consent {
            Ok(())
        } else {
            Err(IssueCode::ConsentMissing.into())
        },
    );

    match (name, email, instagram, message) {
        (Ok(name), Ok(email), Ok(instagram), Ok(message)) if errors.is_empty() => Ok(NewLead {
            name,
            email,
            instagram,
            message,
            locale: Locale::parse(&input.locale),
        }),
        _ => Err(errors),
    }
}

/// Non-empty and at most `max` characters (not bytes).
fn required_within(s: String, max: usize) -> Result<String, Problem> {
    if s.is_empty() {
        Err(IssueCode::Required.into())
    } else if s.chars().count() > max {
        Err(Problem::too_long(max))
    } else {
        Ok(s)
    }
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> LeadInput {
        LeadInput {
            name: "  Anna   Schmidt ".into(),
            email: "anna@example.de".into(),
            instagram: "@Anna.Bakes".into(),
            message: "Wir möchten mehr Reichweite.".into(),
            consent: true,
            locale: "de".into(),
        }
    }

    #[test]
    fn a_good_form_parses_and_normalises() {
        let lead = parse(&good()).unwrap();
        assert_eq!(lead.name.as_str(), "Anna Schmidt");
        assert_eq!(lead.instagram.unwrap().as_str(), "anna.bakes");
        assert_eq!(lead.locale, Locale::De);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errors = parse(&LeadInput::default()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "email", "message", "consent"]);
        assert_eq!(errors[3].code, IssueCode::ConsentMissing);
    }

    #[test]
    fn the_handle_is_optional() {
        let mut input = good();
        input.instagram = "   ".into();
        assert!(parse(&input).unwrap().instagram.is_none());
        input.instagram = "https://www.instagram.com/growth.desk/".into();
        assert_eq!(
            parse(&input).unwrap().instagram.unwrap().as_str(),
            "growth.desk"
        );
        input.instagram = "a b".into();
        assert_eq!(
            parse(&input).unwrap_err(),
            vec![FieldIssue::new("instagram", IssueCode::InvalidHandle)]
        );
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        assert!(PersonName::parse(&"ä".repeat(120)).is_ok());
        assert_eq!(
            PersonName::parse(&"ä".repeat(121)),
            Err(Problem::too_long(120))
        );
        assert!(Message::parse(&"ß".repeat(4000)).is_ok());
        assert_eq!(
            Message::parse(&"ß".repeat(4001)),
            Err(Problem::too_long(4000))
        );
    }

    #[test]
    fn a_bad_email_is_reported_on_the_email_field() {
        let mut input = good();
        input.email = "anna-at-example".into();
        let errors = parse(&input).unwrap_err();
        assert_eq!(
            errors,
            vec![FieldIssue::new("email", IssueCode::InvalidEmail)]
        );
    }

    #[test]
    fn dedupe_key_ignores_case_and_whitespace() {
        let a = parse(&good()).unwrap();
        let mut other = good();
        other.email = "ANNA@example.de".into();
        other.message = "Wir  möchten mehr\n Reichweite.".into();
        assert_eq!(a.dedupe_key(), parse(&other).unwrap().dedupe_key());
        other.message = "Etwas anderes".into();
        assert_ne!(a.dedupe_key(), parse(&other).unwrap().dedupe_key());
    }
}
