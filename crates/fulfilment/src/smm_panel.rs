//! The client for the common "SMM panel API v2", the protocol most resellers of followers, likes
//! and views speak: one URL, every call a form POST carrying `key` and `action`, answers in JSON.
//!
//! Panels differ in the details, so the reading here is tolerant where they are known to differ
//! (numbers as JSON strings or numbers, booleans in four spellings, errors with HTTP 200 or not)
//! and strict where a mistake would cost money (a price that does not parse is an error, never 0).
//! Amounts are integer millionths of the provider's currency: rates like "0.0045" per 1,000 are
//! common and must survive exactly.

use std::fmt;

use serde_json::{Map, Value};

/// The most order ids one `status` or `cancel` request carries (the protocol's limit); longer
/// lists are split into several requests.
pub const MAX_BATCH: usize = 100;

/// One SMM panel account: its endpoint and API key.
#[derive(Clone)]
pub struct Panel {
    http: reqwest::Client,
    url: String,
    key: String,
}

// Written by hand so the API key can never end up in a log line through `{:?}`.
impl fmt::Debug for Panel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Panel")
            .field("url", &self.url)
            .field("key", &"***")
            .finish()
    }
}

/// What went wrong talking to a panel; the variants differ in what the caller should do next.
#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    /// The panel said no: `{"error": "..."}` (e.g. "Incorrect request", "Not enough funds on
    /// balance"). Retrying the same request will not help.
    #[error("the panel refused: {0}")]
    Refused(String),
    /// Could not reach it (the request never arrived): worth retrying later.
    #[error("the panel could not be reached: {0}")]
    Unreachable(String),
    /// The request went out but no answer came in time: whether the panel acted is unknown.
    #[error("the panel did not answer in time: {0}")]
    NoAnswer(String),
    /// An HTTP status other than 2xx without an error message we could read (status, first 200
    /// characters of the body).
    #[error("the panel answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    /// The answer was not what the protocol says (what was wrong).
    #[error("the panel's answer was unreadable: {0}")]
    Unreadable(String),
}

/// A price per 1,000 units in millionths of the provider's currency unit ("0.90" is 900_000),
/// so sums and margins are exact integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(i64);

impl Rate {
    /// The price per 1,000 in millionths of the currency unit.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// For rates already read and stored; a negative value (never a real price) becomes 0.
    pub fn from_micros(micros: i64) -> Self {
        Self(micros.max(0))
    }

    /// What `quantity` units cost in millionths, rounded up: the provider never charges less
    /// than its rate, so our cost estimate must not either.
    pub fn cost_micros(self, quantity: i64) -> i64 {
        let product = i128::from(self.0) * i128::from(quantity);
        let cost = product.div_euclid(1000) + i128::from(product.rem_euclid(1000) != 0);
        i64::try_from(cost).unwrap_or(if cost < 0 { i64::MIN } else { i64::MAX })
    }
}

/// One service the panel sells, as its `services` action lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The panel's id of the service, sent back with `add`.
    pub service: String,
    pub name: String,
    /// The protocol's `type` ("Default", "Custom Comments", ...).
    pub kind: String,
    pub category: String,
    pub rate: Rate,
    /// Smallest quantity one order may ask for.
    pub min: i64,
    /// Largest quantity one order may ask for.
    pub max: i64,
    /// Whether the panel tops up drops after delivery on request.
    pub refill: bool,
    /// Whether an order not yet delivered can be cancelled.
    pub cancel: bool,
    /// Whether the delivery can be spread over several runs.
    pub dripfeed: bool,
}

/// A new order for `add`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddOrder {
    pub service: String,
    /// The post or profile to deliver to.
    pub link: String,
    /// Units per run (with drip-feed the panel delivers `quantity × runs` in all).
    pub quantity: i64,
    pub drip_feed: Option<DripFeed>,
}

/// Delivery spread over time, so growth looks natural.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DripFeed {
    pub runs: u32,
    pub interval_minutes: u32,
}

/// Where an order stands at the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Pending,
    InProgress,
    Processing,
    /// Delivered in part; the rest (`remains`) will not come and is refunded by the panel.
    Partial,
    Completed,
    Canceled,
    /// A status this client does not know, kept as the panel wrote it (treated as not final).
    Other(String),
}

