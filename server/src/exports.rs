//! The accountant's exports, for finance (and admins, with two-factor sign-in):
//!
//! - `GET /documents/finance/invoices.csv?from=YYYY-MM-DD&to=YYYY-MM-DD`: the invoices and
//!   credit notes issued in the period as a table (UTF-8, semicolons, decimal commas).
//! - `GET /documents/finance/datev.csv?from=…&to=…`: the same as a DATEV Buchungsstapel.
//!
//! A period is at most a year and needs both ends; a bad one is a 400 that says what to fix.
//! A DATEV batch the accountant could not import as it is (a period running into the next
//! fiscal year, a VAT rate without a revenue account) is a 422 that says where to split or
//! which invoice it is. Messages are English, German with `&lang=de` (as the page asks).
//! Every export is in the audit log before it is given out.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use gd_accounts::AuditEvent;
use gd_common::Role;
use gd_web::Session;
use serde::Deserialize;

use crate::media::signed_in_with;
use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/documents/finance/{file}", get(export))
}

#[derive(Debug, Default, Deserialize)]
struct Period {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// `de` for German messages.
    #[serde(default)]
    lang: String,
}

/// The longest period one export covers.
const MAX_DAYS: i64 = 366;

/// The period asked for, or what is wrong with it (German when `de`).
fn period(p: &Period, de: bool) -> Result<(NaiveDate, NaiveDate), &'static str> {
    let day = |v: &str| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
    let (Some(from), Some(to)) = (day(&p.from), day(&p.to)) else {
        return Err(if de {
            "Bitte den Zeitraum als ?from=JJJJ-MM-TT&to=JJJJ-MM-TT angeben."
        } else {
            "Please give the period as ?from=YYYY-MM-DD&to=YYYY-MM-DD."
        });
    };
    if to < from {
        return Err(if de {
            "Der Zeitraum endet, bevor er beginnt."
        } else {
            "The period ends before it starts."
        });
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(if de {
            "Bitte einen Zeitraum von höchstens einem Jahr."
        } else {
            "A period of at most one year, please."
        });
    }
    Ok((from, to))
}

/// Why a DATEV batch is refused, as the person exporting reads it; `None` for a failure of
/// ours.
fn refusal(e: &gd_invoices::InvoiceError, de: bool) -> Option<String> {
    use gd_invoices::InvoiceError;
    let date = |d: NaiveDate| {
        if de {
            d.format("%d.%m.%Y").to_string()
        } else {
            d.to_string()
        }
    };
    match e {
        InvoiceError::CrossesFiscalYear { boundary } => {
            let last = boundary.pred_opt().unwrap_or(*boundary);
            Some(if de {
                format!(
                    "Der Zeitraum reicht in das Geschäftsjahr, das am {} beginnt. Ein \
                     DATEV-Buchungsstapel umfasst ein Geschäftsjahr: bitte bis {} und ab {} \
                     getrennt exportieren.",
                    date(*boundary),
                    date(last),
                    date(*boundary)
                )
            } else {
                format!(
                    "The period runs into the fiscal year beginning {}. A DATEV batch holds \
                     one fiscal year: please export up to {} and from {} separately.",
                    date(*boundary),
                    date(last),
                    date(*boundary)
                )
            })
        }
        InvoiceError::NoRevenueAccount { number, rate_bp } => {
            let rate = gd_invoices::percent(*rate_bp, de);
            Some(if de {
                format!(
                    "{number} enthält Umsatz zu {rate} USt, für den es kein Erlöskonto gibt \
                     (nur 19 % und 7 %). Bitte mit der Buchhaltung klären; die CSV-Tabelle \
                     enthält alle Belege."
                )
            } else {
                format!(
                    "{number} has revenue at {rate} VAT, which has no revenue account (only \
                     19 % and 7 % do). Please ask the accountant; the CSV table holds every \
                     document."
                )
            })
        }
        _ => None,
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, HeaderValue::from_static("30"))],
        "The export cannot be made just now. Please try again in a moment.",
    )
        .into_response()
}

