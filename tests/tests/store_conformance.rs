//! One conformance suite for every store adapter: redb (embedded) and
//! DynamoDB (on a moto server this test process starts). The adapters must
//! agree on every conditional write, idempotent insert and ordering rule.

use std::sync::Arc;
use switchboard_core::Millis;
use switchboard_core::event::{EventKind, InboundEvent};
use switchboard_core::ids::*;
use switchboard_core::messenger::Channel;
use switchboard_core::ports::*;
use switchboard_tests::{Store, unique_psid};

const T0: i64 = 1_764_000_000_000;

fn account(id: &str) -> Account {
    Account {
        id: AccountId::parse(id).unwrap(),
        name: "Acme".into(),
        app_id: AppId::parse("900000000000001").unwrap(),
        app_secret_ref: "ref".into(),
        verify_token_sha256: "00".repeat(32),
        created_at: Millis(T0),
        updated_at: Millis(T0),
        webhook_verified_at: None,
    }
}

fn event(page: &str, psid: &str, kind: EventKind, ts: i64, key: &str) -> InboundEvent {
    let raw = serde_json::value::RawValue::from_string(format!(r#"{{"k":"{key}"}}"#)).unwrap();
    let mut e = InboundEvent::bare(
        &AccountId::parse("acme").unwrap(),
        &PageId::parse(page).unwrap(),
        Some(Psid::parse(psid).unwrap()),
        Channel::Messaging,
        kind,
        Millis(ts),
        Millis(ts + 5),
        raw,
    );
    e.key = key.to_string();
    e.mid = Some(key.to_string());
    e.text = Some(format!("text {key}"));
    e
}

fn ids() -> NewIds {
    NewIds {
        contact_id: ContactId::generate(),
        contact_name: "Customer".into(),
        conversation_id: ConversationId::generate(),
    }
}

fn stored(o: AppendOutcome) -> (ConversationId, bool) {
    match o {
        AppendOutcome::Stored {
            conversation_id,
            opened,
        } => (conversation_id, opened),
        other => panic!("expected Stored, got {other:?}"),
    }
}

async fn accounts_conditional_create_and_upsert(s: Arc<dyn Store>) {
    let id = format!("acct-{}", unique_psid("77"));
    let a = account(&id);
    s.put_account(&a, WriteMode::Create).await.unwrap();
    let again = s.put_account(&a, WriteMode::Create).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let renamed = Account {
        name: "Renamed".into(),
        ..a.clone()
    };
    s.put_account(&renamed, WriteMode::Upsert).await.unwrap();
    assert_eq!(s.get_account(&a.id).await.unwrap().unwrap().name, "Renamed");
    assert!(
        s.get_account(&AccountId::parse("nobody-here").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn webhook_verification_is_recorded(s: Arc<dyn Store>) {
    let id = format!("acct-{}", unique_psid("77"));
    let a = account(&id);
    s.put_account(&a, WriteMode::Create).await.unwrap();
    s.mark_webhook_verified(&a.id, Millis(T0 + 42))
        .await
        .unwrap();
    assert_eq!(
        s.get_account(&a.id)
            .await
            .unwrap()
            .unwrap()
            .webhook_verified_at,
        Some(Millis(T0 + 42))
    );
    let missing = s
        .mark_webhook_verified(&AccountId::parse("no-such-account").unwrap(), Millis(T0))
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

async fn pages_conditional_create(s: Arc<dyn Store>) {
    let page = Page {
        page_id: PageId::parse(unique_psid("77")).unwrap(),
        account_id: AccountId::parse("acme").unwrap(),
        name: "Support".into(),
        access_token_ref: None,
        created_at: Millis(T0),
        updated_at: Millis(T0),
        provisioning: Default::default(),
        token: None,
        // Read back as written (Conversation Routing's settings too).
        conversation_routing: switchboard_core::thread_control::ConversationRouting {
            mode: switchboard_core::thread_control::Mode::Standby,
            hand_back_to: switchboard_core::ids::AppId::parse("900000000000099").ok(),
        },
    };
    s.put_page(&page, WriteMode::Create).await.unwrap();
    assert!(matches!(
        s.put_page(&page, WriteMode::Create).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.get_page(&page.page_id).await.unwrap(), Some(page));
}

async fn accounts_are_listed_and_deleted(s: Arc<dyn Store>) {
    let a = account(&format!("a-{}", unique_psid("77")));
    let b = account(&format!("b-{}", unique_psid("77")));
    s.put_account(&a, WriteMode::Create).await.unwrap();
    s.put_account(&b, WriteMode::Create).await.unwrap();
    s.mark_webhook_verified(&b.id, Millis(T0 + 1))
        .await
        .unwrap();
    let ids: Vec<AccountId> = s
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert!(ids.contains(&a.id) && ids.contains(&b.id));
    let listed_b = s
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.id == b.id)
        .unwrap();
    assert_eq!(listed_b.webhook_verified_at, Some(Millis(T0 + 1)));
    s.delete_account(&a.id).await.unwrap();
    assert!(s.get_account(&a.id).await.unwrap().is_none());
    assert!(
        !s.list_accounts()
            .await
            .unwrap()
            .iter()
            .any(|x| x.id == a.id)
    );
    assert!(matches!(
        s.delete_account(&a.id).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn a_page_belongs_to_one_account_until_removed(s: Arc<dyn Store>) {
    use switchboard_core::provisioning::{Provisioning, ProvisioningState};
    let a = AccountId::parse(format!("a-{}", unique_psid("77"))).unwrap();
    let b = AccountId::parse(format!("b-{}", unique_psid("77"))).unwrap();
    let page_id = PageId::parse(unique_psid("77")).unwrap();
    let page = |account: &AccountId, state: ProvisioningState| Page {
        page_id: page_id.clone(),
        account_id: account.clone(),
        name: "Support".into(),
        access_token_ref: None,
        created_at: Millis(T0),
        updated_at: Millis(T0),
        provisioning: Provisioning {
            reason: Some("why".into()),
            code: Some(190),
            ..Provisioning::new(state, Millis(T0 + 7))
        },
        token: None,
        conversation_routing: Default::default(),
    };
    s.put_page(&page(&a, ProvisioningState::Running), WriteMode::Create)
        .await
        .unwrap();
    let taken = s
        .put_page(&page(&b, ProvisioningState::Draft), WriteMode::Create)
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    s.put_page(&page(&a, ProvisioningState::Error), WriteMode::Upsert)
        .await
        .unwrap();
    let stored = s.get_page(&page_id).await.unwrap().unwrap();
    assert_eq!(stored.provisioning.state, ProvisioningState::Error);
    assert_eq!(
        (
            stored.provisioning.reason.as_deref(),
            stored.provisioning.code
        ),
        (Some("why"), Some(190))
    );
    assert_eq!(s.list_pages(&a).await.unwrap().len(), 1);
    // Removed: the page id may be bound again, to another account.
    s.put_page(
        &page(&a, ProvisioningState::Deprovisioned),
        WriteMode::Upsert,
    )
    .await
    .unwrap();
    s.put_page(&page(&b, ProvisioningState::Draft), WriteMode::Create)
        .await
        .unwrap();
    assert!(s.list_pages(&a).await.unwrap().is_empty());
    assert_eq!(s.list_pages(&b).await.unwrap()[0].page_id, page_id);
}

async fn a_page_feeds_at_most_one_workstream(s: Arc<dyn Store>) {
    use switchboard_core::workstreams::{Features, Locale, Workstream, WorkstreamId};
    let p = |n: &str| PageId::parse(format!("{}{n}", &unique_psid("77")[..10])).unwrap();
    let (p1, p2) = (p("1"), p("2"));
    let ws = |id: &str, pages: Vec<PageId>| Workstream {
        id: WorkstreamId::parse(id).unwrap(),
        name: id.to_string(),
        pages,
        locale: Locale::parse("da").unwrap(),
        features: Features {
            human_agent_tag: true,
            ..Features::default()
        },
        distribution: Default::default(),
        automated_messages: Vec::new(),
        survey: None,
        bot: None,
        retention: Default::default(),
        created_at: Millis(T0),
        updated_at: Millis(T0),
    };
    let suffix = unique_psid("77");
    let (a, b) = (format!("support-{suffix}"), format!("sales-{suffix}"));
    let support = ws(&a, vec![p1.clone(), p2.clone()]);
    s.put_workstream(&support, WriteMode::Create).await.unwrap();
    assert_eq!(
        s.get_workstream(&support.id).await.unwrap(),
        Some(support.clone())
    );
    assert!(matches!(
        s.put_workstream(&support, WriteMode::Create).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.workstream_of_page(&p2).await.unwrap(),
        Some(support.id.clone())
    );

    let sales = ws(&b, vec![p2.clone()]);
    match s.put_workstream(&sales, WriteMode::Create).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains(&a), "names the other workstream: {m}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert!(
        s.get_workstream(&sales.id).await.unwrap().is_none(),
        "nothing half-written"
    );
    assert_eq!(
        s.workstream_of_page(&p2).await.unwrap(),
        Some(support.id.clone())
    );

    // Support lets go of p2; now sales may take it.
    s.put_workstream(&ws(&a, vec![p1.clone()]), WriteMode::Upsert)
        .await
        .unwrap();
    assert_eq!(s.workstream_of_page(&p2).await.unwrap(), None);
    s.put_workstream(&sales, WriteMode::Create).await.unwrap();
    assert_eq!(
        s.workstream_of_page(&p2).await.unwrap(),
        Some(sales.id.clone())
    );
    let ids: Vec<WorkstreamId> = s
        .list_workstreams()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert!(ids.contains(&support.id) && ids.contains(&sales.id));

    s.delete_workstream(&support.id).await.unwrap();
    assert_eq!(s.workstream_of_page(&p1).await.unwrap(), None);
    assert!(matches!(
        s.delete_workstream(&support.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        s.workstream_of_page(&p2).await.unwrap(),
        Some(sales.id.clone()),
        "others keep their pages"
    );
}

async fn new_customer_gets_contact_and_waiting_conversation(s: Arc<dyn Store>) {
    let psid = unique_psid("77");
    let e = event(
        "104857600000001",
        &psid,
        EventKind::Message,
        T0,
        &format!("m1-{psid}"),
    );
    let i = ids();
    let (conv, opened) = stored(s.append(&e, &i, Millis(T0 + 10)).await.unwrap());
    assert!(opened);
    assert_eq!(conv, i.conversation_id);
    let c = s.get_conversation(&conv).await.unwrap().unwrap();
    assert_eq!(c.state, ConversationState::Waiting);
    assert_eq!(c.contact_id, i.contact_id);
    assert_eq!(c.last_customer_message_at, Some(Millis(T0)));
    assert_eq!(
        s.get_contact(&i.contact_id).await.unwrap().unwrap().name,
        "Customer"
    );
    let cust = s
        .get_customer(&e.page_id, e.psid.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cust.open_conversation_id, Some(conv.clone()));
    assert_eq!(s.timeline(&conv).await.unwrap().len(), 1);
}

/// A new customer's first messages appended at once (two routers, or a
/// redelivery beside its first run): one customer, one conversation, each
/// event on it once, and nothing on the conversations the other runs
/// would have opened.
async fn a_new_customers_messages_at_once_open_one_conversation(s: Arc<dyn Store>) {
    let psid = unique_psid("77");
    let page = "104857600000001";
    let first = event(page, &psid, EventKind::Message, T0, &format!("a-{psid}"));
    let second = event(
        page,
        &psid,
        EventKind::Message,
        T0 + 5,
        &format!("b-{psid}"),
    );
    let runs = [ids(), ids(), ids()];
    let (a, b, again) = tokio::join!(
        s.append(&first, &runs[0], Millis(T0 + 10)),
        s.append(&second, &runs[1], Millis(T0 + 10)),
        s.append(&first, &runs[2], Millis(T0 + 10)),
    );
    let outcomes = [a.unwrap(), b.unwrap(), again.unwrap()];
    let cust = s
        .get_customer(&first.page_id, first.psid.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    let conv = cust.open_conversation_id.clone().unwrap();
    let opened = outcomes
        .iter()
        .filter(|o| matches!(o, AppendOutcome::Stored { opened: true, .. }))
        .count();
    assert_eq!(opened, 1, "one opened it: {outcomes:?}");
    for o in &outcomes {
        match o {
            AppendOutcome::Stored {
                conversation_id, ..
            } => assert_eq!(conversation_id, &conv, "{outcomes:?}"),
            AppendOutcome::Duplicate { conversation_id } => {
                assert!(
                    conversation_id.as_ref().is_none_or(|c| c == &conv),
                    "{outcomes:?}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
    let keys = |c: ConversationId| {
        let s = s.clone();
        async move {
            s.timeline(&c)
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.key)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        keys(conv.clone()).await,
        [first.key.clone(), second.key.clone()],
        "each once, in order"
    );
    for run in &runs {
        if run.conversation_id != conv {
            assert!(keys(run.conversation_id.clone()).await.is_empty());
            assert_eq!(
                s.get_conversation(&run.conversation_id).await.unwrap(),
                None
            );
        }
    }
    let c = s.get_conversation(&conv).await.unwrap().unwrap();
    assert_eq!(c.contact_id, cust.contact_id);
    assert_eq!(c.last_customer_message_at, Some(Millis(T0 + 5)));
}

async fn redelivered_event_changes_nothing(s: Arc<dyn Store>) {
    let psid = unique_psid("77");
    let e = event(
        "104857600000001",
        &psid,
        EventKind::Message,
        T0,
        &format!("dup-{psid}"),
    );
    let (conv, _) = stored(s.append(&e, &ids(), Millis(T0)).await.unwrap());
    let before = s.get_conversation(&conv).await.unwrap().unwrap();
    for _ in 0..3 {
        let o = s.append(&e, &ids(), Millis(T0 + 999)).await.unwrap();
        assert_eq!(
            o,
            AppendOutcome::Duplicate {
                conversation_id: Some(conv.clone())
            }
        );
    }
    assert_eq!(s.timeline(&conv).await.unwrap().len(), 1);
    assert_eq!(s.get_conversation(&conv).await.unwrap().unwrap(), before);
    let all = s
        .list_conversations(&ConversationFilter {
            psid: Some(Psid::parse(&psid).unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

async fn timeline_is_in_timestamp_order_and_window_only_moves_forward(s: Arc<dyn Store>) {
    let psid = unique_psid("77");
    let page = "104857600000001";
    // Arrive out of order: 3, 1, 2, then a receipt that is newer than all.
    let (conv, _) = stored(
        s.append(
            &event(page, &psid, EventKind::Message, T0 + 3000, "c"),
            &ids(),
            Millis(T0),
        )
        .await
        .unwrap(),
    );
    s.append(
        &event(page, &psid, EventKind::Message, T0 + 1000, "a"),
        &ids(),
        Millis(T0),
    )
    .await
    .unwrap();
    s.append(
        &event(page, &psid, EventKind::Postback, T0 + 2000, "b"),
        &ids(),
        Millis(T0),
    )
    .await
    .unwrap();
    s.append(
        &event(page, &psid, EventKind::Read, T0 + 9000, "r"),
        &ids(),
        Millis(T0),
    )
    .await
    .unwrap();
    let tl = s.timeline(&conv).await.unwrap();
    let keys: Vec<&str> = tl.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c", "r"]);
    let c = s.get_conversation(&conv).await.unwrap().unwrap();
    assert_eq!(
        c.last_customer_message_at,
        Some(Millis(T0 + 3000)),
        "receipts do not move the window; older messages do not move it back"
    );
}

/// Every read of a conversation, one or listed by page, state, customer or
/// agent, carries the times its latest events moved (DynamoDB keeps them
/// apart from the conversation item, which routing writes).
async fn every_read_shows_the_latest_activity(s: Arc<dyn Store>) {
    use ConversationState::*;
    let psid = unique_psid("77");
    let page = "104857600000031";
    let (conv, _) = stored(
        s.append(
            &event(page, &psid, EventKind::Message, T0, "first"),
            &ids(),
            Millis(T0),
        )
        .await
        .unwrap(),
    );
    let c = s.get_conversation(&conv).await.unwrap().unwrap();
    s.apply(&[routed(&c, 0, Assigned, None, Some("ana"))])
        .await
        .unwrap();
    let later = event(page, &psid, EventKind::Message, T0 + 5_000, "later");
    assert_eq!(
        stored(s.append(&later, &ids(), Millis(T0 + 6_000)).await.unwrap()),
        (conv.clone(), false)
    );
    // A receipt moves `updated_at` only.
    let read = event(page, &psid, EventKind::Read, T0 + 7_000, "read");
    s.append(&read, &ids(), Millis(T0 + 7_500)).await.unwrap();
    let latest = |c: &Conversation, what: &str| {
        assert_eq!(
            (c.last_customer_message_at, c.updated_at),
            (Some(Millis(T0 + 5_000)), Millis(T0 + 7_500)),
            "{what}"
        );
    };
    let one = s.get_conversation(&conv).await.unwrap().unwrap();
    latest(&one, "read alone");
    assert_eq!(one.state, Assigned, "the routing write is kept");
    // A routing write after those events, dated before them, keeps what
    // they moved (redb's reads the record alone and writes it back).
    s.apply(&[routed(&one, 1, Assigned, None, Some("ana"))])
        .await
        .unwrap();
    let one = s.get_conversation(&conv).await.unwrap().unwrap();
    latest(&one, "after a later routing write");
    let find = |list: Vec<Conversation>, what: &str| {
        let found = list.into_iter().find(|c| c.id == conv);
        latest(&found.unwrap_or_else(|| panic!("{what}: listed")), what);
    };
    let by_page = ConversationFilter {
        page_id: Some(PageId::parse(page).unwrap()),
        ..Default::default()
    };
    find(s.list_conversations(&by_page).await.unwrap(), "by page");
    let by_state = ConversationFilter {
        state: Some(Assigned),
        psid: Some(Psid::parse(&psid).unwrap()),
        ..Default::default()
    };
    find(s.list_conversations(&by_state).await.unwrap(), "by state");
    let agent = switchboard_core::routing::model::AgentId::parse("ana").unwrap();
    find(
        s.agent_conversations(&agent, Assigned, None, 50)
            .await
            .unwrap(),
        "in the agent's inbox",
    );
    find(
        s.contact_conversations(&one.contact_id, None, 50)
            .await
            .unwrap(),
        "in the contact's history",
    );
    // Closed: the times stay; a later message opens a new conversation.
    s.close_conversation(&conv, Millis(T0 + 8_000))
        .await
        .unwrap();
    let closed = s.get_conversation(&conv).await.unwrap().unwrap();
    assert_eq!(closed.last_customer_message_at, Some(Millis(T0 + 5_000)));
    let after = event(page, &psid, EventKind::Message, T0 + 9_000, "after");
    let (next, opened) = stored(s.append(&after, &ids(), Millis(T0 + 9_000)).await.unwrap());
    assert!(opened && next != conv, "a new conversation");
    let closed = s.get_conversation(&conv).await.unwrap().unwrap();
    assert_eq!(
        closed.last_customer_message_at,
        Some(Millis(T0 + 5_000)),
        "the closed one is not touched"
    );
}

async fn closed_conversation_is_not_reopened(s: Arc<dyn Store>) {
    let psid = unique_psid("77");
    let page = "104857600000001";
    let i = ids();
    let (first, _) = stored(
        s.append(
            &event(page, &psid, EventKind::Message, T0, "x1"),
            &i,
            Millis(T0),
        )
        .await
        .unwrap(),
    );
    let closed = s.close_conversation(&first, Millis(T0 + 10)).await.unwrap();
    assert_eq!(closed.state, ConversationState::Closed);
    assert!(matches!(
        s.close_conversation(&first, Millis(T0 + 11)).await,
        Err(StoreError::Conflict(_))
    ));

    // A receipt after closing attaches to the closed conversation without reopening it.
    let (r_conv, opened) = stored(
        s.append(
            &event(page, &psid, EventKind::Delivery, T0 + 20, "x2"),
            &ids(),
            Millis(T0),
        )
        .await
        .unwrap(),
    );
    assert_eq!(r_conv, first);
    assert!(!opened);
    assert_eq!(
        s.get_conversation(&first).await.unwrap().unwrap().state,
        ConversationState::Closed
    );

    // A new customer message opens a new conversation for the same contact.
    let j = ids();
    let (second, opened) = stored(
        s.append(
            &event(page, &psid, EventKind::Message, T0 + 30, "x3"),
            &j,
            Millis(T0),
        )
        .await
        .unwrap(),
    );
    assert!(opened);
    assert_ne!(second, first);
    let c2 = s.get_conversation(&second).await.unwrap().unwrap();
    assert_eq!(c2.contact_id, i.contact_id, "the contact is kept");
    assert_eq!(c2.state, ConversationState::Waiting);
    assert_eq!(s.timeline(&first).await.unwrap().len(), 2);
    assert_eq!(s.timeline(&second).await.unwrap().len(), 1);
}

async fn listing_filters_by_page_psid_and_state(s: Arc<dyn Store>) {
    let psid = unique_psid("77");
    let psid_b = unique_psid("77");
    let page_a = "104857600000001";
    let page_b = "104857600000002";
    let (c1, _) = stored(
        s.append(
            &event(page_a, &psid, EventKind::Message, T0, &format!("l1{psid}")),
            &ids(),
            Millis(T0),
        )
        .await
        .unwrap(),
    );
    let (c2, _) = stored(
        s.append(
            &event(page_b, &psid, EventKind::Message, T0, &format!("l2{psid}")),
            &ids(),
            Millis(T0 + 1),
        )
        .await
        .unwrap(),
    );
    let (c3, _) = stored(
        s.append(
            &event(
                page_a,
                &psid_b,
                EventKind::Message,
                T0,
                &format!("l3{psid}"),
            ),
            &ids(),
            Millis(T0 + 2),
        )
        .await
        .unwrap(),
    );
    s.close_conversation(&c2, Millis(T0 + 5)).await.unwrap();
    let p = |v: &str| Some(Psid::parse(v).unwrap());
    let ids_of = |v: Vec<Conversation>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let by_psid = s
        .list_conversations(&ConversationFilter {
            psid: p(&psid),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        ids_of(by_psid),
        vec![c2.clone(), c1.clone()],
        "newest first"
    );
    let by_page = s
        .list_conversations(&ConversationFilter {
            page_id: Some(PageId::parse(page_a).unwrap()),
            psid: p(&psid),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids_of(by_page), vec![c1.clone()]);
    let closed = s
        .list_conversations(&ConversationFilter {
            psid: p(&psid),
            state: Some(ConversationState::Closed),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids_of(closed), vec![c2.clone()]);
    let waiting_on_a = s
        .list_conversations(&ConversationFilter {
            page_id: Some(PageId::parse(page_a).unwrap()),
            state: Some(ConversationState::Waiting),
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap();
    let w = ids_of(waiting_on_a);
    assert!(w.contains(&c1) && w.contains(&c3) && !w.contains(&c2));
}

async fn concurrent_appends_create_one_conversation(s: Arc<dyn Store>) {
    let psid = unique_psid("77");
    let page = "104857600000001";
    let mut tasks = Vec::new();
    for k in 0..16 {
        let s = s.clone();
        let e = event(page, &psid, EventKind::Message, T0 + k, &format!("cc{k}"));
        tasks.push(tokio::spawn(async move {
            s.append(&e, &ids(), Millis(T0)).await
        }));
    }
    // The same event raced by several writers is stored once.
    let dup = event(page, &psid, EventKind::Message, T0 + 100, "same");
    for _ in 0..6 {
        let s = s.clone();
        let e = dup.clone();
        tasks.push(tokio::spawn(async move {
            s.append(&e, &ids(), Millis(T0)).await
        }));
    }
    let mut convs = std::collections::HashSet::new();
    let mut stored_same = 0;
    for (n, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap().unwrap() {
            AppendOutcome::Stored {
                conversation_id, ..
            } => {
                convs.insert(conversation_id);
                if n >= 16 {
                    stored_same += 1;
                }
            }
            AppendOutcome::Duplicate { conversation_id } => {
                convs.insert(conversation_id.unwrap());
            }
            AppendOutcome::Erased => panic!("nobody was erased"),
        }
    }
    assert_eq!(
        convs.len(),
        1,
        "one conversation for one customer: {convs:?}"
    );
    assert_eq!(stored_same, 1, "the raced event is stored exactly once");
    let conv = convs.into_iter().next().unwrap();
    assert_eq!(s.timeline(&conv).await.unwrap().len(), 17);
    let c = s.get_conversation(&conv).await.unwrap().unwrap();
    assert_eq!(c.last_customer_message_at, Some(Millis(T0 + 100)));
}

/// Two events naming no customer (the first recorded twice, as a
/// redelivery does), and one that is never recorded.
fn orphans() -> (InboundEvent, InboundEvent, InboundEvent) {
    let orphan = |ts: i64, key: &str| {
        let mut e = event("104857600000001", "1", EventKind::Unknown, ts, key);
        e.psid = None;
        e
    };
    (
        orphan(T0 + 10, "orphan-late"),
        orphan(T0, "orphan-early"),
        orphan(T0 + 5, "orphan-never-recorded"),
    )
}

async fn record_orphans(s: &dyn Store) -> (InboundEvent, InboundEvent, InboundEvent) {
    let (late, early, never) = orphans();
    s.record_unattributed(&late).await.unwrap();
    s.record_unattributed(&early).await.unwrap();
    s.record_unattributed(&late).await.unwrap();
    (late, early, never)
}

// No port method reads unattributed events back (`ConversationStore` only
// writes them), so these two cases read each adapter's storage directly:
// DynamoDB through moto's wire API, redb through the bytes of its file.
// With a port method such as
// `unattributed(&self, page: &PageId, limit: usize) -> StoreResult<Vec<InboundEvent>>`
// (in timestamp order) this would be one conformance case in the suite.

/// The documents stored under `UNATTRIBUTED#<page>`, in sort-key order,
/// read with a DynamoDB Query sent straight to moto.
async fn dynamo_unattributed(table: &str, page: &str) -> Vec<InboundEvent> {
    let body = serde_json::json!({
        "TableName": table,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": format!("UNATTRIBUTED#{page}")}},
        "ConsistentRead": true,
    });
    let resp = reqwest::Client::new()
        .post(switchboard_tests::moto_endpoint())
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "DynamoDB_20120810.Query")
        // moto reads the account and region from the credential scope; it
        // does not check the signature.
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00",
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{:?}", resp.text().await);
    let v: serde_json::Value = resp.json().await.unwrap();
    v["Items"]
        .as_array()
        .expect("Items")
        .iter()
        .map(|i| serde_json::from_str(i["doc"]["S"].as_str().expect("doc")).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unattributed_events_are_kept_dynamodb() {
    let store = switchboard_tests::dynamo_store().await;
    let (late, early, never) = record_orphans(store.as_ref()).await;
    let kept = dynamo_unattributed(store.table(), "104857600000001").await;
    let keys: Vec<&str> = kept.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [early.key.as_str(), late.key.as_str()],
        "each kept once, in timestamp order; {} never recorded",
        never.key
    );
    for (got, want) in kept.iter().zip([&early, &late]) {
        assert!(got.psid.is_none());
        assert_eq!(
            serde_json::to_string(got).unwrap(),
            serde_json::to_string(want).unwrap(),
            "kept as recorded"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unattributed_events_are_kept_redb() {
    let e = switchboard_tests::redb_store();
    let (late, early, never) = record_orphans(e.store.as_ref()).await;
    // Writes are durable on return: the events' serialized form is in the
    // file (redb stores values as their bytes). The one never recorded is not.
    let file = std::fs::read(e.dir.path().join("store.redb")).unwrap();
    let contains = |ev: &InboundEvent| {
        let needle = serde_json::to_string(ev).unwrap().into_bytes();
        file.windows(needle.len()).any(|w| w == needle.as_slice())
    };
    assert!(contains(&early), "{} is kept", early.key);
    assert!(contains(&late), "{} is kept", late.key);
    assert!(!contains(&never), "the search finds only what was written");
}

async fn streams_are_ordered_idempotent_and_paged(s: Arc<dyn Store>) {
    use switchboard_core::ports::{StreamEntry, stream_cursor};
    let stream = format!("agent:{}", unique_psid("77"));
    let entry = |t: i64, u: &str| StreamEntry {
        cursor: stream_cursor(Millis(t), u),
        data: serde_json::json!({"t": t, "u": u}),
        expires_at: Some(Millis(t + 1000)),
    };
    // Written out of order; read in cursor order.
    for (t, u) in [(T0 + 2, "b"), (T0, "a"), (T0 + 2, "a"), (T0 + 1, "z")] {
        assert!(s.append_entry(&stream, &entry(t, u)).await.unwrap());
    }
    assert!(
        !s.append_entry(&stream, &entry(T0, "a")).await.unwrap(),
        "a repeat is not added"
    );
    let all = s.read_entries(&stream, None, 10).await.unwrap();
    let order: Vec<String> = all
        .iter()
        .map(|e| e.data["u"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, ["a", "z", "a", "b"]);
    assert_eq!(all[0], entry(T0, "a"));
    let after = s
        .read_entries(&stream, Some(&all[1].cursor), 1)
        .await
        .unwrap();
    assert_eq!(after, vec![entry(T0 + 2, "a")]);
    assert!(
        s.read_entries(&stream, Some(&all[3].cursor), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Another stream, and a stream whose name extends this one, stay apart.
    assert!(
        s.read_entries(&format!("{stream}x"), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    s.append_entry(&format!("{stream}x"), &entry(T0, "other"))
        .await
        .unwrap();
    assert_eq!(s.read_entries(&stream, None, 10).await.unwrap().len(), 4);
}

/// Contacts: create once, edit by version, link a customer (later
/// conversations follow, history moves), history across pages.
async fn contacts_are_edited_by_version_and_linked_with_their_history(s: Arc<dyn Store>) {
    let (p1, p2) = ("104857600000001", "104857600000002");
    let (a, b) = (unique_psid("77"), unique_psid("77"));
    let now = Millis(T0);
    // Customer a on page 1: two conversations (the first closed).
    let (a1, _) = stored(
        s.append(
            &event(p1, &a, EventKind::Message, T0, &format!("a1{a}")),
            &ids(),
            now,
        )
        .await
        .unwrap(),
    );
    s.close_conversation(&a1, Millis(T0 + 10)).await.unwrap();
    let (a2, opened) = stored(
        s.append(
            &event(p1, &a, EventKind::Message, T0 + 20, &format!("a2{a}")),
            &ids(),
            now,
        )
        .await
        .unwrap(),
    );
    assert!(opened);
    let auto = s.get_conversation(&a2).await.unwrap().unwrap().contact_id;
    assert_eq!(
        s.contact_conversations(&auto, None, 10)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        vec![a2.clone(), a1.clone()],
        "newest first"
    );
    // Customer b on page 2 belongs to a known contact.
    let mut known = Contact::new(ContactId::generate(), "Jo Known".into(), now);
    known.email = Some("jo@example.com".into());
    s.create_contact(&known).await.unwrap();
    assert!(matches!(
        s.create_contact(&known).await,
        Err(StoreError::Conflict(_))
    ));
    let (b1, _) = stored(
        s.append(
            &event(p2, &b, EventKind::Message, T0 + 30, &format!("b1{b}")),
            &ids(),
            now,
        )
        .await
        .unwrap(),
    );
    let linked = s.link_contact(&b1, &known.id).await.unwrap();
    assert_eq!(linked.contact_id, known.id);
    // Linking customer a too moves both of a's conversations to the contact.
    s.link_contact(&a2, &known.id).await.unwrap();
    let history: Vec<ConversationId> = s
        .contact_conversations(&known.id, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(history, vec![b1.clone(), a2.clone(), a1.clone()]);
    assert!(
        s.contact_conversations(&auto, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.contact_conversations(&known.id, None, 2)
            .await
            .unwrap()
            .len(),
        2
    );
    // A page at a time, after the last one seen: the same history.
    let all = s.contact_conversations(&known.id, None, 10).await.unwrap();
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = s
            .contact_conversations(&known.id, after.as_deref(), 1)
            .await
            .unwrap();
        let Some(c) = page.into_iter().next() else {
            break;
        };
        after = Some(c.list_key());
        paged.push(c);
        assert!(paged.len() <= all.len(), "paging ends");
    }
    assert_eq!(paged, all);
    // Linking again changes nothing; unknown ids are NotFound.
    assert_eq!(
        s.link_contact(&a2, &known.id).await.unwrap().contact_id,
        known.id
    );
    assert!(matches!(
        s.link_contact(&a2, &ContactId::generate()).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.link_contact(&ConversationId::generate(), &known.id).await,
        Err(StoreError::NotFound(_))
    ));
    // a's next conversation links by itself.
    s.close_conversation(&a2, Millis(T0 + 40)).await.unwrap();
    let (a3, _) = stored(
        s.append(
            &event(p1, &a, EventKind::Message, T0 + 50, &format!("a3{a}")),
            &ids(),
            now,
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        s.get_conversation(&a3).await.unwrap().unwrap().contact_id,
        known.id
    );
    assert_eq!(
        s.contact_conversations(&known.id, None, 10).await.unwrap()[0].id,
        a3
    );
    // Edits name the version they read.
    let mut edit = known.clone();
    edit.phone = Some("+4512345678".into());
    edit.version = 1;
    s.update_contact(&edit, 0).await.unwrap();
    let mut stale = known.clone();
    stale.name = "Stale".into();
    stale.version = 1;
    assert!(matches!(
        s.update_contact(&stale, 0).await,
        Err(StoreError::Conflict(_))
    ));
    let got = s.get_contact(&known.id).await.unwrap().unwrap();
    assert_eq!(
        (got.version, got.phone.as_deref(), got.name.as_str()),
        (1, Some("+4512345678"), "Jo Known")
    );
    let mut ghost = Contact::new(ContactId::generate(), "Ghost".into(), now);
    ghost.version = 1;
    assert!(matches!(
        s.update_contact(&ghost, 0).await,
        Err(StoreError::NotFound(_))
    ));
}

// ---------------------------------------------------------------- paging and the agent inbox

/// A new conversation for a new customer on `page`, opened at `at`.
/// The contact search index: found by a name word's prefix, an exact
/// email or phone term, in key order and up to the limit; kept by every
/// write of a contact (created, edited, created by an append); an edit
/// refused for its version leaves it as it was.
async fn contacts_are_found_through_their_search_index(s: Arc<dyn Store>) {
    use switchboard_core::contact_search::SearchKey;
    let contact = |id: &str, name: &str, email: Option<&str>, phone: Option<&str>| {
        let mut c = Contact::new(ContactId::parse(id).unwrap(), name.into(), Millis(1_000));
        c.email = email.map(str::to_string);
        c.phone = phone.map(str::to_string);
        c
    };
    let found = |prefix: SearchKey, limit: usize| {
        let s = s.clone();
        async move {
            s.find_contacts(&prefix.prefix(), limit)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id.to_string())
                .collect::<Vec<_>>()
        }
    };
    let name = |w: &str| SearchKey::NamePrefix(w.into());
    let anna = contact(
        "ct_a",
        "Anna Jensen",
        Some("Anna@Example.com"),
        Some("+45 12 34 56 78"),
    );
    s.create_contact(&anna).await.unwrap();
    s.create_contact(&contact("ct_b", "Annabel Berg", None, None))
        .await
        .unwrap();
    s.create_contact(&contact("ct_c", "Bo Jensen", Some("bo@example.com"), None))
        .await
        .unwrap();
    assert_eq!(found(name("ann"), 10).await, ["ct_a", "ct_b"]);
    assert_eq!(found(name("ann"), 1).await, ["ct_a"]);
    assert_eq!(found(name("jensen"), 10).await, ["ct_a", "ct_c"]);
    assert_eq!(found(name("jensenx"), 10).await, Vec::<String>::new());
    assert_eq!(
        found(SearchKey::Email("anna@example.com".into()), 10).await,
        ["ct_a"]
    );
    // An email is matched whole, not by its start.
    assert_eq!(
        found(SearchKey::Email("anna@example.co".into()), 10).await,
        Vec::<String>::new()
    );
    assert_eq!(
        found(SearchKey::Phone("4512345678".into()), 10).await,
        ["ct_a"]
    );

    // Renamed, email removed: the old terms find her no more.
    let mut edit = anna.clone();
    edit.name = "Anne Holm".into();
    edit.email = None;
    edit.version = 1;
    s.update_contact(&edit, 0).await.unwrap();
    assert_eq!(found(name("ann"), 10).await, ["ct_b", "ct_a"]);
    assert_eq!(found(name("jensen"), 10).await, ["ct_c"]);
    assert_eq!(found(name("holm"), 10).await, ["ct_a"]);
    assert_eq!(
        found(SearchKey::Email("anna@example.com".into()), 10).await,
        Vec::<String>::new()
    );
    assert_eq!(
        found(SearchKey::Phone("4512345678".into()), 10).await,
        ["ct_a"]
    );
    let got = s.find_contacts(&name("holm").prefix(), 10).await.unwrap();
    assert_eq!(got, [edit.clone()], "the contact as stored now");
    // A stale edit changes neither the contact nor the index.
    let mut stale = edit.clone();
    stale.name = "Zed Stale".into();
    stale.version = 2;
    assert!(matches!(
        s.update_contact(&stale, 0).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(found(name("zed"), 10).await, Vec::<String>::new());
    assert_eq!(found(name("holm"), 10).await, ["ct_a"]);

    // A new customer's contact is indexed by the append that creates it.
    let mut i = ids();
    i.contact_name = "Quincy Customer".into();
    s.append(
        &event(
            "104857600000001",
            &unique_psid("77"),
            EventKind::Message,
            T0,
            "message:m-search",
        ),
        &i,
        Millis(T0),
    )
    .await
    .unwrap();
    assert_eq!(found(name("quin"), 10).await, [i.contact_id.to_string()]);

    // One with the fallback name is not: every unnamed contact shares its
    // words. Named later (as from Meta's profile), its name is found.
    let psid = unique_psid("77");
    let mut i = ids();
    i.contact_name = switchboard_core::contacts::fallback_name(&psid);
    let e = event(
        "104857600000001",
        &psid,
        EventKind::Message,
        T0,
        &format!("message:m-{psid}"),
    );
    s.append(&e, &i, Millis(T0)).await.unwrap();
    let unnamed = i.contact_id.to_string();
    let tail: String = psid.chars().skip(psid.len().saturating_sub(4)).collect();
    for word in ["messenger", "customer", tail.as_str()] {
        let hits = found(name(word), 50).await;
        assert!(!hits.contains(&unnamed), "{word}: {hits:?}");
    }
    let mut named = s.get_contact(&i.contact_id).await.unwrap().unwrap();
    named.name = "Ulrikke Vinter".into();
    named.version = 1;
    s.update_contact(&named, 0).await.unwrap();
    for word in ["ulrikk", "vinter"] {
        assert_eq!(found(name(word), 10).await, std::slice::from_ref(&unnamed));
    }
}

async fn open_conversation(s: &dyn Store, page: &str, at: i64) -> Conversation {
    let psid = unique_psid("77");
    let e = event(page, &psid, EventKind::Message, at, &format!("o-{psid}"));
    let (id, _) = stored(s.append(&e, &ids(), Millis(at)).await.unwrap());
    s.get_conversation(&id).await.unwrap().unwrap()
}

/// Pages of `size` through `filter` until the last, following each page's
/// last list key.
async fn page_through(
    s: &dyn Store,
    filter: ConversationFilter,
    size: usize,
) -> Vec<Vec<Conversation>> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = s
            .list_conversations(&ConversationFilter {
                limit: Some(size),
                after: after.clone(),
                ..filter.clone()
            })
            .await
            .unwrap();
        after = page.last().map(Conversation::list_key);
        let done = page.len() < size;
        pages.push(page);
        if done {
            return pages;
        }
        assert!(pages.len() < 10, "paging does not end");
    }
}

async fn conversations_are_paged_newest_first(s: Arc<dyn Store>) {
    let page = "104857600000011";
    let other = "104857600000012";
    let mut made = Vec::new();
    for i in 0..120 {
        made.push(open_conversation(s.as_ref(), page, T0 + i * 10).await.id);
    }
    let elsewhere = open_conversation(s.as_ref(), other, T0 + 5).await.id;
    made.reverse();
    let on_page = ConversationFilter {
        page_id: Some(PageId::parse(page).unwrap()),
        ..Default::default()
    };
    let pages = page_through(s.as_ref(), on_page.clone(), 50).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![50, 50, 20]);
    let seen: Vec<ConversationId> = pages.into_iter().flatten().map(|c| c.id).collect();
    assert_eq!(seen, made, "each once, newest first, only that page's");
    // Without a page: every conversation, the other page's in its place.
    let all: Vec<ConversationId> = page_through(s.as_ref(), ConversationFilter::default(), 50)
        .await
        .into_iter()
        .flatten()
        .map(|c| c.id)
        .collect();
    assert_eq!(all.len(), 121);
    assert_eq!(all[119], elsewhere, "created between the two oldest");
    // The page filter with a state, paged too.
    s.close_conversation(&made[3], Millis(T0 + 5_000))
        .await
        .unwrap();
    s.close_conversation(&made[70], Millis(T0 + 5_000))
        .await
        .unwrap();
    let closed: Vec<ConversationId> = page_through(
        s.as_ref(),
        ConversationFilter {
            state: Some(ConversationState::Closed),
            ..on_page
        },
        1,
    )
    .await
    .into_iter()
    .flatten()
    .map(|c| c.id)
    .collect();
    assert_eq!(closed, vec![made[3].clone(), made[70].clone()]);
}

fn routed(
    c: &Conversation,
    expect: u64,
    state: ConversationState,
    offer: Option<&str>,
    agent: Option<&str>,
) -> RoutingOp {
    use switchboard_core::routing::model::AgentId;
    use switchboard_core::routing::record::{Offer, Routing};
    RoutingOp::Conversation {
        id: c.id.clone(),
        page: c.page_id.clone(),
        psid: c.psid.clone(),
        expect,
        state,
        routing: Box::new(Routing {
            agent: agent.map(|a| AgentId::parse(a).unwrap()),
            offer: offer.map(|a| Offer {
                agent: AgentId::parse(a).unwrap(),
                offered_at: Millis(T0),
                expires_at: Millis(T0 + 60_000),
            }),
            ..Routing::default()
        }),
        at: Millis(T0 + 100 + expect as i64),
    }
}

async fn the_agent_inbox_follows_every_move(s: Arc<dyn Store>) {
    use ConversationState::*;
    use switchboard_core::routing::model::AgentId;
    let page = "104857600000021";
    let conv = open_conversation(s.as_ref(), page, T0).await;
    let older = open_conversation(s.as_ref(), page, T0 - 10).await;
    let inbox = |agent: &'static str, state: ConversationState| {
        let s = s.clone();
        async move {
            s.agent_conversations(&AgentId::parse(agent).unwrap(), state, None, 50)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    let everywhere = |agent: &'static str| async move {
        let mut v = Vec::new();
        for st in ConversationState::ALL {
            for id in inbox(agent, st).await {
                v.push((st, id));
            }
        }
        v
    };
    assert!(everywhere("ana").await.is_empty(), "waiting is nobody's");
    s.apply(&[routed(&conv, 0, Offered, Some("ana"), None)])
        .await
        .unwrap();
    assert_eq!(everywhere("ana").await, vec![(Offered, conv.id.clone())]);
    s.apply(&[routed(&conv, 1, Assigned, None, Some("ana"))])
        .await
        .unwrap();
    assert_eq!(everywhere("ana").await, vec![(Assigned, conv.id.clone())]);
    // Transferred: offered to bob while ana still holds it, then bob's.
    s.apply(&[routed(&conv, 2, Offered, Some("bob"), Some("ana"))])
        .await
        .unwrap();
    assert!(everywhere("ana").await.is_empty());
    assert_eq!(everywhere("bob").await, vec![(Offered, conv.id.clone())]);
    s.apply(&[routed(&conv, 3, Assigned, None, Some("bob"))])
        .await
        .unwrap();
    assert_eq!(everywhere("bob").await, vec![(Assigned, conv.id.clone())]);
    s.apply(&[routed(&conv, 4, WrapUp, None, Some("bob"))])
        .await
        .unwrap();
    assert_eq!(everywhere("bob").await, vec![(WrapUp, conv.id.clone())]);
    s.apply(&[routed(&conv, 5, Closed, None, Some("bob"))])
        .await
        .unwrap();
    assert_eq!(everywhere("bob").await, vec![(Closed, conv.id.clone())]);
    assert!(everywhere("ana").await.is_empty());
    // Closed by an administrator while bob holds it: still bob's, closed,
    // and paged newest first.
    s.apply(&[routed(&older, 0, Assigned, None, Some("bob"))])
        .await
        .unwrap();
    assert_eq!(inbox("bob", Assigned).await, vec![older.id.clone()]);
    s.close_conversation(&older.id, Millis(T0 + 500))
        .await
        .unwrap();
    assert_eq!(
        inbox("bob", Closed).await,
        vec![conv.id.clone(), older.id.clone()]
    );
    let bob = AgentId::parse("bob").unwrap();
    let first = s.agent_conversations(&bob, Closed, None, 1).await.unwrap();
    assert_eq!(first.len(), 1);
    let next = s
        .agent_conversations(&bob, Closed, Some(&first[0].list_key()), 1)
        .await
        .unwrap();
    assert_eq!(
        next.into_iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![older.id.clone()]
    );
    // A supervisor's list by state still sees them.
    let closed = s
        .list_conversations(&ConversationFilter {
            state: Some(Closed),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(closed.len(), 2);
}

switchboard_tests::store_suites!(
    accounts_conditional_create_and_upsert,
    webhook_verification_is_recorded,
    accounts_are_listed_and_deleted,
    a_page_belongs_to_one_account_until_removed,
    a_page_feeds_at_most_one_workstream,
    pages_conditional_create,
    new_customer_gets_contact_and_waiting_conversation,
    a_new_customers_messages_at_once_open_one_conversation,
    redelivered_event_changes_nothing,
    timeline_is_in_timestamp_order_and_window_only_moves_forward,
    closed_conversation_is_not_reopened,
    every_read_shows_the_latest_activity,
    listing_filters_by_page_psid_and_state,
    concurrent_appends_create_one_conversation,
    streams_are_ordered_idempotent_and_paged,
    contacts_are_edited_by_version_and_linked_with_their_history,
    contacts_are_found_through_their_search_index,
    conversations_are_paged_newest_first,
    the_agent_inbox_follows_every_move,
);

// ---------------------------------------------------------------- retention

/// Stream entries past their `expires_at` are not read (DynamoDB's TTL
/// deletes late; redb deletes them as it reads).
async fn expired_stream_entries_are_not_read(s: Arc<dyn Store>) {
    use switchboard_core::ports::{StreamEntry, stream_cursor};
    let stream = format!("agent:{}", unique_psid("77"));
    let entry = |t: i64, expires: Option<i64>| StreamEntry {
        cursor: stream_cursor(Millis(t), "e"),
        data: serde_json::json!({ "t": t }),
        expires_at: expires.map(Millis),
    };
    let all = [
        entry(T0, Some(T0 + 10)),
        entry(T0 + 1, Some(T0 + 20)),
        entry(T0 + 2, None),
        entry(T0 + 3, Some(T0 + 30)),
        entry(T0 + 4, Some(T0 + 60_000)),
    ];
    for e in &all {
        assert!(s.append_entry(&stream, e).await.unwrap());
    }
    let live = |after: Option<usize>, limit: usize, now: i64| {
        let (s, stream) = (s.clone(), stream.clone());
        let after = after.map(|i| all[i].cursor.clone());
        async move {
            let got = s.read_live_entries(&stream, after.as_deref(), limit, Millis(now));
            let got = got.await.unwrap();
            got.iter()
                .map(|e| e.data["t"].as_i64().unwrap() - T0)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(live(None, 10, T0 + 5).await, [0, 1, 2, 3, 4]);
    assert_eq!(
        live(None, 10, T0 + 10).await,
        [1, 2, 3, 4],
        "expired at its expires_at"
    );
    assert_eq!(live(None, 10, T0 + 25).await, [2, 3, 4]);
    assert_eq!(live(Some(0), 10, T0 + 25).await, [2, 3, 4]);
    assert_eq!(
        live(None, 1, T0 + 25).await,
        [2],
        "the limit counts live entries"
    );
    assert_eq!(live(None, 10, T0 + 30).await, [2, 4]);
    assert_eq!(live(None, 10, T0 + 120_000).await, [2]);
}

/// An agent's feed read without a cursor does not replay events older than
/// the feed's retention.
async fn an_expired_feed_is_not_replayed(s: Arc<dyn Store>) {
    use std::time::Duration;
    use switchboard_core::clock::ManualClock;
    use switchboard_core::feed;
    use switchboard_core::routing::model::AgentId;
    let clock = ManualClock::new(Millis(T0));
    let agent = AgentId::parse(format!("agent-{}", unique_psid("77")).as_str()).unwrap();
    let publish = |id: &'static str| {
        let (s, agent) = (s.clone(), agent.clone());
        let clock = &clock;
        async move {
            let data = serde_json::json!({});
            feed::publish(s.as_ref(), clock, &agent, "offer", id.into(), None, data).await;
        }
    };
    publish("old").await;
    clock.advance_secs(8 * 24 * 3600);
    publish("new").await;
    let (events, _) = feed::read(
        s.as_ref(),
        &clock,
        &agent,
        None,
        Duration::ZERO,
        Duration::ZERO,
    )
    .await
    .unwrap();
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["new"], "the event of 8 days ago has expired");
}

mod retention {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn redb() {
        let e = switchboard_tests::redb_store();
        expired_stream_entries_are_not_read(e.store.clone()).await;
        an_expired_feed_is_not_replayed(e.store.clone()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn dynamodb() {
        let s: Arc<dyn Store> = switchboard_tests::dynamo_store().await;
        expired_stream_entries_are_not_read(s.clone()).await;
        an_expired_feed_is_not_replayed(s).await;
    }
}

// ---------------------------------------------------------------- interrupted links

/// A proxy in front of moto that, once told, lets a number of
/// TransactWriteItems through and refuses the rest, as a link whose process
/// stopped after its first transaction would leave things.
struct Cutter {
    url: String,
    /// Transactions still let through; negative: all of them.
    allow: Arc<std::sync::atomic::AtomicI64>,
}

type Cut = (reqwest::Client, Arc<std::sync::atomic::AtomicI64>);

async fn cut_or_forward(
    axum::extract::State((client, allow)): axum::extract::State<Cut>,
    req: axum::extract::Request,
) -> axum::response::Response<axum::body::Body> {
    use std::sync::atomic::Ordering;
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    if target.is_some_and(|t| t.ends_with(".TransactWriteItems")) {
        if allow.load(Ordering::SeqCst) == 0 {
            return http::Response::builder()
                .status(400)
                .header("content-type", "application/x-amz-json-1.0")
                .body(axum::body::Body::from(
                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"cut by the test"}"#,
                ))
                .unwrap();
        }
        let _ = allow.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n > 0).then_some(n - 1)
        });
    }
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path}", switchboard_tests::moto_endpoint());
    let mut forward = client.request(parts.method, url).body(body);
    for (k, v) in &parts.headers {
        if k != http::header::HOST && k != http::header::CONTENT_LENGTH {
            forward = forward.header(k, v);
        }
    }
    let answer = forward.send().await.unwrap();
    let mut out = http::Response::builder().status(answer.status());
    for (k, v) in answer.headers() {
        if k != http::header::CONTENT_LENGTH && k != http::header::TRANSFER_ENCODING {
            out = out.header(k, v);
        }
    }
    out.body(axum::body::Body::from(answer.bytes().await.unwrap()))
        .unwrap()
}

async fn cutter() -> Cutter {
    let allow = Arc::new(std::sync::atomic::AtomicI64::new(-1));
    let app = axum::Router::new()
        .fallback(cut_or_forward)
        .with_state((reqwest::Client::new(), allow.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Cutter { url, allow }
}

/// A customer with 45 conversations is linked to a contact; `linker` (the
/// same store, or the same table through a [`Cutter`]) may stop after the
/// link's first transaction. Linking again, to the contact the conversation
/// already has, finishes the move: the whole history is the contact's.
async fn an_interrupted_link_is_finished_by_linking_again(
    s: Arc<dyn Store>,
    linker: Arc<dyn Store>,
    cut: Option<&Cutter>,
) {
    let (page, psid) = ("104857600000001", unique_psid("77"));
    let now = Millis(T0 + 1_000_000);
    let mut convs = Vec::new();
    for i in 0..45 {
        let key = format!("hist{i}-{psid}");
        let ev = event(page, &psid, EventKind::Message, T0 + i * 100, &key);
        let (id, opened) = stored(s.append(&ev, &ids(), now).await.unwrap());
        assert!(opened, "conversation {i} opens");
        s.close_conversation(&id, Millis(T0 + i * 100 + 50))
            .await
            .unwrap();
        convs.push(id);
    }
    let old = s
        .get_conversation(&convs[0])
        .await
        .unwrap()
        .unwrap()
        .contact_id;
    assert_eq!(
        s.contact_conversations(&old, None, 100)
            .await
            .unwrap()
            .len(),
        45
    );
    let known = Contact::new(ContactId::generate(), "Many Visits".into(), now);
    s.create_contact(&known).await.unwrap();
    let newest = convs[44].clone();

    if let Some(c) = cut {
        c.allow.store(1, std::sync::atomic::Ordering::SeqCst);
    }
    // The link itself took effect whether or not it reports its later part.
    let _ = linker.link_contact(&newest, &known.id).await;
    if let Some(c) = cut {
        c.allow.store(-1, std::sync::atomic::Ordering::SeqCst);
    }
    let linked = s.get_conversation(&newest).await.unwrap().unwrap();
    assert_eq!(linked.contact_id, known.id);
    let moved = s
        .contact_conversations(&known.id, None, 100)
        .await
        .unwrap()
        .len();
    if cut.is_some() {
        assert_eq!(moved, 40, "stopped after the first transaction");
    }

    let again = s.link_contact(&newest, &known.id).await.unwrap();
    assert_eq!(again.contact_id, known.id);
    let history = s.contact_conversations(&known.id, None, 100).await.unwrap();
    let mut ids: Vec<ConversationId> = history.iter().map(|c| c.id.clone()).collect();
    ids.reverse();
    assert_eq!(ids, convs, "the whole history, newest first");
    assert!(
        s.contact_conversations(&old, None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    // Linking once more changes nothing.
    s.link_contact(&newest, &known.id).await.unwrap();
    assert_eq!(
        s.contact_conversations(&known.id, None, 100)
            .await
            .unwrap()
            .len(),
        45
    );
}

mod interrupted_link {
    use super::*;

    /// redb links in one transaction: nothing can stop half way, and
    /// linking again leaves the whole history in place.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn redb() {
        let e = switchboard_tests::redb_store();
        let s: Arc<dyn Store> = e.store.clone();
        an_interrupted_link_is_finished_by_linking_again(s.clone(), s, None).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn dynamodb() {
        let s = switchboard_tests::dynamo_store().await;
        let cut = cutter().await;
        let config = switchboard_aws::local_config(&cut.url).await;
        let linker = Arc::new(switchboard_aws::DynamoStore::new(&config, s.table()));
        an_interrupted_link_is_finished_by_linking_again(s, linker, Some(&cut)).await;
    }
}
