//! `migrate`: brings the schema of `DATABASE_URL` up to date (as `MIGRATION_DATABASE_URL`
//! when set). Used by `make sqlx-prepare`; the server and the worker migrate on their own.

use std::process::ExitCode;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let outcome = async {
        let config = gd_config::Config::from_env().map_err(|e| e.to_string())?;
        let pool = gd_db::connect(&config.database_url, 2)
            .await
            .map_err(|e| e.to_string())?;
        let owner = config.migration_database_url.as_ref().map(|u| u.expose());
        gd_db::migrate_as_owner(&pool, owner)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("migration failed: {e}");
            ExitCode::FAILURE
        }
    }
}
