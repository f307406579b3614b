//! The capacity and assignment invariants under concurrency, on the
//! embedded store and on DynamoDB (moto): 8 router workers, 2 schedulers
//! running at once, 20 agents of capacity 3 changing presence (their held
//! work handed off when away or offline 30 s, and reclaimed when not
//! answered in 30 s; one leaves for 60 s at a time, and one's console stops
//! heartbeating, so it is set offline), answering (accept, decline, close) and letting
//! offers expire, 300 conversations
//! (120 on moto) arriving in bursts. A monitor samples every agent throughout; at the end
//! every agent's load matches what it holds, no conversation is held twice,
//! and every conversation is held, offered, closed, or waiting in its
//! queue with a reason.

use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use switchboard_core::event::{EventKind, InboundEvent};
use switchboard_core::ids::{AccountId, ConversationId, PageId, Psid};
use switchboard_core::messenger::Channel;
use switchboard_core::ports::ConversationState;
use switchboard_core::routing::admin as ra;
use switchboard_core::routing::engine::{self, RoutingDeps};
use switchboard_core::routing::model::{AgentId, QueueId};
use switchboard_core::{Clock, ManualClock, Millis};
use switchboard_tests::*;

const AGENTS: usize = 20;
const CAPACITY: u32 = 3;
/// On moto every transaction copies the whole table, so fewer arrive there.
const CONVERSATIONS_EMBEDDED: usize = 300;
const CONVERSATIONS_MOTO: usize = 120;
const BURST: usize = 30;
const WORKERS: usize = 8;
const T0: i64 = 1_767_603_600_000;

/// A small deterministic generator (the run is concurrent anyway).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn agent_id(i: usize) -> AgentId {
    AgentId::parse(format!("agent-{i:02}")).unwrap()
}

fn event(i: usize, at: Millis) -> String {
    let raw = serde_json::value::RawValue::from_string("{}".into()).unwrap();
    let mut ev = InboundEvent::bare(
        &AccountId::parse(ACCOUNT).unwrap(),
        &PageId::parse(PAGE_1).unwrap(),
        Some(Psid::parse(format!("78{i:014}")).unwrap()),
        Channel::Messaging,
        EventKind::Message,
        at,
        at,
        raw,
    );
    ev.mid = Some(format!("m-load-{i}"));
    ev.key = format!("message:m-load-{i}");
    ev.text = Some(format!("customer {i} needs help"));
    serde_json::to_string(&ev).unwrap()
}

