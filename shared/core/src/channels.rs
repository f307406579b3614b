//! Channel set-up, the administrator's side: channel accounts (one
//! Facebook app each) and their pages. Secrets go to the secrets port and
//! never come back out; a page is provisioned on the spot (token check,
//! subscription, read-back) and shows its state with a reason.

use crate::clock::Clock;
use crate::graph::GraphApi;
use crate::ids::{AccountId, AppId, PageId};
use crate::ports::{
    Account, AccountStore, ConversationFilter, ConversationState, ConversationStore, Page,
    RoutingConfigStore, RoutingStore, SecretStore, StoreError, WorkstreamStore, WriteMode,
    app_secret_name, page_token_name,
};
use crate::problem::Problem;
use crate::provisioning::{self, Provisioning, ProvisioningState, Target, TokenHealth};
use crate::routing::RoutingDeps;
use crate::routing::admin::{
    self as routing_admin, NewAgent, NewQueue, NewRuleset, check_distribution,
};
use crate::routing::model::Distribution;
use crate::secret::Secret;
use crate::time::{self, Millis};
use crate::workstreams::{AutomatedMessage, Features, Locale, Survey, Workstream, WorkstreamId};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Clone)]
pub struct ChannelDeps {
    pub accounts: Arc<dyn AccountStore>,
    pub conversations: Arc<dyn ConversationStore>,
    pub workstreams: Arc<dyn WorkstreamStore>,
    pub routing_config: Arc<dyn RoutingConfigStore>,
    pub routing: Arc<dyn RoutingStore>,
    pub secrets: Arc<dyn SecretStore>,
    pub graph: Arc<dyn GraphApi>,
    pub clock: Arc<dyn Clock>,
    pub outbound: Arc<dyn crate::ports::OutboundStore>,
    pub streams: Arc<dyn crate::ports::StreamStore>,
    /// The outbound queue the sender consumes (see `RoutingDeps::outbox`).
    pub outbox: Option<Arc<dyn crate::ports::Queue>>,
    /// Base of the generated callback URLs (`{public_url}/webhooks/facebook/{id}`).
    pub public_url: String,
}

impl ChannelDeps {
    /// The routing flows' view of the same stores.
    pub fn routing_deps(&self) -> RoutingDeps {
        RoutingDeps {
            conversations: self.conversations.clone(),
            workstreams: self.workstreams.clone(),
            config: self.routing_config.clone(),
            routing: self.routing.clone(),
            clock: self.clock.clone(),
            outbound: self.outbound.clone(),
            streams: self.streams.clone(),
            outbox: self.outbox.clone(),
            profiles: Some(crate::contacts::Profiles {
                graph: self.graph.clone(),
                secrets: self.secrets.clone(),
            }),
        }
    }
}

/// A page's access token from the secrets port (`None`: the page has none).
pub async fn page_token(deps: &ChannelDeps, page: &PageId) -> Result<Option<Secret>, Problem> {
    match deps
        .accounts
        .get_page(page)
        .await?
        .and_then(|p| p.access_token_ref)
    {
        Some(name) => deps
            .secrets
            .get(&name)
            .await
            .map_err(|e| Problem::unavailable(e.to_string())),
        None => Ok(None),
    }
}

/// Length of generated verify tokens.
pub const VERIFY_TOKEN_LEN: usize = 40;

fn callback_url(deps: &ChannelDeps, id: &AccountId) -> String {
    format!(
        "{}/webhooks/facebook/{id}",
        deps.public_url.trim_end_matches('/')
    )
}

fn secrets_down(e: crate::ports::SecretError) -> Problem {
    tracing::error!(error = %e, "secret store unavailable");
    Problem::unavailable("the secret store is unavailable; nothing was changed, try again shortly")
}

// ------------------------------------------------------------------ views

