//! agent-api: `/agent/v1/...`: an agent's presence, event feed, offers,
//! conversations, replies and contacts. Callers are verified by API
//! Gateway's JWT authorizer: the token's username is the agent id, and the
//! `agent` or `supervisor` group (SWITCHBOARD_GROUPS_CLAIM) lets them in.
//! Environment: see `switchboard_aws::channel_deps_from_env`.

use lambda_http::{Request, run, service_fn};
use std::time::Duration;
use switchboard_aws::lambda::{Error, from_domain, init_tracing, to_domain};
use switchboard_aws::{channel_deps_from_env, load_config};
use switchboard_core::agent_api::{AgentAuth, AgentDeps, handle};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let deps = AgentDeps {
        channels: channel_deps_from_env(&config)?,
        auth: AgentAuth::Claims,
        // Several functions write an agent's feed at once: hold back the
        // newest second so a cursor never skips a write still landing.
        settle: Duration::from_secs(1),
    };
    let deps = &deps;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(from_domain(handle(deps, &to_domain(req)).await))
    }))
    .await
}
