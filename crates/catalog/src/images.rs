//! Product images: an upload is checked (the type by its content, the size, the dimensions),
//! turned upright (EXIF orientation), stripped of its metadata, and resized to the widths the
//! pages use. The renditions go to the object storage under content-addressed keys
//! (`catalog/<hash>-<width>.<jpg|png>`), so they never change and are served with a cache
//! lifetime of a year; the database row says which widths exist.

use std::io::Cursor;

use gd_common::{IssueCode, Localized, Problem};
use gd_storage::{Key, ObjectStore, StorageError};
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::edit::{commit_change, EditError};

/// The largest upload taken (before anything is decoded).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Images must be at least this wide and high (a product card shows 400 px).
pub const MIN_SIDE: u32 = 200;
/// And at most this wide or high.
pub const MAX_SIDE: u32 = 10_000;
/// And hold at most this many megapixels: decoding costs about 4 bytes a pixel (8 for 16-bit
/// images), so one upload stays under about 320 MB while it is processed.
pub const MAX_MEGAPIXELS: u32 = 40;
/// The widths the pages ask for: cards, the product page, link previews (Open Graph).
pub const WIDTHS: [u32; 3] = [400, 800, 1200];
/// Images per product.
pub const MAX_PER_PRODUCT: i64 = 12;
pub const ALT_MAX: usize = 200;

/// The file type of the renditions: JPEG, or PNG for images with transparency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rendition {
    Jpeg,
    Png,
}

impl Rendition {
    pub fn ext(self) -> &'static str {
        match self {
            Rendition::Jpeg => "jpg",
            Rendition::Png => "png",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "jpg" => Some(Rendition::Jpeg),
            "png" => Some(Rendition::Png),
            _ => None,
        }
    }
}

/// An image of a product, as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductImage {
    pub id: Uuid,
    /// Hex; names the renditions.
    pub hash: String,
    pub format: Rendition,
    /// Of the largest rendition.
    pub width: u32,
    pub height: u32,
    /// Ascending.
    pub widths: Vec<u32>,
    pub alt: Localized,
}

impl ProductImage {
    /// The storage key of the rendition `width` wide.
    pub fn key(&self, width: u32) -> String {
        format!("catalog/{}-{width}.{}", self.hash, self.format.ext())
    }

    /// Its address on the site.
    pub fn src(&self, width: u32) -> String {
        format!("/media/{}", self.key(width))
    }

    /// The width of the smallest rendition at least `width` wide (or of the largest there is).
    pub fn width_for(&self, width: u32) -> u32 {
        self.widths
            .iter()
            .copied()
            .find(|w| *w >= width)
            .or_else(|| self.widths.last().copied())
            .unwrap_or(self.width)
    }

    /// The address of that rendition.
    pub fn src_for(&self, width: u32) -> String {
        self.src(self.width_for(width))
    }

    /// For `<img srcset>`: every rendition with its width.
    pub fn srcset(&self) -> String {
        self.widths
            .iter()
            .map(|w| format!("{} {w}w", self.src(*w)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The height of the rendition `width` wide.
    pub fn height_at(&self, width: u32) -> u32 {
        if self.width == 0 {
            return 0;
        }
        let h = u64::from(self.height) * u64::from(width) / u64::from(self.width);
        u32::try_from(h).unwrap_or(u32::MAX).max(1)
    }
}

/// An upload made ready: its renditions, smallest first.
#[derive(Debug, Clone)]
pub struct Processed {
    pub hash: String,
    pub format: Rendition,
    /// (width, height, encoded bytes)
    pub renditions: Vec<(u32, u32, Vec<u8>)>,
}

impl Processed {
    pub fn key(&self, width: u32) -> Result<Key, StorageError> {
        Key::parse(&format!(
            "catalog/{}-{width}.{}",
            self.hash,
            self.format.ext()
        ))
    }
}

/// Checks and resizes an upload. CPU-heavy: call it off the async threads
/// (`spawn_blocking`).
pub fn process(bytes: &[u8]) -> Result<Processed, Problem> {
    if bytes.len() > MAX_BYTES {
        return Err(Problem::with_limit(
            IssueCode::FileTooLarge,
            MAX_BYTES / 1024 / 1024,
        ));
    }
    let not_an_image = || Problem::new(IssueCode::NotAnImage);
    let format = image::guess_format(bytes).map_err(|_| not_an_image())?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(not_an_image());
    }
    // The header first: no pixel is decoded for an image of the wrong size.
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| not_an_image())?;
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(Problem::with_limit(
            IssueCode::ImageTooSmall,
            MIN_SIDE as usize,
        ));
    }
    if w > MAX_SIDE
        || h > MAX_SIDE
        || u64::from(w) * u64::from(h) > u64::from(MAX_MEGAPIXELS) * 1_000_000
    {
        return Err(Problem::with_limit(
            IssueCode::ImageTooBig,
            MAX_MEGAPIXELS as usize,
        ));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| not_an_image())?;
    let orientation = decoder.orientation().map_err(|_| not_an_image())?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| not_an_image())?;
    img.apply_orientation(orientation);

    // Pixel by pixel, without a copy of the whole image.
    let transparent = img.color().has_alpha()
        && image::GenericImageView::pixels(&img).any(|(_, _, p)| p.0[3] < 255);
    let format = if transparent {
        Rendition::Png
    } else {
        Rendition::Jpeg
    };
    let hash = Sha256::digest(bytes)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect::<String>();

    let full = img.width();
    let largest = WIDTHS[WIDTHS.len() - 1];
    // Down to the largest width once; the smaller ones come from that (and the full-size
    // picture is freed before them).
    let base = if full > largest {
        img.resize(largest, u32::MAX, FilterType::CatmullRom)
    } else {
        img
    };
    let top = base.width();
    let mut widths: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w < top).collect();
    widths.push(top);
    widths.dedup();
    let mut renditions = Vec::with_capacity(widths.len());
    for width in widths {
        let resized = if width == top {
            base.clone()
        } else {
            base.resize(width, u32::MAX, FilterType::CatmullRom)
        };
        let mut out = Vec::new();
        let written = match format {
            Rendition::Jpeg => resized.to_rgb8().write_with_encoder(
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82),
            ),
            Rendition::Png => resized
                .to_rgba8()
                .write_with_encoder(image::codecs::png::PngEncoder::new(&mut out)),
        };
        written.map_err(|_| not_an_image())?;
        renditions.push((resized.width(), resized.height(), out));
    }
    Ok(Processed {
        hash,
        format,
        renditions,
    })
}

