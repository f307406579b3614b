//! Contacts as agents see them: a conversation's contact (read, or linked
//! to another or a new one), contacts found, created and edited, and a
//! contact's conversation history.

use super::conversations::conversation_id;
use super::{AgentDeps, summaries};
use crate::auth::Agent;
use crate::extract::{Body, Json, Params, QueryPairs};
use crate::problem::{Answer, created, ok};
use axum::extract::State;
use switchboard_core::agent_work;
use switchboard_core::visibility::{held, visible_contact};
use switchboard_core::{contact_search, contacts};

fn contact_id(p: &Params) -> &str {
    p.0.first().map(String::as_str).unwrap_or_default()
}

/// `GET /conversations/{id}/contact`.
pub async fn of_conversation(Agent(who): Agent, p: Params, State(d): State<AgentDeps>) -> Answer {
    let id = conversation_id(&p)?;
    let r = d.channels.routing_deps();
    let contact = agent_work::conversation_contact(&r, &who, &id).await?;
    ok(&contacts::view(&contact))
}

/// `PUT /conversations/{id}/contact`: linking changes the customer's
/// record, so it takes holding the conversation, not just an offer.
pub async fn link(Agent(who): Agent, p: Params, State(d): State<AgentDeps>, body: Body) -> Answer {
    let id = conversation_id(&p)?;
    let r = d.channels.routing_deps();
    let conv = held(&r, &who, &id).await?;
    let input: serde_json::Value = body.json()?;
    let (linked, contact) = agent_work::link_contact(&r, &conv, &who, input).await?;
    ok(&serde_json::json!({"conversation_id": linked, "contact": contacts::view(&contact)}))
}

/// `GET /contacts?q=&limit=`: contacts the caller may see, by name word
/// prefix, email or phone (see `contact_search`).
pub async fn search(Agent(who): Agent, State(d): State<AgentDeps>, q: QueryPairs) -> Answer {
    let query = contact_search::Query::parse(q.get("q").unwrap_or_default())?;
    let limit = contact_search::limit(q.get("limit"))?;
    let r = d.channels.routing_deps();
    let found = contact_search::search(&r, &who, &query, limit).await?;
    let views: Vec<_> = found.iter().map(contacts::view).collect();
    ok(&serde_json::json!({ "contacts": views }))
}

/// `POST /contacts`.
pub async fn create(
    _: Agent,
    State(d): State<AgentDeps>,
    Json(new): Json<contacts::NewContact>,
) -> Answer {
    let c = agent_work::create_contact(&d.channels.routing_deps(), new).await?;
    created(&contacts::view(&c))
}

/// `GET /contacts/{id}`.
pub async fn get(Agent(who): Agent, p: Params, State(d): State<AgentDeps>) -> Answer {
    let r = d.channels.routing_deps();
    let c = visible_contact(&r, &who, contact_id(&p), true).await?;
    ok(&contacts::view(&c))
}

/// `PATCH /contacts/{id}`: an edit needs a body (an empty one is not
/// "change nothing").
pub async fn patch(
    Agent(who): Agent,
    p: Params,
    State(d): State<AgentDeps>,
    Json(change): Json<serde_json::Value>,
) -> Answer {
    let r = d.channels.routing_deps();
    let c = agent_work::patch_contact(&r, &who, contact_id(&p), &change).await?;
    ok(&contacts::view(&c))
}

/// `GET /contacts/{id}/history`.
pub async fn history(
    Agent(who): Agent,
    p: Params,
    State(d): State<AgentDeps>,
    q: QueryPairs,
) -> Answer {
    let r = d.channels.routing_deps();
    // Whether the contact is theirs is answered before the paging.
    let c = visible_contact(&r, &who, contact_id(&p), true).await?;
    let page = q.page()?;
    let (convs, next) = agent_work::contact_history(&r, &c, &page).await?;
    let views = summaries(&r, &convs).await?;
    ok(&serde_json::json!({"contact_id": c.id, "conversations": views, "next_cursor": next}))
}
