//! Routing end to end over the router's entry point, on the embedded store
//! and on DynamoDB (moto), with a controllable clock: classification,
//! queues, offers that expire and move on, full agents, pick mode,
//! overflow, affinity, window-aware priority, wrap-up, auto-close, and the
//! diagnostics that explain each decision.

use serde_json::json;
use switchboard_core::channels;
use switchboard_core::ids::{PageId, Psid};
use switchboard_core::ports::ConversationState;
use switchboard_core::routing::admin as ra;
use switchboard_core::routing::engine::{self, RoutingError};
use switchboard_core::routing::model::BasePresence;
use switchboard_core::routing::record::AgentVerdict;
use switchboard_core::{Clock, Millis};
use switchboard_tests::routing_rig::{RoutingRig, aid, from_json as from};
use switchboard_tests::*;

/// Monday 2026-01-05 10:00 in Copenhagen.
const T0: i64 = 1_767_603_600_000;

/// The shared routing rig; this file's steps are methods on it.
struct Rig(RoutingRig);

impl std::ops::Deref for Rig {
    type Target = RoutingRig;
    fn deref(&self) -> &RoutingRig {
        &self.0
    }
}

impl Rig {
    async fn new(aws: bool) -> Self {
        Rig(RoutingRig::new(aws, T0).await)
    }
}

/// The acceptance scenario: two queues, agents with skills, Danish
/// messages about "faktura" to Billing with billing >= 5.
async fn setup_billing(r: &Rig) {
    r.queue(json!({"id": "billing", "name": "Billing", "priority": 1}))
        .await;
    r.queue(json!({"id": "general", "name": "General", "priority": 5}))
        .await;
    r.workstream(json!({
        "id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "offer_timeout_seconds": 30}
    }))
    .await;
    r.ruleset(json!({
        "id": "classify", "workstream": "support", "name": "Classify", "order": 1,
        "kind": "classification",
        "rules": [{
            "name": "danish invoices",
            "when": {"all": [{"locale": "da"}, {"text_contains": "faktura"}]},
            "set": {"skills": {"billing": 5}, "priority": 1, "attributes": {"topic": "billing"}}
        }]
    }))
    .await;
    r.ruleset(json!({
        "id": "route", "workstream": "support", "name": "Route", "order": 2,
        "kind": "route_to_queue",
        "rules": [{"name": "billing topic", "when": {"attribute": {"name": "topic", "equals": "billing"}}, "queue": "billing"}]
    }))
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "skills": {"billing": 7}, "capacity": 2, "queues": ["billing", "general"]}), "available").await;
    r.agent(json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "skills": {"billing": 3}, "capacity": 1, "queues": ["billing", "general"]}), "available").await;
    r.agent(json!({"id": "carl", "name": "Carl", "email": "carl@example.com", "capacity": 1, "queues": ["general"]}), "available").await;
}

