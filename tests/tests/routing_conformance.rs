//! The routing ports' conformance suite, run on redb and on DynamoDB
//! (moto): both adapters must agree on every condition of `apply` (routing
//! version, capacity, presence, profile, release), on all-or-nothing
//! writes, on queue order and the window index, on memberships and timers,
//! on canned responses (created once, listed in id order), and on sign-in
//! codes (taken once, even by racing exchanges).

use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::sync::Arc;
use switchboard_core::Millis;
use switchboard_core::event::{EventKind, InboundEvent};
use switchboard_core::ids::*;
use switchboard_core::messenger::Channel;
use switchboard_core::ports::{
    AgentCondition, AppendOutcome, Conversation, ConversationState, NewIds, RoutingOp, StoreError,
    StoreResult, WriteMode,
};
use switchboard_core::routing::model::*;
use switchboard_core::routing::record::*;
use switchboard_core::workstreams::WorkstreamId;
use switchboard_tests::Store;

const T0: i64 = 1_764_000_000_000;
const PAGE: &str = "104857600000001";

fn aid(s: &str) -> AgentId {
    AgentId::parse(s).unwrap()
}
fn qid(s: &str) -> QueueId {
    QueueId::parse(s).unwrap()
}

fn agent(id: &str, capacity: u32, queues: &[&str]) -> Agent {
    Agent {
        id: aid(id),
        name: id.into(),
        email: format!("{id}@example.com"),
        skills: [(Skill::parse("billing").unwrap(), 5)].into(),
        capacity,
        profiles: [(ProfileName::parse("chat").unwrap(), 1)].into(),
        queues: queues.iter().map(|q| qid(q)).collect(),
        created_at: Millis(T0),
        updated_at: Millis(T0),
    }
}

fn queue(id: &str, priority: u32) -> Queue {
    Queue {
        id: qid(id),
        name: id.into(),
        priority,
        assignment: AssignmentMethod::HighestCapacity,
        hours: None,
        overflow: Overflow::default(),
        created_at: Millis(T0),
        updated_at: Millis(T0),
    }
}

/// A new conversation for a new customer.
async fn conversation(s: &Arc<dyn Store>, psid: &str) -> Conversation {
    let raw = RawValue::from_string("{}".into()).unwrap();
    let mut ev = InboundEvent::bare(
        &AccountId::parse("acme").unwrap(),
        &PageId::parse(PAGE).unwrap(),
        Some(Psid::parse(psid).unwrap()),
        Channel::Messaging,
        EventKind::Message,
        Millis(T0),
        Millis(T0),
        raw,
    );
    ev.key = format!("message:m-{psid}");
    ev.text = Some("hello".into());
    let ids = NewIds {
        contact_id: ContactId::generate(),
        contact_name: "Customer".into(),
        conversation_id: ConversationId::generate(),
    };
    let id = match s.append(&ev, &ids, Millis(T0)).await.unwrap() {
        AppendOutcome::Stored {
            conversation_id, ..
        } => conversation_id,
        other => panic!("{other:?}"),
    };
    s.get_conversation(&id).await.unwrap().unwrap()
}

fn set(c: &Conversation, expect: u64, state: ConversationState, reason: &str) -> RoutingOp {
    RoutingOp::Conversation {
        id: c.id.clone(),
        page: c.page_id.clone(),
        psid: c.psid.clone(),
        expect,
        state,
        routing: Box::new(Routing {
            reason: reason.into(),
            ..Routing::default()
        }),
        at: Millis(T0 + 1),
    }
}

/// A routing record as long as routing keeps one: its most decisions,
/// each listing its most agents.
fn long_routing(reason: &str) -> Routing {
    let mut r = Routing {
        reason: reason.into(),
        ..Routing::default()
    };
    for d in 0..MAX_DECISIONS {
        r.record(Decision {
            at: Millis(T0 + d as i64),
            step: "offered".into(),
            detail: format!("offered to agent-{d:02}"),
            rulesets: vec![],
            agents: (0..MAX_AGENTS_LISTED)
                .map(|i| AgentConsidered {
                    agent: aid(&format!("agent-{i:02}")),
                    verdict: AgentVerdict::Ranked { rank: i as u32 },
                })
                .collect(),
            more_agents: [("capacity".to_string(), 175)].into(),
            rv: 2,
        });
    }
    r
}

/// A condition on agent `a` at `version`, with room for one unit, for work
/// any presence but a sticky one may have (Available, Busy, Busy-DND by load).
fn when(a: &str, version: u64, max_used_before: u32) -> AgentCondition {
    AgentCondition {
        agent: aid(a),
        version,
        capacity: 2,
        max_used_before,
        profile: None,
        sticky: vec![],
        bands: LoadBand::ALL.to_vec(),
    }
}

fn take(a: &str, version: u64, max_used_before: u32, profile: Option<u32>) -> RoutingOp {
    RoutingOp::Take {
        when: AgentCondition {
            profile: profile.map(|m| (ProfileName::parse("chat").unwrap(), m)),
            ..when(a, version, max_used_before)
        },
        units: 1,
        at: Millis(T0 + 2),
    }
}

