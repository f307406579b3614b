//! `POST /conversations/{id}/messages`: the agent's reply, queued for the
//! sender once the conversation is theirs and the reply is sendable.

use crate::extract::Body;
use crate::problem::{Answer, json};
use http::StatusCode;
use switchboard_core::agent_work;
use switchboard_core::ids::ConversationId;
use switchboard_core::routing::engine::RoutingDeps;
use switchboard_core::visibility::Caller;

/// The body is read once the caller may reply in the conversation.
pub async fn reply(r: &RoutingDeps, who: &Caller, id: &ConversationId, body: &Body) -> Answer {
    let conv = agent_work::reply_target(r, who, id).await?;
    let m = agent_work::reply(r, who, &conv, body.json()?).await?;
    json(
        StatusCode::ACCEPTED,
        &serde_json::json!({"id": m.id, "status": "queued", "conversation_id": id}),
    )
}
