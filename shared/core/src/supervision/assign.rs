//! A supervisor moves a conversation: to an agent (offered, or in pick
//! mode assigned, when they can take it now) or to a queue, through the
//! routing engine's one hand-over ([`engine::reassign`]).

use crate::ids::ConversationId;
use crate::ports::Conversation;
use crate::problem::{Problem, Status};
use crate::routing::engine::{self, RoutingDeps, TransferTo};
use crate::routing::model::{AgentId, QueueId};
use serde::Deserialize;

/// Where to: exactly one of them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    #[serde(default)]
    pub agent_id: Option<AgentId>,
    #[serde(default)]
    pub queue_id: Option<QueueId>,
}

fn unprocessable(code: &'static str, detail: String) -> Problem {
    Problem::new(
        Status::UNPROCESSABLE_ENTITY,
        code,
        "Cannot assign there",
        detail,
    )
}

/// Move conversation `id` as `by` (who, for the diagnostics) asks: `404`
/// for no such conversation, `422` for a body naming neither or both, or
/// an agent or queue that does not exist, `409` when the conversation is
/// closed or in wrap-up, is there already, or the agent cannot take it now.
pub async fn assign(
    deps: &RoutingDeps,
    by: &str,
    id: &ConversationId,
    a: Assignment,
) -> Result<Conversation, Problem> {
    let to = match (a.agent_id, a.queue_id) {
        (Some(agent), None) => TransferTo::Agent(agent),
        (None, Some(queue)) => TransferTo::Queue(queue),
        _ => {
            return Err(unprocessable(
                "invalid_assignment",
                "give exactly one of agent_id or queue_id".into(),
            ));
        }
    };
    if deps.conversations.get_conversation(id).await?.is_none() {
        return Err(Problem::not_found(format!("no conversation {id}")));
    }
    match &to {
        TransferTo::Agent(agent) if deps.config.get_agent(agent).await?.is_none() => {
            return Err(unprocessable(
                "unknown_agent",
                format!("there is no agent {agent}"),
            ));
        }
        TransferTo::Queue(queue) if deps.config.get_queue(queue).await?.is_none() => {
            return Err(unprocessable(
                "unknown_queue",
                format!("there is no queue {queue}"),
            ));
        }
        _ => {}
    }
    Ok(engine::reassign(deps, by, id, to).await?)
}
