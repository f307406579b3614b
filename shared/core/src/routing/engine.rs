//! The router's flows over the ports: classify and queue a new
//! conversation, offer it, answer offers, end and close, react to presence,
//! and the scheduler's timed work. Every state change is one atomic
//! `RoutingStore::apply` conditioned on the conversation's routing version
//! and (for capacity) on the agent's load: never read-then-write.

use super::classify::{Facts, any_condition, classify, detect_language, locales_in};
use super::hours::is_open;
use super::model::{
    AgentId, AgentState, BasePresence, Condition, Decision, Distribution, Mode, Offer,
    OverflowAction, PresenceSetting, Queue, QueueId, Routing, Timer, TimerKind, WaitingItem,
    WrapUp,
};
use super::select::{Need, Ranking, considered, qualifies, rank, take_op};
use crate::clock::Clock;
use crate::event::InboundEvent;
use crate::ids::ConversationId;
use crate::ports::{
    Conversation, ConversationState, ConversationStore, RoutingConfigStore, RoutingOp,
    RoutingStore, StoreError, WorkstreamStore,
};
use crate::time::Millis;
use crate::workstreams::{Workstream, WorkstreamId};
use std::collections::HashMap;
use std::sync::Arc;

/// Priority of a conversation no rule gave one (lower goes first).
pub const DEFAULT_PRIORITY: u32 = 5;
const HOUR: i64 = 3_600_000;
/// Meta's standard messaging window.
pub const WINDOW_24H: i64 = 24 * HOUR;
/// The HUMAN_AGENT tag's window.
pub const WINDOW_7D: i64 = 7 * 24 * HOUR;
/// Waiting items an agent's pull looks at per queue.
const PULL_DEPTH: usize = 25;
/// Waiting items per queue the scheduler's sweep tries each run.
const SWEEP_DEPTH: usize = 20;

#[derive(Clone)]
pub struct RoutingDeps {
    pub conversations: Arc<dyn ConversationStore>,
    pub workstreams: Arc<dyn WorkstreamStore>,
    pub config: Arc<dyn RoutingConfigStore>,
    pub routing: Arc<dyn RoutingStore>,
    pub clock: Arc<dyn Clock>,
    /// Messages to customers (automated ones, surveys) and agents' feeds.
    pub outbound: Arc<dyn crate::ports::OutboundStore>,
    pub streams: Arc<dyn crate::ports::StreamStore>,
    /// The outbound queue the sender consumes (`None`: this deployment
    /// has no sender; automated messages and surveys are skipped, logged).
    pub outbox: Option<Arc<dyn crate::ports::Queue>>,
    /// Where a new customer's name comes from (`None`: contacts keep
    /// their generated name).
    pub profiles: Option<crate::contacts::Profiles>,
}

#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    #[error("{0}")]
    NotFound(String),
    /// The request cannot be done in the conversation's current state.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, RoutingError>;

fn decision(at: Millis, step: &str, detail: impl Into<String>) -> Decision {
    Decision {
        at,
        step: step.to_string(),
        detail: detail.into(),
        rulesets: Vec::new(),
        agents: Vec::new(),
        more_agents: Default::default(),
        rv: super::model::UNWRITTEN,
    }
}

fn window_closes(conv: &Conversation, ws: &Workstream) -> Millis {
    let start = conv.last_customer_message_at.unwrap_or(conv.created_at);
    let len = if ws.features.human_agent_tag {
        WINDOW_7D
    } else {
        WINDOW_24H
    };
    Millis(start.0 + len)
}

async fn load(deps: &RoutingDeps, id: &ConversationId) -> Result<Conversation> {
    deps.conversations
        .get_conversation(id)
        .await?
        .ok_or_else(|| RoutingError::NotFound(format!("no conversation {id}")))
}

fn set_conv(
    conv: &Conversation,
    state: ConversationState,
    mut routing: Routing,
    at: Millis,
) -> RoutingOp {
    for d in routing
        .decisions
        .iter_mut()
        .filter(|d| d.rv == super::model::UNWRITTEN)
    {
        d.rv = conv.rv + 1;
    }
    RoutingOp::Conversation {
        id: conv.id.clone(),
        page: conv.page_id.clone(),
        psid: conv.psid.clone(),
        expect: conv.rv,
        state,
        routing: Box::new(routing),
        at,
    }
}

