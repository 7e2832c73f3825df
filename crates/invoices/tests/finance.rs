//! Finance's figures and the accountant's DATEV batch against a real PostgreSQL: a partial
//! refund counts against the products it refunds (not as a product named after the credit
//! note), to the cent; a line at 7 % is booked to the reduced-rate revenue account (and so is
//! its share of a refund); a period running into the next fiscal year is refused, naming the
//! day to split at.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use gd_invoices::fixtures::{self, Item, CONSUMER};
use gd_invoices::issue::{self, Settings};
use gd_invoices::{export, finance, InvoiceError};
use sqlx::PgPool;
use uuid::Uuid;

fn config(vars: &[(&str, &str)]) -> gd_config::Config {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    gd_config::Config::from_vars(vars).unwrap()
}

/// Order `order` invoiced; the invoice's id and the day it was issued.
async fn invoiced(pool: &PgPool, order: Uuid) -> (Uuid, NaiveDate) {
    let settings = Settings::from_config(&config(&[]));
    let mut tx = pool.begin().await.unwrap();
    let id = issue::for_order(&mut tx, order, &settings)
        .await
        .unwrap()
        .id()
        .unwrap();
    tx.commit().await.unwrap();
    let on: NaiveDate = sqlx::query_scalar("SELECT issued_on FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap();
    (id, on)
}

/// A refund of `gross` cents of order `order`, with its credit note.
async fn refunded(pool: &PgPool, order: Uuid, gross: i64) -> Uuid {
    let payment = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO payments (id, order_id, kind, gateway, gateway_ref, amount)
         VALUES ($1, $2, 'refund', 'test', $3, $4)",
    )
    .bind(payment)
    .bind(order)
    .bind(format!("re_{payment}"))
    .bind(gross)
    .execute(pool)
    .await
    .unwrap();
    let settings = Settings::from_config(&config(&[]));
    let mut tx = pool.begin().await.unwrap();
    let id = issue::credit_note(
        &mut tx,
        payment,
        Some("Teilweise nicht geliefert"),
        &settings,
    )
    .await
    .unwrap()
    .id()
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[sqlx::test(migrations = false)]
async fn a_partial_refund_counts_against_the_products_it_refunds(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    // 3 × 9,99 € likes (25,18 € net) and a 49,00 € audit (41,18 € net), 19 % included.
    let order = fixtures::paid_order(&pool, &CONSUMER).await.unwrap();
    let (_, on) = invoiced(&pool, order).await;
    // Another client's order, not refunded: its products stay whole.
    let other = fixtures::paid_order(&pool, &CONSUMER).await.unwrap();
    invoiced(&pool, other).await;
    // 10,00 € back of the first: 8,40 € net.
    let note = refunded(&pool, order, 1000).await;
    let note_net: i64 = sqlx::query_scalar("SELECT net FROM invoices WHERE id = $1")
        .bind(note)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(note_net, 840);

    let mut conn = pool.acquire().await.unwrap();
    let products = finance::revenue_by_product(&mut conn, on, on)
        .await
        .unwrap();
    // 8,40 € in proportion to 25,18 € and 41,18 €: 3,18 € and 5,21 €, the cent left over to
    // the larger line (5,22 €).
    assert_eq!(
        products,
        vec![
            finance::ProductRevenue {
                product: "Profil-Audit & Strategie".into(),
                net: 2 * 4118 - 522,
                quantity: 2,
            },
            finance::ProductRevenue {
                product: "Instagram Likes".into(),
                net: 2 * 2518 - 318,
                quantity: 6,
            },
        ],
        "the credit note is no product of its own"
    );
    // The products add up to the books: invoices less the credit note.
    let sum: i64 = products.iter().map(|p| p.net).sum();
    assert_eq!(sum, 2 * (2518 + 4118) - 840);

    // By month: the same figures in the month of the documents, the others' series absent
    // when every product has its own.
    let series = finance::revenue_by_product_and_month(&mut conn, on, 12, 5)
        .await
        .unwrap();
    assert_eq!(series.len(), 2, "{series:?}");
    assert_eq!(
        series[0].product.as_deref(),
        Some("Profil-Audit & Strategie")
    );
    assert_eq!(series[0].net.len(), 12);
    assert_eq!(series[0].net[11], 2 * 4118 - 522);
    assert_eq!(series[1].net[11], 2 * 2518 - 318);
    assert!(series.iter().all(|s| s.net[..11].iter().all(|&n| n == 0)));
    // With room for one product, the other is among the others.
    let series = finance::revenue_by_product_and_month(&mut conn, on, 12, 1)
        .await
        .unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!(series[1].product, None);
    assert_eq!(series[1].net[11], 2 * 2518 - 318);
}

#[sqlx::test(migrations = false)]
async fn a_line_at_7_percent_is_booked_to_the_reduced_rate_account(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let items = [
        Item {
            slug: "reels-paket",
            name: "Reels-Paket",
            description: "5 Reels",
            target: "",
            quantity: 1,
            gross: 11900,
            vat_rate_bp: 1900,
        },
        Item {
            slug: "instagram-fachbuch",
            name: "Fachbuch Instagram-Marketing",
            description: "gedruckt",
            target: "",
            quantity: 1,
            gross: 1070,
            vat_rate_bp: 700,
        },
    ];
    let order = fixtures::paid_order_of(&pool, &CONSUMER, &items)
        .await
        .unwrap();
    let (_, on) = invoiced(&pool, order).await;
    // 10,00 € back: split over the two rates.
    refunded(&pool, order, 1000).await;

    let datev = config(&[("DATEV_REVENUE_ACCOUNT_REDUCED", "8310")]).datev;
    assert_eq!(
        (datev.revenue_standard, datev.revenue_reduced),
        (8400, 8310)
    );
    let mut conn = pool.acquire().await.unwrap();
    let rows = export::rows(&mut conn, on, on).await.unwrap();
    assert_eq!(rows.len(), 2);
    let bytes = export::datev(&rows, &datev, on, on, DateTime::<Utc>::UNIX_EPOCH).unwrap();
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    let bookings: Vec<&str> = text
        .split("\r\n")
        .skip(2)
        .filter(|l| !l.is_empty())
        .collect();
    let booked = |amount: &str, side: &str, account: u32| {
        let start = format!("{amount};\"{side}\";\"EUR\";;;;10000;{account};");
        bookings.iter().filter(|l| l.starts_with(&start)).count()
    };
    assert_eq!(booked("119,00", "S", 8400), 1, "{text}");
    assert_eq!(booked("10,70", "S", 8310), 1, "{text}");
    // The credit note: each rate's share against its own account, together the 10,00 €.
    let credits: Vec<(i64, &str)> = bookings
        .iter()
        .filter(|l| l.contains(";\"H\";"))
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            (f[0].replace(',', "").parse::<i64>().unwrap(), f[7])
        })
        .collect();
    assert_eq!(credits.len(), 2, "{text}");
    assert_eq!(credits.iter().map(|c| c.0).sum::<i64>(), 1000);
    let mut accounts: Vec<&str> = credits.iter().map(|c| c.1).collect();
    accounts.sort();
    assert_eq!(accounts, ["8310", "8400"]);
    assert_eq!(bookings.len(), 4, "{text}");
}