async fn routed_as_the_rules_say_offers_expire_and_full_agents_get_nothing(aws: bool) {
    let r = Rig::new(aws).await;
    setup_billing(&r).await;

    let c1 = r
        .message(
            "7700000000000001",
            "Hej, jeg har et spørgsmål om min faktura",
        )
        .await;
    let conv = r.conv(&c1).await;
    let routing = conv.routing.clone().unwrap();
    assert_eq!(routing.queue.as_ref().map(|q| q.as_str()), Some("billing"));
    assert_eq!(routing.priority, 1);
    assert_eq!(
        r.offered_to(&c1).await.as_deref(),
        Some("anna"),
        "only anna has billing >= 5"
    );
    let offered = routing
        .decisions
        .iter()
        .find(|d| d.step == "offered")
        .unwrap();
    assert!(offered.agents.iter().any(|a| a.agent == aid("bo") && matches!(&a.verdict, AgentVerdict::Skills { missing } if missing[0].contains("needs 5"))));
    let classified = &routing.decisions[0];
    assert_eq!(
        classified.rulesets[0].matched.as_deref(),
        Some("danish invoices")
    );
    assert!(
        classified.detail.contains("language da"),
        "{}",
        classified.detail
    );

    // An English question goes to the fallback queue; anna has less free
    // capacity than bo and carl, who tie, so the round robin order decides.
    let c2 = r
        .message(
            "7700000000000002",
            "Where is my order? It has not arrived yet.",
        )
        .await;
    assert_eq!(
        r.conv(&c2).await.routing.unwrap().queue.unwrap().as_str(),
        "general"
    );
    assert_eq!(r.offered_to(&c2).await.as_deref(), Some("bo"));

    engine::accept(&r.deps, &aid("anna"), &c1).await.unwrap();
    assert_eq!(r.conv(&c1).await.state, ConversationState::Assigned);
    // Accepting someone else's offer is refused.
    assert!(matches!(
        engine::accept(&r.deps, &aid("carl"), &c2).await,
        Err(RoutingError::NotFound(_))
    ));

    // bo does not answer: after 30 s the offer expires and moves on.
    r.clock.advance_secs(31);
    let report = r.tick().await;
    assert_eq!(report.offers_expired, 1, "{report:?}");
    assert_eq!(r.offered_to(&c2).await.as_deref(), Some("carl"));
    assert_eq!(
        r.used("bo").await,
        0,
        "the expired offer's capacity came back"
    );
    let c2r = r.conv(&c2).await.routing.unwrap();
    assert_eq!(c2r.declines.get(&aid("bo")), Some(&1));
    assert!(c2r.decisions.iter().any(|d| d.step == "offer_expired"));
    // A second run finds nothing to do (safe to run twice).
    assert_eq!(r.tick().await.offers_expired, 0);

    // anna takes one more billing conversation, then she is full.
    let c3 = r
        .message("7700000000000003", "Hej, min faktura er forkert")
        .await;
    assert_eq!(r.offered_to(&c3).await.as_deref(), Some("anna"));
    assert_eq!(r.used("anna").await, 2);
    let c4 = r
        .message("7700000000000004", "Hej igen, endnu en faktura til dig")
        .await;
    let c4c = r.conv(&c4).await;
    assert_eq!(c4c.state, ConversationState::Waiting);
    let why = c4c.routing.unwrap();
    assert!(why.reason.contains("none of its"), "{}", why.reason);
    let waiting = why
        .decisions
        .iter()
        .rev()
        .find(|d| d.step == "waiting")
        .unwrap();
    assert!(waiting.agents.iter().any(|a| a.agent == aid("anna")
        && matches!(a.verdict, AgentVerdict::Capacity { free: 0, needed: 1 })));

    // anna declines c3: not offered to her again; with nobody else skilled it waits.
    engine::decline(&r.deps, &aid("anna"), &c3, false)
        .await
        .unwrap();
    // Her freed capacity went at once to the next waiting billing conversation.
    assert_eq!(r.offered_to(&c4).await.as_deref(), Some("anna"));
    assert_eq!(r.used("anna").await, 2);
    assert_eq!(r.conv(&c3).await.state, ConversationState::Waiting);

    // Ending with wrap-up "never" frees her at once; c3 stays out of her reach.
    engine::end(&r.deps, &aid("anna"), &c1).await.unwrap();
    assert_eq!(r.conv(&c1).await.state, ConversationState::WrapUp);
    assert_eq!(r.used("anna").await, 1);
    assert_eq!(r.conv(&c3).await.state, ConversationState::Waiting);

    // Closing an offered conversation frees the agent's capacity too.
    engine::close(&r.deps, &c4, "test").await.unwrap();
    assert_eq!(r.used("anna").await, 0);
    assert!(matches!(
        engine::close(&r.deps, &c4, "again").await,
        Err(RoutingError::Conflict(_))
    ));
}

