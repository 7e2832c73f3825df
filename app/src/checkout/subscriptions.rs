//! The client's subscriptions: what they pay per period, until when, the billing periods
//! with their payments, and the changes a client makes themselves (cancel at the end of the
//! period, take the cancellation back, update the payment method at the gateway's billing
//! portal). The state shown is our copy, kept current by the gateway's events; a change is
//! made at the gateway and its answer applied at once, so the page shows it without waiting
//! for the event.

use gd_pricing::Cents;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One billing period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodLine {
    /// "01.12.2026 – 01.01.2027".
    pub range: String,
    pub amount: Cents,
    /// `paid`, `failed`, `open`, `void`.
    pub status: String,
    /// `first`, `renewal`, `change`, `other`.
    pub reason: String,
}

/// A plan the client may switch to (another tier of the same product, same interval).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOption {
    pub tier: String,
    /// "Social-Media-Betreuung (16 Beiträge im Monat)".
    pub name: String,
    /// Per period, under the order's VAT treatment.
    pub amount: Cents,
}

/// One subscription of the signed-in client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionCard {
    pub id: String,
    pub order_id: String,
    pub order_number: i64,
    pub plan: String,
    /// Stripe's status: `active`, `past_due`, `canceled`, …
    pub status: String,
    /// `month` or `year`.
    pub interval: String,
    pub amount: Cents,
    pub cancel_at_period_end: bool,
    /// The end of the paid period (the next renewal, or the end when cancelled).
    pub period_end: Option<String>,
    pub ended: Option<String>,
    /// Whether it can still be changed (not ended).
    pub open: bool,
    pub periods: Vec<PeriodLine>,
    /// The plan's tier now, and the others it may switch to (none when it cannot switch).
    pub tier: Option<String>,
    pub plans: Vec<PlanOption>,
    /// Handled by the built-in test gateway (no money moves).
    pub test_gateway: bool,
}

/// The signed-in client's subscriptions, newest first.
#[server(prefix = "/api", endpoint = "my_subscriptions")]
pub async fn my_subscriptions() -> Result<Vec<SubscriptionCard>, AppError> {
    server::list().await
}

/// Changes subscription `id` of the signed-in client: `action` is `cancel` (at the end of the
/// paid period), `resume` (take the cancellation back) or `switch` to plan `tier` (the
/// difference is settled on the next invoice). 404 for someone else's, 409 for one that has
/// ended, 422 for a plan it cannot switch to, a conflict when the gateway cannot be reached
/// (nothing changed).
#[server(prefix = "/api", endpoint = "change_subscription")]
pub async fn change_subscription(
    #[server(default)] id: String,
    #[server(default)] action: String,
    #[server(default)] tier: String,
) -> Result<SubscriptionCard, AppError> {
    server::change(&id, &action, &tier).await
}

