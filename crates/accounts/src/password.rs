//! The password policy (OWASP ASVS 5: at least 8 characters, 15 encouraged, up to 128 allowed,
//! no composition rules, nothing a guesser tries first) and Argon2id hashing.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::AccountError;

/// Why a password is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PasswordProblem {
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// Found in zxcvbn's lists of common passwords, names and patterns, or built from the
    /// person's own email address.
    TooCommon,
}

impl From<PasswordProblem> for gd_common::Problem {
    fn from(p: PasswordProblem) -> Self {
        use gd_common::{IssueCode, Problem};
        match p {
            PasswordProblem::TooShort { min } => Problem::too_short(min),
            PasswordProblem::TooLong { max } => Problem::too_long(max),
            PasswordProblem::TooCommon => Problem::new(IssueCode::TooCommon),
        }
    }
}

/// A password that passed the policy. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub const MIN: usize = 8;
    pub const RECOMMENDED: usize = 15;
    pub const MAX: usize = 128;

    /// `related` are words the person's own details give away (their email address).
    pub fn parse(s: &str, related: &[&str]) -> Result<Self, PasswordProblem> {
        let length = s.chars().count();
        if length < Self::MIN {
            return Err(PasswordProblem::TooShort { min: Self::MIN });
        }
        if length > Self::MAX {
            return Err(PasswordProblem::TooLong { max: Self::MAX });
        }
        // zxcvbn scores 0–4; 0 and 1 mean "guessable within about a million tries".
        if u8::from(zxcvbn::zxcvbn(s, related).score()) < 2 {
            return Err(PasswordProblem::TooCommon);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Argon2id with m = 19 MiB, t = 2, p = 1 (the OWASP minimum).
fn argon2() -> Result<Argon2<'static>, AccountError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| AccountError::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes on a blocking thread (Argon2 takes tens of milliseconds of CPU on purpose).
pub async fn hash_password(password: &Password) -> Result<String, AccountError> {
    let secret = password.0.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()?
            .hash_password(secret.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Hashing(e.to_string()))?
}

/// A valid hash of a random password: checking against it when an account does not exist
/// makes "unknown email" take as long as "wrong password".
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$5l2fvGTQy0yVtTRdNEHGSp8q3yfGgtzM+Pc1tdtE6oE";

/// True when `candidate` matches `hash`. With no hash (unknown account, or no password set)
/// it spends the same time and says no.
pub async fn verify_password(hash: Option<String>, candidate: &str) -> bool {
    let candidate = candidate.to_owned();
    let exists = hash.is_some();
    let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        let Ok(hasher) = argon2() else {
            return false;
        };
        hasher
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok()
            && exists
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert_eq!(
            Password::parse("kurz", &[]),
            Err(PasswordProblem::TooShort { min: 8 })
        );
        assert_eq!(
            Password::parse(&"x".repeat(129), &[]),
            Err(PasswordProblem::TooLong { max: 128 })
        );
        // 64 characters must be allowed.
        assert!(Password::parse(
            &"Lange Sätze sind gute Passwörter, sagt das BSI. ".repeat(2)[..64],
            &[]
        )
        .is_ok());
        for common in [
            "password",
            "12345678",
            "qwertzuiop",
            "Passwort1",
            "iloveyou1",
        ] {
            assert_eq!(
                Password::parse(common, &[]),
                Err(PasswordProblem::TooCommon),
                "{common}"
            );
        }
        // No composition rules: a long lower-case phrase is fine.
        assert!(Password::parse("pferd batterie heftklammer richtig", &[]).is_ok());
        // The person's own email is no password.
        assert_eq!(
            Password::parse("anna.schmidt@example.de", &["anna.schmidt@example.de"]),
            Err(PasswordProblem::TooCommon)
        );
    }

    #[test]
    fn debug_output_hides_the_password() {
        let p = Password::parse("pferd batterie heftklammer richtig", &[]).unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_owasp_minimum_and_verify() {
        let p = Password::parse("pferd batterie heftklammer richtig", &[]).unwrap();
        let hash = hash_password(&p).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(Some(hash.clone()), p.expose()).await);
        assert!(!verify_password(Some(hash.clone()), "pferd batterie heftklammer falsch").await);
        assert_ne!(hash, hash_password(&p).await.unwrap(), "salted");
    }

    #[tokio::test]
    async fn no_hash_never_verifies_even_the_dummys_password() {
        assert!(!verify_password(None, "anything at all").await);
        assert!(
            PasswordHash::new(DUMMY_HASH).is_ok(),
            "the dummy hash must parse, or timing differs"
        );
    }
}
