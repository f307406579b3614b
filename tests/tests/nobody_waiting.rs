//! Nobody left waiting, on the embedded store and on DynamoDB (moto), with a
//! controllable clock: an accepted conversation its agent never answers is
//! reclaimed and offered to the next agent, ahead of newer work; a reply in
//! time keeps it; supervisors see the first-response alert before that; an
//! absent agent's conversations go to someone present (at once where the
//! customer waits, when the customer writes where the agent answered last);
//! the service-level report adds up; and the settings are checked.

use serde_json::json;
use std::sync::Arc;
use switchboard_core::Clock;
use switchboard_core::agent_work::{self, Reply};
use switchboard_core::ids::ConversationId;
use switchboard_core::ports::ConversationState;
use switchboard_core::routing::engine;
use switchboard_core::supervision::overview::{FirstResponseAlert, overview};
use switchboard_core::visibility::Caller;
use switchboard_tests::routing_rig::{RoutingRig, aid, from_json as from};
use switchboard_tests::*;

/// Monday 2026-01-05 10:00 in Copenhagen.
const T0: i64 = 1_767_603_600_000;

/// One queue, a workstream that alerts after 5 minutes and reclaims after
/// 10, anna (capacity 1) available and bo away.
async fn rig(aws: bool) -> RoutingRig {
    let r = RoutingRig::new(aws, T0).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(
        json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "offer_timeout_seconds": 60,
            "first_response_alert_seconds": 300, "reclaim_after_seconds": 600}}),
    )
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 1, "queues": ["general"]}), "available").await;
    r.agent(json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 1, "queues": ["general"]}), "away").await;
    r
}

/// `who`'s reply through the agent API's reply path (the outbound record
/// and the mark of a first reply), on a queue of its own.
async fn reply(r: &RoutingRig, who: &str, id: &ConversationId) {
    let q = local_queue(Default::default());
    let mut deps = r.deps.clone();
    deps.outbox = Some(Arc::new(q.queue.clone()));
    let caller = Caller {
        agent: aid(who),
        supervisor: false,
    };
    let conv = agent_work::reply_target(&deps, &caller, id)
        .await
        .expect("theirs to answer");
    let input: Reply = from(json!({"text": "Hi, I'm looking into it"}));
    agent_work::reply(&deps, &caller, &conv, input)
        .await
        .expect("reply queued");
}

/// The supervisors' first-response alerts now.
async fn alerts(r: &RoutingRig) -> Vec<FirstResponseAlert> {
    overview(&r.deps).await.expect("overview").alerts
}

async fn an_unanswered_conversation_is_reclaimed_for_the_next_agent(aws: bool) {
    let r = rig(aws).await;
    let c = r.message("7700000000000301", "where is my order?").await;
    engine::accept(&r.deps, &aid("anna"), &c).await.unwrap();
    // A newer customer waits: anna is full and bo is away.
    r.clock.advance_secs(60);
    let newer = r.message("7700000000000302", "hello?").await;
    assert_eq!(r.conv(&newer).await.state, ConversationState::Waiting);

    // Not a second early; supervisors see the alert meanwhile.
    r.clock.advance_secs(539);
    assert_eq!(r.tick().await.reclaimed, 0);
    assert_eq!(r.conv(&c).await.state, ConversationState::Assigned);
    let alerts = alerts(&r).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].conversation_id, c);
    assert_eq!(alerts[0].agent_id, aid("anna"));
    assert_eq!(alerts[0].waited_seconds, 599);
    assert_eq!(
        alerts[0].reclaimed_at,
        Some(switchboard_core::Millis(T0 + 600_000))
    );

    r.clock.advance_secs(2);
    let report = r.tick().await;
    assert_eq!(report.reclaimed, 1, "{report:?}");
    let conv = r.conv(&c).await;
    let routing = conv.routing.clone().unwrap();
    // Back in the queue, ahead of the newer customer; not offered to anna
    // again (it counts as her decline), whose capacity is free for the
    // newer one.
    assert_eq!(conv.state, ConversationState::Waiting, "{}", routing.reason);
    assert_eq!(routing.agent, None);
    assert_eq!(routing.declines.get(&aid("anna")), Some(&1));
    assert_eq!(r.offered_to(&newer).await.as_deref(), Some("anna"));
    assert_eq!(r.used("anna").await, 1, "only the newer offer holds her");
    assert_eq!(general(&r).await, vec![(c.clone(), 5)]);
    // The reason, on the decision trail (and so on the transcript).
    let why = routing
        .decisions
        .iter()
        .find(|d| d.step == "reclaimed")
        .expect("a reclaimed decision");
    assert!(
        why.detail
            .contains("anna accepted it 600 s ago and has not replied"),
        "{}",
        why.detail
    );
    // anna's console is told.
    let feed = r.feed("anna").await;
    assert!(
        feed.iter().any(|e| e.data["type"] == "reclaimed"
            && e.data["conversation_id"] == c.as_str()
            && e.data["data"]["after_seconds"] == 600),
        "{feed:?}"
    );
    // The next agent to come gets it first.
    r.presence(&aid("bo"), "available").await;
    assert_eq!(r.offered_to(&c).await.as_deref(), Some("bo"));
    // A later run finds nothing more to do.
    r.clock.advance_secs(1);
    assert_eq!(r.tick().await.reclaimed, 0);
}

