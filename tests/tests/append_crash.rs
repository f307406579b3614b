//! A crash between an append's writes on DynamoDB (moto): the router stops
//! after the event's marker, or after its timeline entry (before the
//! conversation's touch), and the delivery is replayed. The event ends on
//! its conversation's timeline exactly once, the conversation knows the
//! customer's message, and a further replay changes nothing. When the
//! conversation closed before the replay, the message opens a new one, as
//! any message would. An erasure that runs between the writes leaves no
//! words, wherever the append paused. A new customer's first message
//! (marker, then the transaction of entry, customer and conversation, then
//! the contact's link) stopped between its writes opens that one
//! conversation on replay, once, in its contact's history; replayed after
//! the customer's next message opened one, it joins that; redelivered
//! after the customer was linked to another contact, it stays in that
//! contact's history only.
//!
//! The crash is real as far as the table can tell: a client interceptor
//! fails the chosen request before it is sent, as a process killed at that
//! moment would never send it.

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use std::sync::atomic::{AtomicUsize, Ordering};
use switchboard_aws::DynamoStore;
use switchboard_core::Millis;
use switchboard_core::ids::ConversationId;
use switchboard_core::ports::{AppendOutcome, ConversationStore};
use switchboard_tests::{aws_config, dynamo_store, new_ids, text_message};

/// What happens at a run's `nth` write (`PutItem`, `UpdateItem` or
/// `TransactWriteItems`, 1-based).
#[derive(Debug)]
enum Then {
    /// It and every request after it fail: the process died there.
    Crash(std::sync::atomic::AtomicBool),
    /// It waits until the test lets it go (a run paused there).
    Pause {
        paused: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>>,
        resume: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    },
}

/// Counts a run's writes and does [`Then`] at the `nth`.
#[derive(Debug)]
struct AtWrite {
    nth: usize,
    writes: AtomicUsize,
    then: Then,
}

impl AtWrite {
    fn new(nth: usize, then: Then) -> Self {
        Self {
            nth,
            writes: AtomicUsize::new(0),
            then,
        }
    }
}

impl Intercept for AtWrite {
    fn name(&self) -> &'static str {
        "AtWrite"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let write = matches!(
            context.request().headers().get("x-amz-target"),
            Some(
                "DynamoDB_20120810.PutItem"
                    | "DynamoDB_20120810.UpdateItem"
                    | "DynamoDB_20120810.TransactWriteItems"
            )
        );
        let at = write && self.writes.fetch_add(1, Ordering::SeqCst) + 1 == self.nth;
        match &self.then {
            Then::Crash(dead) => {
                if at {
                    dead.store(true, Ordering::SeqCst);
                }
                if dead.load(Ordering::SeqCst) {
                    return Err("the router was killed here".into());
                }
            }
            Then::Pause { paused, resume } if at => {
                if let Some(tx) = paused.lock().unwrap().take() {
                    tx.send(()).unwrap();
                }
                resume
                    .lock()
                    .unwrap()
                    .recv_timeout(std::time::Duration::from_secs(30))
                    .map_err(|_| "the test never let the paused write go")?;
            }
            Then::Pause { .. } => {}
        }
        Ok(())
    }
}

fn event(mid: &str, ts: u64) -> switchboard_core::event::InboundEvent {
    text_message("7700000000000901", mid, ts, &format!("hello {mid}"))
}

async fn crashing(store: &DynamoStore, nth: usize) -> DynamoStore {
    let cfg = aws_config().await;
    let conf = aws_sdk_dynamodb::config::Builder::from(&cfg)
        .interceptor(AtWrite::new(nth, Then::Crash(false.into())))
        .build();
    DynamoStore::from_client(aws_sdk_dynamodb::Client::from_conf(conf), store.table())
}

/// A store with an open conversation holding one message (at 1,000).
async fn opened() -> (std::sync::Arc<DynamoStore>, ConversationId) {
    let store = dynamo_store().await;
    let first = store
        .append(&event("m_open", 1_000), &new_ids(), Millis(1_000))
        .await
        .unwrap();
    let AppendOutcome::Stored {
        conversation_id: conv,
        opened: true,
    } = first
    else {
        panic!("the first message opens a conversation: {first:?}");
    };
    (store, conv)
}