/// An account as the API shows it: never its app secret, and the verify
/// token only in the response that created it.
#[derive(Debug, Serialize)]
pub struct AccountView {
    pub id: AccountId,
    pub name: String,
    pub app_id: AppId,
    pub callback_url: String,
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
            verify_token: None,
            webhook_verified_at: a.webhook_verified_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PageView {
    pub page_id: PageId,
    pub account_id: AccountId,
    pub name: String,
    pub callback_url: String,
    pub provisioning: Provisioning,
    /// When Meta's webhook verification (GET) last arrived for the account.
    #[serde(with = "time::rfc3339::option")]
    pub webhook_verified_at: Option<Millis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenHealth>,
    #[serde(with = "time::rfc3339")]
    pub created_at: Millis,
    #[serde(with = "time::rfc3339")]
    pub updated_at: Millis,
}

impl PageView {
    fn of(deps: &ChannelDeps, p: &Page, account: Option<&Account>) -> Self {
        Self {
            page_id: p.page_id.clone(),
            account_id: p.account_id.clone(),
            name: p.name.clone(),
            callback_url: callback_url(deps, &p.account_id),
            provisioning: p.provisioning.clone(),
            webhook_verified_at: account.and_then(|a| a.webhook_verified_at),
            token: p.token.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

// ------------------------------------------------------------------ inputs

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPage {
    pub page_id: PageId,
    pub name: String,
    pub access_token: Secret,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub access_token: Secret,
}

/// A value the request carries in the right shape but cannot be used:
/// `422` with the rule (a malformed body is `400`).
fn require(cond: bool, code: &'static str, detail: &str) -> Result<(), Problem> {
    if cond {
        Ok(())
    } else {
        Err(invalid_value(code, detail))
    }
}

fn invalid_value(code: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        code,
        "Invalid value",
        detail,
    )
}

fn check_name(name: &str) -> Result<(), Problem> {
    require(
        !name.trim().is_empty() && name.len() <= 200,
        "invalid_name",
        "name must be 1 to 200 characters",
    )
}

/// A slug for an account id from its name, e.g. "Acme Facebook" -> "acme-facebook".
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let s: String = out.trim_end_matches('-').chars().take(48).collect();
    if s.is_empty() { "account".into() } else { s }
}

/// A secret (app secret, page token) is not empty or blank.
fn check_secret(v: &Secret, code: &'static str, what: &str) -> Result<(), Problem> {
    require(
        !v.expose().trim().is_empty(),
        code,
        &format!("{what} must not be empty or blank"),
    )
}

/// A verify token is 16 to 256 printable ASCII characters without spaces
/// (Meta echoes it in a query string).
fn check_verify_token(t: &Secret) -> Result<(), Problem> {
    let v = t.expose();
    require(
        (16..=256).contains(&v.len()) && v.bytes().all(|b| (0x21..=0x7e).contains(&b)),
        "invalid_verify_token",
        "a verify token is 16 to 256 printable ASCII characters, without spaces",
    )
}

fn conflict(detail: String) -> Problem {
    Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
}

// ------------------------------------------------------------------ accounts

pub async fn create_account(deps: &ChannelDeps, input: NewAccount) -> Result<AccountView, Problem> {
    check_name(&input.name)?;
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
        name: input.name.trim().to_string(),
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

async fn load_account(deps: &ChannelDeps, id: &AccountId) -> Result<Account, Problem> {
    deps.accounts
        .get_account(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no channel account {id}")))
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
        check_name(&name)?;
        account.name = name.trim().to_string();
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
    for page in deps
        .accounts
        .list_pages(id)
        .await?
        .into_iter()
        .filter(Page::is_live)
    {
        remove_page_of(deps, &account, page).await?;
    }
    deps.accounts.delete_account(id).await?;
    if let Err(e) = deps.secrets.delete(&account.app_secret_ref).await {
        tracing::warn!(account_id = %id, error = %e, "the app secret could not be deleted; remove it by hand");
    }
    tracing::info!(account_id = %id, "channel account removed");
    Ok(())
}

// ------------------------------------------------------------------ pages

async fn load_page(
    deps: &ChannelDeps,
    account: &AccountId,
    page: &PageId,
) -> Result<Page, Problem> {
    deps.accounts
        .get_page(page)
        .await?
        .filter(|p| p.account_id == *account && p.is_live())
        .ok_or_else(|| Problem::not_found(format!("no page {page} on account {account}")))
}

/// The account's app secret, from the secrets port.
async fn app_secret(deps: &ChannelDeps, account: &Account) -> Result<Secret, Problem> {
    deps.secrets
        .get(&account.app_secret_ref)
        .await
        .map_err(secrets_down)?
        .ok_or_else(|| {
            Problem::internal("the account's app secret is missing; set it again with PATCH")
        })
}

/// Run provisioning for a page whose token is `token`, and store the result.
async fn provision_and_save(
    deps: &ChannelDeps,
    account: &Account,
    mut page: Page,
    token: &Secret,
) -> Result<Page, Problem> {
    let app_secret = app_secret(deps, account).await?;
    page.provisioning = Provisioning::new(ProvisioningState::Provisioning, deps.clock.now());
    let outcome = provisioning::provision(
        deps.graph.as_ref(),
        &Target {
            app_id: &account.app_id,
            app_secret: &app_secret,
            page_id: &page.page_id,
            page_token: token,
        },
        deps.clock.now(),
    )
    .await;
    page.provisioning = outcome.provisioning;
    if outcome.token.is_some() {
        page.token = outcome.token;
    }
    page.updated_at = deps.clock.now();
    deps.accounts.put_page(&page, WriteMode::Upsert).await?;
    match page.provisioning.state {
        ProvisioningState::Running => tracing::info!(page_id = %page.page_id, "page provisioned"),
        state => tracing::warn!(
            page_id = %page.page_id,
            state = ?state,
            code = ?page.provisioning.code,
            reason = page.provisioning.reason.as_deref().unwrap_or(""),
            "page not running"
        ),
    }
    Ok(page)
}

pub async fn add_page(
    deps: &ChannelDeps,
    account_id: &AccountId,
    input: NewPage,
) -> Result<PageView, Problem> {
    check_name(&input.name)?;
    check_secret(&input.access_token, "invalid_access_token", "access_token")?;
    let account = load_account(deps, account_id).await?;
    if let Some(existing) = deps
        .accounts
        .get_page(&input.page_id)
        .await?
        .filter(Page::is_live)
    {
        return Err(conflict(format!(
            "page {} is already connected to account {}; a page belongs to one channel",
            input.page_id, existing.account_id
        )));
    }
    let now = deps.clock.now();
    let token_ref = page_token_name(&input.page_id);
    let page = Page {
        page_id: input.page_id.clone(),
        account_id: account_id.clone(),
        name: input.name.trim().to_string(),
        access_token_ref: Some(token_ref.clone()),
        created_at: now,
        updated_at: now,
        provisioning: Provisioning::new(ProvisioningState::Draft, now),
        token: None,
    };
    // Claim the page id first (conditional), so two administrators adding
    // the same page cannot both succeed; only then store the token.
    deps.accounts
        .put_page(&page, WriteMode::Create)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => conflict(format!(
                "page {} is already connected to another account",
                input.page_id
            )),
            other => other.into(),
        })?;
    deps.secrets
        .put(&token_ref, &input.access_token)
        .await
        .map_err(secrets_down)?;
    let page = provision_and_save(deps, &account, page, &input.access_token).await?;
    Ok(PageView::of(deps, &page, Some(&account)))
}

pub async fn list_pages(
    deps: &ChannelDeps,
    account_id: &AccountId,
) -> Result<Vec<PageView>, Problem> {
    let account = load_account(deps, account_id).await?;
    Ok(deps
        .accounts
        .list_pages(account_id)
        .await?
        .iter()
        .filter(|p| p.is_live())
        .map(|p| PageView::of(deps, p, Some(&account)))
        .collect())
}

pub async fn get_page(
    deps: &ChannelDeps,
    account_id: &AccountId,
    page_id: &PageId,
) -> Result<PageView, Problem> {
    let account = load_account(deps, account_id).await?;
    let page = load_page(deps, account_id, page_id).await?;
    Ok(PageView::of(deps, &page, Some(&account)))
}

/// Replace a page's token and provision it again.
pub async fn rotate_token(
    deps: &ChannelDeps,
    account_id: &AccountId,
    page_id: &PageId,
    input: NewToken,
) -> Result<PageView, Problem> {
    check_secret(&input.access_token, "invalid_access_token", "access_token")?;
    let account = load_account(deps, account_id).await?;
    let mut page = load_page(deps, account_id, page_id).await?;
    let token_ref = page
        .access_token_ref
        .clone()
        .unwrap_or_else(|| page_token_name(page_id));
    deps.secrets
        .put(&token_ref, &input.access_token)
        .await
        .map_err(secrets_down)?;
    page.access_token_ref = Some(token_ref);
    let page = provision_and_save(deps, &account, page, &input.access_token).await?;
    Ok(PageView::of(deps, &page, Some(&account)))
}

pub async fn remove_page(
    deps: &ChannelDeps,
    account_id: &AccountId,
    page_id: &PageId,
) -> Result<PageView, Problem> {
    let account = load_account(deps, account_id).await?;
    let page = load_page(deps, account_id, page_id).await?;
    let page = remove_page_of(deps, &account, page).await?;
    Ok(PageView::of(deps, &page, Some(&account)))
}

/// Unsubscribe the page, close its open conversations (contacts and
/// transcripts stay), forget its token, and mark it deprovisioned.
async fn remove_page_of(
    deps: &ChannelDeps,
    account: &Account,
    mut page: Page,
) -> Result<Page, Problem> {
    page.provisioning = Provisioning::new(ProvisioningState::Deprovisioning, deps.clock.now());
    deps.accounts.put_page(&page, WriteMode::Upsert).await?;
    let mut notes = Vec::new();
    let token = match &page.access_token_ref {
        Some(r) => deps.secrets.get(r).await.map_err(secrets_down)?,
        None => None,
    };
    match token {
        Some(token) => {
            if let Err(e) = deps.graph.unsubscribe_app(&page.page_id, &token).await {
                notes.push(format!(
                    "Meta did not confirm the unsubscription ({}); remove the app from the page's settings if events keep arriving.",
                    e.explain()
                ));
            }
        }
        None => notes.push(
            "No page token was stored, so the page could not be unsubscribed at Meta.".into(),
        ),
    }
    let open = deps
        .conversations
        .list_conversations(&ConversationFilter {
            page_id: Some(page.page_id.clone()),
            state: Some(ConversationState::Waiting),
            limit: Some(1000),
            ..Default::default()
        })
        .await?;
    let mut closed = 0;
    for c in open {
        let note = crate::event::InboundEvent::system_note(
            &account.id,
            &page.page_id,
            &c.psid,
            "Closed: the page was removed from Switchboard.",
            deps.clock.now(),
        );
        let ids = crate::ports::NewIds {
            contact_id: crate::ids::ContactId::generate(),
            contact_name: String::new(),
            conversation_id: crate::ids::ConversationId::generate(),
        };
        deps.conversations
            .append(&note, &ids, deps.clock.now())
            .await?;
        // Through routing, so an agent holding it gets the capacity back.
        match crate::routing::engine::close(&deps.routing_deps(), &c.id, "the page was removed")
            .await
        {
            Ok(_) | Err(crate::routing::RoutingError::Conflict(_)) => closed += 1,
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(r) = &page.access_token_ref
        && let Err(e) = deps.secrets.delete(r).await
    {
        tracing::warn!(page_id = %page.page_id, error = %e, "the page token could not be deleted; remove it by hand");
    }
    let mut reason = format!("Removed; {closed} open conversation(s) closed, history kept.");
    for n in notes {
        reason.push(' ');
        reason.push_str(&n);
    }
    page.provisioning = Provisioning {
        reason: Some(reason),
        ..Provisioning::new(ProvisioningState::Deprovisioned, deps.clock.now())
    };
    page.updated_at = deps.clock.now();
    deps.accounts.put_page(&page, WriteMode::Upsert).await?;
    tracing::info!(account_id = %account.id, page_id = %page.page_id, closed, "page removed");
    Ok(page)
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert_eq!(super::slug("Acme Facebook"), "acme-facebook");
        assert_eq!(super::slug("  Øst & Vest!! "), "st-vest");
        assert_eq!(super::slug("!!!"), "account");
    }
}

// ------------------------------------------------------------------ alerts

/// How close to a token's expiry an alert is raised.
pub const EXPIRY_WARNING_SECS: i64 = 14 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Provisioning failed or a Graph call answered 190/492.
    PageError,
    /// Waiting for Meta (a timeout or outage during provisioning).
    PageProvisioning,
    TokenExpiring,
    DataAccessExpiring,
}

#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub account_id: AccountId,
    pub page_id: PageId,
    pub page_name: String,
    pub message: String,
    #[serde(with = "time::rfc3339")]
    pub since: Millis,
}

/// Pages that need an administrator: in error, stuck provisioning, or
/// with a token (or its data access) expiring within 14 days.
pub async fn alerts(deps: &ChannelDeps) -> Result<Vec<Alert>, Problem> {
    let now = deps.clock.now();
    let soon = now.0 / 1000 + EXPIRY_WARNING_SECS;
    let mut out = Vec::new();
    for account in deps.accounts.list_accounts().await? {
        for page in deps
            .accounts
            .list_pages(&account.id)
            .await?
            .into_iter()
            .filter(Page::is_live)
        {
            let alert = |kind, message: String, since| Alert {
                kind,
                account_id: account.id.clone(),
                page_id: page.page_id.clone(),
                page_name: page.name.clone(),
                message,
                since,
            };
            let reason = page.provisioning.reason.clone().unwrap_or_default();
            match page.provisioning.state {
                ProvisioningState::Error => out.push(alert(
                    AlertKind::PageError,
                    reason,
                    page.provisioning.updated_at,
                )),
                ProvisioningState::Provisioning => out.push(alert(
                    AlertKind::PageProvisioning,
                    reason,
                    page.provisioning.updated_at,
                )),
                _ => {}
            }
            if let Some(t) = &page.token {
                let checked = t.checked_at.unwrap_or(page.updated_at);
                let when = |exp: i64| {
                    let at = Millis(exp * 1000);
                    if at <= now {
                        format!("ended at {at}")
                    } else {
                        format!("ends at {at}")
                    }
                };
                if let Some(exp) = t.expires_at.filter(|&e| e <= soon) {
                    out.push(alert(
                        AlertKind::TokenExpiring,
                        format!("The page token {}; re-enter a fresh page token.", when(exp)),
                        checked,
                    ));
                }
                if let Some(exp) = t.data_access_expires_at.filter(|&e| e <= soon) {
                    out.push(alert(
                        AlertKind::DataAccessExpiring,
                        format!("Meta's data access for the token's user {}; that user must log in to the app again.", when(exp)),
                        checked,
                    ));
                }
            }
        }
    }
    for a in &out {
        tracing::warn!(kind = ?a.kind, account_id = %a.account_id, page_id = %a.page_id, message = %a.message, "page alert");
    }
    Ok(out)
}

// ------------------------------------------------------------------ token health

/// How often a running page's token is re-validated.
pub const TOKEN_CHECK_EVERY_SECS: i64 = 24 * 3600;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct TokenCheckReport {
    pub checked: usize,
    pub failed: usize,
    pub retried: usize,
    pub now_running: usize,
}

/// One pass of the token-health check, safe to run at any cadence and
/// twice at once: running pages whose token was last checked over a day
/// ago are checked again with `debug_token` (a token Meta no longer
/// accepts moves the page to `error` at once), and pages left
/// `provisioning` by a Meta outage are provisioned again.
pub async fn check_tokens(deps: &ChannelDeps) -> Result<TokenCheckReport, Problem> {
    let now = deps.clock.now();
    let mut report = TokenCheckReport::default();
    for account in deps.accounts.list_accounts().await? {
        for page in deps
            .accounts
            .list_pages(&account.id)
            .await?
            .into_iter()
            .filter(Page::is_live)
        {
            let due = match page.provisioning.state {
                ProvisioningState::Running => page
                    .token
                    .as_ref()
                    .and_then(|t| t.checked_at)
                    .is_none_or(|t| now.0 - t.0 >= TOKEN_CHECK_EVERY_SECS * 1000),
                ProvisioningState::Provisioning => true,
                _ => false,
            };
            if !due {
                continue;
            }
            let Some(token) = (match &page.access_token_ref {
                Some(r) => deps.secrets.get(r).await.map_err(secrets_down)?,
                None => None,
            }) else {
                continue;
            };
            let retry = page.provisioning.state == ProvisioningState::Provisioning;
            let page_id = page.page_id.clone();
            let after = if retry {
                report.retried += 1;
                provision_and_save(deps, &account, page, &token).await?
            } else {
                report.checked += 1;
                recheck(deps, &account, page, &token).await?
            };
            match after.provisioning.state {
                ProvisioningState::Running => report.now_running += 1,
                ProvisioningState::Error => {
                    report.failed += 1;
                    tracing::warn!(
                        page_id = %page_id,
                        code = ?after.provisioning.code,
                        reason = after.provisioning.reason.as_deref().unwrap_or(""),
                        "page token failed its health check"
                    );
                }
                _ => {}
            }
        }
    }
    Ok(report)
}

/// Re-validate a running page's token (no re-subscription).
async fn recheck(
    deps: &ChannelDeps,
    account: &Account,
    mut page: Page,
    token: &Secret,
) -> Result<Page, Problem> {
    let app_secret = app_secret(deps, account).await?;
    let now = deps.clock.now();
    let target = Target {
        app_id: &account.app_id,
        app_secret: &app_secret,
        page_id: &page.page_id,
        page_token: token,
    };
    match deps
        .graph
        .debug_token(&account.app_id, &app_secret, token)
        .await
    {
        Ok(info) => {
            page.token = Some(TokenHealth {
                expires_at: info.expires_at.filter(|&e| e > 0),
                data_access_expires_at: info.data_access_expires_at.filter(|&e| e > 0),
                scopes: info.scopes.clone(),
                checked_at: Some(now),
            });
            if let Err(reason) = provisioning::check_token(&info, &target) {
                page.provisioning = Provisioning {
                    reason: Some(reason),
                    ..Provisioning::new(ProvisioningState::Error, now)
                };
            }
        }
        Err(e) if e.class() == crate::graph::ErrorClass::Transient => return Ok(page), // try again next pass
        Err(e) => {
            page.provisioning = Provisioning {
                reason: Some(format!("Checking the page token: {}", e.explain())),
                code: e.code,
                subcode: e.subcode,
                ..Provisioning::new(ProvisioningState::Error, now)
            };
        }
    }
    page.updated_at = now;
    deps.accounts.put_page(&page, WriteMode::Upsert).await?;
    Ok(page)
}

// ------------------------------------------------------------------ workstreams

/// Most pages one workstream may list (one store transaction binds them).
pub const MAX_WORKSTREAM_PAGES: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWorkstream {
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub id: Option<WorkstreamId>,
    pub name: String,
    #[serde(default)]
    pub pages: Vec<PageId>,
    pub locale: Locale,
    #[serde(default)]
    pub features: Features,
    #[serde(default)]
    pub distribution: Distribution,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub automated_messages: Vec<AutomatedMessage>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::serde_rules::present"
    )]
    pub survey: Option<Survey>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkstreamPatch {
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub pages: Option<Vec<PageId>>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub locale: Option<Locale>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub features: Option<Features>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub distribution: Option<Distribution>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub automated_messages: Option<Vec<AutomatedMessage>>,
    /// `null` removes the survey.
    #[serde(default, deserialize_with = "crate::routing::admin::some")]
    pub survey: Option<Option<Survey>>,
}