/// Opens the gateway's billing portal for subscription `id` (update the payment method,
/// see invoices); answers its address (a form posted without JavaScript is redirected).
#[server(prefix = "/api", endpoint = "subscription_portal")]
pub async fn subscription_portal(
    #[server(default)] lang: String,
    #[server(default)] id: String,
) -> Result<String, AppError> {
    server::portal(&lang, &id).await
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use gd_common::Locale;
    use gd_orders::subscriptions::{self, PlanLine, SubscriptionView};
    use gd_payments::{GatewayError, Interval, SubscriptionChange};
    use gd_pricing::{Selection, Treatment};
    use uuid::Uuid;

    use super::*;
    use crate::context::{require_user, server_context};
    use crate::error::Conflict;

    fn date(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
        t.map(|t| t.format("%d.%m.%Y").to_string())
    }

    /// Why the gateway's price for a plan could not be had.
    pub(crate) enum PriceFailure {
        App(AppError),
        Gateway(GatewayError),
    }

    /// A recurring plan as a price at the gateway.
    pub(crate) struct PlanPrice<'a> {
        pub slug: &'a str,
        pub tier: &'a str,
        pub addons: &'a [String],
        pub speed: Option<&'a str>,
        pub interval: Interval,
        /// Per period, under the buyer's treatment.
        pub amount: i64,
        pub name: String,
    }

    /// The gateway's price for `plan`: created there once per plan and amount, then reused.
    pub(crate) async fn gateway_price(plan: &PlanPrice<'_>) -> Result<String, PriceFailure> {
        let app = |e: gd_orders::OrderError| PriceFailure::App(AppError::internal(e));
        let ctx = server_context().map_err(PriceFailure::App)?;
        let key = gd_orders::price_key(
            plan.slug,
            plan.tier,
            plan.addons,
            plan.speed,
            plan.interval.as_str(),
            plan.amount,
            &plan.name,
        );
        let gateway = ctx.gateway.kind().as_str();
        let mut conn = ctx
            .pool
            .acquire()
            .await
            .map_err(|e| PriceFailure::App(AppError::internal(e)))?;
        if let Some(price) = gd_orders::known_price(&mut conn, gateway, &key)
            .await
            .map_err(app)?
        {
            return Ok(price);
        }
        let created = ctx
            .gateway
            .create_price(&gd_payments::PriceRequest {
                name: plan.name.clone(),
                amount: plan.amount,
                interval: plan.interval,
                key: key.clone(),
            })
            .await
            .map_err(PriceFailure::Gateway)?;
        gd_orders::remember_price(
            &mut conn,
            gateway,
            &key,
            &created,
            plan.amount,
            plan.interval.as_str(),
            &plan.name,
        )
        .await
        .map_err(app)
    }

    /// A plan's name as its price is named: "2 × Product (description)".
    pub(crate) fn plan_name(quantity: u32, product: &str, description: &str) -> String {
        let mut name = if quantity > 1 {
            format!("{quantity} × {product}")
        } else {
            product.to_owned()
        };
        if !description.is_empty() {
            name.push_str(&format!(" ({description})"));
        }
        name
    }

    /// One plan the subscription may be on.
    struct Plan {
        tier: String,
        name: String,
        amount: i64,
        interval: Interval,
        selection: Selection,
    }

    /// The tiers of the subscription's product, priced as its order was (same add-ons, speed,
    /// quantity and VAT treatment). Empty when it cannot switch: ended, several recurring
    /// lines, or a product no longer sold.
    fn plans(
        catalog: &gd_catalog::Catalog,
        sub: &SubscriptionView,
        line: Option<&PlanLine>,
    ) -> Vec<Plan> {
        let (Some(line), Some(slug), Some(_)) = (line, &sub.product_slug, &sub.item_ref) else {
            return Vec::new();
        };
        if line.recurring_lines != 1 || sub.status.is_final() {
            return Vec::new();
        }
        let Some(product) = catalog.product(slug) else {
            return Vec::new();
        };
        let Some(price) = product.price.as_ref() else {
            return Vec::new();
        };
        let interval = match price.offer.billing {
            gd_pricing::Billing::Monthly => Interval::Month,
            gd_pricing::Billing::Yearly => Interval::Year,
            gd_pricing::Billing::OneOff => return Vec::new(),
        };
        if interval.as_str() != sub.interval {
            return Vec::new();
        }
        let treatment = match sub.treatment.as_str() {
            "reverse_charge" => Treatment::ReverseCharge,
            "small_business" => Treatment::SmallBusiness,
            _ => Treatment::Standard,
        };
        let locale = Locale::parse(&sub.lang);
        let quantity = u32::try_from(line.quantity).unwrap_or(1);
        price
            .offer
            .tiers
            .iter()
            .filter_map(|tier| {
                let selection = Selection {
                    tier: tier.key.clone(),
                    addons: line.addons.clone(),
                    speed: line.speed.clone(),
                    quantity,
                };
                let priced = gd_pricing::price_line(&price.offer, &selection).ok()?;
                let quote = gd_pricing::quote(&[priced], treatment).ok()?;
                let description = gd_cart::describe(product, &selection, locale);
                Some(Plan {
                    tier: tier.key.clone(),
                    name: plan_name(quantity, product.name.get(locale), &description),
                    amount: quote.due_now().0,
                    interval,
                    selection,
                })
            })
            .collect()
    }

    async fn card(
        conn: &mut sqlx::PgConnection,
        s: SubscriptionView,
    ) -> Result<SubscriptionCard, AppError> {
        let line = subscriptions::plan_line(conn, s.order_id)
            .await
            .map_err(AppError::internal)?;
        let catalog = server_context()?.catalog.get();
        let plans = plans(&catalog, &s, line.as_ref())
            .into_iter()
            .map(|p| PlanOption {
                tier: p.tier,
                name: p.name,
                amount: Cents(p.amount),
            })
            .collect();
        let periods = subscriptions::periods(conn, s.id)
            .await
            .map_err(AppError::internal)?
            .into_iter()
            .map(|p| PeriodLine {
                range: format!(
                    "{} – {}",
                    date(p.period_start).unwrap_or_default(),
                    date(p.period_end).unwrap_or_default()
                ),
                amount: Cents(p.amount),
                status: p.status,
                reason: p.reason,
            })
            .collect();
        Ok(SubscriptionCard {
            id: s.id.to_string(),
            order_id: s.order_id.to_string(),
            order_number: s.order_number,
            plan: s.plan,
            status: s.status.as_str().to_owned(),
            interval: s.interval,
            amount: Cents(s.amount),
            cancel_at_period_end: s.cancel_at_period_end,
            period_end: date(s.current_period_end),
            ended: date(s.ended_at),
            open: !s.status.is_final(),
            periods,
            tier: s.tier_key,
            plans,
            test_gateway: s.gateway == "test",
        })
    }

    pub async fn list() -> Result<Vec<SubscriptionCard>, AppError> {
        let user = require_user().await?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let subs = subscriptions::list(&mut conn, Some(user.id), None)
            .await
            .map_err(AppError::internal)?;
        let mut cards = Vec::with_capacity(subs.len());
        for s in subs {
            cards.push(card(&mut conn, s).await?);
        }
        Ok(cards)
    }

    /// Subscription `id`, if it is the user's own.
    async fn own(id: &str) -> Result<(gd_accounts::User, SubscriptionView), AppError> {
        let user = require_user().await?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let sub = subscriptions::list(&mut conn, Some(user.id), Some(id))
            .await
            .map_err(AppError::internal)?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound)?;
        Ok((user, sub))
    }

    pub async fn change(id: &str, action: &str, tier: &str) -> Result<SubscriptionCard, AppError> {
        let (user, sub) = own(id).await?;
        if sub.status.is_final() {
            return Err(AppError::Conflict(Conflict::SubscriptionOver));
        }
        let invalid = |field: &'static str| AppError::Validation {
            issues: vec![gd_common::FieldIssue::new(
                field,
                gd_common::IssueCode::NotOffered,
            )],
            echo: Default::default(),
        };
        let mut switched: Option<(String, String)> = None;
        let (change, audit) = match action {
            "cancel" => (
                SubscriptionChange::CancelAtPeriodEnd,
                "subscription.client_cancelled",
            ),
            "resume" => (SubscriptionChange::Resume, "subscription.client_resumed"),
            "switch" => {
                let ctx = server_context()?;
                let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
                let line = subscriptions::plan_line(&mut conn, sub.order_id)
                    .await
                    .map_err(AppError::internal)?;
                let catalog = ctx.catalog.get();
                let plan = plans(&catalog, &sub, line.as_ref())
                    .into_iter()
                    .find(|p| p.tier == tier.trim() && Some(&p.tier) != sub.tier_key.as_ref())
                    .ok_or_else(|| invalid("tier"))?;
                let (Some(slug), Some(item)) = (&sub.product_slug, &sub.item_ref) else {
                    return Err(invalid("tier"));
                };
                let price = gateway_price(&PlanPrice {
                    slug,
                    tier: &plan.tier,
                    addons: &plan.selection.addons,
                    speed: plan.selection.speed.as_deref(),
                    interval: plan.interval,
                    amount: plan.amount,
                    name: plan.name.clone(),
                })
                .await
                .map_err(|e| match e {
                    PriceFailure::App(e) => e,
                    PriceFailure::Gateway(e) => {
                        tracing::error!(error = %e, "plan price could not be created");
                        AppError::Conflict(Conflict::PaymentUnavailable)
                    }
                })?;
                switched = Some((plan.tier.clone(), plan.name.clone()));
                (
                    SubscriptionChange::SwitchPrice {
                        item: item.clone(),
                        price,
                    },
                    "subscription.client_switched",
                )
            }
            _ => return Err(invalid("action")),
        };
        let ctx = server_context()?;
        // A key per request: the client library's retries of it are one change at the gateway.
        let key = format!("subscription-{}-{action}-{}", sub.id, Uuid::now_v7());
        let current = match ctx
            .gateway
            .change_subscription(&sub.gateway_ref, &change, &key)
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, subscription = %sub.id, "subscription change failed");
                return Err(AppError::Conflict(Conflict::PaymentUnavailable));
            }
        };
        let mut tx = crate::context::begin().await?;
        subscriptions::apply_subscription(&mut tx, &sub.gateway, &current, "client")
            .await
            .map_err(AppError::internal)?;
        if let Some((tier, name)) = &switched {
            subscriptions::set_plan(&mut tx, sub.id, tier, name)
                .await
                .map_err(AppError::internal)?;
        }
        subscriptions::record_change(
            &mut tx,
            sub.id,
            user.id,
            audit,
            serde_json::json!({ "subscription": sub.gateway_ref, "tier": switched.map(|s| s.0) }),
        )
        .await
        .map_err(AppError::internal)?;
        crate::context::commit(tx).await?;
        let (_, fresh) = own(id).await?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        card(&mut conn, fresh).await
    }

    pub async fn portal(lang: &str, id: &str) -> Result<String, AppError> {
        let (_, sub) = own(id).await?;
        let ctx = server_context()?;
        let lang_of = crate::i18n::Lang::from_code(lang);
        let back = format!(
            "{}{}",
            ctx.config.public_url,
            lang_of.path("/portal/subscriptions")
        );
        let url = ctx
            .gateway
            .portal_session(&sub.customer_ref, &back, lang_of.code())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, subscription = %sub.id, "billing portal could not be opened");
                AppError::Conflict(Conflict::PaymentUnavailable)
            })?;
        if crate::context::is_plain_form_post() {
            leptos_axum::redirect(&url);
        }
        Ok(url)
    }
}
