//! admin-api: `/admin/v1/...`: channel accounts, pages, workstreams,
//! alerts, configuration, conversations. Callers are verified by API
//! Gateway's JWT authorizer and must be in the `admin` group.
//! Environment: see `switchboard_aws::channel_deps_from_env`, plus optional
//! `SWITCHBOARD_GROUPS_CLAIM` and `SWITCHBOARD_ADMIN_GROUP`.

use lambda_http::{Request, run, service_fn};
use switchboard_aws::lambda::{Error, from_domain, init_tracing, to_domain};
use switchboard_aws::{channel_deps_from_env, load_config};
use switchboard_core::http_api::{AdminAuth, AdminDeps, admin};

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
    let deps = &deps;
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(from_domain(admin(deps, &to_domain(req)).await))
    }))
    .await
}
