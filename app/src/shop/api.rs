//! The storefront's server functions: the catalog and one product, read from the catalog in
//! memory (no query per request). Public.

use gd_pricing::{Billing, Cents, Offer};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryLink {
    pub slug: String,
    pub name: String,
}

/// A product image, ready for `<img>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageView {
    pub src: String,
    /// Every rendition with its width.
    pub srcset: String,
    /// Of `src` (so the page keeps its place while the image loads).
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

/// A product in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCard {
    /// The first image, if it has one.
    pub image: Option<ImageView>,
    pub slug: String,
    pub name: String,
    pub summary: String,
    /// The lowest price of one item.
    pub from: Cents,
    pub billing: Billing,
    pub bundle: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogView {
    pub categories: Vec<CategoryLink>,
    /// The category shown (`None`: all).
    pub category: Option<CategoryLink>,
    pub query: String,
    pub products: Vec<ProductCard>,
}

/// What the configurator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TargetKind {
    Handle,
    Post,
    None,
}

/// An add-on or a delivery speed, with its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub key: String,
    pub label: String,
}

/// One product of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundlePart {
    pub slug: String,
    pub name: String,
    /// How much of the product's unit one part delivers (1,000 followers).
    pub amount: u32,
    pub unit: String,
    pub quantity: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductView {
    pub slug: String,
    pub name: String,
    pub summary: String,
    /// The description rendered from Markdown on the server (raw HTML escaped).
    pub description_html: String,
    pub category: Option<CategoryLink>,
    pub target: TargetKind,
    pub unit: String,
    pub offer: Offer,
    pub addons: Vec<Choice>,
    pub speeds: Vec<Choice>,
    pub parts: Vec<BundlePart>,
    pub images: Vec<ImageView>,
    /// An admin looking at a product that is not on sale (yet).
    pub preview: bool,
    pub seo: Seo,
}

/// What search engines and link previews read: the page's own address in both languages and
/// its structured data (JSON-LD `Product` with its offer, and the breadcrumb).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seo {
    pub canonical: String,
    pub de: String,
    pub en: String,
    /// The first image's address, for link previews (`og:image`).
    pub image: Option<String>,
    /// Ready to be a `<script type="application/ld+json">` (`</` escaped).
    pub json_ld: String,
}

/// What the check of an Instagram handle found (the handle as it will be used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandleCheck {
    /// A public business or creator account.
    Professional {
        handle: String,
        name: Option<String>,
        followers: Option<u64>,
    },
    /// No public business or creator account has this handle.
    NotProfessional { handle: String },
    /// The lookup did not work this time; the handle may well be fine.
    NotChecked { handle: String },
    /// Only the format was checked (no Instagram app configured: a local installation).
    FormatOnly { handle: String },
}

/// Checks an Instagram handle before it goes into the cart: its format always (422 with the
/// field `target` when it is not a handle), and, when an Instagram app is configured, whether
/// it is a public business or creator account. Public; 60 checks an hour per address.
#[server(prefix = "/api", endpoint = "check_handle")]
pub async fn check_handle(#[server(default)] handle: String) -> Result<HandleCheck, AppError> {
    let handle = gd_common::InstagramHandle::parse(&handle).map_err(|p| AppError::Validation {
        issues: vec![p.on("target")],
        echo: Default::default(),
    })?;
    let limit = gd_accounts::Limit::new(format!("handle:check:{}", crate::context::ip()), 60, 3600);
    crate::context::throttle(&[limit]).await?;
    let ctx = crate::context::server_context()?;
    let name = handle.as_str().to_owned();
    Ok(match ctx.instagram.check(&handle).await {
        gd_instagram::AccountStatus::Professional {
            name: display,
            followers,
            ..
        } => HandleCheck::Professional {
            handle: name,
            name: display,
            followers,
        },
        gd_instagram::AccountStatus::NotProfessional => {
            HandleCheck::NotProfessional { handle: name }
        }
        gd_instagram::AccountStatus::NotChecked => HandleCheck::NotChecked { handle: name },
        gd_instagram::AccountStatus::FormatOnly => HandleCheck::FormatOnly { handle: name },
    })
}