async fn pick_mode_lists_and_takes_waiting_work(aws: bool) {
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en", "distribution": {"mode": "pick", "fallback_queue": "general"}})).await;
    r.agent(
        json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "queues": ["general"]}),
        "available",
    )
    .await;
    r.agent(
        json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "queues": ["general"]}),
        "available",
    )
    .await;
    let c1 = r.message("7700000000000011", "first").await;
    r.clock.advance_secs(5);
    let c2 = r.message("7700000000000012", "second").await;
    assert_eq!(
        r.conv(&c1).await.state,
        ConversationState::Waiting,
        "pick mode offers nothing"
    );
    let list: Vec<_> = engine::pick_list(&r.deps, &aid("anna"))
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.conversation_id)
        .collect();
    assert_eq!(list, vec![c1.clone(), c2.clone()], "oldest first");
    let taken = engine::pick(&r.deps, &aid("anna"), &c1).await.unwrap();
    assert_eq!(taken.state, ConversationState::Assigned);
    assert!(matches!(
        engine::pick(&r.deps, &aid("bo"), &c1).await,
        Err(RoutingError::Conflict(_))
    ));
    assert_eq!(
        engine::pick_list(&r.deps, &aid("bo")).await.unwrap().len(),
        1
    );
    // The mode is fixed after creation.
    let err = channels::update_workstream(
        &r.ch,
        &switchboard_core::workstreams::WorkstreamId::parse("support").unwrap(),
        from(json!({"distribution": {"mode": "push"}})),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "mode_fixed");
}

async fn overflow_transfers_and_ends(aws: bool) {
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "night", "name": "Night"})).await;
    r.queue(json!({"id": "later", "name": "Later"})).await;
    // Closed all week: out of hours, transfer to night; waiting > 60 s -> later.
    r.queue(json!({"id": "day", "name": "Day", "hours": {"time_zone": "Europe/Copenhagen", "weekly": {"saturday": [{"from": "09:00", "to": "17:00"}]}},
        "overflow": {"out_of_hours": {"action": "transfer", "queue": "night"}}})).await;
    r.queue(json!({"id": "tiny", "name": "Tiny", "overflow": {"max_waiting": {"items": 1, "action": "end", "message": "We are busy, write later"}, "max_wait": {"seconds": 60, "action": "transfer", "queue": "later"}}})).await;
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en", "distribution": {"fallback_queue": "tiny"}})).await;
    r.ruleset(
        json!({"id": "route", "workstream": "support", "name": "Route", "kind": "route_to_queue",
        "rules": [{"name": "night owls", "when": {"text_contains": "night"}, "queue": "day"}]}),
    )
    .await;
    let c1 = r.message("7700000000000021", "a night question").await;
    let routing = r.conv(&c1).await.routing.unwrap();
    assert_eq!(routing.queue.unwrap().as_str(), "night");
    assert!(
        routing
            .decisions
            .iter()
            .any(|d| d.detail.contains("outside its operating hours")),
        "{:?}",
        routing.decisions
    );

    let c2 = r.message("7700000000000022", "first in tiny").await;
    assert_eq!(
        r.conv(&c2).await.routing.unwrap().queue.unwrap().as_str(),
        "tiny"
    );
    r.clock.advance_secs(10);
    let c3 = r.message("7700000000000023", "second in tiny").await;
    assert_eq!(
        r.conv(&c3).await.routing.unwrap().queue.unwrap().as_str(),
        "tiny",
        "1 waiting is not more than 1"
    );
    let c4 = r.message("7700000000000024", "third in tiny").await;
    let ended = r.conv(&c4).await;
    assert_eq!(ended.state, ConversationState::Closed);
    assert!(
        ended
            .routing
            .unwrap()
            .decisions
            .iter()
            .any(|d| d.detail.contains("We are busy"))
    );

    // After 60 s of waiting, the first one moves to `later`; the second after its own 60 s.
    r.clock.advance_secs(51);
    assert_eq!(r.tick().await.overflowed, 1);
    assert_eq!(
        r.conv(&c2).await.routing.unwrap().queue.unwrap().as_str(),
        "later"
    );
    assert_eq!(
        r.conv(&c3).await.routing.unwrap().queue.unwrap().as_str(),
        "tiny"
    );
    r.clock.advance_secs(10);
    assert_eq!(r.tick().await.overflowed, 1);
    assert_eq!(
        r.conv(&c3).await.routing.unwrap().queue.unwrap().as_str(),
        "later"
    );
}

