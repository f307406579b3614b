//! webhook-ingest: `POST /webhooks/facebook/{account_id}`: verify the
//! signature, queue every event on the inbound FIFO queue, then answer.
//! Environment: `SWITCHBOARD_TABLE`, `SWITCHBOARD_INBOUND_QUEUE_URL`,
//! `SWITCHBOARD_SECRETS_PREFIX`.

use lambda_http::{Request, run, service_fn};
use std::sync::Arc;
use switchboard_aws::lambda::{Error, from_domain, init_tracing, to_domain};
use switchboard_aws::{DynamoStore, SecretsManager, SqsQueue, load_config, required_env};
use switchboard_core::SystemClock;
use switchboard_core::http_api::webhook_ingest;
use switchboard_core::ingest::{IngestDeps, SecretCache};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let deps = IngestDeps {
        accounts: Arc::new(DynamoStore::new(
            &config,
            required_env("SWITCHBOARD_TABLE")?,
        )),
        secrets: Arc::new(SecretsManager::new(
            &config,
            std::env::var("SWITCHBOARD_SECRETS_PREFIX").unwrap_or_default(),
        )),
        queue: Arc::new(SqsQueue::new(
            &config,
            required_env("SWITCHBOARD_INBOUND_QUEUE_URL")?,
        )),
        clock: Arc::new(SystemClock),
        cache: Arc::new(SecretCache::default()),
    };
    let deps = &deps;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(from_domain(webhook_ingest(deps, &to_domain(req)).await))
    }))
    .await
}
