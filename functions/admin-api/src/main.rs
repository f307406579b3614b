//! admin-api: `/admin/v1/...`: channel accounts, pages, workstreams,
//! alerts, configuration, conversations. Callers are verified by API
//! Gateway's JWT authorizer and must be in the `admin` group. It also
//! serves the bot API, `/bot/v1/...`, whose callers present the bot tokens
//! this API issues (API Gateway lets those requests through unverified).
//! Environment: see `switchboard_aws::channel_deps_from_env`, plus optional
//! `SWITCHBOARD_GROUPS_CLAIM` and `SWITCHBOARD_ADMIN_GROUP`.

use switchboard_aws::lambda::{Error, init_tracing, serve};
use switchboard_aws::{channel_deps_from_env, load_config};
use switchboard_http::admin::{self, AdminDeps};
use switchboard_http::auth::AdminAuth;
use switchboard_http::bot::{self, BotDeps};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = load_config().await;
    let channels = channel_deps_from_env(&config)?;
    let deps = AdminDeps {
        channels: channels.clone(),
        auth: AdminAuth::Group(
            std::env::var("SWITCHBOARD_ADMIN_GROUP").unwrap_or_else(|_| "admin".into()),
        ),
    };
    let apis = vec![
        (admin::PREFIX, admin::router(deps)),
        (bot::PREFIX, bot::router(BotDeps { channels })),
    ];
    serve(axum::Router::new().fallback(switchboard_http::by_prefix(apis, None))).await
}
