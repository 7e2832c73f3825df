//! The checkout sessions we create and read, through `async-stripe`: against Stripe when a
//! secret key is configured, otherwise against the test gateway built into our own server,
//! which answers the same requests (so both take the same code path).

use std::collections::HashMap;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems,
    CreateCheckoutSessionLineItemsPriceData as PriceData,
    CreateCheckoutSessionLineItemsPriceDataRecurring as Recurring,
    CreateCheckoutSessionLineItemsPriceDataRecurringInterval as StripeInterval,
    CreateCheckoutSessionSubscriptionData, ProductData, RetrieveCheckoutSession,
};
use stripe_checkout::{CheckoutSessionLocale, CheckoutSessionMode};
use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_types::Currency;

use crate::event::{Invoice, PaymentStatus, Session, SessionMode, SessionStatus, Subscription};

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

impl Interval {
    /// Stripe's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "month" => Some(Self::Month),
            "year" => Some(Self::Year),
            _ => None,
        }
    }
}

/// One line of a session: what the buyer sees on the payment page and is charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLine {
    pub name: String,
    /// Euro cents charged for the line (per period when recurring).
    pub amount: i64,
    pub interval: Option<Interval>,
    /// The gateway's price for a recurring plan ([`Gateway::create_price`]); the line is
    /// charged at that price instead of from `amount` and `interval`.
    pub price: Option<String>,
}

/// A recurring price to create at the gateway for one of our plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRequest {
    /// The product's name as the buyer sees it on the payment page and invoices.
    pub name: String,
    /// Euro cents per period.
    pub amount: i64,
    pub interval: Interval,
    /// Our digest of the plan (stored as `metadata[growthdesk_key]`, and the idempotency key).
    pub key: String,
}

/// A change the client makes to their subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionChange {
    /// Ends it when the paid period is over.
    CancelAtPeriodEnd,
    /// Takes a cancellation at the period's end back.
    Resume,
    /// Moves its item to another price (the difference is prorated on the next invoice).
    SwitchPrice { item: String, price: String },
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
                let mut item = CreateCheckoutSessionLineItems::new();
                item.quantity = Some(1);
                if let Some(price) = &line.price {
                    item.price = Some(price.clone());
                    return item;
                }
                let mut price = PriceData::new(Currency::EUR);
                price.unit_amount = Some(line.amount);
                price.product_data = Some(ProductData::new(line.name.clone()));
                price.recurring = line.interval.map(|i| {
                    Recurring::new(match i {
                        Interval::Month => StripeInterval::Month,
                        Interval::Year => StripeInterval::Year,
                    })
                });
                item.price_data = Some(price);
                item
            })
            .collect();
        let metadata: HashMap<String, String> = HashMap::from([
            ("order_id".to_owned(), req.order_id.clone()),
            ("order_number".to_owned(), req.order_number.to_string()),
        ]);
        let key = IdempotencyKey::new(&req.idempotency_key)
            .map_err(|e| GatewayError::Config(e.to_string()))?;
        let mut create = CreateCheckoutSession::new();
        if req.subscription {
            // The subscription carries our order id too, so that its own events (which may
            // arrive before the session's) find the order.
            let mut data = CreateCheckoutSessionSubscriptionData::new();
            data.metadata = Some(metadata.clone());
            create = create.subscription_data(data);
        }
        let session = create
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

