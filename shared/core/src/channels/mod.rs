//! Channel set-up, the administrator's side: the dependencies every channel
//! operation takes, the checks they share, and the public paths
//! (`channels::X`) of accounts, pages, workstreams, alerts and token health,
//! and configuration as code. Secrets go to the secrets port and never come
//! back out; a page is provisioned on the spot (token check, subscription,
//! read-back) and shows its state with a reason.

mod accounts;
pub mod apply;
mod apply_routing;
mod export;
mod health;
mod pages;
mod workstreams;

pub use accounts::{
    AccountPatch, AccountView, NewAccount, create_account, delete_account, get_account,
    list_accounts, update_account,
};
pub use apply::{
    ApplyMode, ApplyReport, Desired, DesiredAccount, DesiredPage, RoutingSections, apply, apply_as,
};
pub use apply_routing::apply_routing;
pub use export::{Exported, ExportedAccount, ExportedPage, desired_from_yaml, export, to_yaml};
pub use health::{
    Alert, AlertKind, EXPIRY_WARNING_SECS, TOKEN_CHECK_EVERY_SECS, TokenCheckReport, alerts,
    check_tokens, report_graph_error,
};
pub use pages::{
    NewPage, NewToken, PageView, add_page, check_page, get_page, list_pages, remove_page,
    rotate_token, set_conversation_routing,
};
pub use workstreams::{
    MAX_WORKSTREAM_PAGES, NewWorkstream, WorkstreamPatch, create_workstream, delete_workstream,
    get_workstream, list_workstreams, update_workstream,
};

use crate::clock::Clock;
use crate::graph::GraphApi;
use crate::ids::{AccountId, PageId};
use crate::ports::{
    Account, AccountStore, ConversationStore, Page, RoutingConfigStore, RoutingStore, SecretStore,
    WorkstreamStore,
};
use crate::problem::Problem;
use crate::problem::Status;
use crate::routing::RoutingDeps;
use crate::secret::Secret;
use crate::secret_lookup::secrets_down;
use std::sync::Arc;

/// What the administrator's API takes: every store channel set-up and the
/// routing administration touch, the Graph API and the callback base. The
/// other functions take narrower sets: [`PageDeps`], `SenderDeps`,
/// `SchedulerDeps`, `RoutingDeps`.
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
    /// How workstream bots are reached (see `RoutingDeps::bots`).
    pub bot_client: Option<Arc<dyn crate::bot::BotClient>>,
    /// Where people reach this deployment: sign-in links
    /// (`{public_url}/sign-in?code=...`) and the configuration export.
    pub public_url: String,
    /// Base of the webhook callback URLs given to Meta
    /// (`{webhook_url}/webhooks/facebook/{id}`): the public URL under
    /// serve; on AWS the webhook function's own URL, which costs nothing
    /// per request where API Gateway costs $1 a million.
    pub webhook_url: String,
}

/// What page health takes (token checks, alerts, re-provisioning, a Graph
/// error on a page's behalf): the accounts and their pages, the secrets,
/// the Graph API and the clock. The scheduler and the sender get only this
/// of channel set-up.
#[derive(Clone)]
pub struct PageDeps {
    pub accounts: Arc<dyn AccountStore>,
    pub secrets: Arc<dyn SecretStore>,
    pub graph: Arc<dyn GraphApi>,
    pub clock: Arc<dyn Clock>,
}

impl ChannelDeps {
    /// The page-health view of the same stores.
    pub fn pages(&self) -> PageDeps {
        PageDeps {
            accounts: self.accounts.clone(),
            secrets: self.secrets.clone(),
            graph: self.graph.clone(),
            clock: self.clock.clone(),
        }
    }

    /// The routing flows' view of the same stores.
    pub fn routing_deps(&self) -> RoutingDeps {
        RoutingDeps {
            conversations: self.conversations.clone(),
            pages: self.accounts.clone(),
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
            bots: self.bot_client.clone().map(|client| crate::bot::Bots {
                client,
                secrets: self.secrets.clone(),
            }),
        }
    }
}

