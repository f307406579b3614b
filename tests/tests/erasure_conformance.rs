//! The store methods erasure writes with, on both adapters (redb, and
//! DynamoDB on moto): each overwrites in place what exists and creates
//! nothing; the customer's erasure mark turns older events away.

use std::sync::Arc;
use switchboard_core::Millis;
use switchboard_core::event::{EventKind, InboundEvent};
use switchboard_core::ids::*;
use switchboard_core::messenger::Channel;
use switchboard_core::outbound::{Author, Content, Outbound, Status};
use switchboard_core::ports::*;
use switchboard_core::privacy::erasure::{erased_content, erased_event, is_erased};
use switchboard_core::routing::record::Routing;
use switchboard_tests::{Store, unique_psid};

const T0: i64 = 1_764_000_000_000;
const PAGE: &str = "104857600000001";

fn event(psid: &str, ts: i64, key: &str, text: &str) -> InboundEvent {
    let raw = serde_json::value::RawValue::from_string(
        serde_json::json!({ "message": { "text": text } }).to_string(),
    )
    .unwrap();
    let mut e = InboundEvent::bare(
        &AccountId::parse("acme").unwrap(),
        &PageId::parse(PAGE).unwrap(),
        Some(Psid::parse(psid).unwrap()),
        Channel::Messaging,
        EventKind::Message,
        Millis(ts),
        Millis(ts + 5),
        raw,
    );
    e.key = key.to_string();
    e.mid = Some(key.to_string());
    e.text = Some(text.to_string());
    e
}

fn ids() -> NewIds {
    NewIds {
        contact_id: ContactId::generate(),
        contact_name: "Customer".into(),
        conversation_id: ConversationId::generate(),
    }
}

async fn appended(s: &dyn Store, e: &InboundEvent) -> ConversationId {
    match s.append(e, &ids(), Millis(T0)).await.unwrap() {
        AppendOutcome::Stored {
            conversation_id, ..
        } => conversation_id,
        other => panic!("not stored: {other:?}"),
    }
}

async fn events_are_overwritten_in_place_and_never_created(s: Arc<dyn Store>) {
    let psid = unique_psid("77");
    let first = event(&psid, T0, &format!("m1{psid}"), "card 4111");
    let conv = appended(s.as_ref(), &first).await;
    appended(
        s.as_ref(),
        &event(&psid, T0 + 1, &format!("m2{psid}"), "second"),
    )
    .await;
    let x = erased_event(&first).unwrap();
    assert!(s.replace_event(&conv, &x).await.unwrap());
    let timeline = s.timeline(&conv).await.unwrap();
    assert_eq!(timeline.len(), 2, "nothing added");
    assert!(is_erased(&timeline[0]) && !timeline[0].raw.get().contains("4111"));
    assert_eq!(
        timeline[1].text.as_deref(),
        Some("second"),
        "the other stays"
    );
    // Again: the same. An event never stored: nothing written.
    assert!(s.replace_event(&conv, &x).await.unwrap());
    let never = event(&psid, T0 + 9, "never-stored", "x");
    assert!(!s.replace_event(&conv, &never).await.unwrap());
    assert_eq!(s.timeline(&conv).await.unwrap().len(), 2);
    // The append-once marker stays: a redelivery is a duplicate.
    assert!(matches!(
        s.append(&first, &ids(), Millis(T0)).await.unwrap(),
        AppendOutcome::Duplicate { .. }
    ));
}

async fn the_erasure_mark_turns_older_events_away(s: Arc<dyn Store>) {
    let psid = unique_psid("77");
    let (page, p) = (PageId::parse(PAGE).unwrap(), Psid::parse(&psid).unwrap());
    assert!(matches!(
        s.mark_erased(&page, &p, Millis(T0)).await,
        Err(StoreError::NotFound(_))
    ));
    appended(s.as_ref(), &event(&psid, T0, &format!("a{psid}"), "hello")).await;
    s.mark_erased(&page, &p, Millis(T0 + 10)).await.unwrap();
    // An earlier mark never moves it back.
    s.mark_erased(&page, &p, Millis(T0 + 5)).await.unwrap();
    let c = s.get_customer(&page, &p).await.unwrap().unwrap();
    assert_eq!(c.erased_at, Some(Millis(T0 + 10)));
    let late = event(&psid, T0 + 10, &format!("late{psid}"), "late");
    assert_eq!(
        s.append(&late, &ids(), Millis(T0 + 20)).await.unwrap(),
        AppendOutcome::Erased
    );
    let newer = event(&psid, T0 + 11, &format!("new{psid}"), "new");
    assert!(matches!(
        s.append(&newer, &ids(), Millis(T0 + 20)).await.unwrap(),
        AppendOutcome::Stored { .. }
    ));
}

