//! What supervisors (and administrators) watch and steer: the live
//! overview of queues and agents, and assigning a conversation to an agent
//! or a queue.

use super::AdminDeps;
use crate::auth::Admin;
use crate::extract::{Id, Json};
use crate::problem::{Answer, ok};
use axum::extract::State;
use switchboard_core::ids::ConversationId;
use switchboard_core::supervision::{assign as sa, overview as so};

type Deps = State<AdminDeps>;

/// `GET /overview`: live queues and agents.
pub async fn overview(_: Admin, State(d): Deps) -> Answer {
    let o = so::overview(&d.channels.routing_deps()).await?;
    let agents: Vec<_> = o
        .agents
        .iter()
        .map(|a| {
            serde_json::json!({
                "agent_id": a.state.agent.id,
                "name": a.state.agent.name,
                "presence": a.state.presence_view(),
                "load": a.state.load.used,
                "capacity": a.state.agent.capacity,
                "conversations": a.conversations,
            })
        })
        .collect();
    ok(&serde_json::json!({
        "queues": o.queues,
        "agents": agents,
        "generated_at": o.generated_at.to_rfc3339(),
    }))
}

/// `POST /conversations/{id}/assign` `{agent_id}` or `{queue_id}`.
pub async fn assign(
    Admin(by): Admin,
    Id(id): Id<ConversationId>,
    State(d): Deps,
    Json(body): Json<sa::Assignment>,
) -> Answer {
    ok(&sa::assign(&d.channels.routing_deps(), &by.describe(), &id, body).await?)
}
