//! webhook-ingest: `POST /webhooks/facebook/{account_id}`: verify the
//! signature, queue every event on the inbound FIFO queue, then answer.
//! Also Meta's data-deletion callback (`.../data-deletion`, recorded for
//! the scheduler), its public status page (`/privacy/deletion/{code}`),
//! and the subscription handshake (`GET`): the function's own URL is the
//! whole webhook, with no API Gateway in front.
//! Environment: `SWITCHBOARD_TABLE`, `SWITCHBOARD_INBOUND_QUEUE_URL`,
//! `SWITCHBOARD_SECRETS_PREFIX`.

use std::sync::Arc;
use switchboard_aws::lambda::{Error, init_tracing, serve};
use switchboard_aws::{DynamoStore, SecretsManager, SqsQueue, load_config, required_env};
use switchboard_core::SystemClock;
use switchboard_core::ingest::{IngestDeps, SecretCache};
use switchboard_http::webhook::ingest_router;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let store = Arc::new(DynamoStore::new(
        &config,
        required_env("SWITCHBOARD_TABLE")?,
    ));
    let deps = IngestDeps {
        accounts: store.clone(),
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
        // Data-deletion requests are recorded here; the scheduler works them.
        streams: store,
        deletions: None,
    };
    serve(ingest_router(deps)).await
}
