//! Two-factor sign-in: TOTP (RFC 6238: SHA-1, six digits, 30-second steps, one step of clock
//! drift either way) with single-use recovery codes.
//!
//! The secret is stored encrypted (ChaCha20-Poly1305, key from configuration, the account's id
//! as associated data, so a row copied to another account does not decrypt); recovery codes
//! only as SHA-256 (they carry 50 random bits each, far beyond guessing at our rate limits).
//! A code is accepted once: the step it was made for is recorded, and an older or equal step
//! is refused, also when two requests race.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection};
use totp_rs::{Algorithm, TOTP};
use uuid::Uuid;

use crate::{record, AccountError, AuditEvent, Role};

/// What authenticator apps show above the code.
pub const ISSUER: &str = "Growthdesk";
/// How many recovery codes a person gets at a time.
pub const RECOVERY_CODES: usize = 10;
const STEP_SECS: u64 = 30;

/// The key that encrypts TOTP secrets (32 bytes). Never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

/// What a person needs to set up their authenticator app.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// The secret in base32, for typing it in by hand.
    pub secret_base32: String,
    /// `otpauth://totp/…`, the content of the QR code.
    pub otpauth_url: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(***)")
    }
}

/// Which second factor a sign-in used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Totp,
    /// A recovery code, now used up; `left` remain.
    RecoveryCode {
        left: i64,
    },
}

/// A person's two-factor state, for account settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwoFactorStatus {
    pub enabled: bool,
    pub recovery_codes_left: i64,
}

fn totp(secret: Vec<u8>, account: &str) -> Result<TOTP, AccountError> {
    // Authenticator apps split the label at ':'; an address never needs one.
    let account = account.replace(':', "");
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        secret,
        Some(ISSUER.to_owned()),
        account,
    )
    .map_err(|e| AccountError::TwoFactor(e.to_string()))
}

fn encrypt(key: &SecretKey, user: Uuid, secret: &[u8]) -> Result<Vec<u8>, AccountError> {
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut nonce);
    let sealed = key
        .cipher()
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: secret,
                aad: user.as_bytes(),
            },
        )
        .map_err(|_| AccountError::TwoFactor("cannot encrypt the secret".into()))?;
    Ok([nonce.as_slice(), &sealed].concat())
}

fn decrypt(key: &SecretKey, user: Uuid, stored: &[u8]) -> Result<Vec<u8>, AccountError> {
    if stored.len() < 12 {
        return Err(AccountError::TwoFactor("stored secret is too short".into()));
    }
    let (nonce, sealed) = stored.split_at(12);
    key.cipher()
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: user.as_bytes(),
            },
        )
        .map_err(|_| {
            AccountError::TwoFactor("cannot decrypt the secret (wrong TWO_FACTOR_KEY?)".into())
        })
}

/// The step a six-digit `code` was made for, if it matches one within the allowed drift.
fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now / STEP_SECS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| totp.generate(step * STEP_SECS) == code)
        .and_then(|step| i64::try_from(step).ok())
}

fn recovery_hash(code: &str) -> Vec<u8> {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normalized.as_bytes()).to_vec()
}

/// Ten random characters (50 bits) from an alphabet without look-alikes, as `xxxxx-xxxxx`.
fn new_recovery_code() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz023456789";
    let mut bytes = [0u8; 10];
    OsRng.fill_bytes(&mut bytes);
    let chars: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// Starts (or restarts) setting up an authenticator for `user`: a new secret, not yet in
/// force. Refused while two-factor sign-in is on (turn it off first).
pub async fn start_enrolment(
    conn: &mut PgConnection,
    key: &SecretKey,
    user: Uuid,
    account: &str,
) -> Result<Enrolment, AccountError> {
    let mut secret = vec![0u8; 20];
    OsRng.fill_bytes(&mut secret);
    let totp = totp(secret.clone(), account)?;
    let stored = encrypt(key, user, &secret)?;
    let written = sqlx::query!(
        "INSERT INTO user_totp (user_id, secret_enc) VALUES ($1, $2)
         ON CONFLICT (user_id) DO UPDATE SET secret_enc = $2, created_at = now(), last_step = NULL
         WHERE user_totp.confirmed_at IS NULL",
        user,
        stored
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        AccountError::on_constraint(e, crate::Constraint::ForeignKey, AccountError::NotFound)
    })?
    .rows_affected();
    if written == 0 {
        return Err(AccountError::TwoFactorAlreadyOn);
    }
    Ok(Enrolment {
        secret_base32: totp.get_secret_base32(),
        otpauth_url: totp.get_url(),
    })
}