/// An open conversation with one message, and a second message whose
/// append died at its `nth` write.
async fn half_appended(
    nth: usize,
) -> (
    std::sync::Arc<DynamoStore>,
    ConversationId,
    switchboard_core::event::InboundEvent,
) {
    let (store, conv) = opened().await;
    let e = event("m_crash", 2_000);
    let dying = crashing(&store, nth).await;
    let crashed = dying.append(&e, &new_ids(), Millis(2_000)).await;
    assert!(crashed.is_err(), "the run died at write {nth}: {crashed:?}");
    // Half done: never touched; the entry there only from write 3 on.
    let c = store.get_conversation(&conv).await.unwrap().unwrap();
    assert_eq!(
        c.last_customer_message_at,
        Some(Millis(1_000)),
        "touched before the crash?"
    );
    assert_eq!(
        store.timeline(&conv).await.unwrap().len(),
        if nth > 2 { 2 } else { 1 },
        "the entry is written at write 2"
    );
    (store, conv, e)
}

/// Crash at the `nth` write of an append (1 the marker, 2 the entry, 3 the
/// touch), replay twice, and check the outcome.
async fn crash_then_replay(nth: usize) {
    let (store, conv, e) = half_appended(nth).await;
    let replayed = store.append(&e, &new_ids(), Millis(2_100)).await.unwrap();
    assert_eq!(
        replayed,
        AppendOutcome::Stored {
            conversation_id: conv.clone(),
            opened: false
        },
        "the replay stores it (crash at write {nth})"
    );
    let again = store.append(&e, &new_ids(), Millis(2_200)).await.unwrap();
    assert_eq!(
        again,
        AppendOutcome::Duplicate {
            conversation_id: Some(conv.clone())
        }
    );
    let timeline = store.timeline(&conv).await.unwrap();
    let keys: Vec<&str> = timeline.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(
        keys.iter().filter(|k| **k == e.key).count(),
        1,
        "exactly once: {keys:?}"
    );
    assert_eq!(timeline.len(), 2, "and nothing else: {keys:?}");
    let c = store.get_conversation(&conv).await.unwrap().unwrap();
    assert_eq!(
        c.last_customer_message_at,
        Some(e.timestamp),
        "the customer's message counts"
    );
}

#[tokio::test]
async fn a_crash_after_the_marker_is_replayed_exactly_once() {
    crash_then_replay(2).await;
}

#[tokio::test]
async fn a_crash_after_the_entry_before_the_touch_is_replayed_exactly_once() {
    crash_then_replay(3).await;
}

#[tokio::test]
async fn a_message_half_appended_to_a_conversation_closed_since_opens_a_new_one() {
    half_appended_then_closed(2, 2_050).await;
}

#[tokio::test]
async fn a_message_never_touched_before_the_close_moves_to_a_new_one() {
    // Closed after the claim (an agent closing it later) or dated before
    // it (the closer's clock behind): the same, whatever the clocks say.
    half_appended_then_closed(3, 2_050).await;
    half_appended_then_closed(3, 1_500).await;
}

#[tokio::test]
async fn a_redelivery_after_the_close_changes_nothing() {
    let (store, conv) = opened().await;
    let e = event("m_whole", 2_000);
    let done = store.append(&e, &new_ids(), Millis(2_000)).await.unwrap();
    assert_eq!(
        done,
        AppendOutcome::Stored {
            conversation_id: conv.clone(),
            opened: false
        }
    );
    // The closer's clock is behind the router's: the close is dated
    // before the claim, yet came after the touch.
    store
        .close_conversation(&conv, Millis(1_900))
        .await
        .unwrap();
    let again = store.append(&e, &new_ids(), Millis(2_100)).await.unwrap();
    assert_eq!(
        again,
        AppendOutcome::Duplicate {
            conversation_id: Some(conv.clone())
        }
    );
    assert_eq!(store.timeline(&conv).await.unwrap().len(), 2, "still there");
    let customer = store
        .get_customer(&e.page_id, e.psid.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.open_conversation_id, None, "nothing opened");
}

