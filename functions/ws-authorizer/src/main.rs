//! ws-authorizer: the WebSocket API's `$connect` REQUEST authorizer. It
//! checks the user pool's JWT from the `token` query string (see
//! `switchboard_aws::jwt`) and allows an agent or supervisor, passing the
//! agent id to the routes. Environment: `SWITCHBOARD_JWT_ISSUER`,
//! `SWITCHBOARD_JWT_CLIENT_ID`, optional `SWITCHBOARD_GROUPS_CLAIM` and
//! `SWITCHBOARD_JWKS_URL` (default `{issuer}/.well-known/jwks.json`).

use lambda_runtime::{LambdaEvent, run, service_fn};
use switchboard_aws::jwt::{Expected, Jwks};
use switchboard_aws::lambda::{Error, groups_claim, init_tracing};
use switchboard_aws::required_env;
use switchboard_aws::ws::{AuthorizerRequest, authorize};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let expected = Expected {
        issuer: required_env("SWITCHBOARD_JWT_ISSUER")?,
        client_id: required_env("SWITCHBOARD_JWT_CLIENT_ID")?,
        groups_claim: groups_claim(),
    };
    let keys = match std::env::var("SWITCHBOARD_JWKS_URL") {
        Ok(url) if !url.is_empty() => Jwks::at(&url)?,
        _ => Jwks::for_issuer(&expected.issuer)?,
    };
    let (keys, expected) = (&keys, &expected);
    run(service_fn(
        move |event: LambdaEvent<AuthorizerRequest>| async move {
            Ok::<_, Error>(authorize(&event.payload, keys, expected).await)
        },
    ))
    .await
}