async fn returning_customer_waits_for_their_agent_then_anyone(aws: bool) {
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "affinity": {"enabled": true, "wait_seconds": 60}}})).await;
    r.agent(
        json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "queues": ["general"]}),
        "available",
    )
    .await;
    r.agent(
        json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "queues": ["general"]}),
        "offline",
    )
    .await;
    let psid = "7700000000000031";
    let c1 = r.message(psid, "hello").await;
    engine::accept(&r.deps, &aid("anna"), &c1).await.unwrap();
    engine::close(&r.deps, &c1, "done").await.unwrap();
    r.presence(&aid("anna"), "away").await;
    r.presence(&aid("bo"), "available").await;
    r.clock.advance_secs(3600);
    let c2 = r.message(psid, "me again").await;
    assert_ne!(c1, c2);
    let routing = r.conv(&c2).await.routing.unwrap();
    assert_eq!(routing.affinity_agent, Some(aid("anna")));
    assert_eq!(
        r.offered_to(&c2).await,
        None,
        "held for anna, not given to bo"
    );
    assert!(routing.decisions.iter().any(|d| {
        d.step == "waiting"
            && d.agents
                .iter()
                .any(|a| a.agent == aid("bo") && matches!(a.verdict, AgentVerdict::Affinity { .. }))
    }));
    // anna comes back within the wait: she gets it.
    r.clock.advance_secs(30);
    r.presence(&aid("anna"), "available").await;
    assert_eq!(r.offered_to(&c2).await.as_deref(), Some("anna"));
    engine::decline(&r.deps, &aid("anna"), &c2, false)
        .await
        .unwrap();
    // Declined by her: anyone else may take it at once.
    assert_eq!(r.offered_to(&c2).await.as_deref(), Some("bo"));

    // Another returning customer whose agent never comes back: after the wait, anyone.
    let psid3 = "7700000000000033";
    let c3 = r.message(psid3, "hi").await;
    engine::accept(&r.deps, &aid("anna"), &c3).await.unwrap();
    engine::close(&r.deps, &c3, "done").await.unwrap();
    r.presence(&aid("anna"), "offline").await;
    engine::close(&r.deps, &c2, "done").await.unwrap();
    let c4 = r.message(psid3, "back").await;
    assert_ne!(c3, c4);
    assert_eq!(r.offered_to(&c4).await, None);
    r.clock.advance_secs(61);
    let rep = r.tick().await;
    assert_eq!(rep.affinity_ended, 1, "{rep:?}");
    assert_eq!(r.offered_to(&c4).await.as_deref(), Some("bo"));
}

async fn closing_window_goes_first(aws: bool) {
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en", "distribution": {"fallback_queue": "general"}})).await;
    r.ruleset(
        json!({"id": "vip", "workstream": "support", "name": "VIP", "kind": "classification",
        "rules": [{"name": "vip", "when": {"text_contains": "vip"}, "set": {"priority": 0}}]}),
    )
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 1, "queues": ["general"]}), "offline").await;
    // Written 23 h ago: its 24-hour window closes within the 2-hour margin.
    r.clock.set(Millis(T0 - 23 * 3_600_000));
    let old = r.message("7700000000000041", "still waiting").await;
    r.clock.set(Millis(T0));
    let vip = r.message("7700000000000042", "vip question").await;
    let fresh = r.message("7700000000000043", "ordinary question").await;
    r.presence(&aid("anna"), "available").await;
    assert_eq!(
        r.offered_to(&old).await.as_deref(),
        Some("anna"),
        "the closing window outranks priority"
    );
    engine::close(&r.deps, &old, "answered").await.unwrap();
    assert_eq!(
        r.offered_to(&vip).await.as_deref(),
        Some("anna"),
        "then priority"
    );
    assert_eq!(r.offered_to(&fresh).await, None);
}

