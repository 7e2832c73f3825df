//! Credit notes of a subscription's refunds, against a real PostgreSQL: the payments and
//! refunds are recorded as the webhook records them (`gd_orders`, from Stripe-shaped
//! objects), the documents issued as the worker's jobs issue them. A refunded renewal's
//! credit note corrects the renewal's period invoice (issued first when its job has not run
//! yet, also while that job runs at the same moment), a partly refunded first payment the
//! checkout's invoice; duplicated, reordered and concurrent refund events and jobs give one
//! credit note per refund, and the credit notes of an invoice never add up to more than it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_invoices::issue::{self, Issued, Settings};
use gd_invoices::{store, Invoice, Kind};
use gd_orders::fixtures::{self, MONTHLY_PLAN};
use gd_orders::refunds::{self, RefundApplied};
use gd_orders::settle::{self, Claim, Outcome};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// The monthly plan's price.
const AMOUNT: i64 = MONTHLY_PLAN.unit_gross.0;

fn settings() -> Settings {
    let config = gd_config::Config::from_vars(Default::default()).unwrap();
    Settings::from_config(&config)
}

/// A client's monthly plan (499,00 € incl. 19 % VAT), bought through the test gateway.
struct Plan {
    order: Uuid,
    user: Uuid,
    session: String,
    sub: Value,
}

impl Plan {
    /// Invoice `i` of the plan (0: the checkout's), paid, as the gateway answers it.
    fn invoice(&self, i: i64) -> Value {
        let start = 1_801_353_600 + i * 2_592_000;
        json!({
            "id": self.invoice_id(i), "object": "invoice", "status": "paid",
            "customer": "cus_cn",
            "billing_reason": if i == 0 { "subscription_create" } else { "subscription_cycle" },
            "amount_due": AMOUNT, "amount_paid": AMOUNT, "attempt_count": 1,
            "parent": {"type": "subscription_details",
                       "subscription_details": {"subscription": self.sub["id"]}},
            "lines": {"data": [{"period": {"start": start, "end": start + 2_592_000}}]}
        })
    }

    fn invoice_id(&self, i: i64) -> String {
        format!("in_{}_{i}", self.session)
    }

    fn intent(&self, i: i64) -> String {
        format!("pi_{}_{i}", self.session)
    }

    /// A refund of invoice `i`'s payment, as the gateway lists it.
    fn refund(&self, id: &str, i: i64, amount: i64) -> Value {
        json!({"id": id, "object": "refund", "amount": amount, "status": "succeeded",
               "payment_intent": self.intent(i), "charge": format!("ch_{}_{i}", self.session)})
    }
}

/// The client `name` with the monthly plan, its checkout and first invoice paid.
async fn plan(pool: &PgPool, name: &str) -> Plan {
    let email = format!("{name}@example.de");
    let user = fixtures::user(pool, &email).await.unwrap();
    let session = format!("cs_{name}");
    let order = fixtures::order(pool, user, &email, &MONTHLY_PLAN, Some(&session))
        .await
        .unwrap();
    let sub = json!({
        "id": format!("sub_{name}"), "object": "subscription", "status": "active",
        "customer": "cus_cn", "cancel_at_period_end": false,
        "metadata": {"order_id": order.to_string()},
        "items": {"data": [{"id": format!("si_{name}"), "quantity": 1,
            "current_period_start": 1_801_353_600, "current_period_end": 1_803_772_800,
            "price": {"id": "price_cn", "unit_amount": AMOUNT, "recurring": {"interval": "month"}}}]}
    });
    // The checkout is paid: the order and its payment, then the first invoice's event.
    fixtures::subscription_checkout_paid(
        pool,
        order,
        &session,
        &serde_json::from_value(sub.clone()).unwrap(),
    )
    .await
    .unwrap();
    let plan = Plan {
        order,
        user,
        session,
        sub,
    };
    invoice_paid(pool, &plan, 0).await;
    plan
}

/// `invoice.paid` for invoice `i` of `plan`.
async fn invoice_paid(pool: &PgPool, plan: &Plan, i: i64) {
    let mut tx = pool.begin().await.unwrap();
    fixtures::apply_subscription_invoice(
        &mut tx,
        &serde_json::from_value(plan.sub.clone()).unwrap(),
        &serde_json::from_value(plan.invoice(i)).unwrap(),
        "evt_invoice",
    )
    .await
    .unwrap()
    .expect("the plan's order is found");
    tx.commit().await.unwrap();
}