/// Puts two-factor sign-in in force once the person shows a first code from their
/// authenticator; returns the recovery codes, which are shown this once.
pub async fn confirm_enrolment(
    conn: &mut PgConnection,
    key: &SecretKey,
    user: Uuid,
    code: &str,
    now: u64,
) -> Result<Vec<String>, AccountError> {
    let mut tx = conn.begin().await?;
    let pending: Option<Vec<u8>> = sqlx::query_scalar!(
        "SELECT secret_enc FROM user_totp WHERE user_id = $1 AND confirmed_at IS NULL FOR UPDATE",
        user
    )
    .fetch_optional(&mut *tx)
    .await?;
    let stored = pending.ok_or(AccountError::NotEnrolling)?;
    let totp = totp(decrypt(key, user, &stored)?, "")?;
    let step = matching_step(&totp, code, now).ok_or(AccountError::InvalidCode)?;
    // Sessions that never passed a second factor end here: from now on, every sign-in asks for it.
    sqlx::query!(
        "UPDATE users SET sessions_valid_after = now() WHERE id = $1",
        user
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE user_totp SET confirmed_at = now(), last_step = $2 WHERE user_id = $1",
        user,
        step
    )
    .execute(&mut *tx)
    .await?;
    let codes = replace_recovery_codes(&mut tx, user).await?;
    crate::mails::notify_change(&mut tx, user, crate::SecurityChange::TwoFactorOn).await?;
    record(&mut tx, &AuditEvent::own("2fa.enable", user)).await?;
    tx.commit().await?;
    Ok(codes)
}

async fn replace_recovery_codes(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<String>, AccountError> {
    sqlx::query!("DELETE FROM user_recovery_codes WHERE user_id = $1", user)
        .execute(&mut *conn)
        .await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_hash(c)).collect();
    sqlx::query!(
        "INSERT INTO user_recovery_codes (user_id, code_hash)
         SELECT $1, h FROM unnest($2::bytea[]) AS h ON CONFLICT DO NOTHING",
        user,
        &hashes
    )
    .execute(&mut *conn)
    .await?;
    Ok(codes)
}

