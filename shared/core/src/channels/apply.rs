//! Configuration as code, write side: the desired state (accounts, pages,
//! workstreams, queues, agents, rulesets) made true in the store, with a
//! report of what changed.

use super::apply_routing::{apply_routing, check_routing, remove_unwanted};
use super::{
    AccountPatch, ChannelDeps, NewAccount, NewPage, NewToken, NewWorkstream, VERIFY_TOKEN_LEN,
    add_page, check_name, check_secret, check_verify_token, conflict, create_account,
    delete_account, invalid_value, live_pages, load_account, remove_page, rotate_token,
    set_conversation_routing, update_account,
};
use crate::canned::admin::NewCanned;
use crate::clock::Clock;
use crate::ids::{AccountId, AppId, PageId};
use crate::ports::{
    Account, AccountStore, Page, SecretStore, WriteMode, app_secret_name, page_token_name,
};
use crate::problem::Problem;
use crate::provisioning::ProvisioningState;
use crate::routing::admin::{NewAgent, NewQueue, NewRuleset};
use crate::secret::{Secret, matches_sha256_hex};
use crate::secret_lookup::secrets_down;
use serde::{Deserialize, Serialize};

/// The whole desired configuration, as `switchboard apply` sends it
/// (secrets resolved from the environment on the operator's machine).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Desired {
    /// Where this installation is reached, as the file states it: set
    /// where Switchboard runs (`serve --config`), ignored by the admin API
    /// (an exported file carries it).
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub public_url: Option<String>,
    /// Absent: accounts and pages are not managed by this file.
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub accounts: Option<Vec<DesiredAccount>>,
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
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub canned_responses: Option<Vec<NewCanned>>,
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
    #[serde(default)]
    pub canned_responses: Option<Vec<NewCanned>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredAccount {
    pub id: AccountId,
    pub name: String,
    pub app_id: AppId,
    /// Absent: the stored secret is kept (an exported file has none); a
    /// new account needs it.
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub app_secret: Option<Secret>,
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
    /// Absent: the stored token is kept; a page not yet connected needs it.
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub access_token: Option<Secret>,
    /// Absent: Switchboard owns new threads and keeps them.
    #[serde(default)]
    pub conversation_routing: crate::thread_control::ConversationRouting,
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

async fn secret_differs(
    secrets: &dyn SecretStore,
    name: &str,
    want: &Secret,
) -> Result<bool, Problem> {
    Ok(secrets.get(name).await.map_err(secrets_down)?.as_ref() != Some(want))
}

/// Where a configuration comes from, and so how its accounts and pages are
/// made true: the one thing the two entry points do differently. The
/// routing sections (workstreams, queues, agents, rulesets) are applied the
/// same way by both, checked as the admin API checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyMode {
    /// `POST /admin/v1/apply` (`switchboard apply`): the file is the whole
    /// configuration. Every value is checked first; accounts, pages,
    /// workstreams, agents and rulesets it does not list are removed; pages
    /// are connected through Meta (provisioned), a new one needs its
    /// `access_token`. With `dry_run`, only report.
    Admin { dry_run: bool },
    /// `switchboard serve --config` at start: accounts and pages are
    /// written to the store as listed (secrets stored, no call to Meta, a
    /// page may come without a token and keeps its provisioning state);
    /// nothing the file does not list is removed.
    Start,
}

