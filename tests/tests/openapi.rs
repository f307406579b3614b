//! docs/openapi.yaml against the server: every documented operation is
//! exercised and answers with a documented status and the documented
//! required fields; every method a documented path does not list answers
//! 405; and every documented operation has a case here.

use bytes::Bytes;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::ports::Queue;
use switchboard_core::router::{BatchItem, RouterDeps, process_batch};
use switchboard_core::{Clock, SystemClock};
use switchboard_tests::fake_graph::FakeGraph;
use switchboard_tests::*;

const ADMIN: &str = "openapi-admin-token";
type Value = serde_json::Value;

fn doc(file: &str) -> Value {
    let text = std::fs::read_to_string(workspace_root().join("docs").join(file))
        .unwrap_or_else(|e| panic!("docs/{file}: {e}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("docs/{file} parses: {e}"))
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

fn req(method: &str, uri: &str, body: Option<Value>, bearer: &str) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {bearer}"))
        .body(body.map(|b| Bytes::from(b.to_string())).unwrap_or_default())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_keeps_the_documented_contract() {
    let doc = doc("openapi.yaml");
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
        webhook_url: "https://sb.example".into(),
        ..channel_deps(store.clone(), secrets.clone(), clock.clone())
    };
    let services = switchboard_tests::services(channels.clone(), Arc::new(q.queue.clone()), ADMIN);
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
    let items: Vec<BatchItem<'_>> = batch.iter().map(BatchItem::from).collect();
    assert!(process_batch(&router, &items).await.is_empty());
    let conv = switchboard_core::ports::ConversationStore::list_conversations(
        store.as_ref(),
        &Default::default(),
    )
    .await
    .unwrap()[0]
        .id
        .to_string();

    // A conversation Switchboard keeps as context (another app has the
    // thread), on page 1, which has a token: a supervisor may take it.
    seed_page_token(
        store.as_ref(),
        secrets.as_ref(),
        "EAAB-page-104857600000001",
    )
    .await;
    let t = switchboard_core::Millis(1_764_000_000_500);
    let body = serde_json::json!({"object": "page", "entry": [{"id": PAGE_1, "time": t.0, "standby": [
        {"sender": {"id": "7700000000000099"}, "recipient": {"id": PAGE_1}, "timestamp": t.0,
         "message": {"mid": "m_contract_standby", "text": "context only"}}]}]});
    for ev in
        switchboard_core::ingest::split(&ACCOUNT.parse().unwrap(), body.to_string().as_bytes(), t)
            .unwrap()
    {
        switchboard_core::router::process_event(&router, &serde_json::to_string(&ev).unwrap())
            .await
            .unwrap();
    }
    let standby = switchboard_core::ports::ConversationStore::get_customer(
        store.as_ref(),
        &PAGE_1.parse().unwrap(),
        &"7700000000000099".parse().unwrap(),
    )
    .await
    .unwrap()
    .and_then(|c| c.open_conversation_id)
    .unwrap()
    .to_string();
    // A data-deletion request from Meta, for an administrator to settle.
    let issued = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let signed = switchboard_core::privacy::deletion::sign(
        &serde_json::json!({"algorithm": "HMAC-SHA256", "user_id": "5550099", "issued_at": issued}),
        APP_SECRET.as_bytes(),
    );
    let form = format!("signed_request={signed}");
    let resp = call(
        services.clone().router(),
        http::Request::builder()
            .method("POST")
            .uri(format!("/webhooks/facebook/{ACCOUNT}/data-deletion"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(bytes::Bytes::from(form))
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status(), 200, "{:?}", resp.body());
    let receipt: Value = serde_json::from_slice(resp.body()).unwrap();
    let code = receipt["confirmation_code"].as_str().unwrap().to_string();
    // Meta cannot map the person: it waits for an administrator.
    fake.set_ids("5550099", &[]);
    switchboard_core::privacy::deletion::process_pending(
        &channels.routing_deps(),
        &channels.pages(),
    )
    .await
    .unwrap();
    let params: HashMap<&str, String> = HashMap::from([
        ("{account_id}", "shop".to_string()),
        ("{page_id}", "104857600000003".to_string()),
        ("{workstream_id}", "support".to_string()),
        ("{conversation_id}", conv),
        ("{agent_id}", "anna".to_string()),
        ("{queue_id}", "billing".to_string()),
        ("{ruleset_id}", "classify".to_string()),
        ("{canned_response_id}", "greeting".to_string()),
        // The customer of text-message.json.
        ("{psid}", "7700000000000001".to_string()),
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
        ("checkPage", None),
        (
            "setConversationRouting",
            Some(serde_json::json!({"mode": "standby", "hand_back_to": "900000000000099"})),
        ),
        (
            "createWorkstream",
            Some(
                // Page 1 too: its conversation is routed, for a supervisor to move.
                serde_json::json!({"id": "support", "name": "Support", "pages": ["104857600000003", PAGE_1], "locale": "da"}),
            ),
        ),
        ("listWorkstreams", None),
        ("getWorkstream", None),
        (
            "updateWorkstream",
            Some(serde_json::json!({"locale": "en-GB",
                "bot": {"url": "https://bot.example.com/events", "secret": "bot-secret-0123456789"}})),
        ),
        (
            "issueBotToken",
            Some(serde_json::json!({"ttl_seconds": 3600})),
        ),
        ("listBotTokens", None),
        ("revokeBotToken", None),
        ("revokeBotTokens", None),
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
            "issueAgentToken",
            Some(serde_json::json!({"supervisor": false})),
        ),
        ("listAgentTokens", None),
        (
            "createSignInLink",
            Some(serde_json::json!({"ttl_seconds": 300})),
        ),
        ("revokeAgentToken", None),
        ("revokeAgentTokens", None),
        ("listSurveyAnswers", None),
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
        (
            "previewRouting",
            Some(
                serde_json::json!({"page_id": "104857600000003", "text": "Min faktura er forkert", "locale": "da"}),
            ),
        ),
        (
            "createCannedResponse",
            Some(
                serde_json::json!({"id": "greeting", "workstream": "support", "locale": "en",
                "shortcut": "hello", "title": "Greeting", "text": "Hi {CustomerName}, {AgentName} here."}),
            ),
        ),
        ("listCannedResponses", None),
        ("getCannedResponse", None),
        (
            "updateCannedResponse",
            Some(serde_json::json!({"title": "Hello"})),
        ),
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
        ("overview", None),
        ("surveySummary", None),
        ("serviceLevelReport", None),
        (
            "assignConversation",
            Some(serde_json::json!({"queue_id": "billing"})),
        ),
        ("controlThread", Some(serde_json::json!({"action": "take"}))),
        ("exportCustomer", None),
        ("closeConversation", None),
        (
            "eraseCustomer",
            Some(serde_json::json!({"reason": "subject request"})),
        ),
        ("listErasures", None),
        ("listDeletionRequests", None),
        (
            "resolveDeletionRequest",
            Some(serde_json::json!({"action": "refuse", "reason": "not a customer of ours"})),
        ),
        ("deleteRuleset", None),
        ("deleteCannedResponse", None),
        ("deleteAgent", None),
        ("deleteQueue", None),
        ("deleteWorkstream", None),
        ("removePage", None),
        ("deleteAccount", None),
    ];
    let cases = cases
        .into_iter()
        .map(|(id, b)| match id {
            // A supervisor takes a thread another app had: the conversation
            // kept as context from a standby copy.
            "controlThread" => (id, b, vec![("{conversation_id}", standby.clone())]),
            // The customer of text-message.json, on page 1.
            "exportCustomer" | "eraseCustomer" => (id, b, vec![("{page_id}", PAGE_1.to_string())]),
            "resolveDeletionRequest" => (id, b, vec![("{code}", code.clone())]),
            _ => (id, b, Vec::new()),
        })
        .collect();
    check(&doc, &services, ADMIN, &params, cases).await;
}

/// One documented operation's case: its id, body, and path parameters
/// beyond the shared ones.
type Case<'a> = (&'a str, Option<Value>, Vec<(&'a str, String)>);

/// Every documented operation has a case, and every case answers with a
/// documented success status and the documented required fields; methods a
/// documented path does not list answer 405.
async fn check(
    doc: &Value,
    services: &switchboard_http::Services,
    bearer: &str,
    params: &HashMap<&str, String>,
    cases: Vec<Case<'_>>,
) {
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
    // A WebSocket upgrade (documented `101`) cannot go through `dispatch`,
    // which has no connection to upgrade: tests/tests/agent_stream.rs opens
    // real sockets on it and checks its answers against the document.
    let documented: BTreeSet<&String> = ops
        .iter()
        .filter(|(_, (_, _, op))| op["responses"]["101"].is_null())
        .map(|(id, _)| id)
        .collect();
    let exercised: BTreeSet<String> = cases.iter().map(|(id, _, _)| id.to_string()).collect();
    assert_eq!(
        documented,
        exercised.iter().collect(),
        "every documented operation has a case, and no case is undocumented"
    );

    // Ids a response names (`token_id`) that no parameter gives yet are
    // used by the cases after it.
    let mut learned: HashMap<String, String> = HashMap::new();
    for (id, body, extra) in cases {
        let (method, template, op) = &ops[id];
        let uri = extra
            .iter()
            .map(|(k, v)| (*k, v))
            .chain(params.iter().map(|(k, v)| (*k, v)))
            .chain(learned.iter().map(|(k, v)| (k.as_str(), v)))
            .fold(template.clone(), |u, (k, v)| u.replace(k, v));
        let resp = dispatch(services, req(method, &uri, body, bearer)).await;
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
        let documented = resolve(doc, documented);
        if let Some(schema) = documented["content"]["application/json"].get("schema") {
            let got = body_json(&resp);
            for (k, v) in got.as_object().into_iter().flatten() {
                let key = format!("{{{k}}}");
                if k.ends_with("_id")
                    && !params.contains_key(key.as_str())
                    && let Some(v) = v.as_str()
                {
                    learned.insert(key, v.to_string());
                }
            }
            for field in required(doc, schema) {
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
                let r = dispatch(
                    services,
                    req(method, &uri, Some(serde_json::json!({})), bearer),
                )
                .await;
                assert_eq!(r.status(), 405, "{method} {path}");
            }
        }
    }
}

/// docs/bot-api.yaml against the server, as a workstream's bot with a
/// token the admin API issued: two conversations are with the bot (which
/// took their events and said it would act later); one is ended, the
/// other read, answered and escalated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_api_keeps_its_documented_contract() {
    use switchboard_tests::agent_rig::{AgentRig, RigSetup};
    let doc = doc("bot-api.yaml");
    let bot = switchboard_tests::fake_bot::FakeBot::start("bot-secret-0123456789").await;
    let rig = AgentRig::new(
        false,
        RigSetup::new(serde_json::json!({
            "queues": [{"id": "general", "name": "General"}],
            "agents": [{"id": "anna", "name": "Anna", "email": "anna@example.com",
                        "queues": ["general"], "presence": "available"}],
            "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "distribution": {"fallback_queue": "general"},
                "bot": {"url": bot.url, "secret": "bot-secret-0123456789"}}]
        })),
    )
    .await;
    let kept = rig.psid_says("7700000000000701", "m_api_1", "Hello").await;
    let ended = rig.psid_says("7700000000000702", "m_api_2", "Hi").await;
    let (s, issued) = rig
        .admin("POST", "/admin/v1/workstreams/support/bot-tokens", None)
        .await;
    assert_eq!(s, 201, "{issued}");
    let token = issued["token"].as_str().unwrap().to_string();
    let params: HashMap<&str, String> = HashMap::from([("{conversation_id}", kept)]);
    let cases: Vec<Case<'_>> = vec![
        ("getBotConversation", None, Vec::new()),
        (
            "sendBotMessage",
            Some(serde_json::json!({"text": "One moment.", "quick_replies": [{"title": "OK"}]})),
            Vec::new(),
        ),
        (
            "endBotConversation",
            None,
            vec![("{conversation_id}", ended)],
        ),
        (
            "escalateBotConversation",
            Some(serde_json::json!({"reason": "billing", "skills": {"billing": 1}})),
            Vec::new(),
        ),
    ];
    check(&doc, &rig.services, &token, &params, cases).await;
}

/// docs/agent-api.yaml against the server, as an agent (anna) with a
/// token the admin API issued: three customers offered to her, one of them
/// accepted beforehand so it can be transferred.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_api_keeps_its_documented_contract() {
    let doc = doc("agent-api.yaml");
    let e = redb_store();
    let inbound = local_queue(Default::default());
    let outbound = local_queue(Default::default());
    let secrets = file_secrets(e.dir.path());
    let fake = FakeGraph::start().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = e.store.clone();
    seed_account(store.as_ref(), secrets.as_ref(), clock.as_ref()).await;
    seed_page_token(
        store.as_ref(),
        secrets.as_ref(),
        "EAAB-page-104857600000001",
    )
    .await;
    let mut channels = ChannelDeps {
        graph: Arc::new(
            switchboard_graph::HttpGraph::new(&fake.base, Duration::from_secs(2)).unwrap(),
        ),
        ..channel_deps(store.clone(), secrets.clone(), clock.clone())
    };
    channels.outbox = Some(Arc::new(outbound.queue.clone()));
    let mut report = Default::default();
    switchboard_core::channels::apply_routing(
        &channels,
        serde_json::from_value(serde_json::json!({
            "queues": [{"id": "general", "name": "General"}, {"id": "billing", "name": "Billing"}],
            "agents": [
                {"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 3, "queues": ["general"], "presence": "available"},
                {"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 3, "queues": ["billing"], "presence": "available"}
            ],
            "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                "distribution": {"fallback_queue": "general"}}],
            "canned_responses": [{"id": "greeting", "workstream": "support", "locale": "en",
                "shortcut": "hello", "title": "Greeting", "text": "Hi {CustomerName}!"}]
        }))
        .unwrap(),
        false,
        &mut report,
    )
    .await
    .unwrap();
    let router = channels.routing_deps();
    let services = switchboard_tests::services(channels, Arc::new(inbound.queue.clone()), ADMIN);
    let mut convs = Vec::new();
    for (i, psid) in ["7700000000000961", "7700000000000962", "7700000000000963"]
        .iter()
        .enumerate()
    {
        let now = clock.now().0;
        let body = serde_json::json!({"object": "page", "entry": [{"id": PAGE_1, "time": now, "messaging": [
            {"sender": {"id": psid}, "recipient": {"id": PAGE_1}, "timestamp": now,
             "message": {"mid": format!("m_contract_{i}"), "text": "Hello"}}]}]});
        for ev in switchboard_core::ingest::split(
            &ACCOUNT.parse().unwrap(),
            body.to_string().as_bytes(),
            clock.now(),
        )
        .unwrap()
        {
            match switchboard_core::router::process_event(
                &router,
                &serde_json::to_string(&ev).unwrap(),
            )
            .await
            .unwrap()
            {
                switchboard_core::router::Processed::Appended(
                    switchboard_core::ports::AppendOutcome::Stored {
                        conversation_id, ..
                    },
                ) => convs.push(conversation_id.to_string()),
                other => panic!("{other:?}"),
            }
        }
    }
    let anna: switchboard_core::routing::model::AgentId = "anna".parse().unwrap();
    switchboard_core::routing::engine::accept(&router, &anna, &convs[1].parse().unwrap())
        .await
        .unwrap();
    let known = switchboard_core::ports::Contact::new(
        "ct_contract".parse().unwrap(),
        "Jo Known".into(),
        clock.now(),
    );
    switchboard_core::ports::ConversationStore::create_contact(store.as_ref(), &known)
        .await
        .unwrap();
    let token = body_json(
        &dispatch(
            &services,
            req("POST", "/admin/v1/agents/anna/tokens", None, ADMIN),
        )
        .await,
    )["token"]
        .as_str()
        .unwrap()
        .to_string();

    let code = body_json(
        &dispatch(
            &services,
            req("POST", "/admin/v1/agents/anna/sign-in-links", None, ADMIN),
        )
        .await,
    )["code"]
        .as_str()
        .unwrap()
        .to_string();

    let params: HashMap<&str, String> = HashMap::from([
        ("{conversation_id}", convs[0].clone()),
        ("{contact_id}", "ct_contract".to_string()),
    ]);
    let on = |conv: &String| vec![("{conversation_id}", conv.clone())];
    let cases: Vec<Case<'_>> = vec![
        (
            "signInWithLink",
            Some(serde_json::json!({ "code": code })),
            vec![],
        ),
        ("getMe", None, vec![]),
        ("getMyPresence", None, vec![]),
        (
            "setMyPresence",
            Some(serde_json::json!({"status": "available"})),
            vec![],
        ),
        ("heartbeat", None, vec![]),
        ("getMyEvents", None, vec![]),
        ("listMyConversations", None, vec![]),
        ("getMyConversation", None, vec![]),
        ("declineOffer", None, on(&convs[2])),
        ("acceptOffer", None, vec![]),
        (
            "sendMessage",
            Some(serde_json::json!({"text": "Hello, I am on it.",
                "quick_replies": [{"title": "Thanks", "payload": "THANKS"}]})),
            vec![],
        ),
        ("sendTyping", Some(serde_json::json!({"on": true})), vec![]),
        (
            "addConversationNote",
            Some(serde_json::json!({"text": "Wrap-up: refund promised."})),
            vec![],
        ),
        ("listConversationNotes", None, vec![]),
        ("getConversationContact", None, vec![]),
        (
            "createContact",
            Some(serde_json::json!({"name": "Sam New", "email": "sam@example.com"})),
            vec![],
        ),
        (
            "linkConversationContact",
            Some(serde_json::json!({"contact_id": "ct_contract"})),
            vec![],
        ),
        (
            "searchContacts",
            None,
            vec![("/agent/v1/contacts", "/agent/v1/contacts?q=jo".to_string())],
        ),
        ("getContact", None, vec![]),
        (
            "updateContact",
            Some(serde_json::json!({"notes": "Prefers Danish", "version": 0})),
            vec![],
        ),
        ("getContactHistory", None, vec![]),
        // The route needs a query string, which a case gives by replacing
        // the path as it stands in the document.
        (
            "listMyCannedResponses",
            None,
            vec![(
                "/agent/v1/canned-responses",
                format!("/agent/v1/canned-responses?conversation_id={}", convs[0]),
            )],
        ),
        ("transferTargets", None, on(&convs[1])),
        (
            "transferConversation",
            Some(serde_json::json!({"queue_id": "billing"})),
            on(&convs[1]),
        ),
        ("endConversation", None, vec![]),
        ("closeMyConversation", None, vec![]),
    ];
    check(&doc, &services, &token, &params, cases).await;
}

/// Every operation of both documents documents the problems the server can
/// answer it with: 401 (and 403, in AWS) everywhere; 400 and 404 where the
/// path holds an id; 400 and 422 where there is a JSON body; 400 where there
/// are query parameters. Every id path parameter has its pattern and
/// length, and every `$ref` resolves.
#[test]
fn every_operation_documents_its_problems_and_id_rules() {
    for file in ["openapi.yaml", "agent-api.yaml", "bot-api.yaml"] {
        let doc = doc(file);
        check_refs(&doc, &doc, file, "");
        for (path, item) in doc["paths"].as_object().unwrap() {
            let path_params: Vec<&Value> = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| resolve(&doc, p))
                .collect();
            for p in &path_params {
                let name = p["name"].as_str().unwrap();
                assert_eq!(p["in"], "path", "{file} {path}: {name}");
                assert!(
                    path.contains(&format!("{{{name}}}")),
                    "{file} {path}: parameter {name} is not in the path"
                );
                let schema = resolve(&doc, &p["schema"]);
                let pattern = schema["pattern"].as_str().unwrap_or_default();
                assert!(
                    pattern.starts_with('^') && pattern.ends_with('$'),
                    "{file} {path}: {name} needs an anchored pattern, has {pattern:?}"
                );
                assert!(
                    schema["maxLength"].as_u64().is_some_and(|n| n <= 64),
                    "{file} {path}: {name} needs a maxLength"
                );
            }
            let ids = path.matches('{').count();
            assert_eq!(
                ids,
                path_params.len(),
                "{file} {path}: every path id is a documented parameter"
            );
            for (method, op) in item.as_object().unwrap() {
                if method == "parameters" {
                    continue;
                }
                let id = op["operationId"].as_str().unwrap();
                // The bot API has no 403: a token is valid or not, and
                // another workstream's conversation is not found.
                let mut want = if file == "bot-api.yaml" {
                    vec!["401"]
                } else {
                    vec!["401", "403"]
                };
                if ids > 0 {
                    want.extend(["400", "404"]);
                }
                if !op["requestBody"].is_null() {
                    want.extend(["400", "422"]);
                }
                let query = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| resolve(&doc, p)["in"] == "query");
                if query {
                    want.push("400");
                }
                for status in want {
                    let r = &op["responses"][status];
                    assert!(!r.is_null(), "{file} {id}: documents no {status}");
                    let schema = &resolve(&doc, r)["content"]["application/problem+json"]["schema"];
                    let fields = required(&doc, schema);
                    for f in ["type", "title", "status", "code", "detail"] {
                        assert!(
                            fields.iter().any(|x| x == f),
                            "{file} {id}: the {status} problem lacks required {f}"
                        );
                    }
                }
            }
        }
    }
}

/// Every local `$ref` in `v` names something in the document.
fn check_refs(doc: &Value, v: &Value, file: &str, at: &str) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                let target = r
                    .strip_prefix("#/")
                    .unwrap_or_else(|| panic!("{file} {at}: only local refs, not {r}"))
                    .split('/')
                    .try_fold(doc, |d, k| d.get(k));
                assert!(target.is_some(), "{file} {at}: {r} resolves to nothing");
            }
            for (k, x) in m {
                check_refs(doc, x, file, &format!("{at}/{k}"));
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                check_refs(doc, x, file, &format!("{at}/{i}"));
            }
        }
        _ => {}
    }
}
