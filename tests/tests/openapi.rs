//! docs/openapi.yaml against the server: every documented operation is
//! exercised and answers with a documented status and the documented
//! required fields; every method a documented path does not list answers
//! 405; and every documented operation has a case here.

use bytes::Bytes;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::http_api::dispatch;
use switchboard_core::ports::Queue;
use switchboard_core::router::{BatchItem, RouterDeps, process_batch};
use switchboard_core::{Clock, SystemClock};
use switchboard_tests::fake_graph::FakeGraph;
use switchboard_tests::*;

const ADMIN: &str = "openapi-admin-token";
type Value = serde_json::Value;

fn doc() -> Value {
    let text = std::fs::read_to_string(workspace_root().join("docs/openapi.yaml"))
        .expect("docs/openapi.yaml");
    serde_yaml_ng::from_str(&text).expect("openapi.yaml parses")
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .trim_start_matches("#/")
            .split('/')
            .fold(doc, |d, k| &d[k]),
        None => v,
    }
}

/// Required top-level properties of a (possibly referenced, allOf) schema.
fn required(doc: &Value, schema: &Value) -> Vec<String> {
    let s = resolve(doc, schema);
    let mut out: Vec<String> = s["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    for part in s["allOf"].as_array().into_iter().flatten() {
        out.extend(required(doc, part));
    }
    out
}