/// Make the store match `desired` (see [`ApplyMode`] for what differs by
/// entry point). Applying the same file twice changes nothing the second
/// time.
pub async fn apply_as(
    deps: &ChannelDeps,
    desired: Desired,
    mode: ApplyMode,
) -> Result<ApplyReport, Problem> {
    let dry_run = mode == ApplyMode::Admin { dry_run: true };
    let mut report = ApplyReport {
        dry_run,
        ..ApplyReport::default()
    };
    let sections = RoutingSections {
        workstreams: desired.workstreams,
        queues: desired.queues,
        agents: desired.agents,
        rulesets: desired.rulesets,
        canned_responses: desired.canned_responses,
    };
    // Validate the whole file before changing anything.
    check_routing(deps, &sections).await?;
    match mode {
        ApplyMode::Admin { dry_run } => {
            if let Some(accounts) = &desired.accounts {
                check_accounts(deps, accounts).await?;
            }
            connect_accounts(deps, desired.accounts, &sections, dry_run, &mut report).await?;
        }
        ApplyMode::Start => {
            let accounts = desired.accounts.unwrap_or_default();
            for a in &accounts {
                for p in &a.pages {
                    super::pages::check_routing(&a.app_id, &p.conversation_routing)?;
                }
            }
            write_accounts(Stores::of(deps), &accounts, &mut report).await?;
        }
    }
    apply_routing(deps, sections, dry_run, &mut report).await?;
    Ok(report)
}

/// `POST /admin/v1/apply`: [`apply_as`] in [`ApplyMode::Admin`].
pub async fn apply(
    deps: &ChannelDeps,
    desired: Desired,
    dry_run: bool,
) -> Result<ApplyReport, Problem> {
    apply_as(deps, desired, ApplyMode::Admin { dry_run }).await
}

