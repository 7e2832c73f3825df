//! Refunds: money sent back to the buyer for (part of) a payment, through the gateway.

use serde::{Deserialize, Deserializer};
use stripe_client_core::StripeMethod;

use crate::gateway::{form, path_segment, Gateway, GatewayError};

/// A refund as the gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    /// Euro cents sent back.
    pub amount: i64,
    /// `pending`, `succeeded`, `failed`, `canceled`, `requires_action`.
    pub status: String,
    pub payment_intent: Option<String>,
    pub charge: Option<String>,
}

impl Refund {
    /// Whether the money is on its way back (a pending refund is counted: Stripe completes
    /// nearly all of them, and a failed one arrives as an update).
    pub fn counts(&self) -> bool {
        matches!(self.status.as_str(), "succeeded" | "pending")
    }
}

impl<'de> Deserialize<'de> for Refund {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Expandable {
            Id(String),
            Object { id: String },
        }
        let id_of = |e: Expandable| match e {
            Expandable::Id(id) | Expandable::Object { id } => id,
        };
        #[derive(Deserialize)]
        struct Raw {
            id: String,
            amount: i64,
            #[serde(default)]
            status: Option<String>,
            #[serde(default)]
            payment_intent: Option<Expandable>,
            #[serde(default)]
            charge: Option<Expandable>,
        }
        let raw = Raw::deserialize(deserializer)?;
        Ok(Refund {
            id: raw.id,
            amount: raw.amount,
            status: raw.status.unwrap_or_else(|| "pending".into()),
            payment_intent: raw.payment_intent.map(id_of),
            charge: raw.charge.map(id_of),
        })
    }
}

/// What to refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The payment (a payment intent) the money came with.
    pub payment_intent: String,
    /// Euro cents to send back.
    pub amount: i64,
    /// Our order id (`metadata[order_id]`).
    pub order_id: String,
    /// One key per refund the admin asked for: a retried request refunds once.
    pub idempotency_key: String,
}

impl Gateway {
    /// Sends `req.amount` of a payment back to the buyer.
    pub async fn refund(&self, req: &RefundRequest) -> Result<Refund, GatewayError> {
        let amount = req.amount.to_string();
        let body = form(&[
            ("payment_intent", &req.payment_intent),
            ("amount", &amount),
            ("metadata[order_id]", &req.order_id),
        ]);
        self.call(
            StripeMethod::Post,
            "/refunds".into(),
            Some(body),
            Some(&req.idempotency_key),
        )
        .await
    }

    /// The refunds of a charge, as the gateway knows them now (for `charge.refunded`).
    pub async fn refunds_of_charge(&self, charge: &str) -> Result<Vec<Refund>, GatewayError> {
        #[derive(Deserialize)]
        struct List {
            data: Vec<Refund>,
        }
        let query = form(&[("charge", path_segment(charge)?), ("limit", "100")]);
        let list: List = self
            .call_with_query(
                StripeMethod::Get,
                "/refunds".into(),
                Some(query),
                None,
                None,
            )
            .await?;
        Ok(list.data)
    }

    /// The invoice that payment intent `payment_intent` paid, if it paid one (a
    /// subscription's first payment or a renewal); `None` for a checkout's one-off payment.
    /// Since Stripe's 2025 API versions neither a charge nor a payment intent names its
    /// invoice: the invoice payments map one to the other.
    pub async fn invoice_of_payment(
        &self,
        payment_intent: &str,
    ) -> Result<Option<String>, GatewayError> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Expandable {
            Id(String),
            Object { id: String },
        }
        #[derive(Deserialize)]
        struct InvoicePayment {
            invoice: Expandable,
        }
        #[derive(Deserialize)]
        struct List {
            data: Vec<InvoicePayment>,
        }
        let query = form(&[
            ("payment[type]", "payment_intent"),
            ("payment[payment_intent]", path_segment(payment_intent)?),
            ("limit", "1"),
        ]);
        let list: List = self
            .call_with_query(
                StripeMethod::Get,
                "/invoice_payments".into(),
                Some(query),
                None,
                None,
            )
            .await?;
        Ok(list.data.into_iter().next().map(|p| match p.invoice {
            Expandable::Id(id) | Expandable::Object { id } => id,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_reads_with_plain_and_expanded_references() {
        let r: Refund = serde_json::from_str(
            r#"{"id":"re_1","object":"refund","amount":500,"status":"succeeded",
                "payment_intent":{"id":"pi_1"},"charge":"ch_1","currency":"eur"}"#,
        )
        .expect("a refund");
        assert_eq!(r.payment_intent.as_deref(), Some("pi_1"));
        assert_eq!(r.charge.as_deref(), Some("ch_1"));
        assert!(r.counts());
        let failed: Refund =
            serde_json::from_str(r#"{"id":"re_2","amount":5,"status":"failed"}"#).unwrap();
        assert!(!failed.counts());
    }
}
