//! The operators' conversation search (`conversation_search::search`) on
//! both stores: queue, agent and creation-time filters with the store's
//! own, paged newest first, and a walk that stops at its budget with a
//! cursor to go on.

use std::sync::Arc;
use switchboard_core::Millis;
use switchboard_core::conversation_search::{Search, search, search_within};
use switchboard_core::event::{EventKind, InboundEvent};
use switchboard_core::ids::*;
use switchboard_core::messenger::Channel;
use switchboard_core::paging::{self, PageRequest};
use switchboard_core::ports::*;
use switchboard_core::routing::model::{AgentId, QueueId};
use switchboard_core::routing::record::Routing;
use switchboard_tests::{Store, unique_psid};

const T0: i64 = 1_764_000_000_000;
const PAGE: &str = "104857600000031";

/// A new waiting conversation on `page`, created at `at`.
async fn open(s: &dyn Store, page: &str, at: i64) -> Conversation {
    let psid = unique_psid("78");
    let raw = serde_json::value::RawValue::from_string(r#"{"k":1}"#.into()).unwrap();
    let mut e = InboundEvent::bare(
        &AccountId::parse("acme").unwrap(),
        &PageId::parse(page).unwrap(),
        Some(Psid::parse(psid.clone()).unwrap()),
        Channel::Messaging,
        EventKind::Message,
        Millis(at),
        Millis(at + 5),
        raw,
    );
    e.key = format!("o-{psid}");
    let ids = NewIds {
        contact_id: ContactId::generate(),
        contact_name: "Customer".into(),
        conversation_id: ConversationId::generate(),
    };
    let id = match s.append(&e, &ids, Millis(at)).await.unwrap() {
        AppendOutcome::Stored {
            conversation_id, ..
        } => conversation_id,
        other => panic!("expected Stored, got {other:?}"),
    };
    s.get_conversation(&id).await.unwrap().unwrap()
}

/// Route `c` to `queue`, assigned to `agent` when one is named.
async fn route(s: &dyn Store, c: &Conversation, queue: &str, agent: Option<&str>) {
    let state = if agent.is_some() {
        ConversationState::Assigned
    } else {
        ConversationState::Waiting
    };
    s.apply(&[RoutingOp::Conversation {
        id: c.id.clone(),
        page: c.page_id.clone(),
        psid: c.psid.clone(),
        expect: c.rv,
        state,
        routing: Box::new(Routing {
            queue: Some(QueueId::parse(queue).unwrap()),
            agent: agent.map(|a| AgentId::parse(a).unwrap()),
            ..Routing::default()
        }),
        at: Millis(T0 + 10_000),
    }])
    .await
    .unwrap();
}

fn req(limit: usize, after: Option<String>) -> PageRequest {
    PageRequest { limit, after }
}

/// Every page of `s` through `q`, the ids of each page.
async fn pages(store: &dyn Store, q: &Search, limit: usize) -> Vec<Vec<ConversationId>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let (list, next) = search(store, store, q, &req(limit, after)).await.unwrap();
        out.push(list.into_iter().map(|c| c.id).collect());
        match next {
            Some(c) => after = Some(paging::decode(&c).unwrap()),
            None => return out,
        }
        assert!(out.len() < 50, "paging does not end");
    }
}

fn flat(p: Vec<Vec<ConversationId>>) -> Vec<ConversationId> {
    p.into_iter().flatten().collect()
}

async fn filters_by_queue_agent_and_time(s: Arc<dyn Store>) {
    let s = s.as_ref();
    // Ten conversations a minute apart, newest last.
    let mut c = Vec::new();
    for i in 0..10 {
        c.push(open(s, PAGE, T0 + i * 60_000).await);
    }
    route(s, &c[1], "billing", Some("ana")).await;
    route(s, &c[4], "billing", None).await;
    route(s, &c[7], "billing", Some("bob")).await;
    route(s, &c[8], "orders", Some("ana")).await;
    let ids = |is: &[usize]| is.iter().map(|&i| c[i].id.clone()).collect::<Vec<_>>();
    let on_page = ConversationFilter {
        page_id: Some(PageId::parse(PAGE).unwrap()),
        ..Default::default()
    };
    let billing = Search {
        store: on_page.clone(),
        queue: Some(QueueId::parse("billing").unwrap()),
        ..Default::default()
    };
    assert_eq!(flat(pages(s, &billing, 50).await), ids(&[7, 4, 1]));
    // Paged one at a time: each once, in order.
    assert_eq!(
        pages(s, &billing, 1).await,
        vec![ids(&[7]), ids(&[4]), ids(&[1])]
    );
    let ana = Search {
        agent: Some(AgentId::parse("ana").unwrap()),
        ..Default::default()
    };
    assert_eq!(flat(pages(s, &ana, 50).await), ids(&[8, 1]));
    // Queue and agent together, and the store's state filter with them.
    let both = Search {
        agent: Some(AgentId::parse("ana").unwrap()),
        ..billing.clone()
    };
    assert_eq!(flat(pages(s, &both, 50).await), ids(&[1]));
    let waiting_billing = Search {
        store: ConversationFilter {
            state: Some(ConversationState::Waiting),
            ..on_page.clone()
        },
        ..billing.clone()
    };
    assert_eq!(flat(pages(s, &waiting_billing, 50).await), ids(&[4]));
    // from inclusive, to exclusive, paged.
    let window = Search {
        store: on_page.clone(),
        from: Some(Millis(T0 + 2 * 60_000)),
        to: Some(Millis(T0 + 6 * 60_000)),
        ..Default::default()
    };
    assert_eq!(pages(s, &window, 2).await, vec![ids(&[5, 4]), ids(&[3, 2])]);
    // A time window with a queue.
    let late_billing = Search {
        from: Some(Millis(T0 + 3 * 60_000)),
        ..billing.clone()
    };
    assert_eq!(flat(pages(s, &late_billing, 50).await), ids(&[7, 4]));
    // A cursor earlier than `to` is kept.
    let (first, next) = search(s, s, &window, &req(1, None)).await.unwrap();
    assert_eq!(first[0].id, c[5].id);
    let after = paging::decode(&next.unwrap()).unwrap();
    let (second, _) = search(s, s, &window, &req(1, Some(after))).await.unwrap();
    assert_eq!(second[0].id, c[4].id);
    // An empty window finds nothing.
    let empty = Search {
        from: Some(Millis(T0 + 6 * 60_000)),
        to: Some(Millis(T0 + 6 * 60_000)),
        ..Default::default()
    };
    assert_eq!(
        pages(s, &empty, 10).await,
        vec![Vec::<ConversationId>::new()]
    );
}

