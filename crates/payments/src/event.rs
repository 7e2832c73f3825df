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

    /// The id of the event's object (a subscription, an invoice, a charge).
    pub fn object_id(&self) -> Option<&str> {
        self.data
            .object
            .get("id")
            .and_then(serde_json::Value::as_str)
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

/// Where a subscription stands, in Stripe's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Incomplete,
    IncompleteExpired,
    Trialing,
    Active,
    PastDue,
    Unpaid,
    Canceled,
    Paused,
}

impl SubscriptionStatus {
    pub const ALL: [SubscriptionStatus; 8] = [
        Self::Incomplete,
        Self::IncompleteExpired,
        Self::Trialing,
        Self::Active,
        Self::PastDue,
        Self::Unpaid,
        Self::Canceled,
        Self::Paused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Unpaid => "unpaid",
            Self::Canceled => "canceled",
            Self::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the subscription has ended for good.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Canceled | Self::IncompleteExpired)
    }
}

/// One item of a subscription: a price, charged every period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionItem {
    pub id: String,
    pub price: String,
    pub product: Option<String>,
    /// Euro cents per unit and period.
    pub unit_amount: i64,
    pub quantity: i64,
    /// `month` or `year`.
    pub interval: Option<String>,
    /// Unix seconds (since Stripe's 2025 API versions the period lives on the item).
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
}

/// A subscription as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub status: SubscriptionStatus,
    pub customer: String,
    pub cancel_at_period_end: bool,
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
    pub canceled_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// Our order id (`metadata[order_id]`, set through the checkout's `subscription_data`).
    pub order_id: Option<String>,
    pub items: Vec<SubscriptionItem>,
}

impl Subscription {
    /// What one period costs (euro cents).
    pub fn amount(&self) -> i64 {
        self.items
            .iter()
            .map(|i| i.unit_amount.saturating_mul(i.quantity))
            .sum()
    }

    /// The period: the subscription's own, or (newer API versions) its first item's.
    pub fn period(&self) -> (Option<i64>, Option<i64>) {
        let item = self.items.first();
        (
            self.current_period_start
                .or_else(|| item.and_then(|i| i.current_period_start)),
            self.current_period_end
                .or_else(|| item.and_then(|i| i.current_period_end)),
        )
    }

    pub fn interval(&self) -> Option<&str> {
        self.items.iter().find_map(|i| i.interval.as_deref())
    }
}

impl<'de> Deserialize<'de> for Subscription {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct RawRecurring {
            #[serde(default)]
            interval: Option<String>,
        }
        #[derive(Deserialize)]
        struct RawPrice {
            id: String,
            #[serde(default)]
            product: Option<Expandable>,
            #[serde(default)]
            unit_amount: Option<i64>,
            #[serde(default)]
            recurring: Option<RawRecurring>,
        }
        #[derive(Deserialize)]
        struct RawItem {
            id: String,
            price: RawPrice,
            #[serde(default)]
            quantity: Option<i64>,
            #[serde(default)]
            current_period_start: Option<i64>,
            #[serde(default)]
            current_period_end: Option<i64>,
        }
        #[derive(Deserialize)]
        struct RawItems {
            #[serde(default)]
            data: Vec<RawItem>,
        }
        #[derive(Deserialize)]
        struct Raw {
            id: String,
            status: String,
            customer: Expandable,
            #[serde(default)]
            cancel_at_period_end: bool,
            #[serde(default)]
            current_period_start: Option<i64>,
            #[serde(default)]
            current_period_end: Option<i64>,
            #[serde(default)]
            canceled_at: Option<i64>,
            #[serde(default)]
            ended_at: Option<i64>,
            #[serde(default)]
            metadata: Option<std::collections::HashMap<String, String>>,
            #[serde(default)]
            items: Option<RawItems>,
        }
        let raw = Raw::deserialize(deserializer)?;
        let status = SubscriptionStatus::parse(&raw.status).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown subscription status {}", raw.status))
        })?;
        Ok(Subscription {
            id: raw.id,
            status,
            customer: raw.customer.id(),
            cancel_at_period_end: raw.cancel_at_period_end,
            current_period_start: raw.current_period_start,
            current_period_end: raw.current_period_end,
            canceled_at: raw.canceled_at,
            ended_at: raw.ended_at,
            order_id: raw.metadata.and_then(|mut m| m.remove("order_id")),
            items: raw
                .items
                .map(|i| i.data)
                .unwrap_or_default()
                .into_iter()
                .map(|i| SubscriptionItem {
                    id: i.id,
                    price: i.price.id,
                    product: i.price.product.map(Expandable::id),
                    unit_amount: i.price.unit_amount.unwrap_or(0),
                    quantity: i.quantity.unwrap_or(1),
                    interval: i.price.recurring.and_then(|r| r.interval),
                    current_period_start: i.current_period_start,
                    current_period_end: i.current_period_end,
                })
                .collect(),
        })
    }
}

/// Where an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Draft,
    Open,
    Paid,
    Uncollectible,
    Void,
}

impl InvoiceStatus {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "draft" => Self::Draft,
            "open" => Self::Open,
            "paid" => Self::Paid,
            "uncollectible" => Self::Uncollectible,
            "void" => Self::Void,
            _ => return None,
        })
    }
}

