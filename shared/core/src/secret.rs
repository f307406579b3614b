//! A wrapper for secret values (app secrets, page tokens, verify tokens,
//! bearer tokens) that never prints: `Debug` shows a placeholder, there is no
//! `Display` and no `Serialize`, so a secret cannot reach a log line or an
//! API response by accident. Code that must use the value calls `expose`.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value itself. Use only where the value is needed (a MAC
    /// key, an outgoing request), never to format a message.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Lowercase hex SHA-256 of the value: what is stored for secrets that
    /// only ever need comparing (verify tokens, bearer tokens).
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    /// Constant-time equality with another secret value.
    pub fn ct_eq(&self, other: &str) -> bool {
        // Compare digests so that the lengths do not leak either.
        let a = Sha256::digest(self.0.as_bytes());
        let b = Sha256::digest(other.as_bytes());
        a.ct_eq(&b).into()
    }

    /// A random token of `len` characters from `[A-Za-z0-9]`.
    pub fn generate(len: usize) -> Self {
        use rand::Rng;
        use rand::distr::Alphanumeric;
        let s: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(len)
            .map(char::from)
            .collect();
        Self(s)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Constant-time comparison of a presented value with a stored SHA-256 hex digest.
pub fn matches_sha256_hex(presented: &str, stored_hex: &str) -> bool {
    let Ok(stored) = hex::decode(stored_hex) else {
        return false;
    };
    let digest = Sha256::digest(presented.as_bytes());
    if stored.len() != digest.len() {
        return false;
    }
    digest.as_slice().ct_eq(&stored).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret");
        let shown = format!("{s:?} {:?}", Some(&s));
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn generated_tokens_are_long_and_distinct() {
        let a = Secret::generate(40);
        let b = Secret::generate(40);
        assert_eq!(a.expose().len(), 40);
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn hashed_comparison() {
        let s = Secret::new("verify-me");
        let h = s.sha256_hex();
        assert!(matches_sha256_hex("verify-me", &h));
        assert!(!matches_sha256_hex("verify-mE", &h));
        assert!(!matches_sha256_hex("verify-me", "zz"));
        assert!(s.ct_eq("verify-me"));
        assert!(!s.ct_eq("verify-m"));
    }
}
