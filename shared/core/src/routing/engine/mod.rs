//! The router's flows over the ports, and what they share: the ports
//! ([`RoutingDeps`]), the error, loading and writing a conversation's
//! routing, and the re-exports of every flow. The flows live in
//! `arrival` (classify, enqueue, automated messages), `offers` (offer,
//! select, pick, presence), `answers` (accept, decline, end, transfer,
//! close), `reclaim` (accepted work its agent never answered), `handoff`
//! (the conversations of agents who went away), `heartbeat` (consoles
//! that stopped), `reopen`
//! (follow-up work the customer revives), `thread`
//! (Conversation Routing's handovers), `window` (windows that close
//! unanswered) and `timers`
//! (the scheduler's due timers and sweep). Every
//! state change is one atomic `RoutingStore::apply` conditioned on the
//! conversation's routing version and (for capacity) on the agent's load:
//! never read-then-write.

mod answers;
mod arrival;
mod bot;
mod handoff;
mod heartbeat;
mod offers;
mod reclaim;
mod reopen;
mod thread;
mod timers;
mod window;

/// Meta's windows live in [`crate::window`]; named here too for older paths.
pub use crate::window::{WINDOW_7D, WINDOW_24H};
pub use answers::{
    TransferTo, accept, close, close_erased, decline, end, reassign, transfer, withdraw_offers,
};
pub use arrival::{DEFAULT_PRIORITY, on_stored, route_unrouted};
pub use bot::{BOT_ENDED_REASON, Delivered, bot_answered, bot_delivered, bot_end, escalate};
pub use handoff::customer_wrote;
pub use heartbeat::{LAPSE_SECS, heartbeat};
pub use offers::{
    Placement, distribute_agent, distribute_conversation, pick, pick_list, set_presence,
};
pub use reclaim::answered;
pub use reopen::window_reopened;
pub use thread::{PassedBy, on_handover, passed, request_answered};
pub use timers::{TIMERS_PER_RUN, TickReport, tick};
pub use window::{ESCALATE_BEFORE_MS, TOP_PRIORITY, escalated, watch_new_window};

use super::model::{AgentId, Distribution, QueueId};
use super::record::{Decision, Offer, Routing, Timer, TimerKind, WaitingItem};
use super::select::Need;
use crate::clock::Clock;
use crate::ids::ConversationId;
use crate::ports::{
    Conversation, ConversationState, ConversationStore, RoutingConfigStore, RoutingOp,
    RoutingStore, StoreError, WorkstreamStore,
};
use crate::time::Millis;
use crate::workstreams::{Workstream, WorkstreamId};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone)]
pub struct RoutingDeps {
    pub conversations: Arc<dyn ConversationStore>,
    /// The pages (their Conversation Routing settings: where a closed
    /// conversation's thread goes).
    pub pages: Arc<dyn crate::ports::AccountStore>,
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
    /// How workstream bots are reached (`None`: this deployment reaches no
    /// bot; a conversation meant for one goes to humans at once, saying so).
    pub bots: Option<crate::bot::Bots>,
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

pub(crate) type Result<T> = std::result::Result<T, RoutingError>;

fn decision(at: Millis, step: &str, detail: impl Into<String>) -> Decision {
    Decision {
        at,
        step: step.to_string(),
        detail: detail.into(),
        rulesets: Vec::new(),
        agents: Vec::new(),
        more_agents: Default::default(),
        rv: super::record::UNWRITTEN,
    }
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
        .filter(|d| d.rv == super::record::UNWRITTEN)
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
    // A close sets its retention timers in the same write.
    let retention = crate::privacy::retention::timers_on_close(deps, ops).await?;
    let all;
    let ops = if retention.is_empty() {
        ops
    } else {
        all = [ops, retention.as_slice()].concat();
        all.as_slice()
    };
    match deps.routing.apply(ops).await {
        Ok(()) => {
            crate::delivery::after_apply(deps, ops).await;
            crate::supervision::service_level::after_apply(deps, ops).await;
            Ok(true)
        }
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// What a timer's flow made of it (reclaim, hand-off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Due {
    /// It did its work.
    Done,
    /// Not yet, or the conversation changed meanwhile: look again then.
    Later(Millis),
    /// Done for now; the rest waits for the customer.
    Pending,
    /// Escalated (a window closing unanswered); look again then.
    Escalated(Millis),
    /// It no longer applies.
    Moot,
}

/// Why [`take_back`] takes a conversation from its agent.
struct TakeBack<'a> {
    /// The record's step, the feed event's kind and the fact (`reclaimed`,
    /// `handed_off`).
    kind: crate::supervision::service_level::FactKind,
    step: &'static str,
    /// The decision's detail and the reason, after "waiting in queue Q: ".
    detail: String,
    reason: String,
    /// The workstream's time that ran out, for the agent's feed.
    after_seconds: u64,
    /// The due timer that did it, deleted in the same write.
    timer: Option<&'a Timer>,
}

/// Take `conv` (with its record `r`, as the caller changed it) from
/// `agent`, who holds it, back to its queue in its place: their capacity
/// released, the agent told on their feed, the fact recorded, and the
/// conversation offered to the next agent. `false`: it changed meanwhile.
async fn take_back(
    deps: &RoutingDeps,
    conv: &Conversation,
    mut r: Routing,
    agent: &AgentId,
    why: TakeBack<'_>,
    now: Millis,
) -> Result<bool> {
    use crate::supervision::service_level::{self, Fact};
    let (Some(queue), Some(ws)) = (r.queue.clone(), r.workstream.clone()) else {
        return Ok(false);
    };
    let fact = Fact::of(why.kind, &conv.id, &r, now);
    let release = release_op(&r, agent, now);
    r.agent = None;
    r.holds_capacity = false;
    r.assigned_at = None;
    r.answered_at = None;
    r.hand_off_when_customer_writes = false;
    // Queued again: its queue's longest wait counts from now (the timer
    // set when it was first queued may have passed while it was held);
    // `queued_at`, where time to assign counts from, stays.
    let overflow = deps
        .config
        .get_queue(&queue)
        .await?
        .and_then(|q| q.overflow.max_wait)
        .map(|m| Timer {
            kind: TimerKind::WaitOverflow,
            due: Millis(now.0 + m.seconds as i64 * 1000),
            conversation_id: conv.id.clone(),
        });
    if overflow.is_some() {
        r.overflow_from = Some(now);
    }
    let item = waiting_item(conv, &r, &queue, &ws, now);
    r.waiting_key = Some(item.key());
    r.reason = format!("waiting in queue {queue}: {}", why.reason);
    r.record(decision(now, why.step, why.detail));
    let mut ops: Vec<RoutingOp> = release.into_iter().collect();
    ops.push(set_conv(conv, ConversationState::Waiting, r, now));
    ops.push(RoutingOp::PutWaiting(Box::new(item)));
    ops.extend(why.timer.map(|t| RoutingOp::DeleteTimer(t.clone())));
    ops.extend(overflow.map(RoutingOp::PutTimer));
    if !try_apply(deps, &ops).await? {
        return Ok(false);
    }
    tracing::warn!(conversation_id = %conv.id, agent_id = %agent, step = why.step, "conversation taken from its agent");
    service_level::record(deps, fact).await;
    crate::feed::publish(
        deps.streams.as_ref(),
        deps.clock.as_ref(),
        agent,
        why.step,
        format!("{}:{}:{}", why.step, conv.id, now.0),
        Some(&conv.id),
        serde_json::json!({"after_seconds": why.after_seconds, "queue_id": queue}),
    )
    .await;
    offers::distribute_conversation(deps, &conv.id).await?;
    Ok(true)
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
        priority: window::waiting_priority(r, now),
        since: conv.last_customer_message_at.unwrap_or(conv.created_at),
        window_closes_at: if r.follow_up.is_some() {
            Millis::LATEST
        } else {
            r.window_closes_at.unwrap_or(Millis(now.0 + WINDOW_24H))
        },
        follow_up: r.follow_up.is_some(),
        queued_at: r.queued_at.unwrap_or(now),
        skills: r.skills.clone(),
        capacity: r.capacity.clone(),
        declines: r.declines.clone(),
        affinity_agent: r.affinity_agent.clone(),
        affinity_until: r.affinity_until,
        workstream: ws.clone(),
    }
}