impl Status {
    /// Reads the panel's text, ignoring case and both spellings of "cancel(l)ed".
    pub fn parse(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().as_str() {
            "pending" => Self::Pending,
            "in progress" => Self::InProgress,
            "processing" => Self::Processing,
            "partial" => Self::Partial,
            "completed" => Self::Completed,
            "canceled" | "cancelled" => Self::Canceled,
            _ => Self::Other(text.to_owned()),
        }
    }

    /// True once the panel will not change the order any more, so polling can stop.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Partial | Self::Completed | Self::Canceled)
    }
}

/// An order's state as `status` reports it; the numbers are optional because panels leave them
/// empty until delivery has started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    pub status: Status,
    /// What the panel charged, in millionths of `currency`.
    pub charge_micros: Option<i64>,
    /// The counter (followers, likes) when delivery started.
    pub start_count: Option<i64>,
    /// Units not delivered (yet).
    pub remains: Option<i64>,
    pub currency: Option<String>,
}

/// The money left on the panel account, which every `add` draws from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub balance_micros: i64,
    pub currency: String,
}

impl Panel {
    /// A panel at `url` (the whole endpoint, e.g. `https://panel.example/api/v2`). Timeouts are
    /// the client's: give it one, or a hanging panel hangs the caller.
    pub fn new(http: reqwest::Client, url: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            http,
            url: url.into(),
            key: key.into(),
        }
    }

    /// The services the panel sells, with prices.
    pub async fn services(&self) -> Result<Vec<Service>, PanelError> {
        let answer = self.call("services", &[]).await?;
        let Value::Array(items) = answer else {
            return Err(unreadable("services: not a list"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                read_service(item).map_err(|e| unreadable(format!("services[{i}]: {e}")))
            })
            .collect()
    }

    /// Places an order; answers the panel's order id (as text: panels use numbers or strings).
    pub async fn add(&self, order: &AddOrder) -> Result<String, PanelError> {
        let quantity = order.quantity.to_string();
        let mut params = vec![
            ("service", order.service.clone()),
            ("link", order.link.clone()),
            ("quantity", quantity),
        ];
        if let Some(drip) = order.drip_feed {
            params.push(("runs", drip.runs.to_string()));
            params.push(("interval", drip.interval_minutes.to_string()));
        }
        let answer = self.call("add", &params).await?;
        field(&answer, "order")
            .and_then(id_text)
            .map_err(|e| unreadable(format!("add: {e}")))
    }

    /// The state of one order.
    pub async fn status(&self, order: &str) -> Result<OrderState, PanelError> {
        let answer = self.call("status", &[("order", order.to_owned())]).await?;
        read_state(&answer).map_err(|e| unreadable(format!("status: {e}")))
    }

    /// The states of many orders, in the order asked. Longer lists than [`MAX_BATCH`] are split
    /// into several requests; each id answers on its own (an unknown id is its own `Err`, with
    /// the panel's text, and does not fail the others).
    pub async fn statuses(
        &self,
        orders: &[String],
    ) -> Result<Vec<(String, Result<OrderState, String>)>, PanelError> {
        let mut states = Vec::with_capacity(orders.len());
        for chunk in orders.chunks(MAX_BATCH) {
            let answer = self.call("status", &[("orders", chunk.join(","))]).await?;
            let Value::Object(by_id) = answer else {
                return Err(unreadable("status: not an object keyed by order id"));
            };
            for id in chunk {
                let state = match by_id.get(id) {
                    None => Err("missing from the panel's answer".to_owned()),
                    Some(value) => match error_message(value) {
                        Some(message) => Err(message),
                        None => read_state(value).map_err(|e| format!("unreadable: {e}")),
                    },
                };
                states.push((id.clone(), state));
            }
        }
        Ok(states)
    }

    /// Asks the panel to top up an order that lost drops; answers the refill id.
    pub async fn refill(&self, order: &str) -> Result<String, PanelError> {
        let answer = self.call("refill", &[("order", order.to_owned())]).await?;
        field(&answer, "refill")
            .and_then(id_text)
            .map_err(|e| unreadable(format!("refill: {e}")))
    }

    /// A refill's status, as the panel's free text (panels do not agree on its words).
    pub async fn refill_status(&self, refill: &str) -> Result<String, PanelError> {
        let answer = self
            .call("refill_status", &[("refill", refill.to_owned())])
            .await?;
        field(&answer, "status")
            .and_then(text)
            .map_err(|e| unreadable(format!("refill_status: {e}")))
    }

    /// Cancels orders not yet delivered, in batches of [`MAX_BATCH`]; each id answers on its own.
    pub async fn cancel(
        &self,
        orders: &[String],
    ) -> Result<Vec<(String, Result<(), String>)>, PanelError> {
        let mut results = Vec::with_capacity(orders.len());
        for chunk in orders.chunks(MAX_BATCH) {
            let answer = self.call("cancel", &[("orders", chunk.join(","))]).await?;
            let Value::Array(items) = answer else {
                return Err(unreadable("cancel: not a list"));
            };
            let mut answered = Vec::with_capacity(items.len());
            for item in &items {
                let id = field(item, "order")
                    .and_then(id_text)
                    .map_err(|e| unreadable(format!("cancel: {e}")))?;
                let outcome = match item.get("cancel").and_then(error_message) {
                    Some(message) => Err(message),
                    None => Ok(()),
                };
                answered.push((id, outcome));
            }
            for id in chunk {
                let outcome = answered
                    .iter()
                    .find(|(answered_id, _)| answered_id == id)
                    .map_or_else(
                        || Err("missing from the panel's answer".to_owned()),
                        |(_, o)| o.clone(),
                    );
                results.push((id.clone(), outcome));
            }
        }
        Ok(results)
    }

    /// The money left on the account.
    pub async fn balance(&self) -> Result<Balance, PanelError> {
        let answer = self.call("balance", &[]).await?;
        let read = || -> Result<Balance, String> {
            Ok(Balance {
                balance_micros: required(&answer, "balance", micros)?,
                currency: required(&answer, "currency", text)?,
            })
        };
        read().map_err(|e| unreadable(format!("balance: {e}")))
    }

    /// One request: the form, then the answer sorted into refusal, HTTP failure or JSON.
    async fn call(&self, action: &str, params: &[(&str, String)]) -> Result<Value, PanelError> {
        // Only the action is logged: the body carries the key.
        tracing::debug!(action, url = %self.url, "SMM panel request");
        let mut form: Vec<(&str, &str)> = vec![("key", &self.key), ("action", action)];
        form.extend(params.iter().map(|(name, value)| (*name, value.as_str())));
        let response = self
            .http
            .post(&self.url)
            .form(&form)
            .send()
            .await
            .map_err(not_reached)?;
        let status = response.status();
        let body = response.text().await.map_err(not_reached)?;
        // Some panels echo the request in their error pages: the key never leaves this function.
        let body = if self.key.is_empty() {
            body
        } else {
            body.replace(&self.key, "***")
        };
        let json = serde_json::from_str::<Value>(&body).ok();
        if let Some(message) = json.as_ref().and_then(error_message) {
            return Err(PanelError::Refused(message));
        }
        if !status.is_success() {
            return Err(PanelError::Http {
                status: status.as_u16(),
                body: first_chars(&body, 200),
            });
        }
        json.ok_or_else(|| unreadable(format!("{action}: not JSON: {}", first_chars(&body, 200))))
    }
}

