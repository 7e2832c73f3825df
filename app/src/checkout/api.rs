//! The checkout's and the client's orders' server functions. All need a signed-in user; an
//! order of someone else is a 404.
// The checkout form's fields are the server function's arguments (one per form field, so the
// form posts without JavaScript); the generated client function has as many.
#![allow(clippy::too_many_arguments)]

use gd_pricing::{Billing, Cents, Treatment};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cart::api::{CartLineView, PeriodView};
use crate::error::{AppError, Conflict};

/// Billing details as typed (and as prefilled from the buyer's last order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingForm {
    pub name: String,
    pub company: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub vat_id: String,
}

/// What the checkout page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    /// The account the order and its mails go to.
    pub email: String,
    pub lines: Vec<CartLineView>,
    /// The totals under the treatment that the country and VAT id give.
    pub periods: Vec<PeriodView>,
    pub treatment: Treatment,
    /// Why this cart cannot be bought as it is (empty, unavailable lines, monthly and yearly
    /// plans together).
    pub blocked: Option<Conflict>,
    /// Payments go to the built-in test gateway (no money moves).
    pub test_gateway: bool,
    /// VAT ids are confirmed by the local demo register, which knows only these (empty when
    /// the EU's VIES confirms them).
    pub demo_vat_ids: Vec<String>,
    pub prefill: BillingForm,
}

/// The checkout of this user's cart, priced for `country` and `vat_id` (a business from
/// another EU country with a valid VAT id pays net prices; the rest pay German VAT).
#[server(prefix = "/api", endpoint = "checkout_summary")]
pub async fn checkout_summary(
    #[server(default)] lang: String,
    #[server(default)] country: String,
    #[server(default)] vat_id: String,
) -> Result<CheckoutView, AppError> {
    server::summary(&lang, &country, &vat_id).await
}

/// A shopper without an account creates it inside the checkout and goes on signed in: the
/// account is a client's, its address still to be verified (the verification mail is sent
/// at once; the order confirmation goes to the same address). The guest cart becomes the
/// account's. 422 for a bad address or weak password, 409 when the address has an account
/// already (sign in instead; that address is mailed how), 429 after 10 accounts per hour from
/// one address.
#[server(prefix = "/api", endpoint = "checkout_sign_up")]
pub async fn checkout_sign_up(
    #[server(default)] email: String,
    #[server(default)] password: String,
    #[server(default)] lang: String,
) -> Result<(), AppError> {
    server::sign_up(&email, &password, &lang).await
}

/// Where the buyer pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutStarted {
    pub order_id: String,
    pub payment_url: String,
}

/// Creates the order from the cart (pending payment) and its payment page at the gateway;
/// answers where to pay (a form posted without JavaScript is redirected there). 422 with
/// the fields for bad billing details or missing consent, 409 when the cart cannot be
/// bought, 503-like conflict when the gateway cannot be reached (the order is cancelled,
/// nothing is charged, the cart stays).
#[server(prefix = "/api", endpoint = "start_checkout")]
pub async fn start_checkout(
    #[server(default)] lang: String,
    #[server(default)] name: String,
    #[server(default)] company: String,
    #[server(default)] street: String,
    #[server(default)] postal_code: String,
    #[server(default)] city: String,
    #[server(default)] country: String,
    #[server(default)] vat_id: String,
    #[server(default)] terms: String,
    #[server(default)] early_start: String,
) -> Result<CheckoutStarted, AppError> {
    let form = BillingForm {
        name,
        company,
        street,
        postal_code,
        city,
        country,
        vat_id,
    };
    server::start(&lang, form, !terms.is_empty(), !early_start.is_empty()).await
}

/// An order line as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineView {
    pub name: String,
    pub details: String,
    pub target: String,
    pub quantity: i32,
    pub billing: Billing,
    pub total: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineView {
    pub at: String,
    /// The status's code (`paid`, …).
    pub status: String,
    pub note: Option<String>,
}