async fn a_reply_in_time_keeps_the_conversation(aws: bool) {
    let r = rig(aws).await;
    let c = r.message("7700000000000311", "can you help?").await;
    engine::accept(&r.deps, &aid("anna"), &c).await.unwrap();
    r.clock.advance_secs(299);
    assert!(alerts(&r).await.is_empty(), "no alert before its time");
    r.clock.advance_secs(101);
    assert_eq!(alerts(&r).await.len(), 1);
    reply(&r, "anna", &c).await;
    assert!(alerts(&r).await.is_empty(), "answered: no alert");
    let routing = r.conv(&c).await.routing.unwrap();
    assert_eq!(
        routing.answered_at,
        Some(r.clock.now()),
        "the first reply is marked"
    );
    r.clock.advance_secs(3600);
    let report = r.tick().await;
    assert_eq!(report.reclaimed, 0, "{report:?}");
    let conv = r.conv(&c).await;
    assert_eq!(conv.state, ConversationState::Assigned);
    assert_eq!(conv.routing.unwrap().agent, Some(aid("anna")));
}

async fn a_raised_reclaim_time_is_kept(aws: bool) {
    let r = rig(aws).await;
    let c = r.message("7700000000000361", "still there?").await;
    engine::accept(&r.deps, &aid("anna"), &c).await.unwrap();
    let mut ws = switchboard_core::channels::get_workstream(
        &r.ch,
        &switchboard_core::ids::WorkstreamId::parse("support").unwrap(),
    )
    .await
    .unwrap();
    ws.distribution.reclaim_after_seconds = Some(1200);
    let patch = from(json!({"distribution": ws.distribution}));
    switchboard_core::channels::update_workstream(&r.ch, &ws.id, patch)
        .await
        .unwrap();
    // The timer set for 600 s looks again at 1200 s.
    r.clock.advance_secs(601);
    let report = r.tick().await;
    assert_eq!((report.reclaimed, report.rescheduled), (0, 1), "{report:?}");
    r.clock.advance_secs(600);
    assert_eq!(r.tick().await.reclaimed, 1);
}

async fn a_transfer_starts_the_clock_again(aws: bool) {
    let r = rig(aws).await;
    r.presence(&aid("bo"), "available").await;
    let c = r.message("7700000000000321", "a question").await;
    let first = aid(&r.offered_to(&c).await.expect("offered"));
    engine::accept(&r.deps, &first, &c).await.unwrap();
    // She answers, then hands it to the other agent, who accepts later.
    reply(&r, first.as_str(), &c).await;
    r.clock.advance_secs(500);
    let other = if first.as_str() == "anna" {
        "bo"
    } else {
        "anna"
    };
    engine::transfer(&r.deps, &first, &c, engine::TransferTo::Agent(aid(other)))
        .await
        .unwrap();
    assert_eq!(r.conv(&c).await.routing.unwrap().answered_at, None);
    engine::accept(&r.deps, &aid(other), &c).await.unwrap();
    // The first agent's reclaim time passes: the new holder's has not.
    r.clock.advance_secs(200);
    assert_eq!(r.tick().await.reclaimed, 0);
    assert_eq!(r.conv(&c).await.routing.unwrap().agent, Some(aid(other)));
    // Theirs does: their predecessor's reply does not count.
    r.clock.advance_secs(401);
    assert_eq!(r.tick().await.reclaimed, 1);
}

