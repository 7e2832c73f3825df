//! Storing leads against a real PostgreSQL: one transaction with its job, de-duplication,
//! and mails sent at most once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_leads::{parse, submit, LeadInput};
use gd_mail::{Mailer, OutboxMailer};
use sqlx::PgPool;

fn form(message: &str) -> LeadInput {
    LeadInput {
        name: "Anna Schmidt".into(),
        email: "anna@example.de".into(),
        instagram: "@anna.bakes".into(),
        message: message.into(),
        consent: true,
        locale: "de".into(),
    }
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn migrated(pool: &PgPool) {
    gd_db::migrate(pool).await.unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_lead_and_its_job_are_stored_together(pool: PgPool) {
    migrated(&pool).await;
    let lead = parse(&form("Hallo")).unwrap();
    let s = submit(&mut pool.acquire().await.unwrap(), &lead, 600)
        .await
        .unwrap();
    assert!(!s.duplicate);
    assert_eq!(count(&pool, "SELECT count(*) FROM leads").await, 1);
    let job: serde_json::Value = sqlx::query_scalar(
        "SELECT job FROM apalis.jobs WHERE job_type = 'growthdesk::lead_received'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(job["lead_id"], s.lead_id.to_string());
}

#[sqlx::test(migrations = false)]
async fn without_the_job_there_is_no_lead(pool: PgPool) {
    migrated(&pool).await;
    // Break the queue: the enqueue fails, so the insert before it must roll back too.
    sqlx::query("ALTER TABLE apalis.jobs ADD CONSTRAINT no_jobs CHECK (false) NOT VALID")
        .execute(&pool)
        .await
        .unwrap();
    let lead = parse(&form("Hallo")).unwrap();
    assert!(submit(&mut pool.acquire().await.unwrap(), &lead, 600)
        .await
        .is_err());
    assert_eq!(count(&pool, "SELECT count(*) FROM leads").await, 0);
}

#[sqlx::test(migrations = false)]
async fn the_same_lead_twice_within_the_window_is_one_lead(pool: PgPool) {
    migrated(&pool).await;
    let first = submit(
        &mut pool.acquire().await.unwrap(),
        &parse(&form("Hallo  Welt")).unwrap(),
        600,
    )
    .await
    .unwrap();
    let mut again = form("hallo welt");
    again.email = "ANNA@example.de".into();
    let second = submit(
        &mut pool.acquire().await.unwrap(),
        &parse(&again).unwrap(),
        600,
    )
    .await
    .unwrap();
    assert!(second.duplicate);
    assert_eq!(second.lead_id, first.lead_id);
    assert_eq!(count(&pool, "SELECT count(*) FROM leads").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM apalis.jobs").await, 1);

    // A different message is a different lead.
    let third = submit(
        &mut pool.acquire().await.unwrap(),
        &parse(&form("Noch eine Frage")).unwrap(),
        600,
    )
    .await
    .unwrap();
    assert!(!third.duplicate);
    assert_eq!(count(&pool, "SELECT count(*) FROM leads").await, 2);
}

#[sqlx::test(migrations = false)]
async fn after_the_window_the_same_text_is_a_new_lead(pool: PgPool) {
    migrated(&pool).await;
    let lead = parse(&form("Hallo")).unwrap();
    submit(&mut pool.acquire().await.unwrap(), &lead, 600)
        .await
        .unwrap();
    sqlx::query("UPDATE leads SET created_at = now() - interval '11 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    assert!(
        !submit(&mut pool.acquire().await.unwrap(), &lead, 600)
            .await
            .unwrap()
            .duplicate
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM leads").await, 2);
}

#[sqlx::test(migrations = false)]
async fn concurrent_double_clicks_store_one_lead(pool: PgPool) {
    migrated(&pool).await;
    let lead = parse(&form("Doppelklick")).unwrap();
    let results = futures_join(&pool, &lead).await;
    assert_eq!(
        results.iter().filter(|d| !**d).count(),
        1,
        "exactly one insert: {results:?}"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM leads").await, 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM apalis.jobs").await, 1);
}

async fn futures_join(pool: &PgPool, lead: &gd_leads::NewLead) -> Vec<bool> {
    let mut handles = Vec::new();
    for _ in 0..8 {
        let (pool, lead) = (pool.clone(), lead.clone());
        handles.push(tokio::spawn(async move {
            submit(&mut pool.acquire().await.unwrap(), &lead, 600)
                .await
                .unwrap()
                .duplicate
        }));
    }
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[sqlx::test(migrations = false)]
async fn mails_are_sent_once_even_when_the_job_runs_twice(pool: PgPool) {
    migrated(&pool).await;
    let s = submit(
        &mut pool.acquire().await.unwrap(),
        &parse(&form("Hallo")).unwrap(),
        600,
    )
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("gd-leads-outbox-{}", s.lead_id));
    let mailer = OutboxMailer::new(
        &dir,
        "Growthdesk <hello@growthdesk.localhost>".parse().unwrap(),
    )
    .unwrap();
    let to = gd_leads::Delivery {
        agency_email: "team@growthdesk.localhost",
        public_url: "http://127.0.0.1:3000",
    };
    gd_leads::deliver_mails(&pool, &mailer, s.lead_id, &to)
        .await
        .unwrap();
    gd_leads::deliver_mails(&pool, &mailer, s.lead_id, &to)
        .await
        .unwrap();

    let mails = gd_mail::read_outbox(&dir, 10).await.unwrap();
    assert_eq!(mails.len(), 2, "{mails:#?}");
    let confirmation = mails
        .iter()
        .find(|m| m.to.contains("anna@example.de"))
        .unwrap();
    assert_eq!(confirmation.subject, "Ihre Anfrage bei Growthdesk");
    let notification = mails
        .iter()
        .find(|m| m.to.contains("team@growthdesk.localhost"))
        .unwrap();
    assert!(notification.body.contains("Instagram: @anna.bakes"));
    assert!(mailer.describe().contains("local outbox"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[sqlx::test(migrations = false)]
async fn an_unknown_lead_is_not_found(pool: PgPool) {
    migrated(&pool).await;
    let dir = std::env::temp_dir().join("gd-leads-outbox-unknown");
    let mailer = OutboxMailer::new(&dir, "a@b.de".parse().unwrap()).unwrap();
    let to = gd_leads::Delivery {
        agency_email: "team@growthdesk.localhost",
        public_url: "http://x",
    };
    let err = gd_leads::deliver_mails(&pool, &mailer, uuid::Uuid::nil(), &to)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
}
