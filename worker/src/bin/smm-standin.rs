//! `smm-standin`: a local stand-in SMM panel speaking the API v2 (one POST endpoint, form in,
//! JSON out), so `make run` and end-to-end tests can place, follow, refill and cancel orders
//! without a real provider or real money. State lives in memory and is gone on restart.
//!
//! It is a test tool, not part of the app, so it reads its few settings straight from the
//! environment rather than through `gd_config::Config`:
//! - `SMM_STANDIN_ADDR`: where to listen (default `127.0.0.1:3005`; the endpoint is `/api/v2`);
//! - `SMM_STANDIN_KEY`: the API key it accepts (default `standin-key`);
//! - `SMM_STANDIN_SECONDS`: how long an order takes to complete (default 20).
//!
//! Orders behave like a real panel's, on a short clock: "Pending" for the first tenth of the
//! time, "In progress" until done, then "Completed", or "Partial" (a quarter left undelivered)
//! when the link contains "partial". Amounts are in EUR, the balance starts at 1000.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{json, Value};

/// One service on offer.
struct Offer {
    id: u64,
    name: &'static str,
    /// Per 1,000 units, in millionths of a euro.
    rate: i64,
    min: i64,
    max: i64,
    refill: bool,
    cancel: bool,
    dripfeed: bool,
}

#[rustfmt::skip]
const fn offer(id: u64, name: &'static str, rate: i64, min: i64, max: i64, flags: [bool; 3]) -> Offer {
    let [refill, cancel, dripfeed] = flags;
    Offer { id, name, rate, min, max, refill, cancel, dripfeed }
}

/// Flags are refill, cancel, drip-feed.
#[rustfmt::skip]
const OFFERS: [Offer; 4] = [
    offer(1001, "Instagram Followers · Stand-in", 900_000, 10, 100_000, [true, true, false]),
    offer(1002, "Instagram Likes · Stand-in", 200_000, 10, 100_000, [true, true, false]),
    offer(1003, "Instagram Views · Stand-in", 50_000, 100, 1_000_000, [false, true, false]),
    // A price no shop would sell below: shows the margin guard refusing to buy at a loss.
    offer(1004, "Expensive test service · Stand-in", 500_000_000, 1, 100_000, [false, false, false]),
];

struct Order {
    quantity: i64,
    link: String,
    created: Instant,
    charge_micros: i64,
    refill: bool,
    cancelable: bool,
    canceled: bool,
}

struct Panel {
    key: String,
    takes: Duration,
    balance_micros: i64,
    next_order: u64,
    next_refill: u64,
    orders: HashMap<u64, Order>,
    refills: HashMap<u64, u64>,
}

type Shared = Arc<Mutex<Panel>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let addr = std::env::var("SMM_STANDIN_ADDR").unwrap_or_else(|_| "127.0.0.1:3005".into());
    let key = std::env::var("SMM_STANDIN_KEY").unwrap_or_else(|_| "standin-key".into());
    let seconds: u64 = match std::env::var("SMM_STANDIN_SECONDS") {
        Ok(text) => text
            .parse()
            .context("SMM_STANDIN_SECONDS must be whole seconds")?,
        Err(_) => 20,
    };
    let panel = Panel {
        key,
        takes: Duration::from_secs(seconds),
        balance_micros: 1_000_000_000,
        next_order: 23_501,
        next_refill: 1,
        orders: HashMap::new(),
        refills: HashMap::new(),
    };
    let app = Router::new()
        .route(
            "/",
            get(|| async { "Growthdesk stand-in SMM panel (local, not a real provider)\n" }),
        )
        .route("/api/v2", post(api))
        .with_state(Arc::new(Mutex::new(panel)));
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!(%addr, seconds, "stand-in SMM panel listening on /api/v2");
    axum::serve(listener, app)
        .with_graceful_shutdown(gd_process::shutdown_signal())
        .await?;
    tracing::info!("stand-in SMM panel stopped");
    Ok(())
}

