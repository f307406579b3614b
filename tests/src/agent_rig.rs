//! The rig of the agent-API tests: one store (redb or moto) with the test
//! account, routing applied, the fake Graph API, the services serve wires,
//! and the steps the tests take through them (a customer writes, Meta
//! delivers, the sender drains the outbound queue, tokens are issued).

use crate::fake_graph::FakeGraph;
use crate::{
    ACCOUNT, PAGE_1, channel_deps, fake_graph, local_queue, request_json, seed_account,
    seed_page_token, services, sqs_queue, store_and_secrets,
};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use switchboard_core::channels::{ApplyMode, ChannelDeps, apply_as};
use switchboard_core::ports::Queue;
use switchboard_core::router::{Processed, process_event};
use switchboard_core::routing::RoutingDeps;
use switchboard_core::sender::{SendItem, SenderDeps, Settle, process_batch};
use switchboard_core::{Clock, ManualClock};
use switchboard_http::Services;

/// Where the test clock starts (2026-01-05T09:00:00Z).
pub const T0: i64 = 1_767_603_600_000;
/// Page 1's access token: the Send API must be called with it.
pub const PAGE_TOKEN: &str = "EAAB-page-104857600000001";
/// The admin API's bearer token.
pub const ADMIN: &str = "agent-rig-admin-token";

/// What the agent-API tests stand on: a store (moto or redb) with the
/// seeded account and `page_token`, an outbound queue, a clock at `t0`,
/// the fake Graph API behind the channel services, and `routing` (queues,
/// agents, workstreams as the configuration file writes them) applied.
pub struct AgentWorld {
    pub channels: ChannelDeps,
    pub outbox: Arc<dyn Queue>,
    pub clock: Arc<ManualClock>,
    pub fake: FakeGraph,
    /// Keeps the store and the queues alive.
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

pub async fn agent_world(aws: bool, t0: i64, page_token: &str, routing: Value) -> AgentWorld {
    let (store, secrets, guard) = store_and_secrets(aws).await;
    let (outbox, qguard): (Arc<dyn Queue>, Box<dyn std::any::Any + Send + Sync>) = if aws {
        let q = sqs_queue(Default::default()).await;
        (Arc::new(q.queue), Box::new(q.dlq))
    } else {
        let q = local_queue(Default::default());
        (Arc::new(q.queue.clone()), Box::new(q))
    };
    let clock = Arc::new(ManualClock::new(switchboard_core::Millis(t0)));
    seed_account(store.as_ref(), secrets.as_ref(), clock.as_ref()).await;
    seed_page_token(store.as_ref(), secrets.as_ref(), page_token).await;
    let fake = fake_graph::FakeGraph::start().await;
    let mut ch = channel_deps(store.clone(), secrets.clone(), clock.clone());
    ch.graph =
        Arc::new(switchboard_graph::HttpGraph::new(&fake.base, Duration::from_secs(2)).unwrap());
    ch.outbox = Some(outbox.clone());
    let mut report = Default::default();
    switchboard_core::channels::apply_routing(
        &ch,
        serde_json::from_value(routing).unwrap(),
        false,
        &mut report,
    )
    .await
    .unwrap();
    AgentWorld {
        channels: ch,
        outbox,
        clock,
        fake,
        guard: Box::new((guard, qguard)),
    }
}

/// How one test file's rig differs from another's.
pub struct RigSetup {
    /// Queues, agents and workstreams, as the configuration file writes them.
    pub routing: Value,
    /// The PSID of the customer who writes in `customer_says`.
    pub customer: &'static str,
    /// How long the agent tokens of `token` and `supervisor_token` last.
    pub token_ttl_seconds: u64,
    /// Every event goes through the router twice, as Meta's redeliveries may.
    pub redeliver: bool,
}

impl RigSetup {
    /// `routing` with customer 7700000000000981, day-long tokens, and each
    /// event delivered once.
    pub fn new(routing: Value) -> Self {
        Self {
            routing,
            customer: "7700000000000981",
            token_ttl_seconds: 86_400,
            redeliver: false,
        }
    }
}

/// An agent world with the services serve wires over it, and the steps the
/// tests take through them.
pub struct AgentRig {
    pub services: Services,
    pub channels: ChannelDeps,
    pub router: RoutingDeps,
    pub sender: SenderDeps,
    pub outbox: Arc<dyn Queue>,
    pub clock: Arc<ManualClock>,
    pub fake: FakeGraph,
    setup: RigSetup,
    _guard: Box<dyn std::any::Any + Send + Sync>,
}

impl AgentRig {
    pub async fn new(aws: bool, setup: RigSetup) -> Self {
        let world = agent_world(aws, T0, PAGE_TOKEN, setup.routing.clone()).await;
        let ch = world.channels;
        AgentRig {
            router: ch.routing_deps(),
            sender: SenderDeps::of(&ch),
            services: services(ch.clone(), world.outbox.clone(), ADMIN),
            channels: ch,
            outbox: world.outbox,
            clock: world.clock,
            fake: world.fake,
            setup,
            _guard: world.guard,
        }
    }

    /// One request to every API as `bearer`: the status and the JSON answer.
    pub async fn http(
        &self,
        method: &str,
        uri: &str,
        bearer: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        request_json(&self.services, method, uri, bearer, body).await
    }

    /// One request with the admin token.
    pub async fn admin(&self, method: &str, uri: &str, body: Option<Value>) -> (u16, Value) {
        self.http(method, uri, ADMIN, body).await
    }

