//! A person's data, for administrators: a customer's subject-access export.

use super::AdminDeps;
use crate::auth::Admin;
use crate::extract::Id2;
use crate::problem::{Answer, ok};
use axum::extract::State;
use switchboard_core::ids::{PageId, Psid};

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
