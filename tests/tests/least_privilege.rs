//! Code and template agree (issue: deploy to AWS). From the template: every
//! function crate has its resource and its bootstrap path, and vice versa;
//! every environment variable the code reads is set; every IAM action a
//! function's policy grants is one its code (or its SQS event source) needs,
//! on named resources only. From the code: each function's handlers run
//! against DynamoDB, SQS and Secrets Manager on moto with adapters that
//! record the actions they call, and the recorded set is exactly what the
//! manifest (`shared/aws/src/manifest.rs`) and so the template grant.

use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use switchboard_aws::connections::Connections;
use switchboard_aws::manifest::{FUNCTIONS, function};
use switchboard_aws::push::ApiGatewayPush;
use switchboard_aws::{DynamoStore, Metered, SecretsManager, SqsQueue};
use switchboard_core::ports::{Queue, SecretStore};
use switchboard_core::push::PushingStreams;
use switchboard_core::routing::model::AgentId;
use switchboard_core::{Clock, ManualClock, Millis};
use switchboard_http::{AdminAuth, AdminDeps};
use switchboard_tests::fake_ws::FakeManagementApi;
use switchboard_tests::*;

fn template() -> Value {
    let text = std::fs::read_to_string(workspace_root().join("infra/template.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).expect("the template parses")
}

/// A scalar, a list, or a CloudFormation tag (`!Ref X`) as text.
fn texts(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(texts).collect(),
        Value::Tagged(t) => texts(&t.value)
            .into_iter()
            .map(|x| format!("{} {x}", t.tag))
            .collect(),
        Value::Null => vec![],
        other => vec![format!("{other:?}")],
    }
}

struct Declared {
    code_uri: String,
    actions: BTreeSet<String>,
    /// Granted on the WebSocket connections only (the connections table,
    /// the WebSocket API), in statements that name nothing else.
    connection_actions: BTreeSet<String>,
    /// Granted on the customer-managed key (KmsKeyArn) only.
    kms_actions: BTreeSet<String>,
    resources: Vec<String>,
    env: BTreeSet<String>,
}

/// Whether a resource is the agents' WebSocket connections.
fn is_connections(resource: &str) -> bool {
    resource.contains("ConnectionsTable") || resource.contains("${WebSocketApi}")
}

/// A bucket policy grants nothing to a function when every statement it
/// allows is for CloudFront (the console's origin access control).
fn only_cloudfront_reads(name: &str, res: &Value) {
    for st in res["Properties"]["PolicyDocument"]["Statement"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{name:?}: a bucket policy without statements"))
    {
        if st["Effect"].as_str() == Some("Allow") {
            assert_eq!(
                texts(&st["Principal"]["Service"]),
                vec!["cloudfront.amazonaws.com"],
                "{name:?}: a bucket policy allows only CloudFront"
            );
            assert_eq!(
                keys(&st["Principal"], "principal"),
                BTreeSet::from(["Service"]),
                "{name:?}"
            );
        }
    }
}

fn declared(t: &Value) -> BTreeMap<String, Declared> {
    let globals: BTreeSet<String> = t["Globals"]["Function"]["Environment"]["Variables"]
        .as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for k in ["Policies", "Role", "PermissionsBoundary"] {
        assert!(
            t["Globals"]["Function"][k].is_null(),
            "Globals.Function.{k} is not read by this test"
        );
    }
    for (name, res) in t["Resources"].as_mapping().unwrap() {
        let kind = res["Type"].as_str().unwrap_or_default();
        // Policies that cannot grant a function anything: response headers,
        // and the console bucket's (CloudFront only; checked).
        if kind == "AWS::CloudFront::ResponseHeadersPolicy" {
            continue;
        }
        if kind == "AWS::S3::BucketPolicy" {
            only_cloudfront_reads(name.as_str().unwrap_or_default(), res);
            continue;
        }
        assert!(
            !kind.starts_with("AWS::IAM::") && !kind.ends_with("Policy"),
            "{name:?}: {kind} could grant a function more than its policy"
        );
    }
    let mut out = BTreeMap::new();
    for (name, res) in t["Resources"].as_mapping().unwrap() {
        if res["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let p = &res["Properties"];
        let name = name.as_str().unwrap();
        let mut actions = BTreeSet::new();
        let mut connection_actions = BTreeSet::new();
        let mut kms_actions = BTreeSet::new();
        let mut resources = Vec::new();
        for st in statements(name, p) {
            let named = texts(&st["Resource"]);
            let acts = texts(&st["Action"]);
            if acts.iter().all(|a| a.starts_with("kms:")) {
                // !If [UseCmk, !Ref KmsKeyArn, <a key that does not exist>].
                let only_the_key = named.len() == 3
                    && named[0] == "!If UseCmk"
                    && named[1] == "!If !Ref KmsKeyArn"
                    && named[2].ends_with(":key/00000000-0000-0000-0000-000000000000");
                assert!(
                    only_the_key,
                    "{name}: KMS actions only on the KmsKeyArn parameter's key, found {named:?}"
                );
                kms_actions.extend(acts);
                continue;
            }
            let on_connections = named.iter().filter(|r| is_connections(r)).count();
            if on_connections == 0 {
                actions.extend(texts(&st["Action"]));
            } else {
                assert_eq!(
                    on_connections,
                    named.len(),
                    "{name}: a statement on the connections names nothing else"
                );
                connection_actions.extend(texts(&st["Action"]));
            }
            resources.extend(named);
        }
        let mut env = globals.clone();
        if let Some(m) = p["Environment"]["Variables"].as_mapping() {
            env.extend(m.keys().filter_map(|k| k.as_str().map(str::to_string)));
        }
        out.insert(
            name.to_string(),
            Declared {
                code_uri: p["CodeUri"].as_str().unwrap_or_default().to_string(),
                actions,
                connection_actions,
                kms_actions,
                resources,
                env,
            },
        );
    }
    out
}

/// The keys of a mapping, as text (a non-mapping panics with `what`).
fn keys<'a>(v: &'a Value, what: &str) -> BTreeSet<&'a str> {
    v.as_mapping()
        .unwrap_or_else(|| panic!("{what}: expected a mapping, found {v:?}"))
        .keys()
        .map(|k| k.as_str().unwrap_or_else(|| panic!("{what}: key {k:?}")))
        .collect()
}

/// Every statement a function's role gets, refusing any shape this test
/// cannot read: a managed policy name, a SAM policy template, a single
/// statement instead of a list, Deny/NotAction/NotResource/Condition, a
/// role of its own, policies in Globals. Anything skipped could grant more
/// than the manifest.
fn statements<'a>(function: &str, p: &'a Value) -> Vec<&'a Value> {
    for k in ["Role", "PermissionsBoundary", "RolePath"] {
        assert!(p[k].is_null(), "{function}: {k} is not read by this test");
    }
    let policies = p["Policies"].as_sequence().unwrap_or_else(|| {
        panic!(
            "{function}: Policies must be a list of policy documents, found {:?}",
            p["Policies"]
        )
    });
    let mut out = Vec::new();
    for (i, policy) in policies.iter().enumerate() {
        let what = format!("{function}: policy {i}");
        let k = keys(policy, &what);
        assert!(
            k.contains("Statement") && k.iter().all(|k| ["Statement", "Version"].contains(k)),
            "{what}: only inline documents (Statement, Version) are read, found {k:?}"
        );
        let list = policy["Statement"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{what}: Statement must be a list"));
        assert!(!list.is_empty(), "{what}: an empty Statement list");
        for st in list {
            let k = keys(st, &what);
            assert_eq!(
                k,
                BTreeSet::from(["Action", "Effect", "Resource"]),
                "{what}: a statement has Effect, Action and Resource only"
            );
            assert_eq!(st["Effect"].as_str(), Some("Allow"), "{what}");
            assert!(!texts(&st["Action"]).is_empty(), "{what}: no action");
            assert!(!texts(&st["Resource"]).is_empty(), "{what}: no resource");
            out.push(st);
        }
    }
    out
}

