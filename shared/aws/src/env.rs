//! Each Lambda function's dependencies, built from its environment: one
//! constructor per capability set, so a function holds only the ports it
//! calls (the same set `manifest` lists and the template grants).

use crate::connections::Connections;
use crate::dynamo::RecordForm;
use crate::push::ApiGatewayPush;
use crate::{DynamoStore, SecretsManager, SqsQueue};
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::channels::{ChannelDeps, PageDeps};
use switchboard_core::ports::StreamStore;
use switchboard_core::push::PushingStreams;
use switchboard_core::routing::RoutingDeps;
use switchboard_core::scheduler::SchedulerDeps;
use switchboard_core::sender::SenderDeps;

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("environment variable {0} is not set")]
    Missing(String),
    #[error("environment variable {0} is {1:?}; expected {2}")]
    Invalid(String, String, &'static str),
    #[error("the Graph API client could not be built: {0}")]
    Graph(#[from] switchboard_core::graph::GraphError),
    #[error("the bot client could not be built: {0}")]
    Bot(#[from] switchboard_core::bot::BotCallError),
}

/// The HTTP client that reaches workstream bots.
fn bot_client() -> Result<Arc<switchboard_graph::bot_client::HttpBotClient>, EnvError> {
    Ok(Arc::new(
        switchboard_graph::bot_client::HttpBotClient::new()?
    ))
}

/// Read a required environment variable with a clear error.
pub fn required_env(name: &str) -> Result<String, EnvError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| EnvError::Missing(name.to_string()))
}

/// The one table (`SWITCHBOARD_TABLE`), writing long routing records in
/// the form `SWITCHBOARD_DEFLATE_ROUTING` names: `false` (unset or empty:
/// JSON, which every version reads), `true` (deflated) or `dictionary`
/// (deflated with a dictionary: what code from before it cannot read).
pub fn store_from_env(config: &aws_config::SdkConfig) -> Result<Arc<DynamoStore>, EnvError> {
    let form = record_form(
        "SWITCHBOARD_DEFLATE_ROUTING",
        std::env::var("SWITCHBOARD_DEFLATE_ROUTING").ok().as_deref(),
    )?;
    Ok(Arc::new(
        DynamoStore::new(config, required_env("SWITCHBOARD_TABLE")?).routing_records(form),
    ))
}

/// The routing records' form a setting names.
fn record_form(name: &str, value: Option<&str>) -> Result<RecordForm, EnvError> {
    match value.unwrap_or_default() {
        "" | "false" => Ok(RecordForm::Json),
        "true" => Ok(RecordForm::Deflated),
        "dictionary" => Ok(RecordForm::Dictionary),
        other => Err(EnvError::Invalid(
            name.to_string(),
            other.to_string(),
            "false, true or dictionary",
        )),
    }
}

/// The outbound FIFO queue (`SWITCHBOARD_OUTBOUND_QUEUE_URL`): where
/// replies, automated messages and surveys wait for the sender. Required
/// wherever a routing step may send one, so a deployment without it fails
/// at start rather than skipping messages.
pub fn outbox_from_env(config: &aws_config::SdkConfig) -> Result<Arc<SqsQueue>, EnvError> {
    Ok(Arc::new(SqsQueue::new(
        config,
        required_env("SWITCHBOARD_OUTBOUND_QUEUE_URL")?,
    )))
}

/// The Graph API client (`SWITCHBOARD_GRAPH_URL`, default Meta's) with
/// this per-call timeout.
fn graph_from_env(timeout: Duration) -> Result<Arc<switchboard_graph::HttpGraph>, EnvError> {
    let url = std::env::var("SWITCHBOARD_GRAPH_URL")
        .unwrap_or_else(|_| switchboard_graph::DEFAULT_BASE_URL.into());
    Ok(Arc::new(switchboard_graph::HttpGraph::new(&url, timeout)?))
}

/// The WebSocket push: the connections table
/// (`SWITCHBOARD_CONNECTIONS_TABLE`) and the WebSocket stage's Management
/// API (`SWITCHBOARD_WS_MANAGEMENT_URL`). Required wherever agent events
/// are published, so a deployment without it fails at start rather than
/// leaving agents on the long poll unawares.
pub fn push_from_env(config: &aws_config::SdkConfig) -> Result<Arc<ApiGatewayPush>, EnvError> {
    Ok(Arc::new(ApiGatewayPush::new(
        config,
        &required_env("SWITCHBOARD_WS_MANAGEMENT_URL")?,
        Connections::new(config, required_env("SWITCHBOARD_CONNECTIONS_TABLE")?),
        Arc::new(switchboard_core::SystemClock),
    )))
}

/// The table's streams, each agent event pushed to the agent's connections.
fn pushing_streams(
    config: &aws_config::SdkConfig,
    store: Arc<DynamoStore>,
) -> Result<Arc<dyn StreamStore>, EnvError> {
    Ok(Arc::new(PushingStreams::new(store, push_from_env(config)?)))
}