/// Apply; `Ok(false)` when a condition failed (someone else moved first).
async fn try_apply(deps: &RoutingDeps, ops: &[RoutingOp]) -> Result<bool> {
    match deps.routing.apply(ops).await {
        Ok(()) => {
            crate::delivery::after_apply(deps, ops).await;
            Ok(true)
        }
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Workstreams by id, read once per flow.
struct WsCache<'a> {
    deps: &'a RoutingDeps,
    map: HashMap<WorkstreamId, Option<Workstream>>,
}

impl<'a> WsCache<'a> {
    fn new(deps: &'a RoutingDeps) -> Self {
        Self {
            deps,
            map: HashMap::new(),
        }
    }

    async fn get(&mut self, id: &WorkstreamId) -> Result<Option<Workstream>> {
        if !self.map.contains_key(id) {
            let ws = self.deps.workstreams.get_workstream(id).await?;
            self.map.insert(id.clone(), ws);
        }
        Ok(self.map.get(id).cloned().flatten())
    }
}

fn waiting_item(
    conv: &Conversation,
    r: &Routing,
    queue: &QueueId,
    ws: &WorkstreamId,
    now: Millis,
) -> WaitingItem {
    WaitingItem {
        queue: queue.clone(),
        conversation_id: conv.id.clone(),
        priority: r.priority,
        since: conv.last_customer_message_at.unwrap_or(conv.created_at),
        window_closes_at: r.window_closes_at.unwrap_or(Millis(now.0 + WINDOW_24H)),
        queued_at: r.queued_at.unwrap_or(now),
        skills: r.skills.clone(),
        capacity: r.capacity.clone(),
        declines: r.declines.clone(),
        affinity_agent: r.affinity_agent.clone(),
        affinity_until: r.affinity_until,
        workstream: ws.clone(),
    }
}

fn need<'a>(r: &'a Routing, dist: &'a Distribution, now: Millis) -> Need<'a> {
    Need {
        skills: &r.skills,
        capacity: &r.capacity,
        allowed: &dist.allowed_presences,
        matching: dist.skill_matching,
        declines: &r.declines,
        max_declines: dist.max_declines,
        reserved_for: r
            .affinity_until
            .filter(|u| *u > now)
            .and(r.affinity_agent.as_ref()),
    }
}

// ------------------------------------------------------------------ arrival

/// Route a conversation the router just stored an event on: classify and
/// queue it if nobody has yet, then (push mode) offer it. Safe to call again
/// for the same conversation (after a crash, on a redelivery).
pub async fn on_stored(
    deps: &RoutingDeps,
    conversation_id: &ConversationId,
    event: &InboundEvent,
) -> Result<()> {
    let conv = load(deps, conversation_id).await?;
    if conv.routing.is_some() || !conv.state.is_open() {
        return Ok(());
    }
    route_new(deps, conv, event).await
}

/// Route the open conversations of `page` that routing could not place
/// when they arrived (the page fed no workstream, or the workstream had no
/// queue for them): called when a workstream starts feeding the page or its
/// settings change, so nobody stays stranded. Returns how many it routed.
pub async fn route_unrouted(deps: &RoutingDeps, page: &crate::ids::PageId) -> Result<usize> {
    let waiting = deps
        .conversations
        .list_conversations(&crate::ports::ConversationFilter {
            page_id: Some(page.clone()),
            state: Some(ConversationState::Waiting),
            limit: Some(1000),
            ..Default::default()
        })
        .await?;
    let mut routed = 0;
    for conv in waiting {
        if conv.routing.as_ref().is_none_or(|r| r.queue.is_some()) {
            continue;
        }
        // The customer's latest message carries the facts the rules read.
        let timeline = deps.conversations.timeline(&conv.id).await?;
        let Some(event) = timeline
            .iter()
            .rev()
            .find(|e| e.kind.is_customer_activity())
        else {
            continue;
        };
        route_new(deps, conv, event).await?;
        routed += 1;
    }
    Ok(routed)
}

fn facts(
    conv: &Conversation,
    event: &InboundEvent,
    ws: &Workstream,
    rulesets: &[crate::routing::model::Ruleset],
    contact: Option<&crate::ports::Contact>,
    returning: bool,
    now: Millis,
) -> Facts {
    let text = event.text.clone();
    let mut candidates = vec![ws.locale.as_str().to_string()];
    candidates.extend(locales_in(rulesets));
    let locale = text
        .as_deref()
        .and_then(|t| detect_language(t, &candidates))
        .map(str::to_string)
        .unwrap_or_else(|| ws.locale.as_str().to_string());
    let referral = event.referral.as_ref();
    Facts {
        page_id: Some(conv.page_id.clone()),
        locale,
        text,
        payload: event
            .quick_reply_payload
            .clone()
            .or_else(|| event.postback.as_ref().and_then(|p| p.payload.clone())),
        referral_ref: referral.and_then(|r| r.reference.clone()),
        ad_id: referral.and_then(|r| r.ad_id.clone()),
        contact: contact.map(|c| c.fields()).unwrap_or_default(),
        returning,
        now,
    }
}

enum Choice {
    Queue {
        queue: Box<Queue>,
        why: String,
    },
    End {
        message: Option<String>,
        why: String,
    },
    Nowhere {
        why: String,
    },
}

/// Why a queue cannot take a new conversation now, and what it says to do.
async fn overflow_before(
    deps: &RoutingDeps,
    q: &Queue,
    now: Millis,
) -> Result<Option<(String, OverflowAction)>> {
    if let Some(h) = &q.hours
        && !is_open(h, now)
    {
        let action = q
            .overflow
            .out_of_hours
            .clone()
            .unwrap_or(OverflowAction::QueueAnyway);
        return Ok(Some((
            format!("queue {} is outside its operating hours", q.id),
            action,
        )));
    }
    if let Some(m) = &q.overflow.max_waiting {
        let n = deps
            .routing
            .count_waiting(&q.id, m.items as usize + 1)
            .await?;
        if n > m.items as usize {
            return Ok(Some((
                format!("queue {} has more than {} waiting", q.id, m.items),
                m.then.clone(),
            )));
        }
    }
    Ok(None)
}

async fn choose_queue(
    deps: &RoutingDeps,
    candidates: &[(QueueId, String)],
    fallback: Option<&QueueId>,
    now: Millis,
) -> Result<Choice> {
    // The matching queues in rule order; the fallback only when none matched.
    let mut tried: Vec<(QueueId, String)> = candidates.to_vec();
    if tried.is_empty()
        && let Some(f) = fallback
    {
        tried.push((f.clone(), "the workstream's fallback queue".to_string()));
    }
    let mut notes = Vec::new();
    let mut first_overflow: Option<(Queue, OverflowAction)> = None;
    for (qid, why) in &tried {
        let Some(q) = deps.config.get_queue(qid).await? else {
            notes.push(format!("queue {qid} ({why}) does not exist"));
            continue;
        };
        match overflow_before(deps, &q, now).await? {
            None => {
                let mut why = if why.starts_with("the workstream") {
                    format!("no route-to-queue rule matched: {why}")
                } else {
                    format!("rule {why:?} matched")
                };
                if !notes.is_empty() {
                    why = format!("{why} (skipped: {})", notes.join("; "));
                }
                return Ok(Choice::Queue {
                    queue: Box::new(q),
                    why,
                });
            }
            Some((cause, action)) => {
                if let OverflowAction::QueueAnyway = action {
                    return Ok(Choice::Queue {
                        why: format!("{cause}; its overflow says queue anyway"),
                        queue: Box::new(q),
                    });
                }
                notes.push(cause);
                first_overflow.get_or_insert((q, action));
            }
        }
    }
    match first_overflow {
        Some((q, OverflowAction::Transfer { queue })) => match deps.config.get_queue(&queue).await?
        {
            Some(to) => Ok(Choice::Queue {
                why: format!(
                    "{}; overflow transferred it from {} to {}",
                    notes.join("; "),
                    q.id,
                    to.id
                ),
                queue: Box::new(to),
            }),
            None => Ok(Choice::Queue {
                why: format!(
                    "{}; the overflow queue {queue} does not exist, so it waits in {}",
                    notes.join("; "),
                    q.id
                ),
                queue: Box::new(q),
            }),
        },
        Some((_, OverflowAction::End { message })) => Ok(Choice::End {
            message,
            why: notes.join("; "),
        }),
        Some((q, OverflowAction::QueueAnyway)) => Ok(Choice::Queue {
            queue: Box::new(q),
            why: notes.join("; "),
        }),
        None => Ok(Choice::Nowhere {
            why: if notes.is_empty() {
                "no route-to-queue rule matched and the workstream has no fallback queue; set distribution.fallback_queue".to_string()
            } else {
                format!("no usable queue: {}", notes.join("; "))
            },
        }),
    }
}

async fn route_new(deps: &RoutingDeps, conv: Conversation, event: &InboundEvent) -> Result<()> {
    let now = deps.clock.now();
    let mut r = Routing {
        priority: DEFAULT_PRIORITY,
        // A conversation routed again keeps the story so far.
        decisions: conv
            .routing
            .as_ref()
            .map(|r| r.decisions.clone())
            .unwrap_or_default(),
        ..Routing::default()
    };
    let ws = match deps.workstreams.workstream_of_page(&conv.page_id).await? {
        Some(id) => deps.workstreams.get_workstream(&id).await?,
        None => None,
    };
    let Some(ws) = ws else {
        r.reason = format!(
            "page {} feeds no workstream; add it to one so its conversations are routed",
            conv.page_id
        );
        r.record(decision(now, "unrouted", r.reason.clone()));
        try_apply(deps, &[set_conv(&conv, ConversationState::Waiting, r, now)]).await?;
        return Ok(());
    };
    let dist = ws.distribution.clone();
    let rulesets = deps.config.list_rulesets(Some(&ws.id)).await?;
    // Read the contact and the customer link only when something needs them.
    let returning_rule =
        any_condition(&rulesets, &|c| matches!(c, Condition::ReturningCustomer(_)));
    let contact_rule = any_condition(&rulesets, &|c| matches!(c, Condition::Contact { .. }));
    let contact = if contact_rule || returning_rule {
        deps.conversations.get_contact(&conv.contact_id).await?
    } else {
        None
    };
    let customer = if dist.affinity.enabled || returning_rule {
        deps.conversations
            .get_customer(&conv.page_id, &conv.psid)
            .await?
    } else {
        None
    };
    // Returning: the contact is older than this conversation, or an agent
    // already handled this customer.
    let returning = contact
        .as_ref()
        .is_some_and(|c| c.created_at < conv.created_at)
        || customer.as_ref().is_some_and(|c| c.last_agent.is_some());
    let f = facts(
        &conv,
        event,
        &ws,
        &rulesets,
        contact.as_ref(),
        returning,
        now,
    );
    let c = classify(&rulesets, &f);

    r.workstream = Some(ws.id.clone());
    r.language = Some(f.locale.clone());
    r.skills = c.skills.clone();
    r.attributes = c.attributes.clone();
    r.priority = c.priority.unwrap_or(DEFAULT_PRIORITY);
    r.capacity = dist.capacity.clone();
    r.window_closes_at = Some(window_closes(&conv, &ws));
    let mut d = decision(
        now,
        "classified",
        format!(
            "workstream {}; language {};{} priority {}; skills {}",
            ws.id,
            f.locale,
            match (
                returning,
                contact_rule || returning_rule || dist.affinity.enabled
            ) {
                (true, _) => " returning customer;",
                (false, true) => " new customer;",
                (false, false) => "",
            },
            r.priority,
            if r.skills.is_empty() {
                "none".to_string()
            } else {
                r.skills
                    .iter()
                    .map(|(s, p)| format!("{s}>={p}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
    );
    d.rulesets = c.traces.clone();
    r.record(d);

    match choose_queue(deps, &c.candidates, dist.fallback_queue.as_ref(), now).await? {
        Choice::Nowhere { why } => {
            r.reason = why.clone();
            r.record(decision(now, "unrouted", why));
            try_apply(deps, &[set_conv(&conv, ConversationState::Waiting, r, now)]).await?;
            Ok(())
        }
        Choice::End { message, why } => {
            r.reason = format!("ended by overflow: {why}");
            let mut d = decision(now, "overflow_ended", why);
            if let Some(m) = &message {
                d.detail = format!("{}{}{m}", d.detail, crate::delivery::OVERFLOW_MESSAGE);
            }
            r.record(d);
            if try_apply(deps, &[set_conv(&conv, ConversationState::Closed, r, now)]).await?
                && let Some(m) = message
            {
                crate::delivery::overflow_message(deps, &conv, &m).await;
            }
            Ok(())
        }
        Choice::Queue { queue, why } => {
            if dist.affinity.enabled
                && returning
                && let Some(agent) = customer.and_then(|c| c.last_agent)
            {
                r.affinity_agent = Some(agent.clone());
                r.affinity_until = Some(Millis(now.0 + dist.affinity.wait_seconds as i64 * 1000));
                r.record(decision(
                    now,
                    "affinity",
                    format!(
                        "returning customer: held for {agent}, who had their last conversation, for {} s",
                        dist.affinity.wait_seconds
                    ),
                ));
            }
            let q = queued(&conv, r, &queue, &ws, &why, now, true);
            let push = dist.mode == Mode::Push;
            if push
                && q.routing.affinity_agent.is_none()
                && offer_on_arrival(deps, &conv, &q, &queue, &dist, now).await?
            {
                return Ok(());
            }
            if try_apply(deps, &queue_ops(&conv, q, now)).await? && push {
                distribute_conversation(deps, &conv.id).await?;
            }
            Ok(())
        }
    }
}

/// A conversation put in a queue: its routing record, the waiting item, the
/// timers that start with it, and the item it leaves (moved between queues).
struct Queued {
    routing: Routing,
    item: WaitingItem,
    timers: Vec<Timer>,
    leaves: Option<(QueueId, String)>,
}

/// Put a conversation in a queue (first time, or moved from another queue).
fn queued(
    conv: &Conversation,
    mut r: Routing,
    queue: &Queue,
    ws: &Workstream,
    why: &str,
    now: Millis,
    first: bool,
) -> Queued {
    let leaves = match (r.queue.clone(), r.waiting_key.take()) {
        (Some(q), Some(k)) => Some((q, k)),
        _ => None,
    };
    r.queue = Some(queue.id.clone());
    r.queued_at = Some(now);
    let item = waiting_item(conv, &r, &queue.id, &ws.id, now);
    r.waiting_key = Some(item.key());
    r.reason = format!("waiting in queue {}", queue.id);
    r.record(decision(
        now,
        "queued",
        format!("queue {}: {why}", queue.id),
    ));
    let timer = |kind, due| Timer {
        kind,
        due,
        conversation_id: conv.id.clone(),
    };
    let mut timers = Vec::new();
    if let Some(m) = &queue.overflow.max_wait {
        timers.push(timer(
            TimerKind::WaitOverflow,
            Millis(now.0 + m.seconds as i64 * 1000),
        ));
    }
    if first {
        if let Some(secs) = ws.distribution.auto_close_after_seconds {
            timers.push(timer(
                TimerKind::AutoClose,
                Millis(now.0 + secs as i64 * 1000),
            ));
        }
        if let Some(until) = r.affinity_until {
            timers.push(timer(TimerKind::AffinityEnd, until));
        }
    }
    Queued {
        routing: r,
        item,
        timers,
        leaves,
    }
}

fn queue_ops(conv: &Conversation, q: Queued, now: Millis) -> Vec<RoutingOp> {
    let mut ops = vec![set_conv(conv, ConversationState::Waiting, q.routing, now)];
    if let Some((queue, key)) = q.leaves {
        ops.push(RoutingOp::DeleteWaiting { queue, key });
    }
    ops.extend(q.timers.into_iter().map(RoutingOp::PutTimer));
    ops.push(RoutingOp::PutWaiting(Box::new(q.item)));
    ops
}

/// A new conversation in push mode: offer it in the same write that queues
/// it when a member can take it now (one transaction instead of two, and no
/// waiting item at all); `false` when nobody could.
async fn offer_on_arrival(
    deps: &RoutingDeps,
    conv: &Conversation,
    q: &Queued,
    queue: &Queue,
    dist: &Distribution,
    now: Millis,
) -> Result<bool> {
    let mut members = deps.routing.queue_members(&queue.id).await?;
    let mut r = q.routing.clone();
    r.waiting_key = None;
    let need = need(&r, dist, now);
    let ranking = rank(&members, &need, queue.assignment);
    let mut lost = Vec::new();
    for &i in ranking.order.iter().take(3) {
        let d = offer_decision(&members, &ranking, i, &lost, dist, queue, now);
        let mut ops = offer_ops(conv, &members[i], &need, dist, r.clone(), d, now);
        ops.extend(q.timers.iter().cloned().map(RoutingOp::PutTimer));
        if try_apply(deps, &ops).await? {
            tracing::info!(conversation_id = %conv.id, agent_id = %members[i].agent.id, queue_id = %queue.id, "offered on arrival");
            crate::metrics::count("Offers", 1);
            return Ok(true);
        }
        if load(deps, &conv.id).await?.rv != conv.rv {
            // Someone else routed it meanwhile.
            return Ok(true);
        }
        lost.push(i);
        if let Some(a) = deps.config.get_agent(&members[i].agent.id).await? {
            members[i] = a;
        }
    }
    Ok(false)
}

// ------------------------------------------------------------------ offers

/// What an attempt to place one conversation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    Offered(AgentId),
    /// Nobody qualified (the reason is on the conversation).
    NoAgent,
    /// The conversation moved meanwhile (someone else placed or closed it).
    Moved,
}

fn offer_ops(
    conv: &Conversation,
    agent: &AgentState,
    need: &Need<'_>,
    dist: &Distribution,
    mut r: Routing,
    d: Decision,
    now: Millis,
) -> Vec<RoutingOp> {
    let mut ops = vec![take_op(agent, need, now)];
    if let (Some(q), Some(key)) = (r.queue.clone(), r.waiting_key.take()) {
        ops.push(RoutingOp::DeleteWaiting { queue: q, key });
    }
    let id = agent.agent.id.clone();
    r.agent = Some(id.clone());
    r.holds_capacity = true;
    r.affinity_agent = None;
    r.affinity_until = None;
    let state = match dist.mode {
        Mode::Push => {
            let expires_at = Millis(now.0 + dist.offer_timeout_seconds as i64 * 1000);
            r.offer = Some(Offer {
                agent: id.clone(),
                offered_at: now,
                expires_at,
            });
            r.reason = format!("offered to {id}, waiting for an answer");
            ops.push(RoutingOp::PutTimer(Timer {
                kind: TimerKind::OfferExpiry,
                due: expires_at,
                conversation_id: conv.id.clone(),
            }));
            ConversationState::Offered
        }
        Mode::Pick => {
            r.assigned_at = Some(now);
            r.reason = format!("taken by {id}");
            ConversationState::Assigned
        }
    };
    r.record(d);
    ops.insert(0, set_conv(conv, state, r, now));
    ops
}

/// The diagnostics of offering to (or, in pick mode, assigning) `members[i]`.
fn offer_decision(
    members: &[AgentState],
    ranking: &Ranking,
    i: usize,
    lost: &[usize],
    dist: &Distribution,
    queue: &Queue,
    now: Millis,
) -> Decision {
    let (agents, more) = considered(members, ranking, Some(i), lost);
    let (step, verb) = match dist.mode {
        Mode::Push => ("offered", "offered to"),
        Mode::Pick => ("assigned", "assigned to"),
    };
    let mut d = decision(
        now,
        step,
        format!(
            "{verb} {} by {:?} in queue {} ({} of {} members qualified)",
            members[i].agent.id,
            queue.assignment,
            queue.id,
            ranking.order.len(),
            members.len()
        ),
    );
    d.agents = agents;
    d.more_agents = more;
    d
}

/// Try the queue's members for one waiting conversation, best first.
/// `record_waiting`: write the reason when nobody qualifies (skipped when it
/// would say the same again).
async fn place(
    deps: &RoutingDeps,
    conv: &Conversation,
    dist: &Distribution,
    queue: &Queue,
    members: &mut [AgentState],
    record_waiting: bool,
) -> Result<Placement> {
    let now = deps.clock.now();
    let Some(r) = conv.routing.clone() else {
        return Ok(Placement::Moved);
    };
    let need = need(&r, dist, now);
    let ranking = rank(members, &need, queue.assignment);
    let mut lost = Vec::new();
    for &i in &ranking.order {
        let d = offer_decision(members, &ranking, i, &lost, dist, queue, now);
        let ops = offer_ops(conv, &members[i], &need, dist, r.clone(), d, now);
        if try_apply(deps, &ops).await? {
            let id = members[i].agent.id.clone();
            tracing::info!(conversation_id = %conv.id, agent_id = %id, queue_id = %queue.id, "offered");
            crate::metrics::count("Offers", 1);
            return Ok(Placement::Offered(id));
        }
        let fresh = load(deps, &conv.id).await?;
        if fresh.rv != conv.rv {
            return Ok(Placement::Moved);
        }
        lost.push(i);
    }
    let (agents, more) = considered(members, &ranking, None, &lost);
    let reason = if members.is_empty() {
        format!("waiting in queue {}: the queue has no members", queue.id)
    } else {
        format!(
            "waiting in queue {}: none of its {} members can take it now",
            queue.id,
            members.len()
        )
    };
    if record_waiting && r.reason != reason {
        let mut r = r;
        let mut d = decision(now, "waiting", reason.clone());
        d.agents = agents;
        d.more_agents = more;
        r.reason = reason;
        r.record(d);
        try_apply(deps, &[set_conv(conv, conv.state, r, now)]).await?;
    }
    Ok(Placement::NoAgent)
}

/// Offer a waiting conversation to the best agent of its queue (push mode).
pub async fn distribute_conversation(deps: &RoutingDeps, id: &ConversationId) -> Result<Placement> {
    for _ in 0..3 {
        let conv = load(deps, id).await?;
        let Some(r) = &conv.routing else {
            return Ok(Placement::Moved);
        };
        let (Some(qid), Some(wsid), Some(_)) = (&r.queue, &r.workstream, &r.waiting_key) else {
            return Ok(Placement::Moved);
        };
        if conv.state != ConversationState::Waiting {
            return Ok(Placement::Moved);
        }
        let Some(ws) = deps.workstreams.get_workstream(wsid).await? else {
            return Ok(Placement::NoAgent);
        };
        if ws.distribution.mode == Mode::Pick {
            return Ok(Placement::NoAgent);
        }
        let Some(queue) = deps.config.get_queue(qid).await? else {
            return Ok(Placement::NoAgent);
        };
        let mut members = deps.routing.queue_members(qid).await?;
        match place(deps, &conv, &ws.distribution, &queue, &mut members, true).await? {
            Placement::Moved => continue,
            p => return Ok(p),
        }
    }
    Ok(Placement::Moved)
}

/// Give an agent who may take more work the best waiting conversations of
/// their queues (urgent windows first, then queue priority, item priority,
/// oldest). Returns the conversations offered.
pub async fn distribute_agent(
    deps: &RoutingDeps,
    agent_id: &AgentId,
) -> Result<Vec<ConversationId>> {
    let mut offered = Vec::new();
    let mut ws = WsCache::new(deps);
    let mut skip: Vec<ConversationId> = Vec::new();
    let mut queues: Option<Vec<Queue>> = None;
    for _round in 0..32 {
        let Some(agent) = deps.config.get_agent(agent_id).await? else {
            return Ok(offered);
        };
        if agent.free_units() == 0 || agent.presence.status == BasePresence::Offline {
            return Ok(offered);
        }
        // The agent's queues are read once for all rounds.
        if queues.is_none() {
            queues = Some(agent_queues(deps, &agent).await?);
        }
        let items = agent_candidates(deps, queues.as_deref().unwrap_or_default(), &mut ws).await?;
        let mut placed = false;
        for (item, queue) in items {
            if skip.contains(&item.conversation_id) {
                continue;
            }
            let Some(w) = ws.get(&item.workstream).await? else {
                continue;
            };
            if w.distribution.mode == Mode::Pick {
                continue;
            }
            let now = deps.clock.now();
            let probe = Need {
                skills: &item.skills,
                capacity: &item.capacity,
                allowed: &w.distribution.allowed_presences,
                matching: w.distribution.skill_matching,
                declines: &item.declines,
                max_declines: w.distribution.max_declines,
                reserved_for: item
                    .affinity_until
                    .filter(|u| *u > now)
                    .and(item.affinity_agent.as_ref()),
            };
            if qualifies(&agent, &probe).is_err() {
                continue;
            }
            let conv = load(deps, &item.conversation_id).await?;
            let current = conv.routing.as_ref().and_then(|r| r.waiting_key.clone());
            if conv.state != ConversationState::Waiting
                || current.as_deref() != Some(item.key().as_str())
            {
                skip.push(item.conversation_id.clone());
                continue;
            }
            let mut one = vec![agent.clone()];
            match place(deps, &conv, &w.distribution, &queue, &mut one, false).await? {
                Placement::Offered(_) => {
                    offered.push(conv.id.clone());
                    placed = true;
                    break;
                }
                _ => skip.push(conv.id.clone()),
            }
        }
        if !placed {
            break;
        }
    }
    Ok(offered)
}

/// The waiting work an agent could take, in the order it should go.
/// An agent's queues, by queue priority.
async fn agent_queues(deps: &RoutingDeps, agent: &AgentState) -> Result<Vec<Queue>> {
    let mut queues = Vec::new();
    for q in &agent.agent.queues {
        if let Some(q) = deps.config.get_queue(q).await? {
            queues.push(q);
        }
    }
    queues.sort_by(|a, b| a.priority.cmp(&b.priority).then_with(|| a.id.cmp(&b.id)));
    Ok(queues)
}

async fn agent_candidates(
    deps: &RoutingDeps,
    queues: &[Queue],
    ws: &mut WsCache<'_>,
) -> Result<Vec<(WaitingItem, Queue)>> {
    let now = deps.clock.now();
    let mut urgent: Vec<(WaitingItem, Queue)> = Vec::new();
    let mut normal: Vec<(WaitingItem, Queue)> = Vec::new();
    for q in queues {
        for item in deps
            .routing
            .urgent(&q.id, Millis(now.0 + WINDOW_7D), 5)
            .await?
        {
            let threshold = match ws.get(&item.workstream).await? {
                Some(w) => w.distribution.urgent_before_seconds as i64 * 1000,
                None => 0,
            };
            if item.window_closes_at.0 - now.0 <= threshold {
                urgent.push((item, q.clone()));
            }
        }
        for item in deps.routing.waiting(&q.id, None, PULL_DEPTH).await? {
            normal.push((item, q.clone()));
        }
    }
    urgent.sort_by_key(|(i, _)| i.window_closes_at);
    let mut out = urgent;
    for n in normal {
        if !out
            .iter()
            .any(|(i, _)| i.conversation_id == n.0.conversation_id)
        {
            out.push(n);
        }
    }
    Ok(out)
}

/// Pick mode: the waiting work of the agent's queues, in order.
pub async fn pick_list(deps: &RoutingDeps, agent_id: &AgentId) -> Result<Vec<WaitingItem>> {
    let agent = deps
        .config
        .get_agent(agent_id)
        .await?
        .ok_or_else(|| RoutingError::NotFound(format!("no agent {agent_id}")))?;
    let mut ws = WsCache::new(deps);
    let queues = agent_queues(deps, &agent).await?;
    Ok(agent_candidates(deps, &queues, &mut ws)
        .await?
        .into_iter()
        .map(|(i, _)| i)
        .collect())
}

/// Pick mode: the agent takes a waiting conversation of one of their queues.
pub async fn pick(
    deps: &RoutingDeps,
    agent_id: &AgentId,
    id: &ConversationId,
) -> Result<Conversation> {
    let conv = load(deps, id).await?;
    let agent = deps
        .config
        .get_agent(agent_id)
        .await?
        .ok_or_else(|| RoutingError::NotFound(format!("no agent {agent_id}")))?;
    let r = conv.routing.clone().unwrap_or_default();
    let queue_id = r
        .queue
        .clone()
        .filter(|q| conv.state == ConversationState::Waiting && agent.agent.queues.contains(q))
        .ok_or_else(|| {
            RoutingError::Conflict(format!(
                "conversation {id} is not waiting in one of your queues"
            ))
        })?;
    let ws = match &r.workstream {
        Some(w) => deps.workstreams.get_workstream(w).await?,
        None => None,
    }
    .ok_or_else(|| RoutingError::Conflict(format!("conversation {id} has no workstream")))?;
    let queue = deps
        .config
        .get_queue(&queue_id)
        .await?
        .ok_or_else(|| RoutingError::NotFound(format!("no queue {queue_id}")))?;
    let mut dist = ws.distribution.clone();
    dist.mode = Mode::Pick;
    let mut one = vec![agent];
    match place(deps, &conv, &dist, &queue, &mut one, false).await? {
        Placement::Offered(_) => load(deps, id).await,
        Placement::Moved => Err(RoutingError::Conflict(format!(
            "conversation {id} was taken or moved meanwhile"
        ))),
        Placement::NoAgent => {
            let why = match conv
                .routing
                .as_ref()
                .map(|r| need(r, &dist, deps.clock.now()))
            {
                Some(n) => qualifies(&one[0], &n)
                    .err()
                    .map(|v| format!("{v:?}"))
                    .unwrap_or_default(),
                None => String::new(),
            };
            Err(RoutingError::Conflict(format!(
                "you cannot take conversation {id} now: {why}"
            )))
        }
    }
}

// ------------------------------------------------------------------ answers to offers

fn offer_timer(conv: &ConversationId, o: &Offer) -> Timer {
    Timer {
        kind: TimerKind::OfferExpiry,
        due: o.expires_at,
        conversation_id: conv.clone(),
    }
}

fn release_op(r: &Routing, agent: &AgentId, at: Millis) -> RoutingOp {
    RoutingOp::Release {
        agent: agent.clone(),
        units: r.capacity.units,
        profile: r.capacity.profile.clone(),
        at,
    }
}

/// The agent accepts an offer.
pub async fn accept(
    deps: &RoutingDeps,
    agent: &AgentId,
    id: &ConversationId,
) -> Result<Conversation> {
    let conv = load(deps, id).await?;
    let mut r = conv.routing.clone().unwrap_or_default();
    if conv.state == ConversationState::Assigned && r.agent.as_ref() == Some(agent) {
        return Ok(conv);
    }
    let offer = match (&r.offer, conv.state) {
        (Some(o), ConversationState::Offered) if o.agent == *agent => o.clone(),
        _ => {
            return Err(if r.declines.contains_key(agent) {
                RoutingError::Conflict(format!("the offer of {id} to you expired or was declined"))
            } else {
                RoutingError::NotFound(format!("no offer of conversation {id} for you"))
            });
        }
    };
    let now = deps.clock.now();
    r.offer = None;
    r.assigned_at = Some(now);
    r.reason = format!("assigned to {agent}");
    r.record(decision(now, "accepted", format!("{agent} accepted")));
    let ops = vec![
        set_conv(&conv, ConversationState::Assigned, r, now),
        RoutingOp::DeleteTimer(offer_timer(id, &offer)),
        RoutingOp::CustomerAgent {
            page: conv.page_id.clone(),
            psid: conv.psid.clone(),
            agent: agent.clone(),
        },
    ];
    if !try_apply(deps, &ops).await? {
        return Err(RoutingError::Conflict(format!(
            "the offer of {id} changed meanwhile (expired?); try again"
        )));
    }
    load(deps, id).await
}

/// The agent declines an offer, or it expired: back to the queue, the
/// decline counted, the capacity freed; then the next agent.
pub async fn decline(
    deps: &RoutingDeps,
    agent: &AgentId,
    id: &ConversationId,
    expired: bool,
) -> Result<()> {
    let conv = load(deps, id).await?;
    let mut r = conv.routing.clone().unwrap_or_default();
    let offer = match (&r.offer, conv.state) {
        (Some(o), ConversationState::Offered) if o.agent == *agent => o.clone(),
        _ => {
            return Err(RoutingError::NotFound(format!(
                "no offer of conversation {id} for you"
            )));
        }
    };
    let now = deps.clock.now();
    if expired && offer.expires_at > now {
        return Err(RoutingError::Conflict(format!(
            "the offer of {id} has not expired"
        )));
    }
    let (Some(queue), Some(ws)) = (r.queue.clone(), r.workstream.clone()) else {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} has no queue"
        )));
    };
    *r.declines.entry(agent.clone()).or_default() += 1;
    r.offer = None;
    r.agent = None;
    r.holds_capacity = false;
    let item = waiting_item(&conv, &r, &queue, &ws, now);
    r.waiting_key = Some(item.key());
    r.reason = format!("waiting in queue {queue}");
    let step = if expired { "offer_expired" } else { "declined" };
    r.record(decision(
        now,
        step,
        if expired {
            format!("{agent} did not answer in time; counted as a decline")
        } else {
            format!("{agent} declined")
        },
    ));
    let ops = vec![
        release_op(&r, agent, now),
        set_conv(&conv, ConversationState::Waiting, r, now),
        RoutingOp::PutWaiting(Box::new(item)),
        RoutingOp::DeleteTimer(offer_timer(id, &offer)),
    ];
    if !try_apply(deps, &ops).await? {
        return Err(RoutingError::Conflict(format!(
            "the offer of {id} changed meanwhile"
        )));
    }
    distribute_conversation(deps, id).await?;
    distribute_agent(deps, agent).await?;
    Ok(())
}