/// Every account and page value as the admin API checks it, and no page
/// listed twice or bound to another listed account.
async fn check_accounts(deps: &ChannelDeps, accounts: &[DesiredAccount]) -> Result<(), Problem> {
    let mut seen_pages = std::collections::HashMap::new();
    let mut seen_accounts = std::collections::HashSet::new();
    for a in accounts {
        if !seen_accounts.insert(&a.id) {
            return Err(invalid_value(
                "duplicate_account",
                format!("account {} is listed twice", a.id),
            ));
        }
        check_name(&a.name)?;
        match &a.app_secret {
            Some(s) => check_secret(s, "invalid_app_secret", "app_secret")?,
            None if deps.accounts.get_account(&a.id).await?.is_none() => {
                return Err(missing_app_secret(&a.id));
            }
            None => {}
        }
        if let Some(t) = &a.verify_token {
            check_verify_token(t)?;
        }
        for p in &a.pages {
            check_name(&p.name)?;
            super::pages::check_routing(&a.app_id, &p.conversation_routing)?;
            let bound = deps
                .accounts
                .get_page(&p.page_id)
                .await?
                .filter(Page::is_live);
            match &p.access_token {
                Some(t) => check_secret(t, "invalid_access_token", "access_token")?,
                None if bound.as_ref().is_none_or(|b| b.account_id != a.id) => {
                    return Err(missing_access_token(&p.page_id));
                }
                None => {}
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
            if let Some(bound) = bound
                && bound.account_id != a.id
                && accounts.iter().any(|d| {
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
    Ok(())
}

/// A new account without its app secret (an exported file has none).
fn missing_app_secret(id: &AccountId) -> Problem {
    let mut p = invalid_value(
        "missing_app_secret",
        format!(
            "account {id} is new: it needs its app_secret (a stored account keeps its secret when the file leaves it out)"
        ),
    );
    p.extra
        .insert("field".into(), format!("accounts.{id}.app_secret").into());
    p
}

/// A page not yet connected without its access token.
fn missing_access_token(page: &PageId) -> Problem {
    let mut p = invalid_value(
        "missing_access_token",
        format!(
            "page {page} needs an access_token to be connected (a connected page keeps its token when the file leaves it out)"
        ),
    );
    p.extra
        .insert("field".into(), format!("pages.{page}.access_token").into());
    p
}

/// [`ApplyMode::Admin`]'s accounts and pages, through the admin API's own
/// operations. Rulesets, agents and workstreams no longer wanted go first,
/// so their pages and queues are free.
async fn connect_accounts(
    deps: &ChannelDeps,
    accounts: Option<Vec<DesiredAccount>>,
    sections: &RoutingSections,
    dry_run: bool,
    report: &mut ApplyReport,
) -> Result<(), Problem> {
    remove_unwanted(deps, sections, dry_run, report).await?;
    let Some(accounts) = accounts else {
        return Ok(());
    };
    let existing = deps.accounts.list_accounts().await?;
    let wanted_ids: Vec<&AccountId> = accounts.iter().map(|a| &a.id).collect();

    // Accounts no longer wanted (their pages with them).
    for a in existing.iter().filter(|a| !wanted_ids.contains(&&a.id)) {
        report.changes.push(format!("remove account {}", a.id));
        if !dry_run {
            delete_account(deps, &a.id).await?;
        }
    }
    for want in accounts {
        let current = existing.iter().find(|a| a.id == want.id);
        match current {
            None => {
                report.changes.push(format!("create account {}", want.id));
                let Some(app_secret) = want.app_secret.clone() else {
                    return Err(missing_app_secret(&want.id));
                };
                if !dry_run {
                    let generated = want.verify_token.is_none();
                    let view = create_account(
                        deps,
                        NewAccount {
                            id: Some(want.id.clone()),
                            name: want.name.clone(),
                            app_id: want.app_id.clone(),
                            app_secret,
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
                if let Some(secret) = &want.app_secret
                    && secret_differs(deps.secrets.as_ref(), &cur.app_secret_ref, secret).await?
                {
                    report
                        .changes
                        .push(format!("replace account {}'s app secret", want.id));
                    patch.app_secret = Some(secret.clone());
                }
                let verify_changed = want
                    .verify_token
                    .as_ref()
                    .is_some_and(|t| !matches_sha256_hex(t.expose(), &cur.verify_token_sha256));
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
        apply_pages(deps, &want, current.is_some(), dry_run, report).await?;
    }
    Ok(())
}

/// The stores [`ApplyMode::Start`] writes accounts and pages to.
#[derive(Clone, Copy)]
pub struct Stores<'a> {
    pub accounts: &'a dyn AccountStore,
    pub secrets: &'a dyn SecretStore,
    pub clock: &'a dyn Clock,
}

impl<'a> Stores<'a> {
    pub fn of(deps: &'a ChannelDeps) -> Self {
        Self {
            accounts: deps.accounts.as_ref(),
            secrets: deps.secrets.as_ref(),
            clock: deps.clock.as_ref(),
        }
    }
}

/// Store `value` under `name` unless it is there already; whether it was stored.
async fn store_secret(
    secrets: &dyn SecretStore,
    name: &str,
    value: &Secret,
) -> Result<bool, Problem> {
    let differs = secret_differs(secrets, name, value).await?;
    if differs {
        secrets.put(name, value).await.map_err(secrets_down)?;
    }
    Ok(differs)
}

/// What a write did, as [`ApplyMode::Start`] reports it.
fn created_or_updated(existed: bool) -> &'static str {
    if existed { "updated" } else { "created" }
}

/// [`ApplyMode::Start`]'s accounts and pages: each account and page record
/// written as listed (kept as it is when it already says so), secrets stored
/// under their names, a verify token generated for a new account that gives
/// none. A page already on another live account is refused.
pub async fn write_accounts(
    stores: Stores<'_>,
    accounts: &[DesiredAccount],
    report: &mut ApplyReport,
) -> Result<(), Problem> {
    let now = stores.clock.now();
    for a in accounts {
        let existing = stores.accounts.get_account(&a.id).await?;
        let secret_name = match (&a.app_secret, &existing) {
            (Some(secret), _) => {
                let name = app_secret_name(&a.id);
                if store_secret(stores.secrets, &name, secret).await? {
                    report
                        .changes
                        .push(format!("account {}: app secret stored", a.id));
                }
                name
            }
            // Left out: the stored one is kept.
            (None, Some(e)) => e.app_secret_ref.clone(),
            (None, None) => return Err(missing_app_secret(&a.id)),
        };
        let verify_hash = match (&a.verify_token, &existing) {
            (Some(t), Some(e)) if matches_sha256_hex(t.expose(), &e.verify_token_sha256) => {
                e.verify_token_sha256.clone()
            }
            (Some(t), _) => t.sha256_hex(),
            (None, Some(e)) => e.verify_token_sha256.clone(),
            (None, None) => {
                let t = Secret::generate(VERIFY_TOKEN_LEN);
                report
                    .verify_tokens
                    .insert(a.id.to_string(), t.expose().to_string());
                t.sha256_hex()
            }
        };
        let wanted = Account {
            id: a.id.clone(),
            name: a.name.clone(),
            app_id: a.app_id.clone(),
            app_secret_ref: secret_name,
            verify_token_sha256: verify_hash,
            created_at: existing.as_ref().map_or(now, |e| e.created_at),
            updated_at: now,
            webhook_verified_at: existing.as_ref().and_then(|e| e.webhook_verified_at),
        };
        let same = existing.as_ref().is_some_and(|e| {
            Account {
                updated_at: e.updated_at,
                ..wanted.clone()
            } == *e
        });
        if !same {
            stores
                .accounts
                .put_account(&wanted, WriteMode::Upsert)
                .await?;
            report.changes.push(format!(
                "account {}: {}",
                a.id,
                created_or_updated(existing.is_some())
            ));
        }
        for p in &a.pages {
            write_page(stores, &a.id, p, now, report).await?;
        }
    }
    Ok(())
}

async fn write_page(
    stores: Stores<'_>,
    account: &AccountId,
    p: &DesiredPage,
    now: crate::time::Millis,
    report: &mut ApplyReport,
) -> Result<(), Problem> {
    let existing = stores.accounts.get_page(&p.page_id).await?;
    if let Some(e) = &existing
        && e.account_id != *account
        && e.is_live()
    {
        return Err(conflict(format!(
            "page {} already belongs to account {}; remove it there first",
            p.page_id, e.account_id
        )));
    }
    let token_ref = match &p.access_token {
        Some(t) => {
            let name = page_token_name(&p.page_id);
            if store_secret(stores.secrets, &name, t).await? {
                report
                    .changes
                    .push(format!("page {}: access token stored", p.page_id));
            }
            Some(name)
        }
        // Left out: a page of this account keeps its stored token.
        None => existing
            .as_ref()
            .filter(|e| e.account_id == *account)
            .and_then(|e| e.access_token_ref.clone()),
    };
    let wanted = Page {
        page_id: p.page_id.clone(),
        account_id: account.clone(),
        name: p.name.clone(),
        access_token_ref: token_ref,
        created_at: existing.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
        provisioning: existing
            .as_ref()
            .map(|e| e.provisioning.clone())
            .unwrap_or_default(),
        token: existing.as_ref().and_then(|e| e.token.clone()),
        conversation_routing: p.conversation_routing.clone(),
    };
    let same = existing.as_ref().is_some_and(|e| {
        Page {
            updated_at: e.updated_at,
            ..wanted.clone()
        } == *e
    });
    if !same {
        stores.accounts.put_page(&wanted, WriteMode::Upsert).await?;
        report.changes.push(format!(
            "page {}: {}",
            p.page_id,
            created_or_updated(existing.is_some())
        ));
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
        live_pages(deps.accounts.as_ref(), &want.id).await?
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
                    return Err(missing_access_token(&wp.page_id));
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
                        conversation_routing: wp.conversation_routing.clone(),
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
                if cur.conversation_routing != wp.conversation_routing {
                    report
                        .changes
                        .push(format!("change page {}'s conversation routing", wp.page_id));
                    if !dry_run {
                        set_conversation_routing(
                            deps,
                            &want.id,
                            &wp.page_id,
                            wp.conversation_routing.clone(),
                        )
                        .await?;
                    }
                }
                if let Some(token) = &wp.access_token {
                    let token_ref = cur
                        .access_token_ref
                        .clone()
                        .unwrap_or_else(|| page_token_name(&wp.page_id));
                    if secret_differs(deps.secrets.as_ref(), &token_ref, token).await? {
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
