//! Reading the whole catalog (a few hundred rows at most) in four statements.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::images::Rendition;
use crate::{
    BundleItem, Catalog, CatalogError, Category, Localized, PriceVersion, Product, ProductImage,
    ProductKind, StoredOffer, Target,
};

/// Loads every category and product (published or not) with its current price.
pub async fn load(pool: &PgPool) -> Result<Catalog, CatalogError> {
    let mut conn = pool.acquire().await?;
    let categories = sqlx::query!(
        "SELECT id, slug, name_de, name_en, position FROM categories ORDER BY position, slug"
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| Category {
        id: r.id,
        slug: r.slug,
        name: Localized::new(r.name_de, r.name_en),
        position: r.position,
    })
    .collect::<Vec<_>>();

    let items = sqlx::query!(
        "SELECT bundle_id, item_id, tier_key, quantity FROM bundle_items ORDER BY bundle_id, position"
    )
    .fetch_all(&mut *conn)
    .await?;

    let images = sqlx::query!(
        "SELECT id, product_id, hash, format, width, height, widths, alt_de, alt_en
         FROM product_images ORDER BY product_id, position, created_at"
    )
    .fetch_all(&mut *conn)
    .await?;

    let rows = sqlx::query!(
        r#"SELECT p.id, p.slug, p.kind, p.category_id, p.target, p.name_de, p.name_en,
                  p.summary_de, p.summary_en, p.description_de, p.description_en,
                  p.unit_de, p.unit_en, p.published, p.position,
                  p.updated_at AS "updated_at: DateTime<Utc>",
                  pp.id AS "price_id?", pp.offer AS "offer?"
           FROM products p
           LEFT JOIN product_prices pp ON pp.id = p.price_id
           LEFT JOIN categories c ON c.id = p.category_id
           ORDER BY c.position NULLS LAST, p.position, p.name_de"#
    )
    .fetch_all(&mut *conn)
    .await?;

    let mut products = Vec::with_capacity(rows.len());
    for r in rows {
        let corrupt = |problem: String| CatalogError::Corrupt {
            product: r.id,
            problem,
        };
        let kind =
            ProductKind::parse(&r.kind).ok_or_else(|| corrupt(format!("kind {}", r.kind)))?;
        let target =
            Target::parse(&r.target).ok_or_else(|| corrupt(format!("target {}", r.target)))?;
        let price = match (r.price_id, r.offer) {
            (Some(id), Some(offer)) => {
                // A price the code cannot read or sell leaves the product unsellable (and says
                // so in the log); the rest of the catalog is served.
                match serde_json::from_value::<StoredOffer>(offer) {
                    Ok(stored) if stored.offer.problem().is_none() => Some(PriceVersion {
                        id,
                        offer: stored.offer,
                        labels: stored.labels,
                    }),
                    Ok(stored) => {
                        let problem = stored.offer.problem().unwrap_or_default();
                        tracing::error!(product = %r.id, %problem, "offer cannot be sold");
                        None
                    }
                    Err(e) => {
                        tracing::error!(product = %r.id, error = %e, "offer cannot be read");
                        None
                    }
                }
            }
            _ => None,
        };
        let product_items = items
            .iter()
            .filter(|i| i.bundle_id == r.id)
            .map(|i| BundleItem {
                product_id: i.item_id,
                tier_key: i.tier_key.clone(),
                quantity: i.quantity,
            })
            .collect();
        let product_images = images
            .iter()
            .filter(|i| i.product_id == r.id)
            .filter_map(|i| {
                let format = Rendition::parse(&i.format)?;
                let mut widths: Vec<u32> = i
                    .widths
                    .iter()
                    .filter_map(|w| u32::try_from(*w).ok())
                    .collect();
                widths.sort_unstable();
                Some(ProductImage {
                    id: i.id,
                    hash: i.hash.clone(),
                    format,
                    width: u32::try_from(i.width).ok()?,
                    height: u32::try_from(i.height).ok()?,
                    widths,
                    alt: Localized::new(i.alt_de.clone(), i.alt_en.clone()),
                })
            })
            .collect();
        products.push(Product {
            id: r.id,
            slug: r.slug,
            kind,
            category_id: r.category_id,
            target,
            name: Localized::new(r.name_de, r.name_en),
            summary: Localized::new(r.summary_de, r.summary_en),
            description: Localized::new(r.description_de, r.description_en),
            unit: Localized::new(r.unit_de, r.unit_en),
            published: r.published,
            position: r.position,
            price,
            items: product_items,
            images: product_images,
            updated_at: r.updated_at,
        });
    }
    Ok(Catalog {
        categories,
        products,
    })
}
