//! The WebSocket API's Lambda glue: the `$connect` REQUEST authorizer
//! ([`authorize`]) and the `$connect`/`$disconnect` routes ([`on_route`]),
//! which record and forget an agent's connection. The socket carries only
//! new events (pushed by [`crate::push`]); on connect the console catches
//! up through `GET /agent/v1/events?after=<cursor>`.

use crate::connections::Connections;
use crate::jwt::{Expected, Jwks, Rejected, Verified};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use switchboard_core::Clock;
use switchboard_core::routing::model::AgentId;

/// A WebSocket API's REQUEST authorizer event (the parts read).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerRequest {
    #[serde(default)]
    pub method_arn: String,
    #[serde(default)]
    pub query_string_parameters: Option<HashMap<String, String>>,
}

/// An IAM policy for the connection, and what the routes learn of the agent.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizerResponse {
    pub principal_id: String,
    pub policy_document: PolicyDocument,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<AgentContext>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: &'static str,
    #[serde(rename = "Statement")]
    pub statement: Vec<PolicyStatement>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyStatement {
    #[serde(rename = "Action")]
    pub action: &'static str,
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    #[serde(rename = "Resource")]
    pub resource: String,
}

/// What the authorizer tells the routes of the agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AgentContext {
    pub agent_id: String,
    pub supervisor: bool,
}

/// The authorizer's context as a route receives it in
/// `requestContext.authorizer` (with `principalId` and API Gateway's own
/// keys; its values may come back as text, so only the agent id is read).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct RouteAuthorizer {
    #[serde(default)]
    pub agent_id: String,
}

impl AuthorizerResponse {
    fn new(principal: &str, effect: &'static str, arn: &str) -> Self {
        Self {
            principal_id: principal.to_string(),
            policy_document: PolicyDocument {
                version: "2012-10-17",
                statement: vec![PolicyStatement {
                    action: "execute-api:Invoke",
                    effect,
                    resource: arn.to_string(),
                }],
            },
            context: None,
        }
    }

    pub fn allow(arn: &str, v: &Verified) -> Self {
        let mut r = Self::new(v.agent.as_str(), "Allow", arn);
        r.context = Some(AgentContext {
            agent_id: v.agent.to_string(),
            supervisor: v.supervisor,
        });
        r
    }

    /// API Gateway answers the handshake 403.
    pub fn deny(arn: &str) -> Self {
        Self::new("anonymous", "Deny", arn)
    }

    pub fn allowed(&self) -> bool {
        self.policy_document
            .statement
            .iter()
            .all(|s| s.effect == "Allow")
    }
}

/// The token of a connect request (`?token=`).
pub fn token(req: &AuthorizerRequest) -> &str {
    req.query_string_parameters
        .as_ref()
        .and_then(|q| q.get("token"))
        .map(String::as_str)
        .unwrap_or_default()
}

/// Answer the `$connect` authorizer: allow an agent or supervisor's good
/// token, deny anything else (and log why).
pub async fn authorize(
    req: &AuthorizerRequest,
    keys: &Jwks,
    expected: &Expected,
) -> AuthorizerResponse {
    match keys.verify(token(req), expected).await {
        Ok(v) => AuthorizerResponse::allow(&req.method_arn, &v),
        Err(e) => {
            match &e {
                Rejected::Keys(_) => tracing::error!(error = %e, "a connect was refused"),
                _ => tracing::info!(reason = %e, "a connect was refused"),
            }
            AuthorizerResponse::deny(&req.method_arn)
        }
    }
}

/// A `$connect` or `$disconnect` event (the parts read).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteEvent {
    #[serde(default)]
    pub request_context: RouteContext,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteContext {
    #[serde(default)]
    pub route_key: String,
    #[serde(default)]
    pub connection_id: String,
    #[serde(default)]
    pub authorizer: Option<RouteAuthorizer>,
}

/// What a route answers API Gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteResponse {
    pub status_code: u16,
}

/// Record the connection on `$connect`, forget it on `$disconnect`. A
/// connect that cannot be recorded is refused (500: the client falls back
/// to the long poll), so a socket is never open without its item.
pub async fn on_route(
    event: &RouteEvent,
    connections: &Connections,
    clock: &dyn Clock,
) -> RouteResponse {
    let ctx = &event.request_context;
    let agent = ctx
        .authorizer
        .as_ref()
        .and_then(|a| AgentId::parse(a.agent_id.as_str()).ok());
    let (Some(agent), false) = (agent, ctx.connection_id.is_empty()) else {
        tracing::error!(route = %ctx.route_key, "a route without the authorizer's agent or a connection id");
        return RouteResponse { status_code: 400 };
    };
    let result = match ctx.route_key.as_str() {
        "$connect" => {
            connections
                .add(&agent, &ctx.connection_id, clock.now())
                .await
        }
        "$disconnect" => connections.remove(&agent, &ctx.connection_id).await,
        other => {
            tracing::warn!(route = %other, "an unexpected route");
            return RouteResponse { status_code: 400 };
        }
    };
    match result {
        Ok(()) => RouteResponse { status_code: 200 },
        Err(e) => {
            tracing::error!(agent_id = %agent, route = %ctx.route_key, error = %e, "connection not recorded");
            RouteResponse { status_code: 500 }
        }
    }
}
