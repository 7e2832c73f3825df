//! Gapless invoice numbers: one counter row per series ("RE-2026"), locked by the
//! transaction that finalizes the invoice. A second finalization of the same series waits for
//! the first to commit or roll back; a rollback gives the number back, so no number is ever
//! skipped or used twice (a PostgreSQL sequence would skip on every rollback).

use sqlx::PgConnection;

use crate::document::Kind;
use crate::InvoiceError;

/// The series of `kind` in `year`: "RE-2026", "RK-2026".
pub fn series(kind: Kind, year: i32) -> String {
    format!("{}-{year:04}", kind.prefix())
}

/// How a number is printed: "RE-2026-00042" (at least five digits).
pub fn format(series: &str, seq: i64) -> String {
    format!("{series}-{seq:05}")
}

/// Takes the next number of `series` on the caller's transaction (the row stays locked
/// until it ends).
pub async fn take(conn: &mut PgConnection, series: &str) -> Result<i64, InvoiceError> {
    sqlx::query!(
        "INSERT INTO invoice_series (series) VALUES ($1) ON CONFLICT (series) DO NOTHING",
        series
    )
    .execute(&mut *conn)
    .await?;
    let seq = sqlx::query_scalar!(
        "UPDATE invoice_series SET next_number = next_number + 1 WHERE series = $1
         RETURNING next_number - 1 AS \"seq!\"",
        series
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_by_series_and_year() {
        assert_eq!(series(Kind::Invoice, 2026), "RE-2026");
        assert_eq!(series(Kind::CreditNote, 2027), "RK-2027");
        assert_eq!(format("RE-2026", 42), "RE-2026-00042");
        assert_eq!(format("RE-2026", 123_456), "RE-2026-123456");
    }
}