/// Puts every rendition into the store (again, harmlessly, when it is there already).
pub async fn store(store: &dyn ObjectStore, processed: &Processed) -> Result<(), StorageError> {
    for (width, _, bytes) in &processed.renditions {
        store.put(&processed.key(*width)?, bytes.clone()).await?;
    }
    Ok(())
}

fn too_many() -> EditError {
    EditError::Invalid(vec![Problem::with_limit(
        IssueCode::TooMany,
        MAX_PER_PRODUCT as usize,
    )
    .on("image")])
}

/// Refuses early (before an upload is processed and stored) when a product has as many
/// images as it may; [`add_image`] checks again under the product's lock.
pub async fn check_room(conn: &mut PgConnection, product: Uuid) -> Result<(), EditError> {
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM product_images WHERE product_id = $1"#,
        product
    )
    .fetch_one(&mut *conn)
    .await?;
    if count >= MAX_PER_PRODUCT {
        Err(too_many())
    } else {
        Ok(())
    }
}

/// Adds a stored image to a product, after its others. The same image twice is one image.
pub async fn add_image(
    conn: &mut PgConnection,
    actor: Uuid,
    product: Uuid,
    processed: &Processed,
    alt: &Localized,
) -> Result<Uuid, EditError> {
    let clean = |s: &str| -> String {
        s.trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(ALT_MAX)
            .collect()
    };
    let (alt_de, alt_en) = (clean(&alt.de), clean(&alt.en));
    let Some((width, height, _)) = processed.renditions.last() else {
        return Err(EditError::Invalid(vec![Problem::new(
            IssueCode::NotAnImage,
        )
        .on("image")]));
    };
    let widths: Vec<i32> = processed
        .renditions
        .iter()
        .map(|(w, _, _)| i32::try_from(*w).unwrap_or(i32::MAX))
        .collect();
    let mut tx = conn.begin().await?;
    let slug = sqlx::query_scalar!(
        "SELECT slug FROM products WHERE id = $1 FOR UPDATE",
        product
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(EditError::NotFound)?;
    if let Some(existing) = sqlx::query_scalar!(
        "SELECT id FROM product_images WHERE product_id = $1 AND hash = $2",
        product,
        processed.hash
    )
    .fetch_optional(&mut *tx)
    .await?
    {
        return Ok(existing);
    }
    let (count, next) = sqlx::query!(
        r#"SELECT count(*) AS "n!", COALESCE(max(position) + 1, 0) AS "next!"
           FROM product_images WHERE product_id = $1"#,
        product
    )
    .fetch_one(&mut *tx)
    .await
    .map(|r| (r.n, r.next))?;
    if count >= MAX_PER_PRODUCT {
        return Err(too_many());
    }
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO product_images (id, product_id, position, hash, format, width, height,
                                     widths, alt_de, alt_en, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        id,
        product,
        next,
        processed.hash,
        processed.format.ext(),
        i32::try_from(*width).unwrap_or(i32::MAX),
        i32::try_from(*height).unwrap_or(i32::MAX),
        &widths,
        alt_de,
        alt_en,
        actor
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE products SET updated_at = now() WHERE id = $1",
        product
    )
    .execute(&mut *tx)
    .await?;
    commit_change(
        tx,
        "product.image.add",
        actor,
        serde_json::json!({
            "product": product, "slug": slug, "image": id, "hash": processed.hash,
        }),
    )
    .await?;
    Ok(id)
}

/// Takes an image off a product. Its renditions stay in the storage (content-addressed,
/// another product may show the same picture).
pub async fn remove_image(
    conn: &mut PgConnection,
    actor: Uuid,
    product: Uuid,
    image: Uuid,
) -> Result<(), EditError> {
    let mut tx = conn.begin().await?;
    let removed = sqlx::query_scalar!(
        "DELETE FROM product_images WHERE id = $1 AND product_id = $2 RETURNING hash",
        image,
        product
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(EditError::NotFound)?;
    sqlx::query!(
        "UPDATE products SET updated_at = now() WHERE id = $1",
        product
    )
    .execute(&mut *tx)
    .await?;
    commit_change(
        tx,
        "product.image.remove",
        actor,
        serde_json::json!({ "product": product, "image": image, "hash": removed }),
    )
    .await?;
    Ok(())
}
