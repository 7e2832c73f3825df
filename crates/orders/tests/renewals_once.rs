//! Exactly once for subscriptions, as a property: for generated renewal histories (paid at
//! once, failed then paid, failed for good), the gateway's invoice events are delivered
//! duplicated, reordered and concurrently, each read back from the gateway either as it was
//! when the event was sent or as it is later, against a real PostgreSQL. Whatever the
//! sequence: one subscription, one billing period per invoice with the gateway's final
//! state, one payment and one renewal mail per paid renewal, at most one failure mail per
//! invoice (exactly one for an invoice that stays failed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_orders::fixtures::{self, MONTHLY_PLAN};
use gd_payments::{Invoice, InvoiceStatus};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use sqlx::PgPool;

/// The monthly plan's price.
const AMOUNT: i64 = MONTHLY_PLAN.unit_gross.0;

/// How one renewal ends at the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Renewal {
    Paid,
    FailedThenPaid,
    Failed,
}

impl Renewal {
    fn events(self) -> &'static [&'static str] {
        match self {
            Renewal::Paid => &["invoice.paid"],
            Renewal::FailedThenPaid => &["invoice.payment_failed", "invoice.paid"],
            Renewal::Failed => &["invoice.payment_failed"],
        }
    }

    fn paid(self) -> bool {
        self != Renewal::Failed
    }
}

/// One delivery: event `event` of renewal `renewal`, read back `late` (the final state) or
/// as it was when sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Delivery {
    renewal: usize,
    event: usize,
    late: bool,
}

fn case() -> impl Strategy<Value = (Vec<Renewal>, Vec<Vec<Delivery>>)> {
    let renewal = prop_oneof![
        Just(Renewal::Paid),
        Just(Renewal::FailedThenPaid),
        Just(Renewal::Failed)
    ];
    prop::collection::vec(renewal, 1..4).prop_flat_map(|renewals| {
        let all: Vec<(usize, usize)> = renewals
            .iter()
            .enumerate()
            .flat_map(|(i, r)| (0..r.events().len()).map(move |e| (i, e)))
            .collect();
        let n = all.len();
        let delivery = (0..n, any::<bool>()).prop_map(move |(k, late)| Delivery {
            renewal: all[k].0,
            event: all[k].1,
            late,
        });
        let rounds = prop::collection::vec(prop::collection::vec(delivery, 1..5), 1..6);
        let renewals2 = renewals.clone();
        (Just(renewals), rounds).prop_map(move |(r, mut rounds)| {
            // The gateway retries until every event is taken: each arrives once more, late.
            rounds.push(
                renewals2
                    .iter()
                    .enumerate()
                    .flat_map(|(i, r)| {
                        (0..r.events().len()).map(move |e| Delivery {
                            renewal: i,
                            event: e,
                            late: true,
                        })
                    })
                    .collect(),
            );
            (r, rounds)
        })
    })
}

/// Invoice `i` of subscription `sub` as the gateway answers after event `event` (or at the
/// end, when `late`).
fn invoice(sub: &str, i: usize, r: Renewal, event: usize, late: bool) -> Invoice {
    let settled = late || event + 1 == r.events().len();
    let (status, attempts) = match (r, settled) {
        (Renewal::Paid, _) => (InvoiceStatus::Paid, 1),
        (Renewal::FailedThenPaid, false) => (InvoiceStatus::Open, 1),
        (Renewal::FailedThenPaid, true) => (InvoiceStatus::Paid, 2),
        (Renewal::Failed, _) => (InvoiceStatus::Open, 1),
    };
    let start = 1_803_772_800 + i64::try_from(i).unwrap() * 2_592_000;
    Invoice {
        id: format!("in_{sub}_{i}"),
        status,
        customer: Some("cus_prop".into()),
        subscription: Some(sub.to_owned()),
        billing_reason: Some("subscription_cycle".into()),
        amount_due: AMOUNT,
        amount_paid: if status == InvoiceStatus::Paid {
            AMOUNT
        } else {
            0
        },
        attempt_count: attempts,
        period_start: Some(start),
        period_end: Some(start + 2_592_000),
    }
}

