//! CPU of one routing decision, excluding I/O: classify a first message
//! with the workstream's rulesets (language detection, a regex, attribute
//! hand-over to route-to-queue), rank the 1,000 members of the queue
//! (presence, capacity, skills, assignment method) and build the
//! diagnostics and the conditional write; and an agent's pull over the
//! waiting items the store hands back (the first 25 by index, plus the
//! window-closing ones: the store is never scanned, however many wait).
//! `make bench` runs it; the figures go in README's performance section.

use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::hint::black_box;
use switchboard_core::Millis;
use switchboard_core::ids::ConversationId;
use switchboard_core::routing::classify::{Facts, classify, detect_language, locales_in};
use switchboard_core::routing::model::*;
use switchboard_core::routing::record::WaitingItem;
use switchboard_core::routing::select::{Need, considered, qualifies, rank, take_op};
use switchboard_core::workstreams::WorkstreamId;

fn rulesets() -> Vec<Ruleset> {
    let v = serde_json::json!([
        {"id": "classify", "workstream": "support", "name": "Classify", "order": 1, "kind": "classification",
         "rules": [
            {"name": "vip", "when": {"payload": "VIP"}, "set": {"priority": 0}},
            {"name": "danish invoices", "when": {"all": [{"locale": "da"}, {"text_contains": "faktura"}]},
             "set": {"skills": {"billing": 5}, "priority": 1, "attributes": {"topic": "billing"}}},
            {"name": "order numbers", "when": {"text_matches": "(?i)order\\s*#?\\d{4,}"},
             "set": {"skills": {"orders": 3}, "attributes": {"topic": "orders"}}},
            {"name": "anything", "when": "always", "set": {"priority": 5}}
         ], "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"},
        {"id": "route", "workstream": "support", "name": "Route", "order": 2, "kind": "route_to_queue",
         "rules": [
            {"name": "billing", "when": {"attribute": {"name": "topic", "equals": "billing"}}, "queue": "billing"},
            {"name": "orders", "when": {"attribute": {"name": "topic", "equals": "orders"}}, "queue": "general"}
         ], "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}
    ]);
    serde_json::from_value(v).unwrap()
}

fn members(n: usize) -> Vec<AgentState> {
    (0..n)
        .map(|i| AgentState {
            agent: Agent {
                id: AgentId::parse(format!("agent-{i:04}")).unwrap(),
                name: format!("Agent {i}"),
                email: format!("a{i}@example.com"),
                skills: [
                    (Skill::parse("billing").unwrap(), (i % 10 + 1) as u8),
                    (Skill::parse("orders").unwrap(), ((i / 3) % 10 + 1) as u8),
                ]
                .into(),
                capacity: 3,
                profiles: BTreeMap::new(),
                queues: vec![QueueId::parse("billing").unwrap()],
                created_at: Millis(0),
                updated_at: Millis(0),
            },
            version: 1,
            presence: PresenceSetting {
                status: if i % 7 == 0 {
                    BasePresence::Away
                } else {
                    BasePresence::Available
                },
                label: None,
                set_at: Millis(0),
            },
            load: AgentLoad {
                used: (i % 4) as u32,
                active: (i % 4) as u32,
                last_assigned_at: Some(Millis(i as i64 * 1000)),
                ..AgentLoad::default()
            },
            heartbeat_at: None,
        })
        .collect()
}

fn decision(c: &mut Criterion) {
    let rs = rulesets();
    let team = members(1000);
    let queue = Queue {
        id: QueueId::parse("billing").unwrap(),
        name: "Billing".into(),
        priority: 1,
        assignment: AssignmentMethod::HighestCapacity,
        hours: None,
        overflow: Overflow::default(),
        created_at: Millis(0),
        updated_at: Millis(0),
    };
    let dist = Distribution::default();
    let text = "Hej, jeg har et spørgsmål om min faktura fra sidste måned";
    c.bench_function("routing_decision_1000_agents", |b| {
        b.iter(|| {
            let mut candidates = vec!["en".to_string()];
            candidates.extend(locales_in(&rs));
            let facts = Facts {
                locale: detect_language(black_box(text), &candidates)
                    .unwrap_or("en")
                    .into(),
                text: Some(text.into()),
                ..Facts::default()
            };
            let cls = classify(&rs, &facts);
            assert_eq!(cls.candidates[0].0, queue.id);
            let declines = BTreeMap::new();
            let need = Need {
                skills: &cls.skills,
                capacity: &dist.capacity,
                allowed: &dist.allowed_presences,
                matching: dist.skill_matching,
                declines: &declines,
                max_declines: dist.max_declines,
                reserved_for: None,
            };
            let ranking = rank(black_box(&team), &need, queue.assignment);
            let best = ranking.order[0];
            let listed = considered(&team, &ranking, Some(best), &[]);
            black_box((take_op(&team[best], &need, Millis(1)), listed))
        })
    });

    // An agent's pull: what the store hands back (25 by queue order + 5 by window).
    let agent = &team[1];
    let ws = WorkstreamId::parse("support").unwrap();
    let items: Vec<WaitingItem> = (0..30)
        .map(|i| WaitingItem {
            queue: queue.id.clone(),
            conversation_id: ConversationId::generate(),
            priority: 5,
            since: Millis(i),
            window_closes_at: Millis(i + 86_400_000),
            follow_up: false,
            queued_at: Millis(i),
            // Most need more billing skill than this agent has: the pull looks deep.
            skills: [(
                Skill::parse("billing").unwrap(),
                if i == 29 { 1 } else { 9 },
            )]
            .into(),
            capacity: CapacityNeed::default(),
            declines: BTreeMap::new(),
            affinity_agent: None,
            affinity_until: None,
            workstream: ws.clone(),
        })
        .collect();
    c.bench_function("agent_pull_over_returned_items", |b| {
        b.iter(|| {
            let declines = BTreeMap::new();
            let found = black_box(&items).iter().position(|item| {
                let need = Need {
                    skills: &item.skills,
                    capacity: &item.capacity,
                    allowed: &dist.allowed_presences,
                    matching: dist.skill_matching,
                    declines: &declines,
                    max_declines: dist.max_declines,
                    reserved_for: None,
                };
                qualifies(agent, &need).is_ok()
            });
            assert_eq!(found, Some(29));
        })
    });
}

criterion_group!(benches, decision);
criterion_main!(benches);
