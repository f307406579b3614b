//! Real-time push in AWS (issue 14): the WebSocket `$connect` authorizer's
//! JWT checks with keys made here; the connections table on moto
//! (`$connect`/`$disconnect`, TTL); the push adapter against a local
//! Management API (moto's never answers 410 Gone), dropping gone
//! connections; and publishing through `PushingStreams`, which never fails
//! the write.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use std::sync::Arc;
use switchboard_aws::Metered;
use switchboard_aws::connections::{CONNECTION_TTL_SECONDS, Connections};
use switchboard_aws::jwt::{Expected, Jwks, Rejected, verify};
use switchboard_aws::push::{ApiGatewayPush, IAM_ACTIONS_PUSH};
use switchboard_aws::ws::{AuthorizerRequest, RouteEvent, authorize, on_route};
use switchboard_core::ports::StreamStore;
use switchboard_core::push::{AgentPush, Pushed, PushingStreams};
use switchboard_core::routing::model::AgentId;
use switchboard_core::{Clock, ManualClock, Millis, SystemClock, feed};
use switchboard_tests::fake_ws::{FakeManagementApi, Signer, serve_jwks};
use switchboard_tests::*;

const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test";
const CLIENT: &str = "console-client-1";

fn jwks(signers: &[&Signer]) -> jsonwebtoken::jwk::JwkSet {
    serde_json::from_value(
        serde_json::json!({"keys": signers.iter().map(|s| s.jwk()).collect::<Vec<_>>()}),
    )
    .unwrap()
}

fn expected() -> Expected {
    Expected {
        issuer: ISSUER.into(),
        client_id: CLIENT.into(),
        groups_claim: "cognito:groups".into(),
    }
}

fn now_secs() -> i64 {
    SystemClock.now().0 / 1000
}

/// An access token as Cognito issues it to the console.
fn access(user: &str, groups: &[&str]) -> serde_json::Value {
    serde_json::json!({"sub": "5f0c-1", "iss": ISSUER, "client_id": CLIENT, "token_use": "access",
        "scope": "openid email profile", "username": user, "cognito:groups": groups,
        "iat": now_secs() - 10, "exp": now_secs() + 3600})
}

