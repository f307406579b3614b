//! AWS adapters of Switchboard's ports: DynamoDB (store), SQS FIFO
//! (queues), Secrets Manager (secrets), API Gateway WebSocket connections
//! (pushing agents' events), and the WebSocket API's JWT authorizer. AWS
//! types stop here: each adapter converts to and from the domain's types
//! at its edge.
//!
//! Each adapter lists the IAM actions it may call (`IAM_ACTIONS_*`) and
//! records the ones it does call (`actions_called`); [`manifest`] says what
//! each function needs, and `tests/tests/least_privilege.rs` holds the
//! template and the running code to it.

pub mod connections;
pub mod dynamo;
pub mod emf;
pub mod env;
pub mod failure;
pub mod jwt;
pub mod log_line;
pub mod manifest;
pub mod push;
pub mod secrets;
pub mod sqs;
pub mod ws;

pub use dynamo::DynamoStore;
pub use env::{
    EnvError, channel_deps_from_env, outbox_from_env, push_from_env, required_env,
    routing_deps_from_env, scheduler_deps_from_env, secrets_from_env, sender_deps_from_env,
    store_from_env,
};
pub use secrets::SecretsManager;
pub use sqs::SqsQueue;

/// Load AWS configuration from the environment (region, credentials, and
/// `AWS_ENDPOINT_URL` for a local moto server).
pub async fn load_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
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

/// An adapter's calls, counted (for `make bench`) and by IAM action (for
/// the least-privilege test and the bench), recorded as it makes them.
#[derive(Debug, Default)]
pub struct CallLog {
    total: std::sync::atomic::AtomicU64,
    actions: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

/// An adapter that keeps a [`CallLog`] of the calls it makes.
pub trait Metered {
    fn call_log(&self) -> &CallLog;

    /// API calls made through this adapter (for `make bench`).
    fn calls(&self) -> u64 {
        self.call_log().total()
    }

    /// The IAM actions this adapter has called (for the least-privilege test).
    fn actions_called(&self) -> std::collections::BTreeSet<&'static str> {
        self.call_log().actions()
    }
}

impl CallLog {
    pub fn record(&self, action: &'static str) {
        self.total
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut counts) = self.actions.lock() {
            *counts.entry(action).or_default() += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.total.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many calls of `action` were made.
    pub fn count(&self, action: &str) -> u64 {
        self.actions
            .lock()
            .ok()
            .and_then(|counts| counts.get(action).copied())
            .unwrap_or_default()
    }

    pub fn actions(&self) -> std::collections::BTreeSet<&'static str> {
        self.actions
            .lock()
            .map(|counts| counts.keys().copied().collect())
            .unwrap_or_default()
    }
}
