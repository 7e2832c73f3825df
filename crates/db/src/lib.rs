//! The PostgreSQL connection pool and the schema: Growthdesk's own migrations (in
//! `migrations/`) and apalis's job-queue migrations, which share sqlx's `_sqlx_migrations`
//! table. Each migrator is told to ignore the other's entries, and their version numbers never
//! overlap (apalis's are from 2022–2025, ours start in 2026).

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;

pub use sqlx;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid DATABASE_URL: {0}")]
    InvalidUrl(sqlx::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
}

/// Opens a pool; waits up to ten seconds for the server to answer.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(DbError::InvalidUrl)?
        .application_name("growthdesk");
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(DbError::Connect)
}

/// Brings the schema up to date: first apalis's tables, then ours. Safe to run from several
/// processes at once (sqlx takes an advisory lock) and again on every start.
pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    let mut jobs = apalis_sql::postgres::PostgresStorage::migrations();
    jobs.set_ignore_missing(true);
    jobs.run(pool).await?;

    let mut app: Migrator = sqlx::migrate!("../../migrations");
    app.set_ignore_missing(true);
    app.run(pool).await?;
    Ok(())
}

/// Brings the schema up to date as the owner: through `owner_url` when one is configured
/// (`MIGRATION_DATABASE_URL`; that connection closes afterwards), else through `pool`.
pub async fn migrate_as_owner(pool: &PgPool, owner_url: Option<&str>) -> Result<(), DbError> {
    match owner_url {
        None => migrate(pool).await,
        Some(url) => {
            let owner = connect(url, 2).await?;
            let outcome = migrate(&owner).await;
            owner.close().await;
            outcome
        }
    }
}

/// Loads the demo data of a local installation; running it again changes nothing.
pub async fn seed_demo_data(pool: &PgPool) -> Result<(), DbError> {
    sqlx::raw_sql(include_str!("../seed/demo.sql"))
        .execute(pool)
        .await?;
    Ok(())
}