async fn no_agent_over_capacity_and_no_conversation_held_twice(aws: bool) {
    let conversations = if aws {
        CONVERSATIONS_MOTO
    } else {
        CONVERSATIONS_EMBEDDED
    };
    let (store, secrets, _guard) = store_and_secrets(aws).await;
    let clock = Arc::new(ManualClock::new(Millis(T0)));
    seed_account(store.as_ref(), secrets.as_ref(), clock.as_ref()).await;
    let ch = channel_deps(store.clone(), secrets, clock.clone());
    let deps: RoutingDeps = ch.routing_deps();
    general_workstream(
        &ch,
        json!({}),
        json!({"offer_timeout_seconds": 10, "reclaim_after_seconds": 30,
            "handoff_after_seconds": 30}),
    )
    .await;
    for i in 0..AGENTS {
        let input = json!({"id": agent_id(i), "name": format!("Agent {i}"), "email": format!("a{i}@example.com"),
            "capacity": CAPACITY, "queues": ["general"]});
        ra::create_agent(&deps, serde_json::from_value(input).unwrap())
            .await
            .unwrap();
        ra::put_presence(
            &deps,
            &agent_id(i),
            serde_json::from_value(json!({"status": "available"})).unwrap(),
        )
        .await
        .unwrap();
    }

    let done = Arc::new(AtomicBool::new(false));
    let violations = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = async_channel(conversations);
    // Every task, named; a task that stops early (a panic) fails the run.
    let mut tasks: Vec<(&'static str, tokio::task::JoinHandle<()>)> = Vec::new();

    // Router workers.
    for _ in 0..WORKERS {
        let (deps, rx) = (deps.clone(), rx.clone());
        tasks.push((
            "router worker",
            tokio::spawn(async move {
                while let Ok(body) = rx.recv().await {
                    for attempt in 0.. {
                        match switchboard_core::router::process_event(&deps, &body).await {
                            Ok(_) => break,
                            // Redelivered by the queue, as SQS would.
                            Err(e) if attempt < 20 => {
                                eprintln!("router retry: {e}");
                                tokio::time::sleep(Duration::from_millis(20)).await
                            }
                            Err(e) => panic!("router kept failing: {e}"),
                        }
                    }
                }
            }),
        ));
    }
    // Two schedulers at once, and a clock that moves 5 s per 100 ms so offers expire.
    for _ in 0..2 {
        let (deps, done) = (deps.clone(), done.clone());
        tasks.push((
            "scheduler",
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    engine::tick(&deps).await.expect("tick");
                    tokio::time::sleep(Duration::from_millis(60)).await;
                }
            }),
        ));
    }
    {
        let (clock, done) = (clock.clone(), done.clone());
        tasks.push((
            "clock",
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    clock.advance_secs(5);
                }
            }),
        ));
    }
    // Agents changing presence.
    {
        let (deps, done) = (deps.clone(), done.clone());
        tasks.push((
            "presence",
            tokio::spawn(async move {
                let mut rng = Rng(7);
                while !done.load(Ordering::Relaxed) {
                    // Agents 0 and 1 come and go on their own (below).
                    let a = agent_id(2 + rng.below(AGENTS - 2));
                    let status =
                        ["away", "available", "busy_dnd", "available", "offline"][rng.below(5)];
                    ra::put_presence(
                        &deps,
                        &a,
                        serde_json::from_value(json!({"status": status})).unwrap(),
                    )
                    .await
                    .expect("presence");
                    tokio::time::sleep(Duration::from_millis(15)).await;
                }
            }),
        ));
    }
    // Agent 0 leaves for 40 s (of the clock) at a time, long enough for
    // the hand-off, then comes back for 20 s.
    {
        let (deps, done) = (deps.clone(), done.clone());
        tasks.push((
            "leaver",
            tokio::spawn(async move {
                let steps = [
                    ("away", 800),
                    ("available", 400),
                    ("offline", 800),
                    ("available", 400),
                ];
                for (status, ms) in steps.iter().cycle() {
                    if done.load(Ordering::Relaxed) {
                        break;
                    }
                    let input = serde_json::from_value(json!({ "status": status })).unwrap();
                    ra::put_presence(&deps, &agent_id(0), input)
                        .await
                        .expect("presence");
                    tokio::time::sleep(Duration::from_millis(*ms)).await;
                }
            }),
        ));
    }
    // Agent 1 works in the console: heartbeats every 2.5 s (of the clock)
    // for 15 s, then the tab closes for 140 s (the scheduler sets them
    // offline), then they come back available.
    let lapses = Arc::new(AtomicUsize::new(0));
    {
        let (deps, done, lapses) = (deps.clone(), done.clone(), lapses.clone());
        tasks.push((
            "console",
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    for _ in 0..6 {
                        engine::heartbeat(&deps, &agent_id(1))
                            .await
                            .expect("heartbeat");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    tokio::time::sleep(Duration::from_millis(2_800)).await;
                    let a = deps.config.get_agent(&agent_id(1)).await.unwrap().unwrap();
                    if a.presence.status == switchboard_core::routing::model::BasePresence::Offline
                    {
                        lapses.fetch_add(1, Ordering::Relaxed);
                    }
                    let input = serde_json::from_value(json!({"status": "available"})).unwrap();
                    ra::put_presence(&deps, &agent_id(1), input)
                        .await
                        .expect("presence");
                }
            }),
        ));
    }
    // Agents answering offers and closing conversations; some offers left to expire.
    let known: Arc<tokio::sync::Mutex<Vec<ConversationId>>> = Arc::default();
    {
        let (deps, done, known) = (deps.clone(), done.clone(), known.clone());
        tasks.push((
            "agents answering",
            tokio::spawn(async move {
                let mut rng = Rng(11);
                while !done.load(Ordering::Relaxed) {
                    let all = known.lock().await.clone();
                    // A sample each round: reading all of them would slow moto down.
                    let ids: Vec<_> = (0..all.len().min(40))
                        .map(|_| all[rng.below(all.len())].clone())
                        .collect();
                    for id in ids {
                        let Some(c) = deps.conversations.get_conversation(&id).await.unwrap()
                        else {
                            continue;
                        };
                        let r = c.routing.clone().unwrap_or_default();
                        let res = match (c.state, r.agent.clone()) {
                            (ConversationState::Offered, Some(a)) => match rng.below(4) {
                                0 | 1 => engine::accept(&deps, &a, &id).await.map(|_| ()),
                                2 => engine::decline(&deps, &a, &id, false).await,
                                _ => Ok(()), // let it expire
                            },
                            (ConversationState::Assigned, Some(_)) if rng.below(5) == 0 => {
                                engine::close(&deps, &id, "resolved").await.map(|_| ())
                            }
                            _ => Ok(()),
                        };
                        // Conflicts and missing offers are races with the
                        // scheduler or a router: fine. A store error is not.
                        if let Err(engine::RoutingError::Store(e)) = res {
                            panic!("store error: {e}");
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
            }),
        ));
    }
    // The monitor.
    {
        let (deps, done, violations, samples) = (
            deps.clone(),
            done.clone(),
            violations.clone(),
            samples.clone(),
        );
        tasks.push((
            "monitor",
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    for a in deps.config.list_agents().await.unwrap() {
                        if a.load.used > a.agent.capacity {
                            violations.fetch_add(1, Ordering::Relaxed);
                            eprintln!(
                                "{} holds {} of {}",
                                a.agent.id, a.load.used, a.agent.capacity
                            );
                        }
                    }
                    samples.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(40)).await;
                }
            }),
        ));
    }

    let started = std::time::Instant::now();
    // Customers arrive in bursts.
    for burst in 0..conversations / BURST {
        for j in 0..BURST {
            let i = burst * BURST + j;
            tx.send(event(i, clock.now())).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    drop(tx);
    // Wait for the routers, collecting the conversations: bounded, and
    // failing at once when a task panicked (its work would never be done).
    let waited = tokio::time::timeout(run_bound(aws), async {
        while known.lock().await.len() < conversations {
            check_tasks(&mut tasks).await;
            let mut ids = Vec::new();
            for i in 0..conversations {
                let psid = Psid::parse(format!("78{i:014}")).unwrap();
                match deps
                    .conversations
                    .get_customer(&PageId::parse(PAGE_1).unwrap(), &psid)
                    .await
                    .unwrap()
                {
                    Some(c) => ids.push(c.last_conversation_id),
                    None => break,
                }
            }
            *known.lock().await = ids;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // At least long enough for the leaver and the closed console to
        // come to their hand-off and lapse.
        let least = Duration::from_millis(4_000).saturating_sub(started.elapsed());
        tokio::time::sleep(least.max(Duration::from_millis(500))).await;
        check_tasks(&mut tasks).await;
    })
    .await;
    done.store(true, Ordering::Relaxed);
    if waited.is_err() {
        for (name, t) in &tasks {
            t.abort();
            eprintln!("{name}: still running at the bound");
        }
        panic!(
            "{} of {conversations} conversations routed within {:?}",
            known.lock().await.len(),
            run_bound(aws)
        );
    }
    // A task finishes the step it is in: on moto (one request at a time, on
    // a busy machine) a scheduler's tick over many due timers takes a while.
    let stop_bound = Duration::from_secs(if aws { 180 } else { 30 });
    for (name, t) in tasks {
        match tokio::time::timeout(stop_bound, t).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("{name} failed: {e}"),
            Err(_) => panic!("{name} did not stop within {stop_bound:?} of the end"),
        }
    }

    // Everyone back, one more scheduler run: waiting work meets free agents.
    for i in 0..AGENTS {
        ra::put_presence(
            &deps,
            &agent_id(i),
            serde_json::from_value(json!({"status": "available"})).unwrap(),
        )
        .await
        .unwrap();
    }
    engine::tick(&deps).await.unwrap();

    assert!(samples.load(Ordering::Relaxed) > 5, "the monitor ran");
    assert_eq!(
        violations.load(Ordering::Relaxed),
        0,
        "an agent held more than their capacity"
    );
    let ids = known.lock().await.clone();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), conversations);
    let mut held: BTreeMap<AgentId, u32> = BTreeMap::new();
    let mut waiting = HashSet::new();
    let mut states: BTreeMap<&'static str, usize> = BTreeMap::new();
    for id in &ids {
        let c = deps
            .conversations
            .get_conversation(id)
            .await
            .unwrap()
            .unwrap();
        *states.entry(c.state.as_str()).or_default() += 1;
        let r = c.routing.clone().expect("every conversation was routed");
        match c.state {
            ConversationState::Offered | ConversationState::Assigned => {
                let a = r.agent.clone().expect("held by an agent");
                assert!(
                    r.holds_capacity,
                    "{id} is {} without capacity",
                    c.state.as_str()
                );
                *held.entry(a).or_default() += 1;
                if c.state == ConversationState::Offered {
                    assert_eq!(r.offer.as_ref().map(|o| &o.agent), r.agent.as_ref());
                }
            }
            ConversationState::Waiting => {
                assert!(!r.reason.is_empty(), "{id} waits without a reason");
                assert!(r.agent.is_none() && !r.holds_capacity);
                assert!(r.waiting_key.is_some(), "{id} waits outside any queue");
                waiting.insert(id.clone());
            }
            ConversationState::Closed => assert!(!r.holds_capacity),
            other => panic!("unexpected state {other:?}"),
        }
    }
    // Each agent's load is exactly what they hold: nothing counted twice, nothing leaked.
    for a in deps.config.list_agents().await.unwrap() {
        let n = held.get(&a.agent.id).copied().unwrap_or(0);
        assert_eq!(
            a.load.used, n,
            "{}: load {} but holds {n}",
            a.agent.id, a.load.used
        );
        assert_eq!(a.load.active, n);
        assert!(a.load.used <= CAPACITY);
    }
    // The queue lists exactly the waiting conversations.
    let listed: HashSet<ConversationId> = deps
        .routing
        .waiting(&QueueId::parse("general").unwrap(), None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.conversation_id)
        .collect();
    assert_eq!(listed, waiting);
    // Nobody waits while an agent has room (declines aside).
    let free: u32 = deps
        .config
        .list_agents()
        .await
        .unwrap()
        .iter()
        .map(|a| a.free_units())
        .sum();
    for id in &waiting {
        let c = deps
            .conversations
            .get_conversation(id)
            .await
            .unwrap()
            .unwrap();
        let declined = c.routing.unwrap().declines.len();
        assert!(
            free == 0 || declined > 0,
            "{id} waits while {free} units are free"
        );
    }
    // Every reclaim and hand-off counted happened, once, on the record of
    // its conversation.
    use switchboard_core::supervision::service_level::{Fact, FactKind, STREAM};
    let facts: Vec<Fact> = deps
        .streams
        .read_entries(STREAM, None, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| serde_json::from_value(e.data).unwrap())
        .collect();
    let mut taken = BTreeMap::<&str, usize>::new();
    for f in facts
        .iter()
        .filter(|f| matches!(f.kind, FactKind::Reclaimed | FactKind::HandedOff))
    {
        let step = if f.kind == FactKind::Reclaimed {
            "reclaimed"
        } else {
            "handed_off"
        };
        *taken.entry(step).or_default() += 1;
        let c = deps
            .conversations
            .get_conversation(&f.conversation_id)
            .await
            .unwrap()
            .unwrap();
        let on_record = c
            .routing
            .unwrap()
            .decisions
            .iter()
            .filter(|d| d.step == step && d.at == f.at)
            .count();
        assert_eq!(on_record, 1, "{f:?}");
    }
    eprintln!(
        "states after the run: {states:?}; held {held:?}; taken from agents {taken:?}; consoles lapsed {}",
        lapses.load(Ordering::Relaxed)
    );
}

