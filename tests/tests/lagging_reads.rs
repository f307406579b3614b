//! The append's first read of the customer is eventually consistent (half
//! a read unit), on DynamoDB (moto). A read that lags behind the table
//! must not misplace the event: these tests make the read lag for real,
//! as far as the adapter can tell, by answering it with the customer item
//! as an earlier read saw it (a client interceptor records the answer to
//! an eventually consistent `GetItem`, then replays it), and check where
//! the event lands.

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use switchboard_aws::DynamoStore;
use switchboard_core::Millis;
use switchboard_core::event::InboundEvent;
use switchboard_core::ids::ConversationId;
use switchboard_core::ports::{AppendOutcome, ConversationStore};
use switchboard_tests::{aws_config, dynamo_store, erase_on_store, new_ids, text_message};

/// Records the answer to the first eventually consistent `GetItem` it
/// sees, and answers every later one with it once told to lag; cheap to
/// clone (the test keeps one, the client the other).
#[derive(Debug, Default, Clone)]
struct Lagging(std::sync::Arc<Answers>);

#[derive(Debug, Default)]
struct Answers {
    /// The request in flight is an eventually consistent `GetItem`.
    eventual: AtomicBool,
    recorded: Mutex<Option<GetItemOutput>>,
    lag: AtomicBool,
    /// Answers replaced by the recorded one.
    replayed: AtomicUsize,
}

impl Lagging {
    /// Reads answered with the recorded answer so far.
    fn replayed(&self) -> usize {
        self.0.replayed.load(Ordering::SeqCst)
    }
}

impl Intercept for Lagging {
    fn name(&self) -> &'static str {
        "Lagging"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let eventual = context
            .input()
            .downcast_ref::<GetItemInput>()
            .is_some_and(|i| i.consistent_read() != Some(true));
        self.0.eventual.store(eventual, Ordering::SeqCst);
        Ok(())
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let eventual = self.0.eventual.swap(false, Ordering::SeqCst);
        let Some(Ok(output)) = context.output_or_error_mut().filter(|_| eventual) else {
            return Ok(());
        };
        let Some(answer) = output.downcast_mut::<GetItemOutput>() else {
            return Ok(());
        };
        let mut recorded = self.0.recorded.lock().unwrap();
        match recorded.as_ref() {
            None => *recorded = Some(answer.clone()),
            Some(old) if self.0.lag.load(Ordering::SeqCst) => {
                *answer = old.clone();
                self.0.replayed.fetch_add(1, Ordering::SeqCst);
            }
            Some(_) => {}
        }
        Ok(())
    }
}

fn event(mid: &str, ts: u64) -> InboundEvent {
    text_message("7700000000000902", mid, ts, &format!("hello {mid}"))
}

/// The customer's read receipt at `ts`, as ingest makes it from Meta's
/// delivery: an event that is not customer activity.
fn read_receipt(ts: u64) -> InboundEvent {
    let body = serde_json::json!({"object": "page", "entry": [{"id": "104857600000001", "messaging": [{
        "sender": {"id": "7700000000000902"}, "recipient": {"id": "104857600000001"}, "timestamp": ts,
        "read": {"watermark": ts}}]}]})
    .to_string();
    switchboard_core::ingest::split(
        &switchboard_core::ids::AccountId::parse("acme").unwrap(),
        body.as_bytes(),
        Millis(0),
    )
    .unwrap()
    .remove(0)
}

/// A store on `table` whose eventually consistent reads `lagging` records
/// and replays.
async fn lagging_store(table: &str, lagging: &Lagging) -> DynamoStore {
    let cfg = aws_config().await;
    let conf = aws_sdk_dynamodb::config::Builder::from(&cfg)
        .interceptor(lagging.clone())
        .build();
    DynamoStore::from_client(aws_sdk_dynamodb::Client::from_conf(conf), table)
}

