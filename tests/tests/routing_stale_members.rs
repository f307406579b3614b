//! Routing from queue members read before their latest writes, as the
//! DynamoDB adapter's eventually consistent read may hand them out, on the
//! embedded store and on DynamoDB (moto): the members routing ranks are a
//! snapshot taken while every agent was available, and the agents changed
//! after it. Whatever routing decides from the snapshot, its write checks
//! again, so no conversation goes to an agent who may no longer have it:
//! ordinary work and follow-up work (which holds no capacity) alike.

use async_trait::async_trait;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use switchboard_core::event::{EventKind, InboundEvent};
use switchboard_core::ids::{AccountId, ConversationId, PageId, Psid};
use switchboard_core::messenger::Channel;
use switchboard_core::ports::{
    Conversation, ConversationState, RoutingOp, RoutingStore, StoreResult,
};
use switchboard_core::routing::admin as ra;
use switchboard_core::routing::engine::RoutingDeps;
use switchboard_core::routing::model::{AgentId, AgentState, QueueId};
use switchboard_core::routing::record::{AgentVerdict, Routing, Timer, WaitingItem};
use switchboard_core::{ManualClock, Millis};
use switchboard_tests::*;

const T0: i64 = 1_767_603_600_000;
const HOUR: i64 = 3_600_000;

/// The routing store, but a queue's members are what they were when
/// [`Stale::freeze`] was called.
struct Stale {
    inner: Arc<dyn Store>,
    frozen: Mutex<BTreeMap<QueueId, Vec<Arc<AgentState>>>>,
}

impl Stale {
    async fn freeze(&self, queue: &QueueId) {
        let members = self.inner.queue_members(queue).await.unwrap();
        self.frozen.lock().unwrap().insert(queue.clone(), members);
    }
}