/// The longest search accepted (longer ones are cut).
pub const QUERY_MAX: usize = 100;

/// The products on sale, optionally of one category (`category` = its slug; an unknown one
/// shows everything) and matching every word of `q`. Public.
#[server(prefix = "/api", endpoint = "shop_catalog")]
pub async fn shop_catalog(
    #[server(default)] lang: String,
    #[server(default)] category: String,
    #[server(default)] q: String,
) -> Result<CatalogView, AppError> {
    let ctx = crate::context::server_context()?;
    let locale = server::locale(&lang);
    let catalog = ctx.catalog.get();
    let query: String = q.trim().chars().take(QUERY_MAX).collect();
    let link = |c: &gd_catalog::Category| CategoryLink {
        slug: c.slug.clone(),
        name: c.name.get(locale).to_owned(),
    };
    let selected = catalog.category(category.trim());
    let products = catalog
        .search(selected, &query)
        .filter_map(|p| {
            Some(ProductCard {
                image: p.images.first().map(|i| server::image(i, 400, locale)),
                slug: p.slug.clone(),
                name: p.name.get(locale).to_owned(),
                summary: p.summary.get(locale).to_owned(),
                from: p.from_price()?,
                billing: p.price.as_ref()?.offer.billing,
                bundle: p.kind == gd_catalog::ProductKind::Bundle,
            })
        })
        .collect();
    // Only categories with something on sale are offered as filters.
    let categories = catalog
        .categories
        .iter()
        .filter(|c| catalog.on_sale().any(|p| p.category_id == Some(c.id)))
        .map(link)
        .collect();
    Ok(CatalogView {
        categories,
        category: selected.map(link),
        query,
        products,
    })
}

/// One product on sale by its slug; 404 for unknown and unpublished ones alike. Public.
/// With `preview`, an admin also sees a product that is not on sale (but has a price).
#[server(prefix = "/api", endpoint = "shop_product")]
pub async fn shop_product(
    #[server(default)] lang: String,
    #[server(default)] slug: String,
    #[server(default)] preview: bool,
) -> Result<ProductView, AppError> {
    let ctx = crate::context::server_context()?;
    let locale = server::locale(&lang);
    let catalog = ctx.catalog.get();
    let slug = slug.trim();
    let product = match catalog.product(slug) {
        Some(product) => product,
        None if preview => {
            // Only admins preview; anyone else gets the same 404 as for an unknown product.
            let admin = crate::context::current_user()
                .await
                .ok()
                .flatten()
                .is_some_and(|u| gd_web::role_check(&u, gd_common::Role::Admin).is_ok());
            if !admin {
                return Err(AppError::NotFound);
            }
            catalog.any_product(slug).ok_or(AppError::NotFound)?
        }
        None => return Err(AppError::NotFound),
    };
    let price = product.price.as_ref().ok_or(AppError::NotFound)?;
    let label = |labels: &std::collections::BTreeMap<String, gd_catalog::Localized>, key: &str| {
        labels
            .get(key)
            .map_or_else(|| key.to_owned(), |l| l.get(locale).to_owned())
    };
    let parts = product
        .items
        .iter()
        .filter_map(|item| {
            let part = catalog.product_by_id(item.product_id)?;
            let tier = part
                .price
                .as_ref()?
                .offer
                .tiers
                .iter()
                .find(|t| t.key == item.tier_key)?;
            Some(BundlePart {
                slug: part.slug.clone(),
                name: part.name.get(locale).to_owned(),
                amount: tier.amount,
                unit: part.unit.get(locale).to_owned(),
                quantity: item.quantity,
            })
        })
        .collect();
    let seo = server::seo(&ctx.config.public_url, product, &catalog, locale);
    Ok(ProductView {
        seo,
        slug: product.slug.clone(),
        name: product.name.get(locale).to_owned(),
        summary: product.summary.get(locale).to_owned(),
        description_html: crate::markdown::to_html(product.description.get(locale)),
        category: product
            .category_id
            .and_then(|id| catalog.category_by_id(id))
            .map(|c| CategoryLink {
                slug: c.slug.clone(),
                name: c.name.get(locale).to_owned(),
            }),
        target: match product.target {
            gd_catalog::Target::Handle => TargetKind::Handle,
            gd_catalog::Target::Post => TargetKind::Post,
            gd_catalog::Target::None => TargetKind::None,
        },
        unit: product.unit.get(locale).to_owned(),
        addons: price
            .offer
            .addons
            .iter()
            .map(|a| Choice {
                key: a.key.clone(),
                label: label(&price.labels.addons, &a.key),
            })
            .collect(),
        speeds: price
            .offer
            .speeds
            .iter()
            .map(|s| Choice {
                key: s.key.clone(),
                label: label(&price.labels.speeds, &s.key),
            })
            .collect(),
        offer: price.offer.clone(),
        parts,
        images: product
            .images
            .iter()
            .map(|i| server::image(i, 800, locale))
            .collect(),
        preview: !product.on_sale(),
    })
}

