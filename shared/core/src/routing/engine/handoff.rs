//! Hand-off from absent agents: when an agent has been away or offline
//! (where their workstream does not let agents in that presence work) for
//! the workstream's `handoff_after_seconds`, the conversations they hold
//! whose customer wrote last go back to their queue and on to someone
//! present; those the agent answered last stay until the customer writes
//! again, and go then. Capacity is released for everything handed off;
//! it is not the agent's decline.

use super::{
    Due, Result, RoutingDeps, TakeBack, decision, last_answer_at, set_conv, take_back, try_apply,
};
use crate::ports::{Conversation, ConversationState, RoutingOp};
use crate::routing::model::{AgentId, AgentState, BasePresence};
use crate::routing::record::{Timer, TimerKind};
use crate::supervision::service_level::FactKind;
use crate::time::Millis;
use crate::workstreams::WorkstreamId;
use std::collections::HashMap;

/// Held conversations read per page, and timers written per write.
const PAGE: usize = 50;

/// Whether `presence` is an absence hand-off counts (away or offline).
pub(super) fn absent(presence: BasePresence) -> bool {
    matches!(presence, BasePresence::Away | BasePresence::Offline)
}

/// `agent` became `presence` (away or offline) and has been absent since
/// `since`: a hand-off timer for each conversation they hold in a
/// workstream that hands off and does not let agents in that presence
/// work. Setting one again (away, then offline) puts the same timer.
pub(super) async fn schedule(
    deps: &RoutingDeps,
    agent: &AgentId,
    presence: BasePresence,
    since: Millis,
) -> Result<usize> {
    let mut after_for: HashMap<Option<WorkstreamId>, Option<u64>> = HashMap::new();
    let mut after: Option<String> = None;
    let mut scheduled = 0;
    loop {
        let held = deps
            .routing
            .agent_conversations(agent, ConversationState::Assigned, after.as_deref(), PAGE)
            .await?;
        let mut ops = Vec::new();
        for conv in &held {
            let ws = conv.routing.as_ref().and_then(|r| r.workstream.clone());
            let secs = match after_for.get(&ws) {
                Some(s) => *s,
                None => {
                    let s = handoff_after(deps, ws.as_ref(), presence).await?;
                    after_for.insert(ws, s);
                    s
                }
            };
            if let Some(s) = secs {
                ops.push(RoutingOp::PutTimer(Timer {
                    kind: TimerKind::HandOff,
                    due: Millis(since.0 + s as i64 * 1000),
                    conversation_id: conv.id.clone(),
                }));
            }
        }
        scheduled += ops.len();
        if !ops.is_empty() {
            try_apply(deps, &ops).await?;
        }
        match held.last() {
            Some(last) if held.len() == PAGE => after = Some(last.list_key()),
            _ => return Ok(scheduled),
        }
    }
}

/// The workstream's hand-off time for an agent in `presence`, when it has
/// one and does not let agents in that presence work.
async fn handoff_after(
    deps: &RoutingDeps,
    ws: Option<&WorkstreamId>,
    presence: BasePresence,
) -> Result<Option<u64>> {
    let Some(w) = ws else { return Ok(None) };
    let Some(w) = deps.workstreams.get_workstream(w).await? else {
        return Ok(None);
    };
    Ok(w.distribution
        .handoff_after_seconds
        .filter(|_| !w.distribution.allowed_presences.contains(&presence)))
}

/// Where the holder of `conv` stands for a hand-off at `now`.
enum Holder {
    /// Absent past the workstream's time: their state and the time.
    Gone(Box<AgentState>, u64),
    /// Absent, but not yet for long enough: look again then.
    Until(Millis),
    /// Present, or the conversation is not held (or does not hand off).
    Here,
}

async fn holder(deps: &RoutingDeps, conv: &Conversation, now: Millis) -> Result<Holder> {
    let Some(r) = conv.routing.as_ref() else {
        return Ok(Holder::Here);
    };
    // Held, with a queue to hand it back to.
    let Some(agent) = r
        .agent
        .as_ref()
        .filter(|_| conv.state == ConversationState::Assigned && r.queue.is_some())
    else {
        return Ok(Holder::Here);
    };
    let Some(state) = deps.config.get_agent(agent).await? else {
        return Ok(Holder::Here);
    };
    let presence = state.presence.status;
    if !absent(presence) {
        return Ok(Holder::Here);
    }
    let Some(secs) = handoff_after(deps, r.workstream.as_ref(), presence).await? else {
        return Ok(Holder::Here);
    };
    let due = Millis(state.presence.set_at.0 + secs as i64 * 1000);
    if due > now {
        return Ok(Holder::Until(due));
    }
    Ok(Holder::Gone(Box::new(state), secs))
}

