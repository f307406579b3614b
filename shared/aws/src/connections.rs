//! The live WebSocket connections of agents, in a DynamoDB table of their
//! own (`SWITCHBOARD_CONNECTIONS_TABLE`, so a function's policy can name
//! exactly these items): one item per connection, keyed by agent id
//! (`agent_id`) and connection id (`connection_id`), with a TTL
//! (`expires_at`, epoch seconds) a little past API Gateway's two-hour
//! connection limit, so an item whose `$disconnect` never ran goes by itself.

use crate::{CallLog, Metered};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use switchboard_core::Millis;
use switchboard_core::routing::model::AgentId;

/// API Gateway closes a WebSocket connection after two hours; the item
/// lives ten minutes longer.
pub const CONNECTION_TTL_SECONDS: i64 = 2 * 3600 + 600;

/// Most connections one agent's push reaches (two tabs and a phone are
/// plenty; the oldest beyond are left to their TTL).
pub const MAX_CONNECTIONS: usize = 10;

/// The IAM actions `$connect` and `$disconnect` call.
pub const IAM_ACTIONS_CONNECT: &[&str] = &["dynamodb:PutItem", "dynamodb:DeleteItem"];

/// A DynamoDB call on the connections table failed.
#[derive(Debug, thiserror::Error)]
#[error("the connections table is unavailable: {0}")]
pub struct ConnectionsError(pub String);

pub struct Connections {
    client: Client,
    table: String,
    calls: CallLog,
}

impl Metered for Connections {
    fn call_log(&self) -> &CallLog {
        &self.calls
    }
}

fn failed(e: impl std::error::Error + 'static) -> ConnectionsError {
    ConnectionsError(DisplayErrorContext(e).to_string())
}

impl Connections {
    pub fn new(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            table: table.into(),
            calls: CallLog::default(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Create the table with its TTL (tests and local set-up; the template
    /// creates it in AWS).
    pub async fn create_table(&self) -> Result<(), ConnectionsError> {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
            TimeToLiveSpecification,
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
        };
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("agent_id").map_err(failed)?)
            .attribute_definitions(attr("connection_id").map_err(failed)?)
            .key_schema(key("agent_id", KeyType::Hash).map_err(failed)?)
            .key_schema(key("connection_id", KeyType::Range).map_err(failed)?)
            .send()
            .await
            .map_err(failed)?;
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("expires_at")
                    .enabled(true)
                    .build()
                    .map_err(failed)?,
            )
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// Record a new connection of `agent` (`$connect`).
    pub async fn add(
        &self,
        agent: &AgentId,
        connection: &str,
        now: Millis,
    ) -> Result<(), ConnectionsError> {
        self.calls.record("dynamodb:PutItem");
        let secs = now.0 / 1000;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("agent_id", AttributeValue::S(agent.to_string()))
            .item("connection_id", AttributeValue::S(connection.to_string()))
            .item("connected_at", AttributeValue::N(secs.to_string()))
            .item(
                "expires_at",
                AttributeValue::N((secs + CONNECTION_TTL_SECONDS).to_string()),
            )
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// Forget a connection (`$disconnect`, or found gone by a push).
    pub async fn remove(&self, agent: &AgentId, connection: &str) -> Result<(), ConnectionsError> {
        self.calls.record("dynamodb:DeleteItem");
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("agent_id", AttributeValue::S(agent.to_string()))
            .key("connection_id", AttributeValue::S(connection.to_string()))
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// The agent's connections that have not expired at `now`.
    pub async fn list(
        &self,
        agent: &AgentId,
        now: Millis,
    ) -> Result<Vec<String>, ConnectionsError> {
        self.calls.record("dynamodb:Query");
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("agent_id = :a")
            .filter_expression("expires_at > :now")
            .expression_attribute_values(":a", AttributeValue::S(agent.to_string()))
            .expression_attribute_values(":now", AttributeValue::N((now.0 / 1000).to_string()))
            .send()
            .await
            .map_err(failed)?;
        Ok(out
            .items()
            .iter()
            .filter_map(|i| i.get("connection_id")?.as_s().ok().cloned())
            .take(MAX_CONNECTIONS)
            .collect())
    }
}
