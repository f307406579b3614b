//! router: consumes the inbound FIFO queue, stores each event on its
//! conversation, and routes new conversations (classify, queue, offer).
//! Failed messages are reported through `SqsBatchResponse` (the event
//! source mapping has `ReportBatchItemFailures`).
//! Environment: `SWITCHBOARD_TABLE`.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, run, service_fn};
use switchboard_aws::lambda::{Error, init_tracing, route_sqs_batch};
use switchboard_aws::{load_config, routing_deps_from_env};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let deps = routing_deps_from_env(&config)?;
    let deps = &deps;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(route_sqs_batch(deps, event.payload).await)
    }))
    .await
}
