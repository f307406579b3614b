//! `POST /agents/{id}/sign-in-links`: a one-time sign-in link for an agent
//! (under serve; in AWS agents sign in with the user pool: `409`).

use super::AdminDeps;
use super::tokens::TokensOf;
use crate::auth::Admin;
use crate::extract::OptionalJson;
use crate::problem::{Answer, created};
use axum::extract::State;
use switchboard_core::sign_in;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    #[serde(default)]
    supervisor: bool,
    #[serde(default, deserialize_with = "switchboard_core::serde_rules::present")]
    ttl_seconds: Option<u64>,
}

/// `POST`: a new link (its body is optional); the code is shown once.
pub async fn create(
    _: Admin,
    TokensOf(id): TokensOf,
    State(d): State<AdminDeps>,
    OptionalJson(input): OptionalJson<LinkInput>,
) -> Answer {
    let link = sign_in::create(&d.channels, &id, input.supervisor, input.ttl_seconds).await?;
    created(&serde_json::json!({
        "agent_id": id,
        "code": link.code.expose(),
        "url": link.url,
        "supervisor": input.supervisor,
        "expires_at": link.expires_at.to_rfc3339(),
    }))
}
