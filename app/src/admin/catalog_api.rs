//! Server functions of the admins' catalog pages: the product list, one product's form (texts,
//! price, publication, bundle contents, images) and the changes. Every one needs `admin`; every
//! change is audited by the catalog crate and reaches every server's catalog in memory when it
//! commits. Images are uploaded by a plain form to `POST /admin/catalog/{id}/images` (a file
//! does not fit a server function's form encoding).
// A product's form has fourteen fields, and a server function's arguments are its fields.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A product in the admins' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub category: String,
    pub published: bool,
    /// "ab 14,90 €", or empty without a price.
    pub from: String,
    pub images: usize,
    pub updated: String,
}

/// One earlier or the current price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRow {
    pub at: String,
    pub by: String,
    pub current: bool,
    /// The tiers in a few words ("1k 14,90 € · 5k 59,90 €").
    pub summary: String,
}

/// An image as the admin page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminImage {
    pub id: String,
    pub src: String,
    pub alt: String,
    pub size: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryOption {
    pub slug: String,
    pub name: String,
}

/// Everything the product page of the admin portal shows (empty for a new product).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductForm {
    /// '' for a new product.
    pub id: String,
    pub slug: String,
    pub kind: String,
    pub category: String,
    pub target: String,
    pub name_de: String,
    pub name_en: String,
    pub summary_de: String,
    pub summary_en: String,
    pub description_de: String,
    pub description_en: String,
    pub unit_de: String,
    pub unit_en: String,
    pub position: String,
    pub published: bool,
    pub categories: Vec<CategoryOption>,
    /// The price form, filled with the current price (or an example for a first one).
    pub vat: String,
    pub billing: String,
    pub tiers: String,
    pub addons: String,
    pub speeds: String,
    pub priced: bool,
    pub history: Vec<PriceRow>,
    /// A bundle's contents, one `slug | tier | quantity` per line.
    pub items: String,
    pub images: Vec<AdminImage>,
    /// Where uploads go ("folder var/storage", "S3 bucket …").
    pub storage: String,
    pub storage_local: bool,
}

/// Every product, published or not, in listing order. Needs `admin`.
#[server(prefix = "/api", endpoint = "admin_products")]
pub async fn admin_products() -> Result<Vec<ProductRow>, AppError> {
    let (ctx, _) = crate::admin::api::admin().await?;
    // Read from the database, not the copy in memory: an admin sees their change at once.
    let catalog = gd_catalog::load(&ctx.pool)
        .await
        .map_err(AppError::internal)?;
    Ok(catalog
        .products
        .iter()
        .map(|p| ProductRow {
            id: p.id.to_string(),
            slug: p.slug.clone(),
            name: p.name.de.clone(),
            kind: p.kind.as_str().to_owned(),
            category: p
                .category_id
                .and_then(|id| catalog.category_by_id(id))
                .map(|c| c.name.de.clone())
                .unwrap_or_default(),
            published: p.published,
            from: p
                .from_price()
                .map(|c| format!("ab {}", c.de()))
                .unwrap_or_default(),
            images: p.images.len(),
            updated: p.updated_at.format("%d.%m.%Y %H:%M").to_string(),
        })
        .collect())
}

