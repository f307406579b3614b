//! Conversations as operators read them: the filtered list, one
//! conversation, and its timeline of raw events.

use super::AdminDeps;
use crate::auth::Admin;
use crate::extract::{Params, QueryPairs};
use crate::problem::{Answer, ok};
use axum::extract::State;
use serde::Serialize;
use switchboard_core::Millis;
use switchboard_core::agent_work;
use switchboard_core::conversation_search::{self, Search};
use switchboard_core::ids::{ConversationId, PageId, Psid};
use switchboard_core::paging::PageRequest;
use switchboard_core::ports::{Conversation, ConversationState};
use switchboard_core::problem::Problem;
use switchboard_core::routing::model::{AgentId, QueueId};

/// A query time: RFC 3339 (`2026-11-30T09:00:00Z`), `400 invalid_time`
/// otherwise.
fn time_param(name: &str, v: &str) -> Result<Millis, Problem> {
    Millis::parse_rfc3339(v)
        .filter(|m| m.is_plausible())
        .ok_or_else(|| {
            Problem::bad_request(
                "invalid_time",
                format!("{name} {v:?} is not an RFC 3339 date-time such as 2026-11-30T09:00:00Z"),
            )
        })
}

fn conversation_search(q: QueryPairs) -> Result<(Search, PageRequest), Problem> {
    let page = q.page()?;
    let mut s = Search::default();
    for (k, v) in q.0 {
        match k.as_str() {
            "page_id" => s.store.page_id = Some(PageId::parse(v)?),
            "psid" => s.store.psid = Some(Psid::parse(v)?),
            "state" => {
                s.store.state = Some(ConversationState::parse(&v).ok_or_else(|| {
                    Problem::bad_request(
                        "invalid_state",
                        format!(
                            "state {v:?} is not one of waiting, offered, assigned, wrap_up, closed"
                        ),
                    )
                })?)
            }
            "queue_id" => s.queue = Some(QueueId::parse(v)?),
            "agent_id" => s.agent = Some(AgentId::parse(v)?),
            "from" => s.from = Some(time_param("from", &v)?),
            "to" => s.to = Some(time_param("to", &v)?),
            "limit" | "cursor" => {}
            other => {
                return Err(Problem::bad_request(
                    "unknown_parameter",
                    format!(
                        "unknown query parameter {other:?}; use page_id, psid, state, queue_id, agent_id, from, to, limit or cursor"
                    ),
                ));
            }
        }
    }
    if s.from.zip(s.to).is_some_and(|(f, t)| f >= t) {
        return Err(Problem::bad_request(
            "invalid_time_range",
            "from must be before to",
        ));
    }
    Ok((s, page))
}

pub async fn list(_: Admin, State(d): State<AdminDeps>, q: QueryPairs) -> Answer {
    let (search, page) = conversation_search(q)?;
    let (list, next) = conversation_search::search(
        d.channels.conversations.as_ref(),
        d.channels.routing.as_ref(),
        &search,
        &page,
    )
    .await
    .map_err(Problem::from)?;
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
    let conv = existing(&d, &id).await?;
    let events = d
        .channels
        .conversations
        .timeline(&id)
        .await
        .map_err(Problem::from)?;
    let transcript = agent_work::full_transcript(&d.channels.routing_deps(), &conv).await?;
    // Typed, not `json!`: the events' raw JSON is written as it is.
    #[derive(Serialize)]
    struct Timeline<'a> {
        conversation_id: &'a ConversationId,
        /// Both sides, as the agent reads them (what went out, with its status).
        transcript: &'a [switchboard_core::transcript::Entry],
        events: &'a [switchboard_core::event::InboundEvent],
    }
    ok(&Timeline {
        conversation_id: &id,
        transcript: &transcript,
        events: &events,
    })
}
