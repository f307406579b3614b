//! `POST /agent/v1/sign-in`: a one-time sign-in link's code exchanged for
//! an agent token (under serve; no bearer: the code is the credential). A
//! refused code answers `401`, which serve counts toward the address's
//! failed attempts.

use super::AgentDeps;
use crate::auth::AgentAuth;
use crate::extract::Json;
use crate::problem::{Answer, ok};
use axum::extract::State;
use switchboard_core::problem::{Problem, Status};
use switchboard_core::sign_in;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInInput {
    code: String,
}

pub async fn sign_in(State(d): State<AgentDeps>, Json(input): Json<SignInInput>) -> Answer {
    if let AgentAuth::Claims = d.auth {
        return Err(Problem::new(
            Status::CONFLICT,
            "sign_in_with_user_pool",
            "Agents sign in with the user pool",
            "in AWS, sign in through the stack's user pool (the console's hosted UI)",
        )
        .into());
    }
    let signed = sign_in::exchange(&d.channels, &input.code).await?;
    ok(&serde_json::json!({
        "token": signed.token.expose(),
        "agent_id": signed.agent_id,
        "supervisor": signed.info.supervisor,
        "token_id": signed.info.token_id,
        "expires_at": signed.info.expires_at.to_rfc3339(),
    }))
}