/// One order of the signed-in client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub number: i64,
    /// The status's code (`pending_payment`, `paid`, …).
    pub status: String,
    pub created: String,
    pub lines: Vec<OrderLineView>,
    pub treatment: Treatment,
    pub net: Cents,
    pub vat: Cents,
    pub total: Cents,
    pub subscription: bool,
    /// Paid through the built-in test gateway (no money moved).
    pub test_gateway: bool,
    /// Where to pay, while the order waits for payment and its page is open.
    pub pay_url: Option<String>,
    pub timeline: Vec<TimelineView>,
    /// How the delivery goes: one entry per item (and per cycle of a subscription).
    pub delivery: Vec<DeliveryView>,
    /// Items in the viewer's cart now (the bought lines leave it when the order is paid; the
    /// header follows).
    pub cart_count: u32,
}

/// One delivered (or to be delivered) item of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: String,
    pub title: String,
    pub target: String,
    pub quantity: i64,
    /// queued, held, submitting, submitted, in_progress, completed, partial, cancelled.
    pub status: String,
    /// A subscription's later cycle.
    pub renewal: bool,
    /// The count (followers, likes) when delivery started, as the provider saw it.
    pub start_count: Option<i64>,
    /// What is left to deliver.
    pub remains: Option<i64>,
    pub finished: Option<String>,
    /// The last refill's status: requested, submitted, completed, rejected.
    pub refill: Option<String>,
    /// Whether a refill may be asked for now (delivered, inside the guarantee window).
    pub refillable: bool,
    pub guarantee_days: i32,
}

/// The signed-in client asks for a refill of delivered item `id` of one of their orders
/// (inside the product's guarantee window). 409 when it cannot be refilled now.
#[server(prefix = "/api", endpoint = "request_refill")]
pub async fn request_refill(#[server(default)] id: String) -> Result<(), AppError> {
    server::request_refill(&id).await
}

/// Order `id` of the signed-in user. With `session_id` (the gateway's way back after
/// paying), a pending order asks the gateway for the session's state first, so the page
/// shows "paid" even when the gateway's event has not arrived yet.
#[server(prefix = "/api", endpoint = "my_order")]
pub async fn my_order(
    #[server(default)] id: String,
    #[server(default)] session_id: String,
) -> Result<OrderView, AppError> {
    server::order(&id, &session_id).await
}

/// A line of the client's order list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub id: String,
    pub number: i64,
    pub status: String,
    pub created: String,
    pub total: Cents,
    pub items: String,
}

/// The signed-in user's orders, newest first.
#[server(prefix = "/api", endpoint = "my_orders")]
pub async fn my_orders() -> Result<Vec<OrderSummary>, AppError> {
    server::orders().await
}

#[cfg(feature = "ssr")]
mod server {
    use gd_common::Locale;
    use gd_orders::{BillingInput, OrderError};
    use gd_payments::{Interval, SessionLine, SessionRequest};
    use gd_pricing::Billing;
    use uuid::Uuid;

    use super::*;
    use crate::context::{require_user, server_context};

    fn order_error(e: OrderError) -> AppError {
        match e {
            OrderError::EmptyCart => AppError::Conflict(Conflict::EmptyCart),
            OrderError::Unavailable => AppError::Conflict(Conflict::CartUnavailable),
            OrderError::MixedIntervals => AppError::Conflict(Conflict::MixedIntervals),
            OrderError::NotFound => AppError::NotFound,
            other => AppError::internal(other),
        }
    }

