//! The EU VAT register: before the shop sells to a business in another member state without
//! VAT (reverse charge), the register must confirm that the buyer's VAT id is registered. The
//! seller carries the VAT if it is not, so an unconfirmed id never gets a net price.
//!
//! [`Vies`] asks the EU's VIES (REST interface) and keeps its answer as evidence: when it was
//! asked, the name it gave and, when the agency's own VAT id is sent along, the consultation
//! number. [`DemoRegister`] is the local stand-in for the built-in demo agency: a fixed list
//! of fictional businesses ([`DEMO_BUSINESSES`]), and the checkout says that it is one.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gd_config::{Config, VatRegisterConfig};
use gd_pricing::VatId;
use serde::Deserialize;

/// What a register said of a registered VAT id: the evidence the order keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    /// `vies` or `demo`.
    pub register: &'static str,
    pub checked_at: DateTime<Utc>,
    /// VIES's consultation number (only when the agency's VAT id was sent along).
    pub request_identifier: Option<String>,
    /// The name and address the register has for the id, where it tells them.
    pub name: Option<String>,
    pub address: Option<String>,
}

/// Why a VAT id was not confirmed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The register answered: this id is not (or no longer) registered.
    #[error("the VAT id is not registered")]
    NotRegistered,
    /// The register could not answer now (the member state's system is down, too many
    /// requests, no connection); the reason as the register or the connection put it.
    #[error("the VAT register did not answer: {0}")]
    Unavailable(String),
}

pub type CheckFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Confirmation, RegisterError>> + Send + 'a>>;

/// A register that confirms VAT ids.
pub trait VatRegister: Send + Sync {
    fn confirm<'a>(&'a self, id: &'a VatId) -> CheckFuture<'a>;
    /// True for the local demo register (the checkout labels its answers).
    fn is_demo(&self) -> bool;
}

/// The register the configuration names; the agency's own VAT id goes along with VIES
/// requests, so that VIES answers with a consultation number.
pub fn from_config(config: &Config) -> Result<std::sync::Arc<dyn VatRegister>, reqwest::Error> {
    Ok(match &config.vat_register {
        VatRegisterConfig::Vies { url } => std::sync::Arc::new(Vies::new(
            url,
            config
                .agency
                .vat_id
                .as_deref()
                .and_then(|id| VatId::parse(id).ok()),
        )?),
        VatRegisterConfig::Demo => std::sync::Arc::new(DemoRegister),
    })
}

/// The fictional businesses the demo register knows (VAT id, name, address).
pub const DEMO_BUSINESSES: &[(&str, &str, &str)] = &[
    (
        "ATU12345678",
        "Demo Werbe GmbH",
        "Kärntner Straße 1, 1010 Wien",
    ),
    (
        "FR12345678901",
        "Démo Marketing SARL",
        "1 Rue de Rivoli, 75001 Paris",
    ),
    (
        "NL123456789B01",
        "Demo Media B.V.",
        "Damrak 1, 1012 LG Amsterdam",
    ),
];

/// The local stand-in: confirms exactly the ids in [`DEMO_BUSINESSES`].
pub struct DemoRegister;

impl VatRegister for DemoRegister {
    fn confirm<'a>(&'a self, id: &'a VatId) -> CheckFuture<'a> {
        Box::pin(async move {
            let known = DEMO_BUSINESSES
                .iter()
                .find(|(known, _, _)| *known == id.as_str());
            match known {
                Some((_, name, address)) => Ok(Confirmation {
                    register: "demo",
                    checked_at: Utc::now(),
                    request_identifier: None,
                    name: Some((*name).to_owned()),
                    address: Some((*address).to_owned()),
                }),
                None => Err(RegisterError::NotRegistered),
            }
        })
    }

    fn is_demo(&self) -> bool {
        true
    }
}

/// VIES's REST interface: `POST {url}/check-vat-number`.
pub struct Vies {
    http: reqwest::Client,
    url: String,
    requester: Option<VatId>,
}

/// How long a check may take: VIES forwards to the member state's own system, which can be
/// slow; a buyer should not wait longer.
const TIMEOUT: Duration = Duration::from_secs(10);