fn req(method: &str, uri: &str, body: Option<Value>) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {ADMIN}"))
        .body(body.map(|b| Bytes::from(b.to_string())).unwrap_or_default())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_the_documented_contract() {
    let doc = doc();
    let e = redb_store();
    let q = local_queue(Default::default());
    let secrets = file_secrets(e.dir.path());
    let fake = FakeGraph::start().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = e.store.clone();
    seed_account(store.as_ref(), secrets.as_ref(), clock.as_ref()).await;
    let channels = ChannelDeps {
        graph: Arc::new(
            switchboard_graph::HttpGraph::new(&fake.base, Duration::from_secs(2)).unwrap(),
        ),
        public_url: "https://sb.example".into(),
        ..channel_deps(store.clone(), secrets.clone(), clock.clone())
    };
    let services = switchboard_tests::services(channels, Arc::new(q.queue.clone()), ADMIN);
    // A conversation to read.
    assert_eq!(
        dispatch(
            &services,
            signed_post(ACCOUNT, &fixture("text-message.json"), APP_SECRET)
        )
        .await
        .status(),
        200
    );
    let router: RouterDeps = switchboard_tests::routing_deps(store.clone(), clock);
    let batch = q.queue.receive(10, Duration::from_secs(1)).await.unwrap();
    let items: Vec<BatchItem<'_>> = batch
        .iter()
        .map(|m| BatchItem {
            message_id: &m.message_id,
            group: &m.group,
            body: &m.body,
        })
        .collect();
    assert!(process_batch(&router, &items).await.is_empty());
    let conv = switchboard_core::ports::ConversationStore::list_conversations(
        store.as_ref(),
        &Default::default(),
    )
    .await
    .unwrap()[0]
        .id
        .to_string();

    let params: HashMap<&str, String> = HashMap::from([
        ("{account_id}", "shop".to_string()),
        ("{page_id}", "104857600000003".to_string()),
        ("{workstream_id}", "support".to_string()),
        ("{conversation_id}", conv),
        ("{agent_id}", "anna".to_string()),
        ("{queue_id}", "billing".to_string()),
        ("{ruleset_id}", "classify".to_string()),
    ]);
    // One case per documented operation, in an order that makes each valid.
    let cases: Vec<(&str, Option<Value>)> = vec![
        (
            "createAccount",
            Some(
                serde_json::json!({"id": "shop", "name": "Shop", "app_id": "900000000000001", "app_secret": "shop-secret"}),
            ),
        ),
        ("listAccounts", None),
        ("getAccount", None),
        (
            "updateAccount",
            Some(serde_json::json!({"name": "Shop DK"})),
        ),
        (
            "addPage",
            Some(
                serde_json::json!({"page_id": "104857600000003", "name": "Shop Help", "access_token": "EAAB-page-104857600000003"}),
            ),
        ),
        ("listPages", None),
        ("getPage", None),
        (
            "rotatePageToken",
            Some(serde_json::json!({"access_token": "EAAB-page-104857600000003-b"})),
        ),
        (
            "createWorkstream",
            Some(
                serde_json::json!({"id": "support", "name": "Support", "pages": ["104857600000003"], "locale": "da"}),
            ),
        ),
        ("listWorkstreams", None),
        ("getWorkstream", None),
        (
            "updateWorkstream",
            Some(serde_json::json!({"locale": "en-GB"})),
        ),
        (
            "createQueue",
            Some(
                serde_json::json!({"id": "billing", "name": "Billing", "priority": 1,
                "hours": {"time_zone": "Europe/Copenhagen", "weekly": {"monday": [{"from": "09:00", "to": "17:00"}]}}}),
            ),
        ),
        ("listQueues", None),
        ("getQueue", None),
        ("updateQueue", Some(serde_json::json!({"hours": null}))),
        ("listWaiting", None),
        (
            "createAgent",
            Some(
                serde_json::json!({"id": "anna", "name": "Anna", "email": "anna@example.com",
                "skills": {"billing": 7}, "capacity": 2, "queues": ["billing"]}),
            ),
        ),
        ("listAgents", None),
        ("getAgent", None),
        ("updateAgent", Some(serde_json::json!({"capacity": 3}))),
        ("getAgentPresence", None),
        (
            "setAgentPresence",
            Some(serde_json::json!({"status": "away", "label": "Lunch"})),
        ),
        (
            "createRuleset",
            Some(
                serde_json::json!({"id": "classify", "workstream": "support", "name": "Classify",
                "kind": "classification", "rules": [{"name": "invoices", "when": {"text_matches": "(?i)faktura|invoice"},
                "set": {"skills": {"billing": 5}}}]}),
            ),
        ),
        ("listRulesets", None),
        ("getRuleset", None),
        ("updateRuleset", Some(serde_json::json!({"order": 2}))),
        ("listAlerts", None),
        ("exportConfiguration", None),
        (
            "applyConfiguration",
            Some(serde_json::json!({"accounts": [
                {"id": "acme", "name": "Acme", "app_id": "900000000000001", "app_secret": APP_SECRET,
                 "pages": [{"page_id": "104857600000001", "name": "Acme Support"}, {"page_id": "104857600000002", "name": "Acme Shop"}]},
                {"id": "shop", "name": "Shop DK", "app_id": "900000000000001", "app_secret": "shop-secret",
                 "pages": [{"page_id": "104857600000003", "name": "Shop Help"}]}
            ]})),
        ),
        ("listConversations", None),
        ("getConversation", None),
        ("getTimeline", None),
        ("getConversationRouting", None),
        ("closeConversation", None),
        ("deleteRuleset", None),
        ("deleteAgent", None),
        ("deleteQueue", None),
        ("deleteWorkstream", None),
        ("removePage", None),
        ("deleteAccount", None),
    ];
    let mut ops: HashMap<String, (String, String, Value)> = HashMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            ops.insert(
                op["operationId"].as_str().unwrap().to_string(),
                (method.to_uppercase(), path.clone(), op.clone()),
            );
        }
    }
    let documented: BTreeSet<&String> = ops.keys().collect();
    let exercised: BTreeSet<String> = cases.iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(
        documented,
        exercised.iter().collect(),
        "every documented operation has a case, and no case is undocumented"
    );

    for (id, body) in cases {
        let (method, template, op) = &ops[id];
        let uri = params
            .iter()
            .fold(template.clone(), |u, (k, v)| u.replace(k, v));
        let resp = dispatch(&services, req(method, &uri, body)).await;
        let status = resp.status().as_u16().to_string();
        let documented = &op["responses"][&status];
        assert!(
            !documented.is_null(),
            "{id}: {method} {uri} answered {status}, which is not documented: {:?}",
            body_json(&resp)
        );
        assert!(
            resp.status().is_success(),
            "{id}: a valid request should succeed, got {status}: {:?}",
            body_json(&resp)
        );
        let documented = resolve(&doc, documented);
        if let Some(schema) = documented["content"]["application/json"].get("schema") {
            let got = body_json(&resp);
            for field in required(&doc, schema) {
                assert!(
                    got.get(&field).is_some(),
                    "{id}: response lacks documented field {field}: {got}"
                );
            }
        }
    }

    // Methods a documented path does not list are refused with 405.
    for (path, item) in doc["paths"].as_object().unwrap() {
        let uri = params
            .iter()
            .fold(path.clone(), |u, (k, v)| u.replace(k, v));
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if item.get(method.to_lowercase()).is_none() {
                let r = dispatch(&services, req(method, &uri, Some(serde_json::json!({})))).await;
                assert_eq!(r.status(), 405, "{method} {path}");
            }
        }
    }
}
