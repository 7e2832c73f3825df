//! Who buys: the billing details entered at checkout, parsed into what an invoice needs, and
//! the VAT treatment they lead to.

use gd_common::{form_text, FieldIssue, IssueCode};
use gd_pricing::{Buyer, Treatment, VatId};
use serde::{Deserialize, Serialize};

/// The EU member states (ISO 3166-1 alpha-2): the agency sells within the EU.
pub const COUNTRIES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The seller's VAT country.
pub const SELLER_COUNTRY: &str = "DE";

/// The form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingInput {
    pub name: String,
    pub company: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub vat_id: String,
}

/// Billing details that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billing {
    pub name: String,
    pub company: Option<String>,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// ISO alpha-2, one of [`COUNTRIES`].
    pub country: String,
    pub vat_id: Option<VatId>,
}

impl Billing {
    pub fn buyer(&self) -> Buyer {
        match &self.vat_id {
            Some(id) => Buyer::Business(id.clone()),
            None => Buyer::Consumer,
        }
    }

    /// How VAT applies to this buyer.
    pub fn treatment(&self, small_business: bool) -> Treatment {
        gd_pricing::treatment(&self.buyer(), SELLER_COUNTRY, small_business)
    }
}

/// The VAT id's country prefix for a country (Greece is `EL` in VAT ids).
fn vat_prefix(country: &str) -> &str {
    if country == "GR" {
        "EL"
    } else {
        country
    }
}

/// A VAT id as typed, without the spaces, dots and dashes people write into it.
fn clean_vat_id(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.' && *c != '-')
        .collect()
}

/// The treatment the checkout's summary shows while the form is being filled: a VAT id that
/// parses and fits the country counts; anything else prices as a consumer until the form is
/// sent (and its problems are named then). A small business (§ 19 UStG) charges no VAT at all.
pub fn preview_treatment(country: &str, vat_id: &str, small_business: bool) -> Treatment {
    let country = country.trim().to_ascii_uppercase();
    let buyer = match VatId::parse(&clean_vat_id(vat_id)) {
        Ok(id) if id.country() == vat_prefix(&country) => Buyer::Business(id),
        _ => Buyer::Consumer,
    };
    gd_pricing::treatment(&buyer, SELLER_COUNTRY, small_business)
}

/// Checks every field; all problems at once.
pub fn parse_billing(input: &BillingInput) -> Result<Billing, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let name = form_text(&mut issues, "name", &input.name, 120, true);
    let company = form_text(&mut issues, "company", &input.company, 120, false);
    let street = form_text(&mut issues, "street", &input.street, 120, true);
    let postal_code = form_text(&mut issues, "postal_code", &input.postal_code, 12, true);
    let city = form_text(&mut issues, "city", &input.city, 80, true);
    let country = input.country.trim().to_ascii_uppercase();
    if !COUNTRIES.contains(&country.as_str()) {
        issues.push(FieldIssue::new("country", IssueCode::NotOffered));
    }
    let vat_text = clean_vat_id(&input.vat_id);
    let vat_id = if vat_text.is_empty() {
        None
    } else {
        match VatId::parse(&vat_text) {
            Ok(id) if id.country() == vat_prefix(&country) => Some(id),
            // A VAT id of another country than the billing address: say which field is off.
            Ok(_) => {
                issues.push(FieldIssue::new("vat_id", IssueCode::VatCountry));
                None
            }
            Err(_) => {
                issues.push(FieldIssue::new("vat_id", IssueCode::InvalidVatId));
                None
            }
        }
    };
    if vat_id.is_some() && company.is_empty() {
        // An invoice to a business names the business.
        issues.push(FieldIssue::new("company", IssueCode::Required));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Billing {
        name,
        company: (!company.is_empty()).then_some(company),
        street,
        postal_code,
        city,
        country,
        vat_id,
    })
}

/// A register's confirmation of the buyer's VAT id, kept with an order sold without VAT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatCheck {
    pub vat_id: String,
    /// `vies` or `demo`.
    pub register: String,
    pub checked_at: chrono::DateTime<chrono::Utc>,
    pub request_identifier: Option<String>,
    pub registered_name: Option<String>,
    pub registered_address: Option<String>,
}

