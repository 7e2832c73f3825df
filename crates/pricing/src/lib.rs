//! The one pricing function. The server prices the cart, the checkout and the invoice with
//! it; the browser runs the same code for instant feedback in the configurator, so the two
//! cannot disagree. No server dependencies (only serde), so it compiles to WASM.
//!
//! Prices in the catalog are what a consumer pays: euro cents including VAT at the product's
//! rate ([`Offer`]). What a buyer is charged follows from who buys ([`Treatment`]):
//! consumers and German businesses pay the listed price, VAT included and shown; businesses
//! elsewhere in the EU with a valid VAT id pay the net price under reverse charge; under the
//! small-business rule (§ 19 UStG) nobody is charged VAT.
//!
//! Rounding happens once per VAT rate and billing period, on the sum of the gross amounts
//! ([`quote`]), as German invoices show VAT per rate: the lines' gross amounts always add up
//! to the total, and net + VAT = gross for every rate.

mod money;
mod vat_id;

pub use money::{Cents, MoneyProblem};
pub use vat_id::{VatId, VatIdProblem};

use serde::{Deserialize, Serialize};

/// A VAT rate in basis points (1900 = 19 %), at most 100 % (also when read from JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u16")]
pub struct VatRate(u16);

impl TryFrom<u16> for VatRate {
    type Error = String;

    fn try_from(bp: u16) -> Result<Self, Self::Error> {
        VatRate::from_basis_points(bp).ok_or_else(|| format!("VAT rate {bp} is over 100 %"))
    }
}

impl VatRate {
    /// The German standard rate, 19 %.
    pub const STANDARD_DE: VatRate = VatRate(1900);
    pub const ZERO: VatRate = VatRate(0);

    /// A rate from basis points, at most 100 %.
    pub fn from_basis_points(bp: u16) -> Option<Self> {
        (bp <= 10_000).then_some(Self(bp))
    }

    pub fn basis_points(self) -> u16 {
        self.0
    }

    /// "19 %", "7 %", "5,5 %" (German) or "5.5 %" (English, `decimal_comma` false).
    pub fn percent(self, decimal_comma: bool) -> String {
        let whole = self.0 / 100;
        let rest = self.0 % 100;
        if rest == 0 {
            format!("{whole} %")
        } else {
            let sep = if decimal_comma { ',' } else { '.' };
            let frac = format!("{rest:02}");
            format!("{whole}{sep}{} %", frac.trim_end_matches('0'))
        }
    }
}

/// How often a price is charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    OneOff,
    Monthly,
    Yearly,
}

impl Billing {
    pub const ALL: [Billing; 3] = [Billing::OneOff, Billing::Monthly, Billing::Yearly];

    pub fn as_str(self) -> &'static str {
        match self {
            Billing::OneOff => "one_off",
            Billing::Monthly => "monthly",
            Billing::Yearly => "yearly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// A quantity tier: so many followers, likes or views for a price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// Stable key within the offer (what the cart stores).
    pub key: String,
    /// How much of the service the tier delivers (1,000 followers).
    pub amount: u32,
    pub price: Cents,
}

/// An extra that can be added to a product (its price per unit is added to the tier's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addon {
    pub key: String,
    pub price: Cents,
}

/// A delivery speed; at most one is chosen, none means the first one (the default, usually
/// without surcharge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Speed {
    pub key: String,
    pub surcharge: Cents,
}

/// What a product costs, as the catalog sells it. A bundle is an offer with one tier: the
/// bundle price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub vat: VatRate,
    pub billing: Billing,
    pub tiers: Vec<Tier>,
    pub addons: Vec<Addon>,
    pub speeds: Vec<Speed>,
}

impl Offer {
    /// Why the offer cannot be sold as it is, if it cannot: no tier, a key empty, over 40
    /// characters or used twice, a price negative or over a million euros.
    pub fn problem(&self) -> Option<String> {
        const MAX: i64 = 100_000_000;
        if self.tiers.is_empty() {
            return Some("no tier".into());
        }
        let keys = self
            .tiers
            .iter()
            .map(|t| (&t.key, t.price))
            .chain(self.addons.iter().map(|a| (&a.key, a.price)))
            .chain(self.speeds.iter().map(|s| (&s.key, s.surcharge)));
        let mut seen: Vec<&String> = Vec::new();
        for (key, price) in keys {
            if key.is_empty() || key.chars().count() > 40 {
                return Some(format!("key {key:?}"));
            }
            if !(0..=MAX).contains(&price.0) {
                return Some(format!("price {} of {key:?}", price.0));
            }
            if seen.contains(&key) {
                return Some(format!("key {key:?} twice"));
            }
            seen.push(key);
        }
        None
    }
}

