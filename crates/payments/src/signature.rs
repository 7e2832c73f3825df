//! Stripe's webhook signature: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`,
//! where each `v1` is HMAC-SHA256 over `"<t>.<raw body>"` with one of the endpoint's secrets.
//! During a secret rotation Stripe sends one `v1` per active secret, and we may hold both the
//! old and the new secret: any match of any pair is enough. Other schemes (`v0`, test-only)
//! are ignored, as Stripe's own libraries do.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How old a signed timestamp may be (and how far in the future), in seconds: Stripe's default.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a delivery was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header has no timestamp or no v1 signature")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("no signature matches the payload")]
    Mismatch,
}

/// The header value Stripe would send for `payload` signed with `secret` at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(digest(secret, timestamp, payload))
    )
}

/// Checks `header` (the `Stripe-Signature` value, if any) against the raw `payload` with any
/// of `secrets`, at `now` (unix seconds).
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secrets: &[&str],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => timestamp = value.parse::<i64>().ok(),
            "v1" => {
                if let Ok(bytes) = hex::decode(value) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    // Checked before the signature, as Stripe's libraries do, so that a replayed old delivery
    // is called what it is.
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let matches = secrets.iter().any(|secret| {
        let expected = digest(secret, timestamp, payload);
        signatures
            .iter()
            .any(|given| bool::from(given.as_slice().ct_eq(expected.as_slice())))
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn digest(secret: &str, timestamp: i64, payload: &[u8]) -> Vec<u8> {
    // HMAC accepts a key of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;

    #[test]
    fn a_known_vector_matches_stripes_scheme() {
        // HMAC-SHA256("whsec_test_secret", "1700000000.{body}") computed independently
        // (Python: hmac.new(key, msg, hashlib.sha256).hexdigest()).
        let header = sign(SECRET, 1_700_000_000, BODY);
        assert_eq!(
            header,
            "t=1700000000,v1=a13d4b1f9003bc2fb6c06224e878b6056185eaa50d40e1e7dc05517f8af41d7b"
        );
    }

    #[test]
    fn a_good_signature_passes() {
        let header = sign(SECRET, 1_700_000_000, BODY);
        assert_eq!(
            verify(Some(&header), BODY, &[SECRET], 1_700_000_100),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_or_wrong_secret_fails() {
        let header = sign(SECRET, 1_700_000_000, BODY);
        assert_eq!(
            verify(Some(&header), b"{}", &[SECRET], 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header), BODY, &["whsec_other"], 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn an_old_or_future_timestamp_is_stale() {
        let header = sign(SECRET, 1_700_000_000, BODY);
        assert_eq!(
            verify(Some(&header), BODY, &[SECRET], 1_700_000_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(Some(&header), BODY, &[SECRET], 1_699_999_699),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(Some(&header), BODY, &[SECRET], 1_700_000_300),
            Ok(())
        );
    }

    #[test]
    fn during_a_rotation_any_signature_with_any_secret_passes() {
        let old = sign("whsec_old", 1_700_000_000, BODY);
        let new = sign("whsec_new", 1_700_000_000, BODY);
        let new_v1 = new.split_once(",v1=").map(|(_, v)| v).unwrap_or_default();
        // Stripe sends both signatures while both secrets are active.
        let both = format!("{old},v1={new_v1},v0=ignored");
        assert_eq!(
            verify(Some(&both), BODY, &["whsec_new"], 1_700_000_000),
            Ok(())
        );
        assert_eq!(
            verify(Some(&both), BODY, &["whsec_old"], 1_700_000_000),
            Ok(())
        );
        // We hold both secrets; Stripe already signs with the new one only.
        assert_eq!(
            verify(Some(&new), BODY, &["whsec_old", "whsec_new"], 1_700_000_000),
            Ok(())
        );
    }

    #[test]
    fn a_missing_or_malformed_header_is_refused() {
        assert_eq!(
            verify(None, BODY, &[SECRET], 0),
            Err(SignatureError::Missing)
        );
        for header in [
            "",
            "t=1700000000",
            "v1=abcd",
            "t=soon,v1=abcd",
            "t=1700000000,v1=zz",
        ] {
            assert_eq!(
                verify(Some(header), BODY, &[SECRET], 1_700_000_000),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
    }
}