async fn routing_is_replaced_on_its_version_in_any_state(s: Arc<dyn Store>) {
    let psid = unique_psid("77");
    let conv = appended(s.as_ref(), &event(&psid, T0, &format!("r{psid}"), "hi")).await;
    s.close_conversation(&conv, Millis(T0 + 1)).await.unwrap();
    let c = s.get_conversation(&conv).await.unwrap().unwrap();
    let mut r = Routing::default();
    r.attributes.insert("order".into(), "ORDER-1".into());
    s.replace_routing(&conv, c.rv, &r).await.unwrap();
    let after = s.get_conversation(&conv).await.unwrap().unwrap();
    assert_eq!(after.rv, c.rv + 1);
    assert_eq!(after.state, ConversationState::Closed, "the state stays");
    assert_eq!(after.routing.unwrap().attributes["order"], "ORDER-1");
    // A stale version is a conflict; an unknown conversation is not found
    // (DynamoDB cannot tell the two apart: a conflict there).
    assert!(matches!(
        s.replace_routing(&conv, c.rv, &Routing::default()).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.replace_routing(&ConversationId::generate(), 3, &Routing::default())
            .await,
        Err(StoreError::Conflict(_) | StoreError::NotFound(_))
    ));
}

async fn finished_outbound_content_is_replaced_queued_is_not(s: Arc<dyn Store>) {
    let m = Outbound {
        id: OutboundId::generate(),
        conversation_id: ConversationId::generate(),
        page_id: PageId::parse(PAGE).unwrap(),
        psid: Psid::parse(unique_psid("77")).unwrap(),
        author: Author::Survey,
        content: Content::Text {
            text: "Hi Ada".into(),
            quick_replies: vec![],
        },
        status: Status::Queued,
        attempts: 0,
        claimed_at: None,
        created_at: Millis(T0),
    };
    s.put_outbound(&m).await.unwrap();
    let erased = Outbound {
        content: erased_content(&m.content),
        ..m.clone()
    };
    assert!(
        !s.replace_outbound_content(&erased).await.unwrap(),
        "queued"
    );
    let sent = Status::Sent {
        message_id: format!("mid-{}", m.id),
        messaging_type: switchboard_core::window::SendAs::Response,
        at: Millis(T0 + 1),
    };
    s.finish_outbound(&m.id, &sent).await.unwrap();
    assert!(s.replace_outbound_content(&erased).await.unwrap());
    let stored = s.get_outbound(&m.id).await.unwrap().unwrap();
    assert_eq!(stored.content, erased.content);
    assert_eq!(stored.status, sent, "the outcome stays");
    assert_eq!(
        s.outbound_by_mid(&format!("mid-{}", m.id))
            .await
            .unwrap()
            .map(|o| o.id),
        Some(m.id.clone()),
        "still found by Meta's id"
    );
    let unknown = Outbound {
        id: OutboundId::generate(),
        ..erased
    };
    assert!(!s.replace_outbound_content(&unknown).await.unwrap());
}

async fn stream_entries_are_replaced_never_created(s: Arc<dyn Store>) {
    let stream = format!("notes:{}", unique_psid("77"));
    let entry = |t: i64, text: &str| StreamEntry {
        cursor: stream_cursor(Millis(t), "n"),
        data: serde_json::json!({ "text": text }),
        expires_at: None,
    };
    s.append_entry(&stream, &entry(T0, "Ada's note"))
        .await
        .unwrap();
    assert!(
        s.replace_entry(&stream, &entry(T0, "[erased]"))
            .await
            .unwrap()
    );
    let read = s.read_entries(&stream, None, 10).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].data["text"], "[erased]");
    assert!(!s.replace_entry(&stream, &entry(T0 + 1, "x")).await.unwrap());
    assert_eq!(s.read_entries(&stream, None, 10).await.unwrap().len(), 1);
}

switchboard_tests::store_suites!(
    events_are_overwritten_in_place_and_never_created,
    the_erasure_mark_turns_older_events_away,
    routing_is_replaced_on_its_version_in_any_state,
    finished_outbound_content_is_replaced_queued_is_not,
    stream_entries_are_replaced_never_created,
);
