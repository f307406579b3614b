//! The agent's own state: who they are (`/me`), presence, and the feed of
//! what happens to them (offers, assignments, messages), long-polled.

use super::AgentDeps;
use crate::auth::Agent;
use crate::extract::{Json, QueryPairs};
use crate::problem::{Answer, ok};
use axum::extract::State;
use std::time::Duration;
use switchboard_core::feed;
use switchboard_core::problem::Problem;
use switchboard_core::routing::admin as ra;
use switchboard_core::routing::model::AgentState;

fn presence(a: &AgentState) -> serde_json::Value {
    serde_json::json!({
        "agent_id": a.agent.id,
        "status": a.presence.status,
        "label": a.presence.label,
        "effective": a.effective_presence(),
        "used_capacity": a.load.used,
        "capacity": a.agent.capacity,
    })
}

/// `GET /me`: who the caller is, with presence, load and queues (a queue
/// deleted meanwhile is left out).
pub async fn me(Agent(who): Agent, State(d): State<AgentDeps>) -> Answer {
    let r = d.channels.routing_deps();
    let a = ra::get_agent(&r, &who.agent).await?;
    let mut queues = Vec::new();
    for q in &a.agent.queues {
        if let Some(queue) = r.config.get_queue(q).await? {
            queues.push(serde_json::json!({"queue_id": queue.id, "name": queue.name}));
        }
    }
    ok(&serde_json::json!({
        "agent_id": a.agent.id,
        "name": a.agent.name,
        "email": a.agent.email,
        "supervisor": who.supervisor,
        "presence": presence(&a),
        "capacity": a.agent.capacity,
        "load": a.load.used,
        "queues": queues,
    }))
}

pub async fn get_presence(Agent(who): Agent, State(d): State<AgentDeps>) -> Answer {
    ok(&presence(
        &ra::get_agent(&d.channels.routing_deps(), &who.agent).await?,
    ))
}

pub async fn put_presence(
    Agent(who): Agent,
    State(d): State<AgentDeps>,
    Json(b): Json<ra::PresenceInput>,
) -> Answer {
    ok(&presence(
        &ra::put_presence(&d.channels.routing_deps(), &who.agent, b).await?,
    ))
}

/// `POST /heartbeat`: the caller's console is open; their presence.
pub async fn heartbeat(Agent(who): Agent, State(d): State<AgentDeps>) -> Answer {
    ok(&presence(
        &ra::heartbeat(&d.channels.routing_deps(), &who.agent).await?,
    ))
}

/// `GET /events?after=&wait=`: the feed after a cursor, waiting up to
/// `wait` seconds (at most 25) for something new.
pub async fn events(Agent(who): Agent, State(d): State<AgentDeps>, q: QueryPairs) -> Answer {
    let wait = match q.get("wait") {
        Some(w) => w.parse::<u64>().ok().filter(|w| *w <= 25).ok_or_else(|| {
            Problem::bad_request("invalid_wait", "wait is a number of seconds from 0 to 25")
        })?,
        None => 0,
    };
    let after = after_param(&q)?;
    let r = d.channels.routing_deps();
    let (events, cursor) = feed::read(
        r.streams.as_ref(),
        r.clock.as_ref(),
        &who.agent,
        after,
        Duration::from_secs(wait),
        d.settle,
    )
    .await?;
    ok(&serde_json::json!({"events": events, "cursor": cursor}))
}

/// `?after=`: a cursor from an earlier answer (none when empty).
pub(super) fn after_param(q: &QueryPairs) -> Result<Option<&str>, Problem> {
    let after = q.get("after").filter(|a| !a.is_empty());
    if let Some(a) = after
        && (a.len() > 100 || !a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(Problem::bad_request(
            "invalid_cursor",
            "after is a cursor from an earlier answer",
        ));
    }
    Ok(after)
}
