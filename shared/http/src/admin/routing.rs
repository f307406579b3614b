//! Routing administration: agents and their presence, queues and who
//! waits in them, rulesets, and a conversation's routing (explained, or
//! closed by an administrator).

use super::AdminDeps;
use crate::auth::{Admin, AdminAuth};
use crate::extract::{Id, Json, Paging, QueryPairs};
use crate::problem::{Answer, created, no_content, ok};
use axum::extract::State;
use switchboard_core::ids::ConversationId;
use switchboard_core::problem::Problem;
use switchboard_core::routing::admin as ra;
use switchboard_core::routing::engine;
use switchboard_core::routing::model::{AgentId, AgentState, QueueId, RulesetId};
use switchboard_core::workstreams::WorkstreamId;

type Deps = State<AdminDeps>;

/// An agent as the admin API shows it: configuration, presence (as set and
/// as others see it) and load.
fn agent_view(a: &AgentState) -> serde_json::Value {
    let mut v = serde_json::to_value(&a.agent).unwrap_or_default();
    v["presence"] = presence_view(a);
    v["load"] = serde_json::to_value(&a.load).unwrap_or_default();
    v["version"] = a.version.into();
    v
}

fn presence_view(a: &AgentState) -> serde_json::Value {
    serde_json::to_value(a.presence_view()).unwrap_or_default()
}

pub async fn list_agents(_: Admin, State(d): Deps) -> Answer {
    let agents = ra::list_agents(&d.channels.routing_deps()).await?;
    ok(&serde_json::json!({ "agents": agents.iter().map(agent_view).collect::<Vec<_>>() }))
}

pub async fn create_agent(_: Admin, State(d): Deps, Json(b): Json<ra::NewAgent>) -> Answer {
    created(&agent_view(
        &ra::create_agent(&d.channels.routing_deps(), b).await?,
    ))
}

pub async fn get_agent(_: Admin, Id(id): Id<AgentId>, State(d): Deps) -> Answer {
    ok(&agent_view(
        &ra::get_agent(&d.channels.routing_deps(), &id).await?,
    ))
}

pub async fn update_agent(
    _: Admin,
    Id(id): Id<AgentId>,
    State(d): Deps,
    Json(b): Json<ra::AgentPatch>,
) -> Answer {
    ok(&agent_view(
        &ra::update_agent(&d.channels.routing_deps(), &id, b).await?,
    ))
}

/// A deleted agent's tokens go with it (serve's tokens; in AWS the user
/// pool's users are removed there).
pub async fn delete_agent(_: Admin, Id(id): Id<AgentId>, State(d): Deps) -> Answer {
    ra::delete_agent(&d.channels.routing_deps(), &id).await?;
    if let AdminAuth::Bearer(_) = d.auth {
        switchboard_core::agent_tokens::revoke(&d.channels, &id, None).await?;
    }
    no_content()
}

pub async fn get_presence(_: Admin, Id(id): Id<AgentId>, State(d): Deps) -> Answer {
    ok(&presence_view(
        &ra::get_agent(&d.channels.routing_deps(), &id).await?,
    ))
}

pub async fn put_presence(
    _: Admin,
    Id(id): Id<AgentId>,
    State(d): Deps,
    Json(b): Json<ra::PresenceInput>,
) -> Answer {
    ok(&presence_view(
        &ra::put_presence(&d.channels.routing_deps(), &id, b).await?,
    ))
}

pub async fn list_queues(_: Admin, State(d): Deps) -> Answer {
    ok(&serde_json::json!({ "queues": ra::list_queues(&d.channels.routing_deps()).await? }))
}

pub async fn create_queue(_: Admin, State(d): Deps, Json(b): Json<ra::NewQueue>) -> Answer {
    created(&ra::create_queue(&d.channels.routing_deps(), b).await?)
}

pub async fn get_queue(_: Admin, Id(id): Id<QueueId>, State(d): Deps) -> Answer {
    ok(&ra::get_queue(&d.channels.routing_deps(), &id).await?)
}

pub async fn update_queue(
    _: Admin,
    Id(id): Id<QueueId>,
    State(d): Deps,
    Json(b): Json<ra::QueuePatch>,
) -> Answer {
    ok(&ra::update_queue(&d.channels.routing_deps(), &id, b).await?)
}

pub async fn delete_queue(_: Admin, Id(id): Id<QueueId>, State(d): Deps) -> Answer {
    ra::delete_queue(&d.channels.routing_deps(), &id).await?;
    no_content()
}

/// `GET /queues/{id}/waiting`: who waits, a page at a time.
pub async fn waiting(
    _: Admin,
    Id(id): Id<QueueId>,
    State(d): Deps,
    Paging(page): Paging,
) -> Answer {
    let r = d.channels.routing_deps();
    ra::get_queue(&r, &id).await?;
    let items = r
        .routing
        .waiting(&id, page.after.as_deref(), page.read())
        .await
        .map_err(Problem::from)?;
    let (items, next) = switchboard_core::paging::page(
        items,
        &page,
        switchboard_core::routing::record::WaitingItem::key,
    );
    ok(&serde_json::json!({
        "queue_id": id,
        "waiting": items,
        "next_cursor": next,
    }))
}

pub async fn list_rulesets(_: Admin, State(d): Deps, q: QueryPairs) -> Answer {
    let ws = q
        .get("workstream")
        .map(WorkstreamId::parse)
        .transpose()
        .map_err(Problem::from)?;
    ok(
        &serde_json::json!({ "rulesets": ra::list_rulesets(&d.channels.routing_deps(), ws.as_ref()).await? }),
    )
}

pub async fn create_ruleset(_: Admin, State(d): Deps, Json(b): Json<ra::NewRuleset>) -> Answer {
    created(&ra::create_ruleset(&d.channels.routing_deps(), b).await?)
}

pub async fn get_ruleset(_: Admin, Id(id): Id<RulesetId>, State(d): Deps) -> Answer {
    ok(&ra::get_ruleset(&d.channels.routing_deps(), &id).await?)
}

pub async fn update_ruleset(
    _: Admin,
    Id(id): Id<RulesetId>,
    State(d): Deps,
    Json(b): Json<ra::RulesetPatch>,
) -> Answer {
    ok(&ra::update_ruleset(&d.channels.routing_deps(), &id, b).await?)
}

pub async fn delete_ruleset(_: Admin, Id(id): Id<RulesetId>, State(d): Deps) -> Answer {
    ra::delete_ruleset(&d.channels.routing_deps(), &id).await?;
    no_content()
}

/// `POST /routing/preview`: what routing would do with a sample message
/// ("Try a message"); changes nothing.
pub async fn preview(
    _: Admin,
    State(d): Deps,
    Json(b): Json<switchboard_core::routing::preview::PreviewRequest>,
) -> Answer {
    ok(&switchboard_core::routing::preview::preview(&d.channels, b).await?)
}

/// `GET /conversations/{id}/routing`: where routing put it, and why.
pub async fn conversation_routing(_: Admin, Id(id): Id<ConversationId>, State(d): Deps) -> Answer {
    let c = super::conversations::existing(&d, &id).await?;
    let routing = c.routing.unwrap_or_default();
    ok(&serde_json::json!({
        "conversation_id": id,
        "state": c.state,
        "explanation": routing.reason,
        "routing": routing,
    }))
}

pub async fn close_conversation(
    Admin(by): Admin,
    Id(id): Id<ConversationId>,
    State(d): Deps,
) -> Answer {
    ok(&engine::close(
        &d.channels.routing_deps(),
        &id,
        &format!("closed by {}", by.describe()),
    )
    .await?)
}
