//! webhook-verify: Meta's subscription handshake,
//! `GET /webhooks/facebook/{account_id}?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C`.

use crate::clock::Clock;
use crate::ids::AccountId;
use crate::ports::{AccountStore, StoreError};
use crate::problem::Problem;
use crate::problem::Status;
use crate::secret::matches_sha256_hex;
use std::sync::Arc;

#[derive(Clone)]
pub struct VerifyDeps {
    pub accounts: Arc<dyn AccountStore>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("no channel account {0:?}")]
    UnknownAccount(String),
    #[error("hub.mode must be \"subscribe\"")]
    NotSubscribe,
    #[error("hub.verify_token does not match this account's verify token")]
    TokenMismatch,
    #[error("hub.challenge is missing or longer than 256 characters")]
    BadChallenge,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<VerifyError> for Problem {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::UnknownAccount(_) => Problem::not_found(e.to_string()),
            VerifyError::NotSubscribe | VerifyError::TokenMismatch | VerifyError::BadChallenge => {
                Problem::new(
                    Status::FORBIDDEN,
                    "verification_failed",
                    "Verification failed",
                    e.to_string(),
                )
            }
            VerifyError::Store(s) => s.into(),
        }
    }
}

/// Check a verification request; on success return the challenge to echo
/// and record the time on the account.
pub async fn verify_webhook(
    deps: &VerifyDeps,
    account_id: &str,
    query: &str,
) -> Result<String, VerifyError> {
    let id = AccountId::parse(account_id)
        .map_err(|_| VerifyError::UnknownAccount(account_id.to_string()))?;
    let account = deps
        .accounts
        .get_account(&id)
        .await?
        .ok_or_else(|| VerifyError::UnknownAccount(account_id.to_string()))?;
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "hub.mode" => mode = Some(v.into_owned()),
            "hub.verify_token" => token = Some(v.into_owned()),
            "hub.challenge" => challenge = Some(v.into_owned()),
            _ => {}
        }
    }
    if mode.as_deref() != Some("subscribe") {
        return Err(VerifyError::NotSubscribe);
    }
    let token = token.unwrap_or_default();
    if !matches_sha256_hex(&token, &account.verify_token_sha256) {
        return Err(VerifyError::TokenMismatch);
    }
    let challenge = challenge
        .filter(|c| !c.is_empty() && c.len() <= 256)
        .ok_or(VerifyError::BadChallenge)?;
    deps.accounts
        .mark_webhook_verified(&id, deps.clock.now())
        .await?;
    tracing::info!(account_id = %id, "webhook verified by Meta");
    Ok(challenge)
}