#[test]
fn the_authorizer_passes_a_good_token_and_refuses_the_rest() {
    let pool = Signer::new("k1");
    let keys = jwks(&[&pool]);
    let check = |token: &str| verify(token, &keys, &expected());

    let good = check(&pool.sign(&access("anna", &["agent"]))).unwrap();
    assert_eq!(good.agent.as_str(), "anna");
    assert!(!good.supervisor);
    let sup = check(&pool.sign(&access("bo", &["supervisor"]))).unwrap();
    assert!(sup.supervisor);
    // An ID token for the console's client passes too (its client is `aud`).
    let mut id = access("anna", &["agent"]);
    id["token_use"] = "id".into();
    id["aud"] = CLIENT.into();
    id["cognito:username"] = "anna".into();
    id.as_object_mut().unwrap().remove("client_id");
    id.as_object_mut().unwrap().remove("username");
    assert_eq!(check(&pool.sign(&id)).unwrap().agent.as_str(), "anna");

    let with = |k: &str, v: serde_json::Value| {
        let mut c = access("anna", &["agent"]);
        c[k] = v;
        pool.sign(&c)
    };
    assert_eq!(
        check(&with("exp", (now_secs() - 3600).into())),
        Err(Rejected::Expired)
    );
    assert_eq!(
        check(&with(
            "iss",
            "https://cognito-idp.eu-west-1.amazonaws.com/other".into()
        )),
        Err(Rejected::WrongIssuer)
    );
    assert_eq!(
        check(&with("client_id", "another-client".into())),
        Err(Rejected::WrongClient)
    );
    assert_eq!(
        check(&with("token_use", "refresh".into())),
        Err(Rejected::WrongTokenUse)
    );
    assert_eq!(
        check(&with("cognito:groups", serde_json::json!(["admin"]))),
        Err(Rejected::NotAnAgent)
    );
    let mut no_groups = access("anna", &[]);
    no_groups.as_object_mut().unwrap().remove("cognito:groups");
    assert_eq!(check(&pool.sign(&no_groups)), Err(Rejected::NotAnAgent));
    assert_eq!(
        check(&with("username", "Not An Id!".into())),
        Err(Rejected::BadAgentId)
    );
    let mut no_exp = access("anna", &["agent"]);
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_eq!(check(&pool.sign(&no_exp)), Err(Rejected::Malformed));

    // Signed by another key that claims the pool's kid: the signature fails.
    let forger = Signer::new("k1");
    assert_eq!(
        check(&forger.sign(&access("anna", &["agent"]))),
        Err(Rejected::BadSignature)
    );
    // A kid the pool does not publish.
    assert_eq!(
        check(&pool.sign_as("k9", &access("anna", &["agent"]))),
        Err(Rejected::UnknownKey)
    );
    // A token changed after signing.
    let token = pool.sign(&access("anna", &["agent"]));
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(access("bo", &["supervisor"]).to_string()),
        parts[2]
    );
    assert_eq!(check(&tampered), Err(Rejected::BadSignature));
    // Not RS256 (alg none, HS256), not a JWT, nothing.
    let none = format!(
        "{}.{}.",
        B64.encode(r#"{"alg":"none","kid":"k1"}"#),
        B64.encode(access("anna", &["agent"]).to_string())
    );
    assert_eq!(check(&none), Err(Rejected::Malformed));
    let hs = format!(
        "{}.{}.c2ln",
        B64.encode(r#"{"alg":"HS256","kid":"k1"}"#),
        B64.encode(access("anna", &["agent"]).to_string())
    );
    assert_eq!(check(&hs), Err(Rejected::Malformed));
    assert_eq!(check("not-a-jwt"), Err(Rejected::Malformed));
    assert_eq!(check(""), Err(Rejected::Missing));
}

#[tokio::test]
async fn the_connect_authorizer_allows_an_agent_and_denies_a_stranger() {
    let pool = Signer::new("k1");
    let url = serve_jwks(serde_json::json!({"keys": [pool.jwk()]})).await;
    let keys = Jwks::at(&url).unwrap();
    let arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123/live/$connect";
    let req = |token: Option<String>| AuthorizerRequest {
        method_arn: arn.into(),
        query_string_parameters: token
            .map(|t| [("token".to_string(), t), ("after".into(), "c1".into())].into()),
    };
    let allowed = authorize(
        &req(Some(pool.sign(&access("anna", &["agent"])))),
        &keys,
        &expected(),
    )
    .await;
    assert!(allowed.allowed());
    let json = serde_json::to_value(&allowed).unwrap();
    assert_eq!(json["principalId"], "anna");
    assert_eq!(json["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(json["policyDocument"]["Statement"][0]["Resource"], arn);
    assert_eq!(
        json["policyDocument"]["Statement"][0]["Action"],
        "execute-api:Invoke"
    );
    assert_eq!(json["context"]["agent_id"], "anna");
    assert_eq!(json["context"]["supervisor"], false);

    let stranger = Signer::new("k1");
    for r in [
        req(Some(stranger.sign(&access("anna", &["agent"])))),
        req(Some(pool.sign(&access("anna", &["admin"])))),
        req(None),
    ] {
        let denied = authorize(&r, &keys, &expected()).await;
        assert!(!denied.allowed());
        let json = serde_json::to_value(&denied).unwrap();
        assert_eq!(json["policyDocument"]["Statement"][0]["Effect"], "Deny");
        assert!(json.get("context").is_none());
    }

    // Keys that cannot be fetched refuse every connect.
    let nowhere = Jwks::at(&format!("http://127.0.0.1:{}/jwks.json", free_port())).unwrap();
    let denied = authorize(
        &req(Some(pool.sign(&access("anna", &["agent"])))),
        &nowhere,
        &expected(),
    )
    .await;
    assert!(!denied.allowed());
}

fn route(key: &str, connection: &str, agent: Option<&str>) -> RouteEvent {
    serde_json::from_value(serde_json::json!({"requestContext": {
        "routeKey": key, "eventType": "CONNECT", "connectionId": connection,
        "authorizer": agent.map(|a| serde_json::json!({"agent_id": a, "supervisor": "false", "principalId": a, "integrationLatency": 212}))}}))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_disconnect_record_and_forget_the_connection() {
    let connections = moto_connections().await;
    let clock = ManualClock::new(Millis(1_767_603_600_000));
    let anna = AgentId::parse("anna").unwrap();
    let r = on_route(
        &route("$connect", "c1=", Some("anna")),
        &connections,
        &clock,
    )
    .await;
    assert_eq!(r.status_code, 200);
    on_route(
        &route("$connect", "c2=", Some("anna")),
        &connections,
        &clock,
    )
    .await;
    let mut listed = connections.list(&anna, clock.now()).await.unwrap();
    listed.sort();
    assert_eq!(listed, ["c1=", "c2="]);
    // Past the TTL (API Gateway's two hours and a margin) it is not listed.
    let later = Millis(clock.now().0 + (CONNECTION_TTL_SECONDS + 1) * 1000);
    assert!(connections.list(&anna, later).await.unwrap().is_empty());

    let r = on_route(
        &route("$disconnect", "c1=", Some("anna")),
        &connections,
        &clock,
    )
    .await;
    assert_eq!(r.status_code, 200);
    assert_eq!(connections.list(&anna, clock.now()).await.unwrap(), ["c2="]);
    // Without the authorizer's agent, or another route: refused, nothing written.
    let r = on_route(&route("$connect", "c3=", None), &connections, &clock).await;
    assert_eq!(r.status_code, 400);
    let r = on_route(
        &route("$default", "c3=", Some("anna")),
        &connections,
        &clock,
    )
    .await;
    assert_eq!(r.status_code, 400);
    assert_eq!(connections.list(&anna, clock.now()).await.unwrap(), ["c2="]);
    let mut called: Vec<_> = connections.actions_called().into_iter().collect();
    called.retain(|a| *a != "dynamodb:Query");
    assert_eq!(
        called,
        switchboard_aws::manifest::function("ws-connections")
            .unwrap()
            .connection_actions
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
}

async fn push_to(fake: &FakeManagementApi, connections: Connections) -> ApiGatewayPush {
    ApiGatewayPush::new(
        &aws_config().await,
        &fake.url,
        connections,
        Arc::new(SystemClock),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_reaches_every_live_connection_and_drops_gone_ones() {
    let fake = FakeManagementApi::start().await;
    // Connected through $connect (not the push's own calls).
    let seed = moto_connections().await;
    let push = push_to(&fake, Connections::new(&aws_config().await, seed.table())).await;
    let (anna, bo) = (
        AgentId::parse("anna").unwrap(),
        AgentId::parse("bo").unwrap(),
    );
    let now = SystemClock.now();
    for c in ["tab-1", "tab-2", "closed-tab"] {
        seed.add(&anna, c, now).await.unwrap();
    }
    seed.add(&bo, "bo-tab", now).await.unwrap();
    fake.gone("closed-tab");

    let pushed = push
        .push(&anna, r#"{"event":{},"cursor":"c1"}"#)
        .await
        .unwrap();
    assert_eq!(
        pushed,
        Pushed {
            delivered: 2,
            gone: 1
        }
    );
    let mut to: Vec<String> = fake.posts().into_iter().map(|(c, _)| c).collect();
    to.sort();
    assert_eq!(to, ["tab-1", "tab-2"], "bo's connection got nothing");
    assert!(
        fake.posts()
            .iter()
            .all(|(_, f)| f == r#"{"event":{},"cursor":"c1"}"#)
    );
    let mut left = seed.list(&anna, now).await.unwrap();
    left.sort();
    assert_eq!(left, ["tab-1", "tab-2"], "the gone connection is forgotten");
    assert_eq!(
        push.actions_called(),
        IAM_ACTIONS_PUSH.iter().copied().collect(),
        "what every publishing function's policy grants on the connections"
    );
    // An agent with no connection: nothing to do.
    let none = push
        .push(&AgentId::parse("cy").unwrap(), "{}")
        .await
        .unwrap();
    assert_eq!(none, Pushed::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_event_is_pushed_and_a_failed_push_loses_nothing() {
    let store = dynamo_store().await;
    let clock = SystemClock;
    let anna = AgentId::parse("anna").unwrap();

    let fake = FakeManagementApi::start().await;
    let push = Arc::new(push_to(&fake, moto_connections().await).await);
    push.connections()
        .add(&anna, "tab-1", clock.now())
        .await
        .unwrap();
    let streams = PushingStreams::new(store.clone(), push.clone());
    feed::publish(
        &streams,
        &clock,
        &anna,
        "offer",
        "offer:cv_1:1".into(),
        None,
        serde_json::json!({"queue_id": "general"}),
    )
    .await;
    let posts = fake.posts();
    assert_eq!(posts.len(), 1);
    let frame: serde_json::Value = serde_json::from_str(&posts[0].1).unwrap();
    assert_eq!(frame["event"]["type"], "offer");
    // The frame's cursor is the feed's: the console catches up from it.
    let stored = store
        .read_entries(&feed::stream(&anna), None, 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(frame["cursor"], stored[0].cursor.as_str());
    assert_eq!(frame["event"], stored[0].data);

    // The Management API unreachable: the event is stored all the same.
    let down = Arc::new(ApiGatewayPush::new(
        &aws_config().await,
        &format!("http://127.0.0.1:{}/live", free_port()),
        moto_connections().await,
        Arc::new(SystemClock),
    ));
    down.connections()
        .add(&anna, "tab-1", clock.now())
        .await
        .unwrap();
    assert!(down.push(&anna, "{}").await.is_err());
    let streams = PushingStreams::new(store.clone(), down);
    feed::publish(
        &streams,
        &clock,
        &anna,
        "message",
        "message:cv_1:2".into(),
        None,
        serde_json::Value::Null,
    )
    .await;
    let stored = store
        .read_entries(&feed::stream(&anna), None, 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2, "the write did not fail with the push");
}