async fn wrap_up_holds_capacity_for_a_while_and_idle_conversations_close(aws: bool) {
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "wrap_up": {"seconds": 120}, "auto_close_after_seconds": 3600}})).await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 1, "queues": ["general"]}), "available").await;
    let c1 = r.message("7700000000000051", "hello").await;
    let c2 = r.message("7700000000000052", "hello too").await;
    engine::accept(&r.deps, &aid("anna"), &c1).await.unwrap();
    engine::end(&r.deps, &aid("anna"), &c1).await.unwrap();
    assert_eq!(r.used("anna").await, 1, "wrap-up holds the capacity");
    assert_eq!(r.offered_to(&c2).await, None);
    r.clock.advance_secs(121);
    let rep = r.tick().await;
    assert_eq!(rep.wrap_ups_ended, 1, "{rep:?}");
    assert_eq!(
        r.offered_to(&c2).await.as_deref(),
        Some("anna"),
        "freed capacity takes the next one"
    );
    engine::accept(&r.deps, &aid("anna"), &c2).await.unwrap();
    // An hour with no activity closes both (the one in wrap-up too), freeing anna.
    r.clock.advance_secs(3600);
    let rep = r.tick().await;
    assert_eq!(rep.auto_closed, 2, "{rep:?}");
    assert_eq!(r.conv(&c2).await.state, ConversationState::Closed);
    assert_eq!(r.used("anna").await, 0);
    let cu = r
        .deps
        .conversations
        .get_customer(
            &PageId::parse(PAGE_1).unwrap(),
            &Psid::parse("7700000000000052").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cu.open_conversation_id, None);
}

fn code<T>(res: Result<T, switchboard_core::problem::Problem>) -> &'static str {
    match res {
        Ok(_) => panic!("expected an error"),
        Err(p) => p.code,
    }
}

async fn configuration_is_validated_with_clear_errors(aws: bool) {
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "a", "name": "A"})).await;
    assert_eq!(
        code(
            ra::create_agent(
                &r.deps,
                from(json!({"id": "x", "name": "X", "email": "x@example.com", "queues": ["nope"]}))
            )
            .await
        ),
        "unknown_queue"
    );
    assert_eq!(
        code(
            ra::create_agent(
                &r.deps,
                from(json!({"id": "x", "name": "X", "email": "not-an-email"}))
            )
            .await
        ),
        "invalid_email"
    );
    assert_eq!(code(ra::create_agent(&r.deps, from(json!({"id": "x", "name": "X", "email": "x@example.com", "skills": {"billing": 11}}))).await), "invalid_skill");
    assert_eq!(code(ra::create_queue(&r.deps, from(json!({"id": "b", "name": "B", "overflow": {"max_wait": {"seconds": 5, "action": "transfer", "queue": "b"}}}))).await), "transfer_cycle");
    r.queue(json!({"id": "b", "name": "B", "overflow": {"max_wait": {"seconds": 5, "action": "transfer", "queue": "a"}}})).await;
    let cycle = ra::update_queue(
        &r.deps,
        &"a".parse().unwrap(),
        from(json!({"overflow": {"out_of_hours": {"action": "transfer", "queue": "b"}}})),
    )
    .await
    .unwrap_err();
    assert_eq!(cycle.code, "transfer_cycle");
    assert!(cycle.detail.contains("a -> b -> a"), "{}", cycle.detail);
    assert_eq!(
        code(
            ra::create_queue(
                &r.deps,
                from(json!({"id": "c", "name": "C", "hours": {"time_zone": "Mars/Base"}}))
            )
            .await
        ),
        "invalid_hours"
    );
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en"}))
        .await;
    let bad_regex = ra::create_ruleset(&r.deps, from(json!({"id": "r", "workstream": "support", "name": "R", "kind": "classification", "rules": [{"name": "broken", "when": {"text_matches": "(unclosed"}}]}))).await.unwrap_err();
    assert_eq!(bad_regex.code, "invalid_regex");
    assert!(bad_regex.detail.contains("broken"));
    assert_eq!(code(ra::create_ruleset(&r.deps, from(json!({"id": "r", "workstream": "support", "name": "R", "kind": "route_to_queue", "rules": [{"name": "x", "when": "always", "queue": "zzz"}]}))).await), "unknown_queue");
    assert_eq!(code(channels::create_workstream(&r.ch, from(json!({"id": "w2", "name": "W2", "locale": "en", "distribution": {"fallback_queue": "zzz"}}))).await), "unknown_queue");
    // A queue in use cannot go.
    let used = ra::delete_queue(&r.deps, &"a".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(used.code, "queue_in_use");
    assert!(used.detail.contains("queue b"), "{}", used.detail);
}

