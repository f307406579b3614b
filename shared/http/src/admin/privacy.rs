//! A person's data, for administrators (and supervisors, for erasure): a
//! customer's subject-access export, erasing a customer, the erasure audit,
//! and Meta's data-deletion requests that wait for someone.

use super::AdminDeps;
use crate::auth::Admin;
use crate::extract::{Id2, Json, QueryPairs};
use crate::problem::{Answer, ok};
use axum::extract::{Path, State};
use switchboard_core::ids::{PageId, Psid};
use switchboard_core::privacy::{deletion, erasure};
use switchboard_core::problem::Problem;

/// Most records a list answers.
const MAX_LIST: usize = 500;

/// `GET /customers/{page_id}/{psid}/export`: everything held about the
/// customer, as one JSON document.
pub async fn export(
    _: Admin,
    Id2(page, psid): Id2<PageId, Psid>,
    State(d): State<AdminDeps>,
) -> Answer {
    let doc =
        switchboard_core::privacy::export::export(&d.channels.routing_deps(), &page, &psid).await?;
    tracing::info!(page_id = %page, "a customer's data was exported");
    ok(&doc)
}

/// `POST /customers/{page_id}/{psid}/erase {reason}`: erase the customer
/// (idempotent: calling again finishes an erasure that stopped).
pub async fn erase(
    Admin(by): Admin,
    Id2(page, psid): Id2<PageId, Psid>,
    State(d): State<AdminDeps>,
    Json(body): Json<erasure::EraseRequest>,
) -> Answer {
    let reason = body.reason()?;
    ok(&erasure::erase(
        &d.channels.routing_deps(),
        &page,
        &psid,
        &by.describe(),
        &reason,
    )
    .await?)
}

fn limit(q: &QueryPairs) -> Result<usize, Problem> {
    match q.get("limit") {
        None => Ok(100),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIST).contains(n))
            .ok_or_else(|| {
                Problem::bad_request("invalid_limit", format!("limit is 1 to {MAX_LIST}"))
            }),
    }
}

/// `GET /erasures?after=&limit=`: the audit records, oldest first.
pub async fn erasures(_: Admin, State(d): State<AdminDeps>, q: QueryPairs) -> Answer {
    let records = erasure::audit(&d.channels.routing_deps(), q.get("after"), limit(&q)?).await?;
    let items: Vec<_> = records
        .into_iter()
        .map(|(cursor, r)| serde_json::json!({ "cursor": cursor, "erasure": r }))
        .collect();
    ok(&serde_json::json!({ "items": items }))
}

/// `GET /deletion-requests`: Meta's data-deletion requests, newest first.
pub async fn deletion_requests(_: Admin, State(d): State<AdminDeps>, q: QueryPairs) -> Answer {
    let deps = d.channels.routing_deps();
    let items = deletion::list(deps.streams.as_ref(), deps.clock.now(), limit(&q)?).await?;
    ok(&serde_json::json!({ "items": items }))
}

/// `POST /deletion-requests/{code} {action: map, customers} | {action: refuse, reason}`.
pub async fn resolve_deletion(
    _: Admin,
    Path(code): Path<String>,
    State(d): State<AdminDeps>,
    Json(body): Json<deletion::Resolution>,
) -> Answer {
    ok(&deletion::resolve(&d.channels.routing_deps(), &d.channels.pages(), &code, body).await?)
}
