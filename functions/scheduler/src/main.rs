//! scheduler: timed work, run by EventBridge every minute. Safe to run
//! twice at once. Today: the token-health pass (pages due for a daily
//! token check, pages waiting on Meta); routing adds offer expiry,
//! auto-close and overflow.
//! Environment: `SWITCHBOARD_TABLE`, `SWITCHBOARD_SECRETS_PREFIX`,
//! `SWITCHBOARD_PUBLIC_URL`, optional `SWITCHBOARD_GRAPH_URL`.

use lambda_runtime::{LambdaEvent, run, service_fn};
use std::sync::Arc;
use std::time::Duration;
use switchboard_aws::lambda::{Error, init_tracing};
use switchboard_aws::{DynamoStore, SecretsManager, load_config, required_env};
use switchboard_core::SystemClock;
use switchboard_core::channels::{ChannelDeps, check_tokens};
use switchboard_graph::{DEFAULT_BASE_URL, HttpGraph};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let store = Arc::new(DynamoStore::new(
        &config,
        required_env("SWITCHBOARD_TABLE")?,
    ));
    let graph_url =
        std::env::var("SWITCHBOARD_GRAPH_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.into());
    let deps = ChannelDeps {
        accounts: store.clone(),
        conversations: store.clone(),
        workstreams: store,
        secrets: Arc::new(SecretsManager::new(
            &config,
            std::env::var("SWITCHBOARD_SECRETS_PREFIX").unwrap_or_default(),
        )),
        graph: Arc::new(HttpGraph::new(&graph_url, Duration::from_secs(8))?),
        clock: Arc::new(SystemClock),
        public_url: required_env("SWITCHBOARD_PUBLIC_URL")?,
    };
    let deps = &deps;
    run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            let report = check_tokens(deps)
                .await
                .map_err(|p| Error::from(p.detail))?;
            Ok::<_, Error>(serde_json::json!({ "token_health": report }))
        },
    ))
    .await
}
