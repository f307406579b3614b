//! agent-api: `/agent/v1/...`: an agent's presence, event feed, offers,
//! conversations, replies and contacts. Callers are verified by API
//! Gateway's JWT authorizer: the token's username is the agent id, and the
//! `agent` or `supervisor` group (SWITCHBOARD_GROUPS_CLAIM) lets them in.
//! Environment: see `switchboard_aws::channel_deps_from_env`.

use std::time::Duration;
use switchboard_aws::lambda::{Error, init_tracing, serve};
use switchboard_aws::{channel_deps_from_env, load_config};
use switchboard_http::agent::{AgentDeps, router};
use switchboard_http::auth::AgentAuth;

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
    serve(router(deps)).await
}