/// The agent ends the conversation: wrap-up, capacity as the workstream says.
pub async fn end(deps: &RoutingDeps, agent: &AgentId, id: &ConversationId) -> Result<Conversation> {
    let conv = load(deps, id).await?;
    let mut r = conv.routing.clone().unwrap_or_default();
    if conv.state != ConversationState::Assigned || r.agent.as_ref() != Some(agent) {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} is not assigned to you"
        )));
    }
    let now = deps.clock.now();
    let wrap = match &r.workstream {
        Some(w) => deps
            .workstreams
            .get_workstream(w)
            .await?
            .map(|w| w.distribution.wrap_up),
        None => None,
    }
    .unwrap_or_default();
    let mut ops = Vec::new();
    match wrap {
        WrapUp::Never => {
            ops.push(release_op(&r, agent, now));
            r.holds_capacity = false;
        }
        WrapUp::Always => {}
        WrapUp::Seconds(s) => {
            let until = Millis(now.0 + s as i64 * 1000);
            r.wrap_up_until = Some(until);
            ops.push(RoutingOp::PutTimer(Timer {
                kind: TimerKind::WrapUpEnd,
                due: until,
                conversation_id: id.clone(),
            }));
        }
    }
    let released = !r.holds_capacity;
    r.reason = format!("ended by {agent}; wrap-up");
    r.record(decision(
        now,
        "ended",
        format!("{agent} ended it; wrap-up capacity: {wrap:?}"),
    ));
    ops.insert(0, set_conv(&conv, ConversationState::WrapUp, r, now));
    if !try_apply(deps, &ops).await? {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} changed meanwhile; try again"
        )));
    }
    if released {
        distribute_agent(deps, agent).await?;
    }
    load(deps, id).await
}

