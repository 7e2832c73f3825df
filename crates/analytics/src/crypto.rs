//! Clients' tokens sealed at rest: ChaCha20-Poly1305 with the key from `ANALYTICS_TOKEN_KEY`,
//! a fresh nonce each time, and the account's id as associated data (a sealed token copied to
//! another account's row does not open).

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use uuid::Uuid;

use crate::AnalyticsError;

const NONCE_LEN: usize = 12;

/// The key tokens are sealed with. Never printed.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl TokenKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn from_config(config: &gd_config::Config) -> Self {
        Self(*config.analytics_token_key.expose())
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }

    /// `token` sealed for the account `account`: nonce ‖ ciphertext.
    pub fn seal(&self, account: Uuid, token: &str) -> Result<Vec<u8>, AnalyticsError> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: token.as_bytes(),
                    aad: account.as_bytes(),
                },
            )
            .map_err(|_| AnalyticsError::Token("cannot seal the token".into()))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// The token sealed for `account`.
    pub fn open(&self, account: Uuid, stored: &[u8]) -> Result<String, AnalyticsError> {
        if stored.len() <= NONCE_LEN {
            return Err(AnalyticsError::Token(
                "the sealed token is too short".into(),
            ));
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let plain = self
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: account.as_bytes(),
                },
            )
            .map_err(|_| {
                AnalyticsError::Token("cannot open the token (wrong ANALYTICS_TOKEN_KEY?)".into())
            })?;
        String::from_utf8(plain).map_err(|_| AnalyticsError::Token("not text".into()))
    }
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_tokens_open_only_for_their_account_and_key() {
        let key = TokenKey::new([3; 32]);
        let account = Uuid::new_v4();
        let sealed = key.seal(account, "IGAAT-secret").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"IGAAT-"));
        assert_eq!(key.open(account, &sealed).unwrap(), "IGAAT-secret");
        assert_ne!(
            key.seal(account, "IGAAT-secret").unwrap(),
            sealed,
            "fresh nonce"
        );
        assert!(key.open(Uuid::new_v4(), &sealed).is_err());
        assert!(TokenKey::new([4; 32]).open(account, &sealed).is_err());
        assert!(key.open(account, &sealed[..10]).is_err());
    }
}
