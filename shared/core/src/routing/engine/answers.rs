//! Answers: what an agent does with an offer or a conversation: accept,
//! decline (or an offer left to expire, or withdrawn when the agent goes
//! away), end with wrap-up, transfer to a queue or an agent, and close
//! from any state.

use super::arrival::{queue_ops, queued};
use super::offers::{distribute_agent, distribute_conversation, offer_ops};
use super::reclaim::reclaim_timer;
use super::{
    Result, RoutingDeps, RoutingError, decision, load, offer_timer, release_op, set_conv,
    transfer_need, try_apply, waiting_item,
};
use crate::ids::ConversationId;
use crate::ids::WorkstreamId;
use crate::ports::{Conversation, ConversationState, RoutingOp};
use crate::routing::model::{AgentId, BasePresence, Mode, QueueId, WrapUp};
use crate::routing::record::{Routing, Timer, TimerKind};
use crate::time::Millis;
use std::collections::HashMap;

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
    let reclaim = match &r.workstream {
        Some(w) => deps
            .workstreams
            .get_workstream(w)
            .await?
            .and_then(|w| reclaim_timer(id, &w.distribution, now)),
        None => None,
    };
    r.offer = None;
    r.assigned_at = Some(now);
    r.answered_at = None;
    r.reason = format!("assigned to {agent}");
    r.record(decision(now, "accepted", format!("{agent} accepted")));
    let mut ops = vec![
        set_conv(&conv, ConversationState::Assigned, r, now),
        RoutingOp::DeleteTimer(offer_timer(id, &offer)),
        RoutingOp::CustomerAgent {
            page: conv.page_id.clone(),
            psid: conv.psid.clone(),
            agent: agent.clone(),
        },
    ];
    ops.extend(reclaim);
    if !try_apply(deps, &ops).await? {
        return Err(RoutingError::Conflict(format!(
            "the offer of {id} changed meanwhile (expired?); try again"
        )));
    }
    load(deps, id).await
}

/// How an offer ends without being accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OfferEnd {
    Declined,
    Expired,
    /// The agent became away or offline: not their decline.
    Withdrawn(BasePresence),
}

/// The agent declines an offer, or it expired: back to the queue, the
/// decline counted, the capacity freed; then the next agent.
pub async fn decline(
    deps: &RoutingDeps,
    agent: &AgentId,
    id: &ConversationId,
    expired: bool,
) -> Result<()> {
    let how = if expired {
        OfferEnd::Expired
    } else {
        OfferEnd::Declined
    };
    end_offer(deps, agent, id, how, expired).await
}