/// Where a transfer sends a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTo {
    Queue(QueueId),
    Agent(AgentId),
}

/// The agent holding a conversation hands it on: to a queue (it waits
/// there and is offered as usual) or straight to an agent (offered to them,
/// in pick mode assigned, when their presence and capacity allow it now).
/// The sender's capacity is released in the same write.
pub async fn transfer(
    deps: &RoutingDeps,
    agent: &AgentId,
    id: &ConversationId,
    to: TransferTo,
) -> Result<Conversation> {
    let conv = load(deps, id).await?;
    let mut r = conv.routing.clone().unwrap_or_default();
    if conv.state != ConversationState::Assigned || r.agent.as_ref() != Some(agent) {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} is not assigned to you"
        )));
    }
    let Some(ws) = (match &r.workstream {
        Some(w) => deps.workstreams.get_workstream(w).await?,
        None => None,
    }) else {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} has no workstream to route it in"
        )));
    };
    let now = deps.clock.now();
    let mut ops = Vec::new();
    if r.holds_capacity {
        ops.push(release_op(&r, agent, now));
    }
    r.holds_capacity = false;
    r.agent = None;
    r.offer = None;
    r.assigned_at = None;
    match to {
        TransferTo::Queue(qid) => {
            let queue = deps
                .config
                .get_queue(&qid)
                .await?
                .ok_or_else(|| RoutingError::NotFound(format!("no queue {qid}")))?;
            r.record(decision(
                now,
                "transferred",
                format!("{agent} transferred it to queue {qid}"),
            ));
            let q = queued(
                &conv,
                r,
                &queue,
                &ws,
                &format!("transferred by {agent}"),
                now,
                false,
            );
            ops.extend(queue_ops(&conv, q, now));
            if !try_apply(deps, &ops).await? {
                return Err(RoutingError::Conflict(format!(
                    "conversation {id} changed meanwhile; try again"
                )));
            }
            distribute_agent(deps, agent).await?;
            distribute_conversation(deps, id).await?;
        }
        TransferTo::Agent(to) => {
            if &to == agent {
                return Err(RoutingError::Conflict("it is yours already".into()));
            }
            let target = deps
                .config
                .get_agent(&to)
                .await?
                .ok_or_else(|| RoutingError::NotFound(format!("no agent {to}")))?;
            let dist = &ws.distribution;
            r.record(decision(
                now,
                "transferred",
                format!("{agent} transferred it to {to}"),
            ));
            let need = need(&r, dist, now);
            let d = decision(
                now,
                if dist.mode == Mode::Push {
                    "offered"
                } else {
                    "assigned"
                },
                format!("transferred to {to} by {agent}"),
            );
            ops.extend(offer_ops(&conv, &target, &need, dist, r.clone(), d, now));
            // offer_ops puts its conversation write first; ours must not repeat it.
            if !try_apply(deps, &ops).await? {
                let fresh = load(deps, id).await?;
                return Err(RoutingError::Conflict(if fresh.rv != conv.rv {
                    format!("conversation {id} changed meanwhile; try again")
                } else {
                    format!(
                        "{to} cannot take it now (presence {}, {} of {} capacity used)",
                        target.effective_presence().as_str(),
                        target.load.used,
                        target.agent.capacity
                    )
                }));
            }
            distribute_agent(deps, agent).await?;
        }
    }
    load(deps, id).await
}