fn unreadable(what: impl Into<String>) -> PanelError {
    PanelError::Unreadable(what.into())
}

/// The reqwest error with its causes: the top line alone ("error sending request") does not
/// say whether it was DNS, a refused connection or a timeout.
fn not_reached(err: reqwest::Error) -> PanelError {
    let mut message = if err.is_timeout() {
        format!("timed out: {err}")
    } else {
        err.to_string()
    };
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    // Only a failure to connect proves the request never arrived; a timeout or a connection
    // lost mid-way may come after the panel acted.
    if err.is_connect() {
        PanelError::Unreachable(message)
    } else {
        PanelError::NoAnswer(message)
    }
}

fn first_chars(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

/// The text of `{"error": ...}`, if the value is one.
fn error_message(value: &Value) -> Option<String> {
    match value.as_object()?.get("error")? {
        Value::String(message) => Some(message.clone()),
        other => Some(other.to_string()),
    }
}

fn field<'a>(value: &'a Value, name: &str) -> Result<&'a Value, String> {
    value.get(name).ok_or_else(|| format!("no \"{name}\""))
}

/// A present, possibly empty field; absent or null is `None` (panels omit what they lack).
fn optional<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .get(name)
        .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
}

fn text(value: &Value) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{value} is not text"))
}

/// An id the panel may write as a number or a string.
fn id_text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Value::Number(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
        other => Err(format!("{other} is not an id")),
    }
}