/// Secrets Manager under the stack's prefix (`SWITCHBOARD_SECRETS_PREFIX`),
/// creating secrets under the customer-managed key
/// `SWITCHBOARD_SECRETS_KMS_KEY` when it is set (the template's KmsKeyArn).
pub fn secrets_from_env(config: &aws_config::SdkConfig) -> Result<Arc<SecretsManager>, EnvError> {
    let key = std::env::var("SWITCHBOARD_SECRETS_KMS_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    Ok(Arc::new(
        SecretsManager::new(config, required_env("SWITCHBOARD_SECRETS_PREFIX")?).with_kms_key(key),
    ))
}

/// Page health: the table, the secrets, the Graph API (8 s per call).
fn page_deps(
    config: &aws_config::SdkConfig,
    store: Arc<DynamoStore>,
) -> Result<PageDeps, EnvError> {
    Ok(PageDeps {
        accounts: store,
        secrets: secrets_from_env(config)?,
        graph: graph_from_env(Duration::from_secs(8))?,
        clock: Arc::new(switchboard_core::SystemClock),
    })
}

/// What channel set-up needs (admin-api, agent-api): `SWITCHBOARD_TABLE`,
/// `SWITCHBOARD_SECRETS_PREFIX`, `SWITCHBOARD_PUBLIC_URL`, `SWITCHBOARD_WEBHOOK_URL`,
/// `SWITCHBOARD_OUTBOUND_QUEUE_URL`, the push (see [`push_from_env`]) and
/// optionally `SWITCHBOARD_GRAPH_URL`.
pub fn channel_deps_from_env(config: &aws_config::SdkConfig) -> Result<ChannelDeps, EnvError> {
    let store = store_from_env(config)?;
    let pages = page_deps(config, store.clone())?;
    Ok(ChannelDeps {
        accounts: store.clone(),
        conversations: store.clone(),
        workstreams: store.clone(),
        routing_config: store.clone(),
        routing: store.clone(),
        secrets: pages.secrets,
        graph: pages.graph,
        clock: pages.clock,
        outbound: store.clone(),
        streams: pushing_streams(config, store)?,
        outbox: Some(outbox_from_env(config)?),
        bot_client: Some(bot_client()?),
        public_url: required_env("SWITCHBOARD_PUBLIC_URL")?,
        webhook_url: required_env("SWITCHBOARD_WEBHOOK_URL")?,
    })
}

/// What the router needs: the one table, the outbound queue (for automated
/// messages), and for a new customer's profile name the page tokens
/// (`SWITCHBOARD_SECRETS_PREFIX`) and the Graph API (`SWITCHBOARD_GRAPH_URL`).
pub fn routing_deps_from_env(config: &aws_config::SdkConfig) -> Result<RoutingDeps, EnvError> {
    let store = store_from_env(config)?;
    let profiles = switchboard_core::contacts::Profiles {
        // A profile lookup holds up a new customer's routing: a short timeout.
        graph: graph_from_env(Duration::from_secs(3))?,
        secrets: secrets_from_env(config)?,
    };
    Ok(RoutingDeps {
        conversations: store.clone(),
        pages: store.clone(),
        workstreams: store.clone(),
        config: store.clone(),
        routing: store.clone(),
        clock: Arc::new(switchboard_core::SystemClock),
        outbound: store.clone(),
        streams: pushing_streams(config, store)?,
        outbox: Some(outbox_from_env(config)?),
        bots: Some(switchboard_core::bot::Bots {
            client: bot_client()?,
            secrets: secrets_from_env(config)?,
        }),
        profiles: Some(profiles),
    })
}

/// What the scheduler needs: routing's (its timers and the outbound sweep)
/// and page health (`SWITCHBOARD_GRAPH_URL` optional).
pub fn scheduler_deps_from_env(config: &aws_config::SdkConfig) -> Result<SchedulerDeps, EnvError> {
    let routing = routing_deps_from_env(config)?;
    let pages = page_deps(config, store_from_env(config)?)?;
    Ok(SchedulerDeps { routing, pages })
}

/// What the sender needs: the table, the page tokens, the Graph API, and the
/// outbound queue it consumes (returned beside, for its visibility changes).
pub fn sender_deps_from_env(
    config: &aws_config::SdkConfig,
) -> Result<(SenderDeps, Arc<SqsQueue>), EnvError> {
    let store = store_from_env(config)?;
    let deps = SenderDeps {
        outbound: store.clone(),
        conversations: store.clone(),
        workstreams: store.clone(),
        streams: pushing_streams(config, store.clone())?,
        pages: page_deps(config, store)?,
    };
    Ok((deps, outbox_from_env(config)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_form_is_false_true_dictionary_or_unset_and_anything_else_is_a_clear_error() {
        for (value, form) in [
            (None, RecordForm::Json),
            (Some(""), RecordForm::Json),
            (Some("false"), RecordForm::Json),
            (Some("true"), RecordForm::Deflated),
            (Some("dictionary"), RecordForm::Dictionary),
        ] {
            assert_eq!(record_form("F", value).unwrap(), form, "{value:?}");
        }
        let e = record_form("F", Some("yes")).unwrap_err().to_string();
        assert_eq!(
            e,
            "environment variable F is \"yes\"; expected false, true or dictionary"
        );
    }
}
