//! Reclaim: an accepted conversation whose agent has not replied within the
//! workstream's `reclaim_after_seconds` goes back to its queue (ahead of
//! newer work: its place is the customer's last message) and on to the
//! next agent; and the mark of an agent's first reply that prevents it.

use super::offers::distribute_agent;
use super::{Due, Result, RoutingDeps, TakeBack, load, set_conv, take_back, try_apply};
use crate::ids::ConversationId;
use crate::outbound::{Author, Status};
use crate::ports::{Conversation, ConversationState, RoutingOp};
use crate::routing::model::{AgentId, Distribution};
use crate::routing::record::{Timer, TimerKind};
use crate::supervision::service_level::{self, Fact, FactKind};
use crate::time::Millis;

/// The reclaim timer of a conversation `agent` takes at `at`, when the
/// workstream reclaims.
pub(super) fn reclaim_timer(
    id: &ConversationId,
    dist: &Distribution,
    at: Millis,
) -> Option<RoutingOp> {
    dist.reclaim_after_seconds.map(|s| {
        RoutingOp::PutTimer(Timer {
            kind: TimerKind::Reclaim,
            due: Millis(at.0 + s as i64 * 1000),
            conversation_id: id.clone(),
        })
    })
}

/// `agent` replied in `id`: the first reply since they took it is marked
/// (reclaim and the supervisors' first-response alert look for it), and
/// an escalation of a window closing unanswered ends. A routing write only
/// then; a conversation that moved on meanwhile is left alone.
pub async fn answered(deps: &RoutingDeps, agent: &AgentId, id: &ConversationId) -> Result<()> {
    for _ in 0..3 {
        let conv = load(deps, id).await?;
        let mut r = conv.routing.clone().unwrap_or_default();
        if conv.state != ConversationState::Assigned
            || r.agent.as_ref() != Some(agent)
            || (r.answered_at.is_some() && r.window_escalated_at.is_none())
        {
            return Ok(());
        }
        let now = deps.clock.now();
        r.answered_at.get_or_insert(now);
        r.window_escalated_at = None;
        let first = r.first_answered_at.is_none();
        r.first_answered_at.get_or_insert(now);
        let fact = first.then(|| {
            Fact::of(FactKind::FirstResponse, &conv.id, &r, now).since(Some(conv.created_at))
        });
        if try_apply(deps, &[set_conv(&conv, conv.state, r, now)]).await? {
            if let Some(f) = fact {
                service_level::record(deps, f).await;
            }
            return Ok(());
        }
    }
    Ok(())
}

/// Whether `agent` replied in `conv` at or after `since`: the mark, or
/// (should its write have failed) a reply of theirs among the outbound
/// messages that did not fail.
async fn replied_since(
    deps: &RoutingDeps,
    conv: &Conversation,
    agent: &AgentId,
    since: Millis,
) -> Result<bool> {
    if conv
        .routing
        .as_ref()
        .is_some_and(|r| r.answered_at.is_some())
    {
        return Ok(true);
    }
    Ok(deps
        .outbound
        .list_outbound(&conv.id)
        .await?
        .iter()
        .any(|m| {
            matches!(&m.author, Author::Agent { agent_id } if agent_id == agent)
                && m.created_at >= since
                && !matches!(m.status, Status::Failed { .. })
        }))
}

/// The reclaim timer `t` of `conv` is due: if the agent who took it has
/// still not replied, and could (not follow-up work, the messaging window
/// open), it goes back to its queue (counted as their decline, so it goes
/// to the next agent), their capacity is freed, and they are told on their
/// feed.
pub(super) async fn reclaim(
    deps: &RoutingDeps,
    conv: &Conversation,
    t: &Timer,
    now: Millis,
) -> Result<Due> {
    let mut r = conv.routing.clone().unwrap_or_default();
    let (Some(agent), Some(taken), Some(queue), Some(ws_id)) = (
        r.agent.clone(),
        r.assigned_at,
        r.queue.clone(),
        r.workstream.clone(),
    ) else {
        return Ok(Due::Moot);
    };
    if conv.state != ConversationState::Assigned || r.follow_up.is_some() {
        return Ok(Due::Moot);
    }
    let Some(ws) = deps.workstreams.get_workstream(&ws_id).await? else {
        return Ok(Due::Moot);
    };
    let Some(secs) = ws.distribution.reclaim_after_seconds else {
        return Ok(Due::Moot);
    };
    let due = Millis(taken.0 + secs as i64 * 1000);
    if due > now {
        // Taken again since, or the setting was raised: its time is then.
        return Ok(Due::Later(due));
    }
    if replied_since(deps, conv, &agent, taken).await? {
        return Ok(Due::Moot);
    }
    if crate::send_policy::agent_reply(conv, Some(&ws), now).is_err() {
        // The window closed: the agent cannot answer; not theirs to lose.
        return Ok(Due::Moot);
    }
    *r.declines.entry(agent.clone()).or_default() += 1;
    let why = TakeBack {
        kind: FactKind::Reclaimed,
        step: "reclaimed",
        detail: format!(
            "{agent} accepted it {secs} s ago and has not replied; back to queue {queue}, ahead of newer work, for the next agent"
        ),
        reason: format!("taken back from {agent}"),
        after_seconds: secs,
        timer: Some(t),
    };
    if !take_back(deps, conv, r, &agent, why, now).await? {
        // Changed meanwhile: look again on the next run.
        return Ok(Due::Later(now.plus_secs(1)));
    }
    distribute_agent(deps, &agent).await?;
    Ok(Due::Done)
}
