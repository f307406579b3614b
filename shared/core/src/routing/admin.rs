//! Managing agents, queues and rulesets (admin API and `switchboard
//! apply`), validated on the way in: unknown queues, transfer cycles,
//! regular expressions that do not compile, impossible hours, each refused
//! with a sentence that says what to fix.

use super::classify::check_condition;
use super::engine::{self, RoutingDeps, RoutingError};
use super::hours::check_hours;
use super::model::{
    Agent, AgentId, AgentState, AssignmentMethod, BasePresence, Condition, Distribution,
    OperatingHours, Overflow, PresenceSetting, ProfileName, Queue, QueueId, Ruleset, RulesetId,
    RulesetKind, Skill,
};
use crate::ports::{StoreError, WriteMode};
use crate::problem::Problem;
use crate::problem::Status;
use crate::time::Millis;
use crate::workstreams::{Workstream, WorkstreamId};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};

impl From<RoutingError> for Problem {
    fn from(e: RoutingError) -> Self {
        match e {
            RoutingError::NotFound(m) => Problem::not_found(m),
            RoutingError::Conflict(m) => Problem::new(Status::CONFLICT, "conflict", "Conflict", m),
            RoutingError::Store(e) => e.into(),
        }
    }
}

fn invalid(code: &'static str, detail: impl Into<String>) -> Problem {
    Problem::new(
        Status::UNPROCESSABLE_ENTITY,
        code,
        "Invalid configuration",
        detail,
    )
}

fn check(cond: bool, code: &'static str, detail: impl FnOnce() -> String) -> Result<(), Problem> {
    if cond {
        Ok(())
    } else {
        Err(invalid(code, detail()))
    }
}

fn check_name(name: &str) -> Result<(), Problem> {
    check(
        !name.trim().is_empty() && name.len() <= 200,
        "invalid_name",
        || "name must be 1 to 200 characters".into(),
    )
}

fn conflict(e: StoreError, what: String) -> Problem {
    match e {
        StoreError::Conflict(_) => Problem::new(
            Status::CONFLICT,
            "conflict",
            "Conflict",
            format!("{what} already exists"),
        ),
        StoreError::NotFound(_) => Problem::not_found(format!("no {what}")),
        e => e.into(),
    }
}