/// Append `e` (at its timestamp) through `store`: what it stored it on,
/// and whether that opened the conversation.
async fn append(store: &DynamoStore, e: &InboundEvent) -> (ConversationId, bool) {
    match store.append(e, &new_ids(), e.timestamp).await.unwrap() {
        AppendOutcome::Stored {
            conversation_id,
            opened,
        } => (conversation_id, opened),
        other => panic!("{} is stored: {other:?}", e.key),
    }
}

/// The keys of the events on `conv`'s timeline, in order.
async fn keys(store: &DynamoStore, conv: &ConversationId) -> Vec<String> {
    let timeline = store.timeline(conv).await.unwrap();
    timeline.into_iter().map(|t| t.key).collect()
}

/// The close's fence catches the lag at the touch.
#[tokio::test]
async fn a_read_that_missed_the_close_opens_a_new_conversation() {
    let store = dynamo_store().await;
    let lagging = Lagging::default();
    let lag = lagging_store(store.table(), &lagging).await;
    let (first, second, third) = (
        event("m_first", 1_000),
        event("m_second", 2_000),
        event("m_third", 3_000),
    );
    let (conv, opened) = append(&store, &first).await;
    assert!(opened);
    // The second message's read is recorded: the customer with `conv` open.
    assert_eq!(append(&lag, &second).await, (conv.clone(), false));
    store
        .close_conversation(&conv, Millis(2_500))
        .await
        .unwrap();
    // The third's read lags: it still sees `conv` open.
    lagging.0.lag.store(true, Ordering::SeqCst);
    let (new, opened) = append(&lag, &third).await;
    assert_eq!(lagging.replayed(), 1, "the read lagged");
    assert!(
        opened,
        "the message opens a conversation, as after any close"
    );
    assert_ne!(new, conv);
    assert_eq!(keys(&store, &conv).await, [first.key, second.key]);
    assert_eq!(keys(&store, &new).await, std::slice::from_ref(&third.key));
    let customer = store
        .get_customer(&third.page_id, third.psid.as_ref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.open_conversation_id, Some(new));
    let seen = lagging.0.recorded.lock().unwrap().clone().unwrap();
    assert!(
        format!("{:?}", seen.item).contains(conv.as_str()),
        "the lagging read named the closed conversation"
    );
}

/// The outcome a strongly consistent read gives (the adapter reads again
/// before a new customer's writes, whose conditions would refuse a second
/// customer anyway).
#[tokio::test]
async fn a_read_that_missed_the_new_customer_adds_to_their_conversation() {
    let store = dynamo_store().await;
    let lagging = Lagging::default();
    let lag = lagging_store(store.table(), &lagging).await;
    let (first, second) = (event("m_first", 1_000), event("m_second", 2_000));
    // The first message's read is recorded: no customer yet.
    let (conv, opened) = append(&lag, &first).await;
    assert!(opened);
    assert!(
        lagging.0.recorded.lock().unwrap().is_some(),
        "the first read was eventually consistent"
    );
    // The second's read lags: it sees no customer.
    lagging.0.lag.store(true, Ordering::SeqCst);
    assert_eq!(
        append(&lag, &second).await,
        (conv.clone(), false),
        "one customer, one conversation"
    );
    assert_eq!(lagging.replayed(), 1, "the read lagged");
    assert_eq!(keys(&store, &conv).await, [first.key, second.key]);
}