/// Keeps the confirmation with its order (in the caller's transaction, the one that created
/// the order). Texts from the register are cut to what the table keeps.
pub async fn record_vat_check(
    conn: &mut sqlx::PgConnection,
    order_id: uuid::Uuid,
    check: &VatCheck,
) -> Result<(), sqlx::Error> {
    fn cut(text: &Option<String>, max: usize) -> Option<String> {
        text.as_ref().map(|t| t.chars().take(max).collect())
    }
    sqlx::query!(
        "INSERT INTO order_vat_checks (order_id, vat_id, register, checked_at, request_identifier,
                                       registered_name, registered_address)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        order_id,
        check.vat_id,
        check.register,
        check.checked_at as _,
        cut(&check.request_identifier, 64),
        cut(&check.registered_name, 400),
        cut(&check.registered_address, 600),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The confirmation kept with an order, if it was sold without VAT to a confirmed VAT id.
pub async fn vat_check(
    conn: &mut sqlx::PgConnection,
    order_id: uuid::Uuid,
) -> Result<Option<VatCheck>, sqlx::Error> {
    sqlx::query_as!(
        VatCheck,
        r#"SELECT vat_id, register, checked_at AS "checked_at: chrono::DateTime<chrono::Utc>",
                  request_identifier, registered_name, registered_address
           FROM order_vat_checks WHERE order_id = $1"#,
        order_id
    )
    .fetch_optional(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BillingInput {
        BillingInput {
            name: " Erika Mustermann ".into(),
            company: String::new(),
            street: "Hauptstraße 1".into(),
            postal_code: "10115".into(),
            city: "Berlin".into(),
            country: "de".into(),
            vat_id: String::new(),
        }
    }

    #[test]
    fn a_consumer_pays_german_vat() {
        let b = parse_billing(&input()).expect("valid");
        assert_eq!(b.name, "Erika Mustermann");
        assert_eq!(b.country, "DE");
        assert_eq!(b.treatment(false), Treatment::Standard);
        assert_eq!(b.treatment(true), Treatment::SmallBusiness);
    }

    #[test]
    fn an_eu_business_with_a_vat_id_gets_reverse_charge_and_a_german_one_does_not() {
        let mut i = input();
        i.country = "AT".into();
        i.company = "Muster GmbH".into();
        i.vat_id = "ATU 12345678".into();
        assert_eq!(
            parse_billing(&i).expect("valid").treatment(false),
            Treatment::ReverseCharge
        );
        let mut de = input();
        de.company = "Muster GmbH".into();
        de.vat_id = "DE123456789".into();
        assert_eq!(
            parse_billing(&de).expect("valid").treatment(false),
            Treatment::Standard
        );
        let mut gr = input();
        gr.country = "GR".into();
        gr.company = "Muster AE".into();
        gr.vat_id = "EL123456789".into();
        assert!(parse_billing(&gr).is_ok());
    }

    #[test]
    fn the_preview_counts_only_a_fitting_vat_id() {
        assert_eq!(
            preview_treatment("at", "ATU 1234-5678", false),
            Treatment::ReverseCharge
        );
        assert_eq!(
            preview_treatment("DE", "ATU12345678", false),
            Treatment::Standard
        );
        assert_eq!(preview_treatment("AT", "ATU1", false), Treatment::Standard);
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let i = BillingInput {
            country: "US".into(),
            vat_id: "DE12".into(),
            ..Default::default()
        };
        let issues = parse_billing(&i).expect_err("invalid");
        let fields: Vec<&str> = issues.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "street", "postal_code", "city", "country", "vat_id"]
        );
        let mut other = input();
        other.company = "X".into();
        other.vat_id = "ATU12345678".into();
        let issues = parse_billing(&other).expect_err("country mismatch");
        assert_eq!(issues[0].code, IssueCode::VatCountry);
        let mut no_company = input();
        no_company.vat_id = "DE123456789".into();
        assert_eq!(
            parse_billing(&no_company).expect_err("company")[0].field,
            "company"
        );
    }
}