async fn a_long_walk_stops_at_its_budget_with_a_cursor(s: Arc<dyn Store>) {
    let s = s.as_ref();
    let page = "104857600000032";
    let oldest = open(s, page, T0).await;
    route(s, &oldest, "rare", Some("zed")).await;
    // A budget of 30 conversations, 40 newer ones that do not match.
    for i in 1..=40 {
        open(s, page, T0 + i * 1_000).await;
    }
    let rare = Search {
        store: ConversationFilter {
            page_id: Some(PageId::parse(page).unwrap()),
            ..Default::default()
        },
        queue: Some(QueueId::parse("rare").unwrap()),
        ..Default::default()
    };
    let (list, next) = search_within(s, s, &rare, &req(10, None), 30)
        .await
        .unwrap();
    assert!(list.is_empty(), "nothing matched within the budget");
    let cursor = next.expect("a cursor to go on");
    let after = paging::decode(&cursor).unwrap();
    let (list, next) = search_within(s, s, &rare, &req(10, Some(after)), 30)
        .await
        .unwrap();
    assert_eq!(
        list.into_iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![oldest.id.clone()]
    );
    assert_eq!(next, None);
    // By agent the inbox index is read: found at once, whatever the budget.
    let zed = Search {
        agent: Some(AgentId::parse("zed").unwrap()),
        ..rare.clone()
    };
    let (list, next) = search_within(s, s, &zed, &req(10, None), 30).await.unwrap();
    assert_eq!(
        list.into_iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![oldest.id]
    );
    assert_eq!(next, None);
}

switchboard_tests::store_suites!(
    filters_by_queue_agent_and_time,
    a_long_walk_stops_at_its_budget_with_a_cursor
);

/// `GET /admin/v1/conversations` with the new filters, and its 400s.
mod http {
    use switchboard_tests::agent_rig::*;
    use switchboard_tests::*;

    async fn the_admin_api_searches_and_refuses_bad_input(aws: bool) {
        let rig = AgentRig::new(
            aws,
            RigSetup {
                customer: "7700000000000961",
                ..RigSetup::new(serde_json::json!({
                    "queues": [{"id": "general", "name": "General"}, {"id": "billing", "name": "Billing"}],
                    "agents": [{"id": "anna", "name": "Anna", "email": "anna@example.com", "capacity": 2,
                        "queues": ["general"], "presence": "available"}],
                    "workstreams": [{"id": "support", "name": "Support", "pages": [PAGE_1], "locale": "en",
                        "distribution": {"fallback_queue": "general"}}]
                }))
            },
        )
        .await;
        rig.customer_says("m_search_1", "Where is my parcel?").await;
        let count = |q: &'static str| {
            let rig = &rig;
            async move {
                let (s, v) = rig
                    .http("GET", &format!("/admin/v1/conversations?{q}"), ADMIN, None)
                    .await;
                assert_eq!(s, 200, "{q}: {v}");
                v["conversations"].as_array().map(Vec::len).unwrap_or(0)
            }
        };
        assert_eq!(count("queue_id=general").await, 1);
        assert_eq!(count("queue_id=billing").await, 0);
        assert_eq!(count("agent_id=anna&state=offered").await, 1);
        assert_eq!(count("agent_id=bo").await, 0);
        assert_eq!(count("from=2000-01-01T00:00:00Z").await, 1);
        assert_eq!(count("from=2099-01-01T00:00:00Z").await, 0);
        assert_eq!(count("to=2000-01-01T00:00:00%2B01:00").await, 0);
        for (q, code) in [
            ("from=yesterday", "invalid_time"),
            ("to=1764000000000", "invalid_time"),
            ("from=0001-01-01T00:00:00Z", "invalid_time"),
            (
                "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
                "invalid_time_range",
            ),
            ("queue_id=Not%20a%20queue", "invalid_id"),
            ("agent_id=", "invalid_id"),
            ("colour=red", "unknown_parameter"),
        ] {
            let (s, v) = rig
                .http("GET", &format!("/admin/v1/conversations?{q}"), ADMIN, None)
                .await;
            assert_eq!((s, v["code"].as_str()), (400, Some(code)), "{q}: {v}");
        }
    }

    switchboard_tests::both_stores!(the_admin_api_searches_and_refuses_bad_input);
}
