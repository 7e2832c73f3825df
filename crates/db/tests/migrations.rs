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

/// Runs `sql` as the runtime role on one connection and returns the error code, if any.
async fn as_runtime(conn: &mut sqlx::PgConnection, sql: &str) -> Result<(), String> {
    sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| match e {
            sqlx::Error::Database(db) => format!("{}: {}", db.code().unwrap_or_default(), db),
            other => other.to_string(),
        })
}

#[sqlx::test(migrations = false)]
async fn the_runtime_role_can_only_read_and_append_to_the_audit_log(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET ROLE growthdesk_runtime")
        .execute(&mut *conn)
        .await
        .unwrap();
    // Its everyday work goes through.
    as_runtime(
        &mut conn,
        "INSERT INTO audit_log (action, details) VALUES ('test.event', '{}')",
    )
    .await
    .unwrap();
    as_runtime(&mut conn, "SELECT count(*) FROM audit_log")
        .await
        .unwrap();
    as_runtime(
        &mut conn,
        "INSERT INTO users (id, email) VALUES (gen_random_uuid(), 'rt@example.de')",
    )
    .await
    .unwrap();
    as_runtime(&mut conn, "UPDATE users SET locale = 'en'")
        .await
        .unwrap();
    as_runtime(&mut conn, "DELETE FROM rate_limits")
        .await
        .unwrap();

    // Rewriting history does not.
    for sql in [
        "UPDATE audit_log SET action = 'forged'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete",
        "DROP TRIGGER audit_log_no_update_or_delete ON audit_log",
        "ALTER TABLE audit_log OWNER TO growthdesk_runtime",
        "DELETE FROM _sqlx_migrations",
        "SELECT setval('audit_log_id_seq', 1)",
    ] {
        let error = as_runtime(&mut conn, sql).await.unwrap_err();
        assert!(
            error.starts_with("42501: permission denied")
                || error.starts_with("42501: must be owner"),
            "{sql}: {error}"
        );
    }
    sqlx::query("RESET ROLE").execute(&mut *conn).await.unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(kept, 1);
}
