//! One conformance suite for every queue adapter: the durable in-process
//! queue and SQS FIFO (on moto). FIFO order within a group, a group blocked
//! while in flight, deduplication, redelivery after a failed receive or an
//! expired visibility timeout, and the dead-letter queue.

use std::time::Duration;
use switchboard_core::ports::{OutgoingMessage, Queue, QueueError, ReceivedMessage};
use switchboard_embedded::QueueConfig;

fn msg(group: &str, dedup: &str, body: &str) -> OutgoingMessage {
    OutgoingMessage {
        group: group.into(),
        dedup_id: dedup.into(),
        body: body.into(),
    }
}

const NO_WAIT: Duration = Duration::from_millis(0);
const SHORT: Duration = Duration::from_secs(1);

async fn drain(q: &dyn Queue) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let batch = q.receive(10, SHORT).await.unwrap();
        if batch.is_empty() {
            return out;
        }
        for m in batch {
            out.push(m.body.clone());
            q.delete(&m.receipt).await.unwrap();
        }
    }
}

async fn fifo_order_within_a_group(q: &dyn Queue, _dlq: &dyn Queue) {
    let all: Vec<OutgoingMessage> = (0..25)
        .map(|i| msg("g1", &format!("d{i}"), &format!("{i}")))
        .collect();
    for chunk in all.chunks(10) {
        assert!(q.send_batch(chunk).await.unwrap().is_empty());
    }
    let got = drain(q).await;
    let want: Vec<String> = (0..25).map(|i| i.to_string()).collect();
    assert_eq!(got, want);
}

async fn group_is_blocked_while_in_flight(q: &dyn Queue, _dlq: &dyn Queue) {
    q.send_batch(&[
        msg("a", "a1", "a1"),
        msg("a", "a2", "a2"),
        msg("b", "b1", "b1"),
    ])
    .await
    .unwrap();
    let first = q.receive(1, SHORT).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].body, "a1");
    // a2 must not be handed out while a1 is in flight; b1 may.
    let mut seen: Vec<ReceivedMessage> = Vec::new();
    for _ in 0..3 {
        seen.extend(q.receive(10, NO_WAIT).await.unwrap());
    }
    assert!(
        seen.iter().all(|m| m.body != "a2"),
        "a2 delivered while a1 in flight: {seen:?}"
    );
    assert!(seen.iter().any(|m| m.body == "b1"), "other groups proceed");
    q.delete(&first[0].receipt).await.unwrap();
    for m in &seen {
        q.delete(&m.receipt).await.unwrap();
    }
    assert_eq!(drain(q).await, vec!["a2".to_string()]);
}

async fn duplicates_are_dropped(q: &dyn Queue, _dlq: &dyn Queue) {
    assert!(
        q.send_batch(&[msg("g", "same", "one")])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        q.send_batch(&[msg("g", "same", "two")])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        q.send_batch(&[msg("g", "other", "three")])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(drain(q).await, vec!["one".to_string(), "three".to_string()]);
}

async fn released_message_is_delivered_again(q: &dyn Queue, _dlq: &dyn Queue) {
    q.send_batch(&[msg("g", "r1", "r1"), msg("g", "r2", "r2")])
        .await
        .unwrap();
    let first = q.receive(1, SHORT).await.unwrap();
    assert_eq!(first[0].body, "r1");
    assert_eq!(first[0].receive_count, 1);
    q.release(&first[0].receipt, Duration::ZERO).await.unwrap();
    let again = q.receive(1, SHORT).await.unwrap();
    assert_eq!(again[0].body, "r1", "the failed message comes back first");
    assert_eq!(again[0].receive_count, 2);
    q.delete(&again[0].receipt).await.unwrap();
    assert_eq!(drain(q).await, vec!["r2".to_string()]);
}

async fn visibility_timeout_redelivers(q: &dyn Queue, _dlq: &dyn Queue) {
    q.send_batch(&[msg("g", "v1", "v1")]).await.unwrap();
    let first = q.receive(1, SHORT).await.unwrap();
    assert_eq!(first.len(), 1);
    // Not deleted: it comes back once the (1 s) visibility timeout passes.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let again = q.receive(1, Duration::from_secs(2)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].body, "v1");
    q.delete(&again[0].receipt).await.unwrap();
}

async fn poison_message_goes_to_dead_letter_queue(q: &dyn Queue, dlq: &dyn Queue) {
    q.send_batch(&[msg("g", "p1", "poison")]).await.unwrap();
    // max_receives = 2: two failed receives, then it moves.
    for n in 1..=2 {
        let m = q.receive(1, SHORT).await.unwrap();
        assert_eq!(m.len(), 1, "receive {n}");
        q.release(&m[0].receipt, Duration::ZERO).await.unwrap();
    }
    let after = q.receive(1, SHORT).await.unwrap();
    assert!(after.is_empty(), "not delivered a third time: {after:?}");
    let dead = drain(dlq).await;
    assert_eq!(dead, vec!["poison".to_string()]);
}

async fn oversized_batch_is_refused(q: &dyn Queue, _dlq: &dyn Queue) {
    let eleven: Vec<OutgoingMessage> = (0..11).map(|i| msg("g", &format!("o{i}"), "x")).collect();
    let r = q.send_batch(&eleven).await;
    assert!(
        matches!(r, Err(QueueError::Rejected(_) | QueueError::Unavailable(_))),
        "{r:?}"
    );
}

/// A send whose caller stops waiting (a request's timeout, a stopped
/// batch) leaves its group working: the group's next message is delivered.
async fn an_abandoned_send_does_not_block_its_group(q: &dyn Queue, _dlq: &dyn Queue) {
    use futures::FutureExt;
    let first = [msg("g", "d1", "first")];
    // Polled once, then dropped.
    let _ = q.send_batch(&first).now_or_never();
    q.send_batch(&[msg("g", "d2", "second")]).await.unwrap();
    let bodies = drain(q).await;
    assert!(bodies.contains(&"second".to_string()), "{bodies:?}");
}

fn config() -> QueueConfig {
    QueueConfig {
        visibility_timeout: Duration::from_secs(1),
        max_receives: 2,
        ..QueueConfig::default()
    }
}

macro_rules! suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            suite!(@case $make; fifo_order_within_a_group, group_is_blocked_while_in_flight, duplicates_are_dropped,
                released_message_is_delivered_again, visibility_timeout_redelivers,
                poison_message_goes_to_dead_letter_queue, oversized_batch_is_refused,
                an_abandoned_send_does_not_block_its_group);
        }
    };
    (@case $make:expr; $($case:ident),*) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (q, dlq, _guard) = $make;
                super::$case(&q, &dlq).await;
            }
        )*
    };
}

suite!(local, {
    let l = switchboard_tests::local_queue(config());
    (l.queue.clone(), l.dlq.clone(), l)
});
suite!(sqs, {
    let s = switchboard_tests::sqs_queue(config()).await;
    (s.queue, s.dlq, ())
});