    /// A GET as `bearer` that must answer 200: its JSON.
    pub async fn get_ok(&self, uri: &str, bearer: &str) -> Value {
        let (s, v) = self.http("GET", uri, bearer, None).await;
        assert_eq!(s, 200, "GET {uri}: {v}");
        v
    }

    /// A new agent token of `agent`'s.
    pub async fn token(&self, agent: &str) -> String {
        self.issue(agent, false).await
    }

    /// A new supervisor token of `agent`'s.
    pub async fn supervisor_token(&self, agent: &str) -> String {
        self.issue(agent, true).await
    }

    async fn issue(&self, agent: &str, supervisor: bool) -> String {
        let (s, v) = self
            .admin(
                "POST",
                &format!("/admin/v1/agents/{agent}/tokens"),
                Some(serde_json::json!({
                    "supervisor": supervisor,
                    "ttl_seconds": self.setup.token_ttl_seconds,
                })),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["token"].as_str().unwrap().to_string()
    }

    /// Meta delivers one messaging event (`inner`) for page 1: through the
    /// router (twice if the setup redelivers); what the first pass did.
    pub async fn deliver(&self, inner: Value) -> Vec<Processed> {
        self.deliver_on(PAGE_1, inner).await
    }

    /// [`AgentRig::deliver`] for `page`.
    pub async fn deliver_on(&self, page: &str, inner: Value) -> Vec<Processed> {
        let now = self.clock.now();
        self.deliver_body(serde_json::json!({"object": "page", "entry": [{"id": page, "time": now.0, "messaging": [inner]}]}))
            .await
    }

    /// A whole delivery as Meta posts it (`standby` entries, several
    /// entries), through the router.
    pub async fn deliver_body(&self, body: Value) -> Vec<Processed> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for ev in switchboard_core::ingest::split(
            &ACCOUNT.parse().unwrap(),
            body.to_string().as_bytes(),
            now,
        )
        .unwrap()
        {
            let json = serde_json::to_string(&ev).unwrap();
            out.push(process_event(&self.router, &json).await.unwrap());
            if self.setup.redeliver {
                process_event(&self.router, &json).await.unwrap();
            }
        }
        out
    }

    /// The setup's customer writes; the conversation it went to.
    pub async fn customer_says(&self, mid: &str, text: &str) -> String {
        self.psid_says(self.setup.customer, mid, text).await
    }

    /// Customer `psid` writes; the conversation it went to.
    pub async fn psid_says(&self, psid: &str, mid: &str, text: &str) -> String {
        self.deliver(
            serde_json::json!({"sender": {"id": psid}, "recipient": {"id": PAGE_1},
            "timestamp": self.clock.now().0, "message": {"mid": mid, "text": text}}),
        )
        .await;
        let v = self
            .get_ok(&format!("/admin/v1/conversations?psid={psid}"), ADMIN)
            .await;
        v["conversations"][0]["id"].as_str().unwrap().to_string()
    }

    /// A conversation as the admin API shows it.
    pub async fn conversation(&self, id: &str) -> Value {
        self.get_ok(&format!("/admin/v1/conversations/{id}"), ADMIN)
            .await
    }

    /// The live overview of queues and agents, as `bearer` sees it.
    pub async fn overview(&self, bearer: &str) -> Value {
        self.get_ok("/admin/v1/overview", bearer).await
    }

    /// The events on `bearer`'s feed.
    pub async fn feed(&self, bearer: &str) -> Vec<Value> {
        let v = self.get_ok("/agent/v1/events", bearer).await;
        v["events"].as_array().unwrap().clone()
    }

    /// Run the sender over what is on the outbound queue; how many it sent.
    pub async fn drain_sender(&self) -> usize {
        let mut n = 0;
        for _ in 0..5 {
            let batch = self
                .outbox
                .receive(10, Duration::from_millis(300))
                .await
                .unwrap();
            if batch.is_empty() {
                break;
            }
            let items: Vec<SendItem<'_>> = batch
                .iter()
                .map(|m| SendItem {
                    message_id: &m.message_id,
                    group: &m.group,
                    body: &m.body,
                    receive_count: m.receive_count,
                })
                .collect();
            for (m, s) in batch.iter().zip(process_batch(&self.sender, &items).await) {
                assert_eq!(s, Settle::Delete, "{}", m.body);
                self.outbox.delete(&m.receipt).await.unwrap();
                n += 1;
            }
        }
        n
    }

    /// The bodies of every call to the Send API (messages and sender actions).
    pub fn send_api_calls(&self) -> Vec<String> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
            .map(|r| {
                assert_eq!(
                    r.authorization.as_deref(),
                    Some(format!("Bearer {PAGE_TOKEN}").as_str())
                );
                r.body
            })
            .collect()
    }

    /// What reached the Send API as messages (not sender actions).
    pub fn sent(&self) -> Vec<Value> {
        self.send_api_calls()
            .iter()
            .map(|b| serde_json::from_str::<Value>(b).unwrap())
            .filter(|b| b.get("message").is_some())
            .collect()
    }

    /// Apply a configuration file as `switchboard serve` does at start;
    /// the changes it made.
    pub async fn apply_yaml(&self, yaml: &str) -> Vec<String> {
        let desired = switchboard_core::config::Config::parse(yaml, &|_| None)
            .unwrap()
            .to_desired()
            .unwrap();
        apply_as(&self.channels, desired, ApplyMode::Start)
            .await
            .unwrap()
            .changes
    }
}