async fn an_absent_agents_conversations_go_to_someone_present(aws: bool) {
    let r = RoutingRig::new(aws, T0).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(
        json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "handoff_after_seconds": 300,
            "affinity": {"enabled": true, "wait_seconds": 600}}}),
    )
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"]}), "available").await;
    r.agent(json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 2, "queues": ["general"]}), "away").await;
    // anna holds two: the customer wrote last in one, she did in the other.
    let waiting = r
        .message("7700000000000331", "my card was charged twice")
        .await;
    engine::accept(&r.deps, &aid("anna"), &waiting)
        .await
        .unwrap();
    let answered = r
        .message("7700000000000332", "how do I reset my password?")
        .await;
    engine::accept(&r.deps, &aid("anna"), &answered)
        .await
        .unwrap();
    r.clock.advance_secs(30);
    reply(&r, "anna", &answered).await;
    r.clock.advance_secs(30);
    let _ = r
        .message("7700000000000331", "hello? it happened again")
        .await;
    // Busy is never absent: nothing moves however long it lasts.
    r.presence(&aid("anna"), "busy").await;
    r.clock.advance_secs(900);
    assert_eq!(r.tick().await.handed_off, 0);

    // She goes away, then offline (the count starts at her latest
    // change); bo is here.
    r.presence(&aid("anna"), "away").await;
    r.clock.advance_secs(100);
    r.presence(&aid("anna"), "offline").await;
    r.presence(&aid("bo"), "available").await;
    r.clock.advance_secs(250);
    assert_eq!(r.tick().await.handed_off, 0, "the away timer looks again");
    r.clock.advance_secs(49);
    assert_eq!(r.tick().await.handed_off, 0, "not a second early");
    r.clock.advance_secs(2);
    let report = r.tick().await;
    assert_eq!(report.handed_off, 1, "{report:?}");
    assert_eq!(report.hand_offs_pending, 1, "{report:?}");
    // The waiting customer is bo's offer now, not counted as anna's decline,
    // her affinity broken, and her capacity back for it.
    assert_eq!(r.offered_to(&waiting).await.as_deref(), Some("bo"));
    let routing = r.conv(&waiting).await.routing.unwrap();
    assert_eq!(routing.declines.get(&aid("anna")), None);
    let why = routing
        .decisions
        .iter()
        .find(|d| d.step == "handed_off")
        .expect("a handed_off decision");
    assert!(
        why.detail
            .contains("anna has been offline for more than 300 s")
            && why.detail.contains("affinity to anna broken"),
        "{}",
        why.detail
    );
    assert_eq!(r.used("anna").await, 1, "only the answered one holds her");
    // The one she answered last stays hers until its customer writes.
    let kept = r.conv(&answered).await;
    assert_eq!(kept.state, ConversationState::Assigned);
    assert_eq!(kept.routing.unwrap().agent, Some(aid("anna")));
    r.clock.advance_secs(600);
    assert_eq!(r.tick().await.handed_off, 0);
    let _ = r.message("7700000000000332", "that did not work").await;
    assert_eq!(r.offered_to(&answered).await.as_deref(), Some("bo"));
    assert_eq!(r.used("anna").await, 0, "all of her capacity is back");
    let feed = r.feed("anna").await;
    assert_eq!(
        feed.iter()
            .filter(|e| e.data["type"] == "handed_off")
            .count(),
        2,
        "{feed:?}"
    );
    // Affinity is broken: the first customer, back later while anna is
    // still offline, is not held for her.
    engine::close(&r.deps, &waiting, "done").await.unwrap();
    r.clock.advance_secs(3600);
    let again = r.message("7700000000000331", "me again").await;
    assert_ne!(again, waiting);
    assert_eq!(r.conv(&again).await.routing.unwrap().affinity_agent, None);
    assert_eq!(r.offered_to(&again).await.as_deref(), Some("bo"));
}

/// One queue, a workstream that hands off after 5 minutes, anna
/// (capacity 1) available and bo away.
async fn handoff_rig(aws: bool) -> RoutingRig {
    let r = RoutingRig::new(aws, T0).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(
        json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "handoff_after_seconds": 300}}),
    )
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 1, "queues": ["general"]}), "available").await;
    r.agent(json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 1, "queues": ["general"]}), "away").await;
    r
}