    pub async fn summary(
        lang: &str,
        country: &str,
        vat_id: &str,
    ) -> Result<CheckoutView, AppError> {
        let user = require_user().await?;
        let ctx = server_context()?;
        let cart = crate::context::cart_id(false).await?;
        let treatment =
            gd_orders::preview_treatment(country, vat_id, ctx.config.agency.small_business);
        let locale = Locale::parse(lang);
        let catalog = ctx.catalog.get();
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let lines = match cart {
            Some(cart) => gd_cart::load(&mut conn, cart)
                .await
                .map_err(AppError::internal)?,
            None => Vec::new(),
        };
        // Priced once: for the summary, and for whether it can be bought as it is.
        let (priced, quote) =
            gd_cart::price(&catalog, lines, treatment).map_err(AppError::internal)?;
        let view = crate::cart::api::view_of(&priced, &quote, locale);
        let blocked = gd_orders::freeze_lines(&priced, &quote, locale)
            .err()
            .map(|e| match order_error(e) {
                AppError::Conflict(c) => c,
                _ => Conflict::EmptyCart,
            });
        let prefill = gd_orders::last_billing(&mut conn, user.id)
            .await
            .map_err(AppError::internal)?
            .map(|b| BillingForm {
                name: b.name,
                company: b.company,
                street: b.street,
                postal_code: b.postal_code,
                city: b.city,
                country: b.country,
                vat_id: b.vat_id,
            })
            .unwrap_or_else(|| BillingForm {
                country: "DE".into(),
                ..Default::default()
            });
        Ok(CheckoutView {
            email: user.email,
            lines: view.lines,
            periods: view.periods,
            treatment,
            blocked,
            test_gateway: ctx.config.payments.is_test_gateway(),
            demo_vat_ids: if ctx.vat_register.is_demo() {
                gd_vies::DEMO_BUSINESSES
                    .iter()
                    .map(|(id, _, _)| (*id).to_owned())
                    .collect()
            } else {
                Vec::new()
            },
            prefill,
        })
    }

    pub async fn sign_up(email: &str, password: &str, lang: &str) -> Result<(), AppError> {
        use crate::auth::api::server::{
            account_error, email_issue, invalid, ip, password_issue, throttle,
        };
        throttle(&[gd_accounts::Limit::new(
            format!("sign_up:ip:{}", ip()),
            10,
            3600,
        )])
        .await?;
        let email = gd_accounts::Email::parse(email).map_err(|p| invalid(vec![email_issue(p)]))?;
        let password = gd_accounts::Password::parse(password, &[email.as_str()])
            .map_err(|p| invalid(vec![password_issue(p)]))?;
        let locale = gd_accounts::Locale::parse(crate::i18n::Lang::from_code(lang).code());
        let mut tx = crate::context::begin().await?;
        let outcome = gd_accounts::sign_up(&mut tx, &email, &password, locale)
            .await
            .map_err(account_error)?;
        let user = match outcome {
            gd_accounts::SignUp::Created { user_id } => gd_accounts::find_user(&mut tx, user_id)
                .await
                .map_err(account_error)?
                .ok_or_else(|| AppError::internal("the new account is missing"))?,
            gd_accounts::SignUp::AlreadyRegistered { .. } => {
                // The address's owner is mailed how to sign in (queued in this transaction).
                crate::context::commit(tx).await?;
                return Err(AppError::Conflict(Conflict::EmailTaken));
            }
        };
        crate::context::commit(tx).await?;
        crate::context::sign_in(&user).await?;
        Ok(())
    }

