//! `/agents/{id}/tokens[/{token_id}]`: issue, list and revoke agents'
//! tokens (under serve; in AWS agents sign in with the user pool).

use super::AdminDeps;
use crate::auth::{Admin, AdminAuth};
use crate::extract::{OptionalJson, Params};
use crate::problem::{Answer, ApiProblem, created, no_content, ok};
use axum::extract::{FromRequestParts, State};
use http::request::Parts;
use serde::Serialize;
use switchboard_core::agent_tokens as tokens;
use switchboard_core::problem::{Problem, Status};
use switchboard_core::routing::model::AgentId;

/// The agent whose tokens these are, once it is known tokens are this
/// deployment's to manage (in AWS they are the user pool's: `409`).
pub fn tokens_of(deps: &AdminDeps, id: &str) -> Result<AgentId, Problem> {
    let id = AgentId::parse(id)?;
    if let AdminAuth::Group(_) = deps.auth {
        return Err(Problem::new(
            Status::CONFLICT,
            "tokens_from_user_pool",
            "Agents sign in with the user pool",
            format!(
                "in AWS, create a user named {id} in the stack's user pool, in the agent group"
            ),
        ));
    }
    Ok(id)
}

/// [`tokens_of`] the path's agent.
pub struct TokensOf(pub AgentId);

impl FromRequestParts<AdminDeps> for TokensOf {
    type Rejection = ApiProblem;

    async fn from_request_parts(
        parts: &mut Parts,
        deps: &AdminDeps,
    ) -> Result<Self, Self::Rejection> {
        let Params(p) = Params::from_request_parts(parts, deps).await?;
        let id = p.first().map(String::as_str).unwrap_or_default();
        Ok(Self(tokens_of(deps, id)?))
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    #[serde(default)]
    supervisor: bool,
    #[serde(default, deserialize_with = "switchboard_core::serde_rules::present")]
    ttl_seconds: Option<u64>,
}

/// `POST`: a new token (its body is optional).
pub async fn issue(
    _: Admin,
    TokensOf(id): TokensOf,
    State(d): State<AdminDeps>,
    OptionalJson(input): OptionalJson<TokenInput>,
) -> Answer {
    let (token, info) =
        tokens::issue(&d.channels, &id, input.supervisor, input.ttl_seconds).await?;
    #[derive(Serialize)]
    struct Issued<'a> {
        agent_id: &'a AgentId,
        token: &'a str,
        #[serde(flatten)]
        info: &'a tokens::TokenInfo,
    }
    created(&Issued {
        agent_id: &id,
        token: token.expose(),
        info: &info,
    })
}

pub async fn list(_: Admin, TokensOf(id): TokensOf, State(d): State<AdminDeps>) -> Answer {
    ok(&serde_json::json!({ "agent_id": id, "tokens": tokens::list(&d.channels, &id).await? }))
}

pub async fn revoke_all(_: Admin, TokensOf(id): TokensOf, State(d): State<AdminDeps>) -> Answer {
    let n = tokens::revoke(&d.channels, &id, None).await?;
    ok(&serde_json::json!({ "agent_id": id, "revoked": n }))
}

pub async fn revoke(
    _: Admin,
    TokensOf(id): TokensOf,
    p: Params,
    State(d): State<AdminDeps>,
) -> Answer {
    let token_id = p.0.get(1).map(String::as_str).unwrap_or_default();
    tokens::revoke(&d.channels, &id, Some(token_id)).await?;
    no_content()
}