/// How long the routers may take for every conversation: generous (moto
/// runs one request at a time, shared with the other tests of the process),
/// but finite, so a stuck run fails instead of hanging.
fn run_bound(aws: bool) -> Duration {
    Duration::from_secs(if aws { 600 } else { 180 })
}

/// Fail at once if a task has ended with a panic, or if one that runs
/// until the end (all but the router workers, which end when the channel
/// is drained) has ended at all.
async fn check_tasks(tasks: &mut Vec<(&'static str, tokio::task::JoinHandle<()>)>) {
    let mut i = 0;
    while i < tasks.len() {
        if !tasks[i].1.is_finished() {
            i += 1;
            continue;
        }
        let (name, t) = tasks.remove(i);
        if let Err(e) = t.await {
            panic!("{name} failed: {e}");
        }
        assert_eq!(name, "router worker", "{name} stopped before the end");
    }
}

/// A multi-consumer channel from tokio's primitives.
fn async_channel(cap: usize) -> (tokio::sync::mpsc::Sender<String>, Receiver) {
    let (tx, rx) = tokio::sync::mpsc::channel(cap);
    (tx, Receiver(Arc::new(tokio::sync::Mutex::new(rx))))
}

#[derive(Clone)]
struct Receiver(Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<String>>>);
impl Receiver {
    async fn recv(&self) -> Result<String, ()> {
        self.0.lock().await.recv().await.ok_or(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn embedded() {
    no_agent_over_capacity_and_no_conversation_held_twice(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb() {
    no_agent_over_capacity_and_no_conversation_held_twice(true).await;
}
