//! What Stripe (or the test gateway) sends and answers, read with our own types: only the
//! fields we act on, each optional where Stripe may leave it out, so that a new API version or
//! an event type we do not handle is stored and acknowledged instead of refused.

use serde::{Deserialize, Deserializer};

/// An event as delivered to the webhook.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds.
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventData {
    pub object: serde_json::Value,
}

impl Event {
    /// Reads an event from the raw body (an error when it is not an event at all).
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The event's object as a checkout session, for `checkout.session.*` events.
    pub fn session(&self) -> Option<Session> {
        if !self.kind.starts_with("checkout.session.") {
            return None;
        }
        serde_json::from_value(self.data.object.clone()).ok()
    }
}

/// Whether a session takes one payment or starts a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionMode {
    Payment,
    Subscription,
    Other,
}

impl SessionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Subscription => "subscription",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "payment" => Self::Payment,
            "subscription" => Self::Subscription,
            _ => Self::Other,
        }
    }
}

/// Where a session is: open (the buyer may still pay), complete, expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStatus {
    Open,
    Complete,
    Expired,
    Other,
}

impl SessionStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "open" => Self::Open,
            "complete" => Self::Complete,
            "expired" => Self::Expired,
            _ => Self::Other,
        }
    }
}

/// Whether the money has arrived. A complete session can still be `Unpaid` while a delayed
/// method (a bank debit) settles; only `Paid` fulfils.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Paid,
    Unpaid,
    NoPaymentRequired,
    Other,
}

impl PaymentStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "paid" => Self::Paid,
            "unpaid" => Self::Unpaid,
            "no_payment_required" => Self::NoPaymentRequired,
            _ => Self::Other,
        }
    }
}

/// A checkout session: what we read from events and from the API alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub mode: SessionMode,
    pub status: SessionStatus,
    pub payment_status: PaymentStatus,
    /// Our order id, set when the session was created.
    pub client_reference_id: Option<String>,
    pub customer: Option<String>,
    pub subscription: Option<String>,
    pub payment_intent: Option<String>,
    pub amount_total: Option<i64>,
    pub currency: Option<String>,
    /// Where the buyer pays (only while open).
    pub url: Option<String>,
}

impl<'de> Deserialize<'de> for Session {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            id: String,
            #[serde(default)]
            mode: Option<String>,
            #[serde(default)]
            status: Option<String>,
            #[serde(default)]
            payment_status: Option<String>,
            #[serde(default)]
            client_reference_id: Option<String>,
            #[serde(default)]
            customer: Option<Expandable>,
            #[serde(default)]
            subscription: Option<Expandable>,
            #[serde(default)]
            payment_intent: Option<Expandable>,
            #[serde(default)]
            amount_total: Option<i64>,
            #[serde(default)]
            currency: Option<String>,
            #[serde(default)]
            url: Option<String>,
        }
        let raw = Raw::deserialize(deserializer)?;
        Ok(Session {
            id: raw.id,
            mode: SessionMode::parse(raw.mode.as_deref().unwrap_or("")),
            status: SessionStatus::parse(raw.status.as_deref().unwrap_or("")),
            payment_status: PaymentStatus::parse(raw.payment_status.as_deref().unwrap_or("")),
            client_reference_id: raw.client_reference_id,
            customer: raw.customer.map(Expandable::id),
            subscription: raw.subscription.map(Expandable::id),
            payment_intent: raw.payment_intent.map(Expandable::id),
            amount_total: raw.amount_total,
            currency: raw.currency,
            url: raw.url,
        })
    }
}

/// A reference Stripe sends either as an id or, when expanded, as the object with its id.
#[derive(Deserialize)]
#[serde(untagged)]
enum Expandable {
    Id(String),
    Object { id: String },
}

impl Expandable {
    fn id(self) -> String {
        match self {
            Self::Id(id) | Self::Object { id } => id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completed_session_event_reads_with_expanded_and_plain_references() {
        let body = br#"{"id":"evt_1","object":"event","type":"checkout.session.completed","created":1767225700,
          "livemode":false,"pending_webhooks":1,"api_version":"2026-09-30.endive",
          "data":{"object":{"id":"cs_test_1","object":"checkout.session","mode":"payment","status":"complete",
            "payment_status":"paid","client_reference_id":"0193b1f0-0000-7000-8000-000000000001",
            "customer":{"id":"cus_1","object":"customer"},"payment_intent":"pi_1","subscription":null,
            "amount_total":4900,"currency":"eur","url":null,"some_new_field":{"x":1}}}}"#;
        let event = Event::parse(body).expect("an event");
        assert_eq!(event.kind, "checkout.session.completed");
        let session = event.session().expect("a session");
        assert_eq!(session.status, SessionStatus::Complete);
        assert_eq!(session.payment_status, PaymentStatus::Paid);
        assert_eq!(session.customer.as_deref(), Some("cus_1"));
        assert_eq!(session.payment_intent.as_deref(), Some("pi_1"));
        assert_eq!(session.subscription, None);
        assert_eq!(session.amount_total, Some(4900));
    }

    #[test]
    fn an_unknown_event_type_still_reads_as_an_event() {
        let body = br#"{"id":"evt_2","type":"radar.early_fraud_warning.created","created":1,"data":{"object":{"id":"issfr_1"}}}"#;
        let event = Event::parse(body).expect("an event");
        assert_eq!(event.session(), None);
        assert!(Event::parse(b"{\"hello\":1}").is_err());
    }
}