/// A function's SQS event sources, refusing events this test cannot read.
fn sqs_events<'a>(function: &str, p: &'a Value) -> Vec<&'a Value> {
    if p["Events"].is_null() {
        return Vec::new();
    }
    let events = p["Events"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{function}: Events must be a mapping"));
    let mut out = Vec::new();
    for (name, ev) in events {
        let kind = ev["Type"]
            .as_str()
            .unwrap_or_else(|| panic!("{function}: event {name:?} without a Type"));
        assert!(
            ev["Properties"].is_mapping(),
            "{function}: event {name:?} without Properties"
        );
        match kind {
            "SQS" => out.push(&ev["Properties"]),
            "HttpApi" | "Schedule" => {}
            other => panic!("{function}: event {name:?} of an unexpected type {other}"),
        }
    }
    out
}

#[test]
fn unreadable_policy_and_event_shapes_are_refused() {
    // Shapes the checks above must not skip silently.
    let base = "CodeUri: x\nPolicies:\n  - Statement:\n      - Effect: Allow\n        Action: [sqs:SendMessage]\n        Resource: arn\n";
    let props =
        |extra: &str| -> Value { serde_yaml_ng::from_str(&format!("{base}{extra}")).unwrap() };
    assert_eq!(statements("F", &props("")).len(), 1, "the base case reads");
    let refused =
        |p: Value, f: fn(&str, &Value)| std::panic::catch_unwind(move || f("F", &p)).is_err();
    let st = |_: &str, p: &Value| {
        statements("F", p);
    };
    for bad in [
        "  - AmazonDynamoDBFullAccess\n",
        "  - SQSPollerPolicy:\n      QueueName: q\n",
        "  - Statement:\n      Effect: Allow\n      Action: '*'\n      Resource: '*'\n",
        "  - Statement:\n      - Effect: Deny\n        Action: [s3:GetObject]\n        Resource: arn\n",
        "  - Statement:\n      - Effect: Allow\n        NotAction: [s3:GetObject]\n        Resource: arn\n",
        "  - Statement:\n      - Effect: Allow\n        Action: [s3:GetObject]\n        Resource: arn\n        Condition: {}\n",
        "  - Statement: []\n",
        "Role: arn:aws:iam::1:role/admin\n",
    ] {
        assert!(refused(props(bad), st), "not refused: {bad}");
    }
    let single: Value = serde_yaml_ng::from_str("Policies: AWSLambdaExecute\n").unwrap();
    assert!(refused(single, st), "a single managed policy");
    let ev = |_: &str, p: &Value| {
        sqs_events("F", p);
    };
    let events = |yaml: &str| -> Value { serde_yaml_ng::from_str(yaml).unwrap() };
    assert_eq!(
        sqs_events(
            "F",
            &events("Events:\n  In:\n    Type: SQS\n    Properties: {Queue: q}\n")
        )
        .len(),
        1
    );
    for bad in [
        "Events: [SQS]\n",
        "Events:\n  In:\n    Properties: {Queue: q}\n",
        "Events:\n  In:\n    Type: SQS\n",
        "Events:\n  In:\n    Type: Kinesis\n    Properties: {Stream: s}\n",
    ] {
        assert!(refused(events(bad), ev), "not refused: {bad}");
    }
}

/// The `"SWITCHBOARD_..."` string literals in the Rust files under `dir`.
fn env_literals(dir: &std::path::Path) -> BTreeSet<String> {
    let needle = "\"SWITCHBOARD_";
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for (i, _) in text.match_indices(needle) {
                    let rest = &text[i + 1..];
                    let end = rest.find('"').unwrap();
                    out.insert(rest[..end].to_string());
                }
            }
        }
    }
    out
}

#[test]
fn a_bucket_policy_may_only_let_cloudfront_read() {
    let policy = |allow: &str| -> Value {
        serde_yaml_ng::from_str(&format!(
            "Properties:\n  PolicyDocument:\n    Statement:\n      - Effect: Allow\n        Principal: {allow}\n        Action: s3:GetObject\n        Resource: x\n      - Effect: Deny\n        Principal: '*'\n        Action: 's3:*'\n        Resource: x\n"
        ))
        .unwrap()
    };
    only_cloudfront_reads("B", &policy("{Service: cloudfront.amazonaws.com}"));
    for bad in [
        "'*'",
        "{AWS: 'arn:aws:iam::1:role/r'}",
        "{Service: [cloudfront.amazonaws.com, lambda.amazonaws.com]}",
        "{Service: cloudfront.amazonaws.com, AWS: 'arn:aws:iam::1:role/r'}",
    ] {
        let p = policy(bad);
        assert!(
            std::panic::catch_unwind(move || only_cloudfront_reads("B", &p)).is_err(),
            "not refused: {bad}"
        );
    }
}