fn check_ws_messages(
    messages: &[AutomatedMessage],
    survey: Option<&Survey>,
) -> Result<(), Problem> {
    crate::workstreams::check_messages(messages, survey).map_err(|m| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_messages",
            "Invalid automated messages or survey",
            m,
        )
    })
}

async fn check_pages(deps: &ChannelDeps, pages: &[PageId]) -> Result<(), Problem> {
    require(
        pages.len() <= MAX_WORKSTREAM_PAGES,
        "too_many_pages",
        "a workstream lists at most 50 pages",
    )?;
    let mut seen = std::collections::HashSet::new();
    for p in pages {
        require(
            seen.insert(p),
            "duplicate_page",
            &format!("page {p} is listed twice"),
        )?;
        if deps
            .accounts
            .get_page(p)
            .await?
            .filter(Page::is_live)
            .is_none()
        {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_page",
                "Unknown page",
                format!("page {p} is not connected to any account; connect it first"),
            ));
        }
    }
    Ok(())
}

fn ws_conflict(e: StoreError) -> Problem {
    match e {
        StoreError::Conflict(m) => conflict(format!(
            "{m}; a page feeds at most one workstream and ids are unique"
        )),
        other => other.into(),
    }
}

pub async fn create_workstream(
    deps: &ChannelDeps,
    input: NewWorkstream,
) -> Result<Workstream, Problem> {
    check_name(&input.name)?;
    check_pages(deps, &input.pages).await?;
    check_distribution(&deps.routing_deps(), &input.distribution, None).await?;
    check_ws_messages(&input.automated_messages, input.survey.as_ref())?;
    let id = match input.id {
        Some(id) => id,
        None => WorkstreamId::parse(slug(&input.name))?,
    };
    let now = deps.clock.now();
    let ws = Workstream {
        id,
        name: input.name.trim().to_string(),
        pages: input.pages,
        locale: input.locale,
        features: input.features,
        distribution: input.distribution,
        automated_messages: input.automated_messages,
        survey: input.survey,
        created_at: now,
        updated_at: now,
    };
    deps.workstreams
        .put_workstream(&ws, WriteMode::Create)
        .await
        .map_err(ws_conflict)?;
    route_stranded(deps, &ws).await;
    Ok(ws)
}