/// New recovery codes; the old ones stop working. Only with two-factor sign-in on.
pub async fn new_recovery_codes(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<String>, AccountError> {
    let mut tx = conn.begin().await?;
    if !two_factor_status(&mut tx, user).await?.enabled {
        return Err(AccountError::NotEnrolling);
    }
    let codes = replace_recovery_codes(&mut tx, user).await?;
    record(&mut tx, &AuditEvent::own("2fa.recovery_codes", user)).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Checks the second factor of a sign-in (or a re-authentication): a code from the
/// authenticator, or a recovery code, which is used up. Every outcome is audited.
pub async fn check_second_factor(
    conn: &mut PgConnection,
    key: &SecretKey,
    user: Uuid,
    code: &str,
    now: u64,
    ip: Option<String>,
) -> Result<SecondFactor, AccountError> {
    let stored: Option<Vec<u8>> = sqlx::query_scalar!(
        "SELECT secret_enc FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL",
        user
    )
    .fetch_optional(&mut *conn)
    .await?;
    let stored = stored.ok_or(AccountError::NotEnrolling)?;
    let totp = totp(decrypt(key, user, &stored)?, "")?;
    let outcome = match matching_step(&totp, code, now) {
        Some(step) => {
            // Only a step newer than the last accepted one: a code works once, also when two
            // requests race (the row is the arbiter).
            let fresh = sqlx::query!(
                "UPDATE user_totp SET last_step = $2
                 WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)",
                user,
                step
            )
            .execute(&mut *conn)
            .await?
            .rows_affected();
            (fresh == 1).then_some(SecondFactor::Totp)
        }
        None => {
            let used = sqlx::query!(
                "UPDATE user_recovery_codes SET used_at = now()
                 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                user,
                recovery_hash(code)
            )
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if used == 1 {
                let left = two_factor_status(conn, user).await?.recovery_codes_left;
                Some(SecondFactor::RecoveryCode { left })
            } else {
                None
            }
        }
    };
    let (action, details) = match outcome {
        Some(SecondFactor::Totp) => ("2fa.success", serde_json::json!({ "with": "totp" })),
        Some(SecondFactor::RecoveryCode { left }) => (
            "2fa.success",
            serde_json::json!({ "with": "recovery_code", "left": left }),
        ),
        None => ("2fa.failure", serde_json::json!({})),
    };
    record(conn, &AuditEvent::own(action, user).ip(ip).details(details)).await?;
    outcome.ok_or(AccountError::InvalidCode)
}

/// Turns two-factor sign-in off (the secret and the recovery codes are deleted). Refused for
/// admins and finance staff, who must keep it.
pub async fn disable_two_factor(conn: &mut PgConnection, user: Uuid) -> Result<(), AccountError> {
    let mut tx = conn.begin().await?;
    let roles: Vec<String> =
        sqlx::query_scalar!("SELECT role FROM user_roles WHERE user_id = $1", user)
            .fetch_all(&mut *tx)
            .await?;
    if roles
        .iter()
        .filter_map(|r| Role::parse(r))
        .any(Role::needs_two_factor)
    {
        return Err(AccountError::TwoFactorRequired);
    }
    let removed = sqlx::query!("DELETE FROM user_totp WHERE user_id = $1", user)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query!("DELETE FROM user_recovery_codes WHERE user_id = $1", user)
        .execute(&mut *tx)
        .await?;
    if removed > 0 {
        crate::mails::notify_change(&mut tx, user, crate::SecurityChange::TwoFactorOff).await?;
        record(&mut tx, &AuditEvent::own("2fa.disable", user)).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn two_factor_status(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<TwoFactorStatus, AccountError> {
    let row = sqlx::query!(
        r#"SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL)
                      AS "enabled!",
                  (SELECT count(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL)
                      AS "left!""#,
        user
    )
    .fetch_one(conn)
    .await?;
    let (enabled, left) = (row.enabled, row.left);
    Ok(TwoFactorStatus {
        enabled,
        recovery_codes_left: left,
    })
}

/// The code an authenticator shows at `unix_time` for `secret_base32`: for tests and tools
/// that stand in for a person's phone.
pub fn code_at(secret_base32: &str, unix_time: u64) -> Result<String, AccountError> {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|e| AccountError::TwoFactor(format!("{e:?}")))?;
    Ok(totp(secret, "")?.generate(unix_time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_only_for_their_account() {
        let key = SecretKey::new([7; 32]);
        let (anna, ben) = (Uuid::now_v7(), Uuid::now_v7());
        let sealed = encrypt(&key, anna, b"twenty bytes secret!").unwrap();
        assert_eq!(
            decrypt(&key, anna, &sealed).unwrap(),
            b"twenty bytes secret!"
        );
        assert!(decrypt(&key, ben, &sealed).is_err(), "bound to the account");
        assert!(decrypt(&SecretKey::new([8; 32]), anna, &sealed).is_err());
        assert_ne!(
            sealed,
            encrypt(&key, anna, b"twenty bytes secret!").unwrap(),
            "a new nonce each time"
        );
    }

    #[test]
    fn codes_match_within_one_step_of_drift() {
        let totp = totp(vec![1; 20], "anna@example.de").unwrap();
        let t = 1_800_000_000;
        let code = totp.generate(t);
        let step = (t / 30) as i64;
        assert_eq!(matching_step(&totp, &code, t), Some(step));
        assert_eq!(matching_step(&totp, &code, t + 30), Some(step));
        assert_eq!(matching_step(&totp, &code, t - 30), Some(step));
        assert_eq!(matching_step(&totp, &code, t + 90), None);
        assert_eq!(matching_step(&totp, "12345", t), None);
        assert_eq!(matching_step(&totp, "abcdef", t), None);
        assert!(totp
            .get_url()
            .starts_with("otpauth://totp/Growthdesk:anna%40example.de?"));
    }

    #[test]
    fn recovery_codes_are_long_and_forgiving_to_type() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
        assert_eq!(
            recovery_hash(&code),
            recovery_hash(&format!(" {} ", code.to_uppercase().replace('-', "")))
        );
        assert_ne!(new_recovery_code(), new_recovery_code());
    }

    #[test]
    fn debug_output_hides_keys_and_secrets() {
        assert_eq!(format!("{:?}", SecretKey::new([1; 32])), "SecretKey(***)");
    }
}
