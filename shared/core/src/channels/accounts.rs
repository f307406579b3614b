//! Channel accounts (one Facebook app each): their views, inputs, and
//! create, read, update and delete.

use super::pages::remove_page_of;
use super::{
    ChannelDeps, VERIFY_TOKEN_LEN, callback_url, check_secret, check_verify_token, clean_name,
    conflict, live_pages, load_account, slug,
};
use crate::ids::{AccountId, AppId};
use crate::ports::{Account, StoreError, WriteMode, app_secret_name};
use crate::problem::Problem;
use crate::secret::Secret;
use crate::secret_lookup::secrets_down;
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};

/// An account as the API shows it: never its app secret, and the verify
/// token only in the response that created it.
#[derive(Debug, Serialize)]
pub struct AccountView {
    pub id: AccountId,
    pub name: String,
    pub app_id: AppId,
    pub callback_url: String,
    /// Meta's data-deletion callback ([`crate::privacy::deletion`]), set
    /// in the app's settings beside the callback URL.
    pub data_deletion_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
    #[serde(with = "time::rfc3339::option")]
    pub webhook_verified_at: Option<Millis>,
    #[serde(with = "time::rfc3339")]
    pub created_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
}

impl AccountView {
    fn of(deps: &ChannelDeps, a: &Account) -> Self {
        Self {
            id: a.id.clone(),
            name: a.name.clone(),
            app_id: a.app_id.clone(),
            callback_url: callback_url(deps, &a.id),
            data_deletion_url: format!("{}/data-deletion", callback_url(deps, &a.id)),
            verify_token: None,
            webhook_verified_at: a.webhook_verified_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub id: Option<AccountId>,
    pub name: String,
    pub app_id: AppId,
    pub app_secret: Secret,
    /// Optional: generated (and shown once) when absent.
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub verify_token: Option<Secret>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub app_id: Option<AppId>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub app_secret: Option<Secret>,
}

pub async fn create_account(deps: &ChannelDeps, input: NewAccount) -> Result<AccountView, Problem> {
    let name = clean_name(&input.name)?;
    check_secret(&input.app_secret, "invalid_app_secret", "app_secret")?;
    let id = match input.id {
        Some(id) => id,
        None => AccountId::parse(slug(&input.name))?,
    };
    if deps.accounts.get_account(&id).await?.is_some() {
        return Err(conflict(format!(
            "an account {id} exists already; choose another id"
        )));
    }
    let verify_token = match input.verify_token {
        Some(t) => {
            check_verify_token(&t)?;
            t
        }
        None => Secret::generate(VERIFY_TOKEN_LEN),
    };
    let now = deps.clock.now();
    let secret_ref = app_secret_name(&id);
    deps.secrets
        .put(&secret_ref, &input.app_secret)
        .await
        .map_err(secrets_down)?;
    let account = Account {
        id: id.clone(),
        name,
        app_id: input.app_id,
        app_secret_ref: secret_ref,
        verify_token_sha256: verify_token.sha256_hex(),
        created_at: now,
        updated_at: now,
        webhook_verified_at: None,
    };
    deps.accounts
        .put_account(&account, WriteMode::Create)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                conflict(format!("an account {id} exists already; choose another id"))
            }
            other => other.into(),
        })?;
    tracing::info!(account_id = %id, "channel account created");
    let mut view = AccountView::of(deps, &account);
    view.verify_token = Some(verify_token.expose().to_string());
    Ok(view)
}

pub async fn list_accounts(deps: &ChannelDeps) -> Result<Vec<AccountView>, Problem> {
    Ok(deps
        .accounts
        .list_accounts()
        .await?
        .iter()
        .map(|a| AccountView::of(deps, a))
        .collect())
}

pub async fn get_account(deps: &ChannelDeps, id: &AccountId) -> Result<AccountView, Problem> {
    Ok(AccountView::of(deps, &load_account(deps, id).await?))
}

pub async fn update_account(
    deps: &ChannelDeps,
    id: &AccountId,
    patch: AccountPatch,
) -> Result<AccountView, Problem> {
    let mut account = load_account(deps, id).await?;
    if let Some(name) = patch.name {
        account.name = clean_name(&name)?;
    }
    if let Some(app_id) = patch.app_id {
        account.app_id = app_id;
    }
    if let Some(secret) = patch.app_secret {
        check_secret(&secret, "invalid_app_secret", "app_secret")?;
        deps.secrets
            .put(&account.app_secret_ref, &secret)
            .await
            .map_err(secrets_down)?;
    }
    account.updated_at = deps.clock.now();
    deps.accounts
        .put_account(&account, WriteMode::Upsert)
        .await?;
    Ok(AccountView::of(deps, &account))
}

/// Remove an account: each live page is removed first (unsubscribed, its
/// open conversations closed), then the account; history stays.
pub async fn delete_account(deps: &ChannelDeps, id: &AccountId) -> Result<(), Problem> {
    let account = load_account(deps, id).await?;
    for page in live_pages(deps.accounts.as_ref(), id).await? {
        remove_page_of(deps, &account, page).await?;
    }
    deps.accounts.delete_account(id).await?;
    if let Err(e) = deps.secrets.delete(&account.app_secret_ref).await {
        tracing::warn!(account_id = %id, error = %e, "the app secret could not be deleted; remove it by hand");
    }
    tracing::info!(account_id = %id, "channel account removed");
    Ok(())
}