    /// The words of the consent to an early start, as the buyer saw them (stored with the
    /// order).
    pub fn early_start_words(lang: &str) -> &'static str {
        match Locale::parse(lang) {
            Locale::De => super::super::page::DE.early_start,
            Locale::En => super::super::page::EN.early_start,
        }
    }

    pub async fn start(
        lang: &str,
        form: BillingForm,
        terms: bool,
        early_start: bool,
    ) -> Result<CheckoutStarted, AppError> {
        let user = require_user().await?;
        let ctx = server_context()?;
        let locale = Locale::parse(lang);
        let input = BillingInput {
            name: form.name.clone(),
            company: form.company.clone(),
            street: form.street.clone(),
            postal_code: form.postal_code.clone(),
            city: form.city.clone(),
            country: form.country.clone(),
            vat_id: form.vat_id.clone(),
        };
        let billing = gd_orders::parse_billing(&input);
        let mut issues = billing.as_ref().err().cloned().unwrap_or_default();
        if !terms {
            issues.push(gd_common::FieldIssue::new(
                "terms",
                gd_common::IssueCode::ConsentMissing,
            ));
        }
        // The form as typed goes back with any problem, so that nothing is lost.
        let refused = |issues| {
            let echo = [
                ("name", &form.name),
                ("company", &form.company),
                ("street", &form.street),
                ("postal_code", &form.postal_code),
                ("city", &form.city),
                ("country", &form.country),
                ("vat_id", &form.vat_id),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect();
            AppError::Validation { issues, echo }
        };
        let billing = match billing {
            Ok(b) if issues.is_empty() => b,
            _ => return Err(refused(issues)),
        };
        let cart = crate::context::cart_id(false)
            .await?
            .ok_or(AppError::Conflict(Conflict::EmptyCart))?;
        let treatment = billing.treatment(ctx.config.agency.small_business);
        // No VAT only for a VAT id the register confirms now: the seller owes the VAT of a
        // sale to an unregistered one. Its answer is kept with the order as evidence.
        let vat_check = match (&billing.vat_id, treatment) {
            (Some(id), Treatment::ReverseCharge) => {
                let confirmed = ctx.vat_register.confirm(id).await.map_err(|e| {
                    let code = match e {
                        gd_vies::RegisterError::NotRegistered => {
                            gd_common::IssueCode::VatIdNotRegistered
                        }
                        gd_vies::RegisterError::Unavailable(why) => {
                            tracing::warn!(%why, "the VAT register could not confirm a VAT id");
                            gd_common::IssueCode::VatRegisterUnavailable
                        }
                    };
                    refused(vec![gd_common::FieldIssue::new("vat_id", code)])
                })?;
                Some(gd_orders::VatCheck {
                    vat_id: id.as_str().to_owned(),
                    register: confirmed.register.to_owned(),
                    checked_at: confirmed.checked_at,
                    request_identifier: confirmed.request_identifier,
                    registered_name: confirmed.name,
                    registered_address: confirmed.address,
                })
            }
            _ => None,
        };
        let catalog = ctx.catalog.get();
        let mut tx = crate::context::begin().await?;
        let lines = gd_cart::load(&mut tx, cart)
            .await
            .map_err(AppError::internal)?;
        let cart_line_ids: Vec<Uuid> = lines.iter().map(|l| l.id).collect();
        let (priced, quote) =
            gd_cart::price(&catalog, lines, treatment).map_err(AppError::internal)?;
        let frozen = gd_orders::freeze_lines(&priced, &quote, locale).map_err(order_error)?;
        let gateway = &ctx.gateway;
        let order = gd_orders::NewOrder {
            user_id: user.id,
            locale,
            email: user.email.clone(),
            billing,
            terms_version: ctx.config.payments.terms_version.clone(),
            early_start_consent: early_start.then(|| early_start_words(lang).to_owned()),
            gateway: gateway.kind().as_str(),
            cart_id: Some(cart),
            cart_line_ids,
            lines: frozen.clone(),
            quote,
        };
        let created = gd_orders::create(&mut tx, &order)
            .await
            .map_err(order_error)?;
        if let Some(check) = &vat_check {
            gd_orders::record_vat_check(&mut tx, created.id, check)
                .await
                .map_err(AppError::internal)?;
        }
        crate::context::commit(tx).await?;

        let lang_of = crate::i18n::Lang::from_code(lang);
        let public = &ctx.config.public_url;
        let opened = async {
            let mut lines = Vec::with_capacity(frozen.len());
            for l in &frozen {
                let interval = match l.period {
                    Billing::OneOff => None,
                    Billing::Monthly => Some(Interval::Month),
                    Billing::Yearly => Some(Interval::Year),
                };
                let price = match interval {
                    Some(i) => Some(plan_price(l, i).await?),
                    None => None,
                };
                lines.push(SessionLine {
                    name: session_line_name(l),
                    amount: l.total.0,
                    interval,
                    price,
                });
            }
            let request = SessionRequest {
                order_id: created.id.to_string(),
                order_number: created.number,
                email: user.email.clone(),
                subscription: frozen.iter().any(|l| l.period != Billing::OneOff),
                locale: locale.as_str().to_owned(),
                lines,
                success_url: format!(
                    "{public}{}?session_id={{CHECKOUT_SESSION_ID}}",
                    lang_of.path(&format!("/portal/orders/{}", created.id))
                ),
                cancel_url: format!("{public}{}", lang_of.path("/cart")),
                idempotency_key: format!("checkout-{}", created.id),
            };
            gateway
                .create_session(&request)
                .await
                .map_err(Opening::Gateway)
        }
        .await;
        let session = match opened {
            Ok(s) => s,
            Err(Opening::App(e)) => return Err(e),
            Err(Opening::Gateway(e)) => {
                tracing::error!(error = %e, order = %created.id, "payment page could not be opened");
                let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
                gd_orders::settle::cancel_unopened(
                    &mut conn,
                    created.id,
                    "the payment page could not be opened",
                )
                .await
                .map_err(AppError::internal)?;
                return Err(AppError::Conflict(Conflict::PaymentUnavailable));
            }
        };
        let Some(url) = session.url.clone() else {
            return Err(AppError::internal(
                "the gateway answered a session without a payment page",
            ));
        };
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        gd_orders::attach_session(&mut conn, created.id, &session.id, Some(&url))
            .await
            .map_err(AppError::internal)?;
        if crate::context::is_plain_form_post() {
            leptos_axum::redirect(&url);
        }
        Ok(CheckoutStarted {
            order_id: created.id.to_string(),
            payment_url: url,
        })
    }

    /// Why a payment page could not be opened.
    enum Opening {
        App(AppError),
        Gateway(gd_payments::GatewayError),
    }

    /// The gateway's price for recurring line `l` (one per plan and amount, reused).
    async fn plan_price(l: &gd_orders::NewLine, interval: Interval) -> Result<String, Opening> {
        use crate::checkout::subscriptions::server::{
            gateway_price, plan_name, PlanPrice, PriceFailure,
        };
        gateway_price(&PlanPrice {
            slug: &l.slug,
            tier: &l.tier,
            addons: &l.addons,
            speed: l.speed.as_deref(),
            interval,
            amount: l.total.0,
            name: plan_name(l.quantity, &l.name, &l.description),
        })
        .await
        .map_err(|e| match e {
            PriceFailure::App(e) => Opening::App(e),
            PriceFailure::Gateway(e) => Opening::Gateway(e),
        })
    }

    /// "2 × Instagram Follower (5.000 Follower · Express), @handle": what the payment page
    /// lists.
    fn session_line_name(l: &gd_orders::NewLine) -> String {
        let mut name = format!("{} × {}", l.quantity, l.name);
        if !l.description.is_empty() {
            name.push_str(&format!(" ({})", l.description));
        }
        if !l.target.is_empty() {
            name.push_str(&format!(", {}", l.target));
        }
        name
    }

    /// The order, if it is the user's own (admins may look at any).
    async fn own_order(id: &str) -> Result<(gd_accounts::User, gd_orders::Order), AppError> {
        let user = require_user().await?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let order = gd_orders::load(&mut conn, id)
            .await
            .map_err(AppError::internal)?
            .ok_or(AppError::NotFound)?;
        if order.user_id != user.id && !user.roles.contains(&gd_common::Role::Admin) {
            return Err(AppError::NotFound);
        }
        Ok((user, order))
    }

    pub async fn order(id: &str, session_id: &str) -> Result<OrderView, AppError> {
        let (user, mut order) = own_order(id).await?;
        let ctx = server_context()?;
        let session_id = session_id.trim();
        if order.status == gd_orders::Status::PendingPayment
            && !session_id.is_empty()
            && order.session_id.as_deref() == Some(session_id)
        {
            // Back from paying, perhaps before the gateway's event: ask the gateway.
            match ctx.gateway.session(session_id).await {
                Ok(session) => {
                    // A subscription's own events may come later: its state is read too.
                    let subscription = match &session.subscription {
                        Some(sub) => ctx.gateway.subscription(sub).await.ok(),
                        None => None,
                    };
                    let mut tx = crate::context::begin().await?;
                    gd_orders::apply_session(
                        &mut tx,
                        &session,
                        gd_orders::Report::Current,
                        "success_page",
                    )
                    .await
                    .map_err(AppError::internal)?;
                    if let Some(sub) = &subscription {
                        gd_orders::subscriptions::apply_subscription(
                            &mut tx,
                            ctx.gateway.kind().as_str(),
                            sub,
                            "success_page",
                        )
                        .await
                        .map_err(AppError::internal)?;
                    }
                    crate::context::commit(tx).await?;
                    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
                    if let Some(fresh) = gd_orders::load(&mut conn, order.id)
                        .await
                        .map_err(AppError::internal)?
                    {
                        order = fresh;
                    }
                }
                // The page still shows the order; the webhook will bring the payment.
                Err(e) => tracing::warn!(error = %e, "session could not be read on return"),
            }
        }
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let timeline = gd_orders::timeline(&mut conn, order.id)
            .await
            .map_err(AppError::internal)?;
        let cart_count = gd_cart::count_of_user(&mut conn, user.id)
            .await
            .map_err(AppError::internal)?;
        let delivery = gd_fulfilment::tasks::of_order(&mut conn, order.id)
            .await
            .map_err(AppError::internal)?;
        Ok(OrderView {
            delivery: delivery.into_iter().map(delivery_view).collect(),
            cart_count,
            id: order.id.to_string(),
            number: order.number,
            status: order.status.as_str().to_owned(),
            created: order.created_at.format("%d.%m.%Y %H:%M UTC").to_string(),
            lines: order
                .lines
                .iter()
                .map(|l| OrderLineView {
                    name: l.name.clone(),
                    details: l.description.clone(),
                    target: l.target.clone(),
                    quantity: l.quantity,
                    billing: l.period,
                    total: l.total,
                })
                .collect(),
            treatment: order.treatment,
            net: order.net,
            vat: order.vat,
            total: order.total,
            subscription: order.subscription,
            test_gateway: order.gateway == "test",
            pay_url: (order.status == gd_orders::Status::PendingPayment)
                .then(|| order.session_url.clone())
                .flatten(),
            timeline: timeline
                .into_iter()
                .map(|t| TimelineView {
                    at: t.at.format("%d.%m.%Y %H:%M:%S UTC").to_string(),
                    status: t.to.as_str().to_owned(),
                    note: t.note,
                })
                .collect(),
        })
    }

    fn delivery_view(p: gd_fulfilment::tasks::Part) -> DeliveryView {
        let open_refill = matches!(p.refill.as_deref(), Some("requested" | "submitted"));
        let refillable = !open_refill
            && gd_fulfilment::refills::may_refill(
                &p.status,
                p.finished_at,
                p.guarantee_days,
                p.refill_offered,
                chrono::Utc::now(),
            )
            .is_ok();
        DeliveryView {
            id: p.id.to_string(),
            title: p.title,
            target: p.target,
            quantity: p.quantity,
            status: p.status,
            renewal: p.period_id.is_some(),
            start_count: p.start_count,
            remains: p.remains,
            finished: p
                .finished_at
                .map(|t| t.format("%d.%m.%Y %H:%M UTC").to_string()),
            refill: p.refill,
            refillable,
            guarantee_days: p.guarantee_days,
        }
    }

    pub async fn request_refill(id: &str) -> Result<(), AppError> {
        let user = require_user().await?;
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        let mut tx = crate::context::begin().await?;
        gd_fulfilment::refills::request(&mut tx, id, user.id)
            .await
            .map_err(|e| match e {
                gd_fulfilment::FulfilmentError::NotFound => AppError::NotFound,
                other => AppError::internal(other),
            })?
            .map_err(|_| AppError::Conflict(crate::error::Conflict::RefillNotNow))?;
        crate::context::commit(tx).await
    }

    pub async fn orders() -> Result<Vec<OrderSummary>, AppError> {
        let user = require_user().await?;
        let ctx = server_context()?;
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let rows = gd_orders::list_for_user(&mut conn, user.id, 200)
            .await
            .map_err(AppError::internal)?;
        Ok(rows
            .into_iter()
            .map(|r| OrderSummary {
                id: r.id.to_string(),
                number: r.number,
                status: r.status.as_str().to_owned(),
                created: r.created_at.format("%d.%m.%Y").to_string(),
                total: r.total,
                items: r.items,
            })
            .collect())
    }
}