/// An invoice of a subscription period, as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub id: String,
    pub status: InvoiceStatus,
    pub customer: Option<String>,
    /// The subscription it bills (`parent.subscription_details.subscription` since Stripe's
    /// 2025 API versions, `subscription` before).
    pub subscription: Option<String>,
    /// `subscription_create`, `subscription_cycle`, `subscription_update`, …
    pub billing_reason: Option<String>,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub attempt_count: i64,
    /// The service period (of its first line; the invoice's own `period_*` is the period
    /// whose usage it collects, the one before for a renewal).
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
}

impl<'de> Deserialize<'de> for Invoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct RawPeriod {
            start: Option<i64>,
            end: Option<i64>,
        }
        #[derive(Deserialize)]
        struct RawLine {
            #[serde(default)]
            period: Option<RawPeriod>,
        }
        #[derive(Deserialize)]
        struct RawLines {
            #[serde(default)]
            data: Vec<RawLine>,
        }
        #[derive(Deserialize)]
        struct RawDetails {
            #[serde(default)]
            subscription: Option<Expandable>,
        }
        #[derive(Deserialize)]
        struct RawParent {
            #[serde(default)]
            subscription_details: Option<RawDetails>,
        }
        #[derive(Deserialize)]
        struct Raw {
            id: String,
            status: Option<String>,
            #[serde(default)]
            customer: Option<Expandable>,
            #[serde(default)]
            subscription: Option<Expandable>,
            #[serde(default)]
            parent: Option<RawParent>,
            #[serde(default)]
            billing_reason: Option<String>,
            #[serde(default)]
            amount_due: i64,
            #[serde(default)]
            amount_paid: i64,
            #[serde(default)]
            attempt_count: i64,
            #[serde(default)]
            period_start: Option<i64>,
            #[serde(default)]
            period_end: Option<i64>,
            #[serde(default)]
            lines: Option<RawLines>,
        }
        let raw = Raw::deserialize(deserializer)?;
        let status = raw
            .status
            .as_deref()
            .and_then(InvoiceStatus::parse)
            .ok_or_else(|| serde::de::Error::custom("unknown invoice status"))?;
        let line_period = raw
            .lines
            .and_then(|l| l.data.into_iter().find_map(|line| line.period));
        let (period_start, period_end) = match line_period {
            Some(p) => (p.start, p.end),
            None => (raw.period_start, raw.period_end),
        };
        Ok(Invoice {
            id: raw.id,
            status,
            customer: raw.customer.map(Expandable::id),
            subscription: raw
                .parent
                .and_then(|p| p.subscription_details)
                .and_then(|d| d.subscription)
                .or(raw.subscription)
                .map(Expandable::id),
            billing_reason: raw.billing_reason,
            amount_due: raw.amount_due,
            amount_paid: raw.amount_paid,
            attempt_count: raw.attempt_count,
            period_start,
            period_end,
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

    #[test]
    fn a_subscription_reads_its_period_from_the_item_in_newer_api_versions() {
        let sub: Subscription = serde_json::from_str(
            r#"{"id":"sub_1","object":"subscription","status":"past_due","customer":"cus_1",
                "cancel_at_period_end":true,"canceled_at":null,"ended_at":null,
                "metadata":{"order_id":"o-1"},
                "items":{"object":"list","data":[{"id":"si_1","quantity":2,
                  "current_period_start":100,"current_period_end":200,
                  "price":{"id":"price_1","product":"prod_1","unit_amount":4900,
                           "recurring":{"interval":"month","interval_count":1}}}]}}"#,
        )
        .expect("a subscription");
        assert_eq!(sub.status, SubscriptionStatus::PastDue);
        assert_eq!(sub.period(), (Some(100), Some(200)));
        assert_eq!(sub.amount(), 9800);
        assert_eq!(sub.interval(), Some("month"));
        assert_eq!(sub.order_id.as_deref(), Some("o-1"));
        assert!(serde_json::from_str::<Subscription>(
            r#"{"id":"sub_2","status":"dreaming","customer":"cus_1"}"#
        )
        .is_err());
    }

    #[test]
    fn an_invoice_finds_its_subscription_in_old_and_new_shapes() {
        let new: Invoice = serde_json::from_str(
            r#"{"id":"in_1","status":"paid","customer":"cus_1","billing_reason":"subscription_cycle",
                "amount_due":4900,"amount_paid":4900,"attempt_count":1,"period_start":1,"period_end":2,
                "parent":{"type":"subscription_details","subscription_details":{"subscription":"sub_1"}},
                "lines":{"data":[{"period":{"start":200,"end":300}}]}}"#,
        )
        .expect("an invoice");
        assert_eq!(new.subscription.as_deref(), Some("sub_1"));
        assert_eq!((new.period_start, new.period_end), (Some(200), Some(300)));
        let old: Invoice = serde_json::from_str(
            r#"{"id":"in_2","status":"open","subscription":{"id":"sub_2"},"amount_due":100,
                "period_start":5,"period_end":6}"#,
        )
        .expect("an old invoice");
        assert_eq!(old.subscription.as_deref(), Some("sub_2"));
        assert_eq!(old.status, InvoiceStatus::Open);
        assert_eq!((old.period_start, old.period_end), (Some(5), Some(6)));
    }
}
