//! scheduler: timed work, run by EventBridge every minute. Safe to run
//! twice at once. Today: the token-health pass (pages due for a daily
//! token check, pages waiting on Meta); routing adds offer expiry,
//! auto-close and overflow.
//! Environment: see `switchboard_aws::channel_deps_from_env`.

use lambda_runtime::{LambdaEvent, run, service_fn};
use switchboard_aws::lambda::{Error, init_tracing};
use switchboard_aws::{channel_deps_from_env, load_config};
use switchboard_core::channels::check_tokens;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let deps = channel_deps_from_env(&config)?;
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