async fn presence_follows_load_unless_set_by_hand(aws: bool) {
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en", "distribution": {"fallback_queue": "general"}})).await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"]}), "available").await;
    let eff = || async {
        r.deps
            .config
            .get_agent(&aid("anna"))
            .await
            .unwrap()
            .unwrap()
            .effective_presence()
    };
    assert_eq!(eff().await, BasePresence::Available);
    r.message("7700000000000061", "one").await;
    assert_eq!(eff().await, BasePresence::Busy);
    r.message("7700000000000062", "two").await;
    assert_eq!(eff().await, BasePresence::BusyDnd);
    r.presence(&aid("anna"), "away").await;
    assert_eq!(eff().await, BasePresence::Away);
    // Busy set by hand follows load again.
    r.presence(&aid("anna"), "busy").await;
    assert_eq!(eff().await, BasePresence::BusyDnd);
}

async fn offers_of_an_agent_who_goes_away_move_on_at_once(aws: bool) {
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(
        json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "offer_timeout_seconds": 120}}),
    )
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 1, "queues": ["general"]}), "available").await;
    r.agent(json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 1, "queues": ["general"]}), "busy_dnd").await;
    let c = r.message("7700000000000081", "is anyone there?").await;
    assert_eq!(r.offered_to(&c).await.as_deref(), Some("anna"));

    // bo comes back; anna steps away with the offer unanswered: it moves
    // to bo now, not in 120 s, and it is not counted as her decline.
    r.presence(&aid("bo"), "available").await;
    r.presence(&aid("anna"), "away").await;
    assert_eq!(r.offered_to(&c).await.as_deref(), Some("bo"));
    assert_eq!(r.used("anna").await, 0, "her capacity came back");
    let routing = r.conv(&c).await.routing.unwrap();
    assert_eq!(routing.declines.get(&aid("anna")), None);
    let withdrawn = routing
        .decisions
        .iter()
        .find(|d| d.step == "offer_withdrawn")
        .expect("the decision trail says why the offer moved");
    assert!(
        withdrawn.detail.contains("anna became away"),
        "{}",
        withdrawn.detail
    );
    // anna's console hears that the offer is gone.
    let feed = r.feed("anna").await;
    assert!(
        feed.iter()
            .any(|e| e.data["type"] == "offer_withdrawn"
                && e.data["conversation_id"] == c.as_str()),
        "{feed:?}"
    );

    // bo goes offline: no one is left, so the conversation waits.
    r.presence(&aid("bo"), "offline").await;
    let conv = r.conv(&c).await;
    assert_eq!(conv.state, ConversationState::Waiting);
    assert_eq!(r.used("bo").await, 0);
    // Setting away again finds nothing to withdraw.
    r.presence(&aid("bo"), "away").await;
    assert_eq!(r.conv(&c).await.state, ConversationState::Waiting);
}