/// Every action, like a real panel: refusals are `{"error": ...}` with HTTP 200.
async fn api(
    State(panel): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    let action = form.get("action").map_or("", String::as_str);
    // Only the action: the form carries the key.
    tracing::info!(action, "request");
    // A poisoned lock only means another request panicked; the maps are still consistent.
    let mut panel = panel.lock().unwrap_or_else(PoisonError::into_inner);
    let param = |name: &str| form.get(name).map_or("", |v| v.trim());
    let answer = if param("key") != panel.key {
        Err("Invalid API key".to_owned())
    } else {
        match action {
            "services" => Ok(services()),
            "add" => panel.add(
                param("service"),
                param("link"),
                param("quantity"),
                param("runs"),
            ),
            "status" if !param("orders").is_empty() => Ok(panel.statuses(param("orders"))),
            "status" => panel.status(param("order")),
            "refill" => panel.refill(param("order")),
            "refill_status" => match param("refill")
                .parse()
                .ok()
                .and_then(|id| panel.refills.get(&id))
            {
                Some(_) => Ok(json!({"status": "Completed"})),
                None => Err("Incorrect refill ID".to_owned()),
            },
            "cancel" => Ok(panel.cancel(param("orders"))),
            "balance" => Ok(json!({"balance": amount(panel.balance_micros), "currency": "EUR"})),
            _ => Err("Incorrect request".to_owned()),
        }
    };
    if let Err(message) = &answer {
        tracing::info!(action, error = %message, "refused");
    }
    Json(answer.unwrap_or_else(|message| json!({"error": message})))
}

fn services() -> Value {
    // Numbers deliberately mixed between JSON strings and numbers, as real panels send them.
    let list: Vec<Value> = OFFERS
        .iter()
        .map(|o| {
            json!({
                "service": o.id, "name": o.name, "type": "Default", "category": "Instagram · Stand-in",
                "rate": format!("{}.{:02}", o.rate / 1_000_000, o.rate % 1_000_000 / 10_000),
                "min": o.min.to_string(), "max": o.max,
                "refill": o.refill, "cancel": o.cancel, "dripfeed": o.dripfeed,
            })
        })
        .collect();
    Value::Array(list)
}

/// Millionths of a euro as the protocol's text with five decimals, rounded up.
fn amount(micros: i64) -> String {
    let hundred_thousandths = (micros + 9) / 10;
    format!(
        "{}.{:05}",
        hundred_thousandths / 100_000,
        hundred_thousandths % 100_000
    )
}

/// The same link always starts at the same count, so end-to-end tests can expect it.
fn start_count(link: &str) -> i64 {
    // FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
    let hash = link.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    i64::try_from(hash % 5000).unwrap_or(0) + 100
}

impl Panel {
    fn add(
        &mut self,
        service: &str,
        link: &str,
        quantity: &str,
        runs: &str,
    ) -> Result<Value, String> {
        let Some(offer) = OFFERS.iter().find(|offer| service.parse() == Ok(offer.id)) else {
            return Err("Incorrect service ID".to_owned());
        };
        if link.is_empty() {
            return Err("Incorrect link".to_owned());
        }
        let quantity: i64 = quantity
            .parse()
            .map_err(|_| "Incorrect quantity".to_owned())?;
        if quantity < offer.min {
            return Err(format!("Quantity less than minimal {}", offer.min));
        }
        if quantity > offer.max {
            return Err(format!("Quantity more than maximal {}", offer.max));
        }
        let runs: i64 = match runs {
            "" => 1,
            _ if !offer.dripfeed => {
                return Err("Drip-feed is not available for this service".to_owned())
            }
            text => text
                .parse()
                .ok()
                .filter(|r| *r > 0)
                .ok_or("Incorrect runs")?,
        };
        let units = quantity.saturating_mul(runs);
        let charge_micros = offer.rate.saturating_mul(units).saturating_add(999) / 1000;
        if charge_micros > self.balance_micros {
            return Err("Not enough funds on balance".to_owned());
        }
        self.balance_micros -= charge_micros;
        let id = self.next_order;
        self.next_order += 1;
        let order = Order {
            quantity: units,
            link: link.to_owned(),
            created: Instant::now(),
            charge_micros,
            refill: offer.refill,
            cancelable: offer.cancel,
            canceled: false,
        };
        self.orders.insert(id, order);
        tracing::info!(order = id, service, quantity, "order placed");
        Ok(json!({"order": id}))
    }