#[cfg(feature = "ssr")]
mod server {
    use gd_common::Locale;

    pub fn locale(lang: &str) -> Locale {
        Locale::parse(lang)
    }

    /// An image shown about `width` pixels wide.
    pub fn image(i: &gd_catalog::ProductImage, width: u32, locale: Locale) -> super::ImageView {
        let shown = i.width_for(width);
        super::ImageView {
            src: i.src(shown),
            srcset: i.srcset(),
            width: shown,
            height: i.height_at(shown),
            alt: i.alt.get(locale).to_owned(),
        }
    }

    /// Addresses and structured data of a product page.
    pub fn seo(
        public_url: &str,
        product: &gd_catalog::Product,
        catalog: &gd_catalog::Catalog,
        locale: Locale,
    ) -> super::Seo {
        let base = public_url.trim_end_matches('/');
        let path = format!("/shop/{}", product.slug);
        let de = format!("{base}{path}");
        let en = format!("{base}/en{path}");
        let prefix = if locale == Locale::En { "/en" } else { "" };
        let canonical = if locale == Locale::En {
            en.clone()
        } else {
            de.clone()
        };
        let euros = |c: gd_pricing::Cents| format!("{}.{:02}", c.0 / 100, c.0 % 100);
        let offer = product.price.as_ref().map(|p| &p.offer);
        let low = product.from_price().unwrap_or_default();
        let high = offer
            .and_then(|o| o.tiers.iter().map(|t| t.price).max())
            .unwrap_or(low)
            .max(low);
        let mut crumbs = vec![serde_json::json!({
            "@type": "ListItem", "position": 1,
            "name": if locale == Locale::En { "Services" } else { "Leistungen" },
            "item": format!("{base}{prefix}/shop"),
        })];
        if let Some(c) = product
            .category_id
            .and_then(|id| catalog.category_by_id(id))
        {
            crumbs.push(serde_json::json!({
                "@type": "ListItem", "position": 2, "name": c.name.get(locale),
                "item": format!("{base}{prefix}/shop?category={}", c.slug),
            }));
        }
        crumbs.push(serde_json::json!({
            "@type": "ListItem", "position": crumbs.len() + 1,
            "name": product.name.get(locale), "item": canonical,
        }));
        let image = product
            .images
            .first()
            .map(|i| format!("{base}{}", i.src_for(1200)));
        let data = serde_json::json!([
            {
                "@context": "https://schema.org",
                "@type": "Product",
                "name": product.name.get(locale),
                "image": image.iter().collect::<Vec<_>>(),
                "description": product.summary.get(locale),
                "url": canonical,
                "offers": {
                    "@type": "AggregateOffer",
                    "priceCurrency": "EUR",
                    "lowPrice": euros(low),
                    "highPrice": euros(high),
                    "availability": "https://schema.org/InStock",
                },
            },
            {
                "@context": "https://schema.org",
                "@type": "BreadcrumbList",
                "itemListElement": crumbs,
            },
        ]);
        super::Seo {
            canonical,
            de,
            en,
            image,
            json_ld: data.to_string().replace("</", "<\\/"),
        }
    }
}
