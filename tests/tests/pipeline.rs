//! The inbound pipeline end to end, on the embedded adapters and on AWS
//! (DynamoDB, SQS and Secrets Manager on moto): signed delivery -> ingest
//! handler -> FIFO queue -> router (through the Lambda SQS glue) -> store,
//! and the admin read API over the result.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::AccountId;
use switchboard_core::ingest::{IngestDeps, SecretCache};
use switchboard_core::ports::{ConversationFilter, Queue, SecretStore};
use switchboard_core::router::RouterDeps;
use switchboard_core::verify::VerifyDeps;
use switchboard_core::{Clock, Millis, SystemClock};
use switchboard_http::{AdminAuth, AdminDeps, Services};
use switchboard_tests::fake::{FlakyQueue, FlakyStore};
use switchboard_tests::fake_graph::Scripted;
use switchboard_tests::*;

const ADMIN: &str = "admin-token-for-tests";

struct Rig {
    services: Services,
    router: RouterDeps,
    queue: Arc<dyn Queue>,
    store: Arc<dyn Store>,
    fake_graph: switchboard_tests::fake_graph::FakeGraph,
    _guard: Box<dyn std::any::Any + Send>,
}

/// The adapters of one backend, and what must live as long as they do.
type Parts = (
    Arc<dyn Store>,
    Arc<dyn SecretStore>,
    Arc<dyn Queue>,
    Box<dyn std::any::Any + Send>,
);

#[derive(Clone, Copy)]
enum Backend {
    Embedded,
    Aws,
}

impl Rig {
    async fn new(
        backend: Backend,
        wrap_queue: impl FnOnce(Arc<dyn Queue>) -> Arc<dyn Queue>,
    ) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let config = switchboard_embedded::QueueConfig {
            visibility_timeout: Duration::from_secs(2),
            ..Default::default()
        };
        let (store, secrets, queue, guard): Parts = match backend {
            Backend::Embedded => {
                let e = redb_store();
                let q = local_queue(config);
                let secrets = file_secrets(e.dir.path());
                (
                    e.store.clone(),
                    secrets,
                    Arc::new(q.queue.clone()),
                    Box::new((e, q)),
                )
            }
            Backend::Aws => {
                let store = dynamo_store().await;
                let q = sqs_queue(config).await;
                (store, moto_secrets().await, Arc::new(q.queue), Box::new(()))
            }
        };
        seed_account(store.as_ref(), secrets.as_ref(), clock.as_ref()).await;
        let ingest_queue = wrap_queue(queue.clone());
        let fake_graph = switchboard_tests::fake_graph::FakeGraph::start().await;
        let graph = Arc::new(
            switchboard_graph::HttpGraph::new(&fake_graph.base, Duration::from_secs(2)).unwrap(),
        );
        let secrets_for_admin = secrets.clone();
        let services = Services {
            verify: VerifyDeps {
                accounts: store.clone(),
                clock: clock.clone(),
            },
            ingest: IngestDeps {
                accounts: store.clone(),
                secrets: secrets.clone(),
                queue: ingest_queue,
                clock: clock.clone(),
                cache: Arc::new(SecretCache::default()),
                streams: store.clone(),
                deletions: None,
            },
            admin: AdminDeps {
                channels: switchboard_core::channels::ChannelDeps {
                    graph: graph.clone(),
                    ..channel_deps(store.clone(), secrets_for_admin.clone(), clock.clone())
                },
                auth: AdminAuth::Bearer(secret(ADMIN)),
            },
            agent: switchboard_http::AgentDeps {
                channels: switchboard_core::channels::ChannelDeps {
                    graph,
                    ..channel_deps(store.clone(), secrets_for_admin.clone(), clock.clone())
                },
                auth: switchboard_http::AgentAuth::Tokens,
                settle: Duration::ZERO,
            },
            bot: switchboard_http::bot::BotDeps {
                channels: channel_deps(store.clone(), secrets_for_admin, clock.clone()),
            },
        };
        let router: RouterDeps = switchboard_tests::routing_deps(store.clone(), clock);
        Rig {
            services,
            router,
            queue,
            store,
            fake_graph,
            _guard: guard,
        }
    }

    async fn post(&self, body: &[u8]) -> http::Response<Bytes> {
        dispatch(&self.services, signed_post(ACCOUNT, body, APP_SECRET)).await
    }

    /// Consume the queue until it is empty, as the SQS event source mapping
    /// does: a batch as a Lambda `SqsEvent`, the failed ids reported back.
    async fn drain(&self, router: &RouterDeps) -> usize {
        let mut failures = 0;
        let mut idle = 0;
        while idle < 2 {
            let batch = self
                .queue
                .receive(10, Duration::from_millis(300))
                .await
                .unwrap();
            if batch.is_empty() {
                idle += 1;
                continue;
            }
            idle = 0;
            let records: Vec<serde_json::Value> = batch
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "messageId": m.message_id, "receiptHandle": m.receipt, "body": m.body,
                        "attributes": {"MessageGroupId": m.group, "ApproximateReceiveCount": m.receive_count.to_string()},
                        "eventSource": "aws:sqs"
                    })
                })
                .collect();
            let event: aws_lambda_events::event::sqs::SqsEvent =
                serde_json::from_value(serde_json::json!({ "Records": records })).unwrap();
            let resp = switchboard_aws::lambda::route_sqs_batch(router, event).await;
            let failed: Vec<String> = resp
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.clone())
                .collect();
            failures += failed.len();
            for m in &batch {
                if failed.contains(&m.message_id) {
                    self.queue
                        .release(&m.receipt, Duration::ZERO)
                        .await
                        .unwrap();
                } else {
                    self.queue.delete(&m.receipt).await.unwrap();
                }
            }
        }
        failures
    }

    async fn all_conversations(&self) -> Vec<switchboard_core::ports::Conversation> {
        self.store
            .list_conversations(&ConversationFilter {
                limit: Some(1000),
                ..Default::default()
            })
            .await
            .unwrap()
    }
}

fn fixture_events(name: &str) -> Vec<InboundEvent> {
    switchboard_core::ingest::split(
        &AccountId::parse(ACCOUNT).unwrap(),
        &fixture(name),
        Millis(0),
    )
    .unwrap()
}