/// What a conversation with this routing needs from an agent now.
pub(crate) fn need<'a>(r: &'a Routing, dist: &'a Distribution, now: Millis) -> Need<'a> {
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

/// What a conversation handed straight to an agent needs from them (a
/// transfer or a supervisor's reassignment): the presence the workstream
/// allows and the capacity (units, profile) it takes, as the conditional
/// write checks them; skills, earlier declines and affinity are the
/// sender's call, not conditions.
pub fn transfer_need<'a>(r: &'a Routing, dist: &'a Distribution) -> Need<'a> {
    Need {
        skills: &NO_SKILLS,
        capacity: &r.capacity,
        allowed: &dist.allowed_presences,
        matching: super::model::SkillMatching::None,
        declines: &NO_DECLINES,
        max_declines: 0,
        reserved_for: None,
    }
}

static NO_SKILLS: std::collections::BTreeMap<super::model::Skill, u8> =
    std::collections::BTreeMap::new();
static NO_DECLINES: std::collections::BTreeMap<AgentId, u32> = std::collections::BTreeMap::new();

/// When `conv` was last answered: a reply by an agent or the bot (not one
/// that failed), or a message someone sent from Meta's Page inbox (an echo
/// that is not one of our sends); `None` when never. Reads the
/// conversation's outbound messages and timeline.
async fn last_answer_at(deps: &RoutingDeps, conv: &Conversation) -> Result<Option<Millis>> {
    use crate::event::EventKind;
    use crate::outbound::{Author, Status};
    let replied = deps
        .outbound
        .list_outbound(&conv.id)
        .await?
        .into_iter()
        .filter(|m| {
            matches!(m.author, Author::Agent { .. } | Author::Bot)
                && !matches!(m.status, Status::Failed { .. })
        })
        .map(|m| m.created_at)
        .max();
    // Our sends carry their outbound id as metadata; an echo without it was
    // written by a person in the Page inbox (or another app).
    let page_inbox = deps
        .conversations
        .timeline(&conv.id)
        .await?
        .into_iter()
        .filter(|e| {
            e.kind == EventKind::Echo
                && !e.metadata.as_deref().is_some_and(|m| m.starts_with("ob_"))
        })
        .map(|e| e.timestamp)
        .max();
    Ok(replied.max(page_inbox))
}

fn offer_timer(conv: &ConversationId, o: &Offer) -> Timer {
    Timer {
        kind: TimerKind::OfferExpiry,
        due: o.expires_at,
        conversation_id: conv.clone(),
    }
}

/// What giving back `agent`'s capacity for this conversation writes:
/// nothing when it holds none (follow-up work, or released already).
fn release_op(r: &Routing, agent: &AgentId, at: Millis) -> Option<RoutingOp> {
    r.holds_capacity.then(|| RoutingOp::Release {
        agent: agent.clone(),
        units: r.capacity.units,
        profile: r.capacity.profile.clone(),
        at,
    })
}