/// One product for its admin page (`id` = `new`: an empty draft). Needs `admin`.
#[server(prefix = "/api", endpoint = "admin_product")]
pub async fn admin_product(#[server(default)] id: String) -> Result<ProductForm, AppError> {
    let (ctx, _) = crate::admin::api::admin().await?;
    let catalog = gd_catalog::load(&ctx.pool)
        .await
        .map_err(AppError::internal)?;
    let categories = catalog
        .categories
        .iter()
        .map(|c| CategoryOption {
            slug: c.slug.clone(),
            name: c.name.de.clone(),
        })
        .collect();
    let storage = ctx.storage.describe();
    let storage_local = ctx.storage.is_local();
    if id.trim() == "new" {
        return Ok(ProductForm {
            kind: "service".into(),
            target: "handle".into(),
            position: "0".into(),
            categories,
            vat: "19".into(),
            billing: "one_off".into(),
            tiers: "1k | 1000 | 14,90\n5k | 5000 | 59,90".into(),
            storage,
            storage_local,
            ..Default::default()
        });
    }
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let p = catalog.product_by_id(id).ok_or(AppError::NotFound)?;
    let mut conn = ctx.pool.acquire().await.map_err(AppError::internal)?;
    let history = gd_catalog::edit::price_history(&mut conn, id)
        .await
        .map_err(AppError::internal)?;
    let current = history
        .iter()
        .find(|h| h.current)
        .and_then(|h| h.offer.clone());
    let price = current
        .as_ref()
        .map(gd_catalog::edit::price_form)
        .unwrap_or_else(|| gd_catalog::edit::PriceInput {
            vat: "19".into(),
            billing: "one_off".into(),
            ..Default::default()
        });
    let items = p
        .items
        .iter()
        .filter_map(|i| {
            let part = catalog.product_by_id(i.product_id)?;
            Some(format!("{} | {} | {}", part.slug, i.tier_key, i.quantity))
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(ProductForm {
        id: p.id.to_string(),
        slug: p.slug.clone(),
        kind: p.kind.as_str().to_owned(),
        category: p
            .category_id
            .and_then(|c| catalog.category_by_id(c))
            .map(|c| c.slug.clone())
            .unwrap_or_default(),
        target: p.target.as_str().to_owned(),
        name_de: p.name.de.clone(),
        name_en: p.name.en.clone(),
        summary_de: p.summary.de.clone(),
        summary_en: p.summary.en.clone(),
        description_de: p.description.de.clone(),
        description_en: p.description.en.clone(),
        unit_de: p.unit.de.clone(),
        unit_en: p.unit.en.clone(),
        position: p.position.to_string(),
        published: p.published,
        categories,
        vat: price.vat,
        billing: price.billing,
        tiers: price.tiers,
        addons: price.addons,
        speeds: price.speeds,
        priced: p.price.is_some(),
        history: history
            .into_iter()
            .map(|h| PriceRow {
                at: h.created_at.format("%d.%m.%Y %H:%M").to_string(),
                by: h.created_by.unwrap_or_default(),
                current: h.current,
                summary: h
                    .offer
                    .map(|o| {
                        o.offer
                            .tiers
                            .iter()
                            .map(|t| format!("{} {}", t.key, t.price.de()))
                            .collect::<Vec<_>>()
                            .join(" · ")
                    })
                    .unwrap_or_else(|| "?".into()),
            })
            .collect(),
        items,
        images: p
            .images
            .iter()
            .map(|i| AdminImage {
                id: i.id.to_string(),
                src: i.src_for(400),
                alt: i.alt.de.clone(),
                size: format!("{} × {}", i.width, i.height),
            })
            .collect(),
        storage,
        storage_local,
    })
}

#[cfg(feature = "ssr")]
fn edit_error(e: gd_catalog::EditError) -> AppError {
    use gd_catalog::EditError as E;
    match e {
        E::Invalid(issues) => AppError::Validation {
            issues,
            echo: Default::default(),
        },
        E::NotFound => AppError::NotFound,
        E::SlugTaken => AppError::Conflict(crate::error::Conflict::ProductSlugTaken),
        E::NotPriced => AppError::Conflict(crate::error::Conflict::NotPriced),
        other => AppError::internal(other),
    }
}

#[cfg(feature = "ssr")]
fn product_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)
}

