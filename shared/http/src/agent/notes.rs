//! `/conversations/{id}/notes`: internal notes, written and listed by
//! whoever can see the conversation; never sent to the customer.

use super::AgentDeps;
use super::conversations::conversation_id;
use crate::auth::Agent;
use crate::extract::{Body, Params, QueryPairs};
use crate::problem::{Answer, created, ok};
use axum::extract::State;
use switchboard_core::notes;
use switchboard_core::visibility::visible;

/// `POST`: the note, once the caller may see the conversation.
pub async fn add(Agent(who): Agent, p: Params, State(d): State<AgentDeps>, body: Body) -> Answer {
    let id = conversation_id(&p)?;
    let r = d.channels.routing_deps();
    let conv = visible(&r, &who, &id).await?;
    let note = notes::add(&r, &who, &conv, body.json()?).await?;
    created(&note)
}

/// `GET ?limit=&cursor=`: oldest first, a page at a time.
pub async fn list(
    Agent(who): Agent,
    p: Params,
    State(d): State<AgentDeps>,
    q: QueryPairs,
) -> Answer {
    let id = conversation_id(&p)?;
    let r = d.channels.routing_deps();
    // Whether the conversation is theirs is answered before the paging.
    let conv = visible(&r, &who, &id).await?;
    let (list, next) = notes::list(&r, &conv, &q.page()?).await?;
    ok(&serde_json::json!({"notes": list, "next_cursor": next}))
}
