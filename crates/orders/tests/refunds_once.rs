//! Exactly once for refunds, as a property: a subscription's payments (the checkout's first
//! payment and two renewals) are refunded in generated parts, and the gateway's
//! `charge.refunded` events, with the renewals' `invoice.paid`, are delivered duplicated,
//! reordered and concurrently against a real PostgreSQL, each read back as the webhook does
//! (the charge's refunds as they were when the event was sent, or as they are later; the
//! invoice the refunded payment paid, applied first). Whatever the sequence: one refund row
//! per gateway refund, naming the payment it sends back (the checkout's for the first
//! invoice, the renewal's own otherwise), never more refunded than a payment brought, and
//! one credit note job per refund.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_orders::fixtures::{self, MONTHLY_PLAN};
use gd_orders::refunds;
use gd_orders::settle::{self, Claim, Outcome};
use gd_payments::{Invoice, InvoiceStatus, Refund, Subscription};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use sqlx::PgPool;
use uuid::Uuid;

/// The monthly plan's price.
const AMOUNT: i64 = MONTHLY_PLAN.unit_gross.0;
/// The first invoice (the checkout's) and two renewals.
const INVOICES: usize = 3;

/// One refund at the gateway: of invoice `invoice`'s payment, `amount` cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Refunded {
    invoice: usize,
    amount: i64,
}

/// What reaches the webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    /// `invoice.paid` of renewal `n` (1 or 2).
    RenewalPaid(usize),
    /// `charge.refunded` sent with refund `n`, read back `late` (all refunds of the charge
    /// by the end) or as the charge stood then.
    Refund { n: usize, late: bool },
}

/// Refunds in the order the gateway made them; none takes more than its payment has left
/// (the gateway refuses that).
fn refunds() -> impl Strategy<Value = Vec<Refunded>> {
    prop::collection::vec((0..INVOICES, 1..=AMOUNT), 1..6).prop_map(|wanted| {
        let mut left = [AMOUNT; INVOICES];
        wanted
            .into_iter()
            .filter_map(|(invoice, amount)| {
                let amount = amount.min(left[invoice]);
                left[invoice] -= amount;
                (amount > 0).then_some(Refunded { invoice, amount })
            })
            .collect()
    })
}

fn case() -> impl Strategy<Value = (Vec<Refunded>, Vec<Vec<Delivery>>)> {
    refunds()
        .prop_filter("at least one refund", |r| !r.is_empty())
        .prop_flat_map(|refunds| {
            let n = refunds.len();
            let delivery = prop_oneof![
                (1..INVOICES).prop_map(Delivery::RenewalPaid),
                (0..n, any::<bool>()).prop_map(|(n, late)| Delivery::Refund { n, late }),
            ];
            let rounds = prop::collection::vec(prop::collection::vec(delivery, 1..6), 1..5);
            (Just(refunds), rounds).prop_map(move |(refunds, mut rounds)| {
                // The gateway retries until every event is taken: each arrives once more.
                let mut last: Vec<Delivery> = (1..INVOICES).map(Delivery::RenewalPaid).collect();
                last.extend((0..n).map(|n| Delivery::Refund { n, late: true }));
                rounds.push(last);
                (refunds, rounds)
            })
        })
}

/// Invoice `i` of subscription `sub` (0: the checkout's), paid.
fn invoice(sub: &str, i: usize) -> Invoice {
    let start = 1_801_353_600 + i64::try_from(i).unwrap() * 2_592_000;
    Invoice {
        id: format!("in_{sub}_{i}"),
        status: InvoiceStatus::Paid,
        customer: Some("cus_refund".into()),
        subscription: Some(sub.to_owned()),
        billing_reason: Some(
            if i == 0 {
                "subscription_create"
            } else {
                "subscription_cycle"
            }
            .into(),
        ),
        amount_due: AMOUNT,
        amount_paid: AMOUNT,
        attempt_count: 1,
        period_start: Some(start),
        period_end: Some(start + 2_592_000),
    }
}

fn intent(sub: &str, i: usize) -> String {
    format!("pi_{sub}_{i}")
}