async fn an_offer_stays_where_away_agents_may_work_and_lapses_as_withdrawn(aws: bool) {
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(
        json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "offer_timeout_seconds": 60,
            "allowed_presences": ["available", "busy", "away"]}}),
    )
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 1, "queues": ["general"]}), "available").await;
    let c = r.message("7700000000000093", "hello?").await;
    assert_eq!(r.offered_to(&c).await.as_deref(), Some("anna"));
    // This workstream lets away agents take work: the offer stays with her.
    r.presence(&aid("anna"), "away").await;
    assert_eq!(r.offered_to(&c).await.as_deref(), Some("anna"));
    // Offline is not allowed, but say the withdrawal missed the offer (an
    // index that had not caught up): when it lapses, it is withdrawn, not
    // her decline.
    r.deps
        .config
        .set_presence(
            &aid("anna"),
            &switchboard_core::routing::model::PresenceSetting::offline(r.clock.now()),
        )
        .await
        .unwrap();
    r.clock.advance_secs(61);
    assert_eq!(r.tick().await.offers_expired, 1);
    let routing = r.conv(&c).await.routing.unwrap();
    assert_eq!(routing.declines.get(&aid("anna")), None);
    assert!(
        routing
            .decisions
            .iter()
            .any(|d| d.step == "offer_withdrawn" && d.detail.contains("became offline")),
        "{:?}",
        routing.decisions
    );
    // Back, she is offered it again; away (which this workstream allows),
    // she lets it lapse: that is her decline.
    r.presence(&aid("anna"), "available").await;
    assert_eq!(r.offered_to(&c).await.as_deref(), Some("anna"));
    r.presence(&aid("anna"), "away").await;
    r.clock.advance_secs(61);
    assert_eq!(r.tick().await.offers_expired, 1);
    let routing = r.conv(&c).await.routing.unwrap();
    assert_eq!(routing.declines.get(&aid("anna")), Some(&1));
}

async fn auto_close_counts_from_the_last_message(aws: bool) {
    use switchboard_core::outbound::{Author, Content, Outbound, Status};
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "offer_timeout_seconds": 60, "auto_close_after_seconds": 1800}}))
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"]}), "available").await;
    r.agent(json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 2, "queues": ["general"]}), "available").await;

    // The agent replies every 10 minutes: the 30-minute close keeps away.
    let c = r.message("7700000000000091", "my parcel is lost").await;
    let holder = aid(&r.offered_to(&c).await.expect("offered"));
    engine::accept(&r.deps, &holder, &c).await.unwrap();
    for _ in 0..4 {
        r.clock.advance_secs(600);
        // The reply as the agent API records it (this rig has no queue to
        // the sender; the record is what counts).
        let conv = r.conv(&c).await;
        let reply = Outbound {
            id: switchboard_core::ids::OutboundId::generate(),
            conversation_id: conv.id.clone(),
            page_id: conv.page_id.clone(),
            psid: conv.psid.clone(),
            author: Author::Agent {
                agent_id: holder.clone(),
            },
            content: Content::Text {
                text: "Still looking into it".into(),
                quick_replies: Vec::new(),
            },
            status: Status::Queued,
            attempts: 0,
            claimed_at: None,
            created_at: r.clock.now(),
        };
        r.deps.outbound.put_outbound(&reply).await.unwrap();
        assert_eq!(r.tick().await.auto_closed, 0);
        assert!(r.conv(&c).await.state.is_open(), "the replies keep it open");
    }
    // Then silence: it closes 30 minutes after the last reply, not before.
    r.clock.advance_secs(1799);
    assert_eq!(r.tick().await.auto_closed, 0);
    r.clock.advance_secs(2);
    assert_eq!(r.tick().await.auto_closed, 1);
    assert_eq!(r.conv(&c).await.state, ConversationState::Closed);

    // Offers that lapse and are made again are not activity: the customer
    // who wrote once and was never answered is closed 30 minutes later.
    let c2 = r.message("7700000000000092", "anyone there?").await;
    assert!(r.offered_to(&c2).await.is_some());
    for _ in 0..2 {
        r.clock.advance_secs(61);
        r.tick().await;
    }
    let routing = r.conv(&c2).await.routing.unwrap();
    assert_eq!(
        routing
            .decisions
            .iter()
            .filter(|d| d.step == "offer_expired")
            .count(),
        2,
        "offered twice, both lapsed"
    );
    r.clock.advance_secs(1800 - 122);
    assert_eq!(r.tick().await.auto_closed, 1);
    assert_eq!(r.conv(&c2).await.state, ConversationState::Closed);

    // A person answering from Meta's Page inbox (an echo that is not one
    // of our sends) is activity too.
    let c3 = r.message("7700000000000094", "hello again").await;
    r.clock.advance_secs(1500);
    let mut echo = r.customer_message(
        "7700000000000094",
        "On it, from the Page inbox",
        "m_inbox_1".into(),
    );
    echo.kind = switchboard_core::event::EventKind::Echo;
    echo.key = "echo:m_inbox_1".into();
    let body = serde_json::to_string(&echo).unwrap();
    assert_eq!(r.route(&echo, &body).await, c3);
    r.clock.advance_secs(400);
    assert_eq!(
        r.tick().await.auto_closed,
        0,
        "the inbox reply keeps it open"
    );
    r.clock.advance_secs(1401);
    assert_eq!(r.tick().await.auto_closed, 1);
}

