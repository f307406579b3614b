//! AWS adapters of Switchboard's ports: DynamoDB (store), SQS FIFO
//! (queues), Secrets Manager (secrets). AWS types stop here: each adapter
//! converts to and from the domain's types at its edge.
//!
//! Each adapter lists the IAM actions it may call (`IAM_ACTIONS_*`) and
//! records the ones it does call (`actions_called`); [`manifest`] says what
//! each function needs, and `tests/tests/least_privilege.rs` holds the
//! template and the running code to it.

pub mod dynamo;
pub mod emf;
pub mod manifest;
pub mod secrets;
pub mod sqs;

pub use dynamo::DynamoStore;
pub use secrets::SecretsManager;
pub use sqs::SqsQueue;

/// Load AWS configuration from the environment (region, credentials, and
/// `AWS_ENDPOINT_URL` for a local moto server).
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// Read a required environment variable with a clear error.
pub fn required_env(name: &str) -> Result<String, String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("environment variable {name} is not set"))
}

pub mod lambda;

/// Configuration for a local AWS endpoint (moto): fixed region and dummy
/// credentials. Used by tests and by tools pointed at a local server.
pub async fn local_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "local",
        ))
        .load()
        .await
}

/// The outbound FIFO queue (`SWITCHBOARD_OUTBOUND_QUEUE_URL`): where
/// replies, automated messages and surveys wait for the sender. Required
/// wherever a routing step may send one, so a deployment without it fails
/// at start rather than skipping messages.
pub fn outbox_from_env(
    config: &aws_config::SdkConfig,
) -> Result<std::sync::Arc<SqsQueue>, Box<dyn std::error::Error + Send + Sync>> {
    Ok(std::sync::Arc::new(SqsQueue::new(
        config,
        required_env("SWITCHBOARD_OUTBOUND_QUEUE_URL")?,
    )))
}

/// The Graph API client (`SWITCHBOARD_GRAPH_URL`, default Meta's) with
/// this per-call timeout.
fn graph_from_env(
    timeout: std::time::Duration,
) -> Result<std::sync::Arc<switchboard_graph::HttpGraph>, Box<dyn std::error::Error + Send + Sync>>
{
    let url = std::env::var("SWITCHBOARD_GRAPH_URL")
        .unwrap_or_else(|_| switchboard_graph::DEFAULT_BASE_URL.into());
    Ok(std::sync::Arc::new(switchboard_graph::HttpGraph::new(
        &url, timeout,
    )?))
}

/// Secrets Manager under the stack's prefix (`SWITCHBOARD_SECRETS_PREFIX`).
fn secrets_from_env(
    config: &aws_config::SdkConfig,
) -> Result<std::sync::Arc<SecretsManager>, Box<dyn std::error::Error + Send + Sync>> {
    Ok(std::sync::Arc::new(SecretsManager::new(
        config,
        required_env("SWITCHBOARD_SECRETS_PREFIX")?,
    )))
}

/// What channel set-up needs, on AWS, from the environment:
/// `SWITCHBOARD_TABLE`, `SWITCHBOARD_SECRETS_PREFIX`, `SWITCHBOARD_PUBLIC_URL`,
/// `SWITCHBOARD_OUTBOUND_QUEUE_URL` and optionally `SWITCHBOARD_GRAPH_URL`
/// (admin-api, agent-api, scheduler, sender).
pub fn channel_deps_from_env(
    config: &aws_config::SdkConfig,
) -> Result<switchboard_core::channels::ChannelDeps, Box<dyn std::error::Error + Send + Sync>> {
    use std::sync::Arc;
    let store = Arc::new(DynamoStore::new(config, required_env("SWITCHBOARD_TABLE")?));
    Ok(switchboard_core::channels::ChannelDeps {
        accounts: store.clone(),
        conversations: store.clone(),
        workstreams: store.clone(),
        routing_config: store.clone(),
        routing: store.clone(),
        secrets: secrets_from_env(config)?,
        graph: graph_from_env(std::time::Duration::from_secs(8))?,
        clock: Arc::new(switchboard_core::SystemClock),
        outbound: store.clone(),
        streams: store.clone(),
        outbox: Some(outbox_from_env(config)?),
        public_url: required_env("SWITCHBOARD_PUBLIC_URL")?,
    })
}

/// What the router needs, on AWS: the one table (`SWITCHBOARD_TABLE`), the
/// outbound queue (`SWITCHBOARD_OUTBOUND_QUEUE_URL`, for automated
/// messages), and for a new customer's profile name the page tokens
/// (`SWITCHBOARD_SECRETS_PREFIX`) and the Graph API (`SWITCHBOARD_GRAPH_URL`).
pub fn routing_deps_from_env(
    config: &aws_config::SdkConfig,
) -> Result<switchboard_core::routing::RoutingDeps, Box<dyn std::error::Error + Send + Sync>> {
    use std::sync::Arc;
    let store = Arc::new(DynamoStore::new(config, required_env("SWITCHBOARD_TABLE")?));
    let profiles = switchboard_core::contacts::Profiles {
        // A profile lookup holds up a new customer's routing: a short timeout.
        graph: graph_from_env(std::time::Duration::from_secs(3))?,
        secrets: secrets_from_env(config)?,
    };
    Ok(switchboard_core::routing::RoutingDeps {
        conversations: store.clone(),
        workstreams: store.clone(),
        config: store.clone(),
        routing: store.clone(),
        clock: Arc::new(switchboard_core::SystemClock),
        outbound: store.clone(),
        streams: store,
        outbox: Some(outbox_from_env(config)?),
        profiles: Some(profiles),
    })
}

/// An adapter's calls, counted (for `make bench`) and by IAM action (for
/// the least-privilege test), recorded as it makes them.
#[derive(Debug, Default)]
pub struct CallLog {
    total: std::sync::atomic::AtomicU64,
    actions: std::sync::Mutex<std::collections::BTreeSet<&'static str>>,
}

impl CallLog {
    pub fn record(&self, action: &'static str) {
        self.total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut set) = self.actions.lock() {
            set.insert(action);
        }
    }

    pub fn total(&self) -> u64 {
        self.total.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn actions(&self) -> std::collections::BTreeSet<&'static str> {
        self.actions.lock().map(|s| s.clone()).unwrap_or_default()
    }
}
