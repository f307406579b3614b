//! A channel account's pages: connect (provisioned on the spot), list,
//! read, replace the token, and remove (unsubscribed, open conversations
//! closed, history kept).

use super::{
    ChannelDeps, PageDeps, callback_url, check_secret, clean_name, conflict, live_pages,
    load_account, stored_token,
};
use crate::ids::{AccountId, AppId, PageId};
use crate::ports::{
    Account, ConversationFilter, ConversationState, Page, StoreError, WriteMode, page_token_name,
};
use crate::problem::Problem;
use crate::provisioning::{self, Provisioning, ProvisioningState, Target, TokenHealth};
use crate::secret::Secret;
use crate::secret_lookup::app_secret;
use crate::secret_lookup::secrets_down;
use crate::thread_control::ConversationRouting;
use crate::time::{self, Millis};
use serde::{Deserialize, Serialize};

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
    pub conversation_routing: ConversationRouting,
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
            conversation_routing: p.conversation_routing.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPage {
    pub page_id: PageId,
    pub name: String,
    pub access_token: Secret,
    #[serde(default)]
    pub conversation_routing: ConversationRouting,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub access_token: Secret,
}

/// The account and its live page `page` (not found if either is not).
async fn load_page(
    deps: &ChannelDeps,
    account: &AccountId,
    page: &PageId,
) -> Result<(Account, Page), Problem> {
    let owner = load_account(deps, account).await?;
    let page = deps
        .accounts
        .get_page(page)
        .await?
        .filter(|p| p.account_id == *account && p.is_live())
        .ok_or_else(|| Problem::not_found(format!("no page {page} on account {account}")))?;
    Ok((owner, page))
}

/// Run provisioning for a page whose token is `token`, and store the result.
pub(super) async fn provision_and_save(
    deps: &PageDeps,
    account: &Account,
    mut page: Page,
    token: &Secret,
) -> Result<Page, Problem> {
    let app_secret = app_secret(deps.secrets.as_ref(), account).await?;
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
    let name = clean_name(&input.name)?;
    check_secret(&input.access_token, "invalid_access_token", "access_token")?;
    let account = load_account(deps, account_id).await?;
    check_routing(&account.app_id, &input.conversation_routing)?;
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
        name,
        access_token_ref: Some(token_ref.clone()),
        created_at: now,
        updated_at: now,
        provisioning: Provisioning::new(ProvisioningState::Draft, now),
        token: None,
        conversation_routing: input.conversation_routing,
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
    let page = provision_and_save(&deps.pages(), &account, page, &input.access_token).await?;
    Ok(PageView::of(deps, &page, Some(&account)))
}

pub async fn list_pages(
    deps: &ChannelDeps,
    account_id: &AccountId,
) -> Result<Vec<PageView>, Problem> {
    let account = load_account(deps, account_id).await?;
    Ok(live_pages(deps.accounts.as_ref(), account_id)
        .await?
        .iter()
        .map(|p| PageView::of(deps, p, Some(&account)))
        .collect())
}

pub async fn get_page(
    deps: &ChannelDeps,
    account_id: &AccountId,
    page_id: &PageId,
) -> Result<PageView, Problem> {
    let (account, page) = load_page(deps, account_id, page_id).await?;
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
    let (account, mut page) = load_page(deps, account_id, page_id).await?;
    let token_ref = page
        .access_token_ref
        .clone()
        .unwrap_or_else(|| page_token_name(page_id));
    deps.secrets
        .put(&token_ref, &input.access_token)
        .await
        .map_err(secrets_down)?;
    page.access_token_ref = Some(token_ref);
    let page = provision_and_save(&deps.pages(), &account, page, &input.access_token).await?;
    Ok(PageView::of(deps, &page, Some(&account)))
}

/// A thread handed back to Switchboard's own app would stay where it is.
pub(super) fn check_routing(app: &AppId, r: &ConversationRouting) -> Result<(), Problem> {
    if r.hand_back_to.as_ref() == Some(app) {
        return Err(super::invalid_value(
            "invalid_conversation_routing",
            format!(
                "hand_back_to is {app}, this account's own app: name the app that gets a closed conversation back (or leave it out)"
            ),
        ));
    }
    Ok(())
}

/// Replace a page's Conversation Routing settings (whether Switchboard owns
/// new threads, and where a closed conversation's thread goes).
pub async fn set_conversation_routing(
    deps: &ChannelDeps,
    account_id: &AccountId,
    page_id: &PageId,
    input: ConversationRouting,
) -> Result<PageView, Problem> {
    let (account, mut page) = load_page(deps, account_id, page_id).await?;
    check_routing(&account.app_id, &input)?;
    if page.conversation_routing != input {
        page.conversation_routing = input;
        page.updated_at = deps.clock.now();
        deps.accounts.put_page(&page, WriteMode::Upsert).await?;
        tracing::info!(page_id = %page_id, "conversation routing settings changed");
    }
    Ok(PageView::of(deps, &page, Some(&account)))
}

/// Check a page again with its stored token: provisioned again (token
/// checked, subscription made and read back), e.g. after the administrator
/// fixed the app's webhook fields or permissions in Meta.
pub async fn check_page(
    deps: &ChannelDeps,
    account_id: &AccountId,
    page_id: &PageId,
) -> Result<PageView, Problem> {
    let (account, page) = load_page(deps, account_id, page_id).await?;
    let Some(token) = stored_token(deps.secrets.as_ref(), &page).await? else {
        return Err(conflict(format!(
            "page {page_id} has no stored page token; replace the token instead"
        )));
    };
    let page = provision_and_save(&deps.pages(), &account, page, &token).await?;
    Ok(PageView::of(deps, &page, Some(&account)))
}

pub async fn remove_page(
    deps: &ChannelDeps,
    account_id: &AccountId,
    page_id: &PageId,
) -> Result<PageView, Problem> {
    let (account, page) = load_page(deps, account_id, page_id).await?;
    let page = remove_page_of(deps, &account, page).await?;
    Ok(PageView::of(deps, &page, Some(&account)))
}

/// Every open conversation on a page (waiting, offered, held or in
/// wrap-up), a page of the store's list at a time.
async fn open_conversations(
    deps: &ChannelDeps,
    page_id: &PageId,
) -> Result<Vec<crate::ports::Conversation>, Problem> {
    const PAGE: usize = 500;
    let mut all = Vec::new();
    for state in ConversationState::ALL.into_iter().filter(|s| s.is_open()) {
        let mut after = None;
        loop {
            let batch = deps
                .conversations
                .list_conversations(&ConversationFilter {
                    page_id: Some(page_id.clone()),
                    state: Some(state),
                    limit: Some(PAGE),
                    after: after.take(),
                    ..Default::default()
                })
                .await?;
            let full = batch.len() == PAGE;
            after = batch.last().map(|c| c.list_key());
            all.extend(batch);
            if !full || after.is_none() {
                break;
            }
        }
    }
    Ok(all)
}

/// Unsubscribe the page, close its open conversations whatever their state
/// (an agent holding one gets the capacity back; contacts and transcripts
/// stay), forget its token, and mark it deprovisioned.
pub(super) async fn remove_page_of(
    deps: &ChannelDeps,
    account: &Account,
    mut page: Page,
) -> Result<Page, Problem> {
    page.provisioning = Provisioning::new(ProvisioningState::Deprovisioning, deps.clock.now());
    deps.accounts.put_page(&page, WriteMode::Upsert).await?;
    let mut notes = Vec::new();
    match stored_token(deps.secrets.as_ref(), &page).await? {
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
    let open = open_conversations(deps, &page.page_id).await?;
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