async fn wrap_up_runs_its_course_before_auto_close(aws: bool) {
    let r = Rig::new(aws).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "wrap_up": {"seconds": 600}, "auto_close_after_seconds": 60}}))
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 1, "queues": ["general"]}), "available").await;
    let c = r.message("7700000000000095", "quick question").await;
    engine::accept(&r.deps, &aid("anna"), &c).await.unwrap();
    r.clock.advance_secs(120);
    engine::end(&r.deps, &aid("anna"), &c).await.unwrap();
    // The customer's message is older than the auto-close, but anna's
    // wrap-up (10 minutes) is not cut short.
    r.clock.advance_secs(60);
    assert_eq!(r.tick().await.auto_closed, 0);
    assert_eq!(r.conv(&c).await.state, ConversationState::WrapUp);
    r.clock.advance_secs(600);
    let report = r.tick().await;
    assert_eq!(report.auto_closed, 1, "{report:?}");
}

async fn conversations_that_came_before_the_workstream_are_routed_when_it_comes(aws: bool) {
    let r = Rig::new(aws).await;
    let c = r.message("7700000000000071", "anyone there?").await;
    let routing = r.conv(&c).await.routing.unwrap();
    assert!(
        routing.reason.contains("feeds no workstream"),
        "{}",
        routing.reason
    );
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.agent(
        json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "queues": ["general"]}),
        "available",
    )
    .await;
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en", "distribution": {"fallback_queue": "general"}})).await;
    assert_eq!(r.offered_to(&c).await.as_deref(), Some("anna"));
    let routing = r.conv(&c).await.routing.unwrap();
    assert_eq!(
        routing.decisions[0].step, "unrouted",
        "the story so far is kept"
    );
}

macro_rules! suite {
    ($backend:ident, $aws:expr) => {
        mod $backend {
            suite!(@case $aws; routed_as_the_rules_say_offers_expire_and_full_agents_get_nothing,
                pick_mode_lists_and_takes_waiting_work, overflow_transfers_and_ends,
                returning_customer_waits_for_their_agent_then_anyone, closing_window_goes_first,
                wrap_up_holds_capacity_for_a_while_and_idle_conversations_close,
                configuration_is_validated_with_clear_errors, presence_follows_load_unless_set_by_hand,
                offers_of_an_agent_who_goes_away_move_on_at_once, auto_close_counts_from_the_last_message,
                an_offer_stays_where_away_agents_may_work_and_lapses_as_withdrawn,
                wrap_up_runs_its_course_before_auto_close,
                conversations_that_came_before_the_workstream_are_routed_when_it_comes);
        }
    };
    (@case $aws:expr; $($case:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                super::$case($aws).await;
            }
        )*
    };
}

suite!(embedded, false);
suite!(aws, true);
