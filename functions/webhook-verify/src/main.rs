//! webhook-verify: `GET /webhooks/facebook/{account_id}`, Meta's subscription handshake.
//! Environment: `SWITCHBOARD_TABLE`.

use std::sync::Arc;
use switchboard_aws::lambda::{Error, init_tracing, serve};
use switchboard_aws::{DynamoStore, load_config, required_env};
use switchboard_core::SystemClock;
use switchboard_core::verify::VerifyDeps;
use switchboard_http::webhook::verify_router;

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
    serve(verify_router(deps)).await
}