/// Conversations of the workstream's pages that waited with nowhere to go
/// get routed now (a failure is logged: the workstream itself is saved).
async fn route_stranded(deps: &ChannelDeps, ws: &Workstream) {
    for page in &ws.pages {
        match crate::routing::engine::route_unrouted(&deps.routing_deps(), page).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(page_id = %page, routed = n, "routed conversations that were waiting for a workstream")
            }
            Err(e) => {
                tracing::warn!(page_id = %page, error = %e, "waiting conversations could not be routed yet; the scheduler's sweep does not reach them")
            }
        }
    }
}

pub async fn get_workstream(deps: &ChannelDeps, id: &WorkstreamId) -> Result<Workstream, Problem> {
    deps.workstreams
        .get_workstream(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no workstream {id}")))
}

pub async fn list_workstreams(deps: &ChannelDeps) -> Result<Vec<Workstream>, Problem> {
    Ok(deps.workstreams.list_workstreams().await?)
}

pub async fn update_workstream(
    deps: &ChannelDeps,
    id: &WorkstreamId,
    patch: WorkstreamPatch,
) -> Result<Workstream, Problem> {
    let mut ws = get_workstream(deps, id).await?;
    if let Some(name) = patch.name {
        check_name(&name)?;
        ws.name = name.trim().to_string();
    }
    if let Some(pages) = patch.pages {
        check_pages(deps, &pages).await?;
        ws.pages = pages;
    }
    if let Some(locale) = patch.locale {
        ws.locale = locale;
    }
    if let Some(features) = patch.features {
        ws.features = features;
    }
    if let Some(d) = patch.distribution {
        check_distribution(&deps.routing_deps(), &d, Some(&ws)).await?;
        ws.distribution = d;
    }
    if let Some(m) = patch.automated_messages {
        ws.automated_messages = m;
    }
    if let Some(s) = patch.survey {
        ws.survey = s;
    }
    check_ws_messages(&ws.automated_messages, ws.survey.as_ref())?;
    ws.updated_at = deps.clock.now();
    deps.workstreams
        .put_workstream(&ws, WriteMode::Upsert)
        .await
        .map_err(ws_conflict)?;
    route_stranded(deps, &ws).await;
    Ok(ws)
}

pub async fn delete_workstream(deps: &ChannelDeps, id: &WorkstreamId) -> Result<(), Problem> {
    Ok(deps.workstreams.delete_workstream(id).await?)
}

// ------------------------------------------------------------------ configuration as code

/// The whole desired configuration, as `switchboard apply` sends it
/// (secrets resolved from the environment on the operator's machine).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Desired {
    #[serde(default)]
    pub accounts: Vec<DesiredAccount>,
    /// Absent: workstreams are not managed by this file.
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub workstreams: Option<Vec<NewWorkstream>>,
    /// Absent: queues are not managed by this file (likewise agents, rulesets).
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub queues: Option<Vec<NewQueue>>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub agents: Option<Vec<NewAgent>>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub rulesets: Option<Vec<NewRuleset>>,
}

