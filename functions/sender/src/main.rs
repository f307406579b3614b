//! sender: consumes the outbound FIFO queue (one group per conversation, so
//! a conversation's messages keep their order) and delivers each message
//! through the Send API with its page's token, under Meta's window policy.
//! Transient Graph errors set the message's visibility to the backoff
//! (`ChangeMessageVisibility`) and report it failed; everything else
//! finishes it. Environment: see `switchboard_aws::sender_deps_from_env`.

use aws_lambda_events::event::sqs::SqsEvent;
use lambda_runtime::{LambdaEvent, run, service_fn};
use switchboard_aws::lambda::{Error, init_tracing, send_sqs_batch};
use switchboard_aws::{load_config, sender_deps_from_env};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    // The queue it consumes is the one routing steps send to.
    let (deps, queue) = sender_deps_from_env(&config)?;
    let (deps, queue) = (&deps, queue.as_ref());
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(send_sqs_batch(deps, queue, event.payload).await)
    }))
    .await
}