/// A page's access token from the secrets port (`None`: the page has none);
/// see [`crate::secret_lookup::page_token`].
pub async fn page_token(deps: &ChannelDeps, page: &PageId) -> Result<Option<Secret>, Problem> {
    crate::secret_lookup::page_token(deps.accounts.as_ref(), deps.secrets.as_ref(), page).await
}

/// Length of generated verify tokens.
pub const VERIFY_TOKEN_LEN: usize = 40;

pub(crate) fn callback_url(deps: &ChannelDeps, id: &AccountId) -> String {
    format!(
        "{}/webhooks/facebook/{id}",
        deps.webhook_url.trim_end_matches('/')
    )
}

/// A value the request carries in the right shape but cannot be used:
/// `422` with the rule (a malformed body is `400`).
pub(crate) fn require(cond: bool, code: &'static str, detail: &str) -> Result<(), Problem> {
    if cond {
        Ok(())
    } else {
        Err(invalid_value(code, detail))
    }
}

pub(crate) fn invalid_value(code: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(Status::UNPROCESSABLE_ENTITY, code, "Invalid value", detail)
}

pub(crate) fn check_name(name: &str) -> Result<(), Problem> {
    require(
        !name.trim().is_empty() && name.len() <= 200,
        "invalid_name",
        "name must be 1 to 200 characters",
    )
}

/// A name as it is stored: checked, then trimmed.
pub(crate) fn clean_name(name: &str) -> Result<String, Problem> {
    check_name(name)?;
    Ok(name.trim().to_string())
}

/// A slug for an account id from its name, e.g. "Acme Facebook" -> "acme-facebook".
pub(crate) fn slug(name: &str) -> String {
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
pub(crate) fn check_secret(v: &Secret, code: &'static str, what: &str) -> Result<(), Problem> {
    require(
        !v.expose().trim().is_empty(),
        code,
        &format!("{what} must not be empty or blank"),
    )
}

/// A verify token is 16 to 256 printable ASCII characters without spaces
/// (Meta echoes it in a query string).
pub(crate) fn check_verify_token(t: &Secret) -> Result<(), Problem> {
    let v = t.expose();
    require(
        (16..=256).contains(&v.len()) && v.bytes().all(|b| (0x21..=0x7e).contains(&b)),
        "invalid_verify_token",
        "a verify token is 16 to 256 printable ASCII characters, without spaces",
    )
}

pub(crate) fn conflict(detail: String) -> Problem {
    Problem::new(Status::CONFLICT, "conflict", "Conflict", detail)
}

pub(crate) async fn load_account(deps: &ChannelDeps, id: &AccountId) -> Result<Account, Problem> {
    deps.accounts
        .get_account(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no channel account {id}")))
}

/// The account's pages that are not removed.
pub(crate) async fn live_pages(
    accounts: &dyn AccountStore,
    account: &AccountId,
) -> Result<Vec<Page>, Problem> {
    Ok(accounts
        .list_pages(account)
        .await?
        .into_iter()
        .filter(Page::is_live)
        .collect())
}

/// Every account with its live pages, in the store's order.
pub(crate) async fn accounts_with_pages(
    accounts: &dyn AccountStore,
) -> Result<Vec<(Account, Vec<Page>)>, Problem> {
    let mut out = Vec::new();
    for account in accounts.list_accounts().await? {
        let pages = live_pages(accounts, &account.id).await?;
        out.push((account, pages));
    }
    Ok(out)
}

/// The page's own token, by the name its record keeps (`None`: it has none).
pub(crate) async fn stored_token(
    secrets: &dyn SecretStore,
    page: &Page,
) -> Result<Option<Secret>, Problem> {
    match &page.access_token_ref {
        Some(name) => secrets.get(name).await.map_err(secrets_down),
        None => Ok(None),
    }
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
