//! What supervisors (and administrators) steer: assigning a conversation
//! to an agent or a queue.

use super::AdminDeps;
use crate::auth::Admin;
use crate::extract::{Id, Json};
use crate::problem::{Answer, ok};
use axum::extract::State;
use switchboard_core::ids::ConversationId;
use switchboard_core::supervision::assign as sa;

type Deps = State<AdminDeps>;

/// `POST /conversations/{id}/assign` `{agent_id}` or `{queue_id}`.
pub async fn assign(
    Admin(by): Admin,
    Id(id): Id<ConversationId>,
    State(d): Deps,
    Json(body): Json<sa::Assignment>,
) -> Answer {
    ok(&sa::assign(&d.channels.routing_deps(), &by.describe(), &id, body).await?)
}
