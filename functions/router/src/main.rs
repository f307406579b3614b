//! router: consumes the inbound FIFO queue and stores each event on its
//! conversation. Failed messages are reported through `SqsBatchResponse`
//! (the event source mapping has `ReportBatchItemFailures`).
//! Environment: `SWITCHBOARD_TABLE`.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, run, service_fn};
use std::sync::Arc;
use switchboard_aws::lambda::{Error, init_tracing, route_sqs_batch};
use switchboard_aws::{DynamoStore, load_config, required_env};
use switchboard_core::SystemClock;
use switchboard_core::router::RouterDeps;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let deps = RouterDeps {
        conversations: Arc::new(DynamoStore::new(
            &config,
            required_env("SWITCHBOARD_TABLE")?,
        )),
        clock: Arc::new(SystemClock),
    };
    let deps = &deps;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(route_sqs_batch(deps, event.payload).await)
    }))
    .await
}
