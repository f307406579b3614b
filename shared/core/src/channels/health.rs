//! Page health: alerts for pages that need an administrator, the periodic
//! token check, and Graph API token errors reported on a page's behalf.

use super::pages::provision_and_save;
use super::{PageDeps, accounts_with_pages, stored_token};
use crate::ids::{AccountId, PageId};
use crate::ports::{Account, Page, WriteMode};
use crate::problem::Problem;
use crate::provisioning::{self, Provisioning, ProvisioningState, Target, TokenHealth};
use crate::secret::Secret;
use crate::secret_lookup::app_secret;
use crate::time::{self, Millis};
use serde::Serialize;

/// How close to a token's expiry an alert is raised.
pub const EXPIRY_WARNING_SECS: i64 = 14 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Provisioning failed or a Graph call answered 190/492.
    PageError,
    /// Waiting for Meta (a timeout or outage during provisioning).
    PageProvisioning,
    /// Running, with a warning (e.g. subscribed without optional webhook fields).
    PageWarning,
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

/// Pages that need an administrator: in error, stuck provisioning, running
/// with a warning, or with a token (or its data access) expiring within 14 days.
pub async fn alerts(deps: &PageDeps) -> Result<Vec<Alert>, Problem> {
    let now = deps.clock.now();
    let soon = now.0 / 1000 + EXPIRY_WARNING_SECS;
    let mut out = Vec::new();
    for (account, pages) in accounts_with_pages(deps.accounts.as_ref()).await? {
        for page in pages {
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
                ProvisioningState::Running if !reason.trim().is_empty() => out.push(alert(
                    AlertKind::PageWarning,
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
        tracing::warn!(kind = ?a.kind, account_id = %a.account_id, page_id = %a.page_id, alert = %a.message, "page alert");
    }
    Ok(out)
}

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
pub async fn check_tokens(deps: &PageDeps) -> Result<TokenCheckReport, Problem> {
    let now = deps.clock.now();
    let mut report = TokenCheckReport::default();
    for (account, pages) in accounts_with_pages(deps.accounts.as_ref()).await? {
        for page in pages {
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
            let Some(token) = stored_token(deps.secrets.as_ref(), &page).await? else {
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
    deps: &PageDeps,
    account: &Account,
    mut page: Page,
    token: &Secret,
) -> Result<Page, Problem> {
    let app_secret = app_secret(deps.secrets.as_ref(), account).await?;
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
                page.provisioning = Provisioning::token_refused(reason, &info, now);
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

/// Report a Graph API failure on a page's behalf. A token error (190, 492)
/// moves the page to `error` at once, with Meta's code and what to do, so
/// an alert is raised before agents notice; other errors change nothing.
/// Every caller of the Graph API with a page token reports here (the
/// sender, profile look-ups). Returns whether the page was moved.
pub async fn report_graph_error(
    deps: &PageDeps,
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