/// Close an open conversation from any state, releasing what it holds.
pub async fn close(deps: &RoutingDeps, id: &ConversationId, why: &str) -> Result<Conversation> {
    for _ in 0..5 {
        let conv = load(deps, id).await?;
        if !conv.state.is_open() {
            return Err(RoutingError::Conflict(format!(
                "conversation {id} is already closed"
            )));
        }
        let now = deps.clock.now();
        let mut r = conv.routing.clone().unwrap_or_default();
        let mut ops = Vec::new();
        let mut freed = None;
        if r.holds_capacity
            && let Some(a) = r.agent.clone()
        {
            ops.push(release_op(&r, &a, now));
            r.holds_capacity = false;
            freed = Some(a);
        }
        if let (Some(q), Some(key)) = (r.queue.clone(), r.waiting_key.take()) {
            ops.push(RoutingOp::DeleteWaiting { queue: q, key });
        }
        if let Some(o) = r.offer.take() {
            ops.push(RoutingOp::DeleteTimer(offer_timer(id, &o)));
        }
        r.reason = format!("closed: {why}");
        r.record(decision(now, "closed", why));
        ops.insert(0, set_conv(&conv, ConversationState::Closed, r, now));
        if try_apply(deps, &ops).await? {
            if let Some(a) = freed {
                distribute_agent(deps, &a).await?;
            }
            return load(deps, id).await;
        }
    }
    Err(RoutingError::Conflict(format!(
        "conversation {id} kept changing; try again"
    )))
}