/// The hand-off timer `t` of `conv` is due: handed on now where the
/// customer is waiting; marked to go when the customer writes where the
/// agent answered last.
pub(super) async fn due(
    deps: &RoutingDeps,
    conv: &Conversation,
    t: &Timer,
    now: Millis,
) -> Result<Due> {
    let (holder, secs) = match holder(deps, conv, now).await? {
        Holder::Gone(h, s) => (h, s),
        // Absent since later than this timer knew, or the setting raised.
        Holder::Until(at) => return Ok(Due::Later(at)),
        Holder::Here => return Ok(Due::Moot),
    };
    if customer_waits(deps, conv).await? {
        return Ok(
            if hand_off(deps, conv, &holder, secs, Some(t), now).await? {
                Due::Done
            } else {
                Due::Later(now.plus_secs(1))
            },
        );
    }
    let mut r = conv.routing.clone().unwrap_or_default();
    if r.hand_off_when_customer_writes {
        return Ok(Due::Moot);
    }
    r.hand_off_when_customer_writes = true;
    r.record(decision(
        now,
        "hand_off_pending",
        format!(
            "{} has been {} for {secs} s; answered last, so it stays until the customer writes again",
            holder.agent.id,
            holder.presence.status.as_str()
        ),
    ));
    let ops = [
        set_conv(conv, conv.state, r, now),
        RoutingOp::DeleteTimer(t.clone()),
    ];
    if !try_apply(deps, &ops).await? {
        return Ok(Due::Later(now.plus_secs(1)));
    }
    // A customer message stored meanwhile found no mark: it goes now.
    let fresh = super::load(deps, &conv.id).await?;
    if fresh.last_customer_message_at > conv.last_customer_message_at {
        customer_wrote(deps, fresh).await?;
        return Ok(Due::Done);
    }
    Ok(Due::Pending)
}

/// Whether the customer wrote after the conversation was last answered.
async fn customer_waits(deps: &RoutingDeps, conv: &Conversation) -> Result<bool> {
    let answered = last_answer_at(deps, conv).await?;
    Ok(conv
        .last_customer_message_at
        .is_some_and(|c| answered.is_none_or(|a| a < c)))
}

/// The customer wrote in `conv` (as the router stored it): if its agent
/// answered last and is still absent past the hand-off time, it goes to
/// someone present now. Returns the conversation as it is then.
pub async fn customer_wrote(deps: &RoutingDeps, conv: Conversation) -> Result<Conversation> {
    if !conv
        .routing
        .as_ref()
        .is_some_and(|r| r.hand_off_when_customer_writes)
    {
        return Ok(conv);
    }
    let now = deps.clock.now();
    let Holder::Gone(holder, secs) = holder(deps, &conv, now).await? else {
        return Ok(conv);
    };
    if hand_off(deps, &conv, &holder, secs, None, now).await? {
        return super::load(deps, &conv.id).await;
    }
    Ok(conv)
}

/// Hand `conv` from its absent holder back to its queue and on to someone
/// present; `false` when it moved meanwhile.
async fn hand_off(
    deps: &RoutingDeps,
    conv: &Conversation,
    holder: &AgentState,
    secs: u64,
    timer: Option<&Timer>,
    now: Millis,
) -> Result<bool> {
    let mut r = conv.routing.clone().unwrap_or_default();
    let agent = &holder.agent.id;
    r.affinity_agent = None;
    r.affinity_until = None;
    let queue = r.queue.clone().map(|q| q.to_string()).unwrap_or_default();
    let why = TakeBack {
        kind: FactKind::HandedOff,
        step: "handed_off",
        detail: format!(
            "{agent} has been {} for more than {secs} s and the customer is waiting; back to queue {queue} for someone present (affinity to {agent} broken)",
            holder.presence.status.as_str()
        ),
        reason: format!("handed off from {agent}"),
        after_seconds: secs,
        timer,
    };
    if !take_back(deps, conv, r, agent, why, now).await? {
        return Ok(false);
    }
    crate::metrics::count("ConversationsHandedOff", 1);
    Ok(true)
}