/// The refunds of invoice `i`'s charge as the gateway lists them after refund `upto`.
fn charge_refunds(sub: &str, refunds: &[Refunded], i: usize, upto: usize) -> Vec<Refund> {
    refunds
        .iter()
        .enumerate()
        .take(upto + 1)
        .filter(|(_, r)| r.invoice == i)
        .map(|(n, r)| Refund {
            id: format!("re_{sub}_{n}"),
            amount: r.amount,
            status: "succeeded".into(),
            payment_intent: Some(intent(sub, i)),
            charge: Some(format!("ch_{sub}_{i}")),
        })
        .collect()
}

/// `invoice.paid`: the subscription, then the invoice, on the event's transaction.
async fn deliver_invoice(pool: &PgPool, event_id: &str, sub: &Subscription, inv: &Invoice) {
    fixtures::deliver_invoice_event(pool, event_id, "invoice.paid", sub, inv)
        .await
        .unwrap();
}

/// `charge.refunded`, as the webhook applies it: the invoice the charge paid first (from the
/// gateway's current state), then each of the charge's refunds.
async fn deliver_refunds(
    pool: &PgPool,
    event_id: &str,
    sub: &Subscription,
    inv: &Invoice,
    refunds: &[Refund],
) {
    let payload = serde_json::json!({ "id": event_id });
    let e = fixtures::test_event(event_id, "charge.refunded", &payload);
    let mut tx = pool.begin().await.unwrap();
    if settle::claim_event(&mut tx, &e).await.unwrap() == Claim::Duplicate {
        tx.commit().await.unwrap();
        return;
    }
    fixtures::apply_subscription_invoice(&mut tx, sub, inv, event_id)
        .await
        .unwrap()
        .expect("the subscription's order is found");
    let mut order = None;
    for refund in refunds {
        let applied =
            refunds::apply_refund(&mut tx, "test", refund, Some(&inv.id), None, None, event_id)
                .await
                .unwrap();
        order = order.or(applied.order());
    }
    settle::finish_event(&mut tx, event_id, Outcome::Handled, order)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// The checkout is paid: the order and its payment, the subscription and its first period.
async fn checkout_paid(pool: &PgPool, order: Uuid, session: &str, sub: &Subscription) {
    fixtures::subscription_checkout_paid(pool, order, session, sub)
        .await
        .unwrap();
    deliver_invoice(
        pool,
        &format!("evt_{}_paid_0", sub.id),
        sub,
        &invoice(&sub.id, 0),
    )
    .await;
}

#[sqlx::test(migrations = false)]
async fn every_refund_sequence_records_each_refund_once_against_its_payment(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    gd_db::seed_demo_data(&pool).await.unwrap();
    let user = fixtures::user(&pool, "abo@example.de").await.unwrap();

    let mut runner = TestRunner::deterministic();
    let strategy = case();
    for n in 0..40 {
        let (refunded, rounds) = strategy.new_tree(&mut runner).unwrap().current();
        let sub_id = format!("sub_re_{n}");
        let session = format!("cs_re_{n}");
        let order = fixtures::order(&pool, user, "abo@example.de", &MONTHLY_PLAN, Some(&session))
            .await
            .unwrap();
        let sub = fixtures::monthly_subscription(&sub_id, order, "cus_refund");
        checkout_paid(&pool, order, &session, &sub).await;
        for round in &rounds {
            let deliveries = round.iter().map(|d| {
                let pool = pool.clone();
                let sub = sub.clone();
                let refunded = refunded.clone();
                let sub_id = sub_id.clone();
                let d = *d;
                async move {
                    match d {
                        Delivery::RenewalPaid(i) => {
                            let id = format!("evt_{sub_id}_paid_{i}");
                            deliver_invoice(&pool, &id, &sub, &invoice(&sub_id, i)).await;
                        }
                        Delivery::Refund { n, late } => {
                            let i = refunded[n].invoice;
                            let upto = if late { refunded.len() - 1 } else { n };
                            let list = charge_refunds(&sub_id, &refunded, i, upto);
                            let id = format!("evt_{sub_id}_refund_{n}");
                            deliver_refunds(&pool, &id, &sub, &invoice(&sub_id, i), &list).await;
                        }
                    }
                }
            });
            futures::future::join_all(deliveries).await;
        }

        let context = format!("case {n}: {refunded:?} {rounds:?}");
        // One refund row per gateway refund, with its amount and the payment it refunds.
        let rows: Vec<(String, i64, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT r.gateway_ref, r.amount, p.gateway_ref, p.kind
             FROM payments r LEFT JOIN payments p ON p.id = r.refund_of
             WHERE r.order_id = $1 AND r.kind = 'refund' ORDER BY r.gateway_ref",
        )
        .bind(order)
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut expected: Vec<(String, i64, Option<String>, Option<String>)> = refunded
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let paid_by = if r.invoice == 0 {
                    session.clone()
                } else {
                    format!("in_{sub_id}_{}", r.invoice)
                };
                (
                    format!("re_{sub_id}_{k}"),
                    r.amount,
                    Some(paid_by),
                    Some("payment".to_owned()),
                )
            })
            .collect();
        expected.sort();
        assert_eq!(rows, expected, "{context}");
        // Each renewal is paid once, with its period; the checkout's payment has none.
        let payments: Vec<(String, i64, bool)> = sqlx::query_as(
            "SELECT gateway_ref, amount, period_id IS NOT NULL FROM payments
             WHERE order_id = $1 AND kind = 'payment' ORDER BY gateway_ref",
        )
        .bind(order)
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut paid = vec![(session.clone(), AMOUNT, false)];
        paid.extend((1..INVOICES).map(|i| (format!("in_{sub_id}_{i}"), AMOUNT, true)));
        paid.sort();
        assert_eq!(payments, paid, "{context}");
        // Never more back than a payment brought.
        let over: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM payments p
             WHERE p.order_id = $1 AND p.kind = 'payment'
               AND p.amount < (SELECT coalesce(sum(r.amount), 0) FROM payments r WHERE r.refund_of = p.id)",
        )
        .bind(order)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(over, 0, "{context}");
        // One credit note job per refund.
        let jobs: Vec<i64> = sqlx::query_scalar(
            "SELECT count(j.id) FROM payments r
             LEFT JOIN apalis.jobs j ON j.job_type = 'growthdesk::issue_credit_note'
                 AND j.job->>'payment_id' = r.id::text
             WHERE r.order_id = $1 AND r.kind = 'refund' GROUP BY r.id",
        )
        .bind(order)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(jobs, vec![1; refunded.len()], "{context}");
        // And a renewal paid once however its refund overtook it: one invoice job each.
        let invoice_jobs: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::issue_invoice'
               AND job->>'order_id' = $1::text",
        )
        .bind(order)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(invoice_jobs, INVOICES as i64, "{context}");
    }
}

