//! Sign-in through login providers against a real PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gd_accounts::*;
use gd_common::LoginProvider;
use sqlx::PgPool;

const PW: &str = "pferd batterie heftklammer richtig";

fn google(subject: &str, email: Option<&str>) -> ExternalLogin {
    ExternalLogin {
        provider: LoginProvider::Google,
        subject: subject.into(),
        verified_email: email.map(|e| Email::parse(e).unwrap()),
        display_name: Some("Anna".into()),
    }
}

fn instagram(subject: &str) -> ExternalLogin {
    ExternalLogin {
        provider: LoginProvider::Instagram,
        subject: subject.into(),
        verified_email: None,
        display_name: Some("anna.shop".into()),
    }
}

async fn actions(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn signed_up(pool: &PgPool, address: &str) -> uuid::Uuid {
    let password = Password::parse(PW, &[]).unwrap();
    match sign_up(
        &mut pool.acquire().await.unwrap(),
        &Email::parse(address).unwrap(),
        &password,
        Locale::De,
    )
    .await
    .unwrap()
    {
        SignUp::Created { user_id } => user_id,
        other => panic!("{other:?}"),
    }
}

#[sqlx::test(migrations = false)]
async fn a_new_person_gets_a_verified_password_less_account(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let (user, how) = sign_in_with_provider(
        &mut pool.acquire().await.unwrap(),
        &google("g-1", Some("new@example.com")),
        Locale::En,
        Some("127.0.0.1".into()),
    )
    .await
    .unwrap();
    assert_eq!(how, ProviderSignIn::Created);
    assert_eq!(user.email, "new@example.com");
    assert!(user.email_verified_at.is_some());
    assert!(!user.has_password);
    assert_eq!(user.roles, vec![Role::Client]);
    assert_eq!(user.locale, Locale::En);

    // The second time, the link finds the account, even if the provider's address changed.
    let (again, how) = sign_in_with_provider(
        &mut pool.acquire().await.unwrap(),
        &google("g-1", Some("renamed@example.com")),
        Locale::De,
        None,
    )
    .await
    .unwrap();
    assert_eq!((again.id, how), (user.id, ProviderSignIn::Known));
    assert_eq!(
        actions(&pool).await,
        ["account.sign_up", "login.success", "login.success"]
    );
    let mut conn = pool.acquire().await.unwrap();
    let links = list_linked_logins(&mut conn, user.id).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].provider, LoginProvider::Google);
    assert_eq!(links[0].email.as_deref(), Some("new@example.com"));
}

#[sqlx::test(migrations = false)]
async fn an_existing_address_is_never_linked_silently(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    // One account verified, one never verified (registered by someone, maybe a stranger).
    let verified = signed_up(&pool, "anna@example.com").await;
    let mut conn = pool.acquire().await.unwrap();
    let token = issue_token(&mut conn, verified, TokenPurpose::VerifyEmail)
        .await
        .unwrap();
    verify_email(&mut pool.acquire().await.unwrap(), token.expose())
        .await
        .unwrap();
    let unverified = signed_up(&pool, "owner@example.com").await;
    let before = actions(&pool).await;

    for (subject, address, id) in [
        ("g-2", "ANNA@example.com", verified),
        ("g-3", "owner@example.com", unverified),
    ] {
        let outcome = sign_in_with_provider(
            &mut pool.acquire().await.unwrap(),
            &google(subject, Some(address)),
            Locale::De,
            None,
        )
        .await;
        assert!(
            matches!(outcome, Err(AccountError::NotLinked)),
            "{address}: {outcome:?}"
        );
        // Nothing changed: no link, the password and the verification state as they were.
        assert!(list_linked_logins(&mut conn, id).await.unwrap().is_empty());
        let user = find_user(&mut conn, id).await.unwrap().unwrap();
        assert!(user.has_password);
    }
    assert!(find_user(&mut conn, unverified)
        .await
        .unwrap()
        .unwrap()
        .email_verified_at
        .is_none());
    authenticate(
        &mut pool.acquire().await.unwrap(),
        "anna@example.com",
        PW,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        actions(&pool).await.len(),
        before.len() + 1,
        "only the sign-in"
    );

    // Signed in the usual way, the owner links the provider in account settings.
    link_provider(
        &mut pool.acquire().await.unwrap(),
        verified,
        &google("g-2", Some("anna@example.com")),
        None,
    )
    .await
    .unwrap();
    let (user, how) = sign_in_with_provider(
        &mut pool.acquire().await.unwrap(),
        &google("g-2", Some("anna@example.com")),
        Locale::De,
        None,
    )
    .await
    .unwrap();
    assert_eq!((user.id, how), (verified, ProviderSignIn::Known));
}