/// The routing parts of a configuration file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RoutingSections {
    #[serde(default)]
    pub workstreams: Option<Vec<NewWorkstream>>,
    #[serde(default)]
    pub queues: Option<Vec<NewQueue>>,
    #[serde(default)]
    pub agents: Option<Vec<NewAgent>>,
    #[serde(default)]
    pub rulesets: Option<Vec<NewRuleset>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredAccount {
    pub id: AccountId,
    pub name: String,
    pub app_id: AppId,
    pub app_secret: Secret,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub verify_token: Option<Secret>,
    #[serde(default)]
    pub pages: Vec<DesiredPage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredPage {
    pub page_id: PageId,
    pub name: String,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub access_token: Option<Secret>,
}

#[derive(Debug, Default, Serialize)]
pub struct ApplyReport {
    pub dry_run: bool,
    /// What changed (or would change), in the order it was done.
    pub changes: Vec<String>,
    /// Verify tokens generated for new accounts that gave none: shown once.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub verify_tokens: std::collections::BTreeMap<String, String>,
    /// Pages that did not reach `running`, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_running: Vec<String>,
}

async fn secret_differs(deps: &ChannelDeps, name: &str, want: &Secret) -> Result<bool, Problem> {
    Ok(deps.secrets.get(name).await.map_err(secrets_down)?.as_ref() != Some(want))
}

/// Make the store match `desired`: create, update and remove accounts,
/// pages and (when given) workstreams. Applying the same file twice
/// changes nothing the second time. With `dry_run`, only report.
pub async fn apply(
    deps: &ChannelDeps,
    desired: Desired,
    dry_run: bool,
) -> Result<ApplyReport, Problem> {
    let mut report = ApplyReport {
        dry_run,
        changes: Vec::new(),
        verify_tokens: Default::default(),
        not_running: Vec::new(),
    };
    // Validate the whole file before changing anything.
    let mut seen_pages = std::collections::HashMap::new();
    for a in &desired.accounts {
        check_name(&a.name)?;
        check_secret(&a.app_secret, "invalid_app_secret", "app_secret")?;
        if let Some(t) = &a.verify_token {
            check_verify_token(t)?;
        }
        for p in &a.pages {
            check_name(&p.name)?;
            if let Some(t) = &p.access_token {
                check_secret(t, "invalid_access_token", "access_token")?;
            }
            if let Some(other) = seen_pages.insert(p.page_id.clone(), a.id.clone()) {
                return Err(invalid_value(
                    "duplicate_page",
                    format!(
                        "page {} is listed under {other} and {}; a page belongs to one account",
                        p.page_id, a.id
                    ),
                ));
            }
            if let Some(bound) = deps
                .accounts
                .get_page(&p.page_id)
                .await?
                .filter(Page::is_live)
                && bound.account_id != a.id
                && desired.accounts.iter().any(|d| {
                    d.id == bound.account_id && d.pages.iter().any(|dp| dp.page_id == p.page_id)
                })
            {
                return Err(conflict(format!(
                    "page {} is connected to account {}",
                    p.page_id, bound.account_id
                )));
            }
        }
    }
    let existing = deps.accounts.list_accounts().await?;
    let wanted_ids: Vec<&AccountId> = desired.accounts.iter().map(|a| &a.id).collect();

    let sections = RoutingSections {
        workstreams: desired.workstreams,
        queues: desired.queues,
        agents: desired.agents,
        rulesets: desired.rulesets,
    };
    // Rulesets, agents and workstreams no longer wanted go first, so their
    // pages and queues are free.
    remove_unwanted(deps, &sections, dry_run, &mut report).await?;
    // Accounts no longer wanted (their pages with them).
    for a in existing.iter().filter(|a| !wanted_ids.contains(&&a.id)) {
        report.changes.push(format!("remove account {}", a.id));
        if !dry_run {
            delete_account(deps, &a.id).await?;
        }
    }
    for want in desired.accounts {
        let current = existing.iter().find(|a| a.id == want.id);
        match current {
            None => {
                report.changes.push(format!("create account {}", want.id));
                if !dry_run {
                    let generated = want.verify_token.is_none();
                    let view = create_account(
                        deps,
                        NewAccount {
                            id: Some(want.id.clone()),
                            name: want.name.clone(),
                            app_id: want.app_id.clone(),
                            app_secret: want.app_secret.clone(),
                            verify_token: want.verify_token.clone(),
                        },
                    )
                    .await?;
                    if generated && let Some(t) = view.verify_token {
                        report.verify_tokens.insert(want.id.to_string(), t);
                    }
                }
            }
            Some(cur) => {
                let mut patch = AccountPatch {
                    name: None,
                    app_id: None,
                    app_secret: None,
                };
                if cur.name != want.name.trim() {
                    report.changes.push(format!(
                        "rename account {} to {:?}",
                        want.id,
                        want.name.trim()
                    ));
                    patch.name = Some(want.name.clone());
                }
                if cur.app_id != want.app_id {
                    report.changes.push(format!(
                        "change account {}'s app id to {}",
                        want.id, want.app_id
                    ));
                    patch.app_id = Some(want.app_id.clone());
                }
                if secret_differs(deps, &cur.app_secret_ref, &want.app_secret).await? {
                    report
                        .changes
                        .push(format!("replace account {}'s app secret", want.id));
                    patch.app_secret = Some(want.app_secret.clone());
                }
                let verify_changed = want.verify_token.as_ref().is_some_and(|t| {
                    !crate::secret::matches_sha256_hex(t.expose(), &cur.verify_token_sha256)
                });
                if verify_changed {
                    report
                        .changes
                        .push(format!("replace account {}'s verify token", want.id));
                }
                if !dry_run
                    && (patch.name.is_some()
                        || patch.app_id.is_some()
                        || patch.app_secret.is_some())
                {
                    update_account(deps, &want.id, patch).await?;
                }
                if !dry_run
                    && verify_changed
                    && let Some(t) = &want.verify_token
                {
                    check_verify_token(t)?;
                    let mut acct = load_account(deps, &want.id).await?;
                    acct.verify_token_sha256 = t.sha256_hex();
                    acct.updated_at = deps.clock.now();
                    deps.accounts.put_account(&acct, WriteMode::Upsert).await?;
                }
            }
        }
        apply_pages(deps, &want, current.is_some(), dry_run, &mut report).await?;
    }
    apply_routing(deps, sections, dry_run, &mut report).await?;
    Ok(report)
}

fn strip_times(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("created_at");
        o.remove("updated_at");
    }
    v
}

