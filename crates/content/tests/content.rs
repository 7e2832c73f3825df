//! Pages against a real PostgreSQL: checked input, unique addresses per kind, publication
//! dates, drafts hidden, and every change audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_common::IssueCode;
use gd_content::{ContentError, PageInput, PageKind};
use sqlx::PgPool;
use uuid::Uuid;

async fn admin(pool: &PgPool) -> Uuid {
    gd_db::migrate(pool).await.unwrap();
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO users (id, email, locale) VALUES ($1, 'admin@example.de', 'de')")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    id
}

fn imprint() -> PageInput {
    PageInput {
        id: None,
        kind: "legal".into(),
        slug: "impressum".into(),
        title_de: "Impressum".into(),
        title_en: "Legal notice".into(),
        body_de: "Growthdesk GmbH\r\nMusterstraße 1".into(),
        body_en: "Growthdesk GmbH".into(),
        published: true,
        ..Default::default()
    }
}

#[sqlx::test(migrations = false)]
async fn a_page_is_saved_published_and_found(pool: PgPool) {
    let me = admin(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let id = gd_content::save(&mut conn, me, &imprint()).await.unwrap();
    let page = gd_content::find_published(&pool, PageKind::Legal, "impressum")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.id, id);
    assert_eq!(page.body.de, "Growthdesk GmbH\nMusterstraße 1");
    let first = page.published_at.unwrap();

    // A change keeps the first publication date; unpublished, it is gone from the site.
    let mut change = imprint();
    change.id = Some(id);
    change.title_de = "Impressum der Agentur".into();
    gd_content::save(&mut conn, me, &change).await.unwrap();
    let page = gd_content::find(&pool, id).await.unwrap().unwrap();
    assert_eq!(page.title.de, "Impressum der Agentur");
    assert_eq!(page.published_at, Some(first));
    change.published = false;
    gd_content::save(&mut conn, me, &change).await.unwrap();
    assert!(
        gd_content::find_published(&pool, PageKind::Legal, "impressum")
            .await
            .unwrap()
            .is_none()
    );
    assert!(gd_content::list_published(&pool, PageKind::Legal)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(gd_content::list_all(&pool).await.unwrap().len(), 1);

    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'page.save' AND actor_id = $1",
    )
    .bind(me)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 3);
}

#[sqlx::test(migrations = false)]
async fn bad_pages_are_refused_with_every_problem(pool: PgPool) {
    let me = admin(&pool).await;
    let mut conn = pool.acquire().await.unwrap();
    let bad = PageInput {
        kind: "poem".into(),
        slug: "Nicht Gut".into(),
        title_de: " ".into(),
        title_en: "x".repeat(161),
        ..Default::default()
    };
    let Err(ContentError::Invalid(issues)) = gd_content::save(&mut conn, me, &bad).await else {
        panic!("expected Invalid");
    };
    let found: Vec<(&str, IssueCode)> = issues.iter().map(|i| (i.field.as_str(), i.code)).collect();
    assert_eq!(
        found,
        vec![
            ("kind", IssueCode::NotOffered),
            ("slug", IssueCode::InvalidSlug),
            ("title_de", IssueCode::Required),
            ("title_en", IssueCode::TooLong),
        ]
    );
    gd_content::save(&mut conn, me, &imprint()).await.unwrap();
    assert!(matches!(
        gd_content::save(&mut conn, me, &imprint()).await,
        Err(ContentError::SlugTaken)
    ));
    // The same address as a blog post is another page.
    let mut post = imprint();
    post.kind = "blog".into();
    gd_content::save(&mut conn, me, &post).await.unwrap();
    let mut ghost = imprint();
    ghost.id = Some(Uuid::now_v7());
    ghost.slug = "gibt-es-nicht".into();
    assert!(matches!(
        gd_content::save(&mut conn, me, &ghost).await,
        Err(ContentError::NotFound)
    ));
}
