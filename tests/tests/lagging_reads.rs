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
use std::sync::atomic::{AtomicBool, Ordering};
use switchboard_aws::DynamoStore;
use switchboard_core::Millis;
use switchboard_core::ports::{AppendOutcome, ConversationStore};
use switchboard_tests::{aws_config, dynamo_store, new_ids, text_message};

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
            Some(old) if self.0.lag.load(Ordering::SeqCst) => *answer = old.clone(),
            Some(_) => {}
        }
        Ok(())
    }
}

fn event(mid: &str, ts: u64) -> switchboard_core::event::InboundEvent {
    text_message("7700000000000902", mid, ts, &format!("hello {mid}"))
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

#[tokio::test]
async fn a_read_that_missed_the_close_opens_a_new_conversation() {
    let store = dynamo_store().await;
    let lagging = Lagging::default();
    let lag = lagging_store(store.table(), &lagging).await;
    let opened = store
        .append(&event("m_first", 1_000), &new_ids(), Millis(1_000))
        .await
        .unwrap();
    let AppendOutcome::Stored {
        conversation_id: conv,
        opened: true,
    } = opened
    else {
        panic!("the first message opens a conversation: {opened:?}");
    };
    // The second message's read is recorded: the customer with `conv` open.
    let second = lag
        .append(&event("m_second", 2_000), &new_ids(), Millis(2_000))
        .await
        .unwrap();
    assert_eq!(
        second,
        AppendOutcome::Stored {
            conversation_id: conv.clone(),
            opened: false
        }
    );
    store
        .close_conversation(&conv, Millis(2_500))
        .await
        .unwrap();
    // The third's read lags: it still sees `conv` open.
    lagging.0.lag.store(true, Ordering::SeqCst);
    let third = event("m_third", 3_000);
    let stored = lag.append(&third, &new_ids(), Millis(3_000)).await.unwrap();
    let AppendOutcome::Stored {
        conversation_id: new,
        opened: true,
    } = stored
    else {
        panic!("the message opens a conversation, as after any close: {stored:?}");
    };
    assert_ne!(new, conv);
    assert_eq!(
        store.timeline(&conv).await.unwrap().len(),
        2,
        "not on the closed one"
    );
    let keys: Vec<String> = store
        .timeline(&new)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    assert_eq!(keys, std::slice::from_ref(&third.key));
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

#[tokio::test]
async fn a_read_that_missed_the_new_customer_adds_to_their_conversation() {
    let store = dynamo_store().await;
    let lagging = Lagging::default();
    let lag = lagging_store(store.table(), &lagging).await;
    // The first message's read is recorded: no customer yet.
    let first = lag
        .append(&event("m_first", 1_000), &new_ids(), Millis(1_000))
        .await
        .unwrap();
    let AppendOutcome::Stored {
        conversation_id: conv,
        opened: true,
    } = first
    else {
        panic!("the first message opens a conversation: {first:?}");
    };
    // The second's read lags: it sees no customer.
    lagging.0.lag.store(true, Ordering::SeqCst);
    let second = lag
        .append(&event("m_second", 2_000), &new_ids(), Millis(2_000))
        .await
        .unwrap();
    assert_eq!(
        second,
        AppendOutcome::Stored {
            conversation_id: conv.clone(),
            opened: false
        },
        "one customer, one conversation"
    );
    assert_eq!(store.timeline(&conv).await.unwrap().len(), 2);
    assert!(
        lagging.0.recorded.lock().unwrap().is_some(),
        "the first read was eventually consistent"
    );
}

/// The customer's read receipt at `ts`, as ingest makes it from Meta's
/// delivery: an event that is not customer activity.
fn read_receipt(ts: u64) -> switchboard_core::event::InboundEvent {
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

#[tokio::test]
async fn a_read_that_missed_the_reopen_attaches_a_receipt_to_the_open_conversation() {
    let store = dynamo_store().await;
    let lagging = Lagging::default();
    let lag = lagging_store(store.table(), &lagging).await;
    let Ok(AppendOutcome::Stored {
        conversation_id: first,
        ..
    }) = store
        .append(&event("m_first", 1_000), &new_ids(), Millis(1_000))
        .await
    else {
        panic!("the first message is stored");
    };
    store
        .close_conversation(&first, Millis(1_500))
        .await
        .unwrap();
    // A receipt's read is recorded: nothing open, `first` the last.
    let early = lag
        .append(&read_receipt(1_600), &new_ids(), Millis(1_600))
        .await;
    assert_eq!(
        early.unwrap(),
        AppendOutcome::Stored {
            conversation_id: first.clone(),
            opened: false
        }
    );
    let Ok(AppendOutcome::Stored {
        conversation_id: reopened,
        opened: true,
    }) = store
        .append(&event("m_again", 2_000), &new_ids(), Millis(2_000))
        .await
    else {
        panic!("a message after the close opens a conversation");
    };
    // The next receipt's read lags: nothing open, `first` the last. A plan
    // from it would attach the receipt to the closed conversation.
    lagging.0.lag.store(true, Ordering::SeqCst);
    let late = lag
        .append(&read_receipt(2_100), &new_ids(), Millis(2_100))
        .await;
    assert_eq!(
        late.unwrap(),
        AppendOutcome::Stored {
            conversation_id: reopened.clone(),
            opened: false
        },
        "on the open conversation, planned from a strongly consistent read"
    );
    assert_eq!(store.timeline(&first).await.unwrap().len(), 2);
    assert_eq!(store.timeline(&reopened).await.unwrap().len(), 2);
}
