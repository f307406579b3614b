//! `/workstreams/{id}/bot-tokens[/{token_id}]`: issue, list and revoke the
//! tokens a workstream's bot presents at the bot API.

use super::AdminDeps;
use crate::auth::Admin;
use crate::extract::{Id, OptionalJson, Params};
use crate::problem::{Answer, created, no_content, ok};
use axum::extract::State;
use serde::Serialize;
use switchboard_core::bot::tokens;
use switchboard_core::workstreams::WorkstreamId;

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    #[serde(default, deserialize_with = "switchboard_core::serde_rules::present")]
    ttl_seconds: Option<u64>,
}

/// `POST`: a new token, shown this once (its body is optional).
pub async fn issue(
    _: Admin,
    Id(ws): Id<WorkstreamId>,
    State(d): State<AdminDeps>,
    OptionalJson(input): OptionalJson<TokenInput>,
) -> Answer {
    let (token, info) = tokens::issue(&d.channels, &ws, input.ttl_seconds).await?;
    #[derive(Serialize)]
    struct Issued<'a> {
        workstream_id: &'a WorkstreamId,
        token: &'a str,
        #[serde(flatten)]
        info: &'a tokens::BotTokenInfo,
    }
    created(&Issued {
        workstream_id: &ws,
        token: token.expose(),
        info: &info,
    })
}

pub async fn list(_: Admin, Id(ws): Id<WorkstreamId>, State(d): State<AdminDeps>) -> Answer {
    ok(&serde_json::json!({ "workstream_id": ws, "tokens": tokens::list(&d.channels, &ws).await? }))
}

pub async fn revoke_all(_: Admin, Id(ws): Id<WorkstreamId>, State(d): State<AdminDeps>) -> Answer {
    let n = tokens::revoke(&d.channels, &ws, None).await?;
    ok(&serde_json::json!({ "workstream_id": ws, "revoked": n }))
}

pub async fn revoke(
    _: Admin,
    Id(ws): Id<WorkstreamId>,
    p: Params,
    State(d): State<AdminDeps>,
) -> Answer {
    let token_id = p.0.get(1).map(String::as_str).unwrap_or_default();
    tokens::revoke(&d.channels, &ws, Some(token_id)).await?;
    no_content()
}