async fn an_agent_back_in_time_keeps_their_conversations(aws: bool) {
    let r = handoff_rig(aws).await;
    let c = r.message("7700000000000341", "a question").await;
    engine::accept(&r.deps, &aid("anna"), &c).await.unwrap();
    r.presence(&aid("anna"), "away").await;
    r.clock.advance_secs(200);
    r.presence(&aid("anna"), "available").await;
    r.presence(&aid("bo"), "available").await;
    r.clock.advance_secs(200);
    let report = r.tick().await;
    assert_eq!(report.handed_off, 0, "{report:?}");
    assert_eq!(r.conv(&c).await.routing.unwrap().agent, Some(aid("anna")));
    // Away again: the count starts over.
    r.presence(&aid("anna"), "away").await;
    r.clock.advance_secs(299);
    assert_eq!(r.tick().await.handed_off, 0);
    r.clock.advance_secs(2);
    assert_eq!(r.tick().await.handed_off, 1);
    assert_eq!(r.offered_to(&c).await.as_deref(), Some("bo"));
}

async fn the_service_level_report_adds_up(aws: bool) {
    use switchboard_core::supervision::service_level::{Durations, Scope, report};
    let r = RoutingRig::new(aws, T0).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "reclaim_after_seconds": 600, "auto_close_after_seconds": 1800}}))
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2, "queues": ["general"]}), "available").await;
    r.agent(json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 2, "queues": ["general"]}), "away").await;
    // 1: anna takes it after 20 s, answers 40 s later, closes 100 s later.
    let c1 = r.message("7700000000000351", "first").await;
    r.clock.advance_secs(20);
    engine::accept(&r.deps, &aid("anna"), &c1).await.unwrap();
    r.clock.advance_secs(40);
    reply(&r, "anna", &c1).await;
    r.clock.advance_secs(100);
    engine::close(&r.deps, &c1, "done").await.unwrap();
    // 2: anna takes it after 10 s and never answers; 600 s later it is
    // reclaimed for bo, who takes it 30 s later and answers 20 s after
    // that; then silence closes it 1800 s on.
    r.clock.advance_secs(40);
    let c2 = r.message("7700000000000352", "second").await;
    r.clock.advance_secs(10);
    engine::accept(&r.deps, &aid("anna"), &c2).await.unwrap();
    r.presence(&aid("bo"), "available").await;
    r.clock.advance_secs(600);
    assert_eq!(r.tick().await.reclaimed, 1);
    assert_eq!(r.offered_to(&c2).await.as_deref(), Some("bo"));
    r.clock.advance_secs(30);
    engine::accept(&r.deps, &aid("bo"), &c2).await.unwrap();
    r.clock.advance_secs(20);
    reply(&r, "bo", &c2).await;
    r.clock.advance_secs(1800);
    assert_eq!(r.tick().await.auto_closed, 1);

    let whole = report(
        &r.deps,
        Scope {
            from: Some(switchboard_core::Millis(T0)),
            to: Some(r.clock.now().plus_secs(1)),
            ..Default::default()
        },
    )
    .await
    .expect("report");
    let d = |count, p50, p90, average| Durations {
        count,
        p50: Some(p50),
        p90: Some(p90),
        average: Some(average),
    };
    let t = &whole.total;
    assert_eq!(t.time_to_assign, d(3, 20, 640, 223.3), "{whole:?}");
    assert_eq!(t.first_response, d(2, 60, 660, 360.0));
    assert_eq!(t.handle_time, d(2, 140, 1820, 980.0));
    assert_eq!((t.reclaimed, t.handed_off, t.abandoned), (1, 0, 0));
    assert_eq!((t.closed, t.auto_closed), (2, 1));
    assert_eq!((t.survey_responses, t.survey_average), (0, None));
    assert_eq!(whole.queues.len(), 1);
    assert_eq!(whole.queues[0].figures, whole.total);
    let agent = |id: &str| {
        whole
            .agents
            .iter()
            .find(|a| a.agent_id.as_str() == id)
            .map(|a| a.figures.clone())
            .unwrap()
    };
    let (anna, bo) = (agent("anna"), agent("bo"));
    assert_eq!(anna.time_to_assign, d(2, 10, 20, 15.0));
    assert_eq!(anna.first_response, d(1, 60, 60, 60.0));
    assert_eq!((anna.reclaimed, anna.closed, anna.auto_closed), (1, 1, 0));
    assert_eq!(bo.time_to_assign, d(1, 640, 640, 640.0));
    assert_eq!(bo.first_response, d(1, 660, 660, 660.0));
    assert_eq!(bo.handle_time, d(1, 1820, 1820, 1820.0));
    assert_eq!((bo.reclaimed, bo.closed, bo.auto_closed), (0, 1, 1));

    // Survey answers count in the queue their conversation was routed to,
    // for the agent and the queue: a report of one queue leaves out the
    // agent's answers from another.
    for (i, queue, ws, score) in [(1, "general", "support", 4u8), (2, "billing", "sales", 2)] {
        let at = r.clock.now().plus_secs(-i);
        let answer = json!({"conversation_id": c1.as_str(), "agent_id": "anna", "queue": queue,
            "workstream": ws, "score": score, "answered_at": at.to_rfc3339()});
        let entry = switchboard_core::ports::StreamEntry {
            cursor: switchboard_core::ports::stream_cursor(at, &format!("answer{i}")),
            data: answer,
            expires_at: None,
        };
        r.deps
            .streams
            .append_entry(switchboard_core::delivery::SURVEYS_STREAM, &entry)
            .await
            .unwrap();
    }
    // anna's survey figures (responses, average) and the total's, in a
    // report of the queue or the workstream given.
    let surveys = |queue: Option<&str>, workstream: Option<&str>| {
        let deps = r.deps.clone();
        let scope = Scope {
            from: Some(switchboard_core::Millis(T0)),
            to: Some(r.clock.now().plus_secs(1)),
            queue: queue.map(|q| switchboard_core::routing::model::QueueId::parse(q).unwrap()),
            workstream: workstream
                .map(|w| switchboard_core::workstreams::WorkstreamId::parse(w).unwrap()),
        };
        async move {
            let got = report(&deps, scope).await.unwrap();
            let anna = got
                .agents
                .iter()
                .find(|a| a.agent_id.as_str() == "anna")
                .map(|a| (a.figures.survey_responses, a.figures.survey_average));
            let total = (got.total.survey_responses, got.total.survey_average);
            (anna, total)
        }
    };
    assert_eq!(surveys(None, None).await.0, Some((2, Some(3.0))));
    assert_eq!(
        surveys(Some("general"), None).await,
        (Some((1, Some(4.0))), (1, Some(4.0)))
    );
    assert_eq!(
        surveys(None, Some("support")).await.0,
        Some((1, Some(4.0))),
        "the answer in workstream sales is not support's"
    );

    // A period, a queue or a workstream with none of it counts nothing.
    let other = report(
        &r.deps,
        Scope {
            from: Some(switchboard_core::Millis(T0)),
            to: Some(r.clock.now().plus_secs(1)),
            queue: Some(switchboard_core::routing::model::QueueId::parse("billing").unwrap()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(other.total.closed, 0);
    assert!(other.agents.is_empty());
    let before = report(
        &r.deps,
        Scope {
            from: Some(switchboard_core::Millis(T0 - 86_400_000)),
            to: Some(switchboard_core::Millis(T0)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(before.total.time_to_assign.count, 0);
    // Only the first fact of c1 (its assignment at T0 + 20 s) before T0 + 21 s.
    let first = report(
        &r.deps,
        Scope {
            from: Some(switchboard_core::Millis(T0)),
            to: Some(switchboard_core::Millis(T0 + 21_000)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(first.total.time_to_assign, d(1, 20, 20, 20.0));
    assert_eq!(first.total.first_response.count, 0);
}

async fn reclaim_settings_are_checked(aws: bool) {
    let r = RoutingRig::new(aws, T0).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    for (distribution, says) in [
        (
            json!({"fallback_queue": "general", "reclaim_after_seconds": 5}),
            "reclaim_after_seconds must be at least 30",
        ),
        (
            json!({"fallback_queue": "general", "handoff_after_seconds": 10}),
            "handoff_after_seconds must be at least 30",
        ),
        (
            json!({"fallback_queue": "general", "first_response_alert_seconds": 2}),
            "first_response_alert_seconds must be at least 10",
        ),
        (
            json!({"fallback_queue": "general", "first_response_alert_seconds": 600, "reclaim_after_seconds": 300}),
            "must be less than reclaim_after_seconds (300): the alert comes first",
        ),
    ] {
        let Err(p) = switchboard_core::channels::create_workstream(
            &r.ch,
            from(json!({"name": "Support", "pages": [PAGE_1], "locale": "en", "distribution": distribution})),
        )
        .await
        else {
            panic!("{distribution} was taken");
        };
        assert_eq!(p.code, "invalid_distribution");
        assert!(p.detail.contains(says), "{}", p.detail);
    }
}

/// The waiting list of queue `general`, as (conversation, priority).
async fn general(r: &RoutingRig) -> Vec<(ConversationId, u32)> {
    r.deps
        .routing
        .waiting(
            &switchboard_core::routing::model::QueueId::parse("general").unwrap(),
            None,
            10,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.conversation_id, i.priority))
        .collect()
}

async fn a_window_closing_unanswered_is_escalated_then_abandoned(aws: bool) {
    use switchboard_core::Millis;
    use switchboard_core::supervision::service_level::{Scope, report};
    const H: i64 = 3600;
    const HOUR: i64 = 3_600_000;
    let r = RoutingRig::new(aws, T0).await;
    r.queue(json!({"id": "general", "name": "General"})).await;
    r.workstream(
        json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general"}}),
    )
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 1, "queues": ["general"]}), "available").await;
    // 1: anna takes it and answers; its customer writes again (unanswered).
    // 2 and 3 wait (anna is full), 3 newer than 2.
    let c1 = r.message("7700000000000361", "first").await;
    engine::accept(&r.deps, &aid("anna"), &c1).await.unwrap();
    r.clock.advance_secs(30);
    reply(&r, "anna", &c1).await;
    r.clock.advance_secs(30);
    let c2 = r.message("7700000000000362", "second").await;
    r.clock.advance_secs(30);
    r.message("7700000000000361", "one more thing").await;
    r.clock.advance_secs(30);
    let c3 = r.message("7700000000000363", "third").await;
    // 3's customer writes again 2 hours on: their window moves (and 3
    // keeps its place in the queue).
    r.clock.advance_secs(2 * H);
    r.message("7700000000000363", "anyone?").await;
    assert_eq!(general(&r).await, vec![(c2.clone(), 5), (c3.clone(), 5)]);

    // Not a second before the hour before the close.
    r.clock.advance_secs(21 * H - 121);
    assert_eq!(r.clock.now().0, T0 + 23 * HOUR - 1_000);
    let t = r.tick().await;
    assert_eq!(t.windows_escalated, 0, "{t:?}");
    assert!(overview(&r.deps).await.unwrap().window_alerts.is_empty());

    // Then 2 (waiting) and 1 (held by anna, its last message unanswered)
    // are escalated; 3's window closes later (its timer moves with it).
    r.clock.advance_secs(121);
    let t = r.tick().await;
    assert_eq!(t.windows_escalated, 2, "{t:?}");
    assert_eq!(
        general(&r).await,
        vec![(c2.clone(), 0), (c3.clone(), 5)],
        "2 at the top of its queue"
    );
    let o = overview(&r.deps).await.unwrap();
    let alerted: Vec<_> = o
        .window_alerts
        .iter()
        .map(|a| (a.conversation_id.clone(), a.agent_id.clone()))
        .collect();
    assert_eq!(
        alerted,
        vec![(c2.clone(), None), (c1.clone(), Some(aid("anna")))],
        "soonest closing first"
    );
    assert_eq!(
        o.window_alerts[0].window_closes_at,
        Millis(T0 + 24 * HOUR + 60_000)
    );
    assert_eq!(
        o.window_alerts[1].window_closes_at,
        Millis(T0 + 24 * HOUR + 90_000)
    );
    let why = r.conv(&c2).await.routing.unwrap();
    assert!(
        why.decisions
            .iter()
            .any(|d| d.step == "window_closing" && d.detail.contains("top of queue general")),
        "{:?}",
        why.decisions
    );
    assert!(
        r.feed("anna")
            .await
            .iter()
            .any(|e| e.data["type"] == "window_closing" && e.data["conversation_id"] == c1.as_str())
    );
    // A later run escalates nothing twice.
    r.clock.advance_secs(10);
    assert_eq!(r.tick().await.windows_escalated, 0);

    // anna answers 1 again in time: its alert goes.
    reply(&r, "anna", &c1).await;
    let o = overview(&r.deps).await.unwrap();
    assert_eq!(o.window_alerts.len(), 1, "{:?}", o.window_alerts);
    assert_eq!(o.window_alerts[0].conversation_id, c2);

    // The windows close: 2 was never answered (abandoned), 1 was.
    r.clock.advance_secs(H);
    let t = r.tick().await;
    assert_eq!(t.abandoned, 1, "{t:?}");
    assert!(
        r.conv(&c2)
            .await
            .routing
            .unwrap()
            .decisions
            .iter()
            .any(|d| d.step == "abandoned")
    );
    assert!(overview(&r.deps).await.unwrap().window_alerts.is_empty());
    assert_eq!(general(&r).await[0], (c2.clone(), 5), "no longer escalated");
    r.clock.advance_secs(60);
    assert_eq!(r.tick().await.abandoned, 0, "counted once");
    let abandoned = |r: &RoutingRig| {
        let deps = r.deps.clone();
        let to = r.clock.now().plus_secs(1);
        async move {
            let whole = report(
                &deps,
                Scope {
                    from: Some(Millis(T0)),
                    to: Some(to),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            assert_eq!(whole.queues[0].figures.abandoned, whole.total.abandoned);
            whole.total.abandoned
        }
    };
    assert_eq!(abandoned(&r).await, 1);

    // 3's window (moved by its second message) comes to its hour.
    r.clock.advance_secs(H - 60);
    let t = r.tick().await;
    assert_eq!(t.windows_escalated, 1, "3, whose window moved: {t:?}");
    // 2's customer writes again: a new window, watched again.
    r.clock.advance_secs(10);
    r.message("7700000000000362", "hello??").await;
    r.clock.advance_secs(H);
    let t = r.tick().await;
    assert_eq!(t.abandoned, 1, "3's window closed unanswered: {t:?}");
    assert_eq!(general(&r).await, vec![(c2.clone(), 5), (c3.clone(), 5)]);
    r.clock.advance_secs(22 * H - 1);
    assert_eq!(r.tick().await.windows_escalated, 0);
    r.clock.advance_secs(1);
    let t = r.tick().await;
    assert_eq!(t.windows_escalated, 1, "2's new window: {t:?}");
    assert_eq!(general(&r).await, vec![(c2.clone(), 0), (c3.clone(), 5)]);
    assert_eq!(abandoned(&r).await, 2);

    // 2's customer writes again after that window closed, before the
    // scheduler came to it: the close is counted when the message comes,
    // and once; the escalation ends with the new window.
    r.clock.advance_secs(H + 5);
    r.message("7700000000000362", "I give up").await;
    assert_eq!(abandoned(&r).await, 3);
    assert_eq!(general(&r).await[0], (c2.clone(), 5));
    let t = r.tick().await;
    assert_eq!((t.abandoned, t.windows_escalated), (0, 0), "{t:?}");
    assert_eq!(abandoned(&r).await, 3);
}

async fn a_console_that_stops_heartbeating_hands_off(aws: bool) {
    use switchboard_core::routing::model::BasePresence;
    let r = handoff_rig(aws).await;
    let c = r.message("7700000000000371", "is anyone there?").await;
    engine::accept(&r.deps, &aid("anna"), &c).await.unwrap();
    // bo works through the API alone: never a heartbeat.
    r.presence(&aid("bo"), "available").await;
    let beat = |who: &'static str| {
        let deps = r.deps.clone();
        async move { engine::heartbeat(&deps, &aid(who)).await.unwrap() }
    };
    let state = beat("anna").await;
    assert_eq!(state.heartbeat_at, Some(switchboard_core::Millis(T0)));
    assert!(matches!(
        engine::heartbeat(&r.deps, &aid("nobody")).await,
        Err(engine::RoutingError::NotFound(_))
    ));
    // anna's console keeps beating: she stays, whatever the time.
    for _ in 0..10 {
        r.clock.advance_secs(30);
        beat("anna").await;
        assert_eq!(r.tick().await.consoles_lapsed, 0);
    }
    let last = r.clock.now();
    // Her tab closes: nothing for 119 s, then she is offline as of her
    // last heartbeat; bo, silent all along, is never touched.
    r.clock.advance_secs(119);
    assert_eq!(r.tick().await.consoles_lapsed, 0);
    r.clock.advance_secs(1);
    assert_eq!(r.tick().await.consoles_lapsed, 1);
    let presence = |who: &'static str| {
        let deps = r.deps.clone();
        async move {
            deps.config
                .get_agent(&aid(who))
                .await
                .unwrap()
                .unwrap()
                .presence
        }
    };
    let anna = presence("anna").await;
    assert_eq!((anna.status, anna.set_at), (BasePresence::Offline, last));
    assert_eq!(presence("bo").await.status, BasePresence::Available);
    assert_eq!(r.tick().await.consoles_lapsed, 0, "once");
    // The hand-off counts from her last heartbeat: 300 s after it the
    // waiting customer goes to bo.
    r.clock.advance_secs(179);
    assert_eq!(r.tick().await.handed_off, 0);
    r.clock.advance_secs(1);
    assert_eq!(r.tick().await.handed_off, 1);
    assert_eq!(r.offered_to(&c).await.as_deref(), Some("bo"));
    // anna comes back through the API alone (no console): her old
    // heartbeat does not send her offline again.
    r.presence(&aid("anna"), "available").await;
    r.clock.advance_secs(600);
    assert_eq!(r.tick().await.consoles_lapsed, 0);
    assert_eq!(presence("anna").await.status, BasePresence::Available);
}

async fn the_longest_wait_still_applies_after_an_offer_or_a_reclaim(aws: bool) {
    let r = RoutingRig::new(aws, T0).await;
    r.queue(json!({"id": "later", "name": "Later"})).await;
    r.queue(json!({"id": "general", "name": "General",
        "overflow": {"max_wait": {"seconds": 30, "action": "transfer", "queue": "later"}}}))
        .await;
    r.workstream(
        json!({"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
        "distribution": {"fallback_queue": "general", "offer_timeout_seconds": 60,
            "reclaim_after_seconds": 60}}),
    )
    .await;
    r.agent(json!({"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 1, "queues": ["general"]}), "available").await;
    r.agent(json!({"id": "bo", "name": "Bo", "email": "bo@example.com", "capacity": 1, "queues": ["general"]}), "away").await;
    let queue_of = |id: ConversationId| {
        let r = &r;
        async move {
            r.conv(&id)
                .await
                .routing
                .unwrap()
                .queue
                .unwrap()
                .to_string()
        }
    };
    // 1: offered to anna past the queue's 30 s; her offer lapses at 60 s:
    // it overflows then, not never.
    let c1 = r.message("7700000000000381", "first").await;
    assert_eq!(r.offered_to(&c1).await.as_deref(), Some("anna"));
    r.clock.advance_secs(31);
    assert_eq!(r.tick().await.overflowed, 0);
    r.clock.advance_secs(30);
    let t = r.tick().await;
    assert_eq!((t.offers_expired, t.overflowed), (1, 1), "{t:?}");
    assert_eq!(queue_of(c1.clone()).await, "later");

    // 2: anna accepts it and never answers; the queue's 30 s pass while she
    // holds it; reclaimed at 60 s, it waits again (bo is away), and
    // overflows 30 s after that.
    let c2 = r.message("7700000000000382", "second").await;
    engine::accept(&r.deps, &aid("anna"), &c2).await.unwrap();
    r.clock.advance_secs(31);
    r.tick().await;
    r.clock.advance_secs(30);
    assert_eq!(r.tick().await.reclaimed, 1);
    let back = r.conv(&c2).await;
    assert_eq!(back.state, ConversationState::Waiting);
    // Time to assign still counts from when it was first queued.
    assert_eq!(back.routing.unwrap().queued_at, Some(back.created_at));
    r.clock.advance_secs(29);
    assert_eq!(r.tick().await.overflowed, 0);
    r.clock.advance_secs(2);
    assert_eq!(r.tick().await.overflowed, 1);
    assert_eq!(queue_of(c2.clone()).await, "later");
}

macro_rules! suite {
    ($backend:ident, $aws:expr) => {
        mod $backend {
            suite!(@case $aws; an_unanswered_conversation_is_reclaimed_for_the_next_agent,
                a_reply_in_time_keeps_the_conversation, a_transfer_starts_the_clock_again,
                reclaim_settings_are_checked, a_raised_reclaim_time_is_kept, an_absent_agents_conversations_go_to_someone_present,
                an_agent_back_in_time_keeps_their_conversations, the_service_level_report_adds_up,
                a_window_closing_unanswered_is_escalated_then_abandoned,
                a_console_that_stops_heartbeating_hands_off,
                the_longest_wait_still_applies_after_an_offer_or_a_reclaim);
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