/// A take of `units` that, with `idle`, only an agent holding nothing
/// (Available) passes.
fn take_units(a: &str, version: u64, units: u32, max_used_before: u32, idle: bool) -> RoutingOp {
    RoutingOp::Take {
        when: available_only(when(a, version, max_used_before), idle),
        units,
        at: Millis(T0 + 2),
    }
}

fn present(a: &str, version: u64, idle: bool) -> RoutingOp {
    RoutingOp::Present(available_only(when(a, version, 2), idle))
}

fn available_only(mut c: AgentCondition, only: bool) -> AgentCondition {
    if only {
        c.bands = vec![LoadBand::Idle];
    }
    c
}

fn release(a: &str, profile: bool) -> RoutingOp {
    RoutingOp::Release {
        agent: aid(a),
        units: 1,
        profile: profile.then(|| ProfileName::parse("chat").unwrap()),
        at: Millis(T0 + 3),
    }
}

fn conflict<T: std::fmt::Debug>(r: StoreResult<T>) {
    assert!(
        matches!(r, Err(StoreError::Conflict(_))),
        "expected a conflict, got {r:?}"
    );
}

fn item(q: &str, conv: &Conversation, priority: u32, since: i64, closes: i64) -> WaitingItem {
    WaitingItem {
        queue: qid(q),
        conversation_id: conv.id.clone(),
        priority,
        since: Millis(since),
        window_closes_at: Millis(closes),
        follow_up: false,
        queued_at: Millis(T0),
        skills: BTreeMap::new(),
        capacity: CapacityNeed::default(),
        declines: BTreeMap::new(),
        affinity_agent: None,
        affinity_until: None,
        workstream: WorkstreamId::parse("support").unwrap(),
    }
}

