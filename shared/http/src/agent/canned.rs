//! `/canned-responses`: the texts an agent may insert, for a conversation
//! (its workstream and locale, rendered) or for a workstream (as written).

use super::AgentDeps;
use crate::auth::Agent;
use crate::extract::QueryPairs;
use crate::problem::{Answer, ok};
use axum::extract::State;
use switchboard_core::canned::admin as ca;
use switchboard_core::ids::ConversationId;
use switchboard_core::problem::Problem;
use switchboard_core::visibility::visible;
use switchboard_core::workstreams::WorkstreamId;

/// `GET ?conversation_id=` (rendered) or `?workstream=` (unrendered);
/// 400 when neither is given.
pub async fn list(Agent(who): Agent, State(d): State<AgentDeps>, q: QueryPairs) -> Answer {
    let r = d.channels.routing_deps();
    if let Some(id) = q.get("conversation_id") {
        let id = ConversationId::parse(id)?;
        let conv = visible(&r, &who, &id).await?;
        let items = ca::for_conversation(&r, &who, &conv).await?;
        return ok(&serde_json::json!({ "conversation_id": id, "canned_responses": items }));
    }
    let Some(ws) = q.get("workstream") else {
        return Err(Problem::bad_request(
            "missing_parameter",
            "give conversation_id (rendered for that conversation) or workstream",
        )
        .into());
    };
    let ws = WorkstreamId::parse(ws)?;
    let items = r
        .config
        .list_canned(Some(&ws))
        .await
        .map_err(Problem::from)?;
    ok(&serde_json::json!({ "workstream": ws, "canned_responses": items }))
}
