//! Invoices over HTTP with the real worker: a purchase through the test gateway is invoiced
//! by the worker (PDF rendered and stored), the client downloads the PDF and the XML while
//! strangers get a 404 and anonymous callers a 401, finance downloads too (audited); a refund
//! gets a credit note; finance's list filters and sums; a business buyer's invoice carries
//! the e-invoice; finance's reports count a credit note against the products it refunds;
//! finance's CSV export of a period is audited, and a DATEV batch into the next fiscal year
//! is refused with the day to split at.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{pay_cart, post, TestApp, BILLING};
use gd_accounts::Role;
use serde_json::Value;
use sqlx::PgPool;

async fn invoices_of(client: &reqwest::Client, app: &TestApp, order: &str) -> Vec<Value> {
    let (status, list) = post(client, app, "/api/my_invoices", &[("order", order)]).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

#[sqlx::test(migrations = false)]
async fn a_purchase_is_invoiced_and_its_files_reach_only_those_who_may_have_them(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let client =
        common::client_with_cart(&app, "rechnung@example.de", "instagram-follower", "5k", "2")
            .await;
    let order = pay_cart(&app, &client, BILLING).await;

    // Issued by the worker with the payment, its PDF rendered and stored.
    let invoices = invoices_of(&client, &app, &order).await;
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    let invoice = &invoices[0];
    assert_eq!(invoice["kind"], "invoice");
    assert_eq!(invoice["total"], 11_980);
    assert_eq!(invoice["ready"], true, "rendered by the worker");
    assert_eq!(invoice["e_invoice"], false, "a consumer");
    let number = invoice["number"].as_str().unwrap().to_owned();
    assert!(number.starts_with("RE-"), "{number}");
    let pdf_url = invoice["pdf_url"].as_str().unwrap().to_owned();
    let xml_url = invoice["xml_url"].as_str().unwrap().to_owned();

    let res = client.get(app.url(&pdf_url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"{number}.pdf\"").as_str()
    );
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let stored: String = sqlx::query_scalar("SELECT key FROM invoice_files WHERE kind = 'pdf'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(app.outbox.join("storage").join(&stored)).unwrap(),
        pdf.to_vec(),
        "the worker's file is what the client gets"
    );
    let res = client.get(app.url(&xml_url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/xml");
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(&format!("<ram:ID>{number}</ram:ID>")));

    // Someone else's invoice does not exist for them; nobody's without signing in.
    let stranger = app.signed_in("fremd@example.de", &[]).await;
    assert_eq!(
        stranger
            .get(app.url(&pdf_url))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert!(invoices_of(&stranger, &app, "").await.is_empty());
    let (status, _) = post(&stranger, &app, "/api/my_invoices", &[("order", &order)]).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.client
            .get(app.url(&pdf_url))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let bad = format!(
        "/documents/invoices/{}/exe",
        invoice["id"].as_str().unwrap()
    );
    assert_eq!(
        client.get(app.url(&bad)).send().await.unwrap().status(),
        404
    );

    // Finance gets it, and every download is in the audit log.
    let finance = app
        .signed_in("buchhaltung@example.de", &[Role::Finance])
        .await;
    assert_eq!(
        finance
            .get(app.url(&pdf_url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'invoice.downloaded'")
            .await,
        3
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'invoice.downloaded' AND details->>'as' = 'finance'"
        )
        .await,
        1
    );

    // A refund: the credit note corrects the invoice.
    let (status, err) = post(
        &finance,
        &app,
        "/api/admin_refund_order",
        &[
            ("id", &order),
            ("amount", "19,80"),
            ("reason", "Ein Paket nicht geliefert"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{err}");
    app.run_worker_until_idle().await;
    let invoices = invoices_of(&client, &app, &order).await;
    assert_eq!(invoices.len(), 2, "{invoices:?}");
    let credit = invoices
        .iter()
        .find(|i| i["kind"] == "credit_note")
        .unwrap();
    assert_eq!(credit["corrects"], number.as_str());
    assert_eq!(credit["total"], 1_980);
    assert!(credit["number"].as_str().unwrap().starts_with("RK-"));
    assert_eq!(credit["ready"], true);

    // Finance's list: filtered by the client, summed (invoices less credit notes).
    let (status, list) = post(
        &finance,
        &app,
        "/api/finance_invoices",
        &[("query", "rechnung@example.de")],
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["rows"].as_array().unwrap().len(), 2);
    assert_eq!(list["total"], 10_000);
    assert_eq!(list["lexoffice"], false);
    let (_, only_credit) = post(
        &finance,
        &app,
        "/api/finance_invoices",
        &[("kind", "credit_note")],
    )
    .await;
    assert_eq!(only_credit["rows"].as_array().unwrap().len(), 1);
    let (_, future) = post(
        &finance,
        &app,
        "/api/finance_invoices",
        &[("from", "2999-01-01")],
    )
    .await;
    assert!(future["rows"].as_array().unwrap().is_empty());
    let (status, err) = post(
        &finance,
        &app,
        "/api/finance_invoices",
        &[("from", "01.12.2026")],
    )
    .await;
    assert_eq!(status, 422, "{err}");
    // A client is not finance.
    let (status, _) = post(&client, &app, "/api/finance_invoices", &[]).await;
    assert_eq!(status, 403);
}

#[sqlx::test(migrations = false)]
async fn a_business_buyer_gets_the_e_invoice_inside_the_pdf(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.seed_demo().await;
    let client =
        common::client_with_cart(&app, "firma@example.de", "instagram-follower", "5k", "1").await;
    let mut billing: Vec<(&str, &str)> = BILLING.to_vec();
    billing.push(("company", "Muster & Söhne GmbH"));
    billing.push(("vat_id", "DE123456789"));
    let order = pay_cart(&app, &client, &billing).await;
    let invoices = invoices_of(&client, &app, &order).await;
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    assert_eq!(invoices[0]["e_invoice"], true);
    let pdf = client
        .get(app.url(invoices[0]["pdf_url"].as_str().unwrap()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    // The attachment's name and the Factur-X metadata are in the file.
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("factur-x.xml"));
    assert!(text.contains("<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>"));
}

/// Order `order` invoiced as the worker would; the day it was issued.
async fn invoiced(app: &TestApp, order: uuid::Uuid) -> chrono::NaiveDate {
    let settings = gd_invoices::Settings::from_config(&app.config);
    let mut tx = app.pool.begin().await.unwrap();
    let id = gd_invoices::issue::for_order(&mut tx, order, &settings)
        .await
        .unwrap()
        .id()
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query_scalar("SELECT issued_on FROM invoices WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn finance_exports_a_period_as_csv_and_every_export_is_audited(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // An invoice (66,36 € net, 12,61 € VAT) and a credit note of 10,00 € that corrects it.
    let order = gd_invoices::fixtures::paid_order(&app.pool, &gd_invoices::fixtures::CONSUMER)
        .await
        .unwrap();
    let on = invoiced(&app, order).await;
    let refund = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO payments (id, order_id, kind, gateway, gateway_ref, amount)
         VALUES ($1, $2, 'refund', 'test', 're_1', 1000)",
    )
    .bind(refund)
    .bind(order)
    .execute(&app.pool)
    .await
    .unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    gd_invoices::issue::credit_note(
        &mut tx,
        refund,
        None,
        &gd_invoices::Settings::from_config(&app.config),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let numbers: Vec<String> = sqlx::query_scalar("SELECT number FROM invoices ORDER BY kind")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let (credit_note, invoice) = (&numbers[0], &numbers[1]);

    let finance = app
        .signed_in("buchhaltung@example.de", &[Role::Finance])
        .await;
    let url = app.url(&format!(
        "/documents/finance/invoices.csv?from={on}&to={on}"
    ));
    let res = finance.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        format!("attachment; filename=\"rechnungen_{on}_{on}.csv\"").as_str()
    );
    let csv = res.text().await.unwrap();
    assert!(
        csv.starts_with("\u{feff}Art;Nummer;Korrigiert;Datum;"),
        "{csv}"
    );
    let rows: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        csv.contains(&format!("Rechnung;{invoice};;{on};"))
            && csv.contains(";66,36;12,61;78,97;waiting\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("Rechnungskorrektur;{credit_note};{invoice};{on};"))
            && csv.contains(";-8,40;-1,60;-10,00;waiting\r\n"),
        "{csv}"
    );
    // In the audit log: who, which format, which period, how many documents.
    let audited = format!(
        "SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id
         WHERE a.action = 'finance.exported' AND u.email = 'buchhaltung@example.de'
           AND a.details->>'format' = 'csv' AND a.details->>'from' = '{on}'
           AND a.details->>'to' = '{on}' AND a.details->>'invoices' = '2'"
    );
    assert_eq!(app.count(&audited).await, 1);

    // The reports count the credit note against the products it refunds, in the period and
    // in its month; the page learns the fiscal year's first month for the DATEV export.
    let day = on.to_string();
    let (status, report) = post(
        &finance,
        &app,
        "/api/finance_overview",
        &[("from", &day), ("to", &day)],
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let products = report["products"].as_array().unwrap();
    let names: Vec<&str> = products
        .iter()
        .map(|p| p["product"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Profil-Audit & Strategie", "Instagram Likes"]);
    let net = |v: &Value| v.as_i64().unwrap();
    assert_eq!(
        products.iter().map(|p| net(&p["net"])).sum::<i64>(),
        6636 - 840
    );
    let series = report["product_months"].as_array().unwrap();
    assert_eq!(series.len(), 2, "{series:?}");
    let this_month: i64 = series.iter().map(|s| net(&s["net"][11])).sum();
    assert_eq!(this_month, 6636 - 840);
    assert_eq!(report["fiscal_year_start_month"], 1);

    // A period that says nothing exportable is explained, and nothing is recorded.
    let res = finance
        .get(app.url(&format!("/documents/finance/invoices.csv?from={on}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("?from=YYYY-MM-DD&to=YYYY-MM-DD"));
    // A DATEV batch into the next fiscal year (from 1 January by default) is refused with the
    // day to split at, in the page's language; the CSV of the same period is fine.
    let new_year = chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&on) + 1, 1, 1).unwrap();
    let res = finance
        .get(app.url(&format!(
            "/documents/finance/datev.csv?from={on}&to={new_year}&lang=de"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let message = res.text().await.unwrap();
    assert!(
        message.contains(&format!("ab {}", new_year.format("%d.%m.%Y"))),
        "{message}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'finance.exported'")
            .await,
        1,
        "refusals are not exports"
    );
    let res = finance
        .get(app.url(&format!("/documents/finance/datev.csv?from={on}&to={on}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'finance.exported' AND details->>'format' = 'datev'")
            .await,
        1
    );
}