/// Whether a stored record already says what the file says (compared as
/// the JSON the admin API takes, timestamps aside).
fn same_as<A: Serialize, B: Serialize>(stored: &A, wanted: &B) -> bool {
    let a = strip_times(serde_json::to_value(stored).unwrap_or_default());
    let b = strip_times(serde_json::to_value(wanted).unwrap_or_default());
    a == b
}

async fn remove_unwanted(
    deps: &ChannelDeps,
    want: &RoutingSections,
    dry_run: bool,
    report: &mut ApplyReport,
) -> Result<(), Problem> {
    let r = deps.routing_deps();
    if let Some(rss) = &want.rulesets {
        for rs in r.config.list_rulesets(None).await? {
            if !rss.iter().any(|w| w.id == rs.id) {
                report.changes.push(format!("remove ruleset {}", rs.id));
                if !dry_run {
                    routing_admin::delete_ruleset(&r, &rs.id).await?;
                }
            }
        }
    }
    if let Some(agents) = &want.agents {
        for a in r.config.list_agents().await? {
            if !agents.iter().any(|w| w.id == a.agent.id) {
                report.changes.push(format!("remove agent {}", a.agent.id));
                if !dry_run {
                    routing_admin::delete_agent(&r, &a.agent.id).await?;
                }
            }
        }
    }
    if let Some(wss) = &want.workstreams {
        for ws in deps.workstreams.list_workstreams().await? {
            if !wss.iter().any(|w| w.id.as_ref() == Some(&ws.id)) {
                report.changes.push(format!("remove workstream {}", ws.id));
                if !dry_run {
                    for rs in r.config.list_rulesets(Some(&ws.id)).await? {
                        routing_admin::delete_ruleset(&r, &rs.id).await?;
                    }
                    delete_workstream(deps, &ws.id).await?;
                }
            }
        }
    }
    Ok(())
}