#[sqlx::test(migrations = false)]
async fn a_refund_that_overtakes_the_checkout_waits_for_its_payment(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    gd_db::seed_demo_data(&pool).await.unwrap();
    let user = fixtures::user(&pool, "abo@example.de").await.unwrap();
    let order = fixtures::order(
        &pool,
        user,
        "abo@example.de",
        &MONTHLY_PLAN,
        Some("cs_early"),
    )
    .await
    .unwrap();
    let sub = fixtures::monthly_subscription("sub_early", order, "cus_refund");
    // The first invoice is known, the checkout's payment not yet (its event is late).
    deliver_invoice(&pool, "evt_early_paid", &sub, &invoice("sub_early", 0)).await;
    let refund = Refund {
        id: "re_early".into(),
        amount: 10_000,
        status: "succeeded".into(),
        payment_intent: Some(intent("sub_early", 0)),
        charge: Some("ch_early".into()),
    };
    let mut tx = pool.begin().await.unwrap();
    let early = refunds::apply_refund(
        &mut tx,
        "test",
        &refund,
        Some("in_sub_early_0"),
        None,
        None,
        "evt_early_refund",
    )
    .await;
    assert!(
        matches!(early, Err(gd_orders::OrderError::PaymentNotRecorded(_))),
        "{early:?}"
    );
    drop(tx);
    // The checkout's event arrives; the gateway delivers the refund again: recorded, against
    // the checkout's payment.
    checkout_paid(&pool, order, "cs_early", &sub).await;
    deliver_refunds(
        &pool,
        "evt_early_refund",
        &sub,
        &invoice("sub_early", 0),
        std::slice::from_ref(&refund),
    )
    .await;
    let refunded: (i64, String) = sqlx::query_as(
        "SELECT r.amount, p.gateway_ref FROM payments r JOIN payments p ON p.id = r.refund_of
         WHERE r.gateway_ref = 're_early'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(refunded, (10_000, "cs_early".to_owned()));
}