#[test]
fn every_function_has_its_resource_bootstrap_and_environment() {
    let t = template();
    let decl = declared(&t);
    let crates: BTreeSet<String> = std::fs::read_dir(workspace_root().join("functions"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let manifest: BTreeSet<String> = FUNCTIONS.iter().map(|f| f.name.to_string()).collect();
    assert_eq!(
        crates, manifest,
        "functions/ and the manifest list the same functions"
    );
    let resources: BTreeSet<&String> = decl.keys().collect();
    let wanted: BTreeSet<String> = FUNCTIONS.iter().map(|f| f.resource.to_string()).collect();
    assert_eq!(
        resources,
        wanted.iter().collect(),
        "the template declares exactly these functions"
    );
    let makefile = std::fs::read_to_string(workspace_root().join("Makefile")).unwrap();
    let build = makefile
        .lines()
        .find(|l| l.contains("cargo lambda build"))
        .expect("make build runs cargo lambda build");
    for f in FUNCTIONS {
        let d = &decl[f.resource];
        assert_eq!(
            d.code_uri,
            format!("../target/lambda/{}/", f.name),
            "{} points at what `make build` writes",
            f.resource
        );
        assert!(
            build.contains(&format!("-p {}", f.name)),
            "make build builds {}",
            f.name
        );
        for var in f.env {
            assert!(
                d.env.contains(*var),
                "{} reads {var}; the template does not set it",
                f.name
            );
        }
        // What the function's own main reads is in its manifest.
        let main = workspace_root().join(format!("functions/{}/src", f.name));
        for var in env_literals(&main) {
            assert!(
                f.env.contains(&var.as_str()) || f.env_optional.contains(&var.as_str()),
                "{} reads {var}, which its manifest does not list",
                f.name
            );
        }
    }
    // No variable anywhere in the AWS glue that no function declares.
    let declared_anywhere: BTreeSet<&str> = FUNCTIONS
        .iter()
        .flat_map(|f| f.env.iter().chain(f.env_optional))
        .copied()
        .collect();
    for dir in ["shared/aws/src", "functions"] {
        for var in env_literals(&workspace_root().join(dir)) {
            assert!(
                declared_anywhere.contains(var.as_str()),
                "{var} (read in {dir}) is in no function's manifest"
            );
        }
    }
}

#[test]
fn policies_grant_exactly_the_manifest_on_named_resources() {
    let decl = declared(&template());
    for f in FUNCTIONS {
        let d = &decl[f.resource];
        let want: BTreeSet<String> = f
            .actions
            .iter()
            .chain(f.event_source_actions)
            .map(|a| a.to_string())
            .collect();
        assert_eq!(
            d.actions, want,
            "{}: the policy grants what the code calls, nothing more",
            f.resource
        );
        let want: BTreeSet<String> = f.connection_actions.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            d.connection_actions, want,
            "{}: on the WebSocket connections, what the code calls",
            f.resource
        );
        let want: BTreeSet<String> = switchboard_aws::manifest::kms_actions(f)
            .iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(
            d.kms_actions, want,
            "{}: on the customer-managed key, what its queues and secrets need",
            f.resource
        );
        for r in &d.resources {
            assert_ne!(r, "*", "{}: no wildcard resource", f.resource);
            // The wildcards allowed: the table's indexes, the stack's
            // secret names (page and account ids are not known in
            // advance), and the WebSocket stage's connections (their ids
            // neither).
            let ok_wildcard = r.ends_with("${Table.Arn}/index/*")
                || r.contains(":secret:${AWS::StackName}/switchboard/")
                || r.ends_with(":${WebSocketApi}/${WebSocketStage}/POST/@connections/*");
            assert!(
                !r.contains('*') || ok_wildcard,
                "{}: unexpected wildcard resource {r}",
                f.resource
            );
        }
    }
}

// ------------------------------------------------------------------ the code, recorded

struct Aws {
    cfg: aws_config::SdkConfig,
    table: String,
    prefix: String,
}

impl Aws {
    fn store(&self) -> Arc<DynamoStore> {
        Arc::new(DynamoStore::new(&self.cfg, self.table.clone()))
    }
    fn secrets(&self) -> Arc<SecretsManager> {
        Arc::new(SecretsManager::new(&self.cfg, self.prefix.clone()))
    }
}

fn recorded(parts: &[BTreeSet<&'static str>]) -> BTreeSet<String> {
    parts.iter().flatten().map(|a| a.to_string()).collect()
}

fn connection_actions(name: &str) -> BTreeSet<String> {
    function(name)
        .unwrap()
        .connection_actions
        .iter()
        .map(|a| a.to_string())
        .collect()
}

/// The Management API (a local stand-in) and the connections table.
struct WsRig {
    fake: FakeManagementApi,
    seed: Connections,
    cfg: aws_config::SdkConfig,
}

impl WsRig {
    /// A recording push, with a connection of anna's that has gone since.
    async fn pusher(&self, clock: Arc<ManualClock>) -> Arc<ApiGatewayPush> {
        let gone = unique("anna-closed");
        self.seed
            .add(&AgentId::parse("anna").unwrap(), &gone, clock.now())
            .await
            .unwrap();
        self.fake.gone(&gone);
        Arc::new(ApiGatewayPush::new(
            &self.cfg,
            &self.fake.url,
            Connections::new(&self.cfg, self.seed.table()),
            clock,
        ))
    }
}

/// Channel deps whose agent events are pushed through `push`.
fn pushing(
    mut ch: switchboard_core::channels::ChannelDeps,
    push: Arc<ApiGatewayPush>,
) -> switchboard_core::channels::ChannelDeps {
    ch.streams = Arc::new(PushingStreams::new(ch.streams.clone(), push));
    ch
}

fn manifest_actions(name: &str) -> BTreeSet<String> {
    function(name)
        .unwrap()
        .actions
        .iter()
        .map(|a| a.to_string())
        .collect()
}

fn text_event(psid: &str, mid: &str, ts: i64) -> Vec<u8> {
    format!(
        r#"{{"object":"page","entry":[{{"id":"{PAGE_1}","time":{ts},"messaging":[{{"sender":{{"id":"{psid}"}},"recipient":{{"id":"{PAGE_1}"}},"timestamp":{ts},"message":{{"mid":"{mid}","text":"hello there"}}}}]}}]}}"#
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_calls_exactly_what_its_policy_grants() {
    let seed_store = dynamo_store().await;
    let aws = Aws {
        cfg: aws_config().await,
        table: seed_store.table().to_string(),
        prefix: unique("lp"),
    };
    let clock = Arc::new(ManualClock::new(Millis(1_767_603_600_000)));
    let seed_secrets = aws.secrets();
    seed_account(seed_store.as_ref(), seed_secrets.as_ref(), clock.as_ref()).await;
    let fake = FakeGraph::start().await;
    let graph =
        Arc::new(switchboard_graph::HttpGraph::new(&fake.base, Duration::from_secs(2)).unwrap());
    // The outbound queue; each function gets its own recording adapter.
    let outbound = sqs_queue(Default::default()).await;
    let outbox = || Arc::new(SqsQueue::new(&aws.cfg, outbound.queue.url()));
    let channels =
        |store: Arc<DynamoStore>, secrets: Arc<SecretsManager>, outbox: Arc<SqsQueue>| {
            let mut ch = channel_deps(store, secrets, clock.clone());
            ch.graph = graph.clone();
            ch.outbox = Some(outbox);
            ch
        };
    // Every function that publishes agent events pushes them; each gets its
    // own recording push, and anna a tab she closed since (410: forgotten).
    let ws = WsRig {
        fake: FakeManagementApi::start().await,
        seed: moto_connections().await,
        cfg: aws.cfg.clone(),
    };
    ws.seed
        .add(&AgentId::parse("anna").unwrap(), "anna-tab", clock.now())
        .await
        .unwrap();
    // Routing configured by an administrator (not recorded).
    let setup = channels(seed_store.clone(), seed_secrets.clone(), outbox());
    let rd = setup.routing_deps();
    switchboard_core::routing::admin::create_queue(
        &rd,
        serde_json::from_value(serde_json::json!({"id": "general", "name": "General"})).unwrap(),
    )
    .await
    .unwrap();
    switchboard_core::channels::create_workstream(&setup, serde_json::from_value(serde_json::json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "offer_timeout_seconds": 30, "auto_close_after_seconds": 600, "max_declines": 3},
        "automated_messages": [{"trigger": "queued", "text": "You are in the queue."}, {"trigger": "closed_inactive", "text": "Closed: no reply."}, {"trigger": "transferred", "text": "Moving you on."}],
        "survey": {"question": "How did we do?"}})).unwrap()).await.unwrap();
    switchboard_core::routing::admin::create_agent(
        &rd,
        serde_json::from_value(
            serde_json::json!({"id": "anna", "name": "Anna", "email": "anna@example.com",
        "capacity": 1, "queues": ["general"], "presence": "available"}),
        )
        .unwrap(),
    )
    .await
    .unwrap();

    // webhook-verify
    let store = aws.store();
    let verify = switchboard_core::verify::VerifyDeps {
        accounts: store.clone(),
        clock: clock.clone(),
    };
    let r = switchboard_tests::call(switchboard_http::webhook::verify_router(verify.clone()), get(&format!("/webhooks/facebook/{ACCOUNT}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=7"), None)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        recorded(&[store.actions_called()]),
        manifest_actions("webhook-verify")
    );

    // webhook-ingest
    let (store, secrets) = (aws.store(), aws.secrets());
    let q = sqs_queue(Default::default()).await;
    let queue = Arc::new(SqsQueue::new(&aws.cfg, q.queue.url()));
    let ingest = switchboard_core::ingest::IngestDeps {
        accounts: store.clone(),
        secrets: secrets.clone(),
        queue: queue.clone(),
        clock: clock.clone(),
        cache: Arc::new(switchboard_core::ingest::SecretCache::default()),
        streams: store.clone(),
        deletions: None,
    };
    // The handshake too: the function's own URL is the whole webhook.
    let r = switchboard_tests::call(switchboard_http::webhook::ingest_router(ingest.clone()), get(&format!("/webhooks/facebook/{ACCOUNT}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=8"), None)).await;
    assert_eq!(r.status(), 200);
    let body = text_event("7700000000000701", "m_lp_1", clock.now().0);
    let r = switchboard_tests::call(
        switchboard_http::webhook::ingest_router(ingest.clone()),
        signed_post(ACCOUNT, &body, APP_SECRET),
    )
    .await;
    assert_eq!(r.status(), 200);
    // Meta's data-deletion request for the customer (mapped by the fake
    // Graph; the scheduler erases it), and its status page.
    // The person is a customer of their own (seeded), so erasing them
    // leaves the flows below alone.
    let extra = text_event("7700000000000709", "m_lp_erase", clock.now().0);
    for ev in
        switchboard_core::ingest::split(&ACCOUNT.parse().unwrap(), &extra, clock.now()).unwrap()
    {
        let ids = switchboard_core::ports::NewIds {
            contact_id: switchboard_core::ids::ContactId::generate(),
            contact_name: "Customer 0709".into(),
            conversation_id: switchboard_core::ids::ConversationId::generate(),
        };
        switchboard_core::ports::ConversationStore::append(
            seed_store.as_ref(),
            &ev,
            &ids,
            clock.now(),
        )
        .await
        .unwrap();
    }
    fake.set_ids("5550701", &[(PAGE_1, "7700000000000709")]);
    let signed = switchboard_core::privacy::deletion::sign(
        &serde_json::json!({"algorithm": "HMAC-SHA256", "user_id": "5550701", "issued_at": clock.now().0 / 1000}),
        APP_SECRET.as_bytes(),
    );
    let r = switchboard_tests::call(
        switchboard_http::webhook::ingest_router(ingest.clone()),
        http::Request::builder()
            .method("POST")
            .uri(format!("/webhooks/facebook/{ACCOUNT}/data-deletion"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(bytes::Bytes::from(format!("signed_request={signed}")))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), 200, "{:?}", r.body());
    let receipt: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
    let status_path = format!(
        "/privacy/deletion/{}",
        receipt["confirmation_code"].as_str().unwrap()
    );
    let r = switchboard_tests::call(
        switchboard_http::webhook::ingest_router(ingest.clone()),
        http::Request::builder()
            .uri(&status_path)
            .body(bytes::Bytes::new())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        recorded(&[
            store.actions_called(),
            secrets.actions_called(),
            queue.actions_called()
        ]),
        manifest_actions("webhook-ingest")
    );

    // router: a new customer routed and offered (named from Meta's profile
    // when the page has a token), an event naming no customer.
    let (store, secrets, queue) = (aws.store(), aws.secrets(), outbox());
    let router_push = ws.pusher(clock.clone()).await;
    let router = switchboard_core::routing::RoutingDeps {
        conversations: store.clone(),
        pages: store.clone(),
        workstreams: store.clone(),
        config: store.clone(),
        routing: store.clone(),
        clock: clock.clone(),
        outbound: store.clone(),
        streams: Arc::new(PushingStreams::new(store.clone(), router_push.clone())),
        outbox: Some(queue.clone()),
        bots: None,
        profiles: Some(switchboard_core::contacts::Profiles {
            graph: graph.clone(),
            secrets: secrets.clone(),
        }),
    };
    let received = q.queue.receive(10, Duration::from_secs(2)).await.unwrap();
    for m in &received {
        switchboard_core::router::process_event(&router, &m.body)
            .await
            .unwrap();
    }
    let mut lonely: switchboard_core::event::InboundEvent =
        serde_json::from_str(&received[0].body).unwrap();
    lonely.psid = None;
    lonely.key = "unattributed:1".into();
    switchboard_core::router::process_event(&router, &serde_json::to_string(&lonely).unwrap())
        .await
        .unwrap();
    // The same customer writes again: an event in the open conversation.
    let again = text_event("7700000000000701", "m_lp_1b", clock.now().0 + 1);
    for ev in
        switchboard_core::ingest::split(&ACCOUNT.parse().unwrap(), &again, clock.now()).unwrap()
    {
        switchboard_core::router::process_event(&router, &serde_json::to_string(&ev).unwrap())
            .await
            .unwrap();
    }
    // A second customer waits (anna is full); the scheduler will give it on.
    let second = text_event("7700000000000702", "m_lp_2", clock.now().0);
    for ev in
        switchboard_core::ingest::split(&ACCOUNT.parse().unwrap(), &second, clock.now()).unwrap()
    {
        switchboard_core::router::process_event(&router, &serde_json::to_string(&ev).unwrap())
            .await
            .unwrap();
    }
    assert_eq!(
        recorded(&[
            store.actions_called(),
            secrets.actions_called(),
            queue.actions_called()
        ]),
        manifest_actions("router")
    );
    assert_eq!(
        recorded(&[router_push.actions_called()]),
        connection_actions("router")
    );

    // scheduler: anna's offer expires and the waiting customer goes to her; a page token is due.
    seed_secrets
        .put(
            &switchboard_core::ports::page_token_name(&PAGE_1.parse().unwrap()),
            &secret(&format!("EAAB-page-{PAGE_1}")),
        )
        .await
        .unwrap();
    let mut page = switchboard_core::ports::AccountStore::get_page(
        seed_store.as_ref(),
        &PAGE_1.parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    page.access_token_ref = Some(switchboard_core::ports::page_token_name(&page.page_id));
    page.provisioning.state = switchboard_core::provisioning::ProvisioningState::Running;
    switchboard_core::ports::AccountStore::put_page(
        seed_store.as_ref(),
        &page,
        switchboard_core::ports::WriteMode::Upsert,
    )
    .await
    .unwrap();
    clock.advance_secs(31);
    let (sched_store, sched_secrets, sched_queue) = (aws.store(), aws.secrets(), outbox());
    let sched_push = ws.pusher(clock.clone()).await;
    let scheduler = switchboard_core::scheduler::SchedulerDeps::of(&pushing(
        channels(
            sched_store.clone(),
            sched_secrets.clone(),
            sched_queue.clone(),
        ),
        sched_push.clone(),
    ));
    let report = switchboard_core::scheduler::run_once(&scheduler)
        .await
        .unwrap();
    assert_eq!(report.routing.offers_expired, 1, "{report:?}");
    assert!(report.token_health.checked >= 1, "{report:?}");

    // agent-api: anna (signed in: the JWT's username and group) sees her
    // offer, accepts, replies, types, reads it back and her feed.
    let (store, secrets, queue) = (aws.store(), aws.secrets(), outbox());
    let agent_push = ws.pusher(clock.clone()).await;
    let agent = switchboard_http::AgentDeps {
        channels: pushing(
            channels(store.clone(), secrets.clone(), queue.clone()),
            agent_push.clone(),
        ),
        auth: switchboard_http::AgentAuth::Claims,
        settle: Duration::ZERO,
    };
    let as_anna = |method: &str, uri: &str, body: Option<serde_json::Value>| {
        let mut req = http::Request::builder()
            .method(method)
            .uri(uri)
            .body(
                body.map(|b| bytes::Bytes::from(b.to_string()))
                    .unwrap_or_default(),
            )
            .unwrap();
        req.extensions_mut().insert(switchboard_http::Principal {
            subject: "5f0c-anna".into(),
            username: Some("anna".into()),
            groups: vec!["agent".into()],
        });
        req
    };
    let offer = || async {
        let r = switchboard_tests::call(
            switchboard_http::agent::router(agent.clone()),
            as_anna("GET", "/agent/v1/conversations?state=offered", None),
        )
        .await;
        body_json(&r)["conversations"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("anna has an offer: {:?}", body_json(&r)))
            .to_string()
    };
    // She declines it (it is routed again: the queue's members are read)
    // and is offered one again (up to three declines each).
    let first = offer().await;
    let r = switchboard_tests::call(
        switchboard_http::agent::router(agent.clone()),
        as_anna(
            "POST",
            &format!("/agent/v1/conversations/{first}/decline"),
            None,
        ),
    )
    .await;
    assert_eq!(r.status(), 200, "{:?}", body_json(&r));
    let offered = offer().await;
    let conv = format!("/agent/v1/conversations/{offered}");
    let steps: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        (
            "PUT",
            "/agent/v1/presence".into(),
            Some(serde_json::json!({"status": "available"})),
        ),
        ("POST", format!("{conv}/accept"), None),
        (
            "POST",
            format!("{conv}/messages"),
            Some(serde_json::json!({"text": "Hello, I am looking into it."})),
        ),
        (
            "POST",
            format!("{conv}/typing"),
            Some(serde_json::json!({"on": true})),
        ),
        ("GET", conv.clone(), None),
        ("GET", "/agent/v1/events?wait=0".into(), None),
        ("POST", "/agent/v1/heartbeat".into(), None),
        (
            "PUT",
            "/agent/v1/presence".into(),
            Some(serde_json::json!({"status": "offline"})),
        ),
    ];
    for (m, uri, body) in steps {
        let r = switchboard_tests::call(
            switchboard_http::agent::router(agent.clone()),
            as_anna(m, &uri, body),
        )
        .await;
        assert!(
            r.status().is_success(),
            "{m} {uri}: {} {:?}",
            r.status(),
            body_json(&r)
        );
    }
    assert_eq!(
        recorded(&[
            store.actions_called(),
            secrets.actions_called(),
            queue.actions_called()
        ]),
        manifest_actions("agent-api")
    );
    assert_eq!(
        recorded(&[agent_push.actions_called()]),
        connection_actions("agent-api")
    );

    // admin-api: channel set-up and routing management, as an administrator
    // does it, and closing anna's conversation (its survey goes out).
    let (store, secrets, queue) = (aws.store(), aws.secrets(), outbox());
    let admin_push = ws.pusher(clock.clone()).await;
    let deps = AdminDeps {
        channels: pushing(
            channels(store.clone(), secrets.clone(), queue.clone()),
            admin_push.clone(),
        ),
        auth: AdminAuth::Bearer(secret("lp-admin")),
    };
    let call = |method: &str, uri: &str, body: Option<serde_json::Value>| {
        http::Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", "Bearer lp-admin")
            .body(
                body.map(|b| bytes::Bytes::from(b.to_string()))
                    .unwrap_or_default(),
            )
            .unwrap()
    };
    let steps: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        (
            "POST",
            "/admin/v1/accounts".into(),
            Some(
                serde_json::json!({"id": "shop", "name": "Shop", "app_id": "900000000000001", "app_secret": "shop-secret"}),
            ),
        ),
        (
            "POST",
            "/admin/v1/accounts/shop/pages".into(),
            Some(
                serde_json::json!({"page_id": "104857600000003", "name": "Shop Help", "access_token": "EAAB-page-104857600000003"}),
            ),
        ),
        (
            "POST",
            "/admin/v1/queues".into(),
            Some(serde_json::json!({"id": "billing", "name": "Billing"})),
        ),
        (
            "POST",
            "/admin/v1/agents".into(),
            Some(
                serde_json::json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "queues": ["billing"]}),
            ),
        ),
        (
            "PUT",
            "/admin/v1/agents/bo/presence".into(),
            Some(serde_json::json!({"status": "available"})),
        ),
        (
            "POST",
            "/admin/v1/rulesets".into(),
            Some(
                serde_json::json!({"id": "r", "workstream": "support", "name": "R", "kind": "classification", "rules": []}),
            ),
        ),
        ("DELETE", "/admin/v1/rulesets/r".into(), None),
        // A supervisor moves anna's conversation to billing, where bo is
        // offered it (the queue's members are read in a batch) and the
        // customer is told (the survey no longer goes out on close: nobody
        // took it since).
        (
            "POST",
            format!("/admin/v1/conversations/{offered}/assign"),
            Some(serde_json::json!({"queue_id": "billing"})),
        ),
        ("GET", "/admin/v1/overview".into(), None),
        ("GET", "/admin/v1/surveys/summary".into(), None),
        ("GET", "/admin/v1/conversations".into(), None),
        ("GET", "/admin/v1/alerts".into(), None),
        (
            "POST",
            format!("/admin/v1/conversations/{offered}/close"),
            None,
        ),
        (
            "PUT",
            "/admin/v1/accounts/shop/pages/104857600000003/token".into(),
            Some(serde_json::json!({"access_token": "EAAB-page-104857600000003-b"})),
        ),
        (
            "DELETE",
            "/admin/v1/accounts/shop/pages/104857600000003".into(),
            None,
        ),
    ];
    for (m, uri, body) in steps {
        let r = switchboard_tests::call(
            switchboard_http::admin::router(deps.clone()),
            call(m, &uri, body),
        )
        .await;
        assert!(
            r.status().is_success(),
            "{m} {uri}: {} {:?}",
            r.status(),
            body_json(&r)
        );
    }
    assert_eq!(
        recorded(&[
            store.actions_called(),
            secrets.actions_called(),
            queue.actions_called()
        ]),
        manifest_actions("admin-api")
    );
    assert_eq!(
        recorded(&[admin_push.actions_called()]),
        connection_actions("admin-api")
    );

    // scheduler, ten minutes on (anna is offline): the other customer is
    // closed for inactivity and told so.
    clock.advance_secs(600);
    let report = switchboard_core::scheduler::run_once(&scheduler)
        .await
        .unwrap();
    assert_eq!(report.routing.auto_closed, 1, "{report:?}");
    assert_eq!(
        recorded(&[
            sched_store.actions_called(),
            sched_secrets.actions_called(),
            sched_queue.actions_called()
        ]),
        manifest_actions("scheduler")
    );
    assert_eq!(
        recorded(&[sched_push.actions_called()]),
        connection_actions("scheduler")
    );

    // sender: everything queued above, through the Lambda glue: Meta asks
    // to wait once (613: the visibility is set to the backoff), then says
    // the page's token is gone (190: the messages fail, the page is in
    // error). Every send after the 613 fails, so anna's reply fails and she
    // is told (pushed) whichever order the queue hands the messages out in.
    let mut answers = vec![Scripted::error(
        400,
        613,
        None,
        "Calls to this api have exceeded the rate limit.",
    )];
    answers.extend(
        (0..20).map(|_| Scripted::error(400, 190, Some(460), "The session has been invalidated.")),
    );
    fake.script("POST", &format!("{PAGE_1}/messages"), answers);
    let (store, secrets, queue) = (aws.store(), aws.secrets(), outbox());
    let sender_push = ws.pusher(clock.clone()).await;
    let sender = switchboard_core::sender::SenderDeps::of(&pushing(
        channels(store.clone(), secrets.clone(), queue.clone()),
        sender_push.clone(),
    ));
    let mut idle = 0;
    let mut retried = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while idle < 4 && std::time::Instant::now() < deadline {
        // The event source mapping receives and deletes (not the function's own calls).
        let batch = outbound
            .queue
            .receive(5, Duration::from_secs(1))
            .await
            .unwrap();
        if batch.is_empty() {
            idle += 1;
            continue;
        }
        idle = 0;
        let event: aws_lambda_events::event::sqs::SqsEvent = serde_json::from_value(
            serde_json::json!({"Records": batch.iter().map(|m| serde_json::json!({
                "messageId": m.message_id, "receiptHandle": m.receipt, "body": m.body,
                "attributes": {"MessageGroupId": m.group, "ApproximateReceiveCount": m.receive_count.to_string()},
                "messageAttributes": {}, "eventSource": "aws:sqs"})).collect::<Vec<_>>()}),
        )
        .unwrap();
        let resp = switchboard_aws::lambda::send_sqs_batch(&sender, queue.as_ref(), event).await;
        let failed: BTreeSet<String> = resp
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        retried += failed.len();
        for m in batch.iter().filter(|m| !failed.contains(&m.message_id)) {
            outbound.queue.delete(&m.receipt).await.unwrap();
        }
    }
    assert!(retried >= 1, "the 613 was retried");
    let sends = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .count();
    assert!(sends >= 3, "613, then 190 for each: {sends} sends");
    let page = switchboard_core::ports::AccountStore::get_page(
        seed_store.as_ref(),
        &PAGE_1.parse().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        page.provisioning.state,
        switchboard_core::provisioning::ProvisioningState::Error
    );
    assert_eq!(
        recorded(&[
            store.actions_called(),
            secrets.actions_called(),
            queue.actions_called()
        ]),
        manifest_actions("sender")
    );
    assert_eq!(
        recorded(&[sender_push.actions_called()]),
        connection_actions("sender")
    );
    // Anna's open tab got her events as they were published.
    assert!(
        ws.fake.posts().iter().any(|(c, _)| c == "anna-tab"),
        "the pushes reached anna's connection"
    );
    // ws-connections: $connect and $disconnect.
    let connections = Connections::new(&aws.cfg, ws.seed.table());
    for route in ["$connect", "$disconnect"] {
        let event: switchboard_aws::ws::RouteEvent = serde_json::from_value(serde_json::json!(
            {"requestContext": {"routeKey": route, "connectionId": "bo-tab",
             "authorizer": {"agent_id": "bo", "supervisor": false}}}
        ))
        .unwrap();
        let r = switchboard_aws::ws::on_route(&event, &connections, clock.as_ref()).await;
        assert_eq!(r.status_code, 200, "{route}");
    }
    assert_eq!(
        recorded(&[connections.actions_called()]),
        connection_actions("ws-connections")
    );
}

