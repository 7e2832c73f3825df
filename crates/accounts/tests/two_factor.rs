//! Two-factor sign-in against a real PostgreSQL, with the clock passed in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_accounts::*;
use sqlx::PgPool;

const T: u64 = 1_800_000_000;

fn key() -> SecretKey {
    SecretKey::new([42; 32])
}

async fn account(pool: &PgPool, address: &str) -> uuid::Uuid {
    let mut conn = pool.acquire().await.unwrap();
    ensure_admin(&mut conn, &Email::parse(address).unwrap())
        .await
        .unwrap()
        .user_id
}

async fn enrolled(pool: &PgPool, user: uuid::Uuid) -> (String, Vec<String>) {
    let mut conn = pool.acquire().await.unwrap();
    let enrolment = start_enrolment(&mut conn, &key(), user, "anna@example.de")
        .await
        .unwrap();
    let code = code_at(&enrolment.secret_base32, T).unwrap();
    let recovery = confirm_enrolment(&mut conn, &key(), user, &code, T)
        .await
        .unwrap();
    (enrolment.secret_base32, recovery)
}

#[sqlx::test(migrations = false)]
async fn enrolment_needs_a_first_code_and_gives_recovery_codes(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let user = account(&pool, "anna@example.de").await;
    let mut conn = pool.acquire().await.unwrap();
    let enrolment = start_enrolment(&mut conn, &key(), user, "anna@example.de")
        .await
        .unwrap();
    assert!(enrolment
        .otpauth_url
        .starts_with("otpauth://totp/Growthdesk:anna%40example.de?secret="));
    // Not in force before the first code.
    assert!(!two_factor_status(&mut conn, user).await.unwrap().enabled);
    assert!(
        !find_user(&mut conn, user)
            .await
            .unwrap()
            .unwrap()
            .two_factor
    );
    assert!(matches!(
        confirm_enrolment(&mut conn, &key(), user, "000000", T).await,
        Err(AccountError::InvalidCode)
    ));
    let code = code_at(&enrolment.secret_base32, T).unwrap();
    let codes = confirm_enrolment(&mut conn, &key(), user, &code, T)
        .await
        .unwrap();
    assert_eq!(codes.len(), RECOVERY_CODES);
    let status = two_factor_status(&mut conn, user).await.unwrap();
    assert!(status.enabled);
    assert_eq!(status.recovery_codes_left, 10);
    assert!(
        find_user(&mut conn, user)
            .await
            .unwrap()
            .unwrap()
            .two_factor
    );
    // A second authenticator only after turning the first off.
    assert!(matches!(
        start_enrolment(&mut conn, &key(), user, "anna@example.de").await,
        Err(AccountError::TwoFactorAlreadyOn)
    ));
    // The secret is not stored in the clear.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_enc FROM user_totp")
        .fetch_one(&pool)
        .await
        .unwrap();
    let secret = base32_decode(&enrolment.secret_base32);
    assert!(!stored.windows(secret.len()).any(|w| w == secret.as_slice()));
}

fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        bits = (bits << 5) | ALPHABET.iter().position(|a| *a == c).unwrap() as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

#[sqlx::test(migrations = false)]
async fn a_code_works_once_and_only_near_its_time(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let user = account(&pool, "anna@example.de").await;
    let (secret, _) = enrolled(&pool, user).await;
    let mut conn = pool.acquire().await.unwrap();
    // The code used for enrolment is spent.
    let spent = code_at(&secret, T).unwrap();
    assert!(matches!(
        check_second_factor(&mut conn, &key(), user, &spent, T, None).await,
        Err(AccountError::InvalidCode)
    ));
    // The next one works once, also 30 s late; a replay does not.
    let next = code_at(&secret, T + 30).unwrap();
    assert_eq!(
        check_second_factor(&mut conn, &key(), user, &next, T + 60, None)
            .await
            .unwrap(),
        SecondFactor::Totp
    );
    assert!(matches!(
        check_second_factor(&mut conn, &key(), user, &next, T + 60, None).await,
        Err(AccountError::InvalidCode)
    ));
    // Two minutes late is too late.
    let old = code_at(&secret, T + 300).unwrap();
    assert!(matches!(
        check_second_factor(&mut conn, &key(), user, &old, T + 420, None).await,
        Err(AccountError::InvalidCode)
    ));
    // Two requests with the same fresh code at once: one wins.
    let fresh = code_at(&secret, T + 600).unwrap();
    let (mut a, mut b) = (pool.acquire().await.unwrap(), pool.acquire().await.unwrap());
    let k = key();
    let (x, y) = tokio::join!(
        check_second_factor(&mut a, &k, user, &fresh, T + 600, None),
        check_second_factor(&mut b, &k, user, &fresh, T + 600, None),
    );
    assert_eq!([x.is_ok(), y.is_ok()].iter().filter(|ok| **ok).count(), 1);
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE '2fa.%' ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        audit[..5],
        [
            "2fa.enable",
            "2fa.failure",
            "2fa.success",
            "2fa.failure",
            "2fa.failure"
        ]
    );
    let mut raced = audit[5..].to_vec();
    raced.sort();
    assert_eq!(raced, ["2fa.failure", "2fa.success"]);
}

#[sqlx::test(migrations = false)]
async fn recovery_codes_are_single_use(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let user = account(&pool, "anna@example.de").await;
    let (_, codes) = enrolled(&pool, user).await;
    let mut conn = pool.acquire().await.unwrap();
    let typed = codes[3].to_uppercase().replace('-', " ");
    assert_eq!(
        check_second_factor(&mut conn, &key(), user, &typed, T, None)
            .await
            .unwrap(),
        SecondFactor::RecoveryCode { left: 9 }
    );
    assert!(matches!(
        check_second_factor(&mut conn, &key(), user, &codes[3], T, None).await,
        Err(AccountError::InvalidCode)
    ));
    // New codes replace the old ones.
    let fresh = new_recovery_codes(&mut conn, user).await.unwrap();
    assert!(matches!(
        check_second_factor(&mut conn, &key(), user, &codes[4], T, None).await,
        Err(AccountError::InvalidCode)
    ));
    assert!(
        check_second_factor(&mut conn, &key(), user, &fresh[0], T, None)
            .await
            .is_ok()
    );
}

#[sqlx::test(migrations = false)]
async fn admins_keep_their_second_factor_and_clients_may_drop_it(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let admin = account(&pool, "chef@growthdesk.de").await;
    enrolled(&pool, admin).await;
    let mut conn = pool.acquire().await.unwrap();
    assert!(matches!(
        disable_two_factor(&mut conn, admin).await,
        Err(AccountError::TwoFactorRequired)
    ));
    let user = find_user(&mut conn, admin).await.unwrap().unwrap();
    assert!(user.two_factor && !user.must_enrol_two_factor());

    let client = account(&pool, "anna@example.de").await;
    let other = account(&pool, "ben@growthdesk.de").await;
    let _ = other; // keeps an active admin while `client` loses the role
    revoke_role(&mut conn, None, client, Role::Admin)
        .await
        .unwrap();
    grant_role(&mut conn, None, client, Role::Client)
        .await
        .unwrap();
    enrolled(&pool, client).await;
    disable_two_factor(&mut conn, client).await.unwrap();
    assert!(!two_factor_status(&mut conn, client).await.unwrap().enabled);
    let fresh_admin = find_user(&mut conn, other).await.unwrap().unwrap();
    assert!(fresh_admin.must_enrol_two_factor());
}
