//! Configuration as code, write side: the desired state (accounts, pages,
//! workstreams, queues, agents, rulesets) made true in the store, with a
//! report of what changed.

use super::workstreams::check_ws_messages;
use super::{
    AccountPatch, ChannelDeps, NewAccount, NewPage, NewToken, NewWorkstream, WorkstreamPatch,
    add_page, check_name, check_secret, check_verify_token, conflict, create_account,
    create_workstream, delete_account, delete_workstream, invalid_value, live_pages, load_account,
    remove_page, rotate_token, update_account, update_workstream,
};
use crate::ids::{AccountId, AppId, PageId};
use crate::ports::{Page, WriteMode, page_token_name};
use crate::problem::Problem;
use crate::provisioning::ProvisioningState;
use crate::routing::admin::{self as routing_admin, NewAgent, NewQueue, NewRuleset};
use crate::secret::Secret;
use crate::secret_lookup::secrets_down;
use serde::{Deserialize, Serialize};

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
        live_pages(deps, &want.id).await?
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
