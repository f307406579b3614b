//! Configuration as code, routing sections: workstreams, queues, agents
//! and rulesets made to match a file, in dependency order. The one apply
//! engine ([`super::apply::apply_as`]) runs this step for both entry points.

use super::apply::{ApplyReport, RoutingSections};
use super::workstreams::check_ws_messages;
use super::{
    ChannelDeps, WorkstreamPatch, check_name, create_workstream, delete_workstream, invalid_value,
    update_workstream,
};
use crate::canned::admin::{self as canned, NewCanned};
use crate::problem::Problem;
use crate::routing::admin as routing_admin;
use serde::Serialize;

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

pub(super) async fn remove_unwanted(
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
                    for c in r.config.list_canned(Some(&ws.id)).await? {
                        canned::delete(&r, &c.id).await?;
                    }
                    delete_workstream(deps, &ws.id).await?;
                }
            }
        }
    }
    Ok(())
}

/// Every routing item's own values, and the queues and workstreams they
/// name, checked before anything changes: a dry run that passes does not
/// fail when applied.
pub(super) async fn check_routing(
    deps: &ChannelDeps,
    want: &RoutingSections,
) -> Result<(), Problem> {
    for q in want.queues.iter().flatten() {
        routing_admin::check_queue_values(&routing_admin::queue_from(q))?;
    }
    for rs in want.rulesets.iter().flatten() {
        routing_admin::check_ruleset_values(&routing_admin::ruleset_from(rs))?;
    }
    for a in want.agents.iter().flatten() {
        routing_admin::check_agent_values(&routing_admin::agent_from(a))?;
    }
    for c in want.canned_responses.iter().flatten() {
        canned::check_values(c)?;
    }
    for w in want.workstreams.iter().flatten() {
        check_name(&w.name)?;
        check_ws_messages(&w.automated_messages, w.survey.as_ref())?;
        if let Some(b) = &w.bot {
            b.check().map_err(|m| {
                Problem::new(
                    crate::problem::Status::UNPROCESSABLE_ENTITY,
                    "invalid_bot",
                    "Invalid bot",
                    format!("workstream {}: {m}", w.name),
                )
            })?;
        }
    }
    check_references(deps, want).await?;
    Ok(())
}

/// Every queue and workstream the file's items name exists once it is
/// applied (in the file's section, or stored when the file leaves the
/// section out), so a dry run finds what applying would refuse, and
/// applying does not stop half-way on it.
async fn check_references(deps: &ChannelDeps, want: &RoutingSections) -> Result<(), Problem> {
    use crate::routing::model::{QueueId, RulesetKind};
    use crate::workstreams::WorkstreamId;
    use std::collections::HashSet;
    let r = deps.routing_deps();
    let queues: HashSet<QueueId> = match &want.queues {
        Some(qs) => qs.iter().map(|q| q.id.clone()).collect(),
        None => r
            .config
            .list_queues()
            .await?
            .into_iter()
            .map(|q| q.id)
            .collect(),
    };
    let workstreams: HashSet<WorkstreamId> = match &want.workstreams {
        Some(ws) => ws.iter().filter_map(|w| w.id.clone()).collect(),
        None => deps
            .workstreams
            .list_workstreams()
            .await?
            .into_iter()
            .map(|w| w.id)
            .collect(),
    };
    let queue = |q: &QueueId, used_by: String| {
        if queues.contains(q) {
            Ok(())
        } else {
            Err(invalid_value(
                "unknown_queue",
                format!("{used_by} names queue {q}, which does not exist"),
            ))
        }
    };
    let workstream = |w: &WorkstreamId, used_by: String| {
        if workstreams.contains(w) {
            Ok(())
        } else {
            Err(invalid_value(
                "unknown_workstream",
                format!("{used_by} names workstream {w}, which does not exist"),
            ))
        }
    };
    for a in want.agents.iter().flatten() {
        for q in &a.queues {
            queue(q, format!("agent {}", a.id))?;
        }
    }
    for w in want.workstreams.iter().flatten() {
        if let Some(q) = &w.distribution.fallback_queue {
            queue(q, format!("workstream {}", w.name.trim()))?;
        }
    }
    for rs in want.rulesets.iter().flatten() {
        workstream(&rs.workstream, format!("ruleset {}", rs.id))?;
        if let RulesetKind::RouteToQueue { rules } = &rs.kind {
            for rule in rules {
                queue(&rule.queue, format!("ruleset {}", rs.id))?;
            }
        }
    }
    for c in want.canned_responses.iter().flatten() {
        workstream(&c.workstream, format!("canned response {}", c.id))?;
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
    check_routing(deps, &want).await?;
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
                        && cur.survey == want.survey
                        && cur.retention == want.retention
                        && super::workstreams::same_bot(deps, &cur, want.bot.as_ref()).await;
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
                                bot: Some(want.bot),
                                retention: Some(want.retention),
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
    if let Some(cs) = want.canned_responses {
        apply_canned(deps, cs, dry_run, report).await?;
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

/// Canned responses made to match the file: those it does not list go
/// first (so a shortcut may move to another id), then each is created or
/// updated.
async fn apply_canned(
    deps: &ChannelDeps,
    want: Vec<NewCanned>,
    dry_run: bool,
    report: &mut ApplyReport,
) -> Result<(), Problem> {
    let r = deps.routing_deps();
    for c in r.config.list_canned(None).await? {
        if !want.iter().any(|w| w.id == c.id) {
            report
                .changes
                .push(format!("remove canned response {}", c.id));
            if !dry_run {
                canned::delete(&r, &c.id).await?;
            }
        }
    }
    for c in want {
        match r.config.get_canned(&c.id).await? {
            None => {
                report
                    .changes
                    .push(format!("create canned response {}", c.id));
                if !dry_run {
                    canned::create(&r, c).await?;
                }
            }
            Some(cur) if !same_as(&cur, &canned::canned_from(&c, cur.updated_at)) => {
                report
                    .changes
                    .push(format!("update canned response {}", c.id));
                if !dry_run {
                    let id = c.id.clone();
                    canned::update(&r, &id, canned::patch_from(c)).await?;
                }
            }
            Some(_) => {}
        }
    }
    Ok(())
}
