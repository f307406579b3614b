//! Conversations as operators read them: the filtered list, one
//! conversation, and its timeline of raw events.

use super::AdminDeps;
use crate::auth::Admin;
use crate::extract::{Params, QueryPairs};
use crate::problem::{Answer, ok};
use axum::extract::State;
use serde::Serialize;
use switchboard_core::agent_work;
use switchboard_core::ids::{ConversationId, PageId, Psid};
use switchboard_core::paging::PageRequest;
use switchboard_core::ports::{Conversation, ConversationFilter, ConversationState};
use switchboard_core::problem::Problem;

fn conversation_filter(q: QueryPairs) -> Result<(ConversationFilter, PageRequest), Problem> {
    let page = q.page()?;
    let mut f = ConversationFilter {
        limit: Some(page.read()),
        after: page.after.clone(),
        ..ConversationFilter::default()
    };
    for (k, v) in q.0 {
        match k.as_str() {
            "page_id" => f.page_id = Some(PageId::parse(v)?),
            "psid" => f.psid = Some(Psid::parse(v)?),
            "state" => {
                f.state = Some(ConversationState::parse(&v).ok_or_else(|| {
                    Problem::bad_request(
                        "invalid_state",
                        format!(
                            "state {v:?} is not one of waiting, offered, assigned, wrap_up, closed"
                        ),
                    )
                })?)
            }
            "limit" | "cursor" => {}
            other => {
                return Err(Problem::bad_request(
                    "unknown_parameter",
                    format!(
                        "unknown query parameter {other:?}; use page_id, psid, state, limit or cursor"
                    ),
                ));
            }
        }
    }
    Ok((f, page))
}

pub async fn list(_: Admin, State(d): State<AdminDeps>, q: QueryPairs) -> Answer {
    let (filter, page) = conversation_filter(q)?;
    let list = d
        .channels
        .conversations
        .list_conversations(&filter)
        .await
        .map_err(Problem::from)?;
    let (list, next) = switchboard_core::paging::page(
        list,
        &page,
        switchboard_core::ports::Conversation::list_key,
    );
    ok(&serde_json::json!({ "conversations": list, "next_cursor": next }))
}

/// The conversation the path names (its id checked after the method).
fn id(p: &Params) -> Result<ConversationId, Problem> {
    Ok(ConversationId::parse(
        p.0.first().cloned().unwrap_or_default(),
    )?)
}

/// The conversation `id`, or `not_found`.
pub(super) async fn existing(d: &AdminDeps, id: &ConversationId) -> Result<Conversation, Problem> {
    d.channels
        .conversations
        .get_conversation(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no conversation {id}")))
}

/// The conversation, with how an agent's reply would go out now.
pub async fn get(_: Admin, p: Params, State(d): State<AdminDeps>) -> Answer {
    let id = id(&p)?;
    let conv = existing(&d, &id).await?;
    let window = agent_work::reply_windows(&d.channels.routing_deps(), std::slice::from_ref(&conv))
        .await?
        .pop();
    let mut v = serde_json::to_value(&conv).map_err(|e| Problem::internal(e.to_string()))?;
    v["reply_window"] = serde_json::to_value(window).unwrap_or_default();
    ok(&v)
}

pub async fn timeline(_: Admin, p: Params, State(d): State<AdminDeps>) -> Answer {
    let id = id(&p)?;
    existing(&d, &id).await?;
    let events = d
        .channels
        .conversations
        .timeline(&id)
        .await
        .map_err(Problem::from)?;
    // Typed, not `json!`: the events' raw JSON is written as it is.
    #[derive(Serialize)]
    struct Timeline<'a> {
        conversation_id: &'a ConversationId,
        events: &'a [switchboard_core::event::InboundEvent],
    }
    ok(&Timeline {
        conversation_id: &id,
        events: &events,
    })
}