/// An agent's (or a supervisor's) presence change; work follows if they may take it.
pub async fn set_presence(
    deps: &RoutingDeps,
    agent: &AgentId,
    presence: PresenceSetting,
) -> Result<AgentState> {
    let state = deps
        .config
        .set_presence(agent, &presence)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => RoutingError::NotFound(format!("no agent {agent}")),
            e => e.into(),
        })?;
    distribute_agent(deps, agent).await?;
    Ok(deps.config.get_agent(agent).await?.unwrap_or(state))
}

// ------------------------------------------------------------------ scheduler

/// What one scheduler run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TickReport {
    pub timers_due: usize,
    pub offers_expired: usize,
    pub overflowed: usize,
    pub auto_closed: usize,
    pub wrap_ups_ended: usize,
    pub affinity_ended: usize,
    /// Offers made by the sweep of waiting work.
    pub swept_offers: usize,
    /// Timers another run (or a state change) had already made moot.
    pub stale: usize,
    /// Timers set again for later (an auto-close after recent activity).
    pub rescheduled: usize,
}

/// Most timers one run handles (the rest wait a minute).
pub const TIMERS_PER_RUN: usize = 500;

/// The scheduler's work: due timers, then a sweep that offers waiting work
/// to agents with room (so no conversation waits on a missed trigger). Safe
/// to run twice at once: every change is conditional.
pub async fn tick(deps: &RoutingDeps) -> Result<TickReport> {
    let mut report = TickReport::default();
    let now = deps.clock.now();
    let timers = deps.routing.due_timers(now, TIMERS_PER_RUN).await?;
    report.timers_due = timers.len();
    for t in timers {
        let timed = match handle_timer(deps, &t, now).await {
            Ok(timed) => timed,
            Err(RoutingError::NotFound(_)) | Err(RoutingError::Conflict(_)) => Timed::Moot,
            Err(e) => return Err(e),
        };
        if timed == Timed::Later {
            report.rescheduled += 1;
        } else if timed == Timed::Done {
            match t.kind {
                TimerKind::OfferExpiry => report.offers_expired += 1,
                TimerKind::WaitOverflow => report.overflowed += 1,
                TimerKind::AutoClose => report.auto_closed += 1,
                TimerKind::WrapUpEnd => report.wrap_ups_ended += 1,
                TimerKind::AffinityEnd => report.affinity_ended += 1,
            }
        } else {
            report.stale += 1;
            try_apply(deps, &[RoutingOp::DeleteTimer(t)]).await?;
        }
    }
    report.swept_offers = sweep(deps).await?;
    crate::metrics::count("OffersExpired", report.offers_expired as u64);
    crate::metrics::count("ConversationsAutoClosed", report.auto_closed as u64);
    Ok(report)
}