/// A whole number from `100`, `"100"` or `"100.0"`.
fn integer(value: &Value) -> Result<i64, String> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(i),
            None => Err(format!("{n} is not a whole number")),
        },
        Value::String(s) => s.trim().parse::<i64>().or_else(|_| match parse_micros(s) {
            Ok(m) if m % 1_000_000 == 0 => Ok(m / 1_000_000),
            _ => Err(format!("{s:?} is not a whole number")),
        }),
        other => Err(format!("{other} is not a number")),
    }
}

/// An amount in millionths from `"0.90"` or `0.9`. JSON numbers have already been through a
/// float; their shortest decimal form (Rust prints no exponent) is read like a string.
fn micros(value: &Value) -> Result<i64, String> {
    match value {
        Value::String(s) => parse_micros(s),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => parse_micros(&i.to_string()),
            (None, Some(f)) => parse_micros(&f.to_string()),
            (None, None) => Err(format!("{n} is not an amount")),
        },
        other => Err(format!("{other} is not an amount")),
    }
}

/// Exact decimal text to millionths: six decimals kept, a seventh rounds half up, negatives
/// refused (a negative price or balance is a misreading, not a bargain).
fn parse_micros(text: &str) -> Result<i64, String> {
    let bad = || format!("{text:?} is not an amount");
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(format!("{text:?} is negative"));
    }
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let mut micros: i64 = 0;
    for position in 0..6 {
        let digit = fraction
            .as_bytes()
            .get(position)
            .map_or(0, |b| i64::from(b - b'0'));
        micros = micros * 10 + digit;
    }
    if fraction.as_bytes().get(6).is_some_and(|b| *b >= b'5') {
        micros += 1;
    }
    whole
        .checked_mul(1_000_000)
        .and_then(|w| w.checked_add(micros))
        .ok_or_else(bad)
}

/// A yes/no from `true`, `1`, `"1"` or `"true"` (and their opposites); absent means no.
fn flag(value: Option<&Value>) -> Result<bool, String> {
    match value {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(true),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(false),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => Ok(true),
            "0" | "false" | "no" | "" => Ok(false),
            _ => Err(format!("{s:?} is not a yes/no")),
        },
        Some(other) => Err(format!("{other} is not a yes/no")),
    }
}

/// A required field read by `read`, its name in the error.
fn required<T>(
    value: &Value,
    name: &str,
    read: fn(&Value) -> Result<T, String>,
) -> Result<T, String> {
    field(value, name)
        .and_then(read)
        .map_err(|e| format!("{name}: {e}"))
}

/// An optional field (see [`optional`]) read by `read`, its name in the error.
fn maybe<T>(
    object: &Map<String, Value>,
    name: &str,
    read: fn(&Value) -> Result<T, String>,
) -> Result<Option<T>, String> {
    optional(object, name)
        .map(read)
        .transpose()
        .map_err(|e| format!("{name}: {e}"))
}

fn read_service(item: &Value) -> Result<Service, String> {
    let object = item.as_object().ok_or("not an object")?;
    // Descriptive text only: a panel that leaves it out still sells the service.
    let descriptive = |name: &str| maybe(object, name, text).ok().flatten().unwrap_or_default();
    let yes_no = |name: &str| flag(object.get(name)).map_err(|e| format!("{name}: {e}"));
    Ok(Service {
        service: required(item, "service", id_text)?,
        name: required(item, "name", text)?,
        kind: descriptive("type"),
        category: descriptive("category"),
        rate: Rate(required(item, "rate", micros)?),
        min: required(item, "min", integer)?,
        max: required(item, "max", integer)?,
        refill: yes_no("refill")?,
        cancel: yes_no("cancel")?,
        dripfeed: yes_no("dripfeed")?,
    })
}