use switchboard_tests::fake_graph::{FakeGraph, Scripted};

/// The `!GetAtt X.Arn` / `!Ref X` a value names, as the resource name `X`.
fn named(v: &Value) -> String {
    texts(v)
        .first()
        .map(|t| {
            t.trim_start_matches("!GetAtt ")
                .trim_start_matches("!Ref ")
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default()
}

#[test]
fn queues_functions_and_alarms_are_set_up_as_the_design_says() {
    let t = template();
    let res = t["Resources"].as_mapping().unwrap();
    let get = |name: &str| &t["Resources"][name];
    let g = &t["Globals"]["Function"];
    assert_eq!(g["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(texts(&g["Architectures"]), vec!["arm64"]);
    assert_eq!(g["Tracing"].as_str(), Some("Active"), "X-Ray tracing on");
    let table = &get("Table")["Properties"];
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        Value::Bool(true)
    );
    assert_eq!(
        table["TimeToLiveSpecification"]["Enabled"],
        Value::Bool(true)
    );
    assert_eq!(
        texts(&table["DeletionProtectionEnabled"]),
        vec!["!Ref TableDeletionProtection"]
    );
    let mut alarmed: BTreeSet<String> = BTreeSet::new();
    let mut logged: BTreeSet<String> = BTreeSet::new();
    for (_, r) in res {
        match r["Type"].as_str() {
            Some("AWS::CloudWatch::Alarm") => {
                for d in r["Properties"]["Dimensions"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                {
                    alarmed.insert(named(&d["Value"]));
                }
            }
            Some("AWS::Logs::LogGroup") => {
                assert!(
                    !r["Properties"]["RetentionInDays"].is_null(),
                    "log retention is set"
                );
                let group = texts(&r["Properties"]["LogGroupName"]).join("");
                logged.insert(group);
            }
            _ => {}
        }
    }
    let mut consumers = 0;
    for f in FUNCTIONS {
        let p = &get(f.resource)["Properties"];
        assert!(
            p["MemorySize"].as_u64().is_some() && p["Timeout"].as_u64().is_some(),
            "{}: memory and timeout chosen",
            f.resource
        );
        assert!(
            alarmed.contains(f.resource),
            "{}: an alarm watches it",
            f.resource
        );
        assert!(
            logged
                .iter()
                .any(|l| l.contains(&format!("${{{}}}", f.resource))),
            "{}: a log group with retention",
            f.resource
        );
        let sqs = sqs_events(f.resource, p);
        // A function that consumes a queue has exactly one SQS event source
        // (its manifest names the actions the mapping needs); others none.
        assert_eq!(
            sqs.len(),
            usize::from(!f.event_source_actions.is_empty()),
            "{}: SQS event sources",
            f.resource
        );
        consumers += sqs.len();
        for e in sqs {
            assert_eq!(
                texts(&e["FunctionResponseTypes"]),
                vec!["ReportBatchItemFailures"],
                "{}",
                f.resource
            );
            assert!(
                e["BatchSize"].as_u64().is_some(),
                "{}: batch size set",
                f.resource
            );
            assert!(
                e["ScalingConfig"]["MaximumConcurrency"].as_u64().is_some(),
                "{}: maximum concurrency set",
                f.resource
            );
            let queue = get(&named(&e["Queue"]));
            let qp = &queue["Properties"];
            let visibility = qp["VisibilityTimeout"].as_u64().unwrap();
            let timeout = p["Timeout"].as_u64().unwrap();
            assert!(
                visibility >= 6 * timeout,
                "{}: visibility {visibility} s < 6 x timeout {timeout} s",
                f.resource
            );
            let dlq = named(&qp["RedrivePolicy"]["deadLetterTargetArn"]);
            assert!(qp["RedrivePolicy"]["maxReceiveCount"].as_u64().is_some());
            assert!(
                alarmed.contains(&dlq),
                "the dead-letter queue {dlq} has an alarm"
            );
        }
    }
    assert!(
        consumers >= 2,
        "the router and the sender consume their queues: {consumers}"
    );
    assert!(
        alarmed.contains("SchedulerFunction")
            && res
                .iter()
                .any(|(_, r)| r["Properties"]["MetricName"].as_str() == Some("PagesInError")),
        "pages in error are alarmed"
    );
    assert_eq!(
        get("OutboundQueue")["Properties"]["RedrivePolicy"]["maxReceiveCount"].as_u64(),
        Some(switchboard_core::outbound::MAX_RECEIVES as u64),
        "the outbound queue gives up where serve's does"
    );
    let scheduler = &get("SchedulerFunction")["Properties"]["Events"];
    assert!(
        texts(&scheduler["EveryMinute"]["Properties"]["Schedule"])
            .contains(&"rate(1 minute)".to_string())
    );
    for out in [
        "ApiUrl",
        "CallbackUrlBase",
        "UserPoolId",
        "UserPoolClientId",
        "OutboundQueueUrl",
        "WebSocketUrl",
        "ConsoleUrl",
        "ConsoleBucketName",
        "ConsoleDistributionId",
        "AuthDomain",
        "ConsoleClientId",
    ] {
        assert!(!t["Outputs"][out].is_null(), "output {out}");
    }
}

#[test]
fn the_console_and_the_websocket_api_are_set_up_as_issue_14_says() {
    let t = template();
    let get = |name: &str| &t["Resources"][name]["Properties"];
    // The connections expire by themselves.
    let conns = get("ConnectionsTable");
    assert_eq!(
        conns["TimeToLiveSpecification"]["Enabled"],
        Value::Bool(true)
    );
    assert_eq!(
        conns["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some("expires_at")
    );
    // A WebSocket API whose $connect is authorized by the JWT checker.
    assert_eq!(
        get("WebSocketApi")["ProtocolType"].as_str(),
        Some("WEBSOCKET")
    );
    let connect = get("WebSocketConnectRoute");
    assert_eq!(connect["RouteKey"].as_str(), Some("$connect"));
    assert_eq!(connect["AuthorizationType"].as_str(), Some("CUSTOM"));
    let auth = get("WebSocketAuthorizer");
    assert_eq!(auth["AuthorizerType"].as_str(), Some("REQUEST"));
    assert_eq!(
        texts(&auth["IdentitySource"]),
        vec!["route.request.querystring.token"]
    );
    assert!(texts(&auth["AuthorizerUri"])[0].contains("${WsAuthorizerFunction.Arn}"));
    // The console's bucket is private, encrypted, read through OAC (not OAI).
    let bucket = get("ConsoleBucket");
    for k in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            bucket["PublicAccessBlockConfiguration"][k],
            Value::Bool(true),
            "{k}"
        );
    }
    assert!(!bucket["BucketEncryption"].is_null());
    let tls_only = get("ConsoleBucketPolicy")["PolicyDocument"]["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .any(|s| {
            s["Effect"].as_str() == Some("Deny")
                && s["Condition"]["Bool"]["aws:SecureTransport"].as_str() == Some("false")
        });
    assert!(tls_only, "the bucket refuses plain HTTP");
    let dist = &get("ConsoleDistribution")["DistributionConfig"];
    let origin = &dist["Origins"][0];
    assert!(texts(&origin["OriginAccessControlId"])[0].contains("ConsoleOriginAccessControl"));
    assert_eq!(
        origin["S3OriginConfig"]["OriginAccessIdentity"].as_str(),
        Some(""),
        "no origin access identity"
    );
    assert!(!dist["DefaultCacheBehavior"]["ResponseHeadersPolicyId"].is_null());
    let spa: Vec<_> = dist["CustomErrorResponses"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| (e["ErrorCode"].as_u64(), e["ResponsePagePath"].as_str()))
        .collect();
    assert!(spa.contains(&(Some(403), Some("/index.html"))), "{spa:?}");
    // The console's Cognito client: public, code grant, back to the console.
    let client = get("ConsoleClient");
    assert_eq!(client["GenerateSecret"], Value::Bool(false));
    assert_eq!(texts(&client["AllowedOAuthFlows"]), vec!["code"]);
    assert_eq!(
        texts(&client["AllowedOAuthScopes"]),
        vec!["openid", "email", "profile"]
    );
    for k in ["CallbackURLs", "LogoutURLs"] {
        assert_eq!(
            texts(&client[k]),
            vec!["!Sub https://${ConsoleDistribution.DomainName}/"]
        );
    }
    assert!(!get("UserPoolDomain").is_null());
    // The console, on its own origin, may call the APIs.
    assert_eq!(
        texts(&get("HttpApi")["CorsConfiguration"]["AllowOrigins"]),
        vec!["!Sub https://${ConsoleDistribution.DomainName}"]
    );
}