impl Vies {
    pub fn new(url: &str, requester: Option<VatId>) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .user_agent("Growthdesk")
                .build()?,
            url: url.trim_end_matches('/').to_owned(),
            requester,
        })
    }

    async fn ask(&self, id: &VatId) -> Result<Confirmation, RegisterError> {
        let (country, number) = split(id);
        let mut body = serde_json::json!({ "countryCode": country, "vatNumber": number });
        if let Some(requester) = &self.requester {
            let (r_country, r_number) = split(requester);
            body["requesterMemberStateCode"] = r_country.into();
            body["requesterNumber"] = r_number.into();
        }
        let response = self
            .http
            .post(format!("{}/check-vat-number", self.url))
            .json(&body)
            .send()
            .await
            .map_err(|e| RegisterError::Unavailable(connection_reason(&e)))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| RegisterError::Unavailable(connection_reason(&e)))?;
        if !status.is_success() {
            // `{"actionSucceed": false, "errorWrappers": [{"error": "MS_UNAVAILABLE", …}]}`
            let code = serde_json::from_str::<Failure>(&text)
                .ok()
                .and_then(|f| f.error_wrappers.into_iter().next())
                .map(|w| w.error)
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(refusal(code));
        }
        let answer: Answer = serde_json::from_str(&text).map_err(|e| {
            tracing::warn!(error = %e, "VIES answered in an unknown shape");
            RegisterError::Unavailable("an answer in an unknown shape".into())
        })?;
        if let Some(code) = answer.user_error.filter(|c| c != "VALID" && c != "INVALID") {
            return Err(refusal(code));
        }
        if !answer.valid {
            return Err(RegisterError::NotRegistered);
        }
        Ok(Confirmation {
            register: "vies",
            checked_at: answer
                .request_date
                .and_then(|d| DateTime::parse_from_rfc3339(&d).ok())
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_else(Utc::now),
            request_identifier: answer.request_identifier.filter(|r| !r.is_empty()),
            name: answer.name.and_then(told),
            address: answer.address.and_then(told),
        })
    }
}

impl VatRegister for Vies {
    fn confirm<'a>(&'a self, id: &'a VatId) -> CheckFuture<'a> {
        Box::pin(self.ask(id))
    }

    fn is_demo(&self) -> bool {
        false
    }
}

/// `ATU12345678` → (`AT`, `U12345678`): VIES takes the country and the rest apart.
fn split(id: &VatId) -> (&str, &str) {
    id.as_str().split_at(2)
}

/// VIES's error codes: `INVALID_INPUT` means it refuses the number itself; every other code
/// (`MS_UNAVAILABLE`, `TIMEOUT`, `SERVICE_UNAVAILABLE`, `MS_MAX_CONCURRENT_REQ`,
/// `GLOBAL_MAX_CONCURRENT_REQ`, …) that it cannot answer now.
fn refusal(code: String) -> RegisterError {
    if code == "INVALID_INPUT" {
        RegisterError::NotRegistered
    } else {
        RegisterError::Unavailable(code)
    }
}

fn connection_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else {
        tracing::warn!(error = %e, "VIES could not be reached");
        "not reachable".into()
    }
}

/// VIES writes `---` where a member state does not share the name or address.
fn told(text: String) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text != "---").then(|| text.to_owned())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    valid: bool,
    request_date: Option<String>,
    request_identifier: Option<String>,
    name: Option<String>,
    address: Option<String>,
    user_error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Failure {
    #[serde(default)]
    error_wrappers: Vec<ErrorWrapper>,
}

#[derive(Deserialize)]
struct ErrorWrapper {
    error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_demo_register_knows_its_businesses_and_no_others() {
        let known = VatId::parse("ATU12345678").unwrap();
        let confirmed = DemoRegister.confirm(&known).await.unwrap();
        assert_eq!(confirmed.register, "demo");
        assert_eq!(confirmed.name.as_deref(), Some("Demo Werbe GmbH"));
        let unknown = VatId::parse("ATU87654321").unwrap();
        assert_eq!(
            DemoRegister.confirm(&unknown).await,
            Err(RegisterError::NotRegistered)
        );
        for (id, _, _) in DEMO_BUSINESSES {
            assert!(VatId::parse(id).is_ok(), "{id} must pass the format check");
        }
    }

    #[test]
    fn an_id_is_sent_as_country_and_number() {
        let id = VatId::parse("NL123456789B01").unwrap();
        assert_eq!(split(&id), ("NL", "123456789B01"));
        assert_eq!(told("---".into()), None);
        assert_eq!(told(" Muster GmbH ".into()).as_deref(), Some("Muster GmbH"));
    }
}