fn read_state(value: &Value) -> Result<OrderState, String> {
    let object = value.as_object().ok_or("not an object")?;
    Ok(OrderState {
        status: Status::parse(&required(value, "status", text)?),
        charge_micros: maybe(object, "charge", micros)?,
        start_count: maybe(object, "start_count", integer)?,
        remains: maybe(object, "remains", integer)?,
        currency: maybe(object, "currency", text).ok().flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_are_read_exactly_from_strings_and_numbers() {
        assert_eq!(micros(&json!("0.90")), Ok(900_000));
        assert_eq!(micros(&json!(0.9)), Ok(900_000));
        assert_eq!(micros(&json!("100.84292")), Ok(100_842_920));
        assert_eq!(micros(&json!(12)), Ok(12_000_000));
        assert_eq!(micros(&json!("0.0045")), Ok(4_500));
        assert_eq!(micros(&json!(0.00001)), Ok(10));
        assert_eq!(micros(&json!(".5")), Ok(500_000));
        assert_eq!(micros(&json!("3.")), Ok(3_000_000));
    }

    #[test]
    fn a_seventh_decimal_rounds_half_up() {
        assert_eq!(parse_micros("0.0000005"), Ok(1));
        assert_eq!(parse_micros("0.0000004"), Ok(0));
        assert_eq!(parse_micros("1.9999995"), Ok(2_000_000));
    }

    #[test]
    fn negative_and_garbage_amounts_are_refused() {
        assert!(parse_micros("-0.5").is_err());
        assert!(parse_micros("").is_err());
        assert!(parse_micros(".").is_err());
        assert!(parse_micros("1,5").is_err());
        assert!(parse_micros("1e5").is_err());
        assert!(parse_micros("99999999999999999").is_err());
        assert!(micros(&json!(null)).is_err());
    }

    #[test]
    fn integers_come_as_numbers_or_strings() {
        assert_eq!(integer(&json!(100)), Ok(100));
        assert_eq!(integer(&json!("100")), Ok(100));
        assert_eq!(integer(&json!(" 3572 ")), Ok(3572));
        assert_eq!(integer(&json!("100.0")), Ok(100));
        assert!(integer(&json!("100.5")).is_err());
        assert!(integer(&json!(1.5)).is_err());
        assert!(integer(&json!(true)).is_err());
    }

    #[test]
    fn booleans_come_in_four_spellings() {
        let spelled = |json: &str| flag(Some(&serde_json::from_str(json).unwrap()));
        for yes in ["true", "1", r#""1""#, r#""true""#, r#""True""#] {
            assert_eq!(spelled(yes), Ok(true), "{yes}");
        }
        for no in ["false", "0", r#""0""#, r#""false""#, r#""""#, "null"] {
            assert_eq!(spelled(no), Ok(false), "{no}");
        }
        assert_eq!(flag(None), Ok(false));
        assert!(flag(Some(&json!("maybe"))).is_err());
        assert!(flag(Some(&json!(2))).is_err());
    }

    #[test]
    fn cost_is_rate_times_quantity_per_thousand_rounded_up() {
        let rate = Rate::from_micros(900_000);
        assert_eq!(rate.cost_micros(1000), 900_000);
        assert_eq!(rate.cost_micros(100), 90_000);
        assert_eq!(Rate::from_micros(1).cost_micros(1), 1);
        assert_eq!(Rate::from_micros(4_500).cost_micros(333), 1_499);
        assert_eq!(Rate::from_micros(0).cost_micros(5000), 0);
        assert_eq!(Rate::from_micros(-5).micros(), 0);
        assert_eq!(Rate::from_micros(i64::MAX).cost_micros(i64::MAX), i64::MAX);
    }

    #[test]
    fn statuses_ignore_case_and_spelling() {
        assert_eq!(Status::parse("In progress"), Status::InProgress);
        assert_eq!(Status::parse("CANCELLED"), Status::Canceled);
        assert_eq!(Status::parse("canceled"), Status::Canceled);
        assert_eq!(
            Status::parse("Awaiting"),
            Status::Other("Awaiting".to_owned())
        );
        assert!(Status::Partial.is_final() && Status::Completed.is_final());
        assert!(!Status::Processing.is_final() && !Status::Other("x".into()).is_final());
    }

    #[test]
    fn debug_hides_the_key() {
        let panel = Panel::new(reqwest::Client::new(), "http://panel.test/api/v2", "s3cret");
        let printed = format!("{panel:?}");
        assert!(
            !printed.contains("s3cret") && printed.contains("***"),
            "{printed}"
        );
    }
}