async fn queue_exists(deps: &RoutingDeps, q: &QueueId, used_by: &str) -> Result<(), Problem> {
    if deps.config.get_queue(q).await?.is_none() {
        return Err(invalid(
            "unknown_queue",
            format!("{used_by} names queue {q}, which does not exist; create it first"),
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------ agents

fn default_capacity() -> u32 {
    3
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    pub id: AgentId,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub skills: BTreeMap<Skill, u8>,
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    #[serde(default)]
    pub profiles: BTreeMap<ProfileName, u32>,
    #[serde(default)]
    pub queues: Vec<QueueId>,
    /// Presence when created (default offline); after that presence belongs
    /// to the agent and supervisors (`PUT /admin/v1/agents/{id}/presence`).
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub presence: Option<BasePresence>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AgentPatch {
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub skills: Option<BTreeMap<Skill, u8>>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub capacity: Option<u32>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub profiles: Option<BTreeMap<ProfileName, u32>>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub queues: Option<Vec<QueueId>>,
}

async fn check_agent(deps: &RoutingDeps, a: &Agent) -> Result<(), Problem> {
    check_agent_values(a)?;
    for q in &a.queues {
        queue_exists(deps, q, &format!("agent {}", a.id)).await?;
    }
    Ok(())
}

/// The rules an agent's own values follow (what needs no store: a dry run
/// checks these too).
pub fn check_agent_values(a: &Agent) -> Result<(), Problem> {
    check_name(&a.name)?;
    let e = a.email.trim();
    check(
        e.len() <= 254
            && e.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
            && !e.contains(char::is_whitespace),
        "invalid_email",
        || format!("{:?} is not an email address", a.email),
    )?;
    for (s, p) in &a.skills {
        check((1..=10).contains(p), "invalid_skill", || {
            format!("skill {s} has proficiency {p}; use 1 to 10")
        })?;
    }
    check(a.capacity <= 1000, "invalid_capacity", || {
        "capacity must be 0 to 1000 units".into()
    })?;
    for (p, n) in &a.profiles {
        check(*n >= 1 && *n <= 1000, "invalid_capacity", || {
            format!("profile {p} has limit {n}; use 1 to 1000")
        })?;
    }
    let mut seen = HashSet::new();
    for q in &a.queues {
        check(seen.insert(q), "duplicate_queue", || {
            format!("queue {q} is listed twice")
        })?;
    }
    Ok(())
}

pub async fn create_agent(deps: &RoutingDeps, input: NewAgent) -> Result<AgentState, Problem> {
    let now = deps.clock.now();
    let agent = Agent {
        id: input.id,
        name: input.name.trim().to_string(),
        email: input.email.trim().to_string(),
        skills: input.skills,
        capacity: input.capacity,
        profiles: input.profiles,
        queues: input.queues,
        created_at: now,
        updated_at: now,
    };
    check_agent(deps, &agent).await?;
    let what = format!("agent {}", agent.id);
    let state = deps
        .config
        .put_agent(&agent, WriteMode::Create)
        .await
        .map_err(|e| conflict(e, what))?;
    match input.presence {
        Some(status) if status != BasePresence::Offline => {
            let setting = PresenceSetting {
                status,
                label: None,
                set_at: now,
            };
            Ok(engine::set_presence(deps, &agent.id, setting).await?)
        }
        _ => Ok(state),
    }
}

pub async fn get_agent(deps: &RoutingDeps, id: &AgentId) -> Result<AgentState, Problem> {
    deps.config
        .get_agent(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no agent {id}")))
}

pub async fn list_agents(deps: &RoutingDeps) -> Result<Vec<AgentState>, Problem> {
    Ok(deps.config.list_agents().await?)
}

pub async fn update_agent(
    deps: &RoutingDeps,
    id: &AgentId,
    p: AgentPatch,
) -> Result<AgentState, Problem> {
    let mut a = get_agent(deps, id).await?.agent;
    if let Some(v) = p.name {
        a.name = v.trim().to_string();
    }
    if let Some(v) = p.email {
        a.email = v.trim().to_string();
    }
    if let Some(v) = p.skills {
        a.skills = v;
    }
    if let Some(v) = p.capacity {
        a.capacity = v;
    }
    if let Some(v) = p.profiles {
        a.profiles = v;
    }
    if let Some(v) = p.queues {
        a.queues = v;
    }
    a.updated_at = deps.clock.now();
    check_agent(deps, &a).await?;
    deps.config
        .put_agent(&a, WriteMode::Upsert)
        .await
        .map_err(|e| conflict(e, format!("agent {id}")))?;
    // New queues or more capacity may mean work for them now.
    engine::distribute_agent(deps, id).await?;
    get_agent(deps, id).await
}

pub async fn delete_agent(deps: &RoutingDeps, id: &AgentId) -> Result<(), Problem> {
    deps.config.delete_agent(id).await.map_err(|e| match e {
        StoreError::Conflict(_) => Problem::new(
            Status::CONFLICT,
            "agent_busy",
            "Conflict",
            format!("agent {id} holds or is offered conversations; close or transfer them first"),
        ),
        StoreError::NotFound(_) => Problem::not_found(format!("no agent {id}")),
        e => e.into(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceInput {
    pub status: BasePresence,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub label: Option<String>,
}

pub async fn put_presence(
    deps: &RoutingDeps,
    id: &AgentId,
    input: PresenceInput,
) -> Result<AgentState, Problem> {
    if let Some(l) = &input.label {
        check(
            !l.trim().is_empty() && l.len() <= 60,
            "invalid_presence",
            || "a custom presence label is 1 to 60 characters".into(),
        )?;
    }
    let setting = PresenceSetting {
        status: input.status,
        label: input.label.map(|l| l.trim().to_string()),
        set_at: deps.clock.now(),
    };
    Ok(engine::set_presence(deps, id, setting).await?)
}

/// The caller's console heartbeat ([`engine::heartbeat`]): their state.
pub async fn heartbeat(deps: &RoutingDeps, id: &AgentId) -> Result<AgentState, Problem> {
    Ok(engine::heartbeat(deps, id).await?)
}

// ------------------------------------------------------------------ queues

fn default_queue_priority() -> u32 {
    10
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct NewQueue {
    pub id: QueueId,
    pub name: String,
    #[serde(default = "default_queue_priority")]
    pub priority: u32,
    #[serde(default)]
    pub assignment: AssignmentMethod,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub hours: Option<OperatingHours>,
    #[serde(default)]
    pub overflow: Overflow,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct QueuePatch {
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub priority: Option<u32>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub assignment: Option<AssignmentMethod>,
    /// `null` removes the hours (always open).
    #[serde(default, deserialize_with = "some")]
    pub hours: Option<Option<OperatingHours>>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub overflow: Option<Overflow>,
}

pub(crate) fn some<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Refuse transfers to unknown queues, to itself, and cycles.
async fn check_queue(deps: &RoutingDeps, q: &Queue) -> Result<(), Problem> {
    check_queue_values(q)?;
    let mut graph: HashMap<QueueId, Vec<QueueId>> = HashMap::new();
    for other in deps.config.list_queues().await? {
        if other.id != q.id {
            graph.insert(
                other.id.clone(),
                other.overflow.targets().cloned().collect(),
            );
        }
    }
    for t in q.overflow.targets() {
        check(*t != q.id, "transfer_cycle", || {
            format!("queue {} overflows to itself", q.id)
        })?;
        check(graph.contains_key(t), "unknown_queue", || {
            format!(
                "queue {} overflows to queue {t}, which does not exist; create it first",
                q.id
            )
        })?;
    }
    graph.insert(q.id.clone(), q.overflow.targets().cloned().collect());
    // Walk from this queue; coming back to it is a cycle.
    let mut stack: Vec<(QueueId, Vec<QueueId>)> = vec![(q.id.clone(), vec![q.id.clone()])];
    let mut seen = HashSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in graph.get(&at).into_iter().flatten() {
            let mut p = path.clone();
            p.push(next.clone());
            if *next == q.id {
                return Err(invalid(
                    "transfer_cycle",
                    format!(
                        "overflow transfers go round in a cycle: {}",
                        p.iter()
                            .map(QueueId::as_str)
                            .collect::<Vec<_>>()
                            .join(" -> ")
                    ),
                ));
            }
            if seen.insert(next.clone()) {
                stack.push((next.clone(), p));
            }
        }
    }
    Ok(())
}

pub async fn create_queue(deps: &RoutingDeps, input: NewQueue) -> Result<Queue, Problem> {
    let now = deps.clock.now();
    let q = Queue {
        id: input.id,
        name: input.name.trim().to_string(),
        priority: input.priority,
        assignment: input.assignment,
        hours: input.hours,
        overflow: input.overflow,
        created_at: now,
        updated_at: now,
    };
    check_queue(deps, &q).await?;
    deps.config
        .put_queue(&q, WriteMode::Create)
        .await
        .map_err(|e| conflict(e, format!("queue {}", q.id)))?;
    Ok(q)
}

pub async fn get_queue(deps: &RoutingDeps, id: &QueueId) -> Result<Queue, Problem> {
    deps.config
        .get_queue(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no queue {id}")))
}

pub async fn list_queues(deps: &RoutingDeps) -> Result<Vec<Queue>, Problem> {
    Ok(deps.config.list_queues().await?)
}

pub async fn update_queue(
    deps: &RoutingDeps,
    id: &QueueId,
    p: QueuePatch,
) -> Result<Queue, Problem> {
    let mut q = get_queue(deps, id).await?;
    if let Some(v) = p.name {
        q.name = v.trim().to_string();
    }
    if let Some(v) = p.priority {
        q.priority = v;
    }
    if let Some(v) = p.assignment {
        q.assignment = v;
    }
    if let Some(v) = p.hours {
        q.hours = v;
    }
    if let Some(v) = p.overflow {
        q.overflow = v;
    }
    q.updated_at = deps.clock.now();
    check_queue(deps, &q).await?;
    deps.config.put_queue(&q, WriteMode::Upsert).await?;
    Ok(q)
}

/// What still names a queue (it cannot go while anything does).
async fn queue_users(deps: &RoutingDeps, id: &QueueId) -> Result<Vec<String>, Problem> {
    let mut users = Vec::new();
    for a in deps.config.list_agents().await? {
        if a.agent.queues.contains(id) {
            users.push(format!("agent {}", a.agent.id));
        }
    }
    for q in deps.config.list_queues().await? {
        if q.id != *id && q.overflow.targets().any(|t| t == id) {
            users.push(format!("queue {} (overflow)", q.id));
        }
    }
    for r in deps.config.list_rulesets(None).await? {
        if let RulesetKind::RouteToQueue { rules } = &r.kind
            && rules.iter().any(|rule| rule.queue == *id)
        {
            users.push(format!("ruleset {}", r.id));
        }
    }
    for w in deps.workstreams.list_workstreams().await? {
        if w.distribution.fallback_queue.as_ref() == Some(id) {
            users.push(format!("workstream {} (fallback)", w.id));
        }
    }
    if deps.routing.count_waiting(id, 1).await? > 0 {
        users.push("conversations waiting in it".into());
    }
    Ok(users)
}

pub async fn delete_queue(deps: &RoutingDeps, id: &QueueId) -> Result<(), Problem> {
    get_queue(deps, id).await?;
    let users = queue_users(deps, id).await?;
    if !users.is_empty() {
        return Err(Problem::new(
            Status::CONFLICT,
            "queue_in_use",
            "Conflict",
            format!(
                "queue {id} is still used by {}; change those first",
                users.join(", ")
            ),
        ));
    }
    deps.config
        .delete_queue(id)
        .await
        .map_err(|e| conflict(e, format!("queue {id}")))
}

// ------------------------------------------------------------------ rulesets

/// (Unknown top-level fields cannot be refused here: serde does not
/// combine that with the flattened kind; the rules inside refuse theirs.)
#[derive(Debug, Deserialize, Clone)]
pub struct NewRuleset {
    pub id: RulesetId,
    pub workstream: WorkstreamId,
    pub name: String,
    #[serde(default)]
    pub order: u32,
    #[serde(flatten)]
    pub kind: RulesetKind,
}

#[derive(Debug, Deserialize, Default)]
pub struct RulesetPatch {
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub workstream: Option<WorkstreamId>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::serde_rules::present")]
    pub order: Option<u32>,
    #[serde(flatten)]
    pub kind: Option<RulesetKind>,
}

fn condition_depth(c: &Condition) -> usize {
    match c {
        Condition::All(cs) | Condition::Any(cs) => {
            1 + cs.iter().map(condition_depth).max().unwrap_or(0)
        }
        Condition::Not(c) => 1 + condition_depth(c),
        _ => 1,
    }
}

async fn check_ruleset(deps: &RoutingDeps, r: &Ruleset) -> Result<(), Problem> {
    check_ruleset_values(r)?;
    if deps
        .workstreams
        .get_workstream(&r.workstream)
        .await?
        .is_none()
    {
        return Err(invalid(
            "unknown_workstream",
            format!(
                "ruleset {} names workstream {}, which does not exist",
                r.id, r.workstream
            ),
        ));
    }
    if let RulesetKind::RouteToQueue { rules } = &r.kind {
        for rule in rules {
            queue_exists(deps, &rule.queue, &format!("rule {:?}", rule.name)).await?;
        }
    }
    Ok(())
}

/// The rules a queue's own values follow (a dry run checks these too).
pub fn check_queue_values(q: &Queue) -> Result<(), Problem> {
    check_name(&q.name)?;
    if let Some(h) = &q.hours {
        check_hours(h).map_err(|m| invalid("invalid_hours", m))?;
    }
    if let Some(m) = &q.overflow.max_waiting {
        check(m.items >= 1, "invalid_overflow", || {
            "max_waiting.items must be at least 1".into()
        })?;
    }
    if let Some(m) = &q.overflow.max_wait {
        check(m.seconds >= 1, "invalid_overflow", || {
            "max_wait.seconds must be at least 1".into()
        })?;
    }
    Ok(())
}

/// The rules a ruleset's own values follow (a dry run checks these too).
pub fn check_ruleset_values(r: &Ruleset) -> Result<(), Problem> {
    check_name(&r.name)?;
    let rules: Vec<(&String, &Condition)> = match &r.kind {
        RulesetKind::Classification { rules } => {
            for rule in rules {
                for (s, p) in &rule.set.skills {
                    check((1..=10).contains(p), "invalid_skill", || {
                        format!("rule {:?} requires {s} >= {p}; use 1 to 10", rule.name)
                    })?;
                }
            }
            rules.iter().map(|x| (&x.name, &x.when)).collect()
        }
        RulesetKind::RouteToQueue { rules } => rules.iter().map(|x| (&x.name, &x.when)).collect(),
    };
    check(rules.len() <= 200, "too_many_rules", || {
        "a ruleset holds at most 200 rules".into()
    })?;
    let mut names = HashSet::new();
    for (name, when) in rules {
        check(
            !name.trim().is_empty() && name.len() <= 200,
            "invalid_rule",
            || "every rule needs a name of 1 to 200 characters".into(),
        )?;
        check(names.insert(name), "invalid_rule", || {
            format!("two rules are named {name:?}")
        })?;
        check(condition_depth(when) <= 16, "invalid_rule", || {
            format!("rule {name:?} nests conditions deeper than 16")
        })?;
        check_condition(when).map_err(|m| {
            invalid(
                if m.contains("regular expression") {
                    "invalid_regex"
                } else {
                    "invalid_rule"
                },
                format!("rule {name:?}: {m}"),
            )
        })?;
    }
    Ok(())
}

pub async fn create_ruleset(deps: &RoutingDeps, input: NewRuleset) -> Result<Ruleset, Problem> {
    let now = deps.clock.now();
    let r = Ruleset {
        id: input.id,
        workstream: input.workstream,
        name: input.name.trim().to_string(),
        order: input.order,
        kind: input.kind,
        created_at: now,
        updated_at: now,
    };
    check_ruleset(deps, &r).await?;
    deps.config
        .put_ruleset(&r, WriteMode::Create)
        .await
        .map_err(|e| conflict(e, format!("ruleset {}", r.id)))?;
    Ok(r)
}

pub async fn get_ruleset(deps: &RoutingDeps, id: &RulesetId) -> Result<Ruleset, Problem> {
    deps.config
        .get_ruleset(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no ruleset {id}")))
}

pub async fn list_rulesets(
    deps: &RoutingDeps,
    ws: Option<&WorkstreamId>,
) -> Result<Vec<Ruleset>, Problem> {
    Ok(deps.config.list_rulesets(ws).await?)
}

pub async fn update_ruleset(
    deps: &RoutingDeps,
    id: &RulesetId,
    p: RulesetPatch,
) -> Result<Ruleset, Problem> {
    let mut r = get_ruleset(deps, id).await?;
    if let Some(v) = p.workstream {
        r.workstream = v;
    }
    if let Some(v) = p.name {
        r.name = v.trim().to_string();
    }
    if let Some(v) = p.order {
        r.order = v;
    }
    if let Some(v) = p.kind {
        r.kind = v;
    }
    r.updated_at = deps.clock.now();
    check_ruleset(deps, &r).await?;
    deps.config.put_ruleset(&r, WriteMode::Upsert).await?;
    Ok(r)
}

pub async fn delete_ruleset(deps: &RoutingDeps, id: &RulesetId) -> Result<(), Problem> {
    deps.config
        .delete_ruleset(id)
        .await
        .map_err(|e| conflict(e, format!("ruleset {id}")))
}

// ------------------------------------------------------------------ workstream distribution

/// Check a workstream's distribution settings (`before`: the stored
/// workstream when updating; the mode cannot change after creation).
pub async fn check_distribution(
    deps: &RoutingDeps,
    d: &Distribution,
    before: Option<&Workstream>,
) -> Result<(), Problem> {
    if let Some(b) = before {
        check(b.distribution.mode == d.mode, "mode_fixed", || {
            format!(
                "workstream {} distributes by {:?}; the mode is fixed after creation (create another workstream)",
                b.id, b.distribution.mode
            )
        })?;
    }
    check(
        !d.allowed_presences.is_empty(),
        "invalid_distribution",
        || "allowed_presences needs at least one presence, e.g. [available, busy]".into(),
    )?;
    check(
        d.capacity.units > 0 || d.capacity.profile.is_some(),
        "invalid_distribution",
        || "a conversation needs at least 1 capacity unit or a capacity profile".into(),
    )?;
    check(
        (10..=3600).contains(&d.offer_timeout_seconds),
        "invalid_distribution",
        || "offer_timeout_seconds must be 10 to 3600".into(),
    )?;
    check(
        d.affinity.wait_seconds <= 3600,
        "invalid_distribution",
        || "affinity.wait_seconds must be at most 3600".into(),
    )?;
    if let Some(s) = d.auto_close_after_seconds {
        check(s >= 60, "invalid_distribution", || {
            "auto_close_after_seconds must be at least 60".into()
        })?;
    }
    if let Some(s) = d.reclaim_after_seconds {
        check(s >= 30, "invalid_distribution", || {
            "reclaim_after_seconds must be at least 30".into()
        })?;
    }
    if let Some(s) = d.first_response_alert_seconds {
        check(s >= 10, "invalid_distribution", || {
            "first_response_alert_seconds must be at least 10".into()
        })?;
        if let Some(r) = d.reclaim_after_seconds {
            check(s < r, "invalid_distribution", || {
                format!(
                    "first_response_alert_seconds ({s}) must be less than reclaim_after_seconds ({r}): the alert comes first"
                )
            })?;
        }
    }
    if let Some(s) = d.handoff_after_seconds {
        check(s >= 30, "invalid_distribution", || {
            "handoff_after_seconds must be at least 30".into()
        })?;
        check(
            !(d.allowed_presences.contains(&BasePresence::Away)
                && d.allowed_presences.contains(&BasePresence::Offline)),
            "invalid_distribution",
            || {
                "handoff_after_seconds never applies when allowed_presences lets away and offline agents work".into()
            },
        )?;
    }
    if let Some(q) = &d.fallback_queue {
        queue_exists(deps, q, "the workstream's fallback_queue").await?;
    }
    Ok(())
}

// ------------------------------------------------------------------ configuration files

/// The record a file entry describes (timestamps zero), for comparing.
pub fn queue_from(q: &NewQueue) -> Queue {
    Queue {
        id: q.id.clone(),
        name: q.name.trim().to_string(),
        priority: q.priority,
        assignment: q.assignment,
        hours: q.hours.clone(),
        overflow: q.overflow.clone(),
        created_at: Millis(0),
        updated_at: Millis(0),
    }
}

pub fn queue_patch(q: &NewQueue) -> QueuePatch {
    QueuePatch {
        name: Some(q.name.clone()),
        priority: Some(q.priority),
        assignment: Some(q.assignment),
        hours: Some(q.hours.clone()),
        overflow: Some(q.overflow.clone()),
    }
}

pub fn agent_from(a: &NewAgent) -> Agent {
    Agent {
        id: a.id.clone(),
        name: a.name.trim().to_string(),
        email: a.email.trim().to_string(),
        skills: a.skills.clone(),
        capacity: a.capacity,
        profiles: a.profiles.clone(),
        queues: a.queues.clone(),
        created_at: Millis(0),
        updated_at: Millis(0),
    }
}

pub fn agent_patch(a: NewAgent) -> AgentPatch {
    AgentPatch {
        name: Some(a.name),
        email: Some(a.email),
        skills: Some(a.skills),
        capacity: Some(a.capacity),
        profiles: Some(a.profiles),
        queues: Some(a.queues),
    }
}

pub fn ruleset_from(r: &NewRuleset) -> Ruleset {
    Ruleset {
        id: r.id.clone(),
        workstream: r.workstream.clone(),
        name: r.name.trim().to_string(),
        order: r.order,
        kind: r.kind.clone(),
        created_at: Millis(0),
        updated_at: Millis(0),
    }
}

pub fn ruleset_patch(r: NewRuleset) -> RulesetPatch {
    RulesetPatch {
        workstream: Some(r.workstream),
        name: Some(r.name),
        order: Some(r.order),
        kind: Some(r.kind),
    }
}
