//! Offers: offering a waiting conversation to an agent (push) or assigning
//! it (pick), choosing who in which order, the agent's pull of waiting
//! work, pick mode, and presence changes that make room for work.

use super::{
    Result, RoutingDeps, RoutingError, WsCache, decision, load, need, set_conv, try_apply,
};
use crate::ids::ConversationId;
use crate::ports::{Conversation, ConversationState, RoutingOp, StoreError};
use crate::routing::model::{
    AgentId, AgentState, BasePresence, Distribution, Mode, PresenceSetting, Queue,
};
use crate::routing::record::{Decision, Offer, Routing, Timer, TimerKind, WaitingItem};
use crate::routing::select::{Need, Ranking, considered, present_op, qualifies, rank, take_op};
use crate::time::Millis;
use crate::window::WINDOW_7D;
use std::sync::Arc;

/// Waiting items an agent's pull looks at per queue.
const PULL_DEPTH: usize = 25;

/// What an attempt to place one conversation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    Offered(AgentId),
    /// Nobody qualified (the reason is on the conversation).
    NoAgent,
    /// The conversation moved meanwhile (someone else placed or closed it).
    Moved,
}

pub(super) fn offer_ops(
    conv: &Conversation,
    agent: &AgentState,
    need: &Need<'_>,
    dist: &Distribution,
    mut r: Routing,
    d: Decision,
    now: Millis,
) -> Vec<RoutingOp> {
    // Follow-up work costs no capacity: no take, and nothing to release,
    // but the agent's presence and configuration are checked all the same.
    let mut ops = vec![if r.costs_capacity() {
        take_op(agent, need, now)
    } else {
        present_op(agent, need)
    }];
    if let (Some(q), Some(key)) = (r.queue.clone(), r.waiting_key.take()) {
        ops.push(RoutingOp::DeleteWaiting { queue: q, key });
    }
    let id = agent.agent.id.clone();
    r.agent = Some(id.clone());
    r.holds_capacity = r.costs_capacity();
    r.affinity_agent = None;
    r.affinity_until = None;
    r.hand_off_when_customer_writes = false;
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
            r.answered_at = None;
            r.reason = format!("taken by {id}");
            ops.extend(super::reclaim::reclaim_timer(&conv.id, dist, now));
            ConversationState::Assigned
        }
    };
    r.record(d);
    ops.insert(0, set_conv(conv, state, r, now));
    ops
}

/// The diagnostics of offering to (or, in pick mode, assigning) `members[i]`.
pub(super) fn offer_decision(
    members: &[Arc<AgentState>],
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

/// Read `members[i]` again after it lost a race (it changed since it was
/// read), so that the next conversation placed with the same members ranks
/// it as it is now; one deleted meanwhile stays in the list as offline.
pub(super) async fn refresh(
    deps: &RoutingDeps,
    members: &mut [Arc<AgentState>],
    i: usize,
) -> Result<()> {
    if let Some(m) = members.get_mut(i) {
        *m = Arc::new(match deps.config.get_agent(&m.agent.id).await? {
            Some(a) => a,
            None => AgentState {
                presence: PresenceSetting::offline(deps.clock.now()),
                ..m.as_ref().clone()
            },
        });
    }
    Ok(())
}

/// Try the queue's members for one waiting conversation, best first.
/// `record_waiting`: write the reason when nobody qualifies (skipped when it
/// would say the same again).
pub(super) async fn place(
    deps: &RoutingDeps,
    conv: &Conversation,
    dist: &Distribution,
    queue: &Queue,
    members: &mut [Arc<AgentState>],
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
        refresh(deps, members, i).await?;
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
            let mut one = vec![Arc::new(agent.clone())];
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
    let mut one = vec![Arc::new(agent)];
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
    if matches!(presence.status, BasePresence::Away | BasePresence::Offline) {
        // The customers their offers hold need not wait for the timeout.
        super::withdraw_offers(deps, agent, presence.status).await?;
        // Hand-off counts from this change (setting it again, after a
        // failure, puts the same timers).
        super::handoff::schedule(deps, agent, presence.status, presence.set_at).await?;
    }
    distribute_agent(deps, agent).await?;
    Ok(deps.config.get_agent(agent).await?.unwrap_or(state))
}
