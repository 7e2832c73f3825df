//! Server functions for written pages: one public read, and the admins' list, form and save.
// A page has ten fields, and a server function's arguments are its form's fields.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A published page, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageView {
    pub title: String,
    pub summary: String,
    /// Rendered from Markdown on the server (raw HTML escaped).
    pub body_html: String,
    /// When it last changed (dd.mm.yyyy).
    pub updated: String,
}

/// A legal page by its slug (`impressum`, `datenschutz`, `agb`, `widerruf`); 404 unless it is
/// published. Public.
#[server(prefix = "/api", endpoint = "legal_page")]
pub async fn legal_page(
    #[server(default)] lang: String,
    #[server(default)] slug: String,
) -> Result<PageView, AppError> {
    let ctx = crate::context::server_context()?;
    let locale = gd_common::Locale::parse(&lang);
    // Not a slug: no such page (and nothing odd reaches the database).
    let slug = gd_content::parse_slug(&slug).map_err(|_| AppError::NotFound)?;
    let page = gd_content::find_published(&ctx.pool, gd_content::PageKind::Legal, &slug)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    Ok(PageView {
        title: page.title.get(locale).to_owned(),
        summary: page.summary.get(locale).to_owned(),
        body_html: crate::markdown::to_html(page.body.get(locale)),
        updated: page.updated_at.format("%d.%m.%Y").to_string(),
    })
}

/// A blog post in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostCard {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// When it was published (dd.mm.yyyy).
    pub date: String,
}

/// The blog's list page: its posts and its addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlogIndex {
    pub posts: Vec<PostCard>,
    pub canonical: String,
    pub de: String,
    pub en: String,
}

/// A published blog post, ready to show, with what search engines and link previews read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostView {
    pub title: String,
    pub summary: String,
    /// Rendered from Markdown on the server (raw HTML escaped).
    pub body_html: String,
    pub date: String,
    pub seo: crate::shop::api::Seo,
}

/// Published blog posts, newest first. Public.
#[server(prefix = "/api", endpoint = "blog_posts")]
pub async fn blog_posts(#[server(default)] lang: String) -> Result<BlogIndex, AppError> {
    let ctx = crate::context::server_context()?;
    let locale = gd_common::Locale::parse(&lang);
    let posts = gd_content::list_published(&ctx.pool, gd_content::PageKind::Blog)
        .await
        .map_err(AppError::internal)?;
    let base = ctx.config.public_url.trim_end_matches('/');
    let (de, en) = (format!("{base}/blog"), format!("{base}/en/blog"));
    let canonical = if locale == gd_common::Locale::En {
        en.clone()
    } else {
        de.clone()
    };
    let posts = posts
        .into_iter()
        .map(|p| PostCard {
            date: p
                .published_at
                .unwrap_or(p.updated_at)
                .format("%d.%m.%Y")
                .to_string(),
            slug: p.slug,
            title: p.title.get(locale).to_owned(),
            summary: p.summary.get(locale).to_owned(),
        })
        .collect();
    Ok(BlogIndex {
        posts,
        canonical,
        de,
        en,
    })
}

/// One published blog post by its slug; 404 for unknown posts and drafts alike. Public.
#[server(prefix = "/api", endpoint = "blog_post")]
pub async fn blog_post(
    #[server(default)] lang: String,
    #[server(default)] slug: String,
) -> Result<PostView, AppError> {
    let ctx = crate::context::server_context()?;
    let locale = gd_common::Locale::parse(&lang);
    let slug = gd_content::parse_slug(&slug).map_err(|_| AppError::NotFound)?;
    let p = gd_content::find_published(&ctx.pool, gd_content::PageKind::Blog, &slug)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    let base = ctx.config.public_url.trim_end_matches('/');
    let de = format!("{base}/blog/{}", p.slug);
    let en = format!("{base}/en/blog/{}", p.slug);
    let canonical = if locale == gd_common::Locale::En {
        en.clone()
    } else {
        de.clone()
    };
    let published = p.published_at.unwrap_or(p.updated_at);
    let title = p.title.get(locale).to_owned();
    let summary = p.summary.get(locale).to_owned();
    let data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": title,
        "description": summary,
        "datePublished": published.to_rfc3339(),
        "dateModified": p.updated_at.to_rfc3339(),
        "inLanguage": locale.as_str(),
        "url": canonical,
        "mainEntityOfPage": canonical,
        "publisher": { "@type": "Organization", "name": "Growthdesk" },
    });
    Ok(PostView {
        body_html: crate::markdown::to_html(p.body.get(locale)),
        date: published.format("%d.%m.%Y").to_string(),
        seo: crate::shop::api::Seo {
            canonical,
            de,
            en,
            image: None,
            json_ld: data.to_string().replace("</", "<\\/"),
        },
        title,
        summary,
    })
}

