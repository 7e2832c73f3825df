//! The catalog: what the agency sells. Categories; products, each a service (followers,
//! likes, views, management plans) or a bundle of services at a bundle price; and each
//! product's current price version ([`PriceVersion`]): the pricing crate's [`Offer`] with the
//! labels the shop shows beside it. A price version never changes; a new price is a new
//! version, so carts and orders keep what they were priced with.
//!
//! The storefront reads the whole catalog from memory ([`Cache`]): loaded at start, loaded
//! again whenever a change is committed anywhere (PostgreSQL `NOTIFY catalog_changed`, which
//! every server process listens to). It knows nothing of Leptos, axum or apalis.

mod cache;
pub mod edit;
pub mod images;
mod load;

pub use cache::{notify_changed, Cache, CHANNEL};
pub use edit::EditError;
pub use images::ProductImage;
pub use load::load;

use std::collections::BTreeMap;

pub use gd_common::Localized;
pub use gd_pricing::Offer;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProductKind {
    Service,
    Bundle,
}

impl ProductKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::Service => "service",
            ProductKind::Bundle => "bundle",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ProductKind::Service, ProductKind::Bundle]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What the configurator asks the shopper for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// An Instagram account (followers, management).
    Handle,
    /// A post or reel (likes, views).
    Post,
    /// Nothing (consulting, bundles that ask later).
    None,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Handle => "handle",
            Target::Post => "post",
            Target::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Target::Handle, Target::Post, Target::None]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: Uuid,
    pub slug: String,
    pub name: Localized,
    pub position: i32,
}

/// The labels the shop shows beside an offer's add-ons and speeds, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferLabels {
    #[serde(default)]
    pub addons: BTreeMap<String, Localized>,
    #[serde(default)]
    pub speeds: BTreeMap<String, Localized>,
}

/// A product's price as stored: the offer and its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOffer {
    pub offer: Offer,
    #[serde(default)]
    pub labels: OfferLabels,
}

/// One version of a product's price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceVersion {
    pub id: Uuid,
    pub offer: Offer,
    pub labels: OfferLabels,
}

/// One product of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleItem {
    pub product_id: Uuid,
    pub tier_key: String,
    pub quantity: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: Uuid,
    pub slug: String,
    pub kind: ProductKind,
    pub category_id: Option<Uuid>,
    pub target: Target,
    pub name: Localized,
    pub summary: Localized,
    /// Markdown.
    pub description: Localized,
    /// What a tier's amount counts ("Follower").
    pub unit: Localized,
    pub published: bool,
    pub position: i32,
    /// `None` until an admin gives it one (it cannot be published before).
    pub price: Option<PriceVersion>,
    /// A bundle's contents (empty for a service).
    pub items: Vec<BundleItem>,
    /// In the order admins gave them; the first is the one listings and link previews show.
    pub images: Vec<ProductImage>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Product {
    /// The lowest price a shopper can pay for one item (the cheapest tier with the default
    /// speed), for "from …" in listings.
    pub fn from_price(&self) -> Option<gd_pricing::Cents> {
        let offer = &self.price.as_ref()?.offer;
        let speed = offer.speeds.first().map_or(0, |s| s.surcharge.0.max(0));
        offer
            .tiers
            .iter()
            .map(|t| gd_pricing::Cents(t.price.0.saturating_add(speed)))
            .min()
    }

    /// Published and sellable: the storefront shows only these.
    pub fn on_sale(&self) -> bool {
        self.published && self.price.is_some()
    }
}

/// The whole catalog, as the storefront reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// By position.
    pub categories: Vec<Category>,
    /// By category position, then product position, then name.
    pub products: Vec<Product>,
}

impl Catalog {
    /// The products on sale, in listing order.
    pub fn on_sale(&self) -> impl Iterator<Item = &Product> {
        self.products.iter().filter(|p| p.on_sale())
    }

    /// Any product by its slug, on sale or not (admins' preview).
    pub fn any_product(&self, slug: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.slug == slug)
    }

    /// A product on sale by its slug (`None` for unknown and unpublished ones alike).
    pub fn product(&self, slug: &str) -> Option<&Product> {
        self.on_sale().find(|p| p.slug == slug)
    }

    pub fn product_by_id(&self, id: Uuid) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    pub fn category(&self, slug: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.slug == slug)
    }

    pub fn category_by_id(&self, id: Uuid) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// Products on sale in category `slug` (all with `None`) whose name or summary, in
    /// either language, contains every word of `query` (case-insensitive).
    pub fn search<'a>(
        &'a self,
        category: Option<&'a Category>,
        query: &str,
    ) -> impl Iterator<Item = &'a Product> + 'a {
        let words: Vec<String> = query
            .split_whitespace()
            .take(8)
            .map(|w| w.to_lowercase())
            .collect();
        self.on_sale().filter(move |p| {
            let in_category = category.is_none_or(|c| p.category_id == Some(c.id));
            let text = format!(
                "{} {} {} {}",
                p.name.de, p.name.en, p.summary.de, p.summary.en
            )
            .to_lowercase();
            in_category && words.iter().all(|w| text.contains(w.as_str()))
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row the code cannot read (a kind, target or offer it does not know).
    #[error("product {product}: {problem}")]
    Corrupt { product: Uuid, problem: String },
}