/// Create and update the routing sections in dependency order: queues
/// (without overflow first, so queues may overflow to each other), then
/// workstreams, overflow, agents, rulesets; queues no longer wanted last.
pub async fn apply_routing(
    deps: &ChannelDeps,
    want: RoutingSections,
    dry_run: bool,
    report: &mut ApplyReport,
) -> Result<(), Problem> {
    let r = deps.routing_deps();
    // A dry run that passes must not fail when applied: every item's own
    // values are checked first, whatever the run.
    for q in want.queues.iter().flatten() {
        routing_admin::check_queue_values(&routing_admin::queue_from(q))?;
    }
    for rs in want.rulesets.iter().flatten() {
        routing_admin::check_ruleset_values(&routing_admin::ruleset_from(rs))?;
    }
    for a in want.agents.iter().flatten() {
        routing_admin::check_agent_values(&routing_admin::agent_from(a))?;
    }
    for w in want.workstreams.iter().flatten() {
        check_name(&w.name)?;
        check_ws_messages(&w.automated_messages, w.survey.as_ref())?;
    }
    if let Some(queues) = &want.queues {
        for q in queues {
            if r.config.get_queue(&q.id).await?.is_none() {
                report.changes.push(format!("create queue {}", q.id));
                if !dry_run {
                    let mut first = q.clone();
                    first.overflow = Default::default();
                    routing_admin::create_queue(&r, first).await?;
                }
            }
        }
    }
    if let Some(wss) = want.workstreams {
        for want in wss {
            let Some(id) = want.id.clone() else {
                return Err(invalid_value(
                    "missing_id",
                    "every workstream in a configuration file needs an id",
                ));
            };
            match deps.workstreams.get_workstream(&id).await? {
                None => {
                    report.changes.push(format!("create workstream {id}"));
                    if !dry_run {
                        create_workstream(deps, want).await?;
                    }
                }
                Some(cur) => {
                    let same = cur.name == want.name.trim()
                        && cur.pages == want.pages
                        && cur.locale == want.locale
                        && cur.features == want.features
                        && cur.distribution == want.distribution
                        && cur.automated_messages == want.automated_messages
                        && cur.survey == want.survey;
                    if !same {
                        report.changes.push(format!("update workstream {id}"));
                        if !dry_run {
                            let patch = WorkstreamPatch {
                                name: Some(want.name),
                                pages: Some(want.pages),
                                locale: Some(want.locale),
                                features: Some(want.features),
                                distribution: Some(want.distribution),
                                automated_messages: Some(want.automated_messages),
                                survey: Some(want.survey),
                            };
                            update_workstream(deps, &id, patch).await?;
                        }
                    }
                }
            }
        }
    }
    if let Some(queues) = &want.queues {
        for q in queues {
            if report.changes.contains(&format!("create queue {}", q.id)) {
                // Created above without overflow: now the whole of it.
                if !dry_run && q.overflow != Default::default() {
                    routing_admin::update_queue(&r, &q.id, routing_admin::queue_patch(q)).await?;
                }
                continue;
            }
            if let Some(cur) = r.config.get_queue(&q.id).await?
                && !same_as(&cur, &routing_admin::queue_from(q))
            {
                report.changes.push(format!("update queue {}", q.id));
                if !dry_run {
                    routing_admin::update_queue(&r, &q.id, routing_admin::queue_patch(q)).await?;
                }
            }
        }
    }
    if let Some(agents) = want.agents {
        for a in agents {
            match r.config.get_agent(&a.id).await? {
                None => {
                    report.changes.push(format!("create agent {}", a.id));
                    if !dry_run {
                        routing_admin::create_agent(&r, a).await?;
                    }
                }
                Some(cur) if !same_as(&cur.agent, &routing_admin::agent_from(&a)) => {
                    report.changes.push(format!("update agent {}", a.id));
                    if !dry_run {
                        routing_admin::update_agent(
                            &r,
                            &a.id.clone(),
                            routing_admin::agent_patch(a),
                        )
                        .await?;
                    }
                }
                Some(_) => {}
            }
        }
    }
    if let Some(rss) = want.rulesets {
        for rs in rss {
            match r.config.get_ruleset(&rs.id).await? {
                None => {
                    report.changes.push(format!("create ruleset {}", rs.id));
                    if !dry_run {
                        routing_admin::create_ruleset(&r, rs).await?;
                    }
                }
                Some(cur) if !same_as(&cur, &routing_admin::ruleset_from(&rs)) => {
                    report.changes.push(format!("update ruleset {}", rs.id));
                    if !dry_run {
                        let id = rs.id.clone();
                        routing_admin::update_ruleset(&r, &id, routing_admin::ruleset_patch(rs))
                            .await?;
                    }
                }
                Some(_) => {}
            }
        }
    }
    if let Some(queues) = &want.queues {
        for q in r.config.list_queues().await? {
            if !queues.iter().any(|w| w.id == q.id) {
                report.changes.push(format!("remove queue {}", q.id));
                if !dry_run {
                    routing_admin::delete_queue(&r, &q.id).await?;
                }
            }
        }
    }
    Ok(())
}