async fn export(
    State(state): State<AppState>,
    session: Option<axum::Extension<Session>>,
    Path(file): Path<String>,
    query: Result<Query<Period>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let user = match signed_in_with(&state, session, &[Role::Finance, Role::Admin]).await {
        Ok(user) => user,
        Err(refused) => return refused,
    };
    let format = match file.as_str() {
        "invoices.csv" => "csv",
        "datev.csv" => "datev",
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let de = query.lang == "de";
    let (from, to) = match period(&query, de) {
        Ok(p) => p,
        Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
    };
    let rows = async {
        let mut conn = state.pool.acquire().await?;
        gd_invoices::export::rows(&mut conn, from, to).await
    };
    let rows = match rows.await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %e, "export: cannot read the invoices");
            return unavailable();
        }
    };
    let bytes = match format {
        "datev" => {
            gd_invoices::export::datev(&rows, &state.config.datev, from, to, chrono::Utc::now())
        }
        _ => gd_invoices::export::csv(&rows),
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(e) => {
            if let Some(message) = refusal(&e, de) {
                return (StatusCode::UNPROCESSABLE_ENTITY, message).into_response();
            }
            tracing::error!(error = %e, "export: cannot write the file");
            return unavailable();
        }
    };
    let audited = async {
        let mut conn = state.pool.acquire().await?;
        gd_accounts::record(
            &mut conn,
            &AuditEvent::new("finance.exported")
                .actor(Some(user.id))
                .details(serde_json::json!({
                    "format": format, "from": from, "to": to, "invoices": rows.len(),
                })),
        )
        .await
    };
    if let Err(e) = audited.await {
        // An export that cannot be recorded is not given out.
        tracing::error!(error = %e, "export: cannot record it");
        return unavailable();
    }
    let (content_type, name) = match format {
        // DATEV reads Windows-1252; the name is what its import expects to start with.
        "datev" => (
            "text/csv; charset=windows-1252",
            format!(
                "EXTF_Buchungsstapel_{}_{}.csv",
                from.format("%Y%m%d"),
                to.format("%Y%m%d")
            ),
        ),
        _ => (
            "text/csv; charset=utf-8",
            format!("rechnungen_{from}_{to}.csv"),
        ),
    };
    let mut res = (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        bytes,
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(from: &str, to: &str) -> Period {
        Period {
            from: from.into(),
            to: to.into(),
            lang: String::new(),
        }
    }

    #[test]
    fn a_period_needs_both_ends_in_order_and_at_most_a_year() {
        assert!(period(&p("2026-12-01", "2026-12-31"), false).is_ok());
        assert!(period(&p("", "2026-12-31"), false).is_err());
        assert!(period(&p("2026-12-31", "2026-12-01"), false).is_err());
        assert!(period(&p("2025-01-01", "2026-12-31"), false).is_err());
        assert!(period(&p("1.12.2026", "2026-12-31"), false).is_err());
        assert_eq!(
            period(&p("2026-12-31", "2026-12-01"), true),
            Err("Der Zeitraum endet, bevor er beginnt.")
        );
    }

    #[test]
    fn a_refused_batch_names_where_to_split_in_the_readers_language() {
        let boundary = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        let e = gd_invoices::InvoiceError::CrossesFiscalYear { boundary };
        let de = refusal(&e, true).unwrap();
        assert!(de.contains("bis 31.12.2026 und ab 01.01.2027"), "{de}");
        let en = refusal(&e, false).unwrap();
        assert!(en.contains("up to 2026-12-31 and from 2027-01-01"), "{en}");
        let e = gd_invoices::InvoiceError::NoRevenueAccount {
            number: "RE-2026-00007".into(),
            rate_bp: 550,
        };
        assert!(refusal(&e, true)
            .unwrap()
            .contains("RE-2026-00007 enthält Umsatz zu 5,5 % USt"));
        assert!(refusal(&gd_invoices::InvoiceError::NotFound, false).is_none());
    }
}
