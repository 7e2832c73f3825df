//! Invoices over HTTP with the real worker: a purchase through the test gateway is invoiced
//! by the worker (PDF rendered and stored), the client downloads the PDF and the XML while
//! strangers get a 404 and anonymous callers a 401, finance downloads too (audited); a refund
//! gets a credit note; finance's list filters and sums; a business buyer's invoice carries
//! the e-invoice.
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