/// The agent became `presence` (away or offline): every offer waiting on
/// them goes back to its queue and on to the next agent now, not when it
/// would have expired; not counted as their decline (unless their
/// workstream lets agents in that presence take work). One pass over the
/// agent's offers; one the index has not shown yet is withdrawn when its
/// timer runs out (see [`expire`]). Returns how many.
pub async fn withdraw_offers(
    deps: &RoutingDeps,
    agent: &AgentId,
    presence: BasePresence,
) -> Result<usize> {
    const PAGE: usize = 50;
    let mut withdrawn = 0;
    let mut allows: HashMap<Option<WorkstreamId>, bool> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let offered = deps
            .routing
            .agent_conversations(agent, ConversationState::Offered, after.as_deref(), PAGE)
            .await?;
        for conv in &offered {
            let ws = conv.routing.as_ref().and_then(|r| r.workstream.clone());
            let allowed = match allows.get(&ws) {
                Some(a) => *a,
                None => {
                    let a = may_work(deps, ws.as_ref(), presence).await?;
                    allows.insert(ws, a);
                    a
                }
            };
            if allowed {
                continue;
            }
            match end_offer(deps, agent, &conv.id, OfferEnd::Withdrawn(presence), false).await {
                Ok(()) => withdrawn += 1,
                // Answered, expired or moved meanwhile: nothing to withdraw.
                Err(RoutingError::NotFound(_) | RoutingError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        match offered.last() {
            Some(last) if offered.len() == PAGE => after = Some(last.list_key()),
            _ => return Ok(withdrawn),
        }
    }
}

/// Whether workstream `ws` lets agents in `presence` take work.
async fn may_work(
    deps: &RoutingDeps,
    ws: Option<&WorkstreamId>,
    presence: BasePresence,
) -> Result<bool> {
    Ok(match ws {
        Some(w) => deps
            .workstreams
            .get_workstream(w)
            .await?
            .is_some_and(|w| w.distribution.allowed_presences.contains(&presence)),
        None => false,
    })
}

/// An offer's timer ran out: the agent's decline, unless they have become
/// away or offline meanwhile where their workstream does not let them work
/// (an offer the withdrawal did not see); then it is withdrawn.
pub(super) async fn expire(deps: &RoutingDeps, agent: &AgentId, conv: &Conversation) -> Result<()> {
    let ws = conv.routing.as_ref().and_then(|r| r.workstream.as_ref());
    let how = match deps.config.get_agent(agent).await? {
        Some(a)
            if matches!(
                a.presence.status,
                BasePresence::Away | BasePresence::Offline
            ) && !may_work(deps, ws, a.presence.status).await? =>
        {
            OfferEnd::Withdrawn(a.presence.status)
        }
        _ => OfferEnd::Expired,
    };
    end_offer(deps, agent, &conv.id, how, true).await
}

/// End the agent's offer of `id` as `how`; `lapsed`: only if its time is
/// up (the timer's end, which must not take a newer offer).
async fn end_offer(
    deps: &RoutingDeps,
    agent: &AgentId,
    id: &ConversationId,
    how: OfferEnd,
    lapsed: bool,
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
    if lapsed && offer.expires_at > now {
        return Err(RoutingError::Conflict(format!(
            "the offer of {id} has not expired"
        )));
    }
    let (Some(queue), Some(ws)) = (r.queue.clone(), r.workstream.clone()) else {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} has no queue"
        )));
    };
    if !matches!(how, OfferEnd::Withdrawn(_)) {
        *r.declines.entry(agent.clone()).or_default() += 1;
    }
    let release = release_op(&r, agent, now);
    r.offer = None;
    r.agent = None;
    r.holds_capacity = false;
    let item = waiting_item(&conv, &r, &queue, &ws, now);
    r.waiting_key = Some(item.key());
    r.reason = format!("waiting in queue {queue}");
    let (step, detail) = match how {
        OfferEnd::Expired => (
            "offer_expired",
            format!("{agent} did not answer in time; counted as a decline"),
        ),
        OfferEnd::Declined => ("declined", format!("{agent} declined")),
        OfferEnd::Withdrawn(presence) => (
            "offer_withdrawn",
            format!(
                "{agent} became {}: the offer goes to the next agent",
                presence.as_str()
            ),
        ),
    };
    r.record(decision(now, step, detail));
    let mut ops: Vec<RoutingOp> = release.into_iter().collect();
    ops.extend([
        set_conv(&conv, ConversationState::Waiting, r, now),
        RoutingOp::PutWaiting(Box::new(item)),
        RoutingOp::DeleteTimer(offer_timer(id, &offer)),
    ]);
    if !try_apply(deps, &ops).await? {
        return Err(RoutingError::Conflict(format!(
            "the offer of {id} changed meanwhile"
        )));
    }
    distribute_conversation(deps, id).await?;
    if !matches!(how, OfferEnd::Withdrawn(_)) {
        // Their freed capacity may take other work (not while away).
        distribute_agent(deps, agent).await?;
    }
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
            ops.extend(release_op(&r, agent, now));
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
    let held = conv.routing.as_ref().and_then(|r| r.agent.as_ref()) == Some(agent);
    if conv.state != ConversationState::Assigned || !held {
        return Err(RoutingError::Conflict(format!(
            "conversation {id} is not assigned to you"
        )));
    }
    if to == TransferTo::Agent(agent.clone()) {
        return Err(RoutingError::Conflict("it is yours already".into()));
    }
    hand_on(deps, conv, agent.as_str(), to).await
}

/// A supervisor (`by` names them) moves an open conversation that is not
/// in wrap-up, whoever has it: waiting, offered or assigned. It goes on as
/// an agent's [`transfer`] sends it (to a queue, or to an agent who can
/// take it now), and whoever was offered or held it gets their capacity
/// back in the same write.
pub async fn reassign(
    deps: &RoutingDeps,
    by: &str,
    id: &ConversationId,
    to: TransferTo,
) -> Result<Conversation> {
    let conv = load(deps, id).await?;
    let r = conv.routing.clone().unwrap_or_default();
    match conv.state {
        ConversationState::Closed => {
            return Err(RoutingError::Conflict(format!(
                "conversation {id} is closed"
            )));
        }
        ConversationState::WrapUp => {
            return Err(RoutingError::Conflict(format!(
                "conversation {id} is in wrap-up: its agent ended it; close it instead"
            )));
        }
        // A supervisor may take it from the bot too.
        ConversationState::Bot
        | ConversationState::Waiting
        | ConversationState::Offered
        | ConversationState::Assigned => {}
    }
    match &to {
        TransferTo::Queue(q)
            if conv.state == ConversationState::Waiting && r.queue.as_ref() == Some(q) =>
        {
            return Err(RoutingError::Conflict(format!(
                "conversation {id} is waiting in queue {q} already"
            )));
        }
        TransferTo::Agent(a) if r.agent.as_ref() == Some(a) => {
            return Err(RoutingError::Conflict(format!(
                "conversation {id} is {} {a} already",
                if conv.state == ConversationState::Offered {
                    "offered to"
                } else {
                    "assigned to"
                }
            )));
        }
        _ => {}
    }
    hand_on(deps, conv, by, to).await
}