    /// The order's state now: it moves on with the clock, not with requests.
    fn state(&self, order: &Order) -> (&'static str, i64) {
        let elapsed = order.created.elapsed();
        if order.canceled {
            ("Canceled", order.quantity)
        } else if elapsed < self.takes / 10 {
            ("Pending", order.quantity)
        } else if elapsed < self.takes {
            let done = elapsed.as_secs_f64() / self.takes.as_secs_f64();
            // Truncation intended: whole units delivered so far.
            (
                "In progress",
                order.quantity - (order.quantity as f64 * done) as i64,
            )
        } else if order.link.contains("partial") {
            ("Partial", order.quantity / 4)
        } else {
            ("Completed", 0)
        }
    }

    fn status(&self, id: &str) -> Result<Value, String> {
        let order = id
            .parse()
            .ok()
            .and_then(|id| self.orders.get(&id))
            .ok_or("Incorrect order ID")?;
        let (status, remains) = self.state(order);
        Ok(json!({
            "charge": amount(order.charge_micros), "start_count": start_count(&order.link).to_string(),
            "status": status, "remains": remains.to_string(), "currency": "EUR",
        }))
    }

    fn statuses(&self, ids: &str) -> Value {
        let answer: serde_json::Map<String, Value> = ids
            .split(',')
            .take(100)
            .map(|id| {
                let state = self
                    .status(id.trim())
                    .unwrap_or_else(|message| json!({"error": message}));
                (id.trim().to_owned(), state)
            })
            .collect();
        Value::Object(answer)
    }

    fn refill(&mut self, id: &str) -> Result<Value, String> {
        let order = id
            .parse()
            .ok()
            .and_then(|id| self.orders.get(&id))
            .ok_or("Incorrect order ID")?;
        if !order.refill {
            return Err("Refill is not available for this service".to_owned());
        }
        if !matches!(self.state(order).0, "Completed" | "Partial") {
            return Err("Order is not completed yet".to_owned());
        }
        let (refill, order_id) = (self.next_refill, id.parse().unwrap_or_default());
        self.next_refill += 1;
        self.refills.insert(refill, order_id);
        Ok(json!({"refill": refill.to_string()}))
    }

    fn cancel(&mut self, ids: &str) -> Value {
        let answers: Vec<Value> = ids
            .split(',')
            .take(100)
            .map(|id| self.cancel_one(id.trim()))
            .collect();
        Value::Array(answers)
    }

    /// Cancels an order not yet final and refunds its charge, as a panel does.
    fn cancel_one(&mut self, id: &str) -> Value {
        let Some(number) = id
            .parse::<u64>()
            .ok()
            .filter(|n| self.orders.contains_key(n))
        else {
            return json!({"order": id, "cancel": {"error": "Incorrect order ID"}});
        };
        let refusal = self.orders.get(&number).and_then(|order| {
            if !order.cancelable {
                Some("Cancel is not available for this service")
            } else if matches!(self.state(order).0, "Completed" | "Partial" | "Canceled") {
                Some("Order cannot be canceled")
            } else {
                None
            }
        });
        if let Some(message) = refusal {
            return json!({"order": number, "cancel": {"error": message}});
        }
        if let Some(order) = self.orders.get_mut(&number) {
            order.canceled = true;
            self.balance_micros += std::mem::take(&mut order.charge_micros);
        }
        tracing::info!(order = number, "order canceled");
        json!({"order": number, "cancel": 1})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_five_decimals() {
        assert_eq!(amount(1_000_000_000), "1000.00000");
        assert_eq!(amount(90_000), "0.09000");
        assert_eq!(amount(278_191), "0.27820");
    }
}