#[sqlx::test(migrations = false)]
async fn without_a_verified_address_only_a_linked_login_signs_in(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    assert!(matches!(
        sign_in_with_provider(
            &mut pool.acquire().await.unwrap(),
            &instagram("ig-1"),
            Locale::De,
            None
        )
        .await,
        Err(AccountError::NoVerifiedEmail)
    ));
    assert!(matches!(
        sign_in_with_provider(
            &mut pool.acquire().await.unwrap(),
            &google("g-4", None),
            Locale::De,
            None
        )
        .await,
        Err(AccountError::NoVerifiedEmail)
    ));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0);

    // Linked from account settings, Instagram then signs in.
    let id = signed_up(&pool, "shop@example.com").await;
    link_provider(
        &mut pool.acquire().await.unwrap(),
        id,
        &instagram("ig-1"),
        None,
    )
    .await
    .unwrap();
    link_provider(
        &mut pool.acquire().await.unwrap(),
        id,
        &instagram("ig-1"),
        None,
    )
    .await
    .expect("linking the same login twice is harmless");
    let (user, how) = sign_in_with_provider(
        &mut pool.acquire().await.unwrap(),
        &instagram("ig-1"),
        Locale::De,
        None,
    )
    .await
    .unwrap();
    assert_eq!((user.id, how), (id, ProviderSignIn::Known));

    // The same Instagram account cannot be linked to a second Growthdesk account, and one
    // account cannot hold two Instagram accounts.
    let other = signed_up(&pool, "other@example.com").await;
    assert!(matches!(
        link_provider(
            &mut pool.acquire().await.unwrap(),
            other,
            &instagram("ig-1"),
            None
        )
        .await,
        Err(AccountError::LoginTaken)
    ));
    assert!(matches!(
        link_provider(
            &mut pool.acquire().await.unwrap(),
            id,
            &instagram("ig-2"),
            None
        )
        .await,
        Err(AccountError::LoginTaken)
    ));
}

#[sqlx::test(migrations = false)]
async fn the_last_way_to_sign_in_cannot_be_unlinked(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let (user, _) = sign_in_with_provider(
        &mut pool.acquire().await.unwrap(),
        &google("g-5", Some("solo@example.com")),
        Locale::De,
        None,
    )
    .await
    .unwrap();
    assert!(matches!(
        unlink_provider(
            &mut pool.acquire().await.unwrap(),
            user.id,
            LoginProvider::Google,
            None
        )
        .await,
        Err(AccountError::LastLoginMethod)
    ));
    link_provider(
        &mut pool.acquire().await.unwrap(),
        user.id,
        &instagram("ig-5"),
        None,
    )
    .await
    .unwrap();
    unlink_provider(
        &mut pool.acquire().await.unwrap(),
        user.id,
        LoginProvider::Google,
        None,
    )
    .await
    .unwrap();
    assert!(matches!(
        unlink_provider(
            &mut pool.acquire().await.unwrap(),
            user.id,
            LoginProvider::Google,
            None
        )
        .await,
        Err(AccountError::NotFound)
    ));
    assert!(matches!(
        unlink_provider(
            &mut pool.acquire().await.unwrap(),
            user.id,
            LoginProvider::Instagram,
            None
        )
        .await,
        Err(AccountError::LastLoginMethod)
    ));
    assert!(actions(&pool).await.contains(&"oauth.unlink".to_owned()));
}

#[sqlx::test(migrations = false)]
async fn a_locked_account_cannot_sign_in_through_a_provider(pool: PgPool) {
    gd_db::migrate(&pool).await.unwrap();
    let (user, _) = sign_in_with_provider(
        &mut pool.acquire().await.unwrap(),
        &google("g-6", Some("gone@example.com")),
        Locale::De,
        None,
    )
    .await
    .unwrap();
    request_deletion(&mut pool.acquire().await.unwrap(), user.id)
        .await
        .unwrap();
    assert!(matches!(
        sign_in_with_provider(
            &mut pool.acquire().await.unwrap(),
            &google("g-6", Some("gone@example.com")),
            Locale::De,
            None
        )
        .await,
        Err(AccountError::Locked)
    ));
}