/// `charge.refunded` event `event` for the charge that paid gateway invoice `invoice` of
/// order `order`, with the charge's refunds as the gateway lists them, applied as the webhook
/// applies it (once per event id).
async fn charge_refunded(pool: &PgPool, order: Uuid, event: &str, invoice: &str, listed: &[Value]) {
    let payload = json!({ "id": event });
    let received = fixtures::test_event(event, "charge.refunded", &payload);
    let mut tx = pool.begin().await.unwrap();
    if settle::claim_event(&mut tx, &received).await.unwrap() == Claim::New {
        for refund in listed {
            let applied = refunds::apply_refund(
                &mut tx,
                "test",
                &serde_json::from_value(refund.clone()).unwrap(),
                Some(invoice),
                None,
                None,
                event,
            )
            .await
            .unwrap();
            assert!(applied.order().is_some(), "{applied:?}");
        }
        settle::finish_event(&mut tx, event, Outcome::Handled, Some(order))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The refund row of gateway refund `id`.
async fn refund_row(pool: &PgPool, id: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM payments WHERE kind = 'refund' AND gateway_ref = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Runs every queued credit note job twice, all at once, as retried and duplicated workers
/// would.
async fn run_credit_note_jobs(pool: &PgPool) {
    let jobs: Vec<Uuid> = sqlx::query_scalar(
        "SELECT (job->>'payment_id')::uuid FROM apalis.jobs
         WHERE job_type = 'growthdesk::issue_credit_note'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut set = tokio::task::JoinSet::new();
    for payment in jobs.iter().chain(jobs.iter()).copied() {
        let pool = pool.clone();
        set.spawn(async move {
            let mut tx = pool.begin().await.unwrap();
            issue::credit_note(&mut tx, payment, None, &settings())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
}

async fn load(pool: &PgPool, id: Uuid) -> Invoice {
    let mut conn = pool.acquire().await.unwrap();
    store::load(&mut conn, id).await.unwrap().unwrap()
}

async fn invoice_of(pool: &PgPool, source: &str) -> Option<Uuid> {
    sqlx::query_scalar("SELECT id FROM invoices WHERE source = $1")
        .bind(source)
        .fetch_optional(pool)
        .await
        .unwrap()
}

async fn period_of(pool: &PgPool, plan: &Plan, i: i64) -> Uuid {
    sqlx::query_scalar("SELECT id FROM subscription_periods WHERE invoice_ref = $1")
        .bind(plan.invoice_id(i))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn a_refunded_renewal_is_corrected_on_its_period_invoice(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    gd_db::seed_demo_data(&pool).await.unwrap();
    let plan = plan(&pool, "renewal").await;
    let mut tx = pool.begin().await.unwrap();
    let first = issue::for_order(&mut tx, plan.order, &settings())
        .await
        .unwrap()
        .id()
        .unwrap();
    tx.commit().await.unwrap();
    // The renewal is paid and refunded in Stripe's dashboard before its invoice job ran.
    invoice_paid(&pool, &plan, 1).await;
    let period = period_of(&pool, &plan, 1).await;
    charge_refunded(
        &pool,
        plan.order,
        "evt_refund",
        &plan.invoice_id(1),
        &[plan.refund("re_renewal", 1, AMOUNT)],
    )
    .await;
    assert_eq!(invoice_of(&pool, &format!("period:{period}")).await, None);
    // The credit note job and the renewal's invoice job at the same moment: one invoice,
    // and the credit note corrects it.
    let refund = refund_row(&pool, "re_renewal").await;
    let (note, invoice) = tokio::join!(
        async {
            let mut tx = pool.begin().await.unwrap();
            let issued = issue::credit_note(&mut tx, refund, Some("Kulanz"), &settings())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            issued
        },
        async {
            let mut tx = pool.begin().await.unwrap();
            let issued = issue::for_period(&mut tx, period, &settings())
                .await
                .unwrap();
            tx.commit().await.unwrap();
            issued
        }
    );
    let renewal = invoice_of(&pool, &format!("period:{period}"))
        .await
        .unwrap();
    assert_eq!(invoice.id(), Some(renewal));
    let note = load(&pool, note.id().unwrap()).await;
    let renewal = load(&pool, renewal).await;
    assert_eq!(note.kind, Kind::CreditNote);
    assert!(note.number.starts_with("RK-"), "{}", note.number);
    let corrected = note.corrects.as_ref().unwrap();
    assert_eq!(
        corrected.id, renewal.id,
        "the renewal's invoice, not the first"
    );
    assert_ne!(corrected.id, first);
    assert_eq!(corrected.number, renewal.number);
    // All of it back: exactly the renewal invoice's amounts, for its period.
    assert_eq!(
        (note.net, note.vat, note.total),
        (renewal.net, renewal.vat, renewal.total)
    );
    assert_eq!(note.total, AMOUNT);
    assert_eq!(
        (note.supplied_from, note.supplied_to),
        (renewal.supplied_from, renewal.supplied_to)
    );
    assert!(
        note.lines[0].name.contains(&renewal.number),
        "{:?}",
        note.lines
    );
    assert_eq!(note.note, "Kulanz");
    // The client's list shows it, with the invoice it corrects.
    let mut conn = pool.acquire().await.unwrap();
    let (mine, _) = store::list(
        &mut conn,
        &store::Filter {
            user: Some(plan.user),
            ..Default::default()
        },
        100,
    )
    .await
    .unwrap();
    let listed = mine.iter().find(|i| i.id == note.id).unwrap();
    assert_eq!(listed.kind, "credit_note");
    assert_eq!(
        listed.corrects_number.as_deref(),
        Some(renewal.number.as_str())
    );
    assert_eq!(mine.len(), 3, "first invoice, renewal invoice, credit note");
}

#[sqlx::test(migrations = false)]
async fn a_partial_refund_of_the_first_payment_corrects_the_checkout_invoice(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    gd_db::seed_demo_data(&pool).await.unwrap();
    let plan = plan(&pool, "first").await;
    invoice_paid(&pool, &plan, 1).await;
    let mut tx = pool.begin().await.unwrap();
    let renewal = issue::for_period(&mut tx, period_of(&pool, &plan, 1).await, &settings())
        .await
        .unwrap()
        .id()
        .unwrap();
    tx.commit().await.unwrap();
    // 100,00 € of the first month back; the checkout's invoice is not issued yet.
    charge_refunded(
        &pool,
        plan.order,
        "evt_part",
        &plan.invoice_id(0),
        &[plan.refund("re_part", 0, 10_000)],
    )
    .await;
    run_credit_note_jobs(&pool).await;
    let notes: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM invoices WHERE kind = 'credit_note'")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    let note = load(&pool, notes[0]).await;
    let first = invoice_of(&pool, &format!("order:{}", plan.order))
        .await
        .unwrap();
    assert_eq!(note.corrects.as_ref().map(|c| c.id), Some(first));
    assert_ne!(note.corrects.as_ref().map(|c| c.id), Some(renewal));
    // 100,00 € gross at 19 %: 84,03 € net, 15,97 € VAT.
    assert_eq!((note.net, note.vat, note.total), (8_403, 1_597, 10_000));
    assert_eq!(note.rates.len(), 1);
    assert_eq!(note.rates[0].rate_bp, 1900);
}

#[sqlx::test(migrations = false)]
async fn duplicated_and_reordered_refunds_give_one_credit_note_each_never_more_than_the_invoice(
    pool: PgPool,
) {
    gd_db::migrate(&pool).await.unwrap();
    gd_db::seed_demo_data(&pool).await.unwrap();
    let plan = plan(&pool, "many").await;
    invoice_paid(&pool, &plan, 1).await;
    // Three refunds of the renewal (120 + 200 + 179 = 499 €), each with its event listing
    // the charge's refunds so far; and a fourth refund of 50 € that the gateway (which
    // charged more than we invoiced) reports beyond the invoice.
    let r = [
        plan.refund("re_1", 1, 12_000),
        plan.refund("re_2", 1, 20_000),
        plan.refund("re_3", 1, 17_900),
        plan.refund("re_4", 1, 5_000),
    ];
    let events = [
        ("evt_1", r[..1].to_vec()),
        ("evt_2", r[..2].to_vec()),
        ("evt_3", r[..3].to_vec()),
        ("evt_4", r.to_vec()),
    ];
    // Reordered, duplicated, concurrent (each delivery on its own task, as requests are).
    for round in [vec![2, 0, 2], vec![1, 0, 1, 2], vec![3, 3, 0]] {
        let mut set = tokio::task::JoinSet::new();
        for k in round {
            let (id, listed) = events[k].clone();
            let (pool, order, invoice) = (pool.clone(), plan.order, plan.invoice_id(1));
            set.spawn(async move { charge_refunded(&pool, order, id, &invoice, &listed).await });
        }
        while let Some(done) = set.join_next().await {
            done.unwrap();
        }
    }
    assert_eq!(
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM payments WHERE kind = 'refund' AND order_id = $1"
        )
        .bind(plan.order)
        .fetch_one(&pool)
        .await
        .unwrap(),
        4,
        "one refund row per gateway refund"
    );
    run_credit_note_jobs(&pool).await;
    run_credit_note_jobs(&pool).await;
    let renewal = invoice_of(
        &pool,
        &format!("period:{}", period_of(&pool, &plan, 1).await),
    )
    .await
    .unwrap();
    let renewal = load(&pool, renewal).await;
    let notes: Vec<(String, Uuid, i64, i64, i64)> = sqlx::query_as(
        "SELECT p.gateway_ref, i.corrects, i.net, i.vat, i.total FROM invoices i
         JOIN payments p ON p.id = i.payment_id
         WHERE i.kind = 'credit_note' ORDER BY p.gateway_ref",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    // At most one per refund, all correcting the renewal's invoice and adding up to it to
    // the cent: whichever job came last found less (or nothing) left to correct.
    let mut refunded: Vec<&str> = notes.iter().map(|n| n.0.as_str()).collect();
    refunded.dedup();
    assert_eq!(refunded.len(), notes.len(), "{notes:?}");
    assert!(notes.len() >= 3, "{notes:?}");
    assert!(notes.iter().all(|n| n.1 == renewal.id));
    let sum = |f: fn(&(String, Uuid, i64, i64, i64)) -> i64| notes.iter().map(f).sum::<i64>();
    assert_eq!(sum(|n| n.4), renewal.total);
    assert_eq!(sum(|n| n.2), renewal.net);
    assert_eq!(sum(|n| n.3), renewal.vat);
    let mut tx = pool.begin().await.unwrap();
    for id in ["re_1", "re_2", "re_3", "re_4"] {
        let refund = refund_row(&pool, id).await;
        let again = issue::credit_note(&mut tx, refund, None, &settings())
            .await
            .unwrap();
        if refunded.contains(&id) {
            assert!(matches!(again, Issued::Existing(_)), "{id}: {again:?}");
        } else {
            assert_eq!(again, Issued::Nothing, "{id}: nothing left to correct");
        }
    }
    // A refund of a payment the gateway refunds again (the same refund id): recorded before.
    let again = refunds::apply_refund(
        &mut tx,
        "test",
        &serde_json::from_value(r[0].clone()).unwrap(),
        Some(&plan.invoice_id(1)),
        None,
        None,
        "evt_again",
    )
    .await
    .unwrap();
    assert_eq!(again, RefundApplied::Known(plan.order));
}

#[sqlx::test(migrations = false)]
async fn a_capped_credit_note_takes_what_is_left_of_the_invoice(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    gd_db::seed_demo_data(&pool).await.unwrap();
    let plan = plan(&pool, "capped").await;
    // 300 € and then 300 € of a 499 € first payment (the gateway's charge was larger):
    // 300 € and the 199 € left.
    charge_refunded(
        &pool,
        plan.order,
        "evt_a",
        &plan.invoice_id(0),
        &[
            plan.refund("re_a", 0, 30_000),
            plan.refund("re_b", 0, 30_000),
        ],
    )
    .await;
    run_credit_note_jobs(&pool).await;
    let totals: Vec<i64> = sqlx::query_scalar(
        "SELECT i.total FROM invoices i JOIN payments p ON p.id = i.payment_id
         WHERE i.kind = 'credit_note' ORDER BY i.total DESC",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(totals, vec![30_000, 19_900]);
}