/// The one way a conversation moves to another queue or agent (an agent's
/// transfer, a supervisor's reassignment): what it holds is released (the
/// capacity of whoever was offered or held it, its offer's timer, its
/// waiting item) in the write that queues or offers it anew.
async fn hand_on(
    deps: &RoutingDeps,
    conv: Conversation,
    by: &str,
    to: TransferTo,
) -> Result<Conversation> {
    let id = conv.id.clone();
    let mut r = conv.routing.clone().unwrap_or_default();
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
    let previous = r.agent.take();
    if let Some(a) = &previous {
        ops.extend(release_op(&r, a, now));
    }
    if let Some(o) = r.offer.take() {
        ops.push(RoutingOp::DeleteTimer(offer_timer(&id, &o)));
    }
    r.holds_capacity = false;
    r.assigned_at = None;
    r.answered_at = None;
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
                format!("{by} transferred it to queue {qid}"),
            ));
            let q = queued(
                &conv,
                r,
                &queue,
                &ws,
                &format!("transferred by {by}"),
                now,
                false,
            );
            ops.extend(queue_ops(&conv, q, now));
            if !try_apply(deps, &ops).await? {
                return Err(RoutingError::Conflict(format!(
                    "conversation {id} changed meanwhile; try again"
                )));
            }
            if let Some(a) = &previous {
                distribute_agent(deps, a).await?;
            }
            distribute_conversation(deps, &id).await?;
        }
        TransferTo::Agent(to) => {
            let target = deps
                .config
                .get_agent(&to)
                .await?
                .ok_or_else(|| RoutingError::NotFound(format!("no agent {to}")))?;
            let dist = &ws.distribution;
            r.record(decision(
                now,
                "transferred",
                format!("{by} transferred it to {to}"),
            ));
            let need = transfer_need(&r, dist);
            let d = decision(
                now,
                if dist.mode == Mode::Push {
                    "offered"
                } else {
                    "assigned"
                },
                format!("transferred to {to} by {by}"),
            );
            ops.extend(offer_ops(&conv, &target, &need, dist, r.clone(), d, now));
            // offer_ops puts its conversation write first; ours must not repeat it.
            keep_put_timers(&mut ops);
            if !try_apply(deps, &ops).await? {
                let fresh = load(deps, &id).await?;
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
            if let Some(a) = &previous {
                distribute_agent(deps, a).await?;
            }
        }
    }
    load(deps, &id).await
}

/// A timer deleted and put again in one write (an offer moved to another
/// agent in the same millisecond expires when the old one did) is only
/// put: a write touches each item once.
fn keep_put_timers(ops: &mut Vec<RoutingOp>) {
    let put: Vec<String> = ops
        .iter()
        .filter_map(|o| match o {
            RoutingOp::PutTimer(t) => Some(t.key()),
            _ => None,
        })
        .collect();
    ops.retain(|o| !matches!(o, RoutingOp::DeleteTimer(t) if put.contains(&t.key())));
}

/// Close an open conversation from any state, releasing what it holds.
pub async fn close(deps: &RoutingDeps, id: &ConversationId, why: &str) -> Result<Conversation> {
    close_with(deps, id, why, |_| {}).await
}

/// [`close`] for an erasure: the record says when, so nothing more (no
/// automated message, survey or hand-back) goes to the customer.
pub async fn close_erased(
    deps: &RoutingDeps,
    id: &ConversationId,
    at: Millis,
) -> Result<Conversation> {
    close_with(deps, id, "the customer's data was erased", |r| {
        r.erased_at = Some(at)
    })
    .await
}

/// [`close`], with `mark` applied to the routing record in the same write.
pub(super) async fn close_with(
    deps: &RoutingDeps,
    id: &ConversationId,
    why: &str,
    mark: impl Fn(&mut Routing),
) -> Result<Conversation> {
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
        if let Some(a) = r.agent.clone()
            && let Some(release) = release_op(&r, &a, now)
        {
            ops.push(release);
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
        mark(&mut r);
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
