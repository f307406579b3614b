//! The [`AgentPush`] port on API Gateway WebSocket connections: the agent's
//! connections come from the connections table ([`Connections`]); each gets
//! the frame through the Management API (`POST @connections/{id}`), and one
//! API Gateway answers 410 Gone for is forgotten.

use crate::connections::Connections;
use crate::{CallLog, Metered};
use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::error::DisplayErrorContext;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use std::sync::Arc;
use switchboard_core::Clock;
use switchboard_core::push::{AgentPush, PushError, Pushed};
use switchboard_core::routing::model::AgentId;

/// The IAM actions a push calls: the agent's connections (Query), forgetting
/// gone ones (DeleteItem), and posting to them (the Management API).
pub const IAM_ACTIONS_PUSH: &[&str] = &[
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "execute-api:ManageConnections",
];

pub struct ApiGatewayPush {
    api: Client,
    connections: Connections,
    clock: Arc<dyn Clock>,
    calls: CallLog,
}

impl Metered for ApiGatewayPush {
    fn call_log(&self) -> &CallLog {
        &self.calls
    }

    /// The Management API's and the connections table's, together.
    fn actions_called(&self) -> std::collections::BTreeSet<&'static str> {
        let mut all = self.calls.actions();
        all.extend(self.connections.actions_called());
        all
    }
}

impl ApiGatewayPush {
    /// `endpoint` is the stage's management URL,
    /// `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`.
    pub fn new(
        config: &aws_config::SdkConfig,
        endpoint: &str,
        connections: Connections,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let api = aws_sdk_apigatewaymanagement::config::Builder::from(config)
            .endpoint_url(endpoint)
            .build();
        Self {
            api: Client::from_conf(api),
            connections,
            clock,
            calls: CallLog::default(),
        }
    }

    pub fn connections(&self) -> &Connections {
        &self.connections
    }

    /// Post to one connection: `Ok(true)` delivered, `Ok(false)` gone.
    async fn post(&self, connection: &str, frame: &str) -> Result<bool, PushError> {
        self.calls.record("execute-api:ManageConnections");
        match self
            .api
            .post_to_connection()
            .connection_id(connection)
            .data(Blob::new(frame.as_bytes()))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_gone_exception()) => Ok(false),
            Err(e) => Err(PushError(DisplayErrorContext(e).to_string())),
        }
    }
}

#[async_trait]
impl AgentPush for ApiGatewayPush {
    async fn push(&self, agent: &AgentId, frame: &str) -> Result<Pushed, PushError> {
        let ids = self
            .connections
            .list(agent, self.clock.now())
            .await
            .map_err(|e| PushError(e.to_string()))?;
        let posts = ids.iter().map(|id| self.post(id, frame));
        let results = futures::future::join_all(posts).await;
        let mut pushed = Pushed::default();
        let mut failure = None;
        for (id, r) in ids.iter().zip(results) {
            match r {
                Ok(true) => pushed.delivered += 1,
                Ok(false) => {
                    pushed.gone += 1;
                    if let Err(e) = self.connections.remove(agent, id).await {
                        tracing::warn!(agent_id = %agent, error = %e, "a gone connection was not forgotten; its TTL will");
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        match failure {
            // Some connections failed: say so once (the others were served).
            Some(e) if pushed.delivered == 0 => Err(e),
            Some(e) => {
                tracing::warn!(agent_id = %agent, error = %e, "a push reached some of the agent's connections");
                Ok(pushed)
            }
            None => Ok(pushed),
        }
    }
}
