//! Our migrations and apalis's share one `_sqlx_migrations` table; neither may trip over the
//! other's rows, in either order, on every restart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn both_migrators_coexist_and_rerun_cleanly(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    // A restart (or a second process) runs them again: nothing to do, no complaint.
    gd_db::migrate(&pool).await.unwrap();

    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        versions.iter().any(|v| *v < 20260000000000),
        "apalis migrations recorded"
    );
    assert!(
        versions.contains(&20261126000001),
        "our leads migration recorded"
    );

    // Both schemas are in place.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables
         WHERE table_name IN ('leads', 'jobs') ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(tables, vec!["apalis.jobs", "public.leads"]);
}

#[sqlx::test(migrations = false)]
async fn concurrent_start_of_server_and_worker_migrates_once(pool: PgPool) {
    let (a, b) = tokio::join!(gd_db::migrate(&pool), gd_db::migrate(&pool));
    a.unwrap();
    b.unwrap();
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE version = 20261126000001")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(n, 1);
}

#[sqlx::test(migrations = false)]
async fn demo_data_is_idempotent(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    gd_db::seed_demo_data(&pool).await.unwrap();
    gd_db::seed_demo_data(&pool).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM leads")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn a_wrong_url_is_a_clear_error() {
    let err = gd_db::connect("not a url", 1).await.unwrap_err();
    assert!(err.to_string().contains("DATABASE_URL"), "{err}");
}
