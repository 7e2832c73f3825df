//! An invoice as it is frozen in the database and printed: both parties, the lines, the
//! amounts per VAT rate, the dates. Everything the PDF and the e-invoice show comes from here,
//! so a document rendered again years later reads the same.

use chrono::NaiveDate;
use gd_pricing::Treatment;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A party as printed (the buyer; the seller's postal part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    #[serde(default)]
    pub company: Option<String>,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// Two letters (ISO 3166-1).
    pub country: String,
    #[serde(default)]
    pub vat_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl Party {
    /// The name an invoice is addressed to: the company when there is one.
    pub fn legal_name(&self) -> &str {
        self.company.as_deref().unwrap_or(&self.name)
    }
}

/// The agency as its invoices name it, frozen with each invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seller {
    pub party: Party,
    #[serde(default)]
    pub tax_number: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub register: Option<String>,
    #[serde(default)]
    pub managing_director: Option<String>,
    #[serde(default)]
    pub bank: Option<String>,
    #[serde(default)]
    pub iban: Option<String>,
    #[serde(default)]
    pub bic: Option<String>,
    /// The built-in demo agency of a local installation (its documents say so).
    #[serde(default)]
    pub demo: bool,
}

impl Seller {
    pub fn from_config(agency: &gd_config::AgencyConfig) -> Self {
        Seller {
            party: Party {
                name: agency.name.clone(),
                company: None,
                street: agency.street.clone(),
                postal_code: agency.postal_code.clone(),
                city: agency.city.clone(),
                country: agency.country.clone(),
                vat_id: agency.vat_id.clone(),
                email: Some(agency.email.clone()),
            },
            tax_number: agency.tax_number.clone(),
            phone: agency.phone.clone(),
            register: agency.register.clone(),
            managing_director: agency.managing_director.clone(),
            bank: agency.bank.clone(),
            iban: agency.iban.clone(),
            bic: agency.bic.clone(),
            demo: agency.demo,
        }
    }
}

/// One line of an invoice. Amounts in euro cents; `vat_rate_bp` in basis points (1900 =
/// 19 %), 0 under reverse charge and for a small business.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub position: i32,
    pub name: String,
    /// What exactly ("5.000 Follower · Express · @handle"; the period of a plan).
    pub details: String,
    pub quantity: i64,
    pub net: i64,
    pub vat_rate_bp: i32,
    pub vat: i64,
    pub total: i64,
}

impl Line {
    /// The net price of one unit in ten-thousandths of a euro (exact to four places, as the
    /// e-invoice allows; the PDF rounds it to cents).
    pub fn unit_net_e4(&self) -> i64 {
        let q = self.quantity.max(1);
        let e4 = i128::from(self.net) * 100;
        // Rounded half up (amounts are never negative).
        ((e4 * 2 + i128::from(q)) / (2 * i128::from(q))) as i64
    }
}

/// The amounts of one VAT rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateSum {
    pub rate_bp: i32,
    pub net: i64,
    pub vat: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Invoice,
    CreditNote,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invoice => "invoice",
            Kind::CreditNote => "credit_note",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invoice" => Some(Kind::Invoice),
            "credit_note" => Some(Kind::CreditNote),
            _ => None,
        }
    }

    /// The number series' prefix: RE (Rechnung), RK (Rechnungskorrektur).
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Invoice => "RE",
            Kind::CreditNote => "RK",
        }
    }
}

/// The invoice a credit note corrects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Corrected {
    pub id: Uuid,
    pub number: String,
    pub issued_on: NaiveDate,
}

/// A final invoice or credit note, complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: Uuid,
    pub kind: Kind,
    pub number: String,
    pub corrects: Option<Corrected>,
    pub order_id: Uuid,
    pub order_number: i64,
    pub user_id: Uuid,
    /// `de` or `en`.
    pub lang: String,
    pub issued_on: NaiveDate,
    pub supplied_from: NaiveDate,
    pub supplied_to: NaiveDate,
    pub treatment: Treatment,
    pub business: bool,
    pub seller: Seller,
    pub buyer: Party,
    pub lines: Vec<Line>,
    pub rates: Vec<RateSum>,
    pub net: i64,
    pub vat: i64,
    pub total: i64,
    pub paid_on: Option<NaiveDate>,
    pub payment_method: String,
    pub note: String,
    /// Paid through the local test gateway: no money moved (the documents say so).
    pub test_payment: bool,
    pub retain_until: NaiveDate,
}

impl Invoice {
    pub fn is_german(&self) -> bool {
        self.lang != "en"
    }
}
