//! The checkout sessions we create and read, through `async-stripe`: against Stripe when a
//! secret key is configured, otherwise against the test gateway built into our own server,
//! which answers the same requests (so both take the same code path).

use std::collections::HashMap;
use std::time::Duration;

use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems,
    CreateCheckoutSessionLineItemsPriceData as PriceData,
    CreateCheckoutSessionLineItemsPriceDataRecurring as Recurring,
    CreateCheckoutSessionLineItemsPriceDataRecurringInterval as StripeInterval, ProductData,
    RetrieveCheckoutSession,
};
use stripe_checkout::{CheckoutSessionLocale, CheckoutSessionMode};
use stripe_types::Currency;

use crate::event::{PaymentStatus, Session, SessionMode, SessionStatus};

/// Who takes the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayKind {
    Stripe,
    /// The built-in test gateway: no money moves; its page says so.
    Test,
}

impl GatewayKind {
    /// As stored with orders and payments.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Test => "test",
        }
    }
}

/// How often a recurring line is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Month,
    Year,
}

/// One line of a session: what the buyer sees on the payment page and is charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLine {
    pub name: String,
    /// Euro cents charged for the line (per period when recurring).
    pub amount: i64,
    pub interval: Option<Interval>,
}

/// A checkout session to create for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRequest {
    /// Our order id: the session's `client_reference_id` and `metadata[order_id]`.
    pub order_id: String,
    pub order_number: i64,
    pub email: String,
    pub subscription: bool,
    /// `de` or `en`: the language of the payment page.
    pub locale: String,
    pub lines: Vec<SessionLine>,
    pub success_url: String,
    pub cancel_url: String,
    /// The same key for the same order, so that a retried request creates one session.
    pub idempotency_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The gateway answered with an error (a refused request, an unknown session).
    #[error("the payment gateway refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    /// The gateway could not be reached or did not answer in time.
    #[error("the payment gateway cannot be reached: {0}")]
    Unreachable(String),
    /// The answer could not be read.
    #[error("unexpected answer from the payment gateway: {0}")]
    Unexpected(String),
    #[error("payment gateway configuration: {0}")]
    Config(String),
}

impl From<StripeError> for GatewayError {
    fn from(e: StripeError) -> Self {
        match e {
            StripeError::Stripe(errors, status) => GatewayError::Refused {
                status,
                message: errors
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("{:?}", errors.type_)),
            },
            StripeError::ClientError(m) => GatewayError::Unreachable(m),
            StripeError::Timeout => GatewayError::Unreachable("timeout".into()),
            StripeError::JSONDeserialize(m) => GatewayError::Unexpected(m),
            StripeError::ConfigError(m) => GatewayError::Config(m),
        }
    }
}

/// The client for checkout sessions.
#[derive(Clone)]
pub struct Gateway {
    kind: GatewayKind,
    client: Client,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client holds the secret key: never print it.
        f.debug_struct("Gateway")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// A client for `kind` at `api_base` (Stripe's `https://api.stripe.com/`, a local server,
    /// or our own test gateway), authenticated with `secret_key`.
    pub fn new(kind: GatewayKind, secret_key: &str, api_base: &str) -> Result<Self, GatewayError> {
        // async-stripe appends `v1/...` to the base: a base with a path must end in `/`.
        let base = if api_base.ends_with('/') {
            api_base.to_owned()
        } else {
            format!("{api_base}/")
        };
        let client = ClientBuilder::new(secret_key)
            .url(base)
            .timeout(Duration::from_secs(20))
            .build()?;
        Ok(Self { kind, client })
    }

    /// The gateway the configuration asks for: Stripe with a key, the test gateway without.
    pub fn from_config(config: &gd_config::PaymentsConfig) -> Result<Self, GatewayError> {
        let kind = if config.is_test_gateway() {
            GatewayKind::Test
        } else {
            GatewayKind::Stripe
        };
        Self::new(kind, config.api_key.expose(), &config.api_base)
    }

    pub fn kind(&self) -> GatewayKind {
        self.kind
    }

    /// Creates the hosted payment page for an order.
    pub async fn create_session(&self, req: &SessionRequest) -> Result<Session, GatewayError> {
        let items: Vec<CreateCheckoutSessionLineItems> = req
            .lines
            .iter()
            .map(|line| {
                let mut price = PriceData::new(Currency::EUR);
                price.unit_amount = Some(line.amount);
                price.product_data = Some(ProductData::new(line.name.clone()));
                price.recurring = line.interval.map(|i| {
                    Recurring::new(match i {
                        Interval::Month => StripeInterval::Month,
                        Interval::Year => StripeInterval::Year,
                    })
                });
                let mut item = CreateCheckoutSessionLineItems::new();
                item.price_data = Some(price);
                item.quantity = Some(1);
                item
            })
            .collect();
        let metadata: HashMap<String, String> = HashMap::from([
            ("order_id".to_owned(), req.order_id.clone()),
            ("order_number".to_owned(), req.order_number.to_string()),
        ]);
        let key = IdempotencyKey::new(&req.idempotency_key)
            .map_err(|e| GatewayError::Config(e.to_string()))?;
        let session = CreateCheckoutSession::new()
            .mode(if req.subscription {
                CheckoutSessionMode::Subscription
            } else {
                CheckoutSessionMode::Payment
            })
            .line_items(items)
            .customer_email(req.email.clone())
            .client_reference_id(req.order_id.clone())
            .metadata(metadata)
            .locale(if req.locale == "en" {
                CheckoutSessionLocale::En
            } else {
                CheckoutSessionLocale::De
            })
            .success_url(req.success_url.clone())
            .cancel_url(req.cancel_url.clone())
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await?;
        Ok(from_stripe(&session))
    }

    /// The session as the gateway knows it now (the truth when events arrive late or out of
    /// order, and for the success page that may arrive before any event).
    pub async fn session(&self, id: &str) -> Result<Session, GatewayError> {
        let session = RetrieveCheckoutSession::new(id).send(&self.client).await?;
        Ok(from_stripe(&session))
    }
}

fn from_stripe(s: &stripe_checkout::CheckoutSession) -> Session {
    Session {
        id: s.id.as_str().to_owned(),
        mode: SessionMode::parse(s.mode.as_str()),
        status: s
            .status
            .as_ref()
            .map_or(SessionStatus::Other, |st| SessionStatus::parse(st.as_str())),
        payment_status: PaymentStatus::parse(s.payment_status.as_str()),
        client_reference_id: s.client_reference_id.clone(),
        customer: s.customer.as_ref().map(|c| c.id().as_str().to_owned()),
        subscription: s.subscription.as_ref().map(|c| c.id().as_str().to_owned()),
        payment_intent: s
            .payment_intent
            .as_ref()
            .map(|c| c.id().as_str().to_owned()),
        amount_total: s.amount_total,
        currency: s.currency.as_ref().map(|c| c.to_string()),
        url: s.url.clone(),
    }
}