/// What the shopper chose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub tier: String,
    pub addons: Vec<String>,
    pub speed: Option<String>,
    /// How many times the configured item (1 to [`MAX_QUANTITY`]).
    pub quantity: u32,
}

/// The most of one configured item a cart line may hold.
pub const MAX_QUANTITY: u32 = 100;

/// Why a selection has no price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PriceError {
    /// The offer has no tier (a product without a price cannot be sold).
    NoTiers,
    UnknownTier(String),
    UnknownAddon(String),
    UnknownSpeed(String),
    /// The same add-on twice.
    DuplicateAddon(String),
    QuantityOutOfRange {
        max: u32,
    },
    /// A price in the catalog is negative.
    NegativePrice,
    /// The amounts do not fit (only with absurd catalog prices).
    Overflow,
}

impl std::fmt::Display for PriceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PriceError::NoTiers => write!(f, "the product has no price"),
            PriceError::UnknownTier(k) => write!(f, "unknown tier {k:?}"),
            PriceError::UnknownAddon(k) => write!(f, "unknown add-on {k:?}"),
            PriceError::UnknownSpeed(k) => write!(f, "unknown delivery speed {k:?}"),
            PriceError::DuplicateAddon(k) => write!(f, "add-on {k:?} chosen twice"),
            PriceError::QuantityOutOfRange { max } => write!(f, "quantity must be 1 to {max}"),
            PriceError::NegativePrice => write!(f, "a price in the catalog is negative"),
            PriceError::Overflow => write!(f, "the amount is too large"),
        }
    }
}

impl std::error::Error for PriceError {}

/// One priced cart line: the listed (consumer) price of the configured item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePrice {
    /// One configured item: tier + add-ons + speed surcharge, VAT included.
    pub unit_gross: Cents,
    pub quantity: u32,
    /// `unit_gross × quantity`.
    pub gross: Cents,
    pub vat: VatRate,
    pub billing: Billing,
}

/// Prices `selection` of `offer`. Every key must exist in the offer; the quantity must be 1
/// to [`MAX_QUANTITY`].
pub fn price_line(offer: &Offer, selection: &Selection) -> Result<LinePrice, PriceError> {
    if offer.tiers.is_empty() {
        return Err(PriceError::NoTiers);
    }
    if selection.quantity == 0 || selection.quantity > MAX_QUANTITY {
        return Err(PriceError::QuantityOutOfRange { max: MAX_QUANTITY });
    }
    let tier = offer
        .tiers
        .iter()
        .find(|t| t.key == selection.tier)
        .ok_or_else(|| PriceError::UnknownTier(selection.tier.clone()))?;
    let mut unit = non_negative(tier.price)?;
    for (i, key) in selection.addons.iter().enumerate() {
        if selection.addons[..i].contains(key) {
            return Err(PriceError::DuplicateAddon(key.clone()));
        }
        let addon = offer
            .addons
            .iter()
            .find(|a| &a.key == key)
            .ok_or_else(|| PriceError::UnknownAddon(key.clone()))?;
        unit = unit
            .checked_add(non_negative(addon.price)?)
            .ok_or(PriceError::Overflow)?;
    }
    let speed = match &selection.speed {
        Some(key) => Some(
            offer
                .speeds
                .iter()
                .find(|s| &s.key == key)
                .ok_or_else(|| PriceError::UnknownSpeed(key.clone()))?,
        ),
        None => offer.speeds.first(),
    };
    if let Some(speed) = speed {
        unit = unit
            .checked_add(non_negative(speed.surcharge)?)
            .ok_or(PriceError::Overflow)?;
    }
    let gross = unit
        .checked_mul(i64::from(selection.quantity))
        .ok_or(PriceError::Overflow)?;
    Ok(LinePrice {
        unit_gross: unit,
        quantity: selection.quantity,
        gross,
        vat: offer.vat,
        billing: offer.billing,
    })
}

fn non_negative(c: Cents) -> Result<Cents, PriceError> {
    if c.0 < 0 {
        Err(PriceError::NegativePrice)
    } else {
        Ok(c)
    }
}

/// How VAT applies to a sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    /// VAT at each product's rate, included in the listed prices.
    Standard,
    /// An EU business outside the seller's country with a VAT id: charged the net price, no
    /// VAT ("Steuerschuldnerschaft des Leistungsempfängers").
    ReverseCharge,
    /// The seller is a small business (§ 19 UStG): no VAT is charged; listed prices stand.
    SmallBusiness,
}