/// A form body as Stripe reads it.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Subscriptions, invoices, prices and billing portal sessions: requests made through the
/// same `async-stripe` client (its authentication, retries and error handling), with answers
/// read by our own tolerant types ([`crate::event`]) instead of the generated ones, which
/// refuse an object missing any of their many required fields.
impl Gateway {
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: StripeMethod,
        path: String,
        body: Option<String>,
        idempotency_key: Option<&str>,
    ) -> Result<T, GatewayError> {
        self.call_with_query(method, path, None, body, idempotency_key)
            .await
    }

    pub(crate) async fn call_with_query<T: DeserializeOwned>(
        &self,
        method: StripeMethod,
        path: String,
        query: Option<String>,
        body: Option<String>,
        idempotency_key: Option<&str>,
    ) -> Result<T, GatewayError> {
        let mut builder = RequestBuilder::new(method, path);
        builder.query = query;
        builder.body = body;
        let mut request = builder.customize::<miniserde::json::Value>();
        if let Some(key) = idempotency_key {
            let key = IdempotencyKey::new(key).map_err(|e| GatewayError::Config(e.to_string()))?;
            request = request.request_strategy(RequestStrategy::Idempotent(key));
        }
        let value = request.send(&self.client).await?;
        serde_json::from_str(&miniserde::json::to_string(&value))
            .map_err(|e| GatewayError::Unexpected(e.to_string()))
    }

    /// Creates the recurring price of one of our plans; answers its id.
    pub async fn create_price(&self, req: &PriceRequest) -> Result<String, GatewayError> {
        #[derive(Deserialize)]
        struct Created {
            id: String,
        }
        let amount = req.amount.to_string();
        let body = form(&[
            ("currency", "eur"),
            ("unit_amount", &amount),
            ("recurring[interval]", req.interval.as_str()),
            ("product_data[name]", &req.name),
            ("metadata[growthdesk_key]", &req.key),
        ]);
        let created: Created = self
            .call(
                StripeMethod::Post,
                "/prices".into(),
                Some(body),
                Some(&format!("price-{}", req.key)),
            )
            .await?;
        Ok(created.id)
    }

    /// The subscription as the gateway knows it now.
    pub async fn subscription(&self, id: &str) -> Result<Subscription, GatewayError> {
        self.call(
            StripeMethod::Get,
            format!("/subscriptions/{}", path_segment(id)?),
            None,
            None,
        )
        .await
    }

    /// Applies a client's change to subscription `id`; answers the subscription after it.
    pub async fn change_subscription(
        &self,
        id: &str,
        change: &SubscriptionChange,
        idempotency_key: &str,
    ) -> Result<Subscription, GatewayError> {
        let body = match change {
            SubscriptionChange::CancelAtPeriodEnd => form(&[("cancel_at_period_end", "true")]),
            SubscriptionChange::Resume => form(&[("cancel_at_period_end", "false")]),
            SubscriptionChange::SwitchPrice { item, price } => form(&[
                ("items[0][id]", item),
                ("items[0][price]", price),
                ("proration_behavior", "create_prorations"),
            ]),
        };
        self.call(
            StripeMethod::Post,
            format!("/subscriptions/{}", path_segment(id)?),
            Some(body),
            Some(idempotency_key),
        )
        .await
    }

    /// The invoice as the gateway knows it now.
    pub async fn invoice(&self, id: &str) -> Result<Invoice, GatewayError> {
        self.call(
            StripeMethod::Get,
            format!("/invoices/{}", path_segment(id)?),
            None,
            None,
        )
        .await
    }

    /// A billing portal page where `customer` updates their payment method (and sees their
    /// invoices); answers its address.
    pub async fn portal_session(
        &self,
        customer: &str,
        return_url: &str,
        locale: &str,
    ) -> Result<String, GatewayError> {
        #[derive(Deserialize)]
        struct Created {
            url: String,
        }
        let body = form(&[
            ("customer", customer),
            ("return_url", return_url),
            ("locale", if locale == "en" { "en" } else { "de" }),
        ]);
        let created: Created = self
            .call(
                StripeMethod::Post,
                "/billing_portal/sessions".into(),
                Some(body),
                None,
            )
            .await?;
        Ok(created.url)
    }
}

/// A gateway id as one path segment: ids are letters, digits and `_` only.
pub(crate) fn path_segment(id: &str) -> Result<&str, GatewayError> {
    if !id.is_empty()
        && id.len() <= 255
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(id)
    } else {
        Err(GatewayError::Config(format!("not a gateway id: {id:?}")))
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