/// Every fixture event is on a conversation of its (page, PSID) exactly
/// once, each conversation in timestamp order. A customer has one
/// conversation unless another app took the thread (`take_thread_control`
/// ends it), when their later activity opens the next.
async fn assert_each_event_once(rig: &Rig) {
    let mut expected: HashMap<(String, String), Vec<String>> = HashMap::new();
    for name in fixture_names() {
        for e in fixture_events(&name) {
            expected
                .entry((e.page_id.to_string(), e.psid.unwrap().to_string()))
                .or_default()
                .push(e.key);
        }
    }
    let convs = rig.all_conversations().await;
    let mut found: HashMap<(String, String), Vec<String>> = HashMap::new();
    for c in &convs {
        let tl = rig.store.timeline(&c.id).await.unwrap();
        assert!(
            tl.windows(2).all(|w| w[0].timestamp <= w[1].timestamp),
            "timestamp order"
        );
        found
            .entry((c.page_id.to_string(), c.psid.to_string()))
            .or_default()
            .extend(tl.iter().map(|e| e.key.clone()));
    }
    assert_eq!(
        found.keys().collect::<std::collections::BTreeSet<_>>(),
        expected.keys().collect::<std::collections::BTreeSet<_>>(),
        "a conversation for every (page, PSID), and no other"
    );
    let open_more_than_once = convs
        .iter()
        .filter(|c| c.state.is_open())
        .fold(HashMap::new(), |mut m: HashMap<_, usize>, c| {
            *m.entry((c.page_id.to_string(), c.psid.to_string()))
                .or_default() += 1;
            m
        })
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .count();
    assert_eq!(
        open_more_than_once, 0,
        "at most one open conversation per customer"
    );
    for (customer, mut keys) in found {
        let mut want = expected[&customer].clone();
        keys.sort();
        want.sort();
        assert_eq!(keys, want, "{customer:?} has each event once");
    }
}

async fn each_fixture_lands_once_on_its_conversation(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    for name in fixture_names() {
        let resp = rig.post(&fixture(&name)).await;
        assert_eq!(resp.status(), 200, "{name}: {:?}", body_json(&resp));
        assert_eq!(
            body_json(&resp)["events"],
            fixture_events(&name).len(),
            "{name}"
        );
    }
    assert_eq!(rig.drain(&rig.router).await, 0);
    assert_each_event_once(&rig).await;
}

async fn repeated_and_reordered_deliveries_store_each_event_once(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let mut names = fixture_names();
    names.reverse();
    for round in 0..3 {
        for name in &names {
            assert_eq!(
                rig.post(&fixture(name)).await.status(),
                200,
                "{name} round {round}"
            );
        }
        // Let the router run between rounds too, so later copies meet stored events.
        if round == 1 {
            rig.drain(&rig.router).await;
        }
    }
    rig.drain(&rig.router).await;
    assert_each_event_once(&rig).await;
}