async fn count(pool: &PgPool, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn every_renewal_sequence_counts_each_invoice_once(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    gd_db::seed_demo_data(&pool).await.unwrap();
    let user = fixtures::user(&pool, "abo@example.de").await.unwrap();

    let mut runner = TestRunner::deterministic();
    let strategy = case();
    for n in 0..40 {
        let (renewals, rounds) = strategy.new_tree(&mut runner).unwrap().current();
        let order = fixtures::order(&pool, user, "abo@example.de", &MONTHLY_PLAN, None)
            .await
            .unwrap();
        let sub_id = format!("sub_prop_{n}");
        let sub = fixtures::monthly_subscription(&sub_id, order, "cus_prop");
        for round in &rounds {
            let deliveries = round.iter().map(|d| {
                let pool = pool.clone();
                let sub = sub.clone();
                let r = renewals[d.renewal];
                let inv = invoice(&sub_id, d.renewal, r, d.event, d.late);
                let kind = r.events()[d.event];
                let id = format!("evt_{sub_id}_{}_{}", d.renewal, d.event);
                // What the webhook does with it: record the event; apply the subscription,
                // then the invoice, in one transaction.
                async move {
                    fixtures::deliver_invoice_event(&pool, &id, kind, &sub, &inv)
                        .await
                        .unwrap()
                }
            });
            futures::future::join_all(deliveries).await;
        }

        let context = format!("case {n}: {renewals:?} {rounds:?}");
        let oid = order.to_string();
        assert_eq!(
            count(
                &pool,
                "SELECT count(*) FROM subscriptions WHERE order_id = $1::uuid",
                &oid
            )
            .await,
            1,
            "{context}"
        );
        let periods: Vec<(String, String)> = sqlx::query_as(
            "SELECT p.invoice_ref, p.status FROM subscription_periods p
             JOIN subscriptions s ON s.id = p.subscription_id
             WHERE s.order_id = $1 ORDER BY p.invoice_ref",
        )
        .bind(order)
        .fetch_all(&pool)
        .await
        .unwrap();
        let expected: Vec<(String, String)> = renewals
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    format!("in_{sub_id}_{i}"),
                    if r.paid() { "paid" } else { "failed" }.to_owned(),
                )
            })
            .collect();
        assert_eq!(periods, expected, "{context}");
        let paid = renewals.iter().filter(|r| r.paid()).count() as i64;
        assert_eq!(
            count(
                &pool,
                "SELECT coalesce(sum(amount), 0)::bigint FROM payments WHERE order_id = $1::uuid",
                &oid
            )
            .await,
            paid * AMOUNT,
            "{context}"
        );
        let notices = |kind: &'static str| {
            let pool = pool.clone();
            let sub_id = sub_id.clone();
            async move {
                let per_period: Vec<i64> = sqlx::query_scalar(
                    "SELECT count(j.id) FROM subscription_periods p
                     JOIN subscriptions s ON s.id = p.subscription_id
                     LEFT JOIN apalis.jobs j ON j.job_type = 'growthdesk::subscription_notice'
                         AND j.job->>'kind' = $2 AND j.job->>'period_id' = p.id::text
                     WHERE s.gateway_ref = $1 GROUP BY p.invoice_ref ORDER BY p.invoice_ref",
                )
                .bind(&sub_id)
                .bind(kind)
                .fetch_all(&pool)
                .await
                .unwrap();
                per_period
            }
        };
        let renewed = notices("renewed").await;
        let failed = notices("payment_failed").await;
        for (i, r) in renewals.iter().enumerate() {
            assert_eq!(
                renewed[i],
                i64::from(r.paid()),
                "{context}: renewal mail {i}"
            );
            assert!(failed[i] <= 1, "{context}: failure mails {i}");
            if *r == Renewal::Failed {
                assert_eq!(failed[i], 1, "{context}: failure mail {i}");
            }
        }
    }
}
