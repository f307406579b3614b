//! Where a page's token and an account's app secret are found: the secrets
//! port, under the name the store records for them (`ports::page_token_name`,
//! `ports::app_secret_name`).

use crate::ids::PageId;
use crate::ports::{Account, AccountStore, SecretError, SecretStore};
use crate::problem::Problem;
use crate::secret::Secret;

/// A page's access token from the secrets port (`None`: the page has none).
pub async fn page_token(
    accounts: &dyn AccountStore,
    secrets: &dyn SecretStore,
    page: &PageId,
) -> Result<Option<Secret>, Problem> {
    match accounts
        .get_page(page)
        .await?
        .and_then(|p| p.access_token_ref)
    {
        Some(name) => secrets
            .get(&name)
            .await
            .map_err(|e| Problem::unavailable(e.to_string())),
        None => Ok(None),
    }
}

/// The account's app secret, from the secrets port.
pub async fn app_secret(secrets: &dyn SecretStore, account: &Account) -> Result<Secret, Problem> {
    secrets
        .get(&account.app_secret_ref)
        .await
        .map_err(secrets_down)?
        .ok_or_else(|| {
            Problem::internal("the account's app secret is missing; set it again with PATCH")
        })
}

/// The secrets port failed: logged, and answered as "nothing was changed".
pub fn secrets_down(e: SecretError) -> Problem {
    tracing::error!(error = %e, "secret store unavailable");
    Problem::unavailable("the secret store is unavailable; nothing was changed, try again shortly")
}
