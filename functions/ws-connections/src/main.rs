//! ws-connections: the WebSocket API's `$connect` and `$disconnect`
//! routes: record the agent's connection (with a TTL) in the connections
//! table, and forget it. Publishing functions push to the connections it
//! records. Environment: `SWITCHBOARD_CONNECTIONS_TABLE`.

use lambda_runtime::{LambdaEvent, run, service_fn};
use switchboard_aws::connections::Connections;
use switchboard_aws::lambda::{Error, init_tracing};
use switchboard_aws::ws::{RouteEvent, on_route};
use switchboard_aws::{load_config, required_env};
use switchboard_core::SystemClock;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let connections = Connections::new(&config, required_env("SWITCHBOARD_CONNECTIONS_TABLE")?);
    let connections = &connections;
    run(service_fn(
        move |event: LambdaEvent<RouteEvent>| async move {
            Ok::<_, Error>(on_route(&event.payload, connections, &SystemClock).await)
        },
    ))
    .await
}