#[sqlx::test(migrations = false)]
async fn a_datev_period_into_the_next_fiscal_year_is_refused(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let order = fixtures::paid_order(&pool, &CONSUMER).await.unwrap();
    let (_, on) = invoiced(&pool, order).await;
    let mut conn = pool.acquire().await.unwrap();

    // A fiscal year from the calendar: the period from the invoice's day to the next 1 January.
    let datev = config(&[]).datev;
    let new_year = NaiveDate::from_ymd_opt(on.year() + 1, 1, 1).unwrap();
    let rows = export::rows(&mut conn, on, new_year).await.unwrap();
    assert_eq!(rows.len(), 1);
    let refused = export::datev(&rows, &datev, on, new_year, Utc::now());
    assert!(
        matches!(refused, Err(InvoiceError::CrossesFiscalYear { boundary }) if boundary == new_year),
        "{refused:?}"
    );
    // Up to the day before, it is one batch.
    let eve = new_year.pred_opt().unwrap();
    assert!(export::datev(&rows, &datev, on, eve, Utc::now()).is_ok());

    // A fiscal year from the month after the invoice's: it ends before then.
    let next_month = on
        .with_day(1)
        .unwrap()
        .checked_add_months(Months::new(1))
        .unwrap();
    let start = next_month.month().to_string();
    let datev = config(&[("DATEV_FISCAL_YEAR_START_MONTH", &start)]).datev;
    let rows = export::rows(&mut conn, on, next_month).await.unwrap();
    let refused = export::datev(&rows, &datev, on, next_month, Utc::now());
    assert!(
        matches!(refused, Err(InvoiceError::CrossesFiscalYear { boundary }) if boundary == next_month),
        "{refused:?}"
    );
    // From there, the new fiscal year's batch names it in its header.
    let bytes = export::datev(&[], &datev, next_month, next_month, Utc::now()).unwrap();
    let header = String::from_utf8_lossy(&bytes);
    assert!(
        header.contains(&format!(";1001;1;{};4;", next_month.format("%Y%m%d"))),
        "{header}"
    );
}
