//! `/canned-responses`: the short texts agents insert while replying.

use super::AdminDeps;
use crate::auth::Admin;
use crate::extract::{Id, Json, QueryPairs};
use crate::problem::{Answer, created, no_content, ok};
use axum::extract::State;
use switchboard_core::canned::CannedResponseId;
use switchboard_core::canned::admin as ca;
use switchboard_core::problem::Problem;
use switchboard_core::workstreams::WorkstreamId;

type Deps = State<AdminDeps>;

/// `GET ?workstream=&limit=&cursor=`: in id order, a page at a time.
pub async fn list(_: Admin, State(d): Deps, q: QueryPairs) -> Answer {
    let ws = q
        .get("workstream")
        .map(WorkstreamId::parse)
        .transpose()
        .map_err(Problem::from)?;
    let page = q.page()?;
    let (items, next) = ca::list(&d.channels.routing_deps(), ws.as_ref(), &page).await?;
    ok(&serde_json::json!({ "canned_responses": items, "next_cursor": next }))
}

pub async fn create(_: Admin, State(d): Deps, Json(b): Json<ca::NewCanned>) -> Answer {
    created(&ca::create(&d.channels.routing_deps(), b).await?)
}

pub async fn get(_: Admin, Id(id): Id<CannedResponseId>, State(d): Deps) -> Answer {
    ok(&ca::get(&d.channels.routing_deps(), &id).await?)
}

pub async fn update(
    _: Admin,
    Id(id): Id<CannedResponseId>,
    State(d): Deps,
    Json(b): Json<ca::CannedPatch>,
) -> Answer {
    ok(&ca::update(&d.channels.routing_deps(), &id, b).await?)
}

pub async fn delete(_: Admin, Id(id): Id<CannedResponseId>, State(d): Deps) -> Answer {
    ca::delete(&d.channels.routing_deps(), &id).await?;
    no_content()
}