/// Here no write's condition would catch the lag: only the strongly
/// consistent read before any plan but the open conversation's does.
#[tokio::test]
async fn a_read_that_missed_the_reopen_attaches_a_receipt_to_the_open_conversation() {
    let store = dynamo_store().await;
    let lagging = Lagging::default();
    let lag = lagging_store(store.table(), &lagging).await;
    let (first, _) = append(&store, &event("m_first", 1_000)).await;
    store
        .close_conversation(&first, Millis(1_500))
        .await
        .unwrap();
    // A receipt's read is recorded: nothing open, `first` the last.
    assert_eq!(
        append(&lag, &read_receipt(1_600)).await,
        (first.clone(), false)
    );
    let (reopened, opened) = append(&store, &event("m_again", 2_000)).await;
    assert!(opened, "a message after the close opens a conversation");
    // The next receipt's read lags: nothing open, `first` the last. A plan
    // from it would attach the receipt to the closed conversation.
    lagging.0.lag.store(true, Ordering::SeqCst);
    assert_eq!(
        append(&lag, &read_receipt(2_100)).await,
        (reopened.clone(), false),
        "on the open conversation, planned from a strongly consistent read"
    );
    assert_eq!(lagging.replayed(), 1, "the read lagged");
    assert_eq!(keys(&store, &first).await.len(), 2);
    assert_eq!(keys(&store, &reopened).await.len(), 2);
}

/// A read that missed both the close and the conversation opened since:
/// the close's fence catches it, and the event is planned again from a
/// strongly consistent read, onto the conversation open now (not a third).
#[tokio::test]
async fn a_read_that_missed_a_close_and_a_reopen_lands_on_the_open_conversation() {
    let store = dynamo_store().await;
    let lagging = Lagging::default();
    let lag = lagging_store(store.table(), &lagging).await;
    let (first, second, again, third) = (
        event("m_first", 1_000),
        event("m_second", 2_000),
        event("m_again", 3_000),
        event("m_third", 3_500),
    );
    let (closed, _) = append(&store, &first).await;
    // The second message's read is recorded: `closed` open.
    assert_eq!(append(&lag, &second).await, (closed.clone(), false));
    store
        .close_conversation(&closed, Millis(2_500))
        .await
        .unwrap();
    let (open, opened) = append(&store, &again).await;
    assert!(opened);
    // The third's read lags behind both.
    lagging.0.lag.store(true, Ordering::SeqCst);
    assert_eq!(
        append(&lag, &third).await,
        (open.clone(), false),
        "on the conversation open now"
    );
    assert_eq!(lagging.replayed(), 1, "the read lagged");
    assert_eq!(keys(&store, &closed).await, [first.key, second.key]);
    assert_eq!(keys(&store, &open).await, [again.key, third.key]);
}

/// A read that missed the customer's erasure: the event, from before it,
/// is `Erased` and leaves no words. (Its marker and erased entry are
/// written, where a strongly consistent read writes nothing: see
/// `DynamoStore::plan`.)
#[tokio::test]
async fn a_read_that_missed_the_erasure_leaves_no_words() {
    use switchboard_core::privacy::erasure::is_erased;
    let store = dynamo_store().await;
    let lagging = Lagging::default();
    let lag = lagging_store(store.table(), &lagging).await;
    let (first, second, late) = (
        event("m_first", 1_000),
        event("m_second", 2_000),
        event("m_late", 2_500),
    );
    let (conv, _) = append(&store, &first).await;
    // The second message's read is recorded: `conv` open, nothing erased.
    assert_eq!(append(&lag, &second).await, (conv.clone(), false));
    // The erasure, as `privacy::erasure::erase` runs it: mark, close, sweep.
    erase_on_store(store.as_ref(), &first, &conv, Millis(3_000)).await;
    let (page, psid) = (first.page_id.clone(), first.psid.clone().unwrap());
    // A message from before the erasure, delivered late, read lagging.
    lagging.0.lag.store(true, Ordering::SeqCst);
    let outcome = lag.append(&late, &new_ids(), Millis(3_100)).await.unwrap();
    assert_eq!(lagging.replayed(), 1, "the read lagged");
    assert_eq!(outcome, AppendOutcome::Erased);
    let timeline = store.timeline(&conv).await.unwrap();
    let text = serde_json::to_string(&timeline).unwrap();
    assert!(!text.contains("hello m_"), "no words left: {text}");
    assert!(timeline.iter().all(is_erased), "{text}");
    let customer = store.get_customer(&page, &psid).await.unwrap().unwrap();
    assert_eq!(customer.open_conversation_id, None, "nothing reopened");
}
