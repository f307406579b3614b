//! Who a conversation can be transferred to: the queues of its workstream
//! (with how many wait there) and the agents, each with whether they can
//! take it now and why not, by the rules a transfer's conditional write
//! holds ([`engine::transfer_need`] through [`select::rank`]), best first
//! in the order the conversation's queue would choose them.

use super::overview::WAITING_COUNTED;
use super::workstream_queues;
use crate::ids::ConversationId;
use crate::ports::ConversationState;
use crate::problem::{Problem, Status};
use crate::routing::engine::{self, RoutingDeps};
use crate::routing::model::{AgentState, AssignmentMethod, QueueId};
use crate::routing::select;
use crate::visibility::{Caller, held};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct QueueTarget {
    pub queue_id: QueueId,
    pub name: String,
    /// How many wait there (counted up to 10,000).
    pub waiting: usize,
}

#[derive(Debug, Clone)]
pub struct AgentTarget {
    pub state: AgentState,
    pub available_now: bool,
    /// Why not, when not.
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Targets {
    pub queues: Vec<QueueTarget>,
    pub agents: Vec<AgentTarget>,
}

fn not_transferable(detail: String) -> Problem {
    Problem::new(
        Status::CONFLICT,
        "not_transferable",
        "Cannot be transferred",
        detail,
    )
}

/// Where the caller could transfer conversation `id`: the agent holding it
/// (`404` if it is not theirs, `409 not_assigned` while only offered), or
/// a supervisor; `409 not_transferable` once it is in wrap-up or closed.
pub async fn transfer_targets(
    deps: &RoutingDeps,
    who: &Caller,
    id: &ConversationId,
) -> Result<Targets, Problem> {
    let conv = held(deps, who, id).await?;
    if matches!(
        conv.state,
        ConversationState::WrapUp | ConversationState::Closed
    ) {
        return Err(not_transferable(format!(
            "conversation {id} is {}; only open work that is not in wrap-up moves",
            conv.state.as_str()
        )));
    }
    let r = conv.routing.clone().unwrap_or_default();
    let ws = match &r.workstream {
        Some(w) => deps.workstreams.get_workstream(w).await?,
        None => None,
    }
    .ok_or_else(|| {
        not_transferable(format!(
            "conversation {id} has no workstream to route it in"
        ))
    })?;
    let mut all = deps.config.list_queues().await?;
    all.sort_by(|a, b| a.priority.cmp(&b.priority).then_with(|| a.id.cmp(&b.id)));
    let mut mine = workstream_queues(deps, &all)
        .await?
        .remove(&ws.id)
        .unwrap_or_default();
    if let Some(q) = &r.queue {
        // Back to the queue it came from, unless it waits there now.
        if conv.state == ConversationState::Waiting {
            mine.remove(q);
        } else {
            mine.insert(q.clone());
        }
    }
    let method = all
        .iter()
        .find(|q| Some(&q.id) == r.queue.as_ref())
        .map_or(AssignmentMethod::default(), |q| q.assignment);
    let mut queues = Vec::new();
    for q in all.into_iter().filter(|q| mine.contains(&q.id)) {
        queues.push(QueueTarget {
            waiting: deps.routing.count_waiting(&q.id, WAITING_COUNTED).await?,
            queue_id: q.id,
            name: q.name,
        });
    }
    let members: Vec<AgentState> = deps
        .config
        .list_agents()
        .await?
        .into_iter()
        .filter(|a| Some(&a.agent.id) != r.agent.as_ref())
        .collect();
    let need = engine::transfer_need(&r, &ws.distribution);
    let ranking = select::rank(&members, &need, method);
    let mut agents: Vec<AgentTarget> = ranking
        .order
        .iter()
        .filter_map(|&i| members.get(i))
        .map(|a| AgentTarget {
            state: a.clone(),
            available_now: true,
            reason: None,
        })
        .collect();
    agents.extend(ranking.skipped.iter().filter_map(|(i, verdict)| {
        members.get(*i).map(|a| AgentTarget {
            state: a.clone(),
            available_now: false,
            reason: Some(verdict.sentence()),
        })
    }));
    Ok(Targets { queues, agents })
}
