//! A panic takes down its own queue message only: the router's batch
//! reports that message failed (so the queue retries it, then
//! dead-letters it), the other conversations of the batch are stored, and
//! the same worker goes on to the next batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use switchboard_core::router::process_batch;
use switchboard_core::{Clock, ManualClock, Millis};
use switchboard_tests::*;

/// A clock whose next reading panics once when armed: the router reads it
/// while storing an event, so the event being stored panics.
struct PanickyClock {
    inner: ManualClock,
    armed: AtomicBool,
}

impl Clock for PanickyClock {
    fn now(&self) -> Millis {
        if self.armed.swap(false, Ordering::SeqCst) {
            panic!("injected panic while storing an event");
        }
        self.inner.now()
    }
}

fn event_body(psid: &str, mid: &str) -> String {
    let body = serde_json::json!({"object": "page", "entry": [{"id": PAGE_1, "time": 1_767_603_600_000i64,
        "messaging": [{"sender": {"id": psid}, "recipient": {"id": PAGE_1}, "timestamp": 1_767_603_600_000i64,
            "message": {"mid": mid, "text": "hello"}}]}]});
    let events = switchboard_core::ingest::split(
        &ACCOUNT.parse().unwrap(),
        body.to_string().as_bytes(),
        Millis(1_767_603_600_000),
    )
    .unwrap();
    serde_json::to_string(&events[0]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_event_fails_alone_and_the_worker_goes_on() {
    let embedded = redb_store();
    let store: Arc<dyn Store> = embedded.store.clone();
    let clock = Arc::new(PanickyClock {
        inner: ManualClock::new(Millis(1_767_603_600_000)),
        armed: AtomicBool::new(true),
    });
    let deps = routing_deps(store.clone(), clock.clone());
    let bodies = [
        (
            "m1",
            "7700000000000001:poison",
            event_body("7700000000000001", "m_poison"),
        ),
        (
            "m2",
            "7700000000000002:ok",
            event_body("7700000000000002", "m_ok_1"),
        ),
        (
            "m3",
            "7700000000000002:ok",
            event_body("7700000000000002", "m_ok_2"),
        ),
    ];
    let items = batch_items(&bodies);
    // The first group is polled first and reads the clock first.
    let failed = process_batch(&deps, &items).await;
    assert_eq!(failed, ["m1"], "only the panicking message failed");
    let convs = store.list_conversations(&Default::default()).await.unwrap();
    assert_eq!(convs.len(), 1, "the other conversation was stored");
    assert_eq!(store.timeline(&convs[0].id).await.unwrap().len(), 2);
    // Its retry, on the same worker, goes through.
    assert!(process_batch(&deps, &items[..1]).await.is_empty());
    assert_eq!(
        store
            .list_conversations(&Default::default())
            .await
            .unwrap()
            .len(),
        2
    );
}