#[async_trait]
impl RoutingStore for Stale {
    async fn apply(&self, ops: &[RoutingOp]) -> StoreResult<()> {
        self.inner.apply(ops).await
    }
    async fn waiting(
        &self,
        queue: &QueueId,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<WaitingItem>> {
        self.inner.waiting(queue, after, limit).await
    }
    async fn urgent(
        &self,
        queue: &QueueId,
        before: Millis,
        limit: usize,
    ) -> StoreResult<Vec<WaitingItem>> {
        self.inner.urgent(queue, before, limit).await
    }
    async fn count_waiting(&self, queue: &QueueId, up_to: usize) -> StoreResult<usize> {
        self.inner.count_waiting(queue, up_to).await
    }
    async fn queue_members(&self, queue: &QueueId) -> StoreResult<Vec<Arc<AgentState>>> {
        let frozen = self.frozen.lock().unwrap().get(queue).cloned();
        match frozen {
            Some(members) => Ok(members),
            None => self.inner.queue_members(queue).await,
        }
    }
    async fn due_timers(&self, now: Millis, limit: usize) -> StoreResult<Vec<Timer>> {
        self.inner.due_timers(now, limit).await
    }
    async fn agent_conversations(
        &self,
        agent: &AgentId,
        state: ConversationState,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<Conversation>> {
        self.inner
            .agent_conversations(agent, state, after, limit)
            .await
    }
    async fn replace_routing(
        &self,
        id: &ConversationId,
        expect: u64,
        routing: &Routing,
    ) -> StoreResult<()> {
        self.inner.replace_routing(id, expect, routing).await
    }
}

/// Customer `i`'s message, sent `age_ms` before it arrives now.
fn message(i: usize, now: Millis, age_ms: i64) -> String {
    let raw = serde_json::value::RawValue::from_string("{}".into()).unwrap();
    let mut ev = InboundEvent::bare(
        &AccountId::parse(ACCOUNT).unwrap(),
        &PageId::parse(PAGE_1).unwrap(),
        Some(Psid::parse(format!("79{i:014}")).unwrap()),
        Channel::Messaging,
        EventKind::Message,
        Millis(now.0 - age_ms),
        now,
        raw,
    );
    ev.mid = Some(format!("m-stale-{i}"));
    ev.key = format!("message:m-stale-{i}");
    ev.text = Some(format!("customer {i} needs help"));
    serde_json::to_string(&ev).unwrap()
}

fn agent(i: usize) -> AgentId {
    AgentId::parse(format!("agent-{i}")).unwrap()
}

async fn presence(deps: &RoutingDeps, i: usize, status: &str) {
    ra::put_presence(
        deps,
        &agent(i),
        serde_json::from_value(json!({"status": status})).unwrap(),
    )
    .await
    .unwrap();
}

/// Route customer `i`'s message; its conversation as stored after.
async fn route(deps: &RoutingDeps, i: usize, age_ms: i64) -> Conversation {
    let now = deps.clock.now();
    switchboard_core::router::process_event(deps, &message(i, now, age_ms))
        .await
        .unwrap();
    let psid = Psid::parse(format!("79{i:014}")).unwrap();
    let customer = deps
        .conversations
        .get_customer(&PageId::parse(PAGE_1).unwrap(), &psid)
        .await
        .unwrap()
        .unwrap();
    let id = customer.open_conversation_id.unwrap();
    deps.conversations
        .get_conversation(&id)
        .await
        .unwrap()
        .unwrap()
}

async fn stale_members_never_get_work_they_may_not_have(aws: bool) {
    let (store, secrets, _guard) = store_and_secrets(aws).await;
    let clock = Arc::new(ManualClock::new(Millis(T0)));
    seed_account(store.as_ref(), secrets.as_ref(), clock.as_ref()).await;
    let ch = channel_deps(store.clone(), secrets, clock.clone());
    let stale = Arc::new(Stale {
        inner: store.clone(),
        frozen: Mutex::new(BTreeMap::new()),
    });
    let mut deps: RoutingDeps = ch.routing_deps();
    deps.routing = stale.clone();
    // Without the HUMAN_AGENT tag, a message 30 hours old is follow-up work.
    general_workstream(&ch, json!({"human_agent_tag": false}), json!({})).await;
    for i in 0..2 {
        let input = json!({"id": agent(i), "name": format!("Agent {i}"),
            "email": format!("a{i}@example.com"), "capacity": 1, "queues": ["general"]});
        ra::create_agent(&deps, serde_json::from_value(input).unwrap())
            .await
            .unwrap();
        presence(&deps, i, "available").await;
    }
    let general = QueueId::parse("general").unwrap();
    stale.freeze(&general).await;
    // After the snapshot: agent-0 went away, agent-1 went offline.
    presence(&deps, 0, "away").await;
    presence(&deps, 1, "offline").await;

    let mut waiting = Vec::new();
    for (i, age, what) in [(1, 0, "ordinary work"), (2, 30 * HOUR, "follow-up work")] {
        let conv = route(&deps, i, age).await;
        let r = conv.routing.clone().unwrap();
        assert_eq!(r.follow_up.is_some(), age > 0, "{what}: {r:?}");
        assert_eq!(
            (conv.state, r.agent.clone()),
            (ConversationState::Waiting, None),
            "{what} is not given to an agent who is away or offline: {:?}",
            r.decisions.last()
        );
        // It was tried with both (the snapshot says they qualify), and the
        // write refused each.
        let lost: Vec<String> = r
            .decisions
            .last()
            .unwrap()
            .agents
            .iter()
            .filter(|a| a.verdict == AgentVerdict::LostRace)
            .map(|a| a.agent.to_string())
            .collect();
        assert_eq!(lost, ["agent-0", "agent-1"], "{what}: {:?}", r.decisions);
        waiting.push(conv.id);
    }
    for i in 0..2 {
        let a = deps.config.get_agent(&agent(i)).await.unwrap().unwrap();
        assert_eq!((a.load.used, a.load.active), (0, 0));
    }

    // Nothing is stranded: agent-0 back, the ordinary work is offered
    // (the presence change pulls waiting work, from the agent as stored).
    presence(&deps, 0, "available").await;
    let first = deps
        .conversations
        .get_conversation(&waiting[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.state, first.routing.and_then(|r| r.agent)),
        (ConversationState::Offered, Some(agent(0)))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded_stale_members_never_get_work_they_may_not_have() {
    stale_members_never_get_work_they_may_not_have(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_stale_members_never_get_work_they_may_not_have() {
    stale_members_never_get_work_they_may_not_have(true).await;
}