/// Who buys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Buyer {
    /// A consumer, or a business without a VAT id.
    Consumer,
    Business(VatId),
}

/// Which [`Treatment`] a sale gets. `seller_country` is the seller's VAT country ("DE").
pub fn treatment(buyer: &Buyer, seller_country: &str, small_business: bool) -> Treatment {
    if small_business {
        return Treatment::SmallBusiness;
    }
    match buyer {
        Buyer::Consumer => Treatment::Standard,
        Buyer::Business(id) if id.country() == seller_country => Treatment::Standard,
        Buyer::Business(_) => Treatment::ReverseCharge,
    }
}

/// The amounts of one VAT rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateTotal {
    pub rate: VatRate,
    pub net: Cents,
    pub vat: Cents,
    /// What is charged for this rate: `net + vat`.
    pub total: Cents,
}

/// What is charged per billing period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub billing: Billing,
    /// By rate, highest first.
    pub rates: Vec<RateTotal>,
    pub net: Cents,
    pub vat: Cents,
    pub total: Cents,
}

/// The whole price of a cart or order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub treatment: Treatment,
    /// One entry per billing period present, in [`Billing::ALL`] order: what is charged once,
    /// and what is charged every month or year (the first period is due with the order).
    pub periods: Vec<Totals>,
}

impl Quote {
    /// The totals of one billing period, if the cart has lines of it.
    pub fn period(&self, billing: Billing) -> Option<&Totals> {
        self.periods.iter().find(|t| t.billing == billing)
    }

    /// What the buyer pays with the order: the one-off lines and the first period of each
    /// subscription.
    pub fn due_now(&self) -> Cents {
        Cents(
            self.periods
                .iter()
                .fold(0i64, |acc, t| acc.saturating_add(t.total.0)),
        )
    }
}

/// Prices `lines` under `treatment`: per billing period and VAT rate, the gross amounts are
/// summed, then split into net and VAT once (half-up to the cent).
pub fn quote(lines: &[LinePrice], treatment: Treatment) -> Result<Quote, PriceError> {
    let mut periods = Vec::new();
    for billing in Billing::ALL {
        let mut by_rate: Vec<(VatRate, i64)> = Vec::new();
        for line in lines.iter().filter(|l| l.billing == billing) {
            // A small business charges no VAT at all: every line falls under one zero rate.
            let rate = match treatment {
                Treatment::SmallBusiness => VatRate::ZERO,
                _ => line.vat,
            };
            match by_rate.iter_mut().find(|(r, _)| *r == rate) {
                Some((_, sum)) => {
                    *sum = sum.checked_add(line.gross.0).ok_or(PriceError::Overflow)?
                }
                None => by_rate.push((rate, line.gross.0)),
            }
        }
        if by_rate.is_empty() {
            continue;
        }
        by_rate.sort_by_key(|r| std::cmp::Reverse(r.0));
        let rates: Vec<RateTotal> = by_rate
            .into_iter()
            .map(|(rate, gross)| split(rate, Cents(gross), treatment))
            .collect();
        let sum = |f: fn(&RateTotal) -> i64| {
            rates
                .iter()
                .try_fold(0i64, |acc, r| acc.checked_add(f(r)))
                .map(Cents)
                .ok_or(PriceError::Overflow)
        };
        periods.push(Totals {
            billing,
            net: sum(|r| r.net.0)?,
            vat: sum(|r| r.vat.0)?,
            total: sum(|r| r.total.0)?,
            rates,
        });
    }
    Ok(Quote { treatment, periods })
}

/// The net part of `gross` at `rate`, half-up to the cent.
pub fn net_of(gross: Cents, rate: VatRate) -> Cents {
    let bp = i128::from(rate.0);
    let g = i128::from(gross.0);
    // net = gross × 10000 / (10000 + bp), rounded half up (amounts are never negative here).
    let denom = 10_000 + bp;
    let net = (g * 10_000 * 2 + denom) / (2 * denom);
    Cents(net as i64)
}

fn split(rate: VatRate, gross: Cents, treatment: Treatment) -> RateTotal {
    match treatment {
        Treatment::Standard => {
            let net = net_of(gross, rate);
            RateTotal {
                rate,
                net,
                vat: Cents(gross.0 - net.0),
                total: gross,
            }
        }
        Treatment::ReverseCharge => {
            let net = net_of(gross, rate);
            RateTotal {
                rate,
                net,
                vat: Cents(0),
                total: net,
            }
        }
        Treatment::SmallBusiness => RateTotal {
            rate: VatRate::ZERO,
            net: gross,
            vat: Cents(0),
            total: gross,
        },
    }
}

#[cfg(test)]
mod tests;
