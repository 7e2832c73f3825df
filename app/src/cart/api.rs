//! The cart's server functions. Public: a guest's cart lives in their session. Every answer
//! is the whole cart, priced anew on the server.

use gd_pricing::{Billing, Cents, VatRate};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What changed for a line since it was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineNotice {
    /// No longer sold in this configuration: left out of the totals; remove it.
    Unavailable,
    PriceChanged {
        was: Cents,
        now: Cents,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLineView {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// The configuration in words ("5.000 Follower · Express (1–2 Tage)").
    pub details: String,
    /// The handle or post link ('' when none).
    pub target: String,
    pub quantity: u32,
    /// One item's current price (`None` when unavailable).
    pub unit: Option<Cents>,
    pub total: Option<Cents>,
    pub billing: Billing,
    pub notice: Option<LineNotice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateView {
    pub rate: VatRate,
    pub net: Cents,
    pub vat: Cents,
}

/// What is charged once, or every month or year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodView {
    pub billing: Billing,
    pub rates: Vec<RateView>,
    pub total: Cents,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartView {
    pub lines: Vec<CartLineView>,
    pub periods: Vec<PeriodView>,
    /// Items in the cart (the header's count).
    pub count: u32,
}

/// The cart of this visitor (empty when they have none). Public.
#[server(prefix = "/api", endpoint = "current_cart")]
pub async fn current_cart(#[server(default)] lang: String) -> Result<CartView, AppError> {
    let cart = crate::context::cart_id(false).await?;
    server::view(&lang, cart).await
}

/// Adds a configured product (the same configuration again adds to its quantity). Public;
/// 404 for a product not on sale, 422 with the fields for a configuration or target that is
/// not valid.
#[server(prefix = "/api", endpoint = "cart_add")]
pub async fn cart_add(
    #[server(default)] lang: String,
    #[server(default)] product: String,
    #[server(default)] tier: String,
    #[server(default)] addons: Vec<String>,
    #[server(default)] speed: String,
    #[server(default)] quantity: String,
    #[server(default)] target: String,
) -> Result<CartView, AppError> {
    use server::*;
    let input = gd_cart::LineInput {
        product: bounded(&product, 80),
        tier: bounded(&tier, 40),
        addons: addons.iter().take(20).map(|a| bounded(a, 40)).collect(),
        speed: Some(bounded(&speed, 40)).filter(|s| !s.is_empty()),
        quantity: quantity_of(&quantity)?,
        target: bounded(&target, 200),
    };
    let ctx = crate::context::server_context()?;
    let catalog = ctx.catalog.get();
    // Checked before a cart is made for a guest: bad input leaves no trace.
    gd_cart::check(&catalog, &input).map_err(cart_error)?;
    // Every add writes rows (a guest's first one a session and a cart): bounded per client.
    let limit = gd_accounts::Limit::new(format!("cart:add:{}", crate::context::ip()), 120, 3600);
    crate::context::throttle(&[limit]).await?;
    let cart = crate::context::cart_id(true)
        .await?
        .ok_or_else(|| AppError::internal("no cart after creating one"))?;
    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
    gd_cart::add(&mut conn, cart, &catalog, &input)
        .await
        .map_err(cart_error)?;
    drop(conn);
    answer(&lang, cart).await
}

/// Sets a line's quantity (1–100). Public; 404 for a line not in this visitor's cart.
#[server(prefix = "/api", endpoint = "cart_set_quantity")]
pub async fn cart_set_quantity(
    #[server(default)] lang: String,
    #[server(default)] line: String,
    #[server(default)] quantity: String,
) -> Result<CartView, AppError> {
    use server::*;
    let line = line_id(&line)?;
    let quantity = quantity_of(&quantity)?;
    let (cart, ctx, mut conn) = existing_cart().await?;
    gd_cart::set_quantity(&mut conn, cart, &ctx.catalog.get(), line, quantity)
        .await
        .map_err(cart_error)?;
    drop(conn);
    answer(&lang, cart).await
}

/// Removes a line. Public; 404 for a line not in this visitor's cart.
#[server(prefix = "/api", endpoint = "cart_remove")]
pub async fn cart_remove(
    #[server(default)] lang: String,
    #[server(default)] line: String,
) -> Result<CartView, AppError> {
    use server::*;
    let line = line_id(&line)?;
    let (cart, _, mut conn) = existing_cart().await?;
    gd_cart::remove(&mut conn, cart, line)
        .await
        .map_err(cart_error)?;
    drop(conn);
    answer(&lang, cart).await
}

#[cfg(feature = "ssr")]
pub(crate) use server::view_of;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::error::{FieldIssue, IssueCode};
    use gd_common::Locale;

    /// This visitor's existing cart (404 without one), the context and a connection.
    pub async fn existing_cart() -> Result<
        (
            uuid::Uuid,
            crate::context::ServerContext,
            sqlx::pool::PoolConnection<sqlx::Postgres>,
        ),
        AppError,
    > {
        let cart = crate::context::cart_id(false)
            .await?
            .ok_or(AppError::NotFound)?;
        let ctx = crate::context::server_context()?;
        let conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        Ok((cart, ctx, conn))
    }

    /// The answer to a change: the cart again, or (a form posted without JavaScript) a
    /// redirect to the cart page.
    pub async fn answer(lang: &str, cart: uuid::Uuid) -> Result<CartView, AppError> {
        if crate::context::is_plain_form_post() {
            leptos_axum::redirect(&crate::i18n::Lang::from_code(lang).path("/cart"));
        }
        view(lang, Some(cart)).await
    }

    pub fn bounded(s: &str, max: usize) -> String {
        s.trim().chars().take(max).collect()
    }

    pub fn quantity_of(s: &str) -> Result<u32, AppError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(1);
        }
        s.parse::<u32>()
            .ok()
            .filter(|q| (1..=gd_pricing::MAX_QUANTITY).contains(q))
            .ok_or_else(|| AppError::Validation {
                issues: vec![FieldIssue::new("quantity", IssueCode::OutOfRange)],
                echo: Default::default(),
            })
    }

    pub fn line_id(s: &str) -> Result<uuid::Uuid, AppError> {
        uuid::Uuid::parse_str(s.trim()).map_err(|_| AppError::NotFound)
    }

    pub fn cart_error(e: gd_cart::CartError) -> AppError {
        use gd_cart::CartError as E;
        match e {
            E::Unavailable | E::NotFound => AppError::NotFound,
            E::Invalid(issues) => AppError::Validation {
                issues,
                echo: Default::default(),
            },
            E::Full => AppError::Conflict(crate::error::Conflict::CartFull),
            E::Database(e) => AppError::internal(e),
        }
    }

    /// The whole cart, priced from the catalog's current prices.
    pub async fn view(lang: &str, cart: Option<uuid::Uuid>) -> Result<CartView, AppError> {
        // Consumers' prices until the checkout knows who buys.
        priced_view(lang, cart, gd_pricing::Treatment::Standard).await
    }

    /// The whole cart, priced under `treatment`.
    pub(super) async fn priced_view(
        lang: &str,
        cart: Option<uuid::Uuid>,
        treatment: gd_pricing::Treatment,
    ) -> Result<CartView, AppError> {
        let Some(cart) = cart else {
            return Ok(CartView::default());
        };
        let locale = Locale::parse(lang);
        let ctx = crate::context::server_context()?;
        let catalog = ctx.catalog.get();
        let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
        let lines = gd_cart::load(&mut conn, cart).await.map_err(cart_error)?;
        drop(conn);
        let (priced, quote) =
            gd_cart::price(&catalog, lines, treatment).map_err(AppError::internal)?;
        Ok(view_of(&priced, &quote, locale))
    }

    /// The cart's lines and totals as priced (shared by the cart page and the checkout, which
    /// prices the cart once for both its summary and its check).
    pub(crate) fn view_of(
        priced: &[gd_cart::PricedLine<'_>],
        quote: &gd_pricing::Quote,
        locale: Locale,
    ) -> CartView {
        let count = priced.iter().map(|l| l.line.selection.quantity).sum();
        let lines = priced
            .iter()
            .map(|p| {
                let name = p.product.map(|pr| pr.name.get(locale).to_owned());
                CartLineView {
                    id: p.line.id.to_string(),
                    slug: p.product.map(|pr| pr.slug.clone()).unwrap_or_default(),
                    name: name.unwrap_or_default(),
                    details: p
                        .product
                        .map(|pr| gd_cart::describe(pr, &p.line.selection, locale))
                        .unwrap_or_default(),
                    target: p.line.target.clone(),
                    quantity: p.line.selection.quantity,
                    unit: p.price.as_ref().map(|l| l.unit_gross),
                    total: p.price.as_ref().map(|l| l.gross),
                    billing: p
                        .price
                        .as_ref()
                        .map(|l| l.billing)
                        .or_else(|| {
                            p.product
                                .and_then(|pr| pr.price.as_ref())
                                .map(|v| v.offer.billing)
                        })
                        .unwrap_or(Billing::OneOff),
                    notice: p.notice.map(|n| match n {
                        gd_cart::Notice::Unavailable => LineNotice::Unavailable,
                        gd_cart::Notice::PriceChanged { was, now } => {
                            LineNotice::PriceChanged { was, now }
                        }
                    }),
                }
            })
            .collect();
        let periods = quote
            .periods
            .iter()
            .map(|t| PeriodView {
                billing: t.billing,
                rates: t
                    .rates
                    .iter()
                    .map(|r| RateView {
                        rate: r.rate,
                        net: r.net,
                        vat: r.vat,
                    })
                    .collect(),
                total: t.total,
            })
            .collect();
        CartView {
            lines,
            periods,
            count,
        }
    }
}
