//! webhook-verify: `GET /webhooks/facebook/{account_id}`, Meta's subscription handshake.
//! Environment: `SWITCHBOARD_TABLE`.

use lambda_http::{Request, run, service_fn};
use std::sync::Arc;
use switchboard_aws::lambda::{Error, from_domain, init_tracing, to_domain};
use switchboard_aws::{DynamoStore, load_config, required_env};
use switchboard_core::SystemClock;
use switchboard_core::http_api::webhook_verify;
use switchboard_core::verify::VerifyDeps;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let deps = VerifyDeps {
        accounts: Arc::new(DynamoStore::new(
            &config,
            required_env("SWITCHBOARD_TABLE")?,
        )),
        clock: Arc::new(SystemClock),
    };
    let deps = &deps;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(from_domain(webhook_verify(deps, &to_domain(req)).await))
    }))
    .await
}
