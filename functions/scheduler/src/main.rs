//! scheduler: timed work, run by EventBridge every minute; safe to run
//! twice at once. Routing's timers (offer expiry, wait-time overflow,
//! auto-close, end of wrap-up, affinity), a sweep of waiting work, and the
//! token-health pass. Environment: see `switchboard_aws::scheduler_deps_from_env`.

use lambda_runtime::{LambdaEvent, run, service_fn};
use switchboard_aws::failure::ScheduleFailed;
use switchboard_aws::lambda::{Error, init_tracing};
use switchboard_aws::{load_config, scheduler_deps_from_env};
use switchboard_core::scheduler::run_once;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let deps = scheduler_deps_from_env(&config)?;
    let deps = &deps;
    run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            let report = run_once(deps).await?;
            Ok::<_, ScheduleFailed>(serde_json::to_value(report)?)
        },
    ))
    .await
}
