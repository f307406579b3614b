//! admin-api: `/admin/v1/...`: channel accounts, pages, workstreams,
//! alerts, conversations. Callers are verified by API Gateway's JWT
//! authorizer and must be in the `admin` group.
//! Environment: `SWITCHBOARD_TABLE`, `SWITCHBOARD_SECRETS_PREFIX`,
//! `SWITCHBOARD_PUBLIC_URL`, optional `SWITCHBOARD_GRAPH_URL`,
//! `SWITCHBOARD_GROUPS_CLAIM`, `SWITCHBOARD_ADMIN_GROUP`.

use lambda_http::{Request, run, service_fn};
use std::sync::Arc;
use std::time::Duration;
use switchboard_aws::lambda::{Error, from_domain, init_tracing, to_domain};
use switchboard_aws::{DynamoStore, SecretsManager, load_config, required_env};
use switchboard_core::SystemClock;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::http_api::{AdminAuth, AdminDeps, admin};
use switchboard_graph::{DEFAULT_BASE_URL, HttpGraph};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let store = Arc::new(DynamoStore::new(
        &config,
        required_env("SWITCHBOARD_TABLE")?,
    ));
    let graph_url =
        std::env::var("SWITCHBOARD_GRAPH_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.into());
    let deps = AdminDeps {
        channels: ChannelDeps {
            accounts: store.clone(),
            conversations: store.clone(),
            workstreams: store,
            secrets: Arc::new(SecretsManager::new(
                &config,
                std::env::var("SWITCHBOARD_SECRETS_PREFIX").unwrap_or_default(),
            )),
            graph: Arc::new(HttpGraph::new(&graph_url, Duration::from_secs(8))?),
            clock: Arc::new(SystemClock),
            public_url: required_env("SWITCHBOARD_PUBLIC_URL")?,
        },
        auth: AdminAuth::Group(
            std::env::var("SWITCHBOARD_ADMIN_GROUP").unwrap_or_else(|_| "admin".into()),
        ),
    };
    let deps = &deps;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(from_domain(admin(deps, &to_domain(req)).await))
    }))
    .await
}
