//! admin-api: `/admin/v1/...`: channel accounts, pages, workstreams,
//! alerts, configuration, conversations. Callers are verified by API
//! Gateway's JWT authorizer and must be in the `admin` group.
//! Environment: see `switchboard_aws::channel_deps_from_env`, plus optional
//! `SWITCHBOARD_GROUPS_CLAIM` and `SWITCHBOARD_ADMIN_GROUP`.

use switchboard_aws::lambda::{Error, init_tracing, serve};
use switchboard_aws::{channel_deps_from_env, load_config};
use switchboard_http::admin::{AdminDeps, router};
use switchboard_http::auth::AdminAuth;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let deps = AdminDeps {
        channels: channel_deps_from_env(&config)?,
        auth: AdminAuth::Group(
            std::env::var("SWITCHBOARD_ADMIN_GROUP").unwrap_or_else(|_| "admin".into()),
        ),
    };
    serve(router(deps)).await
}