/// A page in the admins' list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRow {
    pub id: String,
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub published: bool,
    pub updated: String,
}

/// Every page, published or not. Needs `admin`.
#[server(prefix = "/api", endpoint = "admin_pages")]
pub async fn admin_pages() -> Result<Vec<PageRow>, AppError> {
    let (ctx, _) = crate::admin::api::admin().await?;
    let pages = gd_content::list_all(&ctx.pool)
        .await
        .map_err(AppError::internal)?;
    Ok(pages
        .into_iter()
        .map(|p| PageRow {
            id: p.id.to_string(),
            kind: p.kind.as_str().to_owned(),
            slug: p.slug,
            title: p.title.de,
            published: p.published,
            updated: p.updated_at.format("%d.%m.%Y %H:%M").to_string(),
        })
        .collect())
}

/// What the edit form shows (empty for a new page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageForm {
    /// '' for a new page.
    pub id: String,
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

/// One page for the edit form (`id` = `new`: an empty legal page). Needs `admin`.
#[server(prefix = "/api", endpoint = "admin_page")]
pub async fn admin_page(#[server(default)] id: String) -> Result<PageForm, AppError> {
    let (ctx, _) = crate::admin::api::admin().await?;
    if id.trim() == "new" {
        return Ok(PageForm {
            kind: "legal".into(),
            ..Default::default()
        });
    }
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let page = gd_content::find(&ctx.pool, id)
        .await
        .map_err(AppError::internal)?
        .ok_or(AppError::NotFound)?;
    Ok(PageForm {
        id: page.id.to_string(),
        kind: page.kind.as_str().to_owned(),
        slug: page.slug,
        title_de: page.title.de,
        title_en: page.title.en,
        summary_de: page.summary.de,
        summary_en: page.summary.en,
        body_de: page.body.de,
        body_en: page.body.en,
        published: page.published,
    })
}

/// Creates or changes a page (audited). Needs `admin`; 422 with the fields for bad input,
/// 409 when another page of the kind has the address. Answers the page's id.
#[server(prefix = "/api", endpoint = "admin_save_page")]
pub async fn admin_save_page(
    #[server(default)] id: String,
    #[server(default)] kind: String,
    #[server(default)] slug: String,
    #[server(default)] title_de: String,
    #[server(default)] title_en: String,
    #[server(default)] summary_de: String,
    #[server(default)] summary_en: String,
    #[server(default)] body_de: String,
    #[server(default)] body_en: String,
    #[server(default)] published: Option<String>,
) -> Result<String, AppError> {
    let (_, me) = crate::admin::api::admin().await?;
    let id = match id.trim() {
        "" | "new" => None,
        other => Some(uuid::Uuid::parse_str(other).map_err(|_| AppError::NotFound)?),
    };
    let input = gd_content::PageInput {
        id,
        kind,
        slug,
        title_de,
        title_en,
        summary_de,
        summary_en,
        body_de,
        body_en,
        published: published.is_some(),
    };
    let mut tx = crate::context::begin().await?;
    let saved = gd_content::save(&mut tx, me.id, &input)
        .await
        .map_err(|e| match e {
            gd_content::ContentError::Invalid(issues) => AppError::Validation {
                issues,
                echo: Default::default(),
            },
            gd_content::ContentError::NotFound => AppError::NotFound,
            gd_content::ContentError::SlugTaken => {
                AppError::Conflict(crate::error::Conflict::SlugTaken)
            }
            other => AppError::internal(other),
        })?;
    crate::context::commit(tx).await?;
    Ok(saved.to_string())
}
