//! What supervisors (and administrators) watch and steer: the live
//! overview of queues and agents, assigning a conversation to an agent or
//! a queue, the thread of a conversation another app has or asks for
//! (Conversation Routing), the survey results per agent and queue over
//! a period, and the service-level report.

use super::AdminDeps;
use crate::auth::Admin;
use crate::extract::{Id, Json, QueryPairs};
use crate::problem::{Answer, ok};
use axum::extract::State;
use switchboard_core::Millis;
use switchboard_core::ids::ConversationId;
use switchboard_core::ids::WorkstreamId;
use switchboard_core::problem::Problem;
use switchboard_core::routing::model::QueueId;
use switchboard_core::supervision::{
    assign as sa, overview as so, service_level as sl, surveys as ss,
};

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
        "alerts": o.alerts,
        "window_alerts": o.window_alerts,
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

/// `POST /conversations/{id}/thread-control` `{action: take|pass|keep}`.
pub async fn thread_control(
    Admin(by): Admin,
    Id(id): Id<ConversationId>,
    State(d): Deps,
    Json(body): Json<switchboard_core::thread_control::supervise::ThreadAction>,
) -> Answer {
    ok(
        &switchboard_core::thread_control::supervise::act(&d.channels, &by.describe(), &id, body)
            .await?,
    )
}

/// An RFC 3339 time from 1970 to 2100 (the times answers can carry).
fn time_param(name: &str, v: &str) -> Result<Millis, Problem> {
    Millis::parse_rfc3339(v)
        .filter(|t| t.is_plausible())
        .ok_or_else(|| {
            Problem::bad_request(
                "invalid_time",
                format!(
                    "{name} {v:?} is not an RFC 3339 time from 1970 to 2100, such as 2026-11-01T00:00:00Z"
                ),
            )
        })
}

/// `GET /reports/service-level?from=&to=&queue=&workstream=` (all optional).
pub async fn service_level(_: Admin, State(d): Deps, q: QueryPairs) -> Answer {
    let mut scope = sl::Scope::default();
    for (k, v) in &q.0 {
        match k.as_str() {
            "from" => scope.from = Some(time_param("from", v)?),
            "to" => scope.to = Some(time_param("to", v)?),
            "queue" => {
                scope.queue = Some(QueueId::parse(v).map_err(|e| {
                    Problem::bad_request("invalid_queue", format!("queue {v:?}: {e}"))
                })?)
            }
            "workstream" => {
                scope.workstream = Some(WorkstreamId::parse(v).map_err(|e| {
                    Problem::bad_request("invalid_workstream", format!("workstream {v:?}: {e}"))
                })?)
            }
            other => {
                return Err(Problem::bad_request(
                    "unknown_parameter",
                    format!(
                        "unknown query parameter {other:?}; use from, to, queue and workstream"
                    ),
                )
                .into());
            }
        }
    }
    ok(&sl::report(&d.channels.routing_deps(), scope).await?)
}

/// `GET /surveys/summary?from=&to=` (both optional).
pub async fn survey_summary(_: Admin, State(d): Deps, q: QueryPairs) -> Answer {
    let (mut from, mut to) = (None, None);
    for (k, v) in &q.0 {
        match k.as_str() {
            "from" => from = Some(time_param("from", v)?),
            "to" => to = Some(time_param("to", v)?),
            other => {
                return Err(Problem::bad_request(
                    "unknown_parameter",
                    format!("unknown query parameter {other:?}; use from and to"),
                )
                .into());
            }
        }
    }
    ok(&ss::summary(&d.channels.routing_deps(), from, to).await?)
}