async fn agents_memberships_and_presence(s: Arc<dyn Store>) {
    let a = agent("anna", 3, &["billing", "general"]);
    let st = s.put_agent(&a, WriteMode::Create).await.unwrap();
    let first = st.version;
    assert!(
        (1..1 << 52).contains(&first),
        "a first version a JSON number holds exactly: {first}"
    );
    assert_eq!(
        st.presence.status,
        BasePresence::Offline,
        "new agents start offline"
    );
    conflict(s.put_agent(&a, WriteMode::Create).await);
    fn names<A: AsRef<AgentState>>(v: Vec<A>) -> Vec<String> {
        v.iter().map(|a| a.as_ref().agent.id.to_string()).collect()
    }
    assert_eq!(
        names(s.queue_members(&qid("billing")).await.unwrap()),
        vec!["anna"]
    );
    // Update: memberships follow, version bumps, presence and load stay.
    let p = PresenceSetting {
        status: BasePresence::Available,
        label: Some("Ready".into()),
        set_at: Millis(T0 + 5),
    };
    s.set_presence(&a.id, &p).await.unwrap();
    // A console heartbeat is noted, and changes nothing else.
    assert_eq!(
        s.get_agent(&a.id).await.unwrap().unwrap().heartbeat_at,
        None
    );
    let beat = s.heartbeat(&a.id, Millis(T0 + 9)).await.unwrap();
    assert_eq!(beat.heartbeat_at, Some(Millis(T0 + 9)));
    assert_eq!((beat.version, &beat.presence), (first, &p));
    assert!(matches!(
        s.heartbeat(&aid("nobody"), Millis(T0)).await,
        Err(StoreError::NotFound(_))
    ));
    let moved = Agent {
        queues: vec![qid("general"), qid("sales")],
        ..a.clone()
    };
    let st = s.put_agent(&moved, WriteMode::Upsert).await.unwrap();
    assert_eq!(st.version, first + 1);
    assert_eq!(st.presence, p);
    assert!(s.queue_members(&qid("billing")).await.unwrap().is_empty());
    assert_eq!(
        names(s.queue_members(&qid("sales")).await.unwrap()),
        vec!["anna"]
    );
    let got = s.get_agent(&a.id).await.unwrap().unwrap();
    assert_eq!(got.version, first + 1);
    assert_eq!(got.presence.label.as_deref(), Some("Ready"));
    assert_eq!(got.heartbeat_at, Some(Millis(T0 + 9)), "kept by an update");
    assert!(matches!(
        s.set_presence(&aid("nobody"), &p).await,
        Err(StoreError::NotFound(_))
    ));
    let bo = s
        .put_agent(&agent("bo", 1, &["sales"]), WriteMode::Create)
        .await
        .unwrap();
    assert_eq!(names(s.list_agents().await.unwrap()), vec!["anna", "bo"]);
    assert_eq!(
        names(s.queue_members(&qid("sales")).await.unwrap()),
        vec!["anna", "bo"]
    );
    // An agent holding work cannot be deleted; one without can.
    s.set_presence(&aid("bo"), &p).await.unwrap();
    let c = conversation(&s, "7700000000000101").await;
    s.apply(&[
        set(&c, 0, ConversationState::Assigned, "x"),
        take("bo", bo.version, 0, None),
    ])
    .await
    .unwrap();
    conflict(s.delete_agent(&aid("bo")).await);
    s.delete_agent(&aid("anna")).await.unwrap();
    assert!(s.get_agent(&aid("anna")).await.unwrap().is_none());
    assert!(matches!(
        s.delete_agent(&aid("anna")).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        names(s.queue_members(&qid("sales")).await.unwrap()),
        vec!["bo"]
    );
}

async fn queues_and_rulesets(s: Arc<dyn Store>) {
    s.put_queue(&queue("billing", 1), WriteMode::Create)
        .await
        .unwrap();
    conflict(s.put_queue(&queue("billing", 1), WriteMode::Create).await);
    s.put_queue(&queue("billing", 7), WriteMode::Upsert)
        .await
        .unwrap();
    s.put_queue(&queue("general", 2), WriteMode::Create)
        .await
        .unwrap();
    assert_eq!(
        s.get_queue(&qid("billing"))
            .await
            .unwrap()
            .unwrap()
            .priority,
        7
    );
    assert_eq!(s.list_queues().await.unwrap().len(), 2);
    s.delete_queue(&qid("general")).await.unwrap();
    assert!(matches!(
        s.delete_queue(&qid("general")).await,
        Err(StoreError::NotFound(_))
    ));

    let rs = |id: &str, ws: &str, order: u32| Ruleset {
        id: RulesetId::parse(id).unwrap(),
        workstream: WorkstreamId::parse(ws).unwrap(),
        name: id.into(),
        order,
        kind: RulesetKind::Classification { rules: vec![] },
        created_at: Millis(T0),
        updated_at: Millis(T0),
    };
    s.put_ruleset(&rs("late", "support", 9), WriteMode::Create)
        .await
        .unwrap();
    s.put_ruleset(&rs("early", "support", 1), WriteMode::Create)
        .await
        .unwrap();
    s.put_ruleset(&rs("other", "sales", 0), WriteMode::Create)
        .await
        .unwrap();
    conflict(
        s.put_ruleset(&rs("early", "support", 1), WriteMode::Create)
            .await,
    );
    let ids = |v: Vec<Ruleset>| v.into_iter().map(|r| r.id.to_string()).collect::<Vec<_>>();
    let support = Some(WorkstreamId::parse("support").unwrap());
    assert_eq!(
        ids(s.list_rulesets(support.as_ref()).await.unwrap()),
        vec!["early", "late"]
    );
    // Re-ordering moves it in the workstream's order.
    s.put_ruleset(&rs("late", "support", 0), WriteMode::Upsert)
        .await
        .unwrap();
    assert_eq!(
        ids(s.list_rulesets(support.as_ref()).await.unwrap()),
        vec!["late", "early"]
    );
    assert_eq!(s.list_rulesets(None).await.unwrap().len(), 3);
    s.delete_ruleset(&RulesetId::parse("late").unwrap())
        .await
        .unwrap();
    assert_eq!(
        ids(s.list_rulesets(support.as_ref()).await.unwrap()),
        vec!["early"]
    );
    assert!(
        s.get_ruleset(&RulesetId::parse("other").unwrap())
            .await
            .unwrap()
            .is_some()
    );
}

async fn conversation_writes_need_the_routing_version(s: Arc<dyn Store>) {
    let c = conversation(&s, "7700000000000201").await;
    assert_eq!(c.rv, 0);
    s.apply(&[set(&c, 0, ConversationState::Waiting, "first")])
        .await
        .unwrap();
    conflict(
        s.apply(&[set(&c, 0, ConversationState::Waiting, "stale")])
            .await,
    );
    // A record as long as routing keeps (the DynamoDB adapter deflates
    // it) reads back whole, by id and through a list.
    let mut second = set(&c, 1, ConversationState::Offered, "second");
    if let RoutingOp::Conversation { routing, .. } = &mut second {
        **routing = long_routing("second");
    }
    s.apply(&[second]).await.unwrap();
    let got = s.get_conversation(&c.id).await.unwrap().unwrap();
    assert_eq!((got.rv, got.state), (2, ConversationState::Offered));
    assert_eq!(got.routing.as_ref(), Some(&long_routing("second")));
    let listed = s
        .list_conversations(&switchboard_core::ports::ConversationFilter {
            psid: Some(c.psid.clone()),
            page_id: Some(c.page_id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].routing.as_ref(), Some(&long_routing("second")));
    // Closing frees the customer's open link; a closed one takes no more writes.
    s.apply(&[set(&got, 2, ConversationState::Closed, "done")])
        .await
        .unwrap();
    let closed = s.get_conversation(&c.id).await.unwrap().unwrap();
    assert_eq!(closed.state, ConversationState::Closed);
    assert!(closed.closed_at.is_some());
    let cu = s.get_customer(&c.page_id, &c.psid).await.unwrap().unwrap();
    assert_eq!(cu.open_conversation_id, None);
    conflict(
        s.apply(&[set(&closed, 3, ConversationState::Waiting, "reopen")])
            .await,
    );
    // The customer remembers the agent.
    s.apply(&[RoutingOp::CustomerAgent {
        page: c.page_id.clone(),
        psid: c.psid.clone(),
        agent: aid("anna"),
    }])
    .await
    .unwrap();
    let cu = s.get_customer(&c.page_id, &c.psid).await.unwrap().unwrap();
    assert_eq!(cu.last_agent, Some(aid("anna")));
}

async fn capacity_conditions_hold_and_failures_write_nothing(s: Arc<dyn Store>) {
    let v = s
        .put_agent(&agent("anna", 2, &["billing"]), WriteMode::Create)
        .await
        .unwrap()
        .version;
    let online = PresenceSetting {
        status: BasePresence::Available,
        label: None,
        set_at: Millis(T0),
    };
    s.set_presence(&aid("anna"), &online).await.unwrap();
    let c1 = conversation(&s, "7700000000000301").await;
    let c2 = conversation(&s, "7700000000000302").await;
    let c3 = conversation(&s, "7700000000000303").await;
    // Wrong configuration version.
    conflict(
        s.apply(&[
            set(&c1, 0, ConversationState::Offered, "x"),
            take("anna", v + 1, 1, None),
        ])
        .await,
    );
    let untouched = s.get_conversation(&c1.id).await.unwrap().unwrap();
    assert_eq!(untouched.rv, 0, "a failed condition writes nothing");
    s.apply(&[
        set(&c1, 0, ConversationState::Offered, "x"),
        take("anna", v, 1, Some(0)),
    ])
    .await
    .unwrap();
    // The profile allows one conversation.
    conflict(
        s.apply(&[
            set(&c2, 0, ConversationState::Offered, "x"),
            take("anna", v, 1, Some(0)),
        ])
        .await,
    );
    s.apply(&[
        set(&c2, 0, ConversationState::Offered, "x"),
        take("anna", v, 1, None),
    ])
    .await
    .unwrap();
    // Full: capacity 2 used.
    conflict(
        s.apply(&[
            set(&c3, 0, ConversationState::Offered, "x"),
            take("anna", v, 1, None),
        ])
        .await,
    );
    let a = s.get_agent(&aid("anna")).await.unwrap().unwrap();
    assert_eq!((a.load.used, a.load.active), (2, 2));
    assert_eq!(
        a.load.profiles.get(&ProfileName::parse("chat").unwrap()),
        Some(&1)
    );
    assert_eq!(a.load.last_assigned_at, Some(Millis(T0 + 2)));
    assert_eq!(a.effective_presence(), BasePresence::BusyDnd);
    // Release, including the profile; never below zero.
    s.apply(&[release("anna", true)]).await.unwrap();
    s.apply(&[release("anna", false)]).await.unwrap();
    conflict(s.apply(&[release("anna", false)]).await);
    let a = s.get_agent(&aid("anna")).await.unwrap().unwrap();
    assert_eq!((a.load.used, a.load.active), (0, 0));
    assert_eq!(a.load.last_freed_at, Some(Millis(T0 + 3)));
    // A sticky presence the condition does not allow.
    let away = PresenceSetting {
        status: BasePresence::Away,
        label: None,
        set_at: Millis(T0),
    };
    s.set_presence(&aid("anna"), &away).await.unwrap();
    conflict(
        s.apply(&[
            set(&c3, 0, ConversationState::Offered, "x"),
            take("anna", v, 1, None),
        ])
        .await,
    );
    // Gone agent.
    conflict(
        s.apply(&[
            set(&c3, 0, ConversationState::Offered, "x"),
            take("ghost", v, 1, None),
        ])
        .await,
    );
    assert_eq!(s.get_conversation(&c3.id).await.unwrap().unwrap().rv, 0);
}

/// Agent `id`'s presence set to `status` (as of T0).
async fn set_status(s: &Arc<dyn Store>, id: &str, status: BasePresence) {
    let p = PresenceSetting {
        status,
        label: None,
        set_at: Millis(T0),
    };
    s.set_presence(&aid(id), &p).await.unwrap();
}

/// A new available agent in billing: its version.
async fn available_agent(s: &Arc<dyn Store>, id: &str, capacity: u32) -> u64 {
    let v = s
        .put_agent(&agent(id, capacity, &["billing"]), WriteMode::Create)
        .await
        .unwrap()
        .version;
    set_status(s, id, BasePresence::Available).await;
    v
}

/// Four new conversations, of customers `{psids}1` to `{psids}4`.
async fn four_conversations(s: &Arc<dyn Store>, psids: &str) -> Vec<Conversation> {
    let mut c = Vec::new();
    for i in 1..=4 {
        c.push(conversation(s, &format!("{psids}{i}")).await);
    }
    c
}

/// Work that holds no capacity (follow-up work) is written with a check of
/// the agent instead of a take: version, presence, and for work only an
/// available agent may have, nothing held. An agent holding a
/// conversation that costs no units is not available either.
async fn checks_without_a_take_and_available_only_work(s: Arc<dyn Store>) {
    let v = available_agent(&s, "dana", 2).await;
    let c = four_conversations(&s, "770000000000060").await;
    let load = |s: Arc<dyn Store>| async move {
        let a = s.get_agent(&aid("dana")).await.unwrap().unwrap();
        (a.load.used, a.load.active)
    };
    s.apply(&[
        set(&c[0], 0, ConversationState::Offered, "x"),
        present("dana", v, true),
    ])
    .await
    .unwrap();
    assert_eq!(load(s.clone()).await, (0, 0), "a check holds nothing");
    for wrong in [present("dana", v + 1, false), present("ghost", v, false)] {
        conflict(
            s.apply(&[set(&c[1], 0, ConversationState::Offered, "x"), wrong])
                .await,
        );
    }
    assert_eq!(s.get_conversation(&c[1].id).await.unwrap().unwrap().rv, 0);
    // A conversation that costs no units: busy, though no units are used.
    s.apply(&[
        set(&c[1], 0, ConversationState::Assigned, "x"),
        take_units("dana", v, 0, 2, false),
    ])
    .await
    .unwrap();
    assert_eq!(load(s.clone()).await, (0, 1));
    for available_only in [take_units("dana", v, 1, 0, true), present("dana", v, true)] {
        conflict(
            s.apply(&[
                set(&c[2], 0, ConversationState::Offered, "x"),
                available_only,
            ])
            .await,
        );
    }
    // Work Busy agents may have still passes, with or without a take.
    s.apply(&[
        set(&c[2], 0, ConversationState::Offered, "x"),
        present("dana", v, false),
    ])
    .await
    .unwrap();
    s.apply(&[RoutingOp::Release {
        agent: aid("dana"),
        units: 0,
        profile: None,
        at: Millis(T0 + 3),
    }])
    .await
    .unwrap();
    s.apply(&[
        set(&c[3], 0, ConversationState::Offered, "x"),
        take_units("dana", v, 1, 0, true),
    ])
    .await
    .unwrap();
    assert_eq!(load(s.clone()).await, (1, 1));
    // Away: no check passes.
    set_status(&s, "dana", BasePresence::Away).await;
    conflict(
        s.apply(&[
            set(&c[3], 1, ConversationState::Assigned, "x"),
            present("dana", v, false),
        ])
        .await,
    );
    assert_eq!(s.get_conversation(&c[3].id).await.unwrap().unwrap().rv, 1);
}

/// Presence as the load makes it (Available, Busy, Busy-DND when every unit
/// is in use) is a condition of its own, and a sticky presence is allowed
/// or not whatever the load.
async fn presence_by_load_and_sticky_presence(s: Arc<dyn Store>) {
    let v = available_agent(&s, "eve", 1).await;
    let c = four_conversations(&s, "770000000000080").await;
    let on = |bands: &[LoadBand], sticky: &[BasePresence]| AgentCondition {
        capacity: 1,
        bands: bands.to_vec(),
        sticky: sticky.to_vec(),
        ..when("eve", v, 1)
    };
    let offer = |c: &Conversation, op| {
        let s = s.clone();
        let conv = set(c, 0, ConversationState::Offered, "x");
        async move { s.apply(&[conv, op]).await }
    };
    offer(&c[0], take_units("eve", v, 1, 0, false))
        .await
        .unwrap();
    // Every unit in use: Busy-DND by load, which work for Available and
    // Busy agents does not allow, even when it needs no units.
    let available_or_busy = [LoadBand::Idle, LoadBand::Busy];
    conflict(
        offer(
            &c[1],
            RoutingOp::Take {
                when: on(&available_or_busy, &[]),
                units: 0,
                at: Millis(T0 + 2),
            },
        )
        .await,
    );
    conflict(offer(&c[1], RoutingOp::Present(on(&available_or_busy, &[]))).await);
    offer(&c[1], RoutingOp::Present(on(&[LoadBand::Full], &[])))
        .await
        .unwrap();
    // Away, holding work: allowed as Away, whatever the load; not by load.
    set_status(&s, "eve", BasePresence::Away).await;
    offer(
        &c[2],
        RoutingOp::Present(on(&[LoadBand::Idle], &[BasePresence::Away])),
    )
    .await
    .unwrap();
    conflict(offer(&c[3], RoutingOp::Present(on(&LoadBand::ALL, &[]))).await);
    assert_eq!(s.get_conversation(&c[3].id).await.unwrap().unwrap().rv, 0);
}

/// The adapter's check of an [`AgentCondition`] is the domain's
/// [`AgentCondition::holds`]: for every set of load bands, sticky
/// presences, room and profile, against an agent idle, busy, full, away
/// and offline (with a profile count), a `Present` passes exactly when
/// `holds` says so.
async fn the_adapter_checks_what_the_condition_holds(s: Arc<dyn Store>) {
    let chat = ProfileName::parse("chat").unwrap();
    let mut fay = agent("fay", 2, &["billing"]);
    fay.profiles.insert(chat.clone(), 3);
    let v = s.put_agent(&fay, WriteMode::Create).await.unwrap().version;
    set_status(&s, "fay", BasePresence::Available).await;
    let c = four_conversations(&s, "770000000000090").await;
    let grow = |c: &Conversation| {
        let op = RoutingOp::Take {
            when: AgentCondition {
                profile: Some((chat.clone(), 2)),
                ..when("fay", v, 1)
            },
            units: 1,
            at: Millis(T0 + 2),
        };
        (set(c, 0, ConversationState::Assigned, "x"), op)
    };
    let stickies = [
        vec![],
        vec![BasePresence::Away],
        vec![
            BasePresence::BusyDnd,
            BasePresence::Away,
            BasePresence::Offline,
        ],
    ];
    let mut checked = [0, 0];
    for step in 0..5 {
        match step {
            1 | 2 => {
                let (conv, take) = grow(&c[step - 1]);
                s.apply(&[conv, take]).await.unwrap();
            }
            3 => set_status(&s, "fay", BasePresence::Away).await,
            4 => set_status(&s, "fay", BasePresence::Offline).await,
            _ => {}
        }
        let now = s.get_agent(&aid("fay")).await.unwrap().unwrap();
        for mask in 0..8usize {
            let bands: Vec<LoadBand> = LoadBand::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, b)| b)
                .collect();
            for sticky in &stickies {
                for profile in [None, Some((chat.clone(), 0)), Some((chat.clone(), 1))] {
                    for max_used_before in [0, 1, 2] {
                        let condition = AgentCondition {
                            bands: bands.clone(),
                            sticky: sticky.clone(),
                            profile: profile.clone(),
                            ..when("fay", v, max_used_before)
                        };
                        let expected = condition.holds(&now);
                        let got = s.apply(&[RoutingOp::Present(condition.clone())]).await;
                        match (&expected, &got) {
                            (Ok(()), Ok(())) => checked[0] += 1,
                            (Err(_), Err(StoreError::Conflict(_))) => checked[1] += 1,
                            _ => panic!(
                                "{condition:?} on {now:?}: {expected:?}, the adapter {got:?}"
                            ),
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked[0] + checked[1], 5 * 8 * 3 * 3 * 3);
    assert!(checked[0] > 40 && checked[1] > 40, "{checked:?}");
}

/// An agent deleted and created again under the same id starts at another
/// version: a write made from a read of the old one fails.
async fn a_recreated_agent_refuses_writes_read_from_the_old_one(s: Arc<dyn Store>) {
    let old = s
        .put_agent(&agent("cleo", 2, &["billing"]), WriteMode::Create)
        .await
        .unwrap();
    s.delete_agent(&aid("cleo")).await.unwrap();
    let new = s
        .put_agent(&agent("cleo", 2, &["general"]), WriteMode::Create)
        .await
        .unwrap();
    assert_ne!(new.version, old.version);
    set_status(&s, "cleo", BasePresence::Available).await;
    let c = conversation(&s, "7700000000000701").await;
    for stale in [
        take("cleo", old.version, 1, None),
        present("cleo", old.version, false),
    ] {
        conflict(
            s.apply(&[set(&c, 0, ConversationState::Offered, "x"), stale])
                .await,
        );
    }
    s.apply(&[
        set(&c, 0, ConversationState::Offered, "x"),
        take("cleo", new.version, 1, None),
    ])
    .await
    .unwrap();
}

async fn waiting_items_keep_queue_and_window_order(s: Arc<dyn Store>) {
    let mut convs = Vec::new();
    for i in 0..4 {
        convs.push(conversation(&s, &format!("77000000000004{i:02}")).await);
    }
    // priority, since, window closes
    let items = [
        item("billing", &convs[0], 5, T0 + 30, T0 + 900),
        item("billing", &convs[1], 1, T0 + 40, T0 + 500),
        item("billing", &convs[2], 5, T0 + 10, T0 + 100),
        item("general", &convs[3], 0, T0, T0),
    ];
    let ops: Vec<RoutingOp> = items
        .iter()
        .map(|i| RoutingOp::PutWaiting(Box::new(i.clone())))
        .collect();
    s.apply(&ops).await.unwrap();
    let order = |v: Vec<WaitingItem>| v.into_iter().map(|i| i.conversation_id).collect::<Vec<_>>();
    let billing = qid("billing");
    assert_eq!(
        order(s.waiting(&billing, None, 10).await.unwrap()),
        vec![
            convs[1].id.clone(),
            convs[2].id.clone(),
            convs[0].id.clone()
        ]
    );
    assert_eq!(order(s.waiting(&billing, None, 2).await.unwrap()).len(), 2);
    // A page at a time, after the last key seen: the same order.
    let first = s.waiting(&billing, None, 2).await.unwrap();
    let key = first.last().map(WaitingItem::key);
    let rest = s.waiting(&billing, key.as_deref(), 10).await.unwrap();
    let all = order(s.waiting(&billing, None, 10).await.unwrap());
    assert_eq!([order(first), order(rest)].concat(), all);
    assert_eq!(
        order(s.urgent(&billing, Millis(T0 + 600), 10).await.unwrap()),
        vec![convs[2].id.clone(), convs[1].id.clone()]
    );
    assert_eq!(s.count_waiting(&billing, 10).await.unwrap(), 3);
    assert_eq!(s.count_waiting(&billing, 2).await.unwrap(), 2);
    s.apply(&[RoutingOp::DeleteWaiting {
        queue: billing.clone(),
        key: items[1].key(),
    }])
    .await
    .unwrap();
    assert_eq!(s.count_waiting(&billing, 10).await.unwrap(), 2);
    assert_eq!(
        order(s.urgent(&billing, Millis(T0 + 600), 10).await.unwrap()),
        vec![convs[2].id.clone()]
    );
    // Deleting and putting the same key in one write keeps it.
    s.apply(&[
        RoutingOp::DeleteWaiting {
            queue: billing.clone(),
            key: items[0].key(),
        },
        RoutingOp::PutWaiting(Box::new(items[0].clone())),
    ])
    .await
    .unwrap();
    assert_eq!(s.count_waiting(&billing, 10).await.unwrap(), 2);
    assert_eq!(s.count_waiting(&qid("general"), 10).await.unwrap(), 1);
}

async fn timers_come_due_in_order(s: Arc<dyn Store>) {
    let c = conversation(&s, "7700000000000501").await;
    let t = |kind, due| Timer {
        kind,
        due: Millis(due),
        conversation_id: c.id.clone(),
    };
    let timers = [
        t(TimerKind::AutoClose, T0 + 300),
        t(TimerKind::OfferExpiry, T0 + 100),
        t(TimerKind::WaitOverflow, T0 + 200),
    ];
    s.apply(
        &timers
            .iter()
            .cloned()
            .map(RoutingOp::PutTimer)
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    let due = s.due_timers(Millis(T0 + 200), 10).await.unwrap();
    assert_eq!(
        due,
        vec![timers[1].clone(), timers[2].clone()],
        "due ones only, earliest first"
    );
    assert_eq!(
        s.due_timers(Millis(T0 + 1000), 1).await.unwrap(),
        vec![timers[1].clone()]
    );
    s.apply(&[RoutingOp::DeleteTimer(timers[1].clone())])
        .await
        .unwrap();
    // Deleting one that is gone is not an error (two schedulers may race).
    s.apply(&[RoutingOp::DeleteTimer(timers[1].clone())])
        .await
        .unwrap();
    assert_eq!(s.due_timers(Millis(T0 + 1000), 10).await.unwrap().len(), 2);
}

/// Canned responses: created once per id, replaced by an upsert, listed in
/// id order (all, or one workstream's), deleted once.
async fn canned_responses(s: Arc<dyn Store>) {
    use switchboard_core::canned::{CannedResponse, CannedResponseId};
    use switchboard_core::workstreams::Locale;
    let canned = |id: &str, ws: &str, text: &str| CannedResponse {
        id: CannedResponseId::parse(id).unwrap(),
        workstream: WorkstreamId::parse(ws).unwrap(),
        locale: Locale::parse("en").unwrap(),
        shortcut: id.into(),
        title: "Title".into(),
        text: text.into(),
        updated_at: Millis(T0),
    };
    let a = canned("b-hello", "support", "Hi {CustomerName}");
    s.put_canned(&a, WriteMode::Create).await.unwrap();
    assert!(matches!(
        s.put_canned(&a, WriteMode::Create).await,
        Err(StoreError::Conflict(_))
    ));
    s.put_canned(&canned("a-bye", "support", "Bye"), WriteMode::Create)
        .await
        .unwrap();
    s.put_canned(&canned("c-hej", "sales", "Hej"), WriteMode::Create)
        .await
        .unwrap();
    let changed = canned("b-hello", "support", "Hello {CustomerName} 👋");
    s.put_canned(&changed, WriteMode::Upsert).await.unwrap();
    assert_eq!(s.get_canned(&a.id).await.unwrap(), Some(changed));
    let ids = |l: Vec<CannedResponse>| l.into_iter().map(|c| c.id.to_string()).collect::<Vec<_>>();
    assert_eq!(
        ids(s.list_canned(None).await.unwrap()),
        ["a-bye", "b-hello", "c-hej"]
    );
    let support = WorkstreamId::parse("support").unwrap();
    assert_eq!(
        ids(s.list_canned(Some(&support)).await.unwrap()),
        ["a-bye", "b-hello"]
    );
    s.delete_canned(&a.id).await.unwrap();
    assert!(matches!(
        s.delete_canned(&a.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(s.get_canned(&a.id).await.unwrap(), None);
    assert_eq!(ids(s.list_canned(Some(&support)).await.unwrap()), ["a-bye"]);
}

/// Sign-in codes: taken once by their hash; of concurrent takes of one
/// code exactly one gets it; an unknown hash is no code.
async fn sign_in_codes(s: Arc<dyn Store>) {
    use switchboard_core::sign_in::{SignInCode, hash};
    let code = |c: &str, agent: &str| SignInCode {
        hash: hash(c),
        agent_id: aid(agent),
        supervisor: agent == "sam",
        created_at: Millis(T0),
        expires_at: Millis(T0 + 600_000),
    };
    let anna = code("code-anna", "anna");
    s.put_sign_in_code(&anna).await.unwrap();
    s.put_sign_in_code(&code("code-sam", "sam")).await.unwrap();
    assert_eq!(
        s.take_sign_in_code(&hash("code-nobody")).await.unwrap(),
        None
    );
    assert_eq!(
        s.take_sign_in_code(&anna.hash).await.unwrap(),
        Some(anna.clone())
    );
    assert_eq!(s.take_sign_in_code(&anna.hash).await.unwrap(), None);
    let sam = s
        .take_sign_in_code(&hash("code-sam"))
        .await
        .unwrap()
        .unwrap();
    assert!(sam.supervisor);

    // Eight exchanges of one code race: one wins.
    let raced = code("code-raced", "anna");
    s.put_sign_in_code(&raced).await.unwrap();
    let takes: Vec<_> = (0..8)
        .map(|_| {
            let (s, h) = (s.clone(), raced.hash.clone());
            tokio::spawn(async move { s.take_sign_in_code(&h).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for t in takes {
        if let Some(c) = t.await.unwrap() {
            assert_eq!(c, raced);
            won += 1;
        }
    }
    assert_eq!(won, 1);
}

/// DynamoDB writing routing records in each form, on one table: the
/// suite's routing-version case on JSON records, then each form read by
/// stores of the other settings (a deploy turning one on, or off).
mod dynamodb_record_forms {
    use super::*;
    use switchboard_aws::DynamoStore;
    use switchboard_aws::dynamo::RecordForm;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn json_records_keep_the_routing_version_rules() {
        let store: Arc<dyn Store> = switchboard_tests::dynamo_store_writing(RecordForm::Json).await;
        conversation_writes_need_the_routing_version(store).await;
    }

    /// The form the conversation's stored record is in: a string, raw
    /// DEFLATE, or the dictionary's mark and number before it.
    async fn stored_form(
        client: &aws_sdk_dynamodb::Client,
        table: &str,
        id: &switchboard_core::ids::ConversationId,
    ) -> RecordForm {
        use aws_sdk_dynamodb::types::AttributeValue;
        let item = client
            .get_item()
            .table_name(table)
            .key("PK", AttributeValue::S(format!("CONV#{id}")))
            .key("SK", AttributeValue::S("CONV".into()))
            .send()
            .await
            .unwrap()
            .item
            .unwrap();
        match item.get("rdoc").unwrap() {
            AttributeValue::S(_) => RecordForm::Json,
            AttributeValue::B(b) if b.as_ref().starts_with(&[0xFE, 1]) => RecordForm::Dictionary,
            AttributeValue::B(_) => RecordForm::Deflated,
            other => panic!("rdoc is {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn each_setting_reads_what_the_others_wrote() {
        let first = switchboard_tests::dynamo_store_writing(RecordForm::Json).await;
        let config = switchboard_tests::aws_config().await;
        let on_the_table = |form| -> Arc<dyn Store> {
            Arc::new(DynamoStore::new(&config, first.table()).routing_records(form))
        };
        // Each writes in turn, and the next reads what it wrote: every
        // form is read by every setting.
        let forms = [
            RecordForm::Json,
            RecordForm::Dictionary,
            RecordForm::Deflated,
            RecordForm::Json,
            RecordForm::Deflated,
            RecordForm::Dictionary,
            RecordForm::Json,
        ];
        let stores: Vec<Arc<dyn Store>> = forms.iter().map(|f| on_the_table(*f)).collect();
        let client = aws_sdk_dynamodb::Client::new(&config);
        let c = conversation(&stores[0], "7700000000000299").await;
        let mut read = c;
        for (i, pair) in stores.windows(2).enumerate() {
            let reason = format!("written in form {:?}", forms[i]);
            let mut op = set(&read, i as u64, ConversationState::Waiting, &reason);
            if let RoutingOp::Conversation { routing, .. } = &mut op {
                **routing = long_routing(&reason);
            }
            pair[0].apply(&[op]).await.unwrap();
            assert_eq!(
                stored_form(&client, first.table(), &read.id).await,
                forms[i]
            );
            read = pair[1].get_conversation(&read.id).await.unwrap().unwrap();
            assert_eq!(
                (read.rv, read.routing.clone()),
                (i as u64 + 1, Some(long_routing(&reason))),
                "{:?} read by {:?}",
                forms[i],
                forms[i + 1]
            );
        }
    }
}

/// DynamoDB reads a queue's membership items with an eventually consistent
/// query, which can still return one the agent's last edit deleted.
mod dynamodb_lagging_membership {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    /// A membership item left behind (as a lagging query returns it) does
    /// not make an agent whose configuration no longer lists the queue a
    /// member.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_membership_item_left_behind_is_not_a_member() {
        let store = switchboard_tests::dynamo_store().await;
        let s: Arc<dyn Store> = store.clone();
        s.put_agent(&agent("anna", 2, &["billing"]), WriteMode::Create)
            .await
            .unwrap();
        s.put_agent(&agent("bo", 2, &["general"]), WriteMode::Create)
            .await
            .unwrap();
        let client = aws_sdk_dynamodb::Client::new(&switchboard_tests::aws_config().await);
        client
            .put_item()
            .table_name(store.table())
            .item("PK", AttributeValue::S("QUEUE#general".into()))
            .item("SK", AttributeValue::S("MEMBER#anna".into()))
            .item("agent_id", AttributeValue::S("anna".into()))
            .send()
            .await
            .unwrap();
        let members: Vec<String> = s
            .queue_members(&qid("general"))
            .await
            .unwrap()
            .iter()
            .map(|a| a.agent.id.to_string())
            .collect();
        assert_eq!(members, vec!["bo"]);
    }
}

switchboard_tests::store_suites!(
    agents_memberships_and_presence,
    queues_and_rulesets,
    conversation_writes_need_the_routing_version,
    capacity_conditions_hold_and_failures_write_nothing,
    checks_without_a_take_and_available_only_work,
    presence_by_load_and_sticky_presence,
    the_adapter_checks_what_the_condition_holds,
    a_recreated_agent_refuses_writes_read_from_the_old_one,
    waiting_items_keep_queue_and_window_order,
    timers_come_due_in_order,
    canned_responses,
    sign_in_codes,
);
