//! Meta's webhook signatures: `X-Hub-Signature-256: sha256=<hex>`, an
//! HMAC-SHA256 of the exact request bytes keyed with the app secret.
//!
//! The check runs over the raw body as received (API Gateway's base64 is
//! decoded before this point, JSON is never re-serialised), compares in
//! constant time (`Mac::verify_slice`), accepts hex in either case, and
//! refuses a delivery that carries only the legacy SHA-1 header.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const SIGNATURE_256_HEADER: &str = "x-hub-signature-256";
pub const SIGNATURE_SHA1_HEADER: &str = "x-hub-signature";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error(
        "only the legacy SHA-1 X-Hub-Signature header was sent; X-Hub-Signature-256 is required"
    )]
    Sha1Only,
    #[error("the X-Hub-Signature-256 header is not of the form sha256=<hex>")]
    Malformed,
    #[error("the signature does not match the body and the app secret")]
    Mismatch,
}

/// Verify a delivery. `sig256` is the value of `X-Hub-Signature-256` if
/// present; `sha1_present` tells whether the legacy header was sent.
pub fn verify(
    app_secret: &[u8],
    body: &[u8],
    sig256: Option<&str>,
    sha1_present: bool,
) -> Result<(), SignatureError> {
    let Some(header) = sig256 else {
        return Err(if sha1_present {
            SignatureError::Sha1Only
        } else {
            SignatureError::Missing
        });
    };
    let hex_part = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    if hex_part.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let expected = hex::decode(hex_part).map_err(|_| SignatureError::Malformed)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret).map_err(|_| SignatureError::Mismatch)?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The header value Meta would send for `body` (used by `simulate` and tests).
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(app_secret) {
        Ok(m) => m,
        // HMAC accepts keys of any length; this branch cannot be taken.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret-for-tests";
    const BODY: &[u8] = br#"{"object":"page","entry":[]}"#;

    #[test]
    fn good_signature_passes() {
        let sig = sign(SECRET, BODY);
        assert_eq!(verify(SECRET, BODY, Some(&sig), false), Ok(()));
    }

    #[test]
    fn wrong_secret_fails() {
        let sig = sign(b"another-secret", BODY);
        assert_eq!(
            verify(SECRET, BODY, Some(&sig), false),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn altered_body_fails() {
        let sig = sign(SECRET, BODY);
        let altered = br#"{"object":"page","entry":[ ]}"#;
        assert_eq!(
            verify(SECRET, altered, Some(&sig), false),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_header_fails() {
        assert_eq!(
            verify(SECRET, BODY, None, false),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn sha1_only_is_refused() {
        assert_eq!(
            verify(SECRET, BODY, None, true),
            Err(SignatureError::Sha1Only)
        );
    }

    #[test]
    fn uppercase_hex_is_the_same_mac() {
        let sig = sign(SECRET, BODY);
        let upper = format!("sha256={}", sig["sha256=".len()..].to_uppercase());
        assert_eq!(verify(SECRET, BODY, Some(&upper), false), Ok(()));
    }

    #[test]
    fn malformed_headers_fail() {
        for h in [
            "sha1=abcd",
            "sha256=",
            "sha256=zz",
            "deadbeef",
            &format!("sha256={}", "0".repeat(63)),
        ] {
            assert_eq!(
                verify(SECRET, BODY, Some(h), false),
                Err(SignatureError::Malformed),
                "{h}"
            );
        }
    }

    #[test]
    fn unicode_escapes_are_signed_as_sent() {
        let body = br#"{"text":"tr\u00f8je"}"#;
        let sig = sign(SECRET, body);
        let decoded = "{\"text\":\"tr\u{f8}je\"}";
        assert_eq!(verify(SECRET, body, Some(&sig), false), Ok(()));
        assert_eq!(
            verify(SECRET, decoded.as_bytes(), Some(&sig), false),
            Err(SignatureError::Mismatch)
        );
    }
}
