//! The built Lambda functions under `cargo lambda watch`, invoked with
//! `cargo lambda invoke` and the sample events in `events/`, against
//! DynamoDB, SQS and Secrets Manager on moto. Needs cargo-lambda (make test
//! installs it in .venv); the test starts and stops everything it uses.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::ports::{ConversationFilter, ConversationStore, Queue};
use switchboard_tests::lambda_watch::{MotoStack, Watch, cargo_lambda};
use switchboard_tests::*;

fn invoke(port: u16, function: &str, event: &str) -> serde_json::Value {
    let out = Command::new("timeout")
        .arg("300")
        .arg(cargo_lambda())
        .args([
            "lambda",
            "invoke",
            "-P",
            &port.to_string(),
            "-A",
            "127.0.0.1",
            function,
            "--data-file",
        ])
        .arg(workspace_root().join("events").join(event))
        .current_dir(workspace_root())
        .output()
        .expect("cargo lambda invoke");
    assert!(
        out.status.success(),
        "invoke {function} {event}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{function} answered {:?}: {e}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_functions_under_cargo_lambda_watch() {
    // Seed moto: table, queues, the account and its secret as events/generate.py signed them.
    let yaml = "accounts:\n  - id: acme\n    name: Acme\n    app_id: \"900000000000001\"\n    app_secret: events-app-secret-0123456789\n    verify_token: events-verify-token-0123456789\n    pages:\n      - page_id: \"104857600000001\"\n        name: Acme Support\n";
    let stack = MotoStack::seed("smoke", yaml).await;
    let (store, queues, connections) = (&stack.store, &stack.inbound, &stack.connections);

    // Build the functions first, so no invocation waits on a compile.
    let built = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "-q",
            "-p",
            "webhook-verify",
            "-p",
            "webhook-ingest",
            "-p",
            "router",
            "-p",
            "admin-api",
            "-p",
            "scheduler",
            "-p",
            "sender",
            "-p",
            "agent-api",
            "-p",
            "ws-authorizer",
            "-p",
            "ws-connections",
        ])
        .current_dir(workspace_root())
        .status()
        .expect("cargo build");
    assert!(built.success(), "the functions did not build");

    // The user pool's keys (served here; the authorizer fetches them).
    let pool = switchboard_tests::fake_ws::Signer::new("smoke-key");
    let jwks_url =
        switchboard_tests::fake_ws::serve_jwks(serde_json::json!({"keys": [pool.jwk()]})).await;
    let issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Smoke";

    let mut envs = stack.env();
    envs.extend([
        (
            "SWITCHBOARD_PUBLIC_URL",
            "https://abc123.execute-api.eu-west-1.amazonaws.com".to_string(),
        ),
        // As the template sets it: the function URL, with its slash.
        (
            "SWITCHBOARD_WEBHOOK_URL",
            "https://r4nd0m1d.lambda-url.eu-west-1.on.aws/".to_string(),
        ),
        ("SWITCHBOARD_JWT_ISSUER", issuer.to_string()),
        ("SWITCHBOARD_JWT_CLIENT_ID", "smoke-console".to_string()),
        ("SWITCHBOARD_JWKS_URL", jwks_url),
        // As the template sets it: the functions log JSON lines.
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_string()),
    ]);
    // The watcher's output goes to target/lambda-watch.log for diagnosis.
    let watch = Watch::start(
        &envs,
        &[],
        &workspace_root().join("target/lambda-watch.log"),
    );
    let port = watch.port;

    // webhook-verify: the challenge comes back, and the verification is recorded.
    let v = invoke(port, "webhook-verify", "apigw-verify.json");
    assert_eq!(v["statusCode"], 200, "{v}");
    assert_eq!(v["body"], "1158201444");
    let acct = switchboard_core::ports::AccountStore::get_account(
        store.as_ref(),
        &"acme".parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(acct.webhook_verified_at.is_some());

    // webhook-ingest: a base64 body signed over its exact bytes is queued.
    let bad = invoke(port, "webhook-ingest", "apigw-ingest-bad-signature.json");
    assert_eq!(bad["statusCode"], 403, "{bad}");
    // A delivery of one event, from `psid`, answered 200 and queued.
    let ingested = async |event: &str, psid: &str| {
        let ok = invoke(port, "webhook-ingest", event);
        assert_eq!(ok["statusCode"], 200, "{event}: {ok}");
        let queued = queues
            .queue
            .receive(10, Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(queued.len(), 1, "{event}: exactly its one event queued");
        assert_eq!(queued[0].group, format!("104857600000001:{psid}"));
    };
    ingested("apigw-ingest.json", "7700000000000001").await;

    // webhook-ingest on its own function URL (the callback URL the
    // template gives Meta): the handshake and a delivery, no API Gateway.
    let v = invoke(port, "webhook-ingest", "url-verify.json");
    assert_eq!(v["statusCode"], 200, "{v}");
    assert_eq!(v["body"], "2026120301");
    ingested("url-ingest.json", "7700000000000002").await;

    // admin-api: the authorizer's claims decide; the secret never comes back.
    let admin = invoke(port, "admin-api", "apigw-admin-accounts.json");
    assert_eq!(admin["statusCode"], 200, "{admin}");
    let body: serde_json::Value = serde_json::from_str(admin["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["accounts"][0]["id"], "acme");
    assert_eq!(
        body["accounts"][0]["callback_url"],
        "https://r4nd0m1d.lambda-url.eu-west-1.on.aws/webhooks/facebook/acme"
    );
    assert!(
        !admin["body"]
            .as_str()
            .unwrap()
            .contains("events-app-secret")
    );
    let forbidden = invoke(port, "admin-api", "apigw-admin-forbidden.json");
    assert_eq!(forbidden["statusCode"], 403, "{forbidden}");

    // scheduler: the token-health pass runs (nothing is due on a fresh seed).
    let sched = invoke(port, "scheduler", "eventbridge-schedule.json");
    assert_eq!(sched["token_health"]["checked"], 0, "{sched}");
    assert_eq!(sched["token_health"]["failed"], 0, "{sched}");
    assert_eq!(sched["routing"]["timers_due"], 0, "{sched}");

    // router: the good record is stored, the poison one is reported failed.
    let r = invoke(port, "router", "sqs-router.json");
    let failures: Vec<&str> = r["batchItemFailures"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .iter()
        .filter_map(|f| f["itemIdentifier"].as_str())
        .collect();
    assert_eq!(failures, ["0b4e4c5e-0000-4000-8000-000000000002"]);
    let convs = store
        .list_conversations(&ConversationFilter {
            psid: Some("7700000000000001".parse().unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(convs.len(), 1);
    let tl = store.timeline(&convs[0].id).await.unwrap();
    assert_eq!(tl.len(), 1);
    assert_eq!(
        tl[0].text.as_deref(),
        Some("Hi, my order #1042 has not arrived yet.")
    );

    // agent-api: the token's username is the agent, its group lets her in.
    let clock: Arc<dyn switchboard_core::Clock> = Arc::new(switchboard_core::SystemClock);
    switchboard_core::routing::admin::create_agent(
        &routing_deps(store.clone(), clock.clone()),
        serde_json::from_value(serde_json::json!({"id": "anna", "name": "Anna",
            "email": "anna@example.com", "queues": []}))
        .unwrap(),
    )
    .await
    .unwrap();
    let me = invoke(port, "agent-api", "apigw-agent-presence.json");
    assert_eq!(me["statusCode"], 200, "{me}");
    let body: serde_json::Value = serde_json::from_str(me["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["agent_id"], "anna", "{body}");
    let not_agent = invoke(port, "agent-api", "apigw-agent-forbidden.json");
    assert_eq!(not_agent["statusCode"], 403, "{not_agent}");

    // sender: an agent's reply to the conversation the router stored. The
    // sample customer wrote in 2025, so the 24-hour window has closed: the
    // sender refuses it, records why, and nothing is retried; the message
    // that is not an outbound id is dropped.
    let reply = switchboard_core::outbound::Outbound {
        id: "ob_smoke_reply_1".parse().unwrap(),
        conversation_id: convs[0].id.clone(),
        page_id: convs[0].page_id.clone(),
        psid: convs[0].psid.clone(),
        author: switchboard_core::outbound::Author::Agent {
            agent_id: switchboard_core::ids::AgentId::parse("anna").unwrap(),
        },
        content: switchboard_core::outbound::Content::Text {
            text: "Your parcel left our warehouse today.".into(),
            quick_replies: Vec::new(),
        },
        status: switchboard_core::outbound::Status::Queued,
        attempts: 0,
        claimed_at: None,
        created_at: clock.now(),
    };
    switchboard_core::ports::OutboundStore::put_outbound(store.as_ref(), &reply)
        .await
        .unwrap();
    let sent = invoke(port, "sender", "sqs-sender.json");
    assert_eq!(sent["batchItemFailures"], serde_json::json!([]), "{sent}");
    let after = switchboard_core::ports::OutboundStore::get_outbound(store.as_ref(), &reply.id)
        .await
        .unwrap()
        .unwrap();
    match &after.status {
        switchboard_core::outbound::Status::Failed { reason, .. } => {
            assert!(reason.contains("24"), "{reason}")
        }
        other => panic!("the reply should have been refused: {other:?}"),
    }

    // ws-authorizer: no token, denied; the pool's token for an agent, allowed
    // with the agent id for the routes.
    let denied = invoke(port, "ws-authorizer", "ws-authorizer-no-token.json");
    assert_eq!(
        denied["policyDocument"]["Statement"][0]["Effect"], "Deny",
        "{denied}"
    );
    let now = clock.now().0 / 1000;
    let token = pool.sign(
        &serde_json::json!({"iss": issuer, "client_id": "smoke-console",
        "token_use": "access", "username": "anna", "cognito:groups": ["agent"],
        "iat": now, "exp": now + 3600}),
    );
    let mut event: serde_json::Value = serde_json::from_slice(
        &std::fs::read(workspace_root().join("events/ws-authorizer-no-token.json")).unwrap(),
    )
    .unwrap();
    event["queryStringParameters"]["token"] = token.into();
    let with_token = workspace_root().join("target/ws-authorizer-token.json");
    std::fs::write(&with_token, event.to_string()).unwrap();
    let allowed = invoke(port, "ws-authorizer", with_token.to_str().unwrap());
    assert_eq!(
        allowed["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "{allowed}"
    );
    assert_eq!(allowed["context"]["agent_id"], "anna", "{allowed}");

    // ws-connections: $connect records anna's connection, $disconnect forgets it.
    let anna = switchboard_core::ids::AgentId::parse("anna").unwrap();
    let c = invoke(port, "ws-connections", "ws-connect.json");
    assert_eq!(c["statusCode"], 200, "{c}");
    assert_eq!(
        connections.list(&anna, clock.now()).await.unwrap(),
        ["L0SM9cOFvHcCIhw="]
    );
    let d = invoke(port, "ws-connections", "ws-disconnect.json");
    assert_eq!(d["statusCode"], 200, "{d}");
    assert!(
        connections
            .list(&anna, clock.now())
            .await
            .unwrap()
            .is_empty()
    );

    // Metrics left the functions as CloudWatch EMF documents on stdout.
    let log = std::fs::read_to_string(workspace_root().join("target/lambda-watch.log")).unwrap();
    let emf: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| l.find('{').map(|i| &l[i..]))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|d| d.get("_aws").is_some())
        .collect();
    // A document holds an invocation's metrics: a directive per dimension
    // set, each value (or array of values) at its root.
    let has = |metric: &str, result: Option<&str>| {
        emf.iter().any(|d| {
            let directives = d["_aws"]["CloudWatchMetrics"].as_array();
            directives.into_iter().flatten().any(|dir| {
                let split = dir["Dimensions"][0]
                    .as_array()
                    .is_some_and(|dims| dims.iter().any(|x| x == "Result"));
                dir["Namespace"] == "Switchboard"
                    && split == result.is_some()
                    && dir["Metrics"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|m| m["Name"] == metric)
            }) && result.is_none_or(|r| d["Result"] == r)
                && (d[metric].is_number() || d[metric].is_array())
        })
    };
    assert!(
        emf.iter()
            .any(|d| d["Result"] == "queued" && d["Deliveries"] == 1.0 && d["EventsQueued"] == 1.0),
        "a delivery's two counts in one document"
    );
    assert!(
        has("Deliveries", Some("queued")) && has("EventsQueued", Some("queued")),
        "no EMF Deliveries/queued and EventsQueued/queued in the watch log"
    );
    // A log line is one flat object: the invocation's request id and trace
    // id at its top level, no span list.
    let queued = log
        .lines()
        .filter_map(|l| l.find('{').map(|i| &l[i..]))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|d| d["message"] == "delivery queued")
        .expect("ingest's line in the watch log");
    assert!(queued["requestId"].is_string(), "{queued}");
    assert!(queued.get("spans").is_none(), "{queued}");
    assert!(
        queued["xrayTraceId"]
            .as_str()
            .is_some_and(|t| t.starts_with("1-") && !t.contains(';')),
        "the trace id alone: {queued}"
    );
    assert!(
        has("Deliveries", Some("refused")),
        "no EMF Deliveries/refused"
    );
    assert!(
        has("EventsStored", None),
        "no EMF EventsStored from the router"
    );
    assert!(
        has("PagesInError", None),
        "no EMF PagesInError from the scheduler"
    );
}