/// Crash at the `nth` write, close the conversation at `closed_at` (the
/// event was claimed at 2,000), replay: the message opens a new
/// conversation and is on no other timeline.
async fn half_appended_then_closed(nth: usize, closed_at: i64) {
    let (store, conv, e) = half_appended(nth).await;
    store
        .close_conversation(&conv, Millis(closed_at))
        .await
        .unwrap();
    let replayed = store.append(&e, &new_ids(), Millis(2_100)).await.unwrap();
    let AppendOutcome::Stored {
        conversation_id: new,
        opened: true,
    } = replayed
    else {
        panic!("the replay opens a conversation: {replayed:?}");
    };
    assert_ne!(new, conv);
    assert_eq!(
        store.timeline(&conv).await.unwrap().len(),
        1,
        "not on the closed one"
    );
    let keys: Vec<String> = store
        .timeline(&new)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    assert_eq!(keys, std::slice::from_ref(&e.key));
    let again = store.append(&e, &new_ids(), Millis(2_200)).await.unwrap();
    assert_eq!(
        again,
        AppendOutcome::Duplicate {
            conversation_id: Some(new)
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_erasure_between_the_marker_and_the_entry_leaves_no_words() {
    erasure_while_paused_at(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_erasure_between_the_entry_and_the_touch_leaves_no_words() {
    erasure_while_paused_at(3).await;
}

/// An append paused before its `nth` write while the customer's erasure
/// runs whole (marks, closes, sweeps the timeline it sees), then let go.
async fn erasure_while_paused_at(nth: usize) {
    let (store, conv) = opened().await;
    let (paused_tx, paused_rx) = std::sync::mpsc::channel();
    let (resume_tx, resume_rx) = std::sync::mpsc::channel();
    let e = event("m_race", 2_000);
    // The paused run on a thread and runtime of its own: the interceptor
    // blocks it, and nothing else.
    let run = {
        let (e, table) = (e.clone(), store.table().to_string());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let cfg = aws_config().await;
                let conf = aws_sdk_dynamodb::config::Builder::from(&cfg)
                    .interceptor(AtWrite::new(
                        nth,
                        Then::Pause {
                            paused: std::sync::Mutex::new(Some(paused_tx)),
                            resume: std::sync::Mutex::new(resume_rx),
                        },
                    ))
                    .build();
                let slow =
                    DynamoStore::from_client(aws_sdk_dynamodb::Client::from_conf(conf), table);
                slow.append(&e, &new_ids(), Millis(2_000)).await
            })
        })
    };
    // Paused: the erasure runs now (marks, closes, sweeps the timeline it
    // sees).
    tokio::task::spawn_blocking(move || {
        paused_rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the run pauses at its write")
    })
    .await
    .unwrap();
    switchboard_tests::erase_on_store(store.as_ref(), &e, &conv, Millis(3_000)).await;
    resume_tx.send(()).unwrap();
    let outcome = tokio::task::spawn_blocking(move || run.join())
        .await
        .unwrap()
        .expect("the run finishes")
        .unwrap();
    assert_eq!(outcome, AppendOutcome::Erased, "the run saw the erasure");
    let timeline = store.timeline(&conv).await.unwrap();
    let text = serde_json::to_string(&timeline).unwrap();
    assert!(!text.contains("hello m_race"), "no words left: {text}");
    assert!(!text.contains("hello m_open"), "{text}");
    assert_eq!(timeline.len(), 2, "the event is kept, erased");
}

/// A new customer's first message whose append died at its `nth` write (1
/// the marker, 2 the transaction of the entry, customer, contact and
/// conversation, 3 the contact's link to it).
async fn first_message_half_appended(
    nth: usize,
) -> (
    std::sync::Arc<DynamoStore>,
    switchboard_core::ports::NewIds,
    switchboard_core::event::InboundEvent,
) {
    let store = dynamo_store().await;
    let e = event("m_first", 1_000);
    let ids = new_ids();
    let dying = crashing(&store, nth).await;
    let crashed = dying.append(&e, &ids, Millis(1_000)).await;
    assert!(crashed.is_err(), "the run died at write {nth}: {crashed:?}");
    let psid = e.psid.as_ref().unwrap();
    let customer = store.get_customer(&e.page_id, psid).await.unwrap();
    assert_eq!(customer.is_some(), nth > 2, "opened at write 2");
    assert_eq!(
        store.timeline(&ids.conversation_id).await.unwrap().len(),
        usize::from(nth > 2),
        "the entry is written with the conversation"
    );
    (store, ids, e)
}

/// Crash a new customer's first message at its `nth` write, replay it
/// (with ids of its own, as a new run has) twice: the conversation the
/// stopped run claimed it for opens once, with the message once, routed as
/// new, and in its contact's history.
async fn first_message_crash_then_replay(nth: usize) {
    let (store, ids, e) = first_message_half_appended(nth).await;
    let conv = ids.conversation_id.clone();
    let replayed = store.append(&e, &new_ids(), Millis(1_100)).await.unwrap();
    // Opened by the replay, or by the stopped run: a duplicate is routed
    // too (the router cannot tell a run that stopped before routing).
    let expected = if nth > 2 {
        AppendOutcome::Duplicate {
            conversation_id: Some(conv.clone()),
        }
    } else {
        AppendOutcome::Stored {
            conversation_id: conv.clone(),
            opened: true,
        }
    };
    assert_eq!(replayed, expected, "crash at write {nth}");
    let again = store.append(&e, &new_ids(), Millis(1_200)).await.unwrap();
    assert_eq!(
        again,
        AppendOutcome::Duplicate {
            conversation_id: Some(conv.clone())
        }
    );
    let keys: Vec<String> = store
        .timeline(&conv)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    assert_eq!(keys, std::slice::from_ref(&e.key), "exactly once");
    let customer = store
        .get_customer(&e.page_id, e.psid.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.open_conversation_id, Some(conv.clone()));
    let c = store.get_conversation(&conv).await.unwrap().unwrap();
    assert_eq!(c.last_customer_message_at, Some(e.timestamp));
    let history: Vec<ConversationId> = store
        .contact_conversations(&customer.contact_id, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(history, vec![conv], "in the contact's history");
}

#[tokio::test]
async fn a_new_customers_message_crashed_after_the_marker_opens_one_conversation() {
    first_message_crash_then_replay(2).await;
}

#[tokio::test]
async fn a_new_customers_message_crashed_before_the_contacts_link_gets_it_on_replay() {
    first_message_crash_then_replay(3).await;
}

#[tokio::test]
async fn a_new_customers_stopped_message_replayed_late_joins_the_open_conversation() {
    // The stopped run claimed the event for a conversation that never
    // opened; the customer's next message opened another before the
    // replay (a redrive from the dead-letter queue can bring it that late).
    let (store, ids, e) = first_message_half_appended(2).await;
    let next = event("m_next", 3_000);
    let AppendOutcome::Stored {
        conversation_id: open,
        opened: true,
    } = store
        .append(&next, &new_ids(), Millis(3_000))
        .await
        .unwrap()
    else {
        panic!("the next message opens a conversation");
    };
    assert_ne!(open, ids.conversation_id);
    let replayed = store.append(&e, &new_ids(), Millis(3_100)).await.unwrap();
    assert_eq!(
        replayed,
        AppendOutcome::Stored {
            conversation_id: open.clone(),
            opened: false
        }
    );
    assert!(
        store
            .get_conversation(&ids.conversation_id)
            .await
            .unwrap()
            .is_none(),
        "the claimed one never opens"
    );
    let keys: Vec<String> = store
        .timeline(&open)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys.contains(&e.key) && keys.contains(&next.key),
        "{keys:?}"
    );
    let again = store.append(&e, &new_ids(), Millis(3_200)).await.unwrap();
    assert_eq!(
        again,
        AppendOutcome::Duplicate {
            conversation_id: Some(open)
        }
    );
}

#[tokio::test]
async fn a_redelivered_first_message_after_a_contact_link_stays_in_the_new_contacts_history() {
    // The first message opened X under the customer's own contact; X
    // closed, the next message opened Y, and an agent linked the customer
    // to a known contact (the history moves; X keeps its old `contact_id`).
    // Meta then delivers the first message again.
    let (store, first) = opened().await;
    let e = event("m_open", 1_000);
    let old_contact = store
        .get_conversation(&first)
        .await
        .unwrap()
        .unwrap()
        .contact_id;
    store
        .close_conversation(&first, Millis(1_500))
        .await
        .unwrap();
    let AppendOutcome::Stored {
        conversation_id: next,
        opened: true,
    } = store
        .append(&event("m_next", 2_000), &new_ids(), Millis(2_000))
        .await
        .unwrap()
    else {
        panic!("the next message opens a conversation");
    };
    let known = switchboard_core::ports::Contact::new(
        switchboard_core::ids::ContactId::generate(),
        "Jo Known".into(),
        Millis(2_100),
    );
    store.create_contact(&known).await.unwrap();
    store.link_contact(&next, &known.id).await.unwrap();
    let again = store.append(&e, &new_ids(), Millis(2_200)).await.unwrap();
    assert_eq!(
        again,
        AppendOutcome::Duplicate {
            conversation_id: Some(first.clone())
        }
    );
    let history = |contact: switchboard_core::ids::ContactId| {
        let store = store.clone();
        async move {
            store
                .contact_conversations(&contact, None, 10)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(history(known.id.clone()).await, vec![next, first]);
    assert!(
        history(old_contact).await.is_empty(),
        "not linked back to the contact it left"
    );
}
