//! Accounts against a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_accounts::*;
use sqlx::PgPool;

const PW: &str = "pferd batterie heftklammer richtig";

async fn setup(pool: &PgPool) {
    gd_db::migrate(pool).await.unwrap();
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

async fn signed_up_and_verified(pool: &PgPool, address: &str) -> uuid::Uuid {
    let password = Password::parse(PW, &[address]).unwrap();
    let SignUp::Created { user_id } = sign_up(
        &mut pool.acquire().await.unwrap(),
        &email(address),
        &password,
        Locale::De,
    )
    .await
    .unwrap() else {
        panic!("expected a new account");
    };
    let mut conn = pool.acquire().await.unwrap();
    let token = issue_token(&mut conn, user_id, TokenPurpose::VerifyEmail)
        .await
        .unwrap();
    verify_email(&mut pool.acquire().await.unwrap(), token.expose())
        .await
        .unwrap();
    user_id
}

async fn actions(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn sign_up_verify_and_log_in(pool: PgPool) {
    setup(&pool).await;
    let password = Password::parse(PW, &[]).unwrap();
    let outcome = sign_up(
        &mut pool.acquire().await.unwrap(),
        &email("Anna@Example.de"),
        &password,
        Locale::En,
    )
    .await
    .unwrap();
    let SignUp::Created { user_id } = outcome else {
        panic!("{outcome:?}")
    };

    // Not verified yet: the right password learns that, nothing more.
    assert!(matches!(
        authenticate(
            &mut pool.acquire().await.unwrap(),
            "anna@example.de",
            PW,
            None
        )
        .await,
        Err(AccountError::EmailNotVerified)
    ));

    let mut conn = pool.acquire().await.unwrap();
    let token = issue_token(&mut conn, user_id, TokenPurpose::VerifyEmail)
        .await
        .unwrap();
    assert_eq!(
        verify_email(&mut pool.acquire().await.unwrap(), token.expose())
            .await
            .unwrap(),
        user_id
    );
    // Single use.
    assert!(matches!(
        verify_email(&mut pool.acquire().await.unwrap(), token.expose()).await,
        Err(AccountError::InvalidToken)
    ));

    let user = authenticate(
        &mut pool.acquire().await.unwrap(),
        "ANNA@example.de ",
        PW,
        Some("127.0.0.1".into()),
    )
    .await
    .unwrap();
    assert_eq!(user.id, user_id);
    assert_eq!(user.roles, vec![Role::Client]);
    assert_eq!(user.locale, Locale::En);
    assert!(user.has_password);
    assert_eq!(
        actions(&pool).await,
        vec!["account.sign_up", "account.email_verified", "login.success"]
    );
}

#[sqlx::test(migrations = false)]
async fn unknown_email_and_wrong_password_get_the_same_answer(pool: PgPool) {
    setup(&pool).await;
    signed_up_and_verified(&pool, "anna@example.de").await;
    let wrong = authenticate(
        &mut pool.acquire().await.unwrap(),
        "anna@example.de",
        "falsches passwort hier",
        None,
    )
    .await
    .unwrap_err();
    let unknown = authenticate(
        &mut pool.acquire().await.unwrap(),
        "nobody@example.de",
        PW,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert!(matches!(unknown, AccountError::InvalidCredentials));
    let failures: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'login.failure'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(failures, 2);
}

#[sqlx::test(migrations = false)]
async fn a_second_sign_up_with_the_same_address_creates_nothing(pool: PgPool) {
    setup(&pool).await;
    let first = signed_up_and_verified(&pool, "anna@example.de").await;
    let password = Password::parse("ganz anderes langes passwort", &[]).unwrap();
    let again = sign_up(
        &mut pool.acquire().await.unwrap(),
        &email("ANNA@example.de"),
        &password,
        Locale::De,
    )
    .await
    .unwrap();
    assert_eq!(again, SignUp::AlreadyRegistered { user_id: first });
    // The original password still works; the new one does not.
    assert!(authenticate(
        &mut pool.acquire().await.unwrap(),
        "anna@example.de",
        PW,
        None
    )
    .await
    .is_ok());
    assert!(authenticate(
        &mut pool.acquire().await.unwrap(),
        "anna@example.de",
        "ganz anderes langes passwort",
        None
    )
    .await
    .is_err());
}

#[sqlx::test(migrations = false)]
async fn reset_links_work_once_and_expire(pool: PgPool) {
    setup(&pool).await;
    let user = signed_up_and_verified(&pool, "anna@example.de").await;
    let mut conn = pool.acquire().await.unwrap();
    let old = issue_token(&mut conn, user, TokenPurpose::ResetPassword)
        .await
        .unwrap();
    let token = issue_token(&mut conn, user, TokenPurpose::ResetPassword)
        .await
        .unwrap();
    let new_password = Password::parse("neues sehr langes passwort bitte", &[]).unwrap();
    // A newer link replaces the older one.
    assert!(matches!(
        reset_password(
            &mut pool.acquire().await.unwrap(),
            old.expose(),
            &new_password
        )
        .await,
        Err(AccountError::InvalidToken)
    ));
    // A verification link is not a reset link.
    let verify = issue_token(&mut conn, user, TokenPurpose::VerifyEmail)
        .await
        .unwrap();
    assert!(matches!(
        reset_password(
            &mut pool.acquire().await.unwrap(),
            verify.expose(),
            &new_password
        )
        .await,
        Err(AccountError::InvalidToken)
    ));

    assert_eq!(
        reset_password(
            &mut pool.acquire().await.unwrap(),
            token.expose(),
            &new_password
        )
        .await
        .unwrap(),
        user
    );
    assert!(matches!(
        reset_password(
            &mut pool.acquire().await.unwrap(),
            token.expose(),
            &new_password
        )
        .await,
        Err(AccountError::InvalidToken)
    ));
    assert!(authenticate(
        &mut pool.acquire().await.unwrap(),
        "anna@example.de",
        "neues sehr langes passwort bitte",
        None
    )
    .await
    .is_ok());
    assert!(authenticate(
        &mut pool.acquire().await.unwrap(),
        "anna@example.de",
        PW,
        None
    )
    .await
    .is_err());

    let expiring = issue_token(&mut conn, user, TokenPurpose::ResetPassword)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert!(matches!(
        reset_password(
            &mut pool.acquire().await.unwrap(),
            expiring.expose(),
            &new_password
        )
        .await,
        Err(AccountError::InvalidToken)
    ));
    // Tokens are stored only as hashes.
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM account_tokens")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(stored
        .iter()
        .all(|h| h.len() == 32 && h.as_slice() != expiring.expose().as_bytes()));
}

#[sqlx::test(migrations = false)]
async fn the_first_admin_and_role_changes_are_audited(pool: PgPool) {
    setup(&pool).await;
    let boot = ensure_admin(
        &mut pool.acquire().await.unwrap(),
        &email("chef@growthdesk.de"),
    )
    .await
    .unwrap();
    assert!(boot.created);
    let again = ensure_admin(
        &mut pool.acquire().await.unwrap(),
        &email("CHEF@growthdesk.de"),
    )
    .await
    .unwrap();
    assert_eq!(
        again,
        AdminBootstrap {
            user_id: boot.user_id,
            created: false
        }
    );

    let mut conn = pool.acquire().await.unwrap();
    let admin = find_user(&mut conn, boot.user_id).await.unwrap().unwrap();
    assert_eq!(admin.roles, vec![Role::Admin]);
    assert!(
        !admin.has_password,
        "the admin chooses a password through a reset link"
    );

    let anna = signed_up_and_verified(&pool, "anna@example.de").await;
    grant_role(
        &mut pool.acquire().await.unwrap(),
        Some(admin.id),
        anna,
        Role::Finance,
    )
    .await
    .unwrap();
    grant_role(
        &mut pool.acquire().await.unwrap(),
        Some(admin.id),
        anna,
        Role::Finance,
    )
    .await
    .unwrap();
    let user = find_user(&mut conn, anna).await.unwrap().unwrap();
    assert_eq!(user.roles, vec![Role::Client, Role::Finance]);
    revoke_role(
        &mut pool.acquire().await.unwrap(),
        Some(admin.id),
        anna,
        Role::Finance,
    )
    .await
    .unwrap();

    let entries = list_audit(
        &mut conn,
        &AuditFilter {
            action_prefix: Some("role".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let summary: Vec<(String, Option<uuid::Uuid>, String)> = entries
        .iter()
        .map(|e| {
            (
                e.action.clone(),
                e.actor_id,
                e.details["role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "role.revoke".to_owned(),
                Some(admin.id),
                "finance".to_owned()
            ),
            (
                "role.grant".to_owned(),
                Some(admin.id),
                "finance".to_owned()
            ),
            ("role.grant".to_owned(), None, "admin".to_owned()),
        ]
    );
    assert!(matches!(
        grant_role(
            &mut pool.acquire().await.unwrap(),
            Some(admin.id),
            uuid::Uuid::nil(),
            Role::Admin
        )
        .await,
        Err(AccountError::NotFound)
    ));
}

#[sqlx::test(migrations = false)]
async fn the_audit_log_cannot_be_changed_or_emptied(pool: PgPool) {
    setup(&pool).await;
    signed_up_and_verified(&pool, "anna@example.de").await;
    for sql in [
        "UPDATE audit_log SET action = 'nothing happened'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(actions(&pool).await.len(), 2);
}

#[sqlx::test(migrations = false)]
async fn links_issued_at_once_leave_exactly_one_valid(pool: PgPool) {
    setup(&pool).await;
    let password = Password::parse(PW, &[]).unwrap();
    let SignUp::Created { user_id } = sign_up(
        &mut pool.acquire().await.unwrap(),
        &email("race@example.de"),
        &password,
        Locale::De,
    )
    .await
    .unwrap() else {
        panic!("expected a new account");
    };
    let issuers = (0..8).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut conn = pool.acquire().await.unwrap();
            issue_token(&mut conn, user_id, TokenPurpose::VerifyEmail)
                .await
                .unwrap()
        })
    });
    let tokens: Vec<RawToken> = futures::future::join_all(issuers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let unused: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM account_tokens WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unused, 1);
    let mut working = 0;
    for token in &tokens {
        if verify_email(&mut pool.acquire().await.unwrap(), token.expose())
            .await
            .is_ok()
        {
            working += 1;
        }
    }
    assert_eq!(working, 1);
}

#[sqlx::test(migrations = false)]
async fn the_last_active_admin_stays_even_when_two_admins_remove_each_other(pool: PgPool) {
    setup(&pool).await;
    let a = ensure_admin(
        &mut pool.acquire().await.unwrap(),
        &email("a@growthdesk.de"),
    )
    .await
    .unwrap()
    .user_id;
    let b = ensure_admin(
        &mut pool.acquire().await.unwrap(),
        &email("b@growthdesk.de"),
    )
    .await
    .unwrap()
    .user_id;
    // Each takes the other's admin role at the same moment: exactly one may succeed.
    for _ in 0..5 {
        let (mut one, mut two) = (pool.acquire().await.unwrap(), pool.acquire().await.unwrap());
        let (ab, ba) = tokio::join!(
            revoke_role(&mut one, Some(a), b, Role::Admin),
            revoke_role(&mut two, Some(b), a, Role::Admin),
        );
        let refused = [&ab, &ba]
            .iter()
            .filter(|r| matches!(r, Err(AccountError::LastAdmin)))
            .count();
        assert_eq!(refused, 1, "{ab:?} {ba:?}");
        let admins: i64 =
            sqlx::query_scalar("SELECT count(*) FROM user_roles WHERE role = 'admin'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(admins, 1);
        // Put the other one back for the next round.
        grant_role(&mut pool.acquire().await.unwrap(), None, a, Role::Admin)
            .await
            .unwrap();
        grant_role(&mut pool.acquire().await.unwrap(), None, b, Role::Admin)
            .await
            .unwrap();
    }

    // The last active admin can neither lose the role nor lock the account by asking for
    // deletion; a locked admin does not count as active.
    request_deletion(&mut pool.acquire().await.unwrap(), b)
        .await
        .unwrap();
    assert!(matches!(
        revoke_role(&mut pool.acquire().await.unwrap(), None, a, Role::Admin).await,
        Err(AccountError::LastAdmin)
    ));
    assert!(matches!(
        request_deletion(&mut pool.acquire().await.unwrap(), a).await,
        Err(AccountError::LastAdmin)
    ));
    let mut conn = pool.acquire().await.unwrap();
    let still = find_user(&mut conn, a).await.unwrap().unwrap();
    assert!(still.has_role(Role::Admin) && !still.locked);
    // Another admin appointed, the first may go.
    let c = signed_up_and_verified(&pool, "c@growthdesk.de").await;
    grant_role(&mut pool.acquire().await.unwrap(), Some(a), c, Role::Admin)
        .await
        .unwrap();
    revoke_role(&mut pool.acquire().await.unwrap(), Some(c), a, Role::Admin)
        .await
        .unwrap();
}
