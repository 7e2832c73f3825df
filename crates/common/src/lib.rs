//! Small value types every domain crate shares. Each is built by a `parse` that returns a
//! `Result`, so holding one means it is valid.

use serde::{Deserialize, Serialize};

mod problems;
mod targets;
mod text;
pub use problems::{FieldIssue, IssueCode, Problem};
pub use targets::{InstagramHandle, PostKind, PostUrl};
pub use text::{form_text, parse_slug, SLUG_MAX};

/// Why a text is not an email address we can send to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmailProblem {
    Required,
    TooLong { max: usize },
    Invalid,
}

impl From<EmailProblem> for Problem {
    fn from(p: EmailProblem) -> Self {
        match p {
            EmailProblem::Required => Problem::new(IssueCode::Required),
            EmailProblem::TooLong { max } => Problem::too_long(max),
            EmailProblem::Invalid => Problem::new(IssueCode::InvalidEmail),
        }
    }
}

/// An email address a mail provider will deliver to: RFC syntax, a dot in the domain, no
/// display name. Kept as typed; compare with [`Email::normalized`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub const MAX: usize = 254;

    pub fn parse(s: &str) -> Result<Self, EmailProblem> {
        let s = s.trim();
        if s.is_empty() {
            return Err(EmailProblem::Required);
        }
        if s.len() > Self::MAX {
            return Err(EmailProblem::TooLong { max: Self::MAX });
        }
        let parsed: email_address::EmailAddress = s.parse().map_err(|_| EmailProblem::Invalid)?;
        let domain = parsed.domain();
        if parsed.email() != s
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.starts_with('[')
        {
            return Err(EmailProblem::Invalid);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lower-cased, for lookups and uniqueness ("Anna@X.de" and "anna@x.de" are one person).
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A text in both of Growthdesk's languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    pub de: String,
    pub en: String,
}

impl Localized {
    pub fn new(de: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            de: de.into(),
            en: en.into(),
        }
    }

    /// The text in `locale`; the German one where the English is missing.
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::En if !self.en.is_empty() => &self.en,
            _ => &self.de,
        }
    }
}

/// The two languages Growthdesk speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Locale {
    De,
    En,
}

impl Locale {
    /// Unknown or missing locales fall back to German, the agency's language.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Locale::En,
            _ => Locale::De,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::De => "de",
            Locale::En => "en",
        }
    }
}

/// The EU member states the agency sells to: code, German name, English name.
pub const COUNTRY_NAMES: [(&str, &str, &str); 27] = [
    ("AT", "Österreich", "Austria"),
    ("BE", "Belgien", "Belgium"),
    ("BG", "Bulgarien", "Bulgaria"),
    ("CY", "Zypern", "Cyprus"),
    ("CZ", "Tschechien", "Czechia"),
    ("DE", "Deutschland", "Germany"),
    ("DK", "Dänemark", "Denmark"),
    ("EE", "Estland", "Estonia"),
    ("ES", "Spanien", "Spain"),
    ("FI", "Finnland", "Finland"),
    ("FR", "Frankreich", "France"),
    ("GR", "Griechenland", "Greece"),
    ("HR", "Kroatien", "Croatia"),
    ("HU", "Ungarn", "Hungary"),
    ("IE", "Irland", "Ireland"),
    ("IT", "Italien", "Italy"),
    ("LT", "Litauen", "Lithuania"),
    ("LU", "Luxemburg", "Luxembourg"),
    ("LV", "Lettland", "Latvia"),
    ("MT", "Malta", "Malta"),
    ("NL", "Niederlande", "Netherlands"),
    ("PL", "Polen", "Poland"),
    ("PT", "Portugal", "Portugal"),
    ("RO", "Rumänien", "Romania"),
    ("SE", "Schweden", "Sweden"),
    ("SI", "Slowenien", "Slovenia"),
    ("SK", "Slowakei", "Slovakia"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(Email::parse("a.b+c@sub.example.com").is_ok());
        for bad in [
            "not-an-email",
            "a@b",
            "a@@b.de",
            "Anna <a@b.de>",
            "a b@c.de",
            "a@.de",
            "a@de.",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailProblem::Invalid), "{bad}");
        }
        assert_eq!(Email::parse("  "), Err(EmailProblem::Required));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailProblem::TooLong { max: 254 }));
        assert_eq!(
            Email::parse(" Anna@X.de ").unwrap().normalized(),
            "anna@x.de"
        );
    }

    #[test]
    fn unknown_locale_falls_back_to_german() {
        assert_eq!(Locale::parse("EN"), Locale::En);
        assert_eq!(Locale::parse("fr"), Locale::De);
    }
}

/// A service people can sign in with instead of a password (Google, Facebook, Instagram).
/// Shared by the server (configuration, sign-in) and the browser (messages that name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoginProvider {
    Google,
    Facebook,
    Instagram,
}

impl LoginProvider {
    pub const ALL: [LoginProvider; 3] = [Self::Google, Self::Facebook, Self::Instagram];

    /// The name in URLs, the database and configuration variables (upper-cased there).
    pub fn id(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::Facebook => "facebook",
            Self::Instagram => "instagram",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

    /// The name people know it by.
    pub fn label(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::Facebook => "Facebook",
            Self::Instagram => "Instagram",
        }
    }
}

/// What a person may do besides being a client: `client` (every signed-up customer), `admin`
/// (catalog, orders, people), `finance` (invoices, payments, exports). A user may hold
/// several. Shared by the server (checks, the database) and the browser (what the header and
/// the admin pages show).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Client,
    Admin,
    Finance,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Client, Role::Admin, Role::Finance];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Admin => "admin",
            Role::Finance => "finance",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Admins and finance staff must sign in with a second factor, whichever way they sign in.
    pub fn needs_two_factor(self) -> bool {
        matches!(self, Role::Admin | Role::Finance)
    }
}

#[cfg(test)]
mod role_tests {
    use super::Role;

    #[test]
    fn roles_round_trip_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