/// What became of a due timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timed {
    /// It did its work.
    Done,
    /// Not yet (activity since): set again for later.
    Later,
    /// It no longer applies (another run, or a state change, saw to it).
    Moot,
}

/// Handle one due timer.
async fn handle_timer(deps: &RoutingDeps, t: &Timer, now: Millis) -> Result<Timed> {
    let Some(conv) = deps
        .conversations
        .get_conversation(&t.conversation_id)
        .await?
    else {
        return Ok(Timed::Moot);
    };
    if !conv.state.is_open() {
        return Ok(Timed::Moot);
    }
    let mut r = conv.routing.clone().unwrap_or_default();
    match t.kind {
        TimerKind::OfferExpiry => {
            let Some(o) = r.offer.clone().filter(|o| o.expires_at <= now) else {
                return Ok(Timed::Moot);
            };
            decline(deps, &o.agent, &conv.id, true).await?;
            Ok(Timed::Done)
        }
        TimerKind::AutoClose => {
            let Some(secs) = (match &r.workstream {
                Some(w) => deps
                    .workstreams
                    .get_workstream(w)
                    .await?
                    .and_then(|w| w.distribution.auto_close_after_seconds),
                None => None,
            }) else {
                return Ok(Timed::Moot);
            };
            let last = conv
                .updated_at
                .max(conv.last_customer_message_at.unwrap_or(Millis(0)));
            let due = Millis(last.0 + secs as i64 * 1000);
            if due > now {
                // Activity since: look again later.
                let next = Timer { due, ..t.clone() };
                try_apply(
                    deps,
                    &[RoutingOp::DeleteTimer(t.clone()), RoutingOp::PutTimer(next)],
                )
                .await?;
                return Ok(Timed::Later);
            }
            close(deps, &conv.id, &format!("no activity for {secs} s")).await?;
            Ok(Timed::Done)
        }
        TimerKind::WrapUpEnd => {
            if conv.state != ConversationState::WrapUp
                || !r.holds_capacity
                || r.wrap_up_until.is_none_or(|u| u > now)
            {
                return Ok(Timed::Moot);
            }
            let Some(agent) = r.agent.clone() else {
                return Ok(Timed::Moot);
            };
            r.holds_capacity = false;
            r.record(decision(
                now,
                "wrap_up_ended",
                format!("capacity of {agent} released after wrap-up"),
            ));
            let ops = [
                release_op(&r, &agent, now),
                set_conv(&conv, conv.state, r, now),
                RoutingOp::DeleteTimer(t.clone()),
            ];
            if try_apply(deps, &ops).await? {
                distribute_agent(deps, &agent).await?;
                return Ok(Timed::Done);
            }
            Ok(Timed::Moot)
        }
        TimerKind::AffinityEnd => {
            if conv.state != ConversationState::Waiting || r.affinity_until.is_none_or(|u| u > now)
            {
                return Ok(Timed::Moot);
            }
            let (Some(q), Some(ws), Some(old)) =
                (r.queue.clone(), r.workstream.clone(), r.waiting_key.take())
            else {
                return Ok(Timed::Moot);
            };
            let who = r.affinity_agent.take();
            r.affinity_until = None;
            let item = waiting_item(&conv, &r, &q, &ws, now);
            r.waiting_key = Some(item.key());
            r.record(decision(
                now,
                "affinity_ended",
                format!(
                    "{} did not become available in time; any agent may take it",
                    who.map(|a| a.to_string()).unwrap_or_default()
                ),
            ));
            let ops = [
                set_conv(&conv, conv.state, r, now),
                RoutingOp::DeleteWaiting {
                    queue: q.clone(),
                    key: old,
                },
                RoutingOp::PutWaiting(Box::new(item)),
                RoutingOp::DeleteTimer(t.clone()),
            ];
            if try_apply(deps, &ops).await? {
                distribute_conversation(deps, &conv.id).await?;
                return Ok(Timed::Done);
            }
            Ok(Timed::Moot)
        }
        TimerKind::WaitOverflow => {
            let Some(qid) = r
                .queue
                .clone()
                .filter(|_| conv.state == ConversationState::Waiting)
            else {
                return Ok(Timed::Moot);
            };
            let Some(queue) = deps.config.get_queue(&qid).await? else {
                return Ok(Timed::Moot);
            };
            let Some(m) = queue.overflow.max_wait.clone() else {
                return Ok(Timed::Moot);
            };
            if r.queued_at
                .is_none_or(|q| q.0 + m.seconds as i64 * 1000 > now.0)
            {
                return Ok(Timed::Moot);
            }
            let Some(ws) = (match &r.workstream {
                Some(w) => deps.workstreams.get_workstream(w).await?,
                None => None,
            }) else {
                return Ok(Timed::Moot);
            };
            let why = format!("waited in queue {qid} longer than {} s", m.seconds);
            match m.then {
                OverflowAction::QueueAnyway => Ok(Timed::Moot),
                OverflowAction::End { message } => {
                    let detail = match message {
                        Some(m) => format!("{why}; message to the customer: {m}"),
                        None => why,
                    };
                    close(deps, &conv.id, &format!("overflow: {detail}")).await?;
                    Ok(Timed::Done)
                }
                OverflowAction::Transfer { queue: to } => {
                    let Some(target) = deps.config.get_queue(&to).await? else {
                        return Ok(Timed::Moot);
                    };
                    let q = queued(
                        &conv,
                        r,
                        &target,
                        &ws,
                        &format!("overflow: {why}"),
                        now,
                        false,
                    );
                    let mut ops = queue_ops(&conv, q, now);
                    ops.push(RoutingOp::DeleteTimer(t.clone()));
                    if try_apply(deps, &ops).await? {
                        distribute_conversation(deps, &conv.id).await?;
                        return Ok(Timed::Done);
                    }
                    Ok(Timed::Moot)
                }
            }
        }
    }
}

