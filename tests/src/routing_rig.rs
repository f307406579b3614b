//! The routing tests' rig: the channel and routing services over one store
//! (embedded or DynamoDB on moto) with the seeded account and a manual clock,
//! and customer messages on page 1 as the inbound queue delivers them;
//! the steps the routing flows take on it (configuration, presence, a
//! message processed twice, the state a redelivery must not change).

use crate::{ACCOUNT, PAGE_1, channel_deps, seed_account, store_and_secrets};
use serde_json::{Value, json};
use std::sync::Arc;
use switchboard_core::channels;
use switchboard_core::channels::ChannelDeps;
use switchboard_core::event::{EventKind, InboundEvent};
use switchboard_core::ids::{AccountId, ConversationId, PageId, Psid};
use switchboard_core::messenger::Channel;
use switchboard_core::ports::{Conversation, ConversationState};
use switchboard_core::routing::admin as ra;
use switchboard_core::routing::engine;
use switchboard_core::routing::engine::RoutingDeps;
use switchboard_core::routing::model::AgentId;
use switchboard_core::{Clock, ManualClock, Millis};

pub struct RoutingRig {
    pub deps: RoutingDeps,
    pub ch: ChannelDeps,
    pub clock: Arc<ManualClock>,
    _guard: Box<dyn std::any::Any + Send + Sync>,
}

pub fn aid(s: &str) -> AgentId {
    AgentId::parse(s).unwrap()
}

/// A typed input from its JSON (the shape the admin API takes).
pub fn from_json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("valid input")
}

impl RoutingRig {
    /// The seeded account on a fresh store, the clock at `t0`.
    pub async fn new(aws: bool, t0: i64) -> Self {
        let (store, secrets, guard) = store_and_secrets(aws).await;
        let clock = Arc::new(ManualClock::new(Millis(t0)));
        seed_account(store.as_ref(), secrets.as_ref(), clock.as_ref()).await;
        let ch = channel_deps(store, secrets, clock.clone());
        RoutingRig {
            deps: ch.routing_deps(),
            ch,
            clock,
            _guard: guard,
        }
    }

    /// A customer's message on page 1, now, with the message id `mid`.
    pub fn customer_message(&self, psid: &str, text: &str, mid: String) -> InboundEvent {
        let now = self.clock.now();
        let raw = serde_json::value::RawValue::from_string("{}".into()).unwrap();
        let mut ev = InboundEvent::bare(
            &AccountId::parse(ACCOUNT).unwrap(),
            &PageId::parse(PAGE_1).unwrap(),
            Some(Psid::parse(psid).unwrap()),
            Channel::Messaging,
            EventKind::Message,
            now,
            now,
            raw,
        );
        ev.key = format!("message:{mid}");
        ev.mid = Some(mid);
        ev.text = Some(text.to_string());
        ev
    }

    /// `body` (an event's JSON) through the router; the customer's
    /// conversation it landed on.
    pub async fn route(&self, ev: &InboundEvent, body: &str) -> ConversationId {
        switchboard_core::router::process_event(&self.deps, body)
            .await
            .expect("processed");
        self.deps
            .conversations
            .get_customer(&ev.page_id, ev.psid.as_ref().unwrap())
            .await
            .unwrap()
            .unwrap()
            .last_conversation_id
    }

    pub async fn queue(&self, v: Value) {
        ra::create_queue(&self.deps, from_json(v))
            .await
            .expect("queue");
    }

    pub async fn workstream(&self, v: Value) {
        channels::create_workstream(&self.ch, from_json(v))
            .await
            .expect("workstream");
    }

    pub async fn ruleset(&self, v: Value) {
        ra::create_ruleset(&self.deps, from_json(v))
            .await
            .expect("ruleset");
    }

    pub async fn agent(&self, v: Value, presence: &str) {
        let id = aid(v["id"].as_str().unwrap());
        ra::create_agent(&self.deps, from_json(v))
            .await
            .expect("agent");
        self.presence(&id, presence).await;
    }

    pub async fn presence(&self, id: &AgentId, status: &str) {
        ra::put_presence(&self.deps, id, from_json(json!({ "status": status })))
            .await
            .expect("presence");
    }

    /// A customer message through the router, as the inbound queue delivers it.
    pub async fn message(&self, psid: &str, text: &str) -> ConversationId {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mid = format!("m-{psid}-{}-{n}", self.clock.now().0);
        let ev = self.customer_message(psid, text, mid);
        let body = serde_json::to_string(&ev).unwrap();
        let id = self.route(&ev, &body).await;
        // Processing twice (an SQS redelivery) changes nothing.
        let before = self.snapshot(&ev.page_id, ev.psid.as_ref().unwrap()).await;
        assert!(
            before["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["key"] == ev.key.as_str()),
            "the event is on its conversation"
        );
        switchboard_core::router::process_event(&self.deps, &body)
            .await
            .expect("processed again");
        let after = self.snapshot(&ev.page_id, ev.psid.as_ref().unwrap()).await;
        assert_eq!(
            before, after,
            "processing {} a second time changed something",
            ev.key
        );
        id
    }

    /// What a redelivery could change: the customer and their latest
    /// conversation (with its routing), its timeline and outbound messages,
    /// every agent (presence, load) and their feed, every queue's waiting
    /// list, and every timer.
    pub async fn snapshot(&self, page: &PageId, psid: &Psid) -> Value {
        let d = &self.deps;
        let customer = d
            .conversations
            .get_customer(page, psid)
            .await
            .unwrap()
            .unwrap();
        let id = customer.last_conversation_id.clone();
        let agents = d.config.list_agents().await.unwrap();
        let mut feeds = serde_json::Map::new();
        for a in &agents {
            let entries = d
                .streams
                .read_entries(&switchboard_core::feed::stream(&a.agent.id), None, 10_000)
                .await
                .unwrap();
            feeds.insert(a.agent.id.to_string(), json!(entries));
        }
        let mut waiting = serde_json::Map::new();
        for q in d.config.list_queues().await.unwrap() {
            let items = d.routing.waiting(&q.id, None, 10_000).await.unwrap();
            waiting.insert(q.id.to_string(), json!(items));
        }
        json!({
            "customer": customer,
            "conversation": d.conversations.get_conversation(&id).await.unwrap(),
            "timeline": d.conversations.timeline(&id).await.unwrap(),
            "outbound": d.outbound.list_outbound(&id).await.unwrap(),
            "agents": agents,
            "feeds": feeds,
            "waiting": waiting,
            "timers": d.routing.due_timers(Millis(i64::MAX), 10_000).await.unwrap(),
        })
    }

    pub async fn conv(&self, id: &ConversationId) -> Conversation {
        self.deps
            .conversations
            .get_conversation(id)
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn offered_to(&self, id: &ConversationId) -> Option<String> {
        let c = self.conv(id).await;
        c.routing
            .and_then(|r| r.offer)
            .filter(|_| c.state == ConversationState::Offered)
            .map(|o| o.agent.to_string())
    }

    pub async fn used(&self, id: &str) -> u32 {
        self.deps
            .config
            .get_agent(&aid(id))
            .await
            .unwrap()
            .unwrap()
            .load
            .used
    }

    /// An agent's feed, oldest first (its first 1,000 events).
    pub async fn feed(&self, agent: &str) -> Vec<switchboard_core::ports::StreamEntry> {
        self.deps
            .streams
            .read_entries(&switchboard_core::feed::stream(&aid(agent)), None, 1000)
            .await
            .unwrap()
    }

    pub async fn tick(&self) -> engine::TickReport {
        engine::tick(&self.deps).await.expect("tick")
    }
}
