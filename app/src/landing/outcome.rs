//! The outcome of a contact-form post made without JavaScript travels in the URL of the page
//! the browser is redirected to: `?lead=sent`, `?lead=failed`, or `?lead=invalid` with the
//! problems (`issues=email:invalid-email,consent:consent-missing`) and the submitted values, so
//! the form comes back with its errors and nothing typed is lost. Plain query parameters keep
//! the decoder out of the browser bundle's JSON code.

use std::collections::BTreeMap;

use super::api::LeadSent;
use crate::error::{AppError, FieldIssue, IssueCode};

/// The form fields whose values come back after a failed post.
pub const ECHOED: [&str; 5] = ["name", "email", "instagram", "message", "consent"];

/// Where the browser goes after a post without JavaScript.
#[cfg(feature = "ssr")]
pub fn redirect_url(lang: crate::i18n::Lang, outcome: &Result<LeadSent, AppError>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    match outcome {
        Ok(_) => {
            query.append_pair("lead", "sent");
        }
        Err(AppError::Validation { issues, echo }) => {
            query.append_pair("lead", "invalid");
            let issues: Vec<String> = issues
                .iter()
                .map(|i| match i.max {
                    Some(max) => format!("{}:{}:{max}", i.field, i.code.name()),
                    None => format!("{}:{}", i.field, i.code.name()),
                })
                .collect();
            query.append_pair("issues", &issues.join(","));
            for field in ECHOED {
                if let Some(value) = echo.get(field).filter(|v| !v.is_empty()) {
                    query.append_pair(field, value);
                }
            }
        }
        Err(_) => {
            query.append_pair("lead", "failed");
        }
    }
    format!("{}?{}#contact", lang.home(), query.finish())
}

/// Reads the outcome back from the query parameters (`get` looks one up).
pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Option<Result<LeadSent, AppError>> {
    match get("lead").as_deref()? {
        "sent" => Some(Ok(LeadSent { duplicate: false })),
        "invalid" => {
            let issues = get("issues")
                .unwrap_or_default()
                .split(',')
                .filter_map(|part| {
                    let mut bits = part.split(':');
                    let field = bits.next()?.to_owned();
                    let code = IssueCode::from_name(bits.next()?)?;
                    let max = bits.next().and_then(|m| m.parse().ok());
                    Some(FieldIssue { field, code, max })
                })
                .collect();
            let echo: BTreeMap<String, String> = ECHOED
                .iter()
                .filter_map(|f| get(f).map(|v| (f.to_string(), v)))
                .collect();
            Some(Err(AppError::Validation { issues, echo }))
        }
        "failed" => Some(Err(AppError::Internal(String::new()))),
        _ => None,
    }
}

#[cfg(all(test, feature = "ssr"))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn roundtrip(outcome: Result<LeadSent, AppError>) -> Option<Result<LeadSent, AppError>> {
        let url = redirect_url(crate::i18n::Lang::En, &outcome);
        assert!(url.starts_with("/en?lead="), "{url}");
        let query = url
            .split('?')
            .nth(1)
            .unwrap()
            .trim_end_matches("#contact")
            .to_owned();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        from_query(|k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn validation_errors_and_values_survive_the_redirect() {
        let error = AppError::Validation {
            issues: vec![
                FieldIssue {
                    field: "email".into(),
                    code: IssueCode::InvalidEmail,
                    max: None,
                },
                FieldIssue {
                    field: "message".into(),
                    code: IssueCode::TooLong,
                    max: Some(4000),
                },
            ],
            echo: BTreeMap::from([
                ("email".to_owned(), "kaputt@".to_owned()),
                ("message".to_owned(), "Zeile 1\nÄrger & Co, 100%".to_owned()),
                ("consent".to_owned(), String::new()),
            ]),
        };
        let mut expected = error.clone();
        if let AppError::Validation { echo, .. } = &mut expected {
            echo.remove("consent");
        }
        assert_eq!(roundtrip(Err(error)), Some(Err(expected)));
    }

    #[test]
    fn success_and_failure() {
        assert_eq!(
            roundtrip(Ok(LeadSent { duplicate: true })),
            Some(Ok(LeadSent { duplicate: false }))
        );
        assert_eq!(
            roundtrip(Err(AppError::Internal("x".into()))),
            Some(Err(AppError::Internal(String::new())))
        );
        assert_eq!(from_query(|_| None), None);
    }
}