async fn bad_signatures_are_refused_and_record_nothing(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let body = fixture("text-message.json");
    let wrong = dispatch(&rig.services, signed_post(ACCOUNT, &body, "not-the-secret")).await;
    let mut missing = signed_post(ACCOUNT, &body, APP_SECRET);
    missing.headers_mut().remove("x-hub-signature-256");
    let missing = dispatch(&rig.services, missing).await;
    let mut sha1 = signed_post(ACCOUNT, &body, APP_SECRET);
    sha1.headers_mut().remove("x-hub-signature-256");
    sha1.headers_mut().insert(
        "x-hub-signature",
        "sha1=0123456789abcdef0123456789abcdef01234567"
            .parse()
            .unwrap(),
    );
    let sha1 = dispatch(&rig.services, sha1).await;
    let mut altered = signed_post(ACCOUNT, &body, APP_SECRET);
    *altered.body_mut() = Bytes::from(
        String::from_utf8(body.clone())
            .unwrap()
            .replace("1042", "1043"),
    );
    let altered = dispatch(&rig.services, altered).await;
    for (what, r) in [
        ("wrong secret", wrong),
        ("missing", missing),
        ("sha1 only", sha1),
        ("altered body", altered),
    ] {
        assert_eq!(r.status(), 403, "{what}");
        assert_eq!(body_json(&r)["code"], "invalid_signature", "{what}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    assert!(
        rig.queue
            .receive(10, Duration::from_millis(300))
            .await
            .unwrap()
            .is_empty(),
        "nothing queued"
    );
    assert!(rig.all_conversations().await.is_empty(), "nothing stored");
}

async fn malformed_requests_get_clear_errors(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let unknown = dispatch(
        &rig.services,
        signed_post("nobody", &fixture("text-message.json"), APP_SECRET),
    )
    .await;
    assert_eq!(unknown.status(), 404);
    let big = vec![b' '; switchboard_core::ingest::MAX_BODY + 1];
    assert_eq!(rig.post(&big).await.status(), 413);
    let not_json = rig.post(b"{not json").await;
    assert_eq!(not_json.status(), 400);
    assert_eq!(body_json(&not_json)["code"], "invalid_payload");
    // Signed JSON of another shape is acknowledged and set aside (Meta
    // disables webhooks that keep failing); only non-JSON is refused.
    assert_eq!(
        rig.post(br#"{"object":"user","entry":[]}"#).await.status(),
        200
    );
    let queued = rig
        .queue
        .receive(10, Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(queued.len(), 1, "only the set-aside delivery is queued");
    let aside = switchboard_core::aside::SetAside::from_queue_body(&queued[0].body)
        .expect("a set-aside item")
        .unwrap();
    assert!(aside.reason.contains("\"user\""), "{}", aside.reason);
}

async fn queue_outage_answers_500_and_the_retry_lands_once(b: Backend) {
    // Three whole-call outages: every attempt of the first request fails.
    let rig = Rig::new(b, |q| Arc::new(FlakyQueue::new(q, 3, 0))).await;
    let body = fixture("batch-multi-entry.json");
    let first = rig.post(&body).await;
    assert_eq!(first.status(), 500, "every attempt failed: Meta must retry");
    assert_eq!(body_json(&first)["code"], "internal");
    let retry = rig.post(&body).await;
    assert_eq!(retry.status(), 200);
    rig.drain(&rig.router).await;
    let total: usize = {
        let mut n = 0;
        for c in rig.all_conversations().await {
            n += rig.store.timeline(&c.id).await.unwrap().len();
        }
        n
    };
    assert_eq!(total, 5);
}

async fn partially_failed_batch_is_retried_within_the_request(b: Backend) {
    let rig = Rig::new(b, |q| Arc::new(FlakyQueue::new(q, 0, 2))).await;
    let resp = rig.post(&fixture("batch-multi-entry.json")).await;
    assert_eq!(resp.status(), 200);
    rig.drain(&rig.router).await;
    let mut n = 0;
    for c in rig.all_conversations().await {
        n += rig.store.timeline(&c.id).await.unwrap().len();
    }
    assert_eq!(n, 5, "the entries the batch refused were sent again");
}

async fn failed_event_holds_back_its_group_only(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let flaky = Arc::new(FlakyStore {
        inner: rig.store.clone(),
        fail_appends: AtomicUsize::new(0),
        poison: Some("Are you there?".into()),
    });
    let mut router: RouterDeps =
        switchboard_tests::routing_deps(rig.store.clone(), Arc::new(SystemClock));
    router.conversations = flaky.clone();
    assert_eq!(
        rig.post(&fixture("batch-multi-entry.json")).await.status(),
        200
    );
    // First pass: customer 1's first message fails, so its later message
    // waits too; the other customers' events are stored.
    let batch = rig.queue.receive(10, Duration::from_secs(1)).await.unwrap();
    assert_eq!(
        batch.len(),
        5,
        "the five events of the delivery arrive in one batch"
    );
    let items: Vec<switchboard_core::router::BatchItem<'_>> = batch
        .iter()
        .map(switchboard_core::router::BatchItem::from)
        .collect();
    let failed = switchboard_core::router::process_batch(&router, &items).await;
    const HELD: &str = "104857600000001:7700000000000001";
    // Exactly customer 1's two messages are reported: the poisoned one and
    // the later one held back behind it; nothing of any other group.
    let mut failed_texts: Vec<String> = batch
        .iter()
        .filter(|m| failed.contains(&m.message_id))
        .map(|m| {
            assert_eq!(m.group, HELD, "only customer 1's group is held back");
            let ev: InboundEvent = serde_json::from_str(&m.body).unwrap();
            ev.text.unwrap_or_default()
        })
        .collect();
    failed_texts.sort();
    assert_eq!(failed_texts, ["Are you there?", "Hello??"]);
    assert_eq!(failed.len(), 2, "{failed:?}");
    // After the first pass: nothing of customer 1 is stored (a later
    // message stored early would read in order at the end anyway, since the
    // timeline is sorted by timestamp), and every other customer's
    // conversation exists with its event.
    let customer_1 = ConversationFilter {
        page_id: Some(PAGE_1.parse().unwrap()),
        psid: Some("7700000000000001".parse().unwrap()),
        ..Default::default()
    };
    assert!(
        rig.store
            .list_conversations(&customer_1)
            .await
            .unwrap()
            .is_empty(),
        "customer 1 has nothing stored after the failed pass"
    );
    let mut stored: Vec<(String, String, Vec<String>)> = Vec::new();
    for c in rig.all_conversations().await {
        let texts = rig
            .store
            .timeline(&c.id)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| e.text)
            .collect();
        stored.push((c.page_id.to_string(), c.psid.to_string(), texts));
    }
    stored.sort();
    assert_eq!(
        stored,
        [
            (
                PAGE_1.to_string(),
                "7700000000000002".to_string(),
                vec!["I want to return a jacket".to_string()]
            ),
            (
                PAGE_2.to_string(),
                "7700000000000002".to_string(),
                vec!["(seen while another app owns the thread)".to_string()]
            ),
            (
                PAGE_2.to_string(),
                "7700000000000003".to_string(),
                vec!["Do you ship to Denmark?".to_string()]
            ),
        ],
        "the other groups went through on the first pass"
    );
    for m in &batch {
        if failed.contains(&m.message_id) {
            rig.queue.release(&m.receipt, Duration::ZERO).await.unwrap();
        } else {
            rig.queue.delete(&m.receipt).await.unwrap();
        }
    }
    // The fault clears; the retry stores the rest, in order, once.
    assert_eq!(rig.drain(&rig.router).await, 0);
    let c = rig.store.list_conversations(&customer_1).await.unwrap();
    assert_eq!(c.len(), 1);
    let texts: Vec<String> = rig
        .store
        .timeline(&c[0].id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.text)
        .collect();
    assert_eq!(texts, ["Are you there?", "Hello??"]);
    assert_eq!(rig.all_conversations().await.len(), 4);
}

async fn webhook_verification_handshake(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let ok = dispatch(
        &rig.services,
        get(&format!("/webhooks/facebook/acme?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"), None),
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.body().as_ref(), b"1158201444");
    let acct = rig
        .store
        .get_account(&AccountId::parse(ACCOUNT).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        acct.webhook_verified_at.is_some(),
        "verification time recorded"
    );
    for (uri, status) in [
        (
            "/webhooks/facebook/acme?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
            403,
        ),
        (
            &format!(
                "/webhooks/facebook/acme?hub.mode=unsubscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"
            ),
            403,
        ),
        (
            &format!("/webhooks/facebook/acme?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}"),
            403,
        ),
        (
            &format!(
                "/webhooks/facebook/nobody?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1"
            ),
            404,
        ),
    ] {
        assert_eq!(
            dispatch(&rig.services, get(uri, None)).await.status(),
            status,
            "{uri}"
        );
    }
}

async fn admin_read_api(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    assert_eq!(
        rig.post(&fixture("batch-multi-entry.json")).await.status(),
        200
    );
    rig.drain(&rig.router).await;
    let unauth = dispatch(&rig.services, get("/admin/v1/conversations", None)).await;
    assert_eq!(unauth.status(), 401);
    assert_eq!(
        dispatch(&rig.services, get("/admin/v1/conversations", Some("wrong")))
            .await
            .status(),
        401
    );
    let list = dispatch(
        &rig.services,
        get(
            "/admin/v1/conversations?page_id=104857600000002",
            Some(ADMIN),
        ),
    )
    .await;
    assert_eq!(list.status(), 200);
    let convs = body_json(&list)["conversations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(convs.len(), 2);
    for c in &convs {
        for field in [
            "id",
            "page_id",
            "psid",
            "contact_id",
            "state",
            "last_customer_message_at",
        ] {
            assert!(!c[field].is_null(), "{field} in {c}");
        }
        assert_eq!(c["state"], "waiting");
        assert_eq!(c["page_id"], "104857600000002", "only that page's");
    }
    assert!(
        body_json(&list)["next_cursor"].is_null(),
        "one page holds them"
    );
    // A page at a time: the same two, newest first, then no cursor.
    let mut paged = Vec::new();
    let mut uri = "/admin/v1/conversations?page_id=104857600000002&limit=1".to_string();
    loop {
        let r = dispatch(&rig.services, get(&uri, Some(ADMIN))).await;
        assert_eq!(r.status(), 200, "{uri}");
        let b = body_json(&r);
        paged.extend(b["conversations"].as_array().unwrap().iter().cloned());
        match b["next_cursor"].as_str() {
            Some(c) => {
                uri = format!("/admin/v1/conversations?page_id=104857600000002&limit=1&cursor={c}")
            }
            None => break,
        }
        assert!(paged.len() <= 2, "paging ends");
    }
    assert_eq!(paged, convs, "the pages hold the list, in its order");
    let one = convs
        .iter()
        .find(|c| c["psid"] == "7700000000000002")
        .unwrap();
    assert_eq!(one["last_customer_message_at"], "2025-11-24T16:01:00.150Z");
    let tl = dispatch(
        &rig.services,
        get(
            &format!(
                "/admin/v1/conversations/{}/timeline",
                one["id"].as_str().unwrap()
            ),
            Some(ADMIN),
        ),
    )
    .await;
    assert_eq!(tl.status(), 200);
    let ev = &body_json(&tl)["events"][0];
    assert_eq!(ev["kind"], "message");
    assert_eq!(ev["timestamp"], 1764000060150i64);
    assert_eq!(ev["mid"], "m_batch_0005");
    assert_eq!(ev["channel"], "standby");
    assert_eq!(ev["text"], "(seen while another app owns the thread)");
    for (uri, status) in [
        ("/admin/v1/conversations?state=bogus", 400),
        ("/admin/v1/conversations?page_id=abc", 400),
        ("/admin/v1/conversations?colour=red", 400),
        ("/admin/v1/conversations?cursor=%25%25", 400),
        ("/admin/v1/conversations?cursor=AP8", 400),
        ("/admin/v1/conversations?limit=201", 400),
        ("/admin/v1/conversations/cv_unknown/timeline", 404),
        ("/admin/v1/nothing", 404),
    ] {
        let r = dispatch(&rig.services, get(uri, Some(ADMIN))).await;
        assert_eq!(r.status(), status, "{uri}");
        assert!(
            !body_json(&r)["detail"].as_str().unwrap_or("").is_empty(),
            "{uri} explains itself"
        );
    }
    let closed = dispatch(
        &rig.services,
        get("/admin/v1/conversations?state=closed", Some(ADMIN)),
    )
    .await;
    assert_eq!(
        body_json(&closed)["conversations"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

fn send(method: &str, uri: &str, body: serde_json::Value) -> http::Request<Bytes> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {ADMIN}"))
        .header("content-type", "application/json")
        .body(Bytes::from(body.to_string()))
        .unwrap()
}

const NEW_SECRET: &str = "globex-app-secret-0123456789";
const GOOD_TOKEN: &str = "EAAB-globex-page-token-good";

/// Meta's debug_token answer for a good page token of `page`.
fn debug_ok(page: &str) -> Scripted {
    let in_80_days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 80 * 24 * 3600;
    Scripted::ok(serde_json::json!({"data": {
        "app_id": "900000000000007", "type": "PAGE", "is_valid": true, "expires_at": 0,
        "data_access_expires_at": in_80_days, "scopes": ["pages_messaging", "pages_manage_metadata"], "profile_id": page
    }}))
}

fn subscribed_ours() -> Scripted {
    Scripted::ok(
        serde_json::json!({"data": [{"id": "900000000000007", "subscribed_fields": switchboard_core::graph::SUBSCRIBED_FIELDS}]}),
    )
}

/// Create the Globex account through the API; returns (id, verify token).
async fn create_globex(rig: &Rig) -> (String, String) {
    let r = dispatch(
        &rig.services,
        send("POST", "/admin/v1/accounts", serde_json::json!({"name": "Globex Facebook", "app_id": "900000000000007", "app_secret": NEW_SECRET})),
    )
    .await;
    assert_eq!(r.status(), 201, "{:?}", body_json(&r));
    let b = body_json(&r);
    (
        b["id"].as_str().unwrap().to_string(),
        b["verify_token"].as_str().unwrap().to_string(),
    )
}

/// Script Meta to find `page`'s token good and our app subscribed to it.
fn script_healthy_page(rig: &Rig, page: &str) {
    rig.fake_graph
        .script("GET", "debug_token", vec![debug_ok(page)]);
    rig.fake_graph.script(
        "GET",
        &format!("{page}/subscribed_apps"),
        vec![subscribed_ours()],
    );
}

/// An administrator enters `token` as the page token of `page`.
async fn put_page_token(
    rig: &Rig,
    account: &str,
    page: &str,
    token: &str,
) -> http::Response<Bytes> {
    let uri = format!("/admin/v1/accounts/{account}/pages/{page}/token");
    let body = serde_json::json!({"access_token": token});
    dispatch(&rig.services, send("PUT", &uri, body)).await
}

/// An administrator asks to check `page` now.
async fn check_page(rig: &Rig, account: &str, page: &str) -> http::Response<Bytes> {
    let uri = format!("/admin/v1/accounts/{account}/pages/{page}/check");
    dispatch(&rig.services, send("POST", &uri, serde_json::json!({}))).await
}

/// The open alerts that concern `page`.
async fn alerts_of(rig: &Rig, page: &str) -> Vec<serde_json::Value> {
    let alerts = body_json(&dispatch(&rig.services, get("/admin/v1/alerts", Some(ADMIN))).await);
    alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["page_id"] == page)
        .cloned()
        .collect()
}

async fn add_globex_page(rig: &Rig, account: &str, page: &str) -> serde_json::Value {
    script_healthy_page(rig, page);
    let r = dispatch(
        &rig.services,
        send(
            "POST",
            &format!("/admin/v1/accounts/{account}/pages"),
            serde_json::json!({"page_id": page, "name": "Globex Help", "access_token": GOOD_TOKEN}),
        ),
    )
    .await;
    assert_eq!(r.status(), 201, "{:?}", body_json(&r));
    body_json(&r)
}

async fn connecting_breaking_and_fixing_a_page(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let (id, verify_token) = create_globex(&rig).await;
    assert_eq!(id, "globex-facebook");
    assert!(verify_token.len() >= 32);
    let acct = body_json(
        &dispatch(
            &rig.services,
            get(&format!("/admin/v1/accounts/{id}"), Some(ADMIN)),
        )
        .await,
    );
    assert_eq!(
        acct["callback_url"],
        "https://switchboard.example/webhooks/facebook/globex-facebook"
    );
    assert!(
        acct.get("verify_token").is_none(),
        "the verify token is shown once"
    );
    // Meta's handshake works with the token shown at creation.
    let hs = dispatch(&rig.services, get(&format!("/webhooks/facebook/{id}?hub.mode=subscribe&hub.verify_token={verify_token}&hub.challenge=7"), None)).await;
    assert_eq!(hs.status(), 200);

    let page = add_globex_page(&rig, &id, "104857600000009").await;
    assert_eq!(page["provisioning"]["state"], "running", "{page}");
    assert!(page["webhook_verified_at"].is_string());

    // Break the token: Meta says it is not valid.
    rig.fake_graph.script("GET", "debug_token", vec![Scripted::ok(serde_json::json!({"data": {"is_valid": false, "app_id": "900000000000007", "type": "PAGE", "profile_id": "104857600000009", "scopes": []}}))]);
    let broken = put_page_token(&rig, &id, "104857600000009", "EAAB-revoked").await;
    assert_eq!(broken.status(), 200);
    let broken = body_json(&broken);
    assert_eq!(broken["provisioning"]["state"], "error");
    assert!(
        broken["provisioning"]["reason"]
            .as_str()
            .unwrap()
            .contains("re-enter the page token"),
        "{broken}"
    );

    let mine = alerts_of(&rig, "104857600000009").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["kind"], "page_error");

    // Fix it.
    script_healthy_page(&rig, "104857600000009");
    let fixed = put_page_token(&rig, &id, "104857600000009", GOOD_TOKEN).await;
    assert_eq!(body_json(&fixed)["provisioning"]["state"], "running");
    let listed = body_json(
        &dispatch(
            &rig.services,
            get(&format!("/admin/v1/accounts/{id}/pages"), Some(ADMIN)),
        )
        .await,
    );
    assert_eq!(listed["pages"].as_array().unwrap().len(), 1);
    let alerts = alerts_of(&rig, "104857600000009").await;
    assert!(alerts.is_empty(), "{alerts:?}");

    // A token whose data access ends within 14 days is flagged before agents notice.
    let soon = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3 * 24 * 3600;
    rig.fake_graph.script("GET", "debug_token", vec![Scripted::ok(serde_json::json!({"data": {
        "app_id": "900000000000007", "type": "PAGE", "is_valid": true, "expires_at": 0, "data_access_expires_at": soon,
        "scopes": ["pages_messaging", "pages_manage_metadata"], "profile_id": "104857600000009"}}))]);
    rig.fake_graph.script(
        "GET",
        "104857600000009/subscribed_apps",
        vec![subscribed_ours()],
    );
    let r = put_page_token(&rig, &id, "104857600000009", GOOD_TOKEN).await;
    assert_eq!(body_json(&r)["provisioning"]["state"], "running");
    let alerts = alerts_of(&rig, "104857600000009").await;
    assert!(
        alerts.iter().any(|a| a["kind"] == "data_access_expiring"),
        "{alerts:?}"
    );

    // No response carried a secret, and Meta got the page token in a header,
    // except where its API takes it as a parameter (debug_token's input_token).
    for r in rig.fake_graph.requests() {
        assert!(!r.path.contains(GOOD_TOKEN));
        assert!(
            r.path == "debug_token" || !r.query.contains(GOOD_TOKEN),
            "{} {}",
            r.method,
            r.path
        );
    }
    for uri in [
        format!("/admin/v1/accounts/{id}"),
        "/admin/v1/accounts".into(),
        format!("/admin/v1/accounts/{id}/pages"),
    ] {
        let text = String::from_utf8(
            dispatch(&rig.services, get(&uri, Some(ADMIN)))
                .await
                .body()
                .to_vec(),
        )
        .unwrap();
        for secret in [
            NEW_SECRET,
            GOOD_TOKEN,
            "EAAB-revoked",
            verify_token.as_str(),
            APP_SECRET,
        ] {
            assert!(!text.contains(secret), "{uri} leaks a secret");
        }
    }
}

/// A page subscribed without optional webhook fields runs, and the alerts
/// say so as a warning (not an error); fully subscribed again, it is gone.
async fn a_page_running_without_optional_fields_raises_a_warning_alert(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let (id, _) = create_globex(&rig).await;
    rig.fake_graph
        .script("GET", "debug_token", vec![debug_ok("104857600000009")]);
    rig.fake_graph.script(
        "GET",
        "104857600000009/subscribed_apps",
        vec![Scripted::ok(
            serde_json::json!({"data": [{"id": "900000000000007", "subscribed_fields": ["messages", "message_echoes"]}]}),
        )],
    );
    let r = dispatch(
        &rig.services,
        send(
            "POST",
            &format!("/admin/v1/accounts/{id}/pages"),
            serde_json::json!({"page_id": "104857600000009", "name": "Globex Help", "access_token": GOOD_TOKEN}),
        ),
    )
    .await;
    let page = body_json(&r);
    assert_eq!(page["provisioning"]["state"], "running", "{page}");
    assert!(
        page["provisioning"]["reason"]
            .as_str()
            .unwrap()
            .contains("standby"),
        "{page}"
    );
    let mine = alerts_of(&rig, "104857600000009").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["kind"], "page_warning");
    assert!(
        mine[0]["message"].as_str().unwrap().contains("standby"),
        "{mine:?}"
    );

    script_healthy_page(&rig, "104857600000009");
    // Fixed in Meta, "check now" provisions it again with the stored token.
    let r = check_page(&rig, &id, "104857600000009").await;
    assert_eq!(r.status(), 200);
    let checked = body_json(&r);
    assert_eq!(checked["provisioning"]["state"], "running", "{checked}");
    assert!(checked["provisioning"].get("reason").is_none(), "{checked}");
    let debugged = rig
        .fake_graph
        .requests()
        .into_iter()
        .filter(|q| q.path == "debug_token")
        .count();
    assert_eq!(debugged, 2, "checked with the stored token");
    let r = check_page(&rig, &id, "104857600000404").await;
    assert_eq!(r.status(), 404);
    let alerts = alerts_of(&rig, "104857600000009").await;
    assert!(alerts.is_empty(), "{alerts:?}");
}

async fn a_page_belongs_to_one_channel(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let (id, _) = create_globex(&rig).await;
    // 104857600000001 is already on account acme (seeded).
    let r = dispatch(
        &rig.services,
        send(
            "POST",
            &format!("/admin/v1/accounts/{id}/pages"),
            serde_json::json!({"page_id": PAGE_1, "name": "Taken", "access_token": GOOD_TOKEN}),
        ),
    )
    .await;
    assert_eq!(r.status(), 409);
    assert!(body_json(&r)["detail"].as_str().unwrap().contains("acme"));
    assert!(
        rig.fake_graph.requests().is_empty(),
        "nothing was provisioned"
    );
    let again = dispatch(
        &rig.services,
        send(
            "POST",
            "/admin/v1/accounts",
            serde_json::json!({"id": id, "name": "Dup", "app_id": "1", "app_secret": "x"}),
        ),
    )
    .await;
    assert_eq!(again.status(), 409);
}

async fn removing_a_page_closes_its_conversations_and_keeps_history(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let (id, _) = create_globex(&rig).await;
    add_globex_page(&rig, &id, "104857600000009").await;
    let delivery = br#"{"object":"page","entry":[{"id":"104857600000009","time":1764000000100,"messaging":[{"sender":{"id":"7700000000000042"},"recipient":{"id":"104857600000009"},"timestamp":1764000000000,"message":{"mid":"m_globex_1","text":"Hello Globex"}}]}]}"#;
    let r = dispatch(&rig.services, signed_post(&id, delivery, NEW_SECRET)).await;
    assert_eq!(r.status(), 200);
    rig.drain(&rig.router).await;

    let removed = dispatch(
        &rig.services,
        send(
            "DELETE",
            &format!("/admin/v1/accounts/{id}/pages/104857600000009"),
            serde_json::json!({}),
        ),
    )
    .await;
    assert_eq!(removed.status(), 200);
    let removed = body_json(&removed);
    assert_eq!(removed["provisioning"]["state"], "deprovisioned");
    assert!(
        removed["provisioning"]["reason"]
            .as_str()
            .unwrap()
            .contains("1 open conversation(s) closed"),
        "{removed}"
    );
    let unsub = rig
        .fake_graph
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .expect("unsubscribed at Meta");
    assert_eq!(
        unsub.authorization.as_deref(),
        Some(&*format!("Bearer {GOOD_TOKEN}"))
    );

    let convs = rig
        .store
        .list_conversations(&ConversationFilter {
            page_id: Some("104857600000009".parse().unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(convs.len(), 1);
    assert_eq!(
        convs[0].state,
        switchboard_core::ports::ConversationState::Closed
    );
    let transcript = rig.store.timeline(&convs[0].id).await.unwrap();
    assert_eq!(
        transcript.len(),
        2,
        "the transcript is kept, with a system note"
    );
    assert_eq!(transcript[0].text.as_deref(), Some("Hello Globex"));
    assert_eq!(
        transcript[1].kind,
        switchboard_core::event::EventKind::System
    );
    assert!(
        transcript[1]
            .text
            .as_deref()
            .unwrap()
            .contains("page was removed")
    );
    assert!(
        rig.store
            .get_contact(&convs[0].contact_id)
            .await
            .unwrap()
            .is_some(),
        "the contact is kept"
    );
    let gone = dispatch(
        &rig.services,
        get(
            &format!("/admin/v1/accounts/{id}/pages/104857600000009"),
            Some(ADMIN),
        ),
    )
    .await;
    assert_eq!(gone.status(), 404);
    // The page can be connected again.
    add_globex_page(&rig, &id, "104857600000009").await;

    // Removing the account removes its pages the same way.
    let del = dispatch(
        &rig.services,
        send(
            "DELETE",
            &format!("/admin/v1/accounts/{id}"),
            serde_json::json!({}),
        ),
    )
    .await;
    assert_eq!(del.status(), 204, "{:?}", body_json(&del));
    assert_eq!(
        dispatch(
            &rig.services,
            get(&format!("/admin/v1/accounts/{id}"), Some(ADMIN))
        )
        .await
        .status(),
        404
    );
    let page = rig
        .store
        .get_page(&"104857600000009".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        page.provisioning.state,
        switchboard_core::provisioning::ProvisioningState::Deprovisioned
    );
}

async fn channel_requests_with_bad_input_get_clear_errors(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let cases = [
        (
            "POST",
            "/admin/v1/accounts".to_string(),
            serde_json::json!({"name": "X", "app_id": "12ab", "app_secret": "s"}),
            400,
            "invalid_body",
        ),
        (
            "POST",
            "/admin/v1/accounts".to_string(),
            serde_json::json!({"name": "X", "app_id": "1"}),
            400,
            "invalid_body",
        ),
        (
            "POST",
            "/admin/v1/accounts".to_string(),
            serde_json::json!({"name": "X", "app_id": "1", "app_secret": "s", "colour": "red"}),
            400,
            "invalid_body",
        ),
        (
            "POST",
            "/admin/v1/accounts".to_string(),
            serde_json::json!({"name": " ", "app_id": "1", "app_secret": "s"}),
            422,
            "invalid_name",
        ),
        (
            "POST",
            "/admin/v1/accounts/nobody/pages".to_string(),
            serde_json::json!({"page_id": "1", "name": "P", "access_token": "t"}),
            404,
            "not_found",
        ),
        (
            "POST",
            "/admin/v1/accounts/acme/pages".to_string(),
            serde_json::json!({"page_id": "abc", "name": "P", "access_token": "t"}),
            400,
            "invalid_body",
        ),
        (
            "PUT",
            "/admin/v1/accounts/acme/pages/104857600000077/token".to_string(),
            serde_json::json!({"access_token": "t"}),
            404,
            "not_found",
        ),
        (
            "PATCH",
            "/admin/v1/accounts/acme".to_string(),
            serde_json::json!({"app_secret": ""}),
            422,
            "invalid_app_secret",
        ),
    ];
    for (m, uri, body, status, code) in cases {
        let r = dispatch(&rig.services, send(m, &uri, body.clone())).await;
        assert_eq!(r.status(), status, "{m} {uri} {body}");
        assert_eq!(
            body_json(&r)["code"],
            code,
            "{m} {uri} {body}: {:?}",
            body_json(&r)
        );
    }
    // Graph slow: the request gives up at the client's timeout (2 s, see
    // Rig::new) instead of waiting for Meta's answer, and the page waits in
    // provisioning with a reason. Meta is scripted to answer after 60 s,
    // and the bound is 30 s: generous for a moto shared with parallel tests,
    // and far below the scripted delay, so waiting for the answer fails.
    const GRAPH_DELAY: Duration = Duration::from_secs(60);
    const BOUND: Duration = Duration::from_secs(30);
    rig.fake_graph.script(
        "GET",
        "debug_token",
        vec![Scripted::ok(serde_json::json!({})).after(GRAPH_DELAY)],
    );
    let started = std::time::Instant::now();
    let r = tokio::time::timeout(
        BOUND,
        dispatch(&rig.services, send("POST", "/admin/v1/accounts/acme/pages", serde_json::json!({"page_id": "104857600000005", "name": "Slow", "access_token": "EAAB-slow"}))),
    )
    .await
    .unwrap_or_else(|_| panic!("the request waited {BOUND:?} for a Graph API that answers after {GRAPH_DELAY:?}"));
    let took = started.elapsed();
    assert_eq!(r.status(), 201, "{:?}", body_json(&r));
    let v = body_json(&r);
    assert_eq!(v["provisioning"]["state"], "provisioning", "{v}");
    let reason = v["provisioning"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("Checking the page token") && reason.contains("try again"),
        "took {took:?}: {v}"
    );
    assert_eq!(
        rig.fake_graph
            .requests()
            .iter()
            .filter(|q| q.path == "debug_token")
            .count(),
        1,
        "one attempt within the request"
    );
}

async fn token_health_check_finds_a_revoked_token_a_day_later(b: Backend) {
    use switchboard_core::channels::check_tokens;
    let rig = Rig::new(b, |q| q).await;
    let (id, _) = create_globex(&rig).await;
    add_globex_page(&rig, &id, "104857600000009").await;
    let mut ch = rig.services.admin.channels.clone();

    // Checked just now: not due.
    let r = check_tokens(&ch.pages()).await.unwrap();
    assert_eq!((r.checked, r.retried), (0, 0));

    // A day later Meta no longer accepts the token.
    ch.clock = Arc::new(switchboard_core::ManualClock::new(Millis(
        rig.services.admin.channels.clock.now().0 + 25 * 3600 * 1000,
    )));
    rig.fake_graph.script(
        "GET",
        "debug_token",
        vec![Scripted::error(
            400,
            190,
            Some(460),
            "The session has been invalidated because the user changed their password",
        )],
    );
    let r = check_tokens(&ch.pages()).await.unwrap();
    assert_eq!((r.checked, r.failed), (1, 1), "{r:?}");
    let page = body_json(
        &dispatch(
            &rig.services,
            get(
                &format!("/admin/v1/accounts/{id}/pages/104857600000009"),
                Some(ADMIN),
            ),
        )
        .await,
    );
    assert_eq!(page["provisioning"]["state"], "error");
    assert_eq!(page["provisioning"]["code"], 190);
    assert!(
        page["provisioning"]["reason"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{page}"
    );
    let alerts = alerts_of(&rig, "104857600000009").await;
    assert!(
        alerts.iter().any(|a| a["kind"] == "page_error"),
        "{alerts:?}"
    );
    // Pages in error wait for an administrator; the check leaves them be.
    assert_eq!(check_tokens(&ch.pages()).await.unwrap().checked, 0);
}

async fn a_page_left_provisioning_by_an_outage_is_retried(b: Backend) {
    use switchboard_core::channels::check_tokens;
    let rig = Rig::new(b, |q| q).await;
    let (id, _) = create_globex(&rig).await;
    rig.fake_graph.script(
        "GET",
        "debug_token",
        vec![Scripted::error(
            503,
            2,
            None,
            "Service temporarily unavailable",
        )],
    );
    let r = dispatch(&rig.services, send("POST", &format!("/admin/v1/accounts/{id}/pages"), serde_json::json!({"page_id": "104857600000009", "name": "Globex Help", "access_token": GOOD_TOKEN}))).await;
    assert_eq!(body_json(&r)["provisioning"]["state"], "provisioning");
    script_healthy_page(&rig, "104857600000009");
    let report = check_tokens(&rig.services.admin.channels.pages())
        .await
        .unwrap();
    assert_eq!((report.retried, report.now_running), (1, 1), "{report:?}");
    let page = body_json(
        &dispatch(
            &rig.services,
            get(
                &format!("/admin/v1/accounts/{id}/pages/104857600000009"),
                Some(ADMIN),
            ),
        )
        .await,
    );
    assert_eq!(page["provisioning"]["state"], "running");
}

async fn workstreams_hold_channel_settings_and_own_their_pages(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let post = |body: serde_json::Value| send("POST", "/admin/v1/workstreams", body);
    let r = dispatch(&rig.services, post(serde_json::json!({"name": "Support DK", "pages": [PAGE_1], "locale": "da_dk", "features": {"human_agent_tag": true}}))).await;
    assert_eq!(r.status(), 201, "{:?}", body_json(&r));
    let ws = body_json(&r);
    assert_eq!(ws["id"], "support-dk");
    assert_eq!(ws["locale"], "da-DK");
    assert_eq!(
        ws["features"],
        serde_json::json!({"customer_attachments": true, "agent_attachments": true, "human_agent_tag": true})
    );

    let taken = dispatch(
        &rig.services,
        post(serde_json::json!({"name": "Sales", "pages": [PAGE_1], "locale": "en"})),
    )
    .await;
    assert_eq!(taken.status(), 409);
    assert!(
        body_json(&taken)["detail"]
            .as_str()
            .unwrap()
            .contains("support-dk")
    );
    let unknown = dispatch(
        &rig.services,
        post(serde_json::json!({"name": "Ghost", "pages": ["104857600000077"], "locale": "en"})),
    )
    .await;
    assert_eq!(
        (
            unknown.status().as_u16(),
            body_json(&unknown)["code"].clone()
        ),
        (422, serde_json::json!("unknown_page"))
    );
    let bad_locale = dispatch(
        &rig.services,
        post(serde_json::json!({"name": "X", "locale": "english"})),
    )
    .await;
    assert_eq!(bad_locale.status(), 400);
    let typo = dispatch(
        &rig.services,
        post(serde_json::json!({"name": "X", "locale": "en", "features": {"human_agent": true}})),
    )
    .await;
    assert_eq!(typo.status(), 400);

    let moved = dispatch(
        &rig.services,
        send(
            "PATCH",
            "/admin/v1/workstreams/support-dk",
            serde_json::json!({"pages": [PAGE_2], "features": {"agent_attachments": false}}),
        ),
    )
    .await;
    assert_eq!(moved.status(), 200);
    assert_eq!(body_json(&moved)["features"]["agent_attachments"], false);
    let sales = dispatch(
        &rig.services,
        post(
            serde_json::json!({"id": "sales", "name": "Sales", "pages": [PAGE_1], "locale": "en"}),
        ),
    )
    .await;
    assert_eq!(sales.status(), 201, "page 1 was released");
    let list = body_json(&dispatch(&rig.services, get("/admin/v1/workstreams", Some(ADMIN))).await);
    assert_eq!(list["workstreams"].as_array().unwrap().len(), 2);
    let del = dispatch(
        &rig.services,
        send(
            "DELETE",
            "/admin/v1/workstreams/sales",
            serde_json::json!({}),
        ),
    )
    .await;
    assert_eq!(del.status(), 204);
    assert_eq!(
        dispatch(
            &rig.services,
            get("/admin/v1/workstreams/sales", Some(ADMIN))
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        rig.store
            .workstream_of_page(&PAGE_1.parse().unwrap())
            .await
            .unwrap(),
        None
    );
}

async fn applying_a_configuration_twice_changes_nothing_the_second_time(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let apply = |body: serde_json::Value, dry: bool| {
        send(
            "POST",
            if dry {
                "/admin/v1/apply?dry_run=true"
            } else {
                "/admin/v1/apply"
            },
            body,
        )
    };
    let changes = |r: &http::Response<Bytes>| -> Vec<String> {
        body_json(r)["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect()
    };
    let mut desired = serde_json::json!({"accounts": [{
        "id": "shop", "name": "Shop", "app_id": "900000000000001", "app_secret": "shop-secret-0001",
        "verify_token": "shop-verify-token-0123456789",
        "pages": [{"page_id": "104857600000009", "name": "Shop Help", "access_token": "EAAB-page-104857600000009"}]
    }]});
    let dry = dispatch(&rig.services, apply(desired.clone(), true)).await;
    assert_eq!(dry.status(), 200, "{:?}", body_json(&dry));
    assert_eq!(
        changes(&dry),
        [
            "remove account acme",
            "create account shop",
            "connect page 104857600000009 to account shop"
        ]
    );
    assert!(
        rig.store
            .get_account(&"acme".parse().unwrap())
            .await
            .unwrap()
            .is_some(),
        "a dry run changes nothing"
    );

    let done = dispatch(&rig.services, apply(desired.clone(), false)).await;
    assert_eq!(changes(&done), changes(&dry));
    assert!(
        body_json(&done).get("not_running").is_none(),
        "{:?}",
        body_json(&done)
    );
    let again = dispatch(&rig.services, apply(desired.clone(), false)).await;
    assert!(
        changes(&again).is_empty(),
        "second apply: {:?}",
        changes(&again)
    );

    desired["accounts"][0]["pages"][0]["name"] = "Shop Support".into();
    desired["accounts"][0]["app_secret"] = "shop-secret-0002".into();
    desired["workstreams"] = serde_json::json!([{"id": "support", "name": "Support", "pages": ["104857600000009"], "locale": "da"}]);
    let edited = dispatch(&rig.services, apply(desired.clone(), false)).await;
    assert_eq!(
        changes(&edited),
        [
            "replace account shop's app secret",
            "rename page 104857600000009 to \"Shop Support\"",
            "create workstream support"
        ]
    );
    assert!(changes(&dispatch(&rig.services, apply(desired.clone(), false)).await).is_empty());
    // The new secret is the one that verifies deliveries now.
    let delivery = fixture("text-message.json");
    let body = String::from_utf8(delivery)
        .unwrap()
        .replace("104857600000001", "104857600000009");
    assert_eq!(
        dispatch(
            &rig.services,
            signed_post("shop", body.as_bytes(), "shop-secret-0002")
        )
        .await
        .status(),
        200
    );

    let exported = body_json(&dispatch(&rig.services, get("/admin/v1/export", Some(ADMIN))).await);
    assert_eq!(exported["accounts"][0]["pages"][0]["name"], "Shop Support");
    assert_eq!(exported["workstreams"][0]["id"], "support");
    assert!(
        !exported.to_string().contains("shop-secret"),
        "no secret in the export"
    );

    desired["accounts"][0]["pages"] = serde_json::json!([]);
    desired["workstreams"] = serde_json::json!([]);
    let removed = dispatch(&rig.services, apply(desired, false)).await;
    assert_eq!(
        changes(&removed),
        [
            "remove workstream support",
            "remove page 104857600000009 from account shop"
        ]
    );
}

async fn a_token_error_on_a_send_moves_the_page_to_error_at_once(b: Backend) {
    let rig = Rig::new(b, |q| q).await;
    let (id, _) = create_globex(&rig).await;
    add_globex_page(&rig, &id, "104857600000009").await;
    let ch = &rig.services.admin.channels;
    let page: switchboard_core::ids::PageId = "104857600000009".parse().unwrap();
    let token = switchboard_core::Secret::new(GOOD_TOKEN);
    let body = serde_json::json!({"recipient": {"id": "7700000000000042"}, "messaging_type": "RESPONSE", "message": {"text": "Hi"}});

    // A rate limit is not the page's fault: nothing changes.
    rig.fake_graph.script(
        "POST",
        "104857600000009/messages",
        vec![Scripted::error(400, 613, None, "rate limited")],
    );
    let e = ch
        .graph
        .send_message(&page, &token, &body)
        .await
        .unwrap_err();
    assert!(
        !switchboard_core::channels::report_graph_error(&ch.pages(), &page, &e)
            .await
            .unwrap()
    );
    assert_eq!(
        rig.store
            .get_page(&page)
            .await
            .unwrap()
            .unwrap()
            .provisioning
            .state,
        switchboard_core::provisioning::ProvisioningState::Running
    );

    // 190 on a send: the page is in error at once, with an alert.
    rig.fake_graph.script(
        "POST",
        "104857600000009/messages",
        vec![Scripted::error(
            400,
            190,
            Some(467),
            "Invalid OAuth access token.",
        )],
    );
    let e = ch
        .graph
        .send_message(&page, &token, &body)
        .await
        .unwrap_err();
    assert!(
        switchboard_core::channels::report_graph_error(&ch.pages(), &page, &e)
            .await
            .unwrap()
    );
    let view = body_json(
        &dispatch(
            &rig.services,
            get(
                &format!("/admin/v1/accounts/{id}/pages/104857600000009"),
                Some(ADMIN),
            ),
        )
        .await,
    );
    assert_eq!(view["provisioning"]["state"], "error");
    assert_eq!(
        (
            view["provisioning"]["code"].as_i64(),
            view["provisioning"]["subcode"].as_i64()
        ),
        (Some(190), Some(467))
    );
    let alerts = alerts_of(&rig, "104857600000009").await;
    assert!(
        alerts.iter().any(|a| a["kind"] == "page_error"),
        "{alerts:?}"
    );
}

macro_rules! suite {
    ($backend:ident, $b:expr) => {
        mod $backend {
            use super::*;
            suite!(@case $b; each_fixture_lands_once_on_its_conversation,
                repeated_and_reordered_deliveries_store_each_event_once,
                bad_signatures_are_refused_and_record_nothing, malformed_requests_get_clear_errors,
                queue_outage_answers_500_and_the_retry_lands_once,
                partially_failed_batch_is_retried_within_the_request, failed_event_holds_back_its_group_only,
                webhook_verification_handshake, admin_read_api, connecting_breaking_and_fixing_a_page,
                a_page_belongs_to_one_channel, a_page_running_without_optional_fields_raises_a_warning_alert,
                removing_a_page_closes_its_conversations_and_keeps_history,
                channel_requests_with_bad_input_get_clear_errors, token_health_check_finds_a_revoked_token_a_day_later,
                a_page_left_provisioning_by_an_outage_is_retried, workstreams_hold_channel_settings_and_own_their_pages,
                applying_a_configuration_twice_changes_nothing_the_second_time,
                a_token_error_on_a_send_moves_the_page_to_error_at_once);
        }
    };
    (@case $b:expr; $($case:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case($b).await;
            }
        )*
    };
}

suite!(embedded, Backend::Embedded);
suite!(aws, Backend::Aws);