/// Offer the head of every push queue to members with room.
async fn sweep(deps: &RoutingDeps) -> Result<usize> {
    let mut offered = 0;
    let mut ws = WsCache::new(deps);
    for queue in deps.config.list_queues().await? {
        let items = deps.routing.waiting(&queue.id, None, SWEEP_DEPTH).await?;
        if items.is_empty() {
            continue;
        }
        let mut members = deps.routing.queue_members(&queue.id).await?;
        if !members.iter().any(|m| m.free_units() > 0) {
            continue;
        }
        for item in items {
            let Some(w) = ws.get(&item.workstream).await? else {
                continue;
            };
            if w.distribution.mode == Mode::Pick {
                continue;
            }
            let Some(conv) = deps
                .conversations
                .get_conversation(&item.conversation_id)
                .await?
            else {
                continue;
            };
            let Some(r) = &conv.routing else { continue };
            if conv.state != ConversationState::Waiting
                || r.waiting_key.as_deref() != Some(item.key().as_str())
            {
                continue;
            }
            if rank(
                &members,
                &need(r, &w.distribution, deps.clock.now()),
                queue.assignment,
            )
            .order
            .is_empty()
            {
                continue;
            }
            if let Placement::Offered(id) =
                place(deps, &conv, &w.distribution, &queue, &mut members, false).await?
            {
                offered += 1;
                // The members are reused for the next item: refresh this one.
                if let (Some(fresh), Some(m)) = (
                    deps.config.get_agent(&id).await?,
                    members.iter_mut().find(|m| m.agent.id == id),
                ) {
                    *m = fresh;
                }
            }
        }
    }
    Ok(offered)
}