/// Creates a product (a draft) or changes its texts and settings. Needs `admin`; 422 with
/// the fields for bad input, 409 when another product has the address. Answers its id.
#[server(prefix = "/api", endpoint = "admin_save_product")]
pub async fn admin_save_product(
    #[server(default)] id: String,
    #[server(default)] slug: String,
    #[server(default)] kind: String,
    #[server(default)] category: String,
    #[server(default)] target: String,
    #[server(default)] name_de: String,
    #[server(default)] name_en: String,
    #[server(default)] summary_de: String,
    #[server(default)] summary_en: String,
    #[server(default)] description_de: String,
    #[server(default)] description_en: String,
    #[server(default)] unit_de: String,
    #[server(default)] unit_en: String,
    #[server(default)] position: String,
) -> Result<String, AppError> {
    let (_, me) = crate::admin::api::admin().await?;
    let id = match id.trim() {
        "" | "new" => None,
        other => Some(product_id(other)?),
    };
    let input = gd_catalog::edit::ProductInput {
        id,
        slug,
        kind,
        category,
        target,
        name_de,
        name_en,
        summary_de,
        summary_en,
        description_de,
        description_en,
        unit_de,
        unit_en,
        position,
    };
    let mut tx = crate::context::begin().await?;
    let saved = gd_catalog::edit::save_product(&mut tx, me.id, &input)
        .await
        .map_err(edit_error)?;
    crate::context::commit(tx).await?;
    Ok(saved.to_string())
}

/// Gives a product a new price (a new version; carts priced earlier say it changed, orders
/// keep theirs). Needs `admin`; 422 with the fields (and lines) for bad input.
#[server(prefix = "/api", endpoint = "admin_set_price")]
pub async fn admin_set_price(
    #[server(default)] id: String,
    #[server(default)] vat: String,
    #[server(default)] billing: String,
    #[server(default)] tiers: String,
    #[server(default)] addons: String,
    #[server(default)] speeds: String,
) -> Result<(), AppError> {
    let (_, me) = crate::admin::api::admin().await?;
    let id = product_id(&id)?;
    let stored = gd_catalog::edit::parse_price(&gd_catalog::edit::PriceInput {
        vat,
        billing,
        tiers,
        addons,
        speeds,
    })
    .map_err(|issues| AppError::Validation {
        issues,
        echo: Default::default(),
    })?;
    let mut tx = crate::context::begin().await?;
    gd_catalog::edit::set_price(&mut tx, me.id, id, &stored)
        .await
        .map_err(edit_error)?;
    crate::context::commit(tx).await
}

/// Puts a product on sale (`published` = `true`) or takes it off. Needs `admin`; 409 for a
/// product without a price.
#[server(prefix = "/api", endpoint = "admin_publish_product")]
pub async fn admin_publish_product(
    #[server(default)] id: String,
    #[server(default)] published: String,
) -> Result<(), AppError> {
    let (_, me) = crate::admin::api::admin().await?;
    let id = product_id(&id)?;
    let published = match published.trim() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest),
    };
    let mut tx = crate::context::begin().await?;
    gd_catalog::edit::set_published(&mut tx, me.id, id, published)
        .await
        .map_err(edit_error)?;
    crate::context::commit(tx).await
}

/// Replaces a bundle's contents (`slug | tier | quantity` per line). Needs `admin`.
#[server(prefix = "/api", endpoint = "admin_set_bundle")]
pub async fn admin_set_bundle(
    #[server(default)] id: String,
    #[server(default)] items: String,
) -> Result<(), AppError> {
    let (_, me) = crate::admin::api::admin().await?;
    let id = product_id(&id)?;
    let items =
        gd_catalog::edit::parse_bundle_items(&items).map_err(|issues| AppError::Validation {
            issues,
            echo: Default::default(),
        })?;
    let mut tx = crate::context::begin().await?;
    gd_catalog::edit::set_bundle_items(&mut tx, me.id, id, &items)
        .await
        .map_err(edit_error)?;
    crate::context::commit(tx).await
}

/// Takes an image off a product. Needs `admin`.
#[server(prefix = "/api", endpoint = "admin_remove_image")]
pub async fn admin_remove_image(
    #[server(default)] id: String,
    #[server(default)] image: String,
) -> Result<(), AppError> {
    let (_, me) = crate::admin::api::admin().await?;
    let id = product_id(&id)?;
    let image = product_id(&image)?;
    let mut tx = crate::context::begin().await?;
    gd_catalog::images::remove_image(&mut tx, me.id, id, image)
        .await
        .map_err(edit_error)?;
    crate::context::commit(tx).await
}
