//! `GET /conversations/{id}/transfer-targets`: where the agent holding a
//! conversation (or a supervisor) could transfer it, and who can take it now.

use super::AgentDeps;
use super::conversations::conversation_id;
use crate::auth::Agent;
use crate::extract::Params;
use crate::problem::{Answer, ok};
use axum::extract::State;
use switchboard_core::supervision::targets;

pub async fn transfer_targets(Agent(who): Agent, p: Params, State(d): State<AgentDeps>) -> Answer {
    let id = conversation_id(&p)?;
    let t = targets::transfer_targets(&d.channels.routing_deps(), &who, &id).await?;
    let agents: Vec<_> = t
        .agents
        .iter()
        .map(|a| {
            serde_json::json!({
                "agent_id": a.state.agent.id,
                "name": a.state.agent.name,
                "presence": a.state.presence_view(),
                "load": a.state.load.used,
                "capacity": a.state.agent.capacity,
                "available_now": a.available_now,
                "reason": a.reason,
            })
        })
        .collect();
    ok(&serde_json::json!({ "queues": t.queues, "agents": agents }))
}