async fn apply_pages(
    deps: &ChannelDeps,
    want: &DesiredAccount,
    account_exists: bool,
    dry_run: bool,
    report: &mut ApplyReport,
) -> Result<(), Problem> {
    let live: Vec<Page> = if account_exists {
        deps.accounts
            .list_pages(&want.id)
            .await?
            .into_iter()
            .filter(Page::is_live)
            .collect()
    } else {
        Vec::new()
    };
    for page in live
        .iter()
        .filter(|p| !want.pages.iter().any(|w| w.page_id == p.page_id))
    {
        report.changes.push(format!(
            "remove page {} from account {}",
            page.page_id, want.id
        ));
        if !dry_run {
            remove_page(deps, &want.id, &page.page_id).await?;
        }
    }
    for wp in &want.pages {
        let page_view = match live.iter().find(|p| p.page_id == wp.page_id) {
            None => {
                let Some(token) = &wp.access_token else {
                    return Err(invalid_value(
                        "missing_access_token",
                        format!("page {} needs an access_token to be connected", wp.page_id),
                    ));
                };
                report.changes.push(format!(
                    "connect page {} to account {}",
                    wp.page_id, want.id
                ));
                if dry_run {
                    continue;
                }
                add_page(
                    deps,
                    &want.id,
                    NewPage {
                        page_id: wp.page_id.clone(),
                        name: wp.name.clone(),
                        access_token: token.clone(),
                    },
                )
                .await?
            }
            Some(cur) => {
                let mut view = None;
                if cur.name != wp.name.trim() {
                    report.changes.push(format!(
                        "rename page {} to {:?}",
                        wp.page_id,
                        wp.name.trim()
                    ));
                    if !dry_run {
                        let mut renamed = cur.clone();
                        renamed.name = wp.name.trim().to_string();
                        renamed.updated_at = deps.clock.now();
                        deps.accounts.put_page(&renamed, WriteMode::Upsert).await?;
                    }
                }
                if let Some(token) = &wp.access_token {
                    let token_ref = cur
                        .access_token_ref
                        .clone()
                        .unwrap_or_else(|| page_token_name(&wp.page_id));
                    if secret_differs(deps, &token_ref, token).await? {
                        report
                            .changes
                            .push(format!("replace page {}'s token", wp.page_id));
                        if !dry_run {
                            view = Some(
                                rotate_token(
                                    deps,
                                    &want.id,
                                    &wp.page_id,
                                    NewToken {
                                        access_token: token.clone(),
                                    },
                                )
                                .await?,
                            );
                        }
                    }
                }
                match view {
                    Some(v) => v,
                    None => continue,
                }
            }
        };
        if page_view.provisioning.state != ProvisioningState::Running {
            report.not_running.push(format!(
                "page {}: {:?}: {}",
                page_view.page_id,
                page_view.provisioning.state,
                page_view.provisioning.reason.as_deref().unwrap_or("")
            ));
        }
    }
    Ok(())
}

/// The configuration as a file would state it, secrets left out.
#[derive(Debug, Serialize)]
pub struct Exported {
    pub public_url: String,
    pub accounts: Vec<ExportedAccount>,
    pub workstreams: Vec<Workstream>,
    pub queues: Vec<crate::routing::model::Queue>,
    /// Configuration only (presence and load belong to the agents).
    pub agents: Vec<crate::routing::model::Agent>,
    pub rulesets: Vec<crate::routing::model::Ruleset>,
}

#[derive(Debug, Serialize)]
pub struct ExportedAccount {
    pub id: AccountId,
    pub name: String,
    pub app_id: AppId,
    pub pages: Vec<ExportedPage>,
}

#[derive(Debug, Serialize)]
pub struct ExportedPage {
    pub page_id: PageId,
    pub name: String,
    /// A token is stored (the file then names it as an `${ENV}` placeholder).
    pub has_token: bool,
}

pub async fn export(deps: &ChannelDeps) -> Result<Exported, Problem> {
    let mut accounts = Vec::new();
    for a in deps.accounts.list_accounts().await? {
        let pages = deps
            .accounts
            .list_pages(&a.id)
            .await?
            .into_iter()
            .filter(Page::is_live)
            .map(|p| ExportedPage {
                has_token: p.access_token_ref.is_some(),
                page_id: p.page_id,
                name: p.name,
            })
            .collect();
        accounts.push(ExportedAccount {
            id: a.id,
            name: a.name,
            app_id: a.app_id,
            pages,
        });
    }
    Ok(Exported {
        public_url: deps.public_url.clone(),
        accounts,
        workstreams: deps.workstreams.list_workstreams().await?,
        queues: deps.routing_config.list_queues().await?,
        agents: deps
            .routing_config
            .list_agents()
            .await?
            .into_iter()
            .map(|a| a.agent)
            .collect(),
        rulesets: deps.routing_config.list_rulesets(None).await?,
    })
}

/// Report a Graph API failure on a page's behalf. A token error (190, 492)
/// moves the page to `error` at once, with Meta's code and what to do, so
/// an alert is raised before agents notice; other errors change nothing.
/// Every caller of the Graph API with a page token reports here (the
/// sender, profile look-ups). Returns whether the page was moved.
pub async fn report_graph_error(
    deps: &ChannelDeps,
    page_id: &PageId,
    e: &crate::graph::GraphError,
) -> Result<bool, Problem> {
    if e.class() != crate::graph::ErrorClass::Token {
        return Ok(false);
    }
    let Some(mut page) = deps.accounts.get_page(page_id).await?.filter(Page::is_live) else {
        return Ok(false);
    };
    let now = deps.clock.now();
    page.provisioning = Provisioning {
        reason: Some(e.explain()),
        code: e.code,
        subcode: e.subcode,
        ..Provisioning::new(ProvisioningState::Error, now)
    };
    page.updated_at = now;
    deps.accounts.put_page(&page, WriteMode::Upsert).await?;
    tracing::warn!(page_id = %page_id, code = ?e.code, subcode = ?e.subcode, "Meta rejected the page token; page moved to error");
    Ok(true)
}
