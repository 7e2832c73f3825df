//! Pages the agency writes itself: the legal pages German law asks every shop to link from
//! each page (Impressum, Datenschutzerklärung, AGB, Widerrufsbelehrung) and blog posts. Both
//! languages, Markdown; admins edit them ([`save`]), and every change lands in the audit log.
//! Knows nothing of Leptos, axum or apalis.

use chrono::{DateTime, Utc};
use gd_common::{form_text, FieldIssue, IssueCode, Localized};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PageKind {
    Legal,
    Blog,
}

impl PageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Legal => "legal",
            PageKind::Blog => "blog",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PageKind::Legal, PageKind::Blog]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The legal pages every page links to, by slug, in footer order.
pub const LEGAL_PAGES: [&str; 4] = ["impressum", "datenschutz", "agb", "widerruf"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub id: Uuid,
    pub kind: PageKind,
    pub slug: String,
    pub title: Localized,
    pub summary: Localized,
    /// Markdown.
    pub body: Localized,
    pub published: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A page as an admin submits it (everything text, nothing trusted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInput {
    /// `None` for a new page.
    pub id: Option<Uuid>,
    pub kind: String,
    pub slug: String,
    pub title_de: String,
    pub title_en: String,
    pub summary_de: String,
    pub summary_en: String,
    pub body_de: String,
    pub body_en: String,
    pub published: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("invalid page")]
    Invalid(Vec<FieldIssue>),
    #[error("no such page")]
    NotFound,
    /// Another page of the same kind has this slug.
    #[error("the address is taken")]
    SlugTaken,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("audit: {0}")]
    Audit(#[from] gd_accounts::AccountError),
}

pub const TITLE_MAX: usize = 160;
pub const SUMMARY_MAX: usize = 300;
pub const BODY_MAX: usize = 100_000;
pub use gd_common::{parse_slug, SLUG_MAX};

fn check(input: &PageInput) -> Result<(PageKind, String, [String; 6]), Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let kind = PageKind::parse(input.kind.trim());
    if kind.is_none() {
        issues.push(FieldIssue::new("kind", IssueCode::NotOffered));
    }
    let slug = parse_slug(&input.slug).map_err(|p| issues.push(p.on("slug")));
    let texts = [
        form_text(&mut issues, "title_de", &input.title_de, TITLE_MAX, true),
        form_text(&mut issues, "title_en", &input.title_en, TITLE_MAX, true),
        form_text(
            &mut issues,
            "summary_de",
            &input.summary_de,
            SUMMARY_MAX,
            false,
        ),
        form_text(
            &mut issues,
            "summary_en",
            &input.summary_en,
            SUMMARY_MAX,
            false,
        ),
        form_text(&mut issues, "body_de", &input.body_de, BODY_MAX, false),
        form_text(&mut issues, "body_en", &input.body_en, BODY_MAX, false),
    ];
    match (kind, slug) {
        (Some(kind), Ok(slug)) if issues.is_empty() => Ok((kind, slug, texts)),
        _ => Err(issues),
    }
}

/// Creates (`input.id` None) or changes a page, and records who did it. A page published for
/// the first time gets its publication date.
pub async fn save(
    conn: &mut PgConnection,
    actor: Uuid,
    input: &PageInput,
) -> Result<Uuid, ContentError> {
    let (kind, slug, [title_de, title_en, summary_de, summary_en, body_de, body_en]) =
        check(input).map_err(ContentError::Invalid)?;
    let mut tx = conn.begin().await?;
    let taken = |e: sqlx::Error| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => ContentError::SlugTaken,
        _ => ContentError::Database(e),
    };
    let id = match input.id {
        None => {
            let id = Uuid::now_v7();
            sqlx::query!(
                "INSERT INTO pages (id, kind, slug, title_de, title_en, summary_de, summary_en,
                                    body_de, body_en, published, published_at, updated_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                         CASE WHEN $10 THEN now() END, $11)",
                id,
                kind.as_str(),
                slug,
                title_de,
                title_en,
                summary_de,
                summary_en,
                body_de,
                body_en,
                input.published,
                actor
            )
            .execute(&mut *tx)
            .await
            .map_err(taken)?;
            id
        }
        Some(id) => {
            let changed = sqlx::query!(
                "UPDATE pages SET kind = $2, slug = $3, title_de = $4, title_en = $5,
                        summary_de = $6, summary_en = $7, body_de = $8, body_en = $9,
                        published = $10,
                        published_at = CASE WHEN $10 THEN COALESCE(published_at, now()) END,
                        updated_at = now(), updated_by = $11
                 WHERE id = $1",
                id,
                kind.as_str(),
                slug,
                title_de,
                title_en,
                summary_de,
                summary_en,
                body_de,
                body_en,
                input.published,
                actor
            )
            .execute(&mut *tx)
            .await
            .map_err(taken)?
            .rows_affected();
            if changed == 0 {
                return Err(ContentError::NotFound);
            }
            id
        }
    };
    gd_accounts::record(
        &mut tx,
        &gd_accounts::AuditEvent::new("page.save")
            .actor(Some(actor))
            .details(serde_json::json!({
                "page": id,
                "kind": kind.as_str(),
                "slug": slug,
                "published": input.published,
                "new": input.id.is_none(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// `page_query!("WHERE …", args…)`: every column of `pages` as a [`Row`], one column list for
/// every read.
macro_rules! page_query {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            r#"SELECT id, kind, slug, title_de, title_en, summary_de, summary_en, body_de, body_en,
                      published, published_at AS "published_at: _", updated_at AS "updated_at: _"
               FROM pages "# + $rest
            $(, $arg)*
        )
    };
}

struct Row {
    id: Uuid,
    kind: String,
    slug: String,
    title_de: String,
    title_en: String,
    summary_de: String,
    summary_en: String,
    body_de: String,
    body_en: String,
    published: bool,
    published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn page(self) -> Option<Page> {
        Some(Page {
            id: self.id,
            kind: PageKind::parse(&self.kind)?,
            slug: self.slug,
            title: Localized::new(self.title_de, self.title_en),
            summary: Localized::new(self.summary_de, self.summary_en),
            body: Localized::new(self.body_de, self.body_en),
            published: self.published,
            published_at: self.published_at,
            updated_at: self.updated_at,
        })
    }
}

/// A published page of `kind` by its slug.
pub async fn find_published(
    pool: &PgPool,
    kind: PageKind,
    slug: &str,
) -> Result<Option<Page>, ContentError> {
    let row = page_query!(
        "WHERE kind = $1 AND slug = $2 AND published",
        kind.as_str(),
        slug
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(Row::page))
}

/// Published pages of `kind`, newest first.
pub async fn list_published(pool: &PgPool, kind: PageKind) -> Result<Vec<Page>, ContentError> {
    let rows = page_query!(
        "WHERE kind = $1 AND published ORDER BY published_at DESC NULLS LAST, slug",
        kind.as_str()
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().filter_map(Row::page).collect())
}

/// Every page, published or not, legal pages first (for admins).
pub async fn list_all(pool: &PgPool) -> Result<Vec<Page>, ContentError> {
    let rows = page_query!("ORDER BY kind DESC, updated_at DESC")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().filter_map(Row::page).collect())
}

/// One page by id (for admins).
pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<Page>, ContentError> {
    let row = page_query!("WHERE id = $1", id)
        .fetch_optional(pool)
        .await?;
    Ok(row.and_then(Row::page))
}
